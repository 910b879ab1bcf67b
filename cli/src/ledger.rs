//! `ilsprivacy ledger …`: the budget ledger's accounts, integrity, entries
//! and bytes, and limit adjustments. A ledger holds parameters only
//! (accounts, amounts, mechanisms, reasons), never released values, so all
//! of this may be shown. No subcommand creates a ledger.
//!
//! Each subcommand is a function here; the governance subcommands
//! (templates, suspension, burn-rate plans, dry runs, metrics) too.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::time::Duration;

use ilsprivacy::budget::{
    AccountStatus, Budget, BudgetMetrics, BurnPlan, Charge, Composition, Limit, Period,
    QueryTemplate, TemplateMechanism, verify_ledger_file,
};

use crate::args::{
    LedgerBurnPlanArgs, LedgerCommand, LedgerPath, LedgerPlanArgs, LedgerTemplateAddArgs,
    LedgerTemplateCommand, LedgerVerifyArgs, PeriodArg,
};
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
        LedgerCommand::Verify(a) => verify(&a, out),
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
        LedgerCommand::Metrics(a) => metrics(&existing(&a)?, out),
        LedgerCommand::Template(t) => template(t, out),
        LedgerCommand::Suspend(a) => {
            let path = existing(&a.ledger)?;
            Budget::open(&path)?.suspend(&a.account, &a.reason)?;
            say(&format!(
                "account {:?} suspended: every spend on it is refused until `ilsprivacy ledger resume`",
                a.account
            ));
            status(&path, Some(&a.account), out)
        }
        LedgerCommand::Resume(a) => {
            let path = existing(&a.ledger)?;
            Budget::open(&path)?.resume(&a.account, &a.reason)?;
            say(&format!("account {:?} resumed", a.account));
            status(&path, Some(&a.account), out)
        }
        LedgerCommand::BurnPlan(a) => burn_plan(&a, out),
        LedgerCommand::Plan(a) => plan(&a, out),
    }
}

fn template(cmd: LedgerTemplateCommand, out: &mut Published) -> Result<(), CliError> {
    match cmd {
        LedgerTemplateCommand::Add(a) => {
            let path = existing(&a.ledger)?;
            let t = template_of(&a)?;
            Budget::open(&path)?.set_template(&a.account, &t, &a.reason)?;
            say(&format!(
                "account {:?}: template {:?} recorded (it restricts spends once `ledger template enforce` is on)",
                a.account, a.name
            ));
            status(&path, Some(&a.account), out)
        }
        LedgerTemplateCommand::Remove(a) => {
            let path = existing(&a.ledger)?;
            Budget::open(&path)?.remove_template(&a.account, &a.name, &a.reason)?;
            status(&path, Some(&a.account), out)
        }
        LedgerTemplateCommand::Enforce(a) => {
            let path = existing(&a.ledger)?;
            Budget::open(&path)?.set_templates_only(&a.account, !a.off, &a.reason)?;
            status(&path, Some(&a.account), out)
        }
    }
}

fn template_of(a: &LedgerTemplateAddArgs) -> Result<QueryTemplate, CliError> {
    let mut t = QueryTemplate::new(&a.name)?;
    if let Some(m) = &a.mechanism {
        t = t.mechanism(TemplateMechanism::from_name(m).ok_or_else(|| {
            CliError::Usage(format!(
                "--mechanism {m:?} is not one of laplace, discrete_laplace, gaussian, discrete_gaussian, randomized_response, exponential"
            ))
        })?);
    }
    if let Some(s) = a.max_sensitivity {
        t = t.max_sensitivity(s)?;
    }
    if let Some(max) = a.epsilon_max {
        t = t.epsilon(a.epsilon_min, max)?;
    }
    if let Some(max) = a.delta_max {
        t = t.delta(0.0, max)?;
    }
    if let Some(max) = a.rho_max {
        t = t.rho(0.0, max)?;
    }
    t.validate()?;
    Ok(t)
}

fn burn_plan(a: &LedgerBurnPlanArgs, out: &mut Published) -> Result<(), CliError> {
    let path = existing(&a.ledger)?;
    let budget = Budget::open(&path)?;
    let plan = if a.remove {
        None
    } else {
        let window = Duration::from_secs(a.window_hours.saturating_mul(3600));
        Some(match a.planned {
            Some(p) => BurnPlan::new(p, window, a.factor)?,
            None => {
                let st = budget.status(&a.account)?;
                let total = match (st.composition, st.limit, st.rho_limit) {
                    (Composition::Zcdp, _, Some(rho)) => rho,
                    (_, Some(Limit::EpsilonDelta { epsilon, .. }), _) => epsilon,
                    _ => {
                        return Err(CliError::Usage(format!(
                            "account {:?} has no limit to spread over a year: pass --planned",
                            a.account
                        )));
                    }
                };
                // The limit's period: a month's limit over 30 days, else a year.
                let days = match st.period {
                    Period::CalendarMonth => 30,
                    _ => 365,
                };
                BurnPlan::spread(
                    total.to_f64_approx(),
                    Duration::from_secs(days * 86_400),
                    window,
                    a.factor,
                )?
            }
        })
    };
    budget.set_burn_plan(&a.account, plan)?;
    status(&path, Some(&a.account), out)
}

/// `ACCOUNT=EPS[,DELTA]`.
fn parse_spend(text: &str) -> Result<(String, Charge), CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--spend {text:?} is not ACCOUNT=EPSILON or ACCOUNT=EPSILON,DELTA"
        ))
    };
    let (account, amounts) = text.rsplit_once('=').ok_or_else(bad)?;
    let (eps, delta) = match amounts.split_once(',') {
        Some((e, d)) => (e, d),
        None => (amounts, "0"),
    };
    let eps: f64 = eps.trim().parse().map_err(|_| bad())?;
    let delta: f64 = delta.trim().parse().map_err(|_| bad())?;
    Ok((account.to_owned(), Charge::approximate_dp(eps, delta)?))
}

fn plan(a: &LedgerPlanArgs, out: &mut Published) -> Result<(), CliError> {
    let path = existing(&a.ledger)?;
    let parsed: Vec<(String, Charge)> = a
        .spends
        .iter()
        .map(|s| parse_spend(s))
        .collect::<Result<_, _>>()?;
    let budget = Budget::open(&path)?;
    let list: Vec<(&str, &Charge)> = parsed.iter().map(|(a, c)| (a.as_str(), c)).collect();
    let run = budget.check_spends(&list)?;
    let mut s = format!(
        "dry run against {} (nothing recorded); in order:\n",
        path.display()
    );
    for ((account, charge), item) in parsed.iter().zip(&run.items) {
        let amount = format!(
            "ε {}, δ {}",
            charge.epsilon().unwrap_or_default(),
            charge.delta().unwrap_or_default()
        );
        match &item.outcome {
            Ok(_) => {
                let _ = writeln!(s, "  {account:?} {amount}: fits");
            }
            Err(e) => {
                let _ = writeln!(s, "  {account:?} {amount}: does not fit — {e}");
            }
        }
    }
    let _ = writeln!(
        s,
        "{}",
        if run.fits() {
            "all fit now (other spends may come first; only a spend decides)"
        } else {
            "not all fit"
        }
    );
    out.text(&s)?;
    if run.fits() {
        Ok(())
    } else {
        Err(CliError::Budget(
            "the dry run found spends that do not fit (see above); nothing was recorded".into(),
        ))
    }
}

fn metrics(path: &Path, out: &mut Published) -> Result<(), CliError> {
    let text = match verify_ledger_file(path) {
        Err(ilsprivacy::Error::LedgerIntegrity(e)) => {
            say(&format!("ledger integrity error: {e}"));
            BudgetMetrics::integrity_failed().to_prometheus(false)
        }
        Err(e) => return Err(e.into()),
        Ok(_) => Budget::open(path)?.metrics()?.to_prometheus(false),
    };
    out.text(&text)
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
        let _ = writeln!(
            s,
            "  record the head elsewhere; `ilsprivacy ledger verify --expect-head {head}` later detects a truncation or rollback"
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
    if let Some(reason) = &st.suspended {
        let _ = writeln!(s, "  SUSPENDED: every spend is refused ({reason})");
    }
    if st.templates_only || !st.templates.is_empty() {
        let _ = writeln!(
            s,
            "  templates ({}):",
            if st.templates_only {
                "enforced: only matching spends are admitted"
            } else {
                "not enforced"
            }
        );
        for t in &st.templates {
            let _ = writeln!(s, "    {}", template_text(t));
        }
    }
    if let Some(p) = &st.burn_plan {
        let _ = writeln!(
            s,
            "  burn-rate plan: {} per {} h, alert past {}x; spent in the window {}{}; {} burn-rate alert{}",
            p.planned,
            p.window_secs / 3600,
            p.factor,
            st.burn_window_spent,
            if st.burn_alerted {
                " (ALERT: past the plan)"
            } else {
                ""
            },
            st.burn_alerts,
            if st.burn_alerts == 1 { "" } else { "s" }
        );
    }
}

fn template_text(t: &QueryTemplate) -> String {
    let mut s = format!("{:?}:", t.name);
    match t.mechanism {
        Some(m) => {
            let _ = write!(s, " {}", m.name());
        }
        None => s.push_str(" any mechanism"),
    }
    if let Some(x) = t.max_sensitivity {
        let _ = write!(s, ", sensitivity ≤ {x}");
    }
    for (what, r) in [("ε", t.epsilon), ("δ", t.delta), ("ρ", t.rho)] {
        if let Some(r) = r {
            let _ = write!(s, ", {what} in [{}, {}]", r.min, r.max);
        }
    }
    s
}

fn verify(a: &LedgerVerifyArgs, out: &mut Published) -> Result<(), CliError> {
    let path = &existing(&a.ledger)?;
    if let Some(h) = &a.expect_head
        && !(h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(CliError::Usage(format!(
            "--expect-head must be 64 hexadecimal characters (a head printed by `ledger status` or `ledger verify`), got {} characters",
            h.len()
        )));
    }
    let summary = verify_ledger_file(path)?;
    let reconciled = match &a.expect_head {
        None => None,
        Some(h) => Some(find_head(path, &h.to_ascii_lowercase(), summary.entries)?),
    };
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
    match reconciled {
        Some(0) => s.push_str("the recorded head is this ledger's head: nothing was appended since\n"),
        Some(n) => {
            let _ = writeln!(
                s,
                "the recorded head is in this ledger, followed by {n} later entr{} (appended since it was recorded)",
                if n == 1 { "y" } else { "ies" }
            );
        }
        None => s.push_str(
            "record the head elsewhere: `ledger verify --expect-head HEAD` later detects a truncation or rollback\n",
        ),
    }
    out.text(&s)
}

/// How many entries follow the entry whose hash is `head` (0: it is the
/// last); an error when no entry has that hash: the ledger was truncated,
/// rolled back or replaced since `head` was recorded.
fn find_head(path: &Path, head: &str, entries: u64) -> Result<u64, CliError> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|e| CliError::io(path, &e))?;
    let suffix = format!("\"hash\":\"{head}\"}}");
    let mut seen = 0u64;
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| CliError::io(path, &e))?;
        if line.ends_with(&[0x18]) {
            continue; // an unfinished write kept in place: not an entry
        }
        seen += 1;
        if line.ends_with(suffix.as_bytes()) {
            return Ok(entries.saturating_sub(seen));
        }
    }
    Err(CliError::Library(ilsprivacy::Error::LedgerIntegrity(
        format!(
            "the recorded head {head} is not in this ledger ({entries} entries): it was truncated, rolled back to an older copy, or replaced since the head was recorded"
        ),
    )))
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
