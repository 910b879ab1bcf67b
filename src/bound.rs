//! Clamping and clipping of inputs, the first step of every bounded mechanism.
//!
//! Clamping is what turns an unbounded column into one whose sensitivity a
//! mechanism can be calibrated to: after `clamp(x, lo, hi)` one record moves a
//! sum by at most `max(|lo|, |hi|)` (add/remove) or `hi - lo` (replace).
//!
//! Also here: L1/L2 norm clipping of vectors ([`clip_l1`], [`clip_l2`]),
//! per-unit contribution bounding ([`sample_contributions`],
//! [`l1_sensitivity`], [`l2_sensitivity`]), Poisson sampling of privacy
//! units for amplification ([`poisson_sample`]) and post-processing of released
//! values ([`non_negative`], [`round_count`]).

use std::collections::HashMap;
use std::hash::Hash;

use crate::error::{Error, Result, check_finite, check_positive, describe_f64};
use crate::rng::NoiseRng;
use crate::rounding::{add_up, count_up, div_up, mul_up, sqrt_up};

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

fn check_vector(values: &[f64]) -> Result<()> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::invalid("values", "must be finite (got NaN or ±inf)"))
    }
}

/// Scales `values` in place so that their L1 norm `Σ|x_i|` is at most
/// `bound`, and returns the factor applied (1 when already within, 0 in the
/// degenerate case below).
///
/// The bound holds for the exact norm of the returned doubles, including
/// subnormal ones: every product is rounded toward zero (so no component
/// grows), and the result is checked with a norm rounded upward; if the
/// check fails, the vector is shrunk again (at most a few times; if it never
/// passes, every value is set to 0, which is within any bound).
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `bound` is not finite and `> 0` or a value
/// is not finite (nothing is changed then).
pub fn clip_l1(values: &mut [f64], bound: f64) -> Result<f64> {
    check_positive("bound", bound)?;
    check_vector(values)?;
    Ok(scale_to(values, bound, l1_norm_up))
}

/// Scales `values` in place so that their L2 norm `√Σx_i²` is at most
/// `bound`, and returns the factor applied (1 when already within, 0 in the
/// degenerate case of [`clip_l1`]).
///
/// The bound holds for the exact norm of the returned doubles, as for
/// [`clip_l1`]; the norm is computed as `m·√Σ(x_i/m)²` with `m = max|x_i|`,
/// so squares neither overflow nor underflow.
///
/// # Errors
///
/// [`Error::InvalidArgument`] as for [`clip_l1`].
pub fn clip_l2(values: &mut [f64], bound: f64) -> Result<f64> {
    check_positive("bound", bound)?;
    check_vector(values)?;
    Ok(scale_to(values, bound, l2_norm_up))
}

/// An upper bound of the exact L1 norm of `values` (finite or +∞).
fn l1_norm_up(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |sum, v| add_up(sum, v.abs()))
}

/// An upper bound of the exact L2 norm of `values` (finite or +∞).
fn l2_norm_up(values: &[f64]) -> f64 {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    let squares = values.iter().fold(0.0, |sum, v| {
        let q = div_up(v.abs(), largest).min(1.0);
        add_up(sum, mul_up(q, q))
    });
    mul_up(sqrt_up(squares), largest)
}

/// `v · factor` rounded toward zero (`factor ≥ 0` finite): the magnitude never
/// exceeds the exact product's.
fn mul_toward_zero(v: f64, factor: f64) -> f64 {
    let magnitude = v.abs();
    let p = magnitude * factor;
    // The residual's sign is exact, also when it underflows (a zero keeps the
    // sign of the exact value); −0 or less means p exceeds the exact product.
    let p = if p > 0.0 && magnitude.mul_add(factor, -p).is_sign_negative() {
        p.next_down()
    } else {
        p
    };
    p.copysign(v)
}

/// How many times [`scale_to`] shrinks a vector before giving up and zeroing
/// it; one pass suffices except for rounding at the edge of the range.
const SHRINK_PASSES: u32 = 8;

/// 2⁻⁷⁰: after this scaling, no norm of fewer than 2⁶⁴ finite values overflows.
const OVERFLOW_SHRINK: f64 = 8.470_329_472_543_003e-22;

/// Scales `values` so that `norm_up` (an upper bound of the exact norm) is at
/// most `bound`, rounding every product toward zero; returns the factor.
fn scale_to(values: &mut [f64], bound: f64, norm_up: fn(&[f64]) -> f64) -> f64 {
    let mut norm = norm_up(values);
    if norm <= bound {
        return 1.0;
    }
    let mut applied = 1.0;
    for _ in 0..SHRINK_PASSES {
        // Slightly below bound / norm; the check below is what guarantees.
        let factor = if norm.is_finite() {
            (bound / norm) * (1.0 - 4.0 * f64::EPSILON)
        } else {
            // The norm overflowed: bring it into range first (exact: a
            // power of two), then compute the factor on the next pass.
            OVERFLOW_SHRINK
        };
        for v in values.iter_mut() {
            *v = mul_toward_zero(*v, factor);
        }
        applied *= factor;
        norm = norm_up(values);
        if norm <= bound {
            return applied;
        }
    }
    values.fill(0.0);
    0.0
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

/// Poisson sampling of privacy units: every distinct unit (key) is kept,
/// with all its items, independently with probability exactly `rate` (the
/// dyadic rational the `f64` denotes, decided by an exact Bernoulli trial on
/// the generator's bits), and dropped otherwise. The order of the kept items
/// is unspecified.
///
/// A mechanism run on the result is amplified as the accountant's
/// [`PrivacyEvent::PoissonSampledGaussian`](crate::accountant::PrivacyEvent::PoissonSampledGaussian)
/// and [`PoissonSampledLaplace`](crate::accountant::PrivacyEvent::PoissonSampledLaplace)
/// events state (add/remove one unit). The sample must be used once: a
/// second release from the same sample is not a fresh sampled release.
///
/// ```
/// use ilsprivacy::bound::poisson_sample;
/// use ilsprivacy::rng::with_secure_rng;
///
/// let loans = vec![("patron-a", 1), ("patron-a", 2), ("patron-b", 3)];
/// let sample = with_secure_rng(|rng| poisson_sample(loans, 0.5, rng))??;
/// assert!(sample.len() <= 3);
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `rate` unless 0 < rate ≤ 1.
pub fn poisson_sample<K: Hash + Eq + Clone, V, R: NoiseRng + ?Sized>(
    items: Vec<(K, V)>,
    rate: f64,
    rng: &mut R,
) -> Result<Vec<(K, V)>> {
    if !(rate > 0.0 && rate <= 1.0) {
        return Err(Error::invalid(
            "rate",
            format!("must be in (0, 1], got {}", describe_f64(rate)),
        ));
    }
    let p = crate::sample::Rational::from_f64("rate", rate)?;
    let mut keep: HashMap<K, bool> = HashMap::new();
    let mut kept = Vec::new();
    for (k, v) in items {
        let decided = match keep.get(&k) {
            Some(&d) => d,
            None => {
                let d = crate::sample::bernoulli_rational(rng, &p)?;
                keep.insert(k.clone(), d);
                d
            }
        };
        if decided {
            kept.push((k, v));
        }
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
    fn clipping_is_exact_for_subnormal_vectors_and_overflowing_norms() {
        // Subnormal doubles are integer multiples of 2^-1074: their exact L1
        // norm, in those units, is the sum of their bit patterns.
        let units = |x: f64| x.abs().to_bits();
        let bound = f64::from_bits(1_000_003);
        for n in [2u64, 3, 7, 100] {
            for seed in 0..50u64 {
                let mut v: Vec<f64> = (0..n)
                    .map(|i| {
                        let x = f64::from_bits((seed * 7919 + i * 104_729) % 900_001 + 600_000);
                        if i % 2 == 0 { x } else { -x }
                    })
                    .collect();
                let before: u64 = v.iter().map(|&x| units(x)).sum();
                assert!(before > units(bound));
                let f = clip_l1(&mut v, bound).unwrap();
                let after: u64 = v.iter().map(|&x| units(x)).sum();
                assert!(f > 0.0 && f < 1.0);
                assert!(after <= units(bound), "n {n} seed {seed}: {after}");
                assert!(
                    after + 2 * n + 2 >= units(bound),
                    "n {n} seed {seed}: {after}"
                );
                // L2 of the clipped subnormals: checked through exact integers.
                let f = clip_l2(&mut v, bound).unwrap();
                let squares: u128 = v.iter().map(|&x| u128::from(units(x)).pow(2)).sum();
                assert!(squares <= u128::from(units(bound)).pow(2), "{f}");
            }
        }
        // Norms that overflow a double are brought into range first.
        let mut huge = vec![f64::MAX; 4];
        let f = clip_l1(&mut huge, 1.0).unwrap();
        assert!(f > 0.0 && huge.iter().all(|&x| x > 0.24 && x <= 0.25));
        let mut huge = vec![-f64::MAX; 3];
        clip_l2(&mut huge, 2.0).unwrap();
        assert!(huge.iter().all(|&x| x < -1.1 && x >= -2.0 / 3f64.sqrt()));
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

    /// Each unit is kept with its items or not at all, and the number of
    /// units kept is Binomial(n, rate): with 20,000 units at rate 0.3 the
    /// count must lie within 5 standard deviations of 6000 (a false failure
    /// has probability below 10⁻⁶ for a random seed; the seed is fixed).
    #[test]
    fn poisson_sample_keeps_whole_units_at_the_rate() {
        let mut rng = crate::rng::InsecureSeededRng::from_seed_insecure(19);
        let items: Vec<(u32, u32)> = (0..20_000u32).flat_map(|u| [(u, 0), (u, 1)]).collect();
        let kept = poisson_sample(items, 0.3, &mut rng).unwrap();
        let mut per_unit: HashMap<u32, usize> = HashMap::new();
        for (u, _) in &kept {
            *per_unit.entry(*u).or_default() += 1;
        }
        assert!(per_unit.values().all(|&c| c == 2), "a unit was split");
        let n = per_unit.len() as f64;
        let sd = (20_000.0f64 * 0.3 * 0.7).sqrt();
        assert!((n - 6000.0).abs() < 5.0 * sd, "{n} units kept");
        // Rate 1 keeps everything; invalid rates are refused.
        let all = poisson_sample(vec![(1, 1), (2, 2)], 1.0, &mut rng).unwrap();
        assert_eq!(all.len(), 2);
        for bad in [0.0, -1.0, 1.0000001, f64::NAN, f64::INFINITY] {
            let e = poisson_sample(vec![(1, 1)], bad, &mut rng).unwrap_err();
            assert!(e.to_string().contains("rate"), "{e}");
        }
    }
}
