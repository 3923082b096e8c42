//! The console channel: a chat on stdin/stdout for operators and developers.
//!
//! Works interactively (with a prompt) and piped (one reply block per input line, exit at
//! end of input). `/as customer:ID` and `/as staff:NAME` switch who is speaking; `/quit`
//! ends the session. Every other line goes to the engine as it is. Lines that are not
//! valid UTF-8 reach the engine as [`Body::InvalidText`], so the engine answers them.

use std::io::{BufRead, Write};
use std::str::FromStr;

use thiserror::Error;

use crate::alerts::delivery::{Deliver, DeliveryError, Either, drain};
use crate::channels::code_sink::CodeSink;
use crate::domain::{Channel, CustomerId};
use crate::engine::{Address, Body, Engine, Inbound, Outcome, Sender};

/// Who the console speaks as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleIdentity {
    Customer(CustomerId),
    Staff(String),
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("expected customer:ID or staff:NAME, got {0:?}")]
pub struct IdentityParseError(String);

impl FromStr for ConsoleIdentity {
    type Err = IdentityParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IdentityParseError(s.to_owned());
        let (kind, value) = s.trim().split_once(':').ok_or_else(err)?;
        match kind.trim().to_lowercase().as_str() {
            "customer" => value
                .trim()
                .parse::<u64>()
                .map(|id| ConsoleIdentity::Customer(CustomerId(id)))
                .map_err(|_| err()),
            "staff" if !value.trim().is_empty() => {
                Ok(ConsoleIdentity::Staff(value.trim().to_owned()))
            }
            _ => Err(err()),
        }
    }
}

impl ConsoleIdentity {
    fn chat(&self) -> String {
        match self {
            ConsoleIdentity::Customer(id) => format!("customer:{id}"),
            ConsoleIdentity::Staff(name) => format!("staff:{}", name.to_lowercase()),
        }
    }

    fn sender(&self) -> Sender {
        match self {
            ConsoleIdentity::Customer(id) => Sender::Customer(*id),
            ConsoleIdentity::Staff(name) => Sender::Staff(name.clone()),
        }
    }
}

/// Console-only controls, parsed before anything reaches the engine.
enum Control {
    As(ConsoleIdentity),
    BadAs(IdentityParseError),
    Quit,
}

fn control(line: &str) -> Option<Control> {
    let line = line.trim();
    if line == "/quit" || line == "/exit" {
        return Some(Control::Quit);
    }
    let rest = line.strip_prefix("/as")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some(match rest.trim().parse() {
        Ok(identity) => Control::As(identity),
        Err(e) => Control::BadAs(e),
    })
}

/// Runs the console chat until end of input or `/quit`.
pub async fn run(
    engine: &Engine,
    mut identity: ConsoleIdentity,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    interactive: bool,
) -> std::io::Result<()> {
    let clock = engine.deps().clock.clone();
    let mut buf = Vec::new();
    let mut held = Held::default();
    loop {
        if interactive {
            write!(output, "{}> ", identity.chat())?;
            output.flush()?;
        }
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let body = match std::str::from_utf8(&buf) {
            Ok(text) => match control(text) {
                Some(Control::Quit) => break,
                Some(Control::As(next)) => {
                    identity = next;
                    writeln!(output, "(you are now {})", identity.chat())?;
                    if let ConsoleIdentity::Staff(name) = &identity
                        && !engine
                            .staff_directory()
                            .iter()
                            .any(|m| m.name.eq_ignore_ascii_case(name))
                    {
                        writeln!(
                            output,
                            "({name} is not on the staff list, so has agent rights; add staff with `crmbot staff add NAME --role manager`)"
                        )?;
                    }
                    held.release(&identity, output)?;
                    continue;
                }
                Some(Control::BadAs(e)) => {
                    writeln!(output, "(/as: {e})")?;
                    continue;
                }
                None => Body::Text(text.to_owned()),
            },
            Err(_) => Body::InvalidText,
        };
        let inbound = Inbound {
            channel: Channel::Console,
            chat: identity.chat(),
            sender: identity.sender(),
            body,
            at: clock.now(),
            origin: Default::default(),
        };
        let outcome = engine.handle(inbound).await;
        print_outcome(&outcome, &identity, &mut held, output)?;
        deliver_queued(engine, &identity, &mut held, output).await?;
    }
    output.flush()
}

/// Delivers what the engine queued for the console (real-time alerts to a console team
/// chat) and for the code sink (link codes), as `crmbot run`'s deliver job would.
async fn deliver_queued(
    engine: &Engine,
    identity: &ConsoleIdentity,
    held: &mut Held,
    output: &mut dyn Write,
) -> std::io::Result<()> {
    let deps = engine.deps();
    let Ok(pending) = deps.store.pending_outbox() else {
        return Ok(());
    };
    let now = deps.clock.now();
    let due = pending
        .iter()
        .any(|i| i.not_before <= now && matches!(i.channel, Channel::Console | Channel::Email));
    if !due {
        return Ok(());
    }
    let printed = Printed::default();
    let both = Either(printed, CodeSink::new(&deps.settings.identity));
    if let Err(e) = drain(&deps.store, &both, &deps.settings.alerts, now).await {
        tracing::error!(error = %e, "delivering queued messages failed");
    }
    let lines = std::mem::take(&mut *both.0.lines.lock().unwrap_or_else(|e| e.into_inner()));
    for (chat, text) in lines {
        let block = format!("bot → console {chat}: {}\n", text.replace('\n', "\n    "));
        let to = Address {
            channel: Channel::Console,
            chat,
        };
        held.show_or_hold(identity, &to, block, output)?;
    }
    Ok(())
}

/// Messages for other console chats, held while the session speaks as a customer (a
/// customer never sees what is meant for staff or for other customers) and shown when the
/// session becomes someone who may read them.
#[derive(Default)]
struct Held {
    blocks: Vec<(Address, String)>,
}

impl Held {
    fn may_read(identity: &ConsoleIdentity, to: &Address) -> bool {
        match identity {
            ConsoleIdentity::Staff(_) => true,
            ConsoleIdentity::Customer(_) => {
                to.channel == Channel::Console && identity.chat() == to.chat
            }
        }
    }

    fn show_or_hold(
        &mut self,
        identity: &ConsoleIdentity,
        to: &Address,
        block: String,
        output: &mut dyn Write,
    ) -> std::io::Result<()> {
        if Self::may_read(identity, to) {
            output.write_all(block.as_bytes())
        } else {
            writeln!(
                output,
                "(a message for {} {} is held until you switch with /as)",
                to.channel, to.chat
            )?;
            self.blocks.push((to.clone(), block));
            Ok(())
        }
    }

    fn release(
        &mut self,
        identity: &ConsoleIdentity,
        output: &mut dyn Write,
    ) -> std::io::Result<()> {
        let (shown, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.blocks)
            .into_iter()
            .partition(|(to, _)| Self::may_read(identity, to));
        self.blocks = kept;
        for (_, block) in shown {
            output.write_all(block.as_bytes())?;
        }
        Ok(())
    }
}

/// Collects console items for the loop to print after the drain.
#[derive(Default)]
struct Printed {
    lines: std::sync::Mutex<Vec<(String, String)>>,
}

impl Deliver for Printed {
    fn handles(&self, channel: Channel) -> bool {
        channel == Channel::Console
    }

    async fn deliver(&self, _: Channel, chat: &str, text: &str) -> Result<(), DeliveryError> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((chat.to_owned(), text.to_owned()));
        Ok(())
    }
}

fn print_outcome(
    outcome: &Outcome,
    identity: &ConsoleIdentity,
    held: &mut Held,
    output: &mut dyn Write,
) -> std::io::Result<()> {
    let here = Address {
        channel: Channel::Console,
        chat: identity.chat(),
    };
    for message in &outcome.messages {
        let prefix = if message.to == here {
            "bot".to_owned()
        } else {
            format!("bot → {} {}", message.to.channel, message.to.chat)
        };
        let block = render(message, &prefix);
        held.show_or_hold(identity, &message.to, block, output)?;
    }
    Ok(())
}

/// One message as the console shows it: text, buttons, file, chart.
fn render(message: &crate::engine::Outbound, prefix: &str) -> String {
    let mut block = String::new();
    for (i, line) in message.text.lines().enumerate() {
        if i == 0 {
            block.push_str(&format!("{prefix}: {line}\n"));
        } else {
            block.push_str(&format!("    {line}\n"));
        }
    }
    for button in &message.buttons {
        block.push_str(&format!("    [{}]\n", button.label));
    }
    if let Some(file) = &message.attachment {
        block.push_str(&format!(
            "    {}\n",
            crate::engine::describe_attachment(file)
        ));
    }
    if let Some(image) = &message.image {
        block.push_str(&format!(
            "    (chart: {}, {} bytes PNG)\n",
            image.caption,
            image.png.len()
        ));
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_parse() {
        assert_eq!(
            "customer:42".parse(),
            Ok(ConsoleIdentity::Customer(CustomerId(42)))
        );
        assert_eq!(
            "staff:alice".parse(),
            Ok(ConsoleIdentity::Staff("alice".into()))
        );
        assert!("customer:x".parse::<ConsoleIdentity>().is_err());
        assert!("boss:1".parse::<ConsoleIdentity>().is_err());
    }
}
