//! The real Discord adapter (serenity) against the fake REST API and gateway: DM replies,
//! slash commands registered per guild and answered ephemerally, guild chatter ignored, a
//! 429 waited out; and the cross-platform path: a Telegram customer's escalation reaches
//! the Discord staff channel and the staff reply typed there reaches the Telegram customer.

use std::time::Duration;

use crmbot::config::{Destination, Secrets};
use crmbot::domain::Channel;
use crmbot::engine::{Address, Button, Image, Outbound};
use serde_json::json;

use crate::fakes::discord::FakeDiscord;
use crate::fakes::telegram::FakeTelegram;
use crate::fakes::{self, Running};

const LIMIT: Duration = Duration::from_secs(5);
const GUILD: u64 = 31337;
const STAFF_CHANNEL: u64 = 900;
/// bob, staff on Discord in `common::settings`.
const BOB: u64 = 2002;

fn secrets(telegram: bool) -> Secrets {
    Secrets {
        telegram_token: telegram.then(|| "123456:TEST-TOKEN".to_string()),
        discord_token: Some("fake-discord-token".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dms_slash_commands_and_rate_limits() {
    let fake = FakeDiscord::start().await;
    let url = fake.url.clone();
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.discord.enabled = true;
        s.channels.discord.api_url = url;
        s.channels.discord.guild_id = Some(GUILD);
    });
    let running = Running::start(engine, secrets(false)).await;
    fake.wait_ready(LIMIT).await;
    fake.wait_for(
        &format!(
            "PUT /api/v10/applications/{}/guilds/{GUILD}/commands",
            fakes::discord::APP_ID
        ),
        &["reply", "tickets"],
        LIMIT,
    )
    .await;

    // A customer's DM gets its reply in the DM channel.
    fake.message(None, 800, 3001, "hi");
    fake.wait_for("POST /api/v10/channels/800/messages", &[], LIMIT)
        .await;

    // Chatter in a guild channel from someone who is not staff is not answered.
    fake.message(Some(GUILD), STAFF_CHANNEL, 3002, "hello everyone");

    // A staff slash command is deferred ephemerally, then answered by editing the response.
    fake.slash_command(801, BOB, "tickets", json!([]));
    let defer = fake.wait_for("/callback", &[], LIMIT).await;
    assert_eq!(defer.body["type"], 5, "deferred: {}", defer.text());
    assert_eq!(
        defer.body["data"]["flags"],
        64,
        "ephemeral: {}",
        defer.text()
    );
    fake.wait_for("PATCH /api/v10/webhooks/", &["ticket"], LIMIT)
        .await;

    // A button press is acknowledged and reaches the engine as the button's data.
    fake.button_press(804, 3004, "/help");
    let ack = fake.wait_for("/callback", &["\"type\":6"], LIMIT).await;
    println!("button acknowledged: {}", ack.text());
    fake.wait_for("POST /api/v10/channels/804/messages", &[], LIMIT)
        .await;

    // Anything can be posted to any channel through the router: text, buttons, a chart.
    running
        .router
        .post(Outbound {
            to: Address {
                channel: Channel::Discord,
                chat: "803".into(),
            },
            text: "Would you like 20% off your next order?".into(),
            buttons: vec![Button {
                label: "Yes please".into(),
                data: "offer:yes".into(),
            }],
            image: Some(Image {
                png: b"\x89PNG\r\n\x1a\nfake".to_vec(),
                caption: "Your savings".into(),
            }),
            attachment: None,
            space: None,
        })
        .unwrap();
    fake.wait_for("POST /api/v10/channels/803/messages", &["20% off"], LIMIT)
        .await;
    fake.wait_for(
        "POST /api/v10/channels/803/messages",
        &["chart.png", "Your savings", "offer:yes"],
        LIMIT,
    )
    .await;

    // A lookup typed as text in a guild channel is answered in a DM with the asker; the
    // channel is only told where the answer went.
    fake.message(Some(GUILD), 905, BOB, "/customer 42");
    fake.wait_for(
        "POST /api/v10/users/@me/channels",
        &[&BOB.to_string()],
        LIMIT,
    )
    .await;
    let dm = format!("POST /api/v10/channels/{}/messages", BOB + 1_000_000_000);
    let answer = fake.wait_for(&dm, &["42"], LIMIT).await;
    println!("customer 360 in DM: {}", answer.text());
    fake.wait_for(
        "POST /api/v10/channels/905/messages",
        &["direct message"],
        LIMIT,
    )
    .await;

    // A 429 on a channel message is waited out and the message sent again.
    fake.fail_next_message();
    fake.message(None, 802, 3003, "where is my order?");
    fake.wait_for("POST /api/v10/channels/802/messages", &[], LIMIT)
        .await;
    running.stop().await;

    let requests = fake.requests();
    let to_802: Vec<_> = requests
        .iter()
        .filter(|r| r.method.contains("/channels/802/"))
        .collect();
    assert_eq!(to_802[0].status, 429);
    assert!(to_802.iter().any(|r| r.status == 200));
    assert!(
        !requests
            .iter()
            .any(|r| r.method.contains(&format!("/channels/{STAFF_CHANNEL}/"))),
        "guild chatter from non-staff was ignored"
    );
    let in_channel: Vec<String> = requests
        .iter()
        .filter(|r| r.method.contains("/channels/905/"))
        .map(|r| r.text())
        .collect();
    assert_eq!(
        in_channel.len(),
        1,
        "only the pointer to the DM: {in_channel:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_connection_is_resumed() {
    let fake = FakeDiscord::start().await;
    let url = fake.url.clone();
    let (_dir, _store, engine) = fakes::engine(|s| {
        s.channels.discord.enabled = true;
        s.channels.discord.api_url = url;
    });
    let running = Running::start(engine, secrets(false)).await;
    fake.wait_ready(LIMIT).await;
    fake.drop_connections();
    let start = std::time::Instant::now();
    while fake.resumed() + fake.identified() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "serenity did not reconnect"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("gateway reconnected after {:?}", start.elapsed());
    fake.message(None, 810, 3010, "hi");
    fake.wait_for("POST /api/v10/channels/810/messages", &[], LIMIT)
        .await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_escalation_reaches_discord_staff_and_their_reply_reaches_telegram() {
    let telegram = FakeTelegram::start().await;
    let discord = FakeDiscord::start().await;
    let (tg_url, dc_url) = (telegram.url.clone(), discord.url.clone());
    let (_dir, _store, engine) = fakes::engine(|s| {
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
    let running = Running::start(engine, secrets(true)).await;
    discord.wait_ready(LIMIT).await;
    telegram
        .wait_for("setmycommands", &["all_private_chats"], LIMIT)
        .await;

    telegram.private_text(7000, "I want to talk to a human");
    telegram
        .wait_for("sendmessage", &["7000", "ticket #1"], LIMIT)
        .await;
    let card = discord
        .wait_for(
            &format!("POST /api/v10/channels/{STAFF_CHANNEL}/messages"),
            &["New ticket #1", "telegram"],
            LIMIT,
        )
        .await;
    println!("escalation card on Discord: {}", card.text());
    assert_eq!(
        card.body["allowed_mentions"]["parse"],
        json!([]),
        "quoted customer text pings nobody"
    );

    discord.message(
        Some(GUILD),
        STAFF_CHANNEL,
        BOB,
        "/reply 1 Hello from Bob, I'm on it",
    );
    telegram
        .wait_for("sendmessage", &["7000", "Hello from Bob, I'm on it"], LIMIT)
        .await;
    discord
        .wait_for(
            &format!("POST /api/v10/channels/{STAFF_CHANNEL}/messages"),
            &["Sent to the customer of ticket #1"],
            LIMIT,
        )
        .await;
    running.stop().await;
}
