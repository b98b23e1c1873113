//! Younium auth v2 (`/auth/v2/token`) and v1 (`/auth/token`): the same JSON
//! request `{clientId, secret}`; v2 answers in snake_case
//! (`access_token`, `expires_in`, `expires`), v1 in camelCase
//! (`accessToken`, `expiresIn`, `expires`). Errors: `{"errors":["…"]}`.

use super::{json_post, HttpRequest, Vendor, ACCESS_TOKEN_FIELDS, JSON};
use crate::core::encoding::json_object;
use crate::core::secret::Secret;

pub(super) fn token_request(url: &str, client_id: &str, secret: &Secret) -> HttpRequest {
    json_post(url, JSON, json_object(&[("clientId", Some(client_id)), ("secret", Some(secret.expose()))]))
}

pub(super) const V2: Vendor = Vendor {
    name: "younium",
    token_path: "/auth/v2/token",
    api_version_query: false,
    token_fields: ACCESS_TOKEN_FIELDS,
    refreshes: false,
    api_headers: true,
    credential_hint: Some("Check clientId and secret."),
};

pub(super) const V1: Vendor = Vendor {
    name: "younium-v1",
    token_path: "/auth/token",
    token_fields: &["accessToken", "access_token", "token"],
    ..V2
};

/// The hosts by `environment` index (production, sandbox, us-production,
/// us-sandbox). The v1 guide spells the US sandbox host differently from
/// the v2 guide, and each is kept as its guide says.
pub(super) fn environment_host(v1: bool, environment: usize) -> &'static str {
    const V2_HOSTS: [&str; 4] = ["https://api.younium.com", "https://api.sandbox.younium.com", "https://api.us.younium.com", "https://api.sandbox.us.younium.com"];
    const V1_US_SANDBOX: &str = "https://api.us.sandbox.younium.com";
    match (v1, environment) {
        (true, 3) => V1_US_SANDBOX,
        (_, i) => V2_HOSTS[i.min(3)],
    }
}
