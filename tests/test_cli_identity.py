"""`cxlens identity`: resolve, flags, evidence, evaluate print what the Python API returns."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from cxlens.identity.testdata import generate_identities
from cxlens.sample import generate, write_sample

runner = CliRunner()


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-identity")
    sample = generate_identities(people=400, seed=5)
    sample.records.to_csv(folder / "ids.csv", index=False)
    sample.truth.to_csv(folder / "truth.csv", index=False)
    db = folder / "ws.duckdb"
    loaded = runner.invoke(app, ["ingest", str(folder / "ids.csv"), "--as", "identities",
                                 "-w", str(db)])  # fmt: skip
    assert loaded.exit_code == 0, loaded.output
    out = runner.invoke(app, ["identity", "resolve", "-w", str(db)])
    assert out.exit_code == 0, out.output
    return folder, db, out.output


def test_resolve_reports_the_counts_stored_in_the_workspace(resolved):
    _, db, output = resolved
    with cxlens.Workspace(db) as ws:
        clusters = ws.identity.clusters().to_pandas()
        links = ws.identity.links()
    records, customers = re.search(r"([\d,]+) records -> ([\d,]+) customers", output).groups()
    assert int(records.replace(",", "")) == len(clusters)
    assert int(customers.replace(",", "")) == clusters["customer_id"].nunique()
    assert f"{len(links):,} links" in output
    assert "blocking rules" in output


def test_evidence_lists_every_link_of_a_record(resolved):
    _, db, _ = resolved
    with cxlens.Workspace(db) as ws:
        links = ws.identity.links()
    first = links.iloc[0]
    out = runner.invoke(
        app, ["identity", "evidence", first["source_l"], first["source_id_l"], "-w", str(db)]
    )
    assert out.exit_code == 0, out.output
    assert f"{first['source_r']} {first['source_id_r']}" in out.output


def test_evaluate_prints_the_api_scores(resolved):
    folder, db, _ = resolved
    with cxlens.Workspace(db) as ws:
        truth = pd.read_csv(folder / "truth.csv", dtype=str)
        scores = ws.identity.evaluate(truth)
    out = runner.invoke(app, ["identity", "evaluate", str(folder / "truth.csv"), "-w", str(db)])
    assert out.exit_code == 0, out.output
    assert f"{float(scores['f1'].iloc[0]):.3f}" in out.output


def test_evaluate_names_a_missing_column(resolved, tmp_path):
    _, db, _ = resolved
    bad = tmp_path / "truth.csv"
    pd.DataFrame({"source": ["crm"], "source_id": ["1"]}).to_csv(bad, index=False)
    out = runner.invoke(app, ["identity", "evaluate", str(bad), "-w", str(db)])
    assert out.exit_code == 1
    assert "cannot tell which column of the truth table holds the true identity" in out.output
    named = runner.invoke(app, ["identity", "evaluate", str(bad), "--true", "person_id",
                                "-w", str(db)])  # fmt: skip
    assert named.exit_code == 1
    assert "lacks column(s) person_id" in named.output


def test_evaluate_accepts_the_demo_truth_layout(resolved, tmp_path):
    # the demo writes identity_links.csv: source, source_id, customer_id (the true customer)
    folder, db, _ = resolved
    links = write_sample(generate(customers=50, months=3, seed=1), tmp_path)["identity_links"]
    layout = pd.read_csv(links, nrows=0).columns.tolist()
    assert layout == ["source", "source_id", "customer_id"]
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    as_demo = tmp_path / "identity_links_of_the_test_people.csv"
    truth.rename(columns={"person_id": "customer_id"})[layout].to_csv(as_demo, index=False)
    with cxlens.Workspace(db) as ws:
        expected = ws.identity.evaluate(truth, true="person_id")
        assert ws.identity.evaluate(pd.read_csv(as_demo, dtype=str)).equals(expected)
    out = runner.invoke(app, ["identity", "evaluate", str(as_demo), "-w", str(db)])
    assert out.exit_code == 0, out.output
    assert f"{float(expected['f1'].iloc[0]):.3f}" in out.output


def test_flags_run_on_the_workspace(resolved):
    _, db, _ = resolved
    with cxlens.Workspace(db) as ws:
        flags = ws.identity.flags()
    out = runner.invoke(app, ["identity", "flags", "-w", str(db)])
    assert out.exit_code == 0, out.output
    if flags.empty:
        assert "no empty or invalid values" in out.output
    else:
        assert f"identity values flagged: {len(flags):,}" in out.output
