//! The API's handlers. They translate HTTP to the store, the importers and the engine;
//! the decisions stay there.

use std::path::Path;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiState, Refusal, Scope};
use crate::domain::{Channel, CustomerId};
use crate::engine::{Body as MessageBody, Inbound, Sender};
use crate::import::{self, ImportOptions, ImportReport, Rows};

/// A group of routes and the scope its callers' token must hold.
#[derive(Clone)]
pub struct Gate {
    pub state: ApiState,
    pub scope: Scope,
}

pub async fn require_token(
    State(gate): State<Gate>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().as_bytes().to_vec())
        .unwrap_or_default();
    match gate.state.tokens.check(&presented, gate.scope) {
        Ok(()) => Ok(next.run(request).await),
        Err(Refusal::Unknown) => Err(ApiError::Unauthorized),
        Err(Refusal::Lacks(scope)) => Err(ApiError::Forbidden(scope)),
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })
}

/// A request body read within `http.body_timeout_secs` overall (a client trickling one
/// byte at a time is cut off) and within `http.max_body_bytes`.
pub struct TimedBody(pub Bytes);

impl axum::extract::FromRequest<ApiState> for TimedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, ApiError> {
        let seconds = state.engine.deps().settings.http.body_timeout_secs.max(1);
        match tokio::time::timeout(
            std::time::Duration::from_secs(seconds),
            Bytes::from_request(request, state),
        )
        .await
        {
            Err(_) => Err(ApiError::BodyTimeout),
            Ok(body) => body_bytes(body).map(TimedBody),
        }
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

fn body_json(body: TimedBody) -> Result<Value, ApiError> {
    parse_json(&body.0)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::BadRequest("Idempotency-Key must be text".into()))?
                .trim();
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 200 characters".into(),
                ));
            }
            Ok(Some(key.to_owned()))
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored name of an idempotency key: per token (hashed) and endpoint.
fn scoped_key(headers: &HeaderMap, endpoint: &str, key: &str) -> String {
    let token = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    format!("{}:{endpoint}:{key}", &hex_sha256(token)[..16])
}

/// Runs an import of request rows, remembering the answer under the idempotency key.
async fn ingest(
    state: ApiState,
    headers: HeaderMap,
    body: TimedBody,
    customers: bool,
) -> Result<Response, ApiError> {
    let endpoint = if customers { "customers" } else { "events" };
    let key = idempotency_key(&headers)?.map(|k| scoped_key(&headers, endpoint, &k));
    let body = body.0;
    let body_hash = hex_sha256(&body);
    let _one_at_a_time = match &key {
        Some(_) => Some(state.idempotency.lock().await),
        None => None,
    };
    let store = state.engine.deps().store.clone();
    if let Some(key) = &key
        && let Some((status, seen)) = store.idempotent_response(key)?
    {
        if seen["body_sha256"] != body_hash.as_str() {
            return Err(ApiError::KeyReused);
        }
        return Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            Json(seen["answer"].clone()),
        )
            .into_response());
    }
    let rows = Rows::from_json(&parse_json(&body)?);
    if rows.records.is_empty() {
        return Err(ApiError::BadRequest("the body holds no records".into()));
    }
    let now = state.engine.deps().clock.now();
    let import_store = store.clone();
    let limits = state.engine.deps().settings.import.clone();
    let _working = state.engine.deps().quiesce.read().await;
    let report: ImportReport = tokio::task::spawn_blocking(move || {
        let options = ImportOptions {
            limits,
            ..Default::default()
        };
        let source = Path::new("request");
        if customers {
            import::import_customer_rows(&import_store, source, &rows, &options, now, &mut |_| {})
        } else {
            import::import_event_rows(&import_store, source, &rows, &options, now, &mut |_| {})
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    if !report.committed {
        return Err(ApiError::InvalidRows(report.bad_rows));
    }
    let answer = json!({ "accepted": report.imported, "already_present": report.already_present });
    if let Some(key) = &key {
        let seen = json!({ "body_sha256": body_hash, "answer": answer });
        store.remember_response(key, 200, &seen)?;
        store.durable().await?;
    }
    Ok((StatusCode::OK, Json(answer)).into_response())
}

pub async fn post_events(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: TimedBody,
) -> Result<Response, ApiError> {
    ingest(state, headers, body, false).await
}

pub async fn post_customers(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: TimedBody,
) -> Result<Response, ApiError> {
    ingest(state, headers, body, true).await
}

pub async fn get_customer(
    State(state): State<ApiState>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id
        .parse::<u64>()
        .map_err(|_| ApiError::BadRequest(format!("customer ids are whole numbers, got {id:?}")))?;
    let store = &state.engine.deps().store;
    let customer = store
        .customer(CustomerId(id))?
        .ok_or_else(|| ApiError::NotFound(format!("there is no customer {id}")))?;
    let mut events = store.recent_events_of(customer.id, 100)?;
    events.reverse();
    let interactions = store.recent_interactions_of(customer.id, 100)?;
    let score: Option<Value> = store.score(customer.id)?;
    Ok(Json(json!({
        "customer": customer,
        "recent_events": events,
        "interactions": interactions,
        "score": score,
    })))
}

#[derive(Debug, Deserialize)]
pub struct AtRiskQuery {
    top: Option<usize>,
    segment: Option<String>,
}

/// Customers ranked by expected loss, from the stored model scores (the same list staff
/// see with `/atrisk`).
pub async fn get_at_risk(
    State(state): State<ApiState>,
    Query(query): Query<AtRiskQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.deps().store.clone();
    let now = state.engine.deps().clock.now();
    let top = query.top.unwrap_or(20).min(1000);
    let list = tokio::task::spawn_blocking(move || {
        crate::insights::at_risk(&store, now, top, query.segment.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let list: Vec<Value> = list
        .into_iter()
        .map(|l| {
            json!({
                "customer": l.id,
                "name": l.name,
                "expected_loss": l.expected_loss,
                "churn_probability": l.churn_probability,
                "clv": l.clv,
                "segment": l.segment,
                "stage": l.stage,
                "reasons": l.reasons,
                "suggested_action": l.suggested_action,
            })
        })
        .collect();
    Ok(Json(json!({ "customers": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The chat user's id in the calling system.
    user_id: String,
    #[serde(default)]
    name: Option<String>,
    text: String,
}

pub async fn post_chat(
    State(state): State<ApiState>,
    body: TimedBody,
) -> Result<Json<Value>, ApiError> {
    let request: ChatRequest = serde_json::from_value(body_json(body)?)
        .map_err(|e| ApiError::BadRequest(format!("expected {{user_id, text}}: {e}")))?;
    let at = state.engine.deps().clock.now();
    let outcome = state
        .engine
        .handle(Inbound {
            channel: Channel::Http,
            chat: request.user_id.clone(),
            sender: Sender::ChatUser {
                display_name: request.name.unwrap_or_default(),
                user_id: request.user_id.clone(),
            },
            body: MessageBody::Text(request.text),
            at,
            origin: Default::default(),
        })
        .await;
    let (mine, elsewhere): (Vec<_>, Vec<_>) = outcome
        .messages
        .into_iter()
        .partition(|m| m.to.channel == Channel::Http && m.to.chat == request.user_id);
    state.router.post_outcome(crate::engine::Outcome {
        messages: elsewhere,
    });
    let mut replies: Vec<Value> = state
        .mailbox
        .take(&request.user_id)
        .into_iter()
        .map(|w| json!({ "text": w.text, "buttons": w.buttons }))
        .collect();
    replies.extend(
        mine.iter()
            .map(|m| json!({ "text": m.text, "buttons": m.buttons })),
    );
    Ok(Json(json!({ "replies": replies })))
}

/// What was said to an HTTP chat user since they last asked (a person's reply to their
/// ticket, the satisfaction question), oldest first; each message is returned once.
pub async fn get_chat(
    State(state): State<ApiState>,
    UrlPath(user_id): UrlPath<String>,
) -> Json<Value> {
    let messages: Vec<Value> = state
        .mailbox
        .take(&user_id)
        .into_iter()
        .map(|w| json!({ "text": w.text, "buttons": w.buttons }))
        .collect();
    Json(json!({ "messages": messages }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Name of a new directory under the configured backup root.
    dir: String,
}

/// The backup directory for a requested name: a plain name under the backup root, never a
/// path, never inside the live store.
fn backup_dir(state: &ApiState, name: &str) -> Result<std::path::PathBuf, ApiError> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return Err(ApiError::BadRequest(format!(
            "backup names are 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'; got {name:?}"
        )));
    }
    let deps = state.engine.deps();
    let root = &deps.settings.http.backup_root;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    if absolute(root).starts_with(absolute(deps.store.path())) {
        return Err(ApiError::BadRequest(
            "the configured backup root lies inside the live store".into(),
        ));
    }
    Ok(root.join(name))
}

/// A consistent backup while the bot runs (used by `crmbot backup` when the store is busy).
pub async fn post_backup(
    State(state): State<ApiState>,
    body: TimedBody,
) -> Result<Json<Value>, ApiError> {
    let request: BackupRequest = serde_json::from_value(body_json(body)?)
        .map_err(|e| ApiError::BadRequest(format!("expected {{dir}}: {e}")))?;
    let dir = backup_dir(&state, &request.dir)?;
    let report = state.engine.backup(dir).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(m) => ApiError::BadRequest(m),
        other => ApiError::Internal(other.to_string()),
    })?;
    Ok(Json(json!(report)))
}

pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

pub async fn healthz(State(state): State<ApiState>) -> Json<Value> {
    let store = &state.engine.deps().store;
    Json(json!({ "status": "ok", "customers": store.customer_count() }))
}

pub async fn metrics(State(state): State<ApiState>) -> Response {
    let deps = state.engine.deps();
    if let Ok(size) = deps.store.size_on_disk() {
        deps.metrics.store_bytes.set(size as i64);
    }
    if let Ok(Some(trained)) = deps.store.latest_artifact_time("churn") {
        deps.metrics
            .model_age_seconds
            .set((deps.clock.now() - trained).num_seconds());
    }
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(Body::from(deps.metrics.encode()))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /api/v1/openapi.json".into())
}
