//! Actions in chat: proposed from the customer's own order, confirmed with buttons or
//! words, carried out once through the backend (built in, or the shop's signed webhook on a
//! loopback fake), recorded as events; a failed backend says so and opens a ticket.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use crmbot::actions::{ActionBackend, WebhookBackend};
use crmbot::app;
use crmbot::clock::FixedClock;
use crmbot::domain::{ActionKind, CustomerId, Event, EventKind, Language, OrderStatus};
use crmbot::engine::text::Reply;
use crmbot::engine::{Body, Outcome};
use crmbot::store::{Store, StoreOptions};

use crate::common::{self, Harness, Who, add_subscriber, now, seed_fixture};
use crate::fakes::shop::FakeShop;

const SECRET: &[u8] = b"shared-secret-for-tests";

/// Customer 50: a subscriber whose order S50 (20 days ago) was delivered 18 days ago.
fn with_delivered_order(h: &Harness) {
    add_subscriber(&h.store, 50, "Sam Reed");
    deliver(&h.store, 50, "S50", 18);
}

fn deliver(store: &Store, id: u64, order: &str, days_ago: i64) {
    store
        .append_event(&Event {
            customer: CustomerId(id),
            at: now() - Duration::days(days_ago),
            kind: EventKind::OrderUpdated {
                order_id: order.into(),
                status: OrderStatus::Delivered,
            },
        })
        .unwrap();
    store.durable_blocking().unwrap();
}

fn actions_of(store: &Store, id: u64) -> Vec<(ActionKind, Option<String>, Option<String>)> {
    store
        .events_of(CustomerId(id))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::ActionTaken {
                action,
                order_id,
                reference,
                ..
            } => Some((action, order_id, reference)),
            _ => None,
        })
        .collect()
}

fn first_text(outcome: &Outcome) -> &str {
    &outcome.messages[0].text
}

fn texts(outcome: &Outcome) -> Vec<&str> {
    outcome.messages.iter().map(|m| m.text.as_str()).collect()
}

#[tokio::test]
async fn a_return_within_the_window_is_started_with_a_code_and_recorded() {
    let h = Harness::new();
    with_delivered_order(&h);
    let asked = h
        .say(Who::Customer(50), "can I still return my last order?")
        .await;
    let offer = &asked.messages[0];
    assert!(
        offer.text.contains("S50") && offer.text.contains("within the return window"),
        "{asked:?}"
    );
    assert_eq!(offer.buttons.len(), 2);
    assert!(
        actions_of(&h.store, 50).is_empty(),
        "nothing before the yes"
    );

    let done = h.say(Who::Customer(50), "yes please start it").await;
    let recorded = actions_of(&h.store, 50);
    assert_eq!(recorded.len(), 1, "{done:?}");
    let (action, order, code) = recorded[0].clone();
    assert_eq!(
        (action, order.as_deref()),
        (ActionKind::StartReturn, Some("S50"))
    );
    let code = code.expect("a return code");
    assert_eq!(
        first_text(&done),
        Reply::ActionDone {
            action,
            order_id: order,
            reference: Some(code.clone()),
        }
        .render(Language::En)
    );

    // Asking again names the started return instead of starting a second one.
    let again = h
        .say(Who::Customer(50), "can I still return my last order?")
        .await;
    assert!(first_text(&again).contains(&code), "{again:?}");
    assert_eq!(actions_of(&h.store, 50).len(), 1);
}

#[tokio::test]
async fn the_same_in_chinese() {
    let h = Harness::new();
    with_delivered_order(&h);
    let asked = h.say(Who::Customer(50), "我上一个订单还能退吗？").await;
    assert!(
        first_text(&asked).contains("S50") && first_text(&asked).contains("退货期内"),
        "{asked:?}"
    );
    let done = h.say(Who::Customer(50), "好的，请帮我办理").await;
    assert!(first_text(&done).contains("退货码"), "{done:?}");
    assert_eq!(actions_of(&h.store, 50).len(), 1);
}

#[tokio::test]
async fn outside_the_window_or_in_transit_nothing_is_started() {
    let h = Harness::new();
    // 42's latest order A101 has shipped but not arrived; A100 arrived 57 days ago.
    let transit = h
        .say(Who::Customer(42), "can I still return my last order?")
        .await;
    assert!(first_text(&transit).contains("A101") && first_text(&transit).contains("on its way"));
    let late = h
        .say(Who::Customer(42), "I want to return order A100")
        .await;
    assert!(
        first_text(&late).contains("return window ended"),
        "{late:?}"
    );
    h.say(Who::Customer(42), "no").await;
    assert!(actions_of(&h.store, 42).is_empty());
}

#[tokio::test]
async fn cancelling_an_order_is_not_cancelling_the_subscription() {
    let h = Harness::new();
    add_subscriber(&h.store, 51, "Ann Lee"); // order S51 placed, not shipped
    let asked = h.say(Who::Customer(51), "please cancel my order").await;
    assert!(
        first_text(&asked).contains("S51") && first_text(&asked).contains("not shipped"),
        "{asked:?}"
    );
    let pressed = h
        .send(
            Who::Customer(51),
            Body::Button(asked.messages[0].buttons[0].data.clone()),
        )
        .await;
    assert!(
        first_text(&pressed).contains("S51 is cancelled"),
        "{pressed:?}"
    );
    let events = h.store.events_of(CustomerId(51)).unwrap();
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::OrderUpdated { order_id, status: OrderStatus::Cancelled } if order_id == "S51"
    )));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::SubscriptionCancel { .. })),
        "the subscription stays"
    );
    let billing = h
        .say(Who::Customer(51), "what am I paying each month?")
        .await;
    assert!(first_text(&billing).contains("plus plan"), "{billing:?}");
}

#[tokio::test]
async fn a_declined_action_changes_nothing() {
    let h = Harness::new();
    with_delivered_order(&h);
    let asked = h
        .say(Who::Customer(50), "can I still return my last order?")
        .await;
    let no = h
        .send(
            Who::Customer(50),
            Body::Button(asked.messages[0].buttons[1].data.clone()),
        )
        .await;
    assert_eq!(first_text(&no), Reply::ActionDeclined.render(Language::En));
    assert!(actions_of(&h.store, 50).is_empty());
}

/// A harness whose actions go to `backend`.
fn harness_with(backend: Arc<dyn ActionBackend>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::open(&StoreOptions::at(&path)).unwrap();
    seed_fixture(&store);
    let clock = Arc::new(FixedClock::new(now()));
    let engine = app::build_engine_with_actions(
        Arc::new(common::settings(&path)),
        store.clone(),
        clock.clone(),
        Some(backend),
    )
    .unwrap();
    Harness {
        dir,
        engine,
        store,
        clock,
    }
}

#[tokio::test]
async fn the_shop_gets_one_signed_request_when_the_button_is_pressed_twice() {
    let shop = FakeShop::start(SECRET, StdDuration::ZERO).await;
    let backend = WebhookBackend::new(shop.url.clone(), SECRET.to_vec(), 2000).unwrap();
    let h = harness_with(Arc::new(backend));
    with_delivered_order(&h);
    let asked = h
        .say(Who::Customer(50), "can I still return my last order?")
        .await;
    let yes = asked.messages[0].buttons[0].data.clone();
    let first = h.send(Who::Customer(50), Body::Button(yes.clone())).await;
    let second = h.send(Who::Customer(50), Body::Button(yes)).await;

    let requests = shop.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].signature_ok);
    assert_eq!(requests[0].body["action"], "start_return");
    assert_eq!(requests[0].body["order_id"], "S50");
    assert_eq!(requests[0].body["customer"], 50);
    assert_eq!(shop.carried_out(), 1);
    assert!(first_text(&first).contains("SHOP-0001"), "{first:?}");
    assert_eq!(
        first_text(&second),
        Reply::ActionAlreadyDone {
            action: ActionKind::StartReturn,
            order_id: Some("S50".into()),
            reference: Some("SHOP-0001".into()),
        }
        .render(Language::En)
    );
    assert_eq!(actions_of(&h.store, 50).len(), 1);
}

#[tokio::test]
async fn a_shop_timeout_tells_the_customer_opens_a_ticket_and_records_nothing() {
    let shop = FakeShop::start(SECRET, StdDuration::from_secs(3)).await;
    let backend = WebhookBackend::new(shop.url.clone(), SECRET.to_vec(), 200).unwrap();
    let h = harness_with(Arc::new(backend));
    with_delivered_order(&h);
    let asked = h
        .say(Who::Customer(50), "can I still return my last order?")
        .await;
    let pressed = h
        .send(
            Who::Customer(50),
            Body::Button(asked.messages[0].buttons[0].data.clone()),
        )
        .await;
    let said = texts(&pressed);
    assert_eq!(
        said[0],
        Reply::ActionFailed {
            action: ActionKind::StartReturn
        }
        .render(Language::En),
        "{said:?}"
    );
    assert!(said[1].contains("ticket #1"), "{said:?}");
    let ticket = h.store.ticket(1).unwrap().expect("a ticket");
    assert!(
        ticket.reasons[0].contains("start return failed"),
        "{ticket:?}"
    );
    assert!(actions_of(&h.store, 50).is_empty(), "nothing half-done");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_shop_and_nothing_is_recorded() {
    let shop = FakeShop::start(SECRET, StdDuration::ZERO).await;
    let backend = WebhookBackend::new(shop.url.clone(), b"not-the-secret".to_vec(), 2000).unwrap();
    let h = harness_with(Arc::new(backend));
    with_delivered_order(&h);
    h.say(Who::Customer(50), "can I still return my last order?")
        .await;
    let yes = h.say(Who::Customer(50), "yes").await;
    assert!(
        texts(&yes).iter().any(|t| t.contains("ticket #1")),
        "{yes:?}"
    );
    assert_eq!(shop.carried_out(), 0);
    assert!(actions_of(&h.store, 50).is_empty());
}

/// The README's tour, through the real binary on a demo store: customer 42 asks about
/// returns, learns their latest order is within the window, and a "yes" that goes on
/// starts the return with a code, recorded as an event. In English and in Chinese.
#[test]
fn the_return_tour_in_both_languages_starts_a_return_with_a_code() {
    for (lines, window, started) in [
        (
            "what is your return policy?\ncan I still return my last order?\nyes please start it\n",
            "within the return window",
            "Your return code is R-",
        ),
        (
            "你们的退货政策是什么？\n我最近的订单还能退吗？\n好的，请帮我退货\n",
            "仍在退货期内",
            "退货码",
        ),
    ] {
        let (_dir, store) = common::demo_store(60);
        let mut child = common::crmbot(&store)
            .args(["chat", "--as", "customer:42"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), lines.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("30"), "the article names the window: {said}");
        assert!(said.contains("A42"), "their latest order is named: {said}");
        assert!(said.contains(window), "{said}");
        assert!(said.contains(started), "{said}");
        let customer = common::crmbot(&store)
            .args(["customer", "42", "--json"])
            .output()
            .unwrap();
        let customer: serde_json::Value = serde_json::from_slice(&customer.stdout).unwrap();
        let returns: Vec<_> = customer["recent_events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "action_taken" && e["action"] == "start_return")
            .collect();
        assert_eq!(returns.len(), 1, "one return recorded: {returns:?}");
    }
}
