//! k-anonymous exports: generalization hierarchies for quasi-identifier
//! columns, and the least generalization (plus bounded row suppression)
//! that puts every row in an equivalence class of at least k rows.
//!
//! # k-anonymity is not differential privacy
//!
//! A k-anonymous table guarantees only that each released row shares its
//! quasi-identifier values with at least k − 1 others. It says nothing about
//! the *other* columns (a class whose rows share one sensitive value reveals
//! it: homogeneity), nothing against an adversary with background knowledge,
//! and nothing across releases (two k-anonymous exports of overlapping data
//! can be intersected). It also depends on choosing the right
//! quasi-identifier columns. Differential privacy (the rest of this crate)
//! bounds what any output reveals about any one patron, whatever the
//! adversary knows and across releases (through the budget), but releases
//! noisy aggregates, not rows.
//!
//! Use differential privacy for anything published or shared widely
//! (statistics, dashboards, open data). Use k-anonymous row-level exports
//! only for a known recipient under a data-sharing agreement that forbids
//! re-identification, when row-level data is genuinely needed (a vendor's
//! migration test, a researcher under contract), and combine them with
//! role masking that removes direct identifiers first.
//!
//! # Hierarchies
//!
//! ```toml
//! [anonymity]
//! k = 5
//! max_suppression = 0.01               # at most 1% of rows suppressed
//! [anonymity.hierarchy.checkout_date]
//! kind = "date"                        # day -> month -> year -> *
//! [anonymity.hierarchy.week_of_visit]
//! kind = "date_week"                   # day -> ISO week -> ISO week-year -> *
//! [anonymity.hierarchy.age]
//! kind = "age"
//! bands = [5, 10, 20]                  # raw -> 5-year -> 10-year -> 20-year bands -> *
//! [anonymity.hierarchy.postcode]
//! kind = "postcode"
//! keep = [4, 3, 2]                     # raw -> first 4 -> 3 -> 2 characters -> *
//! ```
//!
//! A column without a hierarchy is categorical: raw → `*`. Each level is a
//! coarsening of the one below it (band widths must each divide the next;
//! postcode lengths must decrease), so merging can only grow classes. A value
//! a hierarchy cannot read (not a date, not an age) becomes `*` at every
//! level above the raw one.
//!
//! # The search
//!
//! Full-domain generalization: one level per column for the whole table (a
//! node of the lattice of level vectors). Rows of classes smaller than k are
//! suppressed when their number is within the allowance. Among the nodes
//! that satisfy k with the allowance, [`k_anonymize`] returns one with the
//! least **precision loss** (Sweeney 2002: the mean over the quasi-identifier
//! columns of level / height), ties broken by the smallest level vector in
//! lexicographic order. It visits nodes in order of loss and skips nodes
//! below one already found to fail (they fail too: generalizing only merges
//! classes), so the first node that satisfies is the optimum.
//!
//! Cost: each node counted is one pass over the rows (time O(rows ×
//! columns)); at most [`MAX_LATTICE_NODES`] nodes, far fewer with the
//! pruning when k is met low in the lattice. Memory: the rows' interned
//! values at every level, 4 bytes × rows × Σ (levels + 1), plus one hash
//! table of classes.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::error::{Error, Result, try_with_capacity};
use crate::policy::date::CivilDate;
use crate::policy::{Lines, MAX_POLICY_ENTRIES, PolicyError, check_name, shown_name};
use crate::token::mask::{MAX_AGE, age_band};

/// The most quasi-identifier columns.
pub const MAX_QUASI_COLUMNS: usize = 16;

/// The most nodes of the generalization lattice searched.
pub const MAX_LATTICE_NODES: u64 = 1 << 16;

/// The most levels (above the raw one) of one hierarchy.
pub const MAX_LEVELS: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAnonymity {
    k: Option<u64>,
    max_suppression: Option<f64>,
    #[serde(default)]
    hierarchy: BTreeMap<String, RawHierarchy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHierarchy {
    kind: String,
    #[serde(default)]
    bands: Vec<u32>,
    #[serde(default)]
    keep: Vec<usize>,
}

/// How one quasi-identifier column is generalized, level by level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hierarchy {
    /// raw → `*`.
    Categorical,
    /// raw → `YYYY-MM` → `YYYY` → `*` (UTC civil dates, see [`super::date`]).
    Date,
    /// raw → ISO week `YYYY-Www` → ISO week-year `YYYY` → `*`.
    DateWeek,
    /// raw → bands of each width (each dividing the next; top-coded as in
    /// [`super::transform::Transform::AgeBand`]) → `*`.
    Age(Vec<u32>),
    /// raw → the first n characters for each n (decreasing; spaces and
    /// hyphens removed, upper case) → `*`.
    Postcode(Vec<usize>),
}

impl Hierarchy {
    /// The highest level (every value `*`).
    pub fn height(&self) -> usize {
        match self {
            Hierarchy::Categorical => 1,
            Hierarchy::Date | Hierarchy::DateWeek => 3,
            Hierarchy::Age(b) => b.len() + 1,
            Hierarchy::Postcode(k) => k.len() + 1,
        }
    }

    /// A short name of `level` for reports: `raw`, `month`, `10-year bands`, `3 chars`, `*`.
    pub fn level_name(&self, level: usize) -> String {
        if level == 0 {
            return "raw".into();
        }
        if level >= self.height() {
            return "*".into();
        }
        match self {
            Hierarchy::Categorical => "*".into(),
            Hierarchy::Date => ["month", "year"][level - 1].into(),
            Hierarchy::DateWeek => ["iso week", "iso week-year"][level - 1].into(),
            Hierarchy::Age(b) => format!("{}-year bands", b[level - 1]),
            Hierarchy::Postcode(k) => format!("{} chars", k[level - 1]),
        }
    }

    /// `value` generalized to `level` (0: as it is; [`Hierarchy::height`] or
    /// above: `*`).
    pub fn generalize(&self, value: &str, level: usize) -> String {
        if level == 0 {
            return value.to_owned();
        }
        if level >= self.height() {
            return "*".into();
        }
        let star = || "*".to_owned();
        match self {
            Hierarchy::Categorical => star(),
            Hierarchy::Date | Hierarchy::DateWeek => match CivilDate::parse(value) {
                Err(_) => star(),
                Ok(d) => match (self, level) {
                    (Hierarchy::Date, 1) => format!("{:04}-{:02}", d.year(), d.month()),
                    (Hierarchy::Date, _) => format!("{:04}", d.year()),
                    (_, 1) => {
                        let (y, w) = d.iso_week();
                        format!("{y:04}-W{w:02}")
                    }
                    _ => format!("{:04}", d.iso_week().0),
                },
            },
            Hierarchy::Age(bands) => {
                let width = bands[level - 1];
                match value.trim().parse::<u32>() {
                    Ok(age) if age <= MAX_AGE => {
                        let top = (super::transform::AGE_TOP / width).max(1) * width;
                        age_band(age, width, top).unwrap_or_else(|_| star())
                    }
                    _ => star(),
                }
            }
            Hierarchy::Postcode(keep) => {
                let compact: String = value
                    .trim()
                    .chars()
                    .filter(|c| *c != ' ' && *c != '-')
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                if compact.is_empty() || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return star();
                }
                compact.chars().take(keep[level - 1]).collect()
            }
        }
    }
}

/// The checked `[anonymity]` section.
#[derive(Clone, Debug, Default)]
pub struct AnonymityPolicy {
    /// The default k.
    pub k: Option<u64>,
    /// The default share of rows that may be suppressed, in [0, 1].
    pub max_suppression: Option<f64>,
    hierarchies: BTreeMap<String, Hierarchy>,
}

impl AnonymityPolicy {
    pub(crate) fn from_raw(
        raw: RawAnonymity,
        lines: &Lines<'_>,
    ) -> std::result::Result<Self, PolicyError> {
        let section = |key: &str| lines.at(format!("anonymity{key}"), "[anonymity]", 0);
        if raw.k == Some(0) {
            return Err(PolicyError::Invalid {
                at: section(".k"),
                reason: "must be at least 1".into(),
            });
        }
        if let Some(s) = raw.max_suppression
            && !(0.0..=1.0).contains(&s)
        {
            return Err(PolicyError::Invalid {
                at: section(".max_suppression"),
                reason: "must be a share between 0 and 1".into(),
            });
        }
        if raw.hierarchy.len() > MAX_POLICY_ENTRIES {
            return Err(PolicyError::Invalid {
                at: section(".hierarchy"),
                reason: format!("at most {MAX_POLICY_ENTRIES} columns"),
            });
        }
        let mut hierarchies = BTreeMap::new();
        for (column, h) in raw.hierarchy {
            let at = || {
                lines.at(
                    format!("anonymity.hierarchy.{}", shown_name(&column)),
                    &format!("[anonymity.hierarchy.{column}]"),
                    0,
                )
            };
            check_name(&column, at)?;
            let invalid = |reason: String| PolicyError::Invalid { at: at(), reason };
            let unused = |what: &str, used: bool| {
                if used {
                    Err(invalid(format!(
                        "{what} does not apply to kind {:?}",
                        shown_name(&h.kind)
                    )))
                } else {
                    Ok(())
                }
            };
            let hierarchy = match h.kind.as_str() {
                "categorical" | "date" | "date_week" => {
                    unused("bands", !h.bands.is_empty())?;
                    unused("keep", !h.keep.is_empty())?;
                    match h.kind.as_str() {
                        "date" => Hierarchy::Date,
                        "date_week" => Hierarchy::DateWeek,
                        _ => Hierarchy::Categorical,
                    }
                }
                "age" => {
                    unused("keep", !h.keep.is_empty())?;
                    let ok = !h.bands.is_empty()
                        && h.bands.len() <= MAX_LEVELS
                        && h.bands
                            .iter()
                            .all(|&w| (1..=super::transform::AGE_TOP).contains(&w))
                        && h.bands.windows(2).all(|p| p[1] > p[0] && p[1] % p[0] == 0);
                    if !ok {
                        return Err(invalid(format!(
                            "bands must be 1 to {MAX_LEVELS} widths from 1 to 90, each a multiple of the one before (e.g. [5, 10, 20])"
                        )));
                    }
                    Hierarchy::Age(h.bands)
                }
                "postcode" => {
                    unused("bands", !h.bands.is_empty())?;
                    let ok = !h.keep.is_empty()
                        && h.keep.len() <= MAX_LEVELS
                        && h.keep.iter().all(|&n| n >= 1)
                        && h.keep.windows(2).all(|p| p[1] < p[0]);
                    if !ok {
                        return Err(invalid(format!(
                            "keep must be 1 to {MAX_LEVELS} decreasing lengths of at least 1 (e.g. [4, 3, 2])"
                        )));
                    }
                    Hierarchy::Postcode(h.keep)
                }
                other => {
                    return Err(invalid(format!(
                        "unknown kind {:?}: expected categorical, date, date_week, age or postcode",
                        shown_name(other)
                    )));
                }
            };
            hierarchies.insert(column, hierarchy);
        }
        Ok(AnonymityPolicy {
            k: raw.k,
            max_suppression: raw.max_suppression,
            hierarchies,
        })
    }

    /// The hierarchy of `column` (categorical when none is configured).
    pub fn hierarchy(&self, column: &str) -> Hierarchy {
        self.hierarchies
            .get(column)
            .cloned()
            .unwrap_or(Hierarchy::Categorical)
    }
}

/// What [`k_anonymize`] chose and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The level of each quasi-identifier column.
    pub levels: Vec<usize>,
    /// Per row: suppressed (left out of the export)?
    pub suppressed: Vec<bool>,
    /// Rows suppressed.
    pub suppressed_rows: u64,
    /// Equivalence classes among the rows kept.
    pub classes: u64,
    /// The smallest class among the rows kept (0 if none is kept).
    pub smallest_class: u64,
    /// Precision loss: the mean over columns of level / height, in [0, 1].
    pub precision_loss: f64,
    /// Lattice nodes whose classes were counted.
    pub nodes_evaluated: u64,
}

/// Precision loss of `levels` as an exact fraction `numerator / Π heights`.
pub fn loss_numerator(levels: &[usize], heights: &[usize]) -> u128 {
    let d: u128 = heights.iter().map(|&h| h as u128).product();
    levels
        .iter()
        .zip(heights)
        .map(|(&l, &h)| l as u128 * (d / h as u128))
        .sum()
}

/// The least generalization of `rows` (each holding one value per
/// quasi-identifier column, in the order of `hierarchies`) in which every
/// kept row is in a class of at least `k`, suppressing at most
/// `max_suppressed` rows (see the module documentation).
///
/// # Errors
///
/// [`Error::InvalidArgument`]: `k` is 0; no column or more than
/// [`MAX_QUASI_COLUMNS`]; a row of the wrong width; a lattice larger than
/// [`MAX_LATTICE_NODES`]; or no node satisfies (fewer than `k` rows and
/// suppression of them all not allowed).
pub fn k_anonymize(
    hierarchies: &[Hierarchy],
    rows: &[Vec<String>],
    k: u64,
    max_suppressed: u64,
) -> Result<Solution> {
    if k == 0 {
        return Err(Error::invalid("k", "must be at least 1, got 0"));
    }
    let q = hierarchies.len();
    if q == 0 || q > MAX_QUASI_COLUMNS {
        return Err(Error::invalid(
            "quasi",
            format!("must name 1 to {MAX_QUASI_COLUMNS} columns, got {q}"),
        ));
    }
    if rows.iter().any(|r| r.len() != q) {
        return Err(Error::invalid(
            "rows",
            format!("every row must hold {q} values"),
        ));
    }
    let heights: Vec<usize> = hierarchies.iter().map(Hierarchy::height).collect();
    let nodes_total = heights
        .iter()
        .try_fold(1u64, |a, &h| a.checked_mul(h as u64 + 1))
        .filter(|&n| n <= MAX_LATTICE_NODES)
        .ok_or_else(|| {
            Error::invalid(
                "quasi",
                format!("the generalization lattice would exceed {MAX_LATTICE_NODES} nodes"),
            )
        })?;
    let n = rows.len();
    // ids[c][l][row]: the interned value of row at level l of column c.
    let mut ids: Vec<Vec<Vec<u32>>> = Vec::with_capacity(q);
    for (c, h) in hierarchies.iter().enumerate() {
        let mut per_level = Vec::with_capacity(heights[c] + 1);
        for level in 0..=heights[c] {
            let mut intern: HashMap<String, u32> = HashMap::new();
            let mut col = try_with_capacity(n, "rows")?;
            for row in rows {
                let g = h.generalize(&row[c], level);
                let next = intern.len() as u32;
                col.push(*intern.entry(g).or_insert(next));
            }
            per_level.push(col);
        }
        ids.push(per_level);
    }
    // Every node, in order of loss then lexicographically.
    let mut nodes: Vec<Vec<usize>> = Vec::with_capacity(nodes_total as usize);
    let mut node = vec![0usize; q];
    loop {
        nodes.push(node.clone());
        let mut c = q;
        loop {
            if c == 0 {
                break;
            }
            c -= 1;
            if node[c] < heights[c] {
                node[c] += 1;
                break;
            }
            node[c] = 0;
        }
        if node.iter().all(|&l| l == 0) {
            break;
        }
    }
    nodes.sort_by(|a, b| {
        loss_numerator(a, &heights)
            .cmp(&loss_numerator(b, &heights))
            .then_with(|| a.cmp(b))
    });
    let mut failing: Vec<Vec<usize>> = Vec::new();
    let mut evaluated = 0u64;
    let mut key = vec![0u32; q];
    for node in nodes {
        if failing
            .iter()
            .any(|f| node.iter().zip(f).all(|(a, b)| a <= b))
        {
            continue;
        }
        evaluated += 1;
        let mut counts: HashMap<Vec<u32>, u64> = HashMap::new();
        for r in 0..n {
            class_key(&ids, &node, r, &mut key);
            match counts.get_mut(&key) {
                Some(v) => *v += 1,
                None => {
                    counts.insert(key.clone(), 1);
                }
            }
        }
        let suppressed: u64 = counts.values().filter(|&&v| v < k).sum();
        if suppressed > max_suppressed {
            failing.push(node);
            continue;
        }
        let mut flags = try_with_capacity(n, "rows")?;
        for r in 0..n {
            class_key(&ids, &node, r, &mut key);
            flags.push(counts[&key] < k);
        }
        let kept: Vec<u64> = counts.values().copied().filter(|&v| v >= k).collect();
        let d: u128 = heights.iter().map(|&h| h as u128).product();
        return Ok(Solution {
            precision_loss: loss_numerator(&node, &heights) as f64 / (d as f64 * q as f64),
            levels: node,
            suppressed: flags,
            suppressed_rows: suppressed,
            classes: kept.len() as u64,
            smallest_class: kept.iter().copied().min().unwrap_or(0),
            nodes_evaluated: evaluated,
        });
    }
    Err(Error::invalid(
        "k",
        format!(
            "cannot be met: {n} rows, k = {k}, at most {max_suppressed} rows may be suppressed"
        ),
    ))
}

/// The interned generalized values of row `r` at `node`, into `key`.
fn class_key(ids: &[Vec<Vec<u32>>], node: &[usize], r: usize, key: &mut [u32]) {
    for ((k, column), &level) in key.iter_mut().zip(ids).zip(node) {
        *k = column[level][r];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchies_generalize_level_by_level() {
        let date = Hierarchy::Date;
        assert_eq!(date.generalize("2024-02-29", 0), "2024-02-29");
        assert_eq!(date.generalize("2024-02-29", 1), "2024-02");
        assert_eq!(date.generalize("2024-02-29", 2), "2024");
        assert_eq!(date.generalize("2024-02-29", 3), "*");
        assert_eq!(date.generalize("not a date", 1), "*");
        let week = Hierarchy::DateWeek;
        assert_eq!(week.generalize("2027-01-01", 1), "2026-W53");
        assert_eq!(week.generalize("2027-01-01", 2), "2026");
        let age = Hierarchy::Age(vec![5, 10, 20]);
        assert_eq!(age.generalize("37", 1), "35-39");
        assert_eq!(age.generalize("37", 2), "30-39");
        assert_eq!(age.generalize("37", 3), "20-39");
        assert_eq!(age.generalize("95", 3), "80+");
        assert_eq!(age.generalize("x", 1), "*");
        let pc = Hierarchy::Postcode(vec![4, 2]);
        assert_eq!(pc.generalize("sw1a 1aa", 1), "SW1A");
        assert_eq!(pc.generalize("sw1a 1aa", 2), "SW");
        assert_eq!(pc.generalize("sw1a 1aa", 3), "*");
        assert_eq!(pc.level_name(1), "4 chars");
    }

    #[test]
    fn too_few_rows_is_an_error() {
        let rows = vec![vec!["a".to_owned()]; 2];
        let e = k_anonymize(&[Hierarchy::Categorical], &rows, 3, 0).unwrap_err();
        assert!(e.to_string().contains("cannot be met"), "{e}");
        let s = k_anonymize(&[Hierarchy::Categorical], &rows, 3, 2).unwrap();
        assert_eq!(s.suppressed_rows, 2);
    }
}
