//! Linking a chat user (a lead) to an existing customer: the user gives the email they
//! registered with, a one-time code goes to that customer through the code sink (an outbox
//! item on the `email` channel), and the user types it back. The reply never says whether
//! the email belongs to an account. Codes expire and wrong tries are capped; after linking
//! the chat identity sees that customer's data only, on every channel linked the same way.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::message::{Address, Outbound};
use super::text::Reply;
use super::{Engine, EngineError};
use crate::domain::{Channel, Customer, CustomerId};
use crate::nlu::{Entity, Parse};
use crate::store::{AuditEntry, IdentityKey};

/// A linking attempt in progress, kept with the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingLink {
    /// The customer the code was sent to; `None` when the email matched nobody (the user is
    /// not told, and no code can succeed).
    pub customer: Option<CustomerId>,
    /// SHA-256 of the code, hex.
    pub code_hash: String,
    pub expires: DateTime<Utc>,
    pub attempts: u8,
}

fn hash(code: &str) -> String {
    Sha256::digest(code.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A six-digit code typed in a message, if there is one.
fn typed_code(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits.len() == 6
        && text
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace()))
    .then_some(digits)
}

impl Engine {
    /// Handles linking for a lead's message; `None` when the message is not about linking.
    pub(super) fn link_step(
        &self,
        lead: &Customer,
        identity: Option<&IdentityKey>,
        pending: &mut Option<PendingLink>,
        parse: &Parse,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<Reply>>, EngineError> {
        let Some(identity) = identity else {
            return Ok(None);
        };
        let settings = &self.deps.settings.identity;
        if let Some(link) = pending.clone()
            && let Some(code) = typed_code(text)
        {
            if at > link.expires {
                *pending = None;
                return Ok(Some(vec![Reply::LinkExpired]));
            }
            let matches: bool = hash(&code)
                .as_bytes()
                .ct_eq(link.code_hash.as_bytes())
                .into();
            if let (true, Some(target)) = (matches, link.customer) {
                *pending = None;
                let store = &self.deps.store;
                store.link_identity(identity, target)?;
                store.audit(&AuditEntry {
                    at,
                    actor: format!("{}:{}", identity.channel, identity.user_id),
                    action: "identity.link".into(),
                    subject: format!("customer:{target}"),
                    detail: format!("lead {} linked by code", lead.id),
                })?;
                let name = store
                    .customer(target)?
                    .map(|c| c.name.split_whitespace().next().unwrap_or("").to_owned())
                    .unwrap_or_default();
                return Ok(Some(vec![Reply::Linked { name }]));
            }
            let attempts = link.attempts + 1;
            if attempts >= settings.max_attempts {
                *pending = None;
                return Ok(Some(vec![Reply::LinkFailed]));
            }
            *pending = Some(PendingLink { attempts, ..link });
            return Ok(Some(vec![Reply::WrongCode {
                left: settings.max_attempts - attempts,
            }]));
        }
        let Some(email) = parse.entities.iter().find_map(|e| match e {
            Entity::Email(e) => Some(e.to_lowercase()),
            _ => None,
        }) else {
            return Ok(None);
        };
        let target = self
            .deps
            .store
            .customer_by_email(&email)?
            .filter(|c| !c.erased && !c.is_lead);
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        if let Some(customer) = &target {
            let text = format!(
                "Your crmbot code is {code}. Type it in the chat within {} minutes to link it to your account (customer {}).",
                settings.code_ttl_minutes, customer.id
            );
            self.deps
                .store
                .enqueue(Channel::Email, &email, &text, "link_code", at)?;
        }
        *pending = Some(PendingLink {
            customer: target.map(|c| c.id),
            code_hash: hash(&code),
            expires: at + Duration::minutes(i64::from(settings.code_ttl_minutes)),
            attempts: 0,
        });
        Ok(Some(vec![Reply::LinkCodeSent {
            minutes: settings.code_ttl_minutes,
        }]))
    }
}

/// Outbound replies for linking, in the conversation's language.
pub(super) fn replies(
    to: &Address,
    replies: &[Reply],
    lang: crate::domain::Language,
) -> Vec<Outbound> {
    replies
        .iter()
        .map(|r| Outbound::text(to.clone(), r.render(lang)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_digit_messages_are_codes() {
        assert_eq!(typed_code("123456"), Some("123456".into()));
        assert_eq!(typed_code(" 123 456 "), Some("123456".into()));
        assert_eq!(typed_code("order 123456"), None);
        assert_eq!(typed_code("12345"), None);
    }
}
