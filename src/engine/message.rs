//! Platform-neutral messages in and out of the engine. Adapters translate their platform's
//! updates into [`Inbound`] and carry out the [`Outbound`] messages of an [`Outcome`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Channel, CustomerId};

/// Who wrote a message, as far as the adapter knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// A customer whose identity the channel vouches for (the operator's console).
    Customer(CustomerId),
    /// A staff member named by a trusted channel (the operator's console).
    Staff(String),
    /// A platform user; the engine resolves them to staff, a customer or a new lead.
    ChatUser {
        user_id: String,
        display_name: String,
    },
}

/// What arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    /// Bytes that were not valid UTF-8.
    InvalidText,
    /// A sticker, photo, voice note... named by the adapter.
    Unsupported(String),
    /// A button press, with the data the engine put on the button.
    Button(String),
    /// A photo, file, sticker or voice note the platform holds (the bytes stay there).
    Attachment(Attachment),
}

/// What kind of thing was attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    File,
    Sticker,
    Voice,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Photo => "photo",
            AttachmentKind::File => "file",
            AttachmentKind::Sticker => "sticker",
            AttachmentKind::Voice => "voice",
        }
    }
}

/// An attachment as the platform names it: relayed by reference (Telegram file id) or by
/// URL (Discord CDN), never stored as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// The platform's file id (Telegram) or the file's URL (Discord).
    pub file: String,
    pub mime: Option<String>,
    pub size: Option<u64>,
    /// The text sent with it, if any.
    pub caption: Option<String>,
    /// The file itself, when the receiving adapter fetched it because another platform
    /// cannot follow the reference (a Telegram file id means nothing to Discord). Held in
    /// memory while relaying, never stored or logged.
    #[serde(skip)]
    pub content: Option<std::sync::Arc<[u8]>>,
}

/// A chat meaning "a direct message with this platform user" where the platform's private
/// chat id is not the user's id (Discord): `dm:USER_ID`. The adapter opens the DM.
pub const DIRECT_PREFIX: &str = "dm:";

impl Address {
    /// The private chat with a platform user: on Telegram the user's id is their private
    /// chat's id; on Discord the adapter opens a DM for a [`DIRECT_PREFIX`] chat.
    pub fn direct(channel: crate::domain::Channel, user_id: &str) -> Address {
        let chat = match channel {
            crate::domain::Channel::Discord => format!("{DIRECT_PREFIX}{user_id}"),
            _ => user_id.to_owned(),
        };
        Address { channel, chat }
    }
}

/// Where on the platform an inbound message came from, beyond its chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The platform's id of this delivery (Telegram `update_id`, Discord message or
    /// interaction id): the engine answers each at most once.
    pub update: Option<String>,
    /// The platform's id of the message itself.
    pub message: Option<String>,
    /// The message this one answers (Telegram `reply_to_message`).
    pub reply_to: Option<String>,
    /// Set when the message was typed where others read along (a Discord guild channel):
    /// the chat where answers meant for the sender alone go (a direct message with them).
    pub private_chat: Option<String>,
}

/// One inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub channel: Channel,
    /// The platform's conversation id (private chat, group, channel, console session).
    pub chat: String,
    pub sender: Sender,
    pub body: Body,
    pub at: DateTime<Utc>,
    /// Platform ids of the delivery (dedupe, replies to relayed messages).
    pub origin: Origin,
}

/// Where an outbound message goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Address {
    pub channel: Channel,
    pub chat: String,
}

/// A button offered under a message (inline keyboard, Discord component, console hint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    pub label: String,
    /// Returned in [`Body::Button`] when pressed.
    pub data: String,
}

/// A picture (chart) sent with a caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub png: Vec<u8>,
    pub caption: String,
}

/// One message the adapters must deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    pub to: Address,
    pub text: String,
    pub buttons: Vec<Button>,
    pub image: Option<Image>,
    /// A platform file relayed with the text (a customer's photo, a staff member's file).
    pub attachment: Option<Attachment>,
    /// What the adapter does with the ticket's conversation space along with this message.
    pub space: Option<SpaceOp>,
}

/// A ticket's conversation space (a Discord thread, a Telegram forum topic) and what to do
/// with it. Adapters that open one report it with [`crate::engine::Engine::space_opened`];
/// those that cannot post into the chat itself and report the message with
/// [`crate::engine::Engine::message_posted`], so replies to it reach the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpaceOp {
    /// Post this card and open a space for the ticket on it.
    Open {
        ticket: crate::domain::TicketId,
        title: String,
    },
    /// A message belonging to the ticket (report its id).
    Post { ticket: crate::domain::TicketId },
    /// The ticket is resolved: close (archive) the space after posting.
    Close { ticket: crate::domain::TicketId },
    /// The customer came back: reopen the space before posting.
    Reopen { ticket: crate::domain::TicketId },
}

impl Outbound {
    pub fn text(to: Address, text: impl Into<String>) -> Self {
        Outbound {
            to,
            text: text.into(),
            buttons: Vec::new(),
            image: None,
            attachment: None,
            space: None,
        }
    }
}

/// Everything the engine decided for one inbound message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub messages: Vec<Outbound>,
}

impl Outcome {
    /// Messages addressed to `to`, in order.
    pub fn to<'a>(&'a self, to: &'a Address) -> impl Iterator<Item = &'a Outbound> + 'a {
        self.messages.iter().filter(move |m| &m.to == to)
    }
}
