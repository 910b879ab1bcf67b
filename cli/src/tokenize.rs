//! `ilsprivacy tokenize`: an export's patron IDs replaced by keyed tokens
//! (and other columns masked) before it leaves the library system, as one
//! streaming command. Rows that cannot be processed are left out and
//! counted by column and reason for the operator; their content is never
//! printed. The output is written atomically, and not at all when the run
//! fails.

use std::collections::BTreeMap;

use ilsprivacy::aggregate::{CsvOptions, CsvRecord, CsvRecords, QUARANTINE_LINES_KEPT};
use ilsprivacy::token::key::{KeyEncoding, SecretKey};
use ilsprivacy::token::record::{
    ExportSchema, FieldRule, FieldSpec, IssueReason, RecordOutcome, ValueType,
};
use ilsprivacy::token::tokenizer::Tokenizer;
use serde_json::{Map, Value};

use crate::args::{KeyEncodingArg, TokenKindArg, TokenizeArgs};
use crate::channel::Diagnostics;
use crate::config;
use crate::error::CliError;
use crate::fsutil::PendingFile;
use crate::stats::{percent, thousands};

/// Rows left out, by (column, reason), with their first lines.
#[derive(Default)]
struct Rejected {
    by: BTreeMap<(String, String), (u64, Vec<u64>)>,
    rows: u64,
}

impl Rejected {
    fn row(&mut self, issues: impl IntoIterator<Item = (String, String)>, line: u64) {
        self.rows += 1;
        for key in issues {
            let e = self.by.entry(key).or_default();
            e.0 += 1;
            if e.1.len() < QUARANTINE_LINES_KEPT {
                e.1.push(line);
            }
        }
    }
}

/// What each output column is made of.
enum Mode {
    /// Tokenize these columns, copy the others.
    Columns {
        tokenized: Vec<bool>,
        kind: TokenKindArg,
    },
    /// An export schema; the output columns (positions in the header).
    Schema {
        schema: Box<ExportSchema>,
        output: Vec<usize>,
    },
}

/// Runs `ilsprivacy tokenize`.
///
/// # Errors
///
/// [`CliError::Usage`] for conflicting options or a missing key;
/// [`CliError::Input`] for an unreadable export, a missing column, or too
/// many rows left out (then nothing is written); [`CliError::Io`].
pub fn run(args: &TokenizeArgs, diag: &mut Diagnostics) -> Result<(), CliError> {
    let schema = match (&args.config, args.columns.is_empty()) {
        (Some(_), false) => {
            return Err(CliError::Usage(
                "give either --column (tokenize these columns) or --config (the [tokenize] rules), not both".into(),
            ));
        }
        (None, true) => {
            return Err(CliError::Usage(
                "name the columns to tokenize (--column patron_id) or give --config FILE with a [tokenize] section".into(),
            ));
        }
        (Some(path), true) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, &e))?;
            let c = config::parse(&text, &path.display().to_string(), true)?;
            let json = c.tokenize.ok_or_else(|| {
                CliError::Usage(format!("{} has no [tokenize] section", path.display()))
            })?;
            Some(ExportSchema::from_json(&json)?)
        }
        (None, false) => None,
    };
    let encoding = match args.key_encoding {
        KeyEncodingArg::Hex => KeyEncoding::Hex,
        KeyEncodingArg::Raw => KeyEncoding::Raw,
    };
    let key = match &args.key_file {
        Some(p) => SecretKey::from_file(p, encoding)?,
        None => SecretKey::from_env(&args.key_env, encoding).map_err(|e| {
            CliError::Usage(format!(
                "no tokenization key ({e}): set {} ({}) or pass --key-file FILE",
                args.key_env,
                match encoding {
                    KeyEncoding::Hex => "hex text, at least 64 characters",
                    _ => "at least 32 bytes",
                }
            ))
        })?,
    };
    let tokenizer = Tokenizer::new(&args.key_id, &key)?;
    let delimiter = config::parse_delimiter(&args.delimiter)
        .map_err(|m| CliError::Usage(format!("--delimiter {m}")))?;
    let mut options = CsvOptions::new();
    options = match delimiter {
        Some(d) => options.with_delimiter(d)?,
        None => options.detect_delimiter(),
    };
    let source = args.input.display().to_string();
    let mut records = CsvRecords::from_path(&args.input, &options)
        .map_err(|e| CliError::Input(format!("{source}: {e}; nothing was written")))?;
    let mut out = PendingFile::create(&args.output)?;
    let header = records.header().to_vec();
    let d = records.delimiter();
    let mode = match schema {
        None => {
            let mut tokenized = vec![false; header.len()];
            for c in &args.columns {
                let i = records.column(c).map_err(|e| {
                    CliError::Input(format!(
                        "{source}: --column {c:?}: {e}; nothing was written"
                    ))
                })?;
                tokenized[i] = true;
            }
            Mode::Columns {
                tokenized,
                kind: args.kind,
            }
        }
        Some(schema) => {
            for (name, spec) in &schema.fields {
                if spec.required && !header.contains(name) {
                    return Err(CliError::Input(format!(
                        "{source}: the [tokenize] rules require a column {name:?}, which is not in the header; nothing was written"
                    )));
                }
            }
            let output = header
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    schema
                        .fields
                        .get(*h)
                        .is_some_and(|s| !matches!(s.rule, FieldRule::Pii))
                })
                .map(|(i, _)| i)
                .collect();
            Mode::Schema {
                schema: Box::new(schema),
                output,
            }
        }
    };
    let out_header: Vec<&str> = match &mode {
        Mode::Columns { .. } => header.iter().map(String::as_str).collect(),
        Mode::Schema { output, .. } => output.iter().map(|&i| header[i].as_str()).collect(),
    };
    let target = args.output.clone();
    let io = |e: std::io::Error| CliError::io(&target, &e);
    write_row(out.writer(), out_header.iter().copied(), d).map_err(io)?;
    let mut rejected = Rejected::default();
    let mut written = 0u64;
    let mut cells: Vec<String> = Vec::new();
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
        cells.clear();
        let result = match &mode {
            Mode::Columns { tokenized, kind } => {
                by_columns(&record, &header, tokenized, *kind, &tokenizer, &mut cells)
            }
            Mode::Schema { schema, output } => {
                by_schema(&record, &header, schema, output, &tokenizer, &mut cells)
            }
        };
        match result {
            Ok(()) => {
                write_row(out.writer(), cells.iter().map(String::as_str), d).map_err(io)?;
                written += 1;
            }
            Err(issues) => rejected.row(issues, line),
        }
    }
    for (reason, lines) in records.quarantine().entries().map(|e| (e, &e.first_lines)) {
        rejected.rows += reason.rows;
        rejected.by.insert(
            (reason.field.clone(), reason.reason.describe().to_owned()),
            (reason.rows, lines.clone()),
        );
    }
    let rows = records.rows_read();
    diag.line(&format!(
        "read {source}: {} data rows; wrote {} rows to {}",
        thousands(rows),
        thousands(written),
        args.output.display()
    ));
    for ((field, reason), (n, lines)) in &rejected.by {
        let lines: Vec<String> = lines.iter().map(u64::to_string).collect();
        diag.line(&format!(
            "left out {} row{}: {field} {reason} (line{} {}{})",
            thousands(*n),
            if *n == 1 { "" } else { "s" },
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", "),
            if *n > lines.len() as u64 { ", ..." } else { "" }
        ));
    }
    let share = if rows == 0 {
        0.0
    } else {
        rejected.rows as f64 / rows as f64
    };
    if share > args.max_quarantined {
        return Err(CliError::Input(format!(
            "{source}: {} of the rows could not be processed, more than the {} allowed (--max-quarantined): see the diagnostics; nothing was written",
            percent(share),
            percent(args.max_quarantined)
        )));
    }
    out.commit()?;
    crate::channel::say(&format!("wrote {}", args.output.display()));
    Ok(())
}

type Issues = Vec<(String, String)>;

fn by_columns(
    record: &CsvRecord<'_>,
    header: &[String],
    tokenized: &[bool],
    kind: TokenKindArg,
    tokenizer: &Tokenizer,
    cells: &mut Vec<String>,
) -> Result<(), Issues> {
    if record.len() != header.len() {
        return Err(vec![(
            "row".into(),
            format!(
                "has {} fields, not the header's {}",
                if record.len() > header.len() {
                    "more"
                } else {
                    "fewer"
                },
                header.len()
            ),
        )]);
    }
    for (i, name) in header.iter().enumerate() {
        if tokenized[i] {
            let id = record
                .text(i)
                .map_err(|r| vec![(name.clone(), r.describe().to_owned())])?;
            let token = match kind {
                TokenKindArg::Compat => tokenizer.tokenize(id),
                TokenKindArg::V1 => tokenizer
                    .tokenize_versioned(id)
                    .map_err(|_| vec![(name.clone(), "cannot be tokenized".to_owned())])?,
            };
            cells.push(token);
        } else {
            let raw = record.get(i).unwrap_or_default();
            let text = std::str::from_utf8(raw)
                .map_err(|_| vec![(name.clone(), "is not valid UTF-8".to_owned())])?;
            cells.push(text.to_owned());
        }
    }
    Ok(())
}

/// A CSV field as the JSON value the schema's rule expects.
fn value_for(spec: Option<&FieldSpec>, text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    let numeric = match spec.map(|s| &s.rule) {
        Some(FieldRule::AgeBand { .. })
        | Some(FieldRule::Keep {
            value_type: ValueType::Integer,
        }) => text.parse::<i64>().ok().map(Value::from),
        Some(FieldRule::Keep {
            value_type: ValueType::Number,
        }) => text
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number)),
        Some(FieldRule::Keep {
            value_type: ValueType::Boolean,
        }) => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    numeric.unwrap_or_else(|| Value::String(text.to_owned()))
}

fn by_schema(
    record: &CsvRecord<'_>,
    header: &[String],
    schema: &ExportSchema,
    output: &[usize],
    tokenizer: &Tokenizer,
    cells: &mut Vec<String>,
) -> Result<(), Issues> {
    if record.len() > header.len() {
        return Err(vec![(
            "row".into(),
            "has more fields than the header".into(),
        )]);
    }
    let mut map = Map::new();
    for (i, name) in header.iter().enumerate() {
        let raw = record.get(i).unwrap_or_default();
        let text = std::str::from_utf8(raw)
            .map_err(|_| vec![(name.clone(), "is not valid UTF-8".to_owned())])?;
        map.insert(name.clone(), value_for(schema.fields.get(name), text));
    }
    match schema.apply(tokenizer, &map) {
        RecordOutcome::Clean(clean) => {
            for &i in output {
                cells.push(match clean.get(&header[i]) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                });
            }
            Ok(())
        }
        RecordOutcome::Quarantined(issues) => Err(issues
            .into_iter()
            .map(|i| (i.field, issue_text(&i.reason)))
            .collect()),
    }
}

fn issue_text(r: &IssueReason) -> String {
    match r {
        IssueReason::Missing => "is missing".into(),
        IssueReason::WrongType { expected } => format!("is not {expected}"),
        IssueReason::Empty => "is empty".into(),
        IssueReason::Malformed { detail } => format!("cannot be masked ({detail})"),
        IssueReason::UnknownField => "is not in the [tokenize] rules".into(),
        IssueReason::PiiField => "is personal data (pii) and the rules reject it".into(),
        IssueReason::NotAnObject { .. } => "is not a record".into(),
        IssueReason::TooLarge { bytes, limit } => {
            format!("belongs to a record of {bytes} bytes, over the {limit}-byte cap")
        }
    }
}

/// Writes one CSV line, quoting fields as needed.
pub(crate) fn write_row<'a>(
    w: &mut impl std::io::Write,
    fields: impl Iterator<Item = &'a str>,
    d: u8,
) -> std::io::Result<()> {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            w.write_all(&[d])?;
        }
        let quote = f
            .bytes()
            .any(|b| b == d || b == b'"' || b == b'\n' || b == b'\r')
            || f.starts_with([' ', '\t'])
            || f.ends_with([' ', '\t']);
        if quote {
            w.write_all(b"\"")?;
            w.write_all(f.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(f.as_bytes())?;
        }
    }
    w.write_all(b"\n")
}
