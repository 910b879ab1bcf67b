//! The report as terminal text.

use std::fmt::Write as _;

use super::{Amounts, BudgetView, Report, TableView, show_amount};
use crate::stats::thousands_i;

/// The report as text for standard output.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.title);
    let _ = writeln!(
        out,
        "Released {} with differential privacy: every number below is noisy; [a, b] is its 95% interval.",
        report.generated_at.replace('T', " ").replace('Z', " UTC")
    );
    for t in &report.tables {
        out.push('\n');
        table(&mut out, t);
    }
    out.push('\n');
    budget(&mut out, &report.budget, &report.cost);
    out
}

/// ε, δ (or ρ) as text.
pub fn amounts(a: &Amounts) -> String {
    let mut parts = Vec::new();
    if let Some(e) = a.epsilon {
        parts.push(format!("ε {}", show_amount(e)));
    }
    if let Some(d) = a.delta {
        parts.push(format!("δ {}", show_amount(d)));
    }
    if a.epsilon.is_none()
        && let Some(r) = a.rho
    {
        parts.push(format!("ρ {}", show_amount(r)));
    }
    parts.join(", ")
}

/// A cost as text, without a zero δ (pure ε-DP).
pub fn cost(a: &Amounts) -> String {
    let shown = Amounts {
        delta: a.delta.filter(|&d| d > 0.0),
        ..*a
    };
    amounts(&shown)
}

fn table(out: &mut String, t: &TableView) {
    let _ = writeln!(out, "{}", t.title);
    let _ = writeln!(
        out,
        "  {}; {} noise; groups: {}{}",
        cost(&t.cost),
        t.noise,
        t.groups,
        t.selection_threshold
            .map(|k| format!(" (shown when their noisy number of patrons reaches {k})"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "  each patron counts in at most {} group{} and adds at most {} to a group's count{}",
        t.max_groups_per_patron,
        if t.max_groups_per_patron == 1 {
            ""
        } else {
            "s"
        },
        t.max_per_group,
        if t.max_per_group_chosen_privately {
            " (chosen with differential privacy)"
        } else {
            ""
        }
    );
    let counted = if t.counted == "rows" {
        "count".to_owned()
    } else {
        t.counted.trim_start_matches("values of column ").to_owned()
    };
    let mut header: Vec<String> = vec![crate::channel::printable(&t.group_by.join(" / ")), counted];
    if let Some(v) = &t.value {
        if v.show_sum {
            header.push(format!("sum of {}", v.column));
        }
        if v.show_mean {
            header.push(format!("mean {}", v.column));
        }
        let _ = writeln!(
            out,
            "  {} clamped to [{}, {}] before summing",
            v.column, v.lo, v.hi
        );
    }
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(t.rows.len());
    for r in &t.rows {
        let mut cells = vec![crate::channel::printable(&r.group.join(" / "))];
        match (r.count, r.count_95) {
            (Some(c), Some([lo, hi])) => cells.push(format!(
                "{} [{}, {}]",
                thousands_i(c),
                thousands_i(lo),
                thousands_i(hi)
            )),
            _ => cells.push("(withheld)".into()),
        }
        if let Some(v) = &t.value {
            if v.show_sum {
                cells.push(match (r.sum, r.sum_95) {
                    (Some(s), Some([lo, hi])) => format!(
                        "{} [{}, {}]",
                        thousands_i(s),
                        thousands_i(lo),
                        thousands_i(hi)
                    ),
                    _ => "-".into(),
                });
            }
            if v.show_mean {
                cells.push(match (r.mean, r.mean_95) {
                    (Some(m), Some([lo, hi])) => format!("{m:.1} [{lo:.1}, {hi:.1}]"),
                    (None, Some([lo, hi])) => format!("- [{lo:.1}, {hi:.1}]"),
                    _ => "-".into(),
                });
            }
        }
        rows.push(cells);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s
    };
    let _ = writeln!(out, "{}", line(&header));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    if rows.is_empty() {
        let _ = writeln!(out, "  (no group released)");
    }
    for n in &t.notes {
        let _ = writeln!(out, "  note: {n}");
    }
}

fn budget(out: &mut String, b: &BudgetView, cost: &Amounts) {
    let _ = writeln!(
        out,
        "Privacy budget of account {:?} ({})",
        b.account, b.period
    );
    let _ = writeln!(
        out,
        "  this report: {} (all tables in one spend, ledger entry {})",
        amounts(cost),
        b.ledger_entry
    );
    let _ = writeln!(
        out,
        "  spent {} of {}; left {}",
        amounts(&b.spent),
        amounts(&b.limit),
        amounts(&b.left)
    );
    if b.alerted {
        let _ = writeln!(
            out,
            "  alert: {:.0}% of the limit is used (alert threshold {:.0}%){}",
            b.used_fraction * 100.0,
            b.alert_threshold * 100.0,
            if b.alert_crossed_now {
                "; this report crossed it"
            } else {
                ""
            }
        );
    }
}
