//! Python's JSON, byte for byte: what `json.dumps(json.loads(text))` prints with Python's
//! defaults (`ensure_ascii=True`, separators `", "` and `": "`, keys in their first order, floats
//! as `repr`). Signatures computed in Python over `json.dumps(...)` (NovelAI's `signed_hash`)
//! are checked against exactly these bytes.
//!
//! Strings are kept as UTF-16 code units, as Python's `str` keeps lone surrogates that
//! `\uXXXX` escapes may carry; `ensure_ascii` writes each unit back as `\uxxxx`.

/// A parsed JSON value, in Python's reading of it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// An integer, as written (Python's `int` keeps every digit).
    Int(String),
    Float(f64),
    /// UTF-16 code units.
    Str(Vec<u16>),
    Array(Vec<Value>),
    /// Members in their first order; a repeated key keeps its first place and its last value
    /// (Python's `dict` built from the pairs).
    Object(Vec<(Vec<u16>, Value)>),
}

/// Deepest nesting read (Python's recursion limit is about 1,000; metadata is shallow).
const MAX_DEPTH: usize = 128;

impl Value {
    /// Parses `text` as Python's `json.loads` does (strict: no raw control characters in
    /// strings; `NaN`, `Infinity` and `-Infinity` accepted). `None` where Python raises.
    pub(crate) fn parse(text: &str) -> Option<Value> {
        let mut p = Parser {
            s: text.as_bytes(),
            at: 0,
        };
        let v = p.value(0)?;
        p.ws();
        (p.at == p.s.len()).then_some(v)
    }

    /// The member `key` of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let key: Vec<u16> = key.encode_utf16().collect();
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Removes and returns the member `key` of an object.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Value> {
        let key: Vec<u16> = key.encode_utf16().collect();
        match self {
            Value::Object(m) => {
                let i = m.iter().position(|(k, _)| *k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    /// The string, when this is one (lone surrogates replaced).
    pub(crate) fn as_str(&self) -> Option<String> {
        match self {
            Value::Str(units) => Some(String::from_utf16_lossy(units)),
            _ => None,
        }
    }

    /// Python's `json.dumps(value)`.
    pub(crate) fn dumps(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(digits) => out.push_str(if digits == "-0" { "0" } else { digits }),
            Value::Float(x) => out.push_str(&float_repr(*x)),
            Value::Str(units) => write_str(units, out),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A string as `json.dumps` writes it with `ensure_ascii=True`: printable ASCII as is, `"` and
/// `\` escaped, `\b \f \n \r \t` short, every other unit `\uxxxx` (lowercase hex).
fn write_str(units: &[u16], out: &mut String) {
    out.push('"');
    for &u in units {
        match u {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0x20..=0x7E => out.push(char::from(u as u8)),
            _ => out.push_str(&format!("\\u{u:04x}")),
        }
    }
    out.push('"');
}

/// Python's `repr(float)`: the shortest digits that read back to `x`, in positional notation
/// when the decimal point falls within 16 digits (`1e-05`, `0.0001`, `5.0`,
/// `1000000000000000.0`, `1e+16`); `json.dumps` writes the non-finite values as `NaN`,
/// `Infinity`, `-Infinity`.
fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` prints the shortest round-trip digits, as Python's repr does.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", exp.unsigned_abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.at..].starts_with(lit) {
            self.at += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.s.get(self.at)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::Str),
            b'n' if self.eat(b"null") => Some(Value::Null),
            b't' if self.eat(b"true") => Some(Value::Bool(true)),
            b'f' if self.eat(b"false") => Some(Value::Bool(false)),
            b'N' if self.eat(b"NaN") => Some(Value::Float(f64::NAN)),
            b'I' if self.eat(b"Infinity") => Some(Value::Float(f64::INFINITY)),
            b'-' if self.eat(b"-Infinity") => Some(Value::Float(f64::NEG_INFINITY)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut members: Vec<(Vec<u16>, Value)> = Vec::new();
        // Where each key sits in `members` (a repeated key is found in constant time).
        let mut index: std::collections::HashMap<Vec<u16>, usize> = Default::default();
        self.ws();
        if self.eat(b"}") {
            return Some(Value::Object(members));
        }
        loop {
            self.ws();
            if self.s.get(self.at) != Some(&b'"') {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if !self.eat(b":") {
                return None;
            }
            let v = self.value(depth + 1)?;
            match index.get(&key) {
                Some(&i) => members[i].1 = v,
                None => {
                    index.insert(key.clone(), members.len());
                    members.push((key, v));
                }
            }
            self.ws();
            if self.eat(b"}") {
                return Some(Value::Object(members));
            }
            if !self.eat(b",") {
                return None;
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b"]") {
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b"]") {
                return Some(Value::Array(items));
            }
            if !self.eat(b",") {
                return None;
            }
        }
    }

    /// A string from its opening quote, as UTF-16 code units.
    fn string(&mut self) -> Option<Vec<u16>> {
        self.at += 1;
        let mut units = Vec::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.s.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            let run = std::str::from_utf8(&self.s[start..self.at]).ok()?;
            units.extend(run.encode_utf16());
            match *self.s.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(units);
                }
                b'\\' => {
                    let esc = *self.s.get(self.at + 1)?;
                    self.at += 2;
                    units.push(match esc {
                        b'"' => 0x22,
                        b'\\' => 0x5C,
                        b'/' => 0x2F,
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => 0x0A,
                        b'r' => 0x0D,
                        b't' => 0x09,
                        b'u' => {
                            let hex = self.s.get(self.at..self.at + 4)?;
                            let hex = std::str::from_utf8(hex).ok()?;
                            if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                                return None;
                            }
                            self.at += 4;
                            u16::from_str_radix(hex, 16).ok()?
                        }
                        _ => return None,
                    });
                }
                // A raw control character: strict mode refuses it.
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.eat(b"-");
        match self.s.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return None,
        }
        let mut float = false;
        if self.s.get(self.at) == Some(&b'.')
            && self.s.get(self.at + 1).is_some_and(u8::is_ascii_digit)
        {
            float = true;
            self.at += 1;
            self.digits();
        }
        if matches!(self.s.get(self.at), Some(b'e' | b'E')) {
            let save = self.at;
            self.at += 1;
            if matches!(self.s.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                float = true;
                self.digits();
            } else {
                // Python's number pattern stops before a bare `e`; the rest is then extra data.
                self.at = save;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
        if float {
            text.parse().ok().map(Value::Float)
        } else {
            Some(Value::Int(text.to_string()))
        }
    }

    fn digits(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redump(s: &str) -> String {
        Value::parse(s).expect("parses").dumps()
    }

    // Expected strings are what CPython 3 prints for `json.dumps(json.loads(s))`.
    #[test]
    fn floats_print_as_python_repr() {
        for (x, want) in [
            (5.0, "5.0"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (-2.5e-300, "-2.5e-300"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
            (0.30000000000000004, "0.30000000000000004"),
            (12.75, "12.75"),
        ] {
            assert_eq!(float_repr(x), want, "{x:e}");
        }
        assert_eq!(redump("[1E400, -1e400, NaN]"), "[Infinity, -Infinity, NaN]");
    }

    #[test]
    fn objects_keep_order_and_python_separators() {
        assert_eq!(
            redump(r#"{"b":1,"a":[true,false,null,{}],"c":{"x":-0}, "e": []}"#),
            r#"{"b": 1, "a": [true, false, null, {}], "c": {"x": 0}, "e": []}"#
        );
        // A repeated key: first place, last value.
        assert_eq!(redump(r#"{"k":1,"j":2,"k":3}"#), r#"{"k": 3, "j": 2}"#);
        assert_eq!(redump("12345678901234567890123"), "12345678901234567890123");
    }

    #[test]
    fn strings_are_escaped_as_ensure_ascii_does() {
        assert_eq!(
            redump(r#""caf\u00e9 é 😀 \/ \" \\ \n\t\b\f\r \u0001 \u007f \ud800""#),
            r#""caf\u00e9 \u00e9 \ud83d\ude00 / \" \\ \n\t\b\f\r \u0001 \u007f \ud800""#
        );
    }

    #[test]
    fn what_python_refuses_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            ".5",
            "\"a\u{1}\"",
            "\"\\x\"",
            "[1] 2",
            "{1: 2}",
            "\"\\u12\"",
            "nul",
        ] {
            assert!(Value::parse(bad).is_none(), "{bad:?}");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(Value::parse(&deep).is_none());
    }

    #[test]
    fn members_are_found_and_removed() {
        let mut v = Value::parse(r#"{"a": "x", "signed_hash": "QUJD", "b": 2}"#).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_str).as_deref(), Some("x"));
        assert_eq!(
            v.remove("signed_hash"),
            Some(Value::Str("QUJD".encode_utf16().collect()))
        );
        assert_eq!(v.dumps(), r#"{"a": "x", "b": 2}"#);
        assert!(v.remove("missing").is_none());
    }
}
