// The screen overlay for the page: a fixed, full-viewport, click-through layer on top of
// everything whose background is the viewer's overlay tile, one tile pixel per device pixel.
// Shipped in the npm package as `edgemark/overlay` (wasm/scripts/build.sh copies it next to
// edgemark.js); call the package's `init()` first unless you pass the tile's PNG yourself.
//
//   import init from "edgemark";
//   import { installOverlay } from "edgemark/overlay";
//   await init();
//   const overlay = installOverlay({ id: 0xC0FFEE });   // ... overlay.remove();
import { overlayPng } from "./edgemark.js";

/** Side of the tile in device pixels (core's `overlay::TILE_SIDE`). */
export const TILE_SIDE = 128;

/**
 * Installs the overlay for viewer `id` over the whole viewport of `document`.
 *
 * Options: `id` (number or "0x"-hex / decimal string), `strength` (0.5-32, default: the
 * core's `overlay::DEFAULT_STRENGTH`), `zIndex` (default 2147483647), `png` (the tile's PNG
 * bytes, e.g. from `edgemark overlay --out tile.png`, instead of rendering it with the wasm
 * module), `document` (default: the global one).
 *
 * The tile is drawn from the viewport's top-left corner at `128 / devicePixelRatio` CSS
 * pixels, so every tile pixel is one device pixel, and is resized when the ratio changes
 * (browser zoom, moving the window to another screen). Returns `{element, ready, remove()}`:
 * `ready` resolves once the tile is decoded and drawn (the background image loads
 * asynchronously: a screenshot taken before shows no overlay).
 */
export function installOverlay({ id, strength, zIndex = 2147483647, png, document: doc = globalThis.document } = {}) {
  if (!doc) throw new Error("installOverlay needs a document");
  const win = doc.defaultView ?? globalThis;
  const bytes = png ?? overlayPng(strength === undefined ? { id } : { id, strength });
  const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
  const el = doc.createElement("div");
  el.setAttribute("aria-hidden", "true");
  el.setAttribute("data-edgemark-overlay", "");
  const style = {
    position: "fixed", inset: "0", top: "0", right: "0", bottom: "0", left: "0",
    width: "auto", height: "auto", margin: "0", padding: "0", border: "0",
    "pointer-events": "none", "user-select": "none", "z-index": String(zIndex),
    opacity: "1", "mix-blend-mode": "normal", filter: "none", transform: "none",
    "background-color": "transparent", "background-image": `url("${url}")`,
    "background-repeat": "repeat", "background-position": "0 0",
    "background-origin": "border-box", "background-clip": "border-box",
    "image-rendering": "pixelated", "forced-color-adjust": "none",
  };
  for (const [key, value] of Object.entries(style)) el.style.setProperty(key, value, "important");

  // One tile pixel per device pixel; watch for the next devicePixelRatio change (a media query
  // on the current ratio, and window resizes, which browser zoom also fires).
  let query = null;
  let current = 0;
  const update = () => {
    const dpr = win.devicePixelRatio || 1;
    if (dpr === current) return;
    current = dpr;
    const side = `${TILE_SIDE / dpr}px`;
    el.style.setProperty("background-size", `${side} ${side}`, "important");
    query?.removeEventListener("change", update);
    query = win.matchMedia ? win.matchMedia(`(resolution: ${dpr}dppx)`) : null;
    query?.addEventListener("change", update);
  };
  update();
  win.addEventListener("resize", update);
  doc.documentElement.appendChild(el);

  // Resolves once the tile is decoded and two frames later, when the layer is on screen.
  const ready = (async () => {
    const img = new win.Image();
    img.src = url;
    await img.decode();
    await new Promise((ok) => win.requestAnimationFrame(() => win.requestAnimationFrame(ok)));
  })();
  ready.catch(() => {}); // a caller that never awaits it sees no unhandled rejection

  return {
    element: el,
    ready,
    remove() {
      query?.removeEventListener("change", update);
      win.removeEventListener("resize", update);
      query = null;
      el.remove();
      URL.revokeObjectURL(url);
    },
  };
}
