//! The ledger's `flock`, waited for without polling, in turn, and within a
//! timeout.
//!
//! A lock that is free is taken at once (`try_lock`). Otherwise a helper
//! thread makes the blocking `flock` call, so the kernel wakes the wait at
//! the moment the holder unlocks — a poller, which looks only every few
//! milliseconds, loses every time to writers that re-lock within
//! microseconds — while the caller waits for the helper at most its timeout.
//!
//! A woken waiter must still be scheduled, and meanwhile the handle that
//! unlocked may ask again and win. So every lock is taken through a
//! turnstile (`io::turnstile`, Linux): a waiter holds it while it waits for
//! the `flock`, and whoever wants the lock next — the handle that just
//! unlocked included — must first get the turnstile, which that waiter
//! releases only once it has had the lock. A waiter therefore waits for
//! the current holder, then competes only with other waiters that are
//! asleep like itself, never with a running holder coming back.
//!
//! A wait that times out leaves the helper blocked: the handle's next lock
//! call adopts that same wait instead of starting a second one (the kernel
//! lock belongs to the open file description, which both would share), and
//! a helper that gets the lock after its caller gave up releases it at once.
//! If no thread can be started, the wait falls back to polling.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::io::{Turnstile, io_error, turnstile};
use crate::error::{Error, Result};

/// Where a helper's blocking `flock` stands.
#[derive(Debug)]
enum Wait {
    /// Blocked in the kernel; a caller waits for it.
    Waiting,
    /// Blocked in the kernel; its caller gave up (released on success).
    Abandoned,
    /// Got the lock for a waiting caller.
    Acquired,
    /// Got the lock after its caller gave up, and released it; or failed.
    Finished(Option<String>),
}

/// A helper thread's wait, shared with the handle that started it.
#[derive(Debug)]
pub(crate) struct PendingWait {
    state: Mutex<Wait>,
    changed: Condvar,
}

/// Takes the exclusive (or `shared`) lock on `file`, waiting at most
/// `timeout`. `pending` holds a wait a previous call abandoned, which this
/// call adopts; it is left holding the wait if this call times out too.
/// The caller keeps `pending` with `file` for as long as it locks that file:
/// a second wait on the same open file description would share the first
/// one's lock, and the first one, given up, would release it.
pub(crate) fn lock(
    file: &Arc<File>,
    path: &Path,
    timeout: Duration,
    shared: bool,
    pending: &mut Option<Arc<PendingWait>>,
) -> Result<()> {
    let start = Instant::now();
    let waiter = match pending.take() {
        Some(w) if adopt(&w) => w,
        _ => {
            // No wait in progress: the lock may be free (and nobody queued).
            let locked = turnstile(file, Turnstile::Try, shared)
                .and_then(|queue_free| {
                    if !queue_free {
                        return Ok(false);
                    }
                    let locked = try_lock(file, shared);
                    turnstile(file, Turnstile::Release, shared)?;
                    locked
                })
                .map_err(|e| io_error(path, "cannot lock", &e))?;
            if locked {
                return Ok(());
            }
            if timeout.is_zero() {
                return Err(timed_out(path, timeout));
            }
            match spawn_waiter(file, shared) {
                Some(w) => w,
                None => return poll(file, path, timeout, shared),
            }
        }
    };
    let state = waiter.state.lock().unwrap_or_else(|p| p.into_inner());
    let remaining = timeout.saturating_sub(start.elapsed());
    let (mut state, _) = waiter
        .changed
        .wait_timeout_while(state, remaining, |s| matches!(s, Wait::Waiting))
        .unwrap_or_else(|p| p.into_inner());
    match &*state {
        Wait::Acquired => {
            *state = Wait::Finished(None);
            Ok(())
        }
        Wait::Waiting => {
            *state = Wait::Abandoned;
            drop(state);
            *pending = Some(waiter.clone());
            Err(timed_out(path, timeout))
        }
        Wait::Finished(Some(e)) => Err(Error::Io {
            path: path.display().to_string(),
            detail: format!("cannot lock: {e}"),
        }),
        Wait::Abandoned | Wait::Finished(None) => Err(Error::Internal(
            "the ledger lock's wait is in an unexpected state".into(),
        )),
    }
}

/// Takes over a wait a previous call abandoned; false if it is over.
fn adopt(waiter: &PendingWait) -> bool {
    let mut state = waiter.state.lock().unwrap_or_else(|p| p.into_inner());
    match *state {
        Wait::Abandoned => {
            *state = Wait::Waiting;
            true
        }
        _ => false,
    }
}

fn try_lock(file: &File, shared: bool) -> std::io::Result<bool> {
    let attempt = if shared {
        file.try_lock_shared()
    } else {
        file.try_lock()
    };
    match attempt {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

fn timed_out(path: &Path, timeout: Duration) -> Error {
    Error::Io {
        path: path.display().to_string(),
        detail: format!(
            "the ledger is locked by another handle or process (waited {} ms)",
            timeout.as_millis()
        ),
    }
}

/// Starts a thread blocked in `flock` on `file`; `None` if none can start.
fn spawn_waiter(file: &Arc<File>, shared: bool) -> Option<Arc<PendingWait>> {
    let waiter = Arc::new(PendingWait {
        state: Mutex::new(Wait::Waiting),
        changed: Condvar::new(),
    });
    let (w, f) = (waiter.clone(), file.clone());
    std::thread::Builder::new()
        .name("ilsp-ledger-lock".into())
        .spawn(move || {
            let result = queue_and_lock(&f, &w, shared);
            let mut state = w.state.lock().unwrap_or_else(|p| p.into_inner());
            *state = match (result, &*state) {
                (Ok(true), Wait::Waiting) => Wait::Acquired,
                (Ok(true), _) => {
                    // Nobody waits any more: release at once.
                    let _ = f.unlock();
                    Wait::Finished(None)
                }
                (Ok(false), _) => Wait::Finished(None),
                (Err(e), _) => Wait::Finished(Some(e.to_string())),
            };
            w.changed.notify_all();
        })
        .ok()?;
    Some(waiter)
}

/// The helper's wait: the turnstile, then the lock, then the turnstile is
/// passed on. False if its caller gave up before it reached the lock.
fn queue_and_lock(file: &File, waiter: &PendingWait, shared: bool) -> std::io::Result<bool> {
    turnstile(file, Turnstile::Wait, shared)?;
    let abandoned = matches!(
        *waiter.state.lock().unwrap_or_else(|p| p.into_inner()),
        Wait::Abandoned
    );
    let result = if abandoned {
        Ok(false)
    } else if shared {
        file.lock_shared().map(|()| true)
    } else {
        file.lock().map(|()| true)
    };
    let released = turnstile(file, Turnstile::Release, shared);
    match (result, released) {
        (Ok(locked), Ok(_)) => Ok(locked),
        (Ok(true), Err(e)) => {
            let _ = file.unlock();
            Err(e)
        }
        (Ok(false), Err(e)) | (Err(e), _) => Err(e),
    }
}

/// The fallback: retries with backoff until `timeout`.
fn poll(file: &File, path: &Path, timeout: Duration, shared: bool) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(50);
    loop {
        match try_lock(file, shared) {
            Ok(true) => return Ok(()),
            Ok(false) if start.elapsed() >= timeout => return Err(timed_out(path, timeout)),
            Ok(false) => {
                std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
                pause = (pause * 2).min(Duration::from_millis(2));
            }
            Err(e) => return Err(io_error(path, "cannot lock", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    fn scratch(tag: &str) -> (std::path::PathBuf, Arc<File>) {
        let path = std::env::temp_dir().join(format!("ilsp-lock-{tag}-{}", std::process::id()));
        std::fs::write(&path, b"").unwrap();
        let ours = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        (path, Arc::new(ours))
    }

    /// Whether another open file description can take the lock within `within`.
    fn free_within(path: &Path, within: Duration) -> bool {
        let other = File::open(path).unwrap();
        let start = Instant::now();
        while start.elapsed() < within {
            if other.try_lock().is_ok() {
                other.unlock().unwrap();
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    #[cfg_attr(miri, ignore = "flock and fcntl locks")]
    fn timeouts_are_honoured_and_a_given_up_wait_never_keeps_the_lock() {
        let (path, ours) = scratch("timeout");
        let holder = File::open(&path).unwrap();
        holder.lock().unwrap();
        let mut pending = None;
        // The timeout holds, give or take scheduling.
        let start = Instant::now();
        let e = lock(
            &ours,
            &path,
            Duration::from_millis(100),
            false,
            &mut pending,
        )
        .unwrap_err();
        let waited = start.elapsed();
        assert_eq!(e.status(), Status::Io);
        assert!(e.to_string().contains("locked"), "{e}");
        assert!(waited >= Duration::from_millis(100), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        assert!(pending.is_some(), "the wait is kept for the next call");
        // The next call adopts that wait and gets the lock when it is freed.
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                holder.unlock().unwrap();
            });
            lock(&ours, &path, Duration::from_secs(5), false, &mut pending).unwrap();
        });
        assert!(pending.is_none());
        assert!(!free_within(&path, Duration::from_millis(20)), "we hold it");
        ours.unlock().unwrap();
        // A wait given up for good: when it gets the lock, it lets it go.
        holder.lock().unwrap();
        let e = lock(&ours, &path, Duration::from_millis(30), false, &mut pending).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        drop(pending.take());
        holder.unlock().unwrap();
        drop(holder);
        assert!(
            free_within(&path, Duration::from_secs(5)),
            "the lock leaked"
        );
        // A zero timeout tries once.
        let other = File::open(&path).unwrap();
        other.lock().unwrap();
        let start = Instant::now();
        assert!(lock(&ours, &path, Duration::ZERO, false, &mut pending).is_err());
        assert!(start.elapsed() < Duration::from_millis(50));
        assert!(pending.is_none(), "no wait was started");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    #[cfg_attr(miri, ignore = "flock and fcntl locks")]
    fn shared_locks_pass_together_and_wait_for_an_exclusive_one() {
        let (path, ours) = scratch("shared");
        let reader = Arc::new(File::open(&path).unwrap());
        let mut pending = None;
        lock(&reader, &path, Duration::ZERO, true, &mut pending).unwrap();
        let second = Arc::new(File::open(&path).unwrap());
        lock(&second, &path, Duration::ZERO, true, &mut pending).unwrap();
        assert!(lock(&ours, &path, Duration::from_millis(30), false, &mut pending).is_err());
        reader.unlock().unwrap();
        second.unlock().unwrap();
        lock(&ours, &path, Duration::from_secs(5), false, &mut pending).unwrap();
        assert!(pending.is_none());
        std::fs::remove_file(&path).unwrap();
    }
}
