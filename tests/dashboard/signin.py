"""Signing in to the dashboard in a Playwright page, and waiting until it has drawn.

One home for the steps the browser tests (tests/dashboard, tests/collect) and the screenshots
script (tests/report/screenshots.py) share.
"""

from __future__ import annotations

#: True once the board has drawn every panel for its current filters.
DRAWN = "() => document.body.dataset.state === 'ready' && window.cxlens.last"


def sign_in(page, url: str, key: str) -> None:
    """Open the dashboard served at ``url`` in ``page`` and sign in with the API key ``key``.

    Returns once the sign-in form is submitted; the board then loads (see :func:`wait_drawn`).

    Example:
        >>> sign_in(page, "http://127.0.0.1:8000", key)  # doctest: +SKIP
    """
    page.goto(url + "/")
    page.fill("#key", key)
    page.click("#sign-in-form button[type=submit]")


def wait_drawn(page, timeout_ms: float = 120_000) -> None:
    """Return once the board in ``page`` has drawn every panel; raise if ``timeout_ms`` passes.

    Example:
        >>> wait_drawn(page, timeout_ms=60_000)  # doctest: +SKIP
    """
    page.wait_for_function(DRAWN, timeout=timeout_ms)
