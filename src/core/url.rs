//! URL rules, on strings: just enough parsing to enforce "HTTPS only, except
//! loopback" and to derive union's refresh URL. (Joining an API call's
//! relative URL to `baseUrl` is done where the call is made, in the
//! package's `api_fetch.js`.) The parser is strict
//! on purpose: anything a WHATWG URL parser might read differently (a
//! backslash, whitespace, a percent-encoded host, user info) is refused
//! rather than guessed at, so the loopback verdict can never be fooled.

use super::text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Not an absolute `http:` or `https:` URL.
    NotAbsoluteHttp,
    /// Whitespace, a control character or a backslash.
    BadCharacter,
    /// No host, or a host with characters a host may not have.
    BadHost,
    BadPort,
    /// `user:password@host`: credentials do not belong in URLs.
    UserInfo,
    /// `http:` to a host that is not loopback.
    Insecure,
    /// A query or fragment where only a base is allowed.
    NotABase,
}

impl UrlError {
    pub fn reason(self) -> &'static str {
        match self {
            UrlError::NotAbsoluteHttp => "must be an absolute http: or https: URL",
            UrlError::BadCharacter => "must not contain whitespace, control characters or backslashes",
            UrlError::BadHost => "has a missing or malformed host",
            UrlError::BadPort => "has a malformed port",
            UrlError::UserInfo => "must not contain a user name or password",
            UrlError::Insecure => "must use https: (http: is allowed only for localhost, 127.0.0.0/8 and [::1])",
            UrlError::NotABase => "must not have a query or fragment",
        }
    }
}

/// The parts of an absolute http(s) URL, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpUrl<'a> {
    pub https: bool,
    pub host: &'a str,
    pub port: Option<u16>,
    /// Path, query and fragment: everything after the authority.
    pub rest: &'a str,
}

impl<'a> HttpUrl<'a> {
    pub fn parse(input: &'a str) -> Result<Self, UrlError> {
        if !text::all_bytes(input, |b| !(b <= b' ' || b == 0x7f || b == b'\\')) {
            return Err(UrlError::BadCharacter);
        }
        let (scheme, after) = text::split_once(input, "://").ok_or(UrlError::NotAbsoluteHttp)?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(UrlError::NotAbsoluteHttp);
        };
        let end = text::find_any(after, b"/?#").unwrap_or(after.len());
        // Checked forms instead of slicing, as in `text`: `end` is at an ASCII
        // byte or the end, so these never fail, but they have no panic path.
        let (authority, rest) = after.split_at_checked(end).ok_or(UrlError::BadHost)?;
        if text::find_any(authority, b"@").is_some() {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (inside, tail) = text::split_once(v6, "]").ok_or(UrlError::BadHost)?;
            // `[`, the address and `]`.
            let host = authority.get(..inside.len() + 2).ok_or(UrlError::BadHost)?;
            let port = match tail {
                "" => None,
                t => Some(t.strip_prefix(':').ok_or(UrlError::BadPort)?),
            };
            if !text::all_bytes(inside, |b| b.is_ascii_hexdigit() || b == b':' || b == b'.') || inside.is_empty() {
                return Err(UrlError::BadHost);
            }
            (host, port)
        } else {
            match text::rsplit_once_ascii(authority, b':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        // By bytes: every byte of a non-ASCII character is itself non-ASCII.
        if host.is_empty() || (!host.starts_with('[') && !text::all_bytes(host, |b| b.is_ascii_alphanumeric() || !b.is_ascii() || b == b'-' || b == b'.' || b == b'_')) {
            return Err(UrlError::BadHost);
        }
        let port = match port {
            None | Some("") => None,
            // 1 to 5 digits (`digits` refuses anything else), at most 65535.
            Some(p) if p.len() <= 5 => Some(text::digits(p).and_then(|n| u16::try_from(n).ok()).ok_or(UrlError::BadPort)?),
            Some(_) => return Err(UrlError::BadPort),
        };
        Ok(HttpUrl { https, host, port, rest })
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host)
    }
}

/// `localhost`, `127.0.0.0/8` in plain dotted-decimal, or `[::1]`. Forms a
/// browser would also read as loopback but that are easy to get wrong
/// (`127.1`, octal, hex, IPv4-mapped IPv6) are not accepted: they only ever
/// make the rule stricter.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    if host == "[::1]" || host == "[0:0:0:0:0:0:0:1]" {
        return true;
    }
    // Exactly four parts, the first "127", each 0-255 with no leading zero.
    let mut parts = 0;
    for p in text::split_ascii(host, b".") {
        let octet = p.len() <= 3 && !(p.len() > 1 && p.starts_with('0')) && text::digits(p).is_some_and(|n| n <= 255);
        if !octet || (parts == 0 && p != "127") {
            return false;
        }
        parts += 1;
    }
    parts == 4
}

/// Checks a URL that credentials or tokens will be sent to.
pub fn check_endpoint(url: &str) -> Result<HttpUrl<'_>, UrlError> {
    let parsed = HttpUrl::parse(url)?;
    if !parsed.https && !parsed.is_loopback() {
        return Err(UrlError::Insecure);
    }
    Ok(parsed)
}

/// Checks a `baseUrl`: an endpoint URL with no query or fragment.
pub fn check_base(url: &str) -> Result<HttpUrl<'_>, UrlError> {
    let parsed = check_endpoint(url)?;
    if text::find_any(parsed.rest, b"?#").is_some() {
        return Err(UrlError::NotABase);
    }
    Ok(parsed)
}

/// Replaces the last path segment, keeping the query:
/// `https://h/a/token?v=1` → `https://h/a/refresh-token?v=1`.
pub fn replace_last_segment(url: &str, segment: &str) -> String {
    let (without_fragment, _) = text::split_once(url, "#").unwrap_or((url, ""));
    let (path_part, query) = match text::split_once(without_fragment, "?") {
        Some((p, q)) => (p, Some(q)),
        None => (without_fragment, None),
    };
    let after_scheme = text::split_once(path_part, "://").map_or(path_part, |(_, rest)| rest);
    let prefix = match text::rsplit_once_ascii(after_scheme, b'/') {
        // Up to and including the last '/' (the last segment is a suffix, so
        // stripping it cannot fail).
        Some((_, last)) => path_part.strip_suffix(last).unwrap_or(path_part).to_owned(),
        None => {
            let mut s = path_part.to_owned();
            s.push('/');
            s
        }
    };
    finish(prefix, segment, query)
}

fn finish(mut prefix: String, segment: &str, query: Option<&str>) -> String {
    prefix.push_str(segment);
    if let Some(q) = query {
        prefix.push('?');
        prefix.push_str(q);
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn loopback_rule() {
        for ok in ["http://localhost/x", "http://LOCALHOST:8080", "http://127.0.0.1:1/a", "http://127.255.3.4", "http://[::1]:9/", "https://example.com/t"] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://example.com/t", UrlError::Insecure),
            ("http://127.0.0.1.evil.com/", UrlError::Insecure),
            ("http://localhost.evil.com/", UrlError::Insecure),
            ("http://128.0.0.1/", UrlError::Insecure),
            ("http://127.1/", UrlError::Insecure),
            ("http://0127.0.0.1/", UrlError::Insecure),
            ("http://127.0.0.01/", UrlError::Insecure),
            ("http://[::ffff:127.0.0.1]/", UrlError::Insecure),
            ("http://evil.com\\@127.0.0.1/", UrlError::BadCharacter),
            ("http://user:pw@127.0.0.1/", UrlError::UserInfo),
            ("http://%6c%6fcalhost/", UrlError::BadHost),
            ("ftp://localhost/", UrlError::NotAbsoluteHttp),
            ("/relative", UrlError::NotAbsoluteHttp),
            ("https:///nohost", UrlError::BadHost),
            ("https://h:99999/", UrlError::BadPort),
            ("https://h:x/", UrlError::BadPort),
            (" https://h/", UrlError::BadCharacter),
            ("https://h/a b", UrlError::BadCharacter),
        ] {
            assert_eq!(check_endpoint(bad).err(), Some(why), "{bad}");
        }
    }

    #[test]
    fn base_has_no_query() {
        assert_eq!(check_base("https://h/v2?x=1").err(), Some(UrlError::NotABase));
        assert!(check_base("https://h/v2/").is_ok());
    }

    #[test]
    fn refresh_url_from_token_url() {
        assert_eq!(
            replace_last_segment("https://h/union-service/auth/token?api-version=1.0", "refresh-token"),
            "https://h/union-service/auth/refresh-token?api-version=1.0"
        );
        assert_eq!(replace_last_segment("https://h/token", "refresh-token"), "https://h/refresh-token");
        assert_eq!(replace_last_segment("https://h", "refresh-token"), "https://h/refresh-token");
    }

    proptest! {
        #[test]
        fn http_to_non_loopback_never_passes(host in "[a-z0-9.-]{1,30}", path in "[a-z/]{0,10}") {
            let url = format!("http://{host}/{path}");
            let verdict = check_endpoint(&url);
            if verdict.is_ok() {
                prop_assert!(host == "localhost" || host == "localhost." || host.starts_with("127."));
            }
        }

        #[test]
        fn parse_never_panics(s in ".{0,100}") {
            let _ = check_endpoint(&s);
            let _ = replace_last_segment(&s, "refresh-token");
        }
    }
}
