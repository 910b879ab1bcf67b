//! A bounded in-memory ring of recent budget events, for telemetry.
//!
//! It holds the last [`AUDIT_RING_CAPACITY`] events this handle saw: its own
//! entries, entries other processes appended to a shared ledger (as they are
//! read), and refused spends (which the ledger does not record). Memory use
//! is fixed; older events are dropped. It is not an audit trail — the ledger
//! is — and it never holds released values or noise.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::account::{Composition, Cost, Period};
use super::burn::BurnPlan;
use super::decimal::Decimal;

/// How many recent events a budget handle keeps.
pub const AUDIT_RING_CAPACITY: usize = 256;

/// One event seen by a budget handle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEvent {
    /// The ledger sequence number; `None` for refused spends (not recorded).
    pub seq: Option<u64>,
    /// Milliseconds since the Unix epoch (UTC).
    pub time_ms: i64,
    /// The account concerned, if any.
    #[serde(serialize_with = "optional_name")]
    pub account: Option<Arc<str>>,
    /// What happened.
    #[serde(flatten)]
    pub kind: AuditKind,
}

fn optional_name<S: Serializer>(name: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match name {
        Some(n) => s.serialize_str(n),
        None => s.serialize_none(),
    }
}

/// What an [`AuditEvent`] records.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditKind {
    /// The ledger was created.
    LedgerCreated,
    /// A limit was set or adjusted.
    LimitSet {
        /// The reason recorded with it.
        reason: String,
    },
    /// The composition rule was chosen.
    CompositionSet {
        /// The rule.
        rule: Composition,
    },
    /// The alert threshold changed.
    AlertThresholdSet {
        /// The new fraction of the limit.
        threshold: f64,
    },
    /// The period policy changed.
    PeriodSet {
        /// The new policy.
        period: Period,
    },
    /// A spend was recorded.
    Spend {
        /// What the account was charged under its rule.
        charged: Cost,
        /// The caller's correlation ID, if one was given.
        #[serde(skip_serializing_if = "Option::is_none")]
        correlation_id: Option<String>,
    },
    /// A spend was refused; nothing was recorded or released.
    Refused {
        /// What was asked for under the account's rule (zero if the charge
        /// did not fit the rule at all).
        requested: Cost,
    },
    /// The account's used fraction reached its alert threshold.
    Alert {
        /// Fraction of the limit used.
        used_fraction: f64,
        /// The threshold.
        threshold: f64,
    },
    /// A query template was added or replaced.
    TemplateSet {
        /// The template's name.
        template: String,
        /// The reason recorded with it.
        reason: String,
    },
    /// A query template was removed.
    TemplateRemoved {
        /// The template's name.
        template: String,
        /// The reason recorded with it.
        reason: String,
    },
    /// Template enforcement was switched on or off.
    TemplatesOnlySet {
        /// Whether only templated spends are admitted now.
        enabled: bool,
        /// The reason recorded with it.
        reason: String,
    },
    /// The account was suspended.
    Suspended {
        /// The reason recorded with it.
        reason: String,
    },
    /// The account was resumed.
    Resumed {
        /// The reason recorded with it.
        reason: String,
    },
    /// The burn-rate plan was set (`None`: removed).
    BurnPlanSet {
        /// The plan.
        plan: Option<BurnPlan>,
    },
    /// The spend over the plan's window exceeded `factor` × the plan.
    BurnAlert {
        /// The spend inside the window.
        window_spent: Decimal,
        /// The planned spend per window.
        planned: Decimal,
        /// The factor.
        factor: f64,
    },
    /// An unfinished write was cut off the end of the ledger.
    TornTail {
        /// Its length.
        bytes: u64,
        /// What was charged for it.
        charged: Cost,
    },
}

/// The fixed-size ring.
#[derive(Debug)]
pub(crate) struct AuditRing {
    events: VecDeque<AuditEvent>,
}

impl AuditRing {
    pub fn new() -> AuditRing {
        AuditRing {
            events: VecDeque::with_capacity(AUDIT_RING_CAPACITY),
        }
    }

    pub fn push(&mut self, event: AuditEvent) {
        if self.events.len() == AUDIT_RING_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Oldest first.
    pub fn snapshot(&self) -> Vec<AuditEvent> {
        self.events.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_most_recent_events() {
        let mut ring = AuditRing::new();
        for i in 0..(AUDIT_RING_CAPACITY as u64 + 10) {
            ring.push(AuditEvent {
                seq: Some(i),
                time_ms: 0,
                account: None,
                kind: AuditKind::LedgerCreated,
            });
        }
        let events = ring.snapshot();
        assert_eq!(events.len(), AUDIT_RING_CAPACITY);
        assert_eq!(events[0].seq, Some(10));
        assert_eq!(
            events.last().unwrap().seq,
            Some(AUDIT_RING_CAPACITY as u64 + 9)
        );
        assert!(ring.events.capacity() < 2 * AUDIT_RING_CAPACITY);
    }

    #[test]
    fn serializes_as_one_flat_object() {
        let e = AuditEvent {
            seq: None,
            time_ms: 5,
            account: Some("a/b".into()),
            kind: AuditKind::Refused {
                requested: Cost::default(),
            },
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"seq":null,"time_ms":5,"account":"a/b","kind":"refused","requested":{"epsilon":"0","delta":"0","rho":"0"}}"#
        );
    }
}
