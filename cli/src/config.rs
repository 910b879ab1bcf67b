//! The report configuration: a TOML file (documented in docs/cli.md, with
//! a commented example in examples/report.toml), parsed strictly (unknown
//! keys are errors) and validated with messages naming the file, the line
//! and the key.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use ilsprivacy::aggregate::{
    AggregatorConfig, CsvOptions, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_LIMIT,
    MIN_RECORD_BYTES, ReleasePlan, TableNoise,
};
use ilsprivacy::budget::{Composition, Period};
use serde::Deserialize;
use toml::Spanned;

/// The built-in configuration of the sample report (`ilsprivacy report`
/// without arguments).
pub const SAMPLE_CONFIG: &str = include_str!("../configs/sample.toml");

/// The documented default configuration for a CSV export given without
/// `--config`: the columns `patron_id, branch, format, items, loan_days`,
/// groups selected from the data.
pub const DEFAULT_CONFIG: &str = include_str!("../configs/default.toml");

/// The most tables a report may have.
pub const MAX_TABLES: usize = 32;
/// The most public groups a table may list.
pub const MAX_PUBLIC_GROUPS: usize = 100_000;
/// The default of `input.max_groups`: distinct groups a table may see.
pub const DEFAULT_MAX_GROUPS: u64 = 1_000_000;
/// The largest `input.max_groups` accepted.
pub const MAX_GROUPS_LIMIT: u64 = 10_000_000;
/// The largest configuration file read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A configuration that does not parse or validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or "built-in sample configuration" …).
    pub origin: String,
    /// The line of the key at fault, if known.
    pub line: Option<usize>,
    /// The key at fault (`table "branches": epsilon`), or empty.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// A number written as a TOML integer or float.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn get(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// One or several column names.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn into_vec(self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s],
            Names::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<Spanned<String>>,
    input: Option<RawInput>,
    budget: Option<RawBudget>,
    #[serde(default)]
    table: Vec<Spanned<RawTable>>,
    tokenize: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    unit: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
    max_record_bytes: Option<Spanned<i64>>,
    max_quarantined: Option<Spanned<Num>>,
    max_outside_groups: Option<Spanned<Num>>,
    max_groups: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    account: Option<Spanned<String>>,
    composition: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
    epsilon_per_period: Option<Spanned<Num>>,
    delta_per_period: Option<Spanned<Num>>,
    max_epsilon_per_report: Option<Spanned<Num>>,
    max_delta_per_report: Option<Spanned<Num>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: Spanned<String>,
    title: Option<Spanned<String>>,
    group_by: Spanned<Names>,
    count: Option<Spanned<String>>,
    max_groups_per_patron: Spanned<i64>,
    max_per_group: Spanned<i64>,
    choose_max_per_group: Option<Spanned<RawChoose>>,
    noise: Option<Spanned<String>>,
    epsilon: Option<Spanned<Num>>,
    rho: Option<Spanned<Num>>,
    groups: Option<Spanned<Vec<String>>>,
    select_groups: Option<Spanned<RawSelect>>,
    suppress_below: Option<Spanned<i64>>,
    value: Option<Spanned<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelect {
    epsilon: Spanned<Num>,
    delta: Spanned<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoose {
    quantile: Spanned<Num>,
    epsilon: Spanned<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    column: Spanned<String>,
    lo: Spanned<i64>,
    hi: Spanned<i64>,
    epsilon: Option<Spanned<Num>>,
    rho: Option<Spanned<Num>>,
    show: Option<Spanned<String>>,
}

/// How the input is read.
#[derive(Debug, Clone, PartialEq)]
pub struct InputConfig {
    /// The column holding the privacy unit (the patron).
    pub unit: String,
    /// The delimiter, or `None` to detect it from the header.
    pub delimiter: Option<u8>,
    /// The per-record size cap.
    pub max_record_bytes: usize,
    /// The largest share of quarantined rows before the run stops.
    pub max_quarantined: f64,
    /// The largest share of rows outside a table's public groups.
    pub max_outside_groups: f64,
    /// The most distinct groups a table may see in the input.
    pub max_groups: u64,
}

impl InputConfig {
    /// The CSV reader's options.
    ///
    /// # Errors
    ///
    /// Never for a validated configuration (the values were checked).
    pub fn csv_options(&self) -> ilsprivacy::Result<CsvOptions> {
        let options = CsvOptions::new().with_max_record_bytes(self.max_record_bytes)?;
        match self.delimiter {
            Some(d) => options.with_delimiter(d),
            None => Ok(options.detect_delimiter()),
        }
    }
}

/// The account's policy: set on the account the first time the report runs
/// against a ledger without a limit for it, and the per-report caps.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetPolicy {
    /// The account charged.
    pub account: String,
    /// Its composition rule.
    pub composition: Composition,
    /// Its period.
    pub period: Period,
    /// ε of the limit per period.
    pub epsilon_per_period: f64,
    /// δ of the limit per period.
    pub delta_per_period: f64,
    /// The most ε one report may cost.
    pub max_epsilon_per_report: f64,
    /// The most δ one report may cost.
    pub max_delta_per_report: f64,
}

/// A table's noise parameter for counts or values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoiseParam {
    /// Laplace noise at ε.
    Laplace(f64),
    /// Gaussian noise at ρ.
    Gaussian(f64),
}

impl NoiseParam {
    fn table_noise(self) -> TableNoise {
        match self {
            NoiseParam::Laplace(epsilon) => TableNoise::Laplace { epsilon },
            NoiseParam::Gaussian(rho) => TableNoise::Gaussian { rho },
        }
    }
}

/// Where a table's groups come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Groups {
    /// A public list (rows outside it are counted for the operator).
    Public(Vec<String>),
    /// Selected from the data with differentially private partition selection.
    Selected {
        /// ε of the selection.
        epsilon: f64,
        /// δ of the selection.
        delta: f64,
    },
}

/// Which statistics of a value column are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The noisy sum.
    Sum,
    /// The noisy sum divided by the noisy count.
    Mean,
    /// Both.
    Both,
}

/// A summed value column.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueConfig {
    /// The column (integers).
    pub column: String,
    /// Values are clamped to [lo, hi].
    pub lo: i64,
    /// See `lo`.
    pub hi: i64,
    /// The sums' noise.
    pub noise: NoiseParam,
    /// What is shown.
    pub show: Show,
}

/// One table of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct TableConfig {
    /// Its name (letters, digits, `_`, `-`; used for file names).
    pub name: String,
    /// Its title.
    pub title: String,
    /// The columns grouped by.
    pub group_by: Vec<String>,
    /// The column counted (items per row), or `None` to count rows.
    pub count: Option<String>,
    /// L0: the most groups one patron contributes to.
    pub max_groups_per_patron: u32,
    /// L∞: the most one patron adds to one group's count.
    pub max_per_group: u32,
    /// L∞ chosen privately (quantile, ε), `max_per_group` being its upper end.
    pub choose_max_per_group: Option<(f64, f64)>,
    /// The counts' noise.
    pub noise: NoiseParam,
    /// The groups.
    pub groups: Groups,
    /// Counts below this are withheld.
    pub suppress_below: Option<i64>,
    /// A summed value, if any.
    pub value: Option<ValueConfig>,
}

impl TableConfig {
    /// The aggregator's configuration (a fresh selection key each time).
    ///
    /// # Errors
    ///
    /// Never for a validated table, except [`ilsprivacy::Error::Entropy`].
    pub fn aggregator(&self) -> ilsprivacy::Result<AggregatorConfig> {
        let mut config = AggregatorConfig::new(self.max_groups_per_patron)?;
        if let Some(v) = &self.value {
            config = config.with_value_bounds(v.lo, v.hi)?;
        }
        if let Groups::Public(list) = &self.groups {
            config = config.with_public_partitions(list.iter().map(|g| group_key(g)))?;
        }
        Ok(config)
    }

    /// The release plan.
    ///
    /// # Errors
    ///
    /// Never for a validated table.
    pub fn plan(&self) -> ilsprivacy::Result<ReleasePlan> {
        let mut plan = ReleasePlan::new(self.max_per_group, self.noise.table_noise())?;
        if let Some(v) = &self.value {
            plan = plan.with_sum(v.noise.table_noise())?;
        }
        if let Groups::Selected { epsilon, delta } = self.groups {
            plan = plan.with_partition_selection(epsilon, delta)?;
        }
        if let Some((q, e)) = self.choose_max_per_group {
            plan = plan.with_private_max_contributions(q, e)?;
        }
        if let Some(k) = self.suppress_below {
            plan = plan.suppress_below(k);
        }
        Ok(plan)
    }

    /// Whether the table uses Gaussian noise anywhere.
    pub fn gaussian(&self) -> bool {
        matches!(self.noise, NoiseParam::Gaussian(_))
            || self
                .value
                .as_ref()
                .is_some_and(|v| matches!(v.noise, NoiseParam::Gaussian(_)))
    }
}

/// The key of a group: its fields joined by the aggregator's separator.
pub fn group_key(group: &str) -> Vec<u8> {
    group
        .split(" / ")
        .collect::<Vec<_>>()
        .join("\u{1f}")
        .into_bytes()
}

/// A validated report configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportConfig {
    /// Where it came from (a path, or a built-in name).
    pub origin: String,
    /// The report's title.
    pub title: String,
    /// How the input is read.
    pub input: InputConfig,
    /// The budget policy.
    pub budget: BudgetPolicy,
    /// The tables, in order.
    pub tables: Vec<TableConfig>,
    /// The `[tokenize]` section as JSON text (an export schema), if any.
    pub tokenize: Option<String>,
    /// The text it was read from.
    pub text: String,
}

/// Reads and validates the configuration file at `path`.
///
/// # Errors
///
/// A [`ConfigError`] naming the file, line and key.
pub fn load(path: &Path) -> Result<ReportConfig, ConfigError> {
    let origin = path.display().to_string();
    let fail = |message: String| ConfigError {
        origin: origin.clone(),
        line: None,
        key: String::new(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(fail("is not a regular file".into()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(fail(format!(
            "is {} bytes; a configuration is at most {MAX_CONFIG_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "is not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(&text, &origin, false)
}

/// Parses configuration `text`; `tokenize_only` accepts a file without
/// tables (for `ilsprivacy tokenize --config`).
///
/// # Errors
///
/// A [`ConfigError`] naming `origin`, the line and the key.
pub fn parse(text: &str, origin: &str, tokenize_only: bool) -> Result<ReportConfig, ConfigError> {
    let v = Validator { text, origin };
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
        origin: origin.to_owned(),
        line: e.span().map(|s| v.line(&s)),
        key: String::new(),
        message: e.message().trim().to_owned(),
    })?;
    v.config(raw, tokenize_only)
}

/// Turns spans into line numbers and raw values into checked ones.
struct Validator<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Validator<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(
        &self,
        span: Option<&Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            origin: self.origin.to_owned(),
            line: span.map(|s| self.line(s)),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn at<T>(&self, value: &Spanned<T>, key: &str, message: impl Into<String>) -> ConfigError {
        self.err(Some(&value.span()), key, message)
    }

    /// A number in `range` (bounds as stated in the message).
    fn number(
        &self,
        value: &Spanned<Num>,
        key: &str,
        ok: impl Fn(f64) -> bool,
        must: &str,
    ) -> Result<f64, ConfigError> {
        let x = value.get_ref().get();
        if x.is_finite() && ok(x) {
            Ok(x)
        } else {
            Err(self.at(value, key, format!("must be {must}, got {x}")))
        }
    }

    fn epsilon(&self, value: &Spanned<Num>, key: &str) -> Result<f64, ConfigError> {
        self.number(value, key, |x| x > 0.0 && x <= 100.0, "> 0 and at most 100")
    }

    fn delta(&self, value: &Spanned<Num>, key: &str) -> Result<f64, ConfigError> {
        self.number(value, key, |x| x > 0.0 && x < 1.0, "in (0, 1)")
    }

    fn text_value(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let s = value.get_ref();
        if s.is_empty() || s.len() > 256 || s.chars().any(char::is_control) {
            return Err(self.at(
                value,
                key,
                "must be 1 to 256 bytes without control characters",
            ));
        }
        Ok(s.clone())
    }

    fn config(&self, raw: RawConfig, tokenize_only: bool) -> Result<ReportConfig, ConfigError> {
        let title = match &raw.title {
            Some(t) => self.text_value(t, "title")?,
            None => "Circulation report".to_owned(),
        };
        let input = self.input(raw.input.unwrap_or_default())?;
        let budget = self.budget(raw.budget.unwrap_or_default())?;
        let tokenize = match &raw.tokenize {
            None => None,
            Some(t) => Some(self.tokenize(t)?),
        };
        if raw.table.is_empty() && !tokenize_only {
            return Err(self.err(
                None,
                "table",
                "the report has no tables: add at least one [[table]] section",
            ));
        }
        if raw.table.len() > MAX_TABLES {
            return Err(self.at(
                &raw.table[MAX_TABLES],
                "table",
                format!("a report has at most {MAX_TABLES} tables"),
            ));
        }
        let mut tables: Vec<TableConfig> = Vec::with_capacity(raw.table.len());
        for t in &raw.table {
            let table = self.table(t, &budget)?;
            if tables.iter().any(|other| other.name == table.name) {
                return Err(self.at(
                    &t.get_ref().name,
                    "table.name",
                    format!("{:?} is used by two tables", table.name),
                ));
            }
            tables.push(table);
        }
        Ok(ReportConfig {
            origin: self.origin.to_owned(),
            title,
            input,
            budget,
            tables,
            tokenize,
            text: self.text.to_owned(),
        })
    }

    fn input(&self, raw: RawInput) -> Result<InputConfig, ConfigError> {
        let unit = match &raw.unit {
            Some(u) => self.text_value(u, "input.unit")?,
            None => "patron_id".to_owned(),
        };
        let delimiter = match &raw.delimiter {
            None => None,
            Some(d) => {
                parse_delimiter(d.get_ref()).map_err(|m| self.at(d, "input.delimiter", m))?
            }
        };
        let max_record_bytes = match &raw.max_record_bytes {
            None => DEFAULT_MAX_RECORD_BYTES,
            Some(n) => {
                let v = *n.get_ref();
                if v < MIN_RECORD_BYTES as i64 || v > MAX_RECORD_BYTES_LIMIT as i64 {
                    return Err(self.at(
                        n,
                        "input.max_record_bytes",
                        format!(
                            "must be in [{MIN_RECORD_BYTES}, {MAX_RECORD_BYTES_LIMIT}], got {v}"
                        ),
                    ));
                }
                v as usize
            }
        };
        let share = |v: &Option<Spanned<Num>>, key: &str, default: f64| match v {
            None => Ok(default),
            Some(n) => self.number(n, key, |x| (0.0..=1.0).contains(&x), "a fraction in [0, 1]"),
        };
        let max_groups = match &raw.max_groups {
            None => DEFAULT_MAX_GROUPS,
            Some(n) => {
                let v = *n.get_ref();
                if !(1..=MAX_GROUPS_LIMIT as i64).contains(&v) {
                    return Err(self.at(
                        n,
                        "input.max_groups",
                        format!("must be in [1, {MAX_GROUPS_LIMIT}], got {v}"),
                    ));
                }
                v as u64
            }
        };
        Ok(InputConfig {
            max_groups,
            unit,
            delimiter,
            max_record_bytes,
            max_quarantined: share(&raw.max_quarantined, "input.max_quarantined", 0.01)?,
            max_outside_groups: share(&raw.max_outside_groups, "input.max_outside_groups", 0.01)?,
        })
    }

    fn budget(&self, raw: RawBudget) -> Result<BudgetPolicy, ConfigError> {
        let account = match &raw.account {
            Some(a) => {
                let name = self.text_value(a, "budget.account")?;
                ilsprivacy::budget::validate_account_name(&name)
                    .map_err(|e| self.at(a, "budget.account", e.to_string()))?;
                name
            }
            None => "circulation/report".to_owned(),
        };
        let composition = match &raw.composition {
            None => Composition::Basic,
            Some(c) => match c.get_ref().as_str() {
                "basic" => Composition::Basic,
                "zcdp" => Composition::Zcdp,
                other => {
                    return Err(self.at(
                        c,
                        "budget.composition",
                        format!("must be \"basic\" or \"zcdp\", got {other:?}"),
                    ));
                }
            },
        };
        let period = match &raw.period {
            None => Period::CalendarYear,
            Some(p) => match p.get_ref().as_str() {
                "calendar-year" => Period::CalendarYear,
                "calendar-month" => Period::CalendarMonth,
                "lifetime" => Period::Lifetime,
                other => {
                    return Err(self.at(
                        p,
                        "budget.period",
                        format!(
                            "must be \"calendar-year\", \"calendar-month\" or \"lifetime\", got {other:?}"
                        ),
                    ));
                }
            },
        };
        let epsilon_per_period = match &raw.epsilon_per_period {
            Some(e) => self.epsilon(e, "budget.epsilon_per_period")?,
            None => 3.0,
        };
        let delta_per_period = match &raw.delta_per_period {
            Some(d) => self.number(
                d,
                "budget.delta_per_period",
                |x| (0.0..1.0).contains(&x),
                "in [0, 1)",
            )?,
            None => 3e-7,
        };
        if composition == Composition::Zcdp && delta_per_period == 0.0 {
            let span = raw.delta_per_period.as_ref().map(Spanned::span);
            return Err(self.err(
                span.as_ref(),
                "budget.delta_per_period",
                "must be > 0 with composition = \"zcdp\" (zCDP implies no pure DP)",
            ));
        }
        let max_epsilon_per_report = match &raw.max_epsilon_per_report {
            Some(e) => self.epsilon(e, "budget.max_epsilon_per_report")?,
            None => 1.0,
        };
        let max_delta_per_report = match &raw.max_delta_per_report {
            Some(d) => self.number(
                d,
                "budget.max_delta_per_report",
                |x| (0.0..1.0).contains(&x),
                "in [0, 1)",
            )?,
            None => 1e-7,
        };
        Ok(BudgetPolicy {
            account,
            composition,
            period,
            epsilon_per_period,
            delta_per_period,
            max_epsilon_per_report,
            max_delta_per_report,
        })
    }

    fn table(
        &self,
        spanned: &Spanned<RawTable>,
        budget: &BudgetPolicy,
    ) -> Result<TableConfig, ConfigError> {
        let t = spanned.get_ref();
        let name = t.name.get_ref().clone();
        if name.is_empty()
            || name.len() > 40
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(self.at(
                &t.name,
                "table.name",
                format!(
                    "must be 1 to 40 letters, digits, '_' or '-' (it names files), got {name:?}"
                ),
            ));
        }
        let key = |k: &str| format!("table {name:?}: {k}");
        let title = match &t.title {
            Some(s) => self.text_value(s, &key("title"))?,
            None => name.clone(),
        };
        let group_by = t.group_by.get_ref().clone().into_vec();
        if group_by.is_empty() || group_by.len() > 8 {
            return Err(self.at(&t.group_by, &key("group_by"), "must name 1 to 8 columns"));
        }
        for (i, g) in group_by.iter().enumerate() {
            if g.is_empty() || group_by[..i].contains(g) {
                return Err(self.at(
                    &t.group_by,
                    &key("group_by"),
                    format!("column {g:?} is empty or repeated"),
                ));
            }
        }
        let count = match &t.count {
            Some(c) => Some(self.text_value(c, &key("count"))?),
            None => None,
        };
        let int_in = |v: &Spanned<i64>, k: &str, lo: i64, hi: i64| {
            let x = *v.get_ref();
            if (lo..=hi).contains(&x) {
                Ok(x)
            } else {
                Err(self.at(v, &key(k), format!("must be in [{lo}, {hi}], got {x}")))
            }
        };
        let max_groups_per_patron =
            int_in(&t.max_groups_per_patron, "max_groups_per_patron", 1, 65_536)? as u32;
        let max_per_group = int_in(&t.max_per_group, "max_per_group", 1, 1_000_000)? as u32;
        let choose_max_per_group = match &t.choose_max_per_group {
            None => None,
            Some(c) => {
                let c = c.get_ref();
                let q = self.number(
                    &c.quantile,
                    &key("choose_max_per_group.quantile"),
                    |x| (0.0..=1.0).contains(&x),
                    "in [0, 1]",
                )?;
                let e = self.epsilon(&c.epsilon, &key("choose_max_per_group.epsilon"))?;
                Some((q, e))
            }
        };
        let kind = match &t.noise {
            None => "laplace",
            Some(n) => match n.get_ref().as_str() {
                "laplace" => "laplace",
                "gaussian" => "gaussian",
                other => {
                    return Err(self.at(
                        n,
                        &key("noise"),
                        format!("must be \"laplace\" or \"gaussian\", got {other:?}"),
                    ));
                }
            },
        };
        let noise_of = |eps: &Option<Spanned<Num>>,
                        rho: &Option<Spanned<Num>>,
                        prefix: &str,
                        span: &Range<usize>|
         -> Result<NoiseParam, ConfigError> {
            let k = |s: &str| key(&format!("{prefix}{s}"));
            match (kind, eps, rho) {
                ("laplace", Some(e), None) => {
                    Ok(NoiseParam::Laplace(self.epsilon(e, &k("epsilon"))?))
                }
                ("gaussian", None, Some(r)) => Ok(NoiseParam::Gaussian(self.number(
                    r,
                    &k("rho"),
                    |x| x > 0.0 && x <= 100.0,
                    "> 0 and at most 100",
                )?)),
                ("laplace", _, Some(r)) => Err(self.at(
                    r,
                    &k("rho"),
                    "is for noise = \"gaussian\"; Laplace noise takes epsilon",
                )),
                ("gaussian", Some(e), _) => Err(self.at(
                    e,
                    &k("epsilon"),
                    "is for Laplace noise; noise = \"gaussian\" takes rho (zCDP)",
                )),
                ("laplace", None, None) => Err(self.err(Some(span), &k("epsilon"), "is missing")),
                _ => Err(self.err(Some(span), &k("rho"), "is missing")),
            }
        };
        let noise = noise_of(&t.epsilon, &t.rho, "", &spanned.span())?;
        let groups = match (&t.groups, &t.select_groups) {
            (Some(list), None) => {
                let groups = list.get_ref().clone();
                if groups.is_empty() || groups.len() > MAX_PUBLIC_GROUPS {
                    return Err(self.at(
                        list,
                        &key("groups"),
                        format!("must list 1 to {MAX_PUBLIC_GROUPS} groups"),
                    ));
                }
                for (i, g) in groups.iter().enumerate() {
                    let parts = g.split(" / ").count();
                    if g.is_empty() || g.contains('\u{1f}') || parts != group_by.len() {
                        return Err(self.at(
                            list,
                            &key("groups"),
                            format!(
                                "group {i} must be non-empty and have one value per group_by column ({}), joined by \" / \"",
                                group_by.len()
                            ),
                        ));
                    }
                    if groups[..i].contains(g) {
                        return Err(self.at(
                            list,
                            &key("groups"),
                            format!("group {g:?} is listed twice"),
                        ));
                    }
                }
                Groups::Public(groups)
            }
            (None, Some(sel)) => {
                let s = sel.get_ref();
                let epsilon = self.epsilon(&s.epsilon, &key("select_groups.epsilon"))?;
                let delta = self.delta(&s.delta, &key("select_groups.delta"))?;
                if kind == "gaussian" {
                    return Err(self.at(
                        sel,
                        &key("select_groups"),
                        "Gaussian noise with groups selected from the data is not supported yet: use noise = \"laplace\" for this table, or list its groups (groups = [...])",
                    ));
                }
                Groups::Selected { epsilon, delta }
            }
            (Some(list), Some(_)) => {
                return Err(self.at(
                    list,
                    &key("groups"),
                    "give either a public list (groups) or select_groups, not both",
                ));
            }
            (None, None) => {
                return Err(self.err(
                    Some(&spanned.span()),
                    &key("groups"),
                    "is missing: list the table's groups (groups = [\"MAIN\", ...]) or select them from the data (select_groups = { epsilon = 0.1, delta = 5e-8 })",
                ));
            }
        };
        let suppress_below = match &t.suppress_below {
            None => None,
            Some(k) => Some(int_in(k, "suppress_below", 0, 1 << 40)?),
        };
        let value = match &t.value {
            None => None,
            Some(v) => {
                let raw = v.get_ref();
                let column = self.text_value(&raw.column, &key("value.column"))?;
                let (lo, hi) = (*raw.lo.get_ref(), *raw.hi.get_ref());
                if lo > hi {
                    return Err(self.at(
                        &raw.lo,
                        &key("value.lo"),
                        format!("must be <= hi, got {lo} > {hi}"),
                    ));
                }
                if lo == 0 && hi == 0 {
                    return Err(self.at(&raw.hi, &key("value.hi"), "bounds [0, 0] sum nothing"));
                }
                let noise = noise_of(&raw.epsilon, &raw.rho, "value.", &v.span())?;
                let show = match &raw.show {
                    None => Show::Sum,
                    Some(s) => match s.get_ref().as_str() {
                        "sum" => Show::Sum,
                        "mean" => Show::Mean,
                        "both" => Show::Both,
                        other => {
                            return Err(self.at(
                                s,
                                &key("value.show"),
                                format!("must be \"sum\", \"mean\" or \"both\", got {other:?}"),
                            ));
                        }
                    },
                };
                if show != Show::Sum && count.is_some() {
                    return Err(self.at(
                        s_or(&raw.show, &raw.column),
                        &key("value.show"),
                        "a mean divides the sum by the count, so the table must count rows: remove `count`, or show = \"sum\"",
                    ));
                }
                Some(ValueConfig {
                    column,
                    lo,
                    hi,
                    noise,
                    show,
                })
            }
        };
        let table = TableConfig {
            name: name.clone(),
            title,
            group_by,
            count,
            max_groups_per_patron,
            max_per_group,
            choose_max_per_group,
            noise,
            groups,
            suppress_below,
            value,
        };
        if table.gaussian() && budget.composition != Composition::Zcdp {
            return Err(self.err(
                Some(&spanned.span()),
                &key("noise"),
                "Gaussian noise is charged in zCDP (rho): set budget.composition = \"zcdp\"",
            ));
        }
        if budget.composition == Composition::Zcdp
            && matches!(table.groups, Groups::Selected { .. })
        {
            return Err(self.err(
                t.select_groups.as_ref().map(Spanned::span).as_ref(),
                &key("select_groups"),
                "has an (epsilon, delta) cost with no zCDP equivalent, which budget.composition = \"zcdp\" cannot charge: list the groups instead, or use composition = \"basic\"",
            ));
        }
        // The library's own checks (sensitivities too large to calibrate …).
        table
            .aggregator()
            .and_then(|_| table.plan())
            .map_err(|e| self.err(Some(&spanned.span()), &key(""), e.to_string()))?;
        Ok(table)
    }

    fn tokenize(&self, value: &Spanned<toml::Value>) -> Result<String, ConfigError> {
        let json = serde_json::to_string(value.get_ref())
            .map_err(|e| self.at(value, "tokenize", e.to_string()))?;
        ilsprivacy::token::record::ExportSchema::from_json(&json)
            .map_err(|e| self.at(value, "tokenize", e.to_string()))?;
        Ok(json)
    }
}

fn s_or<'a>(a: &'a Option<Spanned<String>>, b: &'a Spanned<String>) -> &'a Spanned<String> {
    a.as_ref().unwrap_or(b)
}

/// Reads a delimiter: `auto` (detected), one ASCII character, `\t` or `tab`.
///
/// # Errors
///
/// A message when it is none of these.
pub fn parse_delimiter(text: &str) -> Result<Option<u8>, String> {
    let d = match text {
        "auto" => return Ok(None),
        "tab" | "\\t" | "\t" => b'\t',
        s if s.len() == 1 => s.as_bytes()[0],
        _ => {
            return Err(format!(
                "must be \"auto\" or one character (\",\", \";\", \"\\t\", \"|\"), got {text:?}"
            ));
        }
    };
    CsvOptions::new()
        .with_delimiter(d)
        .map(|_| Some(d))
        .map_err(|e| e.to_string())
}

/// The built-in sample configuration.
///
/// # Panics
///
/// Never: a unit test checks that it validates.
pub fn sample() -> ReportConfig {
    parse(SAMPLE_CONFIG, "built-in sample configuration", false)
        .unwrap_or_else(|e| panic!("the built-in sample configuration is invalid: {e}"))
}

/// The default configuration for a CSV export without `--config`.
///
/// # Panics
///
/// Never: a unit test checks that it validates.
pub fn default_config() -> ReportConfig {
    parse(DEFAULT_CONFIG, "default configuration", false)
        .unwrap_or_else(|e| panic!("the default configuration is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_configurations_validate() {
        let s = sample();
        assert_eq!(s.tables.len(), 2);
        assert!(matches!(s.tables[0].groups, Groups::Public(ref l) if l.len() == 20));
        let d = default_config();
        assert!(
            d.tables
                .iter()
                .all(|t| matches!(t.groups, Groups::Selected { .. }))
        );
        assert_eq!(d.input.unit, "patron_id");
        let example =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/report.toml");
        let e = load(&example).unwrap();
        assert!(e.tokenize.is_some());
    }

    fn err(text: &str) -> String {
        parse(text, "r.toml", false).unwrap_err().to_string()
    }

    const TABLE: &str = "[[table]]\nname = \"b\"\ngroup_by = \"branch\"\nmax_groups_per_patron = 1\nmax_per_group = 5\n";

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        assert_eq!(
            err(&format!("{TABLE}epsilon = -1\ngroups = [\"A\"]\n")),
            "r.toml:6: table \"b\": epsilon: must be > 0 and at most 100, got -1"
        );
        assert_eq!(
            err(&format!(
                "{TABLE}epsilon = 0.5\nepsilom = 2\ngroups = [\"A\"]\n"
            )),
            "r.toml:7: unknown field `epsilom`, expected one of `name`, `title`, `group_by`, `count`, `max_groups_per_patron`, `max_per_group`, `choose_max_per_group`, `noise`, `epsilon`, `rho`, `groups`, `select_groups`, `suppress_below`, `value`"
        );
        let e = err(&format!("{TABLE}epsilon = 0.5\n"));
        assert!(
            e.starts_with("r.toml:1: table \"b\": groups: is missing"),
            "{e}"
        );
        let e = err(&format!(
            "{TABLE}noise = \"gaussian\"\nrho = 0.1\nselect_groups = {{ epsilon = 0.1, delta = 1e-8 }}\n"
        ));
        assert!(
            e.contains("Gaussian noise with groups selected from the data is not supported yet"),
            "{e}"
        );
        assert!(e.starts_with("r.toml:8: table \"b\": select_groups"), "{e}");
        let e = err(&format!(
            "[budget]\ncomposition = \"zcdp\"\n{TABLE}count = \"items\"\nnoise = \"gaussian\"\nrho = 0.1\ngroups = [\"A\"]\n[table.value]\ncolumn = \"d\"\nlo = 0\nhi = 9\nrho = 0.1\nshow = \"mean\"\n"
        ));
        assert!(
            e.starts_with("r.toml:17: table \"b\": value.show: a mean divides"),
            "{e}"
        );
        assert_eq!(
            err("[input]\ndelimiter = \"::\"\n"),
            "r.toml:2: input.delimiter: must be \"auto\" or one character (\",\", \";\", \"\\t\", \"|\"), got \"::\""
        );
        assert_eq!(
            err("title = \"x\"\n"),
            "r.toml: table: the report has no tables: add at least one [[table]] section"
        );
        let e = err(&format!("{TABLE}epsilon = 0.5\ngroups = [\"A\", \"A\"]\n"));
        assert!(e.contains("listed twice"), "{e}");
        let e = err(&format!(
            "{TABLE}noise = \"gaussian\"\nrho = 0.1\ngroups = [\"A\"]\n"
        ));
        assert!(e.contains("set budget.composition = \"zcdp\""), "{e}");
        let e = err("title = [\n");
        assert!(e.starts_with("r.toml:1:"), "{e}");
    }

    #[test]
    fn groups_of_several_columns_are_joined() {
        let c = parse(
            "[[table]]\nname = \"bf\"\ngroup_by = [\"branch\", \"format\"]\nmax_groups_per_patron = 2\nmax_per_group = 5\nepsilon = 0.5\ngroups = [\"MAIN / book\", \"NORTH / dvd\"]\n",
            "r.toml",
            false,
        )
        .unwrap();
        assert_eq!(group_key("MAIN / book"), b"MAIN\x1fbook");
        assert!(matches!(c.tables[0].groups, Groups::Public(ref g) if g.len() == 2));
        let e = err(
            "[[table]]\nname = \"bf\"\ngroup_by = [\"branch\", \"format\"]\nmax_groups_per_patron = 2\nmax_per_group = 5\nepsilon = 0.5\ngroups = [\"MAIN\"]\n",
        );
        assert!(e.contains("one value per group_by column (2)"), "{e}");
    }
}
