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
