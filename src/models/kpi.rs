//! The base's KPIs over one period, each defined once and computed from plain values
//! (customers' events, tickets, message sentiments), so that they can be checked on
//! hand-made fixtures. [`crate::insights::kpis`] feeds it from the store.
//!
//! Definitions (the period is `[start, end)`):
//! - **churn rate**: subscribers at `start` with no running subscription at `end`, over
//!   the subscribers at `start`.
//! - **customer retention**: customers active (login or purchase) in the period before who
//!   are active again in this one, over those active before.
//! - **MRR**: monthly recurring revenue, the sum of the running plans' monthly prices.
//! - **gross revenue retention (GRR)**: for the customers subscribed at `start`, the sum
//!   over them of min(MRR at `end`, MRR at `start`), over their MRR at `start` (never above
//!   100 %: upgrades do not count, downgrades and cancellations do).
//! - **net revenue retention (NRR)**: the same cohort's MRR at `end` (upgrades count) over
//!   their MRR at `start`. MRR at `end` = MRR at `start` × NRR + the new subscribers' MRR.
//! - **escalations answered within SLA**: of the tickets opened in the period that were
//!   answered (claimed or resolved) or whose SLA is already due at `now`, the share answered
//!   by their due time. A ticket neither answered nor due yet is not counted either way.
//! - **CSAT**: mean of the 1–5 answers in the period; **NPS**: % promoters (9–10) minus %
//!   detractors (0–6) of the 0–10 answers in the period.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::features::subscription_at;
use crate::domain::{CustomerId, Event, EventKind, SurveyKind};

/// What a ticket's SLA figure needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicketTimes {
    pub opened: DateTime<Utc>,
    pub sla_due: DateTime<Utc>,
    /// First claim or resolution.
    pub answered: Option<DateTime<Utc>>,
}

/// Everything the KPIs read.
pub struct KpiInput<'a> {
    /// Each customer's events in time order.
    pub customers: &'a [(CustomerId, Vec<Event>)],
    /// Tickets with SLA times (those known to the ticket store).
    pub tickets: &'a [TicketTimes],
    /// Inbound message sentiments with their times.
    pub sentiments: &'a [(DateTime<Utc>, f32)],
    /// When the report is made (what "due" is measured against).
    pub now: DateTime<Utc>,
}

/// The figures of one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodKpis {
    pub subscribers_at_start: usize,
    pub churned_subscribers: usize,
    pub churn_rate: Option<f64>,
    pub customer_retention: Option<f64>,
    pub active_customers: usize,
    pub mrr_start: f64,
    pub mrr_end: f64,
    /// MRR at the end of the customers subscribed at the start.
    pub cohort_mrr_end: f64,
    pub gross_revenue_retention: Option<f64>,
    pub net_revenue_retention: Option<f64>,
    /// All revenue in the period: purchases and recurring payments.
    pub revenue: f64,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    pub sentiment: Option<f64>,
    /// Tickets opened in the period (from the customers' histories).
    pub tickets_opened: usize,
    /// Tickets counted for the SLA figure, and those answered in time.
    pub sla_counted: usize,
    pub sla_met: usize,
    pub sla_met_rate: Option<f64>,
    pub offers_shown: usize,
    pub offers_accepted: usize,
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn mrr_at(events: &[Event], at: DateTime<Utc>) -> f64 {
    subscription_at(events, at).map_or(0.0, |p| p.monthly_price())
}

fn active_in(events: &[Event], from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    events.iter().any(|e| {
        e.at >= from && e.at < to && matches!(e.kind, EventKind::Login | EventKind::Purchase { .. })
    })
}

/// The KPIs of `[start, end)`; customer retention compares with `[2·start − end, start)`.
pub fn period_kpis(input: &KpiInput<'_>, start: DateTime<Utc>, end: DateTime<Utc>) -> PeriodKpis {
    let mut k = PeriodKpis::default();
    let before = start - (end - start);
    let (mut gross, mut active_before, mut active_both) = (0.0, 0usize, 0usize);
    let (mut csat, mut nps) = (Vec::new(), Vec::new());
    for (_, events) in input.customers {
        let (m0, m1) = (mrr_at(events, start), mrr_at(events, end));
        k.mrr_start += m0;
        k.mrr_end += m1;
        if m0 > 0.0 {
            k.subscribers_at_start += 1;
            k.churned_subscribers += usize::from(m1 == 0.0);
            k.cohort_mrr_end += m1;
            gross += m1.min(m0);
        }
        let now_active = active_in(events, start, end);
        k.active_customers += usize::from(now_active);
        if active_in(events, before, start) {
            active_before += 1;
            active_both += usize::from(now_active);
        }
        for e in events.iter().filter(|e| e.at >= start && e.at < end) {
            match &e.kind {
                EventKind::Purchase { amount, .. } | EventKind::Payment { amount } => {
                    k.revenue += amount
                }
                EventKind::Survey { survey, score } => match survey {
                    SurveyKind::Csat => csat.push(f64::from(*score)),
                    SurveyKind::Nps => nps.push(f64::from(*score)),
                },
                EventKind::TicketOpened { .. } => k.tickets_opened += 1,
                EventKind::OfferShown { .. } => k.offers_shown += 1,
                EventKind::OfferAccepted { .. } => k.offers_accepted += 1,
                _ => {}
            }
        }
    }
    k.churn_rate = ratio(k.churned_subscribers as f64, k.subscribers_at_start as f64);
    k.customer_retention = ratio(active_both as f64, active_before as f64);
    k.gross_revenue_retention = ratio(gross, k.mrr_start);
    k.net_revenue_retention = ratio(k.cohort_mrr_end, k.mrr_start);
    k.csat = (!csat.is_empty()).then(|| csat.iter().sum::<f64>() / csat.len() as f64);
    k.nps = (!nps.is_empty()).then(|| {
        let promoters = nps.iter().filter(|s| **s >= 9.0).count() as f64;
        let detractors = nps.iter().filter(|s| **s <= 6.0).count() as f64;
        100.0 * (promoters - detractors) / nps.len() as f64
    });
    let moods: Vec<f64> = input
        .sentiments
        .iter()
        .filter(|(at, _)| *at >= start && *at < end)
        .map(|(_, s)| f64::from(*s))
        .collect();
    k.sentiment = (!moods.is_empty()).then(|| moods.iter().sum::<f64>() / moods.len() as f64);
    for t in input
        .tickets
        .iter()
        .filter(|t| t.opened >= start && t.opened < end)
    {
        if t.answered.is_some() || t.sla_due <= input.now {
            k.sla_counted += 1;
            k.sla_met += usize::from(t.answered.is_some_and(|a| a <= t.sla_due));
        }
    }
    k.sla_met_rate = ratio(k.sla_met as f64, k.sla_counted as f64);
    k
}

/// Customers subscribed at `at` (for tests and reports).
pub fn subscribers_at(
    customers: &[(CustomerId, Vec<Event>)],
    at: DateTime<Utc>,
) -> HashSet<CustomerId> {
    customers
        .iter()
        .filter(|(_, e)| mrr_at(e, at) > 0.0)
        .map(|(id, _)| *id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Plan;
    use chrono::{Duration, TimeZone};

    fn t(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + Duration::days(day)
    }

    fn ev(id: u64, day: i64, kind: EventKind) -> Event {
        Event {
            customer: CustomerId(id),
            at: t(day),
            kind,
        }
    }

    fn start(id: u64, day: i64, plan: Plan) -> Event {
        ev(id, day, EventKind::SubscriptionStart { plan })
    }

    /// Four subscribers at day 30 (MRR 9 + 19 + 39 + 19 = 86): 1 stays on Basic, 2 upgrades
    /// Plus→Premium, 3 downgrades Premium→Basic, 4 cancels; 5 subscribes during the period.
    fn fixture() -> Vec<(CustomerId, Vec<Event>)> {
        let change = |id, day, from, to| ev(id, day, EventKind::PlanChanged { from, to });
        vec![
            (
                CustomerId(1),
                vec![start(1, 0, Plan::Basic), ev(1, 40, EventKind::Login)],
            ),
            (
                CustomerId(2),
                vec![
                    start(2, 0, Plan::Plus),
                    change(2, 45, Plan::Plus, Plan::Premium),
                ],
            ),
            (
                CustomerId(3),
                vec![
                    start(3, 0, Plan::Premium),
                    ev(3, 10, EventKind::Login),
                    change(3, 50, Plan::Premium, Plan::Basic),
                ],
            ),
            (
                CustomerId(4),
                vec![
                    start(4, 0, Plan::Plus),
                    ev(4, 20, EventKind::Login),
                    ev(4, 55, EventKind::SubscriptionCancel { reason: None }),
                ],
            ),
            (
                CustomerId(5),
                vec![
                    start(5, 35, Plan::Plus),
                    ev(
                        5,
                        36,
                        EventKind::Survey {
                            survey: SurveyKind::Nps,
                            score: 10,
                        },
                    ),
                    ev(
                        5,
                        37,
                        EventKind::Survey {
                            survey: SurveyKind::Nps,
                            score: 3,
                        },
                    ),
                    ev(
                        5,
                        38,
                        EventKind::Survey {
                            survey: SurveyKind::Nps,
                            score: 9,
                        },
                    ),
                    ev(
                        5,
                        39,
                        EventKind::Survey {
                            survey: SurveyKind::Csat,
                            score: 4,
                        },
                    ),
                    ev(
                        5,
                        40,
                        EventKind::Survey {
                            survey: SurveyKind::Csat,
                            score: 1,
                        },
                    ),
                ],
            ),
        ]
    }

    #[test]
    fn revenue_retention_churn_and_surveys_by_hand() {
        let customers = fixture();
        let tickets = [
            // Answered in time, answered late, due and unanswered, not yet due.
            TicketTimes {
                opened: t(31),
                sla_due: t(32),
                answered: Some(t(31)),
            },
            TicketTimes {
                opened: t(33),
                sla_due: t(34),
                answered: Some(t(35)),
            },
            TicketTimes {
                opened: t(40),
                sla_due: t(41),
                answered: None,
            },
            TicketTimes {
                opened: t(59),
                sla_due: t(61),
                answered: None,
            },
        ];
        let input = KpiInput {
            customers: &customers,
            tickets: &tickets,
            sentiments: &[(t(31), -0.5), (t(32), 0.25), (t(5), -1.0)],
            now: t(60),
        };
        let k = period_kpis(&input, t(30), t(60));
        assert_eq!(k.subscribers_at_start, 4);
        assert_eq!(k.mrr_start, 86.0);
        // At the end: 9 + 39 + 9 + 0 (+ 19 new) = 57 + 19.
        assert_eq!(k.cohort_mrr_end, 57.0);
        assert_eq!(k.mrr_end, 76.0);
        assert_eq!(k.churned_subscribers, 1);
        assert_eq!(k.churn_rate, Some(0.25));
        // Gross: 9 + min(39, 19) + min(9, 39) + 0 = 37 of 86; net: 57 of 86.
        assert!((k.gross_revenue_retention.unwrap() - 37.0 / 86.0).abs() < 1e-12);
        assert!((k.net_revenue_retention.unwrap() - 57.0 / 86.0).abs() < 1e-12);
        assert!(
            (k.mrr_start * k.net_revenue_retention.unwrap() + 19.0 - k.mrr_end).abs() < 1e-9,
            "MRR at the end = start × NRR + new"
        );
        // Active before (days 0-30): 3 and 4; again in the period: neither (1 only now).
        assert_eq!(k.customer_retention, Some(0.0));
        assert_eq!(k.active_customers, 1);
        assert_eq!(k.csat, Some(2.5));
        // NPS: 2 promoters, 1 detractor of 3.
        assert!((k.nps.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(k.sentiment, Some(-0.125));
        // SLA: the not-yet-due ticket is left out: 1 met of 3.
        assert_eq!((k.sla_met, k.sla_counted), (1, 3));
        let gross = k.gross_revenue_retention.unwrap();
        assert!(gross <= 1.0);
        assert_eq!(subscribers_at(&customers, t(30)).len(), 4);
    }

    #[test]
    fn an_upgrade_only_cohort_has_grr_100_and_nrr_above() {
        let customers = vec![(
            CustomerId(1),
            vec![
                start(1, 0, Plan::Basic),
                ev(
                    1,
                    40,
                    EventKind::PlanChanged {
                        from: Plan::Basic,
                        to: Plan::Premium,
                    },
                ),
            ],
        )];
        let input = KpiInput {
            customers: &customers,
            tickets: &[],
            sentiments: &[],
            now: t(60),
        };
        let k = period_kpis(&input, t(30), t(60));
        assert_eq!(k.gross_revenue_retention, Some(1.0));
        assert!((k.net_revenue_retention.unwrap() - 39.0 / 9.0).abs() < 1e-12);
        assert_eq!(k.sla_met_rate, None, "no ticket counted");
    }
}
