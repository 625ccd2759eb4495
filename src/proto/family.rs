//! [`MethodFamily`]: the families of requests the CLI sends to the client.

/// The families of requests the server sends to the client, by method name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MethodFamily {
    /// `sessionFs.*` (after `sessionFs.setProvider`).
    SessionFs,
    /// `userInput.request`.
    UserInput,
    /// `exitPlanMode.request`.
    ExitPlanMode,
    /// `autoModeSwitch.request`.
    AutoModeSwitch,
    /// `systemMessage.transform`.
    SystemMessageTransform,
    /// `hooks.invoke`.
    Hooks,
    /// `providerToken.getToken`.
    ProviderToken,
    /// `skillProvider.*`.
    SkillProvider,
    /// `tasks.*` (`tasks.cancel`, when `connect` declared the `client` task kind).
    Tasks,
    /// `workflow.*` (called `factory.*` before CLI 1.0.102).
    Workflow,
    /// `canvas.*`.
    Canvas,
    /// `gitHubToken.*` (connection-wide).
    GitHubToken,
    /// `installations.*` (connection-wide).
    Installations,
    /// `llmInference.*` (connection-wide).
    LlmInference,
    /// `extensionLaunchProvider.*` (connection-wide).
    ExtensionLaunch,
    /// `host.*` (connection-wide).
    Host,
    /// Anything else.
    Other,
}

impl MethodFamily {
    /// Every family, in declaration order.
    pub const ALL: [MethodFamily; 17] = [
        MethodFamily::SessionFs,
        MethodFamily::UserInput,
        MethodFamily::ExitPlanMode,
        MethodFamily::AutoModeSwitch,
        MethodFamily::SystemMessageTransform,
        MethodFamily::Hooks,
        MethodFamily::ProviderToken,
        MethodFamily::SkillProvider,
        MethodFamily::Tasks,
        MethodFamily::Workflow,
        MethodFamily::Canvas,
        MethodFamily::GitHubToken,
        MethodFamily::Installations,
        MethodFamily::LlmInference,
        MethodFamily::ExtensionLaunch,
        MethodFamily::Host,
        MethodFamily::Other,
    ];

    /// The family of `method`.
    pub fn of(method: &str) -> Self {
        let (family, _) = method.split_once('.').unwrap_or((method, ""));
        match (family, method) {
            ("sessionFs", _) => MethodFamily::SessionFs,
            (_, "userInput.request") => MethodFamily::UserInput,
            (_, "exitPlanMode.request") => MethodFamily::ExitPlanMode,
            (_, "autoModeSwitch.request") => MethodFamily::AutoModeSwitch,
            (_, "systemMessage.transform") => MethodFamily::SystemMessageTransform,
            (_, "hooks.invoke") => MethodFamily::Hooks,
            (_, "providerToken.getToken") => MethodFamily::ProviderToken,
            ("skillProvider", _) => MethodFamily::SkillProvider,
            ("tasks", _) => MethodFamily::Tasks,
            ("workflow" | "factory", _) => MethodFamily::Workflow,
            ("canvas", _) => MethodFamily::Canvas,
            ("gitHubToken", _) => MethodFamily::GitHubToken,
            ("installations", _) => MethodFamily::Installations,
            ("llmInference", _) => MethodFamily::LlmInference,
            ("extensionLaunchProvider", _) => MethodFamily::ExtensionLaunch,
            ("host", _) => MethodFamily::Host,
            _ => MethodFamily::Other,
        }
    }

    /// True for families whose requests always name a session (`params.sessionId`).
    pub fn is_session_scoped(self) -> bool {
        !matches!(
            self,
            MethodFamily::GitHubToken
                | MethodFamily::Installations
                | MethodFamily::LlmInference
                | MethodFamily::ExtensionLaunch
                | MethodFamily::Host
                | MethodFamily::Other
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_method_name() {
        assert_eq!(
            MethodFamily::of("sessionFs.readFile"),
            MethodFamily::SessionFs
        );
        assert_eq!(MethodFamily::of("factory.execute"), MethodFamily::Workflow);
        assert_eq!(MethodFamily::of("workflow.abort"), MethodFamily::Workflow);
        assert_eq!(MethodFamily::of("tasks.cancel"), MethodFamily::Tasks);
        assert_eq!(MethodFamily::of("userInput"), MethodFamily::Other);
        assert_eq!(MethodFamily::of("brand.new"), MethodFamily::Other);
        assert!(MethodFamily::Tasks.is_session_scoped());
        assert!(!MethodFamily::GitHubToken.is_session_scoped());
        for (i, f) in MethodFamily::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }
}
