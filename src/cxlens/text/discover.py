"""Theme discovery over sentence embeddings, labelled with words of the comments' language.

:class:`ThemeModel` follows scikit-learn's conventions. ``fit`` takes comments and their
languages (a sample of a large body is enough); per supported language (en, ru, zh) with at
least ``min_comments`` comments it

1. splits the comments into sentences (:func:`cxlens.text.tokenize.sentences`: a comment often
   praises one thing and complains about another) and keeps those with a content word,
2. embeds up to ``max_sentences`` of them with a multilingual sentence encoder
   (:func:`cxlens.text.embeddings.embed`; Universal Sentence Encoder by default, e5 on request)
   and clusters them with k-means (``k`` = ``n_themes`` or sqrt(sentences / 6), 3 to
   ``max_themes``), as BERTopic does (Grootendorst 2022); a sentence whose cosine to its
   centroid is below ``outlier_similarity``, or in a cluster under ``min_share``, is an outlier,
3. labels each cluster by class-based TF-IDF (c-TF-IDF, BERTopic's weighting) over the
   language's words (English words, Russian pymorphy3 lemmas, Chinese jieba words), shown as
   the most frequent surface phrase of the members (Russian in grammatical order as written)
   and negated when most members negate the word ("No outages", "没有断网"),
4. merges clusters of different languages whose centroids' cosine is at least
   ``merge_similarity`` and whose keywords name the same aspect (:mod:`cxlens.text.aspects`),
   or whose cosine is at least 0.85 otherwise, into one theme (one cluster per language at
   most, closest pairs first),
5. labels the sample's sentences by the teacher, the nearest centroid in the encoder's space
   (none below ``outlier_similarity``), and trains on them a cheap student: per language, a
   logistic regression over hashed TF-IDF of character 1-3-grams (the teacher's outlier
   calls are a class it learns).

``transform`` assigns comments, each distinct sentence once; a sentence without a word that
can name a topic ("!", "I do.") gets no theme, as the fit leaves it out. By default
(``assign="cascade"``) the teacher assigns every sentence until ``teacher_budget`` distinct
sentences of the language have been embedded over the fitted model's life (the sample's are
known from the fit, and a sentence met before is not embedded again). A call with more new
sentences than the budget left gives the teacher those the student is least sure of; then
the student is retrained on every sentence the teacher has read and assigns the rest. The
student sends a sentence to its most probable theme, or to none when "outlier" wins or the
probability is below ``threshold``. A comment belongs to every theme one of its sentences
goes to. ``assign="embedding"`` is the teacher alone (no budget), ``assign="classifier"``
the student alone.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier

from cxlens.errors import ArgumentError, NotEnoughDataError
from cxlens.text.aspects import GENERAL, aspect_of
from cxlens.text.embeddings import ENCODERS, embed
from cxlens.text.language import strip_noise
from cxlens.text.tokenize import is_negator, sentences, word_spans

#: Languages with a theme model (their words are tokenised and checked).
SUPPORTED: tuple[str, ...] = ("en", "ru", "zh")
#: Columns of :attr:`ThemeModel.themes_` (``languages``, ``labels`` added to the old five).
THEME_COLUMNS: tuple[str, ...] = (
    "theme", "language", "label", "aspect", "keywords", "languages", "labels",
)  # fmt: skip
#: Columns of the assignment table :meth:`ThemeModel.transform` returns.
ASSIGN_COLUMNS: tuple[str, ...] = ("row", "theme", "weight", "sentence")
#: Label of an outlier sentence in the assignment classifier.
OUTLIER = ""
#: How ``transform`` assigns: teacher then student, the teacher alone, the student alone.
ASSIGNERS: tuple[str, ...] = ("cascade", "embedding", "classifier")
#: Distinct sentences per language the teacher (nearest centroid, USE) embeds at assignment
#: over a fitted model's life: about 55 CPU seconds per language on one core (~900 a second).
#: A million comments of the text-pipeline benchmark hold fewer; real bodies that hold more
#: get the student for the rest.
TEACHER_BUDGET = 50_000
#: Clusters of different languages without the same named aspect merge only at this cosine
#: (greetings and one-word replies of three unrelated real sets reached 0.71-0.83).
UNNAMED_MERGE_SIMILARITY = 0.85
#: Hashed character n-gram features of the student.
HASH_FEATURES = 2**18
#: Least share of a cluster's sentences a label word or phrase must be held by. At 30,000
#: benchmark comments the labels held by under 10% of their assigned members (13 of 85
#: clusters) named scatters of unrelated sentences by a rare, distinctive phrase ("Updates,
#: happening to united": 2%); the others were held by 11-99% (docs/text.md, themes).
LABEL_FLOOR = 0.10
#: How a theme none of whose words reaches :data:`LABEL_FLOOR` is marked, before the key
#: words of its most typical member ("Mixed: dallas, fly" at 30,000 benchmark comments).
MIXED: dict[str, str] = {"en": "Mixed", "ru": "Разное", "zh": "其他"}
#: Reads a language's sentences and returns each one's sign: -1 negative, 0 neutral or
#: unread, +1 positive (:func:`cxlens.text.polarity.scorer_polarity` reads as themes read
#: their sentences, :func:`cxlens.text.polarity.label_polarity` with one sentiment backend).
#: Labels then never carry a sign their cluster's majority contradicts.
Polarity = Callable[[list[str], str], np.ndarray]


def mixed_marker(label: str) -> str | None:
    """Return the language whose :data:`MIXED` marker starts ``label``, or None.

    A theme so marked has no word most of its members share: it is a scatter, not a topic.

    Example:
        >>> mixed_marker("Разное: билет"), mixed_marker("Mixed"), mixed_marker("Mixed grill")
        ('ru', 'en', None)
    """
    for lang, mark in MIXED.items():
        if label == mark or label.startswith(f"{mark}: "):
            return lang
    return None


Span = tuple[int, int, str | None, bool]
_CLAUSE = re.compile(r"[,;:.!?，；：、。！？…()（）]")


@dataclass
class _Cluster:
    """One k-means cluster of one language's sample sentences."""

    language: str
    centroid: np.ndarray
    sentences: list[str]
    similarity: np.ndarray  # each member's cosine to the centroid
    signs: np.ndarray | None = None  # each member's sign (-1, 0, +1); None: not read
    theme: str = ""
    keywords: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    label: str = ""


@dataclass
class _LanguageModel:
    """The fitted assignment pieces of one language, and what the teacher has read so far."""

    vectorizer: HashingVectorizer
    tfidf: TfidfTransformer
    classifier: SGDClassifier | None  # the student; None when the sample had a single class
    themes: list[str]  # theme of each centroid row
    centroids: np.ndarray  # unit rows in the encoder's space
    known: dict[str, tuple[str, float]]  # the teacher's call (theme, cosine) per sentence
    budget_left: int  # distinct sentences the teacher may still embed
    learnt_from: int = 0  # known sentences the student was last trained on
    by_teacher: int = 0  # distinct sentences of transform calls the teacher assigned
    by_student: int = 0  # ... and the student
    language: str = ""  # whose words decide whether a sentence can name a theme


def split_sentences(texts: Sequence[str], keep_noise: bool = False) -> tuple[list[str], np.ndarray]:
    """Return every text's sentences in order and the text index of each.

    URLs, @handles, hashtags and emoji are left out (:func:`cxlens.text.language.strip_noise`):
    they name no topic, and airline handles would otherwise be a theme of every tweet.
    ``keep_noise`` keeps them (a sentence's sentiment reads its emoji).

    Example:
        >>> split_sentences(["A. B.", "C"])
        (['A.', 'B.', 'C'], array([0, 0, 1]))
    """
    out: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        parts = sentences(text if keep_noise else strip_noise(text)) if text else []
        out += parts
        owner += [i] * len(parts)
    return out, np.asarray(owner, dtype=np.int64)


def has_content(text: str, language: str) -> bool:
    """Return True when ``text`` holds a word that can name a theme (not only stop words).

    Example:
        >>> has_content("it is what it is", "en"), has_content("Slow internet", "en")
        (False, True)
    """
    return any(key for _, _, key, _ in word_spans(text, language))


def _named(model: _LanguageModel, sents: list[str]) -> np.ndarray:
    """Mask of the sentences holding a word that can name a theme (known ones do).

    The fit leaves the others out; assigned, they ("!", "I do.", "3。") gathered around one
    centroid: 84% of the largest theme's members at 30,000 comments (docs/text.md).
    """
    return np.array([s in model.known or has_content(s, model.language) for s in sents], dtype=bool)


def nearest_theme(
    vectors: np.ndarray, centroids: np.ndarray, themes: Sequence[str], least: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return each unit vector's nearest centroid's theme (OUTLIER below cosine ``least``).

    Also returns the cosine to that centroid: the teacher's call.

    Example:
        >>> v = np.array([[1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
        >>> nearest_theme(v, np.eye(2), ["a", "b"], 0.3)
        (array(['a', 'b', ''], dtype=object), array([1. , 0.8, 0. ]))
    """
    cosine = vectors @ centroids.T
    best = cosine.argmax(axis=1)
    near = cosine[np.arange(len(vectors)), best].astype(np.float64)
    theme = np.asarray(themes, dtype=object)[best]
    return np.where(near >= least, theme, OUTLIER), near


class ThemeModel:
    """Discover themes over sentence embeddings and assign comments to zero or more of them.

    Args:
        n_themes: clusters per language; None: sqrt(sentences / 6), 3 to ``max_themes``.
        max_themes: most clusters per language when ``n_themes`` is None.
        encoder: ``"use"`` (Universal Sentence Encoder, fast) or ``"e5"`` (more accurate).
        max_sentences: sample sentences embedded per language.
        outlier_similarity: least cosine to the cluster centroid of a member sentence.
        min_share: least share of a language's sample sentences a cluster must hold.
        min_comments: fewest comments of a language to model it.
        merge_similarity: clusters of different languages whose centroids have at least this
            cosine become one theme.
        threshold: least probability of the student's theme for a sentence to count (0.1:
            highest agreement with the teacher on held-out comments, docs/text.md).
        assign: ``"cascade"`` (the teacher within ``teacher_budget``, then the student),
            ``"embedding"`` (the teacher: nearest centroid in the encoder's space) or
            ``"classifier"`` (the student: hashed TF-IDF + logistic regression).
        teacher_budget: distinct sentences per language the teacher may embed at
            assignment over the fitted model's life (``assign="cascade"``).
        top_keywords: keywords kept per theme and language.
        languages: languages modelled (others get no theme).
        seed: seed of the sample, k-means and the classifier.

    Example:
        >>> texts = ["Far too expensive.", "The internet is slow."] * 40
        >>> model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 80)
        >>> sorted(model.themes_["aspect"])
        ['price', 'speed']
    """

    def __init__(
        self,
        n_themes: int | None = None,
        *,
        max_themes: int = 30,
        encoder: str = "use",
        max_sentences: int = 8000,
        outlier_similarity: float = 0.3,
        min_share: float = 0.004,
        min_comments: int = 50,
        merge_similarity: float = 0.6,
        threshold: float = 0.1,
        assign: str = "cascade",
        teacher_budget: int = TEACHER_BUDGET,
        top_keywords: int = 8,
        languages: Sequence[str] = SUPPORTED,
        seed: int = 0,
    ) -> None:
        self.n_themes = n_themes
        self.max_themes = max_themes
        self.encoder = encoder
        self.max_sentences = max_sentences
        self.outlier_similarity = outlier_similarity
        self.min_share = min_share
        self.min_comments = min_comments
        self.merge_similarity = merge_similarity
        self.threshold = threshold
        self.assign = assign
        self.teacher_budget = teacher_budget
        self.top_keywords = top_keywords
        self.languages = tuple(languages)
        self.seed = seed

    # ------------------------------------------------------------------ fit

    def _check(self) -> None:
        if self.n_themes is not None and self.n_themes < 1:
            raise ArgumentError(f"n_themes must be at least 1 or None, not {self.n_themes}")
        if not 0 < self.threshold <= 1:
            raise ArgumentError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0 <= self.min_share < 1:
            raise ArgumentError(f"min_share must be in [0, 1), not {self.min_share}")
        if self.encoder not in ENCODERS:
            raise ArgumentError(f"encoder must be one of {list(ENCODERS)}, not {self.encoder!r}")
        if self.assign not in ASSIGNERS:
            raise ArgumentError(f"assign must be one of {list(ASSIGNERS)}, not {self.assign!r}")
        if self.teacher_budget < 0:
            raise ArgumentError(f"teacher_budget must be at least 0, not {self.teacher_budget}")
        if self.max_sentences < 10:
            raise ArgumentError(f"max_sentences must be at least 10, not {self.max_sentences}")

    def fit(
        self,
        texts: Sequence[str],
        languages: Sequence[str],
        *,
        polarity: Polarity | None = None,
    ) -> ThemeModel:
        """Fit the themes of every supported language with enough comments; return self.

        Args:
            texts: cleaned comments (see :func:`cxlens.text.clean`); empty ones are skipped.
            languages: the language of each comment (ISO 639-1).
            polarity: reads each cluster member's sign (:data:`Polarity`) so that no label
                phrase carries a sign the cluster's majority contradicts (:func:`sign_allowed`);
                None: labels by c-TF-IDF alone, whatever their sign.

        Raises:
            NotEnoughDataError: no supported language has ``min_comments`` comments with words.
        """
        self._check()
        if len(texts) != len(languages):
            raise ArgumentError(
                f"texts and languages differ in length ({len(texts)} and {len(languages)})"
            )
        frame = pd.DataFrame({"text": list(texts), "language": list(languages)})
        frame = frame[frame["text"].fillna("").str.len() > 0]
        clusters: list[_Cluster] = []
        training: dict[str, tuple[list[str], list[int], np.ndarray]] = {}
        for lang, part in frame.groupby("language", sort=True):
            if lang not in self.languages or len(part) < self.min_comments:
                continue
            found = self._cluster_language(str(lang), part["text"].tolist(), polarity)
            if found is None:
                continue
            lang_clusters, sents, labels, vectors = found
            labels = np.where(labels >= 0, labels + len(clusters), -1)
            clusters += lang_clusters
            training[str(lang)] = (sents, labels.tolist(), vectors)
        if not clusters:
            counts = frame["language"].value_counts().to_dict()
            raise NotEnoughDataError(
                f"theme discovery needs at least {self.min_comments} comments with words in "
                f"one of {list(self.languages)} and sentences with words that name a topic; "
                f"got {counts or 'none'}; lower min_comments or add comments"
            )
        _name_themes(clusters, self.merge_similarity)
        self.clusters_ = clusters
        self.models_ = {
            lang: self._train(lang, sents, vectors)
            for lang, (sents, _, vectors) in training.items()
        }
        self.themes_ = _theme_table(clusters)
        self.outlier_share_ = float(
            np.mean([lab < 0 for _, labels, _ in training.values() for lab in labels])
        )
        return self

    def _cluster_language(
        self, lang: str, texts: list[str], polarity: Polarity | None = None
    ) -> tuple[list[_Cluster], list[str], np.ndarray, np.ndarray] | None:
        """Embed and cluster one language's sample sentences; label the clusters."""
        sents, _ = split_sentences(texts)
        spans = {s: word_spans(s, lang) for s in set(sents)}
        sents = [s for s in sents if any(k for _, _, k, _ in spans[s])]
        if len(sents) < max(10, self.min_comments // 2):
            return None
        rng = np.random.default_rng(self.seed)
        if len(sents) > self.max_sentences:
            sents = [sents[i] for i in sorted(rng.choice(len(sents), self.max_sentences, False))]
        vectors = embed(sents, self.encoder)  # type: ignore[arg-type]
        k, labels, centroids = self._kmeans(vectors)
        similarity = np.einsum("ij,ij->i", vectors, centroids[labels])
        labels = np.where(similarity >= self.outlier_similarity, labels, -1)
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        small = sizes < max(3, self.min_share * len(sents))
        labels = np.where((labels >= 0) & small[np.maximum(labels, 0)], -1, labels)
        kept = [c for c in range(k) if not small[c]]
        remap = np.full(k, -1)
        remap[kept] = np.arange(len(kept))
        labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
        clusters = []
        for new, old in enumerate(kept):
            members = np.flatnonzero(labels == new)
            centroid = vectors[members].mean(axis=0)
            centroid /= np.linalg.norm(centroid) or 1.0
            clusters.append(
                _Cluster(lang, centroid, [sents[i] for i in members], similarity[members])
            )
            del old
        if not clusters:
            return None
        if polarity is not None:
            _read_signs(clusters, lang, polarity)
        _label_clusters(clusters, lang, spans, self.top_keywords)
        return clusters, sents, labels, vectors

    def _kmeans(self, vectors: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """Fit k-means; return k, labels and unit centroids.

        k is ``n_themes`` or sqrt(sentences / 6) between 3 and ``max_themes`` (8,000
        sentences: 30 clusters). On the sample data a silhouette-chosen k (3 to 12) joined
        small topics such as billing into larger ones and took 4 times as long; with
        sqrt(sentences / 12) the own brand's billing posts shared a theme with every
        brand's double charges.
        """
        n = len(vectors)
        k = self.n_themes or int(np.clip(round(np.sqrt(n / 6)), 3, self.max_themes))
        km = KMeans(n_clusters=min(k, n), n_init=3, random_state=self.seed).fit(vectors)
        norms = np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
        return k, km.labels_, km.cluster_centers_ / np.where(norms == 0, 1.0, norms)

    def _train(self, lang: str, sents: list[str], vectors: np.ndarray) -> _LanguageModel:
        """Label one language's sample sentences by the teacher; train the student on them.

        The student learns the teacher's calls, its outliers included, rather than the
        k-means clusters: those are what it stands in for at assignment.
        """
        mine = [c for c in self.clusters_ if c.language == lang]
        centroids = np.vstack([c.centroid for c in mine])
        themes = [c.theme for c in mine]
        called, cosine = nearest_theme(vectors, centroids, themes, self.outlier_similarity)
        vectorizer, tfidf, classifier = self._student_fit(sents, called.tolist())
        known = {s: (str(t), float(c)) for s, t, c in zip(sents, called, cosine, strict=True)}
        return _LanguageModel(
            vectorizer, tfidf, classifier, themes, centroids, known, self.teacher_budget,
            learnt_from=len(known), language=lang,
        )  # fmt: skip

    def _student_fit(
        self, sents: list[str], called: list[str]
    ) -> tuple[HashingVectorizer, TfidfTransformer, SGDClassifier | None]:
        """Train the student on the teacher's calls: hashed char 1-3-gram TF-IDF, log loss."""
        vectorizer = HashingVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), n_features=HASH_FEATURES,
            alternate_sign=False, norm=None, lowercase=True,
        )  # fmt: skip
        tfidf = TfidfTransformer(sublinear_tf=True).fit(vectorizer.transform(sents))
        if len(set(called)) < 2:
            return vectorizer, tfidf, None
        classifier = SGDClassifier(
            loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=self.seed
        ).fit(tfidf.transform(vectorizer.transform(sents)), called)
        return vectorizer, tfidf, classifier

    def _relearn(self, model: _LanguageModel) -> None:
        """Retrain the student on every sentence the teacher has called (once it has more).

        Measured on held-out comments, each doubling of the teacher-labelled sentences raised
        the student's agreement with the teacher by about 4 points (docs/text.md).
        """
        sents = list(model.known)
        vectorizer, tfidf, classifier = self._student_fit(
            sents, [t for t, _ in model.known.values()]
        )
        if classifier is not None:
            model.vectorizer, model.tfidf, model.classifier = vectorizer, tfidf, classifier
        model.learnt_from = len(model.known)

    # ------------------------------------------------------------ transform

    def transform(self, texts: Sequence[str], languages: Sequence[str]) -> pd.DataFrame:
        """Assign comments to themes: one row per (comment, theme) membership.

        Args:
            texts: cleaned comments.
            languages: their languages; comments in a language without a model get no row.

        Returns:
            A DataFrame with ``row`` (position in ``texts``), ``theme``, ``weight`` (of the
            comment's sentence most typical of the theme: its cosine to the theme's centroid
            where the teacher assigned it, the student's probability where the student did)
            and ``sentence`` (that sentence).

        Example:
            >>> texts = ["Far too expensive.", "The internet is slow."] * 40
            >>> model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 80)
            >>> found = model.transform(["Far too expensive! The internet is slow."], ["en"])
            >>> len(found)
            2
        """
        if not hasattr(self, "models_"):
            raise ArgumentError("this ThemeModel is not fitted yet; call fit(texts, languages)")
        langs = np.asarray(languages, dtype=object)
        parts = [pd.DataFrame(columns=list(ASSIGN_COLUMNS))]
        for lang, model in self.models_.items():
            idx = np.flatnonzero(langs == lang)
            if not len(idx):
                continue
            # repeated comments are split and assigned once, their rows copied to each repeat
            codes, uniques = pd.factorize(pd.Series([texts[i] for i in idx], dtype=object))
            sents, owner = split_sentences(uniques.tolist())
            if not sents:
                continue
            theme, weight = self._sentence_themes(model, sents)
            keep = theme != OUTLIER
            found = pd.DataFrame(
                {"text": owner[keep], "theme": theme[keep], "weight": weight[keep],
                 "sentence": np.asarray(sents, dtype=object)[keep]}
            )  # fmt: skip
            # a comment counts once per theme: its sentence most typical of it
            found = found.sort_values("weight", ascending=False, kind="stable")
            found = found.drop_duplicates(["text", "theme"])
            rows = pd.DataFrame({"row": idx, "text": codes})
            parts.append(rows.merge(found, on="text")[list(ASSIGN_COLUMNS)])
        out = pd.concat(parts, ignore_index=True)
        out["row"] = out["row"].astype("int64")
        out["weight"] = out["weight"].astype("float64")
        out["theme"] = out["theme"].astype(object)
        return out.sort_values(["row", "theme"], ignore_index=True)

    def sentence_themes(self, sents: Sequence[str], language: str) -> tuple[np.ndarray, np.ndarray]:
        """Return each sentence's theme (``""`` for none) and weight, as ``transform`` assigns.

        ``language`` must have a model (``models_``); each distinct sentence is read once.

        Example:
            >>> texts = ["Far too expensive.", "The internet is slow."] * 40
            >>> model = ThemeModel(n_themes=2, min_comments=10).fit(texts, ["en"] * 80)
            >>> theme, _ = model.sentence_themes(["Far too expensive.", "Hello there"], "en")
            >>> bool(theme[0]), theme[1]
            (True, '')
        """
        if not hasattr(self, "models_"):
            raise ArgumentError("this ThemeModel is not fitted yet; call fit(texts, languages)")
        if language not in self.models_:
            raise ArgumentError(f"no theme model for {language!r}; have {sorted(self.models_)}")
        return self._sentence_themes(self.models_[language], [str(s) for s in sents])

    def _sentence_themes(
        self, model: _LanguageModel, sents: list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each sentence's theme (OUTLIER for none) and its cosine (teacher) or probability."""
        codes, distinct = pd.factorize(pd.Series(sents, dtype=object))
        theme = np.full(len(distinct), OUTLIER, dtype=object)
        weight = np.zeros(len(distinct))
        named = _named(model, [str(s) for s in distinct])
        texts = [str(s) for s in distinct[named]]
        if not texts:
            return theme[codes], weight[codes]
        if self.assign == "embedding" or model.classifier is None:
            called, sure = self._teacher(model, texts)
            model.by_teacher += len(texts)
        elif self.assign == "classifier":
            called, sure = self._student(model, texts)
            model.by_student += len(texts)
        else:
            called, sure = self._cascade(model, texts)
        theme[named], weight[named] = called, sure
        return theme[codes], weight[codes]

    def _cascade(self, model: _LanguageModel, sents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return the teacher's calls while its budget lasts (known reused), then the student's.

        When a call holds more new sentences than the budget left, the student reads them all
        and the teacher takes those it is least sure of (lowest probability) up to the budget.
        Once the budget is spent the student is retrained on every sentence the teacher read.
        """
        theme = np.full(len(sents), OUTLIER, dtype=object)
        weight = np.zeros(len(sents))
        new = []
        for i, s in enumerate(sents):
            if s in model.known:
                theme[i], weight[i] = model.known[s]
            else:
                new.append(i)
        chosen = np.asarray(new, dtype=np.int64)
        if len(chosen) > model.budget_left:
            guess, sure = self._student(model, [sents[i] for i in chosen])
            theme[chosen], weight[chosen] = guess, sure
            chosen = np.sort(chosen[np.argsort(sure, kind="stable")[: model.budget_left]])
        if len(chosen):
            called, cosine = self._teacher(model, [sents[i] for i in chosen])
            theme[chosen], weight[chosen] = called, cosine
            calls = zip(called, cosine.tolist(), strict=True)
            model.known.update(zip([sents[i] for i in chosen], calls, strict=True))
            model.budget_left -= len(chosen)
        if model.budget_left == 0 and len(model.known) > model.learnt_from:
            # the budget is spent: the student learns from all the teacher has read, then
            # reads what the teacher did not
            self._relearn(model)
            rest = np.setdiff1d(np.asarray(new, dtype=np.int64), chosen)
            if len(rest):
                theme[rest], weight[rest] = self._student(model, [sents[i] for i in rest])
        model.by_student += len(new) - len(chosen)
        model.by_teacher += len(sents) - len(new) + len(chosen)
        return theme, weight

    def _teacher(self, model: _LanguageModel, sents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return the theme of each sentence's nearest centroid (embedded) and its cosine."""
        vectors = embed(sents, self.encoder)  # type: ignore[arg-type]
        return nearest_theme(vectors, model.centroids, model.themes, self.outlier_similarity)

    def _student(self, model: _LanguageModel, sents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return the student's most probable theme (none below ``threshold``), its probability."""
        assert model.classifier is not None
        proba = model.classifier.predict_proba(
            model.tfidf.transform(model.vectorizer.transform(sents))
        )
        best = proba.argmax(axis=1)
        sure = proba[np.arange(len(sents)), best]
        theme = model.classifier.classes_[best].astype(object)
        return np.where(sure >= self.threshold, theme, OUTLIER), sure

    def similarity(
        self,
        sents: Sequence[str],
        themes: Sequence[str],
        languages: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Return each sentence's cosine to its theme's centroid in its own language's cluster.

        Used to rank quotes by typicality. Where the teacher read a sentence and called it
        that theme, its cosine (the same one) is reused and nothing is embedded; the others
        are embedded. A theme without a cluster in the sentence's language (or no
        ``languages`` given) is compared with the theme's nearest cluster.

        Example:
            >>> model.similarity(["Far too expensive."], ["t01"], ["en"])  # doctest: +SKIP
            array([0.93], dtype=float32)
        """
        langs = list(languages) if languages is not None else [""] * len(sents)
        out = np.zeros(len(sents), dtype=np.float32)
        todo = []
        for i, (s, theme, lang) in enumerate(zip(sents, themes, langs, strict=True)):
            model = self.models_.get(lang)
            called = model.known.get(s) if model is not None else None
            if called is not None and called[0] == theme:
                out[i] = called[1]
            else:
                todo.append(i)
        if not todo:
            return out
        vectors = embed([sents[i] for i in todo], self.encoder)  # type: ignore[arg-type]
        for row, i in enumerate(todo):
            mine = [c for c in self.clusters_ if c.theme == themes[i]]
            own = [c for c in mine if c.language == langs[i]] or mine
            if own:
                out[i] = max(float(vectors[row] @ c.centroid) for c in own)
        return out


# ---------------------------------------------------------------- labels


def _terms(text: str, spans: list[Span]) -> list[tuple[str, int, int]]:
    """Content words and runs of two or three of them: (term, first word, last word).

    A run may skip one function word ("bill keeps going", "выставления счетов"), never a
    clause break (a comma or other clause punctuation between two of its words).
    """
    content = [i for i, (_, _, key, _) in enumerate(spans) if key]
    out = [(str(spans[i][2]), i, i) for i in content]

    def joined(a: int, b: int) -> bool:
        return b - a <= 2 and not _CLAUSE.search(text[spans[a][1] : spans[b][0]])

    for n in (2, 3):
        for run in zip(*(content[j:] for j in range(n)), strict=False):
            if all(joined(a, b) for a, b in itertools.pairwise(run)):
                out.append((" ".join(str(spans[i][2]) for i in run), run[0], run[-1]))
    return out


def majority_sign(signs: np.ndarray, times: float = 1.0, neutral_against: bool = False) -> int:
    """Return the sign (-1 or +1) of more than ``times`` as many ``signs`` as the other's, else 0.

    Neutral and unread sentences (0) are left out: they neither agree with a sign nor
    contradict it; with ``neutral_against`` they count with the other sign (a sentence
    without this sign). A 50/50 set, or one without a sign, has none.

    Example:
        >>> majority_sign(np.array([-1, -1, 0, 0, 1])), majority_sign(np.array([-1, 1, 0]))
        (-1, 0)
        >>> majority_sign(np.array([1, 1, 1, -1]), 2), majority_sign(np.array([1, 1, 1, 0, 0]), 2)
        (1, 1)
        >>> majority_sign(np.array([1, 1, 1, 0, 0]), 2, neutral_against=True)
        0
    """
    negative, positive = int(np.count_nonzero(signs == -1)), int(np.count_nonzero(signs == 1))
    neutral = len(signs) - negative - positive if neutral_against else 0
    if negative > times * (positive + neutral):
        return -1
    return 1 if positive > times * (negative + neutral) else 0


#: "Clearly" one sign: more than this many times the rest. A cluster's sign is clear when
#: its members of one sign are twice those of the other (neutral members neither agree nor
#: contradict); a phrase is polar (says good or bad, not only what about) when its
#: sentences of one sign are twice all its others. Set by that reading, not fitted: a topic
#: word takes its cluster's split, a polar run is nearly one-sided ("网速很快").
POLAR_TIMES = 2.0


def sign_allowed(phrase_signs: np.ndarray, member_signs: np.ndarray) -> bool:
    """Return whether a phrase whose sentences have ``phrase_signs`` may name the cluster.

    ``member_signs`` are all the cluster's members'. Never a phrase most of whose sentences
    (:func:`majority_sign` with ``neutral_against``) are of the sign opposite to most of
    the cluster's signed members. When the cluster's sign is clear (:data:`POLAR_TIMES`),
    a phrase may not even lean the other way; when it is not (a split cluster), a polar
    phrase (:data:`POLAR_TIMES`) names it in neither sign, only a topic does, and a
    50/50 cluster takes no phrase mostly of one sign. So two phrases of opposite sign never
    share a label.

    Example:
        >>> fast, slow = np.array([1, 1, 1, -1]), np.array([-1, -1, -1, 0])
        >>> complaints, split = np.array([-1] * 6 + [1] * 2 + [0] * 5), np.array([-1, 1] * 5)
        >>> sign_allowed(fast, complaints), sign_allowed(slow, complaints)
        (False, True)
        >>> sign_allowed(slow, split), sign_allowed(np.array([-1, 1, 0]), split)
        (False, True)
    """
    clear = majority_sign(member_signs, POLAR_TIMES)
    if clear:
        return majority_sign(phrase_signs) != -clear
    if majority_sign(phrase_signs, POLAR_TIMES, neutral_against=True):
        return False
    mostly = majority_sign(phrase_signs, neutral_against=True)
    return mostly == 0 or mostly == majority_sign(member_signs)


def _read_signs(clusters: list[_Cluster], lang: str, polarity: Polarity) -> None:
    """Set each cluster's members' signs, read by ``polarity`` in one call per language."""
    sents = [s for c in clusters for s in c.sentences]
    read = np.asarray(polarity(sents, lang))
    if read.shape != (len(sents),) or not np.isin(read, (-1, 0, 1)).all():
        raise ArgumentError(
            f"polarity must return one sign (-1, 0 or 1) per sentence; for {len(sents)} "
            f"{lang} sentences it returned shape {read.shape} with values "
            f"{sorted(set(read.ravel().tolist()), key=str)[:5]}"
        )
    signs = read.astype(np.int8)
    start = 0
    for c in clusters:
        c.signs = signs[start : start + len(c.sentences)]
        start += len(c.sentences)


def _label_clusters(
    clusters: list[_Cluster], lang: str, spans: dict[str, list[Span]], top: int
) -> None:
    """Set each cluster's c-TF-IDF keywords and its readable, negation- and sign-aware label."""
    counts = []
    docs = []
    holders = []
    for c in clusters:
        count: Counter[str] = Counter()
        doc: Counter[str] = Counter()
        held: dict[str, list[int]] = {}
        for i, s in enumerate(c.sentences):
            terms = [t for t, _, _ in _terms(s, spans[s])]
            count.update(terms)
            doc.update(set(terms))
            for t in set(terms):
                held.setdefault(t, []).append(i)
        counts.append(count)
        docs.append(doc)
        holders.append(held)
    total: Counter[str] = Counter()
    for count in counts:
        total.update(count)
    mean_size = np.mean([sum(c.values()) for c in counts]) or 1.0
    for c, count, doc, held in zip(clusters, counts, docs, holders, strict=True):
        size = sum(count.values()) or 1
        scored: dict[str, float] = {}
        # a term in 5% of the members (at least 2); a scattered cluster takes what it has
        for floor in (max(2, 0.05 * len(c.sentences)), 2, 1):
            scored = {
                t: (n / size) * np.log(1 + mean_size / total[t])
                for t, n in count.items() if doc[t] >= floor
            }  # fmt: skip
            if scored:
                break
        ranked = sorted(scored, key=lambda t: (-scored[t], t))[:top]
        c.keywords = ranked
        c.scores = [float(scored[t]) for t in ranked]
        every = {t: (n / size) * np.log(1 + mean_size / total[t]) for t, n in count.items()}
        c.label = _label(c, lang, spans, doc, every, _sign_check(c, held))


def _sign_check(c: _Cluster, held: dict[str, list[int]]) -> Callable[[str], bool]:
    """Return whether a term may name ``c`` by its sentences' signs (any, when unread)."""
    if c.signs is None:
        return lambda term: True
    signs = c.signs
    return lambda term: sign_allowed(signs[held.get(term, [])], signs)


def _label(
    c: _Cluster,
    lang: str,
    spans: dict[str, list[Span]],
    doc: Counter[str],
    scores: dict[str, float],
    allowed: Callable[[str], bool] = lambda term: True,
) -> str:
    """Two phrases for the top terms held by :data:`LABEL_FLOOR` of the members, as written.

    Terms are ranked by c-TF-IDF (``scores``), but only those in at least ``LABEL_FLOOR`` of
    the cluster's sentences may name it: c-TF-IDF favours a term rare elsewhere, and in a
    scattered cluster that was a phrase of a few members. A longer run holding a term
    replaces it when at least half of the term's sentences (and the floor) have it ("rock
    solid" -> "connection is rock solid"). A term or run ``allowed`` refuses (its sign
    contradicts the cluster's majority, :func:`sign_allowed`) names nothing: a refused run
    leaves its term ("晚上网速很快" -> "网速"), a refused term the next one. No term
    left: :func:`_mixed_label`.
    """
    least = LABEL_FLOOR * len(c.sentences)
    held = sorted((t for t in scores if doc[t] >= least), key=lambda t: (-scores[t], t))
    phrases: list[str] = []
    used: set[str] = set()
    for term in held:
        enough = max(0.5 * doc[term], least)
        longer = [t for t in doc if len(t.split()) > len(term.split())
                  and f" {term} " in f" {t} " and doc[t] >= enough]  # fmt: skip
        longest_first = sorted(longer, key=lambda t: (len(t.split()), doc[t], t), reverse=True)
        chosen = next((t for t in [*longest_first, term] if allowed(t)), None)
        if chosen is None:
            continue
        term = chosen
        if set(term.split()) & used:
            continue
        phrase = _surface(term, c.sentences, lang, spans)
        if phrase:
            phrases.append(phrase)
            used |= set(term.split())
        if len(phrases) == 2:
            break
    label = ", ".join(phrases) if phrases else _mixed_label(c, lang, spans, doc, allowed)
    return label[:1].upper() + label[1:] if lang != "zh" else label


def _mixed_label(
    c: _Cluster,
    lang: str,
    spans: dict[str, list[Span]],
    doc: Counter[str],
    allowed: Callable[[str], bool] = lambda term: True,
) -> str:
    """Return "Mixed: " and two words of the cluster's most typical (central) sentence.

    Its words most held by the members first, as they write them; a word of that sentence
    alone (slang, a typo: "офигеть") or one ``allowed`` refuses is left out, and a sentence
    with no other word gives way to the next most typical.
    """
    words: list[str] = []
    for i in np.argsort(-c.similarity, kind="stable"):
        central = c.sentences[int(i)]
        words = [t for t, a, b in _terms(central, spans[central])
                 if a == b and doc[t] >= 2 and allowed(t)]  # fmt: skip
        if words:
            break
    ranked = sorted(dict.fromkeys(words), key=lambda t: (-doc[t], words.index(t)))
    shown = [p for p in (_surface(t, c.sentences, lang, spans) for t in ranked[:2]) if p]
    mark = MIXED.get(lang, MIXED["en"])
    return f"{mark}: {', '.join(shown)}" if shown else mark


def _surface(term: str, sents: list[str], lang: str, spans: dict[str, list[Span]]) -> str:
    """Return the most frequent written form of ``term`` among ``sents``.

    With its negator when most of its occurrences are negated ("no outages"); empty when
    it does not occur.
    """
    plain: Counter[str] = Counter()
    negated: Counter[str] = Counter()
    for s in sents:
        words = spans[s]
        for t, a, b in _terms(s, words):
            if t != term:
                continue
            start = words[a][0]
            if words[a][3]:  # the negator one or two words before
                neg = next(j for j in (a - 1, a - 2) if j >= 0 and is_negator(
                    s[words[j][0] : words[j][1]], lang))  # fmt: skip
                negated[_norm(s[words[neg][0] : words[b][1]], lang)] += 1
            else:
                plain[_norm(s[start : words[b][1]], lang)] += 1
    chosen = negated if sum(negated.values()) > sum(plain.values()) else plain
    return chosen.most_common(1)[0][0] if chosen else ""


def _norm(text: str, lang: str) -> str:
    text = " ".join(text.split())
    return text if lang == "zh" else text.lower()


# ---------------------------------------------------------------- themes


def _name_themes(clusters: list[_Cluster], similarity: float) -> None:
    """Group clusters of different languages that mean the same; name the themes t01...

    Closest pairs first; a group holds at most one cluster per language. Themes are
    numbered by their sample sentences, most first.
    """
    group = list(range(len(clusters)))
    langs = [{c.language} for c in clusters]
    centroids = np.vstack([c.centroid for c in clusters])
    cosine = centroids @ centroids.T
    aspects = [aspect_of(c.keywords, c.scores, c.language) for c in clusters]

    def alike(i: int, j: int) -> bool:
        # short chatter ("yes", "добрый день", "喜欢") sits close in the encoder's space
        # whatever it says: without a shared named aspect, only near-translations merge
        same = aspects[i] == aspects[j] != GENERAL
        return cosine[i, j] >= (similarity if same else UNNAMED_MERGE_SIMILARITY)

    pairs = [
        (cosine[i, j], i, j)
        for i in range(len(clusters)) for j in range(i + 1, len(clusters))
        if clusters[i].language != clusters[j].language and alike(i, j)
    ]  # fmt: skip
    for _, i, j in sorted(pairs, reverse=True):
        gi, gj = group[i], group[j]
        if gi == gj or langs[gi] & langs[gj]:
            continue
        langs[gi] |= langs[gj]
        group = [gi if g == gj else g for g in group]
    sizes: Counter[int] = Counter()
    for i, g in enumerate(group):
        sizes[g] += len(clusters[i].sentences)
    order = sorted(sizes, key=lambda g: (-sizes[g], g))
    for rank, g in enumerate(order):
        for i, c in enumerate(clusters):
            if group[i] == g:
                c.theme = f"t{rank + 1:02d}"


def _theme_table(clusters: list[_Cluster]) -> pd.DataFrame:
    """One row per theme: its largest language's label and keywords, every language's label.

    The largest language whose cluster is a topic names the theme: one marked
    :data:`MIXED` (no phrase its members share, or none of a sign they agree with) names
    it only when every language's is.
    """
    rows = []
    by_theme: dict[str, list[_Cluster]] = {}
    for c in clusters:
        by_theme.setdefault(c.theme, []).append(c)
    for theme in sorted(by_theme):
        members = sorted(by_theme[theme], key=lambda c: (-len(c.sentences), c.language))
        main = next((c for c in members if mixed_marker(c.label) is None), members[0])
        aspects = [aspect_of(c.keywords, c.scores, c.language) for c in members]
        named = [a for a in aspects if a != GENERAL]
        rows.append(
            {
                "theme": theme,
                "language": main.language,
                "label": main.label,
                "aspect": Counter(named).most_common(1)[0][0] if named else GENERAL,
                "keywords": main.keywords,
                "languages": [c.language for c in members],
                "labels": {c.language: c.label for c in members},
            }
        )
    return pd.DataFrame(rows, columns=list(THEME_COLUMNS))
