//! The audit log: who did what to which customer or ticket, in time order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store, decode, encode, keys};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who acted: a staff name, `customer:ID`, or `operator` for the command line.
    pub actor: String,
    /// What was done, e.g. `ticket.claim`, `access.denied`, `customer.erase`.
    pub action: String,
    /// What it was done to, e.g. `ticket:3`, `customer:42`.
    pub subject: String,
    /// Free text detail (never message contents).
    pub detail: String,
}

impl Store {
    pub fn audit(&self, entry: &AuditEntry) -> Result<()> {
        let seq = self.next_seq()?;
        let mut key = keys::time_bytes(entry.at).to_vec();
        key.extend_from_slice(&seq.to_be_bytes());
        self.inner.audit.insert(key, encode(entry))?;
        Ok(())
    }

    /// Audit entries at or after `since`, oldest first.
    pub fn audit_since(&self, since: DateTime<Utc>) -> Result<Vec<AuditEntry>> {
        self.inner
            .audit
            .range(keys::time_bytes(since).to_vec()..)
            .map(|item| decode("audit entry", &item?.1))
            .collect()
    }
}

impl Store {
    /// The response remembered for an idempotency key, if any.
    pub fn idempotent_response(&self, key: &str) -> Result<Option<(u16, serde_json::Value)>> {
        self.inner
            .meta
            .get(format!("idem:{key}"))?
            .map(|v| decode("idempotent response", &v))
            .transpose()
    }

    /// Remembers the response to a request with an idempotency key.
    pub fn remember_response(
        &self,
        key: &str,
        status: u16,
        body: &serde_json::Value,
    ) -> Result<()> {
        self.inner
            .meta
            .insert(format!("idem:{key}"), encode(&(status, body)))?;
        Ok(())
    }
}

impl Store {
    /// Adds or replaces a staff member (stored as the config module's type).
    pub fn put_staff<T: Serialize>(&self, name: &str, member: &T) -> Result<()> {
        self.inner
            .staff
            .insert(name.to_lowercase().as_bytes(), encode(member))?;
        Ok(())
    }

    /// Removes a staff member; whether there was one.
    pub fn remove_staff(&self, name: &str) -> Result<bool> {
        Ok(self
            .inner
            .staff
            .remove(name.to_lowercase().as_bytes())?
            .is_some())
    }

    /// Staff members added through the store, by name.
    pub fn staff<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.inner
            .staff
            .iter()
            .map(|item| decode("staff member", &item?.1))
            .collect()
    }
}
