//! [`Tool`]: a tool from a closure or a function, with its name, description and JSON Schema.

use std::boxed::Box;
use std::fmt;
use std::format;
use std::string::{String, ToString};

use serde::de::DeserializeOwned;

use crate::driver::copilot::CopilotError;
use crate::json::RawJson;
use crate::proto::params::ToolDeclaration;

/// What a tool returns to the model: text, or JSON (sent as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolOutput {
    /// Text for the model.
    Text(String),
    /// Structured output, as JSON text.
    Json(String),
}

impl ToolOutput {
    /// The text sent to the CLI.
    pub fn as_str(&self) -> &str {
        match self {
            ToolOutput::Text(s) | ToolOutput::Json(s) => s,
        }
    }
}

impl From<String> for ToolOutput {
    fn from(s: String) -> Self {
        ToolOutput::Text(s)
    }
}

impl From<&str> for ToolOutput {
    fn from(s: &str) -> Self {
        ToolOutput::Text(s.into())
    }
}

impl From<serde_json::Value> for ToolOutput {
    fn from(v: serde_json::Value) -> Self {
        ToolOutput::Json(v.to_string())
    }
}

/// The function behind a tool: the call's arguments in, the output or a failure out.
type ToolFn = dyn FnMut(RawJson<'_>) -> Result<ToolOutput, String> + Send;

/// A tool the model can call, run by the session's [`Handlers`](crate::driver::Handlers): a
/// name, a description, the JSON Schema of its arguments, and a closure or function.
///
/// The function gets the call's arguments ([`RawJson`], borrowed) and returns text or JSON
/// ([`ToolOutput`], from a `String`, a `&str` or a `serde_json::Value`), or an error, which the
/// model is told about. [`typed`](Self::typed) reads the arguments into a type of yours.
///
/// ```
/// use copilot_sansio::driver::Tool;
///
/// let shout = Tool::new(
///     "shout",
///     "Repeats a text in capitals",
///     r#"{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}"#,
///     |args| match args.get_str("text") {
///         Some(text) => Ok(text.to_string().to_uppercase()),
///         None => Err("no text"),
///     },
/// );
/// assert_eq!(shout.name(), "shout");
/// ```
pub struct Tool {
    name: String,
    description: String,
    schema: String,
    skip_permission: bool,
    run: Box<ToolFn>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("schema", &self.schema)
            .field("skip_permission", &self.skip_permission)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// A tool named `name` whose arguments follow the JSON Schema `schema` (checked when the
    /// session is created), run by `run`.
    pub fn new<O, E, F>(
        name: impl Into<String>,
        description: impl Into<String>,
        schema: impl Into<String>,
        mut run: F,
    ) -> Self
    where
        F: FnMut(RawJson<'_>) -> Result<O, E> + Send + 'static,
        O: Into<ToolOutput>,
        E: fmt::Display,
    {
        Tool {
            name: name.into(),
            description: description.into(),
            schema: schema.into(),
            skip_permission: false,
            run: Box::new(move |args| run(args).map(Into::into).map_err(|e| e.to_string())),
        }
    }

    /// A tool whose arguments are read into `A` (with serde_json) before `run` gets them; a
    /// call whose arguments do not fit fails, and the model is told why.
    pub fn typed<A, O, E, F>(
        name: impl Into<String>,
        description: impl Into<String>,
        schema: impl Into<String>,
        mut run: F,
    ) -> Self
    where
        A: DeserializeOwned,
        F: FnMut(A) -> Result<O, E> + Send + 'static,
        O: Into<ToolOutput>,
        E: fmt::Display,
    {
        Tool::new(name, description, schema, move |args: RawJson<'_>| {
            let args: A = serde_json::from_str(args.text())
                .map_err(|e| format!("the arguments do not fit the tool's schema: {e}"))?;
            run(args).map_err(|e| e.to_string())
        })
    }

    /// Runs without asking for permission (`skipPermission`).
    #[must_use]
    pub fn skip_permission(mut self) -> Self {
        self.skip_permission = true;
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs it on `args`.
    pub fn call(&mut self, args: RawJson<'_>) -> Result<ToolOutput, String> {
        (self.run)(args)
    }

    /// What `session.create` declares for it.
    pub(crate) fn declaration(&self) -> Result<ToolDeclaration<'_>, CopilotError> {
        let schema = RawJson::parse(&self.schema).map_err(|_| CopilotError::InvalidToolSchema {
            tool: self.name.clone(),
        })?;
        let tool = ToolDeclaration::new(&self.name, &self.description).parameters(schema);
        Ok(match self.skip_permission {
            true => tool.skip_permission(true),
            false => tool,
        })
    }
}
