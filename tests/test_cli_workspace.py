"""The CLI protects the workspace path: no silent empty workspaces, one line for a missing
folder, a wait (with a line saying so) while a load holds the file, one line beside a server.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.api import KeyStore
from cxlens.cli import app
from tests.api.conftest import free_port, stop_server, wait_ready
from tests.conftest import write_text
from tests.ingest.test_crash_safety import PUBLISH, cli, write_big_csv

runner = CliRunner(env={"COLUMNS": "250"})
CSV = "response_id,responded_at,nps\nr1,2024-01-01,9\nr2,2024-01-02,42\n"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def cxlens_cli(*args, wait: float, **kw) -> subprocess.Popen:
    env = {**os.environ, "CXLENS_WAIT": str(wait), "COLUMNS": "250"}
    return subprocess.Popen(
        [sys.executable, "-m", "cxlens", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kw,
    )  # fmt: skip


def test_a_read_command_refuses_a_missing_workspace_and_suggests_the_near_one(tmp_path):
    real = tmp_path / "acme.duckdb"
    assert run("ingest", write_text(tmp_path / "s.csv", CSV), "--as", "responses",
               "-w", real).exit_code == 0  # fmt: skip
    typo = tmp_path / "acmee.duckdb"
    for command in (["loads"], ["quarantine"], ["metrics", "nps"], ["journey", "touchpoints"]):
        result = run(*command, "-w", typo)
        assert result.exit_code == 1
        assert one_line(result.output) == (
            f"error: no workspace at {typo} (did you mean {real}?); to start one there: "
            f"`cxlens init -w {typo}`, then `cxlens ingest FILE --as TABLE -w {typo}`"
        )
    assert not typo.exists()  # nothing was created


def test_without_a_close_name_it_lists_the_workspaces_nearby(tmp_path):
    (tmp_path / "demo").mkdir()
    cxlens.Workspace(tmp_path / "demo" / "cxlens.duckdb").close()
    wanted = tmp_path / "client.duckdb"
    line = one_line(run("loads", "-w", wanted).output)
    assert (
        f"no workspace at {wanted} (workspaces nearby: {tmp_path / 'demo' / 'cxlens.duckdb'});"
        in line
    )


def test_a_missing_folder_gets_one_line_for_reads_and_loads(tmp_path):
    inside = tmp_path / "no" / "such" / "ws.duckdb"
    read = run("loads", "-w", inside)
    assert read.exit_code == 1
    assert f"no workspace at {inside}: the folder {inside.parent} does not exist" in one_line(
        read.output
    )
    load = run("ingest", write_text(tmp_path / "s.csv", CSV), "--as", "responses", "-w", inside)
    assert load.exit_code == 1
    assert one_line(load.output) == (
        f"error: cannot create workspace {inside}: the folder {inside.parent} does not exist "
        "(create it first, or give another path)"
    )
    assert not inside.parent.exists()
    folder = run("loads", "-w", tmp_path)
    assert (
        one_line(folder.output)
        == f"error: {tmp_path} is a folder, not a workspace file (NAME.duckdb)"
    )


def test_a_bad_wait_setting_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CXLENS_WAIT", "soon")
    result = run("ingest", write_text(tmp_path / "s.csv", CSV), "--as", "responses",
                 "-w", tmp_path / "w.duckdb")  # fmt: skip
    assert result.exit_code == 1
    assert "CXLENS_WAIT='soon' is not a number of seconds" in result.output


@pytest.fixture
def held_by_a_load(tmp_path):
    """A real `cxlens ingest` stopped just before it publishes, holding the workspace."""
    db = tmp_path / "ws.duckdb"
    big = write_big_csv(tmp_path / "big.csv", rows=5_000)
    proc = cli("ingest", str(big), "--as", "responses", "-w", str(db),
               pause_at=PUBLISH, stdin=subprocess.PIPE)  # fmt: skip
    for _ in range(PUBLISH):
        assert proc.stdout.readline().startswith("commit")
    yield db, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_a_command_waits_for_a_running_load_then_sees_it(held_by_a_load):
    db, load = held_by_a_load
    reader = cxlens_cli("loads", "-w", db, wait=120)
    said = reader.stderr.readline()  # printed when it finds the file held
    assert said.startswith(f"waiting for cxlens ingest {db.parent}")  # its command line
    assert f"(PID {load.pid}) to finish with {db} (up to 120 s; CXLENS_WAIT sets how long)" in said
    assert reader.poll() is None  # still waiting
    load.stdin.write("\n")  # let the load publish and exit
    load.stdin.flush()
    assert load.wait(timeout=120) == 0
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert "Traceback" not in err
    line = next(line for line in out.splitlines() if "big.csv" in line)
    assert "4995" in line and "complete" in line  # 5,000 rows, 5 with nps 12


def test_a_command_gives_up_after_the_wait_with_one_line(held_by_a_load):
    db, load = held_by_a_load
    started = time.monotonic()
    reader = cxlens_cli("quarantine", "-w", db, wait=1)
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 1 and time.monotonic() - started < 60
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith(f"error: workspace {db} is in use by cxlens ingest ")
    assert re.search(
        rf"\(PID {load.pid}\); DuckDB lets one process at a time open the file; gave up after "
        r"\d+ s \(set CXLENS_WAIT=SECONDS to wait longer\)$",
        last,
    )
    assert "Traceback" not in err and load.poll() is None


@pytest.mark.slow  # starts a live server in a subprocess
def test_beside_a_running_server_a_command_says_so_at_once(tmp_path):
    db = tmp_path / "acme.duckdb"
    with cxlens.Workspace(db) as ws:
        ws.ingest(write_text(tmp_path / "s.csv", CSV), table="responses")
    _, token = KeyStore(tmp_path).create(["acme"], "viewer")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cxlens", "serve", "--workspaces", str(tmp_path),
         "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, server, tmp_path)
        answer = httpx.get(f"{url}/api/v1/workspaces/acme/loads",
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip
        assert answer.status_code == 200  # the server now holds the file open
        started = time.monotonic()
        reader = cxlens_cli("loads", "-w", db, wait=120)
        _, err = reader.communicate(timeout=120)
        assert reader.returncode == 1 and time.monotonic() - started < 60  # no waiting
        line = one_line(err)  # the server's command line, cut at 120 characters
        assert line.startswith(f"error: {db} is held by `cxlens serve --workspaces {tmp_path}")
        assert line.endswith(
            f"` (PID {server.pid}), which keeps it open: use the server's API or dashboard, "
            "or stop the server and retry"
        )
    finally:
        stop_server(server)
