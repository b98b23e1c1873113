//! Shared helpers for the edge-auth fuzz targets: a byte reader for the
//! targets' input layouts (documented in fuzz/README.md, so seeds can be
//! written by hand), the secrets every target redacts, and the invariant
//! checks more than one target asserts.

use edge_auth::core::encoding::base64_encode;
use edge_auth::core::secret::{echo_encodings, MIN_EMBEDDED_BASE64_BYTES, REDACTED};

/// Secrets passed to every parser that takes secrets. None of their
/// spellings (see [`spellings`]) overlaps the `[redacted]` marker, so a
/// leak check on them can never be fooled by the marker itself.
pub const FIXED_SECRETS: [&str; 3] = ["S3CR3T-xyz", "p@ss w0rd&=\u{fc}", "k\"e\\y/1"];

/// The largest `Date.now()` a JavaScript runtime can return (8.64e15 ms):
/// `Millis` values outside it cannot reach the core.
pub const MAX_JS_DATE_MS: u64 = 8_640_000_000_000_000;

/// Reads an input front to back; past the end every read yields zeros or empty.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    pub fn u16_be(&mut self) -> u16 {
        let b = self.bytes(2);
        let mut buf = [0u8; 2];
        buf[..b.len()].copy_from_slice(b);
        u16::from_be_bytes(buf)
    }

    pub fn u64_le(&mut self) -> u64 {
        let b = self.bytes(8);
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(buf)
    }

    /// A length byte, then that many bytes.
    pub fn short_bytes(&mut self) -> &'a [u8] {
        let n = self.u8() as usize;
        self.bytes(n)
    }

    /// A length byte, then that many bytes as (lossy) UTF-8.
    pub fn short_string(&mut self) -> String {
        String::from_utf8_lossy(self.short_bytes()).into_owned()
    }

    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.data)
    }
}

/// A secret taken from the input itself: `len` bytes of `body` from `offset`,
/// so the fuzzer can make any piece of a body a secret the body echoes.
pub fn derived_secret(body: &[u8], offset: u16, len: u8) -> Option<String> {
    let start = offset as usize;
    let end = start.checked_add(len as usize)?;
    let slice = body.get(start..end)?;
    let s = String::from_utf8_lossy(slice).into_owned();
    (!s.is_empty()).then_some(s)
}

/// The spellings of a secret that `redact` promises to remove (docs/API.md
/// §5): every encoding of `core::secret::echo_encodings` (raw, JSON-escaped
/// in every style, percent- and form-encoded, HTML-escaped, base64 and
/// base64url), and for secrets of `MIN_EMBEDDED_BASE64_BYTES` or more the
/// characters that encode only the secret inside a longer base64 string,
/// at each alignment, in both alphabets.
pub fn spellings(secret: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    for (_, e) in echo_encodings(secret) {
        add(e);
    }
    for form in base64_spellings(secret.as_bytes()) {
        add(form.replace('+', "-").replace('/', "_"));
        add(form);
    }
    out
}

/// The base64 (std alphabet, no padding) forms of a secret: its own, and its
/// fully determined characters at byte alignments 0, 1 and 2 inside a longer string.
pub fn base64_spellings(secret: &[u8]) -> Vec<String> {
    let mut out = vec![base64_encode(secret).trim_end_matches('=').to_owned()];
    if secret.len() >= MIN_EMBEDDED_BASE64_BYTES {
        for lead in 0..3usize {
            let mut input = vec![0u8; lead];
            input.extend_from_slice(secret);
            let encoded = base64_encode(&input);
            // Characters mixing in the lead zero bytes, and the last one mixing in what follows, are left out.
            let first = (lead * 8).div_ceil(6);
            let whole = input.len() * 8 / 6;
            if first < whole {
                out.push(encoded[first..whole].to_owned());
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Every character a spelling starting at `text[i..]` may stand for, with
/// the spelling's length in bytes: the character itself (and a space for
/// `+`, a `+` for a space), a run of `%HH` bytes, a backslash escape (JSON,
/// Python), an HTML character reference. Written independently of the
/// core's matcher, as an oracle for it.
fn denotations(text: &str, i: usize) -> Vec<(char, usize)> {
    let mut out = Vec::new();
    let Some(rest) = text.get(i..) else { return out };
    let Some(c) = rest.chars().next() else { return out };
    out.push((c, c.len_utf8()));
    match c {
        '+' => out.push((' ', 1)),
        ' ' => out.push(('+', 1)),
        _ => {}
    }
    let b = rest.as_bytes();
    let hex = |s: &[u8]| -> Option<u32> { u32::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok().filter(|_| s.iter().all(u8::is_ascii_hexdigit)) };
    if c == '%' {
        let mut bytes = Vec::new();
        for k in 0..4 {
            let at = k * 3;
            if b.get(at) != Some(&b'%') {
                break;
            }
            let Some(v) = b.get(at + 1..at + 3).and_then(hex) else { break };
            bytes.push(v as u8);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                if let Some(ch) = s.chars().next() {
                    out.push((ch, at + 3));
                }
                break;
            }
        }
    }
    if c == '\\' {
        let short = match b.get(1) {
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            Some(b'/') => Some('/'),
            Some(b'\'') => Some('\''),
            Some(b'b') => Some('\u{8}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'n') => Some('\n'),
            Some(b'r') => Some('\r'),
            Some(b't') => Some('\t'),
            _ => None,
        };
        if let Some(ch) = short {
            out.push((ch, 2));
        }
        let code = |start: usize, n: usize| b.get(start..start + n).and_then(hex);
        match b.get(1) {
            Some(b'x') => out.extend(code(2, 2).and_then(char::from_u32).map(|ch| (ch, 4))),
            Some(b'U') => out.extend(code(2, 8).and_then(char::from_u32).map(|ch| (ch, 10))),
            Some(b'u') => {
                if let Some(unit) = code(2, 4) {
                    let pair = (b.get(6..8) == Some(b"\\u")).then(|| code(8, 4)).flatten();
                    match (unit, pair) {
                        (0xD800..=0xDBFF, Some(low @ 0xDC00..=0xDFFF)) => {
                            out.extend(char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).map(|ch| (ch, 12)))
                        }
                        _ => out.extend(char::from_u32(unit).map(|ch| (ch, 6))),
                    }
                }
            }
            _ => {}
        }
    }
    if c == '&' {
        let body = &b[1..];
        let end = |len: usize| if body.get(len) == Some(&b';') { len + 2 } else { len + 1 };
        for (name, ch) in [("amp", '&'), ("lt", '<'), ("gt", '>'), ("quot", '"'), ("apos", '\''), ("nbsp", '\u{a0}')] {
            if body.len() >= name.len() && body[..name.len()].eq_ignore_ascii_case(name.as_bytes()) {
                out.push((ch, end(name.len())));
            }
        }
        if body.first() == Some(&b'#') {
            let is_hex = matches!(body.get(1), Some(b'x' | b'X'));
            let start = if is_hex { 2 } else { 1 };
            let digits = body[start..].iter().take_while(|d| if is_hex { d.is_ascii_hexdigit() } else { d.is_ascii_digit() }).count();
            if (1..=10).contains(&digits) {
                let s = std::str::from_utf8(&body[start..start + digits]).unwrap();
                if let Some(ch) = u32::from_str_radix(s, if is_hex { 16 } else { 10 }).ok().and_then(char::from_u32) {
                    out.push((ch, end(start + digits)));
                }
            }
        }
    }
    out
}

/// Whether `text` holds a spelling of `needle` starting at byte `i`,
/// character by character (`base64`: `+`/`/` also match `-`/`_`).
/// Memoised, so a run of ambiguous characters stays polynomial.
fn spelled_at(text: &str, i: usize, needle: &[char], base64: bool, failed: &mut std::collections::HashSet<(usize, usize)>) -> bool {
    let Some((&want, rest)) = needle.split_first() else { return true };
    if failed.contains(&(i, rest.len())) {
        return false;
    }
    for (c, len) in denotations(text, i) {
        let same = c == want || (base64 && ((want == '+' && c == '-') || (want == '/' && c == '_')));
        if same && spelled_at(text, i + len, rest, base64, failed) {
            return true;
        }
    }
    failed.insert((i, rest.len()));
    false
}

/// The oracle: whether `text` holds any spelling `redact` removes of `secret`.
pub fn holds_a_spelling_of(text: &str, secret: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let mut needles: Vec<(Vec<char>, bool)> = vec![(secret.chars().collect(), false)];
    needles.extend(base64_spellings(secret.as_bytes()).into_iter().map(|f| (f.chars().collect(), true)));
    needles.iter().any(|(needle, base64)| {
        let mut failed = std::collections::HashSet::new();
        text.char_indices().any(|(i, _)| spelled_at(text, i, needle, *base64, &mut failed))
    })
}

/// Whether `needle` could ever match text that includes part of a
/// `[redacted]` marker: it is part of the marker, contains it, or one of its
/// ends is an end of the marker. Only such a secret can make the marker
/// itself look like a leak.
pub fn overlaps_marker(needle: &str) -> bool {
    let m = REDACTED;
    if m.contains(needle) || needle.contains(m) {
        return true;
    }
    (1..m.len().min(needle.len() + 1)).any(|k| {
        let (mp, ms) = (&m[..k], &m[m.len() - k..]);
        needle.ends_with(mp) || needle.starts_with(ms)
    })
}

pub fn secret_overlaps_marker(secret: &str) -> bool {
    spellings(secret).iter().any(|s| overlaps_marker(s))
}

/// The leak invariant: no text outside the `[redacted]` markers contains any
/// spelling of any of `secrets`. The marker may itself contain a secret's
/// characters (a secret of `e`), which is no leak.
#[track_caller]
pub fn assert_no_leak(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for spelling in spellings(secret) {
            for piece in text.split(REDACTED) {
                assert!(!piece.contains(spelling.as_str()), "{what} leaks secret {secret:?} (spelled {spelling:?}): {text:?}");
            }
        }
    }
}

/// `vendor_messages` keeps at most this many characters of a message; a
/// marker cut at that length leaves a fragment such as `[redac`, which is
/// our text, not the vendor's.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// A vendor message with a marker fragment that truncation left at its end
/// removed.
pub fn without_cut_marker(message: &str) -> &str {
    if message.chars().count() < MAX_MESSAGE_CHARS {
        return message;
    }
    for k in (1..REDACTED.len()).rev() {
        if let Some(head) = message.strip_suffix(&REDACTED[..k]) {
            return head;
        }
    }
    message
}

/// Invariants of `vendor_messages`' output that hold whatever the body:
/// at most ten messages, each non-empty, at most 500 characters, no control
/// or format characters (bidi, zero-width), no duplicates, no leaked secret.
#[track_caller]
pub fn check_messages(messages: &[String], secrets: &[&str]) {
    assert!(messages.len() <= 10, "{} messages", messages.len());
    for (i, m) in messages.iter().enumerate() {
        assert!(!m.is_empty(), "empty message");
        assert!(m.chars().count() <= MAX_MESSAGE_CHARS, "message of {} chars", m.chars().count());
        assert!(!m.chars().any(edge_auth::core::text::is_hidden), "control or format character in {m:?}");
        assert!(!messages[..i].contains(m), "duplicate message {m:?}");
        assert_no_leak("vendor message", without_cut_marker(m), secrets);
    }
}

/// The secrets a target passes: the fixed ones unless `flags` bit 0 is set,
/// the derived one unless bit 1 is set.
pub fn secrets_for(flags: u8, derived: &Option<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if flags & 1 == 0 {
        out.extend(FIXED_SECRETS.iter().map(|s| (*s).to_owned()));
    }
    if flags & 2 == 0 {
        if let Some(d) = derived {
            out.push(d.clone());
        }
    }
    out
}

// ---- calendar, for round trips ----

pub use edge_auth::core::time::civil_from_days;

pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
    pub millis: u64,
    pub weekday: usize,
}

pub fn civil(ms: u64) -> Civil {
    let days = (ms / 86_400_000) as i64;
    let (year, month, day) = civil_from_days(days);
    let in_day = ms % 86_400_000;
    Civil {
        year,
        month,
        day,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        millis: in_day % 1000,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4) % 7) as usize,
    }
}

pub const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
pub const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
pub const LONG_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// The three HTTP date forms of RFC 9110 §5.6.7 for an instant.
pub fn http_dates(ms: u64) -> Vec<String> {
    let c = civil(ms);
    let mon = MONTHS[(c.month - 1) as usize];
    let mut out = vec![
        format!("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", DAYS[c.weekday], c.day, mon, c.year, c.hour, c.minute, c.second),
        format!("{} {} {:2} {:02}:{:02}:{:02} {:04}", DAYS[c.weekday], mon, c.day, c.hour, c.minute, c.second, c.year),
    ];
    // RFC 850's two-digit year reads as 1970..2069.
    if (1970..2070).contains(&c.year) {
        out.push(format!("{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT", LONG_DAYS[c.weekday], c.day, mon, c.year % 100, c.hour, c.minute, c.second));
    }
    out
}

pub fn iso8601(ms: u64) -> String {
    let c = civil(ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// Epoch milliseconds of 10000-01-01T00:00:00Z.
pub const YEAR_10000_MS: u64 = 253_402_300_800_000;

// ---- base64url, for building JWTs ----

pub fn base64url(bytes: &[u8]) -> String {
    edge_auth::core::encoding::base64_encode(bytes).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_overlap() {
        for yes in ["e", "[", "]", "d]x", "x[r", "redacted", "a[redacted]b", "acted]"] {
            assert!(overlaps_marker(yes), "{yes}");
        }
        for no in FIXED_SECRETS.iter().flat_map(|s| spellings(s)) {
            assert!(!overlaps_marker(&no), "{no}");
        }
        assert!(!overlaps_marker("x]y"));
    }

    #[test]
    fn the_oracle_finds_every_listed_spelling() {
        for secret in FIXED_SECRETS.iter().chain(&["a \u{1f511}/&+%x", "abcdefgh"]) {
            for sp in spellings(secret) {
                assert!(holds_a_spelling_of(&format!("<{sp}>"), secret), "{secret:?} as {sp:?}");
            }
            assert!(!holds_a_spelling_of("nothing here at all", secret));
        }
    }

    #[test]
    fn cut_marker() {
        let long = format!("{}[redac", "x".repeat(494));
        assert_eq!(without_cut_marker(&long), "x".repeat(494));
        assert_eq!(without_cut_marker("ab[re"), "ab[re");
    }

    #[test]
    fn dates_format() {
        assert_eq!(http_dates(784_111_777_000)[0], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_dates(784_111_777_000)[1], "Sun Nov  6 08:49:37 1994");
        assert_eq!(http_dates(784_111_777_000)[2], "Sunday, 06-Nov-94 08:49:37 GMT");
        assert_eq!(iso8601(784_111_777_123), "1994-11-06T08:49:37.123Z");
        assert_eq!(civil(YEAR_10000_MS).year, 10000);
        assert_eq!(civil(YEAR_10000_MS - 1).year, 9999);
    }
}
