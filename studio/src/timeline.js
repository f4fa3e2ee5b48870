// Draws an explanation's SLA clocks on one time axis as SVG: the business-time windows that were
// counted, pauses, skipped holidays and closed days, the due instants, stops, escalations and now.
import { t, tv } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const DAY = 86400000;

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

function titled(e, text) {
  e.appendChild(el("title", {}, text));
  return e;
}

/** Minutes east of UTC written at the end of an RFC 3339 instant (0 for `Z`). */
export function offsetMinutes(s) {
  const m = /([+-])(\d\d):(\d\d)$/.exec(s || "");
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

const ms = (s) => (s ? Date.parse(s) : NaN);

/** The instant a local calendar date starts, in the zone whose offset is `off` minutes. */
function dateStart(date, off) {
  const [y, m, d] = date.split("-").map(Number);
  return Date.UTC(y, m - 1, d) - off * 60000;
}

/**
 * Builds the SVG for an explanation object, or null when it has no clocks. `created` is the
 * ticket's `created_at`: clocks raised outside business hours start counting later, and the
 * holidays in between are only visible from there.
 */
export function timeline(exp, created) {
  const clocks = (exp.clocks || []).filter((c) => c && c.due);
  if (!clocks.length) return null;
  const off = offsetMinutes(clocks[0].started_at || clocks[0].due || exp.now);
  const now = ms(exp.now);
  const times = [];
  for (const c of clocks) {
    for (const s of [c.started_at, c.due, c.stopped_at]) if (s) times.push(ms(s));
    for (const w of c.windows || []) times.push(ms(w.from), ms(w.to));
    for (const p of c.pauses || []) times.push(ms(p.from), p.to ? ms(p.to) : now);
  }
  for (const e of exp.escalations || []) if (e.at) times.push(ms(e.at));
  if (created) times.push(ms(created));
  const finite = times.filter(Number.isFinite);
  let t0 = Math.min(...finite);
  let t1 = Math.max(...finite);
  // Show now when it is near; a now years after the ticket would squash everything else.
  const showNow = Number.isFinite(now) && now >= t0 - (t1 - t0) * 0.5 && now <= t1 + (t1 - t0) * 0.5;
  if (showNow) {
    t0 = Math.min(t0, now);
    t1 = Math.max(t1, now);
  }
  // Whole local days, so that day lines and skipped days fall on the grid.
  t0 = Math.floor((t0 + off * 60000) / DAY) * DAY - off * 60000;
  t1 = Math.ceil((t1 + off * 60000) / DAY) * DAY - off * 60000;
  if (t1 <= t0) t1 = t0 + DAY;

  const W = 960;
  const left = 110;
  const right = 12;
  const top = 28;
  const rowH = 40;
  const H = top + clocks.length * rowH + 8;
  const x = (v) => left + ((v - t0) / (t1 - t0)) * (W - left - right);
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "timeline",
    role: "img",
    "aria-label": t("timeline"),
  });
  svg.appendChild(el("desc", {}, t("timeline_note")));

  // Day grid and labels, thinned out when days are narrow.
  const days = Math.round((t1 - t0) / DAY);
  const dayW = (W - left - right) / days;
  const every = dayW >= 34 ? 1 : Math.ceil(34 / dayW);
  const axis = el("g", { class: "axis" });
  for (let i = 0; i <= days; i++) {
    const v = t0 + i * DAY;
    axis.appendChild(el("line", { class: "daygrid", x1: x(v), x2: x(v), y1: top - 6, y2: H - 6 }));
    if (i < days && i % every === 0) {
      const local = new Date(v + off * 60000);
      const label = `${String(local.getUTCMonth() + 1).padStart(2, "0")}-${String(local.getUTCDate()).padStart(2, "0")}`;
      axis.appendChild(el("text", { x: x(v) + 2, y: top - 10 }, label));
    }
  }
  svg.appendChild(axis);

  clocks.forEach((c, i) => {
    const y = top + i * rowH;
    const g = el("g", { class: "clock", "data-metric": c.metric });
    g.appendChild(el("text", { x: 4, y: y + 16 }, tv(c.metric)));
    g.appendChild(el("text", { x: 4, y: y + 30, class: "muted" }, `${c.target || ""} ${tv(c.status)}`));
    g.appendChild(el("rect", { class: "track", x: left, y: y + 4, width: W - left - right, height: rowH - 10 }));
    for (const s of c.skipped || []) {
      const a = Math.max(t0, dateStart(s.from, off));
      const b = Math.min(t1, dateStart(s.to, off) + DAY);
      if (b <= a) continue;
      const r = el("rect", { class: s.reason === "holiday" ? "holiday" : "closed", x: x(a), y: y + 4, width: x(b) - x(a), height: rowH - 10 });
      g.appendChild(titled(r, `${tv(s.reason)} ${s.from}${s.to !== s.from ? ` … ${s.to}` : ""}`));
    }
    for (const w of c.windows || []) {
      const a = ms(w.from);
      const b = ms(w.to);
      const r = el("rect", { class: "window", x: x(a), y: y + 10, width: Math.max(1, x(b) - x(a)), height: 12 });
      g.appendChild(titled(r, `${w.from} → ${w.to} (${w.length})`));
    }
    for (const p of c.pauses || []) {
      const a = ms(p.from);
      const b = p.to ? ms(p.to) : Math.min(now, t1);
      const r = el("rect", { class: "pause", x: x(a), y: y + 22, width: Math.max(1, x(b) - x(a)), height: 7 });
      g.appendChild(titled(r, `${tv("paused")} ${p.from} → ${p.to || "…"} (${p.business_time || ""})`));
    }
    if (c.due) {
      const d = x(ms(c.due));
      g.appendChild(titled(el("line", { class: "due", x1: d, x2: d, y1: y + 2, y2: y + rowH - 4 }), `${t("legend_due")} ${c.due}`));
    }
    if (c.stopped_at) {
      const s = x(Math.max(t0, ms(c.stopped_at)));
      const cy = y + 16;
      g.appendChild(titled(el("path", { class: "stopped", d: `M${s} ${cy - 6}L${s + 5} ${cy}L${s} ${cy + 6}L${s - 5} ${cy}Z` }), `${t("legend_stopped")} ${c.stopped_at}`));
    }
    for (const e of exp.escalations || []) {
      if (e.metric !== c.metric || !e.at) continue;
      const a = x(ms(e.at));
      const tri = el("path", { class: "esc", d: `M${a - 5} ${y + rowH - 5}L${a + 5} ${y + rowH - 5}L${a} ${y + rowH - 13}Z` });
      g.appendChild(titled(tri, `${t("legend_escalation")} ${e.step} ${e.at} → ${(e.notify || []).join(", ")}`));
    }
    svg.appendChild(g);
  });

  if (created && Number.isFinite(ms(created))) {
    const c = x(ms(created));
    svg.appendChild(titled(el("line", { class: "created", x1: c, x2: c, y1: top - 6, y2: H - 4 }), `${t("legend_created")} ${created}`));
  }
  if (showNow) {
    const n = x(now);
    svg.appendChild(titled(el("line", { class: "now", x1: n, x2: n, y1: top - 6, y2: H - 4 }), `${t("legend_now")} ${exp.now}`));
  }
  return svg;
}

/** The legend under the timeline, as HTML. */
export function legend() {
  const div = document.createElement("div");
  div.className = "legend";
  const items = [
    ["#39a85b", "legend_window"],
    ["#f0a030", "legend_pause"],
    ["#f6d3d0", "legend_holiday"],
    ["#e9ebee", "legend_closed"],
    ["#b3261e", "legend_due"],
    ["#1d2330", "legend_stopped"],
    ["#1f5fbf", "legend_now"],
    ["#8a93a0", "legend_created"],
    ["#7a4ab8", "legend_escalation"],
  ];
  for (const [color, key] of items) {
    const span = document.createElement("span");
    const i = document.createElement("i");
    i.style.background = color;
    span.append(i, t(key));
    div.appendChild(span);
  }
  return div;
}
