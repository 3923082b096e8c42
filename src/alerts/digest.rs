//! What the daily digest says: customers newly at risk since the last digest, the biggest
//! movers since yesterday, and escalations past their SLA. Pure: built from scores, the
//! alert memory and tickets, rendered as text for staff.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CustomerId, Ticket};
use crate::routing::CustomerRisk;

/// A scored customer as alerts see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredCustomer {
    pub id: CustomerId,
    pub name: String,
    pub risk: CustomerRisk,
    /// Whether the churn model flags the customer (probability above the alert threshold).
    pub at_risk: bool,
    /// Churn probability × CLV.
    pub expected_loss: f64,
}

/// What was last said about a customer, for de-duplication.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertMemo {
    pub last_alert: DateTime<Utc>,
    /// The risk band reported (probability divided by the band width, rounded down).
    pub band: u32,
}

/// The risk band of a probability.
pub fn band(probability: f64, band_width: f64) -> u32 {
    (probability.clamp(0.0, 1.0) / band_width.max(0.01)).floor() as u32
}

/// One customer line of the digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestLine {
    pub id: CustomerId,
    pub name: String,
    pub churn_probability: f64,
    /// Change since yesterday, when yesterday is known.
    pub change: Option<f64>,
    pub clv: Option<f64>,
    pub segment: Option<String>,
    pub reasons: Vec<String>,
    pub suggested_action: Option<String>,
}

/// An overdue escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueTicket {
    pub id: u64,
    pub customer: CustomerId,
    pub priority: u8,
    pub hours_late: i64,
    pub assignee: Option<String>,
}

/// The digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub generated: DateTime<Utc>,
    /// Every customer at risk now (the same count as the at-risk list and the funnel).
    pub at_risk_total: usize,
    /// The at-risk threshold on the churn probability.
    pub threshold: f64,
    pub new_at_risk: Vec<DigestLine>,
    pub movers: Vec<DigestLine>,
    pub overdue: Vec<OverdueTicket>,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.new_at_risk.is_empty() && self.movers.is_empty() && self.overdue.is_empty()
    }

    /// The digest in words, for a team chat.
    pub fn render(&self) -> String {
        let mut text = format!(
            "Daily churn digest — {}\nAt risk now: {} customers (churn probability ≥ {:.0}%).\n",
            self.generated.format("%Y-%m-%d"),
            self.at_risk_total,
            self.threshold * 100.0
        );
        if self.is_empty() {
            text.push_str("Nothing new since the last digest.");
            return text;
        }
        let line = |l: &DigestLine| {
            format!(
                "• {} (#{}) — churn {:.0}%{}, CLV {}, {}{}{}\n",
                if l.name.is_empty() {
                    "(no name)"
                } else {
                    &l.name
                },
                l.id,
                l.churn_probability * 100.0,
                l.change
                    .map(|c| format!(" ({:+.0} pts)", c * 100.0))
                    .unwrap_or_default(),
                l.clv
                    .map(|v| format!("${v:.0}"))
                    .unwrap_or_else(|| "-".into()),
                l.segment.as_deref().unwrap_or("no segment"),
                if l.reasons.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", l.reasons.join("; "))
                },
                l.suggested_action
                    .as_deref()
                    .map(|a| format!(" → {a}"))
                    .unwrap_or_default()
            )
        };
        if !self.new_at_risk.is_empty() {
            text.push_str(&format!("\nNewly at risk ({}):\n", self.new_at_risk.len()));
            self.new_at_risk
                .iter()
                .for_each(|l| text.push_str(&line(l)));
        }
        if !self.movers.is_empty() {
            text.push_str("\nBiggest movers since yesterday:\n");
            self.movers.iter().for_each(|l| text.push_str(&line(l)));
        }
        if !self.overdue.is_empty() {
            text.push_str(&format!(
                "\nEscalations past SLA ({}):\n",
                self.overdue.len()
            ));
            for t in &self.overdue {
                text.push_str(&format!(
                    "• ticket #{} P{} customer {} — {} h late{}\n",
                    t.id,
                    t.priority,
                    t.customer,
                    t.hours_late,
                    t.assignee
                        .as_deref()
                        .map(|a| format!(", with {a}"))
                        .unwrap_or_else(|| ", unclaimed".into())
                ));
            }
        }
        text.trim_end().to_owned()
    }
}

/// Everything the digest is built from.
pub struct DigestInput<'a> {
    pub customers: &'a [ScoredCustomer],
    /// Yesterday's churn probability of a customer.
    pub yesterday: &'a dyn Fn(CustomerId) -> Option<f64>,
    /// What the alerts last said about a customer.
    pub memo: &'a dyn Fn(CustomerId) -> Option<AlertMemo>,
    pub tickets: &'a [Ticket],
    pub band_width: f64,
    /// The at-risk threshold (shown; the flags are already on the customers).
    pub threshold: f64,
    pub size: usize,
    pub now: DateTime<Utc>,
}

fn digest_line(c: &ScoredCustomer, yesterday: Option<f64>) -> DigestLine {
    let p = c.risk.churn_probability.unwrap_or(0.0);
    DigestLine {
        id: c.id,
        name: c.name.clone(),
        churn_probability: p,
        change: yesterday.map(|y| p - y),
        clv: c.risk.clv,
        segment: c.risk.segment.clone(),
        reasons: c.risk.reasons.clone(),
        suggested_action: c.risk.suggested_action.clone(),
    }
}

/// Builds the digest: customers at risk not yet reported at their band (most value at
/// stake first), the largest increases since yesterday among the rest, overdue tickets.
pub fn build(input: &DigestInput<'_>) -> Digest {
    let mut new: Vec<&ScoredCustomer> = input
        .customers
        .iter()
        .filter(|c| c.at_risk)
        .filter(|c| {
            let now_band = band(c.risk.churn_probability.unwrap_or(0.0), input.band_width);
            (input.memo)(c.id).is_none_or(|m| now_band > m.band)
        })
        .collect();
    new.sort_by(|a, b| b.expected_loss.total_cmp(&a.expected_loss));
    new.truncate(input.size);
    let listed: std::collections::HashSet<CustomerId> = new.iter().map(|c| c.id).collect();
    let mut movers: Vec<(f64, &ScoredCustomer)> = input
        .customers
        .iter()
        .filter(|c| !listed.contains(&c.id))
        .filter_map(|c| {
            let before = (input.yesterday)(c.id)?;
            let change = c.risk.churn_probability? - before;
            (change >= 0.05).then_some((change, c))
        })
        .collect();
    movers.sort_by(|a, b| b.0.total_cmp(&a.0));
    movers.truncate(input.size.min(5));
    let overdue = input
        .tickets
        .iter()
        .filter(|t| t.state != crate::domain::TicketState::Resolved && t.sla_due < input.now)
        .map(|t| OverdueTicket {
            id: t.id,
            customer: t.customer,
            priority: t.priority,
            hours_late: (input.now - t.sla_due).num_hours(),
            assignee: t.assignee.clone(),
        })
        .collect();
    Digest {
        generated: input.now,
        at_risk_total: input.customers.iter().filter(|c| c.at_risk).count(),
        threshold: input.threshold,
        new_at_risk: new
            .into_iter()
            .map(|c| digest_line(c, (input.yesterday)(c.id)))
            .collect(),
        movers: movers
            .into_iter()
            .map(|(_, c)| digest_line(c, (input.yesterday)(c.id)))
            .collect(),
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn scored(id: u64, p: f64, at_risk: bool) -> ScoredCustomer {
        ScoredCustomer {
            id: CustomerId(id),
            name: format!("C{id}"),
            risk: CustomerRisk {
                churn_probability: Some(p),
                clv: Some(100.0 * id as f64),
                ..Default::default()
            },
            at_risk,
            expected_loss: p * 100.0 * id as f64,
        }
    }

    #[test]
    fn only_customers_not_yet_reported_at_their_band_are_new() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap();
        let customers = [
            scored(1, 0.7, true),
            scored(2, 0.9, true),
            scored(3, 0.2, false),
            scored(4, 0.65, true),
        ];
        let memo = |id: CustomerId| match id.0 {
            // Reported before at band 3 (0.6-0.8): 1 is not new; 2 rose to band 4: new again.
            1 | 2 => Some(AlertMemo {
                last_alert: now,
                band: 3,
            }),
            _ => None,
        };
        let yesterday = |id: CustomerId| (id.0 == 3).then_some(0.05);
        let digest = build(&DigestInput {
            customers: &customers,
            yesterday: &yesterday,
            memo: &memo,
            tickets: &[],
            band_width: 0.2,
            threshold: 0.5,
            size: 10,
            now,
        });
        let ids: Vec<u64> = digest.new_at_risk.iter().map(|l| l.id.0).collect();
        assert_eq!(ids, [4, 2], "most value at stake first");
        assert_eq!(digest.movers.len(), 1);
        assert!((digest.movers[0].change.unwrap() - 0.15).abs() < 1e-9);
        assert!(digest.render().contains("Newly at risk (2)"));
        assert_eq!(
            digest.at_risk_total, 3,
            "everyone flagged, reported before or not"
        );
        assert!(
            digest
                .render()
                .contains("At risk now: 3 customers (churn probability ≥ 50%)")
        );
    }
}
