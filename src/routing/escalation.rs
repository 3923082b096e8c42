//! When a conversation goes to a person, why, and how urgently.

use serde::Deserialize;

use super::CustomerRisk;
use crate::domain::Channel;
use crate::nlu::Intent;

/// A chat on a channel that the bot posts to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// `console`, `telegram`, `discord` or `http`.
    pub channel: Channel,
    /// The chat id on that channel (Telegram chat id, Discord channel id, console chat).
    pub chat: String,
}

/// Escalation rules, evaluated on every customer message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationSettings {
    /// Chats that receive a card for every new ticket (a Telegram group, a Discord channel,
    /// the console's `staff` chat).
    pub notify: Vec<Destination>,
    /// Intents that always go to a person.
    pub intents: Vec<Intent>,
    /// A message at or below this sentiment escalates.
    pub sentiment_threshold: f32,
    /// The same threshold for valuable customers at risk (see `vip_*`).
    pub vip_sentiment_threshold: f32,
    /// Escalate when the mean sentiment of the last three messages is this much below the
    /// mean of the three before.
    pub falling_trend: f32,
    /// A customer is a valuable customer at risk with at least this churn probability...
    pub vip_churn_probability: f64,
    /// ...and at least this lifetime value.
    pub vip_min_clv: f64,
    /// Words that signal a legal threat (lower-case; matched as words or, for Chinese, as
    /// substrings).
    pub legal_words: Vec<String>,
    /// Abusive words.
    pub abuse_words: Vec<String>,
    /// Hours within which a ticket of priority 1, 2, 3, 4 should be answered.
    pub sla_hours: [u32; 4],
}

impl Default for EscalationSettings {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect();
        EscalationSettings {
            notify: vec![Destination {
                channel: Channel::Console,
                chat: "staff".into(),
            }],
            intents: vec![Intent::HumanAgent, Intent::Complaint],
            sentiment_threshold: -0.6,
            vip_sentiment_threshold: -0.3,
            falling_trend: 0.6,
            vip_churn_probability: 0.5,
            vip_min_clv: 300.0,
            legal_words: words(&[
                "lawyer",
                "attorney",
                "sue",
                "lawsuit",
                "court",
                "ombudsman",
                "chargeback",
                "律师",
                "起诉",
                "法院",
                "消协",
            ]),
            abuse_words: words(&[
                "idiot", "idiots", "stupid", "scam", "scammers", "fraud", "白痴", "骗子",
            ]),
            sla_hours: [1, 4, 8, 24],
        }
    }
}

/// What the policy looks at.
pub struct Signals<'a> {
    /// The intent, when understood.
    pub intent: Option<Intent>,
    /// The normalized text of the message.
    pub text: &'a str,
    /// Sentiment of this message.
    pub sentiment: f32,
    /// Sentiments of the customer's earlier messages, oldest first.
    pub earlier: &'a [f32],
    pub risk: Option<&'a CustomerRisk>,
}

/// The decision to hand over, with the reasons staff read and the priority (1 = most urgent).
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub reasons: Vec<String>,
    pub priority: u8,
}

impl EscalationSettings {
    /// Whether a customer's value and risk make them a valuable customer at risk.
    pub fn is_vip(&self, risk: Option<&CustomerRisk>) -> bool {
        risk.is_some_and(|r| {
            r.churn_probability.unwrap_or(0.0) >= self.vip_churn_probability
                && r.clv.unwrap_or(0.0) >= self.vip_min_clv
        })
    }

    /// Hours within which a ticket of this priority should be answered.
    pub fn sla_for(&self, priority: u8) -> u32 {
        self.sla_hours[usize::from(priority.clamp(1, 4) - 1)]
    }

    /// Evaluates the rules; `None` when the bot keeps the conversation.
    pub fn evaluate(&self, s: &Signals<'_>) -> Option<Escalation> {
        let vip = self.is_vip(s.risk);
        let mut reasons = Vec::new();
        let legal = contains_word(s.text, &self.legal_words);
        let abuse = contains_word(s.text, &self.abuse_words);
        if let Some(intent) = s.intent.filter(|i| self.intents.contains(i)) {
            reasons.push(match intent {
                Intent::HumanAgent => "asked for a person".to_owned(),
                Intent::Complaint => "complaint".to_owned(),
                other => other.as_str().replace('_', " "),
            });
        }
        let threshold = if vip {
            self.vip_sentiment_threshold
        } else {
            self.sentiment_threshold
        };
        let angry = s.sentiment <= threshold;
        if angry {
            reasons.push(format!("angry message (sentiment {:+.2})", s.sentiment));
        }
        if let Some(drop) = falling(s.earlier, s.sentiment)
            && drop >= self.falling_trend
        {
            reasons.push(format!(
                "mood falling (down {drop:.2} over the last messages)"
            ));
        }
        if legal {
            reasons.push("mentions legal action".into());
        }
        if abuse {
            reasons.push("abusive language".into());
        }
        if vip && s.intent == Some(Intent::CancelSubscription) {
            reasons.push("valuable customer wants to cancel".into());
        }
        if reasons.is_empty() {
            return None;
        }
        if vip {
            reasons.push("valuable customer at risk".into());
        }
        let priority = if legal || (vip && angry) {
            1
        } else if angry || vip || abuse {
            2
        } else {
            3
        };
        Some(Escalation { reasons, priority })
    }
}

/// How much the mean of the last three messages (this one included) is below the mean of
/// the three before; `None` with fewer than six messages.
fn falling(earlier: &[f32], now: f32) -> Option<f32> {
    let mut all: Vec<f32> = earlier.to_vec();
    all.push(now);
    if all.len() < 6 {
        return None;
    }
    let n = all.len();
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    Some(mean(&all[n - 6..n - 3]) - mean(&all[n - 3..]))
}

fn contains_word(text: &str, words: &[String]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| {
        if !w.is_ascii() {
            lower.contains(w.as_str())
        } else {
            lower
                .split(|c: char| !c.is_alphanumeric())
                .any(|token| token == w)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals<'a>(
        intent: Option<Intent>,
        text: &'a str,
        sentiment: f32,
        risk: Option<&'a CustomerRisk>,
    ) -> Signals<'a> {
        Signals {
            intent,
            text,
            sentiment,
            earlier: &[],
            risk,
        }
    }

    #[test]
    fn explicit_request_and_anger_escalate_with_priorities() {
        let s = EscalationSettings::default();
        let asked = s
            .evaluate(&signals(
                Some(Intent::HumanAgent),
                "a person please",
                0.0,
                None,
            ))
            .unwrap();
        assert_eq!(
            (asked.priority, asked.reasons[0].as_str()),
            (3, "asked for a person")
        );
        let angry = s
            .evaluate(&signals(
                Some(Intent::OrderStatus),
                "where is my order",
                -0.8,
                None,
            ))
            .unwrap();
        assert_eq!(angry.priority, 2);
        assert!(
            s.evaluate(&signals(
                Some(Intent::OrderStatus),
                "where is my order",
                -0.2,
                None
            ))
            .is_none()
        );
        let legal = s
            .evaluate(&signals(None, "I will talk to my lawyer", -0.1, None))
            .unwrap();
        assert_eq!(legal.priority, 1);
        // "sue" is a word, not a substring of "issue".
        assert!(
            s.evaluate(&signals(None, "there is an issue", 0.0, None))
                .is_none()
        );
    }

    #[test]
    fn valuable_customers_at_risk_escalate_sooner() {
        let s = EscalationSettings::default();
        let vip = CustomerRisk {
            churn_probability: Some(0.7),
            clv: Some(900.0),
            ..Default::default()
        };
        let ordinary = CustomerRisk {
            churn_probability: Some(0.7),
            clv: Some(20.0),
            ..Default::default()
        };
        assert!(
            s.evaluate(&signals(
                Some(Intent::OrderStatus),
                "late again",
                -0.4,
                Some(&ordinary)
            ))
            .is_none()
        );
        let e = s
            .evaluate(&signals(
                Some(Intent::OrderStatus),
                "late again",
                -0.4,
                Some(&vip),
            ))
            .unwrap();
        assert_eq!(e.priority, 1);
        assert!(e.reasons.iter().any(|r| r == "valuable customer at risk"));
    }

    #[test]
    fn a_falling_mood_escalates() {
        let s = EscalationSettings::default();
        let earlier = [0.5, 0.4, 0.6, -0.1, -0.3];
        let e = s
            .evaluate(&Signals {
                intent: Some(Intent::OrderStatus),
                text: "hmm",
                sentiment: -0.5,
                earlier: &earlier,
                risk: None,
            })
            .unwrap();
        assert!(e.reasons[0].starts_with("mood falling"), "{e:?}");
    }
}
