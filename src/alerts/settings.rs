//! Alert settings: destinations, digest time and zone, quiet hours, de-duplication and
//! rate limits.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::routing::escalation::Destination;

/// When and where alerts go.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Team chats that receive the digest and real-time alerts.
    pub destinations: Vec<Destination>,
    /// Local time of the daily digest, `HH:MM`.
    #[serde(deserialize_with = "time")]
    pub digest_time: NaiveTime,
    /// IANA time zone of `digest_time` and the quiet hours, e.g. `Europe/Berlin`.
    #[serde(deserialize_with = "zone")]
    pub time_zone: Tz,
    /// Start of the quiet hours (local `HH:MM`); alerts wait until they end. Equal start and
    /// end: no quiet hours.
    #[serde(deserialize_with = "time")]
    pub quiet_start: NaiveTime,
    /// End of the quiet hours (local `HH:MM`).
    #[serde(deserialize_with = "time")]
    pub quiet_end: NaiveTime,
    /// A customer is not alerted again within this many hours...
    pub cooldown_hours: u32,
    /// ...unless their churn probability rose by at least this much (a band).
    pub band_width: f64,
    /// Real-time alerts only for customers worth at least this much (expected CLV).
    pub realtime_min_clv: f64,
    /// At most this many messages per destination per minute.
    pub per_destination_per_minute: u32,
    /// Give up on a message after this many failed attempts.
    pub max_attempts: u32,
    /// How many customers the digest lists in each section.
    pub digest_size: usize,
    /// Retrain the models every this many hours while `crmbot run` runs (0: never).
    pub retrain_hours: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            destinations: vec![Destination {
                channel: crate::domain::Channel::Console,
                chat: "team".into(),
            }],
            digest_time: NaiveTime::from_hms_opt(8, 30, 0).expect("valid time"),
            time_zone: Tz::UTC,
            quiet_start: NaiveTime::from_hms_opt(21, 0, 0).expect("valid time"),
            quiet_end: NaiveTime::from_hms_opt(7, 0, 0).expect("valid time"),
            cooldown_hours: 72,
            band_width: 0.2,
            realtime_min_clv: 200.0,
            per_destination_per_minute: 20,
            max_attempts: 8,
            digest_size: 10,
            retrain_hours: 24,
        }
    }
}

fn time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(d)?;
    NaiveTime::parse_from_str(&text, "%H:%M")
        .map_err(|_| serde::de::Error::custom(format!("expected a time like 08:30, got {text:?}")))
}

fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let text = String::deserialize(d)?;
    text.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "expected a time zone like Europe/Berlin, got {text:?}"
        ))
    })
}
