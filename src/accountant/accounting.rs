//! The accountant: a sequence of releases and the (ε, δ) it costs under each
//! composition method, plus planning queries.

use std::fmt;

use super::PrivacyEvent;
use super::composition::{
    advanced_composition_delta, advanced_composition_epsilon, optimal_homogeneous_delta,
    optimal_homogeneous_epsilon,
};
use super::gaussian::{gaussian_delta, gaussian_epsilon, gaussian_mu_for};
use super::pld::Pld;
use super::rdp::RdpCurve;
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
    /// Rényi DP over dp_accounting's order grid, tight Laplace curve, the
    /// CKS20 conversion.
    Rdp,
    /// Privacy-loss distributions: pessimistic grid, FFT composition, all
    /// Gaussians merged exactly into one. Not for zCDP releases.
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
            Method::Rdp => self.rdp_curve()?.epsilon(delta),
            Method::Pld => match self.gaussian_mu()? {
                // Gaussians only: the answer is at least the exact ε, so only
                // the losses above it need a grid (see `Pld::gaussian_above`).
                Some(mu) => {
                    let exact = gaussian_epsilon(mu, delta)?;
                    Ok(self.gaussian_pld_above(mu, exact)?.epsilon_at(delta))
                }
                None => Ok(self.pld()?.epsilon_at(delta)),
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
            Method::Rdp => self.rdp_curve()?.delta(epsilon),
            Method::Pld => match self.gaussian_mu()? {
                Some(mu) => Ok(self.gaussian_pld_above(mu, epsilon)?.delta_at(epsilon)),
                None => Ok(self.pld()?.delta_at(epsilon)),
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

    /// The composed privacy-loss distribution. All continuous Gaussian
    /// releases are merged first into one Gaussian with μ² = Σ count·(Δ/σ)²
    /// (exact: Gaussian losses add as Gaussians), the other releases are
    /// discretised once each and composed with their counts in one FFT pass.
    /// The grid starts at the accountant's step and is doubled while a
    /// distribution would need more than 2²² bins.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `method` for a zCDP release, or
    /// `event` for a discrete Gaussian that cannot be expanded (see
    /// [`Pld::from_event`]).
    pub fn pld(&self) -> Result<Pld> {
        let mut step = self.pld_step;
        loop {
            if let Some(p) = self.pld_with_step(step)? {
                return Ok(p);
            }
            step *= 2.0;
            if step > 1.0 {
                return Err(Error::invalid(
                    "count",
                    "the composition is too wide for a privacy-loss distribution",
                ));
            }
        }
    }

    fn pld_with_step(&self, step: f64) -> Result<Option<Pld>> {
        let mut parts: Vec<(Pld, u64)> = Vec::new();
        if let Some(mu) = self.merged_gaussian_mu() {
            match Pld::gaussian(mu, step) {
                Some(p) => parts.push((p, 1)),
                None => return Ok(None),
            }
        }
        for (e, c) in &self.entries {
            if matches!(e, PrivacyEvent::Gaussian { .. }) {
                continue;
            }
            if matches!(e, PrivacyEvent::Zcdp { .. }) {
                return Err(unsupported(
                    Method::Pld,
                    "does not apply to zCDP releases (no privacy-loss distribution)",
                ));
            }
            match Pld::build_event(e, step)? {
                Some(p) => parts.push((p, *c)),
                None => return Ok(None),
            }
        }
        let refs: Vec<(&Pld, u64)> = parts.iter().map(|(p, c)| (p, *c)).collect();
        match Pld::compose_all(&refs) {
            Ok(p) => Ok(Some(p)),
            Err(Error::InvalidArgument { param: "step", .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The Gaussian PLD of μ exact above `min_loss` (less two grid steps),
    /// on the accountant's grid, coarsened while too wide.
    fn gaussian_pld_above(&self, mu: f64, min_loss: f64) -> Result<Pld> {
        let mut step = self.pld_step;
        loop {
            let floor = if min_loss.is_finite() {
                min_loss - 2.0 * step
            } else {
                f64::NEG_INFINITY
            };
            if let Some(p) = Pld::gaussian_above(mu, step, floor) {
                return Ok(p);
            }
            step *= 2.0;
            if step > 1.0 {
                return Err(Error::invalid(
                    "count",
                    "the composition is too wide for a privacy-loss distribution",
                ));
            }
        }
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
        let mut best = None;
        for m in Method::INDIVIDUAL {
            match max_releases(event, epsilon, delta, m) {
                Ok(k) => best = Some(best.map_or(k, |b: u64| b.max(k))),
                Err(Error::InvalidArgument {
                    param: "method", ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        return best.ok_or_else(|| Error::Internal("no accounting method applies".into()));
    }
    let fits = |k: u64| -> Result<bool> { Ok(epsilon_after(event, k, delta, method)? <= epsilon) };
    if !fits(1)? {
        return Ok(0);
    }
    let mut good = 1u64;
    let mut bad = loop {
        let next = good.saturating_mul(2).min(MAX_PLANNED_RELEASES);
        if next == good {
            return Ok(good);
        }
        if fits(next)? {
            good = next;
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
