//! The member index: the spans of the members of a top-level object and of the objects nested
//! in it member by member, down to [`INDEXED_DEPTH`] levels, recorded by the validator in its
//! one pass.
//!
//! A JSON-RPC message is read at those levels: the envelope (`jsonrpc`, `id`, `method`,
//! `params`), then `params` (`sessionId`, `event`), then the event (`type`, `data`, `id`,
//! `agentId`), then the event's data (what a typed view reads). An object whose members are
//! all recorded is handed out as a [`RawJson`] that knows it
//! ([`MemberIndex::top`]): its lookups walk the recorded members instead of scanning
//! the text. Deeper objects, objects inside arrays and the members past the index's capacity
//! are not recorded: an object whose members were not all recorded is scanned as before.

use super::{JsonStr, RawJson};

/// How many levels of objects are indexed: the top-level object is level 1.
pub(crate) const INDEXED_DEPTH: usize = 4;

/// How many members are recorded in all (an envelope, its params and an event have about
/// 12, the data of most events fewer than 10). A power of two: a number masked with it needs
/// no bounds check.
const CAPACITY: usize = 32;

/// The slots of [`MemberIndex::open`]: one per level, and slot 0 unused. A power of two: a
/// level masked with it needs no bounds check (nor a division).
const LEVELS: usize = (INDEXED_DEPTH + 1).next_power_of_two();

/// No member: the parent of a top-level member, or a level whose member was not recorded.
pub(crate) const NONE: u8 = u8::MAX;

/// One recorded member: byte offsets from the start of the object holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The key, without its quotes.
    key: (u32, u32),
    /// The value.
    value: (u32, u32),
    /// What is recorded of the members of the value, if it is an object.
    members: Members,
    /// Whether the key has escapes.
    key_escaped: bool,
    /// Whether the value, if it is a string, has escapes.
    value_escaped: bool,
    /// The number of the first member recorded after this one and the members of its value
    /// (its next sibling, if it has one): the members of its value are those in between.
    after: u8,
}

impl Entry {
    const EMPTY: Entry = Entry {
        key: (0, 0),
        value: (0, 0),
        members: Members::NotRecorded,
        key_escaped: false,
        value_escaped: false,
        after: 0,
    };
}

/// What the index holds of an object's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Members {
    /// Nothing: not an object, or not indexed.
    NotRecorded,
    /// Every member, in order.
    All,
    /// Some members were past the capacity.
    Some,
}

/// Member spans recorded by the validator (see the module docs), for one text at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberIndex {
    entries: [Entry; CAPACITY],
    len: u8,
    /// The number of the member being read at each level, or [`NONE`].
    open: [u8; LEVELS],
    /// What is recorded of the top-level object's members.
    root: Members,
    /// Where the object whose members are read at each level starts: the offsets of its
    /// members are recorded from there.
    starts: [u32; LEVELS],
}

impl MemberIndex {
    /// An empty index.
    pub(crate) const fn new() -> Self {
        MemberIndex {
            entries: [Entry::EMPTY; CAPACITY],
            len: 0,
            open: [NONE; LEVELS],
            root: Members::NotRecorded,
            starts: [0; LEVELS],
        }
    }

    /// Forgets what was recorded, for a new text (the entries are left as they are: only the
    /// first `len` count).
    #[inline(always)]
    pub(crate) fn reset(&mut self) {
        self.len = 0;
        self.open = [NONE; LEVELS];
        self.root = Members::NotRecorded;
    }
}

impl Default for MemberIndex {
    fn default() -> Self {
        Self::new()
    }
}

/// Two indexes are equal if they recorded the same members.
impl PartialEq for MemberIndex {
    fn eq(&self, other: &Self) -> bool {
        self.recorded() == other.recorded() && self.root == other.root
    }
}

impl Eq for MemberIndex {}

impl MemberIndex {
    /// The member being read at `level`, or [`NONE`].
    #[inline(always)]
    fn open_at(&self, level: usize) -> u8 {
        self.open.get(level % LEVELS).copied().unwrap_or(NONE)
    }

    /// The recorded member numbered `n`, if there is one.
    #[inline(always)]
    fn entry_mut(&mut self, n: u8) -> Option<&mut Entry> {
        match n {
            NONE => None,
            _ => self.entries.get_mut(usize::from(n) % CAPACITY),
        }
    }

    /// Called by the validator when an object opens at `level` (its members are at that level)
    /// at byte `at`, and every container around it is an indexed object: true if this one is
    /// indexed too.
    #[inline(always)]
    pub(crate) fn open_object(&mut self, level: usize, at: usize) -> bool {
        if level == 1 {
            self.root = Members::All;
        } else if level > INDEXED_DEPTH {
            return false;
        } else {
            // The object is the value of the member read one level up, if that one was
            // recorded.
            let holder = self.open_at(level - 1);
            match self.entry_mut(holder) {
                Some(entry) => entry.members = Members::All,
                None => return false,
            }
        }
        if let Some(start) = self.starts.get_mut(level % LEVELS) {
            *start = at as u32;
        }
        true
    }

    /// Where the object whose members are read at `level` starts.
    #[inline(always)]
    fn start_at(&self, level: usize) -> u32 {
        self.starts.get(level % LEVELS).copied().unwrap_or(0)
    }

    /// Called by the validator for a member of an indexed object at `level` (at most
    /// [`INDEXED_DEPTH`]): the key's span (without quotes), whether it has escapes, and where
    /// its value starts.
    #[inline(always)]
    pub(crate) fn open_member(
        &mut self,
        level: usize,
        key: (usize, usize),
        key_escaped: bool,
        value: usize,
    ) {
        let number = self.len;
        // Offsets from the start of the object: its text is all a reader has.
        let base = self.start_at(level);
        let at = |i: usize| (i as u32).wrapping_sub(base);
        let recorded = match self.entries.get_mut(usize::from(number)) {
            Some(entry) => {
                *entry = Entry {
                    key: (at(key.0), at(key.1)),
                    value: (at(value), at(value)),
                    members: Members::NotRecorded,
                    key_escaped,
                    value_escaped: false,
                    after: number + 1,
                };
                self.len = number + 1;
                number
            }
            None => self.full(level),
        };
        if let Some(slot) = self.open.get_mut(level % LEVELS) {
            *slot = recorded;
        }
    }

    /// A member at `level` past the capacity: the object holding it no longer has all its
    /// members here.
    #[cold]
    fn full(&mut self, level: usize) -> u8 {
        let holder = match level {
            1 => NONE,
            _ => self.open_at(level - 1),
        };
        match self.entry_mut(holder) {
            Some(holder) => holder.members = Members::Some,
            None => self.root = Members::Some,
        }
        NONE
    }

    /// Called by the validator when the value of the member read at `level` ends at `end`;
    /// `escaped` says, if the value is a string, whether it has escapes.
    #[inline(always)]
    pub(crate) fn close_member(&mut self, level: usize, end: usize, escaped: bool) {
        let base = self.start_at(level);
        let Some(slot) = self.open.get_mut(level % LEVELS) else {
            return;
        };
        let number = core::mem::replace(slot, NONE);
        let after = self.len;
        if let Some(entry) = self.entry_mut(number) {
            entry.value.1 = (end as u32).wrapping_sub(base);
            entry.value_escaped = escaped;
            entry.after = after;
        }
    }

    /// True if every member of the top-level object is recorded.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn root_whole(&self) -> bool {
        self.root == Members::All
    }

    /// The members recorded so far, in the order of the text: the members of a member's value
    /// follow it, one level deeper, before its next sibling.
    #[inline(always)]
    fn recorded(&self) -> &[Entry] {
        self.entries.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The top-level value of the text the index was recorded from, `value` (that text with
    /// the whitespace around it trimmed): if it is an object whose members are all recorded,
    /// one that reads them here.
    pub(crate) fn top<'a>(&'a self, value: &'a [u8]) -> RawJson<'a> {
        match self.root {
            Members::All => RawJson::recorded(value, self, NONE),
            _ => RawJson::trusted(value),
        }
    }

    /// The members of the object that member number `holder` holds ([`NONE`]: the top-level
    /// object), whose text is `object`; all of them are recorded.
    #[inline(always)]
    pub(crate) fn members_of<'a>(&'a self, holder: u8, object: &'a [u8]) -> RecordedMembers<'a> {
        let (next, end) = match self.recorded().get(usize::from(holder)) {
            Some(entry) => (holder + 1, entry.after),
            None => (0, self.len),
        };
        RecordedMembers {
            index: self,
            object,
            next,
            end,
        }
    }
}

/// The members of an object, read from a [`MemberIndex`] (see [`MemberIndex::members_of`]).
#[derive(Debug, Clone)]
pub(crate) struct RecordedMembers<'a> {
    index: &'a MemberIndex,
    /// The object's text.
    object: &'a [u8],
    /// The number of the next member.
    next: u8,
    /// The number of the first entry past the object's members.
    end: u8,
}

impl<'a> RecordedMembers<'a> {
    /// The part of the object at `span` (offsets from its start).
    #[inline(always)]
    fn part(&self, (start, end): (u32, u32)) -> Option<&'a [u8]> {
        self.object.get(start as usize..end as usize)
    }

    /// The value of member number `number`.
    #[inline(always)]
    fn value(&self, number: u8, entry: &Entry) -> Option<RawJson<'a>> {
        let text = self.part(entry.value)?;
        Some(match (text.first(), entry.members) {
            (Some(b'"'), _) => RawJson::string(text, entry.value_escaped),
            (Some(b'{'), Members::All) => RawJson::recorded(text, self.index, number),
            _ => RawJson::trusted(text),
        })
    }

    /// The next recorded member of the object, and its number.
    #[inline(always)]
    fn next_entry(&mut self) -> Option<(u8, &'a Entry)> {
        let number = self.next;
        if number >= self.end {
            return None;
        }
        let entry = self.index.recorded().get(usize::from(number))?;
        // Over the members of the member's value, to its next sibling (always forward).
        self.next = entry.after.max(number + 1);
        Some((number, entry))
    }

    /// [`RawJson::get_each`] over the record: the members named in `keys` into `found`,
    /// `missing` of which are still `None`; a value is made only for a key asked for.
    #[inline]
    pub(crate) fn find_each(
        mut self,
        keys: &[&str],
        found: &mut [Option<RawJson<'a>>],
        mut missing: usize,
    ) {
        while let Some((number, entry)) = self.next_entry() {
            // The lengths first: most keys differ in length (and need no slicing then).
            let len = entry.key.1.wrapping_sub(entry.key.0) as usize;
            let named = |name: &&str| {
                (entry.key_escaped || name.len() == len)
                    && self
                        .part(entry.key)
                        .is_some_and(|key| JsonStr::from_raw(key, entry.key_escaped).eq_str(name))
            };
            let place = keys
                .iter()
                .zip(found.iter_mut())
                .find(|(name, place)| place.is_none() && named(name));
            if let Some((_, place)) = place {
                *place = self.value(number, entry);
                missing -= 1;
                if missing == 0 {
                    return;
                }
            }
        }
    }
}

impl<'a> Iterator for RecordedMembers<'a> {
    type Item = (JsonStr<'a>, RawJson<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (number, entry) = self.next_entry()?;
        let key = JsonStr::from_raw(self.part(entry.key)?, entry.key_escaped);
        Some((key, self.value(number, entry)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::validate::{MAX_DEPTH, validate_recording};

    type Text = heapless::String<256>;

    fn index(text: &str) -> MemberIndex {
        let mut index = MemberIndex::default();
        validate_recording(text.as_bytes(), MAX_DEPTH, &mut index).unwrap();
        index
    }

    /// `(path, value)` of every member of the objects read from the record, sorted.
    fn recorded(text: &str) -> heapless::Vec<(Text, Text), 40> {
        fn collect(object: RawJson<'_>, path: &Text, out: &mut heapless::Vec<(Text, Text), 40>) {
            if !object.is_recorded() {
                return;
            }
            for (key, value) in object.members() {
                let mut p = path.clone();
                if !p.is_empty() {
                    p.push('.').unwrap();
                }
                p.push_str(key.as_plain().unwrap()).unwrap();
                out.push((p.clone(), value.text().try_into().unwrap()))
                    .unwrap();
                collect(value, &p, out);
            }
        }
        let index = index(text);
        let mut out = heapless::Vec::new();
        collect(index.top(text.trim().as_bytes()), &Text::new(), &mut out);
        out.sort_unstable();
        out
    }

    /// The keys of the top level, if they are all recorded.
    fn top_keys(text: &str) -> Option<heapless::Vec<Text, 40>> {
        let index = index(text);
        let top = index.top(text.trim().as_bytes());
        top.is_recorded().then(|| {
            top.members()
                .map(|(k, _)| k.as_plain().unwrap().try_into().unwrap())
                .collect()
        })
    }

    fn sorted(list: &[(&str, &str)]) -> heapless::Vec<(Text, Text), 40> {
        let mut v: heapless::Vec<(Text, Text), 40> = list
            .iter()
            .map(|&(a, b)| (a.try_into().unwrap(), b.try_into().unwrap()))
            .collect();
        v.sort_unstable();
        v
    }

    /// `{"k0":0,...}` with `n` members.
    fn wide(n: usize) -> heapless::String<512> {
        let mut s = heapless::String::new();
        s.push('{').unwrap();
        for k in 0..n {
            if k > 0 {
                s.push(',').unwrap();
            }
            core::fmt::write(&mut s, format_args!("\"k{k}\":{k}")).unwrap();
        }
        s.push('}').unwrap();
        s
    }

    #[test]
    fn records_four_levels_of_objects() {
        let text = r#" {"a":1, "b" : {"c":{"d":{"e":{"x":2}}},"f":[{"g":3}]},"h":"s","i":{}} "#;
        assert_eq!(
            recorded(text),
            sorted(&[
                ("a", "1"),
                ("b", r#"{"c":{"d":{"e":{"x":2}}},"f":[{"g":3}]}"#),
                ("b.c", r#"{"d":{"e":{"x":2}}}"#),
                ("b.c.d", r#"{"e":{"x":2}}"#),
                ("b.c.d.e", r#"{"x":2}"#),
                ("b.f", r#"[{"g":3}]"#),
                ("h", "\"s\""),
                ("i", "{}"),
            ])
        );
        // A member read from the record is the one a scan finds, with its place in the text.
        let index = index(text);
        let top = index.top(text.trim().as_bytes());
        let e = ["b", "c", "d", "e"]
            .iter()
            .try_fold(top, |object, key| object.get(key))
            .unwrap();
        assert!(!e.is_recorded());
        assert_eq!(e.get("x").and_then(|x| x.as_u64()), Some(2));
        assert_eq!(top.get("h"), RawJson::parse(text).unwrap().get("h"));
    }

    #[test]
    fn an_object_past_the_capacity_is_not_recorded_whole() {
        // `{"a":1,"b":{n members},"c":2}`.
        let nested = |n| {
            let mut text = heapless::String::<512>::new();
            core::fmt::write(
                &mut text,
                format_args!("{{\"a\":1,\"b\":{},\"c\":2}}", wide(n)),
            )
            .unwrap();
            text
        };
        // 28 inner members: all 31 fit.
        let text = nested(CAPACITY - 4);
        assert_eq!(recorded(&text).len(), CAPACITY - 1);
        assert_eq!(top_keys(&text).unwrap(), ["a", "b", "c"]);
        // 40: neither the inner object nor the top level (whose `c` comes after) is whole,
        // and both are scanned.
        let text = nested(40);
        let index = index(&text);
        let top = index.top(text.as_bytes());
        assert!(!top.is_recorded());
        assert_eq!(top.get("b").unwrap().members().count(), 40);
        assert_eq!(top.get("c").and_then(|c| c.as_u64()), Some(2));
        // A top level past the capacity is not whole either; one that fits is.
        assert!(top_keys(&wide(CAPACITY + 1)).is_none());
        assert_eq!(top_keys(&wide(CAPACITY)).unwrap().len(), CAPACITY);
    }

    #[test]
    fn escapes_are_recorded() {
        let text = r#"{"a\u0062":"x\ny","c":"plain"}"#;
        let index = index(text);
        let members: heapless::Vec<_, 2> = index.top(text.as_bytes()).members().collect();
        let (key, value) = members[0];
        assert!(key.is_escaped() && key.eq_str("ab"));
        let x = value.as_string().unwrap();
        assert!(x.is_escaped() && x.eq_str("x\ny"));
        let (key, value) = members[1];
        assert!(!key.is_escaped() && key.eq_str("c"));
        let plain = value.as_string().unwrap();
        assert!(!plain.is_escaped() && plain.eq_str("plain"));
        assert_eq!(index.top(text.as_bytes()).get_str("ab"), Some(x));
    }

    #[test]
    fn arrays_and_scalars_index_nothing() {
        for text in ["[{\"a\":1}]", "\"s\"", "1"] {
            assert!(top_keys(text).is_none(), "{text}");
        }
        assert_eq!(top_keys("{}").unwrap().len(), 0);
        assert_eq!(recorded("{}"), sorted(&[]));
    }

    #[test]
    fn an_index_used_again_forgets_the_text_before() {
        let mut index = MemberIndex::default();
        let first = r#"{"a":{"b":1,"c":2},"d":3}"#;
        validate_recording(first.as_bytes(), MAX_DEPTH, &mut index).unwrap();
        let second = r#"{"e":4}"#;
        validate_recording(second.as_bytes(), MAX_DEPTH, &mut index).unwrap();
        let keys: heapless::Vec<_, 4> = index
            .top(second.as_bytes())
            .members()
            .map(|(k, v)| (k.as_plain().unwrap(), v.text()))
            .collect();
        assert_eq!(keys, [("e", "4")]);
        drop(keys);
        // A text that is not an object records nothing.
        validate_recording(b"[1]", MAX_DEPTH, &mut index).unwrap();
        assert!(!index.top(b"[1]").is_recorded());
    }
}
