// #/admin/audit: every administrator's action, newest first: who, what, on what, when, from which request, and how
// it ended. Read only: no route edits or deletes it.

import { h } from "../../dom.js";
import { alertBox, statusLine } from "../../forms.js";
import { when } from "../../format.js";
import { badge, dataTable, pagedRows, plural } from "./common.js";

const ACTIONS = {
  "user.disable": "Disabled a user",
  "user.enable": "Enabled a user",
  "dead_letters.redrive": "Redrove dead letters",
  "dead_letter.discard": "Discarded a dead letter",
};
const OUTCOMES = { succeeded: "done", failed: "failed", pending: "pending" };

function target(entry) {
  const [kind, id] = entry.target.split(/:(.*)/s);
  if (kind === "user") return [entry.details?.email || id, h("br"), h("code", { className: "muted small" }, id)];
  if (kind === "dead-letters") return id === "all" ? "the whole queue" : "selected messages";
  return [h("span", {}, "message "), h("code", { title: id }, id)];
}

// A long opaque value (a move task's handle) is cut short on screen; the whole of it is in its title.
function shortened(text) {
  return text.length > 60 ? h("span", { title: text }, `${text.slice(0, 32)}…`) : text;
}

function details(entry) {
  const shown = Object.entries(entry.details || {}).filter(([name]) => name !== "email");
  if (shown.length === 0) return "";
  return h("dl", { className: "details" }, shown.flatMap(([name, value]) => [
    h("dt", {}, name.replace(/_/g, " ")),
    h("dd", {}, shortened(Array.isArray(value) ? (value.length ? value.join(", ") : "none") : String(value)))]));
}

function row(entry) {
  const outcome = badge(entry.outcome, OUTCOMES[entry.outcome]);
  return h("tr", { "data-action": entry.action },
    h("td", {}, when(entry.at)),
    h("td", {}, entry.actor_email),
    h("td", { title: entry.action }, ACTIONS[entry.action] || entry.action),
    h("td", {}, target(entry)),
    h("td", {}, outcome, entry.error ? [h("br"), h("code", { className: "small" }, entry.error)] : null),
    h("td", {}, details(entry)),
    h("td", {}, h("code", { className: "small" }, entry.request_id)));
}

export function auditView(ctx) {
  const box = alertBox();
  const shown = statusLine();
  const empty = h("p", { className: "muted", hidden: true }, "No administrator has done anything yet.");
  const heading = h("h1", {}, "Audit log");
  const { wrap, body } = dataTable("Audit log", ["When", "Who", "Action", "Target", "Outcome", "Details", "Request id"]);
  const pages = pagedRows({
    fetchPage: (cursor) => ctx.api.admin.audit(cursor), row, body, box, empty, status: shown,
    noun: (n) => plural(n, "entry", "entries"), heading: () => heading,
  });
  ctx.view.replaceChildren(h("section", { className: "card" }, heading,
    h("p", { className: "muted" }, "Every administrator's action, newest first, with the API request it came from. Nobody can edit or delete it."),
    box, shown, empty, wrap, h("div", { className: "actions" }, pages.more)));
  pages.reload();
}
