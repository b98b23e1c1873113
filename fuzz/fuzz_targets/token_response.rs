//! `response::parse`: every provider × any status × any body, with a `Date`
//! and `Retry-After` header the fuzzer chooses.
//!
//! Input layout (see fuzz/README.md):
//! `provider:u8 status:u16be at:u64le flags:u8 off:u16be len:u8
//!  date_len:u8 date retry_len:u8 retry body…`
//! `flags` bit 0 drops the fixed secrets, bit 1 the derived one, bit 2 the
//! Date header, bit 3 the Retry-After header. The derived secret is
//! `body[off..off+len]`.
//!
//! Invariants: a Token's access token (and token type) is non-empty visible
//! ASCII, its scope and every Failure's `message` and `messages` hold no
//! secret outside the `[redacted]` markers, the code follows the status, and
//! the expiry is never more than ten years out.
#![no_main]

use edge_auth::core::dialect::Provider;
use edge_auth::core::error::ErrorCode;
use edge_auth::core::response::{parse, Arrival};
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;

const PROVIDERS: [Provider; 5] = [Provider::Younium, Provider::YouniumV1, Provider::Union, Provider::Papaya, Provider::OAuth2];
const TEN_YEARS_MS: u64 = 10 * 365 * 86_400_000;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let provider = PROVIDERS[r.u8() as usize % PROVIDERS.len()];
    let status = r.u16_be();
    let at = r.u64_le() % (MAX_JS_DATE_MS + 1);
    let flags = r.u8();
    let (off, len) = (r.u16_be(), r.u8());
    let date = r.short_string();
    let retry = r.short_string();
    let body = r.rest();

    let derived = derived_secret(body, off, len);
    let secrets_owned = secrets_for(flags, &derived);
    let secrets: Vec<&str> = secrets_owned.iter().map(String::as_str).collect();
    let arrival = Arrival {
        status,
        at,
        date: (flags & 4 == 0).then_some(date.as_str()),
        retry_after: (flags & 8 == 0).then_some(retry.as_str()),
    };

    match parse(provider, arrival, body, &secrets) {
        Ok(token) => {
            assert!((200..300).contains(&status), "a token from HTTP {status}");
            let access = token.access_token.expose();
            assert!(!access.is_empty() && access.bytes().all(|b| b.is_ascii_graphic()), "unsendable access token {access:?}");
            let tt = &token.token_type;
            assert!(!tt.is_empty() && tt.len() <= 40 && tt.bytes().all(|b| b.is_ascii_graphic()), "token type {tt:?}");
            assert_eq!(token.obtained_at, at);
            assert!(token.expires_at <= at.saturating_add(TEN_YEARS_MS), "expiry {} more than ten years after {at}", token.expires_at);
            if token.refresh_token.is_some() {
                assert_eq!(provider, Provider::Union, "refresh token kept for {provider:?}");
                assert!(!token.refresh_token.as_ref().unwrap().expose().is_empty());
            }
            assert_eq!(token.refresh_token.is_some(), token.refresh_expires_at.is_some());
            if let Some(scope) = &token.scope {
                assert_no_leak("scope", scope, &secrets);
            }
            // Debug never shows the token.
            let shown = format!("{token:?}");
            assert!(shown.contains("access_token: [redacted]"), "Debug of a token: {shown}");
        }
        Err(f) => {
            assert_eq!(f.status, Some(status));
            if (200..300).contains(&status) {
                // Our own words only: nothing of the body.
                assert_eq!(f.code, ErrorCode::InvalidResponse);
                assert!(f.messages.is_empty());
                let head = format!("{} token response (HTTP {status}) ", provider.as_str());
                let tail = f.message.strip_prefix(&head).unwrap_or_else(|| panic!("unexpected message {:?}", f.message));
                assert!(
                    [
                        "is larger than 1 MiB",
                        "is JSON but not an object",
                        "is not JSON",
                        "has no access token",
                        "has an access token with characters that cannot be sent in a header"
                    ]
                    .contains(&tail),
                    "unexpected message {:?}",
                    f.message
                );
                assert_eq!(f.retry_after_ms, None);
            } else {
                assert_eq!(f.code, ErrorCode::for_status(status));
                check_messages(&f.messages, &secrets);
                let head = format!("{} token request failed with HTTP {status} ({})", provider.as_str(), f.code.as_str());
                if f.messages.is_empty() {
                    assert_eq!(f.message, head);
                } else {
                    assert_no_leak("failure message", &f.message, &secrets);
                }
                if !matches!(status, 429 | 503) {
                    assert_eq!(f.retry_after_ms, None);
                }
            }
            assert_eq!(f.to_string(), format!("{} ({})", f.message, f.code.as_str()));
        }
    }
});
