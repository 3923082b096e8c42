//! crmbot
