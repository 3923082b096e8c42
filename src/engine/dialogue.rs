//! Where a conversation stands between two messages. Persisted per conversation, so a
//! restart does not forget that the bot asked a question.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CustomerId, Language, SurveyKind, TicketId};
use crate::nlu::Intent;

/// What happens after the customer answers an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterOffer {
    /// Nothing more (win-back, cross-sell).
    Nothing,
    /// The customer wanted to cancel: a declined offer leads to the cancellation question.
    ConfirmCancel,
}

/// What the bot is waiting for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DialogueState {
    /// Nothing pending.
    #[default]
    Idle,
    /// The bot asked "are you sure you want to cancel?".
    ConfirmCancel,
    /// The bot offered a person and waits for yes or no.
    OfferedHuman { reason: String },
    /// The bot asked which of two intents was meant.
    Clarifying { first: Intent, second: Intent },
    /// A ticket is open: a person will answer, the bot only acknowledges.
    WithHuman { ticket: TicketId },
    /// The bot made an offer and waits for yes or no.
    OfferPending { offer: String, then: AfterOffer },
    /// The bot proposed an action (a return, a cancellation...) and waits for yes or no.
    ConfirmAction {
        pending: crate::actions::PendingAction,
    },
    /// The bot answered from the help centre and asked "did this help?".
    AskedHelpful { article: String },
    /// The bot asked for a satisfaction score.
    AwaitingScore {
        survey: SurveyKind,
        ticket: Option<TicketId>,
    },
    /// The bot asked what the score was about.
    AwaitingComment {
        survey: SurveyKind,
        ticket: Option<TicketId>,
    },
}

/// The persisted conversation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Conversation {
    pub state: DialogueState,
    /// Misunderstood messages in a row.
    pub failures: u8,
    /// Language of the last message, used for replies.
    pub language: Language,
    /// The customer this conversation belongs to, once known.
    pub customer: Option<CustomerId>,
    pub updated: Option<DateTime<Utc>>,
    /// Messages the bot answered since the last survey question (a support conversation).
    #[serde(default)]
    pub answered: u32,
    /// When CSAT was last asked in this conversation.
    #[serde(default)]
    pub csat_asked: Option<DateTime<Utc>>,
    /// When NPS was last asked in this conversation.
    #[serde(default)]
    pub nps_asked: Option<DateTime<Utc>>,
    /// Sentiments of the last (up to six) customer messages, oldest first, for the
    /// falling-mood rule.
    #[serde(default)]
    pub recent_sentiments: Vec<f32>,
    /// An account-linking attempt in progress (leads only).
    #[serde(default)]
    pub pending_link: Option<super::linking::PendingLink>,
    /// The ticket last resolved in this conversation and when: a message soon after
    /// reopens it (see `[handoff] reopen_hours`).
    #[serde(default)]
    pub resolved: Option<(TicketId, DateTime<Utc>)>,
}
