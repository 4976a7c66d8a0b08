"""ws.text: sentiment saved per response, code-frame themes, charts of the tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlens.text.charts import impact_bars, theme_bars, theme_trend
from cxlens.text.namespace import Text


def _load(ws, tmp_path: Path) -> None:
    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    comments = [
        "The invoice is wrong",
        "Great support agent",
        "",
        "Счёт неверный",
        "Parcel came late",
    ] * 12
    rows = pd.DataFrame(
        {
            "response_id": [f"R{i:03d}" for i in range(60)],
            "responded_at": [months[i % 6] for i in range(60)],
            "nps": [3, 10, 8, 2, 7] * 12,
            "comment": comments,
        }
    )
    rows.to_csv(tmp_path / "r.csv", index=False)
    ws.ingest(tmp_path / "r.csv", table="responses")


def test_sentiment_scores_every_response_and_saves_it(ws, tmp_path):
    _load(ws, tmp_path)
    out = Text(ws).sentiment(batch_size=7)  # several batches
    assert len(out) == 60 and out["response_id"].is_unique
    by_text = out.set_index("response_id")
    assert by_text.loc["R001", "label"] == "positive"
    assert by_text.loc["R002", "status"] == "empty"
    assert ws.table("comment_sentiment").count().execute() == 60


def test_code_frame_themes_impact_and_charts(ws, tmp_path):
    _load(ws, tmp_path)
    text = Text(ws)
    frame = {"billing": {"en": ["invoice"], "ru": ["счёт"]}, "support": ["agent"]}
    result = text.themes(frame, recent=2)
    table = result.themes.set_index("theme")
    assert table.loc["billing", "count"] == 24 and table.loc["support", "count"] == 12
    assert result.outlier_share == 12 / 48  # "Parcel came late" matches no theme of the frame
    impact = text.theme_impact("nps", bootstrap=50).set_index("theme")
    # NPS: 12 promoters, 24 detractors of 60 -> -20; without billing's 24 detractors the
    # other 36 hold 12 promoters, no detractor -> 33.3; impact = -20 - 33.3 = 24 * -80 / 36
    assert impact.loc["billing", "score"] == pytest.approx(-20.0)
    assert impact.loc["billing", "score_without"] == pytest.approx(100 / 3)
    assert impact.loc["billing", "impact"] == pytest.approx(24 * -80 / 36)
    assert len(theme_bars(result.themes).data) == 1
    assert len(theme_trend(result.trend, ["billing", "support"]).data) == 2
    bars = impact_bars(impact.reset_index())
    assert len(bars.data[0].x) == 2
    # the title names the score from the table's metric column
    assert bars.layout.title.text == "Theme impact on NPS"
    csat = impact.reset_index().assign(metric="csat")
    assert impact_bars(csat).layout.title.text == "Theme impact on CSAT"


def test_ws_text_is_the_text_namespace(tmp_path):
    import cxlens
    from cxlens.text.namespace import Text

    with cxlens.Workspace(tmp_path / "ws.duckdb") as ws:
        assert isinstance(ws.text, Text)
        assert ws.text is ws.text  # one per Workspace
