//! Chat interactions, indexed by customer and by time.

use chrono::{DateTime, Utc};

use super::{Result, Store, decode, encode, keys};
use crate::domain::{CustomerId, Interaction};

impl Store {
    /// Logs one message. Call [`Store::durable`] before acknowledging it to anyone.
    pub fn log_interaction(&self, interaction: &Interaction) -> Result<()> {
        let seq = self.next_seq()?;
        self.inner.interactions.insert(
            keys::by_customer(interaction.customer, interaction.at, seq),
            encode(interaction),
        )?;
        self.inner.interactions_by_time.insert(
            keys::by_time(interaction.customer, interaction.at, seq),
            &[],
        )?;
        Ok(())
    }

    /// A customer's interactions in time order.
    pub fn interactions_of(&self, customer: CustomerId) -> Result<Vec<Interaction>> {
        self.inner
            .interactions
            .scan_prefix(keys::customer_bytes(customer))
            .map(|item| decode("interaction", &item?.1))
            .collect()
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
            .map(|item| decode("interaction", &item?.1))
            .collect::<Result<_>>()?;
        recent.reverse();
        Ok(recent)
    }

    /// Everybody's interactions at or after `since`, in time order.
    pub fn interactions_since(
        &self,
        since: DateTime<Utc>,
    ) -> impl Iterator<Item = Result<Interaction>> + '_ {
        self.inner
            .interactions_by_time
            .range(keys::time_bytes(since)..)
            .map(move |item| {
                let (key, _) = item?;
                let value = self
                    .inner
                    .interactions
                    .get(keys::time_key_to_customer_key(&key))?
                    .ok_or_else(|| {
                        super::StoreError::Conflict(
                            "interaction index points at a missing interaction".into(),
                        )
                    })?;
                decode("interaction", &value)
            })
    }

    pub fn interaction_count(&self) -> usize {
        self.inner.interactions.len()
    }
}
