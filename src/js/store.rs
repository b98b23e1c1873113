//! The shared token store (`store` option): a Workers KV namespace, a
//! `denoKvStore(kv)`, or anything with `get(key)` and
//! `put(key, value, { expirationTtl })`. Read before every token request,
//! written after it. A store that throws, hangs past a short bound, or holds
//! garbage is a miss, reported to `onStoreError` and never to the caller.
//!
//! The calls themselves (crypto.subtle, get/put with a time bound, the
//! report) are in the package's `store.js`; what the key and the value are
//! is the core's (`core::store`).

use super::transport::now;
use crate::core::config::Config;
use crate::core::response::Token;
use crate::core::store;
use js_sys::{Object, Promise, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(raw_module = "./store.js")]
extern "C" {
    #[wasm_bindgen(js_name = reportStoreError)]
    fn report_store_error(on_error: &JsValue, message: &str);
    /// Resolves to the SHA-256 digest (a Uint8Array), or undefined.
    #[wasm_bindgen(js_name = storeDigest)]
    fn store_digest(material: &str, on_error: &JsValue) -> Promise;
    /// Resolves to the stored string, or undefined (a miss).
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(store: &Object, key: &str, bound_ms: u32, on_error: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = storePut)]
    fn store_put(store: &Object, key: &str, value: &str, expiration_ttl: f64, bound_ms: u32, on_error: &JsValue) -> Promise;
}

/// The longest a store call may take before it counts as a miss (less when
/// less is left of the flight's `deadlineMs`).
pub const STORE_TIMEOUT_MS: u32 = 1_000;

pub struct SharedStore {
    store: Object,
    /// `onStoreError`, or undefined.
    on_error: JsValue,
    /// The hashed key, computed on first use.
    key: RefCell<Option<String>>,
}

impl SharedStore {
    pub fn new(store: Object, on_error: Option<js_sys::Function>) -> Self {
        SharedStore { store, on_error: on_error.map_or(JsValue::UNDEFINED, JsValue::from), key: RefCell::new(None) }
    }

    /// `edge-auth:v2:` + hex SHA-256 of the key material.
    async fn key(&self, config: &Config) -> Option<String> {
        if let Some(k) = self.key.borrow().as_ref() {
            return Some(k.clone());
        }
        let material = store::key_material(config);
        let digest = JsFuture::from(store_digest(material.expose(), &self.on_error)).await.ok()?;
        let key = store::key(&digest.dyn_into::<Uint8Array>().ok()?.to_vec());
        *self.key.borrow_mut() = Some(key.clone());
        Some(key)
    }

    /// A stored token, if the store has a well-formed one bound to our key
    /// (`None` also when `bound_ms` is: no time left to ask).
    pub async fn read(&self, config: &Config, bound_ms: Option<u32>) -> Option<Token> {
        let bound_ms = bound_ms?;
        let key = self.key(config).await?;
        let text = JsFuture::from(store_get(&self.store, &key, bound_ms, &self.on_error)).await.ok()?.as_string()?;
        store::decode(&text, &key, now()).map_err(|why| report_store_error(&self.on_error, why)).ok()
    }

    pub async fn write(&self, config: &Config, token: &Token, bound_ms: u32) {
        let Some(key) = self.key(config).await else { return };
        let Some(value) = store::encode(token, &key) else {
            return report_store_error(&self.on_error, "token too large to share (over 64 KiB); not written");
        };
        let ttl = store::expiration_ttl(token, now());
        let _ = JsFuture::from(store_put(&self.store, &key, value.expose(), ttl as f64, bound_ms, &self.on_error)).await;
    }
}
