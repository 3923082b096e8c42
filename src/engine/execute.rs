//! Carrying out a confirmed action: the shell's side of [`super::act`]. The backend does
//! the action; only when it succeeded are its events recorded (so a failure leaves nothing
//! half-done), and a failure opens a ticket. One action id is carried out once.

use chrono::{DateTime, Utc};

use crate::actions::{Action, ActionRequest, PendingAction};
use crate::domain::{EventKind, OrderStatus};

use super::facts::CustomerFacts;
use super::respond::{Decision, TicketRequest};
use super::text::Reply;
use super::{Engine, EngineError};

impl Engine {
    /// Fills in what the pure decision left to the shell: a confirmed action to carry out,
    /// or a repeated press of an action button.
    pub(super) async fn carry_out(
        &self,
        facts: &CustomerFacts,
        decision: &mut Decision,
        at: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        if let Some(id) = decision.replay.take() {
            let reply = match self.done_action(facts, &id)? {
                Some(done) => done,
                None => Reply::ActionNotPending,
            };
            decision.replies.push(reply);
        }
        let Some(pending) = decision.execute.take() else {
            return Ok(());
        };
        if let Some(done) = self.done_action(facts, &pending.id)? {
            decision.replies.push(done);
            return Ok(());
        }
        let request = ActionRequest {
            id: pending.id.clone(),
            customer: facts.customer.id,
            email: facts.customer.email.clone(),
            action: pending.action.clone(),
            requested_at: at,
        };
        match self.deps.actions.execute(&request).await {
            Ok(receipt) => {
                self.record(facts, &pending, receipt.reference.clone(), decision)?;
                decision.replies.push(Reply::ActionDone {
                    action: pending.action.kind(),
                    order_id: pending.action.order_id().map(str::to_owned),
                    reference: receipt.reference,
                });
            }
            Err(error) => {
                tracing::warn!(action = pending.action.kind().as_str(), error = %error, "an action failed");
                decision.replies.push(Reply::ActionFailed {
                    action: pending.action.kind(),
                });
                decision.open_ticket = Some(TicketRequest {
                    reasons: vec![format!(
                        "{} failed ({error}); nothing was changed",
                        pending.action.kind().as_str().replace('_', " ")
                    )],
                    priority: 2,
                });
            }
        }
        Ok(())
    }

    /// The events (and the customer change) of a carried-out action.
    fn record(
        &self,
        facts: &CustomerFacts,
        pending: &PendingAction,
        reference: Option<String>,
        decision: &mut Decision,
    ) -> Result<(), EngineError> {
        decision.events.push(EventKind::ActionTaken {
            id: pending.id.clone(),
            action: pending.action.kind(),
            order_id: pending.action.order_id().map(str::to_owned),
            reference,
        });
        match &pending.action {
            Action::CancelOrder { order_id } => decision.events.push(EventKind::OrderUpdated {
                order_id: order_id.clone(),
                status: OrderStatus::Cancelled,
            }),
            Action::ChangePlan { from, to } => decision.events.push(EventKind::PlanChanged {
                from: *from,
                to: *to,
            }),
            Action::Unsubscribe => {
                let mut customer = facts.customer.clone();
                customer.consent.marketing = false;
                self.deps.store.put_customer(&customer)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The "already done" reply of an action id carried out before, if it was.
    fn done_action(&self, facts: &CustomerFacts, id: &str) -> Result<Option<Reply>, EngineError> {
        let events = self.deps.store.events_of(facts.customer.id)?;
        Ok(events.into_iter().rev().find_map(|e| match e.kind {
            EventKind::ActionTaken {
                id: done,
                action,
                order_id,
                reference,
            } if done == id => Some(Reply::ActionAlreadyDone {
                action,
                order_id,
                reference,
            }),
            _ => None,
        }))
    }
}
