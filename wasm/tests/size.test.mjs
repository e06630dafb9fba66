// Issue #14's budget: the classical npm package (wasm/pkg: every generator preset, RivaGAN's
// and our own schemes' classical parts, provenance metadata without C2PA validation) is at
// most 400 KB gzipped. What a page downloads counts: the module and its two JS files, each
// gzipped at level 9 as a server would send them. Run by wasm/tests/run.sh after build.sh; a
// missing package fails, it is never skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { WASM_DIR } from "./harness.mjs";

const BUDGET = 400_000;
const FILES = ["edgemark_bg.wasm", "edgemark.js", "overlay.js"];

test("the classical package is at most 400 KB gzipped", () => {
  const pkg = path.join(WASM_DIR, "pkg");
  let total = 0;
  for (const name of FILES) {
    const file = path.join(pkg, name);
    assert.ok(existsSync(file), `${file} missing: run wasm/scripts/build.sh`);
    const gz = gzipSync(readFileSync(file), { level: 9 }).length;
    console.log(`${name}: ${gz} bytes gzipped`);
    total += gz;
  }
  console.log(`classical package: ${total} bytes gzipped (budget ${BUDGET})`);
  assert.ok(total <= BUDGET, `classical package ${total} bytes gzipped > ${BUDGET}`);
});
