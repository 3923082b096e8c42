//! What staff ask about the base: who is at risk today and why, segment profiles, KPIs with
//! their change against the previous period, and the data behind the charts. Reads scores,
//! events and interactions from the store; pure formatting helpers render them as text.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::book::{self, BookSettings};
use crate::charts::{self, ChartError, Point};
use crate::domain::{CustomerId, Direction, TicketState};
use crate::models::kpi::{KpiInput, PeriodKpis, TicketTimes, period_kpis};
use crate::models::lifecycle::Stage;
use crate::models::pipeline::{CustomerScore, rank_at_risk};
use crate::models::risk::RiskSettings;
use crate::store::{Store, StoreError};
use crate::training;

/// One line of "who is at risk today".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRiskLine {
    pub id: CustomerId,
    pub name: String,
    pub churn_probability: f64,
    /// Change since yesterday's score, when one was recorded.
    pub change_since_yesterday: Option<f64>,
    pub clv: Option<f64>,
    pub expected_loss: f64,
    pub segment: Option<String>,
    pub stage: String,
    pub reasons: Vec<String>,
    pub last_contact: Option<DateTime<Utc>>,
    /// The staff member holding the customer's open ticket, or the CRM's account owner.
    pub owner: Option<String>,
    pub suggested_action: String,
}

/// Which at-risk customers a list is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AtRiskFilter<'a> {
    /// Only customers of this segment (a prefix of its name is enough).
    pub segment: Option<&'a str>,
    /// Only customers this account manager owns.
    pub owner: Option<&'a str>,
}

/// "Who is at risk": how many customers are at risk (by the one definition in
/// [`crate::models::risk`]), and the ones with the most value at stake.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRiskReport {
    /// The at-risk threshold on the churn probability.
    pub threshold: f64,
    /// Customers at risk (of the filter), listed or not.
    pub at_risk: usize,
    /// The top of them by expected loss.
    pub customers: Vec<AtRiskLine>,
}

fn segment_matches(have: Option<&str>, want: Option<&str>) -> bool {
    want.is_none_or(|want| {
        have.is_some_and(|have| {
            have.eq_ignore_ascii_case(want) || have.to_lowercase().starts_with(&want.to_lowercase())
        })
    })
}

/// Customers at risk ranked by expected loss, optionally of one segment or owner.
pub fn at_risk(
    store: &Store,
    now: DateTime<Utc>,
    top: usize,
    segment: Option<&str>,
) -> Result<Vec<AtRiskLine>, StoreError> {
    let filter = AtRiskFilter {
        segment,
        owner: None,
    };
    let views = Views::default();
    Ok(at_risk_report(store, now, top, filter, &views)?.customers)
}

/// The settings every staff view reads: the one at-risk threshold and the owner rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Views {
    pub risk: RiskSettings,
    pub book: BookSettings,
}

impl Views {
    pub fn of(settings: &crate::config::Settings) -> Views {
        Views {
            risk: settings.models.risk.clone(),
            book: settings.book.clone(),
        }
    }
}

/// The at-risk count and list (see [`AtRiskReport`]).
pub fn at_risk_report(
    store: &Store,
    now: DateTime<Utc>,
    top: usize,
    filter: AtRiskFilter<'_>,
    views: &Views,
) -> Result<AtRiskReport, StoreError> {
    let mut scores: Vec<CustomerScore> = training::stored_scores(store)?
        .into_iter()
        .filter(|s| s.churn_alert && segment_matches(s.segment.as_deref(), filter.segment))
        .collect();
    if let Some(owner) = filter.owner {
        let mut mine = Vec::with_capacity(scores.len());
        for s in scores {
            if let Some(c) = store.customer(s.customer)?
                && book::owner(&c, Some(&s), &views.book)
                    .is_some_and(|o| o.eq_ignore_ascii_case(owner))
            {
                mine.push(s);
            }
        }
        scores = mine;
    }
    let total = scores.len();
    let ranked = rank_at_risk(&scores, top);
    let yesterday = now.date_naive() - Duration::days(1);
    let open_tickets = store.tickets(None)?;
    let mut out = Vec::with_capacity(ranked.len());
    for s in ranked {
        let Some(customer) = store.customer(s.customer)? else {
            continue;
        };
        let p = s.churn_probability.unwrap_or(0.0);
        let before = store.daily_score_on_or_before(s.customer, yesterday)?;
        let last_contact = store
            .recent_interactions_of(s.customer, 1)?
            .first()
            .map(|i| i.at);
        let owner = book::owner(&customer, Some(s), &views.book).or_else(|| {
            open_tickets
                .iter()
                .rev()
                .find(|t| t.customer == s.customer && t.state != TicketState::Resolved)
                .and_then(|t| t.assignee.clone())
        });
        out.push(AtRiskLine {
            id: s.customer,
            name: customer.name,
            churn_probability: p,
            change_since_yesterday: before.map(|b| p - b),
            clv: s.clv,
            expected_loss: s.expected_loss,
            segment: s.segment.clone(),
            stage: s.stage.to_string(),
            reasons: s.reasons.iter().take(3).map(|r| r.text.clone()).collect(),
            last_contact,
            owner,
            suggested_action: s.suggested_action.clone(),
        });
    }
    Ok(AtRiskReport {
        threshold: views.risk.at_risk_probability,
        at_risk: total,
        customers: out,
    })
}

/// The at-risk report as text for a chat or terminal.
pub fn render_at_risk_report(report: &AtRiskReport) -> String {
    let rule = format!("churn probability ≥ {:.0}%", report.threshold * 100.0);
    if report.customers.is_empty() {
        return format!("Nobody is at risk right now ({rule}).");
    }
    let head = format!(
        "Customers at risk today: {} ({rule}); {} with the most value at stake:\n",
        report.at_risk,
        if report.customers.len() < report.at_risk {
            format!("the top {}", report.customers.len())
        } else {
            "all of them".to_owned()
        }
    );
    format!("{head}{}", render_lines(&report.customers))
}

/// The at-risk list as text for a chat or terminal.
pub fn render_at_risk(list: &[AtRiskLine]) -> String {
    if list.is_empty() {
        return "Nobody is flagged at risk right now.".into();
    }
    format!(
        "Customers at risk today ({}), most value at stake first:\n{}",
        list.len(),
        render_lines(list)
    )
}

fn render_lines(list: &[AtRiskLine]) -> String {
    let mut text = String::new();
    for (i, l) in list.iter().enumerate() {
        text.push_str(&format!(
            "{}. {} (#{}) — churn {:.0}%{} · CLV {} · {} · {}\n   why: {}\n   last contact {} · owner {} · → {}\n",
            i + 1,
            if l.name.is_empty() { "(no name)" } else { &l.name },
            l.id,
            l.churn_probability * 100.0,
            l.change_since_yesterday
                .map(|c| format!(" ({:+.0} pts since yesterday)", c * 100.0))
                .unwrap_or_default(),
            l.clv.map(|v| format!("${v:.0}")).unwrap_or_else(|| "-".into()),
            l.segment.as_deref().unwrap_or("no segment"),
            l.stage,
            if l.reasons.is_empty() { "-".to_owned() } else { l.reasons.join("; ") },
            l.last_contact
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "never".into()),
            l.owner.as_deref().unwrap_or("nobody"),
            l.suggested_action
        ));
    }
    text.trim_end().to_owned()
}

/// One segment's size and profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentProfile {
    pub segment: String,
    pub customers: usize,
    pub mean_churn_probability: f64,
    pub mean_clv: f64,
    pub at_risk: usize,
}

/// Segment sizes and profiles from the stored scores.
pub fn segments(store: &Store) -> Result<Vec<SegmentProfile>, StoreError> {
    let mut groups: BTreeMap<String, (usize, f64, f64, usize)> = BTreeMap::new();
    for s in training::stored_scores(store)? {
        let Some(segment) = s.segment else { continue };
        let g = groups.entry(segment).or_default();
        g.0 += 1;
        g.1 += s.churn_probability.unwrap_or(0.0);
        g.2 += s.clv.unwrap_or(0.0);
        g.3 += usize::from(s.churn_alert);
    }
    let mut out: Vec<SegmentProfile> = groups
        .into_iter()
        .map(|(segment, (n, p, clv, risk))| SegmentProfile {
            segment,
            customers: n,
            mean_churn_probability: p / n.max(1) as f64,
            mean_clv: clv / n.max(1) as f64,
            at_risk: risk,
        })
        .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.customers));
    Ok(out)
}

pub fn render_segments(list: &[SegmentProfile]) -> String {
    if list.is_empty() {
        return "No segments yet: the models have not been trained (crmbot train).".into();
    }
    let total: usize = list.iter().map(|s| s.customers).sum();
    let mut text = format!("Segments ({total} customers):\n");
    for s in list {
        text.push_str(&format!(
            "• {} — {} customers ({:.0}%), mean churn {:.0}%, mean CLV ${:.0}, {} at risk\n",
            s.segment,
            s.customers,
            100.0 * s.customers as f64 / total.max(1) as f64,
            s.mean_churn_probability * 100.0,
            s.mean_clv,
            s.at_risk
        ));
    }
    text.trim_end().to_owned()
}

/// A figure for this period and the previous one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub name: String,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// How to show it: `pct` (0..1 as percent), `num`, `money`, `score`.
    pub unit: &'static str,
    /// What exactly is counted (see [`crate::models::kpi`]).
    pub definition: &'static str,
}

/// The KPI report of a period ending now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    pub period_days: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub kpis: Vec<Kpi>,
}

/// Parses `7d`, `30d`, `90d`, `week`, `month`, `quarter` (default 30 days).
pub fn parse_period(text: Option<&str>) -> Result<i64, String> {
    match text.map(|t| t.trim().to_lowercase()).as_deref() {
        None | Some("") | Some("month") => Ok(30),
        Some("week") => Ok(7),
        Some("quarter") => Ok(90),
        Some(t) => t
            .strip_suffix('d')
            .unwrap_or(t)
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| {
                format!("expected a period like 7d, 30d, week, month or quarter, got {t:?}")
            }),
    }
}

/// Every customer's events, in customer order.
type HistoryByCustomer = Vec<(CustomerId, Vec<crate::domain::Event>)>;

/// Everything the KPIs read, from the store.
fn kpi_data(store: &Store) -> Result<(HistoryByCustomer, Vec<TicketTimes>), StoreError> {
    let mut customers = Vec::with_capacity(store.customer_count());
    for customer in store.customers() {
        let customer = customer?;
        if !customer.is_lead {
            customers.push((customer.id, store.events_of(customer.id)?));
        }
    }
    let tickets = store
        .tickets(None)?
        .iter()
        .map(|t| TicketTimes {
            opened: t.opened,
            sla_due: t.sla_due,
            answered: match (t.claimed_at, t.resolved_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        })
        .collect();
    Ok((customers, tickets))
}

/// KPIs of the last `days` against the `days` before (definitions in
/// [`crate::models::kpi`]).
pub fn kpis(store: &Store, now: DateTime<Utc>, days: i64) -> Result<KpiReport, StoreError> {
    let period = Duration::days(days);
    let start = now - period;
    let (customers, tickets) = kpi_data(store)?;
    let mut sentiments = Vec::new();
    for i in store.interactions_since(start - period) {
        let i = i?;
        if let (Direction::Inbound, Some(s)) = (i.direction, i.sentiment) {
            sentiments.push((i.at, s));
        }
    }
    let input = KpiInput {
        customers: &customers,
        tickets: &tickets,
        sentiments: &sentiments,
        now,
    };
    let cur = period_kpis(&input, start, now);
    let prev = period_kpis(&input, start - period, start);
    let open_now = store
        .tickets(None)?
        .iter()
        .filter(|t| t.state != TicketState::Resolved)
        .count() as f64;
    let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
    let pair = |f: &dyn Fn(&PeriodKpis) -> Option<f64>| (f(&cur), f(&prev));
    let kpi = |name: &str, (value, previous): (Option<f64>, Option<f64>), unit, definition| Kpi {
        name: name.to_owned(),
        value,
        previous,
        unit,
        definition,
    };
    let kpis = vec![
        kpi(
            "churn rate (subscribers)",
            pair(&|k| k.churn_rate),
            "pct",
            "subscribers at the period start without a running subscription at its end",
        ),
        kpi(
            "customer retention",
            pair(&|k| k.customer_retention),
            "pct",
            "customers active (login or purchase) in the period before and again in this one",
        ),
        kpi(
            "gross revenue retention",
            pair(&|k| k.gross_revenue_retention),
            "pct",
            "MRR kept by the subscribers at the period start, upgrades not counted (≤ 100%)",
        ),
        kpi(
            "net revenue retention",
            pair(&|k| k.net_revenue_retention),
            "pct",
            "MRR at the period end of the subscribers at its start, over their MRR at the start",
        ),
        kpi(
            "MRR at period end",
            pair(&|k| Some(k.mrr_end)),
            "money",
            "monthly recurring revenue of the running plans",
        ),
        kpi(
            "MRR from new subscribers",
            pair(&|k| Some(k.mrr_end - k.cohort_mrr_end)),
            "money",
            "MRR at the period end of customers not subscribed at its start",
        ),
        kpi(
            "active customers",
            pair(&|k| Some(k.active_customers as f64)),
            "num",
            "customers with a login or purchase in the period",
        ),
        kpi(
            "revenue",
            pair(&|k| Some(k.revenue)),
            "money",
            "purchases and recurring payments in the period",
        ),
        kpi(
            "CSAT (1-5)",
            pair(&|k| k.csat),
            "score",
            "mean CSAT answer in the period",
        ),
        kpi(
            "NPS",
            pair(&|k| k.nps),
            "score",
            "% promoters (9-10) minus % detractors (0-6) in the period",
        ),
        kpi(
            "mean message sentiment",
            pair(&|k| k.sentiment),
            "score",
            "mean sentiment (-1 to 1) of customers' messages in the period",
        ),
        kpi(
            "escalations opened",
            pair(&|k| Some(k.tickets_opened as f64)),
            "num",
            "support tickets opened in the period",
        ),
        kpi(
            "escalations answered within SLA",
            pair(&|k| k.sla_met_rate),
            "pct",
            "of the period's tickets answered or already due, the share answered by the due time",
        ),
        kpi(
            "open escalations now",
            (Some(open_now), None),
            "num",
            "tickets not resolved at the report time",
        ),
        kpi(
            "offer acceptance",
            (
                ratio(cur.offers_accepted, cur.offers_shown),
                ratio(prev.offers_accepted, prev.offers_shown),
            ),
            "pct",
            "offers accepted over offers shown in the period",
        ),
    ];
    Ok(KpiReport {
        period_days: days,
        from: start,
        to: now,
        kpis,
    })
}

pub fn render_kpis(report: &KpiReport) -> String {
    let show = |v: Option<f64>, unit: &str| match (v, unit) {
        (None, _) => "-".to_owned(),
        (Some(v), "pct") => format!("{:.1}%", v * 100.0),
        (Some(v), "money") => format!("${v:.0}"),
        (Some(v), "num") => format!("{v:.0}"),
        (Some(v), _) => format!("{v:.2}"),
    };
    let mut text = format!(
        "KPIs for the last {} days ({} to {}), change against the {} days before:\n",
        report.period_days,
        report.from.format("%Y-%m-%d"),
        report.to.format("%Y-%m-%d"),
        report.period_days
    );
    for k in &report.kpis {
        let change = match (k.value, k.previous) {
            (Some(v), Some(p)) if k.unit == "pct" => format!(" ({:+.1} pts)", (v - p) * 100.0),
            (Some(v), Some(p)) if k.unit == "score" => format!(" ({:+.2})", v - p),
            (Some(v), Some(p)) => format!(" ({:+.0})", v - p),
            _ => String::new(),
        };
        text.push_str(&format!(
            "• {}: {}{}\n",
            k.name,
            show(k.value, k.unit),
            change
        ));
    }
    text.trim_end().to_owned()
}

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Segments,
    Risk,
    Funnel,
    Sentiment,
}

impl std::str::FromStr for ChartKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "segments" => Ok(ChartKind::Segments),
            "risk" => Ok(ChartKind::Risk),
            "funnel" => Ok(ChartKind::Funnel),
            "sentiment" => Ok(ChartKind::Sentiment),
            other => Err(format!(
                "unknown chart {other:?}: expected segments, risk, funnel or sentiment"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// Customers per lifecycle stage, every stage present, in funnel order (the bars of the
/// funnel chart; the `at_risk` bar is the at-risk count of every other view).
pub fn stage_counts(scores: &[CustomerScore]) -> Vec<(Stage, usize)> {
    let mut counts: BTreeMap<Stage, usize> = Stage::ALL.iter().map(|s| (*s, 0)).collect();
    for s in scores {
        *counts.entry(s.stage).or_default() += 1;
    }
    Stage::ALL.iter().map(|s| (*s, counts[s])).collect()
}

/// Renders a chart of the base as PNG, with a caption.
pub fn chart(
    store: &Store,
    kind: ChartKind,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, String), InsightError> {
    let scores = training::stored_scores(store)?;
    Ok(match kind {
        ChartKind::Segments => {
            let mut names: Vec<String> = scores.iter().filter_map(|s| s.segment.clone()).collect();
            names.sort();
            names.dedup();
            let points: Vec<Point> = scores
                .iter()
                .filter_map(|s| {
                    let group = names.iter().position(|n| Some(n) == s.segment.as_ref())?;
                    Some(Point {
                        x: s.churn_probability.unwrap_or(0.0),
                        y: (1.0 + s.clv.unwrap_or(0.0)).log10(),
                        group,
                    })
                })
                .collect();
            let png = charts::scatter(
                "Customer segments",
                "churn probability",
                "lifetime value (log10 of 1 + $)",
                &names,
                &points,
            )?;
            (
                png,
                format!(
                    "Segments of {} customers by churn risk and value",
                    points.len()
                ),
            )
        }
        ChartKind::Risk => {
            let values: Vec<f64> = scores.iter().filter_map(|s| s.churn_probability).collect();
            let png =
                charts::histogram("Churn risk distribution", "churn probability", &values, 20)?;
            (
                png,
                format!("Churn probability of {} customers", values.len()),
            )
        }
        ChartKind::Funnel => {
            let counts = stage_counts(&scores);
            let at_risk = counts
                .iter()
                .find(|(s, _)| *s == Stage::AtRisk)
                .map_or(0, |c| c.1);
            let bars: Vec<(String, f64)> = counts
                .iter()
                .map(|(s, n)| (s.as_str().replace('_', " "), *n as f64))
                .collect();
            (
                charts::bars("Lifecycle funnel", "customers", &bars)?,
                format!("Customers per lifecycle stage ({at_risk} at risk)"),
            )
        }
        ChartKind::Sentiment => {
            let mut days: BTreeMap<NaiveDate, (f64, f64)> = BTreeMap::new();
            for i in store.interactions_since(now - Duration::days(90)) {
                let i = i?;
                if let (Direction::Inbound, Some(s)) = (i.direction, i.sentiment) {
                    let d = days.entry(i.at.date_naive()).or_default();
                    d.0 += f64::from(s);
                    d.1 += 1.0;
                }
            }
            let points: Vec<(NaiveDate, f64)> =
                days.into_iter().map(|(d, (sum, n))| (d, sum / n)).collect();
            (
                charts::line(
                    "Customer sentiment, daily mean",
                    "mean sentiment",
                    &points,
                    (-1.0, 1.0),
                )?,
                "Mean sentiment of customer messages per day, last 90 days".into(),
            )
        }
    })
}

/// Conversations of the last `days` days (and the day before, so that none is cut in
/// two), with how each ended.
fn recent_conversations(
    store: &Store,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<crate::models::resolution::Conversation>, StoreError> {
    let since =
        now - Duration::days(days) - Duration::hours(crate::models::resolution::QUIET_HOURS);
    let log = store
        .interactions_since(since)
        .collect::<Result<Vec<_>, _>>()?;
    let language_of = |text: &str| {
        crate::nlu::text::detect_language(
            &crate::nlu::text::normalize(text),
            crate::domain::Language::En,
        )
    };
    Ok(crate::models::resolution::conversations(
        &log,
        now,
        &language_of,
    ))
}

/// Resolution of the conversations started in the last `days` days: resolved by the bot
/// (confirmed, or left without asking for a person within a day), handed off, unanswered,
/// by language and topic, and the share of resolved tickets customers reopened.
pub fn resolution(
    store: &Store,
    now: DateTime<Utc>,
    days: i64,
) -> Result<crate::models::resolution::ResolutionReport, StoreError> {
    let since = now - Duration::days(days);
    let conversations = recent_conversations(store, now, days)?;
    let audit = store.audit_since(since)?;
    let count = |action: &str| audit.iter().filter(|a| a.action == action).count() as u64;
    Ok(crate::models::resolution::report(
        &conversations,
        since,
        now,
        count("ticket.resolve"),
        count("ticket.reopen"),
    ))
}

/// The questions the bot could not answer in the last `days` days, grouped by the help
/// article nearest to them (the one to extend, or the topic of the one to write).
pub fn gaps(
    store: &Store,
    help: &crate::knowledge::HelpCentre,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<crate::models::resolution::Gap>, StoreError> {
    let conversations = recent_conversations(store, now, days)?;
    let topic_of = |text: &str| {
        let normalized = crate::nlu::text::normalize(text);
        let lang = crate::nlu::text::detect_language(&normalized, crate::domain::Language::En);
        help.search(&normalized, lang)
            .ranked
            .first()
            // Below half the suggestion threshold an article is no real neighbour.
            .filter(|(_, score)| *score >= help.settings().suggest_threshold / 2.0)
            .map_or_else(
                || "(no article near it)".to_owned(),
                |(a, _)| a.title.clone(),
            )
    };
    Ok(crate::models::resolution::gaps(
        &conversations,
        now - Duration::days(days),
        &topic_of,
    ))
}

fn conversations(n: u64) -> String {
    if n == 1 {
        "1 conversation".to_owned()
    } else {
        format!("{n} conversations")
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// The resolution report as text for staff.
pub fn render_resolution(report: &crate::models::resolution::ResolutionReport) -> String {
    let o = &report.overall;
    let mut text = format!(
        "Resolution of conversations started {} to {}:\n\
         {}: {} resolved by the bot ({} said it helped, {} left without asking for a person), \
         {} handed to a person, {} unanswered{}.\n",
        report.since.format("%Y-%m-%d"),
        report.until.format("%Y-%m-%d"),
        conversations(o.conversations),
        percent(o.resolution_rate),
        o.confirmed,
        o.resolved_by_bot - o.confirmed,
        percent(o.handoff_rate),
        o.unanswered,
        if o.still_open > 0 {
            format!("; {} still open (quiet less than a day)", o.still_open)
        } else {
            String::new()
        },
    );
    text.push_str(&format!(
        "Tickets reopened by the customer: {} of {} resolved ({}).\n",
        report.tickets_reopened,
        report.tickets_resolved,
        percent(report.reopen_rate)
    ));
    for (lang, row) in &report.by_language {
        text.push_str(&format!(
            "  {lang}: {}, {} resolved, {} handed off\n",
            conversations(row.conversations),
            percent(row.resolution_rate),
            percent(row.handoff_rate)
        ));
    }
    let mut topics: Vec<_> = report.by_topic.iter().collect();
    topics.sort_by(|a, b| b.1.conversations.cmp(&a.1.conversations).then(a.0.cmp(b.0)));
    text.push_str("By topic (most conversations first):\n");
    for (topic, row) in topics.into_iter().take(15) {
        text.push_str(&format!(
            "  {topic}: {}, {} resolved, {} handed off, {} unanswered\n",
            conversations(row.conversations),
            percent(row.resolution_rate),
            percent(row.handoff_rate),
            row.unanswered
        ));
    }
    text.trim_end().to_owned()
}

/// The unanswered questions as text for staff.
pub fn render_gaps(gaps: &[crate::models::resolution::Gap], days: i64) -> String {
    if gaps.is_empty() {
        return format!("No unanswered questions in the last {days} days.");
    }
    let total: u64 = gaps.iter().map(|g| g.count).sum();
    let mut text = format!(
        "Unanswered questions in the last {days} days: {total}, by the nearest help article:\n"
    );
    for gap in gaps.iter().take(10) {
        text.push_str(&format!("  {} ({}):", gap.topic, gap.count));
        for example in &gap.examples {
            let short: String = example.chars().take(80).collect();
            text.push_str(&format!(" \"{short}\""));
        }
        text.push('\n');
    }
    text.trim_end().to_owned()
}
