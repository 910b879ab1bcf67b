//! One ledger line: its fields, its JSON encoding and its hash chain.
//!
//! A line is one JSON object followed by `\n`:
//!
//! ```text
//! {"v":1,"kind":"spend","account":"tenant/dataset","epsilon":"0.1","delta":"0","rho":"0.005",
//!  "event":{"mechanism":"laplace","l1_sensitivity":1.0,"scale":10.0},
//!  "seq":7,"time":"2026-08-01T12:34:56.789Z","prev":"<64 hex>","hash":"<64 hex>"}
//! ```
//!
//! - `v`: the format version (1). A reader refuses other versions.
//! - `kind` and its fields ([`Body`]), first, so that a torn line still shows
//!   what it was (see the ledger docs).
//! - `seq`: 0 for the first line, then +1 per line.
//! - `time`: UTC, milliseconds, never decreasing along the file.
//! - `prev`: the `hash` of the previous line (64 zeros for the first).
//! - `hash`: SHA-256, lowercase hex, of the line's bytes up to (not
//!   including) `,"hash":"…"}` followed by `}` — i.e. of the object without
//!   its `hash` member. It is always the last member.
//!
//! Amounts are canonical decimal strings ([`Decimal`]); mechanism parameters
//! are JSON numbers (shortest round-trip). Released values and noise never
//! appear in a ledger.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accountant::PrivacyEvent;
use crate::budget::account::{Composition, Period};
use crate::budget::burn::BurnPlan;
use crate::budget::decimal::Decimal;
use crate::budget::template::QueryTemplate;
use crate::budget::time;

/// The format version written and accepted.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// The `format` field of the first line.
pub(crate) const FORMAT_NAME: &str = "ilsprivacy-ledger";
/// Every line starts with these bytes (used to recognise a torn line).
pub(crate) const LINE_START: &[u8] = b"{\"v\":1,\"kind\":\"";
/// Bytes after the hash-covered part: `,"hash":"` + 64 hex + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

/// A SHA-256 digest.
pub(crate) type Hash = [u8; 32];

/// What a line records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Body {
    /// The first line of every ledger.
    Ledger {
        /// Always [`FORMAT_NAME`].
        format: String,
        /// The library version that created the file.
        created_by: String,
        /// 128 random bits (hex) written at creation: with the file's device
        /// and inode, what a handle recognises its ledger by. Absent in
        /// ledgers created before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// A limit set on an account (creating it) or an adjustment of it.
    Limit {
        account: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epsilon: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delta: Option<Decimal>,
        /// For zCDP accounts: the ρ limit (given, or derived from (ε, δ)).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rho: Option<Decimal>,
        reason: String,
    },
    /// The composition rule of an account (only before its first spend).
    Composition {
        account: String,
        rule: Composition,
        /// For zCDP with an (ε, δ) limit already set: the ρ it allows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rho_limit: Option<Decimal>,
    },
    /// The alert threshold of an account, a fraction in (0, 1].
    AlertThreshold { account: String, threshold: f64 },
    /// The period policy of an account.
    Period { account: String, period: Period },
    /// A spend: the release it pays for may happen only after this line is durable.
    Spend {
        account: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epsilon: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delta: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rho: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<PrivacyEvent>,
        /// The caller's correlation ID (never personal data; see
        /// `validate_correlation_id`). Absent in older ledgers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlation_id: Option<String>,
    },
    /// A query template added to an account (or replacing the one of the same name).
    Template {
        account: String,
        template: QueryTemplate,
        reason: String,
    },
    /// A query template removed from an account.
    TemplateRemoved {
        account: String,
        name: String,
        reason: String,
    },
    /// Whether the account accepts only spends that match one of its templates.
    TemplatesOnly {
        account: String,
        enabled: bool,
        reason: String,
    },
    /// The account was suspended: it refuses every spend until resumed.
    Suspend { account: String, reason: String },
    /// The account was resumed.
    Resume { account: String, reason: String },
    /// The account's burn-rate plan (absent: the plan was removed).
    BurnPlan {
        account: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<BurnPlan>,
    },
    /// A spend took the account's spend over its plan's window past
    /// `factor` × the plan.
    BurnAlert {
        account: String,
        window_spent: Decimal,
        planned: Decimal,
        factor: f64,
    },
    /// A spend took the account's used fraction to or past its threshold.
    Alert {
        account: String,
        used_fraction: f64,
        threshold: f64,
    },
    /// An unfinished write found at the end of the file; see the ledger docs
    /// for what is charged.
    TornTail {
        /// Length of the fragment.
        bytes: u64,
        /// SHA-256 of the fragment, hex.
        sha256: String,
        /// The fragment itself, hex (it never holds values or noise), when it
        /// was cut off the file: a torn first line, and every repair made
        /// before fragments were kept in place.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fragment: Option<String>,
        /// The fragment stays in the file, on the line(s) right before this
        /// entry (which are not entries and are outside the hash chain; this
        /// entry's `bytes` and `sha256` cover them).
        #[serde(default, skip_serializing_if = "is_false")]
        kept: bool,
        /// `"recovered"`, `"remaining"` or `"none"`.
        charge: TornCharge,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epsilon: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delta: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rho: Option<Decimal>,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What a torn spend was charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TornCharge {
    /// The fragment showed the spend's account and complete cost: charged that.
    Recovered,
    /// The fragment showed a spend on an account but not its whole cost:
    /// charged everything the account had left.
    Remaining,
    /// Not a recognisable spend on an existing account: nothing charged.
    None,
}

/// A line's envelope around its [`Body`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub v: u32,
    #[serde(flatten)]
    pub body: Body,
    pub seq: u64,
    pub time: String,
    pub prev: String,
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The line (with its `\n`) for `body` at `seq`/`time_ms` after `prev`, and its hash.
pub(crate) fn encode(body: &Body, seq: u64, time_ms: i64, prev: &Hash) -> (Vec<u8>, Hash) {
    let entry = Entry {
        v: FORMAT_VERSION,
        body: body.clone(),
        seq,
        time: time::format_rfc3339(time_ms),
        prev: hex(prev),
    };
    // Serializing plain data (strings, canonical decimals, finite floats) cannot fail.
    let mut line = serde_json::to_vec(&entry).unwrap_or_default();
    let hash: Hash = Sha256::digest(&line).into();
    line.pop(); // the closing '}'
    line.extend_from_slice(b",\"hash\":\"");
    line.extend_from_slice(hex(&hash).as_bytes());
    line.extend_from_slice(b"\"}\n");
    (line, hash)
}

/// A line that checked out: its entry, hash and time.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub body: Body,
    pub hash: Hash,
    pub time_ms: i64,
}

/// Checks one line (without its `\n`) as the line number `seq` following
/// `prev` and not earlier than `min_time_ms`; the error says what is wrong.
pub(crate) fn decode(
    line: &[u8],
    seq: u64,
    prev: &Hash,
    min_time_ms: i64,
) -> std::result::Result<Decoded, String> {
    if line.len() < HASH_SUFFIX_LEN + 2 || !line.ends_with(b"\"}") {
        return Err("not a complete ledger line".into());
    }
    let (covered, suffix) = line.split_at(line.len() - HASH_SUFFIX_LEN);
    let hex_part = suffix
        .strip_prefix(b",\"hash\":\"")
        .and_then(|s| s.strip_suffix(b"\"}"))
        .ok_or("the hash member is missing or not last")?;
    let mut hasher = Sha256::new();
    hasher.update(covered);
    hasher.update(b"}");
    let hash: Hash = hasher.finalize().into();
    if hex_part != hex(&hash).as_bytes() {
        return Err("the line's content does not match its hash".into());
    }
    let mut object = covered.to_vec();
    object.push(b'}');
    let entry: Entry =
        serde_json::from_slice(&object).map_err(|e| format!("malformed entry: {e}"))?;
    if entry.v != FORMAT_VERSION {
        return Err(format!(
            "format version {} is not supported (this library reads version {FORMAT_VERSION})",
            entry.v
        ));
    }
    if entry.seq != seq {
        return Err(format!(
            "sequence number {} where {seq} was expected",
            entry.seq
        ));
    }
    if entry.prev.as_bytes() != hex(prev).as_bytes() {
        return Err(
            "the previous-entry hash does not match (an entry was changed, removed or reordered)"
                .into(),
        );
    }
    let time_ms = time::parse_rfc3339(&entry.time).ok_or("malformed time")?;
    if time_ms < min_time_ms {
        return Err("time goes backwards".into());
    }
    Ok(Decoded {
        body: entry.body,
        hash,
        time_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spend() -> Body {
        Body::Spend {
            account: "tenant/dataset".into(),
            epsilon: Some("0.1".parse().unwrap()),
            delta: Some(Decimal::ZERO),
            rho: Some("0.005".parse().unwrap()),
            event: Some(PrivacyEvent::Laplace {
                l1_sensitivity: 1.0,
                scale: 10.0,
            }),
            correlation_id: None,
        }
    }

    #[test]
    fn the_line_format_is_stable() {
        let (line, hash) = encode(&spend(), 7, 1_785_587_696_789, &[0xab; 32]);
        let text = std::str::from_utf8(&line).unwrap();
        let expected_start = concat!(
            r#"{"v":1,"kind":"spend","account":"tenant/dataset","epsilon":"0.1","delta":"0","rho":"0.005","#,
            r#""event":{"mechanism":"laplace","l1_sensitivity":1.0,"scale":10.0},"seq":7,"#,
            r#""time":"2026-08-01T12:34:56.789Z","prev":"abababababababababababababababababababababababababababababababab","hash":""#
        );
        assert!(text.starts_with(expected_start), "{text}");
        assert!(text.ends_with("\"}\n"));
        assert!(line.starts_with(LINE_START));
        let d = decode(&line[..line.len() - 1], 7, &[0xab; 32], 0).unwrap();
        assert_eq!(d.body, spend());
        assert_eq!(d.hash, hash);
        assert_eq!(d.time_ms, 1_785_587_696_789);
    }

    #[test]
    fn every_check_fires() {
        let (line, _) = encode(&spend(), 3, 1000, &[1; 32]);
        let line = &line[..line.len() - 1];
        assert!(
            decode(line, 4, &[1; 32], 0)
                .unwrap_err()
                .contains("sequence")
        );
        assert!(
            decode(line, 3, &[2; 32], 0)
                .unwrap_err()
                .contains("previous-entry hash")
        );
        assert!(
            decode(line, 3, &[1; 32], 2000)
                .unwrap_err()
                .contains("backwards")
        );
        let mut bad = line.to_vec();
        let i = bad.iter().position(|&b| b == b'5').unwrap();
        bad[i] = b'6';
        assert!(
            decode(&bad, 3, &[1; 32], 0)
                .unwrap_err()
                .contains("does not match its hash")
        );
        assert!(decode(b"{}", 0, &[0; 32], 0).is_err());
    }

    #[test]
    fn other_versions_are_refused() {
        let body = Body::Ledger {
            format: FORMAT_NAME.into(),
            created_by: "x".into(),
            nonce: None,
        };
        let (line, _) = encode(&body, 0, 0, &[0; 32]);
        let text = String::from_utf8(line)
            .unwrap()
            .replace("{\"v\":1,", "{\"v\":2,");
        // Re-hash so that only the version is wrong.
        let covered = &text[..text.len() - 1 - HASH_SUFFIX_LEN];
        let hash: Hash = Sha256::digest(format!("{covered}}}").as_bytes()).into();
        let line = format!("{covered},\"hash\":\"{}\"}}", hex(&hash));
        let e = decode(line.as_bytes(), 0, &[0; 32], 0).unwrap_err();
        assert!(e.contains("version 2"), "{e}");
    }
}
