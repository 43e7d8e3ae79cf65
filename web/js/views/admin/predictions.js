// #/admin/predictions: every user's predictions, newest first, filtered by status, creation dates (UTC days), top
// label, model version and owner. The filters live in the address (#/admin/predictions?status=failed), so a link
// can name them; ?highlight=<id> marks one prediction (the dead-letter page links so).

import { h } from "../../dom.js";
import { alertBox, statusLine } from "../../forms.js";
import { percent, when } from "../../format.js";
import { badge, dataTable, pagedRows, plural } from "./common.js";

const STATUSES = ["pending", "processing", "done", "rejected", "failed"];
const FILTERS = [
  { name: "status", label: "Status" },
  { name: "since", label: "Created from", type: "date" },
  { name: "until", label: "Created until", type: "date" },
  { name: "label", label: "Top label", type: "text" },
  { name: "model_version", label: "Model version", type: "text" },
  { name: "user_id", label: "Owner's user id", type: "text" },
  { name: "prediction_id", label: "Prediction id", type: "text" },
];
const HIGHLIGHT_PAGES = 5; // how far "Load more" goes by itself to find the highlighted prediction

function control({ name, label, type }, value) {
  const id = `filter-${name}`;
  const input = type
    ? h("input", { id, name, type, value: value || "", autocomplete: "off", "aria-describedby": `${id}-error` })
    : h("select", { id, name, "aria-describedby": `${id}-error` }, h("option", { value: "" }, "Any"),
      STATUSES.map((status) => h("option", { value: status, selected: status === value }, status)));
  const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
  return { name, input, error, node: h("div", { className: "filter" }, h("label", { for: id }, label), input, error) };
}

function result(prediction) {
  if (prediction.status === "done") return `${prediction.result.top.label} · ${percent(prediction.result.top.probability)}`;
  return prediction.error?.message || "";
}

export function adminPredictionsView(ctx) {
  const highlight = ctx.query.get("highlight");
  const controls = FILTERS.map((filter) => control(filter, ctx.query.get(filter.name)));
  const box = alertBox();
  const shown = statusLine();
  const empty = h("p", { className: "muted", hidden: true }, "No prediction matches these filters.");
  const { wrap, body } = dataTable("Predictions", ["Created", "File", "Owner", "Status", "Result", "Model", "Consumer", "Attempts", "Email"]);
  const heading = h("h1", {}, "All predictions");

  const values = () => Object.fromEntries(controls.map(({ name, input }) => [name, input.value.trim()]));
  function showErrors(fields) {
    for (const { name, input, error } of controls) {
      error.textContent = fields[name] || "";
      error.hidden = !fields[name];
      input.setAttribute("aria-invalid", fields[name] ? "true" : "false");
    }
  }

  function row(prediction) {
    const owner = prediction.owner_id
      ? h("a", { href: `#/admin/predictions?user_id=${prediction.owner_id}`, title: "Only this owner's predictions" }, prediction.owner_email || prediction.owner_id)
      : h("span", { className: "muted" }, "none (inbox)");
    const marked = prediction.id === highlight;
    return h("tr", { id: `prediction-${prediction.id}`, className: marked ? "highlight" : null, "aria-current": marked ? "true" : null },
      h("td", {}, when(prediction.created_at)),
      h("td", {}, h("strong", {}, prediction.filename), h("br"), h("code", { className: "muted small" }, prediction.id)),
      h("td", {}, owner),
      h("td", {}, badge(prediction.status, prediction.status)),
      h("td", { className: prediction.status === "done" ? "nowrap" : null }, result(prediction)),
      h("td", {}, prediction.result ? `${prediction.result.model.name} ${prediction.result.model.version}` : ""),
      h("td", {}, prediction.consumer || ""),
      h("td", { className: "number" }, String(prediction.attempts)),
      h("td", {}, prediction.email?.status || ""));
  }

  const pages = pagedRows({
    fetchPage: async (cursor) => {
      showErrors({});
      try {
        return await ctx.api.admin.predictions(values(), cursor);
      } catch (error) {
        showErrors(error.fields || {});
        throw error;
      }
    },
    row, body, box, empty, status: shown, noun: (n) => plural(n, "prediction"), heading: () => heading,
  });

  async function load() {
    await pages.reload();
    for (let page = 1; highlight && page < HIGHLIGHT_PAGES && !body.querySelector(".highlight") && pages.hasMore(); page++) await pages.loadMore();
    if (!highlight) return;
    const marked = body.querySelector(".highlight");
    marked?.scrollIntoView({ block: "center" });
    shown.textContent += marked ? " The prediction you followed is marked." : ` Prediction ${highlight} is not among these.`;
  }

  const form = h("form", { className: "filters", "aria-label": "Filters" }, controls.map((c) => c.node),
    h("div", { className: "actions" }, h("button", { type: "submit" }, "Apply filters"),
      h("button", { type: "button", className: "secondary", onclick: () => { for (const c of controls) c.input.value = ""; form.requestSubmit(); } }, "Clear filters")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(Object.entries(values()).filter(([, value]) => value));
    history.replaceState(null, "", `#/admin/predictions${query.size ? `?${query}` : ""}`);
    pages.reload();
  });
  ctx.view.replaceChildren(h("section", { className: "card" }, heading,
    h("p", { className: "muted" }, "Every account's predictions, newest first. Dates are UTC days."),
    form, box, shown, empty, wrap, h("div", { className: "actions" }, pages.more)));
  load();
}
