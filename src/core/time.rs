//! Calendar arithmetic and the two absolute date formats vendors send:
//! HTTP dates (`expires`, the `Date` header) and ISO 8601 (`valid_until`).
//! Both parsers return milliseconds since the Unix epoch, UTC.

use super::text::{all_bytes, around, digits, find_any, split_ascii};
use super::Millis;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01: the
/// inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Epoch milliseconds for a UTC date and time, `None` when any field is out of
/// range or the instant is before 1970 or after 9999.
fn to_millis(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32, offset_min: i64) -> Option<Millis> {
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    // 24:00 is not accepted; a leap second (60) is read as 59.
    if h > 23 || mi > 59 || s > 60 || ms > 999 {
        return None;
    }
    let s = s.min(59);
    let secs = days_from_civil(y, mo, d) * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset_min * 60;
    if secs < 0 {
        return None;
    }
    Some(secs as u64 * 1000 + u64::from(ms))
}

fn month_from_name(name: &str) -> Option<u32> {
    const FULL: [&str; 12] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    ];
    // The abbreviation is the first three letters of the full name.
    let first3 = name.as_bytes().get(..3)?;
    let idx = FULL.iter().position(|m| m.as_bytes().get(..3).is_some_and(|m3| first3.eq_ignore_ascii_case(m3)))?;
    // Accept "Sep" and "September", not "Sepx".
    (name.len() == 3 || name.eq_ignore_ascii_case(FULL[idx]) || (idx == 8 && name.eq_ignore_ascii_case("sept"))).then_some(idx as u32 + 1)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && all_bytes(s, |b| b.is_ascii_digit())
}

fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = split_ascii(s, b":");
    let h = parts.next()?;
    let m = parts.next()?;
    let sec = parts.next().unwrap_or("0");
    if parts.next().is_some() || h.len() > 2 || m.len() != 2 || sec.len() > 2 {
        return None;
    }
    // At most two digits each, so the values fit whatever `digits` returns.
    Some((digits(h)? as u32, digits(m)? as u32, digits(sec)? as u32))
}

/// Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 requires a
/// recipient to accept: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`). The weekday is not checked: vendors' own
/// examples name the wrong one.
pub fn parse_http_date(input: &str) -> Option<Millis> {
    if input.len() > 64 {
        return None;
    }
    let (mut day, mut month, mut year, mut hms) = (None, None, None, None);
    for token in split_ascii(input, b" ,\t").filter(|t| !t.is_empty()) {
        // RFC 850 writes the date as 06-Nov-94; a token without '-' is one piece.
        for piece in split_ascii(token, b"-") {
            if find_any(piece, b":").is_some() {
                if hms.is_some() {
                    return None;
                }
                hms = Some(parse_hms(piece)?);
            } else if let Some(n) = digits(piece) {
                // At most four digits in every branch that keeps `n`.
                if piece.len() == 4 && year.is_none() {
                    year = Some(n as i64);
                } else if piece.len() <= 2 && day.is_none() {
                    day = Some(n as u32);
                } else if piece.len() == 2 && year.is_none() {
                    let yy = n as i64;
                    year = Some(if yy < 70 { 2000 + yy } else { 1900 + yy });
                } else {
                    return None;
                }
            } else if let Some(m) = month_from_name(piece) {
                if month.is_some() {
                    return None;
                }
                month = Some(m);
            } else if piece.eq_ignore_ascii_case("GMT") || piece.eq_ignore_ascii_case("UTC") || piece == "+0000" {
                // HTTP dates are always UTC; asctime simply omits the zone.
            } else if all_bytes(piece, |b| b.is_ascii_alphabetic()) && month.is_none() && day.is_none() && year.is_none() {
                // A weekday name before the date.
            } else {
                return None;
            }
        }
    }
    let (h, mi, s) = hms?;
    to_millis(year?, month?, day?, h, mi, s, 0, 0)
}

/// Parses an ISO 8601 / RFC 3339 date-time: `2024-07-11T07:48Z`,
/// `2024-07-11T07:48:05.123+02:00`, `2024-07-11 07:48:05`. Seconds and
/// fractions are optional (Papaya sends none); a missing zone means UTC.
pub fn parse_iso8601(input: &str) -> Option<Millis> {
    let s = input.trim();
    if s.len() < 10 || s.len() > 40 || !s.is_ascii() {
        return None;
    }
    // `s` is ASCII, so every byte index below is a character boundary; the
    // checked forms (`split_at_checked`, `get`) are there because slicing
    // brings a panic path and its formatting into the wasm.
    let (date, rest) = s.split_at_checked(10)?;
    let b = date.as_bytes();
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y = digits(date.get(0..4)?)? as i64;
    let mo = digits(date.get(5..7)?)? as u32;
    let d = digits(date.get(8..10)?)? as u32;
    let rest = match rest.as_bytes().first() {
        None => return to_millis(y, mo, d, 0, 0, 0, 0, 0),
        Some(b'T' | b't' | b' ') => rest.get(1..)?,
        Some(_) => return None,
    };
    // Split the zone off the time.
    let (time, zone) = match find_any(rest, b"Zz+-") {
        Some(i) => rest.split_at_checked(i)?,
        None => (rest, ""),
    };
    let (clock, frac) = match find_any(time, b".,") {
        Some(i) => {
            let (clock, frac) = around(time, i)?;
            (clock, Some(frac))
        }
        None => (time, None),
    };
    let (h, mi, sec) = parse_hms(clock)?;
    if clock.len() != 5 && clock.len() != 8 {
        return None;
    }
    let ms = match frac {
        None => 0,
        Some(f) if all_digits(f) && f.len() <= 9 => {
            // The first three digits, padded with zeros: ".25" is 250 ms.
            let f = f.as_bytes();
            (0..3).fold(0, |ms, i| ms * 10 + f.get(i).map_or(0, |d| u32::from(d - b'0')))
        }
        Some(_) => return None,
    };
    let offset_min = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign: i64 = if z.starts_with('-') { -1 } else { 1 };
            // After the sign: 2 or 4 digits, with any ':' among them skipped, in at most 5 bytes.
            if z.len() - 1 > 5 {
                return None;
            }
            let (mut d, mut n) = ([0i64; 4], 0);
            for b in z.bytes().skip(1).filter(|b| *b != b':') {
                if !b.is_ascii_digit() || n == 4 {
                    return None;
                }
                d[n] = i64::from(b - b'0');
                n += 1;
            }
            if n != 2 && n != 4 {
                return None;
            }
            let hh = d[0] * 10 + d[1];
            let mm = if n == 4 { d[2] * 10 + d[3] } else { 0 };
            if hh > 23 || mm > 59 {
                return None;
            }
            sign * (hh * 60 + mm)
        }
    };
    to_millis(y, mo, d, h, mi, sec, ms, offset_min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T_1994: Millis = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn civil_round_trip() {
        for days in [0, 59, 60, 365, 10_956, 19_999, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn http_date_three_forms() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(T_1994));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(T_1994));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(T_1994));
    }

    #[test]
    fn http_date_with_wrong_weekday_as_vendors_send() {
        // Younium's example says Thursday for a Saturday.
        let t = parse_http_date("Thu, 27 Sep 2025 11:12:01 GMT").unwrap();
        assert_eq!(t, (days_from_civil(2025, 9, 27) as u64 * 86_400 + 11 * 3600 + 12 * 60 + 1) * 1000);
    }

    #[test]
    fn http_date_rejects_nonsense() {
        for bad in ["", "GMT", "Sun, 31 Feb 2025 00:00:00 GMT", "Sun, 06 Nov 1994 25:00:00 GMT", "06 Nov 1994", "tomorrow", "Sun, 06 Foo 1994 08:49:37 GMT"] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_forms() {
        let base = days_from_civil(2024, 7, 11) as u64 * 86_400_000 + (7 * 3600 + 48 * 60) * 1000;
        assert_eq!(parse_iso8601("2024-07-11T07:48Z"), Some(base));
        assert_eq!(parse_iso8601("2024-07-11T07:48:05Z"), Some(base + 5000));
        assert_eq!(parse_iso8601("2024-07-11T07:48:05.25Z"), Some(base + 5250));
        assert_eq!(parse_iso8601("2024-07-11T09:48+02:00"), Some(base));
        assert_eq!(parse_iso8601("2024-07-11T05:48-0200"), Some(base));
        assert_eq!(parse_iso8601("2024-07-11 07:48"), Some(base));
        assert_eq!(parse_iso8601("2024-07-11"), Some(base - (7 * 3600 + 48 * 60) * 1000));
    }

    #[test]
    fn iso_rejects_nonsense() {
        for bad in ["", "2024-13-01T00:00Z", "2024-02-30T00:00Z", "2024-07-11T7:48Z", "2024-07-11T07:48+25:00", "2024-07-11X07:48", "1969-12-31T23:59Z", "２０２４-07-11"] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn http_date_round_trip(days in 0i64..2_900_000, secs in 0u64..86_400) {
            // Format a date the way servers do and read it back.
            let (y, m, d) = civil_from_days(days);
            prop_assume!(y <= 9999);
            const MON: [&str; 12] = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
            let text = format!("Mon, {:02} {} {} {:02}:{:02}:{:02} GMT", d, MON[(m - 1) as usize], y, secs / 3600, secs / 60 % 60, secs % 60);
            prop_assert_eq!(parse_http_date(&text), Some((days as u64 * 86_400 + secs) * 1000));
        }

        #[test]
        fn parsers_never_panic(s in ".{0,80}") {
            let _ = parse_http_date(&s);
            let _ = parse_iso8601(&s);
        }
    }
}
