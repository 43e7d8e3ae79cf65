// The router: finds the route of the hash, checks who may see it, renders its view, then moves focus to the
// page's heading (so a screen reader announces the new page and Tab starts from there).

import { Api } from "./api.js";
import { focusHeading, h } from "./dom.js";
import { flash, showFlash } from "./forms.js";
import { allowed, match, nextRoute } from "./router.js";
import { HOME, NAV } from "./routes.js";

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

function notAllowedView(ctx) {
  ctx.view.replaceChildren(h("section", { className: "card" }, h("h1", {}, "Not allowed"),
    h("p", {}, "This page is for administrators of the service."), h("p", {}, h("a", { href: "#/upload" }, "Back to your images"))));
}

function route(api) {
  const hash = location.hash && location.hash !== "#" ? location.hash : "#/";
  const [path, search = ""] = hash.split("?");
  const query = new URLSearchParams(search);
  const redirect = (target) => { history.replaceState(null, "", target); route(api); };
  const ctx = {
    api, view, query, params: {}, next: nextRoute(query), navigate: (target) => { location.hash = target; }, redirect,
    flash, chrome: () => renderChrome(api, path), // chrome(): the header again, after the account changed
  };
  const found = match(path);
  if (!found) return redirect(api.signedIn ? HOME.user : HOME.guest);
  const { route: page, params } = found;
  if (page.access === "guest" && api.signedIn) return redirect(ctx.next || HOME.user);
  if (page.access !== "anyone" && page.access !== "guest" && !api.signedIn) {
    return redirect(`#/login?next=${encodeURIComponent(hash)}`);
  }
  if (cleanup) { cleanup(); cleanup = null; }
  renderChrome(api, path);
  ctx.params = params;
  view.classList.toggle("wide", Boolean(page.wide));
  cleanup = (allowed(api, page.access) ? page.view : notAllowedView)(ctx) || null;
  showFlash(view);
  const heading = focusHeading(view);
  document.title = heading ? `${heading.textContent} · imagepredict` : "imagepredict";
  window.scrollTo(0, 0);
}

function renderChrome(api, path) {
  const link = (entry) => h("a", { href: entry.href, "aria-current": path === entry.href || path.startsWith(`${entry.href}/`) ? "page" : null }, entry.label);
  const shown = NAV.filter((entry) => allowed(api, entry.access));
  for (const [id, entries] of [["nav", shown.filter((e) => e.access !== "admin")], ["admin-nav", shown.filter((e) => e.access === "admin")]]) {
    const nav = document.getElementById(id);
    nav.replaceChildren(...entries.map(link));
    nav.hidden = entries.length === 0;
  }
  document.getElementById("admin-bar").hidden = document.getElementById("admin-nav").hidden;
  document.getElementById("account").hidden = !api.signedIn;
  document.getElementById("guest").hidden = api.signedIn;
  document.getElementById("user-name").textContent = api.user ? api.user.name : "";
}

async function main() {
  const api = new Api((await configuration()).apiUrl || "");
  api.onSignedOut = () => { // the session ended under the page: revoked, expired, the account disabled
    flash("Your session has ended. Please log in again.");
    route(api);
  };
  await api.refresh(); // a reload in the same tab keeps the session
  document.getElementById("logout").addEventListener("click", async () => {
    await api.logout().catch(() => {});
    location.hash = "#/login"; // the hashchange renders it
  });
  // the skip link's #main would be read as a route: it moves focus to the page's heading instead
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    focusHeading(view);
  });
  window.addEventListener("hashchange", () => route(api));
  route(api);
}

main();
