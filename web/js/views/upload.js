// Choose an image (drop zone or file picker), check it, send it straight to S3, then go to its prediction.

import { ApiError, sendToS3 } from "../api.js";
import { h } from "../dom.js";
import { alertBox, showError, statusLine } from "../forms.js";
import { size } from "../format.js";
import { unverifiedNotice } from "./account.js";

export const ALLOWED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff"];

// `limit` is the upload slot's max_bytes, or null before the service has said it (the slot then checks again).
export function checkFile(file, limit) {
  if (!ALLOWED_TYPES.includes(file.type)) return "Choose a JPEG, PNG, WebP, BMP or TIFF image.";
  if (file.size === 0) return "This file is empty.";
  if (limit && file.size > limit) {
    const actual = size(file.size) === size(limit) ? "" : ` (it is ${size(file.size)})`;
    return `This file is larger than the ${size(limit)} limit${actual}.`;
  }
  return null;
}

function helpText(limit) {
  return `JPEG, PNG, WebP, BMP or TIFF, up to ${limit ? size(limit) : "the service's size limit"}.`;
}

export function uploadView(ctx) {
  let chosen = null;
  let previewUrl = null;
  const box = alertBox();
  // the drop zone is the keyboard's way in (Enter or Space opens the picker): the hidden input is no tab stop
  const input = h("input", { id: "file", type: "file", accept: ALLOWED_TYPES.join(","), className: "visually-hidden", tabindex: "-1" });
  const help = h("p", { id: "drop-help", className: "muted" }, helpText(ctx.api.uploadLimit));
  const drop = h("div", { className: "drop", role: "button", tabindex: "0", "aria-describedby": "drop-help" },
    h("strong", {}, "Drop an image here, or choose a file"), help);
  const preview = h("div", { className: "preview", hidden: true });
  const progress = h("progress", { max: "100", value: "0", "aria-label": "Upload progress", hidden: true });
  const progressText = statusLine();
  progressText.hidden = true;
  const button = h("button", { type: "button", disabled: true }, "Upload and classify");

  function refuse(problem) {
    chosen = null;
    button.disabled = true;
    preview.hidden = true;
    showError(box, new ApiError(0, "file_refused", problem));
  }

  function choose(file) {
    box.hidden = true;
    const problem = checkFile(file, ctx.api.uploadLimit);
    if (problem) return refuse(problem);
    chosen = file;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    const image = h("img", { alt: `Preview of ${file.name}` });
    // the browser cannot draw every file it is given (TIFF, a damaged one): the service still decides
    image.addEventListener("error", () => image.replaceWith(h("div", { className: "no-preview" }, "No preview")), { once: true });
    image.src = previewUrl;
    preview.replaceChildren(image, h("div", {}, h("strong", {}, file.name), h("p", { className: "muted" }, size(file.size))));
    preview.hidden = false;
    button.disabled = false;
  }

  function finished(showing) {
    progress.hidden = !showing;
    progressText.hidden = !showing;
  }

  async function send() {
    if (!chosen) return;
    const file = chosen;
    button.disabled = true;
    box.hidden = true;
    finished(true);
    progressText.textContent = "Uploading… 0%";
    let slot = null;
    try {
      slot = await ctx.api.startUpload(file.name, file.type);
      help.textContent = helpText(slot.max_bytes);
      const problem = checkFile(file, slot.max_bytes);
      if (problem) throw new ApiError(0, "file_refused", problem);
      await sendToS3(slot.upload, file, (fraction) => {
        progress.value = Math.round(fraction * 100);
        progressText.textContent = `Uploading… ${Math.round(fraction * 100)}%`;
      });
      progress.value = 100;
      progressText.textContent = "Uploaded. Classifying…";
      ctx.navigate(`#/predictions/${slot.prediction_id}`);
    } catch (error) {
      // the slot made a pending prediction that no image will reach: take it out of the history again
      if (slot) ctx.api.deletePrediction(slot.prediction_id).catch(() => {});
      finished(false);
      if (error.code === "file_refused") return refuse(error.message);
      showError(box, error);
      button.disabled = false;
    }
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
  button.addEventListener("click", send);

  ctx.view.replaceChildren(h("section", { className: "card" },
    h("h1", {}, "Classify an image"), unverifiedNotice(ctx), box,
    h("label", { for: "file" }, "Image file"), input, drop, preview,
    h("div", { className: "actions" }, button), progress, progressText));
  return () => previewUrl && URL.revokeObjectURL(previewUrl);
}
