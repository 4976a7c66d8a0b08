"""Identity resolution end to end on generated records with known true identities."""

from __future__ import annotations

import pandas as pd
import pytest

import cxlens
from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.identity.namespace import Identity
from cxlens.identity.testdata import generate_identities

from .conftest import FAST


def test_every_record_gets_a_customer_and_f1_meets_the_target(resolved, sample):
    _, ident, result = resolved
    clusters = ident.clusters().to_pandas()
    assert len(clusters) == len(sample.records) == result.records
    assert clusters["customer_id"].notna().all()
    scores = ident.evaluate(sample.truth).iloc[0]
    assert scores["records"] == len(sample.records)
    assert scores["f1"] >= 0.95, scores.to_dict()
    assert scores["precision"] >= 0.97 and scores["recall"] >= 0.93
    assert result.pairs_compared >= result.links > 0
    assert result.blocking_rules[0] == "same email"


def test_links_carry_rule_and_evidence(resolved):
    _, ident, _ = resolved
    links = ident.links()
    assert set(links["rule"]) <= {"email", "phone", "name+birth_date", "model"}
    model = links[links["rule"] == "model"]
    assert (model["match_probability"] >= 0.9).all()
    row = links.iloc[0]
    for name in ("name", "birth_date", "email", "phone", "address", "city"):
        assert f"{name}: " in row["evidence"]
    # no PII copied into the links table
    assert not {"email_l", "phone_l", "first_name_l"} & set(links.columns)


def test_evidence_shows_both_records(resolved, sample):
    _, ident, _ = resolved
    links = ident.links()
    src, sid = links.iloc[0][["source_l", "source_id_l"]]
    ev = ident.evidence(src, sid)
    assert len(ev) >= 1
    assert {"email_l", "email_r", "first_name_l", "first_name_r", "evidence"} <= set(ev.columns)
    truth = sample.truth.set_index(["source", "source_id"])["person_id"]
    first = ev.iloc[0]
    pair = {
        truth[(first["source_l"], first["source_id_l"])],
        truth[(first["source_r"], first["source_id_r"])],
    }
    assert len(pair) == 1  # the strongest evidence links one person


def test_profiles_keep_the_newest_value_with_provenance(resolved):
    _, ident, _ = resolved
    prof = ident.profiles()
    clusters = ident.clusters().to_pandas()
    assert len(prof) == clusters["customer_id"].nunique()
    prepared = (
        ident.prepared()
        .to_pandas()
        .merge(
            clusters[["source", "source_id", "customer_id"]],
            on=["source", "source_id"],
            suffixes=("_x", ""),
        )
    )
    big = prof.sort_values("records").iloc[-1]
    mine = prepared[(prepared["customer_id"] == big["customer_id"]) & prepared["email"].notna()]
    newest = mine.sort_values(
        ["updated_at", "source", "source_id"], ascending=[False, True, True]
    ).iloc[0]
    assert big["email"] == newest["email"]
    assert (big["email_source"], big["email_source_id"]) == (newest["source"], newest["source_id"])


def test_flags_name_file_row_and_problem(resolved, sample):
    _, ident, _ = resolved
    flags = ident.flags()
    recs = sample.records.reset_index(drop=True)
    bad_email = recs["email"].str.contains(" at ", na=False)
    assert (flags["column"] == "email").sum() == int(bad_email.sum()) > 0
    row = flags[flags["column"] == "email"].iloc[0]
    # the row as a spreadsheet shows it: the header is row 1, the first record row 2
    assert recs.loc[int(row["source_row"]) - 2, "email"] == row["value"]
    assert row["problem"] == "not a valid e-mail address"


def test_loaded_customer_ids_are_kept_and_conflicts_flagged(tmp_path):
    records = pd.DataFrame(
        {
            "source": ["crm", "web", "support", "crm"],
            "source_id": ["1", "2", "3", "4"],
            "customer_id": ["C-1", None, "C-9", "C-5"],
            "name": ["Ann Lee", "Lee, Ann", "Ann Lee", "Bob Stone"],
            "email": ["ann@x.example", "ANN@x.example", "ann@x.example", "bob@y.example"],
            "phone": [None, None, None, "+447700900001"],
        }
    )
    records.to_csv(tmp_path / "i.csv", index=False)
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ws.ingest(tmp_path / "i.csv", table="identities")
    ident = Identity(ws)
    ident.resolve(max_pairs=1e3)
    got = ident.clusters().to_pandas().set_index("source_id")
    assert got.loc["1", "customer_id"] == got.loc["2", "customer_id"] == got.loc["3", "customer_id"]
    assert got.loc["1", "customer_id"] == "C-1"  # tie of two loaded ids: the smaller wins
    assert bool(got.loc["1", "conflict"]) and got.loc["1", "known_ids"] == 2
    assert got.loc["4", "customer_id"] == "C-5" and not bool(got.loc["4", "conflict"])
    ws.close()


@pytest.mark.slow  # two Splink runs
def test_new_records_link_incrementally(tmp_path):
    sample = generate_identities(people=600, seed=5)
    recs = sample.records
    first, later = recs.iloc[: len(recs) - 60], recs.iloc[len(recs) - 60 :]
    first.to_csv(tmp_path / "a.csv", index=False)
    later.to_csv(tmp_path / "b.csv", index=False)
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ws.ingest(tmp_path / "a.csv", table="identities")
    ident = Identity(ws)
    ident.resolve(**FAST)
    before = ident.clusters().to_pandas()
    ws.ingest(tmp_path / "b.csv", table="identities")
    new = ident.link_new()
    assert new.records == 60
    after = ident.clusters().to_pandas()
    assert len(after) == len(recs)
    kept = after.merge(before, on=["source", "source_id"], suffixes=("", "_before"))
    assert (kept["customer_id"] == kept["customer_id_before"]).all()  # nothing re-run
    scores = ident.evaluate(sample.truth).iloc[0]
    assert scores["f1"] >= 0.95, scores.to_dict()
    assert ident.link_new().records == 0
    ws.close()


def test_errors(tmp_path):
    ws = cxlens.Workspace(tmp_path / "ws.duckdb")
    ident = Identity(ws)
    with pytest.raises(NotEnoughDataError, match="needs the identities table"):
        ident.resolve()
    with pytest.raises(NotEnoughDataError, match=r"run ws\.identity\.resolve"):
        ident.link_new()
    with pytest.raises(ArgumentError, match="threshold"):
        ident.resolve(threshold=1.5)
    ws.close()
