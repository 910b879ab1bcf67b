//! Numbers for people: 95 % intervals of the noise, thousands separators,
//! dates of the next budget period.

use ilsprivacy::aggregate::{NoiseKind, NoiseScale};

/// The half-width k of the interval holding the noise with probability at
/// least 1 − `tail` (`tail` = 0.05 for 95 %, 0.025 for 97.5 %; other
/// values are not supported for Gaussian noise and read as 0.05): the
/// smallest integer with P(|Z| > k) ≤ `tail`.
///
/// - Discrete Laplace of scale t (P(z) ∝ e^(−|z|/t)): exactly
///   P(|Z| > k) = 2r^(k+1)/(1 + r), r = e^(−1/t).
/// - Discrete Gaussian of scale σ: its tail is at most the continuous
///   Gaussian's (the normaliser Σ e^(−z²/2σ²) is at least √(2π)σ, and the
///   sum over z > k is at most the integral from k), so k = ⌈zσ⌉ holds with
///   z = 1.959964 (95 %) or 2.241403 (97.5 %).
pub fn half_width(noise: &NoiseScale, tail: f64) -> i64 {
    let t = noise.scale;
    if !(t.is_finite() && t > 0.0) {
        return 0;
    }
    match noise.kind {
        NoiseKind::DiscreteGaussian => {
            let z = if tail == 0.025 { 2.241_403 } else { 1.959_964 };
            (z * t).ceil() as i64
        }
        _ => {
            let r = (-1.0 / t).exp();
            let p = |k: f64| 2.0 * (-(k + 1.0) / t).exp() / (1.0 + r);
            let mut k = (t * (2.0 / (tail * (1.0 + r))).ln()).ceil() - 1.0;
            k = k.max(0.0);
            // Float safety: step to the smallest k that holds.
            while k > 0.0 && p(k - 1.0) <= tail {
                k -= 1.0;
            }
            while p(k) > tail {
                k += 1.0;
            }
            k.min(i64::MAX as f64) as i64
        }
    }
}

/// `n` with thousands separators.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed `n` with thousands separators.
pub fn thousands_i(n: i64) -> String {
    if n < 0 {
        format!("-{}", thousands(n.unsigned_abs()))
    } else {
        thousands(n.unsigned_abs())
    }
}

/// A share as a percentage with up to two decimals (`1%`, `0.25%`).
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    let text = format!("{p:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// Today's (year, month, day) in UTC.
pub fn today_utc() -> (i64, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    civil_from_days(secs.div_euclid(86_400))
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// (year, month, day) of day `z` since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laplace(t: f64) -> NoiseScale {
        NoiseScale {
            kind: NoiseKind::DiscreteLaplace,
            sensitivity: 1.0,
            scale: t,
        }
    }

    /// The Laplace half-width against the exact tail summed term by term.
    #[test]
    fn laplace_half_widths_are_the_exact_95_percent_points() {
        for t in [0.1, 0.5, 1.0, 2.0, 3.3, 10.0, 66.7, 333.3] {
            let k = half_width(&laplace(t), 0.05);
            let r = (-1.0f64 / t).exp();
            let norm = (1.0 + r) / (1.0 - r);
            let inside = |k: i64| (-k..=k).map(|z| r.powi(z.abs() as i32)).sum::<f64>() / norm;
            assert!(inside(k) >= 0.95, "t {t}: k {k} covers {}", inside(k));
            if k > 0 {
                assert!(inside(k - 1) < 0.95, "t {t}: k {k} is not the smallest");
            }
        }
        assert_eq!(half_width(&laplace(1.0), 0.05), 3);
        assert_eq!(half_width(&laplace(1.0), 0.025), 4);
        // Large scales: about t·ln 20.
        let k = half_width(&laplace(1e6), 0.05);
        assert!((k as f64 / 1e6 - 20f64.ln()).abs() < 1e-5, "{k}");
    }

    #[test]
    fn gaussian_half_widths_cover_95_percent() {
        for sigma in [0.5, 1.0, 2.5, 10.0, 40.0] {
            let n = NoiseScale {
                kind: NoiseKind::DiscreteGaussian,
                sensitivity: 1.0,
                scale: sigma,
            };
            let k = half_width(&n, 0.05);
            let k2 = half_width(&n, 0.025);
            let w = |z: i64| (-(z as f64).powi(2) / (2.0 * sigma * sigma)).exp();
            let total: f64 = (-2000..=2000).map(w).sum();
            let inside: f64 = (-k..=k).map(w).sum();
            assert!(inside / total >= 0.95, "σ {sigma}: k {k}");
            let inside2: f64 = (-k2..=k2).map(w).sum();
            assert!(inside2 / total >= 0.975, "σ {sigma}: k {k2}");
        }
    }

    #[test]
    fn dates_and_numbers() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands_i(-1234), "-1,234");
        assert_eq!(percent(0.01), "1%");
        assert_eq!(percent(0.0125), "1.25%");
        assert_eq!(now_utc().len(), 20);
    }
}
