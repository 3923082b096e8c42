//! The adversarial suite: each hole found by the hardening pass, as a test a user (or an
//! attacker) would notice: guessing link codes across users and new codes, and reusing an
//! idempotency key with another body, another token or concurrently.

use chrono::Duration;
use crmbot::engine::text::Reply;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::Harness;

/// The HTTP API over `harness`'s engine on a loopback port.
async fn serve(harness: &Harness) -> (String, tokio::sync::oneshot::Sender<()>) {
    use crmbot::api::{self, ApiState, ApiTokens};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ApiState::new(
        harness.engine.clone(),
        ApiTokens::new(["s3cret".to_owned(), "other".to_owned()]),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(api::serve(listener, state, async {
        let _ = stopped.await;
    }));
    (base, stop)
}

async fn chat(client: &reqwest::Client, base: &str, user: &str, text: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/chat"))
        .bearer_auth("s3cret")
        .json(&json!({ "user_id": user, "text": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["replies"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Every code ever sent to `email`, from the outbox.
fn codes_sent(h: &Harness, email: &str) -> Vec<String> {
    h.store
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|i| i.chat == email && i.kind == "link_code")
        .filter_map(|i| {
            i.text
                .split_whitespace()
                .find(|w| w.len() == 7 && w[..6].chars().all(|c| c.is_ascii_digit()))
                .map(|w| w[..6].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn ten_thousand_wrong_codes_across_users_and_new_codes_link_nothing() {
    let h = Harness::new();
    let (base, _stop) = serve(&h).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let users: Vec<String> = (0..8).map(|u| format!("attacker-{u}")).collect();
    let victim = "olivia@example.com";
    let (mut guesses, mut locked_replies, mut next_guess) = (0u32, Vec::new(), 0u32);
    let mut round = 0usize;
    while guesses < 10_000 {
        let user = &users[round % users.len()];
        round += 1;
        // Two minutes of attack: 12 ms of the injected clock per request.
        h.clock.advance(Duration::milliseconds(12));
        let asked = chat(&client, &base, user, &format!("my email is {victim}")).await;
        if asked.starts_with("There have been too many") {
            locked_replies.push(asked);
        }
        for _ in 0..5 {
            let sent = codes_sent(&h, victim);
            let guess = loop {
                let g = format!("{:06}", next_guess % 1_000_000);
                next_guess += 1;
                if !sent.contains(&g) {
                    break g;
                }
            };
            h.clock.advance(Duration::milliseconds(12));
            let reply = chat(&client, &base, user, &guess).await;
            guesses += 1;
            assert!(!reply.starts_with("Done, this chat is linked"), "{reply}");
            if reply.starts_with("There have been too many") {
                locked_replies.push(reply);
            }
        }
    }
    // Nobody was linked: every attacker is still a stranger.
    for user in &users {
        let reply = chat(&client, &base, user, "where is my order?").await;
        assert_eq!(reply, Reply::LeadNoAccount.render(Default::default()));
    }
    assert!(
        !h.store
            .audit_since(crate::common::now() - Duration::days(1))
            .unwrap()
            .iter()
            .any(|a| a.action == "identity.link")
    );
    // The attackers were told when to try again, and at most three codes were ever judged.
    // Every request for a new code after the lock-out was refused (2,000 rounds).
    assert!(locked_replies.len() >= 1_999, "{}", locked_replies.len());
    assert!(
        locked_replies[0].contains("try again after 2026-11-27 10:15 UTC"),
        "{}",
        locked_replies[0]
    );
    // The owner was told, at their email; the victim got few code emails, not thousands.
    let outbox = h.store.outbox().unwrap();
    assert!(
        outbox
            .iter()
            .any(|i| i.chat == victim && i.kind == "link_notice" && i.text.contains("wrong codes")),
        "no notice to the owner"
    );
    assert_eq!(codes_sent(&h, victim).len(), 1, "no new code while locked");
}

async fn post_event(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    order: &str,
) -> (StatusCode, Value) {
    let event = json!({"customer_id": 42, "at": "2026-11-20T10:00:00Z", "kind": "purchase", "amount": 12.5, "order_id": order});
    let r = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&event)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_is_bound_to_its_body_token_and_endpoint_and_race_free() {
    let h = Harness::new();
    let (base, _stop) = serve(&h).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let before = h.store.event_count();
    let (status, first) = post_event(&client, &base, "s3cret", "k1", "IDEM-A").await;
    assert_eq!(
        (status, first["accepted"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let (status, other) = post_event(&client, &base, "s3cret", "k1", "IDEM-B").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other["error"]["code"], "idempotency_key_reused");
    assert_eq!(
        post_event(&client, &base, "s3cret", "k1", "IDEM-A").await,
        (StatusCode::OK, first)
    );
    assert_eq!(h.store.event_count(), before + 1, "IDEM-B not stored");
    // Another token's key of the same name is its own.
    let (status, theirs) = post_event(&client, &base, "other", "k1", "IDEM-B").await;
    assert_eq!(
        (status, theirs["accepted"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    // 20 concurrent pairs under one key each: each body stored once, both answers alike.
    let pairs: Vec<_> = (0..20)
        .map(|i| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                let key = format!("pair-{i}");
                let order = format!("PAIR-{i}");
                tokio::join!(
                    post_event(&client, &base, "s3cret", &key, &order),
                    post_event(&client, &base, "s3cret", &key, &order)
                )
            })
        })
        .collect();
    for pair in pairs {
        let (a, b) = pair.await.unwrap();
        assert_eq!(a.0, StatusCode::OK);
        assert_eq!(a, b, "both requests of a pair get the first answer");
        assert_eq!(a.1["accepted"], 1);
    }
    assert_eq!(h.store.event_count(), before + 22);
}
