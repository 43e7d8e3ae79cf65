// Every page: its hash route, its view and who may see it. A new page is one line here (and one in NAV to be in
// the header). `:name` segments arrive as ctx.params.name; the query string as ctx.query (URLSearchParams).
//   anyone: signed in or not      guest: signed-out people only (signed-in ones go on to ?next= or #/upload)
//   user:   signed in, else to #/login?next=...      admin: signed in with role "admin" (others see "not allowed")
// `wide`: the page gets the window's width (admin tables) instead of the reading column.

import { accountView } from "./views/account.js";
import { auditView } from "./views/admin/audit.js";
import { deadLettersView } from "./views/admin/dead-letters.js";
import { adminPredictionsView } from "./views/admin/predictions.js";
import { statsView } from "./views/admin/stats.js";
import { usersView } from "./views/admin/users.js";
import { loginView, registerView } from "./views/auth.js";
import { landingView } from "./views/landing.js";
import { historyView, resultView } from "./views/predictions.js";
import { forgotPasswordView, resetPasswordView, verifyEmailView } from "./views/recovery.js";
import { uploadView } from "./views/upload.js";

export const ROUTES = [
  { path: "#/", view: landingView, access: "anyone" },
  { path: "#/login", view: loginView, access: "guest" },
  { path: "#/register", view: registerView, access: "guest" },
  { path: "#/upload", view: uploadView, access: "user" },
  { path: "#/predictions", view: historyView, access: "user" },
  { path: "#/predictions/:id", view: resultView, access: "user" },
  { path: "#/forgot-password", view: forgotPasswordView, access: "anyone" },
  { path: "#/reset-password", view: resetPasswordView, access: "anyone" },
  { path: "#/verify-email", view: verifyEmailView, access: "anyone" },
  { path: "#/account", view: accountView, access: "user" },
  // wide: tables, given the whole window
  { path: "#/admin/users", view: usersView, access: "admin", wide: true },
  { path: "#/admin/predictions", view: adminPredictionsView, access: "admin", wide: true },
  { path: "#/admin/stats", view: statsView, access: "admin", wide: true },
  { path: "#/admin/dead-letters", view: deadLettersView, access: "admin", wide: true },
  { path: "#/admin/audit", view: auditView, access: "admin", wide: true },
];

// The header's links, shown to those who may open them, in this order; the admin ones in a bar of their own.
export const NAV = [
  { href: "#/upload", label: "Upload", access: "user" },
  { href: "#/predictions", label: "History", access: "user" },
  { href: "#/account", label: "Account", access: "user" },
  { href: "#/admin/users", label: "Users", access: "admin" },
  { href: "#/admin/predictions", label: "All predictions", access: "admin" },
  { href: "#/admin/stats", label: "Stats", access: "admin" },
  { href: "#/admin/dead-letters", label: "Dead letters", access: "admin" },
  { href: "#/admin/audit", label: "Audit log", access: "admin" },
];

export const HOME = { guest: "#/", user: "#/upload" }; // unknown routes go home; signed-in people start at upload
