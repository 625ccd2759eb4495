//! [`Answer`]: what a handler does with a call it was given.

/// What a [`SessionHandler`](crate::handler::SessionHandler) does with a call: answer it now,
/// fail it, answer it later, or leave it to the defaults.
///
/// Whatever it returns, the call is answered exactly once: by the dispatch step at once
/// ([`Now`](Self::Now), [`Error`](Self::Error), [`Unhandled`](Self::Unhandled)), or by the
/// handler's owner later ([`Later`](Self::Later)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer<'a, T> {
    /// Answer with this, now.
    Now(T),
    /// Fail the call with this message: a server request gets a JSON-RPC error (-32603), a
    /// tool call an error result, a command an error; a permission request is denied
    /// (`denied-no-approval-rule-and-could-not-request-from-user`, as the official SDKs do when
    /// their handler throws), an elicitation cancelled.
    Error(&'a str),
    /// The handler keeps what it needs to answer later (the [`Request::reply`] handle, or the
    /// [`PendingCall`] from [`Broadcast::defer`]) and will answer through the client itself.
    /// Nothing is sent now.
    ///
    /// [`Request::reply`]: crate::handler::Request::reply
    /// [`PendingCall`]: crate::handler::PendingCall
    /// [`Broadcast::defer`]: crate::handler::Broadcast::defer
    Later,
    /// Not handled here: a server request gets the client's default answer (the one it gives
    /// when the caller does not handle a method: see
    /// [`Client::respond_default`](crate::Client::respond_default)); a broadcast call (tool,
    /// permission, elicitation, command) is left unanswered, for another client of the CLI
    /// (or the CLI itself) to answer, as the official SDKs do.
    Unhandled,
}
