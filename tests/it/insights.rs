//! Staff insights on trained demo data: who is at risk today, segments and charts, the
//! digest, and that trained models reload exactly.

use std::sync::Arc;

use chrono::Duration;
use crmbot::app;
use crmbot::clock::FixedClock;
use crmbot::demo::{self, DemoSpec};
use crmbot::domain::{Channel, EventKind, Language};
use crmbot::engine::text::Reply;
use crmbot::engine::{Body, Engine, Inbound, Outcome, Sender};
use crmbot::store::{Store, StoreOptions};
use crmbot::training;

use crate::common::{now, settings};

struct Trained {
    _dir: tempfile::TempDir,
    store: Store,
    engine: Engine,
}

fn trained(customers: u32) -> Trained {
    trained_with(customers, |_| {})
}

fn trained_with(customers: u32, adjust: impl FnOnce(&mut crmbot::config::Settings)) -> Trained {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::open(&StoreOptions::at(&path)).unwrap();
    let spec = DemoSpec {
        customers,
        seed: 42,
        as_of: demo::reference_day(now()),
    };
    demo::seed_store(&store, &spec).unwrap();
    let mut s = settings(&path);
    adjust(&mut s);
    training::train(&store, &s.models, now(), false).unwrap();
    let engine =
        app::build_engine(Arc::new(s), store.clone(), Arc::new(FixedClock::new(now()))).unwrap();
    Trained {
        _dir: dir,
        store,
        engine,
    }
}

async fn say(engine: &Engine, sender: Sender, chat: &str, text: &str) -> Outcome {
    engine
        .handle(Inbound {
            channel: Channel::Console,
            chat: chat.into(),
            sender,
            body: Body::Text(text.into()),
            at: now(),
            origin: Default::default(),
        })
        .await
}

#[tokio::test]
async fn who_is_at_risk_today_for_staff_and_not_for_customers() {
    let t = trained(400);
    let staff = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "who is at risk today",
    )
    .await;
    let text = &staff.messages[0].text;
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("— churn ")).collect();
    assert!(lines.len() >= 10, "{text}");
    for l in &lines {
        assert!(l.contains('%') && l.contains("CLV $"), "{l}");
    }
    assert!(text.matches("why: ").count() >= 10, "{text}");
    let customer = say(
        &t.engine,
        Sender::Customer(crmbot::domain::CustomerId(42)),
        "customer:42",
        "who is at risk today",
    )
    .await;
    assert_eq!(customer.messages.len(), 1);
    assert_eq!(
        customer.messages[0].text,
        Reply::StaffOnly.render(Language::En)
    );
}

#[tokio::test]
async fn every_view_counts_the_same_customers_at_risk() {
    let t = trained(400);
    let scores = training::stored_scores(&t.store).unwrap();
    let flagged = scores.iter().filter(|s| s.churn_alert).count();
    assert!(flagged > 0);
    let threshold = crmbot::models::risk::RiskSettings::default().at_risk_probability;
    for s in &scores {
        let p = s.churn_probability.unwrap_or(0.0);
        assert_eq!(
            s.churn_alert,
            s.stage == crmbot::models::lifecycle::Stage::AtRisk,
            "stage and flag agree: {s:?}"
        );
        if s.churn_alert {
            assert!(p >= threshold, "{s:?}");
        }
    }
    let funnel = crmbot::insights::stage_counts(&scores);
    let at_risk_bar = funnel
        .iter()
        .find(|(s, _)| *s == crmbot::models::lifecycle::Stage::AtRisk)
        .unwrap()
        .1;
    assert_eq!(at_risk_bar, flagged, "funnel");
    let settings = settings(std::path::Path::new("unused"));
    let digest = crmbot::alerts::jobs::digest(&t.store, &settings, now(), false).unwrap();
    assert_eq!(digest.at_risk_total, flagged, "digest");
    let views = crmbot::insights::Views::of(&settings);
    let report = crmbot::insights::at_risk_report(
        &t.store,
        now(),
        10,
        crmbot::insights::AtRiskFilter::default(),
        &views,
    )
    .unwrap();
    assert_eq!(report.at_risk, flagged, "at-risk list");
    let staff = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/atrisk",
    )
    .await;
    assert!(
        staff.messages[0].text.starts_with(&format!(
            "Customers at risk today: {flagged} (churn probability ≥ 50%)"
        )),
        "{}",
        staff.messages[0].text
    );
    let chart = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/report churn",
    )
    .await;
    assert!(
        chart
            .messages
            .iter()
            .any(|m| m.text == format!("Customers per lifecycle stage ({flagged} at risk)")),
        "{:#?}",
        chart.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn segments_and_the_churn_report_come_with_charts() {
    let t = trained(300);
    let seg = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/segments",
    )
    .await;
    assert!(
        seg.messages[0].text.starts_with("Segments ("),
        "{}",
        seg.messages[0].text
    );
    let png = seg.messages[1].image.as_ref().expect("a chart").png.clone();
    assert!(png.starts_with(b"\x89PNG"));
    let report = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/report churn",
    )
    .await;
    assert_eq!(
        report.messages.iter().filter(|m| m.image.is_some()).count(),
        3,
        "{:#?}",
        report.messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    let kpi = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/kpi 30d",
    )
    .await;
    assert!(
        kpi.messages[0].text.contains("churn rate"),
        "{}",
        kpi.messages[0].text
    );
    let bad = say(
        &t.engine,
        Sender::Staff("alice".into()),
        "staff:alice",
        "/kpi fortnightly",
    )
    .await;
    assert!(bad.messages[0].text.contains("expected a period like 7d"));
}

#[test]
fn a_second_digest_only_says_what_is_new() {
    let t = trained(400);
    let s = settings(t.store.path());
    let first = crmbot::alerts::jobs::digest(&t.store, &s, now(), true).unwrap();
    assert!(!first.new_at_risk.is_empty());
    let preview =
        crmbot::alerts::jobs::digest(&t.store, &s, now() + Duration::minutes(1), false).unwrap();
    let second =
        crmbot::alerts::jobs::digest(&t.store, &s, now() + Duration::minutes(1), true).unwrap();
    assert_eq!(
        preview.new_at_risk, second.new_at_risk,
        "a preview changes nothing"
    );
    for line in &second.new_at_risk {
        assert!(
            !first.new_at_risk.iter().any(|f| f.id == line.id),
            "{} was already reported",
            line.id
        );
    }
    let queued = t.store.pending_outbox().unwrap();
    assert_eq!(
        queued.len(),
        2,
        "one digest per run for the one destination"
    );
}

#[test]
fn stored_models_reload_with_identical_scores_and_transitions_become_events() {
    let t = trained(300);
    let reloaded = training::stored_models(&t.store).unwrap().unwrap();
    let input = training::training_input(&t.store).unwrap();
    let fresh = crmbot::models::pipeline::score_all(&reloaded, &input, now());
    let stored = training::stored_scores(&t.store).unwrap();
    assert_eq!(fresh.len(), stored.len());
    for (a, b) in fresh.iter().zip(&stored) {
        assert_eq!(a, b, "scores from reloaded models equal the stored ones");
    }
    // A month later the stages of some customers have moved on: each move is an event.
    let later = now() + Duration::days(45);
    let outcome = training::train(
        &t.store,
        &crmbot::models::pipeline::ModelSettings::default(),
        later,
        false,
    )
    .unwrap();
    assert!(outcome.stage_changes > 0);
    let changes = (1..=300)
        .flat_map(|id| t.store.events_of(crmbot::domain::CustomerId(id)).unwrap())
        .filter(|e| matches!(&e.kind, EventKind::StageChanged { reason, .. } if !reason.is_empty()))
        .count();
    assert_eq!(changes, outcome.stage_changes);
    assert!(
        outcome.versions.values().all(|v| *v == 2),
        "{:?}",
        outcome.versions
    );
}

#[tokio::test]
async fn the_digest_job_fires_once_a_day_at_the_local_digest_time() {
    use chrono::{TimeZone, Utc};
    // 08:30 in Shanghai is 00:30 UTC.
    let t = trained_with(300, |s| {
        s.alerts.time_zone = "Asia/Shanghai".parse().unwrap();
    });
    let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0).unwrap();
    let digests = |store: &Store| {
        store
            .outbox()
            .unwrap()
            .iter()
            .filter(|i| i.kind == "digest")
            .count()
    };
    // The first tick after start is not a missed digest from yesterday.
    crmbot::alerts::scheduler::tick(&t.engine, at(0, 29)).await;
    assert_eq!(digests(&t.store), 0);
    let ran = crmbot::alerts::scheduler::tick(&t.engine, at(0, 31)).await;
    assert!(ran.ran.contains(&"digest"), "{ran:?}");
    assert_eq!(digests(&t.store), 1);
    crmbot::alerts::scheduler::tick(&t.engine, at(9, 0)).await;
    assert_eq!(digests(&t.store), 1, "once a day");
    let next = Utc.with_ymd_and_hms(2026, 11, 29, 0, 31, 0).unwrap();
    crmbot::alerts::scheduler::tick(&t.engine, next).await;
    assert_eq!(digests(&t.store), 2);
}

#[tokio::test]
async fn a_purchase_question_brings_a_cross_sell_from_the_association_rules() {
    let t = trained(300);
    let models = training::stored_models(&t.store).unwrap().unwrap();
    assert!(
        models.rules.as_ref().is_some_and(|r| !r.rules.is_empty()),
        "demo baskets give rules"
    );
    let mut shown = None;
    for id in 1..=280u64 {
        let c = crmbot::domain::CustomerId(id);
        let Some(customer) = t.store.customer(c).unwrap() else {
            continue;
        };
        if !customer.consent.marketing {
            continue;
        }
        let out = say(
            &t.engine,
            Sender::Customer(c),
            &format!("customer:{id}"),
            "where is my order?",
        )
        .await;
        if let Some(m) = out.messages.iter().find(|m| m.text.contains("often add")) {
            shown = Some((c, m.text.clone()));
            break;
        }
    }
    let (customer, text) = shown.expect("some customer gets a cross-sell offer");
    assert!(
        demo::product_names()
            .iter()
            .any(|p| text.contains(p.as_str())),
        "{text}"
    );
    let yes = say(
        &t.engine,
        Sender::Customer(customer),
        &format!("customer:{}", customer.0),
        "yes",
    )
    .await;
    assert!(
        yes.messages[0].text.contains("Your code is PAIR10-"),
        "{:?}",
        yes.messages
    );
    let events = t.store.events_of(customer).unwrap();
    assert!(
        events.iter().any(
            |e| matches!(&e.kind, EventKind::OfferAccepted { offer, .. } if offer == "pair10")
        )
    );
}

#[tokio::test]
async fn a_first_start_does_not_retrain_before_retrain_hours_have_passed() {
    use chrono::Duration;
    // Trained at `now()`; retrain every 24 hours.
    let t = trained_with(120, |s| s.alerts.retrain_hours = 24);
    let retrains = |ran: &crmbot::alerts::scheduler::TickReport| ran.ran.contains(&"retrain");
    // The first ticks of a fresh `crmbot run`, soon after the store was trained.
    for minutes in [0, 1, 30, 23 * 60] {
        let ran =
            crmbot::alerts::scheduler::tick(&t.engine, now() + Duration::minutes(minutes)).await;
        assert!(
            !retrains(&ran),
            "retrained {minutes} min after training: {ran:?}"
        );
    }
    let ran = crmbot::alerts::scheduler::tick(&t.engine, now() + Duration::hours(24)).await;
    assert!(retrains(&ran), "due 24 h after the training: {ran:?}");
    let ran = crmbot::alerts::scheduler::tick(&t.engine, now() + Duration::hours(25)).await;
    assert!(!retrains(&ran), "not again an hour later: {ran:?}");
}

#[tokio::test]
async fn an_owner_works_their_book_and_asks_in_words() {
    let t = trained_with(300, |s| {
        s.book.rules = vec![crmbot::book::OwnerRule {
            owner: "alice".into(),
            segment: None,
            min_clv: Some(0.0),
            region: None,
        }];
    });
    let alice = |text: &'static str| {
        say(
            &t.engine,
            Sender::Staff("alice".into()),
            "staff:alice",
            text,
        )
    };
    let mine = alice("/mine").await;
    assert!(
        mine.messages[0].text.starts_with("Your book, alice: "),
        "{}",
        mine.messages[0].text
    );
    let note = alice("/note 42 called, wants a discount").await;
    assert!(
        note.messages[0]
            .text
            .contains("(#42): called, wants a discount"),
        "{}",
        note.messages[0].text
    );
    let task = alice("/task 42 call back friday").await;
    assert!(
        task.messages[0].text.contains("due Friday"),
        "{}",
        task.messages[0].text
    );
    let events = t.store.events_of(crmbot::domain::CustomerId(42)).unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::StaffNote { text, .. } if text == "called, wants a discount")));
    let mine = alice("/mine").await;
    assert!(
        mine.messages[0].text.contains("Your open tasks (1)"),
        "{}",
        mine.messages[0].text
    );
    let score: crmbot::models::pipeline::CustomerScore = t
        .store
        .score(crmbot::domain::CustomerId(42))
        .unwrap()
        .unwrap();
    let why = alice("why is 42 at risk?").await;
    let pct = format!(
        "churn probability {:.0}%",
        score.churn_probability.unwrap() * 100.0
    );
    assert!(
        why.messages[0].text.contains(&pct),
        "{}",
        why.messages[0].text
    );
    let zh = alice("客户42的风险为什么高？").await;
    assert!(
        zh.messages[0].text.contains(&format!(
            "流失概率 {:.0}%",
            score.churn_probability.unwrap() * 100.0
        )),
        "{}",
        zh.messages[0].text
    );
    let churned = alice("how many customers churned last month?").await;
    assert!(
        churned.messages[0].text.contains("subscribers churned ("),
        "{}",
        churned.messages[0].text
    );
}
