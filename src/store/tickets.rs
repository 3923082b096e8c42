//! Tickets (escalations to a person).

use super::{META_NEXT_TICKET, Result, Store, decode, encode};
use crate::domain::{Ticket, TicketId, TicketState};

impl Store {
    /// Reserves the next ticket number (1, 2, 3, ...).
    pub fn next_ticket_id(&self) -> Result<TicketId> {
        self.next_counter(META_NEXT_TICKET, 1)
    }

    pub fn put_ticket(&self, ticket: &Ticket) -> Result<()> {
        self.inner
            .tickets
            .insert(ticket.id.to_be_bytes(), encode(ticket))?;
        Ok(())
    }

    pub fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.inner
            .tickets
            .get(id.to_be_bytes())?
            .map(|v| decode("ticket", &v))
            .transpose()
    }

    /// Tickets in number order, optionally only those in `state`.
    pub fn tickets(&self, state: Option<TicketState>) -> Result<Vec<Ticket>> {
        let mut out = Vec::new();
        for item in self.inner.tickets.iter() {
            let ticket: Ticket = decode("ticket", &item?.1)?;
            if state.is_none_or(|s| s == ticket.state) {
                out.push(ticket);
            }
        }
        Ok(out)
    }
}

impl Store {
    /// How many times an offer was accepted, by everyone (for offer budgets).
    pub fn offer_acceptances(&self, offer: &str) -> Result<u32> {
        Ok(self
            .inner
            .meta
            .get(format!("offer_accepted:{offer}"))?
            .map(|v| u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])) as u32)
            .unwrap_or(0))
    }

    /// Counts one more acceptance of an offer.
    pub fn count_offer_acceptance(&self, offer: &str) -> Result<()> {
        self.next_counter(format!("offer_accepted:{offer}").as_bytes(), 1)?;
        Ok(())
    }
}
