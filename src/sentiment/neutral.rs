//! Calibration check across languages: neutral support questions ("where is my order?",
//! "我要找人工客服") must score about 0 in English and in Chinese, or a customer who
//! writes Chinese looks angrier to the churn model than one who writes English. The sets
//! ship in the binary (`neutral_en.txt`, `neutral_zh.txt`, one question a line);
//! `crmbot eval neutral` reports their mean score and the share scored negative.

use serde::Serialize;

use super::{SentimentAnalyzer, SentimentLabel};
use crate::domain::Language;

/// Neutral English support questions.
pub const NEUTRAL_EN: &str = include_str!("neutral_en.txt");
/// Neutral Chinese support questions.
pub const NEUTRAL_ZH: &str = include_str!("neutral_zh.txt");

/// How a set of neutral texts scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeutralReport {
    pub language: Language,
    pub n: usize,
    /// Mean score (0 is ideal).
    pub mean: f64,
    /// Mean absolute score.
    pub mean_abs: f64,
    /// Share labelled negative.
    pub share_negative: f64,
    /// Share below the churn features' "negative message" cut-off.
    pub share_below_feature_cutoff: f64,
}

/// Scores every non-empty line of `text` as `language`.
pub fn neutral_report(
    analyzer: &SentimentAnalyzer,
    text: &str,
    language: Language,
) -> NeutralReport {
    let scores: Vec<(f32, SentimentLabel)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let s = analyzer.score(l, language);
            (s.score, s.label)
        })
        .collect();
    let n = scores.len().max(1) as f64;
    NeutralReport {
        language,
        n: scores.len(),
        mean: scores.iter().map(|s| f64::from(s.0)).sum::<f64>() / n,
        mean_abs: scores.iter().map(|s| f64::from(s.0.abs())).sum::<f64>() / n,
        share_negative: scores
            .iter()
            .filter(|s| s.1 == SentimentLabel::Negative)
            .count() as f64
            / n,
        share_below_feature_cutoff: scores
            .iter()
            .filter(|s| s.0 < crate::models::features::NEGATIVE_SENTIMENT)
            .count() as f64
            / n,
    }
}

/// Both shipped sets.
pub fn shipped_reports(analyzer: &SentimentAnalyzer) -> [NeutralReport; 2] {
    [
        neutral_report(analyzer, NEUTRAL_EN, Language::En),
        neutral_report(analyzer, NEUTRAL_ZH, Language::Zh),
    ]
}

impl std::fmt::Display for NeutralReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} neutral questions, mean score {:+.3} (mean |score| {:.3}), {:.0}% labelled negative, {:.0}% below the negative-message cut-off",
            self.language.as_str(),
            self.n,
            self.mean,
            self.mean_abs,
            100.0 * self.share_negative,
            100.0 * self.share_below_feature_cutoff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_questions_score_about_zero_in_both_languages() {
        let analyzer = SentimentAnalyzer::new().unwrap();
        for r in shipped_reports(&analyzer) {
            assert!(r.n >= 30, "{r}");
            assert!(r.mean.abs() < 0.05 && r.mean_abs < 0.08, "{r}");
            assert_eq!(r.share_negative, 0.0, "{r}");
            assert_eq!(r.share_below_feature_cutoff, 0.0, "{r}");
        }
    }
}
