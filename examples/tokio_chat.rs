//! The `chat` conversation over tokio: the async driver on tokio's own IO, clock and child
//! processes (feature `tokio`).
//!
//! `cargo run --example tokio [PROMPT]` spawns the real Copilot CLI as a tokio child process
//! when `COPILOT_CLI_PATH` names it, and otherwise runs the simulated CLI in a tokio task
//! behind an in-memory duplex stream.

#[path = "common/chat.rs"]
mod chat;

use std::error::Error;
use std::time::Duration;

use copilot_sansio::driver::{AUTH_TOKEN_ENV, CLI_PATH_ENV, CliCommand, Polled, TokioDriver};
use copilot_sansio::sim::Sim;
use copilot_sansio::{Client, Connect, Inbox, ShutdownMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

use chat::Chat;

/// The simulated CLI, pumped over one end of a duplex stream.
async fn simulated_cli(mut stream: DuplexStream) -> std::io::Result<()> {
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut sim: Sim<'_, 8> = Sim::new(&mut rx, &mut tx, chat::sim_config());
    loop {
        sim.poll();
        if !sim.transmit_bytes().is_empty() {
            stream.write_all(sim.transmit_bytes()).await?;
            let n = sim.transmit_bytes().len();
            sim.transmitted(n);
            continue;
        }
        let n = stream.read(sim.receive_buffer()).await?;
        if n == 0 {
            return Ok(());
        }
        sim.received(n);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut chat = Chat::new(chat::prompt_from_args());
    let (mut rx, mut tx) = (vec![0u8; 256 * 1024], vec![0u8; 16 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, chat::config())?;

    match CliCommand::from_env() {
        Some(mut cli) => {
            println!(
                "Using the real Copilot CLI ({CLI_PATH_ENV}={}).",
                std::env::var(CLI_PATH_ENV)?
            );
            if let Some(token) = std::env::var_os(AUTH_TOKEN_ENV) {
                cli = cli.auth_token(token).no_auto_login();
            }
            let (mut process, mut driver) = cli.spawn_tokio()?;
            converse(&mut driver, &mut client, &mut inbox, &mut chat).await?;
            // Stdin is closed: the CLI exits by itself.
            match tokio::time::timeout(Duration::from_secs(10), process.child.wait()).await {
                Ok(status) => println!("CLI exited: {}", status?),
                Err(_) => process.child.kill().await?,
            }
        }
        None => {
            println!("Using the simulated Copilot CLI (set {CLI_PATH_ENV} to use the real one).");
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            let cli = tokio::spawn(simulated_cli(theirs));
            let (reader, writer) = tokio::io::split(ours);
            let mut driver = TokioDriver::tokio(reader, writer);
            converse(&mut driver, &mut client, &mut inbox, &mut chat).await?;
            cli.await??;
        }
    }
    match chat.failure {
        Some(why) => Err(why.into()),
        None if chat.reply.is_empty() => Err("no reply".into()),
        None => Ok(()),
    }
}

/// Runs the conversation, then stops the CLI (which closes the writer).
async fn converse(
    driver: &mut TokioDriver<impl AsyncRead + Unpin, impl AsyncWrite + Unpin>,
    client: &mut Client<'_, 4, 16>,
    inbox: &mut Inbox<'_>,
    chat: &mut Chat,
) -> Result<(), Box<dyn Error>> {
    client.connect(driver.now(), &Connect::default())?;
    while !chat.done {
        let Polled::Event(event) = driver.next_event(client, inbox, None).await? else {
            break;
        };
        let now = driver.now();
        chat.on_event(client, now, event)?;
    }
    let deadline = driver.now().add_millis(10_000);
    let done = driver
        .shutdown(client, inbox, ShutdownMode::StopCli, deadline, |_, _| {})
        .await?;
    println!("Goodbye: {} session closed.", done.destroyed);
    Ok(())
}
