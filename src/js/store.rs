//! The shared token store (`store` option): a Workers KV namespace, a
//! `denoKvStore(kv)`, or anything with `get(key)` and
//! `put(key, value, { expirationTtl })`. Read before every token request,
//! written after it. A store that throws, hangs past a short bound, or holds
//! garbage is a miss, reported to `onStoreError` and never to the caller.
//! What is reported is cleaned of secrets first: a store's error may quote
//! the value it was given, which holds the token.
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
    /// Resolves to the SHA-256 digest (a Uint8Array), or `{ failure }`.
    #[wasm_bindgen(js_name = storeDigest)]
    fn store_digest(material: &str) -> Promise;
    /// Resolves to the stored string, undefined (a miss), or `{ failure }`.
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(store: &Object, key: &str, bound_ms: u32) -> Promise;
    /// Resolves to undefined, or `{ failure }`.
    #[wasm_bindgen(js_name = storePut)]
    fn store_put(store: &Object, key: &str, value: &str, expiration_ttl: f64, bound_ms: u32) -> Promise;
}

/// What a store call resolved to: the value, or `None` after reporting its
/// `{ failure }` (cleaned by `clean`) to `onStoreError`.
async fn settle(promise: Promise, on_error: &JsValue, clean: &dyn Fn(&str) -> String) -> Option<JsValue> {
    let value = JsFuture::from(promise).await.unwrap_or(JsValue::UNDEFINED);
    match value.dyn_ref::<Object>().filter(|_| !value.is_instance_of::<Uint8Array>()) {
        Some(object) => {
            let failure = super::options::own(object, "failure").as_string().unwrap_or_default();
            report_store_error(on_error, &clean(&failure));
            None
        }
        None => Some(value),
    }
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
    async fn key(&self, config: &Config, clean: &dyn Fn(&str) -> String) -> Option<String> {
        if let Some(k) = self.key.borrow().as_ref() {
            return Some(k.clone());
        }
        let material = store::key_material(config);
        let digest = settle(store_digest(material.expose()), &self.on_error, clean).await?;
        let key = store::key(&digest.dyn_into::<Uint8Array>().ok()?.to_vec());
        *self.key.borrow_mut() = Some(key.clone());
        Some(key)
    }

    /// A stored token, if the store has a well-formed one bound to our key
    /// (`None` also when `bound_ms` is: no time left to ask). `clean`
    /// removes secrets from what is reported.
    pub async fn read(&self, config: &Config, bound_ms: Option<u32>, clean: &dyn Fn(&str) -> String) -> Option<Token> {
        let bound_ms = bound_ms?;
        let key = self.key(config, clean).await?;
        let text = settle(store_get(&self.store, &key, bound_ms), &self.on_error, clean).await?.as_string()?;
        store::decode(&text, &key, now()).map_err(|why| report_store_error(&self.on_error, why)).ok()
    }

    pub async fn write(&self, config: &Config, token: &Token, bound_ms: u32, clean: &dyn Fn(&str) -> String) {
        let Some(key) = self.key(config, clean).await else { return };
        let Some(value) = store::encode(token, &key) else {
            return report_store_error(&self.on_error, "token too large to share (over 64 KiB); not written");
        };
        let ttl = store::expiration_ttl(token, now());
        let _ = settle(store_put(&self.store, &key, value.expose(), ttl as f64, bound_ms), &self.on_error, clean).await;
    }
}
