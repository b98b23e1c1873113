//! The date parsers (`time::parse_http_date`, `time::parse_iso8601`,
//! `response::parse_retry_after`) and `expiry::compute`.
//!
//! Input layout: `mode:u8` then
//! - mode even: the rest is a date string for all three parsers;
//! - mode odd: `at:u64le server:u8 server_date:u64le` then two values for
//!   `expires_in` and the absolute expiry (each `tag:u8` + payload: tag%6 =
//!   0 absent, 1 null, 2 bool `u8`, 3 f64 `u64le` bits (NaN and infinities
//!   included), 4 integer `u64le` (negated when the tag's bit 3 is set),
//!   5 string `len:u8` bytes), then
//!   the access token (rest).
//!
//! Invariants: parsed instants lie in 1970..=9999 (plus a zone offset), HTTP
//! dates are whole seconds and every instant formats back to itself in each
//! form; `compute` honours an `expires_in` from 1 s to ten years exactly,
//! treats any other as absent, and its expiry is always 1 s to ten years out.
#![no_main]

use edge_auth::core::expiry::{absolute_value, compute, jwt_exp, seconds_value, DEFAULT_LIFETIME_MS};
use edge_auth::core::response::parse_retry_after;
use edge_auth::core::time::{parse_http_date, parse_iso8601};
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;
use edge_auth::core::json::Value;

const TEN_YEARS_MS: u64 = 10 * 365 * 86_400_000;
const DAY_MS: u64 = 86_400_000;
const NOW: u64 = 1_700_000_000_000;

fn value(r: &mut Reader<'_>) -> Option<Value> {
    let tag = r.u8();
    Some(match tag % 6 {
        0 => return None,
        1 => Value::Null,
        2 => Value::Bool(r.u8() & 1 == 1),
        // Numbers as the JSON reader makes them: finite or not.
        3 => Value::Number(f64::from_bits(r.u64_le())),
        4 => {
            let n = r.u64_le() as f64;
            Value::Number(if tag & 8 != 0 { -n } else { n })
        }
        _ => Value::String(r.short_string()),
    })
}

fn dates(s: &str) {
    if let Some(t) = parse_http_date(s) {
        assert_eq!(t % 1000, 0, "{s:?} gave {t}, not whole seconds");
        assert!(t < YEAR_10000_MS, "{s:?} gave {t}, after 9999");
        for form in http_dates(t) {
            assert_eq!(parse_http_date(&form), Some(t), "{s:?} gave {t}, but {form:?} does not read back");
        }
        // An HTTP date is also a valid Retry-After.
        assert_eq!(parse_retry_after(s, NOW), Some(t.saturating_sub(NOW)));
    }
    if let Some(t) = parse_iso8601(s) {
        // 9999-12-31T23:59-23:59 is the latest instant an offset can reach.
        assert!(t < YEAR_10000_MS + DAY_MS, "{s:?} gave {t}");
        if t < YEAR_10000_MS {
            let back = iso8601(t);
            assert_eq!(parse_iso8601(&back), Some(t), "{s:?} gave {t}, but {back:?} does not read back");
        }
    }
    if let Some(wait) = parse_retry_after(s, NOW) {
        let v = s.trim();
        if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(wait, v.parse::<u64>().unwrap() * 1000);
        }
    }
}

fn expiry(r: &mut Reader<'_>) {
    let at = r.u64_le() % (MAX_JS_DATE_MS + 1);
    let has_server = r.u8() & 1 == 1;
    let server_date = r.u64_le();
    // Dates reach `compute` only through `parse_http_date`: at most year 9999.
    let server_date = has_server.then_some(server_date % YEAR_10000_MS);
    let expires_in = value(r);
    let absolute = value(r);
    let token = String::from_utf8_lossy(r.rest()).into_owned();

    let got = compute(expires_in.as_ref(), absolute.as_ref(), &token, at, server_date);
    assert!(got <= at.saturating_add(TEN_YEARS_MS), "expiry {got} more than ten years after {at}");
    assert!(got >= at + 1_000, "expiry {got} less than a second after {at}: a request on every call");
    let believed = |ms: f64| (1_000.0..=TEN_YEARS_MS as f64).contains(&ms);
    match expires_in.as_ref().and_then(seconds_value) {
        Some(secs) if believed(secs * 1000.0) => {
            assert_eq!(got, at + (secs * 1000.0) as u64, "expires_in {expires_in:?}");
            // Relative evidence does not depend on the clocks' disagreement.
            assert_eq!(got, compute(expires_in.as_ref(), absolute.as_ref(), &token, at, None));
        }
        Some(secs) => {
            assert!(secs.is_finite() && secs >= 0.0);
            // Not believed: as if absent.
            assert_eq!(got, compute(None, absolute.as_ref(), &token, at, server_date), "odd expires_in {expires_in:?}");
        }
        None => {
            if absolute.as_ref().and_then(absolute_value).is_none() && jwt_exp(&token).is_none() {
                assert_eq!(got, at + DEFAULT_LIFETIME_MS);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let mode = r.u8();
    if mode & 1 == 0 {
        dates(&String::from_utf8_lossy(r.rest()));
    } else {
        expiry(&mut r);
    }
});
