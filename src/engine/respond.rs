//! The pure core of a customer conversation: given what was understood, the conversation
//! state and the customer's facts, decide the replies, the new state and the effects.
//!
//! No I/O here: the shell in `engine/mod.rs` loads the inputs from the store and applies
//! the [`Decision`] afterwards, so this is testable and benchmarkable on plain values.

use crate::config::EngineSettings;
use crate::domain::{CustomerId, EventKind, Language};
use crate::nlu::{Entity, Intent, Parse, Role, Understanding};
use crate::sentiment::Sentiment;

use super::dialogue::{Conversation, DialogueState};
use super::facts::{CustomerFacts, OrderLookup};
use super::text::Reply;

/// Message sentiment at or below which the bot says sorry before answering.
const APOLOGY_SENTIMENT: f32 = -0.4;

/// Everything the decision needs about one customer message.
pub struct CustomerTurn<'a> {
    pub parse: &'a Parse,
    pub sentiment: Sentiment,
    pub conversation: &'a Conversation,
    pub facts: &'a CustomerFacts,
    /// The result of looking up an order id mentioned in the message, if one was.
    pub order_lookup: Option<OrderLookup>,
    pub settings: &'a EngineSettings,
    /// Fixed reply templates from the intents files.
    pub template: &'a dyn Fn(Intent, Language) -> Option<String>,
}

/// What to do about one customer message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub replies: Vec<Reply>,
    pub state: DialogueState,
    pub failures: u8,
    /// Events to record for the customer (e.g. a cancellation).
    pub events: Vec<EventKind>,
    /// Open a ticket with these reasons (the shell assigns the number and tells the customer).
    pub open_ticket: Option<Vec<String>>,
    /// The intent this turn was answered as, for the interaction log.
    pub intent: Option<Intent>,
}

/// Whether answering needs the customer's orders and billing (loaded from their events).
pub fn needs_history(parse: &Parse, conversation: &Conversation) -> bool {
    matches!(conversation.state, DialogueState::ConfirmCancel)
        || matches!(
            parse.intent(),
            Some(
                Intent::OrderStatus
                    | Intent::DeliveryProblem
                    | Intent::ReturnItem
                    | Intent::RefundRequest
                    | Intent::CancelSubscription
                    | Intent::BillingQuestion
                    | Intent::PaymentFailed
                    | Intent::ChangePlan
            )
        )
}

/// Decides the answer to one customer message.
pub fn respond(turn: &CustomerTurn<'_>) -> Decision {
    let mut decision = Decision {
        replies: Vec::new(),
        state: DialogueState::Idle,
        failures: turn.conversation.failures,
        events: Vec::new(),
        open_ticket: None,
        intent: turn.parse.intent(),
    };
    let intent = turn.parse.intent();

    // A person holds the conversation: acknowledge only.
    if let DialogueState::WithHuman { ticket } = turn.conversation.state {
        decision.state = turn.conversation.state.clone();
        decision.replies.push(Reply::WithHuman { ticket });
        return decision;
    }

    // Answers to a question the bot asked.
    match (&turn.conversation.state, intent) {
        (DialogueState::ConfirmCancel, Some(Intent::Affirm)) => {
            decision.failures = 0;
            if turn.facts.subscription.as_ref().is_some_and(|s| s.active) {
                decision.events.push(EventKind::SubscriptionCancel {
                    reason: Some("cancelled in chat".into()),
                });
                decision.replies.push(Reply::Cancelled);
            } else {
                decision.replies.push(Reply::NothingToCancel);
            }
            return decision;
        }
        (DialogueState::ConfirmCancel, Some(Intent::Deny)) => {
            decision.failures = 0;
            decision.replies.push(Reply::KeepsSubscription);
            return decision;
        }
        (DialogueState::OfferedHuman { reason }, Some(Intent::Affirm)) => {
            decision.failures = 0;
            decision.open_ticket = Some(vec![reason.clone()]);
            decision.intent = Some(Intent::HumanAgent);
            return decision;
        }
        (DialogueState::OfferedHuman { .. }, Some(Intent::Deny)) => {
            decision.failures = 0;
            decision.replies.push(Reply::HumanDeclined);
            return decision;
        }
        _ => {}
    }

    // A question about somebody else's data gets the same answer whether or not it exists.
    if asks_for_someone_else(turn.parse, turn.facts) {
        decision.failures = 0;
        decision.replies.push(Reply::NotYours);
        return decision;
    }

    let intent = match &turn.parse.understanding {
        Understanding::Confident(intent) => *intent,
        Understanding::OutOfScope => {
            decision.replies.push(Reply::OutOfScope);
            return decision;
        }
        Understanding::Ambiguous(first, second) => {
            return misunderstood(
                decision,
                turn,
                Reply::Clarify {
                    first: *first,
                    second: *second,
                },
            );
        }
        Understanding::Unsure => return misunderstood(decision, turn, Reply::NotUnderstood),
    };
    decision.failures = 0;

    if turn.sentiment.score <= APOLOGY_SENTIMENT && intent != Intent::Complaint {
        decision.replies.push(Reply::Sorry);
    }
    answer_intent(intent, turn, &mut decision);
    decision
}

fn misunderstood(mut decision: Decision, turn: &CustomerTurn<'_>, reply: Reply) -> Decision {
    decision.failures = decision.failures.saturating_add(1);
    if decision.failures >= turn.settings.failures_before_human {
        decision.replies.push(Reply::NotUnderstood);
        decision.replies.push(Reply::OfferHuman);
        decision.state = DialogueState::OfferedHuman {
            reason: format!("{} messages in a row not understood", decision.failures),
        };
        decision.failures = 0;
    } else {
        if let Reply::Clarify { first, second } = reply {
            decision.state = DialogueState::Clarifying { first, second };
        }
        decision.replies.push(reply);
    }
    decision
}

fn asks_for_someone_else(parse: &Parse, facts: &CustomerFacts) -> bool {
    parse.entities.iter().any(|e| match e {
        Entity::CustomerRef(r) => r
            .trim_start_matches('#')
            .parse::<u64>()
            .map_or(true, |id| CustomerId(id) != facts.customer.id),
        Entity::Email(email) => {
            matches!(
                parse.intent(),
                Some(Intent::AccountAccess | Intent::UpdateDetails | Intent::OrderStatus)
            ) && facts
                .customer
                .email
                .as_deref()
                .is_some_and(|own| !own.eq_ignore_ascii_case(email))
        }
        _ => false,
    })
}

fn answer_intent(intent: Intent, turn: &CustomerTurn<'_>, decision: &mut Decision) {
    let facts = turn.facts;
    let lead = facts.customer.is_lead;
    let template = |i: Intent| (turn.template)(i, turn.parse.language).map(Reply::Template);
    let replies = &mut decision.replies;
    if intent.role() == Role::Staff {
        replies.push(Reply::StaffOnly);
        return;
    }
    match intent {
        Intent::Greeting => replies.push(Reply::Greeting {
            name: first_name(&facts.customer.name),
        }),
        Intent::Goodbye => replies.push(template(intent).unwrap_or(Reply::Goodbye)),
        Intent::Thanks | Intent::Praise => replies.push(template(intent).unwrap_or(Reply::Thanks)),
        Intent::Help => replies.push(Reply::Help { staff: false }),
        Intent::OrderStatus | Intent::DeliveryProblem if lead => replies.push(Reply::LeadNoAccount),
        Intent::OrderStatus | Intent::DeliveryProblem => {
            match &turn.order_lookup {
                Some(OrderLookup::Mine(order)) => replies.push(Reply::OrderStatus(order.clone())),
                Some(OrderLookup::NotFound(id)) => replies.push(Reply::OrderNotFound {
                    order_id: id.clone(),
                }),
                None => match facts.orders.first() {
                    Some(order) => replies.push(Reply::LatestOrder(order.clone())),
                    None => replies.push(Reply::NoOrders),
                },
            }
            if intent == Intent::DeliveryProblem {
                replies.push(Reply::OfferHuman);
                decision.state = DialogueState::OfferedHuman {
                    reason: "delivery problem".into(),
                };
            }
        }
        Intent::BillingQuestion | Intent::PaymentFailed | Intent::ChangePlan if lead => {
            replies.push(Reply::LeadNoAccount)
        }
        Intent::BillingQuestion | Intent::PaymentFailed | Intent::ChangePlan => {
            replies.push(Reply::Billing(facts.subscription.clone()))
        }
        Intent::Pricing => replies.push(template(intent).unwrap_or(Reply::Billing(None))),
        Intent::AccountAccess | Intent::UpdateDetails if lead => replies.push(Reply::LeadNoAccount),
        Intent::AccountAccess | Intent::UpdateDetails => {
            replies.push(Reply::Profile(facts.customer.clone()))
        }
        Intent::CancelSubscription => {
            if facts.subscription.as_ref().is_some_and(|s| s.active) {
                replies.push(Reply::AskCancelConfirm);
                decision.state = DialogueState::ConfirmCancel;
            } else {
                replies.push(Reply::NothingToCancel);
            }
        }
        Intent::Complaint => {
            replies.push(Reply::Sorry);
            replies.push(Reply::OfferHuman);
            decision.state = DialogueState::OfferedHuman {
                reason: "complaint".into(),
            };
        }
        Intent::ReturnItem | Intent::RefundRequest | Intent::ProductQuestion => {
            if let Some(t) = template(intent) {
                replies.push(t);
            }
            replies.push(Reply::OfferHuman);
            decision.state = DialogueState::OfferedHuman {
                reason: intent.as_str().replace('_', " "),
            };
        }
        Intent::HumanAgent => decision.open_ticket = Some(vec!["asked for a person".into()]),
        Intent::DeleteMyData => {
            decision.open_ticket = Some(vec!["asked to delete their data".into()])
        }
        Intent::Affirm | Intent::Deny => replies.push(Reply::HumanDeclined),
        Intent::AtRisk
        | Intent::CustomerLookup
        | Intent::SegmentSummary
        | Intent::KpiReport
        | Intent::OpenTickets
        | Intent::ChurnReport => replies.push(Reply::StaffOnly),
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
}
