//! C entry points for key epochs and crypto-shredding
//! (`crate::token::epoch`): a ring file of epoch keys, epoch tokens, and
//! retirement that destroys an epoch's key.

#![expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points; pointer contracts are documented in the header"
)]

use std::ffi::c_char;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{
    bytes_arg, check_out, free_handle, give_handle, guard, handle_ref, ilsp_status, path_arg,
    str_arg, text_arg, write_out, write_text,
};
use crate::error::{Error, Result};
use crate::token::epoch::EpochRing;
use crate::token::key::SecretKey;

/// A ring of epoch keys backed by a file. Opaque.
pub struct ilsp_epoch_ring {
    inner: RwLock<EpochRing>,
}

impl ilsp_epoch_ring {
    fn read(&self) -> Result<RwLockReadGuard<'_, EpochRing>> {
        self.inner.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, EpochRing>> {
        self.inner.write().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::Internal(
        "the epoch ring is unusable after an earlier internal error; free it and open it again"
            .into(),
    )
}

/// Creates a new, empty ring file at `path` (mode 0600; it must not exist)
/// and writes its handle to `*out`; free it with `ilsp_epoch_ring_free`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_IO` (exists, or cannot be created).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_create(
    path: *const c_char,
    out: *mut *mut ilsp_epoch_ring,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated path per the header.
        let path = unsafe { path_arg(path, "path") }?;
        let ring = EpochRing::create(path)?;
        give_handle(
            out,
            ilsp_epoch_ring {
                inner: RwLock::new(ring),
            },
        );
        Ok(())
    })
}

/// Opens the ring file at `path` and writes its handle to `*out`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_IO` (cannot be opened or read),
/// `ILSP_ERR_KEY` (not a regular file, too large, malformed: the message
/// gives the line, never key bytes).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_open(
    path: *const c_char,
    out: *mut *mut ilsp_epoch_ring,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated path per the header.
        let path = unsafe { path_arg(path, "path") }?;
        let ring = EpochRing::open(path)?;
        give_handle(
            out,
            ilsp_epoch_ring {
                inner: RwLock::new(ring),
            },
        );
        Ok(())
    })
}

/// Frees a ring handle (its keys are wiped; the file stays). NULL is a
/// no-op. Cannot fail.
///
/// Thread safety: must not run concurrently with any other use of this ring.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_free(ring: *mut ilsp_epoch_ring) {
    // SAFETY: a handle from this library (or NULL), freed once per the header.
    unsafe { free_handle(ring) }
}

/// Adds epoch `epoch` (1 to 32 characters from `A-Z a-z 0-9 _ -`) and
/// rewrites the ring file atomically. Its key is derived with HKDF-SHA256
/// from the `root_key_len` bytes at `root_key` (at least 32), or, when
/// `root_key` is NULL and `root_key_len` is 0, drawn from the OS's
/// randomness (then the ring file holds its only copy, and retirement is
/// final; with a root key, whoever holds the root can derive it again).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (malformed id; epoch already live or retired; ring full), `ILSP_ERR_KEY`
/// (root key too short), `ILSP_ERR_IO` (the file could not be rewritten;
/// nothing changed), `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe from any thread; waits for calls in progress on this ring.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_add(
    ring: *mut ilsp_epoch_ring,
    epoch: *const c_char,
    root_key: *const u8,
    root_key_len: usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live ring handle per the header.
        let ring = unsafe { handle_ref(ring, "ring") }?;
        // SAFETY: NUL-terminated string per the header.
        let epoch = unsafe { str_arg(epoch, "epoch") }?;
        // SAFETY: `root_key_len` readable bytes at `root_key` per the header.
        let root = unsafe { bytes_arg(root_key, root_key_len, "root_key") }?;
        let mut ring = ring.write()?;
        if root.is_empty() {
            ring.add_random(epoch)
        } else {
            ring.add_derived(epoch, &SecretKey::from_bytes(root)?)
        }
    })
}

/// Retires epoch `epoch`: wipes its key from memory, rewrites the ring file
/// atomically without it (with a `retired <epoch> <time>` line: the
/// retirement log, never key bytes), and overwrites the previous file's
/// content with zeros. Writes the retirement time (seconds since the Unix
/// epoch) to `*retired_at`. From then on every token call on the epoch
/// returns `ILSP_ERR_KEY`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (not a live
/// epoch), `ILSP_ERR_IO` (the file could not be rewritten, or was replaced
/// since it was opened: the epoch stays live; retry).
///
/// Thread safety: safe from any thread; waits for calls in progress on this ring.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_retire(
    ring: *mut ilsp_epoch_ring,
    epoch: *const c_char,
    retired_at: *mut u64,
) -> ilsp_status {
    guard(|| {
        check_out(retired_at, "retired_at")?;
        // SAFETY: a live ring handle per the header.
        let ring = unsafe { handle_ref(ring, "ring") }?;
        // SAFETY: NUL-terminated string per the header.
        let epoch = unsafe { str_arg(epoch, "epoch") }?;
        let record = ring.write()?.retire(epoch)?;
        write_out(retired_at, record.retired_at);
        Ok(())
    })
}

/// Writes the versioned token `v1.<epoch>.<body>` of the `id_len` bytes at
/// `id` under epoch `epoch`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (epoch
/// retired or unknown), `ILSP_ERR_INVALID_ARGUMENT` (empty `id`),
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread, also on the same ring.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_tokenize(
    ring: *const ilsp_epoch_ring,
    epoch: *const c_char,
    id: *const c_char,
    id_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live ring handle per the header.
        let ring = unsafe { handle_ref(ring, "ring") }?;
        // SAFETY: NUL-terminated string per the header.
        let epoch = unsafe { str_arg(epoch, "epoch") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        let token = ring.read()?.tokenize(epoch, id)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&token, out, out_cap, out_len, "out") }
    })
}

/// Writes 1 to `*matches` if `token` (`v1.<epoch>.<body>`) is the token of
/// `id` under the epoch it names, else 0; compared in constant time.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (the epoch
/// it names is retired or unknown), `ILSP_ERR_INVALID_ARGUMENT` (not a
/// versioned token; empty `id`).
///
/// Thread safety: safe to call from any thread, also on the same ring.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_epoch_ring_verify(
    ring: *const ilsp_epoch_ring,
    token: *const c_char,
    token_len: usize,
    id: *const c_char,
    id_len: usize,
    matches: *mut i32,
) -> ilsp_status {
    guard(|| {
        check_out(matches, "matches")?;
        // SAFETY: a live ring handle per the header.
        let ring = unsafe { handle_ref(ring, "ring") }?;
        // SAFETY: `token_len` readable bytes at `token` per the header.
        let token = unsafe { text_arg(token, token_len, "token") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        let ok = ring.read()?.verify(token, id)?;
        write_out(matches, i32::from(ok));
        Ok(())
    })
}
