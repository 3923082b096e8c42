//! The hand-off between a customer and the person holding their ticket, both ways and with
//! no ticket numbers in the staff's hands: the card with its buttons, one conversation space
//! per ticket (a Discord thread, a Telegram forum topic, the holder's console), customer
//! messages relayed into it, plain staff text typed in it relayed to the customer, internal
//! notes, claim with confirmation, reopen after a resolve, and each platform update answered
//! at most once.
//!
//! Adapters carry out the [`SpaceOp`] on an [`Outbound`] and report back what they created
//! with [`Engine::space_opened`] and [`Engine::message_posted`]; nothing here knows a
//! platform.

use chrono::{DateTime, Utc};

use super::dialogue::{Conversation, DialogueState};
use super::message::{Address, Attachment, Button, Inbound, Outbound, SpaceOp};
use super::text::HandoffText;
use super::{Engine, EngineError, StaffActor};
use crate::domain::{
    Channel, Customer, Direction, Interaction, Language, Ticket, TicketId, TicketState,
};
use crate::nlu::{Intent, Parse};
use crate::store::handoff::{Note, Space, SpaceKind};

/// How long a handled update id is remembered (platforms redeliver within a day).
pub const HANDLED_DAYS: i64 = 7;

impl Engine {
    /// An adapter opened a space (thread, topic) for `ticket` in `chat`: customer messages
    /// go there from now on, and staff text typed there goes to the customer.
    pub async fn space_opened(&self, ticket: TicketId, channel: Channel, chat: &str) {
        let space = Space {
            channel,
            chat: chat.to_owned(),
            kind: SpaceKind::Thread,
        };
        let store = &self.deps.store;
        if let Err(error) = store.add_space(ticket, &space) {
            tracing::error!(%error, ticket, "cannot record a ticket's space");
        }
        if let Err(error) = store.durable().await {
            tracing::error!(%error, "cannot flush a ticket's space");
        }
    }

    /// An adapter posted a message for `ticket` (a card, a relayed customer message): a
    /// staff reply to it reaches the ticket's customer.
    pub async fn message_posted(
        &self,
        ticket: TicketId,
        channel: Channel,
        chat: &str,
        message: &str,
    ) {
        let store = &self.deps.store;
        if let Err(error) = store.link_message(channel, chat, message, ticket) {
            tracing::error!(%error, ticket, "cannot record a relayed message");
        }
        if let Err(error) = store.durable().await {
            tracing::error!(%error, "cannot flush a relayed message");
        }
    }

    /// Whether `chat` is a ticket's space (adapters then pass plain staff text on).
    pub fn is_space(&self, channel: Channel, chat: &str) -> bool {
        self.deps
            .store
            .ticket_at(channel, chat)
            .ok()
            .flatten()
            .is_some()
    }

    /// `false` if this platform update was answered before (a webhook retry, a redelivery
    /// after a crash); the mark is made durable with the handling's own writes.
    pub(super) fn first_delivery(&self, inbound: &Inbound) -> bool {
        let Some(update) = &inbound.origin.update else {
            return true;
        };
        match self
            .deps
            .store
            .mark_handled(inbound.channel, update, inbound.at)
        {
            Ok(first) => first,
            Err(error) => {
                tracing::error!(%error, "cannot check for a repeated update; handling it");
                true
            }
        }
    }

    /// The ticket whose space a staff message was typed in, or whose relayed message it
    /// answers.
    pub(super) fn ticket_here(&self, inbound: &Inbound) -> Result<Option<TicketId>, EngineError> {
        let store = &self.deps.store;
        if let Some(reply_to) = &inbound.origin.reply_to
            && let Some(id) = store.ticket_of_message(inbound.channel, &inbound.chat, reply_to)?
        {
            return Ok(Some(id));
        }
        Ok(store.ticket_at(inbound.channel, &inbound.chat)?)
    }

    /// Plain staff text in a ticket's space: an internal note, or an answer to the customer.
    pub(super) async fn staff_in_space(
        &self,
        actor: &StaffActor,
        from: &Address,
        ticket: TicketId,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<Outbound>, EngineError> {
        if let Some(note) = self.deps.settings.handoff.note(text) {
            return self.save_note(actor, from, ticket, note, at).await;
        }
        let out = self.relay(actor, ticket, text.to_owned(), at, from).await?;
        // In a thread the staff member sees their own message: no confirmation needed.
        let threaded = self.space_kind(ticket, from)? == Some(SpaceKind::Thread);
        Ok(out
            .into_iter()
            .filter(|m| !(threaded && &m.to == from))
            .collect())
    }

    async fn save_note(
        &self,
        actor: &StaffActor,
        from: &Address,
        ticket: TicketId,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<Outbound>, EngineError> {
        let store = &self.deps.store;
        store.add_note(
            ticket,
            &Note {
                at,
                author: actor.name.clone(),
                text: text.to_owned(),
            },
        )?;
        if let Some(t) = store.ticket(ticket)? {
            self.audit(
                at,
                &actor.name,
                "ticket.note",
                t.customer,
                &format!("ticket:{ticket}"),
            )?;
        }
        store.durable().await?;
        Ok(vec![Outbound::text(
            from.clone(),
            HandoffText::NoteSaved { ticket }.render(Language::En),
        )])
    }

    fn space_kind(&self, ticket: TicketId, at: &Address) -> Result<Option<SpaceKind>, EngineError> {
        Ok(self
            .deps
            .store
            .spaces_of(ticket)?
            .into_iter()
            .find(|s| s.channel == at.channel && s.chat == at.chat)
            .map(|s| s.kind))
    }

    /// Where a ticket's customer messages are shown: its spaces, else the staff chats that
    /// got the card.
    pub(super) fn relay_targets(&self, ticket: TicketId) -> Result<Vec<Address>, EngineError> {
        let spaces = self.deps.store.spaces_of(ticket)?;
        let mut targets: Vec<Address> = spaces
            .iter()
            .map(|s| Address {
                channel: s.channel,
                chat: s.chat.clone(),
            })
            .collect();
        if !spaces.iter().any(|s| s.kind == SpaceKind::Thread) {
            for to in &self.deps.settings.escalation.notify {
                let to = Address {
                    channel: to.channel,
                    chat: to.chat.clone(),
                };
                if !targets.contains(&to) {
                    targets.push(to);
                }
            }
        }
        Ok(targets)
    }

    /// A customer's message (or attachment) shown in every space of their ticket.
    pub(super) fn relay_to_staff(
        &self,
        ticket: TicketId,
        customer: &Customer,
        text: &str,
        attachment: Option<&Attachment>,
        reopened: bool,
    ) -> Result<Vec<Outbound>, EngineError> {
        let name = if customer.name.is_empty() {
            format!("customer {}", customer.id)
        } else {
            customer.name.clone()
        };
        let body = match attachment {
            Some(a) => HandoffText::RelayedFile {
                ticket,
                customer: name,
                kind: a.kind.as_str(),
            },
            None => HandoffText::Relayed {
                ticket,
                customer: name,
                text: text.to_owned(),
            },
        }
        .render(Language::En);
        let mut out = Vec::new();
        for to in self.relay_targets(ticket)? {
            if reopened {
                let mut note = Outbound::text(
                    to.clone(),
                    HandoffText::ReopenedForStaff { ticket }.render(Language::En),
                );
                note.space = Some(SpaceOp::Reopen { ticket });
                out.push(note);
            }
            let mut message = Outbound::text(to, body.clone());
            message.attachment = attachment.cloned();
            message.space = Some(SpaceOp::Post { ticket });
            out.push(message);
        }
        Ok(out)
    }

    /// The new ticket's card for each staff destination, with its buttons; adapters open
    /// the ticket's space on it.
    pub(super) fn card_messages(
        &self,
        ticket: &Ticket,
        customer: &Customer,
    ) -> Result<Vec<Outbound>, EngineError> {
        let card = self.ticket_card(ticket, customer)?;
        let title = format!(
            "#{} {} — {}",
            ticket.id,
            if customer.name.is_empty() {
                format!("customer {}", customer.id)
            } else {
                customer.name.clone()
            },
            ticket.reasons.join("; ")
        );
        let title: String = title.chars().take(90).collect();
        Ok(self
            .deps
            .settings
            .escalation
            .notify
            .iter()
            .map(|to| Outbound {
                to: Address {
                    channel: to.channel,
                    chat: to.chat.clone(),
                },
                text: card.clone(),
                buttons: card_buttons(ticket),
                image: None,
                attachment: None,
                space: Some(SpaceOp::Open {
                    ticket: ticket.id,
                    title: title.clone(),
                }),
            })
            .collect())
    }

    /// An agent may not take a colleague's ticket: the holder is asked to release it (a
    /// button that hands it over), and the agent is told so.
    fn ask_release(
        &self,
        actor: &StaffActor,
        id: TicketId,
        holder: &str,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let mut out = vec![Outbound::text(
            from.clone(),
            HandoffText::ReleaseRequested {
                ticket: id,
                holder: holder.to_owned(),
            }
            .render(Language::En),
        )];
        let asked = HandoffText::ReleaseAsked {
            ticket: id,
            by: actor.name.clone(),
        }
        .render(Language::En);
        for to in self.relay_targets(id)? {
            if &to != from {
                let mut ask = Outbound::text(to, asked.clone());
                ask.buttons = vec![Button {
                    label: HandoffText::ButtonRelease {
                        to: actor.name.clone(),
                    }
                    .render(Language::En),
                    data: format!("/transfer {id} {}", actor.name),
                }];
                out.push(ask);
            }
        }
        Ok(out)
    }

    /// `/claim`: takes a free ticket; a held one only after asking (`/takeover`), and then
    /// the holder is told.
    pub(super) fn claim_ticket(
        &self,
        actor: &StaffActor,
        id: TicketId,
        at: DateTime<Utc>,
        from: &Address,
        take_over: bool,
    ) -> Result<Vec<Outbound>, EngineError> {
        let mut ticket = match self.ticket_for_action(id, from)? {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        let holder = ticket.assignee.clone().filter(|h| {
            ticket.state == TicketState::Claimed && !h.eq_ignore_ascii_case(&actor.name)
        });
        let mut out = Vec::new();
        if let Some(holder) = &holder {
            if take_over && actor.role < crate::domain::StaffRole::Manager {
                return self.ask_release(actor, id, holder, from);
            }
            if !take_over {
                let mut ask = Outbound::text(
                    from.clone(),
                    HandoffText::HeldBy {
                        ticket: id,
                        holder: holder.clone(),
                    }
                    .render(Language::En),
                );
                ask.buttons = vec![Button {
                    label: HandoffText::ButtonTakeOver.render(Language::En),
                    data: format!("/takeover {id}"),
                }];
                return Ok(vec![ask]);
            }
            let told = HandoffText::TakenOver {
                ticket: id,
                by: actor.name.clone(),
            }
            .render(Language::En);
            for to in self.relay_targets(id)? {
                if &to != from {
                    out.push(Outbound::text(to, told.clone()));
                }
            }
            self.drop_focus(id, None)?;
        }
        ticket.claim(&actor.name, at);
        self.deps.store.put_ticket(&ticket)?;
        let action = if holder.is_some() {
            "ticket.takeover"
        } else {
            "ticket.claim"
        };
        self.audit(
            at,
            &actor.name,
            action,
            ticket.customer,
            &format!("ticket:{id}"),
        )?;
        let here = self.focus_here(id, from)?;
        out.insert(
            0,
            Outbound::text(
                from.clone(),
                HandoffText::Claimed { ticket: id, here }.render(Language::En),
            ),
        );
        Ok(out)
    }

    /// Makes a console chat a space of `ticket` (plain text there goes to its customer);
    /// `true` if `from` is now (or already was) one of the ticket's spaces.
    fn focus_here(&self, ticket: TicketId, from: &Address) -> Result<bool, EngineError> {
        if self.space_kind(ticket, from)?.is_some() {
            return Ok(true);
        }
        if from.channel != Channel::Console {
            return Ok(false);
        }
        self.deps.store.add_space(
            ticket,
            &Space {
                channel: from.channel,
                chat: from.chat.clone(),
                kind: SpaceKind::Focus,
            },
        )?;
        Ok(true)
    }

    /// Forgets a ticket's console focuses (all, or all but `keep`).
    pub(super) fn drop_focus(
        &self,
        ticket: TicketId,
        keep: Option<&Address>,
    ) -> Result<(), EngineError> {
        let store = &self.deps.store;
        for s in store.spaces_of(ticket)? {
            let kept = keep.is_some_and(|k| k.channel == s.channel && k.chat == s.chat);
            if s.kind == SpaceKind::Focus && !kept {
                store.remove_space(ticket, s.channel, &s.chat)?;
            }
        }
        Ok(())
    }

    /// `/thread [N]`: puts this console chat on ticket N (or says which it is on).
    pub(super) fn focus(
        &self,
        id: Option<TicketId>,
        here: Option<TicketId>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let say = |t: HandoffText| vec![Outbound::text(from.clone(), t.render(Language::En))];
        let Some(id) = id.or(here) else {
            return Ok(say(HandoffText::NoFocus));
        };
        if let Err(out) = self.ticket_for_action(id, from)? {
            return Ok(out);
        }
        self.focus_here(id, from)?;
        // The index points the chat at the newest focus.
        self.deps.store.add_space(
            id,
            &Space {
                channel: from.channel,
                chat: from.chat.clone(),
                kind: self.space_kind(id, from)?.unwrap_or(SpaceKind::Focus),
            },
        )?;
        Ok(say(HandoffText::Focused { ticket: id }))
    }

    /// The messages that close a ticket's spaces on resolve, and its transcript stored.
    pub(super) fn close_spaces(
        &self,
        ticket: &Ticket,
        by: &str,
        from: Option<&Address>,
    ) -> Result<Vec<Outbound>, EngineError> {
        let text = HandoffText::Resolved {
            ticket: ticket.id,
            by: by.to_owned(),
        }
        .render(Language::En);
        let mut out = Vec::new();
        for space in self.deps.store.spaces_of(ticket.id)? {
            let to = Address {
                channel: space.channel,
                chat: space.chat.clone(),
            };
            if space.kind == SpaceKind::Thread {
                let mut message = Outbound::text(to.clone(), text.clone());
                message.space = Some(SpaceOp::Close { ticket: ticket.id });
                out.push(message);
            } else if Some(&to) != from {
                out.push(Outbound::text(to, text.clone()));
            }
        }
        self.drop_focus(ticket.id, None)?;
        let transcript = self.transcript_of(ticket)?;
        self.deps.store.put_transcript(ticket.id, &transcript)?;
        Ok(out)
    }

    /// Every message of a ticket and its internal notes, in time order.
    pub fn transcript_of(&self, ticket: &Ticket) -> Result<String, EngineError> {
        let store = &self.deps.store;
        let mut lines: Vec<(DateTime<Utc>, String)> = store
            .interactions_of(ticket.customer)?
            .into_iter()
            .filter(|i| i.ticket == Some(ticket.id))
            .map(|i| (i.at, transcript_line(&i)))
            .collect();
        for note in store.notes_of(ticket.id)? {
            lines.push((note.at, format!("note by {}: {}", note.author, note.text)));
        }
        lines.sort_by_key(|(at, _)| *at);
        let mut text = format!(
            "Ticket #{} — customer {} — {}\n",
            ticket.id,
            ticket.customer,
            ticket.reasons.join("; ")
        );
        for (at, line) in lines {
            text.push_str(&format!("{} {line}\n", at.format("%Y-%m-%d %H:%M")));
        }
        Ok(text.trim_end().to_owned())
    }

    /// A customer writes soon after their ticket was resolved: the same ticket (and its
    /// thread) comes back instead of a new one.
    pub(super) fn maybe_reopen(
        &self,
        conversation: &Conversation,
        parse: &Parse,
        at: DateTime<Utc>,
    ) -> Result<Option<Ticket>, EngineError> {
        let Some((id, resolved)) = conversation.resolved else {
            return Ok(None);
        };
        // A follow-up about the problem (or something the bot cannot place); what the bot
        // answers by itself (orders, cancelling, billing) and courtesies do not reopen.
        let follow_up = match parse.understanding {
            crate::nlu::Understanding::Confident(intent) => matches!(
                intent,
                Intent::DeliveryProblem
                    | Intent::RefundRequest
                    | Intent::ReturnItem
                    | Intent::PaymentFailed
                    | Intent::AccountAccess
            ),
            _ => true,
        };
        if conversation.state != DialogueState::Idle
            || !follow_up
            || !self.deps.settings.handoff.reopens(resolved, at)
        {
            return Ok(None);
        }
        let Some(mut ticket) = self.deps.store.ticket(id)? else {
            return Ok(None);
        };
        if ticket.state != TicketState::Resolved {
            return Ok(None);
        }
        ticket.state = if ticket.assignee.is_some() {
            TicketState::Claimed
        } else {
            TicketState::Open
        };
        ticket.resolved_at = None;
        self.deps.store.put_ticket(&ticket)?;
        self.audit(
            at,
            &format!("customer:{}", ticket.customer),
            "ticket.reopen",
            ticket.customer,
            &format!("ticket:{id}"),
        )?;
        Ok(Some(ticket))
    }

    /// `/transfer N` without a name: one button per colleague.
    pub(super) fn transfer_pick(&self, id: TicketId, from: &Address) -> Vec<Outbound> {
        let mut ask = Outbound::text(
            from.clone(),
            HandoffText::TransferPick { ticket: id }.render(Language::En),
        );
        ask.buttons = self
            .staff_directory()
            .into_iter()
            .map(|m| Button {
                label: m.name.clone(),
                data: format!("/transfer {id} {}", m.name),
            })
            .collect();
        vec![ask]
    }

    /// `/snippet NAME` in a ticket's thread: the saved reply, in the customer's language,
    /// with `{first_name}` and `{latest_order}` filled in, sent to the customer.
    pub(super) async fn send_snippet(
        &self,
        actor: &StaffActor,
        name: Option<String>,
        here: Option<TicketId>,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let store = &self.deps.store;
        let say = |t: HandoffText| vec![Outbound::text(from.clone(), t.render(Language::En))];
        let Some(name) = name else {
            let mut names: Vec<String> = store.snippets()?.into_iter().map(|s| s.name).collect();
            names.dedup();
            return Ok(say(HandoffText::Snippets(names)));
        };
        let id = match needs_ticket(None, here, "/snippet NAME (in a ticket's thread)", from) {
            Ok(id) => id,
            Err(out) => return Ok(out),
        };
        let Some(ticket) = store.ticket(id)? else {
            return Ok(say(HandoffText::NoFocus));
        };
        let conversation: Conversation = store
            .conversation(ticket.channel, &ticket.chat)?
            .unwrap_or_default();
        let Some(snippet) = store.snippet(&name, conversation.language)? else {
            return Ok(say(HandoffText::UnknownSnippet { name }));
        };
        let text = self.fill_placeholders(&snippet.text, &ticket, at)?;
        self.staff_in_space(actor, from, id, &text, at).await
    }

    /// `/snippet save NAME TEXT`: the reply is kept in the language it is written in.
    pub(super) fn save_snippet(
        &self,
        actor: &StaffActor,
        name: String,
        text: String,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let language = self.deps.nlu.parse(&text).language;
        self.deps
            .store
            .put_snippet(&crate::store::handoff::Snippet {
                name: name.clone(),
                language,
                text,
            })?;
        self.audit_staff(at, &actor.name, "snippet.save", &name)?;
        let saved = HandoffText::SnippetSaved { name, language };
        Ok(vec![Outbound::text(
            from.clone(),
            saved.render(Language::En),
        )])
    }

    /// `/snippet delete NAME`.
    pub(super) fn delete_snippet(
        &self,
        actor: &StaffActor,
        name: String,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let text = if self.deps.store.remove_snippet(&name)? {
            self.audit_staff(at, &actor.name, "snippet.delete", &name)?;
            HandoffText::SnippetDeleted { name }
        } else {
            HandoffText::UnknownSnippet { name }
        };
        Ok(vec![Outbound::text(
            from.clone(),
            text.render(Language::En),
        )])
    }

    fn fill_placeholders(
        &self,
        text: &str,
        ticket: &Ticket,
        at: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let store = &self.deps.store;
        let Some(customer) = store.customer(ticket.customer)? else {
            return Ok(text.to_owned());
        };
        let first = customer
            .name
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned();
        let latest = if text.contains("{latest_order}") {
            let events = store.events_of(customer.id)?;
            let facts = super::facts::CustomerFacts::from_events(customer, &events, at);
            facts
                .orders
                .iter()
                .max_by_key(|o| o.placed)
                .map(|o| o.order_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(text
            .replace("{first_name}", &first)
            .replace("{latest_order}", &latest))
    }

    /// A photo, file, sticker or voice note: from a customer with an open ticket it goes to
    /// the ticket's thread (and is logged by reference); from staff in a ticket's thread it
    /// goes to the customer.
    pub(super) async fn handle_attachment(
        &self,
        actor: super::Actor,
        inbound: &Inbound,
        attachment: &Attachment,
        from: &Address,
    ) -> Result<super::Outcome, EngineError> {
        let store = &self.deps.store;
        let messages = match actor {
            super::Actor::Customer(customer) => {
                let conversation: Conversation = store
                    .conversation(from.channel, &from.chat)?
                    .unwrap_or_default();
                let lang = conversation.language;
                let open = match conversation.state {
                    DialogueState::WithHuman { ticket } => store
                        .ticket(ticket)?
                        .filter(|t| t.state != TicketState::Resolved),
                    _ => None,
                };
                self.log_attachment(
                    &customer,
                    from,
                    attachment,
                    open.as_ref().map(|t| t.id),
                    inbound.at,
                )?;
                match open {
                    Some(ticket) => {
                        let mut out =
                            self.relay_to_staff(ticket.id, &customer, "", Some(attachment), false)?;
                        if ticket.state != TicketState::Claimed {
                            out.insert(
                                0,
                                Outbound::text(
                                    from.clone(),
                                    super::Reply::WithHuman { ticket: ticket.id }.render(lang),
                                ),
                            );
                        }
                        out
                    }
                    None => vec![Outbound::text(
                        from.clone(),
                        super::Reply::Unsupported {
                            what: attachment.kind.as_str().to_owned(),
                        }
                        .render(lang),
                    )],
                }
            }
            super::Actor::Staff(staff) => match self.ticket_here(inbound)? {
                Some(id) => self.file_to_customer(&staff, id, attachment, inbound.at, from)?,
                None => vec![Outbound::text(
                    from.clone(),
                    HandoffText::FileNeedsThread.render(Language::En),
                )],
            },
        };
        store.durable().await?;
        Ok(super::Outcome { messages })
    }

    fn file_to_customer(
        &self,
        actor: &StaffActor,
        id: TicketId,
        attachment: &Attachment,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let ticket = match self.ticket_to_answer(actor, id, at, from)? {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        self.log_to_customer(&ticket, &describe(attachment), "staff_reply", at)?;
        let caption = attachment.caption.as_deref().unwrap_or("");
        let mut message = Outbound::text(
            Address {
                channel: ticket.channel,
                chat: ticket.chat.clone(),
            },
            format!("{}: {caption}", actor.name).trim_end().to_owned(),
        );
        message.attachment = Some(attachment.clone());
        Ok(vec![message])
    }

    /// Logs a customer's attachment (what it is, never its bytes).
    pub(super) fn log_attachment(
        &self,
        customer: &Customer,
        from: &Address,
        attachment: &Attachment,
        ticket: Option<TicketId>,
        at: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        self.deps.store.log_interaction(&Interaction {
            customer: customer.id,
            channel: from.channel,
            chat: from.chat.clone(),
            direction: Direction::Inbound,
            at,
            text: Some(describe(attachment)),
            intent: Some("attachment".into()),
            confidence: None,
            sentiment: None,
            ticket,
        })?;
        Ok(())
    }
}

/// The ticket a command is about: its number, else the thread it is typed in.
pub(super) fn needs_ticket(
    id: Option<TicketId>,
    here: Option<TicketId>,
    usage: &'static str,
    from: &Address,
) -> Result<TicketId, Vec<Outbound>> {
    id.or(here).ok_or_else(|| {
        vec![Outbound::text(
            from.clone(),
            HandoffText::NeedsTicket { usage }.render(Language::En),
        )]
    })
}

/// How an attachment is named in the interaction log and transcripts.
pub fn describe(a: &Attachment) -> String {
    let mut text = format!("[{} file_id={}", a.kind.as_str(), a.file);
    if let Some(mime) = &a.mime {
        text.push_str(&format!(" type={mime}"));
    }
    if let Some(size) = a.size {
        text.push_str(&format!(" size={size}"));
    }
    text.push(']');
    if let Some(caption) = &a.caption {
        text.push_str(&format!(" {caption}"));
    }
    text
}

fn transcript_line(i: &Interaction) -> String {
    let who = match (i.direction, i.intent.as_deref()) {
        (Direction::Inbound, _) => "customer",
        (Direction::Outbound, Some("staff_reply")) => "staff",
        (Direction::Outbound, _) => "bot",
    };
    format!("{who}: {}", i.text.as_deref().unwrap_or("(removed)"))
}

/// Claim, Resolve, Transfer and the customer 360 under a ticket's card.
fn card_buttons(ticket: &Ticket) -> Vec<Button> {
    let id = ticket.id;
    let button = |label: HandoffText, data: String| Button {
        label: label.render(Language::En),
        data,
    };
    vec![
        button(HandoffText::ButtonClaim, format!("/claim {id}")),
        button(HandoffText::ButtonResolve, format!("/resolve {id}")),
        button(HandoffText::ButtonTransfer, format!("/transfer {id}")),
        button(
            HandoffText::ButtonCustomer,
            format!("/customer {}", ticket.customer.0),
        ),
    ]
}
