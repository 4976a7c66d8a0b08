"""Command line: ``python -m benchmarks [--only NAME] [--rows N] ...``.

Runs the named benchmarks (all by default), writes ``benchmarks/results.json`` and prints a
table of times, cxlens/baseline ratios against their targets, and peak memory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from benchmarks import (
    api_load,
    churn_train,
    clv_fit,
    core_metrics,
    drivers,
    identity_resolve,
    insights,
    journey_dfg,
    survey_load,
    text_pipeline,
)
from benchmarks.data import DEFAULT_DATA_DIR
from benchmarks.results import DEFAULT_RESULTS, results_table, save_results

#: Benchmark name -> (function running it, its default row count).
BENCHMARKS: dict[str, tuple[Callable[..., dict[str, Any]], int]] = {
    core_metrics.NAME: (core_metrics.run, core_metrics.DEFAULT_ROWS),
    drivers.NAME: (drivers.run, drivers.DEFAULT_ROWS),
    insights.NAME: (insights.run, insights.DEFAULT_ROWS),
    clv_fit.NAME: (clv_fit.run, clv_fit.DEFAULT_ROWS),
    churn_train.NAME: (churn_train.run, churn_train.DEFAULT_ROWS),
    journey_dfg.NAME: (journey_dfg.run, journey_dfg.DEFAULT_ROWS),
    identity_resolve.NAME: (identity_resolve.run, identity_resolve.DEFAULT_ROWS),
    api_load.NAME: (api_load.run, api_load.DEFAULT_ROWS),
    text_pipeline.NAME: (text_pipeline.run, text_pipeline.DEFAULT_ROWS),
    survey_load.NAME: (survey_load.run, survey_load.DEFAULT_ROWS),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time cxlens against its baselines and record results.json.",
    )
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="run only this benchmark")
    parser.add_argument(
        "--rows",
        type=int,
        help="rows to generate (default: each benchmark's own: "
        + ", ".join(f"{name} {rows:,}" for name, (_, rows) in BENCHMARKS.items())
        + ")",
    )
    parser.add_argument("--seed", type=int, default=core_metrics.DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs before timing")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="data cache")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="results file")
    parser.add_argument(
        "--rebuild", action="store_true", help="reload the Workspace file even if cached"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks the command line asks for; return the exit status."""
    args = parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=150)
    names = [args.only] if args.only else list(BENCHMARKS)
    entries = []
    for name in names:
        bench, default_rows = BENCHMARKS[name]
        entry = bench(
            args.rows or default_rows,
            seed=args.seed,
            repeat=args.repeat,
            warmup=args.warmup,
            data_dir=args.data_dir,
            rebuild=args.rebuild,
            log=lambda line: console.log(line, markup=False, highlight=False),
        )
        entries.append(entry)
    save_results(entries, args.results)
    console.print(results_table(entries))
    for entry in entries:
        for note in entry.get("notes", []):
            console.print(f"[yellow]note[/] {entry['name']}: {escape(note)}", highlight=False)
    console.print(f"results written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
