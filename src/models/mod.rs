//! Customer models: features, lifecycle stages, segments, churn risk with reasons,
//! lifetime value (BG/NBD + Gamma-Gamma) and product affinity (association rules).
//!
//! Everything here is pure computation over values from [`crate::domain`]: no I/O inside the
//! models (the only file reading is in [`eval`], behind the CLI's `eval` command), no store,
//! no platform crates, and time is always an argument (`now`, `cutoff`), never the clock.
//! Trained models are returned as versioned artifacts that the store persists as bytes.
//!
//! Entry points for the engine, store and CLI:
//! - [`pipeline::train_all`] → [`pipeline::TrainedModels`] (models, `artifacts`, backtest);
//!   persist each [`artifact::Artifact::to_bytes`], reload with
//!   [`artifact::Artifact::from_bytes`] and [`pipeline::TrainedModels::from_artifacts`];
//!   gate deployment with [`pipeline::should_replace`].
//! - [`pipeline::score_all`] → one [`pipeline::CustomerScore`] per customer;
//!   [`pipeline::rank_at_risk`] for the at-risk list.
//! - [`features::CustomerFeatures::build`] and [`lifecycle::classify`] for one customer;
//!   [`lifecycle::funnel`] for stage counts per period.
//! - [`affinity::RuleSet::also_bought`] for "customers who bought X also bought Y".
//! - `crmbot eval clv|churn|rules|segments`: [`eval::eval_clv`], [`eval::eval_churn`],
//!   [`eval::eval_rules`], [`eval::eval_segments`] (reports are `Serialize` + `Display`).

pub mod affinity;
pub mod artifact;
pub mod churn;
pub mod clv;
mod error;
pub mod eval;
pub mod features;
pub mod gbdt;
pub mod kpi;
pub mod lifecycle;
pub mod math;
pub mod pipeline;
pub mod resolution;
pub mod risk;
pub mod segments;
pub mod splits;
pub mod table;

pub use error::ModelError;

/// Result type of the models.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
