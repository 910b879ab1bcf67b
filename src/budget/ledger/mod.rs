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
//! | `ledger` (first line only) | `format` = `"ilsprivacy-ledger"`, `created_by` |
//! | `limit` (creates or adjusts) | `account`, `epsilon` + `delta` and/or `rho`, `reason` |
//! | `composition` | `account`, `rule` (`basic`/`zcdp`), `rho_limit` if derived |
//! | `alert_threshold` | `account`, `threshold` |
//! | `period` | `account`, `period` (`lifetime`/`calendar_year`/`calendar_month`) |
//! | `spend` | `account`, `epsilon`, `delta`, `rho` (those known), `event` (mechanism and parameters) |
//! | `alert` | `account`, `used_fraction`, `threshold` |
//! | `torn_tail` | `bytes`, `sha256`, `fragment` (hex), `charge`, and the charged `account`/`epsilon`/`delta`/`rho` |
//!
//! Amounts are canonical decimal strings (`"0.1"`); mechanism parameters
//! (sensitivity, scale, σ) are JSON numbers. Values and noise never appear.

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
//! # Durability and crashes
//!
//! A spend appends its line (with any alert line it triggers) in one
//! `write`, then `fsync`s the file (`File::sync_all`), and only then returns;
//! a mechanism releases its value only after that. So a crash at any point
//! can waste budget but never release a value whose spend is not on disk.
//! A new file's directory is `fsync`ed too.
//!
//! A crash during that `write` (or a power loss before the `fsync`) can
//! leave the last line **torn**: bytes after the last `\n`. Under the lock
//! (so no live writer is mid-write) the next handle to open or refresh the
//! ledger handles it exactly as follows:
//!
//! 1. A complete, valid entry missing only its `\n` is kept and counted;
//!    the `\n` is added.
//! 2. Otherwise, if the bytes are the beginning of an entry (UTF-8 JSON that
//!    ends early and starts like every line), it is an unfinished write. It is cut
//!    off and a `torn_tail` entry is appended that records its length,
//!    SHA-256 and the bytes themselves (hex), and what was charged for it:
//!    - a spend on an existing account whose cost members (ε and δ for
//!      basic composition, ρ for zCDP) were complete: **that cost**
//!      (`"charge":"recovered"`);
//!    - a spend on an existing account cut before its cost was complete:
//!      **everything the account had left** (`"remaining"`), since the
//!      spend could have been as large as that;
//!    - anything else (another kind of entry, or too short to name its
//!      account): nothing (`"none"`).
//!
//!    An unfinished spend never returned, so nothing was released for it;
//!    charging it anyway means a torn spend line is never free budget.
//! 3. Anything else after the last `\n` is damage: `Error::LedgerIntegrity`.
//!
//! # Several processes
//!
//! Every operation takes an exclusive `flock` on the file
//! (`std::fs::File::lock`), reads and checks the entries other handles
//! appended since its last read, decides, appends and `fsync`s, then
//! unlocks. Spends from any number of threads, handles and processes on one
//! machine are therefore serialized against one up-to-date state, and their
//! total never exceeds a limit. A handle waits for the lock up to its lock
//! timeout (10 s by default) and then fails with `Error::Io`. A handle used
//! in a child after `fork()` reopens the file first (a forked child shares its
//! parent's open file description, hence its lock). `flock` is
//! not reliable on network file systems: keep ledgers on a local disk.

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
