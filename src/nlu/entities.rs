//! Entity extraction: the concrete values a reply or an action needs (which order, which
//! customer, how much money, when) pulled out of a normalized message with rules, plus
//! products from the catalogue the engine passes in.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::text::is_han;

/// One value found in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// An order number, upper-cased, without `#` ("A1234", "10023").
    OrderId(String),
    Email(String),
    /// Digits only, with a leading `+` when the message had one.
    Phone(String),
    /// An amount and its ISO currency code when one was written ("USD", "CNY", ...).
    Money {
        amount: f64,
        currency: Option<String>,
    },
    /// A date relative to today: 0 today, 1 yesterday, 7 last week, 30 last month.
    RelativeDate {
        days_ago: i64,
    },
    /// A customer reference for staff commands ("customer 42", "客户 42"): the id as written.
    CustomerRef(String),
    /// A product from the catalogue, as the catalogue spells it.
    Product(String),
}

/// The kinds of entity an intents file may say an intent expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    OrderId,
    Email,
    Phone,
    Money,
    RelativeDate,
    CustomerRef,
    Product,
}

impl EntityKind {
    /// Every kind, in the order used by intents files.
    pub const ALL: &'static [EntityKind] = &[
        EntityKind::OrderId,
        EntityKind::Email,
        EntityKind::Phone,
        EntityKind::Money,
        EntityKind::RelativeDate,
        EntityKind::CustomerRef,
        EntityKind::Product,
    ];

    /// The name used in intents files.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::OrderId => "order_id",
            EntityKind::Email => "email",
            EntityKind::Phone => "phone",
            EntityKind::Money => "money",
            EntityKind::RelativeDate => "relative_date",
            EntityKind::CustomerRef => "customer_ref",
            EntityKind::Product => "product",
        }
    }

    /// Parses an intents-file name.
    pub fn from_name(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl Entity {
    /// The kind of this entity.
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::OrderId(_) => EntityKind::OrderId,
            Entity::Email(_) => EntityKind::Email,
            Entity::Phone(_) => EntityKind::Phone,
            Entity::Money { .. } => EntityKind::Money,
            Entity::RelativeDate { .. } => EntityKind::RelativeDate,
            Entity::CustomerRef(_) => EntityKind::CustomerRef,
            Entity::Product(_) => EntityKind::Product,
        }
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in entity regex {pattern}: {e}"))
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}"));
static ORDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:#\s?([a-z]{0,3}\d{3,12})\b|\b(?:order|ord|package|parcel|shipment)s?\s*(?:number|no\.?|id|#)?\s*:?\s*#?\s*([a-z]{0,3}\d{3,12})\b|(?:订单|单号|订单号|包裹)\s*(?:号|编号)?\s*[:：]?\s*#?\s*([a-z]{0,3}\d{3,12}))",
    )
});
static CUSTOMER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\b(?:customer|client|user|account)\s*(?:number|no\.?|id|#)?\s*:?\s*#?\s*([a-z]{0,3}\d[\w\-]*)|(?:客户|用户|顾客)\s*(?:编号|号|id)?\s*[:：]?\s*#?\s*([a-z0-9][\w\-]*))",
    )
});
static MONEY_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| re(r"([$€£¥￥])\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"));
static MONEY_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(元|块钱|块|人民币|美元|欧元|英镑|usd|eur|gbp|cny|rmb|dollars?|bucks|euros?|pounds?|yuan)",
    )
});
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"(\+?\d[\d\s\-().]{6,18}\d)"));
static DAYS_AGO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\b(\d{1,3}|a|one|two|three|four|five|six|seven|ten)\s+(day|week|month)s?\s+ago\b|(\d{1,3}|[一二两三四五六七八九十])\s*(天|周|个星期|星期|个月)前)",
    )
});

fn small_number(s: &str) -> Option<i64> {
    Some(match s {
        "a" | "one" | "一" => 1,
        "two" | "二" | "两" => 2,
        "three" | "三" => 3,
        "four" | "四" => 4,
        "five" | "五" => 5,
        "six" | "六" => 6,
        "seven" | "七" => 7,
        "八" => 8,
        "九" => 9,
        "ten" | "十" => 10,
        _ => s.parse().ok()?,
    })
}

/// Fixed relative-date phrases, longest first so "day before yesterday" wins over
/// "yesterday".
const DATE_PHRASES: &[(&str, i64)] = &[
    ("the day before yesterday", 2),
    ("day before yesterday", 2),
    ("yesterday", 1),
    ("today", 0),
    ("this morning", 0),
    ("tonight", 0),
    ("last week", 7),
    ("a week ago", 7),
    ("last month", 30),
    ("a month ago", 30),
    ("大前天", 3),
    ("前天", 2),
    ("昨天", 1),
    ("昨日", 1),
    ("今天", 0),
    ("今日", 0),
    ("上周", 7),
    ("上个星期", 7),
    ("上星期", 7),
    ("上个月", 30),
    ("上月", 30),
];

struct Found {
    start: usize,
    end: usize,
    entity: Entity,
}

fn overlaps(found: &[Found], start: usize, end: usize) -> bool {
    found.iter().any(|f| start < f.end && f.start < end)
}

fn currency_code(s: &str) -> Option<String> {
    let code = match s {
        "$" | "usd" | "dollar" | "dollars" | "bucks" | "美元" => "USD",
        "€" | "eur" | "euro" | "euros" | "欧元" => "EUR",
        "£" | "gbp" | "pound" | "pounds" | "英镑" => "GBP",
        "¥" | "￥" | "元" | "块" | "块钱" | "人民币" | "cny" | "rmb" | "yuan" => "CNY",
        _ => return None,
    };
    Some(code.to_string())
}

/// True when the match at `start..end` is a whole word in Latin text (Chinese text has no
/// word boundaries, so any position is fine there).
fn word_bounded(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let ok = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() || is_han(c));
    ok(before) && ok(after)
}

/// Extracts entities from normalized text, in order of appearance. `products` are
/// (normalized name, catalogue name) pairs.
pub fn extract(text: &str, products: &[(String, String)]) -> Vec<Entity> {
    let mut found: Vec<Found> = Vec::new();
    for m in EMAIL.find_iter(text) {
        found.push(Found {
            start: m.start(),
            end: m.end(),
            entity: Entity::Email(m.as_str().to_string()),
        });
    }
    for c in CUSTOMER.captures_iter(text) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        if let Some(id) = c.get(1).or_else(|| c.get(2))
            && !overlaps(&found, whole.start, whole.end)
        {
            found.push(Found {
                start: whole.start,
                end: whole.end,
                entity: Entity::CustomerRef(id.as_str().to_string()),
            });
        }
    }
    for c in ORDER.captures_iter(text) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        if let Some(id) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3))
            && !overlaps(&found, whole.start, whole.end)
        {
            found.push(Found {
                start: whole.start,
                end: whole.end,
                entity: Entity::OrderId(id.as_str().to_uppercase()),
            });
        }
    }
    for c in MONEY_PREFIX.captures_iter(text) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        let amount = c[2].replace(',', "").parse::<f64>().ok();
        if let Some(amount) = amount
            && !overlaps(&found, whole.start, whole.end)
        {
            found.push(Found {
                start: whole.start,
                end: whole.end,
                entity: Entity::Money {
                    amount,
                    currency: currency_code(&c[1]),
                },
            });
        }
    }
    for c in MONEY_SUFFIX.captures_iter(text) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        let amount = c[1].replace(',', "").parse::<f64>().ok();
        if let Some(amount) = amount
            && !overlaps(&found, whole.start, whole.end)
            && word_bounded(text, whole.start, whole.end)
        {
            found.push(Found {
                start: whole.start,
                end: whole.end,
                entity: Entity::Money {
                    amount,
                    currency: currency_code(&c[2]),
                },
            });
        }
    }
    for m in PHONE.find_iter(text) {
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        if (8..=15).contains(&digits.len())
            && !ISO_DATE.is_match(m.as_str().trim())
            && !overlaps(&found, m.start(), m.end())
        {
            let phone = if m.as_str().starts_with('+') {
                format!("+{digits}")
            } else {
                digits
            };
            found.push(Found {
                start: m.start(),
                end: m.end(),
                entity: Entity::Phone(phone),
            });
        }
    }
    for c in DAYS_AGO.captures_iter(text) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        let (n, unit) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(n), Some(u), _, _) | (_, _, Some(n), Some(u)) => (n.as_str(), u.as_str()),
            _ => continue,
        };
        let Some(n) = small_number(n) else { continue };
        let per = match unit {
            "week" | "周" | "个星期" | "星期" => 7,
            "month" | "个月" => 30,
            _ => 1,
        };
        if !overlaps(&found, whole.start, whole.end) {
            found.push(Found {
                start: whole.start,
                end: whole.end,
                entity: Entity::RelativeDate { days_ago: n * per },
            });
        }
    }
    for &(phrase, days) in DATE_PHRASES {
        let mut from = 0;
        while let Some(pos) = text[from..].find(phrase) {
            let (s, e) = (from + pos, from + pos + phrase.len());
            if word_bounded(text, s, e) && !overlaps(&found, s, e) {
                found.push(Found {
                    start: s,
                    end: e,
                    entity: Entity::RelativeDate { days_ago: days },
                });
            }
            from = e;
        }
    }
    for (norm, name) in products {
        if norm.is_empty() {
            continue;
        }
        if let Some(pos) = text.find(norm.as_str()) {
            let (s, e) = (pos, pos + norm.len());
            if word_bounded(text, s, e) && !overlaps(&found, s, e) {
                found.push(Found {
                    start: s,
                    end: e,
                    entity: Entity::Product(name.clone()),
                });
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found.into_iter().map(|f| f.entity).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlu::text::normalize;

    fn ex(s: &str) -> Vec<Entity> {
        extract(&normalize(s), &[("pro plan".into(), "Pro Plan".into())])
    }

    #[test]
    fn order_ids_in_both_languages() {
        assert_eq!(
            ex("where is #A1234?"),
            vec![Entity::OrderId("A1234".into())]
        );
        assert_eq!(
            ex("order 10023 never came"),
            vec![Entity::OrderId("10023".into())]
        );
        assert_eq!(
            ex("我的订单１２３４５呢"),
            vec![Entity::OrderId("12345".into())]
        );
    }

    #[test]
    fn email_phone_money_and_dates() {
        let e =
            ex("Mail me at Jo.Doe@example.com or call +1 415-555-0100, I paid $12.50 yesterday");
        assert!(
            e.contains(&Entity::Email("jo.doe@example.com".into())),
            "{e:?}"
        );
        assert!(e.contains(&Entity::Phone("+14155550100".into())), "{e:?}");
        assert!(
            e.contains(&Entity::Money {
                amount: 12.5,
                currency: Some("USD".into())
            }),
            "{e:?}"
        );
        assert!(e.contains(&Entity::RelativeDate { days_ago: 1 }), "{e:?}");
        let z = ex("上周付了 12 元，电话13812345678");
        assert!(
            z.contains(&Entity::Money {
                amount: 12.0,
                currency: Some("CNY".into())
            }),
            "{z:?}"
        );
        assert!(z.contains(&Entity::RelativeDate { days_ago: 7 }), "{z:?}");
        assert!(z.contains(&Entity::Phone("13812345678".into())), "{z:?}");
        assert_eq!(ex("3 days ago"), vec![Entity::RelativeDate { days_ago: 3 }]);
        assert!(
            ex("delivered on 2024-01-15").is_empty(),
            "a date is not a phone"
        );
        assert_eq!(
            ex("the day before yesterday"),
            vec![Entity::RelativeDate { days_ago: 2 }]
        );
    }

    #[test]
    fn customers_and_products() {
        assert_eq!(
            ex("show customer 42"),
            vec![Entity::CustomerRef("42".into())]
        );
        assert_eq!(ex("查看客户 42"), vec![Entity::CustomerRef("42".into())]);
        assert!(ex("customer service is slow").is_empty());
        assert_eq!(
            ex("is the PRO plan worth it"),
            vec![Entity::Product("Pro Plan".into())]
        );
        assert!(ex("the proplanet").is_empty());
    }
}
