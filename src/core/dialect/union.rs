//! IST-Pay's Keycloak-backed union-service: a password grant at
//! `/union-service/auth/token` and a refresh-token grant at
//! `/union-service/auth/refresh-token`, both `?api-version=1.0`, both
//! answering with Keycloak's token shape. The guide's example asks for
//! `application/vnd.restful+json`; JSON is accepted too.

use super::{json_post, HttpRequest, Vendor, ACCESS_TOKEN_FIELDS};
use crate::core::encoding::json_object;
use crate::core::secret::Secret;

pub(super) const VENDOR: Vendor = Vendor {
    name: "union",
    token_path: "/union-service/auth/token",
    api_version_query: true,
    token_fields: ACCESS_TOKEN_FIELDS,
    refreshes: true,
    api_headers: false,
    credential_hint: Some("Check username and password."),
};

/// The refresh-token grant's path under the base URL (with `?api-version=`, as the token path).
pub(super) const REFRESH_PATH: &str = "/union-service/auth/refresh-token";

const ACCEPT: &str = "application/vnd.restful+json, application/json";

pub(super) fn token_request(url: &str, username: &str, password: &Secret) -> HttpRequest {
    json_post(url, ACCEPT, json_object(&[("username", Some(username)), ("password", Some(password.expose()))]))
}

pub(super) fn refresh_request(url: &str, refresh_token: &Secret) -> HttpRequest {
    json_post(url, ACCEPT, json_object(&[("refreshToken", Some(refresh_token.expose()))]))
}
