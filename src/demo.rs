//! A deterministic generator of demo customers with two years of believable history.
//!
//! The same seed, customer count and reference day give the same data. Each customer has a
//! latent engagement level; about a third start to disengage at some point, and their
//! history shows it the way real churn does: fewer logins and orders, failed payments,
//! tickets left unresolved, low CSAT, negative chats, and finally a cancellation or silence.
//! Some churned customers come back (reactivation). So models trained on it learn signal
//! that follows from behaviour, not from a label.
//!
//! This module generates values only; [`seed_store`] writes them through the store API.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::domain::{
    Channel, Consent, Customer, CustomerId, Direction, Event, EventKind, Interaction, Language,
    OrderItem, OrderStatus, Plan, SurveyKind,
};
use crate::store::{Store, StoreError};

/// The shop's products and unit prices.
pub const CATALOGUE: &[(&str, f64)] = &[
    ("Espresso beans", 14.0),
    ("Filter coffee", 11.0),
    ("Green tea", 9.5),
    ("Oolong tea", 12.0),
    ("Ceramic mug", 16.0),
    ("French press", 34.0),
    ("Milk frother", 29.0),
    ("Grinder", 79.0),
    ("Kettle", 49.0),
    ("Descaler", 7.5),
    ("Chocolate biscuits", 5.0),
    ("Gift card", 25.0),
];

/// Product names, for the NLU's product entity.
pub fn product_names() -> Vec<String> {
    CATALOGUE.iter().map(|(n, _)| (*n).to_owned()).collect()
}

const FIRST: &[&str] = &[
    "Alice", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kara",
    "Liam", "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
    "Wendy", "Xavier", "Yara", "Zoe",
];
const LAST: &[&str] = &[
    "Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Green", "Hall", "Wood", "Clarke", "Hughes", "Moore", "Martin", "Lee", "King",
    "Baker",
];
const ZH_NAMES: &[&str] = &[
    "王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周杰", "吴芳",
];

const HAPPY_CHATS: &[&str] = &[
    "thanks, the beans arrived quickly",
    "great service, love the new mug",
    "where is my order?",
    "can you tell me about my plan?",
    "hello, just checking my last payment",
];
const ANGRY_CHATS: &[&str] = &[
    "this is terrible, my order is late again",
    "the grinder broke after a week, very disappointed",
    "I was charged twice, this is not ok",
    "nobody answered my ticket, awful service",
    "I want to cancel, nothing works",
];

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoSpec {
    pub customers: u32,
    pub seed: u64,
    /// The reference day: histories end here.
    pub as_of: DateTime<Utc>,
}

/// One generated customer with their history.
#[derive(Debug, Clone)]
pub struct DemoCustomer {
    pub customer: Customer,
    pub events: Vec<Event>,
    pub interactions: Vec<Interaction>,
}

/// The customer the README's tour chats as (`crmbot chat --as customer:42`).
pub const SHOWCASE_CUSTOMER: u32 = 42;

/// Generates customer `index` (1-based); independent of the other customers.
pub fn generate_customer(spec: &DemoSpec, index: u32) -> DemoCustomer {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        spec.seed ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let as_of = spec.as_of;
    let history_days = 730;
    let is_lead = index > spec.customers - spec.customers / 30;
    // Newer customers are a bit more common than old ones.
    let age_days = if rng.gen_bool(0.12) {
        rng.gen_range(3..45)
    } else {
        rng.gen_range(45..history_days)
    };
    let created = as_of - Duration::days(age_days) - Duration::minutes(rng.gen_range(0..1440));
    let zh = rng.gen_bool(0.15);
    let name = if zh {
        ZH_NAMES[rng.gen_range(0..ZH_NAMES.len())].to_owned()
    } else {
        format!(
            "{} {}",
            FIRST[rng.gen_range(0..FIRST.len())],
            LAST[rng.gen_range(0..LAST.len())]
        )
    };
    let id = CustomerId(u64::from(index));
    let email = (!is_lead).then(|| format!("customer{index}@example.com"));
    let plan = if is_lead {
        Plan::None
    } else {
        match rng.gen_range(0..10) {
            0..=3 => Plan::None,
            4..=6 => Plan::Basic,
            7..=8 => Plan::Plus,
            _ => Plan::Premium,
        }
    };
    let mut customer = Customer {
        id,
        name,
        email,
        language: if zh { Language::Zh } else { Language::En },
        plan,
        created,
        consent: Consent {
            marketing: rng.gen_bool(0.7),
            profiling: true,
        },
        is_lead,
        erased: false,
        attributes: Default::default(),
    };
    let mut events = vec![Event {
        customer: id,
        at: created,
        kind: EventKind::Signup,
    }];
    let mut interactions = Vec::new();
    if is_lead {
        push_chat(
            &mut interactions,
            id,
            created + Duration::minutes(5),
            "hello, what do you sell?",
            0.0,
        );
        return DemoCustomer {
            customer,
            events,
            interactions,
        };
    }

    // Latent behaviour.
    let engagement: f64 = rng.gen_range(0.3..1.6);
    let disengages = rng.gen_bool(0.38);
    // When disengagement starts (days after signup) and how long until they are gone.
    let decline_start = if disengages {
        Some(created + Duration::days(rng.gen_range(10..age_days.max(11))))
    } else {
        None
    };
    let decline_len = Duration::days(rng.gen_range(30..150));
    let comes_back = disengages && rng.gen_bool(0.12);
    let subscribed = plan != Plan::None;
    if subscribed {
        events.push(Event {
            customer: id,
            at: created + Duration::minutes(2),
            kind: EventKind::SubscriptionStart { plan },
        });
    }

    let mut order_no = 0u32;
    let mut ticket_no = 0u64;
    let mut cancelled_at: Option<DateTime<Utc>> = None;
    let mut reactivated = false;
    // A first order at signup, so every customer has something to ask about.
    add_order(
        &mut rng,
        &mut events,
        id,
        index,
        &mut order_no,
        created + Duration::hours(1),
        as_of,
    );

    let mut day = created + Duration::days(1);
    let mut next_payment = created + Duration::days(30);
    while day < as_of {
        // Activity multiplier: 1 before the decline, falling to 0 over its length.
        let mut activity = match decline_start {
            Some(start) if day >= start => {
                let into = (day - start).num_days() as f64 / decline_len.num_days() as f64;
                (1.0 - into).max(0.0)
            }
            _ => 1.0,
        };
        let gone = decline_start.is_some() && activity <= 0.0;
        if gone && comes_back && !reactivated && rng.gen_bool(0.02) {
            reactivated = true;
        }
        if reactivated {
            activity = 0.8;
        }
        let declining = activity < 0.9;
        // Logins and orders (a week at a time).
        let logins = poisson(&mut rng, 0.8 * engagement * activity);
        for _ in 0..logins {
            let at = day + Duration::minutes(rng.gen_range(0..7 * 1440));
            if at < as_of {
                events.push(Event {
                    customer: id,
                    at,
                    kind: EventKind::Login,
                });
            }
        }
        if rng.gen_bool((0.12 * engagement * activity).clamp(0.0, 1.0)) {
            let at = day + Duration::minutes(rng.gen_range(0..7 * 1440));
            if at < as_of {
                add_order(&mut rng, &mut events, id, index, &mut order_no, at, as_of);
            }
        }
        // Subscription payments, failing more often while disengaging.
        while subscribed && cancelled_at.is_none() && next_payment <= day && next_payment < as_of {
            let price = plan.monthly_price();
            let fail_p = if declining { 0.25 } else { 0.03 };
            let kind = if rng.gen_bool(fail_p) {
                EventKind::PaymentFailed { amount: price }
            } else {
                EventKind::Payment { amount: price }
            };
            events.push(Event {
                customer: id,
                at: next_payment,
                kind,
            });
            next_payment += Duration::days(30);
        }
        // Tickets: more, and less often resolved, while disengaging.
        let ticket_p = if declining { 0.08 } else { 0.012 };
        if rng.gen_bool(ticket_p) {
            ticket_no += 1;
            let ticket = 900_000_000 + u64::from(index) * 1000 + ticket_no;
            let at = day + Duration::hours(rng.gen_range(0..160));
            if at < as_of {
                let reason = if declining { "complaint" } else { "question" };
                events.push(Event {
                    customer: id,
                    at,
                    kind: EventKind::TicketOpened {
                        ticket,
                        reason: reason.into(),
                    },
                });
                let text = if declining {
                    ANGRY_CHATS[rng.gen_range(0..ANGRY_CHATS.len())]
                } else {
                    HAPPY_CHATS[rng.gen_range(0..HAPPY_CHATS.len())]
                };
                let score = if declining {
                    -rng.gen_range(0.4..0.9)
                } else {
                    rng.gen_range(0.0..0.6)
                };
                push_chat(
                    &mut interactions,
                    id,
                    at - Duration::minutes(3),
                    text,
                    score,
                );
                let resolved = !declining || rng.gen_bool(0.4);
                let closed = at + Duration::hours(rng.gen_range(4..72));
                if resolved && closed < as_of {
                    events.push(Event {
                        customer: id,
                        at: closed,
                        kind: EventKind::TicketClosed { ticket },
                    });
                    let csat = if declining {
                        rng.gen_range(1..=3)
                    } else {
                        rng.gen_range(3..=5)
                    };
                    events.push(Event {
                        customer: id,
                        at: closed + Duration::hours(1),
                        kind: EventKind::Survey {
                            survey: SurveyKind::Csat,
                            score: csat,
                        },
                    });
                }
            }
        }
        // A friendly chat now and then, and NPS twice a year.
        if !declining && rng.gen_bool(0.03 * engagement) {
            let at = day + Duration::hours(rng.gen_range(0..160));
            if at < as_of {
                let text = HAPPY_CHATS[rng.gen_range(0..HAPPY_CHATS.len())];
                push_chat(&mut interactions, id, at, text, rng.gen_range(0.0..0.7));
            }
        }
        if rng.gen_bool(1.0 / 26.0) {
            let at = day + Duration::hours(rng.gen_range(0..160));
            let score = if declining {
                rng.gen_range(0..=6)
            } else {
                rng.gen_range(6..=10)
            };
            if at < as_of {
                events.push(Event {
                    customer: id,
                    at,
                    kind: EventKind::Survey {
                        survey: SurveyKind::Nps,
                        score,
                    },
                });
            }
        }
        // The end of the decline: a subscriber cancels.
        if subscribed && cancelled_at.is_none() && declining && activity < 0.15 && !reactivated {
            let at = day + Duration::hours(rng.gen_range(0..100));
            if at < as_of {
                cancelled_at = Some(at);
                events.push(Event {
                    customer: id,
                    at,
                    kind: EventKind::SubscriptionCancel {
                        reason: Some(
                            if rng.gen_bool(0.5) {
                                "too expensive"
                            } else {
                                "not using it"
                            }
                            .into(),
                        ),
                    },
                });
            }
        }
        day += Duration::days(7);
    }
    if cancelled_at.is_some() {
        customer.plan = Plan::None;
    }
    if index == SHOWCASE_CUSTOMER && !is_lead {
        // The README's tour asks customer 42 about returning their last order: placed a
        // week ago and delivered since (at most six days after), well within the window.
        let mut order_no = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Purchase { .. }))
            .count() as u32;
        let mut showcase = Xoshiro256PlusPlus::seed_from_u64(spec.seed ^ 0x42);
        let placed = as_of - Duration::days(7) + Duration::hours(10);
        events.retain(|e| e.at < placed);
        add_order(
            &mut showcase,
            &mut events,
            id,
            index,
            &mut order_no,
            placed,
            as_of,
        );
    }
    events.sort_by_key(|e| e.at);
    interactions.sort_by_key(|i| i.at);
    DemoCustomer {
        customer,
        events,
        interactions,
    }
}

fn add_order(
    rng: &mut Xoshiro256PlusPlus,
    events: &mut Vec<Event>,
    id: CustomerId,
    index: u32,
    order_no: &mut u32,
    at: DateTime<Utc>,
    as_of: DateTime<Utc>,
) {
    *order_no += 1;
    let order_id = format!("A{index}{:03}", order_no);
    let lines = rng.gen_range(1..=3);
    let first = rng.gen_range(0..CATALOGUE.len());
    let items: Vec<OrderItem> = (0..lines)
        .map(|line| {
            // Distinct products per order: consecutive catalogue entries from a random start.
            let (product, price) = CATALOGUE[(first + line * 5) % CATALOGUE.len()];
            OrderItem {
                product: product.to_owned(),
                quantity: rng.gen_range(1..=3),
                unit_price: price,
            }
        })
        .collect();
    let amount = items
        .iter()
        .map(|i| f64::from(i.quantity) * i.unit_price)
        .sum::<f64>();
    events.push(Event {
        customer: id,
        at,
        kind: EventKind::Purchase {
            order_id: order_id.clone(),
            amount: (amount * 100.0).round() / 100.0,
            items,
            status: OrderStatus::Placed,
        },
    });
    let shipped = at + Duration::hours(rng.gen_range(6..48));
    if shipped < as_of {
        events.push(Event {
            customer: id,
            at: shipped,
            kind: EventKind::OrderUpdated {
                order_id: order_id.clone(),
                status: OrderStatus::Shipped,
            },
        });
    }
    let delivered = shipped + Duration::hours(rng.gen_range(24..96));
    if delivered < as_of {
        events.push(Event {
            customer: id,
            at: delivered,
            kind: EventKind::OrderUpdated {
                order_id,
                status: OrderStatus::Delivered,
            },
        });
    }
}

fn push_chat(
    out: &mut Vec<Interaction>,
    customer: CustomerId,
    at: DateTime<Utc>,
    text: &str,
    sentiment: f64,
) {
    out.push(Interaction {
        customer,
        channel: Channel::Console,
        chat: format!("demo-{customer}"),
        direction: Direction::Inbound,
        at,
        text: Some(text.to_owned()),
        intent: None,
        confidence: None,
        sentiment: Some(sentiment as f32),
        ticket: None,
    });
}

fn poisson(rng: &mut Xoshiro256PlusPlus, lambda: f64) -> u32 {
    // Knuth's method; lambda is small here.
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.r#gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// Midnight UTC of the day of `at`: the default reference day of demo data.
pub fn reference_day(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &at.date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists"),
    )
}

/// Counts of what was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub customers: u64,
    pub events: u64,
    pub interactions: u64,
}

/// Generates and stores the demo customers, then makes them durable.
pub fn seed_store(store: &Store, spec: &DemoSpec) -> Result<SeedReport, StoreError> {
    let mut report = SeedReport::default();
    for index in 1..=spec.customers {
        let demo = generate_customer(spec, index);
        store.put_customer(&demo.customer)?;
        store.append_events(&demo.events)?;
        for interaction in &demo.interactions {
            store.log_interaction(interaction)?;
        }
        report.customers += 1;
        report.events += demo.events.len() as u64;
        report.interactions += demo.interactions.len() as u64;
    }
    store.durable_blocking()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> DemoSpec {
        DemoSpec {
            customers: 300,
            seed: 7,
            as_of: Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn same_seed_same_customers() {
        let a = generate_customer(&spec(), 42);
        let b = generate_customer(&spec(), 42);
        assert_eq!(a.customer, b.customer);
        assert_eq!(a.events, b.events);
        let other = generate_customer(&DemoSpec { seed: 8, ..spec() }, 42);
        assert_ne!(a.events, other.events);
    }

    #[test]
    fn histories_end_before_the_reference_day_and_every_customer_has_an_order() {
        let spec = spec();
        for index in 1..=270 {
            let c = generate_customer(&spec, index);
            assert!(c.events.iter().all(|e| e.at <= spec.as_of));
            assert!(
                c.events
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::Purchase { .. }))
            );
        }
        // The last thirtieth are leads without orders.
        let lead = generate_customer(&spec, 300);
        assert!(lead.customer.is_lead);
    }

    #[test]
    fn churn_follows_behaviour() {
        // Cancelled subscribers have more failed payments and tickets than the rest.
        let spec = spec();
        let (mut churned, mut kept) = ((0usize, 0usize), (0usize, 0usize));
        for index in 1..=290 {
            let c = generate_customer(&spec, index);
            let bad = c
                .events
                .iter()
                .filter(|e| {
                    matches!(
                        e.kind,
                        EventKind::PaymentFailed { .. } | EventKind::TicketOpened { .. }
                    )
                })
                .count();
            let cancelled = c
                .events
                .iter()
                .any(|e| matches!(e.kind, EventKind::SubscriptionCancel { .. }));
            let slot = if cancelled { &mut churned } else { &mut kept };
            slot.0 += 1;
            slot.1 += bad;
        }
        assert!(churned.0 > 10, "some customers churn: {churned:?}");
        let rate = |s: (usize, usize)| s.1 as f64 / s.0.max(1) as f64;
        assert!(rate(churned) > 2.0 * rate(kept), "{churned:?} vs {kept:?}");
    }
}
