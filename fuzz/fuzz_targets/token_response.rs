//! `response::parse`: every provider × any status × any body, with a `Date`
//! and `Retry-After` header the fuzzer chooses.
//!
//! Input layout (see fuzz/README.md):
//! `provider:u8 status:u16be at:u64le flags:u8 off:u16be len:u8
//!  date_len:u8 date retry_len:u8 retry body…`
//! `flags` bit 0 drops the fixed secrets, bit 1 the derived one, bit 2 the
//! Date header, bit 3 the Retry-After header; bit 4 sends the `retry`
//! string as the `WWW-Authenticate` header too. The derived secret is
//! `body[off..off+len]`.
//!
//! Invariants: a Token's access token is non-empty visible ASCII and its
//! type is "Bearer", its scope and every Failure's `message` and
//! `messages` hold no secret outside the `[redacted]` markers, the code
//! follows the status and the OAuth2 error, messages never show the
//! endpoint's query, and the expiry is 1 s to ten years out.
#![no_main]

use edge_auth::core::dialect::Provider;
use edge_auth::core::error::ErrorCode;
use edge_auth::core::response::{parse, Arrival};
use edge_auth::core::secret::redact;
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;

const PROVIDERS: [Provider; 5] = [Provider::Younium, Provider::YouniumV1, Provider::Union, Provider::Papaya, Provider::OAuth2];
const TEN_YEARS_MS: u64 = 10 * 365 * 86_400_000;
/// The query must never appear in a message.
const ENDPOINT: &str = "https://vendor.test/token?tenant=QUERY";
const SHOWN_ENDPOINT: &str = "https://vendor.test/token";

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
        www_authenticate: (flags & 16 != 0).then_some(retry.as_str()),
    };

    match parse(provider, ENDPOINT, arrival, body, &secrets) {
        Ok(token) => {
            assert!((200..300).contains(&status), "a token from HTTP {status}");
            let access = token.access_token.expose();
            assert!(!access.is_empty() && access.bytes().all(|b| b.is_ascii_graphic()), "unsendable access token {access:?}");
            assert_eq!(token.token_type, "Bearer");
            assert_eq!(token.obtained_at, at);
            assert!(token.expires_at <= at.saturating_add(TEN_YEARS_MS), "expiry {} more than ten years after {at}", token.expires_at);
            assert!(token.expires_at >= at + 1_000, "expiry {} less than a second after {at}", token.expires_at);
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
            assert!(!f.message.contains("QUERY"), "the endpoint's query in {:?}", f.message);
            check_messages(&f.messages, &secrets);
            // The endpoint is redacted on its own, our words never.
            let shown = redact(SHOWN_ENDPOINT, &secrets);
            if (200..300).contains(&status) {
                assert_eq!(f.code, ErrorCode::InvalidResponse);
                if f.messages.is_empty() {
                    // Our own words (a token type is shown only when it is short visible ASCII, redacted).
                    let head = format!("{} token response from {shown} (HTTP {status}) ", provider.as_str());
                    let tail = f.message.strip_prefix(&head).unwrap_or_else(|| panic!("unexpected message {:?}", f.message));
                    let ours = [
                        "is larger than 1 MiB",
                        "is JSON but not an object",
                        "is not JSON",
                        "has no access token",
                        "has an access token with characters that cannot be sent in a header",
                        "has a token_type other than Bearer: edge-auth sends only Bearer tokens",
                    ];
                    let typed = tail.strip_prefix("has token_type \"").and_then(|t| t.strip_suffix("\": edge-auth sends only Bearer tokens"));
                    assert!(ours.contains(&tail) || typed.is_some_and(|t| !t.eq_ignore_ascii_case("bearer")), "unexpected message {:?}", f.message);
                } else {
                    // A 200 carrying an `error`: the vendor's messages, redacted.
                    assert_no_leak("failure message", &f.message, &secrets);
                }
                assert_eq!(f.retry_after_ms, None);
            } else {
                assert_eq!(f.code, ErrorCode::for_response(status, f.oauth_error));
                let head = format!("{} token request to {shown} failed with HTTP {status} ({})", provider.as_str(), f.code.as_str());
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
