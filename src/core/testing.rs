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


// PKCS#8 keys for the signing tests: structurally valid, not real keys
// (the core checks structure; the runtimes' imports check the numbers).
/// A DER TLV with a definite length.
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// A structurally valid PKCS#8 RSA key (numbers are not a real key:
/// the core checks structure, the runtime's import the mathematics).
pub fn rsa_pkcs8(bits: usize) -> Vec<u8> {
    let mut modulus = vec![0u8];
    modulus.extend(vec![0xC5u8; bits / 8]);
    let rsa = der(0x30, &cat(&[der(0x02, &[0]), der(0x02, &modulus), der(0x02, &[1, 0, 1]), der(0x02, &[7; 64])]));
    let alg = der(0x30, &cat(&[der(0x06, crate::core::jwt::OID_RSA), der(0x05, &[])]));
    der(0x30, &cat(&[der(0x02, &[0]), alg, der(0x04, &rsa)]))
}

pub fn ec_pkcs8(curve: &[u8]) -> Vec<u8> {
    let ec = der(0x30, &cat(&[der(0x02, &[1]), der(0x04, &[9; 32])]));
    let alg = der(0x30, &cat(&[der(0x06, crate::core::jwt::OID_EC), der(0x06, curve)]));
    der(0x30, &cat(&[der(0x02, &[0]), alg, der(0x04, &ec)]))
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = crate::core::encoding::base64_encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| core::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A PEM string of a (structurally valid) 2048-bit RSA PKCS#8 key.
pub fn rsa_pem() -> String {
    pem("PRIVATE KEY", &rsa_pkcs8(2048))
}

/// A Google key file as JSON text.
pub fn service_account_json(token_uri: &str) -> String {
    format!(
        r#"{{"type":"service_account","project_id":"p","private_key_id":"kid-123","private_key":{},"client_email":"sa@p.iam.gserviceaccount.com","token_uri":"{token_uri}"}}"#,
        crate::core::encoding::json_string(&rsa_pem())
    )
}
