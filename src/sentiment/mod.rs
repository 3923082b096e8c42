//! Sentiment of customer messages in [-1, 1], so the engine can notice an unhappy
//! customer (escalate, flag churn risk) and track a conversation's mood.
//!
//! English uses lexicon-and-rules scoring (VADER, via the `vader_sentiment` crate: negation,
//! intensifiers, "but" clauses, ALL CAPS, exclamation marks, emoji) plus a few
//! customer-service phrases; Chinese uses a compact model (logistic regression averaged
//! with a small perceptron) trained on Chinese reviews and embedded in the binary (see
//! [`zh`]).

pub mod en;
pub mod eval;
pub mod neutral;
pub mod zh;
pub mod zh_mlp;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::nlu::text::{detect_language, normalize};

/// Errors of sentiment training, loading and evaluation.
#[derive(Debug, thiserror::Error)]
pub enum SentimentError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {problem}")]
    Csv {
        path: PathBuf,
        line: u64,
        problem: String,
    },
    #[error("{path}: {problem}")]
    Data { path: PathBuf, problem: String },
    #[error("Chinese sentiment model {what}: {problem}")]
    Model { what: String, problem: String },
}

/// The sentiment class of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

/// How positive a message is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// -1 (very negative) … 1 (very positive).
    pub score: f32,
    pub label: SentimentLabel,
}

impl Sentiment {
    fn from_score(score: f32, neutral_band: f32) -> Sentiment {
        let score = score.clamp(-1.0, 1.0);
        let label = if score >= neutral_band {
            SentimentLabel::Positive
        } else if score <= -neutral_band {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { score, label }
    }
}

/// English rules and the embedded Chinese model. Immutable, `Send + Sync`.
pub struct SentimentAnalyzer {
    en: en::EnglishScorer,
    zh: zh::ZhModel,
}

impl std::fmt::Debug for SentimentAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentimentAnalyzer")
            .field("zh_features", &self.zh.len())
            .finish()
    }
}

/// Scores below this magnitude are Neutral (VADER's customary ±0.05 for English).
const EN_NEUTRAL_BAND: f32 = 0.05;
/// The Chinese model's scores are probabilities stretched to [-1, 1]: ±0.2 is 40–60 %.
const ZH_NEUTRAL_BAND: f32 = 0.2;

/// Words of displeasure in Chinese customer messages.
const ZH_DISPLEASURE: &[&str] = &[
    "差",
    "糟",
    "烂",
    "失望",
    "生气",
    "气死",
    "愤怒",
    "垃圾",
    "骗",
    "坑",
    "恶心",
    "投诉",
    "不满",
    "讨厌",
    "受不了",
    "无语",
    "破",
    "最差",
    "再也不",
    "不好",
    "坏了",
    "太慢",
    "慢死",
    "退钱",
    "后悔",
    "郁闷",
    "无法",
    "不能用",
    "没用",
    "麻烦",
];

/// Words of satisfaction in Chinese customer messages.
const ZH_SATISFACTION: &[&str] = &[
    "好", "满意", "喜欢", "棒", "赞", "谢谢", "感谢", "不错", "推荐", "值得", "开心", "完美",
    "方便", "漂亮", "舒服", "划算", "惊喜", "优秀", "给力", "爱",
];

/// How much of the review model's score is kept for a text with no word of satisfaction
/// or displeasure: a plain support question. Chosen on the shipped neutral sets
/// ([`neutral`]) so that they score about 0 in Chinese as they do in English.
const ZH_PLAIN_TEXT_SCALE: f32 = 0.1;

/// Calibrates the review model's score for chat: trained on product reviews, it also
/// learned topics ("退货", a return, reads as negative), so a plain question would look
/// angry. Without a polar word the score is shrunk towards 0, with a word of displeasure
/// only a positive score is (halved). The sign, and so the review accuracy, is kept.
fn calibrate_zh(score: f32, normalized: &str) -> f32 {
    let displeased = ZH_DISPLEASURE.iter().any(|w| normalized.contains(w));
    let pleased = ZH_SATISFACTION.iter().any(|w| normalized.contains(w));
    match (displeased, pleased) {
        (false, false) => score * ZH_PLAIN_TEXT_SCALE,
        (true, false) if score > 0.0 => score * 0.5,
        (false, true) if score < 0.0 => score * 0.5,
        _ => score,
    }
}

/// How much of a mild English score is kept for a plain question or request: VADER reads
/// "cancel", "return" or "please" as feelings, but "how do I cancel my subscription?" is
/// a neutral question (see [`neutral`]).
const EN_PLAIN_QUESTION_SCALE: f32 = 0.15;
/// A question scoring beyond this either way keeps its score ("why is this so awful?").
const EN_PLAIN_QUESTION_MAX: f32 = 0.5;

/// Shrinks the score of a mild English question or request towards 0 (sign kept).
fn calibrate_en(score: f32, text: &str) -> f32 {
    let t = text.trim().to_lowercase();
    let openers = [
        "what ",
        "where ",
        "when ",
        "how ",
        "which ",
        "who ",
        "can ",
        "could ",
        "do ",
        "does ",
        "is ",
        "are ",
        "will ",
        "would ",
        "please ",
        "i want ",
        "i'd like ",
        "i need ",
    ];
    let question = t.ends_with('?') || openers.iter().any(|o| t.starts_with(o));
    if question && score.abs() < EN_PLAIN_QUESTION_MAX && !t.contains('!') {
        score * EN_PLAIN_QUESTION_SCALE
    } else {
        score
    }
}

impl SentimentAnalyzer {
    /// English rules plus the Chinese model shipped in `zh_model.bin`.
    pub fn new() -> Result<Self, SentimentError> {
        Ok(SentimentAnalyzer {
            en: en::EnglishScorer::new(),
            zh: zh::ZhModel::embedded()?,
        })
    }

    /// With another Chinese model (e.g. one just trained).
    pub fn with_zh_model(zh: zh::ZhModel) -> Self {
        SentimentAnalyzer {
            en: en::EnglishScorer::new(),
            zh,
        }
    }

    /// The sentiment of `text`, read as `lang`.
    pub fn score(&self, text: &str, lang: Language) -> Sentiment {
        match lang {
            Language::En => {
                Sentiment::from_score(calibrate_en(self.en.score(text), text), EN_NEUTRAL_BAND)
            }
            Language::Zh => {
                let normalized = normalize(text);
                let score = calibrate_zh(self.zh.score(&normalized), &normalized);
                Sentiment::from_score(score, ZH_NEUTRAL_BAND)
            }
        }
    }

    /// The sentiment of `text` in the language its script shows (English by default).
    pub fn score_detect(&self, text: &str) -> Sentiment {
        let lang = detect_language(text, Language::En);
        self.score(text, lang)
    }
}

/// The mood of a conversation from a customer's recent message scores (oldest first).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConversationMood {
    /// Mean score over the last [`ConversationMood::WINDOW`] messages (0 with none).
    pub mean: f32,
    /// Least-squares slope of the score per message over the same window: negative means
    /// the conversation is getting worse (0 with fewer than two messages).
    pub trend: f32,
    /// Number of messages the figures are based on.
    pub n: usize,
}

impl ConversationMood {
    /// How many of the most recent messages count.
    pub const WINDOW: usize = 10;

    /// Mood over the last `WINDOW` of `scores` (oldest first).
    pub fn from_scores(scores: &[f32]) -> ConversationMood {
        let recent = &scores[scores.len().saturating_sub(Self::WINDOW)..];
        let n = recent.len();
        if n == 0 {
            return ConversationMood {
                mean: 0.0,
                trend: 0.0,
                n: 0,
            };
        }
        let mean = recent.iter().sum::<f32>() / n as f32;
        let x_mean = (n as f32 - 1.0) / 2.0;
        let (mut sxy, mut sxx) = (0.0f32, 0.0f32);
        for (i, &y) in recent.iter().enumerate() {
            let dx = i as f32 - x_mean;
            sxy += dx * (y - mean);
            sxx += dx * dx;
        }
        let trend = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        ConversationMood { mean, trend, n }
    }

    /// True when the mood is negative and getting worse.
    pub fn is_deteriorating(&self) -> bool {
        self.mean < 0.0 && self.trend < 0.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static ANALYZER: LazyLock<SentimentAnalyzer> =
        LazyLock::new(|| SentimentAnalyzer::new().expect("embedded model loads"));

    fn en(t: &str) -> Sentiment {
        ANALYZER.score(t, Language::En)
    }

    #[test]
    fn analyzer_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SentimentAnalyzer>();
    }

    #[test]
    fn clearly_negative_complaint() {
        let s = en("this is terrible, nothing works");
        assert_eq!(s.label, SentimentLabel::Negative);
        assert!(s.score < -0.5, "{s:?}");
    }

    #[test]
    fn negation_flips_sentiment() {
        let good = en("the delivery was good");
        let not_good = en("the delivery was not good");
        assert!(good.score > 0.3, "{good:?}");
        assert!(not_good.score < 0.0, "{not_good:?}");
        let bad = ANALYZER.score("这个产品很好用", Language::Zh);
        let not_bad = ANALYZER.score("这个产品不好用", Language::Zh);
        assert!(bad.score > not_bad.score, "{bad:?} {not_bad:?}");
        assert_eq!(not_bad.label, SentimentLabel::Negative);
    }

    #[test]
    fn intensity_cues_raise_magnitude() {
        let plain = en("the app is good").score;
        assert!(en("the app is very good").score > plain);
        assert!(en("the app is good!!!").score > plain);
        assert!(en("the app is GOOD").score > plain);
        assert!(en("the app is good 😍").score > plain);
        // "but" shifts the weight to the second clause.
        assert!(en("the price is great but the delivery was awful").score < 0.0);
        assert!(en("it doesn't work at all").score < -0.3);
    }

    #[test]
    fn neutral_and_edge_inputs() {
        assert_eq!(en("").label, SentimentLabel::Neutral);
        assert_eq!(en("my order id is 12345?").label, SentimentLabel::Neutral);
        assert_eq!(en("!!!").label, SentimentLabel::Neutral);
        for s in ["", "   ", "？", "😡"] {
            let z = ANALYZER.score(s, Language::Zh);
            assert!((-1.0..=1.0).contains(&z.score));
        }
    }

    #[test]
    fn chinese_reviews_get_the_right_sign() {
        let pos = ANALYZER.score("质量很好，物流也快，非常满意", Language::Zh);
        let neg = ANALYZER.score("质量太差了，用了两天就坏了，很失望", Language::Zh);
        assert_eq!(pos.label, SentimentLabel::Positive, "{pos:?}");
        assert_eq!(neg.label, SentimentLabel::Negative, "{neg:?}");
        assert_eq!(
            ANALYZER.score_detect("太失望了").label,
            SentimentLabel::Negative
        );
    }

    #[test]
    fn odd_inputs_never_panic_and_stay_in_range() {
        use rand::{Rng, SeedableRng};
        let pool = [
            "not",
            "never",
            "but",
            "BUT",
            "at",
            "least",
            "very",
            "kind",
            "of",
            "without",
            "doubt",
            "so",
            "this",
            "good",
            "GREAT",
            "awful",
            "n't",
            "!!",
            "?",
            "😡",
            "😍",
            "差",
            "好",
            "不",
            "'",
            "-",
            "sort of",
            "the shit",
            "yeah right",
            "",
        ];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        for _ in 0..2000 {
            let n = rng.gen_range(0..8);
            let text: Vec<&str> = (0..n).map(|_| pool[rng.gen_range(0..pool.len())]).collect();
            let text = text.join(" ");
            for lang in [Language::En, Language::Zh] {
                let s = ANALYZER.score(&text, lang);
                assert!((-1.0..=1.0).contains(&s.score), "{text:?}: {s:?}");
            }
        }
    }

    #[test]
    fn mood_tracks_mean_and_trend() {
        let m = ConversationMood::from_scores(&[0.5, 0.2, -0.1, -0.6]);
        assert!(m.trend < 0.0 && m.is_deteriorating() == (m.mean < 0.0));
        assert!((m.mean - 0.0).abs() < 1e-6);
        let up = ConversationMood::from_scores(&[-0.5, 0.0, 0.5]);
        assert!((up.trend - 0.5).abs() < 1e-6);
        let one = ConversationMood::from_scores(&[0.3]);
        assert_eq!((one.mean, one.trend, one.n), (0.3, 0.0, 1));
        assert_eq!(ConversationMood::from_scores(&[]).n, 0);
        let long: Vec<f32> = (0..30).map(|i| if i < 20 { 1.0 } else { -1.0 }).collect();
        assert_eq!(ConversationMood::from_scores(&long).mean, -1.0);
    }
}

#[cfg(test)]
mod chinese_scale {
    use super::*;

    #[test]
    fn plain_chinese_questions_are_not_angry_but_complaints_are() {
        let a = SentimentAnalyzer::new().unwrap();
        for q in ["我的订单在哪里？", "请问怎么退货", "你好"] {
            let s = a.score(q, Language::Zh).score;
            assert!(s > -0.4, "{q}: {s}");
        }
        let s = a
            .score("太差了，质量糟糕透了，非常失望，再也不买了", Language::Zh)
            .score;
        assert!(s < -0.6, "{s}");
    }
}
