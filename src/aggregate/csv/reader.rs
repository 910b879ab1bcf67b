//! A streaming CSV record reader with bounded memory (see [`CsvRecords`]).

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use super::quarantine::{Quarantine, QuarantineReason};
use crate::error::{Error, Result};

/// The default per-record size cap of [`CsvOptions`]: 64 KiB.
///
/// cbindgen:ignore
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 * 1024;

/// The largest per-record size cap [`CsvOptions::with_max_record_bytes`]
/// accepts: 64 MiB.
///
/// cbindgen:ignore
pub const MAX_RECORD_BYTES_LIMIT: usize = 64 * 1024 * 1024;

/// The smallest per-record size cap accepted: 16 bytes.
///
/// cbindgen:ignore
pub const MIN_RECORD_BYTES: usize = 16;

/// The most fields a record may have; a record with more is quarantined as
/// [`QuarantineReason::TooLong`] (a header with more is an error).
///
/// cbindgen:ignore
pub const MAX_FIELDS: usize = 4096;

/// The delimiters [`CsvOptions::detect_delimiter`] chooses from, in order of
/// preference on a tie: comma, semicolon, tab, vertical bar.
///
/// cbindgen:ignore
pub const DETECTED_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Bytes read from the input at a time.
const CHUNK: usize = 64 * 1024;

/// How many characters of the header an error message shows.
const HEADER_PREVIEW_CHARS: usize = 200;

/// How to read a CSV input: the delimiter (fixed or detected from the
/// header) and the per-record size cap.
///
/// ```
/// use ilsprivacy::aggregate::CsvOptions;
/// let options = CsvOptions::new().detect_delimiter().with_max_record_bytes(4096)?;
/// assert_eq!(options.delimiter(), None); // detected from the header line
/// assert_eq!(CsvOptions::new().delimiter(), Some(b','));
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    delimiter: Option<u8>,
    max_record_bytes: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: Some(b','),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

impl CsvOptions {
    /// Comma-delimited, with a record cap of [`DEFAULT_MAX_RECORD_BYTES`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Fields are separated by `delimiter`: an ASCII byte other than the
    /// quote, a line break, a space or a NUL (e.g. `b';'`, `b'\t'`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`delimiter`) otherwise.
    pub fn with_delimiter(mut self, delimiter: u8) -> Result<Self> {
        if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'\r' | b'\n' | b' ' | 0) {
            return Err(Error::invalid(
                "delimiter",
                format!(
                    "must be an ASCII byte other than a quote, a line break, a space or NUL, got {}",
                    describe_delimiter(delimiter)
                ),
            ));
        }
        self.delimiter = Some(delimiter);
        Ok(self)
    }

    /// The delimiter is chosen from the header line: the most frequent of
    /// [`DETECTED_DELIMITERS`] outside quotes (the first in that list on a
    /// tie; a comma when none occurs).
    pub fn detect_delimiter(mut self) -> Self {
        self.delimiter = None;
        self
    }

    /// Records longer than `bytes` (field contents plus one per field,
    /// roughly the line's length) are skipped without being held in memory
    /// and quarantined as [`QuarantineReason::TooLong`]. A record that is
    /// longer than the cap *and* continues over several lines inside quotes
    /// is an error instead (an unclosed quote would otherwise swallow the
    /// rest of the input into one quarantined row).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`max_record_bytes`) unless
    /// [`MIN_RECORD_BYTES`] ≤ `bytes` ≤ [`MAX_RECORD_BYTES_LIMIT`].
    pub fn with_max_record_bytes(mut self, bytes: usize) -> Result<Self> {
        if !(MIN_RECORD_BYTES..=MAX_RECORD_BYTES_LIMIT).contains(&bytes) {
            return Err(Error::invalid(
                "max_record_bytes",
                format!("must be in [{MIN_RECORD_BYTES}, {MAX_RECORD_BYTES_LIMIT}], got {bytes}"),
            ));
        }
        self.max_record_bytes = bytes;
        Ok(self)
    }

    /// The fixed delimiter, or `None` when it is detected from the header.
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter
    }

    /// The per-record size cap in bytes.
    pub fn max_record_bytes(&self) -> usize {
        self.max_record_bytes
    }
}

/// A delimiter for messages: `',' (comma)`, `tab` …
pub(crate) fn describe_delimiter(d: u8) -> String {
    match d {
        b',' => "',' (comma)".into(),
        b';' => "';' (semicolon)".into(),
        b'\t' => "tab".into(),
        b'|' => "'|' (vertical bar)".into(),
        0x21..=0x7e => format!("'{}'", d as char),
        _ => format!("byte 0x{d:02X}"),
    }
}

/// The parser's position inside a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first byte of a record (blank lines are skipped here).
    RecordStart,
    /// At the start of a field (leading spaces and tabs are skipped).
    FieldStart,
    /// Inside an unquoted field (or the text after a closing quote).
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: `""` or the closing quote.
    QuoteInQuoted,
}

/// What the parser found.
enum Raw {
    /// A record within the cap, in `fields`/`ends`.
    Record,
    /// A record over the cap (its content was not kept).
    Oversized,
    /// The end of the input.
    End,
}

/// A streaming CSV reader of raw records, with memory bounded by the
/// per-record cap whatever the input.
///
/// The input is read in 64 KiB chunks and parsed as RFC 4180 CSV: fields
/// separated by the delimiter, records by `\n`, `\r\n` or `\r`; a field that
/// starts with `"` is quoted (`""` is a quote inside it; it may contain
/// delimiters and line breaks; text after its closing quote is appended).
/// Spaces and tabs around a field are removed, except inside quotes. Blank
/// lines are skipped. A UTF-8 byte-order mark at the start is skipped. The
/// first record is the header (its names must be UTF-8).
///
/// **Bounded memory and fail-closed errors.** A record longer than the cap
/// ([`CsvOptions::with_max_record_bytes`]) is scanned to its end without
/// being stored and quarantined with its line number
/// ([`QuarantineReason::TooLong`]). Two cases stop the reading with an
/// [`Error::InvalidArgument`] (parameter `input`) that names the line of the
/// quote and how much of the input was not read: a quoted field still open at
/// the end of the input (an unterminated quote), and a record longer than the
/// cap that continues over several lines inside quotes (almost always an
/// unclosed quote followed by more quotes). Neither swallows the rest of the
/// input silently; a caller must then release nothing.
///
/// Line numbers count `\n`, `\r\n` and `\r` line breaks, the header being
/// line 1; a record is named by its first line.
///
/// ```
/// use ilsprivacy::aggregate::{CsvOptions, CsvRecords, QuarantineReason};
/// let data = "patron;branch\np1;EAST\n\"p;2\";WEST\n";
/// let mut rows = CsvRecords::new(data.as_bytes(), &CsvOptions::new().detect_delimiter())?;
/// assert_eq!(rows.delimiter(), b';');
/// let branch = rows.column("branch")?;
/// let mut branches = Vec::new();
/// while let Some(row) = rows.next_record()? {
///     branches.push((row.line(), row.text(branch).unwrap().to_owned()));
/// }
/// assert_eq!(branches, [(2, "EAST".to_owned()), (3, "WEST".to_owned())]);
///
/// let bad = "patron,branch\np1,\"EAST\np2,WEST\n";
/// let mut rows = CsvRecords::new(bad.as_bytes(), &CsvOptions::new())?;
/// let e = rows.next_record().unwrap_err();
/// assert!(e.to_string().starts_with("input line 2: a quoted field opened on this line is never closed"), "{e}");
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
pub struct CsvRecords<R> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes taken from `buf` so far (the offset of `buf[pos]` in the input).
    consumed: u64,
    /// The line of the next byte.
    line: u64,
    prev_cr: bool,
    delimiter: u8,
    /// The bytes that end a run in a field: the delimiter, `"`, `\r`, `\n`.
    special: [bool; 256],
    cap: usize,
    fields: Vec<u8>,
    ends: Vec<usize>,
    record_line: u64,
    record_offset: u64,
    quote_line: u64,
    header: Vec<String>,
    delimiter_detected: bool,
    quarantine: Quarantine,
    rows: u64,
    source: String,
    input_size: Option<u64>,
}

impl<R> fmt::Debug for CsvRecords<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvRecords")
            .field("source", &self.source)
            .field("delimiter", &(self.delimiter as char))
            .field("max_record_bytes", &self.cap)
            .field("rows", &self.rows)
            .field("quarantined", &self.quarantine.rows())
            .finish_non_exhaustive()
    }
}

/// One record: its fields (byte slices) and its first line number.
/// `Debug` shows the line and the number of fields, never their content.
#[derive(Clone, Copy)]
pub struct CsvRecord<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
    line: u64,
}

impl fmt::Debug for CsvRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvRecord")
            .field("line", &self.line)
            .field("fields", &self.ends.len())
            .finish()
    }
}

impl<'a> CsvRecord<'a> {
    /// The record's first line (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no fields (never true for a returned record).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` (quotes removed, spaces around it trimmed), if present.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start..end)
    }

    /// Field `i` as non-empty UTF-8 text.
    ///
    /// # Errors
    ///
    /// [`QuarantineReason::MissingField`] if absent or empty,
    /// [`QuarantineReason::InvalidUtf8`] if not UTF-8.
    pub fn text(&self, i: usize) -> std::result::Result<&'a str, QuarantineReason> {
        match self.get(i) {
            None | Some(b"") => Err(QuarantineReason::MissingField),
            Some(f) => std::str::from_utf8(f).map_err(|_| QuarantineReason::InvalidUtf8),
        }
    }

    /// Field `i` as a decimal integer with an optional sign (`i128`, so
    /// that both `u64` counts and `i64` values can be range-checked).
    ///
    /// # Errors
    ///
    /// [`QuarantineReason::MissingField`], [`QuarantineReason::InvalidUtf8`],
    /// [`QuarantineReason::NotAnInteger`] (anything but an optional sign and
    /// digits), [`QuarantineReason::OutOfRange`] (beyond `i128`).
    pub fn integer(&self, i: usize) -> std::result::Result<i128, QuarantineReason> {
        let text = self.text(i)?;
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuarantineReason::NotAnInteger);
        }
        text.parse::<i128>()
            .map_err(|_| QuarantineReason::OutOfRange)
    }
}

impl CsvRecords<File> {
    /// Opens the CSV file at `path` and reads its header. The file's size
    /// (when it is a regular file) lets errors say how much was not read.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened or read; otherwise as
    /// [`CsvRecords::new`].
    pub fn from_path(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Self> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::Io {
            path: name.clone(),
            detail: e.to_string(),
        })?;
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        Self::open(file, options, name, size)
    }
}

impl<R: Read> CsvRecords<R> {
    /// Reads the header row of `input`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`input`) if the input is empty, the
    /// header is longer than the cap or has more than [`MAX_FIELDS`] fields,
    /// or a quote in it is never closed; [`Error::Encoding`] (`header`) if a
    /// name is not UTF-8; [`Error::Io`] if reading fails.
    pub fn new(input: R, options: &CsvOptions) -> Result<Self> {
        Self::open(input, options, "input".to_owned(), None)
    }

    /// Like [`CsvRecords::new`], naming the input `source` in messages and
    /// knowing its total size (for "N bytes were not read" in errors).
    ///
    /// # Errors
    ///
    /// As [`CsvRecords::new`].
    pub fn with_source(
        input: R,
        options: &CsvOptions,
        source: &str,
        size: Option<u64>,
    ) -> Result<Self> {
        Self::open(input, options, source.to_owned(), size)
    }

    fn open(input: R, options: &CsvOptions, source: String, size: Option<u64>) -> Result<Self> {
        let mut r = CsvRecords {
            input,
            buf: vec![0u8; CHUNK].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            consumed: 0,
            line: 1,
            prev_cr: false,
            delimiter: options.delimiter.unwrap_or(b','),
            special: [false; 256],
            cap: options.max_record_bytes,
            fields: Vec::new(),
            ends: Vec::new(),
            record_line: 1,
            record_offset: 0,
            quote_line: 1,
            header: Vec::new(),
            delimiter_detected: options.delimiter.is_none(),
            quarantine: Quarantine::default(),
            rows: 0,
            source,
            input_size: size,
        };
        r.fill_first_line()?;
        if r.buf[..r.len].starts_with(b"\xEF\xBB\xBF") {
            r.pos = 3;
            r.consumed = 3;
        }
        if options.delimiter.is_none() {
            r.delimiter = detect_delimiter(&r.buf[r.pos..r.len]);
        }
        for b in [r.delimiter, b'"', b'\r', b'\n'] {
            r.special[usize::from(b)] = true;
        }
        match r.next_raw()? {
            Raw::End => return Err(Error::invalid("input", "is empty: it has no header row")),
            Raw::Oversized => {
                return Err(Error::invalid(
                    "input",
                    format!(
                        "header (line 1) is longer than the record size cap of {} bytes or has more than {MAX_FIELDS} fields",
                        r.cap
                    ),
                ));
            }
            Raw::Record => {}
        }
        let mut header = Vec::with_capacity(r.ends.len());
        let mut start = 0;
        for &end in &r.ends {
            let name = std::str::from_utf8(&r.fields[start..end]).map_err(|e| Error::Encoding {
                param: "header",
                offset: start + e.valid_up_to(),
            })?;
            header.push(name.to_owned());
            start = end;
        }
        r.header = header;
        Ok(r)
    }

    /// Fills the buffer until it holds the first line (or is full, or the
    /// input ends), for the byte-order mark and delimiter detection.
    fn fill_first_line(&mut self) -> Result<()> {
        while self.len < CHUNK && !self.eof {
            if self.buf[..self.len]
                .iter()
                .any(|&b| b == b'\n' || b == b'\r')
            {
                break;
            }
            let n = self.read_into(self.len)?;
            if n == 0 {
                self.eof = true;
            }
            self.len += n;
        }
        Ok(())
    }

    /// Reads into `buf[at..]`, retrying on `Interrupted`.
    fn read_into(&mut self, at: usize) -> Result<usize> {
        loop {
            match self.input.read(&mut self.buf[at..]) {
                Ok(n) => return Ok(n.min(CHUNK - at)),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::Io {
                        path: self.source.clone(),
                        detail: e.to_string(),
                    });
                }
            }
        }
    }

    /// Makes `buf[pos..len]` non-empty; `false` at the end of the input.
    fn refill(&mut self) -> Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        let n = self.read_into(0)?;
        self.pos = 0;
        self.len = n;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Parses the next record into `fields`/`ends`.
    fn next_raw(&mut self) -> Result<Raw> {
        self.fields.clear();
        self.ends.clear();
        let d = self.delimiter;
        let mut state = State::RecordStart;
        let mut oversized = false;
        let mut quoted_break = false;
        let mut field_start = 0usize;
        // Bytes of the current field that trailing trimming keeps (quoted text).
        let mut keep = 0usize;
        loop {
            if self.pos == self.len && !self.refill()? {
                return match state {
                    State::RecordStart => Ok(Raw::End),
                    State::Quoted => Err(self.unclosed_quote(true)),
                    _ => {
                        self.end_field(&mut field_start, &mut keep, &mut oversized);
                        self.finish(oversized, quoted_break)
                    }
                };
            }
            if matches!(state, State::Unquoted | State::Quoted) {
                // Fast path: a run of bytes without meaning to the parser.
                let run = self.buf[self.pos..self.len]
                    .iter()
                    .position(|&c| self.special[usize::from(c)])
                    .unwrap_or(self.len - self.pos);
                if run > 0 {
                    let room = self.cap.saturating_sub(self.fields.len() + self.ends.len());
                    let take = run.min(room);
                    self.reserve(take);
                    self.fields
                        .extend_from_slice(&self.buf[self.pos..self.pos + take]);
                    if run > room {
                        oversized = true;
                        if state == State::Quoted && quoted_break {
                            self.pos += run;
                            self.consumed += run as u64;
                            return Err(self.unclosed_quote(false));
                        }
                    }
                    self.pos += run;
                    self.consumed += run as u64;
                    self.prev_cr = false;
                    continue;
                }
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            self.consumed += 1;
            let line_of_b = self.line;
            match b {
                b'\r' => {
                    self.line += 1;
                    self.prev_cr = true;
                }
                b'\n' => {
                    if !self.prev_cr {
                        self.line += 1;
                    }
                    self.prev_cr = false;
                }
                _ => self.prev_cr = false,
            }
            let is_break = b == b'\r' || b == b'\n';
            if state == State::RecordStart {
                if is_break {
                    continue;
                }
                self.record_line = line_of_b;
                self.record_offset = self.consumed - 1;
                state = State::FieldStart;
            }
            state = match state {
                State::RecordStart | State::FieldStart => {
                    if b == d {
                        self.end_field(&mut field_start, &mut keep, &mut oversized);
                        State::FieldStart
                    } else if is_break {
                        self.end_field(&mut field_start, &mut keep, &mut oversized);
                        return self.finish(oversized, quoted_break);
                    } else if b == b' ' || b == b'\t' {
                        State::FieldStart
                    } else if b == b'"' {
                        self.quote_line = line_of_b;
                        State::Quoted
                    } else {
                        self.push(b, &mut oversized);
                        State::Unquoted
                    }
                }
                State::Unquoted => {
                    if b == d {
                        self.end_field(&mut field_start, &mut keep, &mut oversized);
                        State::FieldStart
                    } else if is_break {
                        self.end_field(&mut field_start, &mut keep, &mut oversized);
                        return self.finish(oversized, quoted_break);
                    } else {
                        self.push(b, &mut oversized);
                        State::Unquoted
                    }
                }
                State::Quoted => {
                    if b == b'"' {
                        State::QuoteInQuoted
                    } else {
                        if is_break {
                            quoted_break = true;
                        }
                        self.push(b, &mut oversized);
                        if oversized && quoted_break {
                            return Err(self.unclosed_quote(false));
                        }
                        State::Quoted
                    }
                }
                State::QuoteInQuoted => {
                    if b == b'"' {
                        self.push(b'"', &mut oversized);
                        State::Quoted
                    } else {
                        keep = self.fields.len() - field_start;
                        if b == d {
                            self.end_field(&mut field_start, &mut keep, &mut oversized);
                            State::FieldStart
                        } else if is_break {
                            self.end_field(&mut field_start, &mut keep, &mut oversized);
                            return self.finish(oversized, quoted_break);
                        } else {
                            self.push(b, &mut oversized);
                            State::Unquoted
                        }
                    }
                }
            };
        }
    }

    /// Stores one byte of the current record, or marks it oversized.
    #[inline]
    fn push(&mut self, b: u8, oversized: &mut bool) {
        if self.fields.len() + self.ends.len() < self.cap {
            self.reserve(1);
            self.fields.push(b);
        } else {
            *oversized = true;
        }
    }

    /// Makes room for `additional` more bytes, never growing the record
    /// buffer past the cap: doubling, and straight to the cap past half of
    /// it (so a reallocation holds at most 1.5 times the cap).
    #[inline]
    fn reserve(&mut self, additional: usize) {
        let needed = self.fields.len() + additional;
        if needed > self.fields.capacity() {
            let doubled = needed.max(self.fields.capacity() * 2);
            let target = if doubled > self.cap / 2 {
                self.cap.max(needed)
            } else {
                doubled
            };
            self.fields.reserve_exact(target - self.fields.len());
        }
    }

    /// Ends the current field: trims trailing spaces and tabs (not quoted
    /// ones) and records its end.
    fn end_field(&mut self, field_start: &mut usize, keep: &mut usize, oversized: &mut bool) {
        if *oversized {
            return;
        }
        let min = *field_start + *keep;
        while self.fields.len() > min && matches!(self.fields.last(), Some(b' ' | b'\t')) {
            self.fields.pop();
        }
        if self.ends.len() >= MAX_FIELDS || self.fields.len() + self.ends.len() >= self.cap {
            *oversized = true;
            return;
        }
        self.ends.push(self.fields.len());
        *field_start = self.fields.len();
        *keep = 0;
    }

    fn finish(&self, oversized: bool, quoted_break: bool) -> Result<Raw> {
        match (oversized, quoted_break) {
            (false, _) => Ok(Raw::Record),
            (true, false) => Ok(Raw::Oversized),
            (true, true) => Err(self.unclosed_quote(false)),
        }
    }

    /// The error for a quote that is never closed (`at_end`) or that runs a
    /// record over the cap across lines.
    fn unclosed_quote(&self, at_end: bool) -> Error {
        let what = if at_end {
            "is never closed (the input ends inside it)".to_owned()
        } else {
            format!(
                "is still open {} lines later, past the record size cap of {} bytes",
                thousands(self.line.saturating_sub(self.quote_line)),
                thousands(self.cap as u64)
            )
        };
        let record = if self.record_line == self.quote_line {
            String::new()
        } else {
            format!(
                " (in the row starting at line {})",
                thousands(self.record_line)
            )
        };
        let unread = match self.input_size {
            Some(total) => format!(
                "{} of the input's {} bytes",
                thousands(total.saturating_sub(self.record_offset)),
                thousands(total)
            ),
            None if at_end => format!(
                "{} bytes, to the end of the input",
                thousands(self.consumed.saturating_sub(self.record_offset))
            ),
            None => "everything to the end of the input".to_owned(),
        };
        Error::invalid(
            "input",
            format!(
                "line {}: a quoted field opened on this line {what}{record}; reading stopped: from line {} on ({unread}), nothing was read as rows. Fix the quoting there{}",
                thousands(self.quote_line),
                thousands(self.record_line),
                if at_end {
                    ""
                } else {
                    ", or raise the record size cap if a quoted field really is that long"
                }
            ),
        )
    }

    /// The next record, skipping (and quarantining as
    /// [`QuarantineReason::TooLong`]) those over the cap; `None` at the end
    /// of the input.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`input`) for an unclosed quote (see the
    /// type's documentation); [`Error::Io`] if reading fails. Either stops
    /// the reading: release nothing computed from the input.
    pub fn next_record(&mut self) -> Result<Option<CsvRecord<'_>>> {
        loop {
            match self.next_raw()? {
                Raw::End => return Ok(None),
                Raw::Oversized => {
                    self.rows += 1;
                    self.quarantine
                        .record(QuarantineReason::TooLong, "row", self.record_line);
                }
                Raw::Record => {
                    self.rows += 1;
                    return Ok(Some(CsvRecord {
                        bytes: &self.fields,
                        ends: &self.ends,
                        line: self.record_line,
                    }));
                }
            }
        }
    }

    /// The record last returned by [`next_record`](Self::next_record).
    pub(crate) fn current_record(&self) -> CsvRecord<'_> {
        CsvRecord {
            bytes: &self.fields,
            ends: &self.ends,
            line: self.record_line,
        }
    }

    /// The header's column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The delimiter in use (given, or detected from the header line).
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Whether the delimiter was detected rather than given.
    pub fn delimiter_detected(&self) -> bool {
        self.delimiter_detected
    }

    /// The position of column `name` in the header (its first occurrence).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`columns`) if the header has no such
    /// column; the message shows the header read and the delimiter used, and
    /// says so when the header looks delimited by another character.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::invalid("columns", format!("name {name:?}, {}", self.not_found()))
        })
    }

    /// Describes the header for a "column not found" message.
    fn not_found(&self) -> String {
        let d = self.delimiter;
        let how = if self.delimiter_detected {
            "detected"
        } else {
            "as set"
        };
        let joined = self.header.join(&(d as char).to_string());
        let mut preview: String = joined.chars().take(HEADER_PREVIEW_CHARS).collect();
        if preview.len() < joined.len() {
            preview.push('…');
        }
        let n = self.header.len();
        let mut text = format!(
            "which is not in the input's header: line 1, split with delimiter {} ({how}), has {n} column{}: {preview:?}",
            describe_delimiter(d),
            if n == 1 { "" } else { "s" },
        );
        let other = detect_delimiter(joined.as_bytes());
        if n == 1 && other != d && joined.as_bytes().contains(&other) {
            text.push_str(&format!(
                "; it looks delimited by {} instead",
                describe_delimiter(other)
            ));
        }
        text
    }

    /// Records a row the caller rejects (for example a field that is not a
    /// number) in the reader's quarantine.
    pub fn quarantine_row(&mut self, reason: QuarantineReason, field: &str, line: u64) {
        self.quarantine.record(reason, field, line);
    }

    /// The rows quarantined so far (by the reader and by
    /// [`quarantine_row`](Self::quarantine_row)).
    pub fn quarantine(&self) -> &Quarantine {
        &self.quarantine
    }

    /// Data rows read so far (returned and quarantined as too long).
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// Bytes of input consumed so far (for a progress display).
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The input's total size, if known.
    pub fn input_size(&self) -> Option<u64> {
        self.input_size
    }
}

/// The most frequent of [`DETECTED_DELIMITERS`] outside quotes in the first
/// line of `text` (the first on a tie; a comma when none occurs).
fn detect_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; DETECTED_DELIMITERS.len()];
    let mut quoted = false;
    for &b in text {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && (b == b'\n' || b == b'\r') {
            break;
        } else if !quoted && let Some(i) = DETECTED_DELIMITERS.iter().position(|&d| d == b) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..counts.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DETECTED_DELIMITERS[best]
}

/// `n` with thousands separators.
pub(crate) fn thousands(n: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    fn records(data: &[u8], options: &CsvOptions) -> Result<Vec<(u64, Vec<Vec<u8>>)>> {
        let mut r = CsvRecords::new(data, options)?;
        let mut out = vec![(
            1,
            r.header().iter().map(|h| h.as_bytes().to_vec()).collect(),
        )];
        while let Some(rec) = r.next_record()? {
            out.push((
                rec.line(),
                (0..rec.len())
                    .map(|i| rec.get(i).unwrap().to_vec())
                    .collect(),
            ));
        }
        Ok(out)
    }

    fn fields(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn parses_quotes_breaks_and_whitespace() {
        let data = b"\xEF\xBB\xBFa, b ,c\r\n x ,\"y,\"\"z\"\"\", \" q \" \r\n\r\n\n\"multi\nline\",2,\"ab\"cd\rlast,,";
        let got = records(data, &CsvOptions::new()).unwrap();
        assert_eq!(
            got,
            vec![
                (1, fields(&["a", "b", "c"])),
                (2, fields(&["x", "y,\"z\"", " q "])),
                (5, fields(&["multi\nline", "2", "abcd"])),
                (7, fields(&["last", "", ""])),
            ]
        );
    }

    #[test]
    fn detects_the_delimiter_from_the_header() {
        for (data, d) in [
            (&b"a;b;c\n1;2;3\n"[..], b';'),
            (b"a\tb\n1\t2\n", b'\t'),
            (b"a|b\n1|2\n", b'|'),
            (b"a,b;c\n", b','),
            (b"\"x;y;z\",b,c\n", b','),
            (b"single\n", b','),
        ] {
            let r = CsvRecords::new(data, &CsvOptions::new().detect_delimiter()).unwrap();
            assert_eq!(r.delimiter(), d, "{:?}", String::from_utf8_lossy(data));
            assert!(r.delimiter_detected());
        }
    }

    #[test]
    fn a_missing_column_shows_the_header_and_the_delimiter() {
        let data = b"patron_id;branch;format\np;MAIN;book\n";
        let r = CsvRecords::new(&data[..], &CsvOptions::new()).unwrap();
        let e = r.column("patron_id").unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(
            e.to_string(),
            "columns name \"patron_id\", which is not in the input's header: line 1, split with \
             delimiter ',' (comma) (as set), has 1 column: \"patron_id;branch;format\"; it looks \
             delimited by ';' (semicolon) instead"
        );
        let r = CsvRecords::new(&data[..], &CsvOptions::new().detect_delimiter()).unwrap();
        assert_eq!(r.column("format").unwrap(), 2);
        let e = r.column("items").unwrap_err().to_string();
        assert!(
            e.contains("';' (semicolon) (detected), has 3 columns"),
            "{e}"
        );
    }

    #[test]
    fn an_unterminated_quote_is_an_error_naming_its_line() {
        let mut data = b"u,p\n".to_vec();
        for i in 0..49 {
            data.extend_from_slice(format!("u{i},P\n").as_bytes());
        }
        data.extend_from_slice(b"u49,\"P\n"); // line 51
        for i in 0..100 {
            data.extend_from_slice(format!("u{i},P\n").as_bytes());
        }
        let size = data.len() as u64;
        let mut r =
            CsvRecords::with_source(&data[..], &CsvOptions::new(), "x.csv", Some(size)).unwrap();
        let mut good = 0;
        let e = loop {
            match r.next_record() {
                Ok(Some(_)) => good += 1,
                Ok(None) => panic!("the quote was not noticed"),
                Err(e) => break e,
            }
        };
        assert_eq!(good, 49);
        assert_eq!(e.status(), Status::InvalidArgument);
        let unread = size - data.windows(7).position(|w| w == b"\"P\nu0,P").unwrap() as u64 + 4;
        assert_eq!(
            e.to_string(),
            format!(
                "input line 51: a quoted field opened on this line is never closed (the input ends \
                 inside it); reading stopped: from line 51 on ({} of the input's {} bytes), \
                 nothing was read as rows. Fix the quoting there",
                thousands(unread),
                thousands(size)
            )
        );
    }

    #[test]
    fn a_quote_running_past_the_cap_over_lines_is_an_error_not_one_quarantined_row() {
        // A stray quote at line 3, closed by another stray quote far below:
        // the "row" would swallow everything in between.
        let mut data = b"u,p\na,b\nc,\"d\n".to_vec();
        for i in 0..10_000 {
            data.extend_from_slice(format!("u{i},P\n").as_bytes());
        }
        data.extend_from_slice(b"x,\"y\nz,w\n");
        let options = CsvOptions::new().with_max_record_bytes(1024).unwrap();
        let mut r = CsvRecords::new(&data[..], &options).unwrap();
        assert!(r.next_record().unwrap().is_some());
        let e = r.next_record().unwrap_err().to_string();
        assert!(
            e.starts_with("input line 3: a quoted field opened on this line is still open"),
            "{e}"
        );
        assert!(e.contains("past the record size cap of 1,024 bytes"), "{e}");
        assert!(e.contains("everything to the end of the input"), "{e}");
        // It stopped near the cap, not at the end of the input.
        assert!(r.bytes_read() < 4096, "{}", r.bytes_read());
    }

    #[test]
    fn long_lines_are_quarantined_with_their_line_and_reading_goes_on() {
        let mut data = b"u,p\na,b\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100_000));
        data.extend_from_slice(b",y\nc,d\n");
        data.extend(std::iter::repeat_n(b',', 5000)); // too many fields
        data.extend_from_slice(b"\ne,f\n");
        let options = CsvOptions::new().with_max_record_bytes(50_000).unwrap();
        let got: Vec<u64> = {
            let mut r = CsvRecords::new(&data[..], &options).unwrap();
            let mut lines = Vec::new();
            while let Some(rec) = r.next_record().unwrap() {
                lines.push(rec.line());
            }
            assert_eq!(r.rows_read(), 5);
            assert_eq!(
                r.quarantine().to_string(),
                "2 rows quarantined:\n  2 rows: row is longer than the record size cap (lines 3, 5)\n"
            );
            assert!(r.fields.capacity() <= 50_000);
            lines
        };
        assert_eq!(got, vec![2, 4, 6]);
    }

    #[test]
    fn a_record_exactly_at_the_cap_is_kept() {
        // "abcdefghijklmn" (14) + "x" (1) + one per field (2) = 17 bytes.
        let data = b"h,i\nabcdefghijklmn,x\nabcdefghijklmno,x\n";
        let options = CsvOptions::new().with_max_record_bytes(17).unwrap();
        let mut r = CsvRecords::new(&data[..], &options).unwrap();
        assert_eq!(r.next_record().unwrap().unwrap().line(), 2);
        assert!(r.next_record().unwrap().is_none());
        assert_eq!(r.quarantine().rows(), 1);
    }

    #[test]
    fn bad_headers_and_options_are_errors() {
        let e = CsvRecords::new(&b""[..], &CsvOptions::new()).unwrap_err();
        assert_eq!(e.to_string(), "input is empty: it has no header row");
        let e = CsvRecords::new(&b"\n\n"[..], &CsvOptions::new()).unwrap_err();
        assert_eq!(e.to_string(), "input is empty: it has no header row");
        let e = CsvRecords::new(&b"a,\xff\n"[..], &CsvOptions::new()).unwrap_err();
        assert_eq!(e.status(), Status::Encoding);
        let long = [b'h'; 100];
        let options = CsvOptions::new().with_max_record_bytes(50).unwrap();
        let e = CsvRecords::new(&long[..], &options).unwrap_err();
        assert!(e.to_string().contains("header (line 1) is longer"), "{e}");
        let e = CsvRecords::new(&b"a,\"b\n"[..], &CsvOptions::new()).unwrap_err();
        assert!(
            e.to_string().starts_with("input line 1: a quoted field"),
            "{e}"
        );
        for bad in [b'"', b'\n', b'\r', b' ', 0, 0xC3] {
            let e = CsvOptions::new().with_delimiter(bad).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument);
        }
        for bad in [0, 15, MAX_RECORD_BYTES_LIMIT + 1] {
            assert!(CsvOptions::new().with_max_record_bytes(bad).is_err());
        }
        let e = CsvRecords::from_path("/nonexistent/x.csv", &CsvOptions::new()).unwrap_err();
        assert_eq!(e.status(), Status::Io);
    }

    #[test]
    fn field_accessors_check_text_and_integers() {
        let data = b"a,b,c,d,e\n,x\xff,12,-7x,99999999999999999999999999999999999999999\n";
        let mut r = CsvRecords::new(&data[..], &CsvOptions::new()).unwrap();
        let rec = r.next_record().unwrap().unwrap();
        assert_eq!(rec.text(0), Err(QuarantineReason::MissingField));
        assert_eq!(rec.text(1), Err(QuarantineReason::InvalidUtf8));
        assert_eq!(rec.integer(2), Ok(12));
        assert_eq!(rec.integer(3), Err(QuarantineReason::NotAnInteger));
        assert_eq!(rec.integer(4), Err(QuarantineReason::OutOfRange));
        assert_eq!(rec.text(9), Err(QuarantineReason::MissingField));
        assert_eq!(format!("{rec:?}"), "CsvRecord { line: 2, fields: 5 }");
    }

    /// Reads of any size (1 byte at a time, or chunks that split CRLF and
    /// quotes) give the same records.
    #[test]
    fn chunk_boundaries_do_not_matter() {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data = b"a;b\r\n\"x\r\ny\";\"\"\"\"\r\n  p ; q \r\r\nz;\"w\"\"\"\n";
        let options = CsvOptions::new().detect_delimiter();
        let whole = records(data, &options).unwrap();
        for step in 1..8 {
            let mut r = CsvRecords::new(Trickle(data, step), &options).unwrap();
            let mut got = vec![(1, fields(&["a", "b"]))];
            while let Some(rec) = r.next_record().unwrap() {
                got.push((
                    rec.line(),
                    (0..rec.len())
                        .map(|i| rec.get(i).unwrap().to_vec())
                        .collect(),
                ));
            }
            assert_eq!(got, whole, "step {step}");
        }
        assert_eq!(whole[1], (2, fields(&["x\r\ny", "\""])));
        assert_eq!(whole[2], (4, fields(&["p", "q"])));
        assert_eq!(whole[3], (6, fields(&["z", "w\""])));
    }
}
