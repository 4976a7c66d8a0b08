"""The two implementations the text benchmark times: cxlens and VADER alone on English.

* cxlens: ``cxlens.text.sentiment`` on every comment (cleaning, language detection, the
  default model's cascade; loading the heads is timed too), then, untimed, the fast head's
  and the cascade's agreement with the accurate path on a seeded sample,
  then themes: a :class:`~cxlens.text.discover.ThemeModel` fitted on a seeded sample of at
  most ``fit_sample`` analysed comments (fit timed) and every comment assigned in batches of
  ``batch_size``, the way :func:`cxlens.text.themes.themes_for_workspace` does it. The three
  parts are timed inside the run and returned with the result.
* vader: ``vaderSentiment`` compound scores of the English comments only, labelled with
  VADER's own +/-0.05 thresholds.

Each ``tidy`` returns ``{"labels": frame}`` with the source language, the true label and the
predicted one, so the benchmark can report accuracy next to speed; cxlens's also has each
comment's theme count and theme status, and the frames ``split`` (seconds per part) and
``themes`` (the themes found, with the comments assigned to each).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


def _texts(path: str) -> tuple[list[Any], pd.DataFrame]:
    frame = pd.read_parquet(path)
    # pandas 3 reads the missing texts as NaN, not None: the bytes stand in for any non-str
    pairs = zip(frame["text"], frame["raw"], strict=True)
    texts = [t if isinstance(t, str) else r for t, r in pairs]
    return texts, frame


#: Statuses of comments that theme assignment reads (as in cxlens.text.themes).
ANALYSED = ("ok", "truncated", "invalid_utf8")
#: Member sentences kept per theme and language for its label purity: the first met (the
#: rows are in random order).
PURITY_SAMPLE = 500


class _Clock:
    """Wall and CPU seconds (this process, all threads) of consecutive parts of a run."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = (time.perf_counter(), time.process_time())

    def lap(self, part: str) -> None:
        """Charge the time since the previous lap (or the start) to ``part``."""
        now = (time.perf_counter(), time.process_time())
        self.wall[part] = now[0] - self._last[0]
        self.cpu[part] = now[1] - self._last[1]
        self._last = now

    def split(self, part: str, inner: str, seconds: tuple[float, float]) -> None:
        """Move ``seconds`` (wall, CPU) measured inside ``part`` to a part of their own."""
        self.wall[part] -= seconds[0]
        self.cpu[part] -= seconds[1]
        self.wall[inner], self.cpu[inner] = seconds


@dataclass
class CxlensText:
    """``cxlens.text.sentiment`` on every comment, then theme discovery and assignment."""

    path: str
    fit_sample: int = 50_000
    batch_size: int = 50_000
    seed: int = 0
    agreement_sample: int = 300
    theme_agreement_sample: int = 1000

    def __post_init__(self) -> None:
        self.texts, self.frame = _texts(self.path)

    def run(self) -> dict[str, Any]:
        from cxlens.text.sentiment import sentiment_run
        from cxlens.text.sentiment_model import load_head

        load_head.cache_clear()  # time loading the heads too
        clock = _Clock()
        run = sentiment_run(self.texts)
        scored = run.scores
        clock.lap("sentiment")
        model, fitted_on = self._fit(scored)
        clock.lap("theme_fit")
        n_themes, theme_status, members, held, sentences = self._assign(model, scored)
        clock.lap("assignment")
        clock.split("assignment", "sentence_sentiment", sentences.pop("lap"))
        # distinct sentences of the run read by the teacher (known from the fit or embedded)
        # and by the student (past the teacher's budget)
        routes = {
            "run_teacher_sentences": sum(m.by_teacher for m in model.models_.values()),
            "run_student_sentences": sum(m.by_student for m in model.models_.values()),
        }
        # the accuracy checks run in the timed process but are not part of the pipeline
        agreement = self._agreement(scored)
        theme_agreement = {**self._theme_agreement(model, scored), **routes}
        purity = member_purity(model.themes_, held)
        sentences.update(self._sentence_agreement(held))
        clock.lap("checks")
        accurate = {"accurate_texts": run.accurate_texts, "accurate_seconds": run.accurate_seconds,
                    "accurate_cpu_seconds": run.accurate_cpu_seconds}  # fmt: skip
        return {"scored": scored, "model": model, "fitted_on": fitted_on,
                "split": {k: v for k, v in clock.wall.items() if k != "checks"},
                "cpu_split": clock.cpu, "checks_seconds": clock.wall["checks"],
                "accurate": accurate, "n_themes": n_themes, "theme_status": theme_status,
                "members": members, "agreement": agreement,
                "theme_agreement": theme_agreement, "label_purity": purity,
                "sentence_sentiment": sentences}  # fmt: skip

    def _agreement(self, scored: pd.DataFrame) -> dict[str, float]:
        """Return how often the fast head alone agrees with the accurate path (e5 on every
        text) on a seeded sample of ``agreement_sample`` scored comments; not in the timings."""
        from cxlens.text.sentiment_model import classify

        start, cpu_start = time.perf_counter(), time.process_time()
        ok = np.flatnonzero(scored["label"].notna().to_numpy())
        pick = np.random.default_rng(self.seed).choice(
            ok, min(self.agreement_sample, len(ok)), replace=False
        )
        texts = np.array([str(self.texts[i]) for i in pick], dtype=object)
        languages = scored["language"].astype(str).to_numpy()[pick]
        fast, accurate = np.zeros(len(pick), dtype=int), np.zeros(len(pick), dtype=int)
        for language in pd.unique(languages):  # as the package scores: per language
            mine = languages == language
            given = language if language in ("en", "ru", "zh") else None
            fast[mine] = classify(list(texts[mine]), "fast", language=given)[0].argmax(axis=1)
            accurate[mine] = classify(list(texts[mine]), "accurate", language=given)[0].argmax(
                axis=1
            )
        cascade = scored["label"].astype(object).to_numpy()[pick]
        names = np.array(["negative", "neutral", "positive"], dtype=object)
        return {
            "sample": len(pick),
            "fast_vs_accurate": float(np.mean(fast == accurate)),
            "cascade_vs_accurate": float(np.mean(cascade == names[accurate])),
            "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu_start,
        }

    def _fit_rows(self, scored: pd.DataFrame) -> np.ndarray:
        """Return the rows of the fit sample: a seeded sample of the analysed comments."""
        analysed = np.flatnonzero(scored["status"].isin(ANALYSED).to_numpy())
        rng = np.random.default_rng(self.seed)
        return np.sort(rng.choice(analysed, min(self.fit_sample, len(analysed)), replace=False))

    def _fit(self, scored: pd.DataFrame) -> tuple[Any, int]:
        """Fit the ThemeModel on a seeded sample of the analysed comments."""
        from cxlens.text.clean import clean
        from cxlens.text.discover import ThemeModel

        pick = self._fit_rows(scored)
        cleaned = clean([self.texts[i] for i in pick])
        # sentiment's languages are reused: detection is not done twice
        langs = scored["language"].to_numpy(dtype=object)[pick].tolist()
        model = ThemeModel(seed=self.seed).fit([c.text for c in cleaned], langs)
        return model, len(pick)

    def _held_out(self, model: Any, scored: pd.DataFrame) -> np.ndarray:
        """Return up to ``theme_agreement_sample`` rows of distinct analysed comments, in a
        modelled language, whose text is not in the fit sample (seeded)."""
        fitted = {self.texts[i] for i in self._fit_rows(scored)}
        langs = scored["language"].to_numpy(dtype=object)
        usable = scored["status"].isin(ANALYSED).to_numpy() & np.isin(langs, list(model.models_))
        first: dict[Any, int] = {}
        for i in np.flatnonzero(usable):
            if self.texts[i] not in fitted:
                first.setdefault(self.texts[i], int(i))
        rng = np.random.default_rng(self.seed)
        held = np.array(sorted(first.values()), dtype=np.int64)
        return np.sort(rng.choice(held, min(self.theme_agreement_sample, len(held)), False))

    def _theme_agreement(self, model: Any, scored: pd.DataFrame) -> dict[str, float]:
        """Return how often assignment gives held-out comments and their sentences the themes
        of the teacher (nearest USE centroid, ``assign="embedding"``); not in the timings.

        Two readings are compared with the teacher's: the default cascade as the run left the
        model (the teacher's calls within its budget, the student's past it) and the student
        alone (``assign="classifier"``: what sentences past the budget get). Held out: see
        :meth:`_held_out`. ``same_themes``: share of comments with the same set of themes
        (none counts as a set); ``jaccard``: mean overlap of the sets; ``sentences``: share
        of their sentences given the same theme (or none) as by the teacher; ``in_theme``
        and ``teacher_in_theme``: share of comments in at least one theme;
        ``unread_sentences`` and ``unread_agreement``: those of their sentences the run left
        to the student (past the budget; the retrained student never saw them) and the share
        of them it gave the teacher's theme. The check runs
        with the model's assignment state saved and put back: the run's budget, known sentences
        and counts are left as they were.
        """
        from cxlens.text.clean import clean
        from cxlens.text.discover import split_sentences

        start, cpu_start = time.perf_counter(), time.process_time()
        held = self._held_out(model, scored)
        texts = [c.text for c in clean([self.texts[i] for i in held])]
        sents, owner = split_sentences(texts)
        langs = scored["language"].to_numpy(dtype=object)[held][owner]
        readings, read = {}, {}
        for assign in ("cascade", "classifier", "embedding"):
            readings[assign], read[assign] = _reading(model, assign, sents, langs)
        # sentences the cascade left to the student (the teacher's budget spent): never read
        # by the teacher, so the student's reading of them is not one it was trained on
        unread = ~read["cascade"]
        alike = readings["cascade"] == readings["embedding"]
        teacher = sentence_sets(readings["embedding"], owner, len(held))
        out: dict[str, float] = {"sample": len(held), "sentence_count": len(sents)}
        for name, prefix in (("cascade", ""), ("classifier", "student_")):
            found = set_agreement(sentence_sets(readings[name], owner, len(held)), teacher)
            found["in_theme"] = found.pop("student_in_theme")
            if prefix:
                found.pop("teacher_in_theme")
            sentences = np.mean(readings[name] == readings["embedding"]) if len(sents) else np.nan
            found["sentences"] = float(sentences)
            out.update({f"{prefix}{k}": v for k, v in found.items()})
        out["unread_sentences"] = int(unread.sum())
        out["unread_agreement"] = float(alike[unread].mean()) if unread.any() else float("nan")
        return {**out, "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu_start}  # fmt: skip

    def _assign(
        self, model: Any, scored: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, pd.Series, dict[tuple[str, str], list[str]], dict]:
        """Assign every comment in batches; return theme counts, theme statuses, members,
        up to :data:`PURITY_SAMPLE` member sentences per theme and language, and the member
        sentences' sentiment figures (``lap``: its wall and CPU seconds, inside the loop).

        Each batch's member sentences are scored as
        :func:`cxlens.text.themes.themes_for_workspace` scores them (the comment's score
        where the sentence is the whole comment, else a
        :class:`~cxlens.text.themes.SentenceScorer`: the accurate path for the most frequent
        within its fixed budget, the fast head for the rest).
        The theme status is "assigned", "no_theme" (analysed, an outlier), the sentiment
        status of comments not analysed, or "unsupported_language" (no theme model).
        """
        from cxlens.text.clean import clean
        from cxlens.text.themes import (
            NEGATIVE,
            SentenceScorer,
            member_sentences,
            sentence_sentiment,
        )

        n = len(self.texts)
        n_themes = np.zeros(n, dtype=np.int64)
        status = scored["status"].to_numpy(dtype=object).copy()
        langs = scored["language"].to_numpy(dtype=object)
        usable = np.isin(status, ANALYSED)
        status[usable & ~np.isin(langs, list(model.models_))] = "unsupported_language"
        usable &= np.isin(langs, list(model.models_))
        members = pd.Series(0, index=model.themes_["theme"].to_numpy(), dtype="int64")
        held: dict[tuple[str, str], list[str]] = {}
        scorer = SentenceScorer()
        comment_score = scored["score"].to_numpy(dtype="float64")
        comment_label = scored["label"].to_numpy(dtype=object)
        lap, rows_scored, negative, distinct = [0.0, 0.0], 0, 0, 0
        for lo in range(0, n, self.batch_size):
            hi = min(lo + self.batch_size, n)
            cleaned = clean(self.texts[lo:hi])
            texts = [c.text if ok else "" for c, ok in zip(cleaned, usable[lo:hi], strict=True)]
            found = model.transform(texts, langs[lo:hi].tolist())
            found = found[usable[lo + found["row"].to_numpy()]]
            started = (time.perf_counter(), time.process_time())
            at = lo + found["row"].to_numpy()
            sentence = member_sentences(model, found, texts, langs[lo:hi])
            _, label = sentence_sentiment(
                sentence, [texts[i - lo] for i in at], langs[at], comment_score[at],
                comment_label[at], scorer,
            )  # fmt: skip
            lap[0] += time.perf_counter() - started[0]
            lap[1] += time.process_time() - started[1]
            rows_scored += len(label)
            negative += int(np.sum(label == NEGATIVE))
            distinct += int(pd.Series(sentence, dtype=object).nunique())
            np.add.at(n_themes, lo + found["row"].to_numpy(), 1)
            members = members.add(found["theme"].value_counts(), fill_value=0)
            _keep_sentences(held, found.assign(language=langs[lo + found["row"].to_numpy()]))
        status[usable] = np.where(n_themes[usable] > 0, "assigned", "no_theme")
        sentences = {
            "lap": tuple(lap),
            "memberships": rows_scored,
            "accurate_sentences": scorer.accurate_read,
            "distinct_sentences_per_batch": distinct,
            "negative_share": negative / rows_scored if rows_scored else float("nan"),
        }
        return n_themes, status, members.astype("int64"), held, sentences

    def _sentence_agreement(self, held: dict[tuple[str, str], list[str]]) -> dict[str, float]:
        """Return how often the fast head (the member sentences' mode) gives the accurate
        path's label on a seeded sample of ``agreement_sample`` distinct member sentences
        (from those kept for label purity); not in the timings."""
        from cxlens.text.sentiment_model import classify

        pool = sorted({(lang, s) for (_, lang), sents in held.items() for s in sents})
        rng = np.random.default_rng(self.seed)
        picked = [pool[i] for i in rng.choice(len(pool), min(self.agreement_sample, len(pool)),
                                                replace=False)]  # fmt: skip
        same = 0
        for language in sorted({lang for lang, _ in picked}):
            sents = [s for lang, s in picked if lang == language]
            fast = classify(sents, "fast", language=language)[0].argmax(axis=1)
            accurate = classify(sents, "accurate", language=language)[0].argmax(axis=1)
            same += int(np.sum(fast == accurate))
        return {"agreement_sample": len(picked),
                "fast_vs_accurate": same / len(picked) if picked else float("nan")}  # fmt: skip

    def tidy(self, result: dict[str, Any]) -> dict[str, pd.DataFrame]:
        scored = result["scored"]
        themes = result["model"].themes_[["theme", "language", "label", "aspect"]].copy()
        members = result["members"].reindex(themes["theme"]).fillna(0).astype("int64")
        split = pd.DataFrame(
            [{**result["split"], "fitted_on": result["fitted_on"],
              "checks": result["checks_seconds"],
              "distinct_texts": pd.Series(self.texts, dtype=object).nunique()}]
        )  # fmt: skip
        cpu_split = pd.DataFrame([result["cpu_split"]])
        agreement = pd.DataFrame([result["agreement"]])
        theme_agreement = pd.DataFrame([result["theme_agreement"]])
        accurate = pd.DataFrame([result["accurate"]])
        return {
            "labels": pd.DataFrame(
                {
                    "source": self.frame["language"],
                    "truth": self.frame["label"],
                    "predicted": scored["label"].astype(object),
                    "language": scored["language"],
                    "status": scored["status"],
                    "themes": result["n_themes"],
                    "theme_status": result["theme_status"],
                }
            ),
            "split": split,
            "cpu_split": cpu_split,
            "agreement": agreement,
            "theme_agreement": theme_agreement,
            "sentence_sentiment": pd.DataFrame([result["sentence_sentiment"]]),
            "accurate": accurate,
            "themes": themes.assign(
                members=members.to_numpy(),
                label_purity=themes["theme"].map(result["label_purity"]).to_numpy(),
            ),
        }


def _keep_sentences(held: dict[tuple[str, str], list[str]], found: pd.DataFrame) -> None:
    """Add ``found``'s member sentences to ``held`` until each theme and language has
    :data:`PURITY_SAMPLE` (grouped in pandas: a Python loop per membership would add seconds
    to the timed assignment of a million)."""
    first = found.groupby(["theme", "language"], sort=False).head(PURITY_SAMPLE)
    for (theme, lang), part in first.groupby(["theme", "language"], sort=False)["sentence"]:
        kept = held.setdefault((str(theme), str(lang)), [])
        kept += [str(s) for s in part.iloc[: PURITY_SAMPLE - len(kept)]]


def member_purity(themes: pd.DataFrame, held: dict[tuple[str, str], list[str]]) -> dict[str, float]:
    """Return each theme's label purity over its kept member sentences (NaN without any).

    The share of the sentences holding a word of the label of their language, words
    compared as themes count them (:func:`cxlens.text.themes.label_purity`).

    Example:
        >>> themes = pd.DataFrame({"theme": ["t01"], "labels": [{"en": "Late flights"}]})
        >>> member_purity(themes, {("t01", "en"): ["The flight was late", "Thanks!"]})
        {'t01': 0.5}
    """
    from cxlens.text.themes import label_purity

    out = {}
    for theme, labels in zip(themes["theme"], themes["labels"], strict=True):
        sentences = {lang: kept for (t, lang), kept in held.items() if t == theme}
        out[str(theme)] = label_purity(labels, sentences)
    return out


def set_agreement(student: list[frozenset], teacher: list[frozenset]) -> dict[str, float]:
    """Return how alike two readings of the same comments' theme sets are.

    ``same_themes``: share of comments with the same set (two empty sets agree);
    ``jaccard``: mean |A & B| / |A | B| (1 for two empty sets); ``student_in_theme`` and
    ``teacher_in_theme``: share of comments each puts in at least one theme. NaN when empty.

    Example:
        >>> a = [frozenset({"x"}), frozenset({"x", "y"}), frozenset()]
        >>> b = [frozenset({"x"}), frozenset({"y"}), frozenset({"z"})]
        >>> {k: round(v, 3) for k, v in set_agreement(a, b).items()}
        {'same_themes': 0.333, 'jaccard': 0.5, 'student_in_theme': 0.667, 'teacher_in_theme': 1.0}
    """
    if len(student) != len(teacher):
        raise ValueError(f"{len(student)} student and {len(teacher)} teacher readings")
    if not student:
        keys = ("same_themes", "jaccard", "student_in_theme", "teacher_in_theme")
        return dict.fromkeys(keys, float("nan"))
    pairs = list(zip(student, teacher, strict=True))
    return {
        "same_themes": float(np.mean([a == b for a, b in pairs])),
        "jaccard": float(np.mean([len(a & b) / len(a | b) if a | b else 1.0 for a, b in pairs])),
        "student_in_theme": float(np.mean([bool(a) for a in student])),
        "teacher_in_theme": float(np.mean([bool(b) for b in teacher])),
    }


#: What a ThemeModel's language model changes as it assigns (the check puts it back).
_STATE = ("known", "budget_left", "learnt_from", "by_teacher", "by_student", "vectorizer",
          "tfidf", "classifier")  # fmt: skip


def _reading(
    model: Any, assign: str, sents: list[str], langs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return each sentence's theme ("" for none) read with ``assign`` and whether the
    teacher's call on it was known after the reading (or it has no word naming a topic: no
    theme, read by neither); the model's assignment state (the teacher's budget left, known
    sentences, counts, the student) is put back afterwards."""
    from cxlens.text.discover import has_content

    saved = {lang: {k: getattr(m, k) for k in _STATE} for lang, m in model.models_.items()}
    for lang, state in saved.items():
        model.models_[lang].known = dict(state["known"])
    before = model.assign
    theme = np.full(len(sents), "", dtype=object)
    known = np.zeros(len(sents), dtype=bool)
    try:
        model.assign = assign
        for lang in np.unique(langs):
            rows = np.flatnonzero(langs == lang)
            theme[rows] = model.sentence_themes([sents[i] for i in rows], str(lang))[0]
            known[rows] = [
                sents[i] in model.models_[lang].known or not has_content(sents[i], str(lang))
                for i in rows
            ]
    finally:
        model.assign = before
        for lang, state in saved.items():
            for k, v in state.items():
                setattr(model.models_[lang], k, v)
    return theme, known


def sentence_sets(themes: np.ndarray, owner: np.ndarray, n: int) -> list[frozenset[str]]:
    """Return each of ``n`` comments' set of themes from its sentences' themes ("" for none).

    Example:
        >>> sets = sentence_sets(np.array(["a", "", "b", "a"]), np.array([0, 0, 2, 2]), 3)
        >>> [sorted(s) for s in sets]
        [['a'], [], ['a', 'b']]
    """
    return theme_sets(pd.DataFrame({"row": owner, "theme": themes}).query("theme != ''"), n)


def theme_sets(found: pd.DataFrame, n: int) -> list[frozenset[str]]:
    """Return each of ``n`` comments' set of themes from a ``transform`` table.

    Example:
        >>> sets = theme_sets(pd.DataFrame({"row": [0, 0, 2], "theme": ["a", "b", "a"]}), 3)
        >>> [sorted(s) for s in sets]
        [['a', 'b'], [], ['a']]
    """
    out: list[frozenset[str]] = [frozenset()] * n
    for row, part in found.groupby("row", sort=False)["theme"]:
        out[int(row)] = frozenset(part)
    return out


@dataclass
class VaderEnglish:
    """VADER alone on the English comments."""

    path: str

    def __post_init__(self) -> None:
        _, frame = _texts(self.path)
        self.frame = frame[frame["language"] == "en"]
        self.texts = self.frame["text"].tolist()

    def run(self) -> np.ndarray:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        return np.array([vader.polarity_scores(t)["compound"] for t in self.texts])

    def tidy(self, result: np.ndarray) -> dict[str, pd.DataFrame]:
        labels = np.where(
            result >= 0.05, "positive", np.where(result <= -0.05, "negative", "neutral")
        )
        return {
            "labels": pd.DataFrame(
                {"source": "en", "truth": self.frame["label"].to_numpy(), "predicted": labels}
            )
        }


def factories() -> dict[str, tuple[str, Any]]:
    """Return ``{name: (target, kwargs(path))}`` of the implementations, cxlens first."""
    return {
        "cxlens": ("benchmarks.text_pipeline_impls:CxlensText", lambda p: {"path": str(p)}),
        "vader": ("benchmarks.text_pipeline_impls:VaderEnglish", lambda p: {"path": str(p)}),
    }
