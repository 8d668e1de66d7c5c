// A small SVG line chart drawn by hand: lines over time for money series, an optional constant line
// (the 14-day value), bars for quantity below, a legend, and a readout that follows the pointer or the
// arrow keys. Colours come from CSS classes (the CSP allows no inline styles).
import { h, s, replace } from "./dom.js";
import { moneyText, int } from "./format.js";

const WIDTH = 720, H = 260, PAD = { left: 78, right: 16, top: 16, bottom: 72 };
const BAR_H = 44, BAR_MAX = 18; // a few points must not become wide blocks

function niceTicks(lo, hi, count = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(v);
  return ticks;
}

/**
 * rows: [{t: Date, ...values}]; lines: [{key, label, cls}]; constant: {value, label, cls} | null;
 * bars: {key, label} | null; xLabel(Date) → text; width: the drawing's width in px (the room it gets, so that
 * its text is drawn at its own size, not scaled down).
 */
export function lineChart({ title, rows, lines, constant = null, bars = null, xLabel, width = WIDTH }) {
  const W = Math.max(320, Math.round(width));
  const box = h("figure", { class: "chart" });
  const points = rows.filter((r) => r.t instanceof Date && !Number.isNaN(r.t.getTime()));
  if (points.length < 1) {
    box.append(h("figcaption", title), h("p", { class: "muted" }, "No data for this period yet."));
    return box;
  }
  const values = points.flatMap((r) => lines.map((l) => r[l.key])).filter(Number.isFinite);
  if (constant && Number.isFinite(constant.value)) values.push(constant.value);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!Number.isFinite(lo)) lo = hi = 0;
  const span = hi - lo || Math.max(hi * 0.1, 1);
  lo = Math.max(0, lo - span * 0.1);
  hi += span * 0.1;
  const t0 = points[0].t.getTime(), t1 = points[points.length - 1].t.getTime();
  const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
  const y = (v) => PAD.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart-svg", role: "img", "aria-label": title });
  for (const tick of niceTicks(lo, hi)) {
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: PAD.left - 8, y: y(tick) + 4, class: "axis-label", "text-anchor": "end", text: moneyText(Math.round(tick)) }));
  }
  const xTicks = Math.min(6, points.length);
  for (let i = 0; i < xTicks; i++) {
    const p = points[Math.round((i * (points.length - 1)) / Math.max(1, xTicks - 1))];
    const anchor = xTicks > 1 && i === xTicks - 1 ? "end" : "middle"; // the last label ends at the edge, not past it
    svg.append(s("text", { x: x(p.t.getTime()), y: PAD.top + plotH + 16, class: "axis-label", "text-anchor": anchor, text: xLabel(p.t) }));
  }
  if (constant && Number.isFinite(constant.value)) {
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(constant.value), y2: y(constant.value), class: `constant ${constant.cls}` }));
  }
  for (const line of lines) {
    const segs = [];
    let open = false;
    for (const p of points) {
      const v = p[line.key];
      if (!Number.isFinite(v)) { open = false; continue; }
      segs.push(`${open ? "L" : "M"}${x(p.t.getTime()).toFixed(1)},${y(v).toFixed(1)}`);
      open = true;
    }
    if (segs.length) svg.append(s("path", { d: segs.join(" "), class: `series ${line.cls}`, "data-series": line.key }));
    if (points.length === 1 && Number.isFinite(points[0][line.key])) {
      svg.append(s("circle", { cx: x(t0), cy: y(points[0][line.key]), r: 4, class: `dot ${line.cls}` }));
    }
  }
  if (bars) {
    const qs = points.map((p) => p[bars.key]).filter(Number.isFinite);
    const qmax = Math.max(1, ...qs);
    const top = H - BAR_H + 6, bw = Math.min(BAR_MAX, Math.max(1, plotW / points.length - 1));
    svg.append(s("text", { x: PAD.left - 8, y: top + 12, class: "axis-label", "text-anchor": "end", text: int(qmax) }),
      s("text", { x: PAD.left - 8, y: H - 4, class: "axis-label", "text-anchor": "end", text: bars.label }));
    for (const p of points) {
      const q = p[bars.key];
      if (!Number.isFinite(q) || q <= 0) continue;
      const bh = ((BAR_H - 10) * q) / qmax;
      svg.append(s("rect", { x: x(p.t.getTime()) - bw / 2, y: H - 4 - bh, width: bw, height: bh, class: "bar" }));
    }
  }
  // the readout: a vertical rule and the values at the nearest point
  const rule = s("line", { x1: 0, x2: 0, y1: PAD.top, y2: H - 4, class: "cursor", visibility: "hidden" });
  svg.append(rule);
  const readout = h("div", { class: "readout", "aria-live": "polite" }, "Point or use ← → for values.");
  let index = points.length - 1;
  const show = (i) => {
    index = Math.max(0, Math.min(points.length - 1, i));
    const p = points[index];
    const px = x(p.t.getTime());
    rule.setAttribute("x1", px);
    rule.setAttribute("x2", px);
    rule.setAttribute("visibility", "visible");
    replace(readout, h("strong", xLabel(p.t, true)), ...lines.map((l) => h("span", { class: `key ${l.cls}` }, `${l.label} ${moneyText(p[l.key])}`)),
      bars && Number.isFinite(p[bars.key]) ? h("span", { class: "key" }, `${bars.label} ${int(p[bars.key])}`) : null);
  };
  svg.addEventListener("pointermove", (event) => {
    const rect = svg.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * W;
    let best = 0;
    points.forEach((p, i) => { if (Math.abs(x(p.t.getTime()) - px) < Math.abs(x(points[best].t.getTime()) - px)) best = i; });
    show(best);
  });
  const frame = h("div", { class: "chart-frame", tabindex: 0, "aria-label": `${title}: use the arrow keys to read values` }, svg);
  frame.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") { show(index - 1); event.preventDefault(); }
    if (event.key === "ArrowRight") { show(index + 1); event.preventDefault(); }
  });
  frame.addEventListener("focus", () => show(index));
  const legend = h("ul", { class: "legend" }, lines.map((l) => h("li", { class: `key ${l.cls}` }, l.label)),
    constant ? h("li", { class: `key dashed ${constant.cls}` }, `${constant.label} ${moneyText(constant.value)}`) : null,
    bars ? h("li", { class: "key bar-key" }, bars.label) : null);
  box.append(h("figcaption", title), legend, frame, readout);
  return box;
}
