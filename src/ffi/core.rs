//! Library-wide entry points: version and last-error message.

use std::ffi::c_char;

/// Major version of the library this header belongs to.
pub const ILSP_VERSION_MAJOR: u32 = 0;
/// Minor version of the library this header belongs to.
pub const ILSP_VERSION_MINOR: u32 = 1;
/// Patch version of the library this header belongs to.
pub const ILSP_VERSION_PATCH: u32 = 0;

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The loaded library's version as `"MAJOR.MINOR.PATCH"`, in static storage.
///
/// Compare it with `ILSP_VERSION_MAJOR/MINOR/PATCH` to detect a header/library
/// mismatch. Cannot fail.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The message of the most recent failed `ilsp_` call on this thread, or `""`
/// if the most recent call succeeded (or none was made). Never NULL.
///
/// The text names the parameter at fault and, for numeric parameters, its
/// value (e.g. `"epsilon must be finite and > 0, got NaN"`); it never contains
/// patron identifiers, protected values, noise or key bytes.
///
/// The pointer is valid until the next `ilsp_` call on the same thread.
///
/// Thread safety: each thread has its own message.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_last_error() -> *const c_char {
    super::last_error_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_constants_match_the_package() {
        // SAFETY: VERSION is a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(ilsp_version()) }.to_str().unwrap();
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(
            parts,
            [ILSP_VERSION_MAJOR, ILSP_VERSION_MINOR, ILSP_VERSION_PATCH]
        );
    }
}
