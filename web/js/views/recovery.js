// The pages the account emails link to, and the one that sends the reset link: forgot password, reset password,
// verify email. Each works signed in or out.

import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { alertBox, field, formCard, showError, statusLine } from "../forms.js";

const ASK_AGAIN = "#/forgot-password";
const verified = new Map(); // token -> user: the page may render again (session refreshed); a token works only once

export function forgotPasswordView(ctx) {
  const fields = { email: field("email", "Email", "email", "email") };
  const done = statusLine("notice");
  done.hidden = true;
  const { form } = formCard({
    title: "Forgot your password?",
    intro: "Enter the email address of your account and we will email you a link to choose a new password. The link works once, for 30 minutes.",
    fields, submitLabel: "Email me a link",
    submit: () => ctx.api.requestPasswordReset(fields.email.input.value.trim()),
    // the same words whatever the answer says about the address: it never tells whether an account uses it
    after: () => {
      done.hidden = false;
      done.textContent = `If an account uses ${fields.email.input.value.trim()}, we have emailed it a link to reset the password. `
        + "Check your inbox (and the spam folder); asking again makes the earlier link stop working.";
    },
    extra: [h("a", { href: "#/login" }, "Back to log in")],
  });
  form.querySelector(".actions").before(done);
  ctx.view.replaceChildren(form);
}

function linkProblem(title, message, action) {
  return h("section", { className: "card narrow" }, h("h1", {}, title),
    h("div", { className: "alert", role: "alert" }, message),
    h("div", { className: "actions" }, action));
}

export function resetPasswordView(ctx) {
  const token = ctx.query.get("token");
  const askAgain = h("a", { className: "button", href: ASK_AGAIN }, "Ask for a new link");
  if (!token) {
    ctx.view.replaceChildren(linkProblem("Reset your password", "This link has no reset token. Use the whole link from the email, or ask for a new one.", askAgain));
    return;
  }
  const fields = {
    password: field("password", "New password", "password", "new-password", { hint: "At least 10 characters.", reveal: true }),
  };
  const expired = h("p", { hidden: true }, "Links work once, for 30 minutes, and only the newest one sent. ",
    h("a", { href: ASK_AGAIN }, "Ask for a new link"), ".");
  const { form, box } = formCard({
    title: "Choose a new password", fields, submitLabel: "Set the new password",
    intro: "Every device signed in to your account is signed out; then you log in with the new password.",
    submit: async () => {
      expired.hidden = true;
      try {
        return await ctx.api.confirmPasswordReset(token, fields.password.input.value);
      } catch (error) {
        expired.hidden = error.code !== "invalid_reset_token";
        throw error;
      }
    },
    after: () => {
      ctx.api.forget({ quiet: true }); // the server ended every session of the account, this one too
      ctx.flash("Your password has been changed. Log in with the new one.");
      ctx.navigate("#/login");
    },
  });
  box.after(expired);
  ctx.view.replaceChildren(form);
}

export function verifyEmailView(ctx) {
  const token = ctx.query.get("token");
  const line = statusLine("muted");
  line.append(h("span", { className: "spinner", "aria-hidden": "true" }), " Verifying your address…");
  const box = alertBox();
  const more = h("div", {});
  ctx.view.replaceChildren(h("section", { className: "card narrow" }, h("h1", {}, "Verify your email address"), line, box, more));
  const next = () => (ctx.api.signedIn
    ? h("div", { className: "actions" }, h("a", { className: "button", href: "#/upload" }, "Classify an image"), h("a", { href: "#/account" }, "Your account"))
    : h("div", { className: "actions" }, h("a", { className: "button", href: "#/login" }, "Log in")));

  function succeeded(user) {
    line.className = "notice success";
    line.textContent = `${user.email} is verified. The results of your images will be emailed to it.`;
    more.replaceChildren(next());
    ctx.chrome(); // an administrator's address may have just become one: the header shows the admin pages
  }

  function failed(error) {
    line.replaceChildren();
    showError(box, error);
    const where = ctx.api.signedIn
      ? [h("a", { href: "#/account" }, "Send a new link from your account page"), "."]
      : ["Log in and ask for a new one on your account page."];
    more.replaceChildren(h("p", {}, "Links work once, for 24 hours, and only the newest one sent. ", ...where), next());
  }

  if (!token) {
    failed(new ApiError(0, "no_token", "This link has no verification token. Use the whole link from the email."));
    return;
  }
  let stopped = false;
  const known = verified.get(token);
  (known ? Promise.resolve(known) : ctx.api.verifyEmail(token)).then((user) => {
    verified.set(token, user);
    if (!stopped) succeeded(user);
  }, (error) => { if (!stopped) failed(error); });
  return () => { stopped = true; };
}
