//! What one release costs, in the terms each composition rule needs.

use super::decimal::{Decimal, Rounding};
use crate::accountant::PrivacyEvent;
use crate::error::{Error, Result, describe_f64};

/// Relative margin applied to float-computed costs before rounding them up;
/// far above the rounding error of the formulas below (a few ulps, ~10⁻¹⁶).
const COST_MARGIN: f64 = 1.0 + 1.0 / (1u64 << 48) as f64;

/// The cost of one release, as charged to an account.
///
/// - `(ε, δ)`: charged by accounts with basic composition. Present for pure
///   and approximate DP releases.
/// - `ρ`: charged by accounts with zCDP composition. Present for Gaussian
///   releases (ρ = Δ₂²/(2σ²)), pure ε-DP releases (ρ = ε²/2, Bun–Steinke 2016
///   Prop. 1.4) and explicit zCDP releases.
///
/// Values given by the caller are read exactly as the decimals they print as
/// (see [`Decimal`]); values computed in floating point are rounded up. An
/// account refuses a charge that lacks the part its rule needs
/// (`Error::InvalidArgument`): a zCDP account cannot charge an (ε, δ)-only
/// release, a basic account cannot charge a ρ-only one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Charge {
    approx: Option<(Decimal, Decimal)>,
    rho: Option<Decimal>,
    event: Option<PrivacyEvent>,
}

fn spend_value(param: &'static str, x: f64) -> Result<Decimal> {
    if !(x.is_finite() && x > 0.0) {
        return Err(Error::invalid(
            param,
            format!("must be finite and > 0, got {}", describe_f64(x)),
        ));
    }
    Decimal::from_printed(x, Rounding::Up).ok_or_else(|| {
        Error::invalid(
            param,
            format!(
                "must be at most 1000000 for budget accounting, got {}",
                describe_f64(x)
            ),
        )
    })
}

fn delta_value(x: f64) -> Result<Decimal> {
    if !(x.is_finite() && (0.0..1.0).contains(&x)) {
        return Err(Error::invalid(
            "delta",
            format!("must be in [0, 1), got {}", describe_f64(x)),
        ));
    }
    Decimal::from_printed(x, Rounding::Up)
        .ok_or_else(|| Error::invalid("delta", format!("must be in [0, 1), got {x}")))
}

/// ρ = ε²/(2k) exactly, rounded up (k = 1 for pure DP, 4 for the exponential mechanism).
fn rho_of_pure(epsilon: Decimal, divisor: u64) -> Option<Decimal> {
    epsilon.square_div_up(divisor)
}

/// A cost computed in floating point, rounded up with a margin.
fn computed_cost(param: &'static str, x: f64) -> Result<Decimal> {
    Decimal::from_computed_up(x * COST_MARGIN).ok_or_else(|| {
        Error::invalid(
            param,
            format!(
                "is too large for budget accounting, got {}",
                describe_f64(x)
            ),
        )
    })
}

fn positive_param(param: &'static str, x: f64) -> Result<f64> {
    crate::error::check_positive(param, x)
}

impl Charge {
    /// An ε-DP release (δ = 0; ρ = ε²/2). ε must be finite, > 0 and ≤ 10⁶.
    pub fn pure_dp(epsilon: f64) -> Result<Charge> {
        let eps = spend_value("epsilon", epsilon)?;
        Ok(Charge {
            approx: Some((eps, Decimal::ZERO)),
            rho: rho_of_pure(eps, 2),
            event: None,
        })
    }

    /// An (ε, δ)-DP release. ε must be finite, > 0 and ≤ 10⁶; δ ∈ [0, 1).
    /// With δ = 0 this is [`Charge::pure_dp`]; otherwise it has no ρ (an
    /// (ε, δ) guarantee does not imply a zCDP one) unless an event supplies it
    /// ([`Charge::with_event`]).
    pub fn approximate_dp(epsilon: f64, delta: f64) -> Result<Charge> {
        let eps = spend_value("epsilon", epsilon)?;
        let delta = delta_value(delta)?;
        Ok(Charge {
            approx: Some((eps, delta)),
            rho: if delta.is_zero() {
                rho_of_pure(eps, 2)
            } else {
                None
            },
            event: None,
        })
    }

    /// A ρ-zCDP release. ρ must be finite, > 0 and ≤ 10⁶.
    pub fn zcdp(rho: f64) -> Result<Charge> {
        Ok(Charge {
            approx: None,
            rho: Some(spend_value("rho", rho)?),
            event: None,
        })
    }

    /// The cost a mechanism's event implies on its own:
    ///
    /// | event | (ε, δ) | ρ |
    /// |---|---|---|
    /// | Laplace, discrete Laplace (Δ₁, b) | (Δ₁/b ↑, 0) | ε²/2 |
    /// | Gaussian, discrete Gaussian (Δ₂, σ) | none | Δ₂²/(2σ²) ↑ |
    /// | randomized response, pure DP (ε) | (ε, 0) | ε²/2 |
    /// | exponential (ε) | (ε, 0) | ε²/8 (Cesar–Rogers 2021) |
    /// | approximate DP (ε, δ) | (ε, δ) | none |
    /// | zCDP (ρ) | none | ρ |
    ///
    /// ↑: computed in floating point and rounded up. A Gaussian's (ε, δ)
    /// depends on the ε at which it is read; charge it with
    /// `Charge::approximate_dp(ε, δ)?.with_event(event)` to a basic account.
    pub fn from_event(event: &PrivacyEvent) -> Result<Charge> {
        let charge = match *event {
            PrivacyEvent::Laplace {
                l1_sensitivity,
                scale,
            }
            | PrivacyEvent::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => {
                let d = positive_param("l1_sensitivity", l1_sensitivity)?;
                let b = positive_param("scale", scale)?;
                let eps = computed_cost("epsilon", d / b)?;
                Charge {
                    approx: Some((eps, Decimal::ZERO)),
                    rho: rho_of_pure(eps, 2),
                    event: None,
                }
            }
            PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            }
            | PrivacyEvent::DiscreteGaussian {
                l2_sensitivity,
                sigma,
            } => Charge {
                approx: None,
                rho: Some(gaussian_rho(l2_sensitivity, sigma)?),
                event: None,
            },
            PrivacyEvent::RandomizedResponse {
                epsilon,
                categories,
            } => {
                if categories < 2 {
                    return Err(Error::invalid(
                        "categories",
                        format!("must be at least 2, got {categories}"),
                    ));
                }
                Charge::pure_dp(epsilon)?
            }
            PrivacyEvent::PureDp { epsilon } => Charge::pure_dp(epsilon)?,
            PrivacyEvent::Exponential { epsilon } => {
                let eps = spend_value("epsilon", epsilon)?;
                Charge {
                    approx: Some((eps, Decimal::ZERO)),
                    rho: rho_of_pure(eps, 8),
                    event: None,
                }
            }
            PrivacyEvent::ApproximateDp { epsilon, delta } => {
                Charge::approximate_dp(epsilon, delta)?
            }
            PrivacyEvent::Zcdp { rho } => Charge::zcdp(rho)?,
        };
        Ok(Charge {
            event: Some(*event),
            ..charge
        })
    }

    /// Attaches the mechanism's event (written to the ledger with the spend)
    /// after checking that the charge covers the event's own cost
    /// ([`Charge::from_event`]), up to float rounding (relative 10⁻⁹):
    ///
    /// - with an (ε, δ): a pure or approximate DP event's ε and δ may not
    ///   exceed it; a Gaussian's own δ at the charged ε (the mechanism's
    ///   rigorous bound) may not exceed the charged δ; a zCDP event's CKS20
    ///   ε at the charged δ may not exceed the charged ε; a non-pure event
    ///   cannot be charged with δ = 0;
    /// - with only a ρ: the event's ρ may not exceed it.
    ///
    /// The charge's ρ becomes the smaller of its own and the event's (each is
    /// a valid zCDP bound of the release; a Gaussian's ρ is computed from its
    /// Δ and σ, rounded up).
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` when the event costs more than the charge or
    /// has invalid parameters.
    pub fn with_event(self, event: PrivacyEvent) -> Result<Charge> {
        const TOLERANCE: f64 = 1.0 + 1e-9;
        let within = |own: f64, charged: Decimal| own <= charged.to_f64_approx() * TOLERANCE;
        let too_costly = |what: String| {
            Err(Error::invalid(
                "event",
                format!("{what}, more than the charge ({})", self.describe()),
            ))
        };
        // The event's own cost: pure/approximate (ε, δ) in floating point, or
        // an exact ρ for zCDP-only events.
        let (own_approx, own_rho): (Option<(f64, f64)>, Option<Decimal>) = match event {
            PrivacyEvent::Laplace {
                l1_sensitivity,
                scale,
            }
            | PrivacyEvent::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => {
                let d = positive_param("l1_sensitivity", l1_sensitivity)?;
                let b = positive_param("scale", scale)?;
                (Some((d / b, 0.0)), None)
            }
            PrivacyEvent::RandomizedResponse {
                epsilon,
                categories,
            } => {
                if categories < 2 {
                    return Err(Error::invalid(
                        "categories",
                        format!("must be at least 2, got {categories}"),
                    ));
                }
                (Some((positive_param("epsilon", epsilon)?, 0.0)), None)
            }
            PrivacyEvent::PureDp { epsilon } => {
                (Some((positive_param("epsilon", epsilon)?, 0.0)), None)
            }
            PrivacyEvent::Exponential { epsilon } => {
                let eps = spend_value("epsilon", epsilon)?;
                (Some((epsilon, 0.0)), rho_of_pure(eps, 8))
            }
            PrivacyEvent::ApproximateDp { epsilon, delta } => {
                let c = Charge::approximate_dp(epsilon, delta)?;
                (c.approx.map(|_| (epsilon, delta)), c.rho)
            }
            PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            }
            | PrivacyEvent::DiscreteGaussian {
                l2_sensitivity,
                sigma,
            } => (None, Some(gaussian_rho(l2_sensitivity, sigma)?)),
            PrivacyEvent::Zcdp { rho } => (None, Some(spend_value("rho", rho)?)),
        };
        match (self.approx, own_approx) {
            (Some((e, d)), Some((own_e, own_d))) => {
                if !within(own_e, e) || !within(own_d, d) {
                    return too_costly(format!("costs (epsilon {own_e}, delta {own_d})"));
                }
            }
            (Some((_, d)), None) if d.is_zero() => {
                return Err(Error::invalid(
                    "event",
                    "is not pure DP, but the charge is (delta = 0)",
                ));
            }
            (Some((e, d)), None) => match event {
                PrivacyEvent::Zcdp { .. } => {
                    let own_e = own_rho.and_then(|r| super::zcdp::epsilon_for(r, d));
                    if own_e.is_none_or(|own_e| !within(own_e.to_f64_approx(), e)) {
                        return too_costly(format!(
                            "is worth more than epsilon {e} at delta {d} by the CKS20 bound"
                        ));
                    }
                }
                _ => check_gaussian_delta(&event, e, d)?,
            },
            (None, _) => {
                let own = if let Some(r) = own_rho {
                    Some(r.to_f64_approx())
                } else if let Some((own_e, own_d)) = own_approx
                    && own_d == 0.0
                {
                    Some(own_e * own_e / 2.0)
                } else {
                    None
                };
                match (own, self.rho) {
                    (Some(own), Some(r)) if within(own, r) => {}
                    _ => return too_costly("has a zCDP cost that is unknown or larger".into()),
                }
            }
        }
        // Written as plain branches on the discriminants, so that no float of
        // an absent tuple is ever read (valgrind flags such speculative reads).
        let mut rho = self.rho;
        if let Some(own) = own_rho {
            rho = Some(rho.map_or(own, |r| r.min(own)));
        } else if rho.is_none()
            && let Some((own_e, own_d)) = own_approx
            && own_d == 0.0
        {
            rho = computed_cost("epsilon", own_e)?.square_div_up(2);
        }
        Ok(Charge {
            approx: self.approx,
            rho,
            event: Some(event),
        })
    }

    fn describe(&self) -> String {
        match (self.approx, self.rho) {
            (Some((e, d)), _) => format!("epsilon {e}, delta {d}"),
            (None, Some(r)) => format!("rho {r}"),
            (None, None) => "nothing".into(),
        }
    }

    /// ε charged to basic accounts, if this release has an (ε, δ) guarantee.
    pub fn epsilon(&self) -> Option<Decimal> {
        self.approx.map(|(e, _)| e)
    }

    /// δ charged to basic accounts, if this release has an (ε, δ) guarantee.
    pub fn delta(&self) -> Option<Decimal> {
        self.approx.map(|(_, d)| d)
    }

    /// ρ charged to zCDP accounts, if this release has a zCDP guarantee.
    pub fn rho(&self) -> Option<Decimal> {
        self.rho
    }

    /// The mechanism's event, if one was attached.
    pub fn event(&self) -> Option<&PrivacyEvent> {
        self.event.as_ref()
    }
}

impl TryFrom<PrivacyEvent> for Charge {
    type Error = Error;

    fn try_from(event: PrivacyEvent) -> Result<Charge> {
        Charge::from_event(&event)
    }
}

/// For a Gaussian event charged as (ε, δ): checks that the mechanism's own
/// δ at the charged ε — the rigorous bound of
/// [`crate::mechanism::discrete_gaussian_delta`] for a discrete Gaussian,
/// Balle–Wang's exact δ for a continuous one — is at most the charged δ
/// (relative tolerance 10⁻⁹ for float reproducibility).
fn check_gaussian_delta(event: &PrivacyEvent, epsilon: Decimal, delta: Decimal) -> Result<()> {
    let eps = epsilon.to_f64_nearest();
    let own = match *event {
        PrivacyEvent::DiscreteGaussian {
            l2_sensitivity,
            sigma,
        } => crate::mechanism::discrete_gaussian_delta(eps, l2_sensitivity, sigma),
        PrivacyEvent::Gaussian {
            l2_sensitivity,
            sigma,
        } => crate::mechanism::analytic_gaussian_delta(eps, l2_sensitivity, sigma),
        _ => return Ok(()),
    };
    if own.is_nan() || own > delta.to_f64_up() * (1.0 + 1e-9) {
        return Err(Error::invalid(
            "event",
            format!(
                "has delta {own:e} at the charged epsilon {epsilon}, more than the charged delta {delta}"
            ),
        ));
    }
    Ok(())
}

/// ρ = Δ₂²/(2σ²) of a Gaussian, rounded up (never zero for Δ₂ > 0).
pub(crate) fn gaussian_rho(l2_sensitivity: f64, sigma: f64) -> Result<Decimal> {
    let d = positive_param("l2_sensitivity", l2_sensitivity)?;
    let s = positive_param("sigma", sigma)?;
    let ratio = d / s;
    // A ratio that underflows still costs at least one unit (see from_computed_up).
    computed_cost("rho", (ratio * ratio / 2.0).max(f64::MIN_POSITIVE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exact_constructors() {
        let c = Charge::pure_dp(0.1).unwrap();
        assert_eq!(c.epsilon(), Some(d("0.1")));
        assert_eq!(c.delta(), Some(Decimal::ZERO));
        assert_eq!(c.rho(), Some(d("0.005")));
        let c = Charge::approximate_dp(0.5, 1e-6).unwrap();
        assert_eq!(
            (c.epsilon(), c.delta(), c.rho()),
            (Some(d("0.5")), Some(d("0.000001")), None)
        );
        let c = Charge::approximate_dp(0.5, 0.0).unwrap();
        assert_eq!(c.rho(), Some(d("0.125")));
        let c = Charge::zcdp(0.02).unwrap();
        assert_eq!((c.epsilon(), c.rho()), (None, Some(d("0.02"))));
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let e = Charge::pure_dp(f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "epsilon must be finite and > 0, got NaN");
        let e = Charge::pure_dp(0.0).unwrap_err();
        assert_eq!(e.to_string(), "epsilon must be finite and > 0, got 0");
        let e = Charge::pure_dp(2e6).unwrap_err();
        assert!(e.to_string().contains("at most 1000000"), "{e}");
        let e = Charge::approximate_dp(1.0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "delta must be in [0, 1), got 1");
        let e = Charge::zcdp(-1.0).unwrap_err();
        assert_eq!(e.to_string(), "rho must be finite and > 0, got -1");
    }

    #[test]
    fn events_imply_costs_rounded_up() {
        let c = Charge::from_event(&PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        })
        .unwrap();
        let eps = c.epsilon().unwrap();
        assert!(eps >= d("0.1") && eps < d("0.1000000000001"), "{eps:?}");
        let c = Charge::from_event(&PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 10.0,
        })
        .unwrap();
        let rho = c.rho().unwrap();
        assert!(rho >= d("0.005") && rho < d("0.0050000000001"), "{rho:?}");
        assert_eq!(c.epsilon(), None);
        let c = Charge::from_event(&PrivacyEvent::Exponential { epsilon: 1.0 }).unwrap();
        assert_eq!(c.rho(), Some(d("0.125")));
        let c = Charge::from_event(&PrivacyEvent::Gaussian {
            l2_sensitivity: 1e-200,
            sigma: 1e200,
        })
        .unwrap();
        assert_eq!(
            c.rho(),
            Some(Decimal::UNIT),
            "an underflowing cost is never free"
        );
        assert!(
            Charge::from_event(&PrivacyEvent::Gaussian {
                l2_sensitivity: 1.0,
                sigma: f64::NAN
            })
            .is_err()
        );
        assert!(
            Charge::from_event(&PrivacyEvent::RandomizedResponse {
                epsilon: 1.0,
                categories: 1
            })
            .is_err()
        );
    }

    #[test]
    fn attached_events_must_be_covered() {
        let lap = PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        };
        let c = Charge::pure_dp(0.1).unwrap().with_event(lap).unwrap();
        assert_eq!(c.epsilon(), Some(d("0.1")), "the caller's exact ε is kept");
        assert_eq!(c.event(), Some(&lap));
        let e = Charge::pure_dp(0.05).unwrap().with_event(lap).unwrap_err();
        assert!(e.to_string().contains("more than the charge"), "{e}");
        // σ = 5: Balle–Wang δ(ε = 1) = 1.75e-8 ≤ 1e-6, ρ = 1/50.
        let gauss = PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 5.0,
        };
        let c = Charge::approximate_dp(1.0, 1e-6)
            .unwrap()
            .with_event(gauss)
            .unwrap();
        let rho = c.rho().unwrap();
        assert!(rho >= d("0.02") && rho < d("0.0200000000001"), "{rho:?}");
        assert!(Charge::pure_dp(1.0).unwrap().with_event(gauss).is_err());
        // σ = 4 has δ(1) = 2.9e-6: charging it as (1, 1e-6) would under-count.
        let loose = PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 4.0,
        };
        let e = Charge::approximate_dp(1.0, 1e-6)
            .unwrap()
            .with_event(loose)
            .unwrap_err();
        assert!(e.to_string().contains("more than the charged delta"), "{e}");
        assert!(
            Charge::approximate_dp(1.0, 3e-6)
                .unwrap()
                .with_event(loose)
                .is_ok()
        );
        // zCDP charges: the event's ρ must be covered.
        assert!(
            Charge::zcdp(0.005).unwrap().with_event(lap).is_ok(),
            "ε²/2 = 0.005"
        );
        assert!(Charge::zcdp(0.004).unwrap().with_event(lap).is_err());
        let approx = PrivacyEvent::ApproximateDp {
            epsilon: 0.1,
            delta: 1e-9,
        };
        assert!(Charge::zcdp(1.0).unwrap().with_event(approx).is_err());
        // A zCDP event charged as (ε, δ) is checked with the CKS20 bound:
        // ρ = 0.01 is worth ε = 0.6217 at δ = 1e-6.
        let z = PrivacyEvent::Zcdp { rho: 0.01 };
        assert!(
            Charge::approximate_dp(0.63, 1e-6)
                .unwrap()
                .with_event(z)
                .is_ok()
        );
        assert!(
            Charge::approximate_dp(0.6, 1e-6)
                .unwrap()
                .with_event(z)
                .is_err()
        );
        // A pure event charged as (ε, δ > 0) still gets a ρ.
        let c = Charge::approximate_dp(0.1, 1e-9)
            .unwrap()
            .with_event(lap)
            .unwrap();
        assert!(c.rho().unwrap() >= d("0.005"));
    }
}
