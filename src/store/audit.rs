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
