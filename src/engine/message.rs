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
}

impl Outbound {
    pub fn text(to: Address, text: impl Into<String>) -> Self {
        Outbound {
            to,
            text: text.into(),
            buttons: Vec::new(),
            image: None,
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
