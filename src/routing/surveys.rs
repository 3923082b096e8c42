//! Satisfaction questions: CSAT after a resolved ticket or a finished conversation, NPS
//! now and then; when each is due, and reading the answer.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::domain::{Event, EventKind, SurveyKind};

/// When to ask.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveySettings {
    /// Ask CSAT at most once within this many days per customer.
    pub csat_cooldown_days: u32,
    /// Ask NPS at most once within this many days per customer.
    pub nps_interval_days: u32,
    /// Only customers at least this many days old are asked NPS.
    pub nps_min_tenure_days: u32,
}

impl Default for SurveySettings {
    fn default() -> Self {
        SurveySettings {
            csat_cooldown_days: 7,
            nps_interval_days: 180,
            nps_min_tenure_days: 30,
        }
    }
}

impl SurveySettings {
    /// Whether a survey may be asked, given the customer's events and when it was last
    /// asked in any conversation.
    pub fn due(
        &self,
        survey: SurveyKind,
        events: &[Event],
        last_asked: Option<DateTime<Utc>>,
        customer_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        let days = match survey {
            SurveyKind::Csat => self.csat_cooldown_days,
            SurveyKind::Nps => self.nps_interval_days,
        };
        let since = now - Duration::days(i64::from(days));
        if last_asked.is_some_and(|t| t >= since) {
            return false;
        }
        if survey == SurveyKind::Nps
            && now - customer_since < Duration::days(i64::from(self.nps_min_tenure_days))
        {
            return false;
        }
        !events.iter().any(|e| {
            e.at >= since && matches!(&e.kind, EventKind::Survey { survey: s, .. } if *s == survey)
        })
    }
}

/// Reads a score answer: a number in range, as digits (full-width too) or a word.
pub fn parse_score(text: &str, survey: SurveyKind) -> Option<u8> {
    let t: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let t = t.trim_end_matches(['.', '!', '！', '。', ' ']);
    let words = [
        ("zero", 0),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("一", 1),
        ("二", 2),
        ("三", 3),
        ("四", 4),
        ("五", 5),
        ("六", 6),
        ("七", 7),
        ("八", 8),
        ("九", 9),
        ("十", 10),
        ("零", 0),
    ];
    let t = t.strip_suffix('分').unwrap_or(t).trim();
    let n = t
        .parse::<u8>()
        .ok()
        .or_else(|| words.iter().find(|(w, _)| *w == t).map(|(_, n)| *n))?;
    let ok = match survey {
        SurveyKind::Csat => (1..=5).contains(&n),
        SurveyKind::Nps => n <= 10,
    };
    ok.then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use chrono::TimeZone;

    #[test]
    fn scores_are_read_in_range_only() {
        assert_eq!(parse_score("4", SurveyKind::Csat), Some(4));
        assert_eq!(parse_score(" ５ ", SurveyKind::Csat), Some(5));
        assert_eq!(parse_score("five!", SurveyKind::Csat), Some(5));
        assert_eq!(parse_score("9", SurveyKind::Csat), None);
        assert_eq!(parse_score("9", SurveyKind::Nps), Some(9));
        assert_eq!(parse_score("where is my order", SurveyKind::Nps), None);
        assert_eq!(parse_score("八分", SurveyKind::Nps), Some(8));
    }

    #[test]
    fn csat_is_not_asked_again_within_the_cooldown() {
        let s = SurveySettings::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let since = now - Duration::days(400);
        assert!(s.due(SurveyKind::Csat, &[], None, since, now));
        assert!(!s.due(
            SurveyKind::Csat,
            &[],
            Some(now - Duration::days(2)),
            since,
            now
        ));
        let answered = [Event {
            customer: CustomerId(1),
            at: now - Duration::days(3),
            kind: EventKind::Survey {
                survey: SurveyKind::Csat,
                score: 4,
            },
        }];
        assert!(!s.due(SurveyKind::Csat, &answered, None, since, now));
        assert!(
            !s.due(SurveyKind::Nps, &[], None, now - Duration::days(3), now),
            "too new for NPS"
        );
    }
}
