//! Slash commands, parsed once into [`Command`] at the edge of the engine.

use thiserror::Error;

use crate::domain::TicketId;

/// A command typed in chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/start` (Telegram's first message) or `/help`.
    Help,
    /// `/customer ID|EMAIL|NAME`
    Customer(String),
    /// `/tickets`
    Tickets,
    /// `/atrisk [SEGMENT] [N]`
    AtRisk {
        segment: Option<String>,
        top: Option<usize>,
    },
    /// `/segments`
    Segments,
    /// `/kpi [PERIOD]`
    Kpi(Option<String>),
    /// `/gaps [PERIOD]`: the questions the bot could not answer, by topic.
    Gaps(Option<String>),
    /// `/report churn`
    ReportChurn,
    /// `/claim [ID]` (no id: the ticket of the thread it is typed in)
    Claim(Option<TicketId>),
    /// `/takeover ID`: claim a ticket a colleague holds, after being asked.
    TakeOver(TicketId),
    /// `/reply ID TEXT`
    Reply(TicketId, String),
    /// `/resolve [ID] [NOTE]`
    Resolve(Option<TicketId>, Option<String>),
    /// `/transfer [ID] [STAFF]` (no staff: a pick list)
    Transfer(Option<TicketId>, Option<String>),
    /// `/thread [ID]`: where plain text goes in the console (the ticket's customer).
    Thread(Option<TicketId>),
    /// `/snippet NAME`: send a saved reply in the ticket's thread; `/snippet` lists them.
    Snippet(Option<String>),
    /// `/snippet save NAME TEXT`: save a reply (its language read from the text).
    SnippetSave(String, String),
    /// `/snippet delete NAME`: remove a reply in every language.
    SnippetDelete(String),
    /// `/mine`: the staff member's book of business.
    Mine,
    /// `/assign CUSTOMER STAFF`
    Assign(String, String),
    /// `/note CUSTOMER TEXT`
    Note(String, String),
    /// `/task CUSTOMER TEXT` (a weekday, "tomorrow" or "in N days" in the text sets the due day)
    Task(String, String),
    /// `/call CUSTOMER [NOTE]`: log a call with the customer.
    Call(String, String),
}

impl Command {
    /// Whether only staff may use the command.
    pub fn staff_only(&self) -> bool {
        !matches!(self, Command::Help)
    }

    /// Whether the answer shows customers' data or the team's queue, and so goes to the
    /// asker alone when asked where others read along.
    pub fn shows_customer_data(&self) -> bool {
        match self {
            Command::Help
            | Command::Customer(_)
            | Command::Tickets
            | Command::AtRisk { .. }
            | Command::Segments
            | Command::Kpi(_)
            | Command::Gaps(_)
            | Command::ReportChurn
            | Command::Mine => true,
            Command::Claim(_)
            | Command::TakeOver(_)
            | Command::Reply(..)
            | Command::Resolve(..)
            | Command::Transfer(..)
            | Command::Thread(_)
            | Command::Snippet(_)
            | Command::SnippetSave(..)
            | Command::SnippetDelete(_)
            | Command::Assign(..)
            | Command::Note(..)
            | Command::Task(..)
            | Command::Call(..) => false,
        }
    }
}

/// `/snippet [NAME]`, `/snippet save NAME TEXT`, `/snippet delete NAME`.
fn snippet(args: &str) -> Result<Command, CommandError> {
    const USAGE: &str = "/snippet NAME | /snippet save NAME TEXT | /snippet delete NAME";
    let mut words = args.split_whitespace();
    match words.next() {
        None => Ok(Command::Snippet(None)),
        Some(w) if w.eq_ignore_ascii_case("save") => {
            let rest = args.trim_start()[w.len()..].trim_start();
            match rest.split_once(char::is_whitespace) {
                Some((name, text)) if !text.trim().is_empty() => Ok(Command::SnippetSave(
                    name.to_owned(),
                    text.trim().to_owned(),
                )),
                _ => Err(CommandError::Usage(USAGE)),
            }
        }
        Some(w) if w.eq_ignore_ascii_case("delete") => match (words.next(), words.next()) {
            (Some(name), None) => Ok(Command::SnippetDelete(name.to_owned())),
            _ => Err(CommandError::Usage(USAGE)),
        },
        Some(name) if words.next().is_none() => Ok(Command::Snippet(Some(name.to_owned()))),
        Some(_) => Err(CommandError::Usage(USAGE)),
    }
}

/// Why a command could not be parsed; the text is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("Unknown command /{0}. Type /help for the list.")]
    Unknown(String),
    #[error("Usage: {0}")]
    Usage(&'static str),
}

/// Parses a message starting with `/`; `None` for ordinary text.
pub fn parse(text: &str) -> Option<Result<Command, CommandError>> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let (name, args) = rest
        .split_once(char::is_whitespace)
        .map(|(n, a)| (n, a.trim()))
        .unwrap_or((rest, ""));
    // Telegram appends the bot's name in groups: /help@crm_bot.
    let name = name.split('@').next().unwrap_or(name).to_lowercase();
    let mut words = args.split_whitespace();
    let ticket = |w: Option<&str>, usage| {
        w.and_then(|w| w.trim_start_matches('#').parse::<TicketId>().ok())
            .ok_or(CommandError::Usage(usage))
    };
    Some(match name.as_str() {
        "help" | "start" => Ok(Command::Help),
        "customer" if args.is_empty() => Err(CommandError::Usage("/customer ID|EMAIL|NAME")),
        "customer" => Ok(Command::Customer(args.to_owned())),
        "tickets" => Ok(Command::Tickets),
        "atrisk" => {
            let mut segment = None;
            let mut top = None;
            for w in words {
                match w.parse::<usize>() {
                    Ok(n) if n > 0 => top = Some(n),
                    Ok(_) => return Some(Err(CommandError::Usage("/atrisk [SEGMENT] [N]"))),
                    Err(_) => segment = Some(w.to_owned()),
                }
            }
            Ok(Command::AtRisk { segment, top })
        }
        "segments" => Ok(Command::Segments),
        "kpi" => Ok(Command::Kpi(words.next().map(str::to_owned))),
        "gaps" => Ok(Command::Gaps(words.next().map(str::to_owned))),
        "report" if args.eq_ignore_ascii_case("churn") => Ok(Command::ReportChurn),
        "report" => Err(CommandError::Usage("/report churn")),
        "mine" => Ok(Command::Mine),
        "assign" | "note" | "task" | "call" => {
            let (who, rest) = args
                .split_once(char::is_whitespace)
                .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                .unwrap_or((args.to_owned(), String::new()));
            match name.as_str() {
                "assign" if !who.is_empty() && !rest.is_empty() => Ok(Command::Assign(who, rest)),
                "assign" => Err(CommandError::Usage("/assign CUSTOMER STAFF")),
                "note" if !who.is_empty() && !rest.is_empty() => Ok(Command::Note(who, rest)),
                "note" => Err(CommandError::Usage("/note CUSTOMER TEXT")),
                "task" if !who.is_empty() && !rest.is_empty() => Ok(Command::Task(who, rest)),
                "task" => Err(CommandError::Usage("/task CUSTOMER TEXT")),
                _ if !who.is_empty() => Ok(Command::Call(who, rest)),
                _ => Err(CommandError::Usage("/call CUSTOMER [NOTE]")),
            }
        }
        "claim" => optional_ticket(words.next(), "/claim [TICKET]").map(Command::Claim),
        "takeover" => ticket(words.next(), "/takeover TICKET").map(Command::TakeOver),
        "thread" => optional_ticket(words.next(), "/thread [TICKET]").map(Command::Thread),
        "snippet" => snippet(args),
        "reply" => {
            let id = ticket(words.next(), "/reply TICKET TEXT");
            let body = args
                .split_once(char::is_whitespace)
                .map(|(_, t)| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            match (id, body) {
                (Ok(id), Some(body)) => Ok(Command::Reply(id, body)),
                _ => Err(CommandError::Usage("/reply TICKET TEXT")),
            }
        }
        "resolve" => {
            let (id, rest) = leading_ticket(args);
            let note = Some(rest.to_owned()).filter(|t| !t.is_empty());
            Ok(Command::Resolve(id, note))
        }
        "transfer" => {
            let (id, rest) = leading_ticket(args);
            let to = rest.split_whitespace().next().map(str::to_owned);
            Ok(Command::Transfer(id, to))
        }
        other => Err(CommandError::Unknown(other.to_owned())),
    })
}

/// `None` for no word, the ticket for a number, a usage error for anything else.
fn optional_ticket(
    word: Option<&str>,
    usage: &'static str,
) -> Result<Option<TicketId>, CommandError> {
    match word {
        None => Ok(None),
        Some(w) => w
            .trim_start_matches('#')
            .parse::<TicketId>()
            .map(Some)
            .map_err(|_| CommandError::Usage(usage)),
    }
}

/// A ticket number at the start of `args` (if the first word is one) and the rest.
fn leading_ticket(args: &str) -> (Option<TicketId>, &str) {
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    match first.trim_start_matches('#').parse::<TicketId>() {
        Ok(id) if !first.is_empty() => (Some(id), rest.trim()),
        _ => (None, args.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_with_arguments() {
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("/help@crm_bot"), Some(Ok(Command::Help)));
        assert_eq!(
            parse("/reply #3 Your parcel left today"),
            Some(Ok(Command::Reply(3, "Your parcel left today".into())))
        );
        assert_eq!(
            parse("/atrisk champions 5"),
            Some(Ok(Command::AtRisk {
                segment: Some("champions".into()),
                top: Some(5)
            }))
        );
        assert_eq!(
            parse("/resolve 4"),
            Some(Ok(Command::Resolve(Some(4), None)))
        );
        assert_eq!(
            parse("/resolve refunded in full"),
            Some(Ok(Command::Resolve(None, Some("refunded in full".into()))))
        );
        assert_eq!(parse("/claim"), Some(Ok(Command::Claim(None))));
        assert_eq!(
            parse("/transfer 3 bob"),
            Some(Ok(Command::Transfer(Some(3), Some("bob".into()))))
        );
    }

    #[test]
    fn malformed_commands_say_how_to_use_them() {
        assert_eq!(
            parse("/claim abc"),
            Some(Err(CommandError::Usage("/claim [TICKET]")))
        );
        assert_eq!(
            parse("/reply 3"),
            Some(Err(CommandError::Usage("/reply TICKET TEXT")))
        );
        assert_eq!(
            parse("/frobnicate"),
            Some(Err(CommandError::Unknown("frobnicate".into())))
        );
    }
}
