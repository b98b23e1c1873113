//! `store::decode` of a stored value (a shared store is as untrusted as a
//! vendor: another deployment, or an attacker with KV access, writes it).
//!
//! Input layout: `now:u64le`, then the stored text, as (lossy) UTF-8; the
//! reader's key is `KEY`.
//!
//! Invariants: a decoded token has a non-empty visible-ASCII access token,
//! `obtainedAt <= expiresAt`, was not obtained more than the allowed clock
//! skew after `now`, lives at most 10 years, has a token type of 1..=40
//! bytes, a refresh expiry only with a refresh token; the value named the
//! reader's key (decoding it under another key fails); it survives `encode`
//! → `decode` unchanged (up to the 2^53 cap `encode` puts on refresh
//! expiry); `expiration_ttl` is at least Workers KV's 60 s.
#![no_main]

use edge_auth::core::expiry::MAX_LIFETIME_MS;
use edge_auth::core::store::{decode, encode, expiration_ttl, MAX_CLOCK_SKEW_MS, MIN_TTL_SECONDS};
use fuzz_support::{Reader, MAX_JS_DATE_MS};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "edge-auth:v2:00";

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let now = r.u64_le() % MAX_JS_DATE_MS;
    let text = String::from_utf8_lossy(r.rest());
    let Ok(t) = decode(&text, KEY, now) else { return };
    assert!(decode(&text, "edge-auth:v2:01", now).is_err(), "a value decodes under a key it does not name");
    assert!(t.obtained_at <= now + MAX_CLOCK_SKEW_MS, "obtained {} after now {now}", t.obtained_at);
    assert!(t.expires_at - t.obtained_at <= MAX_LIFETIME_MS as u64, "a stored lifetime over 10 years");

    let access = t.access_token.expose();
    assert!(!access.is_empty() && access.bytes().all(|b| b.is_ascii_graphic()), "access token {access:?}");
    assert!(t.obtained_at <= t.expires_at);
    assert!(!t.token_type.is_empty() && t.token_type.len() <= 40, "token type {:?}", t.token_type);
    if t.refresh_expires_at.is_some() {
        assert!(t.refresh_token.is_some());
    }
    if let Some(rt) = &t.refresh_token {
        assert!(!rt.expose().is_empty());
    }

    // A value too large to store is not written (encode says None), never
    // written and then refused.
    let Some(stored) = encode(&t, KEY) else { return };
    let back = decode(stored.expose(), KEY, now).unwrap_or_else(|e| panic!("re-encoded value does not decode: {e}"));
    assert_eq!(back.access_token.expose(), access);
    assert_eq!(back.token_type, t.token_type);
    assert_eq!((back.obtained_at, back.expires_at), (t.obtained_at, t.expires_at));
    assert_eq!(back.refresh_token.as_ref().map(|s| s.expose().to_owned()), t.refresh_token.as_ref().map(|s| s.expose().to_owned()));
    let capped = t.refresh_token.as_ref().map(|_| t.refresh_expires_at.unwrap_or(u64::MAX).min(1 << 53));
    assert_eq!(back.refresh_expires_at, capped);
    assert_eq!(back.scope, t.scope);

    for now in [0, t.obtained_at, t.expires_at, t.expires_at.saturating_add(1), u64::MAX] {
        assert!(expiration_ttl(&t, now) >= MIN_TTL_SECONDS);
    }
});
