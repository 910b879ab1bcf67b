//! `ilsprivacy retention`: the retention policy evaluated against a CSV
//! export on a reference date, writing the action due on each field of
//! each row. Nothing is deleted or changed: the output tells the operator
//! (or the next job) what to do. An audit summary (policy, version, class,
//! counts; never values) goes to the diagnostics channel and, with
//! `--audit`, to a JSON file.

use ilsprivacy::aggregate::{CsvOptions, CsvRecords};
use ilsprivacy::policy::Policy;
use ilsprivacy::policy::date::CivilDate;
use ilsprivacy::policy::retention::{RecordClass, RetentionAudit};

use crate::args::RetentionArgs;
use crate::channel::{Diagnostics, printable};
use crate::config;
use crate::error::CliError;
use crate::fsutil::PendingFile;
use crate::stats::thousands;
use crate::tokenize::write_row;

/// The action written for every field of a row that cannot be evaluated
/// (its anchor date is missing or unreadable, or its class is unknown).
pub const REVIEW: &str = "review";

/// Reads and checks a policy file.
///
/// # Errors
///
/// [`CliError::Io`] if unreadable; [`CliError::Usage`] naming the file and
/// the policy's error (key and line).
pub fn read_policy(path: &std::path::Path) -> Result<Policy, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, &e))?;
    Policy::parse(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

/// Runs `ilsprivacy retention`.
///
/// # Errors
///
/// [`CliError::Usage`] for a bad policy, date or class; [`CliError::Input`]
/// for an unreadable export or a missing column; [`CliError::Io`].
pub fn run(args: &RetentionArgs, diag: &mut Diagnostics) -> Result<(), CliError> {
    let policy = read_policy(&args.policy)?;
    let retention = policy
        .retention()
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.policy.display())))?;
    let as_of =
        CivilDate::parse(&args.as_of).map_err(|e| CliError::Usage(format!("--as-of {e}")))?;
    let fixed_class = match (&args.class, &args.class_column) {
        (Some(c), None) => {
            Some(RecordClass::parse(c).map_err(|e| CliError::Usage(format!("--{e}")))?)
        }
        (None, Some(_)) => None,
        _ => {
            return Err(CliError::Usage(
                "give the record class of the export (--class circulation_history) or the column holding it (--class-column), not both".into(),
            ));
        }
    };
    let delimiter = config::parse_delimiter(&args.delimiter)
        .map_err(|m| CliError::Usage(format!("--delimiter {m}")))?;
    let options = match delimiter {
        Some(d) => CsvOptions::new().with_delimiter(d)?,
        None => CsvOptions::new().detect_delimiter(),
    };
    let source = args.input.display().to_string();
    let mut records = CsvRecords::from_path(&args.input, &options)
        .map_err(|e| CliError::Input(format!("{source}: {e}; nothing was written")))?;
    let header = records.header().to_vec();
    let class_column = match &args.class_column {
        Some(c) => Some(records.column(c).map_err(|e| {
            CliError::Input(format!(
                "{source}: --class-column {c:?}: {e}; nothing was written"
            ))
        })?),
        None => None,
    };
    let d = records.delimiter();
    let mut out = PendingFile::create(&args.output)?;
    let target = args.output.clone();
    let io = |e: std::io::Error| CliError::io(&target, &e);
    write_row(
        out.writer(),
        std::iter::once("line").chain(header.iter().map(String::as_str)),
        d,
    )
    .map_err(io)?;
    let mut audit = RetentionAudit::new(policy.meta(), as_of);
    let mut review_lines: Vec<u64> = Vec::new();
    let mut review_rows = 0u64;
    let mut cells: Vec<String> = Vec::with_capacity(header.len() + 1);
    loop {
        let record = match records.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                return Err(CliError::Input(format!(
                    "{source}: {e}. Nothing was written."
                )));
            }
        };
        let line = record.line();
        // A field that is not UTF-8 makes the row one to review.
        let utf8 = (0..header.len())
            .all(|i| std::str::from_utf8(record.get(i).unwrap_or_default()).is_ok());
        let values: Vec<&str> = (0..header.len())
            .map(|i| {
                record
                    .get(i)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .unwrap_or("")
            })
            .collect();
        let class = match (fixed_class, class_column) {
            (Some(c), _) => Some(c),
            (None, Some(i)) => RecordClass::parse(values[i].trim()).ok(),
            (None, None) => None,
        };
        let pairs: Vec<(&str, &str)> = header
            .iter()
            .map(String::as_str)
            .zip(values.iter().copied())
            .collect();
        cells.clear();
        cells.push(line.to_string());
        let evaluated = class.map(|c| (c, retention.evaluate(c, as_of, &pairs)));
        match evaluated {
            Some((_, Ok(ev))) if record.len() == header.len() && utf8 => {
                cells.extend(ev.actions.iter().map(|a| a.action.to_string()));
                audit.add(&ev);
            }
            other => {
                if let Some((c, _)) = other {
                    audit.add_unevaluable(c);
                }
                review_rows += 1;
                if review_lines.len() < 10 {
                    review_lines.push(line);
                }
                cells.extend(std::iter::repeat_n(REVIEW.to_owned(), header.len()));
            }
        }
        write_row(out.writer(), cells.iter().map(String::as_str), d).map_err(io)?;
    }
    out.commit()?;
    diag.line(&format!(
        "retention: policy {:?} version {:?}, reference date {as_of} (civil dates in UTC)",
        printable(&policy.meta().name),
        printable(&policy.meta().version)
    ));
    diag.line(&format!(
        "retention: read {} data rows of {source}; evaluated {}; {} to review (anchor date missing or unreadable, unknown class, or a malformed row){}",
        thousands(records.rows_read()),
        thousands(audit.records()),
        thousands(review_rows),
        if review_lines.is_empty() {
            String::new()
        } else {
            format!(
                " at line{} {}{}",
                if review_lines.len() == 1 { "" } else { "s" },
                review_lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
                if review_rows > review_lines.len() as u64 { ", ..." } else { "" }
            )
        }
    ));
    report_reader_quarantine(&records, "retention", diag);
    for (action, n) in audit.field_counts() {
        diag.line(&format!("retention: fields to {action}: {}", thousands(n)));
    }
    if let Some(path) = &args.audit {
        PendingFile::create(path)?
            .write_all_and_commit(format!("{}\n", audit.to_json()).as_bytes())?;
    }
    crate::channel::say(&format!("wrote {}", args.output.display()));
    Ok(())
}

/// Reports the rows the CSV reader itself left out (e.g. a record over the
/// size cap), by reason with their first line numbers.
pub fn report_reader_quarantine(
    records: &ilsprivacy::aggregate::CsvRecords<std::fs::File>,
    command: &str,
    diag: &mut Diagnostics,
) {
    for e in records.quarantine().entries() {
        let lines: Vec<String> = e.first_lines.iter().map(u64::to_string).collect();
        diag.line(&format!(
            "{command}: the reader left out {} row{} ({}{}; line{} {}{})",
            thousands(e.rows),
            if e.rows == 1 { "" } else { "s" },
            if e.field.is_empty() {
                String::new()
            } else {
                format!("{} ", printable(&e.field))
            },
            e.reason.describe(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", "),
            if e.rows > lines.len() as u64 {
                ", ..."
            } else {
                ""
            }
        ));
    }
}
