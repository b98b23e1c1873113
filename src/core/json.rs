//! A small JSON reader and writer for the shapes the core handles: token
//! responses, vendor errors, JWT claims and store entries. Written here
//! rather than taken from serde_json to keep the wasm small; it follows
//! RFC 8259, rejects what it does not follow, nests at most 64 deep and
//! never panics (property-tested and fuzzed).

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Members in document order. A repeated name keeps its first value:
    /// `get` finds the first (no duplicate check while parsing, which was
    /// quadratic in the number of names: found by fuzzing).
    Object(Vec<(String, Value)>),
}

const MAX_DEPTH: usize = 64;

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A non-negative whole number that fits in 53 bits.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_f64().filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_992.0).map(|n| n as u64)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Parses a complete JSON text.
pub fn parse(input: &[u8]) -> Option<Value> {
    let mut p = Parser { s: input, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    (p.i == input.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &[u8]) -> Option<()> {
        if self.s.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            b't' => self.eat(b"true").map(|_| Value::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Value::Bool(false)),
            b'n' => self.eat(b"null").map(|_| Value::Null),
            _ => self.number().map(Value::Number),
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(Value::Object(members));
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.eat(b":")?;
            self.ws();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(Value::Object(members));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Some(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        let mut n = 0u32;
        for d in digits {
            n = n * 16 + (*d as char).to_digit(16)?;
        }
        self.i += 4;
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1F => return None,
                _ => out.push(b),
            }
        }
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`, computed without core's
    /// float parser (exact for integers up to 2^53, close enough otherwise:
    /// the core reads lifetimes and timestamps).
    fn number(&mut self) -> Option<f64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        // Checked, as everywhere in the core: slicing has a panic path.
        let int = self.s.get(int_start..self.i)?;
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
            return None;
        }
        let mut value = 0f64;
        for d in int {
            value = value * 10.0 + f64::from(d - b'0');
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            let frac_start = self.i;
            let mut scale = 0.1;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                value += f64::from(d - b'0') * scale;
                scale /= 10.0;
                self.i += 1;
            }
            if self.i == frac_start {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let exp_negative = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let exp_start = self.i;
            let mut exp: i32 = 0;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                exp = exp.saturating_mul(10).saturating_add(i32::from(d - b'0'));
                self.i += 1;
            }
            if self.i == exp_start {
                return None;
            }
            // 0e400 is 0, not 0 × inf = NaN (found by fuzzing).
            if value != 0.0 {
                value *= 10f64.powi(if exp_negative { -exp } else { exp });
            }
        }
        Some(if negative { -value } else { value })
    }
}

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                // \u00XX, lower-case hex as JSON.stringify writes it.
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[c as usize >> 4]));
                out.push(char::from(HEX[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_bodies() {
        let v = parse(br#"{"access_token":"eyJ","expires_in":86400,"expires":"Thu, 27 Sep 2025 11:12:01 GMT","ok":true,"n":null,"a":[1,-2.5,3e2]}"#).unwrap();
        assert_eq!(v.get("access_token").and_then(Value::as_str), Some("eyJ"));
        assert_eq!(v.get("expires_in").and_then(Value::as_u64), Some(86400));
        assert_eq!(v.get("a"), Some(&Value::Array(vec![Value::Number(1.0), Value::Number(-2.5), Value::Number(300.0)])));
        assert!(v.get("n").unwrap().is_null());
    }

    #[test]
    fn escapes_and_unicode() {
        let v = parse(br#""a\"b\\c\/\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(v.as_str(), Some("a\"b\\c/\né😀"));
        assert_eq!(parse(br#""\ud83d""#), None, "lone surrogate");
        assert_eq!(parse(b"\"a\x01\""), None, "raw control character");
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "01", "1.", ".5", "-", "1e", "tru", "{\"a\" 1}", "[1 2]", "\"abc", "{} x", "{'a':1}", "NaN"] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn control_characters_are_written_as_lower_case_escapes() {
        let mut out = String::new();
        write_string(&mut out, "a\u{1}\u{1f}\n");
        assert_eq!(out, r#""a\u0001\u001f\n""#);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert_eq!(parse(deep.as_bytes()), None);
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert!(parse(ok.as_bytes()).is_some());
        assert_eq!(parse("[".repeat(1_000_000).as_bytes()), None);
    }

    #[test]
    fn zero_with_a_huge_exponent_is_zero() {
        for t in ["0e400", "-0e999", "0.0E+309"] {
            assert_eq!(parse(t.as_bytes()).and_then(|v| v.as_f64()), Some(0.0), "{t}");
        }
    }

    #[test]
    fn many_member_names_parse_in_linear_time() {
        // A 1 MiB body with ~110,000 names once took 72 s (quadratic duplicate check).
        let names: Vec<String> = (0..110_000).map(|i| format!("\"{i:x}\":0")).collect();
        let body = format!("{{{}}}", names.join(","));
        let start = std::time::Instant::now();
        assert!(parse(body.as_bytes()).is_some());
        assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    }

    #[test]
    fn repeated_names_keep_the_first() {
        let v = parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_f64), Some(1.0));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn strings_round_trip(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            let mut out = String::new();
            write_string(&mut out, &s);
            prop_assert_eq!(parse(out.as_bytes()), Some(Value::String(s)));
        }

        #[test]
        fn integers_are_exact(n in 0u64..(1 << 53)) {
            prop_assert_eq!(parse(n.to_string().as_bytes()).and_then(|v| v.as_u64()), Some(n));
        }
    }
}
