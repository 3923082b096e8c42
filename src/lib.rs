//! crmbot
pub mod domain;
pub mod nlu;
pub mod sentiment;
