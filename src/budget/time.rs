//! UTC timestamps of ledger entries: milliseconds since the Unix epoch,
//! written as RFC 3339 (`2026-08-01T12:34:56.789Z`), and the calendar year
//! and month used by period policies. Proleptic Gregorian calendar, no leap
//! seconds (as Unix time).

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// Where a budget reads the time of its entries from: the system clock by
/// default ([`SystemClock`]); tests and simulations inject their own (see
/// `BudgetOptions::clock`). Entry times never decrease whatever the clock
/// says: a clock behind the last entry gives the last entry's time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch (UTC).
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

/// Milliseconds since the Unix epoch now (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC calendar year of a timestamp.
pub(crate) fn year_of(ms: i64) -> i64 {
    civil_from_days(ms.div_euclid(MS_PER_DAY)).0
}

/// A count of UTC calendar months (year × 12 + month − 1) of a timestamp.
pub(crate) fn month_index_of(ms: i64) -> i64 {
    let (y, m, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    y * 12 + i64::from(m) - 1
}

/// RFC 3339 in UTC with milliseconds: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn format_rfc3339(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// Parses exactly the form [`format_rfc3339`] writes (years 0000–9999).
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 24 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if seps.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s, milli) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    let ms = days * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + milli;
    // Rejects impossible dates such as 2026-02-30 by the round trip.
    (format_rfc3339(ms) == text).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T23:59:59.999Z (a leap day).
        let ms = 1_709_251_199_999;
        assert_eq!(format_rfc3339(ms), "2024-02-29T23:59:59.999Z");
        assert_eq!(parse_rfc3339("2024-02-29T23:59:59.999Z"), Some(ms));
        assert_eq!(year_of(ms), 2024);
        assert_eq!(month_index_of(ms), 2024 * 12 + 1);
        assert_eq!(year_of(ms + 1), 2024);
        assert_eq!(month_index_of(ms + 1), 2024 * 12 + 2);
        // 2025-12-31T23:59:59.999Z → 2026-01-01.
        let ny = 1_767_225_599_999;
        assert_eq!(format_rfc3339(ny), "2025-12-31T23:59:59.999Z");
        assert_eq!(year_of(ny), 2025);
        assert_eq!(year_of(ny + 1), 2026);
    }

    #[test]
    fn round_trips_across_many_days() {
        let mut ms = -5 * 365 * MS_PER_DAY;
        while ms < 200 * 365 * MS_PER_DAY {
            let t = format_rfc3339(ms);
            assert_eq!(parse_rfc3339(&t), Some(ms), "{t}");
            ms += 7 * MS_PER_DAY + 3_723_456;
        }
    }

    #[test]
    fn rejects_non_canonical_text() {
        for bad in [
            "",
            "2026-02-30T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-01-01T24:00:00.000Z",
            "2026-01-01T00:00:00.000+00:00",
            "2026-01-01 00:00:00.000Z",
            "2026-01-01T00:00:00Z",
            "+026-01-01T00:00:00.000Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
