"""The one sentence splitter (cxlens.text.tokenize.sentences) and its two rules, by hand."""

from cxlens.text.discover import split_sentences
from cxlens.text.sentiment_model import e5_windows
from cxlens.text.tokenize import SENTIMENT_SENTENCE_END, THEME_SENTENCE_END, sentences

TEXT = "Wifi slow; staff great!!! Rooms ok...\nBreakfast\n很好。价格贵"


def test_the_themes_cut_at_semicolons_and_line_breaks_and_keep_bare_punctuation_apart():
    assert sentences(TEXT) == sentences(TEXT, THEME_SENTENCE_END) == [
        "Wifi slow;", "staff great!", "!", "!", "Rooms ok.", ".", ".",
        "Breakfast", "很好。", "价格贵",
    ]  # fmt: skip


def test_the_sentiment_reading_cuts_at_sentence_ends_only_and_joins_bare_punctuation():
    assert sentences(TEXT, SENTIMENT_SENTENCE_END, join_bare=True) == [
        "Wifi slow; staff great!!!", "Rooms ok...", "Breakfast\n很好。", "价格贵",
    ]  # fmt: skip
    # a bare piece joins with the blanks it had
    got = sentences("Good! ! Next", SENTIMENT_SENTENCE_END, join_bare=True)
    assert got == ["Good! !", "Next"]
    # without join_bare each "!" is its own piece
    assert sentences("Good!! Next", SENTIMENT_SENTENCE_END) == ["Good!", "!", "Next"]


def test_blank_and_empty_texts_have_no_sentences():
    for end in (THEME_SENTENCE_END, SENTIMENT_SENTENCE_END):
        assert sentences("", end) == sentences("  \n ", end, join_bare=True) == []


def test_the_batch_splitter_and_the_windows_use_the_same_rules():
    got, owner = split_sentences(["A; b\nc", "D!"], keep_noise=True)
    assert got == ["A;", "b", "c", "D!"] and owner.tolist() == [0, 0, 0, 1]
    # the accurate head's windows cut at the sentiment ends only (not at ";"), blanks kept
    assert e5_windows("Aa; bb. Cc! Dd", chars=8, most=3) == ["Aa; bb.", "Cc! Dd"]
