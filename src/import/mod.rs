//! Bringing CRM data in: customers and events from CSV (with a header) or JSON lines.
//!
//! Every row is validated first; a report names the row, the column and the reason. By
//! default a file is imported all or nothing; with `skip_bad` the valid rows land and the
//! bad ones are reported. Events carry an id (the source's `event_id`, or a hash of their
//! content and its occurrence number in the file), so importing the same file again adds
//! nothing twice. Nothing is acknowledged before it is durable.

mod columns;
mod customers;
mod events;
mod limits;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use thiserror::Error;

pub use columns::{ColumnMap, Preset};
pub use customers::{import_customer_rows, import_customers, row_to_customer};
pub use events::{import_event_rows, import_events, row_to_event};
pub use limits::ImportLimits;

/// One bad row: where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1 of a CSV).
    pub row: u64,
    /// The column (after mapping), or `-` for the whole row.
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.reason
        )
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file: PathBuf,
    /// Data rows read.
    pub rows: u64,
    /// Records written (new ones).
    pub imported: u64,
    /// Valid rows already in the store from an earlier import.
    pub already_present: u64,
    /// Customers created for events of unknown customers (`create_customers`).
    pub customers_created: u64,
    /// Bad rows; when non-empty and `skip_bad` was off, nothing was imported.
    pub bad_rows: Vec<RowError>,
    /// Whether anything was written.
    pub committed: bool,
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid CSV file: {message}")]
    Csv { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Columns { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Import the valid rows and report the bad ones, instead of all or nothing.
    pub skip_bad: bool,
    /// Create a bare customer for events whose customer is unknown.
    pub create_customers: bool,
    /// Renamed columns (target ← source), from `--map` and `--preset`.
    pub columns: ColumnMap,
    /// Bounds on amounts, quantities, dates and fields (`[import]`).
    pub limits: ImportLimits,
}

/// One row: field name → value. Names are shared (`Arc<str>`) so a million rows do not
/// allocate a million copies of each column name.
pub type Fields = HashMap<Arc<str>, String>;

/// A file's rows as (line number, field name → value); JSON lines become flat maps too.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub records: Vec<(u64, Fields)>,
}

impl Rows {
    /// Rows from a JSON request body: one object, or an array of objects (numbered from 1).
    pub fn from_json(value: &serde_json::Value) -> Rows {
        let items: Vec<&serde_json::Value> = match value {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let records = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (i as u64 + 1, flatten(item)))
            .collect();
        Rows { records }
    }
}

/// One JSON object as field → text (nested values kept as JSON text).
fn flatten(value: &serde_json::Value) -> Fields {
    let mut fields = HashMap::new();
    match value {
        serde_json::Value::Object(object) => {
            for (k, v) in object {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                fields.insert(Arc::from(k.as_str()), text);
            }
        }
        _ => {
            fields.insert(Arc::from(BAD_ROW), "not a JSON object".to_owned());
        }
    }
    fields
}

/// Whether a file holds JSON lines (by extension, else by its first non-blank byte).
pub(crate) fn is_json_lines(path: &Path, head: &[u8]) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl" | "ndjson" | "json") => true,
        Some("csv" | "txt") => false,
        _ => head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    }
}

/// Reads a CSV file with a header into rows, applying the column map.
/// Reads CSV bytes with a header into rows (public for the fuzz targets and tests).
pub fn read_csv(path: &Path, bytes: &[u8], map: &ColumnMap) -> Result<Rows, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .byte_headers()
        .map_err(|e| ImportError::Csv {
            path: path.to_owned(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_owned()
        })
        .collect::<Vec<_>>();
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = headers.iter().find(|h| !seen.insert(h.as_str())) {
        return Err(ImportError::Columns {
            path: path.to_owned(),
            message: format!(
                "the header names the column {twice:?} twice; which one holds the value is unclear, so nothing was imported"
            ),
        });
    }
    let names: Vec<Arc<str>> = headers.iter().map(|h| Arc::from(h.as_str())).collect();
    map.check_sources(&headers)
        .map_err(|message| ImportError::Columns {
            path: path.to_owned(),
            message,
        })?;
    let mut records = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let mut fields = HashMap::new();
                fields.insert(Arc::from(BAD_ROW), format!("unreadable CSV row: {e}"));
                records.push((line, fields));
                continue;
            }
        };
        let mut fields = Fields::with_capacity(names.len());
        for (h, v) in names.iter().zip(record.iter()) {
            match std::str::from_utf8(v) {
                Ok(v) => fields.insert(h.clone(), v.to_owned()),
                Err(_) => {
                    fields.insert(Arc::from(BAD_ROW), format!("column {h} is not valid UTF-8"))
                }
            };
        }
        if record.len() != headers.len() {
            fields.insert(
                Arc::from(BAD_ROW),
                format!(
                    "has {} fields, the header has {}",
                    record.len(),
                    headers.len()
                ),
            );
        }
        records.push((line, map.apply(fields)));
    }
    Ok(Rows { records })
}

/// Reads JSON lines into flat rows (nested values are kept as JSON text).
/// Reads JSON-lines bytes into rows (public for the fuzz targets and tests).
pub fn read_json_lines(bytes: &[u8], map: &ColumnMap) -> Rows {
    let mut records = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let fields = match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(value) => flatten(&value),
            Err(e) => HashMap::from([(Arc::from(BAD_ROW), format!("not a JSON object: {e}"))]),
        };
        records.push((n, map.apply(fields)));
    }
    Rows { records }
}

/// Field name under which a reader reports a row it could not split into fields.
pub(crate) const BAD_ROW: &str = "\u{0}bad_row";

/// Parses a time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DD` or `YYYYMMDD` (UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return Ok(Utc.from_utc_datetime(&at));
        }
    }
    for format in ["%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"] {
        if let Ok(day) = NaiveDate::parse_from_str(t, format) {
            return Ok(Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")));
        }
    }
    Err(format!(
        "expected a time like 2026-11-27, 20261127 or 2026-11-27T10:00:00Z, got {t:?}"
    ))
}

/// Reads a whole file (imports validate every row before writing any).
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_owned(),
        source,
    })
}
