//! Streaming grouped aggregation with per-unit contribution bounding: the
//! circulation-analytics job (checkouts per branch, per format ...).
//!
//! Events `(unit, partition, count, value)` stream into an [`Aggregator`],
//! one by one or in batches. It keeps, for each privacy unit (a patron
//! token), at most L0 *cells* — (partition, Σ count, Σ clamped value) — and
//! nothing else: no event is stored, so memory is O(partitions + units·L0)
//! however long the window is. Shards aggregate separately, serialize
//! ([`Aggregator::to_bytes`]) and [`merge`](Aggregator::merge) before the one
//! noisy release.
//!
//! # Contribution bounding
//!
//! - **L0 (partitions per unit).** A unit keeps the L0 partitions with the
//!   smallest rank SipHash-2-4ₖ(unit, partition), k being the job's
//!   [`SelectionKey`] (a bottom-k sketch). For a random k this is a uniformly
//!   random L0-subset of the unit's distinct partitions — not the first ones
//!   seen, which would bias the table toward whatever sorts first in the
//!   input. Repeats of a partition do not change the choice. A partition kept
//!   at the end was among the L0 smallest at every moment since it first
//!   appeared (the L0-th smallest rank only decreases), so it was never
//!   evicted and its totals are complete; the same argument on two shards
//!   shows that merging their bottom-L0 sets gives the bottom-L0 set of the
//!   union with complete totals: **merged shards equal the unsharded run
//!   exactly, in any event order** (tested byte for byte on serialized
//!   states).
//! - **Values.** Each event's value is clamped to `[lo, hi]` on arrival
//!   ([`ValueBounds`]) and summed exactly in an `i128` per cell (no float
//!   sums: Casacuberta, Shoemate, Vadhan, Wagaman 2022).
//! - **L∞ (contributions per unit and partition)**, applied at release: a
//!   cell adds min(Σ count, L∞) to its partition's count and its sum clamped
//!   to `[L∞·min(lo, 0), L∞·max(hi, 0)]` to the partition's sum — what at
//!   most L∞ contributions in `[lo, hi]` can add. Applying the cap to the
//!   cell's total rather than to a chosen subset of events keeps the state
//!   order-independent (hence mergeable) at O(1) per cell. L∞ is given, or
//!   chosen privately as a quantile of the units' largest cell counts.
//! - Partition totals are clamped to ±2⁶² before noise (1-Lipschitz, so the
//!   sensitivity is unchanged and noise cannot overflow an `i64`).
//!
//! # Why the sensitivity bound holds
//!
//! Neighbouring datasets differ by **all the events of one privacy unit**
//! (add/remove one unit). A unit's cells are a function of its own events
//! and of the key alone — never of other units' events or of how they
//! interleave — so the table is T(D) = Σᵤ f(Eᵤ), and adding unit u changes it
//! by exactly f(Eᵤ): at most L0 partitions, each count by at most L∞ and each
//! sum by at most L∞·max(|lo|, |hi|). Hence the count table has L1
//! sensitivity L0·L∞ and L2 sensitivity √L0·L∞, and the sum table L0·L∞·M and
//! √L0·L∞·M with M = max(|lo|, |hi|); with a public list of P partitions, L0
//! is replaced by min(L0, P). These are what the release is charged for. A
//! selection that looked at other units (say, "each unit's partitions with
//! the most traffic overall") would break this argument; a choice by a keyed
//! hash of the unit's own data cannot. The key need not be secret: any key
//! gives the bound; a random one gives uniformity.
//!
//! # Memory
//!
//! Per privacy unit: one 96-byte entry (identifier and first cell inline; a
//! 64-character lowercase hex token is stored as its 32 bytes, other
//! identifiers inline up to 32 bytes, longer ones on the heap) plus 5 to 10
//! bytes of index; a unit keeping k > 1 partitions adds a heap block of
//! 32·k bytes plus allocator overhead. Entries live in fixed chunks, so the
//! table never copies itself while growing (peak = steady state). Per
//! partition: its key twice plus about 60 bytes. Nothing grows with the
//! number of events: 10 M generated checkouts of 400,000 patrons through the
//! two tables of `ilsprivacy report` (the `cli/` program) peak at 143 MiB RSS.
//!
//! # What the state reveals
//!
//! The state, its serialized bytes and [`IngestStats`] are exact, not
//! private: keep them with the input data. Only the noisy release is meant
//! for publication.

mod aggregator;
mod cells;
mod config;
mod csv;
mod joint;
mod partitions;
mod release;
mod state;
mod table;
mod units;

pub use aggregator::{Aggregator, Event, IngestStats};
pub use config::{
    AggregatorConfig, MAX_PARTITIONS_PER_UNIT_LIMIT, Partitions, SelectionKey, ValueBounds,
};
pub use csv::{
    CsvColumns, CsvEvents, CsvOptions, CsvRecord, CsvRecords, DEFAULT_MAX_RECORD_BYTES,
    DETECTED_DELIMITERS, MAX_FIELDS, MAX_RECORD_BYTES_LIMIT, MIN_RECORD_BYTES, PARTITION_SEPARATOR,
    QUARANTINE_LINES_KEPT, Quarantine, QuarantineEntry, QuarantineReason,
};
pub use joint::{JointRelease, MAX_JOINT_TABLES, TablePreview};
pub use release::{NoiseKind, NoiseScale, ReleasePlan, ReleasedRow, ReleasedTable, TableNoise};
pub use state::STATE_FORMAT_VERSION;
