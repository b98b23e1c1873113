//! The shared token store (`store` option): a Workers KV namespace, a
//! `denoKvStore(kv)`, or anything with `get(key)` and
//! `put(key, value, { expirationTtl })`. Read before every token request,
//! written after it. A store that throws, hangs past a short bound, or holds
//! garbage is a miss, reported to `onStoreError` and never to the caller.

use super::transport::{now, with_deadline};
use crate::core::config::Config;
use crate::core::response::Token;
use crate::core::store;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The longest a store call may take before it counts as a miss.
const STORE_TIMEOUT_MS: u64 = 1_000;

pub struct SharedStore {
    store: Object,
    on_error: Option<Function>,
    /// The hashed key, computed on first use.
    key: RefCell<Option<String>>,
}

fn call_method(target: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &JsValue::from_str(name))?.dyn_into()?;
    match args {
        [a] => f.call1(target, a),
        [a, b] => f.call2(target, a, b),
        [a, b, c] => f.call3(target, a, b, c),
        _ => f.call0(target),
    }
}

impl SharedStore {
    pub fn new(store: Object, on_error: Option<Function>) -> Self {
        SharedStore { store, on_error, key: RefCell::new(None) }
    }

    fn report(&self, message: &str, cause: Option<&JsValue>) {
        if let Some(callback) = &self.on_error {
            let error = js_sys::Error::new(&format!("edge-auth token store: {message}"));
            if let Some(cause) = cause {
                let _ = Reflect::set(&error, &JsValue::from_str("cause"), cause);
            }
            if let Ok(returned) = callback.call1(&JsValue::UNDEFINED, &error) {
                if let Some(p) = returned.dyn_ref::<Promise>() {
                    super::transport::ignore(p);
                }
            }
        }
    }

    /// `edge-auth:v1:` + hex SHA-256 of the key material, via `crypto.subtle`.
    async fn key(&self, config: &Config) -> Option<String> {
        if let Some(k) = self.key.borrow().as_ref() {
            return Some(k.clone());
        }
        let digest = async {
            let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
            let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
            let material = store::key_material(config);
            let data = Uint8Array::from(material.expose().as_bytes());
            let promise = call_method(&subtle, "digest", &[&JsValue::from_str("SHA-256"), &data])?;
            let buffer = JsFuture::from(Promise::resolve(&promise)).await?;
            Ok::<Vec<u8>, JsValue>(Uint8Array::new(&buffer).to_vec())
        };
        match digest.await {
            Ok(bytes) => {
                let key = store::key(&bytes);
                *self.key.borrow_mut() = Some(key.clone());
                Some(key)
            }
            Err(e) => {
                self.report("cannot hash the key (crypto.subtle unavailable?)", Some(&e));
                None
            }
        }
    }

    /// A stored token, if the store has a well-formed one.
    pub async fn read(&self, config: &Config) -> Option<Token> {
        let key = self.key(config).await?;
        let pending = match call_method(&self.store, "get", &[&JsValue::from_str(&key)]) {
            Ok(p) => Promise::resolve(&p),
            Err(e) => {
                self.report("get threw", Some(&e));
                return None;
            }
        };
        match with_deadline(pending, STORE_TIMEOUT_MS.min(u64::from(config.timeout_ms))).await {
            None => self.report("get timed out", None),
            Some(Err(e)) => self.report("get failed", Some(&e)),
            Some(Ok(v)) if v.is_null() || v.is_undefined() => {}
            Some(Ok(v)) => match v.as_string().map(|text| store::decode(&text)) {
                Some(Ok(token)) => return Some(token),
                Some(Err(why)) => self.report(why, None),
                None => self.report("get returned something that is not a string", None),
            },
        }
        None
    }

    pub async fn write(&self, config: &Config, token: &Token) {
        let Some(key) = self.key(config).await else { return };
        let options = Object::new();
        let ttl = store::expiration_ttl(token, now());
        let _ = Reflect::set(&options, &JsValue::from_str("expirationTtl"), &JsValue::from_f64(ttl as f64));
        let Some(value) = store::encode(token) else {
            return self.report("token too large to share (over 64 KiB); not written", None);
        };
        let pending = match call_method(&self.store, "put", &[&JsValue::from_str(&key), &JsValue::from_str(value.expose()), &options]) {
            Ok(p) => Promise::resolve(&p),
            Err(e) => return self.report("put threw", Some(&e)),
        };
        match with_deadline(pending, STORE_TIMEOUT_MS.min(u64::from(config.timeout_ms))).await {
            None => self.report("put timed out", None),
            Some(Err(e)) => self.report("put failed", Some(&e)),
            Some(Ok(_)) => {}
        }
    }
}
