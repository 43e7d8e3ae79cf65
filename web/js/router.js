// The router's decisions, without the page: which route a path is, and who may open it.

import { ROUTES } from "./routes.js";

// The route whose path matches, with its `:name` segments decoded; null when none does.
export function match(path, routes = ROUTES) {
  const parts = path.split("/");
  for (const route of routes) {
    const pattern = route.path.split("/");
    if (pattern.length !== parts.length) continue;
    const params = {};
    const fits = pattern.every((segment, i) => {
      if (segment.startsWith(":")) {
        if (!parts[i]) return false;
        try { params[segment.slice(1)] = decodeURIComponent(parts[i]); } catch { return false; }
        return true;
      }
      return segment === parts[i];
    });
    if (fits) return { route, params };
  }
  return null;
}

export function allowed(api, access) {
  if (access === "user") return api.signedIn;
  if (access === "admin") return api.signedIn && api.user?.role === "admin";
  return true;
}

// Only our own routes as ?next=, never another origin or scheme.
export function nextRoute(query) {
  const next = query.get("next");
  return next && next.startsWith("#/") ? next : null;
}
