"""The two implementations the identity-resolve benchmark times.

* cxlens: ``Identity(ws).resolve()`` with its defaults on the Workspace file: normalisation in
  the engine, Splink training (prior from the deterministic rules, u by random sampling of 1e6
  pairs, m by EM on e-mail, phone, date-of-birth, name and postcode blocks within the pair
  budget), predictions over the blocking rules the data allow, deterministic + probabilistic links,
  connected components, customer ids, and the derived tables saved.
* deterministic-union: the rule-based baseline an analyst writes in plain DuckDB SQL: e-mail
  trimmed and lower-cased, phone reduced to digits with a UK national "0" or "0044"/"44"
  replaced by "+44", full name (first + last, else ``name``) trimmed and lower-cased with the
  date of birth; records linked when the e-mail, the phone or name + date of birth is equal;
  connected components with SciPy on the edge list. No fuzzy matching, so names with typos,
  moves and missing contacts stay apart.

``tidy`` returns ``{"clusters": source, source_id, customer_id}`` and ``{"summary": ...}``
(pairs compared, links).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class CxlensWorkload:
    """cxlens: ``Identity(ws).resolve()`` with its defaults."""

    def __init__(self, workspace: str) -> None:
        from cxlens import Workspace

        self.ws = Workspace(workspace)

    def run(self) -> Any:
        """Resolve every identities record."""
        from cxlens.identity.namespace import Identity

        return Identity(self.ws).resolve()

    def tidy(self, result: Any) -> dict[str, pd.DataFrame]:
        """Return the clusters and the run's counts."""
        clusters = self.ws.con.table("identity_clusters").select(
            "source", "source_id", "customer_id"
        )
        summary = pd.DataFrame(
            {
                "pairs_compared": [result.pairs_compared],
                "links": [result.links],
                "customers": [result.customers],
            }
        )
        rules = pd.DataFrame({"rule": result.blocking_rules})
        return {"clusters": clusters.to_pandas(), "summary": summary, "blocking_rules": rules}


EDGES_SQL = """
WITH r AS (
  SELECT row_number() OVER (ORDER BY source, source_id) - 1 AS node,
         NULLIF(lower(trim(email)), '') AS email,
         regexp_replace(phone, '[^0-9+]', '', 'g') AS p,
         NULLIF(lower(trim(coalesce(first_name || ' ' || last_name, name))), '') || '|'
           || NULLIF(trim(birth_date), '') AS name_dob
  FROM identities
), n AS (
  SELECT node, email, name_dob,
         CASE WHEN p LIKE '+%' THEN p
              WHEN p LIKE '00%' THEN '+' || substr(p, 3)
              WHEN p LIKE '0%' THEN '+44' || substr(p, 2)
              WHEN p = '' THEN NULL
              ELSE '+44' || p END AS phone
  FROM r
), k AS (
  SELECT node, 'e:' || email AS key FROM n WHERE email IS NOT NULL
  UNION ALL
  SELECT node, 'p:' || phone FROM n WHERE phone IS NOT NULL
  UNION ALL
  SELECT node, 'n:' || name_dob FROM n WHERE name_dob IS NOT NULL
), first AS (
  SELECT key, min(node) AS root FROM k GROUP BY key
)
SELECT k.node AS a, first.root AS b FROM k JOIN first USING (key) WHERE k.node <> first.root
"""


class DeterministicWorkload:
    """deterministic-union: equal e-mail, phone or name + birth date in DuckDB; SciPy components."""

    def __init__(self, workspace: str) -> None:
        import duckdb

        self.con = duckdb.connect(workspace, read_only=True)

    def run(self) -> dict[str, Any]:
        """Link records sharing an e-mail, phone or name + birth date; label components."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = self.con.execute("SELECT count(*) FROM identities").fetchone()[0]
        edges = self.con.execute(EDGES_SQL).fetchnumpy()
        a, b = edges["a"].astype(np.int64), edges["b"].astype(np.int64)
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        keys = self.con.execute(
            "SELECT source, source_id FROM identities ORDER BY source, source_id"
        ).df()
        keys["customer_id"] = labels.astype(str)
        return {"clusters": keys, "pairs": len(a)}

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Return the clusters and the number of links (star edges to each key's first record)."""
        customers = result["clusters"]["customer_id"].nunique()
        summary = pd.DataFrame(
            {
                "pairs_compared": [result["pairs"]],
                "links": [result["pairs"]],
                "customers": [customers],
            }
        )
        return {"clusters": result["clusters"], "summary": summary}


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{implementation: (target, kwargs-builder)}`` for the harness."""
    here = __name__
    return {
        "cxlens": (f"{here}:CxlensWorkload", lambda db: {"workspace": str(db)}),
        "deterministic-union": (f"{here}:DeterministicWorkload", lambda db: {"workspace": str(db)}),
    }
