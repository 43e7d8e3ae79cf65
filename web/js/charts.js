// Inline SVG charts, drawn here (no library): stacked bars per day and horizontal bars, drawn for the width they
// get (one unit a CSS pixel, so text stays its size on a phone). Each is role="img" with an aria-label that says
// what it shows in words; the pages put the numbers in a table next to it as well.

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  for (const child of children.flat()) if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

// A round number of steps from 0 to at least `max`: 1, 2 or 5 times a power of ten.
export function ticks(max, wanted = 4) {
  if (max <= 0) return [0, 1];
  const raw = max / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
  const whole = Math.max(1, Math.ceil(step));
  const values = [];
  for (let value = 0; value < max + whole; value += whole) values.push(value);
  return values;
}

function frame(label, width, height) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: "chart" });
}

// days: [{day: "2026-11-25", [series.key]: count}], series: [{key, label, colour}], bottom to top.
export function stackedBars(days, series, label, width = 720) {
  const height = 240;
  const left = 40;
  const bottom = 28;
  const top = 10;
  const right = 20; // room for the last date, centred under the last bar
  const plot = { width: width - left - right, height: height - top - bottom };
  const totals = days.map((day) => series.reduce((sum, { key }) => sum + (day[key] || 0), 0));
  const scale = ticks(Math.max(0, ...totals));
  const max = scale[scale.length - 1];
  const y = (value) => top + plot.height - (value / max) * plot.height;
  const slot = plot.width / Math.max(1, days.length);
  const svg = frame(label, width, height);
  for (const value of scale) {
    svg.append(s("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }),
      s("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis" }, value));
  }
  const every = Math.ceil(days.length / Math.max(1, Math.floor(plot.width / 56))); // as many dates as fit, today's always
  days.forEach((day, i) => {
    const x = left + i * slot + slot * 0.15;
    let base = 0;
    for (const { key, colour, label: name } of series) {
      const count = day[key] || 0;
      if (!count) continue;
      svg.append(s("rect", { x, width: slot * 0.7, y: y(base + count), height: y(base) - y(base + count), fill: colour, class: "segment" },
        s("title", {}, `${day.day}: ${count} ${name}`)));
      base += count;
    }
    if ((days.length - 1 - i) % every === 0) {
      svg.append(s("text", { x: x + slot * 0.35, y: height - 8, "text-anchor": "middle", class: "axis" }, day.day.slice(5)));
    }
  });
  return svg;
}

// items: [{label, value, text?}]: one bar each, its value written after it (text, or the number). Labels go left
// of the bars, or above them where the chart is narrow (a phone).
export function horizontalBars(items, label, colour = "#2a64cc", width = 480) {
  const above = width < 420;
  const row = above ? 46 : 30;
  const labelWidth = above ? 0 : Math.min(170, Math.round(width * 0.36));
  const valueWidth = 80;
  const height = Math.max(1, items.length) * row + 8;
  const max = Math.max(0, ...items.map((item) => item.value)) || 1;
  const svg = frame(label, width, height);
  items.forEach((item, i) => {
    const top = 4 + i * row;
    const bar = above ? { y: top + 22, height: 18 } : { y: top + 5, height: row - 10 };
    const length = ((width - labelWidth - valueWidth) * item.value) / max;
    const middle = bar.y + bar.height / 2 + 5;
    svg.append(
      above
        ? s("text", { x: 0, y: top + 15, class: "label" }, item.label)
        : s("text", { x: labelWidth - 10, y: middle, "text-anchor": "end", class: "label" }, item.label),
      s("rect", { x: labelWidth, y: bar.y, width: Math.max(item.value > 0 ? 2 : 0, length), height: bar.height, fill: colour, rx: 2 }),
      s("text", { x: labelWidth + length + 8, y: middle, class: "value" }, item.text ?? item.value));
  });
  return svg;
}
