//! Budget figures for monitoring, and their Prometheus text exposition
//! (format 0.0.4): what a node-exporter textfile collector or any scraper
//! reads. Every figure is a parameter or a count of ledger entries — never a
//! released value.

use std::fmt::Write as _;

use super::account::{Composition, Cost};
use super::decimal::Decimal;

/// One account's figures (see [`BudgetMetrics`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AccountMetrics {
    /// The account.
    pub account: String,
    /// Its composition rule (which amounts it is limited in).
    pub composition: Composition,
    /// What is left now.
    pub remaining: Cost,
    /// What counts against the limit now.
    pub spent: Cost,
    /// Spends recorded.
    pub spends: u64,
    /// Spends refused by this handle since it opened (refusals record nothing in the ledger).
    pub refusals: u64,
    /// Threshold alert entries recorded.
    pub alerts: u64,
    /// Burn-rate alert entries recorded.
    pub burn_alerts: u64,
    /// Whether it is suspended now.
    pub suspended: bool,
}

/// The ledger's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerMetrics {
    /// Entries read and checked.
    pub entries: u64,
    /// The hash of the last entry.
    pub head: String,
    /// The last entry's time (ms since the Unix epoch).
    pub last_entry_time_ms: i64,
}

/// A budget's figures, from `Budget::metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetMetrics {
    /// Whether every entry read checked out (false: nothing else is reported).
    pub integrity_ok: bool,
    /// The ledger's figures (`None` in memory or after an integrity failure).
    pub ledger: Option<LedgerMetrics>,
    /// Every account, sorted by name.
    pub accounts: Vec<AccountMetrics>,
}

impl BudgetMetrics {
    /// The figures of a ledger that failed its integrity check: that fact alone.
    pub fn integrity_failed() -> BudgetMetrics {
        BudgetMetrics {
            integrity_ok: false,
            ledger: None,
            accounts: Vec::new(),
        }
    }

    /// The Prometheus text exposition of these figures. With
    /// `include_refusals` false the per-handle refusal counter is left out
    /// (a program that opens the ledger just to print figures has refused
    /// nothing, and zeros would mislead).
    pub fn to_prometheus(&self, include_refusals: bool) -> String {
        let mut s = String::new();
        family(
            &mut s,
            "ilsprivacy_ledger_integrity_ok",
            "gauge",
            "1 if every ledger entry read passed its hash, chain and consistency checks, else 0.",
        );
        let _ = writeln!(
            s,
            "ilsprivacy_ledger_integrity_ok {}",
            u8::from(self.integrity_ok)
        );
        if let Some(l) = &self.ledger {
            family(
                &mut s,
                "ilsprivacy_ledger_entries",
                "gauge",
                "Entries in the ledger.",
            );
            let _ = writeln!(s, "ilsprivacy_ledger_entries {}", l.entries);
            family(
                &mut s,
                "ilsprivacy_ledger_last_entry_timestamp_seconds",
                "gauge",
                "Time of the last ledger entry, seconds since the Unix epoch.",
            );
            // Exact for every time a ledger can hold (|ms| < 2^53).
            let _ = writeln!(
                s,
                "ilsprivacy_ledger_last_entry_timestamp_seconds {}",
                l.last_entry_time_ms as f64 / 1000.0
            );
        }
        if self.accounts.is_empty() {
            return s;
        }
        for (name, help, pick) in [
            (
                "ilsprivacy_budget_remaining",
                "Privacy budget left on the account now, by measure (epsilon and delta for basic composition, rho for zCDP).",
                (|a: &AccountMetrics| a.remaining) as fn(&AccountMetrics) -> Cost,
            ),
            (
                "ilsprivacy_budget_spent",
                "Privacy budget counted against the account's limit now (its period's spends), by measure.",
                |a: &AccountMetrics| a.spent,
            ),
        ] {
            family(&mut s, name, "gauge", help);
            for a in &self.accounts {
                let amounts = pick(a);
                let measures: &[(&str, Decimal)] = match a.composition {
                    Composition::Basic => &[("epsilon", amounts.epsilon), ("delta", amounts.delta)],
                    Composition::Zcdp => &[("rho", amounts.rho)],
                };
                for (measure, value) in measures {
                    let _ = writeln!(
                        s,
                        "{name}{{account=\"{}\",measure=\"{measure}\"}} {value}",
                        escape(&a.account)
                    );
                }
            }
        }
        type Counter = (&'static str, &'static str, fn(&AccountMetrics) -> u64);
        let counters: [Counter; 2] = [
            (
                "ilsprivacy_budget_spends_total",
                "Spends recorded in the ledger for the account.",
                |a| a.spends,
            ),
            (
                "ilsprivacy_budget_refusals_total",
                "Spends refused on the account by this process since it opened the ledger (refusals are not recorded in the ledger).",
                |a| a.refusals,
            ),
        ];
        for (name, help, pick) in counters {
            if name.contains("refusals") && !include_refusals {
                continue;
            }
            family(&mut s, name, "counter", help);
            for a in &self.accounts {
                let _ = writeln!(
                    s,
                    "{name}{{account=\"{}\"}} {}",
                    escape(&a.account),
                    pick(a)
                );
            }
        }
        let name = "ilsprivacy_budget_alerts_total";
        family(
            &mut s,
            name,
            "counter",
            "Alert entries recorded for the account, by kind (threshold: share of the limit used; burn_rate: spend over the plan's window).",
        );
        for a in &self.accounts {
            for (kind, n) in [("threshold", a.alerts), ("burn_rate", a.burn_alerts)] {
                let _ = writeln!(
                    s,
                    "{name}{{account=\"{}\",kind=\"{kind}\"}} {n}",
                    escape(&a.account)
                );
            }
        }
        let name = "ilsprivacy_budget_suspended";
        family(
            &mut s,
            name,
            "gauge",
            "1 if the account is suspended (refuses every spend), else 0.",
        );
        for a in &self.accounts {
            let _ = writeln!(
                s,
                "{name}{{account=\"{}\"}} {}",
                escape(&a.account),
                u8::from(a.suspended)
            );
        }
        s
    }
}

fn family(s: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(s, "# HELP {name} {help}");
    let _ = writeln!(s, "# TYPE {name} {kind}");
}

/// A label value as the text format writes it: `\` → `\\`, `"` → `\"`,
/// newline → `\n` (account names hold no other control characters).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("bibliothèque/prêts"), "bibliothèque/prêts");
    }

    #[test]
    fn entry_times_print_as_seconds() {
        for (ms, text) in [
            (1_796_318_105_803, "1796318105.803"),
            (-1, "-0.001"),
            (0, "0"),
        ] {
            let m = BudgetMetrics {
                integrity_ok: true,
                ledger: Some(LedgerMetrics {
                    entries: 1,
                    head: String::new(),
                    last_entry_time_ms: ms,
                }),
                accounts: Vec::new(),
            };
            let want = format!("ilsprivacy_ledger_last_entry_timestamp_seconds {text}\n");
            assert!(m.to_prometheus(false).contains(&want), "{ms}");
        }
    }

    #[test]
    fn a_failed_ledger_reports_only_that() {
        let text = BudgetMetrics::integrity_failed().to_prometheus(true);
        assert!(
            text.ends_with("ilsprivacy_ledger_integrity_ok 0\n"),
            "{text}"
        );
        assert!(!text.contains("ilsprivacy_budget_"));
    }
}
