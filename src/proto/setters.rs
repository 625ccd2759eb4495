//! `setters!`: chainable setters for option structs, which are `#[non_exhaustive]` (so that
//! options the CLI adds later are not breaking changes) and so cannot be built with a struct
//! literal outside the crate.

/// `setters! { Type { /// doc  field: T, ... /// doc  other = U } }`: for `field: T` (an
/// `Option<T>` field) a method `field(T)` that sets `Some(value)`; for `other = U` a method
/// `other(U)` that sets the value as given.
macro_rules! setters {
    ($ty:ident { $( $field:ident $(: $opt:ty)? $(= $plain:ty)? ),* $(,)? }) => {
        impl<'a> $ty<'a> {
            $( $crate::proto::setters::setters!(@one $field $(: $opt)? $(= $plain)?); )*
        }
    };
    (@one $field:ident : $t:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        #[must_use]
        pub fn $field(mut self, value: $t) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@one $field:ident = $t:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        #[must_use]
        pub fn $field(mut self, value: $t) -> Self {
            self.$field = value;
            self
        }
    };
}

pub(crate) use setters;

/// `wire_struct! { /// doc  #[derive(..)] Name { /// doc  field: kind Type = "wireName", ... } }`:
/// a borrowed parameter struct with its `Serialize` (members in the order given, unset ones left
/// out), a `Debug` that prints secrets as `<redacted>`, and chainable setters. Kinds:
/// `req` (a plain field, always sent, set by the type's constructor), `opt` (an `Option`, sent
/// when set, with a setter), `secret` (as `opt`, but never printed by `Debug`) and `extra` (an
/// [`Extra`](crate::proto::params::Extra), spliced in, never printed).
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[doc = $doc:literal])* $field:ident : $kind:ident $ty:ty = $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        pub struct $name<'a> {
            $(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("Wire name: `", $wire, "`.")]
                pub $field: $crate::proto::setters::wire_struct!(@ty $kind $ty),
            )*
            #[doc(hidden)]
            pub _lifetime: core::marker::PhantomData<&'a ()>,
        }

        impl<'a> $name<'a> {
            $( $crate::proto::setters::wire_struct!(@setter $kind $field $ty, $wire); )*
        }

        impl serde::Serialize for $name<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(None)?;
                $( $crate::proto::setters::wire_struct!(@entry $kind map, $wire, self.$field); )*
                map.end()
            }
        }

        impl core::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    $( .field(stringify!($field), $crate::proto::setters::wire_struct!(@show $kind self.$field)) )*
                    .finish()
            }
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@ty secret $ty:ty) => { Option<$ty> };
    (@ty extra $ty:ty) => { $ty };
    (@setter req $field:ident $ty:ty, $wire:literal) => {};
    (@setter extra $field:ident $ty:ty, $wire:literal) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
        #[must_use]
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
    };
    (@setter $kind:ident $field:ident $ty:ty, $wire:literal) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ") (`", $wire, "`).")]
        #[must_use]
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = Some(value);
            self
        }
    };
    (@entry req $map:ident, $wire:literal, $value:expr) => {
        $map.serialize_entry($wire, &$value)?;
    };
    (@entry extra $map:ident, $wire:literal, $value:expr) => {
        $value.entries(&mut $map)?;
    };
    (@entry $kind:ident $map:ident, $wire:literal, $value:expr) => {
        $crate::proto::view::entry(&mut $map, $wire, &$value)?;
    };
    (@show secret $value:expr) => { &$crate::proto::view::Secret($value.is_some()) };
    (@show extra $value:expr) => { &$crate::proto::view::Secret($value.0.is_some()) };
    (@show $kind:ident $value:expr) => { &$value };
}

pub(crate) use wire_struct;
