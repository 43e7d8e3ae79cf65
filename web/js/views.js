// The screens. Each renders into the main element and returns a cleanup function (or nothing).

import { ApiError, sendToS3 } from "./api.js";
import { h, percent, when } from "./dom.js";

const ALLOWED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff"];
const MAX_BYTES = 10 * 1024 * 1024; // what POST /uploads allows today; the server still decides
const POLL_MS = 1000;
const REASONS = {
  not_an_image: "This file is not an image.",
  unsupported_format: "This image format is not supported. Use JPEG, PNG, WebP, BMP or TIFF.",
  too_large: "The file is larger than the 10 MB limit.",
  too_many_pixels: "The image has too many pixels to process.",
  corrupt_image: "The image file is damaged or incomplete.",
  classification_failed: "Something went wrong on our side while classifying this image. It has been set aside for investigation.",
};
const EMAIL = { pending: "Email: on its way", sending: "Email: on its way", sent: "Email: sent", failed: "Email: could not be sent yet", refused: "Email: the email service refused it", skipped: "Email: not sent" };

function alertBox() {
  return h("div", { className: "alert", role: "alert", hidden: true });
}

function showError(box, error) {
  box.textContent = error instanceof ApiError ? error.message : "Something went wrong. Please try again.";
  box.hidden = false;
}

function field(id, label, type, autocomplete) {
  const error = h("p", { className: "field-error", id: `${id}-error`, hidden: true });
  const input = h("input", { id, name: id, type, autocomplete, required: true, "aria-describedby": `${id}-error` });
  return { input, error, nodes: [h("label", { for: id }, label), input, error] };
}

function showFieldErrors(fields, errors) {
  for (const [name, { input, error }] of Object.entries(fields)) {
    const message = errors[name];
    error.textContent = message || "";
    error.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }
}

function authForm(ctx, { title, submitLabel, fields, submit, switchText, switchHref, switchLabel }) {
  const box = alertBox();
  const button = h("button", { type: "submit" }, submitLabel);
  const form = h("form", { className: "card", novalidate: true },
    h("h1", {}, title), box, ...Object.values(fields).flatMap((f) => f.nodes),
    h("div", { className: "actions" }, button, h("span", { className: "muted" }, switchText, " ", h("a", { href: switchHref }, switchLabel))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    box.hidden = true;
    showFieldErrors(fields, {});
    button.disabled = true;
    try {
      await submit();
      ctx.navigate(ctx.next || "#/upload");
    } catch (error) {
      showError(box, error);
      if (error instanceof ApiError) showFieldErrors(fields, error.fields);
    } finally {
      button.disabled = false;
    }
  });
  ctx.view.replaceChildren(form);
  Object.values(fields)[0].input.focus();
}

export function loginView(ctx) {
  const fields = { email: field("email", "Email", "email", "email"), password: field("password", "Password", "password", "current-password") };
  authForm(ctx, {
    title: "Log in", submitLabel: "Log in", fields,
    submit: () => ctx.api.login(fields.email.input.value, fields.password.input.value),
    switchText: "No account yet?", switchHref: "#/register", switchLabel: "Create one",
  });
}

export function registerView(ctx) {
  const fields = {
    name: field("name", "Name", "text", "name"),
    email: field("email", "Email", "email", "email"),
    password: field("password", "Password (at least 10 characters)", "password", "new-password"),
  };
  authForm(ctx, {
    title: "Create your account", submitLabel: "Create account", fields,
    submit: () => ctx.api.register(fields.name.input.value, fields.email.input.value, fields.password.input.value),
    switchText: "Already registered?", switchHref: "#/login", switchLabel: "Log in",
  });
}

export function checkFile(file) {
  if (!ALLOWED_TYPES.includes(file.type)) return "Choose a JPEG, PNG, WebP, BMP or TIFF image.";
  if (file.size === 0) return "This file is empty.";
  if (file.size > MAX_BYTES) return `This file is ${(file.size / 1048576).toFixed(1)} MB; the limit is 10 MB.`;
  return null;
}

export function uploadView(ctx) {
  let chosen = null;
  let previewUrl = null;
  const box = alertBox();
  const input = h("input", { id: "file", type: "file", accept: ALLOWED_TYPES.join(","), className: "visually-hidden" });
  const drop = h("div", { className: "drop", role: "button", tabindex: "0", "aria-describedby": "drop-help" },
    h("strong", {}, "Drop an image here, or choose a file"),
    h("p", { id: "drop-help", className: "muted" }, "JPEG, PNG, WebP, BMP or TIFF, up to 10 MB."));
  const preview = h("div", { className: "preview", hidden: true });
  const progress = h("progress", { max: "100", value: "0", "aria-label": "Upload progress", hidden: true });
  const progressText = h("p", { className: "muted", hidden: true, "aria-live": "polite" });
  const button = h("button", { type: "button", disabled: true }, "Upload and classify");

  function choose(file) {
    box.hidden = true;
    const problem = checkFile(file);
    if (problem) {
      chosen = null;
      button.disabled = true;
      preview.hidden = true;
      showError(box, new ApiError(0, "invalid_file", problem));
      return;
    }
    chosen = file;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    preview.replaceChildren(h("img", { src: previewUrl, alt: `Preview of ${file.name}` }),
      h("div", {}, h("strong", {}, file.name), h("p", { className: "muted" }, `${(file.size / 1024).toFixed(0)} kB`)));
    preview.hidden = false;
    button.disabled = false;
  }

  input.addEventListener("change", () => input.files[0] && choose(input.files[0]));
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files[0]) choose(event.dataTransfer.files[0]);
  });
  button.addEventListener("click", async () => {
    if (!chosen) return;
    button.disabled = true;
    box.hidden = true;
    progress.hidden = false;
    progressText.hidden = false;
    progressText.textContent = "Uploading… 0%";
    try {
      const slot = await ctx.api.startUpload(chosen.name, chosen.type);
      await sendToS3(slot.upload, chosen, (fraction) => {
        progress.value = Math.round(fraction * 100);
        progressText.textContent = `Uploading… ${Math.round(fraction * 100)}%`;
      });
      progress.value = 100;
      progressText.textContent = "Uploaded. Classifying…";
      ctx.navigate(`#/predictions/${slot.prediction_id}`);
    } catch (error) {
      showError(box, error);
      button.disabled = false;
      progress.hidden = true;
      progressText.hidden = true;
    }
  });

  ctx.view.replaceChildren(h("section", { className: "card" },
    h("h1", {}, "Classify an image"), box,
    h("label", { for: "file" }, "Image file"), input, drop, preview,
    h("div", { className: "actions" }, button), progress, progressText));
  return () => previewUrl && URL.revokeObjectURL(previewUrl);
}

function bars(probabilities) {
  return h("ul", { className: "bars", "aria-label": "Probability of every class" },
    probabilities.map(({ label, probability }) => h("li", {},
      h("span", { className: "label" }, label),
      h("span", { className: "track", "aria-hidden": "true" },
        h("span", { className: "fill", style: `width:${(probability * 100).toFixed(1)}%; display:block` })),
      h("span", { className: "value" }, percent(probability)))));
}

// The uploaded image, or a placeholder once it is gone: the bucket deletes uploads after a number of days (its
// lifecycle rule) while the prediction stays, so an old prediction's image link answers 404.
function resultImage(prediction) {
  if (!prediction.image_url) return null;
  const gone = () => h("div", { className: "result-image image-gone", "data-testid": "image-gone" },
    h("strong", {}, "Image no longer available"),
    h("span", {}, "Uploaded images are deleted a number of days after upload; the prediction is kept."));
  const image = h("img", { className: "result-image", alt: `The uploaded image ${prediction.filename}` });
  image.addEventListener("error", () => image.replaceWith(gone()), { once: true });
  image.src = prediction.image_url; // after the listener, so a quick failure is not missed
  return image;
}

function renderPrediction(prediction) {
  const status = h("span", { className: `status ${prediction.status}` }, prediction.status);
  const header = h("div", { className: "actions" }, status, h("span", { className: "muted" }, prediction.filename, " · ", when(prediction.created_at)));
  const image = resultImage(prediction);
  if (prediction.status === "pending" || prediction.status === "processing") {
    return [header, h("p", { className: "notice", role: "status" }, h("span", { className: "spinner", "aria-hidden": "true" }), " ",
      prediction.status === "pending" ? "Waiting for the image to arrive…" : "Classifying…"), image];
  }
  if (prediction.status === "rejected" || prediction.status === "failed") {
    const reason = REASONS[prediction.error?.code] || prediction.error?.message || "This image could not be classified.";
    return [header, h("div", { className: "alert", role: "alert" }, reason), image];
  }
  const { top, probabilities, model } = prediction.result;
  return [
    header,
    h("div", { className: "preview" }, image,
      h("div", {}, h("p", { className: "muted" }, "Most likely"),
        h("p", { className: "top", "data-testid": "top" }, h("strong", {}, top.label), " ", percent(top.probability)))),
    h("h2", {}, "Every class"), bars(probabilities),
    h("p", { className: "muted" }, `Model ${model.name} version ${model.version}. `, EMAIL[prediction.email?.status] || ""),
    h("p", { className: "notice" }, "This is a machine-learning model's output, not a medical diagnosis."),
  ];
}

export function resultView(ctx, id) {
  let timer = null;
  let stopped = false;
  const body = h("div", {}, h("p", { className: "muted" }, h("span", { className: "spinner", "aria-hidden": "true" }), " Loading…"));
  const card = h("section", { className: "card" }, h("h1", {}, "Prediction"), body,
    h("div", { className: "actions" }, h("a", { className: "button secondary", href: "#/upload" }, "Classify another image"), h("a", { href: "#/predictions" }, "History")));
  ctx.view.replaceChildren(card);

  async function load() {
    try {
      const prediction = await ctx.api.prediction(id);
      if (stopped) return;
      body.replaceChildren(...renderPrediction(prediction).filter(Boolean));
      const unfinished = ["pending", "processing"].includes(prediction.status) || ["pending", "sending"].includes(prediction.email?.status);
      if (unfinished) timer = setTimeout(load, POLL_MS);
    } catch (error) {
      if (stopped) return;
      const box = alertBox();
      showError(box, error.status === 404 ? new ApiError(404, "not_found", "This prediction does not exist, or it is not yours.") : error);
      body.replaceChildren(box);
    }
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}

export function historyView(ctx) {
  const box = alertBox();
  const list = h("ul", { className: "history", "aria-label": "Your predictions" });
  const empty = h("p", { className: "muted", hidden: true }, "No predictions yet. ", h("a", { href: "#/upload" }, "Classify your first image."));
  const more = h("button", { type: "button", className: "secondary", hidden: true }, "Load more");
  let cursor = null;

  function row(prediction) {
    const summary = prediction.status === "done" ? `${prediction.result.top.label} · ${percent(prediction.result.top.probability)}` : prediction.status;
    const remove = h("button", { type: "button", className: "danger", "aria-label": `Delete ${prediction.filename}` }, "Delete");
    const item = h("li", {},
      h("a", { href: `#/predictions/${prediction.id}` }, h("strong", {}, prediction.filename), h("br"), h("span", { className: "muted" }, when(prediction.created_at))),
      h("span", { className: `status ${prediction.status}` }, summary), remove);
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Delete ${prediction.filename} and its prediction? This cannot be undone.`)) return;
      try {
        await ctx.api.deletePrediction(prediction.id);
        item.remove();
        empty.hidden = list.children.length > 0;
      } catch (error) {
        showError(box, error);
      }
    });
    return item;
  }

  async function loadPage() {
    more.disabled = true;
    try {
      const page = await ctx.api.predictions(cursor);
      list.append(...page.items.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
    } catch (error) {
      showError(box, error);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", loadPage);
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "History"), box, empty, list, h("div", { className: "actions" }, more)));
  loadPage();
}
