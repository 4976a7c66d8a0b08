"""The training recipe's rules: splits, caps, leakage removal, parsing, figures."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import f1_score

from cxlens.text import sentiment_model
from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import CLASSES, e5_windows
from cxlens.text.training import train
from cxlens.text.training.choices import best, cascade_choice, mean_figures
from cxlens.text.training.evaluate import figures, macro_f1, sign_accuracy
from cxlens.text.training.folds import all_fold_ids, fold_ids, own_fast_out_of_fold
from cxlens.text.training.long_texts import length_aware, long_choice, long_rows, nested_long
from cxlens.text.training.paired import paired_change, paired_probabilities_change, set_figures
from cxlens.text.training.sets import (
    _tweet_rows,
    load_sets,
    russian_general_tweets,
    russian_tweets_2016,
    seeded_split,
    weibo_posts,
    without_test_texts,
)
from cxlens.text.training.train import capped, fast_sample_weights, fit_fast_head

TWEETS = """<?xml version="1.0" encoding="utf-8"?>
<pma_xml_export><database name="x">
<table name="t"><column name="id">1</column><column name="twitid">1</column>
<column name="date">1</column><column name="text">Сбербанк опять завис</column>
<column name="sberbank">-1</column><column name="vtb">NULL</column></table>
<table name="t"><column name="id">2</column><column name="twitid">2</column>
<column name="date">1</column><column name="text">ВТБ лучше Сбера</column>
<column name="sberbank">-1</column><column name="vtb">1</column></table>
<table name="t"><column name="id">3</column><column name="twitid">3</column>
<column name="date">1</column><column name="text">Курс в ВТБ</column>
<column name="sberbank">NULL</column><column name="vtb">0</column></table>
</database></pma_xml_export>"""


def test_tweets_rating_companies_differently_are_left_out(tmp_path):
    path = tmp_path / "train.xml"
    path.write_text(TWEETS, encoding="utf-8")
    assert _tweet_rows(path) == [("Сбербанк опять завис", "negative"), ("Курс в ВТБ", "neutral")]


def test_the_seeded_split_is_fixed_and_a_quarter():
    first, again = seeded_split(1000), seeded_split(1000)
    assert (first == again).all() and (first == "test").sum() == 250


def test_training_rows_seen_in_any_test_split_are_dropped():
    frame = pd.DataFrame(
        {"text": ["a", "b", "a", "c"], "split": ["train", "train", "test", "test"]}
    )
    assert without_test_texts(frame)["text"].tolist() == ["b", "a", "c"]


def test_a_retweet_of_a_test_tweet_is_dropped_from_training():
    frame = pd.DataFrame(
        {
            "text": [
                "RT @sber: Сбербанк опять завис!!! http://t.co/abc",  # the test tweet, retweeted
                "Сбербанк опять завис, второй день",  # a different text
                "Сбербанк опять завис",
            ],
            "split": ["train", "train", "test"],
        }
    )
    assert without_test_texts(frame)["text"].tolist() == [
        "Сбербанк опять завис, второй день",
        "Сбербанк опять завис",
    ]


def test_the_2016_tweets_are_training_rows_only(tmp_path):
    folder = tmp_path / "ru" / "SentiRuEval-2016"
    folder.mkdir(parents=True)
    (folder / "tkk_test_etalon.xml").write_text(TWEETS, encoding="utf-8")
    got = russian_tweets_2016(tmp_path, "ru_telecom_tweets_2016", "tkk_test_etalon.xml")
    assert got["text"].tolist() == ["Сбербанк опять завис", "Курс в ВТБ"]
    assert (got["split"] == "train").all() and (got["language"] == "ru").all()


def test_the_cap_is_shared_evenly_and_small_sets_give_their_rest():
    frame = pd.DataFrame({"set": ["big"] * 10 + ["small"] * 2, "text": range(12)})
    got = capped(frame, 6)
    assert got["set"].value_counts().to_dict() == {"big": 4, "small": 2}
    assert capped(frame, 6).equals(got)


def test_figures_by_hand_and_against_scikit_learn():
    truth = np.array(["positive", "negative", "neutral", "negative"], dtype=object)
    labels = np.array(["positive", "neutral", "neutral", "negative"], dtype=object)
    scores = np.array([0.5, 0.0, 0.1, -0.4])
    got = figures(truth, labels, scores)
    assert got["accuracy"] == 0.75
    assert got["sign"] == pytest.approx(2 / 3)  # the 0 score is wrong
    assert got["macro_f1"] == pytest.approx(f1_score(truth, labels, average="macro"))
    rng = np.random.default_rng(0)
    t, p = rng.choice(["a", "b", "c"], 200), rng.choice(["a", "b", "c"], 200)
    assert macro_f1(t, p) == pytest.approx(f1_score(t, p, average="macro"))
    assert np.isnan(sign_accuracy(np.array(["neutral"]), np.array([0.2])))


def test_noise_normalised_for_scoring_keeps_emoji_and_hashtag_words():
    got = normalise_noise("RT @Beeline_RU: опять нет связи http://t.co/x8 #беда_полная 😡")
    assert got == "@user: опять нет связи беда полная 😡"


def test_a_missing_set_names_its_file_and_source(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"waimai_10k\.csv.*SophonPlus"):
        load_sets(tmp_path, ("zh_waimai",))


def test_rusentitweet_keeps_its_split_and_leaves_out_speech_acts_and_skips(tmp_path):
    folder = tmp_path / "ru" / "RuSentiTweet"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "text": ["Ужасный день", "Спасибо всем!", "бэк дор", "Еду домой", "Лучший мем"],
            "label": ["negative", "speech", "skip", "neutral", "positive"],
            "id": [1, 2, 3, 4, 5],
        }
    ).to_csv(folder / "rusentitweet_train.csv", index=False)
    pd.DataFrame({"text": ["Как мило 🥰"], "label": ["positive"], "id": [6]}).to_csv(
        folder / "rusentitweet_test.csv", index=False
    )
    got = russian_general_tweets(tmp_path)
    assert got["text"].tolist() == ["Ужасный день", "Еду домой", "Лучший мем", "Как мило 🥰"]
    assert got["label"].tolist() == ["negative", "neutral", "positive", "positive"]
    assert got["split"].tolist() == ["train", "train", "train", "test"]
    assert set(got["kind"]) == {"social"} and set(got["language"]) == {"ru"}


def test_weibo_posts_map_one_to_positive_and_are_split_by_the_seed(tmp_path):
    (tmp_path / "zh").mkdir()
    posts = [f"第{i}条微博[哈哈]" if i % 2 else f"第{i}条微博[泪]" for i in range(8)]
    pd.DataFrame({"label": [i % 2 for i in range(8)], "review": posts}).to_csv(
        tmp_path / "zh" / "weibo_senti_100k_sample.csv", index=False
    )
    got = weibo_posts(tmp_path)
    assert got["label"].tolist() == ["negative", "positive"] * 4
    assert (got["split"] == seeded_split(8)).all()
    assert set(got["kind"]) == {"social"} and set(got["set"]) == {"zh_weibo"}


def test_folds_hold_every_set_and_class_and_leave_other_languages_out():
    rows = pd.DataFrame(
        {
            "language": ["ru"] * 20 + ["en"] * 3,
            "set": (["a"] * 10 + ["b"] * 10) + ["c"] * 3,
            "label": (["neutral"] * 5 + ["positive"] * 5) * 2 + ["negative"] * 3,
        }
    )
    fold = fold_ids(rows, "ru", folds=5)
    assert fold[20:].tolist() == [-1, -1, -1]
    ru = rows.iloc[:20].assign(fold=fold[:20])
    # 5 rows per (set, label) stratum: one of each in every fold
    assert (ru.groupby(["fold", "set", "label"]).size() == 1).all()
    assert ru.groupby("fold").size().tolist() == [4] * 5


def test_the_chosen_shift_is_the_best_at_the_shared_weight_and_the_smaller_on_a_tie():
    table = pd.DataFrame(
        {
            "weight": [0.5, 0.5, 0.5, 0.7, 0.5],
            "shift": [0.0, -1.0, -2.0, -1.0, -1.0],
            "method": ["cascade", "cascade", "cascade", "cascade", "accurate"],
            "macro_f1": [0.60, 0.7102, 0.7098, 0.90, 0.95],
            "sign": [0.9, 0.9, 0.9, 0.9, 0.9],
        }
    )
    # 0.7 is another weight and "accurate" another method; -1.0 and -2.0 tie at 0.710
    assert best(table, weight=0.5)["shift"] == -1.0


def test_classes_balanced_within_a_language_keep_its_weight_and_leave_the_others_alone():
    from sklearn.utils.class_weight import compute_class_weight

    rows = pd.DataFrame(
        {
            "language": ["ru"] * 6 + ["zh"] * 4,
            "label": ["neutral"] * 4 + ["positive", "negative"] + ["positive"] * 3 + ["negative"],
        }
    )
    labels = rows["label"].to_numpy()
    classes = np.unique(labels)
    weights = compute_class_weight("balanced", classes=classes, y=labels)
    overall = dict(zip(classes, weights, strict=True))
    class_weight = rows["label"].map(overall).to_numpy()  # what SGD's class_weight gives
    assert (fast_sample_weights(rows, ()) == 1).all()  # the plain recipe
    weights = fast_sample_weights(rows, ("ru",))
    effective = pd.Series(weights * class_weight).groupby([rows["language"], rows["label"]]).sum()
    ru = class_weight[:6].sum()  # Russian's total weight before: kept
    assert effective["ru"].to_dict() == pytest.approx({c: ru / 3 for c in effective["ru"].index})
    assert (weights[6:] == 1).all()


def test_folds_of_all_languages_are_each_languages_own_folds():
    rows = pd.DataFrame(
        {
            "language": ["ru"] * 10 + ["en"] * 10 + ["fr"],
            "set": ["a"] * 10 + ["b"] * 10 + ["c"],
            "label": ["neutral", "positive"] * 10 + ["negative"],
        }
    )
    fold = all_fold_ids(rows, ("en", "ru"))
    assert fold[:10].tolist() == fold_ids(rows, "ru")[:10].tolist()
    assert fold[10:20].tolist() == fold_ids(rows, "en")[10:20].tolist()
    assert fold[20] == -1 and sorted(set(fold[:20])) == [0, 1, 2, 3, 4]


def test_a_long_text_is_read_in_sentence_windows_a_short_one_whole():
    sentence = "Официант был груб, а суп холодный. "  # 35 characters
    text = (sentence * 30).strip()  # 1,049 characters
    windows = e5_windows(text, most=10)
    assert [len(w) for w in windows] == [384, 384, 279]  # 11 sentences fit in 400, 11, 8
    assert " ".join(windows) == text
    assert e5_windows(text, most=2) == windows[:2]
    assert e5_windows(text, most=1) == [text]  # the head reads its first 400 characters
    assert e5_windows("  коротко  ", most=10) == ["коротко"]
    assert e5_windows("字" * 900, most=10) == ["字" * 400, "字" * 400, "字" * 100]


def test_the_fast_head_is_the_same_whatever_its_threads():
    rows = pd.DataFrame(
        {
            "language": ["ru"] * 6 + ["en"] * 6,
            "text": [
                *("ужасно", "плохо", "нормально", "обычно", "отлично", "прекрасно"),
                *("awful", "bad", "fine", "okay", "great", "lovely"),
            ],
            "label": ["negative"] * 2 + ["neutral"] * 2 + ["positive"] * 2
            + ["negative", "neutral", "positive"] * 2,
        }
    )  # fmt: skip
    one = fit_fast_head(rows, within=("ru",), n_jobs=1)
    two = fit_fast_head(rows, within=("ru",), n_jobs=2)
    assert np.array_equal(one.coef_, two.coef_)
    assert np.array_equal(one.intercept_, two.intercept_)


def test_a_languages_weight_and_shift_are_chosen_together_and_ties_go_to_the_even_blend():
    table = pd.DataFrame(
        {
            "weight": [0.3, 0.5, 0.7, 0.4, 0.6],
            "shift": [0.0, 0.0, 0.0, -1.0, 0.0],
            "method": ["cascade"] * 5,
            "macro_f1": [np.nan] * 5,  # a language without neutral sets: sign decides
            "sign": [0.9304, 0.9301, 0.9299, 0.95, 0.9],
        }
    )
    assert best(table[table["shift"] == 0])["weight"] == 0.5  # 0.930 three times: the even one
    assert best(table)[["weight", "shift"]].tolist() == [0.4, -1.0]
    assert best(table, weight=0.3)["weight"] == 0.3


def test_the_blend_weight_is_the_languages_own_by_default():
    fast = np.array([[0.7, 0.1, 0.2]])
    e5 = np.array([[0.1, 0.5, 0.4]])
    for language, weight in sentiment_model.FAST_WEIGHTS.items():
        # polarity by hand: P(pos | opinion) 2/9 and 0.8, weighted
        want = weight * 2 / 9 + (1 - weight) * 0.8
        got = sentiment_model.combine(fast, e5, language)
        assert got[0, 2] / (got[0, 0] + got[0, 2]) == pytest.approx(want)
    assert sentiment_model.combine(fast, e5, "fr")[0].tolist() == pytest.approx(
        sentiment_model.combine(fast, e5, "fr", sentiment_model.FAST_WEIGHT)[0].tolist()
    )


def test_coded_figures_match_scikit_learn_and_sign_by_hand():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 300)
    label = np.where(rng.random(300) < 0.7, truth, rng.integers(0, 3, 300))
    right = np.where(truth == 1, np.nan, (label == truth).astype(float))
    f1, sign = set_figures(truth, label, right)
    assert f1 == pytest.approx(f1_score(truth, label, average="macro"))
    polar = truth != 1
    assert sign == pytest.approx(np.mean(label[polar] == truth[polar]))


def oof_rows(fast_positive: list[float]) -> pd.DataFrame:
    """Out-of-fold rows of one Russian set whose e5 head is sure and right, 3 classes."""
    truth = ["negative", "neutral", "positive"] * 20
    rows = pd.DataFrame({"language": "ru", "set": "a", "text": [f"t{i}" for i in range(60)]})
    rows["label"] = truth
    onehot = np.array([[1.0 * (t == c) for c in CLASSES] for t in truth])
    for i, c in enumerate(CLASSES):
        rows[f"e5_{c}"] = 0.9 * onehot[:, i] + 0.1 / 3
    fast = np.array([[1 - p, 0.0, p] for p in fast_positive])
    for i, c in enumerate(CLASSES):
        rows[f"fast_{c}"] = 0.5 * fast[:, i] + 0.5 * onehot[:, i]
    return rows


def test_a_paired_change_of_a_recipe_against_itself_is_nil_and_a_gain_has_its_interval():
    rows = oof_rows([0.5] * 60)
    same = paired_change(rows, rows.copy(), "ru", draws=50)
    assert same == {"macro_f1": (0.0, 0.0, 0.0), "sign": (0.0, 0.0, 0.0)}
    # another recipe whose fast head is sure of every row's truth: never worse, so the whole
    # interval is at or above 0 and the change is the figures' own difference
    better = rows.copy()
    for c in CLASSES:
        better[f"fast_{c}"] = (better["label"] == c).astype(float)
    got = paired_change(rows, better, "ru", draws=50)
    _, base_probs, _ = cascade_choice(rows, "ru")
    _, better_probs, _ = cascade_choice(better, "ru")
    want = {
        k: mean_figures(better, better_probs)[k] - mean_figures(rows, base_probs)[k]
        for k in ("macro_f1", "sign")
    }
    assert {k: got[k][0] for k in want} == pytest.approx(want)
    assert got["macro_f1"][1] >= 0 and got["sign"][1] >= 0


def small_frame() -> pd.DataFrame:
    """Training and test rows of two languages, 3 classes, for the own heads' rows."""
    words = {"negative": "плохо ужасно", "neutral": "адрес офиса", "positive": "отлично спасибо"}
    english = {"negative": "awful bad", "neutral": "office address", "positive": "great thanks"}
    rows = [
        {"language": lang, "set": f"{lang}_{s}", "split": split, "label": label,
         "text": f"{text[label]} {lang}{s}{i}"}
        for lang, text in (("ru", words), ("en", english))
        for s in ("a", "b")
        for split, n in (("train", 5), ("test", 1))
        for label in CLASSES
        for i in range(n)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_a_languages_own_heads_learn_from_all_its_training_rows_only(monkeypatch):
    frame = small_frame()
    monkeypatch.setattr(train, "E5_CAPS", {"ru": 4, "en": 4})  # the shared head's caps
    own = train.own_fast_rows(frame, "ru")
    assert len(own) == 30 and set(own["language"]) == {"ru"} and set(own["split"]) == {"train"}
    alone = train.own_e5_rows(frame, "ru", others=False)
    assert alone.index.tolist() == own.index.tolist()  # every Russian training row, no cap
    mixed = train.own_e5_rows(frame, "ru")
    assert mixed["language"].value_counts().to_dict() == {"ru": 30, "en": 4}  # others capped


def test_the_own_fast_head_refits_on_its_languages_rows_outside_each_fold_only():
    frame = small_frame()
    rows = train.fast_training_rows(frame).reset_index(drop=True)
    from cxlens.text.training.folds import all_fold_ids

    base = rows[["language", "set", "text", "label"]].assign(fold=all_fold_ids(rows, ("en", "ru")))
    for c in CLASSES:
        base[f"fast_{c}"] = 1 / 3
    got = own_fast_out_of_fold(base, frame, "ru", n_jobs=1)
    english = (base["language"] == "en").to_numpy()
    assert np.array_equal(got[english].to_numpy(), base[english].to_numpy())  # untouched
    # by hand: fold 0's Russian rows scored by a head fitted on the other Russian rows only
    ru = base[~english]
    held = ru["fold"] == 0
    features = sentiment_model.fast_features([normalise_noise(t) for t in ru["text"]])
    model = fit_fast_head(ru[~held], features[~held.to_numpy()], ())
    coef = model.coef_.astype(np.float16).astype(np.float32)
    want = sentiment_model.softmax(
        np.asarray(features[held.to_numpy()] @ coef.T) + model.intercept_
    )
    assert np.allclose(got.loc[ru.index[held], [f"fast_{c}" for c in CLASSES]], want)
    with pytest.raises(ValueError, match="rows or folds differ"):
        own_fast_out_of_fold(base.assign(fold=(base["fold"] + 1) % 5), frame, "ru", n_jobs=1)


def test_the_own_accurate_head_refits_outside_each_fold_and_scores_only_the_base_rows(
    monkeypatch,
):
    from cxlens.text.training import folds

    frame = small_frame()
    rows = train.fast_training_rows(frame).reset_index(drop=True)
    base = rows[["language", "set", "text", "label"]].assign(
        fold=folds.all_fold_ids(rows, ("en", "ru"))
    )
    rng = np.random.default_rng(2)
    vector = {t: rng.normal(size=8) for t in frame["text"]}  # a fixed "embedding" per text
    monkeypatch.setattr(
        folds, "e5_cached", lambda texts, cache: np.stack([vector[t] for t in texts])
    )
    scored = ~base["text"].str.endswith(("0", "1"))  # rows the base recipe embedded
    for c in CLASSES:
        base[f"e5_{c}"] = np.where(scored, 1 / 3, np.nan)
    got = folds.own_e5_out_of_fold(base, frame, Path("unused"), "ru", others=False)
    english = (base["language"] == "en").to_numpy()
    columns = [f"e5_{c}" for c in CLASSES]
    assert got[english].equals(base[english])  # other languages untouched
    assert got.loc[~scored, columns].isna().all().all()  # not embedded by the base: still none
    # by hand: fold 2's scored Russian rows, from regressions fitted on the other Russian rows
    ru = base[~english]
    fit = ru[ru["fold"] != 2]
    models = train.fit_e5_models(fit, np.stack([vector[t] for t in fit["text"]]))
    held = ru[(ru["fold"] == 2) & scored[~english]]
    want = folds.e5_model_probabilities(models, np.stack([vector[t] for t in held["text"]]))
    assert len(held) and np.allclose(got.loc[held.index, columns].to_numpy(), want)


def long_and_short_rows(language: str = "ru", long_folds: tuple[int, ...] = (0, 1, 2, 3, 4)):
    """One set of 40 polar rows in 5 folds: 20 short ones the e5 head reads right and the fast
    head leans wrong on, and 20 over 400 characters (kept only in ``long_folds``) the other way.
    """
    labels = ["negative", "positive"] * 20
    is_long = np.arange(40) >= 20
    rows = pd.DataFrame({"language": language, "set": "a", "label": labels,
                         "fold": np.arange(40) % 5, "lexicon": 0.5})  # fmt: skip
    rows["text"] = [("x" * 401 if long else "short") + f" {i}" for i, long in enumerate(is_long)]
    positive = rows["label"].eq("positive").to_numpy()
    # the fast head: 0.6 on one polarity, 0.35 the other (unsure: the accurate path's); the e5
    # head: 0.9 (short rows, right) or 0.7 (long rows, wrong) on one polarity, never neutral
    fast_right = is_long
    fast_on_positive = np.where(positive == fast_right, 0.6, 0.35)
    e5_on_positive = np.where(is_long, np.where(positive, 0.3, 0.7), np.where(positive, 0.9, 0.1))
    rows["fast_negative"], rows["fast_neutral"] = 0.95 - fast_on_positive, 0.05
    rows["fast_positive"] = fast_on_positive
    rows["e5_negative"], rows["e5_neutral"] = 1 - e5_on_positive, 0.0
    rows["e5_positive"] = e5_on_positive
    keep = ~is_long | np.isin(rows["fold"], long_folds)
    return rows[keep].reset_index(drop=True)


SHORT = {"weight": 0.5, "shift": 0.0, "lexicon": 0.0}


def test_texts_over_the_e5_window_once_normalised_are_long():
    texts = ["short", "x" * 400, "x" * 401, "  " + "x" * 400 + "  ", "@someone " + "x" * 395]
    # "@someone" becomes "@user" (5 characters): 404 characters -> 401 once normalised
    assert [len(normalise_noise(t).strip()) for t in texts] == [5, 400, 401, 400, 401]
    assert long_rows(texts).tolist() == [False, False, True, False, True]


def test_the_long_rows_get_the_weight_that_reads_them_right_the_short_rows_keep_theirs():
    rows = long_and_short_rows()
    is_long = long_rows(rows["text"])
    # by hand, a long positive row's P(positive | opinion) at fast weight w is
    # w * 0.6 / 0.95 + (1 - w) * 0.3, above 0.5 from w = 0.602: 0.7 is the nearest to 0.5;
    # the lexicon (0.5 everywhere) moves no sign, so Russian keeps its short weight, 0
    chosen = long_choice(rows, "ru", SHORT, is_long)
    assert chosen == {"weight": 0.7, "lexicon": 0.0}
    assert long_choice(rows, "zh", SHORT, is_long) == {"weight": 0.7, "lexicon": 0.0}
    base = length_aware(rows, "ru", SHORT, None, is_long)
    aware = length_aware(rows, "ru", SHORT, chosen, is_long)
    assert np.array_equal(aware[~is_long], base[~is_long])  # short rows unchanged
    # short rows right (0.5 * 0.35 / 0.95 + 0.5 * 0.9 > 0.5), long rows wrong, then right
    assert mean_figures(rows, base)["sign"] == 0.5
    assert mean_figures(rows, aware)["sign"] == 1.0
    got = paired_probabilities_change(rows, base, aware, draws=50)
    assert got["sign"][0] == 0.5 and got["sign"][1] > 0
    assert np.isnan(got["macro_f1"][0])  # no neutral rows: no macro-F1


def test_a_folds_long_rows_are_scored_by_the_choice_of_the_other_folds_only():
    rows = long_and_short_rows(long_folds=(0,))  # only fold 0 holds long rows
    is_long = long_rows(rows["text"])
    assert long_choice(rows, "ru", SHORT, is_long)["weight"] == 0.7
    nested, choices = nested_long(rows, "ru", SHORT, is_long)
    # fold 0's choice saw no long row: a tie everywhere, so the short weight; the others saw
    # fold 0's long rows and chose 0.7, but hold none
    assert [c["weight"] for c in choices] == [0.5, 0.7, 0.7, 0.7, 0.7]
    base = length_aware(rows, "ru", SHORT, None, is_long)
    assert np.array_equal(nested, base)


def test_a_languages_own_polarity_refits_outside_each_fold_and_keeps_the_shared_neutral():
    words = {"negative": "太差了 退货", "positive": "很好 满意"}
    rows = [
        {"language": "zh", "set": f"zh_{s}", "split": "train", "label": label,
         "text": f"{words[label]} {s}{i}"}
        for s in ("a", "b") for label in words for i in range(5)
    ]  # fmt: skip
    frame = pd.concat([small_frame(), pd.DataFrame(rows)], ignore_index=True)
    fast_rows = train.fast_training_rows(frame).reset_index(drop=True)
    from cxlens.text.training.folds import all_fold_ids, own_polarity_out_of_fold

    base = fast_rows[["language", "set", "text", "label"]].assign(
        fold=all_fold_ids(fast_rows, ("en", "ru", "zh"))
    )
    base["fast_negative"], base["fast_neutral"], base["fast_positive"] = 0.5, 0.3, 0.2
    got = own_polarity_out_of_fold(base, frame, "zh", n_jobs=1)
    zh = (base["language"] == "zh").to_numpy()
    assert np.array_equal(got[~zh].to_numpy(), base[~zh].to_numpy())  # other languages untouched
    assert np.allclose(got.loc[zh, "fast_neutral"], 0.3)  # the shared head's P(neutral)
    # by hand: fold 0's Chinese rows' P(positive | opinion) from a 2-class head fitted on the
    # other Chinese rows only (scikit-learn's own probabilities; float16 weights as shipped)
    mine = base[zh]
    held = (mine["fold"] == 0).to_numpy()
    features = sentiment_model.fast_features([normalise_noise(t) for t in mine["text"]])
    model = fit_fast_head(mine[~held], features[~held], ())
    want = model.predict_proba(features[held])[:, 1]
    probs = got.loc[mine.index[held], ["fast_negative", "fast_neutral", "fast_positive"]]
    assert np.allclose(sentiment_model.polarity(probs.to_numpy()), want, atol=1e-3)
    # and it reads the words: every held-out row's polarity is on its label's side
    assert ((want > 0.5) == (mine["label"][held] == "positive").to_numpy()).all()


def test_the_test_rows_are_each_sets_test_split_capped_and_the_larger_cap_holds_the_smaller():
    frame = pd.DataFrame(
        {"set": ["a"] * 30 + ["b"] * 5, "split": (["test"] * 25 + ["train"] * 5) + ["test"] * 5,
         "text": [f"t{i}" for i in range(35)]}
    )  # fmt: skip
    small, large = train.test_rows(frame, 10), train.test_rows(frame, 20)
    assert small.groupby("set").size().to_dict() == {"a": 10, "b": 5}
    assert large.groupby("set").size().to_dict() == {"a": 20, "b": 5}
    assert (large["split"] == "test").all()
    # the seeded draw of 20 is the draw of 10 and 10 more: the larger measurement adds rows
    assert set(small["text"]) <= set(large["text"])
    assert train.TEST_CAP == 2000


def test_a_paired_difference_is_the_figures_difference_with_the_rows_paired_interval():
    from scipy.stats import bootstrap as scipy_bootstrap

    from cxlens.text.training.evaluate import paired_difference

    truth = np.array(["positive", "negative"] * 100, dtype=object)
    sure = np.where(truth == "positive", 1.0, -1.0)
    right = (truth, sure)
    wrong = sure.copy()
    wrong[:30] *= -1  # 30 of the 200 rows wrong
    got = paired_difference(truth, right, (truth, wrong))
    assert got["sign"][0] == pytest.approx(0.15)
    assert np.isnan(got["macro_f1"][0])  # no neutral class
    # on the rows' paired differences (1 where only the first is right) a percentile interval
    # of their mean is the paired interval of the accuracies' difference
    per_row = (np.sign(sure) == np.sign(wrong)).astype(float)
    want = scipy_bootstrap(
        (1 - per_row,), np.mean, n_resamples=4000, method="percentile", random_state=0
    ).confidence_interval
    assert got["sign"][1] == pytest.approx(want.low, abs=0.01)
    assert got["sign"][2] == pytest.approx(want.high, abs=0.01)
    assert paired_difference(truth, right, right)["sign"] == (0.0, 0.0, 0.0)


def test_the_macro_f1_difference_is_scikit_learns():
    from cxlens.text.training.evaluate import paired_difference

    rng = np.random.default_rng(3)
    truth = rng.choice(np.array(CLASSES, dtype=object), 300)
    first, second = rng.choice(np.array(CLASSES, dtype=object), (2, 300))
    score = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
    got = paired_difference(
        truth, (first, np.vectorize(score.get)(first)), (second, np.vectorize(score.get)(second))
    )
    want = f1_score(truth, first, average="macro") - f1_score(truth, second, average="macro")
    assert got["macro_f1"][0] == pytest.approx(want)
    assert got["macro_f1"][1] < want < got["macro_f1"][2]


def test_the_best_baseline_is_the_packaged_one_with_the_highest_figure():
    from cxlens.text.training.evaluate import best_baseline, versus_baseline

    truth = np.array(["positive", "negative", "neutral", "positive"], dtype=object)
    labels = np.array(["positive", "negative", "neutral", "positive"], dtype=object)

    def scored(*scores: float) -> tuple[np.ndarray, np.ndarray]:
        return labels, np.array(scores)

    results = {
        "lexicon": scored(1, 1, 0, -1),  # sign 1/3
        "vader": scored(1, -1, 0, -1),  # sign 2/3
        "majority": scored(1, -1, 0, 1),  # sign 1: not a packaged baseline
        "cascade": scored(1, -1, 0, 1),
    }
    assert best_baseline(truth, results, "sign") == "vader"
    # a tie goes to the earlier baseline: lexicon, vader, snownlp
    assert best_baseline(truth, results, "macro_f1") == "lexicon"
    assert best_baseline(truth, {"majority": results["majority"]}, "sign") is None
    table = versus_baseline({"s": (truth, results)})
    sign = table[table["figure"] == "sign"].iloc[0]
    assert (sign["baseline"], sign["value"], sign["baseline_value"]) == ("vader", 1.0, 2 / 3)
    assert sign["change"][0] == pytest.approx(1 / 3) and sign["above"]
    f1 = table[table["figure"] == "macro_f1"].iloc[0]
    assert f1["change"][0] == 0.0 and not f1["above"]  # equal is not above


def test_a_long_rows_fast_reading_is_its_sentences_mean_from_the_head_outside_its_fold():
    from cxlens.text.tokenize import SENTIMENT_SENTENCE_END, sentences
    from cxlens.text.training.folds import own_sentences_out_of_fold

    frame = small_frame()
    long_text = "отлично спасибо. " * 15 + "плохо ужасно, адрес офиса! " * 10  # 555 characters
    frame.loc[(frame["language"] == "ru") & (frame["split"] == "train"), "text"] = (
        frame["text"] + " "
    )  # texts stay distinct
    first_ru = frame.index[(frame["language"] == "ru") & (frame["split"] == "train")][0]
    frame.loc[first_ru, "text"] = long_text
    fast_rows = train.fast_training_rows(frame).reset_index(drop=True)
    base = fast_rows[["language", "set", "text", "label"]].assign(
        fold=all_fold_ids(fast_rows, ("en", "ru"))
    )
    base["fast_negative"], base["fast_neutral"], base["fast_positive"] = 0.5, 0.3, 0.2
    got = own_sentences_out_of_fold(base, frame, "ru", n_jobs=1)
    is_long = (base["text"] == long_text).to_numpy()
    columns = ["fast_negative", "fast_neutral", "fast_positive"]
    assert np.array_equal(got[~is_long].to_numpy(), base[~is_long].to_numpy())  # short: as base
    # by hand: the own head refitted on the other folds' Russian rows, each sentence scored
    # alone (softmax of its logits, as the package reads the head; float16 weights as
    # shipped: scipy's softmax), the 25 averaged
    mine = base[base["language"] == "ru"]
    fold = int(base.loc[is_long, "fold"].iloc[0])
    texts = [normalise_noise(t) for t in mine["text"]]
    features = sentiment_model.fast_features(texts)
    outside = (mine["fold"] != fold).to_numpy()
    model = fit_fast_head(mine[outside], features[outside], ())
    pieces = sentences(normalise_noise(long_text).strip(), SENTIMENT_SENTENCE_END, join_bare=True)
    assert len(pieces) == 25
    coef = model.coef_.astype(np.float16).astype(np.float32)
    logits = sentiment_model.fast_features(pieces) @ coef.T + model.intercept_
    want = scipy_softmax(np.asarray(logits), axis=1).mean(axis=0)
    assert np.allclose(got.loc[is_long, columns].to_numpy()[0], want, atol=1e-3)
