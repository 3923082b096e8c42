//! Measuring sentiment scoring against human-labelled data (VADER's ground-truth sets,
//! Chinese reviews), so the figures in reports come from a reproducible command.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

use super::zh::{ZhModel, ZhTrainConfig, features_with, read_labelled};
use super::{SentimentAnalyzer, SentimentError};
use crate::nlu::text::{detect_language, normalize};

/// Agreement of predicted and human sentiment on a data set.
///
/// `accuracy` follows the convention of VADER's published evaluation (0.71 Amazon, 0.62
/// movies): a score of 0 counts as positive, as in VADER's evaluation. The stricter
/// figure, where a score of exactly 0 is always wrong, is `accuracy_strict`.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentEvalReport {
    /// Share of rows with non-zero truth whose predicted score has the same sign, where a
    /// score of 0 counts as positive, as in VADER's evaluation.
    pub accuracy: f64,
    /// The same, but a predicted score of exactly 0 counts as wrong.
    pub accuracy_strict: f64,
    /// Same as `accuracy` (0 counts as positive); kept for readers of earlier reports.
    pub accuracy_zero_as_positive: f64,
    /// Pearson correlation of predicted and true scores (numeric truth only).
    pub pearson_r: Option<f64>,
    /// 95th percentile time to score one row, microseconds.
    pub latency_us_p95: f64,
    /// Rows scored.
    pub n: usize,
    /// Rows detected as Chinese (the rest were scored as English).
    pub n_zh: usize,
}

impl fmt::Display for SentimentEvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<26} {:>10}", "metric", "value")?;
        writeln!(f, "{:<26} {:>10.4}", "sign accuracy", self.accuracy)?;
        writeln!(
            f,
            "{:<26} {:>10.4}",
            "sign accuracy (strict)", self.accuracy_strict
        )?;
        match self.pearson_r {
            Some(r) => writeln!(f, "{:<26} {:>10.4}", "pearson r", r)?,
            None => writeln!(f, "{:<26} {:>10}", "pearson r", "n/a")?,
        }
        writeln!(
            f,
            "{:<26} {:>10.1}",
            "latency p95 (µs)", self.latency_us_p95
        )?;
        writeln!(f, "{:<26} {:>10}", "rows", self.n)?;
        writeln!(f, "{:<26} {:>10}", "rows detected Chinese", self.n_zh)?;
        writeln!(
            f,
            "sign accuracy: a score of 0 counts as positive, as in VADER's evaluation; \
             strict: a score of 0 counts as wrong"
        )
    }
}

/// Truth of one row: a numeric score (any scale, sign is the label) or a pos/neg label.
enum Truth {
    Numeric(Vec<f64>),
    Labels(Vec<bool>),
}

fn read_rows(data: &Path) -> Result<(Vec<String>, Truth), SentimentError> {
    let csv_err = |e: csv::Error| SentimentError::Csv {
        path: data.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        problem: e.to_string(),
    };
    let mut rdr = csv::Reader::from_path(data).map_err(csv_err)?;
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    if let (Some(_), Some(_)) = (col("text"), col("label")) {
        let rows = read_labelled(data)?;
        let (texts, labels) = rows.into_iter().unzip();
        return Ok((texts, Truth::Labels(labels)));
    }
    let (Some(t), Some(s)) = (col("text"), col("score")) else {
        return Err(SentimentError::Data {
            path: data.to_path_buf(),
            problem: "expected a header with `text` and `score` (numeric) or `label` (pos/neg)"
                .into(),
        });
    };
    let mut texts = Vec::new();
    let mut scores = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let raw = rec.get(s).unwrap_or_default().trim();
        let v: f64 = raw.parse().map_err(|_| SentimentError::Csv {
            path: data.to_path_buf(),
            line: rec.position().map_or(0, |p| p.line()),
            problem: format!("score `{raw}` is not a number"),
        })?;
        texts.push(rec.get(t).unwrap_or_default().to_string());
        scores.push(v);
    }
    Ok((texts, Truth::Numeric(scores)))
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

fn evaluate(analyzer: &SentimentAnalyzer, texts: &[String], truth: &Truth) -> SentimentEvalReport {
    let mut preds = Vec::with_capacity(texts.len());
    let mut lat = Vec::with_capacity(texts.len());
    let mut n_zh = 0;
    for text in texts {
        let t0 = Instant::now();
        let lang = detect_language(text, crate::domain::Language::En);
        let s = analyzer.score(text, lang);
        lat.push(t0.elapsed().as_secs_f64() * 1e6);
        n_zh += usize::from(lang == crate::domain::Language::Zh);
        preds.push(f64::from(s.score));
    }
    let truth_signs: Vec<f64> = match truth {
        Truth::Numeric(v) => v
            .iter()
            .map(|x| x.signum() * f64::from(u8::from(*x != 0.0)))
            .collect(),
        Truth::Labels(l) => l.iter().map(|p| if *p { 1.0 } else { -1.0 }).collect(),
    };
    let (mut counted, mut right, mut right_lenient) = (0usize, 0usize, 0usize);
    for (p, t) in preds.iter().zip(&truth_signs) {
        if *t != 0.0 {
            counted += 1;
            right += usize::from(*p != 0.0 && p.signum() == *t);
            right_lenient += usize::from((*p >= 0.0) == (*t > 0.0));
        }
    }
    lat.sort_by(f64::total_cmp);
    let p95 = lat
        .get(((lat.len().saturating_sub(1)) as f64 * 0.95).round() as usize)
        .copied()
        .unwrap_or(0.0);
    let share = |k: usize| {
        if counted == 0 {
            0.0
        } else {
            k as f64 / counted as f64
        }
    };
    SentimentEvalReport {
        accuracy: share(right_lenient),
        accuracy_strict: share(right),
        accuracy_zero_as_positive: share(right_lenient),
        pearson_r: match truth {
            Truth::Numeric(v) => pearson(&preds, v),
            Truth::Labels(_) => None,
        },
        latency_us_p95: p95,
        n: texts.len(),
        n_zh,
    }
}

/// Scores every row of a `text,score` (numeric, any scale) or `text,label` (pos/neg) CSV
/// with the shipped analyzer; the language is detected per row.
pub fn eval_sentiment(data: &Path) -> Result<SentimentEvalReport, SentimentError> {
    let analyzer = SentimentAnalyzer::new()?;
    let (texts, truth) = read_rows(data)?;
    Ok(evaluate(&analyzer, &texts, &truth))
}

/// Honest Chinese figure: trains a fresh model on a random (seeded) `1 - test_fraction` of
/// a `text,label` CSV and scores the rest. (The shipped model saw all of its data, so
/// `eval_sentiment` on that same file would flatter it.)
pub fn eval_zh_holdout(
    data: &Path,
    test_fraction: f64,
) -> Result<SentimentEvalReport, SentimentError> {
    if !(0.0..1.0).contains(&test_fraction) || test_fraction == 0.0 {
        return Err(SentimentError::Data {
            path: data.to_path_buf(),
            problem: format!("test fraction must be in (0, 1), got {test_fraction}"),
        });
    }
    let mut rows = read_labelled(data)?;
    rows.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(2024));
    let n_test = ((rows.len() as f64) * test_fraction).round() as usize;
    let test = rows.split_off(rows.len() - n_test);
    let model = ZhModel::train(&rows);
    let analyzer = SentimentAnalyzer::with_zh_model(model);
    let (texts, labels): (Vec<String>, Vec<bool>) = test.into_iter().unzip();
    Ok(evaluate(&analyzer, &texts, &Truth::Labels(labels)))
}

/// Stratified k-fold cross-validation of the Chinese model: sign accuracy of each fold.
#[derive(Debug, Clone, Serialize)]
pub struct ZhCvReport {
    /// Accuracy of each held-out fold.
    pub fold_accuracies: Vec<f64>,
    /// Mean of the fold accuracies.
    pub mean: f64,
    /// Sample standard deviation of the fold accuracies.
    pub sd: f64,
    /// Rows in the data.
    pub n: usize,
}

impl fmt::Display for ZhCvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}-fold CV accuracy {:.4} ± {:.4} (sd) over {} rows",
            self.fold_accuracies.len(),
            self.mean,
            self.sd,
            self.n
        )
    }
}

/// k-fold cross-validation (stratified by label, seeded) of the Chinese model with the
/// shipped training settings on a `text,label` CSV.
pub fn cross_validate_zh(data: &Path, folds: usize) -> Result<ZhCvReport, SentimentError> {
    if folds < 2 {
        return Err(SentimentError::Data {
            path: data.to_path_buf(),
            problem: format!("cross-validation needs at least 2 folds, got {folds}"),
        });
    }
    let rows = read_labelled(data)?;
    Ok(cross_validate_zh_rows(
        &rows,
        folds,
        &ZhTrainConfig::default(),
        2024,
    ))
}

/// [`cross_validate_zh`] on rows in memory with explicit settings and fold seed.
pub fn cross_validate_zh_rows(
    rows: &[(String, bool)],
    folds: usize,
    cfg: &ZhTrainConfig,
    seed: u64,
) -> ZhCvReport {
    let folds = folds.max(2);
    let docs: Vec<(Vec<u32>, bool)> = rows
        .iter()
        .map(|(t, y)| (features_with(&normalize(t), &cfg.features), *y))
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut fold_of = vec![0usize; rows.len()];
    for label in [false, true] {
        let mut members: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].1 == label).collect();
        members.shuffle(&mut rng);
        for (k, &i) in members.iter().enumerate() {
            fold_of[i] = k % folds;
        }
    }
    let mut fold_accuracies = Vec::with_capacity(folds);
    for k in 0..folds {
        let train: Vec<(Vec<u32>, bool)> = docs
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != k)
            .map(|(d, _)| d.clone())
            .collect();
        let model = ZhModel::train_featurized(&train, cfg);
        let (mut n, mut right) = (0usize, 0usize);
        for (d, _) in docs.iter().zip(&fold_of).filter(|(_, f)| **f == k) {
            n += 1;
            right += usize::from((model.probability_of_features(&d.0) >= 0.5) == d.1);
        }
        fold_accuracies.push(if n == 0 { 0.0 } else { right as f64 / n as f64 });
    }
    let (mean, sd) = crate::nlu::eval::mean_sd(&fold_accuracies);
    ZhCvReport {
        fold_accuracies,
        mean,
        sd,
        n: rows.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_label_files_are_scored() {
        let dir = tempfile::tempdir().unwrap();
        let num = dir.path().join("num.csv");
        std::fs::write(
            &num,
            "text,score\n\"I love it, great!\",3.2\nterrible and broken,-2.5\nit is a box,0\nawful,-1\n",
        )
        .unwrap();
        let r = eval_sentiment(&num).unwrap();
        assert_eq!(r.n, 4);
        assert_eq!(r.accuracy, 1.0, "{r}");
        assert!(r.pearson_r.unwrap() > 0.8);
        let lab = dir.path().join("lab.csv");
        std::fs::write(&lab, "text,label\n非常满意，很好,pos\n太差了，很失望,neg\n").unwrap();
        let r = eval_sentiment(&lab).unwrap();
        assert_eq!((r.n, r.n_zh), (2, 2));
        assert_eq!(r.pearson_r, None);
        assert_eq!(r.accuracy, 1.0, "{r}");
    }

    #[test]
    fn a_zero_score_counts_as_positive_except_in_the_strict_figure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("z.csv");
        std::fs::write(&p, "text,score\nit is a box,1.5\nit is a crate,-1\n").unwrap();
        let r = eval_sentiment(&p).unwrap();
        assert_eq!(r.accuracy, 0.5, "{r}");
        assert_eq!(r.accuracy_zero_as_positive, r.accuracy);
        assert_eq!(r.accuracy_strict, 0.0, "{r}");
        assert!(r.to_string().contains("a score of 0 counts as positive"));
    }

    #[test]
    fn chinese_cross_validation_reports_each_fold() {
        let mut rows = Vec::new();
        for i in 0..20 {
            rows.push((format!("质量很好，非常满意{i}"), true));
            rows.push((format!("质量太差，非常失望{i}"), false));
        }
        let r = cross_validate_zh_rows(&rows, 4, &ZhTrainConfig::default(), 1);
        assert_eq!(r.fold_accuracies.len(), 4);
        assert_eq!(r.n, 40);
        assert!(r.mean > 0.9, "{r}");
    }

    #[test]
    fn bad_scores_are_reported_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(&p, "text,score\nok,1\nbad,high\n").unwrap();
        let e = eval_sentiment(&p).unwrap_err().to_string();
        assert!(
            e.contains("s.csv") && e.contains("line 3") && e.contains("high"),
            "{e}"
        );
    }
}
