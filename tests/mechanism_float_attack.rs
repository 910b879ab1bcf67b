//! The floating-point attack on Laplace noise (Mironov 2012) is closed.
//!
//! For neighbouring inputs 0.0 and 1.0 (sensitivity 1, ε = 1), a textbook
//! sampler `value + b·ln(U)·sign` produces doubles whose low-order bits depend
//! on the input: outputs of one input are impossible for the other. Every
//! output of `ilsp_laplace` is a multiple of the same grid spacing
//! γ = 2^-40 for both inputs, so the set of possible outputs is the same.
//! The naive sampler is kept here as the counter-example: the same check
//! fails for it.

use ilsprivacy::ffi::ILSP_OK;
use ilsprivacy::ffi::mechanism::ilsp_laplace;
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};

/// The exponent of the largest power of two dividing `x` (finite, nonzero).
fn grid_exponent_of(x: f64) -> i32 {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = (bits & ((1 << 52) - 1)) | if exp == 0 { 0 } else { 1 << 52 };
    let e = if exp == 0 { -1074 } else { exp - 1075 };
    e + mantissa.trailing_zeros() as i32
}

/// The finest grid exponent among the nonzero outputs.
fn finest_grid(outputs: &[f64]) -> i32 {
    outputs
        .iter()
        .filter(|y| **y != 0.0)
        .map(|&y| grid_exponent_of(y))
        .min()
        .expect("nonzero outputs")
}

/// Every output of both inputs is a multiple of 2^-40: the two output sets
/// live on one grid, and no low-order bit can tell the inputs apart.
fn passes_grid_check(outputs_for_0: &[f64], outputs_for_1: &[f64]) -> bool {
    finest_grid(outputs_for_0) >= -40 && finest_grid(outputs_for_1) >= -40
}

/// The textbook sampler (as usually implemented): insecure, the counter-example.
fn naive_laplace(value: f64, scale: f64, rng: &mut InsecureSeededRng) -> f64 {
    let u = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let sign = if rng.next_u64() & 1 == 1 { 1.0 } else { -1.0 };
    value + sign * scale * u.ln()
}

#[test]
fn ilsp_laplace_outputs_share_one_grid_for_neighbouring_inputs() {
    let draw = |value: f64| -> Vec<f64> {
        (0..20_000)
            .map(|_| {
                let mut out = f64::NAN;
                assert_eq!(ilsp_laplace(value, 1.0, 1.0, &mut out), ILSP_OK);
                out
            })
            .collect()
    };
    let (a, b) = (draw(0.0), draw(1.0));
    assert!(passes_grid_check(&a, &b));
    // The grid is invisible at the noise scale: outputs use bits down to 2^-40.
    assert_eq!(finest_grid(&a).min(finest_grid(&b)), -40);
}

#[test]
fn the_naive_float_sampler_fails_the_same_check() {
    let mut rng = InsecureSeededRng::from_seed_insecure(2012);
    let a: Vec<f64> = (0..20_000)
        .map(|_| naive_laplace(0.0, 1.0, &mut rng))
        .collect();
    let b: Vec<f64> = (0..20_000)
        .map(|_| naive_laplace(1.0, 1.0, &mut rng))
        .collect();
    assert!(!passes_grid_check(&a, &b));
    // Concretely (Mironov's attack): input 0 yields outputs near 0 with bits
    // finer than any double 1 + x can have there, which reveals the input.
    let revealing = a
        .iter()
        .filter(|y| y.abs() < 0.5 && grid_exponent_of(**y) < -53)
        .count();
    assert!(revealing > 100, "{revealing}");
}
