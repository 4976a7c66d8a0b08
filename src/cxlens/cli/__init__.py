"""The cxlens command line (Typer + Rich).

Data: init, ingest, suggest, quarantine, loads. Metrics and outputs: metrics, norms, report,
demo. Analyses: drivers, insights, loyalty, value, effort, segments, and the ``kpis``
sub-commands (define, list, remove, load, status, alerts). Models: clv, churn, retention,
offers, survival. Journeys: the ``journey`` sub-commands (touchpoints, paths, funnel, time,
emotion, pain-points). Service: serve, and the ``keys`` sub-commands (create, list, revoke).
Surveys: the ``surveys`` sub-commands (create, list, show, pause, resume, trigger,
send, stats).

Errors print as one clear line and exit with status 1; long work shows progress; library
warnings are logged, not printed (:mod:`cxlens.cli._quiet`).
"""

from __future__ import annotations

# Each module registers its commands; the import order is the order of `cxlens --help`.
from cxlens.cli import data  # noqa: F401

# isort: split
from cxlens.cli import currency  # noqa: F401

# isort: split
from cxlens.cli import actions, analysis, identity, journey, kpis, models, names, privacy, serve  # noqa: F401
from cxlens.cli._common import app

# isort: split
from cxlens.cli import surveys  # noqa: F401

__all__ = ["app"]
