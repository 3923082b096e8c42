//! Help-centre answers in a conversation: which article(s) a message gets (one, one per
//! part of a multi-part question, or a choice of two), and the customer's own facts that
//! go with an article about their data (return window, delivery, invoice, plan).
//!
//! [`pick`] runs in the shell (it needs the help centre); [`answer`] is pure and runs
//! inside `respond`, after pending questions and escalation rules.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{OrderStatus, Plan};
use crate::knowledge::{Article, FactKind, HelpCentre, Verdict};
use crate::nlu::{Intent, Parse, Understanding};

use super::dialogue::DialogueState;
use super::facts::{CustomerFacts, OrderView};
use super::respond::{CustomerTurn, Decision};
use super::text::Reply;

/// Prefix of the data on an article button; the rest is the article id.
pub const BUTTON_PREFIX: &str = "help:";
/// Data of the "Did this help?" buttons: `helped:yes`, `helped:no`.
pub const HELPED_PREFIX: &str = "helped:";
/// Days after delivery in which an item can be returned (the returns article says so).
pub const RETURN_DAYS: i64 = 30;
/// Working days an order in transit takes, at the earliest and latest (standard shipping).
const TRANSIT_DAYS: (i64, i64) = (2, 5);
/// Blended score from which a message is a real question the help centre lacks an answer
/// to (below: words unknown to every article, e.g. gibberish).
const NO_FIT_EVIDENCE: f32 = 0.08;

/// An article chosen as (part of) the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleAnswer {
    pub id: String,
    pub title: String,
    pub body: String,
    pub facts: Option<FactKind>,
    pub score: f32,
}

impl ArticleAnswer {
    fn of(a: &Article, score: f32) -> Self {
        ArticleAnswer {
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            facts: a.facts,
            score,
        }
    }
}

/// What the help centre offers for one message.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HelpPick {
    /// One article, or one per part of a multi-part question.
    Answer(Vec<ArticleAnswer>),
    /// Probably one of these two: offer both titles as buttons.
    Choose {
        first: (String, String),
        second: (String, String),
    },
    /// Some words matched articles, but none fits well enough to answer or suggest.
    NoFit,
    /// Nothing in the help centre resembles the message.
    #[default]
    Nothing,
}

impl HelpPick {
    /// Whether answering needs the customer's events.
    pub fn needs_facts(&self) -> bool {
        matches!(self, HelpPick::Answer(parts) if parts.iter().any(|p| p.facts.is_some()))
    }
}

/// The customer's own data joined to an article.
#[derive(Debug, Clone, PartialEq)]
pub enum HelpFact {
    /// Their latest order and its return window.
    ReturnWindow {
        order: OrderView,
        /// The last day to return it, once it is delivered.
        deadline: Option<DateTime<Utc>>,
        open: bool,
    },
    /// Their order on its way and when it should arrive.
    InTransit {
        order: OrderView,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// No order on its way; their latest, if any.
    NothingInTransit(Option<OrderView>),
    /// The invoice of their latest order.
    Invoice(OrderView),
    /// Their plan, its price, and the next plan up with what it costs them more a month.
    Plan {
        plan: Plan,
        price: f64,
        upgrade: Option<(Plan, f64)>,
    },
    NoPlan,
    NoOrders,
}

/// Splits a question into its parts: sentences, and "… and do you …" joins.
pub fn parts(normalized: &str) -> Vec<String> {
    const JOINS: &[&str] = &[
        " and do ",
        " and can ",
        " and how ",
        " and what ",
        " and is ",
        " and are ",
        " and where ",
        " and when ",
        " and will ",
        " and also ",
        " also, ",
        " plus ",
        "还有",
        "另外",
        "以及",
        "顺便问",
    ];
    let mut pieces: Vec<String> = normalized
        .split(['?', '!', ';', '。', '？', '！', '；'])
        .map(str::to_owned)
        .collect();
    for join in JOINS {
        pieces = pieces
            .iter()
            .flat_map(|p| p.split(join).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    pieces
        .into_iter()
        .map(|p| p.trim().trim_matches([',', '.', '，']).trim().to_owned())
        .filter(|p| p.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect()
}

/// Chooses the article(s) for a message.
pub fn pick(help: &HelpCentre, parse: &Parse, text: &str) -> HelpPick {
    let lang = parse.language;
    if let Some(id) = text.trim().strip_prefix(BUTTON_PREFIX) {
        return help.article(id, lang).map_or(HelpPick::Nothing, |a| {
            HelpPick::Answer(vec![ArticleAnswer::of(a, 1.0)])
        });
    }
    let pieces = parts(&parse.normalized);
    if pieces.len() >= 2 {
        let mut answers: Vec<ArticleAnswer> = Vec::new();
        for piece in &pieces {
            if let Verdict::Answer(a) = help.search(piece, lang).verdict
                && !answers.iter().any(|x| x.id == a.id)
            {
                let score = help.search(piece, lang).top_score();
                answers.push(ArticleAnswer::of(a, score));
            }
        }
        if answers.len() >= 2 {
            return HelpPick::Answer(answers);
        }
    }
    let found = help.search(&parse.normalized, lang);
    let score = found.top_score();
    match found.verdict {
        Verdict::Answer(a) => HelpPick::Answer(vec![ArticleAnswer::of(a, score)]),
        Verdict::Choose(a, b) => HelpPick::Choose {
            first: (a.id.clone(), a.title.clone()),
            second: (b.id.clone(), b.title.clone()),
        },
        Verdict::Nothing if score >= NO_FIT_EVIDENCE => HelpPick::NoFit,
        Verdict::Nothing => HelpPick::Nothing,
    }
}

/// Intents whose own answer beats an article when the classifier is sure of them: small
/// talk, yes/no, asking for a person, and questions answered from the customer's orders.
fn intent_first(intent: Intent, text: &str) -> bool {
    // "Cancel the newsletter" is about emails, never the subscription plan.
    if intent == Intent::CancelSubscription
        && ["newsletter", "mailing list", "emails", "通讯", "邮件"]
            .iter()
            .any(|w| text.contains(w))
    {
        return false;
    }
    matches!(
        intent,
        Intent::Greeting
            | Intent::Goodbye
            | Intent::Thanks
            | Intent::Affirm
            | Intent::Deny
            | Intent::Praise
            | Intent::HumanAgent
            | Intent::OrderStatus
            | Intent::DeliveryProblem
            | Intent::Complaint
            | Intent::CancelSubscription
    ) || intent.role() == crate::nlu::Role::Staff
}

/// Answers from the help centre when it has the better answer; `false` leaves the message
/// to the intents.
pub fn answer(turn: &CustomerTurn<'_>, decision: &mut Decision) -> bool {
    let parse = turn.parse;
    let confident = match parse.understanding {
        Understanding::Confident(i) => Some((i, parse.confidence())),
        _ => None,
    };
    match turn.help {
        HelpPick::Answer(parts) => {
            let best = parts.iter().map(|p| p.score).fold(0.0, f32::max);
            if let Some((intent, p)) = confident
                && intent_first(intent, &parse.normalized)
                && p >= best
            {
                return false;
            }
            for part in parts {
                let fact = part.facts.map(|k| fact(k, turn.facts, turn.now));
                decision.replies.push(Reply::Article {
                    title: part.title.clone(),
                    body: part.body.clone(),
                    fact,
                });
            }
            let article = parts
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join("+");
            decision.replies.push(Reply::AskHelpful);
            decision.state = DialogueState::AskedHelpful {
                article: article.clone(),
            };
            decision.article = Some(article);
        }
        HelpPick::Choose { first, second } => {
            // A guess between two articles is no answer to a message the classifier
            // finds outside what the shop does ("what's the weather on Mars?").
            if confident.is_some() || parse.understanding == Understanding::OutOfScope {
                return false;
            }
            decision.replies.push(Reply::ChooseArticle {
                first: first.clone(),
                second: second.clone(),
            });
            decision.log_as = Some("help_suggest");
        }
        HelpPick::NoFit | HelpPick::Nothing => return false,
    }
    decision.failures = 0;
    true
}

/// The customer's facts for an article.
pub fn fact(kind: FactKind, facts: &CustomerFacts, now: DateTime<Utc>) -> HelpFact {
    let latest = facts.orders.first();
    match kind {
        FactKind::ReturnWindow => match latest {
            None => HelpFact::NoOrders,
            Some(order) => {
                let deadline = (order.status == OrderStatus::Delivered)
                    .then(|| order.status_since + Duration::days(RETURN_DAYS));
                let open = match order.status {
                    OrderStatus::Delivered => deadline.is_some_and(|d| now <= d),
                    OrderStatus::Placed | OrderStatus::Shipped => true,
                    OrderStatus::Returned | OrderStatus::Cancelled => false,
                };
                HelpFact::ReturnWindow {
                    order: order.clone(),
                    deadline,
                    open,
                }
            }
        },
        FactKind::Delivery => match facts
            .orders
            .iter()
            .find(|o| matches!(o.status, OrderStatus::Shipped | OrderStatus::Placed))
        {
            Some(order) => HelpFact::InTransit {
                order: order.clone(),
                from: order.status_since + Duration::days(TRANSIT_DAYS.0),
                to: order.status_since + Duration::days(TRANSIT_DAYS.1),
            },
            None => HelpFact::NothingInTransit(latest.cloned()),
        },
        FactKind::Invoice => latest.map_or(HelpFact::NoOrders, |o| HelpFact::Invoice(o.clone())),
        FactKind::Plan => match facts.subscription.as_ref().filter(|s| s.active) {
            None => HelpFact::NoPlan,
            Some(s) => {
                let next = match s.plan {
                    Plan::None => Some(Plan::Basic),
                    Plan::Basic => Some(Plan::Plus),
                    Plan::Plus => Some(Plan::Premium),
                    Plan::Premium => None,
                };
                HelpFact::Plan {
                    plan: s.plan,
                    price: s.plan.monthly_price(),
                    upgrade: next.map(|n| (n, n.monthly_price() - s.plan.monthly_price())),
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_part_question_splits_in_two() {
        let p = parts("what's your return policy and do you ship to canada?");
        assert_eq!(p, vec!["what's your return policy", "you ship to canada"]);
        assert_eq!(parts("where is my order").len(), 1);
        assert_eq!(parts("退货政策是什么？还有运费多少").len(), 2);
    }
}
