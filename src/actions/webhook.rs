//! The shop's action endpoint: one JSON POST per confirmed action, signed with HMAC-SHA256
//! over the body (`X-Crmbot-Signature: sha256=HEX`) with the shared secret from
//! `CRMBOT_ACTIONS_SECRET`, and the action id as `Idempotency-Key`, so a retried action is
//! carried out once by the shop as well. A timeout or a non-2xx answer is an error: the
//! engine then records nothing and opens a ticket.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{ActionBackend, ActionError, ActionFuture, ActionReceipt, ActionRequest};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-crmbot-signature";
/// The idempotency header (the action id).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Posts actions to the shop.
pub struct WebhookBackend {
    client: reqwest::Client,
    url: String,
    secret: Vec<u8>,
    timeout_ms: u64,
}

impl WebhookBackend {
    pub fn new(url: String, secret: Vec<u8>, timeout_ms: u64) -> Result<Self, ActionError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout_ms))
            .build()
            .map_err(|e| ActionError::Unreachable(e.to_string()))?;
        Ok(WebhookBackend {
            client,
            url,
            secret,
            timeout_ms,
        })
    }

    async fn post(&self, request: &ActionRequest) -> Result<ActionReceipt, ActionError> {
        let body =
            serde_json::to_vec(request).map_err(|e| ActionError::BadAnswer(e.to_string()))?;
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, &body))
            .header(IDEMPOTENCY_HEADER, &request.id)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ActionError::Rejected {
                status: status.as_u16(),
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ActionReceipt::default());
        }
        serde_json::from_slice(&bytes).map_err(|e| ActionError::BadAnswer(e.to_string()))
    }

    fn transport_error(&self, e: reqwest::Error) -> ActionError {
        if e.is_timeout() {
            ActionError::Timeout {
                ms: self.timeout_ms,
            }
        } else {
            ActionError::Unreachable(e.without_url().to_string())
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl ActionBackend for WebhookBackend {
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ActionFuture<'a> {
        Box::pin(self.post(request))
    }
}
