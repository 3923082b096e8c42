//! Dialogue state per conversation (channel and chat), stored as the engine's own type.
//!
//! The store does not know the engine's state enum: it keeps any serde value, so the
//! engine owns the meaning and the store only the bytes.

use serde::{Serialize, de::DeserializeOwned};

use super::{Result, Store, decode, encode};
use crate::domain::Channel;

fn conversation_key(channel: Channel, chat: &str) -> Vec<u8> {
    format!("{}:{}", channel.as_str(), chat).into_bytes()
}

impl Store {
    pub fn conversation<T: DeserializeOwned>(
        &self,
        channel: Channel,
        chat: &str,
    ) -> Result<Option<T>> {
        self.inner
            .conversations
            .get(conversation_key(channel, chat))?
            .map(|v| decode("conversation", &v))
            .transpose()
    }

    pub fn put_conversation<T: Serialize>(
        &self,
        channel: Channel,
        chat: &str,
        state: &T,
    ) -> Result<()> {
        self.inner
            .conversations
            .insert(conversation_key(channel, chat), encode(state))?;
        Ok(())
    }

    /// Forgets a conversation's state (erasure).
    pub fn remove_conversation(&self, channel: Channel, chat: &str) -> Result<()> {
        self.inner
            .conversations
            .remove(conversation_key(channel, chat))?;
        Ok(())
    }
}
