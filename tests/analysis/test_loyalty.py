"""The loyalty matrix on a hand example: quadrant counts, revenue, rules and the figure."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlens.analysis.charts_customers import loyalty_matrix_figure
from cxlens.analysis.loyalty import QUADRANTS, loyalty_matrix, quadrant_of
from cxlens.errors import ArgumentError, SchemaError
from tests.analysis.test_features import workspace_from
from tests.conftest import ENGINES, on_engine

TS = pd.Timestamp
AS_OF = TS("2024-12-31")

# customer: (latest NPS, latest CSAT, purchases of 10 each in 2024); z9 never answered.
HAND = {
    "a1": (10, 5, 5),  # promoter, frequent   -> loyalists
    "a2": (9, 4, 4),  # promoter, frequent    -> loyalists
    "a3": (9, 5, 1),  # promoter, rare        -> mercenaries
    "a4": (10, 2, 0),  # promoter, never      -> mercenaries
    "a5": (3, 2, 6),  # detractor, frequent   -> hostages
    "a6": (8, 4, 3),  # passive counts as low -> hostages
    "a7": (6, 1, 2),  # at the median (2)     -> defectors
    "a8": (7, 3, 1),  #                       -> defectors
    "a9": (0, 1, 0),  #                       -> defectors
    "z9": (None, None, 7),  # no answer: left out of the matrix
}
EXPECTED = {"a1": "loyalists", "a2": "loyalists", "a3": "mercenaries", "a4": "mercenaries",
            "a5": "hostages", "a6": "hostages", "a7": "defectors", "a8": "defectors",
            "a9": "defectors"}  # fmt: skip


@pytest.fixture(scope="module")
def duckdb_hand_ws(tmp_path_factory):
    ids = list(HAND)
    customers = pd.DataFrame({"customer_id": ids, "first_seen": [TS("2023-01-01")] * len(ids)})
    answered = [c for c in ids if HAND[c][0] is not None]
    responses = pd.DataFrame({
        "response_id": [f"r_{c}" for c in answered], "customer_id": answered,
        "responded_at": [TS("2024-06-01")] * len(answered),
        "nps": [HAND[c][0] for c in answered], "csat": [HAND[c][1] for c in answered],
    })  # fmt: skip
    rows = [(c, i) for c in ids for i in range(HAND[c][2])]
    transactions = pd.DataFrame({
        "transaction_id": [f"t_{c}_{i}" for c, i in rows], "customer_id": [c for c, _ in rows],
        "occurred_at": [TS("2024-03-01") + pd.Timedelta(days=7 * i) for _, i in rows],
        "amount": [10.0] * len(rows),
    })  # fmt: skip
    ws = workspace_from(tmp_path_factory.mktemp("loyalty"), customers=customers,
                        responses=responses, transactions=transactions)  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(scope="module", params=ENGINES)
def hand_ws(request, duckdb_hand_ws):
    """``duckdb_hand_ws`` on each engine (Spark: a copy of the same tables)."""
    return on_engine(request, duckdb_hand_ws)


def test_quadrants_follow_jones_and_sasser():
    assert [q.name for q in QUADRANTS] == ["loyalists", "mercenaries", "hostages", "defectors"]
    assert quadrant_of(True, True) == "loyalists"
    assert quadrant_of(True, False) == "mercenaries"  # satisfied but not loyal
    assert quadrant_of(False, True) == "hostages"  # loyal but not satisfied
    assert quadrant_of(False, False) == "defectors"
    assert {q.name: q.dick_basu for q in QUADRANTS}["hostages"] == "spurious loyalty"


def test_quadrant_counts_on_the_hand_example(hand_ws):
    matrix = loyalty_matrix(hand_ws, "nps", "frequency", as_of=AS_OF, min_n=3)
    summary, labels = matrix
    assert dict(zip(labels.customer_id, labels.quadrant, strict=True)) == EXPECTED
    s = summary.set_index("quadrant")
    assert s.customers.to_dict() == {"loyalists": 2, "mercenaries": 2, "hostages": 2,
                                     "defectors": 3}  # fmt: skip
    assert s.share.sum() == pytest.approx(1.0)
    assert s.loc["defectors", "share"] == pytest.approx(3 / 9)
    # revenue: 10 per purchase
    assert s.revenue.to_dict() == pytest.approx({"loyalists": 90.0, "mercenaries": 10.0,
                                                 "hostages": 90.0, "defectors": 30.0})  # fmt: skip
    assert s.loc["loyalists", "revenue_share"] == pytest.approx(90 / 220)
    assert s.loc["hostages", "revenue_per_customer"] == pytest.approx(45.0)
    # NPS of a quadrant, from the customers' latest answers: defectors 6, 7, 0 -> 1 passive
    assert s.loc["defectors", "nps"] == pytest.approx(100 * (0 - 2) / 3)
    assert s.loc["loyalists", "nps"] == pytest.approx(100.0)
    assert s.small_sample.to_dict() == {"loyalists": True, "mercenaries": True,
                                        "hostages": True, "defectors": False}  # fmt: skip
    assert matrix.threshold == pytest.approx(2.0) and summary.attrs == {}
    assert (matrix.attitude, matrix.behaviour) == ("nps", "frequency")
    assert matrix.as_of == pd.Timestamp(AS_OF)
    rules = " ".join(matrix.rules)
    assert "median" in rules and "left out: 1 customer(s) without an NPS answer" in rules


def test_csat_attitude_and_value_behaviour(hand_ws):
    _summary, labels = loyalty_matrix(hand_ws, "csat", "value", as_of=AS_OF)
    got = dict(zip(labels.customer_id, labels.quadrant, strict=True))
    # top-2-box CSAT: a1, a2, a3, a6 high; value median over 9 customers is 20 (a7)
    assert got["a6"] == "loyalists" and got["a3"] == "mercenaries"
    assert got["a5"] == "hostages" and got["a7"] == "defectors"


def test_recency_counts_fewer_days_as_high(hand_ws):
    _, labels = loyalty_matrix(hand_ws, "nps", "recency", as_of=AS_OF)
    got = labels.set_index("customer_id")
    # a5's last purchase (6th weekly one) is the most recent; a4 and a9 never bought: low
    assert got.loc["a5", "behaviour_high"]
    assert not got.loc["a4", "behaviour_high"] and not got.loc["a9", "behaviour_high"]


def test_bad_arguments(hand_ws):
    with pytest.raises(ArgumentError, match="unknown behaviour"):
        loyalty_matrix(hand_ws, behaviour="love")
    with pytest.raises(ArgumentError, match="unknown attitude"):
        loyalty_matrix(hand_ws, attitude="ces")
    with pytest.raises(SchemaError, match="events"):
        loyalty_matrix(hand_ws, behaviour="engagement")


def test_figure_has_four_tiles(hand_ws):
    summary, _ = loyalty_matrix(hand_ws, as_of=AS_OF)
    fig = loyalty_matrix_figure(summary, attitude="nps", behaviour="frequency")
    assert fig.layout.xaxis.title.text == "behaviour: frequency"
    texts = [a.text for a in fig.layout.annotations]
    assert len(texts) == 4 and any("hostages" in t for t in texts)
    assert any("small sample" in t for t in texts)
