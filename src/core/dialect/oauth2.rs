//! OAuth2 client_credentials. The vendor documents a JSON body at
//! `/api/v2/oauth2/token` with `expires_in` as a string; RFC 6749 servers
//! want `application/x-www-form-urlencoded` (§4.4.2) and may want the client
//! to authenticate with HTTP Basic (§2.3.1), where id and secret are each
//! form-urlencoded before being joined and base64-encoded.

use super::{post, BodyEncoding, ClientAuth, HttpRequest, JSON};
use crate::core::encoding::{base64_encode, form_body, form_urlencode, json_object};
use crate::core::secret::Secret;
use crate::core::text::concat;

pub(super) struct Client<'a> {
    pub id: &'a str,
    pub secret: &'a Secret,
    pub scope: Option<&'a str>,
    pub audience: Option<&'a str>,
}

pub(super) fn token_request(url: &str, client: Client<'_>, encoding: BodyEncoding, auth: ClientAuth) -> HttpRequest {
    let in_body = auth == ClientAuth::Body;
    let members = [
        ("grant_type", Some("client_credentials")),
        ("client_id", in_body.then_some(client.id)),
        ("client_secret", in_body.then_some(client.secret.expose())),
        ("scope", client.scope),
        ("audience", client.audience),
    ];
    let mut request = match encoding {
        BodyEncoding::Json => post(url, JSON, JSON, json_object(&members)),
        BodyEncoding::Form => post(url, "application/x-www-form-urlencoded", JSON, form_body(&members)),
    };
    if auth == ClientAuth::Basic {
        let pair = Secret::new(concat(&[&form_urlencode(client.id), ":", &form_urlencode(client.secret.expose())]));
        let header = Secret::new(concat(&["Basic ", &base64_encode(pair.expose().as_bytes())]));
        request.headers.push(("authorization", header));
    }
    request
}
