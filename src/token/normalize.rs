//! Optional input normalisation before tokenizing, declared per field.
//!
//! The same patron appears as `" 21234000123456"`, `"21234-00123-456"` or
//! `"21234 00123 456"` depending on the system that exported the row; without
//! normalisation each spelling gets its own token and joins silently fail.
//! A [`Normalization`] says which of three steps run, in this order:
//!
//! 1. **trim**: remove leading and trailing Unicode whitespace;
//! 2. **case fold**: Unicode lowercase mapping (Rust's `str::to_lowercase`,
//!    which handles final sigma and multi-character mappings such as `İ`);
//!    it is not full Unicode case folding (`ß` stays `ß`, not `ss`);
//! 3. **strip separators**: remove every whitespace character and the
//!    separators barcode scanners and people insert: `-` `.` `_` `/` `:` and
//!    the Unicode dashes U+2010–U+2015 and U+2212.
//!
//! No Unicode normalisation (NFC/NFKC) is applied: IDs that differ only in
//! composed versus decomposed accents get different tokens. Normalise to NFC
//! before calling if your sources disagree.
//!
//! ```
//! use ilsprivacy::token::normalize::Normalization;
//!
//! assert_eq!(Normalization::BARCODE.apply(" 21234-00123-456 "), "2123400123456");
//! assert_eq!(Normalization::from_bits(1).unwrap().apply("  A-1 "), "A-1"); // trim only
//! assert_eq!(Normalization::NONE.apply(" x "), " x ");
//! ```

use std::borrow::Cow;

/// Which normalisation steps run on an identifier before it is tokenized.
///
/// The C ABI passes the same set as a bit mask: trim = 1, case fold = 2,
/// strip separators = 4 ([`Normalization::from_bits`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Normalization {
    /// Remove leading and trailing whitespace.
    pub trim: bool,
    /// Map to Unicode lowercase.
    pub case_fold: bool,
    /// Remove whitespace and barcode separators everywhere.
    pub strip_separators: bool,
}

impl Normalization {
    /// No normalisation: the identifier is tokenized byte for byte (what
    /// compatibility tokens always do).
    pub const NONE: Normalization = Normalization {
        trim: false,
        case_fold: false,
        strip_separators: false,
    };

    /// Bit of [`Normalization::trim`] in the C mask.
    pub const TRIM_BIT: u32 = 1;
    /// Bit of [`Normalization::case_fold`] in the C mask.
    pub const CASE_FOLD_BIT: u32 = 2;
    /// Bit of [`Normalization::strip_separators`] in the C mask.
    pub const STRIP_SEPARATORS_BIT: u32 = 4;

    /// Library barcodes: trim, case fold and strip separators.
    pub const BARCODE: Normalization = Normalization {
        trim: true,
        case_fold: true,
        strip_separators: true,
    };

    /// The set encoded by a C bit mask, or `None` if it has unknown bits.
    pub fn from_bits(bits: u32) -> Option<Normalization> {
        let known = Self::TRIM_BIT | Self::CASE_FOLD_BIT | Self::STRIP_SEPARATORS_BIT;
        (bits & !known == 0).then_some(Normalization {
            trim: bits & Self::TRIM_BIT != 0,
            case_fold: bits & Self::CASE_FOLD_BIT != 0,
            strip_separators: bits & Self::STRIP_SEPARATORS_BIT != 0,
        })
    }

    /// The C bit mask of this set.
    pub fn bits(self) -> u32 {
        (u32::from(self.trim) * Self::TRIM_BIT)
            | (u32::from(self.case_fold) * Self::CASE_FOLD_BIT)
            | (u32::from(self.strip_separators) * Self::STRIP_SEPARATORS_BIT)
    }

    /// Whether no step runs.
    pub fn is_none(self) -> bool {
        self == Self::NONE
    }

    /// Applies the steps to `id`; borrows when nothing changes.
    pub fn apply(self, id: &str) -> Cow<'_, str> {
        let mut s = Cow::Borrowed(id);
        if self.trim {
            let t = s.trim();
            if t.len() != s.len() {
                s = Cow::Owned(t.to_owned());
            }
        }
        if self.case_fold && s.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
            s = Cow::Owned(s.to_lowercase());
        }
        if self.strip_separators && s.chars().any(is_separator) {
            s = Cow::Owned(s.chars().filter(|&c| !is_separator(c)).collect());
        }
        s
    }
}

/// Whitespace and the separators found inside printed barcodes and IDs.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '_' | '/' | ':' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcode_spellings_converge() {
        let n = Normalization::BARCODE;
        let spellings = [
            "21234000123456",
            " 21234000123456\n",
            "21234-00012-3456",
            "21234 0001 23456",
            "21234\u{2013}000123456",
            "2.1234.000123456",
        ];
        for s in spellings {
            assert_eq!(n.apply(s), "21234000123456", "{s:?}");
        }
        assert_eq!(n.apply("AbC-12"), "abc12");
    }

    #[test]
    fn each_step_alone() {
        let trim = Normalization {
            trim: true,
            ..Normalization::NONE
        };
        assert_eq!(trim.apply("  a b  "), "a b");
        let fold = Normalization {
            case_fold: true,
            ..Normalization::NONE
        };
        assert_eq!(fold.apply(" ÅB "), " åb ");
        assert_eq!(fold.apply("ΟΔΟΣ"), "οδος");
        assert_eq!(fold.apply("Straße"), "straße");
        let strip = Normalization {
            strip_separators: true,
            ..Normalization::NONE
        };
        assert_eq!(strip.apply(" a-b_c/d:e.f "), "abcdef");
        assert_eq!(Normalization::NONE.apply(" A-b "), " A-b ");
    }

    #[test]
    fn unchanged_input_is_borrowed() {
        assert!(matches!(
            Normalization::BARCODE.apply("abc123"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bits_round_trip() {
        for bits in 0..8 {
            assert_eq!(Normalization::from_bits(bits).unwrap().bits(), bits);
        }
        assert_eq!(Normalization::from_bits(8), None);
        assert_eq!(Normalization::BARCODE.bits(), 7);
        assert!(Normalization::from_bits(0).unwrap().is_none());
    }
}
