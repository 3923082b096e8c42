//! Backups, restores and consistency checks of the whole store.
//!
//! A backup is a directory holding one file, `crmbot.backup`: a header line, then for each
//! tree its name and every key and value, length-prefixed. It is written from a store this
//! process holds, so it is consistent as long as no other writer runs in this process
//! (the CLI's `backup` holds the store alone). Restoring writes a new store directory.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Result, Store, StoreError, StoreOptions, decode, keys};
use crate::domain::{Customer, Event, Interaction, Ticket};

const BACKUP_FILE: &str = "crmbot.backup";
const MAGIC: &[u8] = b"crmbot-backup v1\n";

/// What a backup or restore wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub trees: usize,
    pub records: u64,
    pub bytes: u64,
}

/// What a consistency check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub schema_version: u32,
    pub customers: usize,
    pub events: usize,
    pub interactions: usize,
    pub tickets: usize,
    /// Each problem in words; empty when the store is sound.
    pub problems: Vec<String>,
    /// Harmless findings, e.g. index entries left by an interrupted, never acknowledged
    /// write (readers skip them).
    pub notes: Vec<String>,
}

/// What [`Store::repair`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RepairReport {
    pub index_entries_added: u64,
    pub dangling_entries_removed: u64,
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Conflict(format!("{}: {e}", path.display()))
}

fn write_chunk(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&(bytes.len() as u64).to_be_bytes())?;
    out.write_all(bytes)
}

fn read_chunk(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 8];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u64::from_be_bytes(len);
    if len > 1 << 32 {
        return Err(std::io::Error::other(
            "implausible record length: not a crmbot backup",
        ));
    }
    let mut buf = vec![0; len as usize];
    input.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// A new file only its owner may read (0600 on Unix): a backup holds every customer.
fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl Store {
    /// Writes a backup of every tree into `dir` (created; must not hold a backup yet).
    pub fn backup(&self, dir: &Path) -> Result<BackupReport> {
        self.durable_blocking()?;
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let path = dir.join(BACKUP_FILE);
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose an empty directory",
                path.display()
            )));
        }
        let tmp = dir.join(format!("{BACKUP_FILE}.partial"));
        let file = private_file(&tmp).map_err(|e| io_err(&tmp, e))?;
        let mut out = BufWriter::new(file);
        let mut report = BackupReport {
            file: path.clone(),
            ..Default::default()
        };
        let write = |out: &mut BufWriter<File>, bytes: &[u8]| {
            write_chunk(out, bytes).map_err(|e| io_err(&tmp, e))
        };
        out.write_all(MAGIC).map_err(|e| io_err(&tmp, e))?;
        for name in self.inner.db.tree_names() {
            let tree = self.inner.db.open_tree(&name)?;
            write(&mut out, b"T")?;
            write(&mut out, &name)?;
            write(&mut out, &(tree.len() as u64).to_be_bytes())?;
            for item in tree.iter() {
                let (k, v) = item?;
                write(&mut out, &k)?;
                write(&mut out, &v)?;
                report.records += 1;
            }
            report.trees += 1;
        }
        out.flush().map_err(|e| io_err(&tmp, e))?;
        let file = out.into_inner().map_err(|e| io_err(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        report.bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Ok(report)
    }

    /// Creates a new store at `target` from the backup in `dir` and returns it open. The
    /// target must not hold a store already.
    pub fn restore(dir: &Path, target: &StoreOptions) -> Result<(Store, BackupReport)> {
        let path = dir.join(BACKUP_FILE);
        if target.path.join("db").exists() || target.path.join("conf").exists() {
            return Err(StoreError::Conflict(format!(
                "{} already holds a store; restore into a new directory",
                target.path.display()
            )));
        }
        let file = File::open(&path).map_err(|e| io_err(&path, e))?;
        let mut input = BufReader::new(file);
        let mut magic = vec![0u8; MAGIC.len()];
        input.read_exact(&mut magic).map_err(|e| io_err(&path, e))?;
        if magic != MAGIC {
            return Err(StoreError::Conflict(format!(
                "{} is not a crmbot backup",
                path.display()
            )));
        }
        let store = Store::open(target)?;
        let mut report = BackupReport {
            file: path.clone(),
            ..Default::default()
        };
        let truncated = || StoreError::Conflict(format!("{} is truncated", path.display()));
        let read = |input: &mut BufReader<File>| read_chunk(input).map_err(|e| io_err(&path, e));
        while let Some(tag) = read(&mut input)? {
            if tag != b"T" {
                return Err(StoreError::Conflict(format!(
                    "{} is damaged",
                    path.display()
                )));
            }
            let name = read(&mut input)?.ok_or_else(truncated)?;
            let count = read(&mut input)?.ok_or_else(truncated)?;
            let count = u64::from_be_bytes(count.as_slice().try_into().map_err(|_| truncated())?);
            let tree = store.inner.db.open_tree(&name)?;
            let mut batch = sled::Batch::default();
            for _ in 0..count {
                let k = read(&mut input)?.ok_or_else(truncated)?;
                let v = read(&mut input)?.ok_or_else(truncated)?;
                batch.insert(k, v);
                report.records += 1;
            }
            tree.apply_batch(batch)?;
            report.trees += 1;
        }
        store.check_schema()?;
        store.durable_blocking()?;
        Ok((store, report))
    }

    /// Decodes every record and checks that the indexes agree with what they index.
    /// Puts back what an interrupted write can leave behind: a record whose time-index
    /// entry was not written yet gets it (the record is the truth), and index entries that
    /// point at nothing are removed. Returns how many entries were added and removed.
    pub fn repair(&self) -> Result<RepairReport> {
        let inner = &self.inner;
        let mut report = RepairReport::default();
        for (primary, index) in [
            (&inner.events, &inner.events_by_time),
            (&inner.interactions, &inner.interactions_by_time),
        ] {
            for item in primary.iter() {
                let (k, _) = item?;
                let mut time_key = [0u8; 24];
                time_key[..8].copy_from_slice(&k[8..16]);
                time_key[8..16].copy_from_slice(&k[..8]);
                time_key[16..].copy_from_slice(&k[16..24]);
                if !index.contains_key(time_key)? {
                    index.insert(time_key, &[])?;
                    report.index_entries_added += 1;
                }
            }
            for item in index.iter() {
                let (k, _) = item?;
                if !primary.contains_key(keys::time_key_to_customer_key(&k))? {
                    index.remove(&k)?;
                    report.dangling_entries_removed += 1;
                }
            }
        }
        self.durable_blocking()?;
        Ok(report)
    }

    pub fn verify(&self) -> Result<VerifyReport> {
        let inner = &self.inner;
        let mut report = VerifyReport {
            schema_version: self.schema_version()?,
            customers: inner.customers.len(),
            events: inner.events.len(),
            interactions: inner.interactions.len(),
            tickets: inner.tickets.len(),
            problems: Vec::new(),
            notes: Vec::new(),
        };
        let mut problem = |p: String| {
            if report.problems.len() < 100 {
                report.problems.push(p);
            }
        };
        for item in inner.customers.iter() {
            let (k, v) = item?;
            match decode::<Customer>("customer", &v) {
                Ok(c) if c.id != keys::customer_from_bytes(&k) => problem(format!(
                    "customer record {} is stored under another id",
                    c.id
                )),
                Ok(_) => {}
                Err(e) => problem(format!("customer {}: {e}", keys::customer_from_bytes(&k))),
            }
        }
        for item in inner.events.iter() {
            let (k, v) = item?;
            if let Err(e) = decode::<Event>("event", &v) {
                problem(format!(
                    "event of customer {}: {e}",
                    keys::customer_from_bytes(&k)
                ));
            }
            let mut time_key = [0u8; 24];
            time_key[..8].copy_from_slice(&k[8..16]);
            time_key[8..16].copy_from_slice(&k[..8]);
            time_key[16..].copy_from_slice(&k[16..24]);
            if !inner.events_by_time.contains_key(time_key)? {
                problem(format!(
                    "an event of customer {} is missing from the time index",
                    keys::customer_from_bytes(&k)
                ));
            }
        }
        for item in inner.interactions.iter() {
            let (k, v) = item?;
            if let Err(e) = decode::<Interaction>("interaction", &v) {
                problem(format!(
                    "interaction of customer {}: {e}",
                    keys::customer_from_bytes(&k)
                ));
            }
            let mut time_key = [0u8; 24];
            time_key[..8].copy_from_slice(&k[8..16]);
            time_key[8..16].copy_from_slice(&k[..8]);
            time_key[16..].copy_from_slice(&k[16..24]);
            if !inner.interactions_by_time.contains_key(time_key)? {
                problem(format!(
                    "an interaction of customer {} is missing from the time index",
                    keys::customer_from_bytes(&k)
                ));
            }
        }
        let mut dangling = 0usize;
        for (index, primary) in [
            (&inner.events_by_time, &inner.events),
            (&inner.interactions_by_time, &inner.interactions),
        ] {
            for item in index.iter() {
                let (k, _) = item?;
                if !primary.contains_key(keys::time_key_to_customer_key(&k))? {
                    dangling += 1;
                }
            }
        }
        for item in inner.orders.iter() {
            let (order, key) = item?;
            if !inner.events.contains_key(&key)? {
                problem(format!(
                    "order {} points at a missing event",
                    String::from_utf8_lossy(&order)
                ));
            }
        }
        for item in inner.emails.iter() {
            let (email, id) = item?;
            let id = keys::customer_from_bytes(&id);
            let ok = self
                .customer(id)?
                .and_then(|c| c.email)
                .as_deref()
                .map(str::as_bytes)
                == Some(email.as_ref());
            if !ok {
                problem(format!("the email index entry for customer {id} is stale"));
            }
        }
        for item in inner.tickets.iter() {
            let (_, v) = item?;
            if let Err(e) = decode::<Ticket>("ticket", &v) {
                problem(format!("ticket: {e}"));
            }
        }
        if dangling > 0 {
            report.notes.push(format!(
                "{dangling} index entries point at records that were never written (an interrupted, unacknowledged write); they are skipped"
            ));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreOptions, keys};
    use crate::domain::{CustomerId, Event, EventKind};

    #[test]
    fn repair_puts_back_a_lost_time_index_entry_and_drops_dangling_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::at(dir.path().join("s"))).unwrap();
        let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        store
            .append_event(&Event {
                customer: CustomerId(7),
                at,
                kind: EventKind::Login,
            })
            .unwrap();
        // As if the process died between the record and its index entry, and another
        // write died after its index entry.
        let (k, _) = store.inner.events_by_time.iter().next().unwrap().unwrap();
        store.inner.events_by_time.remove(&k).unwrap();
        store
            .inner
            .events_by_time
            .insert(keys::by_time(CustomerId(8), at, 99), &[])
            .unwrap();
        assert_eq!(store.verify().unwrap().problems.len(), 1);
        let repaired = store.repair().unwrap();
        assert_eq!(repaired.index_entries_added, 1);
        assert_eq!(repaired.dangling_entries_removed, 1);
        assert!(store.verify().unwrap().problems.is_empty());
        assert_eq!(
            store.events_since(at).count(),
            1,
            "visible to time scans again"
        );
    }
}
