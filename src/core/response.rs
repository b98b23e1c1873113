//! Token responses: status and body bytes in, a [`Token`] or a classified
//! [`Failure`] out. Hostile input is expected: bodies over 1 MiB, HTML
//! error pages, truncated JSON, tokens that would break a header, vendors
//! that echo the credentials back. Nothing here panics on any input.

use super::dialect::Provider;
use super::error::{ErrorCode, Failure, OAuthError};
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
    /// Always `"Bearer"` for a token from a response (any other type is
    /// refused, docs/API.md §5); kept as a field for what the store holds.
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
    /// The `WWW-Authenticate` header: where a 401 with an empty body
    /// carries its OAuth2 error (RFC 6749 §5.2, RFC 6750 §3).
    pub www_authenticate: Option<&'a str>,
}

/// At most this many vendor messages, each at most this long, are kept.
const MAX_MESSAGES: usize = 10;
const MAX_MESSAGE_CHARS: usize = 500;

/// The one token type edge-auth sends (RFC 6750); matched ignoring case,
/// as RFC 6749 §5.1 says the type is.
const BEARER: &str = "Bearer";

/// `endpoint` is the URL the request went to: messages name it without
/// its query (docs/API.md §5).
pub fn parse(provider: Provider, endpoint: &str, arrival: Arrival<'_>, body: &[u8], secrets: &[&str]) -> Result<Token, Failure> {
    let status = arrival.status;
    if !(200..300).contains(&status) {
        return Err(status_failure(provider, endpoint, arrival, body, secrets));
    }
    let fail = |what: &str, messages: Vec<String>, oauth_error: Option<OAuthError>| unusable(provider, endpoint, status, what, messages, oauth_error, secrets);
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(fail("is larger than 1 MiB", Vec::new(), None));
    }
    let object = match json::parse(body) {
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(fail("is JSON but not an object", Vec::new(), None)),
        None => return Err(fail("is not JSON", Vec::new(), None)),
    };
    let access = provider.token_fields().iter().find_map(|k| object.get(*k)).and_then(Value::as_str);
    let access = match access {
        None | Some("") => {
            // A 200 that carries an OAuth2 error instead of a token: say which.
            return Err(match object.get("error").and_then(Value::as_str) {
                Some(_) => fail("is an error, not a token", vendor_messages(body, secrets), oauth_error_of(&object)),
                None => fail("has no access token", Vec::new(), None),
            });
        }
        Some(t) if !text::all_bytes(t, |b| b.is_ascii_graphic()) => {
            return Err(fail("has an access token with characters that cannot be sent in a header", Vec::new(), None))
        }
        Some(t) => t,
    };

    // `bearer` in any case is Bearer; any other type (DPoP, mac, N_A…) needs
    // more than an `Authorization: Bearer` header, so it is refused rather
    // than sent as something it is not.
    match field(&object, &["token_type", "tokenType"]).and_then(Value::as_str).filter(|t| !t.is_empty()) {
        Some(t) if t.eq_ignore_ascii_case(BEARER) => {}
        None => {}
        Some(t) if t.len() <= 40 && text::all_bytes(t, |b| b.is_ascii_graphic() && b != b'"') => {
            let what = text::concat(&["has token_type \"", &redact(t, secrets), "\": edge-auth sends only Bearer tokens"]);
            return Err(fail(&what, Vec::new(), None));
        }
        Some(_) => return Err(fail("has a token_type other than Bearer: edge-auth sends only Bearer tokens", Vec::new(), None)),
    }

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

    Ok(Token {
        access_token: Secret::new(access),
        token_type: BEARER.to_owned(),
        obtained_at: arrival.at,
        expires_at,
        refresh_token,
        refresh_expires_at,
        scope: scope_of(&object).map(|s| redact(&s, secrets)),
    })
}

/// The failure for a 2xx token response that holds no usable token.
fn unusable(provider: Provider, endpoint: &str, status: u16, what: &str, messages: Vec<String>, oauth_error: Option<OAuthError>, secrets: &[&str]) -> Failure {
    let mut message = message_head(provider, " token response from ", endpoint, " (HTTP ", status, secrets);
    message.push_str(") ");
    message.push_str(what);
    push_messages(&mut message, &messages, secrets);
    Failure { code: ErrorCode::InvalidResponse, status: Some(status), messages, message, retry_after_ms: None, oauth_error }
}

fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| object.get(*n)).filter(|v| !v.is_null())
}

/// The granted scope: RFC 6749's space-separated string, or the array some
/// servers send instead, joined with spaces.
fn scope_of(object: &Value) -> Option<String> {
    match field(object, &["scope"])? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let mut out = String::new();
            for s in items.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(s);
            }
            Some(out).filter(|s| !s.is_empty())
        }
        _ => None,
    }
}

/// The endpoint as messages show it: without its query, which may carry
/// anything. (Options refuse user info and fragments in token URLs.)
pub fn shown_endpoint(url: &str) -> &str {
    text::split_once(url, "?").map_or(url, |(before, _)| before)
}

/// `{provider}{middle}{endpoint without query}{before_status}{status}`: how
/// every message about a token response begins. The endpoint is redacted
/// on its own (a path could hold a credential); our words are not.
fn message_head(provider: Provider, middle: &str, endpoint: &str, before_status: &str, status: u16, secrets: &[&str]) -> String {
    let mut message = String::from(provider.as_str());
    message.push_str(middle);
    message.push_str(&redact(shown_endpoint(endpoint), secrets));
    message.push_str(before_status);
    push_u64(&mut message, status.into());
    message
}

/// `: a; b; c` after a message, for its vendor messages; then the whole
/// message is redacted again, as joining could put a secret back together
/// across a seam.
fn push_messages(message: &mut String, messages: &[String], secrets: &[&str]) {
    if messages.is_empty() {
        return;
    }
    for (i, m) in messages.iter().enumerate() {
        message.push_str(if i == 0 { ": " } else { "; " });
        message.push_str(m);
    }
    *message = redact(message, secrets);
}

/// The registered OAuth2 `error` of a JSON error body.
fn oauth_error_of(object: &Value) -> Option<OAuthError> {
    object.get("error").and_then(Value::as_str).and_then(OAuthError::parse)
}

/// The failure for a non-2xx token response.
fn status_failure(provider: Provider, endpoint: &str, arrival: Arrival<'_>, body: &[u8], secrets: &[&str]) -> Failure {
    let status = arrival.status;
    let (mut found, mut oauth_error) = raw_messages(body);
    // A 401 whose body names no OAuth2 error may carry it in its challenge:
    // then the challenge's messages come first.
    if let (401, None, Some(header)) = (status, oauth_error, arrival.www_authenticate) {
        let params = challenge_params(header);
        if let Some(error) = &params[0] {
            oauth_error = OAuthError::parse(error);
            let mut first = Vec::new();
            for p in params {
                let Some(p) = p else { continue };
                first.push(p);
            }
            for m in found {
                first.push(m);
            }
            found = first;
        }
    }
    let messages = clean_messages(found, secrets);
    let code = ErrorCode::for_response(status, oauth_error);
    let mut message = message_head(provider, " token request to ", endpoint, " failed with HTTP ", status, secrets);
    message.push_str(" (");
    message.push_str(code.as_str());
    message.push(')');
    push_messages(&mut message, &messages, secrets);
    let retry_after_ms = match status {
        429 | 503 => arrival.retry_after.and_then(|v| parse_retry_after(v, arrival.at)),
        _ => None,
    };
    Failure { code, status: Some(status), messages, message, retry_after_ms, oauth_error }
}

/// `error`, `error_description` and `error_uri` of a `WWW-Authenticate`
/// header (RFC 9110 §11.6.1: `Basic realm="x", error="…"`), in that order:
/// each the first parameter of that name outside a quoted value, its value
/// unquoted and unescaped. By bytes: every delimiter is ASCII, so the
/// pieces between them stay valid UTF-8.
pub fn challenge_params(header: &str) -> [Option<String>; 3] {
    [challenge_param(header, "error"), challenge_param(header, "error_description"), challenge_param(header, "error_uri")]
}

fn challenge_param(header: &str, name: &str) -> Option<String> {
    let b = header.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        match at(i) {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            // A name starts the header or follows a space or a comma.
            _ if !quoted && (i == 0 || matches!(at(i - 1), b' ' | b'\t' | b',')) && header.get(i..i + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name)) => {
                let mut j = i + name.len();
                while matches!(at(j), b' ' | b'\t') {
                    j += 1;
                }
                if at(j) == b'=' {
                    j += 1;
                    while matches!(at(j), b' ' | b'\t') {
                        j += 1;
                    }
                    return challenge_value(header, j);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The value starting at `i`: a quoted string, unescaped, or a bare token.
fn challenge_value(header: &str, mut i: usize) -> Option<String> {
    let b = header.as_bytes();
    let mut value = String::new();
    if b.get(i) != Some(&b'"') {
        let start = i;
        while b.get(i).is_some_and(|&c| c > b' ' && !matches!(c, b',' | b'"' | b';' | 0x7f)) {
            i += 1;
        }
        value.push_str(header.get(start..i)?);
    } else {
        let mut from = i + 1;
        i += 1;
        loop {
            match *b.get(i)? {
                b'"' => break,
                b'\\' => {
                    value.push_str(header.get(from..i)?);
                    from = i + 1;
                    i += 2;
                }
                _ => i += 1,
            }
        }
        value.push_str(header.get(from..i)?);
    }
    Some(value).filter(|v| !v.is_empty())
}

/// The vendor's own error strings, from `{"errors":[…]}`, `{"error":…}`,
/// `{"error_description":…}`, `{"error_uri":…}`, `{"message":…}`,
/// `{"detail":…}`; from an HTML page its `<title>`; from short plain text
/// the text itself. Every string is redacted of `secrets`.
pub fn vendor_messages(body: &[u8], secrets: &[&str]) -> Vec<String> {
    clean_messages(raw_messages(body).0, secrets)
}

/// The vendor's error strings as the body has them, and its registered
/// OAuth2 `error`, from one parse of the body.
fn raw_messages(body: &[u8]) -> (Vec<String>, Option<OAuthError>) {
    let body = body.get(..MAX_RESPONSE_BYTES).unwrap_or(body);
    let mut found: Vec<String> = Vec::new();
    let mut oauth_error = None;
    match json::parse(body) {
        Some(map @ Value::Object(_)) => {
            if let Some(Value::Array(items)) = map.get("errors") {
                items.iter().for_each(|item| push_message(&mut found, item));
            } else if let Some(item) = map.get("errors") {
                push_message(&mut found, item);
            }
            for key in ["error", "error_description", "error_uri", "message", "detail"] {
                if let Some(item) = map.get(key) {
                    push_message(&mut found, item);
                }
            }
            oauth_error = oauth_error_of(&map);
        }
        Some(Value::String(s)) => found.push(s),
        _ => {
            if let Ok(text) = core::str::from_utf8(body) {
                let text = text.trim();
                if let Some(title) = html_title(text) {
                    found.push(title.to_owned());
                } else if !text.is_empty() && !text.starts_with('<') && !matches!(text.as_bytes()[0], b'{' | b'[') && char_count(text) <= 200 && text::find_any(text, b"\n").is_none() {
                    found.push(text.to_owned());
                }
            }
        }
    }
    (found, oauth_error)
}

/// Messages as `AuthError.messages` holds them: redacted, without control
/// characters, trimmed, at most [`MAX_MESSAGE_CHARS`] each, no repeats, at
/// most [`MAX_MESSAGES`].
fn clean_messages(found: Vec<String>, secrets: &[&str]) -> Vec<String> {
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

    /// The query is never shown in messages.
    const URL: &str = "https://vendor.test/oauth/token?tenant=t1";

    fn ok(provider: Provider, status: u16, body: &str) -> Token {
        parse(provider, URL, Arrival { status, at: NOW, ..Default::default() }, body.as_bytes(), &["SECRET"]).unwrap()
    }

    fn err(provider: Provider, status: u16, body: &str) -> Failure {
        parse(provider, URL, Arrival { status, at: NOW, ..Default::default() }, body.as_bytes(), &["SECRET", "p@ss"]).unwrap_err()
    }

    fn err_401_with(header: &str, body: &str) -> Failure {
        let arrival = Arrival { status: 401, at: NOW, www_authenticate: Some(header), ..Default::default() };
        parse(Provider::OAuth2, URL, arrival, body.as_bytes(), &["SECRET"]).unwrap_err()
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
        assert_eq!((t.expires_at, t.token_type.as_str()), (NOW + 3_600_000, "Bearer"), "bearer in any case is Bearer");
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
        assert_eq!(f.message, "oauth2 token request to https://vendor.test/oauth/token failed with HTTP 400 (invalid_credentials): invalid_client; bad");
        assert_eq!(err(Provider::Union, 503, "").message, "union token request to https://vendor.test/oauth/token failed with HTTP 503 (server_error)");
        assert_eq!(err(Provider::Papaya, 201, "[]").message, "papaya token response from https://vendor.test/oauth/token (HTTP 201) is JSON but not an object");
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
        let f = parse(Provider::OAuth2, URL, Arrival { status: 429, at: NOW, retry_after: Some("3"), ..Default::default() }, b"", &[]).unwrap_err();
        assert_eq!(f.retry_after_ms, Some(3000));
    }

    #[test]
    fn deeply_nested_json_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert_eq!(err(Provider::Younium, 200, &deep).code, ErrorCode::InvalidResponse);
        assert!(vendor_messages(deep.as_bytes(), &[]).is_empty());
    }

    #[test]
    fn oauth2_errors_are_classified_by_rfc_6749() {
        let f = err(Provider::OAuth2, 400, r#"{"error":"invalid_scope","error_description":"requested scope is not allowed","scope":"admin"}"#);
        assert_eq!((f.code, f.oauth_error), (ErrorCode::InvalidRequest, Some(OAuthError::InvalidScope)));
        assert_eq!(f.messages, vec!["invalid_scope", "requested scope is not allowed"]);
        for (body, code) in [
            (r#"{"error":"unsupported_grant_type"}"#, ErrorCode::InvalidRequest),
            (r#"{"error":"invalid_request","error_description":"only application/x-www-form-urlencoded"}"#, ErrorCode::InvalidRequest),
            (r#"{"error":"unauthorized_client"}"#, ErrorCode::InvalidRequest),
            (r#"{"error":"invalid_target"}"#, ErrorCode::InvalidRequest),
            (r#"{"error":"invalid_grant"}"#, ErrorCode::InvalidCredentials),
            (r#"{"error":"invalid_client"}"#, ErrorCode::InvalidCredentials),
            // Vendor bodies without an OAuth2 error keep the status mapping.
            (r#"{"errors":["Invalid client credentials"]}"#, ErrorCode::InvalidCredentials),
            (r#"{"error":"Invalid request"}"#, ErrorCode::InvalidCredentials),
        ] {
            assert_eq!(err(Provider::OAuth2, 400, body).code, code, "{body}");
        }
        // The same on a vendor whose errors are OAuth2-shaped (union's Keycloak).
        assert_eq!(err(Provider::Union, 400, r#"{"error":"invalid_request"}"#).code, ErrorCode::InvalidRequest);
        let f = err(Provider::OAuth2, 415, "");
        assert_eq!((f.code, f.status), (ErrorCode::InvalidRequest, Some(415)));
        let f = err(Provider::OAuth2, 400, r#"{"error":"invalid_client","error_description":"d","error_uri":"https://idp.test/errors#client"}"#);
        assert_eq!(f.messages, vec!["invalid_client", "d", "https://idp.test/errors#client"]);
    }

    #[test]
    fn an_empty_401_takes_its_error_from_www_authenticate() {
        let f = err_401_with(r#"Basic realm="idp", error="invalid_client", error_description="client authentication failed""#, "");
        assert_eq!((f.code, f.oauth_error), (ErrorCode::InvalidCredentials, Some(OAuthError::InvalidClient)));
        assert_eq!(f.messages, vec!["invalid_client", "client authentication failed"]);
        assert!(f.message.ends_with("(invalid_credentials): invalid_client; client authentication failed"), "{}", f.message);
        // A body's own OAuth2 error wins over the header's.
        let f = err_401_with(r#"Basic error="invalid_client""#, r#"{"error":"invalid_grant"}"#);
        assert_eq!((f.oauth_error, f.messages.clone()), (Some(OAuthError::InvalidGrant), vec!["invalid_grant".to_owned()]));
        // A plain-text body is kept after the header's messages.
        let f = err_401_with(r#"Bearer error="invalid_client", error_description="a \"quoted\" word""#, "Unauthorized");
        assert_eq!(f.messages, vec!["invalid_client", "a \"quoted\" word", "Unauthorized"]);
        // A challenge without an error adds nothing; the header is redacted like a body.
        assert!(err_401_with(r#"Basic realm="SECRET""#, "").messages.is_empty());
        let f = err_401_with(r#"Basic error="invalid_client", error_description="secret SECRET refused""#, "");
        assert_eq!(f.messages[1], "secret [redacted] refused");
        assert!(!f.message.contains("SECRET"));
        // Only a 401's challenge is read.
        let arrival = Arrival { status: 403, at: NOW, www_authenticate: Some(r#"Basic error="invalid_client""#), ..Default::default() };
        assert!(parse(Provider::OAuth2, URL, arrival, b"", &[]).unwrap_err().messages.is_empty());
    }

    #[test]
    fn challenge_params_read_rfc_9110_challenges() {
        let p = |h: &str| challenge_params(h);
        assert_eq!(p(r#"Basic realm="x", error="invalid_client""#), [Some("invalid_client".into()), None, None]);
        assert_eq!(
            p(r#"Bearer realm="a,b", error=invalid_token, error_description="x=\"y\", z", error_uri="https://e/1""#),
            [Some("invalid_token".into()), Some(r#"x="y", z"#.into()), Some("https://e/1".into())]
        );
        // The first challenge with an error wins; a later scheme ends it.
        assert_eq!(p(r#"Negotiate abc==, Basic error="invalid_client", DPoP error="other""#)[0].as_deref(), Some("invalid_client"));
        // An `error=` inside a quoted value is not a parameter.
        assert_eq!(p(r#"Basic realm="error=fake""#), [None, None, None]);
        for h in ["", "Basic", "Basic error=", "Basic error=\"unterminated", "=,=", "Basic ,,, error", "ünï error=\"x\""] {
            let _ = p(h);
        }
    }

    #[test]
    fn a_200_carrying_an_oauth2_error_says_so() {
        let f = err(Provider::OAuth2, 200, r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#);
        assert_eq!((f.code, f.status, f.oauth_error), (ErrorCode::InvalidResponse, Some(200), Some(OAuthError::InvalidClient)));
        assert_eq!(f.messages, vec!["invalid_client", "Client authentication failed"]);
        assert_eq!(
            f.message,
            "oauth2 token response from https://vendor.test/oauth/token (HTTP 200) is an error, not a token: invalid_client; Client authentication failed"
        );
    }

    #[test]
    fn token_types_other_than_bearer_are_refused() {
        for t in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            assert_eq!(ok(Provider::OAuth2, 200, &format!(r#"{{"access_token":"a","token_type":"{t}"}}"#)).token_type, "Bearer");
        }
        assert_eq!(ok(Provider::OAuth2, 200, r#"{"access_token":"a","token_type":""}"#).token_type, "Bearer", "empty: as if absent");
        for t in ["DPoP", "mac", "N_A", "Basic"] {
            let f = err(Provider::OAuth2, 200, &format!(r#"{{"access_token":"a","token_type":"{t}"}}"#));
            assert_eq!((f.code, f.status), (ErrorCode::InvalidResponse, Some(200)));
            assert!(f.message.contains(&format!("has token_type \"{t}\": edge-auth sends only Bearer tokens")), "{}", f.message);
        }
        let f = err(Provider::OAuth2, 200, r#"{"access_token":"a","token_type":"x\ny"}"#);
        assert!(f.message.ends_with("has a token_type other than Bearer: edge-auth sends only Bearer tokens"), "{}", f.message);
        let f = err(Provider::OAuth2, 200, r#"{"access_token":"a","token_type":"SECRET"}"#);
        assert!(!f.message.contains("SECRET"), "{}", f.message);
    }

    #[test]
    fn a_scope_array_is_joined_with_spaces() {
        assert_eq!(ok(Provider::OAuth2, 200, r#"{"access_token":"a","scope":["read","write"]}"#).scope.as_deref(), Some("read write"));
        assert_eq!(ok(Provider::OAuth2, 200, r#"{"access_token":"a","scope":["read",7,""]}"#).scope.as_deref(), Some("read"));
        assert_eq!(ok(Provider::OAuth2, 200, r#"{"access_token":"a","scope":[]}"#).scope, None);
        assert_eq!(ok(Provider::OAuth2, 200, r#"{"access_token":"a","scope":"read write"}"#).scope.as_deref(), Some("read write"));
    }

    #[test]
    fn only_the_vendors_text_and_the_endpoint_are_redacted() {
        // Found by fuzzing (fuzz/regressions/token_response/secret-overlapping-our-words-redacted-them):
        // a secret that is also one of our words leaves our words alone…
        let arrival = Arrival { status: 401, at: NOW, ..Default::default() };
        let f = parse(Provider::Papaya, "https://h/token", arrival, b"", &[" failed"]).unwrap_err();
        assert_eq!(f.message, "papaya token request to https://h/token failed with HTTP 401 (invalid_credentials)");
        // …but not a credential in the endpoint's path, nor one the vendor echoes.
        let f = parse(Provider::OAuth2, "https://h/t/SECRET/token", arrival, br#"{"error":"invalid_client","error_description":"SECRET"}"#, &["SECRET"]).unwrap_err();
        assert_eq!(f.message, "oauth2 token request to https://h/t/[redacted]/token failed with HTTP 401 (invalid_credentials): invalid_client; [redacted]");
    }

    #[test]
    fn the_endpoint_is_shown_without_its_query() {
        assert_eq!(shown_endpoint("https://h/t?client_secret=x"), "https://h/t");
        assert_eq!(shown_endpoint("https://h/t"), "https://h/t");
        let f = err(Provider::Union, 404, "");
        assert!(f.message.contains("https://vendor.test/oauth/token failed") && !f.message.contains("tenant"), "{}", f.message);
    }

    proptest! {
        #[test]
        fn char_count_matches_std(s in "\\PC{0,40}") {
            prop_assert_eq!(char_count(&s), s.chars().count());
        }

        #[test]
        fn parse_never_panics(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            for p in [Provider::Younium, Provider::YouniumV1, Provider::Union, Provider::Papaya, Provider::OAuth2] {
                let _ = parse(p, URL, Arrival { status, at: NOW, date: Some("garbage"), retry_after: Some("x"), www_authenticate: Some("Basic error=\"x") }, &body, &["k"]);
            }
        }

        #[test]
        fn messages_never_contain_the_secret(secret in "[ -~]{1,12}|\\PC{1,6}", prefix in "[a-z ]{0,8}") {
            // Our own words may contain a one-letter "secret"; that is no leak.
            prop_assume!(!"younium token request to https://vendor.test/oauth/token failed with HTTP 401 (invalid_credentials): ; x".contains(secret.as_str()));
            let body = serde_json::json!({"errors": [format!("{prefix}{secret}{prefix}")], "error": secret.clone(), "error_description": format!("x{secret}")}).to_string();
            let f = parse(Provider::Younium, URL, Arrival { status: 401, at: NOW, ..Default::default() }, body.as_bytes(), &[&secret]).unwrap_err();
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
