//! Routing through the engine: escalation by anger, by request and by value at risk; the
//! hand-off round trip with CSAT; offers with a holdout group and acceptance.

use crmbot::domain::{CustomerId, EventKind, Language, SurveyKind, TicketState};
use crmbot::engine::Address;
use crmbot::engine::text::Reply;
use crmbot::models::lifecycle::Stage;
use crmbot::models::pipeline::CustomerScore;
use crmbot::routing::offers::in_holdout;

use crate::common::{Expect::*, Harness, Who, add_subscriber, check, turn};

fn en(reply: Reply) -> String {
    reply.render(Language::En)
}

fn staff_room() -> Address {
    Address {
        channel: crmbot::domain::Channel::Console,
        chat: "staff".into(),
    }
}

#[tokio::test]
async fn an_angry_message_opens_an_urgent_ticket() {
    let h = Harness::new();
    check(
        &h,
        vec![turn(
            Who::Customer(44),
            "this is terrible and awful, the worst service ever, I hate it",
            vec![
                Says(en(Reply::Sorry)),
                Contains("ticket #1"),
                Relayed(staff_room(), "angry message"),
            ],
        )],
    )
    .await;
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(ticket.priority, 2);
    assert!(
        ticket
            .reasons
            .iter()
            .any(|r| r.starts_with("angry message")),
        "{:?}",
        ticket.reasons
    );
    assert_eq!(ticket.sla_due - ticket.opened, chrono::Duration::hours(4));
}

#[tokio::test]
async fn asking_for_a_person_opens_a_normal_ticket_and_legal_threats_an_urgent_one() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(43),
                "I want to talk to a human",
                vec![Contains("ticket #1"), Contains("within 8 hours")],
            ),
            turn(
                Who::Customer(44),
                "I will talk to my lawyer about this",
                vec![Contains("ticket #2"), Contains("within 1 hour.")],
            ),
        ],
    )
    .await;
    assert_eq!(h.store.ticket(1).unwrap().unwrap().priority, 3);
    assert_eq!(h.store.ticket(2).unwrap().unwrap().priority, 1);
}

#[tokio::test]
async fn a_valuable_customer_at_risk_reaches_a_person_sooner() {
    let h = Harness::new();
    let vip = CustomerScore {
        customer: CustomerId(42),
        stage: Stage::AtRisk,
        stage_reason: "activity fell".into(),
        segment: Some("champions".into()),
        churn_probability: Some(0.8),
        churn_alert: true,
        reasons: vec![],
        clv: Some(1200.0),
        p_alive: Some(0.5),
        expected_loss: 960.0,
        suggested_action: "call them".into(),
    };
    h.store.put_score(CustomerId(42), &vip).unwrap();
    let mild = "the delivery is late again and the box was broken";
    let ordinary = h.say(Who::Customer(43), mild).await;
    assert!(
        !ordinary
            .messages
            .iter()
            .any(|m| m.text.contains("ticket #")),
        "{ordinary:#?}"
    );
    let valuable = h.say(Who::Customer(42), mild).await;
    assert!(
        valuable
            .messages
            .iter()
            .any(|m| m.text.contains("ticket #1")),
        "{valuable:#?}"
    );
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert!(
        ticket
            .reasons
            .iter()
            .any(|r| r == "valuable customer at risk"),
        "{:?}",
        ticket.reasons
    );
    assert!(ticket.priority <= 2);
}

#[tokio::test]
async fn claim_reply_resolve_then_csat_once() {
    let h = Harness::new();
    let customer = Who::Customer(42).address();
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "I want to talk to a human",
                vec![Contains("ticket #1")],
            ),
            turn(
                Who::Customer(42),
                "are you there?",
                vec![Says(en(Reply::WithHuman { ticket: 1 }))],
            ),
            turn(
                Who::Staff("alice"),
                "/claim 1",
                vec![Contains("You hold ticket #1")],
            ),
            turn(
                Who::Staff("alice"),
                "/reply 1 Your refund is on its way",
                vec![Relayed(customer.clone(), "Your refund is on its way")],
            ),
            turn(
                Who::Staff("alice"),
                "/resolve 1 refunded",
                vec![Relayed(
                    customer.clone(),
                    &*Box::leak(en(Reply::AskCsat { ticket: Some(1) }).into_boxed_str()),
                )],
            ),
            turn(Who::Customer(42), "4", vec![Says(en(Reply::AskComment))]),
            turn(
                Who::Customer(42),
                "they were quick and kind, thank you",
                vec![Says(en(Reply::ThanksForFeedback))],
            ),
            turn(
                Who::Customer(42),
                "I want to talk to a human",
                vec![Contains("ticket #2")],
            ),
            turn(
                Who::Staff("alice"),
                "/resolve 2",
                vec![Contains("Ticket #2 is resolved.")],
            ),
        ],
    )
    .await;
    // Not asked again within the cool-down.
    let last = h.say(Who::Staff("alice"), "/tickets").await;
    assert!(last.messages[0].text.contains("No open tickets"));
    let asked = h
        .store
        .interactions_of(CustomerId(42))
        .unwrap()
        .iter()
        .filter(|i| i.intent.as_deref() == Some("ask_csat"))
        .count();
    assert_eq!(asked, 1);
    let events = h.store.events_of(CustomerId(42)).unwrap();
    let scores: Vec<u8> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Survey {
                survey: SurveyKind::Csat,
                score,
            } => Some(score),
            _ => None,
        })
        .collect();
    assert_eq!(scores, [4]);
    let comment = h
        .store
        .interactions_of(CustomerId(42))
        .unwrap()
        .into_iter()
        .find(|i| i.intent.as_deref() == Some("survey_comment"))
        .unwrap();
    assert!(comment.sentiment.is_some());
    let t = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(t.state, TicketState::Resolved);
    assert_eq!(t.resolution_note.as_deref(), Some("refunded"));
    assert!(t.claimed_at.is_some() && t.resolved_at.is_some());
}

#[tokio::test]
async fn retention_offer_is_shown_unless_held_out_and_can_be_accepted() {
    let h = Harness::new();
    // 42 is treated, 52 is held out for "stay20" (a stable hash of customer and offer).
    assert!(!in_holdout(CustomerId(42), "stay20", 20));
    assert!(in_holdout(CustomerId(52), "stay20", 20));
    add_subscriber(&h.store, 52, "Hana Held");
    let offer = crmbot::config::Settings::default()
        .offers
        .by_id("stay20")
        .unwrap()
        .text_en
        .clone();
    check(
        &h,
        vec![
            turn(
                Who::Customer(52),
                "I want to cancel my subscription",
                vec![Says(en(Reply::AskCancelConfirm)), Lacks("20% off")],
            ),
            turn(
                Who::Customer(42),
                "I want to cancel my subscription",
                vec![Says(offer)],
            ),
            turn(
                Who::Customer(42),
                "yes",
                vec![
                    Contains("Your code is STAY20-"),
                    Contains("valid for 30 days"),
                ],
            ),
        ],
    )
    .await;
    let held: Vec<String> = h
        .store
        .events_of(CustomerId(52))
        .unwrap()
        .iter()
        .map(|e| e.kind.name().to_owned())
        .collect();
    assert!(
        held.contains(&"offer_held_out".to_owned()) && !held.contains(&"offer_shown".to_owned())
    );
    let treated: Vec<String> = h
        .store
        .events_of(CustomerId(42))
        .unwrap()
        .iter()
        .map(|e| e.kind.name().to_owned())
        .collect();
    assert!(
        treated.contains(&"offer_shown".to_owned())
            && treated.contains(&"offer_accepted".to_owned())
    );
    assert!(
        !treated.contains(&"subscription_cancel".to_owned()),
        "accepting keeps the subscription"
    );
    assert_eq!(h.store.offer_acceptances("stay20").unwrap(), 1);
}

#[tokio::test]
async fn customers_cannot_use_staff_commands() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "I want to talk to a human",
                vec![Contains("ticket #1")],
            ),
            turn(
                Who::Customer(43),
                "/claim 1",
                vec![Says(en(Reply::StaffOnly))],
            ),
            turn(
                Who::Customer(43),
                "/reply 1 hello",
                vec![Says(en(Reply::StaffOnly))],
            ),
        ],
    )
    .await;
    assert_eq!(h.store.ticket(1).unwrap().unwrap().state, TicketState::Open);
    let audit = h
        .store
        .audit_since(crate::common::now() - chrono::Duration::days(1))
        .unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "access.denied").count(),
        2
    );
}

#[tokio::test]
async fn offers_and_csat_come_with_buttons_and_a_press_answers_in_the_conversations_language() {
    let h = Harness::new();
    let offer = h.say(Who::Customer(42), "我想取消订阅").await;
    let m = &offer.messages[0];
    assert!(m.text.contains("八折"), "{m:?}");
    let labels: Vec<&str> = m.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["是", "否"]);
    let pressed = h
        .send(
            Who::Customer(42),
            crmbot::engine::Body::Button(m.buttons[0].data.clone()),
        )
        .await;
    assert!(
        pressed.messages[0]
            .text
            .starts_with("好的！您的优惠码是 STAY20-"),
        "{pressed:?}"
    );

    h.say(Who::Customer(43), "I want to talk to a human").await;
    let resolved = h.say(Who::Staff("alice"), "/resolve 1").await;
    let csat = resolved
        .messages
        .iter()
        .find(|m| m.to == Who::Customer(43).address())
        .unwrap();
    let scores: Vec<&str> = csat.buttons.iter().map(|b| b.data.as_str()).collect();
    assert_eq!(scores, ["1", "2", "3", "4", "5"]);
}
