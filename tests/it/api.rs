//! The HTTP API on loopback: tokens, size limits, idempotent durable ingest, lookups,
//! HTTP chat, health, metrics and the OpenAPI document.

use std::sync::Arc;

use crmbot::api::{self, ApiState, ApiTokens};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::Harness;

struct Server {
    base: String,
    harness: Harness,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start() -> Server {
    let harness = Harness::new();
    let (base, stop) = serve_engine(
        harness.engine.clone(),
        &[
            "ingest+read+chat+admin:s3cret",
            "ingest:shop-sync",
            "everyday",
        ],
    )
    .await;
    Server {
        base,
        harness,
        stop: Some(stop),
    }
}

/// Serves `engine` on a loopback port; dropping the returned sender stops it.
async fn serve_engine(
    engine: crmbot::engine::Engine,
    tokens: &[&str],
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ApiState::new(engine, ApiTokens::parse(tokens).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (base, stop)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn ingest_needs_a_token_and_is_visible_once_stored() {
    let s = start().await;
    let event = json!({"customer_id": 42, "at": "2026-11-20T10:00:00Z", "kind": "purchase", "amount": 12.5, "order_id": "API-1"});
    let before = s.harness.store.event_count();
    let r = client()
        .post(format!("{}/api/v1/events", s.base))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let wrong = client()
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth("s3cre")
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.harness.store.event_count(), before, "nothing stored");

    let r = client()
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth("s3cret")
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["accepted"], 1);
    let c: Value = client()
        .get(format!("{}/api/v1/customers/42", s.base))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        c["recent_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["order_id"] == "API-1"),
        "{c}"
    );
    let missing = client()
        .get(format!("{}/api/v1/customers/9999", s.base))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_with_413() {
    let s = start().await;
    let huge = format!("[{}]", vec!["{\"customer_id\": 42}"; 500_000].join(","));
    assert!(huge.len() > 10_000_000);
    let r = client()
        .post(format!("{}/api/v1/events", s.base))
        .bearer_auth("s3cret")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "too_large"
    );
}

#[tokio::test]
async fn batches_are_all_or_nothing_and_idempotent() {
    let s = start().await;
    let url = format!("{}/api/v1/events", s.base);
    let bad = json!([
        {"customer_id": 42, "at": "2026-11-21", "kind": "login"},
        {"customer_id": 4242, "at": "2026-11-21", "kind": "login"}
    ]);
    let r = client()
        .post(&url)
        .bearer_auth("s3cret")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["rows"][0]["row"], 2);
    assert!(
        body["error"]["rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown customer 4242")
    );

    let good = json!([
        {"customer_id": 42, "at": "2026-11-21T08:00:00Z", "kind": "login"},
        {"customer_id": 43, "at": "2026-11-21T09:00:00Z", "kind": "survey", "survey": "nps", "score": 9}
    ]);
    let before = s.harness.store.event_count();
    for _ in 0..2 {
        let r = client()
            .post(&url)
            .bearer_auth("s3cret")
            .header("Idempotency-Key", "batch-7")
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<Value>().await.unwrap()["accepted"],
            2,
            "the retry gets the first answer"
        );
    }
    assert_eq!(s.harness.store.event_count(), before + 2);
    let not_json = client()
        .post(&url)
        .bearer_auth("s3cret")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn chat_health_metrics_and_openapi() {
    let s = start().await;
    let r: Value = client()
        .post(format!("{}/api/v1/chat", s.base))
        .bearer_auth("s3cret")
        .json(&json!({"user_id": "web-1", "name": "Visitor", "text": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        r["replies"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Hello"),
        "{r}"
    );
    let health: Value = client()
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let metrics = client()
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("crmbot_messages_total{channel=\"http\",intent=\"greeting\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("crmbot_handle_seconds_bucket"));
    assert!(metrics.contains("crmbot_store_bytes"));
    let doc: Value = client()
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/events"]["post"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_while_chatting_is_consistent_and_restores() {
    let s = start().await;
    let dir = tempfile::tempdir().unwrap();
    let backup = s.harness.dir.path().join("backups").join("backup");
    // Chat traffic in the background while the backup is taken.
    let engine = s.harness.engine.clone();
    let traffic = tokio::spawn(async move {
        for n in 0..40 {
            engine
                .handle(crmbot::engine::Inbound {
                    channel: crmbot::domain::Channel::Console,
                    chat: "customer:42".into(),
                    sender: crmbot::engine::Sender::Customer(crmbot::domain::CustomerId(42)),
                    body: crmbot::engine::Body::Text(format!("where is my order? {n}")),
                    at: crate::common::now(),
                    origin: Default::default(),
                })
                .await;
        }
    });
    let r = client()
        .post(format!("{}/api/v1/admin/backup", s.base))
        .bearer_auth("s3cret")
        .json(&json!({ "dir": "backup" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert!(report["records"].as_u64().unwrap() > 0);
    traffic.await.unwrap();
    let again = client()
        .post(format!("{}/api/v1/admin/backup", s.base))
        .bearer_auth("s3cret")
        .json(&json!({ "dir": "backup" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let (store, restored) = crmbot::store::Store::restore(
        &backup,
        &crmbot::store::StoreOptions::at(dir.path().join("restored")),
    )
    .unwrap();
    assert!(restored.records > 0);
    let verify = store.verify().unwrap();
    assert!(verify.problems.is_empty(), "{:?}", verify.problems);
    // Every message in the backup has its reply: no half-handled message was captured.
    let log = store
        .interactions_of(crmbot::domain::CustomerId(42))
        .unwrap();
    let inbound = log
        .iter()
        .filter(|i| i.direction == crmbot::domain::Direction::Inbound)
        .count();
    let outbound = log
        .iter()
        .filter(|i| i.direction == crmbot::domain::Direction::Outbound)
        .count();
    assert!(outbound >= inbound, "{inbound} in, {outbound} out");
}

#[tokio::test]
async fn at_risk_answers_the_ranked_customers_on_a_trained_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = crmbot::store::Store::open(&crmbot::store::StoreOptions::at(&path)).unwrap();
    let spec = crmbot::demo::DemoSpec {
        customers: 300,
        seed: 42,
        as_of: crmbot::demo::reference_day(crate::common::now()),
    };
    crmbot::demo::seed_store(&store, &spec).unwrap();
    let settings = crate::common::settings(&path);
    crmbot::training::train(&store, &settings.models, crate::common::now(), false).unwrap();
    let engine = crmbot::app::build_engine(
        Arc::new(settings),
        store.clone(),
        Arc::new(crmbot::clock::FixedClock::new(crate::common::now())),
    )
    .unwrap();
    let (base, _stop) = serve_engine(engine, &["s3cret"]).await;
    let r = client()
        .get(format!("{base}/api/v1/at-risk?top=5"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let list = body["customers"].as_array().unwrap();
    assert_eq!(list.len(), 5, "{body}");
    let losses: Vec<f64> = list
        .iter()
        .map(|c| c["expected_loss"].as_f64().unwrap())
        .collect();
    assert!(losses.windows(2).all(|w| w[0] >= w[1]), "{losses:?}");
    assert!(losses[0] > 0.0);
    assert!(
        list.iter()
            .all(|c| c["customer"].as_u64().is_some() && c["stage"].is_string())
    );
}

#[tokio::test]
async fn a_backup_goes_only_into_the_backup_root_and_only_its_owner_reads_it() {
    let s = start().await;
    for bad in ["../x", "/tmp/x", "a/b", ".hidden", "", ".."] {
        let r = client()
            .post(format!("{}/api/v1/admin/backup", s.base))
            .bearer_auth("s3cret")
            .json(&json!({ "dir": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
    }
    assert!(!s.harness.dir.path().join("x").exists());
    assert!(
        !s.harness.dir.path().join("backups").exists(),
        "nothing written"
    );
    let r = client()
        .post(format!("{}/api/v1/admin/backup", s.base))
        .bearer_auth("s3cret")
        .json(&json!({ "dir": "nightly-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let dir = s.harness.dir.path().join("backups").join("nightly-1");
    for file in std::fs::read_dir(&dir).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

#[tokio::test]
async fn each_token_does_only_what_its_scopes_allow() {
    let s = start().await;
    let send = |token: &'static str, method: reqwest::Method, path: &str, body: Value| {
        client()
            .request(method, format!("{}{path}", s.base))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let event = json!({"customer_id": 42, "at": "2026-11-20T10:00:00Z", "kind": "purchase", "amount": 12.5, "order_id": "SYNC-1"});
    // The shop's sync token may ingest and nothing else.
    let r = send("shop-sync", reqwest::Method::POST, "/api/v1/events", event)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(
        "shop-sync",
        reqwest::Method::GET,
        "/api/v1/customers/42",
        json!(null),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("read"));
    let chat = json!({"user_id": "u1", "text": "hello"});
    let r = send(
        "shop-sync",
        reqwest::Method::POST,
        "/api/v1/chat",
        chat.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A token without named scopes reads and chats but never takes backups.
    let r = send(
        "everyday",
        reqwest::Method::GET,
        "/api/v1/customers/42",
        json!(null),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = send("everyday", reqwest::Method::POST, "/api/v1/chat", chat)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for token in ["everyday", "shop-sync"] {
        let r = send(
            token,
            reqwest::Method::POST,
            "/api/v1/admin/backup",
            json!({"dir": "b1"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{token} may not back up");
    }
    assert!(
        !s.harness.dir.path().join("backups").join("b1").exists(),
        "no backup was written"
    );
}
