// Latency of the default detector (every generator preset) on a 1024x1024 SDXL-marked image, of our own watermark (edgemark-v3, open
// set, geometric search included) on a marked and a clean 1024x1024 photo, and of the RivaGAN
// decoder (ONNX through tract) on a 256x256 image: WebAssembly in headless Chromium against
// the native build of the same detector on the same machine. Prints medians and the ratio. Needs the packages
// (wasm/scripts/build.sh, and EDGEMARK_WASM_FEATURES=onnx for wasm/pkg-onnx), the fixtures
// and the RivaGAN files (wasm/tests/run.sh sees to all three); run:
//   node wasm/tests/bench.mjs [REPEATS]
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, FIXTURES, MODELS, WASM_DIR, CLI, serve, launch, openDemo } from "./harness.mjs";

const repeats = Number(process.argv[2] ?? 15);
const image = path.join(FIXTURES, "bench", "sdxl-1024.png");

execFileSync("cargo", ["build", "--release", "-q", "-p", "edgemark-wasm", "--example", "bench_native"], { cwd: ROOT, stdio: "inherit" });
const benchNative = (file, ...scheme) =>
  JSON.parse(execFileSync(path.join(ROOT, "target", "release", "examples", "bench_native"), [file, String(repeats), ...scheme], { encoding: "utf8" }));
const native = benchNative(image);

// edgemark-v3: the clean 1024x1024 bench photo, and the same photo marked by the CLI.
const v3Clean = path.join(FIXTURES, "bench", "clean-1024.png");
const v3Marked = path.join(FIXTURES, "bench", "v3-1024.png");
if (!existsSync(v3Marked)) {
  execFileSync(CLI, ["embed", "--scheme", "edgemark-v3", "--message", "0x00C0FFEE", v3Clean, v3Marked], { stdio: "inherit" });
}
const v3Native = { marked: benchNative(v3Marked, "edgemark-v3"), clean: benchNative(v3Clean, "edgemark-v3") };

const onnx = existsSync(path.join(WASM_DIR, "pkg-onnx", "edgemark_bg.wasm"));
const card = path.join(MODELS, "rivagan", "card.toml");
const server = await serve();
const browser = await launch();
let wasm;
let v3Wasm;
let v3Found;
let neural;
try {
  await openDemo(browser.page, server.url);
  wasm = await browser.page.evaluate(([u, r]) => window.edgemarkDemo.bench(u, r), ["/fixtures/bench/sdxl-1024.png", repeats]);
  const v3 = { watermarks: [{ scheme: "edgemark-v3" }] };
  v3Wasm = {
    marked: await browser.page.evaluate(([u, r, o]) => window.edgemarkDemo.bench(u, r, o), ["/fixtures/bench/v3-1024.png", repeats, v3]),
    clean: await browser.page.evaluate(([u, r, o]) => window.edgemarkDemo.bench(u, r, o), ["/fixtures/bench/clean-1024.png", repeats, v3]),
  };
  // The marked image must be found with its payload and the clean one not: timing a reader
  // that misses would prove nothing.
  const report = (u) => browser.page.evaluate(([u, o]) => window.edgemarkDemo.detectUrl(u, "bytes", o).then((r) => r.report), [u, v3]);
  v3Found = { marked: await report("/fixtures/bench/v3-1024.png"), clean: await report("/fixtures/bench/clean-1024.png") };
  if (onnx) {
    neural = await browser.page.evaluate(async (r) => {
      const m = await import("/pkg-onnx/edgemark.js");
      await m.default();
      // A 256x256 centre crop of a photograph, as ImageData and as a lossless PNG.
      const bmp = await createImageBitmap(await (await fetch("/fixtures/clean-astronaut.png")).blob(), { colorSpaceConversion: "none" });
      const c = new OffscreenCanvas(256, 256);
      const ctx = c.getContext("2d");
      ctx.drawImage(bmp, (bmp.width - 256) >> 1, (bmp.height - 256) >> 1, 256, 256, 0, 0, 256, 256);
      const pixels = ctx.getImageData(0, 0, 256, 256);
      const png = [...new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer())];
      const card = await (await fetch("/models/rivagan/card.toml")).text();
      const decoder = new Uint8Array(await (await fetch("/models/rivagan/rivagan_decoder.onnx")).arrayBuffer());
      const t0 = performance.now();
      const d = new m.Detector({ models: [{ card, decoder, message: "0x5EC7A1D0" }] });
      const loadMs = performance.now() - t0;
      try {
        d.detect(pixels); // warm-up
        const t = [];
        for (let i = 0; i < r; i++) {
          const s = performance.now();
          d.detect(pixels);
          t.push(performance.now() - s);
        }
        t.sort((a, b) => a - b);
        return { png, loadMs, detectMs: t[Math.floor(t.length / 2)] };
      } finally {
        d.free();
      }
    }, repeats);
  }
} finally {
  await browser.close();
  await server.close();
}

const row = (what, w, n) => console.log(`${what.padEnd(36)} wasm ${w.toFixed(1).padStart(7)} ms   native ${n.toFixed(1).padStart(7)} ms   ratio ${(w / n).toFixed(2)}`);
console.log(`default detector (6 generator presets) on an SDXL-marked image, ${wasm.width}x${wasm.height}, median of ${repeats}`);
row("detect (ImageData / decoded Image)", wasm.pixelsMs, native.detect_ms);
row("decode PNG + detect (bytes)", wasm.bytesMs, native.decode_and_detect_ms);
console.log(`edgemark-v3 (open set, geometric search), 1024x1024, median of ${repeats}`);
row("marked: detect (ImageData / Image)", v3Wasm.marked.pixelsMs, v3Native.marked.detect_ms);
row("clean: detect (ImageData / Image)", v3Wasm.clean.pixelsMs, v3Native.clean.detect_ms);
const v3Hit = v3Found.marked.findings[0];
console.log(`  marked: detected ${v3Hit.detected}, payload ${v3Hit.payload?.hex}, ${v3Hit.variant}; clean: detected ${v3Found.clean.findings[0]?.detected ?? false}`);
if (!v3Hit.detected || v3Hit.payload?.hex !== "0x00C0FFEE" || v3Found.clean.findings.some((f) => f.detected)) {
  console.error("edgemark-v3 in Chromium: the marked image was not read back, or the clean one fired");
  process.exitCode = 1;
}

if (!onnx) {
  console.log("RivaGAN 256x256: NOT MEASURED (no wasm/pkg-onnx; build it with EDGEMARK_WASM_FEATURES=onnx wasm/scripts/build.sh)");
} else {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "edgemark-bench-")), "cover-256.png");
  writeFileSync(file, Buffer.from(neural.png));
  // Native: core's neural_bench (the decoder on the decoded image, as models/bench_ort.py
  // uses it); the page times Detector.detect, i.e. the same decoder plus the p-value.
  execFileSync("cargo", ["build", "--release", "-q", "-p", "edgemark", "--features", "onnx", "--example", "neural_bench"], { cwd: ROOT, stdio: "inherit" });
  const n = JSON.parse(execFileSync(path.join(ROOT, "target", "release", "examples", "neural_bench"), [card, file, String(repeats)], { encoding: "utf8" }));
  console.log(`RivaGAN decoder (tract), 256x256, median of ${repeats}; load + optimize: wasm ${neural.loadMs.toFixed(0)} ms, native ${n.load_ms.toFixed(0)} ms`);
  row("decode (ImageData / decoded Image)", neural.detectMs, n.median_ms);
}
