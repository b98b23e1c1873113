//! `AuthError` is a real JavaScript class (`extends Error`, so `instanceof`
//! and stack traces work), defined in the package's `auth_error.js` and
//! imported here so the wasm can throw it.

use crate::core::error::{ErrorCode, Failure};
use js_sys::Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "./auth_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeAuthError)]
    fn make_auth_error(code: &str, message: &str, status: Option<u16>, messages: Array) -> JsValue;
}

/// A core failure as a JS `AuthError`.
pub fn to_js(failure: &Failure) -> JsValue {
    let messages: Array = failure.messages.iter().map(|m| JsValue::from_str(m)).collect();
    make_auth_error(failure.code.as_str(), &failure.message, failure.status, messages)
}

pub fn js_error(code: ErrorCode, message: &str) -> JsValue {
    to_js(&Failure::new(code, message))
}
