"""Client language: the one home of display names and of how a p-value is written.

Every view a client reads (the HTML/PDF report, the dashboard) shows a segment, channel,
column, driver or method by its display name, never by the identifier in the data:
``small_business`` reads "Small business", ``driver_reliability`` "Reliability",
``field_sales`` "Field sales" and the method "log-odds (TreeSHAP)" "Effect on churn odds".

A name comes from, in order: the workspace's own mapping (``ws.display_names.set(...)`` or
``cxlens names set KEY LABEL``, stored in the derived table ``_display_names``), the
defaults in :data:`DEFAULT_NAMES`, or :func:`humanize` (prefix dropped, underscores to
spaces, first letter capital, known acronyms in capitals).

The report and the dashboard apply the names where they render (table cells, chart labels,
text): :func:`relabel_label` for a whole label, :func:`relabel_text` for running text, which
also writes ``p = 4.3e-196`` as ``p < 0.001``. The mapping in force while a report is built is
set with :func:`using_names`. It imports only cxlens.errors, so every layer may use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

import pandas as pd

from cxlens.errors import ArgumentError

#: Derived table holding a workspace's display names (columns ``key``, ``label``).
NAMES_TABLE = "_display_names"

#: Written in capitals wherever they appear as a word of an identifier.
ACRONYMS: dict[str, str] = {
    "nps": "NPS", "csat": "CSAT", "ces": "CES", "clv": "CLV", "ltv": "LTV", "cac": "CAC",
    "rfm": "RFM", "sms": "SMS", "id": "ID", "url": "URL", "roi": "ROI", "auc": "AUC",
    "kpi": "KPI", "kpis": "KPIs", "api": "API", "faq": "FAQ", "crm": "CRM", "utm": "UTM",
    "ivr": "IVR", "seo": "SEO", "b2b": "B2B", "b2c": "B2C", "vip": "VIP", "ui": "UI",
}  # fmt: skip

#: Prefixes that say where a column came from, not what it means ("driver_price": "Price").
PREFIXES = ("driver_", "theme_", "feature_")

#: Names the defaults give that :func:`humanize` cannot work out (methods, statistics).
DEFAULT_NAMES: dict[str, str] = {
    "log-odds (TreeSHAP)": "Effect on churn odds",
    "rescaled_weight": "Share of explained variance",
    "NPS pts per CES pt": "NPS points per CES point",
    "raw_weight": "Explained variance",
    "p_value": "p-value",
    "q_value": "q-value",
    "ci_low": "Lower bound",
    "ci_high": "Upper bound",
    "small_sample": "Small sample",
    "n": "Answers",
    "acquisition_cost": "Acquisition cost",
    "customer_segments": "Customer segments",
    "rfm_segment": "RFM segment",
    "e_commerce": "E-commerce",
    "ecommerce": "E-commerce",
    "x": "X (Twitter)",
}

#: The words a client never reads: where one is left, the text was built from missing data.
PLACEHOLDER_WORDS = ("None", "nan", "NaN", "SCORE", "TODO", "undefined")

#: English names of the languages cxlens detects (ISO 639-1 codes, :mod:`cxlens.text.language`).
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "ru": "Russian", "uk": "Ukrainian", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "pl": "Polish", "cs": "Czech", "tr": "Turkish", "id": "Indonesian",
    "ro": "Romanian", "hu": "Hungarian", "vi": "Vietnamese",
}  # fmt: skip

_ACTIVE: ContextVar[Mapping[str, str] | None] = ContextVar("cxlens_display_names", default=None)

#: An identifier with at least one underscore: ``small_business``, ``driver_reliability``.
_SNAKE = re.compile(r"(?<![\w.@/#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/(-]|\.\w)")

#: A whole label that is code-like: lowercase letters, digits and underscores only.
_CODE_LIKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

#: A metric's key written in lowercase in running text ("attitude (nps)"): never an English word.
_METRIC_WORD = re.compile(r"(?<![\w.@/#-])(nps|csat|ces|clv|ltv|cac|rfm)(?![\w@/-]|\.\w)")

#: ``p = 4.3e-196``, ``q = 0.0``, ``p=0.000``: a p- or q-value written as a number.
_P_TEXT = re.compile(r"\b([pq]) ?= ?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\d.])")


def active_names() -> dict[str, str]:
    """Return the mapping in force (set by :func:`using_names`; ``{}`` outside one).

    Example:
        >>> active_names()
        {}
    """
    return dict(_ACTIVE.get() or {})


def humanize(key: str) -> str:
    """Return the plain-words default for an identifier.

    Drops a source prefix (``driver_``, ``theme_``, ``feature_``), turns ``_`` and ``-`` into
    spaces, writes acronyms in capitals and gives the first word a capital.

    Example:
        >>> humanize("small_business"), humanize("driver_reliability"), humanize("nps_detractor")
        ('Small business', 'Reliability', 'NPS detractor')
    """
    text = key.strip()
    for prefix in PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    words = [w for w in re.split(r"[_\s]+", text) if w]
    if not words:
        return key
    out = [ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    if first == words[0] and first.islower():
        out[0] = first[0].upper() + first[1:]
    return " ".join(out)


def display_name(key: object, names: Mapping[str, str] | None = None) -> str:
    """Return the name a client reads for ``key`` (a column, category value or method).

    ``names`` (default: the mapping in force, see :func:`using_names`) wins over
    :data:`DEFAULT_NAMES`, which wins over :func:`humanize`.

    Example:
        >>> display_name("field_sales"), display_name("log-odds (TreeSHAP)")
        ('Field sales', 'Effect on churn odds')
        >>> display_name("smb", {"smb": "Small firms"})
        'Small firms'
    """
    text = str(key)
    mapping = _ACTIVE.get() if names is None else names
    if mapping and text in mapping:
        return mapping[text]
    if text in DEFAULT_NAMES:
        return DEFAULT_NAMES[text]
    return humanize(text)


def language_name(code: object) -> str | None:
    """Return a language's English name for its code, None for a code cxlens does not name.

    Example:
        >>> language_name("ru"), language_name("zh"), language_name("xx")
        ('Russian', 'Chinese', None)
    """
    return LANGUAGE_NAMES.get(str(code))


def is_code_like(text: str) -> bool:
    """Return True when ``text`` as a whole reads as an identifier (``consumer``, ``x_y``).

    Example:
        >>> is_code_like("small_business"), is_code_like("Small business"), is_code_like("C00042")
        (True, False, False)
    """
    return _CODE_LIKE.fullmatch(text) is not None


def relabel_label(text: object, names: Mapping[str, str] | None = None) -> Any:
    """Return a whole label (table cell, axis category, legend entry) in client words.

    A label in the mapping, or one that is code-like as a whole, is replaced by its display
    name; any other string goes through :func:`relabel_text`; non-strings come back as they
    are.

    Example:
        >>> relabel_label("consumer"), relabel_label("Dec 2024"), relabel_label(3)
        ('Consumer', 'Dec 2024', 3)
    """
    if not isinstance(text, str):
        return text
    mapping = _ACTIVE.get() if names is None else names
    stripped = text.strip()
    if (mapping and stripped in mapping) or stripped in DEFAULT_NAMES or is_code_like(stripped):
        return text.replace(stripped, display_name(stripped, mapping))
    return relabel_text(text, mapping)


def relabel_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """Return running text with identifiers and raw p-values written for a client.

    Each ``snake_case`` word becomes its display name, a metric's key in lowercase its
    acronym ("attitude (nps)" reads "attitude (NPS)"), a mapped label in ``<b>..</b>`` is
    renamed, and ``p = 4.3e-196`` becomes ``p < 0.001`` (:func:`format_p`).

    Example:
        >>> relabel_text("NPS of small_business fell (p = 4.3e-196)")
        'NPS of Small business fell (p < 0.001)'
    """
    mapping = _ACTIVE.get() if names is None else names
    out = _SNAKE.sub(lambda m: display_name(m.group(0), mapping), text)
    out = _METRIC_WORD.sub(lambda m: ACRONYMS[m.group(1)], out)
    out = re.sub(r"<b>([^<>]+)</b>", lambda m: f"<b>{relabel_label(m.group(1), mapping)}</b>", out)
    return _P_TEXT.sub(lambda m: f"{m.group(1)} {_p_relation(m.group(2))}", out)


#: Marks of a clause written for a developer: a Python call, a shell command, a constructor.
_CODE_CLAUSE = re.compile(r"`|\bws\.|\(FILE|\w+\(['\"]")


def without_code(text: str) -> str:
    """Return a note with the clauses that tell a developer what to call left out.

    Engine and analysis messages end with advice such as "; load one with ``cxlens ingest
    FILE --as posts``" or ", or use ChurnDefinition('contractual')": right in a terminal,
    code in a client's report. Clauses are cut at "; " and ", or "; a clause with a code mark
    (backticks, ``ws.``, ``(FILE``, a call with a quoted argument) is dropped.

    Example:
        >>> without_code("the workspace has no posts table; load it with `cxlens ingest FILE`")
        'the workspace has no posts table'
        >>> without_code("read from orders; ingest them, or use Definition('contractual')")
        'read from orders; ingest them'
    """
    kept: list[str] = []
    for clause in text.split("; "):
        parts = [p for p in clause.split(", or ") if not _CODE_CLAUSE.search(p)]
        if parts:
            kept.append(", or ".join(parts))
    out = "; ".join(kept) or text
    return out if out.endswith((".", "!", "?")) or not text.rstrip().endswith(".") else out + "."


def format_p(p: object) -> str:
    """Write a p-value as a client reads it: "< 0.001", else three decimals; "—" if missing.

    Example:
        >>> format_p(4.3e-196), format_p(0.0), format_p(0.0421), format_p(None)
        ('< 0.001', '< 0.001', '0.042', '—')
    """
    try:
        value = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(value):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _p_relation(number: str) -> str:
    if float(number) > 1:  # not a probability: a model parameter named p or q
        return f"= {number}"
    shown = format_p(number)
    return shown if shown.startswith("<") else f"= {shown}"


@contextmanager
def using_names(names: Mapping[str, str] | None) -> Iterator[None]:
    """Make ``names`` the mapping in force for the views built inside the block.

    Example:
        >>> with using_names({"consumer": "Households"}):
        ...     display_name("consumer")
        'Households'
    """
    token = _ACTIVE.set(dict(names or {}))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def relabel_figure(figure: dict[str, Any], names: Mapping[str, str] | None = None) -> dict:
    """Return a Plotly figure dict (``fig.to_plotly_json()``) with its text in client words.

    Category labels (``x``/``y`` strings, ``labels``, ``name``, ``ticktext``,
    ``categoryarray``, Sankey node labels) go through :func:`relabel_label`; titles,
    annotations, ``text`` and hover text through :func:`relabel_text`. Numbers and dates are
    left alone.

    Example:
        >>> fig = {"data": [{"type": "bar", "y": ["small_business"], "x": [3.0]}],
        ...        "layout": {"title": {"text": "NPS by segment"}}}
        >>> relabel_figure(fig)["data"][0]["y"]
        ['Small business']
    """
    mapping = _ACTIVE.get() if names is None else names

    def label(v: Any) -> Any:
        return relabel_label(v, mapping)

    def text(v: Any) -> Any:
        return relabel_text(v, mapping) if isinstance(v, str) else v

    return _walk(figure, label, text)


#: Keys of a Plotly figure whose strings are whole labels, and those that are running text.
_LABEL_KEYS = {"x", "y", "labels", "label", "name", "text", "ticktext", "categoryarray"}
_TEXT_KEYS = {"hovertext", "title", "hovertemplate", "texttemplate"}


def _walk(node: Any, label: Callable[[Any], Any], text: Callable[[Any], Any], key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, label, text, k) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_walk(v, label, text, key) for v in node]
    if hasattr(node, "dtype") and getattr(node.dtype, "kind", "") == "O":  # numpy object array
        return [_walk(v, label, text, key) for v in node.tolist()]
    if isinstance(node, str):
        if key in _LABEL_KEYS:
            return label(node)
        if key in _TEXT_KEYS:
            return text(node)
    return node


def load_names(catalog: Any) -> dict[str, str]:
    """Return the display names stored in a workspace (``{}`` when none were set).

    ``catalog`` is a Workspace or any Catalog (``has_table``, ``table``).

    Example:
        >>> import cxlens
        >>> load_names(cxlens.Workspace(":memory:"))
        {}
    """
    if not catalog.has_table(NAMES_TABLE):
        return {}
    frame = catalog.table(NAMES_TABLE).order_by("key").to_pandas()
    return dict(zip(frame["key"].astype(str), frame["label"].astype(str), strict=True))


def save_names(catalog: Any, names: Mapping[str, str]) -> dict[str, str]:
    """Store ``names`` as the workspace's whole mapping and return it.

    Raises:
        ArgumentError: a key or label is empty or not text (the stored mapping is unchanged).

    Example:
        >>> import cxlens
        >>> ws = cxlens.Workspace(":memory:")
        >>> save_names(ws, {"smb": "Small firms"})
        {'smb': 'Small firms'}
    """
    clean: dict[str, str] = {}
    for key, label in names.items():
        if not isinstance(key, str) or not key.strip():
            raise ArgumentError(f"display name key {key!r} must be non-empty text")
        if not isinstance(label, str) or not label.strip():
            raise ArgumentError(f"display name for {key!r} must be non-empty text; got {label!r}")
        clean[key.strip()] = label.strip()
    frame = pd.DataFrame({"key": list(clean), "label": list(clean.values())}, dtype=object)
    catalog.save_table(NAMES_TABLE, frame.astype({"key": str, "label": str}))
    return dict(sorted(clean.items()))


class DisplayNames:
    """``ws.display_names``: read and change the workspace's display names.

    Example:
        >>> import cxlens
        >>> ws = cxlens.Workspace(":memory:")
        >>> ws.display_names.set(small_business="Small firms")
        {'small_business': 'Small firms'}
        >>> ws.display_names.name("small_business"), ws.display_names.name("field_sales")
        ('Small firms', 'Field sales')
    """

    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog

    def get(self) -> dict[str, str]:
        """Return the workspace's own mapping (the defaults are not listed)."""
        return load_names(self._catalog)

    def set(self, names: Mapping[str, str] | None = None, /, **more: str) -> dict[str, str]:
        """Add or change names (``{"small_business": "Small firms"}`` or keywords); return all."""
        merged = {**self.get(), **dict(names or {}), **more}
        return save_names(self._catalog, merged)

    def remove(self, *keys: str) -> dict[str, str]:
        """Drop the workspace's names for ``keys`` (back to the defaults); return the rest.

        Raises:
            ArgumentError: a key has no name set (nothing is removed).
        """
        current = self.get()
        missing = [k for k in keys if k not in current]
        if missing:
            raise ArgumentError(f"no display name is set for {', '.join(missing)}; set: "
                           f"{', '.join(current) or 'none'}")  # fmt: skip
        return save_names(self._catalog, {k: v for k, v in current.items() if k not in keys})

    def name(self, key: object) -> str:
        """Return the name a client reads for ``key`` in this workspace."""
        return display_name(key, self.get())


def with_display_names(build: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view builder whose first argument is a workspace: build it in its names.

    Example:
        >>> import cxlens
        >>> @with_display_names
        ... def title(ws):
        ...     return display_name("small_business")
        >>> ws = cxlens.Workspace(":memory:")
        >>> _ = ws.display_names.set(small_business="Small firms")
        >>> title(ws)
        'Small firms'
    """

    @wraps(build)
    def inner(ws: Any, *args: Any, **kwargs: Any) -> Any:
        with using_names(load_names(ws)):
            return build(ws, *args, **kwargs)

    return inner
