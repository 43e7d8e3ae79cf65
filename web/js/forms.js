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

// A button that cannot be used for now (a request on its way, nothing to act on) yet keeps keyboard focus:
// aria-disabled, not disabled (a focused button that becomes disabled drops focus to the page's body); clicks on it
// do nothing while it is held.
export function hold(button, held = true) {
  if (!button.holdGuard) {
    button.holdGuard = true;
    button.addEventListener("click", (event) => {
      if (isHeld(button)) { event.preventDefault(); event.stopImmediatePropagation(); }
    }, true);
  }
  if (held) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

export function isHeld(button) {
  return button.getAttribute("aria-disabled") === "true";
}

export function showError(box, error) {
  box.textContent = error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
  box.hidden = false;
}

// `reveal`: a password field with a "Show password" toggle after it (instead of asking for it twice).
export function field(id, label, type, autocomplete, { hint, reveal = false } = {}) {
  const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
  const help = hint ? h("p", { className: "hint", id: `${id}-hint` }, hint) : null;
  const describedBy = [help && `${id}-hint`, `${id}-error`].filter(Boolean).join(" ");
  const input = h("input", { id, name: id, type, autocomplete, required: true, "aria-describedby": describedBy });
  const toggle = reveal ? revealToggle(input) : null;
  return { input, error, nodes: [h("label", { for: id }, label), help, input, toggle, error].filter(Boolean) };
}

function revealToggle(input) {
  const toggle = h("button", { type: "button", className: "link reveal", "aria-controls": input.id, "aria-pressed": "false" }, "Show password");
  toggle.addEventListener("click", () => {
    const shown = input.type === "password";
    input.type = shown ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(shown));
  });
  return toggle;
}

export function showFieldErrors(fields, errors) {
  for (const [name, { input, error }] of Object.entries(fields)) {
    const message = errors[name];
    error.textContent = message || "";
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }
}

// A card with a heading, an error box, the fields and a submit button. `submit` runs with the button held;
// an ApiError's message goes in the box and its `fields` under each field. `after` runs once it succeeded.
// `level`: "h2" for a form that is one part of a page; `intro` may be text or nodes.
export function formCard({ title, intro, fields, submitLabel, submit, after, extra = [], danger = false, narrow = true, level = "h1" }) {
  const box = alertBox();
  const button = h("button", { type: "submit", className: danger ? "danger" : null }, submitLabel);
  const form = h("form", { className: `card${narrow ? " narrow" : ""}${danger ? " danger-zone" : ""}`, novalidate: true },
    h(level, {}, title), intro ? h("p", { className: "muted" }, intro) : null, box,
    ...Object.values(fields).flatMap((f) => f.nodes),
    h("div", { className: "actions" }, button, ...extra));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (isHeld(button)) return; // one at a time (Enter in a field submits too)
    box.hidden = true;
    showFieldErrors(fields, {});
    hold(button);
    try {
      const result = await submit();
      if (after) after(result);
    } catch (error) {
      showError(box, error);
      if (error instanceof ApiError) showFieldErrors(fields, error.fields);
    } finally {
      hold(button, false);
    }
  });
  return { form, box, button };
}

// A message for the next page (where a form sends you: "Your password has been changed. Log in…"). The next page's
// status line is created empty and filled a moment later, so screen readers announce it as a live region update.
let pending = null;

export function flash(message) {
  pending = message;
}

export function showFlash(container) {
  if (!pending) return;
  const message = pending;
  pending = null;
  const line = h("p", { className: "flash", role: "status", "data-testid": "flash" });
  const heading = container.querySelector("h1");
  if (heading) heading.after(line);
  else container.prepend(line);
  setTimeout(() => { line.textContent = message; }, 50);
}
