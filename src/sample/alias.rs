//! Exact alias tables (Walker 1977, Vose 1991) over integer masses.
//!
//! Outcome `o` has mass `n_o`, an integer, and the masses sum to exactly
//! `2^(k+64)`. The table has `2^k` buckets of capacity `2^64`; bucket `b`
//! holds a threshold `thr_b` and an alias `a_b`. A draw takes `k` uniform
//! bits `b` and a uniform 64-bit `c`, and returns `b` if `c < thr_b`, else
//! `a_b`: one load and one comparison. Built with integers only, the table
//! reproduces every mass exactly (`P(o) = n_o / 2^(k+64)`), so the draw has
//! no rounding and no tie to settle; the construction is checked by
//! recomputing the masses from the table.

/// One bucket: the draw `(b, c)` gives `b` when `c < threshold`, else `alias`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// Threshold on the 64-bit coin.
    pub(crate) threshold: u64,
    /// The other outcome of the bucket.
    pub(crate) alias: u32,
}

/// Builds the `2^k` buckets for `masses` (at most `2^k` of them, summing to
/// `2^(k+64)`), or `None` if they do not.
pub(crate) fn build(masses: &[u128], k: u32) -> Option<Vec<Bucket>> {
    const CAP: u128 = 1 << 64;
    let n = 1usize << k;
    if masses.len() > n || k > 24 {
        return None;
    }
    let total = masses
        .iter()
        .try_fold(0u128, |acc, &m| acc.checked_add(m))?;
    if total != CAP << k {
        return None;
    }
    let mut left: Vec<u128> = (0..n)
        .map(|i| masses.get(i).copied().unwrap_or(0))
        .collect();
    let mut buckets = vec![Bucket::default(); n];
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| left[i] < CAP);
    while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
        small.pop();
        // left[s] < 2^64: the bucket keeps it and takes the rest from l.
        buckets[s] = Bucket {
            threshold: left[s] as u64,
            alias: l as u32,
        };
        left[l] -= CAP - left[s];
        left[s] = CAP;
        if left[l] < CAP {
            large.pop();
            small.push(l);
        }
    }
    // What remains has exactly the capacity (the total is exact): full buckets.
    for i in small.into_iter().chain(large) {
        if left[i] != CAP {
            return None;
        }
        buckets[i] = Bucket {
            threshold: u64::MAX,
            alias: i as u32,
        };
    }
    Some(buckets)
}

/// The outcome of bucket `b` for the coin `c` (the samplers read the same
/// from their own bucket layout; tests).
#[cfg(test)]
pub(crate) fn pick<const N: usize>(buckets: &[Bucket; N], b: usize, c: u64) -> usize {
    let b = b % N;
    let bucket = buckets[b];
    let keep = usize::from(c < bucket.threshold).wrapping_neg();
    (b & keep) | (bucket.alias as usize & !keep)
}

/// The masses the table realises (tests).
#[cfg(test)]
pub(crate) fn masses_of(buckets: &[Bucket]) -> Vec<u128> {
    let mut m = vec![0u128; buckets.len()];
    for (b, bucket) in buckets.iter().enumerate() {
        if bucket.alias as usize == b {
            m[b] += 1 << 64;
        } else {
            m[b] += u128::from(bucket.threshold);
            m[bucket.alias as usize] += (1u128 << 64) - u128::from(bucket.threshold);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};

    #[test]
    fn tables_reproduce_their_masses_exactly() {
        let mut rng = InsecureSeededRng::from_seed_insecure(5);
        for k in [0u32, 1, 3, 9] {
            for trial in 0..50 {
                let n = 1usize << k;
                let count = 1 + (rng.next_u64() as usize) % n;
                // Random masses, then fix the total on the last one.
                let total = 1u128 << (64 + k);
                let mut masses: Vec<u128> = (0..count)
                    .map(|_| u128::from(rng.next_u64() >> (rng.next_u64() % 64)) << k.min(3))
                    .collect();
                let sum: u128 = masses[..count - 1].iter().sum();
                if sum > total {
                    continue;
                }
                masses[count - 1] = total - sum;
                if trial % 7 == 0 && count > 1 {
                    masses[0] = 0; // an outcome with no mass
                    masses[count - 1] = total - masses[1..count - 1].iter().sum::<u128>();
                }
                let buckets = build(&masses, k).unwrap();
                let got = masses_of(&buckets);
                for (i, m) in got.iter().enumerate() {
                    assert_eq!(*m, masses.get(i).copied().unwrap_or(0), "k={k} outcome {i}");
                }
            }
        }
        assert!(build(&[1, 2], 0).is_none(), "wrong total");
        assert!(build(&[1 << 64, 0, 0], 1).is_none(), "too many outcomes");
    }

    #[test]
    fn picks_follow_the_thresholds() {
        let masses = [3u128 << 62, 5u128 << 62];
        let buckets: [Bucket; 2] = build(&masses, 1).unwrap().try_into().unwrap();
        let mut counts = [0u128; 2];
        // Enumerate the coin coarsely: each bucket's split is at a multiple of 2^62.
        for b in 0..2 {
            for c in 0..4u64 {
                counts[pick(&buckets, b, c << 62)] += 1 << 62;
            }
        }
        assert_eq!(counts, masses);
    }
}
