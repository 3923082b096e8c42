//! English sentiment by lexicon and rules: VADER (Hutto & Gilbert 2014) through the
//! `vader_sentiment` crate, which handles negation, intensifiers, "but" clauses, ALL CAPS,
//! exclamation marks and emoji.
//!
//! VADER's lexicon was built from social-media text and misses many words customers use
//! about products and service ("flimsy", "buggy", "works", "refund"), and most inflected
//! forms of its entries ("disappoints", "frustrates"). Both gaps leave messages scored 0.
//! This module extends the lexicon with a small customer-service vocabulary and with
//! regular inflections of existing entries; the rules are VADER's, unchanged.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use unicase::UniCase;
use unicode_normalization::UnicodeNormalization;
use vader_sentiment::SentimentIntensityAnalyzer;

/// Product and customer-service words missing from VADER's lexicon, valence on its −4..4
/// scale.
const SUPPLEMENT: &[(&str, f64)] = &[
    ("works", 1.2),
    ("worked", 1.0),
    ("working", 0.8),
    ("reliable", 1.8),
    ("sturdy", 1.6),
    ("durable", 1.6),
    ("recommend", 1.5),
    ("affordable", 1.3),
    ("fast", 0.9),
    ("quick", 0.8),
    ("quickly", 0.8),
    ("smooth", 1.2),
    ("seamless", 1.5),
    ("intuitive", 1.5),
    ("responsive", 1.2),
    ("helpful", 1.8),
    ("solid", 1.2),
    ("flawless", 2.5),
    ("flawlessly", 2.5),
    ("worth", 1.2),
    ("bargain", 1.5),
    ("refund", -0.8),
    ("refunded", -0.3),
    ("return", -0.3),
    ("returned", -0.8),
    ("returning", -0.8),
    ("flimsy", -1.8),
    ("overpriced", -1.8),
    ("unreliable", -1.9),
    ("buggy", -1.8),
    ("bugs", -1.2),
    ("glitch", -1.3),
    ("glitches", -1.3),
    ("glitchy", -1.6),
    ("crash", -1.5),
    ("crashes", -1.7),
    ("crashed", -1.7),
    ("crashing", -1.7),
    ("laggy", -1.5),
    ("lag", -1.0),
    ("slow", -1.0),
    ("unusable", -2.3),
    ("useless", -2.0),
    ("junk", -2.2),
    ("garbage", -2.3),
    ("cheaply", -1.4),
    ("defect", -1.7),
    ("defects", -1.7),
    ("faulty", -1.9),
    ("malfunction", -1.8),
    ("malfunctioned", -1.8),
    ("malfunctions", -1.8),
    ("leaks", -1.3),
    ("leaked", -1.3),
    ("leaking", -1.3),
    ("unresponsive", -1.6),
    ("late", -0.8),
    ("overcharged", -2.0),
    ("scammed", -2.7),
    ("ripoff", -2.5),
    ("rip-off", -2.5),
    ("unhelpful", -1.8),
    ("rude", -2.0),
    ("waited", -0.6),
    ("waiting", -0.5),
    ("cancelled", -0.8),
    ("canceled", -0.8),
    ("uncomfortable", -1.6),
    ("mediocre", -1.3),
    ("meh", -0.8),
    ("subpar", -1.7),
    ("lousy", -2.0),
    ("shoddy", -2.0),
    ("broken", -2.1),
    ("breaks", -1.6),
    ("returns", -0.3),
    ("overheats", -1.7),
    ("overheat", -1.7),
    ("overheating", -1.7),
    ("wobbly", -1.2),
    ("scratched", -1.3),
    ("grainy", -1.1),
    ("cracked", -1.6),
    ("fragile", -0.9),
    ("inaccurate", -1.5),
    ("incompatible", -1.3),
    ("flaky", -1.4),
    ("rubbish", -2.1),
    ("poorly", -1.6),
    ("leaky", -1.3),
    ("muffled", -1.1),
    ("tinny", -1.1),
    ("clunky", -1.3),
    ("crisp", 1.3),
    ("accurate", 1.3),
    ("handy", 1.5),
    ("versatile", 1.5),
    ("ergonomic", 1.2),
    ("snappy", 1.2),
    // General review vocabulary (books, films, products) missing from VADER.
    ("predictable", -1.2),
    ("tedious", -1.8),
    ("clumsy", -1.4),
    ("pointless", -1.9),
    ("bland", -1.4),
    ("forgettable", -1.5),
    ("tiresome", -1.7),
    ("overlong", -1.3),
    ("unfunny", -1.9),
    ("pretentious", -1.6),
    ("shallow", -1.3),
    ("cliched", -1.4),
    ("formulaic", -1.4),
    ("contrived", -1.5),
    ("incoherent", -1.8),
    ("sloppy", -1.6),
    ("lackluster", -1.6),
    ("uninspired", -1.7),
    ("derivative", -1.1),
    ("inept", -2.0),
    ("amateurish", -1.8),
    ("stale", -1.3),
    ("lifeless", -1.9),
    ("muddled", -1.5),
    ("convoluted", -1.4),
    ("hollow", -1.3),
    ("superficial", -1.3),
    ("plodding", -1.5),
    ("unwatchable", -2.6),
    ("unbearable", -2.4),
    ("gripping", 2.0),
    ("touching", 1.8),
    ("moving", 1.2),
    ("witty", 2.0),
    ("mesmerizing", 2.4),
    ("refreshing", 1.9),
    ("poignant", 1.6),
    ("captivating", 2.3),
    ("riveting", 2.3),
    ("tender", 1.2),
    ("memorable", 1.9),
    ("vivid", 1.4),
    ("skillful", 1.8),
    ("insightful", 2.0),
    ("absorbing", 1.6),
    ("originality", 1.5),
];

/// Customer-service phrases VADER cannot see word by word ("work" alone carries no
/// sentiment, "doesn't work" does), with the valence added to VADER's raw sum.
static PHRASES: LazyLock<Vec<(Regex, f64)>> = LazyLock::new(|| {
    [
        (r"\b(?:doesn'?t|does not|didn'?t|did not|don'?t|do not|won'?t|will not|isn'?t|is not|not|never|no longer|stopped|stop)\s+(?:\w+\s+)?(?:work|works|working|function|functioning|charging|turning on)\b", -2.2),
        (r"\b(?:never|still not|hasn'?t|has not|haven'?t|have not)\s+(?:\w+\s+)?(?:arrived|received|came|come|got|gotten|heard back|been delivered)\b", -1.8),
        (r"\bstill waiting\b", -1.5),
        (r"\b(?:fell|falls|falling) apart\b", -2.2),
        (r"\b(?:want|need) (?:my|a) (?:money back|refund)\b", -1.8),
        (r"\bwaste of (?:money|time)\b", -1.0),
        (r"\b(?:no|zero) (?:response|reply|answer)\b", -1.5),
        (r"\bworks? (?:great|perfectly|fine|well|like a charm)\b", 1.0),
    ]
    .into_iter()
    .map(|(p, v)| (Regex::new(p).unwrap_or_else(|e| panic!("phrase regex {p}: {e}")), v))
    .collect()
});

/// VADER's normalization constant: compound = sum / sqrt(sum² + ALPHA).
const ALPHA: f64 = 15.0;

/// Regular inflections of a lexicon word, for the forms the lexicon lacks.
fn inflections(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    if word.len() < 4 || !word.chars().all(|c| c.is_ascii_lowercase()) {
        return out;
    }
    let stem_e = word.strip_suffix('e');
    if word.ends_with('s') || word.ends_with("sh") || word.ends_with("ch") || word.ends_with('x') {
        out.push(format!("{word}es"));
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        out.push(format!("{stem}ies"));
        out.push(format!("{stem}ied"));
        out.push(format!("{stem}ily"));
    } else {
        out.push(format!("{word}s"));
    }
    match stem_e {
        Some(stem) => {
            out.push(format!("{word}d"));
            out.push(format!("{stem}ing"));
        }
        None if !word.ends_with('y') => {
            out.push(format!("{word}ed"));
            out.push(format!("{word}ing"));
        }
        None => {}
    }
    out
}

/// VADER's lexicon plus [`SUPPLEMENT`] plus inflections (built once, read-only).
static LEXICON: LazyLock<HashMap<UniCase<&'static str>, f64>> = LazyLock::new(|| {
    let mut lex = vader_sentiment::LEXICON.clone();
    for &(w, v) in SUPPLEMENT {
        lex.entry(UniCase::new(w)).or_insert(v);
    }
    let base: Vec<(String, f64)> = lex.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    for (w, v) in base {
        for form in inflections(&w) {
            let leaked: &'static str = Box::leak(form.into_boxed_str());
            lex.entry(UniCase::new(leaked)).or_insert(v);
        }
    }
    lex
});

/// Scores English text in [-1, 1] (VADER's compound score).
pub struct EnglishScorer {
    vader: SentimentIntensityAnalyzer<'static>,
}

impl Default for EnglishScorer {
    fn default() -> Self {
        Self::new()
    }
}

impl EnglishScorer {
    pub fn new() -> Self {
        EnglishScorer {
            vader: SentimentIntensityAnalyzer::from_lexicon(&LEXICON),
        }
    }

    /// The compound score of `text`, plus customer-service phrases. Case is kept (ALL
    /// CAPS is a cue); full-width forms are folded by NFKC first.
    pub fn score(&self, text: &str) -> f32 {
        let text: String = text.nfkc().collect();
        if !text.chars().any(|c| !c.is_whitespace()) {
            return 0.0;
        }
        let mut compound = self.compound(&text);
        // The crate's port subtracts the !/? emphasis when nothing carries sentiment
        // (the Python original leaves 0 alone): "!!!" or "order 42?" is not negative.
        if compound != 0.0 && text.contains(['!', '?']) {
            let bare: String = text.chars().filter(|c| !matches!(c, '!' | '?')).collect();
            if self.compound(&bare) == 0.0 {
                compound = 0.0;
            }
        }
        let lower = text.to_lowercase();
        let extra: f64 = PHRASES
            .iter()
            .filter(|(re, _)| re.is_match(&lower))
            .map(|(_, v)| v)
            .sum();
        if extra != 0.0 {
            // Back to VADER's raw sum, add the phrases, normalize again.
            let c = compound.clamp(-0.9999, 0.9999);
            let raw = c * (ALPHA / (1.0 - c * c)).sqrt() + extra;
            compound = raw / (raw * raw + ALPHA).sqrt();
        }
        compound as f32
    }

    fn compound(&self, text: &str) -> f64 {
        let scores = self.vader.polarity_scores(text);
        scores.get("compound").copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_cover_regular_forms() {
        assert!(inflections("disappoint").contains(&"disappoints".to_string()));
        assert!(inflections("frustrate").contains(&"frustrating".to_string()));
        assert!(inflections("annoy").contains(&"annoys".to_string()));
        assert!(inflections("worry").contains(&"worried".to_string()));
        assert!(inflections("ok").is_empty());
    }

    #[test]
    fn product_words_carry_sentiment() {
        let s = EnglishScorer::new();
        assert!(s.score("the case feels flimsy") < 0.0);
        assert!(s.score("it works") > 0.0);
        assert!(s.score("it doesn't work") < 0.0);
        assert!(s.score("sturdy and reliable") > 0.3);
    }
}
