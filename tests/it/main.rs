//! The one integration-test binary: scripted conversations through the engine, the store's
//! durability, and the real `crmbot` binary driven like a user would.

mod api;
mod cli;
mod common;
mod conversation;
mod crash;
mod data;
mod discord;
mod fakes;
mod handoff;
mod insights;
mod routing;
mod store;
mod telegram;
