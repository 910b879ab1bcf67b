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
//! # Running time
//!
//! Step 2 runs in passes: each takes the bridges at its start in (row,
//! column) order and fixes each one whose row and column no earlier fix of
//! the pass touched. The bridges are kept up to date as entries are hidden
//! (an online bridge forest), and the cheapest rectangle comes
//! from an index of the two cheapest positions of every pair of rows (or of
//! columns, whichever side is shorter). For a grid of `N`
//! entries with shorter side `s` (so `s ≤ √N`) the whole run takes
//! O(N·s + N log N) time and O(N + s²) memory: at the [`MAX_CELLS`] cap,
//! every shape (2 × 125,000, 500 × 500, 250,000 × 1 …) finishes well within
//! a second in a release build (`tests/suppress_reference.rs`), and the
//! pattern is exactly the one the passes above define, which that test
//! checks against a plain implementation of them.
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

mod bridges;
mod rectangles;

use std::collections::BTreeSet;

use self::bridges::{BridgeForest, BridgeSink};
use self::rectangles::Rectangles;
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
    let cells = table_cells(rows, cols)?;
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

    complement(&values, &mut status, rows + 1, w);
    Ok(SuppressedTable {
        rows,
        cols,
        values,
        status,
    })
}

/// The number of cells of a `rows × cols` table, checked: both at least 1,
/// at most [`MAX_CELLS`] cells.
pub(crate) fn table_cells(rows: usize, cols: usize) -> Result<usize> {
    if rows == 0 || cols == 0 {
        return Err(Error::invalid(
            "rows",
            format!("and cols must be at least 1, got {rows} x {cols}"),
        ));
    }
    rows.checked_mul(cols)
        .filter(|&n| n <= MAX_CELLS)
        .ok_or_else(|| Error::invalid("rows", format!("x cols must be at most {MAX_CELLS} cells")))
}

/// Step 2 of the module documentation on the `grid_rows × grid_cols` grid:
/// repeats passes until no hidden entry is a bridge. A pass takes the bridges
/// at its start in order (row, then column) and fixes each whose row and
/// column no earlier fix of the pass has touched, with the cheapest
/// rectangle at that moment; the bridges are then brought up to date.
fn complement(values: &[u64], status: &mut [CellStatus], grid_rows: usize, grid_cols: usize) {
    let mut bridges = Bridges::new(grid_rows, grid_cols);
    let mut forest = BridgeForest::new(grid_rows + grid_cols);
    let edge = |i: usize| {
        let (r, c) = (i / grid_cols, i % grid_cols);
        (r as u32, (grid_rows + c) as u32, i as u32)
    };
    for (i, s) in status.iter().enumerate() {
        if *s != CellStatus::Published {
            let (a, b, e) = edge(i);
            forest.add_edge(a, b, e, &mut bridges);
        }
    }
    if bridges.count == 0 {
        return;
    }
    let mut rectangles = Rectangles::new(grid_rows, grid_cols, values, |i| {
        status[i] != CellStatus::Published
    });
    let mut touched = Touched::new(grid_rows, grid_cols);
    let mut hidden_in_pass = Vec::new();
    while bridges.count > 0 {
        let mut after = None;
        while let Some((r, c)) = bridges.next_untouched(after, &touched) {
            let (r2, c2) = rectangles.cheapest(r, c);
            for (rr, cc) in [(r, c2), (r2, c), (r2, c2), (r, c)] {
                let i = rr * grid_cols + cc;
                if status[i] == CellStatus::Published {
                    status[i] = CellStatus::Complementary;
                    rectangles.hide(rr, cc);
                    hidden_in_pass.push(i);
                }
                touched.touch(rr, cc);
            }
            after = Some(r);
        }
        for i in hidden_in_pass.drain(..) {
            let (a, b, e) = edge(i);
            forest.add_edge(a, b, e, &mut bridges);
        }
        touched.clear();
    }
}

/// The rows and columns a pass has touched, cleared in time proportional to
/// their number.
struct Touched {
    rows: Vec<bool>,
    cols: Vec<bool>,
    list: Vec<(usize, usize)>,
}

impl Touched {
    fn new(rows: usize, cols: usize) -> Self {
        Touched {
            rows: vec![false; rows],
            cols: vec![false; cols],
            list: Vec::new(),
        }
    }

    fn touch(&mut self, r: usize, c: usize) {
        self.rows[r] = true;
        self.cols[c] = true;
        self.list.push((r, c));
    }

    fn clear(&mut self) {
        for (r, c) in self.list.drain(..) {
            self.rows[r] = false;
            self.cols[c] = false;
        }
    }
}

/// The current bridges, indexed by the grid's shorter side ("lines", as in
/// [`Rectangles`]): for each line, the positions along it that are bridges.
struct Bridges {
    rows_are_lines: bool,
    grid_cols: usize,
    by_line: Vec<BTreeSet<u32>>,
    count: usize,
}

impl Bridges {
    fn new(grid_rows: usize, grid_cols: usize) -> Self {
        let rows_are_lines = grid_rows <= grid_cols;
        let lines = grid_rows.min(grid_cols);
        Bridges {
            rows_are_lines,
            grid_cols,
            by_line: vec![BTreeSet::new(); lines],
            count: 0,
        }
    }

    fn oriented(&self, edge: u32) -> (usize, u32) {
        let (r, c) = (
            edge as usize / self.grid_cols,
            edge as usize % self.grid_cols,
        );
        if self.rows_are_lines {
            (r, c as u32)
        } else {
            (c, r as u32)
        }
    }

    /// The first bridge `(r, c)` in (row, column) order with `r > after`
    /// whose row and column are both untouched.
    ///
    /// The bridges form a forest, so the bridges skipped for a touched
    /// position are at most `lines + touched` edges: a call costs
    /// O((lines + touched) · log) whatever the table.
    fn next_untouched(&self, after: Option<usize>, touched: &Touched) -> Option<(usize, usize)> {
        let from = after.map_or(0, |r| r + 1);
        if self.rows_are_lines {
            // Lines are rows: the first row with an untouched bridge wins.
            (from..self.by_line.len())
                .filter(|&r| !touched.rows[r])
                .find_map(|r| {
                    let c = self.by_line[r]
                        .iter()
                        .find(|&&c| !touched.cols[c as usize])?;
                    Some((r, *c as usize))
                })
        } else {
            // Lines are columns: the smallest row over the untouched columns.
            (0..self.by_line.len())
                .filter(|&c| !touched.cols[c])
                .filter_map(|c| {
                    let r = self.by_line[c]
                        .range(from as u32..)
                        .find(|&&r| !touched.rows[r as usize])?;
                    Some((*r as usize, c))
                })
                .min()
        }
    }
}

impl BridgeSink for Bridges {
    fn appeared(&mut self, edge: u32) {
        let (line, position) = self.oriented(edge);
        self.by_line[line].insert(position);
        self.count += 1;
    }

    fn vanished(&mut self, edge: u32) {
        let (line, position) = self.oriented(edge);
        self.by_line[line].remove(&position);
        self.count -= 1;
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
