//! Chat interactions, indexed by customer and by time.

use chrono::{DateTime, Utc};

use super::{Result, Store, StoreError, decode, encode, keys, sealing};
use crate::domain::{CustomerId, Interaction};

impl Store {
    /// Logs one message. Call [`Store::durable`] before acknowledging it to anyone.
    pub fn log_interaction(&self, interaction: &Interaction) -> Result<()> {
        let seq = self.next_seq()?;
        let stored = match (&self.inner.message_key, &interaction.text) {
            (Some(key), Some(text)) => encode(&Interaction {
                text: Some(sealing::seal(key, text)),
                ..interaction.clone()
            }),
            _ => encode(interaction),
        };
        let key = keys::by_customer(interaction.customer, interaction.at, seq);
        let time_key = keys::by_time(interaction.customer, interaction.at, seq);
        // The time index first: if the process dies in between, what is left is an index
        // entry pointing at nothing, which readers skip (the message was never
        // acknowledged), never a message missing from the index.
        self.inner.interactions_by_time.insert(time_key, &[])?;
        self.inner.interactions.insert(key, stored)?;
        Ok(())
    }

    /// A customer's interactions in time order.
    pub fn interactions_of(&self, customer: CustomerId) -> Result<Vec<Interaction>> {
        self.inner
            .interactions
            .scan_prefix(keys::customer_bytes(customer))
            .map(|item| self.read_interaction(&item?.1))
            .collect()
    }

    /// Decodes a stored interaction and opens its text if it is sealed.
    pub(super) fn read_interaction(&self, bytes: &[u8]) -> Result<Interaction> {
        let mut interaction: Interaction = decode("interaction", bytes)?;
        if let Some(text) = interaction.text.take() {
            interaction.text = Some(
                sealing::open(self.inner.message_key.as_ref(), text).map_err(StoreError::Sealed)?,
            );
        }
        Ok(interaction)
    }

    /// A customer's latest `n` interactions, oldest first.
    pub fn recent_interactions_of(
        &self,
        customer: CustomerId,
        n: usize,
    ) -> Result<Vec<Interaction>> {
        let mut recent: Vec<Interaction> = self
            .inner
            .interactions
            .scan_prefix(keys::customer_bytes(customer))
            .rev()
            .take(n)
            .map(|item| self.read_interaction(&item?.1))
            .collect::<Result<_>>()?;
        recent.reverse();
        Ok(recent)
    }

    /// Everybody's interactions at or after `since`, in time order. Index entries left by an
    /// interrupted write (pointing at nothing) are skipped.
    pub fn interactions_since(
        &self,
        since: DateTime<Utc>,
    ) -> impl Iterator<Item = Result<Interaction>> + '_ {
        self.inner
            .interactions_by_time
            .range(keys::time_bytes(since)..)
            .filter_map(move |item| {
                let key = match item {
                    Ok((key, _)) => key,
                    Err(e) => return Some(Err(e.into())),
                };
                match self
                    .inner
                    .interactions
                    .get(keys::time_key_to_customer_key(&key))
                {
                    Ok(Some(value)) => Some(self.read_interaction(&value)),
                    Ok(None) => None,
                    Err(e) => Some(Err(e.into())),
                }
            })
    }

    pub fn interaction_count(&self) -> usize {
        self.inner.interactions.len()
    }
}
