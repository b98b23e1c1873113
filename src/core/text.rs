//! Small string helpers that stand in for `format!`, `write!`, `to_string()`
//! and substring searches with `&str` patterns. Those pull core's formatting
//! machinery (`Formatter`, padding, `Display` for each integer type) and the
//! two-way substring searcher into the wasm, several KB for what the core
//! needs: gluing a few strings and numbers together, and finding short,
//! fixed substrings in short texts.

/// Appends `n` in decimal, as `{n}` would. The digits are written into a
/// buffer from the back through an iterator rather than by index, so there
/// is no bounds-check (or divide-by-zero) panic path.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    for &d in digits.iter().skip(digits.len() - len) {
        out.push(char::from(d));
    }
}

/// Concatenates `parts`, with one allocation.
pub fn concat(parts: &[&str]) -> String {
    let mut len = 0;
    for p in parts {
        len += p.len();
    }
    let mut out = String::with_capacity(len);
    for p in parts {
        out.push_str(p);
    }
    out
}

/// The byte index of the first occurrence of `needle` in `haystack`, like
/// `haystack.find(needle)`; `None` for an empty needle. A match of a valid
/// UTF-8 needle always starts and ends on character boundaries, so the index
/// can be used to slice `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return None;
    }
    haystack.as_bytes().windows(needle.len()).position(|w| w == needle)
}

/// `haystack.split_once(needle)` for a non-empty needle.
///
/// Here and below, `split_at_checked`, `get` and `strip_prefix` stand in for
/// `&s[a..b]` and `split_at`: the indices are always on character
/// boundaries, but the panicking forms still bring `str::slice_error_fail`
/// and the `char`/`Range` formatting its message uses (about 4 KB) into the
/// wasm. The `?` on them never fires.
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let (before, rest) = haystack.split_at_checked(find(haystack, needle)?)?;
    Some((before, rest.strip_prefix(needle)?))
}

/// `s.rsplit_once(c)` for an ASCII `c`: the text before and after the last `c`.
pub fn rsplit_once_ascii(s: &str, c: u8) -> Option<(&str, &str)> {
    around(s, rfind_ascii(s, c)?)
}

/// The text before and after the ASCII byte at `i`, which the caller found:
/// `(&s[..i], &s[i + 1..])` without a panic path.
pub fn around(s: &str, i: usize) -> Option<(&str, &str)> {
    let (before, rest) = s.split_at_checked(i)?;
    Some((before, rest.get(1..)?))
}

/// Whether every byte of `s` passes `ok`. A function pointer rather than a
/// generic closure: one copy of the loop in the wasm for every such check.
#[inline(never)]
pub fn all_bytes(s: &str, ok: fn(u8) -> bool) -> bool {
    for &b in s.as_bytes() {
        if !ok(b) {
            return false;
        }
    }
    true
}

/// The index of `name` in `names`: one search for every "which of these
/// words" (providers, algorithms, OAuth2 errors, an option's choices), where
/// each `iter().position`/`find` over its own type was a copy in the wasm.
pub fn index_of(names: &[&str], name: &str) -> Option<usize> {
    let mut i = 0;
    for n in names {
        if *n == name {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The index of the first byte of `s` that is one of the ASCII bytes
/// `set`. One plain loop for every "where is the first of these bytes" in
/// the core: each `bytes().position(closure)` or `bytes().any(closure)`
/// was its own copy of the iterator's search in the wasm.
pub fn find_any(s: &str, set: &[u8]) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let mut j = 0;
        while j < set.len() {
            if set[j] == b {
                return Some(i);
            }
            j += 1;
        }
        i += 1;
    }
    None
}

/// `s.split(seps)` for ASCII separators `seps` (so every piece is whole
/// characters). By bytes: splitting with a `char` pattern brings core's
/// `CharSearcher`, `memchr` and a panic path into the wasm. A byte set
/// rather than a closure, so the wasm has one copy.
pub fn split_ascii<'a>(s: &'a str, seps: &'static [u8]) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        match find_any(r, seps).and_then(|i| around(r, i)) {
            Some((piece, after)) => {
                rest = Some(after);
                Some(piece)
            }
            None => rest.take(),
        }
    })
}

/// `s.trim_end_matches(c)` for an ASCII `c`, one `strip_suffix` at a time:
/// the `char`-pattern version runs core's backwards searcher, which is
/// larger in the wasm (an iterator chain over bytes was larger still).
pub fn trim_end_ascii(s: &str, c: u8) -> &str {
    let mut rest = s;
    while let Some(shorter) = rest.strip_suffix(char::from(c)) {
        rest = shorter;
    }
    rest
}

/// `s.rfind(c)` for an ASCII `c`, by bytes: an ASCII byte is always a whole
/// character in UTF-8. Smaller in the wasm than the reverse `char` searcher.
pub fn rfind_ascii(s: &str, c: u8) -> Option<usize> {
    debug_assert!(c.is_ascii());
    let bytes = s.as_bytes();
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        if bytes[i] == c {
            return Some(i);
        }
    }
    None
}

/// `text.replace(needle, with)` for a non-empty needle: every
/// non-overlapping occurrence, left to right. `None` when there is none, so
/// the caller can keep the text it has.
pub fn replace(text: &str, needle: &str, with: &str) -> Option<String> {
    let (mut before, mut rest) = split_once(text, needle)?;
    let mut out = String::with_capacity(text.len());
    loop {
        out.push_str(before);
        out.push_str(with);
        match split_once(rest, needle) {
            Some((b, r)) => (before, rest) = (b, r),
            None => break,
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The value of 1 to 19 ASCII digits; `None` for an empty string, any other
/// byte (signs included) or more digits than always fit in a `u64`. Callers
/// check their own range: this replaces `str::parse::<u16/u32/u64/i64>()`
/// where a caller has already made sure only digits are there.
pub fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// Characters that are not shown but change what a log line shows:
/// Unicode's format characters (Cf: zero-width spaces and joiners, the bidi
/// embeddings, overrides and isolates, the BOM, tag characters) and the line
/// and paragraph separators. Ranges of General_Category Cf (Unicode 15.1)
/// plus U+2028 and U+2029.
const INVISIBLE: [(u32, u32); 22] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xFFFF, 0xFFFF),
];

/// Whether `c` would change how text around it is shown without being
/// seen itself: a control character (Cc, C0 and C1) or one of [`INVISIBLE`].
pub fn is_hidden(c: char) -> bool {
    let v = c as u32;
    c.is_control() || INVISIBLE.iter().any(|&(lo, hi)| v >= lo && v <= hi)
}

/// Text from outside (a vendor's message, a runtime's error) made safe to
/// put into a log line: ANSI escape sequences removed whole (`ESC [ 31 m`,
/// OSC strings), then every control and format character (see
/// [`is_hidden`]) dropped, so nothing can recolour, reorder (U+202E) or
/// hide (U+200B) what a reader sees.
pub fn printable(s: &str) -> String {
    #[derive(PartialEq)]
    enum In {
        Text,
        /// After ESC.
        Escape,
        /// A CSI sequence: parameters until a final byte (0x40-0x7E).
        Csi,
        /// An OSC (or DCS, SOS, PM, APC) string: until BEL or ST.
        Str,
    }
    let mut out = String::with_capacity(s.len());
    let mut state = In::Text;
    for c in s.chars() {
        let v = c as u32;
        state = match state {
            In::Text => match v {
                0x1b => In::Escape,
                0x9b => In::Csi,
                0x90 | 0x98 | 0x9d | 0x9e | 0x9f => In::Str,
                _ => {
                    if !is_hidden(c) {
                        out.push(c);
                    }
                    In::Text
                }
            },
            In::Escape => match c {
                '[' => In::Csi,
                ']' | 'P' | 'X' | '^' | '_' => In::Str,
                // ESC and one more character (ESC c, ESC 7, …).
                _ => In::Text,
            },
            In::Csi if (0x20..=0x3f).contains(&v) => In::Csi,
            In::Csi => In::Text,
            // BEL or ST (U+009C; ESC \ ends it through In::Escape).
            In::Str if v == 0x07 || v == 0x9c => In::Text,
            In::Str if v == 0x1b => In::Escape,
            In::Str => In::Str,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn printable_drops_what_could_spoof_a_log_line() {
        assert_eq!(printable("ok\u{1b}[31mRED\u{1b}[0m done"), "okRED done");
        assert_eq!(printable("\u{1b}]0;title\u{7}x\u{1b}]8;;http://e\u{1b}\\link"), "xlink");
        assert_eq!(printable("a\u{202e}gnp.exe\u{202c} b\u{200b}c\u{2066}d\u{2069}\u{feff}"), "agnp.exe bcd");
        assert_eq!(printable("line\u{2028}two\r\nthree\u{9b}1mx\u{85}"), "linetwothreex");
        assert_eq!(printable("\u{1b}"), "");
        assert_eq!(printable("tag\u{e0041}s and \u{ad}soft"), "tags and soft");
        // Visible text, accents and emoji included, is kept.
        assert_eq!(printable("Ünïcødé 🔑 <b>&amp;</b>"), "Ünïcødé 🔑 <b>&amp;</b>");
    }

    #[test]
    fn numbers() {
        for n in [0, 7, 10, 255, 65_535, u64::MAX] {
            let mut s = String::from("x");
            push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        assert_eq!(digits("0042"), Some(42));
        assert_eq!(digits("9999999999999999999"), Some(9_999_999_999_999_999_999));
        for bad in ["", "+1", "-1", " 1", "1a", "12345678901234567890"] {
            assert_eq!(digits(bad), None, "{bad}");
        }
    }

    #[test]
    fn searching() {
        assert_eq!(find("a://b://", "://"), Some(1));
        assert_eq!(find("ab", "abc"), None);
        assert_eq!(find("ab", ""), None);
        assert_eq!(split_once("https://h/x", "://"), Some(("https", "h/x")));
        assert_eq!(replace("aXbXXc", "X", "--").as_deref(), Some("a--b----c"));
        assert_eq!(replace("aaa", "aa", "b").as_deref(), Some("ba"));
        assert_eq!(replace("abc", "x", "y"), None);
    }

    proptest! {
        #[test]
        fn printable_keeps_no_hidden_character(s in "\\PC{0,20}|[\u{0}-\u{a0}\u{200b}-\u{206f}\u{feff}a]{0,40}") {
            let out = printable(&s);
            prop_assert!(!out.chars().any(is_hidden), "{:?} → {:?}", s, out);
            prop_assert!(!out.contains(char::from(0x1b)), "ESC left in {:?}", out);
        }

        #[test]
        fn searches_match_std(hay in "[ab\u{e9}/:]{0,30}", needle in "[ab\u{e9}/:]{1,3}") {
            prop_assert_eq!(find(&hay, &needle), hay.find(needle.as_str()));
            prop_assert_eq!(split_once(&hay, &needle), hay.split_once(needle.as_str()));
            let replaced = replace(&hay, &needle, "[r]").unwrap_or_else(|| hay.clone());
            prop_assert_eq!(replaced, hay.replace(needle.as_str(), "[r]"));
            prop_assert_eq!(rfind_ascii(&hay, b':'), hay.rfind(':'));
            prop_assert_eq!(rsplit_once_ascii(&hay, b':'), hay.rsplit_once(':'));
            prop_assert_eq!(trim_end_ascii(&hay, b'/'), hay.trim_end_matches('/'));
            prop_assert_eq!(split_ascii(&hay, b":/").collect::<Vec<_>>(), hay.split([':', '/']).collect::<Vec<_>>());
        }

        #[test]
        fn push_u64_matches_std(n in any::<u64>()) {
            let mut s = String::new();
            push_u64(&mut s, n);
            prop_assert_eq!(s, n.to_string());
        }

        #[test]
        fn digits_match_std(s in "[0-9]{1,19}") {
            prop_assert_eq!(digits(&s), s.parse::<u64>().ok());
        }
    }
}
