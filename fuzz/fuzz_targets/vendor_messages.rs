//! `response::vendor_messages`: the vendor's own error strings from any body.
//!
//! Input layout: `flags:u8 off:u16be len:u8 body…` (`flags` bit 0 drops the
//! fixed secrets, bit 1 the derived secret `body[off..off+len]`).
//!
//! Invariants: at most ten messages, each non-empty, at most 500 characters,
//! without control characters or duplicates, and without any secret outside
//! the `[redacted]` markers.
#![no_main]

use edge_auth::core::response::vendor_messages;
use fuzz_support::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let flags = r.u8();
    let (off, len) = (r.u16_be(), r.u8());
    let body = r.rest();

    let derived = derived_secret(body, off, len);
    let secrets_owned = secrets_for(flags, &derived);
    let secrets: Vec<&str> = secrets_owned.iter().map(String::as_str).collect();

    let messages = vendor_messages(body, &secrets);
    check_messages(&messages, &secrets);

    // Without secrets: the same invariants, and the same messages.
    let plain = vendor_messages(body, &[]);
    check_messages(&plain, &[]);
    if secrets.is_empty() {
        assert_eq!(plain, messages);
    }
});
