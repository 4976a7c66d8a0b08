"""Analyses that stand on the core metrics: drivers, monetisation, effort, loyalty, segments,
insights and KPIs. Each returns tidy tables, with a chart function beside it."""
