//! Budget hot paths.
//!
//! `cargo bench --bench budget`
//!
//! - `in_memory/spend_and_release_laplace`: exact-decimal spend on an
//!   in-memory budget plus a Laplace release (target: ≤ 1 µs median).
//! - `in_memory/spend`: the spend alone; `mechanism/laplace_release`: the
//!   release alone, for comparison.
//! - `in_memory/c_abi_laplace`: `ilsp_budget_laplace` (per-thread mechanism cache).
//! - `in_memory/spend_templated_burn_plan`: a spend on an account that
//!   accepts only templated spends (8 templates, the last one matching) and
//!   has a burn-rate plan (window of 1024 spends): the governance checks'
//!   cost next to `in_memory/spend`.
//! - `in_memory/check_spends_16`: a dry run of 16 spends on one account.
//! - `ledger/spend`: a spend on a ledger file (lock, re-read, append, fsync).
//! - `ledger/fsync_only`: appending one line of the same size and `sync_all`
//!   on the same file system — the floor a durable spend cannot go below.

use std::ffi::CString;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ilsprivacy::budget::{Budget, BurnPlan, Charge, Limit, QueryTemplate};
use ilsprivacy::ffi::budget::{
    ilsp_budget_free, ilsp_budget_laplace, ilsp_budget_open, ilsp_budget_set_limit,
};
use ilsprivacy::mechanism::Laplace;

fn in_memory(c: &mut Criterion) {
    let mut g = c.benchmark_group("budget/in_memory");
    let budget = Budget::in_memory();
    budget
        .set_limit(
            "tenant/loans",
            Limit::epsilon_delta(1e6, 0.0).unwrap(),
            "bench",
        )
        .unwrap();
    let mechanism = Laplace::new(1.0, 0.001).unwrap();
    g.bench_function("spend_and_release_laplace", |b| {
        b.iter(|| {
            budget
                .release_laplace(black_box("tenant/loans"), &mechanism, black_box(120.0))
                .unwrap()
        })
    });
    let charge = Charge::pure_dp(0.001).unwrap();
    g.bench_function("spend", |b| {
        b.iter(|| budget.spend(black_box("tenant/loans"), &charge).unwrap())
    });

    budget
        .set_limit(
            "tenant/gov",
            Limit::epsilon_delta(1e6, 0.0).unwrap(),
            "bench",
        )
        .unwrap();
    for i in 0..8 {
        let max = if i == 7 { 1.0 } else { 0.0001 };
        let t = QueryTemplate::new(&format!("t{i}"))
            .unwrap()
            .epsilon(0.0, max)
            .unwrap();
        budget.set_template("tenant/gov", &t, "bench").unwrap();
    }
    budget
        .set_templates_only("tenant/gov", true, "bench")
        .unwrap();
    let plan = BurnPlan::new(1e5, Duration::from_secs(86_400), 1000.0).unwrap();
    budget.set_burn_plan("tenant/gov", Some(plan)).unwrap();
    for _ in 0..1100 {
        budget.spend("tenant/gov", &charge).unwrap();
    }
    g.bench_function("spend_templated_burn_plan", |b| {
        b.iter(|| budget.spend(black_box("tenant/gov"), &charge).unwrap())
    });
    let list: Vec<(&str, &Charge)> = (0..16).map(|_| ("tenant/gov", &charge)).collect();
    g.bench_function("check_spends_16", |b| {
        b.iter(|| budget.check_spends(black_box(&list)).unwrap())
    });

    let mut handle = std::ptr::null_mut();
    assert_eq!(ilsp_budget_open(std::ptr::null(), &mut handle), 0);
    let account = CString::new("tenant/loans").unwrap();
    assert_eq!(ilsp_budget_set_limit(handle, account.as_ptr(), 1e6, 0.0), 0);
    g.bench_function("c_abi_laplace", |b| {
        let mut out = 0.0;
        b.iter(|| {
            let status = ilsp_budget_laplace(
                handle,
                account.as_ptr(),
                black_box(120.0),
                1.0,
                0.001,
                &mut out,
            );
            assert_eq!(status, 0);
            out
        })
    });
    ilsp_budget_free(handle);
    g.finish();

    let mut g = c.benchmark_group("budget/mechanism");
    g.bench_function("laplace_release", |b| {
        b.iter(|| mechanism.release(black_box(120.0)).unwrap())
    });
    g.finish();
}

fn ledger(c: &mut Criterion) {
    // On the target directory's file system (a real disk; /tmp may be tmpfs).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("budget-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("budget/ledger");
    g.sample_size(30).measurement_time(Duration::from_secs(10));

    let budget = Budget::open(dir.join("spend.jsonl")).unwrap();
    budget
        .set_limit(
            "tenant/loans",
            Limit::epsilon_delta(1e6, 0.0).unwrap(),
            "bench",
        )
        .unwrap();
    let mechanism = Laplace::new(1.0, 0.001).unwrap();
    let charge = Charge::pure_dp(0.001)
        .unwrap()
        .with_event(mechanism.event())
        .unwrap();
    g.bench_function("spend", |b| {
        b.iter(|| budget.spend(black_box("tenant/loans"), &charge).unwrap())
    });
    let line_len = std::fs::read_to_string(dir.join("spend.jsonl"))
        .unwrap()
        .lines()
        .last()
        .map_or(400, |l| l.len() + 1);

    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("fsync.bin"))
        .unwrap();
    let line = vec![b'x'; line_len];
    g.bench_function("fsync_only", |b| {
        b.iter(|| {
            file.write_all(&line).unwrap();
            file.sync_all().unwrap();
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, in_memory, ledger);
criterion_main!(benches);
