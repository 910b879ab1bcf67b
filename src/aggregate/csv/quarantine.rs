//! The rows set aside while reading: counts by reason and column, and the
//! first few line numbers of each — never a row's content.

use std::collections::BTreeMap;
use std::fmt;

/// How many line numbers a quarantine keeps per (reason, column).
///
/// cbindgen:ignore
pub const QUARANTINE_LINES_KEPT: usize = 5;

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
    /// The row is longer than the reader's record cap
    /// ([`CsvOptions::with_max_record_bytes`](super::CsvOptions::with_max_record_bytes))
    /// or has more than [`MAX_FIELDS`](super::MAX_FIELDS) fields; it was
    /// skipped without being held in memory.
    TooLong,
}

impl QuarantineReason {
    /// A short description that follows the column's name (e.g. "is not an integer").
    pub fn describe(self) -> &'static str {
        match self {
            QuarantineReason::MissingField => "is empty or missing",
            QuarantineReason::InvalidUtf8 => "is not valid UTF-8",
            QuarantineReason::NotAnInteger => "is not an integer",
            QuarantineReason::OutOfRange => "is out of range",
            QuarantineReason::SeparatorInField => "contains the byte 0x1F",
            QuarantineReason::ExtraFields => "has more fields than the header",
            QuarantineReason::TooLong => "is longer than the record size cap",
        }
    }
}

/// One kind of bad row: its reason, the column (or `"row"`), how many rows
/// and the first line numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantineEntry {
    /// Why the rows were set aside.
    pub reason: QuarantineReason,
    /// The column at fault, or `"row"` for [`QuarantineReason::ExtraFields`]
    /// and [`QuarantineReason::TooLong`].
    pub field: String,
    /// How many rows.
    pub rows: u64,
    /// The first (at most [`QUARANTINE_LINES_KEPT`]) line numbers, 1-based,
    /// the header being line 1; a row spanning several lines is named by
    /// its first.
    pub first_lines: Vec<u64>,
}

/// The rows set aside while reading, by reason and column. Holds no row
/// content, and at most [`QUARANTINE_LINES_KEPT`] line numbers per (reason,
/// column), so its size does not grow with the input. `Display` gives a
/// short report for the operator (exact counts: not for publication).
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
