//! The exact samplers as they were before the fixed-work rewrite, kept in
//! the test tree only as the counter-example of the timing tests (as
//! `tests/mechanism_float_attack.rs` keeps the naive float sampler): their
//! work depends on the value drawn. Copied unchanged except for imports;
//! the library does not use them.
#![allow(dead_code)]

use num_bigint::BigUint;

use ilsprivacy::rng::NoiseRng;

pub mod gaussian;
pub mod geometric;
pub mod laplace;
pub mod tables;

/// A source of uniformly random 64-bit words.
pub trait WordSource {
    /// The next word.
    fn word(&mut self) -> u64;
}

/// An exact sampler reading words from a [`WordSource`].
pub trait WordSampler {
    /// One exact draw.
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128;
}

/// Each word straight from the generator.
pub struct Direct<'a, R: ?Sized>(pub &'a mut R);

impl<R: NoiseRng + ?Sized> WordSource for Direct<'_, R> {
    fn word(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// `⌈a / 2^k⌉`.
pub fn ceil_shr(a: BigUint, k: u32) -> BigUint {
    let q = &a >> k;
    if (&q << k) == a { q } else { q + 1u32 }
}
