// What the admin pages share: a table that scrolls sideways on its own (a focusable region once it does), a list
// loaded a page at a time ("Load more"), short ids and badges.

import { h } from "../../dom.js";
import { hold, showError } from "../../forms.js";

// A table's box that scrolls sideways when the table is wider than the page: keyboards can scroll only what they can
// focus, so it is a tab stop while (and only while) it does.
export function scrollRegion(label, table) {
  const wrap = h("div", { className: "table-wrap", role: "region", "aria-label": label }, table);
  const scrolls = () => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.setAttribute("tabindex", "0");
    else wrap.removeAttribute("tabindex");
  };
  new ResizeObserver(scrolls).observe(wrap);
  new MutationObserver(scrolls).observe(table, { childList: true, subtree: true });
  return wrap;
}

export function dataTable(label, headings) {
  const body = h("tbody");
  const table = h("table", { className: "data" }, h("caption", { className: "visually-hidden" }, label),
    h("thead", {}, h("tr", {}, headings.map((heading) => h("th", { scope: "col" }, heading)))), body);
  return { wrap: scrollRegion(label, table), body };
}

// `fetchPage(cursor)` answers {items, next_cursor}; `row(item)` makes a <tr>. reload() starts again from the first
// page (a newer reload wins over an older one still on its way); "Load more" appends the next.
export function pagedRows({ fetchPage, row, body, box, empty, status, noun, heading }) {
  const more = h("button", { type: "button", className: "secondary", hidden: true }, "Load more");
  let cursor = null;
  let generation = 0;

  async function load(first) {
    const mine = first ? ++generation : generation;
    hold(more);
    box.hidden = true;
    try {
      const page = await fetchPage(first ? null : cursor);
      if (mine !== generation) return;
      if (first) body.replaceChildren();
      const rows = page.items.map(row);
      body.append(...rows);
      cursor = page.next_cursor;
      const count = body.children.length;
      empty.hidden = count > 0;
      body.closest(".table-wrap").hidden = count === 0; // no headings over nothing
      const hadFocus = document.activeElement === more;
      more.hidden = !cursor;
      if (hadFocus && more.hidden) (rows[0]?.querySelector("a, button, input") || heading()).focus();
      status.textContent = count ? `Showing ${count} ${noun(count)}${cursor ? "; there are more" : ""}.` : "";
    } catch (error) {
      if (mine === generation) showError(box, error);
    } finally {
      hold(more, false);
    }
  }
  more.addEventListener("click", () => load(false));
  return { more, reload: () => load(true), loadMore: () => load(false), hasMore: () => Boolean(cursor) };
}

export function shortId(id) {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

export function badge(text, kind = "") {
  return h("span", { className: `status ${kind}`.trim() }, text);
}

export function plural(count, one, many = `${one}s`) {
  return count === 1 ? one : many;
}
