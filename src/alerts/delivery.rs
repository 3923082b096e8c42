//! Draining the outbox: quiet hours, a per-destination rate limit, retries with backoff.
//!
//! An item is marked sent (and flushed) right after its delivery succeeds, so a restart
//! resends nothing that was confirmed and loses nothing that was not. The only window is
//! between the platform's acknowledgement and that flush: there a crash can repeat one
//! message (at-least-once), never drop one.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::AlertSettings;
use super::schedule::quiet_until;
use crate::domain::Channel;
use crate::store::{OutboxItem, OutboxState, Store, StoreError};

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryError {
    /// The platform asked to wait (HTTP 429).
    RetryAfter(StdDuration),
    /// Anything else; retried with backoff.
    Failed(String),
}

/// Something that can post a text to a chat: the channel router of `crmbot run`, the
/// console, or a test double.
pub trait Deliver: Sync {
    /// Whether this deliverer can post to the channel; other items are left for another.
    fn handles(&self, channel: Channel) -> bool;

    fn deliver(
        &self,
        channel: Channel,
        chat: &str,
        text: &str,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    pub sent: u32,
    /// Postponed: quiet hours or the rate limit.
    pub deferred: u32,
    /// Failed this time, to be retried.
    pub retrying: u32,
    /// Given up after the maximum attempts.
    pub failed: u32,
}

/// Backoff after `attempts` failures: 30 s, 1 min, 2 min, ... capped at 1 h.
fn backoff(attempts: u32) -> Duration {
    Duration::seconds((30i64 << attempts.min(7).saturating_sub(1)).min(3600))
}

/// Delivers every pending item that is due at `now`.
pub async fn drain<D: Deliver>(
    store: &Store,
    deliver: &D,
    settings: &AlertSettings,
    now: DateTime<Utc>,
) -> Result<DrainReport, StoreError> {
    let mut report = DrainReport::default();
    let all = store.outbox()?;
    // Messages sent to each destination in the last minute (the rate limit's window).
    let mut recent: HashMap<(Channel, String), u32> = HashMap::new();
    for item in all.iter().filter(|i| i.state == OutboxState::Sent) {
        if item.sent_at.is_some_and(|t| now - t < Duration::minutes(1)) {
            *recent.entry((item.channel, item.chat.clone())).or_default() += 1;
        }
    }
    let quiet = quiet_until(settings, now);
    for mut item in all.into_iter().filter(|i| i.state == OutboxState::Pending) {
        if item.not_before > now || !deliver.handles(item.channel) {
            continue;
        }
        // Link codes and account notices cannot wait for the morning.
        if let Some(until) = quiet.filter(|_| item.channel != Channel::Email) {
            item.not_before = until;
            store.put_outbox_item(&item)?;
            report.deferred += 1;
            continue;
        }
        let key = (item.channel, item.chat.clone());
        let sent_recently = recent.entry(key).or_default();
        if *sent_recently >= settings.per_destination_per_minute {
            item.not_before = now + Duration::seconds(60);
            store.put_outbox_item(&item)?;
            report.deferred += 1;
            continue;
        }
        match deliver.deliver(item.channel, &item.chat, &item.text).await {
            Ok(()) => {
                item.state = OutboxState::Sent;
                item.sent_at = Some(now);
                if item.kind == "link_code" {
                    // A delivered code is kept nowhere in clear.
                    item.text = "(link code delivered)".into();
                }
                item.attempts += 1;
                *sent_recently += 1;
                report.sent += 1;
            }
            Err(error) => retry_later(&mut item, error, settings, now, &mut report),
        }
        store.put_outbox_item(&item)?;
        // Confirmed deliveries are durable before the next one starts.
        store.durable().await?;
    }
    Ok(report)
}

fn retry_later(
    item: &mut OutboxItem,
    error: DeliveryError,
    settings: &AlertSettings,
    now: DateTime<Utc>,
    report: &mut DrainReport,
) {
    item.attempts += 1;
    let (wait, message) = match error {
        DeliveryError::RetryAfter(d) => (
            Duration::from_std(d).unwrap_or(Duration::seconds(60)),
            format!("rate limited for {} s", d.as_secs()),
        ),
        DeliveryError::Failed(message) => (backoff(item.attempts), message),
    };
    tracing::warn!(item = item.id, attempts = item.attempts, error = %message, "alert delivery failed");
    item.last_error = Some(message);
    if item.attempts >= settings.max_attempts {
        item.state = OutboxState::Failed;
        report.failed += 1;
    } else {
        item.not_before = now + wait;
        report.retrying += 1;
    }
}

/// Two deliverers in one: each item goes to the first that handles its channel.
pub struct Either<A, B>(pub A, pub B);

impl<A: Deliver + Send + Sync, B: Deliver + Send + Sync> Deliver for Either<A, B> {
    fn handles(&self, channel: Channel) -> bool {
        self.0.handles(channel) || self.1.handles(channel)
    }

    async fn deliver(&self, channel: Channel, chat: &str, text: &str) -> Result<(), DeliveryError> {
        if self.0.handles(channel) {
            self.0.deliver(channel, chat, text).await
        } else {
            self.1.deliver(channel, chat, text).await
        }
    }
}

/// Prints console-channel items to standard output: the console's way of "sending" alerts
/// (`crmbot alerts run-now` without running channels, and the console chat).
pub struct PrintDelivery {
    /// Print on standard error (so that `--json` output on standard out stays JSON).
    pub to_stderr: bool,
}

impl Deliver for PrintDelivery {
    fn handles(&self, channel: Channel) -> bool {
        channel == Channel::Console
    }

    async fn deliver(&self, channel: Channel, chat: &str, text: &str) -> Result<(), DeliveryError> {
        if self.to_stderr {
            eprintln!("→ {channel} {chat}:\n{text}\n");
        } else {
            println!("→ {channel} {chat}:\n{text}\n");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use chrono::TimeZone;

    use crate::store::StoreOptions;

    /// Records deliveries; fails the first attempt of texts containing "flaky", and stops
    /// working (a crash) after `crash_after` deliveries.
    struct Recorder {
        sent: Mutex<Vec<String>>,
        crash_after: Option<usize>,
    }

    impl Deliver for Recorder {
        fn handles(&self, _: Channel) -> bool {
            true
        }

        async fn deliver(&self, _: Channel, _: &str, text: &str) -> Result<(), DeliveryError> {
            let mut sent = self.sent.lock().unwrap();
            if self.crash_after.is_some_and(|n| sent.len() >= n) {
                return Err(DeliveryError::Failed("process killed".into()));
            }
            if text.contains("flaky") && !sent.iter().any(|s| s == "tried flaky") {
                sent.push("tried flaky".into());
                return Err(DeliveryError::RetryAfter(StdDuration::from_secs(5)));
            }
            sent.push(text.to_owned());
            Ok(())
        }
    }

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn quiet_free() -> AlertSettings {
        AlertSettings {
            quiet_start: chrono::NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            quiet_end: chrono::NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            per_destination_per_minute: 3,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_restart_mid_send_neither_loses_nor_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions::at(dir.path().join("s"));
        let settings = AlertSettings {
            per_destination_per_minute: 100,
            ..quiet_free()
        };
        {
            let store = Store::open(&options).unwrap();
            for i in 0..6 {
                store
                    .enqueue(
                        Channel::Telegram,
                        "-100",
                        &format!("alert {i}"),
                        "alert",
                        noon(),
                    )
                    .unwrap();
            }
            store.durable().await.unwrap();
            let first = Recorder {
                sent: Mutex::new(Vec::new()),
                crash_after: Some(4),
            };
            drain(&store, &first, &settings, noon()).await.unwrap();
            assert_eq!(first.sent.lock().unwrap().len(), 4);
        } // the process "dies" here; the store is reopened as after a restart
        let store = Store::open(&options).unwrap();
        let second = Recorder {
            sent: Mutex::new(Vec::new()),
            crash_after: None,
        };
        drain(&store, &second, &settings, noon() + Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(*second.sent.lock().unwrap(), ["alert 4", "alert 5"]);
        assert!(
            store
                .outbox()
                .unwrap()
                .iter()
                .all(|i| i.state == OutboxState::Sent)
        );
    }

    #[tokio::test]
    async fn rate_limits_quiet_hours_and_retry_after_delay_but_never_drop() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::at(dir.path().join("s"))).unwrap();
        for text in ["a", "b", "flaky c", "d", "e"] {
            store
                .enqueue(Channel::Discord, "55", text, "alert", noon())
                .unwrap();
        }
        let rec = Recorder {
            sent: Mutex::new(Vec::new()),
            crash_after: None,
        };
        let settings = quiet_free();
        let r = drain(&store, &rec, &settings, noon()).await.unwrap();
        assert_eq!((r.sent, r.retrying, r.deferred), (3, 1, 1), "{r:?}");
        // 429 said 5 s; the limit frees up after a minute.
        let r = drain(&store, &rec, &settings, noon() + Duration::seconds(61))
            .await
            .unwrap();
        assert_eq!(r.sent, 2);
        let sent = rec.sent.lock().unwrap().clone();
        assert_eq!(sent, ["a", "b", "tried flaky", "d", "flaky c", "e"]);

        // Quiet hours (21:00-07:00 UTC by default): deferred to 07:00, then sent.
        store
            .enqueue(Channel::Discord, "55", "night", "alert", noon())
            .unwrap();
        let night = Utc.with_ymd_and_hms(2026, 11, 27, 23, 0, 0).unwrap();
        let r = drain(&store, &rec, &AlertSettings::default(), night)
            .await
            .unwrap();
        assert_eq!((r.sent, r.deferred), (0, 1));
        let morning = Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap();
        let r = drain(&store, &rec, &AlertSettings::default(), morning)
            .await
            .unwrap();
        assert_eq!(r.sent, 1);
    }
}
