//! What the bot does for a customer, not only says: cancel an order, start a return, resend
//! an invoice, send a password-reset link, change or pause a plan, unsubscribe, delete the
//! account.
//!
//! The decision to propose an action and the customer's confirmation stay pure in the
//! engine (a [`PendingAction`] in the dialogue state, the rules in [`policy`]); only the
//! execution goes through an [`ActionBackend`]: the built-in one ([`backend::StoreBackend`])
//! or the shop's HTTP webhook ([`webhook::WebhookBackend`]). A backend either does the whole
//! action or reports an error; the engine records the action as an event only after it
//! succeeded, so nothing is half-done.

pub mod backend;
pub mod policy;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::domain::{ActionKind, CustomerId, Plan};

pub use backend::StoreBackend;
pub use webhook::WebhookBackend;

/// The environment variable holding the webhook's shared secret (never in a config file).
pub const SECRET_ENV: &str = "CRMBOT_ACTIONS_SECRET";

/// Which backend carries out confirmed actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Built in: records the action in crmbot's own store (console, demo).
    #[default]
    Store,
    /// The shop's HTTP endpoint, signed with `CRMBOT_ACTIONS_SECRET`.
    Webhook,
}

/// The `[actions]` section: the shop's policy numbers and where actions go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActionSettings {
    /// Days after delivery within which an order can be returned.
    pub return_window_days: u32,
    /// Months a plan is paused for.
    pub pause_months: u32,
    /// Which backend carries out actions.
    pub backend: BackendKind,
    /// The shop's action endpoint (with `backend = "webhook"`); it receives one signed JSON
    /// POST per action.
    pub webhook_url: Option<String>,
    /// How long to wait for the shop before telling the customer it did not work.
    pub timeout_ms: u64,
}

impl Default for ActionSettings {
    fn default() -> Self {
        ActionSettings {
            return_window_days: 30,
            pause_months: 1,
            backend: BackendKind::Store,
            webhook_url: None,
            timeout_ms: 5000,
        }
    }
}

/// One action with what it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CancelOrder { order_id: String },
    ChangeAddress { order_id: String, address: String },
    StartReturn { order_id: String },
    ResendInvoice { order_id: String },
    PasswordReset,
    PausePlan { months: u32 },
    ChangePlan { from: Plan, to: Plan },
    Unsubscribe,
    DeleteAccount,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::CancelOrder { .. } => ActionKind::CancelOrder,
            Action::ChangeAddress { .. } => ActionKind::ChangeAddress,
            Action::StartReturn { .. } => ActionKind::StartReturn,
            Action::ResendInvoice { .. } => ActionKind::ResendInvoice,
            Action::PasswordReset => ActionKind::PasswordReset,
            Action::PausePlan { .. } => ActionKind::PausePlan,
            Action::ChangePlan { .. } => ActionKind::ChangePlan,
            Action::Unsubscribe => ActionKind::Unsubscribe,
            Action::DeleteAccount => ActionKind::DeleteAccount,
        }
    }

    /// The order the action is about, if any.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            Action::CancelOrder { order_id }
            | Action::ChangeAddress { order_id, .. }
            | Action::StartReturn { order_id }
            | Action::ResendInvoice { order_id } => Some(order_id),
            _ => None,
        }
    }
}

/// An action the bot proposed and the customer has not yet confirmed. Persisted in the
/// dialogue state; its id travels on the confirmation button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAction {
    pub id: String,
    pub action: Action,
}

impl PendingAction {
    /// A proposal with an id derived from who, what and when: the same proposal always
    /// has the same id, a new proposal a new one.
    pub fn new(customer: CustomerId, action: Action, proposed: DateTime<Utc>) -> Self {
        let mut hash = Sha256::new();
        hash.update(customer.0.to_be_bytes());
        hash.update(serde_json::to_vec(&action).unwrap_or_default());
        hash.update(proposed.timestamp_micros().to_be_bytes());
        let digest = hash.finalize();
        PendingAction {
            id: format!("act-{}", hex::encode(&digest[..8])),
            action,
        }
    }
}

/// Button data confirming or declining a pending action: `action:yes:ID`, `action:no:ID`.
pub const BUTTON_PREFIX: &str = "action:";

/// A pressed action button, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPress<'a> {
    pub confirm: bool,
    pub id: &'a str,
}

/// Reads the data of an action button; `None` for any other text.
pub fn parse_button(data: &str) -> Option<ActionPress<'_>> {
    let rest = data.strip_prefix(BUTTON_PREFIX)?;
    let (answer, id) = rest.split_once(':')?;
    let confirm = match answer {
        "yes" => true,
        "no" => false,
        _ => return None,
    };
    (!id.is_empty()).then_some(ActionPress { confirm, id })
}

/// What a backend is asked to do (the webhook's JSON body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The idempotency key: the backend carries out one id once.
    pub id: String,
    pub customer: CustomerId,
    /// The customer's email, for actions that write to them (invoice, reset link).
    pub email: Option<String>,
    #[serde(flatten)]
    pub action: Action,
    pub requested_at: DateTime<Utc>,
}

/// What a backend hands back after carrying out an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActionReceipt {
    /// A code for the customer (a return code, a confirmation number).
    #[serde(default)]
    pub reference: Option<String>,
}

/// Why an action was not carried out. Nothing was changed in any of these cases.
#[derive(Debug, Error)]
pub enum ActionError {
    #[error("the shop did not answer within {ms} ms")]
    Timeout { ms: u64 },
    #[error("the shop refused the action: HTTP {status}")]
    Rejected { status: u16 },
    #[error("the shop could not be reached: {0}")]
    Unreachable(String),
    #[error("the shop's answer was not understood: {0}")]
    BadAnswer(String),
    #[error("the action could not be recorded: {0}")]
    Store(String),
}

/// A boxed future, so backends can be trait objects.
pub type ActionFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ActionReceipt, ActionError>> + Send + 'a>>;

/// Carries out confirmed actions. Implementations must be idempotent by
/// [`ActionRequest::id`].
pub trait ActionBackend: Send + Sync {
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ActionFuture<'a>;
}
