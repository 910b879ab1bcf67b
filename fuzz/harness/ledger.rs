//! Ledger files from untrusted bytes: verify, open (with torn-tail repair),
//! spend, reopen.
//!
//! Two entry points: [`bytes`] writes the input as the file, as a damaged
//! or hostile ledger would be; [`lines`] first rebuilds the hash chain
//! around the input's lines so that mutations reach the semantic checks
//! (limits, spends, rules) instead of stopping at the first wrong hash.

use std::time::Duration;

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, BudgetOptions, Charge, verify_ledger_file};
use sha2::{Digest, Sha256};

use super::support::Scratch;

/// Writes `data` as a ledger file and checks it through every reader.
pub fn bytes(data: &[u8]) {
    check(data);
}

/// Placeholder replaced by the previous line's hash in [`lines`].
pub const PREV: &[u8] = b"@PREV@";
/// Placeholder replaced by the line's sequence number in [`lines`].
pub const SEQ: &[u8] = b"@SEQ@";

/// Builds a ledger from lines without their `hash` member: in each line,
/// `@PREV@` becomes the previous line's hash and `@SEQ@` the line's number,
/// and `,"hash":"<SHA-256>"}` is appended (so a line is a ledger object
/// without its closing brace). A last line that does not end in `\n` is kept
/// without a newline; if it starts with `!`, the rest is appended raw (a torn
/// write).
pub fn lines(data: &[u8]) {
    check(&rechain(data));
}

/// The ledger bytes [`lines`] builds from `data`.
pub fn rechain(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 128);
    let mut prev = [0u8; 32];
    let mut rest = data;
    let mut seq = 0u64;
    while !rest.is_empty() {
        let (line, newline) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => {
                let line = &rest[..nl];
                rest = &rest[nl + 1..];
                (line, true)
            }
            None => {
                let line = rest;
                rest = &[];
                (line, false)
            }
        };
        if !newline && let Some(raw) = line.strip_prefix(b"!") {
            out.extend_from_slice(raw);
            break;
        }
        let covered = replace(
            &replace(line, PREV, hex(&prev).as_bytes()),
            SEQ,
            seq.to_string().as_bytes(),
        );
        let mut hasher = Sha256::new();
        hasher.update(&covered);
        hasher.update(b"}");
        let hash: [u8; 32] = hasher.finalize().into();
        out.extend_from_slice(&covered);
        out.extend_from_slice(b",\"hash\":\"");
        out.extend_from_slice(hex(&hash).as_bytes());
        out.extend_from_slice(b"\"}");
        if newline {
            out.push(b'\n');
        }
        prev = hash;
        seq += 1;
    }
    out
}

/// The inverse of [`rechain`] for a well-formed ledger: each line without its
/// `hash` member, with its `prev` and `seq` values turned into placeholders
/// (used to turn real ledgers into seeds for [`lines`]).
pub fn unchain(ledger: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ledger.len());
    for (i, line) in ledger.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let hash_at = find(line, b",\"hash\":\"").unwrap_or(line.len());
        let covered = &line[..hash_at];
        let seq = format!("\"seq\":{i},");
        let covered = replace(covered, seq.as_bytes(), b"\"seq\":@SEQ@,");
        let prev_at = find(&covered, b"\"prev\":\"").map(|p| p + 8);
        let covered = match prev_at {
            Some(p) if covered.len() >= p + 64 => {
                [&covered[..p], PREV, &covered[p + 64..]].concat()
            }
            _ => covered,
        };
        out.extend_from_slice(&covered);
        out.push(b'\n');
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = find(rest, from) {
        out.extend_from_slice(&rest[..p]);
        out.extend_from_slice(to);
        rest = &rest[p + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The properties every ledger must satisfy, whatever its bytes:
///
/// - the read-only verifier never changes the file;
/// - a file the verifier accepts also opens;
/// - a file that fails to open with an integrity error is left untouched;
/// - after a successful open (which may repair a torn tail) the file
///   verifies with no torn tail, the handle's export is the file, and a
///   spend plus a reopen leave a ledger whose accounts read back the same.
fn check(data: &[u8]) {
    let file = Scratch::new("ledger");
    let path = &file.0;
    std::fs::write(path, data).expect("write the scratch ledger");
    let options = BudgetOptions {
        lock_timeout: Duration::ZERO,
        ..BudgetOptions::default()
    };

    let verified = verify_ledger_file(path);
    assert_eq!(
        std::fs::read(path).expect("read back"),
        data,
        "the verifier changed the file"
    );
    if let Err(e) = &verified {
        assert!(
            matches!(e.status(), Status::LedgerIntegrity),
            "verify: unexpected error {e}"
        );
    }

    let budget = match Budget::open_with(path, &options) {
        Ok(b) => b,
        Err(e) => {
            assert!(
                verified.is_err(),
                "verified as {verified:?} but failed to open: {e}"
            );
            assert!(
                matches!(e.status(), Status::LedgerIntegrity),
                "open: unexpected error {e}"
            );
            assert_eq!(
                std::fs::read(path).expect("read back"),
                data,
                "a ledger that failed to open was changed"
            );
            return;
        }
    };

    let after_open = verify_ledger_file(path).expect("an opened ledger verifies");
    assert_eq!(after_open.torn_tail_bytes, 0, "open left a torn tail");
    if let Ok(before) = &verified {
        assert!(after_open.entries >= before.entries);
        if before.torn_tail_bytes == 0 && !data.is_empty() {
            assert_eq!(after_open.head, before.head, "open changed a sound ledger");
        }
    }
    assert_eq!(
        budget.export_ledger().expect("export"),
        std::fs::read(path).expect("read back"),
        "export differs from the file"
    );

    let accounts = budget.accounts().expect("accounts");
    assert_eq!(accounts.len(), after_open.accounts);
    if let Some(first) = accounts.first() {
        let charge = Charge::pure_dp(1e-3).expect("a valid charge");
        match budget.spend(first, &charge) {
            Ok(_) => {}
            Err(e) => assert!(
                matches!(
                    e.status(),
                    Status::BudgetExhausted | Status::InvalidArgument
                ),
                "spend: unexpected error {e}"
            ),
        }
    }
    let statuses: Vec<_> = accounts
        .iter()
        .map(|a| budget.status(a).expect("status of a listed account"))
        .collect();
    drop(budget);

    verify_ledger_file(path).expect("the ledger verifies after a spend");
    let reopened = Budget::open_with(path, &options).expect("reopen");
    assert_eq!(reopened.accounts().expect("accounts"), accounts);
    for status in &statuses {
        assert_eq!(
            &reopened.status(&status.account).expect("status"),
            status,
            "an account reads back differently after reopening"
        );
    }
}
