//! Where the samplers take their random 64-bit words from.
//!
//! [`Direct`] reads each word from a [`NoiseRng`], whose keystream buffer
//! makes a word a load and an index check. Tests count words through the
//! same trait to check that a sampler's work does not depend on its output.

use crate::rng::NoiseRng;

/// A source of uniformly random 64-bit words.
pub(crate) trait WordSource {
    /// The next word.
    fn word(&mut self) -> u64;
}

/// An exact sampler of integer noise that reads its bits from a
/// [`WordSource`]: what the mechanisms add to a value.
pub(crate) trait WordSampler {
    /// One exact draw.
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128;
}

/// Each word straight from the generator.
pub(crate) struct Direct<'a, R: ?Sized>(pub(crate) &'a mut R);

impl<R: NoiseRng + ?Sized> WordSource for Direct<'_, R> {
    #[inline(always)]
    fn word(&mut self) -> u64 {
        self.0.next_u64()
    }
}
