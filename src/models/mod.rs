//! Customer models: features, lifecycle stages, segments, churn risk with reasons,
//! lifetime value (BG/NBD + Gamma-Gamma) and product affinity (association rules).
//!
//! Everything here is pure computation over values from [`crate::domain`]: no I/O inside the
//! models (the only file reading is in [`eval`], behind the CLI's `eval` command), no store,
//! no platform crates, and time is always an argument (`now`, `cutoff`), never the clock.
//! Trained models are returned as versioned artifacts that the store persists as bytes.

pub mod affinity;
pub mod artifact;
pub mod churn;
pub mod clv;
mod error;
pub mod eval;
pub mod features;
pub mod gbdt;
pub mod lifecycle;
pub mod math;
pub mod pipeline;
pub mod segments;
pub mod table;

pub use error::ModelError;

/// Result type of the models.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
