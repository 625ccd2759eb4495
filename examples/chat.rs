//! The main example: connect, create a session, send a prompt, stream the reply, answer a tool
//! call and a permission request, destroy the session and shut down.
//!
//! `cargo run --example chat [PROMPT]` talks to the real Copilot CLI when `COPILOT_CLI_PATH`
//! names it (install `@github/copilot` from npm; a token in `COPILOT_SDK_AUTH_TOKEN` is passed
//! with `--auth-token-env`), and otherwise to the simulated CLI.

#[path = "common/chat.rs"]
mod chat;

use std::error::Error;

use copilot_sansio::driver::{AUTH_TOKEN_ENV, BlockingDriver, CLI_PATH_ENV, CliCommand, Polled};
use copilot_sansio::sim;
use copilot_sansio::{Client, Inbox, ShutdownMode};

use chat::Chat;

fn main() -> Result<(), Box<dyn Error>> {
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
            let (process, mut driver) = cli.spawn()?;
            converse(&mut driver, &mut client, &mut inbox, &mut chat)?;
            let deadline = driver.now().add_millis(10_000);
            let done =
                process.shutdown(&mut driver, &mut client, &mut inbox, deadline, |_, _| {})?;
            println!(
                "Goodbye: {} session closed, the CLI {}.",
                done.shutdown.destroyed,
                if done.killed {
                    "had to be killed"
                } else {
                    "exited"
                }
            );
        }
        None => {
            println!("Using the simulated Copilot CLI (set {CLI_PATH_ENV} to use the real one).");
            let (reader, writer) = sim::spawn::<8>(chat::sim_config());
            let mut driver = BlockingDriver::new(reader, writer);
            converse(&mut driver, &mut client, &mut inbox, &mut chat)?;
            let deadline = driver.now().add_millis(10_000);
            let mode = ShutdownMode::StopCli;
            let done = driver.shutdown(&mut client, &mut inbox, mode, deadline, |_, _| {})?;
            println!(
                "Goodbye: {} session closed, the simulated CLI stopped.",
                done.destroyed
            );
        }
    }
    match chat.failure {
        Some(why) => Err(why.into()),
        None if chat.reply.is_empty() => Err("no reply".into()),
        None => Ok(()),
    }
}

/// Runs the conversation until the turn is over.
fn converse<W: std::io::Write>(
    driver: &mut BlockingDriver<W>,
    client: &mut Client<'_, 4, 16>,
    inbox: &mut Inbox<'_>,
    chat: &mut Chat,
) -> Result<(), Box<dyn Error>> {
    client.connect(driver.now(), &copilot_sansio::Connect::default())?;
    while !chat.done {
        let now = driver.now();
        let Polled::Event(event) = driver.next_event(client, inbox, None)? else {
            break;
        };
        chat.on_event(client, now, event)?;
    }
    Ok(())
}
