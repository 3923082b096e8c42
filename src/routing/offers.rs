//! Personalized offers: a catalogue from config, eligibility rules, a deterministic holdout
//! group for measuring uplift, and the report that measures it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ChurnBand, CustomerRisk};
use crate::domain::{CustomerId, Event, EventKind, Language};
use crate::models::lifecycle::Stage;

/// When an offer is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferMoment {
    /// The customer wants to cancel.
    Retention,
    /// An at-risk or churned customer comes back to talk.
    WinBack,
    /// After a purchase question: something that goes with what they bought.
    CrossSell,
}

/// One offer of the catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// Stable id, used in events and codes.
    pub id: String,
    /// When the offer is made.
    pub moment: OfferMoment,
    /// Text in English; `{code}` is not known yet when shown.
    pub text_en: String,
    /// Text in Chinese.
    pub text_zh: String,
    /// Discount in percent, for reports.
    #[serde(default)]
    pub discount_percent: u32,
    /// Only for these segments (empty: any).
    #[serde(default)]
    pub segments: Vec<String>,
    /// Only for these lifecycle stages (empty: any); an unknown stage is refused at load.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Only for these churn bands (empty: any).
    #[serde(default)]
    pub churn_bands: Vec<ChurnBand>,
    /// Only for customers worth at least this much (expected lifetime value).
    #[serde(default)]
    pub min_clv: f64,
    /// Only for customers who bought one of these products (empty: any).
    #[serde(default)]
    pub products: Vec<String>,
    /// Days a code stays valid after acceptance.
    #[serde(default = "default_valid_days")]
    pub valid_days: u32,
    /// At most this many showings per customer within `period_days`.
    #[serde(default = "default_max_per_customer")]
    pub max_per_customer: u32,
    /// The period of `max_per_customer`, in days.
    #[serde(default = "default_period_days")]
    pub period_days: u32,
    /// At most this many acceptances in total (0: no limit).
    #[serde(default)]
    pub budget: u32,
}

fn default_valid_days() -> u32 {
    30
}
fn default_max_per_customer() -> u32 {
    1
}
fn default_period_days() -> u32 {
    90
}

impl Offer {
    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::Zh => &self.text_zh,
            Language::En => &self.text_en,
        }
    }
}

/// The offer catalogue and the holdout share.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfferSettings {
    /// Percent of eligible customers (by a hash of customer and offer) who are not shown an
    /// offer, so its effect can be measured.
    pub holdout_percent: u32,
    /// The catalogue.
    pub catalogue: Vec<Offer>,
}

impl Default for OfferSettings {
    fn default() -> Self {
        OfferSettings {
            holdout_percent: 20,
            catalogue: vec![
                Offer {
                    id: "stay20".into(),
                    moment: OfferMoment::Retention,
                    text_en: "Before you go: we'd like to offer you 20% off your plan for the next three months. Would you like to take it? (yes/no)".into(),
                    text_zh: "在您离开之前：我们想为您提供未来三个月套餐八折的优惠。您愿意接受吗？（是/否）".into(),
                    discount_percent: 20,
                    segments: vec![],
                    stages: vec![],
                    churn_bands: vec![],
                    min_clv: 0.0,
                    products: vec![],
                    valid_days: 30,
                    max_per_customer: 1,
                    period_days: 180,
                    budget: 0,
                },
                Offer {
                    id: "pair10".into(),
                    moment: OfferMoment::CrossSell,
                    text_en: "Customers who bought {because} often add {product}. Would you like 10% off {product} with your next order? (yes/no)".into(),
                    text_zh: "购买了{because}的顾客常常也会买{product}。需要为您下次购买{product}提供九折优惠吗？（是/否）".into(),
                    discount_percent: 10,
                    segments: vec![],
                    stages: vec![],
                    churn_bands: vec![],
                    min_clv: 0.0,
                    products: vec![],
                    valid_days: 30,
                    max_per_customer: 1,
                    period_days: 30,
                    budget: 0,
                },
                Offer {
                    id: "welcome_back15".into(),
                    moment: OfferMoment::WinBack,
                    text_en: "Good to see you again! Here is 15% off your next order if you'd like it. Shall I send you a code? (yes/no)".into(),
                    text_zh: "欢迎回来！您下一笔订单可享八五折优惠。需要我发给您优惠码吗？（是/否）".into(),
                    discount_percent: 15,
                    segments: vec![],
                    stages: vec![Stage::AtRisk, Stage::Churned],
                    churn_bands: vec![],
                    min_clv: 0.0,
                    products: vec![],
                    valid_days: 30,
                    max_per_customer: 1,
                    period_days: 90,
                    budget: 0,
                },
            ],
        }
    }
}

/// Facts about the customer that eligibility depends on.
pub struct OfferContext<'a> {
    pub customer: CustomerId,
    pub risk: Option<&'a CustomerRisk>,
    /// The customer's events (for products bought and earlier showings).
    pub events: &'a [Event],
    /// Acceptances of each offer so far, across all customers (for budgets).
    pub accepted_total: &'a dyn Fn(&str) -> u32,
    pub now: DateTime<Utc>,
}

/// The outcome of picking an offer.
#[derive(Debug, Clone, PartialEq)]
pub enum OfferPick<'a> {
    /// Show this offer.
    Show(&'a Offer),
    /// The customer is eligible but in the holdout group: record it, show nothing.
    HoldOut(&'a Offer),
}

/// Whether the customer falls in the offer's holdout group: a stable hash, so the same
/// customer is always in or out for the same offer.
pub fn in_holdout(customer: CustomerId, offer: &str, holdout_percent: u32) -> bool {
    let digest = Sha256::digest(format!("{}:{offer}", customer.0).as_bytes());
    let bucket = u32::from_be_bytes(digest[..4].try_into().expect("4 bytes")) % 100;
    bucket < holdout_percent
}

/// A redemption code for an accepted offer, stable for customer and offer.
pub fn offer_code(customer: CustomerId, offer: &str) -> String {
    let digest = Sha256::digest(format!("code:{}:{offer}", customer.0).as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02X}")).collect();
    format!("{}-{hex}", offer.to_uppercase().replace('_', ""))
}

impl OfferSettings {
    /// The first eligible offer for the moment, or `None`.
    pub fn pick<'a>(
        &'a self,
        moment: OfferMoment,
        ctx: &OfferContext<'_>,
    ) -> Option<OfferPick<'a>> {
        let offer = self
            .catalogue
            .iter()
            .filter(|o| o.moment == moment)
            .find(|o| eligible(o, ctx))?;
        Some(
            if in_holdout(ctx.customer, &offer.id, self.holdout_percent) {
                OfferPick::HoldOut(offer)
            } else {
                OfferPick::Show(offer)
            },
        )
    }

    pub fn by_id(&self, id: &str) -> Option<&Offer> {
        self.catalogue.iter().find(|o| o.id == id)
    }
}

fn eligible(offer: &Offer, ctx: &OfferContext<'_>) -> bool {
    let risk = ctx.risk;
    let matches = |wanted: &[String], have: Option<&String>| {
        wanted.is_empty() || have.is_some_and(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
    };
    if !matches(&offer.segments, risk.and_then(|r| r.segment.as_ref()))
        || !(offer.stages.is_empty()
            || risk
                .and_then(|r| r.stage.as_deref())
                .is_some_and(|have| offer.stages.iter().any(|s| s.as_str() == have)))
    {
        return false;
    }
    if !offer.churn_bands.is_empty()
        && !risk
            .and_then(CustomerRisk::churn_band)
            .is_some_and(|b| offer.churn_bands.contains(&b))
    {
        return false;
    }
    if offer.min_clv > 0.0 && risk.and_then(|r| r.clv).unwrap_or(0.0) < offer.min_clv {
        return false;
    }
    if !offer.products.is_empty() {
        let bought = ctx.events.iter().any(|e| match &e.kind {
            EventKind::Purchase { items, .. } => items.iter().any(|i| {
                offer
                    .products
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&i.product))
            }),
            _ => false,
        });
        if !bought {
            return false;
        }
    }
    let since = ctx.now - Duration::days(i64::from(offer.period_days));
    let shown = ctx
        .events
        .iter()
        .filter(|e| e.at >= since)
        .filter(|e| match &e.kind {
            EventKind::OfferShown { offer: id } | EventKind::OfferHeldOut { offer: id } => {
                id == &offer.id
            }
            _ => false,
        })
        .count() as u32;
    if shown >= offer.max_per_customer {
        return false;
    }
    offer.budget == 0 || (ctx.accepted_total)(&offer.id) < offer.budget
}

/// Counts and retention of one offer, treated against holdout.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OfferStats {
    pub offer: String,
    /// Customers shown the offer.
    pub shown: u64,
    pub accepted: u64,
    /// Customers eligible but held out.
    pub held_out: u64,
    /// Share of treated customers still with us 30 days after the showing (only showings at
    /// least 30 days old count).
    pub retention_treated: Option<f64>,
    pub retention_holdout: Option<f64>,
    /// Treated minus holdout retention, with a 95 % confidence interval (normal
    /// approximation for a difference of proportions).
    pub uplift: Option<f64>,
    pub uplift_ci95: Option<(f64, f64)>,
    /// Showings and holdouts old enough to measure retention.
    pub measured_treated: u64,
    pub measured_holdout: u64,
}

/// Builds the report from every customer's events (time order per customer).
pub fn report<'a>(
    settings: &OfferSettings,
    customers: impl Iterator<Item = &'a [Event]>,
    now: DateTime<Utc>,
) -> Vec<OfferStats> {
    let mut stats: Vec<OfferStats> = settings
        .catalogue
        .iter()
        .map(|o| OfferStats {
            offer: o.id.clone(),
            ..Default::default()
        })
        .collect();
    // (retained, measured) per offer for treated and holdout.
    let mut counts = vec![[(0u64, 0u64); 2]; stats.len()];
    for events in customers {
        for (i, event) in events.iter().enumerate() {
            let (offer, treated) = match &event.kind {
                EventKind::OfferShown { offer } => (offer, true),
                EventKind::OfferHeldOut { offer } => (offer, false),
                EventKind::OfferAccepted { offer, .. } => {
                    if let Some(s) = stats.iter_mut().find(|s| &s.offer == offer) {
                        s.accepted += 1;
                    }
                    continue;
                }
                _ => continue,
            };
            let Some(k) = stats.iter().position(|s| &s.offer == offer) else {
                continue;
            };
            if treated {
                stats[k].shown += 1;
            } else {
                stats[k].held_out += 1;
            }
            let window_end = event.at + Duration::days(30);
            if window_end > now {
                continue;
            }
            let left = events[i + 1..]
                .iter()
                .take_while(|e| e.at <= window_end)
                .any(|e| matches!(e.kind, EventKind::SubscriptionCancel { .. }));
            let slot = &mut counts[k][usize::from(!treated)];
            slot.1 += 1;
            if !left {
                slot.0 += 1;
            }
        }
    }
    for (s, [treated, holdout]) in stats.iter_mut().zip(counts) {
        let rate = |(kept, n): (u64, u64)| (n > 0).then(|| kept as f64 / n as f64);
        s.measured_treated = treated.1;
        s.measured_holdout = holdout.1;
        s.retention_treated = rate(treated);
        s.retention_holdout = rate(holdout);
        if let (Some(a), Some(b)) = (s.retention_treated, s.retention_holdout) {
            let se = (a * (1.0 - a) / treated.1 as f64 + b * (1.0 - b) / holdout.1 as f64).sqrt();
            s.uplift = Some(a - b);
            s.uplift_ci95 = Some((a - b - 1.96 * se, a - b + 1.96 * se));
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap()
    }

    #[test]
    fn holdout_is_stable_and_close_to_its_share() {
        let held = (1..=10_000)
            .filter(|id| in_holdout(CustomerId(*id), "stay20", 20))
            .count();
        assert!((1800..2200).contains(&held), "{held}");
        assert_eq!(
            in_holdout(CustomerId(5), "stay20", 20),
            in_holdout(CustomerId(5), "stay20", 20)
        );
    }

    #[test]
    fn eligibility_follows_stage_and_frequency_cap() {
        let settings = OfferSettings::default();
        let at_risk = CustomerRisk {
            stage: Some("at_risk".into()),
            ..Default::default()
        };
        let active = CustomerRisk {
            stage: Some("active".into()),
            ..Default::default()
        };
        let none = |_: &str| 0;
        let ctx = |risk, events| OfferContext {
            customer: CustomerId(1),
            risk,
            events,
            accepted_total: &none,
            now: now(),
        };
        assert!(
            settings
                .pick(OfferMoment::WinBack, &ctx(Some(&at_risk), &[]))
                .is_some()
        );
        assert!(
            settings
                .pick(OfferMoment::WinBack, &ctx(Some(&active), &[]))
                .is_none()
        );
        let shown = [Event {
            customer: CustomerId(1),
            at: now() - Duration::days(10),
            kind: EventKind::OfferShown {
                offer: "welcome_back15".into(),
            },
        }];
        assert!(
            settings
                .pick(OfferMoment::WinBack, &ctx(Some(&at_risk), &shown))
                .is_none()
        );
    }

    #[test]
    fn report_compares_retention_of_treated_and_holdout() {
        let settings = OfferSettings::default();
        let ev = |c: u64, days_ago: i64, kind: EventKind| Event {
            customer: CustomerId(c),
            at: now() - Duration::days(days_ago),
            kind,
        };
        let shown = || EventKind::OfferShown {
            offer: "stay20".into(),
        };
        let held = || EventKind::OfferHeldOut {
            offer: "stay20".into(),
        };
        let cancel = || EventKind::SubscriptionCancel { reason: None };
        let histories = [
            vec![ev(1, 60, shown())],
            vec![
                ev(2, 60, shown()),
                ev(
                    2,
                    59,
                    EventKind::OfferAccepted {
                        offer: "stay20".into(),
                        code: None,
                    },
                ),
            ],
            vec![ev(3, 60, shown()), ev(3, 50, cancel())],
            vec![ev(4, 60, held()), ev(4, 55, cancel())],
            vec![ev(5, 60, held())],
            vec![ev(6, 5, shown())],
        ];
        let stats = report(&settings, histories.iter().map(|h| h.as_slice()), now());
        let s = &stats[0];
        assert_eq!((s.shown, s.accepted, s.held_out), (4, 1, 2));
        assert_eq!((s.measured_treated, s.measured_holdout), (3, 2));
        assert!((s.retention_treated.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((s.retention_holdout.unwrap() - 0.5).abs() < 1e-9);
        let (lo, hi) = s.uplift_ci95.unwrap();
        assert!(lo < s.uplift.unwrap() && s.uplift.unwrap() < hi);
    }
}
