//! ISO-8601 dates in the exact form Python peers write and accept.
//!
//! jupyter_client and ipyparallel parse dates with a pattern that allows at most six
//! fractional digits; a nanosecond timestamp (chrono's default) silently stays a string on the
//! Python side and breaks ipyparallel's timing arithmetic. So we always emit microseconds, and
//! accept exactly what that pattern accepts.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::error::{Result, WireError};

/// Formats `t` as Python's `datetime.isoformat()` with `+00:00` written `Z`: microseconds,
/// and no fraction at all when they are zero.
pub fn format_iso(t: DateTime<Utc>) -> String {
    let micros = t.timestamp_subsec_micros();
    if micros == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        format!("{}.{:06}Z", t.format("%Y-%m-%dT%H:%M:%S"), micros)
    }
}

/// The current time in the wire form.
pub fn now_iso() -> String {
    format_iso(Utc::now())
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,6}][Z|±HH[:]MM]`. A date without a zone is taken as UTC.
pub fn parse_iso(s: &str) -> Result<DateTime<Utc>> {
    parse_inner(s).ok_or_else(|| WireError::InvalidDate(s.to_owned()))
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn expect(s: &[u8], at: usize, c: u8) -> Option<()> {
    (s.get(at) == Some(&c)).then_some(())
}

fn parse_inner(text: &str) -> Option<DateTime<Utc>> {
    let s = text.as_bytes();
    let year = digits(s, 0, 4)?;
    expect(s, 4, b'-')?;
    let month = digits(s, 5, 2)?;
    expect(s, 7, b'-')?;
    let day = digits(s, 8, 2)?;
    expect(s, 10, b'T')?;
    let hour = digits(s, 11, 2)?;
    expect(s, 13, b':')?;
    let minute = digits(s, 14, 2)?;
    expect(s, 16, b':')?;
    let second = digits(s, 17, 2)?;
    let mut at = 19;
    let mut micros = 0u32;
    if s.get(at) == Some(&b'.') {
        let start = at + 1;
        let n = s[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=6).contains(&n) {
            return None;
        }
        micros = digits(s, start, n)? * 10u32.pow(6 - n as u32);
        at = start + n;
    }
    let offset_secs: i32 = match s.get(at) {
        None => 0,
        Some(b'Z') if at + 1 == s.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let hh = digits(s, at + 1, 2)?;
            let mut mm_at = at + 3;
            if s.get(mm_at) == Some(&b':') {
                mm_at += 1;
            }
            let mm = digits(s, mm_at, 2)?;
            if mm_at + 2 != s.len() {
                return None;
            }
            let secs = (hh * 3600 + mm * 60) as i32;
            if sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        Some(_) => return None,
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
    let offset = FixedOffset::east_opt(offset_secs)?;
    let local = offset
        .from_local_datetime(&NaiveDateTime::new(date, time))
        .single()?;
    Some(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python_isoformat() {
        let t = parse_iso("2026-11-23T06:55:03.183325Z").unwrap();
        assert_eq!(format_iso(t), "2026-11-23T06:55:03.183325Z");
        let t = parse_iso("2026-11-23T06:55:03Z").unwrap();
        assert_eq!(format_iso(t), "2026-11-23T06:55:03Z");
        let t = parse_iso("2026-11-23T06:55:03.5Z").unwrap();
        assert_eq!(format_iso(t), "2026-11-23T06:55:03.500000Z");
    }

    #[test]
    fn accepts_offsets_and_naive_dates() {
        let a = parse_iso("2026-11-23T08:55:03+02:00").unwrap();
        let b = parse_iso("2026-11-23T06:55:03").unwrap();
        let c = parse_iso("2026-11-23T04:55:03-0200").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn refuses_what_python_refuses() {
        for bad in [
            "2026-11-23T06:55:03.123456789Z",
            "2026-11-23 06:55:03Z",
            "2026-13-23T06:55:03Z",
            "2026-11-23T06:55:03.Z",
            "2026-11-23T06:55:03Zjunk",
            "",
            "2026-11-23T06:55:03+2:00",
        ] {
            assert!(parse_iso(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn now_has_at_most_six_fraction_digits() {
        let now = now_iso();
        assert!(parse_iso(&now).is_ok(), "{now}");
    }
}
