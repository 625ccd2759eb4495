//! The chat flow on a bare Cortex-M4F: a UART moves the bytes, statics hold the buffers.
//! Connects, opens a session, sends a prompt, prints the streamed deltas to the UART's log
//! channel, answers a tool call and a permission request, then destroys the session and
//! shuts down. Built only to measure how much code the library takes (`.text`); the UART
//! registers are those of an imaginary board.
#![no_std]
#![no_main]

use core::panic::PanicInfo;

use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::{
    ExternalToolResult, PermissionDecision, SessionOptions, SessionSend, Tool,
};
use copilot_sansio::{CallerAnswers, Client, Config, Connect, Event, Inbox, Instant, SessionId};

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

fn run(rx: &'static mut [u8], tx: &'static mut [u8]) -> Result<(), copilot_sansio::Error> {
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let mut client: Client<'_, 2, 4> = Client::new(tx, config)?;
    let mut inbox = Inbox::new(rx);
    client.connect(now(), &Connect::default())?;
    let tools = [Tool::new("local_time", "The device's local time")];
    let options = SessionOptions::default().streaming(true).tools(&tools);
    let session = client.create_session(now(), SessionId::new_v4(random_bytes()), &options)?;
    let mut text = [0u8; 256];
    loop {
        // Bytes out, then bytes in.
        let out = client.transmit_bytes();
        let sent = out.iter().take_while(|&&b| write_byte(b)).count();
        client.transmitted(sent);
        let room = inbox.receive_buffer();
        let mut got = 0;
        while let (Some(slot), Some(b)) = (room.get_mut(got), read_byte()) {
            *slot = b;
            got += 1;
        }
        inbox.received(got);
        while let Some(event) = client.poll_event(&mut inbox, now()) {
            match event {
                Event::SessionOpened { .. } => {
                    let _ = client.session(session).send(now(), &SessionSend::new("What time is it?"))?;
                }
                Event::Session { event, .. } => match event.typed() {
                    TypedEvent::AssistantMessageDelta(d) => {
                        if let Some(Ok(bytes)) =
                            d.delta_content().map(|t| t.unescape_bytes_into(&mut text))
                        {
                            log(bytes);
                        }
                    }
                    TypedEvent::ExternalToolRequested(call) => {
                        if let Some(id) = call.request_id() {
                            let result = Ok(ExternalToolResult::Text("12:00"));
                            let _ = client.session(session).answer_tool_call(now(), id, result)?;
                        }
                    }
                    TypedEvent::PermissionRequested(p) => {
                        if let Some(id) = p.request_id() {
                            let decision = PermissionDecision::ApproveOnce(Default::default());
                            let _ = client.session(session).answer_permission(now(), id, decision)?;
                        }
                    }
                    TypedEvent::SessionIdle(_) => {
                        client.session(session).destroy(now())?;
                    }
                    _ => {}
                },
                Event::SessionClosed { .. } => {
                    let _ = client.shutdown_runtime(now())?;
                }
                Event::Request(req) => {
                    client.respond_error(req.reply, -32601, "not handled")?;
                }
                Event::Closed => return Ok(()),
                _ => {}
            }
        }
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    halt()
}
