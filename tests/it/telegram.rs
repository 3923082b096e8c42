//! The real Telegram adapter (teloxide) against the fake Bot API: replies, command menus,
//! unsupported updates, button presses, charts and keyboards, staff groups, a 429 that
//! delays and does not drop, and the update confirmation at shutdown.

use std::time::{Duration, Instant};

use crmbot::config::Secrets;
use crmbot::domain::Channel;
use crmbot::engine::{Address, Button, Image, Outbound};

use crate::fakes::telegram::FakeTelegram;
use crate::fakes::{self, Running};

const LIMIT: Duration = Duration::from_secs(5);

fn secrets() -> Secrets {
    Secrets {
        telegram_token: Some("123456:TEST-TOKEN".into()),
        discord_token: None,
    }
}

async fn start(fake: &FakeTelegram) -> (tempfile::TempDir, Running) {
    let url = fake.url.clone();
    let (dir, _store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
        s.channels.telegram.poll_timeout_secs = 1;
    });
    let running = Running::start(engine, secrets()).await;
    (dir, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_replies_and_every_update_kind_is_answered() {
    let fake = FakeTelegram::start().await;
    let (_dir, running) = start(&fake).await;

    // Command menus: customers in private chats, staff in groups and in their own chat.
    fake.wait_for("setmycommands", &["all_private_chats", "help"], LIMIT)
        .await;
    fake.wait_for("setmycommands", &["all_group_chats", "tickets"], LIMIT)
        .await;
    fake.wait_for("setmycommands", &["1001", "reply"], LIMIT)
        .await;

    let sent = Instant::now();
    fake.private_text(5555, "hi");
    let reply = fake.wait_for("sendmessage", &["5555"], LIMIT).await;
    println!(
        "telegram reply latency through the fake: {:?}",
        reply.at - sent
    );

    fake.private_sticker(5556);
    fake.wait_for("sendmessage", &["5556", "sticker"], LIMIT)
        .await;

    fake.callback(5557, "cb-1", "/help");
    fake.wait_for("answercallbackquery", &["cb-1"], LIMIT).await;
    fake.wait_for("sendmessage", &["5557"], LIMIT).await;

    // Staff in a group are answered; other people in the group are not.
    fake.group_text(-100777, 4242, "/tickets");
    fake.group_text(-100777, 1001, "/tickets");
    fake.wait_for("sendmessage", &["-100777", "ticket"], LIMIT)
        .await;

    // Posting to any address through the router: text, keyboard, chart.
    let to = Address {
        channel: Channel::Telegram,
        chat: "5558".into(),
    };
    running
        .router
        .post(Outbound {
            to,
            text: "How did we do?".into(),
            buttons: vec![Button {
                label: "Great".into(),
                data: "csat:5".into(),
            }],
            image: Some(Image {
                png: b"\x89PNG\r\n\x1a\nfake".to_vec(),
                caption: "Weekly revenue".into(),
            }),
            attachment: None,
            space: None,
        })
        .unwrap();
    fake.wait_for("sendmessage", &["5558", "How did we do?"], LIMIT)
        .await;
    let photo = fake
        .wait_for(
            "sendphoto",
            &["chart.png", "Weekly revenue", "csat:5"],
            LIMIT,
        )
        .await;
    assert!(photo.text().contains("PNG"), "the PNG bytes are uploaded");

    let last_update = fake.private_text(5559, "hello again");
    fake.wait_for("sendmessage", &["5559"], LIMIT).await;
    running.stop().await;

    let group_replies = fake
        .calls("sendmessage")
        .into_iter()
        .filter(|r| r.text().contains("-100777"))
        .count();
    assert_eq!(
        group_replies, 1,
        "only the staff member in the group is answered"
    );
    // The last getUpdates confirms everything received, so a restart answers nothing twice.
    let polls: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "getupdates")
        .collect();
    assert_eq!(
        polls.last().unwrap().body["offset"].as_i64(),
        Some(last_update + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_delays_the_message_and_does_not_drop_it() {
    let fake = FakeTelegram::start().await;
    let (_dir, running) = start(&fake).await;
    fake.wait_for("setmycommands", &["all_private_chats"], LIMIT)
        .await;

    fake.fail_next("sendMessage", 1);
    fake.private_text(6000, "where is my order?");
    let delivered = fake.wait_for("sendmessage", &["6000"], LIMIT).await;
    running.stop().await;

    let attempts: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "sendmessage" && r.text().contains("6000"))
        .collect();
    assert_eq!(
        attempts[0].status, 429,
        "the first attempt was rate limited"
    );
    assert!(
        delivered.at - attempts[0].at >= Duration::from_secs(1),
        "retry_after was honoured: {:?}",
        delivered.at - attempts[0].at
    );
    assert_eq!(
        attempts
            .iter()
            .filter(|r| r.status == 200 && r.text() == attempts[0].text())
            .count(),
        1,
        "the rate-limited message was sent again exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_registers_the_webhook_and_answers_what_telegram_posts() {
    let fake = FakeTelegram::start().await;
    let url = fake.url.clone();
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
        s.channels.telegram.mode = crmbot::config::TelegramMode::Webhook;
        s.channels.telegram.webhook_listen = "127.0.0.1:0".into();
        s.channels.telegram.webhook_url = "https://bot.example.com/telegram".into();
    });
    let running = Running::start(engine, secrets()).await;
    let registered = fake
        .wait_for("setwebhook", &["https://bot.example.com/telegram"], LIMIT)
        .await;
    let secret = registered
        .field("secret_token")
        .expect("a secret token is registered");

    let update = serde_json::json!({"update_id": 1, "message": {"message_id": 1, "date": 1_790_000_000,
        "chat": crate::fakes::telegram::private(9100),
        "from": {"id": 9100, "is_bot": false, "first_name": "Wes"}, "text": "hi"}});
    let client = reqwest::Client::new();
    let endpoint = format!("http://{}/telegram", running.webhook_addr.unwrap());
    let forged = client.post(&endpoint).json(&update).send().await.unwrap();
    assert_eq!(
        forged.status(),
        401,
        "a post without Telegram's secret is refused"
    );
    let posted = client
        .post(&endpoint)
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    fake.wait_for("sendmessage", &["9100"], LIMIT).await;
    running.stop().await;
    assert!(
        fake.calls("getupdates").is_empty(),
        "no polling in webhook mode"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_retried_with_backoff_not_fatal() {
    // Nothing listens on the Bot API's port yet: connections are refused.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}");
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
        s.channels.telegram.poll_timeout_secs = 1;
    });
    let running = Running::start(engine, secrets()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Telegram comes back: the bot reconnects by itself and answers.
    let fake = FakeTelegram::start_on(&addr.to_string()).await;
    fake.private_text(6100, "hi");
    fake.wait_for("sendmessage", &["6100"], Duration::from_secs(8))
        .await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_run_with_a_clear_error() {
    let fake = FakeTelegram::start().await;
    fake.reject_token();
    let url = fake.url.clone();
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
    });
    let running = crmbot::runner::start(engine, &secrets()).await.unwrap();
    let result = tokio::time::timeout(LIMIT, running.run_until(std::future::pending())).await;
    let error = result.expect("run stops by itself").unwrap_err();
    assert!(error.to_string().contains("TELOXIDE_TOKEN"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enabled_channel_without_its_token_names_the_variable() {
    let (_dir, _store, engine) = fakes::engine(|s| s.channels.telegram.enabled = true);
    let error = crmbot::runner::start(engine, &Secrets::default())
        .await
        .err()
        .unwrap();
    assert!(error.to_string().contains("TELOXIDE_TOKEN"), "{error}");
}

/// The real binary: `crmbot run` with only TELOXIDE_TOKEN and TELOXIDE_API_URL, on a store
/// made by `crmbot demo`, answers a private message through sendMessage, stops cleanly on
/// SIGTERM, and the message is in the store with its sentiment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crmbot_run_answers_on_telegram_and_logs_the_message_with_its_sentiment() {
    use std::process::{Command, Stdio};
    const BIN: &str = env!("CARGO_BIN_EXE_crmbot");
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let crmbot = || {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(crate::common::repo())
            .env_remove("CRMBOT_STORE")
            .env_remove("DISCORD_TOKEN")
            .env_remove("DISCORD_API_URL")
            .arg("--store")
            .arg(&store);
        cmd
    };
    let demo = crmbot()
        .args(["demo", "--customers", "30"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );

    let mut child = crmbot()
        .arg("run")
        .env("TELOXIDE_TOKEN", "123456:TEST-TOKEN")
        .env("TELOXIDE_API_URL", &fake.url)
        .env("CRMBOT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    fake.wait_for("getupdates", &[], Duration::from_secs(10))
        .await;

    let pushed = Instant::now();
    fake.private_text(8000, "this is terrible, my parcel never arrived");
    let reply = fake.wait_for("sendmessage", &["8000"], LIMIT).await;
    let latency = reply.at - pushed;
    println!("crmbot run: Telegram reply latency through the fake Bot API: {latency:?}");
    assert!(latency < Duration::from_secs(1), "answered in {latency:?}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "crmbot run did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("the store is flushed"), "{stderr}");

    let id = {
        let opened = crmbot::store::Store::open(&crmbot::store::StoreOptions::at(&store)).unwrap();
        let key = crmbot::store::IdentityKey {
            channel: Channel::Telegram,
            user_id: "8000".into(),
        };
        opened
            .customer_for_identity(&key)
            .unwrap()
            .expect("the Telegram user became a customer")
    };
    let report = crmbot()
        .args(["customer", &id.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let inbound = report["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["direction"] == "inbound" && i["channel"] == "telegram")
        .expect("the message is logged");
    let sentiment = inbound["sentiment"].as_f64().expect("with its sentiment");
    assert!(sentiment < 0.0, "a complaint scores negative: {inbound}");
}

/// What the alert jobs queue in the store's outbox (the daily digest, real-time alerts) is
/// sent by `crmbot run` through the router, and marked sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_alerts_in_the_store_outbox_reach_telegram() {
    let fake = FakeTelegram::start().await;
    let url = fake.url.clone();
    let (_dir, store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
        s.channels.telegram.poll_timeout_secs = 1;
    });
    store
        .enqueue(
            Channel::Telegram,
            "-100555",
            "Daily digest: 3 customers newly at risk",
            "digest",
            crate::common::now(),
        )
        .unwrap();
    store.durable_blocking().unwrap();
    let running = Running::start(engine, secrets()).await;
    fake.wait_for("sendmessage", &["-100555", "Daily digest"], LIMIT)
        .await;
    running.stop().await;
    assert!(
        store.pending_outbox().unwrap().is_empty(),
        "the item is marked sent"
    );
}

/// With `[http] enabled`, `crmbot run` also serves the HTTP API next to the channels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_http_api_when_enabled() {
    let fake = FakeTelegram::start().await;
    let url = fake.url.clone();
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.telegram.enabled = true;
        s.channels.telegram.api_url = url;
        s.http.enabled = true;
        // Port 0: the system picks a free port, so no other test can take it first.
        s.http.bind = "127.0.0.1:0".parse().unwrap();
    });
    let running = Running::start(engine, secrets()).await;
    let addr = running.http_addr.expect("the HTTP API is enabled");
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    running.stop().await;
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "stopped with run"
    );
}
