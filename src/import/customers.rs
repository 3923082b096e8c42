//! Importing customers: one row per customer, upserted by id.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::{
    BAD_ROW, Fields, ImportError, ImportOptions, ImportReport, RowError, Rows, is_json_lines,
    parse_time, read_csv, read_file, read_json_lines,
};
use crate::domain::{Consent, Customer, CustomerId, Language, Plan};
use crate::store::Store;

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+\.[^@\s]+$").expect("valid email pattern"));

/// Columns with a meaning; any other column becomes a customer attribute.
const KNOWN: &[&str] = &[
    "id",
    "name",
    "email",
    "language",
    "plan",
    "created",
    "marketing",
];

pub(super) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" | "" => Ok(false),
        other => Err(format!("expected yes or no, got {other:?}")),
    }
}

pub(super) fn parse_plan(text: &str) -> Result<Plan, String> {
    match text.trim().to_lowercase().as_str() {
        "" | "none" | "free" => Ok(Plan::None),
        "basic" => Ok(Plan::Basic),
        "plus" => Ok(Plan::Plus),
        "premium" => Ok(Plan::Premium),
        other => Err(format!(
            "expected none, basic, plus or premium, got {other:?}"
        )),
    }
}

/// One row as a customer (given the stored one, for defaults), or the column and reason it
/// is bad.
pub fn row_to_customer(
    fields: &Fields,
    existing: Option<&Customer>,
    now: DateTime<Utc>,
) -> Result<Customer, (String, String)> {
    let get = |k: &str| fields.get(k).map(|v| v.trim()).unwrap_or("");
    let bad = |col: &str, reason: String| (col.to_owned(), reason);
    if let Some(reason) = fields.get(BAD_ROW) {
        return Err(bad("-", reason.clone()));
    }
    let id = match get("id") {
        "" => return Err(bad("id", "missing customer id".into())),
        text => text
            .trim_start_matches('0')
            .parse::<u64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                bad(
                    "id",
                    format!("expected a positive whole number, got {text:?}"),
                )
            })?,
    };
    let email = match get("email") {
        "" => None,
        e if EMAIL.is_match(e) => Some(e.to_lowercase()),
        e => return Err(bad("email", format!("not an email address: {e:?}"))),
    };
    let language = match get("language").to_lowercase().as_str() {
        "" | "en" | "english" => Language::En,
        "zh" | "cn" | "chinese" | "中文" => Language::Zh,
        other => return Err(bad("language", format!("expected en or zh, got {other:?}"))),
    };
    let plan = parse_plan(get("plan")).map_err(|r| bad("plan", r))?;
    let created = match get("created") {
        "" => existing.map(|c| c.created).unwrap_or(now),
        t => parse_time(t).map_err(|r| bad("created", r))?,
    };
    let marketing = parse_bool(get("marketing")).map_err(|r| bad("marketing", r))?;
    let attributes = fields
        .iter()
        .filter(|(k, v)| {
            !KNOWN.contains(&k.as_ref()) && !k.starts_with('\0') && !v.trim().is_empty()
        })
        .map(|(k, v)| (k.to_string(), v.trim().to_owned()))
        .collect();
    Ok(Customer {
        id: CustomerId(id),
        name: get("name").to_owned(),
        email,
        language,
        plan,
        created,
        consent: Consent {
            marketing,
            profiling: existing.map(|c| c.consent.profiling).unwrap_or(true),
        },
        is_lead: false,
        erased: existing.is_some_and(|c| c.erased),
        attributes,
    })
}

/// Imports customers from a CSV or JSON-lines file.
pub fn import_customers(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let bytes = read_file(path)?;
    let rows = if is_json_lines(path, &bytes) {
        read_json_lines(&bytes, &options.columns)
    } else {
        read_csv(path, &bytes, &options.columns)?
    };
    import_customer_rows(store, path, &rows, options, now, progress)
}

/// Validates and imports customer rows already read (from a file or an HTTP request).
pub fn import_customer_rows(
    store: &Store,
    source: &Path,
    rows: &Rows,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        file: source.to_owned(),
        rows: rows.records.len() as u64,
        ..Default::default()
    };
    let mut valid: Vec<Customer> = Vec::new();
    let mut ids_in_file = HashSet::new();
    let mut emails_in_file: HashMap<String, CustomerId> = HashMap::new();
    for (line, fields) in &rows.records {
        let existing_id = fields
            .get("id")
            .and_then(|v| v.trim().trim_start_matches('0').parse::<u64>().ok());
        let existing = match existing_id {
            Some(id) => store.customer(CustomerId(id))?,
            None => None,
        };
        let result = row_to_customer(fields, existing.as_ref(), now).and_then(|c| {
            if store
                .is_erased(c.id, c.email.as_deref())
                .map_err(|e| ("-".into(), e.to_string()))?
            {
                return Err((
                    "id".into(),
                    format!(
                        "customer {} was erased; an erased customer is not imported again",
                        c.id
                    ),
                ));
            }
            if !ids_in_file.insert(c.id) {
                return Err((
                    "id".into(),
                    format!("customer {} appears twice in the file", c.id),
                ));
            }
            if let Some(email) = &c.email {
                if let Some(other) = emails_in_file.insert(email.clone(), c.id) {
                    return Err((
                        "email".into(),
                        format!("{email} is also given to customer {other}"),
                    ));
                }
                if let Some(owner) = store
                    .customer_by_email(email)
                    .map_err(|e| ("-".into(), e.to_string()))?
                    && owner.id != c.id
                {
                    return Err((
                        "email".into(),
                        format!("{email} already belongs to customer {}", owner.id),
                    ));
                }
            }
            Ok(c)
        });
        match result {
            Ok(c) if existing.as_ref() == Some(&c) => report.already_present += 1,
            Ok(c) => valid.push(c),
            Err((column, reason)) => report.bad_rows.push(RowError {
                row: *line,
                column,
                reason,
            }),
        }
    }
    if !report.bad_rows.is_empty() && !options.skip_bad {
        return Ok(report);
    }
    for (i, customer) in valid.iter().enumerate() {
        store.put_customer(customer)?;
        if i % 1000 == 999 {
            progress(i as u64 + 1);
        }
    }
    store.durable_blocking()?;
    progress(valid.len() as u64);
    report.imported = valid.len() as u64;
    report.committed = true;
    Ok(report)
}
