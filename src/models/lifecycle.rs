//! Lifecycle stages (lead, new, active, loyal, at risk, churned, reactivated) by plain rules
//! over [`CustomerFeatures`], with thresholds in [`LifecycleSettings`] and the reason for
//! each stage in words; and funnel counts per period.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::features::{CustomerFeatures, CustomerHistory};

/// A customer's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lead,
    New,
    Active,
    Loyal,
    AtRisk,
    Churned,
    Reactivated,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Lead,
        Stage::New,
        Stage::Active,
        Stage::Loyal,
        Stage::AtRisk,
        Stage::Churned,
        Stage::Reactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::New => "new",
            Stage::Active => "active",
            Stage::Loyal => "loyal",
            Stage::AtRisk => "at_risk",
            Stage::Churned => "churned",
            Stage::Reactivated => "reactivated",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Thresholds of the stage rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleSettings {
    /// A customer younger than this many days is "new".
    pub new_days: f64,
    /// Without a running subscription, no login or purchase for this many days is "churned".
    pub churned_after_days: f64,
    /// No login or purchase for this many days is "at risk".
    pub at_risk_after_days: f64,
    /// An activity trend at or below this (−1 … 1) is "at risk".
    pub at_risk_trend: f64,
    /// Share of negative messages in 30 days at or above this is "at risk".
    pub at_risk_negative_share: f64,
    /// An unresolved ticket with mean chat sentiment at or below this is "at risk".
    pub at_risk_ticket_sentiment: f64,
    /// Failed payments in 90 days at or above this are "at risk".
    pub at_risk_payment_failures: f64,
    /// Coming back after at least this many silent days is "reactivated"...
    pub reactivation_gap_days: f64,
    /// ... for this many days after the return.
    pub reactivated_for_days: f64,
    /// "Loyal" needs at least this tenure in days ...
    pub loyal_min_tenure_days: f64,
    /// ... and at least this many purchases (or a running subscription).
    pub loyal_min_purchases: f64,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        LifecycleSettings {
            new_days: 30.0,
            churned_after_days: 180.0,
            at_risk_after_days: 45.0,
            at_risk_trend: -0.5,
            at_risk_negative_share: 0.5,
            at_risk_ticket_sentiment: -0.3,
            at_risk_payment_failures: 2.0,
            reactivation_gap_days: 90.0,
            reactivated_for_days: 30.0,
            loyal_min_tenure_days: 180.0,
            loyal_min_purchases: 5.0,
        }
    }
}

/// A stage with the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageAssessment {
    pub stage: Stage,
    pub reason: String,
}

/// The stage of a customer with these features. Rules in order: lead, churned,
/// reactivated, new, at risk, loyal, active.
pub fn classify(f: &CustomerFeatures, s: &LifecycleSettings) -> StageAssessment {
    if let Some(early) = early_stage(f, s) {
        return early;
    }
    let risk = risk_signals(f, s);
    if !risk.is_empty() {
        return StageAssessment {
            stage: Stage::AtRisk,
            reason: risk.join("; "),
        };
    }
    settled_stage(f, s)
}

/// What the churn model says about a customer, for [`classify_with_risk`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelRisk {
    /// Calibrated churn probability.
    pub probability: f64,
    /// Whether it is at or above the at-risk threshold.
    pub at_risk: bool,
    /// The at-risk threshold.
    pub threshold: f64,
}

/// The stage when a churn model exists: "at risk" then means exactly what the model's
/// at-risk flag means (so the stage, the risk band and the alerts agree). The rule
/// signals (silence, negative messages, failed payments) are kept as reasons: beside the
/// model's probability when it flags the customer, or as "watch:" on a calm stage when it
/// does not — a one-message dip does not flip a loyal customer to at risk.
pub fn classify_with_risk(
    f: &CustomerFeatures,
    s: &LifecycleSettings,
    model: Option<ModelRisk>,
) -> StageAssessment {
    let Some(m) = model else {
        return classify(f, s);
    };
    if let Some(early) = early_stage(f, s)
        && matches!(early.stage, Stage::Lead | Stage::Churned)
    {
        return early;
    }
    let signals = risk_signals(f, s);
    let pct = |p: f64| format!("{:.0}%", p * 100.0);
    if m.at_risk {
        let mut reason = format!(
            "churn probability {} (at risk from {})",
            pct(m.probability),
            pct(m.threshold)
        );
        if !signals.is_empty() {
            reason.push_str(&format!("; {}", signals.join("; ")));
        }
        return StageAssessment {
            stage: Stage::AtRisk,
            reason,
        };
    }
    let mut calm = early_stage(f, s).unwrap_or_else(|| settled_stage(f, s));
    if !signals.is_empty() {
        calm.reason.push_str(&format!(
            "; watch: {} (churn probability {}, below {})",
            signals.join("; "),
            pct(m.probability),
            pct(m.threshold)
        ));
    }
    calm
}

/// Lead, churned, reactivated and new: stages decided before any risk rule.
fn early_stage(f: &CustomerFeatures, s: &LifecycleSettings) -> Option<StageAssessment> {
    let say = |stage, reason: String| Some(StageAssessment { stage, reason });
    let idle = f.days_since_activity;
    let subscribed = f.subscription_active > 0.0;
    if f.is_lead {
        return say(Stage::Lead, "not yet a known customer".into());
    }
    if !subscribed && idle >= s.churned_after_days && f.tenure_days >= s.churned_after_days {
        return say(
            Stage::Churned,
            format!("no login or purchase for {idle:.0} days and no running subscription"),
        );
    }
    if f.gap_before_last_activity_days >= s.reactivation_gap_days && idle <= s.reactivated_for_days
    {
        return say(
            Stage::Reactivated,
            format!(
                "came back {idle:.0} days ago after {:.0} silent days",
                f.gap_before_last_activity_days
            ),
        );
    }
    if f.tenure_days < s.new_days {
        return say(Stage::New, format!("joined {:.0} days ago", f.tenure_days));
    }
    None
}

/// The rule signals of risk, in words (empty when none fires).
fn risk_signals(f: &CustomerFeatures, s: &LifecycleSettings) -> Vec<String> {
    let idle = f.days_since_activity;
    let mut risk = Vec::new();
    if idle >= s.at_risk_after_days {
        risk.push(format!("no login or purchase for {idle:.0} days"));
    }
    if f.activity_trend <= s.at_risk_trend {
        risk.push("activity fell sharply this month".to_string());
    }
    if f.negative_share_30d >= s.at_risk_negative_share && f.messages_30d > 0.0 {
        risk.push(format!(
            "{:.0} % of this month's messages were negative",
            100.0 * f.negative_share_30d
        ));
    }
    if f.tickets_unresolved >= 1.0 && f.sentiment_mean <= s.at_risk_ticket_sentiment {
        risk.push("an unresolved support ticket and a negative tone in chat".to_string());
    }
    if f.payment_failures_90d >= s.at_risk_payment_failures {
        risk.push(format!(
            "{:.0} failed payments in 90 days",
            f.payment_failures_90d
        ));
    }
    risk
}

/// Loyal or active: the stage of a customer without risk.
fn settled_stage(f: &CustomerFeatures, s: &LifecycleSettings) -> StageAssessment {
    let idle = f.days_since_activity;
    let subscribed = f.subscription_active > 0.0;
    if f.tenure_days >= s.loyal_min_tenure_days
        && (f.frequency >= s.loyal_min_purchases || subscribed)
    {
        let why = if f.frequency >= s.loyal_min_purchases {
            format!(
                "{:.0} purchases over {:.0} days",
                f.frequency, f.tenure_days
            )
        } else {
            format!("subscribed and active for {:.0} days", f.tenure_days)
        };
        return StageAssessment {
            stage: Stage::Loyal,
            reason: why,
        };
    }
    StageAssessment {
        stage: Stage::Active,
        reason: if subscribed {
            "subscription running and active recently".to_string()
        } else {
            format!("last login or purchase {idle:.0} days ago")
        },
    }
}

/// Stage counts at the end of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelRow {
    pub period_end: DateTime<Utc>,
    /// Customers existing at the period end, per stage (every stage present, maybe 0).
    pub counts: BTreeMap<Stage, usize>,
}

/// Funnel: how many customers are in each stage at each of `period_ends` (customers
/// created after a period end are not counted in it).
pub fn funnel(
    customers: &[CustomerHistory],
    period_ends: &[DateTime<Utc>],
    s: &LifecycleSettings,
) -> Vec<FunnelRow> {
    period_ends
        .iter()
        .map(|&end| {
            let mut counts: BTreeMap<Stage, usize> = Stage::ALL.iter().map(|s| (*s, 0)).collect();
            for c in customers.iter().filter(|c| c.customer.created <= end) {
                let f = CustomerFeatures::build(&c.customer, &c.events, &c.interactions, end);
                *counts.entry(classify(&f, s).stage).or_default() += 1;
            }
            FunnelRow {
                period_end: end,
                counts,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, Plan};
    use crate::models::features::tests::{buy, customer, ev, msg, t0};
    use chrono::Duration;

    fn stage_at(
        events: Vec<crate::domain::Event>,
        msgs: Vec<crate::domain::Interaction>,
        day: i64,
    ) -> StageAssessment {
        let c = customer(1, t0());
        let f = CustomerFeatures::build(&c, &events, &msgs, t0() + Duration::days(day));
        classify(&f, &LifecycleSettings::default())
    }

    #[test]
    fn stages_of_hand_made_histories() {
        let mut lead = customer(9, t0());
        lead.is_lead = true;
        let f = CustomerFeatures::build(&lead, &[], &[], t0() + Duration::days(3));
        assert_eq!(
            classify(&f, &LifecycleSettings::default()).stage,
            Stage::Lead
        );

        assert_eq!(
            stage_at(vec![buy(1, 0, 10.0)], vec![], 10).stage,
            Stage::New
        );

        let regular: Vec<_> = (0..20).map(|k| buy(1, k * 20, 25.0)).collect();
        let s = stage_at(regular.clone(), vec![], 385);
        assert_eq!(s.stage, Stage::Loyal, "{}", s.reason);
        assert!(s.reason.contains("20 purchases"));

        let s = stage_at(vec![buy(1, 0, 10.0), buy(1, 40, 10.0)], vec![], 60);
        assert_eq!(s.stage, Stage::Active);

        let s = stage_at(vec![buy(1, 0, 10.0), buy(1, 40, 10.0)], vec![], 100);
        assert_eq!(s.stage, Stage::AtRisk);
        assert!(s.reason.contains("60 days"), "{}", s.reason);

        let s = stage_at(vec![buy(1, 0, 10.0)], vec![], 400);
        assert_eq!(s.stage, Stage::Churned);

        // Subscribers are not churned by silence alone.
        let s = stage_at(
            vec![
                buy(1, 0, 10.0),
                ev(1, 1, EventKind::SubscriptionStart { plan: Plan::Basic }),
            ],
            vec![],
            400,
        );
        assert_eq!(s.stage, Stage::AtRisk);

        let s = stage_at(
            vec![
                buy(1, 0, 10.0),
                buy(1, 5, 10.0),
                ev(1, 200, EventKind::Login),
            ],
            vec![],
            210,
        );
        assert_eq!(s.stage, Stage::Reactivated, "{}", s.reason);

        // Angry messages make an otherwise active customer at risk.
        let events = vec![buy(1, 0, 10.0), ev(1, 55, EventKind::Login)];
        let msgs = vec![msg(1, 56, -0.9, None), msg(1, 57, -0.7, None)];
        let s = stage_at(events, msgs, 60);
        assert_eq!(s.stage, Stage::AtRisk);
        assert!(s.reason.contains("negative"));

        // A loyal buyer with an open ticket and an unhappy tone is at risk.
        let mut events: Vec<_> = (0..20).map(|k| buy(1, k * 20, 25.0)).collect();
        events.push(ev(
            1,
            300,
            EventKind::TicketOpened {
                ticket: 1,
                reason: String::new(),
            },
        ));
        let s = stage_at(events, vec![msg(1, 300, -0.6, Some(1))], 385);
        assert_eq!(s.stage, Stage::AtRisk);
        assert!(
            s.reason.contains("unresolved support ticket"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn with_a_model_the_stage_is_at_risk_exactly_when_the_model_says_so() {
        let regular: Vec<_> = (0..20).map(|k| buy(1, k * 20, 25.0)).collect();
        let c = customer(1, t0());
        let s = LifecycleSettings::default();
        let at = t0() + Duration::days(385);
        // One angry message: the rules fire, the model does not flag: still loyal, with why.
        let dip = vec![msg(1, 384, -0.9, None)];
        let f = CustomerFeatures::build(&c, &regular, &dip, at);
        assert_eq!(classify(&f, &s).stage, Stage::AtRisk);
        let calm = ModelRisk {
            probability: 0.12,
            at_risk: false,
            threshold: 0.5,
        };
        let st = classify_with_risk(&f, &s, Some(calm));
        assert_eq!(st.stage, Stage::Loyal, "{}", st.reason);
        assert!(
            st.reason.contains("watch: 100 % of this month"),
            "{}",
            st.reason
        );
        assert!(st.reason.contains("12%, below 50%"), "{}", st.reason);
        // The model flags a customer the rules find calm: at risk, and the reason says so.
        let f = CustomerFeatures::build(&c, &regular, &[], at);
        let flagged = ModelRisk {
            probability: 0.71,
            at_risk: true,
            threshold: 0.5,
        };
        let st = classify_with_risk(&f, &s, Some(flagged));
        assert_eq!(st.stage, Stage::AtRisk);
        assert_eq!(st.reason, "churn probability 71% (at risk from 50%)");
        // Churned stays churned whatever the model says.
        let f = CustomerFeatures::build(&c, &[buy(1, 0, 10.0)], &[], t0() + Duration::days(400));
        assert_eq!(
            classify_with_risk(&f, &s, Some(flagged)).stage,
            Stage::Churned
        );
    }

    #[test]
    fn funnel_counts_each_customer_once_per_period() {
        let a = CustomerHistory {
            customer: customer(1, t0()),
            events: vec![buy(1, 0, 10.0)],
            interactions: vec![],
        };
        let b = CustomerHistory {
            customer: customer(2, t0() + Duration::days(50)),
            events: vec![buy(2, 50, 10.0)],
            interactions: vec![],
        };
        let rows = funnel(
            &[a, b],
            &[t0() + Duration::days(10), t0() + Duration::days(60)],
            &LifecycleSettings::default(),
        );
        assert_eq!(rows[0].counts.values().sum::<usize>(), 1);
        assert_eq!(rows[0].counts[&Stage::New], 1);
        assert_eq!(rows[1].counts[&Stage::New], 1);
        assert_eq!(rows[1].counts[&Stage::AtRisk], 1);
    }

    #[test]
    fn settings_reject_unknown_fields() {
        let s: LifecycleSettings = serde_json::from_str(r#"{"new_days": 14}"#).unwrap();
        assert_eq!(s.new_days, 14.0);
        assert!(serde_json::from_str::<LifecycleSettings>(r#"{"new_dayz": 14}"#).is_err());
    }
}
