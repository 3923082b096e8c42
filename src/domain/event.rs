//! Things that happened to a customer, in time order: the raw material of every model.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::{CustomerId, Plan};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Product name as in the catalogue.
    pub product: String,
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: f64,
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Shipped,
    Delivered,
    Returned,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Returned => "returned",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// Which satisfaction survey an answer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// Customer satisfaction, 1 to 5.
    Csat,
    /// Net promoter score, 0 to 10.
    Nps,
}

/// Something the bot did for a customer at their request, after they confirmed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    CancelOrder,
    ChangeAddress,
    StartReturn,
    ResendInvoice,
    PasswordReset,
    PausePlan,
    ChangePlan,
    Unsubscribe,
    DeleteAccount,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::CancelOrder => "cancel_order",
            ActionKind::ChangeAddress => "change_address",
            ActionKind::StartReturn => "start_return",
            ActionKind::ResendInvoice => "resend_invoice",
            ActionKind::PasswordReset => "password_reset",
            ActionKind::PausePlan => "pause_plan",
            ActionKind::ChangePlan => "change_plan",
            ActionKind::Unsubscribe => "unsubscribe",
            ActionKind::DeleteAccount => "delete_account",
        }
    }
}

/// What happened. The payload of each kind is what the models and the engine need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Signup,
    Purchase {
        /// The shop's order id, unique across customers.
        order_id: String,
        /// Total amount paid.
        amount: f64,
        #[serde(default)]
        items: Vec<OrderItem>,
        status: OrderStatus,
    },
    /// The status of an earlier order changed (shipped, delivered, returned...).
    OrderUpdated {
        order_id: String,
        status: OrderStatus,
    },
    SubscriptionStart {
        plan: Plan,
    },
    SubscriptionCancel {
        #[serde(default)]
        reason: Option<String>,
    },
    /// A plan change within an active subscription.
    PlanChanged {
        from: Plan,
        to: Plan,
    },
    /// A recurring payment that went through.
    Payment {
        amount: f64,
    },
    PaymentFailed {
        amount: f64,
    },
    Login,
    TicketOpened {
        ticket: u64,
        #[serde(default)]
        reason: String,
    },
    TicketClosed {
        ticket: u64,
    },
    Survey {
        survey: SurveyKind,
        score: u8,
    },
    OfferShown {
        offer: String,
    },
    /// The customer was eligible for the offer but is in its holdout group: not shown.
    OfferHeldOut {
        offer: String,
    },
    OfferAccepted {
        offer: String,
        #[serde(default)]
        code: Option<String>,
    },
    OfferRedeemed {
        offer: String,
    },
    StageChanged {
        from: String,
        to: String,
        #[serde(default)]
        reason: String,
    },
    /// A staff member's note on the customer (`/note`).
    StaffNote {
        by: String,
        text: String,
    },
    /// A task for a staff member about the customer (`/task`), due at a time.
    StaffTask {
        by: String,
        text: String,
        due: DateTime<Utc>,
    },
    /// A staff member called or met the customer (`/call`): contact the churn model sees
    /// as activity.
    StaffContact {
        by: String,
        #[serde(default)]
        note: String,
    },
    /// A confirmed action carried out by the action backend (a return started, an order
    /// cancelled...). `id` makes it idempotent: one action id is carried out once.
    ActionTaken {
        id: String,
        action: ActionKind,
        #[serde(default)]
        order_id: Option<String>,
        /// What the backend handed back (a return code, a confirmation number).
        #[serde(default)]
        reference: Option<String>,
    },
}

impl EventKind {
    /// A short stable name of the kind, as used in CSV imports and reports.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Signup => "signup",
            EventKind::Purchase { .. } => "purchase",
            EventKind::OrderUpdated { .. } => "order_updated",
            EventKind::SubscriptionStart { .. } => "subscription_start",
            EventKind::SubscriptionCancel { .. } => "subscription_cancel",
            EventKind::PlanChanged { .. } => "plan_changed",
            EventKind::Payment { .. } => "payment",
            EventKind::PaymentFailed { .. } => "payment_failed",
            EventKind::Login => "login",
            EventKind::TicketOpened { .. } => "ticket_opened",
            EventKind::TicketClosed { .. } => "ticket_closed",
            EventKind::Survey { .. } => "survey",
            EventKind::OfferShown { .. } => "offer_shown",
            EventKind::OfferHeldOut { .. } => "offer_held_out",
            EventKind::OfferAccepted { .. } => "offer_accepted",
            EventKind::OfferRedeemed { .. } => "offer_redeemed",
            EventKind::StageChanged { .. } => "stage_changed",
            EventKind::StaffNote { .. } => "staff_note",
            EventKind::StaffTask { .. } => "staff_task",
            EventKind::StaffContact { .. } => "staff_contact",
            EventKind::ActionTaken { .. } => "action_taken",
        }
    }
}

/// An event of one customer at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub customer: CustomerId,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EventKind,
}
