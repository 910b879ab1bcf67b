//! Reading a ledger: lines in bounded memory, the hash chain, and what lies
//! after the last entry (nothing, a missing `\n`, or an unfinished write).
//!
//! Memory does not grow with the file: bytes are read in chunks of
//! [`CHUNK_BYTES`], and a line longer than [`MAX_LINE_BYTES`] is an
//! integrity error (no entry this library writes comes near it). A 1 TB
//! sparse file is refused after reading its first mebibyte.

use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::entry::{self, Body, Hash, LINE_START, TornCharge, hex};
use super::io::io_error;
use crate::budget::account::{Composition, Cost};
use crate::budget::decimal::Decimal;
use crate::budget::state::{State, unhex};
use crate::budget::time;
use crate::error::{Error, Result};

/// Longest ledger line read, in bytes (without its `\n`). The longest entry
/// this library writes is a few KiB (a 256-byte account name and a
/// 1024-byte reason, escaped); the rest is slack for torn-tail entries
/// that older versions wrote with a fragment inside.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Longest unfinished first line that is taken for a torn header write
/// (a header is about 300 bytes); a longer one is damage.
pub(crate) const MAX_TORN_HEADER_BYTES: usize = 4096;
/// Bytes read at a time.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;
/// The start of every torn-tail line (what the lines of an interrupted
/// repair must begin like).
const TORN_TAIL_START: &[u8] = b"{\"v\":1,\"kind\":\"torn_tail\",";
/// The byte a repair writes right after an unfinished write, before the
/// `\n` that ends its line: ASCII CAN ("cancel"), which no entry contains
/// (JSON text has no raw control characters). A line of the file that is
/// not an entry is accepted only if it ends with it, so damage to a
/// complete line (a flipped byte, say) is never taken for a fragment.
pub(crate) const CANCEL: u8 = 0x18;

/// Where bytes come from: a file (positioned reads) or memory.
pub(crate) trait Source {
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl Source for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        super::io::read_exact_at(self, buf, offset)
    }
}

impl Source for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        match start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
        {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// One piece of the file: a line and whether its `\n` is there (only the
/// last piece of the range can lack it).
pub(crate) struct Piece<'a> {
    pub bytes: &'a [u8],
    pub terminated: bool,
}

/// The lines of `[from, to)` of a source, read in chunks.
pub(crate) struct Lines<'s, S: Source + ?Sized> {
    source: &'s S,
    path: &'s Path,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    /// Start of the current line in `buf`.
    start: usize,
    /// How far `buf` has been searched for `\n`.
    scanned: usize,
}

impl<'s, S: Source + ?Sized> Lines<'s, S> {
    pub fn new(source: &'s S, path: &'s Path, from: u64, to: u64) -> Lines<'s, S> {
        Lines {
            source,
            path,
            pos: from,
            end: to,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
        }
    }

    /// The next line, or `None` at the end. A line longer than
    /// [`MAX_LINE_BYTES`] is an integrity error (`seq` names the entry).
    pub fn next(&mut self, seq: u64) -> Result<Option<Piece<'_>>> {
        loop {
            if let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                let (start, nl) = (self.start, self.scanned + i);
                self.start = nl + 1;
                self.scanned = self.start;
                check_length(nl - start, seq)?;
                return Ok(Some(Piece {
                    bytes: &self.buf[start..nl],
                    terminated: true,
                }));
            }
            self.scanned = self.buf.len();
            check_length(self.buf.len() - self.start, seq)?;
            if self.pos >= self.end {
                if self.start == self.buf.len() {
                    return Ok(None);
                }
                let start = self.start;
                self.start = self.buf.len();
                return Ok(Some(Piece {
                    bytes: &self.buf[start..],
                    terminated: false,
                }));
            }
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.scanned -= self.start;
                self.start = 0;
            }
            let n = usize::try_from(self.end - self.pos)
                .unwrap_or(usize::MAX)
                .min(CHUNK_BYTES);
            let old = self.buf.len();
            self.buf.resize(old + n, 0);
            self.source
                .read_exact_at(&mut self.buf[old..], self.pos)
                .map_err(|e| io_error(self.path, "cannot read the ledger", &e))?;
            self.pos += n as u64;
        }
    }
}

fn check_length(len: usize, seq: u64) -> Result<()> {
    if len > MAX_LINE_BYTES {
        return Err(Error::LedgerIntegrity(format!(
            "entry {seq}: a line longer than {MAX_LINE_BYTES} bytes (the cap; no ledger entry is that long)"
        )));
    }
    Ok(())
}

/// The first entry of a ledger, which identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The line, without its `\n` (it holds the creation nonce, if any).
    pub line: Vec<u8>,
}

/// Where the verified part of a ledger ends, and what the next line must chain to.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    /// Bytes verified (always at the end of a complete line).
    pub offset: u64,
    pub next_seq: u64,
    pub last_hash: Hash,
    pub last_time_ms: i64,
    /// The first entry, once read.
    pub header: Option<Header>,
}

/// An unfinished write (or several: a torn line, then interrupted repairs of
/// it) after the last entry, up to the end of the file.
#[derive(Clone, Debug)]
pub(crate) struct Torn {
    /// The first line without its [`CANCEL`] mark: the write that was cut
    /// (what is charged for).
    pub first: Vec<u8>,
    /// The region's length in the file.
    pub span: u64,
    /// The fragment a repair records: the region's bytes as they stand
    /// once the repair's separator has ended its last line, without that
    /// line's `\n` — so with a final [`CANCEL`].
    pub bytes: u64,
    /// SHA-256 of the fragment.
    pub sha256: Hash,
    /// How the region ends.
    pub end: TornEnd,
}

/// How an unfinished region ends, which says what a repair appends first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TornEnd {
    /// In the middle of a line: the repair writes [`CANCEL`] and `\n`.
    Cut,
    /// With [`CANCEL`] (a repair cut after it): the repair writes `\n`.
    Cancelled,
    /// With [`CANCEL`] and `\n`: the repair writes its entry at once.
    Newline,
}

impl Torn {
    /// What a repair must write before its entry.
    pub fn separator(&self) -> &'static [u8] {
        match self.end {
            TornEnd::Cut => &[CANCEL, b'\n'],
            TornEnd::Cancelled => b"\n",
            TornEnd::Newline => b"",
        }
    }
}

/// What follows the last complete entry.
#[derive(Clone, Debug)]
pub(crate) enum Tail {
    /// Nothing.
    None,
    /// A complete, valid entry whose `\n` is missing (kept and counted).
    MissingNewline,
    /// An unfinished write, not yet repaired.
    Torn(Torn),
}

/// An unfinished write being read.
struct Junk {
    first: Vec<u8>,
    hasher: Sha256,
    bytes: u64,
    lines: u64,
    end: TornEnd,
}

impl Junk {
    fn push(&mut self, piece: &[u8], end: TornEnd) {
        if self.lines > 0 {
            self.hasher.update(b"\n");
            self.bytes += 1;
        }
        self.hasher.update(piece);
        self.bytes += piece.len() as u64;
        self.lines += 1;
        self.end = end;
    }

    fn finish(mut self) -> Torn {
        let span = self.span();
        if self.end == TornEnd::Cut {
            // The CANCEL the repair writes is part of what it records.
            self.hasher.update([CANCEL]);
            self.bytes += 1;
        }
        Torn {
            first: self.first,
            span,
            bytes: self.bytes,
            sha256: self.hasher.finalize().into(),
            end: self.end,
        }
    }

    /// The region's length in the file (with its final `\n`, if any).
    fn span(&self) -> u64 {
        self.bytes + u64::from(self.end == TornEnd::Newline)
    }
}

impl Chain {
    pub fn new() -> Chain {
        Chain {
            offset: 0,
            next_seq: 0,
            last_hash: [0; 32],
            last_time_ms: i64::MIN,
            header: None,
        }
    }

    /// The time for new entries: now, but never before the last entry.
    pub fn next_time(&self) -> i64 {
        time::now_ms().max(self.last_time_ms)
    }

    /// The time for new entries by `clock_ms`: never before the last entry.
    pub fn next_time_from(&self, clock_ms: i64) -> i64 {
        clock_ms.max(self.last_time_ms)
    }

    /// The time of the last entry read or written.
    pub fn last_time_ms(&self) -> i64 {
        self.last_time_ms
    }

    /// Checks and applies every line of `[self.offset, end)` of `source`,
    /// and says what follows the last entry. On error nothing after the
    /// last good entry is applied, and `self` still ends at that entry.
    pub fn scan<S: Source + ?Sized>(
        &mut self,
        source: &S,
        end: u64,
        state: &mut State,
        path: &Path,
    ) -> Result<Tail> {
        let mut lines = Lines::new(source, path, self.offset, end);
        let mut junk: Option<Junk> = None;
        while let Some(piece) = lines.next(self.next_seq)? {
            let seq = self.next_seq;
            match entry::decode(piece.bytes, seq, &self.last_hash, self.last_time_ms) {
                Ok(decoded) => {
                    let kept = matches!(decoded.body, Body::TornTail { kept: true, .. });
                    match (&junk, kept) {
                        (None, false) => {}
                        (Some(j), true) if repairs(&decoded.body, j) => {}
                        (Some(_), _) => {
                            return Err(integrity(
                                seq,
                                "an unfinished write before this entry was not repaired",
                            ));
                        }
                        (None, true) => {
                            return Err(integrity(
                                seq,
                                "a torn-tail entry that keeps its fragment in place follows no fragment",
                            ));
                        }
                    }
                    state
                        .apply(&decoded.body, seq, decoded.time_ms)
                        .map_err(|reason| integrity(seq, &reason))?;
                    let skipped = junk.take().map_or(0, |j| j.span());
                    self.offset += skipped + piece.bytes.len() as u64 + u64::from(piece.terminated);
                    self.next_seq += 1;
                    self.last_hash = decoded.hash;
                    self.last_time_ms = decoded.time_ms;
                    if seq == 0 {
                        self.header = Some(Header {
                            line: piece.bytes.to_vec(),
                        });
                    }
                    if !piece.terminated {
                        return Ok(Tail::MissingNewline);
                    }
                }
                Err(reason) => {
                    // A line that is not an entry must be an unfinished
                    // write: cut short (only at the end of the file), or
                    // cancelled by a repair (then it ends with CANCEL).
                    let (text, end) = match (piece.bytes.strip_suffix(&[CANCEL]), piece.terminated)
                    {
                        (Some(text), true) => (text, TornEnd::Newline),
                        (Some(text), false) => (text, TornEnd::Cancelled),
                        (None, false) => (piece.bytes, TornEnd::Cut),
                        (None, true) => return Err(integrity(seq, &reason)),
                    };
                    let unfinished = match &junk {
                        // A first line cut short: nothing to cancel before it.
                        None if self.offset == 0 => {
                            end == TornEnd::Cut
                                && text.len() <= MAX_TORN_HEADER_BYTES
                                && looks_unfinished(text)
                        }
                        None => looks_unfinished(text),
                        // Later lines of the region are interrupted repairs.
                        Some(_) => {
                            !text.is_empty()
                                && prefix_either_way(text, TORN_TAIL_START)
                                && looks_unfinished(text)
                        }
                    };
                    if !unfinished {
                        return Err(if piece.terminated {
                            integrity(seq, &reason)
                        } else {
                            integrity(
                                seq,
                                "the last line is damaged (neither a complete entry nor the beginning of one)",
                            )
                        });
                    }
                    junk.get_or_insert_with(|| Junk {
                        first: text.to_vec(),
                        hasher: Sha256::new(),
                        bytes: 0,
                        lines: 0,
                        end,
                    })
                    .push(piece.bytes, end);
                }
            }
        }
        Ok(junk.map_or(Tail::None, |j| Tail::Torn(j.finish())))
    }
}

fn integrity(seq: u64, reason: &str) -> Error {
    Error::LedgerIntegrity(format!("entry {seq}: {reason}"))
}

/// Whether `body` is the in-place torn-tail entry for `junk`.
fn repairs(body: &Body, junk: &Junk) -> bool {
    let Body::TornTail { bytes, sha256, .. } = body else {
        return false;
    };
    let digest: Hash = junk.hasher.clone().finalize().into();
    junk.end == TornEnd::Newline && *bytes == junk.bytes && *sha256 == hex(&digest)
}

fn prefix_either_way(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Whether `bytes` are the beginning of a ledger line cut by a crash: JSON
/// text that ends early, starting the way every line starts, UTF-8
/// throughout except possibly for a character cut at the very end.
fn looks_unfinished(bytes: &[u8]) -> bool {
    let eof = |b: &[u8]| {
        matches!(
            serde_json::from_slice::<serde::de::IgnoredAny>(b),
            Err(e) if e.is_eof()
        )
    };
    // A number cut after its '.', its exponent mark or the exponent's sign
    // ("100.", "1e", "1e-") is "invalid", not "ends early", to the parser:
    // with a digit appended it is the beginning of a valid line again (the
    // copy is at most MAX_LINE_BYTES).
    let ends_early = eof(bytes)
        || (matches!(bytes.last(), Some(b'.' | b'e' | b'E' | b'-' | b'+'))
            && eof(&[bytes, b"0"].concat()));
    let text_ok = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    ends_early && prefix_either_way(bytes, LINE_START) && text_ok
}

/// The members a torn line completed before it was cut.
fn recovered_members(fragment: &[u8]) -> Option<Map<String, Value>> {
    (0..fragment.len())
        .rev()
        .filter(|&p| fragment[p] == b',')
        .find_map(|p| {
            let mut candidate = fragment[..p].to_vec();
            candidate.push(b'}');
            serde_json::from_slice::<Map<String, Value>>(&candidate).ok()
        })
}

/// How deep a torn torn-tail line (an older version's interrupted repair,
/// whose fragment holds the line it repaired) is followed for its charge.
const MAX_NESTED_FRAGMENTS: usize = 4;

/// The charge of an unfinished write `fragment` at `time_ms`, as
/// `(charge, account, cost)`:
///
/// - a spend on an existing account whose cost members (ε and δ for basic
///   composition, ρ for zCDP) were complete: that cost;
/// - a spend on an existing account cut before its cost was complete:
///   everything the account has left;
/// - a torn-tail entry (a repair older versions wrote after cutting the
///   fragment, itself cut): the charge it records if complete, else the
///   charge of the fragment it holds, as far as it goes;
/// - anything else: nothing.
fn charge_of(
    fragment: &[u8],
    state: &State,
    time_ms: i64,
    depth: usize,
) -> (TornCharge, Option<String>, Cost) {
    let none = (TornCharge::None, None, Cost::default());
    let members = recovered_members(fragment).unwrap_or_default();
    let text = |k: &str| members.get(k).and_then(Value::as_str);
    let amount = |k: &str| text(k).and_then(|s| s.parse::<Decimal>().ok());
    let account = text("account").and_then(|name| state.account(name));
    match (text("kind"), account) {
        (Some("spend"), Some(a)) => {
            let recovered = match a.composition {
                Composition::Basic => match (amount("epsilon"), amount("delta")) {
                    (Some(epsilon), Some(delta)) => Some(Cost {
                        epsilon,
                        delta,
                        rho: Decimal::ZERO,
                    }),
                    _ => None,
                },
                Composition::Zcdp => amount("rho").map(|rho| Cost {
                    rho,
                    ..Cost::default()
                }),
            };
            match recovered {
                Some(cost) => (TornCharge::Recovered, Some(a.name.to_string()), cost),
                None => (
                    TornCharge::Remaining,
                    Some(a.name.to_string()),
                    a.remaining_at(time_ms),
                ),
            }
        }
        (Some("torn_tail"), _) => {
            let charged = matches!(text("charge"), Some("recovered" | "remaining"));
            let cost = account.and_then(|a| match a.composition {
                Composition::Basic => Some(Cost {
                    epsilon: amount("epsilon")?,
                    delta: amount("delta")?,
                    rho: Decimal::ZERO,
                }),
                Composition::Zcdp => Some(Cost {
                    rho: amount("rho")?,
                    ..Cost::default()
                }),
            });
            if let (true, Some(a), Some(cost)) = (charged, account, cost) {
                // Never more than is left: the cut repair was never applied.
                let left = a.remaining_at(time_ms);
                let cost = Cost {
                    epsilon: cost.epsilon.min(left.epsilon),
                    delta: cost.delta.min(left.delta),
                    rho: cost.rho.min(left.rho),
                };
                return (TornCharge::Recovered, Some(a.name.to_string()), cost);
            }
            if depth >= MAX_NESTED_FRAGMENTS {
                return none;
            }
            match inner_fragment(fragment) {
                Some(inner) => charge_of(&inner, state, time_ms, depth + 1),
                None => none,
            }
        }
        _ => none,
    }
}

/// The (possibly cut) `fragment` hex member of a torn torn-tail line, decoded.
fn inner_fragment(line: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b"\"fragment\":\"";
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits: Vec<u8> = line[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_hexdigit)
        .collect();
    let even = digits.len() & !1;
    unhex(std::str::from_utf8(&digits[..even]).ok()?)
}

/// The torn-tail entry for an unfinished write at `time_ms` (see
/// [`charge_of`] for what is charged). With `kept`, the fragment stays in
/// the file, on the line(s) before the entry, which records its length and
/// hash; otherwise (a torn first line, cut off) the entry holds it in hex.
pub(crate) fn torn_tail_body(torn: &Torn, kept: bool, state: &State, time_ms: i64) -> Body {
    let (charge, account, cost) = charge_of(&torn.first, state, time_ms, 0);
    let nonzero = |d: Decimal| (!d.is_zero() || charge != TornCharge::None).then_some(d);
    let (bytes, sha256, fragment) = if kept {
        (torn.bytes, hex(&torn.sha256), None)
    } else {
        let first = &torn.first;
        (
            first.len() as u64,
            hex(&Sha256::digest(first)),
            Some(hex(first)),
        )
    };
    Body::TornTail {
        bytes,
        sha256,
        fragment,
        kept,
        charge,
        account,
        epsilon: nonzero(cost.epsilon),
        delta: nonzero(cost.delta),
        rho: nonzero(cost.rho),
    }
}
