from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import ArgumentError
from cxlens.text import clean, detect_language, sentiment
from cxlens.text.clean import MAX_CHARS

REAL = Path(__file__).parents[1] / "fixtures" / "real"


def test_every_bad_input_gets_its_status_in_order():
    texts = ["fine", "", "   ", None, float("nan"), "🙂🙂!!", b"caf\xe9 ok", "a" * (MAX_CHARS + 1)]
    got = clean(texts)
    assert [c.status for c in got] == [
        *("ok", "empty", "empty", "empty", "empty", "no_letters", "invalid_utf8", "truncated"),
    ]
    assert got[6].text == "caf\ufffd ok"
    assert len(got[7].text) == MAX_CHARS


def test_lone_surrogates_count_as_invalid_utf8():
    text = b"ok \xff\xfe".decode("utf-8", errors="surrogateescape")
    assert clean([text])[0].status == "invalid_utf8"


def test_clean_rejects_a_bare_string_and_non_text():
    with pytest.raises(ArgumentError, match="list of texts"):
        clean("just one")
    with pytest.raises(ArgumentError, match="str or bytes"):
        clean([12])


def test_languages_by_script_and_langid():
    texts = [
        "The app keeps crashing when I pay my bill",
        "Интернет не работает третий день",
        "快递很快，包装也很好",
        "配送がとても早かったです",
        "Merci beaucoup pour votre aide rapide",
        "Дякую, все працює",
        "👍👍",
        "",
    ]
    got = detect_language(texts)
    assert got["language"].tolist() == ["en", "ru", "zh", "ja", "fr", "uk", "und", "und"]
    assert got["status"].tolist()[-2:] == ["no_letters", "empty"]
    assert not got["mixed"].any()


def test_mixed_texts_get_the_majority_language_and_the_flag():
    got = detect_language(
        ["Доставка быстрая и курьер вежливый, thanks a lot", "Купил новый iPhone", "好 ok"]
    )
    assert got["language"].tolist() == ["ru", "ru", "zh"]
    assert got["mixed"].tolist() == [True, True, True]


def test_short_latin_replies_default_to_english():
    assert detect_language(["bad", "refund pls"])["language"].tolist() == ["en", "en"]


def test_urls_handles_hashtags_rt_and_emoji_do_not_decide_the_language():
    # Shapes of real tweets (RuTweetCorp-style): the Latin letters are all in the noise.
    texts = [
        "RT @dasha_ivanova: @kolya_petrov сбербанк опять http://t.co/x8KqP2lLmN",
        "@mts_support_official #fail #mts_news связи нет https://t.co/AbCdEfGh12 😡😡",
        "RT @weibo_news_daily: 快递太慢 https://t.co/QwErTy1234 #jd_logistics",
        "@ozon_ru 👍👍 Thanks a lot, the parcel came early",
    ]
    got = detect_language(texts)
    assert got["language"].tolist() == ["ru", "ru", "zh", "en"]
    assert not got["mixed"].any()


def test_a_text_that_is_only_noise_falls_back_to_its_hashtags():
    # Nothing is left once the handle and URL are gone: the hashtag's word is the text.
    got = detect_language(["@user #сбербанк http://t.co/x8KqP2lLmN", "@user http://t.co/abc"])
    assert got["language"].tolist() == ["ru", "und"]


# --------------------------------------------------------------------------------------
# HTML markup in real exports


def _markup_rows() -> tuple[list[str], list[str]]:
    """The exported texts and, written by hand (or from the plain export), what they say."""
    raw = pd.read_csv(REAL / "text" / "markup_in_exports.csv")["text"].tolist()
    forms = pd.read_csv(REAL / "google_forms_autistica.csv").iloc[:, 2].dropna().astype(str)
    sensory = next(v for v in forms if v.startswith("I have sensory issues"))
    decoded = [
        "@VirginAmerica hi! i'm so excited about your $99 LGA->DAL deal- but i've been trying 2 "
        "book since last week & the page never loads. thx!",
        "@VirginAmerica I <3 pretty graphics. so much better than minimal iconography. :D",
        "@VirginAmerica help, left expensive headphones on flight 89 IAD to LAX today. Seat 2A. "
        "No one answering L&F number at LAX!",
        "RT @user: Ford Self-Driving R&D Car Tells Small Animal From Paper Bag At 200 Ft.",
        'RT @user: В США суд может арестовать $300 млн из-за коррупции "Вымпелком" и МТС на '
        "рынке связи Узбекистана",
        sensory.strip(),  # the same answer in the plain CSV export: a real line break
        forms.loc[31],  # "Asperger's", as the plain export has it
    ]
    return raw, decoded


def test_html_entities_and_tags_of_real_exports_are_decoded():
    raw, decoded = _markup_rows()
    got = clean(raw)
    assert [c.text for c in got] == decoded
    assert [c.status for c in got] == ["ok"] * len(raw)


def test_markup_is_decoded_before_scoring():
    raw, decoded = _markup_rows()
    pd.testing.assert_frame_equal(
        sentiment(raw, backend="fast"), sentiment(decoded, backend="fast")
    )


def test_markup_does_not_decide_the_language_or_the_status():
    texts = ["Всё ок&lt;br&gt;Спасибо&nbsp;!", "<p><br/></p>", "&amp;&quot;", "好<br>"]
    got = detect_language(texts)
    # 10 Latin letters of markup against 12 Cyrillic ones made the first text "mixed"
    assert got["language"].tolist() == ["ru", "und", "und", "zh"]
    assert got["mixed"].tolist() == [False, False, False, False]
    assert got["status"].tolist() == ["ok", "empty", "no_letters", "ok"]


def test_text_that_only_looks_like_markup_is_kept():
    texts = ["I <3 this & AT&T", "this&nothing &notanentity", "a < b > c", "<sigh> fine"]
    assert [c.text for c in clean(texts)] == texts
