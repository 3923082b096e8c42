//! Whether a score change deserves an alert right now: a valuable customer crossing into
//! at-risk, not alerted within the cool-down unless their risk rose by a band.

use chrono::{DateTime, Duration, Utc};

use super::AlertSettings;
use super::digest::{AlertMemo, ScoredCustomer, band};

/// Decides on a real-time alert after a customer was re-scored.
pub fn should_alert(
    settings: &AlertSettings,
    was_at_risk: bool,
    now_scored: &ScoredCustomer,
    memo: Option<AlertMemo>,
    now: DateTime<Utc>,
) -> bool {
    if was_at_risk || !now_scored.at_risk {
        return false;
    }
    if now_scored.risk.clv.unwrap_or(0.0) < settings.realtime_min_clv {
        return false;
    }
    let current = band(
        now_scored.risk.churn_probability.unwrap_or(0.0),
        settings.band_width,
    );
    memo.is_none_or(|m| {
        now - m.last_alert >= Duration::hours(i64::from(settings.cooldown_hours))
            || current > m.band
    })
}

/// The alert text for a team chat.
pub fn render(c: &ScoredCustomer) -> String {
    format!(
        "⚠ {} (#{}) just turned at-risk: churn {:.0}%, CLV {}{}{}",
        if c.name.is_empty() {
            "(no name)"
        } else {
            &c.name
        },
        c.id,
        c.risk.churn_probability.unwrap_or(0.0) * 100.0,
        c.risk
            .clv
            .map(|v| format!("${v:.0}"))
            .unwrap_or_else(|| "-".into()),
        if c.risk.reasons.is_empty() {
            String::new()
        } else {
            format!(" — {}", c.risk.reasons.join("; "))
        },
        c.risk
            .suggested_action
            .as_deref()
            .map(|a| format!(" → {a}"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use crate::routing::CustomerRisk;
    use chrono::TimeZone;

    fn scored(p: f64, clv: f64) -> ScoredCustomer {
        ScoredCustomer {
            id: CustomerId(7),
            name: "Ada".into(),
            risk: CustomerRisk {
                churn_probability: Some(p),
                clv: Some(clv),
                ..Default::default()
            },
            at_risk: true,
            expected_loss: p * clv,
        }
    }

    #[test]
    fn crossing_alerts_once_within_the_cooldown_unless_the_band_rises() {
        let s = AlertSettings::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        assert!(should_alert(&s, false, &scored(0.62, 500.0), None, now));
        assert!(
            !should_alert(&s, true, &scored(0.62, 500.0), None, now),
            "already at risk"
        );
        assert!(
            !should_alert(&s, false, &scored(0.62, 50.0), None, now),
            "below the CLV threshold"
        );
        let memo = AlertMemo {
            last_alert: now - Duration::hours(5),
            band: 3,
        };
        assert!(
            !should_alert(&s, false, &scored(0.65, 500.0), Some(memo), now),
            "cool-down"
        );
        assert!(
            should_alert(&s, false, &scored(0.85, 500.0), Some(memo), now),
            "risk rose a band"
        );
        let old = AlertMemo {
            last_alert: now - Duration::hours(80),
            band: 3,
        };
        assert!(
            should_alert(&s, false, &scored(0.65, 500.0), Some(old), now),
            "cool-down over"
        );
    }
}
