"""Where a theme sentence sits in its quote, checked by hand on the demo's own case.

The demo's theme "App" quoted "Decent overall. The app is esy to use. But the bill keeps
going up." whole; the theme sentence is the second one (read negative), not the bill.
"""

from __future__ import annotations

from cxlens.text.quote import cut_around, quote_parts, sentence_excerpt

APP = "Decent overall. The app is esy to use. But the bill keeps going up."
THEME_SENTENCE = "The app is esy to use."


def test_the_theme_sentence_is_found_in_its_quote_and_nothing_is_guessed_without_it():
    assert quote_parts(APP, THEME_SENTENCE) == (
        "Decent overall. ",
        "The app is esy to use.",
        " But the bill keeps going up.",
    )
    # no sentence saved (old workspaces), or one not in the quote: the quote unmarked
    for unknown in (None, float("nan"), "", "The app crashes daily."):
        assert quote_parts(APP, unknown) == (APP, "", "")


def test_the_summary_quotes_the_theme_sentence_not_the_bill():
    assert sentence_excerpt(APP, THEME_SENTENCE) == "… The app is esy to use. …"
    assert sentence_excerpt("The app is slow. Fine otherwise.", "The app is slow.") == (
        "The app is slow. …"
    )
    # the sentence alone says too little (one word): the comment around it
    assert sentence_excerpt("Awful. The app crashes.", "Awful.") == "Awful. The app crashes."
    # Chinese, written without spaces: "the evening speed is terribly slow" says enough
    assert sentence_excerpt("体验糟糕透了。晚上网速慢得要命。", "晚上网速慢得要命。") == (
        "… 晚上网速慢得要命。"
    )
    assert sentence_excerpt("网速很快。差。", "差。") == "网速很快。差。"
    assert sentence_excerpt(APP, None) == APP


def test_a_long_quote_is_cut_around_its_theme_sentence():
    text = "Fine. " * 10 + "Bill too high."  # 74 characters, the sentence at 60-74
    # by hand: the last 26 characters ("Fine. Fine. Bill too high.") after "… "
    assert cut_around(text, "Bill too high.", 30) == "… Fine. Fine. Bill too high."
    # the sentence inside the first 29 characters: cut at the end as before
    after = "Bill too high. " + "Fine. " * 10
    assert cut_around(after, "Bill too high.", 30) == "Bill too high. Fine. Fine. Fi…"
    # in the middle: "…" on both sides, 30 characters in all
    middle = "Fine. " * 10 + "Bill too high. " + "Fine. " * 10
    assert cut_around(middle, "Bill too high.", 30) == "… Fine. Fine. Bill too high. …"
    assert cut_around("Short one.", "Short one.", 30) == "Short one."


def test_a_sentence_read_without_the_comments_noise_is_found_as_written():
    # real airline tweets and Russian telecom tweets (tests/fixtures/real/text): the theme
    # sentence is read with @handles and hashtags left out, the quote shows them
    tweet = "@SouthwestAir Great #BlackHistoryMonth commercial! Thx! #ATL #singer"
    assert quote_parts(tweet, "Great commercial!") == (
        "@SouthwestAir ",
        "Great #BlackHistoryMonth commercial!",
        " Thx! #ATL #singer",
    )
    ru = "RT @user: Сегодня 10 лет в компании МТС. Ау, @user хоть смайлик пришли что ли"
    assert quote_parts(ru, "Ау, хоть смайлик пришли что ли")[1] == (
        "Ау, @user хоть смайлик пришли что ли"
    )
    # spaces folded (a Chinese review): the same words, the comment's spacing
    zh = "速度快 前一天下单  第二天就拿到货了  帮朋友订的  目前都还好"
    assert quote_parts(zh, "速度快 前一天下单 第二天就拿到货了 帮朋友订的 目前都还好")[1] == zh
    # its words scattered far apart are not the sentence: nothing marked
    scattered = "Great flight. " + "x" * 200 + " Worst commercial ever."
    assert quote_parts(scattered, "Great commercial!") == (scattered, "", "")


def test_erasure_finds_a_long_comment_in_the_quote_themes_cut_from_it():
    from cxlens.text.redact import quote_match, redact
    from cxlens.text.themes import QUOTE_CHARS

    comment = "Call Anna on +44 20 7946 0018. " + "Fine so far. " * 30 + "The bill doubled again."
    # as themes quote it: cut around its theme sentence, then redacted
    shown = redact([cut_around(comment, "The bill doubled again.", QUOTE_CHARS)])[0]
    start = redact([comment[: QUOTE_CHARS + 40]])[0][: QUOTE_CHARS - 1] + "…"
    assert shown.startswith("… ") and "The bill doubled again." in shown
    theirs = quote_match([comment])
    assert theirs(shown) and theirs(start) and theirs(redact([comment])[0])
    # another customer's quote, whole or cut, is not theirs, even if it is a part of theirs
    assert not theirs("Fine so far.") and not theirs("… The bill doubled again. Ouch …")
