//! Typed settings: built-in defaults, then a TOML file, then a few environment variables.
//!
//! Every field has a doc comment and a default, so `config/default.toml` runs with no
//! secrets. Unknown keys are errors (`deny_unknown_fields`) that name the file, the line and
//! the key. Secrets (bot tokens, API tokens) are never read from files: the channel adapters
//! take them from the environment, see [`Secrets`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

pub use crate::alerts::AlertSettings;
pub use crate::api::HttpSettings;
use crate::domain::{Language, StaffRole};
pub use crate::models::pipeline::ModelSettings;
pub use crate::routing::escalation::{Destination, EscalationSettings};
pub use crate::routing::handoff::HandoffSettings;
pub use crate::routing::offers::OfferSettings;
pub use crate::routing::surveys::SurveySettings;

/// Everything the process can be told, grouped by the part it configures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where and how the embedded store keeps its data.
    pub store: StoreSettings,
    /// Demo data seeded into an empty store.
    pub demo: DemoSettings,
    /// Conversation behaviour.
    pub engine: EngineSettings,
    /// Directory of the intent definition files.
    pub intents_dir: PathBuf,
    /// The help centre: where its articles are and when an article is the answer.
    pub help: crate::knowledge::HelpSettings,
    /// Staff members and their roles.
    pub staff: Vec<StaffMember>,
    /// When conversations go to a person, and where staff hear of it.
    pub escalation: EscalationSettings,
    /// Hand-off to a person: reopening, internal notes, auto-close.
    pub handoff: HandoffSettings,
    /// Chat platforms served by `crmbot run`.
    pub channels: ChannelSettings,
    /// The offer catalogue and its holdout group.
    pub offers: OfferSettings,
    /// When satisfaction questions are asked.
    pub surveys: SurveySettings,
    /// Churn alerts and the daily digest for team chats.
    pub alerts: AlertSettings,
    /// The HTTP API (ingest, lookups, HTTP chat, metrics).
    pub http: HttpSettings,
    /// How long personal data is kept.
    pub privacy: PrivacySettings,
    /// Customer models: lifecycle thresholds, churn labels, CLV, segments, rules.
    pub models: ModelSettings,
    /// Linking a chat identity to an existing customer with a one-time code.
    pub identity: IdentitySettings,
    /// Account managers' books of business: owner assignment rules.
    pub book: crate::book::BookSettings,
    /// The shop's policy for actions in chat (return window) and the backend that does them.
    pub actions: crate::actions::ActionSettings,
    /// Bounds on imported amounts, quantities, dates and fields.
    pub import: crate::import::ImportLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store: StoreSettings::default(),
            demo: DemoSettings::default(),
            engine: EngineSettings::default(),
            intents_dir: PathBuf::from("intents"),
            help: crate::knowledge::HelpSettings::default(),
            staff: Vec::new(),
            escalation: EscalationSettings::default(),
            handoff: HandoffSettings::default(),
            channels: ChannelSettings::default(),
            offers: OfferSettings::default(),
            surveys: SurveySettings::default(),
            alerts: AlertSettings::default(),
            http: HttpSettings::default(),
            privacy: PrivacySettings::default(),
            models: ModelSettings::default(),
            identity: IdentitySettings::default(),
            book: crate::book::BookSettings::default(),
            actions: crate::actions::ActionSettings::default(),
            import: crate::import::ImportLimits::default(),
        }
    }
}

/// Settings of the embedded sled store.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Directory of the store; created when missing. `--store` and `CRMBOT_STORE` override it.
    pub path: PathBuf,
    /// Page cache size in MiB (sled's own default is 1 GiB, too much for a bot).
    pub cache_capacity_mb: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            path: PathBuf::from("data/crmbot.sled"),
            cache_capacity_mb: 64,
        }
    }
}

/// Demo data used when `crmbot chat` starts on an empty store.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Seed the demo customers into an empty store when the console chat starts.
    pub seed_empty_store: bool,
    /// How many demo customers to generate.
    pub customers: u32,
    /// Random seed: the same seed and reference day give the same customers.
    pub seed: u64,
}

impl Default for DemoSettings {
    fn default() -> Self {
        DemoSettings {
            seed_empty_store: true,
            customers: 2000,
            seed: 42,
        }
    }
}

/// How conversations behave.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// Longest message accepted, in characters; longer ones are refused with a message.
    pub max_message_chars: usize,
    /// Language used when a message gives no clue (empty, digits only).
    pub default_language: Language,
    /// Misunderstood messages in a row after which the bot offers a person.
    pub failures_before_human: u8,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            max_message_chars: 4000,
            default_language: Language::En,
            failures_before_human: 2,
        }
    }
}

/// Linking chat users to customers: the user gives their email, a one-time code goes to
/// that customer through the code sink, the user types it back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySettings {
    /// Minutes a code stays valid.
    pub code_ttl_minutes: u32,
    /// Wrong codes allowed per email and per chat user before linking is locked for them
    /// (a new code does not reset the count).
    pub max_attempts: u8,
    /// The first lock-out in minutes; each later one doubles (at most a day).
    pub lockout_minutes: u32,
    /// Wrong codes allowed over all users within an hour before linking is locked for all.
    pub global_max_attempts: u32,
    /// File the development sink appends to when no hook is set: it records only that a
    /// code or notice went to a customer id, never the email or the code.
    pub code_log: PathBuf,
    /// URL that receives `{"email", "code", "customer"}` as JSON by POST instead (e.g. the
    /// shop's mailer).
    pub code_hook_url: Option<String>,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        IdentitySettings {
            code_ttl_minutes: 10,
            max_attempts: 3,
            lockout_minutes: 15,
            global_max_attempts: 50,
            code_log: PathBuf::from("data/link-codes.log"),
            code_hook_url: None,
        }
    }
}

/// The chat platforms `crmbot run` serves. Tokens come from the environment only
/// (`TELOXIDE_TOKEN`, `DISCORD_TOKEN`); an enabled channel without its token is an error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelSettings {
    /// The Telegram bot (customers in private chats, staff in groups).
    pub telegram: TelegramSettings,
    /// The Discord bot (customers in DMs, staff in guild channels and slash commands).
    pub discord: DiscordSettings,
    /// The console channel while `crmbot run` runs (`crmbot chat` is the interactive console).
    pub console: ConsoleSettings,
}

/// How updates arrive from Telegram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelegramMode {
    /// Long polling with `getUpdates`: works behind NAT, no public address needed.
    #[default]
    Polling,
    /// Telegram posts updates to `webhook_url`, served on `webhook_listen`.
    Webhook,
}

/// Settings of the Telegram adapter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramSettings {
    /// Serve Telegram in `crmbot run` (needs `TELOXIDE_TOKEN`).
    pub enabled: bool,
    /// Bot API base URL; empty means `https://api.telegram.org`. `TELOXIDE_API_URL`
    /// overrides it (a local Bot API server, or a test fake).
    pub api_url: String,
    /// `polling` (default) or `webhook`.
    pub mode: TelegramMode,
    /// Long-polling timeout in seconds (kept below teloxide's 17 s HTTP timeout).
    pub poll_timeout_secs: u32,
    /// Webhook mode: the local address the webhook server listens on.
    pub webhook_listen: String,
    /// Webhook mode: the public HTTPS URL Telegram posts updates to (reaches `webhook_listen`
    /// through your reverse proxy).
    pub webhook_url: String,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        TelegramSettings {
            enabled: true,
            api_url: String::new(),
            mode: TelegramMode::Polling,
            poll_timeout_secs: 10,
            webhook_listen: "127.0.0.1:8443".into(),
            webhook_url: String::new(),
        }
    }
}

/// Settings of the Discord adapter.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordSettings {
    /// Serve Discord in `crmbot run` (needs `DISCORD_TOKEN`).
    pub enabled: bool,
    /// REST base URL replacing `https://discord.com` (e.g. an API proxy or a test fake);
    /// empty means Discord itself. `DISCORD_API_URL` overrides it. With a custom base,
    /// serenity's own rate limiter is off and crmbot's outbound queue paces the requests.
    pub api_url: String,
    /// Guild (server) whose slash commands are registered (instantly); when absent the
    /// commands are registered globally (Discord may take up to an hour to show them).
    pub guild_id: Option<u64>,
}

/// The console while `crmbot run` runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Print messages addressed to the console channel (such as escalation cards for the
    /// `console`/`staff` destination) on standard output while `crmbot run` runs.
    pub enabled: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings { enabled: true }
    }
}

/// Retention of personal data.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacySettings {
    /// Message texts older than this many days are removed (daily in `crmbot run`, or
    /// `crmbot retention`); intents, sentiment and scores are kept. 0 keeps texts.
    pub retention_days: u32,
}

/// A staff member who may use staff commands.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// Name used in `/as staff:NAME`, ticket assignment and the audit log.
    pub name: String,
    /// What the member may do.
    pub role: StaffRole,
    /// Telegram numeric user id, if the member uses Telegram.
    #[serde(default)]
    pub telegram: Option<i64>,
    /// Discord user id, if the member uses Discord.
    #[serde(default)]
    pub discord: Option<u64>,
}

/// Secrets read from the environment only, never from files.
#[derive(Clone, Default)]
pub struct Secrets {
    /// `TELOXIDE_TOKEN`: the Telegram bot token.
    pub telegram_token: Option<String>,
    /// `DISCORD_TOKEN`: the Discord bot token.
    pub discord_token: Option<String>,
}

impl Secrets {
    /// Reads the secrets from the process environment.
    pub fn from_env() -> Self {
        Secrets {
            telegram_token: std::env::var("TELOXIDE_TOKEN")
                .ok()
                .filter(|v| !v.is_empty()),
            discord_token: std::env::var("DISCORD_TOKEN")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &Option<String>| if s.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Secrets")
            .field("telegram_token", &shown(&self.telegram_token))
            .field("discord_token", &shown(&self.discord_token))
            .finish()
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is invalid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("environment variable {var} is invalid: {message}")]
    Env { var: &'static str, message: String },
}

impl Settings {
    /// Loads settings from `path` (or built-in defaults when `None`), then applies the
    /// environment overrides (`CRMBOT_STORE`, `TELOXIDE_API_URL`, `DISCORD_API_URL`).
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings = match path {
            Some(path) => Self::from_file(path)?,
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    /// Parses one TOML file; errors name the file, the line and the offending key.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses TOML text; the error is toml's message, which names the key and position.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| describe_toml_error(text, &e))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), String> {
        if self.escalation.sla_hours.contains(&0) {
            return Err("escalation.sla_hours: every priority needs at least 1 hour".into());
        }
        if self.offers.holdout_percent > 100 {
            return Err("offers.holdout_percent must be between 0 and 100".into());
        }
        let mut offer_ids = std::collections::HashSet::new();
        for offer in &self.offers.catalogue {
            let known = || crate::models::segments::segment_names();
            if let Some(unknown) = offer.segments.iter().find(|s| {
                !known().any(|k| {
                    s.eq_ignore_ascii_case(k)
                        || s.to_ascii_lowercase()
                            .strip_prefix(k)
                            .is_some_and(|n| n.trim().parse::<u32>().is_ok())
                })
            }) {
                return Err(format!(
                    "offers.catalogue {:?}: unknown segment {unknown:?}, expected one of {}",
                    offer.id,
                    known()
                        .map(|k| format!("{k:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !offer_ids.insert(offer.id.as_str()) {
                return Err(format!(
                    "offers.catalogue: the id {:?} appears twice",
                    offer.id
                ));
            }
        }
        if self.engine.max_message_chars == 0 {
            return Err("engine.max_message_chars must be at least 1".into());
        }
        let telegram = &self.channels.telegram;
        if telegram.enabled
            && telegram.mode == TelegramMode::Webhook
            && telegram.webhook_url.trim().is_empty()
        {
            return Err("channels.telegram.webhook_url is required in webhook mode".into());
        }
        if telegram.poll_timeout_secs > 15 {
            return Err("channels.telegram.poll_timeout_secs must be at most 15".into());
        }
        let mut names = std::collections::HashSet::new();
        for member in &self.staff {
            if member.name.trim().is_empty() {
                return Err("staff: a member has an empty name".into());
            }
            if !names.insert(member.name.to_lowercase()) {
                return Err(format!("staff: the name {:?} appears twice", member.name));
            }
        }
        Ok(())
    }

    /// Applies the environment overrides, reading variables through `get` (testable).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(path) = get("CRMBOT_STORE").filter(|v| !v.is_empty()) {
            self.store.path = PathBuf::from(path);
        }
        if let Some(url) = get("TELOXIDE_API_URL").filter(|v| !v.is_empty()) {
            self.channels.telegram.api_url = url;
        }
        if let Some(url) = get("DISCORD_API_URL").filter(|v| !v.is_empty()) {
            self.channels.discord.api_url = url;
        }
        if let Some(n) = get("CRMBOT_DEMO_CUSTOMERS").filter(|v| !v.is_empty()) {
            self.demo.customers = n.parse().map_err(|e| ConfigError::Env {
                var: "CRMBOT_DEMO_CUSTOMERS",
                message: format!("expected a whole number, got {n:?} ({e})"),
            })?;
        }
        Ok(())
    }

    /// Finds a staff member by name, case-insensitively.
    pub fn staff_by_name(&self, name: &str) -> Option<&StaffMember> {
        self.staff
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }
}

/// One line: where, what, and the offending line of the file.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let source = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("line {line}, column {column}: {message} (at `{source}`)")
        }
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::models::lifecycle::Stage;

    #[test]
    fn committed_default_file_matches_built_in_defaults() {
        let text = include_str!("../config/default.toml");
        assert_eq!(Settings::from_toml(text).unwrap(), Settings::default());
    }

    #[test]
    fn production_example_parses() {
        let text = include_str!("../config/production.example.toml");
        let settings = Settings::from_toml(text).unwrap();
        assert!(!settings.staff.is_empty());
    }

    fn offer_with(extra: &str) -> String {
        format!(
            "[[offers.catalogue]]\nid = \"winback\"\nmoment = \"retention\"\n\
             text_en = \"Stay\"\ntext_zh = \"留下\"\n{extra}\n"
        )
    }

    #[test]
    fn an_offer_for_an_unknown_stage_is_refused_with_line_and_allowed_values() {
        let err = Settings::from_toml(&offer_with("stages = [\"at_risc\"]")).unwrap_err();
        assert!(err.contains("line 6"), "{err}");
        assert!(err.contains("at_risc"), "{err}");
        assert!(err.contains("at_risk") && err.contains("churned"), "{err}");
        let ok = Settings::from_toml(&offer_with("stages = [\"at_risk\"]")).unwrap();
        assert_eq!(ok.offers.catalogue[0].stages, vec![Stage::AtRisk]);
    }

    #[test]
    fn an_offer_for_an_unknown_segment_is_refused_with_the_allowed_names() {
        let err = Settings::from_toml(&offer_with("segments = [\"champs\"]")).unwrap_err();
        assert!(
            err.contains("champs") && err.contains("\"champions\""),
            "{err}"
        );
        assert!(Settings::from_toml(&offer_with("segments = [\"Champions\"]")).is_ok());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Settings::from_toml("[store]\ncache_mb = 3\n").unwrap_err();
        assert!(err.contains("cache_mb"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn wrong_type_names_key_and_expectation() {
        let err = Settings::from_toml("[engine]\nmax_message_chars = \"many\"\n").unwrap_err();
        assert!(err.contains("max_message_chars"), "{err}");
        assert!(err.contains("expected usize"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    #[test]
    fn environment_overrides_store_path() {
        let mut s = Settings::default();
        s.apply_env(|k| (k == "CRMBOT_STORE").then(|| "/tmp/x".to_string()))
            .unwrap();
        assert_eq!(s.store.path, PathBuf::from("/tmp/x"));
        let err = s
            .apply_env(|k| (k == "CRMBOT_DEMO_CUSTOMERS").then(|| "lots".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("CRMBOT_DEMO_CUSTOMERS"));
    }
}
