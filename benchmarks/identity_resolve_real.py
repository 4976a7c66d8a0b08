"""Identity resolution on real record-linkage sets, beside Splink run directly and a union.

Two labelled sets ship with the repository (tests/fixtures/real/identity, see the README
there): FEBRL 3 (5,000 records of 2,000 people: names, address, postcode, date of birth, no
e-mail or phone) and Splink's ``fake_1000`` (1,000 records in 251 true clusters: names, date
of birth, city, e-mail). Each is resolved three ways and scored pairwise against its true
clusters:

* ``cxlens``: the records loaded into a Workspace as ``identities`` and
  ``Identity(ws).resolve()`` with its defaults.
* ``splink-direct``: Splink 5 on the raw columns with the settings of Splink's own example
  for that set (docs/demos/examples/duckdb/febrl3 and accuracy_analysis_from_labels_column
  in Splink's repository; FEBRL's ``soc_sec_id``, which identities has no column for, left
  out), clustered at the same match probability as cxlens (0.9).
* ``deterministic-union``: records joined when they share an e-mail (trimmed, lower case), a
  phone (digits) or first name + last name + date of birth (trimmed, lower case).

Example:
    >>> febrl = run_real(("febrl3",))["febrl3"]  # doctest: +SKIP
    >>> febrl["cxlens"]["f1"] >= febrl["splink-direct"]["f1"]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

#: Where the real sets are kept.
REAL_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real" / "identity"
#: Match probability at which Splink's links are clustered (cxlens's default threshold).
THRESHOLD = 0.9
METHODS = ("cxlens", "splink-direct", "deterministic-union")


def load_febrl3() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return FEBRL 3 as identities records and its truth (``rec-N`` is the person).

    Example:
        >>> records, truth = load_febrl3()
        >>> len(records), truth["person_id"].nunique()
        (5000, 2000)
    """
    raw = pd.read_csv(REAL_DIR / "febrl3.csv", dtype=str, skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.apply(lambda s: s.str.strip())
    street = (raw["street_number"].fillna("") + " " + raw["address_1"].fillna("")).str.strip()
    records = pd.DataFrame(
        {
            "source": "febrl3",
            "source_id": raw["rec_id"],
            "first_name": raw["given_name"],
            "last_name": raw["surname"],
            "birth_date": raw["date_of_birth"],
            "address": street.replace("", None),
            "postcode": raw["postcode"],
            "city": raw["suburb"],
        }
    )
    truth = pd.DataFrame(
        {
            "source": "febrl3",
            "source_id": raw["rec_id"],
            "person_id": raw["rec_id"].str.extract(r"^(rec-\d+)")[0],
        }
    )
    return records, truth


def load_fake_1000() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return Splink's ``fake_1000`` as identities records and its truth (``cluster``).

    Example:
        >>> records, truth = load_fake_1000()
        >>> len(records), truth["person_id"].nunique()
        (1000, 251)
    """
    raw = pd.read_csv(REAL_DIR / "fake_1000.csv", dtype=str)
    records = pd.DataFrame(
        {
            "source": "fake_1000",
            "source_id": raw["unique_id"],
            "first_name": raw["first_name"],
            "last_name": raw["surname"],
            "birth_date": raw["dob"],
            "city": raw["city"],
            "email": raw["email"],
        }
    )
    truth = pd.DataFrame(
        {"source": "fake_1000", "source_id": raw["unique_id"], "person_id": raw["cluster"]}
    )
    return records, truth


#: The real sets by name: loader.
SETS: dict[str, Callable[[], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "febrl3": load_febrl3,
    "fake_1000": load_fake_1000,
}


def pairwise(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Return pairwise precision, recall and F1 of ``clusters`` (``customer_id``) vs ``truth``.

    Counted in pandas from group sizes, independently of cxlens's scorer.

    Example:
        >>> keys = {"source": ["s"] * 3, "source_id": ["1", "2", "3"]}
        >>> c = pd.DataFrame({**keys, "customer_id": ["a", "a", "b"]})
        >>> t = pd.DataFrame({**keys, "person_id": ["p", "p", "p"]})
        >>> pairwise(c, t)["recall"]
        0.3333
    """
    j = clusters.merge(truth, on=["source", "source_id"])

    def pairs(by: list[str]) -> int:
        n = j.groupby(by).size()
        return int((n * (n - 1) // 2).sum())

    tp, predicted, true = (
        pairs(["customer_id", "person_id"]),
        pairs(["customer_id"]),
        pairs(["person_id"]),
    )
    precision = tp / predicted if predicted else 0.0
    recall = tp / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def deterministic_union(records: pd.DataFrame) -> pd.DataFrame:
    """Return clusters joining records that share an e-mail, a phone or name + date of birth.

    Example:
        >>> r = pd.DataFrame({"source": "s", "source_id": ["1", "2", "3"],
        ...                   "first_name": ["Ann", "ann", "Bo"], "last_name": ["Lee"] * 3,
        ...                   "birth_date": ["1980-01-02"] * 3})
        >>> deterministic_union(r)["customer_id"].tolist()
        ['0', '0', '2']
    """
    r = records.reset_index(drop=True)
    parent = list(range(len(r)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def text(col: str) -> pd.Series:
        if col not in r.columns:
            return pd.Series([""] * len(r))
        return r[col].fillna("").astype(str).str.strip().str.lower()

    name_dob = text("first_name") + "|" + text("last_name") + "|" + text("birth_date")
    complete = (text("first_name") != "") & (text("last_name") != "") & (text("birth_date") != "")
    keys = [
        text("email"),
        text("phone").str.replace(r"\D", "", regex=True),
        name_dob.where(complete, ""),
    ]
    for key in keys:
        first: dict[str, int] = {}
        for i, value in enumerate(key):
            if not value:
                continue
            if value in first:
                parent[find(i)] = find(first[value])
            else:
                first[value] = i
    roots = [str(find(i)) for i in range(len(r))]
    return pd.DataFrame({"source": r["source"], "source_id": r["source_id"], "customer_id": roots})


def splink_direct(name: str, records: pd.DataFrame) -> pd.DataFrame:
    """Return Splink's clusters of a real set with the settings of Splink's own example.

    Example:
        >>> splink_direct("fake_1000", load_fake_1000()[0]).shape  # doctest: +SKIP
        (1000, 3)
    """
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    if name == "fake_1000":
        df = records.rename(columns={"source_id": "unique_id", "last_name": "surname",
                                     "birth_date": "dob"}).drop(columns="source")  # fmt: skip
        settings = SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("first_name"),
                block_on("surname"),
                block_on("dob"),
                block_on("email"),
            ],
            comparisons=[
                cl.ForenameSurnameComparison("first_name", "surname"),
                cl.DateOfBirthComparison("dob", input_is_string=True),
                cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                cl.EmailComparison("email"),
            ],
        )
        prior_rules = [
            "l.first_name = r.first_name and levenshtein(r.dob, l.dob) <= 1",
            "l.surname = r.surname and levenshtein(r.dob, l.dob) <= 1",
            "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
            "l.email = r.email",
        ]
        recall, seed = 0.7, 5
        em_blocks = [block_on("dob"), block_on("email"), block_on("first_name", "surname")]
        uid = "unique_id"
    elif name == "febrl3":
        df = records.rename(
            columns={"source_id": "rec_id", "first_name": "given_name", "last_name": "surname",
                     "birth_date": "date_of_birth"}
        ).drop(columns="source")  # fmt: skip
        df["street_number"] = df["address"].str.split(" ").str[0]
        settings = SettingsCreator(
            unique_id_column_name="rec_id",
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name"),
                block_on("surname"),
                block_on("date_of_birth"),
                block_on("postcode"),
            ],
            comparisons=[
                cl.NameComparison("given_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison(
                    "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
                ),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
        )
        prior_rules = [
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        recall, seed = 0.9, 2
        em_blocks = [block_on("date_of_birth"), block_on("postcode")]
        uid = "rec_id"
    else:
        raise KeyError(f"no Splink example settings for {name!r}; known: {', '.join(SETS)}")
    linker = Linker(DuckDBAPI().register(df), settings)
    linker.training.estimate_probability_two_random_records_match(prior_rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    for block in em_blocks:
        linker.training.estimate_parameters_using_expectation_maximisation(block)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, THRESHOLD
    ).as_pandas_dataframe()
    return pd.DataFrame(
        {
            "source": records["source"].iloc[0],
            "source_id": clusters[uid].astype(str),
            "customer_id": clusters["cluster_id"].astype(str),
        }
    )


def cxlens_clusters(records: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """Return cxlens's clusters: the records ingested as identities, resolved with defaults."""
    from cxlens import Workspace
    from cxlens.identity.namespace import Identity

    path = folder / "identities.csv"
    records.to_csv(path, index=False)
    ws = Workspace(folder / "ws.duckdb")
    try:
        ws.ingest(path, table="identities")
        Identity(ws).resolve()
        out = ws.con.table("identity_clusters").select("source", "source_id", "customer_id")
        return out.to_pandas()
    finally:
        ws.close()


def run_real(sets: tuple[str, ...] = tuple(SETS)) -> dict[str, dict[str, dict[str, float]]]:
    """Resolve each real set three ways; return ``{set: {method: scores + seconds}}``.

    Example:
        >>> run_real(("fake_1000",))["fake_1000"]["cxlens"]["f1"]  # doctest: +SKIP
        0.8844
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in sets:
        records, truth = SETS[name]()
        runs: dict[str, Callable[[], pd.DataFrame]] = {}
        with tempfile.TemporaryDirectory(prefix=f"cxlens-{name}-") as tmp:
            runs = {
                "cxlens": lambda r=records, t=tmp: cxlens_clusters(r, Path(t)),
                "splink-direct": lambda r=records, n=name: splink_direct(n, r),
                "deterministic-union": lambda r=records: deterministic_union(r),
            }
            scores: dict[str, dict[str, Any]] = {}
            for method, fn in runs.items():
                start = time.perf_counter()
                clusters = fn()
                seconds = time.perf_counter() - start
                scores[method] = pairwise(clusters, truth) | {"seconds": round(seconds, 2)}
        out[name] = scores
    return out
