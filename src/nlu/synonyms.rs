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
        "purchase" | "purchases" => "order",
        "profile" | "profiles" => "account",
        "articles" => "items",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_words_fold_to_refund_and_others_stay() {
        assert_eq!(canonical("reimbursement"), Some("refund"));
        assert_eq!(canonical("rebate"), Some("refund"));
        assert_eq!(canonical("purchase"), Some("order"));
        assert_eq!(canonical("refund"), None);
        assert_eq!(canonical("coffee"), None);
    }
}
