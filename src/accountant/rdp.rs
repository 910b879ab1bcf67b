//! Rényi differential privacy (Mironov 2017) over a fixed grid of orders.

use super::zcdp::{
    check_delta, check_epsilon, minimise_over_orders, order_epsilon, order_ln_delta, tv_covers,
};
use crate::error::{Error, Result};
use crate::rounding::{add_up, count_up, inflate, mul_up};

const RDP_ORDER_COUNT: usize = 156;

/// The Rényi orders α at which curves are tracked: 1.1, 1.2, …, 10.9, then
/// 11, 12, …, 63, then 128, 256, 512, 1024 — the default grid of Google's
/// dp_accounting `RdpAccountant`, so results are directly comparable.
pub static RDP_ORDERS: [f64; RDP_ORDER_COUNT] = rdp_orders();

const fn rdp_orders() -> [f64; RDP_ORDER_COUNT] {
    let mut out = [0.0; RDP_ORDER_COUNT];
    let mut i = 0;
    while i < 99 {
        out[i] = 1.0 + (i as f64 + 1.0) / 10.0;
        i += 1;
    }
    while i < 152 {
        out[i] = (i - 99 + 11) as f64;
        i += 1;
    }
    out[152] = 128.0;
    out[153] = 256.0;
    out[154] = 512.0;
    out[155] = 1024.0;
    out
}

/// An RDP curve: for every order α of [`RDP_ORDERS`], an upper bound ε(α)
/// on D_α(M(x) ‖ M(x')) over neighbouring inputs (Mironov, "Rényi
/// Differential Privacy", CSF 2017), plus a δ carried outside the curve for
/// releases that are only (ε, δ)-DP (`extra_delta`, see
/// [`RdpCurve::from_approximate_dp`]).
///
/// Composition adds curves pointwise (Mironov 2017, Prop. 1); conversion to
/// (ε, δ) uses the improved bound of Canonne, Kamath & Steinke 2020
/// (Prop. 12), also Balle et al. 2020 (Thm. 21) and Asoodeh et al. 2020:
///
/// ε = min_α ε(α) + ln(1 − 1/α) − (ln δ + ln α)/(α − 1),
///
/// and ε = 0 whenever δ ≥ √(1 − e^{−ε(α)}) for some α (KL ≤ ε(α),
/// Bretagnolle–Huber), exactly as dp_accounting does.
#[derive(Clone, Debug, PartialEq)]
pub struct RdpCurve {
    epsilons: Box<[f64; RDP_ORDER_COUNT]>,
    extra_delta: f64,
}

impl Default for RdpCurve {
    fn default() -> Self {
        RdpCurve::zero()
    }
}

impl RdpCurve {
    /// The curve of no release: ε(α) = 0.
    pub fn zero() -> RdpCurve {
        RdpCurve {
            epsilons: Box::new([0.0; RDP_ORDER_COUNT]),
            extra_delta: 0.0,
        }
    }

    /// A curve from ε(α) values, one per order of [`RDP_ORDERS`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilons` if the length is wrong or
    /// a value is negative or NaN (+∞ is allowed: no bound at that order).
    pub fn from_epsilons(epsilons: &[f64]) -> Result<RdpCurve> {
        let arr: [f64; RDP_ORDER_COUNT] = epsilons.try_into().map_err(|_| {
            Error::invalid(
                "epsilons",
                format!("must have {RDP_ORDER_COUNT} values, got {}", epsilons.len()),
            )
        })?;
        if arr.iter().any(|e| e.is_nan() || *e < 0.0) {
            return Err(Error::invalid("epsilons", "must all be >= 0 (not NaN)"));
        }
        Ok(RdpCurve {
            epsilons: Box::new(arr),
            extra_delta: 0.0,
        })
    }

    /// ε(α) = f(α) at every order, each value rounded up.
    pub(crate) fn from_fn(f: impl Fn(f64) -> f64) -> RdpCurve {
        let mut epsilons = Box::new([0.0; RDP_ORDER_COUNT]);
        for (e, &a) in epsilons.iter_mut().zip(RDP_ORDERS.iter()) {
            *e = inflate(f(a)).max(0.0);
        }
        RdpCurve {
            epsilons,
            extra_delta: 0.0,
        }
    }

    /// The curve of a ρ-zCDP release: ε(α) = ρα (rounded up).
    pub fn from_zcdp(rho: f64) -> RdpCurve {
        let mut epsilons = Box::new([0.0; RDP_ORDER_COUNT]);
        for (e, &a) in epsilons.iter_mut().zip(RDP_ORDERS.iter()) {
            *e = mul_up(rho, a);
        }
        RdpCurve {
            epsilons,
            extra_delta: 0.0,
        }
    }

    /// The tight curve of the Laplace mechanism with ε = Δ/b (Mironov 2017,
    /// Prop. 6): ε(α) = ln[ α/(2α−1)·e^{(α−1)ε} + (α−1)/(2α−1)·e^{−αε} ]/(α−1),
    /// evaluated as ε + ln(1 + (α−1)/(2α−1)·(e^{−(2α−1)ε} − 1))/(α−1).
    pub fn from_laplace(epsilon: f64) -> RdpCurve {
        RdpCurve::from_fn(|a| laplace_rdp(epsilon, a))
    }

    /// An (ε, δ)-DP release: the curve of ε-randomized response, with δ
    /// carried in [`RdpCurve::extra_delta`]. Valid because the (ε, δ)
    /// randomized response dominates every (ε, δ)-DP pair and is, with
    /// probability 1 − δ, ε-randomized response (Kairouz, Oh, Viswanath 2015);
    /// after composition the failure events have total probability
    /// 1 − Π(1 − δᵢ) ≤ Σ δᵢ (as dp_accounting's RdpAccountant does).
    pub fn from_approximate_dp(epsilon: f64, delta: f64) -> RdpCurve {
        let rr = super::atoms::Atoms::randomized_response(epsilon, 0.0);
        let mut c = RdpCurve::from_fn(|a| rr.renyi_upper(a).min(epsilon));
        c.extra_delta = delta;
        c
    }

    /// ε(α) for each order of [`RDP_ORDERS`].
    pub fn epsilons(&self) -> &[f64] {
        &self.epsilons[..]
    }

    /// The δ carried outside the curve (0 unless (ε, δ)-DP releases were composed).
    pub fn extra_delta(&self) -> f64 {
        self.extra_delta
    }

    /// Pointwise sum (composition), rounded up.
    pub fn compose(&self, other: &RdpCurve) -> RdpCurve {
        let mut epsilons = self.epsilons.clone();
        for (e, o) in epsilons.iter_mut().zip(other.epsilons.iter()) {
            *e = add_up(*e, *o);
        }
        RdpCurve {
            epsilons,
            extra_delta: add_up(self.extra_delta, other.extra_delta).min(1.0),
        }
    }

    /// `count` compositions of this curve, rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `count` if it is 0.
    pub fn repeat(&self, count: u64) -> Result<RdpCurve> {
        if count == 0 {
            return Err(Error::invalid("count", "must be >= 1, got 0"));
        }
        let c = count_up(count);
        let mut epsilons = self.epsilons.clone();
        for e in epsilons.iter_mut() {
            *e = mul_up(*e, c);
        }
        // 1 − (1 − δ)^c, rounded up, and at most c·δ.
        let extra = if self.extra_delta > 0.0 {
            inflate(-(c * (-self.extra_delta).ln_1p()).exp_m1())
                .min(mul_up(self.extra_delta, c))
                .min(1.0)
        } else {
            0.0
        };
        Ok(RdpCurve {
            epsilons,
            extra_delta: extra,
        })
    }

    /// The smallest ε such that the composition is (ε, δ)-DP by the
    /// conversion above, rounded up; +∞ if `delta` ≤ the extra δ.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` unless 0 < δ < 1.
    pub fn epsilon(&self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        if self.extra_delta >= delta {
            return Ok(f64::INFINITY);
        }
        let d = crate::rounding::deflate(delta - self.extra_delta);
        if d <= 0.0 {
            return Ok(f64::INFINITY);
        }
        let ln_d = d.ln();
        let mut best = f64::INFINITY;
        for (&a, &r) in RDP_ORDERS.iter().zip(self.epsilons.iter()) {
            if r.is_infinite() {
                continue;
            }
            // KL ≤ D_α for α > 1: δ ≥ √(1 − e^{−r}) ⇒ ε = 0.
            if tv_covers(r, d) {
                return Ok(0.0);
            }
            best = best.min(order_epsilon(r, ln_d, a));
        }
        if best.is_infinite() {
            return Ok(best);
        }
        Ok(inflate(best.max(0.0)).max(0.0))
    }

    /// The smallest δ such that the composition is (ε, δ)-DP by the
    /// conversion above (δ = min_α exp((α−1)(ε(α) − ε + ln(1−1/α)) − ln α),
    /// or √(1 − e^{−ε(α)})), plus the extra δ; rounded up, at most 1.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` if it is negative or not finite.
    pub fn delta(&self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        let mut best_ln = f64::INFINITY;
        for (&a, &r) in RDP_ORDERS.iter().zip(self.epsilons.iter()) {
            if r.is_infinite() {
                continue;
            }
            let kl = 0.5 * (-(-r).exp_m1()).ln();
            best_ln = best_ln.min(kl + 1e-15).min(order_ln_delta(r, epsilon, a));
        }
        let best = if best_ln == f64::INFINITY {
            1.0
        } else if best_ln == f64::NEG_INFINITY {
            0.0
        } else {
            inflate(best_ln.exp())
        };
        Ok(add_up(best, self.extra_delta).min(1.0))
    }
}

/// The Laplace mechanism's RDP at order α > 1 for ε = Δ/b (Mironov 2017,
/// Prop. 6), plus a bound on its float error: the two terms nearly cancel
/// (their sum is about αε²/2 for small ε), each carries an absolute error of
/// a few ulps of ε, and 32 ulps of ε are added. Never above ε or αε²/2
/// (pure ε-DP implies both bounds; Bun & Steinke 2016, Prop. 3.3).
pub(crate) fn laplace_rdp(epsilon: f64, alpha: f64) -> f64 {
    let a1 = alpha - 1.0;
    let tight = epsilon
        + (a1 * (epsilon * (1.0 - 2.0 * alpha)).exp_m1() / (2.0 * alpha - 1.0)).ln_1p() / a1;
    let tight = tight + 32.0 * f64::EPSILON * epsilon;
    tight
        .min(mul_up(mul_up(alpha, epsilon), epsilon) * 0.5 * (1.0 + 4.0 * f64::EPSILON))
        .min(epsilon)
}

/// The smallest ε such that a release whose Rényi divergence of every order
/// α > 1 is at most `renyi(α)` is (ε, `delta`)-DP, by the conversion of
/// [`RdpCurve`] minimised over every order (not only [`RDP_ORDERS`]): a grid
/// on ln(α − 1) refined by golden-section search. Any order gives a valid
/// bound, so the search affects tightness only; the result is rounded up.
///
/// For k releases the best order approaches 1 as k grows (α − 1 ~ 1/√k),
/// where a fixed grid of orders is far from optimal: this is what keeps
/// the bound tight (ε ≈ k·KL + √(2k·Var·ln(1/δ))) for counts up to 2⁶⁴ − 1,
/// in constant time.
pub(crate) fn epsilon_any_order(renyi: impl Fn(f64) -> f64, delta: f64) -> f64 {
    let ln_delta = delta.ln();
    let (_, best) = minimise_over_orders(|a| order_epsilon(renyi(a), ln_delta, a));
    if best.is_nan() {
        return f64::INFINITY;
    }
    inflate(best.max(0.0)).max(0.0)
}

/// The order α at which [`epsilon_any_order`] finds its minimum (a
/// heuristic choice, e.g. for the tilt of a PLD composition: any order is valid).
pub(crate) fn best_order_for_delta(renyi: impl Fn(f64) -> f64, delta: f64) -> f64 {
    let ln_delta = delta.ln();
    minimise_over_orders(|a| order_epsilon(renyi(a), ln_delta, a)).0
}

/// The order α at which [`delta_any_order`] finds its minimum.
pub(crate) fn best_order_for_epsilon(renyi: impl Fn(f64) -> f64, epsilon: f64) -> f64 {
    minimise_over_orders(|a| order_ln_delta(renyi(a), epsilon, a)).0
}

/// The smallest δ (rounded up, at most 1) at `epsilon` by the same
/// conversion minimised over every order (see [`epsilon_any_order`]).
pub(crate) fn delta_any_order(renyi: impl Fn(f64) -> f64, epsilon: f64) -> f64 {
    let (_, best_ln) = minimise_over_orders(|a| order_ln_delta(renyi(a), epsilon, a));
    if best_ln.is_nan() || best_ln >= 0.0 {
        return 1.0;
    }
    inflate(best_ln.exp()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_match_dp_accounting_defaults() {
        assert_eq!(RDP_ORDERS[0], 1.1);
        assert_eq!(RDP_ORDERS[98], 10.9);
        assert_eq!(RDP_ORDERS[99], 11.0);
        assert_eq!(RDP_ORDERS[151], 63.0);
        assert_eq!(RDP_ORDERS[155], 1024.0);
        assert!(RDP_ORDERS.windows(2).all(|w| w[0] < w[1]));
    }

    /// dp_accounting 0.6.0 `rdp_privacy_accountant._laplace_rdp(eps, order)` for
    /// orders 1.5, 2, 10, 63, 1024 (benches/peers/accounting_reference.py).
    #[test]
    fn laplace_curve_matches_dp_accounting() {
        let refs: [(f64, [f64; 5]); 3] = [
            (
                0.1,
                [
                    0.00724748538932854,
                    0.00964420784034467,
                    0.04271518246568693,
                    0.08894878478358796,
                    0.09932291419348795,
                ],
            ),
            (
                1.0,
                [
                    0.5128835112945086,
                    0.6191236299985929,
                    0.9286829020966803,
                    0.9889487256304714,
                    0.999322914193488,
                ],
            ),
            (
                5.0,
                [
                    4.424666121487265,
                    4.594535044842984,
                    4.9286829015364,
                    4.988948725630472,
                    4.999322914193488,
                ],
            ),
        ];
        for (eps, vals) in refs {
            let c = RdpCurve::from_laplace(eps);
            for (alpha, want) in [1.5, 2.0, 10.0, 63.0, 1024.0].into_iter().zip(vals) {
                let i = RDP_ORDERS.iter().position(|&a| a == alpha).unwrap();
                let got = c.epsilons()[i];
                assert!(got >= want, "eps={eps} alpha={alpha}: {got} < {want}");
                assert!(
                    got <= want * (1.0 + 1e-8),
                    "eps={eps} alpha={alpha}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn laplace_curve_is_between_zcdp_and_pure_bounds() {
        for eps in [0.01, 0.3, 2.0] {
            let c = RdpCurve::from_laplace(eps);
            for (&a, &r) in RDP_ORDERS.iter().zip(c.epsilons()) {
                assert!(r <= eps * (1.0 + 1e-8) + 1e-15);
                assert!(r <= a * eps * eps / 2.0 * (1.0 + 1e-8) + 1e-15);
                assert!(r > 0.0);
            }
        }
    }

    #[test]
    fn conversion_round_trips_and_composes() {
        let c = RdpCurve::from_zcdp(0.05).repeat(10).unwrap();
        let e = c.epsilon(1e-6).unwrap();
        let d = c.delta(e).unwrap();
        assert!(d <= 1e-6 * (1.0 + 1e-6), "{d}");
        // Composition is additive.
        let twice = c.compose(&c);
        assert_eq!(
            twice.epsilons()[10],
            mul_up(c.epsilons()[10], 2.0).max(twice.epsilons()[10])
        );
        assert!(twice.epsilon(1e-6).unwrap() > e);
        // Extra δ: infeasible below it.
        let a = RdpCurve::from_approximate_dp(0.5, 1e-4).repeat(3).unwrap();
        let exact = 1.0 - (1.0f64 - 1e-4).powi(3);
        assert!(a.extra_delta() >= exact && a.extra_delta() <= 3e-4);
        assert_eq!(a.epsilon(1e-4).unwrap(), f64::INFINITY);
        assert!(a.epsilon(1e-3).unwrap().is_finite());
        assert!(a.delta(100.0).unwrap() >= a.extra_delta());
    }

    #[test]
    fn bad_input() {
        assert!(RdpCurve::from_epsilons(&[1.0]).is_err());
        let mut v = [0.1; RDP_ORDER_COUNT];
        v[3] = f64::NAN;
        assert!(RdpCurve::from_epsilons(&v).is_err());
        v[3] = f64::INFINITY;
        let c = RdpCurve::from_epsilons(&v).unwrap();
        assert!(c.epsilon(1e-5).unwrap().is_finite());
        assert!(c.epsilon(0.0).is_err());
        assert!(c.delta(f64::NAN).is_err());
        assert!(RdpCurve::zero().repeat(0).is_err());
        assert_eq!(RdpCurve::zero().epsilon(1e-9).unwrap(), 0.0);
        assert_eq!(RdpCurve::zero().delta(0.0).unwrap(), 0.0);
    }
}
