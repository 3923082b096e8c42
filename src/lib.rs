//! crmbot
pub mod domain;
pub mod models;
