//! Helpers of the program's integration tests: generated exports, a scratch
//! directory, running the built `ilsprivacy`.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built program.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ilsprivacy")
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!(
            "ilsp-cli-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the program with `args` in a clean environment (a private
/// XDG_STATE_HOME and HOME under `state`).
pub fn run(state: &Path, args: &[&str]) -> Output {
    command(state, args).output().expect("the program runs")
}

/// The program as a command, environment prepared.
pub fn command(state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("XDG_STATE_HOME", state.join("xdg"))
        .env("HOME", state.join("home"))
        .stdin(Stdio::null());
    c
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Five branches of a library that are not the sample's.
pub const BRANCHES: [&str; 5] = ["MAIN", "NORTH", "SOUTH", "WESTVIEW", "HILLCREST"];

/// A deterministic 64-bit hash (SplitMix64) of a row number.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One good row of a generated export for line `line` (fields in the
/// order of [`HEADER`]).
pub fn row(line: usize, patrons: usize, branches: &[&str]) -> Vec<String> {
    let h = mix(line as u64);
    let patron = (h % patrons as u64) as usize;
    // A home branch per patron, another one time in five.
    let home = (mix(patron as u64 + 7) % branches.len() as u64) as usize;
    let branch = if (h >> 20).is_multiple_of(5) {
        ((h >> 24) % branches.len() as u64) as usize
    } else {
        home
    };
    let format = match (h >> 32) % 10 {
        0..=5 => "book",
        6..=8 => "dvd",
        _ => "ebook",
    };
    let items = 1 + (h >> 40) % 3;
    let days = 7 + (h >> 44) % 22;
    let month = 1 + (h >> 50) % 12;
    let day = 1 + (h >> 54) % 28;
    vec![
        format!("2123400{patron:07}"),
        branches[branch].to_owned(),
        format.to_owned(),
        format!("2026-{month:02}-{day:02}"),
        items.to_string(),
        days.to_string(),
    ]
}

pub const HEADER: [&str; 6] = [
    "patron_id",
    "branch",
    "format",
    "checkout_date",
    "items",
    "loan_days",
];

/// Writes an export of `rows` data rows (lines 2 ..= rows + 1) with
/// `delimiter`; `damage(line)` may replace a line's text.
pub fn write_export(
    path: &Path,
    rows: usize,
    delimiter: char,
    branches: &[&str],
    mut damage: impl FnMut(usize, &[String]) -> Option<String>,
) {
    let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
    let d = delimiter.to_string();
    writeln!(f, "{}", HEADER.join(&d)).unwrap();
    let patrons = (rows / 2).max(10);
    for line in 2..rows + 2 {
        let r = row(line, patrons, branches);
        match damage(line, &r) {
            Some(text) => writeln!(f, "{text}").unwrap(),
            None => writeln!(f, "{}", r.join(&d)).unwrap(),
        }
    }
    f.flush().unwrap();
}

/// The ledger's entries of kind `kind`.
pub fn ledger_kinds(ledger: &Path, kind: &str) -> usize {
    match fs::read_to_string(ledger) {
        Ok(t) => t
            .lines()
            .filter(|l| l.contains(&format!("\"kind\":\"{kind}\"")))
            .count(),
        Err(_) => 0,
    }
}

/// Every number written in `text` (digits, with thousands separators
/// removed), as whole tokens.
pub fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            cur.push(c);
        } else if c == ','
            && !cur.is_empty()
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && bytes.get(i + 4).is_none_or(|n| !n.is_ascii_digit())
        {
            // A thousands separator: skip it.
        } else if c == '.' && !cur.is_empty() && bytes.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            // A decimal point: the fraction belongs to the same token.
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        i += 1;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
