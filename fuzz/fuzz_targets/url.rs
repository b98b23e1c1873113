//! The URL rules: `check_endpoint`, `check_base`, `replace_last_segment`,
//! `is_loopback_host`.
//!
//! Input layout: (lossy) UTF-8 text; up to the first `\n` it is the URL (or
//! base, or host), after it the relative URL (or segment).
//!
//! Invariants:
//! - an `http:` URL that passes `check_endpoint` has a loopback host, by our
//!   parser and by std's IP parsers, and by the WHATWG URL parser (the `url`
//!   crate, which is what `fetch` does) whenever that parser accepts it;
//! - whatever passes has the scheme and port a WHATWG parser sees, and a
//!   plain domain host equal to the one it sees;
//! - `is_loopback_host` never says yes to a host std does not call loopback;
//! - `replace_last_segment(url, "refresh-token")` keeps a valid token URL on
//!   the same scheme, host and port, and keeps its query.
#![no_main]

use edge_auth::core::url::{check_base, check_endpoint, is_loopback_host, replace_last_segment, HttpUrl};
use libfuzzer_sys::fuzz_target;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An independent loopback oracle on a host as our parser returns it.
fn std_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    if h == "localhost" || h == "localhost." {
        return true;
    }
    if let Some(v6) = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    h.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

fn whatwg_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d == "localhost.",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn default_port(p: &HttpUrl<'_>) -> u16 {
    if p.https {
        443
    } else {
        80
    }
}

/// What our parser accepted agrees with what a WHATWG parser makes of it.
fn agree_with_whatwg(input: &str, p: &HttpUrl<'_>) {
    let Ok(u) = url::Url::parse(input) else { return };
    assert_eq!(u.scheme(), if p.https { "https" } else { "http" }, "{input:?}: scheme");
    assert_eq!(u.port_or_known_default(), Some(p.port.unwrap_or(default_port(p))), "{input:?}: port");
    if !p.https {
        assert!(whatwg_loopback(&u), "{input:?}: http: to {:?}, which is not loopback to a WHATWG parser", u.host_str());
    }
    if let Some(url::Host::Domain(d)) = u.host() {
        if p.host.is_ascii() {
            assert_eq!(d, p.host.to_ascii_lowercase(), "{input:?}: host");
        }
    }
}

fn same_origin(a: &HttpUrl<'_>, b: &HttpUrl<'_>) -> bool {
    a.https == b.https && a.host.eq_ignore_ascii_case(b.host) && a.port.unwrap_or(default_port(a)) == b.port.unwrap_or(default_port(b))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (first, second) = text.split_once('\n').unwrap_or((&text, ""));

    if is_loopback_host(first) {
        assert!(std_loopback(first), "is_loopback_host({first:?})");
    }
    let endpoint = check_endpoint(first);
    if let Ok(p) = &endpoint {
        assert_eq!(p.https, first.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("https")));
        if !p.https {
            assert!(p.is_loopback() && std_loopback(p.host), "http: to non-loopback host {:?} passed: {first:?}", p.host);
        }
        agree_with_whatwg(first, p);
    }
    let base = check_base(first);
    if let Ok(b) = &base {
        assert_eq!(Ok(*b), endpoint, "check_base passed what check_endpoint did not");
        assert!(!b.rest.contains(['?', '#']));
    }

    // replace_last_segment, as union derives its refresh URL.
    let _ = replace_last_segment(first, second);
    let refresh = replace_last_segment(first, "refresh-token");
    let query = first.split_once('#').map_or(first, |(a, _)| a).split_once('?').map(|(_, q)| q);
    match query {
        Some(q) => assert!(refresh.ends_with(&format!("refresh-token?{q}")), "{first:?} -> {refresh:?}"),
        None => assert!(refresh.ends_with("refresh-token"), "{first:?} -> {refresh:?}"),
    }
    if let Ok(p) = &endpoint {
        if !p.rest.contains('#') {
            let r = check_endpoint(&refresh).unwrap_or_else(|e| panic!("{first:?} -> {refresh:?}: {e:?}"));
            assert!(same_origin(p, &r), "{first:?} -> {refresh:?} leaves the origin");
        }
    }
});
