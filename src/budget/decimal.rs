//! Exact decimal amounts of privacy budget.
//!
//! A [`Decimal`] is a non-negative fixed-point number with 30 digits after
//! the decimal point, stored as a `u128` count of 10⁻³⁰ units. Budget limits
//! and spends are added and compared in this type, never in floating point,
//! so a limit of 0.3 admits 0.1 then 0.2 and refuses the next 1e-12.
//!
//! ```
//! use ilsprivacy::budget::{Decimal, Rounding};
//!
//! let a = Decimal::from_printed(0.1, Rounding::Up).unwrap();
//! let b = Decimal::from_printed(0.2, Rounding::Up).unwrap();
//! let limit: Decimal = "0.3".parse().unwrap();
//! assert_eq!(a.checked_add(b), Some(limit)); // 0.1 + 0.2 is 0.3 here (not in f64)
//! assert_eq!(limit.to_string(), "0.3");
//! ```
//!
//! # Reading caller values
//!
//! ε, δ and ρ given by callers as `f64` are read as the decimal they print as
//! (Rust's shortest round-trip form, the `{}`/`{:e}` output): `0.1_f64` is
//! read as exactly 0.1, not as 0.1000000000000000055511151231257827….
//! Every such decimal with at most 30 digits after the point is represented
//! exactly; one with more digits (below 10⁻¹³ with 17 significant digits, or
//! below 10⁻³⁰) is rounded **outward**: up when it is a spend, down when it is
//! a limit ([`Rounding`]). Values above [`Decimal::MAX_INPUT`] are refused.
//!
//! # Computed values
//!
//! Costs computed in floating point (for example ρ = Δ²/(2σ²) of a Gaussian
//! with a computed σ) go through [`Decimal::from_computed_up`], which moves
//! the float up by two units in the last place before rounding the decimal
//! up, so the result is never below the float's exact binary value.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::exact::{Dyadic, TEN_POW_30, mul_wide};

/// Digits after the decimal point.
pub const SCALE: u32 = 30;
const ONE: u128 = TEN_POW_30;

/// How a value that is not representable exactly is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward +∞: for costs (spends), so a charge is never under-counted.
    Up,
    /// Toward 0: for limits, so a limit never grows.
    Down,
}

/// A non-negative decimal with 30 digits after the point (see the module docs).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(u128);

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal(0);
    /// The smallest positive amount, 10⁻³⁰.
    pub const UNIT: Decimal = Decimal(1);
    /// One.
    pub const ONE: Decimal = Decimal(ONE);
    /// The largest value accepted from callers (10⁶): larger ε or ρ have no
    /// privacy meaning, and the bound leaves room for exact sums.
    pub const MAX_INPUT: Decimal = Decimal(1_000_000 * ONE);

    /// The number of 10⁻³⁰ units.
    pub const fn units(self) -> u128 {
        self.0
    }

    /// The decimal of `units` × 10⁻³⁰.
    pub const fn from_units(units: u128) -> Decimal {
        Decimal(units)
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The decimal `x` prints as (shortest round-trip form), rounded as asked
    /// when it has more than 30 digits after the point.
    ///
    /// Returns `None` for NaN, ±∞, negative values (−0.0 is zero) and values
    /// above [`Decimal::MAX_INPUT`].
    pub fn from_printed(x: f64, rounding: Rounding) -> Option<Decimal> {
        if !x.is_finite() || x < 0.0 {
            return None;
        }
        if x == 0.0 {
            return Some(Decimal::ZERO);
        }
        if let Some((digits, k)) = short_decimal(x) {
            // digits × 10^−k with k ≤ 22 < SCALE: exact in units.
            let d = Decimal(digits.checked_mul(10u128.pow(SCALE - k))?);
            return (d <= Decimal::MAX_INPUT).then_some(d);
        }
        let mut buf = StackText::<40>::new();
        // `{:e}` is the shortest round-trip digits with an exponent: "1.5e-7".
        write!(buf, "{x:e}").ok()?;
        let text = buf.as_str();
        let (mantissa, exponent) = text.split_once('e')?;
        let exponent: i32 = exponent.parse().ok()?;
        let mut digits: u128 = 0;
        let mut count: i32 = 0;
        for b in mantissa.bytes() {
            if b == b'.' {
                continue;
            }
            digits = digits * 10 + u128::from(b - b'0');
            count += 1;
        }
        // value = digits × 10^(exponent − count + 1); in units: × 10^SCALE.
        let shift = exponent - count + 1 + SCALE as i32;
        let units = if shift >= 0 {
            digits.checked_mul(10u128.checked_pow(shift as u32)?)?
        } else {
            let down = (-shift) as u32;
            if down > 38 {
                // Far below one unit (digits < 10^17 < 10^38).
                u128::from(rounding == Rounding::Up)
            } else {
                let p = 10u128.pow(down);
                let q = digits / p;
                if rounding == Rounding::Up && !digits.is_multiple_of(p) {
                    q + 1
                } else {
                    q
                }
            }
        };
        let d = Decimal(units);
        (d <= Decimal::MAX_INPUT).then_some(d)
    }

    /// An upper bound, in decimal, of the exact binary value of a computed
    /// non-negative float: `x` is moved up by two units in the last place and
    /// its printed form rounded up. A positive `x` gives at least
    /// [`Decimal::UNIT`], so no positive cost becomes free.
    ///
    /// Returns `None` for NaN, ±∞, negative values and values above
    /// [`Decimal::MAX_INPUT`].
    pub fn from_computed_up(x: f64) -> Option<Decimal> {
        if x.is_nan() || x < 0.0 {
            return None;
        }
        if x == 0.0 {
            return Some(Decimal::ZERO);
        }
        // The shortest decimal of y is within half an ulp of y, and y is two
        // ulps above x, so it is above x's exact value.
        let y = x.next_up().next_up();
        Decimal::from_printed(y, Rounding::Up).map(|d| d.max(Decimal::UNIT))
    }

    /// A lower bound, in decimal, of the exact binary value of a computed
    /// non-negative float (the mirror of [`Decimal::from_computed_up`]);
    /// values at or below zero give zero.
    ///
    /// Returns `None` for NaN and values above [`Decimal::MAX_INPUT`].
    pub fn from_computed_down(x: f64) -> Option<Decimal> {
        if x.is_nan() {
            return None;
        }
        let y = x.next_down().next_down();
        if y <= 0.0 {
            return Some(Decimal::ZERO);
        }
        Decimal::from_printed(y, Rounding::Down)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        self.0.checked_add(other.0).map(Decimal)
    }

    /// `self − other`, or zero if `other` is larger.
    pub fn saturating_sub(self, other: Decimal) -> Decimal {
        Decimal(self.0.saturating_sub(other.0))
    }

    /// ⌈self² / divisor⌉ exactly (e.g. ρ = ε²/2 of a pure ε-DP release with
    /// `divisor` 2), or `None` if the result does not fit.
    pub fn square_div_up(self, divisor: u64) -> Option<Decimal> {
        if divisor == 0 {
            return None;
        }
        // self² has 60 fractional digits: divide by 10^30 (as 10^15 twice)
        // and by `divisor`, rounding up if anything was dropped.
        let mut limbs = mul_wide(self.0, self.0);
        let mut inexact = false;
        for d in [divisor, 10u64.pow(15), 10u64.pow(15)] {
            inexact |= div_limbs(&mut limbs, d) != 0;
        }
        if limbs[2] != 0 || limbs[3] != 0 {
            return None;
        }
        let q = (u128::from(limbs[1]) << 64) | u128::from(limbs[0]);
        q.checked_add(u128::from(inexact)).map(Decimal)
    }

    /// `units / 10^30` in floating point (two roundings): for ratios in
    /// telemetry and alerts only, never for amounts reported as spent.
    pub fn to_f64_approx(self) -> f64 {
        self.0 as f64 / 1e30
    }

    /// The nearest `f64` (ties to even); may be slightly below or above.
    pub fn to_f64_nearest(self) -> f64 {
        let mut buf = StackText::<48>::new();
        // A Decimal always formats into 48 bytes (39 digits + point).
        let _ = write!(buf, "{self}");
        buf.as_str().parse().unwrap_or(f64::INFINITY)
    }

    /// The smallest `f64` whose printed decimal is at least `self`: the value
    /// reported for amounts spent, so a report never understates a spend.
    pub fn to_f64_up(self) -> f64 {
        let y = self.to_f64_nearest();
        match Decimal::from_printed(y, Rounding::Down) {
            Some(d) if d >= self => y,
            _ => y.next_up(),
        }
    }

    /// The largest `f64` whose printed decimal is at most `self`: the value
    /// reported for amounts remaining.
    pub fn to_f64_down(self) -> f64 {
        let y = self.to_f64_nearest();
        match Decimal::from_printed(y, Rounding::Up) {
            Some(d) if d <= self => y,
            _ => y.next_down().max(0.0),
        }
    }

    /// The exact order of `self` and the binary value of a finite `x ≥ 0`.
    pub(crate) fn cmp_f64(self, x: f64) -> std::cmp::Ordering {
        // units / 10^30 against m·2^e: compare units with m·2^e·10^30.
        let scaled = Dyadic::from_f64(x)
            .mul(Dyadic::from_u128(TEN_POW_30))
            .expect("a double's mantissa and 10^30 fit in 128 bits");
        Dyadic::from_u128(self.0).cmp(&scaled)
    }

    /// The largest `f64` whose exact binary value is at most `self` (unlike
    /// [`Decimal::to_f64_down`], which compares printed forms): the input of
    /// float code that must not exceed this amount.
    pub(crate) fn to_f64_at_most(self) -> f64 {
        let y = self.to_f64_nearest();
        if self.cmp_f64(y) == std::cmp::Ordering::Less {
            y.next_down()
        } else {
            y
        }
    }

    /// The smallest `f64` whose exact binary value is at least `self`.
    pub(crate) fn to_f64_at_least(self) -> f64 {
        let y = self.to_f64_nearest();
        if self.cmp_f64(y) == std::cmp::Ordering::Greater {
            y.next_up()
        } else {
            y
        }
    }
}

/// The largest double that is at most `x` and whose exact binary value is at
/// most the decimal a budget charges for `x` (its printed form, rounded up
/// past 30 digits; [`Decimal::from_printed`]): what the crate's mechanisms
/// calibrate to, so that a release built for ε costs at most ε both as the
/// double given and as the decimal charged. It is `x` or the double just
/// below it (`x` itself when out of the budget's range).
pub(crate) fn at_most_charged(x: f64) -> f64 {
    match Decimal::from_printed(x, Rounding::Up) {
        // The printed decimal is within half an ulp of x, so when it is
        // below x the next double down is below it.
        Some(d) if d.cmp_f64(x) == std::cmp::Ordering::Less => x.next_down(),
        _ => x,
    }
}

/// The shortest decimal `digits × 10^−k` that reads back as `x`, found
/// without formatting when `k ≤ 22` and `digits < 2^50` (else `None`, and the
/// caller formats). For each `k` upward, the only candidate is the integer
/// nearest `x·10^k`: with `digits < 2^50` the float product is within 1/4 of
/// it, and no other integer reads back as `x` (the rounding interval of `x`
/// is narrower than 10^−k). The check `digits / 10^k == x` is exact: both
/// operands are exact doubles and IEEE division rounds correctly, exactly as
/// parsing the decimal would. The first `k` that passes gives the fewest
/// digits, which is the shortest round-trip form `{:e}` would print.
fn short_decimal(x: f64) -> Option<(u128, u32)> {
    const LIMIT: f64 = (1u64 << 50) as f64;
    let mut p = 1.0f64;
    for k in 0..=22u32 {
        let y = x * p;
        if y >= LIMIT {
            return None;
        }
        let m = y.round();
        if m / p == x {
            return Some((m as u128, k));
        }
        p *= 10.0;
    }
    None
}

/// Divides little-endian limbs in place by `d`; returns the remainder.
fn div_limbs(limbs: &mut [u64; 4], d: u64) -> u64 {
    let mut rem: u128 = 0;
    for limb in limbs.iter_mut().rev() {
        let cur = (rem << 64) | u128::from(*limb);
        *limb = (cur / u128::from(d)) as u64;
        rem = cur % u128::from(d);
    }
    rem as u64
}

impl fmt::Display for Decimal {
    /// Plain notation without trailing zeros: `0`, `0.1`, `2.5`, `0.000000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.0 / ONE;
        let frac = self.0 % ONE;
        if frac == 0 {
            return write!(f, "{int}");
        }
        let mut digits = StackText::<32>::new();
        write!(digits, "{frac:030}")?;
        write!(f, "{int}.{}", digits.as_str().trim_end_matches('0'))
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

/// The error of parsing a [`Decimal`] that is not in canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDecimalError;

impl fmt::Display for ParseDecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "not a canonical decimal (digits, at most 30 after the point, no trailing zeros)",
        )
    }
}

impl std::error::Error for ParseDecimalError {}

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    /// Parses exactly the canonical form [`Display`](fmt::Display) writes
    /// (no sign, no exponent, no leading or trailing zeros), so each amount
    /// has one spelling in a ledger.
    fn from_str(s: &str) -> Result<Decimal, ParseDecimalError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) {
            return Err(ParseDecimalError);
        }
        let int: u128 = int.parse().map_err(|_| ParseDecimalError)?;
        let mut units = int.checked_mul(ONE).ok_or(ParseDecimalError)?;
        if let Some(frac) = frac {
            if !all_digits(frac) || frac.len() > SCALE as usize || frac.ends_with('0') {
                return Err(ParseDecimalError);
            }
            let f: u128 = frac.parse().map_err(|_| ParseDecimalError)?;
            let f = f * 10u128.pow(SCALE - frac.len() as u32);
            units = units.checked_add(f).ok_or(ParseDecimalError)?;
        }
        Ok(Decimal(units))
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A fixed-size text buffer, so formatting floats on the spend path does not allocate.
struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only `write_str` fills the buffer, with whole `&str`s.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        if end > N {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn reads_floats_as_the_decimals_they_print_as() {
        assert_eq!(Decimal::from_printed(0.1, Rounding::Up), Some(d("0.1")));
        assert_eq!(Decimal::from_printed(0.1, Rounding::Down), Some(d("0.1")));
        assert_eq!(
            Decimal::from_printed(1e-12, Rounding::Up),
            Some(d("0.000000000001"))
        );
        assert_eq!(Decimal::from_printed(2.5, Rounding::Up), Some(d("2.5")));
        assert_eq!(Decimal::from_printed(1e6, Rounding::Up), Some(d("1000000")));
        assert_eq!(
            Decimal::from_printed(1e-30, Rounding::Up),
            Some(Decimal::UNIT)
        );
        assert_eq!(
            Decimal::from_printed(-0.0, Rounding::Up),
            Some(Decimal::ZERO)
        );
        assert_eq!(
            Decimal::from_printed(0.30000000000000004, Rounding::Up),
            Some(d("0.30000000000000004"))
        );
    }

    #[test]
    fn rounds_outward_beyond_thirty_digits() {
        // 1.2345e-29 has 33 digits after the point.
        assert_eq!(
            Decimal::from_printed(1.2345e-29, Rounding::Up),
            Some(Decimal(13))
        );
        assert_eq!(
            Decimal::from_printed(1.2345e-29, Rounding::Down),
            Some(Decimal(12))
        );
        assert_eq!(
            Decimal::from_printed(1e-300, Rounding::Up),
            Some(Decimal::UNIT)
        );
        assert_eq!(
            Decimal::from_printed(1e-300, Rounding::Down),
            Some(Decimal::ZERO)
        );
        assert_eq!(
            Decimal::from_printed(f64::MIN_POSITIVE / 4.0, Rounding::Up),
            Some(Decimal::UNIT)
        );
    }

    /// The formatting path alone, as the reference for the fast path.
    fn printed_by_formatting(x: f64) -> Decimal {
        let text = format!("{x:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap();
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let shift = exponent.parse::<i32>().unwrap() - digits.len() as i32 + 1 + SCALE as i32;
        assert!(shift >= 0, "{x} needs more than 30 digits");
        Decimal(digits.parse::<u128>().unwrap() * 10u128.pow(shift as u32))
    }

    #[test]
    fn the_fast_path_agrees_with_formatting() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut fast = 0;
        for i in 0..200_000 {
            // Short decimals (as callers type them) and arbitrary doubles.
            let x = if i % 2 == 0 {
                let digits = next() % 10u64.pow(1 + (next() % 16) as u32);
                digits as f64 / 10f64.powi((next() % 13) as i32)
            } else {
                f64::from_bits(next() >> 2) % 1000.0
            };
            if !(x > 1e-13 && x < 1e6) {
                continue;
            }
            let got = Decimal::from_printed(x, Rounding::Up).unwrap();
            if short_decimal(x).is_some() {
                fast += 1;
                assert_eq!(got, printed_by_formatting(x), "{x:e}");
            }
            assert_eq!(
                got,
                Decimal::from_printed(x, Rounding::Down).unwrap(),
                "{x:e}"
            );
        }
        assert!(
            fast > 50_000,
            "the fast path is used for typical values ({fast})"
        );
        for x in [0.1, 0.2, 0.3, 1e-12, 123.456, 1e6, 5e-7, 0.001] {
            let (m, k) = short_decimal(x).unwrap();
            assert_eq!(Decimal(m * 10u128.pow(SCALE - k)), printed_by_formatting(x));
        }
        // 17 significant digits: beyond the fast path, formatted instead.
        assert_eq!(short_decimal(0.30000000000000004), None);
        assert_eq!(
            Decimal::from_printed(0.30000000000000004, Rounding::Up),
            Some(printed_by_formatting(0.30000000000000004))
        );
    }

    #[test]
    fn refuses_bad_floats() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1e-9,
            1.0000001e6,
            1e300,
        ] {
            assert_eq!(Decimal::from_printed(x, Rounding::Up), None, "{x}");
        }
    }

    #[test]
    fn exact_sums_do_not_drift() {
        let limit = d("0.3");
        let a = Decimal::from_printed(0.1, Rounding::Up).unwrap();
        let b = Decimal::from_printed(0.2, Rounding::Up).unwrap();
        let sum = a.checked_add(b).unwrap();
        assert_eq!(sum, limit);
        let tiny = Decimal::from_printed(1e-12, Rounding::Up).unwrap();
        assert!(sum.checked_add(tiny).unwrap() > limit);
        // Ten spends of 0.1 are exactly 1.
        let mut total = Decimal::ZERO;
        for _ in 0..10 {
            total = total.checked_add(a).unwrap();
        }
        assert_eq!(total, Decimal::ONE);
    }

    #[test]
    fn computed_values_are_bounded_outward() {
        let x = 1.0 / 3.0;
        let up = Decimal::from_computed_up(x).unwrap();
        let down = Decimal::from_computed_down(x).unwrap();
        assert!(down < up);
        // 1/3 in binary is 0.333333333333333314829616256247…
        assert!(up > d("0.333333333333333314829616256247"));
        assert!(down < d("0.333333333333333314829616256247"));
        assert_eq!(Decimal::from_computed_up(1e-320), Some(Decimal::UNIT));
        assert_eq!(Decimal::from_computed_up(0.0), Some(Decimal::ZERO));
        assert_eq!(Decimal::from_computed_down(-1.0), Some(Decimal::ZERO));
    }

    #[test]
    fn squares_exactly_and_rounds_up() {
        assert_eq!(d("1").square_div_up(2), Some(d("0.5")));
        assert_eq!(d("0.1").square_div_up(2), Some(d("0.005")));
        assert_eq!(d("0.3").square_div_up(8), Some(d("0.01125")));
        // (10^-30)² / 2 rounds up to one unit.
        assert_eq!(Decimal::UNIT.square_div_up(2), Some(Decimal::UNIT));
        // 0.000000000000001 (10^-15)² = 10^-30 exactly.
        assert_eq!(d("0.000000000000001").square_div_up(1), Some(Decimal::UNIT));
        assert_eq!(d("0.0000000000000011").square_div_up(1), Some(Decimal(2)));
        assert_eq!(d("20000").square_div_up(2), Some(d("200000000")));
        assert_eq!(Decimal::MAX_INPUT.square_div_up(2), None);
        assert_eq!(d("3").square_div_up(0), None);
    }

    #[test]
    fn canonical_text_round_trips_and_is_strict() {
        for s in [
            "0",
            "0.1",
            "12.5",
            "0.000000000000000000000000000001",
            "1000000",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
        for bad in [
            "",
            ".5",
            "0.",
            "00",
            "01",
            "0.10",
            "-1",
            "+1",
            "1e-3",
            " 1",
            "0.1 ",
            "0.0000000000000000000000000000001",
        ] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn binary_bounds_are_exact() {
        use std::cmp::Ordering;
        // The double 0.1 is above one tenth, the double 0.3 below 0.3.
        assert_eq!(d("0.1").cmp_f64(0.1), Ordering::Less);
        assert_eq!(d("0.3").cmp_f64(0.3), Ordering::Greater);
        assert_eq!(d("0.25").cmp_f64(0.25), Ordering::Equal);
        assert_eq!(d("0.1").to_f64_at_most(), 0.1f64.next_down());
        assert_eq!(d("0.1").to_f64_at_least(), 0.1);
        assert_eq!(d("0.3").to_f64_at_most(), 0.3);
        assert_eq!(d("0.3").to_f64_at_least(), 0.3f64.next_up());
        assert_eq!(d("0.25").to_f64_at_most(), 0.25);
        assert_eq!(d("0.25").to_f64_at_least(), 0.25);
        assert_eq!(Decimal::ZERO.to_f64_at_most(), 0.0);
        assert!(Decimal::UNIT.to_f64_at_least() >= 1e-30);
        for s in [
            "0.000001",
            "0.7",
            "1000000",
            "0.000000000000000000000000000003",
        ] {
            let x = d(s);
            assert_ne!(x.cmp_f64(x.to_f64_at_most()), Ordering::Less, "{s}");
            assert_ne!(x.cmp_f64(x.to_f64_at_least()), Ordering::Greater, "{s}");
            assert_eq!(
                x.cmp_f64(x.to_f64_at_most().next_up()),
                Ordering::Less,
                "{s}"
            );
            assert_eq!(
                x.cmp_f64(x.to_f64_at_least().next_down()),
                Ordering::Greater,
                "{s}"
            );
        }
    }

    #[test]
    fn calibration_values_are_within_the_charge() {
        use std::cmp::Ordering;
        assert_eq!(at_most_charged(0.1), 0.1f64.next_down());
        assert_eq!(at_most_charged(0.3), 0.3);
        assert_eq!(at_most_charged(0.5), 0.5);
        for x in [
            0.1,
            0.2,
            0.7,
            1e-3,
            1.0 / 3.0,
            2.0 / 3.0,
            1e-7,
            123.456,
            1e-20,
        ] {
            let y = at_most_charged(x);
            let charged = Decimal::from_printed(x, Rounding::Up).unwrap();
            assert!(y <= x && (y == x || y == x.next_down()), "{x}");
            assert_ne!(charged.cmp_f64(y), Ordering::Less, "{x}");
        }
        assert_eq!(at_most_charged(2e6), 2e6, "outside the budget's range");
    }

    #[test]
    fn converts_back_to_f64_outward() {
        assert_eq!(d("0.3").to_f64_up(), 0.3);
        assert_eq!(d("0.3").to_f64_down(), 0.3);
        let third = d("0.333333333333333333333333333333");
        assert!(Decimal::from_printed(third.to_f64_up(), Rounding::Down).unwrap() >= third);
        assert!(Decimal::from_printed(third.to_f64_down(), Rounding::Up).unwrap() <= third);
        assert_eq!(Decimal::ZERO.to_f64_down(), 0.0);
        assert!(Decimal::UNIT.to_f64_up() > 0.0);
    }
}
