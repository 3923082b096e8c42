//! The self-service path for one customer message: understanding, retrieval over the whole
//! help centre (both languages), the decision and the rendered answer with the customer's
//! facts; and loading the help centre at start.
//!
//! - `help_centre/load_embedded`: parsing, validating and indexing every article.
//! - `help_centre/message`: one message (a mix of help-centre questions in English and
//!   Chinese) through `Nlu::parse`, `help::pick`, `respond::respond` and rendering.
//!
//! After the criterion run it prints the p50/p95/p99 of 20,000 single messages.
//! Run: `cargo bench --bench helpcentre`.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crmbot::config::Settings;
use crmbot::demo::{self, DemoSpec};
use crmbot::engine::dialogue::Conversation;
use crmbot::engine::facts::CustomerFacts;
use crmbot::engine::help;
use crmbot::engine::respond::{self, CustomerTurn};
use crmbot::knowledge::{HelpCentre, HelpSettings};
use crmbot::nlu::{Nlu, NluSettings};
use crmbot::sentiment::SentimentAnalyzer;

const QUESTIONS: &[&str] = &[
    "what is your return policy?",
    "how long does shipping to Canada take?",
    "could you help me to reset my password",
    "do you accept PayPal?",
    "how do I pause my plan and what does premium cost?",
    "I was charged twice for my order",
    "can I change the address of my order",
    "你们的退货政策是什么？",
    "如何重置密码？",
    "运费是多少？",
];

fn message_path() -> impl FnMut(&str) -> usize {
    let settings = Settings::default();
    let nlu = Nlu::load_embedded(NluSettings::default(), &demo::product_names()).expect("intents");
    let help_centre = HelpCentre::load_embedded(HelpSettings::default()).expect("help centre");
    let sentiment = SentimentAnalyzer::new().expect("sentiment model");
    let spec = DemoSpec {
        customers: 200,
        seed: 42,
        as_of: Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap(),
    };
    let demo = demo::generate_customer(&spec, 42);
    let facts = CustomerFacts::from_events(demo.customer.clone(), &demo.events, spec.as_of);
    let conversation = Conversation::default();
    let no_acceptances = |_: &str| 0;
    move |text: &str| {
        let parse = nlu.parse(text);
        let mood = sentiment.score(text, parse.language);
        let pick = help::pick(&help_centre, &parse, text);
        let template = |i, l| nlu.reply(i, l).map(str::to_owned);
        let decision = respond::respond(&CustomerTurn {
            parse: &parse,
            button: None,
            sentiment: mood,
            conversation: &conversation,
            facts: &facts,
            events: &demo.events,
            earlier_sentiments: &[],
            risk: None,
            order_lookup: None,
            settings: &settings,
            template: &template,
            offer_acceptances: &no_acceptances,
            recommendation: None,
            help: &pick,
            ticket_claimed: false,
            now: spec.as_of,
        });
        decision
            .replies
            .iter()
            .map(|r| r.render(parse.language).len())
            .sum()
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("help_centre");
    group.bench_function("load_embedded", |b| {
        b.iter(|| HelpCentre::load_embedded(HelpSettings::default()).expect("help centre"))
    });
    let mut answer = message_path();
    let mut n = 0usize;
    group.bench_function("message", |b| {
        b.iter(|| {
            n += 1;
            std::hint::black_box(answer(QUESTIONS[n % QUESTIONS.len()]))
        })
    });
    group.finish();

    let mut latencies: Vec<Duration> = (0..20_000)
        .map(|i| {
            let start = Instant::now();
            std::hint::black_box(answer(QUESTIONS[i % QUESTIONS.len()]));
            start.elapsed()
        })
        .collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "help_centre/message single-message latency over 20,000: p50 {:?}, p95 {:?}, p99 {:?}",
        at(0.50),
        at(0.95),
        at(0.99)
    );
    let start = Instant::now();
    std::hint::black_box(HelpCentre::load_embedded(HelpSettings::default()).expect("help centre"));
    println!("help_centre/load_embedded once: {:?}", start.elapsed());
}

criterion_group!(benches, bench);
criterion_main!(benches);
