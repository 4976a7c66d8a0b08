"""Likert word scales in English, Russian and Chinese, for ``scales: {csat: satisfaction}``.

Each preset lists its points from the lowest to the highest; a point may be written in
several ways (all three languages, common variants). A preset maps onto a canonical score
with the same number of points (csat 1-5, ces 1-7) point for point, and onto a continuous
score (driver ratings 0-10) linearly.

Sources for the wording: the standard 5- and 7-point Likert anchors (Vagias, W. M. (2006),
"Likert-type scale response anchors", Clemson University), the CES 2.0 agreement item
(Gartner/CEB); the Russian and Chinese words are the usual translations of those anchors
(feminine Russian forms included).
"""

from __future__ import annotations

LIKERT: dict[str, tuple[tuple[str, ...], ...]] = {
    "satisfaction": (
        ("Very dissatisfied", "Очень недоволен", "Очень недовольна", "非常不满意"),
        ("Dissatisfied", "Недоволен", "Недовольна", "不满意"),
        ("Neither satisfied nor dissatisfied", "Neutral", "Нейтрально",
         "Ни доволен, ни недоволен", "一般", "中立"),
        ("Satisfied", "Доволен", "Довольна", "满意"),
        ("Very satisfied", "Очень доволен", "Очень довольна", "非常满意"),
    ),
    "agreement": (
        ("Strongly disagree", "Полностью не согласен", "Совершенно не согласен", "非常不同意"),
        ("Disagree", "Не согласен", "不同意"),
        ("Neither agree nor disagree", "Neutral", "Ни согласен, ни не согласен",
         "Затрудняюсь ответить", "中立", "一般"),
        ("Agree", "Согласен", "同意"),
        ("Strongly agree", "Полностью согласен", "Совершенно согласен", "非常同意"),
    ),
    "agreement7": (
        ("Strongly disagree", "Полностью не согласен", "Совершенно не согласен", "非常不同意"),
        ("Disagree", "Не согласен", "不同意"),
        ("Somewhat disagree", "Скорее не согласен", "有点不同意", "比较不同意"),
        ("Neither agree nor disagree", "Neutral", "Ни согласен, ни не согласен",
         "Затрудняюсь ответить", "中立", "一般"),
        ("Somewhat agree", "Скорее согласен", "有点同意", "比较同意"),
        ("Agree", "Согласен", "同意"),
        ("Strongly agree", "Полностью согласен", "Совершенно согласен", "非常同意"),
    ),
    "likelihood": (
        ("Extremely unlikely", "Very unlikely", "Крайне маловероятно", "Очень маловероятно",
         "非常不可能"),
        ("Unlikely", "Маловероятно", "不太可能", "不可能"),
        ("Neither likely nor unlikely", "Neutral", "Затрудняюсь ответить", "不确定", "一般"),
        ("Likely", "Вероятно", "可能"),
        ("Extremely likely", "Very likely", "Очень вероятно", "Крайне вероятно", "非常可能"),
    ),
    "ease": (
        ("Very difficult", "Очень сложно", "非常困难"),
        ("Difficult", "Сложно", "困难"),
        ("Somewhat difficult", "Скорее сложно", "有点困难", "比较困难"),
        ("Neither easy nor difficult", "Neutral", "Ни сложно, ни легко", "一般"),
        ("Somewhat easy", "Скорее легко", "有点容易", "比较容易"),
        ("Easy", "Легко", "容易"),
        ("Very easy", "Очень легко", "非常容易"),
    ),
    "quality": (
        ("Very poor", "Очень плохо", "非常差"),
        ("Poor", "Плохо", "差"),
        ("Fair", "Удовлетворительно", "一般"),
        ("Good", "Хорошо", "好"),
        ("Excellent", "Отлично", "非常好", "优秀"),
    ),
}  # fmt: skip


def word_key(value: object) -> str:
    """Return the form a scale word is matched in: spaces collapsed, case folded, ё as е.

    Example:
        >>> word_key("  Very  Satisfied ")
        'very satisfied'
    """
    return " ".join(str(value).split()).casefold().replace("ё", "е")


def preset_values(name: str, low: float, high: float, integer: bool) -> dict[str, float] | None:
    """Return ``{word key: canonical value}`` for preset ``name`` on a score from low to high.

    None when an integer score has another number of points than the preset (a 5-point
    scale cannot be laid on 0-10 without inventing values).

    Example:
        >>> preset_values("satisfaction", 1, 5, True)["very satisfied"]
        5.0
    """
    levels = LIKERT[name]
    points = len(levels)
    if integer and high - low + 1 != points:
        return None
    out: dict[str, float] = {}
    for i, words in enumerate(levels):
        value = low + i if integer else low + i * (high - low) / (points - 1)
        for word in words:
            out[word_key(word)] = float(value)
    return out
