"""Library warnings stay out of the user's terminal; cxlens's own are printed as plain words.

scikit-learn, statsmodels, numpy, pandas and Ibis warn about their own API changes and about
numerical details of a fit (k-means finding fewer distinct clusters than asked, an iteration
limit reached, a division by zero in a column nobody reads). Those are facts about the code, not
about the client's data, and a page of them buries the results. What matters to a result is
checked by the analysis itself and said in its output (the k the silhouette chose, a degenerate
CLV fit, a churn AUC near 0.5). So while a command or the demo runs, a warning raised in a
third-party module is logged (this module's logger, level DEBUG, once per place) instead of
printed, and one that cxlens raises is printed once, as one line: ``note: <message>``, or
``warning: <message>`` for a workspace whose write-ahead log could not be folded into its file
(:class:`~cxlens.store.engine.FoldFailedWarning`: a full disk, which the person must see).

Whoever asks Python for warnings (``python -W ...`` or ``PYTHONWARNINGS``) gets Python's own
handling, unchanged: the filter steps aside.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cxlens.store.engine import FoldFailedWarning

log = logging.getLogger(__name__)

#: The installed cxlens package: a warning raised from a file under it is cxlens's own.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def is_own(filename: str) -> bool:
    """Return True when ``filename`` (where a warning was raised) is part of cxlens.

    Example:
        >>> is_own(__file__), is_own("/usr/lib/python3/dist-packages/sklearn/base.py")
        (True, False)
    """
    return Path(filename).resolve().is_relative_to(PACKAGE_DIR)


@contextmanager
def quiet_library_warnings(say: Callable[[str], None]) -> Iterator[None]:
    """Within the block, log third-party warnings and pass cxlens's own to ``say`` as words.

    Each distinct warning is handled once per place it is raised (Python's "default"
    action). Nothing changes when the user set warning options (``sys.warnoptions``).

    Args:
        say: prints one line for the user (e.g. a Rich console's ``print``).

    Yields:
        Nothing; the filters are restored on leaving the block.

    Example:
        >>> import numpy as np
        >>> with quiet_library_warnings(print):
        ...     _ = np.log(np.zeros(1))  # numpy's RuntimeWarning is logged, not printed
    """
    if sys.warnoptions:
        yield
        return

    def route(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: object = None,
        line: str | None = None,
    ) -> None:
        if is_own(filename) and not issubclass(category, DeprecationWarning):
            say(f"{'warning' if issubclass(category, FoldFailedWarning) else 'note'}: {message}")
        else:
            log.debug("%s at %s:%s: %s", category.__name__, filename, lineno, message)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = route
        yield
