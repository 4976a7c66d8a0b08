"""Progress for long work of known steps: a Rich bar naming the step, with steps done and time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def step_progress(
    console: Console, title: str, steps: Sequence[str]
) -> Iterator[Callable[[str], None]]:
    """Show a progress bar over ``steps``; yield the callback that starts the next step.

    Call the callback with a step's name when it starts: the bar shows "title: step", how
    many of ``steps`` are done and the time since the start. The bar is removed at the end.

    Example:
        >>> with step_progress(Console(quiet=True), "report", ["metrics", "page"]) as step:
        ...     step("metrics")
        ...     step("page")
    """
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=len(steps))
        started = False

        def start(step: str) -> None:
            nonlocal started
            if started:  # the step before this one is done
                bar.advance(task)
            started = True
            bar.update(task, description=f"{title}: {step}")

        yield start
