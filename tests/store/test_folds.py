"""A write that takes the WAL past the fold threshold folds it in at once, through a copy.

Without it a process that writes derived tables and never loads (``cxlens serve``, a notebook)
kept every write in the WAL until it closed: the WAL grew without bound and each open replayed
all of it (cxlens.store.engine, ``DuckDBEngine._fold_if_due``; docs/ingest.md). The fold
never writes the live file in place: checked, as in tests/store/test_checkpoints.py, through
a descriptor opened before the writes.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import ibis
import pandas as pd
import pytest

import cxlens
import cxlens.store.engine as engine_module
from cxlens.errors import WorkspaceError
from cxlens.identity.namespace import Identity
from cxlens.store.engine import (
    FOLD_THRESHOLD,
    DuckDBEngine,
    FoldFailedWarning,
    default_fold_threshold,
)
from tests.ingest.test_crash_safety import metadata_block_ids
from tests.store.test_checkpoints import comments, live_bytes, workspace_file

#: The threshold of these tests: 20,000 scored comments (``comments``) pass it, 100 do not.
SMALL = 256 * 1024


def wal_size(db: Path) -> int:
    wal = Path(f"{db}.wal")
    return wal.stat().st_size if wal.exists() else 0


def opened(db: Path, threshold: int | None = SMALL) -> cxlens.Workspace:
    ws = cxlens.Workspace(db)
    ws.engine.fold_threshold = threshold
    return ws


def stored_comments(db: Path) -> pd.DataFrame:
    with cxlens.Workspace(db) as ws:
        return ws.table("comment_scores").to_pandas().sort_values("response_id")


def same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> bool:
    expected = expected.sort_values("response_id")
    return got.reset_index(drop=True).equals(expected.reset_index(drop=True))


def test_a_write_past_the_threshold_folds_without_touching_the_live_file(tmp_path):
    """Fails on the code before: the WAL kept the 20,000 rows until the close."""
    db = workspace_file(tmp_path)
    live = metadata_block_ids(db)
    frame = comments(20_000)
    with db.open("rb") as original:
        before = live_bytes(original.read(), live)
        inode = db.stat().st_ino
        ws = opened(db)
        scores = ws.table("scores")  # held across the fold, with an in-memory table joined
        joined = scores.join(ibis.memtable({"x": [1, 3], "tag": ["a", "c"]}), "x")
        ws.save_table("comment_scores", frame)
        assert wal_size(db) < SMALL  # folded: the WAL is gone (or holds a few bytes)
        assert db.stat().st_ino != inode  # a copy was renamed over the file...
        original.seek(0)
        assert live_bytes(original.read(), live) == before  # ...never written in place
        assert sorted(joined.to_pandas()["tag"]) == ["a", "c"]  # the expressions still run
        assert int(ws.table("comment_scores").count().to_pyarrow().as_py()) == 20_000
        ws.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]
    assert same_rows(stored_comments(db), frame)


def test_a_write_below_the_threshold_stays_in_the_wal(tmp_path):
    db = workspace_file(tmp_path)
    inode = db.stat().st_ino
    ws = opened(db)
    ws.save_table("comment_scores", comments(100))
    assert 0 < wal_size(db) < SMALL
    assert db.stat().st_ino == inode  # no fold
    ws.close()
    assert same_rows(stored_comments(db), comments(100))


def test_writes_fold_once_their_wal_adds_up_past_the_threshold(tmp_path):
    """The WAL of many small writes is bounded: it never stays past the threshold."""
    db = workspace_file(tmp_path)
    ws = opened(db)
    inodes, sizes = [db.stat().st_ino], []
    for i in range(12):
        ws.save_table(f"part_{i % 3}", comments(5_000, seed=i))
        sizes.append(wal_size(db))
        inodes.append(db.stat().st_ino)
    assert max(sizes) < SMALL
    # a fold's copy is made while the file it replaces exists, so each fold changes the
    # inode number (a later copy may reuse an earlier, freed one)
    folds = sum(a != b for a, b in itertools.pairwise(inodes))
    assert folds >= 2  # it folded more than once
    ws.close()
    with cxlens.Workspace(db) as ws:
        got = ws.table("part_2").to_pandas().sort_values("response_id")
    assert same_rows(got, comments(5_000, seed=11))


def test_a_write_inside_a_transaction_folds_only_after_the_commit(tmp_path):
    """Fails on the code before at the last step: nothing folded after the commit."""
    db = workspace_file(tmp_path)
    ws = opened(db, threshold=None)
    ws.save_table("comment_scores", comments(20_000))  # past the threshold, no fold (off)
    ws.engine.fold_threshold = SMALL
    inode = db.stat().st_ino
    rows = pd.DataFrame({"x": [7, 8]})
    with ws.engine.transaction():
        ws.engine.append("scores", ibis.memtable(rows).to_pyarrow())  # a write: checks the WAL
        assert db.stat().st_ino == inode  # not in the middle of the transaction
        assert wal_size(db) > SMALL
        ws.engine.append("scores", ibis.memtable(rows).to_pyarrow())
    assert db.stat().st_ino != inode and wal_size(db) < SMALL  # folded once it committed
    assert sorted(ws.table("scores").x.to_pandas()) == [1, 2, 3, 7, 7, 8, 8]
    ws.close()


def test_a_rolled_back_transaction_does_not_fold(tmp_path):
    db = workspace_file(tmp_path)
    ws = opened(db, threshold=None)
    ws.save_table("comment_scores", comments(20_000))
    ws.engine.fold_threshold = SMALL
    inode = db.stat().st_ino
    with pytest.raises(RuntimeError, match="stop"), ws.engine.transaction():
        ws.engine.drop_table("scores")
        raise RuntimeError("stop")
    assert db.stat().st_ino == inode
    assert sorted(ws.table("scores").x.to_pandas()) == [1, 2, 3]
    ws.close()


def test_a_fold_is_skipped_while_another_connection_of_the_process_has_the_file(tmp_path):
    db = workspace_file(tmp_path)
    first, second = opened(db), cxlens.Workspace(db)
    inode = db.stat().st_ino
    first.save_table("comment_scores", comments(20_000))
    assert db.stat().st_ino == inode and wal_size(db) > SMALL  # not swapped under `second`
    assert int(second.table("comment_scores").count().to_pyarrow().as_py()) == 20_000
    second.close()
    first.save_table("more", comments(10))  # now alone: the next write folds
    assert db.stat().st_ino != inode and wal_size(db) < SMALL
    first.close()
    assert same_rows(stored_comments(db), comments(20_000))


def test_folds_held_waits_for_the_end_of_the_block(tmp_path):
    db = workspace_file(tmp_path)
    ws = opened(db)
    inode = db.stat().st_ino
    with ws.engine.folds_held():
        raw = ws.engine.con.con  # lent out (as to Splink): must stay open in the block
        ws.save_table("comment_scores", comments(20_000))
        with ws.engine.folds_held():
            ws.save_table("more", comments(10))
        assert db.stat().st_ino == inode  # the inner block's end is not the outer one's
        assert raw.execute("SELECT count(*) FROM comment_scores").fetchone() == (20_000,)
    assert db.stat().st_ino != inode and wal_size(db) < SMALL  # folded as the block ended
    ws.close()


def test_a_load_past_the_threshold_folds_once(tmp_path, monkeypatch):
    """A load holds folds through its commits and folds once it is published."""
    frame = comments(20_000).rename(columns={"text": "comment"})
    frame["responded_at"] = "2024-03-01"
    frame.to_csv(tmp_path / "answers.csv", index=False)
    db = tmp_path / "ws.duckdb"
    ws = opened(db)
    folds = []
    plain = DuckDBEngine._fold

    def counted(self):
        folds.append(wal_size(db))
        return plain(self)

    monkeypatch.setattr(DuckDBEngine, "_fold", counted)
    ws.ingest(tmp_path / "answers.csv", table="responses")
    assert len(folds) == 1 and folds[0] > SMALL  # one fold, of the whole load
    assert wal_size(db) < SMALL
    ws.close()


def test_identity_resolution_with_a_fold_after_every_write(tmp_path):
    """Splink keeps the raw DuckDB connection: a fold inside the resolution would close it
    under Splink ("Connection already closed"); the resolution holds folds until it ends."""
    records = pd.DataFrame(
        {
            "source": ["crm", "web", "support", "crm"],
            "source_id": ["1", "2", "3", "4"],
            "name": ["Ann Lee", "Lee, Ann", "Ann Lee", "Bob Stone"],
            "email": ["ann@x.example", "ANN@x.example", "ann@x.example", "bob@y.example"],
        }
    )
    records.to_csv(tmp_path / "i.csv", index=False)
    db = tmp_path / "ws.duckdb"
    ws = opened(db, threshold=1)  # every write folds
    ws.ingest(tmp_path / "i.csv", table="identities")
    found = Identity(ws).resolve(max_pairs=1e3)
    assert (found.records, found.customers) == (4, 2)
    got = Identity(ws).clusters().to_pandas().set_index("source_id")
    assert got.loc["1", "customer_id"] == got.loc["2", "customer_id"] == got.loc["3", "customer_id"]
    assert got.loc["4", "customer_id"] != got.loc["1", "customer_id"]
    assert wal_size(db) == 0  # the last write folded
    ws.close()


def test_the_threshold_is_duckdbs_default_unless_cxlens_fold_mb_says(monkeypatch):
    monkeypatch.delenv("CXLENS_FOLD_MB", raising=False)
    assert default_fold_threshold() == FOLD_THRESHOLD == 16 * 1024 * 1024
    con = ibis.duckdb.connect()
    assert con.raw_sql("SELECT current_setting('checkpoint_threshold')").fetchone() == ("16.0 MiB",)
    monkeypatch.setenv("CXLENS_FOLD_MB", "64")
    assert default_fold_threshold() == 64 * 1024 * 1024
    monkeypatch.setenv("CXLENS_FOLD_MB", "0.25")
    assert default_fold_threshold() == SMALL
    for bad in ("0", "-3", "lots", "nan"):
        monkeypatch.setenv("CXLENS_FOLD_MB", bad)
        with pytest.raises(WorkspaceError, match=f"CXLENS_FOLD_MB='{bad}' is not a positive"):
            cxlens.Workspace(":memory:")


#: The killed process: a derived write past a 256 KB threshold, whose fold prints "rename N"
#: before each of its renames and waits on stdin before rename PAUSE_AT_RENAME.
KILLED_WRITE = """
import os, sys, types
import cxlens
import cxlens.store.engine as engine_module
from tests.store.test_checkpoints import comments

renames = 0

def observed_replace(src, dst):
    global renames
    renames += 1
    print(f"rename {renames}", flush=True)
    if renames == int(os.environ["PAUSE_AT_RENAME"]):
        sys.stdin.readline()  # the parent kills us here
    os.replace(src, dst)

engine_module.os = types.SimpleNamespace(**{**vars(os), "replace": observed_replace})
ws = cxlens.Workspace(sys.argv[1])
ws.save_table("comment_scores", comments(20_000))
print("saved", flush=True)
"""


@pytest.mark.parametrize("rename", [1, 2])
def test_a_write_killed_inside_its_fold_keeps_the_write(tmp_path, rename):
    """SIGKILL before each rename of a fold that a write started: the write had committed,
    so the next open has it (the WAL replayed, or the folded copy swapped in) and no file
    is left over."""
    db = workspace_file(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITE, str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "CXLENS_FOLD_MB": "0.25", "PAUSE_AT_RENAME": str(rename),
             "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])},
    )  # fmt: skip
    for i in range(rename):
        assert proc.stdout.readline().strip() == f"rename {i + 1}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    left = sorted(p.name for p in tmp_path.iterdir())
    if rename == 1:  # the copy is folded; the file and its WAL are untouched
        assert left == ["ws.duckdb", "ws.duckdb.cxlens-folded", "ws.duckdb.wal"]
    else:  # the WAL is aside, the copy not yet over the file
        assert left == ["ws.duckdb", "ws.duckdb.cxlens-folded", "ws.duckdb.cxlens-folded-wal"]
    assert same_rows(stored_comments(db), comments(20_000))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]


# -- a fold that fails (a full disk): the write and the close go on, the WAL stays whole --------


def full_disk(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the fold's copy fail as on a full disk; return the copies it tried."""
    tried: list[str] = []

    def no_space(src: str, dst: str) -> None:
        tried.append(Path(dst).name)
        raise OSError(errno.ENOSPC, "No space left on device")

    patched = SimpleNamespace(**{**vars(shutil), "copyfile": no_space})
    monkeypatch.setattr(engine_module, "shutil", patched)
    return tried


def test_a_fold_that_fails_at_close_warns_closes_and_keeps_the_wal(tmp_path, monkeypatch):
    db = workspace_file(tmp_path)
    ws = opened(db, threshold=None)  # the WAL of 20,000 rows waits for the close
    ws.save_table("comment_scores", comments(20_000))
    wal = Path(f"{db}.wal")
    needed = (db.stat().st_size + wal.stat().st_size) / 1e6
    wal_bytes = wal.read_bytes()
    full_disk(monkeypatch)
    with pytest.warns(FoldFailedWarning) as caught:
        ws.close()
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"could not fold the write-ahead log of {db} into it: ")
    assert "No space left on device" in message
    assert f"The log (ws.duckdb.wal, {len(wal_bytes) / 1e6:,.1f} MB) is kept whole" in message
    assert "replayed the next time the workspace opens" in message
    assert f"needs about {needed:,.1f} MB free in {tmp_path}" in message
    assert re.search(r"for a copy of the file and its log, [\d,]+\.\d MB free now$", message)
    with pytest.raises(Exception, match="closed"):  # closed all the same
        ws.engine.con.con.execute("SELECT 1")
    assert wal.read_bytes() == wal_bytes  # whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb", "ws.duckdb.wal"]
    monkeypatch.undo()
    assert same_rows(stored_comments(db), comments(20_000))  # replayed; that close folded it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]


def test_a_fold_that_fails_after_a_write_warns_and_waits_for_another_threshold(
    tmp_path, monkeypatch
):
    db = workspace_file(tmp_path)
    ws = opened(db)
    tried = full_disk(monkeypatch)
    with pytest.warns(FoldFailedWarning, match="No space left on device"):
        ws.save_table("comment_scores", comments(20_000))
    assert tried == ["ws.duckdb.cxlens-folded"]
    assert int(ws.table("comment_scores").count().to_pyarrow().as_py()) == 20_000  # committed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb", "ws.duckdb.wal"]
    ws.save_table("more", comments(10))  # still past the threshold: not tried again yet
    assert len(tried) == 1
    with pytest.warns(FoldFailedWarning):  # another threshold's worth: tried again
        ws.save_table("again", comments(20_000, seed=3))
    assert len(tried) == 2
    monkeypatch.undo()
    ws.save_table("last", comments(20_000, seed=4))  # the disk has room again: folded
    assert wal_size(db) < SMALL
    ws.save_table("after", comments(20_000, seed=5))  # and the threshold is 256 KB again
    assert wal_size(db) < SMALL
    ws.close()
    assert same_rows(stored_comments(db), comments(20_000))


#: The CLI with the fold's copy failing as on a full disk.
CLI_ON_A_FULL_DISK = """
import errno, shutil, sys, types
import cxlens.store.engine as engine_module
from cxlens.cli import app

def no_space(src, dst):
    raise OSError(errno.ENOSPC, "No space left on device")

engine_module.shutil = types.SimpleNamespace(**{**vars(shutil), "copyfile": no_space})
app(sys.argv[1:], prog_name="cxlens")
"""


def test_the_cli_prints_one_line_when_the_fold_at_close_fails(tmp_path):
    db = workspace_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run(
        [sys.executable, "-c", CLI_ON_A_FULL_DISK, "names", "set", "small_business",
         "Small firms", "-w", str(db)],
        capture_output=True, text=True, env={**env, "COLUMNS": "80"}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "small_business now reads 'Small firms'" in done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr  # one line, not wrapped at 80 columns
    assert lines[0].startswith(f"warning: could not fold the write-ahead log of {db} into it: ")
    for part in (
        "No space left on device",
        "(ws.duckdb.wal, ",
        "is kept whole and replayed the next time the workspace opens",
        f"MB free in {tmp_path} for a copy",
    ):
        assert part in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb", "ws.duckdb.wal"]
    with cxlens.Workspace(db) as ws:
        assert ws.display_names.get() == {"small_business": "Small firms"}
