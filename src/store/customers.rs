//! Customers, their email index and their chat identities per channel.

use chrono::{DateTime, Utc};

use super::{META_NEXT_CUSTOMER, Result, Store, decode, encode, keys};
use crate::domain::{Channel, Consent, Customer, CustomerId, Language, Plan};

/// A user on a chat platform: the channel and the platform's user id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentityKey {
    pub channel: Channel,
    pub user_id: String,
}

impl IdentityKey {
    fn bytes(&self) -> Vec<u8> {
        format!("{}:{}", self.channel.as_str(), self.user_id).into_bytes()
    }
}

impl Store {
    /// Inserts or replaces a customer and keeps the email index in step.
    pub fn put_customer(&self, customer: &Customer) -> Result<()> {
        let key = keys::customer_bytes(customer.id);
        if let Some(old) = self.inner.customers.insert(key, encode(customer))? {
            let old: Customer = decode("customer", &old)?;
            if let Some(email) = old.email.filter(|e| Some(e) != customer.email.as_ref()) {
                self.inner
                    .emails
                    .remove(crate::domain::normalize_email(&email).as_bytes())?;
            }
        }
        if let Some(email) = &customer.email {
            self.inner
                .emails
                .insert(crate::domain::normalize_email(email).as_bytes(), &key)?;
        }
        self.bump_counter(META_NEXT_CUSTOMER, customer.id.0)?;
        Ok(())
    }

    pub fn customer(&self, id: CustomerId) -> Result<Option<Customer>> {
        self.inner
            .customers
            .get(keys::customer_bytes(id))?
            .map(|v| decode("customer", &v))
            .transpose()
    }

    pub fn customer_by_email(&self, email: &str) -> Result<Option<Customer>> {
        match self
            .inner
            .emails
            .get(crate::domain::normalize_email(email).as_bytes())?
        {
            Some(id) => self.customer(keys::customer_from_bytes(&id)),
            None => Ok(None),
        }
    }

    /// Customers whose name contains `needle` (case-insensitive), at most `limit`.
    pub fn customers_by_name(&self, needle: &str, limit: usize) -> Result<Vec<Customer>> {
        let needle = needle.to_lowercase();
        let mut found = Vec::new();
        for customer in self.customers() {
            let customer = customer?;
            if customer.name.to_lowercase().contains(&needle) {
                found.push(customer);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    pub fn customer_count(&self) -> usize {
        self.inner.customers.len()
    }

    /// All customers in id order.
    pub fn customers(&self) -> impl Iterator<Item = Result<Customer>> + '_ {
        self.inner
            .customers
            .iter()
            .map(|item| decode("customer", &item?.1))
    }

    /// Creates a lead for a chat user seen for the first time, and links the identity.
    pub fn create_lead(
        &self,
        identity: &IdentityKey,
        name: &str,
        language: Language,
        at: DateTime<Utc>,
    ) -> Result<Customer> {
        let id = CustomerId(self.next_counter(META_NEXT_CUSTOMER, 1)?);
        let lead = Customer {
            id,
            name: name.to_owned(),
            email: None,
            language,
            plan: Plan::None,
            created: at,
            consent: Consent::default(),
            is_lead: true,
            erased: false,
            attributes: Default::default(),
        };
        self.put_customer(&lead)?;
        self.link_identity(identity, id)?;
        Ok(lead)
    }

    /// Links a chat identity to a customer (replacing an earlier link).
    pub fn link_identity(&self, identity: &IdentityKey, customer: CustomerId) -> Result<()> {
        self.inner
            .identities
            .insert(identity.bytes(), &keys::customer_bytes(customer))?;
        Ok(())
    }

    pub fn customer_for_identity(&self, identity: &IdentityKey) -> Result<Option<CustomerId>> {
        Ok(self
            .inner
            .identities
            .get(identity.bytes())?
            .map(|v| keys::customer_from_bytes(&v)))
    }
}
