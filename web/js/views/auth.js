// Log in (with the way to a forgotten password) and register.

import { h } from "../dom.js";
import { field, formCard } from "../forms.js";

function switchLink(text, href, label) {
  return h("span", { className: "muted" }, text, " ", h("a", { href }, label));
}

export function loginView(ctx) {
  const fields = { email: field("email", "Email", "email", "email"), password: field("password", "Password", "password", "current-password") };
  const { form } = formCard({
    title: "Log in", submitLabel: "Log in", fields,
    submit: () => ctx.api.login(fields.email.input.value, fields.password.input.value),
    after: () => ctx.navigate(ctx.next || "#/upload"),
    extra: [h("a", { href: "#/forgot-password" }, "Forgot your password?"), switchLink("No account yet?", "#/register", "Create one")],
  });
  ctx.view.replaceChildren(form);
}

export function registerView(ctx) {
  const fields = {
    name: field("name", "Name", "text", "name"),
    email: field("email", "Email", "email", "email"),
    password: field("password", "Password (at least 10 characters)", "password", "new-password"),
  };
  const { form } = formCard({
    title: "Create your account", submitLabel: "Create account", fields,
    submit: () => ctx.api.register(fields.name.input.value, fields.email.input.value, fields.password.input.value),
    after: () => ctx.navigate(ctx.next || "#/upload"),
    extra: [switchLink("Already registered?", "#/login", "Log in")],
  });
  ctx.view.replaceChildren(form);
}
