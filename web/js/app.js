// The router: hash routes, protected views send you to log in (and back afterwards).

import { Api } from "./api.js";
import { historyView, loginView, registerView, resultView, uploadView } from "./views.js";

const PUBLIC = { "#/login": loginView, "#/register": registerView };
const view = document.getElementById("view");
let cleanup = null;

async function configuration() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // no config.json: the API is on this origin
  }
  return { apiUrl: "" };
}

function route(api) {
  const hash = location.hash || "#/upload";
  const [path, query] = hash.split("?");
  if (cleanup) { cleanup(); cleanup = null; }
  const ctx = { api, view, navigate: (target) => { location.hash = target; }, next: new URLSearchParams(query).get("next") };
  renderChrome(api, path);
  if (PUBLIC[path]) {
    if (api.signedIn) return ctx.navigate(ctx.next || "#/upload");
    cleanup = PUBLIC[path](ctx) || null;
  } else if (!api.signedIn) {
    return ctx.navigate(`#/login?next=${encodeURIComponent(hash)}`);
  } else if (path === "#/upload") {
    cleanup = uploadView(ctx) || null;
  } else if (path === "#/predictions") {
    cleanup = historyView(ctx) || null;
  } else if (path.startsWith("#/predictions/")) {
    cleanup = resultView(ctx, decodeURIComponent(path.slice("#/predictions/".length))) || null;
  } else {
    return ctx.navigate("#/upload");
  }
  view.focus({ preventScroll: true });
}

function renderChrome(api, path) {
  document.getElementById("nav").hidden = !api.signedIn;
  document.getElementById("account").hidden = !api.signedIn;
  document.getElementById("user-name").textContent = api.user ? api.user.name : "";
  for (const link of document.querySelectorAll("#nav a")) {
    if (path.startsWith(link.getAttribute("href"))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function main() {
  const api = new Api((await configuration()).apiUrl || "");
  api.onSignedOut = () => route(api);
  await api.refresh(); // a reload in the same tab keeps the session
  document.getElementById("logout").addEventListener("click", async () => {
    await api.logout().catch(() => {});
    location.hash = "#/login";
    route(api);
  });
  window.addEventListener("hashchange", () => route(api));
  route(api);
}

main();
