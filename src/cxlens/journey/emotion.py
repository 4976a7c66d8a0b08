"""Emotion mapping: how customers feel at each touchpoint (the journey's emotion curve).

Without comment sentiment, emotion is *score-based*: each answer's emotion is the mean of
its available scores mapped onto -1..+1 (NPS ``(x - 5) / 5``, CSAT ``(x - 3) / 2``, CES
``(x - 4) / 3``). When ``responses`` has a numeric ``sentiment`` column (-1..+1; or the labels
positive / neutral / negative), the emotion is that sentiment instead; ``ws.journey.emotion()``
joins it from ``comment_sentiment`` (saved by ``ws.text.sentiment()``). One engine aggregate
per call.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.metrics.stats import check_min_n, nps_estimate, t_interval, wilson_interval, z_value
from cxlens.store.query import is_present, require_columns, run

#: Columns of :func:`emotion`.
EMOTION_COLUMNS: tuple[str, ...] = (
    "touchpoint",
    "stage",
    "position",
    "responses",
    "nps",
    "nps_ci_low",
    "nps_ci_high",
    "nps_n",
    "csat",
    "csat_ci_low",
    "csat_ci_high",
    "csat_n",
    "ces",
    "ces_ci_low",
    "ces_ci_high",
    "ces_n",
    "sentiment",
    "sentiment_n",
    "emotion",
    "emotion_ci_low",
    "emotion_ci_high",
    "emotion_source",
    "small_sample",
)

_SCALES = {"nps": (5.0, 5.0), "csat": (3.0, 2.0), "ces": (4.0, 3.0)}
_LABELS = {"positive": 1.0, "neutral": 0.0, "negative": -1.0}


def _score(r: ir.Table, name: str) -> ir.FloatingValue:
    if name not in r.columns:
        return ibis.null().cast("float64")
    col = r[name]
    return is_present(col).ifelse(col.cast("float64"), ibis.null().cast("float64"))


def _sentiment(r: ir.Table, column: str | None) -> ir.FloatingValue | None:
    if column is None or column not in r.columns:
        return None
    col = r[column]
    if col.type().is_numeric():
        return _score(r, column)
    label = col.cast("string").lower().strip()
    return label.cases(*_LABELS.items(), else_=None).cast("float64")


def emotion(
    responses: ir.Table,
    positions: pd.DataFrame | None = None,
    *,
    sentiment: str | None = "sentiment",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Return NPS, CSAT, CES, sentiment and emotion per touchpoint, in journey order.

    Answers without a touchpoint (relationship surveys) are left out. NPS has the trinomial
    interval, CSAT (top-2-box share, percent) the Wilson interval, CES, sentiment and emotion
    (means) the Student-t interval.

    Args:
        responses: the responses table.
        positions: the touchpoint table (:func:`cxlens.journey.touchpoints.touchpoints`), to
            order the curve and name each touchpoint's stage (None: by touchpoint name).
        sentiment: the column with a sentiment score or label, used when present.
        confidence: level of the intervals.
        min_n: touchpoints with fewer answers are flagged ``small_sample``.

    Returns:
        DataFrame with :data:`EMOTION_COLUMNS`; ``emotion_source`` is ``"sentiment"`` or
        ``"scores"``; ``position`` is the touchpoint's mean relative position (0-1) in
        journeys (NaN when the touchpoint has no events).

    Example:
        >>> emotion(ws.table("responses"))[["touchpoint", "emotion"]]  # doctest: +SKIP
    """
    check_min_n(min_n)
    require_columns(responses, "responses", "touchpoint")
    r = responses.filter(responses["touchpoint"].notnull())
    nps, csat, ces = (_score(r, s) for s in ("nps", "csat", "ces"))
    mapped = [(v - _SCALES[k][0]) / _SCALES[k][1] for k, v in (("nps", nps), ("csat", csat),
                                                               ("ces", ces))]  # fmt: skip
    present = [m.notnull().ifelse(1.0, 0.0) for m in mapped]
    total = sum((m.fill_null(0.0) for m in mapped), ibis.literal(0.0))
    count = sum(present, ibis.literal(0.0))
    by_scores = (count > 0).ifelse(total / count, ibis.null().cast("float64"))
    senti = _sentiment(r, sentiment)
    feel = senti if senti is not None else by_scores
    r = r.mutate(_nps=nps, _csat=csat, _ces=ces, _feel=feel,
                 _senti=senti if senti is not None else ibis.null().cast("float64"))  # fmt: skip
    one = ibis.literal(1)
    agg = r.group_by(touchpoint=r["touchpoint"].cast("string")).aggregate(
        responses=r.count(),
        nps_n=r["_nps"].count(),
        promoters=(r["_nps"] >= 9).ifelse(one, 0).sum(),
        detractors=(r["_nps"] <= 6).ifelse(one, 0).sum(),
        csat_n=r["_csat"].count(),
        satisfied=(r["_csat"] >= 4).ifelse(one, 0).sum(),
        ces_n=r["_ces"].count(),
        ces=r["_ces"].mean(),
        ces_sd=r["_ces"].std(),
        sentiment_n=r["_senti"].count(),
        sentiment=r["_senti"].mean(),
        emotion_n=r["_feel"].count(),
        emotion=r["_feel"].mean(),
        emotion_sd=r["_feel"].std(),
    )
    got = run(agg, "emotion by touchpoint")
    if got.empty:
        raise NotEnoughDataError(
            "no answers with a touchpoint: emotion mapping needs responses.touchpoint"
        )
    df = got.copy()
    for col in ("responses", "nps_n", "promoters", "detractors", "csat_n", "satisfied", "ces_n",
                "sentiment_n", "emotion_n"):  # fmt: skip
        df[col] = df[col].fillna(0).astype("int64")
    value, se = nps_estimate(df["promoters"], df["detractors"], df["nps_n"])
    z = z_value(confidence)
    df["nps"] = value
    df["nps_ci_low"] = np.clip(value - z * se, -100, 100)
    df["nps_ci_high"] = np.clip(value + z * se, -100, 100)
    n = df["csat_n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["csat"] = np.where(n > 0, 100.0 * df["satisfied"] / n, np.nan)
    low, high = wilson_interval(df["satisfied"].to_numpy(float), n, confidence)
    df["csat_ci_low"], df["csat_ci_high"] = 100.0 * low, 100.0 * high
    for col in ("ces", "emotion", "sentiment"):
        df[col] = df[col].astype("float64")
    df["ces_ci_low"], df["ces_ci_high"] = t_interval(
        df["ces"], df["ces_sd"].astype(float), df["ces_n"].astype(float), confidence
    )
    df["emotion_ci_low"], df["emotion_ci_high"] = t_interval(
        df["emotion"], df["emotion_sd"].astype(float), df["emotion_n"].astype(float), confidence
    )
    df["emotion_source"] = "sentiment" if senti is not None else "scores"
    df["small_sample"] = df["responses"] < min_n
    if positions is not None and len(positions):
        pos = positions.set_index("touchpoint")
        df["position"] = df["touchpoint"].map(pos["mean_relative_position"]).astype(float)
        df["stage"] = df["touchpoint"].map(pos["stage"])
    else:
        df["position"] = np.nan
        df["stage"] = None
    df = df.sort_values(["position", "touchpoint"], na_position="last", kind="mergesort")
    return df[list(EMOTION_COLUMNS)].reset_index(drop=True)
