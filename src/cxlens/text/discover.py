"""Theme discovery without a preset list: sentence-level TF-IDF and NMF, one model per language.

:class:`ThemeModel` follows scikit-learn's conventions. ``fit`` takes comments and their
languages (a sample of a large body is enough); per language with at least ``min_comments``
comments it

1. splits the comments into sentences (:func:`cxlens.text.tokenize.sentences`) and counts
   tokens and adjacent token pairs (:func:`cxlens.text.tokenize.analyzer`) with TF-IDF,
2. factorises the sentence x term matrix with NMF (``X ≈ W H``): each of the ``k`` rows of
   ``H`` is a candidate theme, each row of ``W`` a sentence's loading on the themes,
3. merges candidates whose term vectors are alike (cosine at least ``merge_similarity``,
   when ``k`` overshoots the number of topics) and drops those that fewer than ``min_share``
   of the comments belong to.

``transform`` assigns comments: a sentence's share of theme t is ``W_st / Σ_t W_st``; a
comment belongs to every theme one of its sentences gives a share of at least ``threshold``,
with that share as its weight. A comment in a modelled language that belongs to no theme is
an outlier. The number of candidates ``k`` is ``n_themes`` or, by default, grows with the
square root of the number of sentences (between 4 and ``max_themes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.text.aspects import aspect_of
from cxlens.text.tokenize import analyzer, sentences

#: Columns of :attr:`ThemeModel.themes_`.
THEME_COLUMNS: tuple[str, ...] = ("theme", "language", "label", "aspect", "keywords")
#: Columns of the assignment table :meth:`ThemeModel.transform` returns.
ASSIGN_COLUMNS: tuple[str, ...] = ("row", "theme", "weight")


@dataclass
class _LanguageModel:
    """The fitted pieces of one language: vectorizer, NMF and candidate -> theme map."""

    vectorizer: TfidfVectorizer
    nmf: NMF
    mapping: np.ndarray  # candidates x themes, 0/1
    themes: list[str]


def split_sentences(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Return every text's sentences in order and the text index of each.

    Example:
        >>> split_sentences(["A. B.", "C"])
        (['A.', 'B.', 'C'], array([0, 0, 1]))
    """
    out: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = sentences(text)
        out += parts
        owner += [i] * len(parts)
    return out, np.asarray(owner, dtype=np.int64)


class ThemeModel:
    """Discover themes per language and assign comments to zero or more of them.

    Args:
        n_themes: candidate themes per language; None chooses from the data (see module).
        max_themes: most candidates per language when ``n_themes`` is None.
        threshold: least share of a sentence's topic loading that makes its comment a member.
        min_share: least share of a language's comments a theme must hold to be kept.
        min_comments: fewest comments of a language to model it.
        merge_similarity: candidates whose term vectors have at least this cosine merge.
        max_features: vocabulary size per language.
        top_keywords: keywords kept per theme (the label uses the first three).
        seed: seed of the NMF initialisation.

    Example:
        >>> texts = ["Too expensive.", "Slow internet."] * 60
        >>> model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 120)
        >>> sorted(model.themes_["aspect"])
        ['price', 'speed']
    """

    def __init__(
        self,
        n_themes: int | None = None,
        *,
        max_themes: int = 50,
        threshold: float = 0.3,
        min_share: float = 0.002,
        min_comments: int = 50,
        merge_similarity: float = 0.5,
        max_features: int = 20_000,
        top_keywords: int = 8,
        seed: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.max_themes = max_themes
        self.threshold = threshold
        self.min_share = min_share
        self.min_comments = min_comments
        self.merge_similarity = merge_similarity
        self.max_features = max_features
        self.top_keywords = top_keywords
        self.seed = seed

    # ------------------------------------------------------------------ fit

    def _check(self) -> None:
        if self.n_themes is not None and self.n_themes < 1:
            raise ArgumentError(f"n_themes must be at least 1 or None, not {self.n_themes}")
        if not 0 < self.threshold <= 1:
            raise ArgumentError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0 <= self.min_share < 1:
            raise ArgumentError(f"min_share must be in [0, 1), not {self.min_share}")

    def fit(self, texts: Sequence[str], languages: Sequence[str]) -> ThemeModel:
        """Fit one theme model per language with enough comments; return self.

        Args:
            texts: cleaned comments (see :func:`cxlens.text.clean`); empty ones are skipped.
            languages: the language of each comment (ISO 639-1).

        Raises:
            NotEnoughDataError: no language has ``min_comments`` comments with words.
        """
        self._check()
        if len(texts) != len(languages):
            raise ArgumentError(
                f"texts and languages differ in length ({len(texts)} and {len(languages)})"
            )
        frame = pd.DataFrame({"text": list(texts), "language": list(languages)})
        frame = frame[frame["text"].str.len() > 0]
        self.models_: dict[str, _LanguageModel] = {}
        rows: list[dict[str, object]] = []
        for lang, part in frame.groupby("language", sort=True):
            if len(part) < self.min_comments:
                continue
            fitted = self._fit_language(str(lang), part["text"].tolist())
            if fitted is None:
                continue
            model, table = fitted
            self.models_[str(lang)] = model
            rows += table
        if not self.models_:
            counts = frame["language"].value_counts().to_dict()
            raise NotEnoughDataError(
                f"theme discovery needs at least {self.min_comments} comments with words in "
                f"one language; got {counts or 'none'}; lower min_comments or add comments"
            )
        self.themes_ = pd.DataFrame(rows, columns=list(THEME_COLUMNS))
        return self

    def _k(self, n_sentences: int) -> int:
        if self.n_themes is not None:
            return self.n_themes
        return int(np.clip(round(np.sqrt(n_sentences / 4)), 4, self.max_themes))

    def _fit_language(
        self, lang: str, texts: list[str]
    ) -> tuple[_LanguageModel, list[dict[str, object]]] | None:
        sents, owner = split_sentences(texts)
        vectorizer = TfidfVectorizer(
            analyzer=analyzer(lang),
            min_df=2,
            max_df=0.5,
            sublinear_tf=True,
            max_features=self.max_features,
        )
        try:
            x = vectorizer.fit_transform(sents)
        except ValueError:  # nothing left after min_df / max_df
            return None
        k = min(self._k(len(sents)), x.shape[0], x.shape[1])
        nmf = NMF(n_components=k, init="nndsvda", random_state=self.seed, max_iter=400)
        w = nmf.fit_transform(x)
        mapping = _merge(nmf.components_, self.merge_similarity)
        weights = _comment_weights(_shares(w) @ mapping, owner, len(texts))
        members = (weights >= self.threshold).sum(axis=0)
        keep = members >= max(1, self.min_share * len(texts))
        if not keep.any():
            return None
        mapping = mapping[:, keep]
        order = np.argsort(-members[keep], kind="stable")
        mapping = mapping[:, order]
        terms = vectorizer.get_feature_names_out()
        names = [f"{lang}-{i + 1:02d}" for i in range(mapping.shape[1])]
        table = []
        for j, name in enumerate(names):
            profile = mapping[:, j] @ nmf.components_
            top = np.argsort(-profile)[: self.top_keywords]
            top = top[profile[top] > 0]
            keywords = [str(terms[i]) for i in top]
            table.append(
                {
                    "theme": name,
                    "language": lang,
                    "label": _label(keywords),
                    "aspect": aspect_of(keywords, profile[top].tolist(), lang),
                    "keywords": keywords,
                }
            )
        return _LanguageModel(vectorizer, nmf, mapping, names), table

    # ------------------------------------------------------------ transform

    def transform(self, texts: Sequence[str], languages: Sequence[str]) -> pd.DataFrame:
        """Assign comments to themes: one row per (comment, theme) membership.

        Args:
            texts: cleaned comments.
            languages: their languages; comments in a language without a model get no row.

        Returns:
            A DataFrame with ``row`` (position in ``texts``), ``theme`` and ``weight`` (the
            theme's share of the comment's most loaded sentence, in [threshold, 1]).

        Example:
            >>> texts = ["Too expensive.", "Slow internet."] * 60
            >>> model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 120)
            >>> model.transform(["Way too expensive!"], ["en"])["weight"].round(2).tolist()
            [1.0]
        """
        if not hasattr(self, "models_"):
            raise ArgumentError("this ThemeModel is not fitted yet; call fit(texts, languages)")
        langs = np.asarray(languages, dtype=object)
        parts = [pd.DataFrame(columns=list(ASSIGN_COLUMNS))]
        for lang, model in self.models_.items():
            idx = np.flatnonzero(langs == lang)
            if not len(idx):
                continue
            sents, owner = split_sentences([texts[i] for i in idx])
            if not sents:
                continue
            w = model.nmf.transform(model.vectorizer.transform(sents))
            weights = _comment_weights(_shares(w) @ model.mapping, owner, len(idx))
            rows, cols = np.nonzero(weights >= self.threshold)
            parts.append(
                pd.DataFrame(
                    {
                        "row": idx[rows],
                        "theme": np.asarray(model.themes, dtype=object)[cols],
                        "weight": weights[rows, cols],
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        out["row"] = out["row"].astype("int64")
        out["weight"] = out["weight"].astype("float64")
        return out.sort_values(["row", "theme"], ignore_index=True)


def _shares(w: np.ndarray) -> np.ndarray:
    """Each sentence's loading on each candidate as a share of its total (0 without words)."""
    total = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, w / total, 0.0)


def _comment_weights(shares: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Return the largest share over each comment's sentences (comments x themes)."""
    out = np.zeros((n, shares.shape[1]))
    np.maximum.at(out, owner, shares)
    return out


def _merge(components: np.ndarray, similarity: float) -> np.ndarray:
    """Candidates x themes 0/1 map joining candidates with alike term vectors (union-find)."""
    k = components.shape[0]
    norm = np.linalg.norm(components, axis=1, keepdims=True)
    unit = np.divide(components, norm, out=np.zeros_like(components), where=norm > 0)
    cosine = sparse.csr_matrix(unit @ unit.T >= similarity)
    _, labels = sparse.csgraph.connected_components(cosine, directed=False)
    mapping = np.zeros((k, labels.max() + 1))
    mapping[np.arange(k), labels] = 1.0
    return mapping


def _label(keywords: list[str]) -> str:
    """Readable label: the top three keywords, without words a kept pair already shows."""
    picked: list[str] = []
    for word in keywords:
        if any(word in p.split() for p in picked):
            continue
        picked = [p for p in picked if p not in word.split()]
        picked.append(word)
        if len(picked) == 3:
            break
    return ", ".join(sorted(picked, key=keywords.index))
