"""Sentences and theme tokens per language: English words, Russian lemmas, Chinese bigrams.

Themes are found in sentences, not whole comments: a survey comment often praises one thing
and complains about another ("Fast internet. But support took ages."), and a sentence
usually holds one topic. :func:`sentences` splits on sentence ends (``. ! ? ; … 。 ！ ？ ；``
and line breaks); it is also the sentiment readers' splitter, with their own ends
(:data:`SENTIMENT_SENTENCE_END`).

:func:`tokens` gives the units a theme model counts:

* English: lower-case words without stop words, plural ``-s``/``-ies`` stripped
  ("outages" -> "outage", "speeds" -> "speed"), so singular and plural count together.
* Russian: pymorphy3 lemmas ("счета", "счёт" -> "счет"), function words (prepositions,
  conjunctions, particles, pronouns, interjections) dropped.
* Chinese: overlapping character bigrams of each run of Han characters ("网速很快" ->
  "网速", "速很", "很快"): no word segmenter ships offline, and bigrams carry most two-
  character words; a one-character run stays as itself. Latin words inside (``App``) are
  kept lower-case.
* Any other language: lower-case words of any script.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from cxlens.errors import ArgumentError

#: Where the themes' sentences end: after . ! ? ; … and the full-width 。！？； (the blanks
#: after them dropped) and at line breaks. A survey comment lists topics with semicolons and
#: line breaks ("wifi slow; staff great"), and each sentence should hold one topic.
THEME_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；…])\s*|\n+")
#: Where the sentiment readers' sentences end: after . ! ? … and the full-width 。！？ only,
#: the blanks kept with the next piece. It cuts long texts into the accurate head's windows
#: (:func:`cxlens.text.sentiment_model.e5_windows`, which rejoins the pieces as they were)
#: and was the measured sentence reading's rule (docs/text.md, "Russian long texts read
#: sentence by sentence"), written before its folds ran: it stays as measured.
SENTIMENT_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])")
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_RU_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)?")
_ANY_WORD = re.compile(r"[^\W\d_]+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z]{2,}")

# sklearn's list holds CX words that name topics ("bill", "call", "system", "fire"): keep them.
_KEEP = {"bill", "call", "system", "fire", "find", "found", "full", "empty", "move", "show"}
EN_STOP_WORDS: frozenset[str] = frozenset(
    (set(ENGLISH_STOP_WORDS) - _KEEP) | {"s", "t", "ve", "ll", "re", "d", "m", "it's", "i'm"}
)
#: Words that cannot name a theme (labels, content words): the stop words, plus the forms of
#: sklearn's auxiliaries it lacks ("do" but not "did", "get" but not "got"), two filler
#: adverbs and "y'all" (you all); real airline tweets made labels of them ("Did, help",
#: "Good, just messaged", "Fleet's on fleek, lmao y'all").
EN_LABEL_STOP_WORDS: frozenset[str] = EN_STOP_WORDS | {
    "does", "did", "doing", "having", "shall", "gets", "got", "getting", "just", "really",
    "y'all", "yes", "yeah", "yep", "ok", "okay", "lol", "lmao", "omg",
}  # fmt: skip
#: pymorphy3 parts of speech that carry no topic.
RU_FUNCTION_POS: frozenset[str] = frozenset({"PREP", "CONJ", "PRCL", "NPRO", "INTJ"})
#: Frequent Russian words pymorphy3 tags as content words that still carry no topic.
RU_STOP_LEMMAS: frozenset[str] = frozenset(
    {
        "быть",
        "это",
        "весь",
        "всё",
        "свой",
        "который",
        "такой",
        "очень",
        "так",
        "как",
        "уже",
        "мой",
        "твой",
        "наш",
        "ваш",
        "самый",
        "просто",
        "ещё",
        "еще",
        "вообще",
        "есть",
        "мочь",
    }
)


def sentences(
    text: str, end: re.Pattern[str] = THEME_SENTENCE_END, join_bare: bool = False
) -> list[str]:
    """Return a cleaned text's sentences (non-empty, stripped), the one sentence splitter.

    ``end``: where sentences end, :data:`THEME_SENTENCE_END` (themes, mixed readings) or
    :data:`SENTIMENT_SENTENCE_END` (the measured sentence reading). ``join_bare``: a piece
    without a letter or digit (the second and third "!" of "!!!") joins the sentence before
    it, as the measured reading did; the themes keep such pieces apart, as shipped (they
    hold no word that can name a theme).

    Example:
        >>> sentences("Fast internet! But support took ages. 客服太慢。价格贵")
        ['Fast internet!', 'But support took ages.', '客服太慢。', '价格贵']
        >>> sentences("Вкусно. Хамил!!! Не придём… ", SENTIMENT_SENTENCE_END, join_bare=True)
        ['Вкусно.', 'Хамил!!!', 'Не придём…']
    """
    pieces: list[str] = []
    for piece in end.split(text):
        if join_bare and pieces and not any(ch.isalnum() for ch in piece):
            pieces[-1] += piece
        elif piece and piece.strip():
            pieces.append(piece)
    return [s.strip() for s in pieces if s.strip()]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=300_000)
def russian_lemma(word: str) -> str | None:
    """Return the pymorphy3 lemma of a lower-case Russian word, None for a function word.

    Example:
        >>> russian_lemma("счета"), russian_lemma("на")
        ('счет', None)
    """
    parse = _morph().parse(word)[0]
    if parse.tag.POS in RU_FUNCTION_POS:
        return None
    lemma = parse.normal_form.replace("ё", "е")
    return None if lemma in RU_STOP_LEMMAS else lemma


def _english(text: str) -> list[str]:
    return [_singular(w) for w in _EN_WORD.findall(text.lower()) if w not in EN_STOP_WORDS]


def _russian(text: str) -> list[str]:
    lower = text.lower()
    out = [lemma for w in _RU_WORD.findall(lower) if (lemma := russian_lemma(w))]
    return out + [w for w in _LATIN_WORD.findall(lower) if w not in EN_STOP_WORDS]


def chinese_bigrams(text: str) -> list[str]:
    """Return the character bigrams of each Han run (a lone character as itself).

    Example:
        >>> chinese_bigrams("网速很快，App好用")
        ['网速', '速很', '很快', 'app', '好用']
    """
    out: list[str] = []
    pos = 0
    lower = text.lower()
    for m in _HAN_RUN.finditer(lower):
        out += _LATIN_WORD.findall(lower[pos : m.start()])
        run = m.group()
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        pos = m.end()
    return out + _LATIN_WORD.findall(lower[pos:])


def tokens(text: str, language: str) -> list[str]:
    """Return the theme tokens of one cleaned text in ``language`` (ISO 639-1).

    Example:
        >>> tokens("The outages keep dropping my calls", "en")
        ['outage', 'dropping', 'call']
        >>> tokens("Счета приходят неправильные", "ru")
        ['счет', 'приходить', 'неправильный']
    """
    if not isinstance(language, str) or not language:
        raise ArgumentError(f"language must be an ISO 639-1 code such as 'en', not {language!r}")
    if language == "en":
        return _english(text)
    if language == "ru":
        return _russian(text)
    if language in ("zh", "ja"):
        return chinese_bigrams(text)
    return [w for w in _ANY_WORD.findall(text.lower()) if len(w) > 1]


def analyzer(language: str) -> Any:
    """Return a scikit-learn ``analyzer`` callable: tokens plus adjacent token pairs.

    Pairs ("far expensive", "charged twice") make labels readable and topics sharper.

    Example:
        >>> analyzer("en")("charged twice")
        ['charged', 'twice', 'charged twice']
    """

    def analyse(text: str) -> list[str]:
        units = tokens(text, language)
        if language in ("zh", "ja"):  # bigrams already span two characters
            return units
        return units + [f"{a} {b}" for a, b in itertools.pairwise(units)]

    return analyse


# --------------------------------------------------------------------------------------
# words with their place in the text: theme labels and negation

#: Words that negate the content word right after them (one or two words before it).
NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset(
        {"no", "not", "never", "without", "nothing", "none", "nor", "cannot", "hardly", "zero"}
    ),
    "ru": frozenset({"не", "нет", "ни", "без", "никогда", "нельзя", "ноль"}),
    "zh": frozenset(
        {
            "不",
            "没",
            "没有",
            "无",
            "从不",
            "从没",
            "从来不",
            "从来没有",
            "未",
            "别",
            "毫无",
            "并不",
            "不是",
        }
    ),
}
#: Chinese words that carry no topic: particles, pronouns, adverbs of degree, connectives.
ZH_STOP_WORDS: frozenset[str] = frozenset(
    {
        "的",
        "了",
        "很",
        "也",
        "都",
        "就",
        "在",
        "是",
        "和",
        "与",
        "及",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "这",
        "那",
        "有",
        "被",
        "把",
        "给",
        "得",
        "地",
        "着",
        "过",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "又",
        "还",
        "才",
        "再",
        "太",
        "更",
        "最",
        "好多",
        "非常",
        "真的",
        "真是",
        "什么",
        "因为",
        "所以",
        "但是",
        "不过",
        "就是",
        "还是",
        "已经",
        "可以",
        "这个",
        "那个",
        "我们",
        "你们",
        "他们",
        "一个",
        "一直",
        "一下",
        "一点",
        "有点",
        "特别",
        "比较",
        "感觉",
        "觉得",
        "而且",
        "然后",
        "如果",
        "虽然",
        "可是",
        "还有",
        "这么",
        "那么",
        "这样",
        "那样",
        "怎么",
        "为什么",
        "哦",
        "嗯",
        "呵呵",
        "哈哈",
        "么",
        "之",
        "其",
        "以",
        "于",
        "为",
        "对",
        "从",
        "向",
        "让",
        "使",
        "要",
        "会",
        "能",
        "挺",
        "蛮",
        "超",
        "真",
        "都是",
        "也是",
        "只是",
        "总体",
        "整体",
        "总之",
        "到",
        "去",
        "来",
        "看",
        "想",
        "说",
        "做",
        "用",
        "中",
        "人",
        "上",
        "下",
        "里",
        "个",
        "次",
        "后",
        "前",
        "多",
        "少",
        "些",
        "自己",
        "大家",
        "时候",
        "东西",
        "意思",
        "知道",
        "一本",
        "本书",
        "而",
        "但",
        "比",
        "这些",
        "有些",
    }
)
_WORD_SPAN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)  # its "building prefix dict" lines are noise here
    jieba.initialize()
    return jieba


def chinese_words(text: str) -> list[tuple[int, int, str]]:
    """Return jieba's words of ``text`` with their start and end offsets (punctuation out).

    Example:
        >>> [w for _, _, w in chinese_words("网络很稳定，从不掉线。")]
        ['网络', '很', '稳定', '从不', '掉线']
    """
    return [
        (start, end, word)
        for word, start, end in _jieba().tokenize(text)
        if _ANY_WORD.search(word) or _HAN_RUN.search(word)
    ]


def is_chinese_word(word: str) -> bool:
    """Return True when ``word`` is in jieba's dictionary (or is a single Han character).

    Example:
        >>> is_chinese_word("掉线"), is_chinese_word("道不")
        (True, False)
    """
    freq = _jieba().dt.FREQ
    return bool(freq.get(word)) or (len(word) == 1 and bool(_HAN_RUN.fullmatch(word)))


def _key(surface: str, language: str) -> str | None:
    """Return the unit a surface word counts as (None for a word without a topic)."""
    low = surface.lower()
    if is_negator(low, language):
        return None
    if language == "en":
        return _english_key(low)
    if language == "ru":
        if _RU_WORD.fullmatch(low):
            lemma = russian_lemma(low)  # a one-letter lemma is an abbreviation ("г." for year)
            return lemma if lemma is not None and len(lemma) > 1 else None
        return None if low in EN_STOP_WORDS or len(low) < 2 else low
    if language in ("zh", "ja"):
        if (
            low in ZH_STOP_WORDS
            or low in NEGATORS["zh"]
            or not (_HAN_RUN.search(low) or len(low) > 1)
        ):
            return None
        return low
    return low if len(low) > 1 else None


#: The typographic apostrophe, read as "'" ("don\u2019t" is "don't").
APOSTROPHE = "\u2019"
#: What follows the apostrophe of an English contraction ("what's", "you're", "i've", "we'll").
EN_CLITICS: frozenset[str] = frozenset({"s", "re", "ve", "ll", "d", "m"})


def _english_key(low: str) -> str | None:
    """Return the unit a lower-case English word counts as; None for a word without a topic.

    A contraction counts as its host word: "what's", "you're", "let's" name no topic (their
    host is a stop word; the airline tweets' largest theme was labelled "What's, way"), and a
    possessive counts with its noun ("airline's" as "airline").
    """
    host, _, clitic = low.replace(APOSTROPHE, "'").partition("'")
    if clitic in EN_CLITICS:
        # "what's", "you're": the host is a stop word; "let's" (let us) suggests, names nothing
        if host in EN_LABEL_STOP_WORDS or host == "let":
            return None
        low = host  # a possessive counts with its noun
    return None if low in EN_LABEL_STOP_WORDS or len(low) < 2 else _singular(low)


def is_negator(surface: str, language: str) -> bool:
    """Return True when the word ``surface`` negates what follows it in ``language``.

    Example:
        >>> is_negator("don't", "en"), is_negator("без", "ru"), is_negator("网络", "zh")
        (True, True, False)
    """
    low = surface.lower().replace(APOSTROPHE, "'")
    return low in NEGATORS.get(language, frozenset()) or (language == "en" and low.endswith("n't"))


def word_spans(text: str, language: str) -> list[tuple[int, int, str | None, bool]]:
    """Return every word of ``text`` as ``(start, end, key, negated)``.

    ``key`` is the unit themes count (English singular, Russian lemma, Chinese jieba word;
    None for a function or stop word); ``negated`` is True when one of the two words before
    it, in the same clause and with no content word between, is a negator ("no", "never",
    "не", "без", "没有", "从不"...).

    Example:
        >>> [(k, n) for _, _, k, n in word_spans("No outages at all", "en")]
        [(None, False), ('outage', True), (None, False), (None, False)]
    """
    if language in ("zh", "ja"):
        words = chinese_words(text)
    else:
        words = [(m.start(), m.end(), m.group()) for m in _WORD_SPAN.finditer(text)]
    out: list[tuple[int, int, str | None, bool]] = []
    for i, (start, end, word) in enumerate(words):
        negated = False
        for j in (i - 1, i - 2):
            if j < 0:
                break
            between = text[words[j][1] : start]
            if re.search(r"[,;:，；：、]", between):
                break  # another clause
            if is_negator(words[j][2], language):
                negated = True
                break
            if out[j][2] is not None:
                break  # a content word between: the negator is not about this word
        out.append((start, end, _key(word, language), negated))
    return out
