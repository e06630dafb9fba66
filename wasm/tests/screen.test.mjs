// Screen overlays in real headless Chromium: three pages (a text document, a page of photos, a
// dark dashboard) get viewer A's overlay through the npm helper (`edgemark/overlay`), at five
// device pixel ratios; full-page screenshots and element crops, saved as JPEG at quality 70-90,
// must name viewer A with the native CLI (`edgemark trace --json --ids`), never anyone else.
// The same pages without an overlay name nobody, with viewer B's they name B and never A. Also:
// the overlay's PSNR at DPR 1, the wasm tile's bytes against the CLI's PNG (decoded here, not
// by a canvas, which premultiplies alpha) and raw .rgba tiles over a sweep of IDs and strengths,
// the wasm `trace` against the CLI's, and the helper's tile size after a DPR change.
//
// EDGEMARK_WRITE_DOCS=1 also writes docs/img/overlay-{before,after,diff4x}.png (text page,
// DPR 1). Failing screenshots are kept in $EDGEMARK_SCREEN_FAIL_DIR (default /tmp/screen-fail),
// all of them in $EDGEMARK_SCREEN_DIR when set.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inflateSync, deflateSync } from "node:zlib";
import { CLI, FIXTURES, ROOT, serve, launchBrowser } from "./harness.mjs";

const VIEWER_A = { id: 0x00a11ce5, name: "alice" };
const VIEWER_B = { id: 0x0b0b0b0b, name: "bob" };
const OTHERS = [
  { id: 0x00c0ffee, name: "carol" },
  { id: 123456789, name: "dave" },
  { id: 0xdeadbeef, name: "eve" },
  { id: 0x00a11ce4, name: "mallory" }, // one bit away from A's ID
];
const DPRS = [1, 1.25, 1.5, 2, 3];
const VIEWPORT = { width: 1000, height: 700 };
const MIN_RATE = 0.95;
const MIN_PSNR = 40; // dB, mean over the pages (the target is 42)
const SEED = 0x5c2ee2;
const FAIL_DIR = process.env.EDGEMARK_SCREEN_FAIL_DIR ?? path.join(tmpdir(), "screen-fail");
const WRITE_DOCS = process.env.EDGEMARK_WRITE_DOCS === "1";
const KEEP_DIR = process.env.EDGEMARK_SCREEN_DIR; // keep every screenshot there (default: a temp dir, removed)

// ---- PNG (8-bit, non-interlaced, gray / RGB / RGBA) in node, without a canvas --------------

/** Decodes a PNG to {width, height, channels, data} (straight samples, as stored). */
function decodePng(buf) {
  assert.ok(buf.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), "PNG signature");
  let pos = 8;
  let ihdr;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") ihdr = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colorType, , , interlace] = ihdr.subarray(8, 13);
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  assert.ok(depth === 8 && channels && interlace === 0, `unsupported PNG: depth ${depth}, color type ${colorType}, interlace ${interlace}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), "PNG data length");
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const o = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[o + x - channels] : 0;
      const b = y > 0 ? out[o - stride + x] : 0;
      const c = x >= channels && y > 0 ? out[o - stride + x - channels] : 0;
      let v;
      switch (filter) {
        case 0: v = line[x]; break;
        case 1: v = line[x] + a; break;
        case 2: v = line[x] + b; break;
        case 3: v = line[x] + ((a + b) >> 1); break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = line[x] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default: throw new Error(`PNG filter ${filter}`);
      }
      out[o + x] = v & 255;
    }
  }
  return { width, height, channels, data: out };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** Encodes 8-bit RGB pixels as a PNG (filter 0). */
function encodeRgbPng(width, height, rgb) {
  const chunk = (type, body) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

/** The RGB samples of a decoded PNG (alpha dropped: screenshots are opaque). */
function rgbOf(img) {
  if (img.channels === 3) return img.data;
  assert.equal(img.channels, 4, "RGB or RGBA screenshot");
  const out = Buffer.alloc(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.data.length; i += 4, j += 3) {
    assert.equal(img.data[i + 3], 255, "opaque screenshot");
    out[j] = img.data[i];
    out[j + 1] = img.data[i + 1];
    out[j + 2] = img.data[i + 2];
  }
  return out;
}

function psnr(a, b) {
  assert.equal(a.length, b.length, "same size");
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

/** mulberry32: the JPEG qualities and the pages' text are the same on every run. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- The pages ----------------------------------------------------------------------------

const WORDS = ("the of screen viewer overlay report quarter revenue growth market policy team review " +
  "design system data network customer product release budget forecast analysis meeting summary " +
  "security access account device update project timeline support service performance result " +
  "strategy operations quality feedback research storage cloud latency region migration").split(" ");

function sentence(r, n) {
  const w = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return `${w.join(" ")}.`;
}
const paragraph = (r) => Array.from({ length: 4 + Math.floor(r() * 4) }, () => sentence(r, 8 + Math.floor(r() * 10))).join(" ");

/** The package, loaded the way a site would: init, then the helper. */
const LOADER = `<script type="module">
import init, * as edgemark from "/pkg/edgemark.js";
import { installOverlay } from "/pkg/overlay.js";
window.edgemarkScreen = { edgemark, installOverlay, ready: init().then(() => document.fonts.ready).then(() => true) };
</script>`;

function textPage() {
  const r = rng(SEED);
  const paras = (n) => Array.from({ length: n }, () => `<p>${paragraph(r)}</p>`).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Operations review</title>
<style>
body { margin: 0; padding: 24px 32px; background: #fff; color: #1a1a1a; font: 16px/1.55 "DejaVu Serif", serif; }
h1 { font: bold 34px/1.2 "DejaVu Sans", sans-serif; margin: 0 0 12px; }
h2 { font: bold 22px/1.3 "DejaVu Sans", sans-serif; margin: 28px 0 8px; color: #123; }
p { margin: 0 0 12px; text-align: justify; }
#crop-a { column-count: 2; column-gap: 32px; height: 420px; overflow: hidden; font-size: 15px; }
#crop-b { float: right; width: 400px; height: 380px; overflow: hidden; margin: 4px 0 12px 24px; padding: 12px 16px;
  background: #f3f3ee; border-left: 4px solid #8a8a80; font: 14px/1.5 "DejaVu Sans", sans-serif; box-sizing: border-box; }
</style></head><body>
<h1>Operations review, third quarter</h1>
${paras(2)}
<h2>Summary</h2>
<div id="crop-a">${paras(6)}</div>
<h2>Regional detail</h2>
<aside id="crop-b"><strong>Key figures</strong>${paras(3)}</aside>
${paras(5)}
<h2>Outlook</h2>
${paras(3)}
${LOADER}</body></html>`;
}

function imagesPage(photos) {
  const figs = photos.map((f, i) => `<figure><img ${i === 0 ? 'id="crop-b" ' : ""}src="/fixtures/${f}" alt=""><figcaption>${f.replace(/^clean-|\.png$/g, "")}</figcaption></figure>`).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Gallery</title>
<style>
body { margin: 0; padding: 20px; background: #fafafa; color: #333; font: 15px/1.4 "DejaVu Sans", sans-serif; }
header { display: flex; gap: 24px; align-items: flex-start; }
#crop-a { width: 480px; height: 480px; display: block; }
.intro { flex: 1; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 20px; }
figure { margin: 0; }
figure img { width: 304px; height: 304px; object-fit: cover; display: block; }
figcaption { font-size: 13px; color: #666; padding: 4px 0; }
</style></head><body>
<header><img id="crop-a" src="/fixtures/bench/clean-1024.png" alt="">
<div class="intro"><h1>Field photographs</h1><p>${paragraph(rng(SEED + 1))}</p></div></header>
<div class="grid">${figs}</div>
${LOADER}</body></html>`;
}

function dashboardPage() {
  const r = rng(SEED + 2);
  const rows = Array.from({ length: 18 }, (_, i) => `<tr><td>node-${String(i + 1).padStart(2, "0")}</td>${Array.from({ length: 5 }, () => `<td>${(r() * 10000).toFixed(2)}</td>`).join("")}<td class="${r() < 0.5 ? "up" : "down"}">${((r() - 0.5) * 20).toFixed(1)}%</td></tr>`).join("\n");
  const bars = Array.from({ length: 12 }, () => `<div class="bar" style="height:${Math.round(30 + r() * 230)}px"></div>`).join("");
  const cards = ["Requests/s", "p99 latency", "Error rate", "Saturation"].map((k) => `<div class="card"><div class="k">${k}</div><div class="v">${(r() * 1000).toFixed(1)}</div></div>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Cluster dashboard</title>
<style>
body { margin: 0; padding: 16px 20px; background: #1e1e1e; color: #d4d4d4; font: 14px/1.4 "DejaVu Sans", sans-serif; }
h1 { font-size: 20px; margin: 0 0 12px; color: #e8e8e8; }
.cards { display: flex; gap: 12px; margin-bottom: 14px; }
.card { flex: 1; background: #252526; border: 1px solid #333; padding: 10px 14px; }
.card .k { color: #9d9d9d; font-size: 12px; } .card .v { font-size: 26px; color: #4fc1ff; }
.main { display: flex; gap: 16px; }
#crop-a { width: 560px; height: 460px; overflow: hidden; background: #1e1e1e; }
table { border-collapse: collapse; width: 100%; font: 13px/1.6 "DejaVu Sans Mono", monospace; }
th { text-align: right; color: #9cdcfe; border-bottom: 1px solid #444; padding: 2px 8px; }
td { text-align: right; padding: 1px 8px; } tr:nth-child(even) td { background: #252526; }
td:first-child, th:first-child { text-align: left; color: #ce9178; } .up { color: #6a9955; } .down { color: #f48771; }
#crop-b { width: 380px; height: 380px; background: #252526; border: 1px solid #333; padding: 12px; box-sizing: border-box; display: flex; align-items: flex-end; gap: 6px; }
.bar { flex: 1; background: #0e639c; }
footer { margin-top: 16px; color: #808080; font-size: 12px; }
</style></head><body>
<h1>Cluster overview</h1>
<div class="cards">${cards}</div>
<div class="main"><div id="crop-a"><table><tr><th>host</th><th>cpu</th><th>mem</th><th>rx</th><th>tx</th><th>iops</th><th>&Delta;</th></tr>
${rows}</table></div><div id="crop-b">${bars}</div></div>
<footer>${sentence(r, 14)}</footer>
${LOADER}</body></html>`;
}

// ---- Shared state: screenshots of every page x DPR x overlay, traced in one CLI call ---------

let server;
let browser;
let work;
const PAGES = ["text", "images", "dashboard"];
const shots = []; // {page, dpr, cond, shot, quality, file}
// The viewport (not the full page): the fixed layer covers the viewport only, so a full-page
// capture shows the overlay on its first screenful and the rest would inflate the PSNR.
const plainPng = {}; // page -> PNG of the viewport at DPR 1, no overlay
const overlaidPng = {}; // page -> PNG of the viewport at DPR 1, viewer A's overlay
let traces; // file -> trace JSON line

before(async () => {
  const photos = ["clean-astronaut.png", "clean-baboon.png", "clean-chelsea.png", "clean-fruits.png", "clean-building.png", "clean-coffee.png"];
  for (const f of [...photos, "bench/clean-1024.png"]) {
    assert.ok(existsSync(path.join(FIXTURES, f)), `fixture ${f} missing in ${FIXTURES} (run wasm/tests/run.sh --only build)`);
  }
  assert.ok(existsSync(path.join(ROOT, "wasm", "pkg", "overlay.js")), "wasm/pkg/overlay.js missing: run wasm/scripts/build.sh");
  server = await serve({
    "/screen/text.html": textPage(),
    "/screen/images.html": imagesPage(photos),
    "/screen/dashboard.html": dashboardPage(),
  });
  browser = await launchBrowser();
  if (KEEP_DIR) mkdirSync(KEEP_DIR, { recursive: true });
  work = KEEP_DIR ?? mkdtempSync(path.join(tmpdir(), "edgemark-screen-"));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work && !KEEP_DIR) rmSync(work, { recursive: true, force: true }); // failures are copied to FAIL_DIR
});

async function openPage(context, name) {
  const page = await context.newPage();
  const logs = [];
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && logs.push(`console: ${m.text()}`));
  await page.goto(`${server.url}/screen/${name}.html`);
  await page.waitForFunction(() => window.edgemarkScreen?.ready, null, { timeout: 30000 });
  await page.evaluate(() => window.edgemarkScreen.ready);
  await page.evaluate(() => Promise.all([...document.images].map((i) => i.decode())));
  return { page, logs };
}

/** Installs `viewer`'s overlay and waits until it is drawn (`ready`). */
const install = (page, viewer) => page.evaluate(async ({ id }) => {
  window.edgemarkInstalled = window.edgemarkScreen.installOverlay({ id });
  await window.edgemarkInstalled.ready;
  return document.querySelectorAll("[data-edgemark-overlay]").length;
}, viewer);
/** The layer's computed background-size, and whether it is 128 device pixels at `dpr`
 *  (computed styles print 6 significant digits). */
const tileSize = (page) => page.evaluate(() => getComputedStyle(document.querySelector("[data-edgemark-overlay]")).backgroundSize);
const tileIs = (size, dpr) => size.split(" ").length === 2 && size.split(" ").every((v) => v.endsWith("px") && Math.abs(parseFloat(v) * dpr - 128) < 1e-3);
const uninstall = (page) => page.evaluate(() => {
  window.edgemarkInstalled.remove();
  return document.querySelectorAll("[data-edgemark-overlay]").length;
});

async function takeShots(page, name, dpr, cond, nextQuality) {
  const shoot = async (shot, fn) => {
    const quality = 70 + Math.floor(nextQuality() * 21);
    const file = path.join(work, `${name}-dpr${dpr}-${cond}-${shot}-q${quality}.jpg`);
    writeFileSync(file, await fn({ type: "jpeg", quality }));
    shots.push({ page: name, dpr, cond, shot, quality, file });
  };
  await shoot("full", (o) => page.screenshot({ ...o, fullPage: true }));
  for (const sel of ["#crop-a", "#crop-b"]) {
    const box = await page.locator(sel).boundingBox();
    assert.ok(box.width * dpr >= 300 && box.height * dpr >= 300, `${name} ${sel}: ${box.width}x${box.height} CSS px at DPR ${dpr}`);
    await shoot(sel.slice(1), (o) => page.locator(sel).screenshot(o));
  }
}

test("screenshots of three pages at five DPRs, with and without overlays, traced by the CLI", async () => {
  const t0 = Date.now();
  const nextQuality = rng(SEED ^ 0x9e3779b9);
  for (const dpr of DPRS) {
    const context = await browser.newContext({ deviceScaleFactor: dpr, viewport: VIEWPORT });
    try {
      for (const name of PAGES) {
        const { page, logs } = await openPage(context, name);
        assert.equal(await page.evaluate(() => window.devicePixelRatio), dpr, "devicePixelRatio");
        if (dpr === 1) plainPng[name] = await page.screenshot({ type: "png" });
        await takeShots(page, name, dpr, "none", nextQuality);
        assert.equal(await install(page, VIEWER_A), 1, "one overlay layer");
        assert.ok(tileIs(await tileSize(page), dpr), `${name} at DPR ${dpr}: one tile pixel per device pixel`);
        if (dpr === 1) {
          await page.evaluate(() => window.scrollTo(0, 0)); // the crops scrolled; the plain one is at the top
          overlaidPng[name] = await page.screenshot({ type: "png" });
        }
        await takeShots(page, name, dpr, "A", nextQuality);
        assert.equal(await uninstall(page), 0, "remove() takes the layer away");
        assert.equal(await install(page, VIEWER_B), 1, "one overlay layer");
        await takeShots(page, name, dpr, "B", nextQuality);
        assert.deepEqual(logs, [], `${name}: page errors`);
        await page.close();
      }
    } finally {
      await context.close();
    }
  }
  const t1 = Date.now();
  const ids = path.join(work, "ids.csv");
  writeFileSync(ids, `id,name\n${[VIEWER_A, VIEWER_B, ...OTHERS].map((v) => `0x${v.id.toString(16).padStart(8, "0")},${v.name}`).join("\n")}\n`);
  const out = execFileSync(CLI, ["trace", "--json", "--ids", ids, ...shots.map((s) => s.file)], { encoding: "utf8", maxBuffer: 64 << 20 });
  traces = new Map(out.split("\n").filter(Boolean).map((l) => JSON.parse(l)).map((j) => [j.file, j]));
  const t2 = Date.now();
  console.log(`# ${shots.length} screenshots in ${((t1 - t0) / 1000).toFixed(1)} s, traced by the CLI in ${((t2 - t1) / 1000).toFixed(1)} s`);
  for (const s of shots) assert.equal(traces.get(s.file)?.error, undefined, `${path.basename(s.file)}: ${traces.get(s.file)?.error}`);
  assert.equal(traces.size, shots.length, "one trace per screenshot");
});

/** Prints page x DPR found/total for `cond` with `who` as the expected name; keeps failures. */
function table(cond, ok) {
  const lines = [`| ${cond} | ${DPRS.map((d) => `DPR ${d}`).join(" | ")} |`, `|---|${DPRS.map(() => "---").join("|")}|`];
  const rates = [];
  for (const name of PAGES) {
    const cells = DPRS.map((dpr) => {
      const mine = shots.filter((s) => s.page === name && s.dpr === dpr && s.cond === cond);
      const good = mine.filter((s) => ok(traces.get(s.file))).length;
      rates.push({ name, dpr, good, total: mine.length, bad: mine.filter((s) => !ok(traces.get(s.file))) });
      return `${good}/${mine.length}`;
    });
    lines.push(`| ${name} | ${cells.join(" | ")} |`);
  }
  console.log(lines.join("\n"));
  return rates;
}

function keep(bad, why) {
  if (bad.length === 0) return;
  mkdirSync(FAIL_DIR, { recursive: true });
  for (const s of bad) {
    copyFileSync(s.file, path.join(FAIL_DIR, path.basename(s.file)));
    writeFileSync(path.join(FAIL_DIR, `${path.basename(s.file)}.json`), `${JSON.stringify(traces.get(s.file))}\n`);
  }
  console.log(`# ${bad.length} screenshots ${why}: kept in ${FAIL_DIR}`);
}

const wrongId = (t, allowed) => t.detected && t.id !== allowed;

test("viewer A's overlay: >= 95% of screenshots name A per page and DPR, none names anyone else", () => {
  assert.ok(traces, "screenshots traced");
  const rates = table("A", (t) => t.detected && t.id === VIEWER_A.id && t.name === VIEWER_A.name);
  const all = rates.reduce((n, r) => n + r.good, 0);
  const found = shots.filter((s) => s.cond === "A").map((s) => traces.get(s.file)).filter((t) => t.detected);
  const weakest = found.reduce((w, t) => (!w || t.p_value > w.p_value ? t : w), null);
  console.log(`# viewer A named in ${all}/${shots.filter((s) => s.cond === "A").length} screenshots` +
    (weakest ? `; weakest: ${weakest.matched_bits}/${weakest.total_bits} code bits, p = ${weakest.p_value.toExponential(2)} (${path.basename(weakest.file)})` : ""));
  const wrong = shots.filter((s) => s.cond === "A" && wrongId(traces.get(s.file), VIEWER_A.id));
  keep(rates.flatMap((r) => r.bad), "with A's overlay do not name A");
  assert.deepEqual(wrong.map((s) => path.basename(s.file)), [], "screenshots naming another viewer");
  for (const r of rates) assert.ok(r.good / r.total >= MIN_RATE, `${r.name} at DPR ${r.dpr}: A named in ${r.good}/${r.total}`);
});

test("no overlay: no screenshot names anyone", () => {
  assert.ok(traces, "screenshots traced");
  const rates = table("none", (t) => !t.detected);
  keep(rates.flatMap((r) => r.bad), "without an overlay name a viewer");
  assert.deepEqual(rates.flatMap((r) => r.bad).map((s) => `${path.basename(s.file)}: ${traces.get(s.file).name}`), []);
});

test("viewer B's overlay: B is named (>= 95%), A never", () => {
  assert.ok(traces, "screenshots traced");
  const rates = table("B", (t) => t.detected && t.id === VIEWER_B.id && t.name === VIEWER_B.name);
  const wrong = shots.filter((s) => s.cond === "B" && wrongId(traces.get(s.file), VIEWER_B.id));
  keep(rates.flatMap((r) => r.bad), "with B's overlay do not name B");
  assert.deepEqual(wrong.map((s) => `${path.basename(s.file)}: ${traces.get(s.file).name}`), [], "screenshots naming another viewer");
  for (const r of rates) assert.ok(r.good / r.total >= MIN_RATE, `${r.name} at DPR ${r.dpr}: B named in ${r.good}/${r.total}`);
});

test("visibility: PSNR of the overlaid viewport against the plain one at DPR 1", () => {
  assert.ok(Object.keys(overlaidPng).length === PAGES.length, "screenshots taken");
  const figures = PAGES.map((name) => {
    const [a, b] = [decodePng(plainPng[name]), decodePng(overlaidPng[name])];
    assert.deepEqual([a.width, a.height], [b.width, b.height], `${name}: same size`);
    return { name, a, b, psnr: psnr(rgbOf(a), rgbOf(b)) };
  });
  const mean = figures.reduce((s, f) => s + f.psnr, 0) / figures.length;
  console.log(`# PSNR at DPR 1 (default strength): ${figures.map((f) => `${f.name} ${f.psnr.toFixed(2)} dB`).join(", ")}; mean ${mean.toFixed(2)} dB (target 42)`);
  for (const f of figures) assert.ok(Number.isFinite(f.psnr), `${f.name}: the overlay changed nothing`);
  assert.ok(mean >= MIN_PSNR, `mean PSNR ${mean.toFixed(2)} dB < ${MIN_PSNR}`);
  if (WRITE_DOCS) {
    const { a, b } = figures[0];
    const [before, after] = [rgbOf(a), rgbOf(b)];
    const diff = Buffer.alloc(before.length);
    for (let i = 0; i < diff.length; i++) diff[i] = Math.max(0, Math.min(255, 128 + 4 * (after[i] - before[i])));
    const dir = path.join(ROOT, "docs", "img");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "overlay-before.png"), plainPng.text);
    writeFileSync(path.join(dir, "overlay-after.png"), overlaidPng.text);
    writeFileSync(path.join(dir, "overlay-diff4x.png"), encodeRgbPng(a.width, a.height, diff));
    console.log(`# wrote ${dir}/overlay-{before,after,diff4x}.png`);
  }
});

test("the wasm tile equals the CLI's PNG byte for byte; bad IDs and strengths throw", async () => {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const { page } = await openPage(context, "text");
    for (const strength of [undefined, 1.5, 8]) {
      const png = path.join(work, `tile-${strength ?? "default"}.png`);
      execFileSync(CLI, ["overlay", "--id", `0x${VIEWER_A.id.toString(16)}`, ...(strength ? ["--strength", String(strength)] : []), "--out", png], { stdio: "pipe" });
      const cli = decodePng(readFileSync(png));
      assert.deepEqual([cli.width, cli.height, cli.channels], [128, 128, 4], "the CLI writes a 128x128 RGBA tile");
      const got = await page.evaluate(({ id, strength }) => {
        const { overlay, overlayPng } = window.edgemarkScreen.edgemark;
        const opts = strength === undefined ? {} : { strength };
        const t = overlay({ id, ...opts });
        const hex = overlay({ id: `0x${id.toString(16)}`, ...opts });
        const dec = overlay({ id: String(id), ...opts });
        return {
          width: t.width, height: t.height, isClamped: t.data instanceof Uint8ClampedArray,
          data: Array.from(t.data), hexSame: hex.data.every((v, i) => v === t.data[i]), decSame: dec.data.every((v, i) => v === t.data[i]),
          png: Array.from(overlayPng({ id, ...opts })),
        };
      }, { id: VIEWER_A.id, strength });
      const label = `strength ${strength ?? "default"}`;
      assert.deepEqual([got.width, got.height, got.isClamped, got.hexSame, got.decSame], [128, 128, true, true, true], label);
      assert.ok(Buffer.from(got.data).equals(cli.data), `${label}: overlay() data equals the CLI's PNG pixels`);
      assert.ok(decodePng(Buffer.from(got.png)).data.equals(cli.data), `${label}: overlayPng() pixels equal the CLI's`);
      assert.ok(Buffer.from(got.png).equals(readFileSync(png)), `${label}: overlayPng() is the CLI's file, byte for byte`);
      assert.ok(got.data.some((v, i) => i % 4 === 3 && v > 0), `${label}: the tile is not empty`);
    }
    const errors = await page.evaluate(() => {
      const { overlay, overlayPng, trace } = window.edgemarkScreen.edgemark;
      const msg = (f) => { try { f(); return null; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${e}`; } };
      return [
        msg(() => overlay({ id: -1 })), msg(() => overlay({ id: 1.5 })), msg(() => overlay({ id: 2 ** 32 })),
        msg(() => overlay({ id: "0x1FFFFFFFF" })), msg(() => overlay({ id: "abc" })), msg(() => overlay({})),
        msg(() => overlay({ id: 1, strength: 0.1 })), msg(() => overlayPng({ id: 1, strength: 100 })),
        msg(() => overlay({ id: 1, strength: "3" })), msg(() => overlay({ id: 1, strenght: 3 })), msg(() => overlay(7)),
        msg(() => trace(new Uint8Array([1, 2, 3]))), msg(() => trace({ width: 200, height: 200, data: new Uint8ClampedArray(200 * 200 * 4) }, { fpr: 2 })),
        msg(() => trace({ width: 200, height: 200, data: new Uint8ClampedArray(200 * 200 * 4) }, { ids: [1, 1] })),
        msg(() => trace({ width: 200, height: 200, data: new Uint8ClampedArray(200 * 200 * 4) }, { ids: [{ id: 1, nmae: "x" }] })),
      ];
    });
    const want = [/overlay option `id`: -1 is not an ID/, /1\.5 is not an ID/, /4294967296 is not an ID/, /'0x1FFFFFFFF' is not an ID/,
      /'abc' is not an ID/, /`id` must be a number .* not undefined/, /strength must be in 0\.5\.\.=32, not 0\.1/, /strength must be in .* not 100/,
      /`strength` must be a number/, /unknown field `strenght`/, /overlay options must be an object/,
      /./, /false-positive rate 2 must be in \(0, 1\)/, /listed twice/, /unknown field `nmae`/];
    errors.forEach((m, i) => assert.match(m ?? "(no error)", want[i], `error case ${i}`));
    console.log(`# errors: ${errors.join(" | ")}`);
  } finally {
    await context.close();
  }
});

test("the wasm tiles equal the CLI's over a sweep of IDs and strengths", async () => {
  // The tile comes from a float pattern rounded to 1/255 opacity steps: a platform whose floats
  // differed in the last bits would round a pixel the other way (core sums it with its own
  // sin/cos from basic IEEE operations so that none does; an FFT and libm did before).
  const ids = [VIEWER_A.id, VIEWER_B.id, 7, 0xdeadbeef];
  const strengths = [0.5, 1, 2, 2.8, 3, 4, 6, 8, 12, 16, 24, 32];
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const { page } = await openPage(context, "text");
    const bad = [];
    for (const id of ids) {
      const wasm = (await page.evaluate(({ id, strengths }) => strengths.map((strength) => {
        const data = window.edgemarkScreen.edgemark.overlay({ id, strength }).data;
        let bin = "";
        for (let i = 0; i < data.length; i += 8192) bin += String.fromCharCode(...data.subarray(i, i + 8192));
        return btoa(bin);
      }), { id, strengths })).map((b64) => Buffer.from(b64, "base64"));
      strengths.forEach((strength, k) => {
        const raw = path.join(work, "sweep.rgba");
        execFileSync(CLI, ["overlay", "--id", String(id), "--strength", String(strength), "--out", raw], { stdio: "pipe" });
        const cli = readFileSync(raw);
        let diff = cli.length === wasm[k].length ? 0 : Infinity;
        for (let i = 0; i < cli.length && diff !== Infinity; i++) diff += wasm[k][i] !== cli[i];
        if (diff) bad.push(`ID 0x${id.toString(16)} strength ${strength}: ${diff} bytes differ`);
      });
    }
    assert.deepEqual(bad, [], `wasm tiles that differ from the CLI's (of ${ids.length * strengths.length})`);
  } finally {
    await context.close();
  }
});

test("wasm trace() in the page agrees with the CLI", async () => {
  assert.ok(traces, "screenshots traced");
  // Element crops (the wasm reader is single-threaded): one per overlay and page but the photos.
  const picks = shots.filter((s) => s.dpr === 1.25 && s.shot === "crop-b" && s.page !== "images");
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const { page } = await openPage(context, "text");
    const ids = [VIEWER_A, { id: `0x${VIEWER_B.id.toString(16)}`, name: VIEWER_B.name }, ...OTHERS.map((o) => o.id)];
    for (const s of picks) {
      const t = await page.evaluate(([bytes, ids]) => window.edgemarkScreen.edgemark.trace(new Uint8Array(bytes), { ids }), [Array.from(readFileSync(s.file)), ids]);
      const n = traces.get(s.file);
      const label = path.basename(s.file);
      assert.deepEqual(Object.keys(t).sort(), Object.keys(n).filter((k) => k !== "file").sort(), `${label}: keys`);
      // The CLI's ids.csv names the others; here they are bare numbers (no name).
      const named = (x) => (x.id === VIEWER_A.id || x.id === VIEWER_B.id ? x.name : null);
      // The same reader on the same pixels (a package older than the CLI reads differently).
      assert.deepEqual([t.detected, t.id, named(t), t.decoded_id, t.total_bits, t.candidates, t.geometries, t.matched_bits],
        [n.detected, n.id, named(n), n.decoded_id, n.total_bits, n.candidates, n.geometries, n.matched_bits], `${label}: decision`);
      // The p-value weighs the soft bits (f32 values through exp and ln, whose last bits differ
      // between wasm's and the native math library), so it agrees to 1e-4, not to the last bit.
      if (n.p_value !== null) assert.ok(Math.abs(t.p_value - n.p_value) <= 1e-4 * n.p_value, `${label}: p ${t.p_value} vs ${n.p_value}`);
      console.log(`# wasm trace ${label}: ${t.detected ? `${t.name ?? t.id} (${t.matched_bits}/${t.total_bits}, p = ${t.p_value.toExponential(2)}, ${t.geometry})` : "none"} [${t.geometries} geometries]; CLI: ${n.detected ? `${n.name} (${n.matched_bits}/${n.total_bits}, p = ${n.p_value.toExponential(2)}, ${n.geometry})` : "none"} [${n.geometries} geometries]`);
    }
    assert.equal(picks.filter((s) => traces.get(s.file).detected).length, 4, "the A and B crops are compared with a detection");
  } finally {
    await context.close();
  }
});

test("the helper follows devicePixelRatio changes (browser zoom, another screen)", async () => {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  try {
    const { page } = await openPage(context, "dashboard");
    await install(page, VIEWER_A);
    const cdp = await context.newCDPSession(page);
    const seen = [await tileSize(page)];
    // Browser zoom as the browser does it: the ratio goes up and the CSS viewport shrinks by
    // the same factor. (Chromium 156 no longer dispatches media-query changes for a CDP
    // override of the ratio alone, which no real zoom or screen change does.)
    for (const dpr of [2, 1.5]) {
      const size = { width: Math.round(VIEWPORT.width / dpr), height: Math.round(VIEWPORT.height / dpr) };
      await cdp.send("Emulation.setDeviceMetricsOverride", { ...size, deviceScaleFactor: dpr, mobile: false });
      await page.waitForFunction((dpr) => window.devicePixelRatio === dpr, dpr);
      await page.waitForFunction((dpr) => {
        const v = parseFloat(getComputedStyle(document.querySelector("[data-edgemark-overlay]")).backgroundSize);
        return Math.abs(v * dpr - 128) < 1e-3;
      }, dpr, { timeout: 5000 }).catch(() => {});
      seen.push(await tileSize(page));
    }
    assert.ok([1, 2, 1.5].every((dpr, i) => tileIs(seen[i], dpr)), `background-size at DPR 1, then 2, then 1.5: ${seen.join(", ")}`);
  } finally {
    await context.close();
  }
});
