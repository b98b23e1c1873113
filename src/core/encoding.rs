//! The few encodings the dialects need, written out rather than pulled in as
//! crates: each is a dozen lines, and the wasm stays small.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with padding (RFC 4648 §4), for HTTP Basic credentials.
pub fn base64_encode(input: &[u8]) -> String {
    encode(input, B64, true)
}

/// base64url without padding (RFC 7515 §2), for JWS.
pub fn base64url_encode(input: &[u8]) -> String {
    encode(input, B64URL, false)
}

fn encode(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64url (RFC 4648 §5) as JWTs use it: padding optional, and the
/// standard alphabet's `+` and `/` accepted too. `None` on any other byte.
pub fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let trimmed = super::text::trim_end_ascii(input, b'=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone trailing sextet cannot encode a byte.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// `application/x-www-form-urlencoded` serialisation of one value, as the URL
/// standard's urlencoded serializer does it (space becomes `+`).
pub fn form_urlencode(input: &str) -> String {
    encode_with(input, true)
}

/// Percent-encoding for a query parameter value (space becomes `%20`).
pub fn query_encode(input: &str) -> String {
    encode_with(input, false)
}

fn encode_with(input: &str, space_as_plus: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' if space_as_plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// A JSON string literal, quotes included.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    super::json::write_string(&mut out, s);
    out
}

/// A JSON object of string members, in the order given; `None` values are left out.
pub fn json_object(members: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from("{");
    for (name, value) in members {
        if let Some(v) = value {
            if out.len() > 1 {
                out.push(',');
            }
            super::json::write_string(&mut out, name);
            out.push(':');
            super::json::write_string(&mut out, v);
        }
    }
    out.push('}');
    out
}

/// A form body of the given members, in order; `None` values are left out.
pub fn form_body(members: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in members {
        if let Some(v) = value {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&form_urlencode(name));
            out.push('=');
            out.push_str(&form_urlencode(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base64_known_vectors() {
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn base64url_rejects_garbage() {
        assert_eq!(base64url_decode("a$b"), None);
        assert_eq!(base64url_decode("a"), None);
    }

    #[test]
    fn form_encoding_matches_url_standard() {
        assert_eq!(form_urlencode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(query_encode("1.0 x"), "1.0%20x");
        assert_eq!(form_body(&[("a", Some("1")), ("b", None), ("c", Some("x y"))]), "a=1&c=x+y");
    }

    #[test]
    fn json_object_escapes() {
        assert_eq!(json_object(&[("k", Some("a\"b\\c\n")), ("z", None)]), r#"{"k":"a\"b\\c\n"}"#);
    }

    proptest! {
        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let enc = base64_encode(&bytes);
            prop_assert_eq!(base64url_decode(&enc), Some(bytes));
        }

        #[test]
        fn base64url_decode_never_panics(s in ".{0,200}") {
            let _ = base64url_decode(&s);
        }
    }
}
