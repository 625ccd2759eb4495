//! On top of the client, still sans-IO and in fixed memory: what the official SDKs give per
//! session. [`Turns`] follows sends until the CLI says they are done.

mod turn;

pub use turn::{ServerWait, TurnEnd, TurnId, TurnUpdate, Turns};
