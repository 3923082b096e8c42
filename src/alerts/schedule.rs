//! Named jobs and their schedules. Whether a job is due is a pure function of the time, the
//! job's last run and the settings, so "today" and time zones are testable.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::AlertSettings;

/// The scheduled jobs of `crmbot run`.
///
/// ```text
/// digest      daily at alerts.digest_time in alerts.time_zone
/// sla_check   every 15 minutes: tickets unclaimed past their SLA are raised again
/// retrain     every alerts.retrain_hours hours: models retrained and customers re-scored
/// retention   daily: message texts older than privacy.retention_days removed
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    Digest,
    SlaCheck,
    Retrain,
    Retention,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Digest, Job::SlaCheck, Job::Retrain, Job::Retention];

    pub fn name(self) -> &'static str {
        match self {
            Job::Digest => "digest",
            Job::SlaCheck => "sla_check",
            Job::Retrain => "retrain",
            Job::Retention => "retention",
        }
    }

    /// The first time at or after `after` when the job should run, given its last run.
    pub fn next_run(
        self,
        settings: &AlertSettings,
        last_run: Option<DateTime<Utc>>,
        after: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let every = |d: Duration| Some(last_run.map_or(after, |l| (l + d).max(after)));
        match self {
            Job::Digest => Some(next_daily(settings, last_run, after)),
            Job::SlaCheck => every(Duration::minutes(15)),
            Job::Retention => every(Duration::days(1)),
            Job::Retrain if settings.retrain_hours == 0 => None,
            // Never on start: the store was trained when it was seeded or by `crmbot train`,
            // and the scheduler records that training time as the first "last run".
            Job::Retrain => last_run
                .map(|l| (l + Duration::hours(i64::from(settings.retrain_hours))).max(after)),
        }
    }

    /// Whether the job is due at `now`. A retrain that never ran is never due: the
    /// scheduler first records when the models were last trained.
    pub fn is_due(
        self,
        settings: &AlertSettings,
        last_run: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        let from = last_run.unwrap_or(now - Duration::days(1));
        self.next_run(settings, last_run, from)
            .is_some_and(|t| t <= now)
    }
}

/// The next digest time after the last run: today's local digest time if not yet run today,
/// else tomorrow's.
fn next_daily(
    settings: &AlertSettings,
    last_run: Option<DateTime<Utc>>,
    after: DateTime<Utc>,
) -> DateTime<Utc> {
    let tz = settings.time_zone;
    let local_day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let at = |day: chrono::NaiveDate| {
        tz.from_local_datetime(&day.and_time(settings.digest_time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            // A digest time inside a DST gap: an hour later exists.
            .unwrap_or_else(|| {
                Utc.from_utc_datetime(&(day.and_time(settings.digest_time) + Duration::hours(1)))
            })
    };
    let mut day = local_day(after);
    loop {
        let candidate = at(day);
        let already_ran = last_run.is_some_and(|l| l >= candidate);
        if !already_ran && candidate >= after {
            return candidate;
        }
        day = day.succ_opt().expect("calendar has a next day");
    }
}

/// Whether `at` falls in the quiet hours; if so, when they end.
pub fn quiet_until(settings: &AlertSettings, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if settings.quiet_start == settings.quiet_end {
        return None;
    }
    let tz = settings.time_zone;
    let local = at.with_timezone(&tz);
    let time = local.time();
    let (start, end) = (settings.quiet_start, settings.quiet_end);
    let inside = if start < end {
        time >= start && time < end
    } else {
        time >= start || time < end
    };
    if !inside {
        return None;
    }
    let mut day = local.date_naive();
    if start > end && time >= start {
        day = day.succ_opt()?;
    }
    tz.from_local_datetime(&day.and_time(end))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(zone: &str) -> AlertSettings {
        AlertSettings {
            time_zone: zone.parse().unwrap(),
            ..Default::default()
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn a_retrain_that_never_ran_is_not_due() {
        let s = AlertSettings {
            retrain_hours: 24,
            ..Default::default()
        };
        let now = utc(2026, 11, 27, 12, 0);
        assert!(!Job::Retrain.is_due(&s, None, now));
        assert!(!Job::Retrain.is_due(&s, Some(now - Duration::hours(23)), now));
        assert!(Job::Retrain.is_due(&s, Some(now - Duration::hours(24)), now));
    }

    #[test]
    fn the_digest_runs_once_a_day_at_local_time() {
        // 08:30 in Berlin is 07:30 UTC in winter.
        let s = settings("Europe/Berlin");
        let before = utc(2026, 11, 27, 7, 29);
        let after = utc(2026, 11, 27, 7, 31);
        assert!(!Job::Digest.is_due(&s, Some(utc(2026, 11, 26, 7, 30)), before));
        assert!(Job::Digest.is_due(&s, Some(utc(2026, 11, 26, 7, 30)), after));
        // Ran today already: not again until tomorrow.
        assert!(!Job::Digest.is_due(&s, Some(utc(2026, 11, 27, 7, 30)), utc(2026, 11, 27, 20, 0)));
        assert_eq!(
            Job::Digest.next_run(&s, Some(utc(2026, 11, 27, 7, 30)), utc(2026, 11, 27, 20, 0)),
            Some(utc(2026, 11, 28, 7, 30))
        );
        // In summer Berlin is UTC+2.
        assert_eq!(
            Job::Digest.next_run(&s, Some(utc(2026, 6, 30, 6, 30)), utc(2026, 7, 1, 0, 0)),
            Some(utc(2026, 7, 1, 6, 30))
        );
    }

    #[test]
    fn quiet_hours_span_midnight_in_local_time() {
        let s = settings("Asia/Shanghai"); // UTC+8, quiet 21:00-07:00 local
        assert_eq!(quiet_until(&s, utc(2026, 11, 27, 12, 0)), None); // 20:00 local
        assert_eq!(
            quiet_until(&s, utc(2026, 11, 27, 14, 0)),
            Some(utc(2026, 11, 27, 23, 0))
        ); // 22:00 local
        assert_eq!(
            quiet_until(&s, utc(2026, 11, 27, 20, 0)),
            Some(utc(2026, 11, 27, 23, 0))
        ); // 04:00 local
        assert_eq!(quiet_until(&s, utc(2026, 11, 27, 23, 0)), None); // 07:00 local
    }
}
