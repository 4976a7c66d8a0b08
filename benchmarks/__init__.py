"""Reproducible speed and memory benchmarks of cxlens against named baselines.

Run them with ``python -m benchmarks`` (all) or ``python -m benchmarks --only core-metrics``;
see ``benchmarks/README.md`` for what each one measures. This package imports nothing heavy
here so that the measuring subprocesses start clean.
"""
