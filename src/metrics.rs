//! Process metrics in Prometheus format: messages by channel and intent, escalations,
//! alerts sent, handling latency, model age and store size. One registry per process,
//! owned by whoever builds the engine (no global registry).

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MessageLabels {
    pub channel: String,
    pub intent: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PriorityLabels {
    pub priority: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: String,
}

/// The metrics the engine, the alerts and the API update.
pub struct Metrics {
    registry: Registry,
    pub messages: Family<MessageLabels, Counter>,
    pub escalations: Family<PriorityLabels, Counter>,
    pub alerts_sent: Family<ChannelLabels, Counter>,
    /// Seconds from receiving a message to having its reply ready (durable).
    pub handle_seconds: Histogram,
    /// Age of the newest churn model, in seconds (set at scrape time).
    pub model_age_seconds: Gauge<i64, AtomicI64>,
    /// Size of the store on disk (set at scrape time).
    pub store_bytes: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("crmbot");
        let messages = Family::<MessageLabels, Counter>::default();
        let escalations = Family::<PriorityLabels, Counter>::default();
        let alerts_sent = Family::<ChannelLabels, Counter>::default();
        // 50 µs .. ~1.6 s
        let handle_seconds = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let model_age_seconds = Gauge::<i64, AtomicI64>::default();
        let store_bytes = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "messages",
            "Inbound messages by channel and intent",
            messages.clone(),
        );
        registry.register(
            "escalations",
            "Tickets opened by priority",
            escalations.clone(),
        );
        registry.register(
            "alerts_sent",
            "Alerts and digests delivered by channel",
            alerts_sent.clone(),
        );
        registry.register(
            "handle_seconds",
            "Time to handle one message, durable reply included",
            handle_seconds.clone(),
        );
        registry.register(
            "model_age_seconds",
            "Age of the newest churn model",
            model_age_seconds.clone(),
        );
        registry.register(
            "store_bytes",
            "Size of the store on disk",
            store_bytes.clone(),
        );
        Metrics {
            registry,
            messages,
            escalations,
            alerts_sent,
            handle_seconds,
            model_age_seconds,
            store_bytes,
        }
    }
}

impl Metrics {
    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}
