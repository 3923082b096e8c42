//! The HTTP chat's mailbox: what is said to a customer who chats through
//! `POST /api/v1/chat` later than the bot's immediate answer — a person's reply to their
//! ticket, the satisfaction question after it is resolved — held until the calling system
//! fetches it (`GET /api/v1/chat/{user_id}`, or with the answer to the next message).
//!
//! The HTTP chat cannot push, so this is its outlet in the router: a staff reply reaches
//! an HTTP customer exactly as it reaches a Telegram one. The mailbox is in memory (a
//! restart empties it) and keeps at most [`KEPT_PER_CHAT`] messages per user.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use super::router::{BoxFuture, DeliveryError, Outlet, Rate};
use crate::engine::{Button, Outbound};

/// Messages kept per user; older ones are dropped first.
pub const KEPT_PER_CHAT: usize = 200;

/// One message waiting for an HTTP chat user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiting {
    pub text: String,
    pub buttons: Vec<Button>,
}

#[derive(Default)]
pub struct HttpMailbox {
    waiting: Mutex<HashMap<String, VecDeque<Waiting>>>,
}

impl HttpMailbox {
    /// Takes every message waiting for `chat`, oldest first.
    pub fn take(&self, chat: &str) -> Vec<Waiting> {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(chat)
            .map(Vec::from)
            .unwrap_or_default()
    }

    fn keep(&self, chat: &str, message: Waiting) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = waiting.entry(chat.to_owned()).or_default();
        if queue.len() == KEPT_PER_CHAT {
            queue.pop_front();
            tracing::warn!(
                chat,
                "HTTP chat mailbox full: the oldest message was dropped"
            );
        }
        queue.push_back(message);
    }
}

impl Outlet for HttpMailbox {
    type Part = Waiting;

    fn split(&self, message: Outbound) -> Vec<Waiting> {
        vec![Waiting {
            text: message.text,
            buttons: message.buttons,
        }]
    }

    fn chat_rates(&self, _chat: &str) -> Vec<Rate> {
        Vec::new()
    }

    fn send<'a>(
        &'a self,
        chat: &'a str,
        part: &'a Waiting,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            self.keep(chat, part.clone());
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_wait_in_order_and_are_taken_once() {
        let mailbox = HttpMailbox::default();
        for i in 0..KEPT_PER_CHAT + 2 {
            let part = Waiting {
                text: format!("m{i}"),
                buttons: vec![],
            };
            mailbox.send("u1", &part).await.unwrap();
        }
        let taken = mailbox.take("u1");
        assert_eq!(taken.len(), KEPT_PER_CHAT);
        assert_eq!(taken[0].text, "m2", "the oldest were dropped");
        assert!(mailbox.take("u1").is_empty());
        assert!(mailbox.take("someone else").is_empty());
    }
}
