//! `crmbot run`: serves the chat platforms enabled in the settings until told to stop.
//!
//! Starts one adapter per enabled channel (Telegram, Discord) plus the [`Router`] that
//! delivers every engine message to the platform it is addressed to, then waits for the
//! shutdown future (SIGINT/SIGTERM in the binary, an explicit future in tests). Shutdown is
//! graceful: the adapters stop taking updates, every message already received is handled,
//! every queued reply is sent, and the store is flushed. Tokens come from the environment
//! ([`Secrets`]); an enabled channel without its token is an error naming the variable.
//!
//! Besides the channels, `run` drains the store's outbox (alerts, digest, link codes) through
//! the router, runs the scheduler loop of [`crate::alerts::scheduler`] (daily digest, SLA
//! reminders, retraining, retention), and serves the HTTP API when `[http] enabled`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::channels::discord::{self, DiscordError, DiscordInbound, DiscordOutlet};
use crate::channels::router::{
    BoxFuture, DeliveryError, Lanes, Outbox, Outlet, Rate, Router, stopped,
};
use crate::channels::telegram::{self, TelegramError, TelegramInbound, TelegramOutlet};
use crate::config::{Secrets, TelegramMode};
use crate::domain::Channel;
use crate::engine::{Engine, Outbound};
use crate::store::StoreError;

/// How long shutdown waits for received messages to be handled and replies to be sent.
const DRAIN_LIMIT: Duration = Duration::from_secs(20);
/// How long shutdown waits for an adapter to disconnect.
const STOP_LIMIT: Duration = Duration::from_secs(10);
/// How often the store's outbox (alerts, digest, link codes) is drained (the `deliver` job
/// of `alerts::schedule`); it is also drained right after each handled message.
const DELIVER_EVERY: Duration = Duration::from_secs(30);

/// Why `crmbot run` could not start or stopped.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(
        "channels.{channel} is enabled but {var} is not set: export {var}, or set channels.{channel}.enabled = false"
    )]
    MissingToken {
        channel: &'static str,
        var: &'static str,
    },
    #[error(
        "nothing to serve: enable channels.telegram, channels.discord or http (the console chat is `crmbot chat`)"
    )]
    NothingEnabled,
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    #[error(transparent)]
    Discord(#[from] DiscordError),
    #[error("flushing the store at shutdown failed: {0}")]
    Store(#[from] StoreError),
    #[error("the {0} adapter stopped unexpectedly")]
    Crashed(&'static str),
    #[error(transparent)]
    ApiTokens(#[from] crate::api::TokenError),
    #[error("the HTTP API cannot listen on {addr} (http.bind): {source}")]
    Http {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Messages addressed to the console while `crmbot run` runs are printed on stdout.
struct ConsoleOutlet;

impl Outlet for ConsoleOutlet {
    type Part = String;

    fn split(&self, message: Outbound) -> Vec<String> {
        let mut text = format!(
            "bot → console {}: {}",
            message.to.chat,
            message.text.replace('\n', "\n    ")
        );
        for button in &message.buttons {
            text.push_str(&format!("\n    [{}]", button.label));
        }
        if let Some(image) = &message.image {
            text.push_str(&format!(
                "\n    (chart: {}, {} bytes PNG)",
                image.caption,
                image.png.len()
            ));
        }
        vec![text]
    }

    fn chat_rates(&self, _chat: &str) -> Vec<Rate> {
        Vec::new()
    }

    fn send<'a>(
        &'a self,
        _chat: &'a str,
        part: &'a String,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            println!("{part}");
            Ok(())
        })
    }
}

/// The running adapters. Post to any chat through [`Running::router`].
pub struct Running {
    engine: Engine,
    router: Router,
    stop: watch::Sender<bool>,
    adapters: JoinSet<Result<(), RunError>>,
    telegram: Option<Lanes<TelegramInbound>>,
    discord: Option<Lanes<DiscordInbound>>,
    http_addr: Option<std::net::SocketAddr>,
    webhook_addr: Option<std::net::SocketAddr>,
}

/// Starts every enabled channel. Fails at once when a token is missing; a refused token is
/// reported by [`Running::run_until`].
pub async fn start(engine: Engine, secrets: &Secrets) -> Result<Running, RunError> {
    let settings = engine.deps().settings.clone();
    let channels = &settings.channels;
    let telegram_token = match (channels.telegram.enabled, &secrets.telegram_token) {
        (false, _) => None,
        (true, Some(token)) => Some(token.clone()),
        (true, None) => {
            return Err(RunError::MissingToken {
                channel: "telegram",
                var: "TELOXIDE_TOKEN",
            });
        }
    };
    let discord_token = match (channels.discord.enabled, &secrets.discord_token) {
        (false, _) => None,
        (true, Some(token)) => Some(token.clone()),
        (true, None) => {
            return Err(RunError::MissingToken {
                channel: "discord",
                var: "DISCORD_TOKEN",
            });
        }
    };
    if telegram_token.is_none() && discord_token.is_none() && !settings.http.enabled {
        return Err(RunError::NothingEnabled);
    }
    // Bound before anything starts, so a busy port is a clean start-up error.
    let http = match settings.http.enabled {
        true => {
            let tokens = crate::api::ApiTokens::from_env()?;
            let addr = settings.http.bind;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| RunError::Http { addr, source })?;
            // Port 0 asks the system for a free port; the real one is what callers need.
            let addr = listener.local_addr().unwrap_or(addr);
            Some((addr, listener, tokens))
        }
        false => None,
    };

    let bot = match &telegram_token {
        Some(token) => Some(telegram::bot(token, &channels.telegram)?),
        None => None,
    };
    let mut outboxes = Vec::new();
    if let Some(bot) = &bot {
        let outlet = Arc::new(TelegramOutlet::new(bot.clone()).with_engine(engine.clone()));
        outboxes.push(Outbox::new(
            Channel::Telegram,
            outlet,
            telegram::GLOBAL_RATE,
        ));
    }
    if let Some(token) = &discord_token {
        let http = Arc::new(discord::http(token, &channels.discord));
        let outlet = Arc::new(DiscordOutlet::new(http).with_engine(engine.clone()));
        outboxes.push(Outbox::new(Channel::Discord, outlet, discord::GLOBAL_RATE));
    }
    if channels.console.enabled {
        let outlet = Arc::new(ConsoleOutlet);
        outboxes.push(Outbox::new(
            Channel::Console,
            outlet,
            Rate::new(1000, Duration::from_secs(1)),
        ));
    }
    let mailbox = Arc::new(crate::channels::http_mailbox::HttpMailbox::default());
    if http.is_some() {
        outboxes.push(Outbox::new(
            Channel::Http,
            mailbox.clone(),
            Rate::new(1000, Duration::from_secs(1)),
        ));
    }
    let router = Router::new(outboxes);
    let (stop, _) = watch::channel(false);
    let mut adapters = JoinSet::new();

    let webhook = match (&bot, channels.telegram.mode) {
        (Some(_), TelegramMode::Webhook) => {
            Some(telegram::webhook_listener(&channels.telegram).await?)
        }
        _ => None,
    };
    let webhook_addr = webhook.as_ref().and_then(|l| l.local_addr().ok());
    let telegram_lanes = match (bot, telegram_token) {
        (Some(bot), Some(token)) => {
            let lanes = telegram::inbound_lanes(bot.clone(), engine.clone(), router.clone());
            let settings = channels.telegram.clone();
            let engine = engine.clone();
            let task_lanes = lanes.clone();
            let mut shutdown = stop.subscribe();
            adapters.spawn(async move {
                let staff = telegram::staff_ids(&engine);
                tokio::select! {
                    prepared = telegram::prepare(&bot, &staff) => prepared?,
                    _ = stopped(&mut shutdown) => return Ok(()),
                }
                match webhook {
                    None => {
                        telegram::poll(
                            bot,
                            engine,
                            task_lanes,
                            settings.poll_timeout_secs,
                            shutdown,
                        )
                        .await?;
                    }
                    Some(listener) => {
                        telegram::webhook(
                            bot, &token, engine, task_lanes, &settings, listener, shutdown,
                        )
                        .await?;
                    }
                }
                Ok(())
            });
            tracing::info!(mode = ?channels.telegram.mode, "Telegram adapter started");
            Some(lanes)
        }
        _ => None,
    };

    let discord_lanes = match discord_token {
        Some(token) => {
            let lanes = discord::inbound_lanes(engine.clone(), router.clone());
            let handler = Arc::new(discord::Handler::new(
                engine.clone(),
                lanes.clone(),
                channels.discord.guild_id,
            ));
            let settings = channels.discord.clone();
            let shutdown = stop.subscribe();
            adapters.spawn(async move {
                discord::run(&token, &settings, handler, shutdown).await?;
                Ok(())
            });
            tracing::info!("Discord adapter started");
            Some(lanes)
        }
        None => None,
    };

    {
        let (engine, router, shutdown) = (engine.clone(), router.clone(), stop.subscribe());
        adapters.spawn(async move {
            deliver_outbox(engine, router, shutdown).await;
            Ok(())
        });
    }
    {
        let (engine, mut shutdown) = (engine.clone(), stop.subscribe());
        adapters.spawn(async move {
            crate::alerts::scheduler::run(engine, async move { stopped(&mut shutdown).await })
                .await;
            Ok(())
        });
    }
    {
        let (engine, router, shutdown) = (engine.clone(), router.clone(), stop.subscribe());
        adapters.spawn(async move {
            tend_quiet_tickets(engine, router, shutdown).await;
            Ok(())
        });
    }
    let http_addr = http.as_ref().map(|(addr, _, _)| *addr);
    if let Some((addr, listener, tokens)) = http {
        let state = crate::api::ApiState::new(engine.clone(), tokens)
            .with_delivery(router.clone(), mailbox);
        let mut shutdown = stop.subscribe();
        adapters.spawn(async move {
            crate::api::serve(listener, state, async move { stopped(&mut shutdown).await })
                .await
                .map_err(|source| RunError::Http { addr, source })
        });
        tracing::info!(%addr, "HTTP API listening");
    }

    Ok(Running {
        engine,
        router,
        stop,
        adapters,
        telegram: telegram_lanes,
        discord: discord_lanes,
        http_addr,
        webhook_addr,
    })
}

impl Running {
    /// Posts to any chat on any running channel (the daily digest's way in).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Where the HTTP API listens (the port the system chose when `bind` asked for port 0).
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.http_addr
    }

    /// Where the Telegram webhook listens, in webhook mode.
    pub fn webhook_addr(&self) -> Option<std::net::SocketAddr> {
        self.webhook_addr
    }

    /// Serves until `shutdown` completes (or an adapter fails), then shuts down gracefully.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
        tokio::pin!(shutdown);
        let failure = loop {
            tokio::select! {
                _ = &mut shutdown => break None,
                joined = self.adapters.join_next() => match joined {
                    None => break None,
                    Some(Ok(Ok(()))) => continue,
                    Some(Ok(Err(error))) => break Some(error),
                    Some(Err(_)) => break Some(RunError::Crashed("channel")),
                },
            }
        };
        if let Some(error) = &failure {
            tracing::error!(%error, "a channel adapter stopped; shutting down");
        }
        let stopped = self.shutdown().await;
        match failure {
            Some(error) => Err(error),
            None => stopped,
        }
    }

    /// Graceful shutdown: stop taking updates, handle what was received, send what is
    /// queued, flush the store.
    pub async fn shutdown(mut self) -> Result<(), RunError> {
        tracing::info!("shutting down: finishing in-flight messages");
        let _ = self.stop.send(true);
        let adapters = async { while self.adapters.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_LIMIT, adapters).await.is_err() {
            tracing::warn!("an adapter did not stop in time");
            self.adapters.abort_all();
        }
        if let Some(lanes) = &self.telegram
            && !lanes.close(DRAIN_LIMIT).await
        {
            tracing::warn!("some Telegram messages were still being handled at shutdown");
        }
        if let Some(lanes) = &self.discord
            && !lanes.close(DRAIN_LIMIT).await
        {
            tracing::warn!("some Discord messages were still being handled at shutdown");
        }
        if !self.router.close(DRAIN_LIMIT).await {
            tracing::warn!("some replies could not be sent before shutdown");
        }
        self.engine.deps().store.durable().await?;
        tracing::info!("stopped; the store is flushed");
        Ok(())
    }
}

/// The `deliver` job: sends what the engine and the alert jobs queued in the store's outbox
/// (digest, real-time alerts, SLA reminders to chats; link codes to the code sink) through
/// the router, with the outbox's own quiet hours, rate limit and retries.
async fn deliver_outbox(engine: Engine, router: Router, mut shutdown: watch::Receiver<bool>) {
    use crate::alerts::delivery::{Either, drain};
    let deps = engine.deps();
    let deliverer = Either(
        router.clone(),
        crate::channels::code_sink::CodeSink::new(&deps.settings.identity),
    );
    loop {
        let has_due = deps
            .store
            .pending_outbox()
            .map(|p| p.iter().any(|i| i.not_before <= deps.clock.now()))
            .unwrap_or(false);
        if has_due
            && let Err(error) = drain(
                &deps.store,
                &deliverer,
                &deps.settings.alerts,
                deps.clock.now(),
            )
            .await
        {
            tracing::error!(%error, "delivering the outbox failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(DELIVER_EVERY) => {}
            _ = router.outcome_posted() => {}
            _ = stopped(&mut shutdown) => return,
        }
    }
}

/// The auto-close job: reminds the customers of quiet claimed tickets and closes them when
/// they stay quiet (`[handoff] remind_after_hours`, `close_after_hours`), sending what that
/// says through the router.
async fn tend_quiet_tickets(engine: Engine, router: Router, mut shutdown: watch::Receiver<bool>) {
    if engine.deps().settings.handoff.remind_after_hours == 0 {
        return;
    }
    loop {
        let now = engine.deps().clock.now();
        match engine.tend_quiet_tickets(now).await {
            Ok(messages) if !messages.is_empty() => {
                router.post_outcome(crate::engine::Outcome { messages })
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "tending quiet tickets failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(crate::alerts::scheduler::TICK) => {}
            _ = stopped(&mut shutdown) => return,
        }
    }
}

/// Starts the enabled channels and serves until `shutdown` completes.
pub async fn run(
    engine: Engine,
    secrets: &Secrets,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RunError> {
    start(engine, secrets).await?.run_until(shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C still stops");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown signal received");
}
