//! The published report: a model built from the released tables (noisy
//! values and parameters only — it has no field for an exact count), and
//! its three forms: the terminal text, CSV + JSON files, and one HTML page.

pub mod files;
pub mod html;
pub mod terminal;

use ilsprivacy::aggregate::{NoiseKind, NoiseScale, PARTITION_SEPARATOR, ReleasedTable};
use ilsprivacy::budget::{AccountStatus, Charge, Composition, Decimal, Limit, Period, Receipt};
use serde::Serialize;

use crate::config::{Groups, ReportConfig, Show, TableConfig};
use crate::stats::half_width;

/// The `schema` member of report.json.
pub const SCHEMA: &str = "ilsprivacy-report";
/// The version of report.json's layout (raised on any incompatible change).
pub const SCHEMA_VERSION: u32 = 1;

/// The whole published report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The title from the configuration.
    pub title: String,
    /// When it was released (UTC).
    pub generated_at: String,
    /// The program and version.
    pub generator: String,
    /// What the guarantee protects.
    pub privacy_unit: &'static str,
    /// The whole report's cost (one spend).
    pub cost: Amounts,
    /// The account's budget after the report.
    pub budget: BudgetView,
    /// The tables.
    pub tables: Vec<TableView>,
}

/// ε and δ, or ρ (absent parts are `None` and left out of report.json).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Amounts {
    /// ε.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// δ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// ρ (zCDP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
}

impl Amounts {
    /// The parts of a charge: its (ε, δ) if it has one, else its ρ.
    pub fn of_charge(c: &Charge) -> Amounts {
        let epsilon = c.epsilon().map(|d| d.to_f64_nearest());
        Amounts {
            epsilon,
            delta: c.delta().map(|d| d.to_f64_nearest()),
            rho: if epsilon.is_some() {
                None
            } else {
                c.rho().map(|d| d.to_f64_nearest())
            },
        }
    }
}

/// The account's budget as the report leaves it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    /// The account.
    pub account: String,
    /// `basic` (ε and δ add up) or `zcdp` (ρ adds up).
    pub composition: &'static str,
    /// The period the limit applies to (`calendar year 2026` …).
    pub period: String,
    /// The limit (ε, δ; or ρ).
    pub limit: Amounts,
    /// Spent in the period before this report.
    pub spent_before: Amounts,
    /// This report's charge, under the account's rule.
    pub this_report: Amounts,
    /// Spent in the period, this report included.
    pub spent: Amounts,
    /// Left after this report.
    pub left: Amounts,
    /// Share of the limit used after this report.
    pub used_fraction: f64,
    /// The alert threshold (share of the limit).
    pub alert_threshold: f64,
    /// Whether the used share is at or past the threshold.
    pub alerted: bool,
    /// Whether this report took it there.
    pub alert_crossed_now: bool,
    /// The spend's ledger entry.
    pub ledger_entry: u64,
}

/// One released table.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// The table's name (file names).
    pub name: String,
    /// Its title.
    pub title: String,
    /// The columns grouped by.
    pub group_by: Vec<String>,
    /// What is counted: `rows`, or a column's values.
    pub counted: String,
    /// This table's share of the report's cost.
    pub cost: Amounts,
    /// `discrete Laplace` or `discrete Gaussian`.
    pub noise: &'static str,
    /// L0: groups per patron.
    pub max_groups_per_patron: u32,
    /// L∞: the most one patron adds to one group's count.
    pub max_per_group: u32,
    /// Whether L∞ was chosen with differential privacy.
    pub max_per_group_chosen_privately: bool,
    /// `public list` or `selected from the data`.
    pub groups: &'static str,
    /// For selected groups: a group is shown when its noisy number of
    /// patrons reaches this.
    pub selection_threshold: Option<i64>,
    /// The counts' noise scale (Laplace t or Gaussian σ).
    pub count_noise_scale: f64,
    /// Half-width of the counts' 95 % noise interval.
    pub count_half_width_95: i64,
    /// The summed value, if any.
    pub value: Option<ValueView>,
    /// Counts below this are withheld.
    pub suppress_below: Option<i64>,
    /// The rows, in the table's order.
    pub rows: Vec<RowView>,
    /// Warnings about the table's usefulness (from released values only).
    pub notes: Vec<String>,
}

/// The summed value of a table.
#[derive(Debug, Clone, Serialize)]
pub struct ValueView {
    /// The column.
    pub column: String,
    /// Values were clamped to [lo, hi].
    pub lo: i64,
    /// See `lo`.
    pub hi: i64,
    /// Whether sums are shown.
    pub show_sum: bool,
    /// Whether means are shown.
    pub show_mean: bool,
    /// The sums' noise scale.
    pub sum_noise_scale: f64,
    /// Half-width of the sums' 95 % noise interval.
    pub sum_half_width_95: i64,
}

/// One released group.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// The group's values, one per `group_by` column.
    pub group: Vec<String>,
    /// The noisy count (`None`: withheld).
    pub count: Option<i64>,
    /// Its 95 % interval.
    pub count_95: Option<[i64; 2]>,
    /// The noisy sum, when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<i64>,
    /// Its 95 % interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum_95: Option<[i64; 2]>,
    /// The noisy sum over the noisy count, when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Its 95 % interval (both noises, 97.5 % each).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_95: Option<[f64; 2]>,
}

/// The interval `[v − k, v + k]` around a noisy value, cut to the values the
/// bounded total can take (≥ 0 for counts and non-negative sums).
fn interval(v: i64, k: i64, nonneg: bool, nonpos: bool) -> [i64; 2] {
    let mut lo = v.saturating_sub(k);
    let mut hi = v.saturating_add(k);
    if nonneg {
        lo = lo.max(0);
    }
    if nonpos {
        hi = hi.min(0);
    }
    [lo, hi]
}

/// Builds the published report. Every value in it is a released (noisy)
/// value, a function of released values, or a parameter.
pub fn build(
    config: &ReportConfig,
    tables: &[ReleasedTable],
    charges: &[Charge],
    total: &Charge,
    status: &AccountStatus,
    receipt: &Receipt,
) -> Report {
    let views = config
        .tables
        .iter()
        .zip(tables)
        .zip(charges)
        .map(|((c, t), charge)| table_view(c, t, charge))
        .collect();
    Report {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        title: config.title.clone(),
        generated_at: crate::stats::now_utc(),
        generator: format!("ilsprivacy {}", env!("CARGO_PKG_VERSION")),
        privacy_unit: "patron",
        cost: Amounts::of_charge(total),
        budget: budget_view(status, receipt),
        tables: views,
    }
}

fn table_view(c: &TableConfig, t: &ReleasedTable, charge: &Charge) -> TableView {
    let k95 = half_width(&t.count_noise, 0.05);
    let k975 = half_width(&t.count_noise, 0.025);
    let sum_noise = t.sum_noise;
    let value = c.value.as_ref().zip(sum_noise).map(|(v, n)| ValueView {
        column: v.column.clone(),
        lo: v.lo,
        hi: v.hi,
        show_sum: matches!(v.show, Show::Sum | Show::Both),
        show_mean: matches!(v.show, Show::Mean | Show::Both),
        sum_noise_scale: n.scale,
        sum_half_width_95: half_width(&n, 0.05),
    });
    let rows: Vec<RowView> = t
        .rows
        .iter()
        .map(|r| {
            let group = r
                .partition
                .split(|&b| b == PARTITION_SEPARATOR)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let mut row = RowView {
                group,
                count: r.count,
                count_95: r.count.map(|v| interval(v, k95, true, false)),
                sum: None,
                sum_95: None,
                mean: None,
                mean_95: None,
            };
            if let (Some(v), Some(n)) = (&c.value, sum_noise) {
                let (nonneg, nonpos) = (v.lo >= 0, v.hi <= 0);
                if matches!(v.show, Show::Sum | Show::Both) {
                    row.sum = r.sum;
                    row.sum_95 = r
                        .sum
                        .map(|s| interval(s, half_width(&n, 0.05), nonneg, nonpos));
                }
                if matches!(v.show, Show::Mean | Show::Both)
                    && let (Some(count), Some(sum)) = (r.count, r.sum)
                {
                    let [c_lo, c_hi] = interval(count, k975, true, false);
                    let [s_lo, s_hi] = interval(sum, half_width(&n, 0.025), nonneg, nonpos);
                    let (lo, hi) = (v.lo as f64, v.hi as f64);
                    row.mean = (count > 0).then(|| (sum as f64 / count as f64).clamp(lo, hi));
                    row.mean_95 = Some(if c_lo <= 0 {
                        [lo, hi]
                    } else {
                        let corners = [
                            s_lo as f64 / c_lo as f64,
                            s_lo as f64 / c_hi as f64,
                            s_hi as f64 / c_lo as f64,
                            s_hi as f64 / c_hi as f64,
                        ];
                        let min = corners.iter().copied().fold(f64::INFINITY, f64::min);
                        let max = corners.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        [min.clamp(lo, hi), max.clamp(lo, hi)]
                    });
                }
            }
            row
        })
        .collect();
    let notes = utility_notes(c, t, k95);
    TableView {
        name: c.name.clone(),
        title: c.title.clone(),
        group_by: c.group_by.clone(),
        counted: match &c.count {
            None => "rows".into(),
            Some(col) => format!("values of column {col}"),
        },
        cost: Amounts::of_charge(charge),
        noise: noise_name(&t.count_noise),
        max_groups_per_patron: t.max_partitions_per_unit,
        max_per_group: t.max_contributions_per_partition,
        max_per_group_chosen_privately: c.choose_max_per_group.is_some(),
        groups: match c.groups {
            Groups::Public(_) => "public list",
            Groups::Selected { .. } => "selected from the data",
        },
        selection_threshold: t.selection_threshold,
        count_noise_scale: t.count_noise.scale,
        count_half_width_95: k95,
        value,
        suppress_below: c.suppress_below,
        rows,
        notes,
    }
}

/// The noise's name.
pub fn noise_name(n: &NoiseScale) -> &'static str {
    match n.kind {
        NoiseKind::DiscreteGaussian => "discrete Gaussian",
        _ => "discrete Laplace",
    }
}

/// Warnings when the noise swamps the table (computed from released values).
fn utility_notes(c: &TableConfig, t: &ReleasedTable, k95: i64) -> Vec<String> {
    let mut counts: Vec<i64> = t.rows.iter().filter_map(|r| r.count).collect();
    if counts.is_empty() {
        return vec![match c.groups {
            Groups::Selected { .. } => "no group was released: none reached the selection threshold. Fewer, larger groups (a coarser group_by) or more patrons per group would help.".into(),
            Groups::Public(_) => "every group was withheld (suppress_below).".into(),
        }];
    }
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let mut notes = Vec::new();
    if k95 > median {
        notes.push(format!(
            "the noise (±{} at 95%) is larger than the typical group's count ({} released): this table says little. Fewer, larger groups (a coarser group_by), a smaller max_per_group, or a larger ε for this table (try it with `ilsprivacy report --dry-run`) would help.",
            crate::stats::thousands_i(k95),
            crate::stats::thousands_i(median)
        ));
    } else if counts.iter().any(|&v| k95 > v) {
        let small = counts.iter().filter(|&&v| k95 > v).count();
        notes.push(format!(
            "{small} of {} groups have a count smaller than the noise (±{} at 95%): read them as \"small\", not as numbers.",
            counts.len(),
            crate::stats::thousands_i(k95)
        ));
    }
    notes
}

fn budget_view(s: &AccountStatus, receipt: &Receipt) -> BudgetView {
    let amounts = |c: &ilsprivacy::budget::Cost| match s.composition {
        Composition::Basic => Amounts {
            epsilon: Some(c.epsilon.to_f64_nearest()),
            delta: Some(c.delta.to_f64_nearest()),
            rho: None,
        },
        Composition::Zcdp => Amounts {
            epsilon: None,
            delta: None,
            rho: Some(c.rho.to_f64_nearest()),
        },
    };
    let before = ilsprivacy::budget::Cost {
        epsilon: s.spent.epsilon.saturating_sub(receipt.charged.epsilon),
        delta: s.spent.delta.saturating_sub(receipt.charged.delta),
        rho: s.spent.rho.saturating_sub(receipt.charged.rho),
    };
    let limit = match (s.composition, s.limit) {
        (Composition::Zcdp, _) => Amounts {
            epsilon: None,
            delta: None,
            rho: s.rho_limit.map(|r| r.to_f64_nearest()),
        },
        (_, Some(Limit::EpsilonDelta { epsilon, delta })) => Amounts {
            epsilon: Some(epsilon.to_f64_nearest()),
            delta: Some(delta.to_f64_nearest()),
            rho: None,
        },
        _ => Amounts::default(),
    };
    BudgetView {
        account: s.account.clone(),
        composition: match s.composition {
            Composition::Basic => "basic",
            Composition::Zcdp => "zcdp",
        },
        period: period_name(s.period),
        limit,
        spent_before: amounts(&before),
        this_report: amounts(&receipt.charged),
        spent: amounts(&s.spent),
        left: amounts(&s.remaining),
        used_fraction: s.used_fraction,
        alert_threshold: s.alert_threshold,
        alerted: s.alerted,
        alert_crossed_now: receipt.alert,
        ledger_entry: receipt.seq,
    }
}

/// The current period in words (`calendar year 2026`, `calendar month
/// 2026-11`, `lifetime`).
pub fn period_name(p: Period) -> String {
    let (y, m, _) = crate::stats::today_utc();
    match p {
        Period::CalendarYear => format!("calendar year {y}"),
        Period::CalendarMonth => format!("calendar month {y}-{m:02}"),
        _ => "lifetime".into(),
    }
}

/// An amount for text: ε and δ as the decimals they are.
pub fn show_amount(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let d = Decimal::from_printed(x, ilsprivacy::budget::Rounding::Up);
    let plain = format!("{x}");
    if x < 1e-4 {
        format!("{x:e}")
    } else {
        d.map_or(plain, |d| d.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_cut_to_possible_values() {
        assert_eq!(interval(5, 10, true, false), [0, 15]);
        assert_eq!(interval(-3, 10, false, true), [-13, 0]);
        assert_eq!(interval(100, 10, false, false), [90, 110]);
        assert_eq!(
            interval(i64::MAX, 10, true, false),
            [i64::MAX - 10, i64::MAX]
        );
    }

    #[test]
    fn amounts_read_as_decimals() {
        assert_eq!(show_amount(0.3), "0.3");
        assert_eq!(show_amount(1.0), "1");
        assert_eq!(show_amount(1e-7), "1e-7");
        assert_eq!(show_amount(0.0), "0");
    }
}
