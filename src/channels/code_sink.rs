//! The `email` channel: where one-time link codes and account notices go. They are POSTed
//! as `{"email", "code_message"}` to a hook (the shop's mailer) when one is configured;
//! otherwise the development sink appends a line saying only that a message went to a
//! customer id (never the email, the code or the text). It is an outbox deliverer like the chat channels, so codes survive restarts
//! and failed hooks are retried.

use std::io::Write;
use std::path::PathBuf;

use crate::alerts::delivery::{Deliver, DeliveryError};
use crate::config::IdentitySettings;
use crate::domain::Channel;

/// Delivers items of the `email` channel.
#[derive(Debug, Clone)]
pub struct CodeSink {
    log: PathBuf,
    hook: Option<String>,
    client: reqwest::Client,
}

impl CodeSink {
    pub fn new(settings: &IdentitySettings) -> CodeSink {
        CodeSink {
            log: settings.code_log.clone(),
            hook: settings.code_hook_url.clone(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    fn append(&self, text: &str) -> std::io::Result<()> {
        if let Some(dir) = self.log.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let customer = customer_of(text).unwrap_or_else(|| "unknown".into());
        writeln!(
            file,
            "{}\tmessage sent to customer {customer}",
            chrono::Utc::now().to_rfc3339()
        )?;
        file.sync_data()
    }
}

/// The customer id a code or notice names ("... (customer 42)"), digits only.
fn customer_of(text: &str) -> Option<String> {
    let (_, rest) = text.rsplit_once("customer ")?;
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!id.is_empty()).then_some(id)
}

impl Deliver for CodeSink {
    fn handles(&self, channel: Channel) -> bool {
        channel == Channel::Email
    }

    async fn deliver(&self, _: Channel, email: &str, text: &str) -> Result<(), DeliveryError> {
        match &self.hook {
            None => self
                .append(text)
                .map_err(|e| DeliveryError::Failed(format!("{}: {e}", self.log.display()))),
            Some(url) => {
                let response = self
                    .client
                    .post(url)
                    .json(&serde_json::json!({ "email": email, "code_message": text }))
                    .send()
                    .await
                    .map_err(|e| DeliveryError::Failed(e.to_string()))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(DeliveryError::Failed(format!(
                        "the code hook answered {}",
                        response.status()
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_customer_id_is_taken_from_the_text() {
        assert_eq!(
            super::customer_of("Your crmbot code is 123456. ... (customer 42)."),
            Some("42".into())
        );
        assert_eq!(super::customer_of("no id here"), None);
    }
}
