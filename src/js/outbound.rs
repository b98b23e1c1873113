//! What goes out to JavaScript as plain values, serialized by
//! serde-wasm-bindgen: `TokenInfo` (docs/API.md §4, also `onToken`'s
//! argument), the header list the JS face adds to API calls, and a store
//! put's options.
//!
//! Objects are serialized as maps, not structs: serde-wasm-bindgen
//! interns a struct's field names in a hash map, which costs 2 KB of wasm.

use crate::core::headers::ApiHeader;
use crate::core::manager::TokenInfo;
use serde::ser::{Serialize, SerializeMap, Serializer};
use wasm_bindgen::JsValue;

fn to_js(value: &impl Serialize) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).unwrap_or(JsValue::UNDEFINED)
}

/// A plain object of these entries (`None` values left out).
struct Entries<'a>(&'a [(&'a str, Option<Value<'a>>)]);

#[derive(Clone, Copy)]
enum Value<'a> {
    Str(&'a str),
    Num(f64),
}

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.0 {
            match value {
                Some(Value::Str(v)) => map.serialize_entry(key, v)?,
                Some(Value::Num(v)) => map.serialize_entry(key, v)?,
                None => {}
            }
        }
        map.end()
    }
}

/// `{ accessToken, tokenType, expiresAt, refreshExpiresAt?, scope? }`; never a credential or refresh token.
pub fn token_info(info: &TokenInfo) -> JsValue {
    to_js(&Entries(&[
        ("accessToken", Some(Value::Str(info.access_token.expose()))),
        ("tokenType", Some(Value::Str(&info.token_type))),
        ("expiresAt", Some(Value::Num(info.expires_at as f64))),
        ("refreshExpiresAt", info.refresh_expires_at.map(|t| Value::Num(t as f64))),
        ("scope", info.scope.as_deref().map(Value::Str)),
    ]))
}

/// `{ expirationTtl }`, a store put's options.
pub fn put_options(ttl_seconds: u64) -> JsValue {
    to_js(&Entries(&[("expirationTtl", Some(Value::Num(ttl_seconds as f64)))]))
}

/// `[name, value, replace]` for each header an API call gets: `replace`
/// headers win over the caller's, the others are added only when the
/// caller has not set them.
pub fn header_list(headers: &[ApiHeader<'_>]) -> JsValue {
    let list: Vec<(&str, &str, bool)> = headers.iter().map(|h| (h.name, h.value.as_ref(), h.replace)).collect();
    to_js(&list)
}
