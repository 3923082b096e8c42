//! Wiring: builds the engine's dependencies from settings, a store and a clock. The binary
//! and the tests use the same functions, so tests run what users run.

use std::sync::Arc;

use thiserror::Error;

use crate::actions::{ActionBackend, BackendKind, SECRET_ENV, StoreBackend, WebhookBackend};
use crate::clock::Clock;
use crate::config::Settings;
use crate::demo::{self, DemoSpec, SeedReport};
use crate::engine::{Deps, Engine};
use crate::knowledge::HelpCentre;
use crate::metrics::Metrics;
use crate::nlu::{Nlu, NluError, NluSettings};
use crate::sentiment::{SentimentAnalyzer, SentimentError};
use crate::store::sealing::MessageKey;
use crate::store::{Store, StoreError, StoreOptions};
use crate::training;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot load the intents from {dir}: {source}")]
    Nlu {
        dir: std::path::PathBuf,
        source: NluError,
    },
    #[error("cannot load the help centre: {0}")]
    Help(#[from] crate::knowledge::ArticleError),
    #[error("cannot load the sentiment model: {0}")]
    Sentiment(#[from] SentimentError),
    #[error("cannot load the customer models: {0}")]
    Models(training::TrainError),
    #[error("cannot set up the action backend: {0}")]
    Actions(String),
    #[error("CRMBOT_MESSAGE_KEY is invalid: {reason}")]
    MessageKey { reason: String },
}

/// Store options from the settings and `CRMBOT_MESSAGE_KEY` (encryption of message texts).
pub fn store_options(settings: &Settings) -> Result<StoreOptions, AppError> {
    let message_key = match std::env::var("CRMBOT_MESSAGE_KEY") {
        Ok(hex) if !hex.trim().is_empty() => {
            Some(MessageKey::from_hex(&hex).map_err(|reason| AppError::MessageKey { reason })?)
        }
        _ => None,
    };
    Ok(StoreOptions {
        path: settings.store.path.clone(),
        cache_capacity_mb: settings.store.cache_capacity_mb,
        temporary: false,
        message_key,
    })
}

/// Opens the store named by the settings.
pub fn open_store(settings: &Settings) -> Result<Store, AppError> {
    Ok(Store::open(&store_options(settings)?)?)
}

/// Builds the engine over an open store, with the action backend the settings name.
pub fn build_engine(
    settings: Arc<Settings>,
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<Engine, AppError> {
    build_engine_with_actions(settings, store, clock, None)
}

/// The action backend of the settings: built in, or the shop's webhook (URL from the
/// config, secret from `CRMBOT_ACTIONS_SECRET`).
pub fn action_backend(
    settings: &Settings,
    store: &Store,
) -> Result<Arc<dyn ActionBackend>, AppError> {
    let config = &settings.actions;
    Ok(match config.backend {
        BackendKind::Store => Arc::new(StoreBackend::new(store.clone())),
        BackendKind::Webhook => {
            let url = config.webhook_url.clone().ok_or_else(|| {
                AppError::Actions("actions.backend = \"webhook\" needs actions.webhook_url".into())
            })?;
            let secret = std::env::var(SECRET_ENV)
                .ok()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| {
                    AppError::Actions(format!("the action webhook needs {SECRET_ENV}"))
                })?;
            let backend = WebhookBackend::new(url, secret.into_bytes(), config.timeout_ms)
                .map_err(|e| AppError::Actions(e.to_string()))?;
            Arc::new(backend)
        }
    })
}

/// Builds the engine over an open store; `actions` replaces the configured backend.
pub fn build_engine_with_actions(
    settings: Arc<Settings>,
    store: Store,
    clock: Arc<dyn Clock>,
    actions: Option<Arc<dyn ActionBackend>>,
) -> Result<Engine, AppError> {
    let nlu_settings = NluSettings {
        default_language: settings.engine.default_language,
        ..NluSettings::default()
    };
    let nlu = if settings.intents_dir.is_dir() {
        Nlu::load(&settings.intents_dir, nlu_settings, &demo::product_names())
    } else if settings.intents_dir == std::path::Path::new("intents") {
        // Run away from the source tree with the default setting: the shipped intents.
        tracing::info!("no intents/ directory here: using the intents built into crmbot");
        Nlu::load_embedded(nlu_settings, &demo::product_names())
    } else {
        Nlu::load(&settings.intents_dir, nlu_settings, &demo::product_names())
    }
    .map_err(|source| AppError::Nlu {
        dir: settings.intents_dir.clone(),
        source,
    })?;
    let help = load_help(&settings)?;
    let sentiment = SentimentAnalyzer::new()?;
    let actions = match actions {
        Some(backend) => backend,
        None => action_backend(&settings, &store)?,
    };
    let models = training::stored_models(&store).map_err(AppError::Models)?;
    Ok(Engine::new(Deps {
        store,
        nlu: Arc::new(nlu),
        help: Arc::new(help),
        sentiment: Arc::new(sentiment),
        clock,
        settings,
        metrics: Arc::new(Metrics::default()),
        models: training::models_handle(models),
        quiesce: Arc::default(),
        actions,
    }))
}

/// The help centre from `[help] dir`, or the articles built into crmbot when the default
/// folder is missing (a run away from the source tree).
pub fn load_help(settings: &Settings) -> Result<HelpCentre, AppError> {
    let help = &settings.help;
    let default = crate::knowledge::HelpSettings::default().dir;
    Ok(if !help.dir.is_dir() && help.dir == default {
        HelpCentre::load_embedded(help.clone())?
    } else {
        HelpCentre::load(&help.dir, help.clone())?
    })
}

/// Seeds demo customers when the store is empty; `None` when it already had customers.
pub fn seed_if_empty(
    store: &Store,
    settings: &Settings,
    clock: &dyn Clock,
) -> Result<Option<SeedReport>, StoreError> {
    if store.customer_count() > 0 {
        return Ok(None);
    }
    let spec = DemoSpec {
        customers: settings.demo.customers,
        seed: settings.demo.seed,
        as_of: demo::reference_day(clock.now()),
    };
    let report = demo::seed_store(store, &spec)?;
    seed_demo_staff(store, settings)?;
    Ok(Some(report))
}

/// The demo team, when neither the config nor the store names any staff: alice (manager)
/// and bob (agent), so the console shows both roles. Other console names get agent rights.
fn seed_demo_staff(store: &Store, settings: &Settings) -> Result<(), StoreError> {
    if !settings.staff.is_empty() || !store.staff::<crate::config::StaffMember>()?.is_empty() {
        return Ok(());
    }
    for (name, role) in [
        ("alice", crate::domain::StaffRole::Manager),
        ("bob", crate::domain::StaffRole::Agent),
    ] {
        let member = crate::config::StaffMember {
            name: name.into(),
            role,
            telegram: None,
            discord: None,
        };
        store.put_staff(name, &member)?;
    }
    Ok(())
}
