//! The discrete Gaussian on integer vectors: its exact hockey-stick
//! divergence, summed over the integer lattice, for every worst-case shift.
//!
//! The noise N ∈ ℤᵈ has independent coordinates with P(Nᵢ = x) = φ(x)/Z,
//! φ(x) = e^{−x²/(2σ²)}. For neighbouring inputs whose query values differ
//! by an integer vector k, the privacy loss at the output f(D) + N is
//!
//! L = Σᵢ (kᵢ² − 2kᵢNᵢ)/(2σ²) = (‖k‖² − 2S)/(2σ²),  S = Σᵢ kᵢNᵢ,
//!
//! so S is an integer and δ_k(ε) = E[(1 − e^{ε−L})₊] is a sum over the
//! one-dimensional distribution of S, the convolution of the laws of the
//! kᵢNᵢ. That sum is the exact lattice sum Σ_{y∈ℤᵈ} (p(y) − e^ε p(y − k))₊,
//! reorganised.
//!
//! # Which shifts
//!
//! The noise is symmetric, so only the multiset {|kᵢ|} matters. Dropping a
//! coordinate of a shift is a projection of the output — post-processing —
//! so it never increases a hockey-stick divergence, also inside a
//! composition. With N = ⌊Δ₂²⌋ (integer vectors have integer squared norm)
//! and at most d non-zero coordinates, the shifts to check are the
//! multisets of positive integers with Σaⱼ² = N (fewer than d parts: every
//! smaller one is a projection of one of these) and those with exactly d
//! parts and Σaⱼ² ≤ N. The profile reported is the maximum over them, an
//! upper bound of the supremum over all neighbouring pairs; the
//! privacy-loss distribution is their upper envelope (see `Pld::envelope`).
//! For d = 1 the shifts are 1, …, ⌊Δ₂⌋.
//!
//! # Rounding
//!
//! Every probability is rounded up: each φ(x) carries a bound on its float
//! error, the truncated normaliser is a lower bound of Z, the mass beyond
//! |Nᵢ| > R (R ≈ 11.8σ, less than 10⁻³⁰ per coordinate, bounded in closed
//! form) is added to δ whole, convolutions of non-negative terms carry a
//! relative error bound, and losses are rounded up. So each δ_k is an upper
//! bound of the exact lattice sum.
//!
//! # Limits
//!
//! The enumeration and the convolutions are bounded before they start
//! (N ≤ [`MAX_NORM_SQ`], at most [`MAX_SHIFTS`] shifts, at most
//! [`MAX_WORK`] multiply-adds): beyond them [`LatticeProfile::new`]
//! returns `None` and callers fall back to the zCDP bound (ρ = Δ₂²/(2σ²),
//! valid for vectors: Canonne, Kamath, Steinke 2020, Thm. 14).

use crate::rounding::{REL_MARGIN, div_up, inflate, mul_down};

/// The largest ⌊Δ₂²⌋ whose shifts are enumerated.
pub(crate) const MAX_NORM_SQ: u64 = 1024;
/// The most shifts (multisets) checked.
pub(crate) const MAX_SHIFTS: usize = 256;
/// The most multiply-adds spent on convolutions, over all shifts.
pub(crate) const MAX_WORK: f64 = 6e7;
/// The most lattice points kept per shift.
const MAX_POINTS: usize = 1 << 22;
/// Mass allowed beyond ±R per coordinate.
const COORDINATE_TAIL: f64 = 1e-30;

const U: f64 = f64::EPSILON;

/// The distribution of S = Σ aⱼNⱼ for one shift: P(S = g·(first + i)) ≤ mass[i].
#[derive(Clone, Debug)]
struct ShiftLaw {
    /// ‖k‖², an integer.
    norm_sq: f64,
    /// The stride g of the support.
    stride: i64,
    first: i64,
    mass: Vec<f64>,
    /// Upper bound of the probability that some coordinate was truncated.
    tail: f64,
}

/// The exact lattice profile of a discrete Gaussian (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct LatticeProfile {
    /// 2σ², rounded down (losses are divided by it, so they round up).
    two_var: f64,
    shifts: Vec<ShiftLaw>,
}

/// The multisets {aⱼ} (non-increasing) of the module documentation, or
/// `None` if there are more than `cap`. Iterative depth-first search: every
/// partial multiset extends to at least one listed one, so at most
/// `cap · min(d, n)` steps are taken.
fn shifts(n: u64, d: u64, cap: usize) -> Option<Vec<Vec<u64>>> {
    let d = d.min(n);
    let mut out = Vec::new();
    let mut parts: Vec<u64> = Vec::new();
    let mut sum = 0u64;
    loop {
        let leaf = parts.len() as u64 == d || sum == n;
        if !leaf {
            let bound = parts.last().copied().unwrap_or(u64::MAX);
            let a = bound.min((n - sum).isqrt());
            // n − sum ≥ 1 here, so a ≥ 1.
            parts.push(a);
            sum += a * a;
            continue;
        }
        out.push(parts.clone());
        if out.len() > cap {
            return None;
        }
        // Backtrack to the deepest part that can be lowered.
        loop {
            let Some(a) = parts.pop() else {
                return Some(out);
            };
            sum -= a * a;
            if a > 1 {
                parts.push(a - 1);
                sum += (a - 1) * (a - 1);
                break;
            }
        }
    }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

impl LatticeProfile {
    /// The profile of discrete Gaussian noise of scale `sigma` on integer
    /// queries whose neighbouring values differ by at most `l2_sensitivity`
    /// in L2 norm, in at most `dimension` coordinates (`None`: any number);
    /// `None` when beyond the limits of the module documentation.
    pub(crate) fn new(l2_sensitivity: f64, sigma: f64, dimension: Option<u64>) -> Option<Self> {
        if !(l2_sensitivity.is_finite() && sigma.is_finite() && sigma > 0.0) {
            return None;
        }
        // ⌊fl(Δ²)⌋ ≥ ⌊Δ²⌋ (rounding is monotone and integers are exact);
        // below 1 no integer vector can move, which is reported as 1 (safe).
        let sq = l2_sensitivity * l2_sensitivity;
        if sq.is_nan() || sq > MAX_NORM_SQ as f64 {
            return None;
        }
        // A Δ² a few ulps below an integer counts as that integer: callers
        // write `sqrt(3.0)` for √3, whose square is 2.9999999999999996, and
        // dropping the shifts of norm² 3 would under-report δ by far more
        // than the rounding (more shifts only make the answer larger).
        let n = ((sq * (1.0 + 8.0 * f64::EPSILON)).floor() as u64).max(1);
        let d = dimension.unwrap_or(u64::MAX).max(1);
        let multisets = shifts(n, d, MAX_SHIFTS)?;
        let base = CoordinateLaw::new(sigma)?;
        // Cost of the convolutions, before doing any.
        let width = base.mass.len() as f64 - 1.0;
        let mut work = 0.0;
        for parts in &multisets {
            // The same recurrence as `shift_law`, on lengths only.
            let (mut stride, mut len) = (parts[0] as i64, width + 1.0);
            for &a in &parts[1..] {
                let g = gcd(stride, a as i64);
                work += len * (width + 1.0);
                len = (stride / g) as f64 * (len - 1.0) + (a as i64 / g) as f64 * width + 1.0;
                stride = g;
                if len > MAX_POINTS as f64 {
                    return None;
                }
            }
            work += len;
        }
        if work > MAX_WORK {
            return None;
        }
        let shifts = multisets
            .iter()
            .map(|parts| base.shift_law(parts))
            .collect();
        Some(LatticeProfile {
            two_var: mul_down(2.0 * sigma, sigma),
            shifts,
        })
    }

    /// The loss at S = s for a shift of squared norm `norm_sq`, rounded up.
    fn loss(&self, norm_sq: f64, s: f64) -> f64 {
        div_up(norm_sq - 2.0 * s, self.two_var)
    }

    /// δ(ε): the largest exact lattice sum over the shifts, rounded up.
    pub(crate) fn delta(&self, epsilon: f64) -> f64 {
        let mut worst = 0.0f64;
        for law in &self.shifts {
            let mut sum = 0.0;
            for (i, &m) in law.mass.iter().enumerate() {
                let s = (law.stride * (law.first + i as i64)) as f64;
                let l = self.loss(law.norm_sq, s);
                if l <= epsilon {
                    // Losses fall as S grows: nothing further contributes.
                    break;
                }
                sum += m * -(epsilon - l).exp_m1();
            }
            let n = law.mass.len() as f64;
            let d = sum * (1.0 + (n + 4.0) * U) + law.tail;
            worst = worst.max(d);
        }
        ((worst * (1.0 + REL_MARGIN)).next_up() + 1e-300).min(1.0)
    }

    /// Each shift's privacy-loss atoms (losses rounded up, masses rounded
    /// up, the truncated mass at +∞), for the privacy-loss distribution.
    pub(crate) fn atoms(&self) -> Vec<super::atoms::Atoms> {
        self.shifts
            .iter()
            .map(|law| {
                let mut atoms = super::atoms::Atoms {
                    losses: Vec::with_capacity(law.mass.len()),
                    masses: Vec::with_capacity(law.mass.len()),
                    infinity: law.tail,
                };
                // From the largest S (lowest loss) up, so losses increase.
                for (i, &m) in law.mass.iter().enumerate().rev() {
                    if m > 0.0 {
                        let s = (law.stride * (law.first + i as i64)) as f64;
                        atoms.losses.push(self.loss(law.norm_sq, s));
                        atoms.masses.push(m);
                    }
                }
                atoms
            })
            .collect()
    }

    /// The number of shifts checked.
    #[cfg(test)]
    pub(crate) fn shift_count(&self) -> usize {
        self.shifts.len()
    }
}

/// One coordinate's law, truncated to [−R, R], probabilities rounded up.
struct CoordinateLaw {
    reach: i64,
    mass: Vec<f64>,
    /// Upper bound of P(|N| > R).
    tail: f64,
}

impl CoordinateLaw {
    fn new(sigma: f64) -> Option<CoordinateLaw> {
        let reach = (sigma * (2.0 * (1.0 / COORDINATE_TAIL).ln()).sqrt()).ceil() + 1.0;
        if reach.is_nan() || 2.0 * reach + 1.0 > MAX_POINTS as f64 {
            return None;
        }
        let r = reach as i64;
        let s2 = 2.0 * sigma * sigma;
        // φ(x) with its float error: the exponent carries ≤ 2 ulps of its
        // magnitude, exp one more ulp.
        let phi = |x: f64| {
            let arg = x * x / s2;
            ((-arg).exp(), (2.0 * arg + 2.0) * U)
        };
        let mut lower_z = 0.0;
        let mut values = Vec::with_capacity(2 * r as usize + 1);
        for x in -r..=r {
            let (v, e) = phi(x as f64);
            lower_z += v * (1.0 - e);
            values.push(v * (1.0 + e));
        }
        // Summation error of 2R + 1 non-negative terms.
        let lower_z = lower_z * (1.0 - (2.0 * reach + 4.0) * U);
        if lower_z.is_nan() || lower_z <= 0.0 {
            return None;
        }
        let mass: Vec<f64> = values
            .into_iter()
            .map(|v| (v / lower_z) * (1.0 + 2.0 * U))
            .collect();
        // Σ_{x>R} φ(x) ≤ φ(R+1)/(1 − q), q = e^{−(2R+3)/(2σ²)} bounding the
        // ratio of consecutive terms; both sides.
        let beyond = phi(reach + 1.0).0 / -(-(2.0 * reach + 3.0) / s2).exp_m1();
        let tail = inflate(2.0 * beyond / lower_z).min(1.0);
        Some(CoordinateLaw {
            reach: r,
            mass,
            tail,
        })
    }

    /// The law of S = Σ aⱼNⱼ for the multiset `parts`.
    fn shift_law(&self, parts: &[u64]) -> ShiftLaw {
        let norm_sq: u64 = parts.iter().map(|a| a * a).sum();
        let first_part = parts[0] as i64;
        let (mut stride, mut first, mut mass) = (first_part, -self.reach, self.mass.clone());
        let mut rel = 0.0;
        for &a in &parts[1..] {
            let a = a as i64;
            let g = gcd(stride, a);
            let (sa, sb) = (stride / g, a / g);
            let len = (sa as usize) * (mass.len() - 1) + (sb as usize) * (self.mass.len() - 1) + 1;
            let mut out = vec![0.0; len];
            for (i, &x) in mass.iter().enumerate() {
                if x == 0.0 {
                    continue;
                }
                let base = sa as usize * i;
                for (j, &y) in self.mass.iter().enumerate() {
                    out[base + sb as usize * j] += x * y;
                }
            }
            // Each output sums at most min(len) non-negative products.
            rel += (mass.len().min(self.mass.len()) as f64 + 2.0) * U;
            first = sa * first + sb * -self.reach;
            stride = g;
            mass = out;
        }
        let factor = 1.0 + 2.0 * rel;
        for m in &mut mass {
            *m *= factor;
        }
        ShiftLaw {
            norm_sq: norm_sq as f64,
            stride,
            first,
            mass,
            tail: inflate(self.tail * parts.len() as f64).min(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_are_the_maximal_multisets() {
        assert_eq!(shifts(1, u64::MAX, 10).unwrap(), vec![vec![1]]);
        assert_eq!(shifts(2, u64::MAX, 10).unwrap(), vec![vec![1, 1]]);
        assert_eq!(
            shifts(4, u64::MAX, 10).unwrap(),
            vec![vec![2], vec![1, 1, 1, 1]]
        );
        assert_eq!(shifts(4, 1, 10).unwrap(), vec![vec![2], vec![1]]);
        assert_eq!(
            shifts(8, 2, 10).unwrap(),
            vec![vec![2, 2], vec![2, 1], vec![1, 1]]
        );
        assert_eq!(
            shifts(5, u64::MAX, 10).unwrap(),
            vec![vec![2, 1], vec![1, 1, 1, 1, 1]]
        );
        // Many multisets: refused rather than enumerated.
        assert!(shifts(1000, u64::MAX, 50).is_none());
    }

    #[test]
    fn one_coordinate_is_the_scalar_discrete_gaussian() {
        // Δ = 1, σ = 3: one shift, and the profile agrees with the scalar bound.
        let p = LatticeProfile::new(1.0, 3.0, Some(1)).unwrap();
        assert_eq!(p.shift_count(), 1);
        let scalar = crate::mechanism::discrete_gaussian_delta(1.0, 1.0, 3.0);
        let ours = p.delta(1.0);
        assert!(
            (ours / scalar - 1.0).abs() < 1e-6,
            "{ours} vs {scalar} (both upper bounds of the same sum)"
        );
    }

    #[test]
    fn limits_are_checked_before_work() {
        assert!(LatticeProfile::new(1e6, 3.0, None).is_none());
        assert!(LatticeProfile::new(1.0, 1e9, Some(1)).is_none());
        assert!(LatticeProfile::new(f64::NAN, 1.0, None).is_none());
        assert!(
            LatticeProfile::new(30.0, 5.0, None).is_none(),
            "too many shifts"
        );
    }
}
