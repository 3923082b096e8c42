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
use crate::training;

/// How often the loop looks for due jobs.
pub const TICK: Duration = Duration::from_secs(30);

/// What one tick ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub ran: Vec<&'static str>,
}

/// Runs every job that is due at `now`. Errors are logged; a failed job is tried again at
/// the next tick.
pub async fn tick(engine: &Engine, now: DateTime<Utc>) -> TickReport {
    let deps = engine.deps();
    let settings = deps.settings.clone();
    let mut report = TickReport::default();
    for job in [Job::Digest, Job::SlaCheck, Job::Retrain, Job::Retention] {
        let last = deps.store.job_last_run(job.name()).unwrap_or(None);
        if job == Job::Digest && last.is_none() {
            // The first digest goes out at the next digest time, not at start-up.
            let _ = deps.store.set_job_last_run(job.name(), now);
            continue;
        }
        if job == Job::Retrain && last.is_none() {
            // The first retrain is due `retrain_hours` after the models were trained (when
            // the store was seeded or by `crmbot train`), or after this first start.
            let trained = deps.store.latest_artifact_time("churn").ok().flatten();
            let _ = deps
                .store
                .set_job_last_run(job.name(), trained.unwrap_or(now).min(now));
            continue;
        }
        if !job.is_due(&settings.alerts, last, now) {
            continue;
        }
        if job == Job::Retention && settings.privacy.retention_days == 0 {
            continue;
        }
        let _working = deps.quiesce.read().await;
        let store = deps.store.clone();
        let job_settings = settings.clone();
        let result: Result<(), String> = tokio::task::spawn_blocking(move || match job {
            Job::Digest => {
                if training::stored_models(&store).ok().flatten().is_none() {
                    return Ok(());
                }
                jobs::digest(&store, &job_settings, now, true)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Job::SlaCheck => jobs::sla_check(&store, &job_settings, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Job::Retention => {
                let cutoff =
                    now - chrono::Duration::days(i64::from(job_settings.privacy.retention_days));
                store
                    .remove_texts_before(cutoff)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Job::Retrain | Job::Deliver => Ok(()),
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
        let result = match (job, result) {
            (Job::Retrain, Ok(())) => retrain(engine, now).await,
            (_, r) => r,
        };
        match result {
            Ok(()) => {
                let _ = deps.store.set_job_last_run(job.name(), now);
                report.ran.push(job.name());
                tracing::info!(job = job.name(), "scheduled job ran");
            }
            Err(e) => tracing::error!(job = job.name(), error = %e, "scheduled job failed"),
        }
    }
    report
}

/// Retrains the models and swaps them into the engine.
async fn retrain(engine: &Engine, now: DateTime<Utc>) -> Result<(), String> {
    let deps = engine.deps();
    let store = deps.store.clone();
    let settings = deps.settings.models.clone();
    let models = tokio::task::spawn_blocking(move || {
        training::train(&store, &settings, now, false)?;
        training::stored_models(&store)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
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
