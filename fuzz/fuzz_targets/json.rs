//! `json::parse` as the core reads JSON natively (serde_json through the
//! core's visitor; in the wasm the host's JSON.parse, whose rules
//! src/js/tests.rs checks in Node and Chromium), and `json::write_string`.
//!
//! Input layout: the bytes are the JSON text; as (lossy) UTF-8 they are also
//! the string for `write_string`.
//!
//! Invariants, with serde_json's own `Value` as the reference:
//! - the reader accepts exactly what serde_json accepts within 64 levels;
//! - the two agree on every value: a repeated member name keeps its last
//!   value (as serde_json's map and `JSON.parse` do), and each name
//!   appears once;
//! - `write_string` output reads back (by both) as the same string.
#![no_main]

use edge_auth::core::json::{parse, write_string, Value, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Theirs;

/// The deepest value's depth, the outermost being 0.
fn depth(t: &Theirs) -> usize {
    match t {
        Theirs::Array(items) => items.iter().map(|i| 1 + depth(i)).max().unwrap_or(0),
        Theirs::Object(members) => members.values().map(|v| 1 + depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

fn same(ours: &Value, theirs: &Theirs, path: &str) {
    match (ours, theirs) {
        (Value::Null, Theirs::Null) => {}
        (Value::Bool(a), Theirs::Bool(b)) => assert_eq!(a, b, "{path}"),
        (Value::Number(a), Theirs::Number(b)) => assert_eq!(Some(*a), b.as_f64(), "{path}"),
        (Value::String(a), Theirs::String(b)) => assert_eq!(a, b, "{path}"),
        (Value::Array(a), Theirs::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: array length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(a), Theirs::Object(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: member count (each name once)");
            for (i, (k, v)) in a.iter().enumerate() {
                let theirs = b.get(k).unwrap_or_else(|| panic!("{path}: {k:?} is not serde_json's"));
                same(v, theirs, &format!("{path}.{k}"));
                // `get` is a linear search: checked for the first 64 names,
                // which keeps this oracle linear.
                if i < 64 {
                    assert!(ours.get(k).is_some_and(|g| std::ptr::eq(g, v)), "{path}: get({k:?})");
                }
            }
        }
        _ => panic!("{path}: the reader gives {ours:?}, serde_json {theirs:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let ours = parse(data);
    let theirs: Result<Theirs, _> = serde_json::from_slice(data);
    match (&ours, &theirs) {
        (Some(v), Ok(t)) => {
            assert!(depth(t) < MAX_DEPTH, "accepted beyond {MAX_DEPTH} levels");
            same(v, t, "$")
        }
        (Some(v), Err(e)) => panic!("the reader accepts what serde_json rejects ({e}): {v:?}"),
        (None, Ok(t)) => assert!(depth(t) >= MAX_DEPTH, "the reader rejects valid JSON {t:?}"),
        (None, Err(_)) => {}
    }
    if let Some(v) = &ours {
        // Accessors agree with the value.
        if let Some(n) = v.as_u64() {
            assert!(matches!(v, Value::Number(x) if *x == n as f64 && n <= 1 << 53));
        }
        assert_eq!(v.as_str().is_some(), matches!(v, Value::String(_)));
        assert_eq!(v.is_null(), matches!(v, Value::Null));
    }

    // write_string round-trips through both readers.
    let s = String::from_utf8_lossy(data);
    let mut out = String::new();
    write_string(&mut out, &s);
    assert_eq!(parse(out.as_bytes()), Some(Value::String(s.to_string())), "write_string({s:?}) = {out:?}");
    let back: String = serde_json::from_str(&out).unwrap_or_else(|e| panic!("write_string({s:?}) = {out:?} is not JSON: {e}"));
    assert_eq!(back, s);
});
