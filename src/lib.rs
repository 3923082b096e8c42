//! crmbot
pub mod domain;
pub mod clock;
pub mod config;
pub mod store;
pub mod engine;
pub mod nlu;
pub mod sentiment;
pub mod demo;
pub mod channels;
pub mod app;
