//! The intent classifier: TF-IDF over hashed word and character n-grams, and a sparse
//! multinomial logistic regression trained by SGD, optionally averaged with a small
//! perceptron ([`super::mlp`]), with temperature scaling for calibrated probabilities.
//!
//! The evaluation commands on public data use the perceptron ([`BENCHMARK_MLP`]): on
//! Banking77 (5-fold CV) it lifts accuracy from 0.908 to 0.913, on CLINC150 out-of-scope
//! recall from 0.70 to 0.77. The product's own intents (a few hundred examples) train the
//! linear model alone: it already scores 0.95 on their held-out paraphrases.
//!
//! Why this and not linfa: linfa's logistic regression works on dense matrices, which at
//! TF-IDF scale (tens of thousands of features) is orders of magnitude too slow. A sparse
//! SGD trainer only touches the non-zero features of each example: Banking77
//! (10k examples, 77 classes) trains in a few seconds in release.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::mlp::{MlpConfig, SparseMlp};

/// Keys are already hashes: use them as they are.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by feature hashes.
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// A sparse vector: (feature index, value), sorted by index, no duplicates.
pub type SparseVec = Vec<(u32, f32)>;

/// TF-IDF with sublinear term frequency and L2 normalization over a vocabulary of hashed
/// features seen in training.
#[derive(Clone, Default)]
pub struct Vectorizer {
    vocab: KeyMap<u32>,
    idf: Vec<f32>,
    /// Whether each feature is word-level (see [`crate::nlu::text::is_word_level`]).
    word_level: Vec<bool>,
    /// Relative weight of the word-level block against the character block.
    word_weight: f32,
}

/// Default relative weight of the word-level block against the character block.
pub const WORD_BLOCK_WEIGHT: f32 = 1.0;

impl Vectorizer {
    /// Builds the vocabulary and inverse document frequencies from training documents.
    pub fn fit(docs: &[Vec<u64>]) -> Self {
        Self::fit_weighted(docs, WORD_BLOCK_WEIGHT)
    }

    /// [`Vectorizer::fit`] with the word-level block weighted `word_weight` against the
    /// character block.
    pub fn fit_weighted(docs: &[Vec<u64>], word_weight: f32) -> Self {
        let mut vocab: KeyMap<u32> = KeyMap::default();
        let mut df: Vec<u32> = Vec::new();
        let mut word_level: Vec<bool> = Vec::new();
        let mut seen: Vec<u64> = Vec::new();
        for d in docs {
            seen.clear();
            seen.extend_from_slice(d);
            seen.sort_unstable();
            seen.dedup();
            for &k in &seen {
                let next = vocab.len() as u32;
                let idx = *vocab.entry(k).or_insert(next);
                if idx as usize == df.len() {
                    df.push(0);
                    word_level.push(crate::nlu::text::is_word_level(k));
                }
                df[idx as usize] += 1;
            }
        }
        let n = docs.len() as f32;
        let idf = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        Vectorizer {
            vocab,
            idf,
            word_level,
            word_weight,
        }
    }

    /// Number of features in the vocabulary.
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// True when nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// The TF-IDF vector of a document; features unknown to the vocabulary are dropped.
    pub fn transform(&self, doc: &[u64]) -> SparseVec {
        let mut idx: Vec<u32> = doc
            .iter()
            .filter_map(|k| self.vocab.get(k).copied())
            .collect();
        idx.sort_unstable();
        let mut out: SparseVec = Vec::with_capacity(idx.len());
        for i in idx {
            match out.last_mut() {
                Some((j, c)) if *j == i => *c += 1.0,
                _ => out.push((i, 1.0)),
            }
        }
        let (mut word_norm, mut char_norm) = (0.0f32, 0.0f32);
        for (i, v) in out.iter_mut() {
            *v = (1.0 + v.ln()) * self.idf[*i as usize];
            if self.word_level[*i as usize] {
                word_norm += *v * *v;
            } else {
                char_norm += *v * *v;
            }
        }
        let ww = self.word_weight;
        let word_scale = if word_norm > 0.0 {
            ww / word_norm.sqrt()
        } else {
            0.0
        };
        let char_scale = if char_norm > 0.0 {
            1.0 / char_norm.sqrt()
        } else {
            0.0
        };
        // Keep the whole vector at unit length so learning rates do not depend on blocks.
        let total =
            ((word_norm > 0.0) as u8 as f32 * ww * ww + (char_norm > 0.0) as u8 as f32).sqrt();
        for (i, v) in out.iter_mut() {
            let s = if self.word_level[*i as usize] {
                word_scale
            } else {
                char_scale
            };
            *v *= s / total.max(1e-6);
        }
        out
    }
}

// Debug output summarizes: the weights are megabytes.
impl std::fmt::Debug for Vectorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectorizer")
            .field("features", &self.idf.len())
            .finish()
    }
}

impl std::fmt::Debug for SoftmaxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftmaxModel")
            .field("classes", &self.n_classes)
            .field("weights", &self.weights.len())
            .field("temperature", &self.temperature)
            .finish()
    }
}

/// The loss the linear model minimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Multinomial logistic regression (cross-entropy over a softmax).
    Softmax,
    /// One-vs-rest linear SVMs with the squared hinge loss; probabilities are a softmax
    /// over the class scores with the calibrated temperature.
    SquaredHinge,
}

/// SGD settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Initial learning rate (decays as 1 / (1 + epoch · decay)).
    pub learning_rate: f32,
    /// Learning-rate decay per epoch.
    pub decay: f32,
    /// L2 regularization strength (per example).
    pub l2: f32,
    /// Shuffling seed, for reproducible models.
    pub seed: u64,
    /// The loss.
    pub loss: Loss,
    /// Weight of the word-level feature block against the character block.
    pub word_weight: f32,
    /// Average the weights at the end of each epoch over the last half of the epochs
    /// (Polyak averaging), which smooths out the SGD noise of the final passes.
    pub average: bool,
    /// Also train a perceptron ([`super::mlp`]) on the same vectors and average its
    /// scores into the linear model's.
    pub mlp: Option<MlpConfig>,
    /// Weight λ of the perceptron: scores are `(linear + λ·perceptron) / (1 + λ)`.
    pub mlp_weight: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            learning_rate: 2.0,
            decay: 0.2,
            l2: 1e-6,
            seed: 7,
            loss: Loss::Softmax,
            word_weight: WORD_BLOCK_WEIGHT,
            average: false,
            mlp: Some(BENCHMARK_MLP),
            mlp_weight: 1.0,
        }
    }
}

/// The perceptron averaged into the linear model on the public benchmarks (Banking77,
/// CLINC150), chosen by 5-fold cross-validation on Banking77's training set.
pub const BENCHMARK_MLP: MlpConfig = MlpConfig {
    hidden: 128,
    epochs: 20,
    batch: 200,
    learning_rate: 1e-3,
    l2: 1e-4,
    seed: 29,
    dense: false,
};

/// Multinomial logistic regression over sparse features.
#[derive(Clone)]
pub struct SoftmaxModel {
    n_classes: usize,
    /// Row-major `n_features × n_classes`, so one feature's class weights are contiguous.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Divides the logits; fitted on held-out data by [`SoftmaxModel::calibrate`].
    temperature: f32,
}

impl SoftmaxModel {
    /// Trains on `xs` (indices below `n_features`) with labels `ys` below `n_classes`.
    pub fn train(
        xs: &[SparseVec],
        ys: &[usize],
        n_features: usize,
        n_classes: usize,
        cfg: &TrainConfig,
    ) -> Self {
        let mut w = vec![0.0f32; n_features * n_classes];
        let mut b = vec![0.0f32; n_classes];
        // The true weights are `scale * w`: L2 shrinkage is then one multiplication.
        let mut scale = 1.0f32;
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed);
        let mut p = vec![0.0f32; n_classes];
        let average_from = cfg.epochs / 2;
        let mut avg: Vec<f32> = Vec::new();
        let mut avg_b: Vec<f32> = vec![0.0; n_classes];
        let mut n_avg = 0usize;
        for epoch in 0..cfg.epochs {
            order.shuffle(&mut rng);
            let lr = cfg.learning_rate / (1.0 + epoch as f32 * cfg.decay);
            for &i in &order {
                let x = &xs[i];
                p.copy_from_slice(&b);
                for &(f, v) in x {
                    let row = &w[f as usize * n_classes..(f as usize + 1) * n_classes];
                    let sv = scale * v;
                    for (pc, wc) in p.iter_mut().zip(row) {
                        *pc += sv * wc;
                    }
                }
                // Now turn `p` into the gradient of the loss w.r.t. the scores.
                match cfg.loss {
                    Loss::Softmax => {
                        softmax_in_place(&mut p);
                        p[ys[i]] -= 1.0;
                    }
                    Loss::SquaredHinge => {
                        for (c, pc) in p.iter_mut().enumerate() {
                            let y = if c == ys[i] { 1.0 } else { -1.0 };
                            let m = 1.0 - y * *pc;
                            *pc = if m > 0.0 { -2.0 * m * y } else { 0.0 };
                        }
                    }
                }
                scale *= 1.0 - lr * cfg.l2;
                let step = lr / scale;
                for &(f, v) in x {
                    let row = &mut w[f as usize * n_classes..(f as usize + 1) * n_classes];
                    let g = step * v;
                    for (wc, pc) in row.iter_mut().zip(&p) {
                        *wc -= g * pc;
                    }
                }
                for (bc, pc) in b.iter_mut().zip(&p) {
                    *bc -= lr * 0.1 * pc;
                }
                if scale < 1e-3 {
                    for wv in w.iter_mut() {
                        *wv *= scale;
                    }
                    scale = 1.0;
                }
            }
            if cfg.average && epoch >= average_from {
                if avg.is_empty() {
                    avg = vec![0.0; w.len()];
                }
                for (a, wv) in avg.iter_mut().zip(&w) {
                    *a += scale * wv;
                }
                for (a, bv) in avg_b.iter_mut().zip(&b) {
                    *a += bv;
                }
                n_avg += 1;
            }
        }
        if n_avg > 0 {
            let k = 1.0 / n_avg as f32;
            w = avg.into_iter().map(|a| a * k).collect();
            b = avg_b.into_iter().map(|a| a * k).collect();
            scale = 1.0;
        }
        for wv in w.iter_mut() {
            *wv *= scale;
        }
        SoftmaxModel {
            n_classes,
            weights: w,
            bias: b,
            temperature: 1.0,
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Raw logits (before temperature).
    pub fn logits(&self, x: &SparseVec, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.bias);
        let n = self.n_classes;
        for &(f, v) in x {
            let row = &self.weights[f as usize * n..(f as usize + 1) * n];
            for (o, wc) in out.iter_mut().zip(row) {
                *o += v * wc;
            }
        }
    }

    /// Calibrated class probabilities.
    pub fn predict_proba(&self, x: &SparseVec, out: &mut Vec<f32>) {
        self.logits(x, out);
        self.calibrated(out);
    }

    /// Turns scores into calibrated probabilities in place: divides by the temperature,
    /// then takes the softmax.
    pub fn calibrated(&self, scores: &mut [f32]) {
        let t = self.temperature;
        scores.iter_mut().for_each(|o| *o /= t);
        softmax_in_place(scores);
    }

    /// Fits the temperature that minimizes the negative log-likelihood of held-out data
    /// (a grid search over 0.02..8, wide enough for both losses' score scales; a single
    /// scalar cannot overfit much).
    pub fn calibrate(&mut self, xs: &[SparseVec], ys: &[usize]) {
        let logits: Vec<Vec<f32>> = xs
            .iter()
            .map(|x| {
                let mut l = Vec::new();
                self.logits(x, &mut l);
                l
            })
            .collect();
        self.temperature = fit_temperature(&logits, ys);
    }

    /// The fitted temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }
}

/// The temperature that minimizes the negative log-likelihood of held-out `logits` with
/// true classes `ys` (a grid search over 0.02..8, wide enough for both losses' score
/// scales; a single scalar cannot overfit much). 1 without data.
pub fn fit_temperature(logits: &[Vec<f32>], ys: &[usize]) -> f32 {
    let mut best = (f32::INFINITY, 1.0f32);
    if logits.is_empty() {
        return best.1;
    }
    let mut buf = Vec::new();
    for step in 0..=80 {
        let t = 0.02 * (400.0f32).powf(step as f32 / 80.0);
        let mut nll = 0.0f32;
        for (l, &y) in logits.iter().zip(ys) {
            buf.clear();
            buf.extend(l.iter().map(|v| v / t));
            softmax_in_place(&mut buf);
            nll -= buf[y].max(1e-12).ln();
        }
        if nll < best.0 {
            best = (nll, t);
        }
    }
    best.1
}

/// Numerically stable softmax.
pub fn softmax_in_place(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// A stratified split: returns (train indices, held-out indices) with about `fraction` of
/// each class held out (at least one example of a class stays in training).
pub fn stratified_split(ys: &[usize], fraction: f32, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut by_class: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &y) in ys.iter().enumerate() {
        by_class.entry(y).or_default().push(i);
    }
    let mut classes: Vec<_> = by_class.into_iter().collect();
    classes.sort_by_key(|(c, _)| *c);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (_, mut idx) in classes {
        idx.shuffle(&mut rng);
        let k = ((idx.len() as f32 * fraction).round() as usize).min(idx.len().saturating_sub(1));
        held.extend_from_slice(&idx[..k]);
        train.extend_from_slice(&idx[k..]);
    }
    (train, held)
}

/// Vectorizer, model and the label of each class, trained together on featurized texts.
#[derive(Debug, Clone)]
pub struct TextClassifier<L> {
    vectorizer: Vectorizer,
    model: SoftmaxModel,
    mlp: Option<SparseMlp>,
    mlp_weight: f32,
    labels: Vec<L>,
}

/// The parts trained on one set of documents.
struct Fitted {
    vectorizer: Vectorizer,
    model: SoftmaxModel,
    mlp: Option<SparseMlp>,
}

impl Fitted {
    fn new(docs: &[Vec<u64>], ys: &[usize], n_classes: usize, cfg: &TrainConfig) -> Fitted {
        let vectorizer = Vectorizer::fit_weighted(docs, cfg.word_weight);
        let xs: Vec<SparseVec> = docs.iter().map(|d| vectorizer.transform(d)).collect();
        let model = SoftmaxModel::train(&xs, ys, vectorizer.len(), n_classes, cfg);
        let mlp = cfg
            .mlp
            .map(|m| SparseMlp::train(&xs, ys, vectorizer.len(), n_classes, &m));
        Fitted {
            vectorizer,
            model,
            mlp,
        }
    }
}

/// Scores before the temperature: the linear logits, averaged with the perceptron's.
fn combined_logits(
    model: &SoftmaxModel,
    mlp: Option<&SparseMlp>,
    mlp_weight: f32,
    x: &SparseVec,
    out: &mut Vec<f32>,
) {
    model.logits(x, out);
    if let Some(net) = mlp {
        let mut s = Vec::with_capacity(out.len());
        net.scores(x, &mut s);
        let k = 1.0 / (1.0 + mlp_weight);
        for (o, v) in out.iter_mut().zip(&s) {
            *o = (*o + mlp_weight * v) * k;
        }
    }
}

impl<L: Clone + Ord> TextClassifier<L> {
    /// Trains on featurized documents. With `calibrate`, a stratified 20 % is first held
    /// out to fit the temperature, then the final model is trained on everything.
    pub fn train(docs: &[Vec<u64>], ys: &[L], cfg: &TrainConfig, calibrate: bool) -> Self {
        let mut labels: Vec<L> = ys.to_vec();
        labels.sort();
        labels.dedup();
        let y_idx: Vec<usize> = ys
            .iter()
            .map(|y| labels.binary_search(y).unwrap_or_default())
            .collect();
        let temperature = if calibrate && docs.len() >= 10 {
            let (tr, ho) = stratified_split(&y_idx, 0.2, cfg.seed ^ 0x5eed);
            let tr_docs: Vec<Vec<u64>> = tr.iter().map(|&i| docs[i].clone()).collect();
            let tr_y: Vec<usize> = tr.iter().map(|&i| y_idx[i]).collect();
            let part = Fitted::new(&tr_docs, &tr_y, labels.len(), cfg);
            let logits: Vec<Vec<f32>> = ho
                .iter()
                .map(|&i| {
                    let mut l = Vec::new();
                    let x = part.vectorizer.transform(&docs[i]);
                    combined_logits(&part.model, part.mlp.as_ref(), cfg.mlp_weight, &x, &mut l);
                    l
                })
                .collect();
            let hy: Vec<usize> = ho.iter().map(|&i| y_idx[i]).collect();
            fit_temperature(&logits, &hy)
        } else {
            1.0
        };
        let mut all = Fitted::new(docs, &y_idx, labels.len(), cfg);
        all.model.temperature = temperature;
        TextClassifier {
            vectorizer: all.vectorizer,
            model: all.model,
            mlp: all.mlp,
            mlp_weight: cfg.mlp_weight,
            labels,
        }
    }

    /// Class probabilities in the order of [`TextClassifier::labels`]; returns how many of
    /// the document's features the vocabulary knows (0 means the text is foreign to it).
    pub fn proba(&self, doc: &[u64], out: &mut Vec<f32>) -> usize {
        let x = self.vectorizer.transform(doc);
        combined_logits(&self.model, self.mlp.as_ref(), self.mlp_weight, &x, out);
        self.model.calibrated(out);
        x.len()
    }

    /// The class labels, sorted.
    pub fn labels(&self) -> &[L] {
        &self.labels
    }

    /// The calibrated temperature.
    pub fn temperature(&self) -> f32 {
        self.model.temperature()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem_with_calibrated_probabilities() {
        let docs: Vec<Vec<u64>> = (0..60)
            .map(|i| {
                if i % 2 == 0 {
                    vec![1, 2, 100 + i]
                } else {
                    vec![3, 4, 100 + i]
                }
            })
            .collect();
        let ys: Vec<usize> = (0..60).map(|i| i % 2).collect();
        let vec = Vectorizer::fit(&docs);
        let xs: Vec<SparseVec> = docs.iter().map(|d| vec.transform(d)).collect();
        let mut m = SoftmaxModel::train(&xs, &ys, vec.len(), 2, &TrainConfig::default());
        m.calibrate(&xs, &ys);
        let mut p = Vec::new();
        m.predict_proba(&vec.transform(&[1, 2]), &mut p);
        assert!(p[0] > 0.8, "{p:?}");
        m.predict_proba(&vec.transform(&[3]), &mut p);
        assert!(p[1] > 0.8, "{p:?}");
        // Unknown features only: the model falls back to the (balanced) prior.
        m.predict_proba(&vec.transform(&[999]), &mut p);
        assert!((p[0] - 0.5).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn stratified_split_keeps_every_class_in_training() {
        let ys = [0, 0, 0, 0, 0, 1, 1, 2];
        let (tr, ho) = stratified_split(&ys, 0.2, 1);
        assert_eq!(tr.len() + ho.len(), ys.len());
        for c in 0..3 {
            assert!(tr.iter().any(|&i| ys[i] == c));
        }
    }
}
