//! The Discord adapter (serenity): gateway events in, engine [`Inbound`]s out; the engine's
//! messages back as channel messages, interaction responses and followups.
//!
//! Customers write to the bot in DMs; staff work in guild channels (only configured staff
//! members are listened to there) and through slash commands, whose answers are ephemeral
//! (only the staff member sees customer data). Buttons (offers, CSAT) are message components
//! whose `custom_id` comes back as [`Body::Button`]; charts are PNG attachments. Sending goes
//! through the [`Router`]'s paced outbox (5 messages per 5 s per channel, 50 requests per
//! second overall), so a busy moment is queued rather than answered with a burst of 429s.
//! Reading message text needs the privileged MESSAGE_CONTENT intent (see the README).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ButtonStyle, ChannelId, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions, CreateAttachment,
    CreateButton, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder, Interaction,
    Message, Ready, UserId,
};
use serenity::async_trait;
use serenity::gateway::GatewayError;
use serenity::http::HttpError;
use thiserror::Error;
use tokio::sync::watch;

use super::router::{BoxFuture, DeliveryError, Lanes, Outlet, Rate, Router, chunks, stopped};
use super::telegram::Backoff;
use crate::config::DiscordSettings;
use crate::domain::Channel;
use crate::engine::{
    Address, Attachment, AttachmentKind, Body, Button, Engine, Inbound, Origin, Outbound, Sender,
    SpaceOp,
};

/// Discord's message length limit (characters).
const MAX_TEXT: usize = 2000;
/// Discord's limits on components: 5 buttons per row, 5 rows, 80-char labels, 100-char ids.
const MAX_BUTTONS: usize = 25;
const MAX_CUSTOM_ID: usize = 100;
/// Overall request limit (Discord: 50 requests per second per bot).
pub const GLOBAL_RATE: Rate = Rate::new(50, Duration::from_secs(1));

/// Why the Discord adapter stopped.
#[derive(Debug, Error)]
pub enum DiscordError {
    #[error("Discord refused the bot token (DISCORD_TOKEN)")]
    Unauthorized,
    #[error(
        "Discord refused the gateway intents: enable MESSAGE CONTENT INTENT for the bot in the developer portal (see README)"
    )]
    Intents,
}

/// The intents the bot needs: guild and direct messages, with their text.
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// The REST client: Discord itself, or `api_url` (a proxy or a fake) with serenity's own
/// rate limiter off (crmbot's outbox paces requests instead).
pub fn http(token: &str, settings: &DiscordSettings) -> Http {
    let base = settings.api_url.trim();
    // Texts can quote customers: never let them ping @everyone, roles or users.
    let mut builder = HttpBuilder::new(token).default_allowed_mentions(no_pings());
    if !base.is_empty() {
        builder = builder.proxy(base).ratelimiter_disabled(true);
    }
    builder.build()
}

/// Allowed mentions that ping nobody (texts may quote what customers wrote).
fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// One inbound item for the engine.
pub enum DiscordInbound {
    /// A message in a DM or a guild channel.
    Message(Inbound),
    /// A slash command, already deferred (ephemeral): answered by editing the response.
    Command {
        inbound: Inbound,
        http: Arc<Http>,
        interaction: Box<CommandInteraction>,
    },
    /// A button press, already acknowledged.
    Component(Inbound),
}

impl DiscordInbound {
    fn inbound(&self) -> &Inbound {
        match self {
            DiscordInbound::Message(i) | DiscordInbound::Component(i) => i,
            DiscordInbound::Command { inbound, .. } => inbound,
        }
    }
}

/// Inbound lanes for Discord: one ordered queue per channel.
pub fn inbound_lanes(engine: Engine, router: Router) -> Lanes<DiscordInbound> {
    Lanes::new(move |_channel, item| {
        let engine = engine.clone();
        let router = router.clone();
        async move { handle(&engine, &router, item).await }
    })
}

async fn handle(engine: &Engine, router: &Router, item: DiscordInbound) {
    tracing::info!(channel = "discord", chat = %item.inbound().chat, "handling a message");
    match item {
        DiscordInbound::Message(inbound) | DiscordInbound::Component(inbound) => {
            router.post_outcome(engine.handle(inbound).await);
        }
        DiscordInbound::Command {
            inbound,
            http,
            interaction,
        } => {
            let here = Address {
                channel: Channel::Discord,
                chat: inbound.chat.clone(),
            };
            let outcome = engine.handle(inbound).await;
            let (mine, others): (Vec<Outbound>, Vec<Outbound>) =
                outcome.messages.into_iter().partition(|m| m.to == here);
            router.post_all(others);
            answer_command(&http, &interaction, mine).await;
        }
    }
}

/// Answers a deferred slash command: the first message edits the response, the others are
/// ephemeral followups.
async fn answer_command(http: &Http, interaction: &CommandInteraction, messages: Vec<Outbound>) {
    let mut first = true;
    let parts: Vec<DiscordPart> = messages.into_iter().flat_map(split).collect();
    if parts.is_empty() {
        let edit = EditInteractionResponse::new().content("Done.");
        if let Err(error) = interaction.edit_response(http, edit).await {
            tracing::warn!(%error, "cannot answer a slash command");
        }
        return;
    }
    for part in parts {
        let result = if first {
            first = false;
            let mut edit = EditInteractionResponse::new()
                .allowed_mentions(no_pings())
                .content(part.content)
                .components(rows(&part.buttons));
            if let Some(png) = part.file {
                edit = edit.new_attachment(CreateAttachment::bytes(png, "chart.png"));
            }
            interaction.edit_response(http, edit).await.map(|_| ())
        } else {
            let mut followup = CreateInteractionResponseFollowup::new()
                .allowed_mentions(no_pings())
                .ephemeral(true)
                .content(part.content)
                .components(rows(&part.buttons));
            if let Some(png) = part.file {
                followup = followup.add_file(CreateAttachment::bytes(png, "chart.png"));
            }
            interaction
                .create_followup(http, followup)
                .await
                .map(|_| ())
        };
        if let Err(error) = result {
            tracing::warn!(%error, "cannot answer a slash command");
        }
    }
}

fn queue(lanes: &Lanes<DiscordInbound>, item: DiscordInbound) {
    let chat = item.inbound().chat.clone();
    if lanes.push(&chat, item).is_err() {
        tracing::warn!(chat, "Discord event arrived during shutdown; not handled");
    }
}

/// The slash commands, with their options in the order the text command takes them.
type CommandSpec = (&'static str, CreateCommand, &'static [&'static str]);

fn commands() -> Vec<CommandSpec> {
    let int = |name: &str, what: &str| {
        CreateCommandOption::new(CommandOptionType::Integer, name, what).required(true)
    };
    let text = |name: &str, what: &str, required: bool| {
        CreateCommandOption::new(CommandOptionType::String, name, what).required(required)
    };
    vec![
        (
            "help",
            CreateCommand::new("help").description("What the bot can do"),
            &[],
        ),
        (
            "tickets",
            CreateCommand::new("tickets").description("Open tickets"),
            &[],
        ),
        (
            "customer",
            CreateCommand::new("customer")
                .description("Show a customer")
                .add_option(text("query", "Customer id, email or name", true)),
            &["query"],
        ),
        (
            "claim",
            CreateCommand::new("claim")
                .description("Take a ticket")
                .add_option(int("id", "Ticket number")),
            &["id"],
        ),
        (
            "reply",
            CreateCommand::new("reply")
                .description("Answer the customer of a ticket")
                .add_option(int("id", "Ticket number"))
                .add_option(text("text", "Your answer", true)),
            &["id", "text"],
        ),
        (
            "resolve",
            CreateCommand::new("resolve")
                .description("Close a ticket")
                .add_option(int("id", "Ticket number"))
                .add_option(text("note", "Resolution note", false)),
            &["id", "note"],
        ),
        (
            "transfer",
            CreateCommand::new("transfer")
                .description("Hand a ticket to another staff member")
                .add_option(int("id", "Ticket number"))
                .add_option(text("staff", "Staff member's name", true)),
            &["id", "staff"],
        ),
        (
            "atrisk",
            CreateCommand::new("atrisk")
                .description("Customers at risk of churning")
                .add_option(text("segment", "Segment", false))
                .add_option(
                    CreateCommandOption::new(CommandOptionType::Integer, "top", "How many")
                        .required(false),
                ),
            &["segment", "top"],
        ),
    ]
}

/// The text command a slash command stands for: `/reply 3 on my way`.
pub fn command_text(interaction: &CommandInteraction) -> String {
    let name = interaction.data.name.as_str();
    let order: &[&str] = commands()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, o)| o)
        .unwrap_or(&[]);
    let value = |v: &CommandDataOptionValue| match v {
        CommandDataOptionValue::String(s) => Some(s.clone()),
        CommandDataOptionValue::Integer(i) => Some(i.to_string()),
        CommandDataOptionValue::Number(n) => Some(n.to_string()),
        CommandDataOptionValue::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    let mut text = format!("/{name}");
    let options = &interaction.data.options;
    let ordered = order
        .iter()
        .filter_map(|o| options.iter().find(|opt| opt.name == *o))
        .chain(
            options
                .iter()
                .filter(|opt| !order.contains(&opt.name.as_str())),
        );
    for option in ordered {
        if let Some(v) = value(&option.value) {
            text.push(' ');
            text.push_str(&v);
        }
    }
    text
}

/// What a message with no text carries, for [`Body::Unsupported`].
fn unsupported_kind(message: &Message) -> Option<&'static str> {
    if !message.content.trim().is_empty() {
        return None;
    }
    if !message.sticker_items.is_empty() {
        return Some("sticker");
    }
    if let Some(a) = message.attachments.first() {
        let image = a
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("image/"));
        return Some(if image { "image" } else { "file" });
    }
    if !message.embeds.is_empty() {
        return Some("embed");
    }
    Some("message of this kind")
}

/// Translates a gateway message; `None` for bots, and in guild channels for anyone who is
/// not staff and for staff chatter that neither starts with `/` nor mentions the bot (the
/// Discord equivalent of Telegram's group privacy mode). A leading mention is removed.
pub fn translate(
    message: &Message,
    staff: &HashSet<u64>,
    me: Option<u64>,
    in_ticket_thread: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Inbound> {
    if message.author.bot || message.author.system {
        return None;
    }
    let author = message.author.id.get();
    let mut content = message.content.trim().to_owned();
    if message.guild_id.is_some() {
        if !staff.contains(&author) {
            return None;
        }
        let mention = me.and_then(|me| {
            [format!("<@{me}>"), format!("<@!{me}>")]
                .into_iter()
                .find(|m| content.starts_with(m.as_str()))
        });
        match mention {
            Some(m) => content = content[m.len()..].trim().to_owned(),
            // In a ticket's thread, whatever staff type is for the customer.
            None if content.starts_with('/') || in_ticket_thread => {}
            None => return None,
        }
    }
    let body = match (attachment(message), unsupported_kind(message)) {
        (Some(file), _) => Body::Attachment(file),
        (None, Some(what)) => Body::Unsupported(what.into()),
        (None, None) => Body::Text(content),
    };
    Some(Inbound {
        channel: Channel::Discord,
        chat: message.channel_id.get().to_string(),
        sender: sender(&message.author),
        body,
        at: now,
        origin: Origin {
            update: Some(message.id.get().to_string()),
            message: Some(message.id.get().to_string()),
            reply_to: message
                .referenced_message
                .as_ref()
                .map(|m| m.id.get().to_string()),
            // Lookups typed in a guild channel (not a ticket's thread) are answered in DM.
            private_chat: (message.guild_id.is_some() && !in_ticket_thread)
                .then(|| Address::direct(Channel::Discord, &author.to_string()).chat),
        },
    })
}

/// The first attachment or sticker, named by its URL (photos, files, voice notes) or id.
fn attachment(message: &Message) -> Option<Attachment> {
    if let Some(a) = message.attachments.first() {
        let mime = a.content_type.clone();
        let kind = match mime.as_deref() {
            Some(t) if t.starts_with("image/") => AttachmentKind::Photo,
            Some(t) if t.starts_with("audio/") => AttachmentKind::Voice,
            _ => AttachmentKind::File,
        };
        let caption = Some(message.content.trim().to_owned()).filter(|c| !c.is_empty());
        return Some(Attachment {
            kind,
            file: a.url.clone(),
            mime,
            size: Some(u64::from(a.size)),
            caption,
            content: None,
        });
    }
    message.sticker_items.first().map(|s| Attachment {
        kind: AttachmentKind::Sticker,
        file: format!("https://media.discordapp.net/stickers/{}.png", s.id.get()),
        mime: None,
        size: None,
        caption: Some(s.name.clone()),
        content: None,
    })
}

fn sender(user: &serenity::all::User) -> Sender {
    Sender::ChatUser {
        user_id: user.id.get().to_string(),
        display_name: user
            .global_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
    }
}

/// The gateway event handler: translates and queues, never blocks on the engine.
pub struct Handler {
    engine: Engine,
    lanes: Lanes<DiscordInbound>,
    staff: HashSet<u64>,
    guild: Option<u64>,
}

impl Handler {
    pub fn new(engine: Engine, lanes: Lanes<DiscordInbound>, guild: Option<u64>) -> Handler {
        let staff = engine
            .staff_directory()
            .iter()
            .filter_map(|m| m.discord)
            .collect();
        Handler {
            engine,
            lanes,
            staff,
            guild,
        }
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.deps().clock.now()
    }

    async fn command(&self, ctx: &Context, interaction: CommandInteraction) {
        let defer = CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(true),
        );
        if let Err(error) = interaction.create_response(&ctx.http, defer).await {
            tracing::warn!(%error, "cannot acknowledge a slash command");
            return;
        }
        let inbound = Inbound {
            channel: Channel::Discord,
            chat: interaction.channel_id.get().to_string(),
            sender: sender(&interaction.user),
            body: Body::Text(command_text(&interaction)),
            at: self.now(),
            origin: Origin {
                update: Some(interaction.id.get().to_string()),
                ..Origin::default()
            },
        };
        queue(
            &self.lanes,
            DiscordInbound::Command {
                inbound,
                http: ctx.http.clone(),
                interaction: Box::new(interaction),
            },
        );
    }

    async fn component(&self, ctx: &Context, interaction: ComponentInteraction) {
        if let Err(error) = interaction
            .create_response(&ctx.http, CreateInteractionResponse::Acknowledge)
            .await
        {
            tracing::warn!(%error, "cannot acknowledge a button press");
        }
        let inbound = Inbound {
            channel: Channel::Discord,
            chat: interaction.channel_id.get().to_string(),
            sender: sender(&interaction.user),
            body: Body::Button(interaction.data.custom_id.clone()),
            at: self.now(),
            origin: Origin {
                update: Some(interaction.id.get().to_string()),
                ..Origin::default()
            },
        };
        queue(&self.lanes, DiscordInbound::Component(inbound));
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        let commands: Vec<CreateCommand> = commands().into_iter().map(|(_, c, _)| c).collect();
        let result = match self.guild {
            Some(guild) => GuildId::new(guild).set_commands(&ctx.http, commands).await,
            None => serenity::all::Command::set_global_commands(&ctx.http, commands).await,
        };
        if let Err(error) = result {
            tracing::warn!(%error, "cannot register the slash commands");
        }
    }

    async fn message(&self, ctx: Context, message: Message) {
        let me = ctx.cache.current_user().id.get();
        let thread = self
            .engine
            .is_space(Channel::Discord, &message.channel_id.get().to_string());
        if let Some(inbound) = translate(&message, &self.staff, Some(me), thread, self.now()) {
            queue(&self.lanes, DiscordInbound::Message(inbound));
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(c) => self.command(&ctx, c).await,
            Interaction::Component(c) => self.component(&ctx, c).await,
            _ => {}
        }
    }
}

/// Connects and serves until `shutdown`; lost connections are retried with backoff (serenity
/// reconnects the gateway itself; a failed start is retried here). A refused token or
/// refused intents stop the adapter with an error.
pub async fn run(
    token: &str,
    settings: &DiscordSettings,
    handler: Arc<Handler>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), DiscordError> {
    let mut backoff = Backoff::default();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let built =
            serenity::client::ClientBuilder::new_with_http(http(token, settings), intents())
                .event_handler_arc(handler.clone());
        let mut client = match built.await {
            Ok(client) => client,
            Err(error) => {
                let wait = backoff.delay();
                tracing::warn!(%error, ?wait, "cannot start the Discord client; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => continue,
                    _ = stopped(&mut shutdown) => return Ok(()),
                }
            }
        };
        let shards = client.shard_manager.clone();
        let start = client.start();
        tokio::pin!(start);
        let result = tokio::select! {
            result = &mut start => result,
            _ = stopped(&mut shutdown) => {
                shards.shutdown_all().await;
                let _ = tokio::time::timeout(Duration::from_secs(5), start).await;
                return Ok(());
            }
        };
        match result {
            Err(serenity::Error::Gateway(GatewayError::InvalidAuthentication)) => {
                return Err(DiscordError::Unauthorized);
            }
            Err(serenity::Error::Gateway(
                GatewayError::DisallowedGatewayIntents | GatewayError::InvalidGatewayIntents,
            )) => return Err(DiscordError::Intents),
            other => {
                let wait = backoff.delay();
                match other {
                    Ok(()) => tracing::warn!(?wait, "the Discord connection ended; reconnecting"),
                    Err(error) => {
                        tracing::warn!(%error, ?wait, "the Discord connection failed; reconnecting")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped(&mut shutdown) => return Ok(()),
                }
            }
        }
    }
}

/// One REST request's worth of an [`Outbound`].
#[derive(Debug, Clone, Default)]
pub struct DiscordPart {
    content: String,
    buttons: Vec<Button>,
    file: Option<Vec<u8>>,
    /// The name the file is uploaded under.
    file_name: &'static str,
    /// What to do with the ticket's thread (on the first part only).
    space: Option<SpaceOp>,
}

fn split(message: Outbound) -> Vec<DiscordPart> {
    let fetched = message.attachment.as_ref().and_then(|a| {
        a.content
            .as_ref()
            .map(|bytes| (upload_name(a.kind), bytes.to_vec()))
    });
    let text = match (&message.attachment, &fetched) {
        (Some(file), None) => format!("{}\n{}", message.text, attachment_line(file)),
        _ => message.text.clone(),
    };
    let mut parts: Vec<DiscordPart> = chunks(&text, MAX_TEXT)
        .into_iter()
        .map(|content| DiscordPart {
            content,
            ..DiscordPart::default()
        })
        .collect();
    if let Some((name, bytes)) = fetched {
        parts.push(DiscordPart {
            file: Some(bytes),
            file_name: name,
            ..DiscordPart::default()
        });
    }
    if let Some(image) = message.image {
        parts.push(DiscordPart {
            content: image.caption.chars().take(MAX_TEXT).collect(),
            buttons: Vec::new(),
            file: Some(image.png),
            file_name: "chart.png",
            space: None,
        });
    }
    if let Some(first) = parts.first_mut() {
        first.space = message.space;
    }
    if !message.buttons.is_empty() {
        if parts.is_empty() {
            parts.push(DiscordPart::default());
        }
        if let Some(last) = parts.last_mut() {
            last.buttons = message.buttons;
        }
    }
    parts
}

/// The name a fetched file is uploaded under.
fn upload_name(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Photo => "photo.jpg",
        AttachmentKind::File => "file",
        AttachmentKind::Voice => "voice.ogg",
        AttachmentKind::Sticker => "sticker.webp",
    }
}

/// An attachment in a Discord message: its link (Discord shows pictures from links), or
/// what it is when the platform that holds it gives no link.
fn attachment_line(file: &Attachment) -> String {
    if file.file.starts_with("https://") {
        file.file.clone()
    } else {
        crate::engine::describe_attachment(file)
    }
}

fn rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    let usable: Vec<CreateButton> = buttons
        .iter()
        .filter(|b| {
            let fits = b.data.chars().count() <= MAX_CUSTOM_ID;
            if !fits {
                tracing::error!(label = %b.label, "button data over Discord's 100 characters; button left out");
            }
            fits
        })
        .take(MAX_BUTTONS)
        .map(|b| {
            CreateButton::new(b.data.clone())
                .label(b.label.chars().take(80).collect::<String>())
                .style(ButtonStyle::Primary)
        })
        .collect();
    usable
        .chunks(5)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

/// A channel id, or for `dm:USER_ID` the direct-message channel with that user.
async fn dm_or_channel(http: &Http, chat: &str) -> Result<u64, DeliveryError> {
    let not_a_channel =
        || DeliveryError::Permanent(format!("{chat:?} is not a Discord channel id"));
    if let Some(user) = chat.strip_prefix(crate::engine::message::DIRECT_PREFIX) {
        let user = user
            .parse::<u64>()
            .ok()
            .filter(|id| *id != 0)
            .ok_or_else(not_a_channel)?;
        let channel = UserId::new(user)
            .create_dm_channel(http)
            .await
            .map_err(classify)?;
        return Ok(channel.id.get());
    }
    chat.parse::<u64>()
        .ok()
        .filter(|id| *id != 0)
        .ok_or_else(not_a_channel)
}

/// Sends through Discord's REST API; opens, archives and reopens ticket threads and
/// reports them to the engine.
pub struct DiscordOutlet {
    http: Arc<Http>,
    engine: Option<Engine>,
}

impl DiscordOutlet {
    pub fn new(http: Arc<Http>) -> DiscordOutlet {
        DiscordOutlet { http, engine: None }
    }

    /// Reports the threads it opens for tickets to `engine`.
    pub fn with_engine(mut self, engine: Engine) -> DiscordOutlet {
        self.engine = Some(engine);
        self
    }

    async fn archive(&self, thread: ChannelId, archived: bool) {
        let edit = serenity::all::EditThread::new().archived(archived);
        if let Err(error) = thread.edit_thread(self.http.as_ref(), edit).await {
            tracing::warn!(%error, archived, "cannot change a ticket thread");
        }
    }

    /// After the card is posted: a thread on it, reported as the ticket's space.
    async fn open_thread(
        &self,
        channel: ChannelId,
        card: serenity::all::MessageId,
        ticket: u64,
        title: &str,
    ) {
        let name: String = title.chars().take(100).collect();
        let builder = serenity::all::CreateThread::new(name)
            .auto_archive_duration(serenity::all::AutoArchiveDuration::OneWeek);
        match channel
            .create_thread_from_message(self.http.as_ref(), card, builder)
            .await
        {
            Ok(thread) => {
                if let Some(engine) = &self.engine {
                    let chat = thread.id.get().to_string();
                    engine.space_opened(ticket, Channel::Discord, &chat).await;
                }
            }
            Err(error) => tracing::warn!(%error, ticket, "cannot open a ticket thread"),
        }
    }
}

fn classify(error: serenity::Error) -> DeliveryError {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            if status == 429 {
                // The body's retry_after is not kept by serenity; a second is Discord's usual.
                DeliveryError::RetryAfter(Duration::from_secs(1))
            } else if status >= 500 {
                DeliveryError::Transient(format!("HTTP {status}"))
            } else {
                DeliveryError::Permanent(format!("HTTP {status}: {}", response.error.message))
            }
        }
        serenity::Error::Http(HttpError::Request(e)) => DeliveryError::Transient(e.to_string()),
        serenity::Error::Io(e) => DeliveryError::Transient(e.to_string()),
        other => DeliveryError::Permanent(other.to_string()),
    }
}

impl Outlet for DiscordOutlet {
    type Part = DiscordPart;

    fn split(&self, message: Outbound) -> Vec<DiscordPart> {
        split(message)
    }

    fn chat_rates(&self, _chat: &str) -> Vec<Rate> {
        vec![Rate::new(5, Duration::from_secs(5))]
    }

    fn send<'a>(
        &'a self,
        chat: &'a str,
        part: &'a DiscordPart,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let id = dm_or_channel(self.http.as_ref(), chat).await?;
            let mut message = CreateMessage::new()
                .allowed_mentions(no_pings())
                .components(rows(&part.buttons));
            if !part.content.is_empty() {
                message = message.content(part.content.clone());
            }
            if let Some(bytes) = &part.file {
                message = message.add_file(CreateAttachment::bytes(bytes.clone(), part.file_name));
            }
            let channel = ChannelId::new(id);
            if let Some(SpaceOp::Reopen { .. }) = part.space {
                self.archive(channel, false).await;
            }
            let sent = channel
                .send_message(self.http.as_ref(), message)
                .await
                .map_err(classify)?;
            match &part.space {
                Some(SpaceOp::Open { ticket, title }) => {
                    self.open_thread(channel, sent.id, *ticket, title).await
                }
                Some(SpaceOp::Close { .. }) => self.archive(channel, true).await,
                Some(SpaceOp::Post { ticket }) => {
                    if let Some(engine) = &self.engine {
                        let message = sent.id.get().to_string();
                        engine
                            .message_posted(*ticket, Channel::Discord, chat, &message)
                            .await;
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Image;
    use chrono::TimeZone;

    fn message(guild: Option<u64>, author: u64, content: &str) -> Message {
        let mut m = serde_json::json!({"id": "10", "channel_id": "20",
            "author": {"id": author.to_string(), "username": "u", "discriminator": "0",
                       "avatar": null, "global_name": "Ann"},
            "content": content, "timestamp": "2026-11-27T10:00:00.000000+00:00", "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": false, "type": 0});
        if let Some(g) = guild {
            m["guild_id"] = serde_json::json!(g.to_string());
        }
        serde_json::from_str(&m.to_string()).unwrap()
    }

    #[test]
    fn guild_channels_hear_staff_commands_and_mentions_only() {
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap();
        let staff: HashSet<u64> = [7].into();
        let me = Some(99);
        let text = |m: &Message| translate(m, &staff, me, false, now).map(|i| i.body);
        assert_eq!(text(&message(None, 5, "hi")), Some(Body::Text("hi".into())));
        assert_eq!(text(&message(Some(1), 5, "/tickets")), None);
        assert_eq!(text(&message(Some(1), 7, "lunch?")), None);
        assert_eq!(
            text(&message(Some(1), 7, "/tickets")),
            Some(Body::Text("/tickets".into()))
        );
        assert_eq!(
            text(&message(Some(1), 7, "<@99> show customer 42")),
            Some(Body::Text("show customer 42".into()))
        );
        assert_eq!(
            text(&message(None, 5, "")),
            Some(Body::Unsupported("message of this kind".into()))
        );
    }

    #[test]
    fn long_text_with_a_chart_and_buttons_is_split_for_discord() {
        let message = Outbound {
            to: Address {
                channel: Channel::Discord,
                chat: "1".into(),
            },
            text: "x".repeat(2500),
            buttons: vec![Button {
                label: "Yes".into(),
                data: "offer:yes".into(),
            }],
            image: Some(Image {
                png: vec![1, 2, 3],
                caption: "Revenue".into(),
            }),
            attachment: None,
            space: None,
        };
        let parts = split(message);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.content.chars().count() <= MAX_TEXT));
        assert_eq!(parts[2].file.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(parts[2].buttons.len(), 1);
        assert!(parts[0].buttons.is_empty());
    }
}
