//! Delivery of the engine's messages to whichever platform each one is addressed to.
//!
//! A staff reply typed on Discord must reach a Telegram customer, and an escalation from a
//! Telegram customer must reach a Discord staff channel: so adapters never send an
//! [`Outbound`] themselves, they hand it to the [`Router`], which picks the [`Outbox`] of its
//! `to.channel`. Anything else that posts to a chat (the daily digest, later) uses the same
//! [`Router::post`].
//!
//! An outbox keeps one ordered queue ("lane") per chat, paces every request within the
//! platform's published limits (per chat and overall), waits out a rate-limit answer
//! (`retry_after`) and retries the same request (it never drops it), retries transient
//! failures with backoff and gives up only on permanent ones (chat not found, bot blocked).
//! The same [`Lanes`] primitive also serialises inbound messages per chat in the adapters.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::domain::Channel;
use crate::engine::{Address, Outbound, Outcome};

/// A boxed, sendable future (object-safe async).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long an idle lane (no message for that chat) keeps its task.
const LANE_IDLE: Duration = Duration::from_secs(30);
/// Attempts for a request that failed for a transient reason (network, 5xx): with the
/// backoff below (1, 2, 4, 8, 16, then 30 s) about three minutes of lost connection.
const TRANSIENT_ATTEMPTS: u32 = 10;

/// Why one platform request failed.
#[derive(Debug, Error)]
pub enum DeliveryError {
    /// The platform asked us to wait (HTTP 429): the same request is sent again afterwards.
    #[error("rate limited, retry after {0:?}")]
    RetryAfter(Duration),
    /// Network trouble or a server error: retried with backoff.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The request can never succeed (bad chat id, bot blocked, message refused).
    #[error("{0}")]
    Permanent(String),
}

/// Why the router could not accept a message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RouteError {
    #[error("no running adapter delivers to the {0} channel")]
    NoChannel(Channel),
    #[error("the {0} channel is shutting down")]
    Closed(Channel),
}

/// "At most `count` requests per `per`", a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: usize,
    pub per: Duration,
}

impl Rate {
    pub const fn new(count: usize, per: Duration) -> Rate {
        Rate { count, per }
    }
}

/// The sending times of the last `rate.count` requests.
#[derive(Debug)]
struct Window {
    rate: Rate,
    sent: VecDeque<Instant>,
}

impl Window {
    fn new(rate: Rate) -> Window {
        Window {
            rate,
            sent: VecDeque::with_capacity(rate.count),
        }
    }

    /// When the next request may go (`now` or later).
    fn next_free(&mut self, now: Instant) -> Instant {
        while let Some(&t) = self.sent.front() {
            if now.duration_since(t) >= self.rate.per {
                self.sent.pop_front();
            } else {
                break;
            }
        }
        if self.sent.len() < self.rate.count {
            now
        } else {
            self.sent[self.sent.len() - self.rate.count] + self.rate.per
        }
    }

    fn record(&mut self, at: Instant) {
        self.sent.push_back(at);
        while self.sent.len() > self.rate.count {
            self.sent.pop_front();
        }
    }
}

/// The request windows of one platform: overall and per chat. Shared by the chat lanes and
/// by direct sends, so both count against the same limits.
struct Pacer {
    global: Mutex<Window>,
    chats: Mutex<HashMap<String, Vec<Window>>>,
    rates: ChatRates,
}

type ChatRates = Box<dyn Fn(&str) -> Vec<Rate> + Send + Sync>;

impl Pacer {
    fn new(global: Rate, rates: impl Fn(&str) -> Vec<Rate> + Send + Sync + 'static) -> Pacer {
        Pacer {
            global: Mutex::new(Window::new(global)),
            chats: Mutex::new(HashMap::new()),
            rates: Box::new(rates),
        }
    }

    /// Waits until one more request to `chat` fits every limit, and counts it.
    async fn acquire(&self, chat: &str) {
        loop {
            let now = Instant::now();
            let ready = {
                let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
                if chats.len() > 1024 {
                    // Forget chats with no request inside their windows.
                    chats.retain(|_, ws| {
                        ws.iter_mut().any(|w| {
                            w.next_free(now);
                            !w.sent.is_empty()
                        })
                    });
                }
                let local = chats
                    .entry(chat.to_owned())
                    .or_insert_with(|| (self.rates)(chat).into_iter().map(Window::new).collect());
                let mut global = self.global.lock().unwrap_or_else(PoisonError::into_inner);
                let mut ready = global.next_free(now);
                for w in local.iter_mut() {
                    ready = ready.max(w.next_free(now));
                }
                if ready <= now {
                    global.record(now);
                    for w in local.iter_mut() {
                        w.record(now);
                    }
                    return;
                }
                ready
            };
            tokio::time::sleep_until(ready).await;
        }
    }
}

/// One platform's way of sending. Implemented by each adapter.
pub trait Outlet: Send + Sync + 'static {
    /// One request's worth of a message (a text chunk, a photo...).
    type Part: Send + Sync + 'static;

    /// Splits a message into the requests that deliver it, in order.
    fn split(&self, message: Outbound) -> Vec<Self::Part>;

    /// The platform's limits for one chat (the overall limit is given to [`Outbox::new`]).
    fn chat_rates(&self, chat: &str) -> Vec<Rate>;

    /// Sends one part to `chat`.
    fn send<'a>(
        &'a self,
        chat: &'a str,
        part: &'a Self::Part,
    ) -> BoxFuture<'a, Result<(), DeliveryError>>;
}

struct LanesInner<T> {
    open: bool,
    next_id: u64,
    lanes: HashMap<String, (u64, mpsc::UnboundedSender<T>)>,
    tasks: JoinSet<()>,
}

type LaneHandler<T> = Arc<dyn Fn(String, T) -> BoxFuture<'static, ()> + Send + Sync>;

/// Ordered per-key queues, each drained by its own task: items for one chat are handled one
/// after the other, different chats concurrently. [`Lanes::close`] waits until every queued
/// item has been handled.
pub struct Lanes<T: Send + 'static> {
    inner: Arc<Mutex<LanesInner<T>>>,
    handler: LaneHandler<T>,
}

impl<T: Send + 'static> Clone for Lanes<T> {
    fn clone(&self) -> Self {
        Lanes {
            inner: self.inner.clone(),
            handler: self.handler.clone(),
        }
    }
}

impl<T: Send + 'static> Lanes<T> {
    /// Lanes whose items are handled by `handler(key, item)`.
    pub fn new<F, Fut>(handler: F) -> Lanes<T>
    where
        F: Fn(String, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Lanes {
            inner: Arc::new(Mutex::new(LanesInner {
                open: true,
                next_id: 0,
                lanes: HashMap::new(),
                tasks: JoinSet::new(),
            })),
            handler: Arc::new(move |key, item| Box::pin(handler(key, item))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LanesInner<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `item` behind the earlier items of `key`; gives it back when closed.
    pub fn push(&self, key: &str, item: T) -> Result<(), T> {
        let mut inner = self.lock();
        if !inner.open {
            return Err(item);
        }
        while inner.tasks.try_join_next().is_some() {}
        let item = match inner.lanes.get(key) {
            Some((_, tx)) => match tx.send(item) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(item)) => item,
            },
            None => item,
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        // A fresh channel with its receiver alive: the send cannot fail.
        let _ = tx.send(item);
        let id = inner.next_id;
        inner.next_id += 1;
        inner.lanes.insert(key.to_owned(), (id, tx));
        let handler = self.handler.clone();
        let lanes = Arc::downgrade(&self.inner);
        let key = key.to_owned();
        inner.tasks.spawn(async move {
            loop {
                match tokio::time::timeout(LANE_IDLE, rx.recv()).await {
                    Ok(Some(item)) => handler(key.clone(), item).await,
                    Ok(None) => break,
                    Err(_) => {
                        let Some(lanes) = lanes.upgrade() else { break };
                        let mut inner = lanes.lock().unwrap_or_else(PoisonError::into_inner);
                        // Pushes happen under this lock: an empty queue stays empty.
                        if rx.is_empty() {
                            if inner.lanes.get(&key).is_some_and(|(i, _)| *i == id) {
                                inner.lanes.remove(&key);
                            }
                            break;
                        }
                    }
                }
            }
        });
        Ok(())
    }

    /// Accepts nothing more and waits until every queued item is handled, at most `limit`;
    /// returns whether everything finished in time (unfinished work is abandoned).
    pub async fn close(&self, limit: Duration) -> bool {
        let mut tasks = {
            let mut inner = self.lock();
            inner.open = false;
            inner.lanes.clear();
            std::mem::take(&mut inner.tasks)
        };
        let finished =
            tokio::time::timeout(limit, async { while tasks.join_next().await.is_some() {} })
                .await
                .is_ok();
        if !finished {
            tasks.abort_all();
        }
        finished
    }
}

type DirectSend =
    Arc<dyn Fn(Outbound) -> BoxFuture<'static, Result<(), DeliveryError>> + Send + Sync>;

/// One platform's outgoing queue: lanes per chat, paced and retried.
pub struct Outbox {
    channel: Channel,
    lanes: Lanes<Outbound>,
    direct: DirectSend,
}

impl Outbox {
    /// An outbox sending through `outlet`, never more than `global` requests overall.
    pub fn new<O: Outlet>(channel: Channel, outlet: Arc<O>, global: Rate) -> Outbox {
        let pacer = {
            let outlet = outlet.clone();
            Arc::new(Pacer::new(global, move |chat| outlet.chat_rates(chat)))
        };
        let lanes = {
            let (outlet, pacer) = (outlet.clone(), pacer.clone());
            Lanes::new(move |chat: String, message: Outbound| {
                let (outlet, pacer) = (outlet.clone(), pacer.clone());
                async move { deliver(channel, outlet.as_ref(), &pacer, &chat, message).await }
            })
        };
        let direct: DirectSend = Arc::new(move |message: Outbound| {
            let (outlet, pacer) = (outlet.clone(), pacer.clone());
            Box::pin(async move {
                let chat = message.to.chat.clone();
                for part in outlet.split(message) {
                    pacer.acquire(&chat).await;
                    outlet.send(&chat, &part).await?;
                }
                Ok(())
            })
        });
        Outbox {
            channel,
            lanes,
            direct,
        }
    }

    /// Queues a message behind earlier ones to the same chat.
    pub fn post(&self, message: Outbound) -> Result<(), RouteError> {
        let chat = message.to.chat.clone();
        self.lanes
            .push(&chat, message)
            .map_err(|_| RouteError::Closed(self.channel))
    }

    /// Sends a message now, within the limits, once: the caller retries (a persistent
    /// outbox that must know whether the platform accepted it).
    pub async fn send_now(&self, message: Outbound) -> Result<(), DeliveryError> {
        (self.direct)(message).await
    }

    /// Sends what is queued (at most `limit`) and stops.
    pub async fn close(&self, limit: Duration) -> bool {
        self.lanes.close(limit).await
    }
}

/// Sends every part of one message, in order, within the limits.
async fn deliver<O: Outlet>(
    channel: Channel,
    outlet: &O,
    pacer: &Pacer,
    chat: &str,
    message: Outbound,
) {
    let parts = outlet.split(message);
    for part in &parts {
        let mut transient = 0;
        loop {
            pacer.acquire(chat).await;
            match outlet.send(chat, part).await {
                Ok(()) => break,
                Err(DeliveryError::RetryAfter(wait)) => {
                    tracing::warn!(%channel, chat, ?wait, "rate limited by the platform; waiting, then sending again");
                    tokio::time::sleep(wait).await;
                }
                Err(DeliveryError::Transient(error)) => {
                    transient += 1;
                    if transient >= TRANSIENT_ATTEMPTS {
                        tracing::error!(%channel, chat, %error, "giving up on a message after {TRANSIENT_ATTEMPTS} attempts");
                        return;
                    }
                    let wait = Duration::from_secs(1 << (transient - 1).min(5))
                        .min(Duration::from_secs(30));
                    tracing::warn!(%channel, chat, %error, ?wait, "sending failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(DeliveryError::Permanent(error)) => {
                    tracing::error!(%channel, chat, %error, "the platform refused a message; dropped");
                    return;
                }
            }
        }
    }
}

/// Routes each message to the outbox of its channel. Cheap to clone.
#[derive(Clone, Default)]
pub struct Router {
    outboxes: Arc<HashMap<Channel, Outbox>>,
    /// Signalled after each engine outcome: the engine may have queued alerts or link codes
    /// in the store's outbox, which the runner's deliver job then sends without waiting.
    handled: Arc<tokio::sync::Notify>,
}

impl Router {
    /// A router over these outboxes (one per channel).
    pub fn new(outboxes: Vec<Outbox>) -> Router {
        Router {
            outboxes: Arc::new(outboxes.into_iter().map(|o| (o.channel, o)).collect()),
            handled: Arc::default(),
        }
    }

    /// Whether messages to `channel` can be delivered.
    pub fn serves(&self, channel: Channel) -> bool {
        self.outboxes.contains_key(&channel)
    }

    /// Queues one message to any chat on any running channel (replies, relays, digests).
    /// Call it from within the Tokio runtime that runs the adapters (it may start a task).
    pub fn post(&self, message: Outbound) -> Result<(), RouteError> {
        match self.outboxes.get(&message.to.channel) {
            Some(outbox) => outbox.post(message),
            None => Err(RouteError::NoChannel(message.to.channel)),
        }
    }

    /// Sends one message now and reports whether the platform accepted it (no retry: for
    /// callers with their own persistent retry, such as the alerts outbox).
    pub async fn send_now(&self, message: Outbound) -> Result<(), DeliveryError> {
        match self.outboxes.get(&message.to.channel) {
            Some(outbox) => outbox.send_now(message).await,
            None => Err(DeliveryError::Permanent(
                RouteError::NoChannel(message.to.channel).to_string(),
            )),
        }
    }

    /// Queues every message of an outcome; undeliverable ones are logged, never fatal.
    pub fn post_all(&self, messages: impl IntoIterator<Item = Outbound>) {
        for message in messages {
            let to = message.to.clone();
            if let Err(error) = self.post(message) {
                tracing::warn!(channel = %to.channel, chat = %to.chat, %error, "message not delivered");
            }
        }
    }

    /// Queues an engine outcome.
    pub fn post_outcome(&self, outcome: Outcome) {
        self.post_all(outcome.messages);
        self.handled.notify_one();
    }

    /// Completes after the next engine outcome is posted (or at once if one was posted since
    /// the last call).
    pub async fn outcome_posted(&self) {
        self.handled.notified().await;
    }

    /// Delivers what is queued on every channel (at most `limit`) and stops accepting.
    pub async fn close(&self, limit: Duration) -> bool {
        let mut all = true;
        for outbox in self.outboxes.values() {
            all &= outbox.close(limit).await;
        }
        all
    }
}

/// Completes once `shutdown` holds `true` (or its sender is gone).
pub async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// The alerts outbox (digest, real-time alerts, SLA reminders) delivers through the router
/// of `crmbot run`.
impl crate::alerts::delivery::Deliver for Router {
    fn handles(&self, channel: Channel) -> bool {
        self.serves(channel)
    }

    async fn deliver(
        &self,
        channel: Channel,
        chat: &str,
        text: &str,
    ) -> Result<(), crate::alerts::delivery::DeliveryError> {
        use crate::alerts::delivery::DeliveryError as AlertError;
        let message = Outbound::text(address(channel, chat), text);
        self.send_now(message).await.map_err(|e| match e {
            DeliveryError::RetryAfter(wait) => AlertError::RetryAfter(wait),
            other => AlertError::Failed(other.to_string()),
        })
    }
}

/// Splits text into chunks of at most `max` characters, preferring line breaks.
pub fn chunks(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split_inclusive('\n') {
        let line_len = line.chars().count();
        if len + line_len > max && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            len = 0;
        }
        if line_len > max {
            for c in line.chars() {
                if len == max {
                    out.push(std::mem::take(&mut current));
                    len = 0;
                }
                current.push(c);
                len += 1;
            }
        } else {
            current.push_str(line);
            len += line_len;
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out.into_iter()
        .map(|c| c.trim_end().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The address of a chat on a channel.
pub fn address(channel: Channel, chat: impl Into<String>) -> Address {
    Address {
        channel,
        chat: chat.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn chunks_respect_the_limit_and_keep_lines() {
        assert_eq!(chunks("a\nb\nc", 3), vec!["a", "b\nc"]);
        assert_eq!(chunks("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(chunks("", 3), Vec::<String>::new());
        assert!(
            chunks(&"x".repeat(5000), 4096)
                .iter()
                .all(|c| c.chars().count() <= 4096)
        );
    }

    #[tokio::test]
    async fn window_spaces_requests() {
        let pacer = Pacer::new(Rate::new(100, Duration::from_secs(1)), |_| {
            vec![Rate::new(1, Duration::from_millis(100))]
        });
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire("7").await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    }

    struct Flaky {
        calls: AtomicUsize,
        sent: Mutex<Vec<String>>,
    }

    impl Outlet for Flaky {
        type Part = String;
        fn split(&self, message: Outbound) -> Vec<String> {
            vec![message.text]
        }
        fn chat_rates(&self, _: &str) -> Vec<Rate> {
            vec![Rate::new(1, Duration::from_millis(100))]
        }
        fn send<'a>(
            &'a self,
            _: &'a str,
            part: &'a String,
        ) -> BoxFuture<'a, Result<(), DeliveryError>> {
            Box::pin(async move {
                if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Err(DeliveryError::RetryAfter(Duration::from_millis(300)));
                }
                self.sent.lock().unwrap().push(part.clone());
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn rate_limited_messages_wait_and_keep_their_order() {
        let outlet = Arc::new(Flaky {
            calls: AtomicUsize::new(0),
            sent: Mutex::new(Vec::new()),
        });
        let outbox = Outbox::new(
            Channel::Telegram,
            outlet.clone(),
            Rate::new(30, Duration::from_secs(1)),
        );
        let start = Instant::now();
        for text in ["one", "two"] {
            outbox
                .post(Outbound::text(address(Channel::Telegram, "7"), text))
                .unwrap();
        }
        assert!(outbox.close(Duration::from_secs(60)).await);
        assert_eq!(*outlet.sent.lock().unwrap(), vec!["one", "two"]);
        assert!(
            start.elapsed() >= Duration::from_millis(400),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            outbox.post(Outbound::text(address(Channel::Telegram, "7"), "late")),
            Err(RouteError::Closed(Channel::Telegram))
        );
    }

    #[test]
    fn unknown_channels_are_refused() {
        let router = Router::new(Vec::new());
        assert_eq!(
            router.post(Outbound::text(address(Channel::Discord, "1"), "x")),
            Err(RouteError::NoChannel(Channel::Discord))
        );
    }
}
