//! Resolution, as the best support tools measure it: of the conversations customers had
//! with the bot, how many it resolved by itself — the customer said the answer helped, or
//! left without asking for a person within 24 hours (Intercom's definition) — beside how
//! many went to a person and how many it could not answer. The unanswered questions,
//! grouped by topic with examples, tell staff which help article to write next.
//!
//! Pure: it reads a conversation log already loaded and a topic function.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{CustomerId, Direction, Interaction, Language};

/// How long a conversation may go quiet before a new message starts another, and before
/// one without an outcome counts as resolved.
pub const QUIET_HOURS: i64 = 24;

/// Interaction log names that mean the bot could not answer.
const UNANSWERED: &[&str] = &["not_understood", "out_of_scope", "ambiguous", "helped_no"];
/// Log names of small talk, which gives a conversation no topic.
const SMALL_TALK: &[&str] = &[
    "greeting",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "praise",
    "helped_yes",
    "helped_no",
    "bot_identity",
];

/// How one conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The customer said the answer helped.
    Confirmed,
    /// The customer left without asking for a person.
    Left,
    /// A ticket was opened: a person took over.
    HandedOff,
    /// The last question was not understood, or the answer did not help.
    Unanswered,
    /// Quiet for less than a day and no outcome yet.
    Open,
}

/// One conversation: a chat's messages with no pause of a day or more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub customer: CustomerId,
    pub started: DateTime<Utc>,
    pub language: Language,
    pub topic: String,
    pub outcome: Outcome,
    /// The questions it could not answer (texts that are still kept).
    pub unanswered: Vec<String>,
}

/// One row of the resolution table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResolutionRow {
    pub conversations: u64,
    /// Confirmed plus left without asking for a person.
    pub resolved_by_bot: u64,
    pub confirmed: u64,
    pub handed_off: u64,
    pub unanswered: u64,
    pub still_open: u64,
    /// Resolved by the bot over the conversations that have an outcome.
    pub resolution_rate: Option<f64>,
    pub handoff_rate: Option<f64>,
}

impl ResolutionRow {
    fn add(&mut self, outcome: Outcome) {
        self.conversations += 1;
        match outcome {
            Outcome::Confirmed => {
                self.confirmed += 1;
                self.resolved_by_bot += 1;
            }
            Outcome::Left => self.resolved_by_bot += 1,
            Outcome::HandedOff => self.handed_off += 1,
            Outcome::Unanswered => self.unanswered += 1,
            Outcome::Open => self.still_open += 1,
        }
        let decided = self.conversations - self.still_open;
        let rate = |n: u64| (decided > 0).then(|| n as f64 / decided as f64);
        self.resolution_rate = rate(self.resolved_by_bot);
        self.handoff_rate = rate(self.handed_off);
    }
}

/// Resolution over a period, overall, by language and by topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolutionReport {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub overall: ResolutionRow,
    pub by_language: BTreeMap<String, ResolutionRow>,
    pub by_topic: BTreeMap<String, ResolutionRow>,
    /// Tickets resolved in the period, and how many of them the customer reopened.
    pub tickets_resolved: u64,
    pub tickets_reopened: u64,
    pub reopen_rate: Option<f64>,
}

/// A topic the bot could not answer, with how often and examples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub topic: String,
    pub count: u64,
    pub examples: Vec<String>,
}

/// Splits inbound messages into conversations and finds how each ended (conversations
/// whose messages carry no understanding, such as imported histories, are left out). `language_of`
/// reads a message's language; `now` decides which quiet conversations count as left.
pub fn conversations(
    interactions: &[Interaction],
    now: DateTime<Utc>,
    language_of: &dyn Fn(&str) -> Language,
) -> Vec<Conversation> {
    let mut chats: BTreeMap<(CustomerId, &str, &str), Vec<&Interaction>> = BTreeMap::new();
    for i in interactions
        .iter()
        .filter(|i| i.direction == Direction::Inbound)
    {
        chats
            .entry((i.customer, i.channel.as_str(), i.chat.as_str()))
            .or_default()
            .push(i);
    }
    let quiet = Duration::hours(QUIET_HOURS);
    let mut out = Vec::new();
    for messages in chats.into_values() {
        let mut messages = messages;
        messages.sort_by_key(|i| i.at);
        let mut start = 0;
        for end in 1..=messages.len() {
            if end == messages.len() || messages[end].at - messages[end - 1].at >= quiet {
                let part = &messages[start..end];
                // Only conversations the bot took part in: imported chat histories carry
                // no understanding and say nothing about the bot.
                if part.iter().any(|i| i.intent.is_some()) {
                    out.push(conversation(part, now, language_of));
                }
                start = end;
            }
        }
    }
    out.sort_by_key(|c| c.started);
    out
}

fn conversation(
    messages: &[&Interaction],
    now: DateTime<Utc>,
    language_of: &dyn Fn(&str) -> Language,
) -> Conversation {
    let name = |i: &Interaction| i.intent.clone().unwrap_or_default();
    let first = messages[0];
    let last = messages[messages.len() - 1];
    let topic = messages
        .iter()
        .map(|i| name(i))
        .find(|n| {
            !n.is_empty() && !SMALL_TALK.contains(&n.as_str()) && !UNANSWERED.contains(&n.as_str())
        })
        .map(|n| n.strip_prefix("help:").map(str::to_owned).unwrap_or(n))
        .unwrap_or_else(|| "other".to_owned());
    let language = messages
        .iter()
        .find_map(|i| i.text.as_deref())
        .map_or(Language::En, language_of);
    let helpfulness = messages.iter().rev().find_map(|i| match name(i).as_str() {
        "helped_yes" => Some(true),
        "helped_no" => Some(false),
        _ => None,
    });
    let mut unanswered = Vec::new();
    for (n, i) in messages.iter().enumerate() {
        let log = name(i);
        if !UNANSWERED.contains(&log.as_str()) {
            continue;
        }
        // "Did not help" is about the question before it.
        let question = if log == "helped_no" && n > 0 {
            messages[n - 1]
        } else {
            i
        };
        if let Some(text) = &question.text
            && !unanswered.contains(text)
        {
            unanswered.push(text.clone());
        }
    }
    let outcome = if messages
        .iter()
        .any(|i| i.ticket.is_some() || name(i) == "human_agent")
    {
        Outcome::HandedOff
    } else if helpfulness == Some(true) {
        Outcome::Confirmed
    } else if helpfulness == Some(false) || UNANSWERED.contains(&name(last).as_str()) {
        Outcome::Unanswered
    } else if now - last.at < Duration::hours(QUIET_HOURS) {
        Outcome::Open
    } else {
        Outcome::Left
    };
    Conversation {
        customer: first.customer,
        started: first.at,
        language,
        topic,
        outcome,
        unanswered,
    }
}

/// The resolution table of conversations started in `since..until`.
pub fn report(
    conversations: &[Conversation],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    tickets_resolved: u64,
    tickets_reopened: u64,
) -> ResolutionReport {
    let mut report = ResolutionReport {
        since,
        until,
        overall: ResolutionRow::default(),
        by_language: BTreeMap::new(),
        by_topic: BTreeMap::new(),
        tickets_resolved,
        tickets_reopened,
        reopen_rate: (tickets_resolved > 0)
            .then(|| tickets_reopened as f64 / tickets_resolved as f64),
    };
    for c in conversations
        .iter()
        .filter(|c| c.started >= since && c.started < until)
    {
        report.overall.add(c.outcome);
        report
            .by_language
            .entry(c.language.as_str().to_owned())
            .or_default()
            .add(c.outcome);
        report
            .by_topic
            .entry(c.topic.clone())
            .or_default()
            .add(c.outcome);
    }
    report
}

/// The unanswered questions of conversations started since `since`, grouped by the topic
/// `topic_of` finds for each, most frequent first, with up to three examples.
pub fn gaps(
    conversations: &[Conversation],
    since: DateTime<Utc>,
    topic_of: &dyn Fn(&str) -> String,
) -> Vec<Gap> {
    let mut groups: BTreeMap<String, Gap> = BTreeMap::new();
    for text in conversations
        .iter()
        .filter(|c| c.started >= since)
        .flat_map(|c| &c.unanswered)
    {
        let topic = topic_of(text);
        let gap = groups.entry(topic.clone()).or_insert(Gap {
            topic,
            count: 0,
            examples: Vec::new(),
        });
        gap.count += 1;
        if gap.examples.len() < 3 && !gap.examples.contains(text) {
            gap.examples.push(text.clone());
        }
    }
    let mut gaps: Vec<Gap> = groups.into_values().collect();
    gaps.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.topic.cmp(&b.topic)));
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;
    use chrono::TimeZone;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn msg(customer: u64, hour: i64, text: &str, intent: &str, ticket: Option<u64>) -> Interaction {
        Interaction {
            customer: CustomerId(customer),
            channel: Channel::Console,
            chat: format!("customer:{customer}"),
            direction: Direction::Inbound,
            at: at(hour),
            text: Some(text.into()),
            intent: Some(intent.into()),
            confidence: None,
            sentiment: None,
            ticket,
        }
    }

    fn english(_: &str) -> Language {
        Language::En
    }

    #[test]
    fn outcomes_follow_intercoms_definition() {
        let log = vec![
            // 1: confirmed after an article.
            msg(
                1,
                0,
                "how long does shipping take",
                "help:shipping-times",
                None,
            ),
            msg(1, 0, "yes", "helped_yes", None),
            // 2: an answer and silence for a day: resolved by leaving.
            msg(
                2,
                1,
                "what payment methods do you take",
                "help:payment-methods",
                None,
            ),
            // 3: a person took over.
            msg(3, 2, "I want a human", "human_agent", Some(7)),
            // 4: not understood, then nothing.
            msg(4, 3, "blorp the fizz", "not_understood", None),
            // 5: the article did not help.
            msg(5, 4, "my gift card code fails", "help:gift-cards", None),
            msg(5, 4, "no", "helped_no", None),
            // 1 again, two days later: a new conversation, still open.
            msg(1, 60, "where is my order", "order_status", None),
        ];
        let now = at(70);
        let all = conversations(&log, now, &english);
        let outcome = |c: u64, hour: i64| {
            all.iter()
                .find(|x| x.customer == CustomerId(c) && x.started == at(hour))
                .unwrap()
                .outcome
        };
        assert_eq!(outcome(1, 0), Outcome::Confirmed);
        assert_eq!(outcome(2, 1), Outcome::Left);
        assert_eq!(outcome(3, 2), Outcome::HandedOff);
        assert_eq!(outcome(4, 3), Outcome::Unanswered);
        assert_eq!(outcome(5, 4), Outcome::Unanswered);
        assert_eq!(outcome(1, 60), Outcome::Open);
        let r = report(&all, at(0), now, 4, 1);
        assert_eq!(r.overall.conversations, 6);
        assert_eq!(r.overall.resolved_by_bot, 2);
        assert_eq!(r.overall.handed_off, 1);
        assert_eq!(r.overall.unanswered, 2);
        assert_eq!(r.overall.resolution_rate, Some(0.4), "2 of the 5 decided");
        assert_eq!(r.by_topic["shipping-times"].confirmed, 1);
        assert_eq!(r.reopen_rate, Some(0.25));
        let gaps = gaps(&all, at(0), &|t: &str| {
            if t.contains("gift") {
                "Gift cards"
            } else {
                "(no topic)"
            }
            .to_owned()
        });
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].count, 1);
        let gift = gaps.iter().find(|g| g.topic == "Gift cards").unwrap();
        assert_eq!(
            gift.examples,
            ["my gift card code fails"],
            "the question, not the no"
        );
    }
}
