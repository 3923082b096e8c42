//! Where a conversation stands between two messages. Persisted per conversation, so a
//! restart does not forget that the bot asked a question.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CustomerId, Language, TicketId};
use crate::nlu::Intent;

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
}
