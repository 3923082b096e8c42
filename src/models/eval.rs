//! Evaluation on data files, for `crmbot eval clv|churn|rules|segments`: readers for the
//! CSV formats with row/column context in errors, and reports that are both
//! `serde::Serialize` (for `--json`) and `Display` (for people).

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use serde::Serialize;

use super::affinity::{RuleSettings, mine_rules};
use super::churn::{ChurnSettings, fit_logistic, fit_trees, stratified_folds, stratified_split};
use super::clv::{BgNbd, CustomerRfm, GammaGamma, Transaction, summarize};
use super::segments::{SegmentInput, SegmentModel, SegmentSettings};
use super::table::{Table, TableEncoder, encode_label};
use super::{ModelError, Result};

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| ModelError::Io {
        file: path.to_path_buf(),
        source,
    })
}

fn parse_err(file: &Path, row: usize, column: &str, message: impl Into<String>) -> ModelError {
    ModelError::Parse {
        file: file.to_path_buf(),
        row,
        column: column.to_string(),
        message: message.into(),
    }
}

fn csv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(r)
}

fn column(headers: &csv::StringRecord, file: &Path, names: &[&str]) -> Result<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        .ok_or_else(|| {
            parse_err(
                file,
                0,
                names[0],
                format!("missing column (expected one of {names:?})"),
            )
        })
}

fn number(rec: &csv::StringRecord, i: usize, file: &Path, row: usize, col: &str) -> Result<f64> {
    let s = rec.get(i).unwrap_or("");
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| parse_err(file, row, col, format!("`{s}` is not a number")))
}

/// Reads an RFM summary CSV with columns `ID,frequency,recency,T` (weeks) and optionally
/// `monetary_value`. Lines starting with `#` are comments.
pub fn parse_rfm_summary<R: Read>(r: R, file: &Path) -> Result<Vec<CustomerRfm>> {
    let mut rdr = csv_reader(r);
    let h = rdr
        .headers()
        .map_err(|e| parse_err(file, 0, "header", e.to_string()))?
        .clone();
    let id = column(&h, file, &["ID", "customer_id"])?;
    let f = column(&h, file, &["frequency"])?;
    let rec_i = column(&h, file, &["recency"])?;
    let t = column(&h, file, &["T"])?;
    let m = column(&h, file, &["monetary_value", "monetary"]).ok();
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let row = k + 1;
        let rec = rec.map_err(|e| parse_err(file, row, "-", e.to_string()))?;
        out.push(CustomerRfm {
            id: rec.get(id).unwrap_or("").to_string(),
            frequency: number(&rec, f, file, row, "frequency")?,
            recency: number(&rec, rec_i, file, row, "recency")?,
            t: number(&rec, t, file, row, "T")?,
            monetary: match m {
                Some(m) => number(&rec, m, file, row, "monetary_value")?,
                None => 0.0,
            },
        });
    }
    Ok(out)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .ok()
}

/// Reads transactions: CSV with header `customer_id,date,amount[,quantity]` (date as
/// YYYY-MM-DD or YYYYMMDD), or CDNOW's whitespace-separated text without header
/// (`master_id customer_id yyyymmdd quantity amount`).
pub fn parse_transactions<R: Read>(r: R, file: &Path) -> Result<Vec<Transaction>> {
    let mut text = String::new();
    BufReader::new(r)
        .read_to_string(&mut text)
        .map_err(|source| ModelError::Io {
            file: file.to_path_buf(),
            source,
        })?;
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if !first.contains(',') {
        // CDNOW_sample.txt layout.
        let mut out = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let row = k + 1;
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.is_empty() || line.starts_with('#') {
                continue;
            }
            if f.len() < 5 {
                return Err(parse_err(
                    file,
                    row,
                    "-",
                    format!("expected 5 fields, got {}", f.len()),
                ));
            }
            let date = parse_date(f[2])
                .ok_or_else(|| parse_err(file, row, "date", format!("`{}` is not a date", f[2])))?;
            let amount = f[4].parse::<f64>().map_err(|_| {
                parse_err(file, row, "amount", format!("`{}` is not a number", f[4]))
            })?;
            out.push(Transaction {
                customer: f[1].to_string(),
                date,
                amount,
            });
        }
        return Ok(out);
    }
    // A first line whose second field is a date means there is no header: the columns are
    // then customer_id,date,amount[,quantity].
    let headerless = first
        .split(',')
        .nth(1)
        .is_some_and(|f| parse_date(f.trim()).is_some());
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .has_headers(!headerless)
        .from_reader(text.as_bytes());
    let (c, d, a) = if headerless {
        (0, 1, 2)
    } else {
        let h = rdr
            .headers()
            .map_err(|e| parse_err(file, 0, "header", e.to_string()))?
            .clone();
        (
            column(&h, file, &["customer_id", "customer", "id"])?,
            column(&h, file, &["date"])?,
            column(&h, file, &["amount", "dollars", "value"])?,
        )
    };
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let row = k + 1;
        let rec = rec.map_err(|e| parse_err(file, row, "-", e.to_string()))?;
        let ds = rec.get(d).unwrap_or("");
        out.push(Transaction {
            customer: rec.get(c).unwrap_or("").to_string(),
            date: parse_date(ds).ok_or_else(|| {
                parse_err(
                    file,
                    row,
                    "date",
                    format!("`{ds}` is not YYYY-MM-DD or YYYYMMDD"),
                )
            })?,
            amount: number(&rec, a, file, row, "amount")?,
        });
    }
    Ok(out)
}

/// Reads baskets: one per line, items separated by commas (CSV quoting allowed), no header.
/// Items are trimmed; repeats within a basket count once; empty lines are skipped.
pub fn parse_baskets<R: Read>(r: R, file: &Path) -> Result<Vec<Vec<String>>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(r);
    let mut out = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| parse_err(file, k + 1, "-", e.to_string()))?;
        let mut items: Vec<String> = rec
            .iter()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort();
        items.dedup();
        out.push(items);
    }
    Ok(out)
}

/// `crmbot eval clv`: BG/NBD and Gamma-Gamma fitted on a transaction file.
#[derive(Debug, Clone, Serialize)]
pub struct ClvReport {
    pub file: PathBuf,
    pub calibration_end: NaiveDate,
    pub n_customers: usize,
    pub n_repeat_buyers: usize,
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub log_likelihood: f64,
    /// Gamma-Gamma parameters (`None` with fewer than 3 repeat buyers).
    pub p: Option<f64>,
    pub q: Option<f64>,
    pub v: Option<f64>,
    pub fit_seconds: f64,
}

impl fmt::Display for ClvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CLV fit on {} (calibration ends {})",
            self.file.display(),
            self.calibration_end
        )?;
        writeln!(
            f,
            "  customers {}, repeat buyers {}",
            self.n_customers, self.n_repeat_buyers
        )?;
        writeln!(
            f,
            "  BG/NBD       r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}  log-likelihood = {:.2}",
            self.r, self.alpha, self.a, self.b, self.log_likelihood
        )?;
        match (self.p, self.q, self.v) {
            (Some(p), Some(q), Some(v)) => {
                writeln!(f, "  Gamma-Gamma  p = {p:.4}  q = {q:.4}  v = {v:.4}")?
            }
            _ => writeln!(f, "  Gamma-Gamma  not fitted (too few repeat buyers)")?,
        }
        write!(f, "  fit_seconds = {:.4}", self.fit_seconds)
    }
}

/// Fits BG/NBD and Gamma-Gamma on `transactions` (see [`parse_transactions`]) with the
/// calibration period ending at `calibration_end` (default: the last date in the file).
pub fn eval_clv(transactions: &Path, calibration_end: Option<NaiveDate>) -> Result<ClvReport> {
    let tx = parse_transactions(open(transactions)?, transactions)?;
    let end = calibration_end
        .or_else(|| tx.iter().map(|t| t.date).max())
        .ok_or_else(|| {
            ModelError::invalid(
                "CLV",
                format!("{} has no transactions", transactions.display()),
            )
        })?;
    let data = summarize(&tx, Some(end));
    let start = Instant::now();
    let bg = BgNbd::fit(&data)?;
    let gg = GammaGamma::fit(&data).ok();
    let fit_seconds = start.elapsed().as_secs_f64();
    Ok(ClvReport {
        file: transactions.to_path_buf(),
        calibration_end: end,
        n_customers: data.len(),
        n_repeat_buyers: data.iter().filter(|c| c.frequency > 0.0).count(),
        r: bg.r,
        alpha: bg.alpha,
        a: bg.a,
        b: bg.b,
        log_likelihood: bg.log_likelihood,
        p: gg.as_ref().map(|g| g.p),
        q: gg.as_ref().map(|g| g.q),
        v: gg.as_ref().map(|g| g.v),
        fit_seconds,
    })
}

/// One rule as printed.
#[derive(Debug, Clone, Serialize)]
pub struct RuleLine {
    pub lhs: Vec<String>,
    pub rhs: String,
    pub support: f64,
    pub confidence: f64,
    pub lift: f64,
}

/// `crmbot eval rules`: association rules of a basket file.
#[derive(Debug, Clone, Serialize)]
pub struct RulesReport {
    pub file: PathBuf,
    pub n_baskets: usize,
    pub n_items: usize,
    pub min_support: f64,
    pub min_confidence: f64,
    pub frequent_itemsets: usize,
    /// Number of rules with one item on the right-hand side.
    pub rules: usize,
    /// The best rules by lift.
    pub top: Vec<RuleLine>,
    pub fit_seconds: f64,
}

impl fmt::Display for RulesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Rules of {}: {} baskets, {} items, support >= {}, confidence >= {}",
            self.file.display(),
            self.n_baskets,
            self.n_items,
            self.min_support,
            self.min_confidence
        )?;
        writeln!(
            f,
            "  frequent itemsets = {}, rules = {}",
            self.frequent_itemsets, self.rules
        )?;
        for r in &self.top {
            writeln!(
                f,
                "  {{{}}} => {{{}}}  support {:.4}  confidence {:.3}  lift {:.2}",
                r.lhs.join(", "),
                r.rhs,
                r.support,
                r.confidence,
                r.lift
            )?;
        }
        write!(f, "  fit_seconds = {:.4}", self.fit_seconds)
    }
}

/// Mines rules with one item on the right from a basket file (see [`parse_baskets`]).
pub fn eval_rules(baskets: &Path, min_support: f64, min_confidence: f64) -> Result<RulesReport> {
    let b = parse_baskets(open(baskets)?, baskets)?;
    let settings = RuleSettings {
        min_support,
        min_confidence,
        ..RuleSettings::default()
    };
    let start = Instant::now();
    let rs = mine_rules(&b, &settings)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    Ok(RulesReport {
        file: baskets.to_path_buf(),
        n_baskets: rs.n_baskets,
        n_items: rs.n_items,
        min_support,
        min_confidence,
        frequent_itemsets: rs.n_frequent_itemsets,
        rules: rs.rules.len(),
        top: rs
            .rules
            .iter()
            .take(10)
            .map(|r| RuleLine {
                lhs: r.antecedent.clone(),
                rhs: r.consequent.clone(),
                support: r.support,
                confidence: r.confidence,
                lift: r.lift,
            })
            .collect(),
        fit_seconds,
    })
}

/// AUCs of one model family in the churn evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct ModelAuc {
    pub model: String,
    /// AUC on the 20 % stratified hold-out (seed 42).
    pub auc_split: f64,
    /// Mean AUC over 5 stratified folds (seed 42).
    pub auc_cv: f64,
    /// AUC of each fold.
    pub auc_folds: Vec<f64>,
    /// Seconds to fit on the 80 % split.
    pub fit_seconds: f64,
}

/// `crmbot eval churn`: logistic regression and boosted trees on a labelled table.
#[derive(Debug, Clone, Serialize)]
pub struct ChurnReport {
    pub file: PathBuf,
    pub label: String,
    pub positive: String,
    pub n_rows: usize,
    pub positive_rate: f64,
    pub n_features: usize,
    pub dropped: Vec<(String, String)>,
    pub models: Vec<ModelAuc>,
    /// The model with the better split AUC.
    pub kept: String,
    pub precision_at_threshold: f64,
    pub recall_at_threshold: f64,
    pub alert_threshold: f64,
}

impl fmt::Display for ChurnReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Churn on {}: {} rows, label `{}` = `{}` ({:.1} %), {} encoded features",
            self.file.display(),
            self.n_rows,
            self.label,
            self.positive,
            100.0 * self.positive_rate,
            self.n_features
        )?;
        for (c, why) in &self.dropped {
            writeln!(f, "  dropped `{c}`: {why}")?;
        }
        for m in &self.models {
            writeln!(
                f,
                "  {:<20} auc_split = {:.4}  auc_cv = {:.4}  fit_seconds = {:.3}",
                m.model, m.auc_split, m.auc_cv, m.fit_seconds
            )?;
        }
        write!(
            f,
            "  kept: {}; at alert threshold {:.2}: precision {:.3}, recall {:.3}",
            self.kept, self.alert_threshold, self.precision_at_threshold, self.recall_at_threshold
        )
    }
}

/// AUCs (logistic, trees), fit seconds, precision/recall of the better, the encoder.
type SplitOutcome = ([f64; 2], [f64; 2], (f64, f64), TableEncoder);

/// Evaluates churn models on a CSV table: `label` is the target column, `positive` its
/// churn value (default: a yes-like value, else the rarer one), `drop` columns to leave out.
/// 80/20 stratified split with seed 42 and 5-fold stratified cross-validation.
pub fn eval_churn(
    data: &Path,
    label: &str,
    positive: Option<&str>,
    drop: &[String],
) -> Result<ChurnReport> {
    let table = Table::parse(open(data)?, data)?;
    let li = table
        .column(label)
        .ok_or_else(|| parse_err(data, 0, label, "label column not found"))?;
    let mut skip = std::collections::BTreeSet::from([li]);
    for d in drop {
        skip.insert(
            table
                .column(d)
                .ok_or_else(|| parse_err(data, 0, d, "column to drop not found"))?,
        );
    }
    let (y, positive) = encode_label(&table, li, positive, data)?;
    let settings = ChurnSettings::default();
    let run = |train: &[usize], test: &[usize]| -> Result<SplitOutcome> {
        let enc = TableEncoder::fit(&table, train, &skip);
        let xtr = enc.transform(&table, train);
        let xte = enc.transform(&table, test);
        let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let yte: Vec<bool> = test.iter().map(|&i| y[i]).collect();
        let t0 = Instant::now();
        let lr = fit_logistic(&xtr, &ytr, &settings)?;
        let t_lr = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let gb = fit_trees(&xtr, &ytr, &settings)?;
        let t_gb = t1.elapsed().as_secs_f64();
        let s_lr: Vec<f64> = xte
            .rows()
            .into_iter()
            .map(|r| lr.log_odds(&r.to_vec()))
            .collect();
        let s_gb: Vec<f64> = xte
            .rows()
            .into_iter()
            .map(|r| gb.log_odds(&r.to_vec()))
            .collect();
        let auc = [
            super::math::roc_auc(&s_lr, &yte),
            super::math::roc_auc(&s_gb, &yte),
        ];
        let kept = if auc[1] > auc[0] { &s_gb } else { &s_lr };
        let risk: Vec<f64> = kept.iter().map(|&z| super::math::sigmoid(z)).collect();
        let pr = super::math::precision_recall_at(&risk, &yte, settings.alert_threshold);
        Ok((auc, [t_lr, t_gb], pr, enc))
    };
    let (train, test) = stratified_split(&y, 0.2, 42);
    let (split_auc, secs, (precision, recall), enc) = run(&train, &test)?;
    let folds = stratified_folds(&y, 5, 42);
    let mut fold_auc = [Vec::new(), Vec::new()];
    for k in 0..5 {
        let tr: Vec<usize> = (0..y.len()).filter(|&i| folds[i] != k).collect();
        let te: Vec<usize> = (0..y.len()).filter(|&i| folds[i] == k).collect();
        let (auc, _, _, _) = run(&tr, &te)?;
        fold_auc[0].push(auc[0]);
        fold_auc[1].push(auc[1]);
    }
    let names = ["logistic_regression", "boosted_trees"];
    let models: Vec<ModelAuc> = (0..2)
        .map(|m| ModelAuc {
            model: names[m].to_string(),
            auc_split: split_auc[m],
            auc_cv: fold_auc[m].iter().sum::<f64>() / 5.0,
            auc_folds: fold_auc[m].clone(),
            fit_seconds: secs[m],
        })
        .collect();
    Ok(ChurnReport {
        file: data.to_path_buf(),
        label: table.headers[li].clone(),
        positive,
        n_rows: y.len(),
        positive_rate: y.iter().filter(|&&v| v).count() as f64 / y.len().max(1) as f64,
        n_features: enc.feature_names().len(),
        dropped: enc.dropped.clone(),
        kept: names[usize::from(split_auc[1] > split_auc[0])].to_string(),
        models,
        precision_at_threshold: precision,
        recall_at_threshold: recall,
        alert_threshold: settings.alert_threshold,
    })
}

/// One segment as printed.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentLine {
    pub name: String,
    pub size: usize,
    pub description: String,
}

/// `crmbot eval segments`: k-means segments of the customers in a transaction file.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentsReport {
    pub file: PathBuf,
    pub n_customers: usize,
    /// Silhouette (on a sample) of each k tried.
    pub silhouettes: Vec<(usize, f64)>,
    pub chosen_k: usize,
    pub segments: Vec<SegmentLine>,
    pub fit_seconds: f64,
}

impl fmt::Display for SegmentsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Segments of {} customers in {}",
            self.n_customers,
            self.file.display()
        )?;
        for (k, s) in &self.silhouettes {
            writeln!(
                f,
                "  k = {k}: silhouette {s:.4}{}",
                if *k == self.chosen_k {
                    "  <- chosen"
                } else {
                    ""
                }
            )?;
        }
        for s in &self.segments {
            writeln!(
                f,
                "  {:<18} {:>7} customers: {}",
                s.name, s.size, s.description
            )?;
        }
        write!(f, "  fit_seconds = {:.3}", self.fit_seconds)
    }
}

/// Segments the customers of a transaction file (see [`parse_transactions`]) on RFM as of
/// the last date in the file; engagement = purchase days in the last 30 days.
pub fn eval_segments(transactions: &Path) -> Result<SegmentsReport> {
    let tx = parse_transactions(open(transactions)?, transactions)?;
    let end = tx.iter().map(|t| t.date).max().ok_or_else(|| {
        ModelError::invalid(
            "segments",
            format!("{} has no transactions", transactions.display()),
        )
    })?;
    let mut per: std::collections::BTreeMap<&str, Vec<(NaiveDate, f64)>> =
        std::collections::BTreeMap::new();
    for t in &tx {
        per.entry(&t.customer).or_default().push((t.date, t.amount));
    }
    let inputs: Vec<SegmentInput> = per
        .values()
        .map(|v| {
            let mut days: Vec<NaiveDate> = v.iter().map(|p| p.0).collect();
            days.sort();
            days.dedup();
            let last = *days.last().expect("at least one purchase");
            SegmentInput {
                recency_days: (end - last).num_days() as f64,
                frequency: days.len() as f64,
                monetary: v.iter().map(|p| p.1).sum(),
                engagement: days.iter().filter(|d| (end - **d).num_days() < 30).count() as f64,
                sentiment: 0.0,
            }
        })
        .collect();
    let start = Instant::now();
    let m = SegmentModel::fit(&inputs, &SegmentSettings::default())?;
    let fit_seconds = start.elapsed().as_secs_f64();
    Ok(SegmentsReport {
        file: transactions.to_path_buf(),
        n_customers: inputs.len(),
        silhouettes: m.silhouettes.clone(),
        chosen_k: m.k,
        segments: m
            .segments
            .iter()
            .map(|s| SegmentLine {
                name: s.name.clone(),
                size: s.size,
                description: s.description.clone(),
            })
            .collect(),
        fit_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_in_every_supported_layout() {
        let f = Path::new("t.csv");
        let with_header =
            "customer_id,date,quantity,amount\n1,1997-01-01,2,29.33\n1,19970118,1,10\n";
        let headerless = "1,1997-01-01,29.33\n1,1997-01-18,10,1\n";
        let cdnow = " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  1   10.00\n";
        for text in [with_header, headerless, cdnow] {
            let t = parse_transactions(text.as_bytes(), f).unwrap();
            assert_eq!(t.len(), 2, "{text}");
            assert_eq!(t[0].amount, 29.33);
            assert_eq!(t[1].date, NaiveDate::from_ymd_opt(1997, 1, 18).unwrap());
        }
        let err = parse_transactions("customer_id,date,amount\n1,1997-13-01,5\n".as_bytes(), f)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("t.csv") && msg.contains("row 1") && msg.contains("date"),
            "{msg}"
        );
    }

    #[test]
    fn baskets_are_trimmed_deduplicated_and_unquoted() {
        let b = parse_baskets(
            "milk, bread ,milk\n\n\"tea, green\",mug\n".as_bytes(),
            Path::new("b.csv"),
        )
        .unwrap();
        assert_eq!(b, vec![vec!["bread", "milk"], vec!["mug", "tea, green"]]);
    }
}
