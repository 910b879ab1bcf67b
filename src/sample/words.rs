//! Where the samplers take their random 64-bit words from.
//!
//! [`Direct`] asks the generator for each word; [`Buffered`] takes 32 words
//! (256 bytes, four ChaCha blocks) at a time, which batch releases use to cut
//! the per-word call overhead. Both read the same [`NoiseRng`] stream; words
//! left unused in a buffer are wiped when it is dropped.

use zeroize::Zeroize;

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
    #[inline]
    fn word(&mut self) -> u64 {
        self.0.next_u64()
    }
}

const WORDS: usize = 32;

/// Words from the generator, 32 at a time.
pub(crate) struct Buffered<'a, R: ?Sized> {
    rng: &'a mut R,
    bytes: [u8; WORDS * 8],
    next: usize,
}

impl<'a, R: NoiseRng + ?Sized> Buffered<'a, R> {
    /// An empty buffer over `rng`.
    pub(crate) fn new(rng: &'a mut R) -> Self {
        Buffered {
            rng,
            bytes: [0; WORDS * 8],
            next: WORDS,
        }
    }

    #[cold]
    fn refill(&mut self) {
        self.rng.fill_bytes(&mut self.bytes);
        self.next = 0;
    }
}

impl<R: NoiseRng + ?Sized> WordSource for Buffered<'_, R> {
    #[inline]
    fn word(&mut self) -> u64 {
        if self.next >= WORDS {
            self.refill();
        }
        let i = (self.next % WORDS) * 8;
        self.next += 1;
        let mut le = [0u8; 8];
        le.copy_from_slice(&self.bytes[i..i + 8]);
        u64::from_le_bytes(le)
    }
}

impl<R: ?Sized> Drop for Buffered<'_, R> {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;

    /// Buffered words are the generator's byte stream read as little-endian words.
    #[test]
    fn buffered_reads_the_same_stream() {
        let mut a = InsecureSeededRng::from_seed_insecure(9);
        let mut b = InsecureSeededRng::from_seed_insecure(9);
        let mut bytes = [0u8; 8 * 70];
        a.fill_bytes(&mut bytes);
        let mut buf = Buffered::new(&mut b);
        for chunk in bytes.chunks_exact(8) {
            assert_eq!(buf.word(), u64::from_le_bytes(chunk.try_into().unwrap()));
        }
        let mut d = Direct(&mut a);
        assert_ne!(d.word(), 0);
    }
}
