//! `crmbot tickets` and `crmbot snippets`: the hand-off's queue, one ticket with its
//! transcript, and the saved replies staff send from a ticket's thread.

use anyhow::{Result, bail};
use clap::Subcommand;

use crmbot::app;
use crmbot::config::Settings;
use crmbot::domain::{Language, Ticket, TicketState};
use crmbot::store::handoff::Snippet;

#[derive(Debug, Subcommand)]
pub enum SnippetsWhat {
    /// List the saved replies.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Save a reply (replacing one of the same name and language). Placeholders:
    /// {first_name}, {latest_order}.
    Add {
        /// The name staff type after /snippet (one word).
        name: String,
        /// The language of this version: en or zh.
        #[arg(long, default_value = "en")]
        lang: Language,
        /// The reply's text.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Remove a reply in every language.
    Remove { name: String },
}

/// One line per ticket, most urgent first.
pub fn list(settings: Settings, state: Option<TicketState>, json: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    let tickets = store.tickets(state)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&tickets)?);
        return Ok(());
    }
    if tickets.is_empty() {
        outln!("No tickets.");
    }
    for t in &tickets {
        outln!("{}", line(t));
    }
    Ok(())
}

fn line(t: &Ticket) -> String {
    format!(
        "#{} P{} {:<8} customer {} via {} opened {} due {} {}— {}",
        t.id,
        t.priority,
        t.state.as_str(),
        t.customer,
        t.channel,
        t.opened.format("%Y-%m-%d %H:%M"),
        t.sla_due.format("%Y-%m-%d %H:%M"),
        t.assignee
            .as_deref()
            .map(|a| format!("({a}) "))
            .unwrap_or_default(),
        t.reasons.join("; ")
    )
}

/// One ticket, and with `transcript` its conversation as kept at the resolve.
pub fn show(settings: Settings, id: u64, transcript: bool, json: bool) -> Result<()> {
    let store = app::open_store(&settings)?;
    let Some(ticket) = store.ticket(id)? else {
        bail!("there is no ticket #{id} (`crmbot tickets` lists them)");
    };
    let kept = store.transcript(id)?;
    if json {
        let value = serde_json::json!({ "ticket": ticket, "transcript": kept });
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    outln!("{}", line(&ticket));
    if let Some(note) = &ticket.resolution_note {
        outln!("Resolution note: {note}");
    }
    if !transcript {
        return Ok(());
    }
    match kept {
        Some(text) => outln!("\n{text}"),
        None if ticket.state == TicketState::Resolved => {
            outln!("\nNo transcript was kept for ticket #{id}.")
        }
        None => outln!(
            "\nTicket #{id} is still {}; its transcript is kept when it is resolved.",
            ticket.state.as_str()
        ),
    }
    Ok(())
}

pub fn snippets(settings: Settings, what: SnippetsWhat) -> Result<()> {
    let store = app::open_store(&settings)?;
    match what {
        SnippetsWhat::List { json } => {
            let all = store.snippets()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                outln!("No snippets. Add one with `crmbot snippets add NAME --lang en TEXT`.");
            }
            if !json {
                for s in &all {
                    outln!("{} [{}] {}", s.name, s.language.as_str(), s.text);
                }
            }
        }
        SnippetsWhat::Add { name, lang, text } => {
            if name.trim().is_empty() || name.split_whitespace().count() != 1 {
                bail!("a snippet's name is one word, e.g. `refund_sent`");
            }
            let text = text.join(" ");
            if text.trim().is_empty() {
                bail!("the snippet's text is empty");
            }
            store.put_snippet(&Snippet {
                name: name.clone(),
                language: lang,
                text,
            })?;
            store.durable_blocking()?;
            outln!(
                "Saved snippet {name} [{}]; staff send it with /snippet {name} in a ticket's thread.",
                lang.as_str()
            );
        }
        SnippetsWhat::Remove { name } => {
            if !store.remove_snippet(&name)? {
                bail!("there is no snippet called {name}");
            }
            store.durable_blocking()?;
            outln!("Removed snippet {name}.");
        }
    }
    Ok(())
}
