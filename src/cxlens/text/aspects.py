"""A small built-in CX aspect lexicon that names discovered themes alike across languages.

Themes are discovered per language without any preset list; afterwards each theme's top
keywords are looked up here, and the aspect that holds most of their weight becomes the
theme's ``aspect`` ("billing" for an English theme about invoices and for a Russian one about
"счёт"), so themes of different languages can be read, compared and added up together.
A theme whose keywords are not here is ``general`` (praise, complaints without an object,
or a topic the lexicon lacks). Entries are tokens as :func:`cxlens.text.tokenize.tokens`
writes them: English singular words, Russian lemmas (``ё`` as ``е``), Chinese bigrams. They
come from knowledge of service feedback, not from the sample's templates.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Aspect -> language -> tokens.
ASPECTS: dict[str, dict[str, frozenset[str]]] = {
    "price": {
        "en": frozenset(
            [
                "price",
                "pricing",
                "expensive",
                "cheap",
                "cheaper",
                "cost",
                "costly",
                "value",
                "money",
                "fee",
                "tariff",
                "afford",
                "affordable",
                "overpriced",
                "discount",
                "deal",
                "worth",
            ]
        ),
        "ru": frozenset(
            [
                "цена",
                "дорого",
                "дорогой",
                "дешевый",
                "дешево",
                "стоимость",
                "тариф",
                "деньга",
                "переплачивать",
                "скидка",
                "соотношение",
            ]
        ),
        "zh": frozenset(
            ["价格", "太贵", "很贵", "便宜", "性价", "价比", "收费", "资费", "套餐", "优惠", "涨价"]
        ),
    },
    "billing": {
        "en": frozenset(
            [
                "bill",
                "billing",
                "invoice",
                "charge",
                "charged",
                "charging",
                "payment",
                "refund",
                "debit",
                "overcharged",
                "statement",
                "autopay",
                "twice",
            ]
        ),
        "ru": frozenset(
            [
                "счет",
                "биллинг",
                "оплата",
                "списать",
                "списывать",
                "платеж",
                "квитанция",
                "начисление",
                "дважды",
                "выставление",
            ]
        ),
        "zh": frozenset(["计费", "账单", "扣费", "发票", "付款", "缴费", "退款", "重复", "扣钱"]),
    },
    "speed": {
        "en": frozenset(
            [
                "speed",
                "fast",
                "slow",
                "slower",
                "quick",
                "quickly",
                "download",
                "upload",
                "bandwidth",
                "mbps",
                "lag",
                "latency",
                "internet",
            ]
        ),
        "ru": frozenset(
            [
                "скорость",
                "быстрый",
                "быстро",
                "медленный",
                "медленно",
                "загружаться",
                "тормозить",
                "интернет",
            ]
        ),
        "zh": frozenset(["网速", "速度", "下载", "上传", "卡顿", "很慢", "太慢", "慢得"]),
    },
    "reliability": {
        "en": frozenset(
            [
                "connection",
                "outage",
                "dropping",
                "drop",
                "dropped",
                "stable",
                "reliable",
                "reliability",
                "disconnect",
                "disconnected",
                "signal",
                "coverage",
                "solid",
                "downtime",
            ]
        ),
        "ru": frozenset(
            [
                "связь",
                "обрыв",
                "обрываться",
                "сбой",
                "стабильный",
                "отключение",
                "сеть",
                "пропадать",
            ]
        ),
        "zh": frozenset(["掉线", "断网", "稳定", "信号", "网络", "断线"]),
    },
    "support": {
        "en": frozenset(
            [
                "support",
                "agent",
                "staff",
                "helpful",
                "help",
                "operator",
                "answer",
                "hold",
                "wait",
                "ticket",
                "chat",
                "representative",
                "rep",
                "fix",
                "solved",
                "resolved",
            ]
        ),
        "ru": frozenset(
            [
                "поддержка",
                "оператор",
                "дозвониться",
                "звонок",
                "консультант",
                "ответить",
                "отвечать",
                "решить",
                "помочь",
            ]
        ),
        "zh": frozenset(["客服", "人工", "电话", "售后", "回复", "解决"]),
    },
    "ease": {
        "en": frozenset(
            [
                "app",
                "website",
                "easy",
                "simple",
                "confusing",
                "step",
                "setup",
                "setting",
                "interface",
                "login",
                "navigate",
                "use",
            ]
        ),
        "ru": frozenset(
            [
                "приложение",
                "удобный",
                "неудобный",
                "настроить",
                "простой",
                "запутанный",
                "сайт",
                "кабинет",
                "действие",
            ]
        ),
        "zh": frozenset(["app", "好用", "难用", "操作", "设置", "步骤", "界面", "简单"]),
    },
}
#: Aspect of a theme no lexicon entry matches.
GENERAL = "general"
#: Share of a theme's keyword weight an aspect must hold to name it.
MIN_ASPECT_SHARE = 0.2


def _matches(keyword: str, lexicon: frozenset[str], language: str) -> bool:
    """Return True when a keyword (or pair) names the aspect.

    A Chinese word also does when it holds an entry ("网速慢" holds "网速") or is a
    two-character part of one ("性价" of "性价比").
    """
    if set(keyword.split()) & lexicon:
        return True
    if language in ("zh", "ja"):
        return any(e in keyword or (len(keyword) >= 2 and keyword in e) for e in lexicon)
    return False


def aspect_of(keywords: Sequence[str], weights: Sequence[float], language: str) -> str:
    """Return the aspect holding most of the keywords' weight, or ``general``.

    A keyword pair ("far expensive") counts for each aspect one of its words belongs to.

    Example:
        >>> aspect_of(["charged twice", "billing", "mess"], [3.0, 2.0, 1.0], "en")
        'billing'
        >>> aspect_of(["great", "love"], [1.0, 1.0], "en")
        'general'
    """
    total = float(sum(weights)) or 1.0
    best, best_weight = GENERAL, 0.0
    for aspect, words in ASPECTS.items():
        lexicon = words.get(language, frozenset())
        weight = sum(
            w for k, w in zip(keywords, weights, strict=True) if _matches(k, lexicon, language)
        )
        if weight > best_weight:
            best, best_weight = aspect, weight
    return best if best_weight >= MIN_ASPECT_SHARE * total else GENERAL
