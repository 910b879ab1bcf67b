//! Runs one noise path in a loop, for profilers (`perf stat`, `perf record`,
//! `valgrind --tool=callgrind`), and prints the thread CPU time per sample
//! on stderr.
//!
//! `cargo run --release --example profile_noise -- <path> [n]` with `<path>`
//! one of `laplace-sampler`, `gaussian-sampler`, `laplace-batch`,
//! `gaussian-batch`, `ilsp-laplace` (the single-value C entry point). Uses
//! the insecure seeded generator for the samplers and the secure one for the
//! mechanisms, as in production. The mechanisms are built before the timed
//! loop.
use ilsprivacy::mechanism::{Gaussian, Laplace};
use ilsprivacy::rng::InsecureSeededRng;
use ilsprivacy::sample::{DiscreteGaussianSampler, Rational, RoundedLaplaceSampler};

/// This thread's CPU time in seconds (not wall time: other processes on a
/// shared machine do not count).
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "laplace-sampler".into());
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let mut rng = InsecureSeededRng::from_seed_insecure(1);
    let mut acc = 0i128;
    let values: Vec<f64> = (0..10_000).map(|i| f64::from(i) * 0.37).collect();
    let mut out = vec![0.0; values.len()];
    let lap = Laplace::new(1.0, 1.0).unwrap();
    let gau = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6).unwrap();
    let rounded = RoundedLaplaceSampler::new(&Rational::from_integer((1 << 40) + 1)).unwrap();
    let gaussian = DiscreteGaussianSampler::new(&Rational::from_integer(3 << 40)).unwrap();
    let start = cpu_seconds();
    match path.as_str() {
        "laplace-sampler" => {
            for _ in 0..n {
                acc = acc.wrapping_add(rounded.sample(&mut rng));
            }
        }
        "gaussian-sampler" => {
            for _ in 0..n {
                acc = acc.wrapping_add(gaussian.sample(&mut rng));
            }
        }
        "laplace-batch" | "gaussian-batch" => {
            for _ in 0..n / values.len() {
                if path == "laplace-batch" {
                    lap.release_batch(&values, &mut out).unwrap();
                } else {
                    gau.release_batch(&values, &mut out).unwrap();
                }
                acc = acc.wrapping_add(out[7] as i128);
            }
        }
        "ilsp-laplace" => {
            let mut out = 0.0;
            for i in 0..n {
                let status = ilsprivacy::ffi::mechanism::ilsp_laplace(i as f64, 1.0, 1.0, &mut out);
                acc = acc.wrapping_add(i128::from(status) + out as i128);
            }
        }
        other => panic!("unknown path {other}"),
    }
    let ns = (cpu_seconds() - start) * 1e9 / n as f64;
    eprintln!("{path}: {ns:.2} ns per sample (thread CPU time, n = {n})");
    println!("{acc}");
}
