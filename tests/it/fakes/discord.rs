//! A fake Discord on axum: the REST routes serenity uses under its proxy base URL
//! (`/api/v10/gateway`, `/users/@me`, application commands, channel messages, interaction
//! callbacks and webhook edits) and a WebSocket gateway speaking Hello, Identify, Ready,
//! heartbeat ACK and the dispatches the test pushes (MESSAGE_CREATE, INTERACTION_CREATE).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{Recorded, wait_until};

pub const BOT_ID: u64 = 5_000_000_000_000_001;
pub const APP_ID: u64 = 5_000_000_000_000_002;

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    identified: usize,
    resumed: usize,
    next_id: u64,
    /// Answer the next `POST .../messages` with a 429.
    fail_next_message: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    events: broadcast::Sender<Value>,
    ws_url: String,
}

/// The running fake.
pub struct FakeDiscord {
    /// Base URL to give serenity (`http://127.0.0.1:PORT`).
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (events, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_id: 7_000_000_000_000_000,
                ..Inner::default()
            }),
            events,
            ws_url: format!("ws://{addr}/ws"),
        });
        let app = axum::Router::new()
            .route("/ws", axum::routing::get(gateway))
            .fallback(rest)
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeDiscord {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// How many Identify payloads the gateway has received.
    pub fn identified(&self) -> usize {
        self.shared.inner.lock().unwrap().identified
    }

    /// Closes every gateway connection (a lost connection); serenity reconnects.
    pub fn drop_connections(&self) {
        let _ = self.shared.events.send(json!({"close": true}));
    }

    /// How many Resume payloads the gateway has received.
    pub fn resumed(&self) -> usize {
        self.shared.inner.lock().unwrap().resumed
    }

    /// Sends a dispatch to every connected gateway session.
    pub fn dispatch(&self, event: &str, data: Value) {
        let _ = self.shared.events.send(json!({"t": event, "d": data}));
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.next_id += 1;
        inner.next_id
    }

    /// A message from `user` in `channel` (a DM when `guild` is `None`).
    pub fn message(&self, guild: Option<u64>, channel: u64, user: u64, content: &str) {
        let mut m = message_object(self.next_id(), channel, user_object(user, false), content);
        if let Some(guild) = guild {
            m["guild_id"] = json!(guild.to_string());
        }
        self.dispatch("MESSAGE_CREATE", m);
    }

    /// A message with one attachment (`content_type` e.g. `image/png`) from `user`.
    pub fn message_with_file(
        &self,
        channel: u64,
        user: u64,
        url: &str,
        content_type: &str,
        size: u64,
    ) {
        let mut m = message_object(self.next_id(), channel, user_object(user, false), "");
        m["attachments"] = json!([{"id": "9000000000000001", "filename": "photo.png",
            "size": size, "url": url, "proxy_url": url, "content_type": content_type,
            "height": 10, "width": 10}]);
        self.dispatch("MESSAGE_CREATE", m);
    }

    /// A press on a button under a message in a guild channel (staff buttons on a card).
    pub fn guild_button_press(&self, channel: u64, user: u64, custom_id: &str) {
        let id = self.next_id();
        let message = message_object(id - 1, channel, user_object(BOT_ID, true), "card");
        self.dispatch(
            "INTERACTION_CREATE",
            json!({
                "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 3,
                "data": {"custom_id": custom_id, "component_type": 2},
                "message": message, "guild_id": "31337",
                "channel_id": channel.to_string(),
                "channel": {"id": channel.to_string(), "type": 0},
                "member": {"user": user_object(user, false), "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00",
                    "deaf": false, "mute": false, "flags": 0, "permissions": "8"},
                "token": format!("itoken{id}"), "version": 1, "locale": "en-US",
                "app_permissions": "0", "entitlements": [], "authorizing_integration_owners": {},
                "context": 0, "attachment_size_limit": 8_388_608
            }),
        );
    }

    /// A slash command `/name` with options `(name, type, value)` from `user` in a DM channel.
    pub fn slash_command(&self, channel: u64, user: u64, name: &str, options: Value) {
        let id = self.next_id();
        self.dispatch(
            "INTERACTION_CREATE",
            json!({
                "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 2,
                "data": {"id": "6000000000000001", "name": name, "type": 1, "options": options},
                "channel_id": channel.to_string(),
                "channel": {"id": channel.to_string(), "type": 1},
                "user": user_object(user, false),
                "token": format!("itoken{id}"), "version": 1, "locale": "en-US",
                "app_permissions": "0", "entitlements": [], "authorizing_integration_owners": {},
                "context": 1, "attachment_size_limit": 8_388_608
            }),
        );
    }

    /// A press on the button with `custom_id` under a bot message in `channel`, by `user`.
    pub fn button_press(&self, channel: u64, user: u64, custom_id: &str) {
        let id = self.next_id();
        let message = message_object(id - 1, channel, user_object(BOT_ID, true), "Pick one");
        self.dispatch(
            "INTERACTION_CREATE",
            json!({
                "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 3,
                "data": {"custom_id": custom_id, "component_type": 2},
                "message": message,
                "channel_id": channel.to_string(),
                "channel": {"id": channel.to_string(), "type": 1},
                "user": user_object(user, false),
                "token": format!("itoken{id}"), "version": 1, "locale": "en-US",
                "app_permissions": "0", "entitlements": [], "authorizing_integration_owners": {},
                "context": 1, "attachment_size_limit": 8_388_608
            }),
        );
    }

    /// Answers the next channel message with a 429.
    pub fn fail_next_message(&self) {
        self.shared.inner.lock().unwrap().fail_next_message = true;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.inner.lock().unwrap().requests.clone()
    }

    /// Waits for a successful request whose `METHOD /path` contains `route` and whose body
    /// contains every one of `parts`.
    pub async fn wait_for(&self, route: &str, parts: &[&str], limit: Duration) -> Recorded {
        wait_until(
            limit,
            &format!("{route} with {parts:?}"),
            || self.requests(),
            |all| {
                all.iter()
                    .find(|r| {
                        r.method.contains(route)
                            && r.status < 300
                            && parts.iter().all(|p| r.text().contains(p))
                    })
                    .cloned()
            },
        )
        .await
    }

    /// Waits until the bot has identified on the gateway and registered its commands.
    pub async fn wait_ready(&self, limit: Duration) {
        wait_until(
            limit,
            "Identify and command registration",
            || self.requests(),
            |all| {
                (self.identified() > 0 && all.iter().any(|r| r.method.ends_with("/commands")))
                    .then_some(())
            },
        )
        .await;
    }
}

pub fn user_object(id: u64, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
        "global_name": format!("User {id}"), "avatar": null, "bot": bot})
}

fn message_object(id: u64, channel: u64, author: Value, content: &str) -> Value {
    json!({"id": id.to_string(), "channel_id": channel.to_string(), "author": author,
        "content": content, "timestamp": "2026-11-27T10:00:00.000000+00:00", "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": false, "type": 0})
}

async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body_value = if body.is_empty() {
        json!({})
    } else if is_json {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else {
        json!({ "raw": String::from_utf8_lossy(&body) })
    };
    let route = format!("{method} {path}");
    let mut inner = shared.inner.lock().unwrap();
    let record = |status: u16, inner: &mut Inner| {
        inner.requests.push(Recorded {
            method: route.clone(),
            body: body_value.clone(),
            status,
            at: Instant::now(),
        })
    };
    let posting_message = method == Method::POST && path.ends_with("/messages");
    if posting_message && inner.fail_next_message {
        inner.fail_next_message = false;
        record(429, &mut inner);
        let answer = json!({"message": "You are being rate limited.", "retry_after": 0.5,
            "global": false, "code": 0});
        return (StatusCode::TOO_MANY_REQUESTS, axum::Json(answer)).into_response();
    }
    record(200, &mut inner);
    inner.next_id += 1;
    let id = inner.next_id;
    drop(inner);
    let content = body_value["content"].as_str().unwrap_or("").to_owned();
    let answer = if path.ends_with("/gateway") || path.ends_with("/gateway/bot") {
        json!({"url": shared.ws_url, "shards": 1, "session_start_limit":
            {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
    } else if path.ends_with("/users/@me/channels") {
        // A DM channel with the recipient: its id is the recipient's id plus 10^9.
        let recipient: u64 = body_value["recipient_id"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .or_else(|| body_value["recipient_id"].as_u64())
            .unwrap_or(1);
        json!({"id": (recipient + 1_000_000_000).to_string(), "type": 1,
            "recipients": [user_object(recipient, false)]})
    } else if path.ends_with("/users/@me") {
        user_object(BOT_ID, true)
    } else if path.ends_with("/commands") {
        json!([])
    } else if path.ends_with("/callback") {
        return StatusCode::NO_CONTENT.into_response();
    } else if path.ends_with("/threads")
        || (method == Method::PATCH && path.contains("/channels/") && !path.contains("/messages"))
    {
        // A thread started on a message, or a thread archived / reopened: a channel object.
        let parent = path
            .split('/')
            .skip_while(|s| *s != "channels")
            .nth(1)
            .unwrap_or("1")
            .to_owned();
        let thread = if path.ends_with("/threads") {
            id.to_string()
        } else {
            parent.clone()
        };
        json!({"id": thread, "type": 11, "guild_id": "31337", "parent_id": parent,
            "name": body_value["name"].as_str().unwrap_or("ticket"),
            "thread_metadata": {"archived": body_value["archived"].as_bool().unwrap_or(false),
                "auto_archive_duration": 10080, "archive_timestamp": "2026-11-27T10:00:00.000000+00:00",
                "locked": false}})
    } else if path.contains("/channels/") || path.contains("/webhooks/") {
        let channel = path
            .split('/')
            .skip_while(|s| *s != "channels")
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        message_object(id, channel, user_object(BOT_ID, true), &content)
    } else {
        json!({})
    };
    axum::Json(answer).into_response()
}

async fn gateway(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(shared, socket))
}

async fn session(shared: Arc<Shared>, mut socket: WebSocket) {
    let mut events = shared.events.subscribe();
    let mut seq = 0u64;
    // A short heartbeat interval, so a dead connection is noticed within a test's time.
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 1000}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(frame)) = incoming else { return };
                let WsMessage::Text(text) = frame else { continue };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) => {
                        let ack = json!({"op": 11});
                        if socket.send(WsMessage::Text(ack.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    Some(2) => {
                        shared.inner.lock().unwrap().identified += 1;
                        seq += 1;
                        let ready = json!({"op": 0, "t": "READY", "s": seq, "d": {
                            "v": 10, "user": user_object(BOT_ID, true), "guilds": [],
                            "session_id": "fake-session", "resume_gateway_url": shared.ws_url,
                            "application": {"id": APP_ID.to_string(), "flags": 0}}});
                        if socket.send(WsMessage::Text(ready.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    Some(6) => {
                        shared.inner.lock().unwrap().resumed += 1;
                        seq += 1;
                        let resumed = json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}});
                        if socket.send(WsMessage::Text(resumed.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            event = events.recv() => {
                let Ok(event) = event else { continue };
                if event.get("close").is_some() {
                    // 4000 "unknown error": Discord's way of asking the client to reconnect.
                    let frame = axum::extract::ws::CloseFrame { code: 4000, reason: "test".into() };
                    let _ = socket.send(WsMessage::Close(Some(frame))).await;
                    return;
                }
                seq += 1;
                let dispatch = json!({"op": 0, "t": event["t"], "s": seq, "d": event["d"]});
                if socket.send(WsMessage::Text(dispatch.to_string().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Keeps the fake's `Duration` import meaningful for callers computing limits.
pub const READY_LIMIT: Duration = Duration::from_secs(5);
