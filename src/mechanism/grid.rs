//! The power-of-two grid of the float mechanisms.
//!
//! A float mechanism of noise scale `b` works on the grid `γ ℤ` with
//! `γ = 2^k` the smallest power of two `≥ b · 2^−40` (so `b·2^−40 ≤ γ <
//! b·2^−39`, inside the design's `[b·2^−50, b·2^−30]`; Google's "Secure Noise
//! Generation", 2020, §4). The input is rounded to the nearest grid point,
//! exact integer noise of scale `b/γ ≈ 2^40` grid units is added in integer
//! arithmetic, and the integer result times `γ` is the output. Rounding moves
//! the input by at most `γ/2`, so neighbouring inputs `Δ` apart land at most
//! `Δ + γ` apart: the mechanisms are calibrated to the sensitivity `Δ + γ`.
//!
//! Every step after the noise is added (the conversion of an integer to the
//! nearest double, saturation at `±f64::MAX`) is a deterministic function of
//! the exact noisy integer, i.e. post-processing, so it cannot weaken the
//! guarantee; no step ever depends on the noise to reject or retry.

use crate::error::{Error, Result};

/// `γ ≈ scale · 2^−GRID_BITS`.
pub(crate) const GRID_BITS: i32 = 40;

/// Inputs must satisfy `|value| < 2^VALUE_BITS · γ` (the grid integer fits an `i128`).
const VALUE_BITS: i32 = 126;

/// `2^63`.
const TWO63: f64 = 9_223_372_036_854_775_808.0;

/// `2^e` for `−1074 ≤ e ≤ 1023`, exactly.
pub(crate) fn pow2(e: i32) -> f64 {
    debug_assert!((-1074..=1023).contains(&e));
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// `x · 2^e` (exact unless the result overflows or is subnormal).
pub(crate) fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 1023 {
        x *= pow2(1023);
        e -= 1023;
    }
    while e < -1022 {
        x *= pow2(-1022);
        e += 1022;
    }
    x * pow2(e)
}

/// The smallest `e` with `2^e ≥ x`, for finite `x > 0`.
pub(crate) fn ceil_log2(x: f64) -> i32 {
    let (m, e) = crate::sample::decompose_f64(x);
    let bits = 64 - m.leading_zeros() as i32;
    if m.is_power_of_two() {
        bits - 1 + e as i32
    } else {
        bits + e as i32
    }
}

/// The grid exponent `k` (γ = 2^k) for a noise scale `b > 0`.
pub(crate) fn grid_exponent(scale: f64) -> i32 {
    (ceil_log2(scale) - GRID_BITS).max(-1074)
}

/// A grid `γ = 2^exp` with its conversions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    exp: i32,
    spacing: f64,
    /// `2^−exp`, when representable.
    inverse: Option<f64>,
    /// `2^(126 + exp)` (or +∞): inputs must be strictly smaller in magnitude.
    limit: f64,
}

impl Grid {
    /// The grid `2^exp`, `−1074 ≤ exp ≤ 1023`.
    pub(crate) fn new(exp: i32) -> Grid {
        Grid {
            exp,
            spacing: pow2(exp),
            inverse: (-exp <= 1023).then(|| pow2(-exp)),
            limit: ldexp(1.0, VALUE_BITS + exp),
        }
    }

    /// `γ`.
    pub(crate) fn spacing(self) -> f64 {
        self.spacing
    }

    /// `log₂ γ`.
    pub(crate) fn exp(self) -> i32 {
        self.exp
    }

    /// The largest magnitude [`Grid::check`] accepts: the double below
    /// `2^126·γ` (`f64::MAX` when that is infinite).
    pub(crate) fn max_abs_value(self) -> f64 {
        self.limit.next_down()
    }

    /// Checks every value (see [`Grid::check`]); a vectorisable pass, with
    /// the error of the first bad value.
    pub(crate) fn check_all(self, param: &'static str, values: &[f64]) -> Result<()> {
        let limit = self.limit;
        if values.iter().fold(true, |ok, v| ok & (v.abs() < limit)) {
            return Ok(());
        }
        values.iter().try_for_each(|&v| self.check(param, v))
    }

    /// Checks that `value` is finite and `|value| < 2^126·γ`. The message
    /// names the limit, never the value.
    #[inline]
    pub(crate) fn check(self, param: &'static str, value: f64) -> Result<()> {
        if value.abs() < self.limit {
            return Ok(());
        }
        crate::error::check_finite_data(param, value)?;
        Err(Error::invalid(
            param,
            format!(
                "is too large for this mechanism's noise grid: |{param}| must be < {:e}",
                self.limit
            ),
        ))
    }

    /// The grid integer nearest `value/γ` (ties to even), for a checked value.
    #[inline(always)]
    pub(crate) fn to_int(self, value: f64) -> i128 {
        if let Some(inv) = self.inverse {
            let scaled = value * inv; // exact: a power-of-two scaling below 2^126
            let a = scaled.abs();
            if a < TWO63 {
                // Below 2^52, adding and removing 2^52 rounds to the nearest
                // integer, ties to even (IEEE round-to-nearest); above it,
                // doubles are integers.
                const TWO52: f64 = 4_503_599_627_370_496.0;
                let r = if a < TWO52 { (a + TWO52) - TWO52 } else { a };
                let n = r as i64;
                return i128::from(if scaled < 0.0 { -n } else { n });
            }
        }
        self.to_int_wide(value)
    }

    /// [`Grid::to_int`] for large values or grids finer than `2^−1023`.
    #[inline(never)]
    fn to_int_wide(self, value: f64) -> i128 {
        let scaled = match self.inverse {
            Some(inv) => value * inv, // exact: a power-of-two scaling below 2^126
            None => ldexp(value, -self.exp),
        };
        const TWO52: f64 = 4_503_599_627_370_496.0;
        let a = scaled.abs();
        // Below 2^52, adding and removing 2^52 rounds to the nearest integer,
        // ties to even (IEEE round-to-nearest); above, doubles are integers.
        let rounded = if a < TWO52 { (a + TWO52) - TWO52 } else { a };
        let magnitude = if rounded < TWO63 {
            i128::from(rounded as i64)
        } else {
            rounded as i128
        };
        if scaled < 0.0 { -magnitude } else { magnitude }
    }

    /// The double nearest `n·γ`, saturated at `±f64::MAX` (post-processing).
    #[inline]
    pub(crate) fn to_f64(self, n: i128) -> f64 {
        self.scale(n as f64)
    }

    /// The double nearest `(value + noise)·γ`, computed exactly (in 64-bit
    /// integers when the sum fits, else in 128 bits with saturation).
    #[inline(always)]
    pub(crate) fn add_to_f64(self, value: i128, noise: i128) -> f64 {
        if let (Ok(v), Ok(z)) = (i64::try_from(value), i64::try_from(noise))
            && let Some(sum) = v.checked_add(z)
        {
            return self.scale(sum as f64);
        }
        self.to_f64(value.saturating_add(noise))
    }

    /// The double nearest `(round(value/γ) + noise)·γ` for a checked `value`:
    /// [`Grid::to_int`] then [`Grid::add_to_f64`], with a short path when
    /// `|value/γ| < 2^52` and `|noise| < 2^62` (the sum is then an exact
    /// `i64`). Which path runs depends on the value and, only past `2^62`
    /// grid units of noise, on the noise.
    #[inline(always)]
    pub(crate) fn add_noise(self, value: f64, noise: i128) -> f64 {
        const TWO52: f64 = 4_503_599_627_370_496.0;
        if let Some(inv) = self.inverse {
            let scaled = value * inv; // exact: a power-of-two scaling below 2^126
            let a = scaled.abs();
            let z = noise as i64;
            if a < TWO52 && i128::from(z) == noise && z.unsigned_abs() < 1 << 62 {
                // Adding 2^52 rounds to the nearest integer, ties to even
                // (IEEE round-to-nearest), and leaves it in the low mantissa
                // bits.
                let r = ((a + TWO52).to_bits() - TWO52.to_bits()) as i64;
                let n = if scaled < 0.0 { -r } else { r };
                return self.scale((n + z) as f64);
            }
        }
        self.add_to_f64(self.to_int(value), noise)
    }

    /// The grid integers of checked `values` into `ints` (same length), for
    /// the batch path: `true` when every `|value/γ| < 2^52`, so that `ints`
    /// holds them all; `false` (and `ints` unspecified) otherwise. A single
    /// pass without branches.
    #[inline]
    pub(crate) fn to_small_ints(self, values: &[f64], ints: &mut [i64]) -> bool {
        const TWO52: f64 = 4_503_599_627_370_496.0;
        let Some(inv) = self.inverse else {
            return false;
        };
        let mut small = true;
        for (n, &v) in ints.iter_mut().zip(values) {
            let scaled = v * inv; // exact: a power-of-two scaling below 2^126
            let a = scaled.abs();
            small &= a < TWO52;
            // Adding 2^52 rounds to the nearest integer, ties to even, and
            // leaves it in the low mantissa bits (meaningless when a ≥ 2^52).
            let r = (a + TWO52).to_bits().wrapping_sub(TWO52.to_bits()) as i64;
            *n = if scaled < 0.0 { r.wrapping_neg() } else { r };
        }
        small
    }

    /// The double nearest `(n + noise)·γ` for a grid integer `|n| < 2^52`
    /// (from [`Grid::to_small_ints`]); exact `i64` arithmetic unless
    /// `|noise| ≥ 2^62`.
    #[inline(always)]
    pub(crate) fn finish_small(self, n: i64, noise: i128) -> f64 {
        let z = noise as i64;
        if i128::from(z) == noise && z.unsigned_abs() < 1 << 62 {
            self.scale((n + z) as f64)
        } else {
            self.add_to_f64(i128::from(n), noise)
        }
    }

    /// `x·γ` (exact unless subnormal), saturated at `±f64::MAX`.
    #[inline]
    fn scale(self, x: f64) -> f64 {
        let v = x * self.spacing;
        if v.is_finite() {
            v
        } else {
            v.signum() * f64::MAX
        }
    }

    /// Checks and converts one value (tests).
    #[cfg(test)]
    pub(crate) fn to_grid(self, param: &'static str, value: f64) -> Result<i128> {
        self.check(param, value)?;
        Ok(self.to_int(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_and_logs() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-1074), f64::from_bits(1));
        assert_eq!(pow2(1023), f64::from_bits(0x7FE0_0000_0000_0000)); // exact, not powi
        assert_eq!(ceil_log2(1.0), 0);
        assert_eq!(ceil_log2(1.5), 1);
        assert_eq!(ceil_log2(0.25), -2);
        assert_eq!(ceil_log2(f64::from_bits(3)), -1072);
        assert_eq!(grid_exponent(1.0), -40);
        assert_eq!(grid_exponent(10.0), -36);
        assert_eq!(grid_exponent(1e-320), -1074);
        assert_eq!(ldexp(3.0, -1074 - 1), 2.0 * pow2(-1074));
        assert_eq!(ldexp(1.0, 2000), f64::INFINITY);
    }

    #[test]
    fn grid_round_trip_and_limits() {
        let g = Grid::new(-40);
        let k = -40;
        assert_eq!(g.to_grid("value", 1.0).unwrap(), 1i128 << 40);
        assert_eq!(g.to_grid("value", 1.5 * pow2(k)).unwrap(), 2);
        assert_eq!(g.to_grid("value", 2.5 * pow2(k)).unwrap(), 2);
        assert_eq!(g.to_grid("value", -2.5 * pow2(k)).unwrap(), -2);
        assert_eq!(g.to_grid("value", -3.5 * pow2(k)).unwrap(), -4);
        assert_eq!(g.to_grid("value", 0.4 * pow2(k)).unwrap(), 0);
        assert_eq!(
            g.to_grid("value", 1e25).unwrap(),
            10995116277760000996124179980315787264i128
        );
        assert_eq!(g.to_f64(1i128 << 40), 1.0);
        assert_eq!(g.to_f64(-(1i128 << 100)), -(2f64.powi(60)));
        let big = Grid::new(1000);
        assert_eq!(big.to_f64(i128::MAX), f64::MAX);
        assert_eq!(big.to_f64(i128::MIN), -f64::MAX);
        let tiny = Grid::new(-1074);
        assert_eq!(tiny.to_grid("value", 1e-320).unwrap(), 2024);
        assert!(tiny.to_grid("value", 1e-250).is_err());
        assert_eq!(tiny.to_f64(3), 3.0 * pow2(-1074));
        let e = g.to_grid("value", 1e30).unwrap_err();
        assert_eq!(
            e.to_string(),
            "value is too large for this mechanism's noise grid: |value| must be < 7.737125245533627e25"
        );
        let e = g.to_grid("value", f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "value must be finite (got NaN or ±inf)");
    }
}
