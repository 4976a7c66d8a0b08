"""The HTML report: one self-contained file with KPI tiles, trends, segments and methods.

Example:
    >>> from cxlens.report import build_report
    >>> build_report(ws, "report.html", client="Northwind")  # doctest: +SKIP
    PosixPath('report.html')
"""

from cxlens.report.build import build_report
from cxlens.report.charts import figure_html, rank_groups, segment_figure, trend_figure
from cxlens.report.collect import collect_metrics

__all__ = [
    "build_report",
    "collect_metrics",
    "figure_html",
    "rank_groups",
    "segment_figure",
    "trend_figure",
]
