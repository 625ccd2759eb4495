//! The `chat` conversation over tokio: a session with a tool and a permission policy, a
//! prompt, the reply streamed to the terminal, and a clean shutdown.
//!
//! `cargo run --example tokio_chat [PROMPT]` spawns the real Copilot CLI as a tokio child
//! process when `COPILOT_CLI_PATH` names it (a token in `COPILOT_SDK_AUTH_TOKEN` is passed to
//! it), and otherwise runs the simulated CLI in a task, with no setup.

use std::error::Error;
use std::io::Write;

use copilot_sansio::proto::params::SessionOptions;
use copilot_sansio::sim;
use copilot_sansio::tokio::{CliCommand, Copilot, Handlers, Tool};

mod common;

const DEFAULT: &str = "What time is it in UTC? Use the local_time tool.";
const ZONE: &str = r#"{"type":"object","properties":{"zone":{"type":"string"}}}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut prompt = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    prompt += if prompt.is_empty() { DEFAULT } else { "" };
    let copilot = match CliCommand::from_env() {
        Some(cli) => Copilot::spawn(&cli.auth_token_from_env()).await?,
        None => {
            println!("Using the simulated Copilot CLI (set COPILOT_CLI_PATH to use the real one).");
            let (reader, writer) = tokio::io::split(sim::duplex::<4>(common::simulated_cli()));
            Copilot::attach(reader, writer).await?
        }
    };
    let handlers = Handlers::new()
        .tool(Tool::new(
            "local_time",
            "The time now in a zone",
            ZONE,
            local_time,
        ))
        .approve_all()
        .on_delta(|text| {
            print!("{text}");
            let _ = std::io::stdout().flush();
        });
    let options = SessionOptions::default().streaming(true);
    let session = copilot.create_session(&options, handlers).await?;
    println!("> {prompt}");
    let reply = session.send_and_wait(&prompt).await?;
    println!("\n[{} characters]", reply.text.chars().count());
    Ok(copilot.shutdown().await?)
}

/// The tool's own logic: the time now (always UTC here), as `HH:MM:SS UTC`.
fn local_time(args: copilot_sansio::json::RawJson<'_>) -> Result<String, String> {
    let zone = args.get_str("zone").map_or("UTC".into(), |z| z.to_string());
    if zone != "UTC" {
        return Err(format!("only UTC is known here, not {zone}"));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let secs = now.map_err(|e| e.to_string())?.as_secs();
    Ok(format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    ))
}
