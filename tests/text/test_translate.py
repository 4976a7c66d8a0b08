"""Theme labels translated by a keyword map: exact labels of the demo, errors, the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlens.errors import ArgumentError
from cxlens.report.voice_parts import theme_table, translation_note
from cxlens.text.discover import ThemeModel
from cxlens.text.namespace import Text
from cxlens.text.themes import from_saved
from cxlens.text.translate import (
    read_label_map,
    saved_label_map,
    translate_label,
    translate_themes,
    untranslated_words,
)

#: A map written for the words of the demo's Russian and Chinese theme labels
#: (``generate(customers=2000, months=24, seed=7)``, ``ws.text.themes()``).
MAP = Path(__file__).parents[1] / "fixtures" / "text" / "theme_label_map.csv"

#: Demo labels, their translation by hand from the map's entries, and the words left out.
DEMO = [
    ("ru", "Счета постоянно растут, перехода на новую систему",
     "Bills keep rising, the switch to the new system", []),
    ("ru", "Ни одного сбоя, время", "Not a single outage, время", ["время"]),
    ("ru", "Крайне недоволен, сплошное разочарование",
     "Extremely unhappy, utter disappointment", []),
    ("ru", "Цены кусаются, слишком дорого", "Steep prices, too expensive", []),
    ("ru", "Связь стабильная, доволен northwind connect",
     "Connection stable, satisfied northwind connect", ["northwind", "connect"]),
    ("ru", "Отличный сервис", "Excellent service", []),
    ("zh", "从不掉线, 网络很稳定", "Never drops, very stable network", []),
    ("zh", "套餐价格太坑", "Plan price 太坑", ["太坑"]),
    ("zh", "账单, 涨", "Bill, goes up", []),
    ("zh", "客服, 回复又快又专业", "Customer service, replies fast and professional", []),
]  # fmt: skip


@pytest.mark.parametrize(("language", "label", "expected", "missing"), DEMO)
def test_demo_labels_are_translated_by_the_map(language, label, expected, missing):
    assert translate_label(label, language, read_label_map(MAP)) == (expected, missing)


def test_english_labels_and_languages_without_entries_stay_as_written():
    label_map = read_label_map(MAP)
    assert translate_label("Far too expensive", "en", label_map) == ("Far too expensive", [])
    assert translate_label("Merci, rapide", "fr", label_map) == (
        "Merci, rapide",
        ["Merci", "rapide"],
    )


def test_a_mixed_themes_marker_is_the_report_languages_and_its_words_are_translated():
    label_map = read_label_map({"ru": {"билет": "ticket"}, "zh": {"网络": "network"}})
    assert translate_label("Разное: билет, рейс", "ru", label_map) == (
        "Mixed: ticket, рейс",
        ["рейс"],
    )
    assert translate_label("其他", "zh", label_map) == ("Mixed", [])
    russian = read_label_map({"zh": {"网络": "сеть"}}, into="ru")
    assert translate_label("其他: 网络", "zh", russian) == ("Разное: сеть", [])
    # a label that merely starts with the word is not a marker
    assert translate_label("Разное отношение", "ru", label_map) == (
        "Разное отношение",
        ["Разное", "отношение"],
    )


def test_a_map_per_language_from_two_column_files_or_a_dict(tmp_path):
    (tmp_path / "zh.csv").write_text("source,target\n账单,bill\n涨,goes up\n", encoding="utf-8")
    from_files = read_label_map({"zh": tmp_path / "zh.csv", "ru": {"счёт": "bill"}})
    assert translate_label("账单, 涨", "zh", from_files) == ("Bill, goes up", [])
    assert translate_label("Счета", "ru", from_files) == ("Bill", [])  # lemma счёт = счета


def test_bad_maps_say_which_file_row_and_column(tmp_path):
    no_column = tmp_path / "a.csv"
    no_column.write_text("word,target\nсчёт,bill\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=r"a\.csv has no column\(s\) language, source"):
        read_label_map(no_column)
    empty = tmp_path / "b.csv"
    empty.write_text("language,source,target\nru,счёт,bill\nru,сбой,\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=r"empty target at .*b\.csv, line 3"):
        read_label_map(empty)
    twice = tmp_path / "c.csv"
    twice.write_text("language,source,target\nzh,账单,bill\nzh,账单,invoice\n", encoding="utf-8")
    with pytest.raises(
        ArgumentError, match=r"'账单' \(zh\) has two translations, 'bill' and 'invoice'"
    ):
        read_label_map(twice)
    with pytest.raises(ArgumentError, match="does not exist"):
        read_label_map(tmp_path / "missing.csv")


def test_themes_table_gains_translations_and_the_untranslated_words():
    themes = pd.DataFrame(
        {
            "theme": ["t1", "t2"],
            "language": ["zh", "en"],
            "label": ["套餐价格太坑", "Far too expensive"],
            "labels": [
                {"zh": "套餐价格太坑"},
                {"en": "Far too expensive", "ru": "Ни одного сбоя, время"},
            ],
        }
    )
    out = translate_themes(themes, read_label_map(MAP))
    assert out["label_translated"].tolist() == ["Plan price 太坑", "Far too expensive"]
    assert out["labels_translated"].iloc[1] == {
        "en": "Far too expensive", "ru": "Not a single outage, время"
    }  # fmt: skip
    assert out["untranslated"].tolist() == [["太坑"], ["время"]]
    assert untranslated_words(out).to_dict("records") == [
        {"language": "ru", "word": "время", "themes": 1},
        {"language": "zh", "word": "太坑", "themes": 1},
    ]
    html = theme_table(out.assign(count=[3, 2], share=[0.6, 0.4], sentiment=[-0.5, -0.4]))
    # named by the translation; beneath, each language's label as "translated (original)"
    zh = "<b>Plan price 太坑</b><br><small>Chinese: Plan price 太坑 (套餐价格太坑)</small>"
    assert zh in html
    assert (
        "<b>Far too expensive</b><br><small>English: Far too expensive · Russian: Not a single "
        "outage, время (Ни одного сбоя, время)</small>"
    ) in html
    assert "(t1)" not in html and "(t2)" not in html  # no theme id in the client's table
    assert translation_note(out).endswith("kept as written: ru: время; zh: 太坑.")


def test_workspace_themes_use_the_map_given_then_the_saved_one(ws, tmp_path):
    texts = ["Счета постоянно растут, опять.", "Отличный сервис, спасибо."] * 30
    rows = pd.DataFrame(
        {
            "response_id": [f"R{i}" for i in range(len(texts))],
            "responded_at": pd.Timestamp("2024-01-05"),
            "nps": 5,
            "comment": texts,
        }
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    ws.ingest(tmp_path / "r.csv", table="responses")
    model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["ru"] * len(texts))
    first = Text(ws).themes(model=model, recent=1, translate=MAP)
    expected = [translate_label(lab, "ru", read_label_map(MAP))[0] for lab in first.themes["label"]]
    assert first.themes["label_translated"].tolist() == expected
    assert saved_label_map(ws).words.equals(read_label_map(MAP).words)
    saved = from_saved(ws.table("themes").execute()).set_index("theme")
    for _, row in first.themes.iterrows():  # the saved table reads back the same
        assert saved.loc[row["theme"], "labels_translated"] == row["labels_translated"]
        assert saved.loc[row["theme"], "untranslated"] == row["untranslated"]
    again = Text(ws).themes(model=model, recent=1)  # no map given: the saved one
    assert again.themes["label_translated"].tolist() == expected
    assert list(again.untranslated.columns) == ["language", "word", "themes"]


def test_report_command_saves_the_map_and_refuses_a_bad_one_before_writing(tmp_path):
    from typer.testing import CliRunner

    from cxlens.cli import app
    from cxlens.workspace import Workspace

    path = tmp_path / "r.csv"
    path.write_text("response_id,responded_at,nps\nr1,2024-01-01,9\n", encoding="utf-8")
    ws_path = tmp_path / "acme.duckdb"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["ingest", str(path), "--as", "responses", "-w", str(ws_path)]).exit_code
        == 0
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("language,source,target\nzh,账单,\n", encoding="utf-8")
    out = tmp_path / "report.html"
    args = ["report", "-o", str(out), "--no-analyses", "-w", str(ws_path)]
    refused = runner.invoke(app, [*args, "--label-map", str(bad)])
    assert refused.exit_code == 1 and "empty target at" in refused.output and not out.exists()
    assert runner.invoke(app, [*args, "--label-map", str(MAP)]).exit_code == 0
    with Workspace(ws_path) as ws:
        assert saved_label_map(ws).words.equals(read_label_map(MAP).words)
