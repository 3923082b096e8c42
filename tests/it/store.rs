//! The store keeps what it acknowledged, refuses what it cannot read, and scans in order.

use chrono::Duration;
use crmbot::domain::{Channel, CustomerId, Direction, Interaction};
use crmbot::store::{Store, StoreError, StoreOptions};

use crate::common::{now, seed_fixture};

fn interaction(customer: u64, minutes: i64, text: &str) -> Interaction {
    Interaction {
        customer: CustomerId(customer),
        channel: Channel::Console,
        chat: format!("customer:{customer}"),
        direction: Direction::Inbound,
        at: now() + Duration::minutes(minutes),
        text: Some(text.into()),
        intent: None,
        confidence: None,
        sentiment: Some(0.0),
        ticket: None,
    }
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::at(dir.path().join("s"));
    {
        let store = Store::open(&options).unwrap();
        seed_fixture(&store);
        store.log_interaction(&interaction(42, 1, "hello")).unwrap();
        store.durable_blocking().unwrap();
    }
    let store = Store::open(&options).unwrap();
    assert_eq!(
        store.customer(CustomerId(42)).unwrap().unwrap().name,
        "Olivia Hall"
    );
    assert_eq!(
        store.interactions_of(CustomerId(42)).unwrap()[0]
            .text
            .as_deref(),
        Some("hello")
    );
    assert!(store.order("A101").unwrap().is_some());
    assert_eq!(
        store
            .customer_by_email("OLIVIA@example.com")
            .unwrap()
            .unwrap()
            .id,
        CustomerId(42)
    );
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::at(dir.path().join("s"));
    Store::open(&options)
        .unwrap()
        .force_schema_version(99)
        .unwrap();
    let err = Store::open(&options).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade crmbot"));
}

#[test]
fn a_second_open_of_the_same_store_is_refused_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::at(dir.path().join("s"));
    let _first = Store::open(&options).unwrap();
    let err = Store::open(&options).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("in use by another crmbot process"),
        "{message}"
    );
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
}

#[test]
fn time_range_scans_return_everyone_since_t_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreOptions::at(dir.path().join("s"))).unwrap();
    for (c, m) in [(2, 30), (1, 10), (3, 20), (1, 40), (2, -5)] {
        store
            .log_interaction(&interaction(c, m, &format!("{c}@{m}")))
            .unwrap();
    }
    let since: Vec<String> = store
        .interactions_since(now())
        .map(|i| i.unwrap().text.unwrap())
        .collect();
    assert_eq!(since, ["1@10", "3@20", "2@30", "1@40"]);
    let of_1: Vec<String> = store
        .interactions_of(CustomerId(1))
        .unwrap()
        .into_iter()
        .map(|i| i.text.unwrap())
        .collect();
    assert_eq!(of_1, ["1@10", "1@40"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_flushes_and_all_become_durable() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::at(dir.path().join("s"));
    let store = Store::open(&options).unwrap();
    let mut tasks = Vec::new();
    for c in 0..32u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for m in 0..20 {
                store.log_interaction(&interaction(c, m, "x")).unwrap();
                store.durable().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(store);
    let store = Store::open(&options).unwrap();
    assert_eq!(store.interaction_count(), 32 * 20);
}
