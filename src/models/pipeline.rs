//! Training and scoring of every customer model in one pure pass:
//! [`train_all`] builds features at past cut-offs, labels churn by what happened next,
//! fits CLV, churn (with a time-based backtest), segments and product rules, and returns
//! versioned artifacts; [`score_all`] turns the trained models into one score per customer
//! (stage, segment, churn probability with reasons, CLV, P(alive), expected loss and a
//! suggested action). [`should_replace`] guards against deploying a worse churn model.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::affinity::{RuleSet, RuleSettings, mine_rules};
use super::artifact::{Artifact, ArtifactKind, DataSummary};
use super::churn::{ChurnMetrics, ChurnModel, ChurnSettings, Reason};
use super::clv::{ClvModel, CustomerRfm};
use super::features::{
    CustomerFeatures, CustomerHistory, activity_times, feature_texts, rfm_at, rfm_of_purchases,
    subscription_at,
};
use super::lifecycle::{LifecycleSettings, ModelRisk, Stage, classify_with_risk};
use super::risk::RiskSettings;
use super::segments::{SegmentModel, SegmentSettings};
use super::{ModelError, Result};
use crate::domain::{CustomerId, EventKind};

/// Everything the models learn from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingInput {
    pub customers: Vec<CustomerHistory>,
}

/// How churn is labelled at a past cut-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabelSettings {
    /// Days after the cut-off in which churn is looked for.
    pub horizon_days: i64,
    /// A customer churned if they cancelled within the horizon, or had no login or purchase
    /// in the last `inactivity_days` of it. Customers already that idle at the cut-off
    /// (without subscription) are left out.
    pub inactivity_days: i64,
    /// Number of past cut-offs; the latest is the backtest set, the others train.
    pub cutoffs: usize,
    /// Days between cut-offs.
    pub cutoff_step_days: i64,
}

impl Default for LabelSettings {
    fn default() -> Self {
        LabelSettings {
            horizon_days: 90,
            inactivity_days: 60,
            cutoffs: 4,
            cutoff_step_days: 30,
        }
    }
}

/// CLV settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClvSettings {
    /// Weeks of future value counted.
    pub horizon_weeks: f64,
    /// Monthly discount rate.
    pub monthly_discount: f64,
    /// Fewest buyers needed to fit.
    pub min_customers: usize,
}

impl Default for ClvSettings {
    fn default() -> Self {
        ClvSettings {
            horizon_weeks: 52.0,
            monthly_discount: 0.01,
            min_customers: 20,
        }
    }
}

/// All model settings (a `[models]` section of the configuration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    pub lifecycle: LifecycleSettings,
    pub labels: LabelSettings,
    pub churn: ChurnSettings,
    pub clv: ClvSettings,
    pub segments: SegmentSettings,
    pub rules: RuleSettings,
    /// What "at risk" means (one threshold for every view).
    pub risk: RiskSettings,
}

/// The trained models, as values and as artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModels {
    pub trained_at: DateTime<Utc>,
    pub settings: ModelSettings,
    pub clv: Option<ClvModel>,
    pub churn: Option<ChurnModel>,
    pub segments: Option<SegmentModel>,
    pub rules: Option<RuleSet>,
    /// One artifact per trained model plus the settings (kind `lifecycle`).
    pub artifacts: Vec<Artifact>,
    /// Models not trained, with why.
    pub skipped: Vec<(ArtifactKind, String)>,
}

impl TrainedModels {
    /// Backtest metrics of the churn model, if one was trained.
    pub fn backtest(&self) -> Option<&ChurnMetrics> {
        self.churn.as_ref().map(|c| &c.metrics)
    }

    /// Rebuilds the models from stored artifacts (missing kinds stay `None`).
    pub fn from_artifacts(artifacts: &[Artifact]) -> Result<TrainedModels> {
        let find = |k: ArtifactKind| artifacts.iter().find(|a| a.kind == k);
        let settings: ModelSettings = match find(ArtifactKind::Lifecycle) {
            Some(a) => a.decode(ArtifactKind::Lifecycle)?,
            None => ModelSettings::default(),
        };
        Ok(TrainedModels {
            trained_at: artifacts
                .iter()
                .map(|a| a.trained_at)
                .max()
                .unwrap_or_default(),
            settings,
            clv: find(ArtifactKind::Clv)
                .map(|a| a.decode(ArtifactKind::Clv))
                .transpose()?,
            churn: find(ArtifactKind::Churn)
                .map(|a| a.decode(ArtifactKind::Churn))
                .transpose()?,
            segments: find(ArtifactKind::Segments)
                .map(|a| a.decode(ArtifactKind::Segments))
                .transpose()?,
            rules: find(ArtifactKind::Rules)
                .map(|a| a.decode(ArtifactKind::Rules))
                .transpose()?,
            artifacts: artifacts.to_vec(),
            skipped: Vec::new(),
        })
    }
}

/// Whether a newly trained churn model should replace the deployed one: yes when forced,
/// otherwise unless its AUC is worse by more than 0.02.
pub fn should_replace(old_auc: f64, new_auc: f64, force: bool) -> bool {
    force || !old_auc.is_finite() || new_auc >= old_auc - 0.02
}

fn summary(input: &TrainingInput) -> DataSummary {
    let times = input.customers.iter().flat_map(|c| {
        c.events
            .iter()
            .map(|e| e.at)
            .chain(c.interactions.iter().map(|i| i.at))
    });
    let (first, last) = times.fold(
        (None, None),
        |(lo, hi): (Option<DateTime<Utc>>, Option<DateTime<Utc>>), t| {
            (
                Some(lo.map_or(t, |l| l.min(t))),
                Some(hi.map_or(t, |h| h.max(t))),
            )
        },
    );
    DataSummary {
        customers: input.customers.len(),
        events: input.customers.iter().map(|c| c.events.len()).sum(),
        interactions: input.customers.iter().map(|c| c.interactions.len()).sum(),
        rows: 0,
        positives: 0,
        first_event: first,
        last_event: last,
    }
}

/// Features at `at`, with P(alive) filled in by the CLV model for non-subscribers.
pub fn features_at(
    c: &CustomerHistory,
    at: DateTime<Utc>,
    clv: Option<&ClvModel>,
) -> (CustomerFeatures, Option<CustomerRfm>) {
    let (mut f, buys) =
        CustomerFeatures::build_with_purchases(&c.customer, &c.events, &c.interactions, at);
    let rfm = rfm_of_purchases(&c.customer.id.to_string(), &buys, at);
    if let (Some(m), Some(r)) = (clv, &rfm)
        && f.subscription_active == 0.0
    {
        f.p_alive = m.bgnbd.p_alive(r.frequency, r.recency, r.t);
    }
    (f, rfm)
}

/// Churn label of a customer at cut-off `c`: `None` when not eligible (not yet a customer,
/// a lead, or already gone), else whether they churned within the horizon.
pub fn churn_label(h: &CustomerHistory, c: DateTime<Utc>, s: &LabelSettings) -> Option<bool> {
    if h.customer.is_lead || h.customer.created > c {
        return None;
    }
    let acts = activity_times(&h.events, c + Duration::days(s.horizon_days));
    let idle_window = Duration::days(s.inactivity_days);
    let active_before = acts.iter().any(|t| *t <= c && *t > c - idle_window);
    let subscribed = subscription_at(&h.events, c).is_some();
    if !active_before && !subscribed {
        return None;
    }
    let end = c + Duration::days(s.horizon_days);
    let cancelled = h
        .events
        .iter()
        .any(|e| e.at > c && e.at <= end && matches!(e.kind, EventKind::SubscriptionCancel { .. }));
    let active_late = acts.iter().any(|t| *t > end - idle_window && *t <= end);
    Some(cancelled || !active_late)
}

fn churn_rows(
    input: &TrainingInput,
    c: DateTime<Utc>,
    clv: Option<&ClvModel>,
    s: &LabelSettings,
) -> (Vec<Vec<f64>>, Vec<bool>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for h in &input.customers {
        if let Some(label) = churn_label(h, c, s) {
            x.push(features_at(h, c, clv).0.to_vector());
            y.push(label);
        }
    }
    (x, y)
}

fn to_matrix(rows: &[Vec<f64>]) -> Array2<f64> {
    let w = rows.first().map_or(0, Vec::len);
    Array2::from_shape_fn((rows.len(), w), |(i, j)| rows[i][j])
}

fn metrics(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Trains every model on `input` as of `now`.
pub fn train_all(
    input: &TrainingInput,
    now: DateTime<Utc>,
    settings: &ModelSettings,
) -> Result<TrainedModels> {
    let base = summary(input);
    let mut artifacts = Vec::new();
    let mut skipped = Vec::new();

    // CLV on everyone's purchases up to now.
    let rfm: Vec<CustomerRfm> = input
        .customers
        .iter()
        .filter(|c| !c.customer.is_lead)
        .filter_map(|c| rfm_at(&c.customer.id.to_string(), &c.events, now))
        .collect();
    let clv = if rfm.len() < settings.clv.min_customers.max(3) {
        skipped.push((
            ArtifactKind::Clv,
            format!("{} buyers, need {}", rfm.len(), settings.clv.min_customers),
        ));
        None
    } else {
        match ClvModel::fit(&rfm) {
            Ok(m) => {
                let mut mt = vec![
                    ("log_likelihood", m.bgnbd.log_likelihood),
                    ("r", m.bgnbd.r),
                    ("alpha", m.bgnbd.alpha),
                    ("a", m.bgnbd.a),
                    ("b", m.bgnbd.b),
                ];
                if let Some(g) = &m.gamma_gamma {
                    mt.extend([("p", g.p), ("q", g.q), ("v", g.v)]);
                }
                let data = DataSummary {
                    rows: rfm.len(),
                    ..base.clone()
                };
                artifacts.push(Artifact::new(
                    ArtifactKind::Clv,
                    now,
                    data,
                    metrics(&mt),
                    &m,
                )?);
                Some(m)
            }
            Err(e) => {
                skipped.push((ArtifactKind::Clv, e.to_string()));
                None
            }
        }
    };

    // Churn: the latest past cut-off is the backtest, earlier ones train.
    let ls = &settings.labels;
    let latest = now - Duration::days(ls.horizon_days);
    let mut train_rows = Vec::new();
    let mut train_y = Vec::new();
    for k in 1..ls.cutoffs.max(1) {
        let c = latest - Duration::days(ls.cutoff_step_days * k as i64);
        let (x, y) = churn_rows(input, c, clv.as_ref(), ls);
        train_rows.extend(x);
        train_y.extend(y);
    }
    let (test_rows, test_y) = churn_rows(input, latest, clv.as_ref(), ls);
    let both = |y: &[bool]| y.iter().any(|v| *v) && y.iter().any(|v| !*v);
    let churn_result = if both(&train_y) && both(&test_y) && train_y.len() >= 20 {
        ChurnModel::fit_backtest(
            (&to_matrix(&train_rows), &train_y),
            (&to_matrix(&test_rows), &test_y),
            feature_texts(),
            &settings.churn,
        )
    } else {
        let mut rows = train_rows.clone();
        rows.extend(test_rows.iter().cloned());
        let mut y = train_y.clone();
        y.extend(test_y.iter().copied());
        if both(&y) && y.len() >= 20 {
            ChurnModel::fit(&to_matrix(&rows), &y, feature_texts(), &settings.churn)
        } else {
            Err(ModelError::invalid(
                "churn",
                format!(
                    "{} labelled rows with {} churners: too few to train",
                    y.len(),
                    y.iter().filter(|v| **v).count()
                ),
            ))
        }
    };
    let churn = match churn_result {
        Ok(m) => {
            let mm = &m.metrics;
            let data = DataSummary {
                rows: train_y.len() + test_y.len(),
                positives: train_y.iter().chain(&test_y).filter(|v| **v).count(),
                ..base.clone()
            };
            let mut mt = vec![
                ("auc", mm.auc),
                ("logistic_auc", mm.logistic_auc),
                ("precision_at_threshold", mm.precision_at_threshold),
                ("recall_at_threshold", mm.recall_at_threshold),
            ];
            if let Some(t) = mm.trees_auc {
                mt.push(("trees_auc", t));
            }
            artifacts.push(Artifact::new(
                ArtifactKind::Churn,
                now,
                data,
                metrics(&mt),
                &m,
            )?);
            Some(m)
        }
        Err(e) => {
            skipped.push((ArtifactKind::Churn, e.to_string()));
            None
        }
    };

    // Segments on today's features of known customers.
    let seg_inputs: Vec<_> = input
        .customers
        .iter()
        .filter(|c| !c.customer.is_lead && c.customer.created <= now)
        .map(|c| {
            CustomerFeatures::build(&c.customer, &c.events, &c.interactions, now).segment_input()
        })
        .collect();
    let segments = match SegmentModel::fit(&seg_inputs, &settings.segments) {
        Ok(m) => {
            let sil = m
                .silhouettes
                .iter()
                .find(|(k, _)| *k == m.k)
                .map_or(0.0, |s| s.1);
            let data = DataSummary {
                rows: seg_inputs.len(),
                ..base.clone()
            };
            artifacts.push(Artifact::new(
                ArtifactKind::Segments,
                now,
                data,
                metrics(&[("k", m.k as f64), ("silhouette", sil)]),
                &m,
            )?);
            Some(m)
        }
        Err(e) => {
            skipped.push((ArtifactKind::Segments, e.to_string()));
            None
        }
    };

    // Product rules from order lines.
    let baskets: Vec<Vec<String>> = input
        .customers
        .iter()
        .flat_map(|c| c.events.iter())
        .filter(|e| e.at <= now)
        .filter_map(|e| match &e.kind {
            EventKind::Purchase { items, .. } if !items.is_empty() => {
                Some(items.iter().map(|i| i.product.clone()).collect())
            }
            _ => None,
        })
        .collect();
    let rules = if baskets.is_empty() {
        skipped.push((ArtifactKind::Rules, "no orders with items".into()));
        None
    } else {
        match mine_rules(&baskets, &settings.rules) {
            Ok(r) => {
                let data = DataSummary {
                    rows: baskets.len(),
                    ..base.clone()
                };
                artifacts.push(Artifact::new(
                    ArtifactKind::Rules,
                    now,
                    data,
                    metrics(&[
                        ("rules", r.rules.len() as f64),
                        ("itemsets", r.n_frequent_itemsets as f64),
                    ]),
                    &r,
                )?);
                Some(r)
            }
            Err(e) => {
                skipped.push((ArtifactKind::Rules, e.to_string()));
                None
            }
        }
    };
    artifacts.push(Artifact::new(
        ArtifactKind::Lifecycle,
        now,
        base,
        BTreeMap::new(),
        settings,
    )?);

    Ok(TrainedModels {
        trained_at: now,
        settings: settings.clone(),
        clv,
        churn,
        segments,
        rules,
        artifacts,
        skipped,
    })
}

/// Everything the models say about one customer now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    pub customer: CustomerId,
    pub stage: Stage,
    pub stage_reason: String,
    /// Segment name, when a segment model exists (not for leads).
    pub segment: Option<String>,
    /// Calibrated probability of churning within the label horizon.
    pub churn_probability: Option<f64>,
    /// Whether the customer is at risk: churn probability at or above
    /// `[models.risk] at_risk_probability` (then the stage is `at_risk` too).
    pub churn_alert: bool,
    /// Top reasons for the churn risk, strongest first.
    pub reasons: Vec<Reason>,
    /// Discounted expected value over the CLV horizon.
    pub clv: Option<f64>,
    /// BG/NBD probability that the customer still buys.
    pub p_alive: Option<f64>,
    /// Churn probability × CLV: the value at stake.
    pub expected_loss: f64,
    /// What to do next, in words.
    pub suggested_action: String,
}

fn suggest(
    stage: Stage,
    alert: bool,
    reasons: &[Reason],
    clv: f64,
    segment: Option<&str>,
) -> String {
    let has = |f: &str| reasons.iter().any(|r| r.feature == f);
    match stage {
        Stage::Lead => "answer their questions and invite them to sign up".into(),
        Stage::Churned => "send a win-back offer".into(),
        Stage::New => "send the welcome series and first-order tips".into(),
        _ if alert => {
            let first = if has("tickets_unresolved") || has("tickets_opened_90d") {
                "resolve their open support issue first"
            } else if has("payment_failures_90d") {
                "help them fix their payment method"
            } else if has("sentiment_mean")
                || has("negative_share_30d")
                || has("sentiment_trend")
                || has("escalations_90d")
            {
                "reach out personally about their complaint"
            } else {
                "send a retention offer"
            };
            if clv >= 100.0 {
                format!("{first}; high value: have an account manager call them")
            } else {
                first.to_string()
            }
        }
        Stage::AtRisk => "check in with a personal message and a small incentive".into(),
        Stage::Reactivated => "welcome them back and suggest products they may like".into(),
        Stage::Loyal => "thank them and invite them to the loyalty or referral programme".into(),
        Stage::Active if segment.is_some_and(|s| s.starts_with("champions")) => {
            "invite them to the referral programme".into()
        }
        Stage::Active => "recommend related products".into(),
    }
}

/// Scores every customer of `input` at `now` (in input order).
pub fn score_all(
    models: &TrainedModels,
    input: &TrainingInput,
    now: DateTime<Utc>,
) -> Vec<CustomerScore> {
    let customers = &input.customers;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads <= 1 || customers.len() < 4096 {
        return customers
            .iter()
            .map(|h| score_one(models, h, now))
            .collect();
    }
    // Customers are independent: score them in chunks on scoped threads (joined before
    // returning; the result is in input order and identical to a sequential run).
    let chunk = customers.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = customers
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|h| score_one(models, h, now))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a scoring thread panicked"))
            .collect()
    })
}

/// The score of one customer at `now`.
pub fn score_one(models: &TrainedModels, h: &CustomerHistory, now: DateTime<Utc>) -> CustomerScore {
    let s = &models.settings;
    let (f, rfm) = features_at(h, now, models.clv.as_ref());
    let lead = h.customer.is_lead;
    let est = match (&models.clv, &rfm) {
        (Some(m), Some(r)) if !lead => {
            Some(m.estimate(r, s.clv.horizon_weeks, s.clv.monthly_discount))
        }
        _ => None,
    };
    let pred = match &models.churn {
        Some(m) if !lead => Some(m.predict(&f.to_vector())),
        _ => None,
    };
    let segment = match &models.segments {
        Some(m) if !lead => Some(m.assign(&f.segment_input()).name.clone()),
        _ => None,
    };
    let clv = est.map(|e| e.clv);
    let p = pred.as_ref().map(|p| p.probability);
    let model_risk = p.map(|probability| ModelRisk {
        probability,
        at_risk: s.risk.is_at_risk(probability),
        threshold: s.risk.at_risk_probability,
    });
    let st = classify_with_risk(&f, &s.lifecycle, model_risk);
    // At risk means one thing everywhere: the stage says it, and so does the flag.
    let alert = st.stage == Stage::AtRisk && model_risk.is_some_and(|m| m.at_risk);
    let reasons = pred.map(|p| p.reasons).unwrap_or_default();
    let suggested_action = suggest(
        st.stage,
        alert,
        &reasons,
        clv.unwrap_or(0.0),
        segment.as_deref(),
    );
    CustomerScore {
        customer: h.customer.id,
        stage: st.stage,
        stage_reason: st.reason,
        segment,
        churn_probability: p,
        churn_alert: alert,
        reasons,
        clv,
        p_alive: est.map(|e| e.p_alive),
        expected_loss: p.unwrap_or(0.0) * clv.unwrap_or(0.0),
        suggested_action,
    }
}

/// The `n` customers at risk with the most value at stake (expected loss, then churn
/// probability).
pub fn rank_at_risk(scores: &[CustomerScore], n: usize) -> Vec<&CustomerScore> {
    let key = |s: &CustomerScore| (s.expected_loss, s.churn_probability.unwrap_or(0.0));
    let cmp = |a: &&CustomerScore, b: &&CustomerScore| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(a.customer.cmp(&b.customer))
    };
    let mut v: Vec<&CustomerScore> = scores
        .iter()
        .filter(|s| s.churn_alert && s.churn_probability.is_some())
        .collect();
    if n < v.len() {
        v.select_nth_unstable_by(n, cmp);
        v.truncate(n);
    }
    v.sort_by(cmp);
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Event, OrderItem, OrderStatus, Plan};
    use crate::models::features::tests::{customer, msg, t0};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A synthetic shop: subscribers who log in and buy; some become unhappy (tickets,
    /// negative chat) and then cancel or go quiet. Deterministic for a seed.
    pub(crate) fn synthetic_shop(n: usize, days: i64, seed: u64) -> TrainingInput {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let products = ["tea", "mug", "kettle", "biscuits", "honey", "filter"];
        let mut customers = Vec::with_capacity(n);
        for id in 0..n as u64 {
            let start = rng.gen_range(0..days / 2);
            let c = {
                let mut c = customer(id, t0() + Duration::days(start));
                c.plan = Plan::Basic;
                c
            };
            let rate: f64 = rng.gen_range(0.02..0.25);
            let unhappy_at = if rng.r#gen::<f64>() < 0.3 {
                Some(start + rng.gen_range(10..days.max(11) - start.min(days - 11)))
            } else {
                None
            };
            let mut events = Vec::new();
            let mut msgs = Vec::new();
            let at = |d: i64| t0() + Duration::days(d) + Duration::hours(10);
            let subscribed = rng.r#gen::<f64>() < 0.5;
            if subscribed {
                events.push(Event {
                    customer: c.id,
                    at: at(start),
                    kind: EventKind::SubscriptionStart { plan: Plan::Plus },
                });
            }
            let mut gone = false;
            for d in start..days {
                if gone {
                    break;
                }
                let unhappy = unhappy_at.is_some_and(|u| d >= u);
                let r = if unhappy { rate * 0.3 } else { rate };
                if rng.r#gen::<f64>() < r {
                    events.push(Event {
                        customer: c.id,
                        at: at(d),
                        kind: EventKind::Login,
                    });
                }
                if rng.r#gen::<f64>() < r * 0.3 {
                    let k = rng.gen_range(1..4);
                    let items = (0..k)
                        .map(|j| OrderItem {
                            product: products
                                [(id as usize + j * 2 + d as usize % 2) % products.len()]
                            .into(),
                            quantity: 1,
                            unit_price: 10.0,
                        })
                        .collect();
                    events.push(Event {
                        customer: c.id,
                        at: at(d),
                        kind: EventKind::Purchase {
                            order_id: format!("{id}-{d}"),
                            amount: rng.gen_range(10.0..80.0),
                            items,
                            status: OrderStatus::Delivered,
                        },
                    });
                }
                if unhappy_at == Some(d) {
                    events.push(Event {
                        customer: c.id,
                        at: at(d),
                        kind: EventKind::TicketOpened {
                            ticket: id,
                            reason: "complaint".into(),
                        },
                    });
                    for k in 0..3 {
                        let mut m = msg(id, d + k, -0.8, Some(id));
                        m.at += Duration::hours(1);
                        msgs.push(m);
                    }
                }
                if unhappy && rng.r#gen::<f64>() < 0.02 {
                    if subscribed {
                        events.push(Event {
                            customer: c.id,
                            at: at(d),
                            kind: EventKind::SubscriptionCancel { reason: None },
                        });
                    }
                    gone = true;
                }
            }
            customers.push(CustomerHistory {
                customer: c,
                events,
                interactions: msgs,
            });
        }
        TrainingInput { customers }
    }

    #[test]
    fn train_score_and_rank_a_synthetic_shop() {
        let input = synthetic_shop(600, 400, 5);
        let now = t0() + Duration::days(400);
        let settings = ModelSettings::default();
        let m = train_all(&input, now, &settings).unwrap();
        assert!(m.skipped.is_empty(), "{:?}", m.skipped);
        let churn = m.churn.as_ref().unwrap();
        assert!(churn.metrics.auc > 0.75, "{:?}", churn.metrics);
        let scores = score_all(&m, &input, now);
        assert_eq!(scores.len(), 600);
        let top = rank_at_risk(&scores, 10);
        assert_eq!(top.len(), 10);
        assert!(
            top.windows(2)
                .all(|w| w[0].expected_loss >= w[1].expected_loss)
        );
        assert!(
            top.iter()
                .all(|s| !s.reasons.is_empty() && !s.suggested_action.is_empty())
        );
        // Artifacts round-trip exactly and give identical scores.
        let bytes: Vec<Vec<u8>> = m.artifacts.iter().map(|a| a.to_bytes()).collect();
        let back: Vec<Artifact> = bytes
            .iter()
            .map(|b| Artifact::from_bytes(b).unwrap())
            .collect();
        assert_eq!(back, m.artifacts);
        let m2 = TrainedModels::from_artifacts(&back).unwrap();
        assert_eq!(m2.churn, m.churn);
        assert_eq!(m2.clv, m.clv);
        assert_eq!(m2.segments, m.segments);
        assert_eq!(m2.rules, m.rules);
        assert_eq!(m2.settings, m.settings);
        assert_eq!(score_all(&m2, &input, now), scores);
    }

    #[test]
    fn replacement_rule() {
        assert!(should_replace(0.80, 0.79, false));
        assert!(!should_replace(0.80, 0.77, false));
        assert!(should_replace(0.80, 0.70, true));
        assert!(should_replace(f64::NAN, 0.6, false));
    }

    #[test]
    fn artifact_checks_kind_and_checksum() {
        let a = Artifact::new(
            ArtifactKind::Clv,
            t0(),
            DataSummary::default(),
            BTreeMap::new(),
            &vec![0.1f64, 1.0 / 3.0],
        )
        .unwrap();
        assert_eq!(
            a.decode::<Vec<f64>>(ArtifactKind::Clv).unwrap(),
            vec![0.1, 1.0 / 3.0]
        );
        assert!(a.decode::<Vec<f64>>(ArtifactKind::Churn).is_err());
        let mut bad = a.clone();
        bad.params = "[0.1,0.4]".into();
        assert!(bad.decode::<Vec<f64>>(ArtifactKind::Clv).is_err());
    }
}
