// #/admin/dead-letters: the classify dead-letter queue, looked at without deleting anything: each message's
// prediction, why it is there and how often it was received. Redrive all (SQS's message move task, whose status
// shows here), redrive the selected ones, discard one.

import { h } from "../../dom.js";
import { alertBox, hold, showError, statusLine } from "../../forms.js";
import { when } from "../../format.js";
import { badge, dataTable, plural, shortId } from "./common.js";

const POLL_MS = 2000;
const TASK_KINDS = { RUNNING: "processing", COMPLETED: "done", CANCELLED: "pending", CANCELLING: "pending", FAILED: "failed" };

function predictionLink(letter) {
  if (!letter.prediction_id) return h("span", { className: "muted" }, "none");
  const status = letter.objects.find((object) => object.prediction_id === letter.prediction_id)?.status;
  const query = new URLSearchParams({ prediction_id: letter.prediction_id, highlight: letter.prediction_id });
  return [h("a", { href: `#/admin/predictions?${query}`, "aria-label": `Prediction ${letter.prediction_id}` }, shortId(letter.prediction_id)),
    status ? [" ", badge(status, status)] : null];
}

function taskText(task) {
  if (!task) return "No redrive of the whole queue yet.";
  const progress = task.to_move === null || task.to_move === undefined ? `${task.moved} moved` : `${task.moved} of ${task.to_move} moved`;
  return `Last redrive of the whole queue: ${task.status.toLowerCase()}, ${progress}` + (task.started_at ? `, started ${when(task.started_at)}` : "")
    + (task.failure_reason ? `. ${task.failure_reason}` : ".");
}

export function deadLettersView(ctx) {
  const box = alertBox();
  const done = statusLine();
  const count = h("p", { className: "lead", "data-testid": "dead-letter-count" });
  const task = h("p", { className: "notice", "data-testid": "move-task" });
  const empty = h("p", { className: "muted", hidden: true }, "The dead-letter queue is empty.");
  const { wrap, body } = dataTable("Dead letters", ["Select", "Message", "Sent", "Received", "Reason", "Prediction", "Action"]);
  const all = h("button", { type: "button" }, "Redrive all");
  const selected = h("button", { type: "button", className: "secondary" }, "Redrive selected");
  const reload = h("button", { type: "button", className: "link" }, "Refresh");
  hold(selected); // until something is selected
  let timer = null;
  let stopped = false;

  const checked = () => [...body.querySelectorAll("input[type=checkbox]:checked")].map((input) => input.value);
  const selectionChanged = () => {
    const n = checked().length;
    hold(selected, n === 0);
    selected.textContent = n ? `Redrive selected (${n})` : "Redrive selected";
  };

  function row(letter) {
    const id = `select-${letter.message_id}`;
    const discard = h("button", { type: "button", className: "danger small", "aria-label": `Discard message ${letter.message_id}` }, "Discard");
    const item = h("tr", { "data-message": letter.message_id },
      h("td", {}, h("input", { type: "checkbox", id, value: letter.message_id, "aria-label": `Select message ${letter.message_id}`, onchange: selectionChanged })),
      h("td", {}, h("code", { className: "nowrap", title: letter.message_id }, shortId(letter.message_id)),
        h("details", { className: "preview-body" }, h("summary", {}, "Body"), h("pre", {}, letter.body_preview))),
      h("td", {}, when(letter.sent_at)),
      h("td", { className: "number" }, `${letter.receive_count} ${plural(letter.receive_count, "time")}`),
      h("td", { className: "reason" }, letter.reason),
      h("td", {}, predictionLink(letter)),
      h("td", {}, discard));
    discard.addEventListener("click", async () => {
      if (!window.confirm(`Discard message ${letter.message_id}? It is deleted from the dead-letter queue for good; its prediction stays as it is.`)) return;
      hold(discard);
      box.hidden = true;
      try {
        await ctx.api.admin.discard(letter.message_id);
        const neighbour = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        empty.hidden = body.children.length > 0;
        wrap.hidden = body.children.length === 0;
        selectionChanged();
        done.textContent = `Discarded message ${letter.message_id}.`;
        (neighbour?.querySelector("button.danger") || all).focus();
      } catch (error) {
        showError(box, error);
        hold(discard, false);
      }
    });
    return item;
  }

  async function load() {
    clearTimeout(timer);
    try {
      const page = await ctx.api.admin.deadLetters();
      if (stopped) return;
      const keep = new Set(checked());
      body.replaceChildren(...page.items.map(row));
      for (const input of body.querySelectorAll("input[type=checkbox]")) input.checked = keep.has(input.value);
      selectionChanged();
      empty.hidden = page.items.length > 0;
      wrap.hidden = page.items.length === 0;
      count.textContent = `About ${page.approximate_count} ${plural(page.approximate_count, "message")} in the dead-letter queue`
        + (page.items.length < page.approximate_count ? ` (${page.items.length} shown).` : ".");
      task.textContent = taskText(page.move_task);
      task.className = `notice task ${TASK_KINDS[page.move_task?.status] || ""}`;
      hold(all, page.approximate_count === 0 || page.move_task?.status === "RUNNING");
      if (page.move_task?.status === "RUNNING") timer = setTimeout(load, POLL_MS);
    } catch (error) {
      if (!stopped) showError(box, error);
    }
  }

  async function redrive(ids) {
    box.hidden = true;
    hold(all);
    hold(selected);
    try {
      const answer = await ctx.api.admin.redrive(ids);
      done.textContent = answer.mode === "all"
        ? "Redrive started: the queue's messages are going back to the classify queue."
        : `Sent ${answer.moved.length} ${plural(answer.moved.length, "message")} back to the classify queue`
          + (answer.not_found.length ? `; ${answer.not_found.length} ${plural(answer.not_found.length, "was", "were")} no longer in the dead-letter queue.` : ".");
      await load();
      if (answer.mode === "all" && !timer) timer = setTimeout(load, POLL_MS);
    } catch (error) {
      showError(box, error);
      await load();
    }
  }

  all.addEventListener("click", () => {
    if (window.confirm("Redrive every message of the dead-letter queue back to the classify queue?")) redrive(null);
  });
  selected.addEventListener("click", () => {
    const ids = checked();
    if (ids.length && window.confirm(`Redrive ${ids.length} selected ${plural(ids.length, "message")} back to the classify queue?`)) redrive(ids);
  });
  reload.addEventListener("click", () => { done.textContent = ""; load(); });
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "Dead letters"),
    h("p", { className: "muted" }, "Messages the classify function could not process in three tries. Looking at them deletes nothing; a redriven message that fails again comes back here."),
    count, task, h("div", { className: "actions" }, all, selected, reload), box, done, empty, wrap));
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
