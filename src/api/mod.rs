//! The HTTP API (axum): ingest of events and customers from shops and billing systems,
//! customer lookups, the at-risk list, an HTTP chat channel, health and Prometheus metrics.
//!
//! Every `/api/v1` route needs a bearer token from `CRMBOT_API_TOKENS` (compared in
//! constant time). Bodies are limited in size; errors are JSON with a stable `code`. An
//! ingest is answered only after it is durable; an `Idempotency-Key` (scoped to the token
//! and the endpoint, bound to a hash of the body) makes a retried request return the first
//! answer instead of importing again, and another body under a used key is refused (422).

mod error;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::engine::Engine;

pub use error::ApiError;

/// HTTP settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Serve the HTTP API in `crmbot run`.
    pub enabled: bool,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Largest accepted request body in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// `POST /api/v1/admin/backup` writes only into a new directory of this one, named by
    /// the request (letters, digits, `-`, `_`, `.`; no path).
    pub backup_root: std::path::PathBuf,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            enabled: false,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            backup_root: std::path::PathBuf::from("backups"),
        }
    }
}

/// Bearer tokens accepted by the API, from `CRMBOT_API_TOKENS` (comma-separated).
#[derive(Clone, Default)]
pub struct ApiTokens(Vec<Vec<u8>>);

impl ApiTokens {
    pub fn new(tokens: impl IntoIterator<Item = String>) -> Self {
        ApiTokens(
            tokens
                .into_iter()
                .map(|t| t.trim().as_bytes().to_vec())
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    pub fn from_env() -> Self {
        Self::new(
            std::env::var("CRMBOT_API_TOKENS")
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned),
        )
    }

    /// Whether `presented` is one of the tokens; every comparison takes the same time.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        self.0.iter().fold(0u8, |found, t| {
            found | t.as_slice().ct_eq(presented).unwrap_u8()
        }) == 1
    }
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokens({} tokens)", self.0.len())
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub engine: Engine,
    pub tokens: Arc<ApiTokens>,
    /// Held from the look-up of an idempotency key to the storing of its answer, so two
    /// concurrent requests with one key import once.
    pub idempotency: Arc<tokio::sync::Mutex<()>>,
}

impl ApiState {
    pub fn new(engine: Engine, tokens: ApiTokens) -> ApiState {
        ApiState {
            engine,
            tokens: Arc::new(tokens),
            idempotency: Arc::default(),
        }
    }
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    let limit = state.engine.deps().settings.http.max_body_bytes;
    let api = Router::new()
        .route("/events", post(routes::post_events))
        .route("/customers", post(routes::post_customers))
        .route("/customers/{id}", get(routes::get_customer))
        .route("/at-risk", get(routes::get_at_risk))
        .route("/chat", post(routes::post_chat))
        .route("/admin/backup", post(routes::post_backup))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::require_token,
        ));
    Router::new()
        .nest("/api/v1", api)
        .route("/api/v1/openapi.json", get(routes::openapi))
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly() {
        let tokens = ApiTokens::new(["alpha".to_owned(), " beta ".to_owned(), String::new()]);
        assert!(tokens.accepts(b"alpha") && tokens.accepts(b"beta"));
        assert!(!tokens.accepts(b"alph") && !tokens.accepts(b"alphaa") && !tokens.accepts(b""));
        assert!(!ApiTokens::default().accepts(b""));
    }
}
