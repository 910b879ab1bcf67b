//! Fuzzer-controlled C arguments: byte buffers with their lengths, optional
//! NUL-terminated strings, and output buffers with their capacities.
//!
//! Every buffer is allocated with exactly the length or capacity passed to
//! the library, so under AddressSanitizer a read or write past it is caught.
//! The harness never lies about a length (that would be the caller's
//! undefined behaviour, not the library's bug); it does pass NULL pointers
//! with non-zero lengths, zero capacities, NULL out-pointers, bytes that are
//! not UTF-8 and strings with embedded structure.

use std::ffi::{CString, c_char};

use arbitrary::Arbitrary;
use ilsprivacy::ffi::{ILSP_ERR_BUFFER_TOO_SMALL, ILSP_OK, ilsp_status};

use super::support::FILL;

/// Bytes passed as `(pointer, length)`.
#[derive(Arbitrary, Debug, Clone)]
pub struct Bytes {
    /// The content.
    pub bytes: Vec<u8>,
    /// Pass NULL instead of the pointer (the length stays).
    pub null: bool,
}

impl Bytes {
    /// A non-NULL buffer holding `bytes`.
    pub fn of(bytes: &[u8]) -> Bytes {
        Bytes {
            bytes: bytes.to_vec(),
            null: false,
        }
    }

    /// The pointer to pass (NULL if asked, else the exact-size allocation).
    pub fn ptr(&self) -> *const u8 {
        if self.null {
            std::ptr::null()
        } else {
            self.bytes.as_ptr()
        }
    }

    /// The length to pass.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the length is zero.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether the library must refuse the pointer with `ILSP_ERR_NULL`.
    pub fn is_null_with_data(&self) -> bool {
        self.null && !self.bytes.is_empty()
    }

    /// The pointer as `const char *`.
    pub fn cptr(&self) -> *const c_char {
        self.ptr().cast()
    }
}

/// An optional NUL-terminated string (NULL when `None`); interior NULs cut it.
#[derive(Arbitrary, Debug, Clone)]
pub struct Text(pub Option<Vec<u8>>);

impl Text {
    /// A non-NULL string.
    pub fn of(text: &str) -> Text {
        Text(Some(text.as_bytes().to_vec()))
    }

    /// The C string to keep alive while its pointer is used.
    pub fn c_string(&self) -> Option<CString> {
        self.0.as_ref().map(|b| {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            CString::new(&b[..end]).expect("cut at the first NUL")
        })
    }

    /// The bytes the library sees (up to the first NUL).
    pub fn seen(&self) -> Option<&[u8]> {
        self.0.as_ref().map(|b| {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            &b[..end]
        })
    }
}

/// The pointer of an optional C string.
pub fn cstr_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// How an output text buffer is passed.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct OutSpec {
    /// Capacity in bytes (the allocation has exactly this size).
    pub cap: u16,
    /// Pass NULL as the buffer (with `cap` unchanged).
    pub null: bool,
    /// Pass NULL as `out_len`.
    pub null_len: bool,
}

/// An output buffer of exactly `cap` elements, pre-filled with a marker.
pub struct Out<T: Copy> {
    /// The buffer.
    pub buf: Vec<T>,
    /// The length slot (a marker before the call).
    pub len: usize,
    spec: OutSpec,
    fill: T,
}

/// The marker `out_len` holds before a call.
pub const LEN_MARK: usize = usize::MAX - 0x5a;

impl<T: Copy + PartialEq + std::fmt::Debug> Out<T> {
    /// A buffer for `spec`, its capacity cut to `max`.
    pub fn new(spec: OutSpec, max: usize, fill: T) -> Out<T> {
        let cap = usize::from(spec.cap) % (max + 1);
        Out {
            buf: vec![fill; cap],
            len: LEN_MARK,
            spec: OutSpec { cap: 0, ..spec },
            fill,
        }
    }

    /// The buffer pointer to pass.
    pub fn ptr(&mut self) -> *mut T {
        if self.spec.null {
            std::ptr::null_mut()
        } else {
            self.buf.as_mut_ptr()
        }
    }

    /// The capacity to pass.
    pub fn cap(&self) -> usize {
        self.buf.len()
    }

    /// The `out_len` pointer to pass.
    pub fn len_ptr(&mut self) -> *mut usize {
        if self.spec.null_len {
            std::ptr::null_mut()
        } else {
            &mut self.len
        }
    }

    /// Whether the buffer pointer is NULL while its capacity is not zero.
    pub fn is_null_with_cap(&self) -> bool {
        self.spec.null && !self.buf.is_empty()
    }

    /// Whether `out_len` is passed as NULL.
    pub fn len_is_null(&self) -> bool {
        self.spec.null_len
    }

    /// Whether the buffer still holds only the marker.
    pub fn untouched(&self) -> bool {
        self.buf.iter().all(|&b| b == self.fill)
    }
}

impl Out<u8> {
    /// A text buffer for `spec` (capacity at most 4096 bytes).
    pub fn text(spec: OutSpec) -> Out<u8> {
        Out::new(spec, 4096, FILL)
    }

    /// A text buffer of exactly `cap` bytes, passed normally.
    pub fn exact(cap: usize) -> Out<u8> {
        Out {
            buf: vec![FILL; cap],
            len: LEN_MARK,
            spec: OutSpec {
                cap: 0,
                null: false,
                null_len: false,
            },
            fill: FILL,
        }
    }

    /// The buffer as `char *`.
    pub fn cptr(&mut self) -> *mut c_char {
        self.ptr().cast()
    }

    /// Checks the text-output convention after a call returned `status`, and
    /// returns the text on success:
    ///
    /// - success: `*out_len < cap`, the text is followed by a NUL, and nothing
    ///   past the NUL was written;
    /// - `ILSP_ERR_BUFFER_TOO_SMALL`: `*out_len` is the capacity needed
    ///   (more than `cap`) and the buffer is untouched;
    /// - any other failure: neither the buffer nor `*out_len` was written.
    pub fn check_text(&self, function: &str, status: ilsp_status) -> Option<Vec<u8>> {
        match status {
            ILSP_OK => {
                assert!(!self.len_is_null(), "{function}: OK with a NULL out_len");
                let n = self.len;
                assert!(
                    n < self.cap(),
                    "{function}: length {n} >= capacity {}",
                    self.cap()
                );
                assert_eq!(self.buf[n], 0, "{function}: no NUL after the text");
                assert!(
                    self.buf[n + 1..].iter().all(|&b| b == FILL),
                    "{function}: wrote past the NUL"
                );
                Some(self.buf[..n].to_vec())
            }
            ILSP_ERR_BUFFER_TOO_SMALL => {
                assert!(
                    self.untouched(),
                    "{function}: wrote into a too-small buffer"
                );
                assert!(
                    self.len > self.cap() && self.len != LEN_MARK,
                    "{function}: BUFFER_TOO_SMALL with out_len {} for capacity {}",
                    self.len,
                    self.cap()
                );
                None
            }
            _ => {
                assert!(self.untouched(), "{function}: wrote the buffer on failure");
                assert_eq!(self.len, LEN_MARK, "{function}: wrote out_len on failure");
                None
            }
        }
    }
}
