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
    serve_state(api_state(harness)).await
}

fn api_state(harness: &Harness) -> crmbot::api::ApiState {
    use crmbot::api::{ApiState, ApiTokens};
    ApiState::new(
        harness.engine.clone(),
        ApiTokens::parse(["ingest+read+chat+admin:s3cret", "other"]).unwrap(),
    )
}

async fn serve_state(state: crmbot::api::ApiState) -> (String, tokio::sync::oneshot::Sender<()>) {
    use crmbot::api;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
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

/// Records what the router delivers to one channel.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, String)>>);

impl crmbot::channels::router::Outlet for Recorder {
    type Part = String;

    fn split(&self, message: crmbot::engine::Outbound) -> Vec<String> {
        vec![message.text]
    }

    fn chat_rates(&self, _chat: &str) -> Vec<crmbot::channels::router::Rate> {
        Vec::new()
    }

    fn send<'a>(
        &'a self,
        chat: &'a str,
        part: &'a String,
    ) -> crmbot::channels::router::BoxFuture<'a, Result<(), crmbot::channels::router::DeliveryError>>
    {
        Box::pin(async move {
            self.0.lock().unwrap().push((chat.to_owned(), part.clone()));
            Ok(())
        })
    }
}

async fn eventually<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("did not happen within 4 s");
}

#[tokio::test]
async fn a_ticket_opened_over_http_chat_reaches_staff_and_their_reply_comes_back() {
    use crmbot::channels::http_mailbox::HttpMailbox;
    use crmbot::channels::router::{Outbox, Rate, Router};
    use crmbot::domain::Channel;
    use std::sync::Arc;
    let h = Harness::new();
    let staff = Arc::new(Recorder::default());
    let mailbox = Arc::new(HttpMailbox::default());
    let rate = Rate::new(100, std::time::Duration::from_secs(1));
    let router = Router::new(vec![
        Outbox::new(Channel::Console, staff.clone(), rate),
        Outbox::new(Channel::Http, mailbox.clone(), rate),
    ]);
    let (base, _stop) = serve_state(api_state(&h).with_delivery(router.clone(), mailbox)).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let reply = chat(&client, &base, "web-7", "I want to talk to a human please").await;
    assert!(
        reply.contains('#'),
        "the customer is told of a ticket: {reply}"
    );
    // The card reaches the staff chat like a Telegram customer's would.
    let card = eventually(|| {
        staff
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(chat, text)| chat == "staff" && text.contains("http"))
            .cloned()
    })
    .await;
    let ticket = h.store.tickets(None).unwrap()[0].id;
    assert!(card.1.contains(&format!("#{ticket}")), "{card:?}");
    // A person answers; the customer's system fetches the answer.
    let answer = h
        .say(
            crate::common::Who::Staff("alice"),
            &format!("/reply {ticket} Hello, I am Alice and I can help"),
        )
        .await;
    router.post_outcome(answer);
    let messages = loop {
        let r: Value = client
            .get(format!("{base}/api/v1/chat/web-7"))
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let messages = r["messages"].as_array().cloned().unwrap_or_default();
        if !messages.is_empty() {
            break messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        messages.iter().any(|m| m["text"]
            .as_str()
            .unwrap()
            .contains("I am Alice and I can help")),
        "{messages:?}"
    );
    // Each message is fetched once.
    let again: Value = client
        .get(format!("{base}/api/v1/chat/web-7"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["messages"], json!([]));
}

async fn post_json(client: &reqwest::Client, url: String, body: Value) -> (StatusCode, Value) {
    let r = client
        .post(url)
        .bearer_auth("s3cret")
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn amounts_and_dates_beyond_the_bounds_are_refused_and_nothing_is_stored() {
    let h = Harness::new();
    let (base, _stop) = serve(&h).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let before = h.store.event_count();
    let url = format!("{base}/api/v1/events");
    for (event, column, says) in [
        (
            json!({"customer_id": 42, "at": "2026-11-20T10:00:00Z", "kind": "purchase", "amount": 1e308, "order_id": "HUGE"}),
            "amount",
            "import.max_amount",
        ),
        (
            json!({"customer_id": 42, "at": "9999-01-01", "kind": "purchase", "amount": 10, "order_id": "FUTURE"}),
            "at",
            "future",
        ),
        (
            json!({"customer_id": 42, "at": "1969-07-20", "kind": "payment", "amount": 10}),
            "at",
            "before 1970",
        ),
        (
            json!({"customer_id": 42, "at": "2026-11-20", "kind": "purchase", "amount": 10, "items": "Beans:5000000:2"}),
            "items",
            "import.max_quantity",
        ),
    ] {
        let (status, body) = post_json(
            &client,
            url.clone(),
            json!([event, {"customer_id": 43, "at": "2026-11-21", "amount": 5}]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let row = &body["error"]["rows"][0];
        assert_eq!(row["column"], column, "{body}");
        assert!(row["reason"].as_str().unwrap().contains(says), "{body}");
    }
    assert_eq!(
        h.store.event_count(),
        before,
        "nothing was stored, not even the good row"
    );
}

#[tokio::test]
async fn a_customer_update_changes_only_the_fields_it_names_and_is_audited() {
    use crmbot::domain::CustomerId;
    let h = Harness::new();
    let (base, _stop) = serve(&h).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut olivia = h.store.customer(CustomerId(42)).unwrap().unwrap();
    olivia.consent.marketing = true;
    h.store.put_customer(&olivia).unwrap();
    let (status, body) = post_json(
        &client,
        format!("{base}/api/v1/customers"),
        json!({"id": 42, "plan": "premium"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = h.store.customer(CustomerId(42)).unwrap().unwrap();
    assert_eq!(after.plan, crmbot::domain::Plan::Premium);
    assert_eq!(
        after.email.as_deref(),
        Some("olivia@example.com"),
        "email kept"
    );
    assert_eq!(after.name, "Olivia Hall", "name kept");
    assert!(after.consent.marketing, "consent kept");
    let (status, _) = post_json(
        &client,
        format!("{base}/api/v1/customers"),
        json!({"id": 42, "marketing": "no"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let audit = h
        .store
        .audit_since(crate::common::now() - Duration::days(1))
        .unwrap();
    let updates: Vec<&str> = audit
        .iter()
        .filter(|a| a.action == "customer.update" && a.subject == "customer:42")
        .map(|a| a.detail.as_str())
        .collect();
    assert_eq!(
        updates,
        ["plan plus → premium", "marketing consent yes → no"],
        "{audit:?}"
    );
}

#[test]
fn import_refuses_duplicate_columns_escapes_and_look_alike_emails() {
    let h = Harness::new();
    drop(h.engine);
    let store_path = h.dir.path().join("store");
    drop(h.store);
    let dir = h.dir;
    let import = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        crate::common::crmbot(&store_path)
            .args(["import", "customers"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let twice = import(
        "twice.csv",
        "id,email,email\n45,a@example.com,b@example.com\n",
    );
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("\"email\" twice"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
    let escape = import("escape.csv", "id,name\n45,\"Eve\u{1b}[2J\"\n");
    let out = String::from_utf8_lossy(&escape.stdout).into_owned()
        + &String::from_utf8_lossy(&escape.stderr);
    assert!(!escape.status.success());
    assert!(
        out.contains("row 2, column name") && out.contains("U+001B"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "the escape is not printed raw");
    let long = import("long.csv", &format!("id,name\n45,{}\n", "x".repeat(5000)));
    let out =
        String::from_utf8_lossy(&long.stdout).into_owned() + &String::from_utf8_lossy(&long.stderr);
    assert!(out.contains("5000 characters"), "{out}");
    // Olivia's address with a zero-width space and full-width letters is still hers.
    let lookalike = import(
        "lookalike.csv",
        "id,email\n45,ｏｌｉ\u{200B}via@Example.com\n",
    );
    let out = String::from_utf8_lossy(&lookalike.stdout).into_owned()
        + &String::from_utf8_lossy(&lookalike.stderr);
    assert!(!lookalike.status.success());
    assert!(
        out.contains("olivia@example.com already belongs to customer 42"),
        "{out}"
    );
    let store = crmbot::store::Store::open(&crmbot::store::StoreOptions::at(&store_path)).unwrap();
    assert!(
        store
            .customer(crmbot::domain::CustomerId(45))
            .unwrap()
            .is_none(),
        "no customer 45 was imported"
    );
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_is_cut_off_at_the_body_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = crmbot::store::Store::open(&crmbot::store::StoreOptions::at(&path)).unwrap();
    crate::common::seed_fixture(&store);
    let mut settings = crate::common::settings(&path);
    settings.http.body_timeout_secs = 1;
    let clock = std::sync::Arc::new(crmbot::clock::FixedClock::new(crate::common::now()));
    let engine =
        crmbot::app::build_engine(std::sync::Arc::new(settings), store.clone(), clock).unwrap();
    let state =
        crmbot::api::ApiState::new(engine, crmbot::api::ApiTokens::parse(["s3cret"]).unwrap());
    let (base, _stop) = serve_state(state).await;
    let addr = base.trim_start_matches("http://").to_owned();
    let before = store.event_count();
    let trickles: Vec<_> = (0..20)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                stream
                    .write_all(
                        b"POST /api/v1/events HTTP/1.1\r\nHost: crmbot\r\nAuthorization: Bearer s3cret\r\n\
                          Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
                    )
                    .await
                    .unwrap();
                // One byte every 200 ms for 10 s: each is on time, the whole body never
                // is (a server without the overall deadline would never answer).
                let mut answer = Vec::new();
                for _ in 0..50 {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    if stream.write_all(b" ").await.is_err() {
                        break;
                    }
                    let mut buf = [0u8; 1024];
                    if let Ok(Ok(n)) = tokio::time::timeout(
                        std::time::Duration::from_millis(1),
                        stream.read(&mut buf),
                    )
                    .await
                    {
                        answer.extend_from_slice(&buf[..n]);
                        if n == 0 || answer.ends_with(b"}}") {
                            break;
                        }
                    }
                }
                String::from_utf8_lossy(&answer).into_owned()
            })
        })
        .collect();
    for trickle in trickles {
        let answer = trickle.await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("body_timeout"), "{answer}");
    }
    assert_eq!(store.event_count(), before);
}
