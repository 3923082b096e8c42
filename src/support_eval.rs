//! `crmbot eval support`: runs labelled customer questions through the real engine, one
//! new conversation with a demo customer each, and counts what happened per label:
//! answered on topic by the bot, handed to a person, not understood, answered off topic.
//!
//! A mapping file says which answers are on topic for each label (article ids, intents,
//! or `handoff`). What the bot did is read back from the store (the logged intent of the
//! inbound message and whether a ticket was opened), as staff would see it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::app::{self, AppError};
use crate::clock::FixedClock;
use crate::config::Settings;
use crate::demo::{self, DemoSpec};
use crate::domain::{Channel, CustomerId, Direction};
use crate::engine::{Body, Inbound, Sender};
use crate::store::{Store, StoreError, StoreOptions};

#[derive(Debug, Error)]
pub enum SupportEvalError {
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error(transparent)]
    Data(#[from] crate::nlu::NluError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The mapping file: for each label, the answers that are on topic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    /// label → ["article:<id>", "intent:<name>", "handoff"]
    map: BTreeMap<String, Vec<String>>,
}

/// What the bot did with one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    OnTopic,
    Handoff,
    NotUnderstood,
    OffTopic,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    pub total: usize,
    pub on_topic: usize,
    pub handoff: usize,
    pub not_understood: usize,
    pub off_topic: usize,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        self.total += 1;
        match v {
            Verdict::OnTopic => self.on_topic += 1,
            Verdict::Handoff => self.handoff += 1,
            Verdict::NotUnderstood => self.not_understood += 1,
            Verdict::OffTopic => self.off_topic += 1,
        }
    }
    fn pct(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.total.max(1) as f64
    }
}

/// A question the bot got wrong, with what it answered.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub label: String,
    pub text: String,
    pub verdict: Verdict,
    pub answered_as: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupportReport {
    pub overall: Counts,
    pub by_label: BTreeMap<String, Counts>,
    /// Off-topic and not-understood questions, a few per label.
    pub worst: Vec<Example>,
}

impl std::fmt::Display for SupportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = |f: &mut std::fmt::Formatter<'_>, name: &str, c: &Counts| {
            writeln!(
                f,
                "{name:<28} {:>5}  on topic {:>5.1} %  person {:>5.1} %  not understood {:>5.1} %  off topic {:>5.1} %",
                c.total,
                c.pct(c.on_topic),
                c.pct(c.handoff),
                c.pct(c.not_understood),
                c.pct(c.off_topic)
            )
        };
        for (label, c) in &self.by_label {
            line(f, label, c)?;
        }
        line(f, "OVERALL", &self.overall)?;
        writeln!(f, "\nWorst examples:")?;
        for e in &self.worst {
            writeln!(
                f,
                "  [{}] {:?} → {:?} ({})",
                e.label, e.text, e.verdict, e.answered_as
            )?;
        }
        Ok(())
    }
}

/// Demo customers the questions are spread over.
const CUSTOMERS: u32 = 300;

fn read_map(path: &Path) -> Result<BTreeMap<String, Vec<String>>, SupportEvalError> {
    let err = |problem: String| SupportEvalError::File {
        path: path.to_path_buf(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let file: MapFile = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok(file.map)
}

/// Runs the questions of `data` (CSV `text,intent`) and scores them with the map.
pub fn run(
    settings: &Settings,
    data: &Path,
    map_path: &Path,
    examples_per_label: usize,
) -> Result<SupportReport, SupportEvalError> {
    let rows = crate::nlu::eval::read_labelled_csv(data)?;
    let map = read_map(map_path)?;
    if let Some((_, label)) = rows.iter().find(|(_, l)| !map.contains_key(l)) {
        return Err(SupportEvalError::File {
            path: map_path.to_path_buf(),
            problem: format!("no mapping for the label `{label}`"),
        });
    }
    let dir = std::env::temp_dir().join(format!("crmbot-eval-{}", std::process::id()));
    let store = Store::open(&StoreOptions {
        temporary: true,
        ..StoreOptions::at(&dir)
    })?;
    let now = demo::reference_day(chrono::Utc::now());
    demo::seed_store(
        &store,
        &DemoSpec {
            customers: CUSTOMERS,
            seed: settings.demo.seed,
            as_of: now,
        },
    )?;
    let clock = Arc::new(FixedClock::new(now));
    let engine = app::build_engine(Arc::new(settings.clone()), store.clone(), clock.clone())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SupportEvalError::File {
            path: data.to_path_buf(),
            problem: format!("cannot start the runtime: {e}"),
        })?;
    let mut report = SupportReport {
        overall: Counts::default(),
        by_label: BTreeMap::new(),
        worst: Vec::new(),
    };
    for (i, (text, label)) in rows.iter().enumerate() {
        let customer = CustomerId(1 + (i as u64 % u64::from(CUSTOMERS)));
        let chat = format!("eval-{i}");
        clock.set(now + chrono::Duration::seconds(i as i64));
        runtime.block_on(engine.handle(Inbound {
            channel: Channel::Console,
            chat: chat.clone(),
            sender: Sender::Customer(customer),
            body: Body::Text(text.clone()),
            at: now + chrono::Duration::seconds(i as i64),
            origin: Default::default(),
        }));
        let (answered_as, ticket) = what_happened(&store, customer, &chat)?;
        let verdict = judge(&answered_as, ticket, &map[label]);
        report.overall.add(verdict);
        report
            .by_label
            .entry(label.clone())
            .or_default()
            .add(verdict);
        let kept = report.worst.iter().filter(|e| &e.label == label).count();
        if matches!(verdict, Verdict::OffTopic | Verdict::NotUnderstood)
            && kept < examples_per_label
        {
            report.worst.push(Example {
                label: label.clone(),
                text: text.clone(),
                verdict,
                answered_as,
            });
        }
    }
    Ok(report)
}

/// The logged intent of the question and whether it opened a ticket.
fn what_happened(
    store: &Store,
    customer: CustomerId,
    chat: &str,
) -> Result<(String, bool), SupportEvalError> {
    let logged = store.interactions_of(customer)?;
    let inbound = logged
        .iter()
        .rev()
        .find(|x| x.chat == chat && x.direction == Direction::Inbound);
    Ok(match inbound {
        Some(x) => (x.intent.clone().unwrap_or_default(), x.ticket.is_some()),
        None => ("(nothing logged)".into(), false),
    })
}

/// On topic when the answer is one the map allows for the label.
fn judge(answered_as: &str, ticket: bool, allowed: &[String]) -> Verdict {
    let allows = |s: &str| allowed.iter().any(|a| a == s);
    if ticket {
        return if allows("handoff") {
            Verdict::OnTopic
        } else {
            Verdict::Handoff
        };
    }
    if let Some(ids) = answered_as.strip_prefix(crate::engine::help::BUTTON_PREFIX) {
        return if ids.split('+').any(|id| allows(&format!("article:{id}"))) {
            Verdict::OnTopic
        } else {
            Verdict::OffTopic
        };
    }
    match answered_as {
        "not_understood" | "out_of_scope" | "ambiguous" | "help_suggest" | "" => {
            Verdict::NotUnderstood
        }
        intent if allows(&format!("intent:{intent}")) => Verdict::OnTopic,
        _ => Verdict::OffTopic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judging_follows_the_map() {
        let allowed = vec!["article:cancel-order".to_owned(), "handoff".to_owned()];
        assert_eq!(
            judge("help:cancel-order", false, &allowed),
            Verdict::OnTopic
        );
        assert_eq!(
            judge("help:plans+cancel-order", false, &allowed),
            Verdict::OnTopic
        );
        assert_eq!(judge("help:plans", false, &allowed), Verdict::OffTopic);
        assert_eq!(judge("human_agent", true, &allowed), Verdict::OnTopic);
        assert_eq!(
            judge("cancel_subscription", false, &allowed),
            Verdict::OffTopic
        );
        assert_eq!(
            judge("not_understood", false, &allowed),
            Verdict::NotUnderstood
        );
        let only = vec!["article:plans".to_owned()];
        assert_eq!(judge("human_agent", true, &only), Verdict::Handoff);
    }
}
