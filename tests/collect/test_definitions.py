"""Survey definitions: the standard wording, user languages, and errors naming the key."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from cxlens import Workspace
from cxlens.collect import Surveys, parse_survey, read_survey
from cxlens.errors import ArgumentError, MappingError

BASE = {"name": "after-delivery", "kind": "nps", "company": "Acme",
        "trigger": {"touchpoint": "delivered"}}  # fmt: skip

YAML = """\
name: support-csat
kind: csat
company: Acme
languages: [ru, en, de]
wording:
  de:
    question: "Wie zufrieden waren Sie insgesamt mit {company}?"
    low: "Sehr unzufrieden"
    high: "Sehr zufrieden"
    follow_up: "Was ist der wichtigste Grund für Ihre Bewertung?"
  en:
    follow_up: "What should we change first?"
drivers:
  - {name: speed, question: {ru: "Насколько быстро?", en: "How quick was the answer?"}}
trigger: {stage: support}
delay: 2h
expiry: 3d
channel: link
contact:
  quiet_days: 30
  sampling: 0.25
  seed: 7
  business_hours: {start: "08:30", end: "17:00", days: [mon, wed]}
  timezone: Europe/Moscow
  consent: opt_in
"""


def test_yaml_definition_reads_every_key(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(YAML, encoding="utf-8")
    s = read_survey(path)
    assert (s.kind, s.scale, s.channel) == ("csat", (1, 5), "link")
    assert (s.trigger_column, s.trigger_value) == ("stage", "support")
    assert (s.delay, s.expiry) == (timedelta(hours=2), timedelta(days=3))
    c = s.contact
    assert (c.quiet_days, c.sampling, c.seed, c.timezone, c.consent) == (
        30, 0.25, 7, "Europe/Moscow", "opt_in")  # fmt: skip
    assert c.business_hours.start == time(8, 30) and c.business_hours.days == (0, 2)
    assert s.drivers[0].column == "driver_speed"
    # a user language, a partial override of a shipped one, and the shipped Russian
    assert s.wording_for("de").question == "Wie zufrieden waren Sie insgesamt mit Acme?"
    assert s.wording_for("en").follow_up == "What should we change first?"
    assert s.wording_for("en").high == "Very satisfied"
    assert s.wording_for("ru").low == "Совсем не удовлетворён"
    assert s.wording_for("fr").question == s.wording_for("ru").question  # first language


@pytest.mark.parametrize(
    ("kind", "lang", "question"),
    [
        ("nps", "en", "How likely is it that you would recommend Acme to a friend or colleague?"),
        ("nps", "ru", "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?"),
        ("nps", "zh", "您有多大可能向朋友或同事推荐Acme？"),
        ("ces", "en", "Acme made it easy for me to handle my issue."),
        ("ces", "zh", "Acme让我能够轻松地处理我的问题。"),
    ],
)
def test_standard_wording(kind, lang, question):
    s = parse_survey({**BASE, "kind": kind, "languages": [lang]})
    assert s.wording_for(lang).question == question


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"colour": "red"}, "'colour'"),
        ({"kind": "ces5"}, "'kind'"),
        ({"channel": "fax"}, "'channel'"),
        ({"delay": "soon"}, "'delay'"),
        ({"delay": "8d", "expiry": "7d"}, "'expiry'"),
        ({"trigger": {"page": "x"}}, "'trigger.page'"),
        ({"languages": ["fr"]}, "'languages' names fr"),
        ({"wording": {"fr": {"question": "Q ?"}}}, "'wording.fr.follow_up'"),
        ({"contact": {"sampling": 1.5}}, "'contact.sampling'"),
        ({"contact": {"quiet": 3}}, "'contact.quiet'"),
        ({"contact": {"timezone": "Mars/Olympus"}}, "'contact.timezone'"),
        ({"contact": {"business_hours": {"days": ["funday"]}}}, "'contact.business_hours.days'"),
        ({"contact": {"consent": "maybe"}}, "'contact.consent'"),
        ({"drivers": [{"name": "Speed!", "question": "Q"}]}, "'drivers\\[0\\].name'"),
    ],
)
def test_a_wrong_key_is_named(change, key):
    with pytest.raises(MappingError, match=f"survey 'after-delivery': .*key {key}"):
        parse_survey({**BASE, **change})


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(MappingError, match=r"s\.yaml: not valid YAML"):
        read_survey(path)


def test_definitions_are_stored_listed_and_paused(tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    surveys = Surveys(ws)
    surveys.create(BASE)
    with pytest.raises(ArgumentError, match="'after-delivery' exists"):
        surveys.create(BASE)
    surveys.create({**BASE, "name": "csat", "kind": "csat"})
    ws.close()
    again = Surveys(Workspace(tmp_path / "ws.duckdb"))  # stored in the workspace file
    assert again.list().name.tolist() == ["after-delivery", "csat"]
    assert again.pause("csat").status == "paused"
    assert again.get("csat").status == "paused"
    assert again.get("after-delivery") == parse_survey(BASE)
    assert again.resume("csat").status == "active"
    with pytest.raises(ArgumentError, match="no survey named 'nope'; the surveys are"):
        again.get("nope")


@pytest.mark.parametrize(
    ("given", "chosen"),
    [("ru", "ru"), ("RU-ru", "ru"), ("zh_Hans", "zh"), ("zh-TW", "zh"), ("fr", "en"), (None, "en")],
)
def test_a_customers_language_code_picks_the_surveys_language(given, chosen):
    s = parse_survey({**BASE, "languages": ["en", "ru", "zh"]})
    assert s.language_for(given) == chosen
