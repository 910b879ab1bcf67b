//! Helpers shared by the harnesses: scratch files, the C last-error message,
//! and checks every harness applies.

use std::ffi::CStr;
use std::path::PathBuf;

use ilsprivacy::ffi::ilsp_status;

/// A scratch file path private to this process and thread (the regression
/// replay runs harnesses on several test threads at once). Prefers the
/// memory-backed `/dev/shm`, so ledger `fsync`s cost nothing.
pub fn scratch_path(tag: &str) -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let dir = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    dir.join(format!("ilsp-fuzz-{}-{thread}-{tag}", std::process::id()))
}

/// Removes a scratch file when dropped (also when a check fails).
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A scratch file named by [`scratch_path`], removed first if it exists.
    pub fn new(tag: &str) -> Scratch {
        let path = scratch_path(tag);
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// This thread's `ilsp_last_error()` as text.
pub fn last_error() -> String {
    let ptr = ilsprivacy::ffi::core::ilsp_last_error();
    assert!(!ptr.is_null(), "ilsp_last_error returned NULL");
    // SAFETY: the library returns a NUL-terminated string valid until the
    // next `ilsp_` call on this thread; it is copied before any other call.
    let text = unsafe { CStr::from_ptr(ptr) };
    match text.to_str() {
        Ok(s) => s.to_owned(),
        Err(e) => panic!("ilsp_last_error is not UTF-8: {e}"),
    }
}

/// Checks what every `ilsp_` call must satisfy, and returns `status`: a known
/// status code; never `ILSP_ERR_INTERNAL` (a caught panic is a bug); a
/// message exactly when the call failed; and no secret or patron value
/// (`hidden`, when at least 12 bytes long) inside that message.
pub fn checked(function: &str, status: ilsp_status, hidden: &[&[u8]]) -> ilsp_status {
    let message = last_error();
    assert!(
        (0..ilsprivacy::Status::ALL.len() as i32).contains(&status),
        "{function}: unknown status {status}"
    );
    assert_ne!(
        status,
        ilsprivacy::ffi::ILSP_ERR_INTERNAL,
        "{function}: internal error: {message}"
    );
    if status == ilsprivacy::ffi::ILSP_OK {
        assert!(
            message.is_empty(),
            "{function}: OK with message {message:?}"
        );
    } else {
        assert!(
            !message.is_empty(),
            "{function}: status {status} without a message"
        );
        assert_no_leak(function, message.as_bytes(), hidden);
    }
    status
}

/// Fails if any of `hidden` (those of at least 12 bytes) occurs in `text`.
///
/// The search compares hashes of windows, never the bytes themselves: a
/// byte comparison would hand the fuzzer the message text (libFuzzer learns
/// from the operands of comparisons), and it would then feed the message
/// back as a "value" that the message contains.
pub fn assert_no_leak(what: &str, text: &[u8], hidden: &[&[u8]]) {
    for value in hidden {
        if value.len() < 12 || value.len() > text.len() {
            continue;
        }
        let target = window_hash(value);
        if text
            .windows(value.len())
            .any(|w| window_hash(w) == target && std::hint::black_box(w) == *value)
        {
            panic!("{what}: output repeats a protected input value");
        }
    }
}

/// FNV-1a of a byte window.
fn window_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A byte the harnesses write into output buffers before a call, to check
/// that a failed call left them alone.
pub const FILL: u8 = 0xA5;
