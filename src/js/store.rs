//! The shared token store's I/O (docs/API.md §7): the key's SHA-256 with
//! `crypto.subtle`, and the store's `get` and `put`. What the key is made
//! of, what a value holds, when to read and write, how long a call may take
//! and whether a stored token is usable are the core's (`core::store`,
//! `core::manager`).
//!
//! A store that throws, rejects, or answers with something that is not a
//! string is reported to `onStoreError` (never to the caller) and counts as
//! a miss; so does one that takes too long, which the token manager decides.
//! What is reported is cleaned of secrets first (the token manager's
//! `safe_message`): a store's error may quote the value it was given.

use super::options::StoreShape;
use super::error::describe_error;
use super::transport::ignore;
use crate::core::config::Config;
use crate::core::secret::Secret;
use crate::core::store;
use crate::core::text::concat;
use js_sys::{Function, Promise, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, structural, catch, js_name = get)]
    fn get(this: &StoreShape, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = put)]
    fn put(this: &StoreShape, key: &str, value: &str, options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = lease)]
    fn lease(this: &StoreShape, key: &str, ttl_ms: u32, bound_ms: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, structural, js_name = lease)]
    fn lease_member(this: &StoreShape) -> JsValue;

    #[wasm_bindgen(thread_local_v2, js_name = crypto)]
    static CRYPTO: Option<web_sys::Crypto>;
}

pub struct SharedStore {
    store: StoreShape,
    on_error: Option<Function>,
    /// What the key hashes; dropped once the key is known.
    material: RefCell<Option<Secret>>,
    key: RefCell<Option<String>>,
}

/// `name: description` of a store's error (it may quote the value it was
/// given: the caller cleans it before reporting).
fn failed(what: &str, error: &JsValue) -> String {
    concat(&[what, ": ", &describe_error(error)])
}

impl SharedStore {
    pub fn new(store: StoreShape, on_error: Option<Function>, config: &Config) -> Self {
        SharedStore { store, on_error, material: RefCell::new(Some(store::key_material(config))), key: RefCell::new(None) }
    }

    /// Calls `onStoreError` with an `Error` of this (clean) message; whatever
    /// it throws or rejects with stays contained.
    pub fn report(&self, message: &str) {
        let Some(on_error) = &self.on_error else { return };
        let error = js_sys::Error::new(&concat(&["edge-auth token store: ", message]));
        if let Ok(returned) = on_error.call1(&JsValue::UNDEFINED, &error) {
            if returned.is_object() {
                ignore(&Promise::resolve(&returned));
            }
        }
    }

    /// `edge-auth:v2:` + hex SHA-256 of the key material, computed once.
    pub async fn key(&self) -> Result<String, String> {
        if let Some(k) = self.key.borrow().as_ref() {
            return Ok(k.clone());
        }
        let material = self.material.borrow().as_ref().cloned().ok_or_else(String::new)?;
        let digest = match CRYPTO.with(|c| c.as_ref().map(|c| c.subtle().digest_with_str_and_u8_array("SHA-256", material.expose().as_bytes()))) {
            Some(Ok(promise)) => JsFuture::from(promise).await,
            Some(Err(e)) => Err(e),
            None => Err(js_sys::TypeError::new("crypto.subtle is not defined").into()),
        }
        .map_err(|e| failed("cannot hash the key (crypto.subtle unavailable?)", &e))?;
        let key = store::key(&super::transport::bytes_of(&Uint8Array::new(&digest)));
        *self.key.borrow_mut() = Some(key.clone());
        self.material.borrow_mut().take();
        Ok(key)
    }

    /// The store's entry for the key: its text, `None` for a miss, or what went wrong.
    pub async fn read(&self, key: &str) -> Result<Option<String>, String> {
        let pending = self.store.get(key).map_err(|e| failed("get threw", &e))?;
        let v = JsFuture::from(Promise::resolve(&pending)).await.map_err(|e| failed("get failed", &e))?;
        if v.loose_eq(&JsValue::NULL) {
            return Ok(None);
        }
        v.as_string().map(Some).ok_or_else(|| "get returned something that is not a string".into())
    }

    /// The store has a lease (`lease(key, ttlMs)`, docs/API.md §7).
    pub fn has_lease(&self) -> bool {
        self.store.lease_member().is_function()
    }

    /// Asks for the lease on `key` for `ttl_ms`: whether this client holds
    /// it now (a truthy answer), or what went wrong. `bound_ms`: how long
    /// the call may take (a broker holds it open for the holder's token).
    pub async fn take_lease(&self, key: &str, ttl_ms: u32, bound_ms: u32) -> Result<bool, String> {
        let pending = self.store.lease(key, ttl_ms, bound_ms).map_err(|e| failed("lease threw", &e))?;
        JsFuture::from(Promise::resolve(&pending)).await.map(|v| v.is_truthy()).map_err(|e| failed("lease failed", &e))
    }

    /// Writes `value`; what went wrong, if anything.
    pub async fn write(&self, key: &str, value: &Secret, ttl_seconds: u64) -> Result<(), String> {
        let options = super::outbound::put_options(ttl_seconds);
        let pending = self.store.put(key, value.expose(), &options).map_err(|e| failed("put threw", &e))?;
        JsFuture::from(Promise::resolve(&pending)).await.map(drop).map_err(|e| failed("put failed", &e))
    }
}
