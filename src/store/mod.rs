//! The embedded store: the only module that touches sled.
//!
//! Everything the bot knows lives here in named trees: customers, channel identities,
//! events, orders, interactions, tickets, conversations (dialogue state), model artifacts,
//! scores and an audit log. Other modules call the typed functions of [`Store`]; none of
//! them sees a sled type.
//!
//! # Layout
//! Keys are big-endian (see [`keys`]) so that a customer's events and interactions in time
//! order, and everybody's records since a time, are range scans. Values are JSON.
//!
//! # Durability
//! A write is in memory until flushed. Whatever acknowledges something to a user (a reply
//! after its interaction was logged, an imported batch) first awaits
//! [`Store::durable`], which shares one flush among all concurrent callers
//! ([`commit::GroupCommit`]).
//!
//! # Versions
//! The schema version sits in the `meta` tree. An older store is migrated on open; a newer
//! one is refused with a message naming both versions.

mod artifacts;
mod audit;
mod backup;
mod commit;
mod conversations;
mod customers;
pub mod erasure;
mod events;
pub mod handoff;
mod interactions;
pub mod keys;
mod link_guard;
mod outbox;
mod privacy;
pub mod sealing;
mod tickets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

pub use audit::AuditEntry;
pub use backup::{BackupReport, RepairReport, VerifyReport};
pub use commit::GroupCommit;
pub use customers::IdentityKey;
pub use events::NewEvent;
pub use outbox::{OutboxItem, OutboxState};
pub use privacy::{CustomerExport, ErasureReport};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

const META_SCHEMA: &[u8] = b"schema_version";
const META_NEXT_CUSTOMER: &[u8] = b"next_customer_id";
const META_NEXT_TICKET: &[u8] = b"next_ticket_id";
const HOLDER_FILE: &str = "crmbot-holder.json";

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "the store at {path} is in use by another crmbot process{holder}; stop that process, or send data through its HTTP API"
    )]
    Locked { path: PathBuf, holder: String },
    #[error(
        "the store at {path} has schema version {found}, newer than this crmbot understands ({supported}); upgrade crmbot"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "the store at {path} is corrupt ({detail}); restore it from a backup (crmbot restore DIR)"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot open the store at {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store I/O failed: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored {what} could not be decoded: {source}")]
    Decode {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("could not make the store durable: {0}")]
    Flush(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Sealed(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub path: PathBuf,
    pub cache_capacity_mb: u64,
    /// Open a throwaway store that is deleted on drop (tests, benchmarks).
    pub temporary: bool,
    /// Encrypts message texts at rest when set.
    pub message_key: Option<sealing::MessageKey>,
}

impl StoreOptions {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        StoreOptions {
            path: path.into(),
            cache_capacity_mb: 64,
            temporary: false,
            message_key: None,
        }
    }
}

/// Handle to the store; cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    customers: sled::Tree,
    identities: sled::Tree,
    emails: sled::Tree,
    events: sled::Tree,
    events_by_time: sled::Tree,
    /// Ids (or content hashes) of imported events, so a re-import adds nothing twice.
    event_ids: sled::Tree,
    orders: sled::Tree,
    interactions: sled::Tree,
    interactions_by_time: sled::Tree,
    tickets: sled::Tree,
    conversations: sled::Tree,
    artifacts: sled::Tree,
    scores: sled::Tree,
    /// Daily churn probabilities per customer (`customer | day`), for "change since yesterday".
    score_history: sled::Tree,
    /// Messages waiting to be delivered (alerts, digests), in enqueue order.
    outbox: sled::Tree,
    /// Per-customer alert state (last alert, its risk band) for de-duplication.
    alert_state: sled::Tree,
    /// Staff members added with `crmbot staff add` (on top of the config file's).
    staff: sled::Tree,
    audit: sled::Tree,
    /// Ticket spaces, relayed messages, handled updates, notes, snippets, transcripts.
    handoff: sled::Tree,
    commit: GroupCommit,
    message_key: Option<sealing::MessageKey>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The flusher thread answers what is queued and stops; then the final flush, so a
        // clean shutdown never depends on sled's background timer.
        if let Err(e) = self.commit.durable_blocking() {
            tracing::error!(error = %e, "final flush of the store failed");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store, checks and migrates its schema.
    pub fn open(options: &StoreOptions) -> Result<Store> {
        let path = options.path.clone();
        let config = sled::Config::new()
            .path(&path)
            .cache_capacity(options.cache_capacity_mb * 1024 * 1024)
            .temporary(options.temporary);
        // sled releases its file lock from background threads after the last handle is
        // dropped; a reopen in the same process (tests, restore) may briefly see its own
        // lock. Another process's lock is reported at once.
        let mut waited = std::time::Duration::ZERO;
        let db = loop {
            match config.open().map_err(|e| classify_open_error(&path, e)) {
                Err(StoreError::Locked { holder, .. })
                    if holder.contains(&format!("pid {},", std::process::id()))
                        && waited < std::time::Duration::from_secs(2) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    waited += std::time::Duration::from_millis(20);
                }
                other => break other?,
            }
        };
        let tree = |name: &str| db.open_tree(name);
        let inner = Inner {
            meta: tree("meta")?,
            customers: tree("customers")?,
            identities: tree("identities")?,
            emails: tree("emails")?,
            events: tree("events")?,
            events_by_time: tree("events_by_time")?,
            event_ids: tree("event_ids")?,
            orders: tree("orders")?,
            interactions: tree("interactions")?,
            interactions_by_time: tree("interactions_by_time")?,
            tickets: tree("tickets")?,
            conversations: tree("conversations")?,
            artifacts: tree("artifacts")?,
            scores: tree("scores")?,
            score_history: tree("score_history")?,
            outbox: tree("outbox")?,
            alert_state: tree("alert_state")?,
            staff: tree("staff")?,
            audit: tree("audit")?,
            handoff: tree("handoff")?,
            commit: GroupCommit::start(db.clone()),
            message_key: options.message_key.clone(),
            path: path.clone(),
            db,
        };
        let store = Store {
            inner: Arc::new(inner),
        };
        store.check_schema()?;
        if !options.temporary {
            write_holder(&path);
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn check_schema(&self) -> Result<()> {
        let found = self
            .inner
            .meta
            .get(META_SCHEMA)?
            .map(|v| u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 4])));
        let found = match found {
            Some(v) => v,
            // A store with data but no version was written before versioning: version 0.
            None if self.inner.customers.is_empty() => SCHEMA_VERSION,
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.inner.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        // Migrations from `found` to the current version run here, one step at a time.
        // Version 0 → 1 only records the version: the layouts are the same.
        self.inner
            .meta
            .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
        self.durable_blocking()?;
        Ok(())
    }

    /// The schema version recorded in the store.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .inner
            .meta
            .get(META_SCHEMA)?
            .map(|v| u32::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 4])))
            .unwrap_or(0))
    }

    /// Test hook: records another schema version (to check refusal of newer stores).
    #[doc(hidden)]
    pub fn force_schema_version(&self, version: u32) -> Result<()> {
        self.inner
            .meta
            .insert(META_SCHEMA, &version.to_be_bytes())?;
        self.durable_blocking()
    }

    /// Waits until every write made before the call is on disk (group commit).
    pub async fn durable(&self) -> Result<()> {
        self.inner.commit.durable().await.map_err(StoreError::Flush)
    }

    /// Blocking form of [`durable`](Self::durable) for command-line tools.
    pub fn durable_blocking(&self) -> Result<()> {
        self.inner
            .commit
            .durable_blocking()
            .map_err(StoreError::Flush)
    }

    /// (flushes, durability waits) since the store opened: how well group commit batches.
    pub fn commit_counts(&self) -> (u64, u64) {
        self.inner.commit.counts()
    }

    /// Size of the store on disk in bytes.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.db.size_on_disk()?)
    }

    /// A new unique sequence number (monotonic; may skip after a restart).
    fn next_seq(&self) -> Result<u64> {
        Ok(self.inner.db.generate_id()?)
    }

    /// Increments a counter in `meta` and returns its new value.
    fn next_counter(&self, key: &[u8], at_least: u64) -> Result<u64> {
        let new = self
            .inner
            .meta
            .update_and_fetch(key, |old| {
                let current = old
                    .map(|v| u64::from_be_bytes(v.try_into().unwrap_or([0; 8])))
                    .unwrap_or(0);
                Some(
                    current
                        .max(at_least.saturating_sub(1))
                        .wrapping_add(1)
                        .to_be_bytes()
                        .to_vec(),
                )
            })?
            .expect("update_and_fetch returns the new value");
        Ok(u64::from_be_bytes(
            new.as_ref().try_into().unwrap_or([0; 8]),
        ))
    }

    /// Raises a counter so that it is at least `value`.
    fn bump_counter(&self, key: &[u8], value: u64) -> Result<()> {
        self.inner.meta.update_and_fetch(key, |old| {
            let current = old
                .map(|v| u64::from_be_bytes(v.try_into().unwrap_or([0; 8])))
                .unwrap_or(0);
            Some(current.max(value).to_be_bytes().to_vec())
        })?;
        Ok(())
    }
}

fn classify_open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(ref io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                path: path.to_owned(),
                holder: read_holder(path),
            }
        }
        sled::Error::Corruption { .. } => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        other => StoreError::Open {
            path: path.to_owned(),
            source: other,
        },
    }
}

/// Records which process holds the store, so a second process can say so.
fn write_holder(path: &Path) {
    let holder = serde_json::json!({
        "pid": std::process::id(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "since": chrono::Utc::now().to_rfc3339(),
    });
    if let Err(e) = std::fs::write(path.join(HOLDER_FILE), holder.to_string()) {
        tracing::warn!(error = %e, "could not record the store holder");
    }
}

fn read_holder(path: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(path.join(HOLDER_FILE)) else {
        return String::new();
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return String::new();
    };
    format!(
        " (pid {}, `{}`, since {})",
        value["pid"],
        value["command"].as_str().unwrap_or("?"),
        value["since"].as_str().unwrap_or("?")
    )
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store values serialize to JSON")
}

fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode { what, source })
}
