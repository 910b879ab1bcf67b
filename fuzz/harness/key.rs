//! Key material from untrusted file contents and environment values, through
//! the Rust API and the C entry points, checked against a reference decoder.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

use ilsprivacy::ffi::token::{
    ILSP_KEY_HEX, ILSP_KEY_RAW, ilsp_key, ilsp_key_free, ilsp_key_from_bytes, ilsp_key_from_env,
    ilsp_key_from_file,
};
use ilsprivacy::ffi::{ILSP_ERR_KEY, ILSP_OK};
use ilsprivacy::token::key::{KeyEncoding, MAX_KEY_SOURCE_LEN, MIN_KEY_LEN, SecretKey};
use ilsprivacy::token::tokenizer::Tokenizer;

use super::support::{Scratch, assert_no_leak, checked};

/// The environment variable this harness sets (private to the process).
const VAR: &str = "ILSP_FUZZ_KEY";

/// What a key source should decode to, by the documented rules: raw bytes as
/// stored; hex with surrounding ASCII whitespace ignored, either case.
fn reference(data: &[u8], encoding: KeyEncoding) -> Option<Vec<u8>> {
    if data.len() > MAX_KEY_SOURCE_LEN {
        return None;
    }
    let bytes = match encoding {
        KeyEncoding::Raw => data.to_vec(),
        _ => {
            let text = data.trim_ascii();
            if !text.len().is_multiple_of(2) {
                return None;
            }
            let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
            text.chunks(2)
                .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
                .collect::<Option<Vec<u8>>>()?
        }
    };
    (bytes.len() >= MIN_KEY_LEN).then_some(bytes)
}

/// Two keys are the same if they give the same compatibility token.
fn fingerprint(key: &SecretKey) -> String {
    Tokenizer::from_key(key).tokenize("fingerprint")
}

fn check_rust(result: ilsprivacy::Result<SecretKey>, expected: Option<&[u8]>, data: &[u8]) {
    match (result, expected) {
        (Ok(key), Some(bytes)) => {
            assert_eq!(key.len(), bytes.len());
            let direct = SecretKey::from_bytes(bytes).expect("long enough");
            assert_eq!(
                fingerprint(&key),
                fingerprint(&direct),
                "decoded a different key"
            );
            assert_no_leak("Debug", format!("{key:?}").as_bytes(), &[data]);
        }
        (Err(e), None) => {
            assert_eq!(e.status(), ilsprivacy::Status::Key, "{e}");
            assert_no_leak("key error", e.to_string().as_bytes(), &[data]);
        }
        (Ok(_), None) => panic!("accepted key material the rules refuse"),
        (Err(e), Some(_)) => panic!("refused valid key material: {e}"),
    }
}

/// The C entry point's status must agree with the reference; a handle is freed.
fn check_c(function: &str, status: i32, handle: *mut ilsp_key, expected: bool, data: &[u8]) {
    checked(function, status, &[data]);
    if expected {
        assert_eq!(status, ILSP_OK, "{function} refused valid key material");
        assert!(!handle.is_null());
    } else {
        assert_eq!(status, ILSP_ERR_KEY, "{function} accepted bad key material");
        assert!(handle.is_null(), "{function} wrote a handle on failure");
    }
    ilsp_key_free(handle);
}

/// Runs one input: the bytes as a key file, an environment value and a raw key.
pub fn run(data: &[u8]) {
    let file = Scratch::new("key");
    std::fs::write(&file.0, data).expect("write the scratch key file");
    let path = CString::new(file.0.as_os_str().as_encoded_bytes()).expect("no NUL in the path");
    for (encoding, code) in [
        (KeyEncoding::Raw, ILSP_KEY_RAW),
        (KeyEncoding::Hex, ILSP_KEY_HEX),
    ] {
        let expected = reference(data, encoding);
        check_rust(
            SecretKey::from_file(&file.0, encoding),
            expected.as_deref(),
            data,
        );
        let mut handle = std::ptr::null_mut();
        let status = ilsp_key_from_file(path.as_ptr(), code, &mut handle);
        check_c(
            "ilsp_key_from_file",
            status,
            handle,
            expected.is_some(),
            data,
        );

        // An environment value cannot hold a NUL byte.
        if !data.contains(&0) {
            let value = std::ffi::OsStr::from_bytes(data);
            // SAFETY: the fuzz targets are single-threaded, and the
            // regression replay runs this harness's inputs on one thread
            // (see tests/fuzz_regressions.rs); nothing else reads VAR.
            unsafe { std::env::set_var(VAR, value) };
            check_rust(
                SecretKey::from_env(VAR, encoding),
                expected.as_deref(),
                data,
            );
            let name = CString::new(VAR).expect("no NUL");
            let mut handle = std::ptr::null_mut();
            let status = ilsp_key_from_env(name.as_ptr(), code, &mut handle);
            check_c(
                "ilsp_key_from_env",
                status,
                handle,
                expected.is_some(),
                data,
            );
            // SAFETY: as above.
            unsafe { std::env::remove_var(VAR) };
        }
    }
    check_rust(
        SecretKey::from_bytes(data),
        (data.len() >= MIN_KEY_LEN).then_some(data),
        data,
    );
    let mut handle = std::ptr::null_mut();
    let status = ilsp_key_from_bytes(data.as_ptr(), data.len(), &mut handle);
    check_c(
        "ilsp_key_from_bytes",
        status,
        handle,
        data.len() >= MIN_KEY_LEN,
        data,
    );
}
