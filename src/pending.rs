//! The two request tables: requests this client sent and awaits a response to, and requests the
//! server sent and awaits an answer to.

use core::fmt;

use crate::session::OpenKind;
use crate::time::Instant;

/// The id of a request this client sent. Its response (or its failure: timeout, connection
/// closed) arrives as exactly one event carrying this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
        kind: OpenKind,
    },
    Destroy {
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
    pub(crate) expired: bool,
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

/// Answers a request the server sent: pass it to `respond`/`respond_error`. Each handle answers
/// once; after that (or once the client has answered by itself) it is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReplyHandle {
    index: u16,
    generation: u32,
}

/// The longest server request id kept for a deferred answer, in bytes of JSON text (a quoted
/// UUID fits). Longer ids are answered at once with an error.
pub(crate) const MAX_SERVER_ID_LEN: usize = 40;

pub(crate) type ServerId = heapless::Vec<u8, MAX_SERVER_ID_LEN, u8>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    Free,
    /// The caller has it; `session` is the slot it was routed to.
    Caller {
        session: Option<u16>,
    },
    /// The client owes the server an error answer (its session closed first).
    Owed,
}

#[derive(Debug, Clone)]
pub(crate) struct ServerEntry {
    pub(crate) id: ServerId,
    generation: u32,
    pub(crate) state: Waiting,
}

impl ServerEntry {
    const EMPTY: ServerEntry = ServerEntry {
        id: heapless::Vec::new(),
        generation: 0,
        state: Waiting::Free,
    };
}

/// Server requests not answered yet.
pub(crate) struct ServerRequests<const P: usize> {
    entries: [ServerEntry; P],
    len: usize,
    /// How many entries are `Owed`.
    owed: usize,
}

impl<const P: usize> ServerRequests<P> {
    pub(crate) const fn new() -> Self {
        const {
            assert!(
                P > 0 && P < u16::MAX as usize,
                "pending capacity must be 1..65535"
            )
        };
        ServerRequests {
            entries: [ServerEntry::EMPTY; P],
            len: 0,
            owed: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Tracks a request for the caller; `None` if the table is full or the id too long.
    pub(crate) fn insert(&mut self, id: &[u8], session: Option<u16>) -> Option<ReplyHandle> {
        let id = ServerId::from_slice(id).ok()?;
        let (index, entry) = self
            .entries
            .iter_mut()
            .enumerate()
            .find(|(_, e)| e.state == Waiting::Free)?;
        entry.id = id;
        entry.state = Waiting::Caller { session };
        self.len += 1;
        Some(ReplyHandle {
            index: index as u16,
            generation: entry.generation,
        })
    }

    /// The entry of a handle the caller may still answer.
    pub(crate) fn resolve(&self, handle: ReplyHandle) -> Option<&ServerEntry> {
        let e = self.entries.get(usize::from(handle.index))?;
        (e.generation == handle.generation && matches!(e.state, Waiting::Caller { .. }))
            .then_some(e)
    }

    /// Frees the entry at `index` (answered).
    pub(crate) fn free(&mut self, index: usize) {
        if let Some(e) = self.entries.get_mut(index)
            && e.state != Waiting::Free
        {
            if e.state == Waiting::Owed {
                self.owed -= 1;
            }
            e.state = Waiting::Free;
            e.generation = e.generation.wrapping_add(1);
            e.id.clear();
            self.len -= 1;
        }
    }

    pub(crate) fn free_handle(&mut self, handle: ReplyHandle) {
        if self.resolve(handle).is_some() {
            self.free(usize::from(handle.index));
        }
    }

    /// The session slot's unanswered requests become owed error answers.
    pub(crate) fn owe_session(&mut self, slot: u16) {
        for e in self.entries.iter_mut() {
            if e.state
                == (Waiting::Caller {
                    session: Some(slot),
                })
            {
                e.state = Waiting::Owed;
                e.generation = e.generation.wrapping_add(1);
                self.owed += 1;
            }
        }
    }

    /// Every request still waiting for the caller becomes an owed error answer (the
    /// connection ended).
    pub(crate) fn owe_all(&mut self) {
        for e in self.entries.iter_mut() {
            if let Waiting::Caller { .. } = e.state {
                e.state = Waiting::Owed;
                e.generation = e.generation.wrapping_add(1);
                self.owed += 1;
            }
        }
    }

    /// The first owed answer: its index and id.
    pub(crate) fn first_owed(&self) -> Option<(usize, &ServerId)> {
        if self.owed == 0 {
            return None;
        }
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.state == Waiting::Owed)
            .map(|(i, e)| (i, &e.id))
    }

    /// Forgets every request.
    #[cfg(test)]
    pub(crate) fn clear(&mut self) {
        for i in 0..self.entries.len() {
            self.free(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_requests_answer_once() {
        let mut t = ServerRequests::<2>::new();
        let a = t.insert(b"1", Some(0)).unwrap();
        let b = t.insert(b"\"x\"", None).unwrap();
        assert!(t.insert(b"3", None).is_none());
        assert!(t.insert(&[b'9'; 41], None).is_none());
        assert_eq!(t.resolve(a).map(|e| &e.id[..]), Some(&b"1"[..]));
        t.free_handle(a);
        assert!(t.resolve(a).is_none());
        let c = t.insert(b"4", Some(1)).unwrap();
        assert_ne!(a, c);
        t.owe_session(1);
        assert!(t.resolve(c).is_none());
        assert_eq!(t.first_owed().map(|(_, id)| &id[..]), Some(&b"4"[..]));
        assert_eq!(t.len(), 2);
        t.clear();
        assert_eq!(t.len(), 0);
        assert!(t.resolve(b).is_none());
    }

    #[test]
    fn requests_expire_in_order() {
        let mut r = Requests::<4>::new();
        for (id, d) in [(1, Some(50)), (2, None), (3, Some(10))] {
            assert!(r.insert(Entry {
                id,
                purpose: Purpose::Caller,
                deadline: d.map(Instant::from_millis),
                expired: false,
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
