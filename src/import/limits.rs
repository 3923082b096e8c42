//! Bounds on what an import may bring in, so that one bad row from a sync cannot make
//! every lifetime value and the at-risk ranking meaningless (an amount of 1e308, an order
//! dated 9999) or print terminal escapes into a staff member's screen.
//!
//! Checked for CSV, JSON lines and the HTTP API alike; a row that breaks a bound is
//! reported with its column and the bound, like any other bad row.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;

use super::Fields;
use crate::domain::{Event, EventKind, OrderItem};

/// `[import]` in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportLimits {
    /// Largest amount of one order, payment or item price.
    pub max_amount: f64,
    /// Largest quantity of one order item.
    pub max_quantity: u32,
    /// How far in the future a date may lie (clocks of other systems drift).
    pub max_future_hours: u32,
    /// Longest field, in characters.
    pub max_field_chars: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_amount: 1_000_000.0,
            max_quantity: 10_000,
            max_future_hours: 24,
            max_field_chars: 2_000,
        }
    }
}

/// An amount as people read it: `1e308`, not 309 digits.
fn readable(amount: f64) -> String {
    if amount.abs() >= 1e12 {
        format!("{amount:e}")
    } else {
        format!("{amount}")
    }
}

/// A broken bound: the column and the reason.
pub(super) type Broken = (String, String);

fn broken(column: &str, reason: String) -> Broken {
    (column.to_owned(), reason)
}

/// Characters refused in any field: control characters (terminal escapes, carriage
/// returns that overwrite a line) other than tab and newline, and the bidirectional
/// overrides that make text display in another order than it reads.
fn refused_char(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl ImportLimits {
    /// Field lengths and characters, before a row is parsed.
    pub(super) fn check_fields(&self, fields: &Fields) -> Result<(), Broken> {
        let mut columns: Vec<_> = fields
            .iter()
            .filter(|(k, _)| !k.starts_with('\0'))
            .collect();
        columns.sort_by(|a, b| a.0.cmp(b.0));
        for (column, value) in columns {
            let chars = value.chars().count();
            if chars > self.max_field_chars {
                return Err(broken(
                    column,
                    format!(
                        "is {chars} characters long; at most {} (import.max_field_chars)",
                        self.max_field_chars
                    ),
                ));
            }
            if let Some(c) = value.chars().find(|c| refused_char(*c)) {
                return Err(broken(
                    column,
                    format!("holds the control character U+{:04X}", u32::from(c)),
                ));
            }
        }
        Ok(())
    }

    /// A date no earlier than 1970 and no later than `max_future_hours` after `now`.
    pub(super) fn check_time(
        &self,
        column: &str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), Broken> {
        let earliest = Utc.timestamp_opt(0, 0).single().expect("the epoch");
        let latest = now + Duration::hours(i64::from(self.max_future_hours));
        if at < earliest {
            return Err(broken(
                column,
                format!("{} is before 1970", at.format("%Y-%m-%d")),
            ));
        }
        if at > latest {
            return Err(broken(
                column,
                format!(
                    "{} is in the future (at most {} hours ahead: import.max_future_hours)",
                    at.format("%Y-%m-%d %H:%M"),
                    self.max_future_hours
                ),
            ));
        }
        Ok(())
    }

    fn check_amount(&self, column: &str, amount: f64) -> Result<(), Broken> {
        if amount > self.max_amount {
            return Err(broken(
                column,
                format!(
                    "{} is larger than {} (import.max_amount)",
                    readable(amount),
                    readable(self.max_amount)
                ),
            ));
        }
        Ok(())
    }

    fn check_item(&self, item: &OrderItem) -> Result<(), Broken> {
        if item.quantity > self.max_quantity {
            return Err(broken(
                "items",
                format!(
                    "a quantity of {} is larger than {} (import.max_quantity)",
                    item.quantity, self.max_quantity
                ),
            ));
        }
        if !item.unit_price.is_finite() || item.unit_price < 0.0 {
            return Err(broken(
                "items",
                format!("{} is not a price", item.unit_price),
            ));
        }
        self.check_amount("items", item.unit_price)
    }

    /// An event's date and numbers.
    pub(super) fn check_event(&self, event: &Event, now: DateTime<Utc>) -> Result<(), Broken> {
        self.check_time("at", event.at, now)?;
        match &event.kind {
            EventKind::Purchase { amount, items, .. } => {
                self.check_amount("amount", *amount)?;
                items.iter().try_for_each(|item| self.check_item(item))
            }
            EventKind::Payment { amount } | EventKind::PaymentFailed { amount } => {
                self.check_amount("amount", *amount)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CustomerId, OrderStatus};
    use std::sync::Arc;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn purchase(amount: f64, at: DateTime<Utc>) -> Event {
        Event {
            customer: CustomerId(1),
            at,
            kind: EventKind::Purchase {
                order_id: "A1".into(),
                amount,
                items: vec![],
                status: OrderStatus::Delivered,
            },
        }
    }

    #[test]
    fn amounts_and_dates_out_of_bounds_are_refused_with_the_bound() {
        let limits = ImportLimits::default();
        assert!(limits.check_event(&purchase(25.0, now()), now()).is_ok());
        let (column, reason) = limits
            .check_event(&purchase(1e308, now()), now())
            .unwrap_err();
        assert_eq!(column, "amount");
        assert!(reason.contains("import.max_amount"), "{reason}");
        let far = Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap();
        let (column, reason) = limits.check_event(&purchase(5.0, far), now()).unwrap_err();
        assert_eq!(column, "at");
        assert!(reason.contains("future"), "{reason}");
        let old = Utc.with_ymd_and_hms(1969, 12, 31, 0, 0, 0).unwrap();
        assert!(limits.check_event(&purchase(5.0, old), now()).is_err());
        let tomorrow_morning = now() + Duration::hours(20);
        assert!(
            limits
                .check_event(&purchase(5.0, tomorrow_morning), now())
                .is_ok()
        );
    }

    #[test]
    fn long_fields_and_terminal_escapes_are_refused() {
        let limits = ImportLimits {
            max_field_chars: 10,
            ..Default::default()
        };
        let row = |k: &str, v: &str| Fields::from([(Arc::from(k), v.to_owned())]);
        assert!(limits.check_fields(&row("name", "Olivia Li")).is_ok());
        assert!(limits.check_fields(&row("name", "李明\tWang")).is_ok());
        let (column, reason) = limits
            .check_fields(&row("name", "x".repeat(11).as_str()))
            .unwrap_err();
        assert_eq!(column, "name");
        assert!(reason.contains("11 characters"), "{reason}");
        let (_, reason) = limits
            .check_fields(&row("name", "a\u{1b}[2Jb"))
            .unwrap_err();
        assert!(reason.contains("U+001B"), "{reason}");
        assert!(
            limits
                .check_fields(&row("name", "evil\u{202E}txt"))
                .is_err()
        );
    }
}
