//! Fake chat platforms on 127.0.0.1 for end-to-end tests of the real adapters: a Telegram
//! Bot API (teloxide is pointed at it with `set_api_url`) and a Discord REST API plus
//! WebSocket gateway (serenity is pointed at it with `HttpBuilder::proxy`). Both record every
//! request so tests can wait for, and assert on, what the bot sent.

#![allow(dead_code)]

pub mod discord;
pub mod shop;
pub mod telegram;

use std::time::{Duration, Instant};

use serde_json::Value;

/// One request the bot made to a fake.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Telegram: the method, lower case (`sendmessage`). Discord: `METHOD /path`.
    pub method: String,
    /// The JSON body, or `{"raw": "..."}` for multipart bodies (lossy text).
    pub body: Value,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// When the fake received it.
    pub at: Instant,
}

impl Recorded {
    /// A top-level field of a JSON body, or a text part of a multipart body.
    pub fn field(&self, name: &str) -> Option<String> {
        if let Some(value) = self.body.get(name) {
            return Some(
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned),
            );
        }
        let raw = self.body.get("raw")?.as_str()?;
        let start = raw.find(&format!("name=\"{name}\""))?;
        let value = &raw[start..];
        let value = &value[value.find("\r\n\r\n")? + 4..];
        Some(value[..value.find("\r\n")?].to_owned())
    }

    /// The body as text (JSON or raw multipart), for `contains` checks.
    pub fn text(&self) -> String {
        match self.body.get("raw").and_then(Value::as_str) {
            Some(raw) => raw.to_owned(),
            None => self.body.to_string(),
        }
    }
}

/// Polls `snapshot` until `found` returns something, or panics after `limit` showing what
/// was recorded.
pub async fn wait_until<T>(
    limit: Duration,
    what: &str,
    snapshot: impl Fn() -> Vec<Recorded>,
    found: impl Fn(&[Recorded]) -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        let recorded = snapshot();
        if let Some(t) = found(&recorded) {
            return t;
        }
        if start.elapsed() > limit {
            let shown: Vec<String> = recorded
                .iter()
                .filter(|r| !r.method.contains("getupdates") || r.status != 200)
                .map(|r| format!("{} {} {}", r.status, r.method, r.text()))
                .collect();
            let _polls = recorded
                .iter()
                .filter(|r| r.method.contains("getupdates"))
                .count();
            panic!(
                "timed out after {limit:?} waiting for {what}; recorded:\n{}",
                shown.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An engine over a temporary store seeded with the test fixture (customers 42–44), on the
/// fixed test clock, with the settings of `common::settings` changed by `configure`.
pub fn engine(
    configure: impl FnOnce(&mut crmbot::config::Settings),
) -> (
    tempfile::TempDir,
    crmbot::store::Store,
    crmbot::engine::Engine,
) {
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = crmbot::store::Store::open(&crmbot::store::StoreOptions::at(&path)).unwrap();
    crate::common::seed_fixture(&store);
    let mut settings = crate::common::settings(&path);
    settings.channels.telegram.enabled = false;
    settings.channels.discord.enabled = false;
    settings.channels.console.enabled = false;
    configure(&mut settings);
    let clock = Arc::new(crmbot::clock::FixedClock::new(crate::common::now()));
    let engine = crmbot::app::build_engine(Arc::new(settings), store.clone(), clock).unwrap();
    (dir, store, engine)
}

/// A running `crmbot run` (library) with an explicit shutdown switch.
pub struct Running {
    pub router: crmbot::channels::router::Router,
    /// Where the HTTP API listens, when enabled.
    pub http_addr: Option<std::net::SocketAddr>,
    /// Where the Telegram webhook listens, in webhook mode.
    pub webhook_addr: Option<std::net::SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), crmbot::runner::RunError>>>,
}

impl Running {
    pub async fn start(
        engine: crmbot::engine::Engine,
        secrets: crmbot::config::Secrets,
    ) -> Running {
        let running = crmbot::runner::start(engine, &secrets).await.unwrap();
        let router = running.router().clone();
        let http_addr = running.http_addr();
        let webhook_addr = running.webhook_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(running.run_until(async {
            let _ = stopped.await;
        }));
        Running {
            router,
            http_addr,
            webhook_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Graceful shutdown; panics if the runner failed.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("shutdown in time")
            .unwrap()
            .unwrap();
    }
}
