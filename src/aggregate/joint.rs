//! Several tables released together under one budget charge (see
//! [`JointRelease`]).

use super::aggregator::Aggregator;
use super::release::{NoiseScale, PreparedRelease, ReleasePlan, ReleasedTable};
use crate::budget::{Budget, Charge, Receipt};
use crate::error::{Error, Result};
use crate::rng::{NoiseRng, with_secure_rng};

/// The most tables one joint release may hold.
///
/// cbindgen:ignore
pub const MAX_JOINT_TABLES: usize = 64;

/// What one table of a [`JointRelease`] will use, known before any noise is
/// drawn (from the plan alone, never from the data).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TablePreview {
    /// The L0 that holds (L0, or the number of public partitions if smaller).
    pub max_partitions_per_unit: u32,
    /// The L∞ (with a private choice of L∞, its upper bound).
    pub max_contributions_per_partition: u32,
    /// The counts' noise.
    pub count_noise: NoiseScale,
    /// The sums' noise, if sums are released.
    pub sum_noise: Option<NoiseScale>,
    /// The partition-selection threshold, if partitions come from the data.
    pub selection_threshold: Option<i64>,
}

/// Several tables (for example the per-branch and per-format tables of one
/// report) released **all or nothing**: their charges are composed into one
/// [`Charge`] ([`Charge::compose`]: ε and δ add exactly, ρ adds), recorded
/// as one spend before any noise is drawn, and then every table is drawn.
/// If the budget refuses, no table is released and nothing is recorded — a
/// report is never half published.
///
/// Each table's own guarantee and charge are those of
/// [`Aggregator::release`]; the tables are released about the same units, so
/// their costs add up (sequential composition), which is what the one charge
/// records.
///
/// ```
/// use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, Event, JointRelease, ReleasePlan, TableNoise};
/// use ilsprivacy::budget::{Budget, Limit};
///
/// let mut branches = Aggregator::new(AggregatorConfig::new(1)?.with_public_partitions(["EAST", "WEST"])?);
/// let mut formats = Aggregator::new(AggregatorConfig::new(1)?);
/// for i in 0..200 {
///     let patron = format!("patron-{i}");
///     branches.add(Event::new(&patron, if i % 3 == 0 { "EAST" } else { "WEST" }))?;
///     formats.add(Event::new(&patron, "book"))?;
/// }
/// let by_branch = ReleasePlan::new(5, TableNoise::Laplace { epsilon: 0.4 })?;
/// let by_format = ReleasePlan::new(5, TableNoise::Laplace { epsilon: 0.4 })?
///     .with_partition_selection(0.2, 1e-7)?;
/// let report = JointRelease::prepare(&[(&branches, &by_branch), (&formats, &by_format)])?;
/// assert_eq!(report.charge().epsilon().unwrap().to_string(), "1");
///
/// let budget = Budget::in_memory();
/// budget.set_limit("reports", Limit::epsilon_delta(1.5, 1e-6)?, "plan")?;
/// let (tables, receipt) = report.release(&budget, "reports")?;
/// assert_eq!(tables.len(), 2);
/// // Only 0.5 is left: the next report is refused whole, and nothing is recorded.
/// let again = JointRelease::prepare(&[(&branches, &by_branch), (&formats, &by_format)])?;
/// assert!(again.release(&budget, "reports").is_err());
/// assert_eq!(budget.status("reports")?.spends, 1);
/// # let _ = receipt;
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
pub struct JointRelease<'a> {
    parts: Vec<(&'a Aggregator, PreparedRelease<'a>)>,
    charges: Vec<Charge>,
    charge: Charge,
}

impl std::fmt::Debug for JointRelease<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JointRelease")
            .field("tables", &self.parts.len())
            .field("charge", &self.charge)
            .finish_non_exhaustive()
    }
}

impl<'a> JointRelease<'a> {
    /// Checks each plan against its aggregator, builds the mechanisms and
    /// composes the charges. Draws no noise and charges nothing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`]: no table or more than
    /// [`MAX_JOINT_TABLES`]; a plan that does not fit its aggregator (as
    /// [`Aggregator::release`], the message naming the table by its
    /// position); charges that cannot be composed (an (ε, δ > 0) table with
    /// a ρ-only table, see [`Charge::compose`]).
    pub fn prepare(tables: &[(&'a Aggregator, &ReleasePlan)]) -> Result<Self> {
        if tables.is_empty() || tables.len() > MAX_JOINT_TABLES {
            return Err(Error::invalid(
                "tables",
                format!(
                    "must hold 1 to {MAX_JOINT_TABLES} tables, got {}",
                    tables.len()
                ),
            ));
        }
        let mut parts = Vec::with_capacity(tables.len());
        let mut charges = Vec::with_capacity(tables.len());
        for (i, &(agg, plan)) in tables.iter().enumerate() {
            let in_table = |e: Error| match e {
                Error::InvalidArgument { param, reason } => {
                    Error::invalid("tables", format!("table {i}: {param} {reason}"))
                }
                other => other,
            };
            let prepared = agg.prepare_release(plan).map_err(in_table)?;
            charges.push(prepared.charge().map_err(in_table)?);
            parts.push((agg, prepared));
        }
        let charge = Charge::compose(&charges)?;
        Ok(JointRelease {
            parts,
            charges,
            charge,
        })
    }

    /// The one charge of the whole release.
    pub fn charge(&self) -> &Charge {
        &self.charge
    }

    /// Each table's own charge, in order.
    pub fn table_charges(&self) -> &[Charge] {
        &self.charges
    }

    /// What each table will use (noise scales, bounds, threshold), in order.
    pub fn previews(&self) -> Vec<TablePreview> {
        self.parts
            .iter()
            .map(|(_, p)| {
                let (l0, l_inf, count_noise, sum_noise, selection_threshold) = p.preview();
                TablePreview {
                    max_partitions_per_unit: l0,
                    max_contributions_per_partition: l_inf,
                    count_noise,
                    sum_noise,
                    selection_threshold,
                }
            })
            .collect()
    }

    /// Spends [`charge`](Self::charge) on `account` (durably, with a
    /// ledger), then draws every table with the secure generator.
    ///
    /// # Errors
    ///
    /// - [`Error::BudgetExhausted`]: the charge does not fit; no table is
    ///   released and nothing is recorded.
    /// - [`Error::InvalidArgument`]: the account's rule cannot charge it
    ///   (e.g. a ρ-only charge on a basic account); nothing is recorded.
    /// - [`Error::Io`], [`Error::LedgerIntegrity`]: the ledger failed;
    ///   nothing is released.
    /// - [`Error::Entropy`]: after the spend (budget wasted, nothing released).
    pub fn release(self, budget: &Budget, account: &str) -> Result<(Vec<ReleasedTable>, Receipt)> {
        self.release_using(budget, account, |parts| {
            with_secure_rng(|rng| draw_all(parts, rng))?
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
        self,
        budget: &Budget,
        account: &str,
        rng: &mut R,
    ) -> Result<(Vec<ReleasedTable>, Receipt)> {
        self.release_using(budget, account, |parts| draw_all(parts, rng))
    }

    fn release_using(
        self,
        budget: &Budget,
        account: &str,
        draw: impl FnOnce(Vec<(&'a Aggregator, PreparedRelease<'a>)>) -> Result<Vec<ReleasedTable>>,
    ) -> Result<(Vec<ReleasedTable>, Receipt)> {
        let JointRelease {
            parts,
            charges,
            charge,
        } = self;
        let (mut tables, receipt) = budget.spend_and_release(account, &charge, || draw(parts))?;
        for (table, c) in tables.iter_mut().zip(&charges) {
            table.epsilon = c.epsilon().map_or(0.0, |d| d.to_f64_nearest());
            table.delta = c.delta().map_or(0.0, |d| d.to_f64_nearest());
            table.rho = c.rho().map_or(0.0, |d| d.to_f64_nearest());
            table.ledger_seq = receipt.seq;
        }
        Ok((tables, receipt))
    }
}

fn draw_all<R: NoiseRng>(
    parts: Vec<(&Aggregator, PreparedRelease<'_>)>,
    rng: &mut R,
) -> Result<Vec<ReleasedTable>> {
    parts
        .into_iter()
        .map(|(agg, prepared)| agg.finish(prepared, rng))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{AggregatorConfig, Event, SelectionKey, TableNoise};
    use crate::budget::{Decimal, Limit};
    use crate::error::Status;
    use crate::rng::InsecureSeededRng;

    fn config(l0: u32) -> AggregatorConfig {
        AggregatorConfig::new(l0)
            .unwrap()
            .with_selection_key(SelectionKey::from_bytes([7; 16]))
    }

    fn filled() -> (Aggregator, Aggregator) {
        let mut branches = Aggregator::new(
            config(2)
                .with_value_bounds(0, 30)
                .unwrap()
                .with_public_partitions(["MAIN", "NORTH", "HILLCREST"])
                .unwrap(),
        );
        let mut formats = Aggregator::new(config(1));
        for i in 0..500 {
            let p = format!("p{i}");
            branches
                .add(Event::new(&p, ["MAIN", "NORTH", "HILLCREST"][i % 3]).with_value(14))
                .unwrap();
            formats.add(Event::new(&p, "book")).unwrap();
        }
        (branches, formats)
    }

    fn plans() -> (ReleasePlan, ReleasePlan) {
        (
            ReleasePlan::new(3, TableNoise::Laplace { epsilon: 0.3 })
                .unwrap()
                .with_sum(TableNoise::Laplace { epsilon: 0.3 })
                .unwrap(),
            ReleasePlan::new(3, TableNoise::Laplace { epsilon: 0.2 })
                .unwrap()
                .with_partition_selection(0.2, 1e-7)
                .unwrap(),
        )
    }

    #[test]
    fn one_spend_covers_every_table_and_each_table_states_its_share() {
        let (branches, formats) = filled();
        let (bp, fp) = plans();
        let joint = JointRelease::prepare(&[(&branches, &bp), (&formats, &fp)]).unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(joint.charge().epsilon(), Some(d("1")));
        assert_eq!(joint.charge().delta(), Some(d("0.0000001")));
        let previews = joint.previews();
        // Counts: L1 = L0'·L∞ = 2·3 = 6 at ε 0.3 → scale 20; sums ×30.
        assert_eq!(previews[0].count_noise.sensitivity, 6.0);
        assert!((previews[0].count_noise.scale - 20.0).abs() < 1e-6);
        assert_eq!(previews[0].sum_noise.unwrap().sensitivity, 180.0);
        assert!(previews[0].selection_threshold.is_none());
        assert!(previews[1].selection_threshold.unwrap() > 1);

        let budget = Budget::in_memory();
        budget
            .set_limit("r", Limit::epsilon_delta(1.0, 1e-7).unwrap(), "plan")
            .unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(4);
        let (tables, receipt) = joint.release_with(&budget, "r", &mut rng).unwrap();
        let status = budget.status("r").unwrap();
        assert_eq!(status.spends, 1, "one spend for the whole report");
        assert_eq!(status.spent.epsilon, d("1"));
        assert_eq!((tables[0].epsilon, tables[0].delta), (0.6, 0.0));
        assert_eq!((tables[1].epsilon, tables[1].delta), (0.4, 1e-7));
        assert!(tables.iter().all(|t| t.ledger_seq == receipt.seq));
        assert_eq!(tables[0].rows.len(), 3);
        assert_eq!(tables[1].rows[0].partition, b"book");
    }

    #[test]
    fn a_refused_report_releases_nothing_and_records_nothing() {
        let (branches, formats) = filled();
        let (bp, fp) = plans();
        let budget = Budget::in_memory();
        // Enough for either table alone, not for both.
        budget
            .set_limit("r", Limit::epsilon_delta(0.7, 1e-6).unwrap(), "plan")
            .unwrap();
        let joint = JointRelease::prepare(&[(&branches, &bp), (&formats, &fp)]).unwrap();
        let mut drawn = false;
        let e = joint
            .release_using(&budget, "r", |_| {
                drawn = true;
                Ok(Vec::new())
            })
            .unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        assert!(!drawn, "no table may be drawn after a refusal");
        let status = budget.status("r").unwrap();
        assert_eq!((status.spends, status.spent.epsilon), (0, Decimal::ZERO));
    }

    #[test]
    fn bad_tables_are_named_and_mixed_rules_refused() {
        let (branches, formats) = filled();
        let (bp, _) = plans();
        let e = JointRelease::prepare(&[(&branches, &bp), (&formats, &bp)]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("tables table 1: plan needs partition selection"),
            "{e}"
        );
        assert!(JointRelease::prepare(&[]).is_err());
        let gaussian = ReleasePlan::new(3, TableNoise::Gaussian { rho: 0.1 }).unwrap();
        let (_, fp) = plans();
        let e = JointRelease::prepare(&[(&branches, &gaussian), (&formats, &fp)]).unwrap_err();
        assert!(e.to_string().contains("cannot be charged together"), "{e}");
    }
}
