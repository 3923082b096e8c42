//! Reading and validating the `intents/*.toml` files (format in `intents/README.md`), so a
//! mistake in them stops the bot at start-up with a message naming the file, the intent
//! and the problem, instead of silently degrading understanding.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::entities::EntityKind;
use super::{Intent, NluError, Role};
use crate::domain::Language;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    language: String,
    #[serde(default, rename = "intent")]
    intents: Vec<RawIntent>,
    out_of_scope: Option<RawOutOfScope>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntent {
    name: String,
    role: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    entities: Vec<String>,
    #[serde(default)]
    replies: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutOfScope {
    examples: Vec<String>,
}

/// One validated intent of one language.
#[derive(Debug, Clone)]
pub struct IntentSpec {
    pub examples: Vec<String>,
    pub patterns: Vec<Regex>,
    pub entities: Vec<EntityKind>,
    pub replies: Vec<String>,
}

/// Everything the files say about one language.
#[derive(Debug, Clone, Default)]
pub struct LanguageSpec {
    pub intents: BTreeMap<Intent, IntentSpec>,
    pub out_of_scope: Vec<String>,
}

fn intent_err(path: &Path, intent: &str, problem: impl Into<String>) -> NluError {
    NluError::Intent {
        path: path.to_path_buf(),
        intent: intent.to_string(),
        problem: problem.into(),
    }
}

/// Parses one intents file and adds it to `langs`.
pub fn load_file(
    path: &Path,
    text: &str,
    langs: &mut BTreeMap<LanguageKey, LanguageSpec>,
) -> Result<(), NluError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| NluError::Toml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let language = match raw.language.as_str() {
        "en" => Language::En,
        "zh" => Language::Zh,
        other => {
            return Err(NluError::File {
                path: path.to_path_buf(),
                problem: format!("unknown language `{other}` (expected `en` or `zh`)"),
            });
        }
    };
    let spec = langs.entry(LanguageKey(language)).or_default();
    let mut seen = HashSet::new();
    for ri in raw.intents {
        let name = ri.name.trim();
        let intent = Intent::from_name(name).ok_or_else(|| {
            intent_err(
                path,
                name,
                format!(
                    "unknown intent name (known: {})",
                    Intent::ALL
                        .iter()
                        .map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if !seen.insert(intent) || spec.intents.contains_key(&intent) {
            return Err(intent_err(
                path,
                name,
                format!("duplicate intent for language `{}`", language.as_str()),
            ));
        }
        if let Some(role) = &ri.role {
            let expected = match intent.role() {
                Role::Customer => "customer",
                Role::Staff => "staff",
            };
            if role != expected {
                return Err(intent_err(
                    path,
                    name,
                    format!("role `{role}` is wrong: this intent is for `{expected}`"),
                ));
            }
        }
        let examples: Vec<String> = ri.examples.iter().map(|e| e.trim().to_string()).collect();
        if examples.is_empty() {
            return Err(intent_err(
                path,
                name,
                "no examples (at least one is required)",
            ));
        }
        if let Some(pos) = examples.iter().position(String::is_empty) {
            return Err(intent_err(
                path,
                name,
                format!("example {} is empty", pos + 1),
            ));
        }
        let mut patterns = Vec::new();
        for p in &ri.patterns {
            let re = Regex::new(p)
                .map_err(|e| intent_err(path, name, format!("invalid regex pattern `{p}`: {e}")))?;
            patterns.push(re);
        }
        let mut entities = Vec::new();
        for e in &ri.entities {
            let kind = EntityKind::from_name(e).ok_or_else(|| {
                intent_err(
                    path,
                    name,
                    format!(
                        "unknown entity `{e}` (known: {})",
                        EntityKind::ALL
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            entities.push(kind);
        }
        if let Some(pos) = ri.replies.iter().position(|r| r.trim().is_empty()) {
            return Err(intent_err(
                path,
                name,
                format!("reply {} is empty", pos + 1),
            ));
        }
        spec.intents.insert(
            intent,
            IntentSpec {
                examples,
                patterns,
                entities,
                replies: ri.replies,
            },
        );
    }
    if let Some(oos) = raw.out_of_scope {
        spec.out_of_scope.extend(
            oos.examples
                .into_iter()
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty()),
        );
    }
    Ok(())
}

/// `Language` has no `Ord`; this orders it for deterministic maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageKey(pub Language);

impl Ord for LanguageKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_str().cmp(other.0.as_str())
    }
}

impl PartialOrd for LanguageKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads every `*.toml` file directly in `dir` (sorted by name), validated.
pub fn load_dir(dir: &Path) -> Result<BTreeMap<LanguageKey, LanguageSpec>, NluError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| NluError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(NluError::NoIntentFiles {
            dir: dir.to_path_buf(),
        });
    }
    let mut langs = BTreeMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| NluError::io(path, e))?;
        load_file(path, &text, &mut langs)?;
    }
    Ok(langs)
}
