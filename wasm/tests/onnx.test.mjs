// The onnx package (wasm/pkg-onnx: tract inside) in real headless Chromium: the page loads
// the RivaGAN decoder and its model card, decodes a 256x256 image the native CLI marked with
// RivaGAN, and the finding (bits, detected, p-value, ...) must equal `edgemark detect --json`
// on the same file; the same for EdgeMark's own edgemark-hidden-48 (committed in models/)
// on a marked image and a crop of it. Run by wasm/tests/run.sh, which builds wasm/pkg-onnx; needs the RivaGAN
// files (scripts/fetch-rivagan.sh). A missing package or model fails, it is never skipped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLI, MODELS, WASM_DIR, serve, launch, nativeDetect, assertSameReport } from "./harness.mjs";

const MESSAGE = "0xDEADBEEF";
const CARD = path.join(MODELS, "rivagan", "card.toml");
const DECODER = path.join(MODELS, "rivagan", "rivagan_decoder.onnx");
const COVER_SOURCE = "/fixtures/clean-astronaut.png";

let server;
let browser;
let page;
let dir;

before(async () => {
  assert.ok(existsSync(path.join(WASM_DIR, "pkg-onnx", "edgemark_bg.wasm")),
    "wasm/pkg-onnx missing: run EDGEMARK_WASM_FEATURES=onnx wasm/scripts/build.sh (wasm/tests/run.sh does)");
  assert.ok(existsSync(DECODER), `${DECODER} missing: run scripts/fetch-rivagan.sh`);
  dir = mkdtempSync(path.join(tmpdir(), "edgemark-wasm-onnx-"));
  server = await serve();
  browser = await launch();
  page = browser.page;
  await page.goto(`${server.url}/gallery.html`);
  await page.evaluate(async () => {
    const m = await import("/pkg-onnx/edgemark.js");
    await m.default();
    window.onnxPkg = m;
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Detects in `file` (bytes) with a model loaded in the page from /models/<model>/. */
const detectWith = (model, decoderFile, file, opts = {}) =>
  page.evaluate(async ([model, decoderFile, bytes, o]) => {
    const { Detector } = window.onnxPkg;
    const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    const card = await (await fetch(`/models/${model}/card.toml`)).text();
    const decoder = await get(`/models/${model}/${decoderFile}`);
    const d = new Detector({ models: [{ card, decoder, ...o }] });
    try { return d.detect(new Uint8Array(bytes)); } finally { d.free(); }
  }, [model, decoderFile, [...readFileSync(file)], opts]);

/** Detects in `file` (bytes) with the RivaGAN model. */
const detectInPage = (file, opts = {}) => detectWith("rivagan", "rivagan_decoder.onnx", file, opts);

/** A 256x256 centre crop of a clean photograph, encoded losslessly by the page's canvas. */
async function cover256() {
  const png = await page.evaluate(async (u) => {
    const bmp = await createImageBitmap(await (await fetch(u)).blob(), { colorSpaceConversion: "none" });
    const c = new OffscreenCanvas(256, 256);
    c.getContext("2d").drawImage(bmp, (bmp.width - 256) >> 1, (bmp.height - 256) >> 1, 256, 256, 0, 0, 256, 256);
    return [...new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer())];
  }, COVER_SOURCE);
  const file = path.join(dir, "cover-256.png");
  writeFileSync(file, Buffer.from(png));
  return file;
}

test("RivaGAN in the page: findings equal the native CLI's on a CLI-marked 256x256 image", async () => {
  const cover = await cover256();
  const marked = path.join(dir, "rivagan-256.png");
  execFileSync(CLI, ["embed", "--scheme", "rivagan", "--message", MESSAGE, cover, marked], { stdio: "pipe" });
  const native = nativeDetect([marked, cover], ["--scheme", "rivagan", "--message", MESSAGE]);
  const n = native.get(marked);
  assert.equal(n.width, 256);
  assert.equal(n.findings.length, 1);
  assert.equal(n.findings[0].detected, true, "the CLI finds its own RivaGAN mark");
  assert.equal(n.findings[0].payload.hex, MESSAGE);
  assert.equal(native.get(cover).findings[0].detected, false, "nothing in the clean cover");
  for (const file of [marked, cover]) {
    const report = await detectInPage(file, { message: MESSAGE });
    assertSameReport(report, native.get(file), path.basename(file), 1e-5);
  }
  // Without a message: the bits are read, no p-value.
  const bare = await detectInPage(marked);
  assert.equal(bare.findings[0].bits, n.findings[0].bits);
  assert.equal(bare.findings[0].p_value, null);
  assert.equal(bare.findings[0].detected, false);
});

test("edgemark-hidden-48 in the page: findings equal the native CLI's, also on a crop", async () => {
  const card = readFileSync(path.join(MODELS, "edgemark-hidden-48", "card.toml"), "utf8");
  const decoderFile = /\[decoder\][^[]*?file = "([^"]+)"/.exec(card)[1];
  const message = "0x5EC7A1D09B3F";
  const cover = path.join(dir, "cover-hidden.png");
  writeFileSync(cover, await page.evaluate(async (u) =>
    [...new Uint8Array(await (await fetch(u)).arrayBuffer())], COVER_SOURCE).then(Buffer.from));
  const marked = path.join(dir, "hidden48.png");
  execFileSync(CLI, ["embed", "--scheme", "edgemark-hidden-48", "--message", message, cover, marked], { stdio: "pipe" });
  // A crop of the marked image at an offset that is no multiple of the tile period.
  const crop = path.join(dir, "hidden48-crop.png");
  const png = await page.evaluate(async (bytes) => {
    const bmp = await createImageBitmap(new Blob([new Uint8Array(bytes)]), { colorSpaceConversion: "none" });
    const c = new OffscreenCanvas(bmp.width - 61, bmp.height - 45);
    c.getContext("2d").drawImage(bmp, 37, 21, c.width, c.height, 0, 0, c.width, c.height);
    return [...new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer())];
  }, [...readFileSync(marked)]);
  writeFileSync(crop, Buffer.from(png));
  const args = ["--scheme", "edgemark-hidden-48", "--message", message];
  const native = nativeDetect([marked, crop, cover], args);
  assert.equal(native.get(marked).findings[0].detected, true, "the CLI finds its own mark");
  assert.equal(native.get(crop).findings[0].detected, true, "and in the crop");
  assert.equal(native.get(cover).findings[0].detected, false, "nothing in the clean cover");
  for (const file of [marked, crop, cover]) {
    const report = await detectWith("edgemark-hidden-48", decoderFile, file, { message });
    assertSameReport(report, native.get(file), path.basename(file), 1e-5);
  }
});

test("model errors are JS exceptions with clear messages; the classical package refuses models", async () => {
  const r = await page.evaluate(async () => {
    const catching = async (f) => { try { await f(); return "no error"; } catch (e) { return `${e instanceof Error}:${e.message}`; } };
    const { Detector, hasOnnx } = window.onnxPkg;
    const card = await (await fetch("/models/rivagan/card.toml")).text();
    const decoder = new Uint8Array(await (await fetch("/models/rivagan/rivagan_decoder.onnx")).arrayBuffer());
    const make = (m) => () => new Detector({ models: [m] }).free();
    const classical = await import("/pkg/edgemark.js");
    await classical.default();
    return {
      hasOnnx: hasOnnx(),
      classicalHasOnnx: classical.hasOnnx(),
      corrupt: await catching(make({ card, decoder: decoder.slice(0, 5000) })),
      garbage: await catching(make({ card, decoder: new Uint8Array(64).fill(7) })),
      bits: await catching(make({ card: card.replace("bits = 32", "bits = 48"), decoder })),
      output: await catching(make({ card: card.replace('output = "output"', 'output = "bits"'), decoder })),
      badCard: await catching(make({ card: "name = 3", decoder })),
      message: await catching(make({ card, decoder, message: "0xAB" })),
      field: await catching(make({ card, decoder, mesage: "0xAB" })),
      classical: await catching(() => new classical.Detector({ models: [{ card, decoder }] }).free()),
    };
  });
  assert.equal(r.hasOnnx, true);
  assert.equal(r.classicalHasOnnx, false);
  assert.match(r.corrupt, /^true:models\[0\]: .*rivagan decoder/);
  assert.match(r.garbage, /^true:models\[0\]: .*rivagan decoder/);
  assert.match(r.bits, /^true:models\[0\]: .*model card rivagan says 48 bits, the decoder's output 'output' has shape/);
  assert.match(r.output, /^true:models\[0\]: .*'bits'/);
  assert.match(r.badCard, /^true:models\[0\]: .*invalid model card/);
  assert.match(r.message, /^true:models\[0\]: .*message has 8 bits, rivagan carries 32/);
  assert.match(r.field, /^true:invalid model: unknown field `mesage`/);
  assert.match(r.classical, /^true:models\[0\]: this edgemark build has no ONNX decoders/);
});
