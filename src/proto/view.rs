//! Typed views over borrowed JSON objects.
//!
//! A view reads an object's members in one pass when it is made and keeps the values it knows
//! (still raw, still borrowed); its accessors then decode one field each. Unknown members are
//! ignored and every field is optional, so a view never fails: a field the server did not send
//! (or sent with another type) reads as `None`.

use crate::json::{JsonStr, RawJson};

/// Reads a JSON value as a Rust value, if it has the right type.
pub trait FromJson<'a>: Sized {
    /// The value, if `raw` has the right type.
    fn from_json(raw: RawJson<'a>) -> Option<Self>;
}

impl<'a> FromJson<'a> for RawJson<'a> {
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        Some(raw)
    }
}

impl<'a> FromJson<'a> for JsonStr<'a> {
    fn from_json(raw: RawJson<'a>) -> Option<Self> {
        raw.as_string()
    }
}

impl FromJson<'_> for bool {
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_bool()
    }
}

impl FromJson<'_> for u64 {
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_u64()
    }
}

impl FromJson<'_> for i64 {
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_i64()
    }
}

impl FromJson<'_> for f64 {
    fn from_json(raw: RawJson<'_>) -> Option<Self> {
        raw.as_f64()
    }
}

/// Declares a view struct: `view! { /// doc  Name { /// doc  field: Type = "jsonKey", ... } }`.
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
}
