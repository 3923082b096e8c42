//! Channel adapters: translate a platform's messages into engine [`Inbound`](crate::engine::Inbound)
//! values and deliver the engine's [`Outcome`](crate::engine::Outcome). No business logic
//! lives here: everything a user sees is decided by the engine.

pub mod code_sink;
pub mod console;
pub mod discord;
pub mod http_mailbox;
pub mod router;
pub mod telegram;
