//! Quiet claimed tickets: a ticket whose customer stopped answering gets a reminder, then
//! closes with the CSAT question, so staff queues do not fill with conversations nobody
//! will finish. The timing is the pure policy in [`crate::routing::handoff::quiet_step`];
//! this module reads the tickets, acts on the answer and returns what to send.

use chrono::{DateTime, Utc};

use super::message::{Address, Outbound};
use super::text::HandoffText;
use super::{Engine, EngineError};
use crate::domain::{Direction, Ticket, TicketState};
use crate::routing::handoff::{Quiet, quiet_step};

/// Who closes a ticket nobody answered, as staff and the transcript see it.
pub const AUTO_CLOSE: &str = "auto-close";

impl Engine {
    /// Reminds the customers of quiet claimed tickets and closes those still quiet after
    /// the reminder. Returns the messages to deliver (to customers and ticket spaces).
    pub async fn tend_quiet_tickets(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outbound>, EngineError> {
        let settings = self.deps.settings.handoff.clone();
        let mut out = Vec::new();
        for ticket in self.deps.store.tickets(Some(TicketState::Claimed))? {
            let last = self.last_customer_word(&ticket)?;
            match quiet_step(&settings, last, ticket.reminded_at, now) {
                Quiet::Nothing => {}
                Quiet::Remind => out.extend(self.remind_quiet(ticket, now)?),
                Quiet::Close => {
                    let note = Some("closed after the customer stopped answering".to_owned());
                    out.extend(
                        self.close_ticket(ticket, AUTO_CLOSE, note, now, None)
                            .await?,
                    );
                }
            }
        }
        if !out.is_empty() {
            self.deps.store.durable().await?;
        }
        Ok(out)
    }

    /// When the customer last wrote on the ticket's conversation, or the claim if later.
    fn last_customer_word(&self, ticket: &Ticket) -> Result<DateTime<Utc>, EngineError> {
        let since = ticket.claimed_at.unwrap_or(ticket.opened);
        let latest = self
            .deps
            .store
            .interactions_of(ticket.customer)?
            .into_iter()
            .filter(|i| {
                i.direction == Direction::Inbound
                    && i.channel == ticket.channel
                    && i.chat == ticket.chat
            })
            .map(|i| i.at)
            .max();
        Ok(latest.map_or(since, |t| t.max(since)))
    }

    fn remind_quiet(
        &self,
        mut ticket: Ticket,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outbound>, EngineError> {
        let settings = &self.deps.settings.handoff;
        let language = self
            .deps
            .store
            .conversation(ticket.channel, &ticket.chat)?
            .map(|c: super::dialogue::Conversation| c.language)
            .unwrap_or_default();
        let reminder = HandoffText::QuietReminder {
            ticket: ticket.id,
            close_in_hours: settings.close_after_hours,
        }
        .render(language);
        self.log_to_customer(&ticket, &reminder, "quiet_reminder", now)?;
        let mut out = vec![Outbound::text(
            Address {
                channel: ticket.channel,
                chat: ticket.chat.clone(),
            },
            reminder,
        )];
        let told = HandoffText::QuietReminderSent {
            ticket: ticket.id,
            hours: settings.remind_after_hours,
        }
        .render(crate::domain::Language::En);
        for space in self.deps.store.spaces_of(ticket.id)? {
            out.push(Outbound::text(
                Address {
                    channel: space.channel,
                    chat: space.chat,
                },
                told.clone(),
            ));
        }
        ticket.reminded_at = Some(now);
        self.deps.store.put_ticket(&ticket)?;
        Ok(out)
    }
}
