"""ws.journey is the Journey of the Workspace."""

from __future__ import annotations

import pandas as pd

from cxlens.journey.namespace import Journey
from tests.analysis.test_features import sample_workspace


def test_ws_journey_is_a_journey_over_the_workspace(tmp_path):
    ws, data = sample_workspace(tmp_path, customers=300, seed=5)
    try:
        assert isinstance(ws.journey, Journey)
        dfg = ws.journey.dfg()
        pd.testing.assert_frame_equal(dfg, Journey(ws).dfg())
        # the transitions of a journey: one fewer than its events, summed over customers
        events = data.tables["events"]
        expected = len(events) - events["customer_id"].nunique()
        assert int(dfg["count"].sum()) == expected
    finally:
        ws.close()
