"""Fixtures for the report tests: hand-made metric tables and small workspaces from CSVs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxlens

SEGMENTS = {"consumer": 0.66, "small_business": 0.32, "enterprise": 0.02}


def write_sources(
    folder: Path,
    *,
    customers: int = 400,
    months: int = 12,
    responses_per_month: int = 120,
    posts: bool = True,
    analyses: bool = True,
    seed: int = 7,
) -> dict[str, Path]:
    """Write customers.csv, responses.csv (and posts.csv) with a planted NPS drop.

    NPS sits near +20 and falls to about -15 in month ``months - 3`` (an outage), then
    recovers; enterprise customers are few, so their groups are small samples. With
    ``analyses`` the responses also get a touchpoint and three driver ratings that track
    NPS (reliability closely, price loosely), and transactions.csv holds purchases whose
    number grows with the customer's NPS; these are drawn from a second generator, so the
    metric columns are the same either way.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    end = start + pd.DateOffset(months=months)
    span = (end - start).total_seconds()
    ids = [f"C{i:05d}" for i in range(customers)]
    segment = rng.choice(list(SEGMENTS), size=customers, p=list(SEGMENTS.values()))
    first_seen = start + pd.to_timedelta(rng.uniform(-span, span * 0.9, customers), unit="s")
    churn_at = first_seen + pd.to_timedelta(rng.exponential(900, customers), unit="D")
    churned = pd.Series(churn_at).where(churn_at < end)
    cust = pd.DataFrame(
        {
            "customer_id": ids,
            "first_seen": first_seen.strftime("%Y-%m-%d"),
            "churned_at": churned.dt.strftime("%Y-%m-%d"),
            "segment": segment,
        }
    )
    n = months * responses_per_month
    when = start + pd.to_timedelta(np.sort(rng.uniform(0, span, n)), unit="s")
    who = rng.integers(0, customers, n)
    month_index = (when.year - start.year) * 12 + when.month - 1
    outage = month_index == months - 3
    base = np.where(segment[who] == "small_business", 7.4, 8.3) - 1.3 * outage
    nps = np.clip(np.round(rng.normal(base, 1.8)), 0, 10).astype(int)
    csat = np.clip(np.round(1 + (nps / 10) * 4 + rng.normal(0, 0.7, n)), 1, 5).astype(int)
    ces = np.clip(np.round(1.5 + (nps / 10) * 5 + rng.normal(0, 1.0, n)), 1, 7).astype(int)
    resp = pd.DataFrame(
        {
            "response_id": [f"R{i:06d}" for i in range(n)],
            "customer_id": [ids[i] for i in who],
            "responded_at": when.strftime("%Y-%m-%d %H:%M:%S"),
            "nps": nps,
            "csat": csat,
            "ces": ces,
        }
    )
    paths = {"customers": folder / "customers.csv", "responses": folder / "responses.csv"}
    if analyses:
        extra = np.random.default_rng(seed + 1)
        resp["touchpoint"] = extra.choice(["app", "billing", "support", "onboarding"], n,
                                          p=[0.4, 0.25, 0.25, 0.1])  # fmt: skip
        for name, noise in (("reliability", 0.6), ("support", 1.0), ("price", 1.8)):
            rating = 1 + 0.4 * nps + extra.normal(0, noise, n)
            resp[f"driver_{name}"] = np.clip(np.round(rating), 1, 5)
        mean_nps = pd.Series(nps).groupby(who).mean().reindex(range(customers)).fillna(7.0)
        rate = np.clip(1.0 + 0.5 * (mean_nps.to_numpy() - 5.0), 0.2, None)
        count = extra.poisson(rate * months / 2)
        buyer = np.repeat(np.arange(customers), count)
        k = len(buyer)
        paid = start + pd.to_timedelta(np.sort(extra.uniform(0, span, k)), unit="s")
        trans = pd.DataFrame(
            {
                "transaction_id": [f"T{i:06d}" for i in range(k)],
                "customer_id": [ids[i] for i in buyer],
                "occurred_at": paid.strftime("%Y-%m-%d %H:%M:%S"),
                "amount": np.round(extra.lognormal(4.0, 0.5, k), 2),
            }
        )
        paths["transactions"] = folder / "transactions.csv"
        trans.to_csv(paths["transactions"], index=False)
    cust.to_csv(paths["customers"], index=False)
    resp.to_csv(paths["responses"], index=False)
    if posts:
        k = months * 25
        posted = start + pd.to_timedelta(np.sort(rng.uniform(0, span, k)), unit="s")
        reach = rng.integers(500, 20_000, k)
        post = pd.DataFrame(
            {
                "post_id": [f"P{i:05d}" for i in range(k)],
                "platform": rng.choice(["instagram", "x", "facebook"], k),
                "brand": "Northwind",
                "posted_at": posted.strftime("%Y-%m-%d %H:%M:%S"),
                "likes": rng.binomial(reach, 0.03),
                "shares": rng.binomial(reach, 0.004),
                "comments": rng.binomial(reach, 0.006),
                "reach": reach,
            }
        )
        paths["posts"] = folder / "posts.csv"
        post.to_csv(paths["posts"], index=False)
    return paths


def load_workspace(folder: Path, **kw: object) -> cxlens.Workspace:
    """Write the sources into ``folder`` and ingest them into a new DuckDB workspace."""
    ws = cxlens.Workspace(folder / "ws.duckdb")
    for table, path in write_sources(folder, **kw).items():  # type: ignore[arg-type]
        result = ws.ingest(path, table=table)
        assert result.rows_quarantined == 0, ws.quarantine().head()
    return ws


def add_segments_and_kpis(ws: cxlens.Workspace) -> None:
    """Save RFM segments and define two KPIs, so the report shows those sections too."""
    from cxlens.analysis.segments import rfm, save_segments

    save_segments(ws, rfm(ws))
    ws.kpis.define("NPS", "nps", 30, warning_band=5, owner="CX team")
    ws.kpis.define("SMB NPS", "nps", 10, filter={"segment": "small_business"})


@pytest.fixture
def trend_df() -> pd.DataFrame:
    """An NPS trend of six months: month 3 drops significantly, month 5 rises; month 6 small."""
    return pd.DataFrame(
        {
            "period": pd.to_datetime(
                ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"]
            ),
            "n": [220, 240, 230, 210, 260, 12],
            "value": [31.0, 33.0, 18.0, 21.0, 35.0, 40.0],
            "ci_low": [21.0, 23.5, 8.0, 10.5, 26.0, 5.0],
            "ci_high": [41.0, 42.5, 28.0, 31.5, 44.0, 75.0],
            "change": [np.nan, 2.0, -15.0, 3.0, 14.0, 5.0],
            "p_value": [np.nan, 0.77, 0.03, 0.69, 0.04, 0.8],
            "significant": [False, False, True, False, True, False],
            "small_sample": [False, False, False, False, False, True],
            "promoters": [110, 120, 100, 95, 135, 6],
            "passives": [68, 78, 61, 64, 77, 5],
            "detractors": [42, 42, 69, 51, 48, 1],
        }
    )


@pytest.fixture
def segment_df() -> pd.DataFrame:
    """NPS by segment: enterprise is a small sample with the highest value."""
    return pd.DataFrame(
        {
            "segment": ["consumer", "enterprise", "small_business"],
            "n": [900, 14, 410],
            "value": [28.0, 57.0, 12.0],
            "ci_low": [23.0, 20.0, 4.0],
            "ci_high": [33.0, 94.0, 20.0],
            "change": [np.nan] * 3,
            "p_value": [np.nan] * 3,
            "significant": [False] * 3,
            "small_sample": [False, True, False],
            "promoters": [420, 9, 160],
            "passives": [250, 3, 119],
            "detractors": [230, 2, 131],
        }
    )


@pytest.fixture(scope="session")
def analysed(tmp_path_factory) -> tuple[Path, Path]:
    """One report with every section (segments and KPIs too), built once for the session.

    Returns (report path, folder holding ws.duckdb); the report sits alone in ``out/``.
    """
    from cxlens.report import build_report

    folder = tmp_path_factory.mktemp("full")
    ws = load_workspace(folder)
    add_segments_and_kpis(ws)
    try:
        out = build_report(ws, folder / "out" / "report.html", client="Northwind <Connect> & Co")
    finally:
        ws.close()
    return out, folder
