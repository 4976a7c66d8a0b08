"""Identity resolution: link records of one person, cluster them, give each a customer_id.

:func:`resolve` runs the whole linkage on the Workspace's engine with Splink (the model in
:mod:`cxlens.identity.rules`): it trains the model on the records, scores the blocked pairs,
keeps the links (deterministic rules or a match probability at or above the threshold),
clusters them into connected components and assigns ``customer_id``: the id a cluster's records
already carry (the most common one when they disagree, flagged as a conflict), else
``"cx:" + the cluster's first record id``. :func:`link_new` links records loaded since then to
the existing customers with the saved model, without re-running the rest.

Derived tables written (replaced whole by :func:`resolve`, extended by :func:`link_new`):

* ``identity_clusters``: one row per identities record: ``source``, ``source_id``,
  ``record_id``, ``customer_id``, ``cluster_size``, ``duplicate_of`` (the record an exact
  duplicate was folded into), ``known_ids`` (distinct customer ids loaded on the cluster's
  records), ``conflict``, ``resolved_at``.
* ``identity_links``: one row per link: both records' ``source``/``source_id``/``record_id``,
  ``match_probability``, ``match_weight``, ``rule`` ("email", "phone" or "model"),
  ``blocked_by`` (the blocking rule that paired them), ``evidence`` (each comparison's level
  in words with its match weight), ``gamma_*`` (level) and ``mw_*`` (match weight, log2
  Bayes factor) columns. No PII is copied:
  :meth:`Identity.evidence` joins the values from identities when asked.
* ``identity_model``: the trained Splink model (JSON) and the run's settings.
* ``identity_customer_map``: loaded customer id -> resolved ``customer_id``, through which
  the Catalog reads responses, transactions and events (:mod:`cxlens.store.customer_ids`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.identity import _splink as sp
from cxlens.identity import clean, keys, rules
from cxlens.store.query import run

CLUSTERS_TABLE = "identity_clusters"
LINKS_TABLE = "identity_links"
MODEL_TABLE = "identity_model"
COMPARISONS = ("name", "birth_date", "email", "phone", "address", "city")
#: Records sampled for each expectation-maximisation pass (all of them on smaller tables).
EM_RECORDS = 200_000
#: The most pairs a wide blocking rule or a training pass may compare (``max_block_pairs``).
MAX_BLOCK_PAIRS = 1_000_000
#: The share of true matches the deterministic rules are assumed to find (prior estimate).
PRIOR_RECALL = 0.7


@dataclass
class Resolution:
    """What a resolution run did.

    ``records``: identities records; ``customers``: distinct customer ids; ``pairs_compared``:
    pairs the blocking rules produced and the model scored; ``links``: pairs linked;
    ``conflicts``: clusters whose records carry different loaded customer ids;
    ``blocking_rules``: the rules in words; ``seconds``: wall time.
    """

    records: int
    customers: int
    pairs_compared: int
    links: int
    conflicts: int
    blocking_rules: list[str]
    seconds: float
    threshold: float
    parameters: dict[str, Any] = field(default_factory=dict)


def _check(threshold: float) -> None:
    if not 0 < threshold < 1:
        raise ArgumentError(f"threshold must lie strictly between 0 and 1, not {threshold}")


def _identities(ws: Any) -> ir.Table:
    if not ws.has_table("identities"):
        raise NotEnoughDataError(
            "identity resolution needs the identities table; load source records with "
            "ws.ingest(FILE, table='identities', mapping=...)"
        )
    return ws.table("identities")


def resolve(
    ws: Any,
    *,
    threshold: float = 0.9,
    default_region: str = "GB",
    name_metric: str = "jaro_winkler",
    max_pairs: float = 1e6,
    seed: int = 7,
    max_block_pairs: float = MAX_BLOCK_PAIRS,
) -> Resolution:
    """Link, cluster and assign a customer_id to every identities record; save the tables.

    Args:
        ws: the Workspace (DuckDB or Spark).
        threshold: match probability at or above which the model links two records.
        default_region: phone region of numbers written without a country code.
        name_metric: "jaro_winkler" or "levenshtein" (see :func:`rules.settings`).
        max_pairs: random pairs sampled to estimate the u-probabilities.
        seed: seed of that sample.
        max_block_pairs: a wide blocking rule (:data:`rules.WIDE_BLOCKING_RULES`) or an
            expectation-maximisation pass is used only when it compares at most this many
            pairs.

    Returns:
        A :class:`Resolution` summary; the results are in ``identity_clusters``,
        ``identity_links`` and ``identity_model``.

    Raises:
        NotEnoughDataError: no identities table, fewer than two records, or nothing the
            records could be compared on (no two records with a name, date of birth,
            e-mail, phone, address, postcode or city; or every blocking rule over the budget).
        ArgumentError: a threshold outside (0, 1), an unknown region or name metric.

    Example:
        >>> resolve(ws).customers  # doctest: +SKIP
        2001
    """
    _check(threshold)
    if name_metric not in rules.NAME_METRICS:
        raise ArgumentError(
            f"name_metric must be one of {', '.join(rules.NAME_METRICS)}, not {name_metric!r}"
        )
    parameters = {
        "threshold": threshold,
        "default_region": default_region,
        "name_metric": name_metric,
        "max_pairs": max_pairs,
        "seed": seed,
        "max_block_pairs": max_block_pairs,
    }
    with sp.quiet(), ws.engine.folds_held():  # Splink keeps the DuckDB connection
        return _resolve(ws, parameters)


def _resolve(ws: Any, parameters: dict[str, Any]) -> Resolution:
    from splink import Linker

    start = time.perf_counter()
    threshold = parameters["threshold"]
    # the prepared records are computed once and read by the linkage and the assignment
    scratch_prepared = sp.materialise(
        ws, sp.SCRATCH + "prepared", clean.prepare(_identities(ws), parameters["default_region"])
    )
    prepared = ws.con.table(scratch_prepared)
    kept = prepared.filter(prepared["record_id"] == prepared["keep_id"])
    columns = ["record_id", "source", "source_id", *clean.MATCH_COLUMNS]
    scratch_input = sp.materialise(ws, sp.SCRATCH + "input", kept.select(columns))
    scratch_edges = sp.SCRATCH + "edges"
    try:
        records_table = ws.con.table(scratch_input)
        n_input = int(run(records_table.count(), "the records to link"))
        if n_input < 2:
            raise NotEnoughDataError(
                f"identity resolution needs at least two distinct records; identities has {n_input}"
            )
        plan = plan_linkage(records_table, parameters["max_block_pairs"])
        parameters = {
            **parameters,
            "comparisons": plan.comparisons,
            "blocking_rules": [list(r) for r in plan.blocking_rules],
        }
        settings = rules.settings(
            parameters["name_metric"],
            comparisons=plan.comparisons,
            blocking_rules=plan.blocking_rules,
        )
        api = sp.db_api(ws)
        records = api.register(scratch_input)
        linker = Linker(records, settings, log_level=None)
        _train(linker, n_input, plan, parameters)
        predictions = linker.inference.predict(warning_mode="never")
        scored = ws.con.table(predictions.physical_name)
        pairs_compared = int(run(scored.count(), "the scored pairs"))
        links = _links(scored, linker, threshold, plan.blocking_rules)
        sp.materialise(ws, scratch_edges, links.select("record_id_l", "record_id_r"))
        from splink.clustering import cluster_pairwise_predictions_at_threshold

        clusters = cluster_pairwise_predictions_at_threshold(
            nodes=scratch_input,
            edges=scratch_edges,
            db_api=api,
            node_id_column_name="record_id",
        )
        components = ws.con.table(clusters.physical_name).select("record_id", "cluster_id")
        assigned = _assign(prepared, components)
        now = datetime.now(UTC).replace(tzinfo=None)
        model = linker.misc.save_model_to_json()
        # written inside the engine from Splink's tables, before they are dropped: the
        # records never come to pandas, only the four counts below
        stored = ws.save_table(CLUSTERS_TABLE, assigned.mutate(resolved_at=ibis.literal(now)))
        stored_links = ws.save_table(LINKS_TABLE, links)
        linker.table_management.delete_tables_created_by_splink_from_db()
    finally:
        sp.drop(ws, scratch_prepared, scratch_input, scratch_edges)
    counts = run(
        stored.aggregate(
            records=stored.count(),
            customers=stored.customer_id.nunique(),
            conflicts=stored.customer_id.nunique(where=stored.conflict),
        ),
        "the resolved clusters",
    ).iloc[0]
    n_links = int(run(stored_links.count(), "the identity links"))
    _save_customer_map(ws)
    ws.save_table(
        MODEL_TABLE,
        pd.DataFrame(
            {
                "model_json": [json.dumps(model)],
                "parameters": [json.dumps(parameters)],
                "trained_at": [now],
                "records": [n_input],
                "pairs_compared": [pairs_compared],
            }
        ),
    )
    return Resolution(
        records=int(counts["records"]),
        customers=int(counts["customers"]),
        pairs_compared=pairs_compared,
        links=n_links,
        conflicts=int(counts["conflicts"]),
        blocking_rules=[rules.blocking_rule_text(r) for r in plan.blocking_rules],
        seconds=time.perf_counter() - start,
        threshold=threshold,
        parameters=parameters,
    )


@dataclass(frozen=True)
class LinkagePlan:
    """What the records can be compared on.

    ``filled``: records with a value, per match column; ``comparisons``: the model's
    comparisons that have values to compare; ``blocking_rules``: the blocking rules used;
    ``block_pairs``: pairs each candidate rule (blocking or training) would compare.
    """

    filled: dict[str, int]
    comparisons: list[str]
    blocking_rules: list[tuple[str, ...]]
    block_pairs: dict[tuple[str, ...], int]

    def usable(self, rule: tuple[str, ...]) -> bool:
        """Whether at least two records have values in every column of ``rule``."""
        return all(self.filled.get(c, 0) >= 2 for c in rule)


def _filled(records: ir.Table) -> dict[str, int]:
    """Count the records with a value in each match column (one query)."""
    counts = records.aggregate(**{c: records[c].count() for c in clean.MATCH_COLUMNS})
    return {k: int(v) for k, v in run(counts, "the filled match columns").iloc[0].items()}


def block_pairs(records: ir.Table, rule: tuple[str, ...]) -> int:
    """Return the pairs of records that agree on every column of ``rule`` (NULLs never agree).

    Counted from group sizes in the engine (n records sharing a key make n(n-1)/2 pairs).

    Example:
        >>> t = ibis.memtable({"postcode": ["A1", "A1", "A1", "B2", None, None]})
        >>> block_pairs(t, ("postcode",))
        3
    """
    have = records.filter(*[records[c].notnull() for c in rule])
    sizes = have.group_by(list(rule)).aggregate(n=have.count())
    return int(run((sizes["n"] * (sizes["n"] - 1) / 2).sum(), f"the pairs of {rule}") or 0)


def plan_linkage(records: ir.Table, max_block_pairs: float) -> LinkagePlan:
    """Choose the comparisons and blocking rules the records' columns allow.

    The comparisons whose columns hold values in at least two records; the blocking rules of
    :data:`rules.BLOCKING_RULES` whose columns do, and the wide ones that compare at most
    ``max_block_pairs`` pairs.

    Raises:
        NotEnoughDataError: nothing to compare (no two records with a name, date of birth,
            e-mail, phone, address, postcode or city), or no blocking rule within the budget.

    Example:
        >>> plan_linkage(ws.con.table("_identity_scratch_input"), 1e6).comparisons  # doctest: +SKIP
        ['name', 'birth_date', 'address']
    """
    filled = _filled(records)
    comparisons = [
        name for name, cols in rules.COMPARISON_COLUMNS.items() if any(filled[c] >= 2 for c in cols)
    ]
    if not comparisons:
        shown = ", ".join(
            f"{c.removesuffix('_key')} {filled[c]}" for c in clean.MATCH_COLUMNS if c != "name_key"
        )
        raise NotEnoughDataError(
            "identity resolution has nothing to compare: no two records have a name, date of "
            f"birth, e-mail, phone, address, postcode or city (records with a value: {shown}); "
            "map at least one of these columns when loading identities"
        )
    pairs: dict[tuple[str, ...], int] = {}
    plan = LinkagePlan(filled, comparisons, [], pairs)
    candidates = sorted({*rules.BLOCKING_RULES, *rules.WIDE_BLOCKING_RULES, *rules.TRAINING_BLOCKS})
    for rule in candidates:
        if plan.usable(rule):
            pairs[rule] = block_pairs(records, rule)
    chosen = [r for r in rules.BLOCKING_RULES if plan.usable(r)]
    chosen += [
        r for r in rules.WIDE_BLOCKING_RULES if plan.usable(r) and pairs[r] <= max_block_pairs
    ]
    if not chosen:
        sizes = ", ".join(
            f"{rules.blocking_rule_text(r)}: {pairs[r]:,}"
            for r in rules.WIDE_BLOCKING_RULES
            if r in pairs
        )
        raise NotEnoughDataError(
            f"every blocking rule the records allow would compare more than max_block_pairs="
            f"{max_block_pairs:,.0f} pairs ({sizes}); raise max_block_pairs or load more "
            "columns (e-mail, phone, date of birth)"
        )
    return LinkagePlan(filled, comparisons, chosen, pairs)


def _train(linker: Any, n_records: int, plan: LinkagePlan, parameters: dict[str, Any]) -> None:
    """Fit the model: prior from the deterministic rules, u by sampling, m by EM.

    Every step uses only the columns the records have, so a source without e-mail or phone
    trains on names, dates of birth and postcodes (as Splink's FEBRL example does).
    """
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    _estimate_prior(linker, n_records, plan)
    # one pass over the sampled pairs (rare levels such as swapped names may stay unseen)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=parameters["max_pairs"],
        seed=parameters["seed"],
        min_count_per_level=None,
        num_chunks=1,
    )
    proportion = min(1.0, EM_RECORDS / max(n_records, 1))
    for rule in rules.TRAINING_BLOCKS:
        # a pass over a sample of records compares about proportion^2 of the rule's pairs
        budget = parameters["max_block_pairs"]
        if not plan.usable(rule) or plan.block_pairs[rule] * proportion**2 > budget:
            continue
        if not _trainable(plan, rule):
            # a pass trains only the comparisons outside its rule; with none left, Splink
            # would drop every comparison from the model
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), record_sample_proportion=proportion
            )
        except EMTrainingException:
            # too few pairs share this key (small tables): the other passes, or Splink's
            # starting m-probabilities, stand for the levels it would have trained
            continue


def _trainable(plan: LinkagePlan, rule: tuple[str, ...]) -> list[str]:
    """Return the comparisons an EM pass blocked on ``rule`` trains (those not reading it).

    Example:
        >>> p = LinkagePlan({}, ["name", "birth_date"], [], {})
        >>> _trainable(p, ("first_name", "last_name"))
        ['birth_date']
    """
    return [c for c in plan.comparisons if not set(rule) & set(rules.COMPARISON_COLUMNS[c])]


def _estimate_prior(linker: Any, n_records: int, plan: LinkagePlan) -> None:
    """Set the prior (the share of all pairs that match) from the deterministic rules.

    Splink's estimate: pairs the rules link / assumed recall (:data:`PRIOR_RECALL`) / all
    pairs. It is smoothed to (expected + 0.5) / (all pairs + 1) so that it is never 0 (no
    pair agrees on any rule: the model's log-odds would be minus infinity) or 1 (tiny
    tables where every pair agrees).
    """
    from splink import block_on

    total = n_records * (n_records - 1) / 2
    usable = [cols for cols in rules.DETERMINISTIC_RULES.values() if plan.usable(cols)]
    expected = 0.0
    if usable:
        deterministic = [block_on(*cols) for cols in usable]
        try:
            linker.training.estimate_probability_two_random_records_match(
                deterministic, recall=PRIOR_RECALL
            )
        except ValueError:
            # the rules link more pairs than the assumed recall allows (a tiny table)
            linker.training.estimate_probability_two_random_records_match(deterministic, recall=1.0)
        expected = linker._settings_obj._probability_two_random_records_match * total
    linker._settings_obj._probability_two_random_records_match = (expected + 0.5) / (total + 1)


def _level_labels(linker: Any) -> dict[str, dict[int, str]]:
    """Comparison name -> {gamma value: level label} from the fitted settings."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in linker._settings_obj.comparisons:
        levels = {}
        for level in comparison.comparison_levels:
            levels[int(level.comparison_vector_value)] = str(level.label_for_charts)
        labels[comparison.output_column_name] = levels
    return labels


def _deterministic(scored: ir.Table) -> list[tuple[ir.BooleanValue, str]]:
    """(condition, rule name) of each deterministic rule whose columns the scored pairs carry."""
    out = []
    for name, cols in rules.DETERMINISTIC_RULES.items():
        if all(f"{c}_l" in scored.columns for c in cols):
            agree = [(scored[f"{c}_l"] == scored[f"{c}_r"]).fill_null(False) for c in cols]
            out.append((ibis.and_(*agree), name))
    return out


def _links(
    scored: ir.Table, linker: Any, threshold: float, blocking_rules: list[tuple[str, ...]]
) -> ir.Table:
    """Return the linked pairs among the scored ones, with their rule and evidence."""
    det = _deterministic(scored)
    rule = ibis.cases(*det, else_="model") if det else ibis.literal("model")
    linked = scored.mutate(rule=rule)
    linked = linked.filter((linked["rule"] != "model") | (linked["match_probability"] >= threshold))
    labels = _level_labels(linker)
    parts = []
    # Splink leaves out a comparison it cannot use (e.g. a column with no values at all)
    present = [c for c in COMPARISONS if f"gamma_{c}" in linked.columns]
    linked = linked.mutate(
        **{f"gamma_{c}": ibis.literal(-1) for c in COMPARISONS if c not in present},
        **{f"mw_{c}": ibis.literal(0.0) for c in COMPARISONS if c not in present},
    )
    labels = {c: labels.get(c, {-1: "not compared"}) for c in COMPARISONS}
    for name in COMPARISONS:
        gamma = linked[f"gamma_{name}"].cast("int64")
        text = gamma.substitute(labels[name], else_="?")
        weight = linked[f"mw_{name}"].cast("float64").round(1)
        sign = (weight >= 0).ifelse("+", "")
        parts.append(ibis.literal(f"{name}: ") + text + " (" + sign + weight.cast("string") + ")")
    evidence = parts[0]
    for part in parts[1:]:
        evidence = evidence + "; " + part
    blocked = (
        linked["match_key"]
        .cast("int64")
        .substitute(
            {i: rules.blocking_rule_text(r) for i, r in enumerate(blocking_rules)}, else_="?"
        )
    )
    return linked.select(
        record_id_l="record_id_l",
        record_id_r="record_id_r",
        source_l="source_l",
        source_id_l="source_id_l",
        source_r="source_r",
        source_id_r="source_id_r",
        match_probability="match_probability",
        match_weight="match_weight",
        rule="rule",
        blocked_by=blocked,
        evidence=evidence,
        **{f"gamma_{c}": linked[f"gamma_{c}"].cast("int64") for c in COMPARISONS},
        **{f"mw_{c}": linked[f"mw_{c}"].cast("float64") for c in COMPARISONS},
    )


def _save_customer_map(ws: Any) -> None:
    """Write ``identity_customer_map`` (loaded id -> resolved id) from identity_clusters."""
    cmap = keys.customer_map(ws.con.table(CLUSTERS_TABLE))
    ws.save_table(keys.MAP_TABLE, cmap)  # written in the engine


def _assign(prepared: ir.Table, components: ir.Table) -> ir.Table:
    """Every record's cluster (exact duplicates follow their kept twin) and customer_id."""
    rec = prepared.select("record_id", "keep_id", "source", "source_id", "customer_id")
    comp = components.rename(kept_record="record_id")
    j = rec.join(comp, rec["keep_id"] == comp["kept_record"]).drop("kept_record")
    known = j.filter(j["customer_id"].notnull())
    counts = known.group_by(["cluster_id", "customer_id"]).aggregate(n=known.count())
    w = ibis.window(group_by="cluster_id", order_by=[ibis.desc("n"), "customer_id"])
    ranked = counts.mutate(
        _rank=ibis.row_number().over(w),
        known_ids=counts["customer_id"].count().over(ibis.window(group_by="cluster_id")),
    )
    top = ranked.filter(ranked["_rank"] == 0).select(
        "cluster_id", chosen="customer_id", known_ids="known_ids"
    )
    j = j.left_join(top, "cluster_id").drop("cluster_id_right")
    size = j["record_id"].count().over(ibis.window(group_by="cluster_id"))
    return j.select(
        source="source",
        source_id="source_id",
        record_id="record_id",
        customer_id=ibis.coalesce(j["chosen"], "cx:" + j["cluster_id"]),
        loaded_customer_id=j["customer_id"],
        cluster_size=size,
        duplicate_of=(j["keep_id"] != j["record_id"]).ifelse(j["keep_id"], ibis.null("string")),
        known_ids=j["known_ids"].fill_null(0),
        conflict=j["known_ids"].fill_null(0) > 1,
    )


def link_new(ws: Any) -> Resolution:
    """Link identities records loaded since the last resolution to the existing customers.

    The saved model scores the new records against the existing ones and among themselves
    (Splink's ``predict_between`` and ``predict_within``); the existing clusters are not
    recomputed. A new record joins the customer it links to; records that link to no one
    become new customers; a new record linking two existing customers joins the one with the
    strongest link and the row is flagged ``conflict`` (re-run :func:`resolve` to merge).

    Returns:
        A :class:`Resolution` of the new records (``records`` = new records).

    Raises:
        NotEnoughDataError: :func:`resolve` has not run on this Workspace yet.

    Example:
        >>> link_new(ws).records  # doctest: +SKIP
        12
    """
    with sp.quiet(), ws.engine.folds_held():  # Splink keeps the DuckDB connection
        return _link_new(ws)


def _link_new(ws: Any) -> Resolution:
    from splink import Linker

    start = time.perf_counter()
    for table in (MODEL_TABLE, CLUSTERS_TABLE):
        if not ws.has_table(table):
            raise NotEnoughDataError(
                f"no '{table}' table: run ws.identity.resolve() once before linking new records"
            )
    model_row = run(ws.con.table(MODEL_TABLE), "the saved identity model").iloc[0]  # one row
    params = json.loads(model_row["parameters"])
    threshold = float(params["threshold"])
    # models saved before the blocking rules were chosen per run used the fixed ones
    blocking = [tuple(r) for r in params.get("blocking_rules", rules.BLOCKING_RULES)]
    prepared = clean.prepare(_identities(ws), params["default_region"])
    done = ws.con.table(CLUSTERS_TABLE)
    new = prepared.anti_join(done, ["source", "source_id"])
    old = prepared.semi_join(done, ["source", "source_id"])
    cols = ["record_id", "source", "source_id", *clean.MATCH_COLUMNS]
    n_new = int(run(new.count(), "the new identity records"))
    if n_new == 0:
        return Resolution(0, 0, 0, 0, 0, [], time.perf_counter() - start, threshold, params)
    names = (sp.SCRATCH + "old", sp.SCRATCH + "new")
    sp.materialise(ws, names[0], old.select(cols))
    sp.materialise(ws, names[1], new.select(cols))
    try:
        api = sp.db_api(ws)
        old_sdf, new_sdf = api.register(names[0]), api.register(names[1])
        linker = Linker(old_sdf, json.loads(model_row["model_json"]), log_level=None)
        scored = [
            linker.inference.predict_between(old_sdf, new_sdf, warning_mode="never"),
            linker.inference.predict_within(new_sdf, warning_mode="never"),
        ]
        pairs = 0
        frames = []
        for s in scored:
            table = ws.con.table(s.physical_name)
            pairs += int(run(table.count(), "the pairs compared"))
            frames.append(run(_links(table, linker, threshold, blocking), "the new links"))
        linker.table_management.delete_tables_created_by_splink_from_db()
        links = pd.concat(frames, ignore_index=True)
        new_frame = new.select("record_id", "keep_id", "source", "source_id", "customer_id")
        new_frame = run(new_frame, "the new identity records")
    finally:
        sp.drop(ws, *names)
    existing = run(done, "the identity clusters")  # derived: one row per record
    rows = _assign_new(new_frame, links, existing)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows["resolved_at"] = now
    clusters = pd.concat([existing, rows[existing.columns]], ignore_index=True)
    sizes = clusters.groupby("customer_id")["record_id"].transform("size")
    clusters["cluster_size"] = sizes.astype("int64")
    ws.save_table(CLUSTERS_TABLE, clusters)
    _save_customer_map(ws)
    if len(links):
        old = ws.con.table(LINKS_TABLE) if ws.has_table(LINKS_TABLE) else None
        old_links = None if old is None else run(old, "the identity links")
        merged = links if old_links is None else pd.concat([old_links, links], ignore_index=True)
        ws.save_table(LINKS_TABLE, merged)
    return Resolution(
        records=n_new,
        customers=int(rows["customer_id"].nunique()),
        pairs_compared=pairs,
        links=len(links),
        conflicts=int(rows["conflict"].sum()),
        blocking_rules=[rules.blocking_rule_text(r) for r in blocking],
        seconds=time.perf_counter() - start,
        threshold=threshold,
        parameters=params,
    )


def _assign_new(new: pd.DataFrame, links: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Return the new records' customer ids from their links (union-find on the new edges)."""
    owner = dict(zip(existing["record_id"], existing["customer_id"], strict=True))
    parent: dict[str, str] = {r: r for r in new["record_id"]}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[str, dict[str, float]] = {}  # new record -> {existing customer: strongest link}
    edges = [(r.record_id_l, r.record_id_r, r.match_probability) for r in links.itertuples()]
    edges += [(r, k, 1.0) for r, k in zip(new["record_id"], new["keep_id"], strict=True) if r != k]
    for a, b, prob in edges:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        else:
            fresh, other = (a, b) if a in parent else (b, a)
            customer = owner.get(other)
            if customer is not None and fresh in parent:
                d = best.setdefault(fresh, {})
                d[customer] = max(d.get(customer, 0.0), float(prob))
    groups: dict[str, dict[str, float]] = {}
    for record, cand in best.items():
        g = groups.setdefault(find(record), {})
        for customer, prob in cand.items():
            g[customer] = max(g.get(customer, 0.0), prob)
    out = new.copy()
    roots = [find(r) for r in out["record_id"]]
    chosen, known, conflict = [], [], []
    for root in roots:
        cand = groups.get(root, {})
        if cand:
            chosen.append(max(cand.items(), key=lambda kv: (kv[1], kv[0]))[0])
        else:
            chosen.append("cx:" + root)
        known.append(len(cand))
        conflict.append(len(cand) > 1)
    out["loaded_customer_id"] = out["customer_id"]
    out["customer_id"] = chosen
    out["duplicate_of"] = out["keep_id"].where(out["keep_id"] != out["record_id"])
    out["known_ids"] = known
    out["conflict"] = conflict
    out["cluster_size"] = 0
    return out.drop(columns=["keep_id"])
