//! Reads the two schemas into a [`Model`].

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::model::*;
use crate::names;

/// The two schema files.
pub struct Schemas {
    pub api: Value,
    pub events: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum File {
    Api,
    Events,
}

#[derive(Clone)]
struct Ctx {
    module: Mod,
    dir: Dir,
    group: String,
}

pub struct Builder<'s> {
    s: &'s Schemas,
    pub model: Model,
    memo: HashMap<(File, String, Mod, Dir), Ty>,
    /// Event data definitions named after their event type.
    renamed: HashMap<String, String>,
}

fn defs(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    v.get("definitions")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn is_internal(v: &Value) -> bool {
    v.get("visibility").and_then(Value::as_str) == Some("internal")
}

fn is_experimental(v: &Value) -> bool {
    v.get("stability").and_then(Value::as_str) == Some("experimental")
}

/// `{"type":"null"}`
fn is_null(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

/// `{"not":{}}`: nothing at all (the value may be omitted).
fn is_nothing(v: &Value) -> bool {
    v.get("not").is_some() && v.as_object().is_some_and(|o| o.len() == 1)
}

/// Members the schema requires that the official SDKs leave out and the CLI accepts without:
/// optional in the params written here (type name, member).
const RELAXED: &[(&str, &str)] = &[
    // The Node SDK's `file` and `directory` attachments have an optional `displayName`; the
    // CLI takes the path's last component.
    ("AttachmentFile", "displayName"),
    ("AttachmentDirectory", "displayName"),
];

/// A schema that only says which members are required (an alternative of `anyOf` over the
/// same properties).
fn is_required_only(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.keys().all(|k| k == "required" || k == "description"))
}

fn alternatives(v: &Value) -> Option<&Vec<Value>> {
    v.get("anyOf")
        .or_else(|| v.get("oneOf"))
        .and_then(Value::as_array)
        .filter(|alts| alts.iter().all(Value::is_object))
}

fn has_properties(v: &Value) -> bool {
    v.get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

/// The file (`namespace`) an item of this wire name goes to.
pub fn group_of(wire: &str) -> String {
    let segs: Vec<&str> = wire.split('.').collect();
    match segs.as_slice() {
        ["session", second, _, ..] => format!("session_{}", names::snake(second)),
        [first, _, ..] => names::snake(first),
        _ => "misc".to_string(),
    }
}

impl<'s> Builder<'s> {
    pub fn new(s: &'s Schemas) -> Self {
        Builder {
            s,
            model: Model::default(),
            memo: HashMap::new(),
            renamed: HashMap::new(),
        }
    }

    fn file(&self, f: File) -> &'s Value {
        match f {
            File::Api => &self.s.api,
            File::Events => &self.s.events,
        }
    }

    fn def(&self, f: File, name: &str) -> Option<&'s Value> {
        defs(self.file(f)).get(name)
    }

    /// Where a `$ref` points: (file, definition name).
    fn target(&self, from: File, r: &str) -> Option<(File, String)> {
        if let Some(name) = r.strip_prefix("#/definitions/") {
            return Some((from, name.to_string()));
        }
        let name = r.strip_prefix("session-events.schema.json#/definitions/")?;
        Some((File::Events, name.to_string()))
    }

    /// Follows `$ref`s to the schema they name.
    fn resolve(&self, mut file: File, mut v: &'s Value) -> (File, &'s Value, Option<String>) {
        let mut name = None;
        for _ in 0..16 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some((f, n)) = self.target(file, r) else {
                break;
            };
            let Some(d) = self.def(f, &n) else { break };
            file = f;
            v = d;
            name = Some(n);
        }
        (file, v, name)
    }

    // ----- the whole schema --------------------------------------------------------------

    pub fn run(mut self) -> Model {
        self.events();
        self.methods();
        self.model
    }

    fn events(&mut self) {
        let s = self.s;
        let Some(alts) = defs(&s.events).get("SessionEvent").and_then(alternatives) else {
            return;
        };
        // Data definitions used by exactly one event are named after it.
        let mut uses: HashMap<String, usize> = HashMap::new();
        let mut plan = Vec::new();
        for alt in alts {
            let (_, def, _) = self.resolve(File::Events, alt);
            let Some(wire) = def
                .pointer("/properties/type/const")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let data = def.pointer("/properties/data").unwrap_or(&Value::Null);
            if let Some((_, n)) = data
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.target(File::Events, r))
            {
                *uses.entry(n.clone()).or_default() += 1;
            }
            plan.push((wire.to_string(), def, data));
        }
        let mut variants = std::collections::HashSet::new();
        for (wire, def, data) in plan {
            let mut rust = names::pascal(&wire);
            while !variants.insert(rust.clone()) {
                rust.push('2');
            }
            if let Some((_, n)) = data
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.target(File::Events, r))
                && uses.get(&n) == Some(&1)
            {
                self.renamed.insert(n, rust.clone());
            }
            let ctx = Ctx {
                module: Mod::Events,
                dir: Dir::View,
                group: group_of(&wire),
            };
            let data_ty = self.ty(File::Events, data, &ctx, &rust);
            let mut doc = text(def, "description");
            let prefix = format!("Session event \"{wire}\". ");
            if let Some(rest) = doc.strip_prefix(&prefix) {
                doc = rest.to_string();
            }
            self.model.events.push(Event {
                wire,
                rust,
                data: data_ty,
                internal: is_internal(def),
                doc,
            });
        }
    }

    fn methods(&mut self) {
        let s = self.s;
        for section in ["server", "session", "clientSession", "clientGlobal"] {
            let mut found = Vec::new();
            collect_methods(s.api.get(section).unwrap_or(&Value::Null), &mut found);
            for m in found {
                if section.starts_with("client") {
                    self.callback(m);
                } else {
                    self.method(m, section == "session");
                }
            }
        }
    }

    fn method(&mut self, m: &'s Value, session: bool) {
        let wire = text(m, "rpcMethod");
        let rust = names::pascal(&wire);
        let group = group_of(&wire);
        let params_ctx = Ctx {
            module: Mod::Params,
            dir: Dir::Ser,
            group: group.clone(),
        };
        let params_node = m.get("params").unwrap_or(&Value::Null);
        let meta = Meta {
            doc: text(m, "description"),
            internal: is_internal(m),
            experimental: is_experimental(m),
            source: wire.clone(),
            group: group.clone(),
        };
        let params = self.top_params(params_node, &params_ctx, &rust, meta, session);
        let result_ctx = Ctx {
            module: Mod::Results,
            dir: Dir::View,
            group,
        };
        let result = self.ty(
            File::Api,
            m.get("result").unwrap_or(&Value::Null),
            &result_ctx,
            &format!("{rust}Result"),
        );
        self.model.methods.push(Method {
            wire,
            params,
            result,
            session,
            internal: is_internal(m),
        });
    }

    fn callback(&mut self, m: &'s Value) {
        let wire = text(m, "rpcMethod");
        let rust = names::pascal(&wire);
        let group = group_of(&wire);
        let view = Ctx {
            module: Mod::Server,
            dir: Dir::View,
            group: group.clone(),
        };
        let doc = text(m, "description");
        let meta = Meta {
            doc: doc.clone(),
            internal: is_internal(m),
            experimental: is_experimental(m),
            source: wire.clone(),
            group: group.clone(),
        };
        let params = self.top_params(
            m.get("params").unwrap_or(&Value::Null),
            &view,
            &rust,
            meta,
            false,
        );
        let ser = Ctx {
            module: Mod::Server,
            dir: Dir::Ser,
            group,
        };
        let result = m.get("result").unwrap_or(&Value::Null);
        let answer = match alternatives(result) {
            Some(alts) if alts.iter().any(is_nothing) => {
                let rest: Vec<&Value> = alts.iter().filter(|a| !is_nothing(a)).collect();
                match rest.as_slice() {
                    [one] => Ty::Optional(Box::new(self.ty(
                        File::Api,
                        one,
                        &ser,
                        &format!("{rust}Answer"),
                    ))),
                    _ => self.ty(File::Api, result, &ser, &format!("{rust}Answer")),
                }
            }
            _ => self.ty(File::Api, result, &ser, &format!("{rust}Answer")),
        };
        self.model.callbacks.push(Callback {
            wire,
            rust,
            params,
            answer,
            notification: m.get("notification").and_then(Value::as_bool) == Some(true),
            internal: is_internal(m),
            doc,
        });
    }

    /// The params type of a method, named after it.
    fn top_params(
        &mut self,
        node: &'s Value,
        ctx: &Ctx,
        rust: &str,
        mut meta: Meta,
        session: bool,
    ) -> Ty {
        let (file, mut def, _) = self.resolve(File::Api, node);
        if let Some(alts) = alternatives(def)
            && alts.iter().any(is_nothing)
            && let [one] = alts
                .iter()
                .filter(|a| !is_nothing(a))
                .collect::<Vec<_>>()
                .as_slice()
        {
            def = self.resolve(file, one).1;
        }
        let pd = text(def, "description");
        if !pd.is_empty() && pd != meta.doc {
            meta.doc = format!("{}\n\nParams: {}", meta.doc, pd);
        }
        let suffix = if ctx.dir == Dir::Ser {
            "Params"
        } else {
            "Request"
        };
        let is_union = alternatives(def).is_some_and(|alts| {
            alts.iter()
                .filter(|a| !is_nothing(a) && !is_null(a) && !is_required_only(a))
                .count()
                > 1
        });
        if def.is_null() || has_properties(def) || !is_union {
            let name = self.model.claim(ctx.module, rust, suffix);
            let obj = self.object_from(file, def, ctx, &name, meta, session);
            self.model.push(ctx.module, name.clone(), Item::Object(obj));
            Ty::Object(TypeRef {
                module: ctx.module,
                name,
            })
        } else if ctx.dir == Dir::Ser {
            let name = self.model.claim(ctx.module, rust, suffix);
            self.union_into(file, def, ctx, &name, meta)
        } else {
            // A read union: an object without known fields (its raw value).
            let name = self.model.claim(ctx.module, rust, suffix);
            let obj = Object {
                meta,
                dir: ctx.dir,
                fields: Vec::new(),
            };
            self.model.push(ctx.module, name.clone(), Item::Object(obj));
            Ty::Object(TypeRef {
                module: ctx.module,
                name,
            })
        }
    }

    // ----- types ---------------------------------------------------------------------------

    fn ty(&mut self, file: File, node: &'s Value, ctx: &Ctx, hint: &str) -> Ty {
        let Some(obj) = node.as_object() else {
            return Ty::Raw;
        };
        if let Some(c) = obj.get("const") {
            return const_ty(c);
        }
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            return self.reference(file, r, ctx);
        }
        if obj.get("x-opaque-json") == Some(&Value::Bool(true)) {
            return Ty::Raw;
        }
        if let Some(values) = obj.get("enum").and_then(Value::as_array) {
            return self.inline_enum(file, node, values, ctx, hint);
        }
        if let Some(alts) = alternatives(node) {
            let real: Vec<&'s Value> = alts
                .iter()
                .filter(|a| !is_null(a) && !is_nothing(a) && !is_required_only(a))
                .collect();
            if !real.is_empty() {
                let name = non_empty(text(node, "title"), hint);
                return match real.as_slice() {
                    [one] => self.ty(file, one, ctx, &name),
                    _ if ctx.dir == Dir::Ser => {
                        let meta = self.meta(node, ctx, &name);
                        let name = self.model.claim(ctx.module, &name, "Union");
                        self.union_into(file, node, ctx, &name, meta)
                    }
                    _ => Ty::Raw,
                };
            }
        }
        if obj.contains_key("allOf") {
            return Ty::Raw;
        }
        let t = match obj.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null"),
            _ if has_properties(node) => "object",
            _ => "",
        };
        match t {
            "string" => Ty::Str,
            "integer" => {
                let min = obj
                    .get("minimum")
                    .or_else(|| obj.get("exclusiveMinimum"))
                    .and_then(Value::as_f64);
                if min.is_some_and(|m| m >= 0.0) {
                    Ty::U64
                } else {
                    Ty::I64
                }
            }
            "number" => Ty::F64,
            "boolean" => Ty::Bool,
            "null" => Ty::Unit,
            "array" => {
                let item_hint = format!("{hint}Item");
                let inner = match obj.get("items") {
                    Some(items) if items.is_object() => self.ty(file, items, ctx, &item_hint),
                    _ => Ty::Raw,
                };
                Ty::Array(Box::new(inner))
            }
            "object" if has_properties(node) => {
                let name = non_empty(text(node, "title"), hint);
                let meta = self.meta(node, ctx, &name);
                let name = self.model.claim(ctx.module, &name, suffix(ctx));
                let o = self.object_from(file, node, ctx, &name, meta, false);
                self.model.push(ctx.module, name.clone(), Item::Object(o));
                Ty::Object(TypeRef {
                    module: ctx.module,
                    name,
                })
            }
            _ => Ty::Raw,
        }
    }

    fn meta(&self, node: &Value, ctx: &Ctx, source: &str) -> Meta {
        Meta {
            doc: text(node, "description"),
            internal: is_internal(node),
            experimental: is_experimental(node),
            source: source.to_string(),
            group: ctx.group.clone(),
        }
    }

    fn reference(&mut self, from: File, r: &str, ctx: &Ctx) -> Ty {
        let Some((file, name)) = self.target(from, r) else {
            return Ty::Raw;
        };
        if file == File::Events && name == "SessionEvent" {
            return match ctx.dir {
                Dir::View => Ty::SessionEvent,
                Dir::Ser => Ty::Raw,
            };
        }
        let Some(def) = self.def(file, &name) else {
            return Ty::Raw;
        };
        let is_enum = def.get("enum").and_then(Value::as_array).is_some();
        let is_object = has_properties(def) && alternatives(def).is_none();
        let is_union = !is_enum
            && !is_object
            && alternatives(def).is_some_and(|alts| {
                alts.iter()
                    .filter(|a| !is_null(a) && !is_nothing(a) && !is_required_only(a))
                    .count()
                    > 1
            });
        // An API definition identical to an event definition is read with the event's view.
        let same_as_event =
            |b: &Self| file == File::Api && b.def(File::Events, &name).is_some_and(|e| e == def);
        let (file, module, dir) = if is_enum {
            if file == File::Events || same_as_event(self) {
                (File::Events, Mod::Events, Dir::View)
            } else {
                (File::Api, Mod::Enums, Dir::View)
            }
        } else if is_object && ctx.dir == Dir::View && (file == File::Events || same_as_event(self))
        {
            (File::Events, Mod::Events, Dir::View)
        } else if is_object || (is_union && ctx.dir == Dir::Ser) {
            (file, ctx.module, ctx.dir)
        } else {
            let hint = name.clone();
            return self.ty(file, def, ctx, &hint);
        };
        let key = (file, name.clone(), module, dir);
        if let Some(t) = self.memo.get(&key) {
            return t.clone();
        }
        let want = self
            .renamed
            .get(&name)
            .cloned()
            .unwrap_or_else(|| names::pascal(&name));
        let ctx2 = Ctx {
            module,
            dir,
            group: if module == ctx.module || module == Mod::Enums {
                ctx.group.clone()
            } else {
                "misc".into()
            },
        };
        let mut meta = self.meta(def, &ctx2, &name);
        meta.source = format!(
            "{}#/definitions/{name}",
            match file {
                File::Api => "api.schema.json",
                File::Events => "session-events.schema.json",
            }
        );
        if is_enum {
            let rust = self.model.claim(module, &want, "Kind");
            let t = Ty::Enum(TypeRef {
                module,
                name: rust.clone(),
            });
            self.memo.insert(key, t.clone());
            let values = def
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let e = enum_of(def, &values, meta);
            self.model.push(module, rust, Item::Enum(e));
            t
        } else if is_object {
            let rust = self.model.claim(module, &want, suffix(&ctx2));
            let t = Ty::Object(TypeRef {
                module,
                name: rust.clone(),
            });
            self.memo.insert(key, t.clone());
            // Claim the slot first so that the order follows first use.
            let at = self.model.items.entry(module).or_default().len();
            self.model.push(
                module,
                rust.clone(),
                Item::Enum(Enum {
                    meta: meta.clone(),
                    variants: vec![],
                }),
            );
            let o = self.object_from(file, def, &ctx2, &rust, meta, false);
            if let Some(slot) = self
                .model
                .items
                .get_mut(&module)
                .and_then(|v| v.get_mut(at))
            {
                slot.1 = Item::Object(o);
            }
            t
        } else {
            let rust = self.model.claim(module, &want, "Union");
            let t = Ty::Union(TypeRef {
                module,
                name: rust.clone(),
            });
            self.memo.insert(key, t.clone());
            self.union_into(file, def, &ctx2, &rust, meta)
        }
    }

    fn inline_enum(
        &mut self,
        _file: File,
        node: &Value,
        values: &[Value],
        ctx: &Ctx,
        hint: &str,
    ) -> Ty {
        if !values.iter().all(Value::is_string) {
            return Ty::Raw;
        }
        let module = if ctx.module == Mod::Events {
            Mod::Events
        } else {
            Mod::Enums
        };
        let want = non_empty(text(node, "title"), hint);
        let meta = self.meta(node, ctx, &want);
        let rust = self.model.claim(module, &want, "Kind");
        let e = enum_of(node, values, meta);
        self.model.push(module, rust.clone(), Item::Enum(e));
        Ty::Enum(TypeRef { module, name: rust })
    }

    /// Builds a written union (an enum of its alternatives) already named `name`.
    fn union_into(&mut self, file: File, node: &'s Value, ctx: &Ctx, name: &str, meta: Meta) -> Ty {
        let t = Ty::Union(TypeRef {
            module: ctx.module,
            name: name.to_string(),
        });
        let at = self.model.items.entry(ctx.module).or_default().len();
        self.model.push(
            ctx.module,
            name.to_string(),
            Item::Enum(Enum {
                meta: meta.clone(),
                variants: vec![],
            }),
        );
        let alts: Vec<&'s Value> = alternatives(node)
            .map(|a| {
                a.iter()
                    .filter(|a| !is_null(a) && !is_nothing(a) && !is_required_only(a))
                    .collect()
            })
            .unwrap_or_default();
        // A discriminator: a property every alternative fixes to a distinct string.
        let resolved: Vec<&'s Value> = alts.iter().map(|a| self.resolve(file, a).1).collect();
        let disc = resolved.first().and_then(|first| {
            first
                .get("properties")?
                .as_object()?
                .keys()
                .find(|k| {
                    let mut seen = std::collections::HashSet::new();
                    resolved.iter().all(|r| {
                        r.pointer(&format!("/properties/{k}/const"))
                            .and_then(Value::as_str)
                            .is_some_and(|c| seen.insert(c.to_string()))
                    })
                })
                .cloned()
        });
        let mut used = std::collections::HashSet::new();
        let mut variants = Vec::new();
        for (i, (alt, res)) in alts.iter().zip(&resolved).enumerate() {
            let disc_value = disc
                .as_ref()
                .and_then(|k| res.pointer(&format!("/properties/{k}/const")))
                .and_then(Value::as_str);
            let hint = match disc_value {
                Some(v) => format!("{name}{}", names::pascal(v)),
                None => format!("{name}Variant{}", i + 1),
            };
            let ty = self.ty(file, alt, ctx, &hint);
            let mut vname = match (disc_value, &ty) {
                (Some(v), _) => names::pascal(v),
                (None, Ty::Object(r) | Ty::Union(r) | Ty::Enum(r)) => {
                    let stripped = r.name.strip_prefix(name).unwrap_or("");
                    if stripped.starts_with(|c: char| c.is_ascii_uppercase()) {
                        stripped.to_string()
                    } else {
                        r.name.clone()
                    }
                }
                (None, Ty::Str | Ty::Const(_)) => "Text".into(),
                (None, Ty::Bool | Ty::ConstBool(_)) => "Bool".into(),
                (None, Ty::U64 | Ty::I64) => "Integer".into(),
                (None, Ty::F64) => "Number".into(),
                (None, Ty::Array(_)) => "List".into(),
                (None, _) => "Json".into(),
            };
            let base = vname.clone();
            let mut n = 2;
            while !used.insert(vname.clone()) {
                vname = format!("{base}{n}");
                n += 1;
            }
            variants.push((vname, ty, text(alt, "description")));
        }
        if let Some(slot) = self
            .model
            .items
            .get_mut(&ctx.module)
            .and_then(|v| v.get_mut(at))
        {
            slot.1 = Item::Union(Union { meta, variants });
        }
        t
    }

    /// The fields of an object schema.
    fn object_from(
        &mut self,
        file: File,
        def: &'s Value,
        ctx: &Ctx,
        name: &str,
        meta: Meta,
        skip_session_id: bool,
    ) -> Object {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let props = def
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let required: Vec<&str> = def
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let reserved: &[&str] = match ctx.dir {
            Dir::View => &[
                "new",
                "raw",
                "clone",
                "eq",
                "ne",
                "fmt",
                "hash",
                "from_json",
                "to_owned",
            ],
            Dir::Ser => &[
                "new",
                "clone",
                "eq",
                "ne",
                "fmt",
                "hash",
                "serialize",
                "to_owned",
                "default",
            ],
        };
        let mut used = std::collections::HashSet::new();
        let mut fields = Vec::new();
        for (key, schema) in props {
            if skip_session_id && key == "sessionId" {
                continue;
            }
            let mut rust = if key == "type" {
                if props.contains_key("kind") {
                    "type_".to_string()
                } else {
                    "kind".to_string()
                }
            } else {
                names::field(key)
            };
            if reserved.contains(&rust.as_str()) {
                rust.push('_');
            }
            let base = rust.clone();
            let mut n = 2;
            while !used.insert(rust.clone()) {
                rust = format!("{base}_{n}");
                n += 1;
            }
            let hint = format!("{name}{}", names::pascal(key));
            let ty = self.ty(file, schema, ctx, &hint);
            let req = required.contains(&key.as_str())
                && !(ctx.dir == Dir::Ser && RELAXED.contains(&(name, key.as_str())));
            if ctx.dir == Dir::Ser && matches!(ty, Ty::Const(_) | Ty::ConstBool(_)) && !req {
                continue;
            }
            let mut doc = text(schema, "description");
            if doc.is_empty() {
                doc = text(self.resolve(file, schema).1, "description");
            }
            // Strings, lists of strings and untyped JSON (maps) can hold a secret; numbers,
            // flags, enums and typed objects (whose own fields are judged) cannot.
            let can_hold = match &ty {
                Ty::Str | Ty::Raw => true,
                Ty::Array(inner) => **inner == Ty::Str,
                _ => false,
            };
            let named = match &ty {
                Ty::Raw => names::is_secret_map(key),
                _ => names::is_secret_string(key),
            };
            let secret = can_hold && (named || names::is_secret_value(name, key));
            fields.push(Field {
                json: key.clone(),
                rust,
                ty,
                required: req,
                doc,
                secret,
                internal: is_internal(schema),
            });
        }
        Object {
            meta,
            dir: ctx.dir,
            fields,
        }
    }
}

fn suffix(ctx: &Ctx) -> &'static str {
    match (ctx.module, ctx.dir) {
        (Mod::Server, Dir::Ser) => "Answer",
        (Mod::Server, Dir::View) => "Request",
        (Mod::Params, _) => "Params",
        _ => "Data",
    }
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

fn const_ty(c: &Value) -> Ty {
    match c {
        Value::String(s) => Ty::Const(s.clone()),
        Value::Bool(b) => Ty::ConstBool(*b),
        _ => Ty::Raw,
    }
}

fn enum_of(node: &Value, values: &[Value], meta: Meta) -> Enum {
    let docs = node.get("x-enumDescriptions").and_then(Value::as_object);
    let mut used = std::collections::HashSet::new();
    let mut variants = Vec::new();
    for v in values.iter().filter_map(Value::as_str) {
        let mut rust = if v.is_empty() {
            "Empty".to_string()
        } else {
            names::pascal(v)
        };
        if rust == "Unknown" {
            rust = "UnknownValue".into();
        }
        let base = rust.clone();
        let mut n = 2;
        while !used.insert(rust.clone()) {
            rust = format!("{base}{n}");
            n += 1;
        }
        let doc = docs
            .and_then(|d| d.get(v))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        variants.push(Variant {
            wire: v.to_string(),
            rust,
            doc,
        });
    }
    Enum { meta, variants }
}

fn collect_methods<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    if let Some(o) = v.as_object() {
        if o.contains_key("rpcMethod") {
            out.push(v);
            return;
        }
        for child in o.values() {
            collect_methods(child, out);
        }
    }
}
