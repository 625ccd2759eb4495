//! Writes copilot-sansio's protocol types (`src/proto/generated/`) and schema test data
//! (`tests/generated/`) from the JSON schemas of a Copilot CLI version.
//!
//! ```text
//! cargo run --manifest-path codegen/Cargo.toml -- --cli-version 1.0.102 [--check]
//! cargo run --manifest-path codegen/Cargo.toml -- --schemas DIR [--cli-version V] [--check]
//! ```
//!
//! With `--cli-version` alone, the schemas are read from
//! `$COPILOT_CACHE_HOME/pkg/linux-x64/<version>/schemas/`, where the CLI unpacks them
//! (`COPILOT_CACHE_HOME=<dir> copilot --version`); `COPILOT_CACHE_HOME` defaults to the
//! cache of `scripts/install-cli.sh`. With `--check`, nothing is written: the command fails
//! if the checked-in files differ from what the schemas give (the CI drift guard).
//!
//! Naming rules (see also `names.rs`):
//! - Types are `PascalCase`: definitions keep their schema name (re-cased, e.g.
//!   `UIElicitationSchema` -> `UiElicitationSchema`); a method's params struct (and a server
//!   request's params view) is named after the method (`session.model.switchTo` ->
//!   `SessionModelSwitchTo`); an event's data view after the event type
//!   (`assistant.message_delta` -> `AssistantMessageDelta`); inline objects take their
//!   `title`, else their parent's name plus the field's (`...Item` for array items).
//! - A name already taken in its module gets a suffix (`Params`, `Request`, `Answer`, `Data`,
//!   `Kind` for enums, `Union`), then a number; the order of first use decides, so the result
//!   is deterministic. API enums live in one namespace shared by `params`, `results` and
//!   `server`.
//! - Fields and accessors are `snake_case`; a JSON `type` becomes `kind` unless the object
//!   also has a `kind`, then `type_`; other keywords and names that would shadow common
//!   methods (`new`, `raw`, `clone`, ...) get a trailing `_`.
//! - Enum variants are the `PascalCase` of the wire value; the value `unknown` becomes
//!   `UnknownValue`, since `Unknown` is the arm for values this version does not know.
//! - Secrets are never printed by `Debug` (`names.rs`): string fields named like secrets
//!   (`*token`, `*apiKey*`, `*secret*`, `*password*`, `*cookie*`, `authorization`, `hmac`,
//!   `*headers*`), maps named `*headers`, `env` or `environment`, and the `value`/`values` of
//!   a type named for a secret (`McpInstallationSecret`). A view's `Debug` redacts its
//!   secret fields (`proto::Kind::SECRETS`), and members named like secrets at any depth.

mod build;
mod emit;
mod model;
mod names;
mod testgen;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde_json::Value;

struct Args {
    schemas: Option<PathBuf>,
    cli_version: Option<String>,
    check: bool,
    root: PathBuf,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: copilot-sansio-codegen (--schemas DIR | --cli-version VERSION) [--cli-version VERSION] [--check] [--root REPO]"
    );
    ExitCode::from(2)
}

fn parse() -> Option<Args> {
    let mut args = Args {
        schemas: None,
        cli_version: None,
        check: false,
        root: Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--schemas" => args.schemas = Some(it.next()?.into()),
            "--cli-version" => args.cli_version = Some(it.next()?),
            "--check" => args.check = true,
            "--root" => args.root = it.next()?.into(),
            _ => return None,
        }
    }
    Some(args)
}

/// Where the CLI unpacked its schemas.
fn schema_dir(version: &str) -> PathBuf {
    let cache = std::env::var_os("COPILOT_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let base = std::env::var_os("COPILOT_SANSIO_CLI_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("XDG_CACHE_HOME")
                        .map(|d| PathBuf::from(d).join("copilot-sansio"))
                })
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/copilot-sansio"))
                })
                .unwrap_or_default();
            base.join(format!("cli-{version}")).join("copilot-cache")
        });
    cache.join("pkg/linux-x64").join(version).join("schemas")
}

fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn rustfmt(path: &str, text: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "rustfmt failed on {path}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt: {e}"))
}

/// Files under `dir` (relative to `root`), recursively.
fn existing(root: &Path, dir: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    for e in entries.flatten() {
        let rel = format!("{dir}/{}", e.file_name().to_string_lossy());
        if e.path().is_dir() {
            existing(root, &rel, out);
        } else {
            out.push(rel);
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let dir = match (&args.schemas, &args.cli_version) {
        (Some(d), _) => d.clone(),
        (None, Some(v)) => schema_dir(v),
        (None, None) => return Err("give --schemas DIR or --cli-version VERSION".into()),
    };
    let version = args
        .cli_version
        .clone()
        .or_else(|| {
            dir.canonicalize()
                .ok()?
                .parent()?
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .ok_or("cannot tell the CLI version: give --cli-version")?;
    let schemas = build::Schemas {
        api: read(&dir.join("api.schema.json"))?,
        events: read(&dir.join("session-events.schema.json"))?,
    };
    let model = build::Builder::new(&schemas).run();
    let header = format!(
        "// @generated by copilot-sansio-codegen from the schemas of Copilot CLI {version}.\n\
         // Do not edit: `cargo run --manifest-path codegen/Cargo.toml -- --cli-version {version}`.\n\n"
    );
    let facts = emit::Facts::new(&model);
    let written = emit::written_enums(&model);
    let gates = emit::gates(&model);
    let emitter = emit::Emitter {
        model: &model,
        facts,
        header: header.clone(),
        written,
        gates,
    };
    let mut files: BTreeMap<String, String> = emitter.emit();
    files.insert(
        testgen::CALLS.into(),
        testgen::calls(&model, &emitter, &header),
    );
    let mut formatted = BTreeMap::new();
    for (path, text) in files {
        formatted.insert(path.clone(), rustfmt(&path, &text)?);
    }
    formatted.insert(
        testgen::EVENT_SAMPLES.into(),
        testgen::event_samples(&schemas),
    );
    report(&model);

    let mut on_disk = Vec::new();
    existing(&args.root, emit::ROOT, &mut on_disk);
    existing(&args.root, "tests/generated", &mut on_disk);
    let stale: Vec<&String> = on_disk
        .iter()
        .filter(|p| !formatted.contains_key(*p))
        .collect();
    if args.check {
        let mut ok = stale.is_empty();
        for p in &stale {
            eprintln!("stale: {p} (not generated any more)");
        }
        for (path, text) in &formatted {
            match std::fs::read_to_string(args.root.join(path)) {
                Ok(old) if old == *text => {}
                Ok(_) => {
                    eprintln!("differs: {path}");
                    ok = false;
                }
                Err(_) => {
                    eprintln!("missing: {path}");
                    ok = false;
                }
            }
        }
        return Ok(ok);
    }
    for p in stale {
        std::fs::remove_file(args.root.join(p)).map_err(|e| format!("{p}: {e}"))?;
    }
    for (path, text) in &formatted {
        let full = args.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        if std::fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&full, text).map_err(|e| format!("{path}: {e}"))?;
        }
    }
    Ok(true)
}

fn report(model: &model::Model) {
    use model::{Dir, Item, Mod};
    let views: usize = Mod::ALL
        .iter()
        .map(|&m| model.count(m, |i| matches!(i, Item::Object(o) if o.dir == Dir::View)))
        .sum();
    let sers: usize = Mod::ALL
        .iter()
        .map(|&m| model.count(m, |i| matches!(i, Item::Object(o) if o.dir == Dir::Ser)))
        .sum();
    let enums: usize = Mod::ALL
        .iter()
        .map(|&m| model.count(m, |i| matches!(i, Item::Enum(_))))
        .sum();
    let unions: usize = Mod::ALL
        .iter()
        .map(|&m| model.count(m, |i| matches!(i, Item::Union(_))))
        .sum();
    let internal_types: usize = Mod::ALL
        .iter()
        .map(|&m| model.count(m, |i| i.meta().internal))
        .sum();
    let ev_internal = model.events.iter().filter(|e| e.internal).count();
    let m_internal = model.methods.iter().filter(|e| e.internal).count();
    let cb_internal = model.callbacks.iter().filter(|e| e.internal).count();
    eprintln!(
        "events: {} ({ev_internal} internal); methods: {} ({m_internal} internal, {} session-scoped); \
         server methods: {} ({cb_internal} internal, {} notifications)",
        model.events.len(),
        model.methods.len(),
        model.methods.iter().filter(|m| m.session).count(),
        model.callbacks.len(),
        model.callbacks.iter().filter(|c| c.notification).count(),
    );
    eprintln!(
        "types: {views} views, {sers} written structs, {enums} enums, {unions} written unions ({internal_types} internal)"
    );
}

fn main() -> ExitCode {
    let Some(args) = parse() else { return usage() };
    let check = args.check;
    match run(args) {
        Ok(true) => {
            if check {
                eprintln!("generated code is up to date");
            }
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!(
                "generated code is stale: run `cargo run --manifest-path codegen/Cargo.toml -- --cli-version <version>`"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
