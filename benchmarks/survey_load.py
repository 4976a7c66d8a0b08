"""Benchmark "survey-load": events triggering invitations, then concurrent answers, served.

One run, against ``cxlens serve`` on loopback (its scheduler off):

1. **Events.** ``rows`` events (10,000 by default) are sent to ``POST .../events`` in
   batches of 1,000; each triggers one invitation of a link NPS survey (no delay, no quiet
   period, everyone sampled), so ``rows`` invitations are made.
2. **Answers.** ``rows / 10`` of those links (1,000) are answered by 20 concurrent clients
   (``POST /s/{token}``, JSON), then 10% of them are sent again. Each submit's latency is
   recorded; reported are p50, p95 and max, the wall time of all first submits, and how many
   loads the server made (it writes answers arriving together as one load).

Checked before anything is reported (``DisagreementError`` otherwise): every event loaded,
one invitation per event, every first submit answered 201 and every repeat 409, and after
the server stops ``responses`` holds exactly one row per answered link (none lost, none
doubled, nothing quarantined), each with the score sent.

Baselines, on copies of the same workspace taken before the answers: **one load per answer**
(the same answers recorded one after the other with ``Surveys.answer``, each its own load
through the answers' load path: the cost without batching, in process, without HTTP), and
**one file** (all the answers written as one JSON-lines file and loaded with
``ws.ingest``: the plain ingest load of the same rows, a lower bound). Ratios are the
server's wall time for all answers over each baseline's.

Tokens are signed by the benchmark itself with the workspace's secret (read before the
server starts), as the e-mails would carry them.

Example:
    >>> entry = run(rows=2000, repeat=1, warmup=0)  # doctest: +SKIP
    >>> entry["counts"]["responses"] == entry["answers"]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from benchmarks.common import DisagreementError, load_average, say_with, serving
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.measure import peak_mb

NAME = "survey-load"
DEFAULT_ROWS = 10_000
DEFAULT_SEED = 20240601
CLIENTS = 20
EVENT_BATCH = 1000
WORKSPACE = "bench"
#: The server neither precomputes answers nor sends invitations: only the answers are timed.
SERVE_OPTIONS = ("--no-warm", "--no-send-surveys")
SURVEY = {"name": "bench-nps", "kind": "nps", "company": "Bench", "channel": "link",
          "trigger": {"touchpoint": "delivered"}, "delay": "0m", "expiry": "7d",
          "contact": {"quiet_days": 0}}  # fmt: skip


def run(
    rows: int = DEFAULT_ROWS,
    *,
    seed: int = DEFAULT_SEED,
    repeat: int = 1,
    warmup: int = 0,
    data_dir: Path = DEFAULT_DATA_DIR,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    clients: int = CLIENTS,
) -> dict[str, Any]:
    """Run the survey load benchmark once and return its results entry.

    ``repeat``, ``warmup``, ``data_dir`` and ``rebuild`` are accepted for the harness and
    not used: each run builds its own small workspace, and the answers can be sent once.

    Returns:
        The results.json entry: ``seconds`` (all answers through the server), baselines and
        ratios, ``latency_ms`` (p50, p95, max of a submit), ``events_seconds``, ``answers``,
        ``loads`` (the server's answer loads), ``counts`` and ``peak_mb`` (server).
    """
    say = say_with(log)
    load_before = load_average()
    answers = max(rows // 10, 1)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="cxlens-survey-bench-") as tmp:
        folder = Path(tmp) / "served"
        folder.mkdir()
        db = folder / f"{WORKSPACE}.duckdb"
        secret, key = _prepare(db, folder)
        events = _events(rows)
        with serving(folder, *SERVE_OPTIONS) as (_, url):
            say(f"survey-load: {rows:,} events in batches of {EVENT_BATCH:,}")
            events_seconds, decided = _send_events(url, key, events)
        base = Path(tmp) / "base.duckdb"
        shutil.copy(db, base)
        picked = events.iloc[rng.choice(len(events), answers, replace=False)]
        scores = rng.integers(0, 11, answers)
        tokens = [_token(e, secret) for e in picked.itertuples()]
        with serving(folder, *SERVE_OPTIONS) as (server, url):
            say(f"survey-load: {answers:,} answers from {clients} clients")
            first, wall = _answer_all(url, tokens, scores, clients)
            repeats = _answer_all(url, tokens[: max(answers // 10, 1)], scores, clients)[0]
            peak = peak_mb(server.pid)
        counts = _counts(db, picked, scores)
        say("survey-load: baseline, one load per answer")
        one_by_one = _baseline_each(Path(tmp) / "each.duckdb", base, tokens, scores)
        say("survey-load: baseline, one file of all the answers")
        one_file = _baseline_file(Path(tmp) / "file.duckdb", base, picked, scores, Path(tmp))
    _check(rows, answers, decided, first, repeats, counts)
    lat = first["seconds"].to_numpy() * 1000
    baselines = {"one load per answer": one_by_one, "one file": one_file}
    return {
        "name": NAME, "rows": rows, "answers": answers, "clients": clients,
        "seconds": wall, "peak_mb": peak,
        "baselines": baselines, "ratios": {k: wall / v for k, v in baselines.items()},
        "latency_ms": {"p50": float(np.percentile(lat, 50)),
                       "p95": float(np.percentile(lat, 95)), "max": float(lat.max())},
        "baseline_ms_per_answer": 1000 * one_by_one / answers,
        "events_seconds": events_seconds, "loads": counts.pop("answer_loads"),
        "counts": counts, "seed": seed,
        "timing": "one run; wall clock", "load_average_before": load_before,
        "load_average_after": load_average(),
    }  # fmt: skip


def _prepare(db: Path, folder: Path) -> tuple[bytes, str]:
    """Create the workspace (customers, the survey, its secret); return secret and key."""
    from cxlens import Workspace
    from cxlens.api import KeyStore
    from cxlens.store.secrets import workspace_secret

    with Workspace(db) as ws:
        ws.surveys.create(SURVEY)
        secret = workspace_secret(ws)
    key = KeyStore(folder).create([WORKSPACE], "analyst", name="bench")[1]
    return secret, key


def _events(rows: int) -> pd.DataFrame:
    """Events one minute apart ending an hour ago, in whole seconds, one customer each."""
    end = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(hours=1)
    at = [end - timedelta(minutes=rows - i) for i in range(rows)]
    return pd.DataFrame({
        "event_id": [f"E{i:07d}" for i in range(rows)],
        "customer_id": [f"C{i % max(rows // 2, 1):07d}" for i in range(rows)],
        "occurred_at": at, "touchpoint": "delivered",
    })  # fmt: skip


def _send_events(url: str, key: str, events: pd.DataFrame) -> tuple[float, int]:
    """POST the events in batches; return the seconds taken and the invitations made."""
    made = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600,
                      headers={"Authorization": f"Bearer {key}"}) as client:  # fmt: skip
        for start in range(0, len(events), EVENT_BATCH):
            chunk = events.iloc[start : start + EVENT_BATCH]
            body = [{"event_id": e.event_id, "customer_id": e.customer_id,
                     "occurred_at": e.occurred_at.isoformat(), "touchpoint": e.touchpoint}
                    for e in chunk.itertuples()]  # fmt: skip
            answer = client.post(f"/api/v1/workspaces/{WORKSPACE}/events", json={"events": body})
            if answer.status_code != 200:
                raise DisagreementError(f"events batch {start}: {answer.status_code} {answer.text}")
            made += sum(d["n"] for d in answer.json()["decisions"] if d["decision"] == "invited")
    return time.perf_counter() - started, made


def _token(event: Any, secret: bytes) -> str:
    from cxlens.collect.tables import invitation_id
    from cxlens.collect.tokens import sign_token

    expires = event.occurred_at.to_pydatetime() + timedelta(days=7)
    return sign_token(invitation_id(SURVEY["name"], event.event_id), expires, secret)


def _answer_all(
    url: str, tokens: list[str], scores: np.ndarray, clients: int
) -> tuple[pd.DataFrame, float]:
    """Submit every answer from ``clients`` threads; return (latency and status, wall s)."""
    work: queue.Queue[int] = queue.Queue()
    for i in range(len(tokens)):
        work.put(i)
    out: list[tuple[int, float, int]] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=600) as http:
            while True:
                try:
                    i = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                status = http.post(f"/s/{tokens[i]}", json={"score": int(scores[i])}).status_code
                with lock:
                    out.append((i, time.perf_counter() - began, status))

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return pd.DataFrame(out, columns=["i", "seconds", "status"]), wall


def _counts(db: Path, picked: pd.DataFrame, scores: np.ndarray) -> dict[str, Any]:
    from cxlens import Workspace
    from cxlens.collect.tables import invitation_id

    with Workspace(db) as ws:
        resp = ws.table("responses").execute()
        loads = ws.loads()
        expected = {"inv-" + invitation_id(SURVEY["name"], e): int(s)
                    for e, s in zip(picked.event_id, scores, strict=True)}  # fmt: skip
        got = dict(zip(resp.response_id, resp.nps.astype(int), strict=True))
        return {
            "responses": len(resp), "distinct_responses": int(resp.response_id.nunique()),
            "scores_match": got == expected, "quarantined": len(ws.quarantine()),
            "invitations": len(ws.surveys.invitations()),
            "answer_loads": int((loads.table_name == "responses").sum()),
        }  # fmt: skip


def _baseline_each(db: Path, base: Path, tokens: list[str], scores: np.ndarray) -> float:
    """Record the answers one by one with Surveys.answer (one load each); return seconds."""
    from cxlens import Workspace

    shutil.copy(base, db)
    with Workspace(db) as ws:
        started = time.perf_counter()
        for token, score in zip(tokens, scores, strict=True):
            ws.surveys.answer(token, int(score))
        return time.perf_counter() - started


def _baseline_file(
    db: Path, base: Path, picked: pd.DataFrame, scores: np.ndarray, tmp: Path
) -> float:
    """Load all the answers as one JSON-lines file with ws.ingest; return seconds."""
    from cxlens import Workspace

    shutil.copy(base, db)
    path = tmp / "answers.jsonl"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    path.write_text("".join(
        json.dumps({"response_id": f"file-{e}", "customer_id": c, "responded_at": now,
                    "nps": str(int(s)), "survey": SURVEY["name"]}) + "\n"
        for e, c, s in zip(picked.event_id, picked.customer_id, scores, strict=True)
    ))  # fmt: skip
    with Workspace(db) as ws:
        started = time.perf_counter()
        result = ws.ingest(path, table="responses")
        seconds = time.perf_counter() - started
    if result.rows_loaded != len(picked):
        raise DisagreementError(f"the one-file baseline loaded {result.rows_loaded} rows")
    return seconds


def _check(
    rows: int, answers: int, decided: int, first: pd.DataFrame, repeats: pd.DataFrame,
    counts: dict[str, Any],
) -> None:  # fmt: skip
    problems = []
    if decided != rows or counts["invitations"] != rows:
        problems.append(f"{decided} invitations made, {counts['invitations']} stored, for {rows}")
    if (first.status != 201).any():
        problems.append(f"first submits: {first.status.value_counts().to_dict()}")
    if (repeats.status != 409).any():
        problems.append(f"repeated submits: {repeats.status.value_counts().to_dict()}")
    if counts["responses"] != answers or counts["distinct_responses"] != answers:
        problems.append(f"{counts['responses']} responses for {answers} answers")
    if not counts["scores_match"] or counts["quarantined"]:
        problems.append(f"scores match: {counts['scores_match']}, "
                        f"quarantined: {counts['quarantined']}")  # fmt: skip
    if problems:
        raise DisagreementError("; ".join(problems))
