//! The C ABI: thin wrappers over the Rust API, one file per area.
//!
//! # Conventions (every `ilsp_` function follows them)
//!
//! - Returns an [`ilsp_status`] (`int32_t`) unless it cannot fail; results go
//!   through out-pointers, written **only on success**.
//! - Every pointer is checked; a NULL required pointer gives `ILSP_ERR_NULL`.
//! - Every call runs under `guard`: a panic is caught and reported as
//!   `ILSP_ERR_INTERNAL` instead of aborting the host process.
//! - Every call sets this thread's last-error message (read with
//!   `ilsp_last_error()`): the failure's description, or `""` on success.
//! - Handles are opaque; `ilsp_<thing>_free(NULL)` is a no-op.
//!
//! The helpers below are the only place these rules are implemented.

#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, OsStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::error::{Error, Result};

pub mod accountant;
pub mod aggregate;
pub mod bound;
pub mod budget;
pub(crate) mod chacha_simd;
pub mod continual;
pub mod core;
pub(crate) mod cpu;
pub mod epoch;
pub mod governance;
pub mod mask;
pub mod mechanism;
pub(crate) mod os;
pub mod policy;
pub mod token;

/// The status code returned by every fallible `ilsp_` function.
pub type ilsp_status = i32;

/// Success.
pub const ILSP_OK: ilsp_status = 0;
/// A required pointer was NULL.
pub const ILSP_ERR_NULL: ilsp_status = 1;
/// NaN/∞, ε ≤ 0, δ ∉ (0,1), lo > hi, a bad option ...
pub const ILSP_ERR_INVALID_ARGUMENT: ilsp_status = 2;
/// The spend would exceed the limit; nothing was released or recorded.
pub const ILSP_ERR_BUDGET_EXHAUSTED: ilsp_status = 3;
/// The output buffer is too small; the needed length is reported.
pub const ILSP_ERR_BUFFER_TOO_SMALL: ilsp_status = 4;
/// Text is not valid UTF-8.
pub const ILSP_ERR_ENCODING: ilsp_status = 5;
/// Key too short, unknown key id, bad key material.
pub const ILSP_ERR_KEY: ilsp_status = 6;
/// A ledger file could not be opened, locked, read or written.
pub const ILSP_ERR_IO: ilsp_status = 7;
/// A ledger's format, version or hash chain is broken.
pub const ILSP_ERR_LEDGER_INTEGRITY: ilsp_status = 8;
/// The operating system could not provide randomness.
pub const ILSP_ERR_ENTROPY: ilsp_status = 9;
/// A bug in this library (a caught panic).
pub const ILSP_ERR_INTERNAL: ilsp_status = 10;
/// The spend matches none of the account's query templates (the account
/// accepts only templated spends); nothing was released or recorded.
pub const ILSP_ERR_TEMPLATE_MISMATCH: ilsp_status = 11;
/// The account is suspended; nothing was released or recorded.
pub const ILSP_ERR_ACCOUNT_SUSPENDED: ilsp_status = 12;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

#[cfg(test)]
thread_local! {
    /// Test-only hook: when set, the next guarded call panics inside its body.
    pub(crate) static FORCE_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn set_last_error(message: &str) {
    // Messages are built by this crate and never contain NUL; replace defensively.
    let c = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = c);
}

fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        let mut s = slot.borrow_mut();
        if !s.as_bytes().is_empty() {
            *s = CString::default();
        }
    });
}

/// Pointer to this thread's last-error message (static storage per thread).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Runs one entry point's body: catches panics, maps errors to status codes
/// and records the thread's last-error message.
pub(crate) fn guard(body: impl FnOnce() -> Result<()>) -> ilsp_status {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        if FORCE_PANIC.with(|f| f.replace(false)) {
            panic!("forced panic (test hook)");
        }
        body()
    }));
    match outcome {
        Ok(Ok(())) => {
            clear_last_error();
            ILSP_OK
        }
        Ok(Err(e)) => {
            set_last_error(&e.to_string());
            e.status().code()
        }
        Err(payload) => {
            let e = Error::Internal(format!(
                "panic caught at the C boundary: {}",
                panic_message(payload.as_ref())
            ));
            set_last_error(&e.to_string());
            ILSP_ERR_INTERNAL
        }
    }
}

/// Writes `value` through an out-pointer already checked by [`check_out`].
pub(crate) fn write_out<T>(out: *mut T, value: T) {
    debug_assert!(!out.is_null());
    // SAFETY: `out` was checked non-NULL by `check_out`; the C contract is that
    // it points to writable storage for one `T` (alignment is the caller's duty,
    // as for any C pointer of that type).
    unsafe { out.write(value) }
}

/// Fails with [`Error::Null`] if an out-pointer is NULL.
pub(crate) fn check_out<T>(out: *mut T, param: &'static str) -> Result<()> {
    if out.is_null() {
        Err(Error::Null { param })
    } else {
        Ok(())
    }
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
///
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, param: &'static str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::Null { param });
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| Error::Encoding {
        param,
        offset: e.valid_up_to(),
    })
}

/// Borrows a `(pointer, length)` byte argument; NULL is accepted when `len == 0`.
///
/// # Safety
///
/// When `len > 0`, `ptr` must point to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    param: &'static str,
) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::Null { param });
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(
            param,
            format!("length {len} exceeds isize::MAX"),
        ));
    }
    // SAFETY: non-NULL, `len` readable bytes per this function's contract, and
    // `len <= isize::MAX` as `from_raw_parts` requires.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a `(pointer, count)` slice argument of `T`; NULL is accepted when `n == 0`.
///
/// # Safety
///
/// When `n > 0`, `ptr` must point to `n` initialized, aligned values valid for `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(
    ptr: *const T,
    n: usize,
    param: &'static str,
) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::Null { param });
    }
    if n.checked_mul(size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Error::invalid(param, format!("length {n} is too large")));
    }
    // SAFETY: non-NULL, `n` valid values per this function's contract, total
    // size checked against isize::MAX above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Borrows a `(pointer, count)` output slice of `T`; NULL is accepted when `n == 0`.
///
/// # Safety
///
/// When `n > 0`, `ptr` must point to `n` writable, aligned values valid for
/// `'a` and not aliased by any other argument.
pub(crate) unsafe fn slice_out<'a, T>(
    ptr: *mut T,
    n: usize,
    param: &'static str,
) -> Result<&'a mut [T]> {
    if n == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Error::Null { param });
    }
    if n.checked_mul(size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Error::invalid(param, format!("length {n} is too large")));
    }
    // SAFETY: non-NULL, `n` writable unaliased values per this function's
    // contract, total size checked against isize::MAX above.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, n) })
}

/// Borrows an optional NUL-terminated UTF-8 string: NULL gives `None`.
///
/// # Safety
///
/// As [`str_arg`] when `ptr` is not NULL.
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    param: &'static str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL; the rest is this function's contract.
        unsafe { str_arg(ptr, param) }.map(Some)
    }
}

/// Borrows a `(pointer, length)` text argument that must be UTF-8 (NULL is
/// accepted when `len == 0`). The error gives the offset of the first invalid
/// byte, never the bytes.
///
/// # Safety
///
/// As [`bytes_arg`].
pub(crate) unsafe fn text_arg<'a>(
    ptr: *const c_char,
    len: usize,
    param: &'static str,
) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes_arg(ptr.cast(), len, param) }?;
    std::str::from_utf8(bytes).map_err(|e| Error::Encoding {
        param,
        offset: e.valid_up_to(),
    })
}

/// Checks an output text buffer of `cap` bytes for a text of `len` bytes and
/// returns it (`len + 1` bytes, room for the NUL).
///
/// The convention for every text output: `out_len` must not be NULL; if `cap`
/// is below `len + 1`, `*out_len` receives `len + 1` (the capacity needed) and
/// the call fails with `ILSP_ERR_BUFFER_TOO_SMALL` — so `(NULL, 0)` asks for
/// the size; otherwise `out` must not be NULL. On success the caller writes the
/// text and a NUL, then sets `*out_len = len` with [`finish_text`].
///
/// # Safety
///
/// When `cap > 0`, `out` must be NULL or point to `cap` writable bytes not
/// aliased by any other argument.
pub(crate) unsafe fn text_out<'a>(
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    len: usize,
    param: &'static str,
) -> Result<&'a mut [u8]> {
    check_out(out_len, "out_len")?;
    let needed = len
        .checked_add(1)
        .ok_or_else(|| Error::invalid(param, "would exceed the address space"))?;
    if cap < needed {
        write_out(out_len, needed);
        return Err(Error::BufferTooSmall {
            param,
            needed,
            capacity: cap,
        });
    }
    // SAFETY: forwarded contract; `needed <= cap`.
    unsafe { slice_out(out.cast::<u8>(), needed, param) }
}

/// Completes a text output prepared by [`text_out`]: writes the NUL after
/// `len` bytes and sets `*out_len = len`.
pub(crate) fn finish_text(buf: &mut [u8], len: usize, out_len: *mut usize) {
    buf[len] = 0;
    write_out(out_len, len);
}

/// Writes `text` (UTF-8 text, or bytes such as a ledger's JSON lines) with
/// the [`text_out`] convention.
///
/// # Safety
///
/// As [`text_out`].
pub(crate) unsafe fn write_text(
    text: impl AsRef<[u8]>,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    param: &'static str,
) -> Result<()> {
    let text = text.as_ref();
    // SAFETY: forwarded contract.
    let buf = unsafe { text_out(out, cap, out_len, text.len(), param) }?;
    buf[..text.len()].copy_from_slice(text);
    finish_text(buf, text.len(), out_len);
    Ok(())
}

/// Borrows a NUL-terminated file path: any bytes, handed to the operating
/// system as they are (Unix paths need not be UTF-8).
///
/// # Safety
///
/// `ptr` must be NULL or point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn path_arg<'a>(ptr: *const c_char, param: &'static str) -> Result<&'a Path> {
    if ptr.is_null() {
        return Err(Error::Null { param });
    }
    // SAFETY: non-NULL and NUL-terminated per this function's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// Borrows an optional file path as [`path_arg`]: NULL gives `None`.
///
/// # Safety
///
/// As [`path_arg`].
pub(crate) unsafe fn opt_path_arg<'a>(
    ptr: *const c_char,
    param: &'static str,
) -> Result<Option<&'a Path>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL; the rest is this function's contract.
        unsafe { path_arg(ptr, param) }.map(Some)
    }
}

/// Borrows an opaque handle made by `Box::into_raw`.
///
/// # Safety
///
/// `ptr` must be NULL or a live handle of type `T` created by this library
/// and not freed, with no concurrent mutable borrow.
pub(crate) unsafe fn handle_ref<'a, T>(ptr: *const T, param: &'static str) -> Result<&'a T> {
    // SAFETY: NULL is rejected by `as_ref`; the rest is this function's contract.
    unsafe { ptr.as_ref() }.ok_or(Error::Null { param })
}

/// Borrows an opaque handle made by `Box::into_raw` for a mutating call.
///
/// # Safety
///
/// `ptr` must be NULL or a live handle of type `T` created by this library
/// and not freed, with no other borrow (shared or mutable) during `'a`.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, param: &'static str) -> Result<&'a mut T> {
    // SAFETY: NULL is rejected by `as_mut`; the rest is this function's contract.
    unsafe { ptr.as_mut() }.ok_or(Error::Null { param })
}

/// Moves a new handle to the caller through `out` (checked by [`check_out`]).
pub(crate) fn give_handle<T>(out: *mut *mut T, value: T) {
    write_out(out, Box::into_raw(Box::new(value)));
}

/// Frees a handle made by [`give_handle`]; NULL is a no-op.
///
/// # Safety
///
/// `ptr` must be NULL or a live handle of type `T` from [`give_handle`], not
/// used again afterwards.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: created by `Box::into_raw` in `give_handle`, freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use std::ffi::CStr;

    fn last_error() -> String {
        // SAFETY: the pointer comes from this thread's LAST_ERROR and is read
        // before any other call on this thread.
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn constants_match_status_codes() {
        let pairs = [
            (ILSP_OK, Status::Ok),
            (ILSP_ERR_NULL, Status::Null),
            (ILSP_ERR_INVALID_ARGUMENT, Status::InvalidArgument),
            (ILSP_ERR_BUDGET_EXHAUSTED, Status::BudgetExhausted),
            (ILSP_ERR_BUFFER_TOO_SMALL, Status::BufferTooSmall),
            (ILSP_ERR_ENCODING, Status::Encoding),
            (ILSP_ERR_KEY, Status::Key),
            (ILSP_ERR_IO, Status::Io),
            (ILSP_ERR_LEDGER_INTEGRITY, Status::LedgerIntegrity),
            (ILSP_ERR_ENTROPY, Status::Entropy),
            (ILSP_ERR_INTERNAL, Status::Internal),
            (ILSP_ERR_TEMPLATE_MISMATCH, Status::TemplateMismatch),
            (ILSP_ERR_ACCOUNT_SUSPENDED, Status::AccountSuspended),
        ];
        for (i, (c, s)) in pairs.iter().enumerate() {
            assert_eq!(*c, i as i32);
            assert_eq!(*c, s.code());
        }
    }

    #[test]
    fn guard_maps_ok_error_and_panic() {
        assert_eq!(guard(|| Err(Error::invalid("epsilon", "is bad"))), 2);
        assert_eq!(last_error(), "epsilon is bad");
        assert_eq!(guard(|| Ok(())), ILSP_OK);
        assert_eq!(last_error(), "");
        let code = guard(|| panic!("boom"));
        assert_eq!(code, ILSP_ERR_INTERNAL);
        assert_eq!(
            last_error(),
            "internal error: panic caught at the C boundary: boom"
        );
    }

    #[test]
    fn forced_panic_inside_an_entry_point_returns_internal() {
        FORCE_PANIC.with(|f| f.set(true));
        let mut out = 0.0;
        let code = crate::ffi::bound::ilsp_clamp(1.0, 0.0, 2.0, &mut out);
        assert_eq!(code, ILSP_ERR_INTERNAL);
        assert!(last_error().contains("forced panic"), "{}", last_error());
        assert_eq!(out, 0.0, "no output on failure");
        // The boundary is usable again afterwards.
        assert_eq!(
            crate::ffi::bound::ilsp_clamp(5.0, 0.0, 2.0, &mut out),
            ILSP_OK
        );
        assert_eq!(out, 2.0);
    }

    #[test]
    fn pointer_helpers_reject_null_and_bad_utf8() {
        // SAFETY: NULL with len 0 is allowed by the helper's contract.
        assert!(
            unsafe { bytes_arg(std::ptr::null(), 0, "id") }
                .unwrap()
                .is_empty()
        );
        // SAFETY: NULL is checked by the helper before any read.
        let e = unsafe { bytes_arg(std::ptr::null(), 3, "id") }.unwrap_err();
        assert_eq!(e.to_string(), "id must not be NULL");
        let bad = b"ab\xffc\0";
        // SAFETY: `bad` is NUL-terminated and lives for the call.
        let e = unsafe { str_arg(bad.as_ptr().cast(), "account") }.unwrap_err();
        assert_eq!(e.status(), Status::Encoding);
        assert!(e.to_string().contains("offset 2"));
        let e = check_out(std::ptr::null_mut::<f64>(), "out").unwrap_err();
        assert_eq!(e.status(), Status::Null);
    }
}
