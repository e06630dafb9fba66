// Shared by the browser tests and the benchmark: a localhost static server for wasm/ (demo
// and pkg) plus a fixtures folder and the fetched models, headless Chromium through
// playwright-core, the native CLI's JSON output, and the report comparison.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const WASM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(WASM_DIR, "..");
export const FIXTURES = process.env.EDGEMARK_WASM_FIXTURES ?? path.join(ROOT, "target", "wasm-fixtures");
export const CLI = process.env.EDGEMARK_CLI ?? path.join(ROOT, "target", "release", "edgemark");
export const CHROMIUM = process.env.EDGEMARK_CHROMIUM ?? "/usr/bin/chromium";
export const MODELS = path.join(ROOT, "models");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm",
  ".png": "image/png", ".jpg": "image/jpeg", ".ts": "text/plain",
};

/** Serves `/fixtures/...` from FIXTURES, `/models/...` from models/ and everything else from
 *  wasm/; `pages`: generated HTML by path (e.g. {"/screen/text.html": "<!doctype html>..."}).
 *  Returns {url, close}. */
export async function serve(pages = {}) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://localhost");
      const rel = decodeURIComponent(url.pathname);
      if (Object.hasOwn(pages, rel)) {
        res.writeHead(200, { "content-type": TYPES[".html"] });
        res.end(pages[rel]);
        return;
      }
      if (rel === "/gallery.html") {
        // A page of fixture images, for the extension test: /gallery.html?img=a.png&img=b.jpg
        const imgs = url.searchParams.getAll("img").map((f) => `<img src="/fixtures/${encodeURIComponent(f)}" alt="">`);
        res.writeHead(200, { "content-type": TYPES[".html"] });
        res.end(`<!doctype html><meta charset="utf-8"><title>gallery</title><body>${imgs.join("\n")}</body>`);
        return;
      }
      const [base, sub] = rel.startsWith("/fixtures/") ? [FIXTURES, rel.slice("/fixtures/".length)]
        : rel.startsWith("/models/") ? [MODELS, rel.slice("/models/".length)] : [WASM_DIR, rel];
      const file = path.join(base, sub);
      if (!file.startsWith(base) || !(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(ok)) };
}

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Headless Chromium with the flags CI uses and a fresh profile; `extension`: a folder to load
 *  unpacked. Returns {context, page, logs, close}. */
export async function launch(extension = undefined) {
  const profile = mkdtempSync(path.join(tmpdir(), "edgemark-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS,
      ...(extension ? [`--disable-extensions-except=${extension}`, `--load-extension=${extension}`,
        "--disable-features=DisableLoadExtensionCommandLineSwitch"] : [])],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  return {
    context, page, logs,
    close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

/** Headless Chromium (same flags) as a playwright Browser, for tests that need their own
 *  contexts (`browser.newContext({deviceScaleFactor, viewport})`). */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Opens the demo page and waits for the module. */
export async function openDemo(page, baseUrl) {
  await page.goto(`${baseUrl}/demo/index.html`);
  await page.evaluate(() => window.edgemarkDemo.ready);
}

/** Runs `edgemark detect --json ARGS... FILES...`; returns a Map from file to its JSON line. */
export function nativeDetect(files, args = []) {
  const out = execFileSync(CLI, ["detect", "--json", ...args, ...files], { encoding: "utf8" });
  const map = new Map();
  for (const line of out.split("\n").filter(Boolean)) {
    const j = JSON.parse(line);
    map.set(j.file, j);
  }
  return map;
}

/** Asserts that a report from the browser equals the CLI's JSON line for the same file.
 *  `certaintyTol`: serde_json prints the f32 certainty in its shortest f32 form and JS sees
 *  the f32 widened (1e-6); a neural decoder's float sums may differ in the last bits. */
export function assertSameReport(actual, native, label, certaintyTol = 1e-6) {
  assert.equal(native.error, undefined, `${label}: native error ${native.error}`);
  assert.equal(actual.width, native.width, `${label}: width`);
  assert.equal(actual.height, native.height, `${label}: height`);
  assert.equal(actual.findings.length, native.findings.length, `${label}: number of findings`);
  actual.findings.forEach((a, i) => {
    const n = native.findings[i];
    const where = `${label} finding ${i} (${n.watermark})`;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(n).sort(), `${where}: fields`);
    for (const key of ["watermark", "scheme", "bits", "detected", "matched_bits", "total_bits", "variant", "error"]) {
      assert.deepEqual(a[key], n[key], `${where}: ${key}`);
    }
    assert.deepEqual(a.payload, n.payload, `${where}: payload`);
    if (n.p_value === null) {
      assert.equal(a.p_value, null, `${where}: p_value`);
    } else {
      const rel = Math.abs(a.p_value - n.p_value) / Math.max(Math.abs(n.p_value), Number.MIN_VALUE);
      assert.ok(rel <= 1e-12, `${where}: p_value ${a.p_value} vs native ${n.p_value}`);
    }
    assert.ok(Math.abs(a.certainty - n.certainty) <= certaintyTol,
      `${where}: certainty ${a.certainty} vs ${n.certainty}`);
  });
}
