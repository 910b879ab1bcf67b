//! The masking helpers' text inputs: e-mail addresses, dates, postcodes,
//! addresses, ages and ID normalisation, with the properties each output must
//! have.

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::Status;
use ilsprivacy::token::mask::{
    Date, DateGranularity, MAX_AGE, age_band, canonical_address, coarsen_date, mask_email,
    truncate_postcode,
};
use ilsprivacy::token::normalize::Normalization;

#[derive(Arbitrary, Debug)]
struct Input {
    email: String,
    keep_domain: bool,
    date: String,
    other_date: String,
    postcode: String,
    keep: u8,
    address: String,
    age: u32,
    width: u8,
    top: u8,
    id: String,
    normalization: u8,
}

fn refused(e: &ilsprivacy::Error, value: &str) {
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    super::support::assert_no_leak("mask error", e.to_string().as_bytes(), &[value.as_bytes()]);
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    email(&input.email, input.keep_domain);
    date(&input.date, &input.other_date);
    postcode(&input.postcode, usize::from(input.keep % 12));
    address(&input.address);
    age(
        input.age % (MAX_AGE + 20),
        u32::from(input.width),
        u32::from(input.top),
    );
    let norm = Normalization::from_bits(u32::from(input.normalization % 8)).expect("known bits");
    let once = norm.apply(&input.id);
    assert_eq!(norm.apply(&once), once, "normalisation is not idempotent");
}

fn email(text: &str, keep_domain: bool) {
    match mask_email(text, keep_domain) {
        Ok(masked) => {
            let (local, domain) = masked.rsplit_once('@').expect("an '@'");
            let original_local = text.trim().rsplit_once('@').expect("an '@'").0;
            let expected_local = match original_local.chars().next() {
                Some(first) if original_local.chars().count() >= 4 => format!("{first}***"),
                _ => "***".to_owned(),
            };
            assert_eq!(
                local, expected_local,
                "the local part is not redacted as documented"
            );
            assert!(!domain.is_empty());
            assert_eq!(
                mask_email(&masked, keep_domain).expect("a masked address is an address"),
                masked,
                "masking is not idempotent"
            );
        }
        Err(e) => refused(&e, text),
    }
}

fn date(text: &str, other: &str) {
    match Date::parse(text) {
        Ok(d) => {
            let day = coarsen_date(text, DateGranularity::Day).expect("parsed");
            assert_eq!(day.len(), 10);
            assert_eq!(Date::parse(&day).expect("a day parses"), d);
            let month = coarsen_date(text, DateGranularity::Month).expect("parsed");
            assert!(day.starts_with(&month));
            let week = coarsen_date(text, DateGranularity::IsoWeek).expect("parsed");
            let (year, number) = d.iso_week();
            assert!((1..=53).contains(&number), "ISO week {number}");
            assert_eq!(week, format!("{year:04}-W{number:02}"));
            if let Ok(o) = Date::parse(other) {
                match d.years_until(o) {
                    Ok(years) => assert!(o >= d && years <= 9999),
                    Err(e) => {
                        assert!(o < d);
                        refused(&e, other);
                    }
                }
            }
        }
        Err(e) => {
            refused(&e, text);
            for g in [
                DateGranularity::Day,
                DateGranularity::IsoWeek,
                DateGranularity::Month,
            ] {
                assert!(coarsen_date(text, g).is_err());
            }
        }
    }
}

fn postcode(text: &str, keep: usize) {
    match truncate_postcode(text, keep) {
        Ok(short) => {
            assert_eq!(short.len(), keep);
            assert!(
                short
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            );
        }
        Err(e) => refused(&e, text),
    }
}

fn address(text: &str) {
    let canonical = canonical_address(text);
    assert_eq!(
        canonical_address(&canonical),
        canonical,
        "the canonical address is not a fixed point"
    );
    assert!(!canonical.starts_with(' ') && !canonical.ends_with(' '));
    assert!(!canonical.contains("  "));
}

fn age(age: u32, width: u32, top: u32) {
    match age_band(age, width, top) {
        Ok(band) => {
            if age >= top {
                assert_eq!(band, format!("{top}+"));
            } else if let Some((lo, hi)) = band.split_once('-') {
                let (lo, hi): (u32, u32) = (lo.parse().expect("lo"), hi.parse().expect("hi"));
                assert!(lo <= age && age <= hi && hi - lo + 1 == width);
            } else {
                assert_eq!(band, age.to_string());
                assert_eq!(width, 1);
            }
        }
        Err(e) => {
            assert_eq!(e.status(), Status::InvalidArgument);
            assert!(
                width == 0
                    || top == 0
                    || !top.is_multiple_of(width)
                    || top > MAX_AGE
                    || age > MAX_AGE
            );
        }
    }
}
