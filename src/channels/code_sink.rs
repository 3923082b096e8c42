//! The `email` channel: where one-time link codes go. This version appends them to a log
//! file, or POSTs `{"email", "code_message"}` to a hook (the shop's mailer) when one is
//! configured. It is an outbox deliverer like the chat channels, so codes survive restarts
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

    fn append(&self, email: &str, text: &str) -> std::io::Result<()> {
        if let Some(dir) = self.log.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        writeln!(file, "{}\t{email}\t{text}", chrono::Utc::now().to_rfc3339())?;
        file.sync_data()
    }
}

impl Deliver for CodeSink {
    fn handles(&self, channel: Channel) -> bool {
        channel == Channel::Email
    }

    async fn deliver(&self, _: Channel, email: &str, text: &str) -> Result<(), DeliveryError> {
        match &self.hook {
            None => self
                .append(email, text)
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
