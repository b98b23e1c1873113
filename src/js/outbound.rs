//! What goes out to JavaScript as plain values: `TokenInfo` (docs/API.md §4,
//! also `onToken`'s argument), the header list the JS face adds to API
//! calls, and a store put's options, each built through typed setters.

use crate::core::headers::ApiHeader;
use crate::core::manager::TokenInfo;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type TokenInfoValue;
    #[wasm_bindgen(method, setter = accessToken)]
    fn set_access_token(this: &TokenInfoValue, v: &str);
    #[wasm_bindgen(method, setter = tokenType)]
    fn set_token_type(this: &TokenInfoValue, v: &str);
    #[wasm_bindgen(method, setter = expiresAt)]
    fn set_expires_at(this: &TokenInfoValue, v: f64);
    #[wasm_bindgen(method, setter = refreshExpiresAt)]
    fn set_refresh_expires_at(this: &TokenInfoValue, v: f64);
    #[wasm_bindgen(method, setter = scope)]
    fn set_scope(this: &TokenInfoValue, v: &str);

    type PutOptionsValue;
    #[wasm_bindgen(method, setter = expirationTtl)]
    fn set_expiration_ttl(this: &PutOptionsValue, v: f64);
}

/// `{ accessToken, tokenType, expiresAt, refreshExpiresAt?, scope? }`; never a credential or refresh token.
pub fn token_info(info: &TokenInfo) -> JsValue {
    let o: TokenInfoValue = Object::new().unchecked_into();
    o.set_access_token(info.access_token.expose());
    o.set_token_type(&info.token_type);
    o.set_expires_at(info.expires_at as f64);
    if let Some(at) = info.refresh_expires_at {
        o.set_refresh_expires_at(at as f64);
    }
    if let Some(scope) = &info.scope {
        o.set_scope(scope);
    }
    o.into()
}

/// `{ expirationTtl }`, a store put's options.
pub fn put_options(ttl_seconds: u64) -> JsValue {
    let o: PutOptionsValue = Object::new().unchecked_into();
    o.set_expiration_ttl(ttl_seconds as f64);
    o.into()
}

/// `[name, value, replace]` for each header an API call gets.
pub fn header_list(headers: &[ApiHeader<'_>]) -> JsValue {
    headers.iter().map(|h| -> JsValue { Array::of3(&JsValue::from_str(h.name), &JsValue::from_str(&h.value), &JsValue::from_bool(h.replace)).into() }).collect::<Array>().into()
}
