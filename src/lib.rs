//! crmbot
pub mod domain;
