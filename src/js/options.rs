//! What comes in from JavaScript: the options object, a call's `{ signal,
//! waitUntil }`, and the `store` option's shape, each read through typed
//! `#[wasm_bindgen]` getters (one per property; never a lookup by a string
//! key). An option's value is then classified as a string, number or
//! boolean or an array of those, anything else by its `typeof`, so the core's validator can say
//! exactly which option has the wrong type.

use crate::core::config::{OptionValue, Options};
use js_sys::Function;
use wasm_bindgen::prelude::*;

/// Declares the options object's getters and the table from an option's
/// name to its getter.
macro_rules! option_getters {
    ($($getter:ident => $name:literal,)*) => {
        #[wasm_bindgen]
        extern "C" {
            /// The options object given to `new AuthClient(options)`.
            pub type JsOptions;
            $(
                #[wasm_bindgen(method, getter, structural, js_name = $name)]
                fn $getter(this: &JsOptions) -> JsValue;
            )*
        }

        /// The getter of option `name`, if it has one.
        fn getter(name: &str) -> Option<fn(&JsOptions) -> JsValue> {
            match name {
                $($name => Some(JsOptions::$getter),)*
                _ => None,
            }
        }
    };
}

option_getters! {
    provider => "provider",
    environment => "environment",
    base_url => "baseUrl",
    token_url => "tokenUrl",
    refresh_url => "refreshUrl",
    client_id => "clientId",
    secret => "secret",
    username => "username",
    password => "password",
    api_key => "apiKey",
    client_secret => "clientSecret",
    token_name => "tokenName",
    scope => "scope",
    audience => "audience",
    resource => "resource",
    body_encoding => "bodyEncoding",
    client_auth => "clientAuth",
    legal_entity => "legalEntity",
    api_version => "apiVersion",
    refresh_leeway_seconds => "refreshLeewaySeconds",
    auto_refresh => "autoRefresh",
    timeout_ms => "timeoutMs",
    deadline_ms => "deadlineMs",
    allowed_origins => "allowedOrigins",
    private_key => "privateKey",
    key_id => "keyId",
    algorithm => "algorithm",
    service_account => "serviceAccount",
    subject => "subject",
    fetch => "fetch",
    on_token => "onToken",
    on_store_error => "onStoreError",
    store => "store",
}

#[wasm_bindgen]
extern "C" {
    /// A call's last argument: `{ signal?, waitUntil? }` (docs/API.md §4).
    pub type CallOptions;
    #[wasm_bindgen(method, getter, structural, js_name = waitUntil)]
    fn wait_until(this: &CallOptions) -> JsValue;

    /// The `store` option: an object with `get` and `put` (docs/API.md §7).
    pub type StoreShape;
    #[wasm_bindgen(method, getter, structural, js_name = get)]
    fn get_member(this: &StoreShape) -> JsValue;
    #[wasm_bindgen(method, getter, structural, js_name = put)]
    fn put_member(this: &StoreShape) -> JsValue;
}

/// `undefined` or `null` (one crossing: `v == null`).
fn absent(v: &JsValue) -> bool {
    v.loose_eq(&JsValue::NULL)
}

impl JsOptions {
    /// The raw value of `name` (`undefined` for a name without a getter).
    pub fn raw(&self, name: &str) -> JsValue {
        getter(name).map_or(JsValue::UNDEFINED, |get| get(self))
    }

    /// A function-valued option (`fetch`, `onToken`): `Ok(None)` when absent,
    /// `Err(name)` when it is something else.
    pub fn function(&self, name: &'static str) -> Result<Option<Function>, &'static str> {
        let v = self.raw(name);
        if absent(&v) {
            Ok(None)
        } else {
            v.dyn_into::<Function>().map(Some).map_err(|_| name)
        }
    }

    /// The `store` option, checked for the Workers KV shape.
    pub fn store_option(&self) -> Result<Option<StoreShape>, &'static str> {
        let v = self.store();
        if absent(&v) {
            return Ok(None);
        }
        if v.is_object() {
            let store: StoreShape = v.unchecked_into();
            if store.get_member().is_function() && store.put_member().is_function() {
                return Ok(Some(store));
            }
        }
        Err("must be an object with get(key) and put(key, value, { expirationTtl }) methods, like a Workers KV namespace")
    }
}

impl CallOptions {
    /// The call's `waitUntil` (e.g. `ctx.waitUntil.bind(ctx)` in Workers), if it is a function.
    pub fn of(call: &JsValue) -> Option<Function> {
        if !call.is_object() {
            return None;
        }
        call.unchecked_ref::<CallOptions>().wait_until().dyn_into().ok()
    }
}

fn type_of(v: &JsValue) -> &'static str {
    if js_sys::Array::is_array(v) {
        return "array";
    }
    match v.js_typeof().as_string().as_deref() {
        Some("function") => "function",
        Some("symbol") => "symbol",
        Some("bigint") => "bigint",
        Some("object") => "object",
        _ => "value",
    }
}

impl Options for JsOptions {
    fn get(&self, name: &'static str) -> OptionValue {
        let v = self.raw(name);
        match scalar(&v) {
            // An array's items are read like options (`resource: ["a", "b"]`).
            OptionValue::Other("array") => OptionValue::List(v.unchecked_into::<js_sys::Array>().iter().map(|item| scalar(&item)).collect()),
            // A JWK or a service account key file: its own members, read
            // like options (only where an object is expected).
            OptionValue::Other("object") if crate::core::config::OBJECT_OPTIONS.contains(&name) => OptionValue::Object(
                js_sys::Object::entries(v.unchecked_ref())
                    .iter()
                    .filter_map(|pair| {
                        let pair: js_sys::Array = pair.unchecked_into();
                        Some((pair.get_unchecked(0).as_string()?, scalar(&pair.get_unchecked(1))))
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

/// Tried in the order of how often each comes (a string; absent), each a
/// crossing of the wasm boundary.
fn scalar(v: &JsValue) -> OptionValue {
    if let Some(s) = v.as_string() {
        OptionValue::Str(s)
    } else if absent(v) {
        OptionValue::Absent
    } else if let Some(n) = v.as_f64() {
        OptionValue::Num(n)
    } else if let Some(b) = v.as_bool() {
        OptionValue::Bool(b)
    } else {
        OptionValue::Other(type_of(v))
    }
}

/// The options the core reads that have no getter here (empty when every one has).
#[cfg(test)]
pub fn unreadable_options() -> Vec<&'static str> {
    crate::core::config::OPTION_NAMES.iter().copied().filter(|name| getter(name).is_none()).collect()
}
