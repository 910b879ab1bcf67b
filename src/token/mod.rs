//! Patron-ID tokenization and export masking.
//!
//! ILS pipelines replace patron IDs with keyed pseudonyms before data leaves
//! the trusted system. This module provides:
//!
//! - [`key`](crate::token::key): [`key::SecretKey`](crate::token::key::SecretKey) (≥ 32 bytes from bytes, a file, an
//!   environment variable or the OS; wiped on drop; HKDF-SHA256 derivation
//!   per tenant and purpose) and [`key::KeyId`](crate::token::key::KeyId).
//! - [`tokenizer`](crate::token::tokenizer): [`tokenizer::Tokenizer`](crate::token::tokenizer::Tokenizer), a key ring producing
//!   compatibility tokens (identical to Python's
//!   `hmac.new(key, id, hashlib.sha256).hexdigest()`) and versioned tokens
//!   `v1.<key id>.<body>`, in batches, with rotation helpers and
//!   constant-time verification and lookup. [`format`](crate::token::format) defines the token
//!   kinds and body formats, [`normalize`](crate::token::normalize) the optional per-field input
//!   normalisation.
//! - [`epoch`](crate::token::epoch): key epochs in a ring file, and
//!   crypto-shredding by retiring an epoch.
//! - [`hmac`](crate::token::hmac): HMAC-SHA256 with the pad states computed once per key (two
//!   SHA-256 compressions per short ID), [`encode`](crate::token::encode): hex and base32.
//! - [`mask`](crate::token::mask): e-mail, date, age, postcode and address masking;
//!   [`suppress`](crate::token::suppress): small-cell suppression of count tables with complementary
//!   suppression; [`record`](crate::token::record): export schemas that mask records or quarantine
//!   them with reasons naming fields, never values.
//!
//! # Example
//!
//! ```
//! use ilsprivacy::token::key::SecretKey;
//! use ilsprivacy::token::tokenizer::Tokenizer;
//!
//! let key = SecretKey::from_bytes(b"library-pipeline-key-0123456789!")?;
//! let t = Tokenizer::from_key(&key);
//! assert_eq!(
//!     t.tokenize("21234000123456"),
//!     "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24"
//! );
//! assert_eq!(t.tokenize_versioned("21234000123456")?, "v1.k1.qyhwmumgr5qp4dovv5mrp7doie");
//! # Ok::<(), ilsprivacy::Error>(())
//! ```
//!
//! # Side channels
//!
//! The HMAC (SHA-NI or `sha2`'s portable code) and the hex and base32
//! encoders take time independent of the data; token comparisons in
//! [`tokenizer::Tokenizer::verify`](crate::token::tokenizer::Tokenizer::verify) and [`tokenizer::Tokenizer::lookup`](crate::token::tokenizer::Tokenizer::lookup) are
//! constant-time in the tokens' content. Time does depend on an ID's length,
//! on normalisation (which inspects characters) and on UTF-8 validation, and
//! the structure of a token (its prefix, key id and length) is parsed in
//! variable time: none of these is secret. Key state is wiped when dropped,
//! but copies the compiler makes on the stack during a computation are not
//! (a limit of `zeroize` shared by all Rust code).

pub mod encode;
pub mod epoch;
pub mod format;
pub mod hmac;
pub mod key;
pub mod mask;
pub mod normalize;
pub mod record;
pub(crate) mod sha256_lanes;
pub mod suppress;
pub mod tokenizer;
