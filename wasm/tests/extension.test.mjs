// The Manifest V3 sample in headless Chromium: its content script scans a page's images in a
// Web Worker and marks exactly the ones the native CLI calls AI-generated (provenance: a
// generator watermark such as SDXL's or SD 1's, generator metadata in the file, or a C2PA
// manifest claiming AI; not a camera's C2PA manifest).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { WASM_DIR, FIXTURES, serve, launch, nativeDetect } from "./harness.mjs";

test("the extension marks the watermarked images on a page", async () => {
  const extension = path.join(WASM_DIR, "extension");
  assert.ok(existsSync(path.join(extension, "pkg", "edgemark_bg.wasm")), "run wasm/scripts/build.sh first");
  const images = readdirSync(FIXTURES).filter((f) => /^(sdxl|clean|ai|camera)-.*\.(png|jpg)$/.test(f)).sort();
  const native = nativeDetect(images.map((f) => path.join(FIXTURES, f)));
  const expected = Object.fromEntries(images.map((f) => [f, native.get(path.join(FIXTURES, f)).provenance.ai_generated === true ? "detected" : "clean"]));
  assert.ok(Object.values(expected).includes("detected") && Object.values(expected).includes("clean"));
  // The SD 1 mark and the AUTOMATIC1111 metadata are flagged, and the clean photos are not.
  for (const f of images.filter((f) => f.startsWith("ai-"))) assert.equal(expected[f], "detected", `${f}: the CLI flags it`);
  for (const f of images.filter((f) => /^(clean|camera)-/.test(f))) assert.equal(expected[f], "clean", `${f}: the CLI flags it`);
  assert.ok(["ai-sd1-", "ai-meta-", "ai-c2pa-", "camera-c2pa-"].every((p) => images.some((f) => f.startsWith(p))), "fixtures");

  const server = await serve();
  const browser = await launch(extension);
  try {
    const page = browser.page;
    await page.goto(`${server.url}/gallery.html?${images.map((f) => `img=${encodeURIComponent(f)}`).join("&")}`);
    await page.waitForFunction((n) => document.querySelectorAll("img[data-edgemark]").length === n, images.length, { timeout: 60000 });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.edgemarkEngine), "worker", "detection ran in the Web Worker");
    const marks = await page.$$eval("img", (imgs) => imgs.map((i) => [decodeURIComponent(i.src.split("/").pop()), i.dataset.edgemark, i.dataset.edgemarkError ?? "", i.classList.contains("edgemark-detected"), i.dataset.edgemarkEvidence ?? "", i.title]));
    for (const [file, mark, error, outlined, evidence, title] of marks) {
      assert.equal(error, "", `${file}: ${error}`);
      assert.equal(mark, expected[file], `${file}: extension says ${mark}`);
      assert.equal(outlined, mark === "detected", `${file}: outline`);
      if (file.startsWith("ai-sd1-")) assert.ok(evidence.includes("watermark:sd1") && title.includes("unsigned"), `${file}: ${evidence}`);
      if (file.startsWith("ai-meta-")) assert.ok(evidence.includes("text_chunk:AUTOMATIC1111"), `${file}: ${evidence}`);
      // A C2PA manifest claiming AI: found in the file's bytes (the classical package reads it
      // unvalidated); a camera's manifest is not flagged.
      if (file.startsWith("ai-c2pa-")) assert.ok(evidence.includes("c2pa:"), `${file}: ${evidence}`);
    }
    // An "AI" badge on every flagged image's top-left corner, none on the others.
    const badges = await page.$$eval("img", (imgs) => imgs.map((i) => {
      const b = i.nextElementSibling?.classList.contains("edgemark-badge") ? i.nextElementSibling : null;
      const r = i.getBoundingClientRect();
      const q = b?.getBoundingClientRect();
      return [decodeURIComponent(i.src.split("/").pop()), b ? b.firstChild.textContent : null, q ? [q.left - r.left, q.top - r.top] : null];
    }));
    for (const [file, text, at] of badges) {
      if (expected[file] === "detected") {
        assert.equal(text, "AI", `${file}: badge`);
        assert.ok(at.every((d) => d >= 0 && d <= 12), `${file}: badge at ${at} from the image's corner`);
      } else {
        assert.equal(text, null, `${file}: a badge on an image that is not flagged`);
      }
    }
    // In a table cell of a padded table (where offsetParent is the unpositioned cell), after a
    // layout change, the badge still sits at the image's corner.
    const moved = await page.evaluate((src) => {
      const img = document.querySelector(`img[src="${src}"]`);
      const badge = img.nextElementSibling;
      const table = document.createElement("table");
      table.style.cssText = "margin: 40px 0 0 70px; border-spacing: 13px";
      const cell = table.insertRow().insertCell();
      cell.style.padding = "21px";
      cell.append(img, badge);
      document.body.prepend(table);
      window.dispatchEvent(new Event("resize"));
      const r = img.getBoundingClientRect();
      const q = badge.getBoundingClientRect();
      return [q.left - r.left, q.top - r.top];
    }, `/fixtures/${encodeURIComponent(images.find((f) => f.startsWith("ai-meta-")))}`);
    assert.ok(moved.every((d) => d >= 0 && d <= 12), `badge at ${moved} from the corner of an image in a table cell`);
    // The badge's card lists the evidence, on hover only.
    const sd1 = images.find((f) => f.startsWith("ai-sd1-"));
    const badge = await page.$(`img[src="/fixtures/${encodeURIComponent(sd1)}"] + .edgemark-badge`);
    const card = await badge.$(".edgemark-evidence");
    assert.equal(await card.isVisible(), false, "the evidence card is hidden until hovered");
    await badge.hover();
    assert.equal(await card.isVisible(), true, "hovering the badge shows the evidence card");
    const text = await card.innerText();
    assert.ok(text.includes("EdgeMark: AI-generated") && text.includes("watermark sd1 (unsigned)"), text);
  } catch (e) {
    console.error(browser.logs.join("\n"));
    throw e;
  } finally {
    await browser.close();
    await server.close();
  }
});
