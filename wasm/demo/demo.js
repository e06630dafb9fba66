// EdgeMark demo: drop or pick images, see findings and timing. Also the page the browser
// tests drive (window.edgemarkDemo).
import init, { Detector, embed, presets, version } from "../pkg/edgemark.js";

const $ = (id) => document.getElementById(id);
const status = $("status");

/** Decodes image bytes with the browser into ImageData (no colour management). */
async function toImageData(blob) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** Detector options from the form. */
function options() {
  const o = { presets: $("preset-sdxl").checked ? ["sdxl"] : [], watermarks: [] };
  const scheme = $("custom-scheme").value;
  const message = $("custom-message").value.trim();
  if (scheme) o.watermarks.push({ scheme, message: message || undefined, bits: message ? undefined : 48 });
  return o;
}

/** Runs detection on a Blob: `mode` "bytes" (EdgeMark decodes) or "pixels" (browser decodes). */
async function detectBlob(detector, blob, mode) {
  const t0 = performance.now();
  let input;
  if (mode === "pixels") input = await toImageData(blob);
  else input = new Uint8Array(await blob.arrayBuffer());
  const t1 = performance.now();
  const report = detector.detect(input);
  const t2 = performance.now();
  return { report, readMs: t1 - t0, detectMs: t2 - t1 };
}

function show(file, result) {
  const node = $("result-template").content.firstElementChild.cloneNode(true);
  node.querySelector("img").src = URL.createObjectURL(file);
  node.querySelector(".name").textContent = file.name;
  const body = node.querySelector("tbody");
  if (result.error) {
    node.querySelector(".meta").innerHTML = `<span class="error"></span>`;
    node.querySelector(".error").textContent = result.error;
  } else {
    const { report, readMs, detectMs } = result;
    node.querySelector(".meta").textContent =
      `${report.width}×${report.height} · read ${readMs.toFixed(1)} ms · detect ${detectMs.toFixed(1)} ms`;
    for (const f of report.findings) {
      const tr = document.createElement("tr");
      const cells = f.error
        ? [f.watermark, "error", "", "", "", f.error]
        : [f.watermark, f.detected ? "YES" : "no",
           f.matched_bits == null ? "-" : `${f.matched_bits}/${f.total_bits}`,
           f.p_value == null ? "-" : f.p_value.toExponential(1), f.variant,
           f.payload.text ? `${f.payload.hex} "${f.payload.text}"` : f.payload.hex];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.appendChild(td);
      }
      if (f.detected) tr.children[1].className = "yes";
      body.appendChild(tr);
    }
  }
  $("results").prepend(node);
}

async function handle(files) {
  let detector;
  try {
    detector = new Detector(options());
  } catch (e) {
    status.textContent = `Options: ${e.message}`;
    return;
  }
  const mode = $("mode").value;
  for (const file of files) {
    status.textContent = `Scanning ${file.name}…`;
    let result;
    try {
      result = await detectBlob(detector, file, mode);
    } catch (e) {
      result = { error: e.message };
    }
    show(file, result);
  }
  detector.free();
  status.textContent = "Done.";
}

function wire() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => handle([...e.target.files]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    handle([...e.dataTransfer.files].filter((f) => f.type.startsWith("image/")));
  });
}

/** For scripted tests and benchmarks. */
window.edgemarkDemo = {
  ready: (async () => {
    await init();
    $("version").textContent = `v${version()} · presets: ${presets().map((p) => p.name).join(", ")}`;
    status.textContent = "Ready.";
    wire();
    return true;
  })(),
  Detector,
  embed,
  toImageData,
  /** Detects in the file at `url`; returns {report, readMs, detectMs}. */
  async detectUrl(url, mode = "bytes", opts = undefined) {
    const blob = await (await fetch(url)).blob();
    const detector = new Detector(opts);
    try {
      return await detectBlob(detector, blob, mode);
    } finally {
      detector.free();
    }
  },
  /** Median milliseconds of `repeats` detections on the decoded pixels of `url`. */
  async bench(url, repeats = 15, opts = undefined) {
    const blob = await (await fetch(url)).blob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const detector = new Detector(opts);
    try {
      const pixels = await toImageData(blob);
      const time = (input) => {
        detector.detect(input); // warm-up
        const t = [];
        for (let i = 0; i < repeats; i++) {
          const t0 = performance.now();
          detector.detect(input);
          t.push(performance.now() - t0);
        }
        t.sort((a, b) => a - b);
        return t[Math.floor(t.length / 2)];
      };
      return { width: pixels.width, height: pixels.height, pixelsMs: time(pixels), bytesMs: time(bytes) };
    } finally {
      detector.free();
    }
  },
};
