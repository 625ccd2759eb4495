//! [`Permissions`]: a session's permission policy in one line.

use std::boxed::Box;
use std::fmt;

use crate::proto::events::PermissionRequested;
use crate::proto::params::{PermissionDecision, PermissionDecisionReject};

/// What a denied request tells the model.
const DENIED: &str = "Denied by the application's permission policy.";

/// A closure that decides one permission request: true approves it (once).
type Decide = dyn FnMut(PermissionRequested<'_>) -> bool + Send;

/// How a session answers the CLI's permission requests (`permission.requested`: before a
/// tool runs, a file is written, a URL fetched, ...): approve all, deny all, or decide each
/// with a closure. The default denies all.
#[derive(Default)]
#[non_exhaustive]
pub enum Permissions {
    /// Approve every request (once each).
    ApproveAll,
    /// Deny every request.
    #[default]
    DenyAll,
    /// Ask the closure: true approves.
    Decide(Box<Decide>),
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Permissions::ApproveAll => "ApproveAll",
            Permissions::DenyAll => "DenyAll",
            Permissions::Decide(_) => "Decide(..)",
        })
    }
}

impl Permissions {
    /// Decide each request with `decide` (true approves).
    pub fn decide(decide: impl FnMut(PermissionRequested<'_>) -> bool + Send + 'static) -> Self {
        Permissions::Decide(Box::new(decide))
    }

    /// The answer to `request`: approved once, or rejected with a note for the model (so
    /// that the turn goes on without what was denied).
    pub fn answer(&mut self, request: PermissionRequested<'_>) -> PermissionDecision<'static> {
        let approved = match self {
            Permissions::ApproveAll => true,
            Permissions::DenyAll => false,
            Permissions::Decide(decide) => decide(request),
        };
        match approved {
            true => PermissionDecision::ApproveOnce(Default::default()),
            // With feedback the model is told and the turn goes on (the real CLI aborts the
            // turn on a rejection without one).
            false => PermissionDecision::Reject(PermissionDecisionReject::new().feedback(DENIED)),
        }
    }
}
