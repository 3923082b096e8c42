//! How a message feels, as a score in [-1, 1]. (Interim lexicon; the full rule-based
//! English scorer and the trained Chinese model replace the internals.)

use thiserror::Error;

use crate::domain::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    pub score: f32,
    pub label: SentimentLabel,
}

#[derive(Debug, Error)]
pub enum SentimentError {
    #[error("{0}")]
    Model(String),
}

pub struct SentimentAnalyzer;

const NEGATIVE: &[&str] = &[
    "terrible",
    "awful",
    "bad",
    "angry",
    "hate",
    "worst",
    "broken",
    "nothing works",
    "糟糕",
    "差",
];
const POSITIVE: &[&str] = &[
    "great",
    "good",
    "love",
    "thanks",
    "excellent",
    "happy",
    "好",
    "谢谢",
];

impl SentimentAnalyzer {
    pub fn new() -> Result<Self, SentimentError> {
        Ok(SentimentAnalyzer)
    }

    pub fn score(&self, text: &str, _lang: Language) -> Sentiment {
        let t = text.to_lowercase();
        let neg = NEGATIVE.iter().filter(|w| t.contains(*w)).count() as f32;
        let pos = POSITIVE.iter().filter(|w| t.contains(*w)).count() as f32;
        let score = ((pos - neg) / 2.0).clamp(-1.0, 1.0);
        let label = if score < -0.05 {
            SentimentLabel::Negative
        } else if score > 0.05 {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { score, label }
    }
}
