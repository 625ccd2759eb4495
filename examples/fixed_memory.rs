//! The client as an embedded user would set it up: fixed buffers (statics on a device; locals
//! here), a tiny configuration, a session handler, no heap in the library. A whole
//! conversation with the simulated CLI runs in this memory, then the sizes are printed.
//!
//! `cargo run --example fixed_memory`

use core::mem::size_of;

use copilot_sansio::handler::{Dispatch, SessionHandler};
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::SessionSend;
use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{
    Client, Config, Connect, Event, Inbox, Instant, SessionEvent, SessionHandle, SessionId,
};

/// The session's handler: keeps the reply, and notes when the session is idle.
struct Reader {
    reply: heapless::String<128>,
    idle: bool,
}

impl SessionHandler for Reader {
    fn on_event(&mut self, _: SessionHandle, event: SessionEvent<'_>) {
        match event.typed() {
            TypedEvent::AssistantMessage(m) => {
                if let Some(text) = m.content() {
                    let mut buf = [0u8; 64];
                    if let Ok(text) = text.unescape_into(&mut buf) {
                        let _ = self.reply.push_str(text);
                    }
                }
            }
            TypedEvent::SessionIdle(_) => self.idle = true,
            _ => {}
        }
    }
}

/// Two sessions, four pending requests each way.
type TinyClient<'b> = Client<'b, 2, 4>;

const RX: usize = 4 * 1024;
const TX: usize = 1024;

fn main() -> Result<(), copilot_sansio::Error> {
    let mut rx = [0u8; RX];
    let mut tx = [0u8; TX];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: TinyClient<'_> = Client::new(&mut tx, Config::default())?;

    // The peer: the simulated CLI, in the same loop (on a device: a UART or a socket).
    let (mut sim_rx, mut sim_tx) = ([0u8; 8192], [0u8; 8192]);
    let replies = [ModelReply::Text("Hello from a few kilobytes.")];
    let config = SimConfig::default().replies(&replies);
    let mut sim: Sim<'_, 2> = Sim::new(&mut sim_rx, &mut sim_tx, config);

    let mut now = Instant::from_millis(0);
    client.connect(now, &Connect::default())?;
    let mut sessions: Dispatch<Reader, 2> = Dispatch::new();
    let reader = Reader {
        reply: heapless::String::new(),
        idle: false,
    };
    let session =
        sessions.create_session(&mut client, now, SessionId::new_v4([0x42; 16]), &(), reader)?;
    while !sessions.handler(session).is_some_and(|r| r.idle) {
        now = now.add_millis(1);
        // Bytes out, bytes in: what a device's IO loop does.
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        sim.poll();
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(event) = client.poll_event(&mut inbox, now) {
            // The handler sees the session's events; what is left is ours.
            if let Some(Event::SessionOpened { .. }) = sessions.dispatch(&mut client, now, event)? {
                let _ = client.session(session).send(now, &SessionSend::new("Hi"))?;
            }
        }
        if now.as_millis() > 1000 {
            return Err(copilot_sansio::Error::Closed);
        }
    }
    let reply = sessions
        .handler(session)
        .map(|r| r.reply.clone())
        .unwrap_or_default();
    println!("reply: {reply}");
    println!(
        "client  Client<2, 4>     {:>6} bytes",
        size_of::<TinyClient<'_>>()
    );
    println!(
        "inbox   Inbox             {:>6} bytes",
        size_of::<Inbox<'_>>()
    );
    println!(
        "handlers Dispatch<_, 2>   {:>6} bytes",
        size_of::<Dispatch<Reader, 2>>()
    );
    println!("receive buffer            {RX:>6} bytes");
    println!("transmit buffer           {TX:>6} bytes");
    println!(
        "total                     {:>6} bytes (no heap)",
        size_of::<TinyClient<'_>>()
            + size_of::<Inbox<'_>>()
            + size_of::<Dispatch<Reader, 2>>()
            + RX
            + TX
    );
    println!(
        "an event                  {:>6} bytes",
        size_of::<Event<'_>>()
    );
    println!(
        "for comparison, Client<8, 16> is {} bytes",
        size_of::<Client<'_, 8, 16>>()
    );
    Ok(())
}
