//! The protocol, typed: parameters of client requests, views of results, session events and
//! server requests, and the answers to them. Everything borrows; nothing allocates.

pub mod answers;
pub mod events;
pub mod params;
pub mod results;
pub mod server;
pub(crate) mod view;

pub use view::FromJson;
