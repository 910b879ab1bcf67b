//! The accountant: a sequence of releases and the (ε, δ) it costs under each
//! composition method, plus planning queries.

use std::fmt;

use super::PrivacyEvent;
use super::composition::{
    advanced_composition_delta, advanced_composition_epsilon, optimal_homogeneous_delta,
    optimal_homogeneous_epsilon,
};
use super::gaussian::{gaussian_delta, gaussian_epsilon, gaussian_mu_for};
use super::lattice::LatticeProfile;
use super::pld::{MAX_BINS, Pld, Tuning};
use super::rdp::{
    RdpCurve, best_order_for_delta, best_order_for_epsilon, delta_any_order, epsilon_any_order,
};
use super::search::{bisect_fitting_min, grow_until};
use super::zcdp::{check_delta, check_epsilon, cks_delta, cks_epsilon};
use crate::error::{Error, Result, check_positive};
use crate::rounding::{add_up, count_up, deflate, div_down, div_up, mul_up, sqrt_up};

/// How a sequence of releases is composed into one (ε, δ) guarantee.
///
/// Every method gives a valid upper bound for a sequence fixed in advance
/// (releases may depend on earlier *outputs*, but the sequence of mechanisms
/// and parameters must not). [`Method::Best`] reports the smallest of them,
/// which is valid for such a sequence; a budget that lets callers pick
/// parameters adaptively must enforce one filter-valid rule instead (basic
/// composition or zCDP, see the budget module).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// Basic composition: Σεᵢ, Σδᵢ (Dwork et al. 2006). Gaussian, discrete
    /// Gaussian and zCDP releases have no native (ε, δ); the δ left after
    /// the (ε, δ) releases is split evenly among their releases and each is
    /// converted by its own profile (see [`PrivacyEvent::epsilon_at_delta`]:
    /// Gaussian exactly, discrete Gaussian by its rigorous bound, zCDP by CKS20).
    Basic,
    /// Advanced composition (Dwork, Rothblum, Vadhan 2010), heterogeneous
    /// form; only for pure-DP and (ε, δ)-DP releases.
    Advanced,
    /// The optimal bound for k releases of one (ε₀, δ₀) (Kairouz, Oh,
    /// Viswanath 2015); only when every release has the same native (ε₀, δ₀).
    OptimalHomogeneous,
    /// zCDP: ρ adds up; to (ε, δ) by CKS20, or exactly (Balle & Wang) when
    /// every release is a (continuous) Gaussian. Not for (ε, δ > 0) releases.
    Zcdp,
    /// Rényi DP: the curve over dp_accounting's order grid (tight Laplace
    /// curve, CKS20 conversion), and the same conversion minimised over
    /// every order α > 1 using each release's closed-form divergence; the
    /// smaller. The second keeps the bound tight for huge release counts
    /// (the best order tends to 1) and answers in constant time.
    Rdp,
    /// Privacy-loss distributions: pessimistic grid (connect-the-dots for
    /// Laplace, aligned to ε₀ when the Laplace releases share one), FFT
    /// composition, all Gaussians merged exactly into one. Not for zCDP
    /// releases, nor for compositions too wide for 2²² grid points at a
    /// grid step of at most 1 (then RDP or zCDP apply).
    Pld,
    /// The smallest result of the methods above that support the sequence.
    Best,
}

impl Method {
    /// Every individual method (all but [`Method::Best`]), in code order.
    pub const INDIVIDUAL: [Method; 6] = [
        Method::Basic,
        Method::Advanced,
        Method::OptimalHomogeneous,
        Method::Zcdp,
        Method::Rdp,
        Method::Pld,
    ];

    /// The method's number in the C ABI (`ILSP_ACCOUNTING_*`).
    pub const fn code(self) -> i32 {
        match self {
            Method::Basic => 0,
            Method::Advanced => 1,
            Method::OptimalHomogeneous => 2,
            Method::Zcdp => 3,
            Method::Rdp => 4,
            Method::Pld => 5,
            Method::Best => 6,
        }
    }

    /// The method with C ABI number `code`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `method` for an unknown number.
    pub fn from_code(code: i32) -> Result<Method> {
        Method::INDIVIDUAL
            .into_iter()
            .chain([Method::Best])
            .find(|m| m.code() == code)
            .ok_or_else(|| Error::invalid("method", format!("must be 0..=6, got {code}")))
    }

    /// A short lowercase name: `"basic"`, `"advanced"`, `"optimal_homogeneous"`,
    /// `"zcdp"`, `"rdp"`, `"pld"`, `"best"`.
    pub const fn name(self) -> &'static str {
        match self {
            Method::Basic => "basic",
            Method::Advanced => "advanced",
            Method::OptimalHomogeneous => "optimal_homogeneous",
            Method::Zcdp => "zcdp",
            Method::Rdp => "rdp",
            Method::Pld => "pld",
            Method::Best => "best",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn unsupported(method: Method, why: &str) -> Error {
    Error::invalid("method", format!("{method} composition {why}"))
}

/// A sequence of releases (events with repeat counts) and its privacy cost.
///
/// ```
/// use ilsprivacy::accountant::{Accountant, Method, PrivacyEvent};
///
/// let mut acc = Accountant::new();
/// acc.compose(PrivacyEvent::Gaussian { l2_sensitivity: 1.0, sigma: 10.0 }, 1000)?;
/// let pld = acc.epsilon(1e-6, Method::Pld)?;
/// let rdp = acc.epsilon(1e-6, Method::Rdp)?;
/// let (best, eps) = acc.best_epsilon(1e-6)?;
/// assert!(eps <= pld && pld < rdp);
/// assert_eq!(best, Method::Zcdp); // exact for Gaussians
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Accountant {
    entries: Vec<(PrivacyEvent, u64)>,
    pld_step: f64,
}

impl Default for Accountant {
    fn default() -> Self {
        Accountant::new()
    }
}

impl Accountant {
    /// The largest number of releases [`max_releases`] reports (it saturates there).
    ///
    /// cbindgen:ignore
    pub const MAX_PLANNED_RELEASES: u64 = 1_000_000_000;

    /// An empty accountant (PLD grid step [`Pld::DEFAULT_STEP`]).
    pub fn new() -> Accountant {
        Accountant {
            entries: Vec::new(),
            pld_step: Pld::DEFAULT_STEP,
        }
    }

    /// An empty accountant whose PLD method starts from grid step `step`
    /// (it coarsens the grid by doubling when a composition would need more
    /// than 2²² bins). Smaller steps are tighter and slower.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `step` unless 0 < step ≤ 1.
    pub fn with_pld_step(step: f64) -> Result<Accountant> {
        Pld::identity(step)?;
        Ok(Accountant {
            entries: Vec::new(),
            pld_step: step,
        })
    }

    /// Adds `count` releases of `event` (merged with an equal earlier event).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the event's bad parameter, or
    /// `count` if it is 0 or the total overflows.
    pub fn compose(&mut self, event: PrivacyEvent, count: u64) -> Result<&mut Accountant> {
        event.validate()?;
        super::composition::check_count(count)?;
        if let Some(entry) = self.entries.iter_mut().find(|(e, _)| *e == event) {
            entry.1 = entry
                .1
                .checked_add(count)
                .ok_or_else(|| Error::invalid("count", "total number of releases overflows u64"))?;
        } else {
            self.entries.push((event, count));
        }
        Ok(self)
    }

    /// The releases composed so far, as (event, count).
    pub fn entries(&self) -> &[(PrivacyEvent, u64)] {
        &self.entries
    }

    /// True if nothing has been composed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ε such that the whole sequence is (ε, δ)-DP under `method`
    /// (rounded up; +∞ if no ε achieves `delta`, e.g. δ below the δ of
    /// (ε, δ) releases). An empty accountant costs 0.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` unless 0 < δ < 1, or
    /// `method` if the method does not support some release (see [`Method`]).
    pub fn epsilon(&self, delta: f64, method: Method) -> Result<f64> {
        check_delta(delta)?;
        if self.entries.is_empty() {
            return Ok(0.0);
        }
        match method {
            Method::Basic => self.basic_epsilon(delta),
            Method::Advanced => advanced_composition_epsilon(&self.native_list(method)?, delta),
            Method::OptimalHomogeneous => {
                let (e0, d0, k) = self.homogeneous()?;
                optimal_homogeneous_epsilon(e0, d0, k, delta)
            }
            Method::Zcdp => match self.gaussian_mu()? {
                Some(mu) => gaussian_epsilon(mu, delta),
                None => Ok(cks_epsilon(self.total_rho()?, delta)),
            },
            Method::Rdp => self.rdp_epsilon(delta),
            Method::Pld => match self.gaussian_mu()? {
                // Gaussians only: the answer is at least the exact ε, so only
                // the losses above it need a grid (see `Pld::gaussian_above`).
                Some(mu) => {
                    let exact = gaussian_epsilon(mu, delta)?;
                    Ok(self.gaussian_pld_above(mu, exact)?.epsilon_at(delta))
                }
                None => {
                    // Tilt by α − 1 of the best Rényi order, keep four
                    // standard deviations below the Rényi answer (without
                    // the cut if the answer reaches it), tails of δ·10⁻⁹.
                    let renyi = |a: f64| self.renyi_at(a);
                    let tilt = best_order_for_delta(renyi, delta) - 1.0;
                    let estimate = epsilon_any_order(renyi, delta);
                    let tune = Tuning {
                        tail: delta * 1e-9,
                        ..PldPlan::tuning(tilt)
                    };
                    let cut = Tuning {
                        estimate: if estimate.is_finite() {
                            estimate
                        } else {
                            f64::NEG_INFINITY
                        },
                        ..tune
                    };
                    let p = self.pld_tuned(cut)?;
                    let eps = p.epsilon_at(delta);
                    if !p.at_cut(eps) {
                        return Ok(eps);
                    }
                    Ok(self.pld_tuned(tune)?.epsilon_at(delta))
                }
            },
            Method::Best => Ok(self.best_epsilon(delta)?.1),
        }
    }

    /// The δ such that the whole sequence is (ε, δ)-DP under `method`
    /// (rounded up, at most 1).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` if it is negative or not
    /// finite, or `method` as for [`Accountant::epsilon`].
    pub fn delta(&self, epsilon: f64, method: Method) -> Result<f64> {
        check_epsilon(epsilon)?;
        if self.entries.is_empty() {
            return Ok(0.0);
        }
        match method {
            Method::Basic => self.basic_delta(epsilon),
            Method::Advanced => advanced_composition_delta(&self.native_list(method)?, epsilon),
            Method::OptimalHomogeneous => {
                let (e0, d0, k) = self.homogeneous()?;
                optimal_homogeneous_delta(e0, d0, k, epsilon)
            }
            Method::Zcdp => match self.gaussian_mu()? {
                Some(mu) => Ok(gaussian_delta(mu, epsilon)),
                None => Ok(cks_delta(self.total_rho()?, epsilon)),
            },
            Method::Rdp => self.rdp_delta(epsilon),
            Method::Pld => match self.gaussian_mu()? {
                Some(mu) => Ok(self.gaussian_pld_above(mu, epsilon)?.delta_at(epsilon)),
                None => {
                    let tilt = best_order_for_epsilon(|a| self.renyi_at(a), epsilon) - 1.0;
                    let tune = Tuning {
                        floor: epsilon - 2.0 * self.pld_step.max(1e-12),
                        ..PldPlan::tuning(tilt)
                    };
                    Ok(self.pld_tuned(tune)?.delta_at(epsilon))
                }
            },
            Method::Best => Ok(self.best_delta(epsilon)?.1),
        }
    }

    /// The smallest ε over the methods that support the sequence, and which
    /// method gave it (ties go to the earlier method of [`Method::INDIVIDUAL`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` unless 0 < δ < 1.
    pub fn best_epsilon(&self, delta: f64) -> Result<(Method, f64)> {
        check_delta(delta)?;
        self.best_of(|m| self.epsilon(delta, m))
    }

    /// The smallest δ at `epsilon` over the methods that support the sequence.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` if it is negative or not finite.
    pub fn best_delta(&self, epsilon: f64) -> Result<(Method, f64)> {
        check_epsilon(epsilon)?;
        self.best_of(|m| self.delta(epsilon, m))
    }

    /// ε at `delta` under every individual method (an error for a method
    /// that does not support the sequence).
    pub fn epsilons(&self, delta: f64) -> Vec<(Method, Result<f64>)> {
        Method::INDIVIDUAL
            .into_iter()
            .map(|m| (m, self.epsilon(delta, m)))
            .collect()
    }

    /// The smallest answer over the individual methods; a method that does
    /// not apply (an error naming `method`) is skipped. Basic and RDP apply
    /// to every sequence, so there is always an answer.
    fn best_of(&self, f: impl Fn(Method) -> Result<f64>) -> Result<(Method, f64)> {
        let mut best: Option<(Method, f64)> = None;
        for m in Method::INDIVIDUAL {
            match f(m) {
                Ok(v) => {
                    if best.is_none_or(|(_, b)| v < b) {
                        best = Some((m, v));
                    }
                }
                Err(Error::InvalidArgument {
                    param: "method", ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        // Basic and RDP support every event, so `best` is always set.
        best.ok_or_else(|| Error::Internal("no accounting method applies".into()))
    }

    /// (εᵢ, δᵢ, countᵢ) for releases with a native (ε, δ), or an error naming
    /// `method` if some release has none.
    fn native_list(&self, method: Method) -> Result<Vec<(f64, f64, u64)>> {
        self.entries
            .iter()
            .map(|(e, c)| {
                e.native_approximate_dp()?
                    .map(|(eps, d)| (eps, d, *c))
                    .ok_or_else(|| {
                        unsupported(
                            method,
                            "needs pure-DP or (epsilon, delta)-DP releases (not Gaussian or zCDP)",
                        )
                    })
            })
            .collect()
    }

    fn homogeneous(&self) -> Result<(f64, f64, u64)> {
        let list = self.native_list(Method::OptimalHomogeneous)?;
        let (e0, d0, _) = list[0];
        if list.iter().any(|&(e, d, _)| e != e0 || d != d0) || e0 == 0.0 {
            return Err(unsupported(
                Method::OptimalHomogeneous,
                "needs every release to have the same (epsilon, delta), epsilon > 0",
            ));
        }
        let k = list
            .iter()
            .try_fold(0u64, |acc, &(_, _, c)| acc.checked_add(c))
            .ok_or_else(|| Error::invalid("count", "total number of releases overflows u64"))?;
        Ok((e0, d0, k))
    }

    /// μ of the composition if every release is a continuous Gaussian:
    /// √(Σ count·(Δ/σ)²), rounded up.
    fn gaussian_mu(&self) -> Result<Option<f64>> {
        let mut mu2 = 0.0;
        for (e, c) in &self.entries {
            let PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            } = *e
            else {
                return Ok(None);
            };
            let mu = div_up(l2_sensitivity, sigma);
            mu2 = add_up(mu2, mul_up(mul_up(mu, mu), count_up(*c)));
        }
        Ok(Some(sqrt_up(mu2)))
    }

    fn total_rho(&self) -> Result<f64> {
        let mut rho = 0.0;
        for (e, c) in &self.entries {
            let r = e.zcdp_rho()?.ok_or_else(|| {
                unsupported(
                    Method::Zcdp,
                    "does not apply to (epsilon, delta)-DP releases with delta > 0",
                )
            })?;
            rho = add_up(rho, mul_up(r, count_up(*c)));
        }
        Ok(rho)
    }

    /// The composed RDP curve.
    ///
    /// # Errors
    ///
    /// As [`PrivacyEvent::rdp_curve`].
    pub fn rdp_curve(&self) -> Result<RdpCurve> {
        let mut curve = RdpCurve::zero();
        for (e, c) in &self.entries {
            curve = curve.compose(&e.rdp_curve()?.repeat(*c)?);
        }
        Ok(curve)
    }

    /// Σ countᵢ·D_α(eventᵢ), rounded up, at any order α > 1.
    fn renyi_at(&self, alpha: f64) -> f64 {
        self.entries.iter().fold(0.0, |acc, (e, c)| {
            add_up(acc, mul_up(e.renyi_bound(alpha), count_up(*c)))
        })
    }

    fn rdp_epsilon(&self, delta: f64) -> Result<f64> {
        let curve = self.rdp_curve()?;
        let on_grid = curve.epsilon(delta)?;
        let extra = curve.extra_delta();
        if extra >= delta {
            return Ok(on_grid);
        }
        let left = deflate(delta - extra);
        if left <= 0.0 {
            return Ok(on_grid);
        }
        let any = epsilon_any_order(|a| self.renyi_at(a), left);
        Ok(on_grid.min(any))
    }

    fn rdp_delta(&self, epsilon: f64) -> Result<f64> {
        let curve = self.rdp_curve()?;
        let on_grid = curve.delta(epsilon)?;
        let any = add_up(
            delta_any_order(|a| self.renyi_at(a), epsilon),
            curve.extra_delta(),
        )
        .min(1.0);
        Ok(on_grid.min(any))
    }

    /// The composed privacy-loss distribution. All continuous Gaussian
    /// releases are merged first into one Gaussian with μ² = Σ count·(Δ/σ)²
    /// (exact: Gaussian losses add as Gaussians), the other releases are
    /// discretised once each and composed with their counts in one FFT pass.
    /// When the Laplace releases share one ε₀ (and are the only releases
    /// besides Gaussians) the grid step is ε₀/M for a whole M (connect-the-
    /// dots then holds the Laplace atoms exactly). The grid starts at the
    /// accountant's step and is doubled while a distribution would need more
    /// than 2²² bins; the work is bounded by one FFT of that size.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `method` for a zCDP release, a
    /// discrete Gaussian too large to expand (see [`Pld::from_event`]), or a
    /// composition too wide even at grid step 1 (huge release counts): the
    /// PLD method does not apply to them, and [`Method::Best`] skips it.
    pub fn pld(&self) -> Result<Pld> {
        self.pld_tuned(Tuning {
            max_bins: MAX_BINS,
            ..Tuning::PLAIN
        })
    }

    /// [`Accountant::pld`] composed for a query (see `Pld::compose_tuned`;
    /// the accountant's queries tilt by α − 1 of the best Rényi order, so the
    /// FFT's error bound is small near the ε asked about, and keep at most
    /// 2²⁰ grid points with the grid coarsened at most 16-fold, which bounds
    /// their time).
    fn pld_tuned(&self, tune: Tuning) -> Result<Pld> {
        let plan = PldPlan::new(self)?;
        let limit = if tune.max_bins < MAX_BINS {
            (self.pld_step * MAX_COARSENING).min(1.0)
        } else {
            1.0
        };
        // The accountant's step first; if too wide, the coarsest step allowed
        // (if even that is too wide, the PLD does not apply: two attempts
        // for huge counts); otherwise the finest doubling in between that
        // fits. Each attempt is refused before any large allocation.
        let mut step = self.pld_step;
        if let Some(p) = plan.build(plan.grid(step), tune)? {
            return Ok(p);
        }
        // The coarsest doubling of the step within the limit (at most ~1075).
        let mut coarsest = step;
        while coarsest * 2.0 <= limit {
            coarsest *= 2.0;
        }
        if coarsest == step {
            return Err(too_wide());
        }
        let probe = Tuning {
            probe: true,
            ..tune
        };
        if plan.build(plan.grid(coarsest), probe)?.is_none() {
            return Err(too_wide());
        }
        step *= 2.0;
        while step < coarsest {
            if plan.build(plan.grid(step), probe)?.is_some() {
                break;
            }
            step *= 2.0;
        }
        plan.build(plan.grid(step), tune)?.ok_or_else(too_wide)
    }

    /// The Gaussian PLD of μ exact above `min_loss` (less two grid steps),
    /// on the accountant's grid, coarsened while too wide.
    fn gaussian_pld_above(&self, mu: f64, min_loss: f64) -> Result<Pld> {
        let mut step = self.pld_step;
        while step <= 1.0 {
            let floor = if min_loss.is_finite() {
                min_loss - 2.0 * step
            } else {
                f64::NEG_INFINITY
            };
            if let Some(p) = Pld::gaussian_above(mu, step, floor) {
                return Ok(p);
            }
            step *= 2.0;
        }
        Err(too_wide())
    }

    fn merged_gaussian_mu(&self) -> Option<f64> {
        let mut mu2 = 0.0;
        let mut any = false;
        for (e, c) in &self.entries {
            if let PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            } = *e
            {
                let mu = div_up(l2_sensitivity, sigma);
                mu2 = add_up(mu2, mul_up(mul_up(mu, mu), count_up(*c)));
                any = true;
            }
        }
        any.then(|| sqrt_up(mu2))
    }

    fn split(&self) -> Result<Split<'_>> {
        let (mut eps, mut delta) = (0.0, 0.0);
        let mut others = Vec::new();
        let mut n_others = 0u64;
        for (e, c) in &self.entries {
            match e.native_approximate_dp()? {
                Some((ei, di)) => {
                    eps = add_up(eps, mul_up(ei, count_up(*c)));
                    delta = add_up(delta, mul_up(di, count_up(*c)));
                }
                None => {
                    others.push((e, *c));
                    n_others = n_others.saturating_add(*c);
                }
            }
        }
        Ok((eps, delta.min(1.0), others, n_others))
    }

    fn basic_epsilon(&self, delta: f64) -> Result<f64> {
        let (mut eps, fixed, others, n) = self.split()?;
        if fixed > delta {
            return Ok(f64::INFINITY);
        }
        if others.is_empty() {
            return Ok(eps);
        }
        let each = deflate(div_down(delta - fixed, count_up(n)));
        if each <= 0.0 {
            return Ok(f64::INFINITY);
        }
        for (e, c) in others {
            eps = add_up(eps, mul_up(e.epsilon_at_delta(each)?, count_up(c)));
        }
        Ok(eps)
    }

    fn basic_delta(&self, epsilon: f64) -> Result<f64> {
        let (eps, mut delta, others, n) = self.split()?;
        if eps > epsilon {
            return Ok(1.0);
        }
        if others.is_empty() {
            return Ok(delta);
        }
        let each = div_down(epsilon - eps, count_up(n)).max(0.0);
        for (e, c) in others {
            delta = add_up(delta, mul_up(e.delta_at_epsilon(each)?, count_up(c)));
        }
        Ok(delta.min(1.0))
    }
}

/// Releases with a native (ε, δ) summed (ε, δ), and the other releases with
/// their total count.
type Split<'a> = (f64, f64, Vec<(&'a PrivacyEvent, u64)>, u64);

fn too_wide() -> Error {
    unsupported(
        Method::Pld,
        "does not apply: the composition is too wide for a privacy-loss distribution \
         within its size limit (2^20 grid points for a query, on a grid coarsened at \
         most 16-fold); use RDP or zCDP",
    )
}

/// What a PLD of the accountant is built from, prepared once for every grid
/// step tried.
struct PldPlan<'a> {
    gaussian_mu: Option<f64>,
    parts: Vec<(PldPart<'a>, u64)>,
    /// ε₀ of the Laplace releases when they share one and are the only
    /// releases besides Gaussians: the grid is aligned to it (0: not aligned;
    /// a plain float, as valgrind flags reads of an absent `Option<f64>`'s
    /// payload that the optimiser speculates).
    aligned_laplace: f64,
}

enum PldPart<'a> {
    Event(&'a PrivacyEvent),
    Lattice(LatticeProfile),
}

impl<'a> PldPlan<'a> {
    fn new(acc: &'a Accountant) -> Result<PldPlan<'a>> {
        let mut parts = Vec::new();
        let mut laplace: Option<f64> = None;
        let mut homogeneous = true;
        for (e, c) in &acc.entries {
            match *e {
                PrivacyEvent::Gaussian { .. } => continue,
                PrivacyEvent::Zcdp { .. } => {
                    return Err(unsupported(
                        Method::Pld,
                        "does not apply to zCDP releases (no privacy-loss distribution)",
                    ));
                }
                PrivacyEvent::PoissonSampledGaussian { .. }
                | PrivacyEvent::PoissonSampledLaplace { .. } => {
                    return Err(unsupported(
                        Method::Pld,
                        "does not apply to Poisson-sampled releases (use RDP)",
                    ));
                }
                PrivacyEvent::DiscreteGaussian {
                    l2_sensitivity,
                    sigma,
                    dimension,
                } => {
                    homogeneous = false;
                    let profile = LatticeProfile::new(l2_sensitivity, sigma, dimension)
                        .ok_or_else(|| {
                            unsupported(
                                Method::Pld,
                                "does not apply to this discrete Gaussian (too large to expand \
                                 into a privacy-loss distribution); use zCDP or RDP",
                            )
                        })?;
                    parts.push((PldPart::Lattice(profile), *c));
                }
                PrivacyEvent::Laplace {
                    l1_sensitivity,
                    scale,
                } => {
                    let e0 = div_up(l1_sensitivity, scale);
                    if laplace.is_some_and(|l| l != e0) {
                        homogeneous = false;
                    }
                    laplace = Some(e0);
                    parts.push((PldPart::Event(e), *c));
                }
                _ => {
                    homogeneous = false;
                    parts.push((PldPart::Event(e), *c));
                }
            }
        }
        Ok(PldPlan {
            gaussian_mu: acc.merged_gaussian_mu(),
            parts,
            aligned_laplace: match laplace {
                Some(e0) if homogeneous => e0,
                _ => 0.0,
            },
        })
    }

    /// The grid step to use near `step`, and for aligned Laplace releases
    /// the whole number M of steps in ε₀ (0 otherwise): step = ε₀/M rounded
    /// up, so that M·step ≥ ε₀ exactly.
    fn grid(&self, step: f64) -> (f64, i64) {
        let e0 = self.aligned_laplace;
        if e0 <= 0.0 {
            return (step, 0);
        }
        let m = div_up(e0, step).ceil().max(1.0);
        if m >= MAX_BINS_F64 {
            (step, 0)
        } else {
            (div_up(e0, m), m as i64)
        }
    }

    /// The composed PLD on grid `step` (Laplace releases as ε₀' = M·step
    /// when `multiple` is M ≥ 1), or `None` if too wide.
    /// The tuning of the accountant's queries: tilt λ, at most
    /// [`QUERY_MAX_BINS`] points.
    fn tuning(tilt: f64) -> Tuning {
        Tuning {
            tilt: if tilt.is_finite() {
                tilt.clamp(0.0, 64.0)
            } else {
                0.0
            },
            max_bins: QUERY_MAX_BINS,
            ..Tuning::PLAIN
        }
    }

    fn build(&self, (step, multiple): (f64, i64), tune: Tuning) -> Result<Option<Pld>> {
        let mut plds: Vec<(Pld, u64)> = Vec::with_capacity(self.parts.len() + 1);
        if let Some(mu) = self.gaussian_mu {
            match Pld::gaussian(mu, step) {
                Some(p) => plds.push((p, 1)),
                None => return Ok(None),
            }
        }
        for (part, c) in &self.parts {
            let built = match part {
                PldPart::Lattice(profile) => Pld::discrete_gaussian(profile, step),
                PldPart::Event(PrivacyEvent::Laplace { .. }) if multiple >= 1 => {
                    // A Laplace of ε₀' = M·step ≥ ε₀ dominates the release.
                    Pld::laplace_aligned(multiple, step)
                }
                PldPart::Event(e) => Pld::build_event(e, step)?,
            };
            match built {
                Some(p) => plds.push((p, *c)),
                None => return Ok(None),
            }
        }
        let refs: Vec<(&Pld, u64)> = plds.iter().map(|(p, c)| (p, *c)).collect();
        match Pld::compose_tuned(&refs, tune) {
            Ok(p) => Ok(Some(p)),
            Err(Error::InvalidArgument { param: "step", .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

const MAX_BINS_F64: f64 = MAX_BINS as f64;

/// The most grid points of a PLD built for an accountant's query (one FFT
/// of this size bounds the time of the PLD method).
const QUERY_MAX_BINS: usize = 1 << 20;

/// How far an accountant's query coarsens its PLD grid (beyond, the PLD
/// method does not apply and [`Method::Best`] uses the others).
const MAX_COARSENING: f64 = 16.0;

/// The largest number of releases [`max_releases`] reports (it saturates there).
const MAX_PLANNED_RELEASES: u64 = Accountant::MAX_PLANNED_RELEASES;

fn check_target(epsilon: f64, delta: f64) -> Result<()> {
    check_positive("epsilon", epsilon)?;
    check_delta(delta)?;
    Ok(())
}

fn check_releases(releases: u64) -> Result<()> {
    if releases == 0 {
        Err(Error::invalid("releases", "must be >= 1, got 0"))
    } else {
        Ok(())
    }
}

/// ε after `releases` releases of `event`, at `delta`, under `method`.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming the bad parameter (`releases` = 0,
/// `delta`, an event field) or `method` (unsupported).
pub fn epsilon_after(
    event: PrivacyEvent,
    releases: u64,
    delta: f64,
    method: Method,
) -> Result<f64> {
    check_releases(releases)?;
    let mut acc = Accountant::new();
    acc.compose(event, releases)?;
    acc.epsilon(delta, method)
}

/// δ after `releases` releases of `event`, at `epsilon`, under `method`.
///
/// # Errors
///
/// As [`epsilon_after`], with `epsilon` instead of `delta`.
pub fn delta_after(
    event: PrivacyEvent,
    releases: u64,
    epsilon: f64,
    method: Method,
) -> Result<f64> {
    check_releases(releases)?;
    let mut acc = Accountant::new();
    acc.compose(event, releases)?;
    acc.delta(epsilon, method)
}

/// The largest k (at most [`Accountant::MAX_PLANNED_RELEASES`]) such that k releases of
/// `event` are (ε, δ)-DP under `method` (for [`Method::Best`], the largest k
/// over the methods that support the event); 0 if not even one fits. The
/// answer k is checked directly, so it always fits.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `epsilon` (must be > 0), `delta`, an
/// event field, or `method` (unsupported for this event).
pub fn max_releases(event: PrivacyEvent, epsilon: f64, delta: f64, method: Method) -> Result<u64> {
    check_target(epsilon, delta)?;
    event.validate()?;
    if method == Method::Best {
        // The methods that answer in constant time first; PLD (one FFT per
        // count tried) is only searched above their answer, where it can
        // improve on it.
        let mut best = None;
        for m in Method::INDIVIDUAL {
            if m == Method::Pld {
                continue;
            }
            match max_releases(event, epsilon, delta, m) {
                Ok(k) => best = Some(best.map_or(k, |b: u64| b.max(k))),
                Err(Error::InvalidArgument {
                    param: "method", ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        let floor = best.ok_or_else(|| Error::Internal("no accounting method applies".into()))?;
        return match releases_above(event, epsilon, delta, Method::Pld, floor) {
            Ok(k) => Ok(floor.max(k)),
            Err(Error::InvalidArgument {
                param: "method", ..
            }) => Ok(floor),
            Err(e) => Err(e),
        };
    }
    releases_above(event, epsilon, delta, method, 0)
}

/// The largest k ≤ [`MAX_PLANNED_RELEASES`] that fits under `method`, or
/// `floor` if k = `floor` + 1 does not fit (counts up to `floor` are then
/// not examined). A count too wide for the method (an error naming
/// `method` beyond k = 1, e.g. a PLD past its size limit) does not fit.
/// Every answer above `floor` was checked directly.
fn releases_above(
    event: PrivacyEvent,
    epsilon: f64,
    delta: f64,
    method: Method,
    floor: u64,
) -> Result<u64> {
    let fits = |k: u64| -> Result<bool> {
        match epsilon_after(event, k, delta, method) {
            Ok(e) => Ok(e <= epsilon),
            Err(Error::InvalidArgument {
                param: "method", ..
            }) if k > 1 => Ok(false),
            Err(e) => Err(e),
        }
    };
    if floor >= MAX_PLANNED_RELEASES {
        return Ok(floor);
    }
    let first = floor + 1;
    if !fits(first)? {
        return Ok(floor);
    }
    // Gallop up from the first count that fits (steps of 1/16 of it,
    // doubling), then bisect: few evaluations when the answer is near.
    let mut good = first;
    let mut stride = (first / 16).max(1);
    let mut bad = loop {
        let next = good.saturating_add(stride).min(MAX_PLANNED_RELEASES);
        if next == good {
            return Ok(good);
        }
        if fits(next)? {
            good = next;
            stride = stride.saturating_mul(2);
        } else {
            break next;
        }
    };
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}

/// The smallest σ (to 10⁻⁶ relative, rounded up) such that `releases`
/// Gaussian releases of L2 sensitivity `l2_sensitivity` are (ε, δ)-DP under
/// `method`; the returned σ is checked to fit.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `l2_sensitivity`, `releases`,
/// `epsilon`, `delta`, or `method` ([`Method::Advanced`] and
/// [`Method::OptimalHomogeneous`] do not apply to Gaussians).
pub fn gaussian_sigma(
    l2_sensitivity: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: Method,
) -> Result<f64> {
    check_positive("l2_sensitivity", l2_sensitivity)?;
    check_releases(releases)?;
    check_target(epsilon, delta)?;
    if matches!(method, Method::Advanced | Method::OptimalHomogeneous) {
        return Err(unsupported(
            method,
            "needs pure-DP or (epsilon, delta)-DP releases (not Gaussian)",
        ));
    }
    let event = |sigma: f64| PrivacyEvent::Gaussian {
        l2_sensitivity,
        sigma,
    };
    // The exact answer (Balle & Wang) is a lower bound for every method.
    let mu = gaussian_mu_for(epsilon, delta)?;
    let exact = div_up(l2_sensitivity * count_up(releases).sqrt(), mu);
    let method = if method == Method::Best {
        Method::Zcdp
    } else {
        method
    };
    let fits = |sigma: f64| Ok(epsilon_after(event(sigma), releases, delta, method)? <= epsilon);
    let hi = grow_until(exact, f64::MAX / 4.0, &fits)?
        .ok_or_else(|| Error::invalid("epsilon", "is too small for any finite sigma"))?;
    bisect_fitting_min(exact * (1.0 - 1e-9), hi, 1e-6, &fits)
}

/// The smallest σ such that `releases` Gaussian releases of L2 sensitivity
/// `l2_sensitivity`, each on a Poisson sample of rate `rate` (each privacy
/// unit kept independently with probability q; see
/// [`PrivacyEvent::PoissonSampledGaussian`] and
/// [`crate::bound::poisson_sample`]), compose to (ε, δ)-DP under `method`;
/// within a relative 10⁻⁶ on the safe side. With `rate` = 1 this is
/// [`gaussian_sigma`]. [`Method::Best`] takes the smallest σ of RDP and
/// basic composition (the methods that credit sampling).
///
/// ```
/// use ilsprivacy::accountant::{Method, gaussian_sigma, sampled_gaussian_sigma};
/// // 1000 releases on 1 % samples need far less noise than on everything.
/// let sampled = sampled_gaussian_sigma(1.0, 0.01, 1000, 2.0, 1e-5, Method::Best)?;
/// let full = gaussian_sigma(1.0, 1000, 2.0, 1e-5, Method::Best)?;
/// assert!(sampled < 1.1 && full > 30.0 * sampled);
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `rate` unless 0 < q ≤ 1, or as
/// [`gaussian_sigma`]; `method` for the PLD, advanced and optimal
/// homogeneous methods when q < 1.
pub fn sampled_gaussian_sigma(
    l2_sensitivity: f64,
    rate: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: Method,
) -> Result<f64> {
    super::conversion::check_rate(rate)?;
    if rate == 1.0 {
        return gaussian_sigma(l2_sensitivity, releases, epsilon, delta, method);
    }
    check_positive("l2_sensitivity", l2_sensitivity)?;
    let methods: &[Method] = match method {
        Method::Best => &[Method::Rdp, Method::Basic],
        Method::Rdp | Method::Basic | Method::Zcdp => &[method],
        _ => {
            return Err(unsupported(
                method,
                "does not apply to Poisson-sampled Gaussian releases (use RDP or basic)",
            ));
        }
    };
    let event = |sigma: f64| PrivacyEvent::PoissonSampledGaussian {
        l2_sensitivity,
        sigma,
        rate,
    };
    smallest_scale(l2_sensitivity, releases, epsilon, delta, methods, event)
}

/// The smallest Laplace scale b (to 10⁻⁶ relative, on the safe side) such
/// that `releases` Laplace releases of L1 sensitivity `l1_sensitivity`, each
/// on a Poisson sample of rate `rate` (see
/// [`PrivacyEvent::PoissonSampledLaplace`]), compose to (ε, δ)-DP under
/// `method`. With `rate` = 1 this is [`laplace_scale`]. [`Method::Best`]
/// takes the smallest b of the methods other than PLD (which declines
/// sampled releases).
///
/// # Errors
///
/// As [`sampled_gaussian_sigma`] (`l1_sensitivity` in place of
/// `l2_sensitivity`); `method` for PLD when q < 1.
pub fn sampled_laplace_scale(
    l1_sensitivity: f64,
    rate: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: Method,
) -> Result<f64> {
    super::conversion::check_rate(rate)?;
    if rate == 1.0 {
        return laplace_scale(l1_sensitivity, releases, epsilon, delta, method);
    }
    check_positive("l1_sensitivity", l1_sensitivity)?;
    let all = [
        Method::Basic,
        Method::Advanced,
        Method::OptimalHomogeneous,
        Method::Zcdp,
        Method::Rdp,
    ];
    let methods: &[Method] = match method {
        Method::Best => &all,
        Method::Pld => {
            return Err(unsupported(
                method,
                "does not apply to Poisson-sampled releases (use RDP or basic)",
            ));
        }
        _ => std::slice::from_ref(&method),
    };
    let event = |scale: f64| PrivacyEvent::PoissonSampledLaplace {
        l1_sensitivity,
        scale,
        rate,
    };
    smallest_scale(l1_sensitivity, releases, epsilon, delta, methods, event)
}

/// The smallest scale of `event(scale)` (to 10⁻⁶ relative, one that fits)
/// for which `releases` releases are (ε, δ)-DP under one of `methods`.
fn smallest_scale(
    sensitivity: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    methods: &[Method],
    event: impl Fn(f64) -> PrivacyEvent,
) -> Result<f64> {
    check_releases(releases)?;
    check_target(epsilon, delta)?;
    let mut best = f64::INFINITY;
    for &m in methods {
        let fits = |scale: f64| match epsilon_after(event(scale), releases, delta, m) {
            Ok(e) => Ok(e <= epsilon),
            Err(Error::InvalidArgument {
                param: "method", ..
            }) => Ok(false),
            Err(e) => Err(e),
        };
        let start = sensitivity * 1e-3;
        let Some(hi) = grow_until(start, f64::MAX / 4.0, &fits)? else {
            continue;
        };
        let lo = if hi == start { 0.0 } else { hi / 2.0 };
        best = best.min(bisect_fitting_min(lo, hi, 1e-6, &fits)?);
    }
    if best.is_finite() {
        Ok(best)
    } else {
        Err(Error::invalid(
            "epsilon",
            "is too small for any finite scale",
        ))
    }
}

/// The smallest Laplace scale b (to 10⁻⁶ relative, rounded up) such that
/// `releases` Laplace releases of L1 sensitivity `l1_sensitivity` are
/// (ε, δ)-DP under `method` (for [`Method::Best`], the smallest over the
/// methods); the returned b is checked to fit.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `l1_sensitivity`, `releases`,
/// `epsilon` or `delta`.
pub fn laplace_scale(
    l1_sensitivity: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: Method,
) -> Result<f64> {
    check_positive("l1_sensitivity", l1_sensitivity)?;
    check_releases(releases)?;
    check_target(epsilon, delta)?;
    if method == Method::Best {
        let mut best = f64::INFINITY;
        for m in Method::INDIVIDUAL {
            match laplace_scale(l1_sensitivity, releases, epsilon, delta, m) {
                Ok(b) => best = best.min(b),
                Err(Error::InvalidArgument {
                    param: "method", ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(best);
    }
    let event = |scale: f64| PrivacyEvent::Laplace {
        l1_sensitivity,
        scale,
    };
    let fits = |b: f64| Ok(epsilon_after(event(b), releases, delta, method)? <= epsilon);
    // One release must satisfy ε₀ ≤ ε − 2 ln(1 − δ) (its exact profile).
    let lower = div_down(l1_sensitivity, epsilon - 2.0 * (-delta).ln_1p());
    let hi = grow_until(lower, f64::MAX / 4.0, &fits)?
        .ok_or_else(|| Error::invalid("epsilon", "is too small for any finite scale"))?;
    bisect_fitting_min(lower * (1.0 - 1e-9), hi, 1e-6, &fits)
}
