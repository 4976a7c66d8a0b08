"""Misspelt negated problems ("No ouages at all"): which typos are read, and which words never."""

import numpy as np
import pandas as pd
import pytest

from cxlens.text.sentiment_model import (
    CLASSES,
    classify,
    lookalikes,
    negated_problem_pattern,
    negated_problems,
    one_edit_apart,
    typo_of,
    without_negated_problems,
)
from cxlens.text.training.lookalikes import dictionary_lookalikes, frequent_lookalikes
from cxlens.text.training.negation_typos import newly_matched, shipped_reading

DEMO = "Excellent experience, thank you! No ouages at all."


@pytest.mark.parametrize(
    ("text", "language", "phrases"),
    [
        (DEMO, "en", ["No ouages at all"]),  # a letter left out
        ("Never had a single porblem", "en", ["Never had a single porblem"]),  # two swapped
        ("I haven't had any isssues so far", "en", ["haven't had any isssues so far"]),  # added
        ("Zero complaimts. Calls never droppd!", "en", ["Zero complaimts", "never droppd"]),
        ("Никаких проблм, всё стабильно.", "ru", ["Никаких проблм"]),  # a letter left out
        ("К производителю притензий нет.", "ru", ["притензий нет"]),  # е -> и
        ("Ни одного сбоя и ни одной ошбки", "ru", ["Ни одного сбоя", "ни одной ошбки"]),
    ],
)
def test_a_problem_word_misspelt_by_one_edit_is_read_as_the_word(text, language, phrases):
    assert [m.group() for m in negated_problems(text, language)] == phrases
    # the code before typo tolerance missed each misspelt phrase
    before = [m.group() for m in negated_problem_pattern(language).finditer(text)]
    assert before != phrases


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No outrage at all", "en"),  # outage + r: a real word
        ("No tissues left in the bathroom", "en"),  # issues + t
        ("No props to the crew", "en"),  # drops -> props
        ("Never issued a refund", "en"),  # the verb, also a real word
        ("No faulty parts", "en"),
        ("No decay", "en"),  # delay -> decay
        ("No bgus at all", "en"),  # "bug" is too short to read its typos
        ("They didn't isue a refund", "en"),  # a misspelt "issue" before an object: the verb
        ("Никаких босяков", "ru"),  # косяков -> босяков
        ("Не было костяка", "ru"),
        ("从来没有调线。", "zh"),  # a wrong character: Chinese typos are not read
    ],
)
def test_a_real_word_a_short_word_or_a_verb_is_not_read_as_a_typo(text, language):
    assert list(negated_problems(text, language)) == []


@pytest.mark.parametrize(
    ("a", "b", "apart"),
    [
        ("ouages", "outages", True),  # left out
        ("outtages", "outages", True),  # added
        ("oitages", "outages", True),  # changed
        ("outgaes", "outages", True),  # swapped neighbours
        ("outages", "outages", False),  # no edit
        ("otuagse", "outages", False),  # two swaps
        ("outa", "outages", False),
        ("ougates", "outages", False),  # a swap of letters two apart
    ],
)
def test_one_edit_by_hand(a, b, apart):
    assert one_edit_apart(a, b) is apart
    assert one_edit_apart(b, a) is apart


def test_typo_of_names_the_form_and_refuses_words_and_short_forms():
    assert typo_of("Ouages", "en") == "outages"
    assert typo_of("проблм", "ru") == "проблем"
    assert typo_of("outrage", "en") is None  # a dictionary word
    assert typo_of("issues", "en") is None  # the word itself
    assert typo_of("bgu", "en") is None  # from a form under 5 letters
    assert typo_of("问题", "zh") is None


@pytest.mark.parametrize("mode", ["fast", "cascade", "accurate"])
def test_the_demo_sentence_reads_as_its_correct_spelling_not_as_a_complaint(mode):
    # the theme "No outages" scores its member sentences: this one was its negative quote
    # (the code before read it negative at 0.996 with the fast head)
    probs, _ = classify(["No ouages at all.", "No outages at all.", DEMO], mode=mode, language="en")
    assert np.array_equal(probs[0], probs[1])
    labels = [CLASSES[int(p.argmax())] for p in probs]
    assert "negative" not in labels
    assert (probs[:, 2] - probs[:, 0] > -0.25).all()


def test_texts_without_a_misspelt_problem_read_exactly_as_before():
    texts = {
        "en": ["No outages at all.", "They did not fix the problem.", "Not great", DEMO[:33]],
        "ru": ["Никаких сбоев, всё стабильно.", "Проблему так и не решили", "Не очень"],
        "zh": ["从来没有掉线。", "问题没有解决"],
    }
    for language, group in texts.items():
        now = [without_negated_problems(t, language) for t in group]
        assert now == [shipped_reading(t, language) for t in group]
        assert not newly_matched(pd.Series(group), language).any()


def test_the_shipped_lookalikes_hold_every_dictionary_word_one_edit_from_a_form():
    for language in ("en", "ru"):
        assert dictionary_lookalikes(language) <= lookalikes(language)
    assert {"outrage", "tissue", "decay"} <= lookalikes("en")


def test_a_word_frequent_in_the_training_texts_is_a_lookalike_a_rare_one_a_typo():
    texts = ["No outgae today", "outgae again", "OUTGAE!!", "no ouages"]
    assert frequent_lookalikes(texts, "en") == {"outgae"}
