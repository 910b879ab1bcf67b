//! The tokenizer: a key ring and every token computation over it.
//!
//! A [`Tokenizer`] holds up to [`MAX_KEYS`] keys, each named by a [`KeyId`];
//! exactly one is **active** (new tokens use it unless a call names another).
//! Every key in the ring is **live**: it can produce tokens and verify them.
//! Retiring a key removes it and wipes its state; tokens made with it can no
//! longer be produced or verified (crypto-shredding).
//!
//! # Keys used for each kind of token
//!
//! For a ring key `K` named `kid`:
//!
//! - compatibility tokens use `K` itself: `hex(HMAC-SHA256(K, id))`;
//! - versioned tokens use `K_v1 = HKDF-SHA256(salt = none, IKM = K, info, 32)`
//!   with `info = "ilsprivacy/v1/token-key" || 0x00 || u16be(len(kid)) || kid`,
//!   and the body is the leftmost `bits` of `HMAC-SHA256(K_v1, id)`.
//!
//! Binding the key id into `K_v1` separates the two kinds (a versioned body is
//! not a prefix of the compatibility token of the same ID) and makes two ring
//! entries with the same material still produce unrelated tokens.
//!
//! # Rotation
//!
//! 1. [`Tokenizer::add_key`] the new key (it is live, not active).
//! 2. During the transition window, [`Tokenizer::tokenize_all`] gives an ID's
//!    token under every live key, so downstream systems can match either.
//! 3. [`Tokenizer::bridge`] maps old tokens to new ones from the raw IDs still
//!    at hand (active patrons), for re-keying the warehouse.
//! 4. [`Tokenizer::activate`] the new key.
//! 5. [`Tokenizer::retire`] the old one once nothing needs it.
//!
//! HMAC tokens are one-way, so a token cannot be re-keyed without its raw ID:
//! patrons absent from the bridge keep their old tokens, unlinkable to new
//! ones once the old key is retired. That is sometimes the point (periodic
//! unlinkability) and sometimes a cost; choose the window accordingly.
//!
//! # Cost
//!
//! Each key's HMAC pad states are computed once ([`HmacSha256Key`]); an ID of
//! up to 55 bytes costs two SHA-256 compressions. Batches hash four IDs side
//! by side (see `sha256_lanes`).

use std::borrow::Cow;
use std::fmt;

use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::error::{Error, Result, try_with_capacity};
use crate::token::encode::{base32_into, hex_into};
use crate::token::format::{BodyEncoding, TokenFormat, TokenKind};
use crate::token::hmac::{HmacSha256Key, SHORT_MESSAGE_MAX, TAG_LEN};
use crate::token::key::{KeyId, SecretKey, hkdf_sha256};
use crate::token::normalize::Normalization;

/// The most keys a ring holds at once.
pub const MAX_KEYS: usize = 16;

/// The key id [`Tokenizer::from_key`] gives its only key.
pub const DEFAULT_KEY_ID: &str = "k1";

/// Length of a compatibility token: 64 hex characters.
pub const COMPAT_TOKEN_LEN: usize = 2 * TAG_LEN;

/// Domain-separation prefix of the versioned-token key derivation's `info`.
const V1_KEY_INFO_PREFIX: &[u8] = b"ilsprivacy/v1/token-key\0";

/// Prefix of versioned tokens.
const V1_PREFIX: &str = "v1.";

/// Domain-separation prefix of address tokens' HMAC input.
const ADDRESS_PREFIX: &[u8] = b"address\0";

/// IDs hashed side by side in batches.
const LANES: usize = 4;

/// One key of the ring with its prepared HMAC states.
struct RingKey {
    id: KeyId,
    compat: HmacSha256Key,
    v1: HmacSha256Key,
}

impl RingKey {
    fn new(id: KeyId, key: &SecretKey) -> Box<RingKey> {
        let mut info = Zeroizing::new(Vec::with_capacity(
            V1_KEY_INFO_PREFIX.len() + 2 + id.as_str().len(),
        ));
        info.extend_from_slice(V1_KEY_INFO_PREFIX);
        // KeyId::MAX_LEN (32) fits in a u16.
        info.extend_from_slice(&(id.as_str().len() as u16).to_be_bytes());
        info.extend_from_slice(id.as_str().as_bytes());
        let v1_key = hkdf_sha256(key.expose(), &info);
        Box::new(RingKey {
            compat: HmacSha256Key::new(key.expose()),
            v1: HmacSha256Key::new(v1_key.as_ref()),
            id,
        })
    }
}

/// What to tokenize with: the kind of token, the key (the active one when
/// `key_id` is `None`) and the normalisation applied to each ID first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSpec<'a> {
    /// Compatibility or versioned.
    pub kind: TokenKind,
    /// The ring key to use; `None` for the active key.
    pub key_id: Option<&'a str>,
    /// Steps applied to each ID before hashing.
    pub normalization: Normalization,
}

impl TokenSpec<'static> {
    /// Compatibility tokens, active key, no normalisation.
    pub const COMPAT: TokenSpec<'static> = TokenSpec {
        kind: TokenKind::Compat,
        key_id: None,
        normalization: Normalization::NONE,
    };
    /// Versioned tokens, active key, no normalisation.
    pub const V1: TokenSpec<'static> = TokenSpec {
        kind: TokenKind::V1,
        key_id: None,
        normalization: Normalization::NONE,
    };
}

impl<'a> TokenSpec<'a> {
    /// The same spec under the ring key `key_id`.
    pub fn under(self, key_id: &'a str) -> TokenSpec<'a> {
        TokenSpec {
            key_id: Some(key_id),
            ..self
        }
    }

    /// The same spec with `normalization`.
    pub fn normalized(self, normalization: Normalization) -> TokenSpec<'a> {
        TokenSpec {
            normalization,
            ..self
        }
    }
}

/// One row of a rotation bridge: an ID's token under the old key and under the new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeRow {
    /// The token under the old key and format.
    pub old: String,
    /// The token under the new key and format.
    pub new: String,
}

/// A key ring and a versioned-token format; produces, verifies and looks up tokens.
///
/// Holds no key bytes, only each key's prepared HMAC states, which are wiped
/// when a key is retired or the tokenizer dropped. `Debug` shows key ids and
/// the format only. All methods taking `&self` may run concurrently.
pub struct Tokenizer {
    // Boxed so that removing a key moves pointers, never key state (a moved
    // value leaves a copy behind that no destructor wipes).
    #[expect(clippy::vec_box, reason = "keeps key state at a fixed address")]
    keys: Vec<Box<RingKey>>,
    active: usize,
    format: TokenFormat,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field(
                "keys",
                &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .field("active", &self.keys[self.active].id.as_str())
            .field("format", &self.format)
            .finish()
    }
}

/// A spec resolved against the ring.
struct Prepared<'t> {
    mac: &'t HmacSha256Key,
    /// `"v1.<kid>."` for versioned tokens, empty for compatibility tokens.
    prefix: String,
    kind: TokenKind,
    format: TokenFormat,
    normalization: Normalization,
    width: usize,
}

impl Prepared<'_> {
    /// Writes the token of `tag` into `out` (exactly `self.width` bytes).
    #[inline]
    fn write(&self, tag: &[u8; TAG_LEN], out: &mut [u8]) {
        let (prefix, body) = out.split_at_mut(self.prefix.len());
        prefix.copy_from_slice(self.prefix.as_bytes());
        match self.kind {
            TokenKind::Compat => hex_into(tag, body),
            TokenKind::V1 => {
                let kept = &tag[..self.format.body_bytes()];
                match self.format.encoding() {
                    BodyEncoding::Hex => hex_into(kept, body),
                    BodyEncoding::Base32 => base32_into(kept, body),
                }
            }
        }
    }

    fn token_of(&self, message: &[u8]) -> String {
        let mut out = vec![0u8; self.width];
        self.write(&self.mac.mac(message), &mut out);
        ascii_string(out)
    }

    /// The normalised ID, rejecting an empty one for versioned tokens.
    fn normalize<'i>(
        &self,
        id: &'i str,
        what: impl FnOnce() -> (&'static str, String),
    ) -> Result<Cow<'i, str>> {
        let normalized = self.normalization.apply(id);
        if self.kind == TokenKind::V1 && normalized.is_empty() {
            let (param, subject) = what();
            let after = if id.is_empty() {
                ""
            } else {
                " (it is empty after normalization)"
            };
            return Err(Error::invalid(
                param,
                format!("{subject}must not be empty for a versioned token{after}"),
            ));
        }
        Ok(normalized)
    }
}

/// Token text is ASCII by construction (a key id, hex or base32).
fn ascii_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| unreachable!("token text is ASCII: {e}"))
}

impl Tokenizer {
    /// A tokenizer whose ring holds `key` under `key_id`, active, with the
    /// default versioned format ([`TokenFormat::default`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a malformed `key_id`.
    pub fn new(key_id: &str, key: &SecretKey) -> Result<Tokenizer> {
        let mut keys = Vec::with_capacity(MAX_KEYS);
        keys.push(RingKey::new(KeyId::new(key_id)?, key));
        Ok(Tokenizer {
            keys,
            active: 0,
            format: TokenFormat::default(),
        })
    }

    /// A tokenizer whose only key is `key`, named [`DEFAULT_KEY_ID`].
    pub fn from_key(key: &SecretKey) -> Tokenizer {
        let mut keys = Vec::with_capacity(MAX_KEYS);
        let id = KeyId::new(DEFAULT_KEY_ID).unwrap_or_else(|e| unreachable!("{e}"));
        keys.push(RingKey::new(id, key));
        Tokenizer {
            keys,
            active: 0,
            format: TokenFormat::default(),
        }
    }

    /// The same tokenizer with versioned tokens written in `format`.
    pub fn with_format(mut self, format: TokenFormat) -> Tokenizer {
        self.format = format;
        self
    }

    /// Sets the format of versioned tokens.
    pub fn set_format(&mut self, format: TokenFormat) {
        self.format = format;
    }

    /// The format of versioned tokens.
    pub fn format(&self) -> TokenFormat {
        self.format
    }

    // ----- key ring -------------------------------------------------------

    /// Adds `key` to the ring under `key_id`, live but not active.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`key_id`) if the id is malformed, already
    /// in the ring, or the ring is full.
    pub fn add_key(&mut self, key_id: &str, key: &SecretKey) -> Result<()> {
        let id = KeyId::new(key_id)?;
        if self.position(&id).is_some() {
            return Err(Error::invalid("key_id", "is already in the ring"));
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(Error::invalid(
                "key_id",
                format!(
                    "cannot be added: the ring already holds {MAX_KEYS} keys; retire one first"
                ),
            ));
        }
        self.keys.push(RingKey::new(id, key));
        Ok(())
    }

    /// Makes the ring key `key_id` the active one.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if no such key is in the ring.
    pub fn activate(&mut self, key_id: &str) -> Result<()> {
        self.active = self.find(key_id)?;
        Ok(())
    }

    /// Removes the ring key `key_id` and wipes its state.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] if no such key is in the ring; [`Error::InvalidArgument`]
    /// if it is the active key (activate another first).
    pub fn retire(&mut self, key_id: &str) -> Result<()> {
        let i = self.find(key_id)?;
        if i == self.active {
            return Err(Error::invalid(
                "key_id",
                "is the active key; activate another key before retiring it",
            ));
        }
        drop(self.keys.remove(i));
        if i < self.active {
            self.active -= 1;
        }
        Ok(())
    }

    /// The active key's id.
    pub fn active_key_id(&self) -> &KeyId {
        &self.keys[self.active].id
    }

    /// The ids of the live keys, in the order they were added.
    pub fn key_ids(&self) -> impl ExactSizeIterator<Item = &KeyId> {
        self.keys.iter().map(|k| &k.id)
    }

    fn position(&self, id: &KeyId) -> Option<usize> {
        self.keys.iter().position(|k| &k.id == id)
    }

    fn find(&self, key_id: &str) -> Result<usize> {
        self.keys
            .iter()
            .position(|k| k.id.as_str() == key_id)
            .ok_or_else(|| unknown_key(key_id))
    }

    fn prepare(&self, spec: TokenSpec<'_>) -> Result<Prepared<'_>> {
        let key = match spec.key_id {
            None => &self.keys[self.active],
            Some(id) => &self.keys[self.find(id)?],
        };
        let (mac, prefix) = match spec.kind {
            TokenKind::Compat => (&key.compat, String::new()),
            TokenKind::V1 => (&key.v1, format!("{V1_PREFIX}{}.", key.id)),
        };
        let body = match spec.kind {
            TokenKind::Compat => COMPAT_TOKEN_LEN,
            TokenKind::V1 => self.format.body_len(),
        };
        Ok(Prepared {
            mac,
            width: prefix.len() + body,
            prefix,
            kind: spec.kind,
            format: self.format,
            normalization: spec.normalization,
        })
    }

    // ----- single tokens --------------------------------------------------

    /// The compatibility token of `id` under the active key: the lowercase
    /// hex of `HMAC-SHA256(key, id)`, identical to Python's
    /// `hmac.new(key, id.encode(), hashlib.sha256).hexdigest()`. Any string,
    /// the empty one included, has a token.
    pub fn tokenize(&self, id: &str) -> String {
        let mut out = [0u8; COMPAT_TOKEN_LEN];
        self.tokenize_to(id, &mut out);
        ascii_string(out.to_vec())
    }

    /// [`Tokenizer::tokenize`] into a caller's buffer, without allocating.
    pub fn tokenize_to(&self, id: &str, out: &mut [u8; COMPAT_TOKEN_LEN]) {
        hex_into(&self.keys[self.active].compat.mac(id.as_bytes()), out);
    }

    /// The versioned token `v1.<active key id>.<body>` of `id`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`id`) if `id` is empty.
    pub fn tokenize_versioned(&self, id: &str) -> Result<String> {
        self.tokenize_with(TokenSpec::V1, id)
    }

    /// The token of `id` as `spec` says.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] for an unknown key id; [`Error::InvalidArgument`] (`id`)
    /// if a versioned token is asked for an ID that is empty (after normalisation).
    pub fn tokenize_with(&self, spec: TokenSpec<'_>, id: &str) -> Result<String> {
        let p = self.prepare(spec)?;
        let id = p.normalize(id, || ("id", String::new()))?;
        Ok(p.token_of(id.as_bytes()))
    }

    /// The length in bytes of every token `spec` produces.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] for an unknown key id.
    pub fn token_len(&self, spec: TokenSpec<'_>) -> Result<usize> {
        Ok(self.prepare(spec)?.width)
    }

    /// The versioned token (active key) of a postal address, after
    /// [`crate::token::mask::canonical_address`]; the HMAC input is
    /// `"address" || 0x00 || canonical address`, so an address token never
    /// equals the token of an ID with the same text.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`address`) if it has no letter or digit
    /// or is longer than [`crate::token::mask::MAX_TEXT_LEN`] bytes.
    pub fn tokenize_address(&self, address: &str) -> Result<String> {
        crate::token::mask::check_text_len("address", address)?;
        let canonical = crate::token::mask::canonical_address(address);
        if canonical.is_empty() {
            return Err(Error::invalid("address", "has no letter or digit"));
        }
        let p = self.prepare(TokenSpec::V1)?;
        let mut message =
            Zeroizing::new(Vec::with_capacity(ADDRESS_PREFIX.len() + canonical.len()));
        message.extend_from_slice(ADDRESS_PREFIX);
        message.extend_from_slice(canonical.as_bytes());
        Ok(p.token_of(&message))
    }

    // ----- batches --------------------------------------------------------

    /// Tokenizes every ID of a packed batch into `out`, token after token,
    /// each exactly [`Tokenizer::token_len`] bytes, no separators.
    ///
    /// ID `i` is `ids[offsets[i]..offsets[i + 1]]`, so `offsets` holds one more
    /// entry than there are IDs (an empty `offsets` is an empty batch). Returns
    /// the number of bytes written. Nothing is written unless every ID is valid.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] (`offsets`) if the offsets decrease or pass
    ///   the end of `ids`; (`ids`) if a versioned token is asked for an empty ID;
    /// - [`Error::Encoding`] (`ids`) if an ID is not UTF-8 (the message gives
    ///   the byte offset in `ids`, never the bytes);
    /// - [`Error::BufferTooSmall`] (`out`) if `out` is shorter than needed;
    /// - [`Error::Key`] for an unknown key id.
    pub fn tokenize_batch_into(
        &self,
        spec: TokenSpec<'_>,
        ids: &[u8],
        offsets: &[usize],
        out: &mut [u8],
    ) -> Result<usize> {
        let p = self.prepare(spec)?;
        let n = offsets.len().saturating_sub(1);
        for (i, pair) in offsets.windows(2).enumerate() {
            if pair[0] > pair[1] || pair[1] > ids.len() {
                return Err(Error::invalid(
                    "offsets",
                    format!(
                        "must be non-decreasing and at most ids_len ({}): offsets[{i}] = {}, offsets[{}] = {}",
                        ids.len(),
                        pair[0],
                        i + 1,
                        pair[1]
                    ),
                ));
            }
        }
        let needed = n
            .checked_mul(p.width)
            .ok_or_else(|| Error::invalid("n", "is too large"))?;
        if out.len() < needed {
            return Err(Error::BufferTooSmall {
                param: "out",
                needed,
                capacity: out.len(),
            });
        }
        let id_bytes = |i: usize| &ids[offsets[i]..offsets[i + 1]];
        let utf8 = |pair: &[usize]| {
            std::str::from_utf8(&ids[pair[0]..pair[1]]).map_err(|e| Error::Encoding {
                param: "ids",
                offset: pair[0] + e.valid_up_to(),
            })
        };
        // ASCII text is UTF-8 however it is cut: one check covers every ID.
        let ascii = ids.is_ascii();
        // Working memory sized by the caller's count: reserved fallibly.
        let mut texts = try_with_capacity(if p.normalization.is_none() { 0 } else { n }, "n")?;
        for (i, pair) in offsets.windows(2).enumerate() {
            if p.normalization.is_none() {
                if !ascii {
                    utf8(pair)?;
                }
                if p.kind == TokenKind::V1 && pair[0] == pair[1] {
                    p.normalize("", || ("ids", format!("entry {i} ")))?;
                }
            } else {
                texts.push(p.normalize(utf8(pair)?, || ("ids", format!("entry {i} ")))?);
            }
        }
        let out = &mut out[..needed];
        if p.normalization.is_none() {
            mac_all(p.mac, n, id_bytes, |i, tag| {
                p.write(tag, &mut out[i * p.width..(i + 1) * p.width])
            });
        } else {
            mac_all(
                p.mac,
                n,
                |i| texts[i].as_bytes(),
                |i, tag| p.write(tag, &mut out[i * p.width..(i + 1) * p.width]),
            );
        }
        Ok(needed)
    }

    /// The tokens of `ids` as `spec` says (the batch path, four IDs hashed at once).
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::tokenize_with`], naming the entry.
    pub fn tokenize_many<S: AsRef<str>>(
        &self,
        spec: TokenSpec<'_>,
        ids: &[S],
    ) -> Result<Vec<String>> {
        let p = self.prepare(spec)?;
        let texts = ids
            .iter()
            .enumerate()
            .map(|(i, id)| p.normalize(id.as_ref(), || ("ids", format!("entry {i} "))))
            .collect::<Result<Vec<_>>>()?;
        let mut out = vec![0u8; texts.len() * p.width];
        mac_all(
            p.mac,
            texts.len(),
            |i| texts[i].as_bytes(),
            |i, tag| p.write(tag, &mut out[i * p.width..(i + 1) * p.width]),
        );
        Ok(out
            .chunks_exact(p.width)
            .map(|t| ascii_string(t.to_vec()))
            .collect())
    }

    /// The token of `id` under every live key (transition window), in ring order.
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::tokenize_with`].
    pub fn tokenize_all(
        &self,
        kind: TokenKind,
        normalization: Normalization,
        id: &str,
    ) -> Result<Vec<(KeyId, String)>> {
        self.keys
            .iter()
            .map(|k| {
                let spec = TokenSpec {
                    kind,
                    key_id: Some(k.id.as_str()),
                    normalization,
                };
                Ok((k.id.clone(), self.tokenize_with(spec, id)?))
            })
            .collect()
    }

    /// Old-token → new-token rows for `ids`: each ID tokenized as `from` says
    /// and as `to` says, for re-keying stored data during a rotation.
    ///
    /// # Errors
    ///
    /// As [`Tokenizer::tokenize_many`].
    pub fn bridge<S: AsRef<str>>(
        &self,
        from: TokenSpec<'_>,
        to: TokenSpec<'_>,
        ids: &[S],
    ) -> Result<Vec<BridgeRow>> {
        let old = self.tokenize_many(from, ids)?;
        let new = self.tokenize_many(to, ids)?;
        Ok(old
            .into_iter()
            .zip(new)
            .map(|(old, new)| BridgeRow { old, new })
            .collect())
    }

    // ----- verification ---------------------------------------------------

    /// Whether `token` is the token of `id` (after `normalization`) under a
    /// live key: a versioned token is checked against the key it names, a
    /// compatibility token against every live key. The comparison is
    /// constant-time in the token's content.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`token`) if `token` is neither
    /// `v1.<key id>.<body>` nor 64 hex characters; [`Error::Key`] if it names a
    /// key that is not in the ring (for example a retired one);
    /// [`Error::InvalidArgument`] (`id`) for an empty ID with a versioned token.
    pub fn verify(&self, token: &str, normalization: Normalization, id: &str) -> Result<bool> {
        match parse(token) {
            Parsed::V1(kid) => {
                if self.keys.iter().all(|k| k.id.as_str() != kid) {
                    return Err(unknown_token_key(kid));
                }
                let spec = TokenSpec {
                    kind: TokenKind::V1,
                    key_id: Some(kid),
                    normalization,
                };
                let expected = self.tokenize_with(spec, id)?;
                Ok(bool::from(expected.as_bytes().ct_eq(token.as_bytes())))
            }
            Parsed::Compat => {
                let id = normalization.apply(id);
                let mut matched = subtle::Choice::from(0);
                for k in &self.keys {
                    let mut expected = [0u8; COMPAT_TOKEN_LEN];
                    hex_into(&k.compat.mac(id.as_bytes()), &mut expected);
                    matched |= expected.ct_eq(token.as_bytes());
                }
                Ok(bool::from(matched))
            }
            Parsed::Malformed => Err(Error::invalid(
                "token",
                "is neither a v1 token (v1.<key id>.<body>) nor a 64-character compatibility token",
            )),
        }
    }

    /// The position of the first of `tokens` that is a token of `id` (after
    /// `normalization`) under a live key, or `None`.
    ///
    /// Every entry is compared, in constant time, against the ID's token
    /// under the key it names (compatibility entries: under every live key),
    /// and the answer is selected without branching on the comparisons.
    /// Entries that are malformed or name a key outside the ring never match.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`id`) if `id` is empty (after
    /// normalisation) and some entry is a versioned token.
    pub fn lookup<S: AsRef<str>>(
        &self,
        tokens: &[S],
        normalization: Normalization,
        id: &str,
    ) -> Result<Option<usize>> {
        let mut v1: Vec<Option<String>> = vec![None; self.keys.len()];
        let compat = self
            .keys
            .iter()
            .map(|k| {
                let mut t = [0u8; COMPAT_TOKEN_LEN];
                hex_into(&k.compat.mac(normalization.apply(id).as_bytes()), &mut t);
                t
            })
            .collect::<Vec<_>>();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, token) in tokens.iter().enumerate() {
            let text = token.as_ref();
            let token = text.as_bytes();
            let mut hit = subtle::Choice::from(0);
            match parse(text) {
                Parsed::V1(kid) => {
                    if let Some(k) = self.keys.iter().position(|k| k.id.as_str() == kid) {
                        if v1[k].is_none() {
                            let spec = TokenSpec {
                                kind: TokenKind::V1,
                                key_id: Some(kid),
                                normalization,
                            };
                            v1[k] = Some(self.tokenize_with(spec, id)?);
                        }
                        if let Some(expected) = &v1[k] {
                            hit = expected.as_bytes().ct_eq(token);
                        }
                    }
                }
                Parsed::Compat => {
                    for expected in &compat {
                        hit |= expected.ct_eq(token);
                    }
                }
                Parsed::Malformed => {}
            }
            let first = hit & !found;
            index.conditional_assign(&(i as u64), first);
            found |= hit;
        }
        Ok(bool::from(found).then_some(index as usize))
    }
}

/// The error for a key id that names no ring key. The id is never shown, only
/// its length: a caller may pass an identifier where a key id goes, and a
/// token's key id is untrusted input (even a well-formed one can be a
/// patron barcode).
fn unknown_key(key_id: &str) -> Error {
    Error::Key(format!(
        "unknown key id: key_id ({} bytes) names no key in the ring",
        key_id.len()
    ))
}

/// [`unknown_key`] for the key id a token names.
fn unknown_token_key(key_id: &str) -> Error {
    Error::Key(format!(
        "unknown key id: token names a key ({} bytes) that is not in the ring",
        key_id.len()
    ))
}

enum Parsed<'a> {
    V1(&'a str),
    Compat,
    Malformed,
}

/// Classifies a token by its public structure (prefix, key id, length).
fn parse(token: &str) -> Parsed<'_> {
    if let Some(rest) = token.strip_prefix(V1_PREFIX) {
        if let Some((kid, body)) = rest.split_once('.')
            && KeyId::new(kid).is_ok()
            && !body.is_empty()
        {
            return Parsed::V1(kid);
        }
        return Parsed::Malformed;
    }
    if token.len() == COMPAT_TOKEN_LEN && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        Parsed::Compat
    } else {
        Parsed::Malformed
    }
}

/// MACs `n` messages, passing each tag to `emit` with its index. Messages of
/// up to 55 bytes are hashed [`LANES`] at a time; longer ones one by one.
fn mac_all<'m>(
    mac: &HmacSha256Key,
    n: usize,
    message: impl Fn(usize) -> &'m [u8],
    mut emit: impl FnMut(usize, &[u8; TAG_LEN]),
) {
    let mut pending: [(usize, &[u8]); LANES] = [(0, &[]); LANES];
    let mut count = 0;
    for i in 0..n {
        let m = message(i);
        if m.len() > SHORT_MESSAGE_MAX {
            emit(i, &mac.mac(m));
            continue;
        }
        pending[count] = (i, m);
        count += 1;
        if count == LANES {
            let tags = mac.mac_short_lanes(pending.map(|(_, m)| m));
            for ((j, _), words) in pending.iter().zip(&tags) {
                emit(*j, &tag_bytes(words));
            }
            count = 0;
        }
    }
    for &(j, m) in &pending[..count] {
        emit(j, &mac.mac(m));
    }
}

#[inline]
fn tag_bytes(words: &[u32; 8]) -> [u8; TAG_LEN] {
    let mut tag = [0u8; TAG_LEN];
    for (chunk, word) in tag.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    tag
}
