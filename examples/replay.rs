//! Drives the client over recorded CLI traffic and prints what it delivers.
//!
//! `cargo run --example replay [FIXTURE.jsonl]` (default: the session filesystem recording in
//! `../shared/fixtures/cli-1.0.102/`). Each frame the CLI sent is fed to the client; each
//! request the recorded client sent is issued through the client's API, and each server request
//! is answered with what the recorded client answered.

use std::collections::HashMap;

use copilot_sansio::json::RawJson;
use copilot_sansio::{CallerAnswers, Client, Config, Connect, Event, Inbox, Instant, SessionId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/../shared/fixtures/cli-1.0.102/sessionfs-provider.jsonl",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let text = std::fs::read_to_string(&path)?;
    let mut rx = vec![0u8; 64 * 1024];
    let mut tx = vec![0u8; 16 * 1024];
    let mut inbox = Inbox::new(&mut rx);
    let config = Config::default().caller_answers(CallerAnswers::SESSION_FS);
    let mut client: Client<'_, 8, 16> = Client::new(&mut tx, config)?;
    let now = Instant::from_millis(0);
    let mut sessions = HashMap::new();
    let mut replies = HashMap::new();
    let (mut frames, mut events) = (0, 0);

    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let framed = record["frame"].as_str().ok_or("frame")?;
        let body = framed.split_once("\r\n\r\n").ok_or("header")?.1;
        let msg = RawJson::parse(body)?;
        if record["dir"] == "in" {
            frames += 1;
            inbox.push(framed.as_bytes());
            while let Some(event) = client.poll_event(&mut inbox, now) {
                events += 1;
                match event {
                    Event::Session { session, event } => {
                        println!(
                            "[{}] {}",
                            client.session_id(session).map_or("?", |s| s.as_str()),
                            event.event_type()
                        )
                    }
                    Event::Request(req) => {
                        println!(
                            "[{}] request {} {}",
                            req.session
                                .and_then(|s| client.session_id(s))
                                .map_or("-", |s| s.as_str()),
                            req.id,
                            req.method
                        );
                        replies.insert(req.id.to_string(), req.reply);
                    }
                    other => println!("{other:?}"),
                }
            }
            continue;
        }
        // What the recorded client sent: do the same through the API.
        let params = msg.get("params");
        let sid = params
            .and_then(|p| p.get_str("sessionId"))
            .map(|s| s.to_string());
        match (msg.get_str("method").map(|m| m.to_string()), sid) {
            (Some(m), _) if m == "connect" => {
                client.connect(now, &Connect::default())?;
            }
            (Some(m), Some(sid)) if m == "session.create" => {
                let h = client.create_session(now, SessionId::new(&sid)?, &())?;
                sessions.insert(sid, h);
            }
            (Some(m), Some(sid)) if m == "session.destroy" => {
                client.destroy_session(now, sessions[&sid])?;
            }
            (Some(m), _) => {
                let _ = client.request_raw(now, &m, params.map_or("{}", |p| p.text()))?;
            }
            (None, _) => {
                let id = msg.get("id").ok_or("id")?.to_string();
                if let Some(reply) = replies.remove(&id) {
                    client.respond_raw(reply, msg.get("result").map_or("null", |r| r.text()))?;
                }
            }
        }
        // A real driver writes these bytes to the CLI.
        let n = client.transmit_bytes().len();
        client.transmitted(n);
    }
    inbox.close();
    while let Some(event) = client.poll_event(&mut inbox, now) {
        events += 1;
        println!("{event:?}");
    }
    println!(
        "{frames} frames in, {events} events out, {:?}",
        client.stats()
    );
    Ok(())
}
