"""Suggest a column mapping from a file's headers and values, for a person to confirm."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pandas as pd
import yaml

from cxlens.ingest.readers import SourceFile, sample_values
from cxlens.schema import get_table

#: Words that tool exports use for canonical columns (English, Russian, Chinese).
SYNONYMS: dict[str, list[str]] = {
    "response_id": ["response id", "respondent id", "submission id", "id ответа", "答卷编号"],
    "customer_id": ["customer", "customer id", "client id", "user id", "account id", "клиент",
                    "id клиента", "客户", "客户编号", "用户id"],
    "responded_at": ["submitted at", "date", "timestamp", "response date", "end date",
                     "completed", "дата", "提交时间", "日期"],
    "touchpoint": ["touchpoint", "touch point", "interaction", "точка контакта", "触点"],
    "nps": ["nps", "recommend", "likelihood to recommend", "how likely", "порекомендуете",
            "推荐"],
    "csat": ["csat", "satisfaction", "satisfied", "удовлетворенность", "满意"],
    "ces": ["ces", "effort", "easy", "ease", "усилия", "легко", "费力", "容易"],
    "comment": ["comment", "feedback", "verbatim", "why", "open text", "комментарий", "评论",
                "意见"],
    "language": ["language", "lang", "locale", "язык", "语言"],
    "transaction_id": ["order id", "transaction id", "invoice", "payment id", "заказ", "订单号"],
    "occurred_at": ["order date", "date", "timestamp", "created at", "time", "дата", "时间"],
    "amount": ["amount", "total", "revenue", "price", "value", "сумма", "金额"],
    "event_id": ["event id", "hit id"],
    "post_id": ["post id", "tweet id", "review id"],
    "posted_at": ["created at", "published", "posted", "date"],
    "reach": ["reach", "impressions", "views"],
}  # fmt: skip

#: Headers that name a row's own id (English, Russian, Chinese): the table's key column
#: when no synonym claimed them ("Ticket ID" in a Zendesk export, "id", "Номер", "编号").
ID_HEADERS: tuple[str, ...] = (
    "id", "#", "no", "no.", "nr", "number", "record id", "row id", "ticket id", "ticket",
    "ticket number", "case id", "case number", "entry id", "survey id", "№", "номер",
    "номер ответа", "номер заявки", "номер обращения", "ид", "编号", "序号", "工单编号",
    "工单号", "记录编号", "问卷编号", "答卷编号", "id号",
)  # fmt: skip
#: Headers of a rating: csat, or nps when the values run 0 to more than 7 (a 0-10 question).
RATING_HEADERS: tuple[str, ...] = (
    "rating", "score", "stars", "satisfaction rating", "ticket satisfaction rating",
    "оценка", "рейтинг", "балл", "評分", "评分", "打分", "分数", "星级", "评价分数",
)  # fmt: skip

_SCALE_IN_HEADER = re.compile(r"\(?\b(0|1)\s*[-–to]+\s*(5|7|10)\b\)?")


def suggest_mapping(path: str | Path, table: str) -> dict:
    """Propose a mapping for ``path`` into ``table``; returns a dict ready for YAML.

    Headers are matched to canonical columns by exact name, known synonyms, then by close
    spelling. A score column whose header names a scale ("(1-10)") or whose values span a
    different range than the canonical one gets a declared scale to confirm.

    Example:
        >>> suggest_mapping("survey_export.csv", "responses")["columns"]  # doctest: +SKIP
        {'Response ID': 'response_id', 'How likely ... (1-10)': 'nps'}
    """
    schema = get_table(table)
    values = sample_values(SourceFile(Path(path)))
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for header in values.columns:
        target = _match(header, schema.names, taken) or _by_role(
            header, values[header], schema, taken
        )
        if target is not None:
            columns[header] = target
            taken.add(target)
    scales = {}
    for header, target in columns.items():
        scale = _suggest_scale(header, values[header], schema.column(target))
        if scale is not None:
            scales[target] = scale
    suggestion: dict = {"table": schema.name, "columns": columns}
    if scales:
        suggestion["scales"] = scales
    unmatched = [h for h in values.columns if h not in columns]
    if unmatched:
        suggestion["unmatched"] = unmatched
    return suggestion


def suggestion_yaml(suggestion: dict) -> str:
    """Render a suggestion as a mapping file, unmatched headers as comments."""
    body = {k: v for k, v in suggestion.items() if k != "unmatched"}
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    for header in suggestion.get("unmatched", []):
        text += f"# unmatched: {header!r}\n"
    return text


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", _SCALE_IN_HEADER.sub("", text)).strip().lower()


def _match(header: str, names: list[str], taken: set[str]) -> str | None:
    norm = _normal(header)
    free = [n for n in names if n not in taken]
    for name in free:
        if norm == _normal(name):
            return name
    for name in free:
        if any(word in norm for word in SYNONYMS.get(name, [])):
            return name
    close = difflib.get_close_matches(norm, [_normal(n) for n in free], n=1, cutoff=0.8)
    if close:
        return next(n for n in free if _normal(n) == close[0])
    return None


def _by_role(header: str, values: pd.Series, schema, taken: set[str]) -> str | None:  # type: ignore[no-untyped-def]
    """Return the key column for an id header, csat or nps for a rating header, else None.

    Example:
        >>> _by_role("编号", pd.Series(["1"]), get_table("responses"), set())
        'response_id'
    """
    norm = _normal(header)
    key = schema.key[-1]
    if norm in ID_HEADERS and key not in taken:
        return key
    if norm in RATING_HEADERS and schema.has_column("csat"):
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        target = "nps" if len(numbers) and numbers.min() == 0 and numbers.max() > 7 else "csat"
        return target if target not in taken else None
    return None


def _suggest_scale(header: str, values: pd.Series, column) -> dict | None:  # type: ignore[no-untyped-def]
    if column.dtype != "int" or column.minimum is None:
        return None
    found = _SCALE_IN_HEADER.search(header)
    if found:
        lo, hi = int(found.group(1)), int(found.group(2))
    else:
        numbers = pd.to_numeric(values, errors="coerce").dropna()
        if numbers.empty:
            return None
        lo = 1 if numbers.min() >= 1 else 0
        hi = int(numbers.max())
        if hi <= column.maximum and lo >= column.minimum:
            return None
    if (lo, hi) == (column.minimum, column.maximum):
        return None
    return {"from": [lo, hi], "rule": "linear"}
