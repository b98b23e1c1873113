//! Reads the JS options object for the core's validator. Each known option
//! is converted with serde-wasm-bindgen into a scalar; anything that is not
//! a string, number or boolean is reported by its `typeof`, so the core can
//! say exactly which option has the wrong type.

use crate::core::config::{OptionValue, Options};
use js_sys::{Function, Object, Reflect};
use serde::de::{Deserialize, Deserializer, Error, Visitor};
use wasm_bindgen::{JsCast, JsValue};

pub struct JsOptions<'a>(pub &'a Object);

impl JsOptions<'_> {
    pub fn raw(&self, name: &str) -> JsValue {
        Reflect::get(self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
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

/// A scalar option value, as serde-wasm-bindgen hands it over.
struct Scalar(OptionValue);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Str(v.to_owned())))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Str(v)))
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Num(v)))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Num(v as f64)))
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Num(v as f64)))
            }
            fn visit_bool<E: Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Bool(v)))
            }
            fn visit_unit<E: Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Absent))
            }
            fn visit_none<E: Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(OptionValue::Absent))
            }
        }
        d.deserialize_any(V)
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
        if v.is_undefined() || v.is_null() {
            return OptionValue::Absent;
        }
        match serde_wasm_bindgen::from_value::<Scalar>(v.clone()) {
            Ok(Scalar(value)) => value,
            Err(_) => OptionValue::Other(type_of(&v)),
        }
    }
}
