"""Building the report twice, in two processes, gives the same page apart from its timestamp."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Builds the report of the workspace in argv[1] into argv[2], in a fresh interpreter.
SCRIPT = """
import sys
import cxlens
from cxlens.report import build_report
with cxlens.Workspace(sys.argv[1]) as ws:
    build_report(ws, sys.argv[2], client="Northwind Connect")
"""

#: The footer's generation time and the cover's date: the only parts that may differ.
_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC|\d{1,2} [A-Z][a-z]+ \d{4}")


def _build(workspace: Path, out: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(workspace), str(out)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return _STAMP.sub("<time>", out.read_text(encoding="utf-8"))


@pytest.mark.slow  # builds the full report twice in fresh interpreters
def test_two_processes_write_the_same_report(analysed, tmp_path):
    _, folder = analysed
    first = _build(folder / "ws.duckdb", tmp_path / "first.html")
    second = _build(folder / "ws.duckdb", tmp_path / "second.html")
    assert "Churn risk" in first and "Customer lifetime value" in first
    if first != second:  # say where, not the whole 4 MB page
        lines = zip(first.splitlines(), second.splitlines(), strict=False)
        where, a, b = next((i, x, y) for i, (x, y) in enumerate(lines) if x != y)
        cut = next(k for k in range(min(len(a), len(b))) if a[k] != b[k])
        raise AssertionError(f"line {where} differs: {a[cut - 120 : cut + 60]!r} vs "
                             f"{b[cut - 120 : cut + 60]!r}")  # fmt: skip


def test_value_correlations_do_not_depend_on_the_order_customers_arrive_in():
    # a parallel engine returns the per-customer rows in any order; the seeded bootstrap
    # must meet them in one order, or its intervals (and the report) change between runs
    import numpy as np
    import pandas as pd

    from cxlens.analysis.monetization import correlation_table

    rng = np.random.default_rng(3)
    nps = rng.integers(0, 11, 400).astype(float)
    features = pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(400)], "mean_nps": nps,
        "revenue_12m": 10 * nps + rng.normal(0, 40, 400), "segment": rng.choice(["a", "b"], 400),
    })  # fmt: skip
    shuffled = features.sample(frac=1.0, random_state=1).reset_index(drop=True)
    kw = {"scores": ["nps"], "outcomes": ["revenue"], "n_boot": 200, "seed": 0}
    first, again = correlation_table(features, **kw), correlation_table(shuffled, **kw)
    pd.testing.assert_frame_equal(first, again)
