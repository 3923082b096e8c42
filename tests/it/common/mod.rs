//! Helpers shared by the integration tests: a store with known customers, an engine on a
//! fixed clock, and `check()`, which plays a conversation written as data.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crmbot::app;
use crmbot::clock::FixedClock;
use crmbot::config::{Settings, StaffMember};
use crmbot::domain::{
    Channel, Consent, Customer, CustomerId, Event, EventKind, Language, OrderItem, OrderStatus,
    Plan, StaffRole,
};
use crmbot::engine::{Address, Body, Engine, Inbound, Outcome, Sender};
use crmbot::store::{Store, StoreOptions};

/// The fixed "now" of the tests.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

/// The repository root (for `intents/` and `config/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real `crmbot` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_crmbot");

/// A `crmbot --store STORE` command run from the repository root (for intents/ and
/// config/), independent of the caller's CRMBOT_STORE and CRMBOT_MESSAGE_KEY.
pub fn crmbot(store: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.current_dir(repo())
        .env_remove("CRMBOT_STORE")
        .env_remove("CRMBOT_MESSAGE_KEY")
        .arg("--store")
        .arg(store);
    cmd
}

/// A temporary directory holding a store seeded by `crmbot demo --customers N` (at
/// `DIR/store`); the store lives as long as the returned directory.
pub fn demo_store(customers: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let seeded = crmbot(&store)
        .args(["demo", "--customers", &customers.to_string()])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    (dir, store)
}

pub fn settings(store: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.store.path = store.to_owned();
    settings.http.backup_root = store.with_file_name("backups");
    settings.intents_dir = repo().join("intents");
    settings.staff = vec![
        StaffMember {
            name: "alice".into(),
            role: StaffRole::Manager,
            telegram: Some(1001),
            discord: None,
        },
        StaffMember {
            name: "bob".into(),
            role: StaffRole::Agent,
            telegram: None,
            discord: Some(2002),
        },
    ];
    settings
}

fn customer(id: u64, name: &str, email: &str, plan: Plan) -> Customer {
    Customer {
        id: CustomerId(id),
        name: name.into(),
        email: Some(email.into()),
        language: Language::En,
        plan,
        created: now() - Duration::days(400),
        consent: Consent::default(),
        is_lead: false,
        erased: false,
        attributes: Default::default(),
    }
}

fn purchase(id: u64, order: &str, days_ago: i64, amount: f64, product: &str) -> Event {
    Event {
        customer: CustomerId(id),
        at: now() - Duration::days(days_ago),
        kind: EventKind::Purchase {
            order_id: order.into(),
            amount,
            items: vec![OrderItem {
                product: product.into(),
                quantity: 1,
                unit_price: amount,
            }],
            status: OrderStatus::Placed,
        },
    }
}

/// Customers of the scripted tests:
/// - 42 Olivia Hall, plus plan, orders A100 (old, delivered) and A101 (2 days ago, shipped);
/// - 43 Ben Smith, no plan, order B200;
/// - 44 Wendy Zhou, no orders.
pub fn seed_fixture(store: &Store) {
    store
        .put_customer(&customer(
            42,
            "Olivia Hall",
            "olivia@example.com",
            Plan::Plus,
        ))
        .unwrap();
    store
        .put_customer(&customer(43, "Ben Smith", "ben@example.com", Plan::None))
        .unwrap();
    store
        .put_customer(&customer(44, "Wendy Zhou", "wendy@example.com", Plan::None))
        .unwrap();
    let c42 = CustomerId(42);
    let at = |d: i64| now() - Duration::days(d);
    store
        .append_events(&[
            Event {
                customer: c42,
                at: at(400),
                kind: EventKind::Signup,
            },
            Event {
                customer: c42,
                at: at(400),
                kind: EventKind::SubscriptionStart { plan: Plan::Plus },
            },
            Event {
                customer: c42,
                at: at(6),
                kind: EventKind::Payment { amount: 19.0 },
            },
            purchase(42, "A100", 60, 34.0, "French press"),
            Event {
                customer: c42,
                at: at(57),
                kind: EventKind::OrderUpdated {
                    order_id: "A100".into(),
                    status: OrderStatus::Delivered,
                },
            },
            purchase(42, "A101", 2, 79.0, "Grinder"),
            Event {
                customer: c42,
                at: at(1),
                kind: EventKind::OrderUpdated {
                    order_id: "A101".into(),
                    status: OrderStatus::Shipped,
                },
            },
            purchase(43, "B200", 10, 14.0, "Espresso beans"),
        ])
        .unwrap();
    store.durable_blocking().unwrap();
}

/// Adds a customer with an active subscription on the plus plan and one delivered order.
pub fn add_subscriber(store: &Store, id: u64, name: &str) {
    store
        .put_customer(&customer(
            id,
            name,
            &format!("c{id}@example.com"),
            Plan::Plus,
        ))
        .unwrap();
    let c = CustomerId(id);
    let at = |d: i64| now() - Duration::days(d);
    store
        .append_events(&[
            Event {
                customer: c,
                at: at(300),
                kind: EventKind::Signup,
            },
            Event {
                customer: c,
                at: at(300),
                kind: EventKind::SubscriptionStart { plan: Plan::Plus },
            },
            purchase(id, &format!("S{id}"), 20, 29.0, "Milk frother"),
        ])
        .unwrap();
    store.durable_blocking().unwrap();
}

/// A temporary store, seeded with the fixture, and an engine on the fixed clock.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub store: Store,
    pub clock: Arc<FixedClock>,
}

impl Harness {
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store_path = dir.path().join("store");
        let store = Store::open(&StoreOptions::at(&store_path)).unwrap();
        seed_fixture(&store);
        let clock = Arc::new(FixedClock::new(now()));
        let engine = app::build_engine(
            Arc::new(settings(&store_path)),
            store.clone(),
            clock.clone(),
        )
        .unwrap();
        Harness {
            dir,
            engine,
            store,
            clock,
        }
    }

    pub async fn say(&self, who: Who, text: &str) -> Outcome {
        self.send(who, Body::Text(text.to_owned())).await
    }

    pub async fn send(&self, who: Who, body: Body) -> Outcome {
        let (channel, chat, sender) = who.parts();
        self.clock.advance(Duration::seconds(1));
        self.engine
            .handle(Inbound {
                channel,
                chat,
                sender,
                body,
                at: crmbot::clock::Clock::now(self.clock.as_ref()),
                origin: Default::default(),
            })
            .await
    }
}

/// Who speaks in a scripted conversation.
#[derive(Debug, Clone)]
pub enum Who {
    Customer(u64),
    Staff(&'static str),
    /// A platform user (resolved by the engine).
    ChatUser(Channel, &'static str),
}

impl Who {
    pub fn parts(&self) -> (Channel, String, Sender) {
        match self {
            Who::Customer(id) => (
                Channel::Console,
                format!("customer:{id}"),
                Sender::Customer(CustomerId(*id)),
            ),
            Who::Staff(name) => (
                Channel::Console,
                format!("staff:{name}"),
                Sender::Staff((*name).into()),
            ),
            Who::ChatUser(channel, user) => (
                *channel,
                format!("chat-{user}"),
                Sender::ChatUser {
                    user_id: (*user).into(),
                    display_name: format!("User {user}"),
                },
            ),
        }
    }

    pub fn address(&self) -> Address {
        let (channel, chat, _) = self.parts();
        Address { channel, chat }
    }
}

/// What a turn must produce.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Some reply to the speaker is exactly this text.
    Says(String),
    /// Some reply to the speaker contains this.
    Contains(&'static str),
    /// No reply to the speaker contains this.
    Lacks(&'static str),
    /// Some message to another address contains this.
    Relayed(Address, &'static str),
}

/// One line of a scripted conversation.
pub struct Turn {
    pub who: Who,
    pub says: &'static str,
    pub expect: Vec<Expect>,
}

pub fn turn(who: Who, says: &'static str, expect: Vec<Expect>) -> Turn {
    Turn { who, says, expect }
}

/// Plays the conversation and checks every expectation, naming the turn that failed.
pub async fn check(h: &Harness, script: Vec<Turn>) {
    for (n, t) in script.into_iter().enumerate() {
        let outcome = h.say(t.who.clone(), t.says).await;
        let me = t.who.address();
        let mine: Vec<&str> = outcome.to(&me).map(|m| m.text.as_str()).collect();
        for e in &t.expect {
            let ok = match e {
                Expect::Says(text) => mine.iter().any(|m| m == text),
                Expect::Contains(part) => mine.iter().any(|m| m.contains(part)),
                Expect::Lacks(part) => !mine.iter().any(|m| m.contains(part)),
                Expect::Relayed(to, part) => outcome.to(to).any(|m| m.text.contains(part)),
            };
            assert!(
                ok,
                "turn {n} ({:?} says {:?}): expected {e:?}, got {:#?}",
                t.who, t.says, outcome.messages
            );
        }
    }
}
