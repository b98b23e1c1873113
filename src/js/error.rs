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

/// The code for an abort or a failed fetch: `timeout` when the reason is a
/// `TimeoutError` (an `AbortSignal.timeout`), `network` otherwise.
pub fn abort_code(reason: &JsValue) -> ErrorCode {
    let name = js_sys::Reflect::get(reason, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
    if name.is_some_and(|n| n == "TimeoutError") {
        ErrorCode::Timeout
    } else {
        ErrorCode::Network
    }
}

/// A short description of a JS exception (`name: message`), for wrapping it
/// in an `AuthError`. Runtime errors from `fetch` carry no secrets of ours.
pub fn describe(error: &JsValue) -> String {
    let get = |key: &str| js_sys::Reflect::get(error, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    match (get("name"), get("message")) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (_, Some(m)) => m,
        _ => error.as_string().unwrap_or_else(|| "unknown error".to_owned()),
    }
}
