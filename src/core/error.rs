//! The error codes of docs/API.md §5 and the failure value the core
//! hands to the shell, which turns it into a JavaScript `AuthError`.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidConfig,
    InvalidCredentials,
    Forbidden,
    RateLimited,
    ServerError,
    InvalidResponse,
    Network,
    Timeout,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        // In the order of the enum's variants: a table lookup, smaller in the
        // wasm than a match.
        const NAMES: [&str; 8] =
            ["invalid_config", "invalid_credentials", "forbidden", "rate_limited", "server_error", "invalid_response", "network", "timeout"];
        NAMES[self as usize]
    }

    /// The code for a token endpoint's non-success HTTP status.
    pub fn for_status(status: u16) -> ErrorCode {
        match status {
            400 | 401 => ErrorCode::InvalidCredentials,
            403 => ErrorCode::Forbidden,
            429 => ErrorCode::RateLimited,
            500..=599 => ErrorCode::ServerError,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure, already free of secrets: `message` and `messages` have been
/// redacted where they were built, so the shell can show them as they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub code: ErrorCode,
    pub status: Option<u16>,
    pub messages: Vec<String>,
    pub message: String,
    /// From a `Retry-After` header on 429/503, for the retry policy.
    pub retry_after_ms: Option<u64>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure { code, status: None, messages: Vec::new(), message: message.into(), retry_after_ms: None }
    }

    pub fn config(option: &str, reason: &str) -> Self {
        Failure::new(ErrorCode::InvalidConfig, super::text::concat(&["invalid option `", option, "`: ", reason]))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode::*;

    #[test]
    fn code_names() {
        let all = [InvalidConfig, InvalidCredentials, Forbidden, RateLimited, ServerError, InvalidResponse, Network, Timeout];
        let names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["invalid_config", "invalid_credentials", "forbidden", "rate_limited", "server_error", "invalid_response", "network", "timeout"]);
    }
}
