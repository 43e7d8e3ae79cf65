// #/ for everyone: what the service does, for whom, what becomes of an uploaded image, and where to start.

import { h } from "../dom.js";

function section(id, title, ...children) {
  return h("section", { className: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function start(api) {
  if (api.signedIn) {
    return h("div", { className: "actions" },
      h("a", { className: "button", href: "#/upload" }, "Classify an image"), h("a", { href: "#/predictions" }, "Your history"));
  }
  return h("div", { className: "actions" },
    h("a", { className: "button", href: "#/register" }, "Create an account"),
    h("span", { className: "muted" }, "Already registered? ", h("a", { href: "#/login" }, "Log in")));
}

export function landingView(ctx) {
  ctx.view.replaceChildren(
    h("section", { className: "hero" },
      h("h1", {}, "A quick machine-learning classification of your image"),
      h("p", { className: "lead" },
        "Upload an image and imagepredict runs a machine-learning model on it: within seconds you see the most likely "
        + "class and how probable every class is, and the result is emailed to your verified address. It is for anyone who wants a quick, "
        + "automatic classification of a picture, and for developers looking for an example of such a service and its API."),
      start(ctx.api)),
    section("about-model", "The model here is a handwritten-digits demo",
      h("p", {}, "This service runs a small demonstration model that recognises one handwritten digit, 0 to 9, per image. "
        + "It was trained on white digits on a black background, so pictures like that classify well; a photo of anything "
        + "else still gets an answer, just not a meaningful one.")),
    section("about-images", "What happens to your images",
      h("ul", { className: "facts" },
        h("li", {}, h("strong", {}, "Stored privately and encrypted. "), "Your image goes straight to a private storage bucket (Amazon S3), encrypted at rest. Only your account can see it: the service's administrators see file names and results, never the images."),
        h("li", {}, h("strong", {}, "Deleted automatically. "), "The bucket deletes every uploaded image a fixed number of days after it arrived; the operator of the service sets how many."),
        h("li", {}, h("strong", {}, "The prediction stays until you delete it. "), "The class, the probabilities and the file name are kept, with a placeholder once the image itself is gone."),
        h("li", {}, h("strong", {}, "Deleting is complete. "), "Deleting a prediction deletes its image too. Deleting your account deletes every image, prediction and session of it."))),
    h("p", { className: "notice", role: "note" }, h("strong", {}, "Not a diagnosis. "),
      "Predictions are a machine-learning model's output, not a medical diagnosis. Do not base decisions about anyone's health on them."),
  );
}
