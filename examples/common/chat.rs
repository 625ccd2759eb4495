//! The conversation of the `chat` and `tokio` examples, independent of the runtime: react to
//! each event, stream the reply to the terminal, answer the tool call and the permission
//! request.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use copilot_sansio::json::RawJson;
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::{ExternalToolResult, PermissionDecision, SessionSend, Tool};
use copilot_sansio::sim::{Reply, SimConfig};
use copilot_sansio::{CallerAnswers, Client, Config, Event, Instant, SessionHandle, SessionId};

pub const DEFAULT_PROMPT: &str = "What time is it in UTC? Use the local_time tool.";

/// The prompt from the command line, or [`DEFAULT_PROMPT`].
pub fn prompt_from_args() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        DEFAULT_PROMPT.to_string()
    } else {
        args.join(" ")
    }
}

/// The client configuration: we answer permission requests ourselves.
pub fn config() -> Config {
    Config::default()
        .caller_answers(CallerAnswers::PERMISSIONS)
        .request_timeout_ms(Some(120_000))
}

/// What the simulated CLI's model does: asked about the time, it calls our tool; asked
/// anything else, it answers from what it was asked.
pub fn sim_config() -> SimConfig<'static> {
    static TIME: Reply<'static> = Reply::ToolCall {
        tool: "local_time",
        arguments: r#"{"zone":"UTC"}"#,
        then: "I asked the local_time tool; it answered with the current UTC time, so that is the time now. Anything else?",
    };
    static KEYED: [(&str, Reply<'static>); 2] = [("time", TIME), ("clock", TIME)];
    static OTHERWISE: [Reply<'static>; 1] = [Reply::Echo {
        before: "You asked: \"",
        after: "\". I am the simulated Copilot CLI: I can only tell the time (ask me what time it is). Set COPILOT_CLI_PATH to talk to the real one.",
    }];
    SimConfig::default()
        .keyed(&KEYED)
        .replies(&OTHERWISE)
        .delta_len(12)
}

/// A random session id, from the clock (the library takes the randomness from us).
pub fn new_session_id() -> SessionId {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut seed = (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32);
    let mut random = [0u8; 16];
    for b in random.iter_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *b = seed as u8;
    }
    SessionId::new_v4(random)
}

/// Where the conversation is.
#[derive(Debug, Default)]
pub struct Chat {
    pub prompt: String,
    pub session: Option<SessionHandle>,
    /// The reply, as shown.
    pub reply: String,
    streamed: bool,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    /// The turn is over (or failed): time to shut down.
    pub done: bool,
}

fn local_time() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02} UTC")
}

impl Chat {
    pub fn new(prompt: String) -> Self {
        Chat {
            prompt,
            ..Chat::default()
        }
    }

    fn fail(&mut self, why: String) {
        eprintln!("\nerror: {why}");
        self.failure = Some(why);
        self.done = true;
    }

    /// Reacts to one event.
    pub fn on_event<const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        event: Event<'_>,
    ) -> Result<(), copilot_sansio::Error> {
        match event {
            Event::Connected {
                protocol_version,
                server_version,
            } => {
                let version = server_version.map_or(String::from("?"), |v| v.to_string());
                println!("Connected to Copilot CLI {version} (protocol {protocol_version}).");
                let schema =
                    RawJson::parse(r#"{"type":"object","properties":{"zone":{"type":"string"}}}"#)?;
                let tools =
                    [Tool::new("local_time", "The current time, as HH:MM:SS UTC")
                        .parameters(schema)];
                let cwd = std::env::current_dir().unwrap_or_default();
                let cwd = cwd.to_string_lossy();
                let options = config()
                    .session_options()
                    .client_name("copilot-sansio chat example")
                    .streaming(true)
                    .working_directory(&cwd)
                    .tools(&tools);
                let session = client.create_session(now, new_session_id(), &options)?;
                self.session = Some(session);
            }
            Event::ConnectFailed(f) => self.fail(format!("could not connect to the CLI: {f:?}")),
            Event::SessionOpened { session, .. } => {
                println!("You: {}", self.prompt);
                let _ = client
                    .session(session)
                    .send(now, &SessionSend::new(&self.prompt))?;
            }
            Event::SessionOpenFailed { reason, .. } => {
                self.fail(format!("the CLI could not create the session: {reason:?}"))
            }
            Event::Session { session, event } => match event.typed() {
                TypedEvent::AssistantMessageDelta(d) => {
                    if let Some(text) = d.delta_content() {
                        if !self.streamed {
                            print!("Copilot: ");
                        }
                        // Printed as it arrives, decoded straight from the frame.
                        print!("{text}");
                        let _ = std::io::stdout().flush();
                        self.reply.push_str(&text.to_string());
                        self.streamed = true;
                    }
                }
                TypedEvent::AssistantMessage(m) => {
                    let text = m.content().map(|c| c.to_string()).unwrap_or_default();
                    if self.streamed {
                        println!();
                        self.streamed = false;
                    } else if !text.is_empty() {
                        println!("Copilot: {text}");
                        self.reply.push_str(&text);
                    }
                }
                TypedEvent::PermissionRequested(p) => {
                    let kind = p
                        .permission_request()
                        .and_then(|r| r.get_str("kind"))
                        .map(|k| k.to_string())
                        .unwrap_or_default();
                    println!("(Copilot asks for permission ({kind}): allowed once.)");
                    if let Some(id) = p.request_id() {
                        let once = PermissionDecision::ApproveOnce(Default::default());
                        let _ = client.session(session).answer_permission(now, id, once)?;
                    }
                }
                TypedEvent::ExternalToolRequested(call) => {
                    let name = call.tool_name().map(|n| n.to_string()).unwrap_or_default();
                    let time = local_time();
                    let result = if name == "local_time" {
                        println!("(Copilot runs the {name} tool: {time}.)");
                        Ok(ExternalToolResult::Text(&time))
                    } else {
                        println!("(Copilot asks for a tool we do not have: {name}.)");
                        Err("unknown tool")
                    };
                    if let Some(id) = call.request_id() {
                        let _ = client.session(session).answer_tool_call(now, id, result)?;
                    }
                }
                TypedEvent::SessionError(e) => {
                    let message = e.message().map(|m| m.to_string()).unwrap_or_default();
                    self.fail(format!("the turn failed: {message}"));
                }
                TypedEvent::SessionIdle(_) => self.done = true,
                _ => {}
            },
            Event::Request(req) => {
                // We declared no server-request handlers; the client answers those itself.
                client.respond_error(req.reply, -32601, "not handled by the chat example")?;
            }
            Event::Response {
                id,
                outcome: Err(f),
            } => self.fail(format!("request {id} failed: {f:?}")),
            Event::Error(e) => eprintln!("(The CLI sent something unusable: {e:?}.)"),
            Event::Closed if !self.done => self.fail("the CLI closed the connection".into()),
            _ => {}
        }
        Ok(())
    }
}
