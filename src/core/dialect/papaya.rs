//! Papaya Global: `POST /token` with `{api_key, client_secret, token_name?}`,
//! answered by `201 Created` and `{valid_until, token, token_name}` where
//! `valid_until` is ISO 8601 without seconds. Errors: `{"error":"…"}`.

use super::{json_post, HttpRequest, Vendor, JSON};
use crate::core::encoding::json_object;
use crate::core::secret::Secret;

pub(super) const VENDOR: Vendor = Vendor {
    name: "papaya",
    token_path: "/token",
    api_version_query: false,
    token_fields: &["token", "access_token", "accessToken"],
    refreshes: false,
    api_headers: false,
    credential_hint: Some("Check apiKey and clientSecret."),
};

pub(super) fn token_request(url: &str, api_key: &Secret, client_secret: &Secret, token_name: Option<&str>) -> HttpRequest {
    json_post(
        url,
        JSON,
        json_object(&[("api_key", Some(api_key.expose())), ("client_secret", Some(client_secret.expose())), ("token_name", token_name)]),
    )
}
