//! What the bot does while a ticket waits for a person. Until someone claims it, the bot
//! still answers simple questions (where is my order, billing, products, help) and adds
//! that the ticket is still open; anything else is acknowledged as added to the ticket.
//! Once claimed, the bot only relays: the person answers, the bot says nothing.
//! Pure, like [`super::respond`]: the shell relays the message to the ticket's thread.

use super::dialogue::DialogueState;
use super::respond::{CustomerTurn, Decision, answer_intent};
use super::text::Reply;
use crate::domain::TicketId;
use crate::nlu::{Intent, Understanding};

/// Questions the bot keeps answering while a ticket waits.
fn simple(intent: Intent) -> bool {
    matches!(
        intent,
        Intent::OrderStatus
            | Intent::BillingQuestion
            | Intent::ProductQuestion
            | Intent::Help
            | Intent::Pricing
    )
}

/// The decision for a customer message while `ticket` is open.
pub(super) fn decide(
    turn: &CustomerTurn<'_>,
    ticket: TicketId,
    mut decision: Decision,
) -> Decision {
    decision.state = DialogueState::WithHuman { ticket };
    if turn.ticket_claimed {
        decision.log_as = Some("relayed");
        return decision;
    }
    match turn.parse.understanding {
        Understanding::Confident(intent) if simple(intent) => {
            answer_intent(intent, turn, &mut decision);
            // Whatever the answer would ask next, the ticket keeps the conversation.
            decision.state = DialogueState::WithHuman { ticket };
            decision.open_ticket = None;
            decision.asked = None;
            decision
                .replies
                .push(Reply::Handoff(super::text::HandoffText::StillOpen {
                    ticket,
                }));
        }
        _ => decision.replies.push(Reply::WithHuman { ticket }),
    }
    decision
}
