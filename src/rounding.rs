//! Directed rounding: the one set of float helpers that round toward more
//! privacy loss, shared by the mechanisms' calibration, the bounding helpers
//! and the accountant.
//!
//! Privacy arithmetic may use floats as long as every result is on the safe
//! side of the exact value. Two tools give that:
//!
//! - **Exactly rounded** elementary operations ([`add_up`], [`mul_up`],
//!   [`mul_down`], [`div_up`], [`div_down`], [`sqrt_up`], [`sqrt_down`],
//!   [`count_up`]): the correctly rounded IEEE result is corrected by one ulp
//!   when its exact error (TwoSum, or a fused multiply-add residual) shows it
//!   fell on the wrong side. Used for rational quantities such as ε = Δ/b,
//!   ρ = Δ²/(2σ²) and the mechanisms' scales. Where the residual itself could
//!   underflow, the result is moved one ulp outward unconditionally.
//! - **Margins** for irrational quantities (logarithms, exponentials, the
//!   normal CDF, FFTs): [`inflate`] multiplies by `1 + REL_MARGIN` and moves
//!   one ulp up, [`deflate`] the mirror. `REL_MARGIN` = 10⁻⁹ exceeds the
//!   relative error of the libm functions (< 2 ulp ≈ 4.4·10⁻¹⁶) by a factor
//!   of more than 10⁶, which covers error growth through the short formulas
//!   used; where error can grow with a problem size (long sums, FFTs,
//!   binomial coefficients of large k) callers add a size-dependent term.

/// The relative margin added to every irrational (libm-based) result.
pub(crate) const REL_MARGIN: f64 = 1e-9;

/// Below this magnitude a product or quotient's FMA residual may underflow.
const RESIDUAL_FLOOR: f64 = f64::MIN_POSITIVE * 18_014_398_509_481_984.0; // 2^54

/// `a + b` rounded toward +∞.
pub(crate) fn add_up(a: f64, b: f64) -> f64 {
    let s = a + b;
    if !s.is_finite() {
        return s;
    }
    // TwoSum (Knuth): err is the exact rounding error a + b − s.
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    if err > 0.0 { s.next_up() } else { s }
}

/// `a · b` rounded toward +∞.
pub(crate) fn mul_up(a: f64, b: f64) -> f64 {
    let p = a * b;
    if !p.is_finite() {
        return p;
    }
    if p.abs() < RESIDUAL_FLOOR {
        // The FMA residual may itself underflow: be conservative.
        return p.next_up();
    }
    if a.mul_add(b, -p) > 0.0 {
        p.next_up()
    } else {
        p
    }
}

/// `a · b` rounded toward −∞.
pub(crate) fn mul_down(a: f64, b: f64) -> f64 {
    -mul_up(-a, b)
}

/// `a / b` rounded toward +∞ (`b` finite and non-zero). A positive quotient
/// that underflows to zero gives the smallest positive double.
pub(crate) fn div_up(a: f64, b: f64) -> f64 {
    let q = a / b;
    if !q.is_finite() {
        return q;
    }
    if q.abs() < RESIDUAL_FLOOR {
        return q.next_up();
    }
    // r = a − q·b exactly; q is too small when r has the sign of b.
    let r = (-q).mul_add(b, a);
    if (r > 0.0 && b > 0.0) || (r < 0.0 && b < 0.0) {
        q.next_up()
    } else {
        q
    }
}

/// `a / b` rounded toward −∞ (`b` finite and non-zero).
pub(crate) fn div_down(a: f64, b: f64) -> f64 {
    -div_up(-a, b)
}

/// `√x` rounded toward −∞, for `x ≥ 0`.
pub(crate) fn sqrt_down(x: f64) -> f64 {
    let r = x.sqrt();
    if r.mul_add(r, -x) > 0.0 {
        r.next_down()
    } else {
        r
    }
}

/// `√x` rounded toward +∞, for `x ≥ 0`.
pub(crate) fn sqrt_up(x: f64) -> f64 {
    let r = x.sqrt();
    if r.mul_add(r, -x) < 0.0 {
        r.next_up()
    } else {
        r
    }
}

/// `count` as a float, rounded up (exact below 2⁵³).
pub(crate) fn count_up(count: u64) -> f64 {
    let c = count as f64;
    if (c as u128) < u128::from(count) {
        c.next_up()
    } else {
        c
    }
}

/// A non-negative irrational result pushed up by [`REL_MARGIN`] and one ulp
/// (NaN becomes +∞).
pub(crate) fn inflate(x: f64) -> f64 {
    if x.is_nan() {
        return f64::INFINITY;
    }
    if x <= 0.0 {
        // A loss computed as ≤ 0 is reported as 0 only if exactly 0 is safe;
        // callers clamp after inflating, so keep the sign and nudge up.
        return (x * (1.0 - REL_MARGIN)).next_up();
    }
    (x * (1.0 + REL_MARGIN)).next_up()
}

/// A positive irrational quantity pushed down by [`REL_MARGIN`] and one ulp
/// (used for budgets that are *consumed*, such as the δ left after a split).
pub(crate) fn deflate(x: f64) -> f64 {
    if x <= 0.0 {
        return x;
    }
    (x * (1.0 - REL_MARGIN)).next_down()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_operations_bracket_the_exact_result() {
        assert_eq!(add_up(1.0, 2f64.powi(-60)), 1.0f64.next_up());
        // 0.1 + 0.2 = 0.30000000000000004 (rounded up already) in IEEE.
        assert!(add_up(0.1, 0.2) >= 0.1 + 0.2);
        // 1/3 rounded up is above the nearest double, which is below 1/3.
        assert_eq!(div_up(1.0, 3.0), (1.0f64 / 3.0).next_up());
        assert_eq!(div_down(1.0, 3.0), 1.0 / 3.0);
        // Exact results are not moved.
        assert_eq!(div_up(1.0, 4.0), 0.25);
        assert_eq!(mul_up(0.5, 0.5), 0.25);
        assert_eq!(add_up(1.0, 2.0), 3.0);
        // 0.1 * 3 = 0.30000000000000004 > exact 0.3000000000000000166: no move.
        assert!(mul_up(0.1, 3.0) >= 0.1 * 3.0);
        assert!(mul_down(0.1, 3.0) <= 0.1 * 3.0);
        for (a, b) in [(0.1, 0.1), (1.0 / 3.0, 3.0), (0.7, 1.3), (1e-3, 7.0)] {
            let p = mul_up(a, b);
            assert!(
                a.mul_add(b, -p) <= 0.0,
                "{a}·{b} rounded up is at least the product"
            );
            assert!(
                a.mul_add(b, -p.next_down()) > 0.0,
                "and the smallest such double"
            );
            let q = div_up(a, b);
            assert!((-q).mul_add(b, a) <= 0.0 && (-q.next_down()).mul_add(b, a) > 0.0);
            let q = div_down(a, b);
            assert!((-q).mul_add(b, a) >= 0.0 && (-q.next_up()).mul_add(b, a) < 0.0);
        }
    }

    #[test]
    fn underflow_and_overflow_stay_on_the_safe_side() {
        let tiny = f64::from_bits(1);
        assert_eq!(div_up(tiny, 4.0), tiny, "a positive quotient is never 0");
        assert!(mul_up(tiny, 0.5) > 0.0);
        assert!(mul_down(tiny, 0.5) <= tiny * 0.5);
        assert_eq!(div_up(f64::MAX, 0.5), f64::INFINITY);
        assert_eq!(add_up(f64::MAX, f64::MAX), f64::INFINITY);
    }

    #[test]
    fn roots_and_counts() {
        assert_eq!(sqrt_down(4.0), 2.0);
        assert_eq!(sqrt_up(4.0), 2.0);
        for x in [2.0, 3.0, 0.1, 1e-300, 12345.678] {
            let (lo, hi) = (sqrt_down(x), sqrt_up(x));
            assert!(
                lo.mul_add(lo, -x) <= 0.0 && hi.mul_add(hi, -x) >= 0.0,
                "{x}"
            );
            assert!(hi == lo || hi == lo.next_up(), "{x}");
        }
        assert_eq!(count_up(3), 3.0);
        let big = (1u64 << 53) + 1;
        assert!(count_up(big) as u128 >= u128::from(big));
        assert_eq!(count_up(u64::MAX), 2f64.powi(64));
    }

    #[test]
    fn margins() {
        assert!(inflate(1.0) > 1.0 && inflate(1.0) < 1.0 + 2e-9);
        assert!(deflate(1.0) < 1.0 && deflate(1.0) > 1.0 - 2e-9);
        assert_eq!(inflate(f64::NAN), f64::INFINITY);
        assert!(inflate(0.0) > 0.0);
        assert_eq!(deflate(0.0), 0.0);
    }

    #[test]
    fn one_tenth_from_a_division_is_exactly_one_tenth() {
        // Δ/b = 1/10 must give the same double as the literal 0.1, so a
        // Laplace event and a PureDp{0.1} event cost the same.
        assert_eq!(div_up(1.0, 10.0), 0.1);
    }
}
