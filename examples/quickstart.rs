//! A first run of the library: clamp a column of checkout counts into the
//! bounds a mechanism will be calibrated to, and draw from the secure RNG.
//!
//! Run with `cargo run --release --example quickstart`.

use ilsprivacy::bound::clamp;
use ilsprivacy::rng::{NoiseRng, with_secure_rng};

fn main() -> Result<(), ilsprivacy::Error> {
    let checkouts_per_patron = [0.0, 3.0, 12.0, 250.0, f64::INFINITY, 7.0];
    let (lo, hi) = (0.0, 20.0);
    println!(
        "clamping {} per-patron checkout counts to [{lo}, {hi}]:",
        checkouts_per_patron.len()
    );
    let mut total = 0.0;
    for x in checkouts_per_patron {
        let c = clamp(x, lo, hi)?;
        total += c;
        println!("  {x:>8} -> {c}");
    }
    // An exact total is an input to a mechanism, not something to publish.
    println!(
        "clamped total (exact: add noise before publishing it): {total}; one patron moves it by at most {hi}"
    );

    // Bad input is a typed error with a message naming the parameter.
    match clamp(1.0, 5.0, 2.0) {
        Err(e) => println!("bad bounds rejected: {e} (status {})", e.status()),
        Ok(_) => unreachable!("lo > hi is rejected"),
    }

    let draw = with_secure_rng(|rng| rng.next_u64())?;
    println!("a draw from this thread's OS-seeded ChaCha12 generator: {draw:#018x}");
    Ok(())
}
