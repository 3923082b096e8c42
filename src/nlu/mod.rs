//! Natural-language understanding: what a chat message asks for (intent), which values it
//! carries (entities) and which language it is in, so the engine can answer or act.
//!
//! Pipeline: normalize (NFKC, lowercase, full-width → half-width) → detect the language by
//! script → regex rules from the intents files → otherwise a TF-IDF + softmax-regression
//! classifier ([`classifier`]) trained at load on the intents files' examples, with a learned
//! out-of-scope class and calibrated probabilities → entities by rules and the catalogue.

pub mod classifier;
pub mod entities;
mod error;
pub mod eval;
mod intents_file;
pub mod mlp;
pub mod synonyms;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::domain::Language;
use classifier::{TextClassifier, TrainConfig};
pub use entities::{Entity, EntityKind};
pub use error::NluError;
use intents_file::{LanguageKey, LanguageSpec};

/// Who an intent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Staff,
}

/// What a message asks for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Greeting,
    Goodbye,
    Thanks,
    Help,
    OrderStatus,
    DeliveryProblem,
    ReturnItem,
    RefundRequest,
    CancelSubscription,
    BillingQuestion,
    PaymentFailed,
    ChangePlan,
    Pricing,
    AccountAccess,
    UpdateDetails,
    Complaint,
    ProductQuestion,
    Praise,
    HumanAgent,
    DeleteMyData,
    Affirm,
    Deny,
    AtRisk,
    CustomerLookup,
    SegmentSummary,
    KpiReport,
    OpenTickets,
    ChurnReport,
}

impl Intent {
    /// Every intent, customer intents first.
    pub const ALL: &[Intent] = &[
        Intent::Greeting,
        Intent::Goodbye,
        Intent::Thanks,
        Intent::Help,
        Intent::OrderStatus,
        Intent::DeliveryProblem,
        Intent::ReturnItem,
        Intent::RefundRequest,
        Intent::CancelSubscription,
        Intent::BillingQuestion,
        Intent::PaymentFailed,
        Intent::ChangePlan,
        Intent::Pricing,
        Intent::AccountAccess,
        Intent::UpdateDetails,
        Intent::Complaint,
        Intent::ProductQuestion,
        Intent::Praise,
        Intent::HumanAgent,
        Intent::DeleteMyData,
        Intent::Affirm,
        Intent::Deny,
        Intent::AtRisk,
        Intent::CustomerLookup,
        Intent::SegmentSummary,
        Intent::KpiReport,
        Intent::OpenTickets,
        Intent::ChurnReport,
    ];

    /// The snake_case name used in intents files and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Greeting => "greeting",
            Intent::Goodbye => "goodbye",
            Intent::Thanks => "thanks",
            Intent::Help => "help",
            Intent::OrderStatus => "order_status",
            Intent::DeliveryProblem => "delivery_problem",
            Intent::ReturnItem => "return_item",
            Intent::RefundRequest => "refund_request",
            Intent::CancelSubscription => "cancel_subscription",
            Intent::BillingQuestion => "billing_question",
            Intent::PaymentFailed => "payment_failed",
            Intent::ChangePlan => "change_plan",
            Intent::Pricing => "pricing",
            Intent::AccountAccess => "account_access",
            Intent::UpdateDetails => "update_details",
            Intent::Complaint => "complaint",
            Intent::ProductQuestion => "product_question",
            Intent::Praise => "praise",
            Intent::HumanAgent => "human_agent",
            Intent::DeleteMyData => "delete_my_data",
            Intent::Affirm => "affirm",
            Intent::Deny => "deny",
            Intent::AtRisk => "at_risk",
            Intent::CustomerLookup => "customer_lookup",
            Intent::SegmentSummary => "segment_summary",
            Intent::KpiReport => "kpi_report",
            Intent::OpenTickets => "open_tickets",
            Intent::ChurnReport => "churn_report",
        }
    }

    /// Parses the snake_case name.
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.iter().copied().find(|i| i.as_str() == name)
    }

    /// Whether customers or staff ask this.
    pub fn role(self) -> Role {
        match self {
            Intent::AtRisk
            | Intent::CustomerLookup
            | Intent::SegmentSummary
            | Intent::KpiReport
            | Intent::OpenTickets
            | Intent::ChurnReport => Role::Staff,
            _ => Role::Customer,
        }
    }
}

impl std::fmt::Display for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the bot is of what a message means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Understanding {
    /// The top intent is likely enough and clearly ahead of the next.
    Confident(Intent),
    /// The top two intents are within the ambiguity margin: ask which one.
    Ambiguous(Intent, Intent),
    /// The top intent is below the confidence threshold.
    Unsure,
    /// The message is about something the bot does not handle.
    OutOfScope,
}

/// The result of understanding one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parse {
    pub language: Language,
    pub normalized: String,
    /// Up to three intents with their probability, best first.
    pub ranked: Vec<(Intent, f32)>,
    pub understanding: Understanding,
    pub entities: Vec<Entity>,
}

impl Parse {
    /// The intent, only when the understanding is `Confident`.
    pub fn intent(&self) -> Option<Intent> {
        match self.understanding {
            Understanding::Confident(i) => Some(i),
            _ => None,
        }
    }

    /// Probability of the top-ranked intent (0 when there is none).
    pub fn confidence(&self) -> f32 {
        self.ranked.first().map_or(0.0, |(_, p)| *p)
    }
}

/// Tuning of the understanding decisions; embedded in the config file under `[nlu]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NluSettings {
    /// Below this probability of the top intent the message is `Unsure` (0..1).
    pub confidence_threshold: f32,
    /// When the top two intents' probabilities differ by less than this, the message is
    /// `Ambiguous` (0..1).
    pub ambiguity_margin: f32,
    /// Language assumed for messages without letters (empty, digits, emoji only).
    pub default_language: Language,
}

impl Default for NluSettings {
    fn default() -> Self {
        NluSettings {
            confidence_threshold: 0.35,
            ambiguity_margin: 0.08,
            default_language: Language::En,
        }
    }
}

/// A classifier class: an intent, or the learned out-of-scope class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Intent(Intent),
    OutOfScope,
}

#[derive(Debug)]
struct LanguageModel {
    classifier: TextClassifier<Label>,
    patterns: Vec<(Regex, Intent)>,
    replies: BTreeMap<Intent, Vec<String>>,
    expected: BTreeMap<Intent, Vec<EntityKind>>,
}

/// The trained understanding of every language in the intents files. Immutable after
/// `load`, so it is `Send + Sync` and can be shared with an `Arc`.
#[derive(Debug)]
pub struct Nlu {
    settings: NluSettings,
    models: Vec<(Language, LanguageModel)>,
    /// (normalized name, catalogue name), longest first.
    products: Vec<(String, String)>,
    n_examples: usize,
}

/// Training settings for the product intents: small data, so more epochs are cheap.
const PRODUCT_TRAINING: TrainConfig = TrainConfig {
    epochs: 30,
    learning_rate: 1.0,
    decay: 0.2,
    l2: 1e-5,
    seed: 7,
    loss: classifier::Loss::Softmax,
    word_weight: classifier::WORD_BLOCK_WEIGHT,
    average: false,
    mlp: None,
    mlp_weight: 0.0,
};

impl Nlu {
    /// Reads and validates `dir/*.toml`, then trains one classifier per language.
    pub fn load(dir: &Path, settings: NluSettings, products: &[String]) -> Result<Nlu, NluError> {
        let specs = intents_file::load_dir(dir)?;
        Self::from_specs(specs, dir, settings, products)
    }

    /// The intents shipped inside the binary (a copy of the repository's `intents/`), for
    /// a `crmbot` run away from its source tree.
    pub fn load_embedded(settings: NluSettings, products: &[String]) -> Result<Nlu, NluError> {
        const FILES: [(&str, &str); 2] = [
            ("intents/en.toml", include_str!("../../intents/en.toml")),
            ("intents/zh.toml", include_str!("../../intents/zh.toml")),
        ];
        let mut specs = std::collections::BTreeMap::new();
        for (name, text) in FILES {
            intents_file::load_file(Path::new(name), text, &mut specs)?;
        }
        Self::from_specs(specs, Path::new("intents (embedded)"), settings, products)
    }

    fn from_specs(
        specs: std::collections::BTreeMap<intents_file::LanguageKey, intents_file::LanguageSpec>,
        dir: &Path,
        settings: NluSettings,
        products: &[String],
    ) -> Result<Nlu, NluError> {
        let mut models = Vec::new();
        let mut n_examples = 0;
        for (LanguageKey(lang), spec) in specs {
            n_examples += spec
                .intents
                .values()
                .map(|i| i.examples.len())
                .sum::<usize>()
                + spec.out_of_scope.len();
            if let Some(model) = train_language(lang, &spec) {
                models.push((lang, model));
            }
        }
        if models.is_empty() {
            return Err(NluError::NoIntentFiles {
                dir: dir.to_path_buf(),
            });
        }
        let mut products: Vec<(String, String)> = products
            .iter()
            .map(|p| (text::normalize(p), p.clone()))
            .filter(|(n, _)| !n.is_empty())
            .collect();
        products.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(Nlu {
            settings,
            models,
            products,
            n_examples,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &NluSettings {
        &self.settings
    }

    /// Number of training examples read from the intents files (all languages).
    pub fn n_examples(&self) -> usize {
        self.n_examples
    }

    /// Languages that have intents.
    pub fn languages(&self) -> Vec<Language> {
        self.models.iter().map(|(l, _)| *l).collect()
    }

    fn model(&self, lang: Language) -> Option<&LanguageModel> {
        self.models
            .iter()
            .find(|(l, _)| *l == lang)
            .or_else(|| self.models.first())
            .map(|(_, m)| m)
    }

    /// Understands one message.
    pub fn parse(&self, text: &str) -> Parse {
        let normalized = text::normalize(text);
        let language = text::detect_language(&normalized, self.settings.default_language);
        let entities = entities::extract(&normalized, &self.products);
        let normalized = match language {
            Language::En => text::without_filler(&normalized).to_owned(),
            Language::Zh => normalized,
        };
        let mut parse = Parse {
            language,
            normalized,
            ranked: Vec::new(),
            understanding: Understanding::Unsure,
            entities,
        };
        let Some(model) = self.model(language) else {
            return parse;
        };
        if !parse.normalized.chars().any(char::is_alphanumeric) {
            return parse;
        }
        let rule = model
            .patterns
            .iter()
            .find(|(re, _)| re.is_match(&parse.normalized))
            .map(|(_, i)| *i);
        let mut feats = Vec::new();
        text::features(&parse.normalized, language, &mut feats);
        let mut probs = Vec::new();
        let known = model.classifier.proba(&feats, &mut probs);
        let labels = model.classifier.labels();
        let mut ranked: Vec<(Intent, f32)> = labels
            .iter()
            .zip(&probs)
            .filter_map(|(l, &p)| match l {
                Label::Intent(i) => Some((*i, p)),
                Label::OutOfScope => None,
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let p_oos = labels
            .iter()
            .zip(&probs)
            .find(|(l, _)| **l == Label::OutOfScope)
            .map_or(0.0, |(_, p)| *p);
        if let Some(intent) = rule {
            ranked.retain(|(i, _)| *i != intent);
            ranked.insert(0, (intent, 1.0));
            ranked.truncate(3);
            parse.ranked = ranked;
            parse.understanding = Understanding::Confident(intent);
            return parse;
        }
        ranked.truncate(3);
        let (top, p1) = ranked.first().copied().unwrap_or((Intent::Help, 0.0));
        let second = ranked.get(1).copied();
        let p2 = second.map_or(0.0, |r| r.1);
        parse.understanding = if known == 0 || p_oos >= p1 {
            Understanding::OutOfScope
        } else if p1 < self.settings.confidence_threshold {
            Understanding::Unsure
        } else if let Some((runner_up, _)) = second
            && p1 - p2 < self.settings.ambiguity_margin
        {
            Understanding::Ambiguous(top, runner_up)
        } else {
            Understanding::Confident(top)
        };
        parse.ranked = ranked;
        parse
    }

    /// The first reply template for an intent in a language (falls back to the other
    /// language's template when this one has none).
    pub fn reply(&self, intent: Intent, lang: Language) -> Option<&str> {
        self.reply_seeded(intent, lang, 0)
    }

    /// A reply template chosen by `seed` among the intent's templates, so replies vary.
    pub fn reply_seeded(&self, intent: Intent, lang: Language, seed: u64) -> Option<&str> {
        fn pick(m: &LanguageModel, intent: Intent, seed: u64) -> Option<&str> {
            m.replies
                .get(&intent)
                .filter(|r| !r.is_empty())
                .map(|r| r[(seed % r.len() as u64) as usize].as_str())
        }
        self.models
            .iter()
            .find(|(l, _)| *l == lang)
            .and_then(|(_, m)| pick(m, intent, seed))
            .or_else(|| self.models.iter().find_map(|(_, m)| pick(m, intent, seed)))
    }

    /// The entities the intents file says an intent needs (e.g. `order_id` for
    /// `order_status`), so the engine can ask for a missing one.
    pub fn expected_entities(&self, intent: Intent, lang: Language) -> &[EntityKind] {
        self.model(lang)
            .and_then(|m| m.expected.get(&intent))
            .map_or(&[], Vec::as_slice)
    }
}

fn train_language(lang: Language, spec: &LanguageSpec) -> Option<LanguageModel> {
    let mut docs = Vec::new();
    let mut ys = Vec::new();
    for (intent, is) in &spec.intents {
        for ex in &is.examples {
            let mut f = Vec::new();
            text::features(&text::normalize(ex), lang, &mut f);
            docs.push(f);
            ys.push(Label::Intent(*intent));
        }
    }
    for ex in &spec.out_of_scope {
        let mut f = Vec::new();
        text::features(&text::normalize(ex), lang, &mut f);
        docs.push(f);
        ys.push(Label::OutOfScope);
    }
    if docs.is_empty() {
        return None;
    }
    let classifier = TextClassifier::train(&docs, &ys, &PRODUCT_TRAINING, true);
    let mut patterns = Vec::new();
    let mut replies = BTreeMap::new();
    let mut expected = BTreeMap::new();
    for (intent, is) in &spec.intents {
        patterns.extend(is.patterns.iter().map(|re| (re.clone(), *intent)));
        replies.insert(*intent, is.replies.clone());
        expected.insert(*intent, is.entities.clone());
    }
    Some(LanguageModel {
        classifier,
        patterns,
        replies,
        expected,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    fn committed_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("intents")
    }

    static NLU: LazyLock<Nlu> = LazyLock::new(|| {
        Nlu::load(
            &committed_dir(),
            NluSettings::default(),
            &["Pro Plan".to_string(), "降噪耳机".to_string()],
        )
        .expect("the committed intents load")
    });

    #[test]
    fn nlu_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Nlu>();
        // Debug output stays small (it must not dump the weights into a log).
        assert!(format!("{:?}", *NLU).len() < 20_000);
    }

    #[test]
    fn committed_intents_cover_every_intent_in_both_languages() {
        let specs = intents_file::load_dir(&committed_dir()).unwrap();
        for lang in [Language::En, Language::Zh] {
            let spec = &specs[&LanguageKey(lang)];
            for intent in Intent::ALL {
                let n = spec.intents.get(intent).map_or(0, |s| s.examples.len());
                assert!(n >= 20, "{} {intent}: only {n} examples", lang.as_str());
            }
            assert!(!spec.out_of_scope.is_empty());
        }
        assert_eq!(NLU.languages().len(), 2);
    }

    #[test]
    fn chinese_message_is_detected_and_understood() {
        let p = NLU.parse("我买的东西到哪里了？");
        assert_eq!(p.language, Language::Zh);
        assert_eq!(p.ranked[0].0, Intent::OrderStatus, "{p:?}");
        let p = NLU.parse("今天谁有流失风险");
        assert_eq!(p.intent(), Some(Intent::AtRisk), "{p:?}");
        let p = NLU.parse("我想退款，订单号 A1234");
        assert_eq!(p.intent(), Some(Intent::RefundRequest), "{p:?}");
        assert_eq!(p.entities, vec![Entity::OrderId("A1234".into())]);
    }

    #[test]
    fn english_with_typos_resolves() {
        let p = NLU.parse("wher is my oder");
        assert_eq!(p.language, Language::En);
        assert_eq!(p.intent(), Some(Intent::OrderStatus), "{p:?}");
        let p = NLU.parse("i forgot my pasword and cant log in");
        assert_eq!(p.intent(), Some(Intent::AccountAccess), "{p:?}");
    }

    #[test]
    fn out_of_scope_messages_are_not_claimed() {
        for text in [
            "what's the weather on mars",
            "火星上的天气怎么样",
            "zxqv blorp",
        ] {
            let p = NLU.parse(text);
            assert_eq!(p.understanding, Understanding::OutOfScope, "{text}: {p:?}");
            assert_eq!(p.intent(), None);
        }
    }

    #[test]
    fn staff_commands_and_entities() {
        let p = NLU.parse("Show customer 42");
        assert_eq!(p.intent(), Some(Intent::CustomerLookup));
        assert_eq!(p.entities, vec![Entity::CustomerRef("42".into())]);
        assert_eq!(p.confidence(), 1.0);
        let p = NLU.parse("Is the PRO PLAN waterproof?");
        assert!(
            p.entities.contains(&Entity::Product("Pro Plan".into())),
            "{p:?}"
        );
        let p = NLU.parse("ｈｅｌｌｏ！");
        assert_eq!(p.normalized, "hello!");
        assert_eq!(p.intent(), Some(Intent::Greeting));
        assert!(p.ranked.len() <= 3);
    }

    #[test]
    fn thresholds_turn_weak_guesses_into_unsure() {
        let strict = NluSettings {
            confidence_threshold: 0.999,
            ..NluSettings::default()
        };
        let nlu = Nlu::load(&committed_dir(), strict, &[]).unwrap();
        let p = nlu.parse("my parcel is somewhere, also the bill looks odd");
        assert!(
            matches!(
                p.understanding,
                Understanding::Unsure | Understanding::OutOfScope
            ),
            "{p:?}"
        );
        let empty = NLU.parse("   ");
        assert_eq!(empty.understanding, Understanding::Unsure);
        assert_eq!(empty.language, Language::En);
    }

    #[test]
    fn replies_exist_in_both_languages() {
        for intent in [
            Intent::Greeting,
            Intent::Goodbye,
            Intent::Thanks,
            Intent::Help,
        ] {
            for lang in [Language::En, Language::Zh] {
                assert!(NLU.reply(intent, lang).is_some(), "{intent} {lang:?}");
            }
        }
        assert!(
            NLU.reply(Intent::Greeting, Language::Zh)
                .unwrap()
                .contains('好')
        );
        assert_eq!(
            NLU.expected_entities(Intent::OrderStatus, Language::En),
            &[EntityKind::OrderId]
        );
    }

    fn load_err(file: &str, body: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), body).unwrap();
        Nlu::load(dir.path(), NluSettings::default(), &[])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn invalid_intents_files_name_file_intent_and_problem() {
        let e = load_err(
            "en.toml",
            "language = \"en\"\n[[intent]]\nname = \"greting\"\nexamples = [\"hi\"]\n",
        );
        assert!(
            e.contains("en.toml") && e.contains("greting") && e.contains("unknown intent"),
            "{e}"
        );
        let e = load_err(
            "a.toml",
            "language = \"en\"\n[[intent]]\nname = \"thanks\"\nexamples = [\"ty\"]\n[[intent]]\nname = \"thanks\"\nexamples = [\"thx\"]\n",
        );
        assert!(
            e.contains("a.toml") && e.contains("thanks") && e.contains("duplicate"),
            "{e}"
        );
        let e = load_err(
            "b.toml",
            "language = \"zh\"\n[[intent]]\nname = \"help\"\nexamples = []\n",
        );
        assert!(
            e.contains("b.toml") && e.contains("help") && e.contains("no examples"),
            "{e}"
        );
        let e = load_err(
            "c.toml",
            "language = \"en\"\n[[intent]]\nname = \"deny\"\nexamples = [\"no\"]\npatterns = ['^(no']\n",
        );
        assert!(
            e.contains("c.toml") && e.contains("deny") && e.contains("invalid regex"),
            "{e}"
        );
        let e = load_err(
            "d.toml",
            "language = \"en\"\n[[intent]]\nname = \"order_status\"\nexamples = [\"where\"]\nentities = [\"order_number\"]\n",
        );
        assert!(
            e.contains("d.toml") && e.contains("order_status") && e.contains("unknown entity"),
            "{e}"
        );
        let e = load_err(
            "e.toml",
            "language = \"en\"\n[[intent]]\nname = \"at_risk\"\nrole = \"customer\"\nexamples = [\"who\"]\n",
        );
        assert!(
            e.contains("e.toml") && e.contains("at_risk") && e.contains("role"),
            "{e}"
        );
        let e = load_err("f.toml", "language = \"fr\"\n");
        assert!(e.contains("f.toml") && e.contains("fr"), "{e}");
        let e = load_err(
            "g.toml",
            "language = \"en\"\n[[intent]]\nname = \"help\"\nexampels = [\"x\"]\n",
        );
        assert!(e.contains("g.toml") && e.contains("exampels"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = Nlu::load(dir.path(), NluSettings::default(), &[]).unwrap_err();
        assert!(matches!(e, NluError::NoIntentFiles { .. }));
    }

    #[test]
    fn a_single_intent_file_works_with_any_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("en.toml"),
            "language = \"en\"\n[[intent]]\nname = \"thanks\"\nexamples = [\"thanks\", \"thank you\"]\n",
        )
        .unwrap();
        let loose = NluSettings {
            confidence_threshold: 0.0,
            ambiguity_margin: 1.0,
            default_language: Language::Zh,
        };
        let nlu = Nlu::load(dir.path(), loose, &[]).unwrap();
        assert_eq!(nlu.parse("thank you").intent(), Some(Intent::Thanks));
        // No Chinese intents: Chinese text falls back to the English model.
        assert_eq!(nlu.parse("谢谢").language, Language::Zh);
        assert_eq!(nlu.parse("42").language, Language::Zh);
    }

    #[test]
    fn odd_inputs_never_panic() {
        use rand::{Rng, SeedableRng};
        let pool = [
            "#",
            "order",
            "customer",
            "客户",
            "订单",
            "$",
            "¥",
            "12",
            "3.5",
            "元",
            "@",
            "a@b.co",
            "+1",
            "555",
            "-",
            "yesterday",
            "3 days ago",
            "上周",
            "！",
            "😀",
            "ｆｕｌｌ",
            "\u{200b}",
            "\t",
            "wher",
            "oder",
            " ",
        ];
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        for _ in 0..2000 {
            let n = rng.gen_range(0..8);
            let text: String = (0..n).map(|_| pool[rng.gen_range(0..pool.len())]).collect();
            let p = NLU.parse(&text);
            assert!(p.ranked.len() <= 3);
            assert!((0.0..=1.0).contains(&p.confidence()), "{text:?}");
        }
    }

    #[test]
    fn settings_reject_unknown_keys_and_default_the_rest() {
        let s: NluSettings = toml::from_str("confidence_threshold = 0.5").unwrap();
        assert_eq!(s.confidence_threshold, 0.5);
        assert_eq!(s.ambiguity_margin, NluSettings::default().ambiguity_margin);
        assert!(toml::from_str::<NluSettings>("treshold = 0.5").is_err());
    }
}
