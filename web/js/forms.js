// What every form and message shares: error boxes, status lines, labelled fields with their server-side errors.

import { ApiError } from "./api.js";
import { h } from "./dom.js";

// An error message; role=alert makes it a live region, announced when it is filled in.
export function alertBox() {
  return h("div", { className: "alert", role: "alert", hidden: true });
}

// A progress or success line; role=status is a polite live region.
export function statusLine(className = "muted") {
  return h("p", { className, role: "status" });
}

export function showError(box, error) {
  box.textContent = error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
  box.hidden = false;
}

export function field(id, label, type, autocomplete, { hint } = {}) {
  const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
  const help = hint ? h("p", { className: "hint", id: `${id}-hint` }, hint) : null;
  const describedBy = [help && `${id}-hint`, `${id}-error`].filter(Boolean).join(" ");
  const input = h("input", { id, name: id, type, autocomplete, required: true, "aria-describedby": describedBy });
  return { input, error, nodes: [h("label", { for: id }, label), help, input, error].filter(Boolean) };
}

export function showFieldErrors(fields, errors) {
  for (const [name, { input, error }] of Object.entries(fields)) {
    const message = errors[name];
    error.textContent = message || "";
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }
}

// A card with a heading, an error box, the fields and a submit button. `submit` runs with the button disabled;
// an ApiError's message goes in the box and its `fields` under each field. `after` runs once it succeeded.
export function formCard({ title, intro, fields, submitLabel, submit, after, extra = [], danger = false, narrow = true }) {
  const box = alertBox();
  const button = h("button", { type: "submit", className: danger ? "danger" : null }, submitLabel);
  const form = h("form", { className: narrow ? "card narrow" : "card", novalidate: true },
    h("h1", {}, title), intro ? h("p", { className: "muted" }, intro) : null, box,
    ...Object.values(fields).flatMap((f) => f.nodes),
    h("div", { className: "actions" }, button, ...extra));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.hidden = true;
    showFieldErrors(fields, {});
    button.disabled = true;
    try {
      const result = await submit();
      if (after) after(result);
    } catch (error) {
      showError(box, error);
      if (error instanceof ApiError) showFieldErrors(fields, error.fields);
    } finally {
      button.disabled = false;
    }
  });
  return { form, box, button };
}
