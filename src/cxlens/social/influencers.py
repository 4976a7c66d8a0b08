"""Influencer and campaign effectiveness: reach, engagement, cost, attribution and lift.

Per campaign (an influencer deal or a campaign in ``campaigns``):

* **Posts**: posts tagged with its ``campaign_id``: count, authors, reach, engagements and the
  engagement rate with its ratio-estimator interval, exactly as
  :func:`cxlens.metrics.engagement.engagement` computes it.
* **Cost**: cost per engagement, per thousand reach, per acquisition, and revenue per unit of
  cost (ROAS). A cost of 0 or a missing cost gives no ratios (a free deal is not infinitely
  efficient; the cost is more likely unrecorded) and says so in ``note``.
* **Attribution**: customers acquired with the campaign's ``campaign_id`` (or its
  ``tracking_code``, when ``customers`` carries codes instead of ids), and their revenue: the
  ``amount`` of their transactions from their ``first_seen`` on (within ``horizon_days``
  when given).
* **Incremental lift**: all customers whose ``first_seen`` falls in the campaign window
  ``[start_at, end_at)`` against those in the baseline window of the same length just before
  it. Acquisitions are taken as Poisson counts; the lift is their rate ratio with the exact
  conditional interval (given the total, the window's count is binomial; Clopper-Pearson on
  that proportion, mapped to the ratio) and the exact conditional two-sided test. The
  baseline assumes nothing else changed between the two windows: other campaigns whose window
  overlaps either window are listed in ``overlaps``, and a trend in acquisitions biases the
  ratio by the trend over one window length.

Engine work: one aggregate per source table (posts by campaign, customers by campaign,
transactions joined to attributed customers, and one conditional count of ``first_seen`` per
window); the campaigns table itself is small and read whole.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as st

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.engagement import plan_engagement
from cxlens.metrics.stats import check_confidence, check_min_n
from cxlens.social.engagement import post_engagements
from cxlens.store.query import is_present, require_columns, require_temporal, run, zero_if_missing

#: Campaign kinds :func:`influencers` can keep.
KINDS: tuple[str, ...] = ("influencer", "campaign")

#: Campaigns counted in one engine query for the lift (wider queries are split).
_LIFT_CHUNK = 100

#: Columns of :func:`influencers`.
INFLUENCER_COLUMNS: tuple[str, ...] = (
    "campaign_id",
    "kind",
    "name",
    "influencer",
    "channel",
    "start_at",
    "end_at",
    "cost",
    "posts",
    "authors",
    "reach",
    "engagements",
    "engagement_rate",
    "engagement_ci_low",
    "engagement_ci_high",
    "cost_per_engagement",
    "cost_per_thousand_reach",
    "acquisitions",
    "revenue",
    "orders",
    "cost_per_acquisition",
    "roas",
    "window_acquisitions",
    "baseline_start",
    "baseline_acquisitions",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "lift_p_value",
    "incremental_acquisitions",
    "cost_per_incremental",
    "overlaps",
    "small_sample",
    "note",
)


def rate_ratio(
    x1: ArrayLike, t1: ArrayLike, x0: ArrayLike, t0: ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Poisson rate ratio ``(x1/t1) / (x0/t0)`` with its exact conditional interval and test.

    Given ``x1 + x0``, ``x1`` is binomial with ``p = r t1 / (r t1 + t0)``; the Clopper-Pearson
    interval of ``p`` maps to ``r = p / (1 - p) * t0 / t1``, and the p-value is the exact
    binomial test of ``p = t1 / (t1 + t0)`` (equal rates), two-sided.

    Args:
        x1: counts in the exposed window.
        t1: length of the exposed window (any unit).
        x0: counts in the baseline window.
        t0: length of the baseline window (same unit).
        confidence: two-sided level of the interval.

    Returns:
        ``(ratio, low, high, p_value)`` float arrays; ratio is inf when ``x0 = 0 < x1``,
        everything NaN when ``x1 = x0 = 0`` or a length is not positive.

    Example:
        >>> r, lo, hi, p = rate_ratio([30], [45], [12], [45])
        >>> round(float(r[0]), 2), round(float(lo[0]), 2), round(float(hi[0]), 2)
        (2.5, 1.24, 5.36)
    """
    check_confidence(confidence)
    a, u, b, v = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (x1, t1, x0, t0))
    a, u, b, v = np.broadcast_arrays(a, u, b, v)
    alpha = 1.0 - confidence
    ratio = np.full(a.shape, np.nan)
    low = np.full(a.shape, np.nan)
    high = np.full(a.shape, np.nan)
    p = np.full(a.shape, np.nan)
    ok = (a + b > 0) & (u > 0) & (v > 0) & np.isfinite(a + b + u + v)
    for i in np.flatnonzero(ok):
        k, n, scale = int(a[i]), int(a[i] + b[i]), v[i] / u[i]
        ratio[i] = np.inf if b[i] == 0 else (a[i] / u[i]) / (b[i] / v[i])
        p_lo = 0.0 if k == 0 else st.beta.ppf(alpha / 2.0, k, n - k + 1)
        p_hi = 1.0 if k == n else st.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k)
        low[i] = p_lo / (1.0 - p_lo) * scale
        high[i] = np.inf if p_hi >= 1.0 else p_hi / (1.0 - p_hi) * scale
        p[i] = st.binomtest(k, n, u[i] / (u[i] + v[i])).pvalue
    return ratio, low, high, p


def _campaigns(campaigns: ir.Table) -> pd.DataFrame:
    require_columns(campaigns, "campaigns", "campaign_id")
    for col in ("start_at", "end_at"):
        if col in campaigns.columns:
            require_temporal(campaigns, "campaigns", col)
    wanted = ("campaign_id", "kind", "name", "influencer", "channel", "cost", "start_at",
              "end_at", "tracking_code")  # fmt: skip
    have = [c for c in wanted if c in campaigns.columns]
    camp = run(campaigns.select(*have), "campaigns").copy()
    for col in wanted:
        if col not in camp.columns:
            camp[col] = pd.NaT if col in ("start_at", "end_at") else None
    camp = camp[camp["campaign_id"].notna()].copy()
    camp["campaign_id"] = camp["campaign_id"].astype(str)
    camp["cost"] = pd.to_numeric(camp["cost"], errors="coerce").astype("float64")
    for col in ("start_at", "end_at"):
        camp[col] = pd.to_datetime(camp[col]).astype("datetime64[us]")
    return camp.reset_index(drop=True)


def _post_stats(posts: ir.Table, confidence: float, min_n: int) -> pd.DataFrame:
    tagged = posts.filter(posts["campaign_id"].notnull())
    tagged = tagged.mutate(campaign_id=tagged["campaign_id"].cast("string"))
    e = post_engagements(tagged)
    r = zero_if_missing(tagged["reach"]) if "reach" in tagged.columns else ibis.literal(0.0)
    aggs: dict[str, ir.Scalar] = {"posts": tagged.count(), "reach": r.sum(), "engagements": e.sum()}
    if "author" in tagged.columns:
        aggs["authors"] = tagged["author"].nunique()
    stats = run(tagged.group_by("campaign_id").aggregate(**aggs), "posts per campaign")
    if "authors" not in stats.columns:
        stats["authors"] = np.nan
    if "reach" in tagged.columns and len(stats):
        rate = plan_engagement(tagged, by=["campaign_id"], confidence=confidence, min_n=min_n)
        got = rate.run().rename(
            columns={
                "value": "engagement_rate",
                "ci_low": "engagement_ci_low",
                "ci_high": "engagement_ci_high",
                "n": "_rate_n",
            }
        )
        cols = ["campaign_id", "engagement_rate", "engagement_ci_low", "engagement_ci_high"]
        stats = stats.merge(got[[*cols, "_rate_n"]], on="campaign_id", how="left")
    return stats


def _attributed(customers: ir.Table, campaigns: ir.Table) -> ir.Table | None:
    """Return customers with the campaign they came through (by id, else by tracking code)."""
    if "campaign_id" in customers.columns:
        return customers.filter(customers["campaign_id"].notnull()).mutate(
            _camp=customers["campaign_id"].cast("string")
        )
    if "tracking_code" in customers.columns and "tracking_code" in campaigns.columns:
        codes = campaigns.filter(campaigns["tracking_code"].notnull()).select(
            _code=campaigns["tracking_code"].cast("string").upper().strip(),
            _camp=campaigns["campaign_id"].cast("string"),
        )
        code = customers["tracking_code"].cast("string").upper().strip()
        return customers.join(codes, code == codes["_code"]).drop("_code")
    return None


def _attribution(
    attributed: ir.Table, transactions: ir.Table | None, horizon_days: int | None
) -> pd.DataFrame:
    acq = run(
        attributed.group_by("_camp").aggregate(acquisitions=attributed.count()),
        "acquisitions per campaign",
    )
    acq = acq.rename(columns={"_camp": "campaign_id"})
    if transactions is None:
        return acq
    require_columns(transactions, "transactions", "customer_id", "amount")
    since = "first_seen" in attributed.columns and "occurred_at" in transactions.columns
    a = attributed.select(
        _cid=attributed["customer_id"].cast("string"),
        _camp=attributed["_camp"],
        _since=attributed["first_seen"] if since else ibis.null().cast("timestamp"),
    )
    t = transactions.filter(is_present(transactions["amount"]))
    j = t.join(a, t["customer_id"].cast("string") == a["_cid"])
    if since:
        when = j["occurred_at"]
        keep = j["_since"].isnull() | (when >= j["_since"])
        if horizon_days is not None:
            end = j["_since"] + ibis.interval(days=horizon_days)
            keep = keep & (j["_since"].isnull() | (when < end))
        j = j.filter(keep)
    rev = run(
        j.group_by("_camp").aggregate(revenue=j["amount"].cast("float64").sum(), orders=j.count()),
        "revenue of attributed customers",
    )
    rev = rev.rename(columns={"_camp": "campaign_id"})
    return acq.merge(rev, on="campaign_id", how="outer")


def windows(camp: pd.DataFrame) -> pd.DataFrame:
    """Return each campaign's window and baseline in whole days.

    The window runs from the start of ``start_at``'s day to the end of ``end_at``'s day (an
    end date counts in full); the baseline is as long and ends where the window starts.

    Returns:
        DataFrame ``campaign_id, start, end, baseline_start`` (``end`` exclusive), NaT where
        a date is missing or the end comes before the start.

    Example:
        >>> c = pd.DataFrame({"campaign_id": ["A"], "start_at": [pd.Timestamp("2024-03-11")],
        ...                   "end_at": [pd.Timestamp("2024-03-20 23:59:59")]})
        >>> windows(c)["baseline_start"].iloc[0]
        Timestamp('2024-03-01 00:00:00')
    """
    start = pd.to_datetime(camp["start_at"]).dt.floor("D")
    end = pd.to_datetime(camp["end_at"]).dt.floor("D") + pd.Timedelta(days=1)
    ok = start.notna() & end.notna() & (end > start)
    start, end = start.where(ok), end.where(ok)
    return pd.DataFrame(
        {
            "campaign_id": camp["campaign_id"].to_numpy(),
            "start": start.to_numpy(),
            "end": end.to_numpy(),
            "baseline_start": (start - (end - start)).to_numpy(),
        }
    )


def _at(value: object) -> ir.TimestampScalar:
    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")


def _lift_counts(customers: ir.Table, camp: pd.DataFrame) -> pd.DataFrame:
    """Count acquisitions in each campaign window and in the baseline window before it."""
    require_temporal(customers, "customers", "first_seen")
    win = windows(camp)
    rows = win[win["start"].notna()].reset_index(drop=True)
    window = np.zeros(len(rows), dtype=np.int64)
    base = np.zeros(len(rows), dtype=np.int64)
    first = customers["first_seen"]
    one = ibis.literal(1)
    earliest = pd.NaT
    for lo in range(0, len(rows), _LIFT_CHUNK):
        part = rows.iloc[lo : lo + _LIFT_CHUNK]
        aggs: dict[str, ir.Scalar] = {"_min": first.min()}
        bounds = zip(part["start"], part["end"], part["baseline_start"], strict=True)
        for k, (s, e, b) in enumerate(bounds):
            s_, e_, b_ = (_at(x) for x in (s, e, b))
            aggs[f"w{k}"] = ((first >= s_) & (first < e_)).ifelse(one, 0).sum()
            aggs[f"b{k}"] = ((first >= b_) & (first < s_)).ifelse(one, 0).sum()
        got = run(customers.aggregate(**aggs), "acquisitions per campaign window").iloc[0]
        if pd.notna(got["_min"]):
            earliest = pd.Timestamp(got["_min"])
        for k in range(len(part)):
            window[lo + k] = int(got[f"w{k}"]) if pd.notna(got[f"w{k}"]) else 0
            base[lo + k] = int(got[f"b{k}"]) if pd.notna(got[f"b{k}"]) else 0
    return pd.DataFrame(
        {
            "campaign_id": rows["campaign_id"],
            "baseline_start": pd.to_datetime(rows["baseline_start"]).astype("datetime64[us]"),
            "window_acquisitions": window,
            "baseline_acquisitions": base,
            "_earliest": earliest,
        }
    )


def _overlaps(camp: pd.DataFrame) -> pd.Series:
    """Return the ids of other campaigns running in a campaign's window or its baseline."""
    win = windows(camp)
    found = []
    for i in range(len(win)):
        if pd.isna(win["start"].iloc[i]):
            found.append("")
            continue
        hit = (win["start"] < win["end"].iloc[i]) & (win["end"] > win["baseline_start"].iloc[i])
        hit &= np.arange(len(win)) != i
        found.append(", ".join(win.loc[hit.fillna(False), "campaign_id"].astype(str)))
    return pd.Series(found, index=camp.index, dtype=object)


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> np.ndarray:
    n = num.to_numpy(float)
    d = den.to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(d) & (d > 0) & np.isfinite(n), scale * n / d, np.nan)


def influencers(
    campaigns: ir.Table,
    *,
    posts: ir.Table | None = None,
    customers: ir.Table | None = None,
    transactions: ir.Table | None = None,
    kind: str | None = "influencer",
    horizon_days: int | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Effectiveness of influencer deals (or any campaign): reach, engagement, cost, lift.

    Args:
        campaigns: the ``campaigns`` table (campaign_id; kind, name, influencer, channel,
            cost, start_at, end_at, tracking_code when present).
        posts: the ``posts`` table (posts tagged with ``campaign_id``); None leaves the post
            columns empty.
        customers: the ``customers`` table with ``campaign_id`` (or ``tracking_code``) and
            ``first_seen``; None leaves attribution and lift empty.
        transactions: the ``transactions`` table (customer_id, amount, occurred_at) for the
            revenue of attributed customers.
        kind: keep ``influencer`` deals (default), ``campaign`` rows, or None for all.
        horizon_days: count revenue within this many days of acquisition (None: all).
        confidence: two-sided level of the intervals.
        min_n: campaigns with fewer posts with reach are flagged ``small_sample``.

    Returns:
        DataFrame :data:`INFLUENCER_COLUMNS`, one row per campaign of that kind, then one
        per campaign id found in posts or customers but not in ``campaigns`` (with a
        ``note``). ``engagement_rate`` is percent of reach; ``lift`` is the rate ratio of
        acquisitions, window over baseline; ``incremental_acquisitions`` is
        ``window - baseline`` (equal lengths); ``overlaps`` lists other campaigns running in
        either window.

    Raises:
        SchemaError: a required column is missing or has the wrong type.
        ArgumentError: unknown ``kind``, bad ``horizon_days``, ``confidence`` or ``min_n``.

    Example:
        >>> camp = ibis.memtable({"campaign_id": ["C1"], "kind": ["influencer"],
        ...                       "cost": [500.0]})
        >>> posts = ibis.memtable({"campaign_id": ["C1", "C1", None], "likes": [40, 60, 5],
        ...                        "reach": [1000, 1000, 50]})
        >>> out = influencers(camp, posts=posts)
        >>> out[["posts", "engagements", "engagement_rate", "cost_per_engagement"]].values.tolist()
        [[2, 100.0, 5.0, 5.0]]
    """
    if kind is not None and kind not in KINDS:
        raise ArgumentError(f"unknown kind={kind!r}; use one of: {', '.join(KINDS)} or None")
    if horizon_days is not None and (
        isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1
    ):
        raise ArgumentError(
            f"horizon_days must be a positive integer or None; got {horizon_days!r}"
        )
    check_confidence(confidence)
    check_min_n(min_n)
    camp = _campaigns(campaigns)
    if camp.empty:
        raise NotEnoughDataError("the campaigns table is empty; load campaigns first")
    if camp["campaign_id"].duplicated().any():
        dup = camp.loc[camp["campaign_id"].duplicated(), "campaign_id"].iloc[0]
        raise SchemaError(f"campaigns has campaign_id {dup!r} more than once; ids must be unique")

    stats = pd.DataFrame({"campaign_id": pd.Series([], dtype=str)})
    if posts is not None:
        if "campaign_id" not in posts.columns:
            raise SchemaError("posts has no campaign_id column, so no post can be tied to a deal")
        stats = _post_stats(posts, confidence, min_n)
    attr = pd.DataFrame({"campaign_id": pd.Series([], dtype=str)})
    lift = pd.DataFrame({"campaign_id": pd.Series([], dtype=str)})
    if customers is not None:
        attributed = _attributed(customers, campaigns)
        if attributed is not None:
            attr = _attribution(attributed, transactions, horizon_days)
        if "first_seen" in customers.columns:
            lift = _lift_counts(customers, camp)

    df = camp.copy()
    df["_known"] = True
    extra = (set(stats["campaign_id"]) | set(attr["campaign_id"])) - set(df["campaign_id"])
    if extra:
        unknown = pd.DataFrame({"campaign_id": sorted(str(x) for x in extra), "_known": False})
        df = pd.concat([df, unknown], ignore_index=True)
    for part in (stats, attr, lift):
        df = df.merge(part, on="campaign_id", how="left")
    if kind is not None:
        df = df[(df["kind"] == kind) | ~df["_known"]].reset_index(drop=True)
    return _finish(df, camp, posts is not None, customers is not None, confidence, min_n)


def _finish(
    df: pd.DataFrame,
    camp: pd.DataFrame,
    have_posts: bool,
    have_customers: bool,
    confidence: float,
    min_n: int,
) -> pd.DataFrame:
    """Cost ratios, lift statistics, flags and notes on the merged campaign table."""
    for col in INFLUENCER_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    have_authors = have_posts and df["authors"].notna().any()
    counted = {"posts": have_posts, "authors": have_authors, "acquisitions": have_customers,
               "orders": have_customers}  # fmt: skip
    for col, present in counted.items():
        values = pd.to_numeric(df[col], errors="coerce")
        df[col] = (values.fillna(0) if present else values).astype("Int64")
    for col, present in (("reach", have_posts), ("engagements", have_posts),
                         ("revenue", have_customers)):  # fmt: skip
        values = df[col].astype("float64")
        df[col] = values.fillna(0.0) if present else values
    cost = df["cost"].astype("float64")
    usable = cost.where(cost > 0)
    df["cost_per_engagement"] = _ratio(usable, df["engagements"])
    df["cost_per_thousand_reach"] = _ratio(usable, df["reach"], 1000.0)
    df["cost_per_acquisition"] = _ratio(usable, df["acquisitions"].astype("float64"))
    df["roas"] = _ratio(df["revenue"], usable)

    w = df["window_acquisitions"].to_numpy(float)
    b = df["baseline_acquisitions"].to_numpy(float)
    ones = np.ones(len(df))
    r, lo, hi, p = rate_ratio(np.nan_to_num(w, nan=0.0), ones, np.nan_to_num(b, nan=0.0), ones,
                              confidence)  # fmt: skip
    have = np.isfinite(w) & np.isfinite(b)
    df["lift"] = np.where(have, r, np.nan)
    df["lift_ci_low"] = np.where(have, lo, np.nan)
    df["lift_ci_high"] = np.where(have, hi, np.nan)
    df["lift_p_value"] = np.where(have, p, np.nan)
    df["incremental_acquisitions"] = w - b
    inc = df["incremental_acquisitions"].where(df["incremental_acquisitions"] > 0)
    df["cost_per_incremental"] = _ratio(usable, inc)
    for col in ("window_acquisitions", "baseline_acquisitions", "incremental_acquisitions"):
        df[col] = df[col].astype("Int64")

    known = df["_known"].to_numpy(bool)
    overlaps = _overlaps(camp).set_axis(camp["campaign_id"])
    df["overlaps"] = df["campaign_id"].map(overlaps).where(known, None)
    rate_n = df["_rate_n"] if "_rate_n" in df.columns else pd.Series(0, index=df.index)
    df["small_sample"] = rate_n.fillna(0).to_numpy(float) < min_n
    earliest = df["_earliest"] if "_earliest" in df.columns else pd.Series(pd.NaT, index=df.index)
    note = []
    for i, row in df.iterrows():
        said: list[str] = []
        if not known[i]:
            said.append("campaign_id not in the campaigns table: no kind, cost or window")
        else:
            if pd.isna(row["cost"]):
                said.append("no cost recorded: cost ratios not computed")
            elif row["cost"] <= 0:
                said.append("cost is 0: cost ratios not computed")
            if have_customers and not np.isfinite(w[i]):
                said.append("no campaign window (start_at/end_at): lift not computed")
            elif pd.notna(earliest.iloc[i]) and row["baseline_start"] < earliest.iloc[i]:
                said.append("baseline starts before the first customer was seen")
            if row["overlaps"]:
                said.append(f"other campaigns run in its window or baseline: {row['overlaps']}")
        note.append("; ".join(said))
    df["note"] = note
    order = df.assign(_k=~df["_known"]).sort_values(
        ["_k", "start_at", "campaign_id"], kind="mergesort", na_position="last"
    )
    return order[list(INFLUENCER_COLUMNS)].reset_index(drop=True)
