import pytest

from cxlens.errors import ArgumentError
from cxlens.text import clean, detect_language
from cxlens.text.clean import MAX_CHARS


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
