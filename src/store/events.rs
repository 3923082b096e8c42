//! Events of customers, indexed by customer and by time, and orders by order id.

use chrono::{DateTime, Utc};

use super::{Result, Store, decode, encode, keys};
use crate::domain::{CustomerId, Event, EventKind};

impl Store {
    /// Appends an event. Purchases are also indexed by order id.
    pub fn append_event(&self, event: &Event) -> Result<()> {
        let seq = self.next_seq()?;
        let key = keys::by_customer(event.customer, event.at, seq);
        self.inner.events.insert(key, encode(event))?;
        self.inner
            .events_by_time
            .insert(keys::by_time(event.customer, event.at, seq), &[])?;
        if let EventKind::Purchase { order_id, .. } = &event.kind {
            self.inner.orders.insert(order_id.as_bytes(), &key)?;
        }
        Ok(())
    }

    /// Appends many events in one sled batch per tree (imports, demo data).
    pub fn append_events(&self, events: &[Event]) -> Result<()> {
        let mut by_customer = sled::Batch::default();
        let mut by_time = sled::Batch::default();
        let mut orders = sled::Batch::default();
        for event in events {
            let seq = self.next_seq()?;
            let key = keys::by_customer(event.customer, event.at, seq);
            by_customer.insert(&key, encode(event));
            by_time.insert(&keys::by_time(event.customer, event.at, seq), &[]);
            if let EventKind::Purchase { order_id, .. } = &event.kind {
                orders.insert(order_id.as_bytes(), &key);
            }
        }
        self.inner.events.apply_batch(by_customer)?;
        self.inner.events_by_time.apply_batch(by_time)?;
        self.inner.orders.apply_batch(orders)?;
        Ok(())
    }

    /// Appends the events whose ids were not seen before and returns how many were new.
    ///
    /// Ids are the source's event ids or content hashes (see `import`). The storage key of
    /// such an event is derived from its id, so writing it again overwrites the same keys:
    /// a crash half-way through a batch, followed by a re-import, cannot duplicate events.
    pub fn append_new_events(&self, events: &[(Vec<u8>, Event)]) -> Result<usize> {
        let mut by_customer = sled::Batch::default();
        let mut by_time = sled::Batch::default();
        let mut orders = sled::Batch::default();
        let mut ids = sled::Batch::default();
        let mut seen_in_batch = std::collections::HashSet::new();
        let mut fresh = 0;
        for (id, event) in events {
            if !seen_in_batch.insert(id.as_slice()) || self.inner.event_ids.contains_key(id)? {
                continue;
            }
            let seq = id_seq(id);
            let key = keys::by_customer(event.customer, event.at, seq);
            by_customer.insert(&key, encode(event));
            by_time.insert(&keys::by_time(event.customer, event.at, seq), &[]);
            if let EventKind::Purchase { order_id, .. } = &event.kind {
                orders.insert(order_id.as_bytes(), &key);
            }
            ids.insert(id.as_slice(), &[]);
            fresh += 1;
        }
        self.inner.events.apply_batch(by_customer)?;
        self.inner.events_by_time.apply_batch(by_time)?;
        self.inner.orders.apply_batch(orders)?;
        self.inner.event_ids.apply_batch(ids)?;
        Ok(fresh)
    }

    /// Whether an event id was imported before.
    pub fn has_event_id(&self, id: &[u8]) -> Result<bool> {
        Ok(self.inner.event_ids.contains_key(id)?)
    }

    /// A customer's events in time order.
    pub fn events_of(&self, customer: CustomerId) -> Result<Vec<Event>> {
        self.inner
            .events
            .scan_prefix(keys::customer_bytes(customer))
            .map(|item| decode("event", &item?.1))
            .collect()
    }

    /// A customer's latest `n` events, newest first.
    pub fn recent_events_of(&self, customer: CustomerId, n: usize) -> Result<Vec<Event>> {
        self.inner
            .events
            .scan_prefix(keys::customer_bytes(customer))
            .rev()
            .take(n)
            .map(|item| decode("event", &item?.1))
            .collect()
    }

    /// Everybody's events at or after `since`, in time order.
    pub fn events_since(&self, since: DateTime<Utc>) -> impl Iterator<Item = Result<Event>> + '_ {
        self.inner
            .events_by_time
            .range(keys::time_bytes(since)..)
            .map(move |item| {
                let (key, _) = item?;
                let value = self
                    .inner
                    .events
                    .get(keys::time_key_to_customer_key(&key))?
                    .ok_or_else(|| {
                        super::StoreError::Conflict("event index points at a missing event".into())
                    })?;
                decode("event", &value)
            })
    }

    pub fn event_count(&self) -> usize {
        self.inner.events.len()
    }

    /// The purchase event of an order, whoever it belongs to. Callers must check the owner.
    pub fn order(&self, order_id: &str) -> Result<Option<Event>> {
        let Some(key) = self.inner.orders.get(order_id.as_bytes())? else {
            return Ok(None);
        };
        self.inner
            .events
            .get(key)?
            .map(|v| decode("event", &v))
            .transpose()
    }
}

/// A key sequence number derived from an event id (first 8 bytes of its SHA-256).
fn id_seq(id: &[u8]) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id);
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}
