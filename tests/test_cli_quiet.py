"""Library warnings raised inside an analysis stay out of the command line's output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.cli._quiet import PACKAGE_DIR, quiet_library_warnings


@pytest.fixture(scope="module")
def two_profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 customers with only two distinct purchase histories: k-means warns for k > 2."""
    folder = tmp_path_factory.mktemp("two_profiles")
    customers, payments = [], []
    for i in range(40):
        customer = f"C{i:03d}"
        customers.append({"customer_id": customer, "first_seen": "2024-01-01"})
        days, amount = (["2024-03-01", "2024-06-01"], 20.0) if i % 2 else (["2024-05-01"], 50.0)
        payments += [
            {"transaction_id": f"T{i}-{j}", "customer_id": customer, "occurred_at": day,
             "amount": amount}
            for j, day in enumerate(days)
        ]  # fmt: skip
    pd.DataFrame(customers).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame(payments).to_csv(folder / "transactions.csv", index=False)
    path = folder / "ws.duckdb"
    with cxlens.Workspace(path) as ws:
        ws.ingest(folder / "customers.csv", table="customers")
        ws.ingest(folder / "transactions.csv", table="transactions")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "cxlens", *args], capture_output=True, text=True, env=env,
        check=False,
    )  # fmt: skip


@pytest.mark.slow  # an analysis in a cxlens subprocess; the logged-warning test stays fast
def test_scikit_learn_warnings_of_an_analysis_do_not_reach_the_cli(two_profiles: Path) -> None:
    # the same clustering in Python does raise scikit-learn's ConvergenceWarning ...
    from sklearn.exceptions import ConvergenceWarning

    with (
        pytest.warns(ConvergenceWarning, match="distinct clusters"),
        cxlens.Workspace(two_profiles) as ws,
    ):
        found = ws.analysis.segments(save=False)
    assert found.clusters.silhouette.query("chosen")["k"].tolist() == [2]
    # ... and the command prints its result (k = 2, chosen by silhouette) without them
    proc = _cli("segments", "--no-save", "-w", str(two_profiles))
    assert proc.returncode == 0, proc.stderr
    assert "clusters (k = 2" in proc.stdout
    assert "Warning" not in proc.stdout + proc.stderr
    assert proc.stderr == ""


@pytest.mark.slow  # an analysis in a cxlens subprocess; the logged-warning test stays fast
def test_python_warning_options_still_show_them(two_profiles: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "default", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "cxlens", "segments", "--no-save", "-w", str(two_profiles)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "ConvergenceWarning: Number of distinct clusters (2)" in proc.stderr


def test_library_warnings_are_logged_and_our_own_said_in_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    said: list[str] = []
    with (
        caplog.at_level(logging.DEBUG, logger="cxlens.cli._quiet"),
        warnings.catch_warnings(record=True) as leaked,
        quiet_library_warnings(said.append),
    ):
        with np.errstate(divide="warn"):
            np.log(np.zeros(1))  # numpy: RuntimeWarning, divide by zero
        # as if raised in cxlens's own code
        where = str(PACKAGE_DIR / "models" / "clv.py")
        warnings.warn_explicit("the CLV fit is degenerate", UserWarning, where, 1)
    assert leaked == []
    assert said == ["note: the CLV fit is degenerate"]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1 and logged[0].startswith("RuntimeWarning at ")
    assert "divide by zero" in logged[0]
