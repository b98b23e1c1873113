//! The core's loopback rule, for the JS `fetch` wrapper
//! (`pkg-template/api_fetch.js`): a token may go over `http:` only to one of
//! these hosts. The wrapper calls it with a hostname the runtime's own URL
//! parser produced, once per new API URL.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_name = isLoopbackHost)]
pub fn is_loopback_host(hostname: &str) -> bool {
    crate::core::url::is_loopback_host(hostname)
}
