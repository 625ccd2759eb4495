//! The simulated CLI's model for the `chat` examples (used when `COPILOT_CLI_PATH` is not
//! set): asked about the time, it calls the `local_time` tool; asked anything else, it
//! answers from what it was asked.

use copilot_sansio::sim::{ModelReply, SimConfig};

/// The script.
pub fn simulated_cli() -> SimConfig<'static> {
    static TIME: ModelReply<'static> = ModelReply::ToolCall {
        tool: "local_time",
        arguments: r#"{"zone":"UTC"}"#,
        then: "I asked the local_time tool; it answered with the current UTC time, so that is the time now. Anything else?",
    };
    static KEYED: [(&str, ModelReply<'static>); 2] = [("time", TIME), ("clock", TIME)];
    static OTHERWISE: [ModelReply<'static>; 1] = [ModelReply::Echo {
        before: "You asked: \"",
        after: "\". I am the simulated Copilot CLI: I can only tell the time. Set COPILOT_CLI_PATH to talk to the real one.",
    }];
    SimConfig::default()
        .keyed(&KEYED)
        .replies(&OTHERWISE)
        .delta_len(12)
}
