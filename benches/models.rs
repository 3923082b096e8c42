//! Speed of the customer models on synthetic data of production size:
//! BG/NBD on a CDNOW-sized summary, churn training on 100,000 × 30, the k-means k search
//! on 100,000 customers, scoring 100,000 customers, ranking 100,000 scores.
//!
//! Run with `cargo bench --bench models`. With `CRMBOT_DATA=<data dir>` it first prints
//! the eval reports on the real data sets (CDNOW, Telco, Groceries) for comparison with the
//! published figures; `CRMBOT_DATA_ONLY=1` then skips the timings.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crmbot::domain::{
    Channel, Consent, Customer, CustomerId, Direction, Event, EventKind, Interaction, Language,
    OrderItem, OrderStatus, Plan,
};
use crmbot::models::churn::{ChurnModel, ChurnSettings, FeatureText};
use crmbot::models::clv::{BgNbd, CustomerRfm};
use crmbot::models::eval::{eval_churn, eval_clv, eval_rules, eval_segments, parse_rfm_summary};
use crmbot::models::features::CustomerHistory;
use crmbot::models::pipeline::{ModelSettings, TrainingInput, rank_at_risk, score_all, train_all};
use crmbot::models::segments::{SegmentInput, SegmentModel, SegmentSettings};

/// Customers drawn from the BG/NBD process with CDNOW's parameters.
fn bgnbd_sample(n: usize, seed: u64) -> Vec<CustomerRfm> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let gamma = |rng: &mut Xoshiro256PlusPlus, shape: f64| -> f64 {
        // Marsaglia–Tsang, with the shape < 1 boost.
        let (k, boost) = if shape < 1.0 {
            (shape + 1.0, rng.r#gen::<f64>().powf(1.0 / shape))
        } else {
            (shape, 1.0)
        };
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let (u1, u2): (f64, f64) = (rng.r#gen(), rng.r#gen());
            let z = (-2.0 * u1.max(1e-300).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let v = (1.0 + c * z).powi(3);
            if v > 0.0 && rng.r#gen::<f64>().ln() < 0.5 * z * z + d - d * v - d * v.ln() {
                return d * v * boost;
            }
        }
    };
    (0..n)
        .map(|i| {
            let lambda = gamma(&mut rng, 0.2426) / 4.4135;
            let x_ = gamma(&mut rng, 0.7929);
            let p = x_ / (x_ + gamma(&mut rng, 2.4258));
            let t_big = 27.0 + 12.0 * rng.r#gen::<f64>();
            let (mut t, mut x, mut last) = (0.0, 0.0, 0.0);
            loop {
                t += -rng.r#gen::<f64>().max(1e-300).ln() / lambda.max(1e-12);
                if t > t_big {
                    break;
                }
                x += 1.0;
                last = t;
                if rng.r#gen::<f64>() < p {
                    break;
                }
            }
            CustomerRfm {
                id: i.to_string(),
                frequency: x,
                recency: last,
                t: t_big,
                monetary: 0.0,
            }
        })
        .collect()
}

fn churn_matrix(n: usize, d: usize, seed: u64) -> (Array2<f64>, Vec<bool>, Vec<FeatureText>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, d), |_| rng.r#gen::<f64>() * 2.0 - 1.0);
    let y = (0..n)
        .map(|i| {
            let z = 2.0 * x[[i, 0]] - 1.5 * x[[i, 1]] + x[[i, 2]] * x[[i, 3]] - 1.0;
            rng.r#gen::<f64>() < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    let texts = (0..d)
        .map(|j| FeatureText::new(&format!("f{j}"), "high", "low"))
        .collect();
    (x, y, texts)
}

fn segment_inputs(n: usize, seed: u64) -> Vec<SegmentInput> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let g = (i % 4) as f64;
            SegmentInput {
                recency_days: (10.0 + 100.0 * g) * (0.5 + rng.r#gen::<f64>()),
                frequency: (20.0 / (1.0 + g)) * (0.5 + rng.r#gen::<f64>()),
                monetary: (2000.0 / (1.0 + g * g)) * (0.5 + rng.r#gen::<f64>()),
                engagement: (10.0 / (1.0 + g)) * rng.r#gen::<f64>(),
                sentiment: rng.r#gen::<f64>() * 2.0 - 1.0,
            }
        })
        .collect()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

/// A shop of `n` customers over `days` days: logins, orders with items, subscriptions,
/// tickets and chat, with some customers turning unhappy and leaving.
fn shop(n: usize, days: i64, seed: u64) -> TrainingInput {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let products = [
        "tea", "mug", "kettle", "biscuits", "honey", "filter", "cups", "spoon",
    ];
    let customers = (0..n as u64)
        .map(|id| {
            let start = rng.gen_range(0..days / 2);
            let at = |d: i64| t0() + Duration::days(d) + Duration::hours(9);
            let customer = Customer {
                id: CustomerId(id),
                name: String::new(),
                email: None,
                language: Language::En,
                plan: Plan::None,
                created: at(start),
                consent: Consent::default(),
                is_lead: false,
                erased: false,
                attributes: Default::default(),
            };
            let rate: f64 = rng.gen_range(0.01..0.08);
            let unhappy = (rng.r#gen::<f64>() < 0.3).then(|| rng.gen_range(start..days));
            let subscribed = rng.r#gen::<f64>() < 0.4;
            let mut events = Vec::new();
            let mut interactions = Vec::new();
            let ev = |d: i64, kind: EventKind| Event {
                customer: CustomerId(id),
                at: at(d),
                kind,
            };
            if subscribed {
                events.push(ev(
                    start,
                    EventKind::SubscriptionStart { plan: Plan::Basic },
                ));
            }
            for d in start..days {
                let sad = unhappy.is_some_and(|u| d >= u);
                let r = if sad { rate * 0.2 } else { rate };
                if rng.r#gen::<f64>() < r {
                    events.push(ev(d, EventKind::Login));
                }
                if rng.r#gen::<f64>() < r * 0.4 {
                    let items = (0..rng.gen_range(1..4))
                        .map(|_| OrderItem {
                            product: products[rng.gen_range(0..products.len())].into(),
                            quantity: 1,
                            unit_price: 9.0,
                        })
                        .collect();
                    events.push(ev(
                        d,
                        EventKind::Purchase {
                            order_id: format!("{id}-{d}"),
                            amount: rng.gen_range(10.0..90.0),
                            items,
                            status: OrderStatus::Delivered,
                        },
                    ));
                }
                if unhappy == Some(d) {
                    events.push(ev(
                        d,
                        EventKind::TicketOpened {
                            ticket: id,
                            reason: String::new(),
                        },
                    ));
                    interactions.push(Interaction {
                        customer: CustomerId(id),
                        channel: Channel::Telegram,
                        chat: id.to_string(),
                        direction: Direction::Inbound,
                        at: at(d),
                        text: None,
                        intent: None,
                        confidence: None,
                        sentiment: Some(-0.7),
                        ticket: Some(id),
                    });
                }
                if sad && subscribed && rng.r#gen::<f64>() < 0.01 {
                    events.push(ev(d, EventKind::SubscriptionCancel { reason: None }));
                    break;
                }
            }
            CustomerHistory {
                customer,
                events,
                interactions,
            }
        })
        .collect();
    TrainingInput { customers }
}

/// Eval reports on the real data in `CRMBOT_DATA`, as text and JSON.
fn real_data_reports(dir: &Path) {
    fn show<T: std::fmt::Display + serde::Serialize, E: std::fmt::Display>(
        what: &str,
        r: Result<T, E>,
    ) {
        match r {
            Ok(r) => println!(
                "{r}\njson: {}\n",
                serde_json::to_string(&r).unwrap_or_default()
            ),
            Err(e) => println!("{what}: {e}\n"),
        }
    }
    let end = NaiveDate::from_ymd_opt(1997, 9, 30);
    show(
        "clv",
        eval_clv(&dir.join("clv/cdnow_sample_transactions.csv"), end),
    );
    show("clv", eval_clv(&dir.join("clv/CDNOW_sample.txt"), end));
    let summary = dir.join("clv/cdnow_customers_summary.csv");
    match std::fs::File::open(&summary).map(|f| parse_rfm_summary(f, &summary)) {
        Ok(Ok(rfm)) => {
            let t = std::time::Instant::now();
            let fit = BgNbd::fit(&rfm);
            println!(
                "BG/NBD on {}: {fit:?} in {:?}\n",
                summary.display(),
                t.elapsed()
            );
        }
        Ok(Err(e)) => println!("summary: {e}"),
        Err(e) => println!("summary: {e}"),
    }
    show(
        "rules",
        eval_rules(&dir.join("baskets/groceries.csv"), 0.001, 0.5),
    );
    show(
        "churn",
        eval_churn(
            &dir.join("churn/telco_churn.csv"),
            "Churn",
            Some("Yes"),
            &["customerID".to_string()],
        ),
    );
    show(
        "segments",
        eval_segments(&dir.join("clv/cdnow_sample_transactions.csv")),
    );
}

fn benches(c: &mut Criterion) {
    if let Ok(dir) = std::env::var("CRMBOT_DATA") {
        real_data_reports(Path::new(&dir));
        if std::env::var_os("CRMBOT_DATA_ONLY").is_some() {
            return;
        }
    }
    let rfm = bgnbd_sample(2357, 1);
    c.bench_function("bgnbd_fit_2357_customers", |b| {
        b.iter(|| BgNbd::fit(black_box(&rfm)).unwrap())
    });

    let mut slow = c.benchmark_group("large");
    slow.sample_size(10)
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(30));

    let (x, y, texts) = churn_matrix(100_000, 30, 2);
    slow.bench_function("churn_train_100000x30", |b| {
        b.iter(|| {
            ChurnModel::fit(
                black_box(&x),
                black_box(&y),
                texts.clone(),
                &ChurnSettings::default(),
            )
            .unwrap()
        })
    });

    let seg = segment_inputs(100_000, 3);
    slow.bench_function("segments_k_search_100000", |b| {
        b.iter(|| SegmentModel::fit(black_box(&seg), &SegmentSettings::default()).unwrap())
    });

    let days = 365;
    let now = t0() + Duration::days(days);
    let models = train_all(&shop(5_000, days, 4), now, &ModelSettings::default()).unwrap();
    let big = shop(100_000, days, 5);
    slow.bench_function("score_all_100000", |b| {
        b.iter(|| score_all(&models, black_box(&big), now))
    });

    let scores = score_all(&models, &big, now);
    slow.bench_function("rank_at_risk_100000", |b| {
        b.iter(|| rank_at_risk(black_box(&scores), 100).len())
    });
    slow.finish();
}

criterion_group!(models, benches);
criterion_main!(models);
