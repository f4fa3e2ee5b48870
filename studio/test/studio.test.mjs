// Browser tests of the studio against the real service: the scenario of a service manager who
// opens the studio, breaks a deadline, fixes it, checks what it changes, and saves it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { policyCopy, replaceInEditor, repo, shot, startBrowser, startServer } from "./harness.mjs";

// A fixed instant, so that every clock status is the same on every run.
const NOW = "2025-10-15T12:00:00+08:00";
const SAMPLES = 29;

function lineOf(text, needle) {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `the policy has ${needle}`);
  return text.slice(0, i).split("\n").length;
}

describe("studio with --allow-write", () => {
  let dir;
  let server;
  let browser;
  let page;
  const foreign = [];
  const pageErrors = [];

  before(async () => {
    dir = policyCopy();
    server = await startServer(dir);
    browser = await startBrowser();
    page = browser.page;
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) foreign.push(r.url());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("loads the serving policy and decides the server's sample tickets", async () => {
    await page.goto(server.url);
    await page.locator("#policy-info").filter({ hasText: "after-sales default" }).waitFor();
    await page.locator("#check-summary.ok").waitFor();
    assert.match(await page.locator(".cm-content").innerText(), /\[policy\]/);
    const rows = page.locator("#decisions tbody tr");
    await rows.nth(SAMPLES - 1).waitFor();
    // The same instant everywhere from here on.
    const evaluated = page.waitForResponse((r) => r.url().endsWith("/v1/draft/evaluate") && r.request().postDataJSON().now === NOW);
    await page.fill("#now", NOW);
    await page.press("#now", "Enter");
    await evaluated;
    await page.locator("#status").filter({ hasText: `Evaluated ${SAMPLES}` }).waitFor();
    assert.equal(await rows.count(), SAMPLES);
    assert.equal(await page.locator("#decisions tr.err").count(), 0);
    const first = page.locator('#decisions tr[data-ticket="FB202405001"]');
    assert.equal(await first.locator('[data-col="category"]').innerText(), "complaint");
    assert.equal(await first.locator('[data-col="priority"]').innerText(), "high");
    assert.match(await first.locator('[data-col="route"]').innerText(), /after_sales_tech \/ east_service_team/);
    assert.match(await first.locator('[data-col="first_response"]').innerText(), /2024-05-06 14:30/);
    await shot(page, "01-loaded");
  });

  it("shows a broken deadline's diagnostic at its line and column, and marks the decisions old", async () => {
    const source = await (await fetch(`${server.url}v1/policy`)).json();
    const line = lineOf(source.source, 'first_response = "4h"');
    await replaceInEditor(page, '"4h"', '"4hours"');
    // Waiting for the final text: a check may have run while it was being typed.
    const item = page.locator(`#diagnostics button.error[data-line="${line}"]`, { hasText: "4hours" });
    await item.waitFor();
    assert.match(await item.innerText(), new RegExp(`^${line}:18`));
    assert.match(await item.innerText(), /bad duration `4hours`/);
    await page.locator("#check-summary.bad").waitFor();
    await page.locator("#decisions-summary.stale").waitFor();
    // The editor underlines it on that line: jump there from the list.
    await item.click();
    const active = page.locator(".cm-activeLine");
    assert.match(await active.innerText(), /first_response = "4hours"/);
    assert.equal(await active.locator(".cm-lintRange-error").count(), 1);
    assert.match(await active.locator(".cm-lintRange-error").innerText(), /4hours/);
    assert.ok((await page.locator(".cm-lint-marker-error").count()) >= 1, "a marker in the gutter");
    await shot(page, "02-broken");
  });

  it("fixing it with a new deadline updates the decisions and highlights what changed", async () => {
    await replaceInEditor(page, '"4hours"', '"5h"');
    await page.locator("#check-summary.ok").waitFor();
    const first = page.locator('#decisions tr[data-ticket="FB202405001"]');
    await first.locator('[data-col="first_response"]', { hasText: "2024-05-06 15:30" }).waitFor();
    assert.equal(await page.locator("#decisions-summary.stale").count(), 0);
    assert.ok(await first.locator('[data-col="first_response"].changed').count(), "the changed cell is highlighted");
    assert.equal(await first.locator('[data-col="category"].changed').count(), 0);
    assert.match(await page.locator("#dirty").innerText(), /unsaved/);
    await shot(page, "03-fixed");
  });

  it("shows a lint as a warning at its line while the draft still decides", async () => {
    const source = await (await fetch(`${server.url}v1/policy`)).json();
    const line = lineOf(source.source, 'id = "angry-complaint"');
    // VIP complaints widened to every complaint: the rules after it can never match.
    await replaceInEditor(page, ', "customer.tier" = "vip" }', " }");
    const item = page.locator(`#diagnostics button.warning[data-line="${line}"]`);
    await item.waitFor();
    assert.match(await item.innerText(), /`angry-complaint` can never match/);
    assert.match(await item.innerText(), /move `angry-complaint` above/, "the hint is shown");
    await page.locator("#check-summary.ok", { hasText: /\d+ warnings/ }).waitFor();
    // Still loads, so the decisions follow: a regular customer's complaint is urgent now.
    const first = page.locator('#decisions tr[data-ticket="FB202405001"]');
    await first.locator('[data-col="priority"].changed', { hasText: "urgent" }).waitFor();
    await item.click();
    assert.equal(await page.locator(".cm-activeLine .cm-lintRange-warning").count(), 1);
    await shot(page, "03b-lint");
    await replaceInEditor(page, 'when = { category = "complaint" }', 'when = { category = "complaint", "customer.tier" = "vip" }');
    await page.locator("#check-summary.ok", { hasText: "The draft loads." }).waitFor();
    await first.locator('[data-col="priority"]', { hasText: "high" }).waitFor();
  });

  it("counts columns in characters: a problem after Chinese text is underlined where it is", async () => {
    await replaceInEditor(page, 'label = "投诉类"', 'label = "投诉类" ; oops');
    const source = await (await fetch(`${server.url}v1/policy`)).json();
    const line = lineOf(source.source, 'label = "投诉类"');
    const item = page.locator(`#diagnostics button.error[data-line="${line}"]`, { hasText: "expected newline" });
    await item.waitFor();
    // `label = "投诉类" ` is 14 characters (20 bytes in UTF-8): the problem starts at the 15th.
    assert.match(await item.innerText(), new RegExp(`^${line}:15`));
    await item.click();
    assert.match(await page.locator(".cm-activeLine .cm-lintRange-error").innerText(), /^;/);
    await replaceInEditor(page, '"投诉类" ; oops', '"投诉类"');
    await page.locator("#check-summary.ok").waitFor();
  });

  it("explains a ticket with its business-time windows and skipped holidays on a timeline", async () => {
    await page.click('#decisions tr[data-ticket="FB202509007"] button.link');
    await page.locator("#panel-explain:not([hidden]) svg.timeline").waitFor();
    assert.match(await page.locator("#explain-body h3").innerText(), /FB202509007/);
    assert.ok((await page.locator("svg.timeline rect.window").count()) > 3, "windows drawn");
    assert.ok((await page.locator("svg.timeline rect.holiday").count()) >= 1, "the October holiday drawn");
    assert.ok((await page.locator("#explain-body ol.trace li").count()) >= 3, "the trace listed");
    await shot(page, "04-explain");
  });

  it("runs the served cases against the draft and shows failures and rule coverage", async () => {
    await page.keyboard.press("Alt+3");
    assert.match(await page.locator("#cases").inputValue(), /\[\[case\]\]/);
    await page.click("#run-cases");
    const summary = page.locator("#tests-summary");
    await summary.waitFor();
    // The cases were written for 4h: the new deadline fails some of them.
    const [, passed, failed] = /(\d+) passed, (\d+) failed/.exec(await summary.innerText()).map(Number);
    assert.ok(passed > 0 && failed > 0, `${passed} passed, ${failed} failed`);
    assert.match(await page.locator("#coverage-line").innerText(), /\d+ of \d+ rules hit \(\d+(\.\d)?%\)/);
    assert.ok(await page.locator("#test-results td", { hasText: "sla.first_response.due" }).count());
    await shot(page, "05-cases");
  });

  it("what-if: counts the decisions the draft changes against the serving policy", async () => {
    await page.keyboard.press("Alt+4");
    await page.click("#run-diff");
    await page.locator("#diff-summary").waitFor();
    assert.match(await page.locator("#diff-summary").innerText(), new RegExp(`^${SAMPLES} tickets compared`));
    const count = async (field) => Number(await page.locator(`#diff-results tr[data-field="${field}"] td:nth-child(2)`).innerText());
    assert.ok((await count("first_response_due")) > 0);
    assert.equal(await count("category"), 0);
    assert.equal(await count("resolution_due"), 0);
    assert.ok(await page.locator("#diff-results td", { hasText: "FB202405001" }).count(), "examples listed");
    await shot(page, "06-whatif");
  });

  it("saves the draft from the editor's keys: the file is replaced and the service serves it", async () => {
    const original = readFileSync(join(repo, "policies", "default.toml"), "utf8");
    // In the editor, Ctrl+Enter evaluates (and inserts no line) and Ctrl+S saves.
    await page.click(".cm-content");
    const evaluated = page.waitForResponse((r) => r.url().endsWith("/v1/draft/evaluate"));
    await page.keyboard.press("Control+Enter");
    await evaluated;
    await page.keyboard.press("Control+s");
    await page.locator("#status.ok", { hasText: "Saved" }).waitFor();
    assert.equal(readFileSync(join(dir, "default.toml"), "utf8"), original.replace('first_response = "4h"', 'first_response = "5h"'));
    assert.deepEqual(readdirSync(dir).sort(), ["calendars", "default.toml", "models", "samples", "tests"], "no temporary file left");
    const served = await (await fetch(`${server.url}v1/policy`)).json();
    assert.match(served.source, /first_response = "5h"/);
    assert.match(await page.locator("#dirty").innerText(), /same as serving/);
    // The what-if baseline is now the saved policy: nothing changes.
    await page.locator('#diff-results tr[data-field="first_response_due"] td:nth-child(2)', { hasText: /^0$/ }).waitFor();
    await shot(page, "07-saved");
  });

  it("refuses to save a draft with errors and says so", async () => {
    await replaceInEditor(page, '"5h"', '"5hours"');
    await page.locator("#check-summary.bad").waitFor();
    await page.click("#save");
    await page.locator("#status.error", { hasText: "did not save" }).waitFor();
    assert.match(readFileSync(join(dir, "default.toml"), "utf8"), /first_response = "5h"/);
    await replaceInEditor(page, '"5hours"', '"5h"');
    await page.locator("#check-summary.ok").waitFor();
  });

  it("reads in Chinese", async () => {
    await page.keyboard.press("Alt+1");
    await page.click("#lang");
    assert.equal(await page.locator("#tab-decisions").innerText(), "工单与决策");
    assert.equal(await page.locator("#save").innerText(), "保存到服务器");
    assert.equal(await page.locator("html").getAttribute("lang"), "zh-CN");
    await page.locator("#decisions th", { hasText: "首次响应时限" }).waitFor();
    await shot(page, "08-chinese");
    await page.click('#decisions tr[data-ticket="FB202510001"] button.link');
    await page.locator("#explain-body h3", { hasText: "FB202510001" }).waitFor();
    await page.locator("#panel-explain:not([hidden]) svg.timeline").waitFor();
    await shot(page, "09-chinese-explain");
    await page.click("#lang");
    assert.equal(await page.locator("#tab-decisions").innerText(), "Tickets & decisions");
  });

  it("talked to its own server only, without script errors", () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});

describe("studio without --allow-write", () => {
  let dir;
  let server;
  let browser;

  before(async () => {
    dir = policyCopy();
    server = await startServer(dir, { allowWrite: false, samples: false });
    browser = await startBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("works without samples, explains why it cannot save, and downloads the TOML instead", async () => {
    const { page } = browser;
    const original = readFileSync(join(dir, "default.toml"), "utf8");
    await page.goto(server.url);
    await page.locator("#check-summary.ok").waitFor();
    assert.equal(await page.locator("#tickets").inputValue(), "");
    assert.match(await page.locator("#decisions-summary").innerText(), /No tickets yet/);
    // Pasted tickets, one of them broken: its row says so, the others are decided.
    const lines = readFileSync(join(dir, "samples", "tickets.jsonl"), "utf8").trim().split("\n").slice(0, 2);
    await page.fill("#tickets", [lines[0], '{"id": "BAD-1", "created_at": "yesterday"}', lines[1]].join("\n"));
    await page.locator("#decisions tbody tr").nth(2).waitFor();
    assert.equal(await page.locator("#decisions tr.err").count(), 1);
    assert.match(await page.locator("#decisions tr.err").innerText(), /BAD-1/);
    await replaceInEditor(page, '"6h"', '"7h"');
    await page.locator("#check-summary.ok").waitFor();
    await page.click("#save");
    await page.locator("#status.error", { hasText: "--allow-write" }).waitFor();
    assert.match(await page.locator("#status").innerText(), /Download TOML/);
    assert.equal(readFileSync(join(dir, "default.toml"), "utf8"), original);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    assert.equal(download.suggestedFilename(), "default.toml");
    const saved = readFileSync(await download.path(), "utf8");
    assert.equal(saved, original.replace('first_response = "6h"', 'first_response = "7h"'));
    await shot(page, "10-read-only");
  });

  it("reads uploaded tickets and cases files", async () => {
    const { page } = browser;
    assert.equal(await page.locator("#cases-served").isDisabled(), true, "the server has no cases");
    await page.setInputFiles("#tickets-file", join(dir, "samples", "tickets.jsonl"));
    await page.locator("#decisions tbody tr").nth(SAMPLES - 1).waitFor();
    assert.equal(await page.locator("#decisions tbody tr").count(), SAMPLES);
    await page.keyboard.press("Alt+3");
    await page.setInputFiles("#cases-file", join(dir, "tests", "sla.toml"));
    // The file is read asynchronously. The status line says when, but a late answer to the
    // tickets' evaluation may already have replaced that line: wait for the text itself.
    await page.waitForFunction(() => document.querySelector("#cases").value.includes("[[case]]"));
    await page.click("#run-cases");
    // The draft's medium first response is 7h now: the cases written for 6h fail.
    await page.locator("#tests-summary", { hasText: /\d+ passed, [1-9]\d* failed/ }).waitFor();
  });
});
