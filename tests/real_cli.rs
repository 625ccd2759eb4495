//! Interop with the real Copilot CLI 1.0.102, which runs offline: each test starts the CLI in
//! stdio server mode with a hermetic environment (its own temp HOME, COPILOT_HOME and working
//! directory; a shared COPILOT_CACHE_HOME if set) and a loopback stand-in for the Copilot API
//! (`tests/support/standin.rs`), then drives it with the crate's client and blocking driver.
//!
//! The tests are ignored unless asked for: `scripts/install-cli.sh` installs the CLI and prints
//! its path; then `COPILOT_CLI_PATH=<path> cargo test --all-features --test real_cli --
//! --ignored`. They take turns (one CLI at a time) and print their run times.

#[path = "support/standin.rs"]
mod standin;
mod support;

use std::path::{Path, PathBuf};
use std::process::ChildStdin;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant as StdInstant};

use copilot_sansio::driver::{BlockingDriver, Polled};
use copilot_sansio::driver::{CliCommand, CliProcess};
use copilot_sansio::json::{JsonStr, RawJson};
use copilot_sansio::proto::params::{
    AbortReason, ExternalToolResult, PermissionDecision, PermissionDecisionReject,
    SessionFsSetProvider, SessionFsSetProviderConventions, SessionOptions, SessionSend,
    ToolDeclaration,
};
use copilot_sansio::proto::server::{
    SessionFsError, SessionFsErrorCode, SessionFsExistsResult, SessionFsReadFileResult,
    SessionFsReaddirResult, SessionFsReaddirWithTypesEntry, SessionFsReaddirWithTypesEntryType,
    SessionFsReaddirWithTypesResult, SessionFsStatResult,
};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Event, Inbox, ReplyHandle, SessionHandle, SessionId,
};
use standin::StandIn;
use support::{Ev, leak, summary};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A real CLI, its stand-in API, and a client talking to it.
struct Real {
    name: &'static str,
    started: StdInstant,
    api: StandIn,
    process: Option<CliProcess>,
    driver: BlockingDriver<ChildStdin>,
    client: Client<'static, 32, 64>,
    inbox: Inbox<'static>,
    dir: PathBuf,
    watchdog: mpsc::Sender<()>,
    _turn: MutexGuard<'static, ()>,
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "copilot-sansio-{name}-{}-{nanos}",
        std::process::id()
    ));
    for sub in [
        "home",
        "config",
        "state",
        "gh",
        "copilot-home",
        "work",
        "fs",
    ] {
        std::fs::create_dir_all(dir.join(sub)).expect("temp dir");
    }
    dir
}

fn random_id(n: u8) -> SessionId {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut random = [n; 16];
    random[..8].copy_from_slice(&nanos.to_le_bytes());
    SessionId::new_v4(random)
}

/// Why every test here is ignored by default.
const NEEDS_CLI: &str = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)";

/// The CLI named by `COPILOT_CLI_PATH`, hermetic: its own directories under `dir`, the
/// stand-in `api` as its Copilot API.
fn hermetic_cli(dir: &Path, api: &StandIn) -> CliCommand {
    let Some(cli) = std::env::var_os("COPILOT_CLI_PATH").filter(|p| !p.is_empty()) else {
        panic!("{NEEDS_CLI}");
    };
    let mut cmd = CliCommand::new(cli)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("GH_CONFIG_DIR", dir.join("gh"))
        .env("COPILOT_HOME", dir.join("copilot-home"))
        .env("COPILOT_API_URL", api.url())
        .env("COPILOT_DEBUG_GITHUB_API_URL", api.url())
        .auth_token("mock-token")
        .no_auto_login()
        .log_level("debug")
        .current_dir(dir.join("work"));
    if let Some(cache) = std::env::var_os("COPILOT_CACHE_HOME") {
        cmd = cmd.env("COPILOT_CACHE_HOME", cache);
    }
    cmd
}

/// Kills the CLI `pid` if the test is not done in 180 s: the test fails instead of hanging.
/// Send on the returned channel when done.
/// Whether `process` exits within 10 seconds.
fn exited_within_10_s(process: &mut copilot_sansio::driver::CliProcess) -> bool {
    for _ in 0..500 {
        if process.try_status().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn watchdog(pid: u32) -> mpsc::Sender<()> {
    let (watchdog, stop) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if stop.recv_timeout(Duration::from_secs(180)) == Err(mpsc::RecvTimeoutError::Timeout) {
            eprintln!("watchdog: killing CLI {pid}");
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    });
    watchdog
}

/// Starts the CLI named by `COPILOT_CLI_PATH`.
fn start(name: &'static str, handles: CallerAnswers) -> Real {
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let started = StdInstant::now();
    let dir = temp_dir(name);
    let api = StandIn::start().expect("stand-in");
    let (process, driver) = hermetic_cli(&dir, &api).spawn().expect("spawn the CLI");
    let watchdog = watchdog(process.id());
    let config = Config::default()
        .caller_answers(handles)
        .request_timeout_ms(Some(60_000));
    let mut real = Real {
        name,
        started,
        api,
        process: Some(process),
        driver,
        client: Client::new(leak(64 * 1024), config).expect("client"),
        inbox: Inbox::new(leak(1024 * 1024)),
        dir,
        watchdog,
        _turn: turn,
    };
    let now = real.driver.now();
    real.client.connect(now, &Connect::default()).unwrap();
    let connected = real.next();
    assert_eq!(
        connected,
        Ev::Connected(3, Some("1.0.102".into())),
        "{connected:?}"
    );
    real
}

impl Real {
    fn now(&self) -> copilot_sansio::Instant {
        self.driver.now()
    }

    /// The next event, owned.
    fn next(&mut self) -> Ev {
        match self
            .driver
            .next_event(&mut self.client, &mut self.inbox, None)
        {
            Ok(Polled::Event(event)) => Ev::of(&event),
            Ok(_) => panic!("{}: the connection closed", self.name),
            Err(e) => panic!("{}: {e}", self.name),
        }
    }

    /// Events until one matches `done` (included), answering `sessionFs` requests from the
    /// test's directory on the way.
    fn until(&mut self, mut done: impl FnMut(&Ev) -> bool) -> Vec<Ev> {
        let mut seen = Vec::new();
        loop {
            let e = self.next();
            if let Ev::Request {
                reply,
                method,
                params,
                ..
            } = &e
                && method.starts_with("sessionFs.")
            {
                let root = self.dir.join("fs");
                serve_fs(&mut self.client, &root, *reply, method, params);
            }
            let stop = done(&e);
            seen.push(e);
            if stop {
                return seen;
            }
        }
    }

    fn create(&mut self, options: &SessionOptions<'_>) -> SessionHandle {
        let now = self.now();
        let h = self
            .client
            .create_session(now, random_id(1), options)
            .unwrap();
        let events =
            self.until(|e| matches!(e, Ev::Opened(s, ..) | Ev::OpenFailed(s, ..) if *s == h));
        assert!(
            matches!(events.last(), Some(Ev::Opened(..))),
            "{}",
            summary(&events)
        );
        h
    }

    /// Sends a prompt and takes the turn's events up to `session.idle` of `h`.
    fn turn(&mut self, h: SessionHandle, prompt: &str) -> Vec<Ev> {
        let now = self.now();
        let _ = self
            .client
            .session(h)
            .send(now, &SessionSend::new(prompt))
            .unwrap();
        self.until(|e| matches!(e, Ev::Session(s, t, _) if *s == h && t == "session.idle"))
    }

    /// Shuts down politely and reports the run time.
    fn finish(mut self) {
        let process = self.process.take().expect("process");
        // Destroying a session makes the CLI write its state: through us, if we are its
        // filesystem.
        let root = self.dir.join("fs");
        let serve = |client: &mut Client<'static, 32, 64>, event: &Event<'_>| {
            if let Event::Request(r) = event
                && r.method.raw().starts_with("sessionFs.")
            {
                let (method, params) = (r.method.to_string(), r.params.to_string());
                serve_fs(client, &root, r.reply, &method, &params);
            }
        };
        let deadline = self.driver.now().add_millis(15_000);
        let done = process
            .shutdown(
                &mut self.driver,
                &mut self.client,
                &mut self.inbox,
                deadline,
                serve,
            )
            .expect("shutdown");
        assert!(done.shutdown.runtime_stopped, "{done:?}");
        assert!(!done.killed, "the CLI had to be killed");
        assert_eq!(self.client.session_slots_in_use(), 0);
        assert_eq!(self.client.pending_requests(), 0);
        assert_eq!(self.client.pending_server_requests(), 0);
        let _ = self.watchdog.send(());
        let _ = std::fs::remove_dir_all(&self.dir);
        eprintln!(
            "real CLI {}: {} ms",
            self.name,
            self.started.elapsed().as_millis()
        );
    }
}

fn types_of(events: &[Ev], h: SessionHandle) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Ev::Session(s, t, _) if *s == h => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The `data` of the first `kind` event of `h`.
fn data_of(events: &[Ev], h: SessionHandle, kind: &str) -> Option<String> {
    events.iter().find_map(|e| match e {
        Ev::Session(s, t, raw) if *s == h && t == kind => RawJson::parse(raw)
            .ok()
            .and_then(|r| r.get("data"))
            .map(|d| d.to_string()),
        _ => None,
    })
}

/// A session filesystem over a directory of the test: `<root>/<sessionId>/<path>`.
fn serve_fs<const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    root: &Path,
    reply: ReplyHandle,
    method: &str,
    params: &str,
) {
    let p = RawJson::parse(params).unwrap();
    let sid = p
        .get_str("sessionId")
        .map(|s| s.to_string())
        .unwrap_or_default();
    let at = |key: &str| -> PathBuf {
        let path = p.get_str(key).map(|s| s.to_string()).unwrap_or_default();
        root.join(&sid).join(path.trim_start_matches('/'))
    };
    let path = at("path");
    let missing =
        SessionFsError::new(SessionFsErrorCode::Enoent).message("no such file or directory");
    let done = |r: std::io::Result<()>| match r {
        Ok(()) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(missing),
        Err(_) => Some(SessionFsError::new(SessionFsErrorCode::UnknownValue).message("failed")),
    };
    let write = |append: bool| {
        let content = p
            .get_str("content")
            .map(|c| c.to_string())
            .unwrap_or_default();
        let _ = std::fs::create_dir_all(path.parent().unwrap());
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&path)?;
        std::io::Write::write_all(&mut f, content.as_bytes())
    };
    let answered = match method.trim_start_matches("sessionFs.") {
        "readFile" => match std::fs::read_to_string(&path) {
            Ok(content) => client.respond(reply, &SessionFsReadFileResult::new(&content)),
            Err(_) => client.respond(reply, &SessionFsReadFileResult::new("").error(missing)),
        },
        "writeFile" => client.respond(reply, &done(write(false))),
        "appendFile" => client.respond(reply, &done(write(true))),
        "exists" => client.respond(reply, &SessionFsExistsResult::new(path.exists())),
        "stat" => match std::fs::metadata(&path) {
            Ok(m) => client.respond(
                reply,
                &SessionFsStatResult::new(
                    m.is_file(),
                    m.is_dir(),
                    m.len(),
                    "2026-11-23T23:00:00.000Z",
                    "2026-11-23T23:00:00.000Z",
                ),
            ),
            Err(_) => client.respond(
                reply,
                &SessionFsStatResult::new(
                    false,
                    false,
                    0,
                    "1970-01-01T00:00:00.000Z",
                    "1970-01-01T00:00:00.000Z",
                )
                .error(missing),
            ),
        },
        "mkdir" => client.respond(reply, &done(std::fs::create_dir_all(&path))),
        "rm" => {
            let r = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            let force = p.get("force").and_then(|f| f.as_bool()) == Some(true);
            client.respond(reply, &done(r).filter(|_| !force))
        }
        "rename" => client.respond(reply, &done(std::fs::rename(at("src"), at("dest")))),
        "readdir" | "readdirWithTypes" => {
            let entries: Vec<(String, bool)> = std::fs::read_dir(&path)
                .map(|d| {
                    d.flatten()
                        .map(|e| {
                            (
                                e.file_name().to_string_lossy().into_owned(),
                                e.path().is_dir(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if method.ends_with("readdir") {
                let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
                client.respond(reply, &SessionFsReaddirResult::new(&names))
            } else {
                let typed: Vec<SessionFsReaddirWithTypesEntry<'_>> = entries
                    .iter()
                    .map(|(n, d)| {
                        let kind = if *d {
                            SessionFsReaddirWithTypesEntryType::Directory
                        } else {
                            SessionFsReaddirWithTypesEntryType::File
                        };
                        SessionFsReaddirWithTypesEntry::new(n, kind)
                    })
                    .collect();
                client.respond(reply, &SessionFsReaddirWithTypesResult::new(&typed))
            }
        }
        _ => client.respond_error(reply, -32603, "not supported by this provider"),
    };
    answered.expect("answer queued");
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_1_handshake() {
    let mut real = start("handshake", CallerAnswers::NONE);
    let now = real.now();
    let status = real.client.get_status(now).unwrap();
    let auth = real.client.get_auth_status(now).unwrap();
    let ping = real.client.ping(now, Some("probe")).unwrap().id();
    // The CLI answers them in any order.
    let mut answered = 0;
    let events = real.until(|e| {
        answered +=
            usize::from(matches!(e, Ev::Response(id, _) if [status, auth, ping].contains(id)));
        answered == 3
    });
    let response = |id| {
        events
            .iter()
            .find_map(|e| match e {
                Ev::Response(i, o) if *i == id => Some(o.clone()),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        response(status),
        r#"Ok({"version":"1.0.102","protocolVersion":3})"#
    );
    assert!(
        response(auth).contains(r#""isAuthenticated":true"#),
        "{}",
        response(auth)
    );
    assert!(response(ping).contains(r#""message":"pong: probe""#));
    assert!(response(ping).contains(r#""protocolVersion":3"#));
    assert_eq!(real.client.protocol_version(), Some(3));
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_2_session_fs_requests_before_the_create_response() {
    let mut real = start("sessionfs", CallerAnswers::SESSION_FS);
    let now = real.now();
    let work = real.dir.join("work").to_string_lossy().into_owned();
    let provider = real
        .client
        .set_session_fs_provider(
            now,
            &SessionFsSetProvider::new(
                &work,
                "/session-state",
                SessionFsSetProviderConventions::Posix,
            ),
        )
        .unwrap();
    // The CLI applies the provider asynchronously: a create sent before this answer would
    // race it and get no sessionFs requests.
    let events = real.until(|e| matches!(e, Ev::Response(id, _) if *id == provider));
    assert!(
        matches!(events.last(), Some(Ev::Response(_, o)) if o.starts_with("Ok")),
        "{}",
        summary(&events)
    );
    let now = real.now();
    // The session is known before the request is written: every sessionFs request the CLI
    // sends for it before answering is routed to it and answered from the test's directory.
    let h = real
        .client
        .create_session(now, random_id(2), &SessionOptions::default())
        .unwrap();
    let events = real.until(|e| matches!(e, Ev::Opened(s, ..) | Ev::OpenFailed(s, ..) if *s == h));
    assert!(
        matches!(events.last(), Some(Ev::Opened(..))),
        "{}",
        summary(&events)
    );
    let early = events
        .iter()
        .filter(|e| matches!(e, Ev::Request { session: Some(s), .. } if *s == h))
        .count();
    assert!(
        early >= 5,
        "sessionFs requests before the create response: {early}\n{}",
        summary(&events)
    );
    let sid = real.client.session_id(h).unwrap().to_string();
    assert!(
        real.dir
            .join("fs")
            .join(&sid)
            .join("session-state")
            .exists()
    );
    // The same create through the raw request, so the table does not hold the id: the client
    // answers that id's sessionFs requests with an error, and the CLI fails the create.
    let other = random_id(3);
    let params = format!(r#"{{"sessionId":"{other}"}}"#);
    let raw = real
        .client
        .request_raw(real.now(), "session.create", &params)
        .unwrap();
    let events = real.until(|e| matches!(e, Ev::Response(id, _) if *id == raw));
    let refused = events.iter().filter(|e| matches!(e, Ev::Auto(a) if a.contains("UnknownSession") && a.contains(other.as_str()))).count();
    assert!(refused >= 1, "{}", summary(&events));
    match events.last() {
        Some(Ev::Response(_, outcome)) => {
            assert!(outcome.starts_with("Err(Rpc"), "{outcome}");
            assert!(
                outcome.contains("-32603") && outcome.contains("session construction failed"),
                "{outcome}"
            );
        }
        other => panic!("{other:?}"),
    }
    eprintln!(
        "scenario 2: {early} sessionFs requests before the create response; {refused} refused for the unknown id"
    );
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_3_full_turn() {
    let mut real = start("full-turn", CallerAnswers::NONE);
    let h = real.create(&SessionOptions::default());
    real.api.push_text("2 + 2 = 4");
    let events = real.turn(h, "What is 2+2?");
    // Everything came for this session; nothing for another one.
    assert!(
        events.iter().all(|e| !matches!(e, Ev::UnknownSession(..))),
        "{}",
        summary(&events)
    );
    assert!(events.iter().all(|e| e.session().is_none_or(|s| s == h)));
    let types = types_of(&events, h);
    let pos = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("{t} in {types:?}"))
    };
    assert!(pos("user.message") < pos("assistant.message"));
    assert!(pos("assistant.turn_start") < pos("assistant.message"));
    assert_eq!(types.last().map(String::as_str), Some("session.idle"));
    let message = data_of(&events, h, "assistant.message").unwrap();
    assert!(message.contains(r#""content":"2 + 2 = 4""#), "{message}");
    real.finish();
}

fn weather_tool(skip_permission: bool) -> [ToolDeclaration<'static>; 1] {
    let parameters = RawJson::parse(
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
    )
    .unwrap();
    let tool = ToolDeclaration::new("get_weather", "Get the current weather for a city")
        .parameters(parameters);
    [if skip_permission {
        tool.skip_permission(true)
    } else {
        tool
    }]
}

/// A turn in which the model calls `get_weather`; `answer` decides the permission (if asked).
fn weather_turn(
    real: &mut Real,
    h: SessionHandle,
    decision: Option<PermissionDecision<'static>>,
) -> Vec<Ev> {
    let now = real.now();
    let _ = real
        .client
        .session(h)
        .send(now, &SessionSend::new("Weather in Paris?"))
        .unwrap();
    let mut events = Vec::new();
    loop {
        let e = real.next();
        let now = real.now();
        if let Ev::Session(s, t, raw) = &e {
            let data = RawJson::parse(raw)
                .unwrap()
                .get("data")
                .unwrap()
                .to_string();
            let request_id = || {
                RawJson::parse(&data)
                    .unwrap()
                    .get_str("requestId")
                    .unwrap()
                    .to_string()
            };
            if t == "permission.requested" {
                let d = decision.expect("a permission request");
                let _ = real
                    .client
                    .session(*s)
                    .answer_permission(now, JsonStr::from_plain(&request_id()).unwrap(), d)
                    .unwrap();
            }
            if t == "external_tool.requested" {
                assert!(
                    data.contains(r#""toolName":"get_weather""#)
                        && data.contains(r#""city":"Paris""#),
                    "{data}"
                );
                let _ = real
                    .client
                    .session(*s)
                    .answer_tool_call(
                        now,
                        JsonStr::from_plain(&request_id()).unwrap(),
                        Ok(ExternalToolResult::Text("18°C, clear sky")),
                    )
                    .unwrap();
            }
        }
        let end = matches!(&e, Ev::Session(s, t, _) if *s == h && t == "session.idle");
        events.push(e);
        if end {
            return events;
        }
    }
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_4_tool_call() {
    let mut real = start("tool-call", CallerAnswers::NONE);
    let tools = weather_tool(true);
    let h = real.create(&SessionOptions::default().tools(&tools));
    real.api
        .push_tool_call("get_weather", r#"{"city":"Paris"}"#);
    real.api.push_text("It is 18°C and clear in Paris.");
    let events = weather_turn(&mut real, h, None);
    let types = types_of(&events, h);
    assert!(
        types.contains(&"external_tool.requested".to_string()),
        "{types:?}"
    );
    assert!(types.contains(&"external_tool.completed".to_string()));
    let complete = data_of(&events, h, "tool.execution_complete").unwrap();
    assert!(complete.contains(r#""success":true"#), "{complete}");
    // The model got the tool's result, then ended the turn with its final message.
    assert!(
        real.api
            .chat_bodies()
            .last()
            .unwrap()
            .contains("18°C, clear sky")
    );
    let last_message = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Ev::Session(s, t, raw) if *s == h && t == "assistant.message" => Some(raw.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        last_message.contains("It is 18°C and clear in Paris."),
        "{last_message}"
    );
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_5_permissions_approved_and_rejected() {
    let mut real = start("permissions", CallerAnswers::PERMISSIONS);
    let tools = weather_tool(false);
    let options = real.client_config().session_options().tools(&tools);
    let h = real.create(&options);
    real.api
        .push_tool_call("get_weather", r#"{"city":"Paris"}"#);
    real.api.push_text("It is 18°C in Paris.");
    let approved = weather_turn(
        &mut real,
        h,
        Some(PermissionDecision::ApproveOnce(Default::default())),
    );
    let types = types_of(&approved, h);
    let pos = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("{t} in {types:?}"))
    };
    assert!(pos("permission.requested") < pos("external_tool.requested"));
    assert!(
        data_of(&approved, h, "permission.completed")
            .unwrap()
            .contains(r#""kind":"approved""#)
    );

    real.api
        .push_tool_call("get_weather", r#"{"city":"Paris"}"#);
    real.api.push_text("I could not check the weather.");
    let rejected = weather_turn(
        &mut real,
        h,
        Some(PermissionDecision::Reject(
            PermissionDecisionReject::new().feedback("Not now"),
        )),
    );
    let types = types_of(&rejected, h);
    assert!(types.contains(&"permission.requested".to_string()));
    assert!(
        !types.contains(&"external_tool.requested".to_string()),
        "{types:?}"
    );
    let complete = data_of(&rejected, h, "tool.execution_complete").unwrap();
    assert!(
        complete.contains(r#""success":false"#) && complete.contains("User feedback: Not now"),
        "{complete}"
    );
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_6_destroy_resume_and_abort() {
    let mut real = start("destroy-resume-abort", CallerAnswers::NONE);
    let h = real.create(&SessionOptions::default());
    let sid = real.client.session_id(h).unwrap().clone();
    real.api.push_text("First answer.");
    real.turn(h, "Remember this.");
    // Destroy: session.shutdown reaches the session before the destroy response releases it.
    let now = real.now();
    real.client.session(h).destroy(now).unwrap();
    let events = real.until(|e| matches!(e, Ev::Closed(s, _) if *s == h));
    let types = types_of(&events, h);
    assert!(
        types.contains(&"session.shutdown".to_string()),
        "{}",
        summary(&events)
    );
    assert_eq!(events.last(), Some(&Ev::Closed(h, "Ok(())".into())));
    assert_eq!(real.client.session_state(h), None);
    // Resume the persisted session: its session.resume event reaches the new handle.
    let now = real.now();
    let r = real
        .client
        .resume_session(now, sid, &SessionOptions::default())
        .unwrap();
    let events =
        real.until(|e| matches!(e, Ev::Session(s, t, _) if *s == r && t == "session.resume"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Opened(s, copilot_sansio::OpenMethod::Resume, _) if *s == r)),
        "{}",
        summary(&events)
    );
    // Abort during a turn: the model is held back for 5 s.
    real.api.push_delayed(
        Duration::from_secs(5),
        standin::Reply::Text("Too late.".into()),
    );
    let now = real.now();
    let _ = real
        .client
        .session(r)
        .send(now, &SessionSend::new("Take your time."))
        .unwrap();
    real.until(|e| matches!(e, Ev::Session(s, t, _) if *s == r && t == "assistant.turn_start"));
    let now = real.now();
    let _ = real
        .client
        .session(r)
        .abort(now, Some(AbortReason::UserInitiated))
        .unwrap();
    let events =
        real.until(|e| matches!(e, Ev::Session(s, t, _) if *s == r && t == "session.idle"));
    assert!(
        types_of(&events, r).contains(&"abort".to_string()),
        "{}",
        summary(&events)
    );
    assert!(
        data_of(&events, r, "session.idle")
            .unwrap()
            .contains(r#""aborted":true"#)
    );
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_7_many_sessions_on_one_connection() {
    let mut real = start("many-sessions", CallerAnswers::NONE);
    const N: usize = 20;
    let now = real.now();
    let handles: Vec<SessionHandle> = (0..N)
        .map(|i| {
            real.client
                .create_session(now, random_id(10 + i as u8), &SessionOptions::default())
                .unwrap()
        })
        .collect();
    let mut opened = 0;
    real.until(|e| {
        opened += usize::from(matches!(e, Ev::Opened(..)));
        assert!(!matches!(e, Ev::OpenFailed(..)), "{e:?}");
        opened == N
    });
    for i in 0..N {
        real.api.push_text(&format!("Answer {i}."));
    }
    let now = real.now();
    for &h in &handles {
        let _ = real
            .client
            .session(h)
            .send(now, &SessionSend::new("Hello"))
            .unwrap();
    }
    let mut idle = 0;
    let events = real.until(|e| {
        idle += usize::from(matches!(e, Ev::Session(_, t, _) if t == "session.idle"));
        idle == N
    });
    for &h in &handles {
        assert!(types_of(&events, h).contains(&"assistant.message".to_string()));
    }
    assert!(events.iter().all(|e| !matches!(e, Ev::UnknownSession(..))));
    let now = real.now();
    for &h in &handles {
        real.client.session(h).destroy(now).unwrap();
    }
    let mut closed = 0;
    real.until(|e| {
        closed += usize::from(matches!(e, Ev::Closed(_, r) if r == "Ok(())"));
        closed == N
    });
    assert_eq!(real.client.session_slots_in_use(), 0, "no slot leaked");
    eprintln!("scenario 7: {N} sessions created, used and destroyed");
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_8_a_malformed_frame_gets_a_parse_error_and_the_connection_goes_on() {
    let mut real = start("malformed", CallerAnswers::NONE);
    let writer = real.driver.writer_mut().expect("writer");
    std::io::Write::write_all(writer, b"Content-Length: 5\r\n\r\n{\"a\":").unwrap();
    std::io::Write::flush(writer).unwrap();
    let events = real.until(|e| matches!(e, Ev::Error(_)));
    match events.last() {
        Some(Ev::Error(e)) => assert!(
            e.starts_with("RejectedByPeer(RpcError { code: -32700"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let now = real.now();
    let ping = real.client.ping(now, Some("still here")).unwrap();
    let events = real.until(|e| matches!(e, Ev::Response(id, _) if *id == ping));
    assert!(matches!(events.last(), Some(Ev::Response(_, o)) if o.contains("pong: still here")));
    real.finish();
}

impl Real {
    fn client_config(&self) -> Config {
        Config::default().caller_answers(CallerAnswers::PERMISSIONS)
    }
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_9_a_live_resume_changes_an_open_session() {
    let mut real = start("live-resume", CallerAnswers::NONE);
    let h = real.create(&SessionOptions::default());
    let sid = real.client.session_id(h).unwrap().clone();
    // Resume it while it is open, now streaming: same session, same handle, events in order.
    let now = real.now();
    let again = real
        .client
        .resume_session(now, sid, &SessionOptions::default().streaming(true))
        .unwrap();
    assert_eq!(again, h);
    let events =
        real.until(|e| matches!(e, Ev::Session(s, t, _) if *s == h && t == "session.resume"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Opened(s, copilot_sansio::OpenMethod::Resume, _) if *s == h)),
        "{}",
        summary(&events)
    );
    assert!(
        events.iter().all(|e| e.session().is_none_or(|s| s == h)),
        "{}",
        summary(&events)
    );
    // The new option holds: the turn streams.
    real.api.push_text("Streamed after the resume.");
    let events = real.turn(h, "Go on.");
    assert!(
        types_of(&events, h).contains(&"assistant.message_delta".to_string()),
        "{}",
        summary(&events)
    );
    real.finish();
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_10_a_cli_that_fails_to_start_says_why() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = temp_dir("start-failure");
    let api = StandIn::start().expect("stand-in");
    let cli = hermetic_cli(&dir, &api).arg("--nonexistent-flag-for-testing");
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 16 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 4> = Client::new(&mut tx, Config::default()).unwrap();
    let started = cli.start(
        &mut client,
        &mut inbox,
        &Connect::default(),
        Duration::from_secs(60),
    );
    let Err(e) = started else {
        panic!("the CLI started with an unknown flag")
    };
    assert_eq!(e.status.and_then(|s| s.code()), Some(1), "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("unexpected argument '--nonexistent-flag-for-testing'"),
        "{shown}"
    );
    eprintln!("scenario 10: {shown}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client of a CLI serving TCP.
struct Joined {
    driver: BlockingDriver<copilot_sansio::driver::TcpWriter>,
    client: Client<'static, 4, 8>,
    inbox: Inbox<'static>,
}

impl Joined {
    fn join(addr: std::net::SocketAddr) -> Joined {
        let driver = copilot_sansio::driver::connect_tcp(addr).expect("connect over TCP");
        let mut j = Joined {
            driver,
            client: Client::new(leak(64 * 1024), Config::default()).unwrap(),
            inbox: Inbox::new(leak(1024 * 1024)),
        };
        let now = j.driver.now();
        j.client.connect(now, &Connect::default()).unwrap();
        j.until(|e| matches!(e, Ev::Connected(..)));
        j
    }

    fn until(&mut self, mut done: impl FnMut(&Ev) -> bool) -> Vec<Ev> {
        let mut seen = Vec::new();
        loop {
            let deadline = Some(self.driver.now().add_millis(60_000));
            match self
                .driver
                .next_event(&mut self.client, &mut self.inbox, deadline)
            {
                Ok(Polled::Event(event)) => {
                    let e = Ev::of(&event);
                    let stop = done(&e);
                    seen.push(e);
                    if stop {
                        return seen;
                    }
                }
                other => panic!("{other:?} after {}", summary(&seen)),
            }
        }
    }

    fn create(&mut self, n: u8) -> SessionHandle {
        let now = self.driver.now();
        let h = self
            .client
            .create_session(now, random_id(n), &SessionOptions::default())
            .unwrap();
        let events =
            self.until(|e| matches!(e, Ev::Opened(s, ..) | Ev::OpenFailed(s, ..) if *s == h));
        assert!(
            matches!(events.last(), Some(Ev::Opened(..))),
            "{}",
            summary(&events)
        );
        h
    }

    fn shutdown(&mut self, mode: copilot_sansio::ShutdownMode) -> copilot_sansio::Shutdown<4> {
        let deadline = self.driver.now().add_millis(15_000);
        self.driver
            .shutdown(&mut self.client, &mut self.inbox, mode, deadline, |_, _| {})
            .expect("shutdown")
    }
}

#[test]
#[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
fn scenario_11_two_clients_share_a_cli_over_tcp_and_one_leaves() {
    use copilot_sansio::ShutdownMode;
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let started = StdInstant::now();
    let dir = temp_dir("shared-tcp");
    let api = StandIn::start().expect("stand-in");
    let (mut process, addr) = hermetic_cli(&dir, &api)
        .spawn_tcp(0, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    let watchdog = watchdog(process.id());
    let mut a = Joined::join(addr);
    let mut b = Joined::join(addr);
    let ha = a.create(1);
    let hb = b.create(2);
    // A leaves: its session is destroyed, the CLI keeps running.
    let done = a.shutdown(ShutdownMode::Leave);
    assert_eq!(done.destroyed, 1, "{done:?}");
    assert!(done.closed && !done.runtime_stopped, "{done:?}");
    assert_eq!(a.client.session_state(ha), None);
    assert_eq!(
        process.try_status().unwrap(),
        None,
        "the CLI is still running"
    );
    // B finishes a turn in its session.
    api.push_text("Still serving.");
    let now = b.driver.now();
    let _turn = b
        .client
        .session(hb)
        .send(now, &SessionSend::new("Hello?"))
        .unwrap();
    let events = b.until(|e| matches!(e, Ev::Session(s, t, _) if *s == hb && t == "session.idle"));
    assert!(
        data_of(&events, hb, "assistant.message").is_some_and(|d| d.contains("Still serving.")),
        "{}",
        summary(&events)
    );
    // B stops the CLI: the process exits.
    let done = b.shutdown(ShutdownMode::StopCli);
    assert!(done.runtime_stopped, "{done:?}");
    assert!(
        exited_within_10_s(&mut process),
        "the CLI did not exit after runtime.shutdown"
    );
    let _ = watchdog.send(());
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("real CLI shared-tcp: {} ms", started.elapsed().as_millis());
}

// The blocking `Copilot` on the real CLI: the layer a user starts with.

mod copilot_layer {
    use super::*;
    use copilot_sansio::blocking::{Copilot, Handlers, Settings, Tool};
    use std::sync::Arc;

    const CITY_SCHEMA: &str =
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;

    /// The CLI with its stand-in, through the blocking `Copilot`.
    fn start(name: &str) -> (MutexGuard<'static, ()>, PathBuf, StandIn, Copilot) {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let dir = temp_dir(name);
        let api = StandIn::start().expect("stand-in");
        let settings = Settings::default().request_timeout(Some(Duration::from_secs(60)));
        let copilot = Copilot::spawn_with(&hermetic_cli(&dir, &api), settings).expect("start");
        (turn, dir, api, copilot)
    }

    /// A `get_weather` tool that counts its calls.
    fn weather(calls: &Arc<Mutex<Vec<String>>>) -> Tool {
        let calls = Arc::clone(calls);
        Tool::new(
            "get_weather",
            "Get the current weather for a city",
            CITY_SCHEMA,
            move |args| {
                calls.lock().unwrap().push(args.text().to_string());
                Ok::<_, String>("18°C, clear sky")
            },
        )
    }

    /// Shuts down and checks that the CLI is gone.
    fn finish(dir: PathBuf, copilot: Copilot) {
        let pid = copilot.cli_process_id().expect("a spawned CLI");
        copilot.shutdown().expect("shutdown");
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "the CLI {pid} is still running (or not reaped)"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn copilot_send_and_wait() {
        let (_turn, dir, api, copilot) = start("copilot-send-and-wait");
        api.push_text("2 + 2 = 4");
        let session = copilot
            .create_session(&SessionOptions::default(), Handlers::new())
            .unwrap();
        let reply = session.send_and_wait("What is 2 + 2?").unwrap();
        assert_eq!(reply.text, "2 + 2 = 4");
        assert!(reply.event.unwrap().is("assistant.message"));
        finish(dir, copilot);
    }

    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn copilot_tool_round_trip_with_permission_approved() {
        let (_turn, dir, api, copilot) = start("copilot-tool");
        api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
        api.push_text("It is 18°C and clear in Paris.");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let handlers = Handlers::new().tool(weather(&calls)).approve_all();
        let session = copilot
            .create_session(&SessionOptions::default(), handlers)
            .unwrap();
        let reply = session.send_and_wait("Weather in Paris?").unwrap();
        assert_eq!(reply.text, "It is 18°C and clear in Paris.");
        assert_eq!(calls.lock().unwrap().len(), 1);
        assert!(
            api.chat_bodies()
                .last()
                .unwrap()
                .contains("18°C, clear sky")
        );
        finish(dir, copilot);
    }

    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn copilot_permission_denied() {
        let (_turn, dir, api, copilot) = start("copilot-denied");
        api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
        api.push_text("I could not get the weather.");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let handlers = Handlers::new().tool(weather(&calls)).deny_all();
        let session = copilot
            .create_session(&SessionOptions::default(), handlers)
            .unwrap();
        let reply = session.send_and_wait("Weather in Paris?").unwrap();
        assert_eq!(reply.text, "I could not get the weather.");
        assert!(calls.lock().unwrap().is_empty(), "the tool did not run");
        finish(dir, copilot);
    }

    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn copilot_three_concurrent_sessions() {
        let (_turn, dir, api, copilot) = start("copilot-three");
        for _ in 0..3 {
            api.push_text("Hello from the stand-in.");
        }
        let sessions: Vec<_> = (0..3)
            .map(|_| {
                copilot
                    .create_session(&SessionOptions::default(), Handlers::new())
                    .unwrap()
            })
            .collect();
        let replies: Vec<String> = std::thread::scope(|scope| {
            let threads: Vec<_> = sessions
                .iter()
                .map(|s| scope.spawn(move || s.send_and_wait("Hello?").unwrap().text))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(replies, ["Hello from the stand-in."; 3]);
        finish(dir, copilot);
    }

    /// Two blocking `Copilot`s join one CLI over TCP; the first shuts down and leaves it
    /// running (its own session destroyed), the second finishes a turn and leaves too; a third,
    /// told to, stops the CLI.
    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn copilots_over_tcp_leave_a_shared_cli_running() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let dir = temp_dir("copilot-tcp");
        let api = StandIn::start().expect("stand-in");
        let (mut process, addr) = hermetic_cli(&dir, &api)
            .spawn_tcp(0, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}"));
        let watchdog = watchdog(process.id());
        let settings = Settings::default().request_timeout(Some(Duration::from_secs(60)));
        let a = Copilot::connect_tcp(addr, settings.clone()).expect("a joins");
        let b = Copilot::connect_tcp(addr, settings).expect("b joins");
        let _sa = a
            .create_session(&SessionOptions::default(), Handlers::new())
            .unwrap();
        let sb = b
            .create_session(&SessionOptions::default(), Handlers::new())
            .unwrap();
        a.shutdown().expect("a leaves");
        assert_eq!(process.try_status().unwrap(), None, "the CLI still runs");
        api.push_text("Still serving.");
        assert_eq!(sb.send_and_wait("Hello?").unwrap().text, "Still serving.");
        b.shutdown().expect("b leaves");
        assert_eq!(
            process.try_status().unwrap(),
            None,
            "leaving never stops it"
        );
        // Asked to, a Copilot over TCP stops the CLI.
        let stop = Settings::default().shutdown_mode(copilot_sansio::ShutdownMode::StopCli);
        Copilot::connect_tcp(addr, stop)
            .expect("c joins")
            .shutdown()
            .expect("c stops the CLI");
        assert!(
            exited_within_10_s(&mut process),
            "the CLI did not exit after runtime.shutdown"
        );
        let _ = watchdog.send(());
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The tokio `Copilot` against the real CLI: a tool round trip with a permission policy
    /// and three sessions used from parallel tasks, on one CLI, ending with the CLI reaped.
    #[test]
    #[ignore = "needs the real CLI: set COPILOT_CLI_PATH (see scripts/install-cli.sh)"]
    fn tokio_copilot_tool_round_trip_and_three_tasks() {
        use copilot_sansio::tokio as tk;
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        let dir = temp_dir("tokio-copilot");
        let api = StandIn::start().expect("stand-in");
        api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
        api.push_text("It is 18°C and clear in Paris.");
        for _ in 0..3 {
            api.push_text("Hello from the stand-in.");
        }
        let runtime = ::tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let settings = tk::Settings::default().request_timeout(Some(Duration::from_secs(60)));
            let copilot = tk::Copilot::spawn_with(&hermetic_cli(&dir, &api), settings)
                .await
                .expect("start");
            let calls = Arc::new(Mutex::new(Vec::new()));
            let counted = Arc::clone(&calls);
            let tool = tk::Tool::new(
                "get_weather",
                "Get the current weather for a city",
                CITY_SCHEMA,
                move |args| {
                    counted.lock().unwrap().push(args.text().to_string());
                    Ok::<_, String>("18°C, clear sky")
                },
            );
            let handlers = tk::Handlers::new().tool(tool).approve_all();
            let session = copilot
                .create_session(&SessionOptions::default(), handlers)
                .await
                .unwrap();
            let reply = session.send_and_wait("Weather in Paris?").await.unwrap();
            assert_eq!(reply.text, "It is 18°C and clear in Paris.");
            assert_eq!(calls.lock().unwrap().len(), 1);

            let mut tasks = Vec::new();
            for _ in 0..3 {
                let session = copilot
                    .create_session(&SessionOptions::default(), tk::Handlers::new())
                    .await
                    .unwrap();
                tasks.push(::tokio::spawn(async move {
                    session.send_and_wait("Hello?").await.unwrap().text
                }));
            }
            for task in tasks {
                assert_eq!(task.await.unwrap(), "Hello from the stand-in.");
            }

            let pid = copilot.cli_process_id().expect("a spawned CLI");
            copilot.shutdown().await.expect("shutdown");
            assert!(
                !Path::new(&format!("/proc/{pid}")).exists(),
                "the CLI {pid} is still running (or not reaped)"
            );
        });
        drop(turn);
        let _ = std::fs::remove_dir_all(dir);
    }
}
