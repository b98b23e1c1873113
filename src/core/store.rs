//! The shared token store (docs/API.md §7): what goes into a key, and
//! the value's format. The shell hashes the key material with SHA-256
//! (`crypto.subtle`), so a key never contains a credential; the value holds
//! the access token and, for union, the refresh token, never a credential.
//!
//! A value is bound to its key: it carries the key it was written under,
//! and a reader refuses a value that names another (an entry copied from
//! another identity's key). Stored lifetimes are capped as response
//! lifetimes are (10 years), and an entry obtained in the future is refused.

use super::config::{Config, Credentials};
use super::expiry::MAX_LIFETIME_MS;
use super::response::Token;
use super::secret::Secret;
use super::Millis;
use super::json::{self, write_string, Value};
use super::text::{concat, push_u64};

/// Prefix of every key; the version changes when the value format does.
pub const KEY_PREFIX: &str = "edge-auth:v2:";

/// The value format written under [`KEY_PREFIX`].
const VALUE_VERSION: u64 = 2;

/// How far in the future (by the reader's clock) a stored `obtainedAt` may
/// be: the clocks of processes sharing a store differ a little.
pub const MAX_CLOCK_SKEW_MS: Millis = 300_000;

/// Workers KV refuses an `expirationTtl` below 60 seconds.
pub const MIN_TTL_SECONDS: u64 = 60;

/// The largest stored value written or read: Deno KV's limit for a value.
/// A larger token is simply not shared.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// What identifies a token: provider, token URL and identity (client id,
/// username or API key), and the scope, audience and resource indicators
/// that shape an OAuth2 token. Hashed before use; it contains the API key
/// for Papaya.
pub fn key_material(config: &Config) -> Secret {
    let identity: [&str; 3] = match &config.credentials {
        Credentials::Younium { client_id, .. } => [client_id, "", ""],
        Credentials::Union { username, .. } => [username, "", ""],
        Credentials::Papaya { api_key, .. } => [api_key.expose(), "", ""],
        Credentials::OAuth2 { client_id, scope, audience, .. } => [client_id, scope.as_deref().unwrap_or(""), audience.as_deref().unwrap_or("")],
        Credentials::Google { client_email, scope, subject, .. } => [client_email, scope, subject.as_deref().unwrap_or("")],
    };
    let mut material = concat(&["edge-auth/v1\n", config.provider.as_str(), "\n", &config.token_url, "\n", identity[0], "\n", identity[1], "\n", identity[2]]);
    // Only when given, so keys without resource indicators stay as they were.
    if let Credentials::OAuth2 { resource, .. } = &config.credentials {
        for r in resource {
            material.push_str("\nresource=");
            material.push_str(r);
        }
    }
    // A signing client's key id (never any of the key): a token signed for
    // by a rotated key is its own entry. Only when given, as above.
    if let Some(kid) = config.credentials.signing_key().and_then(|k| k.kid.as_deref()) {
        material.push_str("\nkid=");
        material.push_str(kid);
    }
    Secret::new(material)
}

/// The store key for a SHA-256 digest of the key material.
pub fn key(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(KEY_PREFIX.len() + digest.len() * 2);
    out.push_str(KEY_PREFIX);
    for b in digest {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// The stored value: JSON, times in ms since the epoch. `None` when it would
/// be larger than [`MAX_VALUE_BYTES`], which `decode` would refuse.
pub fn encode(token: &Token, key: &str) -> Option<Secret> {
    let mut out = String::from("{\"v\":2,\"key\":");
    write_string(&mut out, key);
    out.push_str(",\"accessToken\":");
    write_string(&mut out, token.access_token.expose());
    out.push_str(",\"tokenType\":");
    write_string(&mut out, &token.token_type);
    out.push_str(",\"obtainedAt\":");
    push_u64(&mut out, token.obtained_at);
    out.push_str(",\"expiresAt\":");
    push_u64(&mut out, token.expires_at);
    if let Some(rt) = &token.refresh_token {
        out.push_str(",\"refreshToken\":");
        write_string(&mut out, rt.expose());
        out.push_str(",\"refreshExpiresAt\":");
        push_u64(&mut out, token.refresh_expires_at.unwrap_or(u64::MAX).min(1 << 53));
    }
    if let Some(scope) = &token.scope {
        out.push_str(",\"scope\":");
        write_string(&mut out, scope);
    }
    out.push('}');
    let value = Secret::new(out);
    (value.expose().len() <= MAX_VALUE_BYTES).then_some(value)
}

/// Reads the value stored under `key`, at `now`. Anything malformed, a
/// value bound to another key, or one obtained in the future is an error,
/// which the shell reports and treats as a miss.
pub fn decode(text: &str, key: &str, now: Millis) -> Result<Token, &'static str> {
    if text.len() > MAX_VALUE_BYTES {
        return Err("stored value is too large");
    }
    let v: Value = json::parse(text.as_bytes()).ok_or("stored value is not JSON")?;
    if v.get("v").and_then(Value::as_u64) != Some(VALUE_VERSION) {
        return Err("stored value has an unknown version");
    }
    if v.get("key").and_then(Value::as_str) != Some(key) {
        return Err("stored value is bound to another key (another identity's token?); ignored");
    }
    let text_field = |k: &str| v.get(k).and_then(Value::as_str);
    let time_field = |k: &str| v.get(k).and_then(Value::as_u64);
    let access = text_field("accessToken").filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic())).ok_or("stored value has no usable access token")?;
    let expires_at = time_field("expiresAt").ok_or("stored value has no expiry")?;
    let obtained_at = time_field("obtainedAt").filter(|o| *o <= expires_at).ok_or("stored value has no valid obtainedAt")?;
    if obtained_at > now.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err("stored value was obtained in the future; ignored");
    }
    // Capped as a response's lifetime is.
    let expires_at = expires_at.min(obtained_at.saturating_add(MAX_LIFETIME_MS as Millis));
    let refresh_token = text_field("refreshToken").filter(|t| !t.is_empty()).map(Secret::new);
    let refresh_expires_at = refresh_token.as_ref().and(time_field("refreshExpiresAt"));
    Ok(Token {
        access_token: Secret::new(access),
        token_type: text_field("tokenType").filter(|t| !t.is_empty() && t.len() <= 40 && t.bytes().all(|b| b.is_ascii_graphic())).unwrap_or("Bearer").to_owned(),
        obtained_at,
        expires_at,
        refresh_token,
        refresh_expires_at,
        scope: text_field("scope").map(str::to_owned),
    })
}

/// Seconds the store should keep an entry: until the token expires, and at
/// least Workers KV's minimum.
pub fn expiration_ttl(token: &Token, now: Millis) -> u64 {
    token.expires_at.saturating_sub(now).div_ceil(1000).max(MIN_TTL_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::opts;
    use proptest::prelude::*;

    fn token() -> Token {
        Token {
            access_token: Secret::new("at-1"),
            token_type: "Bearer".into(),
            obtained_at: 1_000,
            expires_at: 3_601_000,
            refresh_token: Some(Secret::new("rt-1")),
            refresh_expires_at: Some(1_801_000),
            scope: Some("email".into()),
        }
    }

    const KEY: &str = "edge-auth:v2:ab01";
    const NOW: Millis = 2_000;

    #[test]
    fn round_trip() {
        let back = decode(encode(&token(), KEY).unwrap().expose(), KEY, NOW).unwrap();
        assert_eq!(back.access_token.expose(), "at-1");
        assert_eq!((back.obtained_at, back.expires_at, back.refresh_expires_at), (1_000, 3_601_000, Some(1_801_000)));
        assert_eq!(back.refresh_token.unwrap().expose(), "rt-1");
        assert_eq!(back.scope.as_deref(), Some("email"));
    }

    #[test]
    fn what_encode_writes_decode_reads_or_encode_refuses() {
        // Found by fuzzing: 11,000 form feeds in a scope grew past the limit once escaped.
        let t = decode(&format!(r#"{{"v":2,"key":"{KEY}","accessToken":"a","obtainedAt":0,"expiresAt":0,"scope":"{}"}}"#, "\\f".repeat(11_000)), KEY, NOW).unwrap();
        assert!(encode(&t, KEY).is_none(), "too large to store: not written");
        let mut big = token();
        big.access_token = Secret::new("x".repeat(MAX_VALUE_BYTES));
        assert!(encode(&big, KEY).is_none());
        assert!(decode(encode(&token(), KEY).unwrap().expose(), KEY, NOW).is_ok());
    }

    #[test]
    fn corrupt_values_are_errors() {
        let k = format!(r#""key":"{KEY}""#);
        for bad in [
            "".to_owned(),
            "null".into(),
            "{}".into(),
            format!(r#"{{"v":1,{k},"accessToken":"a","expiresAt":5,"obtainedAt":1}}"#),
            format!(r#"{{"v":2,{k},"accessToken":"a b","expiresAt":5,"obtainedAt":1}}"#),
            format!(r#"{{"v":2,{k},"accessToken":"a","obtainedAt":1}}"#),
            format!(r#"{{"v":2,{k},"accessToken":"a","expiresAt":5,"obtainedAt":9}}"#),
            // Not bound, or bound to another key.
            r#"{"v":2,"accessToken":"a","expiresAt":5,"obtainedAt":1}"#.into(),
            r#"{"v":2,"key":"edge-auth:v2:ffff","accessToken":"a","expiresAt":5,"obtainedAt":1}"#.into(),
            // Obtained in the future.
            format!(r#"{{"v":2,{k},"accessToken":"a","expiresAt":8640000000000000,"obtainedAt":8640000000000000}}"#),
        ] {
            assert!(decode(&bad, KEY, NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_depend_on_identity_and_never_hold_the_secret() {
        let a = Config::from_options(&opts(&[("provider", "papaya"), ("baseUrl", "https://p"), ("apiKey", "KEY-1"), ("clientSecret", "CS")])).unwrap();
        let b = Config::from_options(&opts(&[("provider", "papaya"), ("baseUrl", "https://p"), ("apiKey", "KEY-2"), ("clientSecret", "CS")])).unwrap();
        assert_ne!(key_material(&a).expose(), key_material(&b).expose());
        assert!(!key_material(&a).expose().contains("CS"));
        assert_eq!(key(&[0xab, 0x01]), "edge-auth:v2:ab01");
        let o = Config::from_options(&opts(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "c"), ("clientSecret", "S"), ("scope", "read")])).unwrap();
        assert!(key_material(&o).expose().contains("read"));
        // A token for one resource is not a token for another.
        let mut with = opts(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "c"), ("clientSecret", "S"), ("scope", "read")]);
        with.0.insert("resource", crate::core::config::OptionValue::Str("https://api.test/".into()));
        let r = Config::from_options(&with).unwrap();
        assert_ne!(key_material(&o).expose(), key_material(&r).expose());
        assert!(key_material(&r).expose().ends_with("\nresource=https://api.test/"));
    }

    #[test]
    fn ttl_has_a_floor() {
        assert_eq!(expiration_ttl(&token(), 1_000), 3_600);
        assert_eq!(expiration_ttl(&token(), 3_590_000), MIN_TTL_SECONDS);
        assert_eq!(expiration_ttl(&token(), 9_999_999), MIN_TTL_SECONDS);
    }

    #[test]
    fn stored_lifetimes_are_capped_as_response_lifetimes_are() {
        let text = format!(r#"{{"v":2,"key":"{KEY}","accessToken":"a","obtainedAt":1000,"expiresAt":8640000000000000}}"#);
        let t = decode(&text, KEY, NOW).unwrap();
        assert_eq!(t.expires_at, 1000 + MAX_LIFETIME_MS as Millis);
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in ".{0,200}") {
            let _ = decode(&s, KEY, NOW);
        }
    }
}
