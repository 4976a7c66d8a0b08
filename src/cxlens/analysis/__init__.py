"""Analyses on top of the core metrics.

Drivers, monetisation, effort, loyalty, segments, insights and KPIs: each returns tidy
tables, with a chart function beside it. The functions below are importable from
``cxlens.analysis`` directly; each module loads when one of its names is first used, so
``import cxlens.analysis`` stays light.

Example:
    >>> import numpy as np, pandas as pd
    >>> from cxlens.analysis import relative_weights
    >>> rng = np.random.default_rng(1)
    >>> x = rng.integers(1, 6, size=(400, 2)).astype(float)
    >>> answers = pd.DataFrame({"nps": x @ [1.0, 0.2] + rng.normal(size=400),
    ...                         "speed": x[:, 0], "price": x[:, 1]})
    >>> list(relative_weights(answers, "nps", ["speed", "price"], bootstrap=0)["driver"])
    ['speed', 'price']
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it.
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        ["relative_weights", "shapley_regression", "drivers_logistic", "priority_matrix",
         "driver_patterns", "drivers_for_workspace"], "drivers"),
    **dict.fromkeys(["effort_correlations", "effort_bands", "effort_by_touchpoint"], "effort"),
    **dict.fromkeys(["loyalty_matrix", "LoyaltyMatrix", "quadrant_of"], "loyalty"),
    **dict.fromkeys(
        ["correlations", "correlation_notes", "value_by_nps_group", "nps_uplift", "uplift_table",
         "NpsUplift"],
        "monetization"),
    **dict.fromkeys(
        ["rfm", "rfm_rules", "clusters", "save_segments", "segment_profile", "ClusterResult"],
        "segments"),
    **dict.fromkeys(["insights", "available_dimensions"], "insights"),
    **dict.fromkeys(["Kpis", "KpiDefinition", "alerts"], "kpis"),
    **dict.fromkeys(["customer_features", "plan_features", "resolve_as_of"], "features"),
    "Analysis": "namespace",
}  # fmt: skip

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cxlens.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"cxlens.analysis.{home}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
