//! `secret::redact`.
//!
//! Input layout: `flags:u8 off:u16be len:u8 count:u8 (len:u8 secret){count%2} text…`
//! `flags` bit 0 drops the fixed secrets, bit 1 the derived secret
//! `text[off..off+len]`; then at most one secret of the fuzzer's own. So at
//! most two secrets are arbitrary, as in a real configuration (Papaya has
//! two): `redact` replaces needle after needle, so every secret that is part
//! of the marker (`e`, `d`) multiplies the output, and several such secrets
//! on a 1 MiB text would only measure that.
//!
//! Invariant: no text outside the `[redacted]` markers contains any spelling
//! of any secret (`fuzz_support::spellings`: raw, JSON-escaped in every
//! style, percent- and form-encoded, HTML-escaped, base64 and base64url);
//! and text in which an independent oracle (`holds_a_spelling_of`) finds no
//! spelling of any secret comes back unchanged. Secrets that overlap the
//! marker itself (`e`, `d]x`, …) can, when several are redacted together,
//! cut one another's markers into pieces that look like a leak but are our
//! text; each of those is checked redacted on its own instead, and the
//! others are checked in the full set.
#![no_main]

use edge_auth::core::secret::redact;
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let (off, len) = (r.u16_be(), r.u8());
    let count = r.u8() % 2;
    let own: Vec<String> = (0..count).map(|_| r.short_string()).collect();
    let text_bytes = r.rest();
    let text = String::from_utf8_lossy(text_bytes);

    let derived = derived_secret(text.as_bytes(), off, len);
    let mut secrets_owned = secrets_for(flags, &derived);
    secrets_owned.extend(own);
    let secrets: Vec<&str> = secrets_owned.iter().map(String::as_str).collect();

    let out = redact(&text, &secrets);

    let (overlapping, clean): (Vec<&str>, Vec<&str>) = secrets.iter().partition(|s| secret_overlaps_marker(s));
    if overlapping.len() <= 1 {
        assert_no_leak("redacted text", &out, &secrets);
    } else {
        assert_no_leak("redacted text", &out, &clean);
        for s in &overlapping {
            assert_no_leak("text redacted of one secret", &redact(&text, &[s]), &[s]);
        }
    }

    // Nothing else changes: with no spelling of a secret to find (by the
    // oracle, on texts small enough for it), the text comes back as it was.
    if text.len() <= 16 * 1024 && secrets.iter().all(|s| !holds_a_spelling_of(&text, s)) {
        assert_eq!(out, text, "redact changed text that holds no secret");
    }
    if secrets.iter().all(|s| s.is_empty()) {
        assert_eq!(out, text);
    }
});
