//! The outbox: alerts and digests waiting to be delivered, kept in the store so that a
//! restart neither loses nor repeats them; plus per-customer alert state, daily score
//! history and the last run of each scheduled job.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Result, Store, decode, encode, keys};
use crate::domain::{Channel, CustomerId};

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    Pending,
    Sent,
    /// Gave up after the maximum number of attempts.
    Failed,
}

/// One message to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: u64,
    pub channel: Channel,
    pub chat: String,
    pub text: String,
    /// What it is, e.g. `digest`, `alert`, `sla`.
    pub kind: String,
    pub created: DateTime<Utc>,
    pub state: OutboxState,
    pub attempts: u32,
    /// Not to be tried before this time (backoff, quiet hours, rate limits).
    pub not_before: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Store {
    /// Queues a message; the caller makes it durable.
    pub fn enqueue(
        &self,
        channel: Channel,
        chat: &str,
        text: &str,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<OutboxItem> {
        let id = self.next_seq()?;
        let item = OutboxItem {
            id,
            channel,
            chat: chat.to_owned(),
            text: text.to_owned(),
            kind: kind.to_owned(),
            created: at,
            state: OutboxState::Pending,
            attempts: 0,
            not_before: at,
            sent_at: None,
            last_error: None,
        };
        self.inner.outbox.insert(id.to_be_bytes(), encode(&item))?;
        Ok(item)
    }

    pub fn put_outbox_item(&self, item: &OutboxItem) -> Result<()> {
        self.inner
            .outbox
            .insert(item.id.to_be_bytes(), encode(item))?;
        Ok(())
    }

    /// Pending items in enqueue order.
    pub fn pending_outbox(&self) -> Result<Vec<OutboxItem>> {
        let mut out = Vec::new();
        for item in self.inner.outbox.iter() {
            let item: OutboxItem = decode("outbox item", &item?.1)?;
            if item.state == OutboxState::Pending {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Every item, in enqueue order.
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        self.inner
            .outbox
            .iter()
            .map(|item| decode("outbox item", &item?.1))
            .collect()
    }

    pub fn alert_state<T: DeserializeOwned>(&self, customer: CustomerId) -> Result<Option<T>> {
        self.inner
            .alert_state
            .get(keys::customer_bytes(customer))?
            .map(|v| decode("alert state", &v))
            .transpose()
    }

    pub fn put_alert_state<T: Serialize>(&self, customer: CustomerId, state: &T) -> Result<()> {
        self.inner
            .alert_state
            .insert(keys::customer_bytes(customer), encode(state))?;
        Ok(())
    }

    /// Records a customer's churn probability for a day.
    pub fn record_daily_score(
        &self,
        customer: CustomerId,
        day: NaiveDate,
        probability: f64,
    ) -> Result<()> {
        let mut key = keys::customer_bytes(customer).to_vec();
        key.extend_from_slice(day.format("%Y%m%d").to_string().as_bytes());
        self.inner
            .score_history
            .insert(key, &probability.to_be_bytes())?;
        Ok(())
    }

    /// The latest recorded probability of a customer on or before `day`.
    pub fn daily_score_on_or_before(
        &self,
        customer: CustomerId,
        day: NaiveDate,
    ) -> Result<Option<f64>> {
        let prefix = keys::customer_bytes(customer);
        let mut end = prefix.to_vec();
        end.extend_from_slice(day.format("%Y%m%d").to_string().as_bytes());
        Ok(self
            .inner
            .score_history
            .range(prefix.to_vec()..=end)
            .next_back()
            .transpose()?
            .map(|(_, v)| f64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8]))))
    }

    /// When a scheduled job last ran.
    pub fn job_last_run(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        self.inner
            .meta
            .get(format!("job:{job}"))?
            .map(|v| decode("job run", &v))
            .transpose()
    }

    pub fn set_job_last_run(&self, job: &str, at: DateTime<Utc>) -> Result<()> {
        self.inner.meta.insert(format!("job:{job}"), encode(&at))?;
        Ok(())
    }
}
