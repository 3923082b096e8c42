//! Importing events: purchases, subscriptions, payments, logins, tickets, surveys, offers.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::customers::parse_plan;
use super::{
    BAD_ROW, Fields, ImportError, ImportOptions, ImportReport, RowError, Rows, is_json_lines,
    parse_time, read_csv, read_file, read_json_lines,
};
use crate::domain::{
    Consent, Customer, CustomerId, Event, EventKind, Language, OrderItem, OrderStatus, Plan,
    SurveyKind,
};
use crate::store::{NewEvent, Store};

/// Events written per batch (and per progress tick).
const BATCH: usize = 10_000;

type Bad = (String, String);

fn bad(column: &str, reason: impl Into<String>) -> Bad {
    (column.to_owned(), reason.into())
}

struct Row<'a>(&'a Fields);

impl Row<'_> {
    /// The first non-empty of several column names.
    fn get<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &str)> {
        names.iter().find_map(|n| {
            self.0
                .get(*n)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| (*n, v))
        })
    }

    fn required(&self, names: &[&str]) -> Result<&str, Bad> {
        self.get(names)
            .map(|(_, v)| v)
            .ok_or_else(|| bad(names[0], format!("missing {}", names[0])))
    }

    fn number(&self, names: &[&str]) -> Result<Option<f64>, Bad> {
        match self.get(names) {
            None => Ok(None),
            Some((col, v)) => v
                .trim_start_matches('$')
                .replace(',', "")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| bad(col, format!("expected an amount like 12.50, got {v:?}"))),
        }
    }

    fn whole(&self, names: &[&str]) -> Result<Option<u64>, Bad> {
        match self.get(names) {
            None => Ok(None),
            Some((col, v)) => v
                .parse::<u64>()
                .map(Some)
                .map_err(|_| bad(col, format!("expected a whole number, got {v:?}"))),
        }
    }
}

fn parse_status(text: &str) -> Result<OrderStatus, String> {
    match text.to_lowercase().as_str() {
        "placed" | "new" | "open" => Ok(OrderStatus::Placed),
        "shipped" | "fulfilled" => Ok(OrderStatus::Shipped),
        "delivered" | "complete" | "completed" => Ok(OrderStatus::Delivered),
        "returned" | "refunded" => Ok(OrderStatus::Returned),
        "cancelled" | "canceled" => Ok(OrderStatus::Cancelled),
        other => Err(format!(
            "expected placed, shipped, delivered, returned or cancelled, got {other:?}"
        )),
    }
}

/// Items as a JSON array of {product, quantity, unit_price}, or `Product:qty:price;...`.
fn parse_items(text: &str) -> Result<Vec<OrderItem>, String> {
    if text.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| format!("items are not valid JSON: {e}"));
    }
    text.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|part| {
            let mut bits = part.split(':').map(str::trim);
            let product = bits
                .next()
                .filter(|p| !p.is_empty())
                .ok_or("an item has no product")?;
            let quantity = bits
                .next()
                .unwrap_or("1")
                .parse::<u32>()
                .map_err(|_| format!("bad quantity in {part:?}"))?;
            let unit_price = bits
                .next()
                .unwrap_or("0")
                .parse::<f64>()
                .map_err(|_| format!("bad price in {part:?}"))?;
            Ok(OrderItem {
                product: product.to_owned(),
                quantity,
                unit_price,
            })
        })
        .collect()
}

/// One row as an event (with the source's event id, if any), or the column and reason it
/// is bad. Needs no store: unknown customers are checked by the importer.
pub fn row_to_event(fields: &Fields) -> Result<(Option<String>, Event), (String, String)> {
    if let Some(reason) = fields.get(BAD_ROW) {
        return Err(bad("-", reason.clone()));
    }
    let row = Row(fields);
    let customer_text = row.required(&["customer_id", "customer"])?;
    let customer = customer_text
        .trim_start_matches('0')
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CustomerId)
        .ok_or_else(|| {
            bad(
                "customer_id",
                format!("expected a positive whole number, got {customer_text:?}"),
            )
        })?;
    let at = parse_time(row.required(&["at", "time", "date", "timestamp"])?)
        .map_err(|r| bad("at", r))?;
    let amount = row.number(&["amount", "total"])?;
    let kind_name = match row.get(&["kind", "type"]) {
        Some((_, k)) => k.to_lowercase(),
        None if amount.is_some() => "purchase".into(),
        None => {
            return Err(bad(
                "kind",
                "missing kind (and no amount to make it a purchase)",
            ));
        }
    };
    let text = |names: &[&str]| row.get(names).map(|(_, v)| v.to_owned());
    let need_amount = || amount.ok_or_else(|| bad("amount", "missing amount"));
    let kind = match kind_name.as_str() {
        "signup" => EventKind::Signup,
        "login" => EventKind::Login,
        "purchase" | "order" => {
            let amount = need_amount()?;
            let mut items = match row.get(&["items"]) {
                Some((_, v)) => parse_items(v).map_err(|r| bad("items", r))?,
                None => Vec::new(),
            };
            if items.is_empty()
                && let Some(quantity) = row.whole(&["quantity", "cds"])?
            {
                let quantity = u32::try_from(quantity).map_err(|_| bad("quantity", "too large"))?;
                items.push(OrderItem {
                    product: text(&["product"]).unwrap_or_else(|| "item".into()),
                    quantity,
                    unit_price: if quantity > 0 {
                        amount / f64::from(quantity)
                    } else {
                        0.0
                    },
                });
            }
            EventKind::Purchase {
                order_id: text(&["order_id"]).unwrap_or_default(),
                amount,
                items,
                status: match row.get(&["status"]) {
                    Some((_, s)) => parse_status(s).map_err(|r| bad("status", r))?,
                    None => OrderStatus::Delivered,
                },
            }
        }
        "order_updated" => EventKind::OrderUpdated {
            order_id: row.required(&["order_id"])?.to_owned(),
            status: parse_status(row.required(&["status"])?).map_err(|r| bad("status", r))?,
        },
        "subscription_start" => EventKind::SubscriptionStart {
            plan: parse_plan(row.required(&["plan"])?).map_err(|r| bad("plan", r))?,
        },
        "subscription_cancel" => EventKind::SubscriptionCancel {
            reason: text(&["reason"]),
        },
        "plan_changed" => EventKind::PlanChanged {
            from: parse_plan(row.required(&["from"])?).map_err(|r| bad("from", r))?,
            to: parse_plan(row.required(&["to"])?).map_err(|r| bad("to", r))?,
        },
        "payment" => EventKind::Payment {
            amount: need_amount()?,
        },
        "payment_failed" => EventKind::PaymentFailed {
            amount: need_amount()?,
        },
        "ticket_opened" => EventKind::TicketOpened {
            ticket: row
                .whole(&["ticket"])?
                .ok_or_else(|| bad("ticket", "missing ticket"))?,
            reason: text(&["reason"]).unwrap_or_default(),
        },
        "ticket_closed" => EventKind::TicketClosed {
            ticket: row
                .whole(&["ticket"])?
                .ok_or_else(|| bad("ticket", "missing ticket"))?,
        },
        "survey" => {
            let survey = match row.required(&["survey"])?.to_lowercase().as_str() {
                "csat" => SurveyKind::Csat,
                "nps" => SurveyKind::Nps,
                other => {
                    return Err(bad(
                        "survey",
                        format!("expected csat or nps, got {other:?}"),
                    ));
                }
            };
            let score = row
                .whole(&["score"])?
                .ok_or_else(|| bad("score", "missing score"))?;
            let range = match survey {
                SurveyKind::Csat => 1..=5,
                SurveyKind::Nps => 0..=10,
            };
            if !range.contains(&score) {
                return Err(bad(
                    "score",
                    format!("expected {} to {}, got {score}", range.start(), range.end()),
                ));
            }
            EventKind::Survey {
                survey,
                score: score as u8,
            }
        }
        "offer_shown" => EventKind::OfferShown {
            offer: row.required(&["offer"])?.to_owned(),
        },
        "offer_accepted" => EventKind::OfferAccepted {
            offer: row.required(&["offer"])?.to_owned(),
            code: text(&["code"]),
        },
        "offer_redeemed" => EventKind::OfferRedeemed {
            offer: row.required(&["offer"])?.to_owned(),
        },
        other => return Err(bad("kind", format!("unknown event kind {other:?}"))),
    };
    Ok((text(&["event_id", "id"]), Event { customer, at, kind }))
}

/// The id under which an event is remembered: the source's id, or a hash of its stored
/// form and how many identical events came before it in the file.
fn event_id(source: Option<&str>, encoded: &[u8], occurrence: u32) -> Vec<u8> {
    match source {
        Some(id) => format!("src:{id}").into_bytes(),
        None => {
            let mut hasher = Sha256::new();
            hasher.update(encoded);
            hasher.update(occurrence.to_be_bytes());
            let digest = hasher.finalize();
            let mut id = b"h:".to_vec();
            id.extend_from_slice(&digest[..16]);
            id
        }
    }
}

/// Imports events from a CSV or JSON-lines file.
pub fn import_events(
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
    drop(bytes);
    import_event_rows(store, path, &rows, options, now, progress)
}

/// Validates and imports rows already read (from a file or an HTTP request body).
pub fn import_event_rows(
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
    let mut known: HashSet<CustomerId> = HashSet::new();
    let mut to_create: HashMap<CustomerId, DateTime<Utc>> = HashMap::new();
    let mut occurrences: HashMap<[u8; 32], u32> = HashMap::new();
    let mut valid: Vec<NewEvent> = Vec::with_capacity(rows.records.len());
    for (line, fields) in &rows.records {
        let parsed = options
            .limits
            .check_fields(fields)
            .and_then(|()| row_to_event(fields))
            .and_then(|(source_id, event)| {
            options.limits.check_event(&event, now)?;
            let exists = known.contains(&event.customer)
                || (!to_create.contains_key(&event.customer)
                    && store
                        .customer(event.customer)
                        .map_err(|e| bad("-", e.to_string()))?
                        .is_some());
            if exists {
                known.insert(event.customer);
            } else if options.create_customers {
                let first = to_create.entry(event.customer).or_insert(event.at);
                *first = (*first).min(event.at);
            } else {
                return Err(bad(
                    "customer_id",
                    format!(
                        "unknown customer {} (import customers first, or use --create-customers)",
                        event.customer
                    ),
                ));
            }
            Ok((source_id, event))
        });
        match parsed {
            Ok((source_id, mut event)) => {
                let generated_order = matches!(&event.kind, EventKind::Purchase { order_id, .. } if order_id.is_empty());
                let encoded = serde_json::to_vec(&event).expect("events serialize");
                let content: [u8; 32] = Sha256::digest(&encoded).into();
                let n = occurrences.entry(content).or_insert(0);
                let id = event_id(source_id.as_deref(), &encoded, *n);
                *n += 1;
                if generated_order {
                    if let EventKind::Purchase { order_id, .. } = &mut event.kind {
                        let hex: String = id[2..8].iter().map(|b| format!("{b:02X}")).collect();
                        *order_id = format!("O{}-{hex}", event.customer);
                    }
                    valid.push(NewEvent::new(id, source_id.is_some(), event));
                } else {
                    valid.push(NewEvent {
                        id,
                        source_id: source_id.is_some(),
                        event,
                        encoded,
                    });
                }
            }
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
    for (id, first) in &to_create {
        store.put_customer(&Customer {
            id: *id,
            name: String::new(),
            email: None,
            language: Language::En,
            plan: Plan::None,
            created: *first,
            consent: Consent {
                marketing: false,
                profiling: true,
            },
            is_lead: false,
            erased: false,
            attributes: Default::default(),
        })?;
        report.customers_created += 1;
    }
    let mut done = 0u64;
    for chunk in valid.chunks(BATCH) {
        let fresh = store.append_new_events(chunk)? as u64;
        report.imported += fresh;
        report.already_present += chunk.len() as u64 - fresh;
        done += chunk.len() as u64;
        progress(done);
    }
    store.durable_blocking()?;
    report.committed = true;
    Ok(report)
}
