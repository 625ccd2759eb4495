//! Test data: one sample frame per event type and one call per method, built from the
//! schemas' required fields.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::build::Schemas;
use crate::model::*;

pub const EVENT_SAMPLES: &str = "tests/generated/event-samples.jsonl";
pub const CALLS: &str = "tests/generated/mod.rs";

/// One event object per event type, with the required fields of its data.
pub fn event_samples(s: &Schemas) -> String {
    let defs = s
        .events
        .get("definitions")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let alts = defs
        .get("SessionEvent")
        .and_then(|e| e.get("anyOf"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = String::new();
    for alt in alts {
        let def = resolve(&defs, &alt);
        let Some(wire) = def
            .pointer("/properties/type/const")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let data = def
            .pointer("/properties/data")
            .map_or(json!({}), |d| sample(&defs, d, 0));
        let mut event = Map::new();
        event.insert("id".into(), json!("00000000-0000-4000-8000-000000000000"));
        event.insert("timestamp".into(), json!("2026-01-01T00:00:00.000Z"));
        event.insert("parentId".into(), Value::Null);
        if let Some(e) = def.pointer("/properties/ephemeral/const") {
            event.insert("ephemeral".into(), e.clone());
        }
        event.insert("type".into(), json!(wire));
        event.insert("data".into(), data);
        let _ = writeln!(out, "{}", Value::Object(event));
    }
    out
}

fn resolve<'v>(defs: &'v Map<String, Value>, mut v: &'v Value) -> &'v Value {
    for _ in 0..16 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .and_then(|n| defs.get(n))
        {
            Some(d) => v = d,
            None => break,
        }
    }
    v
}

fn sample(defs: &Map<String, Value>, node: &Value, depth: usize) -> Value {
    if let Some(c) = node.get("const") {
        return c.clone();
    }
    let node = resolve(defs, node);
    if let Some(c) = node.get("const") {
        return c.clone();
    }
    if let Some(first) = node
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(alts) = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Value::as_array)
    {
        let real = alts.iter().find(|a| {
            a.is_object()
                && a.get("type").and_then(Value::as_str) != Some("null")
                && a.get("not").is_none()
                && (a.get("type").is_some()
                    || a.get("$ref").is_some()
                    || a.get("properties").is_some()
                    || a.get("anyOf").is_some()
                    || a.get("const").is_some()
                    || a.get("enum").is_some())
        });
        if let Some(a) = real {
            return sample(defs, a, depth + 1);
        }
    }
    let t = match node.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ if node.get("properties").is_some() => "object".into(),
        _ => String::new(),
    };
    match t.as_str() {
        "string" => match node.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-01T00:00:00.000Z"),
            Some("uuid") => json!("00000000-0000-4000-8000-000000000000"),
            Some("uri" | "url") => json!("https://example.com/"),
            _ => {
                let n = node
                    .get("minLength")
                    .and_then(Value::as_u64)
                    .unwrap_or(1)
                    .max(1);
                json!("x".repeat(n as usize))
            }
        },
        "integer" => {
            let min = node.get("minimum").and_then(Value::as_i64).unwrap_or(1);
            let ex = node
                .get("exclusiveMinimum")
                .and_then(Value::as_i64)
                .map(|m| m + 1);
            json!(ex.unwrap_or(min).max(min))
        }
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        "array" => {
            let n = node.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            match node.get("items") {
                Some(items) if n > 0 && depth < 12 => {
                    Value::Array(vec![sample(defs, items, depth + 1)])
                }
                _ => json!([]),
            }
        }
        "object" => {
            let mut o = Map::new();
            let required: Vec<&str> = node
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = node.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    if required.contains(&k.as_str()) && depth < 12 {
                        o.insert(k.clone(), sample(defs, p, depth + 1));
                    }
                }
            }
            Value::Object(o)
        }
        _ => json!({}),
    }
}

/// A Rust expression and the JSON it serializes to.
struct Sample {
    expr: String,
    json: String,
}

struct Calls<'m> {
    model: &'m Model,
    facts: &'m crate::emit::Facts,
    emitter: &'m crate::emit::Emitter<'m>,
}

impl Calls<'_> {
    fn gated(&self, t: &Ty) -> Option<&'static str> {
        self.emitter.gated_ty(t)
    }

    fn path(&self, r: &TypeRef) -> String {
        match r.module {
            Mod::Params | Mod::Enums => r.name.clone(),
            m => format!("{}::{}", m.name(), r.name),
        }
    }

    fn sample(&self, t: &Ty, by_ref: bool, depth: usize) -> Sample {
        let s = |e: &str, j: &str| Sample {
            expr: e.into(),
            json: j.into(),
        };
        let amp = if by_ref { "&" } else { "" };
        assert!(depth < 16, "required fields loop");
        match t {
            Ty::Str => s("\"x\"", "\"x\""),
            Ty::U64 | Ty::I64 => s("1", "1"),
            Ty::F64 => s("1.5", "1.5"),
            Ty::Bool => s("true", "true"),
            Ty::Unit => s("()", "null"),
            Ty::Raw | Ty::SessionEvent => s("RawJson::EMPTY_OBJECT", "{}"),
            Ty::Array(_) => s("&[]", "[]"),
            Ty::Const(c) => s(&format!("{c:?}"), &Value::String(c.clone()).to_string()),
            Ty::ConstBool(b) => s(&b.to_string(), &b.to_string()),
            Ty::Optional(inner) => {
                let i = self.sample(inner, by_ref, depth + 1);
                Sample {
                    expr: format!("Some({})", i.expr),
                    json: i.json,
                }
            }
            Ty::Enum(r) => match self.model.get(r) {
                Some(Item::Enum(e)) if !e.variants.is_empty() => {
                    let v = &e.variants[0];
                    Sample {
                        expr: format!("{}::{}", self.path(r), v.rust),
                        json: Value::String(v.wire.clone()).to_string(),
                    }
                }
                _ => s("Default::default()", "null"),
            },
            Ty::Object(r) => {
                let Some(o) = self.model.object(r) else {
                    return s("()", "null");
                };
                let mut args = Vec::new();
                let mut members = Vec::new();
                for f in &o.fields {
                    let by_ref = self.facts.is_by_ref(r, &f.rust);
                    match &f.ty {
                        Ty::Const(_) | Ty::ConstBool(_) => {
                            let v = self.sample(&f.ty, false, depth + 1);
                            members.push(format!("{}:{}", Value::String(f.json.clone()), v.json));
                        }
                        _ if f.required => {
                            let v = self.sample(&f.ty, by_ref, depth + 1);
                            args.push(v.expr);
                            members.push(format!("{}:{}", Value::String(f.json.clone()), v.json));
                        }
                        _ => {}
                    }
                }
                Sample {
                    expr: format!("{amp}{}::new({})", self.path(r), args.join(", ")),
                    json: format!("{{{}}}", members.join(",")),
                }
            }
            Ty::Union(r) => match self.model.get(r) {
                Some(Item::Union(u)) if !u.variants.is_empty() => {
                    let (v, t, _) = &u.variants[0];
                    let by_ref_v = self.facts.is_by_ref_variant(r, v);
                    let inner = self.sample(t, by_ref_v, depth + 1);
                    Sample {
                        expr: format!("{amp}{}::{v}({})", self.path(r), inner.expr),
                        json: inner.json,
                    }
                }
                _ => s("()", "null"),
            },
        }
    }
}

/// The generated part of `tests/schema.rs`: one call per method and per answer.
pub fn calls<'m>(model: &'m Model, emitter: &'m crate::emit::Emitter<'m>, header: &str) -> String {
    let c = Calls {
        model,
        facts: &emitter.facts,
        emitter,
    };
    let mut out = String::from(header);
    out.push_str("//! One call per method of the schema with its required fields, and the JSON it must\n//! serialize to; one answer per server request.\n\n");
    out.push_str("use copilot_sansio::json::RawJson;\n#[allow(unused_imports)]\nuse copilot_sansio::proto::events;\nuse copilot_sansio::proto::params::*;\nuse copilot_sansio::proto::server;\n\nuse super::{check_answer, check_connection, check_session};\n\n");
    let mut lines = Gated::default();
    for m in &model.methods {
        let sample = c.sample(&m.params, false, 0);
        let check = if m.session {
            "check_session"
        } else {
            "check_connection"
        };
        let _ = writeln!(
            lines.of(c.gated(&m.params)),
            "    n += {check}(&{}, {:?}, r#\"{}\"#);",
            sample.expr,
            m.wire,
            sample.json
        );
    }
    split_fn(
        &mut out,
        "methods",
        "/// Serializes the params of every client -> server method; returns how many.",
        &lines,
    );
    let mut lines = Gated::default();
    for cb in model.callbacks.iter().filter(|c| !c.notification) {
        let Ty::Object(p) = &cb.params else { continue };
        let sample = c.sample(&cb.answer, false, 0);
        let _ = writeln!(
            lines.of(c.gated(&cb.params)),
            "    n += check_answer::<server::{}>(&{}, {:?}, r#\"{}\"#);",
            p.name,
            sample.expr,
            cb.wire,
            sample.json
        );
    }
    split_fn(
        &mut out,
        "answers",
        "/// Serializes an answer to every server -> client request; returns how many.",
        &lines,
    );
    let mut lines = Gated::default();
    for (m, items) in &model.items {
        if !matches!(m, Mod::Params | Mod::Server) {
            continue;
        }
        for (name, item) in items {
            let Item::Object(o) = item else { continue };
            if o.dir != Dir::Ser || !o.fields.iter().any(|f| f.secret) {
                continue;
            }
            let r = TypeRef {
                module: *m,
                name: name.clone(),
            };
            let mut args = Vec::new();
            let mut setters = String::new();
            for f in &o.fields {
                let secret_value = match &f.ty {
                    Ty::Str => Some("secret"),
                    Ty::Raw => Some("map"),
                    Ty::Array(inner) if **inner == Ty::Str => Some("&[secret]"),
                    _ => None,
                };
                match (&f.ty, f.required, f.secret) {
                    (Ty::Const(_) | Ty::ConstBool(_), _, _) => {}
                    (_, true, true) if secret_value.is_some() => {
                        args.push(secret_value.unwrap_or_default().to_string())
                    }
                    (_, true, _) => {
                        args.push(c.sample(&f.ty, c.facts.is_by_ref(&r, &f.rust), 0).expr)
                    }
                    (_, false, true) if secret_value.is_some() => {
                        setters.push_str(&format!(
                            ".{}({})",
                            f.rust,
                            secret_value.unwrap_or_default()
                        ));
                    }
                    _ => {}
                }
            }
            let _ = writeln!(
                lines.of(c.emitter.gated(&r)),
                "    n.push(format!(\"{{:?}}\", {}::new({}){setters}));",
                c.path(&r),
                args.join(", ")
            );
        }
    }
    out.push_str("/// `Debug` of every written type that holds a secret, each secret set to `secret` (a\n/// string, or a list of it) or to `map` (a JSON object, for header and environment maps).\npub fn secrets(secret: &'static str, map: RawJson<'static>) -> Vec<String> {\n    let mut n = Vec::new();\n");
    out.push_str(&lines.always);
    for (gate, _) in lines.gated() {
        let _ = writeln!(
            out,
            "    #[cfg(feature = \"{gate}\")]\n    n.extend(secrets_{gate}(secret, map));"
        );
    }
    out.push_str("    n\n}\n");
    for (gate, text) in lines.gated() {
        let _ = writeln!(
            out,
            "\n#[cfg(feature = \"{gate}\")]\nfn secrets_{gate}(secret: &'static str, map: RawJson<'static>) -> Vec<String> {{\n    let mut n = Vec::new();\n{text}    n\n}}"
        );
    }
    out
}

/// Lines of generated test code, by the feature their types need.
#[derive(Default)]
struct Gated {
    always: String,
    methods: String,
    internal: String,
}

impl Gated {
    fn of(&mut self, gate: Option<&str>) -> &mut String {
        match gate {
            None => &mut self.always,
            Some("methods") => &mut self.methods,
            Some(_) => &mut self.internal,
        }
    }

    /// The gated lines that exist: `(feature, lines)`.
    fn gated(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [("methods", &self.methods), ("internal", &self.internal)]
            .into_iter()
            .filter(|(_, text)| !text.is_empty())
            .map(|(gate, text)| (gate, text.as_str()))
    }
}

/// `pub fn name() -> usize` with the lines that need no feature, plus those that need one in a
/// function of their own, compiled with that feature.
fn split_fn(out: &mut String, name: &str, doc: &str, lines: &Gated) {
    let _ = writeln!(
        out,
        "{doc}\npub fn {name}() -> usize {{\n    let mut n = 0;\n{}",
        lines.always
    );
    for (gate, _) in lines.gated() {
        let _ = writeln!(
            out,
            "    #[cfg(feature = \"{gate}\")]\n    let n = n + {name}_{gate}();"
        );
    }
    out.push_str("    n\n}\n\n");
    for (gate, text) in lines.gated() {
        let _ = writeln!(
            out,
            "#[cfg(feature = \"{gate}\")]\nfn {name}_{gate}() -> usize {{\n    let mut n = 0;\n{text}    n\n}}\n"
        );
    }
}
