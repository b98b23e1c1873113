//! Token responses: status and body bytes in, a [`Token`] or a classified
//! [`Failure`] out. Hostile input is expected: bodies over 1 MiB, HTML
//! error pages, truncated JSON, tokens that would break a header, vendors
//! that echo the credentials back. Nothing here panics on any input.

use super::dialect::Provider;
use super::error::{ErrorCode, Failure};
use super::expiry;
use super::secret::{redact, Secret};
use super::time::parse_http_date;
use super::{Millis, MAX_RESPONSE_BYTES};
use super::json::{self, Value};
use super::text::{self, push_u64};

/// A token as the cache keeps it.
#[derive(Clone, Debug)]
pub struct Token {
    pub access_token: Secret,
    pub token_type: String,
    pub obtained_at: Millis,
    pub expires_at: Millis,
    /// Union only: the refresh-token grant's token.
    pub refresh_token: Option<Secret>,
    /// When the refresh token stops working. `u64::MAX` when the server said
    /// `0`, which Keycloak uses for refresh tokens with no time limit.
    pub refresh_expires_at: Option<Millis>,
    pub scope: Option<String>,
}

/// What arrived with the response, besides the body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Arrival<'a> {
    pub status: u16,
    pub at: Millis,
    /// The `Date` header, if the runtime let us read it.
    pub date: Option<&'a str>,
    pub retry_after: Option<&'a str>,
}

/// At most this many vendor messages, each at most this long, are kept.
const MAX_MESSAGES: usize = 10;
const MAX_MESSAGE_CHARS: usize = 500;

pub fn parse(provider: Provider, arrival: Arrival<'_>, body: &[u8], secrets: &[&str]) -> Result<Token, Failure> {
    let status = arrival.status;
    if !(200..300).contains(&status) {
        return Err(status_failure(provider, arrival, body, secrets));
    }
    let fail = |message: &str| Failure {
        code: ErrorCode::InvalidResponse,
        status: Some(status),
        messages: Vec::new(),
        message: {
            let mut m = String::from(provider.as_str());
            m.push_str(" token response (HTTP ");
            push_u64(&mut m, status.into());
            m.push_str(") ");
            m.push_str(message);
            m
        },
        retry_after_ms: None,
    };
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(fail("is larger than 1 MiB"));
    }
    let object = match json::parse(body) {
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(fail("is JSON but not an object")),
        None => return Err(fail("is not JSON")),
    };
    let access = provider.token_fields().iter().find_map(|k| object.get(*k)).and_then(Value::as_str);
    let access = match access {
        None | Some("") => return Err(fail("has no access token")),
        Some(t) if !t.bytes().all(|b| b.is_ascii_graphic()) => {
            return Err(fail("has an access token with characters that cannot be sent in a header"))
        }
        Some(t) => t,
    };

    let server_date = arrival.date.and_then(parse_http_date);
    let expires_in = field(&object, &["expires_in", "expiresIn"]);
    let absolute = field(&object, &["expires", "valid_until", "validUntil"]);
    let expires_at = expiry::compute(expires_in, absolute, access, arrival.at, server_date);

    let (refresh_token, refresh_expires_at) = if provider.refreshes() {
        let rt = field(&object, &["refresh_token", "refreshToken"]).and_then(Value::as_str).filter(|s| !s.is_empty());
        let rexp = field(&object, &["refresh_expires_in"]).and_then(expiry::seconds_value).map(|secs| {
            if secs == 0.0 {
                u64::MAX
            } else {
                arrival.at.saturating_add((secs * 1000.0) as Millis)
            }
        });
        match (rt, rexp) {
            (Some(rt), Some(at)) => (Some(Secret::new(rt)), Some(at)),
            // With no stated lifetime the refresh token is tried until it
            // fails; a failure falls back to the password grant anyway.
            (Some(rt), None) => (Some(Secret::new(rt)), Some(u64::MAX)),
            _ => (None, None),
        }
    } else {
        (None, None)
    };

    let token_type = field(&object, &["token_type", "tokenType"])
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= 40 && t.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("Bearer")
        .to_owned();
    let scope = field(&object, &["scope"]).and_then(Value::as_str).map(|s| redact(s, secrets));

    Ok(Token {
        access_token: Secret::new(access),
        token_type,
        obtained_at: arrival.at,
        expires_at,
        refresh_token,
        refresh_expires_at,
        scope,
    })
}

fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| object.get(*n)).filter(|v| !v.is_null())
}

/// The failure for a non-2xx token response.
fn status_failure(provider: Provider, arrival: Arrival<'_>, body: &[u8], secrets: &[&str]) -> Failure {
    let status = arrival.status;
    let code = ErrorCode::for_status(status);
    let messages = vendor_messages(body, secrets);
    let mut message = String::from(provider.as_str());
    message.push_str(" token request failed with HTTP ");
    push_u64(&mut message, status.into());
    message.push_str(" (");
    message.push_str(code.as_str());
    message.push(')');
    if !messages.is_empty() {
        for (i, m) in messages.iter().enumerate() {
            message.push_str(if i == 0 { ": " } else { "; " });
            message.push_str(m);
        }
        // Joining could put a secret back together across a seam.
        message = redact(&message, secrets);
    }
    let retry_after_ms = match status {
        429 | 503 => arrival.retry_after.and_then(|v| parse_retry_after(v, arrival.at)),
        _ => None,
    };
    Failure { code, status: Some(status), messages, message, retry_after_ms }
}

/// The vendor's own error strings, from `{"errors":[…]}`, `{"error":…}`,
/// `{"error_description":…}`, `{"message":…}`, `{"detail":…}`; from an HTML
/// page its `<title>`; from short plain text the text itself. Every string is
/// redacted of `secrets`.
pub fn vendor_messages(body: &[u8], secrets: &[&str]) -> Vec<String> {
    let body = body.get(..MAX_RESPONSE_BYTES).unwrap_or(body);
    let mut found: Vec<String> = Vec::new();
    match json::parse(body) {
        Some(map @ Value::Object(_)) => {
            if let Some(Value::Array(items)) = map.get("errors") {
                items.iter().for_each(|item| push_message(&mut found, item));
            } else if let Some(item) = map.get("errors") {
                push_message(&mut found, item);
            }
            for key in ["error", "error_description", "message", "detail"] {
                if let Some(item) = map.get(key) {
                    push_message(&mut found, item);
                }
            }
        }
        Some(Value::String(s)) => found.push(s),
        _ => {
            if let Ok(text) = core::str::from_utf8(body) {
                let text = text.trim();
                if let Some(title) = html_title(text) {
                    found.push(title.to_owned());
                } else if !text.is_empty() && !text.starts_with('<') && !matches!(text.as_bytes()[0], b'{' | b'[') && char_count(text) <= 200 && !text.bytes().any(|b| b == b'\n') {
                    found.push(text.to_owned());
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for m in found {
        // Redact, drop control and format characters and ANSI sequences
        // (text::printable), redact again: removing them can put a secret
        // back together ("S3CR3T-\u{1}xyz"), and trimming first could cut
        // a secret with spaces at its ends down to a non-match.
        let visible = text::printable(&redact(&m, secrets));
        let mut clean = String::new();
        for c in redact(&visible, secrets).trim().chars().take(MAX_MESSAGE_CHARS) {
            clean.push(c);
        }
        if !clean.is_empty() && !out.contains(&clean) && out.len() < MAX_MESSAGES {
            out.push(clean);
        }
    }
    out
}

/// `text::find` ignoring ASCII case, for a non-empty lower-case ASCII
/// `needle`: what searching a lower-cased copy finds, without making the copy.
fn find_ignoring_case(haystack: &str, needle: &str) -> Option<usize> {
    // `windows(0)` would panic.
    if needle.is_empty() {
        return None;
    }
    haystack.as_bytes().windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// `s.chars().count()`: every character has exactly one byte that is not a
/// UTF-8 continuation byte (`10xxxxxx`). Smaller in the wasm than core's
/// optimised counter.
fn char_count(s: &str) -> usize {
    s.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

fn push_message(found: &mut Vec<String>, item: &Value) {
    match item {
        Value::String(s) => found.push(s.clone()),
        Value::Object(_) => {
            if let Some(s) = ["message", "description", "error", "detail"].iter().find_map(|k| item.get(k).and_then(Value::as_str)) {
                found.push(s.to_owned());
            }
        }
        _ => {}
    }
}

fn html_title(text: &str) -> Option<&str> {
    let start = text.get(..text.len().min(4096))?;
    let open = find_ignoring_case(start, "<title>")? + 7;
    let close = open + find_ignoring_case(start.get(open..)?, "</title>")?;
    text.get(open..close).map(str::trim).filter(|t| !t.is_empty() && t.len() <= 200)
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`.
pub fn parse_retry_after(value: &str, now: Millis) -> Option<Millis> {
    let v = value.trim();
    if v.len() <= 10 {
        if let Some(secs) = text::digits(v) {
            return Some(secs.saturating_mul(1000));
        }
    }
    parse_http_date(v).map(|at| at.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: Millis = 1_700_000_000_000;

    fn ok(provider: Provider, status: u16, body: &str) -> Token {
        parse(provider, Arrival { status, at: NOW, ..Default::default() }, body.as_bytes(), &["SECRET"]).unwrap()
    }

    fn err(provider: Provider, status: u16, body: &str) -> Failure {
        parse(provider, Arrival { status, at: NOW, ..Default::default() }, body.as_bytes(), &["SECRET", "p@ss"]).unwrap_err()
    }

    #[test]
    fn documented_success_bodies() {
        let t = ok(Provider::Younium, 200, r#"{"access_token":"eyJ.a.b","refresh_token":"4baf","expires_in":86400,"expires":"Thu, 27 Sep 2025 11:12:01 GMT"}"#);
        assert_eq!((t.access_token.expose(), t.expires_at, t.token_type.as_str()), ("eyJ.a.b", NOW + 86_400_000, "Bearer"));
        assert!(t.refresh_token.is_none(), "younium refresh tokens are not kept: there is no grant for them");

        let t = ok(Provider::YouniumV1, 200, r#"{"expires":"Thu, 21 Sep 2025 11:12:01 GMT","expiresIn":86400,"accessToken":"v1tok","refreshToken":"r"}"#);
        assert_eq!((t.access_token.expose(), t.expires_at), ("v1tok", NOW + 86_400_000));

        let t = ok(Provider::Union, 200, r#"{"access_token":"u","expires_in":36000,"refresh_expires_in":1800,"refresh_token":"rt","token_type":"Bearer","not-before-policy":0,"session_state":"s","scope":"email scope profile"}"#);
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("rt"));
        assert_eq!(t.refresh_expires_at, Some(NOW + 1_800_000));
        assert_eq!(t.scope.as_deref(), Some("email scope profile"));

        // Papaya: 201, valid_until without seconds.
        let t = ok(Provider::Papaya, 201, r#"{"valid_until":"2023-11-15T22:13Z","token":"pp","token_name":"n"}"#);
        assert_eq!((t.access_token.expose(), t.expires_at), ("pp", NOW + 86_400_000 - 20_000));

        let t = ok(Provider::OAuth2, 200, r#"{"token_type":"bearer","access_token":"oa","expires_in":"3600"}"#);
        assert_eq!((t.expires_at, t.token_type.as_str()), (NOW + 3_600_000, "bearer"));
    }

    #[test]
    fn keycloak_zero_refresh_lifetime_means_unlimited() {
        let t = ok(Provider::Union, 200, r#"{"access_token":"u","expires_in":60,"refresh_expires_in":0,"refresh_token":"rt"}"#);
        assert_eq!(t.refresh_expires_at, Some(u64::MAX));
    }

    #[test]
    fn vendor_error_shapes() {
        let f = err(Provider::Younium, 401, r#"{"errors":["Invalid client credentials"]}"#);
        assert_eq!((f.code, f.status, f.messages.clone()), (ErrorCode::InvalidCredentials, Some(401), vec!["Invalid client credentials".to_owned()]));
        assert!(f.message.contains("HTTP 401") && f.message.contains("Invalid client credentials"));

        let f = err(Provider::Papaya, 401, r#"{"error":"Invalid request"}"#);
        assert_eq!(f.messages, vec!["Invalid request"]);

        let f = err(Provider::OAuth2, 400, r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#);
        assert_eq!(f.messages, vec!["invalid_client", "Client authentication failed"]);

        let f = err(Provider::OAuth2, 403, r#"{"message":"nope"}"#);
        assert_eq!((f.code, f.messages.clone()), (ErrorCode::Forbidden, vec!["nope".to_owned()]));

        let f = err(Provider::Union, 502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert_eq!((f.code, f.status, f.messages.clone()), (ErrorCode::ServerError, Some(502), vec!["502 Bad Gateway".to_owned()]));

        let f = err(Provider::Union, 502, "<HTML><TITLE> Bad Gateway </Title><title>second</title></HTML>");
        assert_eq!(f.messages, vec!["Bad Gateway"]);

        let f = err(Provider::Union, 500, "Internal Error");
        assert_eq!(f.messages, vec!["Internal Error"]);

        assert_eq!(err(Provider::Union, 429, "").code, ErrorCode::RateLimited);
        assert_eq!(err(Provider::Union, 404, "").code, ErrorCode::InvalidResponse);
        assert_eq!(err(Provider::Union, 302, "").code, ErrorCode::InvalidResponse);
    }

    #[test]
    fn failure_messages_are_exact() {
        // Other runtimes' tests assert on these texts.
        let f = err(Provider::OAuth2, 400, r#"{"error":"invalid_client","error_description":"bad"}"#);
        assert_eq!(f.message, "oauth2 token request failed with HTTP 400 (invalid_credentials): invalid_client; bad");
        assert_eq!(err(Provider::Union, 503, "").message, "union token request failed with HTTP 503 (server_error)");
        assert_eq!(err(Provider::Papaya, 201, "[]").message, "papaya token response (HTTP 201) is JSON but not an object");
    }

    #[test]
    fn echoed_credentials_are_redacted() {
        let f = err(Provider::Younium, 400, r#"{"errors":["secret SECRET is wrong","password p@ss / p%40ss"]}"#);
        assert_eq!(f.messages, vec!["secret [redacted] is wrong", "password [redacted] / [redacted]"]);
        assert!(!f.message.contains("SECRET") && !f.message.contains("p@ss"));
    }

    #[test]
    fn control_characters_cannot_rejoin_a_secret() {
        // Found by fuzzing (fuzz/regressions/vendor_messages/control-char-rejoins-secret).
        for body in [&b"S3CR3T-\x01xyz"[..], br#"{"errors":["S3CR3T-\u0001xyz"]}"#] {
            let m = vendor_messages(body, &["S3CR3T-xyz"]);
            assert!(m.iter().all(|m| !m.contains("S3CR3T-xyz")), "{m:?}");
        }
    }

    #[test]
    fn messages_cannot_spoof_a_log_line() {
        let body = r#"{"errors":["bad\u202e txt.exe\u200b \u001b[31mFAKE ok\u001b[0m\u2066x\u2069"]}"#;
        assert_eq!(vendor_messages(body.as_bytes(), &[]), vec!["bad txt.exe FAKE okx"]);
    }

    #[test]
    fn unusable_success_bodies() {
        for (body, what) in [
            ("<html>oops</html>", "not JSON"),
            (r#"{"access_token":"#, "not JSON"),
            ("[1,2]", "not an object"),
            (r#"{"expires_in":3600}"#, "no access token"),
            (r#"{"access_token":""}"#, "no access token"),
            (r#"{"access_token":42}"#, "no access token"),
            ("{\"access_token\":\"a\\r\\nX-Evil: 1\"}", "cannot be sent in a header"),
        ] {
            let f = err(Provider::Younium, 200, body);
            assert_eq!((f.code, f.status), (ErrorCode::InvalidResponse, Some(200)), "{body}");
            assert!(f.message.contains(what), "{body}: {}", f.message);
        }
        let huge = format!(r#"{{"access_token":"a","pad":"{}"}}"#, "x".repeat(MAX_RESPONSE_BYTES));
        assert!(err(Provider::Younium, 200, &huge).message.contains("1 MiB"));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2", NOW), Some(2000));
        assert_eq!(parse_retry_after("Tue, 14 Nov 2023 22:13:25 GMT", NOW), Some(5000));
        assert_eq!(parse_retry_after("soon", NOW), None);
        let f = parse(Provider::OAuth2, Arrival { status: 429, at: NOW, date: None, retry_after: Some("3") }, b"", &[]).unwrap_err();
        assert_eq!(f.retry_after_ms, Some(3000));
    }

    #[test]
    fn deeply_nested_json_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert_eq!(err(Provider::Younium, 200, &deep).code, ErrorCode::InvalidResponse);
        assert!(vendor_messages(deep.as_bytes(), &[]).is_empty());
    }

    proptest! {
        #[test]
        fn char_count_matches_std(s in "\\PC{0,40}") {
            prop_assert_eq!(char_count(&s), s.chars().count());
        }

        #[test]
        fn parse_never_panics(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            for p in [Provider::Younium, Provider::YouniumV1, Provider::Union, Provider::Papaya, Provider::OAuth2] {
                let _ = parse(p, Arrival { status, at: NOW, date: Some("garbage"), retry_after: Some("x") }, &body, &["k"]);
            }
        }

        #[test]
        fn messages_never_contain_the_secret(secret in "[ -~]{1,12}|\\PC{1,6}", prefix in "[a-z ]{0,8}") {
            // Our own words may contain a one-letter "secret"; that is no leak.
            prop_assume!(!"younium token request failed with HTTP 401 (invalid_credentials): ; x".contains(secret.as_str()));
            let body = serde_json::json!({"errors": [format!("{prefix}{secret}{prefix}")], "error": secret.clone(), "error_description": format!("x{secret}")}).to_string();
            let f = parse(Provider::Younium, Arrival { status: 401, at: NOW, ..Default::default() }, body.as_bytes(), &[&secret]).unwrap_err();
            // The marker may itself contain the secret's characters (a secret
            // of "e"), so what must hold is: no text outside the markers does.
            for m in f.messages.iter().chain([&f.message]) {
                for piece in m.split(crate::core::secret::REDACTED) {
                    prop_assert!(!piece.contains(&secret), "{m:?} contains {secret:?}");
                }
            }
        }
    }
}
