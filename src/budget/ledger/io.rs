//! The few operating-system calls the ledger makes, in one place: opening a
//! regular file without blocking, its identity, positioned reads, appends,
//! `fsync`, truncation, the directory `fsync` of a new file, and the lock
//! turnstile ([`turnstile`]). The turnstile's `fcntl` call is this module's
//! one `unsafe` block.
//!
//! In unit tests a fault plan ([`fault`]) can make any append, sync or
//! truncation fail — a write after keeping some of its bytes, as `EFBIG` or
//! `ENOSPC` do — so that crash safety is tested at every write and sync.
//! The plan exists only in `cfg(test)` builds.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
#[cfg(target_os = "linux")]
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// An I/O error on the ledger at `path`, saying what was being done.
pub(crate) fn io_error(path: &Path, what: &str, e: &io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        detail: format!("{what}: {e}"),
    }
}

/// The device and inode of a file: what a handle pins its ledger by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

fn not_regular(path: &Path, meta: &Metadata) -> Error {
    let t = meta.file_type();
    let what = if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Error::Io {
        path: path.display().to_string(),
        detail: format!("not a regular file ({what}); a ledger must be a regular file"),
    }
}

/// How a ledger is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reading and appending; created if absent.
    Create,
    /// Reading and appending; it must exist.
    Append,
    /// Reading only; it must exist.
    Read,
}

/// Opens the ledger at `path` as `mode` says, refusing anything but a
/// regular file.
///
/// The path is checked before opening (so a device is never opened) and the
/// open descriptor again (`fstat`), which is what counts: the path may
/// change in between. The open is non-blocking and never makes a terminal
/// the controlling one, so a FIFO or a device swapped in at the last moment
/// is refused without waiting for a writer.
pub(crate) fn open_ledger(path: &Path, mode: Mode) -> Result<File> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_regular(path, &meta)),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound && mode == Mode::Create => {}
        Err(e) => return Err(io_error(path, "cannot open the ledger", &e)),
    }
    let file = OpenOptions::new()
        .read(true)
        .append(mode != Mode::Read)
        .create(mode == Mode::Create)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| io_error(path, "cannot open the ledger", &e))?;
    let meta = file
        .metadata()
        .map_err(|e| io_error(path, "cannot inspect the ledger", &e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok(file)
}

/// The open file's metadata (`fstat`).
pub(crate) fn metadata(file: &File, path: &Path) -> Result<Metadata> {
    file.metadata()
        .map_err(|e| io_error(path, "cannot inspect the ledger", &e))
}

/// The identity of what `path` names now (following symbolic links), or
/// `None` if it names nothing.
pub(crate) fn path_id(path: &Path) -> Result<Option<FileId>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(FileId::of(&meta))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, "cannot inspect the ledger's path", &e)),
    }
}

/// Reads exactly `buf.len()` bytes at `offset`.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    file.read_exact_at(buf, offset)
}

/// Appends `bytes` (the file is opened in append mode).
pub(crate) fn append(file: &File, bytes: &[u8]) -> io::Result<()> {
    #[cfg(test)]
    if let Some(keep) = fault::next() {
        let keep = keep.min(bytes.len());
        (&*file).write_all(&bytes[..keep])?;
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    }
    (&*file).write_all(bytes)
}

/// Makes the file's data durable (`fsync`).
pub(crate) fn sync(file: &File) -> io::Result<()> {
    #[cfg(test)]
    if let Some(armed) = fault::sync_armed() {
        return armed;
    }
    file.sync_all()
}

/// Truncates the file to `len` bytes.
pub(crate) fn set_len(file: &File, len: u64) -> io::Result<()> {
    #[cfg(test)]
    if fault::next().is_some() {
        return Err(io::Error::from_raw_os_error(libc::EIO));
    }
    file.set_len(len)
}

/// Makes a new file's directory entry durable (`fsync` of its directory).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(test)]
    if fault::next().is_some() {
        return Err(io::Error::from_raw_os_error(libc::EIO));
    }
    File::open(dir).and_then(|d| d.sync_all())
}

/// What to do with the turnstile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turnstile {
    /// Take it if it is free (true if taken).
    Try,
    /// Take it, waiting as long as it takes.
    Wait,
    /// Release it.
    Release,
}

/// The ledger lock's turnstile: an open-file-description lock (`fcntl`
/// `F_OFD_SETLK`, independent of `flock`) on one byte far past any
/// ledger's end. Whoever waits for the ledger's `flock` holds it while
/// waiting, so the handle that just released the `flock` cannot take it
/// back before that waiter has had it (see `super::lock`). `shared`: a
/// read lock (for read-only descriptors; readers pass together).
///
/// Linux only; elsewhere a no-op that always succeeds.
#[cfg(target_os = "linux")]
pub(crate) fn turnstile(file: &File, op: Turnstile, shared: bool) -> io::Result<bool> {
    const OFFSET: libc::off_t = libc::off_t::MAX - 1;
    let l_type = match (op, shared) {
        (Turnstile::Release, _) => libc::F_UNLCK,
        (_, true) => libc::F_RDLCK,
        (_, false) => libc::F_WRLCK,
    };
    // SAFETY: `flock` is a plain C struct for which all-zero bytes are a
    // valid value (OFD locks require `l_pid` to be 0).
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = l_type as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = OFFSET;
    lock.l_len = 1;
    // A wait retries the non-blocking form with short pauses rather than
    // blocking in `F_OFD_SETLKW`: the waiting thread then never sits in a
    // system call that tools such as valgrind do not know may block (under
    // memcheck that stalled every thread of the process, the lock's holder
    // included). The pause is far below the ledger lock's timeouts, and the
    // turnstile's holder keeps its place: waiters only queue behind it.
    let mut pause = std::time::Duration::from_micros(50);
    loop {
        // SAFETY: `file` is an open descriptor for the call's duration, and
        // `lock` a valid `struct flock` that `fcntl` only reads.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &lock) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN | libc::EACCES) if op == Turnstile::Try => return Ok(false),
            Some(libc::EAGAIN | libc::EACCES) if op == Turnstile::Wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(2));
            }
            _ => return Err(e),
        }
    }
}

/// Without open-file-description locks there is no turnstile.
#[cfg(not(target_os = "linux"))]
pub(crate) fn turnstile(_file: &File, _op: Turnstile, _shared: bool) -> io::Result<bool> {
    Ok(true)
}

/// Fault injection for unit tests: the `n`-th append, sync, truncation or
/// directory sync of the armed thread fails.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::RefCell;
    use std::io;

    /// Which operation fails, and how.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Plan {
        /// Index (from 0) of the operation that fails.
        pub fail_at: usize,
        /// For a failing append: how many of its bytes reach the file first.
        pub keep: usize,
        /// Whether every later operation fails too (a full disk; a process
        /// that died there).
        pub sticky: bool,
    }

    /// What happened while a plan was armed.
    #[derive(Clone, Copy, Debug, Default)]
    pub(crate) struct Record {
        /// Operations seen.
        pub ops: usize,
        /// Whether the planned failure happened.
        pub failed: bool,
    }

    thread_local! {
        static ARMED: RefCell<Option<(Plan, Record)>> = const { RefCell::new(None) };
    }

    /// Arms `plan` for this thread's next ledger operations.
    pub(crate) fn arm(plan: Plan) {
        ARMED.with(|a| *a.borrow_mut() = Some((plan, Record::default())));
    }

    /// Disarms this thread's plan and returns what happened.
    pub(crate) fn disarm() -> Record {
        ARMED
            .with(|a| a.borrow_mut().take())
            .map(|(_, r)| r)
            .unwrap_or_default()
    }

    /// Counts one operation; `Some(keep)` if it must fail.
    pub(super) fn next() -> Option<usize> {
        ARMED.with(|a| {
            let mut armed = a.borrow_mut();
            let (plan, record) = armed.as_mut()?;
            let i = record.ops;
            record.ops += 1;
            if i == plan.fail_at || (plan.sticky && record.failed) {
                record.failed = true;
                Some(if i == plan.fail_at { plan.keep } else { 0 })
            } else {
                None
            }
        })
    }

    /// With a plan armed, a sync is counted (and may fail) but does not
    /// reach the disk (the tests only need its outcome, and thousands of
    /// real `fsync`s would take minutes). A power loss that keeps part of
    /// an unsynced append is the same as an append that kept that part,
    /// which the plans enumerate.
    pub(super) fn sync_armed() -> Option<io::Result<()>> {
        let armed = ARMED.with(|a| a.borrow().is_some());
        if !armed {
            return None;
        }
        Some(match next() {
            Some(_) => Err(io::Error::from_raw_os_error(libc::EIO)),
            None => Ok(()),
        })
    }
}
