"""The truths planted in the sample are there to be found."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cxlens.sample import SampleData, generate

# Sentiment words per language, written independently of the generator's templates.
POSITIVE = {
    "en": r"\b(?:great|excellent|love|happy with|satisfied|fantastic)\b",
    "ru": r"(?:отличный|очень доволен|супер|прекрасный|полностью доволен)",
    "zh": r"(?:非常好|很满意|很棒|非常满意|很不错)",
}
NEGATIVE = {
    "en": r"\b(?:disappointed|terrible|unhappy|awful|frustrating|not happy)\b",
    "ru": r"(?:разочарован|ужасный|недоволен|кошмар)",
    "zh": r"(?:失望|太差|不满意|糟糕|生气)",
}
SCRIPT = {"ru": r"[\u0400-\u04ff]", "zh": r"[\u4e00-\u9fff]"}
BILLING = r"(?:billing|биллинг|выставления счетов|систему оплаты|计费|账单系统)"


def _nps(scores: pd.Series) -> float:
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean())


def _nps_se(scores: pd.Series) -> float:
    p, d = (scores >= 9).mean(), (scores <= 6).mean()
    return 100.0 * np.sqrt((p + d - (p - d) ** 2) / len(scores))


def _with_segment(sample: SampleData) -> pd.DataFrame:
    r = sample.tables["responses"]
    seg = sample.tables["customers"].set_index("customer_id")["segment"]
    return r.assign(segment=r["customer_id"].map(seg))


def test_ols_on_driver_ratings_recovers_the_order_of_true_weights(sample: SampleData) -> None:
    r = sample.tables["responses"]
    weights = sample.truth["drivers"]["weights"]
    names = list(weights)
    x = np.column_stack([np.ones(len(r))] + [r[f"driver_{n}"].to_numpy(float) for n in names])
    coef, *_ = np.linalg.lstsq(x, r["nps"].to_numpy(float), rcond=None)
    estimated = dict(zip(names, coef[1:], strict=True))
    assert sorted(names, key=lambda n: -estimated[n]) == sample.truth["drivers"]["order"]
    assert sample.truth["drivers"]["order"][:2] == ["reliability", "support"]
    for name in names:  # rounding and clipping to 0-10 shrink them a little
        assert 0.4 * weights[name] < estimated[name] < 1.1 * weights[name], name


def test_ces_follows_ease_and_csat_follows_nps(sample: SampleData) -> None:
    r = sample.tables["responses"].dropna(subset=["ces", "csat"])
    corr = r[["nps", "csat", "ces", "driver_ease", "driver_price"]].astype(float).corr()
    assert corr.loc["ces", "driver_ease"] > 0.6
    assert corr.loc["ces", "driver_ease"] > corr.loc["ces", "driver_price"] + 0.3
    assert corr.loc["nps", "csat"] > 0.7


def _problem_cells(sample: SampleData) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    problem = sample.truth["planted_problem"]
    r = _with_segment(sample)
    after = r["responded_at"] >= pd.Timestamp(problem["start"])
    billing = r["touchpoint"] == problem["touchpoint"]
    hit = r["segment"] == problem["segment"]
    return r, after, billing, hit


def _did(sample: SampleData) -> tuple[float, float]:
    """NPS drop of the hit cell minus that of other segments' billing answers, and its SE."""
    r, after, billing, hit = _problem_cells(sample)
    cells = [
        r.loc[hit & billing & ~after, "nps"],
        r.loc[hit & billing & after, "nps"],
        r.loc[~hit & billing & ~after, "nps"],
        r.loc[~hit & billing & after, "nps"],
    ]
    did = (_nps(cells[0]) - _nps(cells[1])) - (_nps(cells[2]) - _nps(cells[3]))
    return did, float(np.sqrt(sum(_nps_se(c) ** 2 for c in cells)))


def test_planted_problem_is_recorded(sample: SampleData) -> None:
    problem = sample.truth["planted_problem"]
    assert problem["segment"] == "small_business" and problem["touchpoint"] == "billing"
    assert problem["start_month_index"] == 15 and problem["start"] == "2025-04-01"
    # The realised drop is measured on ~200 affected answers at this size, so it scatters.
    assert abs(problem["nps_drop"] - problem["target_nps_drop"]) < 9
    _, after, billing, hit = _problem_cells(sample)
    assert problem["affected_responses"] == int((hit & billing & after).sum())


def test_planted_drop_shows_in_nps_points(sample: SampleData) -> None:
    # One cell of a 2,000-customer sample holds ~200 answers a side (SE ~9 points), so the
    # before/after check pools three samples; the planted size is the truth's nps_drop.
    samples = [sample] + [generate(customers=2000, seed=s) for s in (8, 9)]
    results = [_did(s) for s in samples]
    did = float(np.mean([d for d, _ in results]))
    se = float(np.sqrt(sum(e**2 for _, e in results))) / len(results)
    planted = float(np.mean([s.truth["planted_problem"]["nps_drop"] for s in samples]))
    assert did > 10
    assert abs(did - planted) < max(8.0, 3 * se)


def test_planted_drop_shows_with_drivers_held_fixed(sample: SampleData) -> None:
    problem = sample.truth["planted_problem"]
    r, after, billing, hit = _problem_cells(sample)
    a, b, h = (m.to_numpy(float) for m in (after, billing, hit))
    drivers = r[sample.truth["drivers"]["columns"]].to_numpy(float)
    x = np.column_stack([np.ones(len(r)), drivers, a, b, h, a * b, a * h, b * h, a * b * h])
    coef, *_ = np.linalg.lstsq(x, r["nps"].to_numpy(float), rcond=None)
    # Rounding and clipping to 0-10 shrink the latent shift a little.
    assert -1.5 * problem["latent_shift"] < coef[-1] < -0.3 * problem["latent_shift"]


def test_planted_problem_spares_other_touchpoints(sample: SampleData) -> None:
    r, after, billing, hit = _problem_cells(sample)
    other = hit & ~billing & r["touchpoint"].notna()
    pre, post = r.loc[other & ~after, "nps"], r.loc[other & after, "nps"]
    assert _nps(pre) - _nps(post) < 3 * np.hypot(_nps_se(pre), _nps_se(post))


def test_affected_detractors_complain_about_billing(sample: SampleData) -> None:
    problem = sample.truth["planted_problem"]
    r = _with_segment(sample).dropna(subset=["comment"])
    after = r["responded_at"] >= pd.Timestamp(problem["start"])
    cell = (r["segment"] == problem["segment"]) & (r["touchpoint"] == "billing") & (r["nps"] <= 6)
    mentions = r["comment"].str.contains(BILLING)
    assert mentions[cell & after].mean() > 0.5
    assert mentions[~(cell & after)].mean() < 0.01


def test_december_dip(sample: SampleData) -> None:
    r = sample.tables["responses"]
    month = r["responded_at"].dt.month
    december = _nps(r.loc[month == 12, "nps"])
    spring_summer = _nps(r.loc[month.between(3, 10), "nps"])
    assert spring_summer - december > 5
    assert sample.truth["seasonality"]["dip_month"] == 12


def test_comment_sentiment_agrees_with_the_score(sample: SampleData) -> None:
    r = sample.tables["responses"].dropna(subset=["comment"])
    for lang in ("en", "ru", "zh"):
        sub = r[r["language"] == lang]
        text = sub["comment"].str.lower()
        pos = text.str.contains(POSITIVE[lang], flags=re.UNICODE)
        neg = text.str.contains(NEGATIVE[lang], flags=re.UNICODE)
        promoters, detractors = sub["nps"] >= 9, sub["nps"] <= 6
        passives = ~promoters & ~detractors
        assert promoters.sum() > 20 and detractors.sum() > 20 and passives.sum() > 20
        # roughen() rewrites a share (short, off-topic, sarcastic, French, typos): most agree
        assert (pos & ~neg)[promoters].mean() > 0.75, lang
        assert (neg & ~pos)[detractors].mean() > 0.75, lang
        assert (~pos & ~neg)[passives].mean() > 0.75, lang
        for other, script in SCRIPT.items():
            has_script = sub["comment"].str.contains(script)
            assert has_script.all() if other == lang else not has_script.any(), (lang, other)


def test_language_mix_matches_the_declared_one(sample: SampleData) -> None:
    declared = sample.truth["languages"]["declared"]
    assert declared == {"en": 0.7, "ru": 0.18, "zh": 0.12}
    for name, col in (("responses", "language"), ("customers", "language"), ("posts", "language")):
        values = sample.tables[name][col]
        realised = values.value_counts(normalize=True)
        for lang, share in declared.items():
            n = min(len(values), len(sample.tables["customers"]))  # answers cluster by customer
            tolerance = 0.01 + 3.5 * np.sqrt(share * (1 - share) / n)
            assert abs(realised[lang] - share) < tolerance, (name, lang)
    assert sample.truth["languages"]["responses"]["ru"] == round(
        float((sample.tables["responses"]["language"] == "ru").mean()), 4
    )


def test_share_of_voice_matches_the_truth(sample: SampleData) -> None:
    sov = sample.truth["share_of_voice"]
    posts = sample.tables["posts"]
    realised = posts["brand"].value_counts(normalize=True)
    for brand, share in sov["declared"].items():
        tolerance = 4 * np.sqrt(share * (1 - share) / len(posts))
        assert abs(realised[brand] - share) < tolerance, brand
        assert abs(realised[brand] - sov["realised"][brand]) < 1e-3, brand
    assert max(sov["declared"], key=sov["declared"].get) == sample.truth["firm"]["name"]


def test_less_satisfied_customers_churn_more(sample: SampleData) -> None:
    r = sample.tables["responses"]
    c = sample.tables["customers"].set_index("customer_id")
    mean_nps = r.groupby("customer_id")["nps"].mean()
    churned = c.loc[mean_nps.index, "churned_at"].notna()
    low, high = churned[mean_nps < 6.5].mean(), churned[mean_nps >= 8.5].mean()
    assert low > 1.5 * high
    by_group = sample.truth["churn"]["churned_share_by_expected_group"]
    assert by_group["detractor"] > by_group["passive"] > by_group["promoter"]
    assert sample.truth["churn"]["churned_share"] == round(float(c["churned_at"].notna().mean()), 4)


def test_truth_is_json_and_names_what_was_planted(sample: SampleData) -> None:
    import json

    truth = json.loads(json.dumps(sample.truth))
    assert truth == sample.truth
    for key in (
        "seed", "size", "drivers", "planted_problem", "share_of_voice", "churn", "languages",
        "seasonality", "comments", "campaigns", "identities", "survey_export",
    ):  # fmt: skip
        assert key in truth
    assert truth["size"]["customers"] == 2000
    assert truth["size"]["rows"]["responses"] == len(sample.tables["responses"])
