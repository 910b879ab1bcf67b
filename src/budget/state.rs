//! The accounts as the ledger's entries define them.
//!
//! [`State::apply`] is the only way the accounts change: a handle applies
//! each entry it appends and each entry it reads (its own from an earlier
//! run, or another process's), so replaying a ledger rebuilds exactly the
//! state its writers saw. Replay is decimal arithmetic only: every amount an
//! entry implies (including a ρ limit derived by a float computation) is
//! written in the entry.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::account::{
    Account, Composition, Cost, Limit, MAX_ACCOUNTS, validate_account_name,
    validate_correlation_id, validate_reason,
};
use super::audit::{AuditEvent, AuditKind, AuditRing};
use super::decimal::Decimal;
use super::ledger::entry::{Body, FORMAT_NAME, TornCharge, hex};
use super::template::{MAX_TEMPLATES_PER_ACCOUNT, SpendShape};

/// Every account, plus the telemetry ring.
#[derive(Debug)]
pub(crate) struct State {
    accounts: HashMap<Arc<str>, Account>,
    pub audit: AuditRing,
}

type Applied = std::result::Result<(), String>;

impl State {
    pub fn new() -> State {
        State {
            accounts: HashMap::new(),
            audit: AuditRing::new(),
        }
    }

    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.get(name)
    }

    pub fn account_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.accounts.keys().map(|k| k.to_string()).collect();
        names.sort();
        names
    }

    /// Refuses entries that would create an account past [`MAX_ACCOUNTS`].
    pub fn room_for(&self, bodies: &[Body]) -> crate::error::Result<()> {
        let mut new = 0;
        for body in bodies {
            let account = match body {
                Body::Limit { account, .. }
                | Body::Composition { account, .. }
                | Body::AlertThreshold { account, .. }
                | Body::Period { account, .. }
                | Body::Template { account, .. }
                | Body::TemplatesOnly { account, .. }
                | Body::Suspend { account, .. }
                | Body::BurnPlan { account, .. } => account,
                _ => continue,
            };
            new += usize::from(!self.accounts.contains_key(account.as_str()));
        }
        if self.accounts.len() + new > MAX_ACCOUNTS {
            return Err(crate::error::Error::invalid(
                "account",
                format!("the budget already holds {MAX_ACCOUNTS} accounts (the most it holds)"),
            ));
        }
        Ok(())
    }

    fn named(&mut self, name: &str) -> std::result::Result<&mut Account, String> {
        validate_account_name(name).map_err(|e| e.to_string())?;
        if !self.accounts.contains_key(name) {
            if self.accounts.len() >= MAX_ACCOUNTS {
                return Err(format!(
                    "more than {MAX_ACCOUNTS} accounts (the most a budget holds)"
                ));
            }
            let key: Arc<str> = name.into();
            self.accounts.insert(key.clone(), Account::new(key));
        }
        self.accounts
            .get_mut(name)
            .ok_or_else(|| "account vanished".to_owned())
    }

    fn existing(&mut self, name: &str) -> std::result::Result<&mut Account, String> {
        self.accounts
            .get_mut(name)
            .ok_or_else(|| format!("account {name:?} is used before it is configured"))
    }

    fn note(&mut self, seq: u64, time_ms: i64, account: Option<Arc<str>>, kind: AuditKind) {
        self.audit.push(AuditEvent {
            seq: Some(seq),
            time_ms,
            account,
            kind,
        });
    }

    /// Applies one entry recorded at `seq`/`time_ms`. An error says why the
    /// entry is inconsistent with the ledger before it (an integrity error).
    pub fn apply(&mut self, body: &Body, seq: u64, time_ms: i64) -> Applied {
        if matches!(body, Body::Ledger { .. }) != (seq == 0) {
            return Err("the ledger header must be the first entry, and only the first".into());
        }
        match body {
            Body::Ledger { format, .. } => {
                if format != FORMAT_NAME {
                    return Err(format!("unknown format {format:?}"));
                }
                self.note(seq, time_ms, None, AuditKind::LedgerCreated);
            }
            Body::Limit {
                account,
                epsilon,
                delta,
                rho,
                reason,
            } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                let a = self.named(account)?;
                let pair = match (epsilon, delta) {
                    (Some(e), Some(d)) if *e <= Decimal::MAX_INPUT && *d < Decimal::ONE => {
                        Some(Limit::EpsilonDelta {
                            epsilon: *e,
                            delta: *d,
                        })
                    }
                    (None, None) => None,
                    _ => {
                        return Err(
                            "a limit needs both epsilon (<= 1000000) and delta (< 1)".into()
                        );
                    }
                };
                match (a.composition, pair, rho) {
                    (Composition::Basic, Some(limit), None) => {
                        a.limit = Some(limit);
                        a.rho_limit = None;
                    }
                    (Composition::Zcdp, Some(limit), Some(r)) => {
                        a.limit = Some(limit);
                        a.rho_limit = Some(*r);
                    }
                    (Composition::Zcdp, None, Some(r)) => {
                        a.limit = Some(Limit::Rho(*r));
                        a.rho_limit = Some(*r);
                    }
                    _ => {
                        return Err(
                            "the limit does not match the account's composition rule".into()
                        );
                    }
                }
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::LimitSet {
                        reason: reason.clone(),
                    },
                );
            }
            Body::Composition {
                account,
                rule,
                rho_limit,
            } => {
                let a = self.named(account)?;
                if a.total != Cost::default() {
                    return Err("the composition rule changes after spends".into());
                }
                match (rule, a.limit, rho_limit) {
                    (Composition::Basic, Some(Limit::Rho(_)), _) => {
                        return Err("basic composition with a rho limit".into());
                    }
                    (Composition::Basic, _, None) => a.rho_limit = None,
                    (Composition::Zcdp, Some(Limit::EpsilonDelta { .. }), Some(r)) => {
                        a.rho_limit = Some(*r)
                    }
                    (Composition::Zcdp, None, None) => a.rho_limit = None,
                    (Composition::Zcdp, Some(Limit::Rho(r)), None) => a.rho_limit = Some(r),
                    _ => {
                        return Err(
                            "the composition entry's rho limit does not match the account's limit"
                                .into(),
                        );
                    }
                }
                a.composition = *rule;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::CompositionSet { rule: *rule },
                );
            }
            Body::AlertThreshold { account, threshold } => {
                if !(threshold.is_finite() && *threshold > 0.0 && *threshold <= 1.0) {
                    return Err("the alert threshold is not in (0, 1]".into());
                }
                let a = self.named(account)?;
                a.threshold = *threshold;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::AlertThresholdSet {
                        threshold: *threshold,
                    },
                );
            }
            Body::Period { account, period } => {
                let a = self.named(account)?;
                a.period = *period;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::PeriodSet { period: *period },
                );
            }
            Body::Spend {
                account,
                epsilon,
                delta,
                rho,
                event,
                correlation_id,
            } => {
                if let Some(id) = correlation_id {
                    validate_correlation_id(id).map_err(|e| e.to_string())?;
                }
                let a = self.existing(account)?;
                a.gate(&SpendShape {
                    epsilon: *epsilon,
                    delta: *delta,
                    rho: *rho,
                    event: event.as_ref(),
                })
                .map_err(|e| format!("a recorded spend was not admissible: {e}"))?;
                let cost = match a.composition {
                    Composition::Basic => match (epsilon, delta) {
                        (Some(e), Some(d)) => Cost {
                            epsilon: *e,
                            delta: *d,
                            rho: Decimal::ZERO,
                        },
                        _ => return Err("a spend on a basic account lacks epsilon or delta".into()),
                    },
                    Composition::Zcdp => match rho {
                        Some(r) => Cost {
                            rho: *r,
                            ..Cost::default()
                        },
                        None => return Err("a spend on a zCDP account lacks rho".into()),
                    },
                };
                a.admit(cost, time_ms)
                    .map_err(|e| format!("a recorded spend exceeds the limit in force: {e}"))?;
                a.add(cost, time_ms);
                a.spends += 1;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::Spend {
                        charged: cost,
                        correlation_id: correlation_id.clone(),
                    },
                );
            }
            Body::Template {
                account,
                template,
                reason,
            } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                template.validate().map_err(|e| e.to_string())?;
                let a = self.named(account)?;
                let count = a.templates.len();
                match a.templates.iter_mut().find(|t| t.name == template.name) {
                    Some(t) => *t = template.clone(),
                    None if count >= MAX_TEMPLATES_PER_ACCOUNT => {
                        return Err(format!(
                            "more than {MAX_TEMPLATES_PER_ACCOUNT} templates on one account"
                        ));
                    }
                    None => a.templates.push(template.clone()),
                }
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::TemplateSet {
                        template: template.name.clone(),
                        reason: reason.clone(),
                    },
                );
            }
            Body::TemplateRemoved {
                account,
                name: template,
                reason,
            } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                let a = self.existing(account)?;
                let before = a.templates.len();
                a.templates.retain(|t| &t.name != template);
                if a.templates.len() == before {
                    return Err(format!(
                        "template {template:?} is removed but was never added"
                    ));
                }
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::TemplateRemoved {
                        template: template.clone(),
                        reason: reason.clone(),
                    },
                );
            }
            Body::TemplatesOnly {
                account,
                enabled,
                reason,
            } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                let a = self.named(account)?;
                a.templates_only = *enabled;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::TemplatesOnlySet {
                        enabled: *enabled,
                        reason: reason.clone(),
                    },
                );
            }
            Body::Suspend { account, reason } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                let a = self.named(account)?;
                a.suspended = Some(reason.clone());
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::Suspended {
                        reason: reason.clone(),
                    },
                );
            }
            Body::Resume { account, reason } => {
                validate_reason(reason).map_err(|e| e.to_string())?;
                let a = self.existing(account)?;
                if a.suspended.take().is_none() {
                    return Err("an account is resumed but was not suspended".into());
                }
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::Resumed {
                        reason: reason.clone(),
                    },
                );
            }
            Body::BurnPlan { account, plan } => {
                if let Some(p) = plan {
                    p.validate().map_err(|e| e.to_string())?;
                }
                let a = self.named(account)?;
                if a.burn_plan.map(|p| p.window_secs) != plan.map(|p| p.window_secs) {
                    a.burn_window = Default::default();
                }
                a.burn_plan = *plan;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::BurnPlanSet { plan: *plan },
                );
            }
            Body::BurnAlert {
                account,
                window_spent,
                planned,
                factor,
            } => {
                let a = self.existing(account)?;
                a.burn_alerts += 1;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::BurnAlert {
                        window_spent: *window_spent,
                        planned: *planned,
                        factor: *factor,
                    },
                );
            }
            Body::Alert {
                account,
                used_fraction,
                threshold,
            } => {
                let a = self.existing(account)?;
                a.alerts += 1;
                let name = a.name.clone();
                self.note(
                    seq,
                    time_ms,
                    Some(name),
                    AuditKind::Alert {
                        used_fraction: *used_fraction,
                        threshold: *threshold,
                    },
                );
            }
            Body::TornTail {
                bytes,
                sha256,
                fragment,
                kept,
                charge,
                account,
                epsilon,
                delta,
                rho,
            } => {
                match (fragment, kept) {
                    (Some(fragment), false) => {
                        let raw = unhex(fragment).ok_or("the torn fragment is not hex")?;
                        if raw.len() as u64 != *bytes || hex(&Sha256::digest(&raw)) != *sha256 {
                            return Err(
                                "the torn fragment does not match its length or hash".into()
                            );
                        }
                    }
                    // The reader checked the kept bytes against `bytes` and `sha256`.
                    (None, true) => {}
                    _ => {
                        return Err(
                            "a torn-tail entry must either hold its fragment or keep it in place"
                                .into(),
                        );
                    }
                }
                let cost = Cost {
                    epsilon: epsilon.unwrap_or_default(),
                    delta: delta.unwrap_or_default(),
                    rho: rho.unwrap_or_default(),
                };
                let name = match (charge, account) {
                    (TornCharge::None, None) if cost == Cost::default() => None,
                    (TornCharge::Recovered | TornCharge::Remaining, Some(name)) => {
                        let a = self.existing(name)?;
                        a.add(cost, time_ms);
                        Some(a.name.clone())
                    }
                    _ => return Err("the torn-tail entry's charge is inconsistent".into()),
                };
                self.note(
                    seq,
                    time_ms,
                    name,
                    AuditKind::TornTail {
                        bytes: *bytes,
                        charged: cost,
                    },
                );
            }
        }
        Ok(())
    }

    /// A refused spend, for the telemetry ring only.
    pub fn note_refusal(&mut self, account: &str, requested: Cost, time_ms: i64) {
        let name = match self.accounts.get_mut(account) {
            Some(a) => {
                a.refusals += 1;
                a.name.clone()
            }
            None => account.into(),
        };
        self.audit.push(AuditEvent {
            seq: None,
            time_ms,
            account: Some(name),
            kind: AuditKind::Refused { requested },
        });
    }
}

/// Bytes of lowercase hex.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.as_bytes();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    t.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn header() -> Body {
        Body::Ledger {
            format: FORMAT_NAME.into(),
            created_by: "test".into(),
            nonce: None,
        }
    }

    fn limit(account: &str, eps: &str) -> Body {
        Body::Limit {
            account: account.into(),
            epsilon: Some(d(eps)),
            delta: Some(Decimal::ZERO),
            rho: None,
            reason: String::new(),
        }
    }

    fn spend(account: &str, eps: &str) -> Body {
        Body::Spend {
            account: account.into(),
            epsilon: Some(d(eps)),
            delta: Some(Decimal::ZERO),
            rho: None,
            event: None,
            correlation_id: None,
        }
    }

    #[test]
    fn replays_limits_and_spends() {
        let mut s = State::new();
        s.apply(&header(), 0, 0).unwrap();
        s.apply(&limit("a", "0.3"), 1, 0).unwrap();
        s.apply(&spend("a", "0.1"), 2, 0).unwrap();
        s.apply(&spend("a", "0.2"), 3, 0).unwrap();
        assert_eq!(s.account("a").unwrap().total.epsilon, d("0.3"));
        let e = s.apply(&spend("a", "0.000000000001"), 4, 0).unwrap_err();
        assert!(e.contains("exceeds the limit"), "{e}");
        assert!(
            s.apply(&spend("b", "0.1"), 4, 0)
                .unwrap_err()
                .contains("before it is configured")
        );
        assert!(s.apply(&header(), 4, 0).is_err());
        let rule = Body::Composition {
            account: "a".into(),
            rule: Composition::Zcdp,
            rho_limit: Some(d("0.1")),
        };
        assert!(s.apply(&rule, 4, 0).unwrap_err().contains("after spends"));
    }

    #[test]
    fn a_ledger_past_the_account_cap_is_refused() {
        use crate::budget::MAX_ACCOUNTS;
        let mut s = State::new();
        s.apply(&header(), 0, 0).unwrap();
        for i in 0..MAX_ACCOUNTS {
            s.apply(&limit(&format!("a{i}"), "1"), 1 + i as u64, 0)
                .unwrap();
        }
        let e = s
            .apply(&limit("one-more", "1"), 1 + MAX_ACCOUNTS as u64, 0)
            .unwrap_err();
        assert!(e.contains("more than 100000 accounts"), "{e}");
        assert!(s.room_for(&[limit("one-more", "1")]).is_err());
        assert!(s.room_for(&[limit("a5", "2")]).is_ok());
    }

    #[test]
    fn torn_tail_entries_must_be_self_consistent() {
        let mut s = State::new();
        s.apply(&header(), 0, 0).unwrap();
        s.apply(&limit("a", "1"), 1, 0).unwrap();
        let frag = b"{\"v\":1,\"ki";
        let good = Body::TornTail {
            bytes: frag.len() as u64,
            sha256: hex(&Sha256::digest(frag)),
            fragment: Some(hex(frag)),
            kept: false,
            charge: TornCharge::Recovered,
            account: Some("a".into()),
            epsilon: Some(d("0.5")),
            delta: Some(Decimal::ZERO),
            rho: None,
        };
        s.apply(&good, 2, 0).unwrap();
        assert_eq!(s.account("a").unwrap().total.epsilon, d("0.5"));
        let Body::TornTail {
            bytes,
            sha256,
            fragment,
            ..
        } = good.clone()
        else {
            unreachable!()
        };
        let bad = Body::TornTail {
            bytes: bytes + 1,
            sha256,
            fragment,
            kept: false,
            charge: TornCharge::None,
            account: None,
            epsilon: None,
            delta: None,
            rho: None,
        };
        assert!(s.apply(&bad, 3, 0).unwrap_err().contains("length or hash"));
        assert_eq!(unhex("0aff"), Some(vec![10, 255]));
        assert_eq!(unhex("0AFF"), None);
    }

    #[test]
    fn replay_refuses_spends_a_governance_rule_forbade() {
        use crate::budget::template::QueryTemplate;
        let mut s = State::new();
        s.apply(&header(), 0, 0).unwrap();
        s.apply(&limit("a", "1"), 1, 0).unwrap();
        let suspend = Body::Suspend {
            account: "a".into(),
            reason: "r".into(),
        };
        s.apply(&suspend, 2, 0).unwrap();
        let e = s.apply(&spend("a", "0.1"), 3, 0).unwrap_err();
        assert!(e.contains("is suspended"), "{e}");
        let resume = Body::Resume {
            account: "a".into(),
            reason: "r".into(),
        };
        s.apply(&resume, 3, 0).unwrap();
        assert!(
            s.apply(&resume, 4, 0)
                .unwrap_err()
                .contains("not suspended")
        );
        let template = QueryTemplate::new("t").unwrap().epsilon(0.0, 0.05).unwrap();
        let add = Body::Template {
            account: "a".into(),
            template,
            reason: String::new(),
        };
        s.apply(&add, 4, 0).unwrap();
        let only = Body::TemplatesOnly {
            account: "a".into(),
            enabled: true,
            reason: String::new(),
        };
        s.apply(&only, 5, 0).unwrap();
        let e = s.apply(&spend("a", "0.1"), 6, 0).unwrap_err();
        assert!(e.contains("above its maximum 0.05"), "{e}");
        s.apply(&spend("a", "0.05"), 6, 0).unwrap();
        let bad_id = Body::Spend {
            account: "a".into(),
            epsilon: Some(d("0.01")),
            delta: Some(Decimal::ZERO),
            rho: None,
            event: None,
            correlation_id: Some("patron 12".into()),
        };
        assert!(
            s.apply(&bad_id, 7, 0)
                .unwrap_err()
                .contains("correlation_id")
        );
        let removed = Body::TemplateRemoved {
            account: "a".into(),
            name: "absent".into(),
            reason: String::new(),
        };
        assert!(s.apply(&removed, 7, 0).unwrap_err().contains("never added"));
        assert_eq!(s.account("a").unwrap().spends, 1);
    }
}
