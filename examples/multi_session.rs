//! Three sessions on one CLI, each driven by a task of its own, in parallel.
//!
//! `cargo run --example multi_session`: the real Copilot CLI when `COPILOT_CLI_PATH` names it,
//! else the simulated one.

use std::error::Error;

use copilot_sansio::proto::params::SessionOptions;
use copilot_sansio::sim::{self, ModelReply, SimConfig};
use copilot_sansio::tokio::{CliCommand, Copilot, CopilotError, Handlers};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let copilot = match CliCommand::from_env() {
        Some(cli) => Copilot::spawn(&cli.auth_token_from_env()).await?,
        None => {
            static ECHO: [ModelReply<'static>; 1] = [ModelReply::Echo {
                before: "(simulated) You asked: ",
                after: "",
            }];
            let config = SimConfig::default().replies(&ECHO);
            let (reader, writer) = tokio::io::split(sim::duplex::<8>(config));
            Copilot::attach(reader, writer).await?
        }
    };
    let questions = ["Name a prime number.", "Name a colour.", "Name a river."];
    let tasks: Vec<_> = questions
        .into_iter()
        .map(|question| {
            let copilot = copilot.clone();
            tokio::spawn(async move {
                let options = SessionOptions::default();
                let session = copilot
                    .create_session(&options, Handlers::new().deny_all())
                    .await?;
                let reply = session.send_and_wait(question).await?;
                session.destroy().await?;
                Ok::<_, CopilotError>(format!("{question} -> {}", reply.text))
            })
        })
        .collect();
    for task in tasks {
        println!("{}", task.await??);
    }
    copilot.shutdown().await?;
    println!("3 sessions, one CLI, all done.");
    Ok(())
}
