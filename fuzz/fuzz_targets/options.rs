//! `Config::from_options` over an arbitrary map of option names to
//! `OptionValue`s, decoded with `arbitrary::Unstructured`; then
//! `api_headers` and `Config::token_request` on whatever it accepts.
//!
//! Input layout: records of `name:u8 tag:u8 payload` until the input ends;
//! `name % 23` indexes NAMES, `tag % 7`: 0 absent, 1 string `len:u8` bytes,
//! 2 number (`f64` from 8 little-endian bytes), 3 boolean `u8`,
//! 4 other type `u8` (object/function/symbol/bigint), 5 a known string
//! `u8` (KNOWN: provider names, URLs, choices, secrets, injections), 6 a
//! list of `n:u8 % 4` known strings. A later record for the same name wins.
//!
//! Invariants: errors are `invalid_config` and name an option; neither an
//! error, nor a Config's `Debug`, nor a token request's `Debug` ever
//! contains a credential value, and errors do not depend on the credential
//! values at all (replacing each by a sentinel gives the same error); an
//! accepted Config has https (or loopback http) URLs with no fragment,
//! allowed origins that are https (or loopback http) origins, header-safe
//! header values and bounded timeouts and deadline.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use edge_auth::core::config::{Config, OptionValue, Options};
use edge_auth::core::dialect::{BodyEncoding, ClientAuth, Detection, Grant, Provider};
use edge_auth::core::error::ErrorCode;
use edge_auth::core::headers::api_headers;
use edge_auth::core::secret::Secret;
use edge_auth::core::url::check_endpoint;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

const NAMES: [&str; 23] = [
    "provider", "baseUrl", "tokenUrl", "refreshUrl", "environment", "apiVersion", "clientId", "secret", "username", "password",
    "apiKey", "clientSecret", "tokenName", "scope", "audience", "bodyEncoding", "clientAuth", "refreshLeewaySeconds", "timeoutMs",
    "legalEntity", "autoRefresh", "deadlineMs", "allowedOrigins",
];

/// The options whose values are credentials.
const SECRET_NAMES: [&str; 4] = ["secret", "password", "apiKey", "clientSecret"];

const KNOWN: [&str; 32] = [
    "younium", "younium-v1", "union", "papaya", "oauth2", "https://api.example.com", "http://127.0.0.1:8787/t/", "http://localhost:1",
    "https://h/x/login?api-version=2.0", "https://h/t#frag", "http://evil.example/t", "https://[::1]:8443/a", "sandbox", "us-production",
    "us-sandbox", "production", "json", "form", "body", "basic", "S3CR3T-xyz", "p@ss w0rd&=\u{fc}", "", "2.1", "a\r\nX-Evil: 1", "\t",
    "Acme AB \u{e9}", "\u{20ac}uro", "1.0 x", "id-1", "member-user", "k\"e\\y/1",
];

const OTHER: [&str; 4] = ["object", "function", "symbol", "bigint"];

/// A sentinel that no message, URL or header of ours can contain.
const SENTINEL: &str = "\u{e000}SENTINEL\u{e001}";

struct Map(HashMap<&'static str, OptionValue>);

impl Options for Map {
    fn get(&self, name: &'static str) -> OptionValue {
        self.0.get(name).cloned().unwrap_or(OptionValue::Absent)
    }
}

fn decode(data: &[u8]) -> arbitrary::Result<Map> {
    let mut u = Unstructured::new(data);
    let mut map = HashMap::new();
    while !u.is_empty() {
        let name = NAMES[u8::arbitrary(&mut u)? as usize % NAMES.len()];
        let value = match u8::arbitrary(&mut u)? % 7 {
            0 => OptionValue::Absent,
            1 => {
                let len = u8::arbitrary(&mut u)? as usize;
                OptionValue::Str(String::from_utf8_lossy(u.bytes(len.min(u.len()))?).into_owned())
            }
            2 => {
                let mut b = [0u8; 8];
                u.fill_buffer(&mut b)?;
                OptionValue::Num(f64::from_le_bytes(b))
            }
            3 => OptionValue::Bool(u8::arbitrary(&mut u)? & 1 == 1),
            4 => OptionValue::Other(OTHER[u8::arbitrary(&mut u)? as usize % OTHER.len()]),
            5 => OptionValue::Str(KNOWN[u8::arbitrary(&mut u)? as usize % KNOWN.len()].to_owned()),
            _ => {
                let n = u8::arbitrary(&mut u)? % 4;
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(OptionValue::Str(KNOWN[u8::arbitrary(&mut u)? as usize % KNOWN.len()].to_owned()));
                }
                OptionValue::List(items)
            }
        };
        map.insert(name, value);
    }
    Ok(Map(map))
}

fn header_safe(v: &str) -> bool {
    !v.chars().any(|c| (c.is_control() && c != '\t') || u32::from(c) > 0xFF)
}

fn check_config(c: &Config, secrets: &[String]) {
    let shown = format!("{c:?}");
    for s in secrets {
        assert!(!shown.contains(s.as_str()), "Config Debug shows a credential: {shown}");
    }
    let t = check_endpoint(&c.token_url).unwrap_or_else(|e| panic!("token URL {:?}: {e:?}", c.token_url));
    assert!(!t.rest.contains('#'), "token URL {:?} has a fragment", c.token_url);
    assert_eq!(c.refresh_url.is_some(), c.provider == Provider::Union);
    if let Some(r) = &c.refresh_url {
        let p = check_endpoint(r).unwrap_or_else(|e| panic!("refresh URL {r:?}: {e:?}"));
        assert!(!p.rest.contains('#'), "refresh URL {r:?} has a fragment");
    }
    if let Some(b) = &c.api_base {
        edge_auth::core::url::check_base(b).unwrap_or_else(|e| panic!("API base {b:?}: {e:?}"));
    }
    assert!((1..=600_000).contains(&c.timeout_ms), "timeout {}", c.timeout_ms);
    assert!((1..=600_000).contains(&c.deadline_ms), "deadline {}", c.deadline_ms);
    for o in &c.allowed_origins {
        let p = check_endpoint(o).unwrap_or_else(|e| panic!("allowed origin {o:?}: {e:?}"));
        assert!(matches!(p.rest, "" | "/"), "allowed origin {o:?} has a path, query or fragment");
    }
    assert!(c.leeway_ms <= 86_400_000, "leeway {}", c.leeway_ms);
    assert!(header_safe(&c.api_version) && !c.api_version.is_empty());
    if let Some(e) = &c.legal_entity {
        assert!(header_safe(e) && !e.is_empty());
    }
    for h in api_headers(c, "tok") {
        assert!(header_safe(&h.value), "header {}: {:?}", h.name, h.value);
    }
    let rt = Secret::new("rt-1");
    // As the options start it, and in every format the oauth2 detection can reach.
    let start = c.detection();
    let mut formats = vec![start];
    for (encoding, auth) in [(BodyEncoding::Form, ClientAuth::Body), (BodyEncoding::Json, ClientAuth::Basic), (BodyEncoding::Form, ClientAuth::Basic)] {
        let mut d = start;
        (d.encoding, d.auth) = (encoding, auth);
        formats.push(d);
    }
    for (grant, detection) in [Grant::Credentials, Grant::Refresh(&rt)].into_iter().flat_map(|g| formats.iter().map(move |d| (g, d))) {
        let req = c.token_request(grant, detection);
        check_endpoint(&req.url).unwrap_or_else(|e| panic!("request URL {:?}: {e:?}", req.url));
        for (name, v) in &req.headers {
            let v = v.expose();
            assert!(!v.contains(['\r', '\n', '\0']) && header_safe(v), "request header {name}: {v:?}");
        }
        let shown = format!("{req:?}");
        for s in secrets {
            assert!(!shown.contains(s.as_str()), "request Debug shows a credential: {shown}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(map) = decode(data) else { return };

    // The same options with every non-empty credential string replaced.
    let mut sentinel_map = HashMap::new();
    for (name, value) in &map.0 {
        let value = match value {
            OptionValue::Str(s) if SECRET_NAMES.contains(name) && !s.is_empty() => {
                OptionValue::Str(SENTINEL.to_owned())
            }
            v => v.clone(),
        };
        sentinel_map.insert(*name, value);
    }
    let sentinel_map = Map(sentinel_map);

    let got = Config::from_options(&map);
    let with_sentinel = Config::from_options(&sentinel_map);
    match (&got, &with_sentinel) {
        (Err(f), Err(g)) => {
            assert_eq!(f.code, ErrorCode::InvalidConfig, "{f:?}");
            assert!(f.message.starts_with("invalid option `"), "{:?}", f.message);
            assert_eq!(f, g, "the error depends on a credential's value");
            assert!(!g.message.contains(SENTINEL) && !g.to_string().contains(SENTINEL) && !format!("{g:?}").contains(SENTINEL));
            assert!(f.messages.is_empty() && f.status.is_none());
        }
        (Ok(c), Ok(d)) => {
            // Credentials are checked on the sentinel run: a real value may
            // legitimately equal a client id or a piece of a URL.
            check_config(c, &[]);
            check_config(d, &[SENTINEL.to_owned()]);
            assert_eq!(c.token_url, d.token_url);
        }
        _ => panic!("accepting the options depends on a credential's value: {:?} vs {:?}", got.as_ref().err(), with_sentinel.as_ref().err()),
    }
});
