"""The Splink comparisons of the linkage model (identity/rules.py)."""

from __future__ import annotations

import pytest

from cxlens.identity.rules import settings


def _comparisons(name_metric: str) -> dict[str, list[str]]:
    built = settings(name_metric).get_settings("duckdb").as_dict()["comparisons"]
    return {
        c["output_column_name"]: [level["sql_condition"] for level in c["comparison_levels"]]
        for c in built
    }


@pytest.mark.parametrize("name_metric", ["jaro_winkler", "levenshtein"])
def test_every_comparison_runs_from_no_value_to_anything_else(name_metric):
    for name, levels in _comparisons(name_metric).items():
        assert "IS NULL" in levels[0], name
        assert levels[-1] == "ELSE", name


def test_one_column_comparisons_have_their_levels_closest_first():
    got = _comparisons("jaro_winkler")
    assert got["phone"] == [
        '"phone_l" IS NULL OR "phone_r" IS NULL',
        '"phone_l" = "phone_r"',
        'levenshtein("phone_l", "phone_r") <= 1',
        "ELSE",
    ]
    assert got["city"] == [
        '"city_key_l" IS NULL OR "city_key_r" IS NULL',
        '"city_key_l" = "city_key_r"',
        'levenshtein("city_key_l", "city_key_r") <= 2',
        "ELSE",
    ]
    assert "regexp_extract(\"email_l\", '^[^@]+', 0)" in got["email"][2]  # the user name
    assert got["email"][3] == 'levenshtein("email_l", "email_r") <= 2'
    assert len(got["birth_date"]) == 7  # null, exact, 1 and 2 digits, a month, a year, else
