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
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
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

/// `s.split(seps)` for ASCII separators `seps` (so every piece is whole
/// characters). By bytes: splitting with a `char` pattern brings core's
/// `CharSearcher`, `memchr` and a panic path into the wasm. A byte set
/// rather than a closure, so the wasm has one copy.
pub fn split_ascii<'a>(s: &'a str, seps: &'static [u8]) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        // `iter().any` rather than `seps.contains`, which is core's memchr.
        match r.bytes().position(|b| seps.iter().any(|&sep| sep == b)).and_then(|i| around(r, i)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
