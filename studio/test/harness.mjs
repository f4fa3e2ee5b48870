// Starts the real `aftercare serve` on 127.0.0.1 (an ephemeral port) over a temporary copy of the
// bundled policy, and a headless Chromium (Debian's package) driven by playwright-core.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const binary = resolve(repo, process.env.AFTERCARE_BIN || "target/debug/aftercare");
export const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const screenshots = join(repo, "target", "studio-screenshots");

/** A folder with the default policy, what it includes, the sample tickets and a cases file. */
export function policyCopy() {
  const dir = mkdtempSync(join(tmpdir(), "aftercare-studio-"));
  const src = join(repo, "policies");
  cpSync(join(src, "default.toml"), join(dir, "default.toml"));
  cpSync(join(src, "calendars"), join(dir, "calendars"), { recursive: true });
  // The text models the default policy reads (`[models.*] path`, relative to the policy).
  cpSync(join(src, "models"), join(dir, "models"), { recursive: true });
  mkdirSync(join(dir, "samples"));
  cpSync(join(src, "samples", "tickets.jsonl"), join(dir, "samples", "tickets.jsonl"));
  mkdirSync(join(dir, "tests"));
  // Its `policy = "../default.toml"` names the copy.
  cpSync(join(src, "tests", "sla.toml"), join(dir, "tests", "sla.toml"));
  return dir;
}

/**
 * Runs `aftercare serve` on `dir`'s policy; resolves to { url, stop, output } once /healthz
 * answers. The port is the one the service reports in its "listening" log line.
 */
export async function startServer(dir, { allowWrite = true, samples = true } = {}) {
  const args = ["serve", join(dir, "default.toml"), "--addr", "127.0.0.1:0"];
  if (allowWrite) args.push("--allow-write");
  if (samples) args.push("--samples", join(dir, "samples", "tickets.jsonl"), "--cases", join(dir, "tests", "sla.toml"));
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "info" } });
  let output = "";
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line from ${binary} within 30 s:\n${output}`)), 30000);
    const read = (chunk) => {
      output += chunk;
      const m = /listening.*?127\.0\.0\.1:(\d+)|127\.0\.0\.1:(\d+).*?listening/.exec(output);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1] || m[2]));
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("error", (e) => {
      clearTimeout(timer);
      fail(new Error(`cannot start ${binary} (build it with \`cargo build\`, or set AFTERCARE_BIN): ${e.message}`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${binary} exited with ${code}:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}healthz`);
      if (r.ok) break;
    } catch (_) {
      // not up yet
    }
    if (i > 100) throw new Error(`${url}healthz never answered:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode != null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, stop, output: () => output };
}

/** A fresh headless Chromium profile; resolves to { page, close }. */
export async function startBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "aftercare-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15000);
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { page, context, close };
}

export function shot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  return page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: false });
}

/**
 * Replaces the first match of `find` after the start of the policy with `replacement`, the way
 * a person does: Ctrl+F, type, Enter, Escape, type over the selection.
 */
export async function replaceInEditor(page, find, replacement) {
  await page.click(".cm-content");
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Control+f");
  const field = page.locator(".cm-search input[name=search]");
  await field.fill("");
  await field.pressSequentially(find);
  await field.press("Enter");
  await field.press("Escape");
  await page.keyboard.type(replacement);
}
