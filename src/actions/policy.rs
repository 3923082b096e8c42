//! The shop's rules for what a customer may do with an order, computed from the order
//! alone: pure, with the policy numbers from [`super::ActionSettings`].

use chrono::{DateTime, Duration, Utc};

use crate::domain::OrderStatus;
use crate::engine::facts::OrderView;

/// Whether an order can be returned now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnCheck {
    /// Delivered, within the window, which ends at `deadline`.
    Eligible {
        deadline: DateTime<Utc>,
    },
    /// Delivered, but the window ended at `deadline`.
    WindowClosed {
        deadline: DateTime<Utc>,
    },
    /// Placed but not shipped: it can be cancelled instead.
    NotShipped,
    /// On its way: the window starts at delivery.
    InTransit,
    /// A return was already started or the order is returned.
    AlreadyReturned,
    Cancelled,
}

/// The return rule: delivered orders within `window_days` of delivery.
pub fn can_return(order: &OrderView, window_days: u32, now: DateTime<Utc>) -> ReturnCheck {
    if order.return_code.is_some() {
        return ReturnCheck::AlreadyReturned;
    }
    match order.status {
        OrderStatus::Placed => ReturnCheck::NotShipped,
        OrderStatus::Shipped => ReturnCheck::InTransit,
        OrderStatus::Returned => ReturnCheck::AlreadyReturned,
        OrderStatus::Cancelled => ReturnCheck::Cancelled,
        OrderStatus::Delivered => {
            let deadline = order.status_since + Duration::days(i64::from(window_days));
            if now <= deadline {
                ReturnCheck::Eligible { deadline }
            } else {
                ReturnCheck::WindowClosed { deadline }
            }
        }
    }
}

/// Whether an order can still be cancelled or changed (only before it ships).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCheck {
    Possible,
    /// Shipped or delivered: too late; a return is the way.
    AlreadyShipped,
    AlreadyCancelled,
}

/// Cancelling an order or changing its address: only while it is placed and not shipped.
pub fn can_change(order: &OrderView) -> ChangeCheck {
    match order.status {
        OrderStatus::Placed => ChangeCheck::Possible,
        OrderStatus::Cancelled => ChangeCheck::AlreadyCancelled,
        _ => ChangeCheck::AlreadyShipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn order(status: OrderStatus, since_days: i64, now: DateTime<Utc>) -> OrderView {
        OrderView {
            order_id: "A1".into(),
            placed: now - Duration::days(since_days + 3),
            amount: 10.0,
            items: vec![],
            status,
            status_since: now - Duration::days(since_days),
            return_code: None,
        }
    }

    #[test]
    fn the_window_counts_from_delivery() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let inside = order(OrderStatus::Delivered, 29, now);
        assert!(matches!(
            can_return(&inside, 30, now),
            ReturnCheck::Eligible { .. }
        ));
        let outside = order(OrderStatus::Delivered, 31, now);
        assert!(matches!(
            can_return(&outside, 30, now),
            ReturnCheck::WindowClosed { .. }
        ));
        assert_eq!(
            can_return(&order(OrderStatus::Placed, 0, now), 30, now),
            ReturnCheck::NotShipped
        );
        let mut started = inside.clone();
        started.return_code = Some("R-1".into());
        assert_eq!(can_return(&started, 30, now), ReturnCheck::AlreadyReturned);
    }

    #[test]
    fn only_unshipped_orders_change() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        assert_eq!(
            can_change(&order(OrderStatus::Placed, 0, now)),
            ChangeCheck::Possible
        );
        assert_eq!(
            can_change(&order(OrderStatus::Shipped, 0, now)),
            ChangeCheck::AlreadyShipped
        );
    }
}
