"""Group writes that arrive together from many threads into one call (one load).

A load costs about the same for one row as for fifty (the bookkeeping dominates, see
docs/collect.md), so a server answering many respondents at once writes their answers
together: whoever finds the writer idle writes everything waiting, the others wait for their
outcome. Nothing waits for a timer: a lone answer is written at once, and a batch grows
only while the previous one is being written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Most items written by one call.
MAX_BATCH = 500


@dataclass
class _Slot:
    item: Any
    done: bool = False
    outcome: Any = None


class Batcher(Generic[T, R]):
    """Call ``write(items) -> outcomes`` (one outcome per item, in order) for items in batches.

    Args:
        write: writes a batch; an exception it raises becomes every item's outcome.
        max_items: the most items in one batch.

    Example:
        >>> b = Batcher(lambda items: [x * 2 for x in items])
        >>> b.submit(21)
        42
    """

    def __init__(self, write: Callable[[list[T]], list[R]], max_items: int = MAX_BATCH) -> None:
        self._write = write
        self._max = max_items
        self._cond = threading.Condition()
        self._pending: list[_Slot] = []
        self._busy = False
        #: Sizes of the batches written so far (for measuring).
        self.sizes: list[int] = []

    def submit(self, item: T) -> R | BaseException:
        """Return ``item``'s outcome (or the exception its batch raised) once it is written."""
        slot = _Slot(item)
        with self._cond:
            self._pending.append(slot)
            while not slot.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                self._cond.release()
                try:
                    outcomes = self._run(batch)
                finally:
                    self._cond.acquire()
                for s, outcome in zip(batch, outcomes, strict=True):
                    s.outcome, s.done = outcome, True
                self.sizes.append(len(batch))
                self._busy = False
                self._cond.notify_all()
        return slot.outcome

    def _run(self, batch: list[_Slot]) -> list[Any]:
        try:
            outcomes = list(self._write([s.item for s in batch]))
        except Exception as exc:  # every item of the batch failed with it
            return [exc] * len(batch)
        if len(outcomes) != len(batch):
            error = RuntimeError(f"a batch of {len(batch)} gave {len(outcomes)} outcomes")
            return [error] * len(batch)
        return outcomes
