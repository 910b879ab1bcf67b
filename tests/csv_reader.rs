//! The CSV record reader against the `csv` crate as a reference, on inputs
//! both read (RFC 4180 files with quoting, CRLF and blank lines).

use ilsprivacy::aggregate::{CsvOptions, CsvRecords};
use proptest::prelude::*;

/// Fields from an alphabet with every character that matters to CSV; no
/// space or tab at either end (this reader trims them outside quotes, the
/// reference does not).
fn field() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            'a', 'Z', '7', ',', ';', '"', '\n', '\r', ' ', '\t', 'é',
        ]),
        0..8,
    )
    .prop_map(|chars| {
        let s: String = chars.into_iter().collect();
        s.trim_matches([' ', '\t']).to_owned()
    })
}

fn reference(data: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    r.byte_records()
        .map(|rec| rec.unwrap().iter().map(<[u8]>::to_vec).collect())
        .collect()
}

fn ours(data: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
    let options = CsvOptions::new().with_delimiter(delimiter).unwrap();
    let mut r = CsvRecords::new(data, &options).unwrap();
    let mut out = vec![r.header().iter().map(|h| h.as_bytes().to_vec()).collect()];
    while let Some(rec) = r.next_record().unwrap() {
        out.push(
            (0..rec.len())
                .map(|i| rec.get(i).unwrap().to_vec())
                .collect(),
        );
    }
    assert_eq!(r.quarantine().rows(), 0);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn reads_what_the_csv_crate_writes_as_the_csv_crate_reads_it(
        rows in prop::collection::vec(prop::collection::vec(field(), 1..5), 1..8),
        semicolon in any::<bool>(),
        crlf in any::<bool>(),
        blank_lines in any::<bool>(),
    ) {
        let delimiter = if semicolon { b';' } else { b',' };
        let line = |fields: &[&str]| {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            w.write_record(fields).unwrap();
            w.into_inner().unwrap()
        };
        // A plain ASCII header, as the reader wants UTF-8 names.
        let mut data = line(&["h1", "h2"]);
        for row in &rows {
            let fields: Vec<&str> = row.iter().map(String::as_str).collect();
            data.extend_from_slice(&line(&fields));
            if blank_lines {
                data.extend_from_slice(b"\n");
            }
        }
        prop_assert_eq!(ours(&data, delimiter), reference(&data, delimiter));
    }
}
