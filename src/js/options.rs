//! Reads the JS options object for the core's validator. Each known option
//! is read as a string, number, boolean or array of those; anything else is
//! reported by its `typeof`, so the core can say exactly which option has
//! the wrong type. Only the object's own properties are options: an
//! inherited one (a polluted `Object.prototype.tokenUrl`) is ignored.
//! (These scalars were once converted with serde-wasm-bindgen; its error
//! paths format floats, which cost 15 KB of wasm for nothing.)

use crate::core::config::{OptionValue, Options};
use js_sys::{Array, Function, JsString, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

pub struct JsOptions<'a>(pub &'a Object);

/// `object[name]` if `object` has it as an own property (`Object.hasOwn`),
/// else undefined; a throwing getter or proxy trap also reads as undefined.
pub fn own(object: &Object, name: &str) -> JsValue {
    let key = JsString::from(name);
    if Object::has_own_str(object, &key).unwrap_or(false) {
        Reflect::get(object, &key).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

impl JsOptions<'_> {
    pub fn raw(&self, name: &str) -> JsValue {
        own(self.0, name)
    }

    /// A function-valued option (`fetch`, `onToken`): `Ok(None)` when absent.
    pub fn function(&self, name: &'static str) -> Result<Option<Function>, &'static str> {
        let v = self.raw(name);
        if v.is_undefined() || v.is_null() {
            Ok(None)
        } else {
            v.dyn_into::<Function>().map(Some).map_err(|_| name)
        }
    }
}

fn type_of(v: &JsValue) -> &'static str {
    if v.is_function() {
        "function"
    } else if js_sys::Array::is_array(v) {
        "array"
    } else if v.is_object() {
        "object"
    } else if v.is_symbol() {
        "symbol"
    } else if v.is_bigint() {
        "bigint"
    } else {
        "value"
    }
}

impl Options for JsOptions<'_> {
    fn get(&self, name: &'static str) -> OptionValue {
        let v = self.raw(name);
        if Array::is_array(&v) {
            return OptionValue::List(Array::from(&v).iter().map(|item| scalar(&item)).collect());
        }
        scalar(&v)
    }
}

fn scalar(v: &JsValue) -> OptionValue {
    if v.is_undefined() || v.is_null() {
        OptionValue::Absent
    } else if let Some(s) = v.as_string() {
        OptionValue::Str(s)
    } else if let Some(n) = v.as_f64() {
        OptionValue::Num(n)
    } else if let Some(b) = v.as_bool() {
        OptionValue::Bool(b)
    } else {
        OptionValue::Other(type_of(v))
    }
}
