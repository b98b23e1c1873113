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

    /// An `importKey` or `sign` algorithm parameter object, set member by member.
    #[wasm_bindgen(extends = Object)]
    type AlgorithmParams;
    #[wasm_bindgen(method, setter = name)]
    fn set_name(this: &AlgorithmParams, v: &str);
    #[wasm_bindgen(method, setter = hash)]
    fn set_hash(this: &AlgorithmParams, v: &str);
    #[wasm_bindgen(method, setter = namedCurve)]
    fn set_named_curve(this: &AlgorithmParams, v: &str);
    #[wasm_bindgen(method, setter = saltLength)]
    fn set_salt_length(this: &AlgorithmParams, v: f64);
}

/// `{ name, hash? }`.
fn named(name: &str, hash: Option<&str>) -> AlgorithmParams {
    let o: AlgorithmParams = Object::new().unchecked_into();
    o.set_name(name);
    if let Some(hash) = hash {
        o.set_hash(hash);
    }
    o
}

/// A private JWK's members, for `importKey("jwk", …)`: which members there
/// are depends on the key type (`core::jwt::KeyData::Jwk`).
fn jwk(members: &[(&'static str, crate::core::secret::Secret)]) -> Object {
    let o = Object::new();
    for (k, v) in members {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v.expose()));
    }
    o
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// The `importKey` and `sign` algorithm parameters.
fn params(algorithm: Algorithm) -> (AlgorithmParams, AlgorithmParams) {
    const SHA256: Option<&str> = Some("SHA-256");
    match algorithm {
        Algorithm::Rs256 => (named("RSASSA-PKCS1-v1_5", SHA256), named("RSASSA-PKCS1-v1_5", None)),
        Algorithm::Ps256 => {
            let sign = named("RSA-PSS", None);
            sign.set_salt_length(32.0);
            (named("RSA-PSS", SHA256), sign)
        }
        Algorithm::Es256 => {
            let import = named("ECDSA", None);
            import.set_named_curve("P-256");
            (import, named("ECDSA", SHA256))
        }
        Algorithm::Hs256 => (named("HMAC", SHA256), named("HMAC", None)),
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
    // new_from_slice copies as copy_from does, without its length assert
    // (whose message formats integers: core's formatting in the wasm).
    let buffer = Uint8Array::new_from_slice(bytes);
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
            KeyData::Jwk(members) => subtle.import_key_with_object("jwk", &jwk(members), &algorithm, false, &usages),
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
        Ok(super::transport::bytes_of(&Uint8Array::new(&signature)))
    }
}
