//! (features `std`, `tokio`) A `Copilot` that owns the connection: the blocking one
//! ([`blocking::Copilot`](crate::blocking::Copilot)) and the async one
//! ([`tokio::Copilot`](crate::tokio::Copilot)).
//!
//! Both run the sans-IO [`Client`](crate::Client), the [`Dispatch`](crate::handler::Dispatch)
//! of the sessions' handlers and the [`Turns`](crate::handler::Turns) tracker on a thread
//! (blocking) or a task (tokio) of their own, which owns the buffers, the clock and the drain
//! loop; the `Copilot` value and its sessions talk to it through channels. The handlers run
//! there, with each event borrowed from the receive buffer: nothing is copied or allocated per
//! event on that path.

mod commands;
mod error;
mod events;
mod handlers;
mod machine;
mod policy;
mod settings;
mod tools;

pub(crate) mod blocking;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

pub use error::CopilotError;
pub use events::{OwnedEvent, Reply};
pub use handlers::{CopilotHandler, Handlers};
pub use policy::Permissions;
pub use settings::Settings;
pub use tools::{Tool, ToolOutput};
