//! The key and tokenizer C entry points, driven by a fuzzer-chosen sequence
//! of calls with fuzzer-controlled buffers, lengths, capacities and NULLs.
//!
//! Beyond "no crash, no overrun" (AddressSanitizer) every call is checked
//! for the C conventions ([`super::support::checked`],
//! [`Out::check_text`]), and successful calls against each other: a token
//! verifies against its ID, a batch equals its single tokens, a bridge row
//! equals the two tokens, a lookup agrees with verification.

use std::ffi::c_char;
use std::ptr::{null, null_mut};

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::ffi::token::*;
use ilsprivacy::ffi::{ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_NULL, ILSP_OK, ilsp_status};

use super::cbuf::{Bytes, Out, OutSpec, Text, cstr_ptr};
use super::support::checked;

/// The first key of every run (32 bytes).
const KEY: &[u8; 32] = b"library-pipeline-key-0123456789!";

/// Packed IDs or tokens with their offsets (`n + 1` entries).
#[derive(Arbitrary, Debug)]
struct Packed {
    /// The pieces; their concatenation is the buffer.
    pieces: Vec<Vec<u8>>,
    /// Replace offset `i % len` by a fuzzer value (out of order, past the end).
    bad_offset: Option<(u8, u16)>,
    /// Pass NULL as the buffer.
    null_buf: bool,
    /// Pass NULL as the offsets.
    null_offsets: bool,
}

impl Packed {
    fn build(&self) -> (Bytes, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut offsets = vec![0];
        for p in &self.pieces {
            bytes.extend_from_slice(p);
            offsets.push(bytes.len());
        }
        if let Some((i, v)) = self.bad_offset {
            let i = usize::from(i) % offsets.len();
            offsets[i] = usize::from(v);
        }
        (
            Bytes {
                bytes,
                null: self.null_buf,
            },
            offsets,
        )
    }

    fn offsets_ptr(&self, offsets: &[usize]) -> *const usize {
        if self.null_offsets {
            null()
        } else {
            offsets.as_ptr()
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Call {
    Tokenize {
        id: Bytes,
        out: OutSpec,
    },
    TokenizeWith {
        key_id: Text,
        kind: u8,
        norm: u8,
        id: Bytes,
        out: OutSpec,
    },
    TokenLen {
        key_id: Text,
        kind: u8,
        null_out: bool,
    },
    Batch {
        key_id: Text,
        kind: u8,
        norm: u8,
        ids: Packed,
        out: OutSpec,
    },
    Bridge {
        from: (Text, u8, u8),
        to: (Text, u8, u8),
        ids: Packed,
        out: OutSpec,
    },
    Verify {
        token: Text,
        norm: u8,
        id: Bytes,
        null_out: bool,
    },
    Lookup {
        tokens: Packed,
        plant: Option<u8>,
        norm: u8,
        id: Bytes,
        null_out: bool,
    },
    Address {
        address: Text,
        out: OutSpec,
    },
    KeyId {
        index: u8,
        out: OutSpec,
    },
    ActiveKeyId {
        out: OutSpec,
    },
    KeyCount {
        null_out: bool,
    },
    AddKey {
        key_id: Text,
        key: Bytes,
        derive: Option<(Text, Text)>,
    },
    Activate {
        key_id: Text,
    },
    Retire {
        key_id: Text,
    },
    SetFormat {
        encoding: u8,
        bits: u16,
    },
    NewTokenizer {
        key: Bytes,
        key_id: Option<Text>,
    },
    Generate {
        len: u8,
    },
}

/// A small code: mostly valid values, sometimes not.
fn code(c: u8) -> u32 {
    match c {
        0..=200 => u32::from(c % 2),
        201..=250 => u32::from(c),
        _ => u32::MAX - u32::from(c),
    }
}

fn norm_code(c: u8) -> u32 {
    if c < 240 {
        u32::from(c % 8)
    } else {
        u32::from(c)
    }
}

struct Run {
    t: *mut ilsp_tokenizer,
}

impl Drop for Run {
    fn drop(&mut self) {
        ilsp_tokenizer_free(self.t);
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut run = Run { t: null_mut() };
    let status = ilsp_tokenizer_new(KEY.as_ptr(), KEY.len(), &mut run.t);
    assert_eq!(status, ILSP_OK);
    for _ in 0..24 {
        let Ok(call) = Call::arbitrary(&mut u) else {
            break;
        };
        step(&mut run, call);
    }
}

/// `ilsp_tokenize_with` for one ID (a helper for cross-checks).
fn token_of(
    t: *const ilsp_tokenizer,
    key_id: *const c_char,
    kind: u32,
    norm: u32,
    id: &[u8],
) -> Option<Vec<u8>> {
    let mut out = Out::exact(300);
    let status = ilsp_tokenize_with(
        t,
        key_id,
        kind,
        norm,
        id.as_ptr().cast(),
        id.len(),
        out.cptr(),
        out.cap(),
        &mut out.len,
    );
    checked("ilsp_tokenize_with", status, &[id]);
    out.check_text("ilsp_tokenize_with", status)
}

/// Calls a text-output function; on `BUFFER_TOO_SMALL` calls it again with
/// exactly the capacity it asked for, which must succeed.
fn text_call(
    name: &str,
    spec: OutSpec,
    hidden: &[&[u8]],
    mut call: impl FnMut(*mut c_char, usize, *mut usize) -> ilsp_status,
) -> (ilsp_status, Option<Vec<u8>>) {
    let mut out = Out::text(spec);
    let status = checked(name, call(out.cptr(), out.cap(), out.len_ptr()), hidden);
    let text = out.check_text(name, status);
    if status == ILSP_ERR_BUFFER_TOO_SMALL && out.len <= 1 << 20 {
        let mut again = Out::exact(out.len);
        let retry = checked(
            name,
            call(again.cptr(), again.cap(), &mut again.len),
            hidden,
        );
        // Argument errors found after the size check may still come.
        assert_ne!(
            retry, ILSP_ERR_BUFFER_TOO_SMALL,
            "{name}: the capacity it asked for was too small"
        );
        let text = again.check_text(name, retry);
        if let Some(text) = &text {
            assert_eq!(
                text.len() + 1,
                again.cap(),
                "{name}: asked for more than it needed"
            );
        }
        return (retry, text);
    }
    (status, text)
}

fn step(run: &mut Run, call: Call) {
    let t = run.t;
    match call {
        Call::Tokenize { id, out } => {
            let (status, token) = text_call("ilsp_tokenize", out, &[&id.bytes], |o, c, l| {
                ilsp_tokenize(t, id.cptr(), id.len(), o, c, l)
            });
            if id.is_null_with_data() {
                assert_eq!(status, ILSP_ERR_NULL);
            }
            if let Some(token) = token {
                assert_eq!(token.len(), ILSP_COMPAT_TOKEN_LEN);
                let same = token_of(t, null(), ILSP_TOKEN_COMPAT, ILSP_NORM_NONE, &id.bytes);
                assert_eq!(
                    same.as_ref(),
                    Some(&token),
                    "tokenize and tokenize_with differ"
                );
                verify_matches(t, &token, ILSP_NORM_NONE, &id.bytes);
            }
        }
        Call::TokenizeWith {
            key_id,
            kind,
            norm,
            id,
            out,
        } => {
            let key_id = key_id.c_string();
            let (kind, norm) = (code(kind), norm_code(norm));
            // Key ids are caller text that may be an identifier: never echoed.
            let hidden = [&id.bytes[..], c_bytes(&key_id)];
            let (_, token) = text_call("ilsp_tokenize_with", out, &hidden, |o, c, l| {
                ilsp_tokenize_with(
                    t,
                    cstr_ptr(&key_id),
                    kind,
                    norm,
                    id.cptr(),
                    id.len(),
                    o,
                    c,
                    l,
                )
            });
            if let Some(token) = token {
                let mut width = 0;
                let status = ilsp_tokenizer_token_len(t, cstr_ptr(&key_id), kind, &mut width);
                assert_eq!(checked("ilsp_tokenizer_token_len", status, &[]), ILSP_OK);
                assert_eq!(token.len(), width);
                verify_matches(t, &token, norm, &id.bytes);
            }
        }
        Call::TokenLen {
            key_id,
            kind,
            null_out,
        } => {
            let key_id = key_id.c_string();
            let mut width = usize::MAX;
            let out = if null_out { null_mut() } else { &mut width };
            let status = ilsp_tokenizer_token_len(t, cstr_ptr(&key_id), code(kind), out);
            checked("ilsp_tokenizer_token_len", status, &[c_bytes(&key_id)]);
            if status != ILSP_OK {
                assert_eq!(width, usize::MAX, "token_len wrote its output on failure");
            }
        }
        Call::Batch {
            key_id,
            kind,
            norm,
            ids,
            out,
        } => {
            let key_id = key_id.c_string();
            let (kind, norm) = (code(kind), norm_code(norm));
            let (buf, offsets) = ids.build();
            let n = offsets.len() - 1;
            let hidden = [&buf.bytes[..], c_bytes(&key_id)];
            let (_, tokens) = text_call("ilsp_tokenize_batch", out, &hidden, |o, c, l| {
                ilsp_tokenize_batch(
                    t,
                    cstr_ptr(&key_id),
                    kind,
                    norm,
                    buf.cptr(),
                    buf.len(),
                    ids.offsets_ptr(&offsets),
                    n,
                    o,
                    c,
                    l,
                )
            });
            if let Some(tokens) = tokens {
                let width = tokens.len().checked_div(n).unwrap_or(0);
                assert_eq!(width * n, tokens.len());
                for (i, token) in tokens.chunks(width.max(1)).enumerate().take(n) {
                    let id = &buf.bytes[offsets[i]..offsets[i + 1]];
                    let single = token_of(t, cstr_ptr(&key_id), kind, norm, id);
                    assert_eq!(single.as_deref(), Some(token), "batch token {i} differs");
                }
            }
        }
        Call::Bridge { from, to, ids, out } => {
            let (from_id, to_id) = (from.0.c_string(), to.0.c_string());
            let (fk, fnm, tk, tnm) = (code(from.1), norm_code(from.2), code(to.1), norm_code(to.2));
            let (buf, offsets) = ids.build();
            let n = offsets.len() - 1;
            let hidden = [&buf.bytes[..], c_bytes(&from_id), c_bytes(&to_id)];
            let (_, text) = text_call("ilsp_tokenize_bridge", out, &hidden, |o, c, l| {
                ilsp_tokenize_bridge(
                    t,
                    cstr_ptr(&from_id),
                    fk,
                    fnm,
                    cstr_ptr(&to_id),
                    tk,
                    tnm,
                    buf.cptr(),
                    buf.len(),
                    ids.offsets_ptr(&offsets),
                    n,
                    o,
                    c,
                    l,
                )
            });
            if let Some(text) = text {
                let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                assert_eq!(lines.len(), n + 1, "one line per ID");
                for (i, line) in lines.iter().take(n).enumerate() {
                    let id = &buf.bytes[offsets[i]..offsets[i + 1]];
                    let old = token_of(t, cstr_ptr(&from_id), fk, fnm, id).expect("old token");
                    let new = token_of(t, cstr_ptr(&to_id), tk, tnm, id).expect("new token");
                    assert_eq!(*line, [&old[..], b",", &new[..]].concat(), "bridge row {i}");
                }
            }
        }
        Call::Verify {
            token,
            norm,
            id,
            null_out,
        } => {
            let c_token = token.c_string();
            let mut matches = -7;
            let out = if null_out { null_mut() } else { &mut matches };
            let status = ilsp_token_verify(
                t,
                cstr_ptr(&c_token),
                norm_code(norm),
                id.cptr(),
                id.len(),
                out,
            );
            // The token's key id is untrusted text too: never echoed.
            checked("ilsp_token_verify", status, &[&id.bytes, c_bytes(&c_token)]);
            if status == ILSP_OK {
                assert!(matches == 0 || matches == 1);
            } else {
                assert_eq!(matches, -7, "verify wrote its output on failure");
            }
        }
        Call::Lookup {
            tokens,
            plant,
            norm,
            id,
            null_out,
        } => {
            let norm = norm_code(norm);
            let mut tokens = tokens;
            if let Some(at) = plant
                && let Some(real) = token_of(t, null(), u32::from(at % 2), norm, &id.bytes)
            {
                let at = usize::from(at) % (tokens.pieces.len() + 1);
                tokens.pieces.insert(at, real);
            }
            let (buf, offsets) = tokens.build();
            let n = offsets.len() - 1;
            let mut index = usize::MAX - 3;
            let out = if null_out { null_mut() } else { &mut index };
            let status = ilsp_token_lookup(
                t,
                buf.cptr(),
                buf.len(),
                tokens.offsets_ptr(&offsets),
                n,
                norm,
                id.cptr(),
                id.len(),
                out,
            );
            checked("ilsp_token_lookup", status, &[&id.bytes]);
            if status == ILSP_OK {
                let first = (0..n).find(|&i| {
                    let piece = &buf.bytes[offsets[i]..offsets[i + 1]];
                    verify(t, piece, norm, &id.bytes) == Some(true)
                });
                assert_eq!(index, first.unwrap_or(n), "lookup and verify disagree");
            } else {
                assert_eq!(index, usize::MAX - 3, "lookup wrote its output on failure");
            }
        }
        Call::Address { address, out } => {
            let c = address.c_string();
            let seen = address.seen().unwrap_or_default().to_vec();
            text_call("ilsp_tokenize_address", out, &[&seen], |o, cap, l| {
                ilsp_tokenize_address(t, cstr_ptr(&c), o, cap, l)
            });
        }
        Call::KeyId { index, out } => {
            text_call("ilsp_tokenizer_key_id", out, &[], |o, c, l| {
                ilsp_tokenizer_key_id(t, usize::from(index % 20), o, c, l)
            });
        }
        Call::ActiveKeyId { out } => {
            let (_, id) = text_call("ilsp_tokenizer_active_key_id", out, &[], |o, c, l| {
                ilsp_tokenizer_active_key_id(t, o, c, l)
            });
            if let Some(id) = id {
                assert!(!id.is_empty() && id.len() <= 32);
            }
        }
        Call::KeyCount { null_out } => {
            let mut count = 0usize;
            let out = if null_out { null_mut() } else { &mut count };
            let status = checked(
                "ilsp_tokenizer_key_count",
                ilsp_tokenizer_key_count(t, out),
                &[],
            );
            if status == ILSP_OK {
                assert!((1..=16).contains(&count));
            }
        }
        Call::AddKey {
            key_id,
            key,
            derive,
        } => {
            let mut k = null_mut();
            let status = ilsp_key_from_bytes(key.ptr(), key.len(), &mut k);
            checked("ilsp_key_from_bytes", status, &[&key.bytes]);
            if let Some((tenant, purpose)) = derive {
                let (tenant, purpose) = (tenant.c_string(), purpose.c_string());
                let mut derived = null_mut();
                let status =
                    ilsp_key_derive(k, cstr_ptr(&tenant), cstr_ptr(&purpose), &mut derived);
                checked("ilsp_key_derive", status, &[&key.bytes]);
                if status == ILSP_OK {
                    ilsp_key_free(k);
                    k = derived;
                }
            }
            let key_id = key_id.c_string();
            let status = ilsp_tokenizer_add_key(t, cstr_ptr(&key_id), k);
            checked(
                "ilsp_tokenizer_add_key",
                status,
                &[&key.bytes, c_bytes(&key_id)],
            );
            ilsp_key_free(k);
        }
        Call::Activate { key_id } => {
            let key_id = key_id.c_string();
            checked(
                "ilsp_tokenizer_activate",
                ilsp_tokenizer_activate(t, cstr_ptr(&key_id)),
                &[c_bytes(&key_id)],
            );
        }
        Call::Retire { key_id } => {
            let key_id = key_id.c_string();
            checked(
                "ilsp_tokenizer_retire",
                ilsp_tokenizer_retire(t, cstr_ptr(&key_id)),
                &[c_bytes(&key_id)],
            );
            let mut count = 0;
            assert_eq!(ilsp_tokenizer_key_count(t, &mut count), ILSP_OK);
            assert!(count >= 1, "the ring lost its last key");
        }
        Call::SetFormat { encoding, bits } => {
            let bits = if bits < 60000 {
                128 + 8 * u32::from(bits % 17)
            } else {
                u32::from(bits)
            };
            let status = ilsp_tokenizer_set_format(t, code(encoding), bits);
            checked("ilsp_tokenizer_set_format", status, &[]);
        }
        Call::NewTokenizer { key, key_id } => {
            let mut fresh = null_mut();
            let status = match key_id {
                None => ilsp_tokenizer_new(key.ptr(), key.len(), &mut fresh),
                Some(id) => {
                    let mut k = null_mut();
                    let s = ilsp_key_from_bytes(key.ptr(), key.len(), &mut k);
                    checked("ilsp_key_from_bytes", s, &[&key.bytes]);
                    let id = id.c_string();
                    let status = ilsp_tokenizer_new_with_key(cstr_ptr(&id), k, &mut fresh);
                    checked(
                        "ilsp_tokenizer_new_with_key",
                        status,
                        &[&key.bytes, c_bytes(&id)],
                    );
                    ilsp_key_free(k);
                    status
                }
            };
            checked("ilsp_tokenizer_new", status, &[&key.bytes]);
            if status == ILSP_OK {
                ilsp_tokenizer_free(run.t);
                run.t = fresh;
            } else {
                assert!(fresh.is_null(), "a handle was written on failure");
            }
        }
        Call::Generate { len } => {
            // Small lengths, the cap, and huge ones (which once aborted the
            // process on the allocation).
            let len = match len {
                0..=250 => usize::from(len),
                251 => ILSP_MAX_KEY_LEN,
                252 => ILSP_MAX_KEY_LEN + 1,
                253 => 1 << 62,
                _ => usize::MAX - usize::from(len),
            };
            let mut k = null_mut();
            let status = ilsp_key_generate(len, &mut k);
            checked("ilsp_key_generate", status, &[]);
            assert_eq!(
                status == ILSP_OK,
                (ILSP_MIN_KEY_LEN..=ILSP_MAX_KEY_LEN).contains(&len)
            );
            ilsp_key_free(k);
        }
    }
}

/// The bytes of an optional C string argument (empty for NULL).
fn c_bytes(s: &Option<std::ffi::CString>) -> &[u8] {
    s.as_ref().map_or(&[], |s| s.as_bytes())
}

/// `ilsp_token_verify` of a token given as bytes (`None` if it is refused).
fn verify(t: *const ilsp_tokenizer, token: &[u8], norm: u32, id: &[u8]) -> Option<bool> {
    if token.contains(&0) {
        return Some(false);
    }
    let token = std::ffi::CString::new(token).expect("no NUL");
    let mut matches = -1;
    let status = ilsp_token_verify(
        t,
        token.as_ptr(),
        norm,
        id.as_ptr().cast(),
        id.len(),
        &mut matches,
    );
    checked("ilsp_token_verify", status, &[id]);
    (status == ILSP_OK).then_some(matches == 1)
}

fn verify_matches(t: *const ilsp_tokenizer, token: &[u8], norm: u32, id: &[u8]) {
    assert_eq!(
        verify(t, token, norm, id),
        Some(true),
        "a token does not verify against its ID"
    );
}
