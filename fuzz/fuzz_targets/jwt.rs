//! The JWT claim decoder: `expiry::jwt_claims`, `expiry::jwt_exp`, and
//! `seconds_value` on every claim; `encoding::base64url_decode` with them.
//!
//! Input layout: `mode:u8` then
//! - mode even: the rest is the token, as (lossy) UTF-8;
//! - mode odd: the rest is a claims payload, sent as
//!   `eyJhbGciOiJub25lIn0.<base64url(rest)>.sig`, so the fuzzer works on
//!   the JSON inside directly.
//!
//! Invariants: `jwt_exp` is `exp` (seconds, as `seconds_value` reads it) in
//! ms, present only with the claims; `seconds_value` is finite and not
//! negative; `compute` with only the token uses that `exp` when it is 1 s to
//! ten years out (else the default); base64url round-trips.
#![no_main]

use edge_auth::core::encoding::base64url_decode;
use edge_auth::core::json::Value;
use edge_auth::core::expiry::{compute, jwt_claims, jwt_exp, seconds_value, DEFAULT_LIFETIME_MS};
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;

const TEN_YEARS_MS: u64 = 10 * 365 * 86_400_000;
const NOW: u64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let mode = r.u8();
    let rest = r.rest();
    let token = if mode & 1 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let payload = base64url(rest);
        assert_eq!(base64url_decode(&payload).as_deref(), Some(rest), "base64url does not round-trip");
        format!("eyJhbGciOiJub25lIn0.{payload}.sig")
    };

    let claims = jwt_claims(&token);
    let exp = jwt_exp(&token);
    if let Some(claims) = &claims {
        let Value::Object(members) = claims else { panic!("claims that are not an object: {claims:?}") };
        for (_, v) in members {
            if let Some(secs) = seconds_value(v) {
                assert!(secs.is_finite() && secs >= 0.0, "seconds_value({v:?}) = {secs}");
            }
        }
        let expected = claims.get("exp").and_then(seconds_value).map(|s| (s * 1000.0) as u64);
        assert_eq!(exp, expected);
    } else {
        assert_eq!(exp, None, "an exp without claims");
    }

    let got = compute(None, None, &token, NOW, None);
    match exp {
        // Believed from 1 s to ten years out; any other counts as absent.
        Some(e) if e >= NOW + 1_000 && e <= NOW + TEN_YEARS_MS => assert_eq!(got, e),
        _ => assert_eq!(got, NOW + DEFAULT_LIFETIME_MS),
    }
    // The claims segment alone, as the decoder sees it.
    if let Some(payload) = token.split('.').nth(1) {
        let _ = base64url_decode(payload);
    }
});
