//! The HTTP API (axum): ingest of events and customers from shops and billing systems,
//! customer lookups, the at-risk list, an HTTP chat channel, health and Prometheus metrics.
//!
//! Every `/api/v1` route needs a bearer token from `CRMBOT_API_TOKENS` (compared in
//! constant time) holding the route's scope (see `tokens`). Bodies are limited in size; errors are JSON with a stable `code`. An
//! ingest is answered only after it is durable; an `Idempotency-Key` (scoped to the token
//! and the endpoint, bound to a hash of the body) makes a retried request return the first
//! answer instead of importing again, and another body under a used key is refused (422).

mod error;
mod routes;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::channels::http_mailbox::HttpMailbox;
use crate::channels::router::Router as ChannelRouter;
use crate::engine::Engine;

pub use error::ApiError;
pub use tokens::{ApiTokens, Refusal, Scope, TokenError};

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
    /// Seconds a client may take to send a whole request body (longer: 408). Headers must
    /// arrive within 30 seconds (hyper's limit).
    pub body_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            enabled: false,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            backup_root: std::path::PathBuf::from("backups"),
            body_timeout_secs: 10,
        }
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
    /// Where the engine's messages to other chats go (a ticket opened over HTTP chat
    /// reaches the staff channels like any other).
    pub router: ChannelRouter,
    /// Messages for HTTP chat users said later than the immediate answer.
    pub mailbox: Arc<HttpMailbox>,
}

impl ApiState {
    pub fn new(engine: Engine, tokens: ApiTokens) -> ApiState {
        ApiState {
            engine,
            tokens: Arc::new(tokens),
            idempotency: Arc::default(),
            router: ChannelRouter::default(),
            mailbox: Arc::default(),
        }
    }

    /// Delivers what the HTTP chat causes elsewhere through `router`, whose `http` outbox
    /// is `mailbox` (see [`HttpMailbox`]).
    pub fn with_delivery(mut self, router: ChannelRouter, mailbox: Arc<HttpMailbox>) -> ApiState {
        self.router = router;
        self.mailbox = mailbox;
        self
    }
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    let limit = state.engine.deps().settings.http.max_body_bytes;
    let gated = |scope: Scope, routes: Router<ApiState>| {
        routes.route_layer(axum::middleware::from_fn_with_state(
            routes::Gate {
                state: state.clone(),
                scope,
            },
            routes::require_token,
        ))
    };
    let api = Router::new()
        .merge(gated(
            Scope::Ingest,
            Router::new()
                .route("/events", post(routes::post_events))
                .route("/customers", post(routes::post_customers)),
        ))
        .merge(gated(
            Scope::Read,
            Router::new()
                .route("/customers/{id}", get(routes::get_customer))
                .route("/at-risk", get(routes::get_at_risk)),
        ))
        .merge(gated(
            Scope::Chat,
            Router::new()
                .route("/chat", post(routes::post_chat))
                .route("/chat/{user_id}", get(routes::get_chat)),
        ))
        .merge(gated(
            Scope::Admin,
            Router::new().route("/admin/backup", post(routes::post_backup)),
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
