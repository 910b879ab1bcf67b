//! Monotone searches that return the safe end of their bracket.

use crate::error::Result;

/// The smallest `x` in `(lo, hi]` (to within `rel_tol`) for which `fits(x)` holds,
/// where `fits` is monotone (false then true) and `fits(hi)` is known to hold.
///
/// Returns the upper end of the final bracket, at which `fits` was observed
/// to hold, so the answer is always a value that fits (never one past the
/// boundary on the unsafe side).
pub(crate) fn bisect_fitting_min(
    mut lo: f64,
    mut hi: f64,
    rel_tol: f64,
    mut fits: impl FnMut(f64) -> Result<bool>,
) -> Result<f64> {
    for _ in 0..2000 {
        if hi - lo <= rel_tol * hi.abs() || hi <= lo.next_up() {
            break;
        }
        // Bisect geometrically across orders of magnitude, arithmetically otherwise.
        let mid = if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else {
            lo + 0.5 * (hi - lo)
        };
        if mid <= lo || mid >= hi {
            break;
        }
        if fits(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Doubles `start` until `fits` holds; `None` if it does not within `limit`.
pub(crate) fn grow_until(
    start: f64,
    limit: f64,
    mut fits: impl FnMut(f64) -> Result<bool>,
) -> Result<Option<f64>> {
    let mut x = start;
    while x <= limit {
        if fits(x)? {
            return Ok(Some(x));
        }
        x *= 2.0;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_returns_the_fitting_end() {
        let x = bisect_fitting_min(0.0, 10.0, 1e-12, |x| Ok(x * x >= 2.0)).unwrap();
        assert!(x * x >= 2.0);
        assert!((x - 2f64.sqrt()).abs() < 1e-10);
        let x = bisect_fitting_min(1e-6, 1e6, 1e-12, |x| Ok(x >= 3.5)).unwrap();
        assert!((3.5..3.5 * (1.0 + 1e-11)).contains(&x));
        assert_eq!(
            grow_until(1.0, 1e3, |x| Ok(x >= 100.0)).unwrap(),
            Some(128.0)
        );
        assert_eq!(grow_until(1.0, 1e3, |_| Ok(false)).unwrap(), None);
    }
}
