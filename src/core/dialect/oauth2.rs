//! OAuth2 client_credentials. The vendor documents a JSON body at
//! `/api/v2/oauth2/token` with `expires_in` as a string; RFC 6749 servers
//! want `application/x-www-form-urlencoded` (§4.4.2) and may want the client
//! to authenticate with HTTP Basic (§2.3.1), where id and secret are each
//! form-urlencoded before being joined and base64-encoded. Which of these a
//! server wants is detected ([`Detection`]) unless the options pin it.

use super::{post, BodyEncoding, ClientAuth, HttpRequest, Vendor, ACCESS_TOKEN_FIELDS, JSON};
use crate::core::encoding::{base64_encode, form_body, form_urlencode, json_object};
use crate::core::error::{Failure, OAuthError};
use crate::core::json::write_string;
use crate::core::secret::Secret;
use crate::core::text::concat;

/// The vendor documents `/api/v2/oauth2/token` under its base URL; other
/// servers are given `tokenUrl`.
pub(super) const VENDOR: Vendor = Vendor {
    name: "oauth2",
    token_path: "/api/v2/oauth2/token",
    api_version_query: false,
    token_fields: ACCESS_TOKEN_FIELDS,
    refreshes: false,
    api_headers: false,
    credential_hint: None,
};

pub(super) struct Client<'a> {
    pub id: &'a str,
    pub secret: &'a Secret,
    pub scope: Option<&'a str>,
    pub audience: Option<&'a str>,
    pub resource: &'a [String],
    pub assertion: Option<&'a Secret>,
}

/// RFC 7523 §2.2's `client_assertion_type`.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(super) fn token_request(url: &str, client: Client<'_>, encoding: BodyEncoding, auth: ClientAuth) -> HttpRequest {
    let in_body = auth == ClientAuth::Body;
    let assertion = auth == ClientAuth::Assertion;
    // Pushed in order rather than patched by index: indexing and
    // `Vec::insert` bring panic paths that format integers into the wasm.
    let mut members = vec![
        ("grant_type", Some("client_credentials")),
        // client_id with an assertion too (RFC 7521 §4.2 allows it): servers
        // that look the client up before reading the assertion need it.
        ("client_id", (in_body || assertion).then_some(client.id)),
    ];
    if assertion {
        members.push(("client_assertion_type", Some(ASSERTION_TYPE)));
        members.push(("client_assertion", client.assertion.map(Secret::expose)));
    } else {
        members.push(("client_secret", in_body.then_some(client.secret.expose())));
    }
    members.push(("scope", client.scope));
    members.push(("audience", client.audience));
    let mut request = match encoding {
        BodyEncoding::Json => {
            // One resource is a string member, several an array (JSON has
            // no repeated names).
            if let [one] = client.resource {
                members.push(("resource", Some(one)));
            }
            let mut body = json_object(&members);
            if client.resource.len() > 1 {
                body.truncate(body.len() - 1); // the closing brace
                body.push_str(",\"resource\":[");
                for (i, r) in client.resource.iter().enumerate() {
                    if i > 0 {
                        body.push(',');
                    }
                    write_string(&mut body, r);
                }
                body.push_str("]}");
            }
            post(url, JSON, JSON, body)
        }
        BodyEncoding::Form => {
            // RFC 8707 §2: each resource is its own `resource` parameter.
            for r in client.resource {
                members.push(("resource", Some(r.as_str())));
            }
            post(url, "application/x-www-form-urlencoded", JSON, form_body(&members))
        }
    };
    if auth == ClientAuth::Basic {
        let pair = Secret::new(concat(&[&form_urlencode(client.id), ":", &form_urlencode(client.secret.expose())]));
        let header = Secret::new(concat(&["Basic ", &base64_encode(pair.expose().as_bytes())]));
        request.headers.push(("authorization", header));
    }
    request
}

/// What a failed token request says about the way it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The server refused the body's format: 415; or 400 with `error`
    /// `invalid_request` or `unsupported_grant_type` (what a server that
    /// reads only forms says of a JSON body it read as empty); or a 400 whose
    /// body is no OAuth2 error at all.
    Format,
    /// The server did not recognise the client: `invalid_client` (401, or
    /// 400 as RFC 6749 §5.2 allows when no Authorization header was sent),
    /// or a 401 that names no other error. A server that wants HTTP Basic
    /// answers credentials in the body this way.
    Client,
}

impl Refusal {
    pub fn of(failure: &Failure) -> Option<Refusal> {
        match (failure.status?, failure.oauth_error) {
            (415, _) | (400, None | Some(OAuthError::InvalidRequest | OAuthError::UnsupportedGrantType)) => Some(Refusal::Format),
            (400 | 401, Some(OAuthError::InvalidClient)) | (401, None) => Some(Refusal::Client),
            _ => None,
        }
    }
}

/// How the oauth2 dialect sends its token request, and what it has learnt
/// about the server (docs/API.md §2, `bodyEncoding` and `clientAuth`). The
/// decisions, all here (golang.org/x/oauth2's auto-detection is the anchor):
///
/// - unpinned, the first request is the seed vendor's: JSON, credentials
///   in the body;
/// - after a [`Refusal::Format`] the body becomes a form, once and for good;
/// - after a [`Refusal::Client`] the credentials move to HTTP Basic, once
///   and for good;
/// - once a token is issued nothing changes again ([`Detection::settle`]):
///   what worked is kept for the client's life;
/// - a pinned axis never changes.
///
/// Each axis changes at most once, so one call sends at most three requests
/// (JSON → form → form with Basic), and the state outlives the call: a later
/// call starts where the last one ended and never resends a format the
/// server refused. Wrong credentials: up to three requests on the first
/// call, one on each call after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detection {
    pub encoding: BodyEncoding,
    pub auth: ClientAuth,
    /// Set by the `bodyEncoding` / `clientAuth` options.
    pub encoding_pinned: bool,
    pub auth_pinned: bool,
    /// Whether the axis may still change: not pinned, not changed yet, and
    /// no token issued yet.
    encoding_open: bool,
    auth_open: bool,
}

impl Detection {
    /// The starting point: the pins where given, else JSON with the
    /// credentials in the body.
    pub fn new(encoding: Option<BodyEncoding>, auth: Option<ClientAuth>) -> Detection {
        Detection {
            encoding: encoding.unwrap_or(BodyEncoding::Json),
            auth: auth.unwrap_or(ClientAuth::Body),
            encoding_pinned: encoding.is_some(),
            auth_pinned: auth.is_some(),
            encoding_open: encoding.is_none(),
            auth_open: auth.is_none(),
        }
    }

    /// A token was issued the way `self` says: keep it for the client's life.
    pub fn settle(&mut self) {
        self.encoding_open = false;
        self.auth_open = false;
    }

    /// After a failed token request sent the way `self` says: whether to
    /// send it again, changed as the failure calls for.
    pub fn after_failure(&mut self, failure: &Failure) -> bool {
        match Refusal::of(failure) {
            Some(Refusal::Format) if self.encoding_open => {
                self.encoding = BodyEncoding::Form;
                self.encoding_open = false;
                true
            }
            Some(Refusal::Client) if self.auth_open => {
                self.auth = ClientAuth::Basic;
                self.auth_open = false;
                true
            }
            _ => false,
        }
    }

    /// Whether the encoding was changed to a form after the server refused JSON.
    pub fn json_refused(&self) -> bool {
        !self.encoding_pinned && self.encoding == BodyEncoding::Form
    }

    /// Whether the credentials moved to Basic after the server refused them in the body.
    pub fn body_auth_refused(&self) -> bool {
        !self.auth_pinned && self.auth == ClientAuth::Basic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    fn failure(status: u16, error: Option<&str>) -> Failure {
        let oauth_error = error.and_then(OAuthError::parse);
        let mut f = Failure::new(ErrorCode::for_response(status, oauth_error), "x");
        f.status = Some(status);
        f.oauth_error = oauth_error;
        f
    }

    const JSON_BODY: (BodyEncoding, ClientAuth) = (BodyEncoding::Json, ClientAuth::Body);
    const FORM_BODY: (BodyEncoding, ClientAuth) = (BodyEncoding::Form, ClientAuth::Body);
    const FORM_BASIC: (BodyEncoding, ClientAuth) = (BodyEncoding::Form, ClientAuth::Basic);

    fn sent(d: &Detection) -> (BodyEncoding, ClientAuth) {
        (d.encoding, d.auth)
    }

    #[test]
    fn refusals() {
        assert_eq!(Refusal::of(&failure(415, None)), Some(Refusal::Format));
        assert_eq!(Refusal::of(&failure(400, Some("invalid_request"))), Some(Refusal::Format));
        assert_eq!(Refusal::of(&failure(400, Some("unsupported_grant_type"))), Some(Refusal::Format));
        assert_eq!(Refusal::of(&failure(400, None)), Some(Refusal::Format), "a 400 that is no OAuth2 error");
        assert_eq!(Refusal::of(&failure(401, Some("invalid_client"))), Some(Refusal::Client));
        assert_eq!(Refusal::of(&failure(400, Some("invalid_client"))), Some(Refusal::Client));
        assert_eq!(Refusal::of(&failure(401, None)), Some(Refusal::Client));
        for (status, error) in [(400, Some("invalid_scope")), (400, Some("invalid_target")), (400, Some("unauthorized_client")), (400, Some("invalid_grant")), (401, Some("invalid_grant")), (403, None), (404, None), (429, None), (500, None), (200, Some("invalid_client"))] {
            assert_eq!(Refusal::of(&failure(status, error)), None, "{status} {error:?}");
        }
        let mut network = failure(400, None);
        network.status = None;
        assert_eq!(Refusal::of(&network), None);
    }

    #[test]
    fn a_standards_server_that_wants_a_form_and_basic() {
        // oidc-provider with a client_secret_basic client: JSON → 400
        // invalid_request; form, secret in the body → 401 invalid_client;
        // form with Basic → a token.
        let mut d = Detection::new(None, None);
        assert_eq!(sent(&d), JSON_BODY);
        assert!(d.after_failure(&failure(400, Some("invalid_request"))));
        assert_eq!(sent(&d), FORM_BODY);
        assert!(d.after_failure(&failure(401, Some("invalid_client"))));
        assert_eq!(sent(&d), FORM_BASIC);
        d.settle();
        // Kept for the client's life: a later refusal changes nothing.
        assert!(!d.after_failure(&failure(401, Some("invalid_client"))));
        assert!(!d.after_failure(&failure(400, Some("invalid_request"))));
        assert_eq!(sent(&d), FORM_BASIC);
        assert!(d.json_refused() && d.body_auth_refused());
    }

    #[test]
    fn the_seed_vendor_keeps_json_and_the_body() {
        let mut d = Detection::new(None, None);
        d.settle();
        assert!(!d.after_failure(&failure(400, Some("invalid_request"))));
        assert!(!d.after_failure(&failure(401, Some("invalid_client"))));
        assert_eq!(sent(&d), JSON_BODY);
        assert!(!d.json_refused() && !d.body_auth_refused());
    }

    #[test]
    fn each_axis_changes_once_so_a_call_sends_at_most_three_requests() {
        // Wrong secret at a form-only server: JSON refused, then the client
        // refused in the body and with Basic.
        let mut d = Detection::new(None, None);
        let answers = [failure(415, None), failure(400, Some("invalid_client")), failure(401, Some("invalid_client"))];
        let mut requests = 1;
        for f in &answers {
            if !d.after_failure(f) {
                break;
            }
            requests += 1;
        }
        assert_eq!(requests, 3);
        // The next call starts where this one ended: one request, never JSON again.
        assert_eq!(sent(&d), FORM_BASIC);
        assert!(!d.after_failure(&failure(401, Some("invalid_client"))));
        assert!(!d.after_failure(&failure(415, None)));
        // Any order of refusals: still at most two changes.
        let mut d = Detection::new(None, None);
        assert!(d.after_failure(&failure(401, None)));
        assert!(!d.after_failure(&failure(401, None)));
        assert!(d.after_failure(&failure(400, None)));
        assert!(!d.after_failure(&failure(400, None)));
        assert_eq!(sent(&d), FORM_BASIC);
    }

    #[test]
    fn pinned_axes_never_change() {
        let mut d = Detection::new(Some(BodyEncoding::Json), None);
        assert!(!d.after_failure(&failure(400, Some("invalid_request"))));
        assert!(d.after_failure(&failure(401, Some("invalid_client"))));
        assert_eq!(sent(&d), (BodyEncoding::Json, ClientAuth::Basic));
        let mut d = Detection::new(None, Some(ClientAuth::Body));
        assert!(!d.after_failure(&failure(401, Some("invalid_client"))));
        assert!(d.after_failure(&failure(415, None)));
        assert_eq!(sent(&d), FORM_BODY);
        assert!(d.json_refused() && !d.body_auth_refused());
        let mut d = Detection::new(Some(BodyEncoding::Form), Some(ClientAuth::Basic));
        assert!(!d.after_failure(&failure(415, None)) && !d.after_failure(&failure(401, None)));
        assert!(!d.json_refused() && !d.body_auth_refused(), "pinned, not detected");
    }

    #[test]
    fn failures_that_refuse_nothing_leave_it_open() {
        let mut d = Detection::new(None, None);
        for f in [failure(500, None), failure(429, None), failure(400, Some("invalid_scope")), failure(404, None)] {
            assert!(!d.after_failure(&f));
        }
        assert_eq!(sent(&d), JSON_BODY);
        assert!(d.after_failure(&failure(400, Some("unsupported_grant_type"))), "still open");
    }
}
