//! The member index: the spans of the members of a top-level object and of the objects nested
//! in it member by member, down to [`INDEXED_DEPTH`] levels, recorded by the validator in its
//! one pass.
//!
//! A JSON-RPC message is read at those levels: the envelope (`jsonrpc`, `id`, `method`,
//! `params`), then `params` (`sessionId`, `event`), then the event (`type`, `data`, `id`,
//! `agentId`). With the index, none of them is scanned again. Deeper objects, objects inside
//! arrays and the members past the index's capacity are not recorded: a lookup in an object
//! whose members were not all recorded says so, and the caller scans the text as before.

use super::{JsonStr, RawJson};

/// How many levels of objects are indexed: the top-level object is level 1.
pub(crate) const INDEXED_DEPTH: usize = 3;

/// How many members are recorded in all (an envelope, its params and an event have about
/// 12). A power of two, like [`LEVELS`]: a number masked with it needs no bounds check.
const CAPACITY: usize = 16;

/// The slots of [`MemberIndex::open`]: one per level, and slot 0 unused.
const LEVELS: usize = INDEXED_DEPTH + 1;

/// No member: the parent of a top-level member, or a level whose member was not recorded.
const NONE: u8 = u8::MAX;

/// One recorded member: byte offsets into the validated text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    /// The key, without its quotes.
    key: (u32, u32),
    /// The value.
    value: (u32, u32),
    /// The level of the object holding it (1: the top level). Its parent is the closest
    /// member before it one level up.
    level: u8,
    /// What is recorded of the members of the value, if it is an object.
    members: Members,
    /// Whether the key has escapes.
    key_escaped: bool,
    /// Whether the value, if it is a string, has escapes.
    value_escaped: bool,
}

/// What the index holds of an object's members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Members {
    /// Nothing: not an object, or not indexed.
    #[default]
    NotRecorded,
    /// Every member, in order.
    All,
    /// Some members were past the capacity.
    Some,
}

/// Member spans recorded by the validator (see the module docs). A fresh index per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberIndex {
    entries: [Entry; CAPACITY],
    len: u8,
    /// The number of the member being read at each level, or [`NONE`].
    open: [u8; LEVELS],
    /// What is recorded of the top-level object's members.
    root: Members,
}

impl Default for MemberIndex {
    fn default() -> Self {
        MemberIndex {
            entries: [Entry::default(); CAPACITY],
            len: 0,
            open: [NONE; LEVELS],
            root: Members::NotRecorded,
        }
    }
}

/// A recorded member, as [`MemberIndex::walk`] finds it: its parts are read when asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexedMember<'a, 'i> {
    entry: &'i Entry,
    text: &'a [u8],
}

impl<'a> IndexedMember<'a, '_> {
    /// The level of the object holding it (1: the top level).
    #[inline(always)]
    pub(crate) fn level(&self) -> u8 {
        self.entry.level
    }

    /// True if the value is an object whose members are all recorded.
    #[inline(always)]
    pub(crate) fn whole(&self) -> bool {
        self.entry.members == Members::All
    }

    /// Its key.
    #[inline(always)]
    pub(crate) fn key(&self) -> JsonStr<'a> {
        let (start, end) = self.entry.key;
        let raw = self.text.get(start as usize..end as usize).unwrap_or(&[]);
        JsonStr::from_raw(raw, self.entry.key_escaped)
    }

    /// True if its key means `name`.
    #[inline(always)]
    pub(crate) fn key_is(&self, name: &str) -> bool {
        let (start, end) = self.entry.key;
        match self.entry.key_escaped {
            // The lengths first: most keys differ in length.
            false => {
                (end - start) as usize == name.len()
                    && self.text.get(start as usize..end as usize) == Some(name.as_bytes())
            }
            true => self.key().eq_str(name),
        }
    }

    /// Its value.
    #[inline(always)]
    pub(crate) fn value(&self) -> Option<RawJson<'a>> {
        let (start, end) = self.entry.value;
        let text = self.text.get(start as usize..end as usize)?;
        Some(match text.first() {
            Some(b'"') => RawJson::string(text, self.entry.value_escaped),
            _ => RawJson::trusted(text),
        })
    }
}

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
    /// and every container around it is an indexed object: true if this one is indexed too.
    #[inline(always)]
    pub(crate) fn open_object(&mut self, level: usize) -> bool {
        if level == 1 {
            self.root = Members::All;
            return true;
        }
        if level > INDEXED_DEPTH {
            return false;
        }
        // The object is the value of the member read one level up, if that one was recorded.
        let holder = self.open_at(level - 1);
        match self.entry_mut(holder) {
            Some(entry) => {
                entry.members = Members::All;
                true
            }
            None => false,
        }
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
        let recorded = match self.entries.get_mut(usize::from(number)) {
            Some(entry) => {
                *entry = Entry {
                    key: (key.0 as u32, key.1 as u32),
                    value: (value as u32, value as u32),
                    level: level as u8,
                    members: Members::NotRecorded,
                    key_escaped,
                    value_escaped: false,
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
        let Some(slot) = self.open.get_mut(level % LEVELS) else {
            return;
        };
        let number = core::mem::replace(slot, NONE);
        if let Some(entry) = self.entry_mut(number) {
            entry.value.1 = end as u32;
            entry.value_escaped = escaped;
        }
    }

    /// True if every member of the top-level object is recorded.
    pub(crate) fn root_whole(&self) -> bool {
        self.root == Members::All
    }

    /// The recorded members of `text` (the text the index was recorded from), in the order of
    /// the text: the members of a member's value follow it, one level deeper, before its next
    /// sibling.
    pub(crate) fn walk<'a, 'i>(
        &'i self,
        text: &'a [u8],
    ) -> impl Iterator<Item = IndexedMember<'a, 'i>> {
        let recorded = self.entries.get(..usize::from(self.len)).unwrap_or(&[]);
        recorded
            .iter()
            .map(move |entry| IndexedMember { entry, text })
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

    /// `(path, value)` of every member recorded in an object recorded whole, sorted.
    fn recorded(text: &str) -> heapless::Vec<(Text, Text), 32> {
        let index = index(text);
        let mut out = heapless::Vec::new();
        // The path down to the member being read at each level, and whether its object is
        // whole.
        let mut path: [(Text, bool); LEVELS] = Default::default();
        path[0].1 = index.root_whole();
        for m in index.walk(text.as_bytes()) {
            let level = usize::from(m.level());
            let mut p = path[level - 1].0.clone();
            if !p.is_empty() {
                p.push('.').unwrap();
            }
            p.push_str(m.key().as_plain().unwrap()).unwrap();
            if path[level - 1].1 {
                out.push((p.clone(), m.value().unwrap().text().try_into().unwrap()))
                    .unwrap();
            }
            path[level] = (p, m.whole());
        }
        out.sort_unstable();
        out
    }

    /// The keys of the top level, if it is whole.
    fn top_keys(text: &str) -> Option<heapless::Vec<Text, 32>> {
        let index = index(text);
        index.root_whole().then(|| {
            index
                .walk(text.as_bytes())
                .filter(|m| m.level() == 1)
                .map(|m| m.key().as_plain().unwrap().try_into().unwrap())
                .collect()
        })
    }

    fn sorted(list: &[(&str, &str)]) -> heapless::Vec<(Text, Text), 32> {
        let mut v: heapless::Vec<(Text, Text), 32> = list
            .iter()
            .map(|&(a, b)| (a.try_into().unwrap(), b.try_into().unwrap()))
            .collect();
        v.sort_unstable();
        v
    }

    /// `{"k0":0,...}` with `n` members.
    fn wide(n: usize) -> heapless::String<256> {
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
    fn records_three_levels_of_objects() {
        let text = r#" {"a":1, "b" : {"c":{"d":{"e":2}},"f":[{"g":3}]},"h":"s"} "#;
        assert_eq!(
            recorded(text),
            sorted(&[
                ("a", "1"),
                ("b", r#"{"c":{"d":{"e":2}},"f":[{"g":3}]}"#),
                ("b.c", r#"{"d":{"e":2}}"#),
                ("b.c.d", r#"{"e":2}"#),
                ("b.f", r#"[{"g":3}]"#),
                ("h", "\"s\""),
            ])
        );
    }

    #[test]
    fn an_object_past_the_capacity_is_not_recorded_whole() {
        // `{"a":1,"b":{n members},"c":2}`.
        let nested = |n| {
            let mut text = heapless::String::<256>::new();
            core::fmt::write(
                &mut text,
                format_args!("{{\"a\":1,\"b\":{},\"c\":2}}", wide(n)),
            )
            .unwrap();
            text
        };
        // 12 inner members: all 15 fit.
        let text = nested(CAPACITY - 4);
        assert_eq!(recorded(&text).len(), 15);
        assert_eq!(top_keys(&text).unwrap(), ["a", "b", "c"]);
        // 20: neither the inner object nor the top level (whose `c` comes after) is whole.
        let text = nested(20);
        let index = index(&text);
        assert!(!index.walk(text.as_bytes()).any(|m| m.whole()));
        assert!(!index.root_whole());
        // A top level past the capacity is not whole either; one that fits is.
        assert!(top_keys(&wide(CAPACITY + 1)).is_none());
        assert_eq!(top_keys(&wide(CAPACITY)).unwrap().len(), CAPACITY);
    }

    #[test]
    fn escapes_are_recorded() {
        let text = r#"{"a\u0062":"x\ny","c":"plain"}"#;
        let index = index(text);
        let members: heapless::Vec<IndexedMember<'_, '_>, 2> =
            index.walk(text.as_bytes()).collect();
        assert!(members[0].key().is_escaped() && members[0].key_is("ab"));
        assert!(!members[0].key_is("a\\u0062"));
        let x = members[0].value().unwrap().as_string().unwrap();
        assert!(x.is_escaped() && x.eq_str("x\ny"));
        assert!(!members[1].key().is_escaped() && members[1].key_is("c"));
        let plain = members[1].value().unwrap().as_string().unwrap();
        assert!(!plain.is_escaped() && plain.eq_str("plain"));
    }

    #[test]
    fn arrays_and_scalars_index_nothing() {
        for text in ["[{\"a\":1}]", "\"s\"", "1"] {
            assert!(top_keys(text).is_none(), "{text}");
        }
        assert_eq!(recorded("{}"), sorted(&[]));
    }
}
