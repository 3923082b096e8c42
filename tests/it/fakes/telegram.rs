//! A fake Telegram Bot API on axum: answers `getMe`, long-polls `getUpdates` from a queue the
//! test fills, accepts `sendMessage`, `sendPhoto`, `answerCallbackQuery`, `setMyCommands`,
//! `deleteWebhook`, `getFile` and file downloads, and can answer the next call of a method with a 429 and `retry_after`.
//! Method names are matched case-insensitively (teloxide sends `GetUpdates`, `SendMessage`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{Recorded, wait_until};

#[derive(Default)]
struct Inner {
    updates: VecDeque<Value>,
    next_update: i64,
    next_message: i64,
    requests: Vec<Recorded>,
    /// Method (lower case) → `retry_after` seconds for its next call.
    fail_next: HashMap<String, u64>,
    /// Answer every call with 401 Unauthorized (a revoked token).
    reject_token: bool,
    /// Supergroups with topics enabled (`createForumTopic` works there).
    forums: Vec<i64>,
    next_thread: i32,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    arrived: Notify,
}

/// The running fake; dropped with the test's runtime.
pub struct FakeTelegram {
    /// Base URL to give teloxide (`http://127.0.0.1:PORT`).
    pub url: String,
    shared: Arc<Shared>,
}

pub const BOT_ID: i64 = 424242;

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts on a given address (to come back on a port the bot already uses).
    pub async fn start_on(addr: &str) -> FakeTelegram {
        let shared = Arc::new(Shared::default());
        shared.inner.lock().unwrap().next_update = 1;
        let app = axum::Router::new()
            .route("/{token}/{method}", axum::routing::post(handle).get(handle))
            .route("/file/{token}/{*path}", axum::routing::get(file))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeTelegram {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// Queues an update (`update_id` is assigned); returns its id.
    pub fn push(&self, mut update: Value) -> i64 {
        let id = {
            let mut inner = self.shared.inner.lock().unwrap();
            let id = inner.next_update;
            inner.next_update += 1;
            update["update_id"] = json!(id);
            inner.updates.push_back(update);
            id
        };
        self.shared.arrived.notify_waiters();
        id
    }

    /// A person's text (or other `extra` content) in a chat.
    pub fn message(&self, chat: Value, from: i64, content: Value) -> i64 {
        let mut message = json!({
            "message_id": 1000 + from,
            "date": 1_790_000_000,
            "chat": chat,
            "from": {"id": from, "is_bot": false, "first_name": format!("User{from}")},
        });
        for (k, v) in content.as_object().unwrap() {
            message[k] = v.clone();
        }
        self.push(json!({ "message": message }))
    }

    /// A private-chat text message from user `from`.
    pub fn private_text(&self, from: i64, text: &str) -> i64 {
        self.message(private(from), from, json!({ "text": text }))
    }

    /// A group text message from `from` in `group` (negative id).
    pub fn group_text(&self, group: i64, from: i64, text: &str) -> i64 {
        let chat = json!({"id": group, "type": "supergroup", "title": "Staff"});
        self.message(chat, from, json!({ "text": text }))
    }

    /// A sticker in a private chat.
    pub fn private_sticker(&self, from: i64) -> i64 {
        let sticker = json!({"file_id": "stk", "file_unique_id": "stku", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍"});
        self.message(private(from), from, json!({ "sticker": sticker }))
    }

    /// Turns topics on in a supergroup.
    pub fn enable_topics(&self, group: i64) {
        self.shared.inner.lock().unwrap().forums.push(group);
    }

    /// A staff member's text in a forum topic.
    pub fn topic_text(&self, group: i64, thread: i64, from: i64, text: &str) -> i64 {
        let chat = json!({"id": group, "type": "supergroup", "title": "Staff", "is_forum": true});
        self.message(
            chat,
            from,
            json!({"text": text, "message_thread_id": thread, "is_topic_message": true}),
        )
    }

    /// A staff member's photo in a forum topic.
    pub fn topic_photo(&self, group: i64, thread: i64, from: i64, file_id: &str) -> i64 {
        let chat = json!({"id": group, "type": "supergroup", "title": "Staff", "is_forum": true});
        let photo = json!([{"file_id": file_id, "file_unique_id": "u2", "width": 640,
            "height": 480, "file_size": 30_000}]);
        self.message(
            chat,
            from,
            json!({"photo": photo, "message_thread_id": thread, "is_topic_message": true}),
        )
    }

    /// A group text answering the bot's message `reply_to` (a card or a relayed message).
    pub fn group_reply(&self, group: i64, from: i64, reply_to: i64, text: &str) -> i64 {
        let chat = json!({"id": group, "type": "supergroup", "title": "Staff"});
        let replied = json!({"message_id": reply_to, "date": 1_790_000_000, "chat": chat.clone(),
            "from": {"id": BOT_ID, "is_bot": true, "first_name": "CRM"}, "text": "card"});
        self.message(
            chat,
            from,
            json!({"text": text, "reply_to_message": replied}),
        )
    }

    /// A photo in a private chat.
    pub fn private_photo(&self, from: i64, file_id: &str, size: u32) -> i64 {
        let photo = json!([{"file_id": file_id, "file_unique_id": "u1", "width": 800,
            "height": 600, "file_size": size}]);
        self.message(private(from), from, json!({ "photo": photo }))
    }

    /// An inline-keyboard press in a group chat (a card's button).
    pub fn group_callback(&self, group: i64, from: i64, id: &str, data: &str) -> i64 {
        let chat = json!({"id": group, "type": "supergroup", "title": "Staff"});
        self.push(json!({"callback_query": {
            "id": id, "chat_instance": "ci", "data": data,
            "from": {"id": from, "is_bot": false, "first_name": format!("User{from}")},
            "message": {"message_id": 7, "date": 1_790_000_000, "chat": chat,
                        "from": {"id": BOT_ID, "is_bot": true, "first_name": "CRM"},
                        "text": "card"}
        }}))
    }

    /// An inline-keyboard press in a private chat.
    pub fn callback(&self, from: i64, id: &str, data: &str) -> i64 {
        self.push(json!({"callback_query": {
            "id": id, "chat_instance": "ci", "data": data,
            "from": {"id": from, "is_bot": false, "first_name": format!("User{from}")},
            "message": {"message_id": 7, "date": 1_790_000_000, "chat": private(from),
                        "from": {"id": BOT_ID, "is_bot": true, "first_name": "CRM"},
                        "text": "Pick one"}
        }}))
    }

    /// Answers the next call of `method` with 429 and `retry_after`.
    pub fn fail_next(&self, method: &str, retry_after: u64) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .fail_next
            .insert(method.to_lowercase(), retry_after);
    }

    /// Answers every call with 401, as Telegram does for a revoked token.
    pub fn reject_token(&self) {
        self.shared.inner.lock().unwrap().reject_token = true;
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.inner.lock().unwrap().requests.clone()
    }

    /// Waits for a successful call of `method` whose body contains every one of `parts`.
    pub async fn wait_for(&self, method: &str, parts: &[&str], limit: Duration) -> Recorded {
        let method = method.to_lowercase();
        wait_until(
            limit,
            &format!("{method} with {parts:?}"),
            || self.requests(),
            |all| {
                all.iter()
                    .find(|r| {
                        r.method == method
                            && r.status == 200
                            && parts.iter().all(|p| r.text().contains(p))
                    })
                    .cloned()
            },
        )
        .await
    }

    /// Successful calls of `method` so far.
    pub fn calls(&self, method: &str) -> Vec<Recorded> {
        let method = method.to_lowercase();
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.status == 200)
            .collect()
    }
}

pub fn private(id: i64) -> Value {
    json!({"id": id, "type": "private", "first_name": format!("User{id}")})
}

fn ok(result: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"ok": true, "result": result})),
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((_token, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = method.to_lowercase();
    let json_body = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body: Value = if json_body {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    } else if body.is_empty() {
        json!({})
    } else {
        json!({ "raw": String::from_utf8_lossy(&body) })
    };
    let at = Instant::now();
    if shared.inner.lock().unwrap().reject_token {
        let answer = json!({"ok": false, "error_code": 401, "description": "Unauthorized"});
        return (StatusCode::UNAUTHORIZED, axum::Json(answer)).into_response();
    }
    let retry = shared.inner.lock().unwrap().fail_next.remove(&method);
    if let Some(retry_after) = retry {
        shared.inner.lock().unwrap().requests.push(Recorded {
            method,
            body,
            status: 429,
            at,
        });
        let answer = json!({"ok": false, "error_code": 429,
            "description": format!("Too Many Requests: retry after {retry_after}"),
            "parameters": {"retry_after": retry_after}});
        return (StatusCode::TOO_MANY_REQUESTS, axum::Json(answer)).into_response();
    }
    if method == "getupdates" {
        return get_updates(&shared, body, at).await;
    }
    let response = match method.as_str() {
        "getme" => ok(json!({"id": BOT_ID, "is_bot": true, "first_name": "CRM",
            "username": "crm_test_bot", "can_join_groups": true,
            "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false})),
        "createforumtopic" => {
            let mut inner = shared.inner.lock().unwrap();
            let chat = body["chat_id"].as_i64().unwrap_or(1);
            if !inner.forums.contains(&chat) {
                drop(inner);
                let answer = json!({"ok": false, "error_code": 400,
                    "description": "Bad Request: the chat is not a forum"});
                shared.inner.lock().unwrap().requests.push(Recorded {
                    method,
                    body,
                    status: 400,
                    at,
                });
                return (StatusCode::BAD_REQUEST, axum::Json(answer)).into_response();
            }
            inner.next_thread += 1;
            let thread = 100 + inner.next_thread;
            ok(json!({"message_thread_id": thread, "name": body["name"], "icon_color": 7322096}))
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or("unknown").to_owned();
            ok(
                json!({"file_id": id, "file_unique_id": "u1", "file_size": 8,
                "file_path": format!("photos/{id}.jpg")}),
            )
        }
        "sendmessage" | "sendphoto" | "senddocument" | "sendsticker" | "sendvoice" => {
            let mut inner = shared.inner.lock().unwrap();
            inner.next_message += 1;
            let chat = body["chat_id"].as_i64().unwrap_or(1);
            ok(
                json!({"message_id": inner.next_message, "date": 1_790_000_000,
                "chat": private(chat),
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "CRM"},
                "text": body["text"].as_str().unwrap_or("photo")}),
            )
        }
        _ => ok(json!(true)),
    };
    shared.inner.lock().unwrap().requests.push(Recorded {
        method,
        body,
        status: 200,
        at,
    });
    response
}

/// A file download (`/file/bot<token>/<path>`): the bytes `JPEGDATA` for any path.
async fn file(Path(_): Path<(String, String)>) -> Response {
    (StatusCode::OK, "JPEGDATA").into_response()
}

/// Long polling: drops confirmed updates (id < offset), answers at once when some are
/// pending, else waits for one up to the timeout (at most 2 s here).
async fn get_updates(shared: &Arc<Shared>, body: Value, at: Instant) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0).min(2));
    shared.inner.lock().unwrap().requests.push(Recorded {
        method: "getupdates".into(),
        body,
        status: 200,
        at,
    });
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let arrived = shared.arrived.notified();
        {
            let mut inner = shared.inner.lock().unwrap();
            inner
                .updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !inner.updates.is_empty() {
                let pending: Vec<Value> = inner.updates.iter().cloned().collect();
                return ok(Value::Array(pending));
            }
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            return ok(json!([]));
        }
    }
}
