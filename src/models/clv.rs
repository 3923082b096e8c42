//! Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model
//! (Fader, Hardie & Lee 2005), fitted by maximum likelihood in log-parameter space.
//!
//! CDNOW conventions: time is in weeks, purchases on the same day are merged into one,
//! `frequency` counts repeat purchase days, `recency` is the age of the customer at the last
//! purchase, `t` the age at the end of the calibration period, and `monetary` is the mean
//! amount of the repeat purchase days (the first purchase is left out).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::math::{hyp2f1, hyp2f1_many, ln_gamma, minimize};
use super::{ModelError, Result};

/// One customer's purchase summary, all times in weeks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRfm {
    /// The customer's id as in the source data.
    pub id: String,
    /// Number of repeat purchase days (purchase days minus one).
    pub frequency: f64,
    /// Weeks from the first to the last purchase.
    pub recency: f64,
    /// Weeks from the first purchase to the end of the calibration period.
    pub t: f64,
    /// Mean amount of the repeat purchase days; 0 when there are none.
    pub monetary: f64,
}

/// One purchase of a customer (amounts of one day are summed by [`summarize`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub customer: String,
    pub date: NaiveDate,
    pub amount: f64,
}

/// Builds the RFM summary of every customer whose first purchase is on or before
/// `calibration_end`; later purchases are ignored. Without `calibration_end` the last
/// purchase date in the data is used. Customers come out sorted by id.
pub fn summarize(
    transactions: &[Transaction],
    calibration_end: Option<NaiveDate>,
) -> Vec<CustomerRfm> {
    let Some(end) = calibration_end.or_else(|| transactions.iter().map(|t| t.date).max()) else {
        return Vec::new();
    };
    let mut days: BTreeMap<&str, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for t in transactions.iter().filter(|t| t.date <= end) {
        *days
            .entry(&t.customer)
            .or_default()
            .entry(t.date)
            .or_insert(0.0) += t.amount;
    }
    days.into_iter()
        .map(|(id, d)| {
            let first = *d.keys().next().expect("non-empty by construction");
            let last = *d.keys().next_back().expect("non-empty by construction");
            let repeat: Vec<f64> = d.values().skip(1).copied().collect();
            CustomerRfm {
                id: id.to_string(),
                frequency: repeat.len() as f64,
                recency: (last - first).num_days() as f64 / 7.0,
                t: (end - first).num_days() as f64 / 7.0,
                monetary: if repeat.is_empty() {
                    0.0
                } else {
                    repeat.iter().sum::<f64>() / repeat.len() as f64
                },
            }
        })
        .collect()
}

/// A fitted BG/NBD model: purchases follow a Poisson process with rate ~ Gamma(r, alpha);
/// after each purchase the customer drops out with probability p ~ Beta(a, b).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    /// Log-likelihood of the training data at the fitted parameters.
    pub log_likelihood: f64,
    /// Number of customers fitted on.
    pub n_customers: usize,
}

/// Customers with identical (frequency, recency, T), counted once with their number:
/// one-time buyers who started on the same day share a row, which shrinks CDNOW by half.
#[derive(Debug, Clone, Copy)]
struct RfmGroup {
    x: f64,
    tx: f64,
    t: f64,
    count: f64,
}

fn group_rfm(data: &[CustomerRfm]) -> Vec<RfmGroup> {
    let mut keys: Vec<(u64, u64, u64)> = data
        .iter()
        .map(|c| (c.frequency.to_bits(), c.recency.to_bits(), c.t.to_bits()))
        .collect();
    keys.sort_unstable();
    let mut out: Vec<RfmGroup> = Vec::new();
    let mut last = None;
    for k in keys {
        if last == Some(k) {
            if let Some(g) = out.last_mut() {
                g.count += 1.0;
            }
        } else {
            out.push(RfmGroup {
                x: f64::from_bits(k.0),
                tx: f64::from_bits(k.1),
                t: f64::from_bits(k.2),
                count: 1.0,
            });
            last = Some(k);
        }
    }
    out
}

/// Log-likelihood of BG/NBD parameters over grouped data, with the terms that depend on an
/// integer frequency only (ln Γ ratios, ln(b + x − 1)) taken from per-evaluation tables.
fn bgnbd_ll(p: &[f64; 4], data: &[RfmGroup], max_int_x: usize) -> f64 {
    let [r, alpha, a, b] = *p;
    // Per x: lnΓ(r+x) − lnΓ(r) + lnΓ(b+x) − lnΓ(a+b+x), and ln(b + x − 1).
    let mut table_g = Vec::with_capacity(max_int_x + 1);
    let mut table_b1 = Vec::with_capacity(max_int_x + 1);
    let mut acc = ln_gamma(b) - ln_gamma(a + b);
    for x in 0..=max_int_x {
        let xf = x as f64;
        table_g.push(acc);
        table_b1.push((b + xf - 1.0).ln());
        acc += (r + xf).ln() + (b + xf).ln() - (a + b + xf).ln();
    }
    let const_part = r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
    let (ln_a, mut total, mut n) = (a.ln(), 0.0, 0.0);
    for c in data {
        let x = c.x;
        let xi = x as usize;
        let integral = xi as f64 == x && xi <= max_int_x;
        let g = if integral {
            table_g[xi]
        } else {
            ln_gamma(r + x) - ln_gamma(r) + ln_gamma(b + x) - ln_gamma(a + b + x)
        };
        let a3 = -(r + x) * (alpha + c.t).ln();
        let tail = if x > 0.0 {
            let ln_b1 = if integral {
                table_b1[xi]
            } else {
                (b + x - 1.0).ln()
            };
            let a4 = ln_a - ln_b1 - (r + x) * (alpha + c.tx).ln();
            let m = a3.max(a4);
            m + ((a3 - m).exp() + (a4 - m).exp()).ln()
        } else {
            a3
        };
        total += c.count * (g + tail);
        n += c.count;
    }
    total + const_part * n
}

fn check_rfm(model: &'static str, data: &[CustomerRfm]) -> Result<()> {
    if data.is_empty() {
        return Err(ModelError::invalid(model, "no customers"));
    }
    for c in data {
        let ok = c.frequency >= 0.0 && c.recency >= 0.0 && c.t >= c.recency && c.t.is_finite();
        if !ok || (c.frequency > 0.0 && c.t <= 0.0) {
            return Err(ModelError::invalid(
                model,
                format!(
                    "customer {}: need 0 <= recency <= T and frequency >= 0, got frequency {}, recency {}, T {}",
                    c.id, c.frequency, c.recency, c.t
                ),
            ));
        }
    }
    Ok(())
}

impl BgNbd {
    /// Fits r, alpha, a, b by maximum likelihood (Nelder-Mead over their logarithms).
    pub fn fit(data: &[CustomerRfm]) -> Result<BgNbd> {
        check_rfm("BG/NBD", data)?;
        let max_int_x = data
            .iter()
            .map(|c| c.frequency)
            .filter(|x| x.fract() == 0.0)
            .fold(0.0f64, f64::max)
            .min(100_000.0) as usize;
        let scale = data.iter().map(|c| c.t).sum::<f64>() / data.len() as f64;
        let start = [0.0, scale.max(1e-3).ln(), 0.0, 0.0];
        let groups = group_rfm(data);
        let (p, neg_ll) = minimize(
            "BG/NBD",
            |lp| {
                let p = [lp[0].exp(), lp[1].exp(), lp[2].exp(), lp[3].exp()];
                -bgnbd_ll(&p, &groups, max_int_x)
            },
            &start,
            3000,
        )?;
        let fitted = BgNbd {
            r: p[0].exp(),
            alpha: p[1].exp(),
            a: p[2].exp(),
            b: p[3].exp(),
            log_likelihood: -neg_ll,
            n_customers: data.len(),
        };
        if !fitted.log_likelihood.is_finite() {
            return Err(ModelError::fit("BG/NBD", "log-likelihood is not finite"));
        }
        Ok(fitted)
    }

    /// Log-likelihood of these parameters on other data.
    pub fn log_likelihood_of(&self, data: &[CustomerRfm]) -> f64 {
        bgnbd_ll(&[self.r, self.alpha, self.a, self.b], &group_rfm(data), 0)
    }

    /// Probability that a customer with this history is still active at the end of it.
    pub fn p_alive(&self, frequency: f64, recency: f64, t: f64) -> f64 {
        if frequency == 0.0 {
            return 1.0;
        }
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let ln_ratio = (r + frequency) * ((alpha + t) / (alpha + recency)).ln();
        let odds = (a / (b + frequency - 1.0)).ln() + ln_ratio;
        1.0 / (1.0 + odds.exp())
    }

    /// Expected number of purchases in the next `weeks` weeks for a customer with this
    /// history (equation 10 of Fader, Hardie & Lee 2005).
    pub fn expected_purchases(&self, weeks: f64, frequency: f64, recency: f64, t: f64) -> f64 {
        if weeks <= 0.0 {
            return 0.0;
        }
        let (r, alpha, a, b, x) = (self.r, self.alpha, self.a, self.b, frequency);
        let z = weeks / (alpha + t + weeks);
        let hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let first = (a + b + x - 1.0) / (a - 1.0);
        let second = 1.0 - hyp * ((alpha + t) / (alpha + t + weeks)).powf(r + x);
        let denom = 1.0
            + if x > 0.0 {
                a / (b + x - 1.0) * ((alpha + t) / (alpha + recency)).powf(r + x)
            } else {
                0.0
            };
        (first * second / denom).max(0.0)
    }

    /// [`BgNbd::expected_purchases`] for several horizons at once (sharing the series).
    pub fn expected_purchases_many(
        &self,
        weeks: &[f64],
        frequency: f64,
        recency: f64,
        t: f64,
    ) -> Vec<f64> {
        let (r, alpha, a, b, x) = (self.r, self.alpha, self.a, self.b, frequency);
        let zs: Vec<f64> = weeks
            .iter()
            .map(|&w| w.max(0.0) / (alpha + t + w.max(0.0)))
            .collect();
        let hyps = hyp2f1_many(r + x, b + x, a + b + x - 1.0, &zs);
        let first = (a + b + x - 1.0) / (a - 1.0);
        let denom = 1.0
            + if x > 0.0 {
                a / (b + x - 1.0) * ((alpha + t) / (alpha + recency)).powf(r + x)
            } else {
                0.0
            };
        weeks
            .iter()
            .zip(hyps)
            .map(|(&w, hyp)| {
                if w <= 0.0 {
                    return 0.0;
                }
                let second = 1.0 - hyp * ((alpha + t) / (alpha + t + w)).powf(r + x);
                (first * second / denom).max(0.0)
            })
            .collect()
    }

    /// Expected purchases of a new customer in their first `weeks` weeks.
    pub fn expected_purchases_new(&self, weeks: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = weeks / (alpha + weeks);
        (a + b - 1.0) / (a - 1.0)
            * (1.0 - (alpha / (alpha + weeks)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }
}

/// A fitted Gamma-Gamma spend model: each customer's mean spend per transaction varies
/// around their own mean with shape p, and those means follow a Gamma(q, v) across customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub v: f64,
    pub log_likelihood: f64,
    /// Number of repeat buyers fitted on.
    pub n_customers: usize,
}

impl GammaGamma {
    /// Fits p, q, v on the customers with at least one repeat purchase and a positive mean.
    pub fn fit(data: &[CustomerRfm]) -> Result<GammaGamma> {
        let repeat: Vec<(f64, f64)> = data
            .iter()
            .filter(|c| c.frequency > 0.0 && c.monetary > 0.0)
            .map(|c| (c.frequency, c.monetary))
            .collect();
        if repeat.len() < 3 {
            return Err(ModelError::invalid(
                "Gamma-Gamma",
                format!(
                    "need at least 3 repeat buyers with positive spend, got {}",
                    repeat.len()
                ),
            ));
        }
        // Terms that depend on a customer only through x are summed per distinct x, so the
        // log-gamma calls per evaluation are two per distinct frequency, not per customer.
        let mut by_x: BTreeMap<u64, (f64, f64)> = BTreeMap::new(); // x bits -> (x, count)
        for &(x, _) in &repeat {
            by_x.entry(x.to_bits()).or_insert((x, 0.0)).1 += 1.0;
        }
        let groups: Vec<(f64, f64, f64)> = by_x.values().map(|&(x, c)| (x, c, x.ln())).collect();
        let rows: Vec<(f64, f64, f64)> = repeat.iter().map(|&(x, m)| (x, m, m.ln())).collect();
        let n = repeat.len() as f64;
        let ll = |p: f64, q: f64, v: f64| -> f64 {
            let per_x: f64 = groups
                .iter()
                .map(|&(x, c, ln_x)| {
                    let px = p * x;
                    c * (ln_gamma(px + q) - ln_gamma(px) + px * ln_x)
                })
                .sum();
            let per_row: f64 = rows
                .iter()
                .map(|&(x, m, ln_m)| {
                    let px = p * x;
                    (px - 1.0) * ln_m - (px + q) * (x * m + v).ln()
                })
                .sum();
            per_x + per_row + n * (q * v.ln() - ln_gamma(q))
        };
        let mean_m = repeat.iter().map(|r| r.1).sum::<f64>() / repeat.len() as f64;
        // Log-parameters are kept within ±20: without spread in spend between customers the
        // likelihood keeps rising as q and v grow together, and the bound stops the drift.
        let (p, neg_ll) = minimize(
            "Gamma-Gamma",
            |lp| {
                if lp.iter().any(|v| v.abs() > 20.0) {
                    return f64::INFINITY;
                }
                -ll(lp[0].exp(), lp[1].exp(), lp[2].exp())
            },
            &[0.0, 0.0, mean_m.ln()],
            3000,
        )?;
        Ok(GammaGamma {
            p: p[0].exp(),
            q: p[1].exp(),
            v: p[2].exp(),
            log_likelihood: -neg_ll,
            n_customers: repeat.len(),
        })
    }

    /// Expected mean spend per transaction of a customer with `frequency` repeat purchases
    /// of mean `monetary`; the population mean p·v/(q−1) for customers without repeats.
    pub fn expected_spend(&self, frequency: f64, monetary: f64) -> f64 {
        let (p, q, v) = (self.p, self.q, self.v);
        if frequency <= 0.0 || monetary <= 0.0 {
            return if q > 1.0 { p * v / (q - 1.0) } else { 0.0 };
        }
        p * (v + frequency * monetary) / (p * frequency + q - 1.0)
    }
}

/// BG/NBD + Gamma-Gamma together, giving a discounted lifetime value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvModel {
    pub bgnbd: BgNbd,
    /// `None` when there were too few repeat buyers; spend then falls back to `fallback_spend`.
    pub gamma_gamma: Option<GammaGamma>,
    /// Mean spend per purchase day in the training data.
    pub fallback_spend: f64,
}

/// What the CLV model says about one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvEstimate {
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_spend: f64,
    /// Discounted expected value over the horizon.
    pub clv: f64,
}

impl ClvModel {
    /// Fits both models. Gamma-Gamma failures (too few repeat buyers) are tolerated.
    pub fn fit(data: &[CustomerRfm]) -> Result<ClvModel> {
        let bgnbd = BgNbd::fit(data)?;
        let gamma_gamma = GammaGamma::fit(data).ok();
        let spenders: Vec<f64> = data
            .iter()
            .filter(|c| c.monetary > 0.0)
            .map(|c| c.monetary)
            .collect();
        let fallback_spend = if spenders.is_empty() {
            0.0
        } else {
            spenders.iter().sum::<f64>() / spenders.len() as f64
        };
        Ok(ClvModel {
            bgnbd,
            gamma_gamma,
            fallback_spend,
        })
    }

    /// Value over `horizon_weeks`, discounted monthly at `monthly_discount` (e.g. 0.01),
    /// summing expected purchases month by month times the expected spend.
    pub fn estimate(
        &self,
        c: &CustomerRfm,
        horizon_weeks: f64,
        monthly_discount: f64,
    ) -> ClvEstimate {
        let spend = match &self.gamma_gamma {
            Some(gg) => gg.expected_spend(c.frequency, c.monetary),
            None if c.monetary > 0.0 => c.monetary,
            None => self.fallback_spend,
        };
        const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;
        let months = (horizon_weeks / WEEKS_PER_MONTH).ceil().max(1.0) as usize;
        let weeks: Vec<f64> = (1..=months)
            .map(|m| (m as f64 * WEEKS_PER_MONTH).min(horizon_weeks))
            .collect();
        let cums = self
            .bgnbd
            .expected_purchases_many(&weeks, c.frequency, c.recency, c.t);
        let (mut value, mut prev) = (0.0, 0.0);
        for (m, cum) in cums.into_iter().enumerate() {
            value += (cum - prev) * spend / (1.0 + monthly_discount).powi(m as i32 + 1);
            prev = cum;
        }
        ClvEstimate {
            p_alive: self.bgnbd.p_alive(c.frequency, c.recency, c.t),
            expected_purchases: prev,
            expected_spend: spend,
            clv: value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::eval::parse_rfm_summary;

    fn fixture() -> Vec<CustomerRfm> {
        let text = include_str!("../../tests/fixtures/cdnow_customers_summary.csv");
        parse_rfm_summary(text.as_bytes(), "cdnow_customers_summary.csv".as_ref()).unwrap()
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        ((got - want) / want).abs() <= rel
    }

    #[test]
    fn bgnbd_reaches_published_cdnow_parameters() {
        let data = fixture();
        assert_eq!(data.len(), 2357);
        let m = BgNbd::fit(&data).unwrap();
        assert!(close(m.r, 0.2426, 0.005), "r = {}", m.r);
        assert!(close(m.alpha, 4.4135, 0.005), "alpha = {}", m.alpha);
        assert!(close(m.a, 0.7929, 0.005), "a = {}", m.a);
        assert!(close(m.b, 2.4258, 0.005), "b = {}", m.b);
        assert!(
            (m.log_likelihood + 9582.4).abs() <= 0.5,
            "ll = {}",
            m.log_likelihood
        );
    }

    #[test]
    fn bgnbd_predictions_match_lifetimes() {
        // lifetimes' test suite, with its published parameters.
        let m = BgNbd {
            r: 0.2425,
            alpha: 4.4136,
            a: 0.7929,
            b: 2.4259,
            log_likelihood: 0.0,
            n_customers: 0,
        };
        // Fader, Hardie & Lee: a customer with x=2, t_x=30.43, T=38.86 is expected to buy
        // 1.226 times in the next 39 weeks.
        let e = m.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 0.01, "E = {e}");
        let many = m.expected_purchases_many(&[13.0, 39.0], 2.0, 30.43, 38.86);
        assert!((many[1] - e).abs() < 1e-12);
        assert!((many[0] - m.expected_purchases(13.0, 2.0, 30.43, 38.86)).abs() < 1e-12);
        assert!(m.p_alive(0.0, 0.0, 38.86) == 1.0);
        let pa = m.p_alive(2.0, 30.43, 38.86);
        assert!(pa > 0.6 && pa < 0.8, "P(alive) = {pa}");
        // Unconditional expectation, Hardie's spreadsheet as in lifetimes' tests.
        for (t, want) in [
            (0.1429, 0.0078),
            (1.0, 0.0532),
            (3.0, 0.1506),
            (31.8571, 1.0405),
            (32.0, 1.0437),
            (78.0, 1.8576),
        ] {
            let got = m.expected_purchases_new(t);
            assert!((got - want).abs() < 0.001, "E[X({t})] = {got}, want {want}");
        }
    }

    #[test]
    fn summary_merges_same_day_and_respects_calibration_end() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let tx = |c: &str, s: &str, a: f64| Transaction {
            customer: c.into(),
            date: d(s),
            amount: a,
        };
        let data = vec![
            tx("1", "1997-01-01", 10.0),
            tx("1", "1997-01-01", 5.0),
            tx("1", "1997-01-15", 20.0),
            tx("1", "1997-01-29", 40.0),
            tx("1", "1997-12-01", 99.0),
            tx("2", "1997-02-01", 7.0),
            tx("3", "1997-11-01", 7.0),
        ];
        let s = summarize(&data, Some(d("1997-09-30")));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].frequency, 2.0);
        assert_eq!(s[0].recency, 4.0);
        assert!((s[0].t - 272.0 / 7.0).abs() < 1e-12);
        assert_eq!(s[0].monetary, 30.0);
        assert_eq!(s[1].frequency, 0.0);
    }
}
