//! The scheduled jobs that read the store and fill the outbox. Each returns what it queued;
//! the `deliver` job (see [`super::delivery`]) sends it.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::TicketState;
use crate::store::{Store, StoreError};

/// Raises again every ticket that is unclaimed past its SLA, once per SLA period, to the
/// escalation destinations. Returns how many were raised.
pub fn sla_check(
    store: &Store,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let mut raised = 0;
    for mut ticket in store.tickets(Some(TicketState::Open))? {
        if ticket.sla_due > now {
            continue;
        }
        let period = ticket.sla_due - ticket.opened;
        if ticket.sla_raised_at.is_some_and(|at| now - at < period) {
            continue;
        }
        let text = format!(
            "Ticket #{} (P{}) for customer {} is unclaimed {} h past its SLA — {}. Claim it with /claim {}.",
            ticket.id,
            ticket.priority,
            ticket.customer,
            (now - ticket.sla_due).num_hours(),
            ticket.reasons.join("; "),
            ticket.id
        );
        for to in &settings.escalation.notify {
            store.enqueue(to.channel, &to.chat, &text, "sla", now)?;
        }
        ticket.sla_raised_at = Some(now);
        store.put_ticket(&ticket)?;
        raised += 1;
    }
    store.durable_blocking()?;
    Ok(raised)
}

/// Every scored customer as the alerts see them.
pub fn scored_customers(store: &Store) -> Result<Vec<super::digest::ScoredCustomer>, StoreError> {
    let mut out = Vec::new();
    for score in crate::training::stored_scores(store)? {
        let name = store
            .customer(score.customer)?
            .map(|c| c.name)
            .unwrap_or_default();
        out.push(super::digest::ScoredCustomer {
            id: score.customer,
            name,
            risk: crate::training::risk_of(&score),
            at_risk: score.churn_alert,
            expected_loss: score.expected_loss,
        });
    }
    Ok(out)
}

/// Builds the digest as of `now`. With `commit`, queues it for every alert destination and
/// remembers who was reported (so the next digest only says what is new); without, it is a
/// preview that changes nothing.
pub fn digest(
    store: &Store,
    settings: &Settings,
    now: DateTime<Utc>,
    commit: bool,
) -> Result<super::digest::Digest, StoreError> {
    use super::digest::{AlertMemo, DigestInput, band, build};
    let customers = scored_customers(store)?;
    let tickets = store.tickets(None)?;
    let yesterday = now.date_naive() - chrono::Duration::days(1);
    let day_before = |id| {
        store
            .daily_score_on_or_before(id, yesterday)
            .unwrap_or(None)
    };
    let memo = |id| store.alert_state::<AlertMemo>(id).unwrap_or(None);
    let alerts = &settings.alerts;
    let digest = build(&DigestInput {
        customers: &customers,
        yesterday: &day_before,
        memo: &memo,
        tickets: &tickets,
        band_width: alerts.band_width,
        threshold: settings.models.risk.at_risk_probability,
        size: alerts.digest_size,
        now,
    });
    if commit {
        let text = digest.render();
        for to in &alerts.destinations {
            store.enqueue(to.channel, &to.chat, &text, "digest", now)?;
        }
        for line in &digest.new_at_risk {
            store.put_alert_state(
                line.id,
                &AlertMemo {
                    last_alert: now,
                    band: band(line.churn_probability, alerts.band_width),
                },
            )?;
        }
        store.set_job_last_run("digest", now)?;
        store.durable_blocking()?;
    }
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, CustomerId, Ticket};
    use crate::store::StoreOptions;
    use chrono::{Duration, TimeZone};

    #[test]
    fn unclaimed_tickets_past_sla_are_raised_once_per_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::at(dir.path().join("s"))).unwrap();
        let opened = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        let ticket = |id, state| Ticket {
            id,
            customer: CustomerId(1),
            reasons: vec!["complaint".into()],
            priority: 2,
            state,
            assignee: None,
            channel: Channel::Console,
            chat: "customer:1".into(),
            opened,
            sla_due: opened + Duration::hours(4),
            claimed_at: None,
            resolved_at: None,
            resolution_note: None,
            sla_raised_at: None,
            reminded_at: None,
        };
        store.put_ticket(&ticket(1, TicketState::Open)).unwrap();
        store.put_ticket(&ticket(2, TicketState::Claimed)).unwrap();
        let settings = Settings::default();
        assert_eq!(
            sla_check(&store, &settings, opened + Duration::hours(3)).unwrap(),
            0
        );
        assert_eq!(
            sla_check(&store, &settings, opened + Duration::hours(5)).unwrap(),
            1
        );
        assert_eq!(
            sla_check(&store, &settings, opened + Duration::hours(6)).unwrap(),
            0,
            "once per period"
        );
        assert_eq!(
            sla_check(&store, &settings, opened + Duration::hours(9)).unwrap(),
            1
        );
        let queued = store.pending_outbox().unwrap();
        assert_eq!(queued.len(), 2);
        assert!(queued[0].text.starts_with("Ticket #1 (P2)"));
        assert_eq!(
            (queued[0].channel, queued[0].chat.as_str()),
            (Channel::Console, "staff")
        );
    }
}
