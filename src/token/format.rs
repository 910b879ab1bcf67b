//! Token kinds and the text format of versioned tokens.
//!
//! Two kinds of token exist:
//!
//! - **Compatibility** ([`TokenKind::Compat`]): the 64-character lowercase hex
//!   of `HMAC-SHA256(key, id)`, byte-identical to Python's
//!   `hmac.new(key, id, hashlib.sha256).hexdigest()`. It does not say which
//!   key made it; it exists so that pipelines already keyed that way keep
//!   their warehouse joins.
//! - **Versioned** ([`TokenKind::V1`]): `v1.<key id>.<body>`, where the body
//!   is the leftmost `bits` of `HMAC-SHA256(K_v1, id)` in lowercase hex or
//!   unpadded lowercase base32, and `K_v1` is derived from the ring key and
//!   its key id (see [`crate::token::tokenizer`]). The key id says which key
//!   to verify with, so tokens from before and after a rotation can coexist.
//!
//! Truncation keeps the leftmost bytes (NIST SP 800-107r1 §5.3.3). With `n`
//! patrons, two of them share a `b`-bit body with probability about
//! `n² / 2^(b+1)`: for 10⁷ patrons that is 1.5 × 10⁻²⁵ at 128 bits, which is
//! why 128 is the floor here (64 bits would be 2.7 × 10⁻⁶, and 48 bits 16 %).

use crate::error::{Error, Result};
use crate::token::encode::{base32_len, hex_len};
use crate::token::hmac::TAG_LEN;

/// Which kind of token to produce or expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// 64 lowercase hex characters, `HMAC-SHA256(key, id)`; names no key.
    Compat,
    /// `v1.<key id>.<body>`.
    V1,
}

impl TokenKind {
    /// The kind for a C constant (`ILSP_TOKEN_COMPAT` = 0, `ILSP_TOKEN_V1` = 1).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `kind` for any other value.
    pub fn from_code(code: u32) -> Result<TokenKind> {
        match code {
            0 => Ok(TokenKind::Compat),
            1 => Ok(TokenKind::V1),
            _ => Err(Error::invalid(
                "kind",
                format!("must be ILSP_TOKEN_COMPAT (0) or ILSP_TOKEN_V1 (1), got {code}"),
            )),
        }
    }
}

/// The text encoding of a versioned token's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyEncoding {
    /// Lowercase hexadecimal: 2 characters per byte.
    Hex,
    /// Unpadded lowercase base32 (RFC 4648 alphabet): 8 characters per 5 bytes.
    Base32,
}

impl BodyEncoding {
    /// The encoding for a C constant (`ILSP_BODY_HEX` = 0, `ILSP_BODY_BASE32` = 1).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `encoding` for any other value.
    pub fn from_code(code: u32) -> Result<BodyEncoding> {
        match code {
            0 => Ok(BodyEncoding::Hex),
            1 => Ok(BodyEncoding::Base32),
            _ => Err(Error::invalid(
                "encoding",
                format!("must be ILSP_BODY_HEX (0) or ILSP_BODY_BASE32 (1), got {code}"),
            )),
        }
    }
}

/// How versioned token bodies are written: encoding and length in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenFormat {
    encoding: BodyEncoding,
    bits: u32,
}

impl Default for TokenFormat {
    /// Base32, 128 bits: `v1.<key id>.` followed by 26 characters.
    fn default() -> Self {
        TokenFormat {
            encoding: BodyEncoding::Base32,
            bits: 128,
        }
    }
}

impl TokenFormat {
    /// The shortest body, in bits.
    pub const MIN_BITS: u32 = 128;
    /// The longest body, in bits (the whole HMAC-SHA256 tag).
    pub const MAX_BITS: u32 = 256;

    /// A format with `bits` of HMAC output (a multiple of 8 from 128 to 256)
    /// written in `encoding`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `bits` otherwise.
    pub fn new(encoding: BodyEncoding, bits: u32) -> Result<TokenFormat> {
        if !(Self::MIN_BITS..=Self::MAX_BITS).contains(&bits) || !bits.is_multiple_of(8) {
            return Err(Error::invalid(
                "bits",
                format!(
                    "must be a multiple of 8 from {} to {}, got {bits}",
                    Self::MIN_BITS,
                    Self::MAX_BITS
                ),
            ));
        }
        Ok(TokenFormat { encoding, bits })
    }

    /// The body encoding.
    pub fn encoding(self) -> BodyEncoding {
        self.encoding
    }

    /// The body length in bits of HMAC output.
    pub fn bits(self) -> u32 {
        self.bits
    }

    /// The number of tag bytes kept.
    pub(crate) fn body_bytes(self) -> usize {
        debug_assert!(self.bits as usize / 8 <= TAG_LEN);
        self.bits as usize / 8
    }

    /// The body length in characters.
    pub fn body_len(self) -> usize {
        match self.encoding {
            BodyEncoding::Hex => hex_len(self.body_bytes()),
            BodyEncoding::Base32 => base32_len(self.body_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let d = TokenFormat::default();
        assert_eq!(
            (d.encoding(), d.bits(), d.body_len()),
            (BodyEncoding::Base32, 128, 26)
        );
        assert_eq!(
            TokenFormat::new(BodyEncoding::Hex, 256).unwrap().body_len(),
            64
        );
        assert_eq!(
            TokenFormat::new(BodyEncoding::Base32, 160)
                .unwrap()
                .body_len(),
            32
        );
        for bad in [0, 64, 120, 129, 264] {
            let e = TokenFormat::new(BodyEncoding::Hex, bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("bits must be a multiple of 8 from 128 to 256, got {bad}")
            );
        }
    }

    #[test]
    fn codes() {
        assert_eq!(TokenKind::from_code(0).unwrap(), TokenKind::Compat);
        assert_eq!(TokenKind::from_code(1).unwrap(), TokenKind::V1);
        assert!(TokenKind::from_code(2).is_err());
        assert_eq!(BodyEncoding::from_code(1).unwrap(), BodyEncoding::Base32);
        assert!(BodyEncoding::from_code(7).is_err());
    }
}
