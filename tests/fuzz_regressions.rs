//! Replays the committed fuzz inputs through the fuzz targets' harnesses, so
//! that every crash once found (and the seed corpus) stays a test.
//!
//! The harnesses live in `fuzz/harness/` (the cargo-fuzz crate's library);
//! this file includes them as a module, so `cargo test` runs them without
//! libFuzzer or a nightly toolchain. Inputs:
//!
//! - `fuzz/regressions/<target>/*`: minimized inputs that once crashed a
//!   target or broke one of its properties (see the README's "Fuzzing");
//! - `fuzz/seeds/<target>/*`: the seed corpus, written by
//!   `cargo test --test fuzz_regressions -- --ignored write_seeds`.

#[allow(dead_code)]
#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if it does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    // Directories must name a target: a typo would silently replay nothing.
    let Ok(dirs) = std::fs::read_dir(fuzz_dir().join(kind)) else {
        return 0;
    };
    for sub in dirs {
        let sub = sub.expect("an entry");
        if !sub.path().is_dir() {
            continue;
        }
        let name = sub.file_name();
        let name = name.to_string_lossy();
        assert!(
            harness::TARGETS.iter().any(|(t, _)| *t == name),
            "fuzz/{kind}/{name} names no fuzz target"
        );
    }
    let mut count = 0;
    for (target, run) in harness::TARGETS {
        for file in inputs(kind, target) {
            let data = std::fs::read(&file).expect("read the input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(
                outcome.is_ok(),
                "fuzz/{kind}/{target}/{} fails again",
                file.file_name().unwrap_or_default().to_string_lossy()
            );
            count += 1;
        }
    }
    count
}

/// Inputs that once failed. One test runs them all in order: the key
/// harness sets an environment variable, which is not safe to do while
/// another test thread reads the environment.
#[test]
fn regressions_and_seeds_still_pass() {
    let regressions = replay("regressions");
    let seeds = replay("seeds");
    assert!(seeds > 0, "the seed corpus is missing");
    println!("replayed {regressions} regression inputs and {seeds} seeds");
}

/// Writes the seed corpus (`fuzz/seeds/`): real ledgers and key files.
/// Run it after a format change:
/// `cargo test --test fuzz_regressions -- --ignored write_seeds`.
#[test]
#[ignore = "writes the committed seed corpus; run by hand"]
fn write_seeds() {
    use ilsprivacy::budget::{Budget, Composition, Limit, Period};

    let seeds = fuzz_dir().join("seeds");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = seeds.join(target);
        std::fs::create_dir_all(&dir).expect("create the seed directory");
        std::fs::write(dir.join(name), bytes).expect("write a seed");
    };
    let scratch = harness::support::Scratch::new("seed-ledger");
    let path = &scratch.0;

    // A ledger with every kind of entry a normal run writes.
    {
        let b = Budget::open(path).expect("open");
        b.set_limit(
            "tenant/loans",
            Limit::epsilon_delta(1.0, 1e-6).expect("limit"),
            "2026 plan",
        )
        .expect("set");
        b.set_alert_threshold("tenant/loans", 0.5)
            .expect("threshold");
        b.set_period("tenant/loans", Period::CalendarYear)
            .expect("period");
        b.laplace("tenant/loans", 12.0, 1.0, 0.25).expect("laplace");
        b.gaussian("tenant/loans", 12.0, 1.0, 0.5, 1e-7)
            .expect("gaussian");
        b.set_composition("tenant/gauss", Composition::Zcdp)
            .expect("zcdp");
        b.set_limit(
            "tenant/gauss",
            Limit::epsilon_delta(2.0, 1e-6).expect("limit"),
            "zcdp plan",
        )
        .expect("set");
        b.gaussian("tenant/gauss", 3.5, 2.0, 1.0, 1e-6)
            .expect("gaussian");
        b.set_composition("tenant/rho", Composition::Zcdp)
            .expect("zcdp");
        b.set_limit("tenant/rho", Limit::rho(0.5).expect("rho"), "rho plan")
            .expect("set");
        b.set_limit(
            "tenant/loans",
            Limit::epsilon_delta(2.0, 1e-6).expect("limit"),
            "raised",
        )
        .expect("set");
    }
    let full = std::fs::read(path).expect("read");
    write("ledger_bytes", "full.jsonl", &full);
    write("ledger_lines", "full.txt", &harness::ledger::unchain(&full));

    // Torn tails: a spend cut inside its cost, and a complete entry
    // missing only its newline.
    let last_start = full[..full.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let spend_line = full
        .split(|&b| b == b'\n')
        .rfind(|l| l.windows(7).any(|w| w == b"\"spend\""))
        .expect("a spend line");
    let cut = spend_line
        .windows(9)
        .position(|w| w == b"\"epsilon\"")
        .expect("epsilon")
        + 14;
    let mut torn = full.clone();
    torn.extend_from_slice(&spend_line[..cut]);
    write("ledger_bytes", "torn-spend.jsonl", &torn);
    write(
        "ledger_bytes",
        "no-final-newline.jsonl",
        &full[..full.len() - 1],
    );
    write("ledger_bytes", "header-only.jsonl", {
        let first = full.iter().position(|&b| b == b'\n').expect("a line");
        &full[..=first]
    });
    write("ledger_bytes", "empty.jsonl", b"");
    // The torn spend repaired in place (the fragment kept, cancelled and
    // recorded), and a repair of it that was itself cut.
    std::fs::write(path, &torn).expect("write");
    drop(Budget::open(path).expect("repair"));
    write(
        "ledger_bytes",
        "kept-fragment.jsonl",
        &std::fs::read(path).expect("read"),
    );
    let mut cut_repair = torn.clone();
    cut_repair.extend_from_slice(b"\x18\n{\"v\":1,\"kind\":\"torn_tail\",\"bytes\":");
    write("ledger_bytes", "cut-repair.jsonl", &cut_repair);
    let mut lines = harness::ledger::unchain(&full[..last_start]);
    lines.extend_from_slice(b"!");
    lines.extend_from_slice(&spend_line[..cut]);
    write("ledger_lines", "torn-spend.txt", &lines);

    // CSV rows (the first byte picks the header and columns; see the harness).
    let csv = b"p1,EAST,dvd,2,15\np2,WEST,book,1,-3\np1,MAIN,book,x,4\n\"p 3\",\"EA,ST\",,1,\n";
    for mode in [0u8, 2, 6, 14, 30] {
        write(
            "aggregate_csv",
            &format!("mode-{mode}.csv"),
            &[&[mode][..], csv].concat(),
        );
    }
    write(
        "aggregate_csv",
        "own-header.csv",
        b"\x01patron,branch\np1,EAST\np2,\xff\np3,WEST,extra\n",
    );

    // Aggregator states: from data, with public partitions and sums.
    use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, Event, SelectionKey};
    let states = [
        AggregatorConfig::new(2).expect("config"),
        AggregatorConfig::new(3)
            .expect("config")
            .with_value_bounds(-10, 50)
            .expect("bounds")
            .with_public_partitions([&b"EAST"[..], b"WEST"])
            .expect("public"),
    ];
    for (i, config) in states.into_iter().enumerate() {
        let mut a = Aggregator::new(config.with_selection_key(SelectionKey::from_bytes([9; 16])));
        for (unit, partition, value) in [
            ("p1", "EAST", 5),
            ("p1", "WEST", 7),
            ("p2", "EAST", -2),
            ("p3", "NORTH", 60),
            ("p1", "EAST", 1),
        ] {
            a.add(Event::new(&unit, &partition).with_value(value))
                .expect("add");
        }
        write(
            "aggregate_state",
            &format!("state-{i}.bin"),
            &a.to_bytes().expect("bytes"),
        );
    }
    write(
        "aggregate_state",
        "empty.bin",
        &Aggregator::new(AggregatorConfig::new(1).expect("config"))
            .to_bytes()
            .expect("bytes"),
    );

    // Key material: raw bytes, hex text with whitespace, too short, not hex.
    write(
        "key_material",
        "raw-32.bin",
        b"library-pipeline-key-0123456789!",
    );
    write(
        "key_material",
        "hex-64.txt",
        b"  00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n",
    );
    write("key_material", "short.txt", b"0011");
    write(
        "key_material",
        "not-hex.txt",
        b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeegg",
    );
}
