//! What generated and hand-written views share.
//!
//! A generated view wraps an object and reads nothing until asked: each accessor finds its
//! member then ([`member`]). Unknown members are ignored and every field is optional, so a
//! view never fails: a field the server did not send (or sent with another type) reads as
//! `None`. The hand-written views of methods the schemas do not describe ([`view!`]) read
//! their members in one pass when they are made.

use core::fmt;
use core::marker::PhantomData;

use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

use crate::json::redact::redact;
use crate::json::{Elements, JsonStr, RawJson};

/// Reads a JSON value as a Rust value, if it has the right type.
pub trait FromJson<'a>: Sized {
    /// The value, if `raw` has the right type.
    fn from_json(raw: RawJson<'a>) -> Option<Self>;
}

impl<'a> FromJson<'a> for RawJson<'a> {
    #[inline]
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        Some(raw)
    }
}

impl<'a> FromJson<'a> for JsonStr<'a> {
    #[inline]
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        raw.as_string()
    }
}

impl FromJson<'_> for bool {
    #[inline]
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_bool()
    }
}

impl FromJson<'_> for u64 {
    /// An integer however it is written (`1`, `1.0`, `1e3`): see [`RawJson::as_u64`].
    #[inline]
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_u64()
    }
}

impl FromJson<'_> for i64 {
    /// An integer however it is written (`-1`, `-1.0`, `-1e3`): see [`RawJson::as_i64`].
    #[inline]
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_i64()
    }
}

impl FromJson<'_> for f64 {
    #[inline]
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_f64()
    }
}

impl FromJson<'_> for () {
    /// Results that are `null` (or anything: the answer carries nothing to read).
    #[inline]
    fn from_json(_: RawJson<'_>) -> Option<Self> {
        Some(())
    }
}

impl<'a> FromJson<'a> for crate::SessionEvent<'a> {
    /// An event object with a string `type` (as in `session.getMessages`).
    #[inline]
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        crate::SessionEvent::from_event(raw)
    }
}

/// The member `key` of a view's object, read as `T` (`None` if absent or of another type).
/// A free function over the field, so that generated accessors need no method lookup among
/// the many inherent impls of [`View`].
#[inline]
pub(crate) fn member<'a, K, T: FromJson<'a>>(view: &View<'a, K>, key: &str) -> Option<T> {
    view.raw.get(key).and_then(T::from_json)
}

/// A string enum read from the wire: the variant whose wire name equals the (decoded) text,
/// `unknown` for any other string, `None` for a value that is not a string.
#[inline]
pub(crate) fn wire_enum<T: Copy>(raw: RawJson<'_>, table: &[(&str, T)], unknown: T) -> Option<T> {
    let text = raw.as_string()?;
    Some(
        table
            .iter()
            .find(|(wire, _)| text.eq_str(wire))
            .map_or(unknown, |(_, v)| *v),
    )
}

/// The wire name of a string enum, serialized; the empty name (an `Unknown` variant) is
/// refused, so a request with it is never sent.
pub(crate) struct WireName(pub &'static str);

impl Serialize for WireName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            return Err(S::Error::custom("an `Unknown` enum value cannot be sent"));
        }
        serializer.serialize_str(self.0)
    }
}

/// Writes `key: value` unless the value is absent.
#[inline]
pub(crate) fn entry<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, v),
        None => Ok(()),
    }
}

/// A secret under `Debug`: `<redacted>` if present, `None` if not.
pub(crate) struct Secret(pub bool);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 {
            crate::proto::REDACTED
        } else {
            "None"
        })
    }
}

/// The marker type of a generated view (`kinds::X` in `View<'a, kinds::X>`): what the code
/// generator knows of the object.
pub trait Kind {
    /// The members of the object that hold secrets, known from the schema: `Debug` prints
    /// their values as `<redacted>`, as it does those of members named like secrets (a
    /// `token`, an `apiKey`, ...) at any depth. These are typed: an `env` map, the `value` of
    /// a secret.
    const SECRETS: &'static [&'static str] = &[];
}

/// A typed, borrowed view of a JSON object: what every generated view is (`X<'a>` is
/// `View<'a, kinds::X>`, with one accessor per field of the schema).
///
/// Nothing is read when a view is made; each accessor finds its member then, so a view the
/// program does not use costs nothing. Unknown members are ignored and every field is
/// optional: a field the server did not send (or sent with another type) reads as `None`.
///
/// `Debug` prints the object's JSON, with the values of members that hold secrets replaced by
/// `<redacted>`: those named like secrets (`token`, `*Token`, `*apiKey*`, `*secret*`,
/// `*password*`, `*cookie*`, `authorization`, `hmac`, `*headers`) at any depth, and those of
/// the object the schema types as secrets ([`Kind::SECRETS`]).
#[non_exhaustive]
pub struct View<'a, K> {
    raw: RawJson<'a>,
    kind: PhantomData<fn() -> K>,
}

impl<'a, K> View<'a, K> {
    /// Wraps an object; nothing is read until asked.
    #[inline]
    pub const fn new(raw: RawJson<'a>) -> Self {
        View {
            raw,
            kind: PhantomData,
        }
    }

    /// The whole object, raw.
    #[inline]
    pub const fn raw(&self) -> RawJson<'a> {
        self.raw
    }
}

impl<K> Clone for View<'_, K> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for View<'_, K> {}

impl<K> PartialEq for View<'_, K> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<K> Eq for View<'_, K> {}

impl<'a, K> FromJson<'a> for View<'a, K> {
    /// The view of an object (`None` if the value is not an object).
    #[inline]
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        raw.is_object().then_some(View::new(raw))
    }
}

impl<K: Kind> fmt::Debug for View<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redact(self.raw.text(), K::SECRETS, &mut |piece| f.write_str(piece)).map(|_| ())
    }
}

/// The object's JSON, or `{ <redacted> }` if it holds a secret (as under `Debug`).
#[cfg(feature = "defmt")]
impl<K: Kind> defmt::Format for View<'_, K> {
    fn format(&self, f: defmt::Formatter<'_>) {
        if crate::json::redact::has_secret(self.raw.text(), K::SECRETS) {
            defmt::write!(f, "{{ <redacted> }}")
        } else {
            defmt::write!(f, "{=str}", self.raw.text())
        }
    }
}

/// A JSON array read lazily as `T`s: an [`Iterator`] over the elements that read as `T`.
/// Elements of another type are skipped (an array of ids with a `null` in it yields the
/// ids); [`raw`](Self::raw) has them all.
pub struct JsonArray<'a, T> {
    raw: RawJson<'a>,
    elements: Elements<'a>,
    item: PhantomData<fn() -> T>,
}

impl<'a, T> JsonArray<'a, T> {
    /// The array, raw.
    pub fn raw(&self) -> RawJson<'a> {
        self.raw
    }
}

impl<'a, T: FromJson<'a>> Iterator for JsonArray<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.elements.by_ref().find_map(T::from_json)
    }
}

impl<'a, T: FromJson<'a>> FromJson<'a> for JsonArray<'a, T> {
    /// The array (`None` if the value is not an array).
    #[inline]
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        raw.as_bytes().first().filter(|b| **b == b'[')?;
        Some(JsonArray {
            raw,
            elements: raw.elements(),
            item: PhantomData,
        })
    }
}

impl<T> Clone for JsonArray<'_, T> {
    fn clone(&self) -> Self {
        JsonArray {
            raw: self.raw,
            elements: self.elements.clone(),
            item: PhantomData,
        }
    }
}

impl<T> fmt::Debug for JsonArray<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

#[cfg(feature = "defmt")]
impl<T> defmt::Format for JsonArray<'_, T> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{}", self.raw)
    }
}

/// Declares a view struct that reads its members in one pass when made (hand-written views
/// of methods the schemas do not describe): `view! { /// doc  Name { /// doc  field: Type =
/// "jsonKey", ... } }`.
macro_rules! view {
    ($(
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name<'a> {
            raw: $crate::json::RawJson<'a>,
            $( $field: Option<$crate::json::RawJson<'a>>, )*
        }

        impl<'a> $name<'a> {
            /// Reads the object's members (one pass).
            pub fn new(raw: $crate::json::RawJson<'a>) -> Self {
                const KEYS: &[&str] = &[$($key),*];
                let mut found = [None; KEYS.len()];
                raw.get_each(KEYS, &mut found);
                #[allow(unused_variables)]
                let [$($field),*] = found;
                $name { raw, $( $field, )* }
            }

            /// The whole object, raw.
            pub fn raw(&self) -> $crate::json::RawJson<'a> {
                self.raw
            }

            $(
                $(#[$fmeta])*
                #[doc = concat!("\n\n`", $key, "`")]
                pub fn $field(&self) -> Option<$ty> {
                    self.$field.and_then($crate::proto::view::FromJson::from_json)
                }
            )*
        }

        impl<'a> $crate::proto::view::FromJson<'a> for $name<'a> {
            fn from_json(raw: $crate::json::RawJson<'a>) -> Option<Self> {
                raw.is_object().then(|| Self::new(raw))
            }
        }
    )*};
}

pub(crate) use view;

#[cfg(test)]
mod tests {
    use super::*;

    view! {
        /// A test view.
        Sample {
            /// A string.
            name: JsonStr<'a> = "name",
            count: u64 = "count",
            flag: bool = "flag",
            nested: RawJson<'a> = "nested",
        }
    }

    #[test]
    fn reads_known_members_and_tolerates_the_rest() {
        let raw = RawJson::parse(r#"{"count":"not a number","name":"x\ty","extra":[1],"nested":{"a":1},"name":"second"}"#).unwrap();
        let v = Sample::new(raw);
        assert!(v.name().unwrap().eq_str("x\ty"));
        assert_eq!(v.count(), None);
        assert_eq!(v.flag(), None);
        assert_eq!(v.nested().unwrap().text(), r#"{"a":1}"#);
        assert_eq!(v.raw(), raw);
        assert_eq!(Sample::new(RawJson::NULL).name(), None);
    }

    #[test]
    fn arrays_skip_elements_of_another_type() {
        let raw = RawJson::parse(r#"["a",1,null,"b\n"]"#).unwrap();
        let items: JsonArray<'_, JsonStr<'_>> = JsonArray::from_json(raw).unwrap();
        assert_eq!(items.raw(), raw);
        let got: heapless::Vec<JsonStr<'_>, 4> = items.collect();
        assert_eq!(got.len(), 2);
        assert!(got[1].eq_str("b\n"));
        assert!(JsonArray::<u64>::from_json(RawJson::EMPTY_OBJECT).is_none());
    }

    #[test]
    fn views_redact_the_members_their_kind_names() {
        extern crate std;
        enum Plain {}
        impl Kind for Plain {}
        enum Secretive {}
        impl Kind for Secretive {
            const SECRETS: &'static [&'static str] = &["value", "env"];
        }
        let raw = RawJson::parse(
            r#"{"value":"s3cr3t","env":{"A":"s3cr3t"},"inner":{"value":"kept"},"token":"s3cr3t"}"#,
        )
        .unwrap();
        assert_eq!(
            std::format!("{:?}", View::<Secretive>::new(raw)),
            r#"{"value":<redacted>,"env":<redacted>,"inner":{"value":"kept"},"token":<redacted>}"#
        );
        assert_eq!(
            std::format!("{:?}", View::<Plain>::new(raw)),
            r#"{"value":"s3cr3t","env":{"A":"s3cr3t"},"inner":{"value":"kept"},"token":<redacted>}"#
        );
    }

    #[test]
    fn enums_compare_decoded_text() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum E {
            A,
            Unknown,
        }
        let table = [("a/b", E::A)];
        let plain = RawJson::parse(r#""a/b""#).unwrap();
        let escaped = RawJson::parse(r#""a\/b""#).unwrap();
        let other = RawJson::parse(r#""c""#).unwrap();
        assert_eq!(wire_enum(plain, &table, E::Unknown), Some(E::A));
        assert_eq!(wire_enum(escaped, &table, E::Unknown), Some(E::A));
        assert_eq!(wire_enum(other, &table, E::Unknown), Some(E::Unknown));
        assert_eq!(wire_enum(RawJson::NULL, &table, E::Unknown), None);
    }
}
