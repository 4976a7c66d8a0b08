"""The report's voice sections: what customers say (themes) and social listening.

"What customers say" shows the themes of the survey comments coloured by their mean
sentiment, three PII-redacted quotes per theme, the emerging themes, each theme's impact on
NPS with its bootstrap interval, and the themes as drivers of NPS. "Social listening" shows
share of voice by brand (volume and engagement, with intervals), sentiment per brand, the
months where a brand's share of negative posts spiked, and the influencer deals with their
cost per engagement, attributed acquisitions and lift.

Scoring text is the slow step, so the saved derived tables are reused while they are up to
date: ``comment_themes`` + ``themes`` when they cover exactly the responses there are now
(:func:`themes_up_to_date`), ``comment_sentiment`` inside :func:`ws.text.themes` and
``post_sentiment`` inside :meth:`ws.social.score_posts`. Otherwise the themes are found
and saved once, so the next report reads them back. Every piece that cannot be drawn
becomes a note; nothing here can fail the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlens.errors import NotEnoughDataError
from cxlens.report.analyses import (
    AnalysisPart,
    _try,
    _with_ci,
    fmt_number,
    guarded,
)
from cxlens.report.charts import figure_html
from cxlens.report.template import (
    Section,
    Trusted,
    card_html,
    esc,
    note_html,
    pill_html,
    table_html,
)
from cxlens.store.query import run

if TYPE_CHECKING:
    from cxlens.workspace import Workspace

#: Themes listed with their quotes.
REPORT_TOP_THEMES = 12

#: Quotes shown per theme.
REPORT_QUOTES = 3

#: Themes in the impact chart and table.
REPORT_TOP_IMPACT = 10

#: Influencer deals listed.
REPORT_TOP_INFLUENCERS = 12

#: Mean sentiment at or below which a theme reads as negative, at or above as positive.
SENTIMENT_TONES = (-0.05, 0.05)


# --------------------------------------------------------------------------- reuse


def themes_up_to_date(ws: Workspace, *, id_column: str = "response_id") -> bool:
    """Return True when the saved themes cover exactly the current responses.

    ``comment_themes`` holds one or more rows per response that was read; it is up to date
    when no response is missing from it and it names no response that is gone (loaded
    since, or erased). Both counts are anti-joins in the engine. Themes saved before their
    sentiment was that of the member sentences (no ``sentiment_label`` column: whole
    comments' scores) are out of date too.

    Example:
        >>> import cxlens
        >>> themes_up_to_date(cxlens.Workspace(":memory:"))
        False
    """
    from cxlens.text.themes import ASSIGNMENTS_TABLE, THEMES_TABLE

    if not all(ws.has_table(t) for t in ("responses", ASSIGNMENTS_TABLE, THEMES_TABLE)):
        return False
    if "sentiment_label" not in ws.table(ASSIGNMENTS_TABLE).columns:
        return False
    responses = ws.table("responses").select(id_column)
    saved = ws.table(ASSIGNMENTS_TABLE).select(id_column).distinct()
    missing = responses.anti_join(saved, id_column).count()
    gone = saved.anti_join(responses, id_column).count()
    return (
        int(run(missing, "responses without themes")) == 0
        and int(run(gone, "saved themes of responses no longer there")) == 0
    )


def _split(value: Any, sep: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [v for v in value.split(sep) if v]


def report_themes(ws: Workspace) -> tuple[pd.DataFrame, bool]:
    """Return the themes table for the report and whether it was read back from the workspace.

    Reads the saved ``themes`` table when :func:`themes_up_to_date` (its ``keywords`` and
    ``quotes`` turned back into lists); otherwise runs ``ws.text.themes()``, which saves
    ``comment_themes``, ``themes`` (and ``comment_sentiment``) for the next report. Labels
    are translated by the workspace's label map as it is now
    (:func:`cxlens.text.translate.saved_label_map`), and every theme is named once for the
    report's reader (``name``, :func:`cxlens.text.translate.theme_names` in
    :func:`cxlens.text.translate.report_language`): the summary, every table and chart of the
    report and the dashboard show these names, so they never disagree.

    Returns:
        (themes, reused): themes with the columns of :data:`cxlens.text.themes.COLUMNS` and
        ``name``, most members first.

    Example:
        >>> report_themes(ws)[0][["label", "count", "sentiment"]].head(3)  # doctest: +SKIP
    """
    from cxlens.text.themes import COLUMNS, THEMES_TABLE, from_saved
    from cxlens.text.translate import (
        report_language,
        saved_label_map,
        theme_names,
        translate_themes,
    )

    reused = themes_up_to_date(ws)
    if reused:
        table = from_saved(run(ws.table(THEMES_TABLE), "the saved themes"))
        table = table.sort_values(["count", "theme"], ascending=[False, True], ignore_index=True)
        table = translate_themes(table, saved_label_map(ws))  # the map may be newer
        table = table[[c for c in COLUMNS if c in table.columns]]
    else:
        table = ws.text.themes().themes
    # named over the whole table: a part of it shown anywhere keeps the same names
    return table.assign(name=theme_names(table, report_language(ws))), reused


def shown_names(themes: pd.DataFrame) -> list[str]:
    """Return the themes' names for a client: their ``name`` column, else named here.

    :func:`report_themes` names the whole table (``name``); a table without the column
    (built by hand) is named by the same rule (:func:`cxlens.text.translate.theme_names`).

    Example:
        >>> shown_names(pd.DataFrame({"label": ["Цены кусаются"],
        ...     "labels": [{"ru": "Цены кусаются", "en": "Way overpriced"}]}))
        ['Way overpriced']
    """
    from cxlens.text.translate import theme_names

    if "name" in themes.columns:
        return [str(n) for n in themes["name"]]
    return theme_names(themes)


def names_by_theme(themes: pd.DataFrame) -> dict[str, str]:
    """Return ``{theme id: client name}`` (:func:`shown_names`) for tables keyed by the id.

    Example:
        >>> names_by_theme(pd.DataFrame({"theme": ["t01"], "label": ["Billing"]}))
        {'t01': 'Billing'}
    """
    return dict(zip(themes["theme"].astype(str), shown_names(themes), strict=True))


# --------------------------------------------------------------------------- what customers say


def voice_part(
    ws: Workspace,
    *,
    bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    top: int = REPORT_TOP_THEMES,
) -> AnalysisPart:
    """Build "What customers say": themes, quotes, emerging themes, impact on NPS, drivers.

    Example:
        >>> import cxlens
        >>> voice_part(cxlens.Workspace(":memory:")).section.body_html[:44]
        '<p class="note">What customers say is not sh'
    """
    title = "What customers say"

    def build() -> AnalysisPart:
        from cxlens.text.charts import impact_bars, theme_bars

        if not ws.has_table("responses") or "comment" not in ws.table("responses").columns:
            raise NotEnoughDataError("the workspace has no responses with a comment column")
        themes, _ = report_themes(ws)
        if themes.empty:
            raise NotEnoughDataError("no theme holds enough comments")
        notes: list[str] = []
        impact = _try(
            "The impact of themes on NPS",
            lambda: ws.text.theme_impact(
                "nps", bootstrap=bootstrap, confidence=confidence, seed=seed
            ),
            notes,
        )
        drivers = _try(
            "Themes as drivers of NPS",
            lambda: ws.text.theme_drivers(
                # aspects pool the languages' themes (per-language themes are collinear)
                "nps",
                level="aspect",
                bootstrap=bootstrap,
                confidence=confidence,
                seed=seed,
            ),
            notes,
        )
        names = names_by_theme(themes)  # report_themes named them all: charts use ``name``
        shown = themes.head(top)
        parts = [
            card_html(
                "Themes by share of comments",
                figure_html(theme_bars(themes, top=top), "chart-voice-themes"),
                "Share of the analysed comments that mention each theme; colour: mean "
                "sentiment of what those comments say about it, red (-1) to green (+1).",
            ),
            "<h3>Themes and what customers say</h3>",
            theme_table(shown),
            note_html(coverage_note(ws)),
        ]
        translated = translation_note(shown)
        if translated:
            parts.append(note_html(translated))
        emerging = themes[themes["emerging"].fillna(False).astype(bool)]
        parts.append("<h3>Emerging themes</h3>")
        parts.append(
            emerging_table(emerging)
            if len(emerging)
            else note_html("No theme grew significantly in the latest months.")
        )
        if impact is not None and len(impact):
            parts += [
                card_html(
                    "Theme impact on NPS",
                    figure_html(
                        impact_bars(_named(impact, "theme", names), top=REPORT_TOP_IMPACT),
                        "chart-voice-impact",
                    ),
                    f"Points of NPS each theme accounts for: NPS minus the NPS without the "
                    f"respondents who mention it; bars: {confidence:.0%} bootstrap interval.",
                ),
                impact_table(impact.head(REPORT_TOP_IMPACT), names),
            ]
        if drivers is not None and len(drivers.table):
            r2 = float(drivers.table["r_squared"].iloc[0])
            parts += [
                f"<h3>Aspects as drivers of NPS (R² = {fmt_number(r2, 3)})</h3>",
                theme_driver_table(drivers.table, names),
            ]
        parts += [note_html(n) for n in notes]
        top_row = themes.iloc[0]
        # every theme's share is of the same analysed comments: count / share recovers them
        n_comments = round(top_row["count"] / top_row["share"]) if top_row["share"] else None
        lead = (
            f"The {len(themes)} themes found in the survey comments"
            + (f" ({n_comments:,} analysed)" if n_comments else "")
            + ", how customers feel when they raise them, which are growing, and how many "
            "points of NPS each one costs or earns."
        )
        methods = [
            (
                "What customers say",
                "Comments are cleaned (HTML markup undone), their language detected and "
                "scored for sentiment (heads trained on public labelled sets over a packaged "
                "multilingual encoder, in a fast cascade), then grouped into themes over "
                "sentence embeddings per language, themes meaning the same merged across "
                "languages, and every comment assigned to zero or more themes (docs/text.md). "
                "A theme's sentiment and negative share are those of the sentence in which "
                "each comment raises it, not of the whole comment, which may praise one thing "
                "and complain of another. Quotes: the most typical comments of each theme, "
                "and its most typical negative one where they lack it, with names, e-mails, "
                "phone and card numbers redacted. Emerging: a theme's share of the latest 3 months "
                "against the months before, one-sided two-proportion z-test with a "
                "Benjamini-Hochberg false discovery rate of 5%. Impact: NPS minus the NPS "
                "without the theme's "
                f"respondents, percentile bootstrap over respondents ({bootstrap:,} resamples, "
                f"seed {seed}). Drivers: relative weights of one 0/1 column per aspect (the "
                "themes of every language that share it). Themes are found once, saved to "
                "the workspace (comment_themes, themes) and reused while they cover exactly "
                "the current responses.",  # one sentence either way: a re-run is the same page
            )
        ]
        body = "\n".join(parts)
        return AnalysisPart(Section("voice", title, body, lead=lead), methods)

    return guarded("voice", title, build)


def _tone(score: Any) -> str:
    try:
        s = float(score)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(s):
        return ""
    low, high = SENTIMENT_TONES
    return "bad" if s <= low else "good" if s >= high else "warn"


def theme_table(themes: pd.DataFrame) -> str:
    """Render themes: name, share, sentiment (coloured pill), keywords and quotes.

    Each theme leads with its name (:func:`shown_names`), its labels as its customers wrote
    them beneath. Quotes are escaped and shown one per line; they come PII-redacted from the
    themes.

    Example:
        >>> theme_table(pd.DataFrame({"theme": ["t01"], "label": ["billing"], "count": [40],
        ...     "share": [0.2], "sentiment": [-0.4], "negative_share": [0.6],
        ...     "keywords": [["bill", "charge"]], "quotes": [["Billed twice."]]})).count("<tr>")
        2
    """
    rows = []
    for r, name in zip(themes.to_dict("records"), shown_names(themes), strict=True):
        rows.append(
            [
                Trusted(_theme_labels(r, name)),
                f"{int(r['count']):,}",
                fmt_number(100 * float(r["share"]), 1, "%"),
                pill_html(fmt_number(r["sentiment"], 2), _tone(r["sentiment"])),
                fmt_number(100 * float(r.get("negative_share", math.nan)), 0, "%"),
                ", ".join(list(r.get("keywords") or [])[:6]),
                Trusted(_theme_quotes(r)),
            ]
        )
    columns = ["theme", "comments", "share", "sentiment", "negative", "keywords",
               "what customers say"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 4])


def _theme_labels(r: dict[str, Any], name: str) -> str:
    """Return the theme's name, then its label in each language beneath, escaped.

    "Slow internet", beneath "English: Slow internet · Chinese: 网速慢"; a label the label
    map translated reads "translated (original)". Nothing beneath when the one label is the
    name.
    """
    from cxlens.display import language_name

    labels = r.get("labels")
    translated = r.get("labels_translated") or {}
    if not isinstance(labels, dict) or not labels:
        labels = {r.get("language"): r["label"]}
    shown = [(k, _translated(v, translated.get(k))) for k, v in labels.items()]
    if len(shown) == 1 and shown[0][1] == esc(name):
        return f"<b>{esc(name)}</b>"
    beneath = " · ".join(f"{esc(language_name(k) or k)}: {text}" for k, text in shown)
    return f"<b>{esc(name)}</b><br><small>{beneath}</small>"


def _translated(original: object, translated: object) -> str:
    """Return "translated (original)" escaped, or the original where nothing was translated."""
    if not isinstance(translated, str) or translated == original:
        return esc(original)
    return f"{esc(translated)} ({esc(original)})"


def translation_note(themes: pd.DataFrame) -> str:
    """Return the line under the theme table on the label map's words, "" without a map.

    Example:
        >>> translation_note(pd.DataFrame({"language": ["zh"], "labels": [{"zh": "网络很稳定"}],
        ...     "labels_translated": [{"zh": "network 很 stable"}], "untranslated": [["很"]]}))
        'Labels translated by the label map, beneath each theme as "translated (original)"; kept as written: zh: 很.'
    """  # noqa: E501
    from cxlens.text.translate import untranslated_words

    if "labels_translated" not in themes.columns or not any(
        bool(t) for t in themes["labels_translated"]
    ):
        return ""
    missing = untranslated_words(themes)
    line = 'Labels translated by the label map, beneath each theme as "translated (original)"'
    if missing.empty:
        return line + "; every label word has an entry."
    words = "; ".join(
        f"{lang}: {', '.join(part['word'])}" for lang, part in missing.groupby("language")
    )
    return f"{line}; kept as written: {words}."


def _theme_quotes(r: dict[str, Any]) -> str:
    """Return quotes per language (a theme of several languages shows each), escaped.

    The theme's negative quote (its most typical member saying something negative about it)
    follows when it is not already shown: the typical quotes alone may all be praise. Its
    theme sentence, the part read negative, is marked (:func:`marked_quote`): the rest of
    the comment may complain of another topic.
    """
    by_language = r.get("quotes_by_language") or {}
    if not isinstance(by_language, dict) or not by_language:
        quotes = list(r.get("quotes") or [])[:REPORT_QUOTES]
        lines = [f"“{esc(q)}”" for q in quotes]
    else:
        per = REPORT_QUOTES if len(by_language) == 1 else 2
        quotes = [q for qs in by_language.values() for q in list(qs)[:per]]
        lines = [
            f"<small>{esc(lang)}</small> “{esc(q)}”"
            for lang, qs in by_language.items()
            for q in list(qs)[:per]
        ]
    negative = r.get("negative_quote")
    if isinstance(negative, str) and negative and negative not in quotes:
        marked = marked_quote(negative, r.get("negative_sentence"))
        lines.append(f"<small>negative</small> “{marked}”")
    return "<br>".join(lines) or "—"


def marked_quote(quote: str, sentence: object) -> str:
    """Return ``quote`` escaped, its theme sentence in ``<mark>`` (unmarked when not in it).

    The quote is customer text: each part is escaped before the mark is added, so markup in
    it stays text. See :func:`cxlens.text.quote.quote_parts`.

    Example:
        >>> marked_quote("Fine. <b>Bill</b> too high.", "<b>Bill</b> too high.")
        'Fine. <mark>&lt;b&gt;Bill&lt;/b&gt; too high.</mark>'
    """
    from cxlens.text.quote import quote_parts

    before, own, after = quote_parts(quote, sentence)
    if not own:
        return esc(quote)
    return f"{esc(before)}<mark>{esc(own)}</mark>{esc(after)}"


def coverage_note(ws: Workspace) -> str:
    """Return a line per language: comments, analysed, in no theme, not analysed and why.

    Example:
        >>> coverage_note(ws)  # doctest: +SKIP
        'Comments by language: en 3,072 (3,072 analysed, 93 in no theme); fr 140 (not analysed:
        140 no theme model for the language); ...'
    """
    from cxlens.text.themes import ASSIGNMENTS_TABLE, coverage_table

    if not ws.has_table(ASSIGNMENTS_TABLE):
        return ""
    parts = []
    for r in coverage_table(ws.table(ASSIGNMENTS_TABLE)).itertuples(index=False):
        bits = [f"{r.analysed:,} analysed"] if r.analysed else []
        if r.outliers:
            bits.append(f"{r.outliers:,} in no theme")
        if r.not_analysed:
            bits.append(f"not analysed: {r.reasons}")
        name = "no language (empty or no words)" if r.language == "und" else r.language
        parts.append(f"{name} {r.comments:,} ({'; '.join(bits)})")
    return "Comments by language: " + "; ".join(parts) + "."


def emerging_table(emerging: pd.DataFrame) -> str:
    """Render emerging themes: share in the latest months, before, ratio and q-value.

    Each theme by its name (:func:`shown_names`).

    Example:
        >>> emerging_table(pd.DataFrame({"theme": ["t02"], "label": ["outage"],
        ...     "recent_share": [0.12], "previous_share": [0.04], "share_ratio": [3.0],
        ...     "q_value": [0.001], "new": [False]})).count("<tr>")
        2
    """
    rows = [
        [
            Trusted(esc(name)),
            fmt_number(100 * r.recent_share, 1, "%"),
            "new" if bool(r.new) else fmt_number(100 * r.previous_share, 1, "%"),
            fmt_number(r.share_ratio, 1, "×"),
            f"{r.q_value:.3g}" if pd.notna(r.q_value) else "—",
        ]
        for r, name in zip(emerging.itertuples(), shown_names(emerging), strict=True)
    ]
    columns = ["theme", "share, latest months", "share before", "ratio", "q-value"]
    return table_html(columns, rows, numeric=[1, 2, 3, 4])


def impact_table(impact: pd.DataFrame, names: Mapping[str, str] | None = None) -> str:
    """Render theme impact: respondents, NPS of the theme, NPS without it, impact (interval).

    Each theme by its name in ``names`` (:func:`names_by_theme` of the report's themes),
    else its label, never its id.

    Example:
        >>> impact_table(pd.DataFrame({"theme": ["t01"], "label": ["billing"], "n": [50],
        ...     "share": [0.1], "score_theme": [-30.0], "score": [20.0],
        ...     "score_without": [25.6], "impact": [-5.6], "ci_low": [-7.0],
        ...     "ci_high": [-4.1]})).count("<tr>")
        2
    """
    named = _named(impact, "theme", names or {})
    rows = [
        [
            Trusted(esc(r.name)),
            f"{int(r.n):,}",
            fmt_number(r.score_theme, 1),
            fmt_number(r.score_without, 1),
            _with_ci(r.impact, r.ci_low, r.ci_high, 1),
        ]
        for r in named.itertuples()
    ]
    columns = ["theme", "respondents", "NPS of those who mention it", "NPS without them",
               "impact on NPS (interval)"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 3, 4])


def _named(table: pd.DataFrame, key: str, names: Mapping[str, str]) -> pd.DataFrame:
    """Return ``table`` with ``name``: ``names`` of its ``key``, else its label, else the key.

    A key missing from ``names`` is an aspect ("price", a word) or a theme the names were
    not given for; its label (customers' words) is shown then, never the id beside it.
    """
    labels = table["label"] if "label" in table.columns else pd.Series(None, index=table.index)
    shown = [
        names.get(str(k)) or (str(label) if isinstance(label, str) and label else str(k))
        for k, label in zip(table[key], labels, strict=True)
    ]
    return table.assign(name=shown)


def theme_driver_table(drivers: pd.DataFrame, names: Mapping[str, str]) -> str:
    """Render themes as drivers: share of R² with interval and the direction of the effect.

    A theme driver by its name in ``names`` (:func:`names_by_theme`); an aspect ("price")
    by its display name.

    Example:
        >>> theme_driver_table(pd.DataFrame({"driver": ["t01"], "rescaled_weight": [60.0],
        ...     "ci_low": [50.0], "ci_high": [70.0], "sign": [-1]}),
        ...     {"t01": "Billing"}).count("<tr>")
        2
    """
    rows = [
        [
            Trusted(esc(names[r.driver])) if r.driver in names else str(r.driver),
            _with_ci(r.rescaled_weight, r.ci_low, r.ci_high, 1, "%"),
            "lowers NPS" if r.sign < 0 else "raises NPS",
        ]
        for r in drivers.itertuples()
    ]
    return table_html(["theme", "share of R² (interval)", "mentioning it"], rows, numeric=[1])


# --------------------------------------------------------------------------- social listening


def social_part(
    ws: Workspace,
    *,
    confidence: float = 0.95,
    min_n: int = 30,
    every: str = "month",
    top: int = REPORT_TOP_INFLUENCERS,
) -> AnalysisPart:
    """Build "Social listening": share of voice, sentiment by brand, alerts, influencers.

    Example:
        >>> import cxlens
        >>> social_part(cxlens.Workspace(":memory:")).section.body_html[:42]
        '<p class="note">Social listening is not sh'
    """
    title = "Social listening"

    def build() -> AnalysisPart:
        from cxlens.social.charts import lift_figure, sentiment_figure, share_of_voice_figure

        social = ws.social
        voice = social.share_of_voice(confidence=confidence, min_n=min_n)
        notes: list[str] = []
        scored = _try("Post sentiment", social.score_posts, notes)
        brand_sentiment = alerts = None
        if scored is not None:
            brand_sentiment = _try(
                "Sentiment by brand",
                lambda: social.sentiment(confidence=confidence, min_n=min_n),
                notes,
            )
            alerts = _try("Negative-spike alerts", lambda: social.alerts(every, min_n=min_n), notes)
        brand_themes = None
        if scored is not None:
            brand_themes = _try(
                "Themes per brand",
                lambda: social.themes(confidence=confidence, min_n=min_n, save=False),
                notes,
            )
        deals = None
        if ws.has_table("campaigns"):
            deals = _try(
                "Influencer deals",
                lambda: social.influencers(confidence=confidence, min_n=min_n),
                notes,
            )
        parts = [
            '<div class="grid-2">',
            card_html(
                "Share of voice",
                figure_html(share_of_voice_figure(voice, title=""), "chart-social-voice"),
                f"Each brand's share of posts (volume), of likes + shares + comments "
                f"(engagement) and of reach; bars: {confidence:.0%} intervals.",
            ),
        ]
        if brand_sentiment is not None and len(brand_sentiment):
            parts.append(
                card_html(
                    "Net sentiment by brand",
                    figure_html(sentiment_figure(brand_sentiment, title=""), "chart-social-sent"),
                    f"Share of positive minus share of negative posts, {confidence:.0%} interval.",
                )
            )
        parts.append("</div>")
        parts += ["<h3>Share of voice by brand</h3>", voice_table(voice)]
        if brand_sentiment is not None and len(brand_sentiment):
            parts += ["<h3>Sentiment by brand</h3>", brand_sentiment_table(brand_sentiment)]
        if alerts is not None:
            parts.append("<h3>Negative spikes</h3>")
            parts.append(
                alerts_table(alerts)
                if len(alerts)
                else note_html(f"No {every} had a significant spike of negative posts.")
            )
        if brand_themes is not None:
            from cxlens.social.themes import top_distinctive
            from cxlens.text.translate import report_language, theme_names

            tops = top_distinctive(brand_themes.table, top=3)
            posts_themes = brand_themes.themes
            names = dict(
                zip(
                    posts_themes["theme"].astype(str),
                    theme_names(posts_themes, report_language(ws)),
                    strict=True,
                )
            )
            parts.append("<h3>Distinctive themes per brand</h3>")
            parts.append(
                distinctive_themes_table(tops, names)
                if len(tops)
                else note_html("No brand talks about a theme significantly more than the others.")
            )
        if deals is not None:
            parts.append("<h3>Influencer deals</h3>")
            if len(deals):
                shown = deals.head(top)
                if shown["lift"].notna().any():
                    parts.append(
                        card_html(
                            "Acquisition lift per deal",
                            figure_html(lift_figure(shown, title=""), "chart-social-lift"),
                            "New customers in the deal's window against the same length just "
                            f"before it (rate ratio, exact {confidence:.0%} interval); 1 = no "
                            "lift.",
                        )
                    )
                parts.append(influencer_table(shown))
            else:
                parts.append(note_html("The campaigns table holds no influencer deal."))
        parts += [note_html(n) for n in notes]
        posts = int(voice["posts"].sum())
        brands = voice["brand"].nunique() if "brand" in voice.columns else 0
        lead = (
            f"What {posts:,} social posts say about {brands} brands: who is talked about "
            "and engaged with most, how people feel about each, when complaints spiked, "
            "and what the influencer deals brought in."
        )
        methods = [
            (
                "Social listening",
                "Share of voice: posts per brand over all posts (Wilson interval) and "
                "likes + shares + comments per brand over everybody's (ratio estimator, "
                "delta-method interval, the post as unit). Post sentiment: the same scorer "
                "as the comments; scores are saved (post_sentiment) and reused. Net "
                "sentiment: positive minus negative share (trinomial interval). Spikes: "
                f"each brand's share of negative posts per {every} against its trailing 6 "
                "periods, one-sided Fisher test, Benjamini-Hochberg at 5%. Themes per brand: "
                "themes found over all posts (brand names taken out); a brand's share of "
                "its posts in a theme (Wilson interval) against the other brands' "
                "(two-proportion z-test, Benjamini-Hochberg at 5%). Influencers: "
                "cost per engagement, customers acquired under the deal's id or tracking "
                "code, and lift as the rate ratio of new customers in the deal's window "
                "against the window before (exact conditional interval; docs/social.md).",
            )
        ]
        body = "\n".join(parts)
        return AnalysisPart(Section("social", title, body, lead=lead), methods)

    return guarded("social", title, build)


def voice_table(voice: pd.DataFrame) -> str:
    """Render share of voice: posts, volume share and engagement share with intervals.

    Example:
        >>> voice_table(pd.DataFrame({"brand": ["a"], "posts": [10], "volume_share": [50.0],
        ...     "volume_ci_low": [30.0], "volume_ci_high": [70.0], "engagements": [100.0],
        ...     "engagement_share": [40.0], "engagement_ci_low": [20.0],
        ...     "engagement_ci_high": [60.0], "small_sample": [True]})).count("<tr>")
        2
    """
    ordered = voice.sort_values("volume_share", ascending=False)
    rows = [
        [
            str(r.brand),
            f"{int(r.posts):,}",
            _with_ci(r.volume_share, r.volume_ci_low, r.volume_ci_high, 1, "%"),
            fmt_number(r.engagements, 0),
            _with_ci(r.engagement_share, r.engagement_ci_low, r.engagement_ci_high, 1, "%"),
            "yes" if bool(r.small_sample) else "",
        ]
        for r in ordered.itertuples()
    ]
    columns = ["brand", "posts", "share of posts (interval)", "engagements",
               "share of engagement (interval)", "small sample"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 3, 4])


def brand_sentiment_table(table: pd.DataFrame) -> str:
    """Render sentiment per brand: scored posts, mean score, % negative, net sentiment.

    Example:
        >>> brand_sentiment_table(pd.DataFrame({"brand": ["a"], "n": [40], "score": [0.1],
        ...     "score_ci_low": [0.0], "score_ci_high": [0.2], "negative_share": [20.0],
        ...     "negative_ci_low": [10.0], "negative_ci_high": [35.0], "net_sentiment": [15.0],
        ...     "net_ci_low": [-5.0], "net_ci_high": [35.0]})).count("<tr>")
        2
    """
    ordered = table.sort_values("net_sentiment", ascending=False)
    rows = [
        [
            str(r.brand),
            f"{int(r.n):,}",
            _with_ci(r.score, r.score_ci_low, r.score_ci_high, 2),
            _with_ci(r.negative_share, r.negative_ci_low, r.negative_ci_high, 1, "%"),
            _with_ci(r.net_sentiment, r.net_ci_low, r.net_ci_high, 1),
        ]
        for r in ordered.itertuples()
    ]
    columns = ["brand", "scored posts", "mean score (interval)", "negative (interval)",
               "net sentiment (interval)"]  # fmt: skip
    return table_html(columns, rows, numeric=[1, 2, 3, 4])


def alerts_table(alerts: pd.DataFrame) -> str:
    """Render negative-spike alerts: brand, series, period, share against its baseline.

    Example:
        >>> alerts_table(pd.DataFrame({"brand": ["a"], "topic": ["all negative"],
        ...     "period": pd.to_datetime(["2024-05-01"]), "n": [60], "negatives": [30],
        ...     "share": [50.0], "ci_low": [37.0], "ci_high": [63.0], "baseline_share": [20.0],
        ...     "ratio": [2.5], "q_value": [0.001]})).count("<tr>")
        2
    """
    rows = [
        [
            str(r.brand),
            str(r.topic),
            f"{pd.Timestamp(r.period):%b %Y}",
            f"{int(r.negatives):,} of {int(r.n):,}",
            _with_ci(r.share, r.ci_low, r.ci_high, 1, "%"),
            fmt_number(r.baseline_share, 1, "%"),
            fmt_number(r.ratio, 1, "×"),
            f"{r.q_value:.2g}",
        ]
        for r in alerts.itertuples()
    ]
    columns = ["brand", "series", "period", "negative posts", "negative share (interval)",
               "baseline", "ratio", "q-value"]  # fmt: skip
    return table_html(columns, rows, numeric=[3, 4, 5, 6, 7])


def distinctive_themes_table(table: pd.DataFrame, names: Mapping[str, str] | None = None) -> str:
    """Render each brand's distinctive themes: share against the other brands, an example.

    Each theme by its name in ``names`` (``{theme id: name}``, by
    :func:`cxlens.text.translate.theme_names` over all the posts' themes), else its label.

    Example:
        >>> distinctive_themes_table(pd.DataFrame({"brand": ["a"], "theme": ["t01"],
        ...     "label": ["billing"], "posts": [40], "share": [8.0], "share_ci_low": [6.0],
        ...     "share_ci_high": [10.5], "others_share": [0.5], "lift": [16.0],
        ...     "sentiment": [-0.6], "quotes": [["Wrong invoice again."]]}),
        ...     {"t01": "Billing"}).count("Billing")
        1
    """
    rows = [
        [
            str(r.brand),
            Trusted(esc(r.name)),
            f"{int(r.posts):,}",
            _with_ci(r.share, r.share_ci_low, r.share_ci_high, 1, "%"),
            fmt_number(r.others_share, 1, "%"),
            fmt_number(r.lift, 1, "×") if math.isfinite(r.lift) else "only this brand",
            fmt_number(r.sentiment, 2),
            str(r.quotes[0]) if len(r.quotes) else "",
        ]
        for r in _named(table, "theme", names or {}).itertuples()
    ]
    columns = ["brand", "theme", "posts", "share of brand's posts (interval)", "other brands",
               "ratio", "sentiment", "example (redacted)"]  # fmt: skip
    return table_html(columns, rows, numeric=[2, 3, 4, 5, 6])


def influencer_table(deals: pd.DataFrame) -> str:
    """Render influencer deals: cost, engagements, cost per engagement, acquisitions, lift.

    Example:
        >>> influencer_table(pd.DataFrame({"campaign_id": ["I1"], "name": ["Spring"],
        ...     "influencer": ["@ana"], "cost": [5000.0], "engagements": [2500.0],
        ...     "cost_per_engagement": [2.0], "acquisitions": [12], "cost_per_acquisition":
        ...     [416.7], "lift": [1.4], "lift_ci_low": [1.1], "lift_ci_high": [1.8],
        ...     "lift_p_value": [0.01], "note": [None]})).count("<tr>")
        2
    """
    rows = [
        [
            f"{r.name} ({r.campaign_id})",
            "—" if pd.isna(r.influencer) else str(r.influencer),
            fmt_number(r.cost, 0),
            fmt_number(r.engagements, 0),
            fmt_number(r.cost_per_engagement, 2),
            "—" if pd.isna(r.acquisitions) else f"{int(r.acquisitions):,}",
            fmt_number(r.cost_per_acquisition, 0),
            _with_ci(r.lift, r.lift_ci_low, r.lift_ci_high, 2),
            "—" if pd.isna(r.lift_p_value) else f"{r.lift_p_value:.2g}",
            "" if not isinstance(r.note, str) else r.note,
        ]
        for r in deals.itertuples()
    ]
    columns = ["deal", "influencer", "cost", "engagements", "cost per engagement",
               "attributed customers", "cost per acquisition", "lift (interval)", "p-value",
               "note"]  # fmt: skip
    return table_html(columns, rows, numeric=[2, 3, 4, 5, 6, 7, 8])


# --------------------------------------------------------------------------- both


def voice_parts(
    ws: Workspace,
    *,
    bootstrap: int = 200,
    confidence: float = 0.95,
    min_n: int = 30,
    every: str = "month",
    seed: int = 0,
) -> dict[str, AnalysisPart]:
    """Return the "voice" and "social" parts of the report.

    Example:
        >>> import cxlens
        >>> list(voice_parts(cxlens.Workspace(":memory:")))
        ['voice', 'social']
    """
    return {
        "voice": voice_part(ws, bootstrap=bootstrap, confidence=confidence, seed=seed),
        "social": social_part(ws, confidence=confidence, min_n=min_n, every=every),
    }
