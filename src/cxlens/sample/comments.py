"""Multilingual comment templates (English, Russian, Chinese) whose sentiment agrees with the score.

A comment is an opener that carries the sentiment plus theme sentences about drivers:

- promoters (NPS 9-10): a positive opener and praise of their strongest driver;
- passives (7-8): a mixed opener, praise of the strongest driver, then a complaint about the
  weakest ("..., but ...");
- detractors (0-6): a negative opener and a complaint about their weakest driver, or about the
  new billing process when the planted problem hit them.

Some comments are left empty, more often by passives. The marker words of each sentiment are
listed in ``MARKERS`` so tests (and readers) can check the agreement.

Real comments are messier, so :func:`roughen` then rewrites a share of them (``STYLES``,
drawn from a generator spawned off the caller's, so every other table stays as it was): very
short replies ("ok", "норм", "好"), off-topic ones (a question about something else, "test"),
sarcasm in place of a detractor's opener ("Oh great, ..."), typos (two letters swapped or one
dropped), casual writing (all lower case, no final full stop, "!!!"), and, among English-
speaking customers, comments written in French (which cxlens has no theme model for).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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
            "positive": (
                "The price is fair for what you get.",
                "Good value for money.",
                "Cheaper than my last provider.",
            ),
            "negative": (
                "It is far too expensive.",
                "The bill keeps going up.",
                "Way overpriced for what it is.",
            ),
        },
        "speed": {
            "positive": (
                "Speeds are fast, even in the evening.",
                "Downloads are really quick.",
                "Streaming in HD with no buffering.",
            ),
            "negative": (
                "Speeds are much slower than advertised.",
                "The internet is painfully slow in the evenings.",
                "Pages take forever to load.",
            ),
        },
        "reliability": {
            "positive": (
                "The connection is rock solid.",
                "No outages at all.",
                "Never lost the signal once.",
            ),
            "negative": (
                "The connection keeps dropping.",
                "We had outages almost every week.",
                "Wifi cuts out every evening.",
            ),
        },
        "support": {
            "positive": (
                "Support staff were helpful and quick.",
                "The agent solved my issue on the first call.",
                "The support team sorted it out in minutes.",
            ),
            "negative": (
                "Support took ages to answer.",
                "Nobody in support could fix my problem.",
                "On hold for an hour with support.",
            ),
        },
        "ease": {
            "positive": (
                "The app makes everything easy.",
                "Setting things up was simple.",
                "The app is easy to use.",
            ),
            "negative": (
                "The app is confusing.",
                "Simple things take far too many steps.",
                "Could not find anything in the app.",
            ),
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
            "positive": (
                "Цена вполне разумная.",
                "Хорошее соотношение цены и качества.",
                "Тариф дешевле, чем у прежнего провайдера.",
            ),
            "negative": ("Слишком дорого.", "Счета постоянно растут.", "Цены кусаются."),
        },
        "speed": {
            "positive": (
                "Скорость отличная, даже вечером.",
                "Всё загружается очень быстро.",
                "Фильмы идут без подвисаний.",
            ),
            "negative": (
                "Скорость намного ниже заявленной.",
                "Вечером интернет ужасно медленный.",
                "Страницы грузятся целую вечность.",
            ),
        },
        "reliability": {
            "positive": (
                "Связь стабильная, без обрывов.",
                "Ни одного сбоя за всё время.",
                "Интернет ни разу не пропадал.",
            ),
            "negative": (
                "Связь постоянно обрывается.",
                "Сбои почти каждую неделю.",
                "Вайфай пропадает каждый вечер.",
            ),
        },
        "support": {
            "positive": (
                "Поддержка отвечает быстро и по делу.",
                "Оператор решил мой вопрос с первого звонка.",
                "Техподдержка помогла за пять минут.",
            ),
            "negative": (
                "В поддержку невозможно дозвониться.",
                "Поддержка так и не решила мою проблему.",
                "Час висел на линии с поддержкой.",
            ),
        },
        "ease": {
            "positive": (
                "Приложение очень удобное.",
                "Всё настроить было просто.",
                "В приложении всё понятно.",
            ),
            "negative": (
                "Приложение неудобное и запутанное.",
                "Простые вещи требуют слишком много действий.",
                "В приложении ничего не найти.",
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
            "positive": ("价格很合理。", "性价比很高。", "比以前的运营商便宜。"),
            "negative": ("价格太贵了。", "账单一直在涨。", "套餐价格太坑了。"),
        },
        "speed": {
            "positive": ("网速很快，晚上也不卡。", "下载速度非常快。", "看高清视频一点都不卡。"),
            "negative": ("网速比宣传的慢很多。", "晚上网速慢得要命。", "网页半天都打不开。"),
        },
        "reliability": {
            "positive": ("网络很稳定，从不掉线。", "一直没有断网过。", "信号一直很好。"),
            "negative": ("网络经常掉线。", "几乎每周都断网。", "每天晚上WiFi都断。"),
        },
        "support": {
            "positive": (
                "客服回复又快又专业。",
                "客服第一次就解决了我的问题。",
                "售后几分钟就搞定了。",
            ),
            "negative": (
                "客服电话一直打不通。",
                "客服根本解决不了问题。",
                "打客服电话等了一个小时。",
            ),
        },
        "ease": {
            "positive": ("App很好用。", "设置起来很简单。", "App界面很清楚。"),
            "negative": ("App太难用了。", "简单的操作也要好多步骤。", "在App里什么都找不到。"),
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


#: Share of non-empty comments rewritten in each style (the rest stay as composed).
STYLES: dict[str, float] = {
    "short": 0.05,
    "off_topic": 0.03,
    "sarcasm": 0.04,  # of detractors' comments
    "typo": 0.10,
    "casual": 0.15,
    "french": 0.04,  # of English-speaking customers' comments
}

SHORT: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": ("ok", "good", "Good.", "all fine", "thx"),
        "mixed": ("meh", "so-so", "it's fine I guess"),
        "negative": ("bad", "nope", "Not good."),
    },
    "ru": {
        "positive": ("норм", "ок", "Хорошо.", "всё ок"),
        "mixed": ("так себе", "сойдёт"),
        "negative": ("плохо", "Не очень.", "фу"),
    },
    "zh": {
        "positive": ("好", "不错", "还好"),
        "mixed": ("一般", "还行吧"),
        "negative": ("差", "不行", "差评"),
    },
}
OFF_TOPIC: dict[str, tuple[str, ...]] = {
    "en": (
        "test",
        "Can I change the email address on my account?",
        "Does anyone know if the shop on Main Street is open on Sundays?",
        "Why is this survey so long",
        "asdf",
    ),
    "ru": (
        "тест",
        "Как поменять адрес почты в личном кабинете?",
        "Подскажите, офис на Ленина работает в воскресенье?",
        "Зачем такой длинный опрос",
    ),
    "zh": ("测试", "请问怎么修改绑定的邮箱？", "门店周日营业吗？", "这个问卷太长了"),
}
#: Sarcastic openers: praise words, negative meaning (a lexicon reads them as praise).
SARCASM: dict[str, tuple[str, ...]] = {
    "en": (
        "Oh great, just what I needed.",
        "Wonderful. Really wonderful.",
        "Thanks a lot, Northwind, best week ever.",
    ),
    "ru": ("Ну просто супер, спасибо.", "Отличный сервис, ничего не скажешь.", "Браво, молодцы."),
    "zh": ("真是太棒了呢。", "服务真好，谢谢啊。", "厉害了。"),
}
#: French comments (English-speaking customers writing in French), by sentiment.
FRENCH: dict[str, tuple[str, ...]] = {
    "positive": (
        "Très bon service, la connexion est rapide.",
        "Super, rien à redire.",
        "Le service client a été très efficace.",
    ),
    "mixed": ("Correct, mais un peu cher.", "Pas mal, mais l'application est compliquée."),
    "negative": (
        "Beaucoup trop cher pour ce que c'est.",
        "La connexion coupe tout le temps.",
        "Impossible de joindre le service client.",
    ),
}


def _typo(rng: np.random.Generator, text: str) -> str:
    """Swap two adjacent letters of one longer word, or drop one letter."""
    words = [m for m in re.finditer(r"[^\W\d_]{4,}", text)]
    if not words:
        return text
    m = words[rng.integers(len(words))]
    i = m.start() + int(rng.integers(1, len(m.group()) - 1))
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def _casual(rng: np.random.Generator, text: str, lang: str) -> str:
    """All lower case and no final stop, or a final "!!!" ("。。" in Chinese)."""
    if lang == "zh":
        return text.rstrip("。") + ("！！！" if rng.random() < 0.5 else "")
    text = text.lower().rstrip(".")
    return text + "!!!" if rng.random() < 0.3 else text


def roughen(
    rng: np.random.Generator, comments: np.ndarray, language: np.ndarray, sentiment: np.ndarray
) -> np.ndarray:
    """Rewrite a share of the composed comments in the styles of :data:`STYLES`.

    Args:
        rng: the generator to draw from (spawn one off the caller's to keep its stream).
        comments: composed comments (None where empty; those stay empty).
        language: index into ``LANGS`` per comment.
        sentiment: index into ``SENTIMENTS`` per comment.

    Returns:
        A new object array of comments.

    Example:
        >>> out = roughen(np.random.default_rng(1), np.array(["It is far too expensive."] * 200,
        ...     dtype=object), np.zeros(200, int), np.zeros(200, int))
        >>> len(set(out)) > 3
        True
    """
    out = comments.copy()
    for i in np.flatnonzero(pd.notna(comments)):
        lang, sent = LANGS[int(language[i])], SENTIMENTS[int(sentiment[i])]
        text = str(out[i])
        draw = rng.random(6)
        if lang == "en" and draw[0] < STYLES["french"]:
            text = str(rng.choice(FRENCH[sent]))
        elif draw[1] < STYLES["short"]:
            text = str(rng.choice(SHORT[lang][sent]))
        elif draw[2] < STYLES["off_topic"]:
            text = str(rng.choice(OFF_TOPIC[lang]))
        else:
            if sent == "negative" and draw[3] < STYLES["sarcasm"]:
                rest = sentences_after_first(text, lang)
                text = str(rng.choice(SARCASM[lang])) + _SEP[lang] + rest if rest else text
            if draw[4] < STYLES["typo"] and lang != "zh":
                text = _typo(rng, text)
            if draw[5] < STYLES["casual"]:
                text = _casual(rng, text, lang)
        out[i] = text
    return out


def sentences_after_first(text: str, lang: str) -> str:
    """Return ``text`` without its first sentence (the opener).

    Example:
        >>> sentences_after_first("Awful. It is far too expensive.", "en")
        'It is far too expensive.'
    """
    match = re.search(r"[.!?。！？]\s*" if lang != "zh" else r"[。！？]", text)
    return text[match.end() :].strip() if match else ""


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
    # a generator of its own: the caller's stream (and every table drawn after) is unchanged
    return roughen(rng.spawn(1)[0], out, language, sentiment)
