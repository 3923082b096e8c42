//! A fake shop action endpoint on 127.0.0.1: checks the HMAC signature of every request,
//! carries out each idempotency key once (answering repeats with the first receipt), and
//! can be told to stall longer than the bot waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

/// One request the shop received, with whether its signature was valid.
#[derive(Debug, Clone)]
pub struct ShopRequest {
    pub body: Value,
    pub idempotency_key: String,
    pub signature_ok: bool,
}

#[derive(Default)]
struct Inner {
    requests: Vec<ShopRequest>,
    done: HashMap<String, Value>,
}

#[derive(Clone)]
struct Shop {
    secret: Vec<u8>,
    delay: Duration,
    inner: Arc<Mutex<Inner>>,
}

/// A running fake shop.
pub struct FakeShop {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeShop {
    /// Starts a shop that answers after `delay`.
    pub async fn start(secret: &[u8], delay: Duration) -> FakeShop {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shop = Shop {
            secret: secret.to_vec(),
            delay,
            inner: inner.clone(),
        };
        let app = Router::new()
            .route("/actions", post(handle))
            .with_state(shop);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeShop {
            url: format!("http://{addr}/actions"),
            inner,
        }
    }

    pub fn requests(&self) -> Vec<ShopRequest> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Actions carried out (distinct idempotency keys with a valid signature).
    pub fn carried_out(&self) -> usize {
        self.inner.lock().unwrap().done.len()
    }
}

async fn handle(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let signature_ok =
        header("x-crmbot-signature") == crmbot::actions::webhook::sign(&shop.secret, &body);
    let key = header("idempotency-key");
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shop.inner.lock().unwrap().requests.push(ShopRequest {
        body: parsed,
        idempotency_key: key.clone(),
        signature_ok,
    });
    tokio::time::sleep(shop.delay).await;
    if !signature_ok {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let mut inner = shop.inner.lock().unwrap();
    let count = inner.done.len() + 1;
    let receipt = inner
        .done
        .entry(key)
        .or_insert_with(|| json!({ "reference": format!("SHOP-{count:04}") }))
        .clone();
    (StatusCode::OK, receipt.to_string())
}
