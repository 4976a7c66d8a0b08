// The cxlens dashboard: plain JavaScript over the JSON API, no build step.
//
// Sign-in keeps the API key in sessionStorage (this tab only) and sends it as a Bearer token.
// Every panel is fetched in parallel and drawn as soon as its answer arrives; the server
// caches answers per workspace version, so a filter seen before comes back at once. A render
// started by an older filter state is dropped when a newer one begins.
"use strict";

(function () {
  const API = "/api/v1";
  const KEY = "cxlens.key";
  const COLOURS = {
    ink: "#1f2933", muted: "#6b7785", primary: "#1f4e79", good: "#1a7f37", bad: "#b42318",
    grey: "#b8c0cc", grid: "#e6e9ee", warn: "#b7791f",
  };
  const FONT = "Inter, 'Segoe UI', -apple-system, BlinkMacSystemFont, Roboto, Arial, sans-serif";
  // label, unit, digits, and which way is better, per metric
  const METRICS = {
    nps: { label: "NPS", unit: "points", digits: 1, suffix: "", higher: true },
    csat: { label: "CSAT", unit: "%", digits: 1, suffix: "%", higher: true },
    ces: { label: "CES", unit: "1-7", digits: 2, suffix: "", higher: true }, // 7 = very easy
    churn: { label: "Churn", unit: "%", digits: 2, suffix: "%", higher: false },
  };
  const QUADRANTS = {
    "fix first": COLOURS.bad, maintain: COLOURS.good, "lower priority": COLOURS.grey,
    "possible overkill": COLOURS.warn,
  };
  const LOYALTY = { loyalists: COLOURS.good, mercenaries: COLOURS.warn, hostages: "#6b46c1",
    defectors: COLOURS.bad };

  const $ = (id) => document.getElementById(id);
  const state = { workspace: null, generation: 0, norms: Promise.resolve(new Set()),
    names: { names: {}, prefixes: [], acronyms: {} } };
  const CHURN_MONTHS = 24; // churn runs back to the first customer; show recent months
  window.cxlens = { renders: [] }; // timings and the last render, read by the browser tests

  // ------------------------------------------------------------------ talking to the API

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, params) {
    const url = new URL(API + path, window.location.origin);
    for (const [name, value] of params || []) url.searchParams.append(name, value);
    const response = await fetch(url, {
      headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      throw new ApiError(response.status, detail || response.statusText);
    }
    return body;
  }

  function filterParams() {
    const out = [];
    if ($("since").value) out.push(["since", $("since").value]);
    if ($("until").value) out.push(["until", $("until").value]);
    if ($("segment").value) out.push(["filter", "segment=" + $("segment").value]);
    return out;
  }

  function ws(path) {
    return "/workspaces/" + encodeURIComponent(state.workspace) + path;
  }

  // ------------------------------------------------------------------ formatting

  function fmt(metric, value) {
    if (value === null || value === undefined) return "–";
    const spec = METRICS[metric];
    return Number(value).toFixed(spec.digits) + spec.suffix;
  }

  // An amount as cxlens.money.format_money writes it: the prefix the server sends ("$",
  // "CHF "; "" when the data carries no currency), whole units, a typographic minus.
  function money(prefix, value) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    const amount = Math.round(Math.abs(value));
    return (value < 0 && amount ? "−" : "") + (prefix || "") + amount.toLocaleString("en");
  }

  // Client words for an identifier in the data, by the rules of cxlens.display (the server
  // sends them: /dashboard/names): the workspace's names, then the defaults, then words.
  function label(value) {
    if (value === null || value === undefined) return "–";
    const text = String(value);
    const rules = state.names;
    if (Object.prototype.hasOwnProperty.call(rules.names, text)) return rules.names[text];
    if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(text)) return text;
    let key = text;
    const prefix = rules.prefixes.find((p) => key.startsWith(p) && key.length > p.length);
    if (prefix) key = key.slice(prefix.length);
    const words = key.split("_").filter(Boolean).map((w) => rules.acronyms[w] || w);
    if (words[0] === words[0].toLowerCase()) words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    return words.join(" ");
  }

  // Every category a chart shows (axis labels, point labels, legend) in client words.
  function clientTrace(trace) {
    const out = Object.assign({}, trace);
    for (const key of ["x", "y", "text"]) {
      if (Array.isArray(out[key]) && out[key].some((v) => typeof v === "string")) {
        out[key] = out[key].map((v) => (typeof v === "string" && !/^\d{4}-\d\d/.test(v) ? label(v) : v));
      }
    }
    if (typeof out.name === "string") out.name = label(out.name);
    return out;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  function empty(id, message) {
    const target = $(id);
    if (window.Plotly) Plotly.purge(target);
    target.replaceChildren(el("p", "empty", message));
  }

  function layout(extra) {
    return Object.assign(
      {
        font: { family: FONT, color: COLOURS.ink, size: 12 },
        paper_bgcolor: "white", plot_bgcolor: "white",
        margin: { l: 56, r: 16, t: 40, b: 44 }, height: 320,
        hoverlabel: { font: { family: FONT } },
        xaxis: { gridcolor: COLOURS.grid, zeroline: false },
        yaxis: { gridcolor: COLOURS.grid, zeroline: false },
        legend: { orientation: "h", y: -0.18 },
      },
      extra,
    );
  }

  function draw(id, traces, extra) {
    const target = $(id);
    if (target.querySelector(".empty")) target.replaceChildren();
    return Plotly.react(target, traces.map(clientTrace), layout(extra),
      { displayModeBar: false, responsive: true });
  }

  // ------------------------------------------------------------------ panels

  function tileFor(metric) {
    const tile = el("article", "card tile");
    tile.id = "tile-" + metric;
    tile.append(el("h3", "", METRICS[metric].label), el("p", "value", "…"));
    return tile;
  }

  // The tile as the report's: the latest full month leads, labelled, with its change and
  // test; the whole period beside it; a month under way named, never compared. The server
  // sends the report's words (cxlens.report.headline), so the two never disagree.
  async function overview(params, kpis) {
    const body = await api(ws("/overview"), params);
    const tiles = $("tiles");
    tiles.replaceChildren();
    const norms = [];
    for (const t of body.tiles) {
      const tile = tileFor(t.metric);
      const value = tile.querySelector(".value");
      tiles.append(tile);
      if (!t.available) {
        value.textContent = "–";
        tile.append(el("p", "reason muted", t.reason));
        continue;
      }
      value.before(el("p", "period", t.label));
      value.textContent = t.value_text;
      value.dataset.value = t.value;
      tile.append(el("p", "interval muted", t.interval_text));
      if (t.change_text) {
        const change = el("p", "change " + (t.significant ? "tone-" + t.tone : "muted"),
          t.change_text);
        tile.append(change);
      }
      tile.append(el("p", "n" + (t.small_sample ? " small" : " muted"),
        t.n_text + (t.small_sample ? " (small sample)" : "")));
      if (t.whole) tile.append(el("p", "whole muted", capital(t.whole.text)));
      if (t.partial) tile.append(el("p", "partial muted", t.partial.text));
      norms.push(benchmark(tile, t));
    }
    await Promise.all([...norms, targets(kpis)]);
    return body;
  }

  // A period start as client text writes it: "December 2025" (UTC, as the server sends it).
  function monthName(period) {
    return new Date(String(period).slice(0, 10) + "T00:00:00Z").toLocaleString("en", {
      month: "long", year: "numeric", timeZone: "UTC" });
  }

  function capital(text) {
    return text ? text[0].toUpperCase() + text.slice(1) : text;
  }

  async function benchmark(tile, t) {
    const line = el("p", "benchmark muted");
    tile.append(line);
    if (!(await state.norms).has(t.metric)) {
      line.textContent = "No shipped benchmark";
      return;
    }
    const rows = (await api("/norms", [["metric", t.metric], ["value", t.value]])).rows;
    const parts = rows.map((r) => {
      const range = r.benchmark_low === r.benchmark_high
        ? String(r.benchmark_low)
        : (r.benchmark_low ?? "") + "–" + (r.benchmark_high ?? "");
      return { r, text: r.statistic + " " + range + " " + r.unit };
    });
    line.textContent = "Benchmark: ";
    parts.forEach(({ r, text }, i) => {
      if (i) line.append("; ");
      const span = el("span", "", text);
      span.title = r.source + "\n" + r.note;
      line.append(span);
      if (r.unit === METRICS[t.metric].unit) {
        line.append(" ", el("span", "verdict-" + r.verdict, r.verdict));
      } else {
        line.append(" ", el("span", "muted", "(another measure)"));
      }
    });
  }

  async function targets(kpis) {
    const rows = (await kpis).parts.kpis.rows;
    for (const r of rows) {
      const tile = $("tile-" + r.metric);
      if (!tile) continue;
      const line = el("p", "target");
      line.append(
        "KPI " + r.name + " (" + monthName(r.period) + "): " + fmt(r.metric, r.value) +
          " vs target " + fmt(r.metric, r.target) + " ",
        el("span", "status-" + String(r.status).replace(/ /g, "-"), r.status),
      );
      line.title = "The KPI's own definition and filter, as of its latest period" +
        (r.owner ? "; owner " + r.owner : "");
      tile.append(line);
    }
  }

  // Months between two ticks of a monthly trend: 1, 2, 3, 4, 6 or 12, the fewest that keep
  // the labels ("Jan 2024", about 64 px with their gap) apart on a chart ``width`` px wide.
  function monthStep(months, width) {
    const fit = Math.max(1, Math.floor((width - 72) / 64));
    return [1, 2, 3, 4, 6, 12].find((m) => Math.ceil(months / m) <= fit) || 12;
  }

  async function trend(metric, params) {
    const spec = METRICS[metric];
    const body = await api(ws("/metrics/" + metric), [["every", "month"], ...params]);
    let rows = body.rows.filter((r) => r.value !== null);
    const recent = metric === "churn" && !$("since").value;
    if (recent) rows = rows.slice(-CHURN_MONTHS);
    if (!rows.length) return empty("trend-" + metric, spec.label + ": no data in this slice");
    const x = rows.map((r) => r.period);
    const sig = rows.filter((r) => r.significant);
    const traces = [
      { x, y: rows.map((r) => r.ci_high), mode: "lines", line: { width: 0 }, hoverinfo: "skip",
        showlegend: false, name: "upper bound" },
      { x, y: rows.map((r) => r.ci_low), mode: "lines", line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(31,78,121,0.15)", hoverinfo: "skip", name: "95% interval" },
      { x, y: rows.map((r) => r.value), mode: "lines+markers", name: spec.label,
        line: { color: COLOURS.primary, width: 2 },
        marker: { size: 6, color: rows.map((r) => (r.small_sample ? "white" : COLOURS.primary)),
          line: { color: rows.map((r) => (r.small_sample ? COLOURS.grey : COLOURS.primary)),
            width: 1.5 } },
        customdata: rows.map((r) => [r.n, r.ci_low, r.ci_high]),
        hovertemplate: "%{x|%b %Y}<br>" + spec.label + " %{y:." + spec.digits + "f}" +
          "<br>interval %{customdata[1]:." + spec.digits + "f} to %{customdata[2]:." +
          spec.digits + "f}<br>n = %{customdata[0]:,}<extra></extra>" },
    ];
    if (sig.length) {
      traces.push({
        x: sig.map((r) => r.period), y: sig.map((r) => r.value), mode: "markers",
        name: "Significant change",
        marker: { symbol: "diamond", size: 11,
          color: sig.map((r) => ((r.change > 0) === spec.higher ? COLOURS.good : COLOURS.bad)) },
        hoverinfo: "skip",
      });
    }
    await draw("trend-" + metric, traces, {
      title: { text: spec.label + " by month" + (recent ? " (latest " + CHURN_MONTHS + ")" : ""),
        x: 0.01, font: { size: 14 } },
      yaxis: { gridcolor: COLOURS.grid, zeroline: false, title: { text: spec.label + " (" +
        spec.unit + ")" } },
      // monthly points get monthly ticks, never days between them, and no more than the
      // panel's width holds side by side (Plotly would tilt them over each other)
      xaxis: { gridcolor: COLOURS.grid, zeroline: false, type: "date", tickformat: "%b %Y",
        dtick: "M" + monthStep(rows.length, $("trend-" + metric).clientWidth), tickangle: 0 },
    });
    return body;
  }

  async function segments(params) {
    const metric = $("segment-metric").value;
    const spec = METRICS[metric];
    const body = await api(ws("/metrics/" + metric), [["by", "segment"], ...params]);
    const rows = body.rows.filter((r) => r.value !== null)
      .sort((a, b) => (spec.higher ? a.value - b.value : b.value - a.value));
    if (!rows.length) return empty("segments", "No segment has data in this slice");
    await draw("segments", [{
      type: "bar", orientation: "h", y: rows.map((r) => r.segment), x: rows.map((r) => r.value),
      name: spec.label,
      marker: { color: rows.map((r) => (r.small_sample ? COLOURS.grey : COLOURS.primary)) },
      error_x: { type: "data", symmetric: false, color: COLOURS.muted,
        array: rows.map((r) => r.ci_high - r.value), arrayminus: rows.map((r) => r.value - r.ci_low) },
      customdata: rows.map((r) => [r.n, r.small_sample ? " (small sample)" : ""]),
      hovertemplate: "%{y}: %{x:." + spec.digits + "f}<br>n = %{customdata[0]:,}%{customdata[1]}" +
        "<extra></extra>",
    }], {
      title: { text: spec.label + " by segment (95% interval)", x: 0.01, font: { size: 14 } },
      margin: { l: 120, r: 16, t: 40, b: 48 }, showlegend: false,
      xaxis: { gridcolor: COLOURS.grid, zeroline: false, title: { text: spec.label + " (" +
        spec.unit + ")" } },
    });
    return body;
  }

  async function priority(params) {
    const body = await api(ws("/dashboard/priority"), params);
    const rows = body.rows;
    const traces = Object.entries(QUADRANTS).map(([quadrant, colour]) => {
      const part = rows.filter((r) => r.quadrant === quadrant);
      return {
        x: part.map((r) => r.performance), y: part.map((r) => r.importance),
        name: quadrant[0].toUpperCase() + quadrant.slice(1),
        mode: "markers+text", text: part.map((r) => label(r.driver)),
        textposition: "top center",
        marker: { size: 13, color: colour, line: { width: 1, color: "white" } },
        hovertemplate: "%{text}<br>importance %{y:.1f}%<br>performance %{x:.2f}<extra>" +
          quadrant + "</extra>",
      };
    }).filter((t) => t.x.length);
    const line = { dash: "dash", color: COLOURS.grey, width: 1 };
    await draw("priority", traces, {
      height: 400,
      // the legend sits above the plot: below it, it covered the axis title at 1024 px
      legend: { orientation: "h", yanchor: "bottom", y: 1.02, x: 0 },
      margin: { l: 56, r: 16, t: 56, b: 52 },
      shapes: [
        { type: "line", xref: "x", yref: "paper", x0: body.performance_cut,
          x1: body.performance_cut, y0: 0, y1: 1, line },
        { type: "line", xref: "paper", yref: "y", y0: body.importance_cut,
          y1: body.importance_cut, x0: 0, x1: 1, line },
      ],
      xaxis: { gridcolor: COLOURS.grid, zeroline: false, title: { text:
        body.performance_measure === "top2" ? "Performance (% rating 4-5)" :
          "Performance (mean rating)" } },
      yaxis: { gridcolor: COLOURS.grid, zeroline: false, rangemode: "tozero",
        title: { text: "Importance (% of explained variance)" } },
    });
    $("priority-note").textContent = "Drivers of " + label(body.target) + " on " +
      Number(body.n).toLocaleString("en") + " answers; dashed lines: mean importance and " +
      "mean performance.";
    return body;
  }

  async function loyalty(params) {
    const body = await api(ws("/dashboard/loyalty"), params);
    const at = (a, b) => body.rows.find((r) => r.attitude === a && r.behaviour === b);
    const levels = ["low", "high"];
    const z = levels.map((a) => levels.map((b) => (at(a, b) ? at(a, b).revenue_share : null)));
    const annotations = body.rows.map((r) => ({
      x: levels.indexOf(r.behaviour), y: levels.indexOf(r.attitude), showarrow: false,
      font: { color: LOYALTY[r.quadrant] || COLOURS.ink, size: 13 },
      text: "<b>" + label(r.quadrant) + "</b><br>" + Number(r.customers).toLocaleString("en") +
        " customers (" + Math.round(100 * r.share) + "%)<br>revenue / customer " +
        money(body.currency_prefix, r.revenue_per_customer) + "<br>" +
        Math.round(100 * r.revenue_share) + "% of revenue" +
        (r.small_sample ? "<br><i>small sample</i>" : ""),
    }));
    await draw("loyalty", [{
      type: "heatmap", z, x: ["low behaviour", "high behaviour"],
      y: ["low attitude", "high attitude"], zmin: 0, zmax: 1, showscale: false,
      colorscale: [[0, "#f3f6fa"], [1, "#9fb8d3"]], hoverinfo: "skip",
    }], {
      title: { text: "Loyalty matrix: " + label(body.attitude) + " × " + label(body.behaviour)
        .toLowerCase(), x: 0.01,
        font: { size: 14 } },
      annotations, xaxis: { showgrid: false }, yaxis: { showgrid: false },
      margin: { l: 96, r: 16, t: 40, b: 36 },
    });
    $("loyalty-note").textContent = body.rules.slice(0, 2).join(" · ")
      .replace(/\b(nps|csat|ces)\b/g, (m) => m.toUpperCase());
    return body;
  }

  // ------------------------------------------------------------------ voice panels
  // Each is shown only when its endpoint answers; a note says which filters it followed.

  function scopeText(scope) {
    const parts = [];
    parts.push(scope.dates === "filtered" ? "date range applied" : "all dates");
    parts.push(scope.segment === "filtered" ? "segment applied" : "all segments");
    return parts.join(", ");
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  async function journey(params) {
    let body;
    try {
      body = await api(ws("/dashboard/journey"), params);
    } catch (err) {
      if (err.status === 401) throw err;
      show("journey-panel", false);
      return null;
    }
    show("journey-panel", true);
    const rows = body.emotion.rows.filter((r) => r.emotion !== null);
    if (rows.length) {
      await draw("journey-emotion", [{
        x: rows.map((r) => r.touchpoint), y: rows.map((r) => r.emotion), name: "emotion",
        mode: "lines+markers", line: { color: COLOURS.primary, width: 2 },
        marker: { size: 8, color: rows.map((r) => (r.emotion < 0 ? COLOURS.bad : COLOURS.good)) },
        error_y: { type: "data", symmetric: false, color: COLOURS.muted,
          array: rows.map((r) => r.emotion_ci_high - r.emotion),
          arrayminus: rows.map((r) => r.emotion - r.emotion_ci_low) },
        customdata: rows.map((r) => [r.responses]),
        hovertemplate: "%{x}: %{y:.2f}<br>%{customdata[0]:,} answers<extra></extra>",
      }], {
        title: { text: "Emotion per touchpoint (-1 to +1, 95% interval)", x: 0.01,
          font: { size: 14 } },
        yaxis: { gridcolor: COLOURS.grid, zeroline: true, range: [-1, 1],
          title: { text: "Emotion (-1 to +1)" } },
        // touchpoint names slant down to the right, so the first one never meets the "−1" tick
        xaxis: { gridcolor: COLOURS.grid, zeroline: false, tickangle: 30, automargin: true },
      });
    } else {
      empty("journey-emotion", "No answers at touchpoints in this slice");
    }
    $("journey-emotion-note").textContent = "Answers: " + scopeText(body.emotion_scope) + ".";
    const steps = body.funnel.rows;
    await draw("journey-funnel", [{
      type: "funnel", y: steps.map((r) => r.name), x: steps.map((r) => r.entered), name: "funnel",
      // one number format for every step ("14,642 · 100%"), never "14.642k" beside "6191"
      texttemplate: "%{value:,.0f} · %{percentInitial:.0%}", marker: { color: COLOURS.primary },
    }], { title: { text: "Funnel over the stages most journeys reach", x: 0.01,
      font: { size: 14 } }, margin: { l: 110, r: 16, t: 40, b: 30 } });
    $("journey-funnel-note").textContent = "Funnel: " + scopeText(body.funnel_scope) +
      " (journeys are not cut by the filters).";
    return body;
  }

  // The theme's negative quote, its theme sentence (the part read negative) marked; the
  // parts come from the API as text (before, sentence, after) and are set as text, never as
  // HTML. Not shown when it is already one of the quotes.
  function negativeQuote(parts, quotes) {
    if (!parts) return null;
    const whole = parts.join("");
    if (quotes.includes(whole)) return null;
    const quote = el("blockquote", "negative");
    quote.append(el("span", "tag", "negative "), "“" + parts[0]);
    if (parts[1]) quote.append(el("mark", "", parts[1]));
    quote.append(parts[2] + "”");
    return quote;
  }

  async function themes() {
    let body;
    try {
      body = await api(ws("/dashboard/themes"), [["top", "8"]]);
    } catch (err) {
      if (err.status === 401) throw err;
      show("themes-panel", false);
      return null;
    }
    show("themes-panel", true);
    const cards = body.rows.map((r) => {
      const tone = r.sentiment <= -0.05 ? " bad" : r.sentiment >= 0.05 ? " good" : "";
      const card = el("article", "theme" + tone);
      card.dataset.theme = r.theme;
      card.append(
        // the theme's name as the report gives it (one rule: cxlens.text.translate.theme_names)
        el("h3", "", r.name + (r.emerging ? " (emerging)" : "")),
        el("p", "meta", (100 * r.share).toFixed(1) + "% of comments · " +
          Number(r.count).toLocaleString("en") + " comments · sentiment " +
          Number(r.sentiment).toFixed(2)),
        ...r.quotes.map((q) => el("blockquote", "", "“" + q + "”")),
      );
      const negative = negativeQuote(r.negative_quote, r.quotes);
      if (negative) card.append(negative);
      return card;
    });
    $("themes").replaceChildren(...cards);
    $("themes-note").textContent = body.themes + " themes in all the comments: all dates, " +
      "all segments (themes are not recomputed per filter).";
    return body;
  }

  async function social(params) {
    let body;
    const dates = params.filter(([name]) => name === "since" || name === "until");
    try {
      body = await api(ws("/dashboard/social"), dates);
    } catch (err) {
      if (err.status === 401) throw err;
      show("social-panel", false);
      return null;
    }
    show("social-panel", true);
    const voice = body.share_of_voice.rows;
    const bars = (measure, colour) => ({
      type: "bar", name: measure, x: voice.map((r) => r.brand),
      y: voice.map((r) => r[measure + "_share"]), marker: { color: colour },
      error_y: { type: "data", symmetric: false, color: COLOURS.muted,
        array: voice.map((r) => r[measure + "_ci_high"] - r[measure + "_share"]),
        arrayminus: voice.map((r) => r[measure + "_share"] - r[measure + "_ci_low"]) },
    });
    await draw("social-voice", [bars("volume", COLOURS.primary), bars("engagement", COLOURS.warn)],
      { title: { text: "Share of voice (%, 95% interval)", x: 0.01, font: { size: 14 } },
        barmode: "group", yaxis: { gridcolor: COLOURS.grid, title: { text: "Share (%)" } } });
    const sent = body.sentiment.rows;
    await draw("social-sentiment", [{
      type: "bar", name: "net sentiment", x: sent.map((r) => r.brand),
      y: sent.map((r) => r.net_sentiment),
      marker: { color: sent.map((r) => (r.net_sentiment < 0 ? COLOURS.bad : COLOURS.good)) },
      error_y: { type: "data", symmetric: false, color: COLOURS.muted,
        array: sent.map((r) => r.net_ci_high - r.net_sentiment),
        arrayminus: sent.map((r) => r.net_sentiment - r.net_ci_low) },
    }], { title: { text: "Net sentiment by brand (points, 95% interval)", x: 0.01,
      font: { size: 14 } }, showlegend: false,
      yaxis: { gridcolor: COLOURS.grid, title: { text: "Net sentiment (points)" } } });
    $("social-note").textContent = "Posts: " + scopeText(body.scope) +
      " (posts carry no customer segment).";
    return body;
  }

  // Survey collection (docs/collect.md): response rate per survey with its Wilson interval,
  // time to answer and the non-response check; hidden for a workspace without invitations.
  async function collection() {
    const body = await api(ws("/survey-stats"));
    const rates = body.response_rates;
    show("collection-panel", rates.length > 0);
    if (!rates.length) return body;
    await draw("collection-rates", [{
      type: "bar", x: rates.map((r) => r.survey), y: rates.map((r) => 100 * r.response_rate),
      marker: { color: COLOURS.primary },
      error_y: { type: "data", symmetric: false, color: COLOURS.muted,
        array: rates.map((r) => 100 * (r.ci_high - r.response_rate)),
        arrayminus: rates.map((r) => 100 * (r.response_rate - r.ci_low)) },
    }], { title: { text: "Response rate by survey (%, 95% interval)", x: 0.01,
      font: { size: 14 } }, showlegend: false });
    const timing = body.timing.map((t) => t.survey + ": median " + t.median_hours.toFixed(1) +
      " h to answer").join("; ");
    const tests = {};
    body.nonresponse.forEach((r) => { tests[r.attribute] = r.p_value; });
    const differ = Object.keys(tests).filter((a) => tests[a] < 0.05);
    $("collection-note").textContent = (timing ? timing + ". " : "") +
      (differ.length ? "Responders differ from non-responders in: " + differ.join(", ") +
        " (p < 0.05)." : "No difference between responders and non-responders found.") +
      " All dates and segments.";
    return body;
  }

  // Ask which voice panels the workspace can show, then fetch only those: a workspace without
  // events, posts or saved themes hides those panels without a failed request.
  async function voice(params) {
    let found;
    try {
      found = (await api(ws("/dashboard/panels"))).panels;
    } catch (err) {
      if (err.status === 401) throw err;
      found = {};
    }
    const panels = { journey: () => journey(params), themes: () => themes(),
      social: () => social(params) };
    return Promise.all(Object.entries(panels).map(([name, fetchPanel]) => {
      if (found[name] && found[name].available) return fetchPanel();
      show(name + "-panel", false);
      return null;
    }));
  }

  // ------------------------------------------------------------------ one render of the board

  function guard(id, promise) {
    return promise.catch((err) => {
      if (err.status === 401) throw err;
      if (id === "tiles") $("tiles").replaceChildren(el("p", "empty", err.message));
      else empty(id, err.message);
      return null;
    });
  }

  async function render() {
    const generation = ++state.generation;
    const started = performance.now();
    document.body.dataset.state = "loading";
    $("status").textContent = "Loading…";
    showError("");
    const params = filterParams();
    const asOf = $("until").value ? [["as_of", $("until").value]] : [];
    const kpis = api(ws("/analyses/kpis"), [["every", "month"], ...asOf])
      .catch(() => ({ parts: { kpis: { rows: [] } } }));
    const jobs = [
      guard("tiles", overview(params, kpis)),
      ...Object.keys(METRICS).map((m) => guard("trend-" + m, trend(m, params))),
      guard("priority", priority(params)),
      guard("segments", segments(params)),
      guard("loyalty", loyalty(params)),
      voice(params),
      guard("collection-rates", collection()),
    ];
    try {
      await Promise.all(jobs);
    } catch (err) {
      if (generation === state.generation) signOut(err.message);
      return;
    }
    if (generation !== state.generation) return; // a newer filter state took over
    const ms = performance.now() - started;
    window.cxlens.renders.push({ ms, params });
    window.cxlens.last = { generation, ms, params };
    // first full render, in ms since the page started loading (sign-in included)
    if (window.cxlens.first === undefined) window.cxlens.first = performance.now();
    $("status").textContent = "Updated in " + Math.round(ms) + " ms";
    document.body.dataset.state = "ready";
    document.body.dataset.render = String(generation);
  }

  // ------------------------------------------------------------------ sign-in and filters

  async function loadSegments() {
    const select = $("segment");
    select.replaceChildren(new Option("All segments", ""));
    let body;
    try {
      body = await api(ws("/metrics/nps"), [["by", "segment"]]);
    } catch (err) {
      if (err.status === 401) throw err;
      select.disabled = true; // no segment column in this workspace
      return;
    }
    select.disabled = false;
    for (const r of body.rows) select.append(new Option(label(r.segment), r.segment));
  }

  async function openWorkspace(name) {
    state.workspace = name;
    state.names = await api(ws("/dashboard/names"));
    $("since").value = "";
    $("until").value = "";
    await loadSegments();
    await render();
  }

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    let body;
    try {
      body = await api("/workspaces");
    } catch (err) {
      return signOut(err.status === 401
        ? "That API key was not accepted (" + err.message + ")."
        : "Could not sign in: " + err.message);
    }
    if (!body.workspaces.length) return signOut("This key may use no workspace on this server.");
    const select = $("workspace");
    select.replaceChildren(...body.workspaces.map((w) => new Option(w, w)));
    $("role").textContent = body.role + " key " + body.key_id;
    state.norms = api("/norms")
      .then((n) => new Set(n.rows.map((r) => r.metric)))
      .catch(() => new Set());
    $("sign-in").hidden = true;
    $("who").hidden = false;
    $("board").hidden = false;
    document.body.dataset.state = "signed-in";
    try {
      await openWorkspace(body.workspaces[0]);
    } catch (err) {
      signOut(err.message);
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.generation++;
    $("sign-in").hidden = false;
    $("who").hidden = true;
    $("board").hidden = true;
    $("key").value = "";
    document.body.dataset.state = message ? "error" : "signed-out";
    showError(message || "");
  }

  function onFilter() {
    const since = $("since").value;
    const until = $("until").value;
    if (since && until && since > until) {
      showError("The date range is empty: From is after To.");
      return;
    }
    render().catch((err) => showError(err.message));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("key").value.trim());
    });
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    $("sign-out").addEventListener("click", () => signOut(""));
    $("workspace").addEventListener("change", (event) => openWorkspace(event.target.value)
      .catch((err) => showError(err.message)));
    for (const id of ["since", "until", "segment"]) $(id).addEventListener("change", onFilter);
    $("clear").addEventListener("click", () => {
      $("since").value = "";
      $("until").value = "";
      $("segment").value = "";
      onFilter();
    });
    $("segment-metric").addEventListener("change", () => {
      guard("segments", segments(filterParams()));
    });
    const key = sessionStorage.getItem(KEY);
    if (key) signIn(key);
  });
})();
