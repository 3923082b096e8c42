//! Limits on guessing link codes. Wrong codes are counted per email, per chat user and
//! over all users, independently of the code they were typed against (a new code does not
//! reset them). Each limit reached locks that key for a while, doubling on every lock-out
//! (capped at a day); counts are forgotten after a quiet period. Pure: the engine stores
//! the counters and supplies the time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Wrong codes recorded under one key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Strikes {
    /// Wrong codes since the last lock-out.
    pub failures: u32,
    /// Lock-outs so far (each doubles the next one).
    pub lockouts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
}

/// How many wrong codes a key may have, and for how long it is then locked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub max_failures: u32,
    /// The first lock-out; later ones double.
    pub lockout: Duration,
    /// Counts are forgotten after this long without a wrong code.
    pub forget_after: Duration,
}

/// The longest lock-out.
const LONGEST: Duration = Duration::hours(24);

impl Strikes {
    /// When the key is locked at `at`, the time it opens again.
    pub fn locked_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > at)
    }

    /// Wrong codes left before the next lock-out.
    pub fn left(&self, limit: &Limit) -> u32 {
        limit.max_failures.saturating_sub(self.failures)
    }

    /// Records a wrong code; returns the lock-out's end when this one locks the key.
    pub fn fail(&mut self, limit: &Limit, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self
            .last_failure
            .is_some_and(|last| at - last > limit.forget_after)
            && self.locked_at(at).is_none()
        {
            *self = Strikes::default();
        }
        self.last_failure = Some(at);
        self.failures += 1;
        if self.failures < limit.max_failures.max(1) {
            return None;
        }
        self.failures = 0;
        self.lockouts += 1;
        let doubling = 2i32.pow(self.lockouts.saturating_sub(1).min(16));
        let wait = (limit.lockout * doubling).min(LONGEST);
        let until = at + wait;
        self.locked_until = Some(until);
        Some(until)
    }
}

fn hex_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The counter key of an email (hashed: the store keeps no email in clear for it).
pub fn email_key(email: &str) -> String {
    format!("email:{}", hex_hash(email))
}

/// The counter key of a chat user.
pub fn user_key(channel: &str, user_id: &str) -> String {
    format!("user:{}", hex_hash(&format!("{channel}:{user_id}")))
}

/// The counter key over all users.
pub const GLOBAL_KEY: &str = "global";

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> Limit {
        Limit {
            max_failures: 3,
            lockout: Duration::minutes(15),
            forget_after: Duration::hours(24),
        }
    }

    #[test]
    fn lockouts_double_and_are_capped() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut s = Strikes::default();
        assert_eq!(s.fail(&limit(), t0), None);
        assert_eq!(s.fail(&limit(), t0), None);
        assert_eq!(s.fail(&limit(), t0), Some(t0 + Duration::minutes(15)));
        let t1 = t0 + Duration::minutes(16);
        assert_eq!(s.locked_at(t1), None);
        s.fail(&limit(), t1);
        s.fail(&limit(), t1);
        assert_eq!(s.fail(&limit(), t1), Some(t1 + Duration::minutes(30)));
        for _ in 0..100 {
            s.fail(&limit(), t1);
        }
        assert_eq!(s.locked_at(t1), Some(t1 + LONGEST));
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_day() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut s = Strikes::default();
        s.fail(&limit(), t0);
        s.fail(&limit(), t0);
        assert_eq!(s.fail(&limit(), t0 + Duration::hours(25)), None);
        assert_eq!(s.left(&limit()), 2);
    }
}
