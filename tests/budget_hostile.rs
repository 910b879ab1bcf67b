//! Hostile ledger files and paths: what anyone who can write the ledger's
//! directory can do to a handle, and what the handle must do about it.
//!
//! - A 1 TB sparse file (and a ledger extended to 1 TB): open and verify
//!   fail with `LedgerIntegrity` in bounded memory and time (run in a child
//!   process under an address-space limit; its peak RSS is checked).
//! - A FIFO, `/dev/zero`, a directory as the ledger path: refused with
//!   `Io` ("not a regular file"), without blocking.
//! - The ledger replaced while a handle is open (`cp` + `mv`, a symlink
//!   swap), moved, deleted, or its directory removed: the handle refuses
//!   every later operation, so the budget never splits between two files and
//!   no value is released for a spend that exists only in a deleted file.
//! - A ledger written before the creation nonce existed opens, verifies and
//!   accepts spends (`tests/fixtures/ledger-v1-without-nonce.jsonl`).

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, Charge, Limit, verify_ledger_file};
use ilsprivacy::ffi::budget::{
    ilsp_budget, ilsp_budget_free, ilsp_budget_laplace, ilsp_budget_ledger_verify, ilsp_budget_open,
};
use ilsprivacy::ffi::{ILSP_ERR_IO, ILSP_ERR_LEDGER_INTEGRITY, ILSP_OK};

const CHILD_ENV: &str = "ILSP_HOSTILE_CHILD";
const DIR_ENV: &str = "ILSP_HOSTILE_DIR";

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn eps(x: f64) -> Charge {
    Charge::pure_dp(x).unwrap()
}

/// How a test body run in a child process ended.
struct ChildRun {
    exited_ok: bool,
    detail: String,
    max_rss_kib: i64,
    elapsed: Duration,
}

/// Runs this binary's test `name` alone in a child process (which runs the
/// test's `body` instead of coming back here), with at most `address_space`
/// bytes of virtual memory, killing it after `timeout`.
fn run_in_child(name: &str, dir: &Path, address_space: Option<u64>, timeout: Duration) -> ChildRun {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, name)
        .env(DIR_ENV, dir);
    if let Some(limit) = address_space {
        // SAFETY: between fork and exec the closure only calls setrlimit,
        // which is async-signal-safe, on a stack value.
        unsafe {
            command.pre_exec(move || {
                let rl = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &rl) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let start = Instant::now();
    #[expect(
        clippy::zombie_processes,
        reason = "reaped below with wait4, which also reports its resource use"
    )]
    let child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child; `status` and `usage` are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "wait4 failed");
        if start.elapsed() > timeout {
            // SAFETY: kills and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            return ChildRun {
                exited_ok: false,
                detail: format!("still running after {timeout:?} (killed): it blocked"),
                max_rss_kib: usage.ru_maxrss,
                elapsed: start.elapsed(),
            };
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let detail = if libc::WIFEXITED(status) {
        format!("exit status {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status}")
    };
    ChildRun {
        exited_ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        detail,
        max_rss_kib: usage.ru_maxrss,
        elapsed,
    }
}

/// True in the child process that runs test `name`'s body.
fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(name)
}

/// The test's scratch directory: made by the parent, passed to the child.
fn scratch_dir(name: &str, tag: &str) -> PathBuf {
    if is_child(name) {
        PathBuf::from(std::env::var_os(DIR_ENV).unwrap())
    } else {
        temp_dir(tag)
    }
}

fn c_path(path: &Path) -> CString {
    CString::new(path.to_str().unwrap()).unwrap()
}

/// Opening and verifying `path` fails with `status` through Rust and C.
fn every_reader_fails_with(path: &Path, status: Status, code: i32) {
    let e = Budget::open(path).unwrap_err();
    assert_eq!(e.status(), status, "open: {e}");
    let e = verify_ledger_file(path).unwrap_err();
    assert_eq!(e.status(), status, "verify: {e}");
    let p = c_path(path);
    let mut b: *mut ilsp_budget = std::ptr::null_mut();
    assert_eq!(ilsp_budget_open(p.as_ptr(), &mut b), code);
    assert!(b.is_null());
    let mut entries = 0u64;
    let mut head_len = 0usize;
    assert_eq!(
        ilsp_budget_ledger_verify(
            p.as_ptr(),
            &mut entries,
            std::ptr::null_mut(),
            0,
            &mut head_len
        ),
        code
    );
}

/// Peak RSS allowed to a child that reads a hostile ledger.
const RSS_BOUND_KIB: i64 = 64 * 1024;

#[test]
fn a_sparse_terabyte_ledger_fails_cleanly_in_bounded_memory() {
    const NAME: &str = "a_sparse_terabyte_ledger_fails_cleanly_in_bounded_memory";
    let dir = scratch_dir(NAME, "sparse");
    if is_child(NAME) {
        // A file of 2^40 zero bytes (no blocks on disk).
        let empty = dir.join("sparse.ledger");
        std::fs::File::create(&empty)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        every_reader_fails_with(&empty, Status::LedgerIntegrity, ILSP_ERR_LEDGER_INTEGRITY);
        // A sound ledger that someone extended to 1 TB.
        let grown = dir.join("grown.ledger");
        let b = Budget::open(&grown).unwrap();
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        b.spend("a", &eps(0.25)).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&grown)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        let e = b.spend("a", &eps(0.25)).unwrap_err();
        assert_eq!(e.status(), Status::LedgerIntegrity, "{e}");
        drop(b);
        every_reader_fails_with(&grown, Status::LedgerIntegrity, ILSP_ERR_LEDGER_INTEGRITY);
        return;
    }
    // 1 GiB of address space: an attempt to read the file into memory dies.
    let run = run_in_child(NAME, &dir, Some(1 << 30), Duration::from_secs(60));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(run.exited_ok, "the reader {}", run.detail);
    println!(
        "sparse 1 TB ledgers: peak RSS {} KiB, {:?}",
        run.max_rss_kib, run.elapsed
    );
    assert!(
        run.max_rss_kib < RSS_BOUND_KIB,
        "peak RSS {} KiB",
        run.max_rss_kib
    );
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
}

#[test]
fn a_line_longer_than_the_cap_is_refused_in_bounded_memory() {
    const NAME: &str = "a_line_longer_than_the_cap_is_refused_in_bounded_memory";
    let dir = scratch_dir(NAME, "line");
    if is_child(NAME) {
        // A sound ledger followed by a 256 MiB "line" that starts like an entry.
        let path = dir.join("l");
        let b = Budget::open(&path).unwrap();
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        drop(b);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        use std::io::Write;
        f.write_all(b"{\"v\":1,\"kind\":\"spend\",\"account\":\"")
            .unwrap();
        let block = vec![b'a'; 1 << 20];
        for _ in 0..256 {
            f.write_all(&block).unwrap();
        }
        drop(f);
        let e = Budget::open(&path).unwrap_err();
        assert_eq!(e.status(), Status::LedgerIntegrity);
        assert!(e.to_string().contains("longer than"), "{e}");
        let e = verify_ledger_file(&path).unwrap_err();
        assert_eq!(e.status(), Status::LedgerIntegrity);
        return;
    }
    let run = run_in_child(NAME, &dir, None, Duration::from_secs(120));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(run.exited_ok, "the reader {}", run.detail);
    println!(
        "256 MiB ledger line: peak RSS {} KiB, {:?}",
        run.max_rss_kib, run.elapsed
    );
    assert!(
        run.max_rss_kib < RSS_BOUND_KIB,
        "peak RSS {} KiB",
        run.max_rss_kib
    );
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    const NAME: &str = "a_fifo_is_refused_without_blocking";
    let dir = scratch_dir(NAME, "fifo");
    if is_child(NAME) {
        let fifo = dir.join("fifo.ledger");
        every_reader_fails_with(&fifo, Status::Io, ILSP_ERR_IO);
        let e = Budget::open(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // Nothing was written into the pipe.
        return;
    }
    let fifo = c_path(&dir.join("fifo.ledger"));
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let run = run_in_child(NAME, &dir, None, Duration::from_secs(20));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(run.exited_ok, "the reader {}", run.detail);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
}

#[test]
fn devices_and_directories_are_refused() {
    const NAME: &str = "devices_and_directories_are_refused";
    let dir = scratch_dir(NAME, "devices");
    if is_child(NAME) {
        for device in ["/dev/zero", "/dev/null"] {
            every_reader_fails_with(Path::new(device), Status::Io, ILSP_ERR_IO);
            let e = Budget::open(device).unwrap_err();
            assert!(
                e.to_string().contains("not a regular file"),
                "{device}: {e}"
            );
        }
        every_reader_fails_with(&dir, Status::Io, ILSP_ERR_IO);
        // A symlink to a device is refused the same way.
        let link = dir.join("zero.ledger");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        every_reader_fails_with(&link, Status::Io, ILSP_ERR_IO);
        return;
    }
    let run = run_in_child(NAME, &dir, Some(1 << 30), Duration::from_secs(20));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(run.exited_ok, "the reader {}", run.detail);
    assert!(
        run.max_rss_kib < RSS_BOUND_KIB,
        "peak RSS {} KiB",
        run.max_rss_kib
    );
}

/// A ledger at `dir/l` with account "a" (limit ε = 1) that spent 0.5.
fn half_spent(dir: &Path) -> (PathBuf, Budget) {
    let path = dir.join("l");
    let b = Budget::open(&path).unwrap();
    b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    b.spend("a", &eps(0.5)).unwrap();
    (path, b)
}

/// Every operation of `b` now fails with `status`, and a release is refused.
fn refuses_everything(b: &Budget, status: Status) {
    let e = b.spend("a", &eps(0.25)).unwrap_err();
    assert_eq!(e.status(), status, "spend: {e}");
    let mut released = false;
    let e = b
        .spend_and_release("a", &eps(0.25), || {
            released = true;
            Ok(0.0)
        })
        .unwrap_err();
    assert_eq!(e.status(), status, "{e}");
    assert!(!released, "a value was released");
    assert_eq!(b.status("a").unwrap_err().status(), status);
    assert_eq!(
        b.set_limit("a", Limit::epsilon_delta(2.0, 0.0).unwrap(), "")
            .unwrap_err()
            .status(),
        status
    );
}

#[test]
fn a_ledger_replaced_by_a_copy_splits_nothing() {
    let dir = temp_dir("cp-mv");
    let (path, old) = half_spent(&dir);
    // cp l l.tmp && mv l.tmp l
    std::fs::copy(&path, dir.join("l.tmp")).unwrap();
    std::fs::rename(dir.join("l.tmp"), &path).unwrap();
    refuses_everything(&old, Status::LedgerIntegrity);
    let e = old.spend("a", &eps(0.5)).unwrap_err();
    assert!(e.to_string().contains("replaced"), "{e}");
    // The new file is a ledger of its own: it has 0.5 left, and that is all
    // the two handles can spend together.
    let new = Budget::open(&path).unwrap();
    new.spend("a", &eps(0.5)).unwrap();
    assert_eq!(
        new.spend("a", &eps(1e-9)).unwrap_err().status(),
        Status::BudgetExhausted
    );
    assert!(old.spend("a", &eps(0.5)).is_err());
    assert_eq!(new.status("a").unwrap().spent.epsilon, "1".parse().unwrap());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_symlink_swap_is_detected() {
    let dir = temp_dir("symlink");
    let real = dir.join("real-1");
    let link = dir.join("l");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let b = Budget::open(&link).unwrap();
    b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    b.spend("a", &eps(0.5)).unwrap();
    // Through the symlink, the handle keeps working.
    b.spend("a", &eps(0.25)).unwrap();
    // Swap the link atomically to a copy.
    std::fs::copy(&real, dir.join("real-2")).unwrap();
    std::os::unix::fs::symlink(dir.join("real-2"), dir.join("l.new")).unwrap();
    std::fs::rename(dir.join("l.new"), &link).unwrap();
    refuses_everything(&b, Status::LedgerIntegrity);
    let other = Budget::open(&link).unwrap();
    other.spend("a", &eps(0.25)).unwrap();
    assert!(other.spend("a", &eps(1e-9)).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_deleted_ledger_never_accepts_a_spend() {
    let dir = temp_dir("deleted");
    let (path, b) = half_spent(&dir);
    std::fs::remove_file(&path).unwrap();
    refuses_everything(&b, Status::Io);
    // Recreating a file at the path does not revive the handle.
    drop(Budget::open(&path).unwrap());
    refuses_everything(&b, Status::LedgerIntegrity);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_moved_ledger_refuses_the_open_handle_and_opens_at_its_new_path() {
    let dir = temp_dir("moved");
    let (path, b) = half_spent(&dir);
    let moved = dir.join("moved");
    std::fs::rename(&path, &moved).unwrap();
    refuses_everything(&b, Status::Io);
    drop(b);
    // Moved while no handle is open: it opens, with its history.
    let again = Budget::open(&moved).unwrap();
    assert_eq!(
        again.status("a").unwrap().spent.epsilon,
        "0.5".parse().unwrap()
    );
    again.spend("a", &eps(0.5)).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_removed_directory_never_accepts_a_spend() {
    let dir = temp_dir("rmdir");
    let (_path, b) = half_spent(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    refuses_everything(&b, Status::Io);
    // Through the C ABI too: the release fails and `out` stays untouched.
    let dir = temp_dir("rmdir-c");
    let path = dir.join("l");
    drop(half_spent(&dir));
    let p = c_path(&path);
    let mut h: *mut ilsp_budget = std::ptr::null_mut();
    assert_eq!(ilsp_budget_open(p.as_ptr(), &mut h), ILSP_OK);
    std::fs::remove_dir_all(&dir).unwrap();
    let account = CString::new("a").unwrap();
    let mut out = -12345.0;
    let rc = ilsp_budget_laplace(h, account.as_ptr(), 10.0, 1.0, 0.25, &mut out);
    assert_eq!(rc, ILSP_ERR_IO);
    assert_eq!(out, -12345.0, "a value was released");
    ilsp_budget_free(h);
}

#[test]
fn a_ledger_written_without_a_nonce_opens_verifies_and_spends() {
    let dir = temp_dir("v1");
    let path = dir.join("old.jsonl");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v1-without-nonce.jsonl");
    std::fs::copy(&fixture, &path).unwrap();
    let original = std::fs::read(&path).unwrap();
    assert!(!String::from_utf8_lossy(&original).contains("nonce"));
    let summary = verify_ledger_file(&path).unwrap();
    assert_eq!(summary.entries, 12);
    assert_eq!(summary.accounts, 2);
    assert_eq!(summary.torn_tail_bytes, 0);
    let b = Budget::open(&path).unwrap();
    let loans = b.status("tenant/loans").unwrap();
    assert_eq!(loans.spent.epsilon, "0.9375".parse().unwrap());
    assert_eq!(loans.spent.delta, "0.0000001".parse().unwrap());
    assert_eq!(loans.alerts, 1);
    assert_eq!(
        b.status("branch-7/holds").unwrap().spent.rho,
        "0.125".parse().unwrap()
    );
    b.spend("tenant/loans", &eps(0.0625)).unwrap();
    assert_eq!(
        b.spend("tenant/loans", &eps(1e-9)).unwrap_err().status(),
        Status::BudgetExhausted
    );
    b.spend("branch-7/holds", &Charge::zcdp(0.375).unwrap())
        .unwrap();
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(&original), "history is never rewritten");
    // Pinned by device and inode: a copy put in its place is refused.
    std::fs::copy(&path, dir.join("copy")).unwrap();
    std::fs::rename(dir.join("copy"), &path).unwrap();
    assert_eq!(
        b.status("tenant/loans").unwrap_err().status(),
        Status::LedgerIntegrity
    );
    drop(b);
    let b = Budget::open(&path).unwrap();
    assert_eq!(b.status("tenant/loans").unwrap().spends, 4);
    // Two spends and the alert the second one raised.
    assert_eq!(verify_ledger_file(&path).unwrap().entries, 15);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn new_ledgers_carry_a_creation_nonce() {
    let dir = temp_dir("nonce");
    let nonce_of = |path: &Path| {
        drop(Budget::open(path).unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["kind"], "ledger");
        first["nonce"].as_str().unwrap().to_owned()
    };
    let a = nonce_of(&dir.join("a"));
    let b = nonce_of(&dir.join("b"));
    assert_eq!(a.len(), 32);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
    // A ledger rewritten in place with another ledger's content (same
    // inode) is refused by the open handle.
    let h = Budget::open(dir.join("a")).unwrap();
    let other = std::fs::read(dir.join("b")).unwrap();
    let inode = std::fs::metadata(dir.join("a")).unwrap().ino();
    std::fs::write(dir.join("a"), [&other[..], &other[..]].concat()).unwrap();
    assert_eq!(std::fs::metadata(dir.join("a")).unwrap().ino(), inode);
    assert_eq!(h.accounts().unwrap_err().status(), Status::LedgerIntegrity);
    std::fs::remove_dir_all(dir).unwrap();
}
