// Service worker: fetches image bytes that the page's CORS rules keep from the content
// script (the extension's host permissions allow it here), and detects there when the
// page forbids a WebAssembly worker. Messages: {fetch: url} -> {base64} | {error};
// {detect: url} -> {report} | {error}.
import init, { Detector } from "./pkg/edgemark.js";

const ready = init({ module_or_path: chrome.runtime.getURL("pkg/edgemark_bg.wasm") }).then(() => new Detector());

async function bytesOf(url) {
  const response = await fetch(url, { credentials: "include" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  (async () => {
    if (message.fetch) return { base64: base64(await bytesOf(message.fetch)) };
    if (message.detect) return { report: (await ready).detect(await bytesOf(message.detect)) };
    throw new Error("unknown message");
  })().then(reply, (e) => reply({ error: String(e?.message ?? e) }));
  return true; // reply asynchronously
});
