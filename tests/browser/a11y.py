"""Accessibility checks in the browser: axe-core (bundled in axe-playwright-python: no download) and the contrast
of what outlines a control, measured with WCAG 2's relative-luminance formula on the computed colours."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

AXE = Axe()
BLOCKING = ("serious", "critical")

# WCAG 2.x contrast of two computed colours (rgb()/rgba(); alpha blended over the background), and the first
# opaque background behind an element (the page's own if none).
CONTRAST_JS = """
(element, property) => {
  const parse = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const [r, g, b, a = 1] = parse(getComputedStyle(node).backgroundColor);
      if (a > 0) return [r, g, b];
    }
    return [255, 255, 255];
  };
  const luminance = ([r, g, b]) => {
    const linear = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const ratio = (one, other) => {
    const [light, dark] = [luminance(one), luminance(other)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  };
  // a border touches the control's own background and what is around it; an outline (offset) only the latter
  const sides = [background(element.parentElement)];
  if (property !== "outline-color") sides.push(background(element));
  const text = getComputedStyle(element).getPropertyValue(property);
  const [r, g, b, a = 1] = parse(text);
  const worst = Math.min(...sides.map((side) => ratio([r, g, b].map((c, i) => c * a + side[i] * (1 - a)), side)));
  return { ratio: worst, colour: text, backgrounds: sides.map((side) => `rgb(${side.join(", ")})`) };
}
"""


def assert_accessible(page: Page, where: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation (minor and moderate are reported by axe
    but do not fail here)."""
    results = AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["html"][:160] for n in v["nodes"]) for v in blocking
    )
    assert not blocking, f"axe found {len(blocking)} serious/critical violation(s) on {where}:\n{report}"


def contrast(control: Locator, css_property: str) -> dict:
    """The contrast of a control's computed colour (`border-top-color`, `outline-color`) against the background
    behind it, the worse side for a border: {"ratio", "colour", "backgrounds"}."""
    return control.evaluate(CONTRAST_JS, css_property)
