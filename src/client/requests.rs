//! The table of requests this client sent and awaits a response to, and what each is for.

use core::fmt;

use crate::client::sessions::OpenMethod;
use crate::client::time::Instant;

/// The id of a request this client sent. Its response (or its failure: timeout, connection
/// closed) arrives as exactly one event carrying this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use = "the response arrives as an event carrying this id"]
pub struct RequestId(pub(crate) u32);

impl RequestId {
    /// The JSON-RPC id as sent on the wire.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a pending request is for: decides what its response does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Connect,
    /// `ping` sent because the server does not know `connect`.
    PingFallback,
    Open {
        slot: u16,
        method: OpenMethod,
    },
    Destroy {
        slot: u16,
    },
    /// `session.resume` of a session that is open: whatever the outcome, it stays open.
    LiveResume {
        slot: u16,
    },
    /// An open the caller was told had failed; on success the client destroys the session.
    OrphanOpen {
        slot: u16,
    },
    /// The client's own destroy of an orphaned session.
    OrphanDestroy {
        slot: u16,
    },
    /// Any request of the caller's.
    Caller,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) id: u32,
    pub(crate) purpose: Purpose,
    pub(crate) deadline: Option<Instant>,
    /// Its deadline passed, or the caller cancelled it: it ends at the next poll.
    pub(crate) expired: bool,
    /// The caller cancelled it.
    pub(crate) cancelled: bool,
}

/// Requests awaiting a response, oldest first.
pub(crate) struct Requests<const P: usize> {
    entries: heapless::Vec<Entry, P>,
}

impl<const P: usize> Requests<P> {
    pub(crate) const fn new() -> Self {
        Requests {
            entries: heapless::Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.entries.is_full()
    }

    pub(crate) fn insert(&mut self, entry: Entry) -> bool {
        self.entries.push(entry).is_ok()
    }

    fn position(&self, id: u32) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Removes and returns the entry for `id`.
    pub(crate) fn take(&mut self, id: u32) -> Option<Entry> {
        let at = self.position(id)?;
        (at < self.entries.len()).then(|| self.entries.remove(at))
    }

    pub(crate) fn contains(&self, id: u32) -> bool {
        self.position(id).is_some()
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    /// Removes and returns the oldest entry.
    pub(crate) fn take_first(&mut self) -> Option<Entry> {
        (!self.entries.is_empty()).then(|| self.entries.remove(0))
    }

    /// True if an entry timed out.
    pub(crate) fn has_expired(&self) -> bool {
        self.entries.iter().any(|e| e.expired)
    }

    /// Removes and returns the oldest entry that timed out.
    pub(crate) fn take_expired(&mut self) -> Option<Entry> {
        let at = self.entries.iter().position(|e| e.expired)?;
        (at < self.entries.len()).then(|| self.entries.remove(at))
    }

    /// Marks entries whose deadline is at or before `now`; true if any.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let mut any = false;
        for e in self.entries.iter_mut() {
            if e.deadline.is_some_and(|d| d <= now) {
                e.expired = true;
                e.deadline = None;
                any = true;
            }
        }
        any
    }

    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.entries.iter().filter_map(|e| e.deadline).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_expire_in_order() {
        let mut r = Requests::<4>::new();
        for (id, d) in [(1, Some(50)), (2, None), (3, Some(10))] {
            assert!(r.insert(Entry {
                id,
                purpose: Purpose::Caller,
                deadline: d.map(Instant::from_millis),
                expired: false,
                cancelled: false,
            }));
        }
        assert_eq!(r.earliest_deadline(), Some(Instant::from_millis(10)));
        assert!(!r.expire(Instant::from_millis(9)));
        assert!(r.expire(Instant::from_millis(50)));
        assert_eq!(r.take_expired().map(|e| e.id), Some(1));
        assert_eq!(r.take_expired().map(|e| e.id), Some(3));
        assert!(r.take_expired().is_none());
        assert_eq!(r.take(2).map(|e| e.id), Some(2));
        assert_eq!(r.len(), 0);
    }
}
