//! Token formats: tokenizing, parsing, verifying and looking up untrusted
//! tokens and IDs, checked against each other.

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::token::format::{BodyEncoding, TokenFormat, TokenKind};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::normalize::Normalization;
use ilsprivacy::token::tokenizer::{TokenSpec, Tokenizer};

/// Key ids of the ring every input runs against.
pub const RING: [&str; 3] = ["k1", "2026a", "branch_7-x"];

#[derive(Arbitrary, Debug)]
struct Input {
    base32: bool,
    bits: u8,
    active: u8,
    normalization: u8,
    ids: Vec<String>,
    tokens: Vec<String>,
    /// Where to insert a real token of the first ID among `tokens`.
    plant: Option<(u8, u8, bool)>,
    address: String,
}

/// A tokenizer over [`RING`] (key `i` is 32 + `i` bytes of value `i + 1`).
pub fn ring(format: TokenFormat, active: usize) -> Tokenizer {
    let key = |i: usize| SecretKey::from_bytes(&vec![i as u8 + 1; 32 + i]).expect("a long key");
    let mut t = Tokenizer::new(RING[0], &key(0)).expect("a valid key id");
    for (i, id) in RING.iter().enumerate().skip(1) {
        t.add_key(id, &key(i)).expect("room in the ring");
    }
    t.activate(RING[active % RING.len()]).expect("a ring key");
    t.set_format(format);
    t
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let encoding = if input.base32 {
        BodyEncoding::Base32
    } else {
        BodyEncoding::Hex
    };
    let bits = 128 + 8 * u32::from(input.bits % 17);
    let format = TokenFormat::new(encoding, bits).expect("a valid format");
    let t = ring(format, usize::from(input.active));
    let norm = Normalization::from_bits(u32::from(input.normalization % 8)).expect("known bits");

    for kind in [TokenKind::Compat, TokenKind::V1] {
        for key in [None, Some(RING[0]), Some(RING[1]), Some(RING[2])] {
            let spec = TokenSpec {
                kind,
                key_id: key,
                normalization: norm,
            };
            check_spec(&t, spec, &input.ids);
        }
    }
    check_tokens(&t, norm, &input);

    match t.tokenize_address(&input.address) {
        Ok(token) => {
            assert!(token.starts_with("v1."));
            assert_ne!(
                Some(&token),
                t.tokenize_versioned(&input.address).ok().as_ref(),
                "an address token equals an ID token"
            );
        }
        Err(e) => assert_eq!(e.status(), ilsprivacy::Status::InvalidArgument),
    }
}

/// Single, batch and packed tokenization agree, and every token verifies.
fn check_spec(t: &Tokenizer, spec: TokenSpec<'_>, ids: &[String]) {
    let width = t.token_len(spec).expect("ring keys are known");
    let singles: Vec<_> = ids.iter().map(|id| t.tokenize_with(spec, id)).collect();
    for (id, token) in ids.iter().zip(&singles) {
        match token {
            Ok(token) => {
                assert_eq!(token.len(), width);
                assert!(token.is_ascii());
                assert!(
                    t.verify(token, spec.normalization, id)
                        .expect("a well-formed token"),
                    "a token does not verify against its own ID"
                );
                if spec.kind == TokenKind::V1 {
                    let kid = spec.key_id.unwrap_or(t.active_key_id().as_str());
                    assert!(token.starts_with(&format!("v1.{kid}.")));
                }
            }
            Err(e) => {
                assert_eq!(spec.kind, TokenKind::V1, "compat tokenization failed: {e}");
                assert!(
                    spec.normalization.apply(id).is_empty(),
                    "unexpected error {e}"
                );
            }
        }
    }
    let many = t.tokenize_many(spec, ids);
    match (&many, singles.iter().all(Result::is_ok)) {
        (Ok(many), true) => {
            for (a, b) in many.iter().zip(&singles) {
                assert_eq!(Some(a), b.as_ref().ok(), "batch and single tokens differ");
            }
        }
        (Err(_), false) => {}
        _ => panic!("tokenize_many and tokenize_with disagree on validity"),
    }
    let mut packed = Vec::new();
    let mut offsets = vec![0];
    for id in ids {
        packed.extend_from_slice(id.as_bytes());
        offsets.push(packed.len());
    }
    let mut out = vec![0u8; ids.len() * width];
    match t.tokenize_batch_into(spec, &packed, &offsets, &mut out) {
        Ok(written) => {
            assert_eq!(written, out.len());
            let many = many.expect("the packed batch succeeded");
            assert_eq!(out, many.concat().into_bytes(), "packed batch differs");
        }
        Err(_) => assert!(many.is_err(), "only the packed batch failed"),
    }
}

/// Verification and lookup of arbitrary tokens agree with each other.
fn check_tokens(t: &Tokenizer, norm: Normalization, input: &Input) {
    let id = input.ids.first().map_or("", String::as_str);
    let mut tokens = input.tokens.clone();
    if let Some((at, key, v1)) = input.plant {
        let spec = TokenSpec {
            kind: if v1 { TokenKind::V1 } else { TokenKind::Compat },
            key_id: Some(RING[usize::from(key) % RING.len()]),
            normalization: norm,
        };
        if let Ok(token) = t.tokenize_with(spec, id) {
            let at = usize::from(at) % (tokens.len() + 1);
            tokens.insert(at, token);
        }
    }
    let verdicts: Vec<_> = tokens.iter().map(|tok| t.verify(tok, norm, id)).collect();
    for (tok, verdict) in tokens.iter().zip(&verdicts) {
        if let Err(e) = verdict {
            let message = e.to_string();
            super::support::assert_no_leak("verify", message.as_bytes(), &[tok.as_bytes()]);
        }
    }
    let first_match = verdicts.iter().position(|v| matches!(v, Ok(true)));
    match t.lookup(&tokens, norm, id) {
        Ok(found) => assert_eq!(found, first_match, "lookup and verify disagree"),
        Err(e) => {
            assert!(norm.apply(id).is_empty(), "lookup failed: {e}");
            assert_eq!(e.status(), ilsprivacy::Status::InvalidArgument);
        }
    }
}
