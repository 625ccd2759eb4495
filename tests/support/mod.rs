//! Helpers shared by the integration tests (`mod support;`), the benchmarks and the fuzz kit
//! (which include single files of this folder by `#[path]`): one copy of each.
#![allow(dead_code, unused_imports)]

pub mod conn;
pub mod events;
pub mod recording;
pub mod rng;
pub mod routing;
pub mod wire;

pub use conn::*;
pub use events::*;
pub use recording::*;
pub use rng::*;
pub use routing::*;
pub use wire::*;
