//! Metadata hidden in the pixels, and NovelAI's signature over the pixels.
//!
//! - **Stealth metadata** in the alpha channel's least significant bits, as NovelAI writes a
//!   copy of its metadata into every PNG and WebP it makes (and AUTOMATIC1111's
//!   stealth-pnginfo extension writes its parameters): the bits run down each column, then
//!   along to the next column, most significant bit first in each byte; the magic
//!   `stealth_pngcomp` (gzip) or `stealth_pnginfo` (plain), a 32-bit big-endian length in
//!   bits, then the data. NovelAI's data is the JSON of its text chunks (`Software`, `Source`,
//!   `Comment`, ...). It survives metadata stripping, not lossy re-encoding.
//! - **`signed_hash`**: NovelAI's `Comment` carries an Ed25519 signature (base64) over the
//!   image's RGB bytes (row-major, 3 per pixel) followed by Python's `json.dumps` of the
//!   comment without `signed_hash` (reproduced byte for byte by the `pyjson` module); it is checked against NovelAI's
//!   published key, [`NOVELAI_PUBLIC_KEY`] (NovelAI's `nai_sig.py` does the same check). The
//!   check needs the `signatures` feature (default; the classical WebAssembly package leaves it
//!   out for size and says so in the evidence).

#[cfg(feature = "signatures")]
use super::pyjson::Value;
use crate::image::Image;

/// NovelAI's published Ed25519 verification key (base64), as its `nai_sig.py` uses it.
pub const NOVELAI_PUBLIC_KEY: &str = "Y2JcQAOhLwzwSDUJPNgL04nS0Tbqm7cSRc4xk0vRMic=";

/// Largest stealth payload read, compressed or not, and largest inflated text.
const MAX_STEALTH: usize = 1 << 20;

/// Metadata found in the alpha channel's least significant bits.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Stealth {
    /// `"stealth_pngcomp"` (gzip) or `"stealth_pnginfo"` (plain).
    pub magic: &'static str,
    /// The text it carries (NovelAI: JSON; AUTOMATIC1111: its parameters).
    pub text: String,
}

/// The outcome of checking a `signed_hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureCheck {
    /// The signature verifies with the key over these pixels and this comment.
    Verified,
    /// It does not: the pixels or the comment changed, or another key signed it.
    Failed,
    /// No readable signature: the comment is not JSON, has no `signed_hash`, or it is not a
    /// 64-byte base64 value.
    Malformed,
    /// Not checked: built without the `signatures` feature.
    NotChecked,
}

/// The stealth metadata of an image with an alpha plane, if it carries any.
pub fn stealth_metadata(image: &Image) -> Option<Stealth> {
    let alpha = image.alpha()?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut bits = Bits {
        alpha,
        w,
        h,
        next: 0,
    };
    let magic = bits.bytes(15)?;
    let (magic, compressed) = match magic.as_slice() {
        b"stealth_pngcomp" => ("stealth_pngcomp", true),
        b"stealth_pnginfo" => ("stealth_pnginfo", false),
        _ => return None,
    };
    let len = u32::from_be_bytes(bits.bytes(4)?.try_into().ok()?) as usize / 8;
    if len > MAX_STEALTH {
        return None;
    }
    let data = bits.bytes(len)?;
    let text = if compressed { gunzip(&data)? } else { data };
    Some(Stealth {
        magic,
        text: String::from_utf8_lossy(&text).into_owned(),
    })
}

/// Reads whole bytes from the alpha plane's least significant bits in stealth order.
struct Bits<'a> {
    alpha: &'a [u8],
    w: usize,
    h: usize,
    next: usize,
}

impl Bits<'_> {
    fn bytes(&mut self, n: usize) -> Option<Vec<u8>> {
        if n.checked_mul(8)? > self.w * self.h - self.next.min(self.w * self.h) {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut byte = 0u8;
            for _ in 0..8 {
                let (col, row) = (self.next / self.h, self.next % self.h);
                byte = (byte << 1) | (self.alpha[row * self.w + col] & 1);
                self.next += 1;
            }
            out.push(byte);
        }
        Some(out)
    }
}

/// A gzip member's contents (RFC 1952: header with its optional fields, raw deflate, CRC-32
/// and length), at most [`MAX_STEALTH`] bytes. The deflate data goes through the zlib
/// inflater the PNG decoder links, behind a synthetic zlib header.
fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let [0x1F, 0x8B, 8, flags] = *data.first_chunk::<4>()? else {
        return None;
    };
    // Modification time, extra flags, OS.
    let mut at = 10;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes([*data.get(at)?, *data.get(at + 1)?]) as usize;
        at += 2 + xlen;
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            at += data.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    let body = data.get(at..)?;
    if body.len() < 8 {
        return None;
    }
    let size = u32::from_le_bytes(body[body.len() - 4..].try_into().ok()?) as usize;
    if size > MAX_STEALTH {
        return None;
    }
    // zlib header (deflate, 32 KiB window, no dictionary, check bits), the deflate data and
    // the gzip trailer, whose first 4 bytes stand where zlib's Adler-32 would (ignored).
    let mut zlib = Vec::with_capacity(body.len() + 2);
    zlib.extend_from_slice(&[0x78, 0x01]);
    zlib.extend_from_slice(body);
    let mut d = fdeflate::Decompressor::new();
    d.ignore_adler32();
    let mut out = vec![0; size];
    let (mut read, mut written) = (0, 0);
    while !d.is_done() {
        let (r, w) = d.read(&zlib[read..], &mut out, written, true).ok()?;
        if r == 0 && w == 0 {
            return None;
        }
        read += r;
        written += w;
    }
    (written == size).then_some(out)
}

/// Checks the `signed_hash` of a NovelAI comment: without the `signatures` feature: [`SignatureCheck::NotChecked`]
/// for a comment that names a `signed_hash`, else [`SignatureCheck::Malformed`].
#[cfg(not(feature = "signatures"))]
pub fn check_novelai_signature(_: &Image, comment: &str, _: &[u8; 32]) -> SignatureCheck {
    if comment.contains("\"signed_hash\"") {
        SignatureCheck::NotChecked
    } else {
        SignatureCheck::Malformed
    }
}

/// Checks the `signed_hash` of a NovelAI comment (the `Comment` text chunk, or the `Comment`
/// field of the stealth metadata) against `public_key` (32 bytes) over `image`'s RGB pixels,
/// as NovelAI's `nai_sig.py` does.
#[cfg(feature = "signatures")]
pub fn check_novelai_signature(
    image: &Image,
    comment: &str,
    public_key: &[u8; 32],
) -> SignatureCheck {
    if comment.len() > MAX_STEALTH {
        return SignatureCheck::Malformed;
    }
    let Some(mut comment) = Value::parse(comment) else {
        return SignatureCheck::Malformed;
    };
    // nai_sig.py: a comment that wraps another `Comment` is checked on the inner one.
    if let Some(inner) = comment.get("Comment").and_then(Value::as_str) {
        match Value::parse(&inner) {
            Some(v) => comment = v,
            None => return SignatureCheck::Malformed,
        }
    }
    let signature = comment
        .remove("signed_hash")
        .and_then(|v| v.as_str())
        .and_then(|s| base64(&s))
        .and_then(|b| <[u8; 64]>::try_from(b).ok());
    let Some(signature) = signature else {
        return SignatureCheck::Malformed;
    };
    let mut message = Vec::with_capacity(image.rgb().len() + 256);
    message.extend_from_slice(image.rgb());
    message.extend_from_slice(comment.dumps().as_bytes());
    ed25519(public_key, &message, &signature)
}

#[cfg(feature = "signatures")]
fn ed25519(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> SignatureCheck {
    use ed25519_dalek::{Signature, VerifyingKey};
    let Ok(key) = VerifyingKey::from_bytes(key) else {
        return SignatureCheck::Failed;
    };
    match key.verify_strict(message, &Signature::from_bytes(signature)) {
        Ok(()) => SignatureCheck::Verified,
        Err(_) => SignatureCheck::Failed,
    }
}

/// Base64 as Python's `base64.b64decode` reads it by default: characters outside the
/// standard alphabet are skipped, the data ends at the first `=`, and a length that needs
/// padding must have it (`None`: Python's "Incorrect padding").
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut nbits, mut n, mut pad) = (0u32, 0u32, 0usize, 0usize);
    for c in text.bytes() {
        let v = match c {
            b'=' => {
                pad += 1;
                continue;
            }
            _ if pad > 0 => continue,
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        n += 1;
        acc = (acc << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((acc >> nbits) as u8);
        }
    }
    match (n % 4, pad) {
        (0, _) | (2, 2..) | (3, 1..) => Some(out),
        _ => None,
    }
}

/// NovelAI's public key as bytes.
pub(crate) fn novelai_key() -> [u8; 32] {
    base64(NOVELAI_PUBLIC_KEY)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .unwrap_or([0; 32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Limits, PixelFormat};

    /// Writes `payload` into the alpha plane in stealth order, as NovelAI's writer does
    /// (unused alpha 255, carrying alpha 254 | bit).
    fn with_stealth(w: u32, h: u32, magic: &[u8], payload: &[u8]) -> Image {
        with_stealth_claiming(w, h, magic, payload, payload.len() * 8)
    }

    /// The same with a length field of `bits`, whatever the payload's length.
    fn with_stealth_claiming(w: u32, h: u32, magic: &[u8], payload: &[u8], bits: usize) -> Image {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&(bits as u32).to_be_bytes());
        bytes.extend_from_slice(payload);
        let (wu, hu) = (w as usize, h as usize);
        let mut rgba = vec![200u8; wu * hu * 4];
        for p in rgba.chunks_mut(4) {
            p[3] = 255;
        }
        for (i, byte) in bytes.iter().enumerate() {
            for b in 0..8 {
                let k = i * 8 + b;
                let (col, row) = (k / hu, k % hu);
                rgba[(row * wu + col) * 4 + 3] = 0xFE | ((byte >> (7 - b)) & 1);
            }
        }
        Image::from_raw(&rgba, w, h, None, PixelFormat::Rgba8, &Limits::default()).unwrap()
    }

    #[test]
    fn plain_stealth_text_is_read_in_column_order() {
        let img = with_stealth(40, 30, b"stealth_pnginfo", b"Steps: 20, Sampler: Euler");
        let s = stealth_metadata(&img).unwrap();
        assert_eq!(
            (s.magic, s.text.as_str()),
            ("stealth_pnginfo", "Steps: 20, Sampler: Euler")
        );
    }

    #[test]
    fn a_length_past_the_image_or_no_magic_gives_nothing() {
        // 40x30 = 1,200 bits: room for the 19-byte header and 131 bytes, not 132.
        let full = with_stealth(40, 30, b"stealth_pnginfo", &[b'x'; 131]);
        assert_eq!(stealth_metadata(&full).unwrap().text.len(), 131);
        let over = with_stealth_claiming(40, 30, b"stealth_pnginfo", &[b'x'; 131], 132 * 8);
        assert!(stealth_metadata(&over).is_none());
        assert!(stealth_metadata(&with_stealth(40, 30, b"stealth_pnginfX", b"a")).is_none());
        let opaque = Image::from_raw(
            &[255; 256],
            8,
            8,
            None,
            PixelFormat::Rgba8,
            &Limits::default(),
        );
        assert!(stealth_metadata(&opaque.unwrap()).is_none());
        assert!(stealth_metadata(&Image::from_rgb(8, 8, vec![0; 192]).unwrap()).is_none());
    }

    #[test]
    fn gzip_members_inflate_with_their_optional_fields() {
        // `gzip.compress(b"hello hello hello", mtime=0)` with FNAME "a" (flags 8).
        let deflated = fdeflate::compress_to_vec(b"hello hello hello");
        // fdeflate writes zlib: strip its 2-byte header and 4-byte Adler-32.
        let raw = &deflated[2..deflated.len() - 4];
        let mut gz = vec![0x1F, 0x8B, 8, 8, 0, 0, 0, 0, 0, 255, b'a', 0];
        gz.extend_from_slice(raw);
        gz.extend_from_slice(&[0, 0, 0, 0]);
        gz.extend_from_slice(&17u32.to_le_bytes());
        assert_eq!(gunzip(&gz).as_deref(), Some(&b"hello hello hello"[..]));
        let n = gz.len();
        gz[n - 4] = 16;
        assert!(gunzip(&gz).is_none(), "a wrong length is refused");
        assert!(gunzip(&gz[..12]).is_none());
        assert!(gunzip(b"not gzip at all").is_none());
    }

    #[test]
    fn base64_and_the_published_key() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(
            base64("aGV*sb\nG8=").unwrap(),
            b"hello",
            "others skipped, as Python"
        );
        assert!(base64("aGVsbG8").is_none(), "missing padding, as Python");
        assert!(base64("aGVsbG8h=").is_some() && base64("a").is_none());
        assert_ne!(novelai_key(), [0; 32]);
    }

    #[cfg(feature = "signatures")]
    #[test]
    fn unreadable_signatures_are_malformed() {
        let img = Image::from_rgb(4, 4, vec![1; 48]).unwrap();
        let key = novelai_key();
        for comment in [
            "not json",
            r#"{"prompt": "a cat"}"#,
            r#"{"signed_hash": "AAAA"}"#,
            r#"{"signed_hash": 5}"#,
            r#"{"Comment": "{broken"}"#,
        ] {
            assert_eq!(
                check_novelai_signature(&img, comment, &key),
                SignatureCheck::Malformed,
                "{comment}"
            );
        }
    }
}
