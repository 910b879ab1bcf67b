//! The bounded, noise-free table: per partition, the sum over units of their
//! capped cells. Crate-internal: it leaves the crate only with noise added.

use super::aggregator::Aggregator;

/// The largest magnitude of a released total before noise: totals are clamped
/// to `[-2⁶², 2⁶²]`, leaving room for the noise in an `i64`. Clamping is
/// 1-Lipschitz, so it never increases a total's sensitivity.
pub(crate) const TOTAL_LIMIT: i128 = 1 << 62;

/// One partition's bounded totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BoundedTotals {
    /// Privacy units with a kept cell in the partition (each unit counts once).
    pub(crate) units: i64,
    /// Σ over units of min(cell count, L∞).
    pub(crate) count: i64,
    /// Σ over units of the cell sum clamped to `[L∞·min(lo, 0), L∞·max(hi, 0)]`.
    pub(crate) sum: i64,
}

impl Aggregator {
    /// Per partition (in table order), the totals after capping each unit's
    /// cell at `max_contributions_per_partition` (L∞) contributions.
    ///
    /// One unit changes at most L0 entries, each `units` by 1, `count` by at
    /// most L∞ and `sum` by at most L∞·max(|lo|, |hi|).
    pub(crate) fn bounded_totals(
        &self,
        max_contributions_per_partition: u32,
    ) -> Vec<BoundedTotals> {
        let cap = i128::from(max_contributions_per_partition);
        let (sum_lo, sum_hi) = match self.config.value_bounds() {
            Some(b) => (
                cap * i128::from(b.lo().min(0)),
                cap * i128::from(b.hi().max(0)),
            ),
            None => (0, 0),
        };
        let mut acc = vec![(0i128, 0i128, 0i128); self.partitions.len()];
        for unit in self.units.cells() {
            let cells = unit.as_slice();
            debug_assert!(cells.len() <= self.l0);
            for cell in cells.iter().take(self.l0) {
                let a = &mut acc[cell.partition as usize];
                a.0 += 1;
                a.1 += i128::from(cell.count).min(cap);
                a.2 += cell.sum.clamp(sum_lo, sum_hi);
            }
        }
        let limit = |x: i128| x.clamp(-TOTAL_LIMIT, TOTAL_LIMIT) as i64;
        acc.into_iter()
            .map(|(units, count, sum)| BoundedTotals {
                units: limit(units),
                count: limit(count),
                sum: limit(sum),
            })
            .collect()
    }

    /// Per privacy unit, its largest cell count: the statistic whose private
    /// quantile chooses L∞ when it is not given (one value per unit, so the
    /// quantile's input changes by one record when a unit is added or removed).
    pub(crate) fn unit_max_cell_counts(&self) -> Vec<u32> {
        self.units
            .cells()
            .map(|u| u.as_slice().iter().map(|c| c.count).max().unwrap_or(0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{AggregatorConfig, Event};

    #[test]
    fn caps_counts_and_sums_per_unit_cell() {
        let config = AggregatorConfig::new(2)
            .unwrap()
            .with_value_bounds(-3, 10)
            .unwrap()
            .with_public_partitions(["A", "B", "C"])
            .unwrap();
        let mut agg = crate::aggregate::Aggregator::new(config);
        for _ in 0..7 {
            agg.add(Event::new("heavy", "A").with_value(100)).unwrap();
            agg.add(Event::new("neg", "B").with_value(-100)).unwrap();
        }
        agg.add(Event::new("light", "A").with_value(4)).unwrap();
        let t = agg.bounded_totals(5);
        // heavy: 7 events capped at 5, sum 7*10 = 70 capped at 5*10 = 50.
        assert_eq!(
            t[0],
            BoundedTotals {
                units: 2,
                count: 6,
                sum: 54
            }
        );
        // neg: sum 7*(-3) = -21 capped at 5*(-3) = -15.
        assert_eq!(
            t[1],
            BoundedTotals {
                units: 1,
                count: 5,
                sum: -15
            }
        );
        assert_eq!(t[2], BoundedTotals::default());
        let mut maxes = agg.unit_max_cell_counts();
        maxes.sort();
        assert_eq!(maxes, vec![1, 7, 7]);
    }
}
