// Latency of the SDXL preset on a 1024x1024 image: WebAssembly in headless Chromium (the
// demo page's bench()) against the native build of the same detector on the same machine.
// Prints medians and the ratio. Needs the package (wasm/scripts/build.sh) and the fixtures
// (wasm/tests/run.sh makes them); run: node wasm/tests/bench.mjs [REPEATS]
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, FIXTURES, serve, launch, openDemo } from "./harness.mjs";

const repeats = Number(process.argv[2] ?? 15);
const image = path.join(FIXTURES, "bench", "sdxl-1024.png");

execFileSync("cargo", ["build", "--release", "-q", "-p", "edgemark-wasm", "--example", "bench_native"], { cwd: ROOT, stdio: "inherit" });
const native = JSON.parse(execFileSync(path.join(ROOT, "target", "release", "examples", "bench_native"), [image, String(repeats)], { encoding: "utf8" }));

const server = await serve();
const browser = await launch();
let wasm;
try {
  await openDemo(browser.page, server.url);
  wasm = await browser.page.evaluate(([u, r]) => window.edgemarkDemo.bench(u, r), ["/fixtures/bench/sdxl-1024.png", repeats]);
} finally {
  await browser.close();
  await server.close();
}

const row = (what, w, n) => console.log(`${what.padEnd(36)} wasm ${w.toFixed(1).padStart(7)} ms   native ${n.toFixed(1).padStart(7)} ms   ratio ${(w / n).toFixed(2)}`);
console.log(`SDXL preset, ${wasm.width}x${wasm.height}, median of ${repeats}`);
row("detect (ImageData / decoded Image)", wasm.pixelsMs, native.detect_ms);
row("decode PNG + detect (bytes)", wasm.bytesMs, native.decode_and_detect_ms);
