//! The CSV record reader on untrusted bytes: bounded memory, fail-closed
//! errors, and records that read back the same once written canonically.

use ilsprivacy::Status;
use ilsprivacy::aggregate::{CsvOptions, CsvRecords, DETECTED_DELIMITERS, MAX_FIELDS};

/// The first byte picks the options: bit 0 detects the delimiter (else
/// bits 1–2 choose one of the four), bits 4–7 the record cap
/// (16 · 2^(b >> 4), 16 bytes to 512 KiB). The rest is the input.
///
/// Checks: no panic; errors are an unclosed quote (`input`), a bad or empty
/// header, never anything else; every record fits the cap and has at most
/// `MAX_FIELDS` fields; line numbers grow; rows read = records returned +
/// quarantined; the record buffer never holds more than twice the cap; and
/// the records written back canonically (every field quoted) read back
/// identically.
pub fn records(data: &[u8]) {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let cap = 16usize << (mode >> 4);
    let mut options = CsvOptions::new()
        .with_max_record_bytes(cap)
        .expect("a valid cap");
    options = if mode & 1 == 1 {
        options.detect_delimiter()
    } else {
        options
            .with_delimiter(DETECTED_DELIMITERS[usize::from(mode >> 1) & 3])
            .expect("a valid delimiter")
    };
    let mut reader = match CsvRecords::new(input, &options) {
        Ok(r) => r,
        Err(e) => {
            assert!(
                matches!(e.status(), Status::InvalidArgument | Status::Encoding),
                "header: {e}"
            );
            return;
        }
    };
    let delimiter = reader.delimiter();
    let mut canonical = canonical_line(
        &reader
            .header()
            .iter()
            .map(|h| h.as_bytes().to_vec())
            .collect::<Vec<_>>(),
        delimiter,
    );
    let mut expected = Vec::new();
    let mut last_line = 1;
    let mut returned = 0u64;
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                // Every record (and the header) ends with a line break.
                assert!(record.line() > last_line, "line numbers must grow");
                last_line = record.line();
                assert!(!record.is_empty() && record.len() <= MAX_FIELDS);
                let fields: Vec<Vec<u8>> = (0..record.len())
                    .map(|i| record.get(i).expect("a field").to_vec())
                    .collect();
                let size: usize = fields.iter().map(|f| f.len() + 1).sum();
                assert!(
                    size <= cap,
                    "a record of {size} bytes passed a cap of {cap}"
                );
                canonical.extend_from_slice(&canonical_line(&fields, delimiter));
                expected.push(fields);
                returned += 1;
            }
            Ok(None) => break,
            Err(e) => {
                assert_eq!(e.status(), Status::InvalidArgument, "row: {e}");
                assert!(e.to_string().contains("quoted field"), "row: {e}");
                return;
            }
        }
    }
    assert_eq!(returned + reader.quarantine().rows(), reader.rows_read());
    // Written back with every field quoted, the records read back the same
    // (fields are then never trimmed, split or joined).
    let options = CsvOptions::new()
        .with_delimiter(delimiter)
        .expect("valid")
        .with_max_record_bytes(ilsprivacy::aggregate::MAX_RECORD_BYTES_LIMIT)
        .expect("valid");
    let mut again = CsvRecords::new(&canonical[..], &options).expect("a canonical header");
    let mut got = Vec::new();
    while let Some(record) = again.next_record().expect("canonical records") {
        got.push(
            (0..record.len())
                .map(|i| record.get(i).expect("a field").to_vec())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(got, expected, "canonical form read back differently");
}

/// One line with every field quoted (`"` doubled), ended by `\n`.
fn canonical_line(fields: &[Vec<u8>], delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        out.push(b'"');
        for &b in f {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    out.push(b'\n');
    out
}
