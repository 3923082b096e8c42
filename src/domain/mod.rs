//! The data model shared by every part: customers, their events, chat interactions,
//! tickets and model artifacts.
//!
//! These are plain values with serde derives and no behaviour that needs I/O. The store
//! persists them, the engine reads and creates them, the models turn events into features.
//! Nothing here may import a platform crate (teloxide, serenity, axum) or sled.

mod customer;
mod event;
mod interaction;
mod ticket;

pub use customer::{Consent, Customer, CustomerId, Plan, StaffRole};
pub use event::{ActionKind, Event, EventKind, OrderItem, OrderStatus, SurveyKind};
pub use interaction::{Channel, Direction, Interaction, Language};
pub use ticket::{Ticket, TicketId, TicketState};
