//! API errors: a stable machine-readable code, a message for people, an HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::import::RowError;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    /// The token is valid but lacks the route's scope.
    Forbidden(super::Scope),
    NotFound(String),
    BadRequest(String),
    /// The body is larger than the configured limit.
    TooLarge,
    /// The body did not arrive within `http.body_timeout_secs`.
    BodyTimeout,
    /// Some rows were invalid; nothing was stored.
    InvalidRows(Vec<RowError>),
    /// The Idempotency-Key was used before with another body.
    KeyReused,
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer TOKEN)".into(),
            ),
            ApiError::Forbidden(scope) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "this token lacks the {scope} scope (CRMBOT_API_TOKENS entry {scope}:SECRET)"
                ),
            ),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than the limit".into(),
            ),
            ApiError::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body did not arrive in time (http.body_timeout_secs)".into(),
            ),
            ApiError::InvalidRows(rows) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rows",
                format!("{} invalid rows; nothing was stored", rows.len()),
            ),
            ApiError::KeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with another body; use a new key".into(),
            ),
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side".into(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let mut body = json!({ "error": { "code": code, "message": message } });
        if let ApiError::InvalidRows(rows) = &self {
            body["error"]["rows"] = json!(rows);
        }
        (status, Json(body)).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::import::ImportError> for ApiError {
    fn from(e: crate::import::ImportError) -> Self {
        ApiError::Internal(e.to_string())
    }
}
