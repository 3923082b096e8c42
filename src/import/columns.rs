//! Column mapping: renaming the columns of other systems' exports to crmbot's names,
//! by hand (`--map target=Source Column`) or with a preset for common exports.

use std::str::FromStr;

use super::Fields;

/// Built-in column maps for common exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Shopify customer export: Customer ID, First Name, Last Name, Email, Accepts Email Marketing.
    Shopify,
    /// HubSpot contacts export: Record ID, First Name, Last Name, Email, Create Date.
    Hubspot,
    /// CDNOW transactions (customer_id,date,quantity,amount): already crmbot's names.
    Cdnow,
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_lowercase().as_str() {
            "shopify" => Ok(Preset::Shopify),
            "hubspot" => Ok(Preset::Hubspot),
            "cdnow" => Ok(Preset::Cdnow),
            other => Err(format!(
                "unknown preset {other:?}: expected shopify, hubspot or cdnow"
            )),
        }
    }
}

/// Target column ← one source column, or several joined with spaces (`First Name+Last Name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    entries: Vec<(String, Vec<String>)>,
}

impl ColumnMap {
    pub fn preset(preset: Preset) -> ColumnMap {
        let pairs: &[(&str, &str)] = match preset {
            Preset::Shopify => &[
                ("id", "Customer ID"),
                ("name", "First Name+Last Name"),
                ("email", "Email"),
                ("marketing", "Accepts Email Marketing"),
            ],
            Preset::Hubspot => &[
                ("id", "Record ID"),
                ("name", "First Name+Last Name"),
                ("email", "Email"),
                ("created", "Create Date"),
            ],
            Preset::Cdnow => &[],
        };
        let mut map = ColumnMap::default();
        for (target, source) in pairs {
            map.add(target, source);
        }
        map
    }

    /// Adds `target ← source` (source may join columns with `+`).
    pub fn add(&mut self, target: &str, source: &str) {
        self.entries.retain(|(t, _)| t != target);
        self.entries.push((
            target.trim().to_owned(),
            source.split('+').map(|s| s.trim().to_owned()).collect(),
        ));
    }

    /// Parses `target=Source Column`.
    pub fn parse_entry(&mut self, entry: &str) -> Result<(), String> {
        let (target, source) = entry
            .split_once('=')
            .ok_or_else(|| format!("expected TARGET=SOURCE, got {entry:?}"))?;
        if target.trim().is_empty() || source.trim().is_empty() {
            return Err(format!("expected TARGET=SOURCE, got {entry:?}"));
        }
        self.add(target, source);
        Ok(())
    }

    /// Every mapped source column must exist in the file.
    pub(crate) fn check_sources(&self, headers: &[String]) -> Result<(), String> {
        for (target, sources) in &self.entries {
            for source in sources {
                if !headers.iter().any(|h| h == source) {
                    return Err(format!(
                        "column {source:?} (mapped to {target}) is not in the header: {}",
                        headers.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn apply(&self, mut fields: Fields) -> Fields {
        for (target, sources) in &self.entries {
            let joined = sources
                .iter()
                .filter_map(|s| fields.get(s.as_str()).map(|v| v.trim().to_owned()))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            for s in sources {
                if s != target {
                    fields.remove(s.as_str());
                }
            }
            fields.insert(std::sync::Arc::from(target.as_str()), joined);
        }
        fields
    }
}
