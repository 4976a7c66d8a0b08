"""The text-pipeline benchmark at tiny size: sentiment + themes run, every comment is counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from benchmarks.common import DisagreementError
from benchmarks.text_data import ensure_comments
from benchmarks.text_pipeline_impls import (
    ANALYSED,
    CxlensText,
    sentence_sets,
    set_agreement,
    theme_sets,
)

from benchmarks import text_pipeline
from cxlens.text.themes import SENTENCE_ACCURATE_BUDGET

pytestmark = pytest.mark.slow  # benchmark harness runs on generated data sets

ROWS = 3000
SEED = 11


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-text")


@pytest.fixture(scope="module")
def entry(data_dir: Path) -> dict:
    return text_pipeline.run(rows=ROWS, seed=SEED, repeat=1, warmup=0, data_dir=data_dir)


@pytest.fixture(scope="module")
def comments(data_dir: Path, entry: dict) -> pd.DataFrame:
    return pd.read_parquet(ensure_comments(ROWS, SEED, data_dir))


def test_every_comment_is_accounted_for(entry, comments):
    themes = entry["themes"]
    counts = themes["accounting"]
    assert sum(counts.values()) == ROWS
    others = {k: v for k, v in counts.items() if k not in ("assigned", "no_theme")}
    assert themes["assigned"] + themes["no_theme"] + sum(others.values()) == ROWS
    # comments not analysed keep their sentiment status; bad input is never assigned
    statuses = entry["statuses"]
    for status in ("empty", "no_letters"):
        assert others.get(status, 0) == statuses.get(status, 0)
    # the planted bad input without words ("", emoji only, "!!!") is among them
    wordless = int(comments["text"].isin(["", "😍😍😍", "!!!"]).sum())
    assert counts["empty"] + counts["no_letters"] >= wordless > 0
    # the planted invalid UTF-8 (bytes) is repaired and analysed, not taken for empty
    assert statuses["invalid_utf8"] == int(comments["raw"].notna().sum()) > 0
    analysed = sum(statuses.get(s, 0) for s in ANALYSED)
    dropped = counts.get("unsupported_language", 0) - statuses.get("unsupported_language", 0)
    assert themes["assigned"] + themes["no_theme"] == analysed - dropped
    assert themes["outlier_share"] == pytest.approx(
        themes["no_theme"] / (themes["assigned"] + themes["no_theme"]), abs=1e-4
    )
    assert themes["memberships"] >= themes["assigned"] > 0.8 * analysed


def test_themes_are_found_for_every_language_and_fit_on_the_sample(entry):
    themes = entry["themes"]
    assert set(themes["per_language"]) == {"en", "ru", "zh"}
    assert all(n >= 2 for n in themes["per_language"].values())
    # at this size the fit sample is every analysed comment
    analysed = sum(entry["statuses"].get(s, 0) for s in ANALYSED)
    assert themes["fitted_on"] == analysed
    members = [t["members"] for t in themes["largest"]]
    assert members == sorted(members, reverse=True) and len(members) == 5
    # the share of their member sentences holding a label word is reported
    assert all(0 <= t["label_purity"] <= 1 for t in themes["largest"])


def test_the_time_split_and_speeds_are_reported(entry):
    split = entry["seconds_split"]
    assert set(split) == {"sentiment", "theme_fit", "assignment", "sentence_sentiment"}
    assert all(v > 0 for v in split.values())
    assert sum(split.values()) <= entry["pipeline_seconds"] + 0.02 <= entry["seconds"] + 0.02
    # CPU time of the same parts (all threads), and of the pipeline without the checks
    cpu = entry["cpu_seconds_split"]
    assert set(cpu) == set(split) and all(v > 0 for v in cpu.values())
    assert sum(cpu.values()) <= entry["pipeline_cpu_seconds"] + 0.02
    assert entry["pipeline_cpu_seconds"] < entry["cpu_seconds"]["cxlens"]
    assert entry["accurate_path"]["accurate_cpu_seconds"] > 0
    assert 0 < entry["distinct_texts"] <= ROWS
    assert len(entry["load_average_after"]) == 3
    speed = entry["texts_per_second"]
    # the pipeline's time: the run less the untimed agreement check
    assert speed["cxlens"] == pytest.approx(ROWS / entry["pipeline_seconds"], rel=1e-3)
    assert speed["cxlens_assignment"] == pytest.approx(ROWS / split["assignment"])
    assert entry["peak_mb"] > 0 and entry["baselines"]["vader"] > 0
    # the accuracy figures are still there
    assert {"cxlens:en", "cxlens:ru", "cxlens:zh", "vader:en"} <= set(entry["quality"])
    assert entry["quality"]["cxlens:zh"]["accuracy"] > 0.8


def test_the_fit_sample_is_capped_and_seeded(data_dir, comments):
    workload = CxlensText(str(ensure_comments(ROWS, SEED, data_dir)), fit_sample=400, seed=3)
    # the source language stands in for sentiment's detection; bad input is not analysed
    source = comments["language"]
    scored = pd.DataFrame({"language": source, "status": np.where(source == "bad", "empty", "ok")})
    model, fitted_on = workload._fit(scored)
    assert fitted_on == 400
    again, _ = workload._fit(scored)
    pd.testing.assert_frame_equal(model.themes_, again.themes_)


def test_theme_figures_fail_when_comments_go_missing():
    labels = pd.DataFrame(
        {"themes": [2, 1, 0, 0], "theme_status": ["assigned", "assigned", "no_theme", "empty"]}
    )
    themes = pd.DataFrame(
        {"theme": ["en-01", "ru-01"], "language": ["en", "ru"], "label": ["a", "b"],
         "members": [2, 1]}
    )  # fmt: skip
    got = text_pipeline.theme_figures(labels, themes, 3)
    assert got["accounting"] == {"assigned": 2, "empty": 1, "no_theme": 1}
    assert got["outlier_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert got["per_language"] == {"en": 1, "ru": 1}
    labels.loc[3, "theme_status"] = np.nan  # a comment with no status
    with pytest.raises(DisagreementError, match="cover 3 of 4"):
        text_pipeline.theme_figures(labels, themes, 3)
    labels.loc[3, "theme_status"] = "empty"
    themes.loc[0, "members"] = 3
    with pytest.raises(DisagreementError, match="4 members but comments 3"):
        text_pipeline.theme_figures(labels, themes, 3)


def test_the_assignment_student_is_compared_with_use_on_held_out_comments(data_dir, comments):
    workload = CxlensText(
        str(ensure_comments(ROWS, SEED, data_dir)), fit_sample=400, theme_agreement_sample=150
    )
    source = comments["language"]
    scored = pd.DataFrame({"language": source, "status": np.where(source == "bad", "empty", "ok")})
    model, _ = workload._fit(scored)
    state = {lang: (len(m.known), m.budget_left) for lang, m in model.models_.items()}
    got = workload._theme_agreement(model, scored)
    assert got["sample"] == 150 and got["sentence_count"] >= 150
    assert 0 <= got["same_themes"] <= got["jaccard"] <= 1
    assert 0 <= got["student_same_themes"] <= got["student_jaccard"] <= 1
    # nothing was assigned before the check: the teacher's budget covers every held-out
    # sentence, so the default reading is the teacher's own
    assert got["same_themes"] == got["sentences"] == 1.0 and got["unread_sentences"] == 0
    assert got["in_theme"] == got["teacher_in_theme"]
    assert 0 <= got["student_sentences"] <= 1
    # the check leaves the model as it was: its reading, budget and known sentences
    assert model.assign == "cascade"
    assert state == {lang: (len(m.known), m.budget_left) for lang, m in model.models_.items()}
    # as if a run had spent the teacher's budget: the student reads the new sentences
    for m in model.models_.values():
        m.budget_left = 0
    spent = workload._theme_agreement(model, scored)
    assert 0 < spent["unread_sentences"] <= spent["sentence_count"]
    assert 0 <= spent["unread_agreement"] <= 1
    # held out: distinct texts, none of them in the fit sample
    fitted = {workload.texts[i] for i in workload._fit_rows(scored)}
    usable = np.flatnonzero((source != "bad").to_numpy())
    held_out = {workload.texts[i] for i in usable} - fitted
    assert len(held_out) >= 150
    # every comment of the fit sample is in it: nothing is held out, nothing is claimed
    everything = CxlensText(workload.path, fit_sample=ROWS)
    assert np.isnan(everything._theme_agreement(model, scored)["same_themes"])


def test_set_agreement_by_hand():
    a = [frozenset({"x"}), frozenset({"x", "y"}), frozenset(), frozenset()]
    b = [frozenset({"x"}), frozenset({"y"}), frozenset({"z"}), frozenset()]
    got = set_agreement(a, b)
    assert got["same_themes"] == pytest.approx(2 / 4)
    assert got["jaccard"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert got["student_in_theme"] == pytest.approx(2 / 4)
    assert got["teacher_in_theme"] == pytest.approx(3 / 4)
    assert np.isnan(set_agreement([], [])["jaccard"])
    with pytest.raises(ValueError, match="2 student and 1 teacher"):
        set_agreement(a[:2], b[:1])
    found = pd.DataFrame({"row": [2, 0, 0], "theme": ["t1", "t2", "t1"]})
    assert theme_sets(found, 3) == [frozenset({"t1", "t2"}), frozenset(), frozenset({"t1"})]
    # from sentences: comment 0 has an outlier sentence and one in t1, comment 1 none
    sents = sentence_sets(np.array(["", "t1", "t2", "t2"], dtype=object), np.array([0, 0, 2, 2]), 3)
    assert sents == [frozenset({"t1"}), frozenset(), frozenset({"t2"})]


def test_member_sentences_are_scored_and_their_fast_reading_checked(entry):
    sentences = entry["sentence_sentiment"]
    # every membership's theme sentence has a reading (the sampled sets are en, ru, zh)
    assert sentences["memberships"] == entry["themes"]["memberships"]
    assert 0 < sentences["distinct_sentences_per_batch"] <= sentences["memberships"]
    assert 0 < sentences["negative_share"] < 1
    # the accurate path reads at most the fixed budget of distinct sentences per language
    assert 0 < sentences["accurate_sentences"] <= 3 * SENTENCE_ACCURATE_BUDGET
    assert sentences["agreement_sample"] > 0 and 0 <= sentences["fast_vs_accurate"] <= 1
