//! When a token expires, in the order of evidence of docs/API.md §3:
//! 1. `expires_in` / `expiresIn` (a number or a numeric string): seconds from
//!    when the response arrived. Relative, so a wrong local clock cannot
//!    shift it.
//! 2. An absolute `expires` (HTTP date) or `valid_until` (ISO 8601). These are
//!    in the server's clock; when the response carries a `Date` header the
//!    difference between the two clocks is taken out.
//! 3. The access token's JWT `exp` claim (server clock too, corrected the same way).
//! 4. 300 seconds.
//!
//! A lifetime from any of these that is under a second (0 and negative
//! included) or over ten years is not believed: it counts as absent and the
//! next source decides. A server that says `expires_in: 0` would otherwise
//! have its token fetched again on every call, and one that says a
//! century has no expiry worth keeping a token for (docs/API.md §3).

use super::encoding::base64url_decode;
use super::time::{parse_http_date, parse_iso8601};
use super::Millis;
use super::json::{self, Value};

/// Used when a response says nothing about expiry.
pub const DEFAULT_LIFETIME_MS: Millis = 300_000;

/// The shortest lifetime believed: RFC 6749 counts `expires_in` in whole
/// seconds, and a token that lives less than that is no token to cache.
const MIN_LIFETIME_MS: f64 = 1_000.0;
/// The longest lifetime believed: ten years.
pub const MAX_LIFETIME_MS: f64 = 10.0 * 365.0 * 86_400_000.0;

/// Whether a stated lifetime is believed (see the module comment).
fn believable(lifetime_ms: f64) -> bool {
    (MIN_LIFETIME_MS..=MAX_LIFETIME_MS).contains(&lifetime_ms)
}

/// Reads a lifetime in seconds from a JSON number or numeric string.
pub fn seconds_value(v: &Value) -> Option<f64> {
    let secs = match v {
        Value::Number(n) => *n,
        Value::String(s) => parse_decimal(s.trim())?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then_some(secs)
}

/// `digits[.[digits]]`, at most 24 bytes, as f64, without the float parser
/// (and its tables) of core. Fraction digits after the ninth are ignored.
/// One pass that checks and computes.
fn parse_decimal(t: &str) -> Option<f64> {
    if t.len() > 24 || !t.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let mut value = 0f64;
    let mut in_fraction = false;
    let mut scale = 0.1;
    let mut fraction_digits = 0;
    for b in t.bytes() {
        match b {
            b'.' if !in_fraction => in_fraction = true,
            b'0'..=b'9' if !in_fraction => value = value * 10.0 + f64::from(b - b'0'),
            b'0'..=b'9' => {
                if fraction_digits < 9 {
                    value += f64::from(b - b'0') * scale;
                    scale /= 10.0;
                    fraction_digits += 1;
                }
            }
            _ => return None,
        }
    }
    Some(value)
}

/// Reads an absolute expiry in either date format.
pub fn absolute_value(v: &Value) -> Option<Millis> {
    let s = v.as_str()?;
    parse_http_date(s).or_else(|| parse_iso8601(s))
}

/// The `exp` claim of a JWT, in milliseconds, without verifying anything.
pub fn jwt_exp(token: &str) -> Option<Millis> {
    let claims = jwt_claims(token)?;
    let exp = seconds_value(claims.get("exp")?)?;
    Some((exp * 1000.0) as Millis)
}

/// The claims of a JWT-shaped token (a JSON object), decoded but not verified.
pub fn jwt_claims(token: &str) -> Option<Value> {
    let mut parts = crate::core::text::split_ascii(token, b".");
    let (_header, payload) = (parts.next()?, parts.next()?);
    if payload.len() > 64 * 1024 {
        return None;
    }
    json::parse(&base64url_decode(payload)?).filter(|v| matches!(v, Value::Object(_)))
}

/// Server time to local time: moves `server_instant` by the gap between the
/// server's `Date` header and when the response arrived here.
fn to_local(server_instant: Millis, arrived_at: Millis, server_date: Option<Millis>) -> Millis {
    match server_date {
        Some(date) => (server_instant as i128 - date as i128 + arrived_at as i128).clamp(0, u64::MAX as i128) as Millis,
        None => server_instant,
    }
}

/// The expiry instant (local clock, ms) from whatever the response gave.
pub fn compute(
    expires_in: Option<&Value>,
    absolute: Option<&Value>,
    access_token: &str,
    arrived_at: Millis,
    server_date: Option<Millis>,
) -> Millis {
    if let Some(lifetime) = expires_in.and_then(seconds_value).map(|secs| secs * 1000.0).filter(|ms| believable(*ms)) {
        return arrived_at.saturating_add(lifetime as Millis);
    }
    let believed = |at: Millis| {
        let local = to_local(at, arrived_at, server_date);
        believable(local as f64 - arrived_at as f64).then_some(local)
    };
    if let Some(local) = absolute.and_then(absolute_value).and_then(believed) {
        return local;
    }
    jwt_exp(access_token).and_then(believed).unwrap_or(arrived_at.saturating_add(DEFAULT_LIFETIME_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::encoding::base64_encode;
    use proptest::prelude::*;
    use serde_json::json;

    /// serde_json builds the test inputs; the core reads them with its own parser.
    fn v(value: serde_json::Value) -> Value {
        json::parse(value.to_string().as_bytes()).unwrap()
    }

    const NOW: Millis = 1_700_000_000_000;

    fn jwt(claims: &str) -> String {
        let b = |s: &str| base64_encode(s.as_bytes()).trim_end_matches('=').replace('+', "-").replace('/', "_");
        format!("{}.{}.sig", b(r#"{"alg":"none"}"#), b(claims))
    }

    #[test]
    fn relative_wins_as_number_or_string() {
        assert_eq!(compute(Some(&v(json!(3600))), None, "t", NOW, None), NOW + 3_600_000);
        assert_eq!(compute(Some(&v(json!("3600"))), Some(&v(json!("Thu, 01 Jan 1970 00:00:00 GMT"))), "t", NOW, None), NOW + 3_600_000);
        assert_eq!(compute(Some(&v(json!(" 86400 "))), None, "t", NOW, None), NOW + 86_400_000);
        assert_eq!(compute(Some(&v(json!(1.5))), None, "t", NOW, None), NOW + 1500);
    }

    #[test]
    fn relative_ignores_garbage_and_negative() {
        for bad in [json!("abc"), json!(-5), json!("-5"), json!(null), json!(true), json!("1e3"), json!({})] {
            assert_eq!(compute(Some(&v(bad.clone())), None, "t", NOW, None), NOW + DEFAULT_LIFETIME_MS, "{bad}");
        }
    }

    #[test]
    fn absolute_dates_both_formats() {
        let http = v(json!("Tue, 14 Nov 2023 22:13:20 GMT")); // NOW + 0
        assert_eq!(compute(None, Some(&http), "t", NOW - 1000, None), NOW);
        let iso = v(json!("2023-11-14T22:13Z"));
        assert_eq!(compute(None, Some(&iso), "t", NOW - 60_000, None), NOW - 20_000);
    }

    #[test]
    fn absolute_corrected_by_date_header() {
        // The server's clock is 10 minutes ahead of ours.
        let server_now = NOW + 600_000;
        let abs = v(json!("Tue, 14 Nov 2023 23:23:20 GMT")); // server_now + 1h
        assert_eq!(compute(None, Some(&abs), "t", NOW, Some(server_now)), NOW + 3_600_000);
    }

    #[test]
    fn jwt_exp_then_default() {
        let t = jwt(&format!(r#"{{"exp":{}}}"#, (NOW + 120_000) / 1000));
        assert_eq!(compute(None, None, &t, NOW, None), NOW + 120_000);
        assert_eq!(compute(None, None, "not-a-jwt", NOW, None), NOW + DEFAULT_LIFETIME_MS);
        assert_eq!(compute(None, None, &jwt(r#"{"exp":"soon"}"#), NOW, None), NOW + DEFAULT_LIFETIME_MS);
    }

    #[test]
    fn odd_lifetimes_count_as_absent() {
        let exp = jwt(&format!(r#"{{"exp":{}}}"#, (NOW + 120_000) / 1000));
        for odd in [json!(0), json!("0"), json!(-5), json!(0.5), json!(1e300), json!(316_000_000), json!("99999999999")] {
            assert_eq!(compute(Some(&v(odd.clone())), None, "t", NOW, None), NOW + DEFAULT_LIFETIME_MS, "{odd}: the default");
            assert_eq!(compute(Some(&v(odd.clone())), None, &exp, NOW, None), NOW + 120_000, "{odd}: the JWT exp");
        }
        // The bounds themselves are believed.
        assert_eq!(compute(Some(&v(json!(1))), None, "t", NOW, None), NOW + 1_000);
        assert_eq!(compute(Some(&v(json!(315_360_000))), None, "t", NOW, None), NOW + MAX_LIFETIME_MS as Millis);
        // An absolute expiry already past, or a JWT exp that is, is no better.
        let past = v(json!("Tue, 14 Nov 2023 22:13:19 GMT")); // NOW - 1 s
        assert_eq!(compute(None, Some(&past), &exp, NOW, None), NOW + 120_000);
        let expired = jwt(&format!(r#"{{"exp":{}}}"#, NOW / 1000));
        assert_eq!(compute(None, None, &expired, NOW, None), NOW + DEFAULT_LIFETIME_MS);
        assert_eq!(compute(None, Some(&v(json!("Fri, 14 Nov 2070 22:13:20 GMT"))), "t", NOW, None), NOW + DEFAULT_LIFETIME_MS);
    }

    proptest! {
        #[test]
        fn a_token_always_lives_at_least_a_second(ttl in proptest::num::f64::ANY, now in 0u64..4_000_000_000_000) {
            let at = compute(Some(&Value::Number(ttl)), None, "t", now, None);
            prop_assert!(at >= now + 1_000 && at <= now + MAX_LIFETIME_MS as Millis);
        }

        #[test]
        fn positive_ttl_is_never_in_the_past(secs in 1u64..10_000_000, now in 0u64..4_000_000_000_000) {
            let at = compute(Some(&v(json!(secs))), None, "t", now, None);
            prop_assert!(at > now);
            let at = compute(Some(&v(json!(secs.to_string()))), None, "t", now, None);
            prop_assert!(at > now);
        }

        #[test]
        fn jwt_decoding_never_panics(s in ".{0,200}") {
            let _ = jwt_exp(&s);
            let _ = compute(None, Some(&v(json!(s.clone()))), &s, NOW, Some(NOW));
        }
    }
}
