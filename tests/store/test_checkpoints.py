"""cxlens never checkpoints a live DuckDB file: every write of a session (a derived table, an
erasure, a load) only appends to the write-ahead log, and closing folds it in through a
checkpointed copy renamed over the file (cxlens.store.engine; docs/ingest.md, "Atomic and
idempotent"). A DuckDB checkpoint rewrites the metadata block the file's header points to in
place, and a kill inside that write leaves a file that no longer opens
(tests/ingest/test_crash_safety.py shows the torn file).

"In place" is seen through a descriptor opened before the writes: it keeps reading the
original file (inode) even once a copy is renamed over its name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import ibis
import numpy as np
import pandas as pd
import pytest

import cxlens
import cxlens.store.engine as engine_module
from tests.ingest.test_crash_safety import HEADER_BYTES, block_bytes, metadata_block_ids

#: A threshold that a 20,000-row derived table's commit passes (DuckDB's default is 16 MB, which
#: derived tables of a million rows pass), as tests/ingest/test_crash_safety.py's CLI sets it.
SMALL_THRESHOLD = "256KB"


def comments(rows: int, seed: int = 7) -> pd.DataFrame:
    """A derived table of ``rows`` scored comments (written through Arrow, whose rows go to
    the WAL: past 256 KB at 20,000 rows)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "response_id": [f"r{i}" for i in range(rows)],
        "text": [f"comment number {i} about billing" for i in range(rows)],
        "score": rng.normal(size=rows),
    })  # fmt: skip


def live_bytes(data: bytes, blocks: list[int]) -> list[bytes]:
    """The file's headers and the metadata blocks they point to, from the file's bytes."""
    return [data[:HEADER_BYTES], *(block_bytes(data, b) for b in blocks)]


def workspace_file(folder: Path) -> Path:
    """A checkpointed workspace file, alone in ``folder``, holding table ``scores`` (3 rows)."""
    db = folder / "ws.duckdb"
    with cxlens.Workspace(db) as ws:
        ws.save_table("scores", pd.DataFrame({"x": [1, 2, 3]}))
    assert sorted(p.name for p in folder.iterdir()) == ["ws.duckdb"]
    return db


def test_a_derived_table_past_the_threshold_leaves_the_live_file_untouched(tmp_path):
    """Fails on the code before: the write's commit (past the threshold) checkpointed in
    place, and so did the close."""
    db = workspace_file(tmp_path)
    live = metadata_block_ids(db)
    frame = comments(20_000)
    with db.open("rb") as original:
        before = live_bytes(original.read(), live)
        ws = cxlens.Workspace(ibis.duckdb.connect(db, checkpoint_threshold=SMALL_THRESHOLD))
        ws.save_table("comment_scores", frame)
        original.seek(0)
        assert live_bytes(original.read(), live) == before  # the write went to the WAL only
        assert Path(f"{db}.wal").stat().st_size > 256 * 1024  # past the threshold
        ws.close()
        original.seek(0)
        assert live_bytes(original.read(), live) == before  # the fold wrote a copy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]
    with cxlens.Workspace(db) as ws:
        stored = ws.table("comment_scores").to_pandas().sort_values("response_id")
    expected = frame.sort_values("response_id")
    assert stored.reset_index(drop=True).equals(expected.reset_index(drop=True))


def test_a_workspace_closed_after_writes_leaves_no_wal_and_keeps_them(tmp_path):
    db = workspace_file(tmp_path)
    ws = cxlens.Workspace(db)
    ws.save_table("scores", pd.DataFrame({"x": [10, 20]}))
    t = ws.table("scores")
    ws.save_table("doubled", t.mutate(y=t.x * 2))
    assert Path(f"{db}.wal").stat().st_size > 0  # the session's writes wait in the WAL
    ws.close()
    ws.close()  # again: nothing to do
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]
    with cxlens.Workspace(db) as ws:
        assert ws.table("doubled").to_pandas().sort_values("x")["y"].tolist() == [20, 40]


def test_a_session_that_only_reads_leaves_the_file_as_it_was(tmp_path):
    db = workspace_file(tmp_path)
    before = db.stat()
    with cxlens.Workspace(db) as ws:
        assert ws.table("scores").x.sum().to_pyarrow().as_py() == 6
    after = db.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # no fold
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]


def test_beside_another_workspace_of_this_process_the_last_close_folds(tmp_path):
    """Two Workspaces of one process share one DuckDB database: the first close leaves the
    WAL (a fold would swap the file under the other), the last one folds it in."""
    db = workspace_file(tmp_path)
    first, second = cxlens.Workspace(db), cxlens.Workspace(db)
    first.save_table("scores", pd.DataFrame({"x": [4, 5]}))
    first.close()
    assert Path(f"{db}.wal").stat().st_size > 0
    assert second.table("scores").x.sum().to_pyarrow().as_py() == 9
    second.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]
    with cxlens.Workspace(db) as ws:
        assert sorted(ws.table("scores").x.to_pandas()) == [4, 5]


def test_a_close_asks_no_other_connection_which_file_it_holds(tmp_path):
    """Another thread may be running a statement on another workspace's connection (a
    server's warm-up), and a DuckDB connection serves one at a time: a close that asked it
    for its file waited on it, once for good (the API tests hung so). A close compares the
    paths the engines opened."""

    class Busy:
        def execute(self, *args, **kwargs):
            raise AssertionError("a close queried another workspace's connection")

    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir(), theirs.mkdir()
    db = workspace_file(mine)
    other = cxlens.Workspace(workspace_file(theirs))
    real, other.engine._raw = other.engine._raw, Busy()
    ws = cxlens.Workspace(db)
    ws.save_table("scores", pd.DataFrame({"x": [7]}))
    ws.close()  # folds: the other workspace holds another file
    assert not Path(f"{db}.wal").exists()
    other.engine._raw = real
    other.close()


def test_an_in_memory_workspace_closes_without_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = cxlens.Workspace(":memory:")
    ws.save_table("scores", pd.DataFrame({"x": [1]}))
    ws.close()
    assert list(tmp_path.iterdir()) == []


def test_compact_checkpoints_only_its_copy(tmp_path):
    """Erasure's rewrite copies the live data into a fresh file and checkpoints that; the
    code before checkpointed the live file first, in place."""
    db = workspace_file(tmp_path)
    live = metadata_block_ids(db)
    with db.open("rb") as original:
        before = live_bytes(original.read(), live)
        ws = cxlens.Workspace(db)
        t = ws.table("scores")
        assert ws.engine.delete_where("scores", t.x == 2) == 1
        assert ws.engine.compact() == db
        original.seek(0)
        assert live_bytes(original.read(), live) == before
        assert sorted(ws.table("scores").x.to_pandas()) == [1, 3]
        ws.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]
    with cxlens.Workspace(db) as ws:
        assert sorted(ws.table("scores").x.to_pandas()) == [1, 3]


def test_a_compaction_cut_between_its_renames_is_finished_on_the_next_open(tmp_path, monkeypatch):
    """The WAL was renamed aside, the compacted copy not yet over the file (as a kill there
    leaves it): the next open takes the copy, with the deletion."""
    db = workspace_file(tmp_path)
    ws = cxlens.Workspace(db)
    t = ws.table("scores")
    ws.engine.delete_where("scores", t.x == 2)
    renames = []

    def cut(src: str, dst: str) -> None:
        renames.append(Path(dst).name)  # the WAL aside, then the copy over the file
        if len(renames) == 2:
            raise KeyboardInterrupt("killed")
        os.replace(src, dst)

    monkeypatch.setattr(engine_module, "os", SimpleNamespace(**{**vars(os), "replace": cut}))
    with pytest.raises(KeyboardInterrupt):
        ws.engine.compact()
    monkeypatch.undo()
    ws.con.con.close()  # the process dies: no fold, no checkpoint
    assert renames == ["ws.duckdb.cxlens-folded-wal", "ws.duckdb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ws.duckdb",
        "ws.duckdb.cxlens-folded",
        "ws.duckdb.cxlens-folded-wal",
    ]
    with cxlens.Workspace(db) as ws:
        assert sorted(ws.table("scores").x.to_pandas()) == [1, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]


#: The killed process: rewrites table ``scores`` (3 rows) with ROWS rows computed in DuckDB,
#: then closes (the fold), printing a line as each step starts.
SAVE_SCRIPT = """
import sys
import ibis
import cxlens

ws = cxlens.Workspace(sys.argv[1])
rows = ibis.range(int(sys.argv[2])).unnest().name("x").as_table()
print("saving", flush=True)
ws.save_table("scores", rows.mutate(label=ibis.literal("score ") + rows.x.cast("string")))
print("closing", flush=True)
ws.close()
print("closed", flush=True)
"""
ROWS = 1_000_000


def save_in_a_subprocess(db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SAVE_SCRIPT, str(db), str(ROWS)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def scores(db: Path) -> tuple[int, int]:
    """(rows, sum of x) of table ``scores``, as a new process would open it."""
    with cxlens.Workspace(db) as ws:
        t = ws.table("scores")
        row = ws.engine.execute(t.aggregate(n=t.count(), s=t.x.sum())).iloc[0]
        return int(row["n"]), int(row["s"])


def test_a_save_table_killed_at_any_moment_leaves_the_table_before_or_after(tmp_path):
    """SIGKILL a process writing a million-row derived table, at moments spread from the
    start of the write to the end of its close (the fold), measured on a reference run."""
    before, after = (3, 6), (ROWS, ROWS * (ROWS - 1) // 2)
    (tmp_path / "reference").mkdir()
    reference = workspace_file(tmp_path / "reference")
    proc = save_in_a_subprocess(reference)
    moments = {}
    for line in proc.stdout:
        moments[line.strip()] = time.monotonic()
    assert proc.wait(timeout=120) == 0
    assert scores(reference) == after
    span = moments["closed"] - moments["saving"]
    seen = []
    for i, fraction in enumerate((0.1, 0.4, 0.7, 0.95)):
        folder = tmp_path / f"trial-{i}"
        folder.mkdir()
        db = workspace_file(folder)
        proc = save_in_a_subprocess(db)
        assert proc.stdout.readline().strip() == "saving"
        time.sleep(fraction * span)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        state = scores(db)
        assert state in (before, after), f"killed at {fraction:.0%} of the write and close"
        seen.append("before" if state == before else "after")
        assert sorted(p.name for p in folder.iterdir()) == ["ws.duckdb"]  # opening tidied up
    print("killed save_table (state per trial):", seen)
