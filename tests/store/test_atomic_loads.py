"""A load is atomic: an error or a SIGKILL in the middle leaves the Workspace as it was."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import cxlens


def snapshot(path):
    with cxlens.Workspace(path) as ws:
        tables = {t: ws.table(t).order_by("_source_row").execute() for t in ws.tables()}
        return tables, ws.loads(), ws.quarantine()


def assert_same(before, after):
    assert before[0].keys() == after[0].keys()
    for name in before[0]:
        pd.testing.assert_frame_equal(before[0][name], after[0][name])
    pd.testing.assert_frame_equal(before[1], after[1])
    pd.testing.assert_frame_equal(before[2], after[2])


def write_big_csv(path, rows, bad_every=1000):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "response_id": [f"big{i}" for i in range(rows)],
            "responded_at": "2024-03-01",
            "nps": rng.integers(0, 11, rows).astype(str),
        }
    )
    frame.loc[::bad_every, "nps"] = "12"  # some quarantine rows too
    frame.to_csv(path, index=False)


@pytest.fixture
def seeded(tmp_path):
    db = tmp_path / "ws.duckdb"
    (tmp_path / "small.csv").write_text(
        "response_id,responded_at,nps\nr1,2024-01-01,9\nr2,2024-01-02,15\n"
    )
    with cxlens.Workspace(db) as ws:
        ws.ingest(tmp_path / "small.csv", table="responses")
    return db


def test_an_error_mid_load_rolls_everything_back(tmp_path, seeded):
    write_big_csv(tmp_path / "big.csv", 250_000)
    before = snapshot(seeded)

    def interrupt_after_first_chunk(rows):
        raise KeyboardInterrupt

    with cxlens.Workspace(seeded) as ws, pytest.raises(KeyboardInterrupt):
        ws.ingest(tmp_path / "big.csv", table="responses", progress=interrupt_after_first_chunk)
    assert_same(before, snapshot(seeded))


@pytest.mark.slow  # a SIGKILLed subprocess load; the kills at each commit stay fast
def test_sigkill_mid_load_leaves_the_workspace_as_before(tmp_path, seeded):
    write_big_csv(tmp_path / "big.csv", 600_000)
    before = snapshot(seeded)
    script = textwrap.dedent(f"""
        import sys, cxlens
        ws = cxlens.Workspace({str(seeded)!r})
        def report(rows):
            print("chunk", rows, flush=True)
        ws.ingest({str(tmp_path / "big.csv")!r}, table="responses", progress=report)
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the first chunk is written inside the open transaction
    assert line.startswith("chunk"), line
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert_same(before, snapshot(seeded))
    # and the workspace still works: the same file now loads in full
    with cxlens.Workspace(seeded) as ws:
        result = ws.ingest(tmp_path / "big.csv", table="responses")
        assert result.rows_loaded + result.rows_quarantined == 600_000
        assert result.rows_quarantined == 600
        assert ws.table("responses").count().execute() == 1 + result.rows_loaded
