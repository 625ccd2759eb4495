//! Smoke test of the real Copilot CLI against the loopback stand-in: one tool-call turn, with raw
//! JSON-RPC frames (no crate code), so the groundwork for real-CLI interop tests is checked
//! end to end. Runs only when `COPILOT_SANSIO_CLI` names the CLI binary, e.g.
//! `COPILOT_SANSIO_CLI=$(scripts/install-cli.sh | tail -n 1) cargo test --test real_cli_standin`;
//! without it the test returns at once. `COPILOT_CACHE_HOME` is passed through if set (a warm
//! cache makes the start ~0.5 s instead of ~2-5 s).

#[path = "support/standin.rs"]
mod standin;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

fn frame(body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Reads `Content-Length` frames from the CLI's stdout into a channel until EOF.
fn reader(stdout: impl Read + Send + 'static) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut input = BufReader::new(stdout);
        loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                if input.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.expect("frame without Content-Length")];
            if input.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(message) = serde_json::from_slice(&body) else {
                continue;
            };
            if tx.send(message).is_err() {
                return;
            }
        }
    });
    rx
}

/// The next message matching `want`, skipping others; panics after 60 s.
fn wait_for(rx: &mpsc::Receiver<Value>, what: &str, mut want: impl FnMut(&Value) -> bool) -> Value {
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(message) if want(&message) => return message,
            Ok(_) => {}
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    }
}

fn event_type(message: &Value) -> &str {
    message["params"]["event"]["type"].as_str().unwrap_or("")
}

#[test]
fn tool_call_turn_against_the_standin() {
    let Some(cli) = std::env::var_os("COPILOT_SANSIO_CLI") else {
        eprintln!("COPILOT_SANSIO_CLI is not set: real CLI test skipped");
        return;
    };
    let api = standin::StandIn::start().unwrap();
    api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
    api.push_text("It is 18C in Paris.");

    let dir = std::env::temp_dir().join(format!("copilot-sansio-real-cli-{}", std::process::id()));
    let sub = |name: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    };
    let work = sub("work");
    let mut command = Command::new(cli);
    command
        .args([
            "--headless",
            "--no-auto-update",
            "--log-level",
            "debug",
            "--stdio",
        ])
        .args([
            "--no-auto-login",
            "--auth-token-env",
            "COPILOT_SDK_AUTH_TOKEN",
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", sub("home"))
        .env("XDG_CONFIG_HOME", sub("config"))
        .env("XDG_STATE_HOME", sub("state"))
        .env("GH_CONFIG_DIR", sub("gh"))
        .env("COPILOT_HOME", sub("copilot-home"))
        .env("COPILOT_API_URL", api.url())
        .env("COPILOT_DEBUG_GITHUB_API_URL", api.url())
        .env("COPILOT_SDK_AUTH_TOKEN", "mock-token")
        .current_dir(&work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(cache) = std::env::var_os("COPILOT_CACHE_HOME") {
        command.env("COPILOT_CACHE_HOME", cache);
    }
    let mut child = command.spawn().expect("spawn the CLI");
    let rx = reader(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let mut call = |id: u64, method: &str, params: Value| {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        stdin.write_all(&frame(&request)).unwrap();
        stdin.flush().unwrap();
    };
    let response = |id: u64| move |m: &Value| m["id"] == id && m.get("method").is_none();

    call(1, "connect", json!({}));
    assert_eq!(
        wait_for(&rx, "connect", response(1))["result"]["protocolVersion"],
        3
    );
    let sid = "7c0e2f5a-1d2b-4c3d-8e4f-5a6b7c8d9e0f";
    let tool = json!({"name": "get_weather", "description": "Get the weather", "skipPermission": true,
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}});
    call(
        2,
        "session.create",
        json!({"sessionId": sid, "requestPermission": true, "tools": [tool],
        "workingDirectory": work, "envValueMode": "direct"}),
    );
    assert_eq!(
        wait_for(&rx, "create", response(2))["result"]["sessionId"],
        sid
    );
    call(
        3,
        "session.send",
        json!({"sessionId": sid, "prompt": "Weather in Paris?"}),
    );
    let request = wait_for(&rx, "external_tool.requested", |m| {
        event_type(m) == "external_tool.requested"
    });
    let data = &request["params"]["event"]["data"];
    assert_eq!(
        (
            data["toolName"].as_str(),
            data["arguments"]["city"].as_str()
        ),
        (Some("get_weather"), Some("Paris"))
    );
    call(
        4,
        "session.tools.handlePendingToolCall",
        json!({"sessionId": sid, "requestId": data["requestId"],
        "result": {"textResultForLlm": "18C, clear", "resultType": "success"}}),
    );
    let mut last_text = String::new();
    wait_for(&rx, "session.idle", |m| {
        if event_type(m) == "assistant.message" {
            last_text = m["params"]["event"]["data"]["content"]
                .as_str()
                .unwrap_or("")
                .to_string();
        }
        event_type(m) == "session.idle"
    });
    assert_eq!(last_text, "It is 18C in Paris.");
    let bodies = api.chat_bodies();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[1].contains(r#""role":"tool""#) && bodies[1].contains("18C, clear"));

    call(5, "session.destroy", json!({"sessionId": sid}));
    wait_for(&rx, "destroy", response(5));
    call(6, "runtime.shutdown", json!({}));
    wait_for(&rx, "shutdown", response(6));
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
