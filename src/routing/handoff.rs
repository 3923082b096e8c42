//! The hand-off policy: when a resolved ticket comes back instead of a new one, which
//! messages stay internal, and when a quiet ticket is reminded and closed. Pure: the engine
//! and the auto-close job ask these functions and act on the answer.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// `[handoff]` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffSettings {
    /// A customer who writes within this many hours of a resolve reopens the same ticket
    /// (and its thread) instead of starting over; 0 turns reopening off.
    pub reopen_hours: u32,
    /// A staff message in a ticket's thread starting with this stays an internal note.
    pub note_marker: String,
    /// A claimed ticket whose customer has not written for this many hours gets a
    /// reminder; 0 turns auto-close off.
    pub remind_after_hours: u32,
    /// ... and is resolved (with the CSAT question) this many hours after the reminder.
    pub close_after_hours: u32,
}

impl Default for HandoffSettings {
    fn default() -> Self {
        HandoffSettings {
            reopen_hours: 24,
            note_marker: "!".into(),
            remind_after_hours: 48,
            close_after_hours: 24,
        }
    }
}

impl HandoffSettings {
    /// Whether a ticket resolved at `resolved` is reopened by a message at `now`.
    pub fn reopens(&self, resolved: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.reopen_hours > 0 && now - resolved <= Duration::hours(i64::from(self.reopen_hours))
    }

    /// The note's text, if `text` is an internal note.
    pub fn note<'a>(&self, text: &'a str) -> Option<&'a str> {
        let marker = self.note_marker.trim();
        if marker.is_empty() {
            return None;
        }
        text.trim_start().strip_prefix(marker).map(str::trim)
    }
}

/// What a quiet claimed ticket needs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    Nothing,
    Remind,
    Close,
}

/// `last_customer` is the customer's last message (or the claim), `reminded` when the
/// reminder went out.
pub fn quiet_step(
    settings: &HandoffSettings,
    last_customer: DateTime<Utc>,
    reminded: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Quiet {
    if settings.remind_after_hours == 0 {
        return Quiet::Nothing;
    }
    match reminded {
        Some(r) if r >= last_customer => {
            if now - r >= Duration::hours(i64::from(settings.close_after_hours)) {
                Quiet::Close
            } else {
                Quiet::Nothing
            }
        }
        _ if now - last_customer >= Duration::hours(i64::from(settings.remind_after_hours)) => {
            Quiet::Remind
        }
        _ => Quiet::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn notes_reopening_and_quiet_tickets() {
        let s = HandoffSettings::default();
        assert_eq!(s.note("! check the courier"), Some("check the courier"));
        assert_eq!(s.note("hello"), None);
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        assert!(s.reopens(t, t + Duration::hours(23)));
        assert!(!s.reopens(t, t + Duration::hours(25)));
        assert_eq!(
            quiet_step(&s, t, None, t + Duration::hours(47)),
            Quiet::Nothing
        );
        assert_eq!(
            quiet_step(&s, t, None, t + Duration::hours(48)),
            Quiet::Remind
        );
        let r = t + Duration::hours(48);
        assert_eq!(
            quiet_step(&s, t, Some(r), r + Duration::hours(1)),
            Quiet::Nothing
        );
        assert_eq!(
            quiet_step(&s, t, Some(r), r + Duration::hours(24)),
            Quiet::Close
        );
        // The customer answered after the reminder: start over.
        let later = r + Duration::hours(2);
        assert_eq!(
            quiet_step(&s, later, Some(r), later + Duration::hours(3)),
            Quiet::Nothing
        );
    }
}
