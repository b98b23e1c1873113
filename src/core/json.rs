//! JSON for the shapes the core handles: token responses, vendor errors,
//! JWT claims, key files and store entries. The core reads them as a
//! [`Value`] that the host's parser builds ([`parse`]) and writes them with
//! [`write_string`].

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Members in the order the host gives them, each name once.
    Object(Vec<(String, Value)>),
}

/// How deep a JSON text may nest (the outermost value is at depth 0).
pub const MAX_DEPTH: usize = 64;

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

/// Reads a complete JSON text with the host's JSON parser: JavaScript's
/// `JSON.parse` in the wasm (`js::json`), so that no JSON parser ships in
/// it; serde_json natively (the tests, the simulation and the fuzz
/// targets). Both hosts keep the same rules, which `reader_rules` below
/// checks on each (natively in `cargo test`, in Node and Chromium by
/// `make test-wasm`):
/// - RFC 8259 text only, in UTF-8; anything else is `None`;
/// - at most [`MAX_DEPTH`] levels: a value nested deeper makes the whole
///   text `None`, as does a string with a lone surrogate;
/// - a repeated member name keeps its last value (`JSON.parse`'s rule).
pub fn parse(input: &[u8]) -> Option<Value> {
    #[cfg(target_arch = "wasm32")]
    return crate::js::json::parse(input);
    #[cfg(not(target_arch = "wasm32"))]
    return native::parse(input);
}

/// serde_json read into [`Value`], members in document order, a repeated
/// name's last value in its first place (as `JSON.parse` keeps it).
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::{Value, MAX_DEPTH};
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::collections::HashMap;

    struct Read(Value);

    impl<'de> Deserialize<'de> for Read {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Read, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Read;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_unit<E>(self) -> Result<Read, E> {
                    Ok(Read(Value::Null))
                }
                fn visit_bool<E>(self, b: bool) -> Result<Read, E> {
                    Ok(Read(Value::Bool(b)))
                }
                fn visit_u64<E>(self, n: u64) -> Result<Read, E> {
                    Ok(Read(Value::Number(n as f64)))
                }
                fn visit_i64<E>(self, n: i64) -> Result<Read, E> {
                    Ok(Read(Value::Number(n as f64)))
                }
                fn visit_f64<E>(self, n: f64) -> Result<Read, E> {
                    Ok(Read(Value::Number(n)))
                }
                fn visit_str<E>(self, s: &str) -> Result<Read, E> {
                    Ok(Read(Value::String(s.to_owned())))
                }
                fn visit_string<E>(self, s: String) -> Result<Read, E> {
                    Ok(Read(Value::String(s)))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
                    let mut items = Vec::new();
                    while let Some(Read(item)) = seq.next_element()? {
                        items.push(item);
                    }
                    Ok(Read(Value::Array(items)))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
                    let mut members: Vec<(String, Value)> = Vec::new();
                    // Linear in the number of names (a 1 MiB body can hold
                    // 110,000 of them).
                    let mut at: HashMap<String, usize> = HashMap::new();
                    while let Some((k, Read(v))) = map.next_entry::<String, Read>()? {
                        match at.get(&k) {
                            Some(&i) => members[i].1 = v,
                            None => {
                                at.insert(k.clone(), members.len());
                                members.push((k, v));
                            }
                        }
                    }
                    Ok(Read(Value::Object(members)))
                }
            }
            d.deserialize_any(V)
        }
    }

    fn within_depth(v: &Value, depth: usize) -> bool {
        depth < MAX_DEPTH
            && match v {
                Value::Array(items) => items.iter().all(|i| within_depth(i, depth + 1)),
                Value::Object(members) => members.iter().all(|(_, v)| within_depth(v, depth + 1)),
                _ => true,
            }
    }

    pub fn parse(input: &[u8]) -> Option<Value> {
        // serde_json's own recursion limit (128) keeps the stack bounded.
        let Read(v) = serde_json::from_slice(input).ok()?;
        within_depth(&v, 0).then_some(v)
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

/// The reader's rules (see [`parse`]), checked on whichever host parses:
/// natively by `cargo test`, in the wasm by src/js/tests.rs in Node and
/// Chromium.
#[cfg(test)]
pub(crate) fn reader_rules() {
    let v = parse(br#"{"access_token":"eyJ","expires_in":86400,"expires":"Thu, 27 Sep 2025 11:12:01 GMT","ok":true,"n":null,"a":[1,-2.5,3e2]}"#).unwrap();
    assert_eq!(v.get("access_token").and_then(Value::as_str), Some("eyJ"));
    assert_eq!(v.get("expires_in").and_then(Value::as_u64), Some(86400));
    assert_eq!(v.get("a"), Some(&Value::Array(vec![Value::Number(1.0), Value::Number(-2.5), Value::Number(300.0)])));
    assert_eq!(v.get("ok"), Some(&Value::Bool(true)));
    assert!(v.get("n").unwrap().is_null());

    let v = parse(br#""a\"b\\c\/\n\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(v.as_str(), Some("a\"b\\c/\né😀"));
    assert_eq!(parse(br#""\ud83d""#), None, "lone surrogate");
    assert_eq!(parse(br#"{"\udc00":1}"#), None, "lone surrogate in a name");
    assert_eq!(parse(b"\"a\x01\""), None, "raw control character");
    assert_eq!(parse(b"\"\xff\""), None, "not UTF-8");
    assert_eq!(parse(b"\xef\xbb\xbf{}"), None, "a byte order mark is not JSON whitespace");
    for bad in ["", "{", "{\"a\":}", "[1,]", "01", "1.", ".5", "-", "1e", "tru", "{\"a\" 1}", "[1 2]", "\"abc", "{} x", "{'a':1}", "NaN", "undefined", "[1,,2]"] {
        assert_eq!(parse(bad.as_bytes()), None, "{bad}");
    }

    let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
    assert!(parse(deep(MAX_DEPTH).as_bytes()).is_some());
    assert_eq!(parse(deep(MAX_DEPTH + 1).as_bytes()), None);
    assert_eq!(parse(deep(100_000).as_bytes()), None);
    assert_eq!(parse("[".repeat(100_000).as_bytes()), None);

    for t in ["0e400", "-0e999", "0.0E+309"] {
        assert_eq!(parse(t.as_bytes()).and_then(|v| v.as_f64()), Some(0.0), "{t}");
    }
    assert_eq!(parse(b"9007199254740994").and_then(|v| v.as_u64()), None, "beyond 2^53");
    assert_eq!(parse(b"9007199254740992").and_then(|v| v.as_u64()), Some(1 << 53));

    let v = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
    assert_eq!(v.get("a").and_then(Value::as_f64), Some(3.0), "a repeated name keeps its last value");
    assert_eq!(v, Value::Object(vec![("a".into(), Value::Number(3.0)), ("b".into(), Value::Number(2.0))]));
    let v = parse(br#"{"__proto__":{"x":1},"constructor":"c"}"#).unwrap();
    assert_eq!(v.get("__proto__").and_then(|p| p.get("x")).and_then(Value::as_f64), Some(1.0), "__proto__ is an ordinary name");
    assert_eq!(v.get("constructor").and_then(Value::as_str), Some("c"));
    assert_eq!(v.get("toString"), None, "nothing inherited");

    // Linear in the number of names: a 1 MiB body holds ~110,000.
    let names: Vec<String> = (0..110_000).map(|i| format!("\"k{i:x}\":0")).collect();
    let body = format!("{{{}}}", names.join(","));
    match parse(body.as_bytes()) {
        Some(Value::Object(members)) => assert_eq!(members.len(), 110_000),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_native_reader_keeps_the_rules() {
        reader_rules();
    }

    #[test]
    fn control_characters_are_written_as_lower_case_escapes() {
        let mut out = String::new();
        write_string(&mut out, "a\u{1}\u{1f}\n");
        assert_eq!(out, r#""a\u0001\u001f\n""#);
    }

    proptest! {
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
