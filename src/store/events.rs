//! Events of customers, indexed by customer and by time, and orders by order id.

use chrono::{DateTime, Utc};

use super::{Result, Store, decode, encode, keys};
use crate::domain::{CustomerId, Event, EventKind};

/// An event to import, with its id and its stored form.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The source's event id, or a content hash.
    pub id: Vec<u8>,
    /// Whether `id` came from the source (remembered on its own) or is a content hash.
    pub source_id: bool,
    pub event: Event,
    /// The event as stored (JSON), encoded once by the caller.
    pub encoded: Vec<u8>,
}

impl NewEvent {
    pub fn new(id: Vec<u8>, source_id: bool, event: Event) -> Self {
        let encoded = encode(&event);
        NewEvent {
            id,
            source_id,
            event,
            encoded,
        }
    }
}

impl Store {
    /// Appends an event. Purchases are also indexed by order id. The indexes are written
    /// first, so an interrupted write leaves an index entry pointing at nothing (skipped
    /// by readers), never an event missing from an index.
    pub fn append_event(&self, event: &Event) -> Result<()> {
        let seq = self.next_seq()?;
        let key = keys::by_customer(event.customer, event.at, seq);
        self.inner
            .events_by_time
            .insert(keys::by_time(event.customer, event.at, seq), &[])?;
        if let EventKind::Purchase { order_id, .. } = &event.kind {
            self.inner.orders.insert(order_id.as_bytes(), &key)?;
        }
        self.inner.events.insert(key, encode(event))?;
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
        self.inner.events_by_time.apply_batch(by_time)?;
        self.inner.orders.apply_batch(orders)?;
        self.inner.events.apply_batch(by_customer)?;
        Ok(())
    }

    /// Appends the events that are not stored yet and returns how many were new.
    ///
    /// Each event comes with an id: the source's event id or a content hash (see
    /// `import`). The storage key is derived from the id, so writing an event again hits
    /// the same key: a crash half-way through a batch followed by a re-import cannot
    /// duplicate anything, and "already stored" is one key lookup. Source ids are also
    /// remembered on their own, so a source that re-sends an id with another time is not
    /// imported twice.
    pub fn append_new_events(&self, events: &[NewEvent]) -> Result<usize> {
        let mut by_customer = sled::Batch::default();
        let mut by_time = sled::Batch::default();
        let mut orders = sled::Batch::default();
        let mut ids = sled::Batch::default();
        let mut seen_in_batch = std::collections::HashSet::new();
        let mut fresh = 0;
        for new in events {
            let seq = id_seq(&new.id);
            let key = keys::by_customer(new.event.customer, new.event.at, seq);
            let time_key = keys::by_time(new.event.customer, new.event.at, seq);
            if !seen_in_batch.insert(key) {
                continue;
            }
            // The trees are written in the order events, orders, time index, source ids, so
            // a source id means everything else is there, and a time-index entry means the
            // event and its order are: a crash between two batches is repaired by the
            // re-import instead of leaving an event without its index.
            if new.source_id && self.inner.event_ids.contains_key(&new.id)? {
                continue;
            }
            if self.inner.events_by_time.contains_key(time_key)? {
                if new.source_id {
                    ids.insert(new.id.as_slice(), &[]);
                }
                continue;
            }
            if new.source_id {
                ids.insert(new.id.as_slice(), &[]);
            }
            by_customer.insert(&key, new.encoded.as_slice());
            by_time.insert(&time_key, &[]);
            if let EventKind::Purchase { order_id, .. } = &new.event.kind {
                orders.insert(order_id.as_bytes(), &key);
            }
            fresh += 1;
        }
        self.inner.events.apply_batch(by_customer)?;
        self.inner.orders.apply_batch(orders)?;
        self.inner.events_by_time.apply_batch(by_time)?;
        self.inner.event_ids.apply_batch(ids)?;
        Ok(fresh)
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

    /// Everybody's events at or after `since`, in time order (index entries pointing at
    /// nothing, left by an interrupted write, are skipped).
    pub fn events_since(&self, since: DateTime<Utc>) -> impl Iterator<Item = Result<Event>> + '_ {
        self.inner
            .events_by_time
            .range(keys::time_bytes(since)..)
            .filter_map(move |item| {
                let key = match item {
                    Ok((key, _)) => key,
                    Err(e) => return Some(Err(e.into())),
                };
                match self.inner.events.get(keys::time_key_to_customer_key(&key)) {
                    Ok(Some(value)) => Some(decode("event", &value)),
                    Ok(None) => None,
                    Err(e) => Some(Err(e.into())),
                }
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
