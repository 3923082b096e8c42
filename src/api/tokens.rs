//! API bearer tokens and what each may do.
//!
//! `CRMBOT_API_TOKENS` is a comma-separated list. An entry `SECRET` may ingest, read and
//! chat; an entry `SCOPE+SCOPE:SECRET` (scopes `ingest`, `read`, `chat`, `admin`) may do
//! exactly what it names. Admin (backups) is never implied: a shop's sync token that leaks
//! cannot copy the store. Secrets are compared in constant time.

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;

/// What a group of routes needs of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `POST /events`, `POST /customers`.
    Ingest,
    /// `GET /customers/{id}`, `GET /at-risk`.
    Read,
    /// `POST /chat`.
    Chat,
    /// `POST /admin/backup`.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Ingest, Scope::Read, Scope::Chat, Scope::Admin];

    /// What a token without named scopes may do.
    pub const DEFAULT: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Chat];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Chat => "chat",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scope {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.name() == s)
            .ok_or_else(|| TokenError::UnknownScope(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error(
        "CRMBOT_API_TOKENS names an unknown scope {0:?}; scopes are ingest, read, chat and admin (e.g. ingest+read:SECRET)"
    )]
    UnknownScope(String),
    #[error("CRMBOT_API_TOKENS has an entry with scopes but no secret after ':'")]
    EmptySecret,
}

/// Why a presented token was not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one that is not configured.
    Unknown,
    /// A configured token that lacks the scope.
    Lacks(Scope),
}

struct Token {
    secret: Vec<u8>,
    scopes: Vec<Scope>,
}

/// Bearer tokens accepted by the API.
#[derive(Default)]
pub struct ApiTokens(Vec<Token>);

impl ApiTokens {
    /// Parses entries (`SECRET` or `SCOPES:SECRET`); blank entries are skipped.
    pub fn parse<S: AsRef<str>>(entries: impl IntoIterator<Item = S>) -> Result<Self, TokenError> {
        let mut tokens = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            tokens.push(parse_entry(entry)?);
        }
        Ok(ApiTokens(tokens))
    }

    /// The tokens in `CRMBOT_API_TOKENS`.
    pub fn from_env() -> Result<Self, TokenError> {
        Self::parse(
            std::env::var("CRMBOT_API_TOKENS")
                .unwrap_or_default()
                .split(','),
        )
    }

    /// Whether `presented` is a configured token holding `scope`. Every configured secret
    /// is compared, each in constant time.
    pub fn check(&self, presented: &[u8], scope: Scope) -> Result<(), Refusal> {
        let mut found: Option<&Token> = None;
        for token in &self.0 {
            if bool::from(token.secret.as_slice().ct_eq(presented)) {
                found = Some(token);
            }
        }
        match found {
            None => Err(Refusal::Unknown),
            Some(token) if token.scopes.contains(&scope) => Ok(()),
            Some(_) => Err(Refusal::Lacks(scope)),
        }
    }

    /// A secret holding `scope`, for the CLI talking to its own running bot.
    pub fn secret_with(&self, scope: Scope) -> Option<String> {
        self.0
            .iter()
            .find(|t| t.scopes.contains(&scope))
            .map(|t| String::from_utf8_lossy(&t.secret).into_owned())
    }
}

fn parse_entry(entry: &str) -> Result<Token, TokenError> {
    if let Some((scopes, secret)) = entry.split_once(':') {
        // A prefix of letters and '+' is a scope list; anything else is part of the secret.
        if !scopes.is_empty() && scopes.chars().all(|c| c.is_ascii_alphabetic() || c == '+') {
            let scopes = scopes
                .split('+')
                .map(|s| s.to_ascii_lowercase().parse())
                .collect::<Result<Vec<Scope>, _>>()?;
            let secret = secret.trim();
            if secret.is_empty() {
                return Err(TokenError::EmptySecret);
            }
            return Ok(Token {
                secret: secret.as_bytes().to_vec(),
                scopes,
            });
        }
    }
    Ok(Token {
        secret: entry.as_bytes().to_vec(),
        scopes: Scope::DEFAULT.to_vec(),
    })
}

impl fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiTokens({} tokens)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly() {
        let tokens = ApiTokens::parse(["alpha", " beta ", ""]).unwrap();
        assert!(tokens.check(b"alpha", Scope::Read).is_ok());
        assert!(tokens.check(b"beta", Scope::Ingest).is_ok());
        for wrong in [&b"alph"[..], b"alphaa", b""] {
            assert_eq!(tokens.check(wrong, Scope::Read), Err(Refusal::Unknown));
        }
        assert_eq!(
            ApiTokens::default().check(b"", Scope::Read),
            Err(Refusal::Unknown)
        );
    }

    #[test]
    fn a_plain_token_is_not_admin_and_scopes_are_exact() {
        let tokens = ApiTokens::parse(["plain", "ingest:sync", "read+admin:ops"]).unwrap();
        assert_eq!(
            tokens.check(b"plain", Scope::Admin),
            Err(Refusal::Lacks(Scope::Admin))
        );
        assert!(tokens.check(b"sync", Scope::Ingest).is_ok());
        assert_eq!(
            tokens.check(b"sync", Scope::Read),
            Err(Refusal::Lacks(Scope::Read))
        );
        assert!(tokens.check(b"ops", Scope::Admin).is_ok());
        assert_eq!(
            tokens.check(b"ingest:sync", Scope::Ingest),
            Err(Refusal::Unknown)
        );
        assert_eq!(tokens.secret_with(Scope::Admin).as_deref(), Some("ops"));
    }

    #[test]
    fn unknown_scopes_are_refused_and_other_colons_belong_to_the_secret() {
        assert_eq!(
            ApiTokens::parse(["admn:x"]).unwrap_err(),
            TokenError::UnknownScope("admn".into())
        );
        assert_eq!(
            ApiTokens::parse(["admin:"]).unwrap_err(),
            TokenError::EmptySecret
        );
        let tokens = ApiTokens::parse(["a1:b2"]).unwrap();
        assert!(tokens.check(b"a1:b2", Scope::Chat).is_ok());
    }
}
