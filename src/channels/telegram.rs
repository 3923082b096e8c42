//! The Telegram adapter (teloxide): Bot API updates in, engine [`Inbound`]s out; the engine's
//! messages back as `sendMessage` / `sendPhoto` calls.
//!
//! Customers write in private chats; staff use groups (only configured staff members are
//! listened to there, so group chatter is not answered) and their own private chats. Updates
//! arrive by long polling (default) or a webhook. Every non-text update a person sends
//! (sticker, photo, voice, edit...) becomes [`Body::Unsupported`] so the engine answers it;
//! inline-keyboard presses become [`Body::Button`] and are acknowledged with
//! `answerCallbackQuery`. Sending goes through the [`Router`]'s paced outbox: one message per
//! second per chat, 20 per minute per group, 30 per second overall, and a 429's
//! `retry_after` is waited out before the same request is sent again.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, BotCommandScope, CallbackQueryId, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, MediaKind, MessageKind, Recipient, Update, UpdateKind,
};
use teloxide::{ApiError, RequestError};
use thiserror::Error;
use tokio::sync::watch;

use super::router::{BoxFuture, DeliveryError, Lanes, Outlet, Rate, Router, chunks, stopped};
use crate::config::TelegramSettings;
use crate::domain::Channel;
use crate::engine::{
    Attachment, AttachmentKind, Body, Engine, Inbound, Origin, Outbound, Sender, SpaceOp,
};

/// Telegram's message length limit (characters).
const MAX_TEXT: usize = 4096;
/// Telegram's caption length limit (characters).
const MAX_CAPTION: usize = 1024;
/// Telegram's `callback_data` limit (bytes).
const MAX_CALLBACK_DATA: usize = 64;
/// Overall sending limit (Telegram FAQ: about 30 messages per second).
pub const GLOBAL_RATE: Rate = Rate::new(30, Duration::from_secs(1));

/// Why the Telegram adapter could not start.
#[derive(Debug, Error)]
pub enum TelegramError {
    #[error("TELOXIDE_API_URL / channels.telegram.api_url {url:?} is not a valid URL: {message}")]
    BadApiUrl { url: String, message: String },
    #[error("channels.telegram.webhook_listen {addr:?} is not an address like 127.0.0.1:8443")]
    BadListen { addr: String },
    #[error("channels.telegram.webhook_url {url:?} is not a valid URL")]
    BadWebhookUrl { url: String },
    #[error("the Telegram webhook server cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("Telegram refused the bot token (TELOXIDE_TOKEN): {0}")]
    Unauthorized(String),
    #[error("Telegram refused the webhook: {0}")]
    Webhook(String),
}

/// Builds the bot for `token`, pointed at `settings.api_url` when one is set.
pub fn bot(token: &str, settings: &TelegramSettings) -> Result<Bot, TelegramError> {
    let bot = Bot::new(token);
    if settings.api_url.trim().is_empty() {
        return Ok(bot);
    }
    let url = settings.api_url.trim();
    let parsed = url::Url::parse(url).map_err(|e| TelegramError::BadApiUrl {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    Ok(bot.set_api_url(parsed))
}

/// One inbound item: the engine's message, and the callback query to acknowledge.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramInbound {
    pub inbound: Inbound,
    pub callback: Option<CallbackQueryId>,
}

/// Who is staff on Telegram (`[[staff]] telegram = ID` and `crmbot staff add --telegram`):
/// only they are heard in groups.
pub fn staff_ids(engine: &Engine) -> HashSet<i64> {
    engine
        .staff_directory()
        .iter()
        .filter_map(|m| m.telegram)
        .collect()
}

/// A forum topic's address: `CHAT/THREAD` (a plain chat id otherwise).
pub fn topic_chat(chat: i64, thread: Option<i32>) -> String {
    match thread {
        Some(thread) => format!("{chat}/{thread}"),
        None => chat.to_string(),
    }
}

/// A photo, file, sticker or voice note, named by its Telegram file id.
fn attachment(message: &teloxide::types::Message) -> Option<Attachment> {
    let MessageKind::Common(common) = &message.kind else {
        return None;
    };
    let (kind, file, mime, caption) = match &common.media_kind {
        MediaKind::Photo(p) => {
            let largest = p.photo.iter().max_by_key(|s| s.width * s.height)?;
            (
                AttachmentKind::Photo,
                &largest.file,
                Some("image/jpeg".to_owned()),
                p.caption.clone(),
            )
        }
        MediaKind::Document(d) => (
            AttachmentKind::File,
            &d.document.file,
            d.document.mime_type.as_ref().map(|m| m.to_string()),
            d.caption.clone(),
        ),
        MediaKind::Sticker(s) => (AttachmentKind::Sticker, &s.sticker.file, None, None),
        MediaKind::Voice(v) => (
            AttachmentKind::Voice,
            &v.voice.file,
            v.voice.mime_type.as_ref().map(|m| m.to_string()),
            v.caption.clone(),
        ),
        _ => return None,
    };
    Some(Attachment {
        kind,
        file: file.id.0.clone(),
        mime,
        size: (file.size != u32::MAX).then_some(u64::from(file.size)),
        caption,
        content: None,
    })
}

/// Files up to this size are fetched so that a staff space on another platform gets the
/// file itself (Discord accepts 10 MiB from bots); larger ones are relayed by name.
const MAX_FETCHED_FILE: u64 = 8 * 1024 * 1024;

/// Fetches a customer's photo or file (`getFile`, then the file download) so it can be
/// relayed as itself; on any failure the attachment stays a reference.
async fn fetch_content(bot: &Bot, inbound: &mut Inbound) {
    use teloxide::net::Download;
    use teloxide::types::FileId;
    let Body::Attachment(file) = &mut inbound.body else {
        return;
    };
    let fetchable = matches!(file.kind, AttachmentKind::Photo | AttachmentKind::File)
        && file.size.is_none_or(|s| s <= MAX_FETCHED_FILE);
    if !fetchable {
        return;
    }
    let found = match bot.get_file(FileId(file.file.clone())).await {
        Ok(found) if u64::from(found.size) <= MAX_FETCHED_FILE => found,
        Ok(_) => return,
        Err(error) => {
            tracing::warn!(%error, "getFile failed; the attachment is relayed by reference");
            return;
        }
    };
    let mut bytes: Vec<u8> = Vec::new();
    match bot.download_file(&found.path, &mut bytes).await {
        Ok(()) => file.content = Some(bytes.into()),
        Err(error) => {
            tracing::warn!(%error, "file download failed; the attachment is relayed by reference")
        }
    }
}

/// The name the engine uses for a message that is not text.
fn unsupported_kind(message: &teloxide::types::Message) -> Option<&'static str> {
    let MessageKind::Common(common) = &message.kind else {
        return match &message.kind {
            MessageKind::Dice(_) => Some("dice"),
            // Service messages (members joining, titles, pins...) are nobody's question.
            _ => None,
        };
    };
    Some(match &common.media_kind {
        MediaKind::Text(_) => return None,
        MediaKind::Animation(_) => "GIF",
        MediaKind::Audio(_) => "audio file",
        MediaKind::Contact(_) => "contact",
        MediaKind::Document(_) => "document",
        MediaKind::Game(_) => "game",
        MediaKind::Venue(_) => "venue",
        MediaKind::Location(_) => "location",
        MediaKind::Photo(_) => "photo",
        MediaKind::Poll(_) => "poll",
        MediaKind::Sticker(_) => "sticker",
        MediaKind::Story(_) => "story",
        MediaKind::Video(_) => "video",
        MediaKind::VideoNote(_) => "video message",
        MediaKind::Voice(_) => "voice message",
        MediaKind::Migration(_) => return None,
        _ => "message of this kind",
    })
}

/// Translates one update; `None` for updates nobody needs to answer (service messages, bots,
/// group chatter from non-staff, channel posts, member changes...).
pub fn translate(
    update: &Update,
    staff: &HashSet<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<TelegramInbound> {
    let (message, edited) = match &update.kind {
        UpdateKind::Message(m) => (m, false),
        UpdateKind::EditedMessage(m) => (m, true),
        UpdateKind::CallbackQuery(q) => {
            let data = q.data.clone()?;
            let chat = match &q.message {
                Some(m) => m.chat().id.0,
                None => q.from.id.0 as i64,
            };
            if chat < 0 && !staff.contains(&(q.from.id.0 as i64)) {
                return None;
            }
            return Some(TelegramInbound {
                inbound: Inbound {
                    channel: Channel::Telegram,
                    chat: chat.to_string(),
                    sender: Sender::ChatUser {
                        user_id: q.from.id.0.to_string(),
                        display_name: q.from.full_name(),
                    },
                    body: Body::Button(data),
                    at: now,
                    origin: Origin {
                        update: Some(update.id.0.to_string()),
                        ..Origin::default()
                    },
                },
                callback: Some(q.id.clone()),
            });
        }
        _ => return None,
    };
    let from = message.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    let user_id = from.id.0 as i64;
    if !message.chat.is_private() && !staff.contains(&user_id) {
        return None;
    }
    let body = if edited {
        Body::Unsupported("edited message".into())
    } else if let Some(file) = attachment(message) {
        Body::Attachment(file)
    } else if let Some(what) = unsupported_kind(message) {
        Body::Unsupported(what.into())
    } else {
        Body::Text(message.text()?.to_owned())
    };
    let thread = message
        .is_topic_message
        .then_some(message.thread_id)
        .flatten()
        .map(|t| t.0.0);
    let origin = Origin {
        update: Some(update.id.0.to_string()),
        message: Some(message.id.0.to_string()),
        reply_to: message.reply_to_message().map(|m| m.id.0.to_string()),
        // Staff groups are staff-only on Telegram (customers write in private chats), and a
        // bot may only write to a user who started it: answers stay in the group.
        private_chat: None,
    };
    Some(TelegramInbound {
        inbound: Inbound {
            channel: Channel::Telegram,
            chat: topic_chat(message.chat.id.0, thread),
            sender: Sender::ChatUser {
                user_id: user_id.to_string(),
                display_name: from.full_name(),
            },
            body,
            at: now,
            origin,
        },
        callback: None,
    })
}

/// Handles one inbound item: acknowledge a button, ask the engine, route its messages.
pub async fn handle(bot: &Bot, engine: &Engine, router: &Router, item: TelegramInbound) {
    if let Some(id) = item.callback
        && let Err(error) = bot.answer_callback_query(id).await
    {
        tracing::warn!(%error, "answerCallbackQuery failed");
    }
    let chat = item.inbound.chat.clone();
    let started = std::time::Instant::now();
    let mut inbound = item.inbound;
    fetch_content(bot, &mut inbound).await;
    let outcome = engine.handle(inbound).await;
    tracing::info!(
        channel = "telegram",
        chat,
        replies = outcome.messages.len(),
        took = ?started.elapsed(),
        "message handled"
    );
    router.post_outcome(outcome);
}

/// Inbound lanes for Telegram: one ordered queue per chat.
pub fn inbound_lanes(bot: Bot, engine: Engine, router: Router) -> Lanes<TelegramInbound> {
    Lanes::new(move |_chat, item| {
        let bot = bot.clone();
        let engine = engine.clone();
        let router = router.clone();
        async move { handle(&bot, &engine, &router, item).await }
    })
}

fn queue(lanes: &Lanes<TelegramInbound>, item: TelegramInbound) {
    let chat = item.inbound.chat.clone();
    if lanes.push(&chat, item).is_err() {
        tracing::warn!(chat, "Telegram update arrived during shutdown; not handled");
    }
}

/// Registers the command menus: customers' in private chats, staff's in groups and in each
/// staff member's private chat.
pub async fn register_commands(bot: &Bot, staff: &HashSet<i64>) -> Result<(), RequestError> {
    let customer = vec![BotCommand::new("help", "What I can do for you")];
    let staff_commands = vec![
        BotCommand::new("tickets", "Open tickets"),
        BotCommand::new("customer", "Show a customer: /customer ID|EMAIL|NAME"),
        BotCommand::new("claim", "Take a ticket: /claim ID"),
        BotCommand::new("reply", "Answer a ticket's customer: /reply ID TEXT"),
        BotCommand::new("resolve", "Close a ticket: /resolve ID [NOTE]"),
        BotCommand::new("transfer", "Hand a ticket over: /transfer ID STAFF"),
        BotCommand::new("atrisk", "Customers at risk: /atrisk [SEGMENT] [N]"),
        BotCommand::new("help", "Staff commands"),
    ];
    bot.set_my_commands(customer)
        .scope(BotCommandScope::AllPrivateChats)
        .await?;
    bot.set_my_commands(staff_commands.clone())
        .scope(BotCommandScope::AllGroupChats)
        .await?;
    for id in staff {
        let scope = BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(*id)),
        };
        if let Err(error) = bot
            .set_my_commands(staff_commands.clone())
            .scope(scope)
            .await
        {
            // A staff member who never opened a chat with the bot: not fatal.
            tracing::warn!(staff = id, %error, "cannot set the staff command menu");
        }
    }
    Ok(())
}

fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::EditedMessage,
        AllowedUpdate::CallbackQuery,
    ]
}

/// Checks the token and prepares the bot: `getMe`, then the command menus.
pub async fn prepare(bot: &Bot, staff: &HashSet<i64>) -> Result<(), TelegramError> {
    let mut backoff = Backoff::default();
    loop {
        match bot.get_me().await {
            Ok(me) => {
                tracing::info!(bot = %me.username(), "connected to Telegram");
                break;
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                return Err(TelegramError::Unauthorized(
                    "getMe answered that the token is invalid".into(),
                ));
            }
            Err(error) => {
                let wait = backoff.delay();
                tracing::warn!(%error, ?wait, "cannot reach Telegram; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
    if let Err(error) = register_commands(bot, staff).await {
        tracing::warn!(%error, "cannot register the command menus");
    }
    Ok(())
}

/// Exponential backoff: 1 s, 2 s, 4 s... at most 60 s.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn delay(&mut self) -> Duration {
        let wait = Duration::from_secs(1 << self.failures.min(6)).min(Duration::from_secs(60));
        self.failures += 1;
        wait
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// Long polling until `shutdown` turns true. Lost connections are retried with backoff; a
/// revoked token stops the adapter. Updates are confirmed to Telegram once queued, with a
/// last `getUpdates` at shutdown.
pub async fn poll(
    bot: Bot,
    engine: Engine,
    lanes: Lanes<TelegramInbound>,
    timeout_secs: u32,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), TelegramError> {
    let staff = staff_ids(&engine);
    let clock = engine.deps().clock.clone();
    if let Err(error) = bot.delete_webhook().await {
        tracing::warn!(%error, "deleteWebhook failed (polling continues)");
    }
    let mut offset: Option<i32> = None;
    let mut backoff = Backoff::default();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let mut request = bot
            .get_updates()
            .timeout(timeout_secs)
            .allowed_updates(allowed_updates());
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let result = tokio::select! {
            result = request.send() => result,
            _ = stopped(&mut shutdown) => break,
        };
        match result {
            Ok(updates) => {
                backoff.reset();
                for update in updates {
                    offset = Some(update.id.0 as i32 + 1);
                    match translate(&update, &staff, clock.now()) {
                        Some(item) => queue(&lanes, item),
                        None => tracing::debug!(update = update.id.0, "update ignored"),
                    }
                }
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                return Err(TelegramError::Unauthorized(
                    "getUpdates answered that the token is invalid".into(),
                ));
            }
            Err(error) => {
                let wait = match &error {
                    RequestError::RetryAfter(s) => s.duration(),
                    _ => backoff.delay(),
                };
                tracing::warn!(%error, ?wait, "getUpdates failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped(&mut shutdown) => break,
                }
            }
        }
    }
    // Confirm what was received, so a restart does not answer it twice.
    if let Some(offset) = offset {
        let confirm = bot.get_updates().offset(offset).timeout(0).limit(1).send();
        if let Err(error) = tokio::time::timeout(Duration::from_secs(5), confirm)
            .await
            .unwrap_or_else(|_| {
                Err(RequestError::Io(Arc::new(
                    std::io::ErrorKind::TimedOut.into(),
                )))
            })
        {
            tracing::warn!(%error, "could not confirm the last updates to Telegram");
        }
    }
    Ok(())
}

/// The secret Telegram sends back in `X-Telegram-Bot-Api-Secret-Token` (derived from the
/// token, so it survives restarts without being configured).
fn webhook_secret(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("crmbot-webhook:{token}").as_bytes());
    digest.iter().take(24).map(|b| format!("{b:02x}")).collect()
}

/// Binds `webhook_listen` (port 0 lets the system choose). Done before the adapter starts,
/// so a busy or malformed address is a clean start-up error.
pub async fn webhook_listener(
    settings: &TelegramSettings,
) -> Result<tokio::net::TcpListener, TelegramError> {
    let addr: SocketAddr =
        settings
            .webhook_listen
            .parse()
            .map_err(|_| TelegramError::BadListen {
                addr: settings.webhook_listen.clone(),
            })?;
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| TelegramError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Serves the webhook on `listener` until `shutdown`; registers it with `setWebhook` first.
pub async fn webhook(
    bot: Bot,
    token: &str,
    engine: Engine,
    lanes: Lanes<TelegramInbound>,
    settings: &TelegramSettings,
    listener: tokio::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), TelegramError> {
    use axum::http::{HeaderMap, StatusCode};
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| settings.webhook_listen.clone());
    let url = url::Url::parse(&settings.webhook_url).map_err(|_| TelegramError::BadWebhookUrl {
        url: settings.webhook_url.clone(),
    })?;
    let secret = Arc::new(webhook_secret(token));
    bot.set_webhook(url)
        .secret_token(secret.as_str().to_owned())
        .allowed_updates(allowed_updates())
        .await
        .map_err(|e| TelegramError::Webhook(e.to_string()))?;
    let staff = Arc::new(staff_ids(&engine));
    let clock = engine.deps().clock.clone();
    let app = axum::Router::new().fallback(axum::routing::post(
        move |headers: HeaderMap, body: axum::body::Bytes| {
            let secret = secret.clone();
            let staff = staff.clone();
            let clock = clock.clone();
            let lanes = lanes.clone();
            async move {
                let given = headers
                    .get("x-telegram-bot-api-secret-token")
                    .and_then(|v| v.to_str().ok());
                if given != Some(secret.as_str()) {
                    return StatusCode::UNAUTHORIZED;
                }
                match serde_json::from_slice::<Update>(&body) {
                    Ok(update) => {
                        if let Some(item) = translate(&update, &staff, clock.now()) {
                            queue(&lanes, item);
                        }
                    }
                    Err(error) => tracing::warn!(%error, "unreadable webhook update ignored"),
                }
                StatusCode::OK
            }
        },
    ));
    tracing::info!(%addr, "Telegram webhook listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stopped(&mut shutdown).await;
        })
        .await
        .map_err(|source| TelegramError::Listen { addr, source })
}

/// One Bot API request's worth of an [`Outbound`].
#[derive(Debug, Clone)]
pub enum TelegramPart {
    Text {
        text: String,
        keyboard: Option<InlineKeyboardMarkup>,
        /// What to do with the ticket's forum topic (on the first part only).
        space: Option<SpaceOp>,
    },
    Photo {
        png: Vec<u8>,
        caption: String,
        keyboard: Option<InlineKeyboardMarkup>,
    },
    /// A file Telegram already holds, sent again by its id.
    File(Attachment),
}

/// Sends through the Bot API; reports forum topics and relayed messages to the engine.
pub struct TelegramOutlet {
    bot: Bot,
    engine: Option<Engine>,
}

impl TelegramOutlet {
    pub fn new(bot: Bot) -> TelegramOutlet {
        TelegramOutlet { bot, engine: None }
    }

    /// Reports the topics it opens and the messages it posts for tickets to `engine`.
    pub fn with_engine(mut self, engine: Engine) -> TelegramOutlet {
        self.engine = Some(engine);
        self
    }

    async fn send_text(
        &self,
        to: &Target,
        text: &str,
        keyboard: &Option<InlineKeyboardMarkup>,
        space: &Option<SpaceOp>,
    ) -> Result<(), RequestError> {
        let mut to = to.clone();
        if let Some(SpaceOp::Open { ticket, title }) = space
            && to.thread.is_none()
        {
            // A forum: one topic per ticket. A plain group refuses, and the card is posted
            // in the group itself (replies to it reach the customer).
            match self
                .bot
                .create_forum_topic(to.chat.clone(), title.clone())
                .await
            {
                Ok(topic) => {
                    to.thread = Some(topic.thread_id);
                    if let (Some(engine), Recipient::Id(chat)) = (&self.engine, &to.chat) {
                        let chat = topic_chat(chat.0, Some(topic.thread_id.0.0));
                        engine.space_opened(*ticket, Channel::Telegram, &chat).await;
                    }
                }
                Err(error) => tracing::debug!(%error, "no forum topic; posting in the group"),
            }
        }
        if let (Some(SpaceOp::Reopen { .. }), Some(thread)) = (space, to.thread)
            && let Err(error) = self.bot.reopen_forum_topic(to.chat.clone(), thread).await
        {
            tracing::warn!(%error, "reopenForumTopic failed");
        }
        let mut request = self.bot.send_message(to.chat.clone(), text.to_owned());
        if let Some(thread) = to.thread {
            request = request.message_thread_id(thread);
        }
        if let Some(k) = keyboard {
            request = request.reply_markup(k.clone());
        }
        let sent = request.await?;
        self.after_send(&to, sent.id.0, space).await;
        Ok(())
    }

    /// Links a ticket's posted message, and closes the topic after the last message.
    async fn after_send(&self, to: &Target, message: i32, space: &Option<SpaceOp>) {
        let ticket = match space {
            Some(SpaceOp::Open { ticket, .. } | SpaceOp::Post { ticket }) => *ticket,
            Some(SpaceOp::Close { .. }) => {
                if let Some(thread) = to.thread
                    && let Err(error) = self.bot.close_forum_topic(to.chat.clone(), thread).await
                {
                    tracing::warn!(%error, "closeForumTopic failed");
                }
                return;
            }
            _ => return,
        };
        if let (Some(engine), Recipient::Id(chat)) = (&self.engine, &to.chat) {
            let chat = topic_chat(chat.0, to.thread.map(|t| t.0.0));
            engine
                .message_posted(ticket, Channel::Telegram, &chat, &message.to_string())
                .await;
        }
    }

    async fn send_file(&self, to: &Target, file: &Attachment) -> Result<(), RequestError> {
        use teloxide::types::FileId;
        // A Discord attachment is a link Telegram fetches itself; a Telegram one is an id.
        let input = match url::Url::parse(&file.file) {
            Ok(link) if link.scheme() == "https" => InputFile::url(link),
            _ => InputFile::file_id(FileId(file.file.clone())),
        };
        let caption = file.caption.clone().unwrap_or_default();
        macro_rules! send {
            ($request:expr) => {{
                let mut request = $request;
                if let Some(thread) = to.thread {
                    request = request.message_thread_id(thread);
                }
                request
            }};
        }
        let with_caption = |c: &str| (!c.is_empty()).then(|| c.to_owned());
        let chat = to.chat.clone();
        match file.kind {
            AttachmentKind::Photo => {
                let mut r = send!(self.bot.send_photo(chat, input));
                if let Some(c) = with_caption(&caption) {
                    r = r.caption(c);
                }
                r.await.map(|_| ())
            }
            AttachmentKind::File => {
                let mut r = send!(self.bot.send_document(chat, input));
                if let Some(c) = with_caption(&caption) {
                    r = r.caption(c);
                }
                r.await.map(|_| ())
            }
            AttachmentKind::Voice => {
                let mut r = send!(self.bot.send_voice(chat, input));
                if let Some(c) = with_caption(&caption) {
                    r = r.caption(c);
                }
                r.await.map(|_| ())
            }
            AttachmentKind::Sticker => send!(self.bot.send_sticker(chat, input)).await.map(|_| ()),
        }
    }
}

/// A chat, and the forum topic in it when the address names one (`CHAT/THREAD`).
#[derive(Debug, Clone)]
struct Target {
    chat: Recipient,
    thread: Option<teloxide::types::ThreadId>,
}

fn keyboard(buttons: &[crate::engine::Button]) -> Option<InlineKeyboardMarkup> {
    let rows: Vec<Vec<InlineKeyboardButton>> = buttons
        .iter()
        .filter(|b| {
            let fits = b.data.len() <= MAX_CALLBACK_DATA;
            if !fits {
                tracing::error!(label = %b.label, "button data over Telegram's 64 bytes; button left out");
            }
            fits
        })
        .map(|b| vec![InlineKeyboardButton::callback(b.label.clone(), b.data.clone())])
        .collect();
    (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
}

/// A numeric chat id (with `/THREAD` for a forum topic), or a public channel's `@username`.
fn recipient(chat: &str) -> Result<Target, DeliveryError> {
    if chat.starts_with('@') && chat.len() > 1 {
        return Ok(Target {
            chat: Recipient::ChannelUsername(chat.to_owned()),
            thread: None,
        });
    }
    let bad = || DeliveryError::Permanent(format!("{chat:?} is not a Telegram chat id"));
    let (id, thread) = match chat.split_once('/') {
        Some((id, thread)) => (id, Some(thread.parse::<i32>().map_err(|_| bad())?)),
        None => (chat, None),
    };
    let id = id.parse::<i64>().map_err(|_| bad())?;
    Ok(Target {
        chat: Recipient::Id(ChatId(id)),
        thread: thread.map(|t| teloxide::types::ThreadId(teloxide::types::MessageId(t))),
    })
}

fn classify(error: RequestError) -> DeliveryError {
    match error {
        RequestError::RetryAfter(s) => DeliveryError::RetryAfter(s.duration()),
        RequestError::Network(e) => DeliveryError::Transient(e.to_string()),
        RequestError::Io(e) => DeliveryError::Transient(e.to_string()),
        RequestError::InvalidJson { source, .. } => DeliveryError::Transient(source.to_string()),
        RequestError::Api(ApiError::Unknown(message)) if message.contains("Internal") => {
            DeliveryError::Transient(message)
        }
        other => DeliveryError::Permanent(other.to_string()),
    }
}

impl Outlet for TelegramOutlet {
    type Part = TelegramPart;

    fn split(&self, message: Outbound) -> Vec<TelegramPart> {
        let mut parts: Vec<TelegramPart> = chunks(&message.text, MAX_TEXT)
            .into_iter()
            .map(|text| TelegramPart::Text {
                text,
                keyboard: None,
                space: None,
            })
            .collect();
        if let Some(TelegramPart::Text { space, .. }) = parts.first_mut() {
            *space = message.space.clone();
        }
        if let Some(file) = message.attachment {
            parts.push(TelegramPart::File(file));
        }
        if let Some(image) = message.image {
            let caption: String = image.caption.chars().take(MAX_CAPTION).collect();
            parts.push(TelegramPart::Photo {
                png: image.png,
                caption,
                keyboard: None,
            });
        }
        if let Some(markup) = keyboard(&message.buttons) {
            match parts.last_mut() {
                Some(
                    TelegramPart::Text { keyboard, .. } | TelegramPart::Photo { keyboard, .. },
                ) => *keyboard = Some(markup),
                _ => parts.push(TelegramPart::Text {
                    text: "…".into(),
                    keyboard: Some(markup),
                    space: None,
                }),
            }
        }
        parts
    }

    fn chat_rates(&self, chat: &str) -> Vec<Rate> {
        let mut rates = vec![Rate::new(1, Duration::from_secs(1))];
        if chat.starts_with('-') {
            rates.push(Rate::new(20, Duration::from_secs(60)));
        }
        rates
    }

    fn send<'a>(
        &'a self,
        chat: &'a str,
        part: &'a TelegramPart,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let to = recipient(chat)?;
            let result = match part {
                TelegramPart::Text {
                    text,
                    keyboard,
                    space,
                } => self.send_text(&to, text, keyboard, space).await,
                TelegramPart::File(file) => self.send_file(&to, file).await,
                TelegramPart::Photo {
                    png,
                    caption,
                    keyboard,
                } => {
                    let file = InputFile::memory(png.clone()).file_name("chart.png");
                    let mut request = self.bot.send_photo(to.chat.clone(), file);
                    if let Some(thread) = to.thread {
                        request = request.message_thread_id(thread);
                    }
                    if !caption.is_empty() {
                        request = request.caption(caption.clone());
                    }
                    if let Some(k) = keyboard {
                        request = request.reply_markup(k.clone());
                    }
                    request.await.map(|_| ())
                }
            };
            result.map_err(classify)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn update(json: serde_json::Value) -> Update {
        // As on the wire: teloxide's `Update` does not deserialize from a `Value`.
        serde_json::from_str(&json.to_string()).unwrap()
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
    }

    fn message(chat: serde_json::Value, from: i64, extra: serde_json::Value) -> serde_json::Value {
        let mut m = serde_json::json!({
            "message_id": 5, "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": from, "is_bot": false, "first_name": "Ann", "last_name": "Lee"},
        });
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    fn private(id: i64) -> serde_json::Value {
        serde_json::json!({"id": id, "type": "private", "first_name": "Ann"})
    }

    #[test]
    fn private_text_is_a_customer_message() {
        let u = update(serde_json::json!({"update_id": 1,
            "message": message(private(77), 77, serde_json::json!({"text": "hi"}))}));
        let item = translate(&u, &HashSet::new(), now()).unwrap();
        assert_eq!(item.inbound.chat, "77");
        assert_eq!(item.inbound.body, Body::Text("hi".into()));
        assert_eq!(
            item.inbound.sender,
            Sender::ChatUser {
                user_id: "77".into(),
                display_name: "Ann Lee".into()
            }
        );
    }

    #[test]
    fn stickers_are_relayed_as_stickers_and_edits_are_unsupported() {
        let sticker = serde_json::json!({"file_id": "f", "file_unique_id": "u", "type": "regular",
            "width": 1, "height": 1, "is_animated": false, "is_video": false});
        let u = update(serde_json::json!({"update_id": 2,
            "message": message(private(77), 77, serde_json::json!({"sticker": sticker}))}));
        let item = translate(&u, &HashSet::new(), now()).unwrap();
        assert_eq!(
            item.inbound.body,
            Body::Attachment(Attachment {
                kind: AttachmentKind::Sticker,
                file: "f".into(),
                mime: None,
                size: None,
                caption: None,
                content: None,
            })
        );
        let u = update(serde_json::json!({"update_id": 3,
            "edited_message": message(private(77), 77, serde_json::json!({"text": "x", "edit_date": 1_700_000_001}))}));
        let item = translate(&u, &HashSet::new(), now()).unwrap();
        assert_eq!(
            item.inbound.body,
            Body::Unsupported("edited message".into())
        );
    }

    #[test]
    fn groups_hear_only_staff() {
        let group = serde_json::json!({"id": -100, "type": "group", "title": "Staff"});
        let from_customer = update(serde_json::json!({"update_id": 4,
            "message": message(group.clone(), 77, serde_json::json!({"text": "/tickets"}))}));
        let staff: HashSet<i64> = [1001].into();
        assert!(translate(&from_customer, &staff, now()).is_none());
        let from_staff = update(serde_json::json!({"update_id": 5,
            "message": message(group, 1001, serde_json::json!({"text": "/tickets"}))}));
        assert_eq!(
            translate(&from_staff, &staff, now()).unwrap().inbound.chat,
            "-100"
        );
    }

    #[test]
    fn callback_queries_are_button_presses() {
        let u = update(serde_json::json!({"update_id": 6, "callback_query": {
            "id": "cb1", "chat_instance": "ci", "data": "csat:5",
            "from": {"id": 77, "is_bot": false, "first_name": "Ann"},
            "message": message(private(77), 77, serde_json::json!({"text": "rate us"}))}}));
        let item = translate(&u, &HashSet::new(), now()).unwrap();
        assert_eq!(item.inbound.body, Body::Button("csat:5".into()));
        assert_eq!(item.callback, Some(CallbackQueryId("cb1".into())));
    }

    #[test]
    fn group_chats_are_paced_per_minute_too() {
        let outlet = TelegramOutlet::new(Bot::new("1:x"));
        assert_eq!(outlet.chat_rates("77").len(), 1);
        assert_eq!(outlet.chat_rates("-100").len(), 2);
    }
}
