//! Hand-off to a person where staff already work: the console (through the engine, as the
//! console chat calls it), and the real Telegram and Discord adapters against the fakes.

use crmbot::domain::{Channel, CustomerId, Language, TicketState};
use crmbot::engine::text::{HandoffText, Reply};
use crmbot::engine::{Address, Body, Outcome};

use crate::common::{Harness, Who};

fn en(reply: Reply) -> String {
    reply.render(Language::En)
}

fn to<'a>(outcome: &'a Outcome, who: &Who) -> Vec<&'a str> {
    let address = who.address();
    outcome
        .messages
        .iter()
        .filter(|m| m.to == address)
        .map(|m| m.text.as_str())
        .collect()
}

fn console_team() -> Address {
    Address {
        channel: Channel::Console,
        chat: "staff".into(),
    }
}

const OLIVIA: Who = Who::Customer(42);
const ALICE: Who = Who::Staff("alice");
const BOB: Who = Who::Staff("bob");

/// Opens ticket #1 for Olivia and returns the card's outcome.
async fn escalate(h: &Harness) -> Outcome {
    let opened = h.say(OLIVIA, "I want to talk to a human").await;
    assert!(to(&opened, &OLIVIA).iter().any(|t| t.contains("ticket #1")));
    opened
}

#[tokio::test]
async fn console_staff_answer_three_times_and_close_in_five_actions() {
    let h = Harness::new();
    let opened = escalate(&h).await;
    let team = console_team();
    let card = opened.to(&team).next().expect("the card reaches the team");
    let labels: Vec<&str> = card.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Claim", "Resolve", "Transfer", "Customer 360"]);
    assert!(
        !card.text.contains("/claim 1"),
        "no ticket number to retype: {}",
        card.text
    );

    let mut actions = 0;
    // 1: Claim on the card.
    let claim = card.buttons[0].data.clone();
    actions += 1;
    let claimed = h.send(ALICE, Body::Button(claim)).await;
    assert!(to(&claimed, &ALICE)[0].contains("You hold ticket #1"));

    let customer_says = [
        "my parcel arrived damaged",
        "the box was crushed",
        "can you send a new one?",
    ];
    let answers = [
        "Sorry about that, Olivia",
        "A new one leaves today",
        "Anything else?",
    ];
    for (said, answer) in customer_says.iter().zip(answers) {
        // The customer's message is shown to the holder at once; the bot stays quiet.
        let relayed = h.say(OLIVIA, said).await;
        assert!(
            to(&relayed, &ALICE)
                .iter()
                .any(|t| t.contains(said) && t.contains("#1")),
            "{said:?} reaches alice: {relayed:#?}"
        );
        assert!(to(&relayed, &OLIVIA).is_empty(), "claimed: only relayed");
        // 2–4: a plain answer, no command, no ticket number.
        actions += 1;
        let sent = h.say(ALICE, answer).await;
        assert!(
            to(&sent, &OLIVIA).iter().any(|t| t.contains(answer)),
            "{answer:?} reaches Olivia: {sent:#?}"
        );
    }
    // 5: resolve, and the customer gets the CSAT question.
    actions += 1;
    let resolved = h.say(ALICE, "/resolve").await;
    assert!(
        to(&resolved, &OLIVIA).contains(&en(Reply::AskCsat { ticket: Some(1) }).as_str()),
        "{resolved:#?}"
    );
    assert_eq!(actions, 5);
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Resolved);
    assert_eq!(ticket.assignee.as_deref(), Some("alice"));
    // After the resolve, alice's plain text is no longer sent to anyone's customer.
    let after = h.say(ALICE, "hello?").await;
    assert!(to(&after, &OLIVIA).is_empty());
}

#[tokio::test]
async fn claiming_a_held_ticket_asks_first_and_tells_the_holder() {
    // bob (agent) holds the ticket; alice (manager) is asked before taking it over.
    let h = Harness::new();
    escalate(&h).await;
    h.say(BOB, "/claim 1").await;
    let asked = h.say(ALICE, "/claim 1").await;
    let alice = ALICE.address();
    let question = asked.to(&alice).next().unwrap();
    assert_eq!(
        question.text,
        HandoffText::HeldBy {
            ticket: 1,
            holder: "bob".into()
        }
        .render(Language::En)
    );
    assert_eq!(
        h.store.ticket(1).unwrap().unwrap().assignee.as_deref(),
        Some("bob"),
        "not taken without confirmation"
    );
    let take_over = question.buttons[0].data.clone();
    let taken = h.send(ALICE, Body::Button(take_over)).await;
    assert!(to(&taken, &ALICE)[0].contains("You hold ticket #1"));
    assert!(
        to(&taken, &BOB)
            .iter()
            .any(|t| t.contains("alice took over ticket #1")),
        "the holder is told: {taken:#?}"
    );
    assert_eq!(
        h.store.ticket(1).unwrap().unwrap().assignee.as_deref(),
        Some("alice")
    );
    // Olivia's next message goes to alice now, not to bob.
    let relayed = h.say(OLIVIA, "any news?").await;
    assert!(to(&relayed, &ALICE).iter().any(|t| t.contains("any news?")));
    assert!(to(&relayed, &BOB).is_empty());
}

#[tokio::test]
async fn an_agent_needs_the_holders_release_to_take_a_colleagues_ticket() {
    let h = Harness::new();
    escalate(&h).await;
    h.say(ALICE, "/claim 1").await;
    let asked = h.say(BOB, "/takeover 1").await;
    assert_eq!(
        to(&asked, &BOB),
        [HandoffText::ReleaseRequested {
            ticket: 1,
            holder: "alice".into()
        }
        .render(Language::En)
        .as_str()]
    );
    assert_eq!(
        h.store.ticket(1).unwrap().unwrap().assignee.as_deref(),
        Some("alice"),
        "an agent cannot take it alone"
    );
    let refused = h.say(BOB, "/transfer 1 bob").await;
    assert!(to(&refused, &BOB)[0].contains("Only alice"), "{refused:?}");
    // alice sees the request with a Release button, and presses it.
    let alice = ALICE.address();
    let request = asked.to(&alice).next().expect("the holder is asked");
    assert!(request.text.contains("bob asks to take over ticket #1"));
    let release = request.buttons[0].data.clone();
    let released = h.send(ALICE, Body::Button(release)).await;
    assert!(
        to(&released, &BOB)
            .iter()
            .any(|t| t.contains("now with bob")),
        "bob is told: {released:?}"
    );
    assert_eq!(
        h.store.ticket(1).unwrap().unwrap().assignee.as_deref(),
        Some("bob")
    );
}

#[tokio::test]
async fn until_claimed_the_bot_still_answers_simple_questions() {
    let h = Harness::new();
    escalate(&h).await;
    let answered = h.say(OLIVIA, "where is my order?").await;
    let texts = to(&answered, &OLIVIA);
    assert!(texts.iter().any(|t| t.contains("A101")), "{texts:?}");
    assert!(
        texts.contains(
            &HandoffText::StillOpen { ticket: 1 }
                .render(Language::En)
                .as_str()
        )
    );
    // The staff chat that got the card sees the question too.
    assert!(
        answered
            .to(&console_team())
            .any(|m| m.text.contains("where is my order?"))
    );
}

#[tokio::test]
async fn ticket_lists_sort_by_priority_and_name_the_customer_and_help_lists_the_role() {
    let h = Harness::new();
    h.say(Who::Customer(43), "I want to talk to a human").await;
    h.say(OLIVIA, "I will sue you, I'm calling my lawyer").await;
    let list = h.say(ALICE, "/tickets").await;
    let text = to(&list, &ALICE)[0];
    let urgent = text.find("#2 P1").expect(text);
    let normal = text.find("#1 P3").expect(text);
    assert!(urgent < normal, "most urgent first: {text}");
    assert!(
        text.contains("Olivia Hall") && text.contains("Ben Smith"),
        "{text}"
    );

    let agent = h.say(BOB, "/help").await;
    let manager = h.say(ALICE, "/help").await;
    for command in [
        "/claim",
        "/takeover",
        "/resolve",
        "/reply",
        "/thread",
        "/snippet",
        "/tickets",
    ] {
        assert!(
            to(&agent, &BOB)[0].contains(command),
            "agent help has {command}"
        );
    }
    assert!(to(&agent, &BOB)[0].contains("/transfer"));
    assert!(!to(&agent, &BOB)[0].contains("/kpi"));
    assert!(to(&manager, &ALICE)[0].contains("/kpi"));
}

#[tokio::test]
async fn notes_stay_internal_and_the_transcript_keeps_everything() {
    let h = Harness::new();
    escalate(&h).await;
    h.say(ALICE, "/claim 1").await;
    let note = h.say(ALICE, "! courier lost it last week too").await;
    assert!(
        to(&note, &OLIVIA).is_empty(),
        "a note never reaches the customer"
    );
    assert_eq!(
        to(&note, &ALICE),
        [HandoffText::NoteSaved { ticket: 1 }
            .render(Language::En)
            .as_str()]
    );
    h.say(ALICE, "We are sending a new one").await;
    h.say(ALICE, "/resolve sent again").await;
    let transcript = h.store.transcript(1).unwrap().expect("stored on resolve");
    assert!(
        transcript.contains("customer: I want to talk to a human"),
        "{transcript}"
    );
    assert!(transcript.contains("note by alice: courier lost it last week too"));
    assert!(transcript.contains("staff: We are sending a new one"));
    let interactions = h.store.interactions_of(CustomerId(42)).unwrap();
    assert!(
        !interactions.iter().any(|i| i
            .text
            .as_deref()
            .is_some_and(|t| t.contains("courier lost"))),
        "the note is not a message to the customer"
    );
}

#[tokio::test]
async fn a_customer_writing_soon_after_the_resolve_reopens_the_ticket() {
    let h = Harness::new();
    escalate(&h).await;
    h.say(ALICE, "/claim 1").await;
    h.say(ALICE, "Refund sent").await;
    h.say(ALICE, "/resolve").await;
    h.say(OLIVIA, "4").await;
    h.say(OLIVIA, "quick, thanks").await;
    let back = h.say(OLIVIA, "the refund is not on my card yet").await;
    assert_eq!(
        to(&back, &OLIVIA),
        [HandoffText::Reopened { ticket: 1 }
            .render(Language::En)
            .as_str()]
    );
    assert!(
        to(&back, &ALICE).is_empty(),
        "alice's focus ended with the resolve"
    );
    assert!(
        back.to(&console_team())
            .any(|m| m.text.contains("the refund is not on my card yet")),
        "{back:#?}"
    );
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Claimed);
    assert_eq!(h.store.tickets(None).unwrap().len(), 1, "no second ticket");
}

mod platforms {
    //! The real adapters against the loopback fakes.

    use std::time::Duration;

    use crmbot::config::{Destination, Secrets};
    use crmbot::domain::Channel;

    use crate::fakes::discord::FakeDiscord;
    use crate::fakes::telegram::FakeTelegram;
    use crate::fakes::{self, Running};

    const LIMIT: Duration = Duration::from_secs(10);
    const GUILD: u64 = 31337;
    const STAFF_CHANNEL: u64 = 900;
    /// bob, staff on Discord in `common::settings`; alice is staff on Telegram.
    const BOB: u64 = 2002;
    const ALICE: i64 = 1001;

    fn secrets() -> Secrets {
        Secrets {
            telegram_token: Some("123456:TEST-TOKEN".into()),
            discord_token: Some("fake-discord-token".into()),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_telegram_customer_and_a_discord_ticket_thread_both_ways_resolve_archives_it() {
        let telegram = FakeTelegram::start().await;
        let discord = FakeDiscord::start().await;
        let (tg_url, dc_url) = (telegram.url.clone(), discord.url.clone());
        let (_dir, store, engine) = fakes::engine(|s| {
            s.channels.telegram.enabled = true;
            s.channels.telegram.api_url = tg_url;
            s.channels.telegram.poll_timeout_secs = 1;
            s.channels.discord.enabled = true;
            s.channels.discord.api_url = dc_url;
            s.escalation.notify = vec![Destination {
                channel: Channel::Discord,
                chat: STAFF_CHANNEL.to_string(),
            }];
        });
        let running = Running::start(engine, secrets()).await;
        discord.wait_ready(LIMIT).await;
        telegram
            .wait_for("setmycommands", &["all_private_chats"], LIMIT)
            .await;

        telegram.private_text(7000, "I want to talk to a human");
        let card_route = format!("POST /api/v10/channels/{STAFF_CHANNEL}/messages");
        discord
            .wait_for(
                &card_route,
                &["New ticket #1", "/claim 1", "/resolve 1"],
                LIMIT,
            )
            .await;
        let opened = discord.wait_for("/threads", &["#1"], LIMIT).await;
        let thread: u64 = {
            let mut id = None;
            for _ in 0..100 {
                id = store
                    .spaces_of(1)
                    .unwrap()
                    .into_iter()
                    .find(|s| s.channel == Channel::Discord)
                    .map(|s| s.chat.parse().unwrap());
                if id.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            id.expect("the thread is recorded as the ticket's space")
        };
        println!("thread {thread} opened by {}", opened.method);

        discord.guild_button_press(STAFF_CHANNEL, BOB, "/claim 1");
        let thread_route = format!("POST /api/v10/channels/{thread}/messages");
        for said in [
            "it arrived broken",
            "the glass is cracked",
            "I need it by Friday",
        ] {
            telegram.private_text(7000, said);
            discord.wait_for(&thread_route, &[said], LIMIT).await;
        }
        // A photo of the damage reaches the thread as a picture, and the log names it.
        telegram.private_photo(7000, "AgADphoto7000", 48_000);
        let relayed = discord.wait_for(&thread_route, &["photo.jpg"], LIMIT).await;
        assert!(
            relayed.text().contains("JPEGDATA"),
            "the picture itself is uploaded to the thread: {}",
            relayed.text()
        );
        // Plain text typed in the thread (no command, no number) reaches the customer.
        discord.message(Some(GUILD), thread, BOB, "A new one is on its way");
        telegram
            .wait_for("sendmessage", &["7000", "A new one is on its way"], LIMIT)
            .await;
        // Resolve by button: the thread is archived, the ticket resolved, and the customer is
        // asked how it went; their score is recorded against the ticket.
        discord.guild_button_press(STAFF_CHANNEL, BOB, "/resolve 1");
        discord
            .wait_for(
                &format!("PATCH /api/v10/channels/{thread}"),
                &["\"archived\":true"],
                LIMIT,
            )
            .await;
        telegram
            .wait_for(
                "sendmessage",
                &["7000", "How satisfied", "ticket #1"],
                LIMIT,
            )
            .await;
        telegram.callback(7000, "cb-csat", "5");
        telegram
            .wait_for("sendmessage", &["7000", "Thank you"], LIMIT)
            .await;
        running.stop().await;
        assert_eq!(
            store.ticket(1).unwrap().unwrap().state,
            crmbot::domain::TicketState::Resolved
        );
        let customer = store.ticket(1).unwrap().unwrap().customer;
        let scored = store
            .events_of(customer)
            .unwrap()
            .into_iter()
            .any(|e| matches!(e.kind, crmbot::domain::EventKind::Survey { score: 5, .. }));
        assert!(scored, "the customer's score is recorded");
        let logged = store.interactions_of(customer).unwrap();
        assert!(
            logged
                .iter()
                .filter_map(|i| i.text.as_deref())
                .any(|t| t.contains("[photo file_id=AgADphoto7000")),
            "the interaction log names the photo"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_discord_customer_and_a_telegram_forum_topic_both_ways_resolve_closes_it() {
        const GROUP: i64 = -100_555;
        let telegram = FakeTelegram::start().await;
        let discord = FakeDiscord::start().await;
        telegram.enable_topics(GROUP);
        let (tg_url, dc_url) = (telegram.url.clone(), discord.url.clone());
        let (_dir, store, engine) = fakes::engine(|s| {
            s.channels.telegram.enabled = true;
            s.channels.telegram.api_url = tg_url;
            s.channels.telegram.poll_timeout_secs = 1;
            s.channels.discord.enabled = true;
            s.channels.discord.api_url = dc_url;
            s.escalation.notify = vec![Destination {
                channel: Channel::Telegram,
                chat: GROUP.to_string(),
            }];
        });
        let running = Running::start(engine, secrets()).await;
        discord.wait_ready(LIMIT).await;
        telegram
            .wait_for("setmycommands", &["all_private_chats"], LIMIT)
            .await;

        discord.message(None, 800, 3001, "I want to talk to a human");
        telegram.wait_for("createforumtopic", &["#1"], LIMIT).await;
        let card = telegram
            .wait_for(
                "sendmessage",
                &["New ticket #1", "message_thread_id"],
                LIMIT,
            )
            .await;
        let thread = card.body["message_thread_id"].as_i64().unwrap();
        telegram.group_callback(GROUP, ALICE, "cb1", "/claim 1");
        telegram
            .wait_for("sendmessage", &["You hold ticket #1"], LIMIT)
            .await;
        for said in [
            "it arrived broken",
            "the glass is cracked",
            "I need it by Friday",
        ] {
            discord.message(None, 800, 3001, said);
            telegram
                .wait_for("sendmessage", &[said, &thread.to_string()], LIMIT)
                .await;
        }
        discord.message_with_file(
            800,
            3001,
            "https://cdn.discordapp.com/attachments/1/2/broken.png",
            "image/png",
            52_000,
        );
        telegram
            .wait_for("sendphoto", &["broken.png", &thread.to_string()], LIMIT)
            .await;
        telegram.topic_text(GROUP, thread, ALICE, "A new one is on its way");
        discord
            .wait_for(
                "POST /api/v10/channels/800/messages",
                &["A new one is on its way"],
                LIMIT,
            )
            .await;
        // A staff member's photo in the topic reaches the Discord customer as the picture.
        telegram.topic_photo(GROUP, thread, ALICE, "AgADstaffphoto");
        let photo = discord
            .wait_for("POST /api/v10/channels/800/messages", &["photo.jpg"], LIMIT)
            .await;
        assert!(photo.text().contains("JPEGDATA"), "{}", photo.text());
        telegram.group_callback(GROUP, ALICE, "cb2", "/resolve 1");
        telegram
            .wait_for("closeforumtopic", &[&thread.to_string()], LIMIT)
            .await;
        discord
            .wait_for(
                "POST /api/v10/channels/800/messages",
                &["How satisfied", "ticket #1"],
                LIMIT,
            )
            .await;
        running.stop().await;
        let ticket = store.ticket(1).unwrap().unwrap();
        assert_eq!(ticket.state, crmbot::domain::TicketState::Resolved);
        let logged = store.interactions_of(ticket.customer).unwrap();
        assert!(
            logged
                .iter()
                .filter_map(|i| i.text.as_deref())
                .any(|t| t.contains("[photo") && t.contains("broken.png")),
            "the interaction log names the photo"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_webhook_update_twice_is_answered_once_also_after_a_restart() {
        let fake = FakeTelegram::start().await;
        let url = fake.url.clone();
        let configure = move |s: &mut crmbot::config::Settings| {
            s.channels.telegram.enabled = true;
            s.channels.telegram.api_url = url.clone();
            s.channels.telegram.mode = crmbot::config::TelegramMode::Webhook;
            // Port 0: the system picks a free port on each start.
            s.channels.telegram.webhook_listen = "127.0.0.1:0".into();
            s.channels.telegram.webhook_url = "https://bot.example.com/telegram".into();
        };
        let (_dir, store, engine) = fakes::engine(configure.clone());
        let settings = engine.deps().settings.clone();
        let update = serde_json::json!({"update_id": 77, "message": {"message_id": 1,
            "date": 1_790_000_000, "chat": crate::fakes::telegram::private(9100),
            "from": {"id": 9100, "is_bot": false, "first_name": "Wes"}, "text": "hi"}});
        let client = reqwest::Client::new();
        let deliver = |running: &Running, secret: String| {
            let endpoint = format!("http://{}/telegram", running.webhook_addr.unwrap());
            let (client, update) = (client.clone(), update.clone());
            async move {
                let posted = client
                    .post(&endpoint)
                    .header("X-Telegram-Bot-Api-Secret-Token", secret)
                    .json(&update)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(posted.status(), 200);
            }
        };
        let running = Running::start(engine, secrets_telegram()).await;
        let secret = fake
            .wait_for("setwebhook", &["bot.example.com"], LIMIT)
            .await
            .field("secret_token")
            .unwrap();
        deliver(&running, secret.clone()).await;
        fake.wait_for("sendmessage", &["9100"], LIMIT).await;
        deliver(&running, secret.clone()).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        running.stop().await;
        assert_eq!(fake.calls("sendmessage").len(), 1, "answered once");

        // A restart on the same store: Telegram delivers the unconfirmed update again.
        let clock = std::sync::Arc::new(crmbot::clock::FixedClock::new(crate::common::now()));
        let engine = crmbot::app::build_engine(settings, store.clone(), clock).unwrap();
        let running = Running::start(engine, secrets_telegram()).await;
        fake.wait_for("setwebhook", &["bot.example.com"], LIMIT)
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        deliver(&running, secret).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        running.stop().await;
        assert_eq!(fake.calls("sendmessage").len(), 1, "still answered once");
    }

    fn secrets_telegram() -> Secrets {
        Secrets {
            telegram_token: Some("123456:TEST-TOKEN".into()),
            discord_token: None,
        }
    }
}

#[tokio::test]
async fn a_quiet_claimed_ticket_is_reminded_then_closed_with_csat_unless_the_customer_writes() {
    use chrono::Duration;
    use crmbot::clock::Clock;
    let h = Harness::new();
    let team = console_team();
    let opened = escalate(&h).await;
    let card = opened.to(&team).next().unwrap();
    h.send(ALICE, Body::Button(card.buttons[0].data.clone()))
        .await;
    h.say(OLIVIA, "the parcel is still missing").await;
    let olivia = OLIVIA.address();

    // 47 hours of silence: nothing yet.
    h.clock.advance(Duration::hours(47));
    assert!(
        h.engine
            .tend_quiet_tickets(h.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    // 48 hours: the customer is reminded once.
    h.clock.advance(Duration::hours(1));
    let reminded = h.engine.tend_quiet_tickets(h.clock.now()).await.unwrap();
    let reminder = HandoffText::QuietReminder {
        ticket: 1,
        close_in_hours: 24,
    }
    .render(Language::En);
    assert!(
        reminded
            .iter()
            .any(|m| m.to == olivia && m.text == reminder)
    );
    assert!(
        h.engine
            .tend_quiet_tickets(h.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        h.store.ticket(1).unwrap().unwrap().state,
        TicketState::Claimed
    );

    // 24 more quiet hours: closed by the bot, and the customer asked how it went.
    h.clock.advance(Duration::hours(24));
    let closed = h.engine.tend_quiet_tickets(h.clock.now()).await.unwrap();
    let csat = en(Reply::AskCsat { ticket: Some(1) });
    assert!(closed.iter().any(|m| m.to == olivia && m.text == csat));
    let ticket = h.store.ticket(1).unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Resolved);
    assert_eq!(
        ticket.assignee.as_deref(),
        Some("alice"),
        "the holder keeps the credit"
    );
    let transcript = h
        .store
        .transcript(1)
        .unwrap()
        .expect("a transcript is kept");
    assert!(transcript.contains("the parcel is still missing"));

    // A second ticket whose customer answers the reminder stays open.
    let second = h.say(OLIVIA, "I want to talk to a human").await;
    let card = second.to(&team).next().unwrap().clone();
    h.send(BOB, Body::Button(card.buttons[0].data.clone()))
        .await;
    h.clock.advance(Duration::hours(48));
    h.engine.tend_quiet_tickets(h.clock.now()).await.unwrap();
    h.say(OLIVIA, "still here, it has not arrived").await;
    h.clock.advance(Duration::hours(30));
    h.engine.tend_quiet_tickets(h.clock.now()).await.unwrap();
    assert_eq!(
        h.store.ticket(2).unwrap().unwrap().state,
        TicketState::Claimed
    );
}

#[tokio::test]
async fn snippets_saved_from_chat_are_sent_in_the_customers_language_with_their_name() {
    let h = Harness::new();
    let saved = h
        .say(ALICE, "/snippet save sorry Hi {first_name}, we are on it.")
        .await;
    assert!(to(&saved, &ALICE)[0].contains("Saved snippet sorry [en]"));
    let saved = h
        .say(ALICE, "/snippet save sorry {first_name}，我们正在处理。")
        .await;
    assert!(
        to(&saved, &ALICE)[0].contains("[zh]"),
        "{:?}",
        to(&saved, &ALICE)
    );
    let usage = h.say(ALICE, "/snippet save onlyname").await;
    assert!(to(&usage, &ALICE)[0].contains("/snippet save NAME TEXT"));

    escalate(&h).await;
    h.say(ALICE, "/claim 1").await;
    let sent = h.say(ALICE, "/snippet sorry").await;
    assert_eq!(to(&sent, &OLIVIA), ["alice: Hi Olivia, we are on it."]);

    let deleted = h.say(ALICE, "/snippet delete sorry").await;
    assert!(to(&deleted, &ALICE)[0].contains("Deleted snippet sorry"));
    let gone = h.say(ALICE, "/snippet sorry").await;
    assert!(to(&gone, &ALICE)[0].contains("There is no snippet called sorry"));
    assert!(to(&gone, &OLIVIA).is_empty());
}
