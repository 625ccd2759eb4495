//! The chat flow on a bare Cortex-M4F: a UART moves the bytes, statics hold the buffers.
//! Connects, opens a session with a handler (a tool, a permission policy, the streamed deltas
//! printed to the UART's log channel), sends a prompt through the turn tracker, and when the
//! turn is over destroys the session and shuts down. Built only to measure how much code the library takes (`.text`); the UART
//! registers are those of an imaginary board.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use copilot_sansio::handler::{
    Answer, Dispatch, PermissionCall, SessionHandler, ToolCall, TurnUpdate, Turns,
};
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::{
    ExternalToolResult, PermissionDecision, SessionOptions, SessionSend, ToolDeclaration,
};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Event, Inbox, Instant, SessionEvent, SessionHandle,
    SessionId,
};

/// The UART: a status register (bit 0: a byte to read, bit 1: room to write), a data
/// register, and a log channel.
const UART_STATUS: *const u32 = 0x4000_0000 as *const u32;
const UART_DATA: *mut u32 = 0x4000_0004 as *mut u32;
const UART_LOG: *mut u32 = 0x4000_0008 as *mut u32;
/// A millisecond counter.
const TIMER_MS: *const u32 = 0x4000_1000 as *const u32;
/// A hardware random number generator.
const RNG: *const u32 = 0x4000_2000 as *const u32;

fn status() -> u32 {
    // SAFETY: an MMIO register of the board.
    unsafe { core::ptr::read_volatile(UART_STATUS) }
}

fn read_byte() -> Option<u8> {
    // SAFETY: MMIO registers of the board.
    (status() & 1 != 0).then(|| unsafe { core::ptr::read_volatile(UART_DATA) } as u8)
}

fn write_byte(b: u8) -> bool {
    let room = status() & 2 != 0;
    if room {
        // SAFETY: an MMIO register of the board.
        unsafe { core::ptr::write_volatile(UART_DATA, u32::from(b)) };
    }
    room
}

fn log(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: an MMIO register of the board.
        unsafe { core::ptr::write_volatile(UART_LOG, u32::from(b)) };
    }
}

fn now() -> Instant {
    // SAFETY: an MMIO register of the board.
    Instant::from_millis(u64::from(unsafe { core::ptr::read_volatile(TIMER_MS) }))
}

fn random_bytes() -> [u8; 16] {
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(4) {
        // SAFETY: an MMIO register of the board.
        let r = unsafe { core::ptr::read_volatile(RNG) };
        chunk.copy_from_slice(&r.to_le_bytes());
    }
    out
}

static mut RX: [u8; 4096] = [0; 4096];
static mut TX: [u8; 2048] = [0; 2048];

/// The reset handler.
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only references to the buffers, taken once at reset.
    let (rx, tx) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(RX),
            &mut *core::ptr::addr_of_mut!(TX),
        )
    };
    let _ = run(rx, tx);
    halt()
}

/// Sleeps until reset.
fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The session's handler: the tool, the permission policy, and the streamed reply.
struct Device {
    text: [u8; 256],
}

impl SessionHandler for Device {
    fn on_event(&mut self, _: SessionHandle, event: SessionEvent<'_>) {
        if let TypedEvent::AssistantMessageDelta(d) = event.typed()
            && let Some(Ok(bytes)) = d
                .delta_content()
                .map(|t| t.unescape_bytes_into(&mut self.text))
        {
            log(bytes);
        }
    }

    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        match call.data.tool_name() {
            Some(name) if name.eq_str("local_time") => {
                Answer::Now(ExternalToolResult::Text("12:00"))
            }
            _ => Answer::Error("no such tool"),
        }
    }

    fn on_permission<'a>(
        &'a mut self,
        _: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        Answer::Now(PermissionDecision::ApproveOnce(Default::default()))
    }
}

/// Writes out what the client queued, as far as the UART takes it.
fn transmit(client: &mut Client<'_, 2, 4>) {
    let out = client.transmit_bytes();
    let sent = out.iter().take_while(|&&b| write_byte(b)).count();
    client.transmitted(sent);
}

fn run(rx: &'static mut [u8], tx: &'static mut [u8]) -> Result<(), copilot_sansio::Error> {
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let mut client: Client<'_, 2, 4> = Client::new(tx, config)?;
    let mut inbox = Inbox::new(rx);
    let mut sessions: Dispatch<Device, 2> = Dispatch::new();
    let mut turns: Turns<1, 256> = Turns::without_server_wait();
    client.connect(now(), &Connect::default())?;
    let tools = [ToolDeclaration::new(
        "local_time",
        "The device's local time",
    )];
    let options = SessionOptions::default().streaming(true).tools(&tools);
    let id = SessionId::new_v4(random_bytes());
    let device = Device { text: [0; 256] };
    let session = sessions.create_session(&mut client, now(), id, &options, device)?;
    loop {
        // Bytes out, then bytes in.
        transmit(&mut client);
        let room = inbox.receive_buffer();
        let mut got = 0;
        while let (Some(slot), Some(b)) = (room.get_mut(got), read_byte()) {
            *slot = b;
            got += 1;
        }
        inbox.received(got);
        while let Some(event) = client.poll_event(&mut inbox, now()) {
            let mut done = false;
            turns.on_event(&mut client, now(), &event, |u| {
                done |= matches!(u, TurnUpdate::Ended { .. });
            });
            if done {
                client.session(session).destroy(now())?;
            }
            // A call waits for the bytes before it to be written out.
            let event = loop {
                match sessions.dispatch(&mut client, now(), event) {
                    Err(copilot_sansio::Error::TransmitFull { .. }) => transmit(&mut client),
                    other => break other?,
                }
            };
            match event {
                Some(Event::SessionOpened { .. }) => {
                    let prompt = SessionSend::new("What time is it?");
                    let _ = turns.send(&mut client, now(), session, &prompt, None)?;
                }
                Some(Event::SessionClosed { .. }) => {
                    let _ = client.shutdown_runtime(now())?;
                }
                Some(Event::Closed) => return Ok(()),
                _ => {}
            }
        }
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    halt()
}
