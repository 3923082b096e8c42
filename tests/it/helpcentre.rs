//! The help centre as customers and operators meet it: articles answer questions in
//! English and Chinese with the customer's own facts, unsure questions get two buttons,
//! multi-part questions get each part answered, broken article files are named with their
//! line, and `crmbot eval support` scores a labelled set through the real binary.

use crmbot::domain::Language;
use crmbot::engine::Body;
use crmbot::engine::text::Reply;
use crmbot::knowledge::{Article, HelpCentre, HelpSettings, Verdict};

use crate::common::{Expect::*, Harness, Who, check, repo, turn};

#[test]
fn a_broken_article_is_named_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(
        dir.path().join("en/returns.md"),
        "---\nid: returns\ntitle: Returns\ncolour: blue\nexamples:\n  - can I return it\n---\nWithin 30 days.\n",
    )
    .unwrap();
    let err = HelpCentre::load(dir.path(), HelpSettings::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("returns.md:4:"), "{text}");
    assert!(text.contains("unknown key `colour`"), "{text}");
}

#[test]
fn the_shipped_help_centre_has_forty_articles_per_language() {
    let help = HelpCentre::load(&repo().join("intents/help"), HelpSettings::default()).unwrap();
    assert!(help.len(Language::En) >= 40);
    assert!(help.len(Language::Zh) >= 40);
    let embedded = HelpCentre::load_embedded(HelpSettings::default()).unwrap();
    assert_eq!(embedded.len(Language::En), help.len(Language::En));
}

#[tokio::test]
async fn a_return_question_gets_the_article_and_the_customers_latest_order() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(42),
                "what is your return policy?",
                vec![Contains("30 days of delivery"), Contains("A101")],
            ),
            turn(
                Who::Customer(44),
                "退货政策是什么",
                vec![Contains("收货后 30 天内"), Contains("还没有订单")],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn each_part_of_a_two_part_question_is_answered() {
    let h = Harness::new();
    check(
        &h,
        vec![turn(
            Who::Customer(43),
            "what's your return policy and do you ship to canada?",
            vec![
                Contains("30 days of delivery"),
                Contains("We ship to the US, Canada"),
            ],
        )],
    )
    .await;
}

#[tokio::test]
async fn an_unsure_question_offers_two_titles_and_a_press_answers() {
    let article = |id: &str, title: &str| Article {
        id: id.into(),
        language: Language::En,
        title: title.into(),
        tags: vec!["gift".into()],
        examples: vec![format!("{title} question")],
        facts: None,
        body: format!("All about {title}."),
        file: format!("{id}.md").into(),
    };
    let settings = HelpSettings {
        answer_threshold: 0.99,
        suggest_threshold: 0.01,
        ..HelpSettings::default()
    };
    let help = HelpCentre::new(
        vec![
            article("gift-cards", "Gift cards"),
            article("gift-wrap", "Gift wrapping"),
        ],
        settings,
    );
    let Verdict::Choose(a, b) = help.search("gift", Language::En).verdict else {
        panic!("expected a choice of two");
    };
    let reply = Reply::ChooseArticle {
        first: (a.id.clone(), a.title.clone()),
        second: (b.id.clone(), b.title.clone()),
    };
    let buttons = reply.buttons(Language::En);
    assert_eq!(buttons.len(), 2);
    assert!(
        buttons.iter().all(|x| x.data.starts_with("help:gift-")),
        "{buttons:?}"
    );
    // Pressing an article button in a conversation answers with that article.
    let h = Harness::new();
    let pressed = h
        .send(Who::Customer(43), Body::Button("help:warranty".into()))
        .await;
    assert!(
        pressed.messages[0].text.starts_with("Warranty\n"),
        "{pressed:?}"
    );
    assert!(
        pressed.messages[0].text.contains("2-year warranty"),
        "{pressed:?}"
    );
}

#[test]
fn eval_support_scores_a_labelled_file_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::crmbot(&dir.path().join("store"))
        .args([
            "eval",
            "support",
            "--data",
            "tests/fixtures/support_small.csv",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["overall"]["total"], 6);
    assert!(
        report["overall"]["on_topic"].as_u64().unwrap() >= 5,
        "{report}"
    );
    assert_eq!(report["by_label"]["check_payment_methods"]["total"], 2);
}

/// "Did this help?" after an article, and the resolution report and `/gaps` over a
/// scripted session: one answer confirmed, one that did not help, one question not
/// understood, one hand-off, one answer the customer left with.
#[tokio::test]
async fn resolution_and_gaps_count_what_a_scripted_session_contained() {
    let h = Harness::new();
    let said = |o: &crmbot::engine::Outcome| {
        o.messages
            .iter()
            .map(|m| m.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let answer = h
        .say(Who::Customer(42), "how long does shipping take?")
        .await;
    let asked = answer
        .messages
        .iter()
        .find(|m| m.text == "Did this help?")
        .expect("the article is followed by the question");
    assert_eq!(asked.buttons.len(), 2);
    let press = h
        .send(
            Who::Customer(42),
            Body::Button(asked.buttons[0].data.clone()),
        )
        .await;
    assert!(said(&press).contains("Glad it helped"), "{}", said(&press));
    h.say(Who::Customer(43), "can I pay with a gift card?")
        .await;
    let no = h.say(Who::Customer(43), "no").await;
    assert!(said(&no).contains("bring in a person"), "{}", said(&no));
    h.say(Who::Customer(43), "no").await;
    h.say(Who::Customer(44), "blorp fizz wub").await;
    use crmbot::domain::Channel;
    h.say(
        Who::ChatUser(Channel::Telegram, "t45"),
        "I want to talk to a human",
    )
    .await;
    h.say(
        Who::ChatUser(Channel::Discord, "d46"),
        "what payment methods do you accept?",
    )
    .await;
    let later = crate::common::now() + chrono::Duration::days(2);
    let report = crmbot::insights::resolution(&h.store, later, 7).unwrap();
    let o = &report.overall;
    assert_eq!(o.conversations, 5, "{report:?}");
    assert_eq!(o.confirmed, 1);
    assert_eq!(o.resolved_by_bot, 2, "confirmed plus left: {report:?}");
    assert_eq!(o.handed_off, 1);
    assert_eq!(o.unanswered, 2);
    assert_eq!(report.by_topic["gift-cards"].unanswered, 1, "{report:?}");
    // The CLI shows the same numbers.
    drop(h.engine);
    let store_path = h.dir.path().join("store");
    drop(h.store);
    let out = crate::common::crmbot(&store_path)
        .args([
            "--now",
            "2026-11-29T10:00:00Z",
            "report",
            "resolution",
            "--json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["overall"]["handed_off"], 1, "{json}");
    assert_eq!(json["overall"]["resolved_by_bot"], 2, "{json}");
    let gaps = crate::common::crmbot(&store_path)
        .args(["--now", "2026-11-29T10:00:00Z", "report", "gaps"])
        .output()
        .unwrap();
    let gaps = String::from_utf8_lossy(&gaps.stdout);
    assert!(
        gaps.contains("Gift cards (1): \"can I pay with a gift card?\""),
        "{gaps}"
    );
    assert!(gaps.contains("\"blorp fizz wub\""), "{gaps}");
}

#[tokio::test]
async fn a_manager_sees_the_gaps_in_chat() {
    let h = Harness::new();
    h.say(Who::Customer(43), "can I pay with a gift card?")
        .await;
    h.say(Who::Customer(43), "no").await;
    let gaps = h.say(Who::Staff("alice"), "/gaps").await;
    let text = &gaps.messages[0].text;
    assert!(
        text.starts_with("Unanswered questions in the last"),
        "{text}"
    );
    assert!(text.contains("can I pay with a gift card?"), "{text}");
    let kpi = h.say(Who::Staff("alice"), "/kpi").await;
    assert!(
        kpi.messages[0].text.contains("Resolution of conversations"),
        "{}",
        kpi.messages[0].text
    );
    // An agent does not see the whole base.
    let agent = h.say(Who::Staff("bob"), "/gaps").await;
    assert!(
        !agent.messages[0].text.contains("gift card"),
        "{}",
        agent.messages[0].text
    );
}

#[tokio::test]
async fn did_this_help_is_answered_in_words_in_both_languages() {
    let h = Harness::new();
    check(
        &h,
        vec![
            turn(
                Who::Customer(44),
                "运费是多少？",
                vec![Says(Reply::AskHelpful.render(Language::Zh))],
            ),
            turn(
                Who::Customer(44),
                "没用",
                vec![Says(Reply::NotHelpedOfferHuman.render(Language::Zh))],
            ),
            turn(
                Who::Customer(43),
                "do you accept paypal?",
                vec![Says(Reply::AskHelpful.render(Language::En))],
            ),
            turn(
                Who::Customer(43),
                "that was helpful, thanks",
                vec![Says(Reply::GladItHelped.render(Language::En))],
            ),
        ],
    )
    .await;
}
