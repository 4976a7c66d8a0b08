"""Shared fixtures: a fresh DuckDB Workspace and helpers to write small source files."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import ibis
import pytest

import cxlens

#: Thread pools limited to one thread in each pytest-xdist worker. Two workers on two cores
#: with two OpenMP (scikit-learn) or OpenBLAS threads each oversubscribe the cores, and the
#: idle threads spin: k-means over 300 points took 6.5 s instead of 0.3 s on a busy machine.
WORKER_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def pytest_configure(config: pytest.Config) -> None:
    """Set up the pytest-xdist workers of ``make test-fast``.

    Before the workers start, one thread per pool (:data:`WORKER_THREADS`, unless set
    already): the libraries read these variables when they load. In a worker, drop COLUMNS
    and LINES: a worker starts with COLUMNS=80, and the CLI's Rich console, created on import,
    would keep 80 columns for good; the CLI tests expect it to follow the width CliRunner sets
    per call, as in a plain run.
    """
    if hasattr(config, "workerinput"):
        os.environ.pop("COLUMNS", None)
        os.environ.pop("LINES", None)
    elif config.getoption("dist", "no") != "no":  # the controller, before it starts workers
        for name in WORKER_THREADS:
            os.environ.setdefault(name, "1")


#: Folders whose files share a costly session fixture: the API server of tests/api
#: (``served``) and the full report of tests/report (``analysed``). Under ``--dist loadfile``
#: (``make test-fast``) each such folder goes to one xdist worker as a whole, so its fixture is
#: built once instead of once per worker; every other file is a unit of its own.
SHARED_SESSION_FOLDERS = ("tests/api", "tests/report")


def work_unit(nodeid: str) -> str:
    """Return the xdist work unit of a test: its folder if listed above, else its file.

    Example:
        >>> work_unit("tests/api/test_keys.py::test_x"), work_unit("tests/test_cli.py::test_y")
        ('tests/api', 'tests/test_cli.py')
    """
    path = nodeid.split("::")[0]
    folder = path.rpartition("/")[0]
    return folder if folder in SHARED_SESSION_FOLDERS else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadfile``, schedule by :func:`work_unit` (whole shared folders).

    pytest-xdist's own ``--dist loadgroup`` cannot do it here: it renames ``item._nodeid``,
    which pytest 9 no longer reads, so every test becomes a unit of its own.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFolderScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SharedFolderScheduling(config, log)


@pytest.fixture
def ws(tmp_path: Path) -> cxlens.Workspace:
    workspace = cxlens.Workspace(tmp_path / "ws.duckdb")
    yield workspace
    workspace.close()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` in ``encoding`` and return the path."""
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session for the whole run (starting one costs 10-20 s)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cxlens-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


_databases = itertools.count()


def spark_workspace(spark) -> cxlens.Workspace:
    """Return a Workspace on Spark in a database of its own.

    Each gets its own SparkSession (``newSession`` shares the context, not the current
    database), so several Spark workspaces can be open at once without seeing each other.
    """
    session = spark.newSession()
    name = f"cxlens_test_{next(_databases)}"
    session.sql(f"CREATE DATABASE {name}")
    session.catalog.setCurrentDatabase(name)
    return cxlens.Workspace(session)


def copy_workspace(source: cxlens.Workspace, target: cxlens.Workspace) -> cxlens.Workspace:
    """Copy every table of ``source`` (canonical, derived and lineage) into ``target``.

    The engine tests load a sample once into DuckDB through ``ingest`` and copy it to Spark,
    so both engines answer over the very same rows.
    """
    for name in source.engine.list_tables():
        target.engine.replace_table(name, source.con.to_pyarrow(source.engine.table(name)))
    return target


@pytest.fixture
def spark_ws(spark) -> cxlens.Workspace:
    """A Workspace on Spark in a database of its own, so tests do not see each other's tables."""
    return spark_workspace(spark)


#: The engines the engine-dependent tests run on; Spark ones carry the ``spark`` mark, so
#: ``-m "not spark"`` runs the DuckDB half alone (``make test-fast``).
ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("spark", id="spark", marks=pytest.mark.spark),
]


@pytest.fixture(params=ENGINES)
def backend(request) -> ibis.BaseBackend:
    """An empty Ibis connection on each engine: in-memory DuckDB, or Spark in its own database."""
    if request.param == "duckdb":
        con = ibis.duckdb.connect()
        yield con
        con.disconnect()
        return
    yield spark_workspace(request.getfixturevalue("spark")).con


@pytest.fixture
def catalog(backend) -> cxlens.Workspace:
    """A Workspace (the Catalog and its namespaces) on each engine in turn."""
    return cxlens.Workspace(backend)


def on_engine(request: pytest.FixtureRequest, duckdb_ws: cxlens.Workspace) -> cxlens.Workspace:
    """Return ``duckdb_ws`` itself for the duckdb param, or a Spark copy of it for spark.

    For module-scoped sample fixtures parametrised with ``params=ENGINES``.
    """
    if request.param == "duckdb":
        return duckdb_ws
    return copy_workspace(duckdb_ws, spark_workspace(request.getfixturevalue("spark")))
