//! What is generated, independent of how it is written: types, fields, methods.

use std::collections::{BTreeMap, HashMap, HashSet};

/// The generated modules (under `src/proto/generated/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mod {
    /// Event views and event enums (from `session-events.schema.json`).
    Events,
    /// String enums of `api.schema.json`, re-exported by the three modules below.
    Enums,
    /// What the client sends: params of client -> server methods.
    Params,
    /// What the client reads: results of client -> server methods.
    Results,
    /// Server -> client requests: views of their params, and the answers.
    Server,
}

impl Mod {
    pub const ALL: [Mod; 5] = [
        Mod::Events,
        Mod::Enums,
        Mod::Params,
        Mod::Results,
        Mod::Server,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mod::Events => "events",
            Mod::Enums => "enums",
            Mod::Params => "params",
            Mod::Results => "results",
            Mod::Server => "server",
        }
    }

    /// API modules share one namespace for enums.
    pub fn is_api(self) -> bool {
        !matches!(self, Mod::Events)
    }
}

/// Which way data goes: read from the wire (a view) or written to it (serialized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    View,
    Ser,
}

/// A generated type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeRef {
    pub module: Mod,
    pub name: String,
}

/// The Rust shape of a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    Str,
    U64,
    I64,
    F64,
    Bool,
    /// Untyped JSON: unions (when read), maps, opaque values.
    Raw,
    /// `null`.
    Unit,
    Enum(TypeRef),
    Object(TypeRef),
    /// Written unions (an enum of the alternatives).
    Union(TypeRef),
    Array(Box<Ty>),
    /// A string that is always this (a discriminator).
    Const(String),
    /// A boolean that is always this.
    ConstBool(bool),
    /// The session event envelope (`crate::SessionEvent`).
    SessionEvent,
    /// An answer that may be nothing (`null`).
    Optional(Box<Ty>),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub json: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    pub doc: String,
    pub secret: bool,
    pub internal: bool,
}

#[derive(Debug, Clone)]
pub struct Meta {
    pub doc: String,
    pub internal: bool,
    pub experimental: bool,
    /// Where the type comes from, for the docs: `api.schema.json#/definitions/X`, a method.
    pub source: String,
    /// The file (within its module) that holds it.
    pub group: String,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub meta: Meta,
    pub dir: Dir,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub wire: String,
    pub rust: String,
    pub doc: String,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub meta: Meta,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Union {
    pub meta: Meta,
    /// (variant name, its type, its doc)
    pub variants: Vec<(String, Ty, String)>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Object(Object),
    Enum(Enum),
    Union(Union),
}

impl Item {
    pub fn meta(&self) -> &Meta {
        match self {
            Item::Object(o) => &o.meta,
            Item::Enum(e) => &e.meta,
            Item::Union(u) => &u.meta,
        }
    }
}

/// A client -> server method.
#[derive(Debug, Clone)]
pub struct Method {
    pub wire: String,
    /// The params type (in `params`): an object or a union.
    pub params: Ty,
    pub result: Ty,
    pub session: bool,
    pub internal: bool,
}

/// A server -> client request or notification.
#[derive(Debug, Clone)]
pub struct Callback {
    pub wire: String,
    /// The variant name in `ServerCall`.
    pub rust: String,
    /// Its params view (in `server`).
    pub params: Ty,
    pub answer: Ty,
    pub notification: bool,
    pub internal: bool,
    pub doc: String,
}

/// One event type.
#[derive(Debug, Clone)]
pub struct Event {
    pub wire: String,
    pub rust: String,
    pub data: Ty,
    pub internal: bool,
    pub doc: String,
}

/// Everything generated, in a stable order.
#[derive(Default)]
pub struct Model {
    /// Items by module, in the order they were first met.
    pub items: BTreeMap<Mod, Vec<(String, Item)>>,
    pub names: HashMap<Mod, HashSet<String>>,
    pub events: Vec<Event>,
    pub methods: Vec<Method>,
    pub callbacks: Vec<Callback>,
}

impl Model {
    /// Claims a type name in `module` (API enums claim it in every API module, and API objects
    /// may not take an enum's name): `want` if free, else `want` + `suffix`, else numbered.
    pub fn claim(&mut self, module: Mod, want: &str, suffix: &str) -> String {
        let taken = |m: &Model, n: &str| {
            let in_mod = |x: Mod| m.names.get(&x).is_some_and(|s| s.contains(n));
            if module == Mod::Enums {
                Mod::ALL.iter().any(|&x| x.is_api() && in_mod(x))
            } else if module.is_api() {
                in_mod(module) || in_mod(Mod::Enums)
            } else {
                in_mod(module)
            }
        };
        let mut name = want.to_string();
        if taken(self, &name) {
            name = format!("{want}{suffix}");
            let mut n = 2;
            while taken(self, &name) {
                name = format!("{want}{suffix}{n}");
                n += 1;
            }
        }
        self.names.entry(module).or_default().insert(name.clone());
        name
    }

    pub fn push(&mut self, module: Mod, name: String, item: Item) {
        self.items.entry(module).or_default().push((name, item));
    }

    pub fn get(&self, r: &TypeRef) -> Option<&Item> {
        self.items
            .get(&r.module)?
            .iter()
            .find(|(n, _)| *n == r.name)
            .map(|(_, i)| i)
    }

    pub fn object(&self, r: &TypeRef) -> Option<&Object> {
        match self.get(r)? {
            Item::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn count(&self, module: Mod, pred: impl Fn(&Item) -> bool) -> usize {
        self.items
            .get(&module)
            .map_or(0, |v| v.iter().filter(|(_, i)| pred(i)).count())
    }
}
