//! What one release costs, in the terms each composition rule needs.

use std::cmp::Ordering;

use super::decimal::{Decimal, Rounding};
use super::exact::{Dyadic, TEN_POW_30};
use crate::accountant::{DiscreteGaussianProfile, PrivacyEvent};
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

/// Checks a randomized response's number of categories, `k ≥ 2`.
fn check_categories(categories: u64) -> Result<()> {
    if categories < 2 {
        return Err(Error::invalid(
            "categories",
            format!("must be at least 2, got {categories}"),
        ));
    }
    Ok(())
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
        if let Some(equivalent) = event.budget_equivalent() {
            event.validate()?;
            return Ok(Charge {
                event: Some(*event),
                ..Charge::from_event(&equivalent)?
            });
        }
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
                ..
            } => Charge {
                approx: None,
                rho: Some(gaussian_rho(l2_sensitivity, sigma)?),
                event: None,
            },
            PrivacyEvent::RandomizedResponse {
                epsilon,
                categories,
            } => {
                check_categories(categories)?;
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
            _ => return Err(Error::Internal("an event without a cost".into())),
        };
        Ok(Charge {
            event: Some(*event),
            ..charge
        })
    }

    /// Attaches the mechanism's event (written to the ledger with the spend)
    /// after checking, without any tolerance, that the charge covers the
    /// event's own cost ([`Charge::from_event`]):
    ///
    /// - with an (ε, δ): a Laplace or discrete Laplace event's exact `Δ/b`,
    ///   and the ε and δ of a pure or approximate DP event (read as the
    ///   decimals they print as), may not exceed it; a Gaussian's own δ at
    ///   the charged ε (the mechanism's rigorous bound, evaluated at the
    ///   largest double not above the charged ε) may not exceed the charged
    ///   δ; a zCDP event's CKS20 ε at the charged δ (rounded up) may not
    ///   exceed the charged ε; a non-pure event cannot be charged with δ = 0;
    /// - with only a ρ: the event's ρ — exactly `Δ²/(2b²)` or `Δ²/(2σ²)` for
    ///   Laplace and Gaussian events, ε²/2 (ε²/8 for the exponential
    ///   mechanism) for pure ones — may not exceed it.
    ///
    /// Every comparison is exact (costs derived from an event's floats are
    /// compared with the decimal charge by integer cross-multiplication), so
    /// an event that costs more than the charge by any amount is refused. The
    /// crate's mechanisms calibrate to the decimal a budget charges for
    /// their ε and δ, so their events always pass.
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
        event.validate()?;
        let charged_as = event.budget_equivalent().unwrap_or(event);
        let own = OwnCost::of(&charged_as)?;
        match self.approx {
            Some((e, d)) => self.check_epsilon_delta(&own, &charged_as, e, d)?,
            None => self.check_rho(&own)?,
        }
        // Written as plain branches on the discriminants, so that no float of
        // an absent value is ever read (valgrind flags such speculative reads).
        let mut rho = self.rho;
        if let Some(own) = own.rho {
            rho = Some(rho.map_or(own, |r| r.min(own)));
        } else if rho.is_none()
            && let Some(own_e) = own.pure_epsilon
        {
            rho = computed_cost("epsilon", own_e)?.square_div_up(2);
        }
        Ok(Charge {
            approx: self.approx,
            rho,
            event: Some(event),
        })
    }

    /// The (ε, δ) part of [`Charge::with_event`]'s check.
    fn check_epsilon_delta(
        &self,
        own: &OwnCost,
        event: &PrivacyEvent,
        epsilon: Decimal,
        delta: Decimal,
    ) -> Result<()> {
        let covered = match own.exact {
            Exact::Ratio { num, den } => ratio_within(num, den, epsilon),
            Exact::Given {
                epsilon: own_e,
                delta: own_d,
                ..
            } => own_e <= epsilon && own_d <= delta,
            Exact::Gaussian { .. } | Exact::Zcdp { .. } if delta.is_zero() => {
                return Err(Error::invalid(
                    "event",
                    "is not pure DP, but the charge is (delta = 0)",
                ));
            }
            Exact::Gaussian { .. } => return check_gaussian_delta(event, epsilon, delta),
            Exact::Zcdp { rho } => {
                if super::zcdp::epsilon_for(rho, delta).is_none_or(|own_e| own_e > epsilon) {
                    return Err(self.too_costly(format!(
                        "is worth more than epsilon {epsilon} at delta {delta} by the CKS20 bound"
                    )));
                }
                true
            }
        };
        if covered {
            Ok(())
        } else {
            Err(self.too_costly(own.describe()))
        }
    }

    /// The ρ-only part of [`Charge::with_event`]'s check.
    fn check_rho(&self, own: &OwnCost) -> Result<()> {
        let covered = self.rho.is_some_and(|r| match own.exact {
            // ε²/2 = Δ²/(2b²) and Δ²/(2σ²): Δ²·10^30 ≤ 2·r·b².
            Exact::Ratio { num, den }
            | Exact::Gaussian {
                l2_sensitivity: num,
                sigma: den,
            } => squared_ratio_within(num, den, r),
            Exact::Given { rho, .. } => rho.is_some_and(|own| own <= r),
            Exact::Zcdp { rho } => rho <= r,
        });
        if covered {
            Ok(())
        } else {
            Err(self.too_costly("has a zCDP cost that is unknown or larger".into()))
        }
    }

    fn too_costly(&self, what: String) -> Error {
        Error::invalid(
            "event",
            format!("{what}, more than the charge ({})", self.describe()),
        )
    }

    fn describe(&self) -> String {
        match (self.approx, self.rho) {
            (Some((e, d)), _) => format!("epsilon {e}, delta {d}"),
            (None, Some(r)) => format!("rho {r}"),
            (None, None) => "nothing".into(),
        }
    }

    /// The cost of several releases made together, as one charge:
    ///
    /// - ε and δ add exactly, if every part has an (ε, δ) cost: releases
    ///   that are (εᵢ, δᵢ)-DP (each given the earlier ones' outputs) are
    ///   (Σεᵢ, Σδᵢ)-DP together (basic composition; Dwork, Kenthapadi,
    ///   McSherry, Mironov, Naor 2006);
    /// - ρ adds, if every part has a ρ: ρᵢ-zCDP releases are (Σρᵢ)-zCDP
    ///   together (Bun, Steinke 2016, Lemma 2.3).
    ///
    /// A single part is returned unchanged (with its event); several parts
    /// get no event (the ledger records the composed cost only).
    ///
    /// ```
    /// use ilsprivacy::budget::Charge;
    /// let both = Charge::compose(&[Charge::pure_dp(0.1)?, Charge::approximate_dp(0.2, 1e-7)?])?;
    /// assert_eq!(both.epsilon().unwrap().to_string(), "0.3");
    /// assert_eq!(both.delta().unwrap().to_string(), "0.0000001");
    /// assert!(both.rho().is_none()); // an (epsilon, delta > 0) part has no rho
    /// # Ok::<(), ilsprivacy::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` (`charges`) if the list is empty, if no part
    /// of the cost is common to all (one part has only an (ε, δ) with δ > 0,
    /// another only a ρ), if the δ sum reaches 1, or if a sum is too large
    /// to represent.
    pub fn compose(parts: &[Charge]) -> Result<Charge> {
        match parts {
            [] => return Err(Error::invalid("charges", "must not be empty")),
            [one] => return Ok(*one),
            _ => {}
        }
        let too_large = || Error::invalid("charges", "add up to more than can be represented");
        let mut approx = Some((Decimal::ZERO, Decimal::ZERO));
        let mut rho = Some(Decimal::ZERO);
        for part in parts {
            approx = match (approx, part.approx) {
                (Some((e, d)), Some((pe, pd))) => Some((
                    e.checked_add(pe).ok_or_else(too_large)?,
                    d.checked_add(pd).ok_or_else(too_large)?,
                )),
                _ => None,
            };
            rho = match (rho, part.rho) {
                (Some(r), Some(pr)) => Some(r.checked_add(pr).ok_or_else(too_large)?),
                _ => None,
            };
        }
        if let Some((_, d)) = approx
            && d >= Decimal::from_units(TEN_POW_30)
        {
            return Err(Error::invalid(
                "charges",
                format!("have a total delta of {d}, which must be below 1"),
            ));
        }
        if approx.is_none() && rho.is_none() {
            return Err(Error::invalid(
                "charges",
                "cannot be charged together: some have only an (epsilon, delta > 0) cost and others only a zCDP (rho) cost",
            ));
        }
        Ok(Charge {
            approx,
            rho,
            event: None,
        })
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

/// An event's own cost, for [`Charge::with_event`].
struct OwnCost {
    /// What the check compares exactly.
    exact: Exact,
    /// The event's ε in floating point when it is pure DP (merged into a
    /// charge without ρ as ε²/2, as the ledger has always recorded it).
    pure_epsilon: Option<f64>,
    /// The event's ρ as recorded with the charge, when it has one of its own.
    rho: Option<Decimal>,
}

/// The exact form of an event's cost.
enum Exact {
    /// ε = `num`/`den` exactly (Laplace and discrete Laplace: Δ/b), δ = 0.
    Ratio { num: f64, den: f64 },
    /// ε, δ (and ρ, if implied) given by the caller, read as decimals.
    Given {
        epsilon: Decimal,
        delta: Decimal,
        rho: Option<Decimal>,
    },
    /// A Gaussian or discrete Gaussian: ρ = Δ²/(2σ²) exactly; δ(ε) by the
    /// mechanism's bound.
    Gaussian { l2_sensitivity: f64, sigma: f64 },
    /// ρ given by the caller.
    Zcdp { rho: Decimal },
}

impl OwnCost {
    fn of(event: &PrivacyEvent) -> Result<OwnCost> {
        let given = |epsilon: f64, divisor: u64| -> Result<OwnCost> {
            let eps = spend_value("epsilon", epsilon)?;
            let rho = rho_of_pure(eps, divisor);
            Ok(OwnCost {
                exact: Exact::Given {
                    epsilon: eps,
                    delta: Decimal::ZERO,
                    rho,
                },
                pure_epsilon: (divisor == 2).then_some(epsilon),
                rho: (divisor != 2).then_some(rho).flatten(),
            })
        };
        Ok(match *event {
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
                OwnCost {
                    exact: Exact::Ratio { num: d, den: b },
                    pure_epsilon: Some(d / b),
                    rho: None,
                }
            }
            PrivacyEvent::RandomizedResponse {
                epsilon,
                categories,
            } => {
                check_categories(categories)?;
                given(epsilon, 2)?
            }
            PrivacyEvent::PureDp { epsilon } => given(epsilon, 2)?,
            PrivacyEvent::Exponential { epsilon } => given(epsilon, 8)?,
            PrivacyEvent::ApproximateDp { epsilon, delta } => {
                let c = Charge::approximate_dp(epsilon, delta)?;
                let (eps, delta) = c.approx.expect("approximate_dp has an (epsilon, delta)");
                OwnCost {
                    exact: Exact::Given {
                        epsilon: eps,
                        delta,
                        rho: c.rho,
                    },
                    pure_epsilon: None,
                    rho: c.rho,
                }
            }
            PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            }
            | PrivacyEvent::DiscreteGaussian {
                l2_sensitivity,
                sigma,
                ..
            } => OwnCost {
                rho: Some(gaussian_rho(l2_sensitivity, sigma)?),
                exact: Exact::Gaussian {
                    l2_sensitivity,
                    sigma,
                },
                pure_epsilon: None,
            },
            PrivacyEvent::Zcdp { rho } => {
                let rho = spend_value("rho", rho)?;
                OwnCost {
                    exact: Exact::Zcdp { rho },
                    pure_epsilon: None,
                    rho: Some(rho),
                }
            }
            _ => match event.budget_equivalent() {
                Some(equivalent) => OwnCost::of(&equivalent)?,
                None => return Err(Error::Internal("an event without a cost".into())),
            },
        })
    }

    fn describe(&self) -> String {
        match self.exact {
            Exact::Ratio { num, den } => format!("costs epsilon {num:e}/{den:e}"),
            Exact::Given { epsilon, delta, .. } => {
                format!("costs (epsilon {epsilon}, delta {delta})")
            }
            Exact::Gaussian { .. } => "is a Gaussian".into(),
            Exact::Zcdp { rho } => format!("costs rho {rho}"),
        }
    }
}

/// `num/den ≤ limit` exactly, for positive finite floats: num·10³⁰ ≤ units·den.
fn ratio_within(num: f64, den: f64, limit: Decimal) -> bool {
    let lhs = Dyadic::from_f64(num).mul(Dyadic::from_u128(TEN_POW_30));
    let rhs = Dyadic::from_u128(limit.units()).mul(Dyadic::from_f64(den));
    matches!((lhs, rhs), (Some(l), Some(r)) if l.le(&r))
}

/// `num²/(2·den²) ≤ limit` exactly, for positive finite floats:
/// num²·10³⁰ ≤ 2·units·den² (limits are at most 10⁶, so 2·units fits).
fn squared_ratio_within(num: f64, den: f64, limit: Decimal) -> bool {
    let (n, d) = (Dyadic::from_f64(num), Dyadic::from_f64(den));
    let lhs = n
        .mul(n)
        .and_then(|sq| sq.mul(Dyadic::from_u128(TEN_POW_30)));
    let rhs = limit
        .units()
        .checked_mul(2)
        .and_then(|twice| d.mul(d)?.mul(Dyadic::from_u128(twice)));
    matches!((lhs, rhs), (Some(l), Some(r)) if l.le(&r))
}

/// For a Gaussian event charged as (ε, δ): checks that the mechanism's own
/// δ at the charged ε — for a discrete Gaussian its profile for its
/// dimension ([`PrivacyEvent::delta_at_epsilon`]: the rigorous bound of
/// [`crate::mechanism::discrete_gaussian_delta`] for one integer query, the
/// exact lattice sums over every worst-case shift for a vector such as an
/// aggregator's table, the CKS20 bound on ρ when smaller), Balle–Wang's
/// exact δ for a continuous one, evaluated at the largest double not above
/// the charged ε (δ falls as ε grows) — is at most the charged δ, compared
/// exactly.
fn check_gaussian_delta(event: &PrivacyEvent, epsilon: Decimal, delta: Decimal) -> Result<()> {
    let eps = epsilon.to_f64_at_most();
    let own = match *event {
        PrivacyEvent::DiscreteGaussian { .. } => DiscreteGaussianProfile::of(event)?.delta(eps),
        PrivacyEvent::Gaussian {
            l2_sensitivity,
            sigma,
        } => crate::mechanism::analytic_gaussian_delta(eps, l2_sensitivity, sigma),
        _ => return Ok(()),
    };
    if own.is_nan() || delta.cmp_f64(own.min(1.0)) == Ordering::Less {
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
    fn compose_adds_every_common_part_exactly() {
        let pure = |e| Charge::pure_dp(e).unwrap();
        let c = Charge::compose(&[pure(0.1), pure(0.2), pure(0.7)]).unwrap();
        assert_eq!(
            (c.epsilon(), c.delta(), c.rho()),
            (Some(d("1")), Some(Decimal::ZERO), Some(d("0.27")))
        );
        assert!(c.event().is_none());
        // (epsilon, delta > 0) parts have no rho; the sum has none either.
        let c = Charge::compose(&[pure(0.3), Charge::approximate_dp(0.1, 5e-8).unwrap()]).unwrap();
        assert_eq!(
            (c.epsilon(), c.delta(), c.rho()),
            (Some(d("0.4")), Some(d("0.00000005")), None)
        );
        // Pure and zCDP parts: rho only (epsilon^2/2 + rho).
        let c = Charge::compose(&[pure(0.5), Charge::zcdp(0.1).unwrap()]).unwrap();
        assert_eq!((c.epsilon(), c.rho()), (None, Some(d("0.225"))));
        // A single part keeps its event.
        let event = PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        };
        let one = Charge::from_event(&event).unwrap();
        assert_eq!(Charge::compose(&[one]).unwrap(), one);
        // No common part, nothing, or a vacuous delta: errors.
        let e = Charge::compose(&[
            Charge::approximate_dp(0.1, 1e-6).unwrap(),
            Charge::zcdp(0.1).unwrap(),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("charges cannot be charged together"),
            "{e}"
        );
        assert_eq!(
            Charge::compose(&[]).unwrap_err().to_string(),
            "charges must not be empty"
        );
        let half = Charge::approximate_dp(0.1, 0.5).unwrap();
        let e = Charge::compose(&[half, half]).unwrap_err();
        assert!(e.to_string().contains("total delta of 1"), "{e}");
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

    #[test]
    fn events_costing_one_ulp_more_are_refused() {
        // Laplace Δ/b against ε: 1/10 is exactly 0.1; a scale one ulp smaller
        // costs 0.1·(1 + 1.8e-16) and is refused.
        let lap = |d: f64, b: f64| PrivacyEvent::Laplace {
            l1_sensitivity: d,
            scale: b,
        };
        let tenth = Charge::pure_dp(0.1).unwrap();
        assert!(tenth.with_event(lap(1.0, 10.0)).is_ok());
        assert!(tenth.with_event(lap(1.0, 10f64.next_down())).is_err());
        assert!(tenth.with_event(lap(1.0f64.next_up(), 10.0)).is_err());
        // 1e-12 relative more.
        assert!(tenth.with_event(lap(1.0 + 1e-12, 10.0)).is_err());
        // The double 0.3 is below 0.3, the double 0.1 above 0.1: Δ = 0.3, b = 1
        // fits a charge of 0.3, Δ = 0.1, b = 1 does not fit a charge of 0.1.
        assert!(
            Charge::pure_dp(0.3)
                .unwrap()
                .with_event(lap(0.3, 1.0))
                .is_ok()
        );
        assert!(tenth.with_event(lap(0.1, 1.0)).is_err());
        // Given ε and δ are read as decimals: one ulp more prints larger.
        let pure = |e: f64| PrivacyEvent::PureDp { epsilon: e };
        assert!(tenth.with_event(pure(0.1)).is_ok());
        assert!(tenth.with_event(pure(0.1f64.next_up())).is_err());
        let approx = Charge::approximate_dp(0.5, 1e-6).unwrap();
        let ev = |e: f64, d: f64| PrivacyEvent::ApproximateDp {
            epsilon: e,
            delta: d,
        };
        assert!(approx.with_event(ev(0.5, 1e-6)).is_ok());
        assert!(approx.with_event(ev(0.5, 1e-6 * (1.0 + 1e-12))).is_err());
        assert!(approx.with_event(ev(0.5f64.next_up(), 1e-6)).is_err());
        // ρ charges: Δ²/(2b²) and Δ²/(2σ²) exactly.
        let rho = Charge::zcdp(0.005).unwrap();
        assert!(rho.with_event(lap(1.0, 10.0)).is_ok());
        assert!(rho.with_event(lap(1.0, 10f64.next_down())).is_err());
        let gauss = |d: f64, s: f64| PrivacyEvent::Gaussian {
            l2_sensitivity: d,
            sigma: s,
        };
        assert!(rho.with_event(gauss(1.0, 10.0)).is_ok());
        assert!(rho.with_event(gauss(1.0, 10f64.next_down())).is_err());
        assert!(rho.with_event(gauss(1.0 + 1e-12, 10.0)).is_err());
        assert!(rho.with_event(PrivacyEvent::Zcdp { rho: 0.005 }).is_ok());
        assert!(
            rho.with_event(PrivacyEvent::Zcdp {
                rho: 0.005f64.next_up()
            })
            .is_err()
        );
        // A Gaussian's δ at the charged ε against the charged δ: 1e-12 below
        // its own bound is refused, 1e-12 above is admitted.
        let g = gauss(1.0, 5.0);
        let own = crate::mechanism::analytic_gaussian_delta(1.0, 1.0, 5.0);
        for (factor, ok) in [(1.0 - 1e-12, false), (1.0 + 1e-12, true)] {
            let c = Charge::approximate_dp(1.0, own * factor).unwrap();
            assert_eq!(c.with_event(g).is_ok(), ok, "{factor}");
        }
        // A zCDP event charged as (ε, δ): ε 1e-12 below its CKS20 ε is refused.
        let z = PrivacyEvent::Zcdp { rho: 0.01 };
        let own_e = super::super::zcdp::epsilon_for(d("0.01"), d("0.000001"))
            .unwrap()
            .to_f64_up();
        assert!(
            Charge::approximate_dp(own_e * (1.0 + 1e-12), 1e-6)
                .unwrap()
                .with_event(z)
                .is_ok()
        );
        assert!(
            Charge::approximate_dp(own_e * (1.0 - 1e-12), 1e-6)
                .unwrap()
                .with_event(z)
                .is_err()
        );
    }

    #[test]
    fn the_crates_mechanisms_always_fit_their_charge() {
        use crate::mechanism::{DiscreteGaussian, DiscreteLaplace, Gaussian, Laplace};
        // Decimals as callers type them, whose doubles lie above or below.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for i in 0..400 {
            let digits = (1 + next(9_999)) as f64;
            let epsilon = digits / 10f64.powi(1 + (next(4) as i32));
            let delta = (1 + next(99)) as f64 / 10f64.powi(5 + (next(5) as i32));
            let sens = [1.0, 0.3, 7.0, 0.1][i % 4];
            let lap = Laplace::new(sens, epsilon).unwrap();
            let c = Charge::pure_dp(epsilon).unwrap();
            c.with_event(lap.event())
                .unwrap_or_else(|e| panic!("Laplace {sens} {epsilon}: {e}"));
            let dl = DiscreteLaplace::new(3, epsilon).unwrap();
            c.with_event(dl.event())
                .unwrap_or_else(|e| panic!("discrete Laplace {epsilon}: {e}"));
            if i % 8 == 0 {
                let c = Charge::approximate_dp(epsilon, delta).unwrap();
                let g = Gaussian::from_epsilon_delta(sens, epsilon, delta).unwrap();
                c.with_event(g.event())
                    .unwrap_or_else(|e| panic!("Gaussian {sens} {epsilon} {delta}: {e}"));
                let dg = DiscreteGaussian::from_epsilon_delta(2, epsilon, delta).unwrap();
                c.with_event(dg.event())
                    .unwrap_or_else(|e| panic!("discrete Gaussian {epsilon} {delta}: {e}"));
            }
        }
    }
}
