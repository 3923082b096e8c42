//! The loop that runs the scheduled jobs in `crmbot run`: every tick it asks each job
//! whether it is due (see [`super::schedule::Job`]) and runs it, remembering the run in the
//! store so a restart does not repeat a digest. Delivery of what the jobs queue is the
//! runner's (its outbox drain); this loop only fills the outbox and keeps models fresh.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::jobs;
use super::schedule::Job;
use crate::engine::Engine;
use crate::models::artifact::ArtifactKind;
use crate::store::StoreError;
use crate::training::{self, TrainError};

/// How often the loop looks for due jobs.
pub const TICK: Duration = Duration::from_secs(30);

/// What one tick ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub ran: Vec<&'static str>,
}

/// Why a scheduled job failed; it is tried again at the next tick.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("training: {0}")]
    Training(#[from] TrainError),
    #[error("the job's worker thread stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

/// Runs every job that is due at `now`. Errors are logged; a failed job is tried again at
/// the next tick.
pub async fn tick(engine: &Engine, now: DateTime<Utc>) -> TickReport {
    let deps = engine.deps();
    let mut report = TickReport::default();
    for job in Job::ALL {
        let last = match deps.store.job_last_run(job.name()) {
            Ok(last) => last,
            Err(e) => {
                tracing::error!(job = job.name(), error = %e, "reading the job's last run failed");
                continue;
            }
        };
        if last.is_none() && matches!(job, Job::Digest | Job::Retrain) {
            // The first digest goes out at the next digest time, not at start-up; the first
            // retrain is due `retrain_hours` after the models were trained (when the store
            // was seeded or by `crmbot train`), or after this first start.
            let baseline = match job {
                Job::Retrain => deps
                    .store
                    .latest_artifact_time(&ArtifactKind::Churn.to_string())
                    .ok()
                    .flatten()
                    .map_or(now, |t| t.min(now)),
                _ => now,
            };
            record_run(deps, job, baseline);
            continue;
        }
        if !job.is_due(&deps.settings.alerts, last, now)
            || (job == Job::Retention && deps.settings.privacy.retention_days == 0)
        {
            continue;
        }
        let _working = deps.quiesce.read().await;
        match run_job(engine, job, now).await {
            Ok(()) => {
                record_run(deps, job, now);
                report.ran.push(job.name());
                tracing::info!(job = job.name(), "scheduled job ran");
            }
            Err(e) => tracing::error!(job = job.name(), error = %e, "scheduled job failed"),
        }
    }
    report
}

/// Remembers a run; if that fails the job may run again at the next tick, which each job
/// tolerates (the digest skips customers already reported).
fn record_run(deps: &crate::engine::Deps, job: Job, at: DateTime<Utc>) {
    if let Err(e) = deps.store.set_job_last_run(job.name(), at) {
        tracing::error!(job = job.name(), error = %e, "recording the job's run failed");
    }
}

/// One job's work, off the async threads where it blocks.
async fn run_job(engine: &Engine, job: Job, now: DateTime<Utc>) -> Result<(), JobError> {
    let deps = engine.deps();
    if job == Job::Retrain {
        return retrain(engine, now).await;
    }
    let store = deps.store.clone();
    let settings = deps.settings.clone();
    tokio::task::spawn_blocking(move || -> Result<(), JobError> {
        match job {
            Job::Digest => {
                if training::stored_models(&store)?.is_some() {
                    jobs::digest(&store, &settings, now, true)?;
                }
            }
            Job::SlaCheck => {
                jobs::sla_check(&store, &settings, now)?;
            }
            Job::Retention => {
                let days = i64::from(settings.privacy.retention_days);
                store.remove_texts_before(now - chrono::Duration::days(days))?;
            }
            Job::Retrain => unreachable!("retraining runs above"),
        }
        Ok(())
    })
    .await?
}

/// Retrains the models and swaps them into the engine.
async fn retrain(engine: &Engine, now: DateTime<Utc>) -> Result<(), JobError> {
    let deps = engine.deps();
    let store = deps.store.clone();
    let settings = deps.settings.models.clone();
    let models = tokio::task::spawn_blocking(move || {
        training::train(&store, &settings, now, false)?;
        training::stored_models(&store)
    })
    .await??;
    *deps.models.write().unwrap_or_else(|e| e.into_inner()) = models.map(std::sync::Arc::new);
    Ok(())
}

/// Ticks until `shutdown` completes.
pub async fn run(engine: Engine, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = interval.tick() => {
                let now = engine.deps().clock.now();
                tick(&engine, now).await;
            }
        }
    }
}
