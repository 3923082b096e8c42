//! Generic table encoding for the churn evaluation on arbitrary CSV files: numeric and
//! categorical columns are detected, categoricals one-hot encoded, blanks handled
//! (numeric blanks get the training median, categorical blanks their own level), and
//! identifier-like columns dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::churn::FeatureText;
use super::{ModelError, Result};

/// A CSV table as strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads a CSV with a header row; every row must have as many fields as the header.
    pub fn parse<R: Read>(r: R, file: &Path) -> Result<Table> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(r);
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| parse_err(file, 0, "header", e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for (k, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| parse_err(file, k + 1, "-", e.to_string()))?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        Ok(Table { headers, rows })
    }

    /// Index of the column named `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

fn parse_err(file: &Path, row: usize, column: &str, message: String) -> ModelError {
    ModelError::Parse {
        file: file.to_path_buf(),
        row,
        column: column.to_string(),
        message,
    }
}

fn is_blank(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("nan") || t == "?"
}

/// How one source column becomes model columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnEncoding {
    /// A number; blanks become `fill` and, if any were seen in training, a 0/1 indicator
    /// column follows.
    Numeric {
        source: usize,
        name: String,
        fill: f64,
        blank_indicator: bool,
    },
    /// One 0/1 column per level seen in training (blank is the level `(blank)`);
    /// unseen levels give all zeros.
    OneHot {
        source: usize,
        name: String,
        levels: Vec<String>,
    },
}

/// Learned encoding of a table's feature columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEncoder {
    pub columns: Vec<ColumnEncoding>,
    /// Source columns left out, with why.
    pub dropped: Vec<(String, String)>,
}

const BLANK: &str = "(blank)";

impl TableEncoder {
    /// Learns the encoding from the rows `fit_rows` of `table`, skipping `skip` columns
    /// (the label and those asked to be dropped).
    pub fn fit(table: &Table, fit_rows: &[usize], skip: &BTreeSet<usize>) -> TableEncoder {
        let mut columns = Vec::new();
        let mut dropped = Vec::new();
        for (j, name) in table.headers.iter().enumerate() {
            if skip.contains(&j) {
                continue;
            }
            let values: Vec<&str> = fit_rows
                .iter()
                .map(|&i| table.rows[i][j].as_str())
                .collect();
            let non_blank: Vec<&str> = values.iter().copied().filter(|v| !is_blank(v)).collect();
            let numbers: Vec<f64> = non_blank
                .iter()
                .filter_map(|v| v.trim().parse::<f64>().ok())
                .collect();
            if !non_blank.is_empty() && numbers.len() == non_blank.len() {
                let mut sorted = numbers.clone();
                sorted.sort_by(f64::total_cmp);
                let fill = sorted[sorted.len() / 2];
                columns.push(ColumnEncoding::Numeric {
                    source: j,
                    name: name.clone(),
                    fill,
                    blank_indicator: non_blank.len() < values.len(),
                });
                continue;
            }
            let levels: BTreeSet<String> = values
                .iter()
                .map(|v| {
                    if is_blank(v) {
                        BLANK.to_string()
                    } else {
                        v.trim().to_string()
                    }
                })
                .collect();
            if levels.len() <= 1 {
                dropped.push((name.clone(), "a single value".to_string()));
            } else if levels.len() > 100 && levels.len() * 2 > values.len() {
                dropped.push((
                    name.clone(),
                    format!("identifier-like ({} distinct values)", levels.len()),
                ));
            } else {
                columns.push(ColumnEncoding::OneHot {
                    source: j,
                    name: name.clone(),
                    levels: levels.into_iter().collect(),
                });
            }
        }
        TableEncoder { columns, dropped }
    }

    /// Names of the encoded columns, in order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.columns {
            match c {
                ColumnEncoding::Numeric {
                    name,
                    blank_indicator,
                    ..
                } => {
                    out.push(name.clone());
                    if *blank_indicator {
                        out.push(format!("{name} is blank"));
                    }
                }
                ColumnEncoding::OneHot { name, levels, .. } => {
                    out.extend(levels.iter().map(|l| format!("{name}={l}")));
                }
            }
        }
        out
    }

    /// Plain-word texts of the encoded columns, for churn reasons.
    pub fn feature_texts(&self) -> Vec<FeatureText> {
        let mut out = Vec::new();
        for c in &self.columns {
            match c {
                ColumnEncoding::Numeric {
                    name,
                    blank_indicator,
                    ..
                } => {
                    out.push(FeatureText::new(
                        name,
                        &format!("{name} is high"),
                        &format!("{name} is low"),
                    ));
                    if *blank_indicator {
                        let n = format!("{name} is blank");
                        out.push(FeatureText::new(&n, &n, &format!("{name} is given")));
                    }
                }
                ColumnEncoding::OneHot { name, levels, .. } => {
                    for l in levels {
                        out.push(FeatureText::new(
                            &format!("{name}={l}"),
                            &format!("{name} is {l}"),
                            &format!("{name} is not {l}"),
                        ));
                    }
                }
            }
        }
        out
    }

    /// Encodes the rows `rows` of `table` into a matrix.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Array2<f64> {
        let width = self.feature_names().len();
        let mut x = Array2::<f64>::zeros((rows.len(), width));
        for (r, &i) in rows.iter().enumerate() {
            let row = &table.rows[i];
            let mut k = 0;
            for c in &self.columns {
                match c {
                    ColumnEncoding::Numeric {
                        source,
                        fill,
                        blank_indicator,
                        ..
                    } => {
                        let v = row[*source]
                            .trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite());
                        x[[r, k]] = v.unwrap_or(*fill);
                        k += 1;
                        if *blank_indicator {
                            x[[r, k]] = if v.is_none() { 1.0 } else { 0.0 };
                            k += 1;
                        }
                    }
                    ColumnEncoding::OneHot { source, levels, .. } => {
                        let v = &row[*source];
                        let v = if is_blank(v) { BLANK } else { v.trim() };
                        if let Ok(p) = levels.binary_search_by(|l| l.as_str().cmp(v)) {
                            x[[r, k + p]] = 1.0;
                        }
                        k += levels.len();
                    }
                }
            }
        }
        x
    }
}

/// Turns the label column into booleans. `positive` names the churn value; without it,
/// common "yes" spellings are tried, then the rarer of two values is taken as positive.
pub fn encode_label(
    table: &Table,
    label: usize,
    positive: Option<&str>,
    file: &Path,
) -> Result<(Vec<bool>, String)> {
    let values: Vec<&str> = table.rows.iter().map(|r| r[label].trim()).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        if is_blank(v) {
            return Err(parse_err(
                file,
                i + 1,
                &table.headers[label],
                "the label is blank".to_string(),
            ));
        }
        *counts.entry(v).or_default() += 1;
    }
    let pos = match positive {
        Some(p) => {
            if !counts.contains_key(p) {
                return Err(ModelError::invalid(
                    "churn",
                    format!(
                        "positive value `{p}` not found in column `{}`; values are {:?}",
                        table.headers[label],
                        counts.keys().collect::<Vec<_>>()
                    ),
                ));
            }
            p.to_string()
        }
        None => {
            if counts.len() != 2 {
                return Err(ModelError::invalid(
                    "churn",
                    format!(
                        "label `{}` must have two values, has {}; name the positive one",
                        table.headers[label],
                        counts.len()
                    ),
                ));
            }
            let yes = ["yes", "1", "true", "churn", "churned", "y", "positive"];
            counts
                .keys()
                .find(|k| yes.iter().any(|y| k.eq_ignore_ascii_case(y)))
                .map(|k| k.to_string())
                .unwrap_or_else(|| {
                    counts
                        .iter()
                        .min_by_key(|(_, c)| **c)
                        .map(|(k, _)| k.to_string())
                        .unwrap_or_default()
                })
        }
    };
    Ok((values.iter().map(|v| *v == pos).collect(), pos))
}
