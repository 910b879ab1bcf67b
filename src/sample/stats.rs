//! Test statistics shared by the samplers' statistical tests.
//!
//! Every test draws from [`crate::rng::InsecureSeededRng`] with a fixed seed,
//! so it is deterministic; the stated false-failure rate is the probability
//! that a correct sampler fails it for a seed drawn at random.

/// z-score of `hits` successes in `n` trials of probability `p`.
pub(crate) fn binomial_z(hits: u64, n: u64, p: f64) -> f64 {
    let n = n as f64;
    let var = n * p * (1.0 - p);
    if var == 0.0 {
        return if (hits as f64 - n * p).abs() < 0.5 {
            0.0
        } else {
            f64::INFINITY
        };
    }
    (hits as f64 - n * p) / var.sqrt()
}

/// The upper `alpha = 1e-6` critical value of a chi-square law with `df`
/// degrees of freedom (Wilson–Hilferty; accurate to a few percent for df ≥ 3,
/// which keeps the false-failure rate between about 5e-7 and 2e-6).
pub(crate) fn chi_square_critical_1e6(df: usize) -> f64 {
    let z = 4.753_424_3; // upper 1e-6 quantile of N(0, 1)
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

/// Chi-square statistic and degrees of freedom of integer samples against an
/// exact cumulative distribution function `cdf(v) = P(X ≤ v)`.
///
/// Bins are cut at the 1/64-quantiles (merged so every bin expects ≥ 20
/// samples); the outermost bins take the tails.
pub(crate) fn chi_square_integer(samples: &[i128], cdf: impl Fn(i128) -> f64) -> (f64, usize) {
    let n = samples.len() as f64;
    let quantile = |p: f64| {
        // Smallest v with cdf(v) >= p.
        let (mut lo, mut hi) = (-(1i128 << 100), 1i128 << 100);
        while lo < hi {
            let mid = lo + (hi - lo).div_euclid(2);
            if cdf(mid) >= p {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        lo
    };
    let mut cuts: Vec<i128> = (1..64).map(|j| quantile(j as f64 / 64.0)).collect();
    cuts.dedup();
    // Bin i is (cuts[i-1], cuts[i]]; probabilities from the cdf.
    let mut bins: Vec<(i128, f64)> = vec![]; // (upper edge, probability)
    let mut prev = 0.0;
    for &c in &cuts {
        let f = cdf(c);
        bins.push((c, f - prev));
        prev = f;
    }
    bins.push((i128::MAX, 1.0 - prev));
    // Merge bins that expect fewer than 20 samples into their right neighbour.
    let mut merged: Vec<(i128, f64)> = vec![];
    let mut carry = 0.0;
    for (edge, p) in bins {
        carry += p;
        if carry * n >= 20.0 || edge == i128::MAX {
            merged.push((edge, carry));
            carry = 0.0;
        }
    }
    if merged.len() > 1 && merged.last().is_some_and(|b| b.1 * n < 20.0) {
        let last = merged.pop().expect("non-empty");
        let before = merged.last_mut().expect("non-empty");
        before.0 = last.0;
        before.1 += last.1;
    }
    let mut counts = vec![0u64; merged.len()];
    for &s in samples {
        counts[merged.partition_point(|b| b.0 < s)] += 1;
    }
    let chi2 = merged
        .iter()
        .zip(&counts)
        .map(|(b, &c)| (c as f64 - b.1 * n).powi(2) / (b.1 * n))
        .sum();
    (chi2, merged.len() - 1)
}

/// Asserts that `samples` follow the law with this `cdf` (chi-square at a
/// false-failure rate of about 1e-6).
pub(crate) fn assert_follows(samples: &[i128], cdf: impl Fn(i128) -> f64, what: &str) {
    let (chi2, df) = chi_square_integer(samples, cdf);
    if df == 0 {
        // A (numerically) degenerate law: one bin holds everything.
        return;
    }
    let critical = chi_square_critical_1e6(df);
    assert!(
        chi2 < critical,
        "{what}: chi2 = {chi2:.1} >= {critical:.1} (df = {df})"
    );
}

/// P(X ≤ v) for the discrete Laplace law P(x) ∝ e^(−|x|/t) (powers of
/// `r = e^(−1/t)` as `e^(−k/t)`, accurate also when `r` rounds to 1).
pub(crate) fn discrete_laplace_cdf(t: f64) -> impl Fn(i128) -> f64 {
    let r = (-1.0 / t).exp();
    let pow = move |k: f64| (-k / t).exp();
    move |v| {
        if v >= 0 {
            1.0 - pow(v as f64 + 1.0) / (1.0 + r)
        } else {
            pow(-(v as f64)) / (1.0 + r)
        }
    }
}

/// P(X ≤ v) for X = round(W), W continuous Laplace of scale t.
pub(crate) fn rounded_laplace_cdf(t: f64) -> impl Fn(i128) -> f64 {
    let s = (-0.5 / t).exp();
    let pow = move |k: f64| (-k / t).exp();
    move |v| {
        if v >= 0 {
            1.0 - s / 2.0 * pow(v as f64)
        } else {
            s / 2.0 * pow(-(v as f64) - 1.0)
        }
    }
}

/// P(X ≤ v) for the discrete Gaussian P(x) ∝ e^(−x²/(2σ²)): summed exactly
/// for σ < 200, else the midpoint rule Φ((v + ½)/σ) (error < 1e-7).
pub(crate) fn discrete_gaussian_cdf(sigma: f64) -> impl Fn(i128) -> f64 {
    let table: Option<(i128, Vec<f64>)> = (sigma < 200.0).then(|| {
        let m = (sigma * 40.0).ceil() as i128 + 2;
        let w: Vec<f64> = (-m..=m)
            .map(|x| (-((x * x) as f64) / (2.0 * sigma * sigma)).exp())
            .collect();
        let z: f64 = w.iter().sum();
        let mut acc = 0.0;
        let cdf = w
            .iter()
            .map(|p| {
                acc += p / z;
                acc
            })
            .collect();
        (m, cdf)
    });
    move |v| match &table {
        Some((m, cdf)) => {
            if v < -m {
                0.0
            } else if v >= *m {
                1.0
            } else {
                cdf[(v + m) as usize]
            }
        }
        None => 0.5 * libm::erfc(-((v as f64 + 0.5) / sigma) / std::f64::consts::SQRT_2),
    }
}
