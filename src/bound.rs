//! Clamping and clipping of inputs, the first step of every bounded mechanism.
//!
//! Clamping is what turns an unbounded column into one whose sensitivity a
//! mechanism can be calibrated to: after `clamp(x, lo, hi)` one record moves a
//! sum by at most `max(|lo|, |hi|)` (add/remove) or `hi - lo` (replace).

use crate::error::{Error, Result, check_finite, describe_f64};

/// Checks that `[lo, hi]` is a finite, non-empty interval.
pub fn check_bounds(lo: f64, hi: f64) -> Result<()> {
    check_finite("lo", lo)?;
    check_finite("hi", hi)?;
    if lo > hi {
        return Err(Error::invalid(
            "lo",
            format!(
                "must be <= hi, got lo = {} > hi = {}",
                describe_f64(lo),
                describe_f64(hi)
            ),
        ));
    }
    Ok(())
}

/// Clamps `value` to `[lo, hi]`.
///
/// `±∞` clamp to the nearest bound; NaN is rejected (it has no nearest bound).
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `lo` or `hi` is not finite, `lo > hi`, or
/// `value` is NaN (the message does not contain the value).
///
/// # Example
///
/// ```
/// use ilsprivacy::bound::clamp;
/// assert_eq!(clamp(12.5, 0.0, 10.0).unwrap(), 10.0);
/// assert_eq!(clamp(f64::NEG_INFINITY, 0.0, 10.0).unwrap(), 0.0);
/// assert!(clamp(f64::NAN, 0.0, 10.0).is_err());
/// assert!(clamp(1.0, 3.0, 2.0).is_err());
/// ```
pub fn clamp(value: f64, lo: f64, hi: f64) -> Result<f64> {
    check_bounds(lo, hi)?;
    if value.is_nan() {
        return Err(Error::invalid("value", "must not be NaN"));
    }
    Ok(value.clamp(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn clamps_into_range() {
        assert_eq!(clamp(-3.0, -1.0, 1.0).unwrap(), -1.0);
        assert_eq!(clamp(0.25, -1.0, 1.0).unwrap(), 0.25);
        assert_eq!(clamp(f64::INFINITY, -1.0, 1.0).unwrap(), 1.0);
        assert_eq!(clamp(7.0, 2.0, 2.0).unwrap(), 2.0);
    }

    #[test]
    fn rejects_bad_bounds_and_nan() {
        let e = clamp(0.0, 1.0, 0.0).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(e.to_string(), "lo must be <= hi, got lo = 1 > hi = 0");
        let e = clamp(0.0, f64::NAN, 0.0).unwrap_err();
        assert_eq!(e.to_string(), "lo must be finite, got NaN");
        let e = clamp(0.0, 0.0, f64::INFINITY).unwrap_err();
        assert_eq!(e.to_string(), "hi must be finite, got inf");
        let e = clamp(f64::NAN, 0.0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "value must not be NaN");
    }
}
