//! Writes the [`Model`] as Rust.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use crate::model::*;

/// Generated files: path (relative to the repository) -> text (not yet formatted).
pub type Files = BTreeMap<String, String>;

pub const ROOT: &str = "src/proto/generated";

/// Server -> client requests the schema does not describe: their views are written by hand in
/// `src/proto/server.rs`, and `ServerCall` includes them: `(method, view type, doc)`. The
/// variant is named after the method, as for the others.
const HAND_WRITTEN_SERVER: &[(&str, &str, &str)] = &[
    (
        "userInput.request",
        "UserInputRequest",
        "Asks the user a question (not described by the schema).",
    ),
    (
        "exitPlanMode.request",
        "ExitPlanModeRequest",
        "Asks to leave plan mode (not described by the schema).",
    ),
    (
        "autoModeSwitch.request",
        "AutoModeSwitchRequest",
        "Asks to switch to the auto model (not described by the schema).",
    ),
    (
        "systemMessage.transform",
        "SystemMessageTransformRequest",
        "Asks to rewrite sections of the system message (not described by the schema).",
    ),
];

/// Methods the schema marks internal that every official SDK uses: the handshake and the
/// hooks callback. They are compiled without the `internal` feature (and still documented as
/// internal).
pub const INTERNAL_BUT_USED: &[&str] = &["connect", "hooks.invoke"];

/// Facts about written (serialized) types, computed once.
pub struct Facts {
    /// Needs a lifetime parameter.
    lifetime: HashSet<TypeRef>,
    /// Can derive `Eq`.
    eq: HashSet<TypeRef>,
    /// Fields held by reference, because the type contains itself: (type, field).
    by_ref: HashSet<(TypeRef, String)>,
    /// Union variants held by reference: (type, variant).
    by_ref_variant: HashSet<(TypeRef, String)>,
}

fn ser_children(model: &Model, r: &TypeRef) -> Vec<(String, TypeRef, bool)> {
    // (member name, child type, is_variant)
    let mut out = Vec::new();
    let push = |out: &mut Vec<_>, name: &str, t: &Ty, variant: bool| match t {
        Ty::Object(c) | Ty::Union(c) => out.push((name.to_string(), c.clone(), variant)),
        Ty::Optional(inner) => {
            if let Ty::Object(c) | Ty::Union(c) = &**inner {
                out.push((name.to_string(), c.clone(), variant))
            }
        }
        _ => {}
    };
    match model.get(r) {
        Some(Item::Object(o)) if o.dir == Dir::Ser => {
            for f in &o.fields {
                push(&mut out, &f.rust, &f.ty, false);
            }
        }
        Some(Item::Union(u)) => {
            for (v, t, _) in &u.variants {
                push(&mut out, v, t, true);
            }
        }
        _ => {}
    }
    out
}

impl Facts {
    pub fn new(model: &Model) -> Self {
        let ser: Vec<TypeRef> = model
            .items
            .iter()
            .flat_map(|(m, items)| {
                items.iter().filter_map(move |(n, i)| match i {
                    Item::Object(o) if o.dir == Dir::Ser => Some(TypeRef {
                        module: *m,
                        name: n.clone(),
                    }),
                    Item::Union(_) => Some(TypeRef {
                        module: *m,
                        name: n.clone(),
                    }),
                    _ => None,
                })
            })
            .collect();
        // Which types reach which by value.
        let mut reach: HashMap<TypeRef, HashSet<TypeRef>> = HashMap::new();
        for r in &ser {
            let mut seen = HashSet::new();
            let mut stack: Vec<TypeRef> = ser_children(model, r).into_iter().map(|c| c.1).collect();
            while let Some(c) = stack.pop() {
                if seen.insert(c.clone()) {
                    stack.extend(ser_children(model, &c).into_iter().map(|c| c.1));
                }
            }
            reach.insert(r.clone(), seen);
        }
        let mut by_ref = HashSet::new();
        let mut by_ref_variant = HashSet::new();
        for r in &ser {
            for (name, child, variant) in ser_children(model, r) {
                if reach.get(&child).is_some_and(|s| s.contains(r)) || child == *r {
                    if variant {
                        by_ref_variant.insert((r.clone(), name));
                    } else {
                        by_ref.insert((r.clone(), name));
                    }
                }
            }
        }
        let mut facts = Facts {
            lifetime: HashSet::new(),
            eq: ser.iter().cloned().collect(),
            by_ref,
            by_ref_variant,
        };
        loop {
            let mut changed = false;
            for r in &ser {
                let tys: Vec<(Ty, bool)> = match model.get(r) {
                    Some(Item::Object(o)) => o
                        .fields
                        .iter()
                        .map(|f| {
                            (
                                f.ty.clone(),
                                facts.by_ref.contains(&(r.clone(), f.rust.clone())),
                            )
                        })
                        .collect(),
                    Some(Item::Union(u)) => u
                        .variants
                        .iter()
                        .map(|(v, t, _)| {
                            (
                                t.clone(),
                                facts.by_ref_variant.contains(&(r.clone(), v.clone())),
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let is_union = matches!(model.get(r), Some(Item::Union(_)));
                let lt = is_union
                    || tys
                        .iter()
                        .any(|(t, by_ref)| *by_ref || facts.ser_needs_lt(t));
                let eq = tys.iter().all(|(t, _)| facts.ser_eq(t));
                if lt && facts.lifetime.insert(r.clone()) {
                    changed = true;
                }
                if !eq && facts.eq.remove(r) {
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        facts
    }

    fn ser_needs_lt(&self, t: &Ty) -> bool {
        match t {
            Ty::Str | Ty::Raw | Ty::Array(_) | Ty::SessionEvent => true,
            Ty::Object(r) | Ty::Union(r) => self.lifetime.contains(r),
            Ty::Optional(inner) => self.ser_needs_lt(inner),
            _ => false,
        }
    }

    fn ser_eq(&self, t: &Ty) -> bool {
        match t {
            Ty::F64 => false,
            Ty::Object(r) | Ty::Union(r) => self.eq.contains(r),
            Ty::Array(inner) | Ty::Optional(inner) => self.ser_eq(inner),
            _ => true,
        }
    }
}

/// Per-file import bookkeeping.
#[derive(Default)]
struct Uses {
    set: BTreeSet<String>,
}

impl Uses {
    fn add(&mut self, path: &str) {
        self.set.insert(path.to_string());
    }
}

pub struct Emitter<'m> {
    pub model: &'m Model,
    pub facts: Facts,
    pub header: String,
    /// Enums used by written types (they get `Serialize`).
    pub written: HashSet<TypeRef>,
    /// The feature each gated type needs (see [`gates`]); the others are always compiled.
    pub gates: HashMap<TypeRef, &'static str>,
}

/// The methods whose params and results are always compiled: those the client's shorthands
/// send (`Client::ping`, `send`, `answer_permission`, ...). The params and result views of
/// the other public methods need the `methods` feature (they are most of the generated code,
/// and most programs call a handful of methods).
pub const CORE_METHODS: &[&str] = &[
    "connect",
    "ping",
    "models.list",
    "runtime.shutdown",
    "session.send",
    "session.abort",
    "session.model.switchTo",
    "session.log",
    "sessionFs.setProvider",
    "llmInference.setProvider",
    "session.tools.handlePendingToolCall",
    "session.permissions.handlePendingPermissionRequest",
    "session.ui.handlePendingElicitation",
    "session.commands.handlePendingCommand",
];

/// The feature that gates a type, by what reaches it: nothing for the types of public events,
/// server requests and [`CORE_METHODS`]; `methods` for those only the other public methods
/// reach; `internal` for those only internal methods, events and server requests reach
/// (`internal` turns `methods` on too).
pub fn gates(model: &Model) -> HashMap<TypeRef, &'static str> {
    let public = |internal: bool, wire: &str| !internal || INTERNAL_BUT_USED.contains(&wire);
    let mut always = Vec::new();
    let mut methods = Vec::new();
    for e in model.events.iter().filter(|e| !e.internal) {
        refs_of_ty(&e.data, &mut always);
    }
    for c in model
        .callbacks
        .iter()
        .filter(|c| public(c.internal, &c.wire))
    {
        refs_of_ty(&c.params, &mut always);
        refs_of_ty(&c.answer, &mut always);
    }
    for m in model.methods.iter().filter(|m| public(m.internal, &m.wire)) {
        let to = if CORE_METHODS.contains(&m.wire.as_str()) {
            &mut always
        } else {
            &mut methods
        };
        refs_of_ty(&m.params, to);
        refs_of_ty(&m.result, to);
    }
    let reach = |mut stack: Vec<TypeRef>| {
        let mut seen = HashSet::new();
        while let Some(r) = stack.pop() {
            if seen.insert(r.clone())
                && let Some(item) = model.get(&r)
            {
                refs_of(item, &mut stack);
            }
        }
        seen
    };
    let always = reach(always);
    let methods = reach(methods);
    model
        .items
        .iter()
        .flat_map(|(m, items)| {
            items.iter().map(move |(n, _)| TypeRef {
                module: *m,
                name: n.clone(),
            })
        })
        .filter(|r| !always.contains(r))
        .map(|r| {
            let gate = if methods.contains(&r) {
                "methods"
            } else {
                "internal"
            };
            (r, gate)
        })
        .collect()
}

/// The enums that written types use.
pub fn written_enums(model: &Model) -> HashSet<TypeRef> {
    let mut refs = Vec::new();
    for items in model.items.values() {
        for (_, item) in items {
            match item {
                Item::Object(o) if o.dir == Dir::Ser => refs_of(item, &mut refs),
                Item::Union(_) => refs_of(item, &mut refs),
                _ => {}
            }
        }
    }
    for c in &model.callbacks {
        refs_of_ty(&c.answer, &mut refs);
    }
    refs.into_iter()
        .filter(|r| matches!(model.get(r), Some(Item::Enum(_))))
        .collect()
}

/// One line of documentation text: whitespace collapsed, HTML-looking tags quoted.
pub fn clean(doc: &str) -> String {
    let joined = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    // Quote `<word>` outside code spans so rustdoc does not take it for HTML.
    let mut out = String::new();
    for (i, part) in joined.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let mut rest = part;
        while let Some(at) = rest.find('<') {
            let (before, tail) = rest.split_at(at);
            out.push_str(&link_urls(before));
            match tail.find('>') {
                Some(end)
                    if end > 1
                        && tail[1..end]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_/ .:=\"'".contains(c)) =>
                {
                    out.push('`');
                    out.push_str(&tail[..=end]);
                    out.push('`');
                    rest = &tail[end + 1..];
                }
                _ => {
                    out.push_str("&lt;");
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(&link_urls(rest));
    }
    // Square brackets would be read as links.
    out.replace('[', "\\[").replace(']', "\\]")
}

/// Bare `http://` and `https://` URLs in `<...>`, so that rustdoc makes them links (and does
/// not warn about bare URLs). Trailing punctuation stays outside.
fn link_urls(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest
        .find("http://")
        .into_iter()
        .chain(rest.find("https://"))
        .min()
    {
        let (before, tail) = rest.split_at(at);
        out.push_str(before);
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(|c: char| ".,;:)]'\"".contains(c));
        if url.len() > "https://".len() && !before.ends_with('<') {
            out.push('<');
            out.push_str(url);
            out.push('>');
        } else {
            out.push_str(url);
        }
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

fn doc_lines(out: &mut String, indent: &str, paragraphs: &[String]) {
    let mut first = true;
    for p in paragraphs.iter().filter(|p| !p.trim().is_empty()) {
        if !first {
            let _ = writeln!(out, "{indent}///");
        }
        first = false;
        let _ = writeln!(out, "{indent}/// {p}");
    }
}

fn notes(meta_internal: bool, experimental: bool) -> Vec<String> {
    let mut v = Vec::new();
    if meta_internal {
        v.push("**Internal** (`visibility: internal` in the schema): not part of the CLI's public protocol; it may change or go away in any release.".to_string());
    }
    if experimental {
        v.push("*Experimental* in the schema.".to_string());
    }
    v
}

impl<'m> Emitter<'m> {
    fn path(&self, r: &TypeRef, here: Mod, uses: &mut Uses) -> String {
        if r.module == here {
            r.name.clone()
        } else {
            uses.add(&format!("crate::proto::generated::{}", r.module.name()));
            format!("{}::{}", r.module.name(), r.name)
        }
    }

    /// The Rust type of a read value.
    fn view_ty(&self, t: &Ty, here: Mod, lt: &str, uses: &mut Uses) -> String {
        match t {
            Ty::Str | Ty::Const(_) => {
                uses.add("crate::json::JsonStr");
                format!("JsonStr<{lt}>")
            }
            Ty::U64 => "u64".into(),
            Ty::I64 => "i64".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool | Ty::ConstBool(_) => "bool".into(),
            Ty::Raw | Ty::Union(_) => {
                uses.add("crate::json::RawJson");
                format!("RawJson<{lt}>")
            }
            Ty::Unit => "()".into(),
            Ty::Enum(r) => self.path(r, here, uses),
            Ty::Object(r) => format!("{}<{lt}>", self.path(r, here, uses)),
            Ty::Array(inner) => {
                uses.add("crate::proto::JsonArray");
                format!("JsonArray<{lt}, {}>", self.view_ty(inner, here, lt, uses))
            }
            Ty::SessionEvent => format!("crate::proto::SessionEvent<{lt}>"),
            Ty::Optional(inner) => self.view_ty(inner, here, lt, uses),
        }
    }

    /// The Rust type of a written value.
    fn ser_ty(&self, t: &Ty, here: Mod, lt: &str, by_ref: bool, uses: &mut Uses) -> String {
        let named = |s: &Self, r: &TypeRef, uses: &mut Uses| {
            let p = s.path(r, here, uses);
            let base = if s.facts.lifetime.contains(r) {
                format!("{p}<{lt}>")
            } else {
                p
            };
            if by_ref {
                format!("&{lt} {base}")
            } else {
                base
            }
        };
        match t {
            Ty::Str | Ty::Const(_) => format!("&{lt} str"),
            Ty::U64 => "u64".into(),
            Ty::I64 => "i64".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool | Ty::ConstBool(_) => "bool".into(),
            Ty::Raw | Ty::SessionEvent => {
                uses.add("crate::json::RawJson");
                format!("RawJson<{lt}>")
            }
            Ty::Unit => "()".into(),
            Ty::Enum(r) => self.path(r, here, uses),
            Ty::Object(r) | Ty::Union(r) => named(self, r, uses),
            Ty::Array(inner) => format!("&{lt} [{}]", self.ser_ty(inner, here, lt, false, uses)),
            Ty::Optional(inner) => {
                format!("Option<{}>", self.ser_ty(inner, here, lt, by_ref, uses))
            }
        }
    }

    pub fn emit(&self) -> Files {
        let mut files = Files::new();
        for m in Mod::ALL {
            self.module(m, &mut files);
        }
        let mut root = self.header.clone();
        root.push_str(
            "//! The protocol as the CLI's schemas describe it (`api.schema.json` and\n\
             //! `session-events.schema.json`), generated. Read through the public modules\n\
             //! `events`, `params`, `results` and `server`.\n\n\
             pub mod enums;\npub mod events;\npub mod params;\npub mod results;\npub mod server;\n",
        );
        files.insert(format!("{ROOT}/mod.rs"), root);
        files
    }

    fn module(&self, m: Mod, files: &mut Files) {
        let items: &[(String, Item)] = self.model.items.get(&m).map_or(&[], |v| v.as_slice());
        let mut groups: BTreeMap<String, Vec<&(String, Item)>> = BTreeMap::new();
        for it in items {
            let mut g = it.1.meta().group.clone();
            if let Some(gate) = self.gated(&TypeRef {
                module: m,
                name: it.0.clone(),
            }) {
                g.push('_');
                g.push_str(gate);
            }
            groups.entry(g).or_default().push(it);
        }
        // Which group holds each name, to know when a file needs its siblings.
        let mut home: HashMap<&str, &str> = HashMap::new();
        for (g, its) in &groups {
            for (n, _) in its {
                home.insert(n.as_str(), g.as_str());
            }
        }
        let mut mod_rs = self.header.clone();
        let _ = writeln!(mod_rs, "{}", module_doc(m));
        mod_rs.push_str(
            "#![allow(\n    clippy::enum_variant_names,\n    clippy::large_enum_variant,\n    clippy::too_many_arguments,\n    clippy::wrong_self_convention\n)]\n\n",
        );
        let single = false;
        let mut body_extra = String::new();
        for (g, its) in &groups {
            let mut uses = Uses::default();
            let mut body = String::new();
            for (name, item) in its {
                match item {
                    Item::Object(o) if o.dir == Dir::View => {
                        self.view(&mut body, m, name, o, &mut uses)
                    }
                    Item::Object(o) => self.ser_object(&mut body, m, name, o, &mut uses),
                    Item::Enum(e) => self.enumeration(&mut body, m, name, e, &mut uses),
                    Item::Union(u) => self.union(&mut body, m, name, u, &mut uses),
                }
                self.trait_impls(&mut body, m, name, &mut uses);
            }
            // Sibling types in other files of this module.
            let needs_siblings = !single
                && its.iter().any(|(_, item)| {
                    let mut refs = Vec::new();
                    refs_of(item, &mut refs);
                    for cb in &self.model.callbacks {
                        if matches!(&cb.params, Ty::Object(r) if r.module == m && r.name == its_name(item, its)) {
                            refs_of_ty(&cb.answer, &mut refs);
                        }
                    }
                    refs.iter().any(|r| r.module == m && home.get(r.name.as_str()).is_some_and(|h| h != g))
                });
            let mut text = if single {
                String::new()
            } else {
                self.header.clone()
            };
            if !single {
                let _ = writeln!(
                    text,
                    "//! `{m}` types of the `{g}` namespace.\n",
                    m = m.name()
                );
            }
            if needs_siblings {
                uses.add("super::*");
            }
            for u in &uses.set {
                if u == "super::*" {
                    let _ = writeln!(text, "#[allow(unused_imports)]\nuse {u};");
                } else {
                    let _ = writeln!(text, "use {u};");
                }
            }
            text.push('\n');
            text.push_str(&body);
            if single {
                body_extra.push_str(&text);
            } else {
                if let Some(gate) = ["internal", "methods"]
                    .into_iter()
                    .find(|gate| g.ends_with(&format!("_{gate}")))
                {
                    let _ = writeln!(
                        mod_rs,
                        "#[cfg(feature = \"{gate}\")]\nmod {g};\n#[cfg(feature = \"{gate}\")]\npub use {g}::*;"
                    );
                } else {
                    let _ = writeln!(mod_rs, "mod {g};\npub use {g}::*;");
                }
                files.insert(format!("{ROOT}/{}/{g}.rs", m.name()), text);
            }
        }
        if m.is_api() && m != Mod::Enums {
            mod_rs.push_str("\npub use super::enums::*;\n");
        }
        if m == Mod::Enums {
            // Event enums the API uses too, under the API's modules as well.
            let shared = self.shared_event_enums();
            for gate in [None, Some("methods")] {
                let names: Vec<&str> = shared
                    .iter()
                    .filter(|(_, g)| *g == gate)
                    .map(|(n, _)| n.as_str())
                    .collect();
                if names.is_empty() {
                    continue;
                }
                mod_rs.push('\n');
                if let Some(gate) = gate {
                    let _ = writeln!(mod_rs, "#[cfg(feature = \"{gate}\")]");
                }
                let _ = writeln!(mod_rs, "pub use super::events::{{{}}};", names.join(", "));
            }
        }
        let kinds: Vec<(&String, &Object)> = items
            .iter()
            .filter_map(|(n, i)| match i {
                Item::Object(o) if o.dir == Dir::View => Some((n, o)),
                _ => None,
            })
            .collect();
        if !kinds.is_empty() {
            mod_rs.push_str("\n/// The marker types of the views: `View<'a, kinds::X>` is the view `X<'a>`; each names\n/// the members of its object that hold secrets, which `Debug` does not print.\n#[doc(hidden)]\npub mod kinds {\n    use crate::proto::view::Kind;\n\n");
            for (k, o) in kinds {
                let secrets: Vec<String> = o
                    .fields
                    .iter()
                    .filter(|f| f.secret)
                    .map(|f| format!("{:?}", f.json))
                    .collect();
                let _ = writeln!(mod_rs, "    pub enum {k} {{}}");
                if secrets.is_empty() {
                    let _ = writeln!(mod_rs, "    impl Kind for {k} {{}}");
                } else {
                    let _ = writeln!(
                        mod_rs,
                        "    impl Kind for {k} {{\n        const SECRETS: &'static [&'static str] = &[{}];\n    }}",
                        secrets.join(", ")
                    );
                }
            }
            mod_rs.push_str("}\n");
        }
        match m {
            Mod::Events => self.typed_event(&mut mod_rs),
            Mod::Params => self.method_list(&mut mod_rs),
            Mod::Server => self.server_call(&mut mod_rs),
            _ => {}
        }
        let _ = body_extra;
        files.insert(format!("{ROOT}/{}/mod.rs", m.name()), mod_rs);
    }

    /// The feature `r` needs, if it is not always compiled.
    pub fn gated(&self, r: &TypeRef) -> Option<&'static str> {
        self.gates.get(r).copied()
    }

    /// The feature a value of type `t` needs, if any.
    pub fn gated_ty(&self, t: &Ty) -> Option<&'static str> {
        match t {
            Ty::Object(r) | Ty::Union(r) | Ty::Enum(r) => self.gated(r),
            Ty::Array(i) | Ty::Optional(i) => self.gated_ty(i),
            _ => None,
        }
    }

    /// Event enums that API types use, whose names no API type takes, with the feature they
    /// need (internal ones left out).
    fn shared_event_enums(&self) -> Vec<(String, Option<&'static str>)> {
        let public = |gate: Option<&str>| gate != Some("internal");
        let mut refs = Vec::new();
        for m in [Mod::Params, Mod::Results, Mod::Server] {
            for (n, item) in self.model.items.get(&m).map_or(&[][..], |v| v.as_slice()) {
                if public(self.gated(&TypeRef {
                    module: m,
                    name: n.clone(),
                })) {
                    refs_of(item, &mut refs);
                }
            }
        }
        for m in self
            .model
            .methods
            .iter()
            .filter(|m| public(self.gated_ty(&m.params)))
        {
            refs_of_ty(&m.result, &mut refs);
        }
        for c in self
            .model
            .callbacks
            .iter()
            .filter(|c| public(self.gated_ty(&c.params)))
        {
            refs_of_ty(&c.answer, &mut refs);
        }
        let taken: HashSet<&String> = [Mod::Enums, Mod::Params, Mod::Results, Mod::Server]
            .iter()
            .filter_map(|m| self.model.names.get(m))
            .flatten()
            .collect();
        let mut out: Vec<(String, Option<&'static str>)> = refs
            .into_iter()
            .filter(|r| {
                r.module == Mod::Events
                    && matches!(self.model.get(r), Some(Item::Enum(_)))
                    && public(self.gated(r))
            })
            .map(|r| {
                let gate = self.gated(&r);
                (r.name, gate)
            })
            .filter(|(n, _)| !taken.contains(n))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn item_doc(&self, out: &mut String, meta: &Meta, fallback: &str) {
        let mut paras = vec![if meta.doc.trim().is_empty() {
            fallback.to_string()
        } else {
            clean(&meta.doc)
        }];
        paras.extend(notes(meta.internal, meta.experimental));
        doc_lines(out, "", &paras);
    }

    fn view(&self, out: &mut String, m: Mod, name: &str, o: &Object, uses: &mut Uses) {
        uses.add("crate::proto::View");
        uses.add("super::kinds");
        self.item_doc(out, &o.meta, &format!("`{}`", o.meta.source));
        let _ = writeln!(out, "pub type {name}<'a> = View<'a, kinds::{name}>;\n");
        if o.fields.is_empty() {
            return;
        }
        let _ = writeln!(out, "impl<'a> {name}<'a> {{");
        for (i, f) in o.fields.iter().enumerate() {
            let ty = self.view_ty(&f.ty, m, "'a", uses);
            let mut paras = Vec::new();
            if !f.doc.trim().is_empty() {
                paras.push(clean(&f.doc));
            }
            let mut key = format!("`{}`", f.json);
            if f.required {
                key.push_str(" (required)");
            }
            match &f.ty {
                Ty::Const(c) => key.push_str(&format!(": always `{c}`")),
                Ty::ConstBool(b) => key.push_str(&format!(": always `{b}`")),
                _ => {}
            }
            if f.secret {
                key.push_str(". A secret: never printed by `Debug`");
            }
            paras.push(key);
            paras.extend(notes(f.internal, false));
            if i > 0 {
                out.push('\n');
            }
            doc_lines(out, "    ", &paras);
            uses.add("crate::proto::view::member");
            let _ = writeln!(
                out,
                "    #[inline]\n    pub fn {}(&self) -> Option<{ty}> {{\n        member(self, \"{}\")\n    }}",
                f.rust,
                f.json.replace('\\', "\\\\").replace('"', "\\\"")
            );
        }
        out.push_str("}\n\n");
    }

    fn enumeration(&self, out: &mut String, m: Mod, name: &str, e: &Enum, uses: &mut Uses) {
        uses.add("crate::json::RawJson");
        uses.add("crate::proto::FromJson");
        uses.add("crate::proto::view::wire_enum");
        let written = self.written.contains(&TypeRef {
            module: m,
            name: name.to_string(),
        });
        if written {
            uses.add("crate::proto::view::WireName");
            uses.add("serde::{Serialize, Serializer}");
        }
        self.item_doc(out, &e.meta, &format!("`{}`", e.meta.source));
        out.push_str("#[derive(Clone, Copy, PartialEq, Eq)]\n#[cfg_attr(feature = \"defmt\", derive(defmt::Format))]\n#[non_exhaustive]\n");
        let _ = writeln!(out, "pub enum {name} {{");
        for v in &e.variants {
            let mut paras = Vec::new();
            if !v.doc.trim().is_empty() {
                paras.push(clean(&v.doc));
            }
            paras.push(format!("`{}`", v.wire));
            doc_lines(out, "    ", &paras);
            let _ = writeln!(out, "    {},", v.rust);
        }
        out.push_str(
            "    /// A value this version of the crate does not know.\n    Unknown,\n}\n\n",
        );
        let _ = writeln!(out, "impl {name} {{");
        let _ = writeln!(out, "    const WIRE: &[(&str, Self)] = &[");
        for v in &e.variants {
            let _ = writeln!(out, "        ({:?}, Self::{}),", v.wire, v.rust);
        }
        out.push_str("    ];\n\n    /// The name on the wire (`\"\"` for [`Unknown`](Self::Unknown), which cannot be sent).\n    #[inline]\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
        for v in &e.variants {
            let _ = writeln!(out, "            Self::{} => {:?},", v.rust, v.wire);
        }
        out.push_str("            Self::Unknown => \"\",\n        }\n    }\n}\n\n");
        uses.add("core::fmt");
        let _ = writeln!(
            out,
            "impl fmt::Debug for {name} {{\n    /// The wire name (`Unknown` for a value this version does not know).\n    #[inline]\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        f.write_str(match self.as_str() {{\n            \"\" => \"Unknown\",\n            name => name,\n        }})\n    }}\n}}\n"
        );
        let _ = writeln!(
            out,
            "impl FromJson<'_> for {name} {{\n    #[inline]\n    fn from_json(raw: RawJson<'_>) -> Option<Self> {{\n        wire_enum(raw, Self::WIRE, Self::Unknown)\n    }}\n}}\n"
        );
        if written {
            let _ = writeln!(
                out,
                "impl Serialize for {name} {{\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        WireName(self.as_str()).serialize(serializer)\n    }}\n}}\n"
            );
        }
    }

    fn ser_object(&self, out: &mut String, m: Mod, name: &str, o: &Object, uses: &mut Uses) {
        let me = TypeRef {
            module: m,
            name: name.to_string(),
        };
        let lt = self.facts.lifetime.contains(&me);
        let generics = if lt { "<'a>" } else { "" };
        let anon = if lt { "<'_>" } else { "" };
        self.item_doc(out, &o.meta, &format!("`{}`", o.meta.source));
        let fields: Vec<&Field> = o
            .fields
            .iter()
            .filter(|f| !matches!(f.ty, Ty::Const(_) | Ty::ConstBool(_)))
            .collect();
        let required: Vec<&&Field> = fields.iter().filter(|f| f.required).collect();
        let secret = fields.iter().any(|f| f.secret);
        let mut derives = vec!["Clone", "Copy"];
        if required.is_empty() {
            derives.push("Default");
        }
        let _ = writeln!(
            out,
            "#[derive({})]\n#[non_exhaustive]\npub struct {name}{generics} {{",
            derives.join(", ")
        );
        let ty_of = |f: &Field, uses: &mut Uses| {
            let by_ref = self.facts.by_ref.contains(&(me.clone(), f.rust.clone()));
            self.ser_ty(&f.ty, m, "'a", by_ref, uses)
        };
        for f in &fields {
            let ty = ty_of(f, uses);
            let mut paras = Vec::new();
            if !f.doc.trim().is_empty() {
                paras.push(clean(&f.doc));
            }
            let mut key = format!("`{}`", f.json);
            if !f.required {
                key.push_str(" (optional: not sent when `None`)");
            }
            if f.secret {
                key.push_str(". A secret: never printed by `Debug`");
            }
            paras.push(key);
            paras.extend(notes(f.internal, false));
            doc_lines(out, "    ", &paras);
            if f.required {
                let _ = writeln!(out, "    pub {}: {ty},", f.rust);
            } else {
                let _ = writeln!(out, "    pub {}: Option<{ty}>,", f.rust);
            }
        }
        out.push_str("}\n\n");
        // Constructor and setters.
        let _ = writeln!(out, "impl{generics} {name}{generics} {{");
        out.push_str(
            "    /// With the required fields; the optional ones are not sent until set.\n",
        );
        if required.len() > 7 {
            out.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        let args: Vec<String> = required
            .iter()
            .map(|f| format!("{}: {}", f.rust, ty_of(f, uses)))
            .collect();
        let inits: Vec<String> = fields
            .iter()
            .map(|f| {
                if f.required {
                    f.rust.clone()
                } else {
                    format!("{}: None", f.rust)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "    #[inline]\n    pub const fn new({}) -> Self {{\n        Self {{ {} }}\n    }}",
            args.join(", "),
            inits.join(", ")
        );
        for f in fields.iter().filter(|f| !f.required) {
            let ty = ty_of(f, uses);
            let _ = writeln!(out, "\n    /// Sets `{}`.", f.json);
            let _ = writeln!(
                out,
                "    #[inline]\n    #[must_use]\n    pub const fn {r}(mut self, {r}: {ty}) -> Self {{\n        self.{r} = Some({r});\n        self\n    }}",
                r = f.rust
            );
        }
        out.push_str("}\n\n");
        // Serialize.
        uses.add("serde::{Serialize, Serializer}");
        uses.add("serde::ser::SerializeMap");
        let mutable = if o.fields.is_empty() { "" } else { "mut " };
        let _ = writeln!(
            out,
            "impl Serialize for {name}{anon} {{\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        let {mutable}map = serializer.serialize_map(None)?;"
        );
        for f in &o.fields {
            let key = format!("{:?}", f.json);
            match &f.ty {
                Ty::Const(c) => {
                    let _ = writeln!(out, "        map.serialize_entry({key}, {c:?})?;");
                }
                Ty::ConstBool(b) => {
                    let _ = writeln!(out, "        map.serialize_entry({key}, &{b})?;");
                }
                _ if f.required => {
                    let _ = writeln!(
                        out,
                        "        map.serialize_entry({key}, &self.{})?;",
                        f.rust
                    );
                }
                _ => {
                    uses.add("crate::proto::view::entry");
                    let _ = writeln!(out, "        entry(&mut map, {key}, &self.{})?;", f.rust);
                }
            }
        }
        out.push_str("        map.end()\n    }\n}\n\n");
        {
            uses.add("core::fmt");
            if secret {
                uses.add("crate::proto::view::Secret");
            }
            let _ = writeln!(
                out,
                "impl fmt::Debug for {name}{anon} {{\n    #[inline]\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        f.debug_struct(\"{name}\")"
            );
            for fl in &fields {
                if fl.secret {
                    let present = if fl.required {
                        "true".to_string()
                    } else {
                        format!("self.{}.is_some()", fl.rust)
                    };
                    let _ = writeln!(
                        out,
                        "            .field(\"{}\", &Secret({present}))",
                        fl.rust
                    );
                } else {
                    let _ = writeln!(out, "            .field(\"{r}\", &self.{r})", r = fl.rust);
                }
            }
            out.push_str("            .finish()\n    }\n}\n\n");
        }
    }

    fn union(&self, out: &mut String, m: Mod, name: &str, u: &Union, uses: &mut Uses) {
        let me = TypeRef {
            module: m,
            name: name.to_string(),
        };
        let lt = self.facts.lifetime.contains(&me);
        let generics = if lt { "<'a>" } else { "" };
        let anon = if lt { "<'_>" } else { "" };
        self.item_doc(out, &u.meta, &format!("`{}`", u.meta.source));
        let _ = writeln!(
            out,
            "#[derive(Debug, Clone, Copy)]\n#[non_exhaustive]\npub enum {name}{generics} {{"
        );
        for (v, t, doc) in &u.variants {
            let by_ref = self.facts.by_ref_variant.contains(&(me.clone(), v.clone()));
            let ty = self.ser_ty(t, m, "'a", by_ref, uses);
            let d = if doc.trim().is_empty() {
                format!("`{v}`")
            } else {
                clean(doc)
            };
            doc_lines(out, "    ", &[d]);
            let _ = writeln!(out, "    {v}({ty}),");
        }
        uses.add("crate::json::RawJson");
        let raw = if u.variants.iter().any(|(v, _, _)| v == "Raw") {
            "RawJson_"
        } else {
            "Raw"
        };
        let _ = writeln!(
            out,
            "    /// Any other value, sent as this JSON (for alternatives newer than this crate).\n    {raw}(RawJson<'a>),"
        );
        out.push_str("}\n\n");
        uses.add("serde::{Serialize, Serializer}");
        let _ = writeln!(
            out,
            "impl Serialize for {name}{anon} {{\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{"
        );
        for (v, _, _) in &u.variants {
            let _ = writeln!(
                out,
                "            Self::{v}(value) => value.serialize(serializer),"
            );
        }
        let _ = writeln!(
            out,
            "            Self::{raw}(value) => value.serialize(serializer),"
        );
        out.push_str("        }\n    }\n}\n\n");
    }

    /// `Method` and `Callback` impls of the type named after a method.
    fn trait_impls(&self, out: &mut String, m: Mod, name: &str, uses: &mut Uses) {
        let me = TypeRef {
            module: m,
            name: name.to_string(),
        };
        if m == Mod::Params {
            for method in self
                .model
                .methods
                .iter()
                .filter(|x| matches!(&x.params, Ty::Object(r) | Ty::Union(r) if *r == me))
            {
                let lt = self.facts.lifetime.contains(&me);
                let anon = if lt { "<'_>" } else { "" };
                let result = self.view_ty(&method.result, m, "'r", uses);
                uses.add("crate::proto::Method");
                let _ = writeln!(
                    out,
                    "impl Method for {name}{anon} {{\n    const NAME: &'static str = {:?};\n    const SESSION: bool = {};\n    type Result<'r> = {result};\n}}\n",
                    method.wire, method.session
                );
            }
        }
        if m == Mod::Server {
            for cb in self
                .model
                .callbacks
                .iter()
                .filter(|x| matches!(&x.params, Ty::Object(r) if *r == me))
            {
                let answer = self.ser_ty(&cb.answer, m, "'b", false, uses);
                uses.add("crate::proto::Callback");
                let _ = writeln!(
                    out,
                    "impl<'a> Callback<'a> for {name}<'a> {{\n    const NAME: &'static str = {:?};\n    const NOTIFICATION: bool = {};\n    type Answer<'b> = {answer};\n}}\n",
                    cb.wire, cb.notification
                );
            }
        }
    }

    fn typed_event(&self, out: &mut String) {
        out.push_str("\nuse crate::json::{JsonStr, RawJson};\n\n");
        out.push_str("/// Every event type of the schema, in its order.\npub const EVENT_TYPES: &[&str] = &[\n");
        for e in &self.model.events {
            let _ = writeln!(out, "    {:?},", e.wire);
        }
        out.push_str("];\n\n");
        out.push_str("/// A session event decoded by its `type`: one variant per event type of the schema.\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[cfg_attr(feature = \"defmt\", derive(defmt::Format))]\n#[non_exhaustive]\npub enum TypedEvent<'a> {\n");
        let mut uses = Uses::default();
        for e in &self.model.events {
            let mut paras = vec![format!("`{}`: {}", e.wire, clean(&e.doc))];
            paras.extend(notes(e.internal, false));
            doc_lines(out, "    ", &paras);
            let ty = self.view_ty(&e.data, Mod::Events, "'a", &mut uses);
            if let Some(gate) = self.gated_ty(&e.data) {
                let _ = writeln!(out, "    #[cfg(feature = \"{gate}\")]");
            }
            let _ = writeln!(out, "    {}({ty}),", e.rust);
        }
        out.push_str("    /// A type this version of the crate does not know: read the event raw.\n    Unknown,\n}\n\n");
        // Found by a binary search over the sorted names, then built by index: small code
        // (a 163-arm match on byte strings compiles to tens of kilobytes on thumbv7em).
        let mut sorted: Vec<(usize, &str)> = self
            .model
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (i, e.wire.as_str()))
            .collect();
        sorted.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes()));
        names_table(out, &sorted.iter().map(|(_, w)| *w).collect::<Vec<_>>());
        out.push_str("impl<'a> TypedEvent<'a> {\n    /// The typed view of an event of type `event_type` with `data`.\n    pub fn of(event_type: JsonStr<'a>, data: RawJson<'a>) -> Self {\n");
        if let Some(e) = self
            .model
            .events
            .iter()
            .find(|e| e.wire == "assistant.message_delta")
        {
            let _ = writeln!(
                out,
                "        // The hot path first: streamed text.\n        if event_type.raw_bytes() == b\"{}\" && !event_type.is_escaped() {{\n            return Self::{}({});\n        }}",
                e.wire,
                e.rust,
                self.construct(&e.data, "data")
            );
        }
        out.push_str(
            "        find(event_type).map_or(Self::Unknown, |i| Self::at(i, data))\n    }\n\n",
        );
        out.push_str("    /// The variant of the `i`th event type in name order.\n    fn at(i: usize, data: RawJson<'a>) -> Self {\n        match i {\n");
        for (k, (i, _)) in sorted.iter().enumerate() {
            let e = &self.model.events[*i];
            if let Some(gate) = self.gated_ty(&e.data) {
                let _ = writeln!(out, "            #[cfg(feature = \"{gate}\")]");
            }
            let _ = writeln!(
                out,
                "            {k} => Self::{}({}),",
                e.rust,
                self.construct(&e.data, "data")
            );
        }
        out.push_str("            _ => Self::Unknown,\n        }\n    }\n\n");
        out.push_str("    /// The event type of this variant (`None` for [`Unknown`](Self::Unknown)).\n    pub const fn event_type(&self) -> Option<&'static str> {\n        Some(match self {\n");
        for e in &self.model.events {
            if let Some(gate) = self.gated_ty(&e.data) {
                let _ = writeln!(out, "            #[cfg(feature = \"{gate}\")]");
            }
            let _ = writeln!(out, "            Self::{}(_) => {:?},", e.rust, e.wire);
        }
        out.push_str("            Self::Unknown => return None,\n        })\n    }\n}\n\n");
        out.push_str("impl<'a> crate::proto::SessionEvent<'a> {\n    /// The typed view of this event, chosen by its `type`.\n    #[inline]\n    pub fn typed(&self) -> TypedEvent<'a> {\n        TypedEvent::of(self.event_type(), self.data())\n    }\n}\n");
    }

    fn construct(&self, t: &Ty, raw: &str) -> String {
        match t {
            Ty::Object(r) => format!("{}::new({raw})", r.name),
            _ => raw.to_string(),
        }
    }

    fn method_list(&self, out: &mut String) {
        out.push_str("\n/// Every client -> server method of the schema: `(name, session-scoped, internal)`.\npub const METHODS: &[(&str, bool, bool)] = &[\n");
        for m in &self.model.methods {
            let _ = writeln!(out, "    ({:?}, {}, {}),", m.wire, m.session, m.internal);
        }
        out.push_str("];\n");
    }

    fn server_call(&self, out: &mut String) {
        out.push_str("\nuse crate::json::{JsonStr, RawJson};\n\n");
        out.push_str("/// Every server -> client method `ServerCall` knows: the schema's (requests and notifications),\n/// then those written by hand.\npub const SERVER_METHODS: &[&str] = &[\n");
        for c in &self.model.callbacks {
            let _ = writeln!(out, "    {:?},", c.wire);
        }
        for (wire, _, _) in HAND_WRITTEN_SERVER {
            let _ = writeln!(out, "    {wire:?},");
        }
        out.push_str("];\n\n");
        out.push_str("/// A server -> client request (or notification) decoded by its method: one variant per\n/// method of the schema. Answer requests with the variant type's\n/// [`Callback::Answer`](crate::proto::Callback::Answer).\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[cfg_attr(feature = \"defmt\", derive(defmt::Format))]\n#[non_exhaustive]\npub enum ServerCall<'a> {\n");
        for c in &self.model.callbacks {
            let kind = if c.notification {
                " (notification)"
            } else {
                ""
            };
            let mut paras = vec![format!("`{}`{kind}: {}", c.wire, clean(&c.doc))];
            paras.extend(notes(c.internal, false));
            doc_lines(out, "    ", &paras);
            let name = match &c.params {
                Ty::Object(r) => r.name.clone(),
                _ => "RawJson".into(),
            };
            if let Some(gate) = self.gated_ty(&c.params) {
                let _ = writeln!(out, "    #[cfg(feature = \"{gate}\")]");
            }
            let _ = writeln!(out, "    {}({name}<'a>),", c.rust);
        }
        for (wire, view, doc) in HAND_WRITTEN_SERVER {
            let rust = crate::names::pascal(wire);
            let _ = writeln!(
                out,
                "    /// `{wire}`: {doc}\n    {rust}(crate::proto::server::{view}<'a>),"
            );
        }
        out.push_str("    /// A method this version of the crate does not know: read the request raw.\n    Unknown,\n}\n\n");
        let names: Vec<&str> = self
            .model
            .callbacks
            .iter()
            .map(|c| c.wire.as_str())
            .chain(HAND_WRITTEN_SERVER.iter().map(|(w, _, _)| *w))
            .collect();
        let mut sorted: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
        sorted.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes()));
        names_table(out, &sorted.iter().map(|(_, w)| *w).collect::<Vec<_>>());
        out.push_str("impl<'a> ServerCall<'a> {\n    /// The typed params of a request or notification with this method.\n    pub fn of(method: JsonStr<'a>, params: RawJson<'a>) -> Self {\n        find(method).map_or(Self::Unknown, |i| Self::at(i, params))\n    }\n\n    /// The variant of the `i`th method in name order.\n    fn at(i: usize, params: RawJson<'a>) -> Self {\n        match i {\n");
        for (k, (i, _)) in sorted.iter().enumerate() {
            if let Some(c) = self.model.callbacks.get(*i) {
                if let Some(gate) = self.gated_ty(&c.params) {
                    let _ = writeln!(out, "            #[cfg(feature = \"{gate}\")]");
                }
                let _ = writeln!(
                    out,
                    "            {k} => Self::{}({}),",
                    c.rust,
                    self.construct(&c.params, "params")
                );
            } else {
                let Some((wire, view, _)) =
                    HAND_WRITTEN_SERVER.get(*i - self.model.callbacks.len())
                else {
                    continue;
                };
                let rust = crate::names::pascal(wire);
                let _ = writeln!(
                    out,
                    "            {k} => Self::{rust}(crate::proto::server::{view}::new(params)),"
                );
            }
        }
        out.push_str("            _ => Self::Unknown,\n        }\n    }\n\n    /// The method of this variant (`None` for [`Unknown`](Self::Unknown)).\n    pub const fn method(&self) -> Option<&'static str> {\n        Some(match self {\n");
        for c in &self.model.callbacks {
            if let Some(gate) = self.gated_ty(&c.params) {
                let _ = writeln!(out, "            #[cfg(feature = \"{gate}\")]");
            }
            let _ = writeln!(out, "            Self::{}(_) => {:?},", c.rust, c.wire);
        }
        for (wire, _, _) in HAND_WRITTEN_SERVER {
            let _ = writeln!(
                out,
                "            Self::{}(_) => {wire:?},",
                crate::names::pascal(wire)
            );
        }
        out.push_str("            Self::Unknown => return None,\n        })\n    }\n}\n");
    }
}

/// Writes `NAMES` (the names in byte order, one string) and `ENDS` (where each ends), and
/// `find`, which looks a name up (a binary search; a linear one for escaped text). Compact:
/// two bytes per name besides its text.
fn names_table(out: &mut String, sorted: &[&str]) {
    let mut ends = Vec::new();
    let mut all = String::new();
    for n in sorted {
        all.push_str(n);
        ends.push(all.len());
    }
    let _ = writeln!(
        out,
        "/// The names, in byte order, one after the other (see [`ENDS`]).\nconst NAMES: &str = {all:?};\n"
    );
    let ends: Vec<String> = ends.iter().map(|e| e.to_string()).collect();
    let _ = writeln!(
        out,
        "/// Where each name of [`NAMES`] ends.\nconst ENDS: [u16; {}] = [{}];\n",
        sorted.len(),
        ends.join(", ")
    );
    out.push_str("/// The `k`th name.\nfn name(k: usize) -> &'static str {\n    let start = match k.checked_sub(1) {\n        Some(before) => ENDS.get(before).map_or(0, |e| usize::from(*e)),\n        None => 0,\n    };\n    let end = ENDS.get(k).map_or(0, |e| usize::from(*e));\n    NAMES.get(start..end).unwrap_or(\"\")\n}\n\n");
    out.push_str("/// The position of `text` in name order.\nfn find(text: JsonStr<'_>) -> Option<usize> {\n    if text.is_escaped() {\n        return (0..ENDS.len()).find(|&k| text.eq_str(name(k)));\n    }\n    let bytes = text.raw_bytes();\n    let (mut low, mut high) = (0, ENDS.len());\n    while low < high {\n        let mid = low + (high - low) / 2;\n        match name(mid).as_bytes().cmp(bytes) {\n            core::cmp::Ordering::Less => low = mid + 1,\n            core::cmp::Ordering::Greater => high = mid,\n            core::cmp::Ordering::Equal => return Some(mid),\n        }\n    }\n    None\n}\n\n");
}

fn module_doc(m: Mod) -> &'static str {
    match m {
        Mod::Events => {
            "//! Session events: one view per event type (`data`), the types they use, and\n//! [`TypedEvent`].\n"
        }
        Mod::Enums => {
            "//! The string enums of `api.schema.json` (re-exported by `params`, `results` and\n//! `server`).\n"
        }
        Mod::Params => {
            "//! Params of the client -> server methods: one struct per method, named after it, with the\n//! [`Method`](crate::proto::Method) it calls, and the types they use.\n"
        }
        Mod::Results => "//! Views of the results of client -> server methods.\n",
        Mod::Server => {
            "//! Server -> client requests: views of their params (one per method, named after it),\n//! their answers, and [`ServerCall`].\n"
        }
    }
}

fn its_name<'a>(item: &Item, its: &[&'a (String, Item)]) -> &'a str {
    its.iter()
        .find(|(_, i)| std::ptr::eq(i, item))
        .map_or("", |(n, _)| n.as_str())
}

fn refs_of_ty(t: &Ty, out: &mut Vec<TypeRef>) {
    match t {
        Ty::Enum(r) | Ty::Object(r) | Ty::Union(r) => out.push(r.clone()),
        Ty::Array(i) | Ty::Optional(i) => refs_of_ty(i, out),
        _ => {}
    }
}

fn refs_of(item: &Item, out: &mut Vec<TypeRef>) {
    let walk = refs_of_ty;
    match item {
        Item::Object(o) => o.fields.iter().for_each(|f| walk(&f.ty, out)),
        Item::Union(u) => u.variants.iter().for_each(|(_, t, _)| walk(t, out)),
        Item::Enum(_) => {}
    }
}

impl Facts {
    pub fn is_by_ref(&self, r: &TypeRef, field: &str) -> bool {
        self.by_ref.contains(&(r.clone(), field.to_string()))
    }

    pub fn is_by_ref_variant(&self, r: &TypeRef, variant: &str) -> bool {
        self.by_ref_variant
            .contains(&(r.clone(), variant.to_string()))
    }
}
