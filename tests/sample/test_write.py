"""write_sample: the files a client would hand over, readable and matching the sample."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxlens.sample import SampleData, generate, write_sample
from cxlens.sample.writer import mapping_yaml


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleData, dict[str, Path]]:
    data = generate(customers=400, months=12, seed=5)
    return data, write_sample(data, tmp_path_factory.mktemp("sample") / "out")


def test_write_sample_writes_every_file(written: tuple[SampleData, dict[str, Path]]) -> None:
    _, paths = written
    names = {p.name for p in paths.values()}
    assert names == {
        "customers.csv", "identities.csv", "responses.csv", "transactions.parquet",
        "events.parquet", "posts.jsonl", "campaigns.xlsx", "truth.json", "survey_export.csv",
        "survey_export.mapping.yaml", "identity_links.csv",
    }  # fmt: skip
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())


def test_csv_files_round_trip_with_canonical_headers(
    written: tuple[SampleData, dict[str, Path]],
) -> None:
    data, paths = written
    for name in ("responses", "customers", "identities"):
        frame = data.tables[name]
        back = pd.read_csv(paths[name], encoding="utf-8", keep_default_na=False, na_values=[""])
        assert list(back.columns) == list(frame.columns)
        assert len(back) == len(frame)
    r = pd.read_csv(paths["responses"], encoding="utf-8")
    assert r["comment"].dropna().tolist() == data.tables["responses"]["comment"].dropna().tolist()
    assert (pd.to_datetime(r["responded_at"]) == data.tables["responses"]["responded_at"]).all()
    np.testing.assert_array_equal(r["nps"], data.tables["responses"]["nps"])
    assert r["response_id"].tolist() == data.tables["responses"]["response_id"].tolist()


def test_binary_and_json_files_round_trip(written: tuple[SampleData, dict[str, Path]]) -> None:
    data, paths = written
    for name, time_col in (("transactions", "occurred_at"), ("events", "occurred_at")):
        frame = data.tables[name]
        back = pd.read_parquet(paths[name])
        assert list(back.columns) == list(frame.columns)
        assert back.iloc[:, 0].tolist() == frame.iloc[:, 0].tolist()
        assert (back[time_col] == frame[time_col]).all()
        assert back["customer_id"].tolist() == frame["customer_id"].tolist()
    posts = pd.read_json(paths["posts"], lines=True, dtype={"post_id": str})
    assert list(posts.columns) == list(data.tables["posts"].columns)
    assert posts["text"].tolist() == data.tables["posts"]["text"].tolist()
    assert posts["influencer"].dtype == bool
    first = json.loads(paths["posts"].read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == set(data.tables["posts"].columns)
    campaigns = pd.read_excel(paths["campaigns"], sheet_name="campaigns")
    assert campaigns["campaign_id"].tolist() == data.tables["campaigns"]["campaign_id"].tolist()
    assert campaigns["cost"].astype(float).tolist() == data.tables["campaigns"]["cost"].tolist()


def test_truth_json_matches(written: tuple[SampleData, dict[str, Path]]) -> None:
    data, paths = written
    assert json.loads(paths["truth"].read_text(encoding="utf-8")) == data.truth


def test_survey_export_and_its_mapping(written: tuple[SampleData, dict[str, Path]]) -> None:
    data, paths = written
    mapping = yaml.safe_load(paths["survey_export_mapping"].read_text(encoding="utf-8"))
    assert mapping == data.mappings["survey_export"]
    assert mapping["table"] == "responses"
    assert mapping["scales"] == {"nps": {"from": [1, 10], "rule": "linear"}}
    export = pd.read_csv(paths["survey_export"], encoding=mapping["encoding"])
    assert set(export.columns) == set(mapping["columns"])
    assert set(mapping["columns"].values()) >= {"response_id", "responded_at", "nps"}
    nps_header = next(k for k, v in mapping["columns"].items() if v == "nps")
    assert export[nps_header].between(1, 10).all()
    assert export[nps_header].min() == 1 or export[nps_header].max() == 10
    parsed = pd.to_datetime(export["Submitted At"], format=mapping["date_format"])
    assert parsed.notna().all()
    ids = set(data.tables["responses"]["response_id"])
    assert not set(export["Response ID"]) & ids  # new answers, nothing counted twice
    assert len(export) == data.truth["survey_export"]["rows"]


def test_mapping_yaml_reads_back() -> None:
    doc = {
        "table": "responses",
        "columns": {'Odd "header": (1-10)?': "nps", "Ответ": "comment"},
        "scales": {"nps": {"from": [1, 10], "rule": "linear"}},
        "delimiter": ";",
    }
    assert yaml.safe_load(mapping_yaml(doc)) == doc


def test_write_sample_creates_the_directory_and_replaces_files(tmp_path: Path) -> None:
    data = generate(customers=50, months=3, seed=1)
    target = tmp_path / "a" / "b"
    first = write_sample(data, target)
    second = write_sample(data, target)
    assert first == second
    assert json.loads(second["truth"].read_text(encoding="utf-8"))["size"]["months"] == 3


def test_writing_the_same_sample_twice_gives_the_same_bytes(
    written: tuple[SampleData, dict[str, Path]], tmp_path: Path
) -> None:
    # a second `make demo` must find every file byte-identical, or ingest loads it again
    # (the XLSX used to carry the time it was written, in its properties and its zip entries)
    data, first = written
    time.sleep(2.1)  # past the 2-second resolution of zip timestamps
    again = write_sample(data, tmp_path)
    for name, path in first.items():
        assert again[name].read_bytes() == path.read_bytes(), name
