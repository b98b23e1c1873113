//! Younium auth v2 (`/auth/v2/token`) and v1 (`/auth/token`): the same JSON
//! request `{clientId, secret}`; v2 answers in snake_case
//! (`access_token`, `expires_in`, `expires`), v1 in camelCase
//! (`accessToken`, `expiresIn`, `expires`). Errors: `{"errors":["…"]}`.

use super::{json_post, HttpRequest, JSON};
use crate::core::encoding::json_object;
use crate::core::secret::Secret;

pub(super) fn token_request(url: &str, client_id: &str, secret: &Secret) -> HttpRequest {
    json_post(url, JSON, json_object(&[("clientId", Some(client_id)), ("secret", Some(secret.expose()))]))
}
