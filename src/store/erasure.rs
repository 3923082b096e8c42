//! Erasure that erases: after the targeted clean-up of a customer's own records
//! ([`Store::erase_customer`]), a sweep over every tree removes what still names them
//! (digests, audit details, outbox items, transcripts, another record quoting their
//! message), tombstones keep imports from bringing them back, an erasure ledger beside the
//! store lets a restore of an older backup erase them again, and [`rewrite`] copies the
//! live records into fresh files so sled's old versions are gone from disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError};
use crate::domain::CustomerId;

const SALT_KEY: &[u8] = b"erasure_salt";
const TOMBSTONE_PREFIX: &str = "tombstone:";
/// Trees of per-customer records, erased record by record: the sweep leaves them alone so
/// that another customer with the same name or the same words keeps their own data.
const OWN_RECORDS: [&str; 6] = [
    "customers",
    "events",
    "events_by_time",
    "interactions",
    "interactions_by_time",
    "orders",
];

/// A message is searched for elsewhere only when it is long enough to be theirs alone.
pub(super) const DISTINCTIVE_TEXT: usize = 24;

/// What a swept string becomes.
const ERASED: &str = "[erased]";

/// One erasure, as the ledger keeps it: ids and salted hashes only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub customer: CustomerId,
    /// Leads that were linked to the customer, erased with them.
    #[serde(default)]
    pub leads: Vec<CustomerId>,
    pub tombstones: Vec<String>,
    pub at: DateTime<Utc>,
}

/// The erasure ledger of the store at `store_path`: a file beside the store directory
/// (`<store>.erasures.jsonl`), so that it outlives the store when a backup is restored.
pub fn ledger_path(store_path: &Path) -> PathBuf {
    let mut name = store_path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "store".into());
    name.push(".erasures.jsonl");
    store_path.with_file_name(name)
}

/// Appends an entry to the ledger and syncs it to disk.
pub fn append_ledger(path: &Path, entry: &LedgerEntry) -> Result<()> {
    let io = |e: std::io::Error| StoreError::Conflict(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    let mut line = serde_json::to_vec(entry).expect("ledger entries serialize");
    line.push(b'\n');
    file.write_all(&line).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Every entry of the ledger at `path` (none when there is no ledger).
pub fn read_ledger(path: &Path) -> Result<Vec<LedgerEntry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::Conflict(format!("{}: {e}", path.display()))),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                StoreError::Conflict(format!("{} line {}: {e}", path.display(), i + 1))
            })
        })
        .collect()
}

impl Store {
    fn erasure_salt(&self) -> Result<Vec<u8>> {
        if let Some(salt) = self.inner.meta.get(SALT_KEY)? {
            return Ok(salt.to_vec());
        }
        let salt: [u8; 32] = rand::random();
        self.inner.meta.insert(SALT_KEY, &salt)?;
        Ok(salt.to_vec())
    }

    fn tombstone(&self, kind: &str, value: &str) -> Result<String> {
        let mut hash = Sha256::new();
        hash.update(self.erasure_salt()?);
        hash.update(kind.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
        Ok(hex::encode(hash.finalize()))
    }

    /// The tombstones for a customer id and (normalised) email.
    pub(super) fn tombstones_for(
        &self,
        id: CustomerId,
        email: Option<&str>,
    ) -> Result<Vec<String>> {
        let mut marks = vec![self.tombstone("id", &id.0.to_string())?];
        if let Some(email) = email {
            marks.push(self.tombstone("email", &crate::domain::normalize_email(email))?);
        }
        Ok(marks)
    }

    /// Records tombstones (from an erasure or a ledger).
    pub fn put_tombstones(&self, marks: &[String]) -> Result<()> {
        for mark in marks {
            self.inner
                .meta
                .insert(format!("{TOMBSTONE_PREFIX}{mark}"), &[])?;
        }
        Ok(())
    }

    /// Whether a customer with this id or email was erased.
    pub fn is_erased(&self, id: CustomerId, email: Option<&str>) -> Result<bool> {
        for mark in self.tombstones_for(id, email)? {
            if self
                .inner
                .meta
                .contains_key(format!("{TOMBSTONE_PREFIX}{mark}"))?
            {
                return Ok(true);
            }
        }
        Ok(self.customer(id)?.is_some_and(|c| c.erased))
    }

    /// Removes or rewrites every record, in every tree, whose key or text contains one of
    /// `needles` (a name, an email, a message the customer wrote). JSON values keep their
    /// shape with the matching strings replaced; other values are removed. Returns how
    /// many records changed.
    pub(super) fn sweep(&self, needles: &[String]) -> Result<usize> {
        let needles: Vec<&str> = needles
            .iter()
            .map(|n| n.trim())
            .filter(|n| n.chars().count() >= 3)
            .collect();
        if needles.is_empty() {
            return Ok(0);
        }
        let hit = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            needles.iter().any(|n| text.contains(n))
        };
        let mut changed = 0;
        for name in self.inner.db.tree_names() {
            if OWN_RECORDS
                .iter()
                .any(|own| own.as_bytes() == name.as_ref())
            {
                continue;
            }
            let tree = self.inner.db.open_tree(&name)?;
            for item in tree.iter() {
                let (key, value) = item?;
                if hit(&key) {
                    tree.remove(&key)?;
                    changed += 1;
                } else if hit(&value) {
                    match serde_json::from_slice::<serde_json::Value>(&value) {
                        Ok(mut json) => {
                            scrub(&mut json, &needles);
                            tree.insert(&key, serde_json::to_vec(&json).expect("JSON"))?;
                        }
                        Err(_) => {
                            tree.remove(&key)?;
                        }
                    }
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

/// Replaces every string in `value` that contains a needle.
fn scrub(value: &mut serde_json::Value, needles: &[&str]) {
    match value {
        serde_json::Value::String(s) if needles.iter().any(|n| s.contains(n)) => {
            let mut cleaned = s.clone();
            for n in needles {
                cleaned = cleaned.replace(n, ERASED);
            }
            *s = cleaned;
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, needles)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| scrub(v, needles)),
        _ => {}
    }
}

/// Opens a store this process just closed: sled releases its file lock from background
/// threads, so a reopen may briefly see its own lock.
fn open_when_released(path: &Path) -> Result<sled::Db> {
    let mut waited = std::time::Duration::ZERO;
    loop {
        match sled::Config::new().path(path).open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && waited < std::time::Duration::from_secs(5) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
                waited += std::time::Duration::from_millis(50);
            }
            other => return Ok(other?),
        }
    }
}

/// Rewrites the (closed) store at `path` into fresh files: every live record is copied into
/// a new store beside it, which then replaces the old directory. Old versions of values,
/// which sled keeps in its files until it reclaims the space, are gone afterwards.
pub fn rewrite(path: &Path) -> Result<u64> {
    let fresh = path.with_extension("rewriting");
    let old = path.with_extension("replaced");
    for leftover in [&fresh, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover)
                .map_err(|e| StoreError::Conflict(format!("{}: {e}", leftover.display())))?;
        }
    }
    let mut copied = 0;
    {
        let source = open_when_released(path)?;
        let target = sled::Config::new().path(&fresh).open()?;
        for name in source.tree_names() {
            let from = source.open_tree(&name)?;
            let to = target.open_tree(&name)?;
            for item in from.iter() {
                let (k, v) = item?;
                to.insert(k, v)?;
                copied += 1;
            }
        }
        target.flush()?;
    }
    // sled lets go of its file lock from background threads: wait for both to close.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let io = |p: &Path, e: std::io::Error| StoreError::Conflict(format!("{}: {e}", p.display()));
    std::fs::rename(path, &old).map_err(|e| io(path, e))?;
    std::fs::rename(&fresh, path).map_err(|e| io(&fresh, e))?;
    std::fs::remove_dir_all(&old).map_err(|e| io(&old, e))?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_keeps_the_shape_and_replaces_only_matching_strings() {
        let mut v = serde_json::json!({"text": "Olivia Hall (#42) at risk", "n": 3,
            "list": ["a", "mail olivia@example.com now"]});
        scrub(&mut v, &["Olivia Hall", "olivia@example.com"]);
        assert_eq!(
            v,
            serde_json::json!({"text": "[erased] (#42) at risk", "n": 3,
                "list": ["a", "mail [erased] now"]})
        );
    }

    #[test]
    fn the_ledger_sits_beside_the_store_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("crmbot.sled");
        let ledger = ledger_path(&store);
        assert_eq!(ledger, dir.path().join("crmbot.sled.erasures.jsonl"));
        assert!(read_ledger(&ledger).unwrap().is_empty());
        let entry = LedgerEntry {
            customer: CustomerId(42),
            leads: vec![CustomerId(900)],
            tombstones: vec!["ab".into()],
            at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        };
        append_ledger(&ledger, &entry).unwrap();
        append_ledger(&ledger, &entry).unwrap();
        assert_eq!(read_ledger(&ledger).unwrap(), vec![entry.clone(), entry]);
    }
}
