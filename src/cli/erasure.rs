//! `crmbot erase` and `crmbot restore`: erasure that reaches the disk (the store is
//! rewritten afterwards) and is remembered in the erasure ledger beside the store, which a
//! restore of an older backup re-applies.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crmbot::app;
use crmbot::clock::Clock;
use crmbot::config::Settings;
use crmbot::domain::CustomerId;
use crmbot::store::Store;
use crmbot::store::erasure::{self, LedgerEntry};

pub fn erase(settings: Settings, clock: Arc<dyn Clock>, id: u64, yes: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    if store.customer(CustomerId(id))?.is_none() {
        bail!(
            "there is no customer {id} in {}",
            settings.store.path.display()
        );
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!("erasing customer {id} needs confirmation: pass --yes");
        }
        eprint!(
            "Erase the personal data and messages of customer {id}? This cannot be undone. Type the id to confirm: "
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != id.to_string() {
            bail!("not confirmed; nothing was erased");
        }
    }
    let now = clock.now();
    let report = store
        .erase_customer(CustomerId(id), "operator", now)?
        .context("the customer disappeared while erasing")?;
    let ledger = erasure::ledger_path(&settings.store.path);
    erasure::append_ledger(
        &ledger,
        &LedgerEntry {
            customer: CustomerId(id),
            leads: report.leads.clone(),
            tombstones: report.tombstones.clone(),
            at: now,
        },
    )?;
    drop(store);
    let copied = erasure::rewrite(&settings.store.path)?;
    outln!(
        "Erased customer {id}: personal data removed, {} message texts removed, {} chat identities unlinked, {} linked leads erased, {} other records cleaned. The store was rewritten ({copied} records) so no old copy stays on disk; the erasure is in {} and re-applied by `crmbot restore`.",
        report.message_texts_removed,
        report.identities_unlinked,
        report.leads.len(),
        report.records_swept,
        ledger.display()
    );
    Ok(())
}

pub fn restore(
    settings: Settings,
    clock: Arc<dyn Clock>,
    dir: PathBuf,
    erasures: Option<PathBuf>,
) -> Result<()> {
    let options = app::store_options(&settings)?;
    let (store, report) = Store::restore(&dir, &options)?;
    outln!(
        "Restored {} records in {} trees into {}.",
        report.records,
        report.trees,
        settings.store.path.display()
    );
    let ledger = erasures.unwrap_or_else(|| erasure::ledger_path(&settings.store.path));
    let entries = erasure::read_ledger(&ledger)?;
    if entries.is_empty() {
        return Ok(());
    }
    let now = clock.now();
    for entry in &entries {
        for person in std::iter::once(entry.customer).chain(entry.leads.iter().copied()) {
            store.erase_customer(person, "restore", now)?;
        }
        store.put_tombstones(&entry.tombstones)?;
    }
    store.durable_blocking()?;
    drop(store);
    erasure::rewrite(&settings.store.path)?;
    outln!(
        "Re-applied {} erasures from {}; the store was rewritten.",
        entries.len(),
        ledger.display()
    );
    Ok(())
}
