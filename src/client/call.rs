//! [`Call`]: a request id that knows its method, and so how to read its response.

use core::fmt;
use core::marker::PhantomData;

use crate::client::event::{Event, Failure};
use crate::client::requests::RequestId;
use crate::proto::Method;

/// A typed request in flight: its [`RequestId`] and its method `M` (the params type it was
/// sent with), which says what its result is. [`response`](Self::response) picks its
/// response out of the events and reads the result as `M`'s view, so the caller never
/// matches ids or views by hand.
///
/// It compares equal to its [`RequestId`], both ways.
#[must_use = "the response arrives as an event carrying this id"]
pub struct Call<M> {
    id: RequestId,
    method: PhantomData<fn() -> M>,
}

impl<M> Call<M> {
    pub(crate) fn new(id: RequestId) -> Self {
        Call {
            id,
            method: PhantomData,
        }
    }

    /// The request's id.
    pub fn id(&self) -> RequestId {
        self.id
    }
}

impl<M: Method> Call<M> {
    /// If `event` is this request's response: its outcome, the result read as `M`'s result
    /// view ([`Failure::InvalidResult`] if the result does not have its shape). `None` for
    /// any other event.
    pub fn response<'a>(&self, event: &Event<'a>) -> Option<Result<M::Result<'a>, Failure<'a>>> {
        match *event {
            Event::Response { id, outcome } if id == self.id => {
                Some(outcome.and_then(|raw| M::result(raw).ok_or(Failure::InvalidResult)))
            }
            _ => None,
        }
    }
}

impl<M> Clone for Call<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Call<M> {}

impl<M> PartialEq for Call<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<M> Eq for Call<M> {}

impl<M> PartialEq<RequestId> for Call<M> {
    fn eq(&self, other: &RequestId) -> bool {
        self.id == *other
    }
}

impl<M> PartialEq<Call<M>> for RequestId {
    fn eq(&self, other: &Call<M>) -> bool {
        *self == other.id
    }
}

impl<M> From<Call<M>> for RequestId {
    fn from(call: Call<M>) -> Self {
        call.id
    }
}

impl<M: Method> fmt::Debug for Call<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Call({} {})", M::NAME, self.id)
    }
}

impl<M: Method> fmt::Display for Call<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", M::NAME, self.id)
    }
}
