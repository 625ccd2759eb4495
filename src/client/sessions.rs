//! The session table: fixed capacity, found by id, with handles that go stale on release.

use crate::json::JsonStr;
use crate::proto::{MAX_SESSION_ID_LEN, SessionId};

/// A session in the client's table: a small copyable key for the caller's own per-session
/// state. It is returned by `create_session`/`resume_session` before any byte is sent, and every
/// event of the session carries it. Once the session is released, the handle is stale and the
/// client rejects it (a later session in the same slot gets a new handle).
///
/// A handle also names its client, which is checked when it is used: another client refuses
/// it. Equality, ordering and hashing look at the slot and its generation only, so the handles
/// of two clients in the same state compare equal.
#[derive(Clone, Copy)]
#[must_use = "the session's events and its requests are addressed by this handle"]
pub struct SessionHandle {
    index: u16,
    tag: ClientTag,
    generation: u32,
}

impl SessionHandle {
    fn key(&self) -> (u16, u32) {
        (self.index, self.generation)
    }
}

impl PartialEq for SessionHandle {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for SessionHandle {}

impl core::hash::Hash for SessionHandle {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl PartialOrd for SessionHandle {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SessionHandle {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl core::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The tag is left out: it differs from run to run.
        f.debug_struct("SessionHandle")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SessionHandle {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "SessionHandle({=u16}#{=u32})",
            self.index,
            self.generation
        )
    }
}

/// Which client a handle belongs to, checked when a handle is used: a client refuses the
/// handles of another. Given once per client, when its first handle is made: a number from a
/// counter shared by all clients where the target has atomics (distinct for 65,535 clients in a
/// row, even on one reused buffer), else a hash of the address of the client's transmit buffer,
/// which no other live client shares (two tags collide by 1 chance in 32,768). Clients whose
/// tags collide would not tell their handles apart, which still cannot misroute anything of
/// their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct ClientTag(u16);

impl ClientTag {
    /// The tag of a table no handle came from yet.
    pub(crate) const NONE: ClientTag = ClientTag(0);

    /// A new client's tag; `addr` is the address of its transmit buffer.
    pub(crate) fn next(addr: usize) -> ClientTag {
        #[cfg(target_has_atomic = "16")]
        {
            use core::sync::atomic::{AtomicU16, Ordering};
            static NEXT: AtomicU16 = AtomicU16::new(1);
            let _ = addr;
            // Never 0, the tag of a table no handle came from yet.
            let tag = NEXT.fetch_add(1, Ordering::Relaxed);
            ClientTag(if tag == 0 {
                NEXT.fetch_add(1, Ordering::Relaxed)
            } else {
                tag
            })
        }
        #[cfg(not(target_has_atomic = "16"))]
        {
            ClientTag::of(addr)
        }
    }

    /// The tag of the client whose transmit buffer starts at `addr`.
    #[cfg_attr(target_has_atomic = "16", allow(dead_code))]
    pub(crate) fn of(addr: usize) -> ClientTag {
        let mixed = (addr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Never 0, the tag of a table no handle came from yet.
        ClientTag((mixed >> 48) as u16 | 1)
    }
}

impl SessionHandle {
    /// The slot index, `0..S`: handy to index the caller's own fixed array of per-session state.
    pub fn index(&self) -> usize {
        usize::from(self.index)
    }
}

/// The method that opens a session: `session.create` or `session.resume`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OpenMethod {
    /// `session.create`
    Create,
    /// `session.resume`
    Resume,
}

impl OpenMethod {
    /// The method's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            OpenMethod::Create => "session.create",
            OpenMethod::Resume => "session.resume",
        }
    }
}

/// Where a session stands, as the caller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SessionState {
    /// `session.create`/`session.resume` is in flight; events are already routed to it.
    Pending(OpenMethod),
    /// Open.
    Active,
    /// Open, and a `session.resume` of it is in flight (a live resume, to change its
    /// configuration): its events keep flowing to it, requests on it are sent, and it stays
    /// open whatever the resume's outcome.
    Resuming,
    /// `session.destroy` is in flight; events are still routed to it until the response.
    Closing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    Free,
    Live(SessionState),
    /// The caller was told the open failed (timeout, unreadable response) but the server may
    /// hold the session: kept out of routing until the client has destroyed it.
    Orphaned,
}

const NONE: u16 = u16::MAX;

#[derive(Clone)]
pub(crate) struct Slot {
    id: SessionId,
    hash: u32,
    next: u16,
    generation: u32,
    pub(crate) state: SlotState,
}

impl Slot {
    const EMPTY: Slot = Slot {
        id: SessionId::EMPTY,
        hash: 0,
        next: NONE,
        generation: 0,
        state: SlotState::Free,
    };

    pub(crate) fn id(&self) -> &SessionId {
        &self.id
    }
}

/// Why a slot could not be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReserveError {
    Full,
    Duplicate,
}

/// The session table: `S` slots, found by id through hash chains (no allocation, O(1)).
pub(crate) struct SessionTable<const S: usize> {
    /// The tag of the client the handles belong to.
    tag: ClientTag,
    slots: [Slot; S],
    /// Chain heads, indexed by `hash % S`.
    heads: [u16; S],
    /// Free slots, linked through `Slot::next`.
    free: u16,
    len: usize,
}

fn hash(id: &[u8]) -> u32 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ id.len() as u64;
    let mut chunks = id.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
    let mut w = [0u8; 8];
    let rest = chunks.remainder();
    if let Some(dst) = w.get_mut(..rest.len()) {
        dst.copy_from_slice(rest);
    }
    h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517C_C1B7_2722_0A95);
    (h ^ (h >> 32)) as u32
}

impl<const S: usize> SessionTable<S> {
    pub(crate) const fn new() -> Self {
        const {
            assert!(
                S > 0 && S < NONE as usize,
                "session capacity must be 1..65535"
            )
        };
        let mut slots = [Slot::EMPTY; S];
        let mut i = 0;
        while i < S {
            slots[i].next = if i + 1 < S { (i + 1) as u16 } else { NONE };
            i += 1;
        }
        SessionTable {
            tag: ClientTag::NONE,
            slots,
            heads: [NONE; S],
            free: 0,
            len: 0,
        }
    }

    /// Sessions in the table (orphans included: they hold a slot).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn bucket(hash: u32) -> usize {
        hash as usize % S
    }

    fn slot(&self, index: u16) -> Option<&Slot> {
        self.slots.get(usize::from(index))
    }

    fn slot_mut(&mut self, index: u16) -> Option<&mut Slot> {
        self.slots.get_mut(usize::from(index))
    }

    /// Finds a live session by id.
    pub(crate) fn find(&self, id: &[u8]) -> Option<u16> {
        let h = hash(id);
        let mut i = *self.heads.get(Self::bucket(h))?;
        while i != NONE {
            let slot = self.slot(i)?;
            if slot.hash == h && slot.id.as_str().as_bytes() == id {
                return Some(i);
            }
            i = slot.next;
        }
        None
    }

    /// Finds a live session by an id as received (decoding escapes if there are any).
    pub(crate) fn find_json(&self, id: JsonStr<'_>) -> Option<u16> {
        match id.is_escaped() {
            false => self.find(id.raw_bytes()),
            true => {
                let mut buf = [0u8; MAX_SESSION_ID_LEN];
                let decoded = id.unescape_into(&mut buf).ok()?;
                self.find(decoded.as_bytes())
            }
        }
    }

    /// Reserves a slot for `id` in state `Pending(kind)`.
    pub(crate) fn reserve(&mut self, id: SessionId, kind: OpenMethod) -> Result<u16, ReserveError> {
        if self.find(id.as_str().as_bytes()).is_some() {
            return Err(ReserveError::Duplicate);
        }
        let index = self.free;
        let h = hash(id.as_str().as_bytes());
        let bucket = Self::bucket(h);
        let head = *self.heads.get(bucket).ok_or(ReserveError::Full)?;
        let slot = self.slot_mut(index).ok_or(ReserveError::Full)?;
        let next_free = slot.next;
        slot.id = id;
        slot.hash = h;
        slot.next = head;
        slot.state = SlotState::Live(SessionState::Pending(kind));
        self.free = next_free;
        if let Some(head) = self.heads.get_mut(bucket) {
            *head = index;
        }
        self.len += 1;
        Ok(index)
    }

    fn unlink(&mut self, index: u16) {
        let Some(slot) = self.slot(index) else { return };
        let (bucket, next) = (Self::bucket(slot.hash), slot.next);
        let Some(&head) = self.heads.get(bucket) else {
            return;
        };
        if head == index {
            if let Some(head) = self.heads.get_mut(bucket) {
                *head = next;
            }
            return;
        }
        let mut i = head;
        while i != NONE {
            let Some(s) = self.slot(i) else { return };
            if s.next == index {
                if let Some(s) = self.slot_mut(i) {
                    s.next = next;
                }
                return;
            }
            i = s.next;
        }
    }

    /// Frees a slot; its handle becomes stale.
    pub(crate) fn release(&mut self, index: u16) {
        let linked = matches!(self.slot(index).map(|s| s.state), Some(SlotState::Live(_)));
        if linked {
            self.unlink(index);
        }
        let free = self.free;
        let Some(slot) = self.slot_mut(index) else {
            return;
        };
        if slot.state == SlotState::Free {
            return;
        }
        slot.state = SlotState::Free;
        slot.generation = slot.generation.wrapping_add(1);
        slot.id = SessionId::EMPTY;
        slot.next = free;
        self.free = index;
        self.len -= 1;
    }

    /// Takes a live slot out of routing, keeping it allocated; its handle becomes stale.
    pub(crate) fn orphan(&mut self, index: u16) {
        if !matches!(self.slot(index).map(|s| s.state), Some(SlotState::Live(_))) {
            return;
        }
        self.unlink(index);
        if let Some(slot) = self.slot_mut(index) {
            slot.state = SlotState::Orphaned;
            slot.generation = slot.generation.wrapping_add(1);
            slot.next = NONE;
        }
    }

    /// Names the client the handles belong to (its tag never changes).
    pub(crate) fn set_tag(&mut self, tag: ClientTag) {
        self.tag = tag;
    }

    pub(crate) fn handle(&self, index: u16) -> SessionHandle {
        SessionHandle {
            index,
            tag: self.tag,
            generation: self.slot(index).map_or(0, |s| s.generation),
        }
    }

    /// The slot of a handle that is still live.
    pub(crate) fn resolve(&self, handle: SessionHandle) -> Option<u16> {
        let slot = self.slot(handle.index)?;
        let ours = handle.tag == self.tag;
        (ours && slot.generation == handle.generation && matches!(slot.state, SlotState::Live(_)))
            .then_some(handle.index)
    }

    pub(crate) fn get(&self, index: u16) -> Option<&Slot> {
        self.slot(index)
    }

    pub(crate) fn set_state(&mut self, index: u16, state: SessionState) {
        if let Some(slot) = self.slot_mut(index)
            && matches!(slot.state, SlotState::Live(_))
        {
            slot.state = SlotState::Live(state);
        }
    }

    /// Slots in use, with their index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u16, &Slot)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state != SlotState::Free)
            .map(|(i, s)| (i as u16, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SessionId {
        SessionId::new(s).unwrap()
    }

    #[test]
    fn reserve_find_release_reuse() {
        let mut t = SessionTable::<3>::new();
        let a = t.reserve(id("a"), OpenMethod::Create).unwrap();
        let b = t.reserve(id("b"), OpenMethod::Resume).unwrap();
        let c = t.reserve(id("c"), OpenMethod::Create).unwrap();
        assert_eq!(
            t.reserve(id("d"), OpenMethod::Create),
            Err(ReserveError::Full)
        );
        assert_eq!(t.find(b"b"), Some(b));
        let hb = t.handle(b);
        t.release(b);
        assert_eq!(t.resolve(hb), None);
        assert_eq!(t.find(b"b"), None);
        assert_eq!(t.find(b"a"), Some(a));
        assert_eq!(t.find(b"c"), Some(c));
        assert_eq!(
            t.reserve(id("a"), OpenMethod::Create),
            Err(ReserveError::Duplicate)
        );
        let d = t.reserve(id("d"), OpenMethod::Create).unwrap();
        assert_eq!(d, b);
        assert_ne!(t.handle(d), hb);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn chains_survive_collisions() {
        // One bucket: every id collides.
        let mut t = SessionTable::<1>::new();
        let a = t.reserve(id("a"), OpenMethod::Create).unwrap();
        t.release(a);
        let mut t = SessionTable::<4>::new();
        let ids = ["s1", "s2", "s3", "s4"];
        let idx: heapless::Vec<u16, 4> = ids
            .iter()
            .map(|s| t.reserve(id(s), OpenMethod::Create).unwrap())
            .collect();
        t.release(idx[1]);
        t.orphan(idx[2]);
        assert_eq!(t.find(b"s1"), Some(idx[0]));
        assert_eq!(t.find(b"s2"), None);
        assert_eq!(t.find(b"s3"), None);
        assert_eq!(t.find(b"s4"), Some(idx[3]));
        assert_eq!(t.len(), 3);
        t.release(idx[2]);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn escaped_ids_are_found() {
        let mut t = SessionTable::<2>::new();
        let a = t.reserve(id("ab"), OpenMethod::Create).unwrap();
        assert_eq!(t.find_json(JsonStr::from_raw(b"a\\u0062", true)), Some(a));
    }
}
