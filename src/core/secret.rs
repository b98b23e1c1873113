//! Credentials and tokens are held in [`Secret`], whose `Debug` and `Display`
//! print `[redacted]` and whose bytes are overwritten when dropped, so no
//! formatting path, panic message or log line can show one.
//!
//! [`redact`] removes secrets from text that came from outside (a vendor's
//! error body, a runtime's error message) in every spelling a server or a
//! runtime may echo them in (docs/API.md §5):
//! - raw;
//! - JSON-escaped in any style: `\"`, `\\`, `\/` (PHP), `\uXXXX` for any
//!   character (Python's `ensure_ascii`, .NET), surrogate pairs, and
//!   Python's `\xHH` and `\UXXXXXXXX` (a `repr` in an error message);
//! - percent- and form-encoded (`%HH` in either case, `+` for a space);
//! - HTML entity-encoded (`&amp;` and the other named ones, `&#NN;`, `&#xHH;`);
//! - any mix of those, one character at a time (a form body quoted in JSON);
//! - base64 and base64url of the secret, with or without padding, also
//!   inside a longer base64 string (a quoted `Authorization: Basic` header,
//!   a base64 blob of a whole request), for secrets of 6 bytes or more.
//!
//! Callers add `id:secret` pairs (`Credentials::basic_pairs`) to the secrets,
//! so a quoted HTTP Basic header is removed whole.

use core::fmt;

pub const REDACTED: &str = "[redacted]";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites a string's bytes with zeros in a way the optimiser keeps.
pub fn wipe(s: &mut String) {
    let mut bytes = core::mem::take(s).into_bytes();
    wipe_bytes(&mut bytes);
}

/// Overwrites a buffer's bytes with zeros in a way the optimiser keeps.
pub fn wipe_bytes(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference into `bytes`.
        unsafe { core::ptr::write_volatile(b, 0) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// A secret at least this long (in bytes) is also looked for inside longer
/// base64 strings; a shorter one only as its own base64.
pub const MIN_EMBEDDED_BASE64_BYTES: usize = 6;

/// What to look for: the text of a secret, or one of its base64 forms.
struct Needle {
    text: Secret,
    /// A base64 form: the std alphabet's `+` and `/` also match base64url's
    /// `-` and `_`, so one needle serves both alphabets.
    base64: bool,
}

/// The base64 forms of `secret` that [`redact`] removes, in the std
/// alphabet and without padding (each also matches base64url, and a
/// match leaves at most the padding): the secret's own base64, and, for
/// secrets of [`MIN_EMBEDDED_BASE64_BYTES`] or more, the characters that
/// encode only the secret's bits when it sits at each of the three byte
/// alignments inside a longer base64 string.
pub fn base64_forms(secret: &[u8]) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    let mut add = |s: String| {
        if !s.is_empty() && !out.iter().any(|o| o.expose() == s) {
            out.push(Secret::new(s));
        }
    };
    let mut own = crate::core::encoding::base64_encode(secret);
    let unpadded = crate::core::text::trim_end_ascii(&own, b'=').to_owned();
    wipe(&mut own);
    add(unpadded);
    if secret.len() >= MIN_EMBEDDED_BASE64_BYTES {
        for lead in 0..3usize {
            let mut input = vec![0u8; lead];
            input.extend_from_slice(secret);
            let mut encoded = crate::core::encoding::base64_encode(&input);
            // Characters 0..first mix the lead bytes in; from `whole` on they
            // mix in padding (or whatever follows the secret).
            let first = [0, 2, 3][lead];
            let whole = input.len() * 8 / 6;
            add(encoded.get(first..whole).unwrap_or_default().to_owned());
            wipe(&mut encoded);
            wipe_bytes(&mut input);
        }
    }
    out
}

/// Replaces every spelling (see the module's documentation) of any of
/// `secrets` in `text` with `[redacted]`.
///
/// Longer secrets are replaced first, so a secret that contains another one
/// is removed whole.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut needles: Vec<Needle> = Vec::new();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        needles.push(Needle { text: Secret::new(*s), base64: false });
        for form in base64_forms(s.as_bytes()) {
            needles.push(Needle { text: form, base64: true });
        }
    }
    // Longest first, equal lengths in the order given: one pass per length,
    // longest remaining length first. The list is short; `sort_by_key`
    // would bring about 3.5 KB of general-purpose sorting code into the
    // wasm, and an in-place sort indexes (a bounds-check panic path).
    let mut out = text.to_owned();
    let mut scratch = Scratch::default();
    let mut below = usize::MAX;
    loop {
        // The longest length below `below`, by a plain loop (an iterator
        // chain's max was its own fold in the wasm).
        let mut longest = None;
        for n in &needles {
            let l = n.text.expose().len();
            if l < below && longest.is_none_or(|m| l > m) {
                longest = Some(l);
            }
        }
        let Some(len) = longest else { break };
        for n in &needles {
            if n.text.expose().len() != len {
                continue;
            }
            if let Some(replaced) = replace_spelled(&out, n, &mut scratch) {
                out = replaced;
            }
        }
        below = len;
    }
    out
}

/// Text from outside (a vendor's message, a runtime's or a custom fetch's
/// error) made fit for an error message: every spelling of every secret
/// redacted, control and format characters and ANSI sequences dropped
/// (`text::printable`), then redacted again, since dropping them can join
/// a secret back together.
pub fn safe_message(text: &str, secrets: &[&str]) -> String {
    redact(&crate::core::text::printable(&redact(text, secrets)), secrets)
}

/// Reused buffers of the matcher.
#[derive(Default)]
struct Scratch {
    now: Vec<usize>,
    next: Vec<usize>,
}

/// `text` with every match of `needle` replaced, left to right; `None`
/// when there is none.
fn replace_spelled(text: &str, needle: &Needle, scratch: &mut Scratch) -> Option<String> {
    let bytes = text.as_bytes();
    let first = needle.text.expose().chars().next()?;
    let mut out: Option<String> = None;
    let (mut at, mut copied) = (0, 0);
    while at < bytes.len() {
        let byte = bytes.get(at).copied().unwrap_or(0);
        if may_start(byte, first, needle.base64) {
            if let Some(mut end) = match_at(bytes, at, needle, scratch) {
                // A base64 form's padding (at most two `=`) goes with it.
                for _ in 0..2 {
                    if needle.base64 && bytes.get(end) == Some(&b'=') {
                        end += 1;
                    }
                }
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(text.get(copied..at).unwrap_or_default());
                o.push_str(REDACTED);
                at = end;
                copied = end;
                continue;
            }
        }
        at += utf8_len(byte);
    }
    let mut o = out?;
    o.push_str(text.get(copied..).unwrap_or_default());
    Some(o)
}

/// The length of the UTF-8 sequence a leading byte starts (1 for a
/// continuation byte, so the scan always moves on).
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Whether a spelling of `c` can start with `b`: a cheap filter before the matcher.
fn may_start(b: u8, c: char, base64: bool) -> bool {
    let mut buf = [0u8; 4];
    let lead = c.encode_utf8(&mut buf).as_bytes().first().copied().unwrap_or(0);
    b == lead || matches!(b, b'%' | b'\\' | b'&' | b'+' | b' ') || (base64 && matches!(b, b'-' | b'_'))
}

/// Where a match of `needle` starting at `at` ends (the longest, when
/// several spellings fit), or `None`. The set of positions the spelling
/// may have reached after each character is followed, so a character with
/// two spellings (`%` raw or `%25`) costs no backtracking.
fn match_at(bytes: &[u8], at: usize, needle: &Needle, scratch: &mut Scratch) -> Option<usize> {
    scratch.now.clear();
    scratch.now.push(at);
    for c in needle.text.expose().chars() {
        scratch.next.clear();
        for &p in &scratch.now {
            let rest = bytes.get(p..).unwrap_or_default();
            for len in spellings(rest, c, needle.base64) {
                let Some(len) = len else { continue };
                if !scratch.next.contains(&(p + len)) {
                    scratch.next.push(p + len);
                }
            }
        }
        if scratch.next.is_empty() {
            return None;
        }
        core::mem::swap(&mut scratch.now, &mut scratch.next);
    }
    scratch.now.iter().copied().max()
}

/// The lengths of the spellings of `c` that `rest` starts with: at most
/// two (the character itself, and one escape or a `+`/space).
fn spellings(rest: &[u8], c: char, base64: bool) -> [Option<usize>; 2] {
    let mut buf = [0u8; 4];
    let raw = c.encode_utf8(&mut buf).as_bytes();
    let literal = rest.starts_with(raw).then_some(raw.len());
    let Some(&first) = rest.first() else { return [None, None] };
    let other = match first {
        // A form-encoded space, or a space where a form decoder read a `+`.
        b'+' if c == ' ' => Some(1),
        b' ' if c == '+' => Some(1),
        b'-' if base64 && c == '+' => Some(1),
        b'_' if base64 && c == '/' => Some(1),
        b'%' => percent(rest, raw),
        b'\\' => backslash_escape(rest).filter(|(v, _)| *v == c as u32).map(|(_, len)| len),
        b'&' => html_entity(rest).filter(|(v, _)| *v == c as u32).map(|(_, len)| len),
        _ => None,
    };
    [literal, other]
}

fn hex_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a') + 10),
        b'A'..=b'F' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// The value of exactly `n` hex digits at the start of `s`.
fn hex_digits(s: &[u8], n: usize) -> Option<u32> {
    let digits = s.get(..n)?;
    digits.iter().try_fold(0u32, |acc, &b| Some((acc << 4) | hex_value(b)?))
}

/// `%HH` for every UTF-8 byte of the character, in either case.
fn percent(rest: &[u8], raw: &[u8]) -> Option<usize> {
    for (i, &b) in raw.iter().enumerate() {
        let at = rest.get(i * 3..)?;
        if at.first() != Some(&b'%') || hex_digits(at.get(1..)?, 2)? != u32::from(b) {
            return None;
        }
    }
    Some(raw.len() * 3)
}

/// A JSON (or Python) backslash escape: the character it stands for and its length.
fn backslash_escape(rest: &[u8]) -> Option<(u32, usize)> {
    let kind = *rest.get(1)?;
    let short = match kind {
        b'"' | b'\\' | b'/' | b'\'' => Some(u32::from(kind)),
        b'b' => Some(8),
        b'f' => Some(12),
        b'n' => Some(10),
        b'r' => Some(13),
        b't' => Some(9),
        _ => None,
    };
    if let Some(v) = short {
        return Some((v, 2));
    }
    match kind {
        b'x' => Some((hex_digits(rest.get(2..)?, 2)?, 4)),
        b'U' => Some((hex_digits(rest.get(2..)?, 8)?, 10)),
        b'u' => {
            let unit = hex_digits(rest.get(2..)?, 4)?;
            if (0xD800..0xDC00).contains(&unit) {
                // A surrogate pair: `\uD83D\uDD11`.
                let low = rest.get(6..8).filter(|p| *p == b"\\u").and_then(|_| hex_digits(rest.get(8..)?, 4));
                if let Some(low) = low.filter(|l| (0xDC00..0xE000).contains(l)) {
                    return Some((0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12));
                }
            }
            Some((unit, 6))
        }
        _ => None,
    }
}

/// An HTML character reference: the character it stands for and its
/// length. Named: `amp`, `lt`, `gt`, `quot`, `apos`, `nbsp`, in any case;
/// numeric: `&#NN;` and `&#xHH;`. The `;` may be missing, as browsers allow.
fn html_entity(rest: &[u8]) -> Option<(u32, usize)> {
    let body = rest.get(1..)?;
    let semicolon = |len: usize| if body.get(len) == Some(&b';') { len + 2 } else { len + 1 };
    if body.first() == Some(&b'#') {
        let hex = matches!(body.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let mut value = 0u32;
        let mut len = start;
        while let Some(d) = body.get(len).and_then(|&b| if hex { hex_value(b) } else { (b as char).to_digit(10) }) {
            // At most 10 digits (leading zeros included): a reference longer than that is not a character.
            if len - start >= 10 {
                return None;
            }
            value = value.checked_mul(if hex { 16 } else { 10 })?.checked_add(d)?;
            len += 1;
        }
        return (len > start).then(|| (value, semicolon(len)));
    }
    const NAMED: [(&[u8], u32); 6] = [(b"amp", 38), (b"lt", 60), (b"gt", 62), (b"quot", 34), (b"apos", 39), (b"nbsp", 160)];
    NAMED.iter().find_map(|(name, value)| {
        let candidate = body.get(..name.len())?;
        candidate.eq_ignore_ascii_case(name).then(|| (*value, semicolon(name.len())))
    })
}

/// The spellings of `secret` a server or runtime may echo, by name: what
/// [`redact`] promises to remove, written out one encoder each (the leak
/// invariant of the tests and of the fuzz targets). Not in the library's
/// build: compiled for tests and with the `testing` feature.
#[cfg(any(test, feature = "testing"))]
pub fn echo_encodings(secret: &str) -> Vec<(&'static str, String)> {
    use crate::core::encoding::{base64_encode, form_urlencode, json_string, query_encode};
    let json = json_string(secret);
    let unit = |u: u16| format!("\\u{u:04x}");
    // Python's json.dumps (ensure_ascii: control and non-ASCII characters as
    // \uXXXX); PHP's json_encode also escapes `/`.
    let ascii_json = |slash: &str| -> String {
        secret
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                '/' => slash.to_owned(),
                c if (c as u32) < 0x20 || !c.is_ascii() => c.encode_utf16(&mut [0; 2]).iter().map(|u| unit(*u)).collect(),
                c => c.to_string(),
            })
            .collect()
    };
    let html_named = secret
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    let percent = query_encode(secret);
    let mut percent_lower = String::new();
    let mut hex_left = 0;
    for c in percent.chars() {
        percent_lower.push(if hex_left > 0 { c.to_ascii_lowercase() } else { c });
        hex_left = if c == '%' { 2 } else { hex_left.max(1) - 1 };
    }
    let b64 = base64_encode(secret.as_bytes());
    vec![
        ("raw", secret.to_owned()),
        ("JSON-escaped", json.get(1..json.len() - 1).unwrap_or_default().to_owned()),
        ("JSON, \\u for every character", secret.encode_utf16().map(unit).collect()),
        ("Python json.dumps", ascii_json("/")),
        ("PHP json_encode", ascii_json("\\/")),
        ("HTML entities", html_named),
        ("HTML decimal references", secret.chars().map(|c| format!("&#{};", c as u32)).collect()),
        ("HTML hex references", secret.chars().map(|c| format!("&#x{:x};", c as u32)).collect()),
        ("form-encoded", form_urlencode(secret)),
        ("percent-encoded", percent),
        ("percent-encoded, lower-case", percent_lower),
        ("base64", b64.clone()),
        ("base64, unpadded", b64.trim_end_matches('=').to_owned()),
        ("base64url", b64.trim_end_matches('=').replace('+', "-").replace('/', "_")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::encoding::{base64_encode, form_urlencode};
    use proptest::prelude::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
    }

    #[test]
    fn redact_replaces_raw_and_encoded_forms() {
        let out = redact("bad secret a b&c and a+b%26c", &["a b&c"]);
        assert_eq!(out, "bad secret [redacted] and [redacted]");
    }

    #[test]
    fn redact_prefers_longest_secret() {
        let out = redact("xx-secret-long-xx", &["secret", "secret-long"]);
        assert_eq!(out, "xx-[redacted]-xx");
    }

    #[test]
    fn equal_lengths_keep_their_order() {
        // "ab" is removed before "ba", as listed.
        assert_eq!(redact("aba", &["ab", "ba"]), "[redacted]a");
        assert_eq!(redact("aba", &["ba", "ab"]), "a[redacted]");
        assert_eq!(redact("x-abc-y", &["b", "abc", "x-", "c-y"]), "[redacted][redacted]-y");
    }

    #[test]
    fn redact_ignores_empty_secrets() {
        assert_eq!(redact("abc", &["", "zz"]), "abc");
    }

    /// The echoes the review found surviving, each now removed.
    #[test]
    fn echoes_of_every_style() {
        let secret = "p\u{eb}ss/w&rd<1>";
        for echo in [
            // Python's json.dumps (ensure_ascii) and PHP's json_encode.
            "p\\u00ebss/w&rd<1>",
            "p\\u00EBss\\/w&rd<1>",
            // .NET escapes everything outside a safe set.
            "p\\u00ebss\\u002Fw\\u0026rd\\u003C1\\u003E",
            // An HTML page.
            "p&#235;ss/w&amp;rd&lt;1&gt;",
            "p&#xEB;ss&#47;w&AMP;rd&lt1&gt",
            // A URL or form body, and a form body quoted in JSON.
            "p%C3%ABss%2Fw%26rd%3C1%3E",
            "p%c3%abss%2fw%26rd%3c1%3e",
            // Python's repr.
            "p\\xebss/w&rd<1>",
        ] {
            let out = redact(&format!("error: '{echo}' is wrong"), &[secret]);
            assert_eq!(out, "error: '[redacted]' is wrong", "{echo}");
        }
        // Outside the BMP: a surrogate pair, or Python's \U.
        for echo in ["k\\ud83d\\udd11y", "k\\uD83D\\uDD11y", "k\\U0001f511y", "k&#128273;y", "k%F0%9F%94%91y"] {
            assert_eq!(redact(echo, &["k\u{1f511}y"]), "[redacted]", "{echo}");
        }
    }

    #[test]
    fn a_quoted_basic_header_is_removed() {
        let pair = "my-client:s3cr3t-value";
        let header = format!("Authorization: Basic {}", base64_encode(pair.as_bytes()));
        let out = redact(&header, &["s3cr3t-value", pair]);
        assert_eq!(out, "Authorization: Basic [redacted]");
        // The secret alone inside other base64 (any alignment), either alphabet.
        for prefix in ["", "x", "xy", "xyz:"] {
            let blob = base64_encode(format!("{prefix}s3cr3t-value-and-more").as_bytes());
            let url = blob.replace('+', "-").replace('/', "_");
            for b in [&blob, &url] {
                let out = redact(b, &["s3cr3t-value"]);
                assert!(out.contains(REDACTED), "{prefix:?}: {b} → {out}");
            }
        }
    }

    #[test]
    fn base64_forms_of_short_and_long_secrets() {
        assert_eq!(base64_forms(b"ab").iter().map(Secret::expose).collect::<Vec<_>>(), ["YWI"]);
        // abcdef → YWJjZGVm; at alignments 1 and 2 inside longer strings.
        let forms: Vec<String> = base64_forms(b"abcdef").iter().map(|s| s.expose().to_owned()).collect();
        assert_eq!(forms[0], "YWJjZGVm");
        for (lead, blob) in [(1, base64_encode(b"?abcdef?")), (2, base64_encode(b"??abcdef?"))] {
            assert!(forms.iter().skip(1).any(|f| blob.contains(f.as_str())), "alignment {lead}: {blob} {forms:?}");
        }
    }

    #[test]
    fn escapes_that_spell_something_else_do_not_match() {
        assert_eq!(redact("a\\u0042c a%42c a&#66;c", &["abc"]), "a\\u0042c a%42c a&#66;c");
        assert_eq!(redact("truncated \\u00 %4 &#", &["x"]), "truncated \\u00 %4 &#");
        // Two spellings of one character cost no backtracking: this returns at once.
        let text = "\\".repeat(20_000);
        assert_eq!(redact(&text, &[&format!("{}x", "\\".repeat(8))]), text);
    }

    /// How a server may echo a secret: the encodings the property test draws
    /// from, with the HTTP Basic forms of `client-id:secret`.
    fn encodings(secret: &str) -> Vec<(&'static str, String)> {
        let mut out = echo_encodings(secret);
        out.push(("basic", base64_encode(format!("client-id:{secret}").as_bytes())));
        out.push(("basic, form-encoded", base64_encode(format!("client-id:{}", form_urlencode(secret)).as_bytes())));
        out
    }

    /// Whether any encoding of the secret survives outside the markers.
    fn leak(out: &str, secret: &str) -> Option<&'static str> {
        let pieces: Vec<&str> = out.split(REDACTED).collect();
        encodings(secret).into_iter().find(|(_, e)| !e.is_empty() && pieces.iter().any(|p| p.contains(e.as_str()))).map(|(name, _)| name)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Random secrets (ASCII, non-ASCII, `/`, `&`, `+`, `%`, quotes, spaces)
        /// echoed in a random encoding inside random text: no encoding of the
        /// secret survives redaction.
        #[test]
        fn no_echo_survives(
            secret in "[a-zA-Z0-9/&+%\"' <>\\\\=\u{e9}\u{eb}\u{fc}\u{20ac}\u{1f511}]{6,24}",
            which in 0usize..16,
            before in "[a-z :={\"]{0,12}",
            after in "[a-z :=}\"]{0,12}",
        ) {
            let pair = format!("client-id:{secret}");
            let form_pair = format!("client-id:{}", form_urlencode(&secret));
            let secrets = [secret.as_str(), pair.as_str(), form_pair.as_str()];
            prop_assume!(secrets.iter().all(|s| !REDACTED.contains(s)));
            let (name, echo) = encodings(&secret).swap_remove(which);
            let out = redact(&format!("{before}{echo}{after}"), &secrets);
            prop_assert!(leak(&out, &secret).is_none(), "{} echo {:?} of {:?} leaks as {:?}: {:?}", name, echo, secret, leak(&out, &secret), out);
        }

        /// What is not a spelling of a secret is left as it was.
        #[test]
        fn other_text_is_untouched(text in "[a-z0-9 .,:]{0,40}", secret in "[A-Z]{6,12}") {
            prop_assert_eq!(redact(&text, &[&secret]), text);
        }
    }
}
