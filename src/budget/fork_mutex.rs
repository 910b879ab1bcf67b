//! [`ForkMutex`]: a mutex that a process forked while another thread held
//! it can still use.
//!
//! After `fork()` only the forking thread exists in the child. A
//! `std::sync::Mutex` that another thread of the parent held at that moment
//! stays locked in the child forever (its first `lock` deadlocks), and the
//! value it guards may be half-updated. A `ForkMutex` notices its first use
//! in a new process (by the fork generation that the RNG's `pthread_atfork`
//! handler counts — an atomic load, not a system call — before touching the
//! mutex) and, if the
//! inherited mutex is held, abandons it — it is never unlocked, read or
//! dropped — and guards a fresh value instead, made by the caller from what
//! it kept outside the mutex (for a budget: its ledger's path and pinned
//! identity, from which the child re-reads the state). An inherited mutex
//! that was free is taken over as it is, value included.
//!
//! Like the RNG's reseeding, this relies on `fork()` running the
//! `pthread_atfork` handlers, as the C library's `fork` does; a process that
//! calls the raw system call bypasses them.
//!
//! This module holds the budget's only `unsafe` code: the current mutex is
//! behind an atomic pointer, so that a child can swap in a fresh one while
//! other threads it started may be looking. Every generation of the mutex
//! stays allocated as long as the `ForkMutex` (an abandoned one for the
//! whole process, reachable from a global list), so a pointer once loaded
//! never dangles.

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{LockResult, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

/// One process's mutex.
struct Generation<T> {
    /// The fork generation (`rng::current_generation`) of the process whose
    /// threads lock `mutex`.
    owner: AtomicU64,
    mutex: Mutex<T>,
}

/// "Nobody is taking over."
const NOBODY: u64 = u64::MAX;

fn this_process() -> u64 {
    crate::rng::current_generation()
}

/// A mutex usable in a child forked while another thread held it; see the
/// module docs.
pub(crate) struct ForkMutex<T> {
    current: AtomicPtr<Generation<T>>,
    /// The process (fork generation) of the thread that is taking over (or
    /// took over) an inherited generation; another process sees a stale value.
    taker: AtomicU64,
    /// Owns a `Box<Generation<T>>` (so `Send`/`Sync` follow `Mutex<T>`).
    _owns: PhantomData<Box<Generation<T>>>,
}

impl<T> ForkMutex<T> {
    /// A mutex guarding `value`, owned by the current process.
    pub fn new(value: T) -> ForkMutex<T> {
        ForkMutex::owned_by(value, this_process())
    }

    fn owned_by(value: T, owner: u64) -> ForkMutex<T> {
        let generation = Box::new(Generation {
            owner: AtomicU64::new(owner),
            mutex: Mutex::new(value),
        });
        ForkMutex {
            current: AtomicPtr::new(Box::into_raw(generation)),
            taker: AtomicU64::new(NOBODY),
            _owns: PhantomData,
        }
    }

    fn generation(&self) -> &Generation<T> {
        // SAFETY: `current` always points to a live `Generation<T>`: it is
        // set from `Box::into_raw` and only replaced by another such pointer;
        // a replaced generation is never freed (it is leaked into
        // `ABANDONED`), and the current one is freed only in `drop`, which
        // has `&mut self`, so no reference from `&self` outlives it.
        unsafe { &*self.current.load(Ordering::Acquire) }
    }

    /// Locks the mutex, as `Mutex::lock` does (a panic while holding it
    /// poisons it). In a process forked while another thread held it, the
    /// first call replaces the value by `fresh()`.
    pub fn lock(&self, fresh: impl Fn() -> T) -> LockResult<MutexGuard<'_, T>> {
        let me = this_process();
        loop {
            let generation = self.generation();
            if generation.owner.load(Ordering::Acquire) == me {
                return generation.mutex.lock();
            }
            self.take_over(me, &fresh);
        }
    }

    /// Makes the current generation this process's, once.
    fn take_over(&self, me: u64, fresh: &impl Fn() -> T) {
        let seen = self.taker.load(Ordering::Acquire);
        if seen == me {
            // Another thread of this process is taking over: wait for it.
            std::thread::sleep(Duration::from_micros(50));
            return;
        }
        if self
            .taker
            .compare_exchange(seen, me, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let generation = self.generation();
        // No thread of this process locks this mutex before its `owner` is
        // us, so it is held only if a thread of the parent held it at fork.
        match generation.mutex.try_lock() {
            Ok(_) | Err(TryLockError::Poisoned(_)) => {
                generation.owner.store(me, Ordering::Release);
            }
            Err(TryLockError::WouldBlock) => {
                let fresh = Box::into_raw(Box::new(Generation {
                    owner: AtomicU64::new(me),
                    mutex: Mutex::new(fresh()),
                }));
                let old = self.current.swap(fresh, Ordering::AcqRel);
                abandon(old.cast());
            }
        }
    }
}

impl<T> Drop for ForkMutex<T> {
    fn drop(&mut self) {
        let current = *self.current.get_mut();
        // SAFETY: `current` came from `Box::into_raw` and is owned by `self`
        // alone (abandoned generations are elsewhere); `&mut self` means no
        // reference to it remains.
        drop(unsafe { Box::from_raw(current) });
    }
}

/// A generation abandoned in some process: never freed, never touched again.
struct Abandoned {
    #[expect(dead_code, reason = "only keeps the abandoned generation reachable")]
    generation: *mut (),
    next: *mut Abandoned,
}

/// Every abandoned generation of this process (kept reachable, so memory
/// checkers count them as still in use rather than lost).
static ABANDONED: AtomicPtr<Abandoned> = AtomicPtr::new(ptr::null_mut());

fn abandon(generation: *mut ()) {
    let node = Box::into_raw(Box::new(Abandoned {
        generation,
        next: ptr::null_mut(),
    }));
    let mut head = ABANDONED.load(Ordering::Acquire);
    loop {
        // SAFETY: `node` came from `Box::into_raw` above and is not yet
        // shared (the exchange below publishes it).
        unsafe { (*node).next = head };
        match ABANDONED.compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

#[cfg(test)]
impl<T> ForkMutex<T> {
    /// A mutex as a forked child inherits it from a parent `parent` in which
    /// it was `held` by another thread (without forking, so that the
    /// take-over runs under Miri too). With `held`, the inherited guard is
    /// leaked, as a thread that no longer exists would leave it.
    pub(crate) fn inherited_for_test(value: T, held: bool) -> ForkMutex<T> {
        let m = ForkMutex::owned_by(value, this_process().wrapping_sub(1));
        if held {
            std::mem::forget(m.generation().mutex.lock());
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn locks_like_a_mutex() {
        let m = Arc::new(ForkMutex::new(0u64));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        *m.lock(|| unreachable!()).unwrap() += 1;
                    }
                });
            }
        });
        assert_eq!(*m.lock(|| unreachable!()).unwrap(), 4000);
    }

    #[test]
    fn an_inherited_free_mutex_keeps_its_value() {
        let m = ForkMutex::inherited_for_test(vec![1, 2, 3], false);
        assert_eq!(*m.lock(|| vec![9]).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn an_inherited_held_mutex_is_replaced_by_a_fresh_value() {
        let m = Arc::new(ForkMutex::inherited_for_test(
            String::from("half-updated"),
            true,
        ));
        // Several threads of the "child" arrive at once: one takes over,
        // every one then sees the fresh value, none blocks.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let v = m.lock(|| String::from("fresh")).unwrap();
                    assert_eq!(*v, "fresh");
                });
            }
        });
        m.lock(|| unreachable!()).unwrap().push('!');
        assert_eq!(*m.lock(|| unreachable!()).unwrap(), "fresh!");
    }

    #[test]
    fn poison_survives_a_take_over() {
        let m = ForkMutex::new(0);
        std::thread::scope(|s| {
            let _ = s
                .spawn(|| {
                    let _g = m.lock(|| 0);
                    panic!("poisoning the mutex for a test");
                })
                .join();
        });
        assert!(m.lock(|| 0).is_err());
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot call fork")]
    fn a_child_forked_while_another_thread_holds_it_does_not_deadlock() {
        use std::sync::mpsc;
        let m = Arc::new(ForkMutex::new(1u32));
        let (held_tx, held_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let holder = {
            let m = m.clone();
            std::thread::spawn(move || {
                let _g = m.lock(|| 0).unwrap();
                held_tx.send(()).unwrap();
                done_rx.recv().unwrap();
            })
        };
        held_rx.recv().unwrap();
        // SAFETY: the child only locks the mutex (which is under test) and
        // calls `_exit`; it never returns into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = match m.lock(|| 7) {
                Ok(v) if *v == 7 => 0,
                _ => 1,
            };
            // SAFETY: ends the child without running the harness's destructors.
            unsafe { libc::_exit(code) };
        }
        let start = std::time::Instant::now();
        let mut status = 0;
        loop {
            // SAFETY: waits for our own child; `status` is a valid out-pointer.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if r == pid {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                // SAFETY: kills and reaps our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("the child deadlocked");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        done_tx.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(*m.lock(|| 0).unwrap(), 1, "the parent keeps its value");
    }
}
