"""Cited industry norms shipped with cxlens, and a comparison of a result against them.

The table lives in ``benchmarks.csv`` next to this module. Each row carries its source
(publication, publisher, year) and a note on how its definition may differ from the one
cxlens computes; read the note before quoting a verdict.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError

#: Columns of :func:`benchmarks`, in order.
COLUMNS: tuple[str, ...] = (
    "metric",
    "industry",
    "statistic",
    "value",
    "unit",
    "period",
    "source",
    "note",
)

#: Columns of :func:`compare`, in order.
COMPARE_COLUMNS: tuple[str, ...] = (
    "metric",
    "industry",
    "statistic",
    "value",
    "benchmark_low",
    "benchmark_high",
    "verdict",
    "unit",
    "period",
    "source",
    "note",
)


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    path = resources.files("cxlens.metrics").joinpath("benchmarks.csv")
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"value": "float64"}, keep_default_na=False)
    return df[list(COLUMNS)]


def benchmarks() -> pd.DataFrame:
    """Return the shipped table of cited industry benchmarks.

    Returns:
        DataFrame with columns ``metric, industry, statistic, value, unit, period, source,
        note``. ``statistic`` is one of ``median``, ``average``, ``average_low`` /
        ``average_high`` (a range), ``target_low`` (at least) or ``target_high`` (at most).

    Example:
        >>> sorted(set(benchmarks()["metric"]))
        ['cac_payback_months', 'csat', 'ltv_cac_ratio', 'nps']
    """
    return _load().copy()


def _ranges(rows: pd.DataFrame) -> list[dict[str, object]]:
    """Collapse ``x_low``/``x_high`` rows of one source into ranges ``[low, high]``."""
    out: list[dict[str, object]] = []
    keyed: dict[tuple[str, str, str, str], dict[str, object]] = {}
    for rec in rows.to_dict("records"):
        stat = str(rec["statistic"])
        if stat.endswith(("_low", "_high")):
            base, side = stat.rsplit("_", 1)
            key = (str(rec["metric"]), str(rec["industry"]), base, str(rec["source"]))
            item = keyed.get(key)
            if item is None:
                item = {
                    **rec,
                    "statistic": base,
                    "benchmark_low": -np.inf,
                    "benchmark_high": np.inf,
                }
                keyed[key] = item
                out.append(item)
            elif side == "low":
                item["note"] = rec["note"]
            item[f"benchmark_{side}"] = float(rec["value"])
        else:
            out.append({**rec, "benchmark_low": rec["value"], "benchmark_high": rec["value"]})
    return out


def compare(metric: str, value: float, industry: str | None = None) -> pd.DataFrame:
    """Compare ``value`` of ``metric`` with the shipped benchmarks.

    Rows named ``*_low``/``*_high`` from one source form a range; a lone ``target_low`` is
    "at least", a lone ``target_high`` "at most"; a median or average is a single point.
    The verdict is ``below`` when ``value`` is under the range, ``above`` when over it, else
    ``within``.

    Args:
        metric: benchmark metric name (``nps``, ``csat``, ``ltv_cac_ratio``,
            ``cac_payback_months``), case-insensitive.
        value: the figure to compare, in the benchmark's unit (NPS points, LTV:CAC ratio...).
        industry: keep benchmarks of this industry plus those for all industries.

    Returns:
        DataFrame with columns ``metric, industry, statistic, value, benchmark_low,
        benchmark_high, verdict, unit, period, source, note`` (``value`` is the figure given).

    Raises:
        ArgumentError: no benchmark for ``metric`` (or for ``industry``), or ``value`` is not a
            finite number.

    Example:
        >>> compare("nps", 30)[["statistic", "verdict"]].values.tolist()
        [['median', 'above'], ['average', 'above']]
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"value must be a number; got {value!r}") from None
    if not np.isfinite(x):
        raise ArgumentError(f"value must be a finite number; got {value!r}")
    table = _load()
    name = str(metric).strip().lower()
    rows = table[table["metric"].str.lower() == name]
    if rows.empty:
        raise ArgumentError(
            f"no benchmark for metric {metric!r}; benchmarks exist for: "
            f"{', '.join(sorted(set(table['metric'])))}"
        )
    if industry is not None:
        wanted = str(industry).strip().lower()
        ind = rows["industry"].str.lower()
        rows = rows[(ind == wanted) | (ind == "all")]
        if rows.empty:
            known = sorted(set(table.loc[table["metric"].str.lower() == name, "industry"]))
            raise ArgumentError(
                f"no benchmark for {metric!r} in industry {industry!r}; industries with one: "
                f"{', '.join(known)}"
            )
    out = pd.DataFrame(_ranges(rows))
    out["value"] = x
    low = out["benchmark_low"].astype("float64")
    high = out["benchmark_high"].astype("float64")
    out["benchmark_low"] = low.where(np.isfinite(low), np.nan)
    out["benchmark_high"] = high.where(np.isfinite(high), np.nan)
    out["verdict"] = np.where(x < low, "below", np.where(x > high, "above", "within"))
    return out[list(COMPARE_COLUMNS)].reset_index(drop=True)
