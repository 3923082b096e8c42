//! Okapi BM25 over the articles of one language, with field weights (a title or tag word
//! counts more than a body word) and typo tolerance: a query word the index does not know
//! is matched to known words one edit away, found through a deletion index (SymSpell).
//!
//! Own code rather than tantivy: the help centre is a few hundred short documents held in
//! memory, searched once per message; this is ~200 lines, builds in no time and keeps
//! Chinese tokenization in our hands (jieba, already a dependency).

use std::collections::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One document: its terms with a weight each (the field weight).
pub type WeightedTerms = Vec<(String, f32)>;

#[derive(Debug, Default)]
pub struct Bm25 {
    vocab: HashMap<String, usize>,
    /// Per term: (document, weighted term frequency).
    postings: Vec<Vec<(usize, f32)>>,
    idf: Vec<f32>,
    doc_len: Vec<f32>,
    avg_len: f32,
    /// Single-character deletions of known terms → the terms (typo tolerance).
    deletions: HashMap<String, Vec<usize>>,
}

fn deletes(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

impl Bm25 {
    pub fn build(docs: &[WeightedTerms]) -> Bm25 {
        let mut index = Bm25::default();
        let mut df: Vec<f32> = Vec::new();
        for (d, terms) in docs.iter().enumerate() {
            let mut tf: HashMap<usize, f32> = HashMap::new();
            let mut len = 0.0;
            for (term, w) in terms {
                let next = index.vocab.len();
                let id = *index.vocab.entry(term.clone()).or_insert(next);
                if id == index.postings.len() {
                    index.postings.push(Vec::new());
                    df.push(0.0);
                }
                *tf.entry(id).or_default() += w;
                len += w;
            }
            let mut tf: Vec<(usize, f32)> = tf.into_iter().collect();
            tf.sort_by_key(|(id, _)| *id);
            for (id, f) in tf {
                index.postings[id].push((d, f));
                df[id] += 1.0;
            }
            index.doc_len.push(len);
        }
        let n = docs.len() as f32;
        index.avg_len = index.doc_len.iter().sum::<f32>() / n.max(1.0);
        index.idf = df
            .iter()
            .map(|&f| ((n - f + 0.5) / (f + 0.5) + 1.0).ln())
            .collect();
        for (term, &id) in &index.vocab {
            if term.chars().count() >= 4 && !term.starts_with('#') {
                for d in deletes(term) {
                    index.deletions.entry(d).or_default().push(id);
                }
            }
        }
        index
    }

    pub fn n_docs(&self) -> usize {
        self.doc_len.len()
    }

    /// Term ids for a query word: itself if known, else the known words one edit away.
    fn resolve(&self, term: &str) -> Vec<(usize, f32)> {
        if let Some(&id) = self.vocab.get(term) {
            return vec![(id, 1.0)];
        }
        if term.chars().count() < 4 || term.starts_with('#') {
            return Vec::new();
        }
        let mut found: Vec<usize> = Vec::new();
        // A missing letter in the query ("adress"): the query is a deletion of a term.
        if let Some(ids) = self.deletions.get(term) {
            found.extend(ids);
        }
        for d in deletes(term) {
            // An extra letter ("retrun" has none, "shippping" has one).
            if let Some(&id) = self.vocab.get(&d) {
                found.push(id);
            }
            // A wrong or swapped letter: both lose one character to the same string.
            if let Some(ids) = self.deletions.get(&d) {
                found.extend(ids);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|id| (id, 0.7)).collect()
    }

    /// BM25 score of every document for the query terms (zero where nothing matched).
    pub fn scores(&self, query: &[String], out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.n_docs(), 0.0);
        let mut seen: Vec<&str> = Vec::with_capacity(query.len());
        for term in query {
            if seen.contains(&term.as_str()) {
                continue;
            }
            seen.push(term);
            for (id, discount) in self.resolve(term) {
                let idf = self.idf[id] * discount;
                for &(d, tf) in &self.postings[id] {
                    let norm = K1 * (1.0 - B + B * self.doc_len[d] / self.avg_len);
                    out[d] += idf * tf * (K1 + 1.0) / (tf + norm);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(words: &[&str]) -> WeightedTerms {
        words.iter().map(|w| ((*w).to_owned(), 1.0)).collect()
    }

    #[test]
    fn the_matching_document_scores_highest_even_with_a_typo() {
        let index = Bm25::build(&[
            doc(&["return", "policy", "window"]),
            doc(&["shipping", "canada", "cost"]),
            doc(&["password", "reset", "login"]),
        ]);
        let mut s = Vec::new();
        index.scores(&["shiping".into(), "canada".into()], &mut s);
        assert!(s[1] > s[0] && s[1] > s[2], "{s:?}");
        index.scores(&["pasword".into()], &mut s);
        assert!(s[2] > 0.0 && s[0] == 0.0, "{s:?}");
        index.scores(&["retrun".into()], &mut s);
        assert!(s[0] > 0.0, "{s:?}");
        index.scores(&["weather".into()], &mut s);
        assert!(s.iter().all(|&x| x == 0.0), "{s:?}");
    }
}
