//! The core's JSON reader in the wasm (`core::json::parse`): the host's
//! `JSON.parse`, walked into the core's `Value`. Only the walk is wasm
//! code; parsing is the engine's. The rules are the core's (docs in
//! `core::json::parse`): UTF-8 text, at most `MAX_DEPTH` levels, no lone
//! surrogates, a repeated name's last value (`JSON.parse` keeps that one).

use crate::core::json::{Value, MAX_DEPTH};
use js_sys::{Array, JsString, Object, JSON};
use wasm_bindgen::{JsCast, JsValue};

pub fn parse(input: &[u8]) -> Option<Value> {
    let text = core::str::from_utf8(input).ok()?;
    walk(&JSON::parse(text).ok()?, 0)
}

fn walk(v: &JsValue, depth: usize) -> Option<Value> {
    if depth >= MAX_DEPTH {
        return None;
    }
    if v.is_null() {
        return Some(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Some(Value::Number(n));
    }
    if v.is_string() {
        return string(v).map(Value::String);
    }
    if Array::is_array(v) {
        let mut items = Vec::new();
        for item in v.unchecked_ref::<Array>().iter() {
            items.push(walk(&item, depth + 1)?);
        }
        return Some(Value::Array(items));
    }
    // Own enumerable properties only, as JSON.parse made them ("__proto__"
    // is an ordinary name there).
    let mut members = Vec::new();
    for pair in Object::entries(v.unchecked_ref()).iter() {
        let pair: Array = pair.unchecked_into();
        members.push((string(&pair.get(0))?, walk(&pair.get(1), depth + 1)?));
    }
    Some(Value::Object(members))
}

/// A JS string as Rust text, or `None` for one with a lone surrogate
/// (which the conversion would turn into U+FFFD). The exact check crosses
/// the boundary once per code unit, so it runs only when a U+FFFD appears.
fn string(v: &JsValue) -> Option<String> {
    let s = v.as_string()?;
    // U+FFFD in UTF-8, found bytewise (str::contains links a substring
    // searcher and its panic text).
    let replaced = s.as_bytes().windows(3).any(|w| w == [0xEF, 0xBF, 0xBD]);
    (!replaced || v.unchecked_ref::<JsString>().is_valid_utf16()).then_some(s)
}
