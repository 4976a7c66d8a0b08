"""Themes of a Workspace's comments: discover (or code), assign every comment, summarise.

:func:`themes_for_workspace` runs the whole job over a table's text column:

1. fit a :class:`~cxlens.text.discover.ThemeModel` on up to ``sample`` comments drawn in the
   engine (or compile a user :class:`~cxlens.text.codeframe.CodeFrame`),
2. read all comments from the engine in Arrow batches; per batch score sentiment (or reuse
   the ``comment_sentiment`` table), clean, assign themes, and score each membership's theme
   sentence (:func:`member_sentences`, :func:`sentence_sentiment`): a comment praising one
   topic and complaining of another is negative only about the second,
3. save ``comment_themes`` (one row per comment and theme it belongs to, with its theme
   sentence's ``sentiment`` and ``sentiment_label``, and one row with an empty theme for
   every comment in no theme, with its status: nothing is dropped) and
   ``comment_sentiment`` when it was computed here,
4. aggregate in the engine: members, share, sentiment and negative share of the theme
   sentences (:func:`theme_sentiment`), monthly counts; then flag emerging themes
   (:mod:`cxlens.text.trend`) and save the ``themes`` table.

Representative quotes: per theme and language, the most typical members (cosine of their
sentence to the theme centroid), never two the same; and per theme the most typical member
whose theme sentence is negative (``negative_quote``) with that sentence (``negative_sentence``:
which part of the quote the theme is about, :mod:`cxlens.text.quote`); PII-redacted
(:func:`cxlens.text.redact`). A quote longer than :data:`QUOTE_CHARS` is cut around its theme
sentence (:func:`cxlens.text.quote.cut_around`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from cxlens.errors import ArgumentError, NotEnoughDataError, SchemaError
from cxlens.schema.derived import COMMENT_SENTIMENT_TABLE
from cxlens.store.catalog import Catalog
from cxlens.store.query import run, seeded_sample
from cxlens.text.backends import ModelBackend
from cxlens.text.clean import MAX_CHARS, clean
from cxlens.text.codeframe import CodeFrame, CodeFrameSpec
from cxlens.text.discover import ThemeModel, has_content, split_sentences
from cxlens.text.embeddings import embed
from cxlens.text.language import detect_one
from cxlens.text.polarity import scorer_polarity
from cxlens.text.quote import cut_around
from cxlens.text.redact import redact
from cxlens.text.sentiment import (
    LABELS,
    SentimentBackend,
    resolve_backend,
    score_texts,
    sentiment,
)
from cxlens.text.tokenize import word_spans
from cxlens.text.translate import (
    LabelMap,
    read_label_map,
    save_label_map,
    saved_label_map,
    translate_themes,
    untranslated_words,
)
from cxlens.text.trend import emerging, monthly_shares

#: Statuses whose comments are assigned (the text, possibly repaired or cut, has words).
ANALYSED: tuple[str, ...] = ("ok", "truncated", "invalid_utf8")
#: Status of an analysed comment in a language without a theme model.
NO_MODEL = "unsupported_language"
ASSIGNMENTS_TABLE = "comment_themes"
SENTIMENT_TABLE = COMMENT_SENTIMENT_TABLE
THEMES_TABLE = "themes"
#: Columns of the themes table, in order.
COLUMNS: tuple[str, ...] = (
    "theme", "language", "label", "aspect", "keywords", "quotes", "count", "share",
    "sentiment", "negative_share", "negative_quote", "negative_sentence", "recent_share",
    "previous_share", "share_ratio", "q_value", "new", "emerging", "languages", "labels",
    "quotes_by_language", "label_translated", "labels_translated", "untranslated", "purity",
)  # fmt: skip
#: Status of an analysed comment with no word that can name a theme ("ok", "好", "да").
TOO_SHORT = "too_short"
#: Why comments of each status were not analysed (the report's coverage line).
REASONS: dict[str, str] = {
    "empty": "empty",
    "no_letters": "no words (emoji, punctuation or digits)",
    TOO_SHORT: "too short (no word naming a topic)",
    NO_MODEL: "no theme model for the language",
}
#: Comments at most this long are checked for a content word (longer ones always have one).
SHORT_CHARS = 12
#: Characters of a comment shown as a quote.
QUOTE_CHARS = 280
#: Quotes whose sentences' embeddings are at least this alike count as the same quote.
NEAR_DUPLICATE = 0.92
#: Distinct theme sentences per language that one themes pass reads by the model's accurate
#: path (e5), the most frequent first (:class:`SentenceScorer`); the rest get the fast head.
#: Fixed, unlike the cascade's budget (a share of each call's texts, which would grow with
#: the 2-3 sentences per comment): at most ~1,500 short texts through e5 for a pass of any
#: size. Frequent short sentences are where the fast head errs with confidence ("Setting
#: things up was simple." negative at 0.92, the accurate path positive at 0.65), so the
#: cascade's least-sure-first choice would not send them.
SENTENCE_ACCURATE_BUDGET = 500
#: The label of a negative member sentence, as the sentiment scorer labels it (its own rule:
#: the model's most probable class, a lexicon's band): themes count no threshold of their own.
NEGATIVE = LABELS[0]
#: Negative members per theme and language kept from each batch for the negative quote.
NEGATIVE_POOL = 10
#: A test of theme sentences of one language (the second argument): True for those a quote
#: may be shown for.
Confirm = Callable[[list[str], str], list[bool]]


@dataclass
class ThemeResult:
    """What :func:`themes_for_workspace` found.

    Attributes:
        themes: one row per theme (columns :data:`COLUMNS`), most members first.
        trend: ``theme, month, count, comments, share`` per theme and month.
        statuses: ``status, comments``: how many comments had each status, plus
            ``no_theme`` (outliers), so every comment is accounted for.
        outlier_share: share of analysed comments in no theme.
        coverage: per language, comments, analysed, in a theme, outliers and not analysed
            with the reasons (see :func:`coverage_table`); every language present is there.
        comments: comments read; analysed: those with words in a modelled language.
        model: the fitted ThemeModel or CodeFrame.
        assignments: one row per comment and theme (an empty theme for comments in none).
        untranslated: with a label map, the label words it has no entry for (``language,
            word, themes``; see :func:`cxlens.text.translate.untranslated_words`).
    """

    themes: pd.DataFrame
    trend: pd.DataFrame
    statuses: pd.DataFrame
    outlier_share: float
    comments: int
    analysed: int
    model: Any = field(repr=False)
    coverage: pd.DataFrame | None = None
    #: ``<id>, theme, weight, status, language, sentiment, sentiment_label, sentence``: every
    #: comment's theme rows, as saved but for ``sentence`` (the theme sentence, None outside a
    #: theme), which is not saved (customer text, kept only where shown, redacted).
    assignments: pd.DataFrame | None = field(default=None, repr=False)
    untranslated: pd.DataFrame | None = None


def _check_columns(table: ibis.Table, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SchemaError(
            f"table '{name}' has no column(s) {', '.join(missing)}; pass column=, id_column= "
            f"or time_column= naming its text, key and time columns"
        )


def comment_batches(
    expr: ibis.Table, columns: list[str], batch_size: int
) -> Iterator[pd.DataFrame]:
    """Yield the selected columns of ``expr`` as pandas frames of at most ``batch_size`` rows.

    Example:
        >>> t = ibis.memtable({"id": ["a", "b", "c"]})
        >>> [len(b) for b in comment_batches(t, ["id"], 2)]
        [2, 1]
    """
    for batch in expr.select(*columns).to_pyarrow_batches(chunk_size=batch_size):
        if batch.num_rows:
            yield batch.to_pandas()


def _fit_sample(expr: ibis.Table, column: str, sample: int, seed: int) -> tuple[list, list]:
    """Draw up to ``sample`` non-empty comments in the engine; return texts and languages."""
    present = expr.filter(expr[column].notnull())
    n = int(run(present.count(), "the number of comments"))
    if n > sample:
        present = seeded_sample(present, min(1.0, 1.2 * sample / n), seed).limit(sample)
    raw = run(present.select(column), "the comments to fit themes on")[column].tolist()
    texts, langs = [], []
    for c in clean(raw):
        if c.status in ANALYSED:
            texts.append(c.text)
            langs.append(detect_one(c.text)[0])
    return texts, langs


def _top_quotes(found: pd.DataFrame, k: int) -> pd.DataFrame:
    """Keep the best ``k`` distinct texts per theme and language: highest weight, shortest."""
    found = found.assign(length=found["text"].str.len(), key=found["text"].map(normalise))
    found = found.drop_duplicates(["theme", "key"])
    found = found.sort_values(["theme", "weight", "length"], ascending=[True, False, True])
    return found.groupby(["theme", "language"], sort=False).head(k)[
        ["theme", "language", "weight", "text", "sentence"]
    ]


def normalise(text: str) -> str:
    """Return ``text`` as compared for sameness: lower case, words only, single spaces.

    Example:
        >>> normalise("No outages at all!! ") == normalise("no outages, at all")
        True
    """
    return " ".join(re.findall(r"[^\W_]+", str(text).lower()))


def member_sentences(
    fitted: ThemeModel | CodeFrame, found: pd.DataFrame, texts: list[str], langs: np.ndarray
) -> np.ndarray:
    """Return the sentence each assignment of ``found`` was made by, one per row.

    A ThemeModel names it (``sentence``: the comment's sentence most typical of the theme).
    A code frame matches whole comments, so its sentence is the comment's first sentence
    holding a keyword of the theme, or the whole comment where the match spans sentences (a
    pattern across a full stop). ``texts``/``langs`` are the batch's, indexed by ``row``.

    Example:
        >>> cf = CodeFrame({"billing": ["bill"]}).fit()
        >>> texts = ["Fast internet. The bill is wrong."]
        >>> member_sentences(cf, cf.transform(texts, ["en"]), texts, np.array(["en"])).tolist()
        ['The bill is wrong.']
    """
    rows = found["row"].to_numpy()
    own = found["sentence"].to_numpy(dtype=object).copy()
    missing = pd.isna(own)
    if missing.any() and isinstance(fitted, CodeFrame):
        own[missing] = _keyword_sentences(fitted, found[missing], texts, langs)
        missing = pd.isna(own)
    whole = np.array([texts[i] for i in rows], dtype=object)
    return np.where(missing, whole, own)


def _keyword_sentences(
    frame: CodeFrame, found: pd.DataFrame, texts: list[str], langs: np.ndarray
) -> np.ndarray:
    """Return each code-frame match's first sentence matching its theme (None: none does)."""
    comments = pd.unique(found["row"].to_numpy())
    sents, owner = split_sentences([texts[i] for i in comments])
    owner_row = comments[owner] if len(sents) else np.zeros(0, dtype=np.int64)
    hits = frame.transform(sents, langs[owner_row].tolist())
    at = hits["row"].to_numpy()
    hits = pd.DataFrame(
        {"row": owner_row[at], "theme": hits["theme"].to_numpy(),
         "sentence": np.asarray(sents, dtype=object)[at]}
    ).drop_duplicates(["row", "theme"])  # fmt: skip
    merged = found[["row", "theme"]].merge(hits, on=["row", "theme"], how="left")
    return merged["sentence"].to_numpy(dtype=object)


class SentenceScorer:
    """Score theme sentences: the most frequent by the accurate path, within a fixed budget.

    Per language, the distinct sentences of a call not read before, most frequent first, go
    to the model's accurate path (``mode="accurate"``) until ``budget`` of them have over the
    scorer's life (their readings are kept for later calls); the rest to the fast head. With
    a ``backend`` (the one the comments were scored by, when the caller chose one), that
    backend reads every sentence. Labels
    and scores come as :func:`cxlens.text.sentiment.score_texts` gives them (the label's rule
    is the sentiment scorer's). A language the model does not read: NaN and None.

    Example:
        >>> scorer = SentenceScorer(budget=1)
        >>> score, label = scorer.score(["Setting things up was simple."] * 2 + ["Awful."], "en")
        >>> label.tolist(), scorer.accurate_read
        (['positive', 'positive', 'negative'], 1)
    """

    def __init__(
        self, budget: int = SENTENCE_ACCURATE_BUDGET, backend: SentimentBackend | None = None
    ) -> None:
        # a backend the caller chose reads every sentence, as it read the comments
        self.budget = budget if backend is None else 0
        self.fast = backend or ModelBackend(mode="fast")
        self.accurate = backend or ModelBackend(mode="accurate")
        self.known: dict[tuple[str, str], tuple[float, str | None]] = {}
        self.spent: dict[str, int] = {}
        self.accurate_read = 0  # distinct sentences read by the accurate path

    def score(self, sentences: list[str], language: str) -> tuple[np.ndarray, np.ndarray]:
        """Return each sentence's score (in [-1, 1]) and label, read as the class says."""
        codes, uniques = pd.factorize(pd.Series(sentences, dtype=object))
        distinct = [str(u) for u in uniques]
        score = np.full(len(distinct), np.nan)
        label = np.full(len(distinct), None, dtype=object)
        new = [i for i, u in enumerate(distinct) if (language, u) not in self.known]
        for i in set(range(len(distinct))) - set(new):
            score[i], label[i] = self.known[(language, distinct[i])]
        # the most frequent first: each accurate reading corrects every repeat of it
        counts = np.bincount(codes, minlength=len(distinct))
        new.sort(key=lambda i: -counts[i])
        room = max(0, self.budget - self.spent.get(language, 0))
        for part, backend in ((new[:room], self.accurate), (new[room:], self.fast)):
            if not part:
                continue
            read = score_texts([distinct[i] for i in part], backend, language, MAX_CHARS)
            score[part] = read["score"].to_numpy(dtype="float64")
            label[part] = [None if pd.isna(v) else str(v) for v in read["label"]]
            if backend is self.accurate:
                self.spent[language] = self.spent.get(language, 0) + len(part)
                self.accurate_read += len(part)
                self.known.update(((language, distinct[i]), (score[i], label[i])) for i in part)
        return score[codes], label[codes]

    def accurate_label(self, sentences: list[str], language: str) -> list[str | None]:
        """Return each sentence's label as the accurate path reads it (kept for later calls).

        Outside the budget: a few sentences a theme, to confirm what a client is shown (a
        negative quote the fast head may have misread: "The app is esy to use.").
        """
        todo = list(dict.fromkeys(s for s in sentences if (language, s) not in self.known))
        if todo:
            read = score_texts(todo, self.accurate, language, MAX_CHARS)
            self.accurate_read += len(todo)
            self.known.update(
                ((language, s), (float(v), None if pd.isna(lab) else str(lab)))
                for s, v, lab in zip(todo, read["score"], read["label"], strict=True)
            )
        return [self.known[(language, s)][1] for s in sentences]

    def reads_negative(self, sentences: list[str], language: str) -> list[bool]:
        """Return whether the accurate path reads each sentence negative (a :data:`Confirm`)."""
        return [label == NEGATIVE for label in self.accurate_label(sentences, language)]


def sentence_sentiment(
    sentences: np.ndarray,
    comments: list[str],
    languages: np.ndarray,
    comment_score: np.ndarray,
    comment_label: np.ndarray,
    scorer: SentenceScorer,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the score (in [-1, 1]) and label of each member sentence.

    A sentence that is its whole comment takes the comment's score and label as given (no
    second scoring, whichever backend made them); the others are scored by ``scorer`` in
    their comment's language (no detection on a few words). Unscored (a language the model
    does not read): NaN and None.

    Example:
        >>> score, label = sentence_sentiment(
        ...     np.array(["The support team was rude and useless.", "Awful."], dtype=object),
        ...     ["Great connection. The support team was rude and useless.", "Awful."],
        ...     np.array(["en", "en"], dtype=object), np.array([-0.2, -0.9]),
        ...     np.array(["negative", "negative"], dtype=object), SentenceScorer(budget=0))
        >>> label.tolist(), round(float(score[1]), 1)
        (['negative', 'negative'], -0.9)
    """
    score = np.asarray(comment_score, dtype="float64").copy()
    label = np.array([None if pd.isna(v) else str(v) for v in comment_label], dtype=object)
    whole = np.fromiter(
        (str(s).strip() == str(c).strip() for s, c in zip(sentences, comments, strict=True)),
        dtype=bool,
        count=len(comments),
    )
    own = np.flatnonzero(~whole)
    for lang in pd.unique(languages[own]):
        idx = own[languages[own] == lang]
        score[idx], label[idx] = scorer.score([str(sentences[i]) for i in idx], str(lang))
    return score, label


def theme_sentiment(assignments: ibis.Table, id_column: str = "response_id") -> ibis.Table:
    """Return an expression: per theme, ``count`` (members), ``sentiment``, ``negative_share``.

    ``sentiment`` is the mean score of the members' theme sentences (``comment_themes``'
    ``sentiment``), ``negative_share`` the share of them labelled :data:`NEGATIVE`, both
    over the scored members; computed in the engine.

    Example:
        >>> ct = ibis.memtable({"response_id": ["a", "b", "b"], "theme": ["t1", "t1", None],
        ...     "sentiment": [0.8, -0.6, None], "sentiment_label": ["positive", "negative", None]})
        >>> row = theme_sentiment(ct).execute().iloc[0]
        >>> int(row["count"]), round(float(row["sentiment"]), 2), float(row["negative_share"])
        (2, 0.1, 0.5)
    """
    members = assignments.filter(assignments.theme.notnull())
    return members.group_by("theme").agg(
        count=members[id_column].count(),
        sentiment=members.sentiment.mean(),
        negative_share=(members.sentiment_label == NEGATIVE).cast("float64").mean(),
    )


def _too_short(cleaned: list, status: np.ndarray, langs: np.ndarray) -> np.ndarray:
    """Analysed comments of a few characters with no word that can name a topic."""
    out = np.zeros(len(status), dtype=bool)
    for i, c in enumerate(cleaned):
        if status[i] in ANALYSED and len(c.text) <= SHORT_CHARS:
            out[i] = not has_content(c.text, str(langs[i]))
    return out


#: Columns of the saved scores a themes pass reuses (from ``comment_sentiment``).
SAVED_SCORES: tuple[str, ...] = ("language", "status", "score", "label")


def with_saved_scores(
    source: ibis.Table, scored: ibis.Table, id_column: str, column: str
) -> ibis.Table:
    """Join saved scores onto the comments by id: ``id, text`` and :data:`SAVED_SCORES`.

    The scores' columns are renamed before the join: a source column of the same name
    (``responses.language`` is the customer's declared language, not the comment's) would
    otherwise be the one selected.

    Example:
        >>> src = ibis.memtable({"id": ["a"], "text": ["Bonjour"], "language": ["zh"]})
        >>> saved = ibis.memtable({"id": ["a"], "language": ["fr"], "status": ["ok"],
        ...                        "score": [0.1], "label": ["neutral"]})
        >>> with_saved_scores(src, saved, "id", "text").execute()["language"].tolist()
        ['fr']
    """
    saved = scored.select(id_column, **{f"saved_{c}": c for c in SAVED_SCORES})
    joined = source.left_join(saved, id_column)
    return joined.select(
        source[id_column], source[column], **{c: joined[f"saved_{c}"] for c in SAVED_SCORES}
    )


def themes_for_workspace(
    ws: Catalog,
    *,
    table: str = "responses",
    column: str = "comment",
    id_column: str = "response_id",
    time_column: str = "responded_at",
    frame: CodeFrameSpec | None = None,
    n_themes: int | None = None,
    model: ThemeModel | None = None,
    sample: int = 50_000,
    batch_size: int = 50_000,
    quotes: int = 3,
    recent: int = 3,
    alpha: float = 0.05,
    seed: int = 0,
    save: bool = True,
    assignments_table: str = ASSIGNMENTS_TABLE,
    themes_table: str = THEMES_TABLE,
    sentiment_table: str = SENTIMENT_TABLE,
    translate: object = None,
    backend: SentimentBackend | str | Path | None = None,
) -> ThemeResult:
    """Find the themes of a table's comments and assign every comment to zero or more.

    Args:
        ws: a Workspace.
        table: the table holding the comments.
        column: its text column.
        id_column: its key (saved with each assignment).
        time_column: its time column (for the monthly trend).
        frame: a user code frame ``{theme: [keywords or 're:pattern']}`` (or per language,
            see :mod:`cxlens.text.codeframe`); None discovers themes.
        n_themes: candidate themes per language (None: chosen from the data).
        model: a ThemeModel with your settings (overrides ``n_themes``); used as it is
            when already fitted.
        sample: most comments the discovery is fitted on.
        batch_size: comments read from the engine and assigned at a time.
        quotes: representative quotes per theme.
        recent: months in the window compared for emerging themes.
        alpha: false discovery rate of the emerging tests.
        seed: seed of the sample and the model.
        save: write ``comment_themes``, ``themes`` (and ``comment_sentiment`` when computed).
        assignments_table: name the assignments are saved under (another table's themes,
            e.g. posts, keep the survey comments' ``comment_themes`` untouched).
        themes_table: name the themes table is saved under.
        sentiment_table: stored scores to reuse (``<id_column>, language, status, score,
            label``) and the name scores computed here are saved under.
        translate: a keyword map for the labels (:func:`cxlens.text.translate.read_label_map`:
            ``{language: {source: target}}`` or a CSV path), saved in the workspace when
            ``save``; None uses the workspace's saved map, if any.
        backend: sentiment backend for comments not yet scored and for the theme sentences
            (:func:`cxlens.text.sentiment.resolve_backend`); None: the model, its accurate
            path for the most frequent theme sentences (:class:`SentenceScorer`).

    Returns:
        A :class:`ThemeResult`; its ``themes`` table has ``theme, language, label, aspect,
        keywords`` (list), ``quotes`` (list, redacted), ``count`` (members), ``share`` (of
        analysed comments), ``sentiment`` (mean score of the members' theme sentences, in
        [-1, 1]), ``negative_share`` (share of them labelled negative), ``negative_quote``
        (the most typical member whose theme sentence is negative; None without one),
        ``negative_sentence`` (that theme sentence, redacted as the quote is), the
        emerging test (``recent_share, previous_share, share_ratio,
        q_value, new, emerging``), ``purity`` (share of its quotes holding a label word,
        :func:`label_purity`), and with a label map ``label_translated``,
        ``labels_translated`` and ``untranslated`` (:func:`cxlens.text.translate.translate_themes`).

    Raises:
        SchemaError: missing columns; NotEnoughDataError: no comments, or too few per
        language to discover themes.

    Example:
        >>> ws.text.themes().themes[["label", "count", "sentiment"]].head()  # doctest: +SKIP
    """
    if quotes < 0 or batch_size < 1 or sample < 1:
        raise ArgumentError("quotes must be >= 0, batch_size and sample >= 1")
    label_map = _label_map(ws, translate, save)
    source = ws.table(table)
    _check_columns(source, [column, id_column, time_column], table)
    chosen = None if backend is None else resolve_backend(backend)
    sentence_scorer = SentenceScorer(backend=chosen)
    if frame is not None:
        fitted: ThemeModel | CodeFrame = CodeFrame(frame).fit()
    elif model is not None and hasattr(model, "models_"):
        fitted = model  # already fitted: assign with it as it is
    else:
        texts, langs = _fit_sample(source, column, sample, seed)
        if not texts:
            raise NotEnoughDataError(f"table '{table}' has no comments with words in '{column}'")
        # labels signed as the members' theme sentences are read: the most frequent by the
        # accurate path (kept for those sentences later), the rest by the fast head
        polarity = scorer_polarity(sentence_scorer.score)
        fitted = (model or ThemeModel(n_themes, seed=seed)).fit(texts, langs, polarity=polarity)
    reuse = ws.has_table(sentiment_table)
    expr = source
    columns = [id_column, column]
    if reuse:
        expr = with_saved_scores(source, ws.table(sentiment_table), id_column, column)
        columns += list(SAVED_SCORES)
    modelled = set(fitted.models_) if isinstance(fitted, ThemeModel) else None
    parts, sentiments, candidates, complaints = [], [], [], []
    for batch in comment_batches(expr, columns, batch_size):
        ids = batch[id_column].to_numpy()
        cleaned = clean(batch[column].tolist())
        if reuse and batch["status"].notna().all():
            scores = batch[["language", "status", "score", "label"]]
        else:
            scores = sentiment(
                [c.text if c.status != "empty" else None for c in cleaned], backend=chosen
            )
            sentiments.append(scores.assign(**{id_column: ids}))
            # keep the input's own statuses (repaired / cut texts)
            orig = np.array([c.status for c in cleaned], dtype=object)
            fix = np.isin(orig, ("invalid_utf8", "truncated"))
            scores.loc[fix, "status"] = orig[fix]
        status = scores["status"].to_numpy(dtype=object).copy()
        langs = scores["language"].to_numpy(dtype=object)
        if modelled is not None:
            status[np.isin(status, ANALYSED) & ~np.isin(langs, list(modelled))] = NO_MODEL
        status[_too_short(cleaned, status, langs)] = TOO_SHORT
        usable = np.isin(status, ANALYSED)
        texts = [c.text if ok else "" for c, ok in zip(cleaned, usable, strict=True)]
        found = fitted.transform(texts, langs.tolist())
        found = found[usable[found["row"].to_numpy()]] if len(found) else found
        rows = found["row"].to_numpy()
        sentence = member_sentences(fitted, found, texts, langs)
        said, said_label = sentence_sentiment(
            sentence, [texts[i] for i in rows], langs[rows], scores["score"].to_numpy()[rows],
            scores["label"].to_numpy(dtype=object)[rows], sentence_scorer,
        )  # fmt: skip
        members = pd.DataFrame(
            {id_column: ids[rows], "theme": found["theme"].to_numpy(),
             "weight": found["weight"].to_numpy(), "status": status[rows], "language": langs[rows],
             "sentiment": said, "sentiment_label": said_label, "sentence": sentence}
        )  # fmt: skip
        none = np.setdiff1d(np.arange(len(batch)), rows)
        unassigned = pd.DataFrame(
            {id_column: ids[none], "theme": None, "weight": np.nan,
             "status": np.where(usable[none], "no_theme", status[none]), "language": langs[none],
             "sentiment": np.nan, "sentiment_label": None, "sentence": None}
        )  # fmt: skip
        parts += [members, unassigned]
        if quotes and len(found):
            quoted = pd.DataFrame(
                {"theme": found["theme"].to_numpy(), "weight": found["weight"].to_numpy(),
                 "text": [texts[i] for i in rows], "language": langs[rows], "sentence": sentence}
            )  # fmt: skip
            candidates.append(_top_quotes(quoted, quotes * 10))
            # the complaints' own pool: the most typical members may all be praise
            negative = quoted[said_label == NEGATIVE]
            complaints.append(_top_quotes(negative, NEGATIVE_POOL))
    if not parts:
        raise NotEnoughDataError(f"table '{table}' has no rows to read comments from")
    assigned = pd.concat(parts, ignore_index=True)
    assigned["theme"] = assigned["theme"].astype(object)
    assigned["language"] = assigned["language"].astype(str)
    assigned["status"] = assigned["status"].astype(str)
    assigned["sentiment"] = assigned["sentiment"].astype("float64")
    assigned["sentiment_label"] = assigned["sentiment_label"].astype(object)
    assigned["sentence"] = assigned["sentence"].astype(object)
    if sentiments:
        scored_frame = pd.concat(sentiments, ignore_index=True)
        scored_frame["label"] = scored_frame["label"].astype(object)
        scored_frame = scored_frame[[id_column, "language", "mixed", "label", "score", "status"]]
        if save:
            ws.save_table(sentiment_table, scored_frame)
    if save:
        # the theme sentence is raw customer text: shown only as redacted quotes, not saved
        ws.save_table(assignments_table, assigned.drop(columns="sentence"))
    result = _summarise(
        ws, source, assigned, fitted, (candidates, complaints),
        id_column=id_column, time_column=time_column, quotes=quotes, recent=recent,
        alpha=alpha, save=save, names=(assignments_table, themes_table), label_map=label_map,
        confirm=sentence_scorer.reads_negative,
    )  # fmt: skip
    result.assignments = assigned
    return result


def _label_map(ws: Catalog, translate: object, save: bool) -> LabelMap | None:
    """Return the label map: the one given (saved when ``save``), else the saved one."""
    if translate is None:
        return saved_label_map(ws)
    return save_label_map(ws, translate) if save else read_label_map(translate)


def _summarise(
    ws: Catalog,
    source: ibis.Table,
    assigned: pd.DataFrame,
    fitted: ThemeModel | CodeFrame,
    pools: tuple[list[pd.DataFrame], list[pd.DataFrame]],
    *,
    id_column: str,
    time_column: str,
    quotes: int,
    recent: int,
    alpha: float,
    save: bool,
    names: tuple[str, str] = (ASSIGNMENTS_TABLE, THEMES_TABLE),
    label_map: LabelMap | None = None,
    confirm: Confirm | None = None,
) -> ThemeResult:
    assignments_table, themes_table = names
    candidates, complaints = pools
    # Aggregate in the engine: the saved assignments (or, unsaved, a registered memtable).
    ct = ws.table(assignments_table) if save else ibis.memtable(assigned.drop(columns="sentence"))
    analysed_ids = ct.filter(ct.status.isin([*ANALYSED, "no_theme"]))
    per_theme = run(theme_sentiment(ct, id_column), "the size and sentiment of each theme")
    n_analysed = int(run(analysed_ids[id_column].nunique(), "the comments analysed"))
    # every comment has one status (its theme rows share it): no comment is counted twice
    status_counts = run(
        ct.group_by("status").agg(comments=ct[id_column].nunique()), "comments per status"
    ).sort_values(["comments", "status"], ascending=[False, True], ignore_index=True)
    outliers = int(status_counts.loc[status_counts["status"] == "no_theme", "comments"].sum())
    outlier_share = outliers / n_analysed if n_analysed else float("nan")

    month = source[time_column].truncate("M").name("month")
    times = source.select(id_column, month)
    with_time = analysed_ids.select(id_column, "theme").inner_join(times, id_column)
    totals = run(
        with_time.group_by("month").agg(comments=with_time[id_column].nunique()),
        "comments per month",
    )
    member_time = with_time.filter(with_time.theme.notnull())
    counts = member_time.group_by(["theme", "month"]).agg(count=member_time[id_column].count())
    counts = run(counts, "theme members per month")
    trend = monthly_shares(counts, totals) if len(counts) else pd.DataFrame()
    table = fitted.themes_.merge(per_theme, on="theme", how="inner")
    table["share"] = table["count"] / max(n_analysed, 1)
    if len(trend) and trend["month"].nunique() > recent:
        table = table.merge(emerging(trend, recent=recent, alpha=alpha), on="theme", how="left")
    else:
        for col in ("recent_share", "previous_share", "share_ratio", "q_value"):
            table[col] = np.nan
        table["new"], table["emerging"] = False, False
    by_language = _quotes(table["theme"], candidates, quotes, fitted)
    table["quotes_by_language"] = by_language
    table["quotes"] = [_interleave(q, langs) for q, langs in zip(
        by_language, table["languages"], strict=True)]  # fmt: skip
    table["purity"] = [label_purity(labels, q) for labels, q in zip(
        table["labels"], by_language, strict=True)]  # fmt: skip
    # a negative quote is shown only where the accurate path also reads its sentence so:
    # the fast head misreads short typo'd praise ("The app is esy to use.") as complaint
    negative = _quote_pairs(table["theme"], complaints, 1 if quotes else 0, fitted, confirm)
    first = [_first_quote(q, langs) for q, langs in zip(
        negative, table["languages"], strict=True)]  # fmt: skip
    table["negative_quote"] = [None if pair is None else pair[0] for pair in first]
    table["negative_sentence"] = [None if pair is None else pair[1] for pair in first]
    table = table.sort_values(["count", "theme"], ascending=[False, True], ignore_index=True)
    table = translate_themes(table, label_map)[list(COLUMNS)]
    if save:
        ws.save_table(themes_table, to_saved(table))
    return ThemeResult(
        themes=table,
        trend=trend,
        statuses=status_counts,
        outlier_share=outlier_share,
        comments=int(run(ct[id_column].nunique(), "the comments")),
        analysed=n_analysed,
        model=fitted,
        coverage=coverage_table(ct, id_column),
        untranslated=untranslated_words(table) if label_map is not None else None,
    )


def _quotes(
    themes: pd.Series, candidates: list[pd.DataFrame], k: int, fitted: ThemeModel | CodeFrame
) -> list[dict[str, list[str]]]:
    """Each theme's quotes per language: the most typical members, each unlike the others."""
    pairs = _quote_pairs(themes, candidates, k, fitted)
    return [{lang: [text for text, _ in qs] for lang, qs in q.items()} for q in pairs]


def _quote_pairs(
    themes: pd.Series,
    candidates: list[pd.DataFrame],
    k: int,
    fitted: ThemeModel | CodeFrame,
    confirm: Confirm | None = None,
) -> list[dict[str, list[tuple[str, str]]]]:
    """Like :func:`_quotes`, each quote with its theme sentence (both redacted).

    With ``confirm``, only members whose theme sentence it confirms are quoted (asked of the
    most typical first, ``2 * k`` at a time, until ``k`` are confirmed).
    """
    if not k or not candidates:
        return [{} for _ in themes]
    pool = _top_quotes(pd.concat(candidates, ignore_index=True), k * 10)
    # redacted apart, the same way: the sentence is then found in its quote as shown
    cut = [
        cut_around(t, s, QUOTE_CHARS) for t, s in zip(pool["text"], pool["sentence"], strict=True)
    ]
    pool = pool.assign(text=redact(cut), shown_sentence=redact(pool["sentence"].tolist()))
    vector: _Vectors | None = None
    if isinstance(fitted, ThemeModel):
        # typicality: the member sentence's cosine to its theme's centroid (the teacher's
        # own where it read the sentence: nothing embedded again), to 4 decimals: an
        # encoder's cosine moves in the 7th with the batch it was read in, and that must not
        # reorder quotes as typical as each other
        sents, named = pool["sentence"].tolist(), pool["theme"].tolist()
        typical = fitted.similarity(sents, named, pool["language"].tolist())
        pool = pool.assign(weight=np.round(typical, 4))
        vector = _Vectors(fitted.encoder)
    # without a meaning space (a code frame) only exact repeats are the same quote
    pool = pool.assign(key=pool["text"].map(normalise))
    pool = pool.sort_values(["weight", "text"], ascending=[False, True])
    groups = list(pool.groupby(["theme", "language"], sort=True))
    if vector is not None:  # the sentences the picks are most likely to compare, embedded at once
        vector.fetch([s for _, part in groups for s in part["sentence"].head(2 * k)])
    out: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for (theme, lang), part in groups:
        if confirm is not None:
            part = _confirmed(part, k, confirm, str(lang))
        out.setdefault(str(theme), {})[str(lang)] = _diverse(part, k, vector)
    return [out.get(t, {}) for t in themes]


def _confirmed(part: pd.DataFrame, k: int, confirm: Confirm, lang: str) -> pd.DataFrame:
    """Return the rows of ``part`` (most typical first) ``confirm`` keeps, until ``k`` are."""
    kept: list[pd.DataFrame] = []
    for start in range(0, len(part), 2 * k):
        chunk = part.iloc[start : start + 2 * k]
        kept.append(chunk[np.array(confirm(chunk["sentence"].tolist(), lang), dtype=bool)])
        if sum(map(len, kept)) >= k:
            break
    return pd.concat(kept) if kept else part.iloc[:0]


class _Vectors:
    """Sentence embeddings, each computed when first needed (``fetch`` embeds many at once).

    Example:
        >>> vectors = _Vectors("use")
        >>> vectors.fetch(["Slow internet"]); vectors("Slow internet").shape  # doctest: +SKIP
        (512,)
    """

    def __init__(self, encoder: str) -> None:
        self.encoder = encoder
        self.cache: dict[str, np.ndarray] = {}

    def fetch(self, sents: list[str]) -> None:
        """Embed those of ``sents`` not embedded yet, in one call."""
        missing = [s for s in dict.fromkeys(sents) if s not in self.cache]
        if missing:
            vectors = embed(missing, self.encoder)  # type: ignore[arg-type]
            self.cache.update(zip(missing, vectors, strict=True))

    def __call__(self, sentence: str) -> np.ndarray:
        self.fetch([sentence])
        return self.cache[sentence]


def label_purity(labels: dict[str, str], quotes: dict[str, list[str]]) -> float:
    """Return the share of a theme's quotes holding a word of its label (NaN without quotes).

    Words are compared as themes count them (English singular, Russian lemma, Chinese word;
    function words and negators left out), each quote against its language's label.

    Example:
        >>> label_purity({"en": "No outages"}, {"en": ["Zero outage this year", "Fast!"]})
        0.5
    """
    held, total = 0, 0
    for lang, texts in quotes.items():
        words = _label_keys(labels.get(lang, ""), lang)
        for text in texts:
            total += 1
            held += bool(words & _label_keys(text, lang))
    return held / total if total else float("nan")


def _label_keys(text: str, lang: str) -> set[str]:
    return {key for _, _, key, _ in word_spans(text, lang) if key}


def _diverse(part: pd.DataFrame, k: int, vector: _Vectors | None = None) -> list[tuple[str, str]]:
    """Pick the ``k`` most typical quotes, skipping any (nearly) the same as one picked.

    Returns each picked quote with its shown theme sentence (``text``, ``shown_sentence``).

    ``part`` is in order of typicality; ``vector`` gives a sentence's embedding (None: only
    exact repeats count as the same).
    """
    picked: list[int] = []
    keys: set[str] = set()
    rows = list(part.itertuples(index=False))

    def near(i: int) -> bool:
        if vector is None:
            return False
        mine = vector(rows[i].sentence)
        return any(float(mine @ vector(rows[j].sentence)) >= NEAR_DUPLICATE for j in picked)

    # first pass: unlike sentences only; second: any quote not the same as one picked
    for strict in (True, False):
        for i, row in enumerate(rows):
            if len(picked) == k:
                break
            if row.key in keys or (strict and picked and near(i)):
                continue
            picked.append(i)
            keys.add(row.key)
    return [(rows[i].text, rows[i].shown_sentence) for i in picked]


def _interleave(by_language: dict[str, list[str]], languages: list[str]) -> list[str]:
    """All quotes of a theme, its languages in turn (largest language first)."""
    order = [lang for lang in languages if lang in by_language]
    order += sorted(set(by_language) - set(order))
    lists = [by_language[lang] for lang in order]
    return [q for group in itertools.zip_longest(*lists) for q in group if q is not None]


def _first_quote(
    by_language: dict[str, list[tuple[str, str]]], languages: list[str]
) -> tuple[str, str] | None:
    """Return the quote (with its sentence) of the theme's largest language that has one.

    None: no language has one.
    """
    order = [lang for lang in languages if lang in by_language] + sorted(by_language)
    return next((by_language[lang][0] for lang in order if by_language[lang]), None)


def to_saved(table: pd.DataFrame) -> pd.DataFrame:
    """Return the themes table as saved: lists and per-language maps as text.

    ``keywords`` joined by ", ", ``quotes`` by new lines, ``languages`` by ", ", ``labels``,
    ``quotes_by_language``, ``labels_translated`` and ``untranslated`` as JSON (when
    present). :func:`from_saved` reads it back.

    Example:
        >>> t = pd.DataFrame({"keywords": [["a", "b"]], "quotes": [["x"]], "languages":
        ...     [["en"]], "labels": [{"en": "A"}], "quotes_by_language": [{"en": ["x"]}]})
        >>> to_saved(t).iloc[0].tolist()
        ['a, b', 'x', 'en', '{"en": "A"}', '{"en": ["x"]}']
    """
    as_json = {
        c: table[c].map(lambda v: json.dumps(v, ensure_ascii=False))
        for c in ("labels_translated", "untranslated")
        if c in table.columns
    }
    # typed text even when none has one
    for text in ("label_translated", "negative_quote", "negative_sentence"):
        if text in table.columns:
            as_json[text] = table[text].astype("string")
    return table.assign(
        **as_json,
        keywords=table["keywords"].map(", ".join),
        quotes=table["quotes"].map("\n".join),
        languages=table["languages"].map(", ".join),
        labels=table["labels"].map(lambda v: json.dumps(v, ensure_ascii=False)),
        quotes_by_language=table["quotes_by_language"].map(
            lambda v: json.dumps(v, ensure_ascii=False)
        ),
    )


def from_saved(table: pd.DataFrame) -> pd.DataFrame:
    """Return a saved themes table (:func:`to_saved`) with its lists and maps back.

    Tables saved before ``languages``, ``labels`` and ``quotes_by_language`` existed get them
    from ``language``, ``label`` and ``quotes``; before the label map, no translations;
    before theme sentiment per member sentence, no ``negative_quote`` (None); before theme
    sentences were kept, no ``negative_sentence`` (None: the quote is shown unmarked).

    Example:
        >>> t = pd.DataFrame({"keywords": ["a, b"], "quotes": ["x"], "languages": ["en"],
        ...     "labels": ['{"en": "A"}'], "quotes_by_language": ['{"en": ["x"]}']})
        >>> from_saved(t).iloc[0].tolist()
        [['a', 'b'], ['x'], ['en'], {'en': 'A'}, {'en': ['x']}, None, None, None, {}, []]
    """

    def split(value: object, sep: str) -> list[str]:
        return [v for v in value.split(sep) if v] if isinstance(value, str) else []

    out = table.assign(
        keywords=table["keywords"].map(lambda v: split(v, ", ")),
        quotes=table["quotes"].map(lambda v: split(v, "\n")),
    )
    # saved before theme sentiment was per sentence: no negative member known
    quote = table["negative_quote"] if "negative_quote" in table.columns else None
    out = out.assign(negative_quote=None if quote is None else quote.map(_text_or_none))
    # saved before the theme sentence was kept: the quote is known, not which part of it
    said = table["negative_sentence"] if "negative_sentence" in table.columns else None
    out = out.assign(negative_sentence=None if said is None else said.map(_text_or_none))
    if "labels_translated" in table.columns:
        out = out.assign(
            label_translated=table["label_translated"].map(lambda v: None if pd.isna(v) else v),
            labels_translated=table["labels_translated"].map(_json_or({})),
            untranslated=table["untranslated"].map(_json_or([])),
        )
    else:
        out = out.assign(
            label_translated=None,
            labels_translated=[{} for _ in range(len(out))],
            untranslated=[[] for _ in range(len(out))],
        )
    if "languages" in table.columns:
        return out.assign(
            languages=table["languages"].map(lambda v: split(v, ", ")),
            labels=table["labels"].map(lambda v: json.loads(v) if isinstance(v, str) else {}),
            quotes_by_language=table["quotes_by_language"].map(
                lambda v: json.loads(v) if isinstance(v, str) else {}
            ),
        )
    return out.assign(
        languages=[[lang] for lang in table["language"]],
        labels=[{lang: lab} for lang, lab in zip(table["language"], table["label"], strict=True)],
        quotes_by_language=[
            {lang: q} for lang, q in zip(table["language"], out["quotes"], strict=True)
        ],
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _json_or(default: object) -> Any:
    def read(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else type(default)()

    return read


def coverage_table(assignments: ibis.Table, id_column: str = "response_id") -> pd.DataFrame:
    """Return, per language, what happened to its comments (counted in the engine).

    Columns: ``language``, ``comments``, ``analysed``, ``in_theme``, ``outliers``,
    ``not_analysed`` and ``reasons`` (e.g. "12 no theme model for the language; 3 too short
    (no word naming a topic)"), most comments first. Every language present in the
    assignments has a row; comments without letters are under ``und``.

    Example:
        >>> coverage_table(ws.table("comment_themes"))  # doctest: +SKIP
          language  comments  analysed  in_theme  outliers  not_analysed  reasons
        0       en      3110      3085      3070        15            25  25 too short ...
    """
    counts = run(
        assignments.group_by(["language", "status"]).agg(comments=assignments[id_column].nunique()),
        "comments per language and status",
    )
    rows = []
    for lang, part in counts.groupby("language", sort=False):
        by = part.set_index("status")["comments"]
        analysed = int(by[by.index.isin([*ANALYSED, "no_theme"])].sum())
        outliers = int(by.get("no_theme", 0))
        missing = by[~by.index.isin([*ANALYSED, "no_theme"])].sort_values(ascending=False)
        rows.append(
            {
                "language": str(lang),
                "comments": int(by.sum()),
                "analysed": analysed,
                "in_theme": analysed - outliers,
                "outliers": outliers,
                "not_analysed": int(missing.sum()),
                "reasons": "; ".join(f"{n} {REASONS.get(s, s)}" for s, n in missing.items()),
            }
        )
    out = pd.DataFrame(
        rows, columns=["language", "comments", "analysed", "in_theme", "outliers",
                       "not_analysed", "reasons"],
    )  # fmt: skip
    return out.sort_values(["comments", "language"], ascending=[False, True], ignore_index=True)
