//! The one integration-test binary: scripted conversations through the engine, the store's
//! durability, and the real `crmbot` binary driven like a user would.

mod actions;
mod api;
mod architecture;
mod cli;
mod common;
mod conversation;
mod crash;
mod data;
mod discord;
mod erasure;
mod fakes;
mod handoff;
mod hardening;
mod helpcentre;
mod insights;
mod routing;
mod store;
mod telegram;
