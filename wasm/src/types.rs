//! TypeScript declarations of the plain objects the API takes and returns (wasm-bindgen
//! copies this section into the generated `.d.ts`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** RGBA pixels, 4 bytes a pixel, rows tightly packed (what `ImageData` holds). */
export interface RgbaImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** A scheme with your own message (or only a bit length). */
export interface CustomWatermark {
  /** A name from `schemes()`, e.g. "dwtDct". */
  scheme: string;
  /** "0xHEX", "bits:0101...", "text:..." or bare hex: gives a p-value. */
  message?: string;
  /** Bit length when no message is known (bits are read, nothing is decided). */
  bits?: number;
  /** Name the findings are reported under (default: the scheme's name). */
  name?: string;
}

/**
 * A neural watermark: an ONNX decoder and its model card. Only in the onnx package
 * (`hasOnnx()` is true); other builds throw when given one.
 */
export interface NeuralModel {
  /** The model card, TOML (as `models/<name>/card.toml`) or JSON text. */
  card: string;
  /** The decoder's ONNX file. */
  decoder: Uint8Array | ArrayBuffer;
  /** "0xHEX", "bits:0101...", "text:...": gives a p-value. */
  message?: string;
  /** Name the findings are reported under (default: the card's name). */
  name?: string;
}

/** Options of `new Detector(options)`. */
export interface DetectorOptions {
  /**
   * Built-in presets (see `presets()`); default: the default ones (`default` in
   * `schemes()`) unless `watermarks` or `models` is given.
   */
  presets?: string[];
  watermarks?: CustomWatermark[];
  /** Neural decoders (onnx package only). */
  models?: NeuralModel[];
  /** Theoretical false-positive rate per image, over all the watermarks (default 1e-6). */
  fpr?: number;
  /** Largest accepted width * height (decompression-bomb guard; default 64 Mpx). */
  maxPixels?: number;
  /** Extra trust anchors (PEM certificates) for C2PA signers, on top of the bundled C2PA
   *  trust list (c2pa package only; elsewhere it throws). */
  c2paAnchors?: string;
}

/** The decoded payload. */
export interface Payload {
  hex: string;
  /** Present when the bytes are printable ASCII. */
  text?: string;
}

/** What one watermark found in one image (as `edgemark detect --json` prints it). */
export interface Finding {
  /** The watermark's name: the preset ("sdxl"), or the custom watermark's or model's name. */
  watermark: string;
  /** The scheme that read it ("dwtDct", "dwtDctSvd", "edgemark-v3", a model's name). */
  scheme: string;
  /** Decoded bits as "0"/"1" characters. */
  bits: string;
  detected: boolean;
  /** Family-wise: corrected for the readings tried and for every watermark the detector
   *  looked for, so a clean image fires any of them at most at the detector's rate. Null
   *  when the watermark has no known message. */
  p_value: number | null;
  /** The same for this watermark alone (absent when `p_value` is null). */
  watermark_p_value?: number;
  matched_bits: number | null;
  total_bits: number;
  payload: Payload;
  /** Which reading won ("uint8" or "float" for the classical schemes; the generator
   *  presets add "rgb-order", "gain-fit" and "inverted" readings). */
  variant: string;
  /** Mean soft-bit certainty in [0, 1]. */
  certainty: number;
  /** The watermark whose stronger finding explains this one's match (then `detected` is
   *  false): generator presets whose messages share structure. */
  explained_by?: string;
  /** Why this watermark could not be read (e.g. the image is too small). */
  error?: string;
}

/** One piece of provenance evidence. */
export interface Evidence {
  kind: "watermark" | "c2pa" | "iptc" | "text_chunk" | "exif";
  /** Who or what it names: a preset ("sdxl"), a tool ("ComfyUI"), a standard. */
  source: string;
  /** Whether a signature over it was verified: NovelAI's signed_hash (the `onnx` and `c2pa`
   *  packages), a C2PA manifest valid and trusted (the `c2pa` package; the classical and
   *  `onnx` packages read C2PA manifests unvalidated: false). */
  signed: boolean;
  /** true: says AI-generated; false: says camera; null: neither. */
  ai_generated: boolean | null;
  detail: string;
  /** A C2PA manifest's validation (only with the core feature `c2pa`). */
  c2pa?: C2paEvidence;
}

/** What the C2PA SDK found in a manifest store. */
export interface C2paEvidence {
  validation: "valid" | "untrusted_signer" | "invalid" | "unreadable";
  claim_generator: string | null;
  signer: string | null;
  issuer: string | null;
  digital_source_types: string[];
  failures: string[];
}

/** Is the image AI-generated, and on what evidence. */
export interface Provenance {
  /** true when any evidence says so, null when nothing is known. */
  ai_generated: boolean | null;
  evidence: Evidence[];
}

/** All findings for one image. */
export interface Report {
  width: number;
  height: number;
  findings: Finding[];
  /** Watermark evidence always; metadata evidence when `detect` was given the file's bytes. */
  provenance: Provenance;
}

/** One configured watermark. */
export interface WatermarkInfo {
  /** What findings are reported under (`Finding.watermark`). */
  name: string;
  /** The scheme that reads it (`Finding.scheme`). */
  scheme: string;
  bits: number;
  message: string | null;
}

/** A built-in preset. */
export interface PresetInfo {
  name: string;
  description: string;
}

/** A scheme this package builds by name (as `edgemark schemes --json` lists it). */
export interface SchemeInfo {
  /** "preset", "scheme" or "model". */
  kind: string;
  name: string;
  description: string;
  /** Payload bits; null where you choose the length. */
  bits: number | null;
  /** Bits an image carries (more than `bits` with error correction). */
  code_bits: number | null;
  /** Usable in `DetectorOptions.presets`. */
  preset: boolean;
  /** Looked for when no option is given. */
  default: boolean;
}

/** Options of `embed(image, options)`. */
export interface EmbedOptions {
  /** A name from `schemes()`: a preset with its own message ("sdxl") or a scheme. */
  scheme: string;
  /** Required for schemes; presets carry their own. */
  message?: string;
  /** "clean" (default, higher PSNR) or "compat" (imwatermark's exact pixels). */
  style?: "clean" | "compat";
  /** "uint8" (default) or "float". */
  convention?: "uint8" | "float";
  /** What to return: "png" (default), "rgba" or "both". */
  output?: "png" | "rgba" | "both";
}

/** What `embed` returns. */
export interface EmbedResult {
  width: number;
  height: number;
  name: string;
  bits: number;
  /** PSNR of the marked image against the cover, in dB. */
  psnr: number;
  png?: Uint8Array;
  rgba?: Uint8ClampedArray;
}
"#;
