//! Benchmarks of the language-understanding hot paths, to hold the latency and training
//! budgets: one message through intent + entities + sentiment (budget p95 ≤ 200 µs), and
//! training the classifier on a Banking77-sized synthetic set (10,000 texts, 77 classes;
//! budget ≤ 10 s). Needs only the committed `intents/` folder, no external data.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use crmbot::domain::Language;
use crmbot::nlu::classifier::{TextClassifier, TrainConfig};
use crmbot::nlu::text::{features, normalize};
use crmbot::nlu::{Nlu, NluSettings};
use crmbot::sentiment::SentimentAnalyzer;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const MESSAGES: &[&str] = &[
    "hi, where is my order #A1234? it was supposed to arrive yesterday",
    "this is terrible, nothing works and I want a refund of $49.99",
    "can you change my email to jo@example.com please",
    "我的订单12345到哪了？昨天就应该到了",
    "太差劲了，我要退款",
    "show customer 42",
];

fn parse_and_sentiment(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    let nlu = Nlu::load(&dir, NluSettings::default(), &["Pro Plan".to_string()])
        .expect("committed intents load");
    let sentiment = SentimentAnalyzer::new().expect("embedded model loads");
    let mut i = 0usize;
    c.bench_function("parse + entities + sentiment, one message", |b| {
        b.iter(|| {
            let text = MESSAGES[i % MESSAGES.len()];
            i += 1;
            let parse = nlu.parse(black_box(text));
            let s = sentiment.score(text, parse.language);
            black_box((parse, s))
        })
    });
}

/// Synthetic Banking77-sized data: each class has its own topic words mixed with shared
/// filler words, 130 texts per class.
fn synthetic_docs() -> (Vec<Vec<u64>>, Vec<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let syllables = [
        "ka", "to", "mi", "ren", "sol", "da", "vi", "pen", "lo", "qu", "ar", "es",
    ];
    let word = |rng: &mut Xoshiro256PlusPlus| -> String {
        (0..rng.gen_range(2..4))
            .map(|_| syllables[rng.gen_range(0..syllables.len())])
            .collect()
    };
    let filler: Vec<String> = (0..300).map(|_| word(&mut rng)).collect();
    let topics: Vec<Vec<String>> = (0..77)
        .map(|_| (0..8).map(|_| word(&mut rng)).collect())
        .collect();
    let mut docs = Vec::new();
    let mut ys = Vec::new();
    for _ in 0..130 {
        for (class, topic) in topics.iter().enumerate() {
            let len = rng.gen_range(6..16);
            let text: Vec<&str> = (0..len)
                .map(|_| {
                    if rng.gen_bool(0.3) {
                        topic[rng.gen_range(0..topic.len())].as_str()
                    } else {
                        filler[rng.gen_range(0..filler.len())].as_str()
                    }
                })
                .collect();
            let mut f = Vec::new();
            features(&normalize(&text.join(" ")), Language::En, &mut f);
            docs.push(f);
            ys.push(class);
        }
    }
    (docs, ys)
}

fn training(c: &mut Criterion) {
    let (docs, ys) = synthetic_docs();
    let mut group = c.benchmark_group("training");
    group.sample_size(10);
    group.bench_function("banking77-sized (10,010 texts, 77 classes)", |b| {
        b.iter(|| {
            black_box(TextClassifier::train(
                black_box(&docs),
                &ys,
                &TrainConfig::default(),
                false,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_sentiment, training);
criterion_main!(benches);
