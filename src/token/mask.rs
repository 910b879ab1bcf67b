//! Masking helpers for exports: generalise or redact a value instead of
//! tokenizing it.
//!
//! Each helper returns the masked text or an [`Error::InvalidArgument`]
//! naming the field kind (`email`, `date`, `age`, `postcode`, `address`) and
//! what is wrong with it, never the value itself.
//!
//! These helpers lower the precision of quasi-identifiers; they do not make a
//! record anonymous on their own. Combinations of coarse values (postcode
//! district + birth year + branch) can still single a patron out; check the
//! released tables with [`crate::token::suppress`] or add noise with the
//! mechanisms.
//!
//! ```
//! use ilsprivacy::token::mask::{
//!     DateGranularity, age_band, canonical_address, coarsen_date, mask_email, truncate_postcode,
//! };
//!
//! assert_eq!(mask_email("Jane.Doe@Example.org", false)?, "J***@***.org");
//! assert_eq!(coarsen_date("2027-01-01", DateGranularity::IsoWeek)?, "2026-W53");
//! assert_eq!(age_band(37, 10, 90)?, "30-39");
//! assert_eq!(age_band(93, 10, 90)?, "90+");
//! assert_eq!(truncate_postcode("SW1A 1AA", 4)?, "SW1A");
//! assert_eq!(canonical_address("12, Main Street  Apt. 4"), "12 main st apt 4");
//! // Errors name the field kind, never the value.
//! let e = mask_email("jane.doe at example.org", true).unwrap_err();
//! assert!(!e.to_string().contains("jane.doe"));
//! # Ok::<(), ilsprivacy::Error>(())
//! ```

use crate::error::{Error, Result};

/// The longest text the helpers accept (an e-mail address, a postcode, an
/// address), in bytes: checked before anything is allocated for it.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// Fails with [`Error::InvalidArgument`] naming `param` (never the text) if
/// `text` is longer than [`MAX_TEXT_LEN`].
pub(crate) fn check_text_len(param: &'static str, text: &str) -> Result<()> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::invalid(
            param,
            format!("is longer than {MAX_TEXT_LEN} bytes ({} given)", text.len()),
        ));
    }
    Ok(())
}

/// Partially redacts an e-mail address.
///
/// The local part becomes its first character followed by `***` when it has
/// at least four characters, and `***` alone otherwise (so short local parts
/// are not revealed whole); the asterisks never reflect its length. With
/// `keep_domain` the domain is kept (lowercased); without it only its last
/// label is kept (`***.org`). `"Jane.Doe@Example.org"` →
/// `"J***@example.org"` or `"J***@***.org"`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] (`email`) unless the text is `local@domain`
/// with both parts non-empty, no whitespace, and no empty domain label, at
/// most [`MAX_TEXT_LEN`] bytes.
pub fn mask_email(email: &str, keep_domain: bool) -> Result<String> {
    check_text_len("email", email)?;
    let email = email.trim();
    let (local, domain) = email
        .rsplit_once('@')
        .ok_or_else(|| Error::invalid("email", "is not an address: no '@'"))?;
    if local.is_empty() || domain.is_empty() {
        return Err(Error::invalid(
            "email",
            "is not an address: empty local part or domain",
        ));
    }
    if email.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "email",
            "is not an address: contains whitespace",
        ));
    }
    if domain.split('.').any(str::is_empty) {
        return Err(Error::invalid(
            "email",
            "is not an address: empty domain label",
        ));
    }
    let mut out = String::with_capacity(email.len() + 4);
    if local.chars().count() >= 4 {
        out.extend(local.chars().next());
    }
    out.push_str("***@");
    let domain = domain.to_lowercase();
    if keep_domain {
        out.push_str(&domain);
    } else {
        out.push_str("***");
        if let Some((_, tld)) = domain.rsplit_once('.') {
            out.push('.');
            out.push_str(tld);
        }
    }
    Ok(out)
}

/// How far [`coarsen_date`] generalises a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateGranularity {
    /// `YYYY-MM-DD` (drops a time of day).
    Day,
    /// ISO 8601 week `YYYY-Www` (the ISO week-numbering year, which differs
    /// from the calendar year around New Year).
    IsoWeek,
    /// `YYYY-MM`.
    Month,
}

impl DateGranularity {
    /// The granularity for a C constant (`ILSP_DATE_DAY` = 0,
    /// `ILSP_DATE_ISO_WEEK` = 1, `ILSP_DATE_MONTH` = 2).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `granularity` for any other value.
    pub fn from_code(code: u32) -> Result<DateGranularity> {
        match code {
            0 => Ok(DateGranularity::Day),
            1 => Ok(DateGranularity::IsoWeek),
            2 => Ok(DateGranularity::Month),
            _ => Err(Error::invalid(
                "granularity",
                format!(
                    "must be ILSP_DATE_DAY (0), ILSP_DATE_ISO_WEEK (1) or ILSP_DATE_MONTH (2), got {code}"
                ),
            )),
        }
    }
}

/// A calendar date (proleptic Gregorian, years 1 to 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and a time
    /// of day, which is ignored (the date is taken as written, in whatever
    /// time zone the timestamp is in).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`date`) if the text is not such a date or
    /// names a day that does not exist.
    pub fn parse(text: &str) -> Result<Date> {
        let b = text.trim().as_bytes();
        let shape = b.len() >= 10
            && b[4] == b'-'
            && b[7] == b'-'
            && [0, 1, 2, 3, 5, 6, 8, 9]
                .iter()
                .all(|&i| b[i].is_ascii_digit())
            && (b.len() == 10 || b[10] == b'T' || b[10] == b' ');
        if !shape {
            return Err(Error::invalid(
                "date",
                "must be an ISO 8601 date YYYY-MM-DD",
            ));
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let (year, month, day) = (num(0..4) as i32, num(5..7), num(8..10));
        if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(Error::invalid("date", "is not a calendar date"));
        }
        Ok(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Hinnant's `days_from_civil`).
    fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// ISO weekday, Monday = 1 … Sunday = 7.
    fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((self.days_since_epoch() + 3).rem_euclid(7) + 1) as u32
    }

    fn ordinal(self) -> u32 {
        (1..self.month)
            .map(|m| days_in_month(self.year, m))
            .sum::<u32>()
            + self.day
    }

    /// The ISO 8601 week-numbering year and week (1–53).
    pub fn iso_week(self) -> (i32, u32) {
        let week = (self.ordinal() + 10 - self.iso_weekday()) / 7;
        if week < 1 {
            (self.year - 1, iso_weeks_in_year(self.year - 1))
        } else if week > iso_weeks_in_year(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week)
        }
    }

    /// Whole years from `self` (a birth date) to `on`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`birth_date`) if `on` is before `self`.
    pub fn years_until(self, on: Date) -> Result<u32> {
        if on < self {
            return Err(Error::invalid("birth_date", "is after the reference date"));
        }
        let mut years = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            years -= 1;
        }
        Ok(years as u32)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 53 if the year starts on a Thursday, or is a leap year starting on a
/// Wednesday; otherwise 52.
fn iso_weeks_in_year(year: i32) -> u32 {
    let jan1 = Date {
        year,
        month: 1,
        day: 1,
    }
    .iso_weekday();
    if jan1 == 4 || (jan1 == 3 && is_leap(year)) {
        53
    } else {
        52
    }
}

/// Generalises an ISO 8601 date to a day, an ISO week or a month:
/// `"2026-01-01"` → `"2026-01-01"`, `"2026-W01"`, `"2026-01"`;
/// `"2027-01-01"` → ISO week `"2026-W53"`.
///
/// # Errors
///
/// As [`Date::parse`].
pub fn coarsen_date(date: &str, granularity: DateGranularity) -> Result<String> {
    let d = Date::parse(date)?;
    Ok(match granularity {
        DateGranularity::Day => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        DateGranularity::Month => format!("{:04}-{:02}", d.year, d.month),
        DateGranularity::IsoWeek => {
            let (y, w) = d.iso_week();
            format!("{y:04}-W{w:02}")
        }
    })
}

/// The oldest age [`age_band`] accepts.
pub const MAX_AGE: u32 = 150;

/// The band of `age`: `"30-39"` for bands of `width` 10, or `"<top>+"` at
/// and above `top` (top-coding, so the oldest patrons are not singled out).
///
/// # Errors
///
/// [`Error::InvalidArgument`]: `width` must be ≥ 1, `top` a positive multiple
/// of `width` no larger than [`MAX_AGE`], and `age` at most [`MAX_AGE`].
pub fn age_band(age: u32, width: u32, top: u32) -> Result<String> {
    if width == 0 {
        return Err(Error::invalid("width", "must be at least 1, got 0"));
    }
    if top == 0 || !top.is_multiple_of(width) || top > MAX_AGE {
        return Err(Error::invalid(
            "top",
            format!(
                "must be a positive multiple of width ({width}) and at most {MAX_AGE}, got {top}"
            ),
        ));
    }
    if age > MAX_AGE {
        return Err(Error::invalid("age", format!("must be at most {MAX_AGE}")));
    }
    if age >= top {
        return Ok(format!("{top}+"));
    }
    let lo = age / width * width;
    Ok(if width == 1 {
        lo.to_string()
    } else {
        format!("{lo}-{}", lo + width - 1)
    })
}

/// The first `keep` characters of a postcode, after removing spaces and
/// hyphens and upper-casing: `("SW1A 1AA", 4)` → `"SW1A"` (the UK outward
/// code for a four-character district), `("12345-6789", 3)` → `"123"` (the
/// three-digit ZIP prefix; HIPAA's Safe Harbor rule further requires `"000"`
/// for prefixes covering fewer than 20,000 people, which this function
/// cannot know).
///
/// # Errors
///
/// [`Error::InvalidArgument`]: `keep` must be ≥ 1; the postcode must consist
/// of ASCII letters, digits, spaces and hyphens and be longer than `keep`
/// characters (otherwise truncating would not hide anything), and at most
/// [`MAX_TEXT_LEN`] bytes.
pub fn truncate_postcode(postcode: &str, keep: usize) -> Result<String> {
    if keep == 0 {
        return Err(Error::invalid("keep", "must be at least 1, got 0"));
    }
    check_text_len("postcode", postcode)?;
    let mut compact = String::with_capacity(postcode.len());
    for c in postcode.trim().chars() {
        match c {
            ' ' | '-' => {}
            c if c.is_ascii_alphanumeric() => compact.push(c.to_ascii_uppercase()),
            _ => {
                return Err(Error::invalid(
                    "postcode",
                    "must contain only ASCII letters, digits, spaces and hyphens",
                ));
            }
        }
    }
    if compact.len() <= keep {
        return Err(Error::invalid(
            "postcode",
            format!("has at most {keep} characters, so truncating it to {keep} would not mask it"),
        ));
    }
    compact.truncate(keep);
    Ok(compact)
}

/// Canonical form of a postal address, so that spellings of one address get
/// one token ([`crate::token::tokenizer::Tokenizer::tokenize_address`]):
/// Unicode lowercase; every character that is not a letter or digit becomes a
/// space; words are joined by single spaces; common English street-type and
/// direction words are abbreviated (USPS Publication 28 forms: `street` →
/// `st`, `avenue` → `ave`, `north` → `n`, `apartment` → `apt` …).
/// `"12, Main Street  Apt. 4"` and `"12 main st apt 4"` both become
/// `"12 main st apt 4"`.
///
/// The word list is English-only and no Unicode normalisation is applied;
/// addresses in other conventions still canonicalise case, punctuation and
/// spacing.
pub fn canonical_address(address: &str) -> String {
    let spaced: String = address
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced
        .split_whitespace()
        .map(abbreviate)
        .collect::<Vec<_>>()
        .join(" ")
}

fn abbreviate(word: &str) -> &str {
    match word {
        "street" => "st",
        "avenue" => "ave",
        "road" => "rd",
        "drive" => "dr",
        "lane" => "ln",
        "boulevard" => "blvd",
        "court" => "ct",
        "place" => "pl",
        "square" => "sq",
        "terrace" => "ter",
        "highway" => "hwy",
        "parkway" => "pkwy",
        "circle" => "cir",
        "apartment" => "apt",
        "suite" => "ste",
        "building" => "bldg",
        "floor" => "fl",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "northeast" => "ne",
        "northwest" => "nw",
        "southeast" => "se",
        "southwest" => "sw",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn texts_over_the_cap_are_refused_without_echo() {
        let long = format!("{}@example.org", "j".repeat(MAX_TEXT_LEN));
        let e = mask_email(&long, true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("email is longer than 65536 bytes"),
            "{e}"
        );
        assert!(!e.to_string().contains("jjj"), "{e}");
        let e = truncate_postcode(&"A".repeat(MAX_TEXT_LEN + 1), 3).unwrap_err();
        assert!(e.to_string().starts_with("postcode is longer than"), "{e}");
        assert!(truncate_postcode(&"A".repeat(MAX_TEXT_LEN), 3).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(
            mask_email("Jane.Doe@Example.org", true).unwrap(),
            "J***@example.org"
        );
        assert_eq!(
            mask_email("Jane.Doe@Example.org", false).unwrap(),
            "J***@***.org"
        );
        assert_eq!(mask_email("jo@x.org", true).unwrap(), "***@x.org");
        assert_eq!(
            mask_email("josé@bib.example", true).unwrap(),
            "j***@bib.example"
        );
        assert_eq!(mask_email("a\"b@c\"@localhost", false).unwrap(), "a***@***");
        for bad in ["jane", "@x.org", "jane@", "ja ne@x.org", "jane@x..org"] {
            let e = mask_email(bad, true).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
            assert!(e.to_string().starts_with("email is not an address"), "{e}");
            assert!(!e.to_string().contains("jane"), "{e}");
        }
    }

    #[test]
    fn dates() {
        use DateGranularity::*;
        assert_eq!(coarsen_date("2026-03-14", Day).unwrap(), "2026-03-14");
        assert_eq!(
            coarsen_date("2026-03-14T18:22:05Z", Month).unwrap(),
            "2026-03"
        );
        assert_eq!(
            coarsen_date("2026-03-14 08:00", IsoWeek).unwrap(),
            "2026-W11"
        );
        // Week-year boundaries (ISO 8601 examples and known calendars).
        let weeks = [
            ("2005-01-01", "2004-W53"),
            ("2005-01-02", "2004-W53"),
            ("2005-01-03", "2005-W01"),
            ("2007-12-31", "2008-W01"),
            ("2008-12-29", "2009-W01"),
            ("2009-12-31", "2009-W53"),
            ("2010-01-03", "2009-W53"),
            ("2010-01-04", "2010-W01"),
            ("2020-12-31", "2020-W53"),
            ("2021-01-01", "2020-W53"),
            ("2026-01-01", "2026-W01"),
            ("2026-12-31", "2026-W53"),
            ("2027-01-01", "2026-W53"),
            ("2000-02-29", "2000-W09"),
        ];
        for (d, w) in weeks {
            assert_eq!(coarsen_date(d, IsoWeek).unwrap(), w, "{d}");
        }
        for bad in [
            "2026-3-14",
            "14/03/2026",
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "0000-01-01",
            "2026-01-01x",
        ] {
            let e = coarsen_date(bad, Day).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad}");
            assert!(e.to_string().starts_with("date "), "{e}");
        }
        assert!(coarsen_date("2024-02-29", Day).is_ok());
        assert!(DateGranularity::from_code(3).is_err());
    }

    #[test]
    fn iso_weeks_agree_with_a_day_by_day_count() {
        // Walk 1999-12-27 (a Monday, ISO 1999-W52) forward day by day for 30
        // years, counting weeks independently of the closed-form rule.
        let mut d = Date {
            year: 1999,
            month: 12,
            day: 27,
        };
        let (mut year, mut week, mut weekday) = (1999, 52u32, 1u32);
        for _ in 0..(30 * 366) {
            assert_eq!(d.iso_week(), (year, week), "{d:?}");
            assert_eq!(d.iso_weekday(), weekday);
            // Next day.
            d.day += 1;
            if d.day > days_in_month(d.year, d.month) {
                d.day = 1;
                d.month += 1;
                if d.month > 12 {
                    d.month = 1;
                    d.year += 1;
                }
            }
            weekday = weekday % 7 + 1;
            if weekday == 1 {
                // A new ISO week starts on Monday; its year is the year of its Thursday.
                let thursday_year = {
                    let mut t = d;
                    for _ in 0..3 {
                        t.day += 1;
                        if t.day > days_in_month(t.year, t.month) {
                            t.day = 1;
                            t.month += 1;
                            if t.month > 12 {
                                t.month = 1;
                                t.year += 1;
                            }
                        }
                    }
                    t.year
                };
                if thursday_year != year {
                    year = thursday_year;
                    week = 1;
                } else {
                    week += 1;
                }
            }
        }
    }

    #[test]
    fn ages() {
        assert_eq!(age_band(34, 10, 90).unwrap(), "30-39");
        assert_eq!(age_band(0, 5, 85).unwrap(), "0-4");
        assert_eq!(age_band(89, 10, 90).unwrap(), "80-89");
        assert_eq!(age_band(90, 10, 90).unwrap(), "90+");
        assert_eq!(age_band(101, 10, 90).unwrap(), "90+");
        assert_eq!(age_band(17, 1, 18).unwrap(), "17");
        assert_eq!(age_band(40, 10, 10).unwrap(), "10+");
        assert!(age_band(30, 0, 90).is_err());
        assert!(age_band(30, 10, 85).is_err());
        assert!(age_band(30, 10, 0).is_err());
        let e = age_band(151, 10, 90).unwrap_err();
        assert_eq!(e.to_string(), "age must be at most 150");
        let b = Date::parse("1990-06-15").unwrap();
        assert_eq!(
            b.years_until(Date::parse("2026-06-14").unwrap()).unwrap(),
            35
        );
        assert_eq!(
            b.years_until(Date::parse("2026-06-15").unwrap()).unwrap(),
            36
        );
        assert!(b.years_until(Date::parse("1980-01-01").unwrap()).is_err());
    }

    #[test]
    fn postcodes() {
        assert_eq!(truncate_postcode("SW1A 1AA", 4).unwrap(), "SW1A");
        assert_eq!(truncate_postcode("sw1a 1aa", 3).unwrap(), "SW1");
        assert_eq!(truncate_postcode("12345-6789", 3).unwrap(), "123");
        assert_eq!(truncate_postcode(" 12345 ", 3).unwrap(), "123");
        let e = truncate_postcode("123", 3).unwrap_err();
        assert!(e.to_string().starts_with("postcode has at most 3"), "{e}");
        assert!(truncate_postcode("12#45", 3).is_err());
        assert!(truncate_postcode("12345", 0).is_err());
    }

    #[test]
    fn addresses() {
        let a = canonical_address("12, Main Street  Apt. 4");
        assert_eq!(a, "12 main st apt 4");
        assert_eq!(canonical_address("12 MAIN ST APT 4"), a);
        assert_eq!(
            canonical_address("  1600 Pennsylvania Avenue North-West "),
            "1600 pennsylvania ave n w"
        );
        assert_eq!(canonical_address("Øster Allé 3"), "øster allé 3");
        assert_eq!(canonical_address(" -- "), "");
    }
}
