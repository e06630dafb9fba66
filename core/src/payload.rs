//! Payloads: bit strings and their hex / text / integer forms.
//!
//! Bits are ordered most significant first, as `numpy.unpackbits` orders them (that is what
//! `invisible-watermark` embeds).

use crate::error::{Error, Result};
use std::fmt;

/// A bit string.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bits(Vec<bool>);

impl Bits {
    /// From booleans.
    pub fn new(bits: Vec<bool>) -> Bits {
        Bits(bits)
    }

    /// Bytes to bits, most significant bit of each byte first.
    pub fn from_bytes(bytes: &[u8]) -> Bits {
        Bits(
            bytes
                .iter()
                .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
                .collect(),
        )
    }

    /// Parses `"0101..."` (spaces and underscores ignored).
    pub fn from_bit_str(s: &str) -> Result<Bits> {
        let mut v = Vec::new();
        for ch in s.chars() {
            match ch {
                '0' => v.push(false),
                '1' => v.push(true),
                ' ' | '_' => {}
                other => return Err(Error::message(format!("'{other}' is not a bit in \"{s}\""))),
            }
        }
        if v.is_empty() {
            return Err(Error::message("empty bit string"));
        }
        Ok(Bits(v))
    }

    /// Parses hex digits (an optional `0x` prefix; 4 bits a digit, so odd lengths work).
    pub fn from_hex(s: &str) -> Result<Bits> {
        let t = s.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.is_empty() {
            return Err(Error::message("empty hex string"));
        }
        let mut v = Vec::with_capacity(t.len() * 4);
        for ch in t.chars() {
            let d = ch
                .to_digit(16)
                .ok_or_else(|| Error::message(format!("'{ch}' is not a hex digit in \"{s}\"")))?;
            v.extend((0..4).rev().map(|i| (d >> i) & 1 == 1));
        }
        Ok(Bits(v))
    }

    /// An unsigned integer as exactly `len` bits (most significant first).
    pub fn from_u128(value: u128, len: usize) -> Result<Bits> {
        if len == 0 || len > 128 || (len < 128 && value >> len != 0) {
            return Err(Error::message(format!(
                "{value} does not fit in {len} bits"
            )));
        }
        Ok(Bits(
            (0..len).rev().map(|i| (value >> i) & 1 == 1).collect(),
        ))
    }

    /// Parses a message as the CLI takes it: `0x...` hex, `bits:0101...`, `text:...`
    /// (UTF-8 bytes), or bare hex.
    pub fn parse(s: &str) -> Result<Bits> {
        if let Some(rest) = s.strip_prefix("bits:") {
            Bits::from_bit_str(rest)
        } else if let Some(rest) = s.strip_prefix("text:") {
            if rest.is_empty() {
                return Err(Error::message("empty text message"));
            }
            Ok(Bits::from_bytes(rest.as_bytes()))
        } else {
            Bits::from_hex(s)
        }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there are no bits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The bits.
    pub fn as_slice(&self) -> &[bool] {
        &self.0
    }
    /// Bit `i`.
    pub fn get(&self, i: usize) -> Option<bool> {
        self.0.get(i).copied()
    }

    /// Number of positions where both agree (over the shorter length).
    pub fn matches(&self, other: &Bits) -> usize {
        self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count()
    }

    /// Packs into bytes, most significant bit first; a last partial byte is zero-padded.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | (u8::from(b) << (7 - i)))
            })
            .collect()
    }

    /// Hex form (`0x` prefix, one digit per 4 bits; a partial last digit is zero-padded).
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 + self.0.len() / 4 + 1);
        s.push_str("0x");
        for c in self.0.chunks(4) {
            let d = c
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (3 - i)));
            s.push(char::from_digit(d, 16).unwrap_or('?').to_ascii_uppercase());
        }
        s
    }

    /// The bytes as text, when the length is whole bytes and they are printable ASCII.
    pub fn to_text(&self) -> Option<String> {
        if !self.0.len().is_multiple_of(8) {
            return None;
        }
        let bytes = self.to_bytes();
        bytes
            .iter()
            .all(|b| (0x20..0x7f).contains(b))
            .then(|| String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl fmt::Display for Bits {
    /// `0` and `1` characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in &self.0 {
            f.write_str(if b { "1" } else { "0" })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bits({self})")
    }
}

impl serde::Serialize for Bits {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_msb_first() {
        let b = Bits::from_hex("0xB3EC907BB19E").unwrap();
        assert_eq!(b.len(), 48);
        assert_eq!(b.to_hex(), "0xB3EC907BB19E");
        assert_eq!(&b.to_string()[..8], "10110011");
        assert_eq!(b.to_bytes(), vec![0xB3, 0xEC, 0x90, 0x7B, 0xB1, 0x9E]);
        assert_eq!(Bits::from_bytes(&[0xB3]).to_string(), "10110011");
    }

    #[test]
    fn parse_forms() {
        assert_eq!(
            Bits::parse("text:hi").unwrap().to_text().as_deref(),
            Some("hi")
        );
        assert_eq!(Bits::parse("bits:1 0_1").unwrap().to_string(), "101");
        assert!(Bits::parse("0xZZ").is_err());
        assert!(Bits::parse("bits:").is_err());
        assert!(Bits::parse("text:").is_err());
        assert_eq!(Bits::from_u128(5, 4).unwrap().to_string(), "0101");
        assert!(Bits::from_u128(16, 4).is_err());
    }

    #[test]
    fn matches_counts_agreement() {
        let a = Bits::from_bit_str("1100").unwrap();
        let b = Bits::from_bit_str("1010").unwrap();
        assert_eq!(a.matches(&b), 2);
        assert_eq!(a.to_text(), None);
    }
}
