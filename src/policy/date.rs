//! Civil dates in UTC for retention windows: parsing, calendar arithmetic
//! and coarsening.
//!
//! # Time zones
//!
//! Every date the policy engines compare is a **civil date in UTC**
//! (proleptic Gregorian, years 1 to 9999). A value is read as:
//!
//! - `YYYY-MM-DD`: that civil date, taken as a UTC date;
//! - `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or an offset `±HH:MM`
//!   (RFC 3339; a space may stand for `T`): the instant converted to UTC and
//!   its UTC date taken, so `2025-03-01T01:30:00+02:00` is `2025-02-28`;
//! - the same without `Z` or an offset: the time is taken as UTC.
//!
//! A window ends at the start of a UTC day: a record whose anchor date plus
//! the window is `D` expires **on** `D` (an evaluation with reference date
//! `D - 1` keeps it, one with `D` applies the action).
//!
//! Adding months or years clamps to the last day of the month: 2024-02-29
//! plus one year is 2025-02-28, 2024-01-31 plus one month is 2024-02-29.

use std::fmt;

/// A civil date in UTC (proleptic Gregorian, years 1 to 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u32,
    day: u32,
}

/// Why a text is not a date (never quoting it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not `YYYY-MM-DD` with an optional RFC 3339 time and offset.
    Shape,
    /// A month, day, hour, minute, second or offset out of range.
    Range,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateError::Shape => {
                "is not a date YYYY-MM-DD or an RFC 3339 timestamp YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)"
            }
            DateError::Range => "is not a calendar date or valid time",
        })
    }
}

/// Is `year` a leap year in the Gregorian calendar?
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
}

impl CivilDate {
    /// The date `year-month-day`, if it exists (years 1 to 9999).
    pub fn new(year: i32, month: u32, day: u32) -> Option<CivilDate> {
        ((1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(CivilDate { year, month, day })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u32 {
        self.day
    }

    /// Parses a date or timestamp as the module documentation says and
    /// returns its UTC civil date.
    ///
    /// # Errors
    ///
    /// [`DateError`] saying what is wrong; the text is never quoted.
    pub fn parse(text: &str) -> Result<CivilDate, DateError> {
        let b = text.trim().as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError::Shape);
        }
        let (y, m, d) = (
            digits(&b[0..4]).ok_or(DateError::Shape)?,
            digits(&b[5..7]).ok_or(DateError::Shape)?,
            digits(&b[8..10]).ok_or(DateError::Shape)?,
        );
        let date = CivilDate::new(y as i32, m, d).ok_or(DateError::Range)?;
        if b.len() == 10 {
            return Ok(date);
        }
        if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
            return Err(DateError::Shape);
        }
        let offset_minutes = parse_time_and_offset(&b[11..])?;
        // The instant is local time = UTC + offset; its UTC date moves back
        // a day when the local time is earlier than the offset, forward when
        // later than midnight minus a negative offset.
        let (hour, minute, offset) = offset_minutes;
        let local = i64::from(hour) * 60 + i64::from(minute);
        let utc = local - offset;
        let shift = utc.div_euclid(24 * 60);
        date.add_days(shift).ok_or(DateError::Range)
    }

    /// Days since 1970-01-01 (Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days since 1970-01-01 (Hinnant's `civil_from_days`),
    /// if it is within years 1 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Option<CivilDate> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        CivilDate::new(i32::try_from(year).ok()?, month, day)
    }

    /// This date plus `days` (negative: minus), if within years 1 to 9999.
    pub fn add_days(self, days: i64) -> Option<CivilDate> {
        CivilDate::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// This date plus `months` calendar months, the day clamped to the last
    /// day of the resulting month; `None` past year 9999.
    pub fn add_months(self, months: u32) -> Option<CivilDate> {
        let index = i64::from(self.year) * 12 + i64::from(self.month - 1) + i64::from(months);
        let year = i32::try_from(index / 12).ok()?;
        let month = (index % 12) as u32 + 1;
        if year > 9999 {
            return None;
        }
        let day = self.day.min(days_in_month(year, month));
        CivilDate::new(year, month, day)
    }

    /// The ISO 8601 week-numbering year and week (1–53).
    pub fn iso_week(self) -> (i32, u32) {
        // ISO weekday, Monday = 1 … Sunday = 7; 1970-01-01 was a Thursday.
        let weekday = |d: CivilDate| (d.days_since_epoch() + 3).rem_euclid(7) as u32 + 1;
        let weeks_in = |year: i32| {
            let jan1 = weekday(CivilDate {
                year,
                month: 1,
                day: 1,
            });
            if jan1 == 4 || (jan1 == 3 && is_leap(year)) {
                53
            } else {
                52
            }
        };
        let ordinal = (1..self.month)
            .map(|m| days_in_month(self.year, m))
            .sum::<u32>()
            + self.day;
        let week = (ordinal + 10 - weekday(self)) / 7;
        if week < 1 {
            (self.year - 1, weeks_in(self.year - 1))
        } else if week > weeks_in(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week)
        }
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `HH:MM[:SS[.frac]][Z|±HH:MM]` → (hour, minute, offset in minutes east of UTC).
fn parse_time_and_offset(b: &[u8]) -> Result<(u32, u32, i64), DateError> {
    if b.len() < 5 || b[2] != b':' {
        return Err(DateError::Shape);
    }
    let hour = digits(&b[0..2]).ok_or(DateError::Shape)?;
    let minute = digits(&b[3..5]).ok_or(DateError::Shape)?;
    let mut rest = &b[5..];
    if rest.first() == Some(&b':') {
        if rest.len() < 3 {
            return Err(DateError::Shape);
        }
        let second = digits(&rest[1..3]).ok_or(DateError::Shape)?;
        if second > 60 {
            return Err(DateError::Range);
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err(DateError::Shape);
            }
            rest = &rest[1 + n..];
        }
    }
    if hour > 23 || minute > 59 {
        return Err(DateError::Range);
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2]).ok_or(DateError::Shape)?;
            let om = digits(&[*m1, *m2]).ok_or(DateError::Shape)?;
            if oh > 23 || om > 59 {
                return Err(DateError::Range);
            }
            let minutes = i64::from(oh * 60 + om);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return Err(DateError::Shape),
    };
    Ok((hour, minute, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn epoch_days_round_trip_over_the_whole_range() {
        let first = CivilDate::new(1, 1, 1).unwrap().days_since_epoch();
        let last = CivilDate::new(9999, 12, 31).unwrap().days_since_epoch();
        let mut prev: Option<CivilDate> = None;
        for days in (first..=last).step_by(7) {
            let date = CivilDate::from_days_since_epoch(days).unwrap();
            assert_eq!(date.days_since_epoch(), days);
            if let Some(p) = prev {
                assert!(p < date);
            }
            prev = Some(date);
        }
        assert_eq!(CivilDate::from_days_since_epoch(first - 1), None);
        assert_eq!(CivilDate::from_days_since_epoch(last + 1), None);
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
    }

    #[test]
    fn months_clamp_to_the_end_of_the_month() {
        assert_eq!(d("2024-02-29").add_months(12), Some(d("2025-02-28")));
        assert_eq!(d("2024-02-29").add_months(48), Some(d("2028-02-29")));
        assert_eq!(d("2024-01-31").add_months(1), Some(d("2024-02-29")));
        assert_eq!(d("2023-01-31").add_months(1), Some(d("2023-02-28")));
        assert_eq!(d("2025-12-15").add_months(1), Some(d("2026-01-15")));
        assert_eq!(d("9999-12-01").add_months(1), None);
    }

    #[test]
    fn timestamps_are_converted_to_their_utc_date() {
        assert_eq!(d("2025-03-01T01:30:00+02:00"), d("2025-02-28"));
        assert_eq!(d("2024-03-01T01:30:00+02:00"), d("2024-02-29"));
        assert_eq!(d("2025-02-28T23:30:00-05:00"), d("2025-03-01"));
        assert_eq!(d("2025-02-28T23:30:00Z"), d("2025-02-28"));
        assert_eq!(d("2025-02-28 23:30"), d("2025-02-28"));
        assert_eq!(d("2025-02-28T23:30:59.123456Z"), d("2025-02-28"));
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-02-28T24:00:00Z",
            "2025-02-28T10:00:00+24:00",
        ] {
            assert_eq!(CivilDate::parse(bad), Err(DateError::Range), "{bad}");
        }
        for bad in [
            "",
            "2025/02/28",
            "2025-02-28T",
            "2025-02-28T10",
            "20250228",
            "2025-02-28x",
        ] {
            assert_eq!(CivilDate::parse(bad), Err(DateError::Shape), "{bad}");
        }
    }

    #[test]
    fn iso_weeks_around_new_year() {
        assert_eq!(d("2027-01-01").iso_week(), (2026, 53));
        assert_eq!(d("2024-12-30").iso_week(), (2025, 1));
        assert_eq!(d("2026-03-14").iso_week(), (2026, 11));
    }
}
