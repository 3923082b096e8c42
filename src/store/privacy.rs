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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    pub identities_unlinked: usize,
    pub message_texts_removed: usize,
    pub tickets_cleaned: usize,
    pub events_cleaned: usize,
    /// Leads that had been linked to the customer, erased with them.
    pub leads: Vec<CustomerId>,
    /// Other records that still named them (digests, audit details, outbox, transcripts).
    pub records_swept: usize,
    /// Salted hashes of the id and email that keep imports from bringing them back.
    pub tombstones: Vec<String>,
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

    /// Removes a customer's personal data and message texts (and those of the leads linked
    /// to them), keeps anonymous aggregates (amounts, dates, kinds of events, sentiment
    /// scores), sweeps every other record that still names them, leaves tombstones and
    /// audits the erasure. Returns `None` if there is no such customer.
    pub fn erase_customer(
        &self,
        id: CustomerId,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ErasureReport>> {
        let Some(customer) = self.customer(id)? else {
            return Ok(None);
        };
        let mut report = ErasureReport {
            tombstones: self.tombstones_for(id, customer.email.as_deref())?,
            leads: self.leads_linked_to(id)?,
            ..ErasureReport::default()
        };
        let mut needles = Vec::new();
        for person in std::iter::once(id).chain(report.leads.clone()) {
            needles.extend(self.erase_records_of(person, at, &mut report)?);
        }
        report.records_swept = self.sweep(&needles)?;
        self.put_tombstones(&report.tombstones)?;
        self.audit(&AuditEntry {
            at,
            actor: actor.to_owned(),
            action: "customer.erase".into(),
            subject: format!("customer:{id}"),
            detail: format!(
                "{} message texts removed, {} identities unlinked, {} leads, {} other records swept",
                report.message_texts_removed,
                report.identities_unlinked,
                report.leads.len(),
                report.records_swept
            ),
        })?;
        self.durable_blocking()?;
        Ok(Some(report))
    }

    /// Leads whose chat was linked to the customer (from the link audit entries).
    fn leads_linked_to(&self, id: CustomerId) -> Result<Vec<CustomerId>> {
        let subject = format!("customer:{id}");
        let mut leads = Vec::new();
        for item in self.inner.audit.iter() {
            let entry: AuditEntry = decode("audit entry", &item?.1)?;
            if entry.action == "identity.link" && entry.subject == subject {
                let lead = entry
                    .detail
                    .strip_prefix("lead ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(CustomerId);
                if let Some(lead) = lead.filter(|l| !leads.contains(l) && *l != id) {
                    leads.push(lead);
                }
            }
        }
        Ok(leads)
    }

    /// One person's own records: the customer record cleared, chats unlinked, message texts,
    /// scores, conversations, transcripts and notes of their tickets removed. Returns what
    /// identifies them elsewhere (name, email, the texts they wrote) for the sweep.
    fn erase_records_of(
        &self,
        id: CustomerId,
        at: DateTime<Utc>,
        report: &mut ErasureReport,
    ) -> Result<Vec<String>> {
        let Some(mut customer) = self.customer(id)? else {
            return Ok(Vec::new());
        };
        let mut needles = vec![customer.name.clone()];
        needles.extend(customer.email.clone());
        customer.name.clear();
        customer.email = None;
        customer.attributes.clear();
        customer.erased = true;
        self.put_customer(&customer)?;
        for (key, _) in self.identities_of(id)? {
            self.inner.identities.remove(key)?;
            report.identities_unlinked += 1;
        }
        let mut chats = Vec::new();
        for item in self
            .inner
            .interactions
            .scan_prefix(keys::customer_bytes(id))
        {
            let (key, value) = item?;
            let mut interaction: Interaction = decode("interaction", &value)?;
            if !chats.contains(&(interaction.channel, interaction.chat.clone())) {
                chats.push((interaction.channel, interaction.chat.clone()));
            }
            // Sealed or not, the text goes: erasure needs no key.
            if let Some(text) = interaction.text.take() {
                if interaction.direction == crate::domain::Direction::Inbound
                    && !super::sealing::is_sealed(&text)
                    && text.chars().count() >= super::erasure::DISTINCTIVE_TEXT
                {
                    needles.push(text);
                }
                self.inner.interactions.insert(key, encode(&interaction))?;
                report.message_texts_removed += 1;
            }
        }
        for (channel, chat) in &chats {
            self.remove_conversation(*channel, chat)?;
        }
        for mut ticket in self.tickets(None)?.into_iter().filter(|t| t.customer == id) {
            if ticket.resolution_note.take().is_some() {
                report.tickets_cleaned += 1;
            }
            // Their open tickets (the erasure request among them) are done now.
            if ticket.state != crate::domain::TicketState::Resolved {
                ticket.state = crate::domain::TicketState::Resolved;
                ticket.resolved_at = Some(at);
                ticket.resolution_note = Some("closed by the erasure".into());
                report.tickets_cleaned += 1;
            }
            self.put_ticket(&ticket)?;
            self.forget_ticket_texts(ticket.id)?;
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
        let key = keys::customer_bytes(id);
        self.inner.scores.remove(key)?;
        self.inner.alert_state.remove(key)?;
        for item in self.inner.score_history.scan_prefix(key) {
            self.inner.score_history.remove(item?.0)?;
        }
        Ok(needles)
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
