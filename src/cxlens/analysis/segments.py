"""Customer segmentation: RFM scores and segments, and k-means clusters described in words.

* :func:`rfm`: recency, frequency and monetary value per customer with 1-5 quintile scores
  computed in the engine (``ntile`` windows), named by an 11-segment R × FM grid.
* :func:`clusters`: scikit-learn k-means on standardised behaviour and attitude features,
  k chosen by silhouette, each cluster described by what sets it apart and profiled
  (size, NPS, CSAT, CES, churn, value) in the engine.
* :func:`save_segments`: store the labels as ``customer_segments`` so that
  ``ws.metrics.nps(by=["cluster"])`` or ``by=["rfm_segment"]`` work.
* :func:`segment_profile`: profile saved (or given) segments in the engine; segments
  smaller than ``min_n`` are flagged and not ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxlens.analysis.features import (
    PROFILE_COLUMNS,
    as_microseconds,
    plan_features,
    profile,
    resolve_as_of,
)
from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.metrics.stats import check_min_n
from cxlens.schema.derived import SEGMENTS_TABLE
from cxlens.store.catalog import Catalog
from cxlens.store.query import is_present, require_columns, run

Timestamp = str | date | datetime | pd.Timestamp

#: Name of the derived table that holds segment labels.

#: Label columns :func:`save_segments` stores by default, when the frame has them.
LABEL_COLUMNS: tuple[str, ...] = ("rfm_segment", "rfm_score", "cluster", "quadrant")

# --- RFM -------------------------------------------------------------------------------------

#: The 11 RFM segments, best first.
RFM_SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose",
    "Hibernating",
    "Lost",
)

#: Segment of each R score (rows, 5 first) and FM score (columns, 1 to 5).
#: Names and intent follow the 11-segment table of Putler's RFM guide ("RFM Analysis for
#: Successful Customer Segmentation", putler.com/rfm-analysis), which gives overlapping R and
#: F+M ranges; here every cell has exactly one segment.
RFM_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("New", "Potential loyalist", "Loyal", "Champions", "Champions"),
    4: ("Promising", "Potential loyalist", "Loyal", "Champions", "Champions"),
    3: ("Promising", "Need attention", "Need attention", "Loyal", "Loyal"),
    2: ("About to sleep", "About to sleep", "At risk", "At risk", "Can't lose"),
    1: ("Lost", "Hibernating", "At risk", "Can't lose", "Can't lose"),
}


def fm_score(f: Any, m: Any) -> Any:
    """Combine frequency and monetary scores: their mean, halves rounded up (1-5).

    Example:
        >>> fm_score([4, 1, 3], [5, 2, 3]).tolist()
        [5, 2, 3]
    """
    return (np.asarray(f) + np.asarray(m) + 1) // 2


def rfm_segment_names(r: Any, f: Any, m: Any) -> np.ndarray:
    """Name the RFM segment of score combinations by :data:`RFM_GRID` (vectorised).

    Args:
        r: recency scores 1-5 (5 = most recent).
        f: frequency scores 1-5.
        m: monetary scores 1-5.

    Returns:
        Array of segment names.

    Example:
        >>> rfm_segment_names([5, 1, 2], [5, 1, 5], [4, 1, 5]).tolist()
        ['Champions', 'Lost', "Can't lose"]
    """
    ra = np.asarray(r, dtype=int)
    fm = np.asarray(fm_score(np.asarray(f, dtype=int), np.asarray(m, dtype=int)), dtype=int)
    for name, arr in (("r", ra), ("f or m", fm)):
        if arr.size and (arr.min() < 1 or arr.max() > 5):
            raise ArgumentError(f"RFM {name} scores must lie in 1-5")
    grid = np.array([RFM_GRID[s] for s in (1, 2, 3, 4, 5)], dtype=object)
    return grid[ra - 1, fm - 1]


def _rfm_values(transactions: ir.Table, as_of: pd.Timestamp) -> ir.Table:
    require_columns(transactions, "transactions", "customer_id", "occurred_at", "amount")
    t = transactions
    cutoff = ibis.literal(as_of, type="timestamp")
    rows = t.filter(t["customer_id"].notnull(), t["occurred_at"] <= cutoff, is_present(t["amount"]))
    amount = rows["amount"].cast("float64")
    purchase = amount > 0
    per = rows.group_by("customer_id").aggregate(
        frequency=purchase.ifelse(1, 0).sum().cast("int64"),
        monetary=amount.sum(),
        last_purchase_at=rows["occurred_at"].max(where=purchase),
    )
    per = per.filter(per["frequency"] > 0)
    days = (
        cutoff.epoch_seconds().cast("float64")
        - per["last_purchase_at"].epoch_seconds().cast("float64")
    ) / 86_400.0
    return per.mutate(recency_days=days)


def plan_rfm(ws: Catalog, as_of: Timestamp | None = None) -> tuple[ir.Table, pd.Timestamp]:
    """Plan the RFM query: values and quintile scores per customer, as one Ibis expression.

    Returns:
        ``(expr, as_of)``; see :func:`rfm` for the columns and rules.

    Raises:
        SchemaError: the workspace has no transactions table.

    Example:
        >>> expr, as_of = plan_rfm(ws)  # doctest: +SKIP
    """
    if not ws.has_table("transactions"):
        raise SchemaError(
            "RFM needs the transactions table (customer_id, occurred_at, amount); ingest one "
            "with ws.ingest(FILE, table='transactions')"
        )
    stamp = resolve_as_of(ws, as_of)
    per = _rfm_values(ws.table("transactions"), stamp)
    cid = per["customer_id"]

    def score(*order: ir.Value) -> ir.Value:
        return (ibis.ntile(5).over(ibis.window(order_by=[*order, cid])) + 1).cast("int64")

    expr = per.mutate(
        r_score=score(per["recency_days"].desc()),
        f_score=score(per["frequency"]),
        m_score=score(per["monetary"]),
    )
    return expr, stamp


def rfm_rules(as_of: pd.Timestamp) -> list[str]:
    """Return how :func:`rfm` scores and names customers, as sentences, for ``as_of``.

    Example:
        >>> rfm_rules(pd.Timestamp("2025-12-31"))[0][:38]
        'recency: days from the last purchase ('
    """
    return [
        f"recency: days from the last purchase (amount > 0) to {as_of:%Y-%m-%d %H:%M}; "
        "frequency: purchases; monetary: net revenue (refunds subtracted), all history",
        "scores: quintiles over customers with at least one purchase, by ntile(5) in the "
        "engine (5 = most recent, most frequent, highest value); equal values are ordered "
        "by customer_id, so ties at a quintile boundary can get neighbouring scores",
        "FM score: mean of the F and M scores, halves rounded up",
        "segments: the R x FM grid RFM_GRID (11 segments after Putler's RFM table, overlaps "
        "resolved so each cell has one segment)",
    ]


def rfm(ws: Catalog, as_of: Timestamp | None = None) -> pd.DataFrame:
    """Score every purchasing customer on recency, frequency and monetary value, and name them.

    In the engine: per customer (transactions up to ``as_of``) the days since the last
    purchase (``amount > 0``), the number of purchases and the net revenue; then 1-5 scores
    by quintile with ``ntile(5)`` windows over all customers (5 = best; ties ordered by
    customer_id, so equal values at a boundary can get neighbouring scores). In pandas: the
    segment from :data:`RFM_GRID` on R and ``FM = ceil((F + M) / 2)``. Customers without a
    purchase have no row.

    Args:
        ws: the Workspace (needs transactions).
        as_of: the date recency is measured to (default: the last date in the data).

    Returns:
        DataFrame sorted by customer_id: ``customer_id, recency_days, frequency, monetary,
        last_purchase_at, r_score, f_score, m_score, fm_score, rfm_score`` (e.g. "545"),
        ``rfm_segment``, ``as_of`` (the date recency is measured to, on every row);
        :func:`rfm_rules` states the rules.

    Raises:
        SchemaError: no transactions table.
        NotEnoughDataError: no customer has a purchase.

    Example:
        >>> table = rfm(ws)  # doctest: +SKIP
        >>> table.rfm_segment.value_counts()  # doctest: +SKIP
    """
    expr, stamp = plan_rfm(ws, as_of)
    cols = ["customer_id", "recency_days", "frequency", "monetary", "last_purchase_at",
            "r_score", "f_score", "m_score"]  # fmt: skip
    frame = as_microseconds(run(expr.select(*cols).order_by("customer_id"), "RFM scores"))
    if frame.empty:
        raise NotEnoughDataError(
            f"no customer has a purchase (amount > 0) up to {stamp:%Y-%m-%d}; RFM needs some"
        )
    frame["fm_score"] = fm_score(frame["f_score"], frame["m_score"]).astype("int64")
    frame["rfm_score"] = (
        frame["r_score"].astype(str) + frame["f_score"].astype(str) + frame["m_score"].astype(str)
    )
    frame["rfm_segment"] = rfm_segment_names(frame["r_score"], frame["f_score"], frame["m_score"])
    frame["rfm_segment"] = frame["rfm_segment"].astype(str)
    frame["as_of"] = pd.Timestamp(stamp)
    return frame


# --- clusters --------------------------------------------------------------------------------

#: Behaviour features clustered by default.
BEHAVIOUR_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency_12m",
    "revenue_12m",
    "tenure_days",
)

#: Attitude features clustered by default (customer means).
ATTITUDE_FEATURES: tuple[str, ...] = ("mean_nps", "mean_csat", "mean_ces")

#: Features put through a signed log1p before standardising (counts and money are skewed).
LOG_FEATURES = frozenset(
    {"frequency", "frequency_12m", "revenue", "revenue_12m", "monetary_mean", "n_events",
     "events_12m", "n_transactions", "n_responses", "acquisition_cost"}
)  # fmt: skip

_ATTITUDE = frozenset({"mean_nps", "mean_csat", "mean_ces", "last_nps", "last_csat", "last_ces"})

#: Words for a feature well above / below the average customer.
WORDS: dict[str, tuple[str, str]] = {
    "recency_days": ("long since last purchase", "recent purchase"),
    "frequency": ("high frequency", "low frequency"),
    "frequency_12m": ("high frequency", "low frequency"),
    "revenue": ("high lifetime spend", "low lifetime spend"),
    "revenue_12m": ("high spend", "low spend"),
    "monetary_mean": ("large orders", "small orders"),
    "tenure_days": ("long tenure", "short tenure"),
    "mean_nps": ("high NPS", "low NPS"),
    "last_nps": ("high NPS", "low NPS"),
    "mean_csat": ("high CSAT", "low CSAT"),
    "last_csat": ("high CSAT", "low CSAT"),
    "mean_ces": ("easy to deal with (high CES)", "high effort (low CES)"),
    "last_ces": ("easy to deal with (high CES)", "high effort (low CES)"),
    "events_12m": ("highly engaged", "little engagement"),
    "n_events": ("highly engaged", "little engagement"),
}

#: Fewest customers :func:`clusters` accepts: this many, and 5 per cluster of the largest k.
MIN_CLUSTER_CUSTOMERS = 20

#: Largest sample the silhouette is computed on.
SILHOUETTE_SAMPLE = 10_000

#: |z| from which a feature is named in a cluster's description.
DESCRIBE_Z = 0.5


@dataclass
class ClusterResult:
    """k-means segments of customers.

    Attributes:
        labels: ``customer_id, cluster`` ("C1" = largest), ``imputed_attitude``.
        profile: one row per cluster: ``cluster, description``, the profile columns of
            :func:`cxlens.analysis.features.profile` (customers, share, revenue, value,
            retention, churn, NPS, CSAT, CES, small_sample...), ``rank`` (by value per
            customer; none for small clusters) and ``z_<feature>`` per feature.
        k: number of clusters.
        silhouette: ``k, silhouette, chosen`` for every k tried.
        features: features clustered.
        notes: how the data were prepared (imputation, transforms, sampling).
        model: the fitted ``sklearn.cluster.KMeans`` (on standardised features).
    """

    labels: pd.DataFrame
    profile: pd.DataFrame
    k: int
    silhouette: pd.DataFrame
    features: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    model: Any = field(default=None, repr=False)


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def prepare_matrix(
    frame: pd.DataFrame, features: Sequence[str]
) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Impute, transform and standardise per-customer features for clustering.

    Rules: a missing attitude feature (no answer) is set to the median of the customers who
    answered and flagged; a missing ``recency_days`` (never bought) is set to the customer's
    ``tenure_days`` when known, else the largest recency; other gaps get the median.
    Columns in :data:`LOG_FEATURES` go through ``sign(x) * log1p(|x|)``. Columns that are
    empty or constant are dropped. Everything is then standardised (z-scores).

    Args:
        frame: per-customer features.
        features: columns to use.

    Returns:
        ``(X, used, imputed_attitude, notes)``: the standardised matrix, the columns kept,
        a boolean array (row had an attitude feature imputed) and notes.

    Example:
        >>> f = pd.DataFrame({"mean_nps": [9.0, None, 3.0], "revenue_12m": [0.0, 10.0, 99.0]})
        >>> X, used, imputed, notes = prepare_matrix(f, ["mean_nps", "revenue_12m"])
        >>> X.shape, imputed.tolist()
        ((3, 2), [False, True, False])
    """
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"cluster feature(s) {', '.join(missing)} are not in the feature table; "
            f"available: {', '.join(frame.columns)}"
        )
    notes: list[str] = []
    imputed = np.zeros(len(frame), dtype=bool)
    columns: dict[str, np.ndarray] = {}
    for col in features:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        gaps = ~np.isfinite(values)
        if gaps.all():
            notes.append(f"{col} dropped: no customer has a value")
            continue
        if gaps.any():
            values, note = _impute(frame, col, values, gaps)
            notes.append(note)
            if col in _ATTITUDE:
                imputed |= gaps
        if col in LOG_FEATURES:
            values = _signed_log1p(values)
        if np.std(values) == 0:
            notes.append(f"{col} dropped: the same for every customer")
            continue
        columns[col] = values
    if not columns:
        raise NotEnoughDataError("no cluster feature varies between customers")
    used = list(columns)
    X = np.column_stack([columns[c] for c in used])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    logged = [c for c in used if c in LOG_FEATURES]
    if logged:
        notes.append(f"signed log1p applied to {', '.join(logged)} (skewed counts and money)")
    notes.append("features standardised to z-scores before k-means")
    return X, used, imputed, notes


def _impute(
    frame: pd.DataFrame, col: str, values: np.ndarray, gaps: np.ndarray
) -> tuple[np.ndarray, str]:
    values = values.copy()
    n = int(gaps.sum())
    if col == "recency_days":
        tenure = (
            pd.to_numeric(frame["tenure_days"], errors="coerce").to_numpy(dtype=float)
            if "tenure_days" in frame.columns
            else np.full(len(values), np.nan)
        )
        fill = np.where(np.isfinite(tenure), tenure, np.nanmax(values))
        values[gaps] = fill[gaps]
        return values, (
            f"recency_days: {n} customers without a purchase set to their tenure (or the "
            "largest recency)"
        )
    median = float(np.nanmedian(values))
    values[gaps] = median
    if col in _ATTITUDE:
        return values, (
            f"{col}: {n} customers without an answer set to the median of those who answered "
            f"({median:.3g}) and flagged in imputed_attitude"
        )
    return values, f"{col}: {n} customers without a value set to the median ({median:.3g})"


def _silhouette(X: np.ndarray, labels: np.ndarray, seed: int) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    size = SILHOUETTE_SAMPLE if len(X) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(X, labels, sample_size=size, random_state=seed))


def fit_kmeans(
    X: np.ndarray,
    k: int | None = None,
    k_range: Sequence[int] = range(2, 9),
    seed: int = 0,
) -> tuple[np.ndarray, int, pd.DataFrame, Any]:
    """Fit k-means for each k (or the given k) and keep the one with the best silhouette.

    KMeans uses ``n_init=10`` and ``random_state=seed``; the silhouette is computed on all
    rows, or on a seeded sample of :data:`SILHOUETTE_SAMPLE` rows when there are more.

    Args:
        X: standardised matrix (customers × features).
        k: number of clusters, or None to choose from ``k_range``.
        k_range: candidate numbers of clusters.
        seed: random seed.

    Returns:
        ``(labels, k, silhouette_table, model)``; labels are 0..k-1 ordered by size (0 is
        the largest); the table has ``k, silhouette, chosen``.

    Raises:
        NotEnoughDataError: fewer rows than ``max(20, 5 * largest k)``, or a given ``k``
            above the number of distinct rows (some segments would be empty).

    Example:
        >>> from sklearn.datasets import make_blobs
        >>> X, _ = make_blobs(300, centers=3, cluster_std=0.5, random_state=1)
        >>> fit_kmeans(X, k_range=range(2, 6))[1]
        3
    """
    from sklearn.cluster import KMeans

    candidates = [int(k)] if k is not None else sorted({int(c) for c in k_range})
    if not candidates or min(candidates) < 2:
        raise ArgumentError(f"k must be at least 2; got {k if k is not None else k_range!r}")
    needed = max(MIN_CLUSTER_CUSTOMERS, 5 * max(candidates))
    if len(X) < needed:
        raise NotEnoughDataError(
            f"clustering into up to {max(candidates)} segments needs at least {needed} "
            f"customers (5 per segment, and {MIN_CLUSTER_CUSTOMERS} at least); got {len(X)}"
        )
    distinct = len(np.unique(X, axis=0))
    if k is not None and int(k) > distinct:  # k-means would leave segments empty
        raise NotEnoughDataError(
            f"cannot cluster into {int(k)} segments: the customers have only {distinct} "
            f"distinct profiles; ask for at most {distinct} or let the silhouette choose"
        )
    fits = []
    for c in candidates:
        model = KMeans(n_clusters=c, n_init=10, random_state=seed).fit(X)
        fits.append((c, _silhouette(X, model.labels_, seed), model))
    best = max(fits, key=lambda f: (np.nan_to_num(f[1], nan=-2.0), -f[0]))
    table = pd.DataFrame({"k": [f[0] for f in fits], "silhouette": [f[1] for f in fits]})
    table["chosen"] = table["k"] == best[0]
    return _by_size(best[2].labels_), best[0], table, best[2]


def _by_size(labels: np.ndarray) -> np.ndarray:
    counts = np.bincount(labels)
    order = np.argsort(-counts, kind="stable")
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return remap[labels]


def describe_clusters(
    X: np.ndarray, labels: np.ndarray, features: Sequence[str], top: int = 3
) -> tuple[list[str], np.ndarray]:
    """Describe each cluster by the features whose mean sets it apart most.

    A feature is named when the cluster mean of its standardised values (a z-score against
    all customers) is at least :data:`DESCRIBE_Z` in size; the ``top`` largest are named,
    e.g. "high frequency, low NPS, long tenure".

    Args:
        X: standardised matrix.
        labels: cluster per row (0..k-1).
        features: column names of ``X``.
        top: most features named per cluster.

    Returns:
        ``(descriptions, z)`` with ``z`` of shape (k, features).

    Example:
        >>> X = np.array([[1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, 1.0]])
        >>> describe_clusters(X, np.array([0, 0, 1, 1]), ["frequency", "mean_nps"])[0]
        ['high frequency, low NPS', 'low frequency, high NPS']
    """
    k = int(labels.max()) + 1
    z = np.vstack([X[labels == c].mean(axis=0) for c in range(k)])
    out = []
    for row in z:
        order = [i for i in np.argsort(-np.abs(row), kind="stable") if abs(row[i]) >= DESCRIBE_Z]
        words = []
        for i in order[:top]:
            high, low = WORDS.get(features[i], (f"high {features[i]}", f"low {features[i]}"))
            words.append(high if row[i] > 0 else low)
        out.append(", ".join(words) if words else "close to the average customer")
    return out, z


def _rank(table: pd.DataFrame, by: str = "value_per_customer") -> pd.Series:
    ranked = table[by].where(~table["small_sample"])
    return ranked.rank(ascending=False, method="min").astype("Int64")


def clusters(
    ws: Catalog,
    k: int | None = None,
    k_range: Sequence[int] = range(2, 9),
    features: Sequence[str] = BEHAVIOUR_FEATURES + ATTITUDE_FEATURES,
    seed: int = 0,
    *,
    min_n: int = 30,
    confidence: float = 0.95,
    as_of: Timestamp | None = None,
) -> ClusterResult:
    """Segment customers with k-means on standardised behaviour and attitude features.

    The per-customer feature table is built in the engine and pulled once; features are
    imputed, log-transformed where skewed and standardised (:func:`prepare_matrix`); k is
    chosen by silhouette (:func:`fit_kmeans`); each cluster is described in words
    (:func:`describe_clusters`) and profiled in the engine by joining the labels to the
    feature expression (size, NPS, CSAT, CES, churn, revenue and value per customer).
    Clusters are named "C1", "C2"... by size. Clusters smaller than ``min_n`` are flagged
    and get no rank.

    Args:
        ws: the Workspace.
        k: number of clusters, or None to choose by silhouette.
        k_range: candidate k when ``k`` is None.
        features: feature columns (default: recency_days, frequency_12m, revenue_12m,
            tenure_days, mean_nps, mean_csat, mean_ces).
        seed: random seed of k-means and of the silhouette sample.
        min_n: clusters with fewer customers are flagged ``small_sample``.
        confidence: two-sided level of the profile intervals.
        as_of: the date the features describe (default: last date in the data).

    Returns:
        ClusterResult (``labels``, ``profile``, ``k``, ``silhouette``, ``features``,
        ``notes``, ``model``).

    Raises:
        NotEnoughDataError: too few customers for the largest k.
        SchemaError: a feature column does not exist.

    Example:
        >>> seg = clusters(ws, seed=0)  # doctest: +SKIP
        >>> seg.profile[["cluster", "customers", "description"]]  # doctest: +SKIP
    """
    check_min_n(min_n)
    plan = plan_features(ws, as_of)
    frame = plan.execute()
    X, used, imputed, notes = prepare_matrix(frame, list(features))
    labels, chosen, sil, model = fit_kmeans(X, k, k_range, seed)
    if len(X) > SILHOUETTE_SAMPLE:
        notes.append(
            f"silhouette computed on a seeded sample of {SILHOUETTE_SAMPLE:,} of "
            f"{len(X):,} customers"
        )
    names = np.array([f"C{i + 1}" for i in range(chosen)])
    label_frame = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(),
            "cluster": names[labels],
            "imputed_attitude": imputed,
        }
    )
    descriptions, z = describe_clusters(X, labels, used)
    table = segment_profile(
        ws, "cluster", labels=label_frame, min_n=min_n, confidence=confidence, as_of=plan.as_of
    )
    words = pd.DataFrame({"cluster": names, "description": descriptions})
    for j, col in enumerate(used):
        words[f"z_{col}"] = z[:, j]
    table = words.merge(table, on="cluster", how="left")
    table = table[["cluster", "description", *PROFILE_COLUMNS, "rank",
                   *[f"z_{c}" for c in used]]]  # fmt: skip
    return ClusterResult(
        labels=label_frame,
        profile=table,
        k=chosen,
        silhouette=sil,
        features=tuple(used),
        notes=notes,
        model=model,
    )


# --- storing and profiling segments ----------------------------------------------------------


def save_segments(
    ws: Catalog, frame: pd.DataFrame, columns: Sequence[str] | None = None
) -> ir.Table:
    """Store segment labels per customer as the ``customer_segments`` table.

    Labels are stored as strings. Columns already in ``customer_segments`` that ``frame``
    does not bring are kept (matched on customer_id), so RFM segments and clusters can be
    saved one after the other. Afterwards ``ws.metrics.nps(by=["cluster"])`` and
    ``by=["rfm_segment"]`` group by them.

    Args:
        ws: the Workspace.
        frame: ``customer_id`` and label columns (e.g. from :func:`rfm` or
            ``clusters(...).labels``).
        columns: label columns to store (default: those of :data:`LABEL_COLUMNS` in frame).

    Returns:
        The stored table as an Ibis expression.

    Raises:
        SchemaError: no customer_id or no label column, or a customer appears twice.

    Example:
        >>> save_segments(ws, rfm(ws))  # doctest: +SKIP
        >>> ws.metrics.nps(by=["rfm_segment"])  # doctest: +SKIP
    """
    if "customer_id" not in frame.columns:
        raise SchemaError("the segment frame needs a customer_id column")
    cols = list(columns) if columns is not None else [c for c in LABEL_COLUMNS if c in frame]
    if not cols:
        raise SchemaError(
            f"the segment frame has no label column; expected one of {', '.join(LABEL_COLUMNS)}"
            " or pass columns=[...]"
        )
    for col in cols:
        if col not in frame.columns or col == "customer_id":
            raise SchemaError(f"label column '{col}' is not in the segment frame")
    new = frame[["customer_id", *cols]].copy()
    if new["customer_id"].duplicated().any():
        raise SchemaError("the segment frame lists a customer_id more than once")
    new = new.astype("string")
    if ws.has_table(SEGMENTS_TABLE):
        old = run(ws.table(SEGMENTS_TABLE), "the saved segments").astype("string")
        keep = [c for c in old.columns if c not in cols]
        new = old[keep].merge(new, on="customer_id", how="outer")
    return ws.save_table(SEGMENTS_TABLE, new.sort_values("customer_id").reset_index(drop=True))


def segment_profile(
    ws: Catalog,
    by: str = "cluster",
    *,
    labels: pd.DataFrame | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
    as_of: Timestamp | None = None,
) -> pd.DataFrame:
    """Profile segments in the engine: size, revenue, value, retention, NPS, CSAT, CES.

    The labels (``labels``, or the saved ``customer_segments`` table) are joined to the
    feature expression in the engine and aggregated there (see
    :func:`cxlens.analysis.features.profile`). Segments smaller than ``min_n`` are flagged
    ``small_sample`` and get no ``rank``; the others are ranked by value per customer.
    Customers without a label are left out.

    Args:
        ws: the Workspace.
        by: the label column (e.g. ``"cluster"``, ``"rfm_segment"``).
        labels: ``customer_id`` and ``by``; None reads ``customer_segments``.
        min_n: smallest segment that is ranked.
        confidence: two-sided level of the intervals.
        as_of: the date the features describe (default: last date in the data).

    Returns:
        DataFrame with ``by``, the profile columns (customers, share, revenue_per_customer
        and interval, revenue_sd, revenue_total, value_per_customer,
        purchases_per_customer, retention and churn rates with intervals, nps with
        interval, csat, ces, their n, small_sample) and ``rank``.

    Raises:
        SchemaError: no labels given or saved, or ``by`` is not among them.

    Example:
        >>> segment_profile(ws, "rfm_segment")  # doctest: +SKIP
    """
    plan = plan_features(ws, as_of)
    if labels is None:
        if not ws.has_table(SEGMENTS_TABLE):
            raise SchemaError("no segments saved yet; run save_segments(ws, frame) or pass labels=")
        right = ws.table(SEGMENTS_TABLE)
    else:
        right = ibis.memtable(labels[["customer_id", by]].astype({"customer_id": str}))
    if by not in right.columns:
        raise SchemaError(f"segment column '{by}' not found; have: {', '.join(right.columns)}")
    right = right.select(right["customer_id"].name("_seg_customer_id"), right[by])
    f = plan.expr.drop(by) if by in plan.expr.columns else plan.expr
    joined = f.join(right, f["customer_id"] == right["_seg_customer_id"]).drop("_seg_customer_id")
    joined = joined.filter(joined[by].notnull())
    table = profile(joined, by, confidence=confidence, min_n=min_n)
    table["rank"] = _rank(table)
    return table
