//! Routing: the policies that turn what the models know into what happens in a
//! conversation — when to hand a customer to a person and how urgently, which offer to make
//! (and to whom not, for a fair holdout), and when to ask for satisfaction.
//!
//! Pure functions over settings and plain values; the engine calls them and applies their
//! answers. No I/O here.

pub mod escalation;
pub mod handoff;
pub mod offers;
pub mod surveys;

use serde::{Deserialize, Serialize};

/// What the customer models say about a customer, as the routing policies need it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerRisk {
    /// Probability of churning within the model's horizon.
    pub churn_probability: Option<f64>,
    /// Expected lifetime value over the model's horizon.
    pub clv: Option<f64>,
    /// Segment name (champions, at risk, ...).
    pub segment: Option<String>,
    /// Lifecycle stage name (new, active, at_risk, ...).
    pub stage: Option<String>,
    /// Top reasons for the churn risk, in words.
    pub reasons: Vec<String>,
    /// What the models suggest doing, in words.
    pub suggested_action: Option<String>,
}

impl CustomerRisk {
    /// The churn band used by offer eligibility: low (< 0.3), medium (< 0.6), high.
    pub fn churn_band(&self) -> Option<ChurnBand> {
        self.churn_probability.map(|p| {
            if p < 0.3 {
                ChurnBand::Low
            } else if p < 0.6 {
                ChurnBand::Medium
            } else {
                ChurnBand::High
            }
        })
    }
}

/// Coarse churn risk, for rules people write in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnBand {
    Low,
    Medium,
    High,
}
