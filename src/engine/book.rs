//! The book of business in chat: `/mine` (my customers, at risk first, and my open tasks),
//! `/assign`, `/note`, `/task` (with a due day read from the text) and `/call` (a logged
//! call the churn model sees as contact). Notes, tasks and calls are customer events.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use super::{Engine, EngineError};
use crate::book::{self, OWNER_ATTRIBUTE};
use crate::domain::{Customer, Event, EventKind};
use crate::insights::{self, AtRiskFilter, Views};
use crate::models::pipeline::CustomerScore;

use super::staff::StaffActor;

/// When a task written as `text` is due: a weekday ("friday", "周五"), "tomorrow"/"明天",
/// "in N days", else tomorrow; at 09:00 UTC.
pub fn due_from_text(text: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let t = text.to_lowercase();
    let days = [
        (Weekday::Mon, ["monday", "周一"]),
        (Weekday::Tue, ["tuesday", "周二"]),
        (Weekday::Wed, ["wednesday", "周三"]),
        (Weekday::Thu, ["thursday", "周四"]),
        (Weekday::Fri, ["friday", "周五"]),
        (Weekday::Sat, ["saturday", "周六"]),
        (Weekday::Sun, ["sunday", "周日"]),
    ];
    let ahead = if let Some((day, _)) = days.iter().find(|(_, w)| w.iter().any(|w| t.contains(w))) {
        let diff = (i64::from(day.num_days_from_monday())
            - i64::from(now.weekday().num_days_from_monday()))
        .rem_euclid(7);
        if diff == 0 { 7 } else { diff }
    } else if let Some(n) = t
        .split("in ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<i64>().ok())
    {
        n.clamp(0, 365)
    } else {
        1
    };
    let day = (now + Duration::days(ahead)).date_naive();
    day.and_hms_opt(9, 0, 0).map_or(now, |d| d.and_utc())
}

impl Engine {
    fn book_customer(&self, query: &str) -> Result<Result<Customer, String>, EngineError> {
        let matches = self.find_customers(query)?;
        Ok(match matches.len() {
            0 => Err(format!("I can't find a customer {query:?}.")),
            1 => Ok(matches.into_iter().next().expect("one")),
            _ => Err(format!(
                "Several customers match {query:?}: {}. Use the number.",
                matches
                    .iter()
                    .map(|c| format!("{} (#{})", c.name, c.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        })
    }

    /// `/mine`: the actor's customers, at risk first, with their open tasks.
    pub(super) fn my_book(
        &self,
        actor: &StaffActor,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let store = &self.deps.store;
        let views = Views::of(&self.deps.settings);
        let (mut n, mut clv, mut tasks) = (0usize, 0.0, Vec::new());
        for c in store.customers() {
            let c = c?;
            let score: Option<CustomerScore> = store.score(c.id)?;
            if !book::owner(&c, score.as_ref(), &views.book)
                .is_some_and(|o| o.eq_ignore_ascii_case(&actor.name))
            {
                continue;
            }
            n += 1;
            clv += score.as_ref().and_then(|s| s.clv).unwrap_or(0.0);
            for e in store.events_of(c.id)? {
                if let EventKind::StaffTask { text, due, .. } = &e.kind
                    && *due + Duration::days(1) >= at
                {
                    tasks.push(format!(
                        "  {} · #{} {} — {text}",
                        due.format("%a %Y-%m-%d"),
                        c.id,
                        c.name
                    ));
                }
            }
        }
        if n == 0 {
            return Ok(format!(
                "You own no customers yet, {}. A manager assigns them with /assign CUSTOMER {}.",
                actor.name, actor.name
            ));
        }
        let filter = AtRiskFilter {
            segment: None,
            owner: Some(&actor.name),
        };
        let report = insights::at_risk_report(store, at, 10, filter, &views)?;
        let mut text = format!(
            "Your book, {}: {n} customers, lifetime value ${clv:.0}; {} at risk ({}).\n",
            actor.name,
            report.at_risk,
            views.risk.describe()
        );
        if !report.customers.is_empty() {
            text.push_str(&insights::render_at_risk_report(&report));
            text.push('\n');
        }
        if !tasks.is_empty() {
            tasks.sort();
            text.push_str(&format!(
                "Your open tasks ({}):\n{}\n",
                tasks.len(),
                tasks.join("\n")
            ));
        }
        Ok(text.trim_end().to_owned())
    }

    /// `/assign CUSTOMER STAFF`.
    pub(super) fn assign(
        &self,
        actor: &StaffActor,
        who: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let mut c = match self.book_customer(who)? {
            Ok(c) => c,
            Err(message) => return Ok(message),
        };
        let Some(member) = self
            .staff_directory()
            .into_iter()
            .find(|m| m.name.eq_ignore_ascii_case(owner))
        else {
            return Ok(format!("There is no staff member called {owner}."));
        };
        c.attributes
            .insert(OWNER_ATTRIBUTE.into(), member.name.clone());
        self.deps.store.put_customer(&c)?;
        self.audit(at, &actor.name, "customer.assign", c.id, &member.name)?;
        Ok(format!(
            "{} (#{}) is now in {}'s book.",
            c.name, c.id, member.name
        ))
    }

    async fn add_staff_event(
        &self,
        actor: &StaffActor,
        who: &str,
        kind: impl FnOnce(&Customer) -> EventKind,
        at: DateTime<Utc>,
    ) -> Result<Result<(Customer, EventKind), String>, EngineError> {
        let c = match self.book_customer(who)? {
            Ok(c) => c,
            Err(message) => return Ok(Err(message)),
        };
        let kind = kind(&c);
        self.deps.store.append_event(&Event {
            customer: c.id,
            at,
            kind: kind.clone(),
        })?;
        self.audit(
            at,
            &actor.name,
            &format!("customer.{}", kind.name()),
            c.id,
            "",
        )?;
        self.deps.store.durable().await?;
        Ok(Ok((c, kind)))
    }

    /// `/note CUSTOMER TEXT`.
    pub(super) async fn note(
        &self,
        actor: &StaffActor,
        who: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let kind = |_: &Customer| EventKind::StaffNote {
            by: actor.name.clone(),
            text: text.to_owned(),
        };
        Ok(match self.add_staff_event(actor, who, kind, at).await? {
            Ok((c, _)) => format!("Noted on {} (#{}): {text}", c.name, c.id),
            Err(message) => message,
        })
    }

    /// `/task CUSTOMER TEXT`.
    pub(super) async fn task(
        &self,
        actor: &StaffActor,
        who: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let due = due_from_text(text, at);
        let kind = |_: &Customer| EventKind::StaffTask {
            by: actor.name.clone(),
            text: text.to_owned(),
            due,
        };
        Ok(match self.add_staff_event(actor, who, kind, at).await? {
            Ok((c, _)) => format!(
                "Task for {} on {} (#{}): {text} — due {}; it shows in /mine.",
                actor.name,
                c.name,
                c.id,
                due.format("%A %Y-%m-%d")
            ),
            Err(message) => message,
        })
    }

    /// `/call CUSTOMER [NOTE]`.
    pub(super) async fn log_call(
        &self,
        actor: &StaffActor,
        who: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let kind = |_: &Customer| EventKind::StaffContact {
            by: actor.name.clone(),
            note: note.to_owned(),
        };
        Ok(match self.add_staff_event(actor, who, kind, at).await? {
            Ok((c, _)) => format!(
                "Logged a call with {} (#{}); the churn model counts it as contact.",
                c.name, c.id
            ),
            Err(message) => message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_days_from_words() {
        // 2026-11-27 is a Friday.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap();
        let day = |t: &str| due_from_text(t, now).format("%Y-%m-%d %H:%M").to_string();
        assert_eq!(day("call back friday"), "2026-12-04 09:00");
        assert_eq!(day("call on Monday"), "2026-11-30 09:00");
        assert_eq!(day("follow up in 3 days"), "2026-11-30 09:00");
        assert_eq!(day("send the contract"), "2026-11-28 09:00");
        assert_eq!(day("周二回电话"), "2026-12-01 09:00");
    }
}
