//! Ingest throughput of the streaming aggregator on the circulation workload
//! of `benches/aggregate.rs`, as a plain program: for instruction counts
//! under callgrind (deterministic, unaffected by other load) and for CPU
//! time on a busy machine.
//!
//! ```text
//! cargo run --release --example aggregate_throughput -- [options]
//!   --events N      events (default 1000000)
//!   --patrons N     patrons (default 100000)
//!   --sorted        events grouped by patron, as in an export sorted by patron
//!   --one-by-one    Aggregator::add per event instead of add_batch of 4096
//!   --reps N        repetitions (default 5; the best is reported)
//! ```
//!
//! Instructions per event (only the ingest is counted):
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*ingest*' \
//!     target/release/examples/aggregate_throughput --reps 1
//! ```
//!
//! The CPU time is the thread's own time on a core (Linux
//! `/proc/thread-self/schedstat`), so other processes competing for the
//! cores lengthen the wall clock but not this figure (caches are still
//! shared).

#[path = "../benches/support/aggregate_workload.rs"]
mod aggregate_workload;

use std::hint::black_box;
use std::time::Instant;

use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, Event, SelectionKey};

/// Nanoseconds this thread has run on a CPU, if the kernel reports it.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

#[inline(never)]
fn ingest(config: &AggregatorConfig, events: &[Event<'_>], one_by_one: bool) -> Aggregator {
    let mut agg = Aggregator::new(config.clone());
    if one_by_one {
        for e in events {
            agg.add(*e).expect("valid event");
        }
    } else {
        for chunk in events.chunks(4096) {
            agg.add_batch(chunk).expect("valid events");
        }
    }
    agg
}

fn main() {
    let mut events = 1_000_000usize;
    let mut patrons = 100_000usize;
    let mut sorted = false;
    let mut one_by_one = false;
    let mut reps = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |what: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--events" => events = number("--events"),
            "--patrons" => patrons = number("--patrons"),
            "--reps" => reps = number("--reps").max(1),
            "--sorted" => sorted = true,
            "--one-by-one" => one_by_one = true,
            other => panic!("unknown option {other}"),
        }
    }
    let mut w = aggregate_workload::workload(events, patrons, 20);
    if sorted {
        w = w.sorted_by_patron();
    }
    let stream = w.unit_stream();
    let evs = w.events(&stream);
    let config = AggregatorConfig::new(3)
        .and_then(|c| c.with_public_partitions(&w.branches))
        .expect("valid configuration")
        .with_selection_key(SelectionKey::from_bytes([1; 16]));

    let (mut best_wall, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
    let mut units = 0;
    for _ in 0..reps {
        let (c0, t0) = (thread_cpu_ns(), Instant::now());
        let agg = black_box(ingest(&config, &evs, one_by_one));
        let wall = t0.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
            best_cpu = best_cpu.min((b - a) as f64 / 1e9);
        }
        best_wall = best_wall.min(wall);
        units = agg.stats().units;
    }
    let per_s = |t: f64| events as f64 / t / 1e6;
    // The exact number of units is an operator diagnostic, not for publication.
    eprintln!("[operator diagnostic, exact, not for publication] {units} units");
    println!(
        "{events} generated events, {} order, {}: best of {reps}: {:.2} M events/s wall ({:.1} ns/event), {:.2} M events/s thread CPU",
        if sorted { "patron" } else { "random" },
        if one_by_one { "add" } else { "add_batch(4096)" },
        per_s(best_wall),
        best_wall * 1e9 / events as f64,
        per_s(best_cpu),
    );
}
