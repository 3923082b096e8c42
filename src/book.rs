//! The book of business: which account manager owns which customer. An owner comes from
//! the customer's `owner` attribute (an import column, or `/assign`), else from the first
//! matching rule of `[book] rules` in the config (segment, lifetime value, region). Pure
//! functions over customers and scores; the engine and the CLI store the results.

use serde::Deserialize;

use crate::domain::Customer;
use crate::models::pipeline::CustomerScore;

/// The customer attribute that names the owner.
pub const OWNER_ATTRIBUTE: &str = "owner";

/// One assignment rule: every condition given must hold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerRule {
    /// The staff member who gets the matching customers.
    pub owner: String,
    /// Segment name (or a prefix of it), e.g. "champions".
    #[serde(default)]
    pub segment: Option<String>,
    /// Lifetime value at least this many dollars.
    #[serde(default)]
    pub min_clv: Option<f64>,
    /// The customer's `region` (or `country`) attribute, compared without case.
    #[serde(default)]
    pub region: Option<String>,
}

/// Book-of-business settings (`[book]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookSettings {
    /// Rules tried in order for customers without an `owner` attribute.
    pub rules: Vec<OwnerRule>,
}

impl OwnerRule {
    fn matches(&self, c: &Customer, score: Option<&CustomerScore>) -> bool {
        let segment_ok = self.segment.as_deref().is_none_or(|want| {
            score
                .and_then(|s| s.segment.as_deref())
                .is_some_and(|have| have.to_lowercase().starts_with(&want.to_lowercase()))
        });
        let clv_ok = self
            .min_clv
            .is_none_or(|min| score.and_then(|s| s.clv).is_some_and(|v| v >= min));
        let region_ok = self.region.as_deref().is_none_or(|want| {
            ["region", "country"].iter().any(|k| {
                c.attributes
                    .get(*k)
                    .is_some_and(|v| v.eq_ignore_ascii_case(want))
            })
        });
        segment_ok && clv_ok && region_ok
    }
}

/// The owner named on the customer record, if any.
pub fn owner_of(c: &Customer) -> Option<String> {
    c.attributes
        .get(OWNER_ATTRIBUTE)
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
}

/// The owner of a customer: the record's, else the first matching rule's.
pub fn owner(c: &Customer, score: Option<&CustomerScore>, book: &BookSettings) -> Option<String> {
    owner_of(c).or_else(|| {
        book.rules
            .iter()
            .find(|r| r.matches(c, score))
            .map(|r| r.owner.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CustomerId;
    use crate::models::lifecycle::Stage;

    fn score(segment: &str, clv: f64) -> CustomerScore {
        CustomerScore {
            customer: CustomerId(1),
            stage: Stage::Active,
            stage_reason: String::new(),
            segment: Some(segment.into()),
            churn_probability: Some(0.1),
            churn_alert: false,
            reasons: vec![],
            clv: Some(clv),
            p_alive: None,
            expected_loss: 0.0,
            suggested_action: String::new(),
        }
    }

    #[test]
    fn the_record_wins_then_the_first_matching_rule() {
        let book: BookSettings = toml::from_str(
            r#"
            [[rules]]
            owner = "alice"
            min_clv = 500.0
            [[rules]]
            owner = "bob"
            segment = "champ"
            [[rules]]
            owner = "chen"
            region = "CN"
            "#,
        )
        .unwrap();
        let mut c = crate::models::features::tests::customer(1, chrono::Utc::now());
        assert_eq!(
            owner(&c, Some(&score("champions", 900.0)), &book).as_deref(),
            Some("alice")
        );
        assert_eq!(
            owner(&c, Some(&score("champions", 90.0)), &book).as_deref(),
            Some("bob")
        );
        assert_eq!(owner(&c, Some(&score("lost", 90.0)), &book), None);
        c.attributes.insert("country".into(), "cn".into());
        assert_eq!(
            owner(&c, Some(&score("lost", 90.0)), &book).as_deref(),
            Some("chen")
        );
        c.attributes.insert(OWNER_ATTRIBUTE.into(), "dora".into());
        assert_eq!(
            owner(&c, Some(&score("champions", 900.0)), &book).as_deref(),
            Some("dora")
        );
    }
}
