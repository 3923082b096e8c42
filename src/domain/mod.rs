//! The data model shared by every part: customers, their events, chat interactions,
//! tickets and model artifacts.
//!
//! These are plain values with serde derives and no behaviour that needs I/O. The store
//! persists them, the engine reads and creates them, the models turn events into features.
//! Nothing here may import a platform crate (teloxide, serenity, axum) or sled.

mod customer;
mod email;
mod event;
mod interaction;
mod ticket;

pub use customer::{Consent, Customer, CustomerId, Plan, StaffRole};
pub use email::normalize_email;
pub use event::{ActionKind, Event, EventKind, OrderItem, OrderStatus, SurveyKind};
pub use interaction::{Channel, Direction, Interaction, Language};
pub use ticket::{Ticket, TicketId, TicketState};

/// A name on the command line or in config that is not one of the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}: expected {}", .allowed.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub allowed: Vec<&'static str>,
}

/// Parses one of `values` by its name, ignoring case and surrounding spaces.
fn parse_name<T: Copy>(
    what: &'static str,
    text: &str,
    values: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    let wanted = text.trim();
    values
        .iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(wanted))
        .ok_or_else(|| UnknownName {
            what,
            given: wanted.to_owned(),
            allowed: values.iter().map(|v| name(*v)).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_ticket_states_parse_by_name_and_name_the_allowed_values() {
        assert_eq!(" Manager ".parse::<StaffRole>(), Ok(StaffRole::Manager));
        assert_eq!("resolved".parse::<TicketState>(), Ok(TicketState::Resolved));
        let err = "boss".parse::<StaffRole>().unwrap_err().to_string();
        assert_eq!(err, "unknown role \"boss\": expected agent, manager, admin");
        for state in TicketState::ALL {
            assert_eq!(state.as_str().parse::<TicketState>(), Ok(state));
        }
    }
}
