//! Model artifacts (versioned, opaque bytes owned by the models module) and per-customer
//! scores (any serde value owned by the models module).

use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};

use super::{Result, Store, decode, encode, keys};
use crate::domain::CustomerId;

fn artifact_key(kind: &str, version: u32) -> Vec<u8> {
    let mut key = kind.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

impl Store {
    /// Stores a model artifact under its kind and version, with when it was trained.
    pub fn put_artifact(
        &self,
        kind: &str,
        version: u32,
        trained_at: DateTime<Utc>,
        bytes: &[u8],
    ) -> Result<()> {
        self.inner
            .artifacts
            .insert(artifact_key(kind, version), bytes)?;
        self.inner
            .meta
            .insert(format!("artifact_time:{kind}"), encode(&trained_at))?;
        Ok(())
    }

    /// When the newest artifact of a kind was trained.
    pub fn latest_artifact_time(&self, kind: &str) -> Result<Option<DateTime<Utc>>> {
        self.inner
            .meta
            .get(format!("artifact_time:{kind}"))?
            .map(|v| decode("artifact time", &v))
            .transpose()
    }

    /// The newest artifact of a kind, with its version.
    pub fn latest_artifact(&self, kind: &str) -> Result<Option<(u32, Vec<u8>)>> {
        let mut prefix = kind.as_bytes().to_vec();
        prefix.push(0);
        Ok(self
            .inner
            .artifacts
            .scan_prefix(&prefix)
            .next_back()
            .transpose()?
            .map(|(k, v)| {
                let version = u32::from_be_bytes(k[prefix.len()..].try_into().unwrap_or([0; 4]));
                (version, v.to_vec())
            }))
    }

    pub fn put_score<T: Serialize>(&self, customer: CustomerId, score: &T) -> Result<()> {
        self.inner
            .scores
            .insert(keys::customer_bytes(customer), encode(score))?;
        Ok(())
    }

    pub fn score<T: DeserializeOwned>(&self, customer: CustomerId) -> Result<Option<T>> {
        self.inner
            .scores
            .get(keys::customer_bytes(customer))?
            .map(|v| decode("score", &v))
            .transpose()
    }

    /// Every stored score in customer order.
    pub fn scores<T: DeserializeOwned>(
        &self,
    ) -> impl Iterator<Item = Result<(CustomerId, T)>> + '_ {
        self.inner.scores.iter().map(|item| {
            let (k, v) = item?;
            Ok((keys::customer_from_bytes(&k), decode("score", &v)?))
        })
    }
}
