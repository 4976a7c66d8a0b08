"""The executive summary: plain sentences at the top of the report, built from its numbers.

Every sentence is written from a computed table, never from canned text, in the order a
client reads a story: what changed significantly in the latest full period, the headline
metric against its published benchmark, the KPI furthest from its target, the top findings
of the insight scan (their own sentences); why: the strongest driver of NPS, the themes
customers raise most negatively (in their words) and the weakest touchpoint of the journey;
what is at stake: the value at risk where the CLV and churn models can be fitted; then the
recommended actions ranked by the money at stake. Each carries its number, interval or n
and names the report section it comes from. A piece whose data is missing, or whose analysis
fails, is left out (and logged); the summary never fails the report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.display import display_name
from cxlens.money import format_money
from cxlens.report.analyses import fmt_interval, fmt_number, kpi_value
from cxlens.report.collect import UNIT_OF_N, MetricResult, latest_full
from cxlens.report.sections import benchmark_text, short_source
from cxlens.report.spec import format_period
from cxlens.report.template import Section, esc

if TYPE_CHECKING:
    from cxlens.models.churn_analysis import RiskSummary
    from cxlens.report.models_parts import ModelFits
    from cxlens.workspace import Workspace

log = logging.getLogger(__name__)

#: The most sentences the summary holds.
SUMMARY_MAX = 10

#: Themes the summary names, most negative share first.
SUMMARY_THEMES = 2

#: Insight-scan findings quoted in the summary.
SUMMARY_INSIGHTS = 2

#: Benchmark units on the metric's own scale (others are not compared in the summary).
_LIKE_FOR_LIKE = {"points", "percent", "%", ""}

#: KPI statuses, worst first: the summary reports the KPI furthest from its target.
_STATUS_ORDER = {"off track": 0, "at risk": 1, "on track": 2}


@dataclass(frozen=True)
class SummaryPoint:
    """One sentence of the executive summary and the numbers it states.

    ``kind`` is "change", "headline", "kpi", "insight", "driver", "theme", "touchpoint",
    "value_at_risk" or "action"; ``value``,
    ``ci_low`` and ``ci_high`` are the figure the sentence is about (NaN when it has none).

    Example:
        >>> SummaryPoint("headline", "NPS is 30.", 30.0).kind
        'headline'
    """

    kind: str
    sentence: str
    value: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan


def _ci_text(low: str, high: str, confidence: float) -> str:
    return f"{confidence:.0%} CI {low} to {high}"


def headline_point(
    result: MetricResult, confidence: float = 0.95, every: str = "month"
) -> SummaryPoint:
    """State a metric's overall value, interval and n, and where it stands on its benchmark.

    The benchmark is the first of ``result.benchmarks`` on the metric's own scale (an index
    on another scale is left out rather than compared).

    Example:
        >>> headline_point(results[0]).sentence  # doctest: +SKIP
        'NPS is 28 (95% CI 26 to 30; 5,606 answers), above the all-industry median of 16 ...'
    """
    spec, row = result.spec, result.overall
    value, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
    subject = spec.label
    trend = result.trend[result.trend["n"] > 0] if len(result.trend) else result.trend
    if spec.trended:  # churn's overall row is its latest full period
        subject = f"{spec.label} in {format_period(row['period'], every)}"
    elif len(trend):  # the tiles lead with the latest period: say this is the whole one
        subject = (
            f"Over the whole period ({format_period(trend['period'].min(), every)} – "
            f"{format_period(trend['period'].max(), every)}), {spec.label}"
        )
    sentence = (
        f"{subject} is {spec.fmt(value)} ("
        f"{_ci_text(spec.fmt(low), spec.fmt(high), confidence)}; "
        f"{int(row['n']):,} {UNIT_OF_N[spec.key]})"
    )
    bench = result.benchmarks
    if not bench.empty:
        bench = bench[bench["unit"].fillna("").astype(str).isin(_LIKE_FOR_LIKE)]
    if not bench.empty:
        b = bench.iloc[0]
        who, shown = benchmark_text(b).split(": ", 1)
        verdict = str(b.get("verdict", "") or "")
        where = {"above": "above", "below": "below"}.get(verdict, "within")
        source = short_source(str(b.get("source", "") or ""))
        sentence += f", {where} the {who[0].lower()}{who[1:]} of {shown} ({source}"
        b_low, b_high = float(b["benchmark_low"]), float(b["benchmark_high"])
        # the point may clear the benchmark while its interval does not
        if where != "within" and low <= b_high and high >= b_low:
            sentence += ", though the interval reaches it"
        sentence += ")"
    return SummaryPoint("headline", sentence + ".", value, low, high)


def change_points(
    results: Sequence[MetricResult], every: str = "month", confidence: float = 0.95
) -> list[SummaryPoint]:
    """State the significant changes of the latest full period, most significant first.

    One sentence per metric whose latest full period (:func:`cxlens.report.collect.latest_full`;
    a partly elapsed one is never compared) changed significantly from the period before:
    direction, size, the period, the new value with its interval and n, and the p-value.
    ``value``/``ci_low``/``ci_high`` are the period's value and interval.

    Example:
        >>> change_points(results)[0].sentence  # doctest: +SKIP
        'NPS fell 19.9 pts in Dec 2025, to 10 (95% CI 1 to 18; 347 answers): significant, ...'
    """
    found = []
    for r in results:
        row = latest_full(r.trend)
        if row is None or not bool(row.get("significant", False)):
            continue
        change = float(row["change"])
        if not math.isfinite(change) or change == 0:
            continue
        spec = r.spec
        verb = "rose" if change > 0 else "fell"
        value, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
        sentence = (
            f"{spec.label} {verb} {spec.fmt_change(abs(change)).lstrip('+')} in "
            f"{format_period(row['period'], every)}, to {spec.fmt(value)} "
            f"({_ci_text(spec.fmt(low), spec.fmt(high), confidence)}; {int(row['n']):,} "
            f"{UNIT_OF_N[spec.key]}): significant (p = {float(row['p_value']):.2g})."
        )
        found.append((float(row["p_value"]), SummaryPoint("change", sentence, value, low, high)))
    return [point for _, point in sorted(found, key=lambda pair: pair[0])]


def kpi_point(status: pd.DataFrame, confidence: float = 0.95, every: str = "month") -> SummaryPoint:
    """State the KPI furthest from its target: value, interval, n, target, gap and status.

    Args:
        status: :meth:`cxlens.analysis.kpis.Kpis.status` (one row per KPI).
        confidence: level of the KPI intervals.
        every: the grain of the status periods.

    Returns:
        The point; ValueError when ``status`` is empty.

    Example:
        >>> kpi_point(ws.kpis.status()).kind  # doctest: +SKIP
        'kpi'
    """
    if status.empty:
        raise ValueError("no KPI is defined")
    rank = status["status"].map(_STATUS_ORDER).fillna(3)
    row = status.assign(_rank=rank).sort_values(["_rank", "gap"], kind="stable").iloc[0]
    metric = str(row["metric"])
    value, low, high = float(row["value"]), float(row["ci_low"]), float(row["ci_high"])
    unit = UNIT_OF_N.get(metric, "observations")
    sentence = (
        f"The {row['name']} KPI stood at {kpi_value(metric, value)} in "
        f"{format_period(row['period'], every)} ("
        f"{_ci_text(kpi_value(metric, low), kpi_value(metric, high), confidence)}; "
        f"{int(row['n']):,} {unit}) against a target of {kpi_value(metric, row['target'])}: "
        f"{row['status']}, a gap of {kpi_value(metric, row['gap'])}."
    )
    return SummaryPoint("kpi", sentence, value, low, high)


def insight_points(found: pd.DataFrame, top: int = SUMMARY_INSIGHTS) -> list[SummaryPoint]:
    """Quote the ``top`` findings of the insight scan, each its own sentence with its numbers.

    ``value``/``ci_low``/``ci_high`` of each point are the finding's difference and its
    interval.

    Example:
        >>> insight_points(pd.DataFrame({"sentence": ["NPS fell 9 points (95% CI −14 to −4)."],
        ...     "difference": [-9.0], "ci_low": [-14.0], "ci_high": [-4.0]}))[0].value
        -9.0
    """
    return [
        SummaryPoint(
            "insight",
            str(row["sentence"]),
            float(row["difference"]),
            float(row["ci_low"]),
            float(row["ci_high"]),
        )
        for row in found.head(top).to_dict("records")
    ]


def driver_point(importance: pd.DataFrame, confidence: float = 0.95) -> SummaryPoint:
    """Name the strongest driver of NPS: its share of R², interval, R² and answers.

    Args:
        importance: :func:`cxlens.analysis.drivers.drivers_for_workspace` for NPS
            (``driver``, ``rescaled_weight`` in % of R², ``ci_low``, ``ci_high``, ``n``,
            ``r_squared``).
        confidence: level of the bootstrap interval.

    Example:
        >>> imp = pd.DataFrame({"driver": ["driver_price"], "rescaled_weight": [56.3],
        ...     "ci_low": [52.2], "ci_high": [60.3], "n": [1440], "r_squared": [0.61]})
        >>> driver_point(imp).sentence
        'Price is the strongest driver of NPS: 56% of the explained variance (95% CI 52% to 60%; R² = 0.61 over 1,440 answers).'
    """  # noqa: E501
    if importance.empty:
        raise ValueError("no driver was analysed")
    row = importance.sort_values("rescaled_weight", ascending=False).iloc[0]
    name = str(row["driver"]).removeprefix("driver_").replace("_", " ")
    value, low, high = (float(row[c]) for c in ("rescaled_weight", "ci_low", "ci_high"))
    interval = fmt_interval(low, high, 0, "%")
    ci = f"{confidence:.0%} CI {interval}; " if interval != "—" else ""
    sentence = (
        f"{name.capitalize()} is the strongest driver of NPS: {fmt_number(value, 0, '%')} of "
        f"the explained variance ({ci}R² = {float(row['r_squared']):.2f} over "
        f"{int(row['n']):,} answers)."
    )
    return SummaryPoint("driver", sentence, value, low, high)


def theme_point(
    themes: pd.DataFrame, *, top: int = SUMMARY_THEMES, min_n: int = 30
) -> SummaryPoint:
    """Name the themes customers raise most negatively, most negative share first.

    From the themes "What customers say" shows (``themes``: its table, most comments first):
    those with at least ``min_n`` comments and some negative ones, and a topic (not marked
    mixed, :func:`cxlens.text.discover.mixed_marker`), ranked by the share of
    their comments that are negative (what they say about the theme: its member sentences,
    :func:`cxlens.text.themes.theme_sentiment`); each named for the report's reader as every
    table of the report names it (:func:`cxlens.report.voice_parts.shown_names`: its
    ``name``, :func:`cxlens.text.translate.theme_names`: its label in the report's language
    where it has one), with that share, its comments and its
    ``negative_quote`` (its most typical member whose theme sentence is negative), so a
    client reads the complaint in customers' own words. Of that comment, the theme sentence
    (``negative_sentence``) is quoted, "…" marking where the comment goes on
    (:func:`cxlens.text.quote.sentence_excerpt`): the rest may complain of another topic,
    which the reader would take for the theme's reason. Never its most typical quote, which
    may be praise; a theme without a negative quote is named without one. ``value`` is the
    first theme's negative share in percent.

    Raises:
        ValueError: no topical theme has ``min_n`` comments with a negative one among them.

    Example:
        >>> themes = pd.DataFrame({"label": ["late delivery", "friendly staff"],
        ...     "count": [60, 90], "negative_share": [0.7, 0.05],
        ...     "negative_quote": ["Nice box. The parcel came a week late.", "Staff ignored me."],
        ...     "negative_sentence": ["The parcel came a week late.", None]})
        >>> theme_point(themes, min_n=30).sentence
        'Customers raise these themes most negatively: “late delivery” (70% of its 60 comments negative about it, e.g. “… The parcel came a week late.”); “friendly staff” (5% of its 90 comments negative about it, e.g. “Staff ignored me.”) (evidence: What customers say).'
    """  # noqa: E501
    from cxlens.report.voice_parts import shown_names
    from cxlens.text.discover import mixed_marker  # the text stack loads only with themes
    from cxlens.text.quote import sentence_excerpt

    scored = themes.assign(
        _neg=pd.to_numeric(themes["negative_share"], errors="coerce"), _name=shown_names(themes)
    )
    topical = scored["label"].map(lambda label: mixed_marker(str(label)) is None)
    usable = scored[(scored["count"] >= min_n) & (scored["_neg"] > 0) & topical]
    if usable.empty:
        raise ValueError(f"no topical theme has {min_n} comments with a negative one among them")
    ranked = usable.sort_values(["_neg", "count"], ascending=False, kind="stable").head(top)
    parts = []
    for r in ranked.to_dict("records"):
        quote = r.get("negative_quote")
        said = ""
        if isinstance(quote, str) and quote:
            said = f", e.g. “{sentence_excerpt(quote, r.get('negative_sentence'))}”"
        parts.append(
            f"“{r['_name']}” ({fmt_number(100 * r['_neg'], 0, '%')} of its "
            f"{int(r['count']):,} comments negative about it{said})"
        )
    sentence = (
        f"Customers raise {'these themes' if len(parts) > 1 else 'this theme'} most "
        f"negatively: {'; '.join(parts)} (evidence: What customers say)."
    )
    return SummaryPoint("theme", sentence, 100 * float(ranked["_neg"].iloc[0]))


def touchpoint_point(emotion: pd.DataFrame, confidence: float = 0.95) -> SummaryPoint:
    """Name the weakest touchpoint of the journey: the lowest mean emotion, with the best.

    From the emotion per touchpoint that "Customer journeys" draws
    (:func:`cxlens.journey.emotion.emotion`); touchpoints flagged as small samples are not
    ranked. ``value``/``ci_low``/``ci_high`` are the weakest touchpoint's mean emotion and
    interval (−1 to +1).

    Raises:
        ValueError: fewer than two touchpoints have enough answers to compare.

    Example:
        >>> em = pd.DataFrame({"touchpoint": ["billing", "app"], "emotion": [-0.31, 0.22],
        ...     "emotion_ci_low": [-0.40, 0.15], "emotion_ci_high": [-0.22, 0.29],
        ...     "responses": [120, 300], "small_sample": [False, False]})
        >>> touchpoint_point(em).sentence
        'Billing is the weakest touchpoint of the journey: mean emotion −0.31 on a −1 to +1 scale (95% CI −0.40 to −0.22; 120 answers), against +0.22 at App, the strongest (evidence: Customer journeys, emotion per touchpoint).'
    """  # noqa: E501
    usable = emotion[~emotion["small_sample"].astype(bool) & emotion["emotion"].notna()]
    if len(usable) < 2:
        raise ValueError("fewer than two touchpoints have enough answers to compare")
    ranked = usable.sort_values(["emotion", "touchpoint"], kind="stable")
    worst, best = ranked.iloc[0], ranked.iloc[-1]
    value, low, high = (float(worst[c]) for c in ("emotion", "emotion_ci_low", "emotion_ci_high"))
    sentence = (
        f"{display_name(worst['touchpoint'])} is the weakest touchpoint of the journey: mean "
        f"emotion {fmt_number(value, 2)} on a −1 to +1 scale ({confidence:.0%} CI "
        f"{fmt_interval(low, high, 2)}; {int(worst['responses']):,} answers), against "
        f"{_signed(float(best['emotion']))} at {display_name(best['touchpoint'])}, the strongest "
        "(evidence: Customer journeys, emotion per touchpoint)."
    )
    return SummaryPoint("touchpoint", sentence, value, low, high)


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def value_at_risk_point(
    risk: RiskSummary,
    *,
    horizon_days: int,
    horizon_months: int,
    roc_auc: float = math.nan,
    confidence: float = 0.95,
) -> SummaryPoint:
    """State the value at risk: the sum of CLV × churn probability over the scored customers.

    The figures come from :meth:`cxlens.models.namespace.Models.at_risk`, as the churn
    section's and the API's do. The interval is the range of the value actually lost if the
    model's probabilities are right: churn is a Bernoulli draw per customer, so the loss has
    mean Σ clv·p and variance Σ clv²·p·(1 − p) (normal approximation). It does not include
    the uncertainty of the models themselves, which the held-out ROC-AUC stands for.

    Args:
        risk: :class:`cxlens.models.churn_analysis.RiskSummary`.
        horizon_days: the churn window.
        horizon_months: the CLV horizon.
        roc_auc: the churn model's held-out ROC-AUC, quoted when given.
        confidence: level of the range.

    Example:
        >>> from cxlens.models.churn_analysis import RiskSummary
        >>> r = RiskSummary(active=3, high_risk=1, at_risk=2, valued=2, value_at_risk=80.0,
        ...     value_at_risk_sd=0.0, targets=1, targets_value_at_risk=50.0)
        >>> value_at_risk_point(r, horizon_days=90, horizon_months=12).value
        80.0
    """
    if not risk.active:
        raise ValueError("no customer was scored")
    total, sd = risk.value_at_risk, risk.value_at_risk_sd
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    low, high = max(total - z * sd, 0.0), total + z * sd
    skill = ""
    if math.isfinite(roc_auc):
        skill = f"; churn model ROC-AUC {roc_auc:.2f} on held-out customers"
    cur = risk.currency
    sentence = (
        f"Churn within {horizon_days} days puts {format_money(total, cur)} of "
        f"{horizon_months}-month customer value at risk across the {risk.valued:,} active "
        f"customers with a purchase ({confidence:.0%} range of the loss if the model is right: "
        f"{format_money(low, cur)} to {format_money(high, cur)}{skill}). Of the "
        f"{risk.active:,} customers active now, {risk.high_risk:,} are at high risk"
    )
    return SummaryPoint("value_at_risk", sentence + ".", total, low, high)


#: NPS points the "fix the top driver" action is valued at (as in "What NPS is worth").
ACTION_NPS_POINTS = 5


def action_points(
    risk: RiskSummary | None,
    driver: SummaryPoint | None,
    uplift: pd.DataFrame | None,
    *,
    driver_name: str = "",
    horizon_days: int = 90,
    currency: str = "",
) -> list[SummaryPoint]:
    """Recommend actions ranked by the money at stake, each with the evidence it rests on.

    * Retain: call the retention targets (churn probability at least the training base
      rate, by value at risk); at stake: their value at risk (the "Churn risk" section).
    * Improve the strongest driver of NPS: at stake, the projected 12-month revenue of
      +:data:`ACTION_NPS_POINTS` NPS points by turning detractors into passives (the "What
      NPS is worth" section), an association, not a proven effect.

    ``value`` of each point is the money at stake; the list is largest first.

    Example:
        >>> from cxlens.models.churn_analysis import RiskSummary
        >>> r = RiskSummary(active=9, high_risk=2, at_risk=3, valued=8, value_at_risk=900.0,
        ...     value_at_risk_sd=1.0, targets=3, targets_value_at_risk=700.0, currency="USD")
        >>> action_points(r, None, None)[0].sentence[:46]
        'Recommended: call the 3 retention targets, who'
    """
    found: list[SummaryPoint] = []
    if risk is not None and risk.targets:
        found.append(
            SummaryPoint(
                "action",
                f"Recommended: call the {risk.targets:,} retention targets, who hold "
                f"{format_money(risk.targets_value_at_risk, risk.currency)} of value at risk "
                f"within {horizon_days} days (evidence: Churn risk, retention targets).",
                risk.targets_value_at_risk,
            )
        )
    move = None
    if uplift is not None and len(uplift):
        rows = uplift[uplift["move"] == "detractor → passive"]
        move = rows.iloc[0] if len(rows) else None
    if driver is not None and move is not None and math.isfinite(move["projected_revenue"]):
        value = float(move["projected_revenue"])
        found.append(
            SummaryPoint(
                "action",
                f"Recommended: improve {driver_name or 'the strongest driver'}, the strongest "
                f"driver of NPS; {ACTION_NPS_POINTS} more NPS points, won by turning "
                f"detractors into passives, go with {format_money(value, currency)} of "
                "12-month revenue (evidence: What drives NPS; What NPS is worth; an "
                "association, not a proven effect).",
                value,
                float(move["projected_revenue_ci_low"]),
                float(move["projected_revenue_ci_high"]),
            )
        )
    return sorted(found, key=lambda p: -p.value if math.isfinite(p.value) else 0.0)


def choose_points(points: Sequence[SummaryPoint], most: int = SUMMARY_MAX) -> list[SummaryPoint]:
    """Keep at most ``most`` points, dropping the later insights first; order is kept.

    Priority: the latest change and the headline metrics; then the story: the KPI, the
    driver, the themes, the touchpoint, the value at risk and every recommended action;
    then further changes and the insights, later ones first to go.

    Example:
        >>> pts = [SummaryPoint("insight", str(i)) for i in range(8)]
        >>> [p.sentence for p in choose_points(pts, 3)]
        ['0', '1', '2']
    """
    priority = {"change": 0, "headline": 0, "kpi": 1, "driver": 1, "theme": 1,
                "touchpoint": 1, "value_at_risk": 1, "action": 1, "insight": 2}  # fmt: skip
    repeats = {"change", "insight", "headline"}  # a second one of these waits its turn
    ranked = sorted(
        range(len(points)),
        key=lambda i: (
            priority.get(points[i].kind, 3)
            + (2 * _nth_of_kind(points, i) if points[i].kind in repeats else 0),
            i,
        ),
    )
    keep = set(ranked[:most])
    return [p for i, p in enumerate(points) if i in keep]


def _nth_of_kind(points: Sequence[SummaryPoint], i: int) -> int:
    return sum(p.kind == points[i].kind for p in points[:i])


def _try(what: str, build: Callable[[], Any]) -> Any:
    """Run one piece of the summary; a failure leaves it out (logged), never the report."""
    try:
        return build()
    except Exception:  # one missing analysis must not cost the reader the whole summary
        log.info("executive summary: %s left out", what, exc_info=True)
        return None


def executive_summary(
    ws: Workspace,
    results: Sequence[MetricResult],
    *,
    every: str = "month",
    confidence: float = 0.95,
    min_n: int = 30,
    analyses: bool = True,
    bootstrap: int = 200,
    seed: int = 0,
    fits: ModelFits | None = None,
) -> list[SummaryPoint]:
    """Build the executive summary's sentences from the workspace's computed numbers.

    Args:
        ws: the Workspace.
        results: the report's metric results (:func:`cxlens.report.collect.collect_metrics`).
        every: period grain of the KPI status and the insight scan.
        confidence: level of every interval.
        min_n: small-sample threshold of the insight scan.
        analyses: add the KPI, insights, driver and value-at-risk sentences (False: the
            headline metrics only, no analysis is run).
        bootstrap: resamples of the driver interval.
        seed: seed of the bootstrap.
        fits: the CLV and churn fits the report's model sections use, so the models are
            fitted once per report (default: fitted here).

    Returns:
        Up to :data:`SUMMARY_MAX` :class:`SummaryPoint` in reading order: what changed
        significantly in the latest full period, the headline metric(s), the KPI furthest
        from target, top insights; why: top driver, the most negative themes
        (:func:`theme_point`), the weakest touchpoint (:func:`touchpoint_point`); the value
        at risk, then the recommended actions ranked by the money at stake
        (:func:`action_points`).

    Example:
        >>> points = executive_summary(ws, results)  # doctest: +SKIP
        >>> [p.kind for p in points]  # doctest: +SKIP
        ['headline', 'kpi', 'insight', 'insight', 'driver', 'value_at_risk']
    """
    # NPS leads; without an analysis to follow, every metric gets its headline sentence
    headlines = list(results) if not analyses else [r for r in results if r.spec.key == "nps"]
    headlines = headlines or list(results[:1])
    # what changed most recently and significantly leads, then the whole-period headline
    points: list[SummaryPoint] = change_points(results, every, confidence)
    points += [headline_point(r, confidence, every) for r in headlines]
    if analyses:
        points += _analysis_points(
            ws, every=every, confidence=confidence, min_n=min_n, bootstrap=bootstrap, seed=seed,
            fits=fits,
        )  # fmt: skip
    return choose_points(points)


def _analysis_points(
    ws: Workspace,
    *,
    every: str,
    confidence: float,
    min_n: int,
    bootstrap: int,
    seed: int,
    fits: ModelFits | None,
) -> list[SummaryPoint]:
    from cxlens.report.models_parts import ModelFits

    points: list[SummaryPoint] = []
    kpi = _try("KPI status", lambda: kpi_point(ws.kpis.status(every=every), confidence, every))
    points += [kpi] if kpi else []
    found = _try(
        "insights",
        lambda: ws.analysis.insights(every=every, top=SUMMARY_INSIGHTS, min_n=min_n,
                                     confidence=confidence),
    )  # fmt: skip
    points += insight_points(found) if found is not None else []
    fits = fits or ModelFits(ws, confidence=confidence, min_n=min_n, seed=seed)
    driver = _try("top driver", lambda: driver_point(fits.drivers(bootstrap), confidence))
    points += [driver] if driver else []
    theme = _try("themes", lambda: theme_point(_shown_themes(ws), min_n=min_n))
    points += [theme] if theme else []
    touchpoint = _try(
        "weakest touchpoint", lambda: touchpoint_point(_emotion(ws, confidence, min_n), confidence)
    )
    points += [touchpoint] if touchpoint else []

    def at_risk() -> SummaryPoint:
        return value_at_risk_point(
            fits.risk(),
            horizon_days=fits.horizon_days,
            horizon_months=fits.horizon_months,
            roc_auc=float(fits.churn().evaluation["roc_auc"]),
            confidence=confidence,
        )

    risk = _try("value at risk", at_risk) if ws.has_table("transactions") else None
    points += [risk] if risk else []
    points += _try("actions", lambda: _actions(ws, fits, driver, confidence, min_n)) or []
    return points


def _shown_themes(ws: Workspace) -> pd.DataFrame:
    """Return the themes "What customers say" shows (read back when saved, as it does)."""
    from cxlens.report.voice_parts import REPORT_TOP_THEMES, report_themes

    if not ws.has_table("responses") or "comment" not in ws.table("responses").columns:
        raise ValueError("no comments to find themes in")
    return report_themes(ws)[0].head(REPORT_TOP_THEMES)


def _emotion(ws: Workspace, confidence: float, min_n: int) -> pd.DataFrame:
    """Return the emotion per touchpoint as "Customer journeys" computes it (needs events)."""
    from cxlens.journey.emotion import emotion

    if not ws.has_table("events"):  # no journey section to trace the touchpoint to
        raise ValueError("no events: the report has no journey section")
    touch = ws.journey.touchpoints()
    return emotion(ws.table("responses"), touch, confidence=confidence, min_n=min_n)


def _actions(
    ws: Workspace, fits: ModelFits, driver: SummaryPoint | None, confidence: float, min_n: int
) -> list[SummaryPoint]:
    """Return the recommended actions from the shared fits and the value of NPS."""
    from cxlens.models.clv import transactions_currency

    risk = _try("retention action", fits.risk) if ws.has_table("transactions") else None
    uplift = None
    name = ""
    if driver is not None and ws.has_table("transactions"):
        # the figure of the report's "What NPS is worth" section (no bootstrap needed)
        found = _try(
            "value of NPS",
            lambda: (
                ws.analysis.nps_uplift(ACTION_NPS_POINTS, confidence=confidence, min_n=min_n).table
            ),
        )
        uplift = found
        name = driver.sentence.split(" is the strongest driver")[0].lower()
    currency = _try("currency", lambda: transactions_currency(ws)) or ""
    return action_points(
        risk, driver, uplift, driver_name=name, horizon_days=fits.horizon_days, currency=currency
    )


def summary_section(points: Sequence[SummaryPoint], confidence: float = 0.95) -> Section:
    """Render the executive summary as a section of plain sentences.

    Example:
        >>> summary_section([SummaryPoint("headline", "NPS is 30.")]).id
        'summary'
    """
    if points:
        items = "\n".join(f'<li data-kind="{esc(p.kind)}">{esc(p.sentence)}</li>' for p in points)
        body = f'<ul class="summary">\n{items}\n</ul>'
    else:
        body = '<p class="note">No figure could be computed for a summary.</p>'
    return Section(
        "summary",
        "Executive summary",
        body,
        lead=(
            "Written from the figures in this report: each carries its value, its "
            f"{confidence:.0%} interval and the number of observations behind it. The sections "
            "that follow show how each was reached; the appendix gives the methods."
        ),
    )
