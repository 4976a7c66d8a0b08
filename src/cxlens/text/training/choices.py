"""The blend's per-language settings, chosen on out-of-fold rows, and the figures they give.

:func:`grid` scores every fast-head weight of :data:`WEIGHTS`, neutral shift of :data:`SHIFTS`
and lexicon weight of :data:`LEXICON_GRID` on a language's out-of-fold rows (mean macro-F1 over
its sets with :data:`NEUTRAL_MIN` neutral rows, mean sign-only accuracy over all its sets);
:func:`best` chooses among them, :func:`summary` gives each language's choice and the fast head
alone's (:func:`fast_alone`), and :func:`cascade_choice` the chosen cascade's probabilities.

Example:
    >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"],
    ...     **{f"{h}_{c}": [1.0 * (c == k) for k in ("negative", "neutral", "positive")]
    ...        for h in ("fast", "e5") for c in CLASSES}})
    >>> chosen = best(grid(oof, "en"))
    >>> [float(chosen[k]) for k in ("weight", "shift", "macro_f1")]
    [0.5, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlens.text.sentiment_model import (
    CLASSES,
    CONFIDENT,
    LEXICON_LANGUAGES,
    combine,
    read_probabilities,
    shift_neutral,
    stack_lexicon,
)
from cxlens.text.training.evaluate import figures

WEIGHTS: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)
SHIFTS: tuple[float, ...] = (-2.5, -2.0, -1.75, -1.5, -1.25, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
#: The lexicon's weights in the accurate path's polarity tried, for the languages of
#: :data:`cxlens.text.sentiment_model.LEXICON_LANGUAGES` (stacking; 0: the heads alone).
LEXICON_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
#: A set counts for macro-F1 when at least this share of its rows is neutral (the Russian
#: reviews' 4% would make its F1 a figure of a dozen rows).
NEUTRAL_MIN = 0.1


def blended(
    oof: pd.DataFrame, language: str, weight: float, shift: float, lexicon: float = 0.0
) -> dict[str, np.ndarray]:
    """Return the cascade's and the accurate path's probabilities for ``weight`` and ``shift``.

    The accurate path stacks the ``lexicon`` column at weight ``lexicon``
    (:func:`cxlens.text.sentiment_model.stack_lexicon`). The cascade keeps the fast head's
    where its top class reaches :data:`CONFIDENT` (no budget here).
    """
    fast = oof[[f"fast_{c}" for c in CLASSES]].to_numpy()
    e5 = oof[[f"e5_{c}" for c in CLASSES]].to_numpy()
    accurate = combine(fast, e5, language, weight)
    if lexicon:
        accurate = stack_lexicon(accurate, oof["lexicon"].to_numpy(), lexicon)
    cascade = np.where((fast.max(axis=1) < CONFIDENT)[:, None], accurate, fast)
    return {m: shift_neutral(p, shift) for m, p in (("cascade", cascade), ("accurate", accurate))}


def lexicon_grid(oof: pd.DataFrame, language: str) -> tuple[float, ...]:
    """Return the lexicon weights to try: :data:`LEXICON_GRID` where the rows have its scores.

    Example:
        >>> lexicon_grid(pd.DataFrame({"lexicon": [0.5]}), "en")
        (0.0,)
    """
    has = "lexicon" in oof and language in LEXICON_LANGUAGES and oof["lexicon"].notna().all()
    return LEXICON_GRID if has else (0.0,)


def grid(oof: pd.DataFrame, language: str) -> pd.DataFrame:
    """Return one row per (weight, shift, method): mean macro-F1 and mean sign over the sets.

    Macro-F1 is averaged over the sets with at least :data:`NEUTRAL_MIN` neutral rows, sign
    over every set.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"],
        ...     **{f"{h}_{c}": [1.0 * (c == k) for k in ("negative", "neutral", "positive")]
        ...        for h in ("fast", "e5") for c in CLASSES}})
        >>> grid(oof, "ru").query("weight == 0.5 and shift == 0")["macro_f1"].tolist()
        [1.0, 1.0]
    """
    oof = oof.dropna(subset=[f"e5_{c}" for c in CLASSES]).reset_index(drop=True)
    neutral_share = oof.groupby("set")["label"].apply(lambda s: float((s == "neutral").mean()))
    out = []
    for weight, shift, lexicon in (
        (w, s, x) for w in WEIGHTS for s in SHIFTS for x in lexicon_grid(oof, language)
    ):
        for method, probs in blended(oof, language, weight, shift, lexicon).items():
            labels, scores, _ = read_probabilities(probs)
            per_set = {
                name: figures(part["label"].to_numpy().astype(object), labels[i], scores[i])
                for name, part in oof.groupby("set")
                for i in [part.index.to_numpy()]
            }
            f1 = [f["macro_f1"] for n, f in per_set.items() if neutral_share[n] >= NEUTRAL_MIN]
            out.append(
                {
                    "weight": weight,
                    "shift": shift,
                    "lexicon": lexicon,
                    "method": method,
                    "macro_f1": float(np.mean(f1)) if f1 else float("nan"),
                    "sign": float(np.mean([f["sign"] for f in per_set.values()])),
                    **{f"f1 {n}": round(f["macro_f1"], 3) for n, f in per_set.items()},
                    **{f"sign {n}": round(f["sign"], 3) for n, f in per_set.items()},
                }
            )
    return pd.DataFrame(out)


def best(table: pd.DataFrame, weight: float | None = None) -> pd.Series:
    """Return the cascade's row with the highest mean macro-F1 (at ``weight``, if given).

    The language's fast-head weight, neutral shift and lexicon weight (if the table has one)
    are chosen together. Ties (within 0.001) go to the higher mean sign (also rounded), then
    to the smaller lexicon weight (it costs time), then to the smaller shift, then to the
    weight nearest 0.5 (an even blend).
    """
    cascade = table[table["method"] == "cascade"].copy()
    if weight is not None:
        cascade = cascade[cascade["weight"] == weight]
    cascade["f1_rounded"] = cascade["macro_f1"].round(3)
    cascade["sign_rounded"] = cascade["sign"].round(3)
    cascade["stacked"] = cascade.get("lexicon", 0.0)
    cascade["size"] = cascade["shift"].abs()
    cascade["off_even"] = (cascade["weight"] - 0.5).abs()
    order = cascade.sort_values(
        ["f1_rounded", "sign_rounded", "stacked", "size", "off_even"],
        ascending=[False, False, True, True, True],
    )
    return order.iloc[0]


def mean_figures(oof: pd.DataFrame, probs: np.ndarray) -> dict[str, float]:
    """Return mean macro-F1 (sets with :data:`NEUTRAL_MIN` neutral rows) and mean sign per set.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"]})
        >>> mean_figures(oof, np.eye(3))
        {'macro_f1': 1.0, 'sign': 1.0}
    """
    labels, scores, _ = read_probabilities(probs)
    f1, sign = [], []
    for _, part in oof.reset_index(drop=True).groupby("set"):
        i = part.index.to_numpy()
        got = figures(part["label"].to_numpy().astype(object), labels[i], scores[i])
        sign.append(got["sign"])
        if (part["label"] == "neutral").mean() >= NEUTRAL_MIN:
            f1.append(got["macro_f1"])
    return {"macro_f1": float(np.mean(f1)) if f1 else float("nan"), "sign": float(np.mean(sign))}


def summary(oof: pd.DataFrame) -> pd.DataFrame:
    """Return one row per language: its chosen weight and shift (:func:`best`) and figures.

    ``cascade_*`` on the rows with e5 probabilities, at its chosen weight and shift;
    ``fast_*``: the fast head alone on all the language's rows, at its own best shift
    (:func:`fast_alone`; to be set in :data:`cxlens.text.sentiment_model.FAST_MODE_SHIFT`).
    """
    out = []
    for language, part in oof.groupby("language"):
        part = part.reset_index(drop=True)
        chosen = best(grid(part, str(language)))
        alone = fast_alone(part)
        out.append(
            {
                "language": language,
                "weight": float(chosen["weight"]),
                "shift": float(chosen["shift"]),
                "lexicon": float(chosen["lexicon"]),
                "cascade_macro_f1": float(chosen["macro_f1"]),
                "cascade_sign": float(chosen["sign"]),
                "fast_shift": alone["shift"],
                "fast_macro_f1": alone["macro_f1"],
                "fast_sign": alone["sign"],
                "per_set": {k: v for k, v in chosen.items() if k.startswith(("f1 ", "sign "))},
            }
        )
    return pd.DataFrame(out)


def fast_alone(oof: pd.DataFrame) -> dict[str, float]:
    """Return the fast head alone's best neutral shift of :data:`SHIFTS` and its figures.

    As :func:`best` chooses: the highest mean macro-F1 (to 0.001), then sign, then the
    smaller shift.

    Example:
        >>> oof = pd.DataFrame({"set": ["a"] * 3, "label": ["negative", "neutral", "positive"],
        ...     **{f"fast_{c}": [0.6, 0.45, 0.1] if c == "negative" else [0.2, 0.3, 0.1]
        ...        if c == "neutral" else [0.2, 0.25, 0.8] for c in CLASSES}})
        >>> fast_alone(oof)
        {'shift': 0.5, 'macro_f1': 1.0, 'sign': 1.0}
    """
    fast = oof[[f"fast_{c}" for c in CLASSES]].to_numpy()
    scored = [{"shift": s, **mean_figures(oof, shift_neutral(fast, s))} for s in SHIFTS]
    return max(
        scored,
        key=lambda r: (np.nan_to_num(round(r["macro_f1"], 3), nan=-1), round(r["sign"], 3),
                       -abs(r["shift"])),
    )  # fmt: skip


def cascade_choice(
    oof: pd.DataFrame, language: str, stacked: bool = True
) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Return ``language``'s rows with e5 probabilities, their cascade probabilities and choice.

    The cascade's at the weight, shift and lexicon weight :func:`best` chooses for the
    language (the choice: ``{"weight": ..., "shift": ..., "lexicon": ...}``); with
    ``stacked`` False, among the choices without the lexicon.
    """
    part = oof[oof["language"] == language].dropna(subset=[f"e5_{c}" for c in CLASSES])
    part = part.reset_index(drop=True)
    table = grid(part, language)
    chosen = best(table if stacked else table[table["lexicon"] == 0])
    choice = {k: float(chosen[k]) for k in ("weight", "shift", "lexicon")}
    return part, blended(part, language, **choice)["cascade"], choice
