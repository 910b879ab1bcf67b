//! Several processes on one ledger file, and processes killed mid-spend.
//!
//! This test binary is also the spending process: run with `--spender
//! <ledger> <account> <epsilon>` it opens the ledger and, until refused,
//! spends ε and releases a Laplace-noised value, printing `<seq> <value>`
//! (one `write` per line) only after the release — so every printed line is
//! a value that left the library.
//!
//! - `four_processes_never_overspend`: 4 spenders on a limit of 1.0 at
//!   ε = 0.01: exactly 100 spends in total, every printed value has its spend
//!   in the ledger, no sequence number twice.
//! - `killed_spenders_never_release_without_a_spend`: 40 times, a spender is
//!   killed with SIGKILL after a random delay; each time the ledger reopens,
//!   verifies, and contains every spend whose value was printed (in this and
//!   all earlier rounds).
//!
//! - `file_size_limits_never_lose_a_charge`: spenders run under
//!   `RLIMIT_FSIZE` (with `SIGXFSZ` ignored, so writes fail with `EFBIG`)
//!   set a random number of bytes past the ledger's end, so their spends —
//!   and their repairs of earlier cut spends — are cut at every kind of
//!   place; the ledger always verifies and finally opens, every released
//!   value has its spend, and every cut spend that shows its account is
//!   charged (its cost, if that shows too).
//! - `a_full_disk_never_loses_a_charge`: the same with `ENOSPC` on a
//!   64 KiB tmpfs (needs the right to mount one, e.g. root; skipped with a
//!   message otherwise).
//!
//! `harness = false`: arguments without a leading `-` filter the tests by name.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, Charge, Decimal, Limit, verify_ledger_file};
use ilsprivacy::mechanism::Laplace;
use ilsprivacy::rng::{NoiseRng, with_secure_rng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--spender") {
        spender(&args[1..]);
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let tests: [(&str, fn()); 4] = [
        (
            "four_processes_never_overspend",
            four_processes_never_overspend,
        ),
        (
            "killed_spenders_never_release_without_a_spend",
            killed_spenders_never_release_without_a_spend,
        ),
        (
            "file_size_limits_never_lose_a_charge",
            file_size_limits_never_lose_a_charge,
        ),
        (
            "a_full_disk_never_loses_a_charge",
            a_full_disk_never_loses_a_charge,
        ),
    ];
    let mut ran = 0;
    for (name, test) in tests {
        if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
            test();
            println!("test {name} ... ok");
            ran += 1;
        }
    }
    println!("test result: ok. {ran} passed");
}

/// Exit status of a spender whose ledger could not be read or written.
const EXIT_IO: i32 = 3;

/// The child: spend and release until refused. With a fourth argument, the
/// ledger may grow to at most that many bytes (`RLIMIT_FSIZE`, with
/// `SIGXFSZ` ignored so that a write past it fails with `EFBIG`), and an
/// I/O error ends the child with status [`EXIT_IO`].
fn spender(args: &[String]) {
    let (path, account, epsilon, max_size) = match args {
        [path, account, epsilon] => (path, account, epsilon, None),
        [path, account, epsilon, size] => (path, account, epsilon, Some(size.parse().unwrap())),
        _ => panic!("usage: --spender <ledger> <account> <epsilon> [max file size]"),
    };
    if let Some(max) = max_size {
        limit_file_size(max);
    }
    let epsilon: f64 = epsilon.parse().unwrap();
    let budget = match Budget::open(path) {
        Ok(b) => b,
        Err(e) if max_size.is_some() && e.status() == Status::Io => std::process::exit(EXIT_IO),
        Err(e) => panic!("spender cannot open: {e}"),
    };
    let mechanism = Laplace::new(1.0, epsilon).unwrap();
    let charge = Charge::pure_dp(epsilon)
        .unwrap()
        .with_event(mechanism.event())
        .unwrap();
    let mut out = std::io::stdout().lock();
    loop {
        match budget.spend_and_release(account, &charge, || mechanism.release(100.0)) {
            Ok((value, receipt)) => {
                // One write per line (a pipe write of < 4096 bytes is atomic).
                out.write_all(format!("{} {value}\n", receipt.seq).as_bytes())
                    .unwrap();
                out.flush().unwrap();
            }
            Err(e) if e.status() == Status::BudgetExhausted => return,
            Err(e) if max_size.is_some() && e.status() == Status::Io => std::process::exit(EXIT_IO),
            Err(e) => panic!("spender failed: {e}"),
        }
    }
}

/// Makes writes that would take a file past `max` bytes fail with `EFBIG`.
fn limit_file_size(max: u64) {
    // SAFETY: ignoring a signal and lowering a resource limit of this
    // process, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let rl = libc::rlimit {
            rlim_cur: max,
            rlim_max: max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &rl), 0);
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-procs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn_spender(path: &Path, account: &str, epsilon: &str) -> Child {
    spawn_limited_spender(path, account, epsilon, None)
}

fn spawn_limited_spender(path: &Path, account: &str, epsilon: &str, max: Option<u64>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--spender", path.to_str().unwrap(), account, epsilon]);
    if let Some(max) = max {
        command.arg(max.to_string());
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The sequence numbers a spender printed (complete lines only).
fn printed_seqs(child: &mut Child) -> Vec<u64> {
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|line| {
            let (seq, value) = line.split_once(' ').expect("a complete line");
            assert!(value.parse::<f64>().unwrap().is_finite());
            seq.parse().unwrap()
        })
        .collect()
}

/// The byte that ends a line a repair cancelled (an unfinished write kept
/// in the file, which is not an entry).
const CANCEL: u8 = 0x18;

/// The entries of a ledger, and the cancelled lines before each.
fn ledger_entries(path: &Path) -> Vec<(Vec<Vec<u8>>, serde_json::Value)> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut cancelled = Vec::new();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if line.ends_with(&[CANCEL]) {
            cancelled.push(line[..line.len() - 1].to_vec());
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        out.push((std::mem::take(&mut cancelled), v));
    }
    out
}

/// The sequence numbers of the spend entries on `account`.
fn ledger_spends(path: &Path, account: &str) -> BTreeSet<u64> {
    ledger_entries(path)
        .into_iter()
        .filter_map(|(_, v)| {
            (v["kind"] == "spend" && v["account"] == account).then(|| v["seq"].as_u64().unwrap())
        })
        .collect()
}

/// A spend cut short at the end of the ledger (the last bytes, after the
/// last `\n`): where it starts, its account if it shows, and its ε if that
/// shows too. What a child's cut write left, recorded before anything else
/// touches the file.
fn cut_spend_at_end(path: &Path) -> Option<(u64, String, Option<Decimal>)> {
    let bytes = std::fs::read(path).unwrap();
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let tail = String::from_utf8_lossy(&bytes[start..]);
    // A complete entry cut only before its '\n' is kept as an entry (and
    // counted with the spends): not a cut spend.
    if serde_json::from_str::<serde_json::Value>(&tail).is_ok() {
        return None;
    }
    let rest = tail.strip_prefix("{\"v\":1,\"kind\":\"spend\",\"account\":\"")?;
    let (account, rest) = rest.split_once("\",")?;
    let cost = rest
        .strip_prefix("\"epsilon\":\"")
        .and_then(|r| r.split_once("\",\"delta\":\""))
        .and_then(|(eps, r)| r.split_once("\",").map(|_| eps.parse().unwrap()));
    Some((start as u64, account.to_owned(), cost))
}

/// Checks that each account was charged at least its recorded spends plus
/// every cut spend seen (`cut`: by start offset): its ε if that showed, all
/// the account had (its limit, 1) if only the account showed.
fn charged_at_least(
    budget: &Budget,
    path: &Path,
    accounts: &[String],
    cut: &BTreeMap<u64, (String, Option<Decimal>)>,
) {
    let entries = ledger_entries(path);
    for account in accounts {
        let mut least: Decimal = "0".parse().unwrap();
        let mut everything = false;
        for (_, v) in &entries {
            if v["kind"] == "spend" && v["account"] == account.as_str() {
                let eps: Decimal = v["epsilon"].as_str().unwrap().parse().unwrap();
                least = least.checked_add(eps).unwrap();
            }
        }
        for (a, cost) in cut.values().filter(|(a, _)| a == account) {
            match cost {
                Some(eps) => least = least.checked_add(*eps).unwrap(),
                None => everything = everything || a == account,
            }
        }
        let one: Decimal = "1".parse().unwrap();
        let charged = budget.status(account).unwrap().spent.epsilon;
        assert!(charged <= one, "{account}: {charged:?} over the limit");
        if everything {
            assert_eq!(
                charged, one,
                "{account}: a cut spend showed only its account"
            );
        } else {
            assert!(
                charged >= least.min(one),
                "{account}: {charged:?} < {least:?}"
            );
        }
    }
}

/// Checks, independently of the library, that every cut spend kept in the
/// ledger was charged as the README says: its cost if the fragment shows
/// it, something if it shows its account. Returns the number of cut
/// spends that showed their account.
fn cut_spends_are_charged(path: &Path) -> usize {
    let mut shown = 0;
    for (cancelled, v) in ledger_entries(path) {
        let Some(first) = cancelled.first() else {
            continue;
        };
        assert_eq!(
            v["kind"], "torn_tail",
            "cancelled lines precede a torn_tail entry"
        );
        assert_eq!(v["kept"], true);
        let text = String::from_utf8_lossy(first);
        let Some(rest) = text.strip_prefix("{\"v\":1,\"kind\":\"spend\",\"account\":\"") else {
            continue;
        };
        let Some((account, rest)) = rest.split_once("\",") else {
            continue;
        };
        shown += 1;
        assert_eq!(v["account"], account, "{text}");
        // Basic accounts' spends: "epsilon":"…","delta":"…", complete when
        // followed by a comma.
        let cost = rest
            .strip_prefix("\"epsilon\":\"")
            .and_then(|r| r.split_once("\",\"delta\":\""))
            .and_then(|(eps, r)| r.split_once("\",").map(|_| eps));
        match cost {
            Some(eps) => {
                assert_eq!(v["charge"], "recovered", "{text}");
                assert_eq!(v["epsilon"], eps, "{text}");
            }
            None => assert_eq!(v["charge"], "remaining", "{text}"),
        }
    }
    shown
}

fn four_processes_never_overspend() {
    let dir = temp_dir("four");
    let path = dir.join("ledger.jsonl");
    Budget::open(&path)
        .unwrap()
        .set_limit(
            "tenant/shared",
            Limit::epsilon_delta(1.0, 0.0).unwrap(),
            "test",
        )
        .unwrap();
    let mut children: Vec<Child> = (0..4)
        .map(|_| spawn_spender(&path, "tenant/shared", "0.01"))
        .collect();
    let mut released = Vec::new();
    for child in &mut children {
        released.extend(printed_seqs(child));
        assert!(child.wait().unwrap().success());
    }
    let spends = ledger_spends(&path, "tenant/shared");
    assert_eq!(spends.len(), 100, "0.01 × 100 = 1.0 exactly, never more");
    assert_eq!(released.len(), 100);
    let unique: BTreeSet<u64> = released.iter().copied().collect();
    assert_eq!(unique.len(), 100, "no sequence number twice");
    assert_eq!(unique, spends, "every released value has its spend");
    let budget = Budget::open(&path).unwrap();
    assert_eq!(
        budget.status("tenant/shared").unwrap().spent.epsilon,
        "1".parse().unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn killed_spenders_never_release_without_a_spend() {
    let dir = temp_dir("kill");
    let path = dir.join("ledger.jsonl");
    Budget::open(&path)
        .unwrap()
        .set_limit(
            "tenant/crash",
            Limit::epsilon_delta(1e6, 0.0).unwrap(),
            "test",
        )
        .unwrap();
    let mut all_released = BTreeSet::new();
    let mut kills_with_output = 0;
    for round in 0..40 {
        let mut child = spawn_spender(&path, "tenant/crash", "0.001");
        let delay = with_secure_rng(|r| r.uniform_below(40_000)).unwrap();
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL
        let released = printed_seqs(&mut child);
        let _ = child.wait().unwrap();
        kills_with_output += usize::from(!released.is_empty());
        all_released.extend(released);

        // The ledger always reopens (repairing a torn line if there is one)…
        let budget = Budget::open(&path)
            .unwrap_or_else(|e| panic!("round {round}: the ledger does not reopen: {e}"));
        drop(budget);
        verify_ledger_file(&path).unwrap();
        // …and never shows a release without its spend, nor loses one.
        let spends = ledger_spends(&path, "tenant/crash");
        let missing: Vec<_> = all_released.difference(&spends).collect();
        assert!(
            missing.is_empty(),
            "round {round}: released without a spend: {missing:?}"
        );
    }
    assert!(
        kills_with_output > 0,
        "some spender released values before being killed"
    );
    println!(
        "  {} values released over 40 killed spenders; every one has its spend",
        all_released.len()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn file_size_limits_never_lose_a_charge() {
    let dir = temp_dir("efbig");
    let path = dir.join("ledger.jsonl");
    let accounts = 8;
    {
        let b = Budget::open(&path).unwrap();
        for i in 0..accounts {
            b.set_limit(
                &format!("t/{i}"),
                Limit::epsilon_delta(1.0, 0.0).unwrap(),
                "",
            )
            .unwrap();
        }
    }
    let mut released = BTreeSet::new();
    let mut cut = 0;
    let mut cut_spends = BTreeMap::new();
    for round in 0..60 {
        let len = std::fs::metadata(&path).unwrap().len();
        // Room for a few spends, or for none (a repair, or an open, cut).
        let room = with_secure_rng(|r| r.uniform_below(2500)).unwrap();
        let account = format!("t/{}", round % accounts);
        let mut child = spawn_limited_spender(&path, &account, "0.01", Some(len + room));
        released.extend(printed_seqs(&mut child));
        let status = child.wait().unwrap();
        match status.code() {
            Some(0) => {}
            Some(EXIT_IO) => cut += 1,
            other => panic!("round {round}: the spender ended with {other:?}"),
        }
        if let Some((at, account, cost)) = cut_spend_at_end(&path) {
            cut_spends.insert(at, (account, cost));
        }
        // Read-only, the ledger always checks out (cut writes included).
        verify_ledger_file(&path)
            .unwrap_or_else(|e| panic!("round {round}: the ledger does not verify: {e}"));
    }
    let budget = Budget::open(&path).unwrap();
    assert_eq!(verify_ledger_file(&path).unwrap().torn_tail_bytes, 0);
    let spends: BTreeSet<u64> = (0..accounts)
        .flat_map(|i| ledger_spends(&path, &format!("t/{i}")))
        .collect();
    let missing: Vec<_> = released.difference(&spends).collect();
    assert!(missing.is_empty(), "released without a spend: {missing:?}");
    let shown = cut_spends_are_charged(&path);
    let names: Vec<String> = (0..accounts).map(|i| format!("t/{i}")).collect();
    charged_at_least(&budget, &path, &names, &cut_spends);
    assert!(cut > 10, "writes were cut ({cut} of 60 spenders)");
    println!(
        "  {} values released by 60 size-limited spenders, {cut} cut by EFBIG, {shown} cut spends charged",
        released.len()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A tmpfs mounted for a test, unmounted when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn a_full_disk_never_loses_a_charge() {
    let dir = temp_dir("enospc");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        println!("  skipped: cannot mount a tmpfs here (needs CAP_SYS_ADMIN)");
        std::fs::remove_dir_all(dir).unwrap();
        return;
    }
    let mount = Mount(mnt.clone());
    let path = mnt.join("ledger.jsonl");
    let filler = mnt.join("filler");
    let fill = || {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = [b'x'; 512];
        while f.write(&block).is_ok_and(|n| n > 0) {}
    };
    let (mut failed_spends, mut failed_opens) = (0, 0);
    // Reasons of different lengths move the spend's line across the
    // filesystem's page boundaries, so ENOSPC cuts it at different places.
    for pad in (0..4096).step_by(37) {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&filler);
        let b = Budget::open(&path).unwrap();
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        let mut left = pad;
        while left > 0 {
            let n = left.min(1000);
            b.set_limit("b", Limit::epsilon_delta(1.0, 0.0).unwrap(), &"r".repeat(n))
                .unwrap();
            left -= n;
        }
        b.spend("a", &ilsprivacy::budget::Charge::pure_dp(0.25).unwrap())
            .unwrap();
        fill();
        let spent = b.spend("a", &ilsprivacy::budget::Charge::pure_dp(0.125).unwrap());
        failed_spends += usize::from(spent.is_err());
        drop(b);
        let cut: BTreeMap<_, _> = cut_spend_at_end(&path)
            .map(|(at, account, cost)| (at, (account, cost)))
            .into_iter()
            .collect();
        // Still full: the repair may be cut too.
        failed_opens += usize::from(Budget::open(&path).is_err());
        verify_ledger_file(&path).unwrap();
        std::fs::remove_file(&filler).unwrap();
        let b = Budget::open(&path).unwrap();
        let charged = b.status("a").unwrap().spent.epsilon;
        cut_spends_are_charged(&path);
        charged_at_least(&b, &path, &["a".to_owned()], &cut);
        if spent.is_ok() {
            assert_eq!(charged, "0.375".parse().unwrap());
        } else {
            assert!(charged >= "0.25".parse().unwrap());
        }
    }
    drop(mount);
    assert!(failed_spends > 0, "some spends hit ENOSPC");
    println!(
        "  {failed_spends} spends and {failed_opens} repairs cut by ENOSPC on a 64 KiB tmpfs; every charge kept"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
