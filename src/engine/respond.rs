//! The pure core of a customer conversation: given what was understood, the conversation
//! state and the customer's facts, decide the replies, the new state and the effects.
//!
//! No I/O here: the shell in `engine/mod.rs` loads the inputs from the store and applies
//! the [`Decision`] afterwards, so this is testable and benchmarkable on plain values.

use chrono::{DateTime, Utc};

use crate::actions::PendingAction;
use crate::config::Settings;
use crate::domain::{CustomerId, Event, EventKind, Language, SurveyKind};
use crate::models::affinity::Recommendation;
use crate::nlu::{Entity, Intent, Parse, Role, Understanding};
use crate::routing::CustomerRisk;
use crate::routing::escalation::Signals;
use crate::routing::offers::{OfferContext, OfferMoment, OfferPick, offer_code};
use crate::routing::surveys::parse_score;
use crate::sentiment::Sentiment;

use super::act;
use super::dialogue::{AfterOffer, Conversation, DialogueState};
use super::facts::{CustomerFacts, OrderLookup};
use super::help::{self, HelpPick};
use super::text::Reply;

/// Message sentiment at or below which the bot says sorry before answering.
const APOLOGY_SENTIMENT: f32 = -0.4;

/// Everything the decision needs about one customer message.
pub struct CustomerTurn<'a> {
    pub parse: &'a Parse,
    /// The data of the pressed button, when the message is a button press.
    pub button: Option<&'a str>,
    pub sentiment: Sentiment,
    pub conversation: &'a Conversation,
    pub facts: &'a CustomerFacts,
    /// The customer's events, when [`needs_history`] said so (else empty).
    pub events: &'a [Event],
    /// Sentiments of the customer's recent earlier messages, oldest first.
    pub earlier_sentiments: &'a [f32],
    /// What the models say about the customer, if they have been trained.
    pub risk: Option<&'a CustomerRisk>,
    /// The result of looking up an order id mentioned in the message, if one was.
    pub order_lookup: Option<OrderLookup>,
    pub settings: &'a Settings,
    /// Fixed reply templates from the intents files.
    pub template: &'a dyn Fn(Intent, Language) -> Option<String>,
    /// Acceptances of an offer so far, by everyone (for budgets).
    pub offer_acceptances: &'a dyn Fn(&str) -> u32,
    /// "Customers who bought X also bought Y" for this customer, from the association rules.
    pub recommendation: Option<&'a Recommendation>,
    /// What the help centre offers for this message.
    pub help: &'a HelpPick,
    /// Whether a person holds the open ticket of this conversation (if there is one).
    pub ticket_claimed: bool,
    pub now: DateTime<Utc>,
}

/// A ticket to open: the shell assigns its number and tells the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRequest {
    pub reasons: Vec<String>,
    pub priority: u8,
}

/// What to do about one customer message.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// A confirmed action for the shell to carry out (and record if it succeeds).
    pub execute: Option<PendingAction>,
    /// An action button pressed again: the shell says whether that action was done.
    pub replay: Option<String>,
    pub replies: Vec<Reply>,
    pub state: DialogueState,
    pub failures: u8,
    /// Events to record for the customer (a cancellation, an offer shown, a survey answer).
    pub events: Vec<EventKind>,
    pub open_ticket: Option<TicketRequest>,
    /// The intent this turn was answered as, for the interaction log.
    pub intent: Option<Intent>,
    /// A name for the log when the turn was not an intent (e.g. `survey_comment`).
    pub log_as: Option<&'static str>,
    /// A survey question asked in this turn.
    pub asked: Option<SurveyKind>,
    /// The help-centre article(s) that answered (ids joined by `+`), for the log and for
    /// "did this help?".
    pub article: Option<String>,
}

/// Whether answering needs the customer's events (orders, billing, offers, surveys). A
/// greeting needs them only from a customer at risk or churned (for a win-back offer).
pub fn needs_history(
    parse: &Parse,
    conversation: &Conversation,
    risk: Option<&CustomerRisk>,
) -> bool {
    let returning = risk
        .and_then(|r| r.stage.as_deref())
        .is_some_and(|s| s == "at_risk" || s == "churned");
    !matches!(
        conversation.state,
        DialogueState::Idle | DialogueState::WithHuman { .. }
    ) || (returning && parse.intent() == Some(Intent::Greeting))
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
                    | Intent::Goodbye
                    | Intent::Thanks
                    | Intent::Praise
                    | Intent::ProductQuestion
            )
        )
}

/// Decides the answer to one customer message.
pub fn respond(turn: &CustomerTurn<'_>) -> Decision {
    let mut decision = Decision {
        execute: None,
        replay: None,
        replies: Vec::new(),
        state: DialogueState::Idle,
        failures: turn.conversation.failures,
        events: Vec::new(),
        open_ticket: None,
        intent: turn.parse.intent(),
        log_as: None,
        asked: None,
        article: None,
    };

    // A ticket is open: the bot helps while it waits, then only relays.
    if let DialogueState::WithHuman { ticket } = turn.conversation.state {
        return super::waiting::decide(turn, ticket, decision);
    }
    if act::stale_press(turn, &mut decision) || answer_pending_question(turn, &mut decision) {
        return decision;
    }

    // A question about somebody else's data gets the same answer whether or not it exists.
    if asks_for_someone_else(turn.parse, turn.facts) {
        decision.failures = 0;
        decision.replies.push(Reply::NotYours);
        return decision;
    }

    // Escalation rules run on every message, understood or not.
    let escalation = turn.settings.escalation.evaluate(&Signals {
        intent: turn.parse.intent(),
        text: &turn.parse.normalized,
        sentiment: turn.sentiment.score,
        earlier: turn.earlier_sentiments,
        risk: turn.risk,
    });
    if let Some(escalation) = escalation {
        decision.failures = 0;
        if turn.sentiment.score <= APOLOGY_SENTIMENT
            || turn.parse.intent() == Some(Intent::Complaint)
        {
            decision.replies.push(Reply::Sorry);
        }
        decision.open_ticket = Some(TicketRequest {
            reasons: escalation.reasons,
            priority: escalation.priority,
        });
        return decision;
    }
    if let Understanding::Confident(intent) = turn.parse.understanding
        && act::propose(intent, turn, &mut decision)
    {
        decision.failures = 0;
        return decision;
    }

    if help::answer(turn, &mut decision) {
        return decision;
    }
    let intent = match &turn.parse.understanding {
        Understanding::Confident(intent) => *intent,
        Understanding::OutOfScope => return misunderstood(decision, turn, Reply::OutOfScope),
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
        Understanding::Unsure if *turn.help == HelpPick::NoFit => {
            return misunderstood(decision, turn, Reply::NoArticle);
        }
        Understanding::Unsure => return misunderstood(decision, turn, Reply::NotUnderstood),
    };
    decision.failures = 0;

    if turn.sentiment.score <= APOLOGY_SENTIMENT {
        decision.replies.push(Reply::Sorry);
    }
    answer_intent(intent, turn, &mut decision);
    decision
}

/// Handles an answer to a question the bot asked; `false` if the message is something else.
/// The answer to "did this help?": its button (pressed now or later), or a yes or no
/// while the question is the last one asked.
fn helpful_answer(turn: &CustomerTurn<'_>) -> Option<bool> {
    let text = turn.parse.normalized.trim();
    if let Some(answer) = text.strip_prefix(super::help::HELPED_PREFIX) {
        return Some(answer == "yes");
    }
    if !matches!(turn.conversation.state, DialogueState::AskedHelpful { .. }) {
        return None;
    }
    const NOT_HELPED: &[&str] = &[
        "didn't help",
        "did not help",
        "not really",
        "useless",
        "not helpful",
        "没用",
        "没有用",
        "没帮助",
        "没有帮助",
        "不管用",
    ];
    const HELPED: &[&str] = &["that helped", "helpful", "有帮助", "有用", "解决了"];
    if NOT_HELPED.iter().any(|p| text.contains(p)) {
        return Some(false);
    }
    if HELPED.iter().any(|p| text.contains(p)) {
        return Some(true);
    }
    match turn.parse.intent() {
        Some(Intent::Affirm | Intent::Thanks | Intent::Praise) => Some(true),
        Some(Intent::Deny) => Some(false),
        _ => act::leading_answer(text).filter(|_| text.split_whitespace().count() <= 3),
    }
}

fn answer_pending_question(turn: &CustomerTurn<'_>, decision: &mut Decision) -> bool {
    if let Some(helped) = helpful_answer(turn) {
        decision.failures = 0;
        if helped {
            decision.replies.push(Reply::GladItHelped);
            decision.log_as = Some("helped_yes");
        } else {
            decision.replies.push(Reply::NotHelpedOfferHuman);
            decision.state = DialogueState::OfferedHuman {
                reason: "the help-centre answer did not help".into(),
            };
            decision.log_as = Some("helped_no");
        }
        return true;
    }
    let intent = turn.parse.intent();
    match (&turn.conversation.state, intent) {
        (DialogueState::ConfirmAction { pending }, _) => {
            if !act::answer(turn, pending, decision) {
                return false;
            }
        }
        (DialogueState::ConfirmCancel, Some(Intent::Affirm)) => {
            if turn.facts.subscription.as_ref().is_some_and(|s| s.active) {
                decision.events.push(EventKind::SubscriptionCancel {
                    reason: Some("cancelled in chat".into()),
                });
                decision.replies.push(Reply::Cancelled);
            } else {
                decision.replies.push(Reply::NothingToCancel);
            }
        }
        (DialogueState::ConfirmCancel, Some(Intent::Deny)) => {
            decision.replies.push(Reply::KeepsSubscription)
        }
        (DialogueState::OfferedHuman { reason }, Some(Intent::Affirm)) => {
            decision.open_ticket = Some(TicketRequest {
                reasons: vec![reason.clone()],
                priority: 3,
            });
            decision.intent = Some(Intent::HumanAgent);
        }
        (DialogueState::OfferedHuman { .. }, Some(Intent::Deny)) => {
            decision.replies.push(Reply::HumanDeclined)
        }
        (DialogueState::OfferPending { offer, .. }, Some(Intent::Affirm)) => {
            let valid_days = turn
                .settings
                .offers
                .by_id(offer)
                .map_or(30, |o| o.valid_days);
            let code = offer_code(turn.facts.customer.id, offer);
            decision.events.push(EventKind::OfferAccepted {
                offer: offer.clone(),
                code: Some(code.clone()),
            });
            decision
                .replies
                .push(Reply::OfferAccepted { code, valid_days });
            decision.log_as = Some("offer_accepted");
        }
        (DialogueState::OfferPending { then, .. }, Some(Intent::Deny)) => {
            decision.replies.push(Reply::OfferDeclined);
            decision.log_as = Some("offer_declined");
            if *then == AfterOffer::ConfirmCancel {
                decision.replies.push(Reply::AskCancelConfirm);
                decision.state = DialogueState::ConfirmCancel;
            }
        }
        (DialogueState::AwaitingScore { survey, ticket }, _) => {
            let Some(score) = parse_score(&turn.parse.normalized, *survey) else {
                return false;
            };
            decision.events.push(EventKind::Survey {
                survey: *survey,
                score,
            });
            decision.replies.push(Reply::AskComment);
            decision.state = DialogueState::AwaitingComment {
                survey: *survey,
                ticket: *ticket,
            };
            decision.log_as = Some("survey_answer");
        }
        (DialogueState::AwaitingComment { .. }, i) if !is_new_request(i) => {
            decision.replies.push(Reply::ThanksForFeedback);
            decision.log_as = Some("survey_comment");
        }
        _ => return false,
    }
    decision.failures = 0;
    true
}

/// Whether a message after a survey question asks for something new rather than comments.
fn is_new_request(intent: Option<Intent>) -> bool {
    intent.is_some_and(|i| {
        !matches!(
            i,
            Intent::Praise
                | Intent::Complaint
                | Intent::Thanks
                | Intent::Affirm
                | Intent::Deny
                | Intent::Goodbye
        )
    })
}

fn misunderstood(mut decision: Decision, turn: &CustomerTurn<'_>, reply: Reply) -> Decision {
    decision.failures = decision.failures.saturating_add(1);
    if reply == Reply::NoArticle {
        // Nothing in the help centre fits: say so and offer a person straight away.
        decision.replies.push(reply);
        decision.state = DialogueState::OfferedHuman {
            reason: "no help article fits the question".into(),
        };
        decision.failures = 0;
        return decision;
    }
    if decision.failures >= turn.settings.engine.failures_before_human {
        decision.replies.push(match reply {
            Reply::Clarify { .. } => Reply::NotUnderstood,
            other => other,
        });
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

/// Picks an offer for the moment; shows it or records the holdout.
fn make_offer(turn: &CustomerTurn<'_>, moment: OfferMoment, decision: &mut Decision) -> bool {
    if !turn.facts.customer.consent.marketing && moment != OfferMoment::Retention {
        return false;
    }
    let ctx = OfferContext {
        customer: turn.facts.customer.id,
        risk: turn.risk,
        events: turn.events,
        accepted_total: turn.offer_acceptances,
        now: turn.now,
    };
    match turn.settings.offers.pick(moment, &ctx) {
        Some(OfferPick::Show(offer)) => {
            decision.events.push(EventKind::OfferShown {
                offer: offer.id.clone(),
            });
            decision.replies.push(Reply::Offer(fill_offer(
                offer.text(turn.parse.language),
                turn.recommendation,
            )));
            decision.state = DialogueState::OfferPending {
                offer: offer.id.clone(),
                then: if moment == OfferMoment::Retention {
                    AfterOffer::ConfirmCancel
                } else {
                    AfterOffer::Nothing
                },
            };
            true
        }
        Some(OfferPick::HoldOut(offer)) => {
            decision.events.push(EventKind::OfferHeldOut {
                offer: offer.id.clone(),
            });
            false
        }
        None => false,
    }
}

/// Puts the recommended product into an offer text (`{product}`, `{because}`).
fn fill_offer(text: &str, recommendation: Option<&Recommendation>) -> String {
    match recommendation {
        Some(r) => text
            .replace("{product}", &r.product)
            .replace("{because}", &r.because_of.join(" + ")),
        None => text.to_owned(),
    }
}

/// Asks CSAT at the end of a support conversation, or NPS when it is due.
fn maybe_survey(turn: &CustomerTurn<'_>, decision: &mut Decision) {
    let surveys = &turn.settings.surveys;
    let c = &turn.facts.customer;
    if c.is_lead {
        return;
    }
    let conv = turn.conversation;
    if conv.answered >= 1
        && surveys.due(
            SurveyKind::Csat,
            turn.events,
            conv.csat_asked,
            c.created,
            turn.now,
        )
    {
        decision.replies.push(Reply::AskCsat { ticket: None });
        decision.state = DialogueState::AwaitingScore {
            survey: SurveyKind::Csat,
            ticket: None,
        };
        decision.asked = Some(SurveyKind::Csat);
    } else if surveys.due(
        SurveyKind::Nps,
        turn.events,
        conv.nps_asked,
        c.created,
        turn.now,
    ) {
        decision.replies.push(Reply::AskNps);
        decision.state = DialogueState::AwaitingScore {
            survey: SurveyKind::Nps,
            ticket: None,
        };
        decision.asked = Some(SurveyKind::Nps);
    }
}

pub(super) fn answer_intent(intent: Intent, turn: &CustomerTurn<'_>, decision: &mut Decision) {
    let facts = turn.facts;
    let lead = facts.customer.is_lead;
    let template = |i: Intent| (turn.template)(i, turn.parse.language).map(Reply::Template);
    if intent.role() == Role::Staff {
        decision.replies.push(Reply::StaffOnly);
        return;
    }
    match intent {
        Intent::Greeting => {
            decision.replies.push(Reply::Greeting {
                name: first_name(&facts.customer.name),
            });
            let returning = turn
                .risk
                .and_then(|r| r.stage.as_deref())
                .is_some_and(|s| s == "at_risk" || s == "churned");
            if returning {
                make_offer(turn, OfferMoment::WinBack, decision);
            }
        }
        Intent::Goodbye | Intent::Thanks | Intent::Praise => {
            let fixed = match intent {
                Intent::Goodbye => Reply::Goodbye,
                _ => Reply::Thanks,
            };
            decision.replies.push(template(intent).unwrap_or(fixed));
            maybe_survey(turn, decision);
        }
        Intent::Help => decision.replies.push(Reply::Help { staff: false }),
        Intent::OrderStatus | Intent::DeliveryProblem if lead => {
            decision.replies.push(Reply::LeadNoAccount)
        }
        Intent::OrderStatus | Intent::DeliveryProblem => {
            let reply = match &turn.order_lookup {
                Some(OrderLookup::Mine(order)) => Reply::OrderStatus(order.clone()),
                Some(OrderLookup::NotFound(id)) => Reply::OrderNotFound {
                    order_id: id.clone(),
                },
                None => match facts.orders.first() {
                    Some(order) => Reply::LatestOrder(order.clone()),
                    None => Reply::NoOrders,
                },
            };
            decision.replies.push(reply);
            if intent == Intent::OrderStatus && turn.recommendation.is_some() {
                make_offer(turn, OfferMoment::CrossSell, decision);
            }
            if intent == Intent::DeliveryProblem {
                decision.replies.push(Reply::OfferHuman);
                decision.state = DialogueState::OfferedHuman {
                    reason: "delivery problem".into(),
                };
            }
        }
        Intent::BillingQuestion | Intent::PaymentFailed | Intent::ChangePlan if lead => {
            decision.replies.push(Reply::LeadNoAccount)
        }
        Intent::BillingQuestion | Intent::PaymentFailed | Intent::ChangePlan => decision
            .replies
            .push(Reply::Billing(facts.subscription.clone())),
        Intent::Pricing => decision
            .replies
            .push(template(intent).unwrap_or(Reply::Billing(None))),
        Intent::AccountAccess | Intent::UpdateDetails if lead => {
            decision.replies.push(Reply::LeadNoAccount)
        }
        Intent::AccountAccess | Intent::UpdateDetails => decision
            .replies
            .push(Reply::Profile(facts.customer.clone())),
        Intent::CancelSubscription => {
            if facts.subscription.as_ref().is_some_and(|s| s.active) {
                if !make_offer(turn, OfferMoment::Retention, decision) {
                    decision.replies.push(Reply::AskCancelConfirm);
                    decision.state = DialogueState::ConfirmCancel;
                }
            } else {
                decision.replies.push(Reply::NothingToCancel);
            }
        }
        Intent::Complaint => {
            decision.replies.push(Reply::Sorry);
            decision.replies.push(Reply::OfferHuman);
            decision.state = DialogueState::OfferedHuman {
                reason: "complaint".into(),
            };
        }
        Intent::ProductQuestion
            if turn.recommendation.is_some()
                && make_offer(turn, OfferMoment::CrossSell, decision) =>
        {
            if let Some(t) = template(intent) {
                decision.replies.insert(0, t);
            }
        }
        Intent::ReturnItem | Intent::RefundRequest | Intent::ProductQuestion => {
            if let Some(t) = template(intent) {
                decision.replies.push(t);
            }
            decision.replies.push(Reply::OfferHuman);
            decision.state = DialogueState::OfferedHuman {
                reason: intent.as_str().replace('_', " "),
            };
        }
        Intent::HumanAgent => {
            decision.open_ticket = Some(TicketRequest {
                reasons: vec!["asked for a person".into()],
                priority: 3,
            })
        }
        Intent::DeleteMyData => {
            decision.open_ticket = Some(TicketRequest {
                reasons: vec!["asked to delete their data (crmbot erase)".into()],
                priority: 4,
            })
        }
        Intent::Affirm | Intent::Deny => decision.replies.push(Reply::HumanDeclined),
        Intent::AtRisk
        | Intent::CustomerLookup
        | Intent::SegmentSummary
        | Intent::KpiReport
        | Intent::OpenTickets
        | Intent::ChurnReport => decision.replies.push(Reply::StaffOnly),
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
}
