//! Privacy-loss distributions (PLDs) on a grid, with pessimistic
//! discretisation and FFT composition.
//!
//! For a dominating pair (P, Q) of a mechanism, the privacy loss is
//! L = ln(P(o)/Q(o)) with o ~ P, and the mechanism is (ε, δ)-DP exactly for
//!
//! δ(ε) = E[(1 − e^{ε−L})₊] + P(L = ∞)
//!
//! (the hockey-stick divergence). Losses of independent releases add, so
//! the PLD of a composition is the convolution of the PLDs (Sommer, Meiser,
//! Mohammadi 2019; Koskela, Jälkö, Honkela 2020; Google's dp_accounting).
//!
//! # Why the results are upper bounds
//!
//! - **Laplace: connect the dots.** The Laplace mechanism's PLD is
//!   discretised as in Doroshenko, Ghazi, Kamath, Kumar, Manurangsi,
//!   "Connect the Dots: Tighter Discrete Approximations of Privacy Loss
//!   Distributions" (PETS 2022): the mass at each true loss ℓ between grid
//!   points ℓⱼ ≤ ℓ ≤ ℓⱼ₊₁ is split between the two so that both its P-mass
//!   and its Q-mass (P-mass·e^{−ℓ}) are kept. Merging the two grid points
//!   back is a post-processing of the discrete pair, so the discrete pair
//!   dominates the true one and every composition of it dominates the true
//!   composition; its δ(ε) is the true δ at every grid point and the chord
//!   between them (δ is convex in e^ε), so the error is second order in h,
//!   where rounding losses up costs first order. The split masses have
//!   closed forms (sinh, tanh of h/4, no cancellation); every interval end
//!   is moved outward by an ulp and every mass pushed up by a bound on its
//!   float error, so each stored mass is at least the exact one (δ is a sum
//!   of masses times non-negative weights). A Laplace event is treated as
//!   having ε₀ = Δ/b rounded up (a Laplace of larger ε₀ dominates: the one
//!   of scale b' > b is the one of scale b plus independent noise). When
//!   ε₀ is a whole number M of grid steps (the accountant aligns its grid
//!   to the Laplace releases when they share one ε₀, taking ε₀' = M·h ≥ ε₀),
//!   the atoms at ±ε₀ sit on grid points and the PLD is exact at every grid
//!   point.
//! - **Other events: losses rounded up.** Mass whose loss lies in
//!   ((i−1)h, ih] is put at ih; bin edges are computed rounded down and atom
//!   positions rounded up, so no mass moves to a smaller loss. The discrete
//!   loss stochastically dominates the true one; (1 − e^{ε−ℓ})₊ is
//!   non-decreasing in ℓ and sums of dominating independent variables
//!   dominate, so every δ computed from the discrete PLD, composed or not,
//!   is ≥ the true δ ("privacy buckets", Meiser & Mohammadi 2018). (The two
//!   arguments combine: a dominating pair whose loss is then made
//!   stochastically larger still bounds δ from above.)
//! - **Discrete Gaussian vectors.** For each worst-case shift (see
//!   `lattice`) the loss is discrete; its atoms are rounded up to the grid
//!   and the PLD used is the upper envelope of theirs: at every grid point
//!   the largest survival function P(L > ℓ) over the shifts (suffix sums
//!   rounded up; masses are the differences, rounded up). It stochastically
//!   dominates each shift's loss, so compositions in which each release has
//!   any of the shifts are bounded.
//! - **Tails.** Mass above the discretised range (for the Gaussian, beyond
//!   11.5 standard deviations) is added to the atom at +∞; mass below it is
//!   put in the lowest bin (rounding up).
//! - **FFT composition.** The composed distribution is computed on a window
//!   chosen with Chernoff bounds so that at most 10⁻³⁰ of mass lies above it
//!   (δ·10⁻⁹ for an accountant's ε(δ) query); that bound is added to the
//!   atom at +∞ (the cyclic convolution folds mass from outside the window
//!   back inside, which only adds mass or is covered by that bound). A
//!   query may also cut the window below (losses under a floor, or four
//!   standard deviations under a Rényi estimate of the answer): δ(ε) is then
//!   only reported for ε above the cut (1 below it), and an answer at the
//!   cut is recomputed without it. For δ queries far in the tail the FFT is
//!   done on exponentially tilted masses (see `compose_fft`). Float error of the FFT is bounded a priori in
//!   the style of Higham (*Accuracy and Stability of Numerical Algorithms*,
//!   §24.1): each coefficient of a forward transform is off by at most
//!   (log₂ n + 1)·η·‖p‖₁ (η = 10⁻¹⁵ per stage), a c-th power of a
//!   coefficient z by at most (|z| + e)ᶜ − |z|ᶜ plus the rounding of binary
//!   powering, and the inverse adds (log₂ n + 1)·η relative (Parseval carries
//!   the spectral bound to an ℓ₂ bound on the masses, doubled for safety).
//!   δ(ε) adds √K times the accumulated bound, K being the number of bins
//!   above ε (Cauchy–Schwarz).
//! - **Queries** add a relative margin of 10⁻⁹ and round up; ε(δ) is
//!   verified by evaluating δ at the returned ε.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

use super::atoms::Atoms;
use super::lattice::LatticeProfile;
use super::special::{normal_cdf, normal_sf};
use super::zcdp::{check_delta, check_epsilon};
use crate::accountant::PrivacyEvent;
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rounding::{REL_MARGIN, add_up, count_up, div_down, div_up, inflate, mul_down, mul_up};

/// Mass allowed outside a composition window or a Gaussian's range, per side.
const TAIL_MASS: f64 = 1e-30;
/// Half-width of a Gaussian PLD's range in standard deviations: Φ̄(11.5) ≈ 6.3·10⁻³¹.
const GAUSSIAN_RANGE_SDS: f64 = 11.5;
/// Per-stage relative error of the FFT (Higham's η, with a generous twiddle error).
const FFT_STAGE_ERROR: f64 = 1e-15;
/// The largest number of grid bins (and FFT length) used; an accountant
/// coarsens its grid rather than exceed it.
pub(crate) const MAX_BINS: usize = 1 << 22;

/// A privacy-loss distribution on the grid {i·h}: masses of the (rounded-up)
/// privacy loss under the first distribution of a dominating pair, plus an
/// atom at +∞. See the module documentation for why queries are upper bounds.
#[derive(Clone, Debug)]
pub struct Pld {
    step: f64,
    first: i64,
    masses: Vec<f64>,
    infinity: f64,
    /// Bound on ‖(mᵢ − m*ᵢ)·e^{λℓᵢ}‖₂, m* masses at least the exact ones
    /// (the float error of an FFT composition; 0 when built directly).
    l2_error: f64,
    /// λ ≥ 0, the exponential weight of `l2_error` (see `compose_fft`).
    tilt: f64,
    /// δ(ε) is valid for ε ≥ this (−∞ unless a composition's window was cut
    /// below for a query; δ is reported as 1 below it).
    valid_from: f64,
}

/// Internal result of building a PLD: `None` when the grid is too fine.
type Built = Option<Pld>;

fn too_many_bins(step: f64) -> Error {
    Error::invalid(
        "step",
        format!(
            "{} is too fine for this privacy-loss distribution (more than {MAX_BINS} bins); use a larger step",
            describe_f64(step)
        ),
    )
}

fn check_step(step: f64) -> Result<f64> {
    check_positive("step", step)?;
    if step > 1.0 {
        return Err(Error::invalid(
            "step",
            format!("must be at most 1, got {}", describe_f64(step)),
        ));
    }
    Ok(step)
}

impl Pld {
    /// The default grid step h of loss values (dp_accounting's default too).
    ///
    /// cbindgen:ignore
    pub const DEFAULT_STEP: f64 = 1e-4;

    /// The PLD of no release (all mass at loss 0).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `step` unless 0 < step ≤ 1.
    pub fn identity(step: f64) -> Result<Pld> {
        check_step(step)?;
        Ok(Pld {
            step,
            first: 0,
            masses: vec![1.0],
            infinity: 0.0,
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// The PLD of one release of `event` on the grid of `step` (e.g.
    /// [`Pld::DEFAULT_STEP`]). Dominating pairs: Laplace and Gaussian noise of
    /// the event's scale shifted by the sensitivity (Laplace discretised by
    /// connecting the dots); discrete Laplace likewise on the integers
    /// (integer sensitivity); the discrete Gaussian through every worst-case
    /// integer shift of its dimension (the upper envelope, see the module
    /// documentation); ε-randomized response for pure ε-DP events (pure DP,
    /// exponential mechanism, non-integer discrete-Laplace sensitivity);
    /// (ε, δ) randomized response for (ε, δ)-DP events.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the event's invalid parameter,
    /// `step` (not in (0, 1], or too fine for the event), or `event` for a
    /// zCDP event (ρ-zCDP has no single privacy-loss distribution) or a
    /// discrete Gaussian too large to expand (⌊Δ₂²⌋ above 1024, too many
    /// worst-case shifts, or σ so large that the lattice sums exceed their
    /// work limit).
    pub fn from_event(event: &PrivacyEvent, step: f64) -> Result<Pld> {
        check_step(step)?;
        event.validate()?;
        Pld::build_event(event, step)?.ok_or_else(|| too_many_bins(step))
    }

    pub(crate) fn build_event(event: &PrivacyEvent, step: f64) -> Result<Built> {
        use PrivacyEvent as E;
        Ok(match *event {
            E::Laplace {
                l1_sensitivity,
                scale,
            } => Pld::laplace(div_up(l1_sensitivity, scale), step),
            E::Gaussian {
                l2_sensitivity,
                sigma,
            } => Pld::gaussian(div_up(l2_sensitivity, sigma), step),
            E::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => match Atoms::discrete_laplace(l1_sensitivity, scale) {
                Some(atoms) => Pld::from_atoms(&atoms, step),
                None => Pld::from_atoms(
                    &Atoms::randomized_response(div_up(l1_sensitivity, scale), 0.0),
                    step,
                ),
            },
            E::DiscreteGaussian {
                l2_sensitivity,
                sigma,
                dimension,
            } => {
                let profile =
                    LatticeProfile::new(l2_sensitivity, sigma, dimension).ok_or_else(|| {
                        Error::invalid(
                            "event",
                            "this discrete Gaussian is too large to expand into a privacy-loss \
                             distribution; use zCDP or RDP accounting",
                        )
                    })?;
                Pld::discrete_gaussian(&profile, step)
            }
            E::RandomizedResponse {
                epsilon,
                categories,
            } => Pld::from_atoms(&Atoms::k_randomized_response(epsilon, categories), step),
            E::Exponential { epsilon } | E::PureDp { epsilon } => {
                Pld::from_atoms(&Atoms::randomized_response(epsilon, 0.0), step)
            }
            E::ApproximateDp { epsilon, delta } => {
                Pld::from_atoms(&Atoms::randomized_response(epsilon, delta), step)
            }
            E::Zcdp { .. } => {
                return Err(Error::invalid(
                    "event",
                    "a zCDP release has no privacy-loss distribution; use zCDP or RDP accounting",
                ));
            }
            E::ContinualCountLaplace { .. } | E::ContinualCountGaussian { .. } => {
                let tree = event
                    .tree_equivalent()
                    .ok_or_else(|| Error::Internal("continual count without a tree".into()))?;
                return Pld::build_event(&tree, step);
            }
            E::PoissonSampledGaussian { .. } | E::PoissonSampledLaplace { .. } => {
                return Err(Error::invalid(
                    "event",
                    "Poisson-sampled releases are accounted with RDP (or basic composition); \
                     their privacy-loss distribution is not implemented",
                ));
            }
        })
    }

    /// The grid step h.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// P(L = ∞), including truncated tails.
    pub fn infinity_mass(&self) -> f64 {
        self.infinity
    }

    /// The number of grid bins stored.
    pub fn len(&self) -> usize {
        self.masses.len()
    }

    /// Always false: a PLD has at least one bin.
    pub fn is_empty(&self) -> bool {
        self.masses.is_empty()
    }

    /// The losses and masses of the grid bins, lowest loss first.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.masses
            .iter()
            .enumerate()
            .map(|(i, &m)| ((self.first + i as i64) as f64 * self.step, m))
    }

    /// The Gaussian mechanism with μ = Δ/σ: L ~ N(μ²/2, μ²) under P.
    pub(crate) fn gaussian(mu: f64, step: f64) -> Built {
        Pld::gaussian_above(mu, step, f64::NEG_INFINITY)
    }

    /// The Gaussian PLD with all mass below `min_loss` lumped into the lowest
    /// bin (rounding up, so still pessimistic). δ(ε) for ε ≥ `min_loss` is the
    /// same as for the full distribution, at a fraction of the cost.
    pub(crate) fn gaussian_above(mu: f64, step: f64, min_loss: f64) -> Built {
        let mean = mu * mu / 2.0;
        let lo = ((mean - GAUSSIAN_RANGE_SDS * mu).max(min_loss) / step).floor();
        let hi = div_up(mean + GAUSSIAN_RANGE_SDS * mu, step).ceil();
        if (hi - lo).is_nan() || hi - lo >= MAX_BINS as f64 {
            return None;
        }
        let (lo, hi) = (lo as i64, hi as i64);
        let n = (hi - lo + 1) as usize;
        // Edges rounded down; below the mean use the CDF, above the survival
        // function, so no difference cancels.
        let z = |i: i64| (mul_down(i as f64, step) - mean) / mu;
        // The smaller tail at z: Φ(z) for z ≤ 0, Φ̄(z) above (one erfc each).
        let small_tail = |z: f64| {
            if z <= 0.0 {
                normal_cdf(z)
            } else {
                normal_sf(z)
            }
        };
        let mut masses = Vec::with_capacity(n);
        let mut prev_z = z(lo);
        let mut prev_t = small_tail(prev_z);
        masses.push(if prev_z <= 0.0 { prev_t } else { 1.0 - prev_t });
        for i in lo + 1..=hi {
            let zi = z(i);
            let t = small_tail(zi);
            let m = if zi <= 0.0 {
                t - prev_t
            } else if prev_z > 0.0 {
                prev_t - t
            } else {
                (0.5 - prev_t) + (0.5 - t)
            };
            masses.push(m.max(0.0));
            prev_z = zi;
            prev_t = t;
        }
        let prev_high = if prev_z > 0.0 { prev_t } else { 1.0 - prev_t };
        Some(Pld {
            step,
            first: lo,
            masses,
            infinity: prev_high,
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// The Laplace mechanism with ε₀ = Δ/b: under P the loss is ε₀ with mass
    /// ½, −ε₀ with mass ½e^{−ε₀}, and has density ¼e^{−(ε₀−ℓ)/2} on
    /// (−ε₀, ε₀). Connect-the-dots on the grid (module documentation): on an
    /// interval [ℓⱼ, ℓⱼ + h] whose part inside (−ε₀, ε₀) is [ℓⱼ + u, ℓⱼ + v],
    /// with Eⱼ = e^{−(ε₀−ℓⱼ)/2} and D = 1 − e^{−h}, the density sends
    ///
    /// 2Eⱼ·sinh((u+v)/4)·sinh((v−u)/4)/D up to ℓⱼ₊₁ and
    /// 2Eⱼ·e^{−h/2}·sinh((2h−u−v)/4)·sinh((v−u)/4)/D down to ℓⱼ,
    ///
    /// and an atom of mass p at ℓⱼ + r sends p(1 − e^{−r})/D up and
    /// p·e^{−r}(1 − e^{−(h−r)})/D down.
    pub(crate) fn laplace(epsilon: f64, step: f64) -> Built {
        let h = step;
        let lo = div_down(-epsilon, h).floor();
        let hi = div_up(epsilon, h).floor() + 1.0;
        if (hi - lo).is_nan() || hi - lo >= MAX_BINS as f64 {
            return None;
        }
        let (lo, hi) = (lo as i64, hi as i64);
        let n = (hi - lo + 1) as usize;
        let mut masses = vec![0.0; n];
        // D rounded down (it divides).
        let d = -(-h).exp_m1() * (1.0 - 4.0 * f64::EPSILON);
        let down_half = (-h / 2.0).exp();
        // Offsets from grid point j, rounded outward: x − j·h with one rounding.
        let below = |j: i64, x: f64| (-(j as f64)).mul_add(h, x).next_down();
        let above = |j: i64, x: f64| (-(j as f64)).mul_add(h, x).next_up();
        for j in lo..hi {
            let u = below(j, -epsilon).clamp(0.0, h);
            let v = above(j, epsilon).clamp(0.0, h);
            if v <= u {
                continue;
            }
            // Eⱼ rounded up: ε₀ − ℓⱼ rounded down.
            let e = (-below(j, epsilon).max(0.0) / 2.0).exp();
            let width = ((v - u) / 4.0).sinh();
            let i = (j - lo) as usize;
            masses[i + 1] += 2.0 * e * ((u + v) / 4.0).sinh() * width / d;
            masses[i] += 2.0 * e * down_half * ((2.0 * h - u - v) / 4.0).sinh() * width / d;
        }
        let mut atom = |at: f64, p: f64| {
            let j = div_down(at, h).floor() as i64;
            let r_lo = below(j, at).clamp(0.0, h);
            let r_hi = above(j, at).clamp(0.0, h);
            let i = (j - lo) as usize;
            masses[i] += p * (-r_lo).exp() * -(-(h - r_lo)).exp_m1() / d;
            if r_hi > 0.0 {
                masses[i + 1] += p * -(-r_hi).exp_m1() / d;
            }
        };
        atom(epsilon, 0.5);
        atom(-epsilon, 0.5 * (-epsilon).exp());
        let margin = 1.0 + (64.0 + 4.0 * epsilon) * f64::EPSILON;
        for m in &mut masses {
            *m = (*m * margin).next_up();
        }
        Some(Pld {
            step,
            first: lo,
            masses,
            infinity: 0.0,
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// The Laplace mechanism with ε₀ = M·h exactly (M = `multiple` grid
    /// steps): connect-the-dots with the atoms on grid points, exact at every
    /// grid point. Interior points get Eᵢ·tanh(h/4), the two ends half of it
    /// plus the atoms ½ (at M) and ½e^{−ε₀} (at −M), Eᵢ = e^{−(M−i)h/2}
    /// (the formulas of [`Pld::laplace`] with u = 0, v = h; they sum to 1).
    pub(crate) fn laplace_aligned(multiple: i64, step: f64) -> Built {
        if multiple < 1 || 2 * multiple >= MAX_BINS as i64 {
            return None;
        }
        let m = multiple;
        let t = (step / 4.0).tanh();
        let epsilon = m as f64 * step;
        let mut masses: Vec<f64> = (-m..=m)
            .map(|i| ((m - i) as f64 * step / -2.0).exp() * t)
            .collect();
        let last = masses.len() - 1;
        masses[0] = 0.5 * masses[0] + 0.5 * (-epsilon).exp();
        masses[last] = 0.5 * masses[last] + 0.5;
        let margin = 1.0 + (16.0 + 4.0 * epsilon) * f64::EPSILON;
        for x in &mut masses {
            *x = (*x * margin).next_up();
        }
        Some(Pld {
            step,
            first: -m,
            masses,
            infinity: 0.0,
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// Finitely many atoms, each moved up to the grid.
    pub(crate) fn from_atoms(atoms: &Atoms, step: f64) -> Built {
        let index = |l: f64| div_up(l, step).ceil();
        let lo = atoms
            .losses
            .iter()
            .map(|&l| index(l))
            .fold(f64::INFINITY, f64::min);
        let hi = atoms
            .losses
            .iter()
            .map(|&l| index(l))
            .fold(f64::NEG_INFINITY, f64::max);
        if (hi - lo).is_nan() || hi - lo >= MAX_BINS as f64 {
            return None;
        }
        let lo = lo as i64;
        let mut masses = vec![0.0; (hi as i64 - lo + 1) as usize];
        for (&l, &m) in atoms.losses.iter().zip(&atoms.masses) {
            masses[(index(l) as i64 - lo) as usize] += m;
        }
        Some(Pld {
            step,
            first: lo,
            masses,
            infinity: atoms.infinity,
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// The discrete Gaussian: the upper envelope of the PLDs of its
    /// worst-case shifts (see the module documentation and `lattice`).
    pub(crate) fn discrete_gaussian(profile: &LatticeProfile, step: f64) -> Built {
        let parts: Option<Vec<Pld>> = profile
            .atoms()
            .iter()
            .map(|a| Pld::from_atoms(a, step))
            .collect();
        Pld::envelope(&parts?)
    }

    /// The upper envelope of PLDs on one grid: at every grid point the
    /// largest survival function (mass strictly above it plus +∞, suffix
    /// sums rounded up, plus the ℓ₂ error bound of each part spread as in
    /// its δ queries); masses are the differences, rounded up. `None` for an
    /// empty list or one too wide.
    pub(crate) fn envelope(parts: &[Pld]) -> Built {
        if parts.len() == 1 {
            return Some(parts[0].clone());
        }
        let first = parts.iter().map(|p| p.first).min()?;
        let last = parts
            .iter()
            .map(|p| p.first + p.masses.len() as i64 - 1)
            .max()?;
        let n = usize::try_from(last - first + 1).ok()?;
        if n > MAX_BINS {
            return None;
        }
        // survival[i]: mass at grid points ≥ first + i, plus +∞; survival[n]: +∞.
        let mut survival = vec![0.0f64; n + 1];
        for p in parts {
            let mut t = p.infinity;
            survival[n] = survival[n].max(t);
            for i in (0..n).rev() {
                let g = first + i as i64 - p.first;
                if g >= 0 && (g as usize) < p.masses.len() {
                    t = add_up(t, p.masses[g as usize]);
                }
                let safe = add_up(t, p.error_from(g.clamp(0, p.masses.len() as i64) as usize));
                survival[i] = survival[i].max(safe);
            }
        }
        let masses = (0..n)
            .map(|i| {
                if survival[i] > survival[i + 1] {
                    (survival[i] - survival[i + 1]).next_up()
                } else {
                    0.0
                }
            })
            .collect();
        Some(Pld {
            step: parts[0].step,
            first,
            masses,
            infinity: survival[n],
            l2_error: 0.0,
            tilt: 0.0,
            valid_from: f64::NEG_INFINITY,
        })
    }

    /// This PLD composed with `other` (same step).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `step` if the steps differ or the
    /// composition would need more than 2²² bins.
    pub fn compose(&self, other: &Pld) -> Result<Pld> {
        Pld::compose_all(&[(self, 1), (other, 1)])
    }

    /// `count` compositions of this PLD.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `count` if it is 0, or `step` as for
    /// [`Pld::compose`].
    pub fn self_compose(&self, count: u64) -> Result<Pld> {
        Pld::compose_all(&[(self, count)])
    }

    /// The composition of `countᵢ` copies of each PLD, in one FFT pass.
    ///
    /// # Errors
    ///
    /// As [`Pld::self_compose`]; `parts` must not be empty.
    pub fn compose_all(parts: &[(&Pld, u64)]) -> Result<Pld> {
        let Some(first) = parts.first() else {
            return Err(Error::invalid("parts", "must not be empty"));
        };
        for &(p, c) in parts {
            super::composition::check_count(c)?;
            if p.step != first.0.step {
                return Err(Error::invalid(
                    "step",
                    "privacy-loss distributions on different grids cannot be composed",
                ));
            }
        }
        compose_fft(parts, Tuning::PLAIN).ok_or_else(|| too_many_bins(first.0.step))
    }

    /// [`Pld::compose_all`] tuned for a query (see `compose_fft` and
    /// [`Tuning`]): the FFT done on masses tilted by e^{λℓ} (the same
    /// distribution, with float error bounds that are small relative to the
    /// masses near losses ε ≈ (ln M)′(λ), for δ queries far in the tail;
    /// λ = 0, or inputs carrying float error of their own, compose
    /// untilted), losses below a floor dropped, at most `max_bins` points.
    pub(crate) fn compose_tuned(parts: &[(&Pld, u64)], tune: Tuning) -> Result<Pld> {
        let Some(first) = parts.first() else {
            return Err(Error::invalid("parts", "must not be empty"));
        };
        for &(p, c) in parts {
            super::composition::check_count(c)?;
            if p.step != first.0.step {
                return Err(Error::invalid(
                    "step",
                    "privacy-loss distributions on different grids cannot be composed",
                ));
            }
        }
        compose_fft(parts, tune).ok_or_else(|| too_many_bins(first.0.step))
    }

    /// δ(ε) of this PLD, rounded up (see the module documentation).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` if it is negative or not finite.
    pub fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        Ok(self.delta_at(epsilon))
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta`, rounded up; +∞ if the atom at
    /// +∞ alone exceeds `delta`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` unless 0 < δ < 1.
    pub fn epsilon(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        Ok(self.epsilon_at(delta))
    }

    fn loss(&self, i: usize) -> f64 {
        (self.first + i as i64) as f64 * self.step
    }

    /// A bound on Σ_{i ≥ j} |mᵢ − m*ᵢ| (the float error of the masses from
    /// bin j up): by Cauchy–Schwarz, `l2_error`·√(Σ_{i≥j} e^{−2λℓᵢ}), the
    /// sum in closed form (√(n − j) without a tilt), rounded up.
    pub(crate) fn error_from(&self, j: usize) -> f64 {
        let n = self.masses.len();
        if self.l2_error == 0.0 || j >= n {
            return 0.0;
        }
        let count = (n - j) as f64;
        if self.tilt == 0.0 {
            return mul_up(count.sqrt(), self.l2_error);
        }
        // Σ_{i=j}^{n−1} e^{−2λℓᵢ} ≤ e^{−2λℓⱼ}·min(n − j, 1/(1 − e^{−2λh})).
        let ratio = 1.0 / -(-2.0 * self.tilt * self.step).exp_m1();
        let g = (-self.tilt * self.loss(j)).exp() * count.min(ratio).sqrt();
        inflate(self.l2_error * g)
    }

    /// The variance of the loss over the finite bins (for window choices only).
    fn variance(&self) -> f64 {
        let total: f64 = self.masses.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return 0.0;
        }
        let mean = self.bins().map(|(l, m)| l * m).sum::<f64>() / total;
        self.bins()
            .map(|(l, m)| m * (l - mean) * (l - mean))
            .sum::<f64>()
            / total
    }

    /// A bound on ‖mᵢ − m*ᵢ‖₂ without a weight: `l2_error`·max e^{−λℓᵢ}.
    fn plain_l2_error(&self) -> f64 {
        if self.tilt == 0.0 || self.l2_error == 0.0 {
            return self.l2_error;
        }
        inflate(self.l2_error * (-self.tilt * self.loss(0)).exp())
    }

    /// The exact-arithmetic δ(ε) of the stored masses plus margins, rounded up.
    pub(crate) fn delta_at(&self, epsilon: f64) -> f64 {
        if epsilon < self.valid_from {
            return 1.0;
        }
        let start = ((epsilon / self.step).floor() as i64 - self.first - 1).max(0) as usize;
        let mut sum = 0.0;
        let mut above = 0usize;
        for (i, &m) in self.masses.iter().enumerate().skip(start) {
            // ℓᵢ − ε with a single rounding.
            let gap = ((self.first + i as i64) as f64).mul_add(self.step, -epsilon);
            if gap > 0.0 {
                sum += m * -(-gap).exp_m1();
                above += 1;
            }
        }
        // The bins above ε are the top `above` ones.
        let total = sum + self.infinity + self.error_from(self.masses.len() - above);
        (total * (1.0 + REL_MARGIN)).next_up().min(1.0)
    }

    pub(crate) fn epsilon_at(&self, delta: f64) -> f64 {
        if self.first > 0 && self.delta_at(0.0) <= delta {
            return 0.0;
        }
        let n = self.masses.len();
        let top = self.loss(n - 1);
        if self.delta_at(top) > delta {
            return f64::INFINITY;
        }
        // Suffix sums: a[j] = Σ_{i≥j} mᵢ, b[j] = Σ_{i≥j} mᵢ e^{−(i−j)h}.
        let r = (-self.step).exp();
        let mut a = vec![0.0; n + 1];
        let mut b = vec![0.0; n + 1];
        for j in (0..n).rev() {
            a[j] = a[j + 1] + self.masses[j];
            b[j] = self.masses[j] + r * b[j + 1];
        }
        let slack = |j: usize| self.infinity + self.error_from(j);
        // Approximate δ at loss ℓ_J (bins above J): a[J+1] − r·b[J+1].
        let approx = |jj: usize| (a[jj + 1] - r * b[jj + 1] + slack(jj + 1)) * (1.0 + REL_MARGIN);
        // The bin of loss 0 (answers are ≥ 0); ε = 0 if δ(0) is small enough.
        let zero = (-self.first).clamp(0, n as i64 - 1) as usize;
        if self.first <= 0 && approx(zero) <= delta && self.delta_at(0.0) <= delta {
            return 0.0;
        }
        let (mut lo, mut hi) = (zero, n - 1);
        // Smallest J with approx(J) ≤ δ (approx(n − 1) = slack ≤ δ was checked exactly).
        while lo < hi {
            let mid = (lo + hi) / 2;
            if approx(mid) <= delta {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let j = lo;
        // Inside (ℓ_{J−1}, ℓ_J]: δ(ε) = a[J] − e^{ε−ℓ_J}·b[J] + slack.
        let target = delta / (1.0 + REL_MARGIN);
        let x = (a[j] + slack(j) - target) / b[j];
        let mut candidate = if x > 0.0 && b[j] > 0.0 {
            self.loss(j) + x.ln()
        } else {
            self.loss(j)
        };
        if j > 0 {
            candidate = candidate.max(self.loss(j - 1));
        }
        candidate = candidate.min(self.loss(j)).max(0.0);
        // Verify with the exact evaluation; if the approximate suffix sums
        // were off, fall back to the first grid loss above that verifies
        // (δ falls as ε grows: a bisection over the grid, δ(top) ≤ δ holds).
        let eps = (inflate(candidate) + 1e-12).max(self.valid_from);
        if self.delta_at(eps) <= delta {
            return eps;
        }
        let (mut lo, mut hi) = (j, n - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let l = self.loss(mid);
            if l >= eps && self.delta_at(l) <= delta {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        self.loss(hi).max(eps).min(top)
    }

    /// Whether an ε(δ) answer may have been limited by a cut window (the
    /// caller then recomputes without the cut).
    pub(crate) fn at_cut(&self, epsilon: f64) -> bool {
        epsilon <= self.valid_from + 2.0 * self.step
    }
}

/// Upper bound on ln Σ mᵢ e^{λℓᵢ} from coarse blocks (each block's mass at its
/// most extreme loss in the direction of λ).
struct CoarseMgf {
    blocks: Vec<(f64, f64, f64)>,
}

impl CoarseMgf {
    fn new(p: &Pld) -> CoarseMgf {
        let per = p.masses.len().div_ceil(1024).max(1);
        let blocks = p
            .masses
            .chunks(per)
            .enumerate()
            .filter_map(|(c, chunk)| {
                let mass: f64 = chunk.iter().sum();
                (mass > 0.0).then(|| {
                    let lo = p.loss(c * per);
                    let hi = p.loss(c * per + chunk.len() - 1);
                    (mass.ln() + 1e-12, lo, hi)
                })
            })
            .collect();
        CoarseMgf { blocks }
    }

    fn ln_mgf(&self, lambda: f64) -> f64 {
        super::special::ln_sum_exp(
            self.blocks
                .iter()
                .map(|&(lm, lo, hi)| lm + lambda * if lambda > 0.0 { hi } else { lo }),
        )
    }
}

thread_local! {
    static PLANNER: std::cell::RefCell<RealFftPlanner<f64>> =
        std::cell::RefCell::new(RealFftPlanner::new());
}

fn complex_pow(mut z: Complex<f64>, mut k: u64) -> Complex<f64> {
    let mut acc = Complex::new(1.0, 0.0);
    while k > 0 {
        if k & 1 == 1 {
            acc *= z;
        }
        z = z * z;
        k >>= 1;
    }
    acc
}

/// Bound on |ẑᶜ − zᶜ| for one frequency when |ẑ − z| ≤ e:
/// (|z| + e)ᶜ − |z|ᶜ ≤ c·e·(|z| + e)^{c−1}, plus the rounding of binary
/// powering, `rounding`·(|z| + e)ᶜ (see `powering_error`). The power
/// (|z| + e)^{c−1} is computed by repeated squaring (relative error at most
/// about c ulps, covered by the factor 1 + 4c·u) or, for c ≥ 2³¹, as
/// exp((c−1)·ln(|z| + e)) with the same allowance.
fn fft_error_bound(modulus: f64, e: f64, count: u64, c: f64, rounding: f64) -> f64 {
    let base = modulus + e;
    let pw = if count <= i32::MAX as u64 {
        base.powi((count - 1) as i32)
    } else {
        let x = (c - 1.0) * base.ln();
        if x < -740.0 { 0.0 } else { x.exp() }
    };
    let pw = pw * (1.0 + 4.0 * c * f64::EPSILON);
    c * e * pw + rounding * pw * base
}

/// Relative error bound of zᶜ by binary powering: squaring doubles a
/// relative error, so z^{2ʲ} carries (2ʲ − 1)·√5·u (√5·u per complex
/// product), and multiplying the ≤ log₂c partial powers adds log₂c products:
/// (c + 2 log₂c + 2)·√5·u in all.
fn powering_error(c: f64) -> f64 {
    (c + 2.0 * c.log2() + 2.0) * 5f64.sqrt() * f64::EPSILON * (1.0 + 1e-6)
}

/// The composition of the parts by FFT, on a window chosen with Chernoff
/// bounds (module documentation).
///
/// With `tilt` λ > 0 (and inputs without float error of their own), the
/// convolution is done on exponentially tilted masses m̃ᵢ = mᵢe^{λℓᵢ}/M̂
/// (M̂ ≈ Σ mᵢe^{λℓᵢ}, any constant, the same one removed afterwards):
/// convolution commutes with the tilt, e^{λ(ℓ₁+ℓ₂)} = e^{λℓ₁}e^{λℓ₂}, so the
/// result is untilted bin by bin. The FFT's absolute error is then relative
/// to the tilted masses, which are largest near the losses that matter for
/// a δ query at ε ≈ (ln M)′(λ): after untilting, the error of bin i is
/// bounded in the weighted norm ‖eᵢe^{λℓᵢ}‖₂ ≤ E·Π M̂ᶜ, i.e. it shrinks as
/// e^{−λℓᵢ} up the tail, where an unweighted bound would swamp a δ of 10⁻⁹.
/// Tilted inputs and untilted outputs are rounded up with bounds on their
/// float error; an untilted mass is capped at 2 (every exact mass is at
/// most 1 + 10⁻¹²). The window also covers the tilted law's upper tail, and
/// 10⁻³⁰ is added to +∞ for the mass below the window (whose share of the
/// tilted mass can be lost in the wrap-around).
fn compose_fft(parts: &[(&Pld, u64)], tune: Tuning) -> Built {
    let Tuning {
        tilt,
        floor,
        estimate,
        max_bins,
        tail,
        probe: _,
    } = tune;
    let step = parts[0].0.step;
    let parts: Vec<(&Pld, u64)> = parts
        .iter()
        .copied()
        .filter(|(p, _)| {
            !(p.masses.len() == 1 && p.first == 0 && p.infinity == 0.0 && p.masses[0] == 1.0)
        })
        .collect();
    if parts.is_empty() {
        return Some(Pld::identity(step).expect("step was validated"));
    }
    if parts.len() == 1 && parts[0].1 == 1 {
        return Some(parts[0].0.clone());
    }
    let tilt = if tilt > 0.0 && tilt <= 64.0 && parts.iter().all(|(p, _)| p.l2_error == 0.0) {
        tilt
    } else {
        0.0
    };
    // ln M̂ᵢ = ln Σ mᵢ e^{λℓᵢ} per part and Σ cᵢ·ln M̂ᵢ rounded up; a tilt
    // whose untilting factor e^{Σ cᵢ ln M̂ᵢ} is not well inside the double
    // range is halved (at most a dozen times).
    let mut ln_tilts = Vec::with_capacity(parts.len());
    let mut ln_untilt = 0.0f64;
    if tilt > 0.0 {
        for &(p, c) in &parts {
            let ln_m = super::special::ln_sum_exp(
                p.masses
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| **m > 0.0)
                    .map(|(i, m)| m.ln() + tilt * p.loss(i)),
            );
            ln_tilts.push(ln_m);
            ln_untilt = add_up(ln_untilt, mul_up(count_up(c), ln_m));
        }
        if ln_untilt.is_nan() || ln_untilt.abs() >= 600.0 {
            return compose_fft(&parts, tune.less_tilted());
        }
    }
    // Index space: total loss index = base + s, s = Σ (index within each copy).
    let base: i128 = parts
        .iter()
        .map(|(p, c)| p.first as i128 * *c as i128)
        .sum();
    let s_max: i128 = parts
        .iter()
        .map(|(p, c)| (p.masses.len() as i128 - 1) * *c as i128)
        .sum();
    // Chernoff window: P(L ≥ t) ≤ e^{−λt} Π M_j(λ)^{c_j} for λ > 0, and the
    // mirror image for λ < 0; for the tilted law, M(λ + μ)/M(λ) in place of M(μ).
    let mgfs: Vec<(CoarseMgf, f64)> = parts
        .iter()
        .map(|(p, c)| (CoarseMgf::new(p), count_up(*c)))
        .collect();
    let ln_mgf = |lambda: f64| -> f64 { mgfs.iter().map(|(m, c)| c * m.ln_mgf(lambda)).sum() };
    let tail_mass = tail.clamp(TAIL_MASS, 1e-12);
    let ln_tail = tail_mass.ln();
    let mut hi_loss = f64::INFINITY;
    let mut hi_tilted = f64::INFINITY;
    let mut lo_loss = f64::NEG_INFINITY;
    let ln_mgf_tilt = if tilt > 0.0 { ln_mgf(tilt) } else { 0.0 };
    for j in -48..=40 {
        let lambda = 2f64.powf(j as f64 / 4.0);
        let up = (ln_mgf(lambda) - ln_tail) / lambda;
        if up.is_finite() {
            hi_loss = hi_loss.min(up);
        }
        let down = (ln_mgf(-lambda) - ln_tail) / -lambda;
        if down.is_finite() {
            lo_loss = lo_loss.max(down);
        }
        if tilt > 0.0 {
            let up = (ln_mgf(tilt + lambda) - ln_mgf_tilt - ln_tail) / lambda;
            if up.is_finite() {
                hi_tilted = hi_tilted.min(up);
            }
        }
    }
    if tilt > 0.0 {
        hi_loss = if hi_tilted.is_finite() {
            hi_loss.max(hi_tilted)
        } else {
            f64::INFINITY
        };
    }
    let natural_hi = base + s_max;
    let hi_idx: i128 = if hi_loss.is_finite() {
        (hi_loss / step)
            .ceil()
            .clamp(base as f64, natural_hi as f64) as i128
    } else {
        natural_hi
    };
    let lo_idx: i128 = if lo_loss.is_finite() {
        (lo_loss / step).floor().clamp(base as f64, hi_idx as f64) as i128
    } else {
        base
    };
    // A cut for a query: losses below it are not needed (δ is then valid
    // only above it). Four standard deviations of the composed loss below
    // an estimate of the answer, or a given floor.
    let mut cut = floor;
    if estimate.is_finite() {
        let e = estimate;
        let var: f64 = parts.iter().map(|(p, c)| count_up(*c) * p.variance()).sum();
        cut = cut.max(e - 4.0 * var.sqrt());
    }
    // Mass below a cut wraps around to the top of the window: harmless only
    // when tilted, where it arrives scaled by e^{−λ·(window width)}, so a
    // cut is kept only if λ times the window is at least 60 (e^{−60} < 10⁻²⁶).
    let cut_idx = (cut / step).floor();
    let (lo_idx, valid_from) = if tilt > 0.0
        && cut_idx.is_finite()
        && cut_idx > lo_idx as f64
        && tilt * ((hi_idx as f64 - cut_idx) * step) >= 60.0
    {
        let c = (cut_idx as i128).min(hi_idx);
        (c, c as f64 * step)
    } else {
        (lo_idx, f64::NEG_INFINITY)
    };
    let upper_tail = if hi_idx < natural_hi { tail_mass } else { 0.0 };
    let lower_tail = if tilt > 0.0 && lo_idx > base {
        tail_mass
    } else {
        0.0
    };
    let span = (hi_idx - lo_idx + 1) as usize;
    if span > max_bins.min(MAX_BINS) {
        return None;
    }
    if tune.probe {
        return Pld::identity(step).ok();
    }
    let n = span.next_power_of_two().max(2);
    let s_lo = lo_idx - base;
    let u = f64::EPSILON;

    // Real-input transforms of length n (n/2 + 1 coefficients; the others
    // are their conjugates). Plans (twiddle tables) are cached per thread:
    // building one for 2²⁰ points costs about as much as the transform.
    let (forward, inverse) = PLANNER.with(|p| {
        let mut p = p.borrow_mut();
        (p.plan_fft_forward(n), p.plan_fft_inverse(n))
    });
    let half = n / 2 + 1;
    // Weight of each stored coefficient in the full spectrum's ℓ₂ norm.
    let weight = |k: usize| if k == 0 || k == n / 2 { 1.0 } else { 2.0 };
    let mut acc = vec![Complex::new(1.0, 0.0); half];
    let mut spectrum = vec![Complex::new(0.0, 0.0); half];
    let mut real = vec![0.0f64; n];
    // Per-frequency bound on the error of acc (see `fft_error_bound`).
    let mut freq_err = vec![0.0f64; half];
    // A real transform is a half-length complex one plus one twiddle stage.
    let log_n = (n as f64).log2() + 1.0;
    let mut factors = 0.0;
    let mut growth = 0.0; // Σ cᵢ·eᵢ: the other factors are at most e^{growth}
    let mut l2_in = 0.0;
    let mut ln_keep = 0.0f64; // ln Π (1 − ∞ᵢ)^{cᵢ}
    for (j, &(p, c)) in parts.iter().enumerate() {
        if j > 0 {
            real.iter_mut().for_each(|x| *x = 0.0);
        }
        let cf = count_up(c);
        let mut l1 = 0.0;
        if tilt > 0.0 {
            let ln_m = ln_tilts[j];
            for (i, &m) in p.masses.iter().enumerate() {
                if m > 0.0 {
                    // The margin covers exp's argument (including the float
                    // position of ℓᵢ) and exp itself.
                    let at = tilt * p.loss(i);
                    let x = at - ln_m;
                    let t = m * x.exp() * (1.0 + (2.0 * (x.abs() + at.abs()) + 6.0) * u);
                    real[i % n] += t;
                    l1 += t;
                }
            }
        } else {
            for (i, &m) in p.masses.iter().enumerate() {
                real[i % n] += m;
                l1 += m;
            }
        }
        forward
            .process(&mut real, &mut spectrum)
            .expect("buffer lengths match the plan");
        // Forward-FFT error per coefficient ≤ log₂n·η·‖p‖₁ (each output sums
        // one node per stage, each node bounded by the ℓ₁ norm).
        let coeff_err = log_n * FFT_STAGE_ERROR * l1 * (1.0 + 1e-6);
        let rounding = powering_error(cf);
        // Below this modulus, (|z| + e)^{c−1} underflows: the power and its
        // error bound are 0 (to within the smallest normal number, covered by
        // the `factors · MIN_POSITIVE` term below).
        let negligible = if c > 1 {
            (-740.0 / (cf - 1.0)).exp() - coeff_err
        } else {
            0.0
        };
        let negligible_sq = negligible * negligible.abs();
        for ((a, z), e) in acc.iter_mut().zip(&spectrum).zip(freq_err.iter_mut()) {
            if z.norm_sqr() <= negligible_sq {
                *a = Complex::new(0.0, 0.0);
                continue;
            }
            *a *= complex_pow(*z, c);
            *e += fft_error_bound(z.norm_sqr().sqrt(), coeff_err, c, cf, rounding);
        }
        factors += cf;
        growth += cf * coeff_err;
        l2_in = add_up(l2_in, mul_up(p.plain_l2_error(), cf));
        ln_keep += cf * (-p.infinity).ln_1p();
    }
    // ‖error of acc‖₂ over the full spectrum: |Πa′ − Πa| ≤ Σⱼ |a′ⱼ − aⱼ|·
    // Π_{i≠j} max(|a′ᵢ|, |aᵢ|), and every factor is at most (1 + eᵢ)^{cᵢ} ≤ e^{growth}.
    let spectral: f64 = freq_err
        .iter()
        .enumerate()
        .map(|(k, e)| weight(k) * e * e)
        .sum::<f64>()
        .sqrt()
        * growth.exp()
        * (1.0 + 1e-6);
    let acc_norm: f64 = acc
        .iter()
        .enumerate()
        .map(|(k, z)| weight(k) * z.norm_sqr())
        .sum::<f64>()
        .sqrt();
    // The spectrum of a real sequence is real at 0 and n/2.
    acc[0].im = 0.0;
    acc[half - 1].im = 0.0;
    inverse
        .process(&mut acc, &mut real)
        .expect("buffer lengths match the plan and the end coefficients are real");
    let scale = 1.0 / n as f64;
    let sqrt_n = (n as f64).sqrt();
    // Parseval: the normalised inverse maps ℓ₂ norms by 1/√n; its own
    // rounding adds log₂n·η relative to the result's ℓ₂ norm.
    let mut l2_error = add_up(
        l2_in,
        2.0 * ((spectral + acc_norm * log_n * FFT_STAGE_ERROR) / sqrt_n + 4.0 * f64::EPSILON)
            + factors * f64::MIN_POSITIVE * sqrt_n,
    );
    if tilt > 0.0 {
        // Back to untilted masses: the weighted error norm is E·Π M̂ᶜ.
        l2_error = inflate(l2_error * ln_untilt.exp());
    }
    let untilt = |s: i128, v: f64| -> f64 {
        if tilt == 0.0 {
            return v;
        }
        let at = tilt * ((base + s) as f64 * step);
        let x = ln_untilt - at;
        (v * x.exp() * (1.0 + (2.0 * (x.abs() + at.abs()) + 6.0) * u)).min(2.0)
    };
    // Unwrap the cyclic result into [s_lo, s_lo + n); keep [lo_idx, hi_idx]
    // and fold the rest of the window above hi_idx into +∞.
    let mut masses = vec![0.0; span];
    let mut folded = 0.0;
    let mut folded_bins = 0usize;
    // Cyclic index r holds s = s_lo + ((r − s_lo) mod n).
    let shift = s_lo.rem_euclid(n as i128) as usize;
    for (r, x) in real.iter().enumerate() {
        let offset = if r >= shift { r - shift } else { r + n - shift };
        let s = s_lo + offset as i128;
        let v = untilt(s, (x * scale).max(0.0));
        if offset < span {
            masses[offset] = v;
        } else {
            folded += v;
            folded_bins += 1;
        }
    }
    let infinity_from_parts = if ln_keep < 0.0 {
        inflate(-ln_keep.exp_m1())
    } else {
        0.0
    };
    // The folded bins lie above hi_idx: their error weights are at most e^{−λℓ_hi}.
    let folded_error = (folded_bins as f64).sqrt()
        * l2_error
        * (-tilt * (hi_idx as f64 * step)).exp()
        * (1.0 + REL_MARGIN);
    let infinity = add_up(
        add_up(add_up(infinity_from_parts, upper_tail), lower_tail),
        (folded + folded_error) * (1.0 + REL_MARGIN),
    )
    .min(1.0);
    Some(Pld {
        step,
        first: lo_idx as i64,
        masses,
        infinity,
        l2_error,
        tilt,
        valid_from,
    })
}

/// How [`compose_fft`] works for a query.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    /// λ of the tilt (0: none).
    pub(crate) tilt: f64,
    /// Losses below this are not needed (−∞: all are).
    pub(crate) floor: f64,
    /// An estimate of the ε asked about: losses more than four standard
    /// deviations below it are not kept (−∞: none).
    pub(crate) estimate: f64,
    /// The most grid points.
    pub(crate) max_bins: usize,
    /// The mass allowed above (and below) the window, each side, added to
    /// +∞ (between 10⁻³⁰ and 10⁻¹²; an ε(δ) query allows δ·10⁻⁹).
    pub(crate) tail: f64,
    /// Only check that the window fits: a composition that fits returns
    /// the identity PLD, without the FFT.
    pub(crate) probe: bool,
}

impl Tuning {
    /// The whole distribution, untilted, up to [`MAX_BINS`] points.
    pub(crate) const PLAIN: Tuning = Tuning {
        tilt: 0.0,
        floor: f64::NEG_INFINITY,
        estimate: f64::NEG_INFINITY,
        max_bins: MAX_BINS,
        tail: TAIL_MASS,
        probe: false,
    };

    /// The same with a smaller tilt (half, then none below 1/64); a window
    /// cut needs a tilt (see `compose_fft`), so none is kept without one.
    fn less_tilted(self) -> Tuning {
        if self.tilt >= 1.0 / 32.0 {
            return Tuning {
                tilt: self.tilt / 2.0,
                ..self
            };
        }
        Tuning {
            tilt: 0.0,
            floor: f64::NEG_INFINITY,
            estimate: f64::NEG_INFINITY,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accountant::gaussian::gaussian_delta;

    #[test]
    fn single_gaussian_is_a_tight_upper_bound() {
        let p = Pld::gaussian(1.0, Pld::DEFAULT_STEP).unwrap();
        let total: f64 = p.masses.iter().sum::<f64>() + p.infinity;
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        for eps in [0.0, 0.5, 1.0, 2.0, 4.0] {
            let exact = gaussian_delta(1.0, eps) / (1.0 + 2e-9);
            let d = p.delta(eps).unwrap();
            assert!(d >= exact, "eps={eps}: {d} < {exact}");
            assert!(d <= exact * 1.01 + 1e-12, "eps={eps}: {d} vs {exact}");
        }
    }

    #[test]
    fn laplace_matches_its_closed_form_profile() {
        // One Laplace release with ε₀: δ(ε) = 1 − e^{(ε−ε₀)/2}.
        let e0: f64 = 0.8;
        let p = Pld::laplace(e0, Pld::DEFAULT_STEP).unwrap();
        let total: f64 = p.masses.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        for eps in [0.0, 0.2, 0.5, 0.79] {
            let exact = -((eps - e0) / 2.0).exp_m1();
            let d = p.delta(eps).unwrap();
            assert!(
                d >= exact && d <= exact * 1.01 + 1e-9,
                "eps={eps}: {d} vs {exact}"
            );
        }
        // At ε₀ only the rounding of the atom at ε₀ up to the grid remains.
        assert!(p.delta(e0).unwrap() <= 0.5 * -(-Pld::DEFAULT_STEP).exp_m1() * 1.001);
    }

    /// Connect the dots: at every grid point the discretised δ is the exact
    /// one (up to the float margins), between grid points at most the chord;
    /// for ε₀ off the grid and for ε₀ on it (the aligned form). The pair
    /// keeps its Q-mass: Σ mᵢe^{−ℓᵢ} = 1.
    #[test]
    fn connect_the_dots_is_exact_at_grid_points() {
        let exact = |e0: f64, eps: f64| {
            if eps >= e0 {
                0.0
            } else {
                -((eps - e0) / 2.0).exp_m1()
            }
        };
        let h = 1e-3;
        for (p, e0) in [
            (Pld::laplace(0.3337, h).unwrap(), 0.3337),
            (Pld::laplace_aligned(250, h).unwrap(), 250.0 * h),
        ] {
            let total: f64 = p.masses.iter().sum();
            let q: f64 = p.bins().map(|(l, m)| m * (-l).exp()).sum();
            assert!(
                (total - 1.0).abs() < 1e-12 && (q - 1.0).abs() < 1e-12,
                "{total} {q}"
            );
            for j in [-300i64, -100, 0, 50, 200, 333] {
                let eps = j as f64 * h;
                if eps < 0.0 {
                    continue;
                }
                let want = exact(e0, eps);
                let d = p.delta(eps).unwrap();
                assert!(d >= want, "ε₀ {e0}, ε {eps}: {d} < {want}");
                assert!(
                    d <= want * (1.0 + 1e-8) + 1e-15,
                    "ε₀ {e0}, ε {eps}: {d} vs {want}"
                );
            }
            // Between grid points: above the exact curve, below the chord.
            let eps = 0.1005;
            let (a, b) = (p.delta(0.100).unwrap(), p.delta(0.101).unwrap());
            let d = p.delta(eps).unwrap();
            assert!(d >= exact(e0, eps) && d <= a.max(b), "{d}");
        }
    }

    /// Tilting only moves where the FFT's float error falls: the tilted and
    /// plain compositions give the same δ (to their error bounds), the tilted
    /// one with a far smaller bound in the tail; a cut window reports δ = 1
    /// below the cut.
    #[test]
    fn tilted_composition_agrees_and_is_tighter_in_the_tail() {
        let single = Pld::laplace_aligned(100, 1e-3).unwrap();
        let plain = Pld::compose_tuned(&[(&single, 40)], Tuning::PLAIN).unwrap();
        let tilted = Pld::compose_tuned(
            &[(&single, 40)],
            Tuning {
                tilt: 3.0,
                ..Tuning::PLAIN
            },
        )
        .unwrap();
        for eps in [0.5, 1.0, 2.0, 3.0] {
            // Equal up to the plain composition's error bound, which the
            // tilted one mostly removes (at ε = 3 it is 4·10⁻⁵ of δ).
            let (a, b) = (plain.delta(eps).unwrap(), tilted.delta(eps).unwrap());
            assert!(b <= a * (1.0 + 1e-9), "ε {eps}: {a} vs {b}");
            assert!(a - b <= 2.0 * plain.error_from(0), "ε {eps}: {a} vs {b}");
        }
        let j = tilted.masses.len() - 100;
        assert!(tilted.error_from(j) < plain.error_from(j) * 1e-3);
        // A cut needs λ·(window above it) ≥ 60 (the wrapped mass below it
        // arrives scaled by e^{−60}): here λ = 30 over 2.5 units of loss.
        let steep = |floor: f64| {
            Pld::compose_tuned(
                &[(&single, 40)],
                Tuning {
                    tilt: 30.0,
                    floor,
                    ..Tuning::PLAIN
                },
            )
            .unwrap()
        };
        let (whole, cut) = (steep(f64::NEG_INFINITY), steep(1.5));
        assert!(cut.len() < whole.len());
        assert_eq!(cut.delta(1.0).unwrap(), 1.0);
        // Both bound the same δ; each within its own error bound of the
        // tighter composition tilted at λ = 3 (a tilt this steep centres the
        // error bound above ε = 3, so both are slightly looser there).
        let reference = tilted.delta(3.0).unwrap();
        for d in [whole.delta(3.0).unwrap(), cut.delta(3.0).unwrap()] {
            assert!(
                d >= reference * (1.0 - 1e-6) && d <= reference * (1.0 + 2e-3),
                "{d}"
            );
        }
        assert!(cut.epsilon(1e-9).unwrap() >= whole.epsilon(1e-9).unwrap() * (1.0 - 1e-9));
    }

    /// The envelope of two PLDs dominates each: its δ is at least theirs.
    #[test]
    fn envelope_dominates_its_parts() {
        let a = Pld::from_atoms(&Atoms::randomized_response(1.0, 0.0), 1e-3).unwrap();
        let b = Pld::laplace(0.7, 1e-3).unwrap();
        let env = Pld::envelope(&[a.clone(), b.clone()]).unwrap();
        for eps in [0.0, 0.2, 0.5, 0.69, 0.9] {
            let e = env.delta(eps).unwrap();
            assert!(
                e >= a.delta(eps).unwrap() && e >= b.delta(eps).unwrap(),
                "{eps}"
            );
        }
    }

    #[test]
    fn fft_self_composition_matches_direct_gaussian() {
        // 16 Gaussians of μ = 0.25 compose to one with μ = 1.
        let g = Pld::gaussian(0.25, 1e-3).unwrap();
        let comp = g.self_compose(16).unwrap();
        for eps in [0.5, 1.0, 2.0] {
            let exact = gaussian_delta(1.0, eps) / (1.0 + 2e-9);
            let d = comp.delta(eps).unwrap();
            assert!(d >= exact, "eps={eps}: {d} < {exact}");
            assert!(d <= exact * 1.1, "eps={eps}: {d} vs {exact}");
        }
        let e = comp.epsilon(1e-5).unwrap();
        assert!(comp.delta(e).unwrap() <= 1e-5);
        assert!(e >= crate::accountant::gaussian::gaussian_epsilon(1.0, 1e-5).unwrap() - 1e-9);
    }

    #[test]
    fn epsilon_query_inverts_delta() {
        let p = Pld::laplace(0.1, Pld::DEFAULT_STEP)
            .unwrap()
            .self_compose(100)
            .unwrap();
        let e = p.epsilon(1e-6).unwrap();
        assert!(p.delta(e).unwrap() <= 1e-6);
        assert!(p.delta(e - 1e-3).unwrap() > 1e-6);
        assert_eq!(p.epsilon(0.999).unwrap(), 0.0);
        // (ε, δ) events put mass at +∞: δ below it is impossible.
        let a = Pld::from_atoms(&Atoms::randomized_response(1.0, 1e-3), Pld::DEFAULT_STEP).unwrap();
        assert_eq!(a.epsilon(1e-4).unwrap(), f64::INFINITY);
    }

    #[test]
    fn bad_input() {
        assert!(Pld::identity(0.0).is_err());
        assert!(Pld::identity(2.0).is_err());
        let p = Pld::identity(1e-3).unwrap();
        assert!(p.delta(-1.0).is_err());
        assert!(p.epsilon(1.5).is_err());
        assert!(p.self_compose(0).is_err());
        let q = Pld::identity(1e-2).unwrap();
        assert!(p.compose(&q).is_err());
        assert!(Pld::compose_all(&[]).is_err());
        let e = Pld::from_event(&PrivacyEvent::Zcdp { rho: 1.0 }, 1e-3).unwrap_err();
        assert!(e.to_string().starts_with("event "), "{e}");
        let e = Pld::from_event(
            &PrivacyEvent::Gaussian {
                l2_sensitivity: 1.0,
                sigma: 1e-5,
            },
            1e-6,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("step "), "{e}");
    }
}
