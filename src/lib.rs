//! crmbot
pub mod alerts;
pub mod api;
pub mod app;
pub mod channels;
pub mod charts;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod import;
pub mod metrics;
pub mod models;
pub mod nlu;
pub mod routing;
pub mod sentiment;
pub mod store;
