//! The masking, suppression, export and batch-noise C entry points, with
//! fuzzer-controlled text, buffers, lengths, capacities and NULLs; outputs
//! are compared with the Rust API where one exists.

use std::ptr::null_mut;

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::ffi::mask::*;
use ilsprivacy::ffi::mechanism::ilsp_laplace_batch;
use ilsprivacy::ffi::token::{ilsp_tokenizer, ilsp_tokenizer_free, ilsp_tokenizer_new};
use ilsprivacy::ffi::{
    ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_NULL, ILSP_OK,
};
use ilsprivacy::token::mask::{
    DateGranularity, age_band, coarsen_date, mask_email, truncate_postcode,
};
use ilsprivacy::token::suppress::suppress_small_cells;

use super::cbuf::{Bytes, Out, OutSpec, Text, cstr_ptr};
use super::support::checked;

#[derive(Arbitrary, Debug)]
enum Call {
    Email {
        email: Text,
        keep_domain: u8,
        out: OutSpec,
    },
    Date {
        date: Text,
        granularity: u8,
        out: OutSpec,
    },
    AgeBand {
        age: u8,
        width: u8,
        top: u8,
        out: OutSpec,
    },
    Postcode {
        postcode: Text,
        keep: u8,
        out: OutSpec,
    },
    Suppress {
        counts: Vec<u16>,
        rows: u8,
        k: u8,
        cap: u16,
        null_counts: bool,
        null_values: bool,
        null_status: bool,
        null_len: bool,
    },
    Schema {
        json: Option<Text>,
    },
    Record {
        record: Bytes,
        out: OutSpec,
        null_quarantined: bool,
        null_schema: bool,
    },
    LaplaceBatch {
        values: Vec<f64>,
        sensitivity: f64,
        epsilon: f64,
        layout: u8,
    },
}

struct Run {
    tokenizer: *mut ilsp_tokenizer,
    schema: *mut ilsp_export_schema,
}

impl Drop for Run {
    fn drop(&mut self) {
        ilsp_export_schema_free(self.schema);
        ilsp_tokenizer_free(self.tokenizer);
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let key = [7u8; 32];
    let mut run = Run {
        tokenizer: null_mut(),
        schema: null_mut(),
    };
    assert_eq!(
        ilsp_tokenizer_new(key.as_ptr(), key.len(), &mut run.tokenizer),
        ILSP_OK
    );
    let schema = std::ffi::CString::new(super::export::SCHEMA).expect("no NUL");
    assert_eq!(
        ilsp_export_schema_new(schema.as_ptr(), &mut run.schema),
        ILSP_OK
    );
    for _ in 0..16 {
        let Ok(call) = Call::arbitrary(&mut u) else {
            break;
        };
        step(&mut run, call);
    }
}

/// The text `call` writes with capacity `spec`, checked against `expected`
/// (what the Rust API gives) whenever the call succeeds.
fn text_call(
    name: &str,
    spec: OutSpec,
    hidden: &[&[u8]],
    expected: Option<Result<String, ilsprivacy::Error>>,
    call: impl Fn(*mut std::ffi::c_char, usize, *mut usize) -> i32,
) {
    let mut out = Out::text(spec);
    let status = checked(name, call(out.cptr(), out.cap(), out.len_ptr()), hidden);
    let text = out.check_text(name, status);
    if let (Some(text), Some(expected)) = (&text, &expected) {
        let expected = expected
            .as_ref()
            .expect("the C call succeeded, so must the Rust one");
        assert_eq!(
            text.as_slice(),
            expected.as_bytes(),
            "{name}: differs from the Rust API"
        );
    }
    if let Some(Err(e)) = &expected
        && !out.len_is_null()
        && !out.is_null_with_cap()
    {
        assert_eq!(
            status,
            e.status().code(),
            "{name}: status differs from the Rust error {e}"
        );
    }
}

fn step(run: &mut Run, call: Call) {
    match call {
        Call::Email {
            email,
            keep_domain,
            out,
        } => {
            let c = email.c_string();
            let seen = email.seen().map(<[u8]>::to_vec);
            let keep = u32::from(keep_domain % 3);
            let expected = match (&seen, keep) {
                (Some(s), 0 | 1) => std::str::from_utf8(s)
                    .ok()
                    .map(|s| mask_email(s, keep == 1)),
                _ => None,
            };
            let hidden = seen.clone().unwrap_or_default();
            text_call("ilsp_mask_email", out, &[&hidden], expected, |o, cap, l| {
                ilsp_mask_email(cstr_ptr(&c), keep, o, cap, l)
            });
        }
        Call::Date {
            date,
            granularity,
            out,
        } => {
            let c = date.c_string();
            let seen = date.seen().map(<[u8]>::to_vec);
            let g = u32::from(granularity % 4);
            let expected = match (&seen, DateGranularity::from_code(g)) {
                (Some(s), Ok(g)) => std::str::from_utf8(s).ok().map(|s| coarsen_date(s, g)),
                _ => None,
            };
            text_call("ilsp_mask_date", out, &[], expected, |o, cap, l| {
                ilsp_mask_date(cstr_ptr(&c), g, o, cap, l)
            });
        }
        Call::AgeBand {
            age,
            width,
            top,
            out,
        } => {
            let (age, width, top) = (u32::from(age), u32::from(width % 40), u32::from(top));
            let expected = Some(age_band(age, width, top));
            text_call("ilsp_mask_age_band", out, &[], expected, |o, cap, l| {
                ilsp_mask_age_band(age, width, top, o, cap, l)
            });
        }
        Call::Postcode {
            postcode,
            keep,
            out,
        } => {
            let c = postcode.c_string();
            let seen = postcode.seen().map(<[u8]>::to_vec);
            let keep = usize::from(keep % 12);
            let expected = seen
                .as_ref()
                .and_then(|s| std::str::from_utf8(s).ok())
                .map(|s| truncate_postcode(s, keep));
            text_call("ilsp_mask_postcode", out, &[], expected, |o, cap, l| {
                ilsp_mask_postcode(cstr_ptr(&c), keep, o, cap, l)
            });
        }
        Call::Suppress {
            counts,
            rows,
            k,
            cap,
            null_counts,
            null_values,
            null_status,
            null_len,
        } => suppress(
            &counts
                .iter()
                .map(|&c| u64::from(c) % 64)
                .collect::<Vec<_>>(),
            usize::from(rows % 9),
            u64::from(k % 12),
            usize::from(cap % 128),
            [null_counts, null_values, null_status, null_len],
        ),
        Call::Schema { json } => {
            let text = json.as_ref().and_then(Text::c_string);
            let mut schema = null_mut();
            let status = ilsp_export_schema_new(cstr_ptr(&text), &mut schema);
            checked("ilsp_export_schema_new", status, &[]);
            if status == ILSP_OK {
                assert!(!schema.is_null());
                ilsp_export_schema_free(run.schema);
                run.schema = schema;
            } else {
                assert!(schema.is_null(), "a schema was written on failure");
            }
        }
        Call::Record {
            record,
            out,
            null_quarantined,
            null_schema,
        } => {
            let schema = if null_schema { null_mut() } else { run.schema };
            let mut out = Out::text(out);
            let mut quarantined = -5;
            let q = if null_quarantined {
                null_mut()
            } else {
                &mut quarantined
            };
            let status = ilsp_export_record(
                schema,
                run.tokenizer,
                record.cptr(),
                record.len(),
                out.cptr(),
                out.cap(),
                out.len_ptr(),
                q,
            );
            checked("ilsp_export_record", status, &[]);
            out.check_text("ilsp_export_record", status);
            match status {
                ILSP_OK | ILSP_ERR_BUFFER_TOO_SMALL => {
                    assert!(quarantined == 0 || quarantined == 1)
                }
                _ => assert_eq!(quarantined, -5, "quarantined written on failure"),
            }
        }
        Call::LaplaceBatch {
            values,
            sensitivity,
            epsilon,
            layout,
        } => laplace_batch(&values, sensitivity, epsilon, layout),
    }
}

fn suppress(counts: &[u64], rows: usize, k: u64, cap: usize, nulls: [bool; 4]) {
    let [null_counts, null_values, null_status, null_len] = nulls;
    let cols = counts.len().checked_div(rows).unwrap_or(counts.len());
    let cells = rows * cols;
    let counts = &counts[..cells];
    let mut values = vec![u64::MAX; cap];
    let mut status = vec![0xEEu8; cap];
    let mut len = usize::MAX;
    let rc = ilsp_suppress_small_cells(
        if null_counts {
            std::ptr::null()
        } else {
            counts.as_ptr()
        },
        rows,
        cols,
        k,
        if null_values {
            null_mut()
        } else {
            values.as_mut_ptr()
        },
        if null_status {
            null_mut()
        } else {
            status.as_mut_ptr()
        },
        cap,
        if null_len { null_mut() } else { &mut len },
    );
    checked("ilsp_suppress_small_cells", rc, &[]);
    let untouched = values.iter().all(|&v| v == u64::MAX) && status.iter().all(|&s| s == 0xEE);
    match rc {
        ILSP_OK => {
            assert_eq!(len, (rows + 1) * (cols + 1));
            let table = suppress_small_cells(counts, rows, cols, k).expect("the C call succeeded");
            assert_eq!(&values[..len], table.published_values().as_slice());
            let codes: Vec<u8> = table.statuses().iter().map(|s| s.code()).collect();
            assert_eq!(&status[..len], codes.as_slice());
            assert!(
                values[len..].iter().all(|&v| v == u64::MAX),
                "wrote past out_len"
            );
            assert!(
                status[len..].iter().all(|&s| s == 0xEE),
                "wrote past out_len"
            );
        }
        ILSP_ERR_BUFFER_TOO_SMALL => {
            assert!(untouched);
            assert_eq!(len, (rows + 1) * (cols + 1));
            assert!(len > cap);
        }
        _ => {
            assert!(untouched, "suppression wrote its outputs on failure");
            assert_eq!(len, usize::MAX, "suppression wrote out_len on failure");
            if rc == ILSP_ERR_NULL {
                assert!(nulls.iter().any(|&n| n));
            }
        }
    }
}

fn laplace_batch(values: &[f64], sensitivity: f64, epsilon: f64, layout: u8) {
    // Keep the noise scale sane so a run spends its time on the boundary
    // checks, not in sampling.
    let n = values.len().min(64);
    let values = &values[..n];
    let mut arena = vec![0.0f64; 2 * n + 2];
    arena[..n].copy_from_slice(values);
    let base = arena.as_mut_ptr();
    let (input, output, overlapping) = match layout % 5 {
        // Separate arrays.
        0 => {
            let mut out = vec![f64::NAN; n];
            let rc = ilsp_laplace_batch(values.as_ptr(), n, sensitivity, epsilon, out.as_mut_ptr());
            checked("ilsp_laplace_batch", rc, &[]);
            if rc == ILSP_OK {
                assert!(out.iter().all(|v| !v.is_nan()));
            } else {
                assert!(out.iter().all(|v| v.is_nan()), "wrote outputs on failure");
            }
            return;
        }
        // In place.
        1 => (base, base, false),
        // Overlapping by part of the array (must be refused).
        2 => (base, base.wrapping_add(1.min(n)), n > 1),
        3 => (std::ptr::null_mut(), base, false),
        _ => (base, std::ptr::null_mut(), false),
    };
    let rc = ilsp_laplace_batch(input, n, sensitivity, epsilon, output);
    checked("ilsp_laplace_batch", rc, &[]);
    if overlapping {
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT, "overlapping arrays accepted");
    }
    if n > 0 && (input.is_null() || output.is_null()) {
        assert!(rc == ILSP_ERR_NULL || rc == ILSP_ERR_INVALID_ARGUMENT);
    }
    if rc != ILSP_OK {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&arena[..n]),
            bits(values),
            "the array changed on failure"
        );
    }
}
