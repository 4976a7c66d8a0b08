"""Money with its currency: formatting, the one-currency rule, and CLV reading it from the data."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxlens
from cxlens.cli import app
from cxlens.errors import ArgumentError, SchemaError
from cxlens.models.clv import clv, transactions_currency
from cxlens.money import format_money, one_currency
from tests.analysis.test_features import workspace_from


@pytest.mark.parametrize(
    ("value", "currency", "digits", "shown"),
    [
        (4916.69, "USD", 0, "$4,917"),
        (4916.69, "usd", 2, "$4,916.69"),
        (1_234_567.0, "EUR", 0, "€1,234,567"),
        (99.5, "GBP", 1, "£99.5"),
        (-1234.5, "CHF", 2, "−CHF 1,234.50"),
        (-0.4, "USD", 0, "$0"),  # rounds to zero: no minus sign
        (250.0, "RUB", 0, "₽250"),
        (250.0, "", 0, "250"),  # no currency in the data and none declared
        (float("nan"), "USD", 0, "—"),
        (None, "USD", 0, "—"),
    ],
)
def test_format_money(value, currency, digits, shown):
    assert format_money(value, currency, digits) == shown


def test_one_currency_from_the_data_or_the_declaration():
    assert one_currency(["USD", "usd", None, ""]) == "USD"
    assert one_currency([], declared="eur") == "EUR"
    assert one_currency(["EUR"], declared="EUR") == "EUR"
    with pytest.raises(SchemaError, match=r"in transactions.currency are in 2 currencies \(EUR, "
                       r"USD\).*without a stated conversion"):  # fmt: skip
        one_currency(["USD", "EUR"], where="transactions.currency")
    with pytest.raises(SchemaError, match="are in USD, but the currency declared is EUR"):
        one_currency(["USD"], declared="EUR")
    with pytest.raises(ArgumentError, match="carry no currency"):
        one_currency([None])
    with pytest.raises(ArgumentError, match="not an ISO 4217 code"):
        one_currency(["dollars"])


def _purchases(currencies: list[str]) -> pd.DataFrame:
    """40 customers with 2-4 purchases each: enough repeat buyers for the CLV fits."""
    rows = []
    for c in range(40):
        for k in range(2 + c % 3):
            rows.append(
                {
                    "transaction_id": f"t{c}-{k}",
                    "customer_id": f"c{c}",
                    "occurred_at": pd.Timestamp("2024-01-03")
                    + pd.Timedelta(days=7 * c + 37 * k * (1 + c % 5)),
                    "amount": 20.0 + (c * 7 + k * 13) % 50,
                    "currency": currencies[(c + k) % len(currencies)],
                }
            )
    return pd.DataFrame(rows)


def test_clv_carries_the_datas_currency_and_refuses_to_sum_two(tmp_path):
    ws = workspace_from(tmp_path / "one", transactions=_purchases(["EUR"]))
    try:
        assert transactions_currency(ws) == "EUR"
        assert clv(ws, 12, holdout_months=0, min_repeaters=10).currency == "EUR"
        with pytest.raises(SchemaError, match="are in EUR, but the currency declared is USD"):
            clv(ws, 12, holdout_months=0, min_repeaters=10, currency="USD")
    finally:
        ws.close()
    ws = workspace_from(tmp_path / "two", transactions=_purchases(["EUR", "USD"]))
    try:
        with pytest.raises(SchemaError, match=r"2 currencies \(EUR, USD\)"):
            clv(ws, 12, holdout_months=0, min_repeaters=10)
    finally:
        ws.close()
    plain = _purchases(["EUR"]).drop(columns="currency")
    ws = workspace_from(tmp_path / "none", transactions=plain)
    try:
        assert transactions_currency(ws) == ""
        assert transactions_currency(ws, "gbp") == "GBP"
    finally:
        ws.close()


def test_the_workspace_currency_is_stored_and_used_when_the_data_has_none(tmp_path):
    plain = _purchases(["EUR"]).drop(columns="currency")
    ws = workspace_from(tmp_path / "none", transactions=plain)
    try:
        assert ws.currency is None and transactions_currency(ws) == ""
        ws.currency = "gbp"
        assert ws.currency == "GBP" and transactions_currency(ws) == "GBP"
        assert clv(ws, 12, holdout_months=0, min_repeaters=10).currency == "GBP"
        with pytest.raises(ArgumentError, match="not an ISO 4217 code"):
            ws.currency = "pounds"
        assert ws.currency == "GBP"  # a bad code changes nothing
        ws.currency = None
        assert ws.currency is None and transactions_currency(ws) == ""
    finally:
        ws.close()
    reopened = tmp_path / "kept.duckdb"
    with cxlens.Workspace(reopened) as ws:
        ws.currency = "CHF"
    with cxlens.Workspace(reopened) as ws:
        assert ws.currency == "CHF"  # stored in the workspace, as the display names are


def test_a_workspace_currency_that_disagrees_with_the_data_is_an_error(tmp_path):
    ws = workspace_from(tmp_path, transactions=_purchases(["EUR"]))
    try:
        ws.currency = "USD"
        with pytest.raises(SchemaError, match="are in EUR, but the currency declared is USD"):
            transactions_currency(ws)
    finally:
        ws.close()


def test_the_value_of_nps_never_sums_two_currencies(tmp_path):
    from cxlens.analysis.monetization import nps_uplift, value_by_nps_group

    buys = _purchases(["EUR", "USD"])
    ids = sorted(buys["customer_id"].unique())
    answers = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(len(ids))],
            "customer_id": ids,
            "responded_at": pd.Timestamp("2024-06-01"),
            "nps": [i % 11 for i in range(len(ids))],
        }
    )
    ws = workspace_from(tmp_path, transactions=buys, responses=answers)
    try:
        for run_it in (
            lambda: value_by_nps_group(ws),
            lambda: nps_uplift(ws),
            lambda: ws.analysis.monetization(n_boot=10),
        ):
            with pytest.raises(SchemaError, match=r"2 currencies \(EUR, USD\)"):
                run_it()
    finally:
        ws.close()


def test_the_cli_declares_shows_and_clears_the_currency(tmp_path):
    runner = CliRunner()
    ws = str(tmp_path / "ws.duckdb")
    assert runner.invoke(app, ["init", "-w", ws]).exit_code == 0
    shown = runner.invoke(app, ["currency", "-w", ws])
    assert shown.exit_code == 0 and "no currency declared" in shown.output
    done = runner.invoke(app, ["currency", "eur", "-w", ws])
    assert done.exit_code == 0 and "amounts are in EUR" in done.output
    with cxlens.Workspace(ws) as opened:
        assert opened.currency == "EUR"
    bad = runner.invoke(app, ["currency", "euro", "-w", ws])
    assert bad.exit_code != 0 and "not an ISO 4217 code" in bad.output
    cleared = runner.invoke(app, ["currency", "--clear", "-w", ws])
    assert cleared.exit_code == 0 and "no currency declared" in cleared.output


def test_money_axes_carry_the_currency():
    from cxlens.analysis.charts_customers import value_by_nps_group_figure
    from cxlens.models.charts_clv import clv_distribution_figure
    from cxlens.money import money_title

    assert money_title("CLV", "EUR") == "CLV (EUR)" and money_title("CLV", "") == "CLV"
    c = pd.DataFrame({"clv": [900.0, 300.0, 100.0, 50.0],
                      "clv_tier": ["platinum", "gold", "silver", "bronze"]})  # fmt: skip
    axis = clv_distribution_figure(c, currency="EUR").layout.xaxis.title.text
    assert axis == "CLV per customer (discounted, over the horizon) (EUR)"
    groups = pd.DataFrame(
        {
            "nps_group": ["promoter", "passive", "detractor"],
            "customers": [50, 30, 20],
            "revenue_per_customer": [120.0, 100.0, 80.0],
            "revenue_ci_low": [110.0, 90.0, 70.0],
            "revenue_ci_high": [130.0, 110.0, 90.0],
            "retention_rate": [0.9, 0.8, 0.7],
            "retention_ci_low": [0.85, 0.7, 0.6],
            "retention_ci_high": [0.95, 0.9, 0.8],
            "small_sample": [False, False, True],
        }
    )
    titles = [a.text for a in value_by_nps_group_figure(groups, currency="GBP").layout.annotations]
    assert "Revenue per customer, 12 months (GBP)" in titles
