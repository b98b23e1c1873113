//! Signing an assertion with `crypto.subtle` (docs/API.md §2, the
//! `clientAuth` modes and `provider: "google"`): the core builds the JWT's
//! signing input and checks the key (`core::jwt`); here the key is
//! imported once per client, non-extractable and for `sign` only, and each
//! assertion's bytes are signed with it: RSASSA-PKCS1-v1_5 (RS256),
//! RSA-PSS with a 32-byte salt (PS256), ECDSA P-256 (ES256, whose WebCrypto
//! output is already JWS's `r || s`) or HMAC (HS256), all with SHA-256.
//!
//! The key's bytes are copied into a JS buffer for the import only, and
//! zeroed right after the call (`importKey` copies them synchronously).

use super::error::describe_error;
use crate::core::jwt::{Algorithm, KeyData, SigningKey};
use js_sys::{Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = crypto)]
    static CRYPTO: Option<web_sys::Crypto>;
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// The `importKey` and `sign` algorithm parameters.
fn params(algorithm: Algorithm) -> (Object, Object) {
    let sha256 = s("SHA-256");
    match algorithm {
        Algorithm::Rs256 => (object(&[("name", s("RSASSA-PKCS1-v1_5")), ("hash", sha256)]), object(&[("name", s("RSASSA-PKCS1-v1_5"))])),
        Algorithm::Ps256 => (object(&[("name", s("RSA-PSS")), ("hash", sha256)]), object(&[("name", s("RSA-PSS")), ("saltLength", JsValue::from_f64(32.0))])),
        Algorithm::Es256 => (object(&[("name", s("ECDSA")), ("namedCurve", s("P-256"))]), object(&[("name", s("ECDSA")), ("hash", sha256)])),
        Algorithm::Hs256 => (object(&[("name", s("HMAC")), ("hash", sha256)]), object(&[("name", s("HMAC"))])),
    }
}

/// A pending import: its promise, or why it could not start.
pub type Import = Result<Promise, String>;

/// One client's signing key, once imported.
#[derive(Default)]
pub struct Signer {
    key: RefCell<Option<CryptoKey>>,
}

fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    CRYPTO.with(|c| c.as_ref().map(|c| c.subtle())).ok_or_else(|| "crypto.subtle is not available in this runtime".to_owned())
}

/// Copies `bytes` into a JS buffer for a call that copies them, then zeroes it.
fn with_buffer<T>(bytes: &[u8], call: impl FnOnce(&Object) -> T) -> T {
    let buffer = Uint8Array::new_with_length(bytes.len() as u32);
    buffer.copy_from(bytes);
    let out = call(&buffer);
    buffer.fill(0, 0, bytes.len() as u32);
    out
}

impl Signer {
    /// Starts the key's import, unless it is imported already (`None`).
    /// Synchronous: the caller holds the key only for this call.
    pub fn import(&self, key: Option<&SigningKey>) -> Option<Import> {
        if self.key.borrow().is_some() {
            return None;
        }
        let Some(key) = key else { return Some(Err("no signing key".to_owned())) };
        let subtle = match subtle() {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let (algorithm, _) = params(key.algorithm);
        let usages = js_sys::Array::of1(&s("sign"));
        let started = match &key.data {
            KeyData::Pkcs8(_) => {
                let mut der = key.pkcs8_der().unwrap_or_default();
                let started = with_buffer(&der, |buffer| subtle.import_key_with_object("pkcs8", buffer, &algorithm, false, &usages));
                crate::core::secret::wipe_bytes(&mut der);
                started
            }
            KeyData::Jwk(members) => {
                let pairs: Vec<(&str, JsValue)> = members.iter().map(|(k, v)| (*k, s(v.expose()))).collect();
                subtle.import_key_with_object("jwk", &object(&pairs), &algorithm, false, &usages)
            }
            KeyData::Hmac(secret) => with_buffer(secret.expose().as_bytes(), |buffer| subtle.import_key_with_object("raw", buffer, &algorithm, false, &usages)),
        };
        Some(started.map_err(|e| describe_error(&e)))
    }

    /// Signs `input` with the key (imported first by `import` when it was not yet).
    pub async fn sign(&self, algorithm: Algorithm, import: Option<Import>, input: String) -> Result<Vec<u8>, String> {
        if let Some(import) = import {
            let key = JsFuture::from(import?).await.map_err(|e| describe_error(&e))?;
            *self.key.borrow_mut() = Some(key.unchecked_into());
        }
        let key = self.key.borrow().clone().ok_or_else(|| "the key was not imported".to_owned())?;
        let (_, params) = params(algorithm);
        let pending = subtle()?.sign_with_object_and_u8_array(&params, &key, input.as_bytes()).map_err(|e| describe_error(&e))?;
        let signature = JsFuture::from(pending).await.map_err(|e| describe_error(&e))?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}
