//! Training and scoring over the store: the bridge between the pure customer models and
//! the data. Reads every customer's history, trains, keeps the churn model only if it is
//! not clearly worse than the one in use, stores versioned artifacts, scores every customer
//! and records lifecycle transitions as events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::domain::{CustomerId, Event, EventKind};
use crate::models::ModelError;
use crate::models::artifact::{Artifact, ArtifactKind};
use crate::models::features::CustomerHistory;
use crate::models::pipeline::{
    CustomerScore, ModelSettings, TrainedModels, TrainingInput, score_all, should_replace,
    train_all,
};
use crate::routing::CustomerRisk;
use crate::store::{Store, StoreError};

/// The models in use, shared by the engine and the retrain job (swapped after a retrain).
pub type ModelsHandle = std::sync::Arc<std::sync::RwLock<Option<std::sync::Arc<TrainedModels>>>>;

/// A handle holding `models`.
pub fn models_handle(models: Option<TrainedModels>) -> ModelsHandle {
    std::sync::Arc::new(std::sync::RwLock::new(models.map(std::sync::Arc::new)))
}

#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

const KINDS: [ArtifactKind; 5] = [
    ArtifactKind::Churn,
    ArtifactKind::Clv,
    ArtifactKind::Segments,
    ArtifactKind::Rules,
    ArtifactKind::Lifecycle,
];

/// What a training run did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    pub trained_at: DateTime<Utc>,
    pub customers: usize,
    /// Stored artifacts: kind → version.
    pub versions: BTreeMap<String, u32>,
    /// Backtest ROC AUC of the new churn model, and of the one in use before.
    pub churn_auc: Option<f64>,
    pub previous_churn_auc: Option<f64>,
    /// Whether the new churn model replaced the old one.
    pub churn_replaced: bool,
    /// The churn backtest in full, when a model was trained.
    pub backtest: Option<serde_json::Value>,
    /// Models not trained, with why.
    pub skipped: Vec<(String, String)>,
    pub scored: usize,
    pub at_risk: usize,
    pub stage_changes: usize,
}

/// Every customer's history, as the models read it.
pub fn training_input(store: &Store) -> Result<TrainingInput, StoreError> {
    let mut customers = Vec::with_capacity(store.customer_count());
    for customer in store.customers() {
        let customer = customer?;
        let events = store.events_of(customer.id)?;
        let interactions = store.interactions_of(customer.id)?;
        customers.push(CustomerHistory {
            customer,
            events,
            interactions,
        });
    }
    Ok(TrainingInput { customers })
}

/// One customer's history.
pub fn customer_history(
    store: &Store,
    id: CustomerId,
) -> Result<Option<CustomerHistory>, StoreError> {
    let Some(customer) = store.customer(id)? else {
        return Ok(None);
    };
    Ok(Some(CustomerHistory {
        events: store.events_of(id)?,
        interactions: store.interactions_of(id)?,
        customer,
    }))
}

fn stored_artifacts(store: &Store) -> Result<Vec<(u32, Artifact)>, TrainError> {
    let mut found = Vec::new();
    for kind in KINDS {
        if let Some((version, bytes)) = store.latest_artifact(&kind.to_string())? {
            found.push((version, Artifact::from_bytes(&bytes)?));
        }
    }
    Ok(found)
}

/// The models in use, rebuilt from the newest stored artifacts; `None` before any training.
pub fn stored_models(store: &Store) -> Result<Option<TrainedModels>, TrainError> {
    let artifacts: Vec<Artifact> = stored_artifacts(store)?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    if artifacts.is_empty() {
        return Ok(None);
    }
    Ok(Some(TrainedModels::from_artifacts(&artifacts)?))
}

/// Trains every model on the store's data as of `now`, stores the artifacts and scores.
pub fn train(
    store: &Store,
    settings: &ModelSettings,
    now: DateTime<Utc>,
    force: bool,
) -> Result<TrainOutcome, TrainError> {
    let input = training_input(store)?;
    let trained = train_all(&input, now, settings)?;
    let previous = stored_artifacts(store)?;
    let previous_churn = previous.iter().find(|(_, a)| a.kind == ArtifactKind::Churn);
    let previous_churn_auc = previous_churn
        .and_then(|(_, a)| TrainedModels::from_artifacts(std::slice::from_ref(a)).ok())
        .and_then(|m| m.backtest().map(|b| b.auc));
    let churn_auc = trained.backtest().map(|b| b.auc);
    let churn_replaced = match (previous_churn_auc, churn_auc) {
        (Some(old), Some(new)) => should_replace(old, new, force),
        (_, Some(_)) => true,
        (_, None) => false,
    };
    let mut versions = BTreeMap::new();
    let mut in_use = Vec::new();
    for artifact in &trained.artifacts {
        if artifact.kind == ArtifactKind::Churn && !churn_replaced {
            continue;
        }
        let kind = artifact.kind.to_string();
        let version = store.latest_artifact(&kind)?.map_or(1, |(v, _)| v + 1);
        store.put_artifact(&kind, version, artifact.trained_at, &artifact.to_bytes())?;
        versions.insert(kind, version);
        in_use.push(artifact.clone());
    }
    if !churn_replaced && let Some((_, old)) = previous_churn {
        in_use.push(old.clone());
    }
    let models = TrainedModels::from_artifacts(&in_use)?;
    let scores = score_all(&models, &input, now);
    let (at_risk, stage_changes) = store_scores(store, &scores, now)?;
    store.durable_blocking()?;
    Ok(TrainOutcome {
        trained_at: now,
        customers: input.customers.len(),
        versions,
        churn_auc,
        previous_churn_auc,
        churn_replaced,
        backtest: trained
            .backtest()
            .and_then(|b| serde_json::to_value(b).ok()),
        skipped: trained
            .skipped
            .iter()
            .map(|(k, why)| (k.to_string(), why.clone()))
            .collect(),
        scored: scores.len(),
        at_risk,
        stage_changes,
    })
}

/// Stores scores and the day's churn probability; a changed lifecycle stage becomes a
/// `stage_changed` event with its reason. Returns (customers flagged at risk, transitions).
pub fn store_scores(
    store: &Store,
    scores: &[CustomerScore],
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    let mut changes = Vec::new();
    let mut at_risk = 0;
    for score in scores {
        let previous: Option<CustomerScore> = store.score(score.customer).unwrap_or(None);
        if let Some(previous) = previous
            && previous.stage != score.stage
        {
            changes.push(Event {
                customer: score.customer,
                at: now,
                kind: EventKind::StageChanged {
                    from: previous.stage.to_string(),
                    to: score.stage.to_string(),
                    reason: score.stage_reason.clone(),
                },
            });
        }
        store.put_score(score.customer, score)?;
        if let Some(p) = score.churn_probability {
            store.record_daily_score(score.customer, now.date_naive(), p)?;
        }
        at_risk += usize::from(score.churn_alert);
    }
    store.append_events(&changes)?;
    Ok((at_risk, changes.len()))
}

/// Re-scores one customer with the models in use; returns the previous and the new score.
pub fn rescore(
    store: &Store,
    models: &TrainedModels,
    id: CustomerId,
    now: DateTime<Utc>,
) -> Result<Option<(Option<CustomerScore>, CustomerScore)>, StoreError> {
    let Some(history) = customer_history(store, id)? else {
        return Ok(None);
    };
    let previous: Option<CustomerScore> = store.score(id).unwrap_or(None);
    let input = TrainingInput {
        customers: vec![history],
    };
    let Some(score) = score_all(models, &input, now).into_iter().next() else {
        return Ok(None);
    };
    store_scores(store, std::slice::from_ref(&score), now)?;
    Ok(Some((previous, score)))
}

/// All stored scores.
pub fn stored_scores(store: &Store) -> Result<Vec<CustomerScore>, StoreError> {
    store
        .scores::<CustomerScore>()
        .map(|item| item.map(|(_, s)| s))
        .collect()
}

/// What the routing policies need from a score.
pub fn risk_of(score: &CustomerScore) -> CustomerRisk {
    CustomerRisk {
        churn_probability: score.churn_probability,
        clv: score.clv,
        segment: score.segment.clone(),
        stage: Some(score.stage.to_string()),
        reasons: score.reasons.iter().map(|r| r.text.clone()).collect(),
        suggested_action: Some(score.suggested_action.clone()),
    }
}
