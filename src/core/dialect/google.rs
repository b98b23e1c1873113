//! Google service accounts: the JWT-bearer grant (RFC 7523 §2.1) as Google
//! documents it for server-to-server apps: a form post of
//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`,
//! the assertion an RS256 JWT signed with the service account's key
//! (`iss` = `client_email`, `scope`, `aud` = `token_uri`, at most an hour,
//! `sub` for domain-wide delegation: `core::jwt`, `Config::signing_input`).

use super::{post, HttpRequest, Vendor, ACCESS_TOKEN_FIELDS, JSON};
use crate::core::encoding::form_body;
use crate::core::secret::Secret;

/// The token endpoint is the key file's `token_uri` (or [`TOKEN_URL`]),
/// never derived from `baseUrl`: `token_path` is not used.
pub(super) const VENDOR: Vendor = Vendor {
    name: "google",
    token_path: "/token",
    api_version_query: false,
    token_fields: ACCESS_TOKEN_FIELDS,
    refreshes: false,
    api_headers: false,
    credential_hint: Some("Check serviceAccount: Google refused the signed assertion (a deleted or disabled key, a private_key that is not private_key_id's, or a subject the account may not act for)."),
};

/// A key file's `token_uri` when it has none.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub(super) fn token_request(url: &str, assertion: Option<&Secret>) -> HttpRequest {
    post(url, "application/x-www-form-urlencoded", JSON, form_body(&[("grant_type", Some(GRANT)), ("assertion", assertion.map(Secret::expose))]))
}
