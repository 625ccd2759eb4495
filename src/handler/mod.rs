//! On top of the client, still sans-IO and in fixed memory: what the official SDKs give per
//! session. A [`SessionHandler`] declares what a session does when the CLI calls on it (tools,
//! permissions, user input, hooks, a [`SessionFs`], ...); [`Dispatch`] hands each event to
//! its session's handler and sends the answers; [`Turns`] follows sends until the CLI says
//! they are done.

mod answer;
mod calls;
mod dispatch;
mod fs;
mod session;
mod turn;
mod turn_update;

pub use answer::Answer;
pub use calls::{
    Broadcast, CommandCall, ElicitationCall, MAX_PENDING_ID_LEN, PendingCall, PermissionCall,
    Request, ToolCall,
};
pub use dispatch::Dispatch;
pub use fs::SessionFs;
pub use session::SessionHandler;
pub use turn::Turns;
pub use turn_update::{ServerWait, TurnEnd, TurnId, TurnUpdate};
