//! Draws many exact Laplace samples (used to profile the sampler).
use ilsprivacy::rng::InsecureSeededRng;
use ilsprivacy::sample::{Rational, RoundedLaplaceSampler};
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let s = RoundedLaplaceSampler::new(&Rational::from_integer((1 << 40) + 1)).unwrap();
    let mut rng = InsecureSeededRng::from_seed_insecure(1);
    let mut acc = 0i128;
    for _ in 0..n {
        acc = acc.wrapping_add(s.sample(&mut rng));
    }
    println!("{acc}");
}
