//! Who the customer is: identity, contact details, plan and consent.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::interaction::Language;

/// A customer's id in the store. Stable, assigned by import or by the store for leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub u64);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The subscription plan or tier a customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// No paid plan (one-off buyers, leads).
    None,
    Basic,
    Plus,
    Premium,
}

impl Plan {
    /// Monthly price of the plan in the shop's currency.
    pub fn monthly_price(self) -> f64 {
        match self {
            Plan::None => 0.0,
            Plan::Basic => 9.0,
            Plan::Plus => 19.0,
            Plan::Premium => 39.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::None => "none",
            Plan::Basic => "basic",
            Plan::Plus => "plus",
            Plan::Premium => "premium",
        }
    }
}

/// What the customer agreed to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// May receive marketing offers.
    pub marketing: bool,
    /// May be analysed by the customer models (profiling).
    pub profiling: bool,
}

/// A customer, or a lead (a chat user not yet linked to a known customer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    /// Display name; empty after erasure.
    pub name: String,
    /// Lower-cased email; `None` for leads and after erasure.
    pub email: Option<String>,
    /// Preferred language for replies.
    pub language: Language,
    /// Current plan; kept in step with subscription events.
    pub plan: Plan,
    /// When the customer (or lead) first appeared.
    pub created: DateTime<Utc>,
    pub consent: Consent,
    /// True for chat users who are not (yet) linked to a customer record.
    pub is_lead: bool,
    /// True once personal data has been erased on request.
    #[serde(default)]
    pub erased: bool,
    /// Free-form attributes from the CRM import (country, company, ...).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// What a staff member may do. Ordered: a higher role may do everything a lower one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Agent,
    Manager,
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Agent, StaffRole::Manager, StaffRole::Admin];

    /// The name used in config, on the command line and in replies.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Agent => "agent",
            StaffRole::Manager => "manager",
            StaffRole::Admin => "admin",
        }
    }
}

impl std::fmt::Display for StaffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StaffRole {
    type Err = super::UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        super::parse_name("role", text, &Self::ALL, |r| r.as_str())
    }
}
