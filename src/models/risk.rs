//! The one definition of "at risk". Every view that says a customer is at risk — the
//! at-risk list, the lifecycle stage and funnel, the digest, the real-time alerts and the
//! customer card — reads it from here: a calibrated churn probability at or above
//! [`RiskSettings::at_risk_probability`] (in `[models.risk]` of the config, shown in the
//! output). Pure: no store, no clock.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Thresholds of the risk bands, on the calibrated churn probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskSettings {
    /// At or above this churn probability (within the label horizon) a customer is at risk.
    pub at_risk_probability: f64,
    /// At or above this (and below `at_risk_probability`) a customer is on the watch list.
    pub watch_probability: f64,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            at_risk_probability: 0.5,
            watch_probability: 0.25,
        }
    }
}

/// Where a churn probability falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    Low,
    Watch,
    AtRisk,
}

impl RiskBand {
    pub const ALL: [RiskBand; 3] = [RiskBand::Low, RiskBand::Watch, RiskBand::AtRisk];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskBand::Low => "low",
            RiskBand::Watch => "watch",
            RiskBand::AtRisk => "at_risk",
        }
    }
}

impl fmt::Display for RiskBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RiskSettings {
    /// The band of a churn probability.
    pub fn band(&self, probability: f64) -> RiskBand {
        if probability >= self.at_risk_probability {
            RiskBand::AtRisk
        } else if probability >= self.watch_probability {
            RiskBand::Watch
        } else {
            RiskBand::Low
        }
    }

    /// Whether a churn probability means "at risk".
    pub fn is_at_risk(&self, probability: f64) -> bool {
        self.band(probability) == RiskBand::AtRisk
    }

    /// The threshold in words, e.g. "churn probability ≥ 50%".
    pub fn describe(&self) -> String {
        format!(
            "churn probability ≥ {:.0}%",
            self.at_risk_probability * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_thresholds() {
        let s = RiskSettings::default();
        assert_eq!(s.band(0.05), RiskBand::Low);
        assert_eq!(s.band(0.25), RiskBand::Watch);
        assert_eq!(s.band(0.49), RiskBand::Watch);
        assert_eq!(s.band(0.5), RiskBand::AtRisk);
        assert!(!s.is_at_risk(0.16), "16 % is not at risk");
        assert!(s.is_at_risk(0.93));
        assert_eq!(s.describe(), "churn probability ≥ 50%");
    }
}
