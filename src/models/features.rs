//! Customer features at a cut-off time, built from one customer's events and chat
//! interactions. The same pure builder serves training (past cut-offs: everything after the
//! cut-off is ignored) and scoring (cut-off = now), so the two can never drift apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::churn::FeatureText;
use super::clv::CustomerRfm;
use crate::domain::{Customer, Direction, Event, EventKind, Interaction, OrderStatus, SurveyKind};

/// Everything known about one customer: the input of features, lifecycle and training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerHistory {
    pub customer: Customer,
    /// The customer's events, in any order.
    pub events: Vec<Event>,
    /// The customer's chat messages, in any order.
    pub interactions: Vec<Interaction>,
}

/// Sentiment below this counts as a negative message.
pub const NEGATIVE_SENTIMENT: f32 = -0.3;

/// Features of one customer at a cut-off. Counts are of events at or before the cut-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerFeatures {
    /// Whether the customer is a lead (not a known customer); not a model input.
    pub is_lead: bool,
    /// Days between the last and the previous activity (login or purchase); 0 with fewer than
    /// two; used to detect reactivation; not a model input.
    pub gap_before_last_activity_days: f64,
    /// Days since the last purchase; tenure when there was none.
    pub recency_days: f64,
    /// Number of purchases (orders not cancelled or returned).
    pub frequency: f64,
    /// Total amount of those purchases.
    pub monetary_total: f64,
    /// Mean amount per purchase (0 without purchases).
    pub monetary_mean: f64,
    /// Days since the customer was created (or first seen, if earlier).
    pub tenure_days: f64,
    /// Mean days between purchase days (0 with fewer than two purchase days).
    pub interpurchase_days: f64,
    /// Days since the last purchase over the mean gap between purchases (0 when unknown):
    /// above 1 means the next purchase is overdue.
    pub purchase_overdue: f64,
    /// 1 when a subscription is running at the cut-off, else 0.
    pub subscription_active: f64,
    /// Monthly price of the current plan (0 without subscription).
    pub plan_price: f64,
    /// Failed payments in the last 90 days.
    pub payment_failures_90d: f64,
    /// Days since the last login or purchase; tenure when none.
    pub days_since_activity: f64,
    /// Logins and purchases in the last 7 days.
    pub activity_7d: f64,
    /// Logins and purchases in the last 30 days.
    pub activity_30d: f64,
    /// Logins and purchases in the last 90 days.
    pub activity_90d: f64,
    /// Change of activity, last 30 days against the 30 before, in [-1, 1]:
    /// (recent − previous) / (recent + previous + 1).
    pub activity_trend: f64,
    /// Tickets opened in the last 90 days.
    pub tickets_opened_90d: f64,
    /// Tickets open (not closed) at the cut-off.
    pub tickets_unresolved: f64,
    /// Last CSAT answer, 1–5 (3, neutral, when none).
    pub csat_last: f64,
    /// Mean CSAT answer (3 when none).
    pub csat_mean: f64,
    /// Last NPS answer, 0–10 (7, passive, when none).
    pub nps_last: f64,
    /// Mean NPS answer (7 when none).
    pub nps_mean: f64,
    /// Mean sentiment of the customer's messages, −1 to 1 (0 when none).
    pub sentiment_mean: f64,
    /// Mean sentiment of the last 30 days minus that of before (0 when either is missing).
    pub sentiment_trend: f64,
    /// Share of the customer's messages in the last 30 days that were negative.
    pub negative_share_30d: f64,
    /// Messages the customer sent in the last 30 days.
    pub messages_30d: f64,
    /// Conversations escalated to a person (distinct tickets in chat) in the last 90 days.
    pub escalations_90d: f64,
    /// Offers accepted in the last 180 days.
    pub offers_accepted_180d: f64,
    /// BG/NBD probability that the customer is still buying, for customers without a
    /// running subscription (1 for subscribers, and until a CLV model fills it in).
    pub p_alive: f64,
}

/// Names of the model inputs, in [`CustomerFeatures::to_vector`] order.
pub const FEATURE_NAMES: [&str; 28] = [
    "recency_days",
    "frequency",
    "monetary_total",
    "monetary_mean",
    "tenure_days",
    "interpurchase_days",
    "purchase_overdue",
    "subscription_active",
    "plan_price",
    "payment_failures_90d",
    "days_since_activity",
    "activity_7d",
    "activity_30d",
    "activity_90d",
    "activity_trend",
    "tickets_opened_90d",
    "tickets_unresolved",
    "csat_last",
    "csat_mean",
    "nps_last",
    "nps_mean",
    "sentiment_mean",
    "sentiment_trend",
    "negative_share_30d",
    "messages_30d",
    "escalations_90d",
    "offers_accepted_180d",
    "p_alive",
];

/// What each feature is, in plain words, in [`FEATURE_NAMES`] order.
pub const FEATURE_DESCRIPTIONS: [&str; 28] = [
    "days since the last purchase",
    "number of purchases",
    "total amount spent",
    "average amount per purchase",
    "days as a customer",
    "average days between purchase days",
    "days since the last purchase compared with the usual gap",
    "whether a subscription is running",
    "monthly price of the current plan",
    "failed payments in the last 90 days",
    "days since the last login or purchase",
    "logins and purchases in the last 7 days",
    "logins and purchases in the last 30 days",
    "logins and purchases in the last 90 days",
    "change in activity, this month against last month",
    "support tickets opened in the last 90 days",
    "support tickets still open",
    "last satisfaction (CSAT) score",
    "average satisfaction (CSAT) score",
    "last net promoter (NPS) score",
    "average net promoter (NPS) score",
    "average tone of the customer's chat messages",
    "change in chat tone over the last 30 days",
    "share of negative chat messages in the last 30 days",
    "chat messages from the customer in the last 30 days",
    "chats escalated to staff in the last 90 days",
    "offers accepted in the last 180 days",
    "probability the customer is still buying (BG/NBD)",
];

/// The plain-words description of a feature by name.
pub fn feature_description(name: &str) -> Option<&'static str> {
    FEATURE_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| FEATURE_DESCRIPTIONS[i])
}

/// Plain words for each feature when high and when low, in [`FEATURE_NAMES`] order.
const FEATURE_WORDS: [(&str, &str); 28] = [
    ("no purchase for a long time", "bought recently"),
    ("buys often", "few purchases so far"),
    ("has spent a lot", "has spent little"),
    ("large orders", "small orders"),
    ("long-standing customer", "new customer"),
    ("long gaps between purchases", "buys at short intervals"),
    ("next purchase is overdue", "buying on schedule"),
    ("subscription running", "no running subscription"),
    ("on an expensive plan", "on a cheap plan or none"),
    ("payments failed recently", "payments go through"),
    ("no logins or purchases for a long time", "active recently"),
    ("active this week", "not active this week"),
    ("active this month", "little activity this month"),
    ("active this quarter", "little activity this quarter"),
    ("activity is growing", "activity is falling"),
    (
        "opened many support tickets recently",
        "few support tickets",
    ),
    ("has unresolved support tickets", "no unresolved tickets"),
    (
        "satisfied in the last survey",
        "unhappy in the last satisfaction survey",
    ),
    ("satisfied in surveys", "low satisfaction scores"),
    (
        "would recommend us (last NPS)",
        "would not recommend us (last NPS)",
    ),
    ("promoter on average (NPS)", "detractor on average (NPS)"),
    ("positive in chat", "negative in chat"),
    ("chat tone is improving", "chat tone is getting worse"),
    ("many negative messages this month", "few negative messages"),
    ("writes to us a lot this month", "quiet in chat"),
    ("conversations escalated to staff", "no escalations"),
    ("accepted offers recently", "has not taken up offers"),
    (
        "likely still buying",
        "purchase pattern suggests they have left",
    ),
];

/// Feature texts for churn reasons, in [`FEATURE_NAMES`] order.
pub fn feature_texts() -> Vec<FeatureText> {
    FEATURE_NAMES
        .iter()
        .zip(FEATURE_WORDS)
        .map(|(n, (hi, lo))| FeatureText::new(n, hi, lo))
        .collect()
}

fn days(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 86_400.0
}

/// Order ids cancelled or returned at or before `cutoff`.
fn voided_orders(events: &[Event], cutoff: DateTime<Utc>) -> Vec<&str> {
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.at <= cutoff) {
        match &e.kind {
            EventKind::OrderUpdated { order_id, status }
            | EventKind::Purchase {
                order_id, status, ..
            } if matches!(status, OrderStatus::Cancelled | OrderStatus::Returned) => {
                out.push(order_id.as_str());
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Valid purchases (time, amount) at or before `cutoff`, in time order.
pub fn purchases(events: &[Event], cutoff: DateTime<Utc>) -> Vec<(DateTime<Utc>, f64)> {
    let voided = voided_orders(events, cutoff);
    let mut out: Vec<(DateTime<Utc>, f64)> = events
        .iter()
        .filter(|e| e.at <= cutoff)
        .filter_map(|e| match &e.kind {
            EventKind::Purchase {
                order_id, amount, ..
            } if voided.binary_search(&order_id.as_str()).is_err() => Some((e.at, *amount)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

/// Whether a subscription is running at `cutoff` (the last start/cancel decides).
pub fn subscription_at(events: &[Event], cutoff: DateTime<Utc>) -> Option<crate::domain::Plan> {
    let mut subs: Vec<(DateTime<Utc>, &EventKind)> = events
        .iter()
        .filter(|e| e.at <= cutoff)
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::SubscriptionStart { .. }
                    | EventKind::SubscriptionCancel { .. }
                    | EventKind::PlanChanged { .. }
            )
        })
        .map(|e| (e.at, &e.kind))
        .collect();
    subs.sort_by_key(|s| s.0);
    plan_after(subs.iter().map(|s| s.1))
}

/// The running plan after subscription events in time order.
fn plan_after<'a>(kinds: impl Iterator<Item = &'a EventKind>) -> Option<crate::domain::Plan> {
    let mut plan = None;
    for k in kinds {
        match k {
            EventKind::SubscriptionStart { plan: p } => plan = Some(*p),
            EventKind::PlanChanged { to, .. } if plan.is_some() => plan = Some(*to),
            EventKind::SubscriptionCancel { .. } => plan = None,
            _ => {}
        }
    }
    plan.filter(|p| *p != crate::domain::Plan::None)
}

/// Times of logins and purchases at or before `cutoff`, in order.
pub fn activity_times(events: &[Event], cutoff: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut t: Vec<DateTime<Utc>> = events
        .iter()
        .filter(|e| {
            e.at <= cutoff && matches!(e.kind, EventKind::Login | EventKind::Purchase { .. })
        })
        .map(|e| e.at)
        .collect();
    t.sort();
    t
}

/// CDNOW-style RFM summary in weeks (purchases merged per day, frequency = repeat purchase
/// days) at `cutoff`; `None` without purchases.
pub fn rfm_at(id: &str, events: &[Event], cutoff: DateTime<Utc>) -> Option<CustomerRfm> {
    rfm_of_purchases(id, &purchases(events, cutoff), cutoff)
}

/// [`rfm_at`] from purchases already listed (time order) by [`purchases`].
pub fn rfm_of_purchases(
    id: &str,
    buys: &[(DateTime<Utc>, f64)],
    cutoff: DateTime<Utc>,
) -> Option<CustomerRfm> {
    // Purchases are in time order, so days come out in order: merge runs of the same day.
    let mut days: Vec<(NaiveDate, f64)> = Vec::new();
    for (at, amount) in buys {
        let d = at.date_naive();
        match days.last_mut() {
            Some(last) if last.0 == d => last.1 += amount,
            _ => days.push((d, *amount)),
        }
    }
    let first = days.first()?.0;
    let last = days.last()?.0;
    let repeat = &days[1..];
    Some(CustomerRfm {
        id: id.to_string(),
        frequency: repeat.len() as f64,
        recency: (last - first).num_days() as f64 / 7.0,
        t: (cutoff.date_naive() - first).num_days().max(0) as f64 / 7.0,
        monetary: if repeat.is_empty() {
            0.0
        } else {
            repeat.iter().map(|d| d.1).sum::<f64>() / repeat.len() as f64
        },
    })
}

impl CustomerFeatures {
    /// Builds the features of `customer` at `cutoff` from their events and interactions
    /// (anything after the cut-off is ignored).
    pub fn build(
        customer: &Customer,
        events: &[Event],
        interactions: &[Interaction],
        cutoff: DateTime<Utc>,
    ) -> Self {
        Self::build_with_purchases(customer, events, interactions, cutoff).0
    }

    /// [`CustomerFeatures::build`], also returning the valid purchases (time order) it used.
    pub fn build_with_purchases(
        customer: &Customer,
        events: &[Event],
        interactions: &[Interaction],
        cutoff: DateTime<Utc>,
    ) -> (Self, Vec<(DateTime<Utc>, f64)>) {
        // One pass over the events (this runs for every customer at every scoring).
        let mut first_seen = customer.created;
        let mut raw_buys: Vec<(DateTime<Utc>, f64, &str)> = Vec::new();
        let mut voided: Vec<&str> = Vec::new();
        let mut acts: Vec<DateTime<Utc>> = Vec::new();
        let mut subs: Vec<(DateTime<Utc>, &EventKind)> = Vec::new();
        let (mut opened, mut closed) = (Vec::new(), Vec::new());
        let (mut tickets_90, mut failures_90, mut offers_180) = (0.0, 0.0, 0.0);
        let mut csat: Vec<(DateTime<Utc>, f64)> = Vec::new();
        let mut nps: Vec<(DateTime<Utc>, f64)> = Vec::new();
        for e in events.iter().filter(|e| e.at <= cutoff) {
            first_seen = first_seen.min(e.at);
            let age = days(e.at, cutoff);
            match &e.kind {
                EventKind::Purchase {
                    order_id,
                    amount,
                    status,
                    ..
                } => {
                    raw_buys.push((e.at, *amount, order_id.as_str()));
                    if matches!(status, OrderStatus::Cancelled | OrderStatus::Returned) {
                        voided.push(order_id.as_str());
                    }
                    acts.push(e.at);
                }
                EventKind::OrderUpdated {
                    order_id,
                    status: OrderStatus::Cancelled | OrderStatus::Returned,
                } => voided.push(order_id.as_str()),
                EventKind::Login | EventKind::StaffContact { .. } => acts.push(e.at),
                EventKind::SubscriptionStart { .. }
                | EventKind::SubscriptionCancel { .. }
                | EventKind::PlanChanged { .. } => subs.push((e.at, &e.kind)),
                EventKind::TicketOpened { ticket, .. } => {
                    opened.push(*ticket);
                    if age < 90.0 {
                        tickets_90 += 1.0;
                    }
                }
                EventKind::TicketClosed { ticket } => closed.push(*ticket),
                EventKind::PaymentFailed { .. } if age < 90.0 => failures_90 += 1.0,
                EventKind::OfferAccepted { .. } if age < 180.0 => offers_180 += 1.0,
                EventKind::Survey { survey, score } => match survey {
                    SurveyKind::Csat => csat.push((e.at, f64::from(*score))),
                    SurveyKind::Nps => nps.push((e.at, f64::from(*score))),
                },
                _ => {}
            }
        }
        voided.sort_unstable();
        voided.dedup();
        let mut buys: Vec<(DateTime<Utc>, f64)> = raw_buys
            .into_iter()
            .filter(|b| voided.is_empty() || voided.binary_search(&b.2).is_err())
            .map(|b| (b.0, b.1))
            .collect();
        buys.sort_by_key(|b| b.0);
        acts.sort_unstable();

        // Chat: sums instead of lists.
        let (mut n_all, mut sum_all) = (0.0, 0.0);
        let (mut n_recent, mut sum_recent, mut neg_recent) = (0.0, 0.0, 0.0);
        let mut messages_30d = 0.0;
        let mut escalations: Vec<u64> = Vec::new();
        for i in interactions.iter().filter(|i| i.at <= cutoff) {
            first_seen = first_seen.min(i.at);
            let age = days(i.at, cutoff);
            if let Some(t) = i.ticket.filter(|_| age < 90.0) {
                escalations.push(t);
            }
            if i.direction != Direction::Inbound {
                continue;
            }
            if age < 30.0 {
                messages_30d += 1.0;
            }
            if let Some(sv) = i.sentiment {
                let v = f64::from(sv);
                n_all += 1.0;
                sum_all += v;
                if age < 30.0 {
                    n_recent += 1.0;
                    sum_recent += v;
                    if sv < NEGATIVE_SENTIMENT {
                        neg_recent += 1.0;
                    }
                }
            }
        }
        escalations.sort_unstable();
        escalations.dedup();
        let n_before = n_all - n_recent;
        let sentiment_trend = if n_recent > 0.0 && n_before > 0.0 {
            sum_recent / n_recent - (sum_all - sum_recent) / n_before
        } else {
            0.0
        };
        let negative_share_30d = if n_recent > 0.0 {
            neg_recent / n_recent
        } else {
            0.0
        };

        let tenure_days = days(first_seen, cutoff).max(0.0);
        let frequency = buys.len() as f64;
        let monetary_total: f64 = buys.iter().map(|b| b.1).sum();
        let recency_days = buys
            .last()
            .map(|b| days(b.0, cutoff))
            .unwrap_or(tenure_days);
        let (mut n_days, mut first_day, mut last_day) = (0usize, None, None);
        for b in &buys {
            let d = b.0.date_naive();
            if last_day != Some(d) {
                n_days += 1;
                first_day.get_or_insert(d);
                last_day = Some(d);
            }
        }
        let interpurchase_days = match (first_day, last_day) {
            (Some(f), Some(l)) if n_days >= 2 => (l - f).num_days() as f64 / (n_days - 1) as f64,
            _ => 0.0,
        };

        subs.sort_by_key(|s| s.0);
        let plan = plan_after(subs.iter().map(|s| s.1));
        let (mut a7, mut a30, mut a60, mut a90) = (0.0, 0.0, 0.0, 0.0);
        for t in &acts {
            let age = days(*t, cutoff);
            a7 += f64::from(u8::from(age < 7.0));
            a30 += f64::from(u8::from(age < 30.0));
            a60 += f64::from(u8::from(age < 60.0));
            a90 += f64::from(u8::from(age < 90.0));
        }
        let prev30 = a60 - a30;
        let days_since_activity = acts.last().map(|t| days(*t, cutoff)).unwrap_or(tenure_days);
        let gap_before_last_activity_days = if acts.len() >= 2 {
            days(acts[acts.len() - 2], acts[acts.len() - 1])
        } else {
            0.0
        };

        opened.sort_unstable();
        opened.dedup();
        closed.sort_unstable();
        let unresolved = opened
            .iter()
            .filter(|t| closed.binary_search(t).is_err())
            .count();
        let last_mean = |v: &mut Vec<(DateTime<Utc>, f64)>, default: f64| {
            v.sort_by_key(|s| s.0);
            match v.last() {
                Some(l) => (l.1, v.iter().map(|s| s.1).sum::<f64>() / v.len() as f64),
                None => (default, default),
            }
        };
        let (csat_last, csat_mean) = last_mean(&mut csat, 3.0);
        let (nps_last, nps_mean) = last_mean(&mut nps, 7.0);

        let features = CustomerFeatures {
            is_lead: customer.is_lead,
            gap_before_last_activity_days,
            recency_days,
            frequency,
            monetary_total,
            monetary_mean: if frequency > 0.0 {
                monetary_total / frequency
            } else {
                0.0
            },
            tenure_days,
            interpurchase_days,
            purchase_overdue: if interpurchase_days > 0.0 {
                recency_days / interpurchase_days
            } else {
                0.0
            },
            subscription_active: if plan.is_some() { 1.0 } else { 0.0 },
            plan_price: plan.map(|p| p.monthly_price()).unwrap_or(0.0),
            payment_failures_90d: failures_90,
            days_since_activity,
            activity_7d: a7,
            activity_30d: a30,
            activity_90d: a90,
            activity_trend: (a30 - prev30) / (a30 + prev30 + 1.0),
            tickets_opened_90d: tickets_90,
            tickets_unresolved: unresolved as f64,
            csat_last,
            csat_mean,
            nps_last,
            nps_mean,
            sentiment_mean: if n_all > 0.0 { sum_all / n_all } else { 0.0 },
            sentiment_trend,
            negative_share_30d,
            messages_30d,
            escalations_90d: escalations.len() as f64,
            offers_accepted_180d: offers_180,
            p_alive: 1.0,
        };
        (features, buys)
    }

    /// The model inputs in [`FEATURE_NAMES`] order.
    pub fn to_vector(&self) -> Vec<f64> {
        vec![
            self.recency_days,
            self.frequency,
            self.monetary_total,
            self.monetary_mean,
            self.tenure_days,
            self.interpurchase_days,
            self.purchase_overdue,
            self.subscription_active,
            self.plan_price,
            self.payment_failures_90d,
            self.days_since_activity,
            self.activity_7d,
            self.activity_30d,
            self.activity_90d,
            self.activity_trend,
            self.tickets_opened_90d,
            self.tickets_unresolved,
            self.csat_last,
            self.csat_mean,
            self.nps_last,
            self.nps_mean,
            self.sentiment_mean,
            self.sentiment_trend,
            self.negative_share_30d,
            self.messages_30d,
            self.escalations_90d,
            self.offers_accepted_180d,
            self.p_alive,
        ]
    }

    /// Inputs of the segmentation.
    pub fn segment_input(&self) -> super::segments::SegmentInput {
        super::segments::SegmentInput {
            recency_days: self.recency_days,
            frequency: self.frequency,
            monetary: self.monetary_total,
            engagement: self.activity_30d,
            sentiment: self.sentiment_mean,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Channel, Consent, CustomerId, Language, Plan};
    use chrono::{Duration, TimeZone};

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
    }

    pub(crate) fn customer(id: u64, created: DateTime<Utc>) -> Customer {
        Customer {
            id: CustomerId(id),
            name: format!("c{id}"),
            email: None,
            language: Language::En,
            plan: Plan::None,
            created,
            consent: Consent::default(),
            is_lead: false,
            erased: false,
            attributes: Default::default(),
        }
    }

    pub(crate) fn ev(id: u64, day: i64, kind: EventKind) -> Event {
        Event {
            customer: CustomerId(id),
            at: t0() + Duration::days(day),
            kind,
        }
    }

    pub(crate) fn buy(id: u64, day: i64, amount: f64) -> Event {
        ev(
            id,
            day,
            EventKind::Purchase {
                order_id: format!("{id}-{day}-{amount}"),
                amount,
                items: vec![],
                status: OrderStatus::Delivered,
            },
        )
    }

    pub(crate) fn msg(id: u64, day: i64, sentiment: f32, ticket: Option<u64>) -> Interaction {
        Interaction {
            customer: CustomerId(id),
            channel: Channel::Console,
            chat: "c".into(),
            direction: Direction::Inbound,
            at: t0() + Duration::days(day),
            text: Some("hi".into()),
            intent: None,
            confidence: None,
            sentiment: Some(sentiment),
            ticket,
        }
    }

    #[test]
    fn features_of_a_hand_made_history() {
        let c = customer(1, t0());
        let mut events = vec![
            buy(1, 0, 10.0),
            buy(1, 10, 30.0),
            buy(1, 20, 20.0),
            buy(1, 200, 999.0), // after the cut-off: ignored
            ev(1, 5, EventKind::SubscriptionStart { plan: Plan::Plus }),
            ev(1, 95, EventKind::Login),
            ev(1, 98, EventKind::Login),
            ev(
                1,
                50,
                EventKind::TicketOpened {
                    ticket: 7,
                    reason: String::new(),
                },
            ),
            ev(
                1,
                96,
                EventKind::TicketOpened {
                    ticket: 8,
                    reason: String::new(),
                },
            ),
            ev(1, 97, EventKind::TicketClosed { ticket: 7 }),
            ev(
                1,
                60,
                EventKind::Survey {
                    survey: SurveyKind::Csat,
                    score: 5,
                },
            ),
            ev(
                1,
                90,
                EventKind::Survey {
                    survey: SurveyKind::Csat,
                    score: 2,
                },
            ),
            ev(1, 92, EventKind::PaymentFailed { amount: 19.0 }),
        ];
        events.push(ev(
            1,
            15,
            EventKind::OrderUpdated {
                order_id: "1-10-30".into(),
                status: OrderStatus::Returned,
            },
        ));
        let msgs = vec![
            msg(1, 10, 0.5, None),
            msg(1, 95, -0.8, Some(8)),
            msg(1, 99, -0.4, Some(8)),
        ];
        let f = CustomerFeatures::build(&c, &events, &msgs, t0() + Duration::days(100));
        assert_eq!(f.frequency, 2.0); // the returned order does not count
        assert_eq!(f.monetary_total, 30.0);
        assert_eq!(f.recency_days, 80.0);
        assert_eq!(f.tenure_days, 100.0);
        assert_eq!(f.interpurchase_days, 20.0);
        assert_eq!(f.subscription_active, 1.0);
        assert_eq!(f.plan_price, 19.0);
        assert_eq!(f.activity_7d, 2.0);
        assert_eq!(f.activity_90d, 3.0); // two logins and the purchase of day 20
        assert_eq!(f.days_since_activity, 2.0);
        assert_eq!(f.tickets_unresolved, 1.0);
        assert_eq!(f.tickets_opened_90d, 2.0);
        assert_eq!((f.csat_last, f.csat_mean), (2.0, 3.5));
        assert_eq!(f.nps_last, 7.0);
        assert_eq!(f.payment_failures_90d, 1.0);
        assert!((f.sentiment_mean - (-0.7 / 3.0)).abs() < 1e-6);
        assert!((f.sentiment_trend - (-0.6 - 0.5)).abs() < 1e-6);
        assert_eq!(f.negative_share_30d, 1.0);
        assert_eq!(f.escalations_90d, 1.0);
        assert_eq!(f.to_vector().len(), FEATURE_NAMES.len());
        assert_eq!(feature_texts().len(), FEATURE_NAMES.len());
        assert_eq!(
            feature_description("recency_days"),
            Some("days since the last purchase")
        );
        let r = rfm_at("1", &events, t0() + Duration::days(70)).unwrap();
        assert_eq!(
            (r.frequency, r.recency, r.t, r.monetary),
            (1.0, 20.0 / 7.0, 10.0, 20.0)
        );
    }
}
