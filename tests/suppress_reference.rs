//! Small-cell suppression: the library's near-linear implementation gives
//! exactly the pattern of the straightforward algorithm the module
//! documentation describes (below, written as plainly as possible: a full
//! Tarjan bridge search per pass and an exhaustive rectangle search per
//! bridge), for random tables of every shape, with many ties and zeros.
//! The tables near the 250,000-cell cap finish in seconds.

use std::time::{Duration, Instant};

use ilsprivacy::token::suppress::{CellStatus, MAX_CELLS, suppress_small_cells};
use proptest::prelude::*;

/// The reference: the pattern (row-major `(rows + 1) × (cols + 1)` grid,
/// `ILSP_CELL_*` codes) by the algorithm of the module documentation.
fn reference(counts: &[u64], rows: usize, cols: usize, k: u64) -> Vec<u8> {
    let (gr, gc) = (rows + 1, cols + 1);
    let mut values = vec![0u64; gr * gc];
    for r in 0..rows {
        for c in 0..cols {
            let v = counts[r * cols + c];
            values[r * gc + c] = v;
            values[r * gc + cols] += v;
            values[rows * gc + c] += v;
            values[rows * gc + cols] += v;
        }
    }
    let mut status: Vec<u8> = values.iter().map(|&v| u8::from(v > 0 && v < k)).collect();
    loop {
        let found = bridges(&status, gr, gc);
        if found.is_empty() {
            break;
        }
        let mut touched_rows = vec![false; gr];
        let mut touched_cols = vec![false; gc];
        for (r, c) in found {
            if touched_rows[r] || touched_cols[c] {
                continue;
            }
            let (r2, c2) = cheapest_rectangle(&values, &status, gr, gc, r, c);
            for (rr, cc) in [(r, c2), (r2, c), (r2, c2)] {
                if status[rr * gc + cc] == 0 {
                    status[rr * gc + cc] = 2;
                }
                touched_rows[rr] = true;
                touched_cols[cc] = true;
            }
            touched_rows[r] = true;
            touched_cols[c] = true;
        }
    }
    status
}

fn cost(values: &[u64], status: &[u8], i: usize) -> u128 {
    match (status[i], values[i]) {
        (1 | 2, _) => 0,
        (_, 0) => 1 << 70,
        (_, v) => u128::from(v),
    }
}

/// The first `(r', c')` in row-major order of the smallest
/// `cost(r', c) + cost(r, c') + cost(r', c')`.
fn cheapest_rectangle(
    values: &[u64],
    status: &[u8],
    gr: usize,
    gc: usize,
    r: usize,
    c: usize,
) -> (usize, usize) {
    let mut best = (u128::MAX, 0, 0);
    for r2 in (0..gr).filter(|&x| x != r) {
        for c2 in (0..gc).filter(|&x| x != c) {
            let total = cost(values, status, r2 * gc + c)
                + cost(values, status, r * gc + c2)
                + cost(values, status, r2 * gc + c2);
            if total < best.0 {
                best = (total, r2, c2);
            }
        }
    }
    (best.1, best.2)
}

/// The hidden entries on no cycle of the row–column graph, sorted (Tarjan).
fn bridges(status: &[u8], gr: usize, gc: usize) -> Vec<(usize, usize)> {
    let n = gr + gc;
    let mut adjacency: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut edges = Vec::new();
    for r in 0..gr {
        for c in 0..gc {
            if status[r * gc + c] != 0 {
                let e = edges.len();
                edges.push((r, c));
                adjacency[r].push((gr + c, e));
                adjacency[gr + c].push((r, e));
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

fn library(counts: &[u64], rows: usize, cols: usize, k: u64) -> Vec<u8> {
    suppress_small_cells(counts, rows, cols, k)
        .expect("a valid table")
        .statuses()
        .iter()
        .map(|s| s.code())
        .collect()
}

/// Counts drawn from a few values, so that costs tie often, with zeros and
/// values below and at typical thresholds.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..6,
        2 => prop::sample::select(vec![0u64, 5, 6, 10, 20]),
        1 => 0u64..200,
    ]
}

fn table(max_rows: usize, max_cols: usize) -> impl Strategy<Value = (usize, usize, Vec<u64>)> {
    (1..=max_rows, 1..=max_cols).prop_flat_map(|(rows, cols)| {
        prop::collection::vec(count(), rows * cols).prop_map(move |v| (rows, cols, v))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn small_tables_match_the_reference((rows, cols, counts) in table(7, 7), k in 1u64..8) {
        prop_assert_eq!(library(&counts, rows, cols, k), reference(&counts, rows, cols, k));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn long_and_tall_tables_match_the_reference(
        (rows, cols, counts) in prop_oneof![table(3, 60), table(60, 3), table(25, 25)],
        k in 2u64..7,
    ) {
        prop_assert_eq!(library(&counts, rows, cols, k), reference(&counts, rows, cols, k));
    }
}

/// The reference is exercised too: it must hide complements, or the
/// comparisons above would compare two wrong answers that agree.
#[test]
fn the_reference_hides_complements() {
    let pattern = reference(&[20, 30, 15, 2], 2, 2, 5);
    assert_eq!(pattern.iter().filter(|&&s| s == 1).count(), 1);
    assert!(
        pattern.iter().filter(|&&s| s == 2).count() >= 3,
        "{pattern:?}"
    );
}

/// A deterministic pseudo-random count (splitmix64), 1 in `small` of them
/// below 5.
fn counts(n: usize, seed: u64, small: u64) -> Vec<u64> {
    (0..n as u64)
        .map(|i| {
            let mut z = (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_add(i);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            if z % small == 0 {
                1 + z % 4
            } else {
                5 + z % 1000
            }
        })
        .collect()
}

/// Suppresses and checks the time (in release builds; debug builds only
/// run it).
fn timed(counts: &[u64], rows: usize, cols: usize, limit: Duration) -> Vec<CellStatus> {
    let start = Instant::now();
    let table = suppress_small_cells(counts, rows, cols, 5).expect("a valid table");
    let took = start.elapsed();
    if !cfg!(debug_assertions) {
        assert!(took < limit, "{rows} x {cols}: {took:?}");
    }
    table.statuses().to_vec()
}

/// The case: 2 × 125,000 cells (inside the cap) took longer than
/// 120 s with the quadratic passes. One small count in three, in one row,
/// in both, and transposed; every primary suppression is protected.
#[test]
fn two_by_125000_cells_take_seconds() {
    let n = 125_000;
    let limit = Duration::from_secs(3);
    let mut one_row_small = counts(2 * n, 1, 1_000_000);
    for v in &mut one_row_small[..n] {
        *v = 1 + *v % 4;
    }
    for (rows, cols, data) in [
        (2, n, counts(2 * n, 7, 3)),
        (n, 2, counts(2 * n, 8, 3)),
        (2, n, one_row_small.clone()),
        (n, 2, transpose(&one_row_small, 2, n)),
    ] {
        let status = timed(&data, rows, cols, limit);
        let hidden = status
            .iter()
            .filter(|&&s| s != CellStatus::Published)
            .count();
        assert!(hidden > n / 2, "{rows} x {cols}: only {hidden} hidden");
    }
}

fn transpose(data: &[u64], rows: usize, cols: usize) -> Vec<u64> {
    (0..cols)
        .flat_map(|c| (0..rows).map(move |r| data[r * cols + c]))
        .collect()
}

/// Other shapes at the cap, the square one included (its rectangle index
/// is the largest: one entry per pair of rows).
#[test]
fn every_shape_at_the_cap_takes_seconds() {
    assert_eq!(MAX_CELLS, 250_000);
    for (rows, cols) in [
        (1, 250_000),
        (250_000, 1),
        (10, 25_000),
        (500, 500),
        (50, 5_000),
    ] {
        for small in [3, 50, 997] {
            timed(
                &counts(rows * cols, small, small),
                rows,
                cols,
                Duration::from_secs(3),
            );
        }
    }
}
