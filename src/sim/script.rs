//! What the simulated CLI plays for a session: a short program of steps, one frame each, in the
//! order CLI 1.0.102 sends them (see `docs/real-cli-notes.md` and `tests/recorded/`).

use crate::client::OpenMethod;

use super::{IdBytes, ModelReply};

/// One frame of a session's program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    LifecycleCreated,
    /// A `sessionFs.*` request; the program waits for its answer.
    FsRequest,
    /// Fails the create if a `sessionFs` answer was an error.
    CheckFs,
    Start,
    OpenResponse,
    LifecycleUpdated,
    SettingsResolved,
    ResumeEvent,
    PendingModified,
    Title,
    User,
    TurnStart,
    /// No model to talk to: the turn fails as without credentials.
    NoModel,
    /// The first `assistant.streaming_delta` of a streamed reply (`then`: the text after a
    /// tool call).
    StreamStart {
        then: bool,
    },
    MessageStart,
    /// `assistant.message_delta`s, each followed by the next `assistant.streaming_delta`.
    Deltas {
        then: bool,
    },
    Message {
        then: bool,
    },
    ToolMessage,
    ToolStart,
    /// `permission.requested`; the program waits for the answer.
    Permission,
    /// `permission.completed`, then the answer's response.
    PermissionCompleted,
    /// `external_tool.requested` (if permitted); the program waits for the answer.
    ExternalTool,
    /// `external_tool.completed`, then the answer's response.
    ToolCompleted,
    ToolComplete,
    TurnEnd,
    /// The model call that never ends.
    Stall,
    Abort,
    AbortResponse,
    AssistantIdle {
        aborted: bool,
    },
    /// The deferred response of `session.sendAndWait`, after the turn's last event.
    WaitResponse {
        aborted: bool,
    },
    SessionIdle {
        aborted: bool,
    },
    Shutdown,
    HostEvent,
    DestroyResponse,
}

/// What a program waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    None,
    /// The answer to the `sessionFs` request with this id.
    Fs(u64),
    /// `handlePendingPermissionRequest` for the request made from this number.
    Permission(u64),
    /// `handlePendingToolCall` for the request made from this number.
    Tool(u64),
    /// `session.abort` (a model that never answers).
    Abort,
}

/// How a session's tool calls get permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PermissionMode {
    /// The tools skip permission.
    Skip,
    /// `requestPermission: true`: ask the client.
    Ask,
    /// Nobody can be asked: denied.
    Deny,
}

/// How the current tool call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ToolOutcome {
    /// Not decided yet (or permitted, not run yet).
    Pending,
    /// Ran; the note holds the result text.
    Done,
    /// Ran and failed (`resultType: "failure"`); the note holds the error.
    Failed,
    /// The client answered with `error`.
    Error,
    /// The client rejected the permission; the note holds its feedback.
    Rejected,
    /// No one could be asked for permission.
    Unanswerable,
}

const STEPS: usize = 28;

/// A session's program: steps, where it stands, what it waits for.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    steps: heapless::Vec<Step, STEPS, u8>,
    pc: u8,
    /// Byte offset in the text being streamed.
    pub(crate) at: usize,
    /// Streaming: the `assistant.streaming_delta` of the next piece is due.
    pub(crate) between: bool,
    /// `sessionFs` requests sent so far.
    pub(crate) fs_sent: u8,
    /// The number of the permission or tool request in flight (its id).
    pub(crate) request: u64,
    pub(crate) wait: Wait,
    /// The reply played by a turn (index into the configured replies).
    pub(crate) reply: Option<u16>,
    /// The id of the client request the next response answers.
    pub(crate) reply_to: IdBytes,
    pub(crate) fs_failed: bool,
    turn: bool,
}

impl Program {
    pub(crate) const IDLE: Program = Program {
        steps: heapless::Vec::new(),
        pc: 0,
        at: 0,
        between: false,
        fs_sent: 0,
        request: 0,
        wait: Wait::None,
        reply: None,
        reply_to: heapless::Vec::new(),
        fs_failed: false,
        turn: false,
    };

    fn of(steps: &[Step]) -> Self {
        let mut p = Program::IDLE;
        for &s in steps {
            p.push(s);
        }
        p
    }

    fn push(&mut self, step: Step) {
        let _ = self.steps.push(step);
    }

    fn answering(mut self, reply_to: &[u8]) -> Self {
        self.reply_to = IdBytes::from_slice(reply_to).unwrap_or_default();
        self
    }

    /// Ends with the response of the `session.sendAndWait` that started the turn.
    pub(crate) fn then_answer_wait(mut self, aborted: bool) -> Self {
        self.push(Step::WaitResponse { aborted });
        self
    }

    /// `session.create` / `session.resume`.
    pub(crate) fn open(
        kind: OpenMethod,
        reply_to: &[u8],
        early_start: bool,
        fs_requests: u8,
        disable_resume: bool,
    ) -> Self {
        let mut p = Program::IDLE;
        match kind {
            OpenMethod::Create => {
                p.push(Step::LifecycleCreated);
                for _ in 0..fs_requests.min(8) {
                    p.push(Step::FsRequest);
                    p.push(Step::CheckFs);
                }
                if early_start {
                    p.push(Step::Start);
                }
                p.push(Step::OpenResponse);
                if !early_start {
                    p.push(Step::Start);
                }
                p.push(Step::LifecycleUpdated);
                p.push(Step::SettingsResolved);
            }
            OpenMethod::Resume => {
                // Nothing before the response; the event follows it.
                p.push(Step::OpenResponse);
                if !disable_resume {
                    p.push(Step::ResumeEvent);
                }
                p.push(Step::LifecycleUpdated);
                // The title of the earlier conversation, again.
                p.push(Step::Title);
            }
        }
        p.answering(reply_to)
    }

    /// A model turn playing `reply` (none: no model).
    pub(crate) fn turn(
        index: Option<u16>,
        reply: Option<ModelReply<'_>>,
        streaming: bool,
        permission: PermissionMode,
        first: bool,
    ) -> Self {
        let mut p = Program::of(&[Step::PendingModified]);
        if first {
            p.push(Step::Title);
        }
        let message = |p: &mut Program, then| {
            if streaming {
                p.push(Step::StreamStart { then });
                p.push(Step::MessageStart);
                p.push(Step::Deltas { then });
            }
            p.push(Step::Message { then });
        };
        match reply {
            None => p.push(Step::NoModel),
            Some(ModelReply::Text(_) | ModelReply::Echo { .. }) => {
                p.push(Step::User);
                p.push(Step::TurnStart);
                message(&mut p, false);
                p.push(Step::TurnEnd);
            }
            Some(ModelReply::Stall) => {
                p.push(Step::User);
                p.push(Step::TurnStart);
                p.push(Step::Stall);
            }
            Some(ModelReply::ToolCall { .. }) => {
                p.push(Step::User);
                p.push(Step::TurnStart);
                p.push(Step::ToolMessage);
                p.push(Step::ToolStart);
                if permission == PermissionMode::Ask {
                    p.push(Step::Permission);
                    p.push(Step::PermissionCompleted);
                }
                p.push(Step::ExternalTool);
                p.push(Step::ToolCompleted);
                p.push(Step::ToolComplete);
                p.push(Step::TurnEnd);
                p.push(Step::TurnStart);
                message(&mut p, true);
                p.push(Step::TurnEnd);
            }
        }
        p.push(Step::AssistantIdle { aborted: false });
        p.push(Step::SessionIdle { aborted: false });
        p.reply = index;
        p.turn = true;
        p
    }

    /// `session.destroy`.
    pub(crate) fn destroy(reply_to: &[u8]) -> Self {
        Program::of(&[
            Step::Shutdown,
            Step::LifecycleUpdated,
            Step::HostEvent,
            Step::DestroyResponse,
        ])
        .answering(reply_to)
    }

    /// `session.abort` during a turn.
    pub(crate) fn aborted(reply_to: &[u8]) -> Self {
        Program::of(&[
            Step::Abort,
            Step::PendingModified,
            Step::TurnEnd,
            Step::PendingModified,
            Step::AssistantIdle { aborted: true },
            Step::AbortResponse,
            Step::SessionIdle { aborted: true },
        ])
        .answering(reply_to)
    }

    /// The step to play, unless waiting or done.
    pub(crate) fn current(&self) -> Option<Step> {
        if self.wait != Wait::None {
            return None;
        }
        self.steps.get(usize::from(self.pc)).copied()
    }

    pub(crate) fn advance(&mut self) {
        self.pc = self.pc.saturating_add(1);
        self.at = 0;
        self.between = false;
    }

    /// True when nothing is playing or waiting.
    pub(crate) fn is_idle(&self) -> bool {
        self.wait == Wait::None && usize::from(self.pc) >= self.steps.len()
    }

    /// True while a turn is playing or waiting.
    pub(crate) fn is_turn(&self) -> bool {
        self.turn && !self.is_idle()
    }
}

/// Escaped text kept by a session (a prompt, a tool result, feedback).
pub(crate) type Note = heapless::Vec<u8, 128, u8>;

/// The start of escaped JSON string text, never cutting an escape or a character.
pub(crate) fn note(raw: &str) -> Note {
    let bytes = raw.as_bytes();
    let mut cut = 0;
    let mut i = 0;
    while i < bytes.len() {
        let unit = match bytes.get(i) {
            Some(b'\\') if bytes.get(i + 1) == Some(&b'u') => 6,
            Some(b'\\') => 2,
            Some(&c) if c >= 0xF0 => 4,
            Some(&c) if c >= 0xE0 => 3,
            Some(&c) if c >= 0xC0 => 2,
            _ => 1,
        };
        if i + unit > 128 {
            break;
        }
        i += unit;
        cut = i;
    }
    Note::from_slice(bytes.get(..cut).unwrap_or(&[])).unwrap_or_default()
}

/// The simulator's state of one session.
#[derive(Debug, Clone)]
pub(crate) struct SimSession {
    pub(crate) program: Program,
    pub(crate) streaming: bool,
    pub(crate) permission: PermissionMode,
    pub(crate) turns: u32,
    pub(crate) last_event: Option<u64>,
    /// Destroyed after a turn: kept so it can be resumed.
    pub(crate) persisted: bool,
    /// The last prompt, escaped.
    pub(crate) prompt: Note,
    /// The last prompt, decoded (its first 128 bytes).
    pub(crate) said: heapless::String<128>,
    /// The current tool call.
    pub(crate) tool: ToolOutcome,
    /// The tool result, error or permission feedback.
    pub(crate) note: Note,
    /// The number of the message the turn plays (its `messageId`).
    pub(crate) message: u64,
    /// The id of the `session.sendAndWait` the turn answers at its end.
    pub(crate) waits: Option<IdBytes>,
}

impl SimSession {
    pub(crate) const EMPTY: SimSession = SimSession {
        program: Program::IDLE,
        streaming: false,
        permission: PermissionMode::Skip,
        turns: 0,
        last_event: None,
        persisted: false,
        prompt: heapless::Vec::new(),
        said: heapless::String::new(),
        tool: ToolOutcome::Pending,
        note: heapless::Vec::new(),
        message: 0,
        waits: None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_cut_between_characters_and_escapes() {
        assert_eq!(note(&"é".repeat(100)).len(), 128);
        // 18 whole `a\u00e9` (126 bytes), then one more `a`; the next escape does not fit.
        assert_eq!(note(&"a\\u00e9".repeat(30)).len(), 127);
        assert_eq!(&note("hi")[..], b"hi");
    }

    #[test]
    fn programs_follow_the_cli() {
        let replies = [ModelReply::ToolCall {
            tool: "t",
            arguments: "{}",
            then: "done",
        }];
        let p = Program::turn(
            Some(0),
            replies.first().copied(),
            true,
            PermissionMode::Ask,
            true,
        );
        let at = |s| p.steps.iter().position(|&x| x == s).unwrap();
        assert!(at(Step::ToolStart) < at(Step::Permission));
        assert!(at(Step::PermissionCompleted) < at(Step::ExternalTool));
        assert!(at(Step::ToolCompleted) < at(Step::ToolComplete));
        assert_eq!(p.steps.last(), Some(&Step::SessionIdle { aborted: false }));
        let p = Program::open(OpenMethod::Resume, b"3", false, 0, false);
        assert_eq!(
            &p.steps[..],
            &[
                Step::OpenResponse,
                Step::ResumeEvent,
                Step::LifecycleUpdated,
                Step::Title
            ]
        );
    }
}
