// #/account: who you are and whether your address is verified (with a resend button), change the password, delete
// the account. And the notice an unverified account sees on the pages where results are made.

import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { alertBox, field, formCard, hold, showError, statusLine } from "../forms.js";
import { when } from "../format.js";

const UNVERIFIED = "Results are shown here but not emailed to you until you verify your address.";

// A resend button and the status line its answer goes in.
function resendControls(ctx) {
  const button = h("button", { type: "button", className: "secondary small" }, "Resend the verification email");
  const line = statusLine();
  const box = alertBox();
  button.addEventListener("click", async () => {
    hold(button);
    box.hidden = true;
    try {
      line.textContent = (await ctx.api.resendVerification()).message + ". The link works for 24 hours.";
    } catch (error) {
      showError(box, error);
    } finally {
      hold(button, false);
    }
  });
  return { button, line, box };
}

// For the upload page: null for a verified account.
export function unverifiedNotice(ctx) {
  if (!ctx.api.user || ctx.api.user.email_verified) return null;
  const { button, line, box } = resendControls(ctx);
  return h("div", { className: "notice warning", "data-testid": "unverified" },
    h("p", {}, h("strong", {}, "Your email address is not verified yet. "), UNVERIFIED,
      " Follow the link we emailed to ", ctx.api.user.email, ", or ", h("a", { href: "#/account" }, "see your account"), "."),
    h("div", { className: "actions" }, button), line, box);
}

// Name, address, whether it is verified (and the resend button if not), since when, the role.
function facts(ctx, user) {
  const verifiedText = user.email_verified
    ? h("span", { className: "status done" }, "Verified")
    : h("span", { className: "status pending" }, "Not verified");
  const rows = [["Name", user.name], ["Email", user.email], ["Verification", verifiedText], ["Member since", when(user.created_at)]];
  if (user.role === "admin") rows.push(["Role", "Administrator"]);
  const list = h("dl", { className: "facts-list" },
    rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", { "data-testid": `account-${term.toLowerCase().replace(/ /g, "-")}` }, value)]));
  if (user.email_verified) return [list];
  const { button, line, box } = resendControls(ctx);
  return [list, h("div", { className: "notice warning" }, h("p", {}, h("strong", {}, "Not verified yet. "), UNVERIFIED, " Follow the link we emailed you, or ask for a new one."),
    h("div", { className: "actions" }, button), line, box)];
}

function changePassword(ctx) {
  const fields = {
    current_password: field("current_password", "Current password", "password", "current-password"),
    new_password: field("new_password", "New password", "password", "new-password", { hint: "At least 10 characters.", reveal: true }),
  };
  const done = statusLine();
  const { form } = formCard({
    title: "Change your password", level: "h2", narrow: false, fields, submitLabel: "Change password",
    intro: "Every other device signed in to your account is signed out; this one stays signed in.",
    submit: () => { done.textContent = ""; return ctx.api.changePassword(fields.current_password.input.value, fields.new_password.input.value); },
    after: () => {
      for (const { input } of Object.values(fields)) input.value = "";
      done.textContent = "Your password has been changed. Other devices have been signed out.";
    },
  });
  form.querySelector(".actions").after(done);
  return form;
}

function deleteAccount(ctx, user) {
  const fields = {
    confirm: field("confirm", `Type your email address (${user.email}) or the word "delete"`, "text", "off"),
    password: field("delete_password", "Your password", "password", "current-password"),
  };
  const intro = h("span", {}, "This deletes your account, every prediction and every uploaded image and result, for good. It cannot be undone.");
  const { form } = formCard({
    title: "Delete your account", level: "h2", narrow: false, danger: true, fields, submitLabel: "Delete my account", intro,
    submit: async () => {
      const typed = fields.confirm.input.value.trim().toLowerCase();
      if (typed !== user.email.toLowerCase() && typed !== "delete") {
        throw new ApiError(0, "not_confirmed", "Type your email address or the word delete to confirm.",
          { confirm: "This is neither your email address nor the word delete" });
      }
      return ctx.api.deleteAccount(fields.password.input.value);
    },
    after: () => {
      ctx.flash("Your account has been deleted, with every prediction and image of it.");
      ctx.navigate("#/");
    },
  });
  return form;
}

export function accountView(ctx) {
  const box = alertBox();
  const info = h("div", {}, ...facts(ctx, ctx.api.user));
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "Your account"), box, info),
    changePassword(ctx), deleteAccount(ctx, ctx.api.user));
  let stopped = false;
  ctx.api.me().then((user) => { // fresher than the session's copy: the address may have been verified meanwhile
    if (!stopped) info.replaceChildren(...facts(ctx, user));
  }, (error) => { if (!stopped) showError(box, error); });
  return () => { stopped = true; };
}
