"""Display names and p-values: the defaults, the workspace's own names, the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from cxlens.display import (
    display_name,
    format_p,
    relabel_figure,
    relabel_label,
    relabel_text,
    using_names,
)
from cxlens.errors import ArgumentError


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("small_business", "Small business"),
        ("driver_reliability", "Reliability"),
        ("field_sales", "Field sales"),
        ("log-odds (TreeSHAP)", "Effect on churn odds"),
        ("rescaled_weight", "Share of explained variance"),
        ("nps_detractor", "NPS detractor"),
        ("consumer", "Consumer"),
        ("Northwind", "Northwind"),
    ],
)
def test_default_names(key, shown):
    assert display_name(key) == shown


@pytest.mark.parametrize(
    ("p", "shown"),
    [(4.3e-196, "< 0.001"), (0.0, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"),
     (0.04213, "0.042"), (1.0, "1.000"), (None, "—"), (float("nan"), "—"), ("x", "—")],
)  # fmt: skip
def test_p_values(p, shown):
    assert format_p(p) == shown


def test_running_text_keeps_words_and_renames_identifiers():
    text = "NPS of small_business fell 9.3 points (p = 4.3e-196); see customers.csv, a_b@x.com"
    assert relabel_text(text) == (
        "NPS of Small business fell 9.3 points (p < 0.001); see customers.csv, a_b@x.com"
    )
    # a model parameter named p or q above 1 is not a probability: left as written
    assert relabel_text("p = 2.120, q = 5.19e+06") == "p = 2.120, q = 5.19e+06"
    assert relabel_label("Dec 2024") == "Dec 2024" and relabel_label(7) == 7
    # a metric key in lowercase is its acronym; inside a file name it is left alone
    assert relabel_text("attitude (nps): promoters; see nps.csv") == (
        "attitude (NPS): promoters; see nps.csv"
    )


def test_a_figure_gets_client_words_and_keeps_its_numbers():
    fig = {"data": [{"type": "bar", "y": ["small_business", "consumer"], "x": [1.5, 2.0],
                     "hovertext": ["<b>small_business</b> n = 3", "<b>consumer</b>"]}],
           "layout": {"xaxis": {"title": {"text": "rescaled_weight"}}}}  # fmt: skip
    with using_names({"consumer": "Households"}):
        out = relabel_figure(fig)
    assert out["data"][0]["y"] == ["Small business", "Households"]
    assert out["data"][0]["x"] == [1.5, 2.0]
    assert out["data"][0]["hovertext"] == ["<b>Small business</b> n = 3", "<b>Households</b>"]
    assert out["layout"]["xaxis"]["title"]["text"] == "Share of explained variance"


def test_workspace_names_are_stored_and_win_over_the_defaults(tmp_path):
    path = tmp_path / "ws.duckdb"
    with cxlens.Workspace(path) as ws:
        assert ws.display_names.get() == {}
        ws.display_names.set({"small_business": "Small firms"}, field_sales="Field team")
    with cxlens.Workspace(path) as ws:  # survives reopening
        assert ws.display_names.get() == {"field_sales": "Field team",
                                          "small_business": "Small firms"}  # fmt: skip
        assert ws.display_names.name("small_business") == "Small firms"
        with pytest.raises(ArgumentError, match="must be non-empty text"):
            ws.display_names.set(enterprise="  ")
        with pytest.raises(ArgumentError, match="no display name is set for enterprise"):
            ws.display_names.remove("enterprise")
        assert ws.display_names.remove("field_sales") == {"small_business": "Small firms"}
        assert ws.display_names.name("field_sales") == "Field sales"


def test_the_cli_sets_lists_and_removes_names(tmp_path):
    runner = CliRunner()
    ws = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["init", "-w", ws]).exit_code == 0
    done = runner.invoke(app, ["names", "set", "field_sales", "Field team", "-w", ws])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["names", "list", "-w", ws])
    assert "field_sales" in listed.output and "Field team" in listed.output
    gone = runner.invoke(app, ["names", "remove", "field_sales", "-w", ws])
    assert "reads 'Field sales' again" in gone.output
    bad = runner.invoke(app, ["names", "remove", "field_sales", "-w", ws])
    assert bad.exit_code == 1 and "no display name is set for field_sales" in bad.output
    with cxlens.Workspace(ws) as opened:
        assert opened.display_names.get() == {}
