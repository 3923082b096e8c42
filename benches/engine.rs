//! Message throughput of the engine.
//!
//! - `decide/*`: understanding + sentiment + the pure decision for one customer message,
//!   without the store (the per-message CPU cost of the engine's core).
//! - `handle_durable/64_conversations`: the whole engine with a real store, 64 concurrent
//!   conversations, every reply waiting until its interactions are durable (group commit).
//!   Prints p50/p99 latency of that setup after the criterion run.
//!
//! Run: `cargo bench --bench engine`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crmbot::app;
use crmbot::clock::SystemClock;
use crmbot::config::Settings;
use crmbot::demo::{self, DemoSpec};
use crmbot::domain::{Channel, CustomerId, Language};
use crmbot::engine::dialogue::Conversation;
use crmbot::engine::facts::CustomerFacts;
use crmbot::engine::respond::{self, CustomerTurn};
use crmbot::engine::{Body, Engine, Inbound, Sender};
use crmbot::nlu::{Nlu, NluSettings};
use crmbot::sentiment::SentimentAnalyzer;
use crmbot::store::{Store, StoreOptions};

const MESSAGES: &[&str] = &[
    "hi",
    "where is my order?",
    "this is terrible, nothing works",
    "what is on my bill?",
    "I want to talk to a human",
    "thanks a lot!",
    "can I return the grinder?",
    "我的订单在哪里？",
];

fn spec() -> DemoSpec {
    DemoSpec {
        customers: 200,
        seed: 42,
        as_of: Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap(),
    }
}

fn decide(c: &mut Criterion) {
    let settings = Settings::default();
    let nlu = Nlu::load(
        std::path::Path::new("intents"),
        NluSettings::default(),
        &demo::product_names(),
    )
    .expect("intents load");
    let sentiment = SentimentAnalyzer::new().expect("sentiment model");
    let demo = demo::generate_customer(&spec(), 42);
    let facts = CustomerFacts::from_events(demo.customer.clone(), &demo.events, spec().as_of);
    let conversation = Conversation::default();
    let template = |i, l| nlu.reply(i, l).map(str::to_owned);
    let no_acceptances = |_: &str| 0;
    let earlier = [0.1_f32, -0.2, 0.3];
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(MESSAGES.len() as u64));
    group.bench_function("understand_and_respond", |b| {
        b.iter(|| {
            for text in MESSAGES {
                let parse = nlu.parse(text);
                let mood = sentiment.score(text, parse.language);
                let decision = respond::respond(&CustomerTurn {
                    parse: &parse,
                    button: None,
                    sentiment: mood,
                    conversation: &conversation,
                    facts: &facts,
                    events: &demo.events,
                    earlier_sentiments: &earlier,
                    risk: None,
                    order_lookup: None,
                    settings: &settings,
                    template: &template,
                    offer_acceptances: &no_acceptances,
                    recommendation: None,
                    help: &crmbot::engine::help::HelpPick::Nothing,
                    ticket_claimed: false,
                    now: spec().as_of,
                });
                let rendered: usize = decision
                    .replies
                    .iter()
                    .map(|r| r.render(Language::En).len())
                    .sum();
                std::hint::black_box(rendered);
            }
        })
    });
    group.finish();
}

fn engine_with_store() -> (tempfile::TempDir, Engine, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = Store::open(&StoreOptions::at(&path)).unwrap();
    demo::seed_store(&store, &spec()).unwrap();
    let mut settings = Settings::default();
    settings.store.path = path;
    let engine =
        app::build_engine(Arc::new(settings), store.clone(), Arc::new(SystemClock)).unwrap();
    (dir, engine, store)
}

/// Sends `total` messages over 64 concurrent conversations; returns every latency.
async fn run_conversations(engine: &Engine, total: u64) -> Vec<Duration> {
    let per_task = total.div_ceil(64).max(1);
    let mut tasks = Vec::new();
    for conv in 0..64u64 {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task as usize);
            for n in 0..per_task {
                let text = MESSAGES[(n as usize + conv as usize) % MESSAGES.len()];
                let start = Instant::now();
                let outcome = engine
                    .handle(Inbound {
                        channel: Channel::Console,
                        chat: format!("bench-{conv}"),
                        sender: Sender::Customer(CustomerId(1 + conv % 190)),
                        body: Body::Text(text.into()),
                        at: Utc::now(),
                        origin: Default::default(),
                    })
                    .await;
                latencies.push(start.elapsed());
                std::hint::black_box(outcome);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn handle_durable(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (_dir, engine, store) = engine_with_store();
    let mut group = c.benchmark_group("handle_durable");
    group.sample_size(10);
    group.throughput(Throughput::Elements(64 * 20));
    group.bench_function("64_conversations", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                runtime.block_on(run_conversations(&engine, 64 * 20));
            }
            start.elapsed()
        })
    });
    group.finish();
    // Latency distribution and flushes of one longer run.
    let (flushes_before, _) = store.commit_counts();
    let start = Instant::now();
    let mut latencies = runtime.block_on(run_conversations(&engine, 64 * 200));
    let elapsed = start.elapsed();
    let flushes = store.commit_counts().0 - flushes_before;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    eprintln!(
        "handle_durable/64_conversations: {} messages in {:.2?} = {:.0} msg/s; p50 {:.2?}, p99 {:.2?}; {:.3} flushes per message",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        flushes as f64 / latencies.len() as f64
    );
}

criterion_group!(benches, decide, handle_durable);
criterion_main!(benches);
