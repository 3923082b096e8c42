//! What the hand-off to a person keeps beside the tickets: each ticket's conversation
//! spaces (a Discord thread, a Telegram forum topic, the holder's console), the platform
//! messages relayed for a ticket (so a staff reply to one reaches its customer), the
//! platform updates already answered (so a redelivered update is not answered twice),
//! internal notes, saved replies (snippets) and transcripts.
//!
//! Everything lives in one `handoff` tree under prefixed keys; values are JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store, decode, encode, keys};
use crate::domain::{Channel, Language, TicketId};

/// What kind of space a ticket has somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// A thread or topic on a platform, opened for the ticket.
    Thread,
    /// A staff member's own chat, focused on the ticket (the console's `/thread N`).
    Focus,
}

/// One place where staff talk about a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub channel: Channel,
    pub chat: String,
    pub kind: SpaceKind,
}

/// An internal note on a ticket (never sent to the customer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
}

/// A saved reply, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub name: String,
    pub language: Language,
    pub text: String,
}

fn space_key(ticket: TicketId) -> Vec<u8> {
    let mut key = b"space:".to_vec();
    key.extend_from_slice(&ticket.to_be_bytes());
    key
}

fn at_key(channel: Channel, chat: &str) -> Vec<u8> {
    format!("at:{}:{chat}", channel.as_str()).into_bytes()
}

fn message_key(channel: Channel, chat: &str, message: &str) -> Vec<u8> {
    format!("msg:{}:{chat}:{message}", channel.as_str()).into_bytes()
}

fn seen_key(channel: Channel, update: &str) -> Vec<u8> {
    format!("seen:{}:{update}", channel.as_str()).into_bytes()
}

fn note_prefix(ticket: TicketId) -> Vec<u8> {
    let mut key = b"note:".to_vec();
    key.extend_from_slice(&ticket.to_be_bytes());
    key
}

fn snippet_key(name: &str, language: Language) -> Vec<u8> {
    format!("snippet:{}:{}", name.to_lowercase(), language.as_str()).into_bytes()
}

fn transcript_key(ticket: TicketId) -> Vec<u8> {
    let mut key = b"transcript:".to_vec();
    key.extend_from_slice(&ticket.to_be_bytes());
    key
}

impl Store {
    /// Records a space of `ticket`; the chat then belongs to that ticket.
    pub fn add_space(&self, ticket: TicketId, space: &Space) -> Result<()> {
        let mut spaces = self.spaces_of(ticket)?;
        spaces.retain(|s| !(s.channel == space.channel && s.chat == space.chat));
        spaces.push(space.clone());
        let tree = &self.inner.handoff;
        tree.insert(space_key(ticket), encode(&spaces))?;
        tree.insert(at_key(space.channel, &space.chat), &ticket.to_be_bytes())?;
        Ok(())
    }

    /// Forgets one space of `ticket` (a console focus moved elsewhere).
    pub fn remove_space(&self, ticket: TicketId, channel: Channel, chat: &str) -> Result<()> {
        let mut spaces = self.spaces_of(ticket)?;
        spaces.retain(|s| !(s.channel == channel && s.chat == chat));
        let tree = &self.inner.handoff;
        tree.insert(space_key(ticket), encode(&spaces))?;
        if self.ticket_at(channel, chat)? == Some(ticket) {
            tree.remove(at_key(channel, chat))?;
        }
        Ok(())
    }

    /// The spaces of a ticket, oldest first.
    pub fn spaces_of(&self, ticket: TicketId) -> Result<Vec<Space>> {
        self.inner
            .handoff
            .get(space_key(ticket))?
            .map(|v| decode("ticket spaces", &v))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The ticket whose space a chat is, if any.
    pub fn ticket_at(&self, channel: Channel, chat: &str) -> Result<Option<TicketId>> {
        Ok(self
            .inner
            .handoff
            .get(at_key(channel, chat))?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Remembers that a platform message in `chat` was posted for `ticket`.
    pub fn link_message(
        &self,
        channel: Channel,
        chat: &str,
        message: &str,
        ticket: TicketId,
    ) -> Result<()> {
        self.inner
            .handoff
            .insert(message_key(channel, chat, message), &ticket.to_be_bytes())?;
        Ok(())
    }

    /// The ticket a platform message was posted for.
    pub fn ticket_of_message(
        &self,
        channel: Channel,
        chat: &str,
        message: &str,
    ) -> Result<Option<TicketId>> {
        Ok(self
            .inner
            .handoff
            .get(message_key(channel, chat, message))?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Records a platform update as handled; `false` if it already was.
    pub fn mark_handled(&self, channel: Channel, update: &str, at: DateTime<Utc>) -> Result<bool> {
        let previous = self.inner.handoff.compare_and_swap(
            seen_key(channel, update),
            None as Option<&[u8]>,
            Some(keys::time_bytes(at).to_vec()),
        )?;
        Ok(previous.is_ok())
    }

    /// Forgets handled updates older than `before` (platforms redeliver within hours).
    pub fn prune_handled(&self, before: DateTime<Utc>) -> Result<usize> {
        let cutoff = keys::time_bytes(before);
        let mut removed = 0;
        for item in self.inner.handoff.scan_prefix(b"seen:") {
            let (key, value) = item?;
            if value.as_ref() < &cutoff[..] {
                self.inner.handoff.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Adds an internal note to a ticket.
    pub fn add_note(&self, ticket: TicketId, note: &Note) -> Result<()> {
        let mut key = note_prefix(ticket);
        key.extend_from_slice(&keys::time_bytes(note.at));
        key.extend_from_slice(&self.next_seq()?.to_be_bytes());
        self.inner.handoff.insert(key, encode(note))?;
        Ok(())
    }

    /// A ticket's internal notes, oldest first.
    pub fn notes_of(&self, ticket: TicketId) -> Result<Vec<Note>> {
        self.inner
            .handoff
            .scan_prefix(note_prefix(ticket))
            .map(|item| decode("note", &item?.1))
            .collect()
    }

    /// Saves (or replaces) a snippet.
    pub fn put_snippet(&self, snippet: &Snippet) -> Result<()> {
        self.inner.handoff.insert(
            snippet_key(&snippet.name, snippet.language),
            encode(snippet),
        )?;
        Ok(())
    }

    /// Removes a snippet in every language; `false` if there was none.
    pub fn remove_snippet(&self, name: &str) -> Result<bool> {
        let mut found = false;
        for language in [Language::En, Language::Zh] {
            found |= self
                .inner
                .handoff
                .remove(snippet_key(name, language))?
                .is_some();
        }
        Ok(found)
    }

    /// A snippet in `language`, else in any language.
    pub fn snippet(&self, name: &str, language: Language) -> Result<Option<Snippet>> {
        for lang in [language, Language::En, Language::Zh] {
            if let Some(v) = self.inner.handoff.get(snippet_key(name, lang))? {
                return decode("snippet", &v).map(Some);
            }
        }
        Ok(None)
    }

    /// Every snippet, by name then language.
    pub fn snippets(&self) -> Result<Vec<Snippet>> {
        self.inner
            .handoff
            .scan_prefix(b"snippet:")
            .map(|item| decode("snippet", &item?.1))
            .collect()
    }

    /// Removes a ticket's transcript and internal notes (erasure of its customer).
    pub fn forget_ticket_texts(&self, ticket: TicketId) -> Result<()> {
        let tree = &self.inner.handoff;
        tree.remove(transcript_key(ticket))?;
        for item in tree.scan_prefix(note_prefix(ticket)) {
            tree.remove(item?.0)?;
        }
        Ok(())
    }

    /// Stores a resolved ticket's transcript.
    pub fn put_transcript(&self, ticket: TicketId, text: &str) -> Result<()> {
        self.inner
            .handoff
            .insert(transcript_key(ticket), encode(&text))?;
        Ok(())
    }

    /// A ticket's stored transcript.
    pub fn transcript(&self, ticket: TicketId) -> Result<Option<String>> {
        self.inner
            .handoff
            .get(transcript_key(ticket))?
            .map(|v| decode("transcript", &v))
            .transpose()
    }
}
