//! Staff questions in words, English and Chinese, answered with the base's or the
//! customer's figures: why a customer is at risk, what to do about them, how many
//! customers churned in a period (with the period before), revenue at risk by segment.
//! [`parse`] is pure; the answers read the store through the engine.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use regex::Regex;

use super::{Engine, EngineError};
use crate::domain::Language;
use crate::insights::Views;
use crate::models::kpi::{KpiInput, period_kpis};
use crate::models::pipeline::CustomerScore;

/// A calendar period staff ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedPeriod {
    LastMonth,
    ThisMonth,
    ThisQuarter,
    LastQuarter,
}

/// A question understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffQuestion {
    WhyAtRisk(String),
    WhatToDo(String),
    Churned(AskedPeriod),
    RevenueAtRisk,
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("a valid pattern")
}

static WHY: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        re(
            r"why (?:is|are) (?:customer )?#?([\p{L}\d]+)(?:'s)? (?:at risk|risk|so risky|likely to (?:churn|leave))",
        ),
        re(
            r"(?:客户)?#?(\d+)\s*(?:的)?(?:风险|流失(?:风险|概率)?)\s*(?:为什么|为何)|为什么\s*(?:客户)?#?(\d+)",
        ),
    ]
});
static TODO: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        re(r"what (?:should|can|do) (?:i|we) do (?:about|with|for) (?:customer )?#?([\p{L}\d]+)"),
        re(r"(?:客户)?#?(\d+)\s*(?:该)?怎么办"),
    ]
});
static CHURNED: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        re(r"how many (?:customers |subscribers )?(?:have )?(?:churned|left|cancelled|canceled)"),
        re(r"流失了?多少|多少(?:个)?(?:客户|用户)?流失"),
    ]
});
static AT_RISK_REVENUE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:revenue|value|money) at risk|风险(?:收入|金额)|(?:收入|金额).*风险"));

fn period_in(text: &str) -> AskedPeriod {
    if text.contains("this quarter") || text.contains("本季度") || text.contains("这个季度")
    {
        AskedPeriod::ThisQuarter
    } else if text.contains("last quarter") || text.contains("上季度") || text.contains("上个季度")
    {
        AskedPeriod::LastQuarter
    } else if text.contains("this month") || text.contains("本月") || text.contains("这个月") {
        AskedPeriod::ThisMonth
    } else {
        AskedPeriod::LastMonth
    }
}

fn first_capture(res: &[Regex], text: &str) -> Option<String> {
    res.iter().find_map(|r| {
        r.captures(text).and_then(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().to_owned())
        })
    })
}

/// Reads a staff question from normalized text; `None` when it is not one of these.
pub fn parse(text: &str) -> Option<StaffQuestion> {
    if let Some(who) = first_capture(&*WHY, text) {
        return Some(StaffQuestion::WhyAtRisk(who));
    }
    if let Some(who) = first_capture(&*TODO, text) {
        return Some(StaffQuestion::WhatToDo(who));
    }
    if CHURNED.iter().any(|r| r.is_match(text)) {
        return Some(StaffQuestion::Churned(period_in(text)));
    }
    AT_RISK_REVENUE
        .is_match(text)
        .then_some(StaffQuestion::RevenueAtRisk)
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn quarter_start(d: NaiveDate) -> NaiveDate {
    let m = (d.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(d.year(), m, 1).unwrap_or(d)
}

fn back_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(chrono::Months::new(n)).unwrap_or(d)
}

/// The period asked about and the one before it, as `[start, end)` pairs.
pub fn windows(p: AskedPeriod, now: DateTime<Utc>) -> [(DateTime<Utc>, DateTime<Utc>); 2] {
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc());
    let today = now.date_naive();
    let (start, end, len) = match p {
        AskedPeriod::LastMonth => {
            let end = month_start(today);
            (back_months(end, 1), at(end), 1)
        }
        AskedPeriod::ThisMonth => (month_start(today), now, 1),
        AskedPeriod::ThisQuarter => (quarter_start(today), now, 3),
        AskedPeriod::LastQuarter => {
            let end = quarter_start(today);
            (back_months(end, 3), at(end), 3)
        }
    };
    let before = back_months(start, len);
    [(at(start), end), (at(before), at(start))]
}

impl Engine {
    /// Answers a staff question in `lang`.
    pub(super) fn answer(
        &self,
        q: StaffQuestion,
        lang: Language,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        match q {
            StaffQuestion::WhyAtRisk(who) => self.why_at_risk(&who, lang, false),
            StaffQuestion::WhatToDo(who) => self.why_at_risk(&who, lang, true),
            StaffQuestion::Churned(p) => self.churned(p, lang, at),
            StaffQuestion::RevenueAtRisk => self.revenue_at_risk(lang),
        }
    }

    fn why_at_risk(&self, who: &str, lang: Language, todo: bool) -> Result<String, EngineError> {
        let zh = lang == Language::Zh;
        let found = self.find_customers(who)?;
        let c = match found.len() {
            0 if zh => return Ok(format!("找不到客户 {who}。")),
            0 => return Ok(format!("I can't find a customer {who:?}.")),
            1 => found.into_iter().next().expect("one"),
            _ => {
                let list: Vec<String> = found
                    .iter()
                    .map(|c| format!("{} (#{})", c.name, c.id))
                    .collect();
                return Ok(if zh {
                    format!("有多个客户匹配 {who}：{}。请用编号。", list.join("、"))
                } else {
                    format!(
                        "Several customers match {who:?}: {}. Ask with the number.",
                        list.join(", ")
                    )
                });
            }
        };
        let Some(s) = self.deps.store.score::<CustomerScore>(c.id)? else {
            return Ok(if zh {
                format!("客户 {} 还没有评分：请先训练模型（crmbot train）。", c.id)
            } else {
                format!(
                    "Customer {} has no score yet: train the models first (crmbot train).",
                    c.id
                )
            });
        };
        let views = Views::of(&self.deps.settings);
        let p = s.churn_probability.unwrap_or(0.0);
        let band = views.risk.band(p);
        let reasons: Vec<String> = s
            .reasons
            .iter()
            .map(|r| {
                let what = crate::models::features::feature_description(&r.feature).unwrap_or("");
                format!("{} ({what}: {:.0})", r.text, r.value)
            })
            .collect();
        let owner = crate::book::owner(&c, Some(&s), &views.book);
        let thr = views.risk.at_risk_probability * 100.0;
        Ok(if zh {
            format!(
                "客户 {}（#{}）：流失概率 {:.0}%（{}；{thr:.0}% 起为有风险），阶段 {}（{}），客户价值 ${:.0}，负责人 {}。\n原因：{}\n建议：{}",
                c.name,
                c.id,
                p * 100.0,
                match band {
                    crate::models::risk::RiskBand::AtRisk => "有风险",
                    crate::models::risk::RiskBand::Watch => "需关注",
                    crate::models::risk::RiskBand::Low => "低",
                },
                s.stage,
                s.stage_reason,
                s.clv.unwrap_or(0.0),
                owner.as_deref().unwrap_or("无"),
                if reasons.is_empty() {
                    "-".into()
                } else {
                    reasons.join("；")
                },
                s.suggested_action
            )
        } else {
            let head = if todo { "What to do about" } else { "Why" };
            format!(
                "{head} {} (#{}): churn probability {:.0}% ({band}; at risk from {thr:.0}%), stage {} ({}), CLV ${:.0}, owner {}.\nReasons: {}\nSuggested: {}",
                c.name,
                c.id,
                p * 100.0,
                s.stage,
                s.stage_reason,
                s.clv.unwrap_or(0.0),
                owner.as_deref().unwrap_or("nobody"),
                if reasons.is_empty() {
                    "-".into()
                } else {
                    reasons.join("; ")
                },
                s.suggested_action
            )
        })
    }

    fn churned(
        &self,
        p: AskedPeriod,
        lang: Language,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let store = &self.deps.store;
        let mut customers = Vec::new();
        for c in store.customers() {
            let c = c?;
            if !c.is_lead {
                customers.push((c.id, store.events_of(c.id)?));
            }
        }
        let input = KpiInput {
            customers: &customers,
            tickets: &[],
            sentiments: &[],
            now: at,
        };
        let [(s0, e0), (s1, e1)] = windows(p, at);
        let (cur, prev) = (period_kpis(&input, s0, e0), period_kpis(&input, s1, e1));
        let pct = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0));
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        let last = |t: DateTime<Utc>| day(t - Duration::seconds(1));
        Ok(if lang == Language::Zh {
            format!(
                "{} 至 {}：{} 位订阅客户中有 {} 位流失（{}）；之前的 {} 至 {}：{} 位中 {} 位（{}）。",
                day(s0),
                last(e0),
                cur.subscribers_at_start,
                cur.churned_subscribers,
                pct(cur.churn_rate),
                day(s1),
                last(e1),
                prev.subscribers_at_start,
                prev.churned_subscribers,
                pct(prev.churn_rate)
            )
        } else {
            format!(
                "{} to {}: {} of {} subscribers churned ({}); the period before, {} to {}: {} of {} ({}).",
                day(s0),
                last(e0),
                cur.churned_subscribers,
                cur.subscribers_at_start,
                pct(cur.churn_rate),
                day(s1),
                last(e1),
                prev.churned_subscribers,
                prev.subscribers_at_start,
                pct(prev.churn_rate)
            )
        })
    }

    fn revenue_at_risk(&self, lang: Language) -> Result<String, EngineError> {
        let scores = crate::training::stored_scores(&self.deps.store)?;
        let mut by: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        let mut total = 0.0;
        for s in scores.iter().filter(|s| s.churn_alert) {
            total += s.expected_loss;
            let e = by
                .entry(s.segment.clone().unwrap_or_else(|| "-".into()))
                .or_default();
            e.0 += 1;
            e.1 += s.expected_loss;
        }
        let mut parts: Vec<(String, (usize, f64))> = by.into_iter().collect();
        parts.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        let lines: Vec<String> = parts
            .iter()
            .map(|(seg, (n, v))| format!("• {seg}: ${v:.0} ({n})"))
            .collect();
        let n: usize = parts.iter().map(|p| p.1.0).sum();
        Ok(if lang == Language::Zh {
            format!(
                "有风险的价值（流失概率 × 客户价值）：${total:.0}，共 {n} 位客户。\n{}",
                lines.join("\n")
            )
        } else {
            format!(
                "Revenue at risk (churn probability × CLV): ${total:.0} across {n} customers at risk.\n{}",
                lines.join("\n")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn questions_in_both_languages() {
        assert_eq!(
            parse("why is 664 at risk?"),
            Some(StaffQuestion::WhyAtRisk("664".into()))
        );
        assert_eq!(
            parse("why is customer olivia at risk"),
            Some(StaffQuestion::WhyAtRisk("olivia".into()))
        );
        assert_eq!(
            parse("客户42的风险为什么高?"),
            Some(StaffQuestion::WhyAtRisk("42".into()))
        );
        assert_eq!(
            parse("what should i do about 42?"),
            Some(StaffQuestion::WhatToDo("42".into()))
        );
        assert_eq!(
            parse("how many customers churned last month?"),
            Some(StaffQuestion::Churned(AskedPeriod::LastMonth))
        );
        assert_eq!(
            parse("本季度流失了多少客户?"),
            Some(StaffQuestion::Churned(AskedPeriod::ThisQuarter))
        );
        assert_eq!(
            parse("revenue at risk by segment"),
            Some(StaffQuestion::RevenueAtRisk)
        );
        assert_eq!(parse("show customer 42"), None);
    }

    #[test]
    fn last_month_and_the_month_before() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        let [(a, b), (c, d)] = windows(AskedPeriod::LastMonth, now);
        let f = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        assert_eq!(
            (f(a), f(b), f(c), f(d)),
            (
                "2026-11-01".into(),
                "2026-12-01".into(),
                "2026-10-01".into(),
                "2026-11-01".into()
            )
        );
        let [(q, _), (pq, _)] = windows(AskedPeriod::ThisQuarter, now);
        assert_eq!((f(q), f(pq)), ("2026-10-01".into(), "2026-07-01".into()));
    }
}
