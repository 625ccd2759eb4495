//! What the simulated CLI plays for a session: a short program of steps, one frame each.

use crate::session::OpenKind;

use super::{IdBytes, Reply};

/// One frame of a session's program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    LifecycleCreated,
    /// A `sessionFs.readFile` request; the program waits for its answer.
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
    MessageStart,
    /// `assistant.message_delta`s of the reply (`then`: the text after a tool call).
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
    /// `external_tool.requested` (if permitted); the program waits for the answer.
    ExternalTool,
    ToolComplete,
    TurnEnd,
    Abort,
    AssistantIdle,
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
}

const STEPS: usize = 24;

/// A session's program: steps, where it stands, what it waits for.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    steps: heapless::Vec<Step, STEPS, u8>,
    pc: u8,
    /// Byte offset in the text being streamed.
    pub(crate) at: usize,
    pub(crate) wait: Wait,
    /// The reply played by a turn (index into the configured replies).
    pub(crate) reply: Option<u16>,
    /// The id of the client request the program answers.
    pub(crate) reply_to: IdBytes,
    pub(crate) fs_failed: bool,
    turn: bool,
}

impl Program {
    pub(crate) const IDLE: Program = Program {
        steps: heapless::Vec::new(),
        pc: 0,
        at: 0,
        wait: Wait::None,
        reply: None,
        reply_to: heapless::Vec::new(),
        fs_failed: false,
        turn: false,
    };

    fn of(steps: &[Step]) -> Self {
        let mut p = Program::IDLE;
        for &s in steps.iter().take(STEPS) {
            let _ = p.steps.push(s);
        }
        p
    }

    fn push(&mut self, step: Step) {
        let _ = self.steps.push(step);
    }

    /// `session.create` / `session.resume`.
    pub(crate) fn open(
        kind: OpenKind,
        reply_to: &[u8],
        early_start: bool,
        fs_requests: u8,
        disable_resume: bool,
    ) -> Self {
        let mut p = Program::IDLE;
        match kind {
            OpenKind::Create => {
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
            OpenKind::Resume => {
                if !disable_resume {
                    p.push(Step::ResumeEvent);
                }
                p.push(Step::OpenResponse);
                p.push(Step::LifecycleUpdated);
            }
        }
        p.reply_to = IdBytes::from_slice(reply_to).unwrap_or_default();
        p
    }

    /// A model turn playing `reply` (none: no model).
    pub(crate) fn turn(
        reply: Option<u16>,
        replies: &[Reply<'_>],
        streaming: bool,
        ask_permission: bool,
        first: bool,
    ) -> Self {
        let mut p = Program::of(&[Step::PendingModified]);
        if first {
            p.push(Step::Title);
        }
        let stream = |p: &mut Program, then| {
            if streaming {
                p.push(Step::MessageStart);
                p.push(Step::Deltas { then });
            }
            p.push(Step::Message { then });
        };
        match reply.and_then(|r| replies.get(usize::from(r))) {
            None => p.push(Step::NoModel),
            Some(Reply::Text(_)) => {
                p.push(Step::User);
                p.push(Step::TurnStart);
                stream(&mut p, false);
                p.push(Step::TurnEnd);
            }
            Some(Reply::ToolCall { .. }) => {
                p.push(Step::User);
                p.push(Step::TurnStart);
                p.push(Step::ToolMessage);
                p.push(Step::ToolStart);
                if ask_permission {
                    p.push(Step::Permission);
                }
                p.push(Step::ExternalTool);
                p.push(Step::ToolComplete);
                p.push(Step::TurnEnd);
                p.push(Step::TurnStart);
                stream(&mut p, true);
                p.push(Step::TurnEnd);
            }
        }
        p.push(Step::AssistantIdle);
        p.push(Step::SessionIdle { aborted: false });
        p.reply = reply;
        p.turn = true;
        p
    }

    /// `session.destroy`.
    pub(crate) fn destroy(reply_to: &[u8]) -> Self {
        let mut p = Program::of(&[
            Step::Shutdown,
            Step::LifecycleUpdated,
            Step::HostEvent,
            Step::DestroyResponse,
        ]);
        p.reply_to = IdBytes::from_slice(reply_to).unwrap_or_default();
        p
    }

    /// What follows `session.abort` during a turn.
    pub(crate) fn aborted() -> Self {
        Program::of(&[Step::Abort, Step::SessionIdle { aborted: true }])
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

const PROMPT: usize = 128;

/// The simulator's state of one session.
#[derive(Debug, Clone)]
pub(crate) struct SimSession {
    pub(crate) program: Program,
    pub(crate) streaming: bool,
    pub(crate) ask_permission: bool,
    pub(crate) turns: u32,
    pub(crate) last_event: Option<u64>,
    pub(crate) granted: bool,
    pub(crate) tool_failed: bool,
    /// Destroyed after a turn: kept so it can be resumed.
    pub(crate) persisted: bool,
    /// The last prompt, still escaped, cut short if long.
    prompt: heapless::Vec<u8, PROMPT, u8>,
}

impl SimSession {
    pub(crate) const EMPTY: SimSession = SimSession {
        program: Program::IDLE,
        streaming: false,
        ask_permission: false,
        turns: 0,
        last_event: None,
        granted: true,
        tool_failed: false,
        persisted: false,
        prompt: heapless::Vec::new(),
    };

    /// Keeps (the start of) a prompt in its escaped form, never cutting an escape or a
    /// character.
    pub(crate) fn set_prompt(&mut self, raw: &str) {
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
            if i + unit > PROMPT {
                break;
            }
            i += unit;
            cut = i;
        }
        self.prompt =
            heapless::Vec::from_slice(bytes.get(..cut).unwrap_or(&[])).unwrap_or_default();
        self.granted = true;
        self.tool_failed = false;
    }

    pub(crate) fn prompt(&self) -> heapless::Vec<u8, PROMPT, u8> {
        self.prompt.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_cut_between_characters_and_escapes() {
        let mut s = SimSession::EMPTY;
        let long = "é".repeat(100);
        s.set_prompt(&long);
        assert_eq!(s.prompt().len(), 128);
        let escaped = "a\\u00e9".repeat(30);
        s.set_prompt(&escaped);
        // 18 whole `a\u00e9` (126 bytes), then one more `a`; the next escape does not fit.
        assert_eq!(s.prompt().len(), 127);
        s.set_prompt("hi");
        assert_eq!(&s.prompt()[..], b"hi");
    }

    #[test]
    fn programs_follow_the_cli() {
        let replies = [Reply::ToolCall {
            tool: "t",
            arguments: "{}",
            then: "done",
        }];
        let p = Program::turn(Some(0), &replies, true, true, true);
        assert!(p.steps.contains(&Step::Permission));
        assert!(p.steps.contains(&Step::Deltas { then: true }));
        assert_eq!(p.steps.last(), Some(&Step::SessionIdle { aborted: false }));
        let p = Program::open(OpenKind::Create, b"3", true, 2, false);
        assert_eq!(
            &p.steps[..],
            &[
                Step::LifecycleCreated,
                Step::FsRequest,
                Step::CheckFs,
                Step::FsRequest,
                Step::CheckFs,
                Step::Start,
                Step::OpenResponse,
                Step::LifecycleUpdated,
                Step::SettingsResolved
            ]
        );
    }
}
