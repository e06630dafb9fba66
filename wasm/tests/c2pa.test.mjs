// The c2pa package (wasm/pkg-c2pa: the C2PA SDK inside) in real headless Chromium: C2PA
// manifests signed by the real SDK with a test CA (tests/python/c2pa_sign.py, made by
// make-fixtures.py) are validated in the page, and the provenance equals `edgemark detect
// --json` on the same files, with the test CA as a trust anchor and without it. Run by
// wasm/tests/run.sh, which builds wasm/pkg-c2pa. A missing package fails, it is never skipped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { WASM_DIR, FIXTURES, serve, launch, nativeDetect } from "./harness.mjs";

const CA = path.join(FIXTURES, "c2pa", "test-ca.pem");
let server;
let browser;
let page;
let files;

before(async () => {
  assert.ok(existsSync(path.join(WASM_DIR, "pkg-c2pa", "edgemark_bg.wasm")),
    "wasm/pkg-c2pa missing: run EDGEMARK_WASM_FEATURES=c2pa wasm/scripts/build.sh (wasm/tests/run.sh does)");
  assert.ok(existsSync(CA), `${CA} missing: remake the fixtures (wasm/tests/run.sh --only build)`);
  files = ["ai-c2pa-", "camera-c2pa-"].map((p) => {
    const f = readdirSync(FIXTURES).find((n) => n.startsWith(p));
    assert.ok(f, `no ${p}* fixture`);
    return f;
  });
  files.push("clean-astronaut.png");
  server = await serve();
  browser = await launch();
  page = browser.page;
  await page.goto(`${server.url}/gallery.html`);
  await page.evaluate(async () => {
    const m = await import("/pkg-c2pa/edgemark.js");
    await m.default();
    window.c2paPkg = m;
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const provenanceIn = (file, anchors) =>
  page.evaluate(async ([u, pem]) => {
    const bytes = new Uint8Array(await (await fetch(u)).arrayBuffer());
    const d = new window.c2paPkg.Detector(pem ? { c2paAnchors: pem } : undefined);
    try { return d.detect(bytes).provenance; } finally { d.free(); }
  }, [`/fixtures/${file}`, anchors]);

const summary = (p) => ({
  ai_generated: p.ai_generated,
  evidence: p.evidence.map((e) => ({ kind: e.kind, source: e.source, signed: e.signed, ai: e.ai_generated, c2pa: e.c2pa ?? null })),
});

test("C2PA manifests are validated in the browser exactly as the CLI validates them", async () => {
  const pem = readFileSync(CA, "utf8");
  for (const anchors of [pem, null]) {
    const args = anchors ? ["--c2pa-anchors", CA] : [];
    const native = nativeDetect(files.map((f) => path.join(FIXTURES, f)), args);
    for (const f of files) {
      const got = summary(await provenanceIn(f, anchors));
      const want = summary(native.get(path.join(FIXTURES, f)).provenance);
      assert.deepEqual(got, want, `${f} (${anchors ? "test CA" : "bundled list only"})`);
    }
  }
  // What the comparison rests on: with the test CA the AI file is signed and valid, the
  // camera file settles the verdict to false; the clean photo has no C2PA evidence.
  const [ai, camera, clean] = await Promise.all(files.map((f) => provenanceIn(f, pem)));
  assert.equal(ai.ai_generated, true);
  assert.deepEqual(ai.evidence.map((e) => [e.kind, e.signed, e.c2pa?.validation]), [["c2pa", true, "valid"]]);
  assert.equal(camera.ai_generated, false);
  assert.equal(clean.evidence.filter((e) => e.kind === "c2pa").length, 0);
});

test("anchors that are not certificates throw", async () => {
  const message = await page.evaluate(() => {
    try {
      new window.c2paPkg.Detector({ c2paAnchors: "not a certificate" });
      return null;
    } catch (e) {
      return String(e.message ?? e);
    }
  });
  assert.match(message ?? "", /C2PA trust anchors/);
});
