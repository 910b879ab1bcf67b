//! Clamping and clipping of inputs, the first step of every bounded mechanism.
//!
//! Clamping is what turns an unbounded column into one whose sensitivity a
//! mechanism can be calibrated to: after `clamp(x, lo, hi)` one record moves a
//! sum by at most `max(|lo|, |hi|)` (add/remove) or `hi - lo` (replace).
//!
//! Also here: L1/L2 norm clipping of vectors ([`clip_l1`], [`clip_l2`]),
//! per-unit contribution bounding ([`sample_contributions`],
//! [`l1_sensitivity`], [`l2_sensitivity`]) and post-processing of released
//! values ([`non_negative`], [`round_count`]).

use std::collections::HashMap;
use std::hash::Hash;

use crate::error::{Error, Result, check_finite, check_positive, describe_f64};
use crate::rng::NoiseRng;
use crate::rounding::{count_up, mul_up, sqrt_up};

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

/// Relative margin so that rounding cannot push a clipped norm above its bound.
fn clip_margin(n: usize, extra: f64) -> f64 {
    1.0 - (n as f64 + extra) * f64::EPSILON
}

fn check_vector(values: &[f64]) -> Result<()> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::invalid("values", "must be finite (got NaN or ±inf)"))
    }
}

/// Scales `values` in place so that their L1 norm `Σ|x_i|` is at most
/// `bound`, and returns the factor applied (1 when already within).
///
/// The bound holds for the exact norm of the returned doubles: the factor
/// includes a relative margin of `(n + 2)·2^−52` that covers the rounding of
/// the computed norm and of the products.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `bound` is not finite and `> 0` or a value
/// is not finite (nothing is changed then).
pub fn clip_l1(values: &mut [f64], bound: f64) -> Result<f64> {
    check_positive("bound", bound)?;
    check_vector(values)?;
    let norm: f64 = values.iter().map(|v| v.abs()).sum();
    scale_to(values, norm, bound, clip_margin(values.len(), 2.0))
}

/// Scales `values` in place so that their L2 norm `√Σx_i²` is at most
/// `bound`, and returns the factor applied (1 when already within).
///
/// The bound holds for the exact norm of the returned doubles (relative
/// margin `(n + 4)·2^−52`). Sums of squares that overflow are rescaled first.
///
/// # Errors
///
/// [`Error::InvalidArgument`] as for [`clip_l1`].
pub fn clip_l2(values: &mut [f64], bound: f64) -> Result<f64> {
    check_positive("bound", bound)?;
    check_vector(values)?;
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return Ok(1.0);
    }
    // √Σ(x/m)² · m avoids overflow and underflow of the squares.
    let norm = values
        .iter()
        .map(|v| (v / largest) * (v / largest))
        .sum::<f64>()
        .sqrt()
        * largest;
    scale_to(values, norm, bound, clip_margin(values.len(), 4.0))
}

fn scale_to(values: &mut [f64], norm: f64, bound: f64, margin: f64) -> Result<f64> {
    if norm <= bound * margin {
        return Ok(1.0);
    }
    let factor = bound * margin / norm;
    for v in values.iter_mut() {
        *v *= factor;
    }
    Ok(factor)
}

/// Keeps, for every privacy unit, a uniformly random subset of at most
/// `max_per_unit` of its items (Google's per-partition contribution
/// bounding); the order of the kept items is unspecified.
///
/// After this, one unit changes a count by at most `max_per_unit` and a sum
/// of values clamped to `[lo, hi]` by at most `max_per_unit · max(|lo|, |hi|)`.
/// The selection depends only on each unit's own items and the generator.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `max_per_unit` is 0.
pub fn sample_contributions<K: Hash + Eq + Clone, V, R: NoiseRng + ?Sized>(
    items: Vec<(K, V)>,
    max_per_unit: usize,
    rng: &mut R,
) -> Result<Vec<(K, V)>> {
    if max_per_unit == 0 {
        return Err(Error::invalid("max_per_unit", "must be >= 1, got 0"));
    }
    let mut by_unit: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in items {
        by_unit.entry(k).or_default().push(v);
    }
    let mut kept = Vec::new();
    for (k, mut vs) in by_unit {
        // Partial Fisher–Yates: the first `take` items are a uniform subset.
        let take = vs.len().min(max_per_unit);
        for i in 0..take {
            let j = i + rng.uniform_below((vs.len() - i) as u64) as usize;
            vs.swap(i, j);
        }
        vs.truncate(take);
        kept.extend(vs.into_iter().map(|v| (k.clone(), v)));
    }
    Ok(kept)
}

/// L1 sensitivity of per-partition sums when a unit touches at most
/// `max_partitions` partitions with at most `linf` each: `L0 · L∞`, rounded up.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `max_partitions` is 0 or `linf` is not
/// finite and `> 0`.
pub fn l1_sensitivity(max_partitions: u64, linf: f64) -> Result<f64> {
    check_positive("linf", linf)?;
    if max_partitions == 0 {
        return Err(Error::invalid("max_partitions", "must be >= 1, got 0"));
    }
    Ok(mul_up(count_up(max_partitions), linf))
}

/// L2 sensitivity of per-partition sums: `√L0 · L∞`, rounded up.
///
/// # Errors
///
/// As [`l1_sensitivity`].
pub fn l2_sensitivity(max_partitions: u64, linf: f64) -> Result<f64> {
    check_positive("linf", linf)?;
    if max_partitions == 0 {
        return Err(Error::invalid("max_partitions", "must be >= 1, got 0"));
    }
    // √L0 with L0 rounded up first, then the root rounded up.
    Ok(mul_up(sqrt_up(count_up(max_partitions)), linf))
}

/// Post-processing: `max(x, 0)` for a released value (NaN stays NaN).
pub fn non_negative(x: f64) -> f64 {
    if x < 0.0 { 0.0 } else { x }
}

/// Post-processing of a released count: rounded to the nearest integer
/// (ties to even) and clamped to `[0, u64::MAX]`; NaN gives 0.
pub fn round_count(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else {
        x.round_ties_even() as u64
    }
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

    #[test]
    fn norm_clipping_respects_the_bound_exactly() {
        let mut v = [3.0, -4.0];
        let f = clip_l2(&mut v, 1.0).unwrap();
        assert!(f < 0.2 && f > 0.19);
        let exact: f64 = v.iter().map(|x| x * x).sum::<f64>();
        assert!(exact <= 1.0);
        let mut w = [0.1; 1000];
        let f = clip_l1(&mut w, 10.0).unwrap();
        assert!(f < 1.0);
        assert!(w.iter().map(|x| x.abs()).sum::<f64>() <= 10.0);
        let mut small = [0.1, 0.2];
        assert_eq!(clip_l1(&mut small, 1.0).unwrap(), 1.0);
        assert_eq!(small, [0.1, 0.2]);
        let mut huge = [1e300, 1e300];
        clip_l2(&mut huge, 1.0).unwrap();
        assert!(huge[0] <= 1.0 && huge[0] > 0.7);
        assert_eq!(clip_l2(&mut [0.0, 0.0], 1.0).unwrap(), 1.0);
        let e = clip_l1(&mut [1.0, f64::NAN], 1.0).unwrap_err();
        assert_eq!(e.to_string(), "values must be finite (got NaN or ±inf)");
        let e = clip_l2(&mut [1.0], 0.0).unwrap_err();
        assert_eq!(e.to_string(), "bound must be finite and > 0, got 0");
    }

    #[test]
    fn contributions_are_bounded_per_unit() {
        let mut rng = crate::rng::InsecureSeededRng::from_seed_insecure(8);
        let items: Vec<(u32, u32)> = (0..100).map(|i| (i % 3, i)).collect();
        let kept = sample_contributions(items, 5, &mut rng).unwrap();
        for unit in 0..3 {
            let n = kept.iter().filter(|(k, _)| *k == unit).count();
            assert_eq!(n, 5);
        }
        assert!(kept.iter().all(|(k, v)| v % 3 == *k));
        // Uniform choice: each of unit 0's 34 items is kept with probability 5/34.
        let mut hits = [0u64; 34];
        for _ in 0..4000 {
            let items: Vec<(u32, u32)> = (0..34).map(|i| (0, i)).collect();
            for (_, v) in sample_contributions(items, 5, &mut rng).unwrap() {
                hits[v as usize] += 1;
            }
        }
        for h in hits {
            let z = crate::sample::stats::binomial_z(h, 4000, 5.0 / 34.0);
            assert!(z.abs() < 5.0, "{hits:?}");
        }
        let e = sample_contributions(vec![(1, 1)], 0, &mut rng).unwrap_err();
        assert_eq!(e.to_string(), "max_per_unit must be >= 1, got 0");
    }

    #[test]
    fn sensitivities_and_post_processing() {
        assert_eq!(l1_sensitivity(3, 2.0).unwrap(), 6.0);
        let l2 = l2_sensitivity(4, 1.5).unwrap();
        assert!((3.0..3.000_001).contains(&l2));
        assert_eq!(
            l2_sensitivity(4, 1.5).unwrap(),
            3.0,
            "exact roots stay exact"
        );
        // L0 beyond 2^53 is rounded up before multiplying, never to nearest.
        let big = (1u64 << 53) + 1;
        assert!(l1_sensitivity(big, 1.0).unwrap() as u128 > u128::from(big));
        assert!(l1_sensitivity(0, 1.0).is_err());
        assert!(l2_sensitivity(1, f64::NAN).is_err());
        assert_eq!(non_negative(-3.5), 0.0);
        assert_eq!(non_negative(2.5), 2.5);
        assert_eq!(round_count(-4.2), 0);
        assert_eq!(round_count(2.5), 2);
        assert_eq!(round_count(3.5), 4);
        assert_eq!(round_count(f64::NAN), 0);
        assert_eq!(round_count(1e300), u64::MAX);
    }
}
