//! Signed JWTs for client authentication by assertion (RFC 7523 §2.2:
//! `private_key_jwt`, `client_secret_jwt`) and the JWT-bearer grant (RFC
//! 7523 §2.1, Google service accounts). The core checks the key and builds
//! the header and claims; the shell signs the bytes with `crypto.subtle`
//! (src/js/sign.rs), so no signature code is in the wasm.
//!
//! Keys are checked here, synchronously, so that a wrong key is an
//! `invalid_config` from the constructor naming the option, never a
//! runtime's `DataError` at the first token request: PEM armour, base64,
//! the PKCS#8 structure and its algorithm (rsaEncryption, or id-ecPublicKey
//! on prime256v1), a JWK's `kty`, `crv` and members, and that `algorithm`
//! fits the key. No message quotes any part of a key.

use super::config::OptionValue;
use super::encoding::{base64url_decode, base64url_encode};
use super::error::{invalid, Fallible};
use super::json::write_string;
use super::secret::Secret;
use super::text::push_u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Ps256,
    Es256,
    Hs256,
}

impl Algorithm {
    pub const NAMES: [&'static str; 4] = ["RS256", "PS256", "ES256", "HS256"];
    const ALL: [Algorithm; 4] = [Algorithm::Rs256, Algorithm::Ps256, Algorithm::Es256, Algorithm::Hs256];

    pub fn as_str(self) -> &'static str {
        Algorithm::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.get(super::text::index_of(&Algorithm::NAMES, name)?).copied()
    }
}

/// The key material the shell imports (once per client, non-extractable).
#[derive(Clone)]
pub enum KeyData {
    /// A PKCS#8 `PrivateKeyInfo`, as the PEM's base64 body (whitespace removed).
    Pkcs8(Secret),
    /// A private JWK's members the import needs (`kty`, `crv`, the key's
    /// numbers), in this order; `alg`, `use`, `key_ops` are left out so that
    /// the import never refuses a key over them.
    Jwk(Vec<(&'static str, Secret)>),
    /// `client_secret_jwt`: the client secret's UTF-8 bytes are the HMAC key.
    Hmac(Secret),
}

impl core::fmt::Debug for KeyData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            KeyData::Pkcs8(_) => "Pkcs8([redacted])",
            KeyData::Jwk(_) => "Jwk([redacted])",
            KeyData::Hmac(_) => "Hmac([redacted])",
        })
    }
}

/// A key that signs, its algorithm settled.
#[derive(Clone, Debug)]
pub struct SigningKey {
    pub algorithm: Algorithm,
    pub data: KeyData,
    /// The JWT header's `kid`.
    pub kid: Option<String>,
}

impl SigningKey {
    /// Every value of the key that must never be shown (the private parts;
    /// an HMAC key is the client secret, redacted as such already).
    pub fn secrets(&self) -> Vec<&str> {
        match &self.data {
            KeyData::Pkcs8(b64) => vec![b64.expose()],
            KeyData::Jwk(members) => {
                let mut out = Vec::new();
                for (name, value) in members {
                    if !matches!(*name, "kty" | "crv" | "n" | "e" | "x" | "y") {
                        out.push(value.expose());
                    }
                }
                out
            }
            KeyData::Hmac(_) => Vec::new(),
        }
    }

    /// The PKCS#8 DER bytes (for the import).
    pub fn pkcs8_der(&self) -> Option<Vec<u8>> {
        match &self.data {
            KeyData::Pkcs8(b64) => base64url_decode(b64.expose()),
            _ => None,
        }
    }
}

pub(crate) const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
pub(crate) const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

/// One DER TLV: (tag, contents, the rest). Definite lengths only, as DER is.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        let (digits, rest) = (rest.get(..n)?, rest.get(n..)?);
        (digits.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize), rest)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// Which kind of key a PKCS#8 `PrivateKeyInfo` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
}

/// RFC 5208 §5 / RFC 5958 §2: `SEQUENCE { INTEGER 0|1, AlgorithmIdentifier,
/// OCTET STRING privateKey, … }`, with the private key's own structure
/// (RFC 8017 `RSAPrivateKey`, RFC 5915 `ECPrivateKey`) checked as far as
/// its first members.
fn pkcs8_kind(der: &[u8]) -> Result<KeyKind, &'static str> {
    const BAD: &str = "is not a well-formed PKCS#8 private key";
    let (0x30, info, _) = tlv(der).ok_or(BAD)? else { return Err(BAD) };
    let (0x02, version, rest) = tlv(info).ok_or(BAD)? else { return Err(BAD) };
    if !matches!(version, [0] | [1]) {
        return Err(BAD);
    }
    let (0x30, algorithm, rest) = tlv(rest).ok_or(BAD)? else { return Err(BAD) };
    let (0x04, key, _) = tlv(rest).ok_or(BAD)? else { return Err(BAD) };
    let (0x06, oid, params) = tlv(algorithm).ok_or(BAD)? else { return Err(BAD) };
    let (0x30, inner, _) = tlv(key).ok_or(BAD)? else { return Err(BAD) };
    let (0x02, inner_version, inner_rest) = tlv(inner).ok_or(BAD)? else { return Err(BAD) };
    match oid {
        OID_RSA => {
            // version 0, then the modulus.
            let (0x02, modulus, _) = tlv(inner_rest).ok_or(BAD)? else { return Err(BAD) };
            if inner_version != [0] {
                return Err(BAD);
            }
            let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err("is an RSA key shorter than 2048 bits, which servers refuse");
            }
            Ok(KeyKind::Rsa)
        }
        OID_EC => {
            match tlv(params) {
                Some((0x06, OID_P256, _)) => {}
                _ => return Err("is an EC key on a curve other than P-256: only ES256 (P-256) is supported"),
            }
            let (0x04, scalar, _) = tlv(inner_rest).ok_or(BAD)? else { return Err(BAD) };
            if inner_version != [1] || scalar.len() != 32 {
                return Err(BAD);
            }
            Ok(KeyKind::P256)
        }
        OID_RSA_PSS => Err("is an RSA-PSS (id-RSASSA-PSS) key, which WebCrypto cannot import: use a plain RSA key (rsaEncryption) with algorithm \"PS256\""),
        _ => Err("holds a key type that is not supported: use an RSA key (RS256, PS256) or an EC P-256 key (ES256)"),
    }
}

/// The base64 body of a PKCS#8 PEM, checked; a key pasted from an
/// environment variable with `\n` escapes is read as if they were newlines.
fn pem_body(pem: &str) -> Result<String, &'static str> {
    const BEGIN: &str = "-----BEGIN ";
    // No str slicing by index here: its panic path (char boundaries) costs kilobytes of wasm.
    let (_, after) = super::text::split_once(pem, BEGIN).ok_or("must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or a private JWK object")?;
    let (label, body) = super::text::split_once(after, "-----").ok_or("has a broken PEM header")?;
    match label {
        "PRIVATE KEY" => {}
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
            return Err("is a PKCS#1/SEC1 PEM, not PKCS#8: convert it with `openssl pkcs8 -topk8 -nocrypt` (the PEM must begin with -----BEGIN PRIVATE KEY-----)")
        }
        "ENCRYPTED PRIVATE KEY" => return Err("is an encrypted PEM: decrypt it first (`openssl pkcs8 -topk8 -nocrypt`)"),
        "PUBLIC KEY" | "CERTIFICATE" | "RSA PUBLIC KEY" => return Err("is a public key or certificate, not the private key"),
        _ => return Err("must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or a private JWK object"),
    }
    let (body, _) = super::text::split_once(body, "-----END PRIVATE KEY-----").ok_or("has no -----END PRIVATE KEY----- line")?;
    let mut out = String::with_capacity(body.len());
    // By bytes (a non-ASCII character's bytes are all refused anyway):
    // smaller in the wasm than a peekable `chars()`.
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b @ (b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=') => out.push(char::from(b)),
            b' ' | b'\t' | b'\r' | b'\n' => {}
            // `\n` written out (a JSON or .env escape left in).
            b'\\' if matches!(bytes.get(i + 1), Some(b'n' | b'r')) => i += 1,
            _ => {
                super::secret::wipe(&mut out);
                return Err("has characters in its PEM body that are not base64");
            }
        }
        i += 1;
    }
    Ok(out)
}

/// The JWK members each key type needs.
const RSA_MEMBERS: [&str; 8] = ["n", "e", "d", "p", "q", "dp", "dq", "qi"];
const EC_MEMBERS: [&str; 3] = ["x", "y", "d"];

fn jwk_key(members: &[(String, OptionValue)], option: &str) -> Fallible<(KeyKind, KeyData, Option<Algorithm>, Option<String>)> {
    let get = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let text = |name: &str| match get(name) {
        Some(OptionValue::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let fail = |reason: &str| Err(invalid(option, reason));
    let (kind, names, kty): (KeyKind, &[&'static str], &'static str) = match text("kty").as_deref() {
        Some("RSA") => (KeyKind::Rsa, &RSA_MEMBERS, "RSA"),
        Some("EC") if text("crv").as_deref() == Some("P-256") => (KeyKind::P256, &EC_MEMBERS, "EC"),
        Some("EC") => return fail("is an EC JWK on a curve other than P-256: only ES256 (P-256) is supported"),
        Some("oct") => return fail("is a symmetric (oct) JWK: use clientAuth \"client_secret_jwt\" with clientSecret instead"),
        _ => return fail("must be a JWK with kty \"RSA\" or \"EC\" (a private key), or a PKCS#8 PEM string"),
    };
    if text("d").is_none() {
        return fail("is a public JWK (it has no \"d\"): the private key is needed");
    }
    let mut data: Vec<(&'static str, Secret)> = vec![("kty", Secret::new(kty))];
    if kind == KeyKind::P256 {
        data.push(("crv", Secret::new("P-256")));
    }
    for name in names {
        let value = text(name).filter(|v| base64url_decode(v).is_some_and(|b| !b.is_empty()));
        let Some(value) = value else {
            return fail(if kind == KeyKind::Rsa {
                "is an RSA JWK missing a member: n, e, d, p, q, dp, dq and qi are needed, each base64url"
            } else {
                "is an EC JWK missing a member: x, y and d are needed, each base64url"
            });
        };
        data.push((*name, Secret::new(value)));
    }
    let alg = text("alg").and_then(|a| Algorithm::parse(&a));
    Ok((kind, KeyData::Jwk(data), alg, text("kid")))
}

/// The `privateKey` option (or a service account's `private_key`): a PKCS#8
/// PEM string or a private JWK object. `algorithm` (the option, if given)
/// must fit it; unset, RSA keys sign RS256 (or the JWK's own `alg`), EC
/// keys ES256. `option` and `algorithm_option` are the names errors give.
pub fn private_key(value: OptionValue, option: &str, algorithm: Option<Algorithm>, algorithm_option: &str) -> Fallible<(SigningKey, Option<String>)> {
    let (kind, data, jwk_alg, jwk_kid) = match value {
        OptionValue::Str(pem) => {
            let body = pem_body(&pem).map_err(|r| invalid(option, r))?;
            let der = base64url_decode(&body).ok_or_else(|| invalid(option, "has a PEM body that is not valid base64"))?;
            let kind = pkcs8_kind(&der).map_err(|r| invalid(option, r));
            let mut der = der;
            super::secret::wipe_bytes(&mut der);
            (kind?, KeyData::Pkcs8(Secret::new(body)), None, None)
        }
        OptionValue::Object(members) => jwk_key(&members, option)?,
        OptionValue::Absent => return Err(invalid(option, "is required (a PKCS#8 PEM string or a private JWK object)")),
        _ => return Err(invalid(option, "must be a PKCS#8 PEM string or a private JWK object")),
    };
    let algorithm = match (kind, algorithm.or(jwk_alg)) {
        (KeyKind::Rsa, None) => Algorithm::Rs256,
        (KeyKind::P256, None) => Algorithm::Es256,
        (KeyKind::Rsa, Some(a @ (Algorithm::Rs256 | Algorithm::Ps256))) | (KeyKind::P256, Some(a @ Algorithm::Es256)) => a,
        (KeyKind::Rsa, Some(_)) => return Err(invalid(algorithm_option, "must be \"RS256\" or \"PS256\" for an RSA key")),
        (KeyKind::P256, Some(_)) => return Err(invalid(algorithm_option, "must be \"ES256\" for an EC P-256 key")),
    };
    Ok((SigningKey { algorithm, data, kid: None }, jwk_kid))
}

/// What one assertion claims. Times are seconds since the epoch.
#[derive(Clone, Debug)]
pub struct Claims<'a> {
    pub iss: &'a str,
    pub sub: Option<&'a str>,
    pub aud: &'a str,
    pub scope: Option<&'a str>,
    /// 128 random bits (RFC 7523 §3's `jti`, for the server's replay check).
    pub jti: Option<[u64; 2]>,
    pub iat: u64,
    pub exp: u64,
}

/// A client assertion lives at most this long (RFC 7523 §3 leaves it to
/// the server; 5 minutes is what servers accept, and one is made per request).
pub const ASSERTION_LIFETIME_S: u64 = 300;
/// Google's limit for the JWT-bearer grant's assertion.
pub const GOOGLE_LIFETIME_S: u64 = 3600;

/// `base64url_encode(header) "." base64url_encode(claims)`: the JWS signing input.
pub fn signing_input(key: &SigningKey, claims: &Claims<'_>) -> String {
    let mut header = String::from("{\"alg\":\"");
    header.push_str(key.algorithm.as_str());
    header.push_str("\",\"typ\":\"JWT\"");
    if let Some(kid) = &key.kid {
        header.push_str(",\"kid\":");
        write_string(&mut header, kid);
    }
    header.push('}');
    let mut body = String::from("{\"iss\":");
    write_string(&mut body, claims.iss);
    if let Some(sub) = claims.sub {
        body.push_str(",\"sub\":");
        write_string(&mut body, sub);
    }
    body.push_str(",\"aud\":");
    write_string(&mut body, claims.aud);
    if let Some(scope) = claims.scope {
        body.push_str(",\"scope\":");
        write_string(&mut body, scope);
    }
    if let Some([a, b]) = claims.jti {
        body.push_str(",\"jti\":\"");
        for word in [a, b] {
            for i in (0..16).rev() {
                body.push(char::from(b"0123456789abcdef"[((word >> (i * 4)) & 15) as usize]));
            }
        }
        body.push('"');
    }
    body.push_str(",\"iat\":");
    push_u64(&mut body, claims.iat);
    body.push_str(",\"exp\":");
    push_u64(&mut body, claims.exp);
    body.push('}');
    let mut out = base64url_encode(header.as_bytes());
    out.push('.');
    out.push_str(&base64url_encode(body.as_bytes()));
    out
}

/// The compact JWS: the signing input and the signature (for ES256,
/// WebCrypto's raw `r || s` already is JWS's form, RFC 7518 §3.4).
pub fn assertion(input: &str, signature: &[u8]) -> Secret {
    let mut out = String::with_capacity(input.len() + 1 + signature.len() * 4 / 3 + 2);
    out.push_str(input);
    out.push('.');
    out.push_str(&base64url_encode(signature));
    Secret::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::encoding::base64_encode;
    use crate::core::testing::{ec_pkcs8, pem, rsa_pkcs8};

    fn key(value: OptionValue, alg: Option<Algorithm>) -> Result<SigningKey, String> {
        private_key(value, "privateKey", alg, "algorithm").map(|(k, _)| k).map_err(|f| {
            assert_eq!(f.code, crate::core::error::ErrorCode::InvalidConfig);
            f.message
        })
    }

    #[test]
    fn pkcs8_keys_and_algorithms() {
        let rsa = pem("PRIVATE KEY", &rsa_pkcs8(2048));
        assert_eq!(key(OptionValue::Str(rsa.clone()), None).unwrap().algorithm, Algorithm::Rs256);
        assert_eq!(key(OptionValue::Str(rsa.clone()), Some(Algorithm::Ps256)).unwrap().algorithm, Algorithm::Ps256);
        assert_eq!(key(OptionValue::Str(rsa.clone()), Some(Algorithm::Es256)).unwrap_err(), "invalid option `algorithm`: must be \"RS256\" or \"PS256\" for an RSA key");
        // `\n` escapes, as in an environment variable.
        let escaped = rsa.replace('\n', "\\n");
        let k = key(OptionValue::Str(escaped), None).unwrap();
        assert_eq!(k.pkcs8_der().unwrap(), rsa_pkcs8(2048));
        let ec = pem("PRIVATE KEY", &ec_pkcs8(OID_P256));
        assert_eq!(key(OptionValue::Str(ec.clone()), None).unwrap().algorithm, Algorithm::Es256);
        assert_eq!(key(OptionValue::Str(ec), Some(Algorithm::Rs256)).unwrap_err(), "invalid option `algorithm`: must be \"ES256\" for an EC P-256 key");
    }

    #[test]
    fn malformed_keys_are_named_and_never_echoed() {
        let body = base64_encode(&rsa_pkcs8(2048));
        let p384 = [0x2B, 0x81, 0x04, 0x00, 0x22];
        let cases: Vec<(String, &str)> = vec![
            ("not a key".into(), "must be a PKCS#8 PEM"),
            (pem("RSA PRIVATE KEY", &rsa_pkcs8(2048)), "not PKCS#8"),
            (pem("EC PRIVATE KEY", &ec_pkcs8(OID_P256)), "not PKCS#8"),
            (pem("ENCRYPTED PRIVATE KEY", &rsa_pkcs8(2048)), "encrypted"),
            (pem("PUBLIC KEY", &rsa_pkcs8(2048)), "public key"),
            (format!("-----BEGIN PRIVATE KEY-----\n{body}\n"), "END PRIVATE KEY"),
            (format!("-----BEGIN PRIVATE KEY-----\n{body}!\n-----END PRIVATE KEY-----"), "not base64"),
            (format!("-----BEGIN PRIVATE KEY-----\nA{body}\n-----END PRIVATE KEY-----"), "not"),
            (pem("PRIVATE KEY", &rsa_pkcs8(2048)[..300]), "not a well-formed PKCS#8"),
            (pem("PRIVATE KEY", &rsa_pkcs8(1024)), "shorter than 2048"),
            (pem("PRIVATE KEY", &ec_pkcs8(&p384)), "P-256"),
            (pem("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), "not a well-formed"),
        ];
        for (value, why) in cases {
            let message = key(OptionValue::Str(value.clone()), None).unwrap_err();
            assert!(message.starts_with("invalid option `privateKey`: ") && message.contains(why), "{message}");
            assert!(!message.contains(&body[10..30]), "{message}");
        }
        assert!(key(OptionValue::Num(1.0), None).unwrap_err().contains("`privateKey`"));
    }

    fn jwk(pairs: &[(&str, &str)]) -> OptionValue {
        OptionValue::Object(pairs.iter().map(|(k, v)| ((*k).to_owned(), OptionValue::Str((*v).to_owned()))).collect())
    }

    #[test]
    fn jwks() {
        let rsa = [("kty", "RSA"), ("n", "AQAB"), ("e", "AQAB"), ("d", "ZGRk"), ("p", "cA"), ("q", "cQ"), ("dp", "ZHA"), ("dq", "ZHE"), ("qi", "cWk"), ("kid", "k1"), ("alg", "PS256")];
        let (k, kid) = private_key(jwk(&rsa), "privateKey", None, "algorithm").unwrap();
        assert_eq!((k.algorithm, kid.as_deref()), (Algorithm::Ps256, Some("k1")));
        assert_eq!(k.secrets(), ["ZGRk", "cA", "cQ", "ZHA", "ZHE", "cWk"]);
        let ec = [("kty", "EC"), ("crv", "P-256"), ("x", "eA"), ("y", "eQ"), ("d", "ZA")];
        assert_eq!(key(jwk(&ec), None).unwrap().algorithm, Algorithm::Es256);
        for (bad, why) in [
            (jwk(&rsa[..3]), "is a public JWK"),
            (jwk(&rsa[..5]), "RSA JWK missing a member"),
            (jwk(&[("kty", "EC"), ("crv", "P-384"), ("d", "ZA")]), "P-256"),
            (jwk(&[("kty", "oct"), ("k", "c2VjcmV0")]), "client_secret_jwt"),
            (jwk(&[("kty", "OKP"), ("d", "ZA")]), "kty"),
            (jwk(&[("kty", "EC"), ("crv", "P-256"), ("x", "e!"), ("y", "eQ"), ("d", "ZA")]), "EC JWK missing"),
        ] {
            let m = key(bad, None).unwrap_err();
            assert!(m.contains(why), "{m}");
            assert!(!m.contains("ZGRk") && !m.contains("ZA\""), "{m}");
        }
        assert!(!format!("{k:?}").contains("ZGRk"));
    }

    #[test]
    fn signing_input_and_assertion() {
        let k = SigningKey { algorithm: Algorithm::Es256, data: KeyData::Hmac(Secret::new("x")), kid: Some("kid-1".into()) };
        let claims = Claims { iss: "c", sub: Some("c"), aud: "https://h/token", scope: None, jti: Some([1, 0xabc]), iat: 1_700_000_000, exp: 1_700_000_300 };
        let input = signing_input(&k, &claims);
        let (h, c) = input.split_once('.').unwrap();
        assert_eq!(base64url_decode(h).unwrap(), br#"{"alg":"ES256","typ":"JWT","kid":"kid-1"}"#);
        assert_eq!(
            String::from_utf8(base64url_decode(c).unwrap()).unwrap(),
            r#"{"iss":"c","sub":"c","aud":"https://h/token","jti":"00000000000000010000000000000abc","iat":1700000000,"exp":1700000300}"#
        );
        assert!(!input.contains('=') && !input.contains('+') && !input.contains('/'));
        assert_eq!(assertion("a.b", &[0xfb, 0xff]).expose(), "a.b.-_8");
        assert_eq!(base64url_encode(b"hello"), "aGVsbG8");
    }
}
