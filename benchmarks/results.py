"""Write results.json and show the figures as a Rich table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.table import Table

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results.json"

#: Keys every results entry has.
ENTRY_KEYS = ("name", "rows", "seconds", "peak_mb", "baselines", "ratios")


def save_results(
    entries: list[dict[str, Any]], path: Path = DEFAULT_RESULTS
) -> list[dict[str, Any]]:
    """Write ``entries`` to ``path``, keeping the latest entry of benchmarks not run this time.

    Returns:
        The list written: earlier entries of other benchmarks, then this run's entries.
    """
    path = Path(path)
    fresh = {e["name"] for e in entries}
    kept: list[dict[str, Any]] = []
    if path.is_file():
        try:
            earlier = json.loads(path.read_text())
        except json.JSONDecodeError:
            earlier = []
        if isinstance(earlier, list):
            kept = [e for e in earlier if isinstance(e, dict) and e.get("name") not in fresh]
    written = [*kept, *entries]
    path.write_text(json.dumps(written, indent=2) + "\n")
    return written


def results_table(entries: list[dict[str, Any]]) -> Table:
    """Return a Rich table: per benchmark, cxlens and each baseline with time, ratio and memory.

    Ratios are cxlens time / baseline time, by wall clock and by CPU time (all threads); on a
    busy shared machine the CPU figure is the steadier of the two.
    """
    table = Table(title="cxlens benchmarks", title_justify="left")
    for header, justify in (
        ("benchmark", "left"),
        ("rows", "right"),
        ("implementation", "left"),
        ("best s", "right"),
        ("median s", "right"),
        ("CPU s", "right"),
        ("peak MB", "right"),
        ("cxlens / this", "right"),
        ("by CPU", "right"),
        ("target", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for entry in entries:
        targets = entry.get("targets", {})
        medians = entry.get("median_seconds", {})
        cpu = entry.get("cpu_seconds", {})
        peak_target = targets.get("peak_mb")
        table.add_row(
            entry["name"],
            f"{entry['rows']:,}",
            "cxlens",
            f"{entry['seconds']:.3f}",
            _seconds(medians.get("cxlens")),
            _seconds(cpu.get("cxlens")),
            f"{entry['peak_mb']:,.0f}",
            "",
            "",
            _verdict(f"peak < {peak_target:,} MB", entry["peak_mb"] < peak_target)
            if peak_target
            else "",
        )
        for name, seconds in entry["baselines"].items():
            ratio = entry["ratios"][name]
            cpu_ratio = entry.get("cpu_ratios", {}).get(name)
            limit = targets.get("ratios", {}).get(name)
            table.add_row(
                "",
                "",
                name,
                f"{seconds:.3f}",
                _seconds(medians.get(name)),
                _seconds(cpu.get(name)),
                _mb(entry.get("baseline_peak_mb", {}).get(name)),
                _ratio(ratio),
                "" if cpu_ratio is None else f"{cpu_ratio:.2f}x",
                _verdict(_target_text(limit), ratio <= limit) if limit else "",
            )
        table.add_section()
    return table


def _ratio(ratio: float) -> str:
    if ratio < 1:
        return f"{ratio:.2f}x ({1 / ratio:.1f}x faster)"
    return f"{ratio:.2f}x"


def _target_text(limit: float) -> str:
    if limit < 1:
        return f">= {1 / limit:.0f}x faster"
    return f"within {limit:g}x"


def _verdict(text: str, met: bool) -> str:
    return f"{text} [green]met[/]" if met else f"{text} [red]missed[/]"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _mb(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"
