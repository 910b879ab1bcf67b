//! C entry points for streaming aggregation (`crate::aggregate`).
//!
//! Batches use a packed layout that every language can build cheaply: the
//! `n` identifiers of a batch are concatenated into one byte buffer and
//! `offsets` holds `n + 1` positions, identifier `i` being bytes
//! `[offsets[i], offsets[i + 1])` (Apache Arrow's layout for binary columns).

// The entry points follow the crate's C convention (`pub extern "C" fn`): the
// pointer contracts are stated in each function's documentation, for C callers.
#![expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points document their pointer contracts for C callers"
)]

use crate::aggregate::{
    Aggregator, AggregatorConfig, Event, ReleasePlan, ReleasedTable, TableNoise,
};
use crate::error::{Error, Result, try_with_capacity};

use super::budget::{budget_arg, ilsp_budget};
use super::{
    bytes_arg, check_out, free_handle, give_handle, guard, handle_ref, ilsp_status, slice_arg,
    slice_out, str_arg, write_out,
};

/// `noise` of `ilsp_aggregator_release`: discrete Laplace (ε-DP), parameters are ε.
pub const ILSP_TABLE_NOISE_LAPLACE: i32 = 0;
/// `noise` of `ilsp_aggregator_release`: discrete Gaussian (ρ-zCDP, for
/// accounts with zCDP composition), parameters are ρ.
pub const ILSP_TABLE_NOISE_GAUSSIAN: i32 = 1;
/// Row flag of `ilsp_table_row`: the cell was withheld by small-cell
/// suppression (its count and sum are not written).
pub const ILSP_ROW_SUPPRESSED: u32 = 1;
/// Row flag of `ilsp_table_row`: the row has a released sum.
pub const ILSP_ROW_HAS_SUM: u32 = 2;

/// A streaming aggregator: per-unit bounded cells, mergeable across shards.
///
/// Opaque; made by `ilsp_aggregator_new`, `ilsp_aggregator_new_shard` or
/// `ilsp_aggregator_deserialize`; released by `ilsp_aggregator_free`.
pub struct ilsp_aggregator {
    inner: Aggregator,
}

/// Borrows a handle argument.
fn handle<'a>(a: *const ilsp_aggregator, param: &'static str) -> Result<&'a Aggregator> {
    // SAFETY: a non-NULL handle comes from `give_handle` in this module and
    // stays valid until `ilsp_aggregator_free`, per the C contract.
    unsafe { handle_ref(a, param) }.map(|h| &h.inner)
}

/// Borrows a handle argument mutably.
fn handle_mut<'a>(a: *mut ilsp_aggregator, param: &'static str) -> Result<&'a mut Aggregator> {
    // SAFETY: as in `handle`; the C contract forbids concurrent use of one
    // handle, so this is the only reference while the call runs.
    unsafe { super::handle_mut(a, param) }.map(|h| &mut h.inner)
}

fn into_handle(inner: Aggregator, out: *mut *mut ilsp_aggregator) {
    give_handle(out, ilsp_aggregator { inner });
}

/// Reads a packed column of `n` byte strings: `offsets` has `n + 1`
/// non-decreasing entries and the bytes are `data[offsets[0]..offsets[n]]`.
///
/// # Safety
///
/// `offsets` must point to `n + 1` readable `size_t` values (or be NULL when
/// `n == 0`), and `data` to at least `offsets[n]` readable bytes.
unsafe fn packed_column<'a>(
    data: *const u8,
    offsets: *const usize,
    n: usize,
    data_param: &'static str,
    offsets_param: &'static str,
) -> Result<(&'a [u8], &'a [usize])> {
    if n == 0 {
        return Ok((&[], &[]));
    }
    let count = n
        .checked_add(1)
        .ok_or_else(|| Error::invalid("n", "is too large"))?;
    // SAFETY: `offsets` has `n + 1` values per this function's contract.
    let offsets = unsafe { slice_arg(offsets, count, offsets_param) }?;
    if offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(Error::invalid(offsets_param, "must be non-decreasing"));
    }
    // SAFETY: `data` has `offsets[n]` bytes per this function's contract.
    let bytes = unsafe { bytes_arg(data, offsets[n], data_param) }?;
    Ok((bytes, offsets))
}

/// Creates an aggregator.
///
/// - `max_partitions_per_unit`: L0, the most partitions one privacy unit
///   contributes to (1 to 65536). Each unit keeps a uniformly random subset
///   of its partitions of that size.
/// - `sum_values`: 0 to count only; 1 to also sum each event's value clamped
///   to `[value_lo, value_hi]` (ignored when `sum_values` is 0).
/// - `public_partitions` / `public_offsets` / `n_public`: the public list of
///   partition keys, packed (see the module notes: `n_public + 1` offsets
///   into the concatenated keys). `n_public == 0` takes partitions from the
///   data (the release then selects them privately).
///
/// A fresh selection key is drawn from the OS; give other shards of the same
/// job `ilsp_aggregator_new_shard` of this handle (or its serialized state).
/// Errors: `ILSP_ERR_NULL` (`out`, or a list pointer while `n_public > 0`),
/// `ILSP_ERR_INVALID_ARGUMENT` (L0 out of range, `sum_values` not 0/1,
/// `value_lo > value_hi`, an empty or repeated public key, decreasing
/// offsets), `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_new(
    max_partitions_per_unit: u32,
    sum_values: i32,
    value_lo: i64,
    value_hi: i64,
    public_partitions: *const u8,
    public_offsets: *const usize,
    n_public: usize,
    out: *mut *mut ilsp_aggregator,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let mut config = AggregatorConfig::new(max_partitions_per_unit)?;
        match sum_values {
            0 => {}
            1 => config = config.with_value_bounds(value_lo, value_hi)?,
            other => {
                return Err(Error::invalid(
                    "sum_values",
                    format!("must be 0 or 1, got {other}"),
                ));
            }
        }
        if n_public > 0 {
            // SAFETY: the caller passes `n_public + 1` offsets and the keys'
            // bytes, per this function's documentation.
            let (bytes, offsets) = unsafe {
                packed_column(
                    public_partitions,
                    public_offsets,
                    n_public,
                    "public_partitions",
                    "public_offsets",
                )
            }?;
            let keys = offsets.windows(2).map(|w| &bytes[w[0]..w[1]]);
            config = config.with_public_partitions(keys)?;
        }
        into_handle(Aggregator::new(config), out);
        Ok(())
    })
}

/// Creates an empty aggregator with `a`'s configuration, including its
/// selection key: another shard of the same job, whose state can later be
/// merged with `a`'s.
///
/// Errors: `ILSP_ERR_NULL`.
///
/// Thread safety: `a` is only read; do not run this concurrently with a call
/// that modifies `a`.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_new_shard(
    a: *const ilsp_aggregator,
    out: *mut *mut ilsp_aggregator,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let shard = handle(a, "a")?.new_shard();
        into_handle(shard, out);
        Ok(())
    })
}

/// Releases an aggregator. NULL is a no-op.
///
/// Thread safety: no other call may use `a` concurrently or afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_free(a: *mut ilsp_aggregator) {
    // SAFETY: NULL or a handle from `give_handle`, freed once per the C contract.
    unsafe { free_handle(a) }
}

/// Adds one event: privacy unit `unit` (e.g. a patron token, non-empty)
/// contributed `count` (usually 1) and `value` to partition `partition`
/// (non-empty). `value` is used only when the aggregator sums values.
///
/// With public partitions, an event of an unlisted partition is dropped.
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (empty unit or
/// partition); nothing is added then.
///
/// Thread safety: not safe to call concurrently with any other call on `a`;
/// use one aggregator per thread (`ilsp_aggregator_new_shard`) and merge.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_add(
    a: *mut ilsp_aggregator,
    unit: *const u8,
    unit_len: usize,
    partition: *const u8,
    partition_len: usize,
    count: u64,
    value: i64,
) -> ilsp_status {
    guard(|| {
        let agg = handle_mut(a, "a")?;
        // SAFETY: the caller passes `unit_len` readable bytes at `unit`.
        let unit = unsafe { bytes_arg(unit, unit_len, "unit") }?;
        // SAFETY: the caller passes `partition_len` readable bytes at `partition`.
        let partition = unsafe { bytes_arg(partition, partition_len, "partition") }?;
        agg.add(Event {
            unit,
            partition,
            count,
            value,
        })
    })
}

/// Adds `n` events at once, all or nothing.
///
/// `units`/`unit_offsets` and `partitions`/`partition_offsets` are packed
/// columns (`n + 1` offsets each, see the module notes); `counts` and
/// `values` hold `n` entries each, or are NULL for all-1 counts and all-0
/// values.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (decreasing offsets,
/// an empty unit or partition: the message names the event's index); no
/// event is added then.
///
/// Thread safety: as `ilsp_aggregator_add`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ilsp_aggregator_add_batch(
    a: *mut ilsp_aggregator,
    n: usize,
    units: *const u8,
    unit_offsets: *const usize,
    partitions: *const u8,
    partition_offsets: *const usize,
    counts: *const u64,
    values: *const i64,
) -> ilsp_status {
    guard(|| {
        let agg = handle_mut(a, "a")?;
        // SAFETY: packed columns of `n` entries per this function's documentation.
        let (unit_bytes, unit_offsets) =
            unsafe { packed_column(units, unit_offsets, n, "units", "unit_offsets") }?;
        // SAFETY: as above.
        let (partition_bytes, partition_offsets) = unsafe {
            packed_column(
                partitions,
                partition_offsets,
                n,
                "partitions",
                "partition_offsets",
            )
        }?;
        let counts = if counts.is_null() {
            None
        } else {
            // SAFETY: non-NULL `counts` holds `n` values per the documentation.
            Some(unsafe { slice_arg(counts, n, "counts") }?)
        };
        let values = if values.is_null() {
            None
        } else {
            // SAFETY: non-NULL `values` holds `n` values per the documentation.
            Some(unsafe { slice_arg(values, n, "values") }?)
        };
        // Working memory sized by the caller's count: reserved fallibly.
        let mut events: Vec<Event<'_>> = try_with_capacity(n, "n")?;
        events.extend((0..n).map(|i| Event {
            unit: &unit_bytes[unit_offsets[i]..unit_offsets[i + 1]],
            partition: &partition_bytes[partition_offsets[i]..partition_offsets[i + 1]],
            count: counts.map_or(1, |c| c[i]),
            value: values.map_or(0, |v| v[i]),
        }));
        agg.add_batch(&events)
    })
}

/// Merges the state of `other` (another shard of the same job) into `a`.
/// `other` is not modified. Merging every shard and then releasing equals
/// releasing one aggregator fed all the events.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (`other` was
/// configured differently, e.g. not made by `ilsp_aggregator_new_shard`);
/// nothing is merged then.
///
/// Thread safety: `a` must not be used concurrently; `other` is only read.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_merge(
    a: *mut ilsp_aggregator,
    other: *const ilsp_aggregator,
) -> ilsp_status {
    guard(|| {
        if std::ptr::eq(a.cast_const(), other) {
            return Err(Error::invalid("other", "must not be the same handle as a"));
        }
        let other = handle(other, "other")?;
        handle_mut(a, "a")?.merge(other)
    })
}

/// Writes `a`'s state in its versioned binary form into `out` (capacity
/// `out_cap` bytes) and its length into `*out_len`. The bytes hold every
/// unit's identifier and exact totals: keep them as confidential as the
/// input.
///
/// Call with `out_cap == 0` (and `out` NULL) to learn the length: the call
/// then returns `ILSP_ERR_BUFFER_TOO_SMALL` with the needed length in
/// `*out_len` (the only case where an output is written on failure).
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: `a` is only read; do not run this concurrently with a call
/// that modifies `a`.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_serialize(
    a: *const ilsp_aggregator,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        check_out(out_len, "out_len")?;
        let bytes = handle(a, "a")?.to_bytes()?;
        if bytes.len() > out_cap {
            write_out(out_len, bytes.len());
            return Err(Error::BufferTooSmall {
                param: "out",
                needed: bytes.len(),
                capacity: out_cap,
            });
        }
        // SAFETY: the caller passes `out_cap >= bytes.len()` writable bytes.
        let dest = unsafe { slice_out(out, bytes.len(), "out") }?;
        dest.copy_from_slice(&bytes);
        write_out(out_len, bytes.len());
        Ok(())
    })
}

/// Reads a state written by `ilsp_aggregator_serialize` (by this or an older
/// version of the library) into a new aggregator.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (not a state, an
/// unknown format version, or an inconsistent state).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_deserialize(
    state: *const u8,
    state_len: usize,
    out: *mut *mut ilsp_aggregator,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: the caller passes `state_len` readable bytes at `state`.
        let bytes = unsafe { bytes_arg(state, state_len, "state") }?;
        into_handle(Aggregator::from_bytes(bytes)?, out);
        Ok(())
    })
}

/// Writes what `a` has taken in: events added, events dropped for being
/// outside the public partitions, privacy units tracked, partitions in the
/// table. Exact counts for the operator's logs, **not** differentially
/// private: never publish them. Any output pointer may be NULL to skip it.
///
/// Errors: `ILSP_ERR_NULL` (`a`).
///
/// Thread safety: `a` is only read.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_aggregator_stats(
    a: *const ilsp_aggregator,
    events: *mut u64,
    events_outside_public: *mut u64,
    units: *mut u64,
    partitions: *mut u64,
) -> ilsp_status {
    guard(|| {
        let s = handle(a, "a")?.stats();
        for (ptr, v) in [
            (events, s.events),
            (events_outside_public, s.events_outside_public_partitions),
            (units, s.units),
            (partitions, s.partitions),
        ] {
            if !ptr.is_null() {
                write_out(ptr, v);
            }
        }
        Ok(())
    })
}

/// A released, differentially private table (see `ilsp_aggregator_release`
/// and `ilsp_aggregator_release_private_bound`).
///
/// Opaque; read with `ilsp_table_rows`, `ilsp_table_row`, `ilsp_table_cost`
/// and `ilsp_table_noise`; released by `ilsp_table_free`. Its contents are
/// public (they are the noisy release).
pub struct ilsp_table {
    inner: ReleasedTable,
}

fn table_ref<'a>(t: *const ilsp_table) -> Result<&'a ReleasedTable> {
    // SAFETY: a non-NULL table comes from `give_handle` in this module and
    // stays valid until `ilsp_table_free`, per the C contract.
    unsafe { handle_ref(t, "table") }.map(|t| &t.inner)
}

/// Releases `a`'s table with differential privacy, charging account
/// `account` (NUL-terminated UTF-8) of `budget` once for all of it, before
/// any noise is drawn, and writes the table to `*out`.
///
/// - `max_contributions_per_partition`: L∞, the most a unit adds to one
///   partition's count (≥ 1); sums are capped at what L∞ values in the
///   bounds can add.
/// - `noise`: `ILSP_TABLE_NOISE_LAPLACE` (parameters are ε; pure or
///   (ε, δ) charge) or `ILSP_TABLE_NOISE_GAUSSIAN` (parameters are ρ; one
///   zCDP charge, which needs an account with zCDP composition).
/// - `count_param`: ε or ρ of the counts (> 0).
/// - `sum_param`: ε or ρ of the sums, or 0 to release counts only (sums
///   need an aggregator made with `sum_values = 1`).
/// - `selection_epsilon`, `selection_delta`: the (ε, δ) of private partition
///   selection, required when the partitions come from the data and 0, 0
///   with a public list. With Gaussian noise the selection is Gaussian
///   thresholding (δ split between the noise and the threshold).
/// - `suppress_below`: withhold cells whose noisy count is below this (0 or
///   less: none).
///
/// The charge is pure ε-DP for public partitions with Laplace noise
/// (ε = counts' + sums'), (ε, δ) with selection (ε adds the selection's),
/// ρ-zCDP with Gaussian noise and public partitions (a zCDP account), and
/// one (ε, δ) with Gaussian noise and selection (a basic account; ε is the
/// CKS20 conversion at δ/2 of the tables' and the selection's total ρ, the
/// other δ/2 covers the threshold). L1/L2 sensitivities charged: L0·L∞ and
/// √L0·L∞ (counts), times max(|lo|, |hi|) (sums).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING` (`account`),
/// `ILSP_ERR_INVALID_ARGUMENT` (bad parameters, or a plan that does not fit
/// the aggregator or the account's rule), `ILSP_ERR_BUDGET_EXHAUSTED`
/// (nothing is released or recorded), `ILSP_ERR_IO`,
/// `ILSP_ERR_LEDGER_INTEGRITY`, `ILSP_ERR_ENTROPY`.
///
/// Thread safety: `a` is only read (do not modify it concurrently); the
/// budget may be shared between threads.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ilsp_aggregator_release(
    a: *const ilsp_aggregator,
    budget: *mut ilsp_budget,
    account: *const std::ffi::c_char,
    max_contributions_per_partition: u32,
    noise: i32,
    count_param: f64,
    sum_param: f64,
    selection_epsilon: f64,
    selection_delta: f64,
    suppress_below: i64,
    out: *mut *mut ilsp_table,
) -> ilsp_status {
    guard(|| {
        let plan = || {
            release_plan(
                max_contributions_per_partition,
                noise,
                count_param,
                sum_param,
                selection_epsilon,
                selection_delta,
                suppress_below,
            )
        };
        // SAFETY: pointer arguments as documented for this function.
        unsafe { release_table(a, budget, account, plan, out) }
    })
}

/// As `ilsp_aggregator_release`, but L∞ is chosen privately from the data
/// instead of fixed: the `bound_quantile` (e.g. 0.95) of the privacy units'
/// largest cell counts (each unit's largest count in one partition), by the
/// exponential mechanism at ε = `bound_epsilon`. The chosen value is rounded
/// up and kept in `[1, max_contributions_per_partition]`: the given L∞ is the
/// upper end of the search. Counts and sums are then capped and calibrated at
/// the chosen L∞, which `ilsp_table_noise` reports
/// (`max_contributions_per_partition`).
///
/// Charge: `bound_epsilon` is pure ε-DP under adding or removing one unit and
/// is part of the release's one charge, made before anything is drawn: with
/// Laplace noise, ε = counts' + sums' + `bound_epsilon` (+ the selection's);
/// with Gaussian noise, ρ = the tables' ρ + `bound_epsilon`²/2. The sensitivities
/// charged are those of the given (largest) L∞; the chosen one is never
/// larger. `ilsp_table_cost` reports the whole charge.
///
/// Errors: as `ilsp_aggregator_release`, and `ILSP_ERR_INVALID_ARGUMENT`
/// when `bound_quantile` is outside [0, 1] (or NaN) or `bound_epsilon` is not
/// finite and > 0 (the message names the parameter); nothing is charged then.
///
/// Thread safety: as `ilsp_aggregator_release`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ilsp_aggregator_release_private_bound(
    a: *const ilsp_aggregator,
    budget: *mut ilsp_budget,
    account: *const std::ffi::c_char,
    max_contributions_per_partition: u32,
    noise: i32,
    count_param: f64,
    sum_param: f64,
    selection_epsilon: f64,
    selection_delta: f64,
    suppress_below: i64,
    bound_quantile: f64,
    bound_epsilon: f64,
    out: *mut *mut ilsp_table,
) -> ilsp_status {
    guard(|| {
        let plan = || {
            release_plan(
                max_contributions_per_partition,
                noise,
                count_param,
                sum_param,
                selection_epsilon,
                selection_delta,
                suppress_below,
            )?
            .with_private_max_contributions(bound_quantile, bound_epsilon)
            .map_err(|e| match e {
                // Name the parameters as the header declares them.
                Error::InvalidArgument {
                    param: "quantile",
                    reason,
                } => Error::invalid("bound_quantile", reason),
                Error::InvalidArgument {
                    param: "epsilon",
                    reason,
                } => Error::invalid("bound_epsilon", reason),
                other => other,
            })
        };
        // SAFETY: pointer arguments as documented for this function.
        unsafe { release_table(a, budget, account, plan, out) }
    })
}

/// The release plan of the parameters of `ilsp_aggregator_release`.
fn release_plan(
    max_contributions_per_partition: u32,
    noise: i32,
    count_param: f64,
    sum_param: f64,
    selection_epsilon: f64,
    selection_delta: f64,
    suppress_below: i64,
) -> Result<ReleasePlan> {
    let table_noise = |param: f64| match noise {
        ILSP_TABLE_NOISE_LAPLACE => Ok(TableNoise::Laplace { epsilon: param }),
        ILSP_TABLE_NOISE_GAUSSIAN => Ok(TableNoise::Gaussian { rho: param }),
        other => Err(Error::invalid(
            "noise",
            format!(
                "must be ILSP_TABLE_NOISE_LAPLACE (0) or ILSP_TABLE_NOISE_GAUSSIAN (1), got {other}"
            ),
        )),
    };
    let mut plan = ReleasePlan::new(max_contributions_per_partition, table_noise(count_param)?)?;
    if sum_param != 0.0 {
        plan = plan.with_sum(table_noise(sum_param)?)?;
    }
    if selection_epsilon != 0.0 || selection_delta != 0.0 {
        plan = plan.with_partition_selection(selection_epsilon, selection_delta)?;
    }
    if suppress_below > 0 {
        plan = plan.suppress_below(suppress_below);
    }
    Ok(plan)
}

/// Checks the handles, builds the plan with `plan` and releases `a`'s table
/// under it, charging `account` of `budget`; writes the new table to `*out`.
///
/// # Safety
///
/// `a` and `budget` are NULL or live handles, `account` is NULL or a
/// NUL-terminated string, and `out` is NULL or writable.
unsafe fn release_table(
    a: *const ilsp_aggregator,
    budget: *mut ilsp_budget,
    account: *const std::ffi::c_char,
    plan: impl FnOnce() -> Result<ReleasePlan>,
    out: *mut *mut ilsp_table,
) -> Result<()> {
    check_out(out, "out")?;
    let agg = handle(a, "a")?;
    // SAFETY: a live budget handle per this function's contract.
    let budget = unsafe { budget_arg(budget) }?;
    // SAFETY: a NUL-terminated string per this function's contract.
    let account = unsafe { str_arg(account, "account") }?;
    let inner = agg.release(&plan()?, budget, account)?;
    give_handle(out, ilsp_table { inner });
    Ok(())
}

/// The number of rows of `table` (0 for NULL). Cannot fail.
///
/// Thread safety: safe from any thread (the table is immutable).
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_table_rows(table: *const ilsp_table) -> usize {
    // SAFETY: as in `table`.
    unsafe { table.as_ref() }.map_or(0, |t| t.inner.rows.len())
}

/// Reads row `i` of `table`: the partition key's bytes into `partition`
/// (capacity `partition_cap`; length in `*partition_len`), the noisy count
/// into `*count` and the noisy sum into `*sum` (when released), and the row's
/// flags (`ILSP_ROW_SUPPRESSED`, `ILSP_ROW_HAS_SUM`) into `*flags`. A
/// suppressed row writes neither count nor sum. `count` and `sum` may be
/// NULL to skip them.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (`i` out of range),
/// `ILSP_ERR_BUFFER_TOO_SMALL` (the needed length is written to
/// `*partition_len`; nothing else is written).
///
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_table_row(
    table: *const ilsp_table,
    i: usize,
    partition: *mut u8,
    partition_cap: usize,
    partition_len: *mut usize,
    count: *mut i64,
    sum: *mut i64,
    flags: *mut u32,
) -> ilsp_status {
    guard(|| {
        check_out(partition_len, "partition_len")?;
        check_out(flags, "flags")?;
        let t = table_ref(table)?;
        let row = t.rows.get(i).ok_or_else(|| {
            Error::invalid(
                "i",
                format!("must be < {} (the number of rows), got {i}", t.rows.len()),
            )
        })?;
        let key = &row.partition[..];
        if key.len() > partition_cap {
            write_out(partition_len, key.len());
            return Err(Error::BufferTooSmall {
                param: "partition",
                needed: key.len(),
                capacity: partition_cap,
            });
        }
        // SAFETY: `partition` has `partition_cap >= key.len()` writable bytes.
        unsafe { slice_out(partition, key.len(), "partition") }?.copy_from_slice(key);
        write_out(partition_len, key.len());
        let mut f = 0;
        match row.count {
            Some(c) => {
                if !count.is_null() {
                    write_out(count, c);
                }
            }
            None => f |= ILSP_ROW_SUPPRESSED,
        }
        if let Some(s) = row.sum {
            f |= ILSP_ROW_HAS_SUM;
            if !sum.is_null() {
                write_out(sum, s);
            }
        }
        write_out(flags, f);
        Ok(())
    })
}

/// What the release of `table` cost: the ε and δ of its (ε, δ) charge (0 for
/// a zCDP charge) and its ρ (ε²/2 for a pure charge). Any output pointer may
/// be NULL to skip it.
///
/// Errors: `ILSP_ERR_NULL` (`table`).
///
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_table_cost(
    table: *const ilsp_table,
    epsilon: *mut f64,
    delta: *mut f64,
    rho: *mut f64,
) -> ilsp_status {
    guard(|| {
        let t = table_ref(table)?;
        for (ptr, v) in [(epsilon, t.epsilon), (delta, t.delta), (rho, t.rho)] {
            if !ptr.is_null() {
                write_out(ptr, v);
            }
        }
        Ok(())
    })
}

/// How `table` was made: the noise scale of its counts (discrete Laplace t
/// or discrete Gaussian σ, in count units) and of its sums (0 without
/// sums), the L0 and L∞ bounds applied (the chosen L∞ after
/// `ilsp_aggregator_release_private_bound`), and the partition-selection
/// threshold on noisy unit counts (−1 with a public list). Any output
/// pointer may be NULL to skip it.
///
/// Errors: `ILSP_ERR_NULL` (`table`).
///
/// Thread safety: safe from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_table_noise(
    table: *const ilsp_table,
    count_scale: *mut f64,
    sum_scale: *mut f64,
    max_partitions_per_unit: *mut u32,
    max_contributions_per_partition: *mut u32,
    selection_threshold: *mut i64,
) -> ilsp_status {
    guard(|| {
        let t = table_ref(table)?;
        for (ptr, v) in [
            (count_scale, t.count_noise.scale),
            (sum_scale, t.sum_noise.map_or(0.0, |s| s.scale)),
        ] {
            if !ptr.is_null() {
                write_out(ptr, v);
            }
        }
        for (ptr, v) in [
            (max_partitions_per_unit, t.max_partitions_per_unit),
            (
                max_contributions_per_partition,
                t.max_contributions_per_partition,
            ),
        ] {
            if !ptr.is_null() {
                write_out(ptr, v);
            }
        }
        if !selection_threshold.is_null() {
            write_out(selection_threshold, t.selection_threshold.unwrap_or(-1));
        }
        Ok(())
    })
}

/// Releases a table. NULL is a no-op.
///
/// Thread safety: no other call may use `table` concurrently or afterwards.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_table_free(table: *mut ilsp_table) {
    // SAFETY: NULL or a table from `give_handle`, freed once per the C contract.
    unsafe { free_handle(table) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        ILSP_ERR_BUDGET_EXHAUSTED, ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_INVALID_ARGUMENT,
        ILSP_ERR_NULL, ILSP_OK,
    };
    use std::ptr::{null, null_mut};

    fn new_agg(public: &[&str]) -> *mut ilsp_aggregator {
        let bytes: Vec<u8> = public.concat().into_bytes();
        let mut offsets = vec![0usize];
        for p in public {
            offsets.push(offsets.last().unwrap() + p.len());
        }
        let mut a = null_mut();
        let code = ilsp_aggregator_new(
            2,
            1,
            0,
            10,
            bytes.as_ptr(),
            offsets.as_ptr(),
            public.len(),
            &mut a,
        );
        assert_eq!(code, ILSP_OK);
        a
    }

    #[test]
    fn add_batch_merge_serialize_round_trip() {
        let a = new_agg(&["EAST", "WEST"]);
        let mut b = null_mut();
        assert_eq!(ilsp_aggregator_new_shard(a, &mut b), ILSP_OK);
        let units = b"u1u2u3";
        let uoff = [0usize, 2, 4, 6];
        let parts = b"EASTWESTNORTH";
        let poff = [0usize, 4, 8, 13];
        let values = [3i64, 50, 1];
        let code = ilsp_aggregator_add_batch(
            a,
            3,
            units.as_ptr(),
            uoff.as_ptr(),
            parts.as_ptr(),
            poff.as_ptr(),
            null(),
            values.as_ptr(),
        );
        assert_eq!(code, ILSP_OK);
        let code = ilsp_aggregator_add(b, b"u1".as_ptr(), 2, b"WEST".as_ptr(), 4, 2, 4);
        assert_eq!(code, ILSP_OK);
        assert_eq!(ilsp_aggregator_merge(a, b), ILSP_OK);
        assert_eq!(ilsp_aggregator_merge(a, a), ILSP_ERR_INVALID_ARGUMENT);

        let (mut ev, mut out_pub, mut un) = (0u64, 0u64, 0u64);
        let code = ilsp_aggregator_stats(a, &mut ev, &mut out_pub, &mut un, null_mut());
        assert_eq!(code, ILSP_OK);
        assert_eq!((ev, out_pub, un), (4, 1, 2));

        let mut len = 0usize;
        assert_eq!(
            ilsp_aggregator_serialize(a, null_mut(), 0, &mut len),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        let mut buf = vec![0u8; len];
        assert_eq!(
            ilsp_aggregator_serialize(a, buf.as_mut_ptr(), buf.len(), &mut len),
            ILSP_OK
        );
        let mut c = null_mut();
        assert_eq!(
            ilsp_aggregator_deserialize(buf.as_ptr(), len, &mut c),
            ILSP_OK
        );
        // SAFETY: both handles are live.
        let (x, y) = unsafe { (&(*a).inner, &(*c).inner) };
        assert_eq!(x.to_bytes().unwrap(), y.to_bytes().unwrap());
        for h in [a, b, c] {
            ilsp_aggregator_free(h);
        }
        ilsp_aggregator_free(null_mut());
    }

    fn last_error() -> String {
        // SAFETY: the thread's last-error message is a live NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(crate::ffi::last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    /// 1,000 units with 1 to 10 counts in one public partition, L∞ searched
    /// in [0, 1000]: edge 10 has utility 0 (900 counts below it, q·n = 900)
    /// and every other edge at most −100, so at ε = 2 another edge is chosen
    /// with probability below 1000·e^(−100): the test does not fail by chance.
    #[test]
    fn release_private_bound_chooses_and_charges_the_bound() {
        use crate::ffi::budget::{
            ilsp_budget_free, ilsp_budget_open, ilsp_budget_set_limit, ilsp_budget_spent,
        };
        let a = new_agg(&["A"]);
        for i in 0..1000u64 {
            let unit = format!("p{i}");
            let code = ilsp_aggregator_add(
                a,
                unit.as_ptr(),
                unit.len(),
                b"A".as_ptr(),
                1,
                1 + i % 10,
                0,
            );
            assert_eq!(code, ILSP_OK);
        }
        let mut budget = null_mut();
        assert_eq!(ilsp_budget_open(null(), &mut budget), ILSP_OK);
        let account = c"r".as_ptr();
        assert_eq!(ilsp_budget_set_limit(budget, account, 4.0, 0.0), ILSP_OK);
        let release = |quantile: f64, epsilon: f64, out: *mut *mut ilsp_table| {
            ilsp_aggregator_release_private_bound(
                a,
                budget,
                account,
                1000,
                ILSP_TABLE_NOISE_LAPLACE,
                1.0,
                0.0,
                0.0,
                0.0,
                0,
                quantile,
                epsilon,
                out,
            )
        };
        let mut t = null_mut();
        assert_eq!(release(0.9, 2.0, &mut t), ILSP_OK);
        let (mut eps, mut delta, mut scale, mut l0, mut l_inf) = (0.0, 1.0, 0.0, 0u32, 0u32);
        assert_eq!(
            ilsp_table_cost(t, &mut eps, &mut delta, null_mut()),
            ILSP_OK
        );
        // The bound's ε is in the one charge: counts' 1 + the bound's 2.
        assert_eq!((eps, delta), (3.0, 0.0));
        let code = ilsp_table_noise(t, &mut scale, null_mut(), &mut l0, &mut l_inf, null_mut());
        assert_eq!(code, ILSP_OK);
        assert_eq!(l_inf, 10);
        // Counts are calibrated at the chosen L∞ (L0 = 1 here, ε = 1).
        assert_eq!(l0, 1);
        assert!(
            scale >= f64::from(l_inf) && scale < f64::from(l_inf) + 1e-3,
            "t = {scale}"
        );
        assert_eq!(ilsp_table_rows(t), 1);
        ilsp_table_free(t);

        // Bad bound parameters: the message names them; nothing is charged.
        for (q, e, message) in [
            (1.5, 1.0, "bound_quantile must be in [0, 1], got 1.5"),
            (-0.1, 1.0, "bound_quantile must be in [0, 1], got -0.1"),
            (f64::NAN, 1.0, "bound_quantile must be in [0, 1], got NaN"),
            (
                0.5,
                f64::NAN,
                "bound_epsilon must be finite and > 0, got NaN",
            ),
            (0.5, 0.0, "bound_epsilon must be finite and > 0, got 0"),
            (
                0.5,
                f64::INFINITY,
                "bound_epsilon must be finite and > 0, got inf",
            ),
        ] {
            let mut t = null_mut();
            assert_eq!(release(q, e, &mut t), ILSP_ERR_INVALID_ARGUMENT);
            assert_eq!(last_error(), message);
            assert!(t.is_null());
        }
        let mut spent = 0.0;
        let code = ilsp_budget_spent(budget, account, &mut spent, &mut delta);
        assert_eq!((code, spent), (ILSP_OK, 3.0));
        // The next release (ε = 1.5) does not fit in the 1 left.
        let mut t = null_mut();
        assert_eq!(release(0.9, 0.5, &mut t), ILSP_ERR_BUDGET_EXHAUSTED);
        assert!(t.is_null());
        assert_eq!(release(0.9, 1.0, null_mut()), ILSP_ERR_NULL);
        ilsp_budget_free(budget);
        ilsp_aggregator_free(a);
    }

    #[test]
    fn bad_arguments_are_reported() {
        let mut a = null_mut();
        assert_eq!(
            ilsp_aggregator_new(0, 0, 0, 0, null(), null(), 0, &mut a),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_aggregator_new(1, 2, 0, 0, null(), null(), 0, &mut a),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_aggregator_new(1, 0, 0, 0, null(), null(), 2, &mut a),
            ILSP_ERR_NULL
        );
        assert!(a.is_null());
        let a = new_agg(&[]);
        let off = [0usize, 3, 1];
        let code = ilsp_aggregator_add_batch(
            a,
            2,
            b"abc".as_ptr(),
            off.as_ptr(),
            b"abc".as_ptr(),
            off.as_ptr(),
            null(),
            null(),
        );
        assert_eq!(code, ILSP_ERR_INVALID_ARGUMENT);
        assert_eq!(
            ilsp_aggregator_add(a, null(), 0, b"P".as_ptr(), 1, 1, 0),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_aggregator_add(null_mut(), b"u".as_ptr(), 1, b"P".as_ptr(), 1, 1, 0),
            ILSP_ERR_NULL
        );
        let mut out = null_mut();
        assert_eq!(
            ilsp_aggregator_deserialize(b"junk".as_ptr(), 4, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        ilsp_aggregator_free(a);
    }
}
