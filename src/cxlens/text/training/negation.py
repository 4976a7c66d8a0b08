"""Negated problems ("No outages at all", "Никаких сбоев", "从来没有掉线"): studied and measured.

A survey comment that says a problem is absent is praise, or at least no complaint, yet the
heads learnt the problem word ("outage", "сбой", "掉线") as a complaint and read the whole
phrase as one. :func:`cxlens.text.sentiment_model.negated_problems` finds such phrases (a
negator, at most three function words, a problem word, in one clause; the lists and their
origin are there) and :func:`cxlens.text.sentiment_model.without_negated_problems` deletes
them before the heads read a text.

:func:`study` counts the matched training rows per set and the shipped heads' out-of-fold
sign-only accuracy on them against the rest (``python -m cxlens.text.training.negation
DATA_DIR``). :func:`rule_report` measured the deletion before it was shipped: every matched
training row scored out-of-fold as it is and masked (:func:`candidate_rows`), against the
rule in docs/text.md (``python -m cxlens.text.training.negation DATA_DIR candidate``). No
test row is read.

Example:
    >>> matched_rows(pd.Series(["Fast. No outages at all!", "Outage again"]), "en").tolist()
    [True, False]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxlens.text.language import normalise_noise
from cxlens.text.sentiment_model import (
    CLASSES,
    OWN_HEADS,
    e5_vectors,
    fast_features,
    lexicon_polarity,
    negated_problems,
    read_probabilities,
)
from cxlens.text.sentiment_model import without_negated_problems as masked
from cxlens.text.training import evaluate
from cxlens.text.training.choices import blended, cascade_choice, mean_figures
from cxlens.text.training.folds import (
    FOLDS,
    LANGUAGES,
    all_fold_ids,
    cached_out_of_fold,
    e5_model_probabilities,
    fold_ids,
)
from cxlens.text.training.long_texts import shipped_recipe
from cxlens.text.training.paired import paired_probabilities_change
from cxlens.text.training.resampling import bootstrap_intervals, whole
from cxlens.text.training.sets import load_sets
from cxlens.text.training.train import (
    SEED,
    e5_cached,
    e5_training_rows,
    embed_cached,
    fast_head_probabilities,
    fast_training_rows,
    fit_e5_models,
    fit_fast_head,
    own_e5_rows,
    own_fast_rows,
)

#: The cache file the matched texts' embeddings go to (the others are left as they are).
CACHE_NAME = "e5_negation.npz"
FAST = [f"fast_{c}" for c in CLASSES]
E5 = [f"e5_{c}" for c in CLASSES]


def has_negated_problem(text: str, language: str) -> bool:
    """Return True when ``text`` holds a negated-problem phrase in ``language``.

    Example:
        >>> has_negated_problem("No problems with delivery", "en")
        True
    """
    return next(negated_problems(text, language), None) is not None


def matched_rows(texts: pd.Series, language: str) -> np.ndarray:
    """Return True for each text (noise-normalised first) holding a negated problem.

    Example:
        >>> matched_rows(pd.Series(["No issues at all", "Issues again"]), "en").tolist()
        [True, False]
    """
    return np.array([has_negated_problem(normalise_noise(t), language) for t in texts], dtype=bool)


def sign_right(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return 1.0 where a polar row's score has the right sign, 0.0 where not, NaN off polar.

    Example:
        >>> sign_right(np.array([[0.1, 0.2, 0.7], [0.1, 0.2, 0.7]]),
        ...            np.array(["negative", "neutral"])).tolist()
        [0.0, nan]
    """
    _, scores, _ = read_probabilities(probs)
    return evaluate.sign_right(np.asarray(labels, dtype=object), scores)


def study(oof: pd.DataFrame, language: str) -> pd.DataFrame:
    """Return, per set of ``language``, the matched rows and the heads' sign on them and the rest.

    ``oof``: the shipped heads' out-of-fold rows (:func:`shipped_out_of_fold`). Columns:
    ``set``, ``rows``, ``matched``, ``matched_<label>`` (counts), and sign-only accuracy of
    the fast head alone on all rows (``fast_sign_matched``, ``fast_sign_rest``) and of the
    cascade at the language's chosen settings on the rows with e5 probabilities
    (``e5_rows_matched``, ``cascade_sign_matched``, ``cascade_sign_rest``).
    """
    part = oof[oof["language"] == language].reset_index(drop=True)
    hit = matched_rows(part["text"], language)
    fast_right = sign_right(part[[f"fast_{c}" for c in CLASSES]].to_numpy(), part["label"])
    scored, cascade, _ = cascade_choice(part, language)
    scored_hit = matched_rows(scored["text"], language)
    cascade_right = sign_right(cascade, scored["label"].to_numpy())
    out = []
    for name in sorted(part["set"].unique()):
        mine = (part["set"] == name).to_numpy()
        here = (scored["set"] == name).to_numpy()
        counts = part.loc[mine & hit, "label"].value_counts()
        out.append(
            {
                "set": name,
                "rows": int(mine.sum()),
                "matched": int((mine & hit).sum()),
                **{f"matched_{c}": int(counts.get(c, 0)) for c in CLASSES},
                "fast_sign_matched": _mean(fast_right[mine & hit]),
                "fast_sign_rest": _mean(fast_right[mine & ~hit]),
                "e5_rows_matched": int((here & scored_hit).sum()),
                "cascade_sign_matched": _mean(cascade_right[here & scored_hit]),
                "cascade_sign_rest": _mean(cascade_right[here & ~scored_hit]),
            }
        )
    return pd.DataFrame(out)


def _mean(values: np.ndarray) -> float:
    """Return the mean of the non-NaN values (NaN when there are none)."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def shipped_out_of_fold(folder: str, language: str) -> pd.DataFrame:
    """Return the shipped heads' cached out-of-fold rows for ``language``.

    (:func:`cxlens.text.training.long_texts.shipped_recipe`: Russian's own heads, the shared
    ones for English and Chinese.)
    """
    _, oof = cached_out_of_fold(folder, shipped_recipe(language), {})
    return oof


def main(folder: str) -> list[pd.DataFrame]:
    """Print and return :func:`study` per language."""
    out = []
    for language in LANGUAGES:
        table = study(shipped_out_of_fold(folder, language), language)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(language, "\n", table.round(3).to_string(), flush=True)
        out.append(table)
    return out


def fold_models(rows: pd.DataFrame, fold: np.ndarray, features: object) -> list:
    """Return the fast heads refitted outside each fold (as :func:`fast_out_of_fold` fits them)."""
    return [
        fit_fast_head(rows[fold != k], features[fold != k], (), 2)  # type: ignore[index]
        for k in range(FOLDS)
    ]


def fast_in_fold(model: object, texts: list[str]) -> np.ndarray:
    """Return a refitted fast head's probabilities of normalised ``texts`` (float16 weights)."""
    return fast_head_probabilities(model, fast_features(texts))


def e5_fold_models(
    frame: pd.DataFrame, base: pd.DataFrame, language: str, cache: Path
) -> tuple[list, dict[str, int] | None]:
    """Return the e5 heads of ``language``'s shipped recipe refitted outside each fold.

    Russian's own (:func:`cxlens.text.training.train.own_e5_rows`, its own folds) or the
    shared one (:func:`cxlens.text.training.train.e5_training_rows`, every language's rows
    of fold k left out), as :mod:`cxlens.text.training.folds` fits them. For the shared one
    also each text's fold as the cache scored it (a text in several rows, as many Chinese
    shopping reviews are, got one fold's probabilities, its last row's); None for the own.
    """
    if "e5" in OWN_HEADS.get(language, ()):
        rows = own_e5_rows(frame, language, True).reset_index(drop=True)
        mine = (rows["language"] == language).to_numpy()
        fold = np.where(mine, fold_ids(rows, language), -1)
        text_fold = None
    else:
        rows = e5_training_rows(frame).reset_index(drop=True)
        text_fold = dict(zip(base["text"], base["fold"], strict=True))
        fold = rows["text"].map(text_fold).fillna(-1).to_numpy().astype(int)
    vectors = e5_cached(rows["text"].tolist(), cache)
    models = [fit_e5_models(rows[fold != k], vectors[fold != k]) for k in range(FOLDS)]
    return models, text_fold


def candidate_rows(
    folder: str, language: str, state: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return ``language``'s shipped out-of-fold rows and its matched rows recomputed both ways.

    (``rows``: :func:`shipped_out_of_fold`'s rows of the language; ``plain`` and ``masked``:
    its matched rows (:func:`matched_rows`, indexed as in ``rows``) with fast, e5 and
    lexicon columns from the heads refitted outside each row's fold, on the text as it is
    and with its negated problems masked (:func:`masked`). Every matched row gets e5
    columns, embedded here (the cache's ``e5`` rows are a sample); ``plain`` must reproduce
    the cached columns wherever the cache has them (else ValueError). ``state`` keeps the
    sets and the shared fast heads between languages.
    """
    state = {} if state is None else state
    cache = Path(folder) / "cache"
    oof = shipped_out_of_fold(folder, language)
    rows = oof[oof["language"] == language].reset_index(drop=True)
    hit = matched_rows(rows["text"], language)
    frame = state.setdefault("frame", load_sets(folder))
    fast_models = _fast_models(frame, language, state)
    e5_models, text_fold = e5_fold_models(frame, oof, language, cache)
    matched = rows[hit]
    raw = matched["text"].tolist()
    plain_texts = [normalise_noise(t) for t in raw]
    texts = {
        "plain": (plain_texts, raw),
        "masked": ([masked(t, language) for t in plain_texts], [masked(t, language) for t in raw]),
    }
    fold = matched["fold"].to_numpy()
    e5_fold = fold if text_fold is None else matched["text"].map(text_fold).to_numpy()
    out = {}
    for name, (fast_texts, e5_texts) in texts.items():
        vectors = e5_vectors(e5_texts, lambda w: embed_cached(w, cache, CACHE_NAME))
        got = matched.copy()
        for k in range(FOLDS):
            i = np.flatnonzero(fold == k)
            got.iloc[i, got.columns.get_indexer(FAST)] = fast_in_fold(
                fast_models[k], [fast_texts[j] for j in i]
            )
            i = np.flatnonzero(e5_fold == k)
            got.iloc[i, got.columns.get_indexer(E5)] = e5_model_probabilities(
                e5_models[k], vectors[i]
            )
        # Russian's lexicon is fixed (out-of-fold as it is); Chinese's is chosen at weight 0
        got["lexicon"] = lexicon_polarity(fast_texts, "ru") if language == "ru" else np.nan
        out[name] = got
    _reproduces(out["plain"], matched)
    return rows, out["plain"], out["masked"]


def _reproduces(plain: pd.DataFrame, cached: pd.DataFrame) -> None:
    """Raise ValueError unless ``plain``'s columns equal the cache's wherever it has them."""
    for columns in (FAST, E5, ["lexicon"]):
        have = cached[columns].notna().all(axis=1).to_numpy()
        if columns == ["lexicon"]:
            have = have & plain["lexicon"].notna().to_numpy()
        gap = np.abs(plain.loc[have, columns].to_numpy() - cached.loc[have, columns].to_numpy())
        if gap.size and gap.max() > 1e-4:
            raise ValueError(
                f"the refitted {columns[0]} columns differ from the cache by {gap.max():.2g}"
            )


def _fast_models(frame: pd.DataFrame, language: str, state: dict) -> list:
    """Return the fast heads of ``language``'s shipped recipe refitted outside each fold."""
    key = "fast_" + ("own_" + language if "fast" in OWN_HEADS.get(language, ()) else "shared")
    if key not in state:
        if key.startswith("fast_own"):
            rows = own_fast_rows(frame, language).reset_index(drop=True)
            fold = fold_ids(rows, language)
        else:
            rows = fast_training_rows(frame).reset_index(drop=True)
            fold = all_fold_ids(rows)
        features = fast_features([normalise_noise(t) for t in rows["text"]])
        state[key] = fold_models(rows, fold, features)
    return state[key]


def matched_sign_change(
    base: np.ndarray, other: np.ndarray, draws: int = 1000, seed: int = SEED
) -> tuple[float, float, float]:
    """Return the change in sign-only accuracy of the same polar rows, with a paired 95% interval.

    ``base`` and ``other``: 1.0 or 0.0 per row (:func:`sign_right`, NaN rows dropped); the
    rows are resampled together (``draws`` times, seeded: :func:`bootstrap_intervals`).

    Example:
        >>> matched_sign_change(np.array([0.0, 1.0, np.nan]), np.array([1.0, 1.0, np.nan]))[0]
        0.5
    """
    keep = ~np.isnan(base)
    base, other = base[keep], other[keep]
    (change,) = bootstrap_intervals(
        lambda drawn: [float(other[drawn[0]].mean() - base[drawn[0]].mean())],
        whole(len(base)),
        draws,
        seed,
    )
    return change


def rule_report(folder: str) -> dict:
    """Return the candidate's out-of-fold figures against the shipped cascade, per the rule.

    Per language (:func:`candidate_rows`; the cascade at the settings the shipped rows choose,
    :func:`cxlens.text.training.choices.cascade_choice`, for both): the settings; the matched
    rows per set; on all matched polar rows, the cascade's and the fast head's sign before and
    after, with the paired change (:func:`matched_sign_change`); on the tune's rows (those with
    cached e5 columns) that the unmatched ones are unchanged and the language's mean sign and
    macro-F1 change with paired 95% intervals
    (:func:`cxlens.text.training.paired.paired_probabilities_change`); then the matched polar
    rows of all languages pooled.
    """
    state: dict = {}
    report: dict = {"languages": {}}
    pooled: list[tuple[np.ndarray, np.ndarray]] = []
    columns = FAST + E5 + ["lexicon"]
    for language in LANGUAGES:
        rows, plain, masked_rows = candidate_rows(folder, language, state)
        part = rows.dropna(subset=E5)
        _, _, choice = cascade_choice(part, language)
        if choice["lexicon"] and language != "ru":
            raise ValueError(f"{language}'s lexicon is not recomputed for masked texts")
        candidate = part.copy()
        inside = plain.index.intersection(part.index)
        candidate.loc[inside, columns] = masked_rows.loc[inside, columns]
        base = blended(part.reset_index(drop=True), language, **choice)["cascade"]
        other = blended(candidate.reset_index(drop=True), language, **choice)["cascade"]
        hit = part.index.isin(plain.index)
        labels = plain["label"].to_numpy()
        cascade = [
            sign_right(blended(r.reset_index(drop=True), language, **choice)["cascade"], labels)
            for r in (plain, masked_rows)
        ]
        fast = [sign_right(r[FAST].to_numpy(), labels) for r in (plain, masked_rows)]
        pooled.append((cascade[0], cascade[1]))
        report["languages"][language] = {
            "choice": choice,
            "matched_per_set": plain["set"].value_counts().sort_index().to_dict(),
            "matched_labels": plain["label"].value_counts().to_dict(),
            "matched_polar": int((~np.isnan(cascade[0])).sum()),
            "cascade_sign": (_mean(cascade[0]), _mean(cascade[1])),
            "cascade_change": matched_sign_change(*cascade),
            "fast_sign": (_mean(fast[0]), _mean(fast[1])),
            "tune_rows_matched": int(hit.sum()),
            "unmatched_unchanged": bool((base[~hit] == other[~hit]).all()),
            "figures": (mean_figures(part, base), mean_figures(part, other)),
            "change": paired_probabilities_change(part.reset_index(drop=True), base, other),
        }
        print(language, report["languages"][language], flush=True)
    before_all = np.concatenate([b for b, _ in pooled])
    after_all = np.concatenate([a for _, a in pooled])
    report["matched_sign"] = (_mean(before_all), _mean(after_all))
    report["matched_change"] = matched_sign_change(before_all, after_all)
    print("matched, all languages", report["matched_sign"], report["matched_change"], flush=True)
    return report


if __name__ == "__main__":
    if sys.argv[2:3] == ["candidate"]:
        rule_report(sys.argv[1])
    else:
        main(sys.argv[1])
