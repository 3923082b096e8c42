//! Linking a chat user (a lead) to an existing customer: the user gives the email they
//! registered with, a one-time code goes to that customer through the code sink (an outbox
//! item on the `email` channel, delivered at once whatever the quiet hours), and the user
//! types it back. The reply never says whether the email belongs to an account. Codes
//! expire; wrong codes are limited per email, per chat user and overall ([`link_guard`]),
//! and the account's owner is told when a chat is linked or linking is locked. After
//! linking the chat identity sees that customer's data only, on every channel linked the
//! same way.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::link_guard::{self, GLOBAL_KEY, Limit, Strikes};
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
    /// The wrong-code counter key of the email the code was asked for.
    #[serde(default)]
    pub email_key: String,
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

/// The counter keys a wrong code counts against, with their limits.
fn guard_keys(
    settings: &crate::config::IdentitySettings,
    email_key: &str,
    identity: &IdentityKey,
) -> [(String, Limit); 3] {
    let per_key = Limit {
        max_failures: u32::from(settings.max_attempts),
        lockout: Duration::minutes(i64::from(settings.lockout_minutes)),
        forget_after: Duration::hours(24),
    };
    let global = Limit {
        max_failures: settings.global_max_attempts,
        lockout: Duration::minutes(i64::from(settings.lockout_minutes)),
        forget_after: Duration::hours(1),
    };
    [
        (email_key.to_owned(), per_key),
        (
            link_guard::user_key(identity.channel.as_str(), &identity.user_id),
            per_key,
        ),
        (GLOBAL_KEY.to_owned(), global),
    ]
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
        if let Some(link) = pending.clone()
            && let Some(code) = typed_code(text)
        {
            return self
                .check_code(lead, identity, pending, link, &code, at)
                .map(Some);
        }
        let Some(email) = parse.entities.iter().find_map(|e| match e {
            Entity::Email(e) => Some(crate::domain::normalize_email(e)),
            _ => None,
        }) else {
            return Ok(None);
        };
        let email_key = link_guard::email_key(&email);
        if let Some(until) = self.locked_until(&email_key, identity, at)? {
            *pending = None;
            return Ok(Some(vec![Reply::LinkLocked { until }]));
        }
        let settings = &self.deps.settings.identity;
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
            email_key,
        });
        Ok(Some(vec![Reply::LinkCodeSent {
            minutes: settings.code_ttl_minutes,
        }]))
    }

    /// The latest end of a lock-out on the email, the chat user or all users, if any.
    fn locked_until(
        &self,
        email_key: &str,
        identity: &IdentityKey,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, EngineError> {
        let mut until = None;
        for (key, _) in guard_keys(&self.deps.settings.identity, email_key, identity) {
            let strikes: Option<Strikes> = self.deps.store.link_guard(&key)?;
            until = until.max(strikes.and_then(|s| s.locked_at(at)));
        }
        Ok(until)
    }

    /// A typed code against the pending link.
    fn check_code(
        &self,
        lead: &Customer,
        identity: &IdentityKey,
        pending: &mut Option<PendingLink>,
        link: PendingLink,
        code: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<Reply>, EngineError> {
        if let Some(until) = self.locked_until(&link.email_key, identity, at)? {
            *pending = None;
            return Ok(vec![Reply::LinkLocked { until }]);
        }
        if at > link.expires {
            *pending = None;
            return Ok(vec![Reply::LinkExpired]);
        }
        let matches: bool = hash(code)
            .as_bytes()
            .ct_eq(link.code_hash.as_bytes())
            .into();
        if let (true, Some(target)) = (matches, link.customer) {
            *pending = None;
            return self.complete_link(lead, identity, &link.email_key, target, at);
        }
        self.wrong_code(identity, pending, link, at)
    }

    /// Links the chat user to `target`, forgets their wrong codes, tells the owner.
    fn complete_link(
        &self,
        lead: &Customer,
        identity: &IdentityKey,
        email_key: &str,
        target: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<Vec<Reply>, EngineError> {
        let store = &self.deps.store;
        store.link_identity(identity, target)?;
        for (key, _) in guard_keys(&self.deps.settings.identity, email_key, identity)
            .into_iter()
            .take(2)
        {
            store.clear_link_guard(&key)?;
        }
        store.audit(&AuditEntry {
            at,
            actor: format!("{}:{}", identity.channel, identity.user_id),
            action: "identity.link".into(),
            subject: format!("customer:{target}"),
            detail: format!("lead {} linked by code", lead.id),
        })?;
        let customer = store.customer(target)?;
        self.notify_owner(
            customer.as_ref(),
            Reply::LinkNoticeLinked {
                channel: identity.channel.as_str().to_owned(),
                customer: target.0,
            },
            at,
        )?;
        let name = customer
            .map(|c| c.name.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap_or_default();
        Ok(vec![Reply::Linked { name }])
    }

    /// Counts a wrong code against every key; a key that reaches its limit locks linking.
    fn wrong_code(
        &self,
        identity: &IdentityKey,
        pending: &mut Option<PendingLink>,
        link: PendingLink,
        at: DateTime<Utc>,
    ) -> Result<Vec<Reply>, EngineError> {
        let store = &self.deps.store;
        let mut locked: Option<DateTime<Utc>> = None;
        let mut email_locked = false;
        let mut left = u32::MAX;
        for (i, (key, limit)) in guard_keys(&self.deps.settings.identity, &link.email_key, identity)
            .into_iter()
            .enumerate()
        {
            let mut strikes: Strikes = store.link_guard(&key)?.unwrap_or_default();
            if let Some(until) = strikes.fail(&limit, at) {
                locked = locked.max(Some(until));
                email_locked |= i == 0;
            }
            left = left.min(strikes.left(&limit));
            store.put_link_guard(&key, &strikes)?;
        }
        let Some(until) = locked else {
            *pending = Some(link);
            return Ok(vec![Reply::WrongCode {
                left: u8::try_from(left).unwrap_or(u8::MAX),
            }]);
        };
        *pending = None;
        if email_locked && let Some(target) = link.customer {
            let customer = store.customer(target)?;
            self.notify_owner(
                customer.as_ref(),
                Reply::LinkNoticeLocked {
                    until,
                    customer: target.0,
                },
                at,
            )?;
        }
        Ok(vec![Reply::LinkLocked { until }])
    }

    /// Queues a notice to the account's owner at their email (through the code sink).
    fn notify_owner(
        &self,
        customer: Option<&Customer>,
        notice: Reply,
        at: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Some((customer, email)) =
            customer.and_then(|c| c.email.as_deref().map(|e| (c, e.to_owned())))
        else {
            return Ok(());
        };
        let text = notice.render(customer.language);
        self.deps
            .store
            .enqueue(Channel::Email, &email, &text, "link_notice", at)?;
        Ok(())
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
