//! The table of requests the server sent and awaits an answer to, and the handles the caller
//! answers them with.

use crate::client::sessions::ClientTag;

/// Answers a request the server sent: pass it to `respond`/`respond_error`. Each handle answers
/// once; after that (or once the client has answered by itself) it is stale.
///
/// A handle also names its client, which is checked when it is used: another client refuses
/// it. Equality and hashing look at the slot and its generation only.
#[derive(Clone, Copy)]
#[must_use = "every server request must be answered once"]
pub struct ReplyHandle {
    index: u16,
    tag: ClientTag,
    generation: u32,
}

impl PartialEq for ReplyHandle {
    fn eq(&self, other: &Self) -> bool {
        (self.index, self.generation) == (other.index, other.generation)
    }
}

impl Eq for ReplyHandle {}

impl core::hash::Hash for ReplyHandle {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.index, self.generation).hash(state)
    }
}

impl core::fmt::Debug for ReplyHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The tag is left out: it differs from run to run.
        f.debug_struct("ReplyHandle")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for ReplyHandle {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "ReplyHandle({=u16}#{=u32})", self.index, self.generation)
    }
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
    /// The client owes the server an error answer: its session closed first, or the server
    /// cancelled it (`cancelled`: then the answer is -32800).
    Owed {
        cancelled: bool,
    },
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
    /// The tag of the client the handles belong to.
    tag: ClientTag,
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
            tag: ClientTag::NONE,
            entries: [ServerEntry::EMPTY; P],
            len: 0,
            owed: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Tracks a request for the caller, for the client tagged `tag`; `None` if the table is
    /// full or the id too long.
    pub(crate) fn insert(
        &mut self,
        tag: ClientTag,
        id: &[u8],
        session: Option<u16>,
    ) -> Option<ReplyHandle> {
        self.tag = tag;
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
            tag,
            generation: entry.generation,
        })
    }

    /// The entry of a handle the caller may still answer.
    pub(crate) fn resolve(&self, handle: ReplyHandle) -> Option<&ServerEntry> {
        let e = self.entries.get(usize::from(handle.index))?;
        let ours = handle.tag == self.tag;
        (ours && e.generation == handle.generation && matches!(e.state, Waiting::Caller { .. }))
            .then_some(e)
    }

    /// Frees the entry at `index` (answered).
    pub(crate) fn free(&mut self, index: usize) {
        if let Some(e) = self.entries.get_mut(index)
            && e.state != Waiting::Free
        {
            if let Waiting::Owed { .. } = e.state {
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
                e.state = Waiting::Owed { cancelled: false };
                e.generation = e.generation.wrapping_add(1);
                self.owed += 1;
            }
        }
    }

    /// The server cancelled the request whose id is `id` (its JSON text): if the caller still
    /// has it, its handle goes stale and the client owes a -32800 answer. Returns the stale
    /// handle and the session slot the request was routed to.
    pub(crate) fn cancel(&mut self, id: &[u8]) -> Option<(ReplyHandle, Option<u16>)> {
        let tag = self.tag;
        let (index, e) = self
            .entries
            .iter_mut()
            .enumerate()
            .find(|(_, e)| matches!(e.state, Waiting::Caller { .. }) && e.id == id)?;
        let Waiting::Caller { session } = e.state else {
            return None;
        };
        let handle = ReplyHandle {
            index: index as u16,
            tag,
            generation: e.generation,
        };
        e.state = Waiting::Owed { cancelled: true };
        e.generation = e.generation.wrapping_add(1);
        self.owed += 1;
        Some((handle, session))
    }

    /// Every request still waiting for the caller becomes an owed error answer (the
    /// connection ended).
    pub(crate) fn owe_all(&mut self) {
        for e in self.entries.iter_mut() {
            if let Waiting::Caller { .. } = e.state {
                e.state = Waiting::Owed { cancelled: false };
                e.generation = e.generation.wrapping_add(1);
                self.owed += 1;
            }
        }
    }

    /// The first owed answer: its index, its id, and whether it was cancelled.
    pub(crate) fn first_owed(&self) -> Option<(usize, &ServerId, bool)> {
        if self.owed == 0 {
            return None;
        }
        self.entries
            .iter()
            .enumerate()
            .find_map(|(i, e)| match e.state {
                Waiting::Owed { cancelled } => Some((i, &e.id, cancelled)),
                _ => None,
            })
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
        let a = t.insert(ClientTag::of(1), b"1", Some(0)).unwrap();
        let b = t.insert(ClientTag::of(1), b"\"x\"", None).unwrap();
        assert!(t.insert(ClientTag::of(1), b"3", None).is_none());
        assert!(t.insert(ClientTag::of(1), &[b'9'; 41], None).is_none());
        assert_eq!(t.resolve(a).map(|e| &e.id[..]), Some(&b"1"[..]));
        t.free_handle(a);
        assert!(t.resolve(a).is_none());
        let c = t.insert(ClientTag::of(1), b"4", Some(1)).unwrap();
        assert_ne!(a, c);
        t.owe_session(1);
        assert!(t.resolve(c).is_none());
        assert_eq!(
            t.first_owed()
                .map(|(_, id, cancelled)| (&id[..], cancelled)),
            Some((&b"4"[..], false))
        );
        assert_eq!(t.len(), 2);
        t.clear();
        assert_eq!(t.len(), 0);
        assert!(t.resolve(b).is_none());
    }
}
