//! Writing the simulated CLI's frames: event envelopes, deterministic ids and timestamps.

use crate::json::write::Writer;
use crate::wire::{FrameError, Outbox};

/// A deterministic UUID-shaped id from a counter.
pub(crate) fn uuid(w: &mut Writer<'_>, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = *b"00000000-0000-4000-8000-000000000000";
    let mut v = n;
    for i in (24..36).rev() {
        if let Some(c) = text.get_mut(i) {
            *c = HEX[(v & 0xf) as usize];
        }
        v >>= 4;
    }
    let mut v = n >> 48;
    for i in (0..8).rev() {
        if let Some(c) = text.get_mut(i) {
            *c = HEX[(v & 0xf) as usize];
        }
        v >>= 4;
    }
    w.byte(b'"');
    w.bytes(&text);
    w.byte(b'"');
}

/// A deterministic ISO-8601 timestamp, `ms` milliseconds after 2026-11-23T23:00:00Z (within
/// the hour).
pub(crate) fn timestamp(w: &mut Writer<'_>, ms: u64) {
    let ms = ms % 3_600_000;
    let (min, sec, milli) = (ms / 60_000, ms / 1000 % 60, ms % 1000);
    w.raw("\"2026-11-23T23:");
    two(w, min);
    w.byte(b':');
    two(w, sec);
    w.byte(b'.');
    w.byte(b'0' + (milli / 100) as u8);
    two(w, milli % 100);
    w.raw("Z\"");
}

fn two(w: &mut Writer<'_>, n: u64) {
    w.byte(b'0' + (n / 10 % 10) as u8);
    w.byte(b'0' + (n % 10) as u8);
}

/// Event types the CLI marks ephemeral (never persisted).
fn ephemeral(kind: &str) -> bool {
    matches!(
        kind,
        "session.idle"
            | "session.title_changed"
            | "session.managed_settings_resolved"
            | "pending_messages.modified"
            | "assistant.message_start"
            | "assistant.streaming_delta"
            | "assistant.message_delta"
            | "assistant.idle"
            | "assistant.usage"
            | "tool.execution_progress"
    )
}

/// Where an event goes and how it chains.
pub(crate) struct Envelope<'s> {
    /// The session id.
    pub session_id: &'s str,
    /// This event's id number.
    pub id: u64,
    /// The previous event's id number, if any.
    pub parent: Option<u64>,
}

/// Queues one `session.event` notification; `data` writes the data object.
pub(crate) fn event(
    out: &mut Outbox<'_>,
    env: &Envelope<'_>,
    kind: &str,
    data: impl FnOnce(&mut Writer<'_>),
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw(r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":""#);
        w.escaped(env.session_id);
        w.raw(r#"","event":{"type":"#);
        w.string(kind);
        w.raw(r#","data":"#);
        data(w);
        if ephemeral(kind) {
            w.raw(r#","ephemeral":true"#);
        }
        w.raw(r#","id":"#);
        uuid(w, env.id);
        w.raw(r#","timestamp":"#);
        timestamp(w, env.id);
        w.raw(r#","parentId":"#);
        match env.parent {
            Some(p) => uuid(w, p),
            None => w.raw("null"),
        }
        w.raw("}}}");
        Ok(())
    })
}

/// Queues a notification with raw params.
pub(crate) fn notification(
    out: &mut Outbox<'_>,
    method: &str,
    params: impl FnOnce(&mut Writer<'_>),
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw(r#"{"jsonrpc":"2.0","method":"#);
        w.string(method);
        w.raw(r#","params":"#);
        params(w);
        w.byte(b'}');
        Ok(())
    })
}

/// Queues a response; `id` is the request's id as raw JSON.
pub(crate) fn result(
    out: &mut Outbox<'_>,
    id: &[u8],
    result: impl FnOnce(&mut Writer<'_>),
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw(r#"{"jsonrpc":"2.0","id":"#);
        w.bytes(id);
        w.raw(r#","result":"#);
        result(w);
        w.byte(b'}');
        Ok(())
    })
}

/// Queues an error response (`id` raw JSON; `null` for unparseable requests).
pub(crate) fn error(
    out: &mut Outbox<'_>,
    id: &[u8],
    code: i64,
    message: impl FnOnce(&mut Writer<'_>),
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw(r#"{"jsonrpc":"2.0","id":"#);
        w.bytes(id);
        w.raw(r#","error":{"code":"#);
        w.i64(code);
        w.raw(r#","message":""#);
        message(w);
        w.raw("\"}}");
        Ok(())
    })
}

/// Queues a request from the server; `id` is a number.
pub(crate) fn request(
    out: &mut Outbox<'_>,
    id: u64,
    method: &str,
    params: impl FnOnce(&mut Writer<'_>),
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw(r#"{"jsonrpc":"2.0","id":"#);
        w.u64(id);
        w.raw(r#","method":"#);
        w.string(method);
        w.raw(r#","params":"#);
        params(w);
        w.byte(b'}');
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Writer<'_>)) -> heapless::String<64> {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        f(&mut w);
        let n = w.len();
        let mut s = heapless::String::new();
        let _ = s.push_str(core::str::from_utf8(&buf[..n]).unwrap());
        s
    }

    #[test]
    fn ids_and_timestamps_are_well_formed() {
        assert_eq!(
            text(|w| uuid(w, 0x1234)),
            "\"00000000-0000-4000-8000-000000001234\""
        );
        assert_eq!(
            text(|w| uuid(w, u64::MAX)),
            "\"0000ffff-0000-4000-8000-ffffffffffff\""
        );
        assert_eq!(
            text(|w| timestamp(w, 25_444)),
            "\"2026-11-23T23:00:25.444Z\""
        );
        assert_eq!(
            text(|w| timestamp(w, 3_599_999)),
            "\"2026-11-23T23:59:59.999Z\""
        );
    }
}
