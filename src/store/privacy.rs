//! Data-subject requests: everything held about a customer (export), and erasure of their
//! personal data and message texts while keeping anonymous aggregates.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::audit::AuditEntry;
use super::{Result, Store, decode, encode, keys};
use crate::domain::{Customer, CustomerId, Event, EventKind, Interaction, Ticket};

/// Everything the store holds about one customer.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerExport {
    pub customer: Customer,
    /// Chat identities linked to the customer, as `channel:user id`.
    pub identities: Vec<String>,
    pub events: Vec<Event>,
    pub interactions: Vec<Interaction>,
    pub tickets: Vec<Ticket>,
    /// The latest model scores, as stored.
    pub scores: Option<serde_json::Value>,
    /// Audit entries about the customer.
    pub audit: Vec<AuditEntry>,
}

/// What an erasure changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    pub identities_unlinked: usize,
    pub message_texts_removed: usize,
    pub tickets_cleaned: usize,
    pub events_cleaned: usize,
}

impl Store {
    fn identities_of(&self, id: CustomerId) -> Result<Vec<(sled::IVec, String)>> {
        let wanted = keys::customer_bytes(id);
        let mut found = Vec::new();
        for item in self.inner.identities.iter() {
            let (k, v) = item?;
            if v.as_ref() == wanted {
                let name = String::from_utf8_lossy(&k).into_owned();
                found.push((k, name));
            }
        }
        Ok(found)
    }

    /// Everything held about a customer; `None` if there is no such customer.
    pub fn export_customer(&self, id: CustomerId) -> Result<Option<CustomerExport>> {
        let Some(customer) = self.customer(id)? else {
            return Ok(None);
        };
        let subject = format!("customer:{id}");
        let audit = self
            .inner
            .audit
            .iter()
            .map(|item| decode::<AuditEntry>("audit entry", &item?.1))
            .filter(|e| e.as_ref().map_or(true, |e| e.subject == subject))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(CustomerExport {
            identities: self
                .identities_of(id)?
                .into_iter()
                .map(|(_, n)| n)
                .collect(),
            events: self.events_of(id)?,
            interactions: self.interactions_of(id)?,
            tickets: self
                .tickets(None)?
                .into_iter()
                .filter(|t| t.customer == id)
                .collect(),
            scores: self.score(id)?,
            audit,
            customer,
        }))
    }

    /// Removes a customer's personal data and message texts, keeps anonymous aggregates
    /// (amounts, dates, kinds of events, sentiment scores) and audits the erasure.
    /// Returns `None` if there is no such customer.
    pub fn erase_customer(
        &self,
        id: CustomerId,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ErasureReport>> {
        let Some(mut customer) = self.customer(id)? else {
            return Ok(None);
        };
        let mut report = ErasureReport::default();
        customer.name.clear();
        customer.email = None;
        customer.attributes.clear();
        customer.erased = true;
        self.put_customer(&customer)?;
        for (key, _) in self.identities_of(id)? {
            self.inner.identities.remove(key)?;
            report.identities_unlinked += 1;
        }
        for item in self
            .inner
            .interactions
            .scan_prefix(keys::customer_bytes(id))
        {
            let (key, value) = item?;
            let mut interaction: Interaction = decode("interaction", &value)?;
            // Sealed or not, the text goes: erasure needs no key.
            if interaction.text.take().is_some() {
                self.inner.interactions.insert(key, encode(&interaction))?;
                report.message_texts_removed += 1;
            }
        }
        for mut ticket in self.tickets(None)?.into_iter().filter(|t| t.customer == id) {
            if ticket.resolution_note.take().is_some() {
                report.tickets_cleaned += 1;
            }
            self.put_ticket(&ticket)?;
        }
        for item in self.inner.events.scan_prefix(keys::customer_bytes(id)) {
            let (key, value) = item?;
            let mut event: Event = decode("event", &value)?;
            let cleaned = match &mut event.kind {
                EventKind::SubscriptionCancel { reason } => reason.take().is_some(),
                EventKind::TicketOpened { reason, .. } if !reason.is_empty() => {
                    reason.clear();
                    true
                }
                _ => false,
            };
            if cleaned {
                self.inner.events.insert(key, encode(&event))?;
                report.events_cleaned += 1;
            }
        }
        self.audit(&AuditEntry {
            at,
            actor: actor.to_owned(),
            action: "customer.erase".into(),
            subject: format!("customer:{id}"),
            detail: format!(
                "{} message texts removed, {} identities unlinked",
                report.message_texts_removed, report.identities_unlinked
            ),
        })?;
        self.durable_blocking()?;
        Ok(Some(report))
    }
}

impl Store {
    /// Removes the texts of all messages before `cutoff` (retention policy); intents,
    /// sentiment and times stay for the models. Returns how many texts were removed.
    pub fn remove_texts_before(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let mut removed = 0;
        for item in self
            .inner
            .interactions_by_time
            .range(..keys::time_bytes(cutoff).to_vec())
        {
            let (time_key, _) = item?;
            let key = keys::time_key_to_customer_key(&time_key);
            let Some(value) = self.inner.interactions.get(key)? else {
                continue;
            };
            let mut interaction: Interaction = decode("interaction", &value)?;
            if interaction.text.take().is_some() {
                self.inner.interactions.insert(key, encode(&interaction))?;
                removed += 1;
            }
        }
        self.durable_blocking()?;
        Ok(removed)
    }
}
