"""The API through a real server process: auth, scopes, roles, metrics, uploads, audit."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest

from cxlens.api import AuditLog, KeyStore

API = "/api/v1"


def nps_of(scores: pd.Series) -> tuple[float, int]:
    s = scores.dropna()
    return 100 * ((s >= 9).mean() - (s <= 6).mean()), len(s)


def latest_full_month(first: pd.Timestamp, last: pd.Timestamp) -> pd.Period:
    """The last calendar month lying wholly between the first and the last day with data."""
    start, end = first.normalize(), last.normalize()
    months = pd.period_range(start, end, freq="M")
    full = [m for m in months if m.start_time >= start and m.end_time.normalize() <= end]
    return full[-1]


# --------------------------------------------------------------------------- authentication


def test_health_needs_no_key(served):
    with served.client() as c:
        assert c.get(f"{API}/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer nonsense", "Basic abc", "Bearer cxl_00000000_" + "A" * 43],
)
def test_missing_or_bad_keys_get_401(served, header):
    headers = {} if header is None else {"Authorization": header}
    with served.client() as c:
        r = c.get(f"{API}/workspaces/acme/overview", headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_right_id_with_a_wrong_secret_gets_401(served):
    token = served.keys["acme_admin"]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    with served.client() as c:
        r = c.get(f"{API}/workspaces", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_revoked_key_gets_401_at_once(served):
    with served.client("revoked") as c:
        assert c.get(f"{API}/workspaces/acme").status_code == 200
        KeyStore(served.folder).revoke(served.key_ids["revoked"])  # as `cxlens keys revoke`
        assert c.get(f"{API}/workspaces/acme").status_code == 401


# --------------------------------------------------------------------------- scopes and roles


def test_a_key_lists_only_its_workspaces(served):
    with served.client("acme_viewer") as c:
        body = c.get(f"{API}/workspaces").json()
    assert body["workspaces"] == ["acme"] and body["role"] == "viewer"
    with served.client("both_viewer") as c:
        assert c.get(f"{API}/workspaces").json()["workspaces"] == ["acme", "globex"]


@pytest.mark.parametrize(
    "path",
    ["", "/overview", "/metrics/nps", "/loads", "/quarantine", "/analyses/effort"],
)
def test_another_clients_workspace_is_refused_like_a_missing_one(served, path):
    with served.client("acme_admin") as c:
        other = c.get(f"{API}/workspaces/globex{path}")
        missing = c.get(f"{API}/workspaces/nosuch{path}")
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace("globex", "X") == missing.json()["detail"].replace(
        "nosuch", "X"
    )
    assert "globex" not in str(other.json()).replace("'globex'", "")  # no data leaks


def test_cross_workspace_upload_is_refused_and_audited(served):
    with served.client("globex_admin") as c:
        r = c.post(
            f"{API}/workspaces/acme/uploads",
            params={"table": "responses", "filename": "x.csv", "wait": True},
            content=b"response_id\n1\n",
        )
    assert r.status_code == 404
    log = AuditLog(served.folder).read()
    refused = log[(log.key_id == served.key_ids["globex_admin"]) & (log.outcome == "refused")]
    assert refused.workspace.tolist()[-1] == "acme"


def test_roles(served):
    with served.client("acme_viewer") as c:
        assert c.get(f"{API}/workspaces/acme/quarantine").status_code == 403
        r = c.post(
            f"{API}/workspaces/acme/uploads",
            params={"table": "responses", "filename": "x.csv"},
            content=b"a\n1\n",
        )
        assert r.status_code == 403 and "analyst" in r.json()["detail"]
        assert c.get(f"{API}/audit").status_code == 403
    with served.client("acme_analyst") as c:
        assert c.get(f"{API}/workspaces/acme/quarantine").status_code == 200
        assert c.get(f"{API}/audit").status_code == 403
    with served.client("acme_admin") as c:
        assert c.get(f"{API}/audit").status_code == 200


# --------------------------------------------------------------------------- metrics


def test_nps_matches_a_hand_computation(served):
    responses = served.tables["globex"]["responses"]
    expected, n = nps_of(responses["nps"])
    with served.client("both_viewer") as c:
        body = c.get(f"{API}/workspaces/globex/metrics/nps").json()
    row = body["rows"][0]
    assert row["n"] == n and row["value"] == pytest.approx(expected, rel=1e-12)
    assert row["ci_low"] < row["value"] < row["ci_high"]


def test_by_every_and_filters_match_pandas(served):
    t = served.tables["globex"]
    frame = t["responses"].merge(t["customers"][["customer_id", "segment"]], on="customer_id")
    touchpoints = sorted(frame["touchpoint"].dropna().unique())[:2]
    kept = frame[frame["touchpoint"].isin(touchpoints)]
    params = [("by", "segment"), ("every", "quarter")]
    params += [("filter", f"touchpoint={tp}") for tp in touchpoints]
    with served.client("both_viewer") as c:
        body = c.get(f"{API}/workspaces/globex/metrics/csat", params=params).json()
    got = pd.DataFrame(body["rows"])
    assert body["by"] == ["segment"] and body["every"] == "quarter"
    kept = kept.assign(period=pd.to_datetime(kept["responded_at"]).dt.to_period("Q").dt.start_time)
    csat = kept.dropna(subset=["csat"]).groupby(["segment", "period"])["csat"]
    want = (100 * csat.apply(lambda s: (s >= 4).mean())).rename("want").reset_index()
    want["n"] = csat.size().to_numpy()
    got["period"] = pd.to_datetime(got["period"])
    merged = want.merge(got, on=["segment", "period"], how="left")
    assert len(merged) == len(want) and merged["value"].notna().all()
    np.testing.assert_allclose(merged["value"], merged["want"], rtol=1e-12)
    assert (merged["n_x"] == merged["n_y"]).all()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/metrics/loyalty", {}, "Input should be"),
        ("/metrics/nps", {"by": "shoe_size"}, "unknown by column 'shoe_size'"),
        ("/metrics/nps", {"filter": "shoe_size=9"}, "unknown filter column 'shoe_size'"),
        ("/metrics/nps", {"filter": "_load_id=x"}, "unknown filter column '_load_id'"),
        ("/metrics/nps", {"filter": "nps=high"}, "is not a int"),
        ("/metrics/nps", {"filter": "segment"}, "column=value"),
        ("/metrics/nps", {"every": "fortnight"}, "Input should be"),
        ("/overview", {"filter": "shoe_size=9"}, "unknown filter column"),
    ],
)
def test_unknown_metrics_columns_and_values_get_422(served, path, params, message):
    with served.client("both_viewer") as c:
        r = c.get(f"{API}/workspaces/globex{path}", params=params)
    assert r.status_code == 422
    assert message in str(r.json()["detail"])
    if "column" in message and "unknown" in message:
        assert "available columns" in r.json()["detail"] and "segment" in r.json()["detail"]


def test_filter_values_are_values_never_sql(served):
    with served.client("both_viewer") as c:
        r = c.get(f"{API}/workspaces/globex/metrics/nps", params={"filter": "segment=x' OR '1'='1"})
    assert r.status_code == 200
    assert all(row["n"] == 0 for row in r.json()["rows"])  # no customer has that segment


def test_overview_tiles_agree_with_the_metrics_and_are_cached(served):
    r = served.tables["globex"]["responses"]
    with served.client("both_viewer") as c:
        first = c.get(f"{API}/workspaces/globex/overview").json()
        second = c.get(f"{API}/workspaces/globex/overview").json()
        churn = c.get(f"{API}/workspaces/globex/metrics/churn").json()["rows"]
    tiles = {t["metric"]: t for t in first["tiles"]}
    # the whole period beside each survey tile: every answer
    assert tiles["nps"]["whole"]["value"] == pytest.approx(nps_of(r["nps"])[0], rel=1e-12)
    assert tiles["csat"]["whole"]["n"] == r["csat"].notna().sum()
    csat = r["csat"].dropna()
    assert tiles["csat"]["whole"]["value"] == pytest.approx(100 * (csat >= 4).mean())
    assert tiles["ces"]["whole"]["value"] == pytest.approx(r["ces"].mean(), rel=1e-12)
    # the tile leads with the latest month the answers cover in full
    at = pd.to_datetime(r["responded_at"])
    month = latest_full_month(at.min(), at.max())
    in_month = r[at.dt.to_period("M") == month]
    assert tiles["nps"]["period"][:7] == str(month)
    assert tiles["nps"]["value"] == pytest.approx(nps_of(in_month["nps"])[0], rel=1e-12)
    last = [row for row in churn if row["n"] > 0 and not row["partial"]][-1]  # latest full
    assert tiles["churn"]["value"] == pytest.approx(last["value"], rel=1e-12)
    assert tiles["churn"]["period"] == last["period"]
    assert second["cached"] is True and second["tiles"] == first["tiles"]


def test_overview_filter_a_metric_cannot_read_marks_its_tile(served):
    tp = served.tables["globex"]["responses"]["touchpoint"].dropna().iloc[0]
    with served.client("both_viewer") as c:
        body = c.get(f"{API}/workspaces/globex/overview", params={"filter": f"touchpoint={tp}"})
    tiles = {t["metric"]: t for t in body.json()["tiles"]}
    assert tiles["nps"]["available"] and not tiles["churn"]["available"]
    assert "touchpoint" in tiles["churn"]["reason"]


# --------------------------------------------------------------------------- analyses


def test_drivers_weights_add_up_to_the_ols_r_squared(served):
    r = served.tables["globex"]["responses"]
    drivers = sorted(c for c in r.columns if c.startswith("driver_"))
    complete = r.dropna(subset=["nps", *drivers])
    X = np.column_stack([np.ones(len(complete)), complete[drivers].to_numpy(float)])
    y = complete["nps"].to_numpy(float)
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
    with served.client("both_viewer") as c:
        body = c.get(
            f"{API}/workspaces/globex/analyses/drivers", params={"bootstrap": 0, "min_n": 50}
        ).json()
    table = pd.DataFrame(body["parts"]["drivers"]["rows"])
    assert sorted(table["driver"]) == drivers
    assert table["raw_weight"].sum() == pytest.approx(r2, rel=1e-9)
    assert table["rescaled_weight"].sum() == pytest.approx(100, rel=1e-9)


def test_analyses_are_listed_and_unknown_parameters_refused(served):
    with served.client("both_viewer") as c:
        names = [a["name"] for a in c.get(f"{API}/workspaces/globex/analyses").json()["analyses"]]
        assert {"drivers", "insights", "loyalty", "effort", "value", "kpis", "alerts"} <= set(names)
        assert (
            c.get(f"{API}/workspaces/globex/analyses/loyalty", params={"colour": "red"}).status_code
            == 422
        )
        bad = c.get(f"{API}/workspaces/globex/analyses/profiles", params={"by": "shoe_size"})
        assert bad.status_code == 422 and "shoe_size" in bad.json()["detail"]
        missing = c.get(f"{API}/workspaces/globex/analyses/loyalty")  # no transactions there
        assert missing.status_code == 422 and "transactions" in missing.json()["detail"]


# --------------------------------------------------------------------------- uploads


def upload_csv(served) -> tuple[bytes, int, int]:
    """Five good new responses for acme and two bad ones (NPS 11, a date that is none)."""
    r = served.tables["acme"]["responses"]
    rows = r.head(7).copy()
    rows["response_id"] = [f"upload-{i}" for i in range(7)]
    rows["nps"] = [10, 10, 10, 0, 9, 11, 5]
    rows["responded_at"] = rows["responded_at"].astype(str)
    rows.loc[rows.index[6], "responded_at"] = "not a date"
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False)
    return buffer.getvalue().encode(), 5, 2


def test_upload_loads_good_rows_quarantines_bad_ones_and_refreshes(served):
    body, good, bad = upload_csv(served)
    before, n_before = nps_of(served.tables["acme"]["responses"]["nps"])
    with served.client("acme_analyst") as c:
        old = c.get(f"{API}/workspaces/acme/overview").json()
        r = c.post(
            f"{API}/workspaces/acme/uploads",
            content=body,
            params={"table": "responses", "filename": "more.csv", "wait": True},
        )
        assert r.status_code == 200, r.text
        result = r.json()["result"]
        assert (result["rows_loaded"], result["rows_quarantined"]) == (good, bad)
        new = c.get(f"{API}/workspaces/acme/overview").json()
        quarantine = c.get(
            f"{API}/workspaces/acme/quarantine", params={"load_id": result["load_id"]}
        ).json()
        again = c.post(
            f"{API}/workspaces/acme/uploads",
            content=body,
            params={"table": "responses", "filename": "more.csv", "wait": True},
        )
    nps_tile = {t["metric"]: t for t in new["tiles"]}["nps"]["whole"]  # every answer
    assert not new["cached"] and nps_tile["n"] == n_before + good
    expected, _ = nps_of(
        pd.concat([served.tables["acme"]["responses"]["nps"], pd.Series([10, 10, 10, 0, 9])])
    )
    assert nps_tile["value"] == pytest.approx(expected, rel=1e-12) and expected != before
    assert {t["metric"]: t for t in old["tiles"]}["nps"]["whole"]["n"] == n_before
    rules = {row["column"] for row in quarantine["rows"]}
    assert {"nps", "responded_at"} <= rules and quarantine["total"] >= bad
    assert again.json()["result"]["status"] == "already loaded"
    log = AuditLog(served.folder).read()
    ok = log[(log.action == "upload") & (log.outcome == "ok")]
    assert ok.key_id.iloc[-1] == served.key_ids["acme_analyst"]
    assert ok.detail.iloc[-2]["rows_loaded"] == good
    text = (served.folder / "_cxlens_audit.jsonl").read_text()
    assert all(token not in text for token in served.keys.values())


def test_upload_over_the_limit_gets_413_and_changes_nothing(served):
    with served.client("acme_analyst") as c:
        loads = c.get(f"{API}/workspaces/acme/loads").json()["rows"]
        big = b"response_id,nps\n" + b"x,1\n" * 300_000  # 1.2 MB > 1 MB
        r = c.post(
            f"{API}/workspaces/acme/uploads",
            content=big,
            params={"table": "responses", "filename": "big.csv", "wait": True},
        )
        assert r.status_code == 413 and "limit" in r.json()["detail"]

        def chunks():  # no Content-Length: the limit is enforced while streaming
            for _ in range(300):
                yield b"x,1\n" * 1000

        r = c.post(
            f"{API}/workspaces/acme/uploads",
            content=chunks(),
            params={"table": "responses", "filename": "big.csv", "wait": True},
        )
        assert r.status_code == 413
        assert c.get(f"{API}/workspaces/acme/loads").json()["rows"] == loads


def test_upload_job_can_be_polled(served):
    customers = served.tables["acme"]["customers"].head(3).copy()
    customers["customer_id"] = ["new-1", "new-2", "new-3"]
    body = customers.to_csv(index=False).encode()
    with served.client("acme_analyst") as c:
        r = c.post(
            f"{API}/workspaces/acme/uploads",
            content=body,
            params={"table": "customers", "filename": "new customers.csv"},
        )
        assert r.status_code == 202 and r.json()["status"] in ("queued", "running", "done")
        job_id = r.json()["job_id"]
        for _ in range(200):
            job = c.get(f"{API}/workspaces/acme/uploads/{job_id}").json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        assert job["status"] == "done" and job["result"]["rows_loaded"] == 3
        assert job["rows_read"] == 3
    with served.client("both_viewer") as c:  # another workspace's job id is unknown there
        assert c.get(f"{API}/workspaces/globex/uploads/{job_id}").status_code == 403
    with served.client("globex_admin") as c:
        assert c.get(f"{API}/workspaces/globex/uploads/{job_id}").status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"table": "responses", "filename": "../etc/passwd.csv"}, "plain file name"),
        ({"table": "responses", "filename": "x.exe"}, "with a known ending"),
        (
            {"table": "responses", "filename": "x.csv", "map": "nonsense"},
            "must look like 'Source header=column'",
        ),
        ({"table": "orders", "filename": "x.csv"}, "Input should be"),
    ],
)
def test_bad_uploads_get_422(served, params, message):
    with served.client("acme_analyst") as c:
        r = c.post(f"{API}/workspaces/acme/uploads", content=b"a\n1\n", params=params)
    assert r.status_code == 422 and message in str(r.json()["detail"])


def test_audit_shows_only_the_admins_workspaces(served):
    with served.client("both_viewer") as c:  # a refused write on globex is audited
        r = c.post(
            f"{API}/workspaces/globex/uploads",
            content=b"a\n1\n",
            params={"table": "responses", "filename": "x.csv"},
        )
        assert r.status_code == 403
    with served.client("globex_admin") as c:
        rows = c.get(f"{API}/audit").json()["rows"]
    assert rows and {r["workspace"] for r in rows} == {"globex"}
