"""Negated problems ("No outages at all"): which phrases are found, and the study's arithmetic."""

import numpy as np
import pandas as pd
import pytest

from cxlens.text.sentiment_model import CLASSES, negated_problems, without_negated_problems
from cxlens.text.training.negation import matched_sign_change, sign_right, study


@pytest.mark.parametrize(
    ("text", "language", "phrases"),
    [
        ("Fantastic provider. No outages at all.", "en", ["No outages at all"]),
        ("Never had a single problem with them", "en", ["Never had a single problem"]),
        ("I haven't had any issues since May", "en", ["haven't had any issues"]),
        ("dont have any issues, thanks", "en", ["dont have any issues"]),
        ("Zero complaints. Calls never dropped!", "en", ["Zero complaints", "never dropped"]),
        ("Fixed without any delay", "en", ["without any delay"]),
        ("Никаких сбоев, всё стабильно.", "ru", ["Никаких сбоев"]),
        ("Связь без обрывов", "ru", ["без обрывов"]),
        ("Не было ни одного сбоя за год", "ru", ["Не было ни одного сбоя"]),
        ("За год никогда не было проблем", "ru", ["никогда не было проблем"]),
        ("Проблем нет. Спасибо!", "ru", ["Проблем нет"]),
        ("从来没有掉线。", "zh", ["从来没有掉线"]),
        ("用了一年，没有出现过任何问题", "zh", ["没有出现过任何问题"]),
        ("一点问题都没有！", "zh", ["一点问题都没有"]),
        ("网速快，从不卡顿", "zh", ["从不卡顿"]),
    ],
)
def test_a_negator_scoping_a_problem_word_in_its_clause_is_found(text, language, phrases):
    assert [m.group() for m in negated_problems(text, language)] == phrases


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("They did not fix the problem.", "en"),  # a verb between: the fix is negated
        ("No one answered my complaint", "en"),
        ("No more outages, please!", "en"),
        ("They didn't issue a refund", "en"),  # "issue" the verb
        ("Three weeks without internet. Unacceptable.", "en"),
        ("No refund, problems every day", "en"),  # another clause
        ("Проблему так и не решили", "ru"),
        ("Проблемам нет конца", "ru"),  # "нет" not at the clause's end
        ("Отличный сервис: третий день без интернета", "ru"),
        ("Если я не ошибаюсь, офис на Ленина", "ru"),  # a hedge, not an error
        ("有没有问题？", "zh"),  # a question
        ("是不是有问题", "zh"),
        ("问题没有解决", "zh"),
        ("没有解决问题", "zh"),
        ("别再掉线了", "zh"),  # an imperative: stop dropping
        ("No outages at all.", "fr"),  # a language not covered
    ],
)
def test_a_problem_not_negated_or_negated_out_of_its_clause_is_not_found(text, language):
    assert list(negated_problems(text, language)) == []


def test_masking_removes_the_phrase_and_keeps_the_rest_of_the_text():
    assert without_negated_problems(
        "No problems with delivery, but the courier was rude.", "en"
    ) == (" with delivery, but the courier was rude.")
    assert without_negated_problems("Courier was rude.", "en") == "Courier was rude."


def test_the_sign_of_each_polar_row_and_a_paired_change_by_hand():
    probs = np.array([[0.6, 0.1, 0.3], [0.2, 0.1, 0.7], [0.1, 0.8, 0.1], [0.5, 0.0, 0.5]])
    labels = np.array(["negative", "negative", "neutral", "positive"])
    right = sign_right(probs, labels)
    assert np.isnan(right[2]) and right[[0, 1, 3]].tolist() == [1.0, 0.0, 0.0]  # 0 is wrong
    # 4 rows, 1 of 4 right -> 3 of 4 right: +0.5; every resample keeps the rows paired
    change, low, high = matched_sign_change(
        np.array([1.0, 0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0, 0.0]), draws=200
    )
    assert change == 0.5 and 0.0 <= low <= 0.5 <= high <= 1.0


def test_the_study_counts_matched_rows_and_their_sign_against_the_rest():
    fast = [[0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.2, 0.1, 0.7]]
    e5 = [[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]
    oof = pd.DataFrame(
        {
            "language": "en",
            "set": "a",
            "text": ["No issues at all", "Great support", "Delayed again", "never had a problem"],
            "label": ["positive", "positive", "negative", "positive"],
            **{f"fast_{c}": [row[i] for row in fast] for i, c in enumerate(CLASSES)},
            **{f"e5_{c}": [row[i] for row in e5] for i, c in enumerate(CLASSES)},
        }
    )
    got = study(oof, "en").iloc[0]
    assert (got["rows"], got["matched"], got["matched_positive"]) == (4, 2, 2)
    # the fast head: the first matched row wrong, the second right; the rest right
    assert (got["fast_sign_matched"], got["fast_sign_rest"]) == (0.5, 1.0)
    # the cascade keeps the sure fast reading (0.9) and sends the unsure one (0.7) to e5
    assert (got["cascade_sign_matched"], got["cascade_sign_rest"]) == (0.5, 1.0)
