//! Reading an export into the report's aggregators: one pass, bounded
//! memory, bad rows quarantined by reason, input errors failing closed
//! before anything is spent.

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use ilsprivacy::aggregate::{
    Aggregator, CsvRecord, CsvRecords, Event, PARTITION_SEPARATOR, Quarantine, QuarantineReason,
};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::{COMPAT_TOKEN_LEN, Tokenizer};

use crate::channel::Diagnostics;
use crate::config::{Groups, ReportConfig};
use crate::error::CliError;
use crate::stats::{percent, thousands};

/// Column positions of one table.
struct TableColumns {
    group: Vec<(usize, String)>,
    count: Option<(usize, String)>,
    value: Option<(usize, String)>,
}

/// What was read: exact figures for the operator (never published).
#[derive(Debug, Clone)]
pub struct InputSummary {
    /// What was read (a path, or the built-in sample).
    pub source: String,
    /// Data rows read.
    pub rows: u64,
    /// Rows that went into the tables.
    pub used: u64,
    /// Rows set aside, by reason.
    pub quarantine: Quarantine,
    /// Per table, rows outside its public groups.
    pub outside: Vec<u64>,
    /// Bytes read.
    pub bytes: u64,
    /// The delimiter, and whether it was detected.
    pub delimiter: (u8, bool),
    /// Header columns no table uses.
    pub unused_columns: Vec<String>,
    /// Seconds spent reading.
    pub seconds: f64,
}

/// Reads every row of `records` into `aggregators` (one per table, in the
/// configuration's order), then writes the diagnostics and applies the
/// thresholds.
///
/// # Errors
///
/// [`CliError::Input`] for a missing or repeated column, an unclosed quote
/// (naming its line and the bytes not read), no data rows, or more
/// quarantined rows (or rows outside a table's public groups) than allowed;
/// in every case nothing has been spent. [`CliError::Library`] for a read
/// error.
pub fn read<R: Read>(
    mut records: CsvRecords<R>,
    source: &str,
    config: &ReportConfig,
    max_quarantined: f64,
    aggregators: &mut [Aggregator],
    diag: &mut Diagnostics,
) -> Result<InputSummary, CliError> {
    let started = Instant::now();
    let column = |name: &str, key: String| -> Result<(usize, String), CliError> {
        let i = records.column(name).map_err(|e| {
            CliError::Input(format!(
                "{source}: the export lacks a column the configuration needs ({key} in {}): {e}. Nothing after the header was read; nothing was spent.",
                config.origin
            ))
        })?;
        if records.header().iter().filter(|h| *h == name).count() > 1 {
            return Err(CliError::Input(format!(
                "{source}: column {name:?} (needed by {key}) appears more than once in the header; nothing was spent"
            )));
        }
        Ok((i, name.to_owned()))
    };
    let unit = column(&config.input.unit, "input.unit".into())?;
    let mut tables = Vec::with_capacity(config.tables.len());
    for t in &config.tables {
        let key = |k: &str| format!("table {:?}: {k}", t.name);
        tables.push(TableColumns {
            group: t
                .group_by
                .iter()
                .map(|g| column(g, key("group_by")))
                .collect::<Result<_, _>>()?,
            count: t
                .count
                .as_deref()
                .map(|c| column(c, key("count")))
                .transpose()?,
            value: t
                .value
                .as_ref()
                .map(|v| column(&v.column, key("value.column")))
                .transpose()?,
        });
    }
    let used_columns: Vec<usize> = std::iter::once(unit.0)
        .chain(tables.iter().flat_map(|t| {
            t.group
                .iter()
                .map(|g| g.0)
                .chain(t.count.iter().map(|c| c.0))
                .chain(t.value.iter().map(|v| v.0))
        }))
        .collect();
    let unused_columns: Vec<String> = records
        .header()
        .iter()
        .enumerate()
        .filter(|(i, _)| !used_columns.contains(i))
        .map(|(_, h)| h.clone())
        .collect();
    let header_len = records.header().len();
    let delimiter = (records.delimiter(), records.delimiter_detected());

    // Patron IDs become keyed hashes under a key drawn for this run only:
    // the tables' state never holds a raw ID, and nothing links runs.
    let tokenizer = Tokenizer::from_key(&SecretKey::generate(32)?);
    let mut token = [0u8; COMPAT_TOKEN_LEN];
    let mut keys: Vec<Vec<u8>> = vec![Vec::new(); tables.len()];
    let mut values: Vec<(u64, i64)> = vec![(1, 0); tables.len()];
    let mut progress = Progress::new(records.input_size());
    let mut used = 0u64;
    loop {
        let record = match records.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                progress.finish();
                return Err(CliError::Input(format!(
                    "{source}: {e}. Nothing was spent and nothing was released."
                )));
            }
        };
        let line = record.line();
        let checked = check_row(&record, header_len, &unit, &tables, &mut keys, &mut values);
        match checked {
            Ok(patron) => {
                tokenizer.tokenize_to(patron, &mut token);
                for ((agg, key), &(count, value)) in aggregators.iter_mut().zip(&keys).zip(&values)
                {
                    agg.add(Event {
                        unit: &token,
                        partition: key,
                        count,
                        value,
                    })?;
                }
                used += 1;
            }
            Err((reason, field)) => records.quarantine_row(reason, &field, line),
        }
        if records.rows_read().is_multiple_of(65_536) {
            progress.update(records.rows_read(), records.bytes_read());
            check_groups(aggregators, config, source)?;
        }
    }
    progress.finish();
    check_groups(aggregators, config, source)?;
    let summary = InputSummary {
        source: source.to_owned(),
        rows: records.rows_read(),
        used,
        quarantine: records.quarantine().clone(),
        outside: aggregators
            .iter()
            .map(|a| a.stats().events_outside_public_partitions)
            .collect(),
        bytes: records.bytes_read(),
        delimiter,
        unused_columns,
        seconds: started.elapsed().as_secs_f64(),
    };
    report(&summary, config, diag);
    check_thresholds(&summary, config, max_quarantined)?;
    Ok(summary)
}

/// Stops the run when a table has seen more than `input.max_groups` distinct
/// groups. Memory grows with the number of groups (about 100 bytes each),
/// and a table of that many groups is noise anyway. Checked every 65,536
/// rows, so memory stays bounded.
fn check_groups(
    aggregators: &[Aggregator],
    config: &ReportConfig,
    source: &str,
) -> Result<(), CliError> {
    for (agg, t) in aggregators.iter().zip(&config.tables) {
        if agg.stats().partitions > config.input.max_groups {
            return Err(CliError::Input(format!(
                "{source}: table {:?} has more than {} distinct groups in the export (input.max_groups): its group_by ({}) is too fine for a report (each group would be noise). Nothing was spent and nothing was released.",
                t.name,
                thousands(config.input.max_groups),
                t.group_by.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks one row; on success fills each table's group key and (count,
/// value) and returns the patron ID.
fn check_row<'r>(
    record: &CsvRecord<'r>,
    header_len: usize,
    unit: &(usize, String),
    tables: &[TableColumns],
    keys: &mut [Vec<u8>],
    values: &mut [(u64, i64)],
) -> Result<&'r str, (QuarantineReason, String)> {
    if record.len() > header_len {
        return Err((QuarantineReason::ExtraFields, "row".into()));
    }
    let patron = record.text(unit.0).map_err(|r| (r, unit.1.clone()))?;
    for ((t, key), value) in tables.iter().zip(keys.iter_mut()).zip(values.iter_mut()) {
        key.clear();
        for (k, (i, name)) in t.group.iter().enumerate() {
            let field = record.text(*i).map_err(|r| (r, name.clone()))?;
            if field.as_bytes().contains(&PARTITION_SEPARATOR) {
                return Err((QuarantineReason::SeparatorInField, name.clone()));
            }
            if k > 0 {
                key.push(PARTITION_SEPARATOR);
            }
            key.extend_from_slice(field.as_bytes());
        }
        let count = match &t.count {
            None => 1,
            Some((i, name)) => {
                let n = record.integer(*i).map_err(|r| (r, name.clone()))?;
                u64::try_from(n).map_err(|_| (QuarantineReason::OutOfRange, name.clone()))?
            }
        };
        let v = match &t.value {
            None => 0,
            Some((i, name)) => {
                let n = record.integer(*i).map_err(|r| (r, name.clone()))?;
                i64::try_from(n).map_err(|_| (QuarantineReason::OutOfRange, name.clone()))?
            }
        };
        *value = (count, v);
    }
    Ok(patron)
}

/// Writes the exact figures to the diagnostics channel.
fn report(s: &InputSummary, config: &ReportConfig, diag: &mut Diagnostics) {
    let (d, detected) = s.delimiter;
    diag.line(&format!(
        "read {}: {} data rows, {} bytes, in {:.1} s (delimiter {}{})",
        s.source,
        thousands(s.rows),
        thousands(s.bytes),
        s.seconds,
        describe(d),
        if detected { ", detected" } else { "" }
    ));
    diag.line(&format!("rows used in the tables: {}", thousands(s.used)));
    if s.quarantine.rows() > 0 {
        for line in s.quarantine.to_string().lines() {
            diag.line(line.trim_start());
        }
    } else {
        diag.line("no row was quarantined");
    }
    for (t, &outside) in config.tables.iter().zip(&s.outside) {
        if matches!(t.groups, Groups::Public(_)) && outside > 0 {
            diag.line(&format!(
                "table {:?}: {} rows are outside its public groups ({}) and were left out",
                t.name,
                thousands(outside),
                percent(share(outside, s.used))
            ));
        }
    }
    if !s.unused_columns.is_empty() {
        diag.line(&format!(
            "columns not used by the report: {}",
            crate::channel::printable(&s.unused_columns.join(", "))
        ));
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The delimiter for a message.
pub fn describe(d: u8) -> String {
    match d {
        b',' => "','".into(),
        b';' => "';'".into(),
        b'\t' => "tab".into(),
        other => format!("'{}'", other as char),
    }
}

fn check_thresholds(
    s: &InputSummary,
    config: &ReportConfig,
    max_quarantined: f64,
) -> Result<(), CliError> {
    if s.rows == 0 {
        return Err(CliError::Input(format!(
            "{}: the export has a header but no data rows; nothing was spent",
            s.source
        )));
    }
    let q = share(s.quarantine.rows(), s.rows);
    if q > max_quarantined {
        return Err(CliError::Input(format!(
            "{}: {} of the rows were quarantined, more than the {} allowed (--max-quarantined or input.max_quarantined): see the diagnostics for the reasons and first lines. Nothing was spent and nothing was released.",
            s.source,
            percent(q),
            percent(max_quarantined)
        )));
    }
    for (t, &outside) in config.tables.iter().zip(&s.outside) {
        let o = share(outside, s.used);
        if matches!(t.groups, Groups::Public(_)) && o > config.input.max_outside_groups {
            return Err(CliError::Input(format!(
                "{}: {} of the rows fall outside the public groups of table {:?} (more than input.max_outside_groups = {}): check the table's `groups` list against the export (the diagnostics show how many). Nothing was spent and nothing was released.",
                s.source,
                percent(o),
                t.name,
                percent(config.input.max_outside_groups)
            )));
        }
    }
    Ok(())
}

/// A progress display on standard error for long inputs, on a terminal only.
struct Progress {
    total: Option<u64>,
    started: Instant,
    last: Instant,
    shown: bool,
    tty: bool,
}

impl Progress {
    fn new(total: Option<u64>) -> Self {
        let now = Instant::now();
        Progress {
            total,
            started: now,
            last: now,
            shown: false,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, rows: u64, bytes: u64) {
        if !self.tty
            || self.started.elapsed() < Duration::from_secs(1)
            || self.last.elapsed() < Duration::from_millis(500)
        {
            return;
        }
        self.last = Instant::now();
        let percent = self
            .total
            .filter(|&t| t > 0)
            .map(|t| format!(" ({}%)", bytes.saturating_mul(100) / t))
            .unwrap_or_default();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r  reading: {} rows{percent}", thousands(rows));
        let _ = err.flush();
        self.shown = true;
    }

    fn finish(&self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:60}\r", "");
            let _ = err.flush();
        }
    }
}
