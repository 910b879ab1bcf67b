//! The one noisy release of an aggregator's table.
//!
//! A [`ReleasePlan`] says how much each unit may contribute to a partition
//! (L∞), which noise the counts (and sums) get, and — when partitions come
//! from the data — the (ε, δ) of partition selection. The release
//!
//! 1. computes the bounded totals (no randomness);
//! 2. builds every mechanism and the [`PrivacyEvent`]s of the whole table;
//! 3. spends them in **one** budget charge, before any noise is drawn (if
//!    the budget refuses, nothing is released);
//! 4. selects partitions (data partitions only), adds exact integer noise to
//!    every released cell, and post-processes: counts (and sums of
//!    non-negative values) are clamped at 0, and small cells may be
//!    suppressed.
//!
//! # The charge
//!
//! Everything is charged in one [`Budget::spend`]: with Laplace noise, one
//! (ε, δ) charge with ε the exact decimal sum of the tables' and the
//! selection's ε and δ the selection's (pure ε-DP when the partitions are
//! public); with Gaussian noise and public partitions, one ρ-zCDP charge
//! with ρ the sum of the Gaussian tables' ρ and ε²/2 for a Laplace table
//! (Bun, Steinke 2016), which needs an account with zCDP composition; with
//! Gaussian noise and partition selection, one (ε, δ) charge (Gaussian
//! thresholding, below), which needs a basic account. When
//! the release has a single part, its mechanism's [`PrivacyEvent`] goes to
//! the ledger with the charge.
//!
//! # Sensitivities charged
//!
//! With L0' = the effective L0 (at most the number of public partitions),
//! L∞ the plan's cap and M = max(|lo|, |hi|) (see the
//! [module documentation](super) for why these bounds hold):
//!
//! | table | L1 (discrete Laplace) | L2 (discrete Gaussian) |
//! |---|---|---|
//! | counts | L0'·L∞ | √L0'·L∞ |
//! | sums | L0'·L∞·M | √L0'·L∞·M |
//!
//! Discrete Laplace noise of scale t ≥ Δ₁/ε on every cell is ε-DP for the
//! whole table (Ghosh, Roughgarden, Sundararajan 2009; the vector form is
//! the same argument coordinate by coordinate with Σ|Δᵢ| ≤ Δ₁). Discrete
//! Gaussian noise of scale σ on every cell is ρ-zCDP with ρ = Δ₂²/(2σ²)
//! (Canonne, Kamath, Steinke 2020, Thm. 14, multivariate).
//!
//! # Partition selection
//!
//! When partition keys come from the data, a partition is released only if
//! its number of contributing units plus discrete Laplace noise of scale
//! t ≥ L0'/ε_sel reaches the threshold τ = 1 + ⌈t·ln(L0'/δ)⌉ (Korolova,
//! Kenthapadi, Mishra, Ntoulas 2009; Desfontaines, Voss, Gipson, Mandayam
//! 2022 for the L0-bounded form). Adding or removing one unit changes the
//! unit counts of partitions present either way by at most L0' in L1 norm
//! (ε_sel-DP), and creates at most L0' partitions that exist only because of
//! it, each with one unit; such a partition passes with probability
//! P(Z ≥ τ − 1) = r^(τ−1)/(1 + r) < δ/L0' (r = e^(−1/t)), so all of them
//! together with probability < δ. The selection is therefore
//! (ε_sel, δ)-DP, and the table is released only for selected partitions.
//! Partitions seen in the data but held by no unit after L0 bounding are
//! never candidates; released partitions are listed in key order (never in
//! order of appearance).
//!
//! **Gaussian thresholding.** When a table has Gaussian noise, selection at
//! (ε_sel, δ) splits δ in two halves (the approach of Google's
//! differential-privacy library for Gaussian partition selection): the unit
//! counts get discrete Gaussian noise of ρ_sel-zCDP, ρ_sel the largest ρ
//! whose CKS20 conversion at δ/2 is at most ε_sel (L2 sensitivity √L0', so
//! σ = √L0'/√(2ρ_sel)), and the threshold is τ = 1 + ⌈σ·√(2 ln(2L0'/δ))⌉,
//! so that a partition with one unit passes with probability
//! P(Z ≥ τ − 1) ≤ e^{−(τ−1)²/(2σ²)} ≤ δ/(2L0') (the discrete Gaussian is
//! σ²-subgaussian: Canonne, Kamath, Steinke 2020, Cor. 9), at most δ/2 for
//! the L0' partitions one unit can create. Everything noised — the tables
//! (ρ, or ε²/2 for a Laplace table) and the selection's unit counts — is
//! ρ_total-zCDP together, hence (ε, δ/2)-DP with ε the CKS20 conversion of
//! ρ_total (rounded up); with the threshold's δ/2 the release is (ε, δ)-DP,
//! charged as that one (ε, δ).

use std::fmt;

use super::aggregator::Aggregator;
use super::config::Partitions;
use super::table::BoundedTotals;
use crate::accountant::PrivacyEvent;
use crate::budget::{Budget, Charge, Decimal, Rounding, at_most_charged};
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::mechanism::{DiscreteGaussian, DiscreteLaplace, Quantile};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::rounding::{add_up, div_up, mul_up, sqrt_down};

/// The noise added to every released count (or sum).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TableNoise {
    /// Discrete Laplace calibrated to the table's L1 sensitivity: ε-DP.
    Laplace {
        /// ε of this table (counts or sums).
        epsilon: f64,
    },
    /// Discrete Gaussian calibrated to the table's L2 sensitivity: ρ-zCDP.
    /// Better than Laplace when L0 is large (the L2 sensitivity grows as √L0).
    Gaussian {
        /// ρ of this table (counts or sums).
        rho: f64,
    },
}

impl TableNoise {
    fn check(&self) -> Result<()> {
        match *self {
            TableNoise::Laplace { epsilon } => check_positive("epsilon", epsilon).map(drop),
            TableNoise::Gaussian { rho } => check_positive("rho", rho).map(drop),
        }
    }
}

/// How to release an aggregator's table (the guarantee and the charge are
/// stated in the [`aggregate`](crate::aggregate) module documentation).
///
/// ```
/// use ilsprivacy::aggregate::{ReleasePlan, TableNoise};
/// // At most 20 checkouts per patron and branch count; counts at ε = 0.5,
/// // cells whose noisy count is below 10 are withheld.
/// let plan = ReleasePlan::new(20, TableNoise::Laplace { epsilon: 0.5 })?.suppress_below(10);
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReleasePlan {
    max_contributions_per_partition: u32,
    count: TableNoise,
    sum: Option<TableNoise>,
    selection: Option<(f64, f64)>,
    suppress_below: Option<i64>,
    private_bound: Option<(f64, f64)>,
}

impl ReleasePlan {
    /// Counts capped at `max_contributions_per_partition` (L∞) per unit and
    /// partition, with `count_noise`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if L∞ is 0 or the noise parameter is not
    /// finite and > 0.
    pub fn new(max_contributions_per_partition: u32, count_noise: TableNoise) -> Result<Self> {
        if max_contributions_per_partition == 0 {
            return Err(Error::invalid(
                "max_contributions_per_partition",
                "must be >= 1, got 0",
            ));
        }
        count_noise.check()?;
        Ok(ReleasePlan {
            max_contributions_per_partition,
            count: count_noise,
            sum: None,
            selection: None,
            suppress_below: None,
            private_bound: None,
        })
    }

    /// Also releases the sums of values (the aggregator must have value bounds).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad noise parameter.
    pub fn with_sum(mut self, sum_noise: TableNoise) -> Result<Self> {
        sum_noise.check()?;
        self.sum = Some(sum_noise);
        Ok(self)
    }

    /// Selects partitions taken from the data privately, at (ε, δ); required
    /// for (and only for) aggregators without a public partition list.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless ε is finite and > 0 and δ ∈ (0, 1).
    pub fn with_partition_selection(mut self, epsilon: f64, delta: f64) -> Result<Self> {
        check_positive("epsilon", epsilon)?;
        if !(delta > 0.0 && delta < 1.0) {
            return Err(Error::invalid(
                "delta",
                format!("must be in (0, 1), got {}", describe_f64(delta)),
            ));
        }
        self.selection = Some((epsilon, delta));
        Ok(self)
    }

    /// Chooses L∞ privately instead of fixing it: the `quantile` (e.g. 0.95)
    /// of the units' largest cell counts, by the exponential mechanism at
    /// `epsilon` ([`Quantile`], one value per unit, so ε-DP under add/remove
    /// of a unit), rounded up and kept in `[1, L∞ given to new]` (the given
    /// L∞ becomes the upper end of the search). Its ε is part of the one
    /// charge; the chosen L∞ is in the released table. This replaces the
    /// common leak of clipping at the data's own 99th percentile.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `quantile ∈ [0, 1]` and `epsilon` is
    /// finite and > 0.
    pub fn with_private_max_contributions(mut self, quantile: f64, epsilon: f64) -> Result<Self> {
        Quantile::new(epsilon, quantile, 0.0, 1.0, 1)?;
        self.private_bound = Some((quantile, epsilon));
        Ok(self)
    }

    /// Withholds (post-processing) the cells whose noisy count is below `k`.
    pub fn suppress_below(mut self, k: i64) -> Self {
        self.suppress_below = Some(k);
        self
    }

    /// L∞.
    pub fn max_contributions_per_partition(&self) -> u32 {
        self.max_contributions_per_partition
    }
}

/// The mechanism and scale of one released table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseScale {
    /// The noise.
    pub kind: NoiseKind,
    /// The L1 sensitivity (Laplace) or L2 sensitivity (Gaussian) charged,
    /// rounded up.
    pub sensitivity: f64,
    /// The discrete Laplace scale t, or the discrete Gaussian σ (integer units).
    pub scale: f64,
}

/// Which noise a table got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseKind {
    /// Discrete Laplace.
    DiscreteLaplace,
    /// Discrete Gaussian.
    DiscreteGaussian,
}

/// One released row. `count` and `sum` are `None` when the cell was
/// suppressed (and `sum` when sums were not released).
#[derive(Clone, PartialEq, Eq)]
pub struct ReleasedRow {
    /// The partition's key.
    pub partition: Vec<u8>,
    /// The noisy count, clamped at 0.
    pub count: Option<i64>,
    /// The noisy sum (clamped at 0 when values are non-negative).
    pub sum: Option<i64>,
}

impl ReleasedRow {
    /// The partition key as text, if it is UTF-8.
    pub fn partition_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.partition).ok()
    }
}

impl fmt::Debug for ReleasedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Released values are public; the key is shown as text when it is text.
        let mut d = f.debug_struct("ReleasedRow");
        match self.partition_str() {
            Some(s) => d.field("partition", &s),
            None => d.field("partition", &self.partition),
        };
        d.field("count", &self.count)
            .field("sum", &self.sum)
            .finish()
    }
}

/// A released, differentially private table and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleasedTable {
    /// The rows: the public partitions in list order, or the selected ones in
    /// key order.
    pub rows: Vec<ReleasedRow>,
    /// ε of the (ε, δ) charge (0 for a zCDP charge).
    pub epsilon: f64,
    /// δ of the (ε, δ) charge (partition selection; 0 when pure or zCDP).
    pub delta: f64,
    /// ρ of the charge (for a pure ε-DP charge, ε²/2).
    pub rho: f64,
    /// The mechanisms' events, in order: counts, sums, selection.
    pub events: Vec<PrivacyEvent>,
    /// The ledger sequence number of the spend (0 for an in-memory budget
    /// that records none).
    pub ledger_seq: u64,
    /// The L0 that held (L0, or the number of public partitions if smaller).
    pub max_partitions_per_unit: u32,
    /// The L∞ applied.
    pub max_contributions_per_partition: u32,
    /// The counts' noise.
    pub count_noise: NoiseScale,
    /// The sums' noise, if sums were released.
    pub sum_noise: Option<NoiseScale>,
    /// The partition-selection threshold on noisy unit counts, if partitions
    /// came from the data.
    pub selection_threshold: Option<i64>,
    /// Rows withheld by small-cell suppression.
    pub suppressed: usize,
}

/// A table's noise and the only way to make a released value.
///
/// Every count and sum in a [`ReleasedRow`] is built from a [`Noised`],
/// which only [`Noise::add`] constructs, from the mechanism's output: there
/// is no way to write an un-noised fallback (such as publishing the exact
/// total if drawing failed) without changing this module. A failure to
/// draw is an error of the whole release (the spend stays recorded:
/// budget wasted, nothing published).
mod noised {
    use crate::error::Result;
    use crate::mechanism::{DiscreteGaussian, DiscreteLaplace};
    use crate::rng::NoiseRng;

    /// A value that has been through a table's mechanism.
    pub(super) struct Noised(i64);

    impl Noised {
        /// The noisy value (post-processing may follow).
        pub(super) fn value(self) -> i64 {
            self.0
        }
    }

    /// A table's noise, ready to draw.
    pub(super) enum Noise {
        Laplace(DiscreteLaplace),
        Gaussian(DiscreteGaussian),
        /// A mechanism whose draw fails (tests of the failure path).
        #[cfg(test)]
        Failing,
    }

    impl Noise {
        /// `value` plus the table's noise; an error if the draw fails.
        pub(super) fn add<R: NoiseRng>(&self, value: i64, rng: &mut R) -> Result<Noised> {
            match self {
                Noise::Laplace(m) => m.release_with(value, rng).map(Noised),
                Noise::Gaussian(m) => m.release_with(value, rng).map(Noised),
                #[cfg(test)]
                Noise::Failing => Err(crate::error::Error::Entropy(
                    "injected failure of a table's noise".into(),
                )),
            }
        }
    }
}

use noised::Noise;

impl Noise {
    /// Builds the noise for a table of L1 sensitivity `l1` and L2
    /// sensitivity `l2_up` (an upper bound) in which one unit changes at most
    /// `cells` cells.
    ///
    /// The scale is calibrated to the decimal the budget charges: ε (and ρ)
    /// as printed, read down to the largest double not above it
    /// (`at_most_charged`), so that the table's exact cost Δ₁/t (or
    /// Δ₂²/(2σ²)) is at most the charged decimal, not only at most the double
    /// given.
    fn build(
        noise: TableNoise,
        l1: u128,
        l2_up: f64,
        cells: u32,
        what: &'static str,
    ) -> Result<(Noise, NoiseScale, PrivacyEvent)> {
        match noise {
            TableNoise::Laplace { epsilon } => {
                let l1 = i64::try_from(l1).map_err(|_| sensitivity_too_large(what))?;
                let m = DiscreteLaplace::new(l1, epsilon)?;
                let scale = NoiseScale {
                    kind: NoiseKind::DiscreteLaplace,
                    sensitivity: l1 as f64,
                    scale: m.scale(),
                };
                let event = m.event();
                Ok((Noise::Laplace(m), scale, event))
            }
            TableNoise::Gaussian { rho } => {
                if !l2_up.is_finite() || l2_up >= 2f64.powi(62) {
                    return Err(sensitivity_too_large(what));
                }
                // Δ₂²/(2σ²) ≤ ρ' ≤ the charged decimal ρ: 2ρ' is exact,
                // its square root rounds down and the quotient up.
                let sigma = div_up(l2_up, sqrt_down(2.0 * at_most_charged(rho)));
                // The mechanism is built for the integer bound ⌈Δ₂⌉; the
                // table's event states the exact (smaller) vector bound Δ₂
                // and how many cells one unit can change.
                let m = DiscreteGaussian::from_sigma(l2_up.ceil() as i64, sigma)?;
                let scale = NoiseScale {
                    kind: NoiseKind::DiscreteGaussian,
                    sensitivity: l2_up,
                    scale: m.sigma(),
                };
                let event = PrivacyEvent::discrete_gaussian_vector(
                    l2_up,
                    m.sigma(),
                    Some(u64::from(cells.max(1))),
                );
                Ok((Noise::Gaussian(m), scale, event))
            }
        }
    }
}

fn sensitivity_too_large(what: &'static str) -> Error {
    Error::invalid(
        "max_contributions_per_partition",
        format!(
            "makes the {what} sensitivity too large to calibrate noise; lower L0, L∞ or the value bounds"
        ),
    )
}

/// √n rounded up.
fn sqrt_up(n: u32) -> f64 {
    let x = f64::from(n);
    let r = x.sqrt();
    if r.mul_add(r, -x) < 0.0 {
        r.next_up()
    } else {
        r
    }
}

/// Partition selection, ready to draw.
struct Selection {
    noise: Noise,
    threshold: i64,
    /// ρ of the selection noise (Gaussian thresholding), 0 for Laplace.
    rho: f64,
}

impl Selection {
    /// Gaussian thresholding (module documentation): discrete Gaussian noise
    /// of ρ_sel = the largest ρ whose CKS20 ε at δ/2 is at most `epsilon`,
    /// on unit counts of L2 sensitivity √L0'; threshold τ with
    /// τ − 1 ≥ σ·√(2 ln(2L0'/δ)).
    fn build_gaussian(l0: u32, epsilon: f64, delta: f64) -> Result<(Selection, PrivacyEvent)> {
        let half = delta / 2.0;
        let rho = crate::accountant::cks_max_rho(at_most_charged(epsilon), half);
        let too_small = || {
            Error::invalid(
                "epsilon",
                format!(
                    "is too small for Gaussian partition selection at delta = {}",
                    describe_f64(delta)
                ),
            )
        };
        if rho.is_nan() || rho <= 0.0 {
            return Err(too_small());
        }
        let l2 = sqrt_up(l0);
        let sigma = div_up(l2, sqrt_down(2.0 * rho));
        if !sigma.is_finite() || sigma >= 2f64.powi(60) {
            return Err(too_small());
        }
        let m = DiscreteGaussian::from_sigma(l2.ceil() as i64, sigma)?;
        // Subgaussian tail of the discrete Gaussian (CKS20, Cor. 9):
        // P(Z ≥ x) ≤ e^{−x²/(2σ²)} ≤ δ/(2L0') for x ≥ σ·√(2 ln(2L0'/δ)).
        let x = m.sigma() * (2.0 * (2.0 * f64::from(l0) / delta).ln()).sqrt();
        let x = x * (1.0 + 1e-9) + 1e-9;
        if !x.is_finite() || x >= 2f64.powi(62) {
            return Err(too_small());
        }
        let threshold = 1 + x.ceil() as i64;
        let event = PrivacyEvent::discrete_gaussian_vector(l2, m.sigma(), Some(u64::from(l0)));
        let rho = event.zcdp_rho()?.unwrap_or(f64::INFINITY);
        Ok((
            Selection {
                noise: Noise::Gaussian(m),
                threshold,
                rho,
            },
            event,
        ))
    }

    fn build(l0: u32, epsilon: f64, delta: f64) -> Result<(Selection, PrivacyEvent)> {
        let noise = DiscreteLaplace::new(i64::from(l0), epsilon)?;
        let t = noise.scale();
        // τ − 1 ≥ t·ln(L0'/δ), with a relative margin far above float error.
        let x = t * (f64::from(l0) / delta).ln();
        let x = x * (1.0 + 1e-9) + 1e-9;
        if !x.is_finite() || x >= 2f64.powi(62) {
            return Err(Error::invalid(
                "epsilon",
                format!(
                    "is too small for partition selection at delta = {}",
                    describe_f64(delta)
                ),
            ));
        }
        let threshold = 1 + x.ceil() as i64;
        let event = PrivacyEvent::ApproximateDp { epsilon, delta };
        Ok((
            Selection {
                noise: Noise::Laplace(noise),
                threshold,
                rho: 0.0,
            },
            event,
        ))
    }
}

/// Everything computed before the spend: totals, mechanisms, events.
pub(crate) struct PreparedRelease<'a> {
    agg: &'a Aggregator,
    plan: ReleasePlan,
    totals: Vec<BoundedTotals>,
    count: (Noise, NoiseScale),
    sum: Option<(Noise, NoiseScale)>,
    selection: Option<Selection>,
    events: Vec<PrivacyEvent>,
    l0: u32,
}

impl Aggregator {
    /// Checks `plan` against this aggregator, computes the bounded totals and
    /// builds the mechanisms and events. Draws no noise.
    pub(crate) fn prepare_release(&self, plan: &ReleasePlan) -> Result<PreparedRelease<'_>> {
        let public = matches!(self.config.partitions(), Partitions::Public(_));
        match (public, plan.selection) {
            (false, None) => {
                return Err(Error::invalid(
                    "plan",
                    "needs partition selection (with_partition_selection): the partitions come from the data",
                ));
            }
            (true, Some(_)) => {
                return Err(Error::invalid(
                    "plan",
                    "has partition selection, but the partitions are a public list",
                ));
            }
            _ => {}
        }
        let bounds = self.config.value_bounds();
        if plan.sum.is_some() && bounds.is_none_or(|b| b.magnitude() == 0) {
            return Err(Error::invalid(
                "plan",
                "releases sums, but the aggregator has no value bounds (or bounds [0, 0])",
            ));
        }
        let gaussian = matches!(plan.count, TableNoise::Gaussian { .. })
            || matches!(plan.sum, Some(TableNoise::Gaussian { .. }));
        let l0 = self.config.effective_l0();
        let l_inf = plan.max_contributions_per_partition;
        let mut events = Vec::with_capacity(3);

        let count_l1 = u128::from(l0) * u128::from(l_inf);
        let count_l2 = mul_up(sqrt_up(l0), f64::from(l_inf));
        let (noise, scale, event) = Noise::build(plan.count, count_l1, count_l2, l0, "count")?;
        events.push(event);
        let count = (noise, scale);

        let sum = match (plan.sum, bounds) {
            (Some(sum_noise), Some(b)) => {
                let m = u128::from(b.magnitude());
                let l1 = count_l1 * m;
                let l2 = mul_up(count_l2, m as f64);
                let (noise, scale, event) = Noise::build(sum_noise, l1, l2, l0, "sum")?;
                events.push(event);
                Some((noise, scale))
            }
            _ => None,
        };

        let selection = match plan.selection {
            Some((e, d)) => {
                let (s, event) = if gaussian {
                    Selection::build_gaussian(l0, e, d)?
                } else {
                    Selection::build(l0, e, d)?
                };
                events.push(event);
                Some(s)
            }
            None => None,
        };

        Ok(PreparedRelease {
            agg: self,
            plan: plan.clone(),
            totals: self.bounded_totals(l_inf),
            count,
            sum,
            selection,
            events,
            l0,
        })
    }

    /// Releases the table under `plan`, charging account `account` of
    /// `budget` once for all of it, before any noise is drawn.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`]: the plan does not fit this aggregator
    ///   (selection missing for data partitions, or given for a public list;
    ///   sums without value bounds; a sensitivity too large to calibrate),
    ///   or the account's rule cannot charge the release (Gaussian noise
    ///   with public partitions needs a zCDP account, with partition
    ///   selection a basic one).
    /// - [`Error::BudgetExhausted`]: the charge does not fit; nothing is
    ///   released or recorded.
    /// - [`Error::Io`], [`Error::LedgerIntegrity`]: the ledger failed; nothing
    ///   is released.
    /// - [`Error::Entropy`].
    pub fn release(
        &self,
        plan: &ReleasePlan,
        budget: &Budget,
        account: &str,
    ) -> Result<ReleasedTable> {
        self.release_using(plan, budget, account, |prepared| {
            with_secure_rng(|rng| self.finish(prepared, rng))?
        })
    }

    /// [`release`](Self::release) with noise from `rng` — for reproducible
    /// tests with [`InsecureSeededRng`](crate::rng::InsecureSeededRng) only;
    /// it still charges the budget.
    ///
    /// # Errors
    ///
    /// As [`release`](Self::release).
    pub fn release_with<R: NoiseRng>(
        &self,
        plan: &ReleasePlan,
        budget: &Budget,
        account: &str,
        rng: &mut R,
    ) -> Result<ReleasedTable> {
        self.release_using(plan, budget, account, |prepared| self.finish(prepared, rng))
    }

    /// After the spend: chooses L∞ privately if the plan says so, then draws.
    pub(super) fn finish<R: NoiseRng>(
        &self,
        prepared: PreparedRelease<'_>,
        rng: &mut R,
    ) -> Result<ReleasedTable> {
        let Some((q, epsilon)) = prepared.plan.private_bound else {
            return prepared.draw(rng);
        };
        let upper = prepared.plan.max_contributions_per_partition;
        let quantile = Quantile::new(epsilon, q, 0.0, f64::from(upper), upper.min(1 << 20))?;
        let values: Vec<f64> = self
            .unit_max_cell_counts()
            .into_iter()
            .map(f64::from)
            .collect();
        let chosen = quantile.release_with(&values, rng)?;
        let l_inf = (chosen.ceil().clamp(1.0, f64::from(upper))) as u32;
        let mut plan = prepared.plan.clone();
        plan.max_contributions_per_partition = l_inf;
        plan.private_bound = None;
        // Cannot fail: the plan was prepared with the larger upper bound.
        let mut again = self.prepare_release(&plan)?;
        again.events.insert(0, quantile.event());
        again.draw(rng)
    }

    fn release_using(
        &self,
        plan: &ReleasePlan,
        budget: &Budget,
        account: &str,
        draw: impl FnOnce(PreparedRelease<'_>) -> Result<ReleasedTable>,
    ) -> Result<ReleasedTable> {
        let prepared = self.prepare_release(plan)?;
        let charge = prepared.charge()?;
        let (mut table, receipt) = budget.spend_and_release(account, &charge, || draw(prepared))?;
        table.epsilon = charge.epsilon().map_or(0.0, |d| d.to_f64_nearest());
        table.delta = charge.delta().map_or(0.0, |d| d.to_f64_nearest());
        table.rho = charge.rho().map_or(0.0, |d| d.to_f64_nearest());
        table.ledger_seq = receipt.seq;
        Ok(table)
    }
}

/// The exact decimal sum of parameters read as printed, as the `f64` that
/// prints as that sum (or the least one printing above it).
fn exact_total(param: &'static str, parts: &[f64]) -> Result<f64> {
    let too_large = || Error::invalid(param, "is too large for budget accounting");
    let mut sum = Decimal::ZERO;
    for &p in parts {
        let d = Decimal::from_printed(p, Rounding::Up).ok_or_else(too_large)?;
        sum = sum.checked_add(d).ok_or_else(too_large)?;
    }
    Ok(decimal_as_f64_at_least(sum))
}

/// An `f64` whose printed decimal is `d`, or the first one printing above it.
fn decimal_as_f64_at_least(d: Decimal) -> f64 {
    let x = d.to_f64_nearest();
    if Decimal::from_printed(x, Rounding::Up) == Some(d) {
        return x;
    }
    let mut x = d.to_f64_up();
    while Decimal::from_printed(x, Rounding::Up).is_some_and(|p| p < d) {
        x = x.next_up();
    }
    x
}

impl PreparedRelease<'_> {
    /// The events of the release's mechanisms.
    #[cfg(test)]
    pub(crate) fn events(&self) -> &[PrivacyEvent] {
        &self.events
    }

    /// The L0, L∞, noise scales and selection threshold the release will
    /// use (with a private L∞, those of the plan's upper bound).
    pub(crate) fn preview(&self) -> (u32, u32, NoiseScale, Option<NoiseScale>, Option<i64>) {
        (
            self.l0,
            self.plan.max_contributions_per_partition,
            self.count.1,
            self.sum.as_ref().map(|s| s.1),
            self.selection.as_ref().map(|s| s.threshold),
        )
    }

    /// The one charge covering the whole table (see the module documentation).
    pub(crate) fn charge(&self) -> Result<Charge> {
        let mut laplace_eps: Vec<f64> = [Some(self.plan.count), self.plan.sum]
            .into_iter()
            .flatten()
            .filter_map(|n| match n {
                TableNoise::Laplace { epsilon } => Some(epsilon),
                TableNoise::Gaussian { .. } => None,
            })
            .collect();
        // The private choice of L∞ is ε-DP (pure), like a Laplace part.
        if let Some((_, e)) = self.plan.private_bound {
            laplace_eps.push(e);
        }
        let rhos: Vec<f64> = [Some(self.plan.count), self.plan.sum]
            .into_iter()
            .flatten()
            .filter_map(|n| match n {
                TableNoise::Gaussian { rho } => Some(rho),
                TableNoise::Laplace { .. } => None,
            })
            .collect();
        let charge = if let (false, Some(sel), Some((_, delta))) =
            (rhos.is_empty(), &self.selection, self.plan.selection)
        {
            // Gaussian thresholding: everything noised is ρ-zCDP together
            // (the tables' ρ, ε²/2 for a Laplace table, the selection's ρ),
            // hence (ε, δ/2)-DP by CKS20; a partition that exists only
            // because of one unit passes with probability ≤ δ/(2L0'), so
            // ≤ δ/2 for all of them. One (ε, δ) charge covers both parts.
            let mut rho = rhos.iter().fold(sel.rho, |acc, r| add_up(acc, *r));
            for e in laplace_eps {
                rho = add_up(rho, mul_up(mul_up(e, e), 0.5));
            }
            let epsilon = crate::accountant::cks_epsilon(rho, delta / 2.0);
            if !epsilon.is_finite() {
                return Err(Error::invalid("rho", "is too large for budget accounting"));
            }
            // The next double up prints as a decimal above the bound.
            Charge::approximate_dp(epsilon.next_up(), delta)?
        } else if rhos.is_empty() {
            let mut eps = laplace_eps;
            let mut delta = 0.0;
            if let Some((e, d)) = self.plan.selection {
                eps.push(e);
                delta = d;
            }
            Charge::approximate_dp(exact_total("epsilon", &eps)?, delta)?
        } else {
            // ρ of the Gaussian tables plus ε²/2 for a Laplace table.
            let too_large = || Error::invalid("rho", "is too large for budget accounting");
            let mut rho = Decimal::from_printed(exact_total("rho", &rhos)?, Rounding::Up)
                .ok_or_else(too_large)?;
            for e in laplace_eps {
                let half_sq = Decimal::from_printed(e, Rounding::Up)
                    .and_then(|d| d.square_div_up(2))
                    .ok_or_else(too_large)?;
                rho = rho.checked_add(half_sq).ok_or_else(too_large)?;
            }
            Charge::zcdp(decimal_as_f64_at_least(rho))?
        };
        match (self.events.as_slice(), self.plan.private_bound) {
            ([only], None) => charge.with_event(*only),
            _ => Ok(charge),
        }
    }

    /// Draws the noise and builds the table. Call only after the spend.
    ///
    /// # Errors
    ///
    /// A failed draw ([`Error::Entropy`]) fails the whole release: no row
    /// is returned, and in particular no total goes out without its noise.
    pub(crate) fn draw<R: NoiseRng>(self, rng: &mut R) -> Result<ReleasedTable> {
        let keys = &self.agg.partitions.keys;
        // Candidate partitions, in output order.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        if let Some(sel) = &self.selection {
            order.retain(|&p| self.totals[p].units > 0);
            order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
            let mut selected = Vec::with_capacity(order.len());
            for p in order {
                if sel.noise.add(self.totals[p].units, rng)?.value() >= sel.threshold {
                    selected.push(p);
                }
            }
            order = selected;
        }
        let nonneg_sums = self.agg.config.value_bounds().is_some_and(|b| b.lo() >= 0);
        let nonpos_sums = self.agg.config.value_bounds().is_some_and(|b| b.hi() <= 0);
        let mut suppressed = 0;
        let mut rows = Vec::with_capacity(order.len());
        for p in order {
            let t = self.totals[p];
            let count = self.count.0.add(t.count, rng)?.value().max(0);
            let sum = match &self.sum {
                Some((noise, _)) => {
                    let s = noise.add(t.sum, rng)?.value();
                    Some(if nonneg_sums {
                        s.max(0)
                    } else if nonpos_sums {
                        s.min(0)
                    } else {
                        s
                    })
                }
                None => None,
            };
            let keep = self.plan.suppress_below.is_none_or(|k| count >= k);
            if !keep {
                suppressed += 1;
            }
            rows.push(ReleasedRow {
                partition: keys[p].to_vec(),
                count: keep.then_some(count),
                sum: if keep { sum } else { None },
            });
        }
        Ok(ReleasedTable {
            rows,
            epsilon: 0.0,
            delta: 0.0,
            rho: 0.0,
            events: self.events,
            ledger_seq: 0,
            max_partitions_per_unit: self.l0,
            max_contributions_per_partition: self.plan.max_contributions_per_partition,
            count_noise: self.count.1,
            sum_noise: self.sum.map(|s| s.1),
            selection_threshold: self.selection.map(|s| s.threshold),
            suppressed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{AggregatorConfig, Event, SelectionKey};
    use crate::rng::InsecureSeededRng;

    fn config(l0: u32) -> AggregatorConfig {
        AggregatorConfig::new(l0)
            .unwrap()
            .with_selection_key(SelectionKey::from_bytes([3; 16]))
    }

    fn release(agg: &Aggregator, plan: &ReleasePlan, rng: &mut InsecureSeededRng) -> ReleasedTable {
        agg.prepare_release(plan).unwrap().draw(rng).unwrap()
    }

    #[test]
    fn plans_are_checked_against_the_aggregator() {
        let laplace = TableNoise::Laplace { epsilon: 1.0 };
        let e = ReleasePlan::new(0, laplace).unwrap_err();
        assert_eq!(
            e.to_string(),
            "max_contributions_per_partition must be >= 1, got 0"
        );
        let e = ReleasePlan::new(1, TableNoise::Gaussian { rho: f64::NAN }).unwrap_err();
        assert_eq!(e.to_string(), "rho must be finite and > 0, got NaN");
        let plan = ReleasePlan::new(1, laplace).unwrap();
        let e = plan.clone().with_partition_selection(1.0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "delta must be in (0, 1), got 1");

        let from_data = Aggregator::new(config(1));
        let e = from_data.prepare_release(&plan).err().unwrap();
        assert!(e.to_string().contains("needs partition selection"), "{e}");
        let public = Aggregator::new(config(1).with_public_partitions(["A"]).unwrap());
        let selecting = plan.clone().with_partition_selection(1.0, 1e-6).unwrap();
        let e = public.prepare_release(&selecting).err().unwrap();
        assert!(e.to_string().contains("public list"), "{e}");
        let e = public
            .prepare_release(&plan.clone().with_sum(laplace).unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().contains("no value bounds"), "{e}");
    }

    #[test]
    fn charges_exactly_the_bounded_sensitivities() {
        let c = config(3)
            .with_value_bounds(-4, 10)
            .unwrap()
            .with_public_partitions(["A", "B", "C", "D"])
            .unwrap();
        let agg = Aggregator::new(c);
        let plan = ReleasePlan::new(5, TableNoise::Laplace { epsilon: 0.5 })
            .unwrap()
            .with_sum(TableNoise::Gaussian { rho: 0.125 })
            .unwrap();
        let p = agg.prepare_release(&plan).unwrap();
        assert_eq!(
            p.events()[0],
            PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: 15.0,
                scale: 30.0
            }
        );
        // Sums: Δ₂ = √3 · 5 · 10 ≈ 86.6, σ = Δ₂ / √(2ρ) = 2Δ₂ ≈ 173.2.
        let PrivacyEvent::DiscreteGaussian {
            l2_sensitivity,
            sigma,
            dimension,
        } = p.events()[1]
        else {
            panic!("{:?}", p.events()[1]);
        };
        assert!(l2_sensitivity >= 50.0 * 3f64.sqrt());
        assert!(l2_sensitivity < 50.0 * 3f64.sqrt() * (1.0 + 1e-15));
        assert!(sigma >= 2.0 * l2_sensitivity && sigma < 2.0 * l2_sensitivity * (1.0 + 1e-15));
        assert_eq!(dimension, Some(3), "one unit changes at most L0 = 3 cells");
        // One zCDP charge: ρ = 0.125 (Gaussian sums) + 0.5²/2 (Laplace counts).
        let charge = p.charge().unwrap();
        assert_eq!(charge.rho().unwrap().to_f64_nearest(), 0.25);
        assert!(charge.epsilon().is_none());
        assert!(charge.event().is_none());
        let t = p
            .draw(&mut InsecureSeededRng::from_seed_insecure(1))
            .unwrap();
        assert_eq!(t.max_partitions_per_unit, 3);
        assert_eq!(t.rows.len(), 4);
        assert!(
            t.rows
                .iter()
                .all(|r| r.count.unwrap() >= 0 && r.sum.is_some())
        );

        // With two public partitions, L0 = 3 is effectively 2.
        let small = Aggregator::new(config(3).with_public_partitions(["A", "B"]).unwrap());
        let plan = ReleasePlan::new(5, TableNoise::Laplace { epsilon: 1.0 }).unwrap();
        let p = small.prepare_release(&plan).unwrap();
        assert_eq!(
            p.events()[0],
            PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: 10.0,
                scale: 10.0
            }
        );
    }

    #[test]
    fn one_charge_sums_the_parts_exactly() {
        assert_eq!(exact_total("epsilon", &[0.1, 0.2]).unwrap(), 0.3);
        assert_eq!(exact_total("epsilon", &[0.1, 0.2, 0.7]).unwrap(), 1.0);
        let c = config(2).with_value_bounds(0, 9).unwrap();
        let agg = Aggregator::new(c.clone());
        let plan = ReleasePlan::new(3, TableNoise::Laplace { epsilon: 0.1 })
            .unwrap()
            .with_sum(TableNoise::Laplace { epsilon: 0.2 })
            .unwrap()
            .with_partition_selection(0.7, 1e-6)
            .unwrap();
        let charge = agg.prepare_release(&plan).unwrap().charge().unwrap();
        assert_eq!(charge.epsilon().unwrap().to_f64_nearest(), 1.0);
        assert_eq!(charge.delta().unwrap().to_f64_nearest(), 1e-6);
        assert!(charge.event().is_none());
        // A single part carries its mechanism's event to the ledger.
        let public = Aggregator::new(c.with_public_partitions(["A"]).unwrap());
        let plan = ReleasePlan::new(3, TableNoise::Laplace { epsilon: 0.3 }).unwrap();
        let charge = public.prepare_release(&plan).unwrap().charge().unwrap();
        assert_eq!(charge.epsilon().unwrap().to_f64_nearest(), 0.3);
        assert!(matches!(
            charge.event(),
            Some(&PrivacyEvent::DiscreteLaplace { l1_sensitivity, scale })
                if l1_sensitivity == 3.0 && (10.0..10.000001).contains(&scale)
        ));
        // Gaussian noise with selection: one (ε, δ) charge covering the
        // tables' ρ and the selection's ρ (CKS20 at δ/2) and the
        // threshold's δ/2, and no ρ (a zCDP account cannot take a δ).
        let gaussian = ReleasePlan::new(3, TableNoise::Gaussian { rho: 0.1 })
            .unwrap()
            .with_partition_selection(0.5, 1e-6)
            .unwrap();
        let p = agg.prepare_release(&gaussian).unwrap();
        let sel_rho = p.selection.as_ref().unwrap().rho;
        let charge = p.charge().unwrap();
        assert_eq!(charge.delta().unwrap().to_f64_nearest(), 1e-6);
        assert!(charge.rho().is_none() && charge.event().is_none());
        let eps = charge.epsilon().unwrap().to_f64_nearest();
        let both = crate::accountant::cks_epsilon(0.1 + sel_rho, 0.5e-6);
        let tables_only = crate::accountant::cks_epsilon(0.1, 0.5e-6);
        assert!(
            eps >= both && eps <= both * (1.0 + 1e-12),
            "{eps} vs {both}"
        );
        assert!(eps > tables_only, "the selection's noise is charged");
        // The selection's noise alone is within its (ε, δ/2).
        assert!(sel_rho > 0.0 && crate::accountant::cks_epsilon(sel_rho, 0.5e-6) <= 0.5);
        // A zCDP account cannot take this charge; a basic one can.
        let budget = Budget::in_memory();
        budget
            .set_composition("z", crate::budget::Composition::Zcdp)
            .unwrap();
        budget
            .set_limit(
                "z",
                crate::budget::Limit::epsilon_delta(10.0, 1e-5).unwrap(),
                "",
            )
            .unwrap();
        let e = agg.release(&gaussian, &budget, "z").err().unwrap();
        assert_eq!(e.status(), crate::error::Status::InvalidArgument, "{e}");
    }

    /// Gaussian thresholding: a partition held by a single patron passes
    /// with probability P(Z ≥ τ − 1), Z discrete Gaussian of the selection's
    /// σ, which the subgaussian tail bounds by its share δ/(2·L0) of δ. Here
    /// L0 = 2, δ = 0.2 (share 0.05). Over 20,000 seeded releases the
    /// observed rate must lie within 5 standard errors of the exact
    /// probability (false failure ≈ 6·10⁻⁷ for a random seed), and the exact
    /// probability must be at most the share. Partitions with 40 patrons
    /// pass almost always.
    #[test]
    fn gaussian_selection_passes_a_lone_patron_with_probability_at_most_its_share() {
        let mut agg = Aggregator::new(config(2));
        agg.add(Event::new("lonely", "RARE")).unwrap();
        for i in 0..40 {
            agg.add(Event::new(&format!("p{i}"), "COMMON")).unwrap();
        }
        let (epsilon, delta) = (1.0, 0.2);
        let plan = ReleasePlan::new(1, TableNoise::Gaussian { rho: 0.5 })
            .unwrap()
            .with_partition_selection(epsilon, delta)
            .unwrap();
        let prepared = agg.prepare_release(&plan).unwrap();
        let sel = prepared.selection.as_ref().unwrap();
        let Noise::Gaussian(m) = &sel.noise else {
            panic!("Gaussian plans select with Gaussian noise");
        };
        let (sigma, threshold) = (m.sigma(), sel.threshold);
        let cdf = crate::sample::stats::discrete_gaussian_cdf(sigma);
        let exact = 1.0 - cdf(i128::from(threshold - 2)); // P(Z ≥ τ − 1)
        let share = delta / 2.0 / 2.0;
        assert!(exact <= share, "exact {exact} > share {share}");
        let mut rng = InsecureSeededRng::from_seed_insecure(2022);
        let runs = 20_000u32;
        let (mut rare, mut common) = (0u32, 0u32);
        for _ in 0..runs {
            let t = release(&agg, &plan, &mut rng);
            assert_eq!(t.selection_threshold, Some(threshold));
            for row in &t.rows {
                match row.partition_str() {
                    Some("RARE") => rare += 1,
                    Some("COMMON") => common += 1,
                    other => panic!("unexpected partition {other:?}"),
                }
            }
        }
        let observed = f64::from(rare) / f64::from(runs);
        eprintln!(
            "lone patron: sigma {sigma}, tau {threshold}, exact {exact}, observed {observed}, share {share}"
        );
        let z = crate::sample::stats::binomial_z(u64::from(rare), u64::from(runs), exact);
        assert!(
            z.abs() < 5.0,
            "observed {observed}, exact {exact} (sigma {sigma}, tau {threshold})"
        );
        assert!(observed <= share, "observed {observed} > share {share}");
        assert!(f64::from(common) / f64::from(runs) > 0.999);
    }

    /// One patron with 10,000 checkouts at one branch moves that branch's
    /// bounded count by exactly L∞ and no other partition; with noise, the
    /// mean released count over 4,000 seeded releases moves by L∞ ± 3
    /// standard errors (discrete Laplace of scale 4: sd ≈ 5.6, standard error
    /// of a difference of means ≈ 0.13; false-failure rate < 0.3%).
    #[test]
    fn one_heavy_patron_moves_one_branch_by_at_most_l_inf() {
        let branches = ["CENTRAL", "EAST", "WEST", "NORTH"];
        let c = config(2).with_public_partitions(branches).unwrap();
        let mut without = Aggregator::new(c);
        for i in 0..300 {
            let patron = format!("patron-{i}");
            for b in 0..1 + i % 3 {
                without
                    .add(Event::new(&patron, branches[(i + b) % 4]).with_count(1 + i as u64 % 4))
                    .unwrap();
            }
        }
        let mut with = without.clone();
        for _ in 0..10_000 {
            with.add(Event::new("heavy-patron", "EAST")).unwrap();
        }
        let l_inf = 4;
        let (a, b) = (without.bounded_totals(l_inf), with.bounded_totals(l_inf));
        let changed: Vec<usize> = (0..4).filter(|&p| a[p] != b[p]).collect();
        assert_eq!(changed, vec![1]);
        assert_eq!(b[1].count - a[1].count, i64::from(l_inf));
        assert_eq!(b[1].units - a[1].units, 1);

        let plan = ReleasePlan::new(l_inf, TableNoise::Laplace { epsilon: 2.0 }).unwrap();
        let runs = 4000;
        let mean = |agg: &Aggregator, seed: u64| {
            let mut rng = InsecureSeededRng::from_seed_insecure(seed);
            (0..runs)
                .map(|_| release(agg, &plan, &mut rng).rows[1].count.unwrap() as f64)
                .sum::<f64>()
                / f64::from(runs)
        };
        let diff = mean(&with, 7) - mean(&without, 8);
        assert!(
            (diff - f64::from(l_inf)).abs() < 3.0 * 0.13,
            "mean released count moved by {diff}, expected {l_inf}"
        );
    }

    /// A partition held by a single patron is released with probability
    /// r^(τ−1)/(1 + r) ≤ δ/L0 (r = e^(−1/t)). Here ε = 1, δ = 0.05, L0 = 1:
    /// t = 1, τ = 1 + ⌈ln 20⌉ = 4, so the exact probability is
    /// e^(−3)/(1 + e^(−1)) = 0.03642. Over 20,000 seeded runs the observed
    /// rate must be within 4 standard errors (0.0053) of it (a false failure
    /// ≈ 6·10⁻⁵ for a fresh seed), hence below δ.
    /// A partition held by 12 patrons is released almost always.
    #[test]
    fn single_patron_partitions_pass_with_probability_at_most_delta() {
        let mut agg = Aggregator::new(config(1));
        agg.add(Event::new("lonely", "RARE")).unwrap();
        for i in 0..12 {
            agg.add(Event::new(&format!("p{i}"), "COMMON")).unwrap();
        }
        let (epsilon, delta) = (1.0, 0.05);
        let plan = ReleasePlan::new(1, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_partition_selection(epsilon, delta)
            .unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(99);
        let runs = 20_000;
        let (mut rare, mut common) = (0u32, 0u32);
        for _ in 0..runs {
            let t = release(&agg, &plan, &mut rng);
            assert_eq!(t.selection_threshold, Some(4));
            for row in &t.rows {
                match row.partition_str() {
                    Some("RARE") => rare += 1,
                    Some("COMMON") => common += 1,
                    other => panic!("unexpected partition {other:?}"),
                }
            }
        }
        let r = (-1.0f64).exp();
        let exact = r.powi(3) / (1.0 + r);
        let observed = f64::from(rare) / f64::from(runs);
        let se = (exact * (1.0 - exact) / f64::from(runs)).sqrt();
        assert!(
            (observed - exact).abs() < 4.0 * se,
            "observed {observed}, exact {exact}"
        );
        assert!(observed <= delta);
        assert!(f64::from(common) / f64::from(runs) > 0.999);
    }

    /// L∞ chosen privately: 1,000 patrons with 1 to 10 checkouts at one
    /// branch (uniformly) and 5 with 5,000. The 0.9-quantile of the patrons'
    /// largest cell counts is 9 or 10; at ε = 2 over 1,000 values the
    /// exponential mechanism lands within ±2 of it essentially always. The
    /// quantile's ε is in the one charge and its event in the table.
    #[test]
    fn private_max_contributions_follow_the_quantile_and_are_charged() {
        use crate::budget::{Budget, Limit};
        let mut agg = Aggregator::new(config(1).with_public_partitions(["A"]).unwrap());
        for i in 0..1000u64 {
            agg.add(Event::new(&format!("p{i}"), "A").with_count(1 + i % 10))
                .unwrap();
        }
        for i in 0..5 {
            agg.add(Event::new(&format!("heavy{i}"), "A").with_count(5000))
                .unwrap();
        }
        let budget = Budget::in_memory();
        budget
            .set_limit("r", Limit::epsilon_delta(100.0, 0.0).unwrap(), "test")
            .unwrap();
        let plan = ReleasePlan::new(1000, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_private_max_contributions(0.9, 2.0)
            .unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(17);
        for _ in 0..20 {
            let t = agg.release_with(&plan, &budget, "r", &mut rng).unwrap();
            assert!(
                (7..=12).contains(&t.max_contributions_per_partition),
                "L∞ = {}",
                t.max_contributions_per_partition
            );
            assert_eq!(t.epsilon, 3.0);
            assert_eq!(t.events[0], PrivacyEvent::Exponential { epsilon: 2.0 });
            let l_inf = f64::from(t.max_contributions_per_partition);
            assert_eq!(t.count_noise.sensitivity, l_inf);
        }
        let e = ReleasePlan::new(5, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_private_max_contributions(1.5, 1.0)
            .unwrap_err();
        assert_eq!(e.to_string(), "quantile must be in [0, 1], got 1.5");
    }

    #[test]
    fn never_releases_partitions_that_no_unit_keeps() {
        // "EVICTED" is seen but every unit keeps another partition (L0 = 1),
        // so it has no contributing unit and is never a candidate.
        let key = SelectionKey::from_bytes([3; 16]);
        let mut agg = Aggregator::new(config(1));
        let mut kept_elsewhere = 0;
        for i in 0..200 {
            let u = format!("u{i}");
            let evicted = super::super::cells::rank(&key, u.as_bytes(), b"EVICTED");
            let other = super::super::cells::rank(&key, u.as_bytes(), b"MAIN");
            if other < evicted {
                agg.add(Event::new(&u, "EVICTED")).unwrap();
                agg.add(Event::new(&u, "MAIN")).unwrap();
                kept_elsewhere += 1;
            }
        }
        assert!(kept_elsewhere > 50);
        let totals = agg.bounded_totals(1);
        let evicted = agg.partitions.get(b"EVICTED").unwrap() as usize;
        assert_eq!(totals[evicted].units, 0);
        let plan = ReleasePlan::new(1, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_partition_selection(5.0, 0.4)
            .unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(5);
        for _ in 0..2000 {
            let t = release(&agg, &plan, &mut rng);
            assert!(t.rows.iter().all(|r| r.partition != b"EVICTED"));
        }
    }

    /// A draw that fails fails the whole release after the spend: no row,
    /// no total without its noise (the table type can only hold noised
    /// values), and the budget stays charged. The failure is injected in
    /// the counts, then in the sums after the counts succeeded.
    #[test]
    fn a_failed_draw_publishes_nothing() {
        use crate::budget::{Budget, Limit};
        use crate::error::Status;
        let c = config(1)
            .with_value_bounds(0, 9)
            .unwrap()
            .with_public_partitions(["A", "B"])
            .unwrap();
        let mut agg = Aggregator::new(c);
        for i in 0..50 {
            agg.add(Event::new(&format!("p{i}"), "A").with_value(7))
                .unwrap();
        }
        let budget = Budget::in_memory();
        budget
            .set_limit("r", Limit::epsilon_delta(10.0, 0.0).unwrap(), "test")
            .unwrap();
        let plan = ReleasePlan::new(1, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_sum(TableNoise::Laplace { epsilon: 1.0 })
            .unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(11);
        for fail_sums in [false, true] {
            let result = agg.release_using(&plan, &budget, "r", |mut prepared| {
                if fail_sums {
                    prepared.sum.as_mut().unwrap().0 = Noise::Failing;
                } else {
                    prepared.count.0 = Noise::Failing;
                }
                prepared.draw(&mut rng)
            });
            let e = result.unwrap_err();
            assert_eq!(e.status(), Status::Entropy, "{e}");
            assert!(!e.to_string().contains("50"), "no value in the error: {e}");
        }
        // Both attempts were charged (2 × (1 + 1)), nothing was released.
        let s = budget.status("r").unwrap();
        assert_eq!((s.spends, s.spent.epsilon), (2, "4".parse().unwrap()));
        // The same release without the fault goes through.
        let t = agg.release_with(&plan, &budget, "r", &mut rng).unwrap();
        assert_eq!(t.rows.len(), 2);
    }

    /// Gaussian tables cost at most the decimal ρ the budget charges, exactly:
    /// Δ₂²/(2σ²) ≤ ρ is checked by integer cross-multiplication
    /// (`Charge::with_event` with a ρ charge has no tolerance), for ρ as
    /// callers type them (doubles above and below their decimals) and many
    /// L0, L∞. Calibrating to the double instead costs more than the
    /// decimal for, e.g., ρ = 0.559 (whose double is 0.55900000000000005);
    /// such doubles are common (1305 of 42,000 (ρ, L0, L∞) tried).
    #[test]
    fn gaussian_tables_cost_at_most_the_decimal_rho() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let mut rhos = vec![0.1, 0.3, 0.7, 0.01, 0.125, 1.1, 2.3e-5, 0.559, 2.37, 4.53];
        for _ in 0..200 {
            rhos.push((1 + next(9_999)) as f64 / 10f64.powi(1 + next(5) as i32));
        }
        for (i, &rho) in rhos.iter().enumerate() {
            let l0 = 1 + (i as u32 % 7);
            let l_inf = 1 + (i as u32 % 5);
            let l2 = mul_up(sqrt_up(l0), f64::from(l_inf));
            let (_, _, event) =
                Noise::build(TableNoise::Gaussian { rho }, 0, l2, l0, "count").unwrap();
            Charge::zcdp(rho)
                .unwrap()
                .with_event(event)
                .unwrap_or_else(|e| panic!("rho {rho}, L0 {l0}, L∞ {l_inf}: {e}"));
        }
        // The calibration to the double given, for comparison.
        let l2 = mul_up(sqrt_up(1), 1.0);
        let sigma = div_up(l2, sqrt_down(2.0 * 0.559));
        let old = PrivacyEvent::discrete_gaussian_vector(l2, sigma, Some(1));
        assert!(Charge::zcdp(0.559).unwrap().with_event(old).is_err());
    }

    #[test]
    fn suppression_withholds_small_cells_and_rows_are_post_processed() {
        let c = config(1)
            .with_value_bounds(0, 100)
            .unwrap()
            .with_public_partitions(["BIG", "EMPTY"])
            .unwrap();
        let mut agg = Aggregator::new(c);
        for i in 0..500 {
            agg.add(Event::new(&format!("p{i}"), "BIG").with_value(3))
                .unwrap();
        }
        let plan = ReleasePlan::new(1, TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .with_sum(TableNoise::Laplace { epsilon: 1.0 })
            .unwrap()
            .suppress_below(50);
        let mut rng = InsecureSeededRng::from_seed_insecure(3);
        let mut empty_suppressed = 0;
        for _ in 0..200 {
            let t = release(&agg, &plan, &mut rng);
            let big = &t.rows[0];
            assert!(big.count.unwrap() > 450 && big.sum.unwrap() >= 0);
            if t.rows[1].count.is_none() {
                assert!(t.rows[1].sum.is_none());
                empty_suppressed += 1;
            }
            assert_eq!(t.suppressed, usize::from(t.rows[1].count.is_none()));
        }
        assert_eq!(empty_suppressed, 200);
    }
}
