//! What to fix: the option a failed token request most likely points at,
//! added to the failure's message (docs/API.md §5). Our own words only, so
//! nothing here can carry a secret.

use super::config::Config;
use super::dialect::{BodyEncoding, ClientAuth, Detection, Provider, Refusal};
use super::error::{ErrorCode, Failure, OAuthError};

/// The likely fix for `failure`, from a request sent the way `sent` says.
pub fn likely_fix(config: &Config, sent: &Detection, failure: &Failure) -> Option<&'static str> {
    let status = failure.status?;
    if matches!(status, 404 | 405) {
        return Some(if config.token_url_given {
            "Check tokenUrl: no token endpoint answers there."
        } else {
            "Set tokenUrl to the server's token endpoint: this URL was derived from baseUrl."
        });
    }
    if config.provider != Provider::OAuth2 {
        return config.provider.vendor().credential_hint.filter(|_| failure.code == ErrorCode::InvalidCredentials);
    }
    match failure.oauth_error {
        Some(OAuthError::InvalidScope) => return Some("The server refused the scope: check the scope option."),
        Some(OAuthError::InvalidTarget) => return Some("The server refused the resource indicator: check the resource option."),
        Some(OAuthError::UnauthorizedClient) => {
            return Some("The server does not let this client use the client_credentials grant: allow it for the client on the server.")
        }
        _ => {}
    }
    let refusal = if (200..300).contains(&status) {
        // A 200 that carries an error: the error alone says what it refuses.
        (failure.oauth_error == Some(OAuthError::InvalidClient)).then_some(Refusal::Client)
    } else {
        Refusal::of(failure)
    };
    match (refusal, sent.encoding, sent.auth) {
        (Some(Refusal::Format), BodyEncoding::Json, _) if sent.encoding_pinned => Some("The server refused the JSON body: set bodyEncoding: \"form\"."),
        (Some(Refusal::Format), BodyEncoding::Form, _) if sent.encoding_pinned && status == 415 => {
            Some("The server refused the form body: set bodyEncoding: \"json\".")
        }
        (Some(Refusal::Format), BodyEncoding::Form, _) if failure.oauth_error == Some(OAuthError::UnsupportedGrantType) => {
            Some("The server does not take the client_credentials grant there: check tokenUrl.")
        }
        (Some(Refusal::Client), _, ClientAuth::Assertion) => Some(match config.credentials.signing_key().map(|k| k.algorithm) {
            Some(crate::core::jwt::Algorithm::Hs256) => "Check clientId and clientSecret: the server refused the client assertion signed with the secret.",
            _ => "Check clientId, privateKey and keyId: the server refused the signed client assertion (is this key's public part registered for the client?).",
        }),
        (Some(Refusal::Client), _, ClientAuth::Body) if sent.auth_pinned => {
            Some("Check clientId and clientSecret, or set clientAuth: \"basic\" if the server wants HTTP Basic.")
        }
        (Some(Refusal::Client), _, ClientAuth::Basic) if sent.body_auth_refused() => {
            Some("Check clientId and clientSecret: the server refused them in the body and with HTTP Basic.")
        }
        (Some(Refusal::Client), _, ClientAuth::Basic) => Some("Check clientId and clientSecret, or set clientAuth: \"body\" if the server wants them in the body."),
        (Some(Refusal::Client), ..) => Some("Check clientId and clientSecret."),
        _ => None,
    }
}

/// Appends the likely fix, if there is one, to `failure.message`.
pub fn add_likely_fix(config: &Config, sent: &Detection, failure: &mut Failure) {
    if let Some(fix) = likely_fix(config, sent, failure) {
        failure.message.push_str(if failure.message.as_bytes().last() == Some(&b'.') { " " } else { ". " });
        failure.message.push_str(fix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::opts;
    use crate::core::config::OptionValue;

    fn config(extra: &[(&'static str, &str)]) -> Config {
        let mut o = opts(&[("provider", "oauth2"), ("baseUrl", "https://h"), ("clientId", "i"), ("clientSecret", "s")]);
        for (k, v) in extra {
            o.0.insert(k, OptionValue::Str((*v).to_owned()));
        }
        Config::from_options(&o).unwrap()
    }

    fn failure(status: u16, error: Option<&str>) -> Failure {
        let oauth_error = error.and_then(OAuthError::parse);
        let mut f = Failure::new(ErrorCode::for_response(status, oauth_error), "oauth2 token request to https://h/t failed with HTTP x");
        f.status = Some(status);
        f.oauth_error = oauth_error;
        f
    }

    fn fix(config: &Config, sent: &Detection, status: u16, error: Option<&str>) -> Option<&'static str> {
        likely_fix(config, sent, &failure(status, error))
    }

    #[test]
    fn the_token_path_gave_404() {
        let derived = config(&[]);
        let d = derived.detection();
        assert_eq!(fix(&derived, &d, 404, None), Some("Set tokenUrl to the server's token endpoint: this URL was derived from baseUrl."));
        let given = config(&[("tokenUrl", "https://h/oauth/token")]);
        assert_eq!(fix(&given, &d, 405, None), Some("Check tokenUrl: no token endpoint answers there."));
    }

    #[test]
    fn a_pinned_json_body_refused() {
        let c = config(&[("bodyEncoding", "json")]);
        let d = c.detection();
        for (status, error) in [(400, Some("invalid_request")), (400, Some("unsupported_grant_type")), (415, None), (400, None)] {
            assert_eq!(fix(&c, &d, status, error), Some("The server refused the JSON body: set bodyEncoding: \"form\"."), "{status}");
        }
        // Unpinned, the form is tried instead of hinted at.
        let c = config(&[]);
        assert_eq!(fix(&c, &c.detection(), 400, Some("invalid_request")), None);
    }

    #[test]
    fn scope_resource_and_grant() {
        let c = config(&[]);
        let d = c.detection();
        assert_eq!(fix(&c, &d, 400, Some("invalid_scope")), Some("The server refused the scope: check the scope option."));
        assert_eq!(fix(&c, &d, 400, Some("invalid_target")), Some("The server refused the resource indicator: check the resource option."));
        assert!(fix(&c, &d, 400, Some("unauthorized_client")).unwrap().contains("client_credentials grant"));
        assert!(fix(&c, &d, 200, Some("invalid_scope")).unwrap().contains("scope option"), "a 200 carrying the error too");
        let mut form = d;
        form.encoding = BodyEncoding::Form;
        assert_eq!(fix(&c, &form, 400, Some("unsupported_grant_type")), Some("The server does not take the client_credentials grant there: check tokenUrl."));
    }

    #[test]
    fn the_client_refused() {
        let c = config(&[("clientAuth", "body")]);
        assert!(fix(&c, &c.detection(), 401, Some("invalid_client")).unwrap().contains("set clientAuth: \"basic\""));
        let c = config(&[("clientAuth", "basic")]);
        assert!(fix(&c, &c.detection(), 401, None).unwrap().contains("set clientAuth: \"body\""));
        let c = config(&[]);
        let mut d = c.detection();
        assert!(d.after_failure(&failure(401, Some("invalid_client"))));
        assert_eq!(fix(&c, &d, 401, Some("invalid_client")), Some("Check clientId and clientSecret: the server refused them in the body and with HTTP Basic."));
        assert_eq!(fix(&c, &d, 200, Some("invalid_client")), Some("Check clientId and clientSecret: the server refused them in the body and with HTTP Basic."));
        assert_eq!(fix(&c, &d, 500, None), None);
    }

    #[test]
    fn other_dialects_name_their_credentials() {
        let mut o = opts(&[("provider", "union"), ("baseUrl", "https://h"), ("username", "u"), ("password", "p")]);
        let c = Config::from_options(&o).unwrap();
        let d = c.detection();
        assert_eq!(fix(&c, &d, 401, None), Some("Check username and password."));
        assert_eq!(fix(&c, &d, 400, Some("invalid_request")), None, "union: a refused request, not its credentials");
        o.0.insert("provider", OptionValue::Str("younium".into()));
        o.0.insert("clientId", OptionValue::Str("i".into()));
        o.0.insert("secret", OptionValue::Str("s".into()));
        let c = Config::from_options(&o).unwrap();
        assert_eq!(fix(&c, &d, 400, None), Some("Check clientId and secret."));
        assert_eq!(fix(&c, &d, 403, None), None);
    }

    #[test]
    fn the_fix_follows_the_message() {
        let c = config(&[]);
        let mut f = failure(404, None);
        add_likely_fix(&c, &c.detection(), &mut f);
        assert_eq!(f.message, "oauth2 token request to https://h/t failed with HTTP x. Set tokenUrl to the server's token endpoint: this URL was derived from baseUrl.");
        let mut f = failure(500, None);
        add_likely_fix(&c, &c.detection(), &mut f);
        assert!(f.message.ends_with("HTTP x"));
    }
}
