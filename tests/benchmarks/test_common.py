"""The shared harness (benchmarks/common.py): timing each implementation, the timing note,
and running the real server for the load benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from benchmarks.common import (
    best_of,
    capped_runs,
    measure_each,
    results_of,
    serving,
    stop,
    timing_of,
    wait_healthy,
)
from benchmarks.measure import peak_mb

from cxlens import Workspace
from tests.api.conftest import wait_ready


class CountingWorkload:
    """A workload that returns the number it was built with (run in the harness's subprocess)."""

    def __init__(self, number: int) -> None:
        self.number = number

    def run(self) -> int:
        return self.number

    def tidy(self, result: int) -> dict[str, pd.DataFrame]:
        return {"answer": pd.DataFrame({"number": [result]})}


TARGET = f"{__name__}:CountingWorkload"


def test_capped_runs_and_the_timing_note():
    assert capped_runs(3, 1, (1, 0)) == (1, 0)
    assert capped_runs(2, 0, (5, 5)) == (2, 0)
    assert best_of(3, 1) == "best of 3 after 1 warm-up"
    assert timing_of(3, 1) == "wall clock, best of 3 after 1 warm-up, one fresh process each"
    assert timing_of(1, 0, "wall clock of the fit") == (
        "wall clock of the fit, best of 1 after 0 warm-up, one fresh process each"
    )


def test_measure_each_times_every_job_and_caps_the_baselines():
    lines: list[str] = []
    jobs = {
        "cxlens": (TARGET, lambda n: {"number": n}),  # kwargs built from the extra arguments
        "baseline": (TARGET, {"number": 7}),  # kwargs given as they are
    }
    measured = measure_each("tiny", jobs, 5, repeat=2, warmup=1, say=lines.append,
                            baseline_most=(1, 0))  # fmt: skip
    assert list(measured) == ["cxlens", "baseline"]
    assert len(measured["cxlens"].seconds) == 2 and len(measured["baseline"].seconds) == 1
    got = results_of(measured)
    assert got["cxlens"]["answer"]["number"].tolist() == [5]
    assert got["baseline"]["answer"]["number"].tolist() == [7]
    assert lines[0] == "tiny: timing cxlens (1 warm-up, best of 2)"
    assert lines[2] == "tiny: timing baseline (0 warm-up, best of 1)"
    assert lines[3].startswith("tiny: baseline: best ") and lines[3].endswith(" s")


def test_peak_memory_of_a_process():
    status = Path(f"/proc/{os.getpid()}/status")
    if not status.exists():
        pytest.skip("no /proc on this system")
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
    assert peak_mb(os.getpid()) == pytest.approx(int(line.split()[1]) / 1024, rel=0.05)
    assert peak_mb(2**22 + 12345) is None  # no such process


def _started(setup: str) -> subprocess.Popen:
    """A Python process that runs ``setup``, says "ready" (its handlers are set), then sleeps."""
    code = f"{setup}\nprint('ready', flush=True)\nimport time\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    process.stdout.close()
    return process


def test_stop_terminates_a_process_that_listens():
    assert stop(_started("pass")) == -signal.SIGTERM


def test_stop_kills_a_process_that_ignores_terminate_after_the_wait():
    process = _started("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)")
    start = time.monotonic()
    assert stop(process, wait=0.5) == -signal.SIGKILL
    assert time.monotonic() - start >= 0.5


@pytest.mark.slow  # starts the server: a few seconds
def test_serving_answers_inside_and_stops_on_the_way_out(tmp_path: Path):
    Workspace(tmp_path / "tiny.duckdb").close()  # the server wants a workspace to serve
    with serving(tmp_path, "--no-warm") as (server, url):
        assert httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200
    assert server.poll() is not None


@pytest.mark.slow  # starts the server: a few seconds
def test_a_server_that_cannot_start_says_why(tmp_path: Path):
    # the error carries the end of the server's log, which names the bad option
    with (
        pytest.raises(RuntimeError, match=r"the server exited:(.|\n)*no-such-option"),
        serving(tmp_path, "--no-such-option"),
    ):
        pass  # pragma: no cover


def _silent_port() -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wait_healthy_gives_up_after_its_seconds_with_the_log(tmp_path: Path):
    log = tmp_path / "server.log"
    log.write_text("listening soon\n")
    process = _started("pass")  # alive, but never answers
    url = f"http://127.0.0.1:{_silent_port()}"
    start = time.monotonic()
    try:
        with pytest.raises(RuntimeError) as raised:
            wait_healthy(process, url, log, seconds=0.5)
    finally:
        stop(process)
    assert str(raised.value) == "the server did not answer in 0.5 s:\nlistening soon\n"
    assert time.monotonic() - start >= 0.5


def test_wait_healthy_reports_an_exited_server_with_the_end_of_its_log(tmp_path: Path):
    log = tmp_path / "server.log"
    log.write_text("a" * 1000 + "b" * 4000)  # only the last 4,000 characters are shown
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with pytest.raises(RuntimeError) as raised:
        wait_healthy(process, f"http://127.0.0.1:{_silent_port()}", log, seconds=30)
    assert str(raised.value) == "the server exited:\n" + "b" * 4000


def test_the_api_tests_wait_for_their_server_by_the_same_rule(tmp_path: Path):
    """tests/api/conftest.py's wait_ready reads the log its start_server writes."""
    (tmp_path / "server.log").write_text("Error: No such option: --bad\n")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with pytest.raises(RuntimeError) as raised:
        wait_ready(f"http://127.0.0.1:{_silent_port()}", process, tmp_path, seconds=30)
    assert str(raised.value) == "the server exited:\nError: No such option: --bad\n"
