//! Patron-ID tokenization and export masking.

pub mod encode;
pub mod format;
pub mod hmac;
pub mod key;
pub mod mask;
pub mod normalize;
pub mod record;
pub(crate) mod sha256_lanes;
pub mod suppress;
pub mod tokenizer;
