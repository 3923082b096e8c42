//! Small numerical helpers shared by the models: log-gamma, the Gauss hypergeometric
//! function, a Nelder-Mead minimiser (argmin), standardisation and ROC AUC.

use argmin::core::{CostFunction, Executor};
use argmin::solver::neldermead::NelderMead;
use serde::{Deserialize, Serialize};

use super::{ModelError, Result};

/// Natural log of the gamma function for positive arguments.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its power series,
/// switching to Euler's transformation when that converges faster.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    fn series(a: f64, b: f64, c: f64, z: f64) -> f64 {
        let mut term = 1.0;
        let mut sum = 1.0;
        for n in 0..100_000 {
            let n = n as f64;
            term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
            sum += term;
            if term.abs() <= 1e-15 * sum.abs() {
                break;
            }
        }
        sum
    }
    if z == 0.0 {
        return 1.0;
    }
    let direct = series(a, b, c, z);
    if direct.is_finite() {
        direct
    } else {
        (1.0 - z).powf(c - a - b) * series(c - a, c - b, c, z)
    }
}

/// 2F1(a, b; c; z) at several z at once, sharing the series coefficients (the CLV sums
/// need one value per month). Falls back to [`hyp2f1`] if the shared series overflows.
pub fn hyp2f1_many(a: f64, b: f64, c: f64, zs: &[f64]) -> Vec<f64> {
    let zmax = zs.iter().fold(0.0f64, |m, z| m.max(z.abs()));
    let mut sums = vec![1.0; zs.len()];
    let mut pows = vec![1.0; zs.len()];
    let (mut coef, mut zmax_pow) = (1.0f64, 1.0f64);
    for n in 0..100_000 {
        let nf = n as f64;
        coef *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0));
        zmax_pow *= zmax;
        for ((s, p), z) in sums.iter_mut().zip(pows.iter_mut()).zip(zs) {
            *p *= z;
            *s += coef * *p;
        }
        let biggest = sums.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        if (coef * zmax_pow).abs() <= 1e-15 * biggest || !biggest.is_finite() {
            break;
        }
    }
    if sums.iter().all(|s| s.is_finite()) {
        sums
    } else {
        zs.iter().map(|&z| hyp2f1(a, b, c, z)).collect()
    }
}

/// Logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

struct Objective<'a, F: Fn(&[f64]) -> f64>(&'a F);

impl<F: Fn(&[f64]) -> f64> CostFunction for Objective<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        let v = (self.0)(p);
        Ok(if v.is_finite() { v } else { f64::MAX / 4.0 })
    }
}

/// Minimises `f` from `start` with Nelder-Mead (argmin), restarting once from the best point
/// so a collapsed simplex cannot stop it early. Returns the best point and value.
pub fn minimize<F: Fn(&[f64]) -> f64>(
    model: &'static str,
    f: F,
    start: &[f64],
    max_iters: u64,
) -> Result<(Vec<f64>, f64)> {
    let mut best = start.to_vec();
    let mut best_value = f64::INFINITY;
    for (round, step) in [0.5, 0.05].into_iter().enumerate() {
        let mut simplex = vec![best.clone()];
        for i in 0..best.len() {
            let mut v = best.clone();
            v[i] += step;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-11)
            .map_err(|e| ModelError::fit(model, e))?;
        let result = Executor::new(Objective(&f), solver)
            .configure(|s| s.max_iters(max_iters))
            .run()
            .map_err(|e| ModelError::fit(model, e))?;
        let state = result.state();
        let point = state
            .best_param
            .clone()
            .ok_or_else(|| ModelError::fit(model, "optimizer returned no point"))?;
        if state.best_cost < best_value || round == 0 {
            best = point;
            best_value = state.best_cost;
        }
    }
    Ok((best, best_value))
}

/// Column means and standard deviations, applied as (x - mean) / std.
/// Columns with zero spread get std 1 so they pass through centred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
}

impl Standardizer {
    /// Learns means and (population) standard deviations of each column of `rows`.
    pub fn fit(x: &ndarray::Array2<f64>) -> Self {
        let n = x.nrows().max(1) as f64;
        let mut means = vec![0.0; x.ncols()];
        let mut stds = vec![0.0; x.ncols()];
        for row in x.rows() {
            for (j, v) in row.iter().enumerate() {
                means[j] += v;
            }
        }
        means.iter_mut().for_each(|m| *m /= n);
        for row in x.rows() {
            for (j, v) in row.iter().enumerate() {
                stds[j] += (v - means[j]).powi(2);
            }
        }
        for s in &mut stds {
            *s = (*s / n).sqrt();
            if !s.is_finite() || *s < 1e-12 {
                *s = 1.0;
            }
        }
        Standardizer { means, stds }
    }

    /// Standardised copy of `x`.
    pub fn transform(&self, x: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
        let mut out = x.clone();
        for mut row in out.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (*v - self.means[j]) / self.stds[j];
            }
        }
        out
    }

    /// Standardised value of column `j`.
    pub fn scale(&self, j: usize, v: f64) -> f64 {
        (v - self.means[j]) / self.stds[j]
    }
}

/// Area under the ROC curve (ties counted half), via the rank-sum statistic.
/// Returns 0.5 when one class is missing.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n_pos = labels.iter().filter(|&&l| l).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return 0.5;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += avg_rank;
            }
        }
        i = j + 1;
    }
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Precision and recall of the rule "alert when score >= threshold".
pub fn precision_recall_at(scores: &[f64], labels: &[bool], threshold: f64) -> (f64, f64) {
    let (mut tp, mut fp, mut fneg) = (0.0, 0.0, 0.0);
    for (&s, &l) in scores.iter().zip(labels) {
        match (s >= threshold, l) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fneg += 1.0,
            _ => {}
        }
    }
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fneg > 0.0 {
        tp / (tp + fneg)
    } else {
        0.0
    };
    (precision, recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_and_tied_scores() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            1.0
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert!(
            (roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]) - 0.75).abs() < 1e-12
        );
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        let z: f64 = 0.6;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-12);
        // 2F1(a, b; b; z) = (1 - z)^-a
        assert!((hyp2f1(2.5, 3.0, 3.0, 0.3) - 0.7f64.powf(-2.5)).abs() < 1e-12);
    }

    #[test]
    fn hyp2f1_many_matches_one_at_a_time() {
        let zs = [0.05, 0.2, 0.45, 0.7, 0.9];
        for (a, b, c) in [
            (2.2426, 4.4258, 3.2187),
            (0.25, 2.4, 2.2),
            (30.2, 32.4, 32.2),
        ] {
            let many = hyp2f1_many(a, b, c, &zs);
            for (z, m) in zs.iter().zip(&many) {
                let one = hyp2f1(a, b, c, *z);
                assert!(
                    ((m - one) / one).abs() < 1e-12,
                    "{a} {b} {c} {z}: {m} vs {one}"
                );
            }
        }
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let (p, v) = minimize(
            "test",
            |p| (p[0] - 1.0).powi(2) + (p[1] + 2.0).powi(2),
            &[0.0, 0.0],
            2000,
        )
        .unwrap();
        assert!((p[0] - 1.0).abs() < 1e-5 && (p[1] + 2.0).abs() < 1e-5 && v < 1e-9);
    }
}
