// The aftercare studio: edit a policy, see what it decides, explain, test, compare and save.
// Every request goes to the server that served this page, by relative URL.
import { EditorState, Prec } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { toml } from "@codemirror/legacy-modes/mode/toml";
import { lintGutter, setDiagnostics, lintKeymap, nextDiagnostic } from "@codemirror/lint";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { t, tv, initLang, setLang, getLang } from "./i18n.js";
import { timeline, legend } from "./timeline.js";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// State

const state = {
  servingSource: null, // the serving policy's text, to tell edits apart
  policyPath: "policy.toml",
  policyName: "",
  policyVersion: "",
  checkOk: null, // last check of the current text: true, false, or null (not yet)
  diagnostics: [],
  samplesCases: null,
  decisions: null, // last decisions: { items, lines, stale }
  previousCells: new Map(), // ticket id -> cell texts of the run before, to mark changes
  changed: 0,
  selected: null, // index of the explained ticket
  explain: null, // { exp, decision } or { error }
  tests: null,
  diff: null,
  diffRan: false,
};
let checkSeq = 0;
let evalSeq = 0;
let checkTimer = 0;
let ticketsTimer = 0;

// ---------------------------------------------------------------------------------------------
// Talking to the server

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    if (typeof body === "string") {
      init.body = body;
      init.headers["content-type"] = "text/plain; charset=utf-8";
    } else {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (_) {
    return { status: 0, data: null, message: t("network") };
  }
  const raw = await res.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch (_) {
    data = null;
  }
  const message = (data && (data.error || data.message)) || raw.trim() || res.statusText;
  return { status: res.status, data, message };
}

let lastStatus = { text: () => "", kind: "" };

/** Shows what the page did last; `text` is a function so that it follows a language switch. */
function setStatus(text, kind = "") {
  lastStatus = { text: typeof text === "function" ? text : () => text, kind };
  const s = $("status");
  s.textContent = lastStatus.text();
  s.className = kind;
}

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

function table(headers, rows, cls = "grid") {
  return h(
    "table",
    { class: cls },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows),
  );
}

/** An instant as its local date and time (minutes), which may wrap apart in narrow columns. */
function time(s) {
  if (!s) return "—";
  const v = String(s);
  return h("span", { class: "when", title: v }, h("span", {}, v.slice(0, 10)), " ", h("span", {}, v.slice(11, 16)));
}

function badge(value) {
  if (value == null || value === "") return "";
  return h("span", { class: `badge ${value}` }, tv(value));
}

function errorBox(text) {
  return h("div", { class: "error-box", role: "alert" }, text);
}

function diagnosticsList(diags) {
  return h(
    "ul",
    { class: "diagnostics" },
    diags.map((d) => h("li", { class: d.severity }, `${d.file ? `${d.file}:` : ""}${d.line}:${d.column} ${tv(d.severity)}: ${d.message}`)),
  );
}

// ---------------------------------------------------------------------------------------------
// The editor

const basename = (p) => String(p || "").split(/[\\/]/).pop();

/** Whether a diagnostic points into the edited text (not into an included file). */
function inEditor(d) {
  if (!d.file) return true;
  const b = basename(d.file);
  return b === basename(state.policyPath) || d.file.startsWith("<") || b === "draft" || b === "draft.toml";
}

/** The document offset of a 1-based line and a 1-based column counted in characters. */
function offsetOf(doc, line, column) {
  if (!line || line < 1) return 0;
  if (line > doc.lines) return doc.length;
  const l = doc.line(line);
  let pos = l.from;
  // Columns count characters; JavaScript strings count UTF-16 units.
  let chars = Math.max(0, (column || 1) - 1);
  const text = l.text;
  let i = 0;
  while (chars > 0 && i < text.length) {
    const code = text.codePointAt(i);
    i += code > 0xffff ? 2 : 1;
    chars--;
  }
  return Math.min(pos + i, l.to);
}

function toCodeMirror(doc, d) {
  const from = offsetOf(doc, d.line, d.column);
  let to = d.end_line ? offsetOf(doc, d.end_line, d.end_column) : from;
  if (to <= from) {
    // No span: underline the token that starts there.
    const line = doc.lineAt(from);
    const rest = line.text.slice(from - line.from);
    const m = /^[^\s,=\]}]+/.exec(rest);
    to = Math.min(line.to, from + (m ? m[0].length : 1));
    if (to <= from && from > line.from) return { from: from - 1, to: from };
  }
  return { from, to };
}

function messageOf(d) {
  return `${d.message}${d.code ? ` [${d.code}]` : ""}${d.hint ? `\n${d.hint}` : ""}`;
}

const view = new EditorView({
  parent: $("editor"),
  state: EditorState.create({
    doc: "",
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      bracketMatching(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      StreamLanguage.define(toml),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "policy TOML" }),
      // The page's own keys win over the editor's (Mod-Enter would insert a line).
      Prec.highest(
        keymap.of([
          { key: "Mod-s", run: () => (save(), true) },
          { key: "Mod-Enter", run: () => (runEvaluate(), true) },
        ]),
      ),
      keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, ...lintKeymap]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onPolicyEdited();
      }),
    ],
  }),
});

function draft() {
  return view.state.doc.toString();
}

function setDraft(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

function onPolicyEdited() {
  updateDirty();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(runCheck, 350);
}

function updateDirty() {
  const d = $("dirty");
  if (state.servingSource == null) {
    d.textContent = "";
    d.className = "dirty";
    return;
  }
  const dirty = draft() !== state.servingSource;
  d.textContent = dirty ? t("unsaved") : t("saved_state");
  d.className = `dirty ${dirty ? "on" : "off"}`;
}

function updatePolicyInfo() {
  $("policy-info").textContent = state.policyName
    ? `${state.policyPath} · ${state.policyName} ${state.policyVersion} (${t("serving")})`
    : "";
}

async function runCheck() {
  const seq = ++checkSeq;
  const text = draft();
  const summary = $("check-summary");
  summary.textContent = t("checking");
  summary.className = "check-summary";
  const r = await call("POST", "v1/check", text);
  if (seq !== checkSeq) return; // a newer edit is being checked
  if (r.status !== 200 || !r.data) {
    summary.textContent = t("http_error", r.status, r.message);
    summary.className = "check-summary bad";
    setStatus(() => t("http_error", r.status, r.message), "error");
    return;
  }
  applyDiagnostics(r.data.diagnostics || [], r.data.ok !== false);
  if (state.checkOk) {
    refreshResults();
  } else {
    markStale();
  }
}

function applyDiagnostics(diags, ok) {
  state.diagnostics = diags;
  state.checkOk = ok && !diags.some((d) => d.severity === "error");
  const doc = view.state.doc;
  const cm = diags.filter(inEditor).map((d) => ({
    ...toCodeMirror(doc, d),
    severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
    message: messageOf(d),
  }));
  view.dispatch(setDiagnostics(view.state, cm));
  renderDiagnostics();
}

function renderDiagnostics() {
  const diags = state.diagnostics;
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  const summary = $("check-summary");
  if (state.checkOk == null) {
    summary.textContent = "";
  } else if (!diags.length) {
    summary.textContent = t("check_ok");
    summary.className = "check-summary ok";
  } else {
    summary.textContent = [errors ? t("n_errors", errors) : null, warnings ? t("n_warnings", warnings) : null]
      .filter(Boolean)
      .join(", ");
    summary.className = `check-summary ${errors ? "bad" : "ok"}`;
  }
  const list = $("diagnostics");
  list.replaceChildren();
  if (!diags.length && state.checkOk != null) list.append(h("li", { class: "muted" }, t("no_problems")));
  for (const d of diags) {
    const here = inEditor(d);
    const pos = `${here ? "" : `${d.file}:`}${d.line}:${d.column}`;
    const b = h(
      "button",
      {
        type: "button",
        class: d.severity,
        "data-line": d.line,
        on: {
          click: () => {
            if (!here) return;
            const at = offsetOf(view.state.doc, d.line, d.column);
            view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: "center" }) });
            view.focus();
          },
        },
      },
      h("span", { class: "pos" }, pos),
      h("span", { class: "sev" }, tv(d.severity)),
      d.message,
      d.code ? h("span", { class: "muted" }, ` [${d.code}]`) : null,
      d.hint ? h("span", { class: "hint" }, d.hint) : null,
    );
    list.append(h("li", {}, b));
  }
}

// ---------------------------------------------------------------------------------------------
// Tickets and decisions

/** The non-blank lines of the tickets box (or the items of a JSON array). */
function ticketLines() {
  const text = $("tickets").value;
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith("[")) {
    try {
      const arr = JSON.parse(trimmed);
      if (Array.isArray(arr)) return arr.map((x) => JSON.stringify(x));
    } catch (_) {
      // not an array after all: read it as lines
    }
  }
  return text.split(/\r?\n/).filter((l) => l.trim());
}

function nowValue() {
  const v = $("now").value.trim();
  return v || undefined;
}

function markStale() {
  if (state.decisions) {
    state.decisions.stale = true;
    renderDecisions();
  }
}

function refreshResults() {
  runEvaluate();
  if (state.selected != null) runExplain(state.selected, false);
  if (state.diffRan) runDiff(false);
}

async function runEvaluate() {
  const lines = ticketLines();
  if (!lines.length) {
    state.decisions = null;
    renderDecisions();
    return;
  }
  if (state.checkOk === false) {
    setStatus(() => t("draft_errors"), "error");
    markStale();
    return;
  }
  const seq = ++evalSeq;
  setStatus(() => t("evaluating"));
  const body = { policy: draft(), tickets: lines.join("\n"), trace: true };
  const now = nowValue();
  if (now) body.now = now;
  const r = await call("POST", "v1/draft/evaluate", body);
  if (seq !== evalSeq) return;
  if (r.status === 200 && r.data && Array.isArray(r.data.decisions)) {
    const old = state.decisions;
    // Compared with the last results on screen, also when they were marked old.
    state.previousCells = old ? cellMap(old.items) : new Map();
    state.decisions = { items: r.data.decisions, lines, stale: false };
    renderDecisions();
    const changed = state.changed;
    setStatus(() => t("evaluated", lines.length) + (changed ? ` ${t("changed_cells", changed)}` : ""), "ok");
  } else if (r.status === 422 && r.data && r.data.diagnostics) {
    applyDiagnostics(r.data.diagnostics, false);
    markStale();
    setStatus(() => t("draft_errors"), "error");
  } else {
    setStatus(() => t("http_error", r.status, r.message), "error");
    $("decisions-summary").replaceChildren(errorBox(t("http_error", r.status, r.message)));
  }
}

function routeText(d) {
  const r = d.route || {};
  return [r.department, r.team].filter(Boolean).join(" / ") || "—";
}

function cellsOf(d) {
  const fr = (d.sla && d.sla.first_response) || null;
  const rs = (d.sla && d.sla.resolution) || null;
  const fu = d.follow_up || null;
  return {
    category: d.category || "—",
    priority: d.priority || "—",
    route: routeText(d),
    first_response: fr ? `${fr.due || ""}|${fr.status || ""}` : "",
    resolution: rs ? `${rs.due || ""}|${rs.status || ""}` : "",
    follow_up: fu ? `${fu.due || ""}|${fu.status || ""}|${fu.outcome || ""}` : "",
  };
}

function cellMap(items) {
  const m = new Map();
  for (const d of items) if (d && d.ticket != null && !d.error) m.set(String(d.ticket), cellsOf(d));
  return m;
}

function clockCell(c) {
  if (!c) return "—";
  return [time(c.due), h("br"), badge(c.status)];
}

function renderDecisions() {
  const box = $("decisions");
  const summary = $("decisions-summary");
  const dec = state.decisions;
  box.replaceChildren();
  box.className = "grid";
  summary.className = "summary";
  if (!dec) {
    summary.textContent = t("no_tickets");
    return;
  }
  const errors = dec.items.filter((d) => d && d.error).length;
  summary.textContent = dec.stale ? t("stale") : t("decisions_summary", dec.items.length, errors);
  if (dec.stale) {
    summary.className = "summary stale";
    box.classList.add("stale");
  }
  state.changed = 0;
  const headers = ["#", t("col_id"), t("col_category"), t("col_priority"), t("col_route"), t("col_first_response"), t("col_resolution"), t("col_follow_up")];
  const rows = dec.items.map((d, i) => {
    if (!d || d.error) {
      return h(
        "tr",
        { class: "err", "data-index": i },
        h("td", {}, i + 1),
        h("td", {}, d && d.ticket != null ? String(d.ticket) : "—"),
        h("td", { colspan: 6 }, `${t("ticket_error")}: ${d ? d.error : ""}${d && d.kind ? ` (${d.kind})` : ""}`),
      );
    }
    const id = String(d.ticket);
    const cells = cellsOf(d);
    const before = state.previousCells.get(id);
    const cls = (k) => {
      const changed = before && before[k] !== cells[k];
      if (changed && !dec.stale) state.changed++;
      return changed ? "changed" : null;
    };
    const fu = d.follow_up;
    const tr = h(
      "tr",
      { "data-index": i, "data-ticket": id, class: state.selected === i ? "selected" : null },
      h("td", { class: "muted" }, i + 1),
      h("td", {}, h("button", { type: "button", class: "link", title: t("open_explain", id), "aria-label": t("open_explain", id), on: { click: () => openExplain(i) } }, id)),
      h("td", { class: cls("category"), "data-col": "category" }, d.category || "—"),
      h("td", { class: cls("priority"), "data-col": "priority" }, d.priority || "—"),
      h("td", { class: cls("route"), "data-col": "route" }, cells.route),
      h("td", { class: `t ${cls("first_response") || ""}`, "data-col": "first_response" }, clockCell(d.sla && d.sla.first_response)),
      h("td", { class: `t ${cls("resolution") || ""}`, "data-col": "resolution" }, clockCell(d.sla && d.sla.resolution)),
      h("td", { class: `t ${cls("follow_up") || ""}`, "data-col": "follow_up" }, fu ? [time(fu.due), h("br"), badge(fu.status), fu.outcome ? badge(fu.outcome) : ""] : "—"),
    );
    return tr;
  });
  box.append(
    h("caption", { class: "muted", style: "text-align:left;caption-side:bottom" }, state.changed && !dec.stale ? t("changed_cells", state.changed) : ""),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows),
  );
}

// ---------------------------------------------------------------------------------------------
// Explanation

function openExplain(i) {
  state.selected = i;
  renderDecisions();
  selectTab("explain");
  runExplain(i, true);
}

async function runExplain(i, focus) {
  const dec = state.decisions;
  const line = dec && dec.lines[i];
  if (line == null) return;
  let ticket;
  try {
    ticket = JSON.parse(line);
  } catch (e) {
    state.explain = { error: t("bad_line", i + 1, e.message) };
    renderExplain();
    return;
  }
  if (state.checkOk === false) return;
  // A refresh after an edit leaves the status line to the decisions.
  if (focus) setStatus(() => t("explaining"));
  const body = { policy: draft(), ticket };
  const now = nowValue();
  if (now) body.now = now;
  const r = await call("POST", "v1/draft/explain", body);
  if (r.status === 200 && r.data) {
    state.explain = { exp: r.data, decision: dec.items[i], created: typeof ticket.created_at === "string" ? ticket.created_at : null };
    if (focus) setStatus(() => t("explained", r.data.ticket ?? ticket.id), "ok");
  } else if (r.status === 422 && r.data && r.data.diagnostics) {
    state.explain = { error: t("draft_errors") };
  } else {
    state.explain = { error: t("http_error", r.status, r.message) };
    setStatus(() => t("http_error", r.status, r.message), "error");
  }
  renderExplain();
  if (focus) {
    const head = document.querySelector("#explain-body h3");
    if (head) head.focus();
  }
}

function renderExplain() {
  const box = $("explain-body");
  box.replaceChildren();
  const x = state.explain;
  if (!x) {
    box.append(h("p", { class: "muted" }, t("explain_empty")));
    return;
  }
  if (x.error) {
    box.append(errorBox(x.error));
    return;
  }
  const exp = x.exp;
  box.append(
    h("h3", { tabindex: "-1" }, t("explain_heading", exp.ticket), " ", badge(exp.status)),
    h("p", { class: "muted" }, `${exp.policy ? `${exp.policy.name} ${exp.policy.version} · ` : ""}${t("as_of")} ${exp.now || ""}`),
    h("h4", {}, t("stages")),
    table(
      [t("col_stage"), t("col_value"), t("col_rule"), t("col_because")],
      (exp.stages || []).map((s) =>
        h("tr", {}, h("td", {}, tv(s.stage)), h("td", {}, s.value ?? "—"), h("td", { class: "t" }, s.is_default ? `${s.rule ?? ""} (${t("default_rule")})` : s.rule ?? "—"), h("td", {}, s.because || "")),
      ),
    ),
    h("h4", {}, t("timeline")),
  );
  const svg = timeline(exp, x.created);
  if (svg) box.append(svg, legend());
  else box.append(h("p", { class: "muted" }, t("none")));
  box.append(
    h("h4", {}, t("clocks")),
    table(
      [t("col_metric"), t("col_target"), t("col_started"), t("col_due"), t("col_status"), t("col_elapsed"), t("col_remaining"), t("col_paused"), t("col_skipped")],
      (exp.clocks || []).map((c) =>
        h(
          "tr",
          {},
          h("td", {}, tv(c.metric), c.cycle ? h("span", { class: "muted" }, ` #${c.cycle}`) : ""),
          h("td", {}, c.target || ""),
          h("td", { class: "t" }, time(c.started_at)),
          h("td", { class: "t" }, time(c.due)),
          h("td", {}, badge(c.status), c.overdue_by ? h("span", { class: "muted" }, ` +${c.overdue_by}`) : ""),
          h("td", {}, c.elapsed || ""),
          h("td", {}, c.remaining || ""),
          h("td", {}, c.paused || ""),
          h("td", {}, (c.skipped || []).map((s) => `${s.from}${s.to !== s.from ? `…${s.to}` : ""} ${tv(s.reason)}`).join("; ")),
        ),
      ),
    ),
  );
  const escs = exp.escalations || [];
  box.append(h("h4", {}, t("escalations")));
  if (escs.length) {
    box.append(
      table(
        [t("col_metric"), t("col_step"), t("col_at"), t("col_notify"), t("col_fired")],
        escs.map((e) => h("tr", {}, h("td", {}, tv(e.metric)), h("td", {}, e.step || ""), h("td", { class: "t" }, time(e.at)), h("td", {}, (e.notify || []).join(", ")), h("td", {}, e.fired ? t("yes") : t("no")))),
      ),
    );
  } else box.append(h("p", { class: "muted" }, t("none")));
  const fu = exp.follow_up;
  box.append(
    h("h4", {}, t("follow_up")),
    h("p", {}, fu ? [time(fu.due), " ", badge(fu.status), fu.outcome ? badge(fu.outcome) : "", fu.score != null ? ` (${fu.score})` : ""] : t("none")),
    h("h4", {}, t("next_change")),
    h("p", {}, exp.next_change_at ? [time(exp.next_change_at), " ", (exp.next_change || []).map((n) => (typeof n === "string" ? n : JSON.stringify(n))).join("; ")] : t("none")),
  );
  const trace = (x.decision && x.decision.trace) || [];
  if (trace.length) {
    box.append(h("h4", {}, t("trace")), h("ol", { class: "trace" }, trace.map((l) => h("li", {}, l))));
  }
}

// ---------------------------------------------------------------------------------------------
// Test cases

async function runTests() {
  const cases = $("cases").value;
  if (!cases.trim()) {
    state.tests = { error: t("cases_empty") };
    renderTests();
    return;
  }
  setStatus(() => t("running_cases"));
  const r = await call("POST", "v1/draft/test", { policy: draft(), cases });
  if (r.status === 200 && r.data) {
    state.tests = { result: r.data };
    setStatus(() => t("tests_summary", r.data.passed, r.data.failed), r.data.failed ? "error" : "ok");
  } else if (r.status === 422 && r.data && r.data.diagnostics) {
    applyDiagnostics(r.data.diagnostics, false);
    state.tests = { error: t("draft_errors") };
    setStatus(() => t("draft_errors"), "error");
  } else {
    state.tests = { error: t("http_error", r.status, r.message) };
    setStatus(() => t("http_error", r.status, r.message), "error");
  }
  renderTests();
}

function renderTests() {
  const box = $("test-results");
  box.replaceChildren();
  const x = state.tests;
  if (!x) return;
  if (x.error) {
    box.append(errorBox(x.error));
    return;
  }
  const r = x.result;
  box.append(h("p", { class: "counts", id: "tests-summary" }, h("span", { class: "big" }, t("tests_summary", r.passed, r.failed))));
  const cov = r.coverage;
  if (cov) {
    const pct = Number(cov.percent ?? (cov.total ? (100 * cov.hit) / cov.total : 0));
    const pctText = Number.isInteger(pct) ? String(pct) : pct.toFixed(1);
    box.append(
      h("h4", {}, t("coverage")),
      h("p", { id: "coverage-line" }, t("coverage_line", cov.hit, cov.total, pctText)),
      h("div", { class: "bar", role: "img", "aria-label": `${pctText}%` }, h("span", { style: `width:${Math.max(0, Math.min(100, pct))}%` })),
    );
    const never = cov.never_hit || [];
    if (never.length) {
      box.append(
        h("h4", {}, t("never_hit")),
        table([t("col_stage"), t("col_rule")], never.map((n) => h("tr", {}, h("td", {}, tv(n.stage)), h("td", { class: "t" }, n.rule)))),
      );
    } else box.append(h("p", { class: "muted" }, t("all_hit")));
  }
  const results = r.results || [];
  const failed = results.filter((c) => !c.passed);
  const passed = results.filter((c) => c.passed);
  if (failed.length) {
    box.append(h("h4", {}, t("failed_cases")));
    for (const c of failed) {
      box.append(
        h("p", {}, badge("fail"), " ", h("strong", {}, c.name)),
        table(
          [t("col_path"), t("col_expected"), t("col_actual")],
          (c.failures || []).map((f) => h("tr", {}, h("td", { class: "t" }, f.path), h("td", { class: "t" }, fmt(f.expected)), h("td", { class: "t" }, fmt(f.actual)))),
        ),
      );
    }
  }
  if (passed.length) {
    box.append(h("details", {}, h("summary", {}, t("passed_cases", passed.length)), h("ul", {}, passed.map((c) => h("li", {}, c.name)))));
  }
}

/** A decision field named by the diff, as the decisions table heads it. */
function fieldLabel(k) {
  const key = { category: "col_category", priority: "col_priority", route: "col_route", first_response_due: "col_first_response", resolution_due: "col_resolution" }[k];
  return key ? t(key) : tv(k);
}

const fmt = (v) => (v == null ? "—" : typeof v === "string" ? v : JSON.stringify(v));

// ---------------------------------------------------------------------------------------------
// What-if

async function runDiff(announce = true) {
  const lines = ticketLines();
  if (!lines.length) {
    state.diff = { error: t("no_tickets") };
    renderDiff();
    return;
  }
  if (state.checkOk === false) {
    state.diff = { error: t("draft_errors") };
    renderDiff();
    return;
  }
  state.diffRan = true;
  if (announce) setStatus(() => t("comparing"));
  const body = { policy: draft(), tickets: lines.join("\n") };
  const now = nowValue();
  if (now) body.now = now;
  const r = await call("POST", "v1/diff", body);
  if (r.status === 200 && r.data) {
    state.diff = { result: r.data };
    if (announce) setStatus(() => t("diff_summary", r.data.tickets, r.data.errors), "ok");
  } else if ((r.status === 422 || r.status === 400) && r.data && r.data.diagnostics) {
    applyDiagnostics(r.data.diagnostics, false);
    state.diff = { error: t("draft_errors") };
  } else {
    state.diff = { error: t("http_error", r.status, r.message) };
    setStatus(() => t("http_error", r.status, r.message), "error");
  }
  renderDiff();
}

function renderDiff() {
  const box = $("diff-results");
  box.replaceChildren();
  const x = state.diff;
  if (!x) return;
  if (x.error) {
    box.append(errorBox(x.error));
    return;
  }
  const r = x.result;
  box.append(h("p", { id: "diff-summary" }, t("diff_summary", r.tickets, r.errors)));
  const changed = Object.entries(r.changed || {});
  const total = changed.reduce((a, [, n]) => a + n, 0);
  box.append(
    table(
      [t("col_field"), t("col_changed")],
      changed.map(([k, n]) => h("tr", { "data-field": k, class: n ? "changed-row" : null }, h("td", {}, fieldLabel(k)), h("td", { class: n ? "changed" : null }, h("span", { class: n ? "big" : "muted" }, n)))),
      "grid counts",
    ),
  );
  if (!total) box.append(h("p", { class: "muted" }, t("diff_nothing")));
  if (r.breached) {
    box.append(h("h4", {}, t("breached")), h("p", {}, t("breached_line", r.breached.old, r.breached.new)));
  }
  const ex = r.examples || [];
  if (ex.length) {
    box.append(
      h("h4", {}, t("examples")),
      table(
        [t("col_id"), t("col_field"), t("col_old"), t("col_new")],
        ex.map((e) => h("tr", {}, h("td", {}, e.ticket), h("td", {}, fieldLabel(e.field)), h("td", { class: "t" }, fmt(e.old)), h("td", { class: "t" }, fmt(e.new)))),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Save, download, revert

async function save() {
  setStatus(() => t("saving"));
  const r = await call("PUT", "v1/policy", draft());
  if (r.status === 200 && r.data && r.data.saved) {
    state.servingSource = draft();
    state.policyName = r.data.name ?? state.policyName;
    state.policyVersion = r.data.version ?? state.policyVersion;
    updatePolicyInfo();
    updateDirty();
    setStatus(() => t("saved", state.policyName, state.policyVersion), "ok");
    if (state.diffRan) runDiff(false);
  } else if (r.status === 403) {
    setStatus(() => t("save_forbidden", r.message), "error");
  } else if (r.status === 422 && r.data && r.data.diagnostics) {
    applyDiagnostics(r.data.diagnostics, false);
    setStatus(() => t("save_invalid"), "error");
  } else {
    setStatus(() => t("save_failed", r.status, r.message), "error");
  }
}

function download() {
  const name = basename(state.policyPath) || "policy.toml";
  const blob = new Blob([draft()], { type: "application/toml" });
  const a = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  setStatus(() => t("downloaded", name), "ok");
}

function revert() {
  if (state.servingSource == null) return;
  if (draft() !== state.servingSource && !window.confirm(t("revert_confirm"))) return;
  setDraft(state.servingSource);
  setStatus(() => t("reverted"), "ok");
}

// ---------------------------------------------------------------------------------------------
// Tabs, language, keys

const TABS = ["decisions", "explain", "tests", "whatif"];

function selectTab(name, focus = false) {
  for (const n of TABS) {
    const tab = $(`tab-${n}`);
    const on = n === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${n}`).hidden = !on;
    if (on && focus) tab.focus();
  }
}

function applyLang() {
  const lang = getLang();
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of document.querySelectorAll("[data-i18n-title]")) e.title = t(e.dataset.i18nTitle);
  $("lang").lang = lang === "zh" ? "en" : "zh-CN";
  updatePolicyInfo();
  updateDirty();
  setStatus(lastStatus.text, lastStatus.kind);
  renderDiagnostics();
  renderDecisions();
  renderExplain();
  renderTests();
  renderDiff();
}

function readFileInto(input, target, after) {
  input.addEventListener("change", async () => {
    const f = input.files && input.files[0];
    if (!f) return;
    target.value = await f.text();
    input.value = "";
    setStatus(() => t("file_loaded", f.name), "ok");
    after();
  });
}

function wire() {
  $("save").addEventListener("click", save);
  $("download").addEventListener("click", download);
  $("revert").addEventListener("click", revert);
  $("lang").addEventListener("click", () => {
    setLang(getLang() === "zh" ? "en" : "zh");
    applyLang();
  });
  $("evaluate").addEventListener("click", runEvaluate);
  $("run-cases").addEventListener("click", runTests);
  $("run-diff").addEventListener("click", () => runDiff(true));
  $("cases-served").addEventListener("click", () => {
    if (state.samplesCases) {
      $("cases").value = state.samplesCases;
    } else setStatus(() => t("cases_served_none"), "error");
  });
  $("tickets").addEventListener("input", () => {
    state.selected = null; // row numbers may now point at other tickets
    clearTimeout(ticketsTimer);
    ticketsTimer = setTimeout(runEvaluate, 500);
  });
  $("now").addEventListener("change", refreshResults);
  readFileInto($("tickets-file"), $("tickets"), () => {
    state.selected = null;
    runEvaluate();
  });
  readFileInto($("cases-file"), $("cases"), () => {});
  for (const n of TABS) $(`tab-${n}`).addEventListener("click", () => selectTab(n));
  document.querySelector('[role="tablist"]').addEventListener("keydown", (e) => {
    const i = TABS.findIndex((n) => $(`tab-${n}`).getAttribute("aria-selected") === "true");
    let j = -1;
    if (e.key === "ArrowRight") j = (i + 1) % TABS.length;
    else if (e.key === "ArrowLeft") j = (i + TABS.length - 1) % TABS.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = TABS.length - 1;
    if (j >= 0) {
      e.preventDefault();
      selectTab(TABS[j], true);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented) return; // the editor handled it (F8 there, say)
    const mod = e.ctrlKey || e.metaKey;
    if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    } else if (mod && e.key === "Enter") {
      e.preventDefault();
      runEvaluate();
    } else if (e.altKey && !mod && /^[1-4]$/.test(e.key)) {
      e.preventDefault();
      selectTab(TABS[Number(e.key) - 1], true);
    } else if (e.key === "F8") {
      e.preventDefault();
      view.focus();
      nextDiagnostic(view);
    }
  });
  window.addEventListener("beforeunload", (e) => {
    if (state.servingSource != null && draft() !== state.servingSource) e.preventDefault();
  });
}

async function load() {
  setStatus(() => t("loading"));
  const [p, s] = await Promise.all([call("GET", "v1/policy"), call("GET", "v1/samples")]);
  if (s.status === 200 && s.data) {
    if (s.data.tickets && !$("tickets").value.trim()) $("tickets").value = s.data.tickets;
    state.samplesCases = s.data.cases || null;
    if (state.samplesCases && !$("cases").value.trim()) $("cases").value = state.samplesCases;
  }
  $("cases-served").disabled = !state.samplesCases;
  if (p.status !== 200 || !p.data) {
    setStatus(() => t("load_failed", p.message), "error");
    return;
  }
  state.policyPath = p.data.path || "policy.toml";
  state.policyName = p.data.name || "";
  state.policyVersion = p.data.version || "";
  state.servingSource = p.data.source || "";
  updatePolicyInfo();
  setDraft(state.servingSource); // triggers the first check, then the decisions
  const n = ticketLines().length;
  const { policyName, policyVersion } = state;
  setStatus(() => (n ? `${t("loaded", policyName, policyVersion)} ${t("samples_loaded", n)}` : t("loaded", policyName, policyVersion)), "ok");
}

initLang();
wire();
applyLang();
load();
