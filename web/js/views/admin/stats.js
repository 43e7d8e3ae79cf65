// #/admin/stats: GET /admin/stats drawn as inline SVG: predictions per day by status (stacked), classification and
// inference time (p50, p95), email outcomes, top labels; and the model each consumer runs. Every chart has a text
// alternative: its aria-label says what it shows, and a table beside it holds the numbers.

import { horizontalBars, stackedBars } from "../../charts.js";
import { h } from "../../dom.js";
import { alertBox, showError, statusLine } from "../../forms.js";
import { when } from "../../format.js";
import { plural, scrollRegion } from "./common.js";

// Bottom to top in the stacks; colours at >= 3:1 against white (non-text contrast), told apart by the legend too.
const SERIES = [
  { key: "done", label: "done", colour: "#17743f" },
  { key: "rejected", label: "rejected", colour: "#9a6700" },
  { key: "failed", label: "failed", colour: "#b42318" },
  { key: "processing", label: "processing", colour: "#2a64cc" },
  { key: "pending", label: "pending", colour: "#6b7280" },
];
const DAYS = [7, 30, 90];

function numbers(caption, headings, rows) {
  return h("details", { className: "numbers" }, h("summary", {}, `${caption}: the numbers`),
    scrollRegion(caption, h("table", { className: "data" }, h("caption", { className: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", { className: "number" }, cell)))))))));
}

// A chart drawn at its box's width once the box is on the page (and again when the width changes: redraw()).
// `summaryId`: the chart's text alternative is that visible summary (one text for both: no repeat when read out).
function chartBox(draw, summaryId = null) {
  const box = h("div", { className: "chart-box" });
  box.redraw = () => {
    const width = Math.floor(box.clientWidth);
    if (!width || width === box.drawnAt) return;
    box.drawnAt = width;
    const svg = draw(width);
    if (summaryId) {
      svg.removeAttribute("aria-label");
      svg.setAttribute("aria-labelledby", summaryId);
    }
    box.replaceChildren(svg);
  };
  return box;
}

function chartCard(id, title, ...children) {
  return h("section", { className: `card chart-card${id === "models" ? " full" : ""}`, "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function perDay(stats) {
  const totals = Object.fromEntries(SERIES.map(({ key }) => [key, stats.per_day.reduce((sum, day) => sum + day[key], 0)]));
  const all = stats.per_day.reduce((sum, day) => sum + day.total, 0);
  const busiest = stats.per_day.reduce((best, day) => (day.total > (best?.total ?? 0) ? day : best), null);
  const summary = `Predictions per day over the last ${stats.days} days, stacked by status: ${all} in all (`
    + SERIES.map(({ key, label }) => `${totals[key]} ${label}`).join(", ") + ")"
    + (busiest ? `; the busiest day was ${busiest.day} with ${busiest.total}.` : ".");
  const legend = h("ul", { className: "legend", "aria-hidden": "true" },
    SERIES.map(({ label, colour }) => h("li", {}, h("span", { className: "swatch", style: `background:${colour}` }), label)));
  return chartCard("chart-days", "Predictions per day", legend,
    chartBox((width) => stackedBars(stats.per_day, SERIES, summary, width), "chart-days-summary"),
    h("p", { className: "muted small", id: "chart-days-summary" }, summary),
    numbers("Predictions per day", ["Day", ...SERIES.map((s) => s.label), "total"],
      stats.per_day.map((day) => [day.day, ...SERIES.map(({ key }) => day[key]), day.total])));
}

function ms(value) {
  if (value === null || value === undefined) return "none yet";
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString()} ms`;
}

function timing(stats) {
  const items = [
    { label: "classification p50", value: stats.classification_ms.p50 ?? 0, text: ms(stats.classification_ms.p50) },
    { label: "classification p95", value: stats.classification_ms.p95 ?? 0, text: ms(stats.classification_ms.p95) },
    { label: "inference p50", value: stats.inference_ms.p50 ?? 0, text: ms(stats.inference_ms.p50) },
    { label: "inference p95", value: stats.inference_ms.p95 ?? 0, text: ms(stats.inference_ms.p95) },
  ];
  const summary = `Classification time, from a consumer's claim to the stored result, of ${stats.classification_ms.count} done `
    + `${plural(stats.classification_ms.count, "prediction")}: median ${ms(stats.classification_ms.p50)}, 95th percentile ${ms(stats.classification_ms.p95)}. `
    + `The model's own inference time: median ${ms(stats.inference_ms.p50)}, 95th percentile ${ms(stats.inference_ms.p95)}.`;
  return chartCard("chart-timing", "Classification time",
    chartBox((width) => horizontalBars(items, summary, "#2a64cc", width), "chart-timing-summary"),
    h("p", { className: "muted small", id: "chart-timing-summary" }, summary),
    numbers("Classification time", ["Measure", "p50", "p95", "count"], [
      ["Classification", ms(stats.classification_ms.p50), ms(stats.classification_ms.p95), stats.classification_ms.count],
      ["Inference", ms(stats.inference_ms.p50), ms(stats.inference_ms.p95), stats.inference_ms.count],
    ]));
}

function counts(id, title, entries, what, colour) {
  if (entries.length === 0) return chartCard(id, title, h("p", { className: "muted" }, `No ${what} in these days.`));
  const summary = `${title}: ` + entries.map(([name, count]) => `${name} ${count}`).join(", ") + ".";
  return chartCard(id, title, chartBox((width) => horizontalBars(entries.map(([label, value]) => ({ label, value })), summary, colour, width)),
    numbers(title, [what === "emails" ? "Email status" : "Label", "Predictions"], entries));
}

function models(stats) {
  if (stats.models.length === 0) return chartCard("models", "Current model per consumer", h("p", { className: "muted" }, "Nothing classified in these days."));
  return chartCard("models", "Current model per consumer",
    scrollRegion("Current model per consumer", h("table", { className: "data" }, h("caption", { className: "visually-hidden" }, "Current model per consumer"),
      h("thead", {}, h("tr", {}, ["Consumer", "Model", "Version", "SHA-256", "Last classified"].map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, stats.models.map((model) => h("tr", {}, h("th", { scope: "row" }, model.consumer), h("td", {}, model.name),
        h("td", {}, model.version), h("td", {}, h("code", { className: "hash", title: model.sha256 }, `${model.sha256.slice(0, 16)}…`)), h("td", {}, when(model.last_classified_at))))))));
}

export function statsView(ctx) {
  const box = alertBox();
  const line = statusLine();
  const charts = h("div", { className: "charts" });
  const days = h("select", { id: "stats-days" }, DAYS.map((n) => h("option", { value: n, selected: n === 30 }, `Last ${n} days`)));
  let generation = 0;

  async function load() {
    const mine = ++generation;
    box.hidden = true;
    line.textContent = "Loading…";
    try {
      const stats = await ctx.api.admin.stats(Number(days.value));
      if (mine !== generation) return;
      const open = new Set([...charts.querySelectorAll("details[open] > summary")].map((summary) => summary.textContent));
      const emails = Object.entries(stats.emails).sort((a, b) => b[1] - a[1]);
      charts.replaceChildren(perDay(stats), timing(stats), counts("chart-emails", "Email outcomes", emails, "emails", "#5b6475"),
        counts("chart-labels", "Top labels", stats.top_labels.map(({ label, count }) => [label, count]), "labels", "#17743f"), models(stats));
      for (const summary of charts.querySelectorAll("details > summary")) if (open.has(summary.textContent)) summary.parentElement.open = true;
      redraw();
      line.textContent = `Showing ${stats.days} days, ${stats.since.slice(0, 10)} to ${stats.until.slice(0, 10)} (UTC).`;
    } catch (error) {
      if (mine !== generation) return;
      line.textContent = "";
      showError(box, error);
    }
  }
  const redraw = () => { for (const box of charts.querySelectorAll(".chart-box")) box.redraw(); };
  const resized = new ResizeObserver(() => requestAnimationFrame(redraw));
  resized.observe(charts);
  days.addEventListener("change", load);
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "Stats"),
    h("div", { className: "inline-field" }, h("label", { for: "stats-days" }, "Period"), days), line, box), charts);
  load();
  return () => resized.disconnect();
}
