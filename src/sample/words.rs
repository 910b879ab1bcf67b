//! Where the samplers take their random 64-bit words from.
//!
//! [`Direct`] reads each word from a [`NoiseRng`]; [`Buffered`] copies 128
//! words (1 KiB) at a time from the same stream into a local buffer, so that
//! a batch release reads words from a register-held index, three at a time
//! with one bound check ([`WordSource::words3`]). Both hand out exactly the
//! generator's words, in order; words left in a buffer are wiped when it is
//! dropped. Tests count words through the same trait to check that a
//! sampler's work does not depend on its output.

use zeroize::Zeroize;

use crate::rng::NoiseRng;

/// A source of uniformly random 64-bit words.
pub(crate) trait WordSource {
    /// The next word.
    fn word(&mut self) -> u64;

    /// The next three words.
    #[inline(always)]
    fn words3(&mut self) -> [u64; 3] {
        [self.word(), self.word(), self.word()]
    }
}

/// An exact sampler of integer noise that reads its bits from a
/// [`WordSource`]: what the mechanisms add to a value.
pub(crate) trait WordSampler {
    /// One exact draw.
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128;

    /// Independent draws for `n` values: `put(i, x)` once for every `i < n`
    /// (in an order that does not depend on the values drawn).
    fn fill_words<W: WordSource + ?Sized>(
        &self,
        words: &mut W,
        n: usize,
        mut put: impl FnMut(usize, i128),
    ) {
        for i in 0..n {
            put(i, self.sample_words(words));
        }
    }
}

/// Each word straight from the generator.
pub(crate) struct Direct<'a, R: ?Sized>(pub(crate) &'a mut R);

impl<R: NoiseRng + ?Sized> WordSource for Direct<'_, R> {
    #[inline(always)]
    fn word(&mut self) -> u64 {
        self.0.next_u64()
    }
}

const WORDS: usize = 128;

/// Words from the generator, 128 at a time.
pub(crate) struct Buffered<'a, R: ?Sized> {
    rng: &'a mut R,
    buf: [u64; WORDS],
    next: usize,
}

impl<'a, R: NoiseRng + ?Sized> Buffered<'a, R> {
    /// An empty buffer over `rng`.
    pub(crate) fn new(rng: &'a mut R) -> Self {
        Buffered {
            rng,
            buf: [0; WORDS],
            next: WORDS,
        }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self) {
        self.rng.fill_u64(&mut self.buf);
        self.next = 0;
    }
}

impl<R: NoiseRng + ?Sized> WordSource for Buffered<'_, R> {
    #[inline(always)]
    fn word(&mut self) -> u64 {
        if self.next >= WORDS {
            self.refill();
        }
        let w = self.buf[self.next % WORDS];
        self.next += 1;
        w
    }

    #[inline(always)]
    fn words3(&mut self) -> [u64; 3] {
        match self.buf.get(self.next..self.next + 3) {
            Some(&[a, b, c]) => {
                self.next += 3;
                [a, b, c]
            }
            _ => [self.word(), self.word(), self.word()],
        }
    }
}

impl<R: ?Sized> Drop for Buffered<'_, R> {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;

    /// Buffered words, one or three at a time, are the generator's words.
    #[test]
    fn buffered_reads_the_same_stream() {
        let mut a = InsecureSeededRng::from_seed_insecure(9);
        let mut b = InsecureSeededRng::from_seed_insecure(9);
        let mut buf = Buffered::new(&mut b);
        for i in 0..700 {
            if i % 3 == 0 {
                let three = buf.words3();
                assert_eq!(three, [a.next_u64(), a.next_u64(), a.next_u64()]);
            } else {
                assert_eq!(buf.word(), a.next_u64());
            }
        }
        let mut d = Direct(&mut a);
        assert_ne!(d.words3(), [0; 3]);
    }
}
