//! A release's running time says nothing about its noise.
//!
//! Two checks, each run on the library's samplers and on the samplers as they
//! were before (kept in `tests/support/old_sampler` as the counter-example,
//! as `mechanism_float_attack.rs` keeps the naive float sampler):
//!
//! - **Structural, no clock:** the seeded test generator counts the 64-bit
//!   words each release draws. Every release of the library's samplers draws
//!   a whole number of rounds of a fixed size, and the distribution of the
//!   number of rounds is the same whatever the output (chi-square test of
//!   homogeneity across output bins, false-failure rate ≈ 1e-6). The old
//!   sampler draws more words far in the tail and fails the same test.
//! - **Clock:** the mean time per release (trimmed of its 10 % fastest and
//!   slowest calls) in the output bins `|noise|/scale ∈ [0, 2)` and
//!   `[8, ∞)` differ by at most 10 %, for `ilsp_laplace` (Δ = 1, ε = 1),
//!   `ilsp_laplace_i64` (scale 1000) and `ilsp_gaussian_i64` at σ ≈ 0.947
//!   (there `[8, ∞)` has probability ≈ 10^−15, so the bins are `y = 0`
//!   against `|y| ≥ 2`, the comparison the old sampler failed), and for the
//!   seeded Rust releases; the old sampler's far bin is slower by far more
//!   than 10 %. Bins are measured interleaved in one loop so that load on a
//!   shared machine hits both alike.

mod support;

use std::time::Instant;

use ilsprivacy::ffi::ILSP_OK;
use ilsprivacy::ffi::mechanism::{ilsp_gaussian_i64, ilsp_laplace, ilsp_laplace_i64};
use ilsprivacy::mechanism::{
    DiscreteGaussian, DiscreteLaplace, Gaussian, Laplace, RandomizedResponse,
};
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};
use ilsprivacy::sample::{
    DiscreteGaussianSampler, DiscreteLaplaceSampler, Rational, RoundedLaplaceSampler,
};
use support::old_sampler;

/// The output bin of a release: 0 for `|noise|/scale < 2`, 1 for `[2, 8)`,
/// 2 for `≥ 8`.
fn bin(ratio: f64) -> usize {
    if ratio < 2.0 {
        0
    } else if ratio < 8.0 {
        1
    } else {
        2
    }
}

/// Words per release, recorded by output bin.
struct WordLog {
    /// `counts[bin][words]`.
    counts: [Vec<u64>; 3],
}

impl WordLog {
    fn new() -> WordLog {
        WordLog {
            counts: [vec![0; 64], vec![0; 64], vec![0; 64]],
        }
    }

    fn add(&mut self, bin: usize, words: u64) {
        let w = (words as usize).min(63);
        self.counts[bin][w] += 1;
    }

    fn total(&self, bin: usize) -> u64 {
        self.counts[bin].iter().sum()
    }

    /// Chi-square statistic and degrees of freedom of the homogeneity of
    /// the word-count distributions of bins `a` and `b` (word counts that
    /// are rare in both pooled into one class).
    fn homogeneity(&self, a: usize, b: usize) -> (f64, usize) {
        let (na, nb) = (self.total(a) as f64, self.total(b) as f64);
        let mut classes: Vec<(f64, f64)> = Vec::new();
        let mut pool = (0.0, 0.0);
        for w in 0..64 {
            let (x, y) = (self.counts[a][w] as f64, self.counts[b][w] as f64);
            if x + y == 0.0 {
                continue;
            }
            // Expected count in the smaller bin must be ≥ 10 for a class.
            let small = (x + y) * na.min(nb) / (na + nb);
            if small >= 10.0 {
                classes.push((x, y));
            } else {
                pool.0 += x;
                pool.1 += y;
            }
        }
        if pool.0 + pool.1 > 0.0 {
            classes.push(pool);
        }
        let mut chi2 = 0.0;
        for &(x, y) in &classes {
            let t = x + y;
            let (ea, eb) = (t * na / (na + nb), t * nb / (na + nb));
            chi2 += (x - ea).powi(2) / ea + (y - eb).powi(2) / eb;
        }
        (chi2, classes.len().saturating_sub(1))
    }
}

/// The upper 1e-6 critical value of a chi-square law with `df` degrees of
/// freedom (Wilson–Hilferty), at least that of df = 1 (23.9).
fn critical(df: usize) -> f64 {
    if df <= 1 {
        return 23.93;
    }
    let (z, k) = (4.753_424_3, df as f64);
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

/// Draws from `release` (given a seeded generator, returning
/// `|noise|/scale`) until the far bin has `far` releases, logging words.
fn log_words(
    seed: u64,
    far: u64,
    mut release: impl FnMut(&mut InsecureSeededRng) -> f64,
) -> WordLog {
    let mut rng = InsecureSeededRng::from_seed_insecure(seed);
    let mut log = WordLog::new();
    while log.total(2) < far {
        let before = rng.words_drawn();
        let ratio = release(&mut rng);
        log.add(bin(ratio), rng.words_drawn() - before);
        assert!(log.total(0) < 200_000_000, "far bin too rare");
    }
    log
}

/// Asserts that the word counts of the near and far bins are homogeneous
/// and that every release drew a multiple of `round` words.
fn assert_fixed_work(what: &str, log: &WordLog, round: u64) {
    for b in 0..3 {
        for (w, &c) in log.counts[b].iter().enumerate() {
            assert!(
                c == 0 || (w as u64).is_multiple_of(round),
                "{what}: a release drew {w} words, not whole rounds of {round}"
            );
        }
    }
    let (chi2, df) = log.homogeneity(0, 2);
    assert!(
        chi2 < critical(df),
        "{what}: words per release depend on the output (chi2 = {chi2:.1}, df = {df})"
    );
}

/// Words per release of every fixed-work sampler and mechanism: whole
/// rounds of three words, distributed alike near zero and far in the tail.
#[test]
#[cfg_attr(debug_assertions, ignore = "millions of draws: run with --release")]
fn words_per_release_do_not_depend_on_the_output() {
    let laplace = Laplace::new(1.0, 1.0).unwrap();
    let log = log_words(1, 2000, |r| {
        (laplace.release_with(0.0, r).unwrap() / laplace.scale()).abs()
    });
    assert_fixed_work("Laplace(Δ = 1, ε = 1)", &log, 3);

    let dlap = DiscreteLaplace::new(1, 0.001).unwrap();
    assert!((dlap.scale() - 1000.0).abs() < 1e-9, "{}", dlap.scale());
    let log = log_words(2, 2000, |r| {
        (dlap.release_with(0, r).unwrap() as f64 / 1000.0).abs()
    });
    assert_fixed_work("DiscreteLaplace(scale 1000)", &log, 3);

    for t in [0.5, 3.0] {
        let s = DiscreteLaplaceSampler::new(&Rational::from_f64("t", t).unwrap()).unwrap();
        let log = log_words(3, 2000, |r| (s.sample(r) as f64 / t).abs());
        assert_fixed_work(&format!("discrete Laplace t = {t}"), &log, 3);
        let s = RoundedLaplaceSampler::new(&Rational::from_f64("t", t).unwrap()).unwrap();
        let log = log_words(4, 2000, |r| (s.sample(r) as f64 / t).abs());
        assert_fixed_work(&format!("rounded Laplace t = {t}"), &log, 3);
    }

    // σ ≈ 0.947: bins by |y| (0, 1, ≥ 2): [8σ, ∞) has probability 1e-15.
    let g = DiscreteGaussian::from_epsilon_delta(1, 5.0, 1e-6).unwrap();
    assert!((g.sigma() - 0.947).abs() < 0.01, "{}", g.sigma());
    let log = log_words(5, 2000, |r| {
        match g.release_with(0, r).unwrap().unsigned_abs() {
            0 => 0.0,
            1 => 4.0,
            _ => 9.0,
        }
    });
    assert_fixed_work(
        "DiscreteGaussian(σ ≈ 0.947), y = 0 against |y| ≥ 2",
        &log,
        3,
    );

    // Larger σ: [8σ, ∞) has probability ≈ 1.2e-15 too; bins at 2σ and 3σ.
    let gauss = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6).unwrap();
    let log = log_words(6, 2000, |r| {
        let z = (gauss.release_with(0.0, r).unwrap() / gauss.sigma()).abs();
        if z < 2.0 {
            0.0
        } else if z < 3.0 {
            4.0
        } else {
            9.0
        }
    });
    assert_fixed_work(
        "Gaussian(Δ = 1, ε = 1, δ = 1e-6), |z| < 2 against ≥ 3",
        &log,
        3,
    );
    let s = DiscreteGaussianSampler::new(&Rational::from_integer(20)).unwrap();
    let log = log_words(7, 2000, |r| {
        let z = (s.sample(r) as f64 / 20.0).abs();
        if z < 2.0 {
            0.0
        } else if z < 3.0 {
            4.0
        } else {
            9.0
        }
    });
    assert_fixed_work("discrete Gaussian σ = 20", &log, 3);

    // Randomized response: kept (bin 0) against replaced (bin 2).
    let rr = RandomizedResponse::new(0.5, 5).unwrap();
    let log = log_words(8, 20_000, |r| {
        if rr.release_with(3, r).unwrap() == 3 {
            0.0
        } else {
            9.0
        }
    });
    assert_fixed_work("RandomizedResponse(ε = 0.5, k = 5)", &log, 3);
}

/// The old sampler fails the same test: releases far in the tail draw more
/// words (the 16-bit head of `U` rarely decides there).
#[test]
#[cfg_attr(debug_assertions, ignore = "millions of draws: run with --release")]
fn the_old_sampler_fails_the_word_count_test() {
    let t = 1000.0;
    let old =
        old_sampler::laplace::DiscreteLaplaceSampler::new(&Rational::from_f64("t", t).unwrap())
            .unwrap();
    let log = log_words(9, 2000, |r| (old.sample(r) as f64 / t).abs());
    let (chi2, df) = log.homogeneity(0, 2);
    assert!(
        chi2 > 10.0 * critical(df),
        "expected the old sampler's words to depend on the output: chi2 = {chi2:.1}"
    );
    // Far out, releases draw at least half a word more on average.
    let mean = |b: usize| {
        let c = &log.counts[b];
        c.iter()
            .enumerate()
            .map(|(w, &n)| w as f64 * n as f64)
            .sum::<f64>()
            / log.total(b) as f64
    };
    assert!(mean(2) > mean(0) + 0.3, "{} {}", mean(0), mean(2));
}

/// Mean of the middle 80 % of `v`.
fn trimmed_mean(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let cut = v.len() / 10;
    let mid = &v[cut..v.len() - cut];
    mid.iter().sum::<f64>() / mid.len() as f64
}

/// Nanoseconds of one call of `f`.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_nanos() as f64
}

/// Times `calls` releases of `release` (returning the output bin, 0 or 2,
/// or 1 for neither) and returns the trimmed mean time per call of the near
/// and far bins and how many far calls there were.
fn time_bins(calls: usize, mut release: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut near = Vec::with_capacity(calls);
    let mut far = Vec::new();
    for _ in 0..calls {
        let mut b = 0;
        let ns = time(|| b = release());
        match b {
            0 => near.push(ns),
            2 => far.push(ns),
            _ => {}
        }
    }
    let n = far.len();
    (trimmed_mean(&mut near), trimmed_mean(&mut far), n)
}

/// Seeds whose first release after one warm-up word falls in `bin`.
fn seeds_in_bin(
    want: usize,
    count: usize,
    mut release: impl FnMut(&mut InsecureSeededRng) -> usize,
) -> Vec<u64> {
    let mut out = Vec::with_capacity(count);
    let mut seed = 1_000_000u64;
    while out.len() < count {
        let mut rng = InsecureSeededRng::from_seed_insecure(seed);
        rng.next_u64();
        if release(&mut rng) == want {
            out.push(seed);
        }
        seed += 1;
    }
    out
}

/// Times seeded releases whose outputs are known to be near or far
/// (alternating near/far/far/near so that drift hits both alike); returns
/// the far/near ratio of trimmed means.
fn seeded_ratio(
    pairs: usize,
    reps: usize,
    mut release: impl FnMut(&mut InsecureSeededRng) -> usize,
) -> f64 {
    let near = seeds_in_bin(0, pairs, &mut release);
    let far = seeds_in_bin(2, pairs, &mut release);
    let (mut tn, mut tf) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        for (&a, &b) in near.iter().zip(&far) {
            let (mut ra, mut rb) = (
                InsecureSeededRng::from_seed_insecure(a),
                InsecureSeededRng::from_seed_insecure(b),
            );
            ra.next_u64();
            rb.next_u64();
            let (x, y) = if rep % 2 == 0 {
                let x = time(|| assert_eq!(release(&mut ra), 0));
                (x, time(|| assert_eq!(release(&mut rb), 2)))
            } else {
                let y = time(|| assert_eq!(release(&mut rb), 2));
                (time(|| assert_eq!(release(&mut ra), 0)), y)
            };
            tn.push(x);
            tf.push(y);
        }
    }
    trimmed_mean(&mut tf) / trimmed_mean(&mut tn)
}

/// The end-to-end check: clock per call, bins near zero and far in the tail.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "timing needs an optimized build: run with --release"
)]
fn release_time_does_not_depend_on_the_noise() {
    let mut report = Vec::new();
    // C entry points with the secure generator: natural draws, interleaved.
    let (value, mut out) = (0.0, 0.0);
    ilsp_laplace(value, 1.0, 1.0, &mut out); // build and cache the mechanism
    let b = Laplace::new(1.0, 1.0).unwrap().scale();
    let (n, f, count) = time_bins(3_000_000, || {
        assert_eq!(ilsp_laplace(value, 1.0, 1.0, &mut out), ILSP_OK);
        bin((out - value).abs() / b)
    });
    assert!(count > 300, "{count}");
    report.push(("ilsp_laplace(Δ = 1, ε = 1)", n, f));

    let mut iout = 0i64;
    ilsp_laplace_i64(0, 1, 0.001, &mut iout);
    let (n, f, count) = time_bins(3_000_000, || {
        assert_eq!(ilsp_laplace_i64(0, 1, 0.001, &mut iout), ILSP_OK);
        bin(iout.unsigned_abs() as f64 / 1000.0)
    });
    assert!(count > 300, "{count}");
    report.push(("ilsp_laplace_i64(scale 1000)", n, f));

    ilsp_gaussian_i64(0, 1, 5.0, 1e-6, &mut iout);
    let (n, f, count) = time_bins(300_000, || {
        assert_eq!(ilsp_gaussian_i64(0, 1, 5.0, 1e-6, &mut iout), ILSP_OK);
        match iout.unsigned_abs() {
            0 => 0,
            1 => 1,
            _ => 2,
        }
    });
    assert!(count > 300, "{count}");
    report.push(("ilsp_gaussian_i64(σ ≈ 0.947): y = 0 vs |y| ≥ 2", n, f));

    // The float mechanism's sampler itself, natural draws from one seeded
    // stream, against the old sampler timed the same way.
    let laplace = Laplace::new(1.0, 1.0).unwrap();
    let t = laplace.scale() / laplace.grid();
    let scale = Rational::from_f64("t", t).unwrap();
    let new = RoundedLaplaceSampler::new(&scale).unwrap();
    let old = old_sampler::laplace::RoundedLaplaceSampler::new(&scale).unwrap();
    let mut rng = InsecureSeededRng::from_seed_insecure(11);
    let (n, f, _) = time_bins(3_000_000, || bin((new.sample(&mut rng) as f64 / t).abs()));
    report.push(("RoundedLaplaceSampler(t ≈ 2^40)", n, f));
    let (on, of, _) = time_bins(3_000_000, || bin((old.sample(&mut rng) as f64 / t).abs()));

    // Seeded Rust releases with known outputs, replayed near/far alternating.
    let r = seeded_ratio(300, 20, |rng| {
        bin((laplace.release_with(0.0, rng).unwrap() / laplace.scale()).abs())
    });
    report.push(("seeded Laplace::release_with (replayed)", 1.0, r));
    let dlap = DiscreteLaplace::new(1, 0.001).unwrap();
    let r = seeded_ratio(300, 20, |rng| {
        bin(dlap.release_with(0, rng).unwrap() as f64 / 1000.0)
    });
    report.push((
        "seeded DiscreteLaplace::release_with(scale 1000) (replayed)",
        1.0,
        r,
    ));

    for (what, near, far) in &report {
        eprintln!("{what}: far/near time {:.3}", far / near);
    }
    eprintln!(
        "old rounded Laplace sampler: far/near time {:.3} ({on:.1} ns near)",
        of / on
    );
    for (what, near, far) in &report {
        let ratio = far / near;
        assert!(
            (ratio - 1.0).abs() <= 0.10,
            "{what}: far releases take {ratio:.3}× the time of near ones"
        );
    }
    // The old sampler, timed the same way, fails.
    assert!(
        of / on > 1.3,
        "the old sampler was expected to be slower far out: {:.3}",
        of / on
    );
}
