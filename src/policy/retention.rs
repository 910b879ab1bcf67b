//! The retention engine: record classes, windows, and the action due on
//! each field of a record on a reference date.
//!
//! # Rules
//!
//! ```toml
//! [[retention.rule]]
//! class = "circulation_history"   # a RecordClass
//! fields = ["patron_id"]          # the fields this rule acts on
//! anchor = "returned_on"          # the date field the window counts from
//! after = "30 days"               # "<n> day(s)|month(s)|year(s)", n >= 0
//! action = "pseudonymize"         # purge | pseudonymize | aggregate_only | coarsen:<transform>
//! ```
//!
//! `coarsen:` takes a generalising [`Transform`]: `coarsen:date:week`,
//! `coarsen:date:month`, `coarsen:date:year`, `coarsen:age:<width>`,
//! `coarsen:postcode:<length>`. A field no rule names is kept.
//! `fields = ["*"]` acts on the whole record (every field, the anchors
//! included): it takes `purge` or `aggregate_only` and must be the last
//! stage of its class (its window later than every other rule's).
//!
//! A rule applies from its **expiry date** = anchor date + window (dates are
//! civil dates in UTC, windows in calendar units; see [`super::date`]) —
//! on and after that day, never before. When several rules of a field have
//! expired, the strongest action wins. The actions, weakest first: `keep`,
//! `coarsen`, `pseudonymize`, `aggregate_only` (drop the field from row-level
//! data, keep it only in aggregates), `purge` (delete the value).
//!
//! # What is refused
//!
//! - an unknown class ([`PolicyError::UnknownClass`]);
//! - a negative window ([`PolicyError::NegativeWindow`]);
//! - two rules on the same field of a class whose windows are equal, or
//!   whose order depends on the anchor date (`30 days` against `1 month`),
//!   or where the later window takes a weaker action
//!   ([`PolicyError::Overlap`]);
//! - a rule whose anchor field another rule of the class acts on (only a
//!   whole-record rule may: the anchor must stay readable for as long as the
//!   record is evaluated).
//!
//! The engine never deletes anything: [`RetentionPolicy::evaluate`] returns
//! the action per field and an audit summary with counts only.
//!
//! ```
//! use ilsprivacy::policy::Policy;
//! use ilsprivacy::policy::date::CivilDate;
//! use ilsprivacy::policy::retention::{Action, RecordClass};
//!
//! let policy = Policy::parse(r#"
//! [policy]
//! name = "demo"
//! version = "1"
//! [[retention.rule]]
//! class = "circulation_history"
//! fields = ["patron_id"]
//! anchor = "returned_on"
//! after = "30 days"
//! action = "pseudonymize"
//! "#)?;
//! let record = [("patron_id", "21234000123456"), ("returned_on", "2026-01-01")];
//! let day = |s| CivilDate::parse(s).unwrap();
//! let r = policy.retention()?;
//! let before = r.evaluate(RecordClass::CirculationHistory, day("2026-01-30"), &record)?;
//! assert_eq!(before.action_of("patron_id"), Some(&Action::Keep));
//! let on = r.evaluate(RecordClass::CirculationHistory, day("2026-01-31"), &record)?;
//! assert_eq!(on.action_of("patron_id"), Some(&Action::Pseudonymize));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::policy::date::CivilDate;
use crate::policy::transform::Transform;
use crate::policy::{
    Counts, Lines, Location, MAX_POLICY_ENTRIES, PolicyError, PolicyMeta, check_name, shown_name,
};

/// The longest window accepted, in years (and its equivalent in months or days).
pub const MAX_WINDOW_YEARS: u32 = 1000;

/// The kinds of record a library keeps, each with its own retention rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordClass {
    /// Loans and returns (`circulation_history`).
    CirculationHistory,
    /// Hold requests (`holds`).
    Holds,
    /// Fines and fees (`fines`).
    Fines,
    /// Patron contact details (`patron_contact`).
    PatronContact,
    /// Student records held by a school library (`student_records`).
    StudentRecords,
}

impl RecordClass {
    /// Every class.
    pub const ALL: [RecordClass; 5] = [
        RecordClass::CirculationHistory,
        RecordClass::Holds,
        RecordClass::Fines,
        RecordClass::PatronContact,
        RecordClass::StudentRecords,
    ];

    /// The class's name in policies and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RecordClass::CirculationHistory => "circulation_history",
            RecordClass::Holds => "holds",
            RecordClass::Fines => "fines",
            RecordClass::PatronContact => "patron_contact",
            RecordClass::StudentRecords => "student_records",
        }
    }

    /// The class named `name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`class`) for an unknown name.
    pub fn parse(name: &str) -> Result<RecordClass> {
        RecordClass::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                Error::invalid(
                    "class",
                    format!(
                        "is not a record class ({:?}); expected one of circulation_history, holds, fines, patron_contact, student_records",
                        shown_name(name)
                    ),
                )
            })
    }
}

impl fmt::Display for RecordClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calendar unit of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowUnit {
    /// Days.
    Days,
    /// Calendar months (the day clamped to the month's end).
    Months,
    /// Calendar years (12 months).
    Years,
}

/// A retention window: a non-negative number of days, months or years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    amount: u32,
    unit: WindowUnit,
}

impl Window {
    /// Parses `"30 days"`, `"1 month"`, `"7 years"` (`"0 days"` is allowed:
    /// the action is due from the anchor date itself).
    ///
    /// # Errors
    ///
    /// `Err(true)` for a negative amount, `Err(false)` for anything else malformed.
    fn parse(text: &str) -> std::result::Result<Window, bool> {
        let mut parts = text.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(text.trim_start().starts_with('-'));
        };
        if n.starts_with('-') && n[1..].bytes().all(|b| b.is_ascii_digit()) && n.len() > 1 {
            return Err(true);
        }
        let amount: u32 = n.parse().map_err(|_| false)?;
        let unit = match unit {
            "day" | "days" => WindowUnit::Days,
            "month" | "months" => WindowUnit::Months,
            "year" | "years" => WindowUnit::Years,
            _ => return Err(false),
        };
        let cap = match unit {
            WindowUnit::Days => MAX_WINDOW_YEARS * 366,
            WindowUnit::Months => MAX_WINDOW_YEARS * 12,
            WindowUnit::Years => MAX_WINDOW_YEARS,
        };
        if amount > cap {
            return Err(false);
        }
        Ok(Window { amount, unit })
    }

    /// The first day on which a record anchored on `anchor` has expired;
    /// `None` if that is after 9999-12-31 (never, for this engine).
    pub fn expiry(self, anchor: CivilDate) -> Option<CivilDate> {
        match self.unit {
            WindowUnit::Days => anchor.add_days(i64::from(self.amount)),
            WindowUnit::Months => anchor.add_months(self.amount),
            WindowUnit::Years => anchor.add_months(self.amount * 12),
        }
    }

    /// The shortest and longest this window can be, in days, over all anchors.
    fn day_range(self) -> (u64, u64) {
        let months = match self.unit {
            WindowUnit::Days => return (u64::from(self.amount), u64::from(self.amount)),
            WindowUnit::Months => u64::from(self.amount),
            WindowUnit::Years => u64::from(self.amount) * 12,
        };
        (
            365 * (months / 12) + 28 * (months % 12),
            366 * (months / 12) + 31 * (months % 12),
        )
    }

    /// How two windows compare for every anchor date: `None` when they are
    /// equal for some anchor (their order is not fixed).
    fn order(self, other: Window) -> Option<Ordering> {
        let month_count = |w: Window| match w.unit {
            WindowUnit::Days => None,
            WindowUnit::Months => Some(w.amount),
            WindowUnit::Years => Some(w.amount * 12),
        };
        match (month_count(self), month_count(other)) {
            (None, None) => Some(self.amount.cmp(&other.amount)).filter(|o| o.is_ne()),
            (Some(a), Some(b)) => Some(a.cmp(&b)).filter(|o| o.is_ne()),
            _ => {
                let (a_lo, a_hi) = self.day_range();
                let (b_lo, b_hi) = other.day_range();
                if a_hi < b_lo {
                    Some(Ordering::Less)
                } else if b_hi < a_lo {
                    Some(Ordering::Greater)
                } else {
                    None
                }
            }
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.amount) {
            (WindowUnit::Days, 1) => "day",
            (WindowUnit::Days, _) => "days",
            (WindowUnit::Months, 1) => "month",
            (WindowUnit::Months, _) => "months",
            (WindowUnit::Years, 1) => "year",
            (WindowUnit::Years, _) => "years",
        };
        write!(f, "{} {unit}", self.amount)
    }
}

/// What the caller must do with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Nothing is due.
    Keep,
    /// Replace the value by its generalised form.
    Coarsen(Transform),
    /// Replace the value by a keyed token.
    Pseudonymize,
    /// Remove the field from row-level data; keep it only in aggregates.
    AggregateOnly,
    /// Delete the value.
    Purge,
}

impl Action {
    /// 0 (`keep`) to 4 (`purge`): later windows must not be weaker.
    pub fn strength(self) -> u8 {
        match self {
            Action::Keep => 0,
            Action::Coarsen(_) => 1,
            Action::Pseudonymize => 2,
            Action::AggregateOnly => 3,
            Action::Purge => 4,
        }
    }

    fn parse(text: &str) -> std::result::Result<Action, String> {
        match text {
            "purge" => Ok(Action::Purge),
            "pseudonymize" => Ok(Action::Pseudonymize),
            "aggregate_only" => Ok(Action::AggregateOnly),
            _ => match text.strip_prefix("coarsen:") {
                Some(t) => match Transform::parse(t)? {
                    t @ (Transform::Date(_) | Transform::AgeBand(_) | Transform::Postcode(_)) => {
                        Ok(Action::Coarsen(t))
                    }
                    other => Err(format!(
                        "coarsen:{other} does not generalise; use coarsen:date:<week|month|year>, coarsen:age:<width> or coarsen:postcode:<length>"
                    )),
                },
                None => Err(format!(
                    "unknown action {:?}: expected purge, pseudonymize, aggregate_only or coarsen:<transform>",
                    shown_name(text)
                )),
            },
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Keep => f.write_str("keep"),
            Action::Coarsen(t) => write!(f, "coarsen:{t}"),
            Action::Pseudonymize => f.write_str("pseudonymize"),
            Action::AggregateOnly => f.write_str("aggregate_only"),
            Action::Purge => f.write_str("purge"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    class: String,
    fields: Vec<String>,
    anchor: String,
    after: String,
    action: String,
}

/// One checked retention rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Its position among the policy's `[[retention.rule]]` tables.
    pub index: usize,
    /// The record class it governs.
    pub class: RecordClass,
    /// The fields it acts on.
    pub fields: Vec<String>,
    /// The date field its window counts from.
    pub anchor: String,
    /// The window.
    pub window: Window,
    /// The action due at expiry.
    pub action: Action,
    /// `fields` as a set, for the pairwise checks.
    field_set: BTreeSet<String>,
}

impl Rule {
    /// Whether the rule acts on the whole record (`fields = ["*"]`).
    pub fn is_whole_record(&self) -> bool {
        self.fields.iter().any(|f| f == "*")
    }
}

/// The checked `[retention]` section.
#[derive(Clone, Debug)]
pub struct RetentionPolicy {
    rules: Vec<Rule>,
}

/// The action due on one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldAction {
    /// The field's name.
    pub field: String,
    /// What to do.
    pub action: Action,
    /// The rule that decided it (`None` for `keep` with no expired rule).
    pub rule: Option<usize>,
}

/// The outcome of evaluating one record.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The record's class.
    pub class: RecordClass,
    /// The reference date.
    pub as_of: CivilDate,
    /// One entry per field of the record, in the record's order.
    pub actions: Vec<FieldAction>,
}

impl Evaluation {
    /// The action on `field` (its first occurrence).
    pub fn action_of(&self, field: &str) -> Option<&Action> {
        self.actions
            .iter()
            .find(|a| a.field == field)
            .map(|a| &a.action)
    }

    /// Fields per action name: the audit counts of this record.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::new();
        for a in &self.actions {
            *counts.entry(a.action.to_string()).or_default() += 1;
        }
        counts
    }

    /// The result as JSON: `{"class", "as_of", "actions": {field: action},
    /// "audit": {"policy", "version", "class", "as_of", "fields": {action: count}}}`.
    /// The audit part holds counts, never values.
    pub fn to_json(&self, meta: &PolicyMeta) -> String {
        let actions: serde_json::Map<String, serde_json::Value> = self
            .actions
            .iter()
            .map(|a| (a.field.clone(), a.action.to_string().into()))
            .collect();
        serde_json::json!({
            "class": self.class.name(),
            "as_of": self.as_of.to_string(),
            "actions": actions,
            "audit": {
                "policy": meta.name,
                "version": meta.version,
                "class": self.class.name(),
                "as_of": self.as_of.to_string(),
                "fields": self.counts(),
            }
        })
        .to_string()
    }
}

/// An audit summary over many records: policy, version, reference date,
/// and per class the records evaluated, records that could not be, and the
/// fields per action. Counts only, never values.
#[derive(Clone, Debug)]
pub struct RetentionAudit {
    meta: PolicyMeta,
    as_of: CivilDate,
    records: BTreeMap<RecordClass, u64>,
    unevaluable: BTreeMap<RecordClass, u64>,
    fields: BTreeMap<RecordClass, Counts>,
}

impl RetentionAudit {
    /// An empty summary.
    pub fn new(meta: &PolicyMeta, as_of: CivilDate) -> RetentionAudit {
        RetentionAudit {
            meta: meta.clone(),
            as_of,
            records: BTreeMap::new(),
            unevaluable: BTreeMap::new(),
            fields: BTreeMap::new(),
        }
    }

    /// Counts one evaluated record.
    pub fn add(&mut self, evaluation: &Evaluation) {
        *self.records.entry(evaluation.class).or_default() += 1;
        let fields = self.fields.entry(evaluation.class).or_default();
        for (action, n) in evaluation.counts() {
            *fields.entry(action).or_default() += n;
        }
    }

    /// Counts one record of `class` that could not be evaluated.
    pub fn add_unevaluable(&mut self, class: RecordClass) {
        *self.unevaluable.entry(class).or_default() += 1;
    }

    /// Records evaluated, all classes.
    pub fn records(&self) -> u64 {
        self.records.values().sum()
    }

    /// Records that could not be evaluated, all classes.
    pub fn unevaluable(&self) -> u64 {
        self.unevaluable.values().sum()
    }

    /// Fields per action, all classes.
    pub fn field_counts(&self) -> Counts {
        let mut all = Counts::new();
        for counts in self.fields.values() {
            for (a, n) in counts {
                *all.entry(a.clone()).or_default() += n;
            }
        }
        all
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> String {
        let classes: serde_json::Map<String, serde_json::Value> = RecordClass::ALL
            .iter()
            .filter(|c| self.records.contains_key(c) || self.unevaluable.contains_key(c))
            .map(|c| {
                (
                    c.name().to_owned(),
                    serde_json::json!({
                        "records": self.records.get(c).copied().unwrap_or(0),
                        "unevaluable": self.unevaluable.get(c).copied().unwrap_or(0),
                        "fields": self.fields.get(c).cloned().unwrap_or_default(),
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "policy": self.meta.name,
            "version": self.meta.version,
            "as_of": self.as_of.to_string(),
            "classes": classes,
        })
        .to_string()
    }
}

impl RetentionPolicy {
    pub(crate) fn from_raw(
        raw: Vec<RawRule>,
        lines: &Lines<'_>,
    ) -> std::result::Result<Self, PolicyError> {
        if raw.len() > MAX_POLICY_ENTRIES {
            return Err(PolicyError::Invalid {
                at: lines.at("retention.rule".into(), "[[retention.rule]]", 0),
                reason: format!("at most {MAX_POLICY_ENTRIES} rules, got {}", raw.len()),
            });
        }
        let at = |i: usize, key: &str| {
            lines.at(
                format!("retention.rule[{i}].{key}"),
                "[[retention.rule]]",
                i,
            )
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.len());
        for (index, r) in raw.into_iter().enumerate() {
            let class = RecordClass::ALL
                .into_iter()
                .find(|c| c.name() == r.class)
                .ok_or_else(|| PolicyError::UnknownClass {
                    at: at(index, "class"),
                    class: shown_name(&r.class).to_owned(),
                })?;
            if r.fields.is_empty() || r.fields.len() > MAX_POLICY_ENTRIES {
                return Err(PolicyError::Invalid {
                    at: at(index, "fields"),
                    reason: format!("must name 1 to {MAX_POLICY_ENTRIES} fields"),
                });
            }
            let whole = r.fields.iter().any(|f| f == "*");
            if whole && r.fields.len() > 1 {
                return Err(PolicyError::Invalid {
                    at: at(index, "fields"),
                    reason: "\"*\" (the whole record) must be the only entry".into(),
                });
            }
            let mut seen = BTreeSet::new();
            for (j, f) in r.fields.iter().enumerate() {
                check_name(f, || at(index, &format!("fields[{j}]")))?;
                if !seen.insert(f.as_str()) {
                    return Err(PolicyError::Invalid {
                        at: at(index, &format!("fields[{j}]")),
                        reason: format!("field {:?} is listed twice", shown_name(f)),
                    });
                }
            }
            check_name(&r.anchor, || at(index, "anchor"))?;
            if !whole && r.fields.contains(&r.anchor) {
                return Err(PolicyError::Invalid {
                    at: at(index, "anchor"),
                    reason: format!(
                        "anchor field {:?} is one of the rule's own fields; an anchor must stay readable until a whole-record rule (fields = [\"*\"]) removes the record",
                        shown_name(&r.anchor)
                    ),
                });
            }
            let window = Window::parse(&r.after).map_err(|negative| {
                if negative {
                    PolicyError::NegativeWindow {
                        at: at(index, "after"),
                        window: shown_name(&r.after).to_owned(),
                    }
                } else {
                    PolicyError::Invalid {
                        at: at(index, "after"),
                        reason: format!(
                            "{:?} is not a window: expected \"<n> days\", \"<n> months\" or \"<n> years\" with 0 <= n (at most {MAX_WINDOW_YEARS} years)",
                            shown_name(&r.after)
                        ),
                    }
                }
            })?;
            let action = Action::parse(&r.action).map_err(|reason| PolicyError::Invalid {
                at: at(index, "action"),
                reason,
            })?;
            if whole && !matches!(action, Action::Purge | Action::AggregateOnly) {
                return Err(PolicyError::Invalid {
                    at: at(index, "action"),
                    reason: format!(
                        "{action} cannot act on the whole record; use purge or aggregate_only"
                    ),
                });
            }
            let rule = Rule {
                index,
                class,
                field_set: r.fields.iter().cloned().collect(),
                fields: r.fields,
                anchor: r.anchor,
                window,
                action,
            };
            for earlier in rules.iter().filter(|e| e.class == class) {
                check_pair(earlier, &rule, &at)?;
            }
            rules.push(rule);
        }
        Ok(RetentionPolicy { rules })
    }

    /// The rules, in the policy's order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The action due on each field of `record` (name, value pairs) of
    /// `class` on the reference date `as_of`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`record`) naming the anchor field and the
    /// rule when a rule acts on a field of the record but its anchor field
    /// is missing, empty or not a date. Values are never quoted.
    pub fn evaluate(
        &self,
        class: RecordClass,
        as_of: CivilDate,
        record: &[(&str, &str)],
    ) -> Result<Evaluation> {
        let mut best: Vec<Option<(Action, usize)>> = vec![None; record.len()];
        for rule in self.rules.iter().filter(|r| r.class == class) {
            let touched: Vec<usize> = (0..record.len())
                .filter(|&i| rule.is_whole_record() || rule.fields.iter().any(|f| f == record[i].0))
                .collect();
            if touched.is_empty() {
                continue;
            }
            let anchor = record
                .iter()
                .find(|(name, _)| *name == rule.anchor)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::invalid(
                        "record",
                        format!(
                            "field {:?} (the anchor of retention.rule[{}]) is missing or empty",
                            shown_name(&rule.anchor),
                            rule.index
                        ),
                    )
                })?;
            let anchor = CivilDate::parse(anchor).map_err(|e| {
                Error::invalid(
                    "record",
                    format!(
                        "field {:?} (the anchor of retention.rule[{}]) {e}",
                        shown_name(&rule.anchor),
                        rule.index
                    ),
                )
            })?;
            let expired = rule.window.expiry(anchor).is_some_and(|d| as_of >= d);
            if !expired {
                continue;
            }
            for i in touched {
                let stronger = best[i].is_none_or(|(a, _)| rule.action.strength() >= a.strength());
                if stronger {
                    best[i] = Some((rule.action, rule.index));
                }
            }
        }
        let actions = record
            .iter()
            .zip(best)
            .map(|((name, _), b)| FieldAction {
                field: (*name).to_owned(),
                action: b.map_or(Action::Keep, |(a, _)| a),
                rule: b.map(|(_, i)| i),
            })
            .collect();
        Ok(Evaluation {
            class,
            as_of,
            actions,
        })
    }
}

/// Checks two rules of one class: no overlap on a shared field, escalating
/// actions, anchors that outlive the rules needing them.
fn check_pair(
    earlier: &Rule,
    later: &Rule,
    at: &impl Fn(usize, &str) -> Location,
) -> std::result::Result<(), PolicyError> {
    let overlap = |reason: String| PolicyError::Overlap {
        at: at(later.index, "after"),
        other: at(earlier.index, "after"),
        reason,
    };
    let order = earlier.window.order(later.window);
    let shared = if earlier.is_whole_record() || later.is_whole_record() {
        Some("*")
    } else {
        later
            .fields
            .iter()
            .find(|f| earlier.field_set.contains(*f))
            .map(String::as_str)
    };
    if let Some(field) = shared {
        let field = shown_name(field);
        let (whole, other) = if later.is_whole_record() {
            (later, earlier)
        } else {
            (earlier, later)
        };
        if whole.is_whole_record() && other.window.order(whole.window) != Some(Ordering::Less) {
            return Err(overlap(format!(
                "the whole-record rule's window ({}) must end after every other rule's of class {} ({} does not)",
                whole.window, later.class, other.window
            )));
        }
        match order {
            None => {
                return Err(overlap(format!(
                    "both act on field {field:?} of class {} and their windows ({} and {}) can end on the same day",
                    later.class, earlier.window, later.window
                )));
            }
            Some(o) => {
                let (first, second) = if o.is_lt() {
                    (earlier, later)
                } else {
                    (later, earlier)
                };
                if second.action.strength() < first.action.strength() {
                    return Err(overlap(format!(
                        "both act on field {field:?} of class {}: {} after {} would follow {} after {}; a later window must not take a weaker action",
                        later.class, second.action, second.window, first.action, first.window
                    )));
                }
            }
        }
    }
    // An anchor another (field-level) rule acts on.
    for (needs, transforms) in [(later, earlier), (earlier, later)] {
        if !transforms.is_whole_record() && transforms.field_set.contains(&needs.anchor) {
            return Err(PolicyError::Invalid {
                at: at(needs.index, "anchor"),
                reason: format!(
                    "anchor field {:?} is acted on by retention.rule[{}] ({} after {}); an anchor must stay readable until a whole-record rule (fields = [\"*\"]) removes the record",
                    shown_name(&needs.anchor),
                    transforms.index,
                    transforms.action,
                    transforms.window,
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_order() {
        let w = |s: &str| Window::parse(s).unwrap();
        assert_eq!(w("30 days").to_string(), "30 days");
        assert_eq!(w("1 year").to_string(), "1 year");
        assert_eq!(Window::parse("-1 days"), Err(true));
        assert_eq!(Window::parse("-30"), Err(true));
        assert_eq!(Window::parse("30"), Err(false));
        assert_eq!(Window::parse("3 weeks"), Err(false));
        assert_eq!(Window::parse("1001 years"), Err(false));
        assert_eq!(w("30 days").order(w("1 month")), None);
        assert_eq!(w("27 days").order(w("1 month")), Some(Ordering::Less));
        assert_eq!(w("12 months").order(w("1 year")), None);
        assert_eq!(w("13 months").order(w("1 year")), Some(Ordering::Greater));
        assert_eq!(w("730 days").order(w("2 years")), None);
        assert_eq!(w("733 days").order(w("2 years")), Some(Ordering::Greater));
    }
}
