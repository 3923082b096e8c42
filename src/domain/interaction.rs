//! One chat message in or out, with what the bot understood of it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::CustomerId;

/// Where a message came from or goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Console,
    Http,
    Telegram,
    Discord,
    /// Not a chat: one-time codes for linking accounts go to the customer's email through
    /// the configured code sink (a log file or an HTTP hook).
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Console => "console",
            Channel::Http => "http",
            Channel::Email => "email",
            Channel::Telegram => "telegram",
            Channel::Discord => "discord",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language the bot understands and answers in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    Zh,
}

impl std::str::FromStr for Language {
    type Err = super::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        super::parse_name("language", text, &Self::ALL, |l| l.as_str())
    }
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Zh];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }
}

/// Whether the customer wrote it or the bot (or a person through the bot) sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// One logged message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The customer (or lead) the conversation belongs to.
    pub customer: CustomerId,
    pub channel: Channel,
    /// The platform's chat id, as text.
    pub chat: String,
    pub direction: Direction,
    pub at: DateTime<Utc>,
    /// The message text; `None` after erasure or retention clean-up.
    pub text: Option<String>,
    /// The intent understood (inbound) or answered (outbound), by name.
    pub intent: Option<String>,
    /// Classifier confidence of `intent`, in [0, 1].
    pub confidence: Option<f32>,
    /// Sentiment of an inbound message, in [-1, 1].
    pub sentiment: Option<f32>,
    /// The ticket this message belongs to, if it was escalated.
    pub ticket: Option<u64>,
}
