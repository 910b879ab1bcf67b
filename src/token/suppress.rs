//! Small-cell suppression of aggregated count tables, with complementary
//! suppression against recovery from the margins.
//!
//! A table of counts (rows × columns, e.g. branch × age band) is published
//! with its row totals, column totals and grand total. The threshold rule
//! hides every count from 1 to `k − 1` (**primary suppression**; zeros are
//! published, as in the CMS cell-size policy, and `k` is commonly 5, or 11
//! under CMS). Hiding them is not enough: a row with one hidden cell gives it
//! away as the row total minus the others. **Complementary suppression** hides
//! further entries until no hidden entry can be computed exactly from what is
//! published.
//!
//! # What this implementation guarantees
//!
//! Write the table with its margins as an `(R+1) × (C+1)` grid. Every row and
//! column of that grid is a linear equation (cells sum to their total). Each
//! hidden entry is an edge between its row and its column in a bipartite
//! graph; the hidden values are determined by the published ones exactly for
//! the edges that lie on no cycle of that graph (its *bridges*). The algorithm
//!
//! 1. hides every entry — cells, margins and the grand total — whose value is
//!    from 1 to `k − 1`;
//! 2. while the hidden entries have a bridge `(r, c)`, hides the cheapest
//!    rectangle `(r, c')`, `(r', c)`, `(r', c')` that puts it on a 4-cycle
//!    (cost: the sum of the newly hidden values; zeros are used only when
//!    nothing else closes the cycle, since a reader may know a zero is
//!    structural);
//!
//! and ends with no bridge, so **no hidden entry equals a linear combination
//! of published entries**. The pattern and the values hidden are reported, so
//! the release can be audited (which entries, never their values).
//!
//! # What it does not protect against
//!
//! - **Interval disclosure**: counts are non-negative, so a hidden value is
//!   bounded by the published ones; in a 2 × 2 hidden block whose row total
//!   is 4, each hidden cell lies in `0..=4`. The bounds can be tight enough to
//!   disclose (a "1 to 4" range may be all an attacker needs). A
//!   linear-programming audit (as τ-ARGUS does) would be needed to guarantee
//!   a protection interval; this heuristic does not.
//! - **Other tables and releases**: the same counts published in another
//!   table, with other margins, a sub-total hierarchy, or in a later release
//!   can be differenced against this one. Suppress all linked tables together,
//!   with the same pattern, or use the library's noise mechanisms instead.
//! - **Homogeneity and background knowledge**: a published cell of 20 patrons
//!   who all borrowed the same title still discloses that fact about each.
//! - **The pattern itself** tells a reader which counts were below `k`.
//! - **Optimality**: the greedy choice hides more than an optimal pattern
//!   would; it is deterministic (ties go to the lowest row, then column).
//!
//! ```
//! use ilsprivacy::token::suppress::{CellStatus, suppress_small_cells};
//!
//! // Branch × age band, k = 5: the 2 is hidden, and so are enough other
//! // entries that it cannot be recomputed from the margins.
//! let counts = [20, 30, 15, 2];
//! let table = suppress_small_cells(&counts, 2, 2, 5)?;
//! assert_eq!(table.status(1, 1), CellStatus::Primary);
//! assert_eq!(table.value(1, 1), None);
//! assert!(table.count(CellStatus::Complementary) >= 1);
//! # Ok::<(), ilsprivacy::Error>(())
//! ```

use crate::error::{Error, Result};

/// The largest table accepted, in cells (rows × columns).
pub const MAX_CELLS: usize = 250_000;

/// Whether an entry of a suppressed table is published and, if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellStatus {
    /// Published with its value.
    Published,
    /// Hidden because its value is from 1 to `k − 1`.
    Primary,
    /// Hidden so that primary suppressions cannot be recomputed from the margins.
    Complementary,
}

impl CellStatus {
    /// The C constant: `ILSP_CELL_PUBLISHED` = 0, `ILSP_CELL_PRIMARY` = 1,
    /// `ILSP_CELL_COMPLEMENTARY` = 2.
    pub fn code(self) -> u8 {
        match self {
            CellStatus::Published => 0,
            CellStatus::Primary => 1,
            CellStatus::Complementary => 2,
        }
    }
}

/// A count table with its margins after suppression.
///
/// Entries are addressed on the `(rows + 1) × (cols + 1)` grid: `(r, c)` with
/// `r < rows`, `c < cols` is a cell; column `cols` holds the row totals, row
/// `rows` the column totals, and `(rows, cols)` the grand total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressedTable {
    rows: usize,
    cols: usize,
    values: Vec<u64>,
    status: Vec<CellStatus>,
}

impl SuppressedTable {
    /// Number of rows of counts (without the totals row).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns of counts (without the totals column).
    pub fn cols(&self) -> usize {
        self.cols
    }

    fn index(&self, r: usize, c: usize) -> usize {
        assert!(
            r <= self.rows && c <= self.cols,
            "entry ({r}, {c}) outside the grid"
        );
        r * (self.cols + 1) + c
    }

    /// The published value of grid entry `(r, c)`, or `None` if it is hidden.
    ///
    /// # Panics
    ///
    /// If `r > rows` or `c > cols`.
    pub fn value(&self, r: usize, c: usize) -> Option<u64> {
        let i = self.index(r, c);
        (self.status[i] == CellStatus::Published).then_some(self.values[i])
    }

    /// The status of grid entry `(r, c)`.
    ///
    /// # Panics
    ///
    /// If `r > rows` or `c > cols`.
    pub fn status(&self, r: usize, c: usize) -> CellStatus {
        self.status[self.index(r, c)]
    }

    /// The published values of the whole grid, row-major, 0 where hidden.
    pub fn published_values(&self) -> Vec<u64> {
        self.values
            .iter()
            .zip(&self.status)
            .map(|(&v, &s)| if s == CellStatus::Published { v } else { 0 })
            .collect()
    }

    /// The status of every grid entry, row-major.
    pub fn statuses(&self) -> &[CellStatus] {
        &self.status
    }

    /// How many entries have `status`.
    pub fn count(&self, status: CellStatus) -> usize {
        self.status.iter().filter(|&&s| s == status).count()
    }
}

/// Suppresses the `rows × cols` table `counts` (row-major) with threshold `k`;
/// see the module documentation for the guarantee and its limits.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `rows` or `cols` is 0, the table has more
/// than [`MAX_CELLS`] cells, `counts.len() != rows * cols`, `k` is 0, or a
/// total overflows `u64`.
pub fn suppress_small_cells(
    counts: &[u64],
    rows: usize,
    cols: usize,
    k: u64,
) -> Result<SuppressedTable> {
    if rows == 0 || cols == 0 {
        return Err(Error::invalid(
            "rows",
            format!("and cols must be at least 1, got {rows} x {cols}"),
        ));
    }
    let cells = rows
        .checked_mul(cols)
        .filter(|&n| n <= MAX_CELLS)
        .ok_or_else(|| {
            Error::invalid("rows", format!("x cols must be at most {MAX_CELLS} cells"))
        })?;
    if counts.len() != cells {
        return Err(Error::invalid(
            "counts",
            format!(
                "must hold rows x cols = {cells} values, got {}",
                counts.len()
            ),
        ));
    }
    if k == 0 {
        return Err(Error::invalid("k", "must be at least 1, got 0"));
    }
    let w = cols + 1;
    let mut values = vec![0u64; (rows + 1) * w];
    let overflow = || Error::invalid("counts", "have totals that overflow a 64-bit count");
    for r in 0..rows {
        for c in 0..cols {
            let v = counts[r * cols + c];
            values[r * w + c] = v;
            values[r * w + cols] = values[r * w + cols].checked_add(v).ok_or_else(overflow)?;
            values[rows * w + c] = values[rows * w + c].checked_add(v).ok_or_else(overflow)?;
            values[rows * w + cols] = values[rows * w + cols]
                .checked_add(v)
                .ok_or_else(overflow)?;
        }
    }
    let mut status: Vec<CellStatus> = values
        .iter()
        .map(|&v| {
            if v > 0 && v < k {
                CellStatus::Primary
            } else {
                CellStatus::Published
            }
        })
        .collect();

    let grid = Grid {
        rows: rows + 1,
        cols: w,
        values: &values,
        status: &mut status,
    };
    loop {
        let bridges = grid.bridges();
        if bridges.is_empty() {
            break;
        }
        // Fix bridges greedily; one whose row or column changed in this pass
        // may no longer be a bridge, so leave it to the next pass.
        let mut touched_rows = vec![false; grid.rows];
        let mut touched_cols = vec![false; grid.cols];
        for (r, c) in bridges {
            if touched_rows[r] || touched_cols[c] {
                continue;
            }
            let (r2, c2) = grid.cheapest_rectangle(r, c);
            for (rr, cc) in [(r, c2), (r2, c), (r2, c2)] {
                if grid.status[rr * grid.cols + cc] == CellStatus::Published {
                    grid.status[rr * grid.cols + cc] = CellStatus::Complementary;
                }
                touched_rows[rr] = true;
                touched_cols[cc] = true;
            }
            touched_rows[r] = true;
            touched_cols[c] = true;
        }
    }
    Ok(SuppressedTable {
        rows,
        cols,
        values,
        status,
    })
}

/// The extended grid during the algorithm.
struct Grid<'a> {
    rows: usize,
    cols: usize,
    values: &'a [u64],
    status: &'a mut [CellStatus],
}

impl Grid<'_> {
    fn hidden(&self, r: usize, c: usize) -> bool {
        self.status[r * self.cols + c] != CellStatus::Published
    }

    /// Cost of hiding `(r, c)`: 0 if already hidden, its value if non-zero,
    /// and a large penalty for a zero (usable, but only as a last resort).
    fn cost(&self, r: usize, c: usize) -> u128 {
        if self.hidden(r, c) {
            0
        } else {
            match self.values[r * self.cols + c] {
                0 => 1u128 << 70,
                v => u128::from(v),
            }
        }
    }

    /// The `(r', c')` minimising the cost of hiding `(r, c')`, `(r', c)` and
    /// `(r', c')`; ties go to the lowest `r'`, then `c'`.
    fn cheapest_rectangle(&self, r: usize, c: usize) -> (usize, usize) {
        let mut best = (u128::MAX, 0, 0);
        for r2 in (0..self.rows).filter(|&x| x != r) {
            let down = self.cost(r2, c);
            for c2 in (0..self.cols).filter(|&x| x != c) {
                let total = down + self.cost(r, c2) + self.cost(r2, c2);
                if total < best.0 {
                    best = (total, r2, c2);
                }
            }
        }
        (best.1, best.2)
    }

    /// Hidden entries that lie on no cycle of the row–column graph of hidden
    /// entries (Tarjan's bridge-finding, iterative), sorted.
    fn bridges(&self) -> Vec<(usize, usize)> {
        // Vertices: rows 0..R, then columns R..R+C. Edges: hidden entries.
        let n = self.rows + self.cols;
        let mut adjacency: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut edges = Vec::new();
        for r in 0..self.rows {
            for c in 0..self.cols {
                if self.hidden(r, c) {
                    let e = edges.len();
                    edges.push((r, c));
                    adjacency[r].push((self.rows + c, e));
                    adjacency[self.rows + c].push((r, e));
                }
            }
        }
        let mut order = vec![usize::MAX; n];
        let mut low = vec![0usize; n];
        let mut counter = 0;
        let mut found = Vec::new();
        for root in 0..n {
            if order[root] != usize::MAX {
                continue;
            }
            order[root] = counter;
            low[root] = counter;
            counter += 1;
            // (vertex, edge used to reach it, next neighbour index)
            let mut stack = vec![(root, usize::MAX, 0usize)];
            while let Some(&mut (v, via, ref mut next)) = stack.last_mut() {
                if let Some(&(u, e)) = adjacency[v].get(*next) {
                    *next += 1;
                    if e == via {
                        continue;
                    }
                    if order[u] == usize::MAX {
                        order[u] = counter;
                        low[u] = counter;
                        counter += 1;
                        stack.push((u, e, 0));
                    } else {
                        low[v] = low[v].min(order[u]);
                    }
                } else {
                    stack.pop();
                    if let Some(&(parent, _, _)) = stack.last() {
                        low[parent] = low[parent].min(low[v]);
                        if low[v] > order[parent] {
                            found.push(edges[via]);
                        }
                    }
                }
            }
        }
        found.sort_unstable();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};

    /// Independent check of the guarantee: a hidden entry is exactly
    /// determined iff the published equations pin it down. Solve with exact
    /// rational Gaussian elimination over the unknowns and report every
    /// unknown whose value is fixed (its column is a pivot with no free
    /// variable in its row after reduction).
    fn exactly_determined(t: &SuppressedTable) -> Vec<(usize, usize)> {
        let (rows, cols) = (t.rows + 1, t.cols + 1);
        let unknowns: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .filter(|&(r, c)| t.status(r, c) != CellStatus::Published)
            .collect();
        let m = unknowns.len();
        // Equations over unknowns only (coefficients are small integers; use
        // i128 fraction-free elimination).
        let coefficient = |r: usize, c: usize, row_eq: bool| -> i128 {
            // Row equation of grid row r: sum of cells - total = 0.
            let last = if row_eq { c == cols - 1 } else { r == rows - 1 };
            if last { -1 } else { 1 }
        };
        let mut eqs: Vec<Vec<i128>> = Vec::new();
        for r in 0..rows {
            eqs.push(
                unknowns
                    .iter()
                    .map(|&(ur, uc)| {
                        if ur == r {
                            coefficient(ur, uc, true)
                        } else {
                            0
                        }
                    })
                    .collect(),
            );
        }
        for c in 0..cols {
            eqs.push(
                unknowns
                    .iter()
                    .map(|&(ur, uc)| {
                        if uc == c {
                            coefficient(ur, uc, false)
                        } else {
                            0
                        }
                    })
                    .collect(),
            );
        }
        // Row-reduce to reduced echelon form (fraction-free, then normalise).
        let mut pivots = Vec::new();
        let mut row = 0;
        for col in 0..m {
            let Some(p) = (row..eqs.len()).find(|&i| eqs[i][col] != 0) else {
                continue;
            };
            eqs.swap(row, p);
            let pivot = eqs[row].clone();
            for (i, eq) in eqs.iter_mut().enumerate() {
                if i != row && eq[col] != 0 {
                    let (a, b) = (pivot[col], eq[col]);
                    for (x, p) in eq.iter_mut().zip(&pivot) {
                        *x = *x * a - p * b;
                    }
                    let g = eq.iter().fold(0i128, |g, &x| gcd(g, x.abs()));
                    if g > 1 {
                        eq.iter_mut().for_each(|x| *x /= g);
                    }
                }
            }
            pivots.push((row, col));
            row += 1;
        }
        pivots
            .into_iter()
            .filter(|&(r, col)| (0..m).all(|j| j == col || eqs[r][j] == 0))
            .map(|(_, col)| unknowns[col])
            .collect()
    }

    fn gcd(a: i128, b: i128) -> i128 {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    #[test]
    fn lone_small_cell_gets_complements() {
        // 3 x 3, one cell below 5.
        let counts = [20, 30, 25, 15, 2, 40, 33, 27, 50];
        let t = suppress_small_cells(&counts, 3, 3, 5).unwrap();
        assert_eq!(t.status(1, 1), CellStatus::Primary);
        assert_eq!(t.value(1, 1), None);
        assert_eq!(t.count(CellStatus::Primary), 1);
        assert_eq!(t.count(CellStatus::Complementary), 3, "a 2x2 rectangle");
        // The cheapest rectangle uses the smallest other values: row 1 col 0
        // (15), row 0 col 1 (30), (0, 0) = 20 → cost 65 vs alternatives.
        assert_eq!(t.status(1, 0), CellStatus::Complementary);
        assert_eq!(t.status(0, 1), CellStatus::Complementary);
        assert_eq!(t.status(0, 0), CellStatus::Complementary);
        assert!(exactly_determined(&t).is_empty());
        // Totals are published and correct.
        assert_eq!(t.value(1, 3), Some(57));
        assert_eq!(t.value(3, 3), Some(242));
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let t = suppress_small_cells(&[10, 0, 7, 12], 2, 2, 5).unwrap();
        assert_eq!(
            t.count(CellStatus::Primary) + t.count(CellStatus::Complementary),
            0
        );
        assert_eq!(t.published_values(), vec![10, 0, 10, 7, 12, 19, 17, 12, 29]);
    }

    #[test]
    fn small_margins_are_hidden_too() {
        // One row of small counts: the cells and the row total are primary.
        let t = suppress_small_cells(&[1, 2, 30, 40], 2, 2, 5).unwrap();
        assert_eq!(t.status(0, 0), CellStatus::Primary);
        assert_eq!(t.status(0, 1), CellStatus::Primary);
        assert_eq!(t.status(0, 2), CellStatus::Primary);
        assert!(exactly_determined(&t).is_empty());
    }

    #[test]
    fn single_row_uses_the_totals_row() {
        let t = suppress_small_cells(&[3, 50, 60], 1, 3, 5).unwrap();
        assert!(exactly_determined(&t).is_empty());
        assert_eq!(t.status(0, 0), CellStatus::Primary);
    }

    /// The property on random tables: after suppression no hidden entry is
    /// determined by the published ones, every primary is hidden, and
    /// published entries keep their values.
    #[test]
    fn random_tables_leave_nothing_derivable() {
        let mut rng = InsecureSeededRng::from_seed_insecure(11);
        for trial in 0..300 {
            let rows = 1 + rng.uniform_below(6) as usize;
            let cols = 1 + rng.uniform_below(6) as usize;
            let counts: Vec<u64> = (0..rows * cols)
                .map(|_| match rng.uniform_below(4) {
                    0 => rng.uniform_below(5),
                    _ => rng.uniform_below(60),
                })
                .collect();
            let t = suppress_small_cells(&counts, rows, cols, 5).unwrap();
            let derivable = exactly_determined(&t);
            assert!(
                derivable.is_empty(),
                "trial {trial}: {counts:?} {rows}x{cols} leaks {derivable:?}"
            );
            for r in 0..=rows {
                for c in 0..=cols {
                    let v = t.values[r * (cols + 1) + c];
                    if v > 0 && v < 5 {
                        assert_eq!(t.status(r, c), CellStatus::Primary);
                    }
                }
            }
        }
    }

    /// Without complementary suppression the oracle does find the leak, so
    /// the property test above can fail.
    #[test]
    fn the_oracle_detects_a_lone_hidden_cell() {
        let mut t = suppress_small_cells(&[20, 30, 15, 2], 2, 2, 5).unwrap();
        for s in t.status.iter_mut() {
            if *s == CellStatus::Complementary {
                *s = CellStatus::Published;
            }
        }
        assert_eq!(exactly_determined(&t), vec![(1, 1)]);
    }

    #[test]
    fn bad_shapes_are_rejected() {
        assert!(suppress_small_cells(&[], 0, 3, 5).is_err());
        assert!(suppress_small_cells(&[1, 2, 3], 2, 2, 5).is_err());
        assert!(suppress_small_cells(&[1], 1, 1, 0).is_err());
        assert!(suppress_small_cells(&[u64::MAX, 1], 1, 2, 5).is_err());
        let e = suppress_small_cells(&[1; 4], 1_000, 1_000, 5).unwrap_err();
        assert!(e.to_string().contains("at most 250000 cells"), "{e}");
        assert_eq!(CellStatus::Complementary.code(), 2);
    }
}
