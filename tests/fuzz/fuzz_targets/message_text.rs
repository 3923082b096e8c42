//! The message normalizer and the whole understanding of a message (language, intent,
//! entities, sentiment) on any text.
#![no_main]

use std::sync::LazyLock;

use crmbot::nlu::{Nlu, NluSettings};
use crmbot::sentiment::SentimentAnalyzer;
use libfuzzer_sys::fuzz_target;

static NLU: LazyLock<Nlu> = LazyLock::new(|| {
    let intents = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../intents");
    Nlu::load(&intents, NluSettings::default(), &crmbot::demo::product_names()).expect("intents load")
});
static SENTIMENT: LazyLock<SentimentAnalyzer> =
    LazyLock::new(|| SentimentAnalyzer::new().expect("sentiment model"));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let normalized = crmbot::nlu::text::normalize(&text);
    let parse = NLU.parse(&text);
    let score = SENTIMENT.score(&text, parse.language).score;
    assert!((-1.0..=1.0).contains(&score), "sentiment {score} out of range");
    assert!(normalized.len() <= text.len() * 4 + 16);
});
