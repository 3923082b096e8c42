//! Actions in a customer conversation, decided without I/O: which action to propose for a
//! request (with the order's eligibility from [`crate::actions::policy`]), and what the
//! customer's yes, no or button press means. The shell carries the confirmed action out
//! (`engine/execute.rs`).

use crate::actions::policy::{self, ChangeCheck, ReturnCheck};
use crate::actions::{Action, PendingAction, parse_button};
use crate::nlu::{Entity, Intent};

use super::dialogue::DialogueState;
use super::facts::{OrderLookup, OrderView};
use super::respond::{CustomerTurn, Decision};
use super::text::Reply;

/// Words that make a return or refund message a question about the policy, answered by
/// the help centre rather than by starting anything.
const POLICY_WORDS: &[&str] = &[
    "policy",
    "how long",
    "how many days",
    // A refund already on its way is a question about its status.
    "waiting for",
    "expect a",
    "haven't received",
    "not received",
    "which cases",
    "what cases",
    "which situations",
    "what situations",
    "guarantee",
    "conditions",
    "政策",
    "多久",
    "几天",
    "什么情况",
    "哪些情况",
    "条件",
];

/// Words that say a cancellation is about an order, not the subscription.
const ORDER_WORDS: &[&str] = &["order", "purchase", "订单", "下单"];

/// Words that ask for a cancellation.
const CANCEL_WORDS: &[&str] = &["cancel", "取消"];

/// A pressed action button that no longer matches the pending action: the shell tells
/// whether it was already done. Returns `true` when the turn is answered so.
pub fn stale_press(turn: &CustomerTurn<'_>, decision: &mut Decision) -> bool {
    let Some(press) = turn.button.and_then(parse_button) else {
        return false;
    };
    let pending = match &turn.conversation.state {
        DialogueState::ConfirmAction { pending } => Some(pending.id.as_str()),
        _ => None,
    };
    if pending == Some(press.id) {
        return false;
    }
    decision.replay = Some(press.id.to_owned());
    decision.log_as = Some("action_replay");
    true
}

/// The customer's answer to a proposed action; `false` if the message is something else.
pub fn answer(turn: &CustomerTurn<'_>, pending: &PendingAction, decision: &mut Decision) -> bool {
    let confirm = match turn.button.and_then(parse_button) {
        Some(press) => press.confirm,
        None => match (turn.parse.intent(), leading_answer(&turn.parse.normalized)) {
            (Some(Intent::Affirm), _) => true,
            (Some(Intent::Deny), _) => false,
            // "yes please start it", "好的，请帮我退货": an answer followed by the request.
            (_, Some(answer)) => answer,
            _ => return false,
        },
    };
    if confirm {
        decision.execute = Some(pending.clone());
        decision.log_as = Some("action_confirmed");
    } else {
        decision.replies.push(Reply::ActionDeclined);
        decision.log_as = Some("action_declined");
    }
    true
}

/// Words that open a yes or a no, in English and Chinese.
const YES_FIRST: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "please do",
    "go ahead",
];
const NO_FIRST: &[&str] = &["no", "nope", "don't", "do not", "not now"];
const ZH_YES_FIRST: &[&str] = &[
    "好的", "是的", "可以", "确定", "没错", "确认", "麻烦", "好", "是", "对", "行", "嗯",
];
const ZH_NO_FIRST: &[&str] = &["不用", "不要", "算了", "不", "别"];

/// A yes or a no at the start of a message that goes on ("yes please start it", "好的，
/// 请帮我退货"), read only while a question is pending.
pub(super) fn leading_answer(text: &str) -> Option<bool> {
    let text = text.trim();
    let opens_with = |words: &[&str], cjk: bool| {
        words.iter().any(|word| {
            text.strip_prefix(word).is_some_and(|rest| {
                let next = rest.chars().next();
                match next {
                    None => true,
                    Some(c) if cjk => {
                        matches!(
                            c,
                            '，' | ',' | '。' | '！' | '!' | ' ' | '请' | '帮' | '吧' | '啊' | '了'
                        )
                    }
                    Some(c) => !c.is_alphanumeric(),
                }
            })
        })
    };
    if opens_with(YES_FIRST, false) || opens_with(ZH_YES_FIRST, true) {
        Some(true)
    } else if opens_with(NO_FIRST, false) || opens_with(ZH_NO_FIRST, true) {
        Some(false)
    } else {
        None
    }
}

/// Proposes the action a request asks for, with a yes/no question; `false` when the
/// request is not one an action answers (the caller answers it as before).
pub fn propose(intent: Intent, turn: &CustomerTurn<'_>, decision: &mut Decision) -> bool {
    if turn.facts.customer.is_lead {
        return false;
    }
    let text = turn.parse.normalized.as_str();
    match intent {
        Intent::ReturnItem | Intent::RefundRequest if !has_any(text, POLICY_WORDS) => {
            with_order(turn, decision, propose_return)
        }
        Intent::CancelSubscription | Intent::OrderStatus
            if mentions_order(turn) && has_any(text, CANCEL_WORDS) =>
        {
            // Logged as what it is: an order cancellation, never the subscription's.
            decision.log_as = Some("cancel_order");
            with_order(turn, decision, propose_cancel)
        }
        _ => false,
    }
}

/// Runs `then` on the order the message names, else the latest; says so when there is none.
fn with_order(
    turn: &CustomerTurn<'_>,
    decision: &mut Decision,
    then: fn(&CustomerTurn<'_>, &OrderView, &mut Decision),
) -> bool {
    let order = match &turn.order_lookup {
        Some(OrderLookup::Mine(order)) => Some(order),
        Some(OrderLookup::NotFound(id)) => {
            decision.replies.push(Reply::OrderNotFound {
                order_id: id.clone(),
            });
            return true;
        }
        None => turn.facts.orders.first(),
    };
    match order {
        Some(order) => then(turn, order, decision),
        None => decision.replies.push(Reply::NoOrders),
    }
    true
}

fn propose_return(turn: &CustomerTurn<'_>, order: &OrderView, decision: &mut Decision) {
    let window_days = turn.settings.actions.return_window_days;
    match policy::can_return(order, window_days, turn.now) {
        ReturnCheck::Eligible { deadline } => {
            let pending = pending(
                turn,
                Action::StartReturn {
                    order_id: order.order_id.clone(),
                },
            );
            decision.replies.push(Reply::ReturnOffer {
                order: order.clone(),
                deadline,
                action_id: pending.id.clone(),
            });
            decision.state = DialogueState::ConfirmAction { pending };
        }
        ReturnCheck::NotShipped => propose_cancel(turn, order, decision),
        check => {
            decision.replies.push(Reply::ReturnNotPossible {
                order: order.clone(),
                check,
                window_days,
            });
            if matches!(check, ReturnCheck::WindowClosed { .. }) {
                // A faulty item is refunded even after the window: a person checks it.
                decision.replies.push(Reply::OfferHuman);
                decision.state = DialogueState::OfferedHuman {
                    reason: "return after the return window".into(),
                };
            }
        }
    }
}

fn propose_cancel(turn: &CustomerTurn<'_>, order: &OrderView, decision: &mut Decision) {
    match policy::can_change(order) {
        ChangeCheck::Possible => {
            let pending = pending(
                turn,
                Action::CancelOrder {
                    order_id: order.order_id.clone(),
                },
            );
            decision.replies.push(Reply::CancelOrderOffer {
                order: order.clone(),
                action_id: pending.id.clone(),
            });
            decision.state = DialogueState::ConfirmAction { pending };
        }
        check => decision.replies.push(Reply::CancelNotPossible {
            order: order.clone(),
            check,
        }),
    }
}

fn pending(turn: &CustomerTurn<'_>, action: Action) -> PendingAction {
    PendingAction::new(turn.facts.customer.id, action, turn.now)
}

fn mentions_order(turn: &CustomerTurn<'_>) -> bool {
    turn.parse
        .entities
        .iter()
        .any(|e| matches!(e, Entity::OrderId(_)))
        || has_any(&turn.parse.normalized, ORDER_WORDS)
}

fn has_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

#[cfg(test)]
mod tests {
    use super::leading_answer;

    #[test]
    fn an_answer_that_goes_on_is_still_an_answer() {
        assert_eq!(leading_answer("yes please start it"), Some(true));
        assert_eq!(leading_answer("ok, go on"), Some(true));
        assert_eq!(leading_answer("好的，请帮我退货"), Some(true));
        assert_eq!(leading_answer("好，帮我办吧"), Some(true));
        assert_eq!(leading_answer("no, keep it"), Some(false));
        assert_eq!(leading_answer("不用了，谢谢"), Some(false));
        // Words that merely start like an answer are not one.
        assert_eq!(leading_answer("yesterday my parcel came"), None);
        assert_eq!(leading_answer("nobody answered"), None);
        assert_eq!(leading_answer("好像坏了"), None);
        assert_eq!(leading_answer("不是这个订单"), None);
    }
}
