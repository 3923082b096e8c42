//! Staff requests: customer lookups and ticket handling. Every access to a customer's data
//! and every ticket action is audited.

use chrono::{DateTime, Utc};

use super::command::Command;
use super::dialogue::{Conversation, DialogueState};
use super::facts::CustomerFacts;
use super::handoff::needs_ticket;
use super::message::{Address, Image, Outbound};
use super::text::Reply;
use super::{Engine, EngineError};
use crate::domain::{
    Customer, CustomerId, Direction, EventKind, Interaction, Language, StaffRole, SurveyKind,
    Ticket, TicketState,
};
use crate::insights::{self, ChartKind};
use crate::models::pipeline::CustomerScore;
use crate::nlu::{Entity, Intent, Parse};
use crate::store::AuditEntry;

/// A staff member talking to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffActor {
    pub name: String,
    pub role: StaffRole,
}

/// Where a staff member is reached privately: their private chats on the platforms they
/// are known on, and their console session when the team works there (`from` is the
/// console) or they are on no platform.
fn staff_inboxes(member: &crate::config::StaffMember, from: &Address) -> Vec<Address> {
    let mut inboxes = Vec::new();
    let on_console = from.channel == crate::domain::Channel::Console;
    if on_console || (member.telegram.is_none() && member.discord.is_none()) {
        inboxes.push(Address {
            channel: crate::domain::Channel::Console,
            chat: format!("staff:{}", member.name),
        });
    }
    if let Some(id) = member.telegram.filter(|_| !on_console) {
        inboxes.push(Address::direct(
            crate::domain::Channel::Telegram,
            &id.to_string(),
        ));
    }
    if let Some(id) = member.discord.filter(|_| !on_console) {
        inboxes.push(Address::direct(
            crate::domain::Channel::Discord,
            &id.to_string(),
        ));
    }
    inboxes
}

/// What a staff member asked for, from a command or from words.
enum StaffRequest {
    Command(Command),
    NotUnderstood,
}

fn request_from_intent(parse: &Parse) -> StaffRequest {
    let customer_ref = parse.entities.iter().find_map(|e| match e {
        Entity::CustomerRef(r) => Some(r.clone()),
        Entity::Email(e) => Some(e.clone()),
        _ => None,
    });
    match parse.intent() {
        Some(Intent::AtRisk) => StaffRequest::Command(Command::AtRisk {
            segment: None,
            top: None,
        }),
        Some(Intent::CustomerLookup) => match customer_ref {
            Some(r) => StaffRequest::Command(Command::Customer(r)),
            None => StaffRequest::NotUnderstood,
        },
        Some(Intent::SegmentSummary) => StaffRequest::Command(Command::Segments),
        Some(Intent::KpiReport) => StaffRequest::Command(Command::Kpi(None)),
        Some(Intent::OpenTickets) => StaffRequest::Command(Command::Tickets),
        Some(Intent::ChurnReport) => StaffRequest::Command(Command::ReportChurn),
        Some(Intent::Help) => StaffRequest::Command(Command::Help),
        _ => StaffRequest::NotUnderstood,
    }
}

/// The least role a command needs: agents work tickets and look customers up; managers
/// also see the whole base (risk lists, segments, KPIs, reports) and move tickets.
fn required_role(command: &Command) -> StaffRole {
    match command {
        Command::Help
        | Command::Customer(_)
        | Command::Tickets
        | Command::Claim(_)
        | Command::TakeOver(_)
        | Command::Thread(_)
        | Command::Snippet(_)
        | Command::SnippetSave(..)
        | Command::SnippetDelete(_)
        | Command::Reply(..)
        | Command::Resolve(..)
        | Command::Mine
        | Command::Note(..)
        | Command::Task(..)
        | Command::Call(..)
        | Command::Transfer(..) => StaffRole::Agent,
        Command::AtRisk { .. }
        | Command::Segments
        | Command::Kpi(_)
        | Command::Gaps(_)
        | Command::ReportChurn
        | Command::Assign(..) => StaffRole::Manager,
    }
}

/// Every staff command with the least role it needs, for `/help` (usage, English, Chinese).
const STAFF_COMMANDS: &[(&str, StaffRole, &str, &str)] = &[
    (
        "/tickets",
        StaffRole::Agent,
        "open tickets, most urgent first",
        "未解决工单（最紧急在前）",
    ),
    (
        "/customer ID|EMAIL|NAME",
        StaffRole::Agent,
        "customer 360 card",
        "客户全景卡片",
    ),
    (
        "/claim [ID]",
        StaffRole::Agent,
        "take a ticket (asks first if a colleague holds it)",
        "认领工单（他人负责时会先确认）",
    ),
    (
        "/takeover ID",
        StaffRole::Agent,
        "take a ticket a colleague holds",
        "接手他人负责的工单",
    ),
    (
        "/reply ID TEXT",
        StaffRole::Agent,
        "answer a ticket's customer from anywhere",
        "在任意位置回复工单客户",
    ),
    (
        "/resolve [ID] [NOTE]",
        StaffRole::Agent,
        "close a ticket; the customer gets the CSAT question",
        "解决工单，客户会收到满意度调查",
    ),
    (
        "/thread [ID]",
        StaffRole::Agent,
        "console: send what you type to ticket ID's customer",
        "控制台：将输入内容发给该工单的客户",
    ),
    (
        "/snippet [NAME]",
        StaffRole::Agent,
        "send a saved reply in a ticket's thread (no name: the list)",
        "在工单讨论串中发送快捷回复（不带名称：列表）",
    ),
    (
        "/snippet save NAME TEXT · /snippet delete NAME",
        StaffRole::Agent,
        "keep a saved reply ({first_name}, {latest_order} are filled in), or remove it",
        "保存快捷回复（自动填入 {first_name}、{latest_order}），或删除",
    ),
    (
        "/transfer [ID] [STAFF]",
        StaffRole::Agent,
        "hand a ticket to a colleague (no name: pick from a list; agents: tickets they hold)",
        "将工单转交同事（不带名字：从列表选择）",
    ),
    (
        "/atrisk [SEGMENT] [N]",
        StaffRole::Manager,
        "customers at risk of churning",
        "有流失风险的客户",
    ),
    (
        "/segments",
        StaffRole::Manager,
        "customer segments",
        "客户分群",
    ),
    (
        "/kpi [PERIOD]",
        StaffRole::Manager,
        "key figures and how many conversations the bot resolved",
        "关键指标与机器人解决率",
    ),
    (
        "/gaps [PERIOD]",
        StaffRole::Manager,
        "questions the bot could not answer, by topic",
        "机器人未能回答的问题（按主题）",
    ),
    (
        "/report churn",
        StaffRole::Manager,
        "churn charts",
        "流失报告图表",
    ),
    (
        "/mine",
        StaffRole::Agent,
        "your book of business",
        "我负责的客户",
    ),
    (
        "/assign CUSTOMER STAFF",
        StaffRole::Manager,
        "give a customer an owner",
        "为客户指定负责人",
    ),
    (
        "/note CUSTOMER TEXT",
        StaffRole::Agent,
        "a note on a customer",
        "客户备注",
    ),
    (
        "/task CUSTOMER TEXT",
        StaffRole::Agent,
        "a task with a due day (friday, tomorrow, in 3 days)",
        "带截止日的任务（如 friday、tomorrow）",
    ),
    (
        "/call CUSTOMER [NOTE]",
        StaffRole::Agent,
        "log a call",
        "记录一次通话",
    ),
    ("/help", StaffRole::Agent, "this list", "本列表"),
];

/// Tickets opened and not closed in a customer's history.
fn open_ticket_ids(events: &[crate::domain::Event]) -> Vec<u64> {
    let mut open = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::TicketOpened { ticket, .. } if !open.contains(ticket) => open.push(*ticket),
            EventKind::TicketClosed { ticket } => open.retain(|t| t != ticket),
            _ => {}
        }
    }
    open
}

impl Engine {
    fn models_trained(&self) -> bool {
        self.deps
            .models
            .read()
            .map(|m| m.is_some())
            .unwrap_or(false)
    }

    /// A chart as a message; a chart that cannot be drawn becomes a line saying why.
    fn chart_message(&self, to: &Address, kind: ChartKind, at: DateTime<Utc>) -> Option<Outbound> {
        match insights::chart(&self.deps.store, kind, at) {
            Ok((png, caption)) => Some(Outbound {
                to: to.clone(),
                text: caption.clone(),
                buttons: Vec::new(),
                image: Some(Image { png, caption }),
                attachment: None,
                space: None,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "a chart could not be drawn");
                Some(Outbound::text(to.clone(), format!("(no chart: {e})")))
            }
        }
    }

    pub(super) async fn handle_staff(
        &self,
        actor: &StaffActor,
        from: &Address,
        command: Option<Command>,
        parse: Option<&Parse>,
        here: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<Vec<Outbound>, EngineError> {
        if command.is_none()
            && let Some(p) = parse
            && let Some(question) = super::questions::parse(&p.normalized)
        {
            let text = self.answer(question, p.language, at)?;
            return Ok(vec![Outbound::text(from.clone(), text)]);
        }
        let request = match (command, parse) {
            (Some(c), _) => StaffRequest::Command(c),
            (None, Some(p)) => request_from_intent(p),
            (None, None) => StaffRequest::NotUnderstood,
        };
        let say = |text: String| vec![Outbound::text(from.clone(), text)];
        let lang = parse.map(|p| p.language).unwrap_or_default();
        let command = match request {
            StaffRequest::Command(c) => c,
            StaffRequest::NotUnderstood => {
                return Ok(say(format!(
                    "{} {}",
                    Reply::NotUnderstood.render(lang),
                    Reply::Help { staff: true }.render(Language::En)
                )));
            }
        };
        let needed = required_role(&command);
        if actor.role < needed {
            self.audit_staff(at, &actor.name, "access.denied", &format!("{command:?}"))?;
            return Ok(say(format!(
                "Sorry, that needs the {} role; you are {}.",
                needed.as_str(),
                actor.role.as_str()
            )));
        }
        let out = match command {
            Command::Help => {
                let mine: Vec<(&str, &str, &str)> = STAFF_COMMANDS
                    .iter()
                    .filter(|(_, role, _, _)| actor.role >= *role)
                    .map(|(usage, _, en, zh)| (*usage, *en, *zh))
                    .collect();
                say(super::text::staff_help(&mine, lang))
            }
            Command::Customer(query) => match self.find_customer(&query)? {
                Some(customer) => {
                    self.audit(at, &actor.name, "customer.view", customer.id, "")?;
                    say(self.customer_card(customer, at)?)
                }
                None => say(Reply::UnknownCustomer { id: query }.render(lang)),
            },
            Command::Tickets => say(self.ticket_list()?),
            Command::AtRisk { .. } | Command::Segments | Command::ReportChurn
                if !self.models_trained() =>
            {
                say(Reply::ModelsNotReady.render(lang))
            }
            Command::AtRisk { segment, top } => {
                let mine = segment
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("mine"));
                let filter = insights::AtRiskFilter {
                    segment: segment.as_deref().filter(|_| !mine),
                    owner: mine.then_some(actor.name.as_str()),
                };
                let views = insights::Views::of(&self.deps.settings);
                let report = insights::at_risk_report(
                    &self.deps.store,
                    at,
                    top.unwrap_or(10),
                    filter,
                    &views,
                )?;
                self.audit_staff(
                    at,
                    &actor.name,
                    "insights.at_risk",
                    &format!("{} customers", report.customers.len()),
                )?;
                say(insights::render_at_risk_report(&report))
            }
            Command::Segments => {
                let list = insights::segments(&self.deps.store)?;
                let mut out = say(insights::render_segments(&list));
                out.extend(self.chart_message(from, ChartKind::Segments, at));
                out
            }
            Command::Kpi(period) => match insights::parse_period(period.as_deref()) {
                Ok(days) => {
                    let kpis = insights::render_kpis(&insights::kpis(&self.deps.store, at, days)?);
                    let resolution = insights::resolution(&self.deps.store, at, days)?;
                    say(format!(
                        "{kpis}\n{}",
                        insights::render_resolution(&resolution)
                    ))
                }
                Err(message) => say(message),
            },
            Command::Gaps(period) => match insights::parse_period(period.as_deref()) {
                Ok(days) => say(insights::render_gaps(
                    &insights::gaps(&self.deps.store, &self.deps.help, at, days)?,
                    days,
                )),
                Err(message) => say(message),
            },
            Command::ReportChurn => {
                let mut out = say(
                    "Churn report: risk distribution, lifecycle funnel, sentiment over time."
                        .into(),
                );
                for kind in [ChartKind::Risk, ChartKind::Funnel, ChartKind::Sentiment] {
                    out.extend(self.chart_message(from, kind, at));
                }
                out
            }
            Command::Claim(id) => match needs_ticket(id, here, "/claim TICKET", from) {
                Ok(id) => self.claim_ticket(actor, id, at, from, false)?,
                Err(out) => out,
            },
            Command::TakeOver(id) => self.claim_ticket(actor, id, at, from, true)?,
            Command::Reply(id, text) => self.relay(actor, id, text, at, from).await?,
            Command::Resolve(id, note) => match needs_ticket(id, here, "/resolve TICKET", from) {
                Ok(id) => self.resolve(actor, id, note, at, from).await?,
                Err(out) => out,
            },
            Command::Transfer(id, to) => {
                match (needs_ticket(id, here, "/transfer TICKET", from), to) {
                    (Ok(id), Some(to)) => self.transfer(actor, id, to.as_str(), at, from)?,
                    (Ok(id), None) => self.transfer_pick(id, from),
                    (Err(out), _) => out,
                }
            }
            Command::Thread(id) => self.focus(id, here, from)?,
            Command::Snippet(name) => self.send_snippet(actor, name, here, at, from).await?,
            Command::SnippetSave(name, text) => self.save_snippet(actor, name, text, at, from)?,
            Command::SnippetDelete(name) => self.delete_snippet(actor, name, at, from)?,
            Command::Mine => say(self.my_book(actor, at)?),
            Command::Assign(who, owner) => say(self.assign(actor, &who, &owner, at)?),
            Command::Note(who, text) => say(self.note(actor, &who, &text, at).await?),
            Command::Task(who, text) => say(self.task(actor, &who, &text, at).await?),
            Command::Call(who, note) => say(self.log_call(actor, &who, &note, at).await?),
        };
        Ok(out)
    }

    /// Every customer matching an id, email or (part of) name (at most 10).
    pub fn find_customers(&self, query: &str) -> Result<Vec<Customer>, EngineError> {
        let query = query.trim().trim_start_matches('#');
        if query.parse::<u64>().is_ok() || query.contains('@') {
            return Ok(self.find_customer(query)?.into_iter().collect());
        }
        Ok(self.deps.store.customers_by_name(query, 10)?)
    }

    /// Finds a customer by id, email or (part of) name.
    pub fn find_customer(&self, query: &str) -> Result<Option<Customer>, EngineError> {
        let query = query.trim().trim_start_matches('#');
        if let Ok(id) = query.parse::<u64>() {
            return Ok(self.deps.store.customer(CustomerId(id))?);
        }
        if query.contains('@') {
            return Ok(self.deps.store.customer_by_email(query)?);
        }
        Ok(self
            .deps
            .store
            .customers_by_name(query, 1)?
            .into_iter()
            .next())
    }

    fn customer_card(&self, customer: Customer, now: DateTime<Utc>) -> Result<String, EngineError> {
        let store = &self.deps.store;
        let id = customer.id;
        let events = store.events_of(id)?;
        let interactions = store.recent_interactions_of(id, 5)?;
        let tickets: Vec<Ticket> = store
            .tickets(None)?
            .into_iter()
            .filter(|t| t.customer == id && t.state != TicketState::Resolved)
            .collect();
        let facts = CustomerFacts::from_events(customer, &events, now);
        let c = &facts.customer;
        let mut card = format!(
            "Customer {} — {}{}\nEmail: {} · Plan: {} · Since {}\n",
            c.id,
            if c.name.is_empty() {
                "(no name)"
            } else {
                &c.name
            },
            if c.is_lead { " (lead)" } else { "" },
            c.email.as_deref().unwrap_or("-"),
            c.plan.as_str(),
            c.created.format("%Y-%m-%d"),
        );
        if let Some(s) = &facts.subscription {
            card.push_str(&format!(
                "Subscription: {} ({})\n",
                s.plan.as_str(),
                if s.active { "active" } else { "cancelled" }
            ));
        }
        let total: f64 = facts.orders.iter().map(|o| o.amount).sum();
        card.push_str(&format!(
            "Orders: {} (total ${total:.2})\n",
            facts.orders.len()
        ));
        for o in facts.orders.iter().take(3) {
            card.push_str(&format!(
                "  {} {} ${:.2} {}\n",
                o.order_id,
                o.placed.format("%Y-%m-%d"),
                o.amount,
                o.status.as_str()
            ));
        }
        if let Some(score) = store.score::<CustomerScore>(id)? {
            card.push_str(&format!(
                "Stage: {} ({}) · Segment: {}\n",
                score.stage,
                score.stage_reason,
                score.segment.as_deref().unwrap_or("-")
            ));
            let risk = &self.deps.settings.models.risk;
            card.push_str(&format!(
                "Churn risk: {} · CLV: {} · P(alive): {}\n",
                score
                    .churn_probability
                    .map(|p| format!(
                        "{:.0}% ({}; at risk from {:.0}%)",
                        p * 100.0,
                        risk.band(p),
                        risk.at_risk_probability * 100.0
                    ))
                    .unwrap_or_else(|| "-".into()),
                score
                    .clv
                    .map(|v| format!("${v:.0}"))
                    .unwrap_or_else(|| "-".into()),
                score
                    .p_alive
                    .map(|p| format!("{:.0}%", p * 100.0))
                    .unwrap_or_else(|| "-".into()),
            ));
            if !score.reasons.is_empty() {
                let reasons: Vec<&str> = score.reasons.iter().map(|r| r.text.as_str()).collect();
                card.push_str(&format!("Why: {}\n", reasons.join("; ")));
            }
            card.push_str(&format!("Suggested: {}\n", score.suggested_action));
        }
        let stages: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::StageChanged { from, to, .. } => {
                    Some(format!("{} {from}→{to}", e.at.format("%Y-%m-%d")))
                }
                _ => None,
            })
            .collect();
        if !stages.is_empty() {
            let recent = &stages[stages.len().saturating_sub(3)..];
            card.push_str(&format!("Stage history: {}\n", recent.join(", ")));
        }
        let surveys: Vec<String> = events
            .iter()
            .rev()
            .filter_map(|e| match &e.kind {
                EventKind::Survey { survey, score } => Some(format!(
                    "{} {} on {}",
                    match survey {
                        SurveyKind::Csat => "CSAT",
                        SurveyKind::Nps => "NPS",
                    },
                    score,
                    e.at.format("%Y-%m-%d")
                )),
                _ => None,
            })
            .take(3)
            .collect();
        if !surveys.is_empty() {
            card.push_str(&format!("Surveys: {}\n", surveys.join(", ")));
        }
        let offers: Vec<String> = events
            .iter()
            .rev()
            .filter_map(|e| match &e.kind {
                EventKind::OfferShown { offer } => Some(format!("{offer} shown")),
                EventKind::OfferAccepted { offer, .. } => Some(format!("{offer} accepted")),
                _ => None,
            })
            .take(3)
            .collect();
        if !offers.is_empty() {
            card.push_str(&format!("Offers: {}\n", offers.join(", ")));
        }
        // Tickets known only from the history (e.g. imported) count as open too, so the
        // count agrees with the "unresolved support tickets" the churn model reads.
        let from_history = open_ticket_ids(&events)
            .into_iter()
            .filter(|id| !tickets.iter().any(|t| t.id == *id))
            .filter(|id| store.ticket(*id).ok().flatten().is_none())
            .count();
        card.push_str(&format!("Open tickets: {}\n", tickets.len() + from_history));
        for t in &tickets {
            card.push_str(&format!(
                "  #{} {} P{} {}\n",
                t.id,
                t.state.as_str(),
                t.priority,
                t.reasons.join("; ")
            ));
        }
        card.push_str("Recent messages:\n");
        for i in &interactions {
            card.push_str(&format!(
                "  {} {} {}{}\n",
                i.at.format("%Y-%m-%d %H:%M"),
                if i.direction == Direction::Inbound {
                    "<"
                } else {
                    ">"
                },
                i.text.as_deref().unwrap_or("(removed)"),
                i.sentiment
                    .map(|s| format!("  [sentiment {s:+.2}]"))
                    .unwrap_or_default()
            ));
        }
        Ok(card.trim_end().to_owned())
    }

    /// The card staff receive when a ticket opens: who, why, and the last messages.
    pub(super) fn ticket_card(
        &self,
        ticket: &Ticket,
        customer: &Customer,
    ) -> Result<String, EngineError> {
        let mut card = format!(
            "New ticket #{} (P{}) — customer {} {} via {} — {}\nDue {}. {}\nLast messages:\n",
            ticket.id,
            ticket.priority,
            customer.id,
            customer.name,
            ticket.channel,
            ticket.reasons.join("; "),
            ticket.sla_due.format("%Y-%m-%d %H:%M UTC"),
            super::text::HandoffText::CardHint.render(Language::En),
        );
        for i in self
            .deps
            .store
            .recent_interactions_of(customer.id, 5)?
            .iter()
            .filter(|i| i.direction == Direction::Inbound)
        {
            card.push_str(&format!(
                "  {} {}{}\n",
                i.at.format("%m-%d %H:%M"),
                i.text.as_deref().unwrap_or("(removed)"),
                i.sentiment
                    .map(|s| format!("  [sentiment {s:+.2}]"))
                    .unwrap_or_default()
            ));
        }
        Ok(card.trim_end().to_owned())
    }

    fn ticket_list(&self) -> Result<String, EngineError> {
        let mut open: Vec<Ticket> = self
            .deps
            .store
            .tickets(None)?
            .into_iter()
            .filter(|t| t.state != TicketState::Resolved)
            .collect();
        open.sort_by_key(|t| (t.priority, t.sla_due, t.id));
        if open.is_empty() {
            return Ok("No open tickets.".into());
        }
        let mut text = format!("Open tickets ({}):\n", open.len());
        for t in open {
            let name = self
                .deps
                .store
                .customer(t.customer)?
                .map(|c| c.name)
                .filter(|n| !n.is_empty())
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "#{} P{} {} customer {}{name} via {} — {} — due {}{}\n",
                t.id,
                t.priority,
                t.state.as_str(),
                t.customer,
                t.channel,
                t.reasons.join("; "),
                t.sla_due.format("%Y-%m-%d %H:%M UTC"),
                t.assignee
                    .as_deref()
                    .map(|a| format!(" — {a}"))
                    .unwrap_or_default()
            ));
        }
        Ok(text.trim_end().to_owned())
    }

    pub(super) fn ticket_for_action(
        &self,
        id: u64,
        from: &Address,
    ) -> Result<Result<Ticket, Vec<Outbound>>, EngineError> {
        Ok(match self.deps.store.ticket(id)? {
            Some(t) if t.state != TicketState::Resolved => Ok(t),
            Some(_) => Err(vec![Outbound::text(
                from.clone(),
                format!("Ticket #{id} is already resolved."),
            )]),
            None => Err(vec![Outbound::text(
                from.clone(),
                format!("There is no ticket #{id}."),
            )]),
        })
    }

    /// The ticket a staff member answers: open, and claimed by them if nobody held it.
    pub(super) fn ticket_to_answer(
        &self,
        actor: &StaffActor,
        id: u64,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Result<Ticket, Vec<Outbound>>, EngineError> {
        let mut ticket = match self.ticket_for_action(id, from)? {
            Ok(t) => t,
            Err(out) => return Ok(Err(out)),
        };
        if ticket.assignee.is_none() {
            ticket.claim(&actor.name, at);
            self.deps.store.put_ticket(&ticket)?;
        }
        Ok(Ok(ticket))
    }

    pub(super) async fn relay(
        &self,
        actor: &StaffActor,
        id: u64,
        text: String,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let ticket = match self.ticket_to_answer(actor, id, at, from)? {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        self.log_to_customer(&ticket, &text, "staff_reply", at)?;
        self.audit(
            at,
            &actor.name,
            "ticket.reply",
            ticket.customer,
            &format!("ticket:{id}"),
        )?;
        self.deps.store.durable().await?;
        let to_customer = Address {
            channel: ticket.channel,
            chat: ticket.chat.clone(),
        };
        Ok(vec![
            Outbound::text(to_customer, format!("{}: {text}", actor.name)),
            Outbound::text(
                from.clone(),
                format!("Sent to the customer of ticket #{id}."),
            ),
        ])
    }

    async fn resolve(
        &self,
        actor: &StaffActor,
        id: u64,
        note: Option<String>,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let ticket = match self.ticket_for_action(id, from)? {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        let customer = ticket.customer;
        let out = self
            .close_ticket(ticket, &actor.name, note, at, Some(from))
            .await?;
        self.audit(
            at,
            &actor.name,
            "ticket.resolve",
            customer,
            &format!("ticket:{id}"),
        )?;
        self.deps.store.durable().await?;
        Ok(out)
    }

    /// Resolves a ticket: its spaces closed, the transcript kept, the bot back in the
    /// conversation and the customer asked how it went. `from` is where the resolve was
    /// asked (told it is done unless a closing message already goes there).
    pub(super) async fn close_ticket(
        &self,
        mut ticket: Ticket,
        by: &str,
        note: Option<String>,
        at: DateTime<Utc>,
        from: Option<&Address>,
    ) -> Result<Vec<Outbound>, EngineError> {
        let id = ticket.id;
        ticket.state = TicketState::Resolved;
        ticket.resolved_at = Some(at);
        ticket.resolution_note = note;
        if ticket.assignee.is_none() {
            ticket.assignee = Some(by.to_owned());
        }
        self.deps.store.put_ticket(&ticket)?;
        self.deps.store.append_event(&crate::domain::Event {
            customer: ticket.customer,
            at,
            kind: crate::domain::EventKind::TicketClosed { ticket: id },
        })?;
        // The bot takes the conversation back, and asks how it went.
        let mut conversation: Conversation = self
            .deps
            .store
            .conversation(ticket.channel, &ticket.chat)?
            .unwrap_or_default();
        if conversation.state == (DialogueState::WithHuman { ticket: id }) {
            conversation.state = DialogueState::Idle;
        }
        conversation.resolved = Some((id, at));
        let closing = self.close_spaces(&ticket, by, from)?;
        let mut out = Vec::new();
        if let Some(from) = from
            && !closing.iter().any(|m| &m.to == from)
        {
            out.push(Outbound::text(
                from.clone(),
                format!("Ticket #{id} is resolved."),
            ));
        }
        out.extend(closing);
        if let Some(question) = self.csat_after_ticket(&ticket, &mut conversation, at)? {
            out.push(question);
        }
        self.deps
            .store
            .put_conversation(ticket.channel, &ticket.chat, &conversation)?;
        Ok(out)
    }

    /// The CSAT question to a resolved ticket's customer, when one is due. Everyone whose
    /// ticket was resolved is asked, leads included: the question is about the support they
    /// got, not about their account.
    fn csat_after_ticket(
        &self,
        ticket: &Ticket,
        conversation: &mut Conversation,
        at: DateTime<Utc>,
    ) -> Result<Option<Outbound>, EngineError> {
        let customer = self.deps.store.customer(ticket.customer)?;
        let events = self.deps.store.events_of(ticket.customer)?;
        let due = customer.as_ref().is_some_and(|c| {
            self.deps.settings.surveys.due(
                SurveyKind::Csat,
                &events,
                conversation.csat_asked,
                c.created,
                at,
            )
        });
        if !due || conversation.state != DialogueState::Idle {
            return Ok(None);
        }
        let ask = Reply::AskCsat {
            ticket: Some(ticket.id),
        };
        conversation.state = DialogueState::AwaitingScore {
            survey: SurveyKind::Csat,
            ticket: Some(ticket.id),
        };
        conversation.csat_asked = Some(at);
        conversation.answered = 0;
        let question = ask.render(conversation.language);
        self.log_to_customer(ticket, &question, "ask_csat", at)?;
        Ok(Some(Outbound {
            to: Address {
                channel: ticket.channel,
                chat: ticket.chat.clone(),
            },
            text: question,
            buttons: ask.buttons(conversation.language),
            image: None,
            attachment: None,
            space: None,
        }))
    }

    fn transfer(
        &self,
        actor: &StaffActor,
        id: u64,
        to: &str,
        at: DateTime<Utc>,
        from: &Address,
    ) -> Result<Vec<Outbound>, EngineError> {
        let mut ticket = match self.ticket_for_action(id, from)? {
            Ok(t) => t,
            Err(out) => return Ok(out),
        };
        let holder = ticket.assignee.clone().filter(|h| {
            ticket.state == TicketState::Claimed && !h.eq_ignore_ascii_case(&actor.name)
        });
        if let Some(holder) = holder
            && actor.role < StaffRole::Manager
        {
            let refused = super::text::HandoffText::OnlyHolderTransfers { ticket: id, holder };
            return Ok(vec![Outbound::text(
                from.clone(),
                refused.render(Language::En),
            )]);
        }
        let Some(member) = self
            .staff_directory()
            .into_iter()
            .find(|m| m.name.eq_ignore_ascii_case(to))
        else {
            return Ok(vec![Outbound::text(
                from.clone(),
                format!("There is no staff member called {to}."),
            )]);
        };
        ticket.assignee = Some(member.name.clone());
        ticket.state = TicketState::Claimed;
        self.drop_focus(id, None)?;
        ticket.claimed_at.get_or_insert(at);
        self.deps.store.put_ticket(&ticket)?;
        self.audit(
            at,
            &actor.name,
            "ticket.transfer",
            ticket.customer,
            &format!("ticket:{id} to {}", member.name),
        )?;
        let handed = super::text::HandoffText::HandedOver {
            ticket: id,
            to: member.name.clone(),
            by: actor.name.clone(),
        }
        .render(Language::En);
        let mut out = vec![Outbound::text(from.clone(), handed.clone())];
        let mut told = vec![from.clone()];
        for to in self
            .relay_targets(id)?
            .into_iter()
            .chain(staff_inboxes(&member, from))
        {
            if !told.contains(&to) {
                told.push(to.clone());
                out.push(Outbound::text(to, handed.clone()));
            }
        }
        Ok(out)
    }

    /// Logs a message sent to a ticket's customer in their conversation.
    pub(super) fn log_to_customer(
        &self,
        ticket: &Ticket,
        text: &str,
        intent: &str,
        at: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        self.deps.store.log_interaction(&Interaction {
            customer: ticket.customer,
            channel: ticket.channel,
            chat: ticket.chat.clone(),
            direction: Direction::Outbound,
            at,
            text: Some(text.to_owned()),
            intent: Some(intent.to_owned()),
            confidence: None,
            sentiment: None,
            ticket: Some(ticket.id),
        })?;
        Ok(())
    }

    pub(super) fn audit_staff(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), EngineError> {
        self.deps.store.audit(&AuditEntry {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: "staff".into(),
            detail: detail.to_owned(),
        })?;
        Ok(())
    }

    pub(super) fn audit(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        customer: CustomerId,
        detail: &str,
    ) -> Result<(), EngineError> {
        self.deps.store.audit(&AuditEntry {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: format!("customer:{customer}"),
            detail: detail.to_owned(),
        })?;
        Ok(())
    }
}
