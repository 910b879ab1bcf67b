//! Changing any byte of a closed ledger is detected when it is opened (and
//! by the read-only verifier), and the damaged file is left as it was.

use std::path::PathBuf;

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, Composition, Limit, Period, verify_ledger_file};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-tamper-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A ledger with every kind of entry a normal run writes.
fn write_ledger(path: &std::path::Path) {
    let b = Budget::open(path).unwrap();
    b.set_limit(
        "tenant/loans",
        Limit::epsilon_delta(1.0, 1e-6).unwrap(),
        "2026 plan",
    )
    .unwrap();
    b.set_alert_threshold("tenant/loans", 0.5).unwrap();
    b.set_period("tenant/loans", Period::CalendarYear).unwrap();
    b.laplace("tenant/loans", 12.0, 1.0, 0.25).unwrap();
    b.gaussian("tenant/loans", 12.0, 1.0, 0.5, 1e-7).unwrap(); // crosses 50%: an alert
    b.set_composition("tenant/gauss", Composition::Zcdp)
        .unwrap();
    b.set_limit(
        "tenant/gauss",
        Limit::epsilon_delta(2.0, 1e-6).unwrap(),
        "zcdp plan",
    )
    .unwrap();
    b.gaussian("tenant/gauss", 3.5, 2.0, 1.0, 1e-6).unwrap();
    b.set_limit(
        "tenant/loans",
        Limit::epsilon_delta(2.0, 1e-6).unwrap(),
        "raised",
    )
    .unwrap();
}

#[test]
fn every_changed_byte_is_detected() {
    let dir = temp_dir("bytes");
    let original_path = dir.join("original.jsonl");
    write_ledger(&original_path);
    let original = std::fs::read(&original_path).unwrap();
    assert!(Budget::open(&original_path).is_ok());
    let copy = dir.join("tampered.jsonl");
    let mut checked = 0;
    for i in 0..original.len() {
        // A low bit (digits, letters, quotes) and the high bit (not UTF-8).
        for mask in [0x01u8, 0x80] {
            let mut bytes = original.clone();
            bytes[i] ^= mask;
            std::fs::write(&copy, &bytes).unwrap();
            match Budget::open(&copy) {
                Ok(_) => panic!("byte {i} ^ {mask:#04x} went undetected"),
                Err(e) => assert_eq!(e.status(), Status::LedgerIntegrity, "byte {i}: {e}"),
            }
            // The read-only verifier agrees, and nothing rewrote the file.
            let e = verify_ledger_file(&copy).unwrap_err();
            assert_eq!(e.status(), Status::LedgerIntegrity, "byte {i}: {e}");
            assert_eq!(
                std::fs::read(&copy).unwrap(),
                bytes,
                "a damaged ledger is never rewritten"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, original.len() * 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn removed_inserted_or_swapped_lines_are_detected() {
    let dir = temp_dir("lines");
    let path = dir.join("l.jsonl");
    write_ledger(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let copy = dir.join("copy.jsonl");
    let write = |ls: &[&str]| {
        let mut t = ls.join("\n");
        t.push('\n');
        std::fs::write(&copy, t).unwrap();
    };
    // Removing any line but the last, duplicating one, or swapping two.
    for i in 0..lines.len() - 1 {
        let mut ls = lines.clone();
        ls.remove(i);
        write(&ls);
        assert_eq!(
            Budget::open(&copy).unwrap_err().status(),
            Status::LedgerIntegrity,
            "remove {i}"
        );
        let mut ls = lines.clone();
        ls.insert(i, lines[i]);
        write(&ls);
        assert_eq!(
            Budget::open(&copy).unwrap_err().status(),
            Status::LedgerIntegrity,
            "dup {i}"
        );
        let mut ls = lines.clone();
        ls.swap(i, i + 1);
        write(&ls);
        assert_eq!(
            Budget::open(&copy).unwrap_err().status(),
            Status::LedgerIntegrity,
            "swap {i}"
        );
    }
    // Cutting whole lines off the end leaves a valid, shorter chain: only a
    // head recorded elsewhere shows it (documented).
    let head = verify_ledger_file(&path).unwrap().head;
    write(&lines[..lines.len() - 1]);
    let shorter = verify_ledger_file(&copy).unwrap();
    assert_ne!(shorter.head, head);
    std::fs::remove_dir_all(dir).unwrap();
}
