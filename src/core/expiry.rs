//! When a token expires, in the order of evidence of docs/API.md §3:
//! 1. `expires_in` / `expiresIn` (a number or a numeric string): seconds from
//!    when the response arrived. Relative, so a wrong local clock cannot
//!    shift it.
//! 2. An absolute `expires` (HTTP date) or `valid_until` (ISO 8601). These are
//!    in the server's clock; when the response carries a `Date` header the
//!    difference between the two clocks is taken out.
//! 3. The access token's JWT `exp` claim (server clock too, corrected the same way).
//! 4. 300 seconds.

use super::encoding::base64url_decode;
use super::time::{parse_http_date, parse_iso8601};
use super::Millis;
use super::json::{self, Value};

/// Used when a response says nothing about expiry.
pub const DEFAULT_LIFETIME_MS: Millis = 300_000;

/// No token is trusted for longer than ten years, whatever it says.
pub const MAX_LIFETIME_MS: f64 = 10.0 * 365.0 * 86_400_000.0;

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
    let capped = |lifetime_ms: f64| arrived_at.saturating_add(lifetime_ms.min(MAX_LIFETIME_MS) as Millis);
    if let Some(secs) = expires_in.and_then(seconds_value) {
        return capped(secs * 1000.0);
    }
    if let Some(at) = absolute.and_then(absolute_value).or_else(|| jwt_exp(access_token)) {
        let local = to_local(at, arrived_at, server_date);
        return local.min(capped(MAX_LIFETIME_MS));
    }
    arrived_at + DEFAULT_LIFETIME_MS
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
        assert_eq!(compute(None, Some(&iso), "t", NOW - 1000, None), NOW - 20_000);
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
    fn lifetimes_are_capped() {
        assert_eq!(compute(Some(&v(json!(1e300))), None, "t", NOW, None), NOW + MAX_LIFETIME_MS as Millis);
    }

    proptest! {
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
