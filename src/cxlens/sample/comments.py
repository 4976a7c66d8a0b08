"""Multilingual comment templates (English, Russian, Chinese) whose sentiment agrees with the score.

A comment is an opener that carries the sentiment plus theme sentences about drivers:

- promoters (NPS 9-10): a positive opener and praise of their strongest driver;
- passives (7-8): a mixed opener, praise of the strongest driver, then a complaint about the
  weakest ("..., but ...");
- detractors (0-6): a negative opener and a complaint about their weakest driver, or about the
  new billing process when the planted problem hit them.

Some comments are left empty, more often by passives. The marker words of each sentiment are
listed in ``MARKERS`` so tests (and readers) can check the agreement.
"""

from __future__ import annotations

import numpy as np

LANGS: tuple[str, ...] = ("en", "ru", "zh")
SENTIMENTS: tuple[str, ...] = ("negative", "mixed", "positive")

OPENERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": (
            "Great service overall.",
            "Really happy with Northwind Connect.",
            "Excellent experience, thank you!",
            "Love it.",
            "Very satisfied so far.",
            "Fantastic provider.",
        ),
        "mixed": (
            "It's okay.",
            "Decent overall.",
            "Mostly fine.",
            "Average experience.",
            "Not bad, could be better.",
        ),
        "negative": (
            "Very disappointed.",
            "Terrible experience.",
            "Really unhappy with the service.",
            "Awful, honestly.",
            "Frustrating from start to finish.",
            "Not happy at all.",
        ),
    },
    "ru": {
        "positive": (
            "Отличный сервис!",
            "Очень доволен Northwind Connect.",
            "Всё супер, спасибо!",
            "Прекрасный провайдер.",
            "Полностью доволен.",
        ),
        "mixed": ("В целом нормально.", "Неплохо, но есть вопросы.", "Средне.", "Терпимо."),
        "negative": (
            "Очень разочарован.",
            "Ужасный сервис.",
            "Крайне недоволен.",
            "Это просто кошмар.",
            "Сплошное разочарование.",
        ),
    },
    "zh": {
        "positive": (
            "服务非常好！",
            "对Northwind Connect很满意。",
            "体验很棒，谢谢！",
            "非常满意。",
            "很不错的运营商。",
        ),
        "mixed": ("总体还行。", "一般般。", "还可以，但有些问题。", "马马虎虎。"),
        "negative": ("非常失望。", "服务太差了。", "很不满意。", "体验糟糕透了。", "让人很生气。"),
    },
}

#: Theme sentences per driver (and the planted "billing" theme, negative only).
THEMES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "price": {
            "positive": ("The price is fair for what you get.", "Good value for money."),
            "negative": ("It is far too expensive.", "The bill keeps going up."),
        },
        "speed": {
            "positive": ("Speeds are fast, even in the evening.", "Downloads are really quick."),
            "negative": (
                "Speeds are much slower than advertised.",
                "The internet is painfully slow in the evenings.",
            ),
        },
        "reliability": {
            "positive": ("The connection is rock solid.", "No outages at all."),
            "negative": ("The connection keeps dropping.", "We had outages almost every week."),
        },
        "support": {
            "positive": (
                "Support staff were helpful and quick.",
                "The agent solved my issue on the first call.",
            ),
            "negative": ("Support took ages to answer.", "Nobody in support could fix my problem."),
        },
        "ease": {
            "positive": ("The app makes everything easy.", "Setting things up was simple."),
            "negative": ("The app is confusing.", "Simple things take far too many steps."),
        },
        "billing": {
            "negative": (
                "The new billing process is a mess.",
                "I was charged twice after the billing change.",
                "My invoice is wrong again since the billing change.",
            ),
        },
    },
    "ru": {
        "price": {
            "positive": ("Цена вполне разумная.", "Хорошее соотношение цены и качества."),
            "negative": ("Слишком дорого.", "Счета постоянно растут."),
        },
        "speed": {
            "positive": ("Скорость отличная, даже вечером.", "Всё загружается очень быстро."),
            "negative": ("Скорость намного ниже заявленной.", "Вечером интернет ужасно медленный."),
        },
        "reliability": {
            "positive": ("Связь стабильная, без обрывов.", "Ни одного сбоя за всё время."),
            "negative": ("Связь постоянно обрывается.", "Сбои почти каждую неделю."),
        },
        "support": {
            "positive": (
                "Поддержка отвечает быстро и по делу.",
                "Оператор решил мой вопрос с первого звонка.",
            ),
            "negative": (
                "В поддержку невозможно дозвониться.",
                "Поддержка так и не решила мою проблему.",
            ),
        },
        "ease": {
            "positive": ("Приложение очень удобное.", "Всё настроить было просто."),
            "negative": (
                "Приложение неудобное и запутанное.",
                "Простые вещи требуют слишком много действий.",
            ),
        },
        "billing": {
            "negative": (
                "Новый порядок выставления счетов — полный хаос.",
                "После изменения биллинга с меня списали деньги дважды.",
                "Счёт опять неправильный после перехода на новую систему оплаты.",
            ),
        },
    },
    "zh": {
        "price": {
            "positive": ("价格很合理。", "性价比很高。"),
            "negative": ("价格太贵了。", "账单一直在涨。"),
        },
        "speed": {
            "positive": ("网速很快，晚上也不卡。", "下载速度非常快。"),
            "negative": ("网速比宣传的慢很多。", "晚上网速慢得要命。"),
        },
        "reliability": {
            "positive": ("网络很稳定，从不掉线。", "一直没有断网过。"),
            "negative": ("网络经常掉线。", "几乎每周都断网。"),
        },
        "support": {
            "positive": ("客服回复又快又专业。", "客服第一次就解决了我的问题。"),
            "negative": ("客服电话一直打不通。", "客服根本解决不了问题。"),
        },
        "ease": {
            "positive": ("App很好用。", "设置起来很简单。"),
            "negative": ("App太难用了。", "简单的操作也要好多步骤。"),
        },
        "billing": {
            "negative": (
                "新的计费流程一团糟。",
                "计费调整后被重复扣费了。",
                "改了账单系统以后发票又错了。",
            ),
        },
    },
}

#: Word stems that mark each sentiment's openers, per language (checked by the tests).
MARKERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": ("great", "happy with", "excellent", "love", "satisfied", "fantastic"),
        "negative": ("disappointed", "terrible", "unhappy", "awful", "frustrating", "not happy"),
    },
    "ru": {
        "positive": ("отличный", "очень доволен", "супер", "прекрасный", "полностью доволен"),
        "negative": ("разочарован", "ужасный", "недоволен", "кошмар"),
    },
    "zh": {
        "positive": ("非常好", "很满意", "很棒", "非常满意", "很不错"),
        "negative": ("失望", "太差", "不满意", "糟糕", "生气"),
    },
}

_BUT = {"en": "But ", "ru": "Но ", "zh": "不过"}
_SEP = {"en": " ", "ru": " ", "zh": ""}
_EMOJI = {"positive": ("👍", "🙂", "🚀"), "negative": ("😡", "👎", "😤")}

#: Chance that a comment is left empty, by sentiment.
EMPTY_SHARE: dict[str, float] = {"negative": 0.22, "mixed": 0.45, "positive": 0.35}


def _lower_first(text: str, lang: str) -> str:
    return text if lang == "zh" else text[0].lower() + text[1:]


def _arr(items: tuple[str, ...]) -> np.ndarray:
    return np.array(items, dtype=object)


def _table(rows: list) -> np.ndarray:
    """Return a (driver x variant) object array of sentences (equal variants per driver)."""
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, row in enumerate(rows):
        out[i, :] = list(row)
    return out


def build_comments(
    rng: np.random.Generator,
    language: np.ndarray,
    sentiment: np.ndarray,
    strongest: np.ndarray,
    weakest: np.ndarray,
    billing: np.ndarray,
    drivers: tuple[str, ...],
) -> np.ndarray:
    """Write one comment per response from the templates (None where left empty).

    Args:
        rng: the random generator.
        language: index into ``LANGS`` per response.
        sentiment: index into ``SENTIMENTS`` per response (0 negative, 1 mixed, 2 positive).
        strongest: index into ``drivers`` of the best-rated driver per response.
        weakest: index into ``drivers`` of the worst-rated driver per response.
        billing: True where the planted billing problem hit the respondent (detractors then
            complain about billing).
        drivers: driver names, in the order the indices refer to.

    Returns:
        Object array of comments (str or None).

    Example:
        >>> c = build_comments(
        ...     np.random.default_rng(3), np.array([0]), np.array([2]), np.array([0]),
        ...     np.array([1]), np.array([False]), ("price", "speed"),
        ... )
        >>> c.shape
        (1,)
    """
    n = len(language)
    out = np.full(n, None, dtype=object)
    for li, lang in enumerate(LANGS):
        themes = THEMES[lang]
        sep = _SEP[lang]
        pos = _table([themes[d]["positive"] for d in drivers])
        neg = _table([themes[d]["negative"] for d in drivers])
        neg_lower = _table(
            [[_lower_first(t, lang) for t in themes[d]["negative"]] for d in drivers]
        )
        bills = _arr(themes["billing"]["negative"])
        for si, sent in enumerate(SENTIMENTS):
            idx = np.flatnonzero((language == li) & (sentiment == si))
            if not len(idx):
                continue
            openers = _arr(OPENERS[lang][sent])
            text = openers[rng.integers(len(openers), size=len(idx))]
            good = pos[strongest[idx], rng.integers(pos.shape[1], size=len(idx))]
            k_bad = rng.integers(neg.shape[1], size=len(idx))
            if sent == "positive":
                text = text + sep + good
            elif sent == "mixed":
                text = text + sep + good + sep + _BUT[lang] + neg_lower[weakest[idx], k_bad]
            else:
                bad = np.where(
                    billing[idx],
                    bills[rng.integers(len(bills), size=len(idx))],
                    neg[weakest[idx], k_bad],
                )
                text = text + sep + bad
            emoji_key = "negative" if sent == "negative" else "positive"
            emoji = _arr(_EMOJI[emoji_key])[rng.integers(3, size=len(idx))]
            with_emoji = (rng.random(len(idx)) < 0.06) & (sent != "mixed")
            text = np.where(with_emoji, text + " " + emoji, text)
            empty = rng.random(len(idx)) < EMPTY_SHARE[sent]
            out[idx] = np.where(empty, None, text)
    return out
