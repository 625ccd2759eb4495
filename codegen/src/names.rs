//! Rust names from JSON names.

/// Rust keywords (strict and reserved) that cannot be used as plain identifiers.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Splits a JSON name into lower-case words: `toolCallId` -> `tool call id`,
/// `mcpServerURL` -> `mcp server url`, `user_initiated` -> `user initiated`,
/// `approve-once` -> `approve once`.
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `snake_case`, not yet checked against keywords.
pub fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `PascalCase`; a name that would start with a digit gets a `V` in front.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for w in words(name) {
        let mut cs = w.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// A field or method name: snake case, keywords get a trailing `_`, names that would start
/// with a digit get `n` in front.
pub fn field(name: &str) -> String {
    let mut s = snake(name);
    if s.is_empty() {
        s = "value".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    if KEYWORDS.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// True if a string field with this JSON name holds a secret (its value must never be
/// printed): `token` and `*Token`, `*apiKey*`, `*secret*`, `*password*`, `*cookie*`,
/// `authorization`, `hmac` (the secret of HMAC auth info), and headers written as text
/// (`*headers*`: `headersJson`). The names are those the runtime redacts in JSON at any depth
/// (`src/json/redact.rs`), `*headers*` aside (there, only `*headers`: the name of a boolean
/// like `showReasoningHeaders` is not read as a secret when the type is not known).
pub fn is_secret_string(json: &str) -> bool {
    let l = json.to_ascii_lowercase();
    l.ends_with("token")
        || l.contains("apikey")
        || l.contains("api_key")
        || l.contains("secret")
        || l.contains("password")
        || l.contains("cookie")
        || l.contains("headers")
        || l == "authorization"
        || l == "hmac"
}

/// True if a map-typed (or untyped JSON) field with this JSON name may hold secrets:
/// authorization headers (`*headers`), environment variables (`env`, `environment`: an MCP
/// server's or an extension's, the host's), or a name [`is_secret_string`] takes. Only the
/// exact names are environments: `envVars` and `environmentVariables` hold names of
/// variables, not their values.
pub fn is_secret_map(json: &str) -> bool {
    let l = json.to_ascii_lowercase();
    l.ends_with("headers") || l == "env" || l == "environment" || is_secret_string(json)
}

/// True if a type with this (Rust or schema) name is a secret or carries one: it has the word
/// `secret` or `secrets` (`McpInstallationSecret`, `SandboxProxySecretSave`,
/// `SecretsAddFilterValues`).
pub fn is_secret_type(name: &str) -> bool {
    words(name).iter().any(|w| w == "secret" || w == "secrets")
}

/// True if the field `json` of the type `owner` holds the secret that type is named for: its
/// `value` (or `values`) when [`is_secret_type`] takes `owner`. The other fields of such a
/// type (a placeholder, an id, a location, a flag) name or describe the secret and are
/// printed; a `value` of another type is printed too (`McpInstallationInput.value` is
/// explicitly not a secret).
pub fn is_secret_value(owner: &str, json: &str) -> bool {
    matches!(json, "value" | "values") && is_secret_type(owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts() {
        assert_eq!(snake("toolCallId"), "tool_call_id");
        assert_eq!(snake("mcpServerURL"), "mcp_server_url");
        assert_eq!(snake("gitHubToken"), "git_hub_token");
        assert_eq!(pascal("assistant.message_delta"), "AssistantMessageDelta");
        assert_eq!(pascal("approve-once"), "ApproveOnce");
        assert_eq!(pascal("ENOENT"), "Enoent");
        assert_eq!(pascal("session.model.switchTo"), "SessionModelSwitchTo");
        assert_eq!(field("type"), "type_");
        assert_eq!(field("_meta"), "meta");
        assert!(is_secret_string("gitHubToken"));
        assert!(!is_secret_string("maxOutputTokens"));
        assert!(!is_secret_string("tokenType"));
    }

    #[test]
    fn secrets() {
        for name in [
            "token",
            "accessToken",
            "apiKey",
            "apiKeyCommand",
            "clientSecret",
            "password",
            "authorization",
            "Authorization",
            "hmac",
            "headersJson",
            "cookie",
            "setCookie",
        ] {
            assert!(is_secret_string(name), "{name}");
        }
        for name in [
            "maxOutputTokens",
            "tokenType",
            "tokenizer",
            "tokenCount",
            "authorizationUrl",
            "authorizationId",
            "hasBearerTokenProvider",
            "fileHeader",
            "header",
            "envVar",
            "environmentId",
            "key",
            "value",
        ] {
            assert!(!is_secret_string(name), "{name}");
        }
        for name in [
            "env",
            "ENV",
            "environment",
            "Environment",
            "headers",
            "requestHeaders",
        ] {
            assert!(is_secret_map(name), "{name}");
        }
        for name in [
            "envVars",
            "environmentVariables",
            "githubEnvironment",
            "config",
        ] {
            assert!(!is_secret_map(name), "{name}");
        }
        assert!(is_secret_value("McpInstallationSecret", "value"));
        assert!(is_secret_value("SandboxProxySecretSave", "value"));
        assert!(is_secret_value("SandboxProxySecretGetResult", "value"));
        assert!(is_secret_value("SecretsAddFilterValues", "values"));
        assert!(!is_secret_value("McpInstallationSecret", "placeholder"));
        assert!(!is_secret_value("McpPlanSecretPlaceholder", "key"));
        assert!(!is_secret_value("McpInstallationInput", "value"));
        // A word, not a part of one.
        assert!(!is_secret_type("SecretaryNote"));
    }
}
