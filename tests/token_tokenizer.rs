//! The tokenizer's public behaviour: compatibility with Python's `hmac`, the
//! versioned format and its documented derivation, batches, rotation,
//! verification and lookup, and error messages that never echo IDs or keys.

use hkdf::Hkdf;
use hmac::{KeyInit, Mac};
use ilsprivacy::Status;
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};
use ilsprivacy::token::format::{BodyEncoding, TokenFormat, TokenKind};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::normalize::Normalization;
use ilsprivacy::token::tokenizer::{BridgeRow, MAX_KEYS, TokenSpec, Tokenizer};

const KEY: &[u8; 32] = b"library-pipeline-key-0123456789!";

fn key(bytes: &[u8]) -> SecretKey {
    SecretKey::from_bytes(bytes).unwrap()
}

fn tokenizer() -> Tokenizer {
    Tokenizer::new("2026a", &key(KEY)).unwrap()
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The README's recipe for v1 tokens, written independently of the crate.
fn v1_reference(key: &[u8], kid: &str, id: &str, hex: bool, bits: usize) -> String {
    let mut info = b"ilsprivacy/v1/token-key\0".to_vec();
    info.extend_from_slice(&(kid.len() as u16).to_be_bytes());
    info.extend_from_slice(kid.as_bytes());
    let mut k = [0u8; 32];
    Hkdf::<sha2::Sha256>::new(None, key)
        .expand(&info, &mut k)
        .unwrap();
    let full = hmac_hex(&k, id.as_bytes());
    let bytes: Vec<u8> = (0..bits / 8)
        .map(|i| u8::from_str_radix(&full[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let body = if hex {
        full[..bits / 4].to_owned()
    } else {
        // RFC 4648 base32, lower case, no padding.
        let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut bits_str = String::new();
        for b in &bytes {
            bits_str.push_str(&format!("{b:08b}"));
        }
        while !bits_str.len().is_multiple_of(5) {
            bits_str.push('0');
        }
        bits_str
            .as_bytes()
            .chunks(5)
            .map(|c| {
                alphabet[usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap()] as char
            })
            .collect()
    };
    format!("v1.{kid}.{body}")
}

#[test]
fn compat_tokens_match_python_hmac_known_answers() {
    // Expected values printed by CPython 3.11:
    // hmac.new(KEY, id.encode(), hashlib.sha256).hexdigest()
    let t = tokenizer();
    let cases = [
        (
            "21234000123456",
            "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24",
        ),
        (
            "",
            "65f2f7beb4e9943dea32fdc4a97c94a2f691adb1246e4e8a82a5cbafc8f27501",
        ),
        (
            "ÆØÅ-patron",
            "23450ef69e2fde4ebbe8ea77588c318088b197d50d77d2cdf15f5e35d24ce856",
        ),
    ];
    for (id, expected) in cases {
        assert_eq!(t.tokenize(id), expected, "{id:?}");
    }
    assert_eq!(
        t.tokenize(&"x".repeat(1000)),
        "d6fd0e3c9021452e28534956e32ca74e8d1b94f0446df016b57fc948e8625e09"
    );
}

#[test]
fn compat_tokens_match_the_hmac_crate_for_random_ids() {
    let t = tokenizer();
    let mut rng = InsecureSeededRng::from_seed_insecure(5);
    let ids = random_ids(&mut rng, 2_000);
    let batch = t.tokenize_many(TokenSpec::COMPAT, &ids).unwrap();
    for (id, token) in ids.iter().zip(&batch) {
        let expected = hmac_hex(KEY, id.as_bytes());
        assert_eq!(token, &expected);
        assert_eq!(t.tokenize(id), expected);
    }
}

fn random_ids(rng: &mut InsecureSeededRng, n: usize) -> Vec<String> {
    const POOL: &[char] = &[
        'a', 'Z', '0', '9', '-', ' ', 'é', 'ß', 'Ω', '中', '😀', '\u{0}', '\n',
    ];
    (0..n)
        .map(|i| {
            let len = match i % 5 {
                0 => rng.uniform_below(15) as usize,
                1 => 10 + rng.uniform_below(5) as usize,
                2 => rng.uniform_below(70) as usize,
                _ => rng.uniform_below(300) as usize,
            };
            (0..len)
                .map(|_| POOL[rng.uniform_below(POOL.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn v1_tokens_follow_the_documented_derivation() {
    let mut t = tokenizer();
    let default = t.tokenize_versioned("21234000123456").unwrap();
    assert_eq!(
        default,
        v1_reference(KEY, "2026a", "21234000123456", false, 128)
    );
    assert_eq!(default.len(), "v1.2026a.".len() + 26);
    for (encoding, hex) in [(BodyEncoding::Hex, true), (BodyEncoding::Base32, false)] {
        for bits in [128, 136, 160, 200, 256] {
            t.set_format(TokenFormat::new(encoding, bits).unwrap());
            for id in ["1", "21234000123456", "ÆØÅ", &"y".repeat(300)] {
                let expected = v1_reference(KEY, "2026a", id, hex, bits as usize);
                assert_eq!(t.tokenize_versioned(id).unwrap(), expected);
                assert_eq!(t.token_len(TokenSpec::V1).unwrap(), expected.len());
            }
        }
    }
}

#[test]
fn v1_tokens_depend_on_the_key_id_and_not_on_compat() {
    let a = Tokenizer::new("a", &key(KEY)).unwrap();
    let b = Tokenizer::new("b", &key(KEY))
        .unwrap()
        .with_format(TokenFormat::new(BodyEncoding::Hex, 256).unwrap());
    let a_hex = Tokenizer::new("a", &key(KEY))
        .unwrap()
        .with_format(TokenFormat::new(BodyEncoding::Hex, 256).unwrap());
    let body = |t: &str| t.rsplit('.').next().unwrap().to_owned();
    assert_ne!(
        body(&a_hex.tokenize_versioned("x").unwrap()),
        body(&b.tokenize_versioned("x").unwrap())
    );
    assert_ne!(
        body(&a_hex.tokenize_versioned("x").unwrap()),
        a.tokenize("x"),
        "v1 and compat are separated"
    );
}

#[test]
fn empty_ids_are_refused_for_v1_only() {
    let t = tokenizer();
    assert_eq!(t.tokenize(""), hmac_hex(KEY, b""));
    let e = t.tokenize_versioned("").unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert_eq!(e.to_string(), "id must not be empty for a versioned token");
    let spec = TokenSpec::V1.normalized(Normalization::BARCODE);
    let e = t.tokenize_with(spec, " - ").unwrap_err();
    assert_eq!(
        e.to_string(),
        "id must not be empty for a versioned token (it is empty after normalization)"
    );
    let e = t.tokenize_many(TokenSpec::V1, &["a", "b", ""]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ids entry 2 must not be empty for a versioned token"
    );
    // Compatibility tokens of normalised IDs are the hex HMAC of the normalised text.
    let spec = TokenSpec::COMPAT.normalized(Normalization::BARCODE);
    assert_eq!(
        t.tokenize_with(spec, " 2123-4 ").unwrap(),
        hmac_hex(KEY, b"21234")
    );
}

/// Packs ids into one buffer and offsets, as the C batch API takes them.
fn pack<S: AsRef<[u8]>>(ids: &[S]) -> (Vec<u8>, Vec<usize>) {
    let mut buf = Vec::new();
    let mut offsets = vec![0];
    for id in ids {
        buf.extend_from_slice(id.as_ref());
        offsets.push(buf.len());
    }
    (buf, offsets)
}

#[test]
fn batches_equal_single_calls_for_every_tail_length() {
    let mut t = tokenizer();
    t.add_key("old", &key(&[3u8; 40])).unwrap();
    let mut rng = InsecureSeededRng::from_seed_insecure(9);
    for n in 0..12 {
        let ids: Vec<String> = random_ids(&mut rng, n)
            .into_iter()
            .map(|s| format!("p{s}"))
            .collect();
        let (buf, offsets) = pack(&ids);
        for spec in [
            TokenSpec::COMPAT,
            TokenSpec::V1,
            TokenSpec::V1.under("old"),
            TokenSpec::COMPAT
                .under("old")
                .normalized(Normalization::BARCODE),
            TokenSpec::V1.normalized(Normalization {
                case_fold: true,
                ..Normalization::NONE
            }),
        ] {
            let w = t.token_len(spec).unwrap();
            let mut out = vec![0u8; n * w + 3];
            let written = t
                .tokenize_batch_into(spec, &buf, &offsets, &mut out)
                .unwrap();
            assert_eq!(written, n * w);
            assert_eq!(&out[n * w..], &[0, 0, 0], "nothing written past the tokens");
            let many = t.tokenize_many(spec, &ids).unwrap();
            for (i, id) in ids.iter().enumerate() {
                let single = t.tokenize_with(spec, id).unwrap();
                assert_eq!(
                    std::str::from_utf8(&out[i * w..(i + 1) * w]).unwrap(),
                    single
                );
                assert_eq!(many[i], single);
            }
        }
    }
}

#[test]
fn batch_errors_name_positions_never_values_and_write_nothing() {
    let t = tokenizer();
    let (mut buf, offsets) = pack(&["alice-0001", "bob-0002", "carol-0003"]);
    let mut out = vec![b'#'; 3 * 64];

    let e = t
        .tokenize_batch_into(TokenSpec::COMPAT, &buf, &[0, 10, 5, 28], &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(
        e.to_string().starts_with("offsets must be non-decreasing"),
        "{e}"
    );
    let e = t
        .tokenize_batch_into(TokenSpec::COMPAT, &buf, &[0, 10, 99], &mut out)
        .unwrap_err();
    assert!(e.to_string().contains("offsets[2] = 99"), "{e}");

    let e = t
        .tokenize_batch_into(TokenSpec::COMPAT, &buf, &offsets, &mut out[..100])
        .unwrap_err();
    assert_eq!(e.status(), Status::BufferTooSmall);
    assert_eq!(
        e.to_string(),
        "out is too small: 192 bytes needed, 100 given"
    );

    buf[12] = 0xff; // inside "bob-0002"
    let e = t
        .tokenize_batch_into(TokenSpec::COMPAT, &buf, &offsets, &mut out)
        .unwrap_err();
    assert_eq!(e.status(), Status::Encoding);
    assert_eq!(
        e.to_string(),
        "ids is not valid UTF-8 (first invalid byte at offset 12)"
    );
    assert!(out.iter().all(|&b| b == b'#'), "no partial output");

    for e in [
        t.tokenize_versioned("").unwrap_err(),
        t.tokenize_with(TokenSpec::V1.under("nope"), "alice-0001")
            .unwrap_err(),
    ] {
        assert!(!e.to_string().contains("alice"), "{e}");
    }
}

#[test]
fn rotation_window_bridge_and_retirement() {
    let mut t = tokenizer();
    let id = "21234000123456";
    let old_compat = t.tokenize(id);
    let old_v1 = t.tokenize_versioned(id).unwrap();

    t.add_key("2027a", &key(&[0x55; 32])).unwrap();
    assert_eq!(
        t.active_key_id().as_str(),
        "2026a",
        "a new key is live, not active"
    );
    let all = t
        .tokenize_all(TokenKind::V1, Normalization::NONE, id)
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0],
        (
            ilsprivacy::token::key::KeyId::new("2026a").unwrap(),
            old_v1.clone()
        )
    );
    assert!(all[1].1.starts_with("v1.2027a."));

    let rows = t
        .bridge(
            TokenSpec::COMPAT.under("2026a"),
            TokenSpec::V1.under("2027a"),
            &[id, "other"],
        )
        .unwrap();
    assert_eq!(
        rows[0],
        BridgeRow {
            old: old_compat.clone(),
            new: all[1].1.clone()
        }
    );
    assert_eq!(rows.len(), 2);

    t.activate("2027a").unwrap();
    assert_eq!(t.tokenize_versioned(id).unwrap(), all[1].1);
    assert!(
        t.verify(&old_v1, Normalization::NONE, id).unwrap(),
        "old tokens verify in the window"
    );

    let e = t.retire("2027a").unwrap_err();
    assert_eq!(
        e.to_string(),
        "key_id is the active key; activate another key before retiring it"
    );
    t.retire("2026a").unwrap();
    assert_eq!(
        t.key_ids().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["2027a"]
    );
    let e = t.verify(&old_v1, Normalization::NONE, id).unwrap_err();
    assert_eq!(e.status(), Status::Key);
    assert_eq!(
        e.to_string(),
        "key error: unknown key id: token names a key (5 bytes) that is not in the ring"
    );
    assert!(
        !t.verify(&old_compat, Normalization::NONE, id).unwrap(),
        "retired compat tokens no longer match"
    );
    assert_eq!(t.activate("2026a").unwrap_err().status(), Status::Key);
}

#[test]
fn ring_limits() {
    let mut t = tokenizer();
    let e = t.add_key("2026a", &key(KEY)).unwrap_err();
    assert_eq!(e.to_string(), "key_id is already in the ring");
    for i in 1..MAX_KEYS {
        t.add_key(&format!("k{i}"), &key(KEY)).unwrap();
    }
    let e = t.add_key("one-more", &key(KEY)).unwrap_err();
    assert!(e.to_string().contains("already holds 16 keys"), "{e}");
    assert_eq!(
        t.add_key("bad.id", &key(KEY)).unwrap_err().status(),
        Status::InvalidArgument
    );
    assert_eq!(
        Tokenizer::new("", &key(KEY)).unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn verification() {
    let mut t = tokenizer();
    t.add_key("next", &key(&[1u8; 32])).unwrap();
    let id = "P-0042";
    let v1 = t.tokenize_versioned(id).unwrap();
    let compat_next = t
        .tokenize_with(TokenSpec::COMPAT.under("next"), id)
        .unwrap();
    assert!(t.verify(&v1, Normalization::NONE, id).unwrap());
    assert!(!t.verify(&v1, Normalization::NONE, "P-0043").unwrap());
    assert!(
        t.verify(&compat_next, Normalization::NONE, id).unwrap(),
        "compat checked under every live key"
    );
    assert!(
        !t.verify(&compat_next, Normalization::NONE, "P-0043")
            .unwrap()
    );
    // Normalisation applies to the candidate ID.
    let norm = t
        .tokenize_with(TokenSpec::V1.normalized(Normalization::BARCODE), id)
        .unwrap();
    assert!(t.verify(&norm, Normalization::BARCODE, " p0042 ").unwrap());
    // One flipped character of the body.
    let mut forged = v1.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'a' { b'b' } else { b'a' };
    assert!(
        !t.verify(
            std::str::from_utf8(&forged).unwrap(),
            Normalization::NONE,
            id
        )
        .unwrap()
    );
    for bad in [
        "",
        "v1.",
        "v1.2026a.",
        "v2.2026a.abc",
        "v1.bad id.abc",
        "abc",
        &"g".repeat(64),
    ] {
        let e = t.verify(bad, Normalization::NONE, id).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
        assert!(!e.to_string().contains(id));
    }
    let e = t
        .verify("v1.9999.abc", Normalization::NONE, id)
        .unwrap_err();
    assert_eq!(e.status(), Status::Key);
}

#[test]
fn lookup_finds_the_first_match_among_mixed_tokens() {
    let mut t = tokenizer();
    t.add_key("next", &key(&[1u8; 32])).unwrap();
    let id = "P-7";
    let tokens = vec![
        t.tokenize_versioned("P-8").unwrap(),
        "garbage".to_owned(),
        "v1.retired.aaaa".to_owned(),
        t.tokenize_with(TokenSpec::COMPAT.under("next"), id)
            .unwrap(),
        t.tokenize_versioned(id).unwrap(),
    ];
    assert_eq!(t.lookup(&tokens, Normalization::NONE, id).unwrap(), Some(3));
    assert_eq!(
        t.lookup(&tokens[4..], Normalization::NONE, id).unwrap(),
        Some(0)
    );
    assert_eq!(
        t.lookup(&tokens[..3], Normalization::NONE, id).unwrap(),
        None
    );
    assert_eq!(
        t.lookup::<&str>(&[], Normalization::NONE, id).unwrap(),
        None
    );
}

#[test]
fn address_tokens_canonicalise_and_are_domain_separated() {
    let t = tokenizer();
    let a = t.tokenize_address("12, Main Street  Apt. 4").unwrap();
    assert_eq!(a, t.tokenize_address("12 MAIN ST APT 4").unwrap());
    assert_ne!(a, t.tokenize_versioned("12 main st apt 4").unwrap());
    assert!(a.starts_with("v1.2026a."));
    let e = t.tokenize_address(" ,, ").unwrap_err();
    assert_eq!(e.to_string(), "address has no letter or digit");
}

#[test]
fn debug_shows_ids_and_format_only() {
    let t = tokenizer();
    let shown = format!("{t:?}");
    assert!(
        shown.starts_with("Tokenizer { keys: [\"2026a\"], active: \"2026a\""),
        "{shown}"
    );
    assert!(!shown.contains("library-pipeline"));
    for b in KEY.chunks(4) {
        assert!(!shown.contains(&format!("{:?}", b)));
    }
}

#[test]
fn tokenizers_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Tokenizer>();
    check::<SecretKey>();
}

/// A patron barcode is a well-formed key id. Passed where a key id goes, or
/// inside a token, it must not come back in an error message: messages name
/// the field and the length only.
#[test]
fn key_ids_are_never_echoed() {
    let barcode = "21234000123456";
    let mut t = tokenizer();
    t.add_key("k2", &key(&[7u8; 32])).unwrap();
    let spec = TokenSpec {
        kind: TokenKind::V1,
        key_id: Some(barcode),
        normalization: Normalization::NONE,
    };
    let token = format!("v1.{barcode}.qyhwmumgr5qp4dovv5mrp7doie");
    let errors = [
        t.tokenize_with(spec, "x").unwrap_err(),
        t.token_len(spec).unwrap_err(),
        t.activate(barcode).unwrap_err(),
        t.retire(barcode).unwrap_err(),
        t.verify(&token, Normalization::NONE, "x").unwrap_err(),
        t.bridge(spec, TokenSpec::V1, &["x"]).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.status(), Status::Key, "{e}");
        let message = e.to_string();
        assert!(!message.contains(barcode), "{message}");
        assert!(message.contains("14 bytes"), "{message}");
    }
    let mut ring = Tokenizer::new(barcode, &key(KEY)).unwrap();
    for e in [
        ring.add_key(barcode, &key(KEY)).unwrap_err(),
        ring.retire(barcode).unwrap_err(),
    ] {
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        assert!(!e.to_string().contains(barcode), "{e}");
    }
}
