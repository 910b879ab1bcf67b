//! The `ilsprivacy` program: circulation reports released with differential
//! privacy from a library's own CSV export, charged in one atomic spend to a
//! persistent per-user budget ledger; the ledger's status, verification and
//! export; the accountant's planners; and export tokenization.
//!
//! Everything printed to standard output (and written by `--out`/`--html`)
//! is published output: differentially private values and their
//! parameters only. Exact figures (rows read, quarantined rows and their
//! lines, rows outside the public groups) go to standard error or a
//! `--diagnostics` file, each line labelled as not for publication.
//!
//! The subcommands and the configuration file are documented in
//! `docs/cli.md`; this crate is the program's implementation, split by job:
//! [`args`] (command line), [`config`] (the TOML file), [`input`] (reading
//! an export into aggregators), [`report`] (the release), [`output`]
//! (terminal, CSV/JSON and HTML), [`ledger`], [`plan`], [`tokenize`],
//! [`retention`] and [`export`] (data-lifecycle policies), and
//! the channels ([`channel`]) and file helpers ([`fsutil`]) they share.

pub mod args;
pub mod channel;
pub mod config;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod input;
pub mod ledger;
pub mod output;
pub mod paths;
pub mod plan;
pub mod report;
pub mod retention;
pub mod sample;
pub mod stats;
pub mod tokenize;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::channel::{Diagnostics, Published, say};
use crate::error::CliError;

/// Runs the program with `args` (the first being the program name) and
/// returns its exit status (see [`error::CliError::exit_code`]).
pub fn main_with<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout (exit 0), usage errors to stderr (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let mut out = Published::stdout();
    let result = run(cli.command, &mut out);
    let flushed = out.finish();
    match result.and(flushed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(command: Command, out: &mut Published) -> Result<(), CliError> {
    match command {
        Command::Report(args) => {
            let mut diag = Diagnostics::open(args.diagnostics.as_deref())?;
            report::run(&args, out, &mut diag)
        }
        Command::Ledger(cmd) => ledger::run(cmd, out),
        Command::Plan(cmd) => plan::run(cmd, out),
        Command::Tokenize(args) => {
            let mut diag = Diagnostics::open(args.diagnostics.as_deref())?;
            tokenize::run(&args, &mut diag)
        }
        Command::Sample(args) => sample::run(&args),
        Command::Retention(args) => {
            let mut diag = Diagnostics::open(args.diagnostics.as_deref())?;
            retention::run(&args, &mut diag)
        }
        Command::Export(args) => {
            let mut diag = Diagnostics::open(args.diagnostics.as_deref())?;
            export::run(&args, &mut diag)
        }
    }
}
