// EdgeMark detection in a Web Worker, started by content.js. Messages in: {id, bytes:
// ArrayBuffer}; out: {id, report} or {id, error}. First message out: {ready: true} or
// {ready: false, error} (the page's CSP may forbid WebAssembly; content.js then falls back).
const base = new URL(".", import.meta.url); // the extension's folder, also when imported by a blob worker
let detector;
try {
  const mod = await import(new URL("pkg/edgemark.js", base).href);
  await mod.default({ module_or_path: new URL("pkg/edgemark_bg.wasm", base).href });
  detector = new mod.Detector();
  postMessage({ ready: true });
} catch (e) {
  postMessage({ ready: false, error: String(e?.message ?? e) });
}
onmessage = ({ data }) => {
  try {
    postMessage({ id: data.id, report: detector.detect(new Uint8Array(data.bytes)) });
  } catch (e) {
    postMessage({ id: data.id, error: String(e?.message ?? e) });
  }
};
