//! Small string helpers that stand in for `format!`, `write!`, `to_string()`
//! and substring searches with `&str` patterns. Those pull core's formatting
//! machinery (`Formatter`, padding, `Display` for each integer type) and the
//! two-way substring searcher into the wasm, several KB for what the core
//! needs: gluing a few strings and numbers together, and finding short,
//! fixed substrings in short texts.

/// Appends `n` in decimal, as `{n}` would.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[start..] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in [0, 7, 10, 255, 65_535, u64::MAX] {
            let mut s = String::from("x");
            push_u64(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
