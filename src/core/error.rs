//! The error codes of docs/API.md §5 and the failure value the core
//! hands to the shell, which turns it into a JavaScript `AuthError`.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidConfig,
    InvalidCredentials,
    InvalidRequest,
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
        const NAMES: [&str; 9] = [
            "invalid_config",
            "invalid_credentials",
            "invalid_request",
            "forbidden",
            "rate_limited",
            "server_error",
            "invalid_response",
            "network",
            "timeout",
        ];
        NAMES[self as usize]
    }

    /// The code for a token endpoint's non-success HTTP status, when its
    /// body names no OAuth2 error: a vendor's 400 or 401 refuses the
    /// credentials; a 415 refuses the request's format.
    pub fn for_status(status: u16) -> ErrorCode {
        match status {
            400 | 401 => ErrorCode::InvalidCredentials,
            415 => ErrorCode::InvalidRequest,
            403 => ErrorCode::Forbidden,
            429 => ErrorCode::RateLimited,
            500..=599 => ErrorCode::ServerError,
            _ => ErrorCode::InvalidResponse,
        }
    }

    /// The code for a non-success token response: on a 400 or 401 the
    /// OAuth2 `error` decides (RFC 6749 §5.2), else the status does.
    pub fn for_response(status: u16, error: Option<OAuthError>) -> ErrorCode {
        match (status, error) {
            (400 | 401, Some(e)) => e.code(),
            _ => ErrorCode::for_status(status),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` values a token endpoint answers with: RFC 6749 §5.2, and
/// RFC 8707 §2's `invalid_target`. Any other value is a vendor's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
}

impl OAuthError {
    /// In the order of the enum's variants.
    const NAMES: [&'static str; 7] =
        ["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_target"];
    const ALL: [OAuthError; 7] = [
        OAuthError::InvalidRequest,
        OAuthError::InvalidClient,
        OAuthError::InvalidGrant,
        OAuthError::UnauthorizedClient,
        OAuthError::UnsupportedGrantType,
        OAuthError::InvalidScope,
        OAuthError::InvalidTarget,
    ];

    /// Exactly one of the registered values (they are case-sensitive).
    pub fn parse(value: &str) -> Option<OAuthError> {
        OAuthError::ALL.get(super::text::index_of(&OAuthError::NAMES, value)?).copied()
    }

    pub fn as_str(self) -> &'static str {
        OAuthError::NAMES[self as usize]
    }

    /// docs/API.md §5: the client's identity refused is `invalid_credentials`;
    /// anything else refuses the request itself, which is a configuration
    /// problem (`invalid_request`), not a wrong secret.
    pub fn code(self) -> ErrorCode {
        match self {
            OAuthError::InvalidClient | OAuthError::InvalidGrant => ErrorCode::InvalidCredentials,
            _ => ErrorCode::InvalidRequest,
        }
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
    /// The OAuth2 `error` of the response (its body, or on a 401 without
    /// one its `WWW-Authenticate` header), for the oauth2 dialect's format
    /// detection and the hint of what to fix.
    pub oauth_error: Option<OAuthError>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure { code, status: None, messages: Vec::new(), message: message.into(), retry_after_ms: None, oauth_error: None }
    }

    pub fn config(option: &str, reason: &str) -> Self {
        Failure::new(ErrorCode::InvalidConfig, super::text::concat(&["invalid option `", option, "`: ", reason]))
    }
}

/// A failure while reading options, boxed: a `Result` of it is a word or
/// two, where with the 48-byte `Failure` every `?` copied it field by field
/// in the wasm. `Config::from_options` unboxes it.
pub type Fallible<T> = Result<T, Box<Failure>>;

/// `Failure::config`, boxed.
pub fn invalid(option: &str, reason: &str) -> Box<Failure> {
    Box::new(Failure::config(option, reason))
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode::*;
    use super::*;

    #[test]
    fn code_names() {
        let all = [InvalidConfig, InvalidCredentials, InvalidRequest, Forbidden, RateLimited, ServerError, InvalidResponse, Network, Timeout];
        let names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            ["invalid_config", "invalid_credentials", "invalid_request", "forbidden", "rate_limited", "server_error", "invalid_response", "network", "timeout"]
        );
    }

    #[test]
    fn oauth_errors_map_as_rfc_6749_says() {
        for e in OAuthError::ALL {
            assert_eq!(OAuthError::parse(e.as_str()), Some(e));
        }
        assert_eq!(OAuthError::parse("Invalid request"), None, "Papaya's own words are not an OAuth2 code");
        assert_eq!(OAuthError::parse("INVALID_CLIENT"), None);
        let code = |s: &str| ErrorCode::for_response(400, OAuthError::parse(s));
        assert_eq!(code("invalid_client"), InvalidCredentials);
        assert_eq!(code("invalid_grant"), InvalidCredentials);
        for s in ["invalid_request", "invalid_scope", "unsupported_grant_type", "unauthorized_client", "invalid_target"] {
            assert_eq!(code(s), InvalidRequest, "{s}");
        }
        // Vendor bodies without an OAuth2 error keep the status mapping.
        assert_eq!(ErrorCode::for_response(400, None), InvalidCredentials);
        assert_eq!(ErrorCode::for_response(401, None), InvalidCredentials);
        assert_eq!(ErrorCode::for_response(415, None), InvalidRequest);
        assert_eq!(ErrorCode::for_response(403, Some(OAuthError::UnauthorizedClient)), Forbidden);
        assert_eq!(ErrorCode::for_response(500, Some(OAuthError::InvalidRequest)), ServerError);
    }
}
