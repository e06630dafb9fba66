// EdgeMark's npm package in real headless Chromium: the demo page detects in watermarked
// and clean images, and every finding must equal the native CLI's (`edgemark detect --json`)
// on the same files. Run by wasm/tests/run.sh, which builds and installs what this needs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLI, FIXTURES, serve, launch, openDemo, nativeDetect, assertSameReport } from "./harness.mjs";

let server;
let browser;
let page;

const images = readdirSync(FIXTURES).filter((f) => /\.(png|jpg)$/.test(f) && f !== "corrupt.png").sort();
const pngs = images.filter((f) => f.endsWith(".png"));
const fixture = (f) => path.join(FIXTURES, f);

before(async () => {
  assert.ok(images.length >= 8, `expected the fixtures in ${FIXTURES} (run wasm/tests/run.sh)`);
  server = await serve();
  browser = await launch();
  page = browser.page;
  await openDemo(page, server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const detectIn = (name, mode, opts) =>
  page.evaluate(([u, m, o]) => window.edgemarkDemo.detectUrl(u, m, o), [`/fixtures/${name}`, mode, opts]);

test("the fixtures are meaningful: the CLI finds SDXL marks and no false positive", () => {
  const native = nativeDetect(images.map(fixture));
  const detected = (f) => native.get(fixture(f)).findings.some((x) => x.detected);
  const marked = images.filter((f) => f.startsWith("sdxl-"));
  const clean = images.filter((f) => f.startsWith("clean-"));
  assert.ok(marked.filter(detected).length >= 3, "at least 3 SDXL-marked images detected natively");
  assert.deepEqual(clean.filter(detected), [], "no clean image detected natively");
});

test("encoded bytes (Uint8Array): findings equal the native CLI's", async () => {
  const native = nativeDetect(images.map(fixture));
  for (const f of images) {
    const { report } = await detectIn(f, "bytes");
    assertSameReport(report, native.get(fixture(f)), f);
  }
});

test("browser-decoded ImageData of PNGs: findings equal the native CLI's", async () => {
  const native = nativeDetect(pngs.map(fixture));
  for (const f of pngs) {
    const { report } = await detectIn(f, "pixels");
    assertSameReport(report, native.get(fixture(f)), `${f} (ImageData)`);
  }
});

test("custom scheme and message, with the preset: equal to the CLI", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "edgemark-wasm-"));
  const marked = path.join(dir, "svd.png");
  execFileSync(CLI, ["embed", "--scheme", "dwtDctSvd", "--message", "text:EdgeMark", fixture(pngs[0]), marked], { stdio: "pipe" });
  const args = ["--preset", "sdxl", "--scheme", "dwtDctSvd", "--message", "text:EdgeMark"];
  const files = [marked, fixture(pngs[0])];
  const native = nativeDetect(files, args);
  const opts = { presets: ["sdxl"], watermarks: [{ scheme: "dwtDctSvd", message: "text:EdgeMark" }] };
  for (const file of files) {
    const bytes = [...readFileSync(file)];
    const report = await page.evaluate(([b, o]) => {
      const d = new window.edgemarkDemo.Detector(o);
      try { return d.detect(new Uint8Array(b)); } finally { d.free(); }
    }, [bytes, opts]);
    assertSameReport(report, native.get(file), path.basename(file));
  }
  assert.equal(native.get(marked).findings[1].detected, true, "the CLI-embedded message is found");
  // The keys say what they hold: the preset's name and the scheme that reads it.
  const [sdxl, svd] = native.get(marked).findings;
  assert.deepEqual([sdxl.watermark, sdxl.scheme, svd.watermark, svd.scheme],
    ["sdxl", "dwtDct", "dwtDctSvd", "dwtDctSvd"]);
  const listed = await page.evaluate((o) => {
    const d = new window.edgemarkDemo.Detector(o);
    try { return d.watermarks().map((w) => [w.name, w.scheme]); } finally { d.free(); }
  }, opts);
  assert.deepEqual(listed, [["sdxl", "dwtDct"], ["dwtDctSvd", "dwtDctSvd"]], "Detector.watermarks()");
});

test("edgemark-v3 preset: the browser finds the CLI-embedded payload without being told it", async () => {
  // A photo large enough for v3's open-set decision (fetched by scripts/fetch-photos.sh).
  const photo = path.join(path.dirname(new URL(import.meta.url).pathname), "../../.cache/photos/leuvenA.jpg");
  const dir = mkdtempSync(path.join(tmpdir(), "edgemark-wasm-v3-"));
  const marked = path.join(dir, "v3.png");
  execFileSync(CLI, ["embed", "--scheme", "edgemark-v3", "--message", "0x00C0FFEE", photo, marked], { stdio: "pipe" });
  const native = nativeDetect([marked, photo], ["--preset", "edgemark-v3"]);
  for (const file of [marked, photo]) {
    const bytes = [...readFileSync(file)];
    const report = await page.evaluate((b) => {
      const d = new window.edgemarkDemo.Detector({ presets: ["edgemark-v3"] });
      try { return d.detect(new Uint8Array(b)); } finally { d.free(); }
    }, bytes);
    const [a, n] = [report.findings[0], native.get(file).findings[0]];
    const label = path.basename(file);
    // Float rounding may differ between wasm and native in the last digit of the pose, so the
    // decision, the payload and the corrected bits are compared, not the variant text.
    assert.equal(a.watermark, "edgemark-v3", label);
    assert.equal(a.scheme, "edgemark-v3", label);
    assert.equal(a.detected, n.detected, `${label}: detected`);
    if (n.detected) {
      assert.deepEqual([a.payload, a.matched_bits], [n.payload, n.matched_bits], `${label}: payload`);
    }
  }
  assert.equal(native.get(marked).findings[0].detected, true, "the CLI reads its own v3 mark");
  assert.equal(native.get(marked).findings[0].payload.hex, "0x00C0FFEE");
  assert.equal(native.get(photo).findings[0].detected, false, "the clean photo is clean");
});

test("embed in the browser writes the same PNG as the CLI", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "edgemark-wasm-"));
  const cover = fixture(pngs[1]);
  for (const [options, cliArgs] of [
    [{ scheme: "dwtDct", message: "text:hi!" }, ["--scheme", "dwtDct", "--message", "text:hi!"]],
    [{ scheme: "sdxl" }, ["--scheme", "sdxl"]],
  ]) {
    const out = path.join(dir, `${options.scheme}.png`);
    execFileSync(CLI, ["embed", ...cliArgs, cover, out], { stdio: "pipe" });
    const result = await page.evaluate(([b, o]) => {
      const r = window.edgemarkDemo.embed(new Uint8Array(b), { ...o, output: "both" });
      return { ...r, png: [...r.png], rgbaLength: r.rgba.length };
    }, [[...readFileSync(cover)], options]);
    assert.deepEqual(Buffer.from(result.png), readFileSync(out), `${options.scheme}: PNG bytes equal the CLI's`);
    assert.equal(result.rgbaLength, result.width * result.height * 4);
    assert.ok(result.psnr > 30 && Number.isFinite(result.psnr), `${options.scheme}: PSNR ${result.psnr}`);
  }
});

test("schemes() and presets() list what `edgemark schemes` lists, models aside", async () => {
  const cli = execFileSync(CLI, ["schemes", "--json"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((s) => s.kind !== "model");
  assert.ok(cli.some((s) => s.name === "dwtDct") && cli.some((s) => s.preset), JSON.stringify(cli));
  const { schemes, presets } = await page.evaluate(async () => {
    const mod = await import("/pkg/edgemark.js");
    return { schemes: mod.schemes(), presets: mod.presets() };
  });
  assert.deepEqual(schemes, cli);
  assert.deepEqual(presets, cli.filter((s) => s.preset).map(({ name, description }) => ({ name, description })));
});

test("errors are JS exceptions with clear messages", async () => {
  const native = nativeDetect([fixture("corrupt.png")]);
  const r = await page.evaluate(async () => {
    const { Detector, embed } = window.edgemarkDemo;
    const catching = (f) => { try { f(); return "no error"; } catch (e) { return `${e instanceof Error}:${e.message}`; } };
    const d = new Detector();
    const bytes = new Uint8Array(await (await fetch("/fixtures/corrupt.png")).arrayBuffer());
    const out = {
      corrupt: catching(() => d.detect(bytes)),
      empty: catching(() => d.detect(new Uint8Array(0))),
      string: catching(() => d.detect("photo.png")),
      shortPixels: catching(() => d.detect({ data: new Uint8ClampedArray(10), width: 4, height: 4 })),
      preset: catching(() => new Detector({ presets: ["nope"] })),
      field: catching(() => new Detector({ fpt: 1e-3 })),
      fpr: catching(() => new Detector({ fpr: 2 })),
      embedNoMessage: catching(() => embed(bytes, { scheme: "dwtDct" })),
    };
    d.free();
    return out;
  });
  assert.equal(r.corrupt, `true:${native.get(fixture("corrupt.png")).error}`);
  assert.equal(r.empty, "true:empty input: no bytes to decode");
  assert.match(r.string, /^true:cannot read a string: expected ImageData/);
  assert.equal(r.shortPixels, "true:RGBA data of 10 bytes does not match 4x4 (needs 64 bytes)");
  assert.match(r.preset, /^true:unknown preset 'nope'|^true:invalid configuration: unknown preset 'nope'/);
  assert.match(r.field, /^true:invalid detector options: unknown field `fpt`/);
  assert.match(r.fpr, /^true:invalid configuration: false-positive rate 2 must be in \(0, 1\)/);
  assert.equal(r.embedNoMessage, "true:invalid message: embedding with 'dwtDct' needs a message");
});

test("a panic becomes a JS Error with its message, and the module keeps working", async () => {
  const r = await page.evaluate(async () => {
    const mod = await import("/pkg/edgemark.js");
    let caught;
    try { mod.__testPanic(); caught = "no error"; } catch (e) { caught = `${e instanceof Error}:${e.message}`; }
    const d = new mod.Detector();
    const report = d.detect(new Uint8Array(await (await fetch("/fixtures/sdxl-astronaut.png")).arrayBuffer()));
    d.free();
    return { caught, last: mod.lastPanic(), width: report.width };
  });
  assert.match(r.caught, /^true:edgemark panicked: deliberate panic requested by __testPanic \(at wasm\/src\/panic.rs:\d+\)$/);
  assert.equal(r.last, r.caught.slice("true:".length));
  assert.ok(r.width > 0);
  assert.ok(browser.logs.some((l) => l.startsWith("error: edgemark panicked")), "logged to the console");
});

test("the demo page shows findings for a picked file", async () => {
  const marked = images.find((f) => f.startsWith("sdxl-") && nativeDetect([fixture(f)]).get(fixture(f)).findings[0].detected);
  await page.setInputFiles("#file", fixture(marked));
  const row = page.locator(".result").first();
  await row.locator("td.yes").waitFor({ timeout: 20000 });
  assert.match(await row.locator(".name").textContent(), new RegExp(marked.replace(".", "\\.")));
  assert.match(await row.locator(".meta").textContent(), /detect \d+\.\d ms/);
  assert.match(await row.locator("tbody").textContent(), /0xB3EC907BB19E/);
});
