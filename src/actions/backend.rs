//! The built-in action backend for the console, the demo and shops without a webhook: it
//! issues the codes itself and sends what goes by email through the store's outbox.

use super::{Action, ActionBackend, ActionError, ActionFuture, ActionReceipt, ActionRequest};
use crate::domain::Channel;
use crate::store::Store;

/// Acts on crmbot's own store. The engine records the action's event afterwards.
#[derive(Clone)]
pub struct StoreBackend {
    store: Store,
}

impl StoreBackend {
    pub fn new(store: Store) -> Self {
        StoreBackend { store }
    }

    fn carry_out(&self, request: &ActionRequest) -> Result<ActionReceipt, ActionError> {
        let code = reference_of(&request.id);
        let mail = match (&request.action, &request.email) {
            (Action::ResendInvoice { order_id }, Some(to)) => Some((
                to,
                format!("Your invoice for order {order_id} is attached (ref {code})."),
            )),
            (Action::PasswordReset, Some(to)) => Some((
                to,
                format!("Reset your password: https://shop.example/reset/{code} (valid 1 hour)."),
            )),
            (Action::ResendInvoice { .. } | Action::PasswordReset, None) => {
                return Err(ActionError::Store("no email address on file".into()));
            }
            _ => None,
        };
        if let Some((to, text)) = mail {
            self.store
                .enqueue(Channel::Email, to, &text, "action", request.requested_at)
                .map_err(|e| ActionError::Store(e.to_string()))?;
        }
        Ok(ActionReceipt {
            reference: Some(code),
        })
    }
}

/// A short code for the customer, derived from the action id (so a retry gets the same).
pub fn reference_of(action_id: &str) -> String {
    let tail: String = action_id
        .trim_start_matches("act-")
        .chars()
        .take(8)
        .collect();
    format!("R-{}", tail.to_uppercase())
}

impl ActionBackend for StoreBackend {
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ActionFuture<'a> {
        Box::pin(async move { self.carry_out(request) })
    }
}
