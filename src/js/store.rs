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

    /// Does `call` on the store (the key first, which `on_key` is told
    /// for a read): what the store's promise resolved to, or what went
    /// wrong. One awaiting path for the three calls: each async block is a
    /// state machine of its own in the wasm.
    pub async fn call(&self, call: &StoreCall, on_key: impl FnOnce(&str)) -> Result<JsValue, String> {
        let key = self.key().await?;
        let (what, pending) = match call {
            StoreCall::Read => {
                on_key(&key);
                ("get", self.store.get(&key))
            }
            StoreCall::Lease { ttl_ms, bound_ms } => ("lease", self.store.lease(&key, *ttl_ms, *bound_ms)),
            StoreCall::Write { value, ttl_seconds } => ("put", self.store.put(&key, value.expose(), &super::outbound::put_options(*ttl_seconds))),
        };
        let pending = pending.map_err(|e| failed(&concat(&[what, " threw"]), &e))?;
        JsFuture::from(Promise::resolve(&pending)).await.map_err(|e| failed(&concat(&[what, " failed"]), &e))
    }

    /// The store has a lease (`lease(key, ttlMs)`, docs/API.md §7).
    pub fn has_lease(&self) -> bool {
        self.store.lease_member().is_function()
    }
}

/// What the token manager asks of the store: its entry for the key; the
/// lease on the key for `ttl_ms` (this client holds it now if the answer
/// is truthy; `bound_ms`: how long the call may take, as a broker holds it
/// open for the holder's token); writing `value`.
pub enum StoreCall {
    Read,
    Lease { ttl_ms: u32, bound_ms: u32 },
    Write { value: Secret, ttl_seconds: u64 },
}

/// A read's answer: the entry's text, `None` for a miss, or what is wrong with it.
pub fn read_answer(v: JsValue) -> Result<Option<String>, String> {
    if v.loose_eq(&JsValue::NULL) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| "get returned something that is not a string".into())
}
