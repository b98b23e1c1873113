//! `AuthError` is a real JavaScript class (`extends Error`, so `instanceof`
//! and stack traces work), defined in the package's `auth_error.js` and
//! imported here so the wasm can reject with it. `describeError` is the one
//! description of a JavaScript exception, shared with the JS face.

use crate::core::error::Failure;
use js_sys::Array;
use wasm_bindgen::prelude::*;

// The package's own file; in the executor's tests (no package around
// them), the same file as a snippet.
#[cfg_attr(not(test), wasm_bindgen(raw_module = "./auth_error.js"))]
#[cfg_attr(test, wasm_bindgen(module = "/pkg-template/auth_error.js"))]
extern "C" {
    #[wasm_bindgen(js_name = makeAuthError)]
    fn make_auth_error(code: &str, message: &str, status: Option<u16>, messages: Array) -> JsValue;
    /// `name: message` of an exception, without secrets of ours.
    #[wasm_bindgen(js_name = describeError)]
    pub fn describe_error(error: &JsValue) -> String;
}

/// A core failure as a JS `AuthError`.
pub fn to_js(failure: &Failure) -> JsValue {
    let messages: Array = failure.messages.iter().map(|m| JsValue::from_str(m)).collect();
    make_auth_error(failure.code.as_str(), &failure.message, failure.status, messages)
}
