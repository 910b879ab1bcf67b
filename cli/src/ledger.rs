//! `ilsprivacy ledger …`: the budget ledger's accounts, integrity, entries
//! and bytes, and limit adjustments. A ledger holds parameters only
//! (accounts, amounts, mechanisms, reasons), never released values, so all
//! of this may be shown. No subcommand creates a ledger.
//!
//! Each subcommand is a function here; more (metrics, templates …) can be
//! added the same way.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ilsprivacy::budget::{AccountStatus, Budget, Composition, Limit, Period, verify_ledger_file};

use crate::args::{LedgerCommand, LedgerPath, PeriodArg};
use crate::channel::{Published, say};
use crate::error::CliError;
use crate::fsutil::PendingFile;
use crate::output::period_name;
use crate::paths;

/// Runs a `ledger` subcommand.
///
/// # Errors
///
/// [`CliError::Usage`] when there is no ledger at the path; the library's
/// errors (I/O, integrity) otherwise.
pub fn run(cmd: LedgerCommand, out: &mut Published) -> Result<(), CliError> {
    match cmd {
        LedgerCommand::Status(a) => status(&existing(&a.ledger)?, a.account.as_deref(), out),
        LedgerCommand::Verify(a) => verify(&existing(&a)?, out),
        LedgerCommand::Show(a) => show(&existing(&a.ledger)?, a.account.as_deref(), a.last, out),
        LedgerCommand::Export(a) => export(&existing(&a.ledger)?, a.out.as_deref(), out),
        LedgerCommand::SetLimit(a) => {
            let path = existing(&a.ledger)?;
            let budget = Budget::open(&path)?;
            if let Some(p) = a.period {
                budget.set_period(&a.account, period(p))?;
            }
            budget.set_limit(
                &a.account,
                Limit::epsilon_delta(a.epsilon, a.delta)?,
                &a.reason,
            )?;
            say(&format!(
                "account {:?}: limit set to ε {}, δ {} (recorded with its reason in {})",
                a.account,
                a.epsilon,
                a.delta,
                path.display()
            ));
            status(&path, Some(&a.account), out)
        }
    }
}

fn period(p: PeriodArg) -> Period {
    match p {
        PeriodArg::Lifetime => Period::Lifetime,
        PeriodArg::CalendarYear => Period::CalendarYear,
        PeriodArg::CalendarMonth => Period::CalendarMonth,
    }
}

/// The ledger path, which must exist.
fn existing(a: &LedgerPath) -> Result<PathBuf, CliError> {
    let (path, _) = paths::ledger_path(a.ledger.as_deref())?;
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "there is no ledger at {} (a ledger is created by the first report; pass --ledger PATH for another one)",
            path.display()
        )));
    }
    Ok(path)
}

fn status(path: &Path, only: Option<&str>, out: &mut Published) -> Result<(), CliError> {
    let budget = Budget::open(path)?;
    let accounts = match only {
        Some(a) => vec![a.to_owned()],
        None => budget.accounts()?,
    };
    let mut s = String::new();
    let _ = writeln!(s, "ledger {}", path.display());
    if let Some((entries, head)) = budget.ledger_head()? {
        let _ = writeln!(
            s,
            "  integrity: every entry and the hash chain checked; {entries} entries, head {head}"
        );
    }
    if accounts.is_empty() {
        let _ = writeln!(s, "  no accounts yet");
    }
    for name in accounts {
        let st = budget.status(&name)?;
        account(&mut s, &st);
    }
    let recent = budget.recent_events()?;
    let refused = recent
        .iter()
        .filter(|e| matches!(e.kind, ilsprivacy::budget::AuditKind::Refused { .. }))
        .count();
    if refused > 0 {
        let _ = writeln!(s, "  refused by this handle: {refused}");
    }
    out.text(&s)
}

fn account(s: &mut String, st: &AccountStatus) {
    let _ = writeln!(s, "\naccount {:?}", st.account);
    let rule = match st.composition {
        Composition::Zcdp => "zCDP (ρ adds up)",
        _ => "basic (ε and δ add up)",
    };
    let limit = match st.limit {
        Some(Limit::EpsilonDelta { epsilon, delta }) => format!("ε {epsilon}, δ {delta}"),
        Some(Limit::Rho(r)) => format!("ρ {r}"),
        None => "none (every spend is refused)".into(),
    };
    let _ = writeln!(s, "  composition: {rule}");
    let _ = writeln!(s, "  limit: {limit} per {}", period_name(st.period));
    if let Some(r) = st.rho_limit {
        let _ = writeln!(s, "  enforced as ρ ≤ {r}");
    }
    match st.composition {
        Composition::Zcdp => {
            let _ = writeln!(
                s,
                "  spent: ρ {} (left ρ {}); all time ρ {}",
                st.spent.rho, st.remaining.rho, st.spent_total.rho
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "  spent: ε {}, δ {} (left ε {}, δ {}); all time ε {}, δ {}",
                st.spent.epsilon,
                st.spent.delta,
                st.remaining.epsilon,
                st.remaining.delta,
                st.spent_total.epsilon,
                st.spent_total.delta
            );
        }
    }
    let _ = writeln!(
        s,
        "  used: {:.0}% of the limit; alert at {:.0}%{}; {} alert entr{} recorded; {} spend{}",
        st.used_fraction * 100.0,
        st.alert_threshold * 100.0,
        if st.alerted { " (ALERT: reached)" } else { "" },
        st.alerts,
        if st.alerts == 1 { "y" } else { "ies" },
        st.spends,
        if st.spends == 1 { "" } else { "s" }
    );
}

fn verify(path: &Path, out: &mut Published) -> Result<(), CliError> {
    let summary = verify_ledger_file(path)?;
    let mut s = format!(
        "ledger {}: OK — {} entries, {} accounts, every hash and the chain checked\nhead {}\n",
        path.display(),
        summary.entries,
        summary.accounts,
        summary.head
    );
    if summary.torn_tail_bytes > 0 {
        let _ = writeln!(
            s,
            "an unfinished last line of {} bytes is present (a write cut by a crash); the next handle to open the ledger repairs it and charges it as the ledger documentation says",
            summary.torn_tail_bytes
        );
    }
    s.push_str("record the head elsewhere: a later verify showing a different history reveals truncation\n");
    out.text(&s)
}

fn show(
    path: &Path,
    only: Option<&str>,
    last: Option<usize>,
    out: &mut Published,
) -> Result<(), CliError> {
    let budget = Budget::open(path)?;
    let bytes = budget.export_ledger()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let Ok(serde_json::Value::Object(entry)) = serde_json::from_str::<serde_json::Value>(line)
        else {
            continue;
        };
        let account = entry.get("account").and_then(|a| a.as_str());
        if only.is_some_and(|o| account != Some(o)) {
            continue;
        }
        lines.push(describe(&entry));
    }
    let skip = last.map_or(0, |n| lines.len().saturating_sub(n));
    let mut s = String::new();
    for l in &lines[skip..] {
        s.push_str(l);
        s.push('\n');
    }
    out.text(&s)
}

/// One entry as a line: sequence number, time, kind, account, parameters.
fn describe(entry: &serde_json::Map<String, serde_json::Value>) -> String {
    let get = |k: &str| entry.get(k).map(plain).unwrap_or_default();
    let mut s = format!("#{:<5} {}  {:<15}", get("seq"), get("time"), get("kind"));
    if let Some(a) = entry.get("account").and_then(|a| a.as_str()) {
        let _ = write!(s, " {a:?}");
    }
    for (k, v) in entry {
        if matches!(
            k.as_str(),
            "v" | "kind" | "seq" | "time" | "prev" | "hash" | "account" | "fragment" | "sha256"
        ) {
            continue;
        }
        let _ = write!(s, " {k}={}", plain(v));
    }
    s
}

fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(m) => {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{}", plain(v))).collect();
            format!("({})", parts.join(" "))
        }
        other => other.to_string(),
    }
}

fn export(path: &Path, to: Option<&Path>, out: &mut Published) -> Result<(), CliError> {
    let budget = Budget::open(path)?;
    let bytes = budget.export_ledger()?;
    match to {
        Some(file) => {
            PendingFile::create(file)?.write_all_and_commit(&bytes)?;
            say(&format!("wrote {} ({} bytes)", file.display(), bytes.len()));
            Ok(())
        }
        None => {
            use std::io::Write as _;
            out.write_all(&bytes).map_err(|e| CliError::Io {
                path: "standard output".into(),
                detail: e.to_string(),
            })
        }
    }
}
