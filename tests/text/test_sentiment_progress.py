"""The Rich progress bar of long sentiment calls: what it counts, where it is drawn."""

import importlib
import io
from contextlib import contextmanager

from rich.console import Console

from cxlens.text.sentiment import PROGRESS_MIN, sentiment, texts_progress

sentiment_module = importlib.import_module("cxlens.text.sentiment")


def recording_bar(monkeypatch):
    """Replace the bar by one that records its total and every count it is told."""
    seen = {"total": None, "counts": []}

    @contextmanager
    def fake(total, console=None):
        seen["total"] = total
        yield seen["counts"].append

    monkeypatch.setattr(sentiment_module, "texts_progress", fake)
    return seen


def test_the_bar_counts_every_scored_text_once_fast_path(monkeypatch):
    seen = recording_bar(monkeypatch)
    texts = ["Great support", "Ужасная связь", "质量很差", "", "Thanks"]
    sentiment(texts, backend="fast", show_progress=True)
    assert seen["total"] == 5
    assert sum(seen["counts"]) == 4  # the empty text is not scored


def test_the_bar_counts_embedded_texts_as_they_are_embedded(monkeypatch):
    seen = recording_bar(monkeypatch)
    told = []
    sentiment(["Great support", "Awful line"], backend="accurate", show_progress=True,
              progress=told.append)  # fmt: skip
    assert sum(seen["counts"]) == 2 and sum(told) == 2  # the caller's callback still hears


def test_short_calls_draw_no_bar_unless_asked(monkeypatch):
    seen = recording_bar(monkeypatch)
    sentiment(["ok"] * (PROGRESS_MIN - 1), backend="fast")
    assert seen["total"] is None
    sentiment(["ok"] * PROGRESS_MIN, backend="fast")
    assert seen["total"] == PROGRESS_MIN


def test_the_bar_draws_on_a_terminal_and_is_silent_elsewhere():
    terminal = io.StringIO()
    with texts_progress(4, Console(file=terminal, force_terminal=True, width=80)) as done:
        done(3)
    assert "sentiment" in terminal.getvalue() and "texts" in terminal.getvalue()
    pipe = io.StringIO()
    with texts_progress(4, Console(file=pipe, force_terminal=False)) as done:
        done(4)
    assert pipe.getvalue() == ""
