//! The help centre: articles the operator writes (`intents/help/<lang>/*.md`), loaded and
//! validated at start, and the retrieval that finds the article answering a question.
//!
//! Retrieval blends two views of each article, as Rasa's ResponseSelector does with its
//! retrieval intents: a classifier trained on the articles' example questions (the same
//! TF-IDF + softmax learner as the intents) and BM25 over title, tags, examples and body
//! ([`bm25`]). The blended score against calibrated thresholds says answer, offer the two
//! best titles, or admit that no article fits. No I/O after loading.

pub mod article;
pub mod bm25;
mod load;
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::domain::Language;
use crate::nlu::classifier::{Loss, TextClassifier, TrainConfig, WORD_BLOCK_WEIGHT};
use crate::nlu::text;

pub use article::{Article, ArticleError, FactKind};
use bm25::{Bm25, WeightedTerms};

/// Retrieval thresholds; the config file's `[help]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpSettings {
    /// Folder with `en/*.md` and `zh/*.md`; the articles built into crmbot when the
    /// default folder is missing.
    pub dir: std::path::PathBuf,
    /// Blended score (0..1) from which the best article is the answer.
    pub answer_threshold: f32,
    /// Blended score from which the two best titles are offered as buttons.
    pub suggest_threshold: f32,
}

impl Default for HelpSettings {
    fn default() -> Self {
        HelpSettings {
            dir: std::path::PathBuf::from("intents/help"),
            answer_threshold: 0.3,
            suggest_threshold: 0.12,
        }
    }
}

/// Weight of the classifier's probability in the blended score (BM25 gets the rest).
const CLASSIFIER_WEIGHT: f32 = 0.6;
/// BM25 score at which its share of the blend is one half.
const BM25_HALF: f32 = 6.0;

/// Field weights: a word in the title or tags says more about the topic than one in the
/// body.
const TITLE_WEIGHT: f32 = 3.0;
const TAG_WEIGHT: f32 = 2.0;
const EXAMPLE_WEIGHT: f32 = 1.0;
const BODY_WEIGHT: f32 = 0.5;

const ARTICLE_TRAINING: TrainConfig = TrainConfig {
    epochs: 30,
    learning_rate: 1.0,
    decay: 0.2,
    l2: 1e-5,
    seed: 11,
    loss: Loss::Softmax,
    word_weight: WORD_BLOCK_WEIGHT,
    average: false,
    mlp: None,
    mlp_weight: 0.0,
};

/// The articles of one language and their two indexes.
#[derive(Debug)]
struct Shelf {
    language: Language,
    articles: Vec<Article>,
    bm25: Bm25,
    classifier: TextClassifier<usize>,
}

/// What retrieval decided for one question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict<'a> {
    /// This article answers it.
    Answer(&'a Article),
    /// One of these two, probably: ask.
    Choose(&'a Article, &'a Article),
    /// No article fits.
    Nothing,
}

/// Retrieval result: the verdict and the best articles with their blended scores.
#[derive(Debug, Clone)]
pub struct Retrieval<'a> {
    pub verdict: Verdict<'a>,
    pub ranked: Vec<(&'a Article, f32)>,
}

impl Retrieval<'_> {
    /// Blended score of the best article (0 when none).
    pub fn top_score(&self) -> f32 {
        self.ranked.first().map_or(0.0, |(_, s)| *s)
    }
}

/// The loaded help centre. Immutable; share it with an `Arc`.
#[derive(Debug)]
pub struct HelpCentre {
    settings: HelpSettings,
    shelves: Vec<Shelf>,
}

impl HelpCentre {
    /// Builds the indexes over validated articles.
    pub fn new(articles: Vec<Article>, settings: HelpSettings) -> HelpCentre {
        let mut shelves: Vec<Shelf> = Vec::new();
        for lang in [Language::En, Language::Zh] {
            let mine: Vec<Article> = articles
                .iter()
                .filter(|a| a.language == lang)
                .cloned()
                .collect();
            if !mine.is_empty() {
                shelves.push(Shelf::build(lang, mine));
            }
        }
        HelpCentre { settings, shelves }
    }

    /// Reads `dir/en/*.md` and `dir/zh/*.md`.
    pub fn load(dir: &std::path::Path, settings: HelpSettings) -> Result<HelpCentre, ArticleError> {
        Ok(HelpCentre::new(load::load_dir(dir)?, settings))
    }

    /// The articles shipped inside the binary (the repository's `intents/help/`).
    pub fn load_embedded(settings: HelpSettings) -> Result<HelpCentre, ArticleError> {
        Ok(HelpCentre::new(load::load_embedded()?, settings))
    }

    pub fn settings(&self) -> &HelpSettings {
        &self.settings
    }

    /// Number of articles in a language.
    pub fn len(&self, lang: Language) -> usize {
        self.shelf(lang).map_or(0, |s| s.articles.len())
    }

    fn shelf(&self, lang: Language) -> Option<&Shelf> {
        self.shelves.iter().find(|s| s.language == lang)
    }

    /// The article with this id in this language (or the other language's, if only that
    /// one has it).
    pub fn article(&self, id: &str, lang: Language) -> Option<&Article> {
        fn find<'s>(s: &'s Shelf, id: &str) -> Option<&'s Article> {
            s.articles.iter().find(|a| a.id == id)
        }
        self.shelf(lang)
            .and_then(|s| find(s, id))
            .or_else(|| self.shelves.iter().find_map(|s| find(s, id)))
    }

    /// Finds the article answering a normalized question.
    pub fn search(&self, normalized: &str, lang: Language) -> Retrieval<'_> {
        let Some(shelf) = self.shelf(lang) else {
            return Retrieval {
                verdict: Verdict::Nothing,
                ranked: Vec::new(),
            };
        };
        let ranked = shelf.rank(normalized);
        let s = &self.settings;
        let verdict = match ranked.as_slice() {
            [(a, top), ..] if *top >= s.answer_threshold => Verdict::Answer(a),
            [(a, top), (b, _), ..] if *top >= s.suggest_threshold => Verdict::Choose(a, b),
            _ => Verdict::Nothing,
        };
        Retrieval { verdict, ranked }
    }
}

fn weighted(text: &str, lang: Language, weight: f32, out: &mut WeightedTerms) {
    let normalized = text::normalize(text);
    out.extend(
        tokens::terms(&normalized, lang)
            .into_iter()
            .map(|t| (t, weight)),
    );
}

impl Shelf {
    fn build(language: Language, articles: Vec<Article>) -> Shelf {
        let docs: Vec<WeightedTerms> = articles
            .iter()
            .map(|a| {
                let mut d = Vec::new();
                weighted(&a.title, language, TITLE_WEIGHT, &mut d);
                weighted(&a.tags.join(" "), language, TAG_WEIGHT, &mut d);
                for ex in &a.examples {
                    weighted(ex, language, EXAMPLE_WEIGHT, &mut d);
                }
                weighted(&a.body, language, BODY_WEIGHT, &mut d);
                d
            })
            .collect();
        let bm25 = Bm25::build(&docs);
        let mut feats = Vec::new();
        let mut ys = Vec::new();
        for (i, a) in articles.iter().enumerate() {
            for ex in a.examples.iter().chain(std::iter::once(&a.title)) {
                let mut f = Vec::new();
                text::features(&text::normalize(ex), language, &mut f);
                feats.push(f);
                ys.push(i);
            }
        }
        let classifier = TextClassifier::train(&feats, &ys, &ARTICLE_TRAINING, true);
        Shelf {
            language,
            articles,
            bm25,
            classifier,
        }
    }

    /// Articles by blended score, best first (the top five).
    fn rank(&self, normalized: &str) -> Vec<(&Article, f32)> {
        let mut feats = Vec::new();
        text::features(normalized, self.language, &mut feats);
        let mut probs = Vec::new();
        let known = self.classifier.proba(&feats, &mut probs);
        let terms = tokens::terms(normalized, self.language);
        let mut bm = Vec::new();
        self.bm25.scores(&terms, &mut bm);
        if known == 0 && bm.iter().all(|&s| s == 0.0) {
            return Vec::new();
        }
        let labels = self.classifier.labels();
        let mut p_of = vec![0.0; self.articles.len()];
        for (l, p) in labels.iter().zip(&probs) {
            p_of[*l] = *p;
        }
        let mut ranked: Vec<(&Article, f32)> = self
            .articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a, blend(p_of[i], bm[i])))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        ranked.truncate(5);
        ranked
    }
}

/// The blended score: classifier probability and saturated BM25, both in 0..1.
fn blend(p: f32, bm25: f32) -> f32 {
    if bm25 <= 0.0 {
        // No word in common: the classifier alone (its char n-grams) is weak evidence.
        return CLASSIFIER_WEIGHT * p * 0.5;
    }
    CLASSIFIER_WEIGHT * p + (1.0 - CLASSIFIER_WEIGHT) * bm25 / (bm25 + BM25_HALF)
}
