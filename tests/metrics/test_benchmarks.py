"""The shipped benchmark table and compare()."""

from __future__ import annotations

import re

import pytest

from cxlens.metrics import benchmarks, compare

COLUMNS = ["metric", "industry", "statistic", "value", "unit", "period", "source", "note"]


def test_benchmark_table_is_complete_and_cited():
    table = benchmarks()
    assert list(table.columns) == COLUMNS
    assert len(table) >= 5
    for row in table.itertuples():
        assert re.search(r"\b(19|20)\d{2}\b", row.source), row.source  # a year
        assert len(row.note) > 40, row.note  # says how the definition may differ
        assert row.statistic in {
            "median", "average", "average_low", "average_high", "target_low", "target_high",
        }  # fmt: skip
    assert table["value"].dtype.kind == "f"


def test_benchmarks_returns_a_copy():
    table = benchmarks()
    table.loc[0, "value"] = -1.0
    assert benchmarks().loc[0, "value"] != -1.0


def test_compare_nps_against_the_median_and_the_average_range():
    out = compare("NPS", 8)
    assert out["statistic"].tolist() == ["median", "average"]
    assert out["verdict"].tolist() == ["below", "within"]
    avg = out.iloc[1]
    assert (avg["benchmark_low"], avg["benchmark_high"]) == (5.0, 10.0)
    assert compare("nps", 3)["verdict"].tolist() == ["below", "below"]
    assert compare("nps", 16)["verdict"].tolist()[0] == "within"


def test_compare_one_sided_targets():
    assert compare("ltv_cac_ratio", 2.5)["verdict"].tolist() == ["below"]
    assert compare("ltv_cac_ratio", 4.0, industry="SaaS")["verdict"].tolist() == ["within"]
    assert compare("cac_payback_months", 18)["verdict"].tolist() == ["above"]
    assert compare("cac_payback_months", 9)["verdict"].tolist() == ["within"]


def test_compare_unknown_metric_or_industry():
    with pytest.raises(ValueError, match=r"no benchmark for metric 'ces'.*nps"):
        compare("ces", 5)
    with pytest.raises(ValueError, match="no benchmark for 'ltv_cac_ratio' in industry 'retail'"):
        compare("ltv_cac_ratio", 3, industry="retail")
    with pytest.raises(ValueError, match="finite number"):
        compare("nps", float("nan"))
