//! `fork()` while another thread is inside a budget call.
//!
//! A thread of the parent enters a spend and stays inside it (it waits for
//! the ledger's lock, which another open file description holds); the main
//! thread forks. In the child only the forking thread exists, so a lock the
//! other thread held would stay held forever: the child's first call on the
//! inherited handle must nevertheless complete (within a timeout), and the
//! ledger must then hold the spends of both the parent's thread and the
//! child. Done through the Rust API and through the C ABI, ten times each.
//!
//! `harness = false`: the forks happen in a process with no test-runner
//! threads. Arguments without a leading `-` filter the tests by name.

use std::ffi::CString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ilsprivacy::budget::{Budget, BudgetOptions, Charge, Limit, verify_ledger_file};
use ilsprivacy::ffi::ILSP_OK;
use ilsprivacy::ffi::budget::{
    ilsp_budget, ilsp_budget_free, ilsp_budget_laplace, ilsp_budget_open_with_timeout,
    ilsp_budget_spend,
};

const ROUNDS: usize = 10;
/// How long the child may take for its call before it counts as deadlocked.
const CHILD_TIMEOUT: Duration = Duration::from_secs(20);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let tests: [(&str, fn()); 2] = [
        (
            "a_child_completes_a_call_while_a_parent_thread_was_inside_one",
            a_child_completes_a_call_while_a_parent_thread_was_inside_one,
        ),
        ("through_the_c_abi_too", through_the_c_abi_too),
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

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-fork-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A ledger with account "a" (limit ε = 100) at `path`.
fn new_ledger(path: &Path) {
    let b = Budget::open(path).unwrap();
    b.set_limit("a", Limit::epsilon_delta(100.0, 0.0).unwrap(), "")
        .unwrap();
}

/// Holds the ledger's lock through its own open file description, so that
/// a handle's next call waits inside (holding the handle's own lock).
fn hold_file_lock(path: &Path) -> File {
    let f = File::open(path).unwrap();
    f.lock().unwrap();
    f
}

/// Forks; the child runs `call` (its exit code: 0 for success) and exits.
/// The parent then runs `release` (which lets the blocked thread finish)
/// and waits for the child, killing it after `CHILD_TIMEOUT`.
fn fork_and_wait(call: impl FnOnce() -> i32, release: impl FnOnce()) {
    // SAFETY: the child only runs `call` (library calls on an inherited
    // handle, which is what is under test) and `_exit`s; it never returns
    // into this function's caller.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = call();
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    release();
    let start = Instant::now();
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "waitpid failed");
        if start.elapsed() > CHILD_TIMEOUT {
            // SAFETY: kills and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            panic!("the child's call did not return within {CHILD_TIMEOUT:?}: deadlocked");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child's call failed (wait status {status:#x})"
    );
}

/// Time for the spending thread to get inside its call and block there.
const SETTLE: Duration = Duration::from_millis(150);

fn a_child_completes_a_call_while_a_parent_thread_was_inside_one() {
    let dir = temp_dir("rust");
    let path = dir.join("l");
    new_ledger(&path);
    let options = BudgetOptions {
        lock_timeout: Duration::from_secs(30),
        ..BudgetOptions::default()
    };
    let budget = Arc::new(Budget::open_with(&path, &options).unwrap());
    for _ in 0..ROUNDS {
        let holder = hold_file_lock(&path);
        let inside = {
            let b = budget.clone();
            std::thread::spawn(move || b.spend("a", &Charge::pure_dp(0.25).unwrap()))
        };
        std::thread::sleep(SETTLE);
        fork_and_wait(
            || match budget.spend("a", &Charge::pure_dp(0.5).unwrap()) {
                Ok(_) => 0,
                Err(_) => 2,
            },
            || holder.unlock().unwrap(),
        );
        inside.join().unwrap().unwrap();
    }
    // Every spend of both sides is in the ledger.
    let spent = budget.status("a").unwrap().spent.epsilon;
    assert_eq!(spent, format!("{}", 0.75 * ROUNDS as f64).parse().unwrap());
    assert_eq!(
        verify_ledger_file(&path).unwrap().entries,
        2 + 2 * ROUNDS as u64
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn through_the_c_abi_too() {
    let dir = temp_dir("c");
    let path = dir.join("l");
    new_ledger(&path);
    let c_path = CString::new(path.to_str().unwrap()).unwrap();
    let account = CString::new("a").unwrap();
    let mut handle: *mut ilsp_budget = std::ptr::null_mut();
    assert_eq!(
        ilsp_budget_open_with_timeout(c_path.as_ptr(), 30_000, &mut handle),
        ILSP_OK
    );
    // Raw pointers are not Send; the handle is thread-safe per its contract.
    let shared = handle as usize;
    for _ in 0..ROUNDS {
        let holder = hold_file_lock(&path);
        let inside = {
            let account = account.clone();
            std::thread::spawn(move || {
                let mut seq = 0u64;
                ilsp_budget_spend(
                    shared as *mut ilsp_budget,
                    account.as_ptr(),
                    0.25,
                    0.0,
                    &mut seq,
                )
            })
        };
        std::thread::sleep(SETTLE);
        fork_and_wait(
            || {
                let mut out = 0.0;
                let rc = ilsp_budget_laplace(handle, account.as_ptr(), 10.0, 1.0, 0.5, &mut out);
                ilsp_budget_free(handle);
                if rc == ILSP_OK { 0 } else { 3 }
            },
            || holder.unlock().unwrap(),
        );
        assert_eq!(inside.join().unwrap(), ILSP_OK);
    }
    ilsp_budget_free(handle);
    let b = Budget::open(&path).unwrap();
    assert_eq!(
        b.status("a").unwrap().spent.epsilon,
        format!("{}", 0.75 * ROUNDS as f64).parse().unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
