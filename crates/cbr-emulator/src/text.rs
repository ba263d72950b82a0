//! Cheap text helpers for building and indexing large datasets: UUIDs and service-style
//! timestamps written and read without going through a general-purpose formatter.

use cbr_model::Timestamp;
use chrono::{DateTime, Utc};
use rand::Rng;

/// Microseconds in one second.
pub(crate) const MICROS_PER_SEC: i64 = 1_000_000;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A random version-4 UUID in its lower-case 8-4-4-4-12 form.
pub(crate) fn uuid_v4<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut bits: u128 = rng.r#gen();
    // Version nibble (bits 76..80) = 4, variant bits (62..64) = 0b10.
    bits = (bits & !(0xF_u128 << 76)) | (0x4_u128 << 76);
    bits = (bits & !(0x3_u128 << 62)) | (0x2_u128 << 62);
    let mut out = String::with_capacity(36);
    for index in 0..32 {
        if matches!(index, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let nibble = (bits >> (124 - 4 * index)) & 0xF;
        out.push(char::from(HEX[nibble as usize]));
    }
    out
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// A proleptic Gregorian date to days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn push_digits(out: &mut String, value: u64, width: usize) {
    let mut buffer = [b'0'; 20];
    let mut rest = value;
    for slot in buffer[..width].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    for &b in &buffer[..width] {
        out.push(char::from(b));
    }
}

/// The service's list-response spelling of an instant (`2020-08-18T06:00:45.375070`), the same
/// text [`Timestamp::from_utc`] writes, but without a general formatter (it is called millions
/// of times when a large dataset is generated).
pub(crate) fn timestamp_from_micros(micros: i64) -> Timestamp {
    let seconds = micros.div_euclid(MICROS_PER_SEC);
    let fraction = micros.rem_euclid(MICROS_PER_SEC);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        // Outside the four-digit range: let chrono decide how to spell it.
        return match DateTime::<Utc>::from_timestamp_micros(micros) {
            Some(time) => Timestamp::from_utc(time),
            None => Timestamp::from_raw(micros.to_string()),
        };
    }
    let mut out = String::with_capacity(26);
    push_digits(&mut out, year as u64, 4);
    out.push('-');
    push_digits(&mut out, u64::from(month), 2);
    out.push('-');
    push_digits(&mut out, u64::from(day), 2);
    out.push('T');
    push_digits(&mut out, (of_day / 3600) as u64, 2);
    out.push(':');
    push_digits(&mut out, (of_day / 60 % 60) as u64, 2);
    out.push(':');
    push_digits(&mut out, (of_day % 60) as u64, 2);
    out.push('.');
    push_digits(&mut out, fraction as u64, 6);
    Timestamp::from_raw(out)
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes
        .iter()
        .try_fold(0_u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

/// The instant of a timestamp in microseconds since the epoch: a fast path for the exact
/// `YYYY-MM-DDTHH:MM:SS.ffffff` spelling, [`Timestamp::to_utc`] for every other one.
pub(crate) fn timestamp_micros(timestamp: &Timestamp) -> Option<i64> {
    fast_micros(timestamp.raw().as_bytes())
        .or_else(|| timestamp.to_utc().map(|time| time.timestamp_micros()))
}

fn fast_micros(b: &[u8]) -> Option<i64> {
    if b.len() != 26
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let micro = digits(&b[20..26])?;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(seconds * MICROS_PER_SEC + i64::from(micro))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn uuids_are_lower_case_version_4() {
        // given: a seeded rng
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1000 {
            // done: a UUID is drawn
            let id = uuid_v4(&mut rng);
            // must hold: 8-4-4-4-12 lower-case hex, version 4, RFC 4122 variant
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(id.bytes().all(|b| b == b'-' || HEX.contains(&b)), "{id}");
            assert!(groups[2].starts_with('4'), "{id}");
            assert!(groups[3].starts_with(['8', '9', 'a', 'b']), "{id}");
        }
    }

    /// Instants from about 61 000 BC to 128 000 AD, in microseconds.
    const RANGE: std::ops::Range<i64> = -2_000_000_000_000_000..4_000_000_000_000_000;

    proptest! {
        #[test]
        fn fast_timestamps_match_the_model(micros in RANGE) {
            // given: an instant
            let time = DateTime::<Utc>::from_timestamp_micros(micros);
            prop_assume!(time.is_some());
            let time = time.unwrap_or_default();
            // done: it is written by the fast path and by the model
            let fast = timestamp_from_micros(micros);
            // must hold: same text, and it reads back to the same instant
            let model = Timestamp::from_utc(time);
            prop_assert_eq!(fast.raw(), model.raw());
            prop_assert_eq!(timestamp_micros(&fast), Some(micros));
            prop_assert_eq!(fast_micros(fast.raw().as_bytes()), Some(micros));
        }
    }

    #[test]
    fn other_spellings_fall_back_to_the_model() {
        // given: spellings outside the fast path
        let cases =
            ["2020-08-18T06:00:45Z", "2020-08-18T06:00:45.375+00:00", "2020-02-30T00:00:00.000000"];
        // done / must hold: the fast path declines, the model decides
        for raw in cases {
            let ts = Timestamp::from_raw(raw);
            assert_eq!(timestamp_micros(&ts), ts.to_utc().map(|t| t.timestamp_micros()), "{raw}");
        }
        assert_eq!(timestamp_micros(&Timestamp::from_raw("soon")), None);
    }
}
