//! The core's own JSON reader (`json::parse`, which every response, JWT and
//! store value goes through) against serde_json, and `json::write_string`.
//!
//! Input layout: the bytes are the JSON text; as (lossy) UTF-8 they are also
//! the string for `write_string`.
//!
//! Invariants (serde_json as the reference, with the reader's documented
//! differences: at most 64 levels deep, a repeated member name keeps its
//! first value, numbers computed without a float parser):
//! - whatever serde_json accepts within 64 levels, the reader accepts, and
//!   whatever the reader accepts, serde_json accepts (or rejects only for a
//!   number out of f64's range);
//! - the two agree on every value: strings, booleans, nulls, order of
//!   arrays and members, integers up to 2^53 exactly, ordinary numbers to
//!   1e-9 relative (literals at f64's limits may round to 0 or infinity:
//!   the reader is documented as close enough there), and never NaN;
//! - `write_string` output reads back (by both) as the same string.
#![no_main]

use edge_auth::core::json::{parse, write_string, Value};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

const MAX_DEPTH: usize = 64;
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// serde_json's reading, with every member kept in order (serde_json's own
/// Value keeps the last of repeated names, the reader the first).
#[derive(Debug)]
enum Tree {
    Null,
    Bool(bool),
    /// The number, and whether serde_json read it as an integer.
    Num(f64, bool),
    Str(String),
    Arr(Vec<Tree>),
    Obj(Vec<(String, Tree)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tree;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Tree, E> {
                Ok(Tree::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Tree, E> {
                Ok(Tree::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Tree, E> {
                Ok(Tree::Num(n as f64, true))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Tree, E> {
                Ok(Tree::Num(n as f64, true))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Tree, E> {
                Ok(Tree::Num(n, false))
            }
            fn visit_str<E>(self, s: &str) -> Result<Tree, E> {
                Ok(Tree::Str(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Tree, E> {
                Ok(Tree::Str(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Tree::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Tree>()? {
                    members.push((k, v));
                }
                Ok(Tree::Obj(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// The deepest value's depth, the outermost being 0.
fn depth(t: &Tree) -> usize {
    match t {
        Tree::Arr(items) => items.iter().map(|i| 1 + depth(i)).max().unwrap_or(0),
        Tree::Obj(members) => members.iter().map(|(_, v)| 1 + depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

fn has_non_finite(v: &Value) -> bool {
    match v {
        Value::Number(n) => !n.is_finite(),
        Value::Array(items) => items.iter().any(has_non_finite),
        Value::Object(members) => members.iter().any(|(_, v)| has_non_finite(v)),
        _ => false,
    }
}

fn same_number(ours: f64, theirs: f64, integer: bool, path: &str) {
    assert!(!ours.is_nan(), "{path}: the reader made NaN of {theirs}");
    if integer && theirs.abs() <= EXACT_LIMIT {
        assert_eq!(ours, theirs, "{path}: integer not exact");
        return;
    }
    // Elsewhere the reader is "close enough": it scales by powers of ten
    // without a float parser, so literals with hundreds of digits or
    // exponents near f64's limits may round to 0 or infinity. Ordinary
    // magnitudes must agree closely.
    if ours != theirs && ours.is_finite() && ours != 0.0 && (1e-200..=1e200).contains(&theirs.abs()) {
        let rel = ((ours - theirs) / theirs).abs();
        assert!(rel <= 1e-9, "{path}: {ours} vs {theirs} (relative error {rel:e})");
    }
}

fn same(ours: &Value, theirs: &Tree, path: &str) {
    match (ours, theirs) {
        (Value::Null, Tree::Null) => {}
        (Value::Bool(a), Tree::Bool(b)) => assert_eq!(a, b, "{path}"),
        (Value::Number(a), Tree::Num(b, integer)) => same_number(*a, *b, *integer, path),
        (Value::String(a), Tree::Str(b)) => assert_eq!(a, b, "{path}"),
        (Value::Array(a), Tree::Arr(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: array length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(a), Tree::Obj(b)) => {
            // Every member in document order, repeated names included
            // (finding repeats while parsing was quadratic); `get` gives the
            // first of each name. Checked for the first 64 names, which keeps
            // this oracle linear too.
            assert_eq!(a.len(), b.len(), "{path}: member count");
            for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                assert_eq!(ka, kb, "{path}: member order");
                same(va, vb, &format!("{path}.{ka}"));
            }
            let mut seen = std::collections::HashSet::new();
            for (k, v) in a.iter().filter(|(k, _)| seen.insert(k.as_str())).take(64) {
                assert!(ours.get(k).is_some_and(|g| std::ptr::eq(g, v)), "{path}: get({k:?}) is not the first member");
            }
        }
        _ => panic!("{path}: the reader gives {ours:?}, serde_json {theirs:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let ours = parse(data);
    let theirs: Result<Tree, _> = serde_json::from_slice(data);
    match (&ours, &theirs) {
        (Some(v), Ok(t)) => same(v, t, "$"),
        (Some(v), Err(e)) => assert!(has_non_finite(v), "the reader accepts what serde_json rejects ({e}): {v:?}"),
        (None, Ok(t)) => assert!(depth(t) >= MAX_DEPTH, "the reader rejects valid JSON {t:?}"),
        (None, Err(_)) => {}
    }
    if let Some(v) = &ours {
        // Accessors agree with the value.
        if let Some(n) = v.as_u64() {
            assert!(matches!(v, Value::Number(x) if *x == n as f64 && n as f64 <= EXACT_LIMIT));
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
