//! The shared token store's I/O (docs/API.md §7): the key's SHA-256 with
//! `crypto.subtle`, and the store's `get` and `put`. What the key is made
//! of, what a value holds, when to read and write, how long a call may take
//! and whether a stored token is usable are the core's (`core::store`,
//! `core::manager`).
//!
//! A store that throws, rejects, or answers with something that is not a
//! string is reported to `onStoreError` (never to the caller) and counts as
//! a miss; so does one that takes too long, which the token manager decides.

use super::options::StoreShape;
use super::transport::ignore;
use crate::core::config::Config;
use crate::core::manager::StoreAnswer;
use crate::core::secret::Secret;
use crate::core::store;
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

impl SharedStore {
    pub fn new(store: StoreShape, on_error: Option<Function>, config: &Config) -> Self {
        SharedStore { store, on_error, material: RefCell::new(Some(store::key_material(config))), key: RefCell::new(None) }
    }

    /// Calls `onStoreError` with an `Error`; whatever it throws or rejects with stays contained.
    pub fn report(&self, message: &str, cause: Option<&JsValue>) {
        let Some(on_error) = &self.on_error else { return };
        let error = js_sys::Error::new(&crate::core::text::concat(&["edge-auth token store: ", message]));
        if let Some(cause) = cause {
            error.set_cause(cause);
        }
        if let Ok(returned) = on_error.call1(&JsValue::UNDEFINED, &error) {
            if returned.is_object() {
                ignore(&Promise::resolve(&returned));
            }
        }
    }

    /// `edge-auth:v1:` + hex SHA-256 of the key material, computed once.
    async fn key(&self) -> Option<String> {
        if let Some(k) = self.key.borrow().as_ref() {
            return Some(k.clone());
        }
        let material = self.material.borrow().as_ref()?.clone();
        let digest = match CRYPTO.with(|c| c.as_ref().map(|c| c.subtle().digest_with_str_and_u8_array("SHA-256", material.expose().as_bytes()))) {
            Some(Ok(promise)) => JsFuture::from(promise).await,
            Some(Err(e)) => Err(e),
            None => Err(JsValue::UNDEFINED),
        };
        let digest = match digest {
            Ok(buffer) => Uint8Array::new(&buffer).to_vec(),
            Err(e) => {
                self.report("cannot hash the key (crypto.subtle unavailable?)", Some(&e).filter(|e| !e.is_undefined()));
                return None;
            }
        };
        let key = store::key(&digest);
        *self.key.borrow_mut() = Some(key.clone());
        self.material.borrow_mut().take();
        Some(key)
    }

    /// The store's answer for the token's key.
    pub async fn read(&self) -> StoreAnswer {
        let Some(key) = self.key().await else { return StoreAnswer::Failed };
        let pending = match self.store.get(&key) {
            Ok(p) => p,
            Err(e) => {
                self.report("get threw", Some(&e));
                return StoreAnswer::Failed;
            }
        };
        match JsFuture::from(Promise::resolve(&pending)).await {
            Ok(v) if v.is_undefined() || v.is_null() => StoreAnswer::Miss,
            Ok(v) => match v.as_string() {
                Some(text) => StoreAnswer::Value(text),
                None => {
                    self.report("get returned something that is not a string", None);
                    StoreAnswer::Failed
                }
            },
            Err(e) => {
                self.report("get failed", Some(&e));
                StoreAnswer::Failed
            }
        }
    }

    pub async fn write(&self, value: &Secret, ttl_seconds: u64) {
        let Some(key) = self.key().await else { return };
        let options = super::outbound::put_options(ttl_seconds);
        match self.store.put(&key, value.expose(), &options) {
            Ok(pending) => {
                if let Err(e) = JsFuture::from(Promise::resolve(&pending)).await {
                    self.report("put failed", Some(&e));
                }
            }
            Err(e) => self.report("put threw", Some(&e)),
        }
    }
}
