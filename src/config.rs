//! [`Config`]: limits, timeouts and which server requests the caller answers.

use core::ops::{BitOr, BitOrAssign};

use crate::event::ServerMethod;
use crate::proto::params::SessionOptions;

/// Client settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
    pub handles: Handles,
}

impl Config {
    /// The defaults.
    pub const DEFAULT: Config = Config {
        max_json_depth: 64,
        request_timeout_ms: None,
        handles: Handles::NONE,
    };
}

impl Config {
    /// Session options whose `request*` and `hooks` flags say what this configuration
    /// handles, as the official SDKs always send them. Fill in the rest:
    /// `SessionOptions { model: Some("..."), ..config.session_options() }`.
    pub fn session_options(&self) -> SessionOptions<'static> {
        let h = self.handles;
        SessionOptions {
            request_permission: Some(h.contains_all(Handles::PERMISSIONS)),
            request_user_input: Some(h.contains(ServerMethod::UserInput)),
            request_elicitation: Some(h.contains_all(Handles::ELICITATION)),
            request_exit_plan_mode: Some(h.contains(ServerMethod::ExitPlanMode)),
            request_auto_mode_switch: Some(h.contains(ServerMethod::AutoModeSwitch)),
            hooks: Some(h.contains(ServerMethod::Hooks)),
            ..SessionOptions::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// A set of [`ServerMethod`] families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Handles(u16);

impl Handles {
    /// No family.
    pub const NONE: Handles = Handles(0);
    /// Every family, unknown methods included.
    pub const ALL: Handles = Handles(u16::MAX);
    /// `sessionFs.*`
    pub const SESSION_FS: Handles = Handles::of(ServerMethod::SessionFs);
    /// `userInput.request`
    pub const USER_INPUT: Handles = Handles::of(ServerMethod::UserInput);
    /// `exitPlanMode.request`
    pub const EXIT_PLAN_MODE: Handles = Handles::of(ServerMethod::ExitPlanMode);
    /// `autoModeSwitch.request`
    pub const AUTO_MODE_SWITCH: Handles = Handles::of(ServerMethod::AutoModeSwitch);
    /// `systemMessage.transform`
    pub const SYSTEM_MESSAGE_TRANSFORM: Handles = Handles::of(ServerMethod::SystemMessageTransform);
    /// `hooks.invoke`
    pub const HOOKS: Handles = Handles::of(ServerMethod::Hooks);
    /// `providerToken.getToken`
    pub const PROVIDER_TOKEN: Handles = Handles::of(ServerMethod::ProviderToken);
    /// `canvas.*`
    pub const CANVAS: Handles = Handles::of(ServerMethod::Canvas);
    /// `factory.*`
    pub const FACTORY: Handles = Handles::of(ServerMethod::Factory);
    /// `llmInference.*`
    pub const LLM_INFERENCE: Handles = Handles::of(ServerMethod::LlmInference);
    /// `extensionLaunchProvider.*`
    pub const EXTENSION_LAUNCH: Handles = Handles::of(ServerMethod::ExtensionLaunch);
    /// Methods this crate does not know.
    pub const OTHER: Handles = Handles::of(ServerMethod::Other);
    /// `permission.requested` broadcasts (sets `requestPermission` in
    /// [`Config::session_options`]).
    pub const PERMISSIONS: Handles = Handles(1 << 14);
    /// `elicitation.requested` broadcasts (sets `requestElicitation` in
    /// [`Config::session_options`]).
    pub const ELICITATION: Handles = Handles(1 << 15);

    /// The set holding one family.
    pub const fn of(method: ServerMethod) -> Handles {
        Handles(1 << method as u16)
    }

    /// True if `method`'s family is in the set.
    pub const fn contains(self, method: ServerMethod) -> bool {
        self.0 & Handles::of(method).0 != 0
    }

    /// True if every member of `other` is in the set.
    pub const fn contains_all(self, other: Handles) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two sets.
    pub const fn union(self, other: Handles) -> Handles {
        Handles(self.0 | other.0)
    }
}

impl BitOr for Handles {
    type Output = Handles;
    fn bitor(self, rhs: Handles) -> Handles {
        self.union(rhs)
    }
}

impl BitOrAssign for Handles {
    fn bitor_assign(&mut self, rhs: Handles) {
        *self = self.union(rhs);
    }
}
