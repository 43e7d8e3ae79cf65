// One prediction (polled until it is finished) and the history of them.

import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { alertBox, showError, statusLine } from "../forms.js";
import { percent, when } from "../format.js";

const POLL_MS = 1000;
// Our own words for the stable codes; any other (too_large, whose limit the server's message says) uses the server's.
const REASONS = {
  not_an_image: "This file is not an image.",
  unsupported_format: "This image format is not supported. Use JPEG, PNG, WebP, BMP or TIFF.",
  too_many_pixels: "The image has too many pixels to process.",
  corrupt_image: "The image file is damaged or incomplete.",
  classification_failed: "Something went wrong on our side while classifying this image. It has been set aside for investigation.",
};
const EMAIL = { pending: "Email: on its way", sending: "Email: on its way", sent: "Email: sent", failed: "Email: could not be sent yet", refused: "Email: the email service refused it", skipped: "Email: not sent" };
function emailLine(email) {
  if (email?.status === "skipped" && email.reason === "unverified") return "Email: not sent, as your email address is not verified yet.";
  return EMAIL[email?.status] || "";
}
export const NOT_A_DIAGNOSIS = "This is a machine-learning model's output, not a medical diagnosis.";

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
    h("p", { className: "muted" }, `Model ${model.name} version ${model.version}. `, emailLine(prediction.email)),
    h("p", { className: "notice" }, NOT_A_DIAGNOSIS),
  ];
}

export function resultView(ctx) {
  const id = ctx.params.id;
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
  const done = statusLine();
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
        const neighbour = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        empty.hidden = list.children.length > 0;
        done.textContent = `Deleted ${prediction.filename}.`;
        (neighbour?.querySelector("button") || ctx.view.querySelector("h1")).focus(); // not lost with the row
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
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "History"), box, done, empty, list, h("div", { className: "actions" }, more)));
  loadPage();
}
