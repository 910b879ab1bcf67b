//! Reading CSV exports: [`CsvRecords`], a streaming record reader with a
//! per-record size cap, and [`CsvEvents`], which turns records into
//! aggregator events with bad rows quarantined instead of aborting the run.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::aggregator::Event;
use crate::error::{Error, Result};

mod quarantine;
mod reader;

pub use quarantine::{QUARANTINE_LINES_KEPT, Quarantine, QuarantineEntry, QuarantineReason};
pub use reader::{
    CsvOptions, CsvRecord, CsvRecords, DEFAULT_MAX_RECORD_BYTES, DETECTED_DELIMITERS, MAX_FIELDS,
    MAX_RECORD_BYTES_LIMIT, MIN_RECORD_BYTES,
};

/// The byte that joins the fields of a multi-column partition key.
///
/// cbindgen:ignore
pub const PARTITION_SEPARATOR: u8 = 0x1F;

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
/// It reads records with [`CsvRecords`] (RFC 4180 quoting, surrounding
/// whitespace trimmed, a per-record size cap: memory stays bounded whatever
/// the input) and yields one [`Event`] per good row, borrowing from its
/// buffer: no row is kept. A row with a missing or empty field, a field that
/// is not UTF-8, a count or value that is not an integer in range, more
/// fields than the header, or more bytes than the cap goes to the
/// [`Quarantine`]: a count per (reason, column) with the first few line
/// numbers. The raw row is never stored or printed, so a quarantine report is
/// safe to show the operator (it is exact, not differentially private: do
/// not publish it). An unclosed quote stops the reading with an error naming
/// its line (see [`CsvRecords`]).
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
    records: CsvRecords<R>,
    positions: Positions,
    names: CsvColumns,
    partition: Vec<u8>,
    /// The last good row's count and value (the event borrows the record).
    current: (u64, i64),
}

impl<R> fmt::Debug for CsvEvents<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvEvents")
            .field("columns", &self.names)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl CsvEvents<File> {
    /// Opens the CSV file at `path` (comma-delimited, default record cap).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened or read; otherwise as [`CsvEvents::new`].
    pub fn from_path(path: impl AsRef<Path>, columns: &CsvColumns) -> Result<Self> {
        Self::from_path_with(path, columns, &CsvOptions::new())
    }

    /// Opens the CSV file at `path`, read with `options`.
    ///
    /// # Errors
    ///
    /// As [`CsvEvents::from_path`].
    pub fn from_path_with(
        path: impl AsRef<Path>,
        columns: &CsvColumns,
        options: &CsvOptions,
    ) -> Result<Self> {
        Self::from_records(CsvRecords::from_path(path, options)?, columns)
    }
}

impl<R: Read> CsvEvents<R> {
    /// Reads the header row of `input` (comma-delimited, default record
    /// cap) and finds the columns.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (parameter `columns`) if a named column is
    /// not in the header (the message shows the header and the delimiter);
    /// as [`CsvRecords::new`] for an empty or unreadable header.
    pub fn new(input: R, columns: &CsvColumns) -> Result<Self> {
        Self::with_options(input, columns, &CsvOptions::new())
    }

    /// Like [`CsvEvents::new`], read with `options` (delimiter, record cap).
    ///
    /// # Errors
    ///
    /// As [`CsvEvents::new`].
    pub fn with_options(input: R, columns: &CsvColumns, options: &CsvOptions) -> Result<Self> {
        Self::from_records(CsvRecords::new(input, options)?, columns)
    }

    /// Events from a record reader whose header has been read.
    ///
    /// # Errors
    ///
    /// As [`CsvEvents::new`].
    pub fn from_records(records: CsvRecords<R>, columns: &CsvColumns) -> Result<Self> {
        if columns.partition.is_empty() {
            return Err(Error::invalid(
                "columns",
                "must name at least one partition column",
            ));
        }
        let positions = Positions {
            unit: records.column(&columns.unit)?,
            partition: columns
                .partition
                .iter()
                .map(|c| records.column(c))
                .collect::<Result<_>>()?,
            count: columns
                .count
                .as_deref()
                .map(|c| records.column(c))
                .transpose()?,
            value: columns
                .value
                .as_deref()
                .map(|c| records.column(c))
                .transpose()?,
            header_len: records.header().len(),
        };
        Ok(CsvEvents {
            records,
            positions,
            names: columns.clone(),
            partition: Vec::new(),
            current: (0, 0),
        })
    }

    /// The next good row's event, skipping (and quarantining) bad rows;
    /// `None` at the end of the input.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`input`) for an unclosed quote, and
    /// [`Error::Io`] if reading fails: both stop the run (release nothing).
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>> {
        loop {
            let Some(record) = self.records.next_record()? else {
                return Ok(None);
            };
            let line = record.line();
            match check_row(&record, &self.positions, &self.names, &mut self.partition) {
                Ok(current) => {
                    self.current = current;
                    break;
                }
                Err((reason, field)) => {
                    let field = field.unwrap_or("row").to_owned();
                    self.records.quarantine_row(reason, &field, line);
                }
            }
        }
        // Borrow the record again, now that the loop no longer needs `self` mutably.
        let record = self.records.current_record();
        let p = &self.positions;
        let unit = record.get(p.unit).unwrap_or_default();
        let partition = match p.partition.as_slice() {
            [one] => record.get(*one).unwrap_or_default(),
            _ => &self.partition[..],
        };
        Ok(Some(Event {
            unit,
            partition,
            count: self.current.0,
            value: self.current.1,
        }))
    }

    /// The quarantined rows so far.
    pub fn quarantine(&self) -> &Quarantine {
        self.records.quarantine()
    }

    /// Data rows read so far (good and quarantined).
    pub fn rows_read(&self) -> u64 {
        self.records.rows_read()
    }

    /// Bytes of input consumed so far (for a progress display).
    pub fn bytes_read(&self) -> u64 {
        self.records.bytes_read()
    }

    /// The underlying record reader (header, delimiter, input size).
    pub fn records(&self) -> &CsvRecords<R> {
        &self.records
    }
}

/// Validates a record; builds a multi-column partition key into `partition`.
fn check_row<'c>(
    record: &CsvRecord<'_>,
    p: &Positions,
    names: &'c CsvColumns,
    partition: &mut Vec<u8>,
) -> std::result::Result<(u64, i64), (QuarantineReason, Option<&'c str>)> {
    if record.len() > p.header_len {
        return Err((QuarantineReason::ExtraFields, None));
    }
    record
        .text(p.unit)
        .map_err(|r| (r, Some(names.unit.as_str())))?;
    for (&i, name) in p.partition.iter().zip(&names.partition) {
        let field = record.text(i).map_err(|r| (r, Some(name.as_str())))?;
        if field.as_bytes().contains(&PARTITION_SEPARATOR) {
            return Err((QuarantineReason::SeparatorInField, Some(name.as_str())));
        }
    }
    let count = match (p.count, names.count.as_deref()) {
        (Some(i), Some(name)) => {
            let n = record.integer(i).map_err(|r| (r, Some(name)))?;
            u64::try_from(n).map_err(|_| (QuarantineReason::OutOfRange, Some(name)))?
        }
        _ => 1,
    };
    let value = match (p.value, names.value.as_deref()) {
        (Some(i), Some(name)) => {
            let v = record.integer(i).map_err(|r| (r, Some(name)))?;
            i64::try_from(v).map_err(|_| (QuarantineReason::OutOfRange, Some(name)))?
        }
        _ => 0,
    };
    if p.partition.len() > 1 {
        partition.clear();
        for (k, &i) in p.partition.iter().enumerate() {
            if k > 0 {
                partition.push(PARTITION_SEPARATOR);
            }
            partition.extend_from_slice(record.get(i).unwrap_or_default());
        }
    }
    Ok((count, value))
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
            "columns name \"branch\", which is not in the input's header: line 1, split with \
             delimiter ',' (comma) (as set), has 2 columns: \"a,b\""
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
