//! The command line (clap). `ilsprivacy --help` and `ilsprivacy <command>
//! --help` print what is documented here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Differential privacy for library circulation data: reports from your own
/// export, an honest privacy budget, nothing un-noised.
#[derive(Debug, Parser)]
#[command(name = "ilsprivacy", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The circulation report: tables released with differential privacy
    /// from a CSV export (or the built-in sample), charged to the budget
    /// ledger in one spend.
    Report(ReportArgs),
    /// The budget ledger: accounts, limits, spends, integrity.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Planning: ε after k releases, releases that fit, noise for a target.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Replace patron IDs in a CSV export by keyed tokens (HMAC-SHA256),
    /// with masking rules per column from a config file.
    Tokenize(TokenizeArgs),
    /// Write the built-in sample export (generated checkouts) as CSV.
    Sample(SampleArgs),
    /// Evaluate a retention policy against a CSV export on a reference date
    /// and write the action due on each field of each row (nothing is
    /// deleted).
    Retention(RetentionArgs),
    /// Write a CSV export masked for one role (deny by default, FERPA
    /// directory opt-outs), optionally k-anonymous over quasi-identifiers.
    Export(ExportArgs),
}

/// `ilsprivacy retention`.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// The CSV export (a header row is required).
    pub input: PathBuf,
    /// The actions file to write (CSV: `line`, then the action per column;
    /// written atomically).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The policy file (TOML or JSON; see examples/policies/).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The reference date, YYYY-MM-DD (a civil date in UTC).
    #[arg(long, value_name = "DATE")]
    pub as_of: String,
    /// The record class of every row (circulation_history, holds, fines,
    /// patron_contact, student_records).
    #[arg(long, value_name = "CLASS")]
    pub class: Option<String>,
    /// The column holding each row's record class instead.
    #[arg(long, value_name = "NAME")]
    pub class_column: Option<String>,
    /// Also write the audit summary (policy, version, counts; no values) as JSON.
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// The input's delimiter: auto, or one character (',', ';', tab …).
    #[arg(long, default_value = "auto")]
    pub delimiter: String,
    /// Write the operator diagnostics to FILE instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub diagnostics: Option<PathBuf>,
}

/// `ilsprivacy export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The CSV export (a header row is required).
    pub input: PathBuf,
    /// The CSV file to write (atomically; not written if the run fails).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The policy file (TOML or JSON; see examples/policies/).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The requesting role, as named in the policy's [access.roles].
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// Make the export k-anonymous over --quasi (default: the policy's k).
    #[arg(long, value_name = "K")]
    pub k: Option<u64>,
    /// The quasi-identifier columns, comma-separated.
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub quasi: Vec<String>,
    /// The most rows that may be suppressed, as a fraction or a percentage
    /// (default: the policy's max_suppression, else 0).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub max_suppression: Option<f64>,
    /// The environment variable holding the key (for columns the role tokenizes).
    #[arg(long, value_name = "VAR", default_value = "ILSPRIVACY_TOKEN_KEY")]
    pub key_env: String,
    /// Read the key from FILE instead of the environment.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// How the key is written: hex text or raw bytes.
    #[arg(long, value_enum, default_value = "hex")]
    pub key_encoding: KeyEncodingArg,
    /// The key id of the tokens.
    #[arg(long, value_name = "ID", default_value = "k1")]
    pub key_id: String,
    /// The input's delimiter: auto, or one character (',', ';', tab …).
    #[arg(long, default_value = "auto")]
    pub delimiter: String,
    /// Write the operator diagnostics to FILE instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub diagnostics: Option<PathBuf>,
}

/// `ilsprivacy report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The CSV export (a header row is required). Without it, the built-in
    /// sample is used with the built-in sample configuration.
    pub input: Option<PathBuf>,
    /// The report configuration (TOML; see docs/cli.md). Without it, the
    /// documented default configuration applies to a CSV export.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The budget ledger (default: $XDG_STATE_HOME/ilsprivacy/budget.ledger,
    /// else ~/.local/state/ilsprivacy/budget.ledger).
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Create the --ledger file if it does not exist. An explicit --ledger
    /// must otherwise exist, so that a mistyped path never starts a fresh
    /// budget (the per-user default ledger is created on first use).
    #[arg(long)]
    pub create_ledger: bool,
    /// Also write the tables as CSV files and report.json into DIR.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write the report as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Read and check the input and print the plan (noise, expected error,
    /// cost, budget left after it); spend and release nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop before spending when more than this share of rows is
    /// quarantined, as a fraction or a percentage (default from the
    /// config, else 1%).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub max_quarantined: Option<f64>,
    /// Write the operator diagnostics (exact figures, not for publication)
    /// to FILE instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub diagnostics: Option<PathBuf>,
    /// Checkouts in the built-in sample.
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    pub sample_events: u64,
    /// Print the configuration that would be used (TOML) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// `ilsprivacy ledger …`. Every subcommand takes `--ledger PATH` (default:
/// the per-user ledger); none creates a ledger.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Accounts, limits, spent and left, alerts, the head hash.
    Status(LedgerStatusArgs),
    /// Check every entry and the hash chain; print the head to record elsewhere.
    Verify(LedgerVerifyArgs),
    /// The entries (parameters only: accounts, amounts, mechanisms, reasons).
    Show(LedgerShowArgs),
    /// The ledger's bytes, checked, to standard output or a file.
    Export(LedgerExportArgs),
    /// Set or adjust an account's limit, with a reason recorded in the ledger.
    SetLimit(LedgerSetLimitArgs),
    /// Every account's figures in the Prometheus text format (for a
    /// node-exporter textfile collector or any scraper).
    Metrics(LedgerPath),
    /// Pre-approved query templates of an account.
    #[command(subcommand)]
    Template(LedgerTemplateCommand),
    /// Suspend an account: it refuses every spend until resumed.
    Suspend(LedgerReasonArgs),
    /// Resume a suspended account.
    Resume(LedgerReasonArgs),
    /// Set or remove an account's burn-rate plan (alert when the spend over
    /// a window exceeds a factor times the plan).
    BurnPlan(LedgerBurnPlanArgs),
    /// Dry run: would these spends fit now? Records nothing.
    Plan(LedgerPlanArgs),
}

/// `ledger verify`.
#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// A head recorded earlier (64 hex characters): the ledger must still
    /// contain it, as its last entry or followed by later ones; otherwise
    /// it was truncated, rolled back or replaced.
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<String>,
}

/// An account and a reason (suspend, resume).
#[derive(Debug, Args)]
pub struct LedgerReasonArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// Why (recorded in the ledger; never patron data).
    #[arg(long)]
    pub reason: String,
}

/// `ledger template …`.
#[derive(Debug, Subcommand)]
pub enum LedgerTemplateCommand {
    /// Add a template (or replace the one of the same name).
    Add(LedgerTemplateAddArgs),
    /// Remove a template.
    Remove(LedgerTemplateNameArgs),
    /// Accept only spends that match a template (--off: any spend again).
    Enforce(LedgerTemplateEnforceArgs),
}

/// `ledger template add`.
#[derive(Debug, Args)]
pub struct LedgerTemplateAddArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// The template's name (A-Z a-z 0-9 . _ -, at most 64).
    #[arg(long)]
    pub name: String,
    /// The mechanism a spend must use (laplace, discrete_laplace, gaussian,
    /// discrete_gaussian, randomized_response, exponential).
    #[arg(long)]
    pub mechanism: Option<String>,
    /// The largest sensitivity the mechanism may charge (its grid rounding
    /// included: allow e.g. 1.001 for 1).
    #[arg(long)]
    pub max_sensitivity: Option<f64>,
    /// The smallest ε allowed (with --epsilon-max; default 0).
    #[arg(long, default_value_t = 0.0)]
    pub epsilon_min: f64,
    /// The largest ε allowed.
    #[arg(long)]
    pub epsilon_max: Option<f64>,
    /// The largest δ allowed.
    #[arg(long)]
    pub delta_max: Option<f64>,
    /// The largest ρ allowed.
    #[arg(long)]
    pub rho_max: Option<f64>,
    /// Why (recorded in the ledger; never patron data).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `ledger template remove`.
#[derive(Debug, Args)]
pub struct LedgerTemplateNameArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// The template's name.
    #[arg(long)]
    pub name: String,
    /// Why (recorded in the ledger; never patron data).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `ledger template enforce`.
#[derive(Debug, Args)]
pub struct LedgerTemplateEnforceArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// Switch enforcement off (accept any spend that fits the limit).
    #[arg(long)]
    pub off: bool,
    /// Why (recorded in the ledger; never patron data).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// `ledger burn-plan`.
#[derive(Debug, Args)]
pub struct LedgerBurnPlanArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// The planned spend per window (ε for basic accounts, ρ for zCDP);
    /// default: the account's ε or ρ limit spread evenly over its period
    /// (30 days for a calendar-month limit, else 365 days).
    #[arg(long)]
    pub planned: Option<f64>,
    /// The window, in hours.
    #[arg(long, default_value_t = 24)]
    pub window_hours: u64,
    /// Alert when the window's spend exceeds this many times the plan.
    #[arg(long, default_value_t = 3.0)]
    pub factor: f64,
    /// Remove the plan instead.
    #[arg(long)]
    pub remove: bool,
}

/// `ledger plan`.
#[derive(Debug, Args)]
pub struct LedgerPlanArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// A spend to check, `ACCOUNT=EPSILON` or `ACCOUNT=EPSILON,DELTA`
    /// (repeat; they add up in order).
    #[arg(long = "spend", value_name = "ACCOUNT=EPS[,DELTA]", required = true)]
    pub spends: Vec<String>,
}

/// The ledger to use.
#[derive(Debug, Args)]
pub struct LedgerPath {
    /// The budget ledger (default: the per-user ledger).
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

/// `ledger status`.
#[derive(Debug, Args)]
pub struct LedgerStatusArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// Only this account.
    #[arg(long)]
    pub account: Option<String>,
}

/// `ledger show`.
#[derive(Debug, Args)]
pub struct LedgerShowArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// Only entries of this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only the last N entries.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
}

/// `ledger export`.
#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `ledger set-limit`.
#[derive(Debug, Args)]
pub struct LedgerSetLimitArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ledger: LedgerPath,
    /// The account.
    #[arg(long)]
    pub account: String,
    /// The ε limit.
    #[arg(long)]
    pub epsilon: f64,
    /// The δ limit.
    #[arg(long, default_value_t = 0.0)]
    pub delta: f64,
    /// The period the limit applies to (set with the limit).
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// Why (recorded in the ledger; never patron data).
    #[arg(long)]
    pub reason: String,
}

/// A limit's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    /// Every spend ever.
    Lifetime,
    /// Spends of the current UTC calendar year.
    CalendarYear,
    /// Spends of the current UTC calendar month.
    CalendarMonth,
}

/// `ilsprivacy plan …`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// ε after K releases of one mechanism at a given noise scale.
    Epsilon(PlanEpsilonArgs),
    /// How many releases at a given noise scale fit in (ε, δ).
    Releases(PlanReleasesArgs),
    /// The noise scale (Laplace b or Gaussian σ) for K releases within (ε, δ).
    Scale(PlanScaleArgs),
}

/// What every planner needs.
#[derive(Debug, Args)]
pub struct PlanCommon {
    /// The noise.
    #[arg(long, value_enum, default_value = "laplace")]
    pub noise: NoiseArg,
    /// The sensitivity (L1 for Laplace, L2 for Gaussian).
    #[arg(long, default_value_t = 1.0)]
    pub sensitivity: f64,
    /// δ of the guarantee.
    #[arg(long, default_value_t = 1e-6)]
    pub delta: f64,
    /// The accounting method.
    #[arg(long, value_enum, default_value = "best")]
    pub method: MethodArg,
}

/// `plan epsilon`.
#[derive(Debug, Args)]
pub struct PlanEpsilonArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: PlanCommon,
    /// The noise scale (Laplace b or Gaussian σ).
    #[arg(long)]
    pub scale: f64,
    /// The number of releases.
    #[arg(long)]
    pub releases: u64,
}

/// `plan releases`.
#[derive(Debug, Args)]
pub struct PlanReleasesArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: PlanCommon,
    /// The noise scale (Laplace b or Gaussian σ).
    #[arg(long)]
    pub scale: f64,
    /// The ε to stay within.
    #[arg(long)]
    pub epsilon: f64,
}

/// `plan scale`.
#[derive(Debug, Args)]
pub struct PlanScaleArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: PlanCommon,
    /// The number of releases.
    #[arg(long)]
    pub releases: u64,
    /// The ε to stay within.
    #[arg(long)]
    pub epsilon: f64,
}

/// A planner's noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NoiseArg {
    /// Laplace noise (ε-DP).
    Laplace,
    /// Gaussian noise ((ε, δ)-DP, zCDP).
    Gaussian,
}

/// An accounting method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// The smallest of the methods that apply.
    Best,
    /// Basic composition.
    Basic,
    /// Advanced composition.
    Advanced,
    /// Optimal composition of identical releases.
    Optimal,
    /// zCDP.
    Zcdp,
    /// Rényi DP.
    Rdp,
    /// Privacy-loss distributions.
    Pld,
}

/// `ilsprivacy tokenize`.
#[derive(Debug, Args)]
pub struct TokenizeArgs {
    /// The CSV export to read (a header row is required).
    pub input: PathBuf,
    /// The CSV file to write (atomically; not written if the run fails).
    pub output: PathBuf,
    /// A column to tokenize (repeatable); other columns are copied.
    #[arg(long = "column", value_name = "NAME")]
    pub columns: Vec<String>,
    /// Take the rules per column from the `[tokenize]` section of this config
    /// file instead of --column.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Token kind for --column: compat (= Python's hmac hexdigest) or v1.
    #[arg(long, value_enum, default_value = "compat")]
    pub kind: TokenKindArg,
    /// The environment variable holding the key.
    #[arg(long, value_name = "VAR", default_value = "ILSPRIVACY_TOKEN_KEY")]
    pub key_env: String,
    /// Read the key from FILE instead of the environment.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// How the key is written: hex text or raw bytes.
    #[arg(long, value_enum, default_value = "hex")]
    pub key_encoding: KeyEncodingArg,
    /// The key id of v1 tokens.
    #[arg(long, value_name = "ID", default_value = "k1")]
    pub key_id: String,
    /// The input's delimiter: auto, or one character (',', ';', tab …).
    #[arg(long, default_value = "auto")]
    pub delimiter: String,
    /// Stop (writing nothing) when more than this share of rows is
    /// quarantined, as a fraction or a percentage.
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "1%")]
    pub max_quarantined: f64,
    /// Write the operator diagnostics to FILE instead of standard error.
    #[arg(long, value_name = "FILE")]
    pub diagnostics: Option<PathBuf>,
}

/// A token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenKindArg {
    /// 64 lowercase hex characters, = hmac.new(key, id, sha256).hexdigest().
    Compat,
    /// Versioned tokens `v1.<key id>.<body>`.
    V1,
}

/// A key's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyEncodingArg {
    /// Hexadecimal text.
    Hex,
    /// The bytes as they are.
    Raw,
}

/// `ilsprivacy sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The CSV file to write.
    pub output: PathBuf,
    /// How many checkouts.
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    pub events: u64,
    /// The generator's seed (the same seed gives the same file).
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
}

/// Parses a share: a fraction in [0, 1] (`0.01`) or a percentage (`1%`).
///
/// # Errors
///
/// A message when it is neither, or out of range.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(p) => (p.trim(), 100.0),
        None => (t, 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a fraction (0.01) or a percentage (1%)"))?;
    let share = value / scale;
    if !(0.0..=1.0).contains(&share) {
        return Err(format!("{text:?} must be between 0 and 1 (0% and 100%)"));
    }
    Ok(share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn shares_are_fractions_or_percentages() {
        assert_eq!(parse_share("1%"), Ok(0.01));
        assert_eq!(parse_share("0.05"), Ok(0.05));
        assert_eq!(parse_share(" 2.5 % "), Ok(0.025));
        assert!(parse_share("150%").is_err());
        assert!(parse_share("-0.1").is_err());
        assert!(parse_share("NaN").is_err());
        assert!(parse_share("lots").is_err());
    }
}
