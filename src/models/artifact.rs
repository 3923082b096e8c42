//! Versioned model artifacts: what was trained, when, on what data, how well it did, and
//! its parameters as JSON. The store persists [`Artifact::to_bytes`] and gives back
//! [`Artifact::from_bytes`]; parameters round-trip exactly (shortest-round-trip floats).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

use super::{ModelError, Result};

/// Version of the artifact layout and of every parameter struct; bump on any change.
pub const ARTIFACT_VERSION: u32 = 1;

/// Which model an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    Churn,
    Clv,
    Segments,
    Rules,
    Lifecycle,
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArtifactKind::Churn => "churn",
            ArtifactKind::Clv => "clv",
            ArtifactKind::Segments => "segments",
            ArtifactKind::Rules => "rules",
            ArtifactKind::Lifecycle => "lifecycle",
        })
    }
}

/// What the model was trained on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub customers: usize,
    pub events: usize,
    pub interactions: usize,
    /// Training rows (e.g. customer × cut-off for churn).
    pub rows: usize,
    /// Positive rows (churners) where that applies.
    pub positives: usize,
    /// Earliest and latest event time seen.
    pub first_event: Option<DateTime<Utc>>,
    pub last_event: Option<DateTime<Utc>>,
}

/// One trained model, ready to persist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub version: u32,
    pub trained_at: DateTime<Utc>,
    pub data: DataSummary,
    /// Named figures (AUC, log-likelihood, silhouette...).
    pub metrics: BTreeMap<String, f64>,
    /// The parameter struct as JSON.
    pub params: String,
    /// SHA-256 of `params`, hex.
    pub checksum: String,
}

fn sha_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Artifact {
    /// Wraps `params` in an artifact.
    pub fn new<T: Serialize>(
        kind: ArtifactKind,
        trained_at: DateTime<Utc>,
        data: DataSummary,
        metrics: BTreeMap<String, f64>,
        params: &T,
    ) -> Result<Artifact> {
        let params = serde_json::to_string(params).map_err(|e| ModelError::Artifact {
            kind: kind.to_string(),
            message: format!("cannot serialize parameters: {e}"),
        })?;
        Ok(Artifact {
            kind,
            version: ARTIFACT_VERSION,
            trained_at,
            data,
            metrics: metrics.into_iter().filter(|(_, v)| v.is_finite()).collect(),
            checksum: sha_hex(&params),
            params,
        })
    }

    /// The parameters, checking kind, version and checksum.
    pub fn decode<T: DeserializeOwned>(&self, expected: ArtifactKind) -> Result<T> {
        let err = |message: String| ModelError::Artifact {
            kind: self.kind.to_string(),
            message,
        };
        if self.kind != expected {
            return Err(err(format!("expected a {expected} artifact")));
        }
        if self.version != ARTIFACT_VERSION {
            return Err(err(format!(
                "version {} cannot be read by this build (version {ARTIFACT_VERSION}); retrain",
                self.version
            )));
        }
        if sha_hex(&self.params) != self.checksum {
            return Err(err("parameters do not match their checksum".into()));
        }
        serde_json::from_str(&self.params)
            .map_err(|e| err(format!("cannot decode parameters: {e}")))
    }

    /// Bytes for the store (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("artifact fields are always serializable")
    }

    /// Reads bytes written by [`Artifact::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact> {
        serde_json::from_slice(bytes).map_err(|e| ModelError::Artifact {
            kind: "unknown".into(),
            message: format!("cannot decode artifact: {e}"),
        })
    }
}
