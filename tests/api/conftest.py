"""A real API server on localhost over two small workspaces, and keys of every kind.

``served`` (session scope) builds ``acme`` (customers, responses, transactions) and
``globex`` (customers and responses of another sample) from ``cxlens.sample``, creates keys,
starts ``cxlens serve`` as a subprocess on a free port, waits until it answers, and stops it
at the end. The sample frames are kept so tests can compute expected answers independently.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest

# waiting for the health check, and terminate-then-kill: one rule each for the servers of
# benchmarks and tests
from benchmarks.common import stop as stop_server
from benchmarks.common import wait_healthy

import cxlens
from cxlens.api import KeyStore
from cxlens.sample import generate, write_sample

UPLOAD_LIMIT_MB = 1
_SERVE = (
    "import sys, cxlens.cli.serve; from cxlens.cli import app; "
    "sys.argv = ['cxlens', *sys.argv[1:]]; app()"
)


@dataclass
class Served:
    """A running server and what the tests need to talk to it."""

    url: str
    folder: Path
    keys: dict[str, str]
    key_ids: dict[str, str]
    tables: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def client(self, key: str | None = None, **kw: object) -> httpx.Client:
        """Return a client for the server, sending key ``key`` (a name in ``keys``)."""
        headers = {} if key is None else {"Authorization": f"Bearer {self.keys[key]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kw)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_workspace(folder: Path, name: str, seed: int, tables: list[str]) -> dict:
    data = generate(customers=300, months=12, seed=seed)
    paths = write_sample(data, folder / f"_sample_{name}")
    with cxlens.Workspace(folder / f"{name}.duckdb") as ws:
        for table in tables:
            ws.ingest(paths[table], table=table)
    return {t: data.tables[t] for t in tables}


def start_server(folder: Path, port: int, log_level: str = "warning") -> subprocess.Popen:
    """Start ``cxlens serve``; without precomputing (the tests check what ``cached`` says)
    and with a long analysis wait (jobs are tested in test_analysis_jobs.py)."""
    cmd = [
        sys.executable,
        "-c",
        _SERVE,
        "serve",
        "--workspaces",
        str(folder),
        "--port",
        str(port),
        "--max-upload-mb",
        str(UPLOAD_LIMIT_MB),
        "--log-level",
        log_level,
        "--no-warm",
        "--analysis-wait",
        "600",
    ]
    log = (folder / "server.log").open("wb")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))


def wait_ready(url: str, process: subprocess.Popen, folder: Path, seconds: float = 60) -> None:
    """Return once the server started by :func:`start_server` in ``folder`` answers its health
    check (``benchmarks.common.wait_healthy``); RuntimeError with its log if it cannot."""
    wait_healthy(process, url, folder / "server.log", seconds)


def make_keys(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    store = KeyStore(folder)
    specs = {
        "acme_viewer": (["acme"], "viewer"),
        "acme_analyst": (["acme"], "analyst"),
        "acme_admin": (["acme"], "admin"),
        "globex_admin": (["globex"], "admin"),
        "both_viewer": (["acme", "globex"], "viewer"),
        "revoked": (["acme"], "admin"),
    }
    keys, ids = {}, {}
    for label, (scope, role) in specs.items():
        key, token = store.create(scope, role, name=label)
        keys[label], ids[label] = token, key.key_id
    return keys, ids


def serve_folder(folder: Path, log_level: str = "warning") -> Served:
    tables = {
        "acme": build_workspace(folder, "acme", 7, ["customers", "responses", "transactions"]),
        "globex": build_workspace(folder, "globex", 11, ["customers", "responses"]),
    }
    keys, ids = make_keys(folder)
    port = free_port()
    process = start_server(folder, port, log_level)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, folder)
    except Exception:
        stop_server(process)
        raise
    return Served(url, folder, keys, ids, tables, process)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    """The session's server (uploads in tests change ``acme``; tests account for it)."""
    server = serve_folder(tmp_path_factory.mktemp("api"))
    yield server
    stop_server(server.process)
