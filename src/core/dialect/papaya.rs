//! Papaya Global: `POST /token` with `{api_key, client_secret, token_name?}`,
//! answered by `201 Created` and `{valid_until, token, token_name}` where
//! `valid_until` is ISO 8601 without seconds. Errors: `{"error":"…"}`.

use super::{json_post, HttpRequest, JSON};
use crate::core::encoding::json_object;
use crate::core::secret::Secret;

pub(super) fn token_request(url: &str, api_key: &Secret, client_secret: &Secret, token_name: Option<&str>) -> HttpRequest {
    json_post(
        url,
        JSON,
        json_object(&[("api_key", Some(api_key.expose())), ("client_secret", Some(client_secret.expose())), ("token_name", token_name)]),
    )
}
