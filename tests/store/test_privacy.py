"""Erasure over every table, pseudonymisation and the workspace secret.

The acceptance test builds a Workspace from the sample with every canonical table, identity
resolution, segments, response- and post-keyed derived tables, a themes table quoting the
customer and quarantined rows mentioning them; erases one customer; then scans every cell of
every table (in pandas, independently of the erasure code) for their ids and PII.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError, WorkspaceError
from cxlens.store.engine import Engine
from cxlens.store.privacy import (
    ERASURES_TABLE,
    Footprint,
    erase,
    erasures,
    footprint,
    is_erased,
    mention_pattern,
    preview,
)
from cxlens.store.secrets import (
    SECRET_TABLE,
    pseudonymise,
    pseudonymise_frame,
    restore_secret,
    workspace_secret,
)
from cxlens.text.redact import quote_match

TABLES = ("customers", "identities", "responses", "transactions", "events", "posts", "campaigns")


def _all_tables(ws: cxlens.Workspace) -> dict[str, pd.DataFrame]:
    return {name: ws.engine.table(name).to_pandas() for name in ws.engine.list_tables()}


def _pick(ws: cxlens.Workspace) -> str:
    """A customer with a comment, orders, events, and a record only resolution linked to them."""
    cl = ws.engine.table("identity_clusters").to_pandas()
    ids = ws.engine.table("identities").to_pandas()
    resp = ws.engine.table("responses").to_pandas()
    names = ids.groupby("name")["customer_id"].nunique(dropna=False)
    resolved_only = cl[cl.loaded_customer_id.isna() & cl.customer_id.str.startswith("C")]
    commented = set(resp[resp.comment.notna() & (resp.language == "en")].customer_id)
    for cid in sorted(set(resolved_only.customer_id) & commented):
        mine = ids[ids.customer_id == cid]
        if mine.email.notna().any() and mine.phone.notna().any() and (names[mine.name] == 1).all():
            return cid
    raise AssertionError("the sample has no customer fit for the test")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Every table in one Workspace, the chosen customer's identifiers, counts before erasure."""
    from cxlens.sample import generate, write_sample
    from cxlens.text.redact import redact
    from cxlens.text.sentiment import sentiment

    folder: Path = tmp_path_factory.mktemp("privacy")
    data = generate(customers=300, months=12, seed=7)
    paths = write_sample(data, folder / "data")
    ws = cxlens.Workspace(folder / "ws.duckdb")
    # Stored strings stay readable in the file, so the byte check below can fail.
    ws.con.raw_sql("PRAGMA force_compression='uncompressed'")
    for table in TABLES:
        ws.ingest(paths[table], table=table)
    ws.identity.resolve(max_pairs=2e5)
    ws.analysis.segments(k=3)
    cid = _pick(ws)
    other = "C000001" if cid != "C000001" else "C000002"
    ids = ws.engine.table("identities").to_pandas()
    cl = ws.engine.table("identity_clusters").to_pandas()
    mine_cl = cl[(cl.customer_id == cid) | (cl.loaded_customer_id == cid)]
    keys = set(zip(mine_cl.source, mine_cl.source_id, strict=True))
    keys |= set(zip(ids[ids.customer_id == cid].source, ids[ids.customer_id == cid].source_id,
                    strict=True))  # fmt: skip
    mine = ids[[k in keys for k in zip(ids.source, ids.source_id, strict=True)]]
    email = mine.email.dropna().str.strip().iloc[0]
    phone = mine.phone.dropna().iloc[0]
    name = mine.name.dropna().iloc[0]
    # Quarantined rows: one mentions the customer's e-mail and phone in another layout, one
    # is someone else's; a post written under the customer's e-mail, and someone else's.
    bad = folder / "late.csv"
    spaced = phone[:2] + " " + phone[2:5] + "-" + phone[5:]
    bad.write_text(
        "response_id,customer_id,responded_at,nps,comment\n"
        f"RX1,,2025-01-05,11,write to {email.upper()} or call {spaced}\n"
        f"RX2,{other},2025-01-06,12,fine\n"
    )
    ws.ingest(bad, table="responses")
    posts = folder / "posts.csv"
    posts.write_text(
        "post_id,platform,brand,author,posted_at,text\n"
        f"PX1,x,Northwind Connect,{email},2025-01-07,slow again\n"
        "PX2,x,Northwind Connect,@someone,2025-01-07,fast again\n"
    )
    ws.ingest(posts, table="posts")
    # Response- and post-keyed derived tables, scored by the text module: English only, by
    # the model's fast head (the erasure reads their keys, not their scores; the default
    # cascade would embed every comment with e5, about 7 s here)
    resp = ws.engine.table("responses")
    en = resp.filter((resp.language == "en") & resp.comment.notnull()).to_pandas()
    scored = sentiment(en.comment.tolist(), backend="fast")
    scored.insert(0, "response_id", en.response_id.to_numpy())
    ws.save_table("comment_sentiment", scored)
    p = ws.engine.table("posts").to_pandas().query("language == 'en' or post_id == 'PX1'")
    post_scores = sentiment(p.text.tolist(), backend="fast").assign(post_id=p.post_id.to_numpy())
    ws.save_table("post_sentiment", post_scores[["post_id", "label", "score"]])
    comment = en[en.customer_id == cid].comment.iloc[0]
    quote = redact([comment])[0]
    # the comment quoted whole in the lists and cut ("… part …", as a long quote is cut
    # around its theme sentence) as a theme's negative quote, with its sentence marked
    middle = quote[len(quote) // 4 : 3 * len(quote) // 4].strip()
    ws.save_table("themes", pd.DataFrame({
        "theme": ["0", "1"], "label": ["app", "speed"], "count": [5, 7],
        "quotes": [f"{quote}\nSomething else entirely.", "Downloads are really quick."],
        "quotes_by_language": [json.dumps({"en": [quote, "Something else entirely."]}),
                               json.dumps({"en": ["Downloads are really quick."]})],
        "negative_quote": [f"… {middle} …", "Downloads are really slow now."],
        "negative_sentence": [middle, "Downloads are really slow now."],
    }))  # fmt: skip
    ws.kpis.define("NPS", "nps", 30)
    ws.con.raw_sql("CHECKPOINT")
    before = _all_tables(ws)
    assert before["_quarantine"].raw.str.contains(email.upper(), regex=False).any()
    file_before = (folder / "ws.duckdb").read_bytes()
    truth = {
        "cid": cid, "other": other, "email": email, "phone": phone, "name": name,
        "records": sorted(keys), "record_ids": sorted(set(mine_cl.record_id)),
        "responses": sorted(before["responses"].query("customer_id == @cid").response_id),
        "transactions": sorted(before["transactions"].query("customer_id == @cid").transaction_id),
        "events": sorted(before["events"].query("customer_id == @cid").event_id),
        "quote": quote, "file_before": file_before,
        "neighbour": ids[ids.customer_id == other].email.dropna().str.strip().iloc[0],
    }  # fmt: skip
    record = erase(
        ws,
        cid,
        reason="GDPR art. 17, ticket 42",
        requested_by="dpo@firm.example",
        quote_match=quote_match,
    )  # as the Workspace erases (cut quotes found)
    after = _all_tables(ws)
    yield ws, truth, before, after, record, folder
    ws.close()


def _words(truth: dict) -> list[str]:
    sids = [s for _, s in truth["records"]]
    return [truth["cid"], truth["email"], truth["name"], *sids, *truth["record_ids"],
            *truth["responses"], *truth["transactions"], *truth["events"]]  # fmt: skip


def test_nothing_of_the_customer_remains_in_any_table(full):
    ws, truth, _, after, _, _ = full
    words = [re.escape(w.lower()) for w in _words(truth)]
    pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(words) + r")(?![a-z0-9])")
    digits = re.sub(r"\D", "", truth["phone"])
    assert set(after) == set(ws.engine.list_tables()) and len(after) >= 18
    for name, frame in after.items():
        for col in frame.columns:
            text = [str(v).lower() for v in frame[col]]
            hits = [v for v in text if pattern.search(v)]
            assert not hits, f"{name}.{col} still mentions the customer: {hits[:3]}"
            assert not any(digits in re.sub(r"\D", "", v) for v in text), f"{name}.{col}: phone"


def test_only_the_customers_rows_are_removed(full):
    _, truth, before, after, record, _ = full
    cid = truth["cid"]
    keys = set(truth["records"])
    recs = set(truth["record_ids"])
    links = before["identity_links"]
    cmap = before["identity_customer_map"]  # loaded id -> resolved id (cxlens.identity.keys)
    expected = {
        "customers": int((before["customers"].customer_id == cid).sum()),
        "responses": len(truth["responses"]),
        "transactions": len(truth["transactions"]),
        "events": len(truth["events"]),
        "identities": sum(k in keys for k in zip(before["identities"].source,
                                                 before["identities"].source_id, strict=True)),
        "identity_clusters": len(truth["record_ids"]),
        "identity_links": int((links.record_id_l.isin(recs) | links.record_id_r.isin(recs)).sum()),
        "identity_customer_map": int((cmap.customer_id.eq(cid) | cmap.loaded_customer_id.eq(cid))
                                     .sum()),
        "customer_segments": 1,
        "comment_sentiment": int(before["comment_sentiment"].response_id
                                 .isin(truth["responses"]).sum()),
        "_quarantine": int(before["_quarantine"].source_row.eq(2).sum()),  # RX1, all problems
        "posts": 1,
        "post_sentiment": 1,
    }  # fmt: skip
    assert all(n > 0 for n in expected.values()), expected
    assert len(truth["records"]) >= 2 and expected["identity_links"] >= 1
    assert record.rows_removed == expected
    assert record.rows_changed == {"themes": 1}
    for name, frame in before.items():
        assert len(after[name]) == len(frame) - expected.get(name, 0), name
    assert after["_quarantine"].raw.str.contains("RX2").any()  # someone else's reject stays
    assert after["posts"].post_id.eq("PX2").any()
    themes = after["themes"].set_index("theme")
    assert themes.loc["0", "quotes"] == "Something else entirely."
    assert themes.loc["1", "quotes"] == "Downloads are really quick."
    assert json.loads(themes.loc["0", "quotes_by_language"]) == {"en": ["Something else entirely."]}
    assert themes.loc[["0"], ["negative_quote", "negative_sentence"]].isna().all(axis=None)
    assert themes.loc["1", "quotes_by_language"] == before["themes"].quotes_by_language.iloc[1]
    assert themes.loc["1", "negative_quote"] == "Downloads are really slow now."
    assert themes.loc["1", "negative_sentence"] == "Downloads are really slow now."
    assert themes["count"].tolist() == [5, 7]


def test_the_erasure_is_logged_under_a_keyed_hash(full):
    ws, truth, _, after, record, _ = full
    log = after[ERASURES_TABLE]
    assert len(log) == 1
    row = log.iloc[0]
    secret = bytes.fromhex(after[SECRET_TABLE].secret.iloc[0])
    expected = hmac.new(secret, truth["cid"].encode(), hashlib.sha256).hexdigest()[:20]
    assert row.customer_key == expected == record.customer_key
    assert row.requested_by == "dpo@firm.example" and row.reason == "GDPR art. 17, ticket 42"
    assert row.rows_total == sum(record.rows_removed.values())
    assert "identities" in row.tables and bool(row.compacted)
    assert is_erased(ws, [truth["cid"], truth["other"]]) == [True, False]
    assert erasures(ws).erasure_id.tolist() == [record.erasure_id]


def test_the_database_file_no_longer_holds_their_email(full):
    _, truth, _, _, _, folder = full
    email, neighbour = truth["email"].encode(), truth["neighbour"].encode()
    assert email in truth["file_before"] and neighbour in truth["file_before"]
    data = (folder / "ws.duckdb").read_bytes()
    assert email not in data
    assert neighbour in data  # the file was rewritten, not emptied
    wal = folder / "ws.duckdb.wal"
    assert not wal.exists() or email not in wal.read_bytes()


def test_erasing_again_says_when_it_was_done(full):
    ws, truth, *_ = full
    with pytest.raises(NotEnoughDataError, match=r"was erased on \d{4}-\d\d-\d\d"):
        erase(ws, truth["cid"], reason="again", requested_by="dpo")


def test_the_workspace_keeps_working_after_the_rewrite(full):
    ws, truth, before, *_ = full
    other = ws.profile(truth["other"])
    assert other.customer_id == truth["other"]
    nps = ws.metrics.nps()
    assert int(nps["n"].iloc[0]) == int(before["responses"].nps.between(0, 10).sum()) - int(
        before["responses"].query("customer_id == @truth['cid']").nps.notna().sum()
    )


# --- smaller workspaces ------------------------------------------------------------------


def _small(ws: cxlens.Workspace, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("customer_id,segment\nA1,consumer\nB2,business\n")
    (tmp_path / "t.csv").write_text(
        "transaction_id,customer_id,occurred_at,amount\nT1,A1,2024-01-01,10\n"
        "T2,B2,2024-01-02,20\nT3,A1,2024-01-03,30\n"
    )
    ws.ingest(tmp_path / "c.csv", table="customers")
    ws.ingest(tmp_path / "t.csv", table="transactions")


def test_a_failure_midway_leaves_every_table_as_it_was(ws, tmp_path, monkeypatch):
    _small(ws, tmp_path)
    import cxlens.store.privacy as privacy

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy, "_log", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        erase(ws, "A1", reason="r", requested_by="me")
    assert ws.table("transactions").count().execute() == 3
    assert ws.table("customers").count().execute() == 2
    assert not ws.has_table(ERASURES_TABLE)


def test_preview_counts_without_deleting(ws, tmp_path):
    _small(ws, tmp_path)
    assert preview(ws, "A1") == {"customers": 1, "transactions": 2}
    assert ws.table("transactions").count().execute() == 3


def test_erase_checks_its_arguments(ws, tmp_path):
    _small(ws, tmp_path)
    with pytest.raises(ArgumentError, match="reason must be non-empty"):
        erase(ws, "A1", reason=" ", requested_by="me")
    with pytest.raises(ArgumentError, match="requested_by"):
        erase(ws, "A1", reason="r", requested_by="")
    with pytest.raises(NotEnoughDataError, match="no table references customer 'ZZ'"):
        erase(ws, "ZZ", reason="r", requested_by="me")


def test_quoted_values_are_data_not_sql(ws, tmp_path):
    _small(ws, tmp_path)
    with pytest.raises(NotEnoughDataError):
        erase(ws, "A1' OR '1'='1", reason="r", requested_by="me")
    t = ws.table("transactions")
    assert ws.engine.delete_where("transactions", t.customer_id == "x' OR 1=1 --") == 0
    assert t.count().execute() == 3


def test_engines_without_transactions_are_refused_before_anything_changes(ws, tmp_path):
    _small(ws, tmp_path)
    ws.engine = Engine(ws.con)  # a generic Ibis engine: no rollback
    with pytest.raises(WorkspaceError, match="needs DELETE inside one transaction"):
        erase(ws, "A1", reason="r", requested_by="me")
    assert ws.table("transactions").count().execute() == 3


@pytest.mark.spark
def test_spark_erasure_is_refused(spark_ws, tmp_path):
    _small(spark_ws, tmp_path)
    with pytest.raises(WorkspaceError, match="pyspark backend"):
        spark_ws.erase("A1", reason="r", requested_by="me")


def test_mention_pattern_matches_whole_identifiers_and_any_phone_layout():
    fp = Footprint("C1", {"customer_id": ["C1"]}, [("crm", "CRM-7")],
                   {"phone": ["+44 20 7946 0018"], "email": ["Ann@X.org"]}, [])  # fmt: skip
    pattern = re.compile(mention_pattern(fp))
    assert pattern.search('{"id": "c1", "x": 1}')
    assert not pattern.search('{"id": "c12"}')
    assert pattern.search("crm-7,late")
    assert not pattern.search("crm-77")
    assert pattern.search("mail ann@x.org now")
    assert pattern.search("tel 020 7946-0018")
    assert pattern.search("+44 (20) 7946 0018")
    assert not pattern.search("207946001899")


def test_compact_keeps_the_connection_usable(ws, tmp_path):
    import ibis

    _small(ws, tmp_path)
    frame = ibis.memtable(pd.DataFrame({"a": [1, 2]}))
    assert ws.con.execute(frame.a.sum()) == 3
    t = ws.table("transactions")
    assert ws.engine.delete_where("transactions", t.customer_id == "B2") == 1
    assert ws.engine.compact() == tmp_path / "ws.duckdb"
    assert ws.con.execute(frame.a.sum()) == 3  # in-memory tables are registered again
    assert sorted(ws.table("transactions").transaction_id.to_pandas()) == ["T1", "T3"]
    assert cxlens.Workspace(":memory:").engine.compact() is None


def test_footprint_reads_only_the_customer(ws, tmp_path):
    _small(ws, tmp_path)
    fp = footprint(ws, "A1")
    assert fp.ids == {"customer_id": ["A1"], "transaction_id": ["T1", "T3"]}
    assert fp.records == [] and fp.pii == {}


# --- pseudonymisation ----------------------------------------------------------------------


def test_pseudonymise_is_hmac_sha256_rfc4231():
    key = bytes([0x0B] * 20)  # RFC 4231 test case 1
    out = pseudonymise(["Hi There"], key, length=64)
    assert out == ["b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"]
    assert pseudonymise(["Hi There", None, float("nan")], key) == [out[0][:20], None, None]


def test_pseudonymise_checks_secret_and_length():
    with pytest.raises(ArgumentError, match="at least 16 bytes"):
        pseudonymise(["a"], b"short")
    with pytest.raises(ArgumentError, match="between 8 and 64"):
        pseudonymise(["a"], bytes(32), length=4)


def test_pseudonymise_frame_keeps_joins_and_hides_ids():
    secret = bytes(range(32))
    a = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "nps": [9, 3, 7]})
    b = pd.DataFrame({"customer_id": ["C2"], "amount": [5.0]})
    pa_, pb = pseudonymise_frame(a, secret), pseudonymise_frame(b, secret)
    assert pa_.customer_id[0] == pa_.customer_id[2] != pa_.customer_id[1]
    assert pa_.customer_id[1] == pb.customer_id[0]
    assert not pa_.customer_id.isin(["C1", "C2"]).any() and a.customer_id[0] == "C1"
    assert pa_.nps.tolist() == [9, 3, 7]
    with pytest.raises(SchemaError, match="cannot pseudonymise column"):
        pseudonymise_frame(a, secret, columns=["email"])


def test_the_secret_is_created_once_kept_and_restorable(tmp_path):
    with cxlens.Workspace(tmp_path / "a.duckdb") as ws:
        with pytest.raises(WorkspaceError, match="no secret yet"):
            workspace_secret(ws, create=False)
        first = workspace_secret(ws)
        assert len(first) == 32 and workspace_secret(ws) == first
    with cxlens.Workspace(tmp_path / "a.duckdb") as ws:
        assert workspace_secret(ws) == first
        with pytest.raises(WorkspaceError, match="different secret"):
            restore_secret(ws, bytes(32).hex())
    with cxlens.Workspace(tmp_path / "b.duckdb") as ws:
        restore_secret(ws, first.hex())
        assert pseudonymise(["C1"], workspace_secret(ws)) == pseudonymise(["C1"], first)
        with pytest.raises(ArgumentError, match="hex"):
            restore_secret(ws, "not hex")


@pytest.mark.parametrize("name", ["_erasures", "_workspace_secret"])
def test_save_table_refuses_the_private_tables(tmp_path, name):
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    with pytest.raises(WorkspaceError, match="written by"):
        ws.save_table(name, pd.DataFrame({"a": [1]}))
    ws.close()


# --- quarantine: matched by identity link, not by name alone --------------------------------


def _namesakes(ws: cxlens.Workspace, tmp_path: Path) -> None:
    """Two customers called John Smith, and quarantined rows naming one or the other."""
    (tmp_path / "i.csv").write_text(
        "source,source_id,customer_id,email,phone,name,address\n"
        "crm,K1,A1,john.a@x.example,+442079460018,John Smith,1 High Street\n"
        "crm,K2,B2,john.b@y.example,+442079460999,John Smith,9 Low Road\n"
    )
    ws.ingest(tmp_path / "i.csv", table="identities")
    # nps 42 is off the scale: every row is quarantined with its raw text
    (tmp_path / "r.csv").write_text(
        "response_id,customer_id,responded_at,nps,comment\n"
        "Q1,,2025-01-05,42,John Smith here: write to john.b@y.example\n"  # B2's, by e-mail
        "Q2,,2025-01-05,42,John Smith called\n"  # a name alone: nobody's for sure
        "Q3,,2025-01-05,42,John Smith of 1 High Street\n"  # A1: name and address
        "Q4,,2025-01-05,42,mail JOHN.A@X.EXAMPLE\n"  # A1: e-mail
        "Q5,,2025-01-05,42,call 020 7946 0018\n"  # A1: phone
    )
    ws.ingest(tmp_path / "r.csv", table="responses")


def test_erasure_leaves_a_namesakes_quarantined_rows(ws, tmp_path):
    _namesakes(ws, tmp_path)
    before = ws.engine.table("_quarantine").to_pandas()
    assert sorted(before.raw.str.extract(r"(Q\d)")[0].unique()) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    record = erase(ws, "A1", reason="GDPR art. 17", requested_by="dpo")
    after = ws.engine.table("_quarantine").to_pandas()
    kept = sorted(after.raw.str.extract(r"(Q\d)")[0].unique())
    assert kept == ["Q1", "Q2"]  # B2's row and the bare name stay
    per_row = before.groupby(before.raw.str.extract(r"(Q\d)")[0]).size()
    assert record.rows_removed["_quarantine"] == int(per_row[["Q3", "Q4", "Q5"]].sum())
    assert record.rows_removed["identities"] == 1
    assert ws.engine.table("identities").to_pandas().source_id.tolist() == ["K2"]


def test_mention_pattern_leaves_names_and_addresses_out():
    fp = Footprint("C1", {"customer_id": ["C1"]}, [],
                   {"name": ["John Smith"], "address": ["1 High Street"]}, [])  # fmt: skip
    pattern = re.compile(mention_pattern(fp))
    assert pattern.search("id c1")
    assert not pattern.search("john smith") and not pattern.search("1 high street")
