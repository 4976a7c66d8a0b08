"""``ws.identity``: the single customer view of a Workspace behind one object."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.identity import clean, evaluate, resolve
from cxlens.store.query import run


class Identity:
    """Cleaning and identity resolution of a Workspace's ``identities`` records.

    Example:
        >>> ws.identity.resolve().customers  # doctest: +SKIP
        2001
    """

    def __init__(self, workspace: Any) -> None:
        self._ws = workspace

    def resolve(self, **kw: Any) -> resolve.Resolution:
        """Link, cluster and give every identities record a ``customer_id`` (see ``resolve``).

        Keyword arguments: ``threshold`` (0.9), ``default_region`` ("GB"), ``name_metric``
        ("jaro_winkler"), ``max_pairs`` (1e6), ``seed`` (7), ``max_block_pairs`` (1e6: the
        most pairs a wide blocking rule or a training pass may compare). Records may have any
        subset of name, date of birth, address, postcode, city, e-mail and phone.

        Returns:
            Resolution: records, customers, pairs_compared, links, conflicts, blocking_rules,
            seconds.
        """
        return resolve.resolve(self._ws, **kw)

    def link_new(self) -> resolve.Resolution:
        """Link records loaded since the last :meth:`resolve` with the saved model."""
        return resolve.link_new(self._ws)

    def prepared(self, default_region: str = "GB") -> ir.Table:
        """Return the normalised records (see ``clean.prepare``) as a lazy Ibis table."""
        return clean.prepare(self._ws.table("identities"), default_region)

    def flags(self, default_region: str = "GB") -> pd.DataFrame:
        """Return the empty and invalid values, sorted by file and row.

        Columns: source, source_id, source_file, source_row, column, value, problem.

        Example:
            >>> ws.identity.flags().problem.unique()  # doctest: +SKIP
        """
        table = clean.flags(self.prepared(default_region))
        return run(table.order_by(["source_file", "source_row", "column"]), "the identity flags")

    def _derived(self, name: str) -> ir.Table:
        if not self._ws.has_table(name):
            raise NotEnoughDataError(f"no '{name}' table yet: run ws.identity.resolve() first")
        return self._ws.con.table(name)

    def clusters(self) -> ir.Table:
        """Return ``identity_clusters``: one row per record with its ``customer_id``."""
        return self._derived(resolve.CLUSTERS_TABLE)

    def links(self) -> pd.DataFrame:
        """Return ``identity_links``: the linked pairs with probability, rule and evidence."""
        return run(self._derived(resolve.LINKS_TABLE), "the identity links")

    def identities(self) -> ir.Table:
        """Return the identities records with their resolved ``customer_id`` (a lazy join)."""
        ids = self._ws.table("identities")
        cl = self.clusters().select("source", "source_id", resolved_id="customer_id")
        joined = ids.left_join(cl, ["source", "source_id"])
        return joined.drop(c for c in joined.columns if c.endswith("_right"))

    def evidence(self, source: str, source_id: str) -> pd.DataFrame:
        """Return why record ``(source, source_id)`` sits in its cluster.

        One row per link of the record: both records, rule, blocking rule, probability,
        evidence in words and both records' normalised values side by side (``<col>_l``,
        ``<col>_r``).

        Example:
            >>> ws.identity.evidence("web", "W100529")  # doctest: +SKIP
        """
        links = self._derived(resolve.LINKS_TABLE)
        mine = links.filter(
            ((links["source_l"] == source) & (links["source_id_l"] == source_id))
            | ((links["source_r"] == source) & (links["source_id_r"] == source_id))
        )
        mine = run(mine, f"the links of {source} {source_id}")
        if mine.empty:
            return mine
        values = self.prepared().select("record_id", *clean.MATCH_COLUMNS)
        ids = list(set(mine["record_id_l"]) | set(mine["record_id_r"]))
        vals = run(values.filter(values["record_id"].isin(ids)), "the linked records' values")
        vals = vals.set_index("record_id")
        for side in ("l", "r"):
            for col in clean.MATCH_COLUMNS:
                mine[f"{col}_{side}"] = mine[f"record_id_{side}"].map(vals[col])
        return mine

    def profiles(self, default_region: str = "GB") -> pd.DataFrame:
        """Return one row per customer: newest value of each attribute, with provenance.

        See ``clean.profile`` for the columns.
        """
        profiles = clean.profile(self.prepared(default_region), self.clusters())
        return run(profiles, "the customer profiles")  # one row per customer

    def evaluate(self, truth: pd.DataFrame | ir.Table, true: str | None = None) -> pd.DataFrame:
        """Return pairwise precision, recall and F1 of the clusters against ``truth``.

        ``truth`` has ``source``, ``source_id`` and the true identity column ``true``
        (default: found by :func:`cxlens.identity.evaluate.truth_column`, e.g. the demo's
        ``customer_id`` or the test data's ``person_id``).
        """
        import ibis

        t = ibis.memtable(truth) if isinstance(truth, pd.DataFrame) else truth
        if self._ws.engine.name == "pyspark" and isinstance(truth, pd.DataFrame):
            t = self._ws.con.create_table("_identity_truth", truth, overwrite=True)
        true = evaluate.truth_column(list(t.columns), true)
        return evaluate.pairwise_scores(self.clusters(), t, true=true)
