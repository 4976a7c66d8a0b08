"""Reproducible speed and memory benchmarks of cxlens against named baselines.

Three benchmarks: ``core-metrics`` (NPS, CSAT and CES by segment and month), ``drivers`` (key
driver relative weights with a 1,000-resample bootstrap) and ``insights`` (the "what changed
and where" scan). Run them with ``python -m benchmarks`` (all) or ``python -m benchmarks
--only NAME``; see ``benchmarks/README.md`` for what each one measures. This package imports
nothing heavy here so that the measuring subprocesses start clean.
"""
