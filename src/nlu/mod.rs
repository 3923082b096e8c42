//! Understanding messages: language, intent and entities. (Interim keyword version; the
//! trained bilingual pipeline replaces the internals, not this interface.)

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Customer,
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Greeting,
    Goodbye,
    Thanks,
    Help,
    OrderStatus,
    DeliveryProblem,
    ReturnItem,
    RefundRequest,
    CancelSubscription,
    BillingQuestion,
    PaymentFailed,
    ChangePlan,
    Pricing,
    AccountAccess,
    UpdateDetails,
    Complaint,
    ProductQuestion,
    Praise,
    HumanAgent,
    DeleteMyData,
    Affirm,
    Deny,
    AtRisk,
    CustomerLookup,
    SegmentSummary,
    KpiReport,
    OpenTickets,
    ChurnReport,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Greeting => "greeting",
            Intent::Goodbye => "goodbye",
            Intent::Thanks => "thanks",
            Intent::Help => "help",
            Intent::OrderStatus => "order_status",
            Intent::DeliveryProblem => "delivery_problem",
            Intent::ReturnItem => "return_item",
            Intent::RefundRequest => "refund_request",
            Intent::CancelSubscription => "cancel_subscription",
            Intent::BillingQuestion => "billing_question",
            Intent::PaymentFailed => "payment_failed",
            Intent::ChangePlan => "change_plan",
            Intent::Pricing => "pricing",
            Intent::AccountAccess => "account_access",
            Intent::UpdateDetails => "update_details",
            Intent::Complaint => "complaint",
            Intent::ProductQuestion => "product_question",
            Intent::Praise => "praise",
            Intent::HumanAgent => "human_agent",
            Intent::DeleteMyData => "delete_my_data",
            Intent::Affirm => "affirm",
            Intent::Deny => "deny",
            Intent::AtRisk => "at_risk",
            Intent::CustomerLookup => "customer_lookup",
            Intent::SegmentSummary => "segment_summary",
            Intent::KpiReport => "kpi_report",
            Intent::OpenTickets => "open_tickets",
            Intent::ChurnReport => "churn_report",
        }
    }

    pub fn role(self) -> Role {
        match self {
            Intent::AtRisk
            | Intent::CustomerLookup
            | Intent::SegmentSummary
            | Intent::KpiReport
            | Intent::OpenTickets
            | Intent::ChurnReport => Role::Staff,
            _ => Role::Customer,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    OrderId(String),
    Email(String),
    Phone(String),
    Money {
        amount: f64,
        currency: Option<String>,
    },
    RelativeDate {
        days_ago: i64,
    },
    CustomerRef(String),
    Product(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Understanding {
    Confident(Intent),
    Ambiguous(Intent, Intent),
    Unsure,
    OutOfScope,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parse {
    pub language: Language,
    pub normalized: String,
    pub ranked: Vec<(Intent, f32)>,
    pub understanding: Understanding,
    pub entities: Vec<Entity>,
}

impl Parse {
    pub fn intent(&self) -> Option<Intent> {
        match self.understanding {
            Understanding::Confident(i) => Some(i),
            _ => None,
        }
    }

    pub fn confidence(&self) -> f32 {
        self.ranked.first().map(|r| r.1).unwrap_or(0.0)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NluSettings {
    /// Minimum confidence to act on an intent.
    pub confidence_threshold: f32,
    /// Top two closer than this are ambiguous.
    pub ambiguity_margin: f32,
    /// Language when a message has no clue.
    pub default_language: Language,
}

impl Default for NluSettings {
    fn default() -> Self {
        NluSettings {
            confidence_threshold: 0.5,
            ambiguity_margin: 0.1,
            default_language: Language::En,
        }
    }
}

#[derive(Debug, Error)]
pub enum NluError {
    #[error("{0}")]
    Invalid(String),
}

/// Interim keyword rules (replaced by the trained pipeline).
pub struct Nlu {
    settings: NluSettings,
}

static RULES: LazyLock<Vec<(Intent, Regex)>> = LazyLock::new(|| {
    let r = |i, p: &str| (i, Regex::new(p).expect("valid rule"));
    vec![
        r(Intent::AtRisk, r"at risk|风险"),
        r(Intent::CustomerLookup, r"show customer|客户"),
        r(Intent::OrderStatus, r"order|订单"),
        r(Intent::Complaint, r"terrible|awful|nothing works|糟糕"),
        r(Intent::HumanAgent, r"human|person|agent|人工"),
        r(Intent::CancelSubscription, r"cancel"),
        r(Intent::BillingQuestion, r"bill|invoice|charge|plan"),
        r(Intent::Greeting, r"^(hi|hello|hey)\b|你好"),
        r(Intent::Thanks, r"thank|谢谢"),
        r(Intent::Goodbye, r"\bbye\b|再见"),
        r(Intent::Help, r"\bhelp\b|帮助"),
        r(Intent::Affirm, r"^(yes|yeah|sure|ok)\b|是的"),
        r(Intent::Deny, r"^(no|nope)\b|不"),
        r(Intent::AccountAccess, r"account|password|login"),
    ]
});

static ORDER_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#?\b([A-Z]\d{3,})\b|order\s+#?(\d{3,})").expect("valid"));
static CUSTOMER_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"customer\s+#?(\d+)").expect("valid"));

impl Nlu {
    pub fn load(_dir: &Path, settings: NluSettings, _products: &[String]) -> Result<Nlu, NluError> {
        Ok(Nlu { settings })
    }

    pub fn parse(&self, text: &str) -> Parse {
        let language = if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            Language::Zh
        } else {
            self.settings.default_language
        };
        let normalized = text.trim().to_lowercase();
        let ranked: Vec<(Intent, f32)> = RULES
            .iter()
            .filter(|(_, re)| re.is_match(&normalized))
            .map(|(i, _)| (*i, 0.9))
            .take(3)
            .collect();
        let understanding = match ranked.first() {
            Some((i, _)) => Understanding::Confident(*i),
            None => Understanding::Unsure,
        };
        let mut entities = Vec::new();
        for cap in ORDER_ID.captures_iter(text) {
            let id = cap.get(1).or(cap.get(2)).map(|m| m.as_str().to_owned());
            entities.extend(id.map(Entity::OrderId));
        }
        for cap in CUSTOMER_REF.captures_iter(&normalized) {
            entities.push(Entity::CustomerRef(cap[1].to_owned()));
        }
        Parse {
            language,
            normalized,
            ranked,
            understanding,
            entities,
        }
    }

    pub fn reply(&self, _intent: Intent, _lang: Language) -> Option<&str> {
        None
    }
}
