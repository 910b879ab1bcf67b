//! `ilsprivacy export`: a CSV export masked for one requesting role (deny
//! by default, FERPA directory opt-outs per row) and, with `--k` and
//! `--quasi`, made k-anonymous over the quasi-identifier columns by the
//! least generalization along the policy's hierarchies plus bounded row
//! suppression. Counts (cells shown, masked, suppressed; rows suppressed;
//! the generalization chosen and its information loss) go to the
//! diagnostics channel; the output file holds only what the role may see.
//!
//! Without `--k` the export streams; with it, the masked rows are held in
//! memory until the generalization is chosen.

use std::collections::BTreeMap;

use ilsprivacy::aggregate::{CsvOptions, CsvRecords};
use ilsprivacy::policy::access::{Disposition, FieldRule};
use ilsprivacy::policy::anonymity::{Hierarchy, k_anonymize};
use ilsprivacy::policy::transform::Transform;
use ilsprivacy::token::key::{KeyEncoding, SecretKey};
use ilsprivacy::token::tokenizer::Tokenizer;

use crate::args::{ExportArgs, KeyEncodingArg};
use crate::channel::{Diagnostics, printable};
use crate::config;
use crate::error::CliError;
use crate::fsutil::PendingFile;
use crate::retention::read_policy;
use crate::stats::{percent, thousands};
use crate::tokenize::write_row;

/// Runs `ilsprivacy export`.
///
/// # Errors
///
/// [`CliError::Usage`] for a bad policy, unknown role, or quasi-identifier
/// columns the role does not see as they are; [`CliError::Input`] for an
/// unreadable export or a k that cannot be met; [`CliError::Io`].
pub fn run(args: &ExportArgs, diag: &mut Diagnostics) -> Result<(), CliError> {
    let policy = read_policy(&args.policy)?;
    let usage =
        |e: &dyn std::fmt::Display| CliError::Usage(format!("{}: {e}", args.policy.display()));
    let access = policy.access().map_err(|e| usage(&e))?;
    let role = access
        .role(&args.role)
        .map_err(|e| CliError::Usage(format!("--{e}")))?;
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
    // Output columns: those the role may see at all.
    let output: Vec<usize> = (0..header.len())
        .filter(|&i| role.fields.contains_key(&header[i]))
        .collect();
    let tokenizer = if output
        .iter()
        .any(|&i| role.fields[&header[i]] == FieldRule::Mask(Transform::Tokenize))
    {
        Some(load_tokenizer(args)?)
    } else {
        None
    };
    // Quasi-identifiers: shown as they are, so the hierarchy can generalize them.
    let anonymity = policy.anonymity().cloned().unwrap_or_default();
    let quasi: Vec<(usize, Hierarchy)> = args
        .quasi
        .iter()
        .map(|q| {
            let pos = output.iter().position(|&i| header[i] == *q);
            match pos {
                Some(p) if role.fields[q] == FieldRule::Show => Ok((p, anonymity.hierarchy(q))),
                Some(_) => Err(CliError::Usage(format!(
                    "--quasi {q:?}: role {:?} sees this column masked; k-anonymity generalizes columns the role sees as they are",
                    printable(&args.role)
                ))),
                None => Err(CliError::Usage(format!(
                    "--quasi {q:?}: not a column the role {:?} sees in {source} (it is suppressed for the role or not in the header)",
                    printable(&args.role)
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    let k = match (args.k, quasi.is_empty()) {
        (Some(_), true) => {
            return Err(CliError::Usage(
                "--k needs the quasi-identifier columns (--quasi col,...)".into(),
            ));
        }
        (Some(k), false) => Some(k),
        (None, false) => Some(anonymity.k.ok_or_else(|| {
            CliError::Usage("--quasi needs --k (or k in the policy's [anonymity] section)".into())
        })?),
        (None, true) => None,
    };
    if k == Some(0) {
        return Err(CliError::Usage("--k must be at least 1".into()));
    }
    let d = records.delimiter();
    let mut out = PendingFile::create(&args.output)?;
    let target = args.output.clone();
    let io = |e: std::io::Error| CliError::io(&target, &e);
    write_row(out.writer(), output.iter().map(|&i| header[i].as_str()), d).map_err(io)?;

    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut unreadable: BTreeMap<String, u64> = BTreeMap::new();
    let (mut rows_out, mut opted_out, mut malformed) = (0u64, 0u64, 0u64);
    let mut held: Vec<Vec<String>> = Vec::new();
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
        // A row with another number of fields than the header, or a field
        // that is not UTF-8, is left out (and counted).
        let values: Option<Vec<&str>> = (record.len() == header.len())
            .then(|| {
                (0..header.len())
                    .map(|i| std::str::from_utf8(record.get(i).unwrap_or_default()).ok())
                    .collect()
            })
            .flatten();
        let Some(values) = values else {
            malformed += 1;
            continue;
        };
        let pairs: Vec<(&str, &str)> = header.iter().map(String::as_str).zip(values).collect();
        let masked = access.apply(&args.role, &pairs, tokenizer.as_ref())?;
        opted_out += u64::from(masked.directory_opt_out);
        for f in &masked.unreadable {
            *unreadable.entry(f.clone()).or_default() += 1;
        }
        let row: Vec<String> = output
            .iter()
            .map(|&i| {
                let f = &masked.fields[i];
                *counts.entry(f.disposition.name()).or_default() += 1;
                f.value.clone().unwrap_or_default()
            })
            .collect();
        if k.is_some() {
            held.push(row);
        } else {
            write_row(out.writer(), row.iter().map(String::as_str), d).map_err(io)?;
            rows_out += 1;
        }
    }
    let mut k_summary = None;
    if let Some(k) = k {
        let hierarchies: Vec<Hierarchy> = quasi.iter().map(|(_, h)| h.clone()).collect();
        let quasi_rows: Vec<Vec<String>> = held
            .iter()
            .map(|r| quasi.iter().map(|(p, _)| r[*p].clone()).collect())
            .collect();
        let share = args
            .max_suppression
            .or(anonymity.max_suppression)
            .unwrap_or(0.0);
        let max_suppressed = (share * held.len() as f64).floor() as u64;
        let s = k_anonymize(&hierarchies, &quasi_rows, k, max_suppressed)
            .map_err(|e| CliError::Input(format!("{source}: {e}; nothing was written")))?;
        for (row, suppressed) in held.iter_mut().zip(&s.suppressed) {
            if *suppressed {
                continue;
            }
            for ((p, h), level) in quasi.iter().zip(&s.levels) {
                row[*p] = h.generalize(&row[*p], *level);
            }
            write_row(out.writer(), row.iter().map(String::as_str), d).map_err(io)?;
            rows_out += 1;
        }
        k_summary = Some((k, s, share));
    }
    out.commit()?;
    diag.line(&format!(
        "export: role {:?} of policy {:?} version {:?}; read {} data rows of {source}; wrote {} rows to {}",
        printable(&args.role),
        printable(&policy.meta().name),
        printable(&policy.meta().version),
        thousands(records.rows_read()),
        thousands(rows_out),
        args.output.display()
    ));
    diag.line(&format!(
        "export: {} of {} header columns written; the others are suppressed for the role",
        output.len(),
        header.len()
    ));
    diag.line(&format!(
        "export: cells shown {}, masked {}, suppressed {}; rows treated as opted out of directory information {}; malformed rows left out {}",
        thousands(counts.get("shown").copied().unwrap_or(0)),
        thousands(counts.get("masked").copied().unwrap_or(0)),
        thousands(counts.get(Disposition::Suppressed.name()).copied().unwrap_or(0)),
        thousands(opted_out),
        thousands(malformed)
    ));
    crate::retention::report_reader_quarantine(&records, "export", diag);
    for (field, n) in &unreadable {
        diag.line(&format!(
            "export: column {:?}: {} values could not be masked and were suppressed",
            printable(field),
            thousands(*n)
        ));
    }
    if let Some((k, s, share)) = k_summary {
        let levels: Vec<String> = quasi
            .iter()
            .zip(&s.levels)
            .map(|((p, h), &l)| format!("{} -> {}", header[output[*p]], h.level_name(l)))
            .collect();
        diag.line(&format!(
            "export: k = {k}: generalization {}; {} rows suppressed (allowed {} of rows); {} classes, smallest {}; precision loss {:.3} (0 = none, 1 = every quasi-identifier '*'); {} lattice nodes counted",
            levels.join(", "),
            thousands(s.suppressed_rows),
            percent(share),
            thousands(s.classes),
            thousands(s.smallest_class),
            s.precision_loss,
            s.nodes_evaluated
        ));
        diag.line("export: k-anonymity is not differential privacy; see docs/lifecycle.md before sharing this file");
    }
    crate::channel::say(&format!("wrote {}", args.output.display()));
    Ok(())
}

fn load_tokenizer(args: &ExportArgs) -> Result<Tokenizer, CliError> {
    let encoding = match args.key_encoding {
        KeyEncodingArg::Hex => KeyEncoding::Hex,
        KeyEncodingArg::Raw => KeyEncoding::Raw,
    };
    let key = match &args.key_file {
        Some(p) => SecretKey::from_file(p, encoding)?,
        None => SecretKey::from_env(&args.key_env, encoding).map_err(|e| {
            CliError::Usage(format!(
                "the role tokenizes a column and there is no tokenization key ({e}): set {} or pass --key-file FILE",
                args.key_env
            ))
        })?,
    };
    Ok(Tokenizer::new(&args.key_id, &key)?)
}
