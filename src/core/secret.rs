//! Credentials and tokens are held in [`Secret`], whose `Debug` and `Display`
//! print `[redacted]` and whose bytes are overwritten when dropped, so no
//! formatting path, panic message or log line can show one.

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
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference into `bytes`.
        unsafe { core::ptr::write_volatile(b, 0) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// Replaces every occurrence of any of `secrets` in `text` with `[redacted]`.
///
/// Longer secrets are replaced first, so a secret that contains another one
/// is removed whole. A vendor may echo a credential raw or form-encoded;
/// both spellings are removed.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut needles: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        needles.push((*s).to_owned());
        let encoded = crate::core::encoding::form_urlencode(s);
        if encoded != *s {
            needles.push(encoded);
        }
        let json = crate::core::encoding::json_string(s);
        // Without its quotes; `get` rather than slicing, which has a panic path.
        let inner = json.get(1..json.len() - 1).unwrap_or_default();
        if inner != *s {
            needles.push(inner.to_owned());
        }
    }
    // Longest first, equal lengths in the order given: one pass per length,
    // longest remaining length first. The list is a few entries long;
    // `sort_by_key` would bring about 3.5 KB of general-purpose sorting code
    // into the wasm, and an in-place sort indexes (a bounds-check panic path).
    let mut out = text.to_owned();
    let mut below = usize::MAX;
    while let Some(len) = needles.iter().map(String::len).filter(|&l| l < below).max() {
        for n in needles.iter().filter(|n| n.len() == len) {
            if let Some(replaced) = crate::core::text::replace(&out, n, REDACTED) {
                out = replaced;
            }
        }
        below = len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
