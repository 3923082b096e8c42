//! Escalations to a person: who, why, how urgent, and who holds it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::CustomerId;
use super::interaction::Channel;

/// A ticket's number, assigned by the store.
pub type TicketId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Open,
    Claimed,
    Resolved,
}

impl std::str::FromStr for TicketState {
    type Err = super::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        super::parse_name("ticket state", text, &Self::ALL, |s| s.as_str())
    }
}

impl TicketState {
    pub const ALL: [TicketState; 3] = [
        TicketState::Open,
        TicketState::Claimed,
        TicketState::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Open => "open",
            TicketState::Claimed => "claimed",
            TicketState::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub customer: CustomerId,
    /// Why the conversation was escalated, in words staff read.
    pub reasons: Vec<String>,
    /// 1 (most urgent) to 4.
    pub priority: u8,
    pub state: TicketState,
    /// Staff member holding the ticket.
    pub assignee: Option<String>,
    /// The customer's conversation, so replies reach them where they wrote.
    pub channel: Channel,
    pub chat: String,
    pub opened: DateTime<Utc>,
    pub sla_due: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    /// When the ticket was last raised again for being unclaimed past its SLA.
    #[serde(default)]
    pub sla_raised_at: Option<DateTime<Utc>>,
    /// When the customer of a quiet claimed ticket was reminded (auto-close).
    #[serde(default)]
    pub reminded_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// `who` takes the ticket over at `at`.
    pub fn claim(&mut self, who: &str, at: DateTime<Utc>) {
        self.state = TicketState::Claimed;
        self.assignee = Some(who.to_string());
        self.claimed_at = Some(at);
    }
}
