"""The identity-resolve benchmark at tiny size: it runs and the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import identity_resolve, identity_resolve_real, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 3_000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("bench-identity")
    measured, ds = identity_resolve.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)
    return measured, ds


def test_both_sides_cluster_every_record(run):
    measured, ds = run
    truth = pd.read_parquet(ds.truth)
    assert set(measured) == {"cxlens", "deterministic-union"}
    for m in measured.values():
        clusters = m.results["clusters"]
        assert len(clusters) == len(truth)
        assert clusters["customer_id"].notna().all()


def test_quality_scores_are_those_of_the_clusters(run):
    _, ds = run
    truth = pd.read_parquet(ds.truth)
    # a clustering equal to the truth scores 1; one customer per record has no pairs
    perfect = truth.rename(columns={"person_id": "customer_id"})
    assert identity_resolve.quality(perfect, truth)["f1"] == 1.0
    single = truth.assign(customer_id=truth["source"] + truth["source_id"])
    assert identity_resolve.quality(single, truth)["recall"] == 0.0


def test_the_entry_has_the_documented_shape(run, tmp_path: Path):
    measured, ds = run
    real = {
        "fake_1000": {
            "cxlens": {"precision": 1.0, "recall": 0.8, "f1": 0.89},
            "splink-direct": {"precision": 1.0, "recall": 0.76, "f1": 0.86},
        }
    }
    entry = identity_resolve.make_entry(
        ROWS, identity_resolve.DEFAULT_SEED, 1, 0, measured, ds, real=real
    )
    assert entry["name"] == "identity-resolve"
    assert set(entry["quality"]) == {"cxlens", "deterministic-union"}
    assert entry["quality"]["cxlens"]["f1"] >= 0.95
    cx, union = entry["quality"]["cxlens"], entry["quality"]["deterministic-union"]
    assert cx["f1"] > union["f1"] and cx["recall"] >= union["recall"]
    assert entry["real_data"] == real and entry["real_data_target_met"] == {"fake_1000": True}
    assert entry["pairs_compared"] >= entry["links"] > 0
    assert entry["blocking_rules"][:2] == ["same email", "same phone"]
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    saved = json.loads(path.read_text())[0]
    assert all(k in saved for k in results.ENTRY_KEYS)


@pytest.fixture(scope="module")
def real():
    return identity_resolve_real.run_real()


@pytest.mark.parametrize("data", ["febrl3", "fake_1000"])
def test_cxlens_is_at_or_above_splink_direct_and_the_union_on_real_sets(real, data):
    got = real[data]
    assert set(got) == {"cxlens", "splink-direct", "deterministic-union"}
    cx = got["cxlens"]
    assert cx["f1"] >= got["splink-direct"]["f1"], got
    assert cx["f1"] >= got["deterministic-union"]["f1"], got
    assert cx["recall"] >= got["deterministic-union"]["recall"], got
    assert cx["precision"] >= 0.99, got


def test_real_sets_and_their_truth_are_as_published():
    # FEBRL 3: 5,000 records of 2,000 originals; fake_1000: 1,000 records in clusters 0-250
    # (Splink's metadata says 250 people; the file has 251 cluster labels)
    for load, records, people in ((identity_resolve_real.load_febrl3, 5000, 2000),
                                  (identity_resolve_real.load_fake_1000, 1000, 251)):  # fmt: skip
        recs, truth = load()
        assert (len(recs), truth["person_id"].nunique()) == (records, people)
        assert (
            recs["source_id"].is_unique
            and recs["source_id"].tolist() == truth["source_id"].tolist()
        )
    febrl, _ = identity_resolve_real.load_febrl3()
    first = febrl.iloc[0]
    assert (first["source_id"], first["first_name"], first["last_name"]) == (
        "rec-1496-org", "mitchell", "green",
    )  # fmt: skip
    assert (first["birth_date"], first["address"], first["postcode"]) == (
        "19560409", "7 wallaby place", "2119",
    )  # fmt: skip


def test_the_union_joins_equal_contacts_and_name_with_birth_date():
    recs = pd.DataFrame(
        {
            "source": "s",
            "source_id": ["1", "2", "3", "4", "5"],
            "first_name": ["Ann", "ann ", "Ann", None, "Bo"],
            "last_name": ["Lee", "Lee", "Lee", "Lee", "Lee"],
            "birth_date": ["1980-01-02", "1980-01-02", "1980-01-03", "1980-01-02", None],
            "email": [None, None, "A@X.example", "a@x.example", None],
            "phone": [None, None, None, None, "+44 7700"],
        }
    )
    got = identity_resolve_real.deterministic_union(recs)["customer_id"].tolist()
    # 1-2 by name + birth date, 3-4 by e-mail; 4 has no first name; 5 alone
    assert got[0] == got[1] and got[2] == got[3] and len(set(got)) == 3
