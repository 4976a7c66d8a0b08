"""The churn-train benchmark at tiny size: it runs, quality is compared, the entry is right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from benchmarks import churn_train, churn_train_data, measure, results

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 6_000


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, measure.Measurement]:
    data_dir = tmp_path_factory.mktemp("bench-churn")
    return churn_train.measure_all(ROWS, repeat=1, warmup=0, data_dir=data_dir)


@pytest.mark.slow  # two training subprocesses; about 30 s on a quiet machine
def test_both_score_every_customer_and_agree_on_quality(measured):
    assert set(measured) == {"cxlens", "sklearn-hgb"}
    quality = churn_train.check_agreement({n: m.results for n, m in measured.items()})
    for q in quality.values():
        assert q["scored"] == ROWS and q["n"] == ROWS // 5
        assert q["roc_auc"] > 0.65 and q["brier"] < q["brier_baseline"]


@pytest.mark.slow  # two training subprocesses; about 30 s on a quiet machine
def test_a_worse_auc_fails_the_run(measured):
    got = {n: {k: f.copy() for k, f in m.results.items()} for n, m in measured.items()}
    got["cxlens"]["quality"].loc[0, "roc_auc"] = (
        got["sklearn-hgb"]["quality"].loc[0, "roc_auc"] - 0.02
    )
    with pytest.raises(churn_train.DisagreementError, match=r"more than 0\.01 below"):
        churn_train.check_agreement(got)


@pytest.mark.slow  # two training subprocesses; about 30 s on a quiet machine
def test_the_entry_has_the_documented_shape(measured, tmp_path: Path):
    quality = churn_train.check_agreement({n: m.results for n, m in measured.items()})
    entry = churn_train.make_entry(ROWS, churn_train.DEFAULT_SEED, 1, 0, measured, quality)
    path = tmp_path / "results.json"
    results.save_results([entry], path)
    got = json.loads(path.read_text())[0]
    assert set(results.ENTRY_KEYS) <= set(got)
    assert got["name"] == "churn-train" and got["rows"] == ROWS
    assert set(got["ratios"]) == {"sklearn-hgb"} and got["peak_mb"] > 0
    assert got["quality"]["cxlens"]["roc_auc"] == quality["cxlens"]["roc_auc"]


def test_the_data_follows_its_planted_mechanism(tmp_path: Path):
    path = churn_train_data.ensure_churn_train_data(40_000, seed=3, data_dir=tmp_path)
    frame = pd.read_parquet(path)
    assert len(frame) == 40_000 and frame["mean_nps"].isna().mean() == pytest.approx(0.3, abs=0.02)
    assert frame["part"].value_counts().to_dict() == {"train": 24_000, "calibration": 8_000,
                                                      "test": 8_000}  # fmt: skip
    p = 1 / (1 + np.exp(-churn_train_data.true_logit(frame)))
    assert abs(p.mean() - frame["churned"].mean()) < 0.005
    assert roc_auc_score(frame["churned"], p) > 0.7
    assert churn_train_data.ensure_churn_train_data(40_000, seed=3, data_dir=tmp_path) == path
