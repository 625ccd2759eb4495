//! The `json_scan` target: the validator, the span scanner, [`RawJson`], [`JsonStr`], message
//! classification and the client, on arbitrary bytes.

use copilot_sansio::fuzz_hook::{self as hook, BadMessage, Glance, Intent, Message};
use copilot_sansio::json::{BufferTooSmall, JsonStr, JsonType, MAX_DEPTH, RawJson, validate};
use copilot_sansio::proto::events::{HostEvent, TypedEvent};
use copilot_sansio::proto::results::{Messages, ModelList, SessionListResult, SessionMetadata};
use copilot_sansio::proto::server::ServerCall;
use copilot_sansio::{
    CallerAnswers, Client, Config, Event, Inbox, Instant, Lifecycle, ServerRequest, SessionEvent,
    SessionId,
};

/// Runs `data` through every JSON decoder, and through a client as a frame body.
pub fn json_scan(data: &[u8]) {
    let full = validate(data, MAX_DEPTH);
    // A limit only ever turns success into `TooDeep`.
    for depth in [0, 1, 2, 3, 8, 64, 127, 1000] {
        match validate(data, depth) {
            Ok(()) => assert!(full.is_ok(), "valid at depth {depth}, not at {MAX_DEPTH}"),
            Err(e) if full.is_ok() => {
                assert_eq!(e.kind, copilot_sansio::json::JsonErrorKind::TooDeep)
            }
            Err(e) => assert!(e.offset <= data.len()),
        }
    }
    let text = core::str::from_utf8(data).ok();
    // The objects whose members the validator recorded read as the scanned ones.
    hook::recorded(data, MAX_DEPTH, |recorded, top| {
        assert_eq!(recorded, full);
        if let (Some(top), Ok(scanned)) = (top, RawJson::from_bytes(data)) {
            same_members(data, top, scanned, 0);
        }
    });
    match (full, RawJson::from_bytes(data)) {
        (Ok(()), Ok(value)) => {
            let text = text.unwrap_or_else(|| panic!("valid JSON that is not UTF-8"));
            assert_eq!(RawJson::parse(text).ok(), Some(value));
            check_value_tree(text, value);
        }
        (Err(e), Err(f)) => {
            assert_eq!(e, f);
            if let Some(text) = text {
                assert_eq!(RawJson::parse(text), Err(e));
            }
        }
        (a, b) => panic!("validate {a:?} but RawJson::from_bytes {b:?}"),
    }
    // The scanner on bytes that were never validated: it may give up, never panic or loop.
    if let Some(text) = text {
        scan_unvalidated(text);
    }
    check_classify(data);
    check_glance(data);
    through_client(data, 64 * 1024);
    through_client(data, 50);
}

/// Typed decoders of event and message payloads, run on every value `json_scan` finds (and
/// [`typed_request`] on every server request the client delivers). New typed views are wired
/// in here.
pub fn typed_decoders(value: RawJson<'_>) {
    if let Some(event) = SessionEvent::from_event(value) {
        typed_event(event);
    }
    // Results of the requests that have views with their own decoding.
    for model in ModelList::new(value).models().into_iter().flatten() {
        let _ = (model.id(), model.capabilities(), format!("{model:?}"));
    }
    for event in Messages::new(value).events() {
        typed_event(event);
    }
    for info in SessionListResult::new(value).sessions() {
        let _ = format!("{info:?}");
    }
    let _ = SessionMetadata::new(value).info();
    let _ = format!("{:?}", HostEvent::new(value).session_id());
    if let Some(event) = SessionEvent::from_params(value) {
        if let Some(sid) = event.session_id() {
            check_str(sid);
        }
        check_str(event.event_type());
        let _ = event.is("session.idle");
        for s in [
            event.id(),
            event.timestamp(),
            event.parent_id(),
            event.agent_id(),
        ]
        .into_iter()
        .flatten()
        {
            check_str(s);
        }
        let _ = event.ephemeral();
        assert!(
            matches!(event.data().json_type(), JsonType::Object)
                || event.raw().get("data").is_some()
        );
    }
    let lifecycle = Lifecycle::new(value);
    for s in [lifecycle.event_type(), lifecycle.session_id()]
        .into_iter()
        .flatten()
    {
        check_str(s);
    }
    let _ = lifecycle.metadata();
}

fn typed_event(event: SessionEvent<'_>) {
    check_str(event.event_type());
    let typed = event.typed();
    let _ = format!("{typed:?}");
    match typed {
        TypedEvent::AssistantMessage(m) => {
            for t in m.tool_requests().into_iter().flatten() {
                let _ = (t.tool_call_id(), t.kind(), format!("{t:?}"));
            }
        }
        TypedEvent::PermissionRequested(p) => {
            if let Some(kind) = p.permission_request().and_then(|r| r.get_str("kind")) {
                check_str(kind);
            }
        }
        _ => {}
    }
}

/// The typed view of a server request the client delivered.
pub fn typed_request(request: &ServerRequest<'_>) {
    let call = request.call();
    let _ = format!("{call:?}");
    match call {
        ServerCall::UserInputRequest(r) => {
            for c in r.choices() {
                check_str(c);
            }
        }
        ServerCall::SystemMessageTransform(r) => {
            for (id, content) in r.sections() {
                check_str(id);
                if let Some(c) = content {
                    check_str(c);
                }
            }
        }
        ServerCall::SessionFsWriteFile(w) => {
            if let Some(c) = w.content() {
                check_str(c);
            }
            let _ = w.mode();
        }
        _ => {}
    }
}

/// Whitespace outside strings removed.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escape) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escape, c) {
                (true, _) => escape = false,
                (false, '\\') => escape = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// Walks a validated value: rebuilt from its members and elements, it must give back the text,
/// and every accessor must agree with it.
fn check_value_tree(text: &str, value: RawJson<'_>) {
    let mut rebuilt = String::with_capacity(text.len());
    rebuild(value, &mut rebuilt);
    assert_eq!(rebuilt, minify(text), "the scanner lost or moved a span");
}

fn rebuild(value: RawJson<'_>, out: &mut String) {
    check_scalar(value);
    typed_decoders(value);
    match value.json_type() {
        JsonType::Object => {
            out.push('{');
            let members: Vec<(JsonStr<'_>, RawJson<'_>)> = value.members().collect();
            for (i, (key, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                check_str(*key);
                out.push('"');
                out.push_str(key.raw());
                out.push_str("\":");
                rebuild(*v, out);
                if i < 16 {
                    // `get` finds the first member whose decoded key is equal.
                    let decoded = key.to_string();
                    let first = members.iter().find(|(k, _)| k.eq_str(&decoded));
                    assert_eq!(
                        value.get(&decoded),
                        first.map(|(_, v)| *v),
                        "get({decoded:?})"
                    );
                }
            }
            out.push('}');
            assert_eq!(value.elements().count(), 0);
        }
        JsonType::Array => {
            out.push('[');
            for (i, v) in value.elements().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                rebuild(v, out);
            }
            out.push(']');
            assert_eq!(value.members().count(), 0);
            assert!(value.get("a").is_none());
        }
        _ => out.push_str(value.text()),
    }
}

fn check_scalar(value: RawJson<'_>) {
    let text = value.text();
    assert_eq!(value.as_bytes(), text.as_bytes());
    assert_eq!(format!("{value}"), text);
    assert_eq!(value.is_null(), text == "null");
    assert_eq!(
        value.as_bool().is_some(),
        value.json_type() == JsonType::Bool
    );
    assert_eq!(
        value.as_string().is_some(),
        value.json_type() == JsonType::String
    );
    if let Some(s) = value.as_string() {
        check_str(s);
        assert_eq!(s.raw().len() + 2, text.len());
    }
    if value.json_type() == JsonType::Number {
        assert!(value.as_f64().is_some(), "number {text} has no f64 value");
        // Integers read as their value however they are written (`1.0`, `1e3`, `-0`): the
        // value agrees with the float reading, exactly below 2^53.
        let float: f64 = text.parse().unwrap_or(f64::NAN);
        let agrees = |n: f64| {
            if n.abs() < 9_007_199_254_740_992.0 {
                float == n
            } else {
                ((float - n) / n).abs() < 1e-12
            }
        };
        if let Some(n) = value.as_u64() {
            assert!(agrees(n as f64), "{text} read as {n}");
        }
        if let Some(n) = value.as_i64() {
            assert!(agrees(n as f64), "{text} read as {n}");
        }
        // Plain digits read exactly, when they fit.
        if text.bytes().all(|b| b.is_ascii_digit()) {
            assert_eq!(value.as_u64(), text.parse().ok(), "{text}");
        }
        if let Some(digits) = text.strip_prefix('-')
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            assert_eq!(value.as_i64(), text.parse().ok(), "{text}");
        }
    } else {
        assert!(value.as_f64().is_none() && value.as_u64().is_none() && value.as_i64().is_none());
    }
}

/// What a JSON string decodes to, computed independently: every character and escape becomes
/// UTF-16 units, and unpaired surrogates become U+FFFD.
fn oracle_unescape(raw: &str) -> String {
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut b = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut b));
            continue;
        }
        let unit = match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                u16::from_str_radix(&hex, 16).unwrap_or_else(|_| panic!("escape \\u{hex}"))
            }
            Some('b') => 8,
            Some('f') => 12,
            Some('n') => 10,
            Some('r') => 13,
            Some('t') => 9,
            Some(c @ ('"' | '\\' | '/')) => c as u16,
            other => panic!("escape {other:?} in a validated string"),
        };
        units.push(unit);
    }
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Every way to read a string agrees with the others and with the oracle.
fn check_str(s: JsonStr<'_>) {
    let shown = s.to_string();
    let chars: String = s.chars().collect();
    assert_eq!(shown, chars, "Display vs chars of {:?}", s.raw());
    assert_eq!(shown, oracle_unescape(s.raw()), "decoding of {:?}", s.raw());
    assert_eq!(s.unescaped_len(), shown.len());
    assert_eq!(s.is_escaped(), s.raw().contains('\\'));
    assert_eq!(s.is_empty(), shown.is_empty());
    let mut buf = vec![0u8; shown.len()];
    assert_eq!(s.unescape_into(&mut buf), Ok(shown.as_str()));
    if !shown.is_empty() {
        let mut small = vec![0u8; shown.len() - 1];
        assert_eq!(
            s.unescape_into(&mut small),
            Err(BufferTooSmall {
                needed: shown.len()
            })
        );
    }
    let copy = s;
    assert!(s.eq_str(&shown) && s == shown.as_str() && s == copy);
    if let Some(plain) = s.as_plain() {
        assert_eq!(plain, shown);
    }
    if let Some(p) = JsonStr::from_plain(&shown) {
        assert!(p == s, "{p:?} != {s:?}");
        assert!(s == p, "{s:?} != {p:?}");
    }
    let _ = format!("{s:?}");
}

/// The scanner and string decoder on text that may not be JSON at all.
fn scan_unvalidated(text: &str) {
    let limit = text.len() + 2;
    let v = hook::unvalidated_json(text.as_bytes());
    let _ = (
        v.json_type(),
        v.as_bool(),
        v.as_u64(),
        v.as_i64(),
        v.as_f64(),
        v.is_null(),
    );
    let mut n = 0;
    for (k, val) in v.members() {
        n += 1;
        assert!(n <= limit, "members() does not end");
        let _ = k.to_string();
        let _ = val.get("id");
        let _ = val.elements().take(limit).count();
    }
    assert!(v.elements().take(limit + 1).count() <= limit);
    let _ = v.get("id");
    let _ = v.get_str("method");
    if let Some(s) = v.as_string() {
        let _ = s.to_string();
    }
    // Any text as escaped string contents.
    let s = hook::unvalidated_str(text.as_bytes(), true);
    let decoded = s.to_string();
    assert_eq!(decoded.chars().count(), s.chars().count());
    assert_eq!(s.unescaped_len(), decoded.len());
    let mut buf = vec![0u8; decoded.len()];
    assert_eq!(s.unescape_into(&mut buf), Ok(decoded.as_str()));
}

/// Classification agrees with plain lookups on the same body.
fn check_classify(data: &[u8]) {
    let Ok(msg) = hook::classify(data, MAX_DEPTH) else {
        return;
    };
    let value = match RawJson::from_bytes(data) {
        Ok(v) => v,
        Err(e) => panic!("classified a body that is not JSON: {e}"),
    };
    match msg {
        Message::Request { id, method, params } => {
            assert!(hook::valid_id(&id));
            assert_eq!(value.get("id"), Some(id));
            assert_eq!(
                value.get("method").and_then(|m| m.as_string()),
                Some(method)
            );
            assert_eq!(value.get("params"), params);
            check_str(method);
        }
        Message::Notification { method, params } => {
            assert!(value.get("id").is_none());
            assert_eq!(
                value.get("method").and_then(|m| m.as_string()),
                Some(method)
            );
            assert_eq!(value.get("params"), params);
        }
        Message::Response { id, outcome } => {
            assert_eq!(value.get("id"), Some(id));
            match outcome {
                Ok(result) => assert_eq!(value.get("result"), Some(result)),
                Err(e) => {
                    let error = value.get("error");
                    assert_eq!(error.and_then(|e| e.get("code")?.as_i64()), Some(e.code));
                    check_str(e.message);
                }
            }
        }
    }
    if let Err(BadMessage::Invalid {
        intent: Intent::Request { id: Some(id), .. } | Intent::Response { id },
        ..
    }) = hook::classify(data, 1)
    {
        assert!(hook::valid_id(&id));
    }
}

/// The members of `recorded` (an object read from the validator's record of its members)
/// are those of `scanned` (the same object, scanned): the same keys and values at the same
/// places of `data`, the same escapes, the same lookups, down through the objects in them.
fn same_members(data: &[u8], recorded: RawJson<'_>, scanned: RawJson<'_>, depth: usize) {
    let at = |s: &[u8]| (s.as_ptr() as usize - data.as_ptr() as usize, s.len());
    assert_eq!(
        at(recorded.as_bytes()),
        at(scanned.as_bytes()),
        "recorded object"
    );
    let mine: Vec<_> = recorded.members().collect();
    let theirs: Vec<_> = scanned.members().collect();
    assert_eq!(mine.len(), theirs.len(), "recorded members");
    for ((k, v), (sk, sv)) in mine.iter().zip(&theirs) {
        assert_eq!(at(k.raw_bytes()), at(sk.raw_bytes()), "recorded key");
        assert_eq!(k.is_escaped(), sk.is_escaped(), "recorded key escapes");
        assert_eq!(at(v.as_bytes()), at(sv.as_bytes()), "recorded value");
        let escapes = |v: &RawJson<'_>| v.as_string().map(|s| s.is_escaped());
        assert_eq!(escapes(v), escapes(sv), "recorded string escapes");
        let key = k.to_string();
        assert_eq!(
            recorded.get(&key),
            scanned.get(&key),
            "recorded get({key:?})"
        );
        if v.json_type() == JsonType::Object && depth < 8 {
            same_members(data, *v, *sv, depth + 1);
        }
    }
}

/// `data` as the body of one frame, then a known frame: exactly two events, the second one the
/// known frame's, and routing that matches ids. With a small frame limit the body is skipped
/// and only its first bytes are read.
fn through_client(data: &[u8], max_frame: usize) {
    const LAST: &str = r#"{"jsonrpc":"2.0","method":"fuzz.end","params":{}}"#;
    let mut rx = vec![0u8; 8 * 1024];
    let mut tx = vec![0u8; 1024];
    let mut inbox = Inbox::new(&mut rx).with_max_frame_len(max_frame);
    let config = Config::default().caller_answers(CallerAnswers::ALL);
    let mut client: Client<'_, 2, 2> = match Client::new(&mut tx, config) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let now = Instant::from_millis(0);
    for (i, sid) in ["a", "e\"q\\/x"].into_iter().enumerate() {
        let Ok(id) = SessionId::new(sid) else {
            panic!("session id {sid}")
        };
        let opened = if i == 0 {
            client.create_session(now, id, &())
        } else {
            client.resume_session(now, id, &())
        };
        assert!(opened.is_ok(), "{opened:?}");
    }
    let mut wire = format!("Content-Length: {}\r\n\r\n", data.len()).into_bytes();
    wire.extend_from_slice(data);
    wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n{LAST}", LAST.len()).as_bytes());
    let mut written = Vec::new();
    written.extend_from_slice(client.transmit_bytes());
    let n = client.transmit_bytes().len();
    client.transmitted(n);
    let mut fed = 0;
    let mut events = Vec::new();
    let mut rounds = 0;
    while events.len() < 2 {
        rounds += 1;
        assert!(rounds < 100, "stalled after {events:?}");
        fed += inbox.push(&wire[fed..]);
        while let Some(event) = client.poll_event(&mut inbox, now) {
            crate::routing::check_routing(&client, &event);
            if let Event::Request(r) = &event {
                typed_request(r);
            }
            events.push(format!("{event:?}"));
        }
        written.extend_from_slice(client.transmit_bytes());
        let n = client.transmit_bytes().len();
        client.transmitted(n);
    }
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events[1].starts_with("Notification { method: \"fuzz.end\""),
        "{events:?}"
    );
    assert_eq!(client.stats().frames, 2);
    crate::wire::check_output_framing(&written, &format!("{events:?}"));
}

/// The glance (what the client reads of a frame it cannot read whole) finds the same in any
/// split, from its copies as from the body, and on valid JSON what plain lookups find.
fn check_glance(data: &[u8]) {
    let whole = Glance::of(data);
    let expected = crate::framing::found(whole.peek());
    assert_eq!(crate::framing::found(whole.peek_in(data)), expected);
    for piece in [1, 7, 64] {
        let mut g = Glance::NEW;
        for chunk in data.chunks(piece) {
            g.feed(chunk);
        }
        assert_eq!(
            crate::framing::found(g.peek()),
            expected,
            "in pieces of {piece}"
        );
    }
    let peek = whole.peek_in(data);
    for s in [peek.method(), peek.session_id(), peek.event_type()]
        .into_iter()
        .flatten()
    {
        check_str(s);
    }
    if let Some(id) = peek.id() {
        assert!(validate(id.as_bytes(), 1).is_ok() && hook::valid_id(&id));
    }
    // Against plain lookups, on valid JSON. Keys are matched as written (the glance does not
    // decode escaped keys); the first occurrence counts.
    let Ok(value) = RawJson::from_bytes(data) else {
        return;
    };
    fn member<'a>(v: RawJson<'a>, key: &str) -> Option<RawJson<'a>> {
        v.members()
            .find(|(k, _)| k.raw_bytes() == key.as_bytes())
            .map(|(_, v)| v)
    }
    assert_eq!(peek.is_object(), value.json_type() == JsonType::Object);
    if value.json_type() != JsonType::Object {
        return;
    }
    let id = member(value, "id");
    assert_eq!(peek.has_id(), id.is_some());
    match id {
        Some(id) if id.as_bytes().len() <= 40 && hook::valid_id(&id) => {
            assert_eq!(peek.id().map(|i| i.text()), Some(id.text()))
        }
        Some(id) if id.as_bytes().len() > 40 && hook::valid_id(&id) => {
            assert!(peek.id_too_long() && peek.id().is_none())
        }
        _ => assert!(peek.id().is_none()),
    }
    let method = member(value, "method");
    assert_eq!(peek.has_method(), method.is_some());
    if let Some(m) = method.and_then(|m| m.as_string()) {
        let got = peek
            .method()
            .map(|g| g.raw().to_string())
            .unwrap_or_default();
        assert!(m.raw().starts_with(&got), "method {got:?} of {:?}", m.raw());
        if m.raw().len() + 2 <= 48 {
            assert_eq!(got, m.raw());
        }
    }
    let response = member(value, "result").is_some() || member(value, "error").is_some();
    assert_eq!(peek.is_response(), response);
    let params = member(value, "params");
    fn short(s: Option<JsonStr<'_>>, n: usize) -> Option<JsonStr<'_>> {
        s.filter(|s| s.raw().len() + 2 <= n)
    }
    let sid = short(
        params
            .and_then(|p| member(p, "sessionId"))
            .and_then(|s| s.as_string()),
        72,
    );
    assert_eq!(peek.session_id().map(|s| s.raw()), sid.map(|s| s.raw()));
    let kind = params
        .and_then(|p| member(p, "event"))
        .and_then(|e| member(e, "type"))
        .and_then(|t| t.as_string());
    assert_eq!(
        peek.event_type().map(|t| t.raw()),
        short(kind, 48).map(|t| t.raw())
    );
}
