//! English words customers use for the same thing ("reimbursement", "rebate", "restitution"
//! for a refund; "purchase" for an order; "profile" for an account), folded to one word
//! before features and search terms are made, so an article or intent written with one of
//! them also matches the others. Applied the same way to training examples and messages.

/// The word this shop's intents and articles use for `word`, when it has one.
pub fn canonical(word: &str) -> Option<&'static str> {
    Some(match word {
        "reimbursement" | "reimbursements" | "reimburse" | "reimbursing" | "reimbursed"
        | "compensation" | "compensations" | "compensate" | "rebate" | "rebates" | "rebating"
        | "restitution" | "restitutions" => "refund",
        "purchases" => "order",
        "acquire" | "acquiring" => "buy",
        "profile" | "profiles" => "account",
        "articles" => "items",
        _ => return None,
    })
}

/// "Purchase" is an order when it names one ("purchase 00123842", "my purchase") and
/// buying otherwise ("where can I purchase a grinder").
const ORDER_DETERMINERS: &[&str] = &["my", "the", "this", "that", "last", "latest", "recent"];

/// [`canonical`] over a sentence's words, with the context "purchase" needs.
pub fn fold(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let folded = if w == "purchase" {
            let names_one = words
                .get(i + 1)
                .is_some_and(|n| n.chars().any(|c| c.is_ascii_digit()) || n == "number")
                || i.checked_sub(1)
                    .is_some_and(|p| ORDER_DETERMINERS.contains(&words[p].as_str()));
            if names_one { "order" } else { "buy" }
        } else {
            canonical(w).unwrap_or(w)
        };
        out.push(folded.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_words_fold_to_refund_and_others_stay() {
        assert_eq!(canonical("reimbursement"), Some("refund"));
        assert_eq!(canonical("rebate"), Some("refund"));
        assert_eq!(canonical("purchases"), Some("order"));
        assert_eq!(canonical("refund"), None);
        assert_eq!(canonical("coffee"), None);
    }

    #[test]
    fn purchase_is_an_order_when_it_names_one_and_buying_otherwise() {
        let words = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            fold(words("cancel purchase 00123842")),
            words("cancel order 00123842")
        );
        assert_eq!(fold(words("edit my purchase")), words("edit my order"));
        assert_eq!(
            fold(words("where can i purchase a grinder")),
            words("where can i buy a grinder")
        );
        assert_eq!(fold(words("a rebate please")), words("a refund please"));
    }
}
