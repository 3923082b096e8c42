//! Scripted conversations through the engine alone: what customers and staff see.

use crmbot::domain::{CustomerId, Direction, Language, TicketState};
use crmbot::engine::Body;
use crmbot::engine::text::Reply;

use crate::common::{Expect::*, Harness, Who, check, turn};

fn en(reply: Reply) -> String {
    reply.render(Language::En)
}

#[tokio::test]
async fn order_status_names_the_customers_latest_real_order() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "hi",
                vec![Says(en(Reply::Greeting {
                    name: "Olivia".into(),
                }))],
            ),
            turn(
                Who::Customer(42),
                "where is my order?",
                vec![Contains("A101"), Contains("shipped"), Lacks("A100")],
            ),
            turn(
                Who::Customer(42),
                "what about order A100?",
                vec![Contains("A100"), Contains("delivered")],
            ),
            turn(
                Who::Customer(44),
                "where is my order?",
                vec![Says(en(Reply::NoOrders))],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn another_customers_order_or_account_reveals_nothing() {
    let h = Harness::new();
    // B200 belongs to customer 43; Z999 does not exist. Both get the same answer.
    let theirs = h.say(Who::Customer(42), "where is order B200?").await;
    let missing = h.say(Who::Customer(42), "where is order Z999?").await;
    let text = |o: &crmbot::engine::Outcome| o.messages[0].text.clone();
    assert_eq!(
        text(&theirs),
        en(Reply::OrderNotFound {
            order_id: "B200".into()
        })
    );
    assert_eq!(
        text(&missing),
        en(Reply::OrderNotFound {
            order_id: "Z999".into()
        })
    );
    assert!(!text(&theirs).contains("Espresso"));
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "show customer 43",
                vec![Says(en(Reply::NotYours)), Lacks("Ben")],
            ),
            turn(
                Who::Customer(42),
                "/customer 43",
                vec![Says(en(Reply::StaffOnly)), Lacks("Ben")],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_message_in_and_out_is_logged_with_intent_and_sentiment() {
    let h = Harness::new();
    h.say(Who::Customer(42), "hi").await;
    h.say(Who::Customer(42), "this is terrible, nothing works")
        .await;
    let log = h.store.interactions_of(CustomerId(42)).unwrap();
    let inbound: Vec<_> = log
        .iter()
        .filter(|i| i.direction == Direction::Inbound)
        .collect();
    assert_eq!(inbound.len(), 2);
    assert!(
        log.iter()
            .filter(|i| i.direction == Direction::Outbound)
            .count()
            >= 2
    );
    assert!(
        inbound
            .iter()
            .all(|i| i.intent.is_some() && i.confidence.is_some())
    );
    let angry = inbound[1];
    assert_eq!(
        angry.text.as_deref(),
        Some("this is terrible, nothing works")
    );
    assert!(angry.sentiment.unwrap() < 0.0);
    assert!((-1.0..=1.0).contains(&angry.sentiment.unwrap()));
}

#[tokio::test]
async fn billing_and_cancellation_with_a_retention_offer_first() {
    let h = Harness::new();
    let settings = crmbot::config::Settings::default();
    let offer = settings.offers.by_id("stay20").unwrap().text_en.clone();
    // Customer 42 is not in the holdout group of "stay20" (see the routing tests).
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "what is on my bill?",
                vec![Contains("plus plan"), Contains("$19.00")],
            ),
            turn(
                Who::Customer(42),
                "I want to cancel my subscription",
                vec![Says(offer)],
            ),
            turn(
                Who::Customer(42),
                "no",
                vec![
                    Says(en(Reply::OfferDeclined)),
                    Says(en(Reply::AskCancelConfirm)),
                ],
            ),
            turn(
                Who::Customer(42),
                "no",
                vec![Says(en(Reply::KeepsSubscription))],
            ),
            // The offer is made once per period: the second time the bot asks straight away.
            turn(
                Who::Customer(42),
                "please cancel my subscription",
                vec![Says(en(Reply::AskCancelConfirm))],
            ),
            turn(Who::Customer(42), "yes", vec![Says(en(Reply::Cancelled))]),
            turn(
                Who::Customer(42),
                "cancel my subscription",
                vec![Says(en(Reply::NothingToCancel))],
            ),
        ],
    )
    .await;
    let events = h.store.events_of(CustomerId(42)).unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind.name() == "subscription_cancel")
            .count(),
        1
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind.name() == "offer_shown")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_person_takes_over_and_hands_back() {
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
                "hello? anyone?",
                vec![Says(en(Reply::WithHuman { ticket: 1 }))],
            ),
            turn(
                Who::Staff("alice"),
                "/tickets",
                vec![
                    Contains("#1"),
                    Contains("customer 42"),
                    Contains("asked for a person"),
                ],
            ),
            turn(
                Who::Staff("alice"),
                "/claim 1",
                vec![Contains("You hold ticket #1")],
            ),
            turn(
                Who::Staff("alice"),
                "/reply 1 Hi Olivia, I'm looking at it now",
                vec![Relayed(customer.clone(), "I'm looking at it now")],
            ),
            turn(
                Who::Staff("alice"),
                "/resolve 1 sorted",
                vec![Contains("resolved")],
            ),
            turn(
                Who::Customer(42),
                "hi",
                vec![Says(en(Reply::Greeting {
                    name: "Olivia".into(),
                }))],
            ),
            turn(
                Who::Staff("alice"),
                "/claim 1",
                vec![Contains("already resolved")],
            ),
            turn(
                Who::Staff("alice"),
                "/claim 99",
                vec![Contains("no ticket #99")],
            ),
        ],
    )
    .await;
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Resolved);
    assert_eq!(ticket.assignee.as_deref(), Some("alice"));
    let relayed = h.store.interactions_of(CustomerId(42)).unwrap();
    assert!(
        relayed
            .iter()
            .any(|i| i.intent.as_deref() == Some("staff_reply"))
    );
    let audit = h
        .store
        .audit_since(crate::common::now() - chrono::Duration::days(1))
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert!(
        actions.contains(&"ticket.claim") && actions.contains(&"ticket.resolve"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn two_misunderstood_messages_lead_to_the_offer_of_a_person() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(43),
                "blorp fizzle wug",
                vec![Lacks(Box::leak(en(Reply::OfferHuman).into_boxed_str()))],
            ),
            turn(
                Who::Customer(43),
                "zibber zabber quux",
                vec![Says(en(Reply::OfferHuman))],
            ),
            turn(Who::Customer(43), "yes", vec![Contains("ticket #1")]),
        ],
    )
    .await;
}

#[tokio::test]
async fn staff_look_customers_up_by_id_email_and_name() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Staff("alice"),
                "/customer 42",
                vec![Contains("Olivia Hall"), Contains("A101")],
            ),
            turn(
                Who::Staff("alice"),
                "/customer ben@example.com",
                vec![Contains("Ben Smith")],
            ),
            turn(
                Who::Staff("alice"),
                "/customer wendy",
                vec![Contains("Wendy Zhou")],
            ),
            turn(
                Who::Staff("alice"),
                "/customer 777",
                vec![Says(en(Reply::UnknownCustomer { id: "777".into() }))],
            ),
            turn(
                Who::Staff("alice"),
                "/claim",
                vec![Contains("Usage: /claim TICKET")],
            ),
            turn(
                Who::Staff("alice"),
                "/frobnicate",
                vec![Contains("Unknown command /frobnicate")],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_and_loses_nothing() {
    let h = Harness::new();
    h.say(Who::Customer(42), "hi").await;
    let before = h.store.interactions_of(CustomerId(42)).unwrap();
    let long = "a".repeat(100 * 1024);
    let too_long = h.say(Who::Customer(42), &long).await;
    assert_eq!(
        too_long.messages[0].text,
        en(Reply::TooLong {
            chars: long.len(),
            max: 4000
        })
    );
    let invalid = h.send(Who::Customer(42), Body::InvalidText).await;
    assert_eq!(invalid.messages[0].text, en(Reply::InvalidText));
    let empty = h.say(Who::Customer(42), "   ").await;
    assert_eq!(empty.messages[0].text, en(Reply::Empty));
    let unknown = h.say(Who::Customer(999), "hi").await;
    assert_eq!(
        unknown.messages[0].text,
        en(Reply::UnknownCustomer { id: "999".into() })
    );
    let after = h.store.interactions_of(CustomerId(42)).unwrap();
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "earlier interactions are intact"
    );
    // The unreadable ones are logged without their contents.
    assert!(after[before.len()..].iter().all(|i| i.text.is_none()));
}

#[tokio::test]
async fn an_unknown_chat_user_becomes_a_lead_and_staff_are_recognised() {
    let h = Harness::new();
    let before = h.store.customer_count();
    check(
        &h,
        vec![
            turn(
                Who::ChatUser(crmbot::domain::Channel::Telegram, "555"),
                "hello",
                vec![Contains("Hello User")],
            ),
            turn(
                Who::ChatUser(crmbot::domain::Channel::Telegram, "555"),
                "where is my order?",
                vec![Says(en(Reply::LeadNoAccount))],
            ),
            turn(
                Who::ChatUser(crmbot::domain::Channel::Telegram, "1001"),
                "/tickets",
                vec![Contains("No open tickets")],
            ),
        ],
    )
    .await;
    assert_eq!(
        h.store.customer_count(),
        before + 1,
        "one lead, and staff are not leads"
    );
}

#[tokio::test]
async fn staff_roles_limit_what_each_member_may_do() {
    let h = Harness::new();
    // bob is an agent (config); carol is added later as a manager (like `crmbot staff add`).
    let carol = crmbot::config::StaffMember {
        name: "carol".into(),
        role: crmbot::domain::StaffRole::Manager,
        telegram: Some(3003),
        discord: None,
    };
    h.store.put_staff("carol", &carol).unwrap();
    use crmbot::domain::Channel::{Discord, Telegram};
    check(
        &h,
        vec![
            turn(
                Who::ChatUser(Discord, "2002"),
                "/customer 42",
                vec![Contains("Olivia Hall")],
            ),
            turn(
                Who::ChatUser(Discord, "2002"),
                "/kpi",
                vec![Says(
                    "Sorry, that needs the manager role; you are agent.".into(),
                )],
            ),
            turn(
                Who::ChatUser(Telegram, "3003"),
                "/tickets",
                vec![Contains("No open tickets")],
            ),
            turn(
                Who::ChatUser(Telegram, "4004"),
                "/tickets",
                vec![Says(en(Reply::StaffOnly))],
            ),
        ],
    )
    .await;
    let audit = h
        .store
        .audit_since(crate::common::now() - chrono::Duration::days(1))
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "access.denied" && a.actor == "bob")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "customer.view" && a.actor == "bob")
    );
}

fn code_sent_to(h: &Harness, email: &str) -> String {
    let item = h
        .store
        .pending_outbox()
        .unwrap()
        .into_iter()
        .rev()
        .find(|i| i.channel == crmbot::domain::Channel::Email && i.chat == email)
        .expect("a code in the outbox");
    item.text
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn one_customer_across_telegram_and_discord_after_linking_by_code() {
    use crmbot::domain::Channel::{Discord, Telegram};
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::ChatUser(Telegram, "777"),
                "where is my order?",
                vec![Says(en(Reply::LeadNoAccount))],
            ),
            turn(
                Who::ChatUser(Telegram, "777"),
                "my email is olivia@example.com",
                vec![Says(en(Reply::LinkCodeSent { minutes: 10 }))],
            ),
        ],
    )
    .await;
    let code = code_sent_to(&h, "olivia@example.com");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let tg = Who::ChatUser(Telegram, "777");
    let out = h.say(tg.clone(), wrong).await;
    assert_eq!(out.messages[0].text, en(Reply::WrongCode { left: 2 }));
    let out = h.say(tg.clone(), &code).await;
    assert_eq!(
        out.messages[0].text,
        en(Reply::Linked {
            name: "Olivia".into()
        })
    );
    check(
        &h,
        vec![turn(
            tg.clone(),
            "where is my order?",
            vec![Contains("A101")],
        )],
    )
    .await;

    let dc = Who::ChatUser(Discord, "888");
    h.say(dc.clone(), "I am olivia@example.com").await;
    let code = code_sent_to(&h, "olivia@example.com");
    h.say(dc.clone(), &code).await;
    check(
        &h,
        vec![turn(
            dc,
            "what about order A100?",
            vec![Contains("delivered")],
        )],
    )
    .await;
    let channels: std::collections::BTreeSet<String> = h
        .store
        .interactions_of(CustomerId(42))
        .unwrap()
        .iter()
        .map(|i| i.channel.as_str().to_owned())
        .collect();
    assert!(
        channels.contains("telegram") && channels.contains("discord"),
        "{channels:?}"
    );
    // The code itself is never stored as a message.
    assert!(
        !h.store
            .interactions_since(crate::common::now() - chrono::Duration::days(1))
            .any(|i| i.unwrap().text.as_deref() == Some(code.as_str()))
    );
}

#[tokio::test]
async fn linking_reveals_nothing_expires_and_caps_attempts() {
    use crmbot::domain::Channel::Telegram;
    let h = Harness::new();
    let who = Who::ChatUser(Telegram, "999");
    // An email of nobody gets the same answer, and no code is sent.
    let out = h.say(who.clone(), "nobody@example.com").await;
    assert_eq!(
        out.messages[0].text,
        en(Reply::LinkCodeSent { minutes: 10 })
    );
    assert!(h.store.pending_outbox().unwrap().is_empty());
    for left in [2, 1] {
        assert_eq!(
            h.say(who.clone(), "123456").await.messages[0].text,
            en(Reply::WrongCode { left })
        );
    }
    // The third wrong code locks linking for this user for 15 minutes, and says until when.
    let locked = h.say(who.clone(), "123456").await.messages[0].text.clone();
    let until = crmbot::clock::Clock::now(h.clock.as_ref()) + chrono::Duration::minutes(15);
    assert_eq!(locked, en(Reply::LinkLocked { until }));
    assert_eq!(
        h.say(who.clone(), "ben@example.com").await.messages[0].text,
        en(Reply::LinkLocked { until }),
        "no new code while locked"
    );
    assert!(h.store.pending_outbox().unwrap().is_empty());
    h.clock.advance(chrono::Duration::minutes(15));
    // A real code, typed too late.
    h.say(who.clone(), "ben@example.com").await;
    let code = code_sent_to(&h, "ben@example.com");
    h.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(
        h.say(who.clone(), &code).await.messages[0].text,
        en(Reply::LinkExpired)
    );
    check(
        &h,
        vec![turn(
            who,
            "where is my order?",
            vec![Says(en(Reply::LeadNoAccount))],
        )],
    )
    .await;
}

#[tokio::test]
async fn chinese_typos_and_out_of_scope_are_understood_or_answered_honestly() {
    let h = Harness::new();
    let zh = |r: Reply| r.render(Language::Zh);
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "你好",
                vec![Says(zh(Reply::Greeting {
                    name: "Olivia".into(),
                }))],
            ),
            turn(
                Who::Customer(42),
                "我的订单在哪里？",
                vec![Contains("A101"), Contains("已发货"), Lacks("抱歉")],
            ),
            turn(
                Who::Customer(42),
                "我想和人工客服谈谈",
                vec![Contains("工单 #1")],
            ),
        ],
    )
    .await;
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(Who::Customer(42), "wher is my oder", vec![Contains("A101")]),
            turn(
                Who::Customer(42),
                "what's the weather like on mars tomorrow",
                vec![Says(en(Reply::OutOfScope))],
            ),
        ],
    )
    .await;
    let log = h.store.interactions_of(CustomerId(42)).unwrap();
    assert!(
        log.iter()
            .any(|i| i.intent.as_deref() == Some("out_of_scope"))
    );
}
