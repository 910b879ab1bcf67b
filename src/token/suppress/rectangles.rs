//! The cheapest rectangle that puts a hidden entry on a 4-cycle, found in
//! time linear in the grid's shorter side.
//!
//! For a bridge `(r, c)` the algorithm hides the `(r', c')` minimising
//! `cost(r', c) + cost(r, c') + cost(r', c')` over `r' ≠ r`, `c' ≠ c`, ties to
//! the lowest `r'`, then `c'`. Call the grid's shorter side (rows or columns)
//! its *lines* (`s` of them) and the other side its *positions* (`l`). For
//! every pair of lines this index keeps the two smallest `(cost sum,
//! position)` over all positions of the element-wise sum of the two lines'
//! costs. The best partner position of a line pair that avoids one excluded
//! position is then the first or the second of those two, so a search tries
//! `s − 1` partner lines in O(1) each.
//!
//! Costs only ever decrease (an entry that becomes hidden costs 0), so the
//! two smallest of a pair stay exact under updates: an entry outside them can
//! enter them only by decreasing, which is exactly when it is offered.
//! Building the index takes `s(s−1)/2 · l ≤ N·√N / 2` additions for a grid of
//! `N` entries; hiding an entry updates `s − 1` pairs.

/// The cost of hiding a published zero: larger than any sum of three
/// non-zero counts (each below 2⁶⁴), so zeros are used only as a last resort.
pub(super) const ZERO_PENALTY: u128 = 1 << 70;

/// `(cost sum, position)`; `NO_POSITION` marks an empty slot.
type Slot = (u128, u32);
const NO_POSITION: u32 = u32::MAX;
const EMPTY: Slot = (u128::MAX, NO_POSITION);

/// The cost index of a `rows × cols` grid.
pub(super) struct Rectangles {
    /// Whether the lines are the grid's rows (else its columns).
    rows_are_lines: bool,
    lines: usize,
    positions: usize,
    /// `costs[line * positions + position]`.
    costs: Vec<u128>,
    /// The two smallest slots of each pair of lines `a < b`, smallest first.
    pairs: Vec<[Slot; 2]>,
}

impl Rectangles {
    /// The index of a `rows × cols` grid of `values` (row-major) whose entry
    /// `i` is already hidden when `hidden(i)`.
    pub(super) fn new(
        rows: usize,
        cols: usize,
        values: &[u64],
        hidden: impl Fn(usize) -> bool,
    ) -> Self {
        let rows_are_lines = rows <= cols;
        let (lines, positions) = if rows_are_lines {
            (rows, cols)
        } else {
            (cols, rows)
        };
        let mut costs = vec![0u128; lines * positions];
        for r in 0..rows {
            for c in 0..cols {
                let i = r * cols + c;
                let cost = if hidden(i) {
                    0
                } else {
                    match values[i] {
                        0 => ZERO_PENALTY,
                        v => u128::from(v),
                    }
                };
                let (x, y) = if rows_are_lines { (r, c) } else { (c, r) };
                costs[x * positions + y] = cost;
            }
        }
        let mut pairs = Vec::with_capacity(lines * (lines - 1) / 2);
        for a in 0..lines {
            let line_a = &costs[a * positions..(a + 1) * positions];
            for b in a + 1..lines {
                let line_b = &costs[b * positions..(b + 1) * positions];
                // Positions come in increasing order, so a strictly smaller
                // sum is what beats an earlier slot.
                let (mut first, mut second) = (EMPTY, EMPTY);
                for (y, (&ca, &cb)) in line_a.iter().zip(line_b).enumerate() {
                    let sum = ca + cb;
                    if sum < second.0 {
                        if sum < first.0 {
                            second = first;
                            first = (sum, y as u32);
                        } else {
                            second = (sum, y as u32);
                        }
                    }
                }
                pairs.push([first, second]);
            }
        }
        Rectangles {
            rows_are_lines,
            lines,
            positions,
            costs,
            pairs,
        }
    }

    fn pair(&self, a: usize, b: usize) -> usize {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        a * (2 * self.lines - a - 1) / 2 + (b - a - 1)
    }

    fn oriented(&self, r: usize, c: usize) -> (usize, usize) {
        if self.rows_are_lines { (r, c) } else { (c, r) }
    }

    /// Records that entry `(r, c)` is now hidden (its cost becomes 0).
    pub(super) fn hide(&mut self, r: usize, c: usize) {
        let (x, y) = self.oriented(r, c);
        self.costs[x * self.positions + y] = 0;
        for other in (0..self.lines).filter(|&o| o != x) {
            let sum = self.costs[other * self.positions + y];
            let p = self.pair(x, other);
            offer(&mut self.pairs[p], (sum, y as u32));
        }
    }

    /// The `(r', c')` of the cheapest rectangle through `(r, c)`: the
    /// smallest `(cost, r', c')`.
    pub(super) fn cheapest(&self, r: usize, c: usize) -> (usize, usize) {
        let (x, y) = self.oriented(r, c);
        let mut best = (u128::MAX, usize::MAX, usize::MAX);
        for other in (0..self.lines).filter(|&o| o != x) {
            let [first, second] = self.pairs[self.pair(x, other)];
            // The best position of this pair other than the excluded one.
            let (sum, at) = if first.1 as usize != y { first } else { second };
            debug_assert_ne!(at, NO_POSITION, "a grid has at least two positions");
            let total = self.costs[other * self.positions + y] + sum;
            let candidate = if self.rows_are_lines {
                (total, other, at as usize)
            } else {
                (total, at as usize, other)
            };
            if candidate < best {
                best = candidate;
            }
        }
        (best.1, best.2)
    }
}

/// Updates the two smallest slots after position `slot.1`'s sum decreased
/// to `slot.0`.
fn offer(top: &mut [Slot; 2], slot: Slot) {
    if top[0].1 == slot.1 {
        top[0].0 = slot.0;
    } else if top[1].1 == slot.1 {
        top[1].0 = slot.0;
        if top[1] < top[0] {
            top.swap(0, 1);
        }
    } else if slot < top[0] {
        top[1] = top[0];
        top[0] = slot;
    } else if slot < top[1] {
        top[1] = slot;
    }
}
