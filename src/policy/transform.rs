//! The value transforms a policy names: `date:week`, `date:month`,
//! `date:year`, `age:<width>`, `postcode:<keep>`, `email`, `redact` and
//! `tokenize`.
//!
//! | transform | input | output |
//! |---|---|---|
//! | `date:week` | a date or timestamp ([`super::date`]) | ISO week `YYYY-Www` of its UTC date |
//! | `date:month` | same | `YYYY-MM` |
//! | `date:year` | same | `YYYY` |
//! | `age:<w>` | an age in whole years (0–150) | band `30-39` for `w` = 10, top-coded at the largest multiple of `w` up to 90 (`90+`) |
//! | `postcode:<n>` | a postcode | its first `n` characters ([`crate::token::mask::truncate_postcode`]) |
//! | `email` | an e-mail address | `J***@***.org` ([`crate::token::mask::mask_email`]) |
//! | `redact` | anything | `[redacted]` |
//! | `tokenize` | an ID | its versioned token under the tokenizer's active key |
//!
//! A value a transform cannot read (a date that is not a date) is an error
//! naming the field, never the value; callers suppress such fields.

use std::fmt;

use crate::error::{Error, Result};
use crate::policy::date::CivilDate;
use crate::token::mask::{MAX_AGE, age_band, mask_email, truncate_postcode};
use crate::token::tokenizer::Tokenizer;

/// The age bands' top code: ages at or above the largest multiple of the
/// width not above this are shown as `<top>+`.
pub const AGE_TOP: u32 = 90;

/// How finely a date is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DateLevel {
    /// ISO 8601 week `YYYY-Www`.
    Week,
    /// `YYYY-MM`.
    Month,
    /// `YYYY`.
    Year,
}

/// One value transform (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    /// A date coarsened to a week, month or year.
    Date(DateLevel),
    /// An age in bands of this width (≥ 1, ≤ [`AGE_TOP`]).
    AgeBand(u32),
    /// A postcode truncated to this many characters (≥ 1).
    Postcode(usize),
    /// An e-mail address partially redacted.
    Email,
    /// The fixed text `[redacted]`.
    Redact,
    /// The versioned token under the tokenizer's active key.
    Tokenize,
}

impl Transform {
    /// Parses `date:month`, `age:10`, `postcode:3`, `email`, `redact`,
    /// `tokenize`.
    ///
    /// # Errors
    ///
    /// A message saying what is accepted.
    pub fn parse(text: &str) -> std::result::Result<Transform, String> {
        let (name, arg) = match text.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (text, None),
        };
        let number = |a: Option<&str>, what: &str| -> std::result::Result<u32, String> {
            a.and_then(|a| a.parse::<u32>().ok())
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("{name}: needs a {what} of at least 1, as in {name}:3"))
        };
        match (name, arg) {
            ("date", Some("week")) => Ok(Transform::Date(DateLevel::Week)),
            ("date", Some("month")) => Ok(Transform::Date(DateLevel::Month)),
            ("date", Some("year")) => Ok(Transform::Date(DateLevel::Year)),
            ("age", a) => {
                let w = number(a, "band width")?;
                if w > AGE_TOP {
                    return Err(format!("age: band width must be at most {AGE_TOP}"));
                }
                Ok(Transform::AgeBand(w))
            }
            ("postcode", a) => Ok(Transform::Postcode(number(a, "length")? as usize)),
            ("email", None) => Ok(Transform::Email),
            ("redact", None) => Ok(Transform::Redact),
            ("tokenize", None) => Ok(Transform::Tokenize),
            _ => Err(format!(
                "unknown transform {text:?}: expected date:week, date:month, date:year, age:<width>, postcode:<length>, email, redact or tokenize"
            )),
        }
    }

    /// Applies the transform to `value` of field `field`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `field` (never the value) when the
    /// value cannot be read; [`Error::Key`] for `tokenize` without a tokenizer.
    pub fn apply(self, field: &str, value: &str, tokenizer: Option<&Tokenizer>) -> Result<String> {
        let bad = |what: &str| {
            Error::invalid(
                "record",
                format!("field {:?} {what}", crate::policy::shown_name(field)),
            )
        };
        match self {
            Transform::Date(level) => {
                let d = CivilDate::parse(value).map_err(|e| bad(&e.to_string()))?;
                Ok(match level {
                    DateLevel::Week => {
                        let (y, w) = d.iso_week();
                        format!("{y:04}-W{w:02}")
                    }
                    DateLevel::Month => format!("{:04}-{:02}", d.year(), d.month()),
                    DateLevel::Year => format!("{:04}", d.year()),
                })
            }
            Transform::AgeBand(width) => {
                let age: u32 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&a| a <= MAX_AGE)
                    .ok_or_else(|| bad("is not an age in whole years from 0 to 150"))?;
                let top = (AGE_TOP / width).max(1) * width;
                age_band(age, width, top).map_err(|_| bad("cannot be banded"))
            }
            Transform::Postcode(keep) => truncate_postcode(value, keep)
                .map_err(|_| bad("is not a postcode longer than the kept length")),
            Transform::Email => {
                mask_email(value, false).map_err(|_| bad("is not an e-mail address"))
            }
            Transform::Redact => Ok("[redacted]".to_owned()),
            Transform::Tokenize => {
                let t = tokenizer.ok_or_else(|| {
                    Error::Key(format!(
                        "field {:?} is to be tokenized but no tokenizer was given",
                        crate::policy::shown_name(field)
                    ))
                })?;
                t.tokenize_versioned(value)
                    .map_err(|_| bad("is empty and has no token"))
            }
        }
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transform::Date(DateLevel::Week) => f.write_str("date:week"),
            Transform::Date(DateLevel::Month) => f.write_str("date:month"),
            Transform::Date(DateLevel::Year) => f.write_str("date:year"),
            Transform::AgeBand(w) => write!(f, "age:{w}"),
            Transform::Postcode(n) => write!(f, "postcode:{n}"),
            Transform::Email => f.write_str("email"),
            Transform::Redact => f.write_str("redact"),
            Transform::Tokenize => f.write_str("tokenize"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_parse_print_and_apply() {
        for text in [
            "date:week",
            "date:month",
            "date:year",
            "age:10",
            "postcode:3",
            "email",
            "redact",
            "tokenize",
        ] {
            assert_eq!(Transform::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "date",
            "date:day",
            "age",
            "age:0",
            "age:91",
            "postcode:x",
            "email:1",
            "hash",
        ] {
            assert!(Transform::parse(bad).is_err(), "{bad}");
        }
        let t = |s: &str, v: &str| Transform::parse(s).unwrap().apply("f", v, None);
        assert_eq!(t("date:week", "2027-01-01").unwrap(), "2026-W53");
        assert_eq!(
            t("date:month", "2025-03-01T01:00:00+02:00").unwrap(),
            "2025-02"
        );
        assert_eq!(t("date:year", "2024-02-29").unwrap(), "2024");
        assert_eq!(t("age:10", "37").unwrap(), "30-39");
        assert_eq!(t("age:20", "95").unwrap(), "80+");
        assert_eq!(t("postcode:3", "SW1A 1AA").unwrap(), "SW1");
        assert_eq!(t("email", "jane.doe@example.org").unwrap(), "j***@***.org");
        let e = t("date:year", "secret-value").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert_eq!(t("tokenize", "x").unwrap_err().status(), crate::Status::Key);
    }
}
