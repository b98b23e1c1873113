//! Test support shared by the core's unit tests: options from string pairs,
//! as the shell would read them from a JavaScript object.

use super::config::{OptionValue, Options};
use std::collections::HashMap;

pub struct Map(pub HashMap<&'static str, OptionValue>);

impl Options for Map {
    fn get(&self, name: &'static str) -> OptionValue {
        self.0.get(name).cloned().unwrap_or(OptionValue::Absent)
    }
}

pub fn opts(pairs: &[(&'static str, &str)]) -> Map {
    Map(pairs.iter().map(|(k, v)| (*k, OptionValue::Str((*v).to_owned()))).collect())
}

