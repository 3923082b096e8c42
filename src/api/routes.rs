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

use super::{ApiError, ApiState};
use crate::domain::{Channel, CustomerId};
use crate::engine::{Body as MessageBody, Inbound, Sender};
use crate::import::{self, ImportOptions, ImportReport, Rows};
use crate::routing::CustomerRisk;

pub async fn require_token(
    State(state): State<ApiState>,
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
    if !state.tokens.accepts(&presented) {
        return Err(ApiError::Unauthorized);
    }
    Ok(next.run(request).await)
}

fn body_json(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
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

/// Runs an import of request rows, remembering the answer under the idempotency key.
async fn ingest(
    state: ApiState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    customers: bool,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let store = state.engine.deps().store.clone();
    if let Some(key) = &key
        && let Some((status, body)) = store.idempotent_response(key)?
    {
        return Ok((
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            Json(body),
        )
            .into_response());
    }
    let rows = Rows::from_json(&body_json(body)?);
    if rows.records.is_empty() {
        return Err(ApiError::BadRequest("the body holds no records".into()));
    }
    let now = state.engine.deps().clock.now();
    let import_store = store.clone();
    let _working = state.engine.deps().quiesce.read().await;
    let report: ImportReport = tokio::task::spawn_blocking(move || {
        let options = ImportOptions::default();
        let source = Path::new("request");
        if customers {
            import::import_customer_rows(&import_store, source, &rows, &options, now, &mut |_| {})
        } else {
            import::import_event_rows(&import_store, source, &rows, &options, &mut |_| {})
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    if !report.committed {
        return Err(ApiError::InvalidRows(report.bad_rows));
    }
    let answer = json!({ "accepted": report.imported, "already_present": report.already_present });
    if let Some(key) = &key {
        store.remember_response(key, 200, &answer)?;
        store.durable().await?;
    }
    Ok((StatusCode::OK, Json(answer)).into_response())
}

pub async fn post_events(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    ingest(state, headers, body, false).await
}

pub async fn post_customers(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
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

pub async fn get_at_risk(
    State(state): State<ApiState>,
    Query(query): Query<AtRiskQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.engine.deps().store;
    let mut ranked: Vec<(CustomerId, CustomerRisk)> = Vec::new();
    for item in store.scores::<CustomerRisk>() {
        let (id, risk) = item?;
        if query.segment.as_deref().is_some_and(|s| {
            !risk
                .segment
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(s))
        }) {
            continue;
        }
        ranked.push((id, risk));
    }
    let loss = |r: &CustomerRisk| r.churn_probability.unwrap_or(0.0) * r.clv.unwrap_or(0.0);
    ranked.sort_by(|a, b| loss(&b.1).total_cmp(&loss(&a.1)));
    ranked.truncate(query.top.unwrap_or(20).min(1000));
    let list: Vec<Value> = ranked
        .into_iter()
        .map(|(id, r)| json!({ "customer": id, "expected_loss": loss(&r), "risk": r }))
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
    body: Result<Bytes, BytesRejection>,
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
    let replies: Vec<Value> = outcome
        .messages
        .iter()
        .filter(|m| m.to.channel == Channel::Http && m.to.chat == request.user_id)
        .map(|m| json!({ "text": m.text, "buttons": m.buttons }))
        .collect();
    Ok(Json(json!({ "replies": replies })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Directory on the bot's machine for the backup (created; must not hold one yet).
    dir: String,
}

/// A consistent backup while the bot runs (used by `crmbot backup` when the store is busy).
pub async fn post_backup(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let request: BackupRequest = serde_json::from_value(body_json(body)?)
        .map_err(|e| ApiError::BadRequest(format!("expected {{dir}}: {e}")))?;
    let report = state
        .engine
        .backup(std::path::PathBuf::from(&request.dir))
        .await
        .map_err(|e| match e {
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
