//! [`Config`]: limits, timeouts and which server requests the caller answers.

use core::ops::{BitOr, BitOrAssign};

use crate::proto::MethodFamily;
use crate::proto::params::SessionOptions;

/// Client settings. Start from [`Config::default`] and change what you need:
///
/// ```
/// use copilot_sansio::{CallerAnswers, Config};
///
/// let config = Config::default()
///     .request_timeout_ms(Some(30_000))
///     .caller_answers(CallerAnswers::SESSION_FS | CallerAnswers::PERMISSIONS);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Config {
    /// Deepest JSON nesting accepted in a frame (at most [`MAX_DEPTH`](crate::json::MAX_DEPTH)).
    /// Default 64.
    pub max_json_depth: usize,
    /// Deadline for every request, in milliseconds from when it is queued; `None` (the
    /// default, as in the official SDKs) waits forever. See also
    /// [`Client::set_deadline`](crate::Client::set_deadline).
    pub request_timeout_ms: Option<u64>,
    /// The server requests (and broadcasts) the caller answers. The client answers every other
    /// server request itself so the server never waits: with the documented default where
    /// there is one (`exitPlanMode.request` approved, `autoModeSwitch.request` "no",
    /// `systemMessage.transform` unchanged, `hooks.invoke` no output), else with an error.
    /// Default: none.
    pub caller_answers: CallerAnswers,
}

impl Config {
    /// The defaults.
    pub const DEFAULT: Config = Config {
        max_json_depth: 64,
        request_timeout_ms: None,
        caller_answers: CallerAnswers::NONE,
    };

    /// Sets [`max_json_depth`](Self::max_json_depth).
    #[must_use]
    pub const fn max_json_depth(mut self, depth: usize) -> Self {
        self.max_json_depth = depth;
        self
    }

    /// Sets [`request_timeout_ms`](Self::request_timeout_ms).
    #[must_use]
    pub const fn request_timeout_ms(mut self, ms: Option<u64>) -> Self {
        self.request_timeout_ms = ms;
        self
    }

    /// Sets [`caller_answers`](Self::caller_answers).
    #[must_use]
    pub const fn caller_answers(mut self, answers: CallerAnswers) -> Self {
        self.caller_answers = answers;
        self
    }

    /// Session options whose `request*` and `hooks` flags say what this configuration
    /// answers, as the official SDKs always send them. Fill in the rest:
    /// `config.session_options().model("...")`.
    pub fn session_options(&self) -> SessionOptions<'static> {
        let a = self.caller_answers;
        SessionOptions::default()
            .request_permission(a.contains_all(CallerAnswers::PERMISSIONS))
            .request_user_input(a.contains(MethodFamily::UserInput))
            .request_elicitation(a.contains_all(CallerAnswers::ELICITATION))
            .request_exit_plan_mode(a.contains(MethodFamily::ExitPlanMode))
            .request_auto_mode_switch(a.contains(MethodFamily::AutoModeSwitch))
            .hooks(a.contains(MethodFamily::Hooks))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// The server requests and broadcasts the caller answers itself: a set of [`MethodFamily`]s
/// plus the broadcasts the session options announce (`permission.requested`,
/// `elicitation.requested`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CallerAnswers(u32);

impl CallerAnswers {
    /// Nothing: the client answers every server request itself.
    pub const NONE: CallerAnswers = CallerAnswers(0);
    /// Every family, unknown methods included, and every broadcast.
    pub const ALL: CallerAnswers = CallerAnswers(u32::MAX);
    /// `sessionFs.*`
    pub const SESSION_FS: CallerAnswers = CallerAnswers::of(MethodFamily::SessionFs);
    /// `userInput.request`
    pub const USER_INPUT: CallerAnswers = CallerAnswers::of(MethodFamily::UserInput);
    /// `exitPlanMode.request`
    pub const EXIT_PLAN_MODE: CallerAnswers = CallerAnswers::of(MethodFamily::ExitPlanMode);
    /// `autoModeSwitch.request`
    pub const AUTO_MODE_SWITCH: CallerAnswers = CallerAnswers::of(MethodFamily::AutoModeSwitch);
    /// `systemMessage.transform`
    pub const SYSTEM_MESSAGE_TRANSFORM: CallerAnswers =
        CallerAnswers::of(MethodFamily::SystemMessageTransform);
    /// `hooks.invoke`
    pub const HOOKS: CallerAnswers = CallerAnswers::of(MethodFamily::Hooks);
    /// `providerToken.getToken`
    pub const PROVIDER_TOKEN: CallerAnswers = CallerAnswers::of(MethodFamily::ProviderToken);
    /// `skillProvider.*`
    pub const SKILL_PROVIDER: CallerAnswers = CallerAnswers::of(MethodFamily::SkillProvider);
    /// `tasks.*`
    pub const TASKS: CallerAnswers = CallerAnswers::of(MethodFamily::Tasks);
    /// `workflow.*`
    pub const WORKFLOW: CallerAnswers = CallerAnswers::of(MethodFamily::Workflow);
    /// `canvas.*`
    pub const CANVAS: CallerAnswers = CallerAnswers::of(MethodFamily::Canvas);
    /// `gitHubToken.*`
    pub const GITHUB_TOKEN: CallerAnswers = CallerAnswers::of(MethodFamily::GitHubToken);
    /// `installations.*`
    pub const INSTALLATIONS: CallerAnswers = CallerAnswers::of(MethodFamily::Installations);
    /// `llmInference.*`
    pub const LLM_INFERENCE: CallerAnswers = CallerAnswers::of(MethodFamily::LlmInference);
    /// `extensionLaunchProvider.*`
    pub const EXTENSION_LAUNCH: CallerAnswers = CallerAnswers::of(MethodFamily::ExtensionLaunch);
    /// `host.*`
    pub const HOST: CallerAnswers = CallerAnswers::of(MethodFamily::Host);
    /// Methods this crate does not know.
    pub const OTHER: CallerAnswers = CallerAnswers::of(MethodFamily::Other);
    /// `permission.requested` broadcasts (sets `requestPermission` in
    /// [`Config::session_options`]).
    pub const PERMISSIONS: CallerAnswers = CallerAnswers(1 << 30);
    /// `elicitation.requested` broadcasts (sets `requestElicitation` in
    /// [`Config::session_options`]).
    pub const ELICITATION: CallerAnswers = CallerAnswers(1 << 31);

    /// The set holding one family.
    pub const fn of(family: MethodFamily) -> CallerAnswers {
        CallerAnswers(1 << family as u32)
    }

    /// True if `family` is in the set.
    pub const fn contains(self, family: MethodFamily) -> bool {
        self.0 & CallerAnswers::of(family).0 != 0
    }

    /// True if every member of `other` is in the set.
    pub const fn contains_all(self, other: CallerAnswers) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two sets.
    pub const fn union(self, other: CallerAnswers) -> CallerAnswers {
        CallerAnswers(self.0 | other.0)
    }
}

impl BitOr for CallerAnswers {
    type Output = CallerAnswers;
    fn bitor(self, rhs: CallerAnswers) -> CallerAnswers {
        self.union(rhs)
    }
}

impl BitOrAssign for CallerAnswers {
    fn bitor_assign(&mut self, rhs: CallerAnswers) {
        *self = self.union(rhs);
    }
}
