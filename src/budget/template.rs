//! Pre-approved query templates: which spends an account accepts when it is
//! set to accept templated spends only.
//!
//! A template names a mechanism (or none: any), a bound on the mechanism's
//! sensitivity, and the allowed range of ε, δ and/or ρ. A spend matches a
//! template when every rule of the template holds for it; an account that
//! requires templates admits a spend only if it matches at least one (and,
//! as always, fits the limit). Templates are recorded in the ledger like
//! limits, so the rules in force at every spend can be audited.

use serde::{Deserialize, Serialize};

use super::decimal::{Decimal, Rounding};
use crate::accountant::PrivacyEvent;
use crate::error::{Error, Result, describe_f64};

/// The most templates one account holds.
pub const MAX_TEMPLATES_PER_ACCOUNT: usize = 64;
/// The longest template name, in bytes.
pub const MAX_TEMPLATE_NAME_BYTES: usize = 64;

/// The mechanism a template allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateMechanism {
    /// Laplace noise (sensitivity: L1).
    Laplace,
    /// Discrete Laplace noise (sensitivity: L1).
    DiscreteLaplace,
    /// Gaussian noise (sensitivity: L2).
    Gaussian,
    /// Discrete Gaussian noise (sensitivity: L2).
    DiscreteGaussian,
    /// Randomized response (no sensitivity).
    RandomizedResponse,
    /// The exponential mechanism (no sensitivity).
    Exponential,
}

impl TemplateMechanism {
    /// The name written in the ledger (`"laplace"`, …).
    pub fn name(self) -> &'static str {
        match self {
            TemplateMechanism::Laplace => "laplace",
            TemplateMechanism::DiscreteLaplace => "discrete_laplace",
            TemplateMechanism::Gaussian => "gaussian",
            TemplateMechanism::DiscreteGaussian => "discrete_gaussian",
            TemplateMechanism::RandomizedResponse => "randomized_response",
            TemplateMechanism::Exponential => "exponential",
        }
    }

    /// The mechanism named `name` (as [`TemplateMechanism::name`] writes it).
    pub fn from_name(name: &str) -> Option<TemplateMechanism> {
        [
            TemplateMechanism::Laplace,
            TemplateMechanism::DiscreteLaplace,
            TemplateMechanism::Gaussian,
            TemplateMechanism::DiscreteGaussian,
            TemplateMechanism::RandomizedResponse,
            TemplateMechanism::Exponential,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }

    fn has_sensitivity(self) -> bool {
        !matches!(
            self,
            TemplateMechanism::RandomizedResponse | TemplateMechanism::Exponential
        )
    }

    /// The mechanism and sensitivity of an event, if it is one of these.
    fn of_event(event: &PrivacyEvent) -> Option<(TemplateMechanism, Option<f64>)> {
        Some(match *event {
            PrivacyEvent::Laplace { l1_sensitivity, .. } => {
                (TemplateMechanism::Laplace, Some(l1_sensitivity))
            }
            PrivacyEvent::DiscreteLaplace { l1_sensitivity, .. } => {
                (TemplateMechanism::DiscreteLaplace, Some(l1_sensitivity))
            }
            PrivacyEvent::Gaussian { l2_sensitivity, .. } => {
                (TemplateMechanism::Gaussian, Some(l2_sensitivity))
            }
            PrivacyEvent::DiscreteGaussian { l2_sensitivity, .. } => {
                (TemplateMechanism::DiscreteGaussian, Some(l2_sensitivity))
            }
            PrivacyEvent::RandomizedResponse { .. } => {
                (TemplateMechanism::RandomizedResponse, None)
            }
            PrivacyEvent::Exponential { .. } => (TemplateMechanism::Exponential, None),
            _ => return None,
        })
    }
}

/// An inclusive range of an amount (ε, δ or ρ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRange {
    /// The smallest amount allowed.
    pub min: Decimal,
    /// The largest amount allowed.
    pub max: Decimal,
}

/// A pre-approved query template: a mechanism (or none: any), a bound on
/// the mechanism's sensitivity, and the allowed ranges of ε, δ and/or ρ. A
/// spend matches when every rule holds; an account that accepts templated
/// spends only (`Budget::set_templates_only`) admits a spend only if it
/// matches at least one of its templates — and, as always, fits the limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryTemplate {
    /// Its name: 1–64 bytes of `A-Z a-z 0-9 . _ -`.
    pub name: String,
    /// The mechanism a spend must carry (`None`: any, also none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<TemplateMechanism>,
    /// The largest sensitivity allowed (L1 for Laplace, L2 for Gaussian),
    /// compared with the sensitivity the spend's event records. The
    /// library's float mechanisms record the sensitivity they charge, which
    /// includes the rounding of the input to their noise grid (Δ + γ, with γ
    /// at most 2⁻³⁰ of the noise scale): allow a little above the nominal
    /// sensitivity (e.g. 1.001 for Δ = 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sensitivity: Option<f64>,
    /// The ε range a spend's ε must lie in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<AmountRange>,
    /// The δ range a spend's δ must lie in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<AmountRange>,
    /// The ρ range a spend's ρ must lie in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<AmountRange>,
}

/// What a spend is checked against a template by.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpendShape<'a> {
    pub epsilon: Option<Decimal>,
    pub delta: Option<Decimal>,
    pub rho: Option<Decimal>,
    pub event: Option<&'a PrivacyEvent>,
}

fn range(param: &'static str, min: f64, max: f64) -> Result<AmountRange> {
    let read = |x: f64, r: Rounding| {
        if !(x.is_finite() && x >= 0.0) {
            return Err(Error::invalid(
                param,
                format!(
                    "range bounds must be finite and >= 0, got {}",
                    describe_f64(x)
                ),
            ));
        }
        Decimal::from_printed(x, r).ok_or_else(|| {
            Error::invalid(
                param,
                format!("range bounds must be at most 1000000, got {x}"),
            )
        })
    };
    let (lo, hi) = (read(min, Rounding::Up)?, read(max, Rounding::Down)?);
    if lo > hi {
        return Err(Error::invalid(
            param,
            format!("range minimum {min} is above its maximum {max}"),
        ));
    }
    Ok(AmountRange { min: lo, max: hi })
}

impl QueryTemplate {
    /// A template named `name` that allows nothing yet: give it at least one
    /// amount range ([`QueryTemplate::epsilon`], [`QueryTemplate::delta`],
    /// [`QueryTemplate::rho`]).
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for a bad name.
    pub fn new(name: &str) -> Result<QueryTemplate> {
        validate_template_name(name)?;
        Ok(QueryTemplate {
            name: name.to_owned(),
            mechanism: None,
            max_sensitivity: None,
            epsilon: None,
            delta: None,
            rho: None,
        })
    }

    /// Allows only spends that carry this mechanism's event.
    pub fn mechanism(mut self, mechanism: TemplateMechanism) -> QueryTemplate {
        self.mechanism = Some(mechanism);
        self
    }

    /// Allows only a sensitivity up to `max` (finite, > 0; needs a mechanism
    /// that has one).
    pub fn max_sensitivity(mut self, max: f64) -> Result<QueryTemplate> {
        crate::error::check_positive("max_sensitivity", max)?;
        self.max_sensitivity = Some(max);
        Ok(self)
    }

    /// Allows ε in `[min, max]` (read as the decimals they print as; the
    /// range is never widened).
    pub fn epsilon(mut self, min: f64, max: f64) -> Result<QueryTemplate> {
        self.epsilon = Some(range("epsilon", min, max)?);
        Ok(self)
    }

    /// Allows δ in `[min, max]`.
    pub fn delta(mut self, min: f64, max: f64) -> Result<QueryTemplate> {
        self.delta = Some(range("delta", min, max)?);
        Ok(self)
    }

    /// Allows ρ in `[min, max]`.
    pub fn rho(mut self, min: f64, max: f64) -> Result<QueryTemplate> {
        self.rho = Some(range("rho", min, max)?);
        Ok(self)
    }

    /// Checks the template as a whole (also when read from a ledger).
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for a bad name, no amount range, a range
    /// whose minimum is above its maximum, or a sensitivity bound without a
    /// mechanism that has a sensitivity.
    pub fn validate(&self) -> Result<()> {
        validate_template_name(&self.name)?;
        if self.epsilon.is_none() && self.delta.is_none() && self.rho.is_none() {
            return Err(Error::invalid(
                "template",
                format!(
                    "{:?} needs at least one epsilon, delta or rho range",
                    self.name
                ),
            ));
        }
        for (param, r) in [
            ("epsilon", self.epsilon),
            ("delta", self.delta),
            ("rho", self.rho),
        ] {
            if let Some(r) = r
                && (r.min > r.max || r.max > Decimal::MAX_INPUT)
            {
                return Err(Error::invalid(param, "range is empty or too large"));
            }
        }
        if let Some(s) = self.max_sensitivity {
            crate::error::check_positive("max_sensitivity", s)?;
            if !self
                .mechanism
                .is_some_and(TemplateMechanism::has_sensitivity)
            {
                return Err(Error::invalid(
                    "max_sensitivity",
                    "needs a Laplace or Gaussian mechanism (the others have no sensitivity)",
                ));
            }
        }
        Ok(())
    }

    /// `Ok` if `spend` matches every rule, else the first rule it breaks.
    #[cfg(test)]
    fn check(&self, spend: &SpendShape<'_>) -> std::result::Result<(), String> {
        match self.violation(spend) {
            None => Ok(()),
            Some(v) => Err(v.to_string()),
        }
    }

    /// The first rule `spend` breaks, if any (no allocation: the hot path
    /// of a templated spend).
    fn violation(&self, spend: &SpendShape<'_>) -> Option<Violation> {
        if let Some(m) = self.mechanism {
            let Some((got, sensitivity)) = spend.event.and_then(TemplateMechanism::of_event) else {
                return Some(Violation::NoMechanism(m));
            };
            if got != m {
                return Some(Violation::Mechanism { got, want: m });
            }
            // NaN is never within the bound.
            if let (Some(max), Some(s)) = (self.max_sensitivity, sensitivity)
                && !matches!(
                    s.partial_cmp(&max),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                )
            {
                return Some(Violation::Sensitivity { got: s, max });
            }
        }
        for (what, range, amount) in [
            ("epsilon", self.epsilon, spend.epsilon),
            ("delta", self.delta, spend.delta),
            ("rho", self.rho, spend.rho),
        ] {
            let Some(r) = range else { continue };
            match amount {
                None => return Some(Violation::Missing(what)),
                Some(a) if a < r.min => return Some(Violation::Below(what, a, r.min)),
                Some(a) if a > r.max => return Some(Violation::Above(what, a, r.max)),
                Some(_) => {}
            }
        }
        None
    }
}

/// The rule a spend breaks (see `QueryTemplate::violation`).
enum Violation {
    NoMechanism(TemplateMechanism),
    Mechanism {
        got: TemplateMechanism,
        want: TemplateMechanism,
    },
    Sensitivity {
        got: f64,
        max: f64,
    },
    Missing(&'static str),
    Below(&'static str, Decimal, Decimal),
    Above(&'static str, Decimal, Decimal),
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::NoMechanism(m) => write!(
                f,
                "mechanism must be {} (the spend names no such mechanism)",
                m.name()
            ),
            Violation::Mechanism { got, want } => {
                write!(f, "mechanism {} is not {}", got.name(), want.name())
            }
            Violation::Sensitivity { got, max } => {
                write!(f, "sensitivity {got} is above its maximum {max}")
            }
            Violation::Missing(what) => write!(f, "{what} is required (the spend has none)"),
            Violation::Below(what, a, min) => write!(f, "{what} {a} is below its minimum {min}"),
            Violation::Above(what, a, max) => write!(f, "{what} {a} is above its maximum {max}"),
        }
    }
}

/// Checks `spend` against an account's templates: `Ok` if one matches,
/// else a description naming, for each template, the rule it breaks.
pub(crate) fn match_any(
    templates: &[QueryTemplate],
    spend: &SpendShape<'_>,
) -> std::result::Result<(), String> {
    if templates.is_empty() {
        return Err("the account accepts only templated spends and has no template".into());
    }
    if templates.iter().any(|t| t.violation(spend).is_none()) {
        return Ok(());
    }
    let why: Vec<String> = templates
        .iter()
        .filter_map(|t| {
            t.violation(spend)
                .map(|v| format!("template {:?}: {v}", t.name))
        })
        .collect();
    Err(format!("matches no template ({})", why.join("; ")))
}

/// Checks a template name: 1–64 bytes of `A-Z a-z 0-9 . _ -`.
///
/// # Errors
///
/// `Error::InvalidArgument` (`template`) otherwise.
pub fn validate_template_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_TEMPLATE_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "template",
            format!(
                "name must be 1 to {MAX_TEMPLATE_NAME_BYTES} bytes of A-Z a-z 0-9 . _ -, got {} bytes",
                name.len()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn shape<'a>(eps: &str, event: Option<&'a PrivacyEvent>) -> SpendShape<'a> {
        SpendShape {
            epsilon: Some(d(eps)),
            delta: Some(Decimal::ZERO),
            rho: None,
            event,
        }
    }

    #[test]
    fn each_rule_is_named_when_it_fails() {
        let t = QueryTemplate::new("loans-count")
            .unwrap()
            .mechanism(TemplateMechanism::Laplace)
            .max_sensitivity(1.0)
            .unwrap()
            .epsilon(0.05, 0.25)
            .unwrap();
        t.validate().unwrap();
        let ok = PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 5.0,
        };
        assert_eq!(t.check(&shape("0.2", Some(&ok))), Ok(()));
        assert_eq!(t.check(&shape("0.25", Some(&ok))), Ok(()), "inclusive");
        let e = t.check(&shape("0.2500001", Some(&ok))).unwrap_err();
        assert_eq!(e, "epsilon 0.2500001 is above its maximum 0.25");
        let e = t.check(&shape("0.01", Some(&ok))).unwrap_err();
        assert!(e.contains("below its minimum 0.05"), "{e}");
        let wide = PrivacyEvent::Laplace {
            l1_sensitivity: 2.0,
            scale: 10.0,
        };
        let e = t.check(&shape("0.2", Some(&wide))).unwrap_err();
        assert_eq!(e, "sensitivity 2 is above its maximum 1");
        let g = PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 3.0,
        };
        assert_eq!(
            t.check(&shape("0.2", Some(&g))).unwrap_err(),
            "mechanism gaussian is not laplace"
        );
        assert!(
            t.check(&shape("0.2", None))
                .unwrap_err()
                .contains("names no")
        );
        let rho_only = SpendShape {
            epsilon: None,
            delta: None,
            rho: Some(d("0.01")),
            event: Some(&ok),
        };
        assert!(
            t.check(&rho_only)
                .unwrap_err()
                .contains("epsilon is required")
        );
        let e = match_any(std::slice::from_ref(&t), &shape("1", Some(&ok))).unwrap_err();
        assert!(
            e.starts_with("matches no template (template \"loans-count\": epsilon 1"),
            "{e}"
        );
        assert!(match_any(&[], &shape("1", None)).is_err());
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(QueryTemplate::new("").is_err());
        assert!(QueryTemplate::new("a b").is_err());
        assert!(QueryTemplate::new(&"x".repeat(65)).is_err());
        assert!(
            QueryTemplate::new("x").unwrap().validate().is_err(),
            "no range"
        );
        assert!(QueryTemplate::new("x").unwrap().epsilon(0.3, 0.1).is_err());
        assert!(
            QueryTemplate::new("x")
                .unwrap()
                .epsilon(f64::NAN, 0.1)
                .is_err()
        );
        assert!(
            QueryTemplate::new("x")
                .unwrap()
                .max_sensitivity(0.0)
                .is_err()
        );
        let t = QueryTemplate::new("x")
            .unwrap()
            .epsilon(0.0, 1.0)
            .unwrap()
            .max_sensitivity(1.0)
            .unwrap();
        assert!(t.validate().is_err(), "a sensitivity needs a mechanism");
        // Ranges are never widened by reading floats: 0.1 stays 0.1.
        let t = QueryTemplate::new("x").unwrap().epsilon(0.1, 0.3).unwrap();
        assert_eq!(t.epsilon.unwrap().max, d("0.3"));
        assert_eq!(t.epsilon.unwrap().min, d("0.1"));
    }
}
