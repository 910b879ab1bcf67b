//! `ilsprivacy report`: configuration → ledger (opened and checked first)
//! → input (read and checked) → one atomic spend for all tables → outputs
//! (files first, then the terminal).

use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ilsprivacy::aggregate::{Aggregator, CsvRecords, JointRelease, ReleasePlan, TablePreview};
use ilsprivacy::budget::{
    AccountStatus, Budget, Charge, Composition, Cost, Decimal, Limit, Period, Rounding,
};

use crate::args::ReportArgs;
use crate::channel::{Diagnostics, Published, say};
use crate::config::{self, BudgetPolicy, Groups, ReportConfig};
use crate::error::CliError;
use crate::fsutil::{PendingFile, create_private_dir};
use crate::input;
use crate::output::{self, files::OutFiles, period_name, show_amount};
use crate::paths;
use crate::sample::SampleCsv;
use crate::stats::{half_width, thousands, thousands_i};

/// The seed of the built-in sample.
pub const SAMPLE_SEED: u64 = 2025;

/// Runs the report (see the module documentation).
///
/// # Errors
///
/// A [`CliError`]; whatever the error, a table is released only after the
/// whole report's spend is recorded, and either every table is or none.
pub fn run(args: &ReportArgs, out: &mut Published, diag: &mut Diagnostics) -> Result<(), CliError> {
    let config = match (&args.config, &args.input) {
        (Some(path), _) => config::load(path)?,
        (None, Some(_)) => config::default_config(),
        (None, None) => config::sample(),
    };
    if args.print_config {
        return out.text(&config.text);
    }
    let max_quarantined = args.max_quarantined.unwrap_or(config.input.max_quarantined);

    // The cost, from the configuration alone (no data).
    let mut aggregators: Vec<Aggregator> = config
        .tables
        .iter()
        .map(|t| t.aggregator().map(Aggregator::new))
        .collect::<Result<_, _>>()?;
    let plans: Vec<ReleasePlan> = config
        .tables
        .iter()
        .map(|t| t.plan())
        .collect::<Result<_, _>>()?;
    let (charge, charges, previews) = {
        let pairs: Vec<(&Aggregator, &ReleasePlan)> = aggregators.iter().zip(&plans).collect();
        let joint = JointRelease::prepare(&pairs).map_err(|e| config_error(&config, e))?;
        (
            *joint.charge(),
            joint.table_charges().to_vec(),
            joint.previews(),
        )
    };
    check_report_caps(&config, &charge)?;

    // The ledger, opened and checked before any input is read.
    let (ledger_path, is_default) = paths::ledger_path(args.ledger.as_deref())?;
    let policy = &config.budget;
    let ledger = open_ledger(&ledger_path, is_default, args, policy)?;
    let budget = &ledger.budget;
    let account = policy.account.as_str();
    // A dry run of the one spend against the ledger as it is now (records nothing).
    let checked = budget.check_spends(&[(account, &charge)]).and_then(|run| {
        run.items.into_iter().next().map_or_else(
            || {
                Err(ilsprivacy::Error::Internal(
                    "a dry run gave no verdict".into(),
                ))
            },
            |item| item.outcome,
        )
    });
    let fits = match checked {
        Err(e) if !args.dry_run => {
            return Err(refusal(e, budget.status(account).ok(), &charge, policy));
        }
        other => other,
    };

    // Output files, created before the spend so a bad path fails first.
    let (out_files, html_file) = if args.dry_run {
        (None, None)
    } else {
        let names: Vec<String> = config.tables.iter().map(|t| t.name.clone()).collect();
        (
            args.out
                .as_deref()
                .map(|d| OutFiles::create(d, &names))
                .transpose()?,
            args.html.as_deref().map(PendingFile::create).transpose()?,
        )
    };

    // The input.
    let (source, reader, size) = open_input(args)?;
    let records = CsvRecords::with_source(reader, &config.input.csv_options()?, &source, size)
        .map_err(|e| {
            CliError::Input(format!(
                "{source}: {e}; nothing was spent and nothing was released"
            ))
        })?;
    input::read(
        records,
        &source,
        &config,
        max_quarantined,
        &mut aggregators,
        diag,
    )?;

    if args.dry_run {
        let status = budget.status(account).ok();
        let text = plan_text(
            &config,
            &charge,
            &charges,
            &previews,
            status.as_ref(),
            &fits,
            &ledger,
        );
        out.text(&text)?;
        return match fits {
            Ok(_) => Ok(()),
            Err(e) => Err(refusal(e, status, &charge, policy)),
        };
    }

    // One spend for every table, then every table drawn.
    let pairs: Vec<(&Aggregator, &ReleasePlan)> = aggregators.iter().zip(&plans).collect();
    let joint = JointRelease::prepare(&pairs)?;
    let (tables, receipt) = match joint.release(budget, account) {
        Ok(r) => r,
        Err(e) if matches!(e.status(), ilsprivacy::Status::BudgetExhausted) => {
            return Err(refusal(e, budget.status(account).ok(), &charge, policy));
        }
        Err(e) => return Err(e.into()),
    };
    let status = budget.status(account)?;
    let report = output::build(&config, &tables, &charges, &charge, &status, &receipt);

    // Files first (the spend is recorded: its output must reach the disk).
    if let Some(files) = out_files {
        for p in files.write(&report)? {
            say(&format!("wrote {}", p.display()));
        }
    }
    if let Some(file) = html_file {
        let target = file.target().to_path_buf();
        file.write_all_and_commit(output::html::render(&report).as_bytes())?;
        say(&format!("wrote {}", target.display()));
    }
    out.text(&output::terminal::render(&report))?;
    for t in &report.tables {
        for n in &t.notes {
            say(&format!("warning: table {:?}: {n}", t.name));
        }
    }
    if receipt.alert {
        say(&format!(
            "alert: account {account:?} has now used {:.0}% of its limit (alert threshold {:.0}%); see `ilsprivacy ledger status`",
            status.used_fraction * 100.0,
            status.alert_threshold * 100.0
        ));
    }
    Ok(())
}

fn config_error(config: &ReportConfig, e: ilsprivacy::Error) -> CliError {
    CliError::Config(config::ConfigError {
        origin: config.origin.clone(),
        line: None,
        key: "table".into(),
        message: e.to_string(),
    })
}

/// The report's ε and δ (or, for zCDP, the ε its ρ implies at the
/// per-report δ) must stay within the configuration's per-report caps.
fn check_report_caps(config: &ReportConfig, charge: &Charge) -> Result<(), CliError> {
    let policy = &config.budget;
    let cap_e = Decimal::from_printed(policy.max_epsilon_per_report, Rounding::Down);
    let cap_d = Decimal::from_printed(policy.max_delta_per_report, Rounding::Down);
    let fail = |what: String| {
        CliError::Config(config::ConfigError {
            origin: config.origin.clone(),
            line: None,
            key: "budget.max_epsilon_per_report".into(),
            message: what,
        })
    };
    match (charge.epsilon(), charge.delta(), charge.rho()) {
        (Some(e), Some(d), _) => {
            if cap_e.is_none_or(|c| e > c) || cap_d.is_none_or(|c| d > c) {
                return Err(fail(format!(
                    "the tables add up to ε {e}, δ {d}, more than one report may cost (ε {}, δ {}): lower the tables' epsilon, or raise the caps deliberately",
                    show_amount(policy.max_epsilon_per_report),
                    show_amount(policy.max_delta_per_report)
                )));
            }
        }
        (_, _, Some(rho)) => {
            let delta = policy.max_delta_per_report;
            let eps = ilsprivacy::accountant::Zcdp::new(rho.to_f64_up())
                .and_then(|z| z.epsilon(delta))
                .map_err(|e| fail(e.to_string()))?;
            if eps > policy.max_epsilon_per_report {
                return Err(fail(format!(
                    "the tables add up to ρ {rho}, which is ε {eps:.4} at δ {}: more than one report may cost (ε {})",
                    show_amount(delta),
                    show_amount(policy.max_epsilon_per_report)
                )));
            }
        }
        _ => {
            return Err(fail(
                "the tables' charge has no part a budget can charge".into(),
            ));
        }
    }
    Ok(())
}

/// The budget used: the ledger, or (dry run without a ledger or account) a
/// simulation in memory.
struct Ledger {
    budget: Budget,
    path: String,
    simulated: bool,
}

fn open_ledger(
    path: &Path,
    is_default: bool,
    args: &ReportArgs,
    policy: &BudgetPolicy,
) -> Result<Ledger, CliError> {
    let shown = path.display().to_string();
    let exists = path.exists();
    if args.dry_run && !exists {
        return Ok(Ledger {
            budget: simulated(policy)?,
            path: shown,
            simulated: true,
        });
    }
    if !exists {
        if is_default {
            if let Some(dir) = path.parent() {
                create_private_dir(dir)?;
            }
            say(&format!("creating the per-user budget ledger {shown}"));
        } else if !args.create_ledger {
            return Err(CliError::Usage(format!(
                "the ledger {shown} does not exist: check the path, or pass --create-ledger to start a new ledger there (a new ledger starts a new budget)"
            )));
        }
    }
    let budget = Budget::open(path).map_err(|e| {
        CliError::Library(match e {
            ilsprivacy::Error::Io { detail, .. } => ilsprivacy::Error::Io {
                path: shown.clone(),
                detail,
            },
            other => other,
        })
    })?;
    let account = policy.account.as_str();
    let status = budget.status(account).ok();
    let configured = status.as_ref().is_some_and(|s| s.limit.is_some());
    if !configured {
        if args.dry_run {
            return Ok(Ledger {
                budget: simulated(policy)?,
                path: shown,
                simulated: true,
            });
        }
        apply_policy(&budget, policy)?;
        say(&format!(
            "account {account:?} had no limit in the ledger: set {} per {} from the configuration",
            limit_text(policy),
            period_word(policy.period)
        ));
    } else if let Some(s) = &status {
        if s.composition != policy.composition {
            return Err(CliError::Usage(format!(
                "account {account:?} uses {} composition in the ledger, but the configuration asks for {}: use another account for this report",
                composition_word(s.composition),
                composition_word(policy.composition)
            )));
        }
        if let Some(Limit::EpsilonDelta { epsilon, delta }) = s.limit {
            let want_e = Decimal::from_printed(policy.epsilon_per_period, Rounding::Down);
            let want_d = Decimal::from_printed(policy.delta_per_period, Rounding::Down);
            if want_e != Some(epsilon) || want_d != Some(delta) || s.period != policy.period {
                say(&format!(
                    "note: account {account:?} has a limit of ε {epsilon}, δ {delta} per {} in the ledger; the configuration's ({} per {}) applies only to a new account. Adjust the ledger's limit with `ilsprivacy ledger set-limit` (the reason is recorded).",
                    period_word(s.period),
                    limit_text(policy),
                    period_word(policy.period)
                ));
            }
        }
    }
    Ok(Ledger {
        budget,
        path: shown,
        simulated: false,
    })
}

fn simulated(policy: &BudgetPolicy) -> Result<Budget, CliError> {
    let b = Budget::in_memory();
    apply_policy(&b, policy)?;
    Ok(b)
}

fn apply_policy(budget: &Budget, policy: &BudgetPolicy) -> Result<(), CliError> {
    let account = policy.account.as_str();
    if policy.composition == Composition::Zcdp {
        budget.set_composition(account, Composition::Zcdp)?;
    }
    budget.set_period(account, policy.period)?;
    budget.set_limit(
        account,
        Limit::epsilon_delta(policy.epsilon_per_period, policy.delta_per_period)?,
        "policy of the report configuration, set on the account's first report",
    )?;
    Ok(())
}

fn limit_text(p: &BudgetPolicy) -> String {
    format!(
        "ε {}, δ {}",
        show_amount(p.epsilon_per_period),
        show_amount(p.delta_per_period)
    )
}

fn period_word(p: Period) -> &'static str {
    match p {
        Period::CalendarYear => "calendar year",
        Period::CalendarMonth => "calendar month",
        _ => "lifetime",
    }
}

fn composition_word(c: Composition) -> &'static str {
    match c {
        Composition::Zcdp => "zCDP",
        _ => "basic",
    }
}

/// An opened input: its name, its bytes, its size if known.
type Input = (String, Box<dyn Read>, Option<u64>);

/// The input: a file, or the built-in sample.
fn open_input(args: &ReportArgs) -> Result<Input, CliError> {
    match &args.input {
        None => Ok((
            format!(
                "the built-in sample ({} generated checkouts)",
                thousands(args.sample_events)
            ),
            Box::new(SampleCsv::new(args.sample_events, SAMPLE_SEED)),
            None,
        )),
        Some(path) => {
            let file = File::open(path).map_err(|e| CliError::io(path, &e))?;
            let meta = file.metadata().map_err(|e| CliError::io(path, &e))?;
            if meta.is_dir() {
                return Err(CliError::Io {
                    path: path.display().to_string(),
                    detail: "is a directory".into(),
                });
            }
            let size = meta.is_file().then_some(meta.len());
            Ok((path.display().to_string(), Box::new(file), size))
        }
    }
}

/// The refusal message: what was asked, what is left, what to do — never
/// "delete the ledger".
fn refusal(
    e: ilsprivacy::Error,
    status: Option<AccountStatus>,
    charge: &Charge,
    policy: &BudgetPolicy,
) -> CliError {
    if e.status() != ilsprivacy::Status::BudgetExhausted {
        return CliError::Library(e);
    }
    let account = &policy.account;
    let mut m = String::from(
        "the privacy budget refused this report: nothing was released and nothing was charged.\n",
    );
    let need = crate::output::terminal::amounts(&crate::output::Amounts::of_charge(charge));
    let _ = writeln!(m, "  the report needs {need} (all tables in one spend)");
    if let Some(s) = &status {
        let spent = cost_text(&s.spent, s.composition);
        let left = cost_text(&s.remaining, s.composition);
        let limit = match s.limit {
            Some(Limit::EpsilonDelta { epsilon, delta }) => format!("ε {epsilon}, δ {delta}"),
            Some(Limit::Rho(r)) => format!("ρ {r}"),
            None => "none".into(),
        };
        let _ = writeln!(
            m,
            "  account {account:?} ({}): spent {spent} of {limit}; left {left}",
            period_name(s.period)
        );
    }
    m.push_str("  what to do:\n");
    let period = status.as_ref().map_or(policy.period, |s| s.period);
    match next_period(period) {
        Some(date) => {
            let _ = writeln!(
                m,
                "  - wait for the next period: the limit applies per {}, and a new one starts on {date} (UTC);",
                period_word(period)
            );
        }
        None => m.push_str(
            "  - the account's limit is for its lifetime: it does not renew, so plan fewer releases on this data;\n",
        ),
    }
    m.push_str(
        "  - or spend less: lower the tables' epsilon (`ilsprivacy report --dry-run` shows the noise each choice gives);\n",
    );
    let _ = write!(
        m,
        "  - or ask the budget's owner for an adjustment, with a reason; it is recorded in the ledger \
         (`ilsprivacy ledger set-limit --account {account:?} --epsilon … --reason \"…\"`).\n  \
         The ledger's record of every spend is what protects the patrons in this data: keep it."
    );
    CliError::Budget(m)
}

fn cost_text(c: &Cost, composition: Composition) -> String {
    match composition {
        Composition::Zcdp => format!("ρ {}", c.rho),
        _ => format!("ε {}, δ {}", c.epsilon, c.delta),
    }
}

/// The first day of the next period, for a calendar period.
fn next_period(p: Period) -> Option<String> {
    let (y, m, _) = crate::stats::today_utc();
    match p {
        Period::CalendarYear => Some(format!("{}-01-01", y + 1)),
        Period::CalendarMonth => Some(if m == 12 {
            format!("{}-01-01", y + 1)
        } else {
            format!("{y}-{:02}-01", m + 1)
        }),
        _ => None,
    }
}

/// The dry run's plan: parameters only.
fn plan_text(
    config: &ReportConfig,
    charge: &Charge,
    charges: &[Charge],
    previews: &[TablePreview],
    status: Option<&AccountStatus>,
    fits: &ilsprivacy::Result<Cost>,
    ledger: &Ledger,
) -> String {
    use crate::output::terminal::amounts;
    use crate::output::{Amounts, noise_name};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Plan for {:?} (dry run: nothing is spent or released)",
        config.title
    );
    for ((t, p), c) in config.tables.iter().zip(previews).zip(charges) {
        let _ = writeln!(s, "\ntable {:?}: {}", t.name, t.title);
        let _ = writeln!(s, "  cost: {}", amounts(&Amounts::of_charge(c)));
        match &t.groups {
            Groups::Public(list) => {
                let _ = writeln!(s, "  groups: a public list of {}", list.len());
            }
            Groups::Selected { epsilon, delta } => {
                let _ = writeln!(
                    s,
                    "  groups: selected from the data (ε {}, δ {}): a group is shown when its noisy number of patrons reaches {}",
                    show_amount(*epsilon),
                    show_amount(*delta),
                    p.selection_threshold.unwrap_or(0)
                );
            }
        }
        let _ = writeln!(
            s,
            "  bounds: each patron in at most {} group(s), adding at most {} to each{}",
            p.max_partitions_per_unit,
            p.max_contributions_per_partition,
            if t.choose_max_per_group.is_some() {
                " (an upper end: the bound is chosen privately)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "  counts: {} noise of scale {:.2} (sensitivity {}): ±{} at 95%",
            noise_name(&p.count_noise),
            p.count_noise.scale,
            p.count_noise.sensitivity,
            thousands_i(half_width(&p.count_noise, 0.05))
        );
        if let (Some(v), Some(n)) = (&t.value, p.sum_noise) {
            let _ = writeln!(
                s,
                "  sums of {} (clamped to [{}, {}]): {} noise of scale {:.2}: ±{} at 95%",
                v.column,
                v.lo,
                v.hi,
                noise_name(&n),
                n.scale,
                thousands_i(half_width(&n, 0.05))
            );
        }
    }
    let _ = writeln!(
        s,
        "\ncost of the report: {} (one spend for all tables)",
        amounts(&Amounts::of_charge(charge))
    );
    let account = &config.budget.account;
    if ledger.simulated {
        let _ = writeln!(
            s,
            "budget: the ledger ({}) has no limit for account {account:?} yet; the first real run sets {} per {} from the configuration",
            ledger.path,
            limit_text(&config.budget),
            period_word(config.budget.period)
        );
    }
    if let Some(st) = status {
        let _ = writeln!(
            s,
            "budget {account:?} ({}): spent {} so far, left {}",
            period_name(st.period),
            cost_text(&st.spent, st.composition),
            cost_text(&st.remaining, st.composition)
        );
        match fits {
            Ok(cost) => {
                let after = Cost {
                    epsilon: st.remaining.epsilon.saturating_sub(cost.epsilon),
                    delta: st.remaining.delta.saturating_sub(cost.delta),
                    rho: st.remaining.rho.saturating_sub(cost.rho),
                };
                let _ = writeln!(
                    s,
                    "the report fits: {} would be left after it",
                    cost_text(&after, st.composition)
                );
            }
            Err(_) => {
                let _ = writeln!(
                    s,
                    "the report does NOT fit the budget: a real run would be refused"
                );
            }
        }
    }
    s
}
