/** Side of the overlay tile in device pixels. */
export const TILE_SIDE: 128;

export interface InstallOverlayOptions {
  /** The viewer's ID: an integer in 0..=4294967295, or a string ("0x"-hex or decimal). */
  id?: number | string;
  /** RMS opacity of the tile in 1/255 units, 0.5-32 (default: the core's `overlay::DEFAULT_STRENGTH`, about 42 dB PSNR on white pages). */
  strength?: number;
  /** CSS z-index of the layer (default 2147483647). */
  zIndex?: number;
  /** The tile's PNG bytes (then `id` and `strength` are not used and the wasm module need not be initialized). */
  png?: Uint8Array;
  /** The document to cover (default: the global one). */
  document?: Document;
}

export interface InstalledOverlay {
  /** The fixed, full-viewport layer. */
  element: HTMLDivElement;
  /** Resolves once the tile is decoded and drawn (it loads asynchronously). */
  ready: Promise<void>;
  /** Removes the layer and frees its Blob URL. */
  remove(): void;
}

/** Covers the viewport with the viewer's overlay, one tile pixel per device pixel. */
export function installOverlay(options: InstallOverlayOptions): InstalledOverlay;
