"""Loads survive SIGKILL: a real `cxlens ingest` killed at any moment leaves the workspace
exactly as before or exactly as after, and the re-run loads the file exactly once.

The loader publishes a load in commits (bookkeeping tables, announce, write, publish; see
cxlens.ingest.load). The killed process is the CLI itself, run in a subprocess. To aim at a
commit, the subprocess runs the CLI with DuckDBEngine.transaction wrapped so that it prints
"commit N" just before the engine's COMMIT (and, for the deterministic tests, waits there),
and on a connection that comes with a 256 KB checkpoint threshold, set before the engine
opens on it: at that threshold the write commit would checkpoint its WAL into the database
file, as DuckDB does for a load of millions of rows at its default 16 MB. The engine's
session-wide hold (DuckDBEngine._hold_checkpoints) overrules the setting, and the loader folds
the WAL in through a copy of the file
(test_cxlens_ingest_leaves_what_the_file_header_points_to_untouched).
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import cxlens
from cxlens.ingest.mapping import mapping_from_options

ROWS = 60_000
BAD_EVERY = 1_000  # nps 12: quarantined
MAP = ["note=survey_note"]  # a column the stored table lacks: the load adds it
#: commits of one load into a workspace that has its bookkeeping tables
BOOKKEEPING, ANNOUNCE, WRITE, PUBLISH = 1, 2, 3, 4

OBSERVED_CLI = """
import os
import sys
import types
from contextlib import contextmanager
import cxlens.store.engine as engine_module
from cxlens.store.engine import DuckDBEngine
from cxlens.cli import app

plain = DuckDBEngine.transaction
count = 0
pause_at = int(os.environ.get("PAUSE_AT_COMMIT", "0"))
renames = 0
pause_at_rename = int(os.environ.get("PAUSE_AT_RENAME", "0"))

@contextmanager
def observed(self):
    global count
    with plain(self):
        yield
        count += 1
        print(f"commit {count}", flush=True)  # the COMMIT runs when this block ends
        if count == pause_at:
            sys.stdin.readline()  # the parent kills us here

plain_init = DuckDBEngine.__init__

def small_checkpoints(self, con):
    # the connection comes with a 256 KB threshold (ibis.duckdb.connect(db,
    # checkpoint_threshold=...) gives one so): this load's write commit passes it, as a
    # multi-million-row load passes DuckDB's 16 MB; the engine's hold must overrule it
    con.con.execute("SET checkpoint_threshold = '256KB'")
    plain_init(self, con)

def observed_replace(src, dst):
    global renames
    renames += 1
    print(f"rename {renames}", flush=True)  # the fold's renames (cxlens.store.engine)
    if renames == pause_at_rename:
        sys.stdin.readline()
    os.replace(src, dst)

DuckDBEngine.transaction = observed
DuckDBEngine.__init__ = small_checkpoints
engine_module.os = types.SimpleNamespace(**{**vars(os), "replace": observed_replace})
app(sys.argv[1:], prog_name="cxlens")
"""


def write_big_csv(path: Path, rows: int = ROWS) -> Path:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "response_id": [f"big{i}" for i in range(rows)],
        "responded_at": "2024-03-01",
        "nps": rng.integers(0, 11, rows).astype(str),
        "note": [f"note {i}" for i in range(rows)],
    })  # fmt: skip
    frame.loc[::BAD_EVERY, "nps"] = "12"
    frame.to_csv(path, index=False)
    return path


def ingest_args(csv: Path, db: Path) -> list[str]:
    args = ["ingest", str(csv), "--as", "responses", "-w", str(db)]
    for item in MAP:
        args += ["--map", item]
    return args


@functools.cache
def observed_cli() -> Path:
    """Write the observed CLI as a script named ``cxlens`` (so `ps` shows `cxlens ingest`)."""
    script = Path(tempfile.mkdtemp(prefix="cxlens-observed-")) / "cxlens"
    script.write_text(OBSERVED_CLI)
    return script


def cli(
    *args: str, pause_at: int = 0, pause_at_rename: int = 0, stdin: int | None = None
) -> subprocess.Popen:
    """Start `cxlens ARGS` in a subprocess that prints "commit N" before each COMMIT and
    "rename N" before each rename of the fold.

    With ``pause_at`` (``pause_at_rename``) it waits before COMMIT (rename) number N until a
    line on stdin.
    """
    return subprocess.Popen(
        [sys.executable, str(observed_cli()), *args],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PAUSE_AT_COMMIT": str(pause_at),
             "PAUSE_AT_RENAME": str(pause_at_rename)},
    )  # fmt: skip


def state(db: Path) -> dict[str, object]:
    """Everything a user can see, with load ids replaced by their file (they differ per run).

    Rows of a load that is not complete keep the marker UNPUBLISHED, so they never compare
    equal to a clean workspace.
    """
    with cxlens.Workspace(db) as ws:
        loads = ws.loads()
        names = dict(zip(loads["load_id"], loads["source_file"], strict=True))
        tables = {}
        for name in ws.tables():
            rows = ws.table(name).execute()
            rows["_load_id"] = rows["_load_id"].map(names).fillna("UNPUBLISHED")
            tables[name] = rows.sort_values(["_source_file", "_source_row"], ignore_index=True)
        quarantine = ws.quarantine()
        quarantine["load_id"] = quarantine["load_id"].map(names).fillna("UNPUBLISHED")
        quarantine = quarantine.sort_values(
            ["source_file", "source_row", "column"], ignore_index=True
        )
        return {
            "engine tables": ws.engine.list_tables(),
            "columns": {t: ws.engine.columns(t) for t in ws.tables()},
            "tables": tables,
            "loads": loads.drop(columns=["load_id", "loaded_at"]),
            "quarantine": quarantine,
        }


def same(a: dict[str, object], b: dict[str, object]) -> bool:
    if a["engine tables"] != b["engine tables"] or a["columns"] != b["columns"]:
        return False
    if a["tables"].keys() != b["tables"].keys():
        return False
    frames = [(a["loads"], b["loads"]), (a["quarantine"], b["quarantine"])]
    frames += [(a["tables"][t], b["tables"][t]) for t in a["tables"]]
    return all(x.equals(y) for x, y in frames)


def copy_workspace(source: Path, target: Path) -> Path:
    for suffix in ("", ".wal"):
        src = Path(str(source) + suffix)
        if src.exists():
            shutil.copyfile(src, Path(str(target) + suffix))
    return target


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A seeded workspace (one earlier load), the big file, and the reference after-state."""
    root = tmp_path_factory.mktemp("crash")
    seeded = root / "seeded.duckdb"
    small = root / "small.csv"
    small.write_text("response_id,responded_at,nps\nr1,2024-01-01,9\nr2,2024-01-02,15\n")
    with cxlens.Workspace(seeded) as ws:
        ws.ingest(small, table="responses")
    big = write_big_csv(root / "big.csv")
    after = copy_workspace(seeded, root / "after.duckdb")
    return {
        "root": root, "seeded": seeded, "big": big, "timeline": timeline(big, after),
        "before": state(seeded), "after": state(after),
    }  # fmt: skip


def timeline(big: Path, db: Path) -> list[float]:
    """Load ``big`` into ``db`` through the CLI; return when each commit started and it ended.

    Seconds from the start of the first commit: ``[0, announce, write, publish, exit]``,
    each the moment the subprocess printed "commit N" (just before that COMMIT).
    """
    proc = cli(*ingest_args(big, db))
    moments = []
    for line in proc.stdout:  # the commits, then the CLI's own output
        if line.startswith("commit"):
            moments.append(time.monotonic())
    assert proc.wait(timeout=300) == 0
    moments.append(time.monotonic())
    assert len(moments) == PUBLISH + 1
    return [m - moments[0] for m in moments]


def test_the_reference_load_is_what_the_file_says(world):
    after = world["after"]
    bad = len(range(0, ROWS, BAD_EVERY))
    loaded = after["tables"]["responses"]
    assert (loaded["_source_file"] == "big.csv").sum() == ROWS - bad
    assert "survey_note" in after["columns"]["responses"]
    assert "survey_note" not in world["before"]["columns"]["responses"]
    q = after["quarantine"]
    assert q.loc[q.source_file == "big.csv", "source_row"].tolist() == [
        i + 2 for i in range(0, ROWS, BAD_EVERY)
    ]
    assert not same(world["before"], after)


def rerun(db: Path, big: Path) -> str:
    """Load the big file again in this process, with the options the CLI was given."""
    with cxlens.Workspace(db) as ws:
        return ws.ingest(big, mapping=mapping_from_options("responses", MAP, None)).status


def kill_at_the_commit(world, name: str, commit: int) -> Path:
    """Run the CLI, stop it just before COMMIT number ``commit`` and SIGKILL it there."""
    db = copy_workspace(world["seeded"], world["root"] / name)
    proc = cli(*ingest_args(world["big"], db), pause_at=commit, stdin=subprocess.PIPE)
    for _ in range(commit):
        assert proc.stdout.readline().startswith("commit")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return db


@pytest.mark.parametrize("commit", [ANNOUNCE, WRITE, PUBLISH])
def test_a_load_killed_before_a_commit_is_rolled_back_and_logged(world, commit):
    db = kill_at_the_commit(world, f"before-{commit}.duckdb", commit)
    assert same(state(db), world["before"])  # opening rolled it back
    with cxlens.Workspace(db) as ws:
        rolled = ws.loads(rolled_back=True)
    rolled = rolled[rolled.status == "rolled back"]
    if commit == ANNOUNCE:  # the pending record was never committed: nothing to roll back
        assert rolled.empty
    else:
        removed = ROWS - len(range(0, ROWS, BAD_EVERY)) if commit == PUBLISH else 0
        assert rolled["source_file"].tolist() == ["big.csv"]
        assert rolled["note"].tolist() == [
            f"rolled back when the workspace was next opened: {removed:,} rows removed"
        ]
    assert rerun(db, world["big"]) == "loaded"
    assert same(state(db), world["after"])


def test_cxlens_loads_lists_the_rolled_back_load(world):
    db = kill_at_the_commit(world, "listed.duckdb", PUBLISH)
    shown = subprocess.run(
        [sys.executable, "-m", "cxlens", "loads", "-w", str(db)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if "big.csv" in line]
    assert len(lines) == 1 and "rolled back" in lines[0], shown.stdout


def test_a_new_table_created_by_an_unpublished_load_is_dropped(world, tmp_path):
    db = tmp_path / "fresh.duckdb"
    proc = cli(*ingest_args(world["big"], db), pause_at=PUBLISH, stdin=subprocess.PIPE)
    for _ in range(PUBLISH):
        assert proc.stdout.readline().startswith("commit")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with cxlens.Workspace(db) as ws:
        assert ws.tables() == []
        assert ws.quarantine().empty
        assert ws.loads(rolled_back=True)["status"].tolist() == ["rolled back"]


def test_a_workspace_opened_beside_a_load_in_this_process_leaves_it_alone(world, tmp_path):
    db = copy_workspace(world["seeded"], tmp_path / "beside.duckdb")
    seen = []

    def open_another(rows):
        with cxlens.Workspace(db) as other:
            seen.append(other.rolled_back)

    with cxlens.Workspace(db) as ws:
        result = ws.ingest(
            world["big"], mapping=mapping_from_options("responses", MAP, None),
            progress=open_another,
        )  # fmt: skip
    assert result.status == "loaded" and seen and all(r == [] for r in seen)
    assert same(state(db), world["after"])


def kill_trial(world, trial: int, rng: random.Random) -> tuple[str, str]:
    """Kill one `cxlens ingest` at a random moment or around a commit; check; re-run.

    Returns ``(how it was killed, "before" or "after")``.
    """
    db = copy_workspace(world["seeded"], world["root"] / f"trial-{trial}.duckdb")
    aim = ("any moment", ANNOUNCE, WRITE, PUBLISH, "any moment")[trial % 5]
    proc = cli(*ingest_args(world["big"], db))
    moments = world["timeline"]  # of the reference load, from its first commit
    start = BOOKKEEPING if aim == "any moment" else aim
    for _ in range(start):  # wait for the line printed as that commit starts
        if not proc.stdout.readline():  # finished first
            break
    if aim == "any moment":  # anywhere from the first commit to the end
        time.sleep(rng.uniform(0, moments[-1]))
    else:  # from that commit's start to the next one's (in the reference), and half again
        time.sleep(rng.uniform(0, 1.5 * (moments[aim] - moments[aim - 1])))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    now = state(db)
    assert same(now, world["before"]) or same(now, world["after"]), f"trial {trial}: {aim}"
    where = "before" if same(now, world["before"]) else "after"
    assert rerun(db, world["big"]) == ("loaded" if where == "before" else "already loaded")
    assert same(state(db), world["after"]), f"trial {trial}: the re-run did not load once"
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return f"{aim}", where


@contextlib.contextmanager
def busy_neighbour():
    """A niced busy loop beside the trials, as on the loaded CI machine where the defect showed."""
    proc = subprocess.Popen([sys.executable, "-c", "import os; os.nice(19)\nwhile True: pass"])
    try:
        yield
    finally:
        proc.kill()
        proc.wait(timeout=30)


def run_trials(world, trials: int) -> list[tuple[str, str]]:
    rng = random.Random(20241205)
    with busy_neighbour():
        outcomes = [kill_trial(world, trial, rng) for trial in range(trials)]
    print("kill trials (aim, state):", pd.Series(outcomes).value_counts().to_dict())
    return outcomes


@pytest.mark.slow  # five loads SIGKILLed at random; the killed-at-each-commit cases stay fast
def test_sigkill_at_random_moments_and_commits_leaves_before_or_after(world):
    assert len(run_trials(world, 5)) == 5


@pytest.mark.slow
def test_sigkill_fifty_times_leaves_before_or_after(world):
    assert len(run_trials(world, 50)) == 50


#: DuckDB's default block size, and the file header and two database headers before block 0
BLOCK_BYTES = 262_144
HEADER_BYTES = 3 * 4096


def block_bytes(data: bytes, block_id: int) -> bytes:
    start = HEADER_BYTES + block_id * BLOCK_BYTES
    return data[start : start + BLOCK_BYTES]


def metadata_block_ids(db: Path) -> list[int]:
    """The blocks holding the metadata that the file's header points to (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            row[0] for row in con.execute("SELECT block_id FROM pragma_metadata_info()").fetchall()
        ]
    finally:
        con.close()


def test_a_checkpoint_cut_inside_its_metadata_write_leaves_an_unreadable_file(tmp_path):
    """The defect's cause, in DuckDB itself (1.5.6): a checkpoint rewrites metadata block 0 in
    place (new metadata into its free part, the part the header points to unchanged), and a
    SIGKILL can stop a buffered 256 KB write between two pages. The file as such a kill leaves
    it (the old header, the WAL, block 0 half written) no longer opens, with the error the CI
    run met; cut before or after that write, DuckDB replays the WAL and loses nothing.
    """
    db = tmp_path / "torn.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    con.close()  # checkpointed: the file alone holds the table
    assert metadata_block_ids(db) == [0]
    before = db.read_bytes()
    con = duckdb.connect(str(db))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("INSERT INTO t SELECT range FROM range(1000, 2000)")  # committed, in the WAL
    wal = Path(str(db) + ".wal").read_bytes()
    con.execute("CHECKPOINT")
    after = db.read_bytes()
    con.close()
    assert block_bytes(before, 0) != block_bytes(after, 0)  # rewritten in place

    def killed_inside(written: int) -> Path:
        """The old file with block 0's first ``written`` bytes as the checkpoint wrote them."""
        torn = bytearray(before)
        start = HEADER_BYTES
        torn[start : start + written] = after[start : start + written]
        path = tmp_path / f"killed-{written}.duckdb"
        path.write_bytes(bytes(torn))
        Path(str(path) + ".wal").write_bytes(wal)
        return path

    for written in (0, BLOCK_BYTES):  # before the write, or after it and before the header
        con = duckdb.connect(str(killed_inside(written)))
        assert con.execute("SELECT count(*), sum(i) FROM t").fetchone() == (2000, 1999 * 2000 // 2)
        con.close()
    with pytest.raises(duckdb.IOException, match=r"Corrupt database file.*block at location 12288"):
        duckdb.connect(str(killed_inside(4096)))  # one page written: new checksum, old data


def test_cxlens_ingest_leaves_what_the_file_header_points_to_untouched(world, tmp_path):
    """The fix: a whole `cxlens ingest` on a connection opened with a 256 KB threshold
    (which makes its write commit checkpoint) never writes the file in place: read through a
    descriptor opened before, the file's headers and the metadata blocks they point to are
    byte for byte as they were, so no kill can cut a write to them short. The load reaches the
    file by a rename of a folded copy. This is the engine's hold at work: without its settings
    the write commit checkpoints in place and this fails; at DuckDB's default 16 MB this load
    would not checkpoint, which is why the threshold is set.
    """
    db = copy_workspace(world["seeded"], tmp_path / "in-place.duckdb")
    duckdb.connect(str(db)).close()  # a checkpointed file, without a WAL
    live = metadata_block_ids(db)
    with db.open("rb") as original:  # keeps reading the original file, even once replaced
        before = original.read()
        proc = cli(*ingest_args(world["big"], db))
        proc.communicate(timeout=300)
        assert proc.returncode == 0
        original.seek(0)
        after = original.read()
    assert after[:HEADER_BYTES] == before[:HEADER_BYTES]
    assert [block_bytes(after, b) == block_bytes(before, b) for b in live] == [True] * len(live)
    assert not Path(str(db) + ".wal").exists()  # folded in: the file alone is the workspace
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-place.duckdb"]
    assert same(state(db), world["after"])


def kill_at_the_rename(world, name: str, rename: int) -> Path:
    """Run the CLI, stop it before the fold's rename number ``rename`` and SIGKILL it there.

    The fold renames the WAL aside (1), then the folded copy over the file (2).
    """
    db = copy_workspace(world["seeded"], world["root"] / name)
    proc = cli(*ingest_args(world["big"], db), pause_at_rename=rename, stdin=subprocess.PIPE)
    for _ in range(PUBLISH):
        assert proc.stdout.readline().startswith("commit")
    for _ in range(rename):
        assert proc.stdout.readline().startswith("rename")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return db


@pytest.mark.parametrize("rename", [1, 2])
def test_a_load_killed_inside_its_fold_is_complete_on_the_next_open(world, rename):
    db = kill_at_the_rename(world, f"fold-{rename}.duckdb", rename)
    left = sorted(p.name for p in world["root"].glob(f"fold-{rename}.duckdb*"))
    if rename == 1:  # the copy is folded; the file and its WAL are untouched
        assert left == [f"fold-{rename}.duckdb{s}" for s in ("", ".cxlens-folded", ".wal")]
    else:  # the WAL is aside: the folded copy is the workspace
        assert left == [
            f"fold-{rename}.duckdb{s}" for s in ("", ".cxlens-folded", ".cxlens-folded-wal")
        ]
    assert same(state(db), world["after"])
    assert sorted(p.name for p in world["root"].glob(f"fold-{rename}.duckdb*")) == [db.name]
    assert rerun(db, world["big"]) == "already loaded"


def test_beside_another_workspace_of_this_process_the_load_stays_in_the_wal(tmp_path):
    """Two Workspaces of one process share one DuckDB database: the fold, which swaps the file
    and reconnects, is skipped, and the load waits in the WAL, which the next open replays."""
    db = tmp_path / "shared.duckdb"
    small = tmp_path / "small.csv"
    small.write_text("response_id,responded_at,nps\nr1,2024-01-01,9\nr2,2024-01-02,7\n")
    with cxlens.Workspace(db) as ws, cxlens.Workspace(db) as other:
        assert ws.ingest(small, table="responses").rows_loaded == 2
        assert Path(str(db) + ".wal").stat().st_size > 0
        assert sorted(other.table("responses").execute()["response_id"]) == ["r1", "r2"]
    with cxlens.Workspace(db) as ws:
        assert sorted(ws.table("responses").execute()["response_id"]) == ["r1", "r2"]
        assert ws.ingest(small, table="responses").status == "already loaded"
