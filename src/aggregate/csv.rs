//! Reading events from CSV exports, with bad rows quarantined instead of
//! aborting the run (see [`CsvEvents`]).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::aggregator::Event;
use crate::error::{Error, Result};

/// The byte that joins the fields of a multi-column partition key.
///
/// cbindgen:ignore
pub const PARTITION_SEPARATOR: u8 = 0x1F;

/// How many line numbers a quarantine keeps per (reason, column).
///
/// cbindgen:ignore
pub const QUARANTINE_LINES_KEPT: usize = 5;

/// Which columns hold the unit, the partition, the count and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvColumns {
    unit: String,
    partition: Vec<String>,
    count: Option<String>,
    value: Option<String>,
}

impl CsvColumns {
    /// Units from column `unit`, partitions from column `partition`; every
    /// row counts 1 and has value 0 unless [`with_count`](Self::with_count) /
    /// [`with_value`](Self::with_value) name columns for them.
    pub fn new(unit: &str, partition: &str) -> Self {
        CsvColumns {
            unit: unit.to_owned(),
            partition: vec![partition.to_owned()],
            count: None,
            value: None,
        }
    }

    /// Partitions keyed by several columns (e.g. branch and format), joined
    /// with [`PARTITION_SEPARATOR`].
    pub fn with_partition_columns<S: AsRef<str>>(mut self, columns: &[S]) -> Self {
        self.partition = columns.iter().map(|c| c.as_ref().to_owned()).collect();
        self
    }

    /// Counts from column `column` (non-negative integers).
    pub fn with_count(mut self, column: &str) -> Self {
        self.count = Some(column.to_owned());
        self
    }

    /// Values from column `column` (integers in `i64`).
    pub fn with_value(mut self, column: &str) -> Self {
        self.value = Some(column.to_owned());
        self
    }
}

/// Why a row was quarantined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum QuarantineReason {
    /// A needed field is empty, or the row ends before it.
    MissingField,
    /// A needed field is not valid UTF-8.
    InvalidUtf8,
    /// A count or value is not an integer.
    NotAnInteger,
    /// A count is negative, or a count or value does not fit in 64 bits.
    OutOfRange,
    /// A partition field contains the separator byte 0x1F.
    SeparatorInField,
    /// The row has more fields than the header.
    ExtraFields,
}

impl QuarantineReason {
    fn describe(self) -> &'static str {
        match self {
            QuarantineReason::MissingField => "is empty or missing",
            QuarantineReason::InvalidUtf8 => "is not valid UTF-8",
            QuarantineReason::NotAnInteger => "is not an integer",
            QuarantineReason::OutOfRange => "is out of range",
            QuarantineReason::SeparatorInField => "contains the byte 0x1F",
            QuarantineReason::ExtraFields => "has more fields than the header",
        }
    }
}

/// One kind of bad row: its reason, the column (or `"row"`), how many rows
/// and the first line numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantineEntry {
    /// Why the rows were set aside.
    pub reason: QuarantineReason,
    /// The column at fault, or `"row"` for [`QuarantineReason::ExtraFields`].
    pub field: String,
    /// How many rows.
    pub rows: u64,
    /// The first (at most [`QUARANTINE_LINES_KEPT`]) line numbers, 1-based,
    /// the header being line 1.
    pub first_lines: Vec<u64>,
}

/// The rows set aside while reading, by reason and column. Holds no row
/// content. `Display` gives a short report for the operator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quarantine {
    entries: BTreeMap<(QuarantineReason, String), QuarantineEntry>,
    rows: u64,
}

impl Quarantine {
    /// Records one bad row.
    pub fn record(&mut self, reason: QuarantineReason, field: &str, line: u64) {
        self.rows += 1;
        let e = self
            .entries
            .entry((reason, field.to_owned()))
            .or_insert_with(|| QuarantineEntry {
                reason,
                field: field.to_owned(),
                rows: 0,
                first_lines: Vec::new(),
            });
        e.rows += 1;
        if e.first_lines.len() < QUARANTINE_LINES_KEPT {
            e.first_lines.push(line);
        }
    }

    /// The number of rows quarantined.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The entries, ordered by reason then column.
    pub fn entries(&self) -> impl Iterator<Item = &QuarantineEntry> {
        self.entries.values()
    }
}

impl fmt::Display for Quarantine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "row" } else { "rows" };
        writeln!(f, "{} {} quarantined:", self.rows, plural(self.rows))?;
        for e in self.entries.values() {
            let lines: Vec<String> = e.first_lines.iter().map(u64::to_string).collect();
            let more = if e.rows > e.first_lines.len() as u64 {
                ", ..."
            } else {
                ""
            };
            writeln!(
                f,
                "  {} {}: {} {} (line{} {}{more})",
                e.rows,
                plural(e.rows),
                e.field,
                e.reason.describe(),
                if e.first_lines.len() == 1 { "" } else { "s" },
                lines.join(", "),
            )?;
        }
        Ok(())
    }
}

/// Column positions resolved from the header.
struct Positions {
    unit: usize,
    partition: Vec<usize>,
    count: Option<usize>,
    value: Option<usize>,
    header_len: usize,
}

/// A streaming CSV reader of events, with bad rows quarantined instead of
/// aborting the run.
///
/// It streams a CSV file with a header row (RFC 4180 quoting,
/// surrounding whitespace trimmed) and yields one [`Event`] per good row,
/// borrowing from its buffer: no row is kept. A row with a missing or empty
/// field, a field that is not UTF-8, a count or value that is not an integer
/// in range, or more fields than the header goes to the [`Quarantine`]: a
/// count per (reason, column) with the first few line numbers. The raw row is
/// never stored or printed, so a quarantine report is safe to show the
/// operator (it is exact, not differentially private: do not publish it).
///
/// ```
/// use ilsprivacy::aggregate::{CsvColumns, CsvEvents};
/// let data = "patron,branch,items\np1,EAST,2\np2,,1\np3,WEST,many\n";
/// let columns = CsvColumns::new("patron", "branch").with_count("items");
/// let mut rows = CsvEvents::new(data.as_bytes(), &columns)?;
/// let mut good = 0;
/// while let Some(event) = rows.next_event()? {
///     assert_eq!((event.unit, event.partition, event.count), (&b"p1"[..], &b"EAST"[..], 2));
///     good += 1;
/// }
/// assert_eq!(good, 1);
/// assert_eq!(rows.quarantine().rows(), 2);
/// assert_eq!(
///     rows.quarantine().to_string(),
///     "2 rows quarantined:\n  1 row: branch is empty or missing (line 3)\n  \
///      1 row: items is not an integer (line 4)\n"
/// );
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
pub struct CsvEvents<R> {
    reader: ::csv::Reader<R>,
    record: ::csv::ByteRecord,
    positions: Positions,
    names: CsvColumns,
    partition: Vec<u8>,
    quarantine: Quarantine,
    rows: u64,
    source: String,
}

impl<R> fmt::Debug for CsvEvents<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvEvents")
            .field("columns", &self.names)
            .field("rows", &self.rows)
            .field("quarantined", &self.quarantine.rows())
            .finish_non_exhaustive()
    }
}

impl CsvEvents<File> {
    /// Opens the CSV file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened or read; otherwise as [`CsvEvents::new`].
    pub fn from_path(path: impl AsRef<Path>, columns: &CsvColumns) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::Io {
            path: name.clone(),
            detail: e.to_string(),
        })?;
        Self::with_source(file, columns, name)
    }
}

impl<R: Read> CsvEvents<R> {
    /// Reads the header row of `input` and finds the columns.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (parameter `columns`) if a named column is
    /// not in the header; [`Error::Encoding`] if the header is not UTF-8;
    /// [`Error::Io`] if reading fails.
    pub fn new(input: R, columns: &CsvColumns) -> Result<Self> {
        Self::with_source(input, columns, "input".to_owned())
    }

    fn with_source(input: R, columns: &CsvColumns, source: String) -> Result<Self> {
        if columns.partition.is_empty() {
            return Err(Error::invalid(
                "columns",
                "must name at least one partition column",
            ));
        }
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(::csv::Trim::All)
            .from_reader(input);
        let header = reader
            .byte_headers()
            .map_err(|e| io_error(&source, e))?
            .clone();
        let names: Vec<&str> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                std::str::from_utf8(h).map_err(|e| Error::Encoding {
                    param: "header",
                    offset: header.position().map_or(0, |p| p.byte() as usize)
                        + header.iter().take(i).map(|f| f.len() + 1).sum::<usize>()
                        + e.valid_up_to(),
                })
            })
            .collect::<Result<_>>()?;
        let find = |name: &str| {
            names.iter().position(|h| *h == name).ok_or_else(|| {
                Error::invalid(
                    "columns",
                    format!("name {name:?}, which is not in the input's header"),
                )
            })
        };
        let positions = Positions {
            unit: find(&columns.unit)?,
            partition: columns
                .partition
                .iter()
                .map(|c| find(c))
                .collect::<Result<_>>()?,
            count: columns.count.as_deref().map(find).transpose()?,
            value: columns.value.as_deref().map(find).transpose()?,
            header_len: names.len(),
        };
        Ok(CsvEvents {
            reader,
            record: ::csv::ByteRecord::new(),
            positions,
            names: columns.clone(),
            partition: Vec::new(),
            quarantine: Quarantine::default(),
            rows: 0,
            source,
        })
    }

    /// The next good row's event, skipping (and quarantining) bad rows;
    /// `None` at the end of the input.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if reading fails (the only error that stops the run).
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| io_error(&self.source, e))?;
            if !more {
                return Ok(None);
            }
            self.rows += 1;
            let line = self.record.position().map_or(0, |p| p.line());
            match self.check_row() {
                Ok((count, value)) => {
                    let unit = &self.record[self.positions.unit];
                    let partition = match self.positions.partition.as_slice() {
                        [one] => &self.record[*one],
                        _ => &self.partition[..],
                    };
                    return Ok(Some(Event {
                        unit,
                        partition,
                        count,
                        value,
                    }));
                }
                Err((reason, field)) => {
                    let field = field.unwrap_or("row").to_owned();
                    self.quarantine.record(reason, &field, line);
                }
            }
        }
    }

    /// Validates the current record; builds a multi-column partition key.
    fn check_row(&mut self) -> std::result::Result<(u64, i64), (QuarantineReason, Option<&str>)> {
        let record = &self.record;
        let names = &self.names;
        let p = &self.positions;
        if record.len() > p.header_len {
            return Err((QuarantineReason::ExtraFields, None));
        }
        check_text(record.get(p.unit)).map_err(|r| (r, Some(names.unit.as_str())))?;
        for (&i, name) in p.partition.iter().zip(&names.partition) {
            check_text(record.get(i)).map_err(|r| (r, Some(name.as_str())))?;
            if record[i].contains(&PARTITION_SEPARATOR) {
                return Err((QuarantineReason::SeparatorInField, Some(name.as_str())));
            }
        }
        let count = match (p.count, names.count.as_deref()) {
            (Some(i), Some(name)) => {
                let n = parse_integer(record.get(i)).map_err(|r| (r, Some(name)))?;
                u64::try_from(n).map_err(|_| (QuarantineReason::OutOfRange, Some(name)))?
            }
            _ => 1,
        };
        let value = match (p.value, names.value.as_deref()) {
            (Some(i), Some(name)) => {
                let v = parse_integer(record.get(i)).map_err(|r| (r, Some(name)))?;
                i64::try_from(v).map_err(|_| (QuarantineReason::OutOfRange, Some(name)))?
            }
            _ => 0,
        };
        if p.partition.len() > 1 {
            self.partition.clear();
            for (k, &i) in p.partition.iter().enumerate() {
                if k > 0 {
                    self.partition.push(PARTITION_SEPARATOR);
                }
                self.partition.extend_from_slice(&record[i]);
            }
        }
        Ok((count, value))
    }

    /// The quarantined rows so far.
    pub fn quarantine(&self) -> &Quarantine {
        &self.quarantine
    }

    /// Data rows read so far (good and quarantined).
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// Bytes of input consumed so far (for a progress display).
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// Checks that a text field is present, non-empty and UTF-8.
fn check_text(field: Option<&[u8]>) -> std::result::Result<(), QuarantineReason> {
    match field {
        None | Some(b"") => Err(QuarantineReason::MissingField),
        Some(f) if std::str::from_utf8(f).is_err() => Err(QuarantineReason::InvalidUtf8),
        Some(_) => Ok(()),
    }
}

/// Parses a decimal integer field (optional sign); i128 so that both u64
/// counts and i64 values are range-checked by the caller.
fn parse_integer(field: Option<&[u8]>) -> std::result::Result<i128, QuarantineReason> {
    let field = match field {
        None | Some(b"") => return Err(QuarantineReason::MissingField),
        Some(f) => f,
    };
    let text = std::str::from_utf8(field).map_err(|_| QuarantineReason::InvalidUtf8)?;
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QuarantineReason::NotAnInteger);
    }
    text.parse::<i128>()
        .map_err(|_| QuarantineReason::OutOfRange)
}

fn io_error(source: &str, e: ::csv::Error) -> Error {
    // Only I/O errors can occur with flexible byte records; describe the kind
    // without echoing any input.
    let detail = match e.kind() {
        ::csv::ErrorKind::Io(io) => io.to_string(),
        _ => "unreadable CSV".to_owned(),
    };
    Error::Io {
        path: source.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    type Row = (Vec<u8>, Vec<u8>, u64, i64);

    fn read(data: &[u8], columns: &CsvColumns) -> (Vec<Row>, Quarantine) {
        let mut r = CsvEvents::new(data, columns).unwrap();
        let mut out = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            out.push((e.unit.to_vec(), e.partition.to_vec(), e.count, e.value));
        }
        (out, r.quarantine().clone())
    }

    #[test]
    fn reads_good_rows_with_quoting_and_whitespace() {
        let data = b"patron,branch,items,days\n p1 , EAST ,2,14\n\"p,2\",\"WE\"\"ST\",1,-3\n";
        let c = CsvColumns::new("patron", "branch")
            .with_count("items")
            .with_value("days");
        let (rows, q) = read(data, &c);
        assert_eq!(
            rows,
            vec![
                (b"p1".to_vec(), b"EAST".to_vec(), 2, 14),
                (b"p,2".to_vec(), b"WE\"ST".to_vec(), 1, -3),
            ]
        );
        assert_eq!(q.rows(), 0);
    }

    #[test]
    fn quarantines_every_kind_of_bad_row_without_its_content() {
        let mut data = b"patron,branch,format,items\n".to_vec();
        data.extend_from_slice(b"SECRET1,EAST,book,1\n"); // line 2: good
        data.extend_from_slice(b",EAST,book,1\n"); // 3: missing patron
        data.extend_from_slice(b"SECRET2,EAST\n"); // 4: short row
        data.extend_from_slice(b"SECRET3,EA\xffST,book,1\n"); // 5: bad UTF-8
        data.extend_from_slice(b"SECRET4,EAST,book,two\n"); // 6: not a number
        data.extend_from_slice(b"SECRET5,EAST,book,-1\n"); // 7: negative count
        data.extend_from_slice(b"SECRET6,EAST,book,99999999999999999999999\n"); // 8
        data.extend_from_slice(b"SECRET7,EAST,book,1,extra\n"); // 9: extra field
        data.extend_from_slice(b"SECRET8,EA\x1fST,book,1\n"); // 10: separator
        data.extend_from_slice(b"SECRET9,WEST,dvd,3\n"); // 11: good
        let c = CsvColumns::new("patron", "branch")
            .with_partition_columns(&["branch", "format"])
            .with_count("items");
        let (rows, q) = read(&data, &c);
        assert_eq!(
            rows,
            vec![
                (b"SECRET1".to_vec(), b"EAST\x1fbook".to_vec(), 1, 0),
                (b"SECRET9".to_vec(), b"WEST\x1fdvd".to_vec(), 3, 0),
            ]
        );
        assert_eq!(q.rows(), 8);
        let report = q.to_string();
        assert_eq!(
            report,
            "8 rows quarantined:\n\
             \x20 1 row: format is empty or missing (line 4)\n\
             \x20 1 row: patron is empty or missing (line 3)\n\
             \x20 1 row: branch is not valid UTF-8 (line 5)\n\
             \x20 1 row: items is not an integer (line 6)\n\
             \x20 2 rows: items is out of range (lines 7, 8)\n\
             \x20 1 row: branch contains the byte 0x1F (line 10)\n\
             \x20 1 row: row has more fields than the header (line 9)\n"
        );
        assert!(!report.contains("SECRET"));
        assert!(!format!("{q:?}").contains("SECRET"));
    }

    #[test]
    fn keeps_only_the_first_line_numbers() {
        let mut data = b"u,p\n".to_vec();
        for _ in 0..100 {
            data.extend_from_slice(b"x,\n");
        }
        let (_, q) = read(&data, &CsvColumns::new("u", "p"));
        let e = q.entries().next().unwrap();
        assert_eq!(e.rows, 100);
        assert_eq!(e.first_lines, vec![2, 3, 4, 5, 6]);
        assert!(q.to_string().contains("(lines 2, 3, 4, 5, 6, ...)"));
    }

    #[test]
    fn missing_columns_and_bad_headers_are_errors() {
        let e = CsvEvents::new(&b"a,b\n"[..], &CsvColumns::new("a", "branch")).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(
            e.to_string(),
            "columns name \"branch\", which is not in the input's header"
        );
        let e = CsvEvents::new(&b"a,\xff\n"[..], &CsvColumns::new("a", "b")).unwrap_err();
        assert_eq!(e.status(), Status::Encoding);
        let e = CsvEvents::from_path("/nonexistent/x.csv", &CsvColumns::new("a", "b")).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        assert!(e.to_string().contains("/nonexistent/x.csv"), "{e}");
    }

    #[test]
    fn an_empty_input_has_no_events() {
        let mut r = CsvEvents::new(&b"u,p\n"[..], &CsvColumns::new("u", "p")).unwrap();
        assert!(r.next_event().unwrap().is_none());
        assert_eq!(r.rows_read(), 0);
        assert!(r.bytes_read() > 0);
    }
}
