//! crmbot: a customer-relationship chat agent.
//!
//! # Layout
//! - [`engine`] decides every reply (no platform types, no sled); [`routing`] holds its pure
//!   policies (escalation, offers, surveys).
//! - [`nlu`] and [`sentiment`] understand messages; [`models`] are the customer models
//!   (pure); [`training`] connects them to the [`store`], the only module touching sled.
//! - [`channels`] are thin adapters (console, Telegram, Discord, the code sink); [`api`] is
//!   the HTTP API; [`alerts`] schedules and delivers digests and alerts; [`insights`] and
//!   [`charts`] answer staff questions; [`import`] brings CRM data in.
//! - [`config`], [`clock`], [`metrics`], [`demo`] and [`app`] (wiring) serve all of them.
//!
//! See ARCHITECTURE.md for the flow of one message and the invariants.
pub mod actions;
pub mod alerts;
pub mod api;
pub mod app;
pub mod book;
pub mod channels;
pub mod charts;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod import;
pub mod insights;
pub mod knowledge;
pub mod metrics;
pub mod models;
pub mod nlu;
pub mod routing;
pub mod runner;
pub mod sentiment;
pub mod store;
pub mod support_eval;
pub mod training;
