"""The headline of a metric: its latest full period, the change, the whole period beside it.

One home for the rule every headline tile follows, the report's tiles and the dashboard's
(through the API's ``/overview``): the figure shown is the latest period the data covers in
full (:func:`cxlens.metrics.periods.latest_full`), labelled with it ("December 2025"), with
its change from the period before and that change's test as the metric table gives it
(``change``, ``p_value``, ``significant``); the whole-period figure stands beside it. A
period still under way is named as such ("December 2025 so far") and never compared. Churn
is a rate per period: its latest full period only, no whole-period figure. Without a full
period the whole-period figure is the headline, with no change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxlens.display import format_p
from cxlens.metrics.periods import latest_full
from cxlens.report.spec import GRAIN_ADJECTIVES, GRAIN_NAMES, MetricSpec, format_period

#: What ``n`` counts, per metric.
UNIT_OF_N: dict[str, str] = {
    "nps": "answers",
    "csat": "answers",
    "ces": "answers",
    "churn": "customers at start",
    "engagement": "posts",
}


def latest_partial(trend: pd.DataFrame) -> pd.Series | None:
    """Return the last period when it is partly elapsed and has data (None otherwise).

    Example:
        >>> t = pd.DataFrame({"n": [5, 2], "value": [1.0, 3.0], "partial": [False, True]})
        >>> float(latest_partial(t)["value"])
        3.0
    """
    usable = trend[trend["n"] > 0]
    if usable.empty or "partial" not in usable.columns:
        return None
    last = usable.iloc[-1]
    return last if bool(last["partial"]) else None


@dataclass(frozen=True)
class Headline:
    """One metric's headline: which row leads, its change, the whole period, a partial period.

    ``current`` is the latest full period's row of the trend (None: no full period),
    ``whole`` the whole-period row (None for churn, a rate per period), ``partial`` the last
    period when it is still under way, ``span`` the first and last period with data. Build
    it with :func:`headline`.

    Example:
        >>> h = headline(METRICS["nps"], trend, whole, "month")  # doctest: +SKIP
        >>> h.label, h.value_text  # doctest: +SKIP
        ('Net Promoter Score, December 2025', '16')
    """

    spec: MetricSpec
    every: str
    current: pd.Series | None
    whole: pd.Series | None
    partial: pd.Series | None
    span: tuple[pd.Timestamp, pd.Timestamp] | None

    @property
    def row(self) -> pd.Series:
        """Return the row the headline shows: the latest full period, else the whole."""
        row = self.current if self.current is not None else self.whole
        if row is None:
            raise ValueError(f"{self.spec.long_label} has no figure to show")
        return row

    @property
    def period_label(self) -> str:
        """Return the latest full period in words ("December 2025"), "" when none."""
        return "" if self.current is None else format_period(self.current["period"], self.every)

    @property
    def label(self) -> str:
        """Return the tile's title, e.g. "Net Promoter Score, December 2025".

        Churn reads "Monthly churn, December 2025"; without a full period, the metric's name.
        """
        if self.spec.trended:
            return f"{GRAIN_ADJECTIVES[self.every].capitalize()} churn, {self.period_label}"
        if self.current is None:
            return self.spec.long_label
        return f"{self.spec.long_label}, {self.period_label}"

    @property
    def value_text(self) -> str:
        """Return the headline figure as the report writes it, e.g. "16" or "84.3%"."""
        return self.spec.fmt(float(self.row["value"]))

    def interval_text(self, confidence: float) -> str:
        """Return e.g. "95% interval 12 to 20" for the headline figure."""
        row = self.row
        return (
            f"{confidence:.0%} interval {self.spec.fmt(float(row['ci_low']))} to "
            f"{self.spec.fmt(float(row['ci_high']))}"
        )

    @property
    def n_text(self) -> str:
        """Return e.g. "n = 512 answers" for the headline figure."""
        return f"n = {int(self.row['n']):,} {UNIT_OF_N[self.spec.key]}"

    @property
    def change(self) -> float | None:
        """Return the change from the period before (None: no full period or no previous)."""
        if self.current is None:
            return None
        change = float(self.current["change"])
        return change if math.isfinite(change) else None

    @property
    def significant(self) -> bool:
        """Return True when the change passed the metric's own change test."""
        return self.change is not None and bool(self.current["significant"])  # type: ignore[index]

    @property
    def tone(self) -> str:
        """Return "good", "bad" or "" (no change, or none to compare) for the change."""
        change = self.change
        if not change:
            return ""
        return "good" if self.spec.is_good(change) else "bad"

    @property
    def change_text(self) -> str:
        """Say the change and its test ("" without a full period).

        E.g. "▼ −9.3 pts in December 2025 vs previous month (significant, p < 0.001)".
        """
        if self.current is None:
            return ""
        grain, period = GRAIN_NAMES[self.every], self.period_label
        change = self.change
        if change is None:
            return f"No previous {grain} to compare {period} with."
        verdict = (
            f"significant, p {_p_relation(self.current['p_value'])}"
            if self.significant
            else "not significant"
        )
        arrow = "▲" if change > 0 else "▼" if change < 0 else "▶"
        return f"{arrow} {self.spec.fmt_change(change)} in {period} vs previous {grain} ({verdict})"

    def whole_text(self, confidence: float) -> str:
        """Say the whole-period figure with its span, interval and n ("" for churn).

        E.g. "whole period January 2024 – December 2025: 28 (95% interval 26 to 30;
        5,681 answers)".
        """
        if self.whole is None:
            return ""
        spec, row = self.spec, self.whole
        span = (
            f" {format_period(self.span[0], self.every)} – "
            f"{format_period(self.span[1], self.every)}"
            if self.span
            else ""
        )
        return (
            f"whole period{span}: {spec.fmt(float(row['value']))} ({confidence:.0%} interval "
            f"{spec.fmt(float(row['ci_low']))} to {spec.fmt(float(row['ci_high']))}; "
            f"{int(row['n']):,} {UNIT_OF_N[spec.key]})"
        )

    @property
    def partial_text(self) -> str:
        """Say the period still under way ("" when the last period is full).

        E.g. "December 2025 so far: 14 (n = 80), a partial month, not compared".
        """
        if self.partial is None:
            return ""
        return (
            f"{format_period(self.partial['period'], self.every)} so far: "
            f"{self.spec.fmt(float(self.partial['value']))} (n = {int(self.partial['n']):,}), "
            f"a partial {GRAIN_NAMES[self.every]}, not compared"
        )

    def as_json(self, confidence: float) -> dict[str, Any]:
        """Return the headline as JSON-ready fields: the figures, then the texts of the tile.

        Example:
            >>> head = headline(METRICS["nps"], trend, whole, "month")  # doctest: +SKIP
            >>> head.as_json(0.95)["period_label"]  # doctest: +SKIP
            'December 2025'
        """
        row = self.row
        out: dict[str, Any] = {
            "label": self.label,
            "every": self.every,
            "period": _iso(self.current["period"]) if self.current is not None else None,
            "period_label": self.period_label or None,
            **_figures(row),
            "change": self.change,
            "significant": self.significant,
            "p_value": _number(self.current["p_value"]) if self.change is not None else None,
            "tone": self.tone,
            "value_text": self.value_text,
            "interval_text": self.interval_text(confidence),
            "n_text": self.n_text,
            "change_text": self.change_text,
            "whole": None,
            "partial": None,
        }
        if self.whole is not None:
            out["whole"] = {
                **_figures(self.whole),
                "first_period": _iso(self.span[0]) if self.span else None,
                "last_period": _iso(self.span[1]) if self.span else None,
                "text": self.whole_text(confidence),
            }
        if self.partial is not None:
            out["partial"] = {
                "period": _iso(self.partial["period"]),
                "period_label": format_period(self.partial["period"], self.every),
                "value": _number(self.partial["value"]),
                "n": int(self.partial["n"]),
                "text": self.partial_text,
            }
        return out


def headline(
    spec: MetricSpec, trend: pd.DataFrame, whole: pd.Series | None, every: str
) -> Headline:
    """Return the headline of one metric from its trend by ``every`` and its whole-period row.

    ``whole`` is ignored for churn (``spec.trended``), whose headline is its latest full
    period only.

    Example:
        >>> from cxlens.report.spec import METRICS
        >>> trend = pd.DataFrame({
        ...     "period": pd.to_datetime(["2025-10-01", "2025-11-01", "2025-12-01"]),
        ...     "n": [40, 50, 9], "value": [30.0, 20.0, 10.0], "ci_low": [10.0, 5.0, -40.0],
        ...     "ci_high": [50.0, 35.0, 60.0], "change": [float("nan"), -10.0, -10.0],
        ...     "p_value": [float("nan"), 0.2, 0.5], "significant": [False, False, False],
        ...     "partial": [False, False, True], "small_sample": [False, False, True]})
        >>> h = headline(METRICS["nps"], trend, None, "month")
        >>> h.label, h.change_text
        ('Net Promoter Score, November 2025', '▼ −10.0 pts in November 2025 vs previous month (not significant)')
        >>> h.partial_text
        'December 2025 so far: 10 (n = 9), a partial month, not compared'
    """  # noqa: E501
    with_data = trend[trend["n"] > 0]
    span = (
        (pd.Timestamp(with_data["period"].min()), pd.Timestamp(with_data["period"].max()))
        if len(with_data)
        else None
    )
    return Headline(
        spec=spec,
        every=every,
        current=latest_full(trend),
        whole=None if spec.trended else whole,
        partial=latest_partial(trend),
        span=span,
    )


def _p_relation(p: object) -> str:
    shown = format_p(p)
    return shown if shown.startswith("<") else f"= {shown}"


def _iso(period: object) -> str:
    return pd.Timestamp(period).isoformat()


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _figures(row: pd.Series) -> dict[str, Any]:
    return {
        "value": _number(row["value"]),
        "ci_low": _number(row["ci_low"]),
        "ci_high": _number(row["ci_high"]),
        "n": int(row["n"]),
        "small_sample": bool(row.get("small_sample", False)),
    }
