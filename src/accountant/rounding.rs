//! Directed rounding for accounting arithmetic.
//!
//! Accounting may use any float arithmetic as long as every reported loss is
//! an upper bound. Two tools give that:
//!
//! - **Exactly rounded up** elementary operations ([`add_up`], [`mul_up`],
//!   [`div_up`], [`mul_down`], [`div_down`]): the correctly rounded IEEE
//!   result is corrected by one ulp when its exact error (obtained with
//!   TwoSum or a fused multiply-add residual) shows it fell on the wrong side.
//!   Used for rational quantities such as ε = Δ/b and ρ = Δ²/(2σ²).
//! - **Margins** for irrational quantities (logarithms, exponentials, the
//!   normal CDF, FFTs): [`inflate`] multiplies by `1 + REL_MARGIN` and moves one
//!   ulp up. `REL_MARGIN` = 10⁻⁹ exceeds the relative error of the libm
//!   functions (< 2 ulp ≈ 4.4·10⁻¹⁶) by a factor of more than 10⁶, which covers
//!   error growth through the short formulas and sums used here; the places
//!   where error can grow with a problem size (long sums, FFTs, binomial
//!   coefficients of large k) add an explicit size-dependent term.

/// The relative margin added to every irrational (libm-based) result.
pub(crate) const REL_MARGIN: f64 = 1e-9;

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
    if p.abs() < f64::MIN_POSITIVE * 2f64.powi(54) {
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

/// `a / b` rounded toward +∞ (`b` finite and non-zero).
pub(crate) fn div_up(a: f64, b: f64) -> f64 {
    let q = a / b;
    if !q.is_finite() {
        return q;
    }
    if q.abs() < f64::MIN_POSITIVE * 2f64.powi(54) {
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

/// A non-negative irrational result pushed up by [`REL_MARGIN`] and one ulp.
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
        // 0.1 + 0.2 = 0.30000000000000004 (rounded up already) in IEEE.
        let s = add_up(0.1, 0.2);
        assert!(s >= 0.1 + 0.2);
        // 1/3 rounded up is above the nearest double, which is below 1/3.
        assert_eq!(div_up(1.0, 3.0), (1.0f64 / 3.0).next_up());
        assert_eq!(div_down(1.0, 3.0), 1.0 / 3.0);
        // Exact results are not moved.
        assert_eq!(div_up(1.0, 4.0), 0.25);
        assert_eq!(mul_up(0.5, 0.5), 0.25);
        assert_eq!(add_up(1.0, 2.0), 3.0);
        // 0.1 * 3 = 0.30000000000000004 > exact 0.3000000000000000166: no move.
        let p = mul_up(0.1, 3.0);
        assert!(p >= 0.1 * 3.0);
        assert!(mul_down(0.1, 3.0) <= 0.1 * 3.0);
        assert!(inflate(1.0) > 1.0 && inflate(1.0) < 1.0 + 2e-9);
        assert!(deflate(1.0) < 1.0);
        assert_eq!(inflate(f64::NAN), f64::INFINITY);
    }

    #[test]
    fn one_tenth_from_a_division_is_exactly_one_tenth() {
        // Δ/b = 1/10 must give the same double as the literal 0.1, so a
        // Laplace event and a PureDp{0.1} event cost the same.
        assert_eq!(div_up(1.0, 10.0), 0.1);
    }
}
