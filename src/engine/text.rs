//! Every text the engine says, in one place, per language. Tests render the same
//! [`Reply`] values instead of copying literals.

use chrono::{DateTime, Utc};

use super::facts::{OrderView, SubscriptionView};
use super::help::{BUTTON_PREFIX, HELPED_PREFIX, HelpFact};
use super::message::Button;
use crate::actions::policy::{ChangeCheck, ReturnCheck};
use crate::domain::{ActionKind, Customer, Language, TicketId};
use crate::nlu::Intent;

/// A reply, before it is put into words.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Greeting {
        name: String,
    },
    Goodbye,
    Thanks,
    Help {
        staff: bool,
    },
    LatestOrder(OrderView),
    OrderStatus(OrderView),
    NoOrders,
    OrderNotFound {
        order_id: String,
    },
    Billing(Option<SubscriptionView>),
    Profile(Customer),
    AskCancelConfirm,
    Cancelled,
    NothingToCancel,
    KeepsSubscription,
    Sorry,
    OfferHuman,
    /// "Did this help?" after a help-centre answer (Yes/No buttons).
    AskHelpful,
    /// The customer said the answer helped.
    GladItHelped,
    /// The customer said it did not: a person is offered.
    NotHelpedOfferHuman,
    HumanDeclined,
    TicketOpened {
        ticket: TicketId,
        sla_hours: u32,
    },
    WithHuman {
        ticket: TicketId,
    },
    /// A hand-off text (waiting, reopened, relayed).
    Handoff(HandoffText),
    Clarify {
        first: Intent,
        second: Intent,
    },
    NotUnderstood,
    OutOfScope,
    /// A help-centre article, with the customer's own facts when it is about their data.
    Article {
        title: String,
        body: String,
        fact: Option<HelpFact>,
    },
    /// Two articles that may answer the question, as buttons: (id, title) each.
    ChooseArticle {
        first: (String, String),
        second: (String, String),
    },
    /// No article fits: said honestly, with a person offered.
    NoArticle,
    /// A fixed reply template of an intent from the intents files.
    Template(String),
    /// An offer from the catalogue, in the customer's language, answered with yes or no.
    Offer(String),
    NotYours,
    LeadNoAccount,
    TooLong {
        chars: usize,
        max: usize,
    },
    Empty,
    InvalidText,
    Unsupported {
        what: String,
    },
    StaffOnly,
    UnknownCustomer {
        id: String,
    },
    ModelsNotReady,
    Error,
    OfferAccepted {
        code: String,
        valid_days: u32,
    },
    OfferDeclined,
    AskCsat {
        ticket: Option<TicketId>,
    },
    AskNps,
    AskComment,
    ThanksForFeedback,
    LinkCodeSent {
        minutes: u32,
    },
    Linked {
        name: String,
    },
    WrongCode {
        left: u8,
    },
    LinkExpired,
    /// The order can be returned: shall the bot start the return?
    ReturnOffer {
        order: OrderView,
        deadline: DateTime<Utc>,
        action_id: String,
    },
    /// The order has not shipped: shall the bot cancel it?
    CancelOrderOffer {
        order: OrderView,
        action_id: String,
    },
    ReturnNotPossible {
        order: OrderView,
        check: ReturnCheck,
        window_days: u32,
    },
    CancelNotPossible {
        order: OrderView,
        check: ChangeCheck,
    },
    ActionDone {
        action: ActionKind,
        order_id: Option<String>,
        reference: Option<String>,
    },
    ActionAlreadyDone {
        action: ActionKind,
        order_id: Option<String>,
        reference: Option<String>,
    },
    /// The backend failed or timed out: nothing was changed, a ticket follows.
    ActionFailed {
        action: ActionKind,
    },
    ActionDeclined,
    /// An action button of a proposal that is no longer open.
    ActionNotPending,
    /// Too many wrong codes: linking is paused until then.
    LinkLocked {
        until: DateTime<Utc>,
    },
    /// To the account's owner: a chat on `channel` was linked to their account.
    LinkNoticeLinked {
        channel: String,
        customer: u64,
    },
    /// To the account's owner: repeated wrong codes; linking paused until then.
    LinkNoticeLocked {
        until: DateTime<Utc>,
        customer: u64,
    },
}

fn clock_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn money(amount: f64) -> String {
    format!("${amount:.2}")
}

fn intent_words(intent: Intent, lang: Language) -> &'static str {
    match (lang, intent) {
        (Language::Zh, Intent::OrderStatus) => "查询订单",
        (Language::Zh, Intent::DeliveryProblem) => "配送问题",
        (Language::Zh, Intent::RefundRequest) => "退款",
        (Language::Zh, Intent::ReturnItem) => "退货",
        (Language::Zh, Intent::CancelSubscription) => "取消订阅",
        (Language::Zh, Intent::BillingQuestion) => "账单问题",
        (Language::Zh, _) => "其他问题",
        (_, Intent::OrderStatus) => "the status of an order",
        (_, Intent::DeliveryProblem) => "a delivery problem",
        (_, Intent::ReturnItem) => "returning an item",
        (_, Intent::RefundRequest) => "a refund",
        (_, Intent::CancelSubscription) => "cancelling your subscription",
        (_, Intent::BillingQuestion) => "billing",
        (_, Intent::PaymentFailed) => "a failed payment",
        (_, Intent::ChangePlan) => "changing your plan",
        (_, Intent::Pricing) => "prices",
        (_, Intent::AccountAccess) => "getting into your account",
        (_, Intent::UpdateDetails) => "updating your details",
        (_, Intent::Complaint) => "a complaint",
        (_, Intent::ProductQuestion) => "a product",
        (_, Intent::HumanAgent) => "talking to a person",
        (_, Intent::DeleteMyData) => "deleting your data",
        (_, other) => other.as_str(),
    }
}

impl Reply {
    /// Buttons that answer the reply's question (inline keyboards, Discord components); the
    /// pressed button's data comes back as the customer's message.
    pub fn buttons(&self, lang: Language) -> Vec<Button> {
        let yes_no = || {
            let (yes, no) = match lang {
                Language::Zh => ("是", "否"),
                Language::En => ("Yes", "No"),
            };
            vec![
                Button {
                    label: yes.into(),
                    data: "yes".into(),
                },
                Button {
                    label: no.into(),
                    data: "no".into(),
                },
            ]
        };
        let scale = |range: std::ops::RangeInclusive<u8>| {
            range
                .map(|n| Button {
                    label: n.to_string(),
                    data: n.to_string(),
                })
                .collect()
        };
        match self {
            Reply::Offer(_)
            | Reply::AskCancelConfirm
            | Reply::OfferHuman
            | Reply::NoArticle
            | Reply::NotHelpedOfferHuman => yes_no(),
            Reply::AskHelpful => {
                let mut buttons = yes_no();
                for b in &mut buttons {
                    b.data = format!("{HELPED_PREFIX}{}", b.data);
                }
                buttons
            }
            Reply::ChooseArticle { first, second } => [first, second]
                .into_iter()
                .map(|(id, title)| Button {
                    label: title.clone(),
                    data: format!("{BUTTON_PREFIX}{id}"),
                })
                .collect(),
            Reply::ReturnOffer { action_id, .. } | Reply::CancelOrderOffer { action_id, .. } => {
                action_buttons(action_id, lang)
            }
            Reply::AskCsat { .. } => scale(1..=5),
            Reply::AskNps => scale(0..=10),
            _ => Vec::new(),
        }
    }

    /// The reply in words.
    pub fn render(&self, lang: Language) -> String {
        match lang {
            Language::Zh => self.render_zh(),
            Language::En => self.render_en(),
        }
    }

    fn render_en(&self) -> String {
        if let Some(text) = render_action_en(self) {
            return text;
        }
        match self {
            Reply::Article { title, body, fact } => article_text(title, body, fact, Language::En),
            Reply::ChooseArticle { first, second } => format!(
                "I'm not sure which you mean: \"{}\" or \"{}\"? Pick one below.",
                first.1, second.1
            ),
            Reply::AskHelpful => "Did this help?".into(),
            Reply::GladItHelped => "Glad it helped! Anything else I can do for you?".into(),
            Reply::NotHelpedOfferHuman => "Sorry that didn't answer it. \
                 Would you like me to bring in a person from our team? Answer yes or no."
                .into(),
            Reply::NoArticle => "I'm sorry, I don't have an answer to that in our help centre. \
                 Would you like me to pass your question to a person?"
                .into(),
            Reply::Greeting { name } if name.is_empty() => {
                "Hello! How can I help you today?".into()
            }
            Reply::Greeting { name } => format!("Hello {name}! How can I help you today?"),
            Reply::Goodbye => "Goodbye, and thank you for talking to us!".into(),
            Reply::Thanks => "You're welcome! Anything else I can do for you?".into(),
            Reply::Help { staff: false } => "I can tell you where your order is, explain your plan and billing, help with returns and refunds, cancel a subscription, or bring in a person. Just ask in your own words.".into(),
            Reply::Help { staff: true } => "Staff commands: /customer ID|EMAIL|NAME (customer card), /tickets (open escalations), /atrisk (customers at risk), /help. You can also ask in words, e.g. \"show customer 42\".".into(),
            Reply::LatestOrder(o) => format!(
                "Your latest order {} from {} ({}, {}) is {} since {}.",
                o.order_id,
                date(o.placed),
                o.items.join(", "),
                money(o.amount),
                o.status.as_str(),
                date(o.status_since)
            ),
            Reply::OrderStatus(o) => format!(
                "Order {} from {} ({}) is {} since {}.",
                o.order_id,
                date(o.placed),
                money(o.amount),
                o.status.as_str(),
                date(o.status_since)
            ),
            Reply::NoOrders => "I can't find any orders on your account yet.".into(),
            Reply::OrderNotFound { order_id } => format!(
                "I can't find an order {order_id} on your account. Please check the number; your own orders are the ones I can show."
            ),
            Reply::Billing(None) => "You have no subscription with us, so there is nothing to bill.".into(),
            Reply::Billing(Some(s)) if !s.active => format!(
                "Your {} subscription is cancelled; nothing more will be charged.",
                s.plan.as_str()
            ),
            Reply::Billing(Some(s)) => {
                let mut text = format!(
                    "You are on the {} plan ({} a month) since {}.",
                    s.plan.as_str(),
                    money(s.plan.monthly_price()),
                    date(s.since)
                );
                if let Some((at, amount)) = s.last_payment {
                    text.push_str(&format!(" Last payment: {} on {}.", money(amount), date(at)));
                }
                if let Some(next) = s.next_renewal {
                    text.push_str(&format!(" Next renewal: {}.", date(next)));
                }
                if s.failed_payments_30d > 0 {
                    text.push_str(&format!(
                        " {} payment(s) failed in the last 30 days: please check your card.",
                        s.failed_payments_30d
                    ));
                }
                text
            }
            Reply::Profile(c) => format!(
                "Your account: {}, {}, plan {}, customer since {}.",
                c.name,
                c.email.as_deref().unwrap_or("no email on file"),
                c.plan.as_str(),
                date(c.created)
            ),
            Reply::AskCancelConfirm => "Do you really want to cancel your subscription? Answer yes or no.".into(),
            Reply::Cancelled => "Your subscription is cancelled. You keep access until the end of the paid period. We're sorry to see you go.".into(),
            Reply::NothingToCancel => "You have no active subscription to cancel.".into(),
            Reply::KeepsSubscription => "Good, your subscription stays as it is.".into(),
            Reply::Sorry => "I'm sorry this is causing you trouble.".into(),
            Reply::OfferHuman => "Would you like me to bring in a person from our team? Answer yes or no.".into(),
            Reply::HumanDeclined => "All right. Tell me what you need and I'll do my best.".into(),
            Reply::TicketOpened { ticket, sla_hours } => format!(
                "I've passed your conversation to our team (ticket #{ticket}). A person will answer you here, usually within {sla_hours} hour{}.",
                if *sla_hours == 1 { "" } else { "s" }
            ),
            Reply::WithHuman { ticket } => format!(
                "Thanks, I've added this to ticket #{ticket}. A person from our team will answer you here."
            ),
            Reply::Handoff(h) => h.render(Language::En),
            Reply::Clarify { first, second } => format!(
                "Do you mean {} or {}?",
                intent_words(*first, Language::En),
                intent_words(*second, Language::En)
            ),
            Reply::NotUnderstood => "Sorry, I didn't understand that. Could you say it another way?".into(),
            Reply::OutOfScope => "I'm afraid that's not something I can help with: I can answer questions about your orders, account, billing and subscription.".into(),
            Reply::Template(t) | Reply::Offer(t) => t.clone(),
            Reply::NotYours => "I can only show information about your own account.".into(),
            Reply::LeadNoAccount => "I don't know your customer account yet, so I can't look that up. If you have one, tell me the email address you registered with and I'll send you a code to link this chat.".into(),
            Reply::TooLong { chars, max } => format!(
                "Your message is too long ({chars} characters; the limit is {max}). Please send a shorter one."
            ),
            Reply::Empty => "Please type a message.".into(),
            Reply::InvalidText => "I couldn't read that message: it was not valid text. Please type it again.".into(),
            Reply::Unsupported { what } => format!(
                "I can only read text messages, not a {what}. Please type your question."
            ),
            Reply::StaffOnly => "Sorry, that is only available to staff.".into(),
            Reply::UnknownCustomer { id } => format!("There is no customer {id}."),
            Reply::ModelsNotReady => "Risk scores are not available yet: the customer models have not been trained (crmbot train).".into(),
            Reply::Error => "Something went wrong on our side; a person has been told. Please try again in a moment.".into(),
            Reply::OfferAccepted { code, valid_days } => format!(
                "Done! Your code is {code}, valid for {valid_days} days."
            ),
            Reply::OfferDeclined => "No problem.".into(),
            Reply::AskCsat { ticket: Some(ticket) } => format!(
                "Your ticket #{ticket} is resolved. How satisfied are you with the help you got, from 1 (very unhappy) to 5 (very happy)?"
            ),
            Reply::AskCsat { ticket: None } => "Before you go: how satisfied are you with this conversation, from 1 (very unhappy) to 5 (very happy)?".into(),
            Reply::AskNps => "One quick question: how likely are you to recommend us to a friend, from 0 (not at all) to 10 (very likely)?".into(),
            Reply::AskComment => "Thank you! Is there anything you'd like to tell us about it?".into(),
            Reply::ThanksForFeedback => "Thank you for your feedback, it helps us get better.".into(),
            Reply::LinkCodeSent { minutes } => format!(
                "If that email belongs to an account, a six-digit code is on its way to it. Type the code here within {minutes} minutes to link this chat."
            ),
            Reply::Linked { name } => format!(
                "Done, this chat is linked to your account{}. How can I help?",
                if name.is_empty() { String::new() } else { format!(", {name}") }
            ),
            Reply::WrongCode { left } => format!(
                "That code is not right. You have {left} more tr{} before linking is paused for a while.",
                if *left == 1 { "y" } else { "ies" }
            ),
            Reply::LinkExpired => "That code has expired. Tell me your email again for a new one.".into(),
            Reply::LinkLocked { until } => format!(
                "There have been too many wrong codes, so linking is paused to protect the account. Please try again after {}.",
                clock_time(until)
            ),
            Reply::LinkNoticeLinked { channel, customer } => format!(
                "A {channel} chat was just linked to your account (customer {customer}). If this was not you, reply to this email or contact us so we can unlink it."
            ),
            Reply::LinkNoticeLocked { until, customer } => format!(
                "Someone typed several wrong codes while trying to link a chat to your account (customer {customer}). Linking is paused until {}. If this was not you, no action is needed; your account was not linked.",
                clock_time(until)
            ),
            _ => String::new(),
        }
    }

    fn render_zh(&self) -> String {
        if let Some(text) = render_action_zh(self) {
            return text;
        }
        match self {
            Reply::Article { title, body, fact } => article_text(title, body, fact, Language::Zh),
            Reply::ChooseArticle { first, second } => format!(
                "我不确定您问的是“{}”还是“{}”，请在下面选一个。",
                first.1, second.1
            ),
            Reply::AskHelpful => "这个回答对您有帮助吗？".into(),
            Reply::GladItHelped => "很高兴能帮到您！还有其他需要吗？".into(),
            Reply::NotHelpedOfferHuman => {
                "抱歉没能解答您的问题。需要为您转接人工客服吗？请回答“是”或“否”。".into()
            }
            Reply::NoArticle => {
                "抱歉，帮助中心里没有这个问题的答案。要我把您的问题转给人工客服吗？".into()
            }
            Reply::Greeting { name } if name.is_empty() => "您好！有什么可以帮您？".into(),
            Reply::Greeting { name } => format!("{name}，您好！有什么可以帮您？"),
            Reply::Goodbye => "再见，感谢您的咨询！".into(),
            Reply::Thanks => "不客气！还有什么可以帮您？".into(),
            Reply::Help { .. } => {
                "我可以帮您查询订单、解释套餐和账单、处理退货退款、取消订阅，或为您转接人工客服。"
                    .into()
            }
            Reply::LatestOrder(o) => format!(
                "您最近的订单 {}（{}，{}）当前状态：{}（自 {} 起）。",
                o.order_id,
                date(o.placed),
                money(o.amount),
                status_zh(o.status),
                date(o.status_since)
            ),
            Reply::OrderStatus(o) => format!(
                "订单 {}（{}，{}）当前状态：{}（自 {} 起）。",
                o.order_id,
                date(o.placed),
                money(o.amount),
                status_zh(o.status),
                date(o.status_since)
            ),
            Reply::NoOrders => "您的账户下暂时没有订单。".into(),
            Reply::OrderNotFound { order_id } => {
                format!("您的账户下没有找到订单 {order_id}，请核对订单号。")
            }
            Reply::Billing(None) => "您目前没有订阅，因此没有账单。".into(),
            Reply::Billing(Some(s)) if !s.active => "您的订阅已取消，之后不会再扣费。".into(),
            Reply::Billing(Some(s)) => format!(
                "您当前的套餐是 {}（每月 {}），自 {} 起。{}",
                s.plan.as_str(),
                money(s.plan.monthly_price()),
                date(s.since),
                s.next_renewal
                    .map(|n| format!("下次续费日期：{}。", date(n)))
                    .unwrap_or_default()
            ),
            Reply::Profile(c) => format!(
                "您的账户：{}，{}，套餐 {}，注册于 {}。",
                c.name,
                c.email.as_deref().unwrap_or("未登记邮箱"),
                c.plan.as_str(),
                date(c.created)
            ),
            Reply::AskCancelConfirm => "您确定要取消订阅吗？请回答“是”或“否”。".into(),
            Reply::Cancelled => "您的订阅已取消，已付费期间内仍可使用。很遗憾看到您离开。".into(),
            Reply::NothingToCancel => "您目前没有可以取消的订阅。".into(),
            Reply::KeepsSubscription => "好的，您的订阅保持不变。".into(),
            Reply::Sorry => "很抱歉给您带来了麻烦。".into(),
            Reply::OfferHuman => "需要为您转接人工客服吗？请回答“是”或“否”。".into(),
            Reply::HumanDeclined => "好的，请告诉我您需要什么，我会尽力帮您。".into(),
            Reply::TicketOpened { ticket, sla_hours } => format!(
                "已将您的对话转交给我们的团队（工单 #{ticket}），工作人员通常会在 {sla_hours} 小时内在这里回复您。"
            ),
            Reply::WithHuman { ticket } => {
                format!("收到，已补充到工单 #{ticket}，工作人员会在这里回复您。")
            }
            Reply::Handoff(h) => h.render(Language::Zh),
            Reply::Clarify { first, second } => format!(
                "请问您是想咨询{}还是{}？",
                intent_words(*first, Language::Zh),
                intent_words(*second, Language::Zh)
            ),
            Reply::NotUnderstood => "抱歉，我没有理解您的意思，能换个说法吗？".into(),
            Reply::OutOfScope => {
                "抱歉，这个问题我帮不上忙：我可以回答订单、账户、账单和订阅相关的问题。".into()
            }
            Reply::Template(t) | Reply::Offer(t) => t.clone(),
            Reply::NotYours => "我只能提供您本人账户的信息。".into(),
            Reply::LeadNoAccount => "我还不知道您的客户账户，所以无法查询。如果您已注册，请告诉我注册时使用的邮箱，我会发送验证码来关联此对话。".into(),
            Reply::TooLong { chars, max } => {
                format!("您的消息太长了（{chars} 个字符，上限为 {max}），请发送简短一些的消息。")
            }
            Reply::Empty => "请输入消息。".into(),
            Reply::InvalidText => "无法读取该消息（不是有效的文本），请重新输入。".into(),
            Reply::Unsupported { .. } => "我只能读取文字消息，请输入您的问题。".into(),
            Reply::StaffOnly => "抱歉，该功能仅限工作人员使用。".into(),
            Reply::UnknownCustomer { id } => format!("没有编号为 {id} 的客户。"),
            Reply::ModelsNotReady => "风险评分暂不可用：客户模型尚未训练（crmbot train）。".into(),
            Reply::Error => "系统出了点问题，已通知工作人员，请稍后再试。".into(),
            Reply::OfferAccepted { code, valid_days } => {
                format!("好的！您的优惠码是 {code}，{valid_days} 天内有效。")
            }
            Reply::OfferDeclined => "好的，没问题。".into(),
            Reply::AskCsat {
                ticket: Some(ticket),
            } => format!(
                "您的工单 #{ticket} 已解决。请为我们的服务打分：1（非常不满意）到 5（非常满意）。"
            ),
            Reply::AskCsat { ticket: None } => {
                "请为本次对话打分：1（非常不满意）到 5（非常满意）。".into()
            }
            Reply::AskNps => {
                "您有多大可能向朋友推荐我们？请打分：0（完全不可能）到 10（非常可能）。".into()
            }
            Reply::AskComment => "谢谢！还有什么想告诉我们的吗？".into(),
            Reply::ThanksForFeedback => "感谢您的反馈，这能帮助我们做得更好。".into(),
            Reply::LinkCodeSent { minutes } => format!(
                "如果该邮箱属于某个账户，六位验证码已发送至该邮箱。请在 {minutes} 分钟内在这里输入验证码以关联此对话。"
            ),
            Reply::Linked { name } => format!("已关联到您的账户{name}。有什么可以帮您？"),
            Reply::WrongCode { left } => format!("验证码不正确，您还可以再试 {left} 次，之后关联将暂停一段时间。"),
            Reply::LinkExpired => "验证码已过期，请重新告诉我您的邮箱以获取新验证码。".into(),
            Reply::LinkLocked { until } => format!(
                "错误的验证码次数过多，为保护账户安全，关联已暂停。请在 {} 之后再试。",
                clock_time(until)
            ),
            Reply::LinkNoticeLinked { channel, customer } => format!(
                "刚刚有一个 {channel} 对话关联到了您的账户（客户 {customer}）。如果不是您本人操作，请联系我们解除关联。"
            ),
            Reply::LinkNoticeLocked { until, customer } => format!(
                "有人在尝试将对话关联到您的账户（客户 {customer}）时多次输入了错误的验证码。关联已暂停至 {}。您的账户没有被关联。",
                clock_time(until)
            ),
            _ => String::new(),
        }
    }
}

fn status_zh(status: crate::domain::OrderStatus) -> &'static str {
    use crate::domain::OrderStatus::*;
    match status {
        Placed => "已下单",
        Shipped => "已发货",
        Delivered => "已送达",
        Returned => "已退货",
        Cancelled => "已取消",
    }
}

/// An article's title and answer, then the customer's own facts.
fn article_text(title: &str, body: &str, fact: &Option<HelpFact>, lang: Language) -> String {
    let mut out = format!("{title}\n{body}");
    if let Some(f) = fact {
        out.push_str("\n\n");
        out.push_str(&match lang {
            Language::En => fact_en(f),
            Language::Zh => fact_zh(f),
        });
    }
    out
}

fn fact_en(f: &HelpFact) -> String {
    match f {
        HelpFact::ReturnWindow {
            order,
            deadline,
            open,
        } => match (deadline, open) {
            (Some(d), true) => format!(
                "Your latest order {} ({}) was delivered on {}: you can return it until {}.",
                order.order_id,
                day(order.placed),
                day(order.status_since),
                day(*d)
            ),
            (Some(d), false) => format!(
                "Your latest order {} ({}) was delivered on {}; its return window closed on {}.",
                order.order_id,
                day(order.placed),
                day(order.status_since),
                day(*d)
            ),
            (None, true) => format!(
                "Your latest order {} ({}) is not delivered yet: the 30 days start when it arrives.",
                order.order_id,
                day(order.placed)
            ),
            (None, false) => format!(
                "Your latest order {} ({}) is {}: there is nothing left to return on it.",
                order.order_id,
                day(order.placed),
                order.status.as_str()
            ),
        },
        HelpFact::InTransit { order, from, to } => format!(
            "Your order {} is {} (since {}): expect it between {} and {}.",
            order.order_id,
            order.status.as_str(),
            day(order.status_since),
            day(*from),
            day(*to)
        ),
        HelpFact::NothingInTransit(Some(o)) => format!(
            "You have no order on its way; your latest, {}, is {}.",
            o.order_id,
            o.status.as_str()
        ),
        HelpFact::NothingInTransit(None) | HelpFact::NoOrders => {
            "I can't see any order on your account yet.".into()
        }
        HelpFact::Invoice(o) => format!(
            "Your latest order {} of {} came to {}; its invoice is in the order confirmation email and under Account → Orders.",
            o.order_id,
            day(o.placed),
            money(o.amount)
        ),
        HelpFact::Plan {
            plan,
            price,
            upgrade,
        } => match upgrade {
            Some((next, more)) => format!(
                "You are on {} at {} a month; {} would cost you {} more a month.",
                plan_name(*plan),
                money(*price),
                plan_name(*next),
                money(*more)
            ),
            None => format!(
                "You are on {} at {} a month, our top plan.",
                plan_name(*plan),
                money(*price)
            ),
        },
        HelpFact::NoPlan => "You have no plan at the moment.".into(),
    }
}

fn fact_zh(f: &HelpFact) -> String {
    match f {
        HelpFact::ReturnWindow {
            order,
            deadline,
            open,
        } => match (deadline, open) {
            (Some(d), true) => format!(
                "您最近的订单 {}（{}）于 {} 送达：{} 前都可以退货。",
                order.order_id,
                day(order.placed),
                day(order.status_since),
                day(*d)
            ),
            (Some(d), false) => format!(
                "您最近的订单 {}（{}）于 {} 送达，退货期已于 {} 结束。",
                order.order_id,
                day(order.placed),
                day(order.status_since),
                day(*d)
            ),
            (None, true) => format!(
                "您最近的订单 {}（{}）尚未送达：30 天从收货日算起。",
                order.order_id,
                day(order.placed)
            ),
            (None, false) => format!(
                "您最近的订单 {}（{}）状态为 {}，没有可退的商品。",
                order.order_id,
                day(order.placed),
                order.status.as_str()
            ),
        },
        HelpFact::InTransit { order, from, to } => format!(
            "您的订单 {} 状态为 {}（自 {} 起），预计 {} 至 {} 送达。",
            order.order_id,
            order.status.as_str(),
            day(order.status_since),
            day(*from),
            day(*to)
        ),
        HelpFact::NothingInTransit(Some(o)) => format!(
            "您没有在途的订单；最近的订单 {} 状态为 {}。",
            o.order_id,
            o.status.as_str()
        ),
        HelpFact::NothingInTransit(None) | HelpFact::NoOrders => "您的账户里还没有订单。".into(),
        HelpFact::Invoice(o) => format!(
            "您最近的订单 {}（{}）金额 {}，发票在订单确认邮件和“账户 → 订单”里。",
            o.order_id,
            day(o.placed),
            money(o.amount)
        ),
        HelpFact::Plan {
            plan,
            price,
            upgrade,
        } => match upgrade {
            Some((next, more)) => format!(
                "您现在是 {} 套餐，每月 {}；升级到 {} 每月多 {}。",
                plan_name(*plan),
                money(*price),
                plan_name(*next),
                money(*more)
            ),
            None => format!(
                "您现在是 {} 套餐，每月 {}，已是最高套餐。",
                plan_name(*plan),
                money(*price)
            ),
        },
        HelpFact::NoPlan => "您目前没有订阅套餐。".into(),
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn plan_name(plan: crate::domain::Plan) -> &'static str {
    match plan {
        crate::domain::Plan::None => "no plan",
        crate::domain::Plan::Basic => "Basic",
        crate::domain::Plan::Plus => "Plus",
        crate::domain::Plan::Premium => "Premium",
    }
}

/// "Yes" and "No" buttons carrying the id of the proposed action.
fn action_buttons(action_id: &str, lang: Language) -> Vec<Button> {
    let (yes, no) = match lang {
        Language::Zh => ("是", "否"),
        Language::En => ("Yes", "No"),
    };
    vec![
        Button {
            label: yes.into(),
            data: format!("{}yes:{action_id}", crate::actions::BUTTON_PREFIX),
        },
        Button {
            label: no.into(),
            data: format!("{}no:{action_id}", crate::actions::BUTTON_PREFIX),
        },
    ]
}

fn action_en(action: ActionKind) -> &'static str {
    match action {
        ActionKind::CancelOrder => "cancel the order",
        ActionKind::ChangeAddress => "change the delivery address",
        ActionKind::StartReturn => "start the return",
        ActionKind::ResendInvoice => "resend the invoice",
        ActionKind::PasswordReset => "send the password-reset link",
        ActionKind::PausePlan => "pause your plan",
        ActionKind::ChangePlan => "change your plan",
        ActionKind::Unsubscribe => "unsubscribe you from marketing emails",
        ActionKind::DeleteAccount => "delete your account",
    }
}

fn action_zh(action: ActionKind) -> &'static str {
    match action {
        ActionKind::CancelOrder => "取消订单",
        ActionKind::ChangeAddress => "修改收货地址",
        ActionKind::StartReturn => "办理退货",
        ActionKind::ResendInvoice => "重新发送发票",
        ActionKind::PasswordReset => "发送重置密码链接",
        ActionKind::PausePlan => "暂停套餐",
        ActionKind::ChangePlan => "更改套餐",
        ActionKind::Unsubscribe => "退订营销邮件",
        ActionKind::DeleteAccount => "删除账户",
    }
}

fn order_en(o: &OrderView) -> String {
    format!(
        "{} from {} ({}, {})",
        o.order_id,
        date(o.placed),
        o.items.join(", "),
        money(o.amount)
    )
}

fn order_zh(o: &OrderView) -> String {
    format!("{}（{}，{}）", o.order_id, date(o.placed), money(o.amount))
}

fn render_action_en(reply: &Reply) -> Option<String> {
    Some(match reply {
        Reply::ReturnOffer { order, deadline, .. } => format!(
            "Your latest order {} was delivered on {}, so it is within the return window until {}. Shall I start the return now?",
            order_en(order),
            date(order.status_since),
            date(*deadline)
        ),
        Reply::CancelOrderOffer { order, .. } => format!(
            "Your order {} has not shipped yet, so I can cancel it free of charge. Shall I cancel the order?",
            order_en(order)
        ),
        Reply::ReturnNotPossible { order, check, window_days } => match check {
            ReturnCheck::WindowClosed { deadline } => format!(
                "Your latest order {} was delivered on {}; the {window_days}-day return window ended on {}, so I can't start a return myself. If the item is faulty, a person from our team can still help.",
                order_en(order),
                date(order.status_since),
                date(*deadline)
            ),
            ReturnCheck::InTransit => format!(
                "Your latest order {} is on its way. Once it is delivered you have {window_days} days to return it.",
                order_en(order)
            ),
            ReturnCheck::AlreadyReturned => format!(
                "A return for order {} is already started{}.",
                order.order_id,
                order.return_code.as_deref().filter(|c| !c.is_empty()).map(|c| format!(" (return code {c})")).unwrap_or_default()
            ),
            _ => format!("Order {} is cancelled, so there is nothing to return.", order.order_id),
        },
        Reply::CancelNotPossible { order, check } => match check {
            ChangeCheck::AlreadyCancelled => format!("Order {} is already cancelled.", order.order_id),
            _ => format!(
                "Order {} has already shipped, so it can no longer be cancelled; once it arrives you can return it.",
                order_en(order)
            ),
        },
        Reply::ActionDone { action, order_id, reference } => done_en(*action, order_id.as_deref(), reference.as_deref()),
        Reply::ActionAlreadyDone { action, order_id, reference } => format!(
            "That's already done, nothing more to do. {}",
            done_en(*action, order_id.as_deref(), reference.as_deref())
        ),
        Reply::ActionFailed { action } => format!(
            "Sorry, I couldn't {} just now: our shop system did not answer. Nothing has been changed.",
            action_en(*action)
        ),
        Reply::ActionDeclined => "All right, I haven't changed anything.".into(),
        Reply::ActionNotPending => "That question is no longer open, so I haven't changed anything. Ask me again if you still need it.".into(),
        _ => return None,
    })
}

fn done_en(action: ActionKind, order_id: Option<&str>, reference: Option<&str>) -> String {
    let order = order_id.unwrap_or("your order");
    let code = reference.unwrap_or("-");
    match action {
        ActionKind::StartReturn => format!(
            "Your return for order {order} is started. Your return code is {code}: write it on the parcel and send it back within 14 days; the refund follows once it arrives."
        ),
        ActionKind::CancelOrder => format!(
            "Order {order} is cancelled; the refund goes back to your payment method within 2 working days."
        ),
        other => format!(
            "Done: I did {} (reference {code}).",
            action_en(other).trim_start_matches("your ")
        ),
    }
}

fn render_action_zh(reply: &Reply) -> Option<String> {
    Some(match reply {
        Reply::ReturnOffer {
            order, deadline, ..
        } => format!(
            "您最近的订单 {}已于 {} 送达，仍在退货期内（截至 {}）。现在为您办理退货吗？",
            order_zh(order),
            date(order.status_since),
            date(*deadline)
        ),
        Reply::CancelOrderOffer { order, .. } => format!(
            "您的订单 {}尚未发货，可以免费取消。要为您取消这个订单吗？",
            order_zh(order)
        ),
        Reply::ReturnNotPossible {
            order,
            check,
            window_days,
        } => match check {
            ReturnCheck::WindowClosed { deadline } => format!(
                "您最近的订单 {}已于 {} 送达，{window_days} 天退货期已于 {} 结束，无法办理退货。如商品有质量问题，工作人员仍可为您处理。",
                order_zh(order),
                date(order.status_since),
                date(*deadline)
            ),
            ReturnCheck::InTransit => format!(
                "您最近的订单 {}正在配送中，送达后 {window_days} 天内可以退货。",
                order_zh(order)
            ),
            ReturnCheck::AlreadyReturned => format!("订单 {} 的退货已在办理中。", order.order_id),
            _ => format!("订单 {} 已取消，无需退货。", order.order_id),
        },
        Reply::CancelNotPossible { order, check } => match check {
            ChangeCheck::AlreadyCancelled => format!("订单 {} 已经取消。", order.order_id),
            _ => format!(
                "订单 {} 已发货，无法取消；收到后可以申请退货。",
                order_zh(order)
            ),
        },
        Reply::ActionDone {
            action,
            order_id,
            reference,
        } => done_zh(*action, order_id.as_deref(), reference.as_deref()),
        Reply::ActionAlreadyDone {
            action,
            order_id,
            reference,
        } => format!(
            "这件事已经办好了，无需重复操作。{}",
            done_zh(*action, order_id.as_deref(), reference.as_deref())
        ),
        Reply::ActionFailed { action } => format!(
            "抱歉，暂时无法为您{}：商城系统没有响应。没有做任何更改。",
            action_zh(*action)
        ),
        Reply::ActionDeclined => "好的，没有做任何更改。".into(),
        Reply::ActionNotPending => "该请求已失效，没有做任何更改。如仍需要，请再告诉我。".into(),
        _ => return None,
    })
}

fn done_zh(action: ActionKind, order_id: Option<&str>, reference: Option<&str>) -> String {
    let order = order_id.unwrap_or("您的订单");
    let code = reference.unwrap_or("-");
    match action {
        ActionKind::StartReturn => format!(
            "订单 {order} 的退货已办理，退货码为 {code}：请写在包裹上并在 14 天内寄回，收到后即为您退款。"
        ),
        ActionKind::CancelOrder => {
            format!("订单 {order} 已取消，款项将在 2 个工作日内退回原支付方式。")
        }
        other => format!("已为您{}（编号 {code}）。", action_zh(other)),
    }
}

/// What the hand-off to a person says (engine/handoff.rs, engine/waiting.rs): to customers
/// in their language, to staff in the language of their message.
#[derive(Debug, Clone, PartialEq)]
pub enum HandoffText {
    /// A customer whose ticket nobody holds yet got an answer from the bot.
    StillOpen {
        ticket: TicketId,
    },
    /// A customer wrote again soon after their ticket was resolved.
    Reopened {
        ticket: TicketId,
    },
    /// A customer's message, shown in the ticket's thread.
    Relayed {
        ticket: TicketId,
        customer: String,
        text: String,
    },
    /// A customer's attachment, shown in the ticket's thread.
    RelayedFile {
        ticket: TicketId,
        customer: String,
        kind: &'static str,
    },
    /// The ticket came back after a resolve (in the thread).
    ReopenedForStaff {
        ticket: TicketId,
    },
    /// The card's hint line.
    CardHint,
    /// The claim worked; `console` says plain text now goes to the customer.
    Claimed {
        ticket: TicketId,
        here: bool,
    },
    /// The ticket is someone else's: take it over?
    HeldBy {
        ticket: TicketId,
        holder: String,
    },
    /// Told to the previous holder (and the thread).
    TakenOver {
        ticket: TicketId,
        by: String,
    },
    NoteSaved {
        ticket: TicketId,
    },
    Resolved {
        ticket: TicketId,
        by: String,
    },
    /// A lookup typed in a shared channel was answered in a direct message.
    SentPrivately,
    /// An agent asked to take over a colleague's ticket (to the ticket's spaces).
    ReleaseAsked {
        ticket: TicketId,
        by: String,
    },
    /// ... and is told the holder was asked.
    ReleaseRequested {
        ticket: TicketId,
        holder: String,
    },
    /// The button under [`HandoffText::ReleaseAsked`].
    ButtonRelease {
        to: String,
    },
    /// An agent tried to hand over a ticket somebody else holds.
    OnlyHolderTransfers {
        ticket: TicketId,
        holder: String,
    },
    /// A ticket changed hands (to its spaces and the new holder).
    HandedOver {
        ticket: TicketId,
        to: String,
        by: String,
    },
    /// A claimed ticket's customer has not written for a while (to the customer).
    QuietReminder {
        ticket: TicketId,
        close_in_hours: u32,
    },
    /// The same, told in the ticket's staff space.
    QuietReminderSent {
        ticket: TicketId,
        hours: u32,
    },
    /// A ticket command without a number outside a ticket's thread.
    NeedsTicket {
        usage: &'static str,
    },
    /// `/thread N`: plain text goes to the customer of N now.
    Focused {
        ticket: TicketId,
    },
    /// `/thread` outside any ticket.
    NoFocus,
    TransferPick {
        ticket: TicketId,
    },
    /// A staff attachment outside any ticket's thread.
    FileNeedsThread,
    UnknownSnippet {
        name: String,
    },
    Snippets(Vec<String>),
    SnippetSaved {
        name: String,
        language: Language,
    },
    SnippetDeleted {
        name: String,
    },
    /// Buttons on the card.
    ButtonClaim,
    ButtonResolve,
    ButtonTransfer,
    ButtonCustomer,
    ButtonTakeOver,
}

impl HandoffText {
    pub fn render(&self, lang: Language) -> String {
        match lang {
            Language::En => self.render_en(),
            Language::Zh => self.render_zh(),
        }
    }

    fn render_en(&self) -> String {
        use HandoffText::*;
        match self {
            StillOpen { ticket } => format!("Your ticket #{ticket} is still open: a person from our team will answer you here."),
            Reopened { ticket } => format!("I've reopened ticket #{ticket}; the person who helped you will see your message."),
            Relayed { ticket, customer, text } => format!("#{ticket} {customer}: {text}"),
            RelayedFile { ticket, customer, kind } => format!("#{ticket} {customer} sent a {kind}."),
            ReopenedForStaff { ticket } => format!("Ticket #{ticket} is open again: the customer wrote back."),
            CardHint => "Press Claim, then answer by typing in this ticket's thread (a message starting with ! stays an internal note).".into(),
            Claimed { ticket, here: true } => format!("You hold ticket #{ticket} now. What you type here goes to the customer; start with ! for an internal note; /resolve when done."),
            Claimed { ticket, here: false } => format!("You hold ticket #{ticket} now. Answer in its thread, or with /reply {ticket} TEXT."),
            HeldBy { ticket, holder } => format!("Ticket #{ticket} is held by {holder}. Take it over?"),
            TakenOver { ticket, by } => format!("{by} took over ticket #{ticket}."),
            NoteSaved { ticket } => format!("Internal note saved on ticket #{ticket} (not sent to the customer)."),
            Resolved { ticket, by } => format!("Ticket #{ticket} is resolved (by {by})."),
            ReleaseAsked { ticket, by } => format!("{by} asks to take over ticket #{ticket}. Release it to them?"),
            ReleaseRequested { ticket, holder } => format!("Ticket #{ticket} is held by {holder}: I've asked them to release it to you (a manager can also hand it over)."),
            ButtonRelease { to } => format!("Release to {to}"),
            OnlyHolderTransfers { ticket, holder } => format!("Only {holder}, who holds ticket #{ticket}, or a manager can hand it over."),
            HandedOver { ticket, to, by } => format!("Ticket #{ticket} is now with {to} (handed over by {by})."),
            SentPrivately => "I've sent you the answer in a direct message (customer data stays out of shared channels).".into(),
            QuietReminder { ticket, close_in_hours } => format!("Do you still need help with ticket #{ticket}? Just write here to keep it open; otherwise we will close it in {close_in_hours} hours."),
            QuietReminderSent { ticket, hours } => format!("The customer of ticket #{ticket} has not written for {hours} hours: I reminded them, and will close the ticket if they stay quiet."),
            NeedsTicket { usage } => format!("Usage: {usage} — or type it in the ticket's thread, or press the button on its card."),
            Focused { ticket } => format!("What you type here now goes to the customer of ticket #{ticket}."),
            NoFocus => "This chat is not on any ticket. /thread N puts it on ticket N.".into(),
            TransferPick { ticket } => format!("Hand ticket #{ticket} to whom?"),
            FileNeedsThread => "Files reach a customer when sent in their ticket's thread.".into(),
            UnknownSnippet { name } => format!("There is no snippet called {name}. /snippet lists them."),
            Snippets(names) if names.is_empty() => "No snippets yet (crmbot snippets add NAME TEXT).".into(),
            Snippets(names) => format!("Snippets: {}", names.join(", ")),
            SnippetSaved { name, language } => format!("Saved snippet {name} [{}]; send it with /snippet {name} in a ticket's thread.", language.as_str()),
            SnippetDeleted { name } => format!("Deleted snippet {name}."),
            ButtonClaim => "Claim".into(),
            ButtonResolve => "Resolve".into(),
            ButtonTransfer => "Transfer".into(),
            ButtonCustomer => "Customer 360".into(),
            ButtonTakeOver => "Take over".into(),
        }
    }

    fn render_zh(&self) -> String {
        use HandoffText::*;
        match self {
            StillOpen { ticket } => {
                format!("您的工单 #{ticket} 仍在处理中，工作人员会在这里回复您。")
            }
            Reopened { ticket } => {
                format!("已重新打开工单 #{ticket}，之前为您服务的工作人员会看到您的消息。")
            }
            Relayed {
                ticket,
                customer,
                text,
            } => format!("#{ticket} {customer}：{text}"),
            RelayedFile {
                ticket,
                customer,
                kind,
            } => format!("#{ticket} {customer} 发送了{kind}。"),
            ReopenedForStaff { ticket } => format!("工单 #{ticket} 已重新打开：客户回复了。"),
            CardHint => {
                "请点击“认领”，然后直接在此工单的讨论串中回复（以 ! 开头的消息为内部备注）。".into()
            }
            Claimed { ticket, here: true } => format!(
                "工单 #{ticket} 现由您负责。在这里输入的内容会发给客户；以 ! 开头为内部备注；完成后 /resolve。"
            ),
            Claimed {
                ticket,
                here: false,
            } => format!(
                "工单 #{ticket} 现由您负责。请在其讨论串中回复，或使用 /reply {ticket} 内容。"
            ),
            HeldBy { ticket, holder } => format!("工单 #{ticket} 由 {holder} 负责。要接手吗？"),
            TakenOver { ticket, by } => format!("{by} 接手了工单 #{ticket}。"),
            NoteSaved { ticket } => format!("已在工单 #{ticket} 保存内部备注（不会发给客户）。"),
            Resolved { ticket, by } => format!("工单 #{ticket} 已解决（{by}）。"),
            ReleaseAsked { ticket, by } => format!("{by} 请求接手工单 #{ticket}。是否转交？"),
            ReleaseRequested { ticket, holder } => format!(
                "工单 #{ticket} 由 {holder} 处理中：已请对方转交给您（经理也可以直接转交）。"
            ),
            ButtonRelease { to } => format!("转交给 {to}"),
            OnlyHolderTransfers { ticket, holder } => {
                format!("只有处理工单 #{ticket} 的 {holder} 或经理可以转交。")
            }
            HandedOver { ticket, to, by } => {
                format!("工单 #{ticket} 现由 {to} 处理（{by} 转交）。")
            }
            SentPrivately => "我已通过私信把答案发给您（客户数据不在公共频道显示）。".into(),
            QuietReminder {
                ticket,
                close_in_hours,
            } => format!(
                "工单 #{ticket} 还需要帮助吗？如需保留，请直接在这里回复；否则我们将在 {close_in_hours} 小时后关闭它。"
            ),
            QuietReminderSent { ticket, hours } => format!(
                "工单 #{ticket} 的客户已有 {hours} 小时没有回复：已提醒客户，若仍无回复将关闭工单。"
            ),
            NeedsTicket { usage } => {
                format!("用法：{usage} —— 或在工单讨论串中输入，或点击工单卡片上的按钮。")
            }
            Focused { ticket } => format!("您在这里输入的内容现在会发给工单 #{ticket} 的客户。"),
            NoFocus => "此对话未关联任何工单。/thread N 可关联到工单 N。".into(),
            TransferPick { ticket } => format!("将工单 #{ticket} 转交给谁？"),
            FileNeedsThread => "在工单讨论串中发送的文件才会转给客户。".into(),
            UnknownSnippet { name } => format!("没有名为 {name} 的快捷回复。/snippet 可查看列表。"),
            Snippets(names) if names.is_empty() => {
                "还没有快捷回复（crmbot snippets add 名称 内容）。".into()
            }
            Snippets(names) => format!("快捷回复：{}", names.join("、")),
            SnippetSaved { name, language } => format!(
                "已保存快捷回复 {name} [{}]；在工单讨论串中用 /snippet {name} 发送。",
                language.as_str()
            ),
            SnippetDeleted { name } => format!("已删除快捷回复 {name}。"),
            ButtonClaim => "认领".into(),
            ButtonResolve => "解决".into(),
            ButtonTransfer => "转交".into(),
            ButtonCustomer => "客户全景".into(),
            ButtonTakeOver => "接手".into(),
        }
    }
}

/// The staff commands a role may use, one per line, for `/help`.
pub fn staff_help(commands: &[(&str, &str, &str)], lang: Language) -> String {
    let title = match lang {
        Language::En => "Staff commands (you may use all of these):",
        Language::Zh => "员工命令（您可以使用以下全部命令）：",
    };
    let mut text = title.to_owned();
    for (usage, en, zh) in commands {
        let what = if lang == Language::Zh { zh } else { en };
        text.push_str(&format!("\n{usage} — {what}"));
    }
    text.push_str(match lang {
        Language::En => "\nIn a ticket's thread, plain text goes to the customer; start with ! for an internal note. You can also ask in words, e.g. \"show customer 42\".",
        Language::Zh => "\n在工单讨论串中，普通文字会发给客户；以 ! 开头为内部备注。也可以直接用文字提问，例如“show customer 42”。",
    });
    text
}
