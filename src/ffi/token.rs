//! C entry points for keys and tokenization (`crate::token`).
//!
//! Handles: `ilsp_key` (secret key material, immutable, wiped on free) and
//! `ilsp_tokenizer` (a key ring and a versioned-token format). A tokenizer is
//! guarded by a read–write lock, so every function below may be called from
//! any thread on the same handle: token computations run in parallel, ring
//! changes wait for them.
//!
//! IDs are UTF-8 with an explicit length (`id`, `id_len`); other text is
//! NUL-terminated UTF-8. Output text follows the library's buffer convention:
//! capacity in, length out, a NUL written after the text, and
//! `ILSP_ERR_BUFFER_TOO_SMALL` with the needed capacity (text + NUL) in
//! `*out_len`.

// The entry points are `extern "C"` functions called from C, whose pointer
// contracts are stated in the header; marking them `unsafe fn` would not add
// a check on the C side.
#![expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points; pointer contracts are documented in the header"
)]

use std::ffi::c_char;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{
    check_out, finish_text, free_handle, give_handle, guard, handle_ref, ilsp_status, opt_str_arg,
    slice_arg, str_arg, text_arg, text_out, write_out, write_text,
};
use crate::error::{Error, Result, try_with_capacity};
use crate::token::format::{BodyEncoding, TokenFormat, TokenKind};
use crate::token::key::{KeyEncoding, SecretKey, check_key_len};
use crate::token::normalize::Normalization;
use crate::token::tokenizer::{COMPAT_TOKEN_LEN, TokenSpec, Tokenizer};

/// Compatibility token kind: 64 lowercase hex characters of HMAC-SHA256(key, id).
pub const ILSP_TOKEN_COMPAT: u32 = 0;
/// Versioned token kind: `v1.<key id>.<body>`.
pub const ILSP_TOKEN_V1: u32 = 1;
/// Length of a compatibility token (without the NUL).
pub const ILSP_COMPAT_TOKEN_LEN: usize = 64;

/// Versioned token bodies in lowercase hex.
pub const ILSP_BODY_HEX: u32 = 0;
/// Versioned token bodies in unpadded lowercase base32 (RFC 4648 alphabet).
pub const ILSP_BODY_BASE32: u32 = 1;

/// Key material stored as the bytes themselves.
pub const ILSP_KEY_RAW: u32 = 0;
/// Key material stored as hexadecimal text (surrounding whitespace ignored).
pub const ILSP_KEY_HEX: u32 = 1;
/// The shortest accepted key, in bytes.
pub const ILSP_MIN_KEY_LEN: usize = 32;
/// The longest accepted key, and the largest key file, in bytes (64 KiB).
pub const ILSP_MAX_KEY_LEN: usize = 65536;

/// No normalisation: IDs are hashed byte for byte.
pub const ILSP_NORM_NONE: u32 = 0;
/// Normalisation: remove leading and trailing whitespace.
pub const ILSP_NORM_TRIM: u32 = 1;
/// Normalisation: Unicode lowercase.
pub const ILSP_NORM_CASE_FOLD: u32 = 2;
/// Normalisation: remove whitespace and barcode separators (`-._/:`, dashes).
pub const ILSP_NORM_STRIP_SEPARATORS: u32 = 4;
/// Normalisation for library barcodes: trim, case fold, strip separators.
pub const ILSP_NORM_BARCODE: u32 = 7;

/// Secret key material (at least 32 bytes), wiped when freed. Opaque.
pub struct ilsp_key {
    key: SecretKey,
}

/// A key ring with one active key and a versioned-token format. Opaque.
pub struct ilsp_tokenizer {
    inner: RwLock<Tokenizer>,
}

impl ilsp_tokenizer {
    fn read(&self) -> Result<RwLockReadGuard<'_, Tokenizer>> {
        self.inner.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Tokenizer>> {
        self.inner.write().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::Internal(
        "the tokenizer is unusable after an earlier internal error; free it and make a new one"
            .into(),
    )
}

fn key_encoding(code: u32) -> Result<KeyEncoding> {
    match code {
        ILSP_KEY_RAW => Ok(KeyEncoding::Raw),
        ILSP_KEY_HEX => Ok(KeyEncoding::Hex),
        _ => Err(Error::invalid(
            "encoding",
            format!("must be ILSP_KEY_RAW (0) or ILSP_KEY_HEX (1), got {code}"),
        )),
    }
}

pub(crate) fn normalization_from_bits(bits: u32) -> Result<Normalization> {
    Normalization::from_bits(bits).ok_or_else(|| {
        Error::invalid(
            "normalization",
            format!("must combine ILSP_NORM_TRIM (1), ILSP_NORM_CASE_FOLD (2) and ILSP_NORM_STRIP_SEPARATORS (4), got {bits}"),
        )
    })
}

// ----- keys ------------------------------------------------------------------

/// Copies `len` bytes of key material into a new key handle `*out`.
///
/// The caller should wipe its own copy afterwards. Errors: `ILSP_ERR_NULL`
/// (`bytes` with `len > 0`, `out`), `ILSP_ERR_KEY` if `len < ILSP_MIN_KEY_LEN`
/// (32) or `len > ILSP_MAX_KEY_LEN` (65536; checked before anything is read
/// or allocated). Free the key with `ilsp_key_free`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_from_bytes(
    bytes: *const u8,
    len: usize,
    out: *mut *mut ilsp_key,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // The length is checked before the bytes are looked at.
        check_key_len(len)?;
        // SAFETY: the caller passes `len` readable bytes at `bytes`.
        let bytes = unsafe { super::bytes_arg(bytes, len, "bytes") }?;
        give_handle(
            out,
            ilsp_key {
                key: SecretKey::from_bytes(bytes)?,
            },
        );
        Ok(())
    })
}

/// Reads a key from the file at `path` (NUL-terminated), stored as
/// `ILSP_KEY_RAW` bytes (used exactly, no newline removed) or `ILSP_KEY_HEX`
/// text.
///
/// Only a regular file (or a symbolic link to one) is read: it is opened
/// without blocking (a FIFO does not hang the call), its type is checked on
/// the open descriptor, and at most `ILSP_MAX_KEY_LEN + 1` bytes are read
/// whatever size the file reports (`/dev/zero` reports 0).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING` (`path` not UTF-8),
/// `ILSP_ERR_INVALID_ARGUMENT` (bad `encoding`), `ILSP_ERR_IO` (the file
/// cannot be opened or read; the message names the path), `ILSP_ERR_KEY`
/// (not a regular file: a FIFO, device, directory or socket; larger than
/// `ILSP_MAX_KEY_LEN`; too short; not hex; the message never contains key
/// bytes).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_from_file(
    path: *const c_char,
    encoding: u32,
    out: *mut *mut ilsp_key,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated string per the header.
        let path = unsafe { str_arg(path, "path") }?;
        let key = SecretKey::from_file(path, key_encoding(encoding)?)?;
        give_handle(out, ilsp_key { key });
        Ok(())
    })
}

/// Reads a key from the environment variable `name` (NUL-terminated), stored
/// as `ILSP_KEY_RAW` (the value's bytes, as `os.environ[name].encode()` gives
/// them) or `ILSP_KEY_HEX`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (bad `encoding`), `ILSP_ERR_KEY` (unset, too short, not hex).
///
/// Thread safety: safe to call from any thread, provided no thread changes
/// the environment at the same time (a C library rule).
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_from_env(
    name: *const c_char,
    encoding: u32,
    out: *mut *mut ilsp_key,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated string per the header.
        let name = unsafe { str_arg(name, "name") }?;
        let key = SecretKey::from_env(name, key_encoding(encoding)?)?;
        give_handle(out, ilsp_key { key });
        Ok(())
    })
}

/// A new random key of `len` bytes (32 to `ILSP_MAX_KEY_LEN`) from the
/// library's CSPRNG, seeded from the operating system.
///
/// Errors: `ILSP_ERR_NULL` (`out`), `ILSP_ERR_KEY` (`len < 32` or
/// `len > ILSP_MAX_KEY_LEN`, checked before anything is allocated),
/// `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_generate(len: usize, out: *mut *mut ilsp_key) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        give_handle(
            out,
            ilsp_key {
                key: SecretKey::generate(len)?,
            },
        );
        Ok(())
    })
}

/// The 32-byte key of `tenant` and `purpose` (NUL-terminated, 1–255 bytes of
/// UTF-8 each), derived from `master` with HKDF-SHA256:
/// `info = "ilsprivacy/v1/tenant-key" 0x00 u16be(len) tenant u16be(len) purpose`,
/// no salt.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (empty or too long label).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_derive(
    master: *const ilsp_key,
    tenant: *const c_char,
    purpose: *const c_char,
    out: *mut *mut ilsp_key,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: a live key handle per the header.
        let master = unsafe { handle_ref(master, "master") }?;
        // SAFETY: NUL-terminated strings per the header.
        let tenant = unsafe { str_arg(tenant, "tenant") }?;
        // SAFETY: as above.
        let purpose = unsafe { str_arg(purpose, "purpose") }?;
        give_handle(
            out,
            ilsp_key {
                key: master.key.derive(tenant, purpose)?,
            },
        );
        Ok(())
    })
}

/// Wipes and frees a key. NULL is a no-op. Cannot fail.
///
/// Thread safety: must not run concurrently with any other use of this key.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_key_free(key: *mut ilsp_key) {
    // SAFETY: a handle from this library (or NULL), freed once per the header.
    unsafe { free_handle(key) }
}

// ----- tokenizer lifecycle and ring ------------------------------------------

/// A tokenizer whose only key is a copy of `key_len` bytes at `key` (32 to
/// `ILSP_MAX_KEY_LEN`), with key id `"k1"`, active. The caller should wipe
/// its copy; the library's copy is wiped by `ilsp_tokenizer_free`.
///
/// Errors: `ILSP_ERR_NULL` (`key` with `key_len > 0`, `out`), `ILSP_ERR_KEY`
/// (`key_len` out of range, checked before the key is read; the message
/// gives the length, never the bytes).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_new(
    key: *const u8,
    key_len: usize,
    out: *mut *mut ilsp_tokenizer,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // The length is checked before the bytes are looked at.
        check_key_len(key_len)?;
        // SAFETY: `key_len` readable bytes at `key` per the header.
        let bytes = unsafe { super::bytes_arg(key, key_len, "key") }?;
        let key = SecretKey::from_bytes(bytes)?;
        give_handle(
            out,
            ilsp_tokenizer {
                inner: RwLock::new(Tokenizer::from_key(&key)),
            },
        );
        Ok(())
    })
}

/// A tokenizer whose only key is `key` (copied), named `key_id`
/// (1–32 characters from `A–Z a–z 0–9 _ -`), active.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (malformed `key_id`).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_new_with_key(
    key_id: *const c_char,
    key: *const ilsp_key,
    out: *mut *mut ilsp_tokenizer,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated string per the header.
        let key_id = unsafe { str_arg(key_id, "key_id") }?;
        // SAFETY: a live key handle per the header.
        let key = unsafe { handle_ref(key, "key") }?;
        let tokenizer = Tokenizer::new(key_id, &key.key)?;
        give_handle(
            out,
            ilsp_tokenizer {
                inner: RwLock::new(tokenizer),
            },
        );
        Ok(())
    })
}

/// Wipes every key of the tokenizer and frees it. NULL is a no-op. Cannot fail.
///
/// Thread safety: must not run concurrently with any other use of this tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_free(t: *mut ilsp_tokenizer) {
    // SAFETY: a handle from this library (or NULL), freed once per the header.
    unsafe { free_handle(t) }
}

/// Sets the format of versioned tokens: `encoding` `ILSP_BODY_HEX` or
/// `ILSP_BODY_BASE32`, `bits` a multiple of 8 from 128 to 256 (default:
/// base32, 128 bits).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: safe from any thread; waits for token calls in progress.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_set_format(
    t: *mut ilsp_tokenizer,
    encoding: u32,
    bits: u32,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        let format = TokenFormat::new(BodyEncoding::from_code(encoding)?, bits)?;
        t.write()?.set_format(format);
        Ok(())
    })
}

/// Adds a copy of `key` to the ring under `key_id`, live but not active.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (malformed or duplicate `key_id`, ring full at 16 keys).
///
/// Thread safety: safe from any thread; waits for token calls in progress.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_add_key(
    t: *mut ilsp_tokenizer,
    key_id: *const c_char,
    key: *const ilsp_key,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NUL-terminated string per the header.
        let key_id = unsafe { str_arg(key_id, "key_id") }?;
        // SAFETY: a live key handle per the header.
        let key = unsafe { handle_ref(key, "key") }?;
        t.write()?.add_key(key_id, &key.key)
    })
}

/// Makes the ring key `key_id` the active one (used when no key is named).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (not in the ring).
///
/// Thread safety: safe from any thread; waits for token calls in progress.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_activate(
    t: *mut ilsp_tokenizer,
    key_id: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NUL-terminated string per the header.
        let key_id = unsafe { str_arg(key_id, "key_id") }?;
        t.write()?.activate(key_id)
    })
}

/// Removes the ring key `key_id` and wipes it; its tokens can no longer be
/// produced or verified.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (not in the
/// ring), `ILSP_ERR_INVALID_ARGUMENT` (it is the active key).
///
/// Thread safety: safe from any thread; waits for token calls in progress.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_retire(
    t: *mut ilsp_tokenizer,
    key_id: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NUL-terminated string per the header.
        let key_id = unsafe { str_arg(key_id, "key_id") }?;
        t.write()?.retire(key_id)
    })
}

/// Writes the number of live keys to `*out`.
///
/// Errors: `ILSP_ERR_NULL`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_key_count(
    t: *const ilsp_tokenizer,
    out: *mut usize,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        write_out(out, t.read()?.key_ids().len());
        Ok(())
    })
}

/// Writes the id of live key number `index` (in the order keys were added)
/// into `out` (text convention).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (`index` ≥ count),
/// `ILSP_ERR_BUFFER_TOO_SMALL` (33 bytes always suffice).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_key_id(
    t: *const ilsp_tokenizer,
    index: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        let t = t.read()?;
        let count = t.key_ids().len();
        let id = t.key_ids().nth(index).ok_or_else(|| {
            Error::invalid(
                "index",
                format!("must be below the key count ({count}), got {index}"),
            )
        })?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(id.as_str(), out, out_cap, out_len, "out") }
    })
}

/// Writes the active key's id into `out` (text convention).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_BUFFER_TOO_SMALL` (33 bytes always suffice).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_active_key_id(
    t: *const ilsp_tokenizer,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        let t = t.read()?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(t.active_key_id().as_str(), out, out_cap, out_len, "out") }
    })
}

// ----- tokens ----------------------------------------------------------------

/// Writes the compatibility token of `id` (`id_len` bytes of UTF-8; the empty
/// ID is allowed) under the active key: the 64 lowercase hex characters of
/// HMAC-SHA256(key, id), byte-identical to Python's
/// `hmac.new(key, id, hashlib.sha256).hexdigest()`, then a NUL. `out_cap` must
/// be at least 65; `*out_len` receives 64.
///
/// Errors: `ILSP_ERR_NULL` (`t`, `id` with `id_len > 0`, `out_len`, `out`),
/// `ILSP_ERR_ENCODING` (`id` not UTF-8; the message gives the byte offset,
/// never the ID), `ILSP_ERR_BUFFER_TOO_SMALL` (`*out_len` = 65).
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenize(
    t: *const ilsp_tokenizer,
    id: *const c_char,
    id_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        let buf = unsafe { text_out(out, out_cap, out_len, COMPAT_TOKEN_LEN, "out") }?;
        let mut token = [0u8; COMPAT_TOKEN_LEN];
        t.read()?.tokenize_to(id, &mut token);
        buf[..COMPAT_TOKEN_LEN].copy_from_slice(&token);
        finish_text(buf, COMPAT_TOKEN_LEN, out_len);
        Ok(())
    })
}

/// Writes the token of `id` as asked: `kind` `ILSP_TOKEN_COMPAT` or
/// `ILSP_TOKEN_V1`, under the ring key `key_id` (NUL-terminated; NULL for the
/// active key), after the `ILSP_NORM_*` steps in `normalization`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY` (unknown
/// `key_id`), `ILSP_ERR_INVALID_ARGUMENT` (bad `kind` or `normalization`; an
/// ID that is empty after normalisation with `ILSP_TOKEN_V1`),
/// `ILSP_ERR_BUFFER_TOO_SMALL` (see `ilsp_tokenizer_token_len`).
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenize_with(
    t: *const ilsp_tokenizer,
    key_id: *const c_char,
    kind: u32,
    normalization: u32,
    id: *const c_char,
    id_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NULL or a NUL-terminated string per the header.
        let key_id = unsafe { opt_str_arg(key_id, "key_id") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        let spec = TokenSpec {
            kind: TokenKind::from_code(kind)?,
            key_id,
            normalization: normalization_from_bits(normalization)?,
        };
        let token = t.read()?.tokenize_with(spec, id)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&token, out, out_cap, out_len, "out") }
    })
}

/// Writes to `*out` the length (without NUL) of every token of `kind` under
/// `key_id` (NULL: the active key) with the current format: 64 for
/// compatibility tokens, `3 + len(key id) + 1 + body` for versioned ones.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_KEY`,
/// `ILSP_ERR_INVALID_ARGUMENT` (bad `kind`).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenizer_token_len(
    t: *const ilsp_tokenizer,
    key_id: *const c_char,
    kind: u32,
    out: *mut usize,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NULL or a NUL-terminated string per the header.
        let key_id = unsafe { opt_str_arg(key_id, "key_id") }?;
        let spec = TokenSpec {
            kind: TokenKind::from_code(kind)?,
            key_id,
            normalization: Normalization::NONE,
        };
        write_out(out, t.read()?.token_len(spec)?);
        Ok(())
    })
}

/// Tokenizes `n` IDs packed in one buffer: ID `i` is the bytes
/// `ids[offsets[i] .. offsets[i + 1]]` (UTF-8), so `offsets` has `n + 1`
/// non-decreasing entries, the last at most `ids_len`. The tokens are written
/// back to back into `out`, each exactly `ilsp_tokenizer_token_len` bytes,
/// followed by one NUL; `*out_len` receives `n * token_len`.
///
/// `kind`, `key_id` and `normalization` as for `ilsp_tokenize_with`. IDs of
/// up to 55 bytes are hashed four at a time. Nothing is written to `out`
/// unless every ID is valid.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING` (the message gives the byte
/// offset in `ids`), `ILSP_ERR_INVALID_ARGUMENT` (bad offsets, kind or
/// normalisation; an empty ID for `ILSP_TOKEN_V1`, named by its index),
/// `ILSP_ERR_KEY`, `ILSP_ERR_BUFFER_TOO_SMALL` (`*out_len` = `n * token_len + 1`).
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenize_batch(
    t: *const ilsp_tokenizer,
    key_id: *const c_char,
    kind: u32,
    normalization: u32,
    ids: *const c_char,
    ids_len: usize,
    offsets: *const usize,
    n: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NULL or a NUL-terminated string per the header.
        let key_id = unsafe { opt_str_arg(key_id, "key_id") }?;
        // SAFETY: `ids_len` readable bytes at `ids` per the header.
        let ids = unsafe { super::bytes_arg(ids.cast(), ids_len, "ids") }?;
        let entries = n
            .checked_add(1)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        // SAFETY: `n + 1` readable offsets per the header.
        let offsets = unsafe { slice_arg(offsets, entries, "offsets") }?;
        let spec = TokenSpec {
            kind: TokenKind::from_code(kind)?,
            key_id,
            normalization: normalization_from_bits(normalization)?,
        };
        let t = t.read()?;
        let len = n
            .checked_mul(t.token_len(spec)?)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        let buf = unsafe { text_out(out, out_cap, out_len, len, "out") }?;
        t.tokenize_batch_into(spec, ids, offsets, &mut buf[..len])?;
        finish_text(buf, len, out_len);
        Ok(())
    })
}

/// Writes a rotation bridge for `n` packed IDs (as in `ilsp_tokenize_batch`):
/// one line per ID, `old,new\n`, where `old` is the ID's token of `from_kind`
/// under `from_key_id` after `from_normalization`, and `new` its token of
/// `to_kind` under `to_key_id` after `to_normalization` (NULL key ids: the
/// active key). Followed by a NUL; `*out_len` receives the text length.
///
/// Errors: as `ilsp_tokenize_batch`, for either side.
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenize_bridge(
    t: *const ilsp_tokenizer,
    from_key_id: *const c_char,
    from_kind: u32,
    from_normalization: u32,
    to_key_id: *const c_char,
    to_kind: u32,
    to_normalization: u32,
    ids: *const c_char,
    ids_len: usize,
    offsets: *const usize,
    n: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NULL or NUL-terminated strings per the header.
        let from_key_id = unsafe { opt_str_arg(from_key_id, "from_key_id") }?;
        // SAFETY: as above.
        let to_key_id = unsafe { opt_str_arg(to_key_id, "to_key_id") }?;
        // SAFETY: `ids_len` readable bytes at `ids` per the header.
        let ids = unsafe { super::bytes_arg(ids.cast(), ids_len, "ids") }?;
        let entries = n
            .checked_add(1)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        // SAFETY: `n + 1` readable offsets per the header.
        let offsets = unsafe { slice_arg(offsets, entries, "offsets") }?;
        let from = TokenSpec {
            kind: TokenKind::from_code(from_kind)
                .map_err(|_| kind_error("from_kind", from_kind))?,
            key_id: from_key_id,
            normalization: normalization_from_bits(from_normalization)?,
        };
        let to = TokenSpec {
            kind: TokenKind::from_code(to_kind).map_err(|_| kind_error("to_kind", to_kind))?,
            key_id: to_key_id,
            normalization: normalization_from_bits(to_normalization)?,
        };
        let t = t.read()?;
        let (w_old, w_new) = (t.token_len(from)?, t.token_len(to)?);
        let len = n
            .checked_mul(w_old + w_new + 2)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        // The output buffer is checked first: the working memory below is
        // then no larger than memory the caller has.
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        let buf = unsafe { text_out(out, out_cap, out_len, len, "out") }?;
        let mut old = try_with_capacity(n * w_old, "n")?;
        old.resize(n * w_old, 0u8);
        let mut new = try_with_capacity(n * w_new, "n")?;
        new.resize(n * w_new, 0u8);
        t.tokenize_batch_into(from, ids, offsets, &mut old)?;
        t.tokenize_batch_into(to, ids, offsets, &mut new)?;
        let rows = old.chunks_exact(w_old).zip(new.chunks_exact(w_new));
        for (line, (o, w)) in buf[..len].chunks_exact_mut(w_old + w_new + 2).zip(rows) {
            line[..w_old].copy_from_slice(o);
            line[w_old] = b',';
            line[w_old + 1..w_old + 1 + w_new].copy_from_slice(w);
            line[w_old + 1 + w_new] = b'\n';
        }
        finish_text(buf, len, out_len);
        Ok(())
    })
}

fn kind_error(param: &'static str, code: u32) -> Error {
    Error::invalid(
        param,
        format!("must be ILSP_TOKEN_COMPAT (0) or ILSP_TOKEN_V1 (1), got {code}"),
    )
}

/// Sets `*matches` to 1 if `token` (NUL-terminated) is the token of `id`
/// (`id_len` bytes of UTF-8, after `normalization`) under a live key, else 0.
/// A `v1.<key id>.<body>` token is checked against the key it names, a
/// 64-hex-character compatibility token against every live key; the
/// comparison is constant-time in the token's content.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (`token` is neither form; empty ID with a v1 token; bad normalisation),
/// `ILSP_ERR_KEY` (the token names a key not in the ring, e.g. retired).
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_token_verify(
    t: *const ilsp_tokenizer,
    token: *const c_char,
    normalization: u32,
    id: *const c_char,
    id_len: usize,
    matches: *mut i32,
) -> ilsp_status {
    guard(|| {
        check_out(matches, "matches")?;
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NUL-terminated string per the header.
        let token = unsafe { str_arg(token, "token") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        let ok = t
            .read()?
            .verify(token, normalization_from_bits(normalization)?, id)?;
        write_out(matches, i32::from(ok));
        Ok(())
    })
}

/// Sets `*index` to the position of the first of `n` packed tokens (layout as
/// the IDs of `ilsp_tokenize_batch`) that is a token of `id` (after
/// `normalization`) under a live key, or to `n` if none is. Every entry is
/// compared in constant time and the answer selected without branching on the
/// comparisons; malformed entries and entries naming unknown keys never match.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING` (a token or the ID is not
/// UTF-8), `ILSP_ERR_INVALID_ARGUMENT` (bad offsets or normalisation; empty
/// ID while some entry is a v1 token).
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_token_lookup(
    t: *const ilsp_tokenizer,
    tokens: *const c_char,
    tokens_len: usize,
    offsets: *const usize,
    n: usize,
    normalization: u32,
    id: *const c_char,
    id_len: usize,
    index: *mut usize,
) -> ilsp_status {
    guard(|| {
        check_out(index, "index")?;
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: `tokens_len` readable bytes at `tokens` per the header.
        let buf = unsafe { super::bytes_arg(tokens.cast(), tokens_len, "tokens") }?;
        let entries = n
            .checked_add(1)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        // SAFETY: `n + 1` readable offsets per the header.
        let offsets = unsafe { slice_arg(offsets, entries, "offsets") }?;
        // SAFETY: `id_len` readable bytes at `id` per the header.
        let id = unsafe { text_arg(id, id_len, "id") }?;
        let mut list = try_with_capacity(n, "n")?;
        for (i, pair) in offsets.windows(2).enumerate() {
            if pair[0] > pair[1] || pair[1] > buf.len() {
                return Err(Error::invalid(
                    "offsets",
                    format!(
                        "must be non-decreasing and at most tokens_len ({}): offsets[{i}] = {}, offsets[{}] = {}",
                        buf.len(),
                        pair[0],
                        i + 1,
                        pair[1]
                    ),
                ));
            }
            list.push(std::str::from_utf8(&buf[pair[0]..pair[1]]).map_err(|e| {
                Error::Encoding {
                    param: "tokens",
                    offset: pair[0] + e.valid_up_to(),
                }
            })?);
        }
        let found = t
            .read()?
            .lookup(&list, normalization_from_bits(normalization)?, id)?;
        write_out(index, found.unwrap_or(n));
        Ok(())
    })
}

/// Writes the address token of `address` (NUL-terminated): the versioned
/// token, under the active key, of its canonical form (lowercase, punctuation
/// to spaces, single spaces, `street` → `st` and similar abbreviations),
/// domain-separated from ID tokens.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (no letter or digit), `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread, also on the same tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_tokenize_address(
    t: *const ilsp_tokenizer,
    address: *const c_char,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live tokenizer handle per the header.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: NUL-terminated string per the header.
        let address = unsafe { str_arg(address, "address") }?;
        let token = t.read()?.tokenize_address(address)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&token, out, out_cap, out_len, "out") }
    })
}

/// Borrows the tokenizer behind a handle for the other FFI modules.
pub(crate) fn read_tokenizer(t: &ilsp_tokenizer) -> Result<RwLockReadGuard<'_, Tokenizer>> {
    t.read()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_ENCODING, ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_KEY,
        ILSP_ERR_NULL, ILSP_OK, last_error_ptr,
    };
    use std::ptr::{null, null_mut};

    const KEY: &[u8; 32] = b"library-pipeline-key-0123456789!";

    fn last_error() -> String {
        // SAFETY: read right after the call on the same thread.
        unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    fn new_tokenizer() -> *mut ilsp_tokenizer {
        let mut t = null_mut();
        assert_eq!(ilsp_tokenizer_new(KEY.as_ptr(), KEY.len(), &mut t), ILSP_OK);
        t
    }

    #[test]
    fn tokenize_matches_python_and_follows_the_buffer_convention() {
        let t = new_tokenizer();
        let id = "21234000123456";
        let mut out = [0x7fu8; 65];
        let mut len = 0;
        let rc = ilsp_tokenize(
            t,
            id.as_ptr().cast(),
            id.len(),
            out.as_mut_ptr().cast(),
            65,
            &mut len,
        );
        assert_eq!((rc, len), (ILSP_OK, 64));
        assert_eq!(
            &out[..64],
            b"8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24"
        );
        assert_eq!(out[64], 0);

        let mut small = [0x7fu8; 64];
        let rc = ilsp_tokenize(
            t,
            id.as_ptr().cast(),
            id.len(),
            small.as_mut_ptr().cast(),
            64,
            &mut len,
        );
        assert_eq!((rc, len), (ILSP_ERR_BUFFER_TOO_SMALL, 65));
        assert_eq!(last_error(), "out is too small: 65 bytes needed, 64 given");
        assert!(small.iter().all(|&b| b == 0x7f));
        // (NULL, 0) asks for the size.
        let rc = ilsp_tokenize(t, id.as_ptr().cast(), id.len(), null_mut(), 0, &mut len);
        assert_eq!((rc, len), (ILSP_ERR_BUFFER_TOO_SMALL, 65));
        let rc = ilsp_tokenize(t, id.as_ptr().cast(), id.len(), null_mut(), 65, &mut len);
        assert_eq!(rc, ILSP_ERR_NULL);

        // Empty ID: allowed for compatibility tokens (NULL with length 0 too).
        let rc = ilsp_tokenize(t, null(), 0, out.as_mut_ptr().cast(), 65, &mut len);
        assert_eq!(rc, ILSP_OK);
        assert_eq!(
            &out[..64],
            b"65f2f7beb4e9943dea32fdc4a97c94a2f691adb1246e4e8a82a5cbafc8f27501"
        );

        let bad = b"patron-\xff-secret";
        let rc = ilsp_tokenize(
            t,
            bad.as_ptr().cast(),
            bad.len(),
            out.as_mut_ptr().cast(),
            65,
            &mut len,
        );
        assert_eq!(rc, ILSP_ERR_ENCODING);
        assert_eq!(
            last_error(),
            "id is not valid UTF-8 (first invalid byte at offset 7)"
        );
        ilsp_tokenizer_free(t);
        ilsp_tokenizer_free(null_mut());
    }

    #[test]
    fn constants_agree_with_the_rust_api() {
        assert_eq!(ILSP_COMPAT_TOKEN_LEN, COMPAT_TOKEN_LEN);
        assert_eq!(ILSP_MIN_KEY_LEN, crate::token::key::MIN_KEY_LEN);
        assert_eq!(ILSP_NORM_TRIM, Normalization::TRIM_BIT);
        assert_eq!(ILSP_NORM_CASE_FOLD, Normalization::CASE_FOLD_BIT);
        assert_eq!(
            ILSP_NORM_STRIP_SEPARATORS,
            Normalization::STRIP_SEPARATORS_BIT
        );
        assert_eq!(ILSP_NORM_BARCODE, Normalization::BARCODE.bits());
        assert_eq!(
            TokenKind::from_code(ILSP_TOKEN_COMPAT).unwrap(),
            TokenKind::Compat
        );
        assert_eq!(TokenKind::from_code(ILSP_TOKEN_V1).unwrap(), TokenKind::V1);
        assert_eq!(
            BodyEncoding::from_code(ILSP_BODY_HEX).unwrap(),
            BodyEncoding::Hex
        );
        assert_eq!(
            BodyEncoding::from_code(ILSP_BODY_BASE32).unwrap(),
            BodyEncoding::Base32
        );
        assert_eq!(key_encoding(ILSP_KEY_RAW).unwrap(), KeyEncoding::Raw);
        assert_eq!(key_encoding(ILSP_KEY_HEX).unwrap(), KeyEncoding::Hex);
        use crate::ffi::mask::*;
        use crate::token::mask::DateGranularity;
        use crate::token::suppress::CellStatus;
        assert_eq!(
            DateGranularity::from_code(ILSP_DATE_DAY).unwrap(),
            DateGranularity::Day
        );
        assert_eq!(
            DateGranularity::from_code(ILSP_DATE_ISO_WEEK).unwrap(),
            DateGranularity::IsoWeek
        );
        assert_eq!(
            DateGranularity::from_code(ILSP_DATE_MONTH).unwrap(),
            DateGranularity::Month
        );
        assert_eq!(CellStatus::Published.code(), ILSP_CELL_PUBLISHED);
        assert_eq!(CellStatus::Primary.code(), ILSP_CELL_PRIMARY);
        assert_eq!(CellStatus::Complementary.code(), ILSP_CELL_COMPLEMENTARY);
    }

    /// `ilsp_key_generate(2^62)` used to abort the process (an allocation
    /// failure is not a panic); every key length is now checked against
    /// `ILSP_MAX_KEY_LEN` before anything is allocated or read.
    #[test]
    fn huge_key_lengths_are_typed_errors() {
        assert_eq!(ILSP_MAX_KEY_LEN, crate::token::key::MAX_KEY_LEN);
        let small = [0x42u8; 64];
        for len in [ILSP_MAX_KEY_LEN + 1, 1 << 40, 1 << 62, usize::MAX] {
            let mut key = null_mut();
            assert_eq!(ilsp_key_generate(len, &mut key), ILSP_ERR_KEY);
            assert!(key.is_null());
            assert_eq!(
                last_error(),
                format!("key error: key must be at most 65536 bytes, got {len}")
            );
            // The bytes behind a huge length are never read.
            assert_eq!(
                ilsp_key_from_bytes(small.as_ptr(), len, &mut key),
                ILSP_ERR_KEY
            );
            let mut t = null_mut();
            assert_eq!(
                ilsp_tokenizer_new(small.as_ptr(), len, &mut t),
                ILSP_ERR_KEY
            );
            assert!(key.is_null() && t.is_null());
        }
        let mut key = null_mut();
        assert_eq!(ilsp_key_generate(ILSP_MAX_KEY_LEN, &mut key), ILSP_OK);
        ilsp_key_free(key);
    }

    /// Key files that are not regular files are refused, promptly.
    #[test]
    fn key_files_must_be_regular() {
        let mut key = null_mut();
        assert_eq!(
            ilsp_key_from_file(c"/dev/zero".as_ptr(), ILSP_KEY_RAW, &mut key),
            ILSP_ERR_KEY
        );
        assert_eq!(
            last_error(),
            "key error: key file /dev/zero is not a regular file (it is a character device)"
        );
        assert!(key.is_null());
    }

    #[test]
    fn short_keys_and_nulls() {
        let mut t = null_mut();
        let rc = ilsp_tokenizer_new(b"short-secret".as_ptr(), 12, &mut t);
        assert_eq!(rc, ILSP_ERR_KEY);
        assert_eq!(
            last_error(),
            "key error: key must be at least 32 bytes, got 12"
        );
        assert!(t.is_null());
        assert_eq!(ilsp_tokenizer_new(null(), 32, &mut t), ILSP_ERR_NULL);
        assert_eq!(
            ilsp_tokenizer_new(KEY.as_ptr(), 32, null_mut()),
            ILSP_ERR_NULL
        );
        let mut len = 0;
        let mut out = [0u8; 65];
        assert_eq!(
            ilsp_tokenize(null(), null(), 0, out.as_mut_ptr().cast(), 65, &mut len),
            ILSP_ERR_NULL
        );
        assert_eq!(last_error(), "t must not be NULL");
    }

    #[test]
    fn versioned_batch_and_empty_ids() {
        let t = new_tokenizer();
        let ids = b"a-1b-22";
        let offsets = [0usize, 3, 3, 7];
        let mut out = vec![0u8; 200];
        let mut len = 0;
        let rc = ilsp_tokenize_batch(
            t,
            null(),
            ILSP_TOKEN_V1,
            ILSP_NORM_NONE,
            ids.as_ptr().cast(),
            ids.len(),
            offsets.as_ptr(),
            3,
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        );
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT);
        assert_eq!(
            last_error(),
            "ids entry 1 must not be empty for a versioned token"
        );
        let offsets = [0usize, 3, 7];
        let rc = ilsp_tokenize_batch(
            t,
            null(),
            ILSP_TOKEN_V1,
            ILSP_NORM_BARCODE,
            ids.as_ptr().cast(),
            ids.len(),
            offsets.as_ptr(),
            2,
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        );
        assert_eq!(rc, ILSP_OK);
        let w = "v1.k1.".len() + 26;
        assert_eq!(len, 2 * w);
        assert_eq!(out[len], 0);
        // SAFETY: the handle is live.
        let tk = unsafe { &*t }.read().unwrap();
        let spec = TokenSpec::V1.normalized(Normalization::BARCODE);
        assert_eq!(&out[..w], tk.tokenize_with(spec, "a1").unwrap().as_bytes());
        assert_eq!(
            &out[w..2 * w],
            tk.tokenize_with(spec, "b22").unwrap().as_bytes()
        );
        drop(tk);
        let rc = ilsp_tokenize_batch(
            t,
            null(),
            7,
            0,
            ids.as_ptr().cast(),
            ids.len(),
            offsets.as_ptr(),
            2,
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        );
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT);
        assert_eq!(
            last_error(),
            "kind must be ILSP_TOKEN_COMPAT (0) or ILSP_TOKEN_V1 (1), got 7"
        );
        let rc = ilsp_tokenize_batch(
            t,
            null(),
            0,
            8,
            ids.as_ptr().cast(),
            ids.len(),
            offsets.as_ptr(),
            2,
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        );
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT);
        // An empty batch needs only the NUL.
        let rc = ilsp_tokenize_batch(
            t,
            null(),
            0,
            0,
            null(),
            0,
            [0usize].as_ptr(),
            0,
            out.as_mut_ptr().cast(),
            1,
            &mut len,
        );
        assert_eq!((rc, len, out[0]), (ILSP_OK, 0, 0));
        ilsp_tokenizer_free(t);
    }

    #[test]
    fn messages_never_contain_the_id_or_the_key() {
        let t = new_tokenizer();
        let id = "patron-secret-4242";
        let mut out = [0u8; 8];
        let mut len = 0usize;
        let mut matches = 0i32;
        let (out, len, matches) = (
            out.as_mut_ptr().cast::<c_char>(),
            &raw mut len,
            &raw mut matches,
        );
        let calls: Vec<Box<dyn Fn() -> ilsp_status>> = vec![
            Box::new(|| ilsp_tokenize(t, id.as_ptr().cast(), id.len(), out, 8, len)),
            Box::new(|| {
                ilsp_tokenize_with(
                    t,
                    c"nope".as_ptr(),
                    1,
                    0,
                    id.as_ptr().cast(),
                    id.len(),
                    out,
                    8,
                    len,
                )
            }),
            Box::new(|| {
                ilsp_token_verify(
                    t,
                    c"v1.zz.x".as_ptr(),
                    0,
                    id.as_ptr().cast(),
                    id.len(),
                    matches,
                )
            }),
            Box::new(|| {
                ilsp_token_verify(
                    t,
                    c"patron-secret-4242".as_ptr(),
                    0,
                    id.as_ptr().cast(),
                    id.len(),
                    matches,
                )
            }),
        ];
        for call in calls {
            assert_ne!(call(), ILSP_OK);
            let msg = last_error();
            assert!(!msg.is_empty());
            assert!(
                !msg.contains("secret") && !msg.contains("library-pipeline"),
                "{msg}"
            );
        }
        ilsp_tokenizer_free(t);
    }

    /// Token calls on one handle from several threads while another thread
    /// adds and retires keys: every token is the one the unchanged active key
    /// gives (the ring lock keeps readers consistent).
    #[test]
    fn concurrent_tokens_during_ring_changes() {
        let t = new_tokenizer() as usize;
        let expected = b"8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24";
        let workers: Vec<_> = (0..3)
            .map(|_| {
                std::thread::spawn(move || {
                    let id = "21234000123456";
                    for _ in 0..2000 {
                        let mut out = [0u8; 65];
                        let mut len = 0;
                        let t = t as *const ilsp_tokenizer;
                        let rc = ilsp_tokenize(
                            t,
                            id.as_ptr().cast(),
                            id.len(),
                            out.as_mut_ptr().cast(),
                            65,
                            &mut len,
                        );
                        assert_eq!(rc, ILSP_OK);
                        assert_eq!(&out[..64], expected);
                    }
                })
            })
            .collect();
        let mut key = null_mut();
        assert_eq!(ilsp_key_generate(32, &mut key), ILSP_OK);
        for _ in 0..200 {
            assert_eq!(
                ilsp_tokenizer_add_key(t as *mut ilsp_tokenizer, c"next".as_ptr(), key),
                ILSP_OK
            );
            assert_eq!(
                ilsp_tokenizer_retire(t as *mut ilsp_tokenizer, c"next".as_ptr()),
                ILSP_OK
            );
        }
        for w in workers {
            w.join().unwrap();
        }
        ilsp_key_free(key);
        ilsp_tokenizer_free(t as *mut ilsp_tokenizer);
    }
}
