//! What the engine needs to know about a customer to answer them, derived from their
//! events: orders with their current status, subscription and billing.
//!
//! Built by the I/O shell from the store, then handed to the pure decision code, so answers
//! can be tested (and benchmarked) without a store.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{Customer, Event, EventKind, OrderStatus, Plan};

/// An order as the customer sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    pub order_id: String,
    pub placed: DateTime<Utc>,
    pub amount: f64,
    /// Item descriptions, e.g. "2 × Espresso beans".
    pub items: Vec<String>,
    /// The latest known status.
    pub status: OrderStatus,
    pub status_since: DateTime<Utc>,
    /// The return code, once a return was started in chat.
    pub return_code: Option<String>,
}

/// The customer's subscription, if they ever had one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscriptionView {
    pub plan: Plan,
    pub active: bool,
    pub since: DateTime<Utc>,
    pub last_payment: Option<(DateTime<Utc>, f64)>,
    pub failed_payments_30d: u32,
    /// The next renewal date, while active (monthly from the start date).
    pub next_renewal: Option<DateTime<Utc>>,
}

/// What a lookup of an order id mentioned in a message found, from the asker's side.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderLookup {
    /// The order exists and belongs to the asker.
    Mine(OrderView),
    /// No such order *for this customer* (it may belong to someone else: we do not say).
    NotFound(String),
}

/// Everything about one customer that the answers use.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFacts {
    pub customer: Customer,
    /// Orders, newest first.
    pub orders: Vec<OrderView>,
    pub subscription: Option<SubscriptionView>,
}

impl CustomerFacts {
    /// Derives the facts from the customer's events (in time order).
    pub fn from_events(customer: Customer, events: &[Event], now: DateTime<Utc>) -> Self {
        let mut orders: Vec<OrderView> = Vec::new();
        let mut subscription: Option<SubscriptionView> = None;
        for event in events {
            match &event.kind {
                EventKind::Purchase {
                    order_id,
                    amount,
                    items,
                    status,
                } => orders.push(OrderView {
                    order_id: order_id.clone(),
                    placed: event.at,
                    amount: *amount,
                    items: items
                        .iter()
                        .map(|i| format!("{} × {}", i.quantity, i.product))
                        .collect(),
                    status: *status,
                    status_since: event.at,
                    return_code: None,
                }),
                EventKind::ActionTaken {
                    action: crate::domain::ActionKind::StartReturn,
                    order_id: Some(order_id),
                    reference,
                    ..
                } => {
                    if let Some(order) = orders.iter_mut().rev().find(|o| &o.order_id == order_id) {
                        order.return_code = Some(reference.clone().unwrap_or_default());
                    }
                }
                EventKind::OrderUpdated { order_id, status } => {
                    if let Some(order) = orders.iter_mut().rev().find(|o| &o.order_id == order_id) {
                        order.status = *status;
                        order.status_since = event.at;
                    }
                }
                EventKind::SubscriptionStart { plan } => {
                    subscription = Some(SubscriptionView {
                        plan: *plan,
                        active: true,
                        since: event.at,
                        last_payment: None,
                        failed_payments_30d: 0,
                        next_renewal: None,
                    })
                }
                EventKind::PlanChanged { to, .. } => {
                    if let Some(s) = subscription.as_mut() {
                        s.plan = *to;
                    }
                }
                EventKind::SubscriptionCancel { .. } => {
                    if let Some(s) = subscription.as_mut() {
                        s.active = false;
                    }
                }
                EventKind::Payment { amount } => {
                    if let Some(s) = subscription.as_mut() {
                        s.last_payment = Some((event.at, *amount));
                    }
                }
                EventKind::PaymentFailed { .. } => {
                    if let Some(s) = subscription.as_mut()
                        && now - event.at <= Duration::days(30)
                    {
                        s.failed_payments_30d += 1;
                    }
                }
                _ => {}
            }
        }
        if let Some(s) = subscription.as_mut().filter(|s| s.active) {
            let mut renewal = s.since;
            while renewal <= now {
                renewal = renewal
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(renewal + Duration::days(30));
            }
            s.next_renewal = Some(renewal);
        }
        orders.reverse();
        CustomerFacts {
            customer,
            orders,
            subscription,
        }
    }

    /// Finds one of the customer's own orders by id (case-insensitive, `#` ignored).
    pub fn own_order(&self, order_id: &str) -> Option<&OrderView> {
        let wanted = order_id.trim_start_matches('#');
        self.orders
            .iter()
            .find(|o| o.order_id.eq_ignore_ascii_case(wanted))
    }
}
