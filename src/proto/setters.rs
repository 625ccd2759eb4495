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
