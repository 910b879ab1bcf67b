//! `--out DIR`: report.json and one CSV file per table, written atomically.

use std::path::{Path, PathBuf};

use super::{Report, TableView};
use crate::error::CliError;
use crate::fsutil::PendingFile;

/// The files of `--out DIR`, created before the spend (so a bad directory
/// fails before anything is spent) and filled after it.
pub struct OutFiles {
    json: PendingFile,
    tables: Vec<(String, PendingFile)>,
}

impl OutFiles {
    /// Creates `dir` if needed and the pending files `report.json` and
    /// `<table>.csv` for each table name.
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] if the directory or a file cannot be created.
    pub fn create(dir: &Path, tables: &[String]) -> Result<OutFiles, CliError> {
        if !dir.is_dir() {
            std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, &e))?;
        }
        let json = PendingFile::create(&dir.join("report.json"))?;
        let tables = tables
            .iter()
            .map(|name| {
                Ok((
                    name.clone(),
                    PendingFile::create(&dir.join(format!("{name}.csv")))?,
                ))
            })
            .collect::<Result<_, CliError>>()?;
        Ok(OutFiles { json, tables })
    }

    /// Writes and commits every file.
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] naming the file.
    pub fn write(self, report: &Report) -> Result<Vec<PathBuf>, CliError> {
        let mut written = Vec::new();
        let mut json = serde_json::to_string_pretty(report).map_err(|e| CliError::Io {
            path: self.json.target().display().to_string(),
            detail: e.to_string(),
        })?;
        json.push('\n');
        written.push(self.json.target().to_path_buf());
        self.json.write_all_and_commit(json.as_bytes())?;
        for (name, file) in self.tables {
            if let Some(t) = report.tables.iter().find(|t| t.name == name) {
                written.push(file.target().to_path_buf());
                file.write_all_and_commit(table_csv(t).as_bytes())?;
            }
        }
        Ok(written)
    }
}

/// A CSV field, quoted when needed.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One table as CSV: the group columns, then each statistic with its 95 %
/// interval (`_low95`, `_high95`); withheld cells are empty.
pub fn table_csv(t: &TableView) -> String {
    let mut header: Vec<String> = t.group_by.iter().map(|g| field(g)).collect();
    header.extend(["count", "count_low95", "count_high95"].map(String::from));
    let (sum, mean) = t
        .value
        .as_ref()
        .map_or((false, false), |v| (v.show_sum, v.show_mean));
    if sum {
        header.extend(["sum", "sum_low95", "sum_high95"].map(String::from));
    }
    if mean {
        header.extend(["mean", "mean_low95", "mean_high95"].map(String::from));
    }
    let mut out = header.join(",");
    out.push('\n');
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let optf = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    for r in &t.rows {
        let mut cells: Vec<String> = r.group.iter().map(|g| field(g)).collect();
        cells.push(opt(r.count));
        cells.push(opt(r.count_95.map(|i| i[0])));
        cells.push(opt(r.count_95.map(|i| i[1])));
        if sum {
            cells.push(opt(r.sum));
            cells.push(opt(r.sum_95.map(|i| i[0])));
            cells.push(opt(r.sum_95.map(|i| i[1])));
        }
        if mean {
            cells.push(optf(r.mean));
            cells.push(optf(r.mean_95.map(|i| i[0])));
            cells.push(optf(r.mean_95.map(|i| i[1])));
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
