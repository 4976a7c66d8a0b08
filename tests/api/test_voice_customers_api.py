"""Text, social and customer endpoints through the live server (``served`` in conftest.py).

A ``voice`` workspace joins the served folder: the cxlens sample (600 customers, 12 months)
loaded as the demo loads it (customers with ``campaign_id``, identities, responses with
comments, transactions, events, posts, campaigns), its themes found and saved, its secret
made. A copy of the file goes through the same steps directly in Python (the analyses, a
profile, identity resolution, an erasure) before the server first opens ``voice``; every
answer of the server must equal the copy's. The tests run in file order: the analyses and
the profile, then identity resolution, then the erasure.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import cxlens
from cxlens.api import KeyStore
from cxlens.api.audit import AUDIT_FILE
from cxlens.demo import LOAD_ORDER, _keep_extras
from cxlens.report.voice_parts import report_themes
from cxlens.sample import generate, write_sample
from cxlens.store.secrets import pseudonymise, workspace_secret

API = "/api/v1"
pytestmark = pytest.mark.slow  # finding themes and resolving identities: about a minute

#: The analyses compared with the Python API: name -> (query, part, call on the Workspace).
ANALYSES: dict[str, tuple[dict[str, Any], str, Any]] = {
    "theme-impact": ({}, "impact", lambda ws: ws.text.theme_impact("nps", bootstrap=200)),
    "theme-drivers": ({"level": "theme", "bootstrap": 50}, "drivers",
                      lambda ws: ws.text.theme_drivers("nps", level="theme", bootstrap=50).table),
    "social-engagement": ({"by": ["platform", "brand"]}, "engagement",
                          lambda ws: ws.social.engagement(["platform", "brand"], None)),
    "social-share-of-voice": ({"every": "quarter"}, "share_of_voice",
                              lambda ws: ws.social.share_of_voice(every="quarter")),
    "social-sentiment": ({}, "sentiment", lambda ws: ws.social.sentiment(every=None)),
    "social-alerts": ({"all_periods": True}, "alerts",
                      lambda ws: ws.social.alerts("month", all_periods=True)),
    "social-influencers": ({"kind": "all"}, "influencers",
                           lambda ws: ws.social.influencers(None)),
}  # fmt: skip


@functools.cache
def voice_template() -> tuple[Path, dict[str, pd.DataFrame]]:
    """Build the voice workspace once per test process; return (file, sample tables).

    The file holds every sample table (extra columns kept as the demo keeps them), the saved
    themes and the workspace secret (so copies hash ids alike). Tests copy it.

    Example:
        >>> path, tables = voice_template()  # doctest: +SKIP
    """
    folder = Path(tempfile.mkdtemp(prefix="cxlens-voice-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    data = generate(customers=600, months=12, seed=7)
    paths = write_sample(data, folder / "data")
    with cxlens.Workspace(folder / "voice.duckdb") as ws:
        for table in LOAD_ORDER:
            ws.ingest(paths[table], table=table, mapping=_keep_extras(table))
        ws.text.themes()
        workspace_secret(ws)
    return folder / "voice.duckdb", data.tables


def _json(value: Any) -> Any:
    """``value`` as a JSON client reads it (what the server's encoder writes)."""
    return json.loads(json.dumps(value, default=str))


@pytest.fixture(scope="module")
def voice(served, tmp_path_factory):
    """Add ``voice`` to the served folder; return keys, the copy's answers and the sample."""
    template, tables = voice_template()
    folder = tmp_path_factory.mktemp("voice-copy")
    shutil.copy(template, folder / "copy.duckdb")
    customers = tables["customers"]
    with_mail = tables["identities"].dropna(subset=["customer_id", "email"])
    # two customers with answers, orders and an identity with an e-mail
    answered = set(tables["responses"]["customer_id"]) & set(tables["transactions"]["customer_id"])
    ids = [c for c in customers["customer_id"] if c in answered and c in set(with_mail.customer_id)]
    reader, erased = ids[0], ids[1]
    expected: dict[str, Any] = {"reader": reader, "erased": erased}
    with cxlens.Workspace(folder / "copy.duckdb") as ws:
        expected["themes"] = report_themes(ws)[0]
        expected["analyses"] = {name: call(ws) for name, (_, _, call) in ANALYSES.items()}
        expected["theme_drivers"] = ws.text.theme_drivers("nps", level="theme", bootstrap=50)
        expected["flags"] = ws.identity.flags("GB")
        expected["profile"] = _json(ws.profile(reader).to_dict())
        expected["keys"] = dict(zip(ids[:2], pseudonymise(ids[:2], workspace_secret(ws)),
                                    strict=True))  # fmt: skip
        expected["resolution"] = ws.identity.resolve()
        expected["erasure"] = ws.erase(erased, reason="test", requested_by="dpo").to_dict()
        expected["emails"] = with_mail.loc[with_mail.customer_id == erased, "email"].tolist()
    target = served.folder / "voice.duckdb"
    shutil.copy(template, target)
    store = KeyStore(served.folder)
    keys = {role: store.create(["voice"], role, name=f"voice_{role}")[1]
            for role in ("viewer", "analyst", "admin")}  # fmt: skip
    yield keys, expected, tables
    target.unlink(missing_ok=True)


def call(served, token: str, method: str, path: str, **params: Any) -> httpx.Response:
    with httpx.Client(base_url=served.url, timeout=300,
                      headers={"Authorization": f"Bearer {token}"}) as c:  # fmt: skip
        return c.request(method, f"{API}{path}", params=params)


def rows(response: httpx.Response, part: str) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    return pd.DataFrame(response.json()["parts"][part]["rows"])


def same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Assert the served rows equal the Python table (numbers to 1e-9, dates as ISO text)."""
    want = pd.DataFrame(json.loads(want.reset_index(drop=True).to_json(
        orient="records", date_format="iso", date_unit="s", double_precision=15)))  # fmt: skip
    assert got.columns.tolist() == want.columns.tolist()
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)


def audit_lines(served, action: str) -> list[dict[str, Any]]:
    lines = (served.folder / AUDIT_FILE).read_text().splitlines()
    found = [json.loads(line) for line in lines]
    return [a for a in found if a["action"] == action and a.get("workspace") == "voice"]


def test_the_new_analyses_are_listed_with_their_roles(served, voice):
    keys, _, _ = voice
    listed = call(served, keys["viewer"], "GET", "/workspaces/voice/analyses").json()["analyses"]
    roles = {a["name"]: a["role"] for a in listed}
    for name in ("themes", *ANALYSES):
        assert roles[name] == "viewer", name
    assert roles["identity-flags"] == "analyst"


@pytest.mark.parametrize("name", list(ANALYSES))
def test_each_analysis_equals_the_python_api(served, voice, name):
    keys, expected, _ = voice
    query, part, _ = ANALYSES[name]
    r = call(served, keys["viewer"], "GET", f"/workspaces/voice/analyses/{name}", **query)
    same_table(rows(r, part), expected["analyses"][name])


def test_themes_equal_the_saved_themes(served, voice):
    keys, expected, _ = voice
    got = rows(call(served, keys["viewer"], "GET", "/workspaces/voice/analyses/themes", top=5),
               "themes")  # fmt: skip
    want = expected["themes"].head(5)
    assert got["theme"].tolist() == want["theme"].tolist()
    assert got["count"].tolist() == want["count"].tolist()
    assert got["sentiment"].tolist() == pytest.approx(want["sentiment"].tolist())
    assert got["keywords"].tolist() == [", ".join(k) for k in want["keywords"]]
    assert got["quotes"].tolist() == [list(q) for q in want["quotes"]]


def test_theme_drivers_name_what_they_left_out(served, voice):
    keys, expected, _ = voice
    r = call(served, keys["viewer"], "GET", "/workspaces/voice/analyses/theme-drivers",
             level="theme", bootstrap=50)  # fmt: skip
    parts = r.json()["parts"]
    want = expected["theme_drivers"]
    assert parts["notes"] == list(want.notes)
    assert f"R² = {want.table['r_squared'].iloc[0]:.3f}" in parts["summary"][0]
    assert f"over {want.table['n'].iloc[0]:,} respondents" in parts["summary"][0]


def test_the_dashboard_knows_which_voice_panels_a_workspace_can_show(served, voice):
    keys, _, _ = voice
    path = "/workspaces/{}/dashboard/panels"
    found = call(served, keys["viewer"], "GET", path.format("voice")).json()["panels"]
    assert {k: v["available"] for k, v in found.items()} == {
        "journey": True, "themes": True, "social": True,
    }  # fmt: skip
    # acme: responses without events, posts or saved themes
    found = call(served, served.keys["acme_viewer"], "GET", path.format("acme")).json()["panels"]
    assert found == {
        "journey": {"available": False, "reason": "no 'events' table"},
        "themes": {"available": False, "reason": "no up-to-date saved themes"},
        "social": {"available": False, "reason": "no 'posts' table"},
    }
    themes = call(served, served.keys["acme_viewer"], "GET", "/workspaces/acme/dashboard/themes")
    assert themes.status_code == 422 and "ws.text.themes()" in themes.json()["detail"]


def test_identity_flags_need_the_analyst_role(served, voice):
    keys, expected, _ = voice
    path = "/workspaces/voice/analyses/identity-flags"
    assert call(served, keys["viewer"], "GET", path).status_code == 403
    got = rows(call(served, keys["analyst"], "GET", path, top=20), "flags")
    same_table(got, expected["flags"].head(20))
    r = call(served, keys["analyst"], "GET", path)
    assert r.json()["parts"]["summary"] == [f"{len(expected['flags']):,} values flagged"]


def test_a_profile_is_for_analysts_and_its_read_is_audited_without_pii(served, voice):
    keys, expected, tables = voice
    reader = expected["reader"]
    path = f"/workspaces/voice/customers/{reader}"
    assert call(served, keys["viewer"], "GET", path).status_code == 403
    r = call(served, keys["analyst"], "GET", path)
    assert r.status_code == 200, r.text
    assert r.json() == {"workspace": "voice", "profile": expected["profile"]}
    reads = audit_lines(served, "pii read")
    assert [a["outcome"] for a in reads] == ["refused", "ok"]
    assert reads[-1]["target"] == expected["keys"][reader]
    ids = tables["identities"]
    personal = [reader, *ids.loc[ids.customer_id == reader, ["email", "phone", "name"]]
                .stack().tolist()]  # fmt: skip
    text = json.dumps(reads)
    assert not [p for p in personal if str(p) in text]
    missing = call(served, keys["analyst"], "GET", "/workspaces/voice/customers/C999999")
    assert missing.status_code == 404


def test_identity_resolution_counts_equal_a_direct_run(served, voice):
    keys, expected, _ = voice
    path = "/workspaces/voice/identity/resolve"
    assert call(served, keys["viewer"], "POST", path).status_code == 403
    r = call(served, keys["analyst"], "POST", path)
    assert r.status_code == 200, r.text
    got, want = r.json()["resolution"], expected["resolution"]
    for field in ("records", "customers", "pairs_compared", "links", "conflicts", "threshold"):
        assert got[field] == getattr(want, field), field
    assert got["blocking_rules"] == want.blocking_rules
    line = audit_lines(served, "identity resolve")[-1]
    assert line["outcome"] == "ok"
    assert line["detail"] == {k: getattr(want, k) for k in ("records", "customers", "links")}


def test_erasure_is_for_admins_removes_the_rows_and_logs_only_the_hash(served, voice):
    keys, expected, tables = voice
    erased, reader = expected["erased"], expected["reader"]
    path = f"/workspaces/voice/customers/{erased}"
    why = {"reason": "GDPR art. 17 #1", "requested_by": "dpo"}
    sov = "/workspaces/voice/analyses/social-share-of-voice"
    call(served, keys["viewer"], "GET", sov)
    assert call(served, keys["viewer"], "GET", sov).json()["cached"] is True
    assert call(served, keys["analyst"], "DELETE", path, **why).status_code == 403
    r = call(served, keys["admin"], "DELETE", path, **why)
    assert r.status_code == 200, r.text
    record = r.json()["erasure"]
    assert record["rows_removed"] == expected["erasure"]["rows_removed"]
    # the loaded tables, counted in the sample by hand
    for table in ("responses", "transactions", "events"):
        frame = tables[table]
        assert record["rows_removed"][table] == int((frame["customer_id"] == erased).sum())
    assert record["rows_removed"]["customers"] == 1
    assert record["customer_key"] == expected["keys"][erased]
    assert erased not in r.text
    # gone; the others still served (the connection reopened the compacted file)
    assert call(served, keys["analyst"], "GET", path).status_code == 404
    assert call(served, keys["analyst"], "GET", f"/workspaces/voice/customers/{reader}"
                ).status_code == 200  # fmt: skip
    # a new version: nothing cached before the erasure is served after it
    assert call(served, keys["viewer"], "GET", sov).json()["cached"] is False
    again = call(served, keys["admin"], "DELETE", path, **why)
    assert again.status_code == 404 and "erased on" in again.json()["detail"]
    lines = audit_lines(served, "erase")
    assert [a["outcome"] for a in lines] == ["refused", "ok", "failed"]
    assert {a.get("target") for a in lines[1:]} == {expected["keys"][erased]}
    assert lines[1]["detail"]["rows_removed"] == record["rows_removed"]
    text = json.dumps(lines)
    assert erased not in text and not [m for m in expected["emails"] if m in text]
