// Every page: its hash route, its view and who may see it. A new page is one line here (and one in NAV to be in
// the header). `:name` segments arrive as ctx.params.name; the query string as ctx.query (URLSearchParams).
//   anyone: signed in or not      guest: signed-out people only (signed-in ones go on to ?next= or #/upload)
//   user:   signed in, else to #/login?next=...      admin: signed in with role "admin" (others see "not allowed")

import { loginView, registerView } from "./views/auth.js";
import { landingView } from "./views/landing.js";
import { historyView, resultView } from "./views/predictions.js";
import { uploadView } from "./views/upload.js";

export const ROUTES = [
  { path: "#/", view: landingView, access: "anyone" },
  { path: "#/login", view: loginView, access: "guest" },
  { path: "#/register", view: registerView, access: "guest" },
  { path: "#/upload", view: uploadView, access: "user" },
  { path: "#/predictions", view: historyView, access: "user" },
  { path: "#/predictions/:id", view: resultView, access: "user" },
];

// The header's links, shown to those who may open them, in this order.
export const NAV = [
  { href: "#/upload", label: "Upload", access: "user" },
  { href: "#/predictions", label: "History", access: "user" },
];

export const HOME = { guest: "#/", user: "#/upload" }; // unknown routes go home; signed-in people start at upload
