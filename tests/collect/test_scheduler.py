"""The scheduler's rounds (in process, real local SMTP server) and the answer batcher."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from cxlens.actions.email import SmtpSettings
from cxlens.api.state import Workspaces
from cxlens.api.survey_scheduler import SurveyScheduler
from cxlens.collect.batch import Batcher
from tests.actions.receivers import SmtpReceiver
from tests.collect.conftest import SURVEY, load

NPS = {**SURVEY, "name": "delivery-nps", "kind": "nps", "channel": "email", "delay": "0m",
       "trigger": {"touchpoint": "delivered"}, "contact": {"quiet_days": 0}}  # fmt: skip
LINK = "http://cx.example/s/{token}?score={score}"


def test_a_round_triggers_sends_records_and_retries_a_refused_address(people):
    ws, surveys, tmp = people
    surveys.create(NPS)
    at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    # loaded by ingest, not the API: the round triggers them itself
    load(ws, tmp, "events", [{"event_id": f"D{c}", "customer_id": c, "occurred_at": at,
                              "touchpoint": "delivered"} for c in ("C1", "C5")])  # fmt: skip
    load(ws, tmp, "customers", [{"customer_id": "C5", "timezone": "UTC", "language": "en",
                                 "survey_consent": "yes"}])  # fmt: skip
    load(ws, tmp, "identities", [{"source": "crm", "source_id": "5", "customer_id": "C5",
                                  "email": "c5@example.com"}])  # fmt: skip
    ws.close()
    served = Workspaces(tmp)
    with SmtpReceiver(refuse={"c5@example.com"}) as rx:
        settings = SmtpSettings(host="127.0.0.1", port=rx.port, sender="cx@acme.example",
                                to=("cx@acme.example",))  # fmt: skip
        scheduler = SurveyScheduler(served, settings, LINK, every=3600)
        first = scheduler.run_once()["ws"]
        assert (first.decided, first.sent, first.failed) == (2, 1, 1)
        version = served.get("ws").version
        second = scheduler.run_once()["ws"]
        assert (second.decided, second.sent, second.failed) == (0, 0, 1)  # tried again
        rx.refuse.clear()
        third = scheduler.run_once()["ws"]
        assert (third.decided, third.sent, third.failed) == (0, 1, 0)
        quiet = scheduler.run_once()["ws"]
        assert (quiet.decided, quiet.sent, quiet.failed) == (0, 0, 0)
    assert served.get("ws").version == version + 2  # a round that did nothing changes nothing
    assert [m.recipients for m in rx.mails] == [["c1@example.com"], ["c5@example.com"]]
    assert "http://cx.example/s/" in rx.mails[0].message.get_body(("html",)).get_content()
    with served.get("ws").lock:
        sends = served.get("ws").workspace().table("survey_sends").execute()
    served.close()
    outcomes = sends.sort_values("sent_at").groupby("customer_id").ok.apply(list).to_dict()
    assert outcomes == {"C1": [True], "C5": [False, False, True]}


def test_a_workspace_without_surveys_is_left_alone(tmp_path):
    from cxlens import Workspace

    Workspace(tmp_path / "plain.duckdb").close()
    served = Workspaces(tmp_path)
    settings = SmtpSettings(host="127.0.0.1", port=1, sender="a@b.example", to=("a@b.example",))
    assert SurveyScheduler(served, settings, LINK, every=1).run_once() == {}
    assert served.get("plain").version == 0
    served.close()


def test_the_batcher_groups_waiting_items_and_keeps_their_order():
    calls: list[list[int]] = []
    gate = threading.Event()

    def write(items: list[int]) -> list[int]:
        calls.append(items)
        if len(calls) == 1:
            gate.wait(5)  # hold the first batch while the others queue up
        return [x * 10 for x in items]

    batcher: Batcher[int, int] = Batcher(write)
    out: dict[int, object] = {}

    def submit(x: int) -> None:
        out[x] = batcher.submit(x)

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    time.sleep(0.2)
    rest = [threading.Thread(target=submit, args=(x,)) for x in range(1, 6)]
    for t in rest:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in [first, *rest]:
        t.join()
    assert out == {x: x * 10 for x in range(6)}
    assert calls[0] == [0] and sorted(calls[1]) == [1, 2, 3, 4, 5] and len(calls) == 2


def test_a_failed_batch_fails_each_of_its_items():
    def write(items: list[int]) -> list[int]:
        raise RuntimeError("disk full")

    outcome = Batcher(write).submit(1)
    assert isinstance(outcome, RuntimeError) and str(outcome) == "disk full"
    short = Batcher(lambda items: []).submit(1)
    assert isinstance(short, RuntimeError) and "gave 0 outcomes" in str(short)


@pytest.mark.parametrize("size", [1, 3])
def test_max_items_caps_a_batch(size):
    sizes: list[int] = []
    gate = threading.Event()

    def write(items: list[int]) -> list[int]:
        sizes.append(len(items))
        gate.wait(2)
        return items

    batcher: Batcher[int, int] = Batcher(write, max_items=size)
    threads = [threading.Thread(target=batcher.submit, args=(x,)) for x in range(7)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join()
    assert sum(sizes) == 7 and max(sizes) <= size
