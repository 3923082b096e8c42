//! The conversation engine: one inbound message in, replies and effects out.
//!
//! Architecture invariant: nothing here imports a platform crate (teloxide, serenity, axum)
//! or sled. Adapters build an [`Inbound`], call [`Engine::handle`] and deliver the
//! [`Outcome`]. The decision for customers is the pure [`respond::respond`]; this module is
//! the shell around it that resolves who is speaking, loads their facts from the store,
//! applies the decision and logs every message in and out before replying.

mod act;
mod book;
pub mod command;
pub mod dialogue;
mod execute;
pub mod facts;
mod handoff;
pub mod help;
mod link_guard;
mod linking;
pub mod message;
mod questions;
mod quiet;
pub mod respond;
mod staff;
pub mod text;
mod waiting;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use crate::alerts::digest::{self, AlertMemo, ScoredCustomer};
use crate::alerts::realtime;
use crate::clock::Clock;
use crate::config::{Settings, StaffMember};
use crate::domain::{
    Channel, Customer, CustomerId, Direction, Event, Interaction, Language, StaffRole, Ticket,
    TicketState,
};
use crate::metrics::{MessageLabels, Metrics, PriorityLabels};
use crate::models::affinity::Recommendation;
use crate::models::pipeline::CustomerScore;
use crate::nlu::{Entity, Nlu, Parse};
use crate::routing::CustomerRisk;
use crate::sentiment::{Sentiment, SentimentAnalyzer};
use crate::store::{IdentityKey, Store, StoreError};
use crate::training::{self, ModelsHandle};

use command::Command;
use dialogue::{Conversation, DialogueState};
use facts::{CustomerFacts, OrderLookup};
pub use handoff::{HANDLED_DAYS, describe as describe_attachment};
pub use message::{
    Address, Attachment, AttachmentKind, Body, Button, Image, Inbound, Origin, Outbound, Outcome,
    Sender, SpaceOp,
};
use respond::{CustomerTurn, Decision};
pub use staff::StaffActor;
use text::Reply;

/// Failures inside the engine. Users see [`Reply::Error`]; the log sees the cause.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Insight(#[from] crate::insights::InsightError),
}

/// What the engine is built from; passed in, never global.
#[derive(Clone)]
pub struct Deps {
    pub store: Store,
    pub nlu: Arc<Nlu>,
    /// The help centre's articles and their retrieval.
    pub help: Arc<crate::knowledge::HelpCentre>,
    pub sentiment: Arc<SentimentAnalyzer>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Counters and latencies for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The customer models in use (swapped after a retrain); `None` before any training.
    pub models: ModelsHandle,
    /// Held shared by every unit of work that writes (a message, an ingest, a job) and
    /// exclusively by a backup, which so sees the store between two units of work.
    pub quiesce: Arc<tokio::sync::RwLock<()>>,
    /// Carries out the actions customers confirm (built in, or the shop's webhook).
    pub actions: Arc<dyn crate::actions::ActionBackend>,
}

/// The conversation engine. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Engine {
    deps: Deps,
}

/// Who is speaking, once resolved.
pub(super) enum Actor {
    Customer(Customer),
    Staff(StaffActor),
}

impl Engine {
    pub fn new(deps: Deps) -> Engine {
        Engine { deps }
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// Writes a consistent backup while the bot runs: waits for the messages in flight,
    /// holds new ones back for the duration, then lets them through.
    pub async fn backup(
        &self,
        dir: std::path::PathBuf,
    ) -> Result<crate::store::BackupReport, StoreError> {
        let _exclusive = self.deps.quiesce.write().await;
        let store = self.deps.store.clone();
        tokio::task::spawn_blocking(move || store.backup(&dir))
            .await
            .map_err(|e| StoreError::Conflict(format!("the backup task failed: {e}")))?
    }

    /// Handles one message. Never fails: internal errors are logged and the sender gets an
    /// apology.
    pub async fn handle(&self, inbound: Inbound) -> Outcome {
        let from = Address {
            channel: inbound.channel,
            chat: inbound.chat.clone(),
        };
        let started = std::time::Instant::now();
        let result = {
            let _working = self.deps.quiesce.read().await;
            if !self.first_delivery(&inbound) {
                tracing::info!(channel = %from.channel, "repeated update; already answered");
                return Outcome::default();
            }
            let repeatable = inbound.origin.update.is_some();
            let result = self.try_handle(inbound).await;
            // The handled mark reaches the disk before anything is answered.
            match (repeatable, result) {
                (true, Ok(outcome)) => self
                    .deps
                    .store
                    .durable()
                    .await
                    .map(|_| outcome)
                    .map_err(EngineError::from),
                (_, other) => other,
            }
        };
        self.deps
            .metrics
            .handle_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(error = %error, channel = %from.channel, "handling a message failed");
                Outcome {
                    messages: vec![Outbound::text(from, Reply::Error.render(Language::En))],
                }
            }
        }
    }

    async fn try_handle(&self, inbound: Inbound) -> Result<Outcome, EngineError> {
        let from = Address {
            channel: inbound.channel,
            chat: inbound.chat.clone(),
        };
        let say = |reply: Reply, lang: Language| Outcome {
            messages: vec![Outbound::text(from.clone(), reply.render(lang))],
        };
        let lang = self.deps.settings.engine.default_language;
        let actor = match self.resolve_actor(&inbound)? {
            Some(actor) => actor,
            None => {
                let id = match &inbound.sender {
                    Sender::Customer(id) => id.to_string(),
                    _ => "?".into(),
                };
                return Ok(say(Reply::UnknownCustomer { id }, lang));
            }
        };
        let text = match &inbound.body {
            Body::Text(text) => text.clone(),
            Body::Button(data) => data.clone(),
            Body::InvalidText => {
                if let Actor::Customer(c) = &actor {
                    self.log_inbound_marker(c.id, &inbound, "invalid_text")
                        .await?;
                }
                return Ok(say(Reply::InvalidText, lang));
            }
            Body::Unsupported(what) => {
                return Ok(say(Reply::Unsupported { what: what.clone() }, lang));
            }
            Body::Attachment(attachment) => {
                return self
                    .handle_attachment(actor, &inbound, attachment, &from)
                    .await;
            }
        };
        let chars = text.chars().count();
        let max = self.deps.settings.engine.max_message_chars;
        if chars > max {
            if let Actor::Customer(c) = &actor {
                self.log_inbound_marker(c.id, &inbound, "too_long").await?;
            }
            return Ok(say(Reply::TooLong { chars, max }, lang));
        }
        if text.trim().is_empty() {
            return Ok(say(Reply::Empty, lang));
        }
        let command = command::parse(&text);
        match actor {
            Actor::Staff(staff) => {
                let (command, parse) = match command {
                    Some(Ok(c)) => (Some(c), None),
                    Some(Err(e)) => {
                        return Ok(Outcome {
                            messages: vec![Outbound::text(from, e.to_string())],
                        });
                    }
                    None => (None, Some(self.deps.nlu.parse(&text))),
                };
                let here = self.ticket_here(&inbound)?;
                if let (None, Some(ticket)) = (&command, here) {
                    let messages = self
                        .staff_in_space(&staff, &from, ticket, &text, inbound.at)
                        .await?;
                    return Ok(Outcome { messages });
                }
                // Lookups typed in a shared room (a Discord guild channel) go to the asker
                // alone; questions in words are lookups too.
                let private = inbound
                    .origin
                    .private_chat
                    .clone()
                    .filter(|_| command.as_ref().is_none_or(Command::shows_customer_data));
                let messages = self
                    .handle_staff(&staff, &from, command, parse.as_ref(), here, inbound.at)
                    .await?;
                Ok(Outcome {
                    messages: match private {
                        Some(chat) => answer_privately(messages, &from, chat),
                        None => messages,
                    },
                })
            }
            Actor::Customer(customer) => {
                if let Some(command) = command {
                    let reply = match command {
                        Ok(Command::Help) => Reply::Help { staff: false },
                        Ok(_) => {
                            self.audit(
                                inbound.at,
                                &format!("customer:{}", customer.id),
                                "access.denied",
                                customer.id,
                                "staff command",
                            )?;
                            Reply::StaffOnly
                        }
                        Err(e) => Reply::Template(e.to_string()),
                    };
                    return Ok(say(reply, customer.language));
                }
                let identity = match &inbound.sender {
                    Sender::ChatUser { user_id, .. } => Some(IdentityKey {
                        channel: inbound.channel,
                        user_id: user_id.clone(),
                    }),
                    _ => None,
                };
                let pressed = matches!(inbound.body, Body::Button(_));
                self.handle_customer(customer, identity, &from, &text, pressed, inbound.at)
                    .await
            }
        }
    }

    fn resolve_actor(&self, inbound: &Inbound) -> Result<Option<Actor>, EngineError> {
        let store = &self.deps.store;
        Ok(match &inbound.sender {
            Sender::Customer(id) => store.customer(*id)?.map(Actor::Customer),
            Sender::Staff(name) => {
                let role = self
                    .staff_directory()
                    .into_iter()
                    .find(|m| m.name.eq_ignore_ascii_case(name))
                    .map(|m| m.role)
                    // A console name not on the staff list gets the least role.
                    .unwrap_or(StaffRole::Agent);
                Some(Actor::Staff(StaffActor {
                    name: name.clone(),
                    role,
                }))
            }
            Sender::ChatUser {
                user_id,
                display_name,
            } => {
                if let Some(member) = self.staff_member(inbound.channel, user_id) {
                    return Ok(Some(Actor::Staff(member)));
                }
                let identity = IdentityKey {
                    channel: inbound.channel,
                    user_id: user_id.clone(),
                };
                let customer = match store.customer_for_identity(&identity)? {
                    Some(id) => store.customer(id)?,
                    None => None,
                };
                Some(Actor::Customer(match customer {
                    Some(c) => c,
                    None => store.create_lead(
                        &identity,
                        display_name,
                        self.deps.settings.engine.default_language,
                        inbound.at,
                    )?,
                }))
            }
        })
    }

    /// Staff from the config file, and those added with `crmbot staff add` (which win).
    pub fn staff_directory(&self) -> Vec<StaffMember> {
        let mut members: Vec<StaffMember> = self.deps.store.staff().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the stored staff list");
            Vec::new()
        });
        for m in &self.deps.settings.staff {
            if !members.iter().any(|x| x.name.eq_ignore_ascii_case(&m.name)) {
                members.push(m.clone());
            }
        }
        members
    }

    fn staff_member(&self, channel: Channel, user_id: &str) -> Option<StaffActor> {
        self.staff_directory()
            .into_iter()
            .find(|m| match channel {
                Channel::Telegram => {
                    m.telegram.map(|id| id.to_string()).as_deref() == Some(user_id)
                }
                Channel::Discord => m.discord.map(|id| id.to_string()).as_deref() == Some(user_id),
                _ => false,
            })
            .map(|m| StaffActor {
                name: m.name,
                role: m.role,
            })
    }

    /// Understands one customer message, decides, applies and logs.
    async fn handle_customer(
        &self,
        customer: Customer,
        identity: Option<IdentityKey>,
        from: &Address,
        text: &str,
        pressed_button: bool,
        at: DateTime<Utc>,
    ) -> Result<Outcome, EngineError> {
        let store = &self.deps.store;
        let parse = self.deps.nlu.parse(text);
        let sentiment = self.deps.sentiment.score(text, parse.language);
        let mut conversation: Conversation = store
            .conversation(from.channel, &from.chat)?
            .unwrap_or_default();
        // A button press answers in the conversation's language, whatever its data says.
        let lang = if pressed_button {
            conversation.language
        } else {
            reply_language(&parse, text, &conversation)
        };
        conversation.language = lang;
        if customer.is_lead {
            let mut pending = conversation.pending_link.take();
            let step =
                self.link_step(&customer, identity.as_ref(), &mut pending, &parse, text, at)?;
            conversation.pending_link = pending;
            if let Some(replies) = step {
                return self
                    .finish_linking(
                        &customer,
                        from,
                        &parse,
                        sentiment,
                        text,
                        at,
                        conversation,
                        &replies,
                        lang,
                    )
                    .await;
            }
        }

        let waiting_on = match conversation.state {
            DialogueState::WithHuman { ticket } => store
                .ticket(ticket)?
                .filter(|t| t.state != TicketState::Resolved),
            _ => None,
        };
        let ticket_claimed = waiting_on
            .as_ref()
            .is_some_and(|t| t.state == TicketState::Claimed);
        let risk = self.customer_risk(customer.id)?;
        let help_pick = help::pick(&self.deps.help, &parse, text);
        let events = if respond::needs_history(&parse, &conversation, risk.as_ref())
            || help_pick.needs_facts()
        {
            store.events_of(customer.id)?
        } else {
            Vec::new()
        };
        let earlier = conversation.recent_sentiments.clone();
        let recommendation = self.recommend(&parse, &events);
        let facts = CustomerFacts::from_events(customer, &events, at);
        let order_lookup = self.lookup_order(&parse, &facts)?;
        let nlu = &self.deps.nlu;
        let template = |i, l| nlu.reply(i, l).map(str::to_owned);
        let acceptances = |offer: &str| store.offer_acceptances(offer).unwrap_or(0);
        let mut decision = respond::respond(&CustomerTurn {
            parse: &parse,
            button: pressed_button.then_some(text),
            sentiment,
            conversation: &conversation,
            facts: &facts,
            events: &events,
            earlier_sentiments: &earlier,
            risk: risk.as_ref(),
            order_lookup,
            settings: &self.deps.settings,
            template: &template,
            offer_acceptances: &acceptances,
            recommendation: recommendation.as_ref(),
            help: &help_pick,
            ticket_claimed,
            now: at,
        });
        self.carry_out(&facts, &mut decision, at).await?;
        let reopened = match (&waiting_on, &decision.open_ticket, decision.asked) {
            (None, None, None) => self.maybe_reopen(&conversation, &parse, at)?,
            _ => None,
        };
        if let Some(t) = &reopened {
            decision.replies = vec![Reply::Handoff(text::HandoffText::Reopened { ticket: t.id })];
            decision.state = DialogueState::WithHuman { ticket: t.id };
            conversation.resolved = None;
        }
        let relay_ticket = waiting_on.as_ref().or(reopened.as_ref()).map(|t| t.id);
        let mut messages = self
            .apply(
                &facts,
                from,
                &parse,
                sentiment,
                text,
                at,
                conversation,
                decision,
                lang,
            )
            .await?;
        if let Some(ticket) = relay_ticket {
            messages.extend(self.relay_to_staff(
                ticket,
                &facts.customer,
                text,
                None,
                reopened.is_some(),
            )?);
        }
        Ok(Outcome { messages })
    }

    /// Logs a linking turn (a typed code is not stored) and saves the conversation.
    #[allow(clippy::too_many_arguments)]
    async fn finish_linking(
        &self,
        lead: &Customer,
        from: &Address,
        parse: &Parse,
        sentiment: Sentiment,
        text: &str,
        at: DateTime<Utc>,
        mut conversation: Conversation,
        replies: &[Reply],
        lang: Language,
    ) -> Result<Outcome, EngineError> {
        let store = &self.deps.store;
        let shown = if text.chars().filter(char::is_ascii_digit).count() == 6 {
            "(link code)".to_owned()
        } else {
            text.to_owned()
        };
        let log = |direction, text: String, sentiment| Interaction {
            customer: lead.id,
            channel: from.channel,
            chat: from.chat.clone(),
            direction,
            at,
            text: Some(text),
            intent: Some("link_account".into()),
            confidence: Some(parse.confidence()),
            sentiment,
            ticket: None,
        };
        store.log_interaction(&log(Direction::Inbound, shown, Some(sentiment.score)))?;
        for r in replies {
            store.log_interaction(&log(Direction::Outbound, r.render(lang), None))?;
        }
        conversation.customer = Some(lead.id);
        conversation.updated = Some(at);
        store.put_conversation(from.channel, &from.chat, &conversation)?;
        store.durable().await?;
        Ok(Outcome {
            messages: linking::replies(from, replies, lang),
        })
    }

    /// "Customers who bought X also bought Y" from the association rules, for a question
    /// about orders or products.
    fn recommend(&self, parse: &Parse, events: &[Event]) -> Option<Recommendation> {
        if !matches!(
            parse.intent(),
            Some(crate::nlu::Intent::OrderStatus | crate::nlu::Intent::ProductQuestion)
        ) {
            return None;
        }
        let models = self.deps.models.read().ok()?.clone()?;
        let rules = models.rules.as_ref()?;
        let bought: Vec<&str> = events
            .iter()
            .rev()
            .filter_map(|e| match &e.kind {
                crate::domain::EventKind::Purchase { items, .. } => Some(items),
                _ => None,
            })
            .take(3)
            .flatten()
            .map(|i| i.product.as_str())
            .collect();
        rules.also_bought(&bought, 1).into_iter().next()
    }

    /// What the models last said about a customer, if they have been trained.
    fn customer_risk(&self, id: CustomerId) -> Result<Option<CustomerRisk>, EngineError> {
        Ok(self
            .deps
            .store
            .score::<CustomerScore>(id)
            .unwrap_or(None)
            .map(|s| training::risk_of(&s)))
    }

    /// Re-scores a customer after a message that may have raised their risk, and queues a
    /// real-time alert when a valuable customer just turned at-risk.
    fn rescore_and_alert(&self, id: CustomerId, at: DateTime<Utc>) -> Result<(), EngineError> {
        let models = self
            .deps
            .models
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(models) = models else {
            return Ok(());
        };
        let store = &self.deps.store;
        let Some((previous, now_score)) = training::rescore(store, &models, id, at)? else {
            return Ok(());
        };
        let Some(customer) = store.customer(id)? else {
            return Ok(());
        };
        let scored = ScoredCustomer {
            id,
            name: customer.name,
            risk: training::risk_of(&now_score),
            at_risk: now_score.churn_alert,
            expected_loss: now_score.expected_loss,
        };
        let was_at_risk = previous.is_some_and(|p| p.churn_alert);
        let memo: Option<AlertMemo> = store.alert_state(id).unwrap_or(None);
        let settings = &self.deps.settings.alerts;
        if realtime::should_alert(settings, was_at_risk, &scored, memo, at) {
            let text = realtime::render(&scored);
            for to in &settings.destinations {
                store.enqueue(to.channel, &to.chat, &text, "alert", at)?;
            }
            let band = digest::band(
                scored.risk.churn_probability.unwrap_or(0.0),
                settings.band_width,
            );
            store.put_alert_state(
                id,
                &AlertMemo {
                    last_alert: at,
                    band,
                },
            )?;
        }
        Ok(())
    }

    fn lookup_order(
        &self,
        parse: &Parse,
        facts: &CustomerFacts,
    ) -> Result<Option<OrderLookup>, EngineError> {
        let Some(order_id) = parse.entities.iter().find_map(|e| match e {
            Entity::OrderId(id) => Some(id.trim_start_matches('#').to_owned()),
            _ => None,
        }) else {
            return Ok(None);
        };
        if let Some(own) = facts.own_order(&order_id) {
            return Ok(Some(OrderLookup::Mine(own.clone())));
        }
        // Not among the loaded orders: look it up, and only show it if it is theirs.
        let found = self.deps.store.order(&order_id)?;
        Ok(Some(match found {
            Some(event) if event.customer == facts.customer.id => {
                let events = self.deps.store.events_of(facts.customer.id)?;
                let all = CustomerFacts::from_events(facts.customer.clone(), &events, event.at);
                match all.own_order(&order_id) {
                    Some(o) => OrderLookup::Mine(o.clone()),
                    None => OrderLookup::NotFound(order_id),
                }
            }
            _ => OrderLookup::NotFound(order_id),
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply(
        &self,
        facts: &CustomerFacts,
        from: &Address,
        parse: &Parse,
        sentiment: Sentiment,
        text: &str,
        at: DateTime<Utc>,
        mut conversation: Conversation,
        decision: Decision,
        lang: Language,
    ) -> Result<Vec<Outbound>, EngineError> {
        let store = &self.deps.store;
        let customer = facts.customer.id;
        let mut replies = decision.replies;
        let mut state = decision.state;
        let mut ticket_id = None;
        let mut opened = None;
        if let Some(request) = decision.open_ticket {
            let ticket = self.open_ticket(customer, from, request.reasons, request.priority, at)?;
            replies.push(Reply::TicketOpened {
                ticket: ticket.id,
                sla_hours: self.deps.settings.escalation.sla_for(ticket.priority),
            });
            state = DialogueState::WithHuman { ticket: ticket.id };
            ticket_id = Some(ticket.id);
            opened = Some(ticket);
        }
        if let DialogueState::WithHuman { ticket } = state {
            ticket_id = Some(ticket);
        }
        // A positive message cannot make a customer riskier; events and tickets can.
        let changed_risk = opened.is_some() || !decision.events.is_empty();
        for kind in decision.events {
            if let crate::domain::EventKind::OfferAccepted { offer, .. } = &kind {
                store.count_offer_acceptance(offer)?;
            }
            store.append_event(&Event { customer, at, kind })?;
        }
        let intent = decision
            .log_as
            .map(str::to_owned)
            .or_else(|| {
                decision
                    .article
                    .as_ref()
                    .map(|a| format!("{}{a}", help::BUTTON_PREFIX))
            })
            .or_else(|| decision.intent.map(|i| i.as_str().to_owned()));
        self.deps
            .metrics
            .messages
            .get_or_create(&MessageLabels {
                channel: from.channel.as_str().to_owned(),
                intent: intent
                    .clone()
                    .unwrap_or_else(|| understanding_name(parse).to_owned()),
            })
            .inc();
        if let Some(ticket) = &opened {
            self.deps
                .metrics
                .escalations
                .get_or_create(&PriorityLabels {
                    priority: ticket.priority.to_string(),
                })
                .inc();
        }
        store.log_interaction(&Interaction {
            customer,
            channel: from.channel,
            chat: from.chat.clone(),
            direction: Direction::Inbound,
            at,
            text: Some(text.to_owned()),
            intent: intent
                .clone()
                .or_else(|| Some(understanding_name(parse).into())),
            confidence: Some(parse.confidence()),
            sentiment: Some(sentiment.score),
            ticket: ticket_id,
        })?;
        let texts: Vec<String> = replies.iter().map(|r| r.render(lang)).collect();
        for reply_text in &texts {
            store.log_interaction(&Interaction {
                customer,
                channel: from.channel,
                chat: from.chat.clone(),
                direction: Direction::Outbound,
                at,
                text: Some(reply_text.clone()),
                intent: intent.clone(),
                confidence: None,
                sentiment: None,
                ticket: ticket_id,
            })?;
        }
        conversation.state = state;
        conversation.failures = decision.failures;
        conversation.recent_sentiments.push(sentiment.score);
        let keep = conversation.recent_sentiments.len().saturating_sub(6);
        conversation.recent_sentiments.drain(..keep);
        match decision.asked {
            Some(crate::domain::SurveyKind::Csat) => {
                conversation.csat_asked = Some(at);
                conversation.answered = 0;
            }
            Some(crate::domain::SurveyKind::Nps) => conversation.nps_asked = Some(at),
            None if decision.intent.is_some() => conversation.answered += 1,
            None => {}
        }
        conversation.customer = Some(customer);
        conversation.updated = Some(at);
        store.put_conversation(from.channel, &from.chat, &conversation)?;
        let mut messages: Vec<Outbound> = texts
            .into_iter()
            .zip(&replies)
            .map(|(text, reply)| Outbound {
                to: from.clone(),
                text,
                buttons: reply.buttons(lang),
                image: None,
                attachment: None,
                space: None,
            })
            .collect();
        if let Some(ticket) = opened {
            messages.extend(self.card_messages(&ticket, &facts.customer)?);
        }
        if self
            .deps
            .models
            .read()
            .map(|m| m.is_some())
            .unwrap_or(false)
            && (sentiment.score < 0.0 || changed_risk)
        {
            self.rescore_and_alert(customer, at)?;
        }
        // Nothing is acknowledged before it is on disk.
        store.durable().await?;
        Ok(messages)
    }

    fn open_ticket(
        &self,
        customer: CustomerId,
        from: &Address,
        reasons: Vec<String>,
        priority: u8,
        at: DateTime<Utc>,
    ) -> Result<Ticket, EngineError> {
        let store = &self.deps.store;
        let id = store.next_ticket_id()?;
        let sla = Duration::hours(i64::from(self.deps.settings.escalation.sla_for(priority)));
        let ticket = Ticket {
            id,
            customer,
            reasons: reasons.clone(),
            priority,
            state: TicketState::Open,
            assignee: None,
            channel: from.channel,
            chat: from.chat.clone(),
            opened: at,
            sla_due: at + sla,
            claimed_at: None,
            resolved_at: None,
            resolution_note: None,
            sla_raised_at: None,
            reminded_at: None,
        };
        store.put_ticket(&ticket)?;
        store.append_event(&Event {
            customer,
            at,
            kind: crate::domain::EventKind::TicketOpened {
                ticket: id,
                reason: reasons.join("; "),
            },
        })?;
        Ok(ticket)
    }

    /// Logs an inbound message that could not be read, without its contents.
    async fn log_inbound_marker(
        &self,
        customer: CustomerId,
        inbound: &Inbound,
        marker: &str,
    ) -> Result<(), EngineError> {
        self.deps.store.log_interaction(&Interaction {
            customer,
            channel: inbound.channel,
            chat: inbound.chat.clone(),
            direction: Direction::Inbound,
            at: inbound.at,
            text: None,
            intent: Some(marker.to_owned()),
            confidence: None,
            sentiment: None,
            ticket: None,
        })?;
        self.deps.store.durable().await?;
        Ok(())
    }
}

/// The name logged for a message that was not understood as one intent.
fn understanding_name(parse: &Parse) -> &'static str {
    match parse.understanding {
        crate::nlu::Understanding::OutOfScope => "out_of_scope",
        crate::nlu::Understanding::Ambiguous(..) => "ambiguous",
        _ => "not_understood",
    }
}

/// Replies follow the language of the message; text with no letters keeps the
/// conversation's language.
fn reply_language(parse: &Parse, text: &str, conversation: &Conversation) -> Language {
    if text.chars().any(char::is_alphabetic) {
        parse.language
    } else {
        conversation.language
    }
}

/// Moves the answers addressed to the shared room `from` to the asker's private `chat`, and
/// tells the room where the answer went.
fn answer_privately(messages: Vec<Outbound>, from: &Address, chat: String) -> Vec<Outbound> {
    let private = Address {
        channel: from.channel,
        chat,
    };
    let mut moved = false;
    let mut out: Vec<Outbound> = messages
        .into_iter()
        .map(|mut m| {
            if &m.to == from {
                m.to = private.clone();
                moved = true;
            }
            m
        })
        .collect();
    if moved {
        out.push(Outbound::text(
            from.clone(),
            text::HandoffText::SentPrivately.render(Language::En),
        ));
    }
    out
}
