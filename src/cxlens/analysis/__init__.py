"""Analyses on top of the core metrics.

Drivers, monetisation, effort, loyalty, segments, insights and KPIs: each returns tidy
tables, with a chart function beside it.
"""
