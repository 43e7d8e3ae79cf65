// #/admin/users: every account, newest first, searched by the start of the address; how many predictions each has;
// disable and enable (a disabled person is signed out at once and cannot log in again until enabled).

import { h } from "../../dom.js";
import { alertBox, hold, showError, statusLine } from "../../forms.js";
import { when } from "../../format.js";
import { badge, dataTable, pagedRows, plural } from "./common.js";

function who(user) {
  return h("td", {}, h("strong", {}, user.name), h("br"), h("span", { className: "muted" }, user.email));
}

export function usersView(ctx) {
  const box = alertBox();
  const done = statusLine();
  const shown = statusLine();
  const search = h("input", { id: "user-search", type: "search", autocomplete: "off", value: ctx.query.get("email") || "", "aria-describedby": "user-search-hint" });
  const form = h("form", { className: "search", role: "search" },
    h("label", { for: "user-search" }, "Email starts with"),
    h("p", { className: "hint", id: "user-search-hint" }, "Empty: every account."),
    h("div", { className: "inline" }, search, h("button", { type: "submit" }, "Search")));
  const { wrap, body } = dataTable("Users", ["User", "Role", "Email address", "Joined", "Predictions", "Status", "Action"]);
  const empty = h("p", { className: "muted", hidden: true }, "No account matches.");

  function action(user, cell) {
    if (user.id === ctx.api.user.id) return h("span", { className: "muted" }, "This is you");
    const disabling = !user.disabled;
    const button = h("button", { type: "button", className: disabling ? "danger small" : "secondary small", "aria-label": `${disabling ? "Disable" : "Enable"} ${user.email}` },
      disabling ? "Disable" : "Enable");
    button.addEventListener("click", async () => {
      const question = disabling
        ? `Disable ${user.email}? They are signed out at once and cannot log in until the account is enabled again.`
        : `Enable ${user.email}? They can log in again.`;
      if (!window.confirm(question)) return;
      hold(button);
      box.hidden = true;
      try {
        const { user: changed } = await (disabling ? ctx.api.admin.disable(user.id) : ctx.api.admin.enable(user.id));
        const replacement = row(changed);
        cell.closest("tr").replaceWith(replacement);
        replacement.querySelector("button").focus(); // the same place, now saying the opposite
        done.textContent = `${disabling ? "Disabled" : "Enabled"} ${changed.email}.`;
      } catch (error) {
        showError(box, error);
        hold(button, false);
      }
    });
    return button;
  }

  function row(user) {
    const cell = h("td", {});
    cell.append(action(user, cell));
    const predictions = h("a", { href: `#/admin/predictions?user_id=${user.id}`, "aria-label": `${user.predictions} ${plural(user.predictions, "prediction")} of ${user.email}` },
      String(user.predictions));
    return h("tr", { className: user.disabled ? "is-disabled" : null, "data-user": user.email },
      who(user),
      h("td", {}, user.role === "admin" ? badge("Admin", "admin") : "User"),
      h("td", {}, user.email_verified ? badge("Verified", "done") : badge("Not verified", "pending")),
      h("td", {}, when(user.created_at)),
      h("td", { className: "number" }, predictions),
      h("td", {}, user.disabled ? [badge("Disabled", "failed"), h("br"), h("span", { className: "muted small" }, `since ${when(user.disabled_at)}`)] : badge("Active", "done")),
      cell);
  }

  const heading = h("h1", {}, "Users");
  const pages = pagedRows({
    fetchPage: (cursor) => ctx.api.admin.users(search.value.trim(), cursor),
    row, body, box, empty, status: shown, noun: (n) => plural(n, "account"), heading: () => heading,
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = search.value.trim();
    history.replaceState(null, "", email ? `#/admin/users?email=${encodeURIComponent(email)}` : "#/admin/users");
    done.textContent = "";
    pages.reload();
  });
  ctx.view.replaceChildren(h("section", { className: "card" }, heading, form, box, done, shown, empty, wrap,
    h("div", { className: "actions" }, pages.more)));
  pages.reload();
}
