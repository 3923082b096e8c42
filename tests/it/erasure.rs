//! Erasure that erases, through the real engine and the real binary: a customer who chatted,
//! linked a Telegram chat and opened a ticket is erased; no file of the store holds their
//! name, email or words afterwards; a re-import of their row is refused; a restore of an
//! older backup re-applies the erasure.

use std::path::Path;

use crmbot::domain::Channel;
use crmbot::engine::Body;

use crate::common::{Harness, Who};

const NAME: &str = "Olivia Hall";
const EMAIL: &str = "olivia@example.com";
const PHRASE: &str = "the zebra-umbrella parcel never arrived at my door";

/// How often `needle` occurs in the bytes of every file under `dir`.
fn occurrences(dir: &Path, needle: &str) -> usize {
    let mut count = 0;
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        count += bytes
            .windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count();
    }
    count
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn run(store: &Path, args: &[&str]) -> std::process::Output {
    crate::common::crmbot(store).args(args).output().unwrap()
}

/// Customer 42 links a Telegram chat by email code, writes from it and from the console,
/// and asks for a person.
async fn customer_42_chats_links_and_opens_a_ticket(h: &Harness) {
    let telegram = Who::ChatUser(Channel::Telegram, "5550");
    h.say(telegram.clone(), &format!("my email is {EMAIL}"))
        .await;
    let code = h
        .store
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|i| i.chat == EMAIL && i.kind == "link_code")
        .find_map(|i| {
            i.text
                .split_whitespace()
                .find(|w| w.len() >= 6 && w[..6].chars().all(|c| c.is_ascii_digit()))
                .map(|w| w[..6].to_owned())
        })
        .expect("a link code was sent");
    let linked = h.say(telegram.clone(), &code).await;
    assert!(
        linked.messages.iter().any(|m| m.text.contains("linked")),
        "{linked:?}"
    );
    h.say(telegram, PHRASE).await;
    h.say(Who::Customer(42), "I want to talk to a person").await;
    h.send(Who::Staff("alice"), Body::Text("/claim 1".into()))
        .await;
}

#[tokio::test]
async fn an_erased_customer_leaves_no_trace_on_disk_is_not_reimported_and_stays_erased_after_a_restore()
 {
    let h = Harness::new();
    customer_42_chats_links_and_opens_a_ticket(&h).await;
    let dir = h.dir.path().to_owned();
    let store = dir.join("store");
    let Harness {
        dir: _keep,
        engine,
        store: opened,
        ..
    } = h;
    opened.durable_blocking().unwrap();
    drop(engine);
    drop(opened);

    let backup = run(&store, &["backup", dir.join("before").to_str().unwrap()]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    for needle in [NAME, EMAIL, PHRASE] {
        assert!(
            occurrences(&store, needle) > 0,
            "{needle} is on disk before"
        );
    }

    let erased = run(&store, &["erase", "--customer", "42", "--yes"]);
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    let said = String::from_utf8_lossy(&erased.stdout);
    assert!(said.contains("1 linked leads erased"), "{said}");
    for needle in [NAME, EMAIL, PHRASE, "zebra-umbrella"] {
        assert_eq!(occurrences(&store, needle), 0, "{needle} after erasure");
    }

    // The shop's usual sync brings the row again: refused, and said why.
    let csv = dir.join("customers.csv");
    std::fs::write(&csv, format!("id,name,email\n42,{NAME},{EMAIL}\n")).unwrap();
    let import = run(&store, &["import", "customers", csv.to_str().unwrap()]);
    let told = String::from_utf8_lossy(&import.stdout).to_string()
        + &String::from_utf8_lossy(&import.stderr);
    assert!(told.contains("customer 42 was erased"), "{told}");
    assert_eq!(occurrences(&store, NAME), 0);
    // Under another id, the email is still theirs: refused too.
    std::fs::write(&csv, format!("id,name,email\n4242,{NAME},{EMAIL}\n")).unwrap();
    let import = run(&store, &["import", "customers", csv.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&import.stdout).contains("was erased"));

    // The store is lost; the older backup is restored in its place: the ledger beside the
    // store erases them again.
    std::fs::rename(&store, dir.join("lost")).unwrap();
    let restored = run(&store, &["restore", dir.join("before").to_str().unwrap()]);
    let said = String::from_utf8_lossy(&restored.stdout);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(said.contains("Re-applied 1 erasures"), "{said}");
    for needle in [NAME, EMAIL, PHRASE] {
        assert_eq!(occurrences(&store, needle), 0, "{needle} after the restore");
    }
    let tickets = run(&store, &["tickets", "--json"]);
    let tickets: serde_json::Value = serde_json::from_slice(&tickets.stdout).unwrap();
    assert_eq!(
        tickets[0]["state"], "resolved",
        "their ticket is closed: {tickets}"
    );
    let verify = run(&store, &["verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("No problems found"));
}

#[test]
fn erasing_an_unknown_customer_or_without_confirmation_changes_nothing() {
    let (dir, store) = crate::common::demo_store(60);
    let unknown = run(&store, &["erase", "--customer", "999999", "--yes"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no customer 999999"));
    let unconfirmed = run(&store, &["erase", "--customer", "7"]);
    assert!(!unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("pass --yes"));
    let customer = run(&store, &["customer", "7", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&customer.stdout).unwrap();
    assert!(!json["customer"]["name"].as_str().unwrap().is_empty());
    assert!(!crmbot::store::erasure::ledger_path(&store).exists());
    drop(dir);
}
