//! The masking, suppression, export, clipping, quantile and batch-noise C
//! entry points, with fuzzer-controlled text, buffers, lengths, capacities
//! and NULLs; outputs are compared with the Rust API where one exists.

use std::ptr::null_mut;

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::ffi::bound::{ilsp_clip_l1, ilsp_clip_l2};
use ilsprivacy::ffi::mask::*;
use ilsprivacy::ffi::mechanism::{ilsp_gaussian_batch, ilsp_laplace_batch, ilsp_quantile};
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
    GaussianBatch {
        values: Vec<f64>,
        sensitivity: f64,
        epsilon: f64,
        delta: f64,
        layout: u8,
    },
    Clip {
        values: Vec<f64>,
        bound: f64,
        l2: bool,
        null_values: bool,
        null_factor: bool,
    },
    Quantile {
        values: Vec<f64>,
        quantile: f64,
        lo: f64,
        hi: f64,
        bins: u16,
        epsilon: f64,
        null_values: bool,
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
        } => batch(&values, layout, |v, n, o| {
            ilsp_laplace_batch(v, n, sensitivity, epsilon, o)
        }),
        Call::GaussianBatch {
            values,
            sensitivity,
            epsilon,
            delta,
            layout,
        } => batch(&values, layout, |v, n, o| {
            ilsp_gaussian_batch(v, n, sensitivity, epsilon, delta, o)
        }),
        Call::Clip {
            values,
            bound,
            l2,
            null_values,
            null_factor,
        } => clip(values, bound, l2, null_values, null_factor),
        Call::Quantile {
            values,
            quantile,
            lo,
            hi,
            bins,
            epsilon,
            null_values,
        } => {
            // Small inputs: the exponential mechanism's time grows with both.
            let values = &values[..values.len().min(256)];
            let bins = u32::from(bins % 2048);
            let mut out = f64::NAN;
            let ptr = if null_values {
                std::ptr::null()
            } else {
                values.as_ptr()
            };
            let rc = ilsp_quantile(ptr, values.len(), quantile, lo, hi, bins, epsilon, &mut out);
            checked("ilsp_quantile", rc, &[]);
            if rc == ILSP_OK {
                assert!(
                    lo <= out && out <= hi,
                    "quantile {out} outside [{lo}, {hi}]"
                );
            } else {
                assert!(out.is_nan(), "wrote the output on failure");
            }
        }
    }
}

/// Neumaier's compensated sum: accurate to about one rounding.
fn accurate_sum(terms: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for t in terms {
        let s = sum + t;
        carry += if sum.abs() >= t.abs() {
            (sum - s) + t
        } else {
            (t - s) + sum
        };
        sum = s;
    }
    sum + carry
}

fn clip(values: Vec<f64>, bound: f64, l2: bool, null_values: bool, null_factor: bool) {
    let mut v = values.clone();
    let mut factor = f64::NAN;
    let ptr = if null_values {
        null_mut()
    } else {
        v.as_mut_ptr()
    };
    let out = if null_factor { null_mut() } else { &mut factor };
    let (name, rc) = if l2 {
        ("ilsp_clip_l2", ilsp_clip_l2(ptr, v.len(), bound, out))
    } else {
        ("ilsp_clip_l1", ilsp_clip_l1(ptr, v.len(), bound, out))
    };
    checked(name, rc, &[]);
    let bits = |x: &[f64]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    if rc != ILSP_OK {
        assert!(factor.is_nan(), "{name}: wrote the factor on failure");
        assert_eq!(
            bits(&v),
            bits(&values),
            "{name}: changed the values on failure"
        );
        return;
    }
    assert!((0.0..=1.0).contains(&factor), "{name}: factor {factor}");
    if factor == 1.0 {
        assert_eq!(
            bits(&v),
            bits(&values),
            "{name}: changed values within the bound"
        );
    }
    // The norm of the returned doubles is within the bound.
    let slack = bound * (1.0 + 4.0 * f64::EPSILON);
    if l2 {
        let m = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        if m > 0.0 {
            let norm = accurate_sum(v.iter().map(|x| (x / m) * (x / m))).sqrt() * m;
            assert!(norm <= slack, "{name}: L2 norm {norm} over {bound}");
        }
    } else {
        let norm = accurate_sum(v.iter().map(|x| x.abs()));
        assert!(norm <= slack, "{name}: L1 norm {norm} over {bound}");
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

/// A batch mechanism called with separate, in-place, overlapping or NULL
/// arrays: overlap is refused, NULL with `n > 0` too, and a failed call
/// leaves its arrays as they were.
fn batch(values: &[f64], layout: u8, call: impl Fn(*const f64, usize, *mut f64) -> i32) {
    // Few values: a run spends its time on the boundary checks, not sampling.
    let n = values.len().min(64);
    let values = &values[..n];
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let mut arena = vec![0.0f64; 2 * n + 2];
    arena[..n].copy_from_slice(values);
    let base = arena.as_mut_ptr();
    let (input, output, overlapping) = match layout % 5 {
        // Separate arrays.
        0 => {
            let mut out = vec![f64::NAN; n];
            let rc = checked("batch", call(values.as_ptr(), n, out.as_mut_ptr()), &[]);
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
    let rc = checked("batch", call(input, n, output), &[]);
    if overlapping {
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT, "overlapping arrays accepted");
    }
    if n > 0 && (input.is_null() || output.is_null()) {
        assert!(rc == ILSP_ERR_NULL || rc == ILSP_ERR_INVALID_ARGUMENT);
    }
    if rc != ILSP_OK {
        assert_eq!(
            bits(&arena[..n]),
            bits(values),
            "the array changed on failure"
        );
    }
}
