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
use crate::domain::{Consent, Customer, CustomerId, Language, Plan, normalize_email};
use crate::store::{AuditEntry, Store};

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
    // A column that is absent or empty keeps the stored value: an import or an API call
    // changes the fields it names and nothing else.
    let given = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let email = match given("email") {
        None => existing.and_then(|c| c.email.clone()),
        Some(e) => {
            let canonical = normalize_email(e);
            if !EMAIL.is_match(&canonical) {
                return Err(bad("email", format!("not an email address: {e:?}")));
            }
            Some(canonical)
        }
    };
    let language = match given("language").map(str::to_lowercase).as_deref() {
        None => existing.map(|c| c.language).unwrap_or(Language::En),
        Some("en" | "english") => Language::En,
        Some("zh" | "cn" | "chinese" | "中文") => Language::Zh,
        Some(other) => return Err(bad("language", format!("expected en or zh, got {other:?}"))),
    };
    let plan = match given("plan") {
        None => existing.map(|c| c.plan).unwrap_or(Plan::None),
        Some(p) => parse_plan(p).map_err(|r| bad("plan", r))?,
    };
    let created = match given("created") {
        None => existing.map(|c| c.created).unwrap_or(now),
        Some(t) => parse_time(t).map_err(|r| bad("created", r))?,
    };
    let marketing = match given("marketing") {
        None => existing.is_some_and(|c| c.consent.marketing),
        Some(m) => parse_bool(m).map_err(|r| bad("marketing", r))?,
    };
    let name = match given("name") {
        None => existing.map(|c| c.name.clone()).unwrap_or_default(),
        Some(n) => n.to_owned(),
    };
    let mut attributes = existing.map(|c| c.attributes.clone()).unwrap_or_default();
    attributes.extend(
        fields
            .iter()
            .filter(|(k, v)| {
                !KNOWN.contains(&k.as_ref()) && !k.starts_with('\0') && !v.trim().is_empty()
            })
            .map(|(k, v)| (k.to_string(), v.trim().to_owned())),
    );
    Ok(Customer {
        id: CustomerId(id),
        name,
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

/// What an update changed, for the audit log: field names, and the before and after of
/// the plan and the marketing consent (never the name or the email themselves).
fn describe_changes(before: &Customer, after: &Customer) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut changes = Vec::new();
    if before.name != after.name {
        changes.push("name".to_owned());
    }
    if before.email != after.email {
        changes.push("email".to_owned());
    }
    if before.language != after.language {
        changes.push(format!(
            "language {} → {}",
            before.language.as_str(),
            after.language.as_str()
        ));
    }
    if before.plan != after.plan {
        changes.push(format!("plan {:?} → {:?}", before.plan, after.plan).to_lowercase());
    }
    if before.created != after.created {
        changes.push("created".to_owned());
    }
    if before.consent.marketing != after.consent.marketing {
        changes.push(format!(
            "marketing consent {} → {}",
            yes_no(before.consent.marketing),
            yes_no(after.consent.marketing)
        ));
    }
    let mut attributes: Vec<&str> = after
        .attributes
        .iter()
        .filter(|(k, v)| before.attributes.get(*k) != Some(v))
        .map(|(k, _)| k.as_str())
        .collect();
    attributes.sort_unstable();
    changes.extend(attributes.into_iter().map(|k| format!("attribute {k}")));
    changes.join(", ")
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
    let mut valid: Vec<(Customer, Option<Customer>)> = Vec::new();
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
        let result = options
            .limits
            .check_fields(fields)
            .and_then(|()| row_to_customer(fields, existing.as_ref(), now))
            .and_then(|c| {
                options.limits.check_time("created", c.created, now)?;
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
            Ok(c) => valid.push((c, existing)),
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
    let actor = format!("import:{}", source.display());
    for (i, (customer, before)) in valid.iter().enumerate() {
        store.put_customer(customer)?;
        if let Some(before) = before {
            store.audit(&AuditEntry {
                at: now,
                actor: actor.clone(),
                action: "customer.update".into(),
                subject: format!("customer:{}", customer.id),
                detail: describe_changes(before, customer),
            })?;
        }
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
