//! Search terms of a text: English words lowercased, stop words dropped and lightly
//! stemmed ("returns", "returned", "returning" → "return"); Chinese through jieba plus Han
//! character bigrams, so a word jieba splits differently still matches.

use crate::domain::Language;
use crate::nlu::text::{JIEBA, is_han};

const EN_STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "it",
    "its",
    "is",
    "are",
    "am",
    "was",
    "be",
    "been",
    "do",
    "does",
    "did",
    "to",
    "of",
    "in",
    "on",
    "for",
    "and",
    "or",
    "with",
    "at",
    "by",
    "from",
    "this",
    "that",
    "there",
    "here",
    "can",
    "could",
    "would",
    "will",
    "should",
    "please",
    "pls",
    "plz",
    "hi",
    "hello",
    "hey",
    "want",
    "wanna",
    "need",
    "like",
    "know",
    "tell",
    "help",
    "how",
    "what",
    "where",
    "when",
    "which",
    "who",
    "why",
    "some",
    "any",
    "about",
    "if",
    "so",
    "just",
    "get",
    "have",
    "has",
    "had",
    "im",
    "ive",
    "id",
    "dont",
    "cant",
    "u",
    "ur",
    "am",
    "be",
    "let",
    "lets",
    "give",
    "yo",
    "thanks",
    "assistance",
    "assist",
    "info",
    "information",
    "way",
    "possible",
    "us",
    "them",
    "they",
    "see",
    "make",
    "go",
    "got",
    "one",
    "up",
    "out",
    "into",
    "as",
    "all",
    "more",
    "much",
    "am",
    "try",
    "trying",
    "wanted",
    "would",
    "mine",
];

const ZH_STOP: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "我",
    "你",
    "您",
    "们",
    "是",
    "在",
    "有",
    "和",
    "要",
    "想",
    "请",
    "一下",
    "怎么",
    "如何",
    "什么",
    "可以",
    "能",
    "能不能",
    "可不可以",
    "我的",
    "你们",
    "我们",
    "这个",
    "那个",
    "一个",
    "哪",
    "哪里",
    "多少",
    "吗？",
    "？",
    "，",
    "。",
    "！",
    "还",
    "就",
    "也",
    "都",
    "会",
    "把",
    "给",
    "让",
    "问",
    "问下",
    "问一下",
    "请问",
];

/// English terms of a normalized (lowercase) text.
pub fn english(text: &str, out: &mut Vec<String>) {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .map(|w| w.replace('\'', ""))
        .filter(|w| !w.is_empty())
        .collect();
    for word in crate::nlu::synonyms::fold(words) {
        if EN_STOP.contains(&word.as_str()) || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        out.push(stem(&word));
    }
}

/// A light English stemmer: plural and verb endings, enough to join word forms.
pub fn stem(word: &str) -> String {
    let w = word;
    let n = w.len();
    let cut = |k: usize| w[..n - k].to_owned();
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..n - 3]);
    }
    if n > 5 && w.ends_with("ing") {
        return undouble(&cut(3));
    }
    if n > 4 && w.ends_with("ed") {
        return undouble(&cut(2));
    }
    if n > 4 && (w.ends_with("ches") || w.ends_with("shes") || w.ends_with("sses")) {
        return cut(2);
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        return cut(1);
    }
    if n > 5 && w.ends_with("ly") {
        return cut(2);
    }
    w.to_owned()
}

fn undouble(w: &str) -> String {
    let b = w.as_bytes();
    if b.len() > 2 && b[b.len() - 1] == b[b.len() - 2] && !matches!(b[b.len() - 1], b'l' | b's') {
        w[..w.len() - 1].to_owned()
    } else {
        w.to_owned()
    }
}

/// Chinese terms: jieba words (stop words dropped), Han bigrams, and any Latin words.
pub fn chinese(text: &str, out: &mut Vec<String>) {
    for token in JIEBA.cut(text, true) {
        let w = token.word.trim();
        if w.is_empty() || ZH_STOP.contains(&w) {
            continue;
        }
        if w.chars().any(is_han) {
            out.push(w.to_owned());
        } else {
            english(w, out);
        }
    }
    let han: Vec<char> = text.chars().collect();
    for pair in han.windows(2) {
        if is_han(pair[0]) && is_han(pair[1]) {
            out.push(format!("#{}{}", pair[0], pair[1]));
        }
    }
}

/// Terms of a normalized text in its language.
pub fn terms(text: &str, lang: Language) -> Vec<String> {
    let mut out = Vec::new();
    match lang {
        Language::En => english(text, &mut out),
        Language::Zh => chinese(text, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_forms_share_a_stem() {
        for w in ["returns", "returned", "returning", "return"] {
            assert_eq!(stem(w), "return", "{w}");
        }
        assert_eq!(stem("deliveries"), "delivery");
        assert_eq!(stem("shipping"), "ship");
        assert_eq!(stem("address"), "address");
    }

    #[test]
    fn stop_words_are_dropped() {
        assert_eq!(
            terms("what is your return policy", Language::En),
            ["return", "policy"]
        );
    }

    #[test]
    fn chinese_has_words_and_bigrams() {
        let t = terms("退货政策是什么", Language::Zh);
        assert!(t.iter().any(|w| w == "退货"), "{t:?}");
        assert!(t.iter().any(|w| w == "#政策"), "{t:?}");
    }
}
