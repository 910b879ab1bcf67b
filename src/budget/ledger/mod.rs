//! The ledger: an append-only, hash-chained JSON-lines file of every limit
//! and spend, shared safely by the threads and processes of one machine.
//!
//! # File format (version 1)
//!
//! One JSON object per line, members in this order: `"v":1`, `kind` and its
//! fields, `seq` (0, 1, 2, …), `time` (UTC RFC 3339 with milliseconds, never
//! decreasing), `prev` (the previous line's hash, 64 zeros for the first)
//! and, last, `hash` (SHA-256, hex, of the line without its `hash` member).
//!
//! | `kind` | fields |
//! |---|---|
//! | `ledger` (first line only) | `format` = `"ilsprivacy-ledger"`, `created_by`, `nonce` (128 random bits, hex; absent in ledgers created before it existed) |
//! | `limit` (creates or adjusts) | `account`, `epsilon` + `delta` and/or `rho`, `reason` |
//! | `composition` | `account`, `rule` (`basic`/`zcdp`), `rho_limit` if derived |
//! | `alert_threshold` | `account`, `threshold` |
//! | `period` | `account`, `period` (`lifetime`/`calendar_year`/`calendar_month`) |
//! | `spend` | `account`, `epsilon`, `delta`, `rho` (those known), `event` (mechanism and parameters), `correlation_id` (if given) |
//! | `alert` | `account`, `used_fraction`, `threshold` |
//! | `template` | `account`, `template` (`name`, `mechanism`, `max_sensitivity`, `epsilon`/`delta`/`rho` as `{"min","max"}`, those set), `reason` |
//! | `template_removed` | `account`, `name`, `reason` |
//! | `templates_only` | `account`, `enabled`, `reason` |
//! | `suspend` / `resume` | `account`, `reason` |
//! | `burn_plan` | `account`, `plan` (`planned`, `window_secs`, `factor`; absent: removed) |
//! | `burn_alert` | `account`, `window_spent`, `planned`, `factor` |
//! | `torn_tail` | `bytes`, `sha256`, then `"kept":true` (the fragment is in the file, see below) or `fragment` (hex, when it was cut off), `charge`, and the charged `account`/`epsilon`/`delta`/`rho` |
//!
//! Amounts are canonical decimal strings (`"0.1"`); mechanism parameters
//! (sensitivity, scale, σ) are JSON numbers. Values and noise never appear.
//!
//! The governance kinds (`template` … `burn_alert`, and `correlation_id`)
//! were added without changing the version: every line written before them
//! reads as it always did (a committed ledger of the earlier version is
//! tested to open, verify and keep its head), while a version that predates
//! them refuses a ledger that holds one (an unknown kind is an integrity
//! error, never skipped). Replay checks them like the others: a spend
//! recorded on a suspended account, or outside the templates of an account
//! that required them, is an integrity error.
//!
//! The only lines that are not entries are unfinished writes kept in place
//! (see "Durability and crashes"): each ends with the byte 0x18 (ASCII CAN,
//! "cancel", which no entry contains), and they come right before the
//! `torn_tail` entry whose `bytes` and `sha256` cover them (the lines joined
//! by `\n`, without the `\n` before the entry). They are outside the hash
//! chain: the entry's `prev` is the hash of the entry before them.
//!
//! # Limits
//!
//! A line is at most [`MAX_LINE_BYTES`] (1 MiB) long — entries are a few KiB
//! at most — and the file is read in 64 KiB chunks, so reading needs
//! bounded memory whatever the file's size: a 1 TB sparse file fails on its
//! first mebibyte with `Error::LedgerIntegrity`. A budget holds at most
//! [`crate::budget::MAX_ACCOUNTS`] accounts. The path must name a regular
//! file (a symbolic link to one is fine): it is checked before opening, the
//! open does not block (a FIFO is refused at once) and the open descriptor
//! is checked again; anything else is `Error::Io`.
//!
//! # Integrity
//!
//! Opening reads and checks the whole file: each line's hash, the chain of
//! `prev` hashes, consecutive `seq`, non-decreasing `time`, the format
//! version, and that the entries make sense in order (no spend on an
//! unconfigured account, no spend beyond the limit then in force, no rule
//! change after spends). Any failure is `Error::LedgerIntegrity`
//! (`ILSP_ERR_LEDGER_INTEGRITY`), and the handle is not opened: changing,
//! inserting, removing or reordering any byte of the file is detected, with
//! two limits of an unkeyed chain stated plainly: whoever can rewrite the
//! file can recompute every hash, and cutting whole lines off the end leaves
//! a valid shorter chain. Record [`LedgerSummary::head`] elsewhere (a log,
//! another machine) to detect both.
//!
//! # Identity: replaced, moved and deleted ledgers
//!
//! A handle pins the file it opened: its device and inode, and its first
//! entry (which holds the creation nonce; a ledger without one is pinned by
//! device, inode and its first entry's bytes, which include its creation
//! time to the millisecond). Every operation, under the lock, and again
//! after each append before a spend returns, checks that the path still
//! names that file, that the file still has a name, and that its first
//! entry is unchanged:
//!
//! - the path names another file (the ledger was replaced, e.g. by
//!   `cp l t && mv t l`, or a symbolic link now points elsewhere, or another
//!   ledger was copied over it in place): `Error::LedgerIntegrity`;
//! - the path names nothing, or the file was deleted (also by removing its
//!   directory): `Error::Io`.
//!
//! The handle then refuses everything, for good: a budget never splits
//! between two files, and a spend written to a file that is no longer the
//! ledger is reported as failed, so nothing is released for it. A new handle
//! opens whatever the path names now. Rules for operators: move or restore
//! a ledger only while no process has it open; copy it for a backup under
//! its lock (`flock l cp l backup`), or from [`crate::budget::Budget::export_ledger`]; a
//! copy is a separate ledger with the same history — restoring it over the
//! live one rolls back every spend made since, and spending on both splits
//! the budget, which no check can see (record the head elsewhere to detect
//! a rollback).
//!
//! # Durability and crashes
//!
//! A spend appends its line (with any alert line it triggers) in one
//! `write`, then `fsync`s the file (`File::sync_all`), and only then returns;
//! a mechanism releases its value only after that. So a crash at any point
//! can waste budget but never release a value whose spend is not on disk.
//! A new file's directory is `fsync`ed too.
//!
//! A crash during that `write`, a write that fails part-way (`EFBIG` at a
//! file-size limit, `ENOSPC` on a full disk), or a power loss before the
//! `fsync`, can leave the last line **unfinished**: bytes after the last
//! `\n`. Under the lock (so no live writer is mid-write) the next handle to
//! open or use the ledger handles it exactly as follows:
//!
//! 1. A complete, valid entry missing only its `\n` is kept and counted;
//!    the `\n` is added.
//! 2. Otherwise, if the bytes are the beginning of an entry (UTF-8 JSON that
//!    ends early and starts like every line), it is an unfinished write. It
//!    is **kept** where it is: one append writes CAN (0x18) and `\n` after
//!    it, then a `torn_tail` entry (`"kept":true`) with its length and
//!    SHA-256, charging for it:
//!    - a spend on an existing account whose cost members (ε and δ for basic
//!      composition, ρ for zCDP) were complete: **that cost**
//!      (`"charge":"recovered"`);
//!    - a spend on an existing account cut before its cost was complete:
//!      **everything the account had left** (`"remaining"`), since the
//!      spend could have been as large as that;
//!    - anything else (another kind of entry, or too short to name its
//!      account): nothing (`"none"`).
//!
//!    An unfinished spend never returned, so nothing was released for it;
//!    charging it anyway means a cut spend line is never free budget.
//! 3. Anything else after the last `\n` is damage: `Error::LedgerIntegrity`.
//!
//! The repair is one append, so it is crash-safe the same way: if it is cut
//! too (or crashes, or its `fsync` fails), the next reader finds the first
//! fragment, then the cut repair (a line that starts like a `torn_tail`
//! entry), and repairs the whole region with one entry that charges the
//! first fragment — once, however many repairs were cut. Nothing is cut off
//! the file before its charge is durable, so no sequence of failures or
//! crashes loses a charge (tested by failing every write and sync, by real
//! `EFBIG` and `ENOSPC`, and by killing processes). The one exception is a
//! first line cut short: there is no account yet, so nothing to charge; it
//! is cut off and the file started afresh, recording it (hex) in a
//! `torn_tail` entry. Older versions cut every fragment before recording
//! it; if that record was itself cut, its charge is recovered from the
//! members it completed or from the part of the fragment it holds.
//!
//! # Several processes
//!
//! Every operation takes an exclusive `flock` on the file
//! (`std::fs::File::lock`), reads and checks the entries other handles
//! appended since its last read, decides, appends and `fsync`s, then
//! unlocks. Spends from any number of threads, handles and processes on one
//! machine are therefore serialized against one up-to-date state, and their
//! total never exceeds a limit. A handle waits for the lock up to its lock
//! timeout (10 s by default) and then fails with `Error::Io`. The wait for
//! the lock blocks in the kernel (in a helper thread, so the timeout holds)
//! and goes through a turnstile (on Linux, an open-file-description lock
//! held while waiting, itself taken by retries with pauses of at most 2 ms),
//! so a writer that just unlocked cannot take the lock straight back: busy
//! writers do not starve a waiter. A handle used in a child after
//! `fork()` reopens the file first (a forked child shares its parent's open
//! file description, hence its lock) and must find the pinned file there; if
//! another thread was inside a call on the handle at the fork, the child
//! re-reads the ledger from the start instead of waiting for that thread
//! (see `ForkMutex`). `flock` is not reliable on network file systems: keep
//! ledgers on a local disk.

pub(crate) mod entry;
pub(crate) mod file;
mod io;
mod lock;
// Its Rust constants are not part of the C header.
/// cbindgen:ignore
mod scan;

#[cfg(test)]
mod crash_tests;

pub use file::LedgerSummary;
pub use scan::MAX_LINE_BYTES;
