//! Churn alerts for teams: a daily digest at a local time, real-time alerts when a valuable
//! customer turns at-risk, and SLA reminders — de-duplicated, quiet at night, rate-limited
//! per destination, retried with backoff, and kept in the store's outbox so a restart
//! neither loses nor repeats them.
//!
//! # Layout
//! - [`settings`]: when and where (typed config).
//! - [`schedule`]: named jobs and when each is due (pure).
//! - [`digest`]: what the digest says (pure, from scores and tickets).
//! - [`realtime`]: whether a score change deserves an alert now (pure, with cool-down).
//! - [`delivery`]: drains the outbox through a [`delivery::Deliver`] implementation.
//! - [`jobs`]: the jobs themselves, reading the store and filling the outbox.
//! - [`scheduler`]: the loop of `crmbot run` that runs the jobs when due.

pub mod delivery;
pub mod digest;
pub mod jobs;
pub mod realtime;
pub mod schedule;
pub mod scheduler;
pub mod settings;

pub use settings::AlertSettings;
