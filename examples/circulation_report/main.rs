//! The circulation report: per-branch and per-format checkout statistics
//! published with differential privacy, from a CSV export of checkouts.
//!
//! ```sh
//! cargo run --release --example circulation_report                  # built-in sample
//! cargo run --release --example circulation_report -- checkouts.csv # your export
//! cargo run --release --example circulation_report -- --help
//! ```
//!
//! Steps: stream the CSV (bad rows are quarantined, never printed); replace
//! each patron ID by its HMAC-SHA256 token (key from `ILSPRIVACY_TOKEN_KEY`,
//! 64 hex characters; a clearly labelled public demo key when unset); feed
//! two aggregators that bound each patron's contribution (at most L0 branches
//! or formats, at most L∞ items in each); spend once per table from a budget
//! ledger file; print the noisy tables, their noise and the budget left.

mod sample;

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ilsprivacy::aggregate::{
    Aggregator, AggregatorConfig, CsvColumns, CsvEvents, Event, PARTITION_SEPARATOR, ReleasePlan,
    ReleasedTable, TableNoise,
};
use ilsprivacy::budget::{Budget, Limit, Period};
use ilsprivacy::token::key::{KeyEncoding, SecretKey};
use ilsprivacy::token::tokenizer::Tokenizer;
use ilsprivacy::{Error, Result};

/// The environment variable holding the tokenization key (hex).
const KEY_VAR: &str = "ILSPRIVACY_TOKEN_KEY";
/// A public key for the demo only: tokens made with it protect nothing.
const DEMO_KEY: &[u8] = b"ilsprivacy PUBLIC DEMO KEY - not secret, never use in production";
/// Checkouts in the built-in sample.
const DEFAULT_SAMPLE_EVENTS: u64 = 500_000;
/// The budget account the report spends from.
const ACCOUNT: &str = "circulation/annual-report";
/// The account's limit, per calendar year (set on first use).
const YEARLY_EPSILON: f64 = 50.0;
const YEARLY_DELTA: f64 = 1e-4;

const HELP: &str = "\
circulation_report: checkout statistics per branch and per format, published
with differential privacy.

usage: circulation_report [FILE.csv] [--events N] [--ledger PATH]
       circulation_report --write-sample N FILE.csv

  FILE.csv          a checkout export with the columns patron_id, branch,
                    format, items and loan_days (header row required);
                    without it, a generated sample is used
  --events N        size of the generated sample (default 500000)
  --ledger PATH     the budget ledger file (default: a file in the system's
                    temporary folder)
  --write-sample N FILE.csv
                    write a generated sample of N checkouts and exit

The tokenization key is read from ILSPRIVACY_TOKEN_KEY (64 hex characters);
when it is unset a public demo key is used and the report says so.";

enum Input {
    Sample(u64),
    File(PathBuf),
}

struct Options {
    input: Input,
    ledger: PathBuf,
}

fn parse_args() -> std::result::Result<Option<Options>, String> {
    let mut args = std::env::args().skip(1);
    let mut input = Input::Sample(DEFAULT_SAMPLE_EVENTS);
    let mut ledger = std::env::temp_dir().join("ilsprivacy-circulation-report.ledger");
    let number = |v: Option<String>, what: &str| {
        v.and_then(|s| s.replace('_', "").parse::<u64>().ok())
            .ok_or_else(|| format!("{what} needs a whole number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(None);
            }
            "--events" => input = Input::Sample(number(args.next(), "--events")?),
            "--ledger" => ledger = args.next().ok_or("--ledger needs a path")?.into(),
            "--write-sample" => {
                let n = number(args.next(), "--write-sample")?;
                let path = args.next().ok_or("--write-sample needs a file name")?;
                write_sample(n, &path).map_err(|e| format!("cannot write {path}: {e}"))?;
                eprintln!("wrote {} generated checkouts to {path}", thousands(n));
                return Ok(None);
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag} (see --help)"));
            }
            path => input = Input::File(path.into()),
        }
    }
    Ok(Some(Options { input, ledger }))
}

fn write_sample(n: u64, path: &str) -> io::Result<()> {
    let mut out = io::BufWriter::new(File::create(path)?);
    io::copy(&mut sample::SampleCsv::new(n, 2025), &mut out)?;
    out.flush()
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if e.status() == ilsprivacy::Status::BudgetExhausted {
                eprintln!(
                    "nothing was released. The demo ledger is {}: delete it (or pass --ledger) to start over.",
                    options.ledger.display()
                );
            }
            ExitCode::from(u8::try_from(e.status().code()).unwrap_or(1))
        }
    }
}

/// The tokenizer, and whether it uses the public demo key.
fn tokenizer() -> Result<(Tokenizer, bool)> {
    match std::env::var_os(KEY_VAR) {
        Some(_) => Ok((
            Tokenizer::from_key(&SecretKey::from_env(KEY_VAR, KeyEncoding::Hex)?),
            false,
        )),
        None => Ok((Tokenizer::from_key(&SecretKey::from_bytes(DEMO_KEY)?), true)),
    }
}

fn run(options: &Options) -> Result<()> {
    let (tokenizer, demo_key) = tokenizer()?;
    let columns = CsvColumns::new("patron_id", "branch")
        .with_partition_columns(&["branch", "format"])
        .with_count("items")
        .with_value("loan_days");
    let (reader, total, label): (Box<dyn Read>, Progress, String) = match &options.input {
        Input::Sample(n) => (
            Box::new(sample::SampleCsv::new(*n, 2025)),
            Progress::Rows(*n),
            format!(
                "{} generated checkouts (built-in sample; --help for options)",
                thousands(*n)
            ),
        ),
        Input::File(path) => {
            let file = File::open(path).map_err(|e| Error::Io {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            (
                Box::new(file),
                Progress::Bytes(size),
                path.display().to_string(),
            )
        }
    };
    println!("ilsprivacy circulation report: {label}");
    if demo_key {
        println!(
            "patron IDs are tokenized with the PUBLIC DEMO KEY: set {KEY_VAR} to 64 hex characters of a secret key"
        );
    } else {
        println!("patron IDs are tokenized with HMAC-SHA256 under the key in {KEY_VAR}");
    }

    // Per branch: each patron counts in at most 2 branches; loan days summed
    // with each checkout's days clamped to [0, 30]. Branches are public.
    let mut per_branch = Aggregator::new(
        AggregatorConfig::new(2)?
            .with_value_bounds(0, 30)?
            .with_public_partitions(sample::BRANCHES.iter().map(|(code, _)| code))?,
    );
    // Per format: at most 2 formats per patron; formats come from the data,
    // so which ones are published is decided privately.
    let mut per_format = Aggregator::new(AggregatorConfig::new(2)?);

    let started = Instant::now();
    let mut rows = CsvEvents::new(reader, &columns)?;
    let mut progress = ProgressLine::new(total);
    let mut token = [0u8; 64];
    while let Some(event) = rows.next_event()? {
        let patron = std::str::from_utf8(event.unit).map_err(|e| Error::Encoding {
            param: "patron_id",
            offset: e.valid_up_to(),
        })?;
        tokenizer.tokenize_to(patron, &mut token);
        let split = event
            .partition
            .iter()
            .position(|&b| b == PARTITION_SEPARATOR)
            .unwrap_or(event.partition.len());
        let (branch, format) = event.partition.split_at(split);
        let format = format.get(1..).unwrap_or_default();
        per_branch.add(Event {
            unit: &token,
            partition: branch,
            ..event
        })?;
        per_format.add(Event {
            unit: &token,
            partition: format,
            ..event
        })?;
        if rows.rows_read().is_multiple_of(65_536) {
            progress.update(rows.rows_read(), rows.bytes_read());
        }
    }
    progress.finish();
    println!(
        "read {} rows in {:.1} s",
        thousands(rows.rows_read()),
        started.elapsed().as_secs_f64()
    );
    if rows.quarantine().rows() > 0 {
        print!("{}", rows.quarantine());
    }

    let budget = Budget::open(&options.ledger)?;
    if budget.status(ACCOUNT).map_or(true, |s| s.limit.is_none()) {
        budget.set_limit(
            ACCOUNT,
            Limit::epsilon_delta(YEARLY_EPSILON, YEARLY_DELTA)?,
            "circulation report demo: yearly limit",
        )?;
        budget.set_period(ACCOUNT, Period::CalendarYear)?;
    }

    // At most 50 items per patron and branch (or format) count.
    let branch_plan = ReleasePlan::new(50, TableNoise::Laplace { epsilon: 0.3 })?
        .with_sum(TableNoise::Laplace { epsilon: 0.3 })?;
    let branches = per_branch.release(&branch_plan, &budget, ACCOUNT)?;
    print_branches(&branches);

    let format_plan = ReleasePlan::new(50, TableNoise::Laplace { epsilon: 0.2 })?
        .with_partition_selection(0.2, 1e-6)?;
    let formats = per_format.release(&format_plan, &budget, ACCOUNT)?;
    print_formats(&formats);

    let status = budget.status(ACCOUNT)?;
    let (limit_eps, limit_delta) = match status.limit {
        Some(Limit::EpsilonDelta { epsilon, delta }) => (epsilon.to_string(), delta.to_string()),
        _ => ("?".into(), "?".into()),
    };
    println!(
        "\nbudget {ACCOUNT:?} ({}): this year ε {} of {limit_eps} and δ {} of {limit_delta} spent; ε {} left",
        options.ledger.display(),
        status.spent.epsilon,
        status.spent.delta,
        status.remaining.epsilon,
    );
    Ok(())
}

fn show_delta(delta: f64) -> String {
    if delta == 0.0 {
        "0".into()
    } else {
        format!("{delta:e}")
    }
}

/// Half-width of the interval holding 95% of discrete Laplace noise of scale `t`.
fn laplace_95(t: f64) -> f64 {
    // P(|Z| ≥ k) = 2 r^k / (1 + r), r = e^(−1/t).
    let r = (-1.0 / t).exp();
    (0.05 * (1.0 + r) / 2.0).ln() / r.ln()
}

fn print_branches(t: &ReleasedTable) {
    println!(
        "\nCheckouts and loan days per branch (ε = {}, δ = {})",
        t.epsilon,
        show_delta(t.delta)
    );
    println!(
        "  each patron counts in at most {} branches, with at most {} items per branch",
        t.max_partitions_per_unit, t.max_contributions_per_partition
    );
    let sum_scale = t.sum_noise.map_or(0.0, |s| s.scale);
    println!(
        "  noise: discrete Laplace, ±{:.0} on checkouts and ±{:.0} on loan days (95% of cells)",
        laplace_95(t.count_noise.scale),
        laplace_95(sum_scale)
    );
    println!(
        "  {:<12} {:>10} {:>12} {:>9}",
        "branch", "checkouts", "loan days", "avg days"
    );
    for row in &t.rows {
        let name = row.partition_str().unwrap_or("?");
        match (row.count, row.sum) {
            (Some(c), Some(s)) => {
                let avg = if c > 0 {
                    format!("{:.1}", s as f64 / c as f64)
                } else {
                    "-".into()
                };
                println!(
                    "  {name:<12} {:>10} {:>12} {avg:>9}",
                    thousands_i(c),
                    thousands_i(s)
                );
            }
            _ => println!("  {name:<12} {:>10}", "(withheld)"),
        }
    }
}

fn print_formats(t: &ReleasedTable) {
    println!(
        "\nCheckouts per item format, formats chosen privately (ε = {}, δ = {})",
        t.epsilon,
        show_delta(t.delta)
    );
    println!(
        "  each patron counts in at most {} formats, with at most {} items per format; a format is shown only if",
        t.max_partitions_per_unit, t.max_contributions_per_partition
    );
    println!(
        "  its noisy number of patrons reaches {}: formats used by too few patrons are not shown",
        t.selection_threshold.unwrap_or(0)
    );
    println!(
        "  noise: discrete Laplace, ±{:.0} on checkouts (95% of cells)",
        laplace_95(t.count_noise.scale)
    );
    println!("  {:<12} {:>10}", "format", "checkouts");
    for row in &t.rows {
        let name = row.partition_str().unwrap_or("?");
        let count = row.count.map_or("(withheld)".into(), thousands_i);
        println!("  {name:<12} {count:>10}");
    }
}

/// What 100% of the input is, for the progress display.
#[derive(Clone, Copy)]
enum Progress {
    Rows(u64),
    Bytes(u64),
}

/// A progress display on standard error for long inputs: rewritten in place
/// on a terminal, a line every 10% otherwise.
struct ProgressLine {
    total: Progress,
    started: Instant,
    last: Instant,
    tty: bool,
    shown: bool,
    next_decile: u64,
}

impl ProgressLine {
    fn new(total: Progress) -> Self {
        let now = Instant::now();
        ProgressLine {
            total,
            started: now,
            last: now,
            tty: io::stderr().is_terminal(),
            shown: false,
            next_decile: 1,
        }
    }

    fn update(&mut self, rows: u64, bytes: u64) {
        // Quiet for short inputs; then at most twice a second.
        if self.started.elapsed() < Duration::from_secs(1)
            || self.last.elapsed() < Duration::from_millis(500)
        {
            return;
        }
        self.last = Instant::now();
        let percent = match self.total {
            Progress::Rows(n) if n > 0 => rows * 100 / n,
            Progress::Bytes(n) if n > 0 => bytes * 100 / n,
            _ => 0,
        };
        let line = format!("  reading: {} rows ({percent}%)", thousands(rows));
        if self.tty {
            eprint!("\r{line}");
            self.shown = true;
        } else if percent >= self.next_decile * 10 {
            eprintln!("{line}");
            self.next_decile = percent / 10 + 1;
        }
    }

    fn finish(&self) {
        if self.shown {
            eprint!("\r{:60}\r", "");
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thousands_i(n: i64) -> String {
    if n < 0 {
        format!("-{}", thousands(n.unsigned_abs()))
    } else {
        thousands(n as u64)
    }
}
