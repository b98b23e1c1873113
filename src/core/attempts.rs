//! The attempts of one token acquisition, under one budget: the oauth2
//! dialect's resends in another format ([`Detection`]) and the retries of a
//! server error ([`token_retry`]) together send at most
//! [`MAX_TOKEN_REQUESTS`] requests per grant (docs/API.md §3). The shell
//! sends what this says and nothing else.

use super::config::Config;
use super::dialect::Detection;
use super::error::Failure;
use super::hint::add_likely_fix;
use super::schedule::{token_retry, MAX_TOKEN_RETRIES};

/// Token requests of one grant in one call, at most.
pub const MAX_TOKEN_REQUESTS: u32 = MAX_TOKEN_RETRIES + 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send the request again at once, built the way the detection now says.
    Resend,
    /// Send the same request again after this many milliseconds.
    RetryAfter(u64),
    /// Report the failure (its message now names the likely fix).
    GiveUp,
}

/// After request number `sent` (1 for the first) of a grant failed with
/// `failure`: what to do next. The detection learns from every failure,
/// the last one included, so the next call does not resend a refused
/// format. `jitter` is 0..1; `budget_ms` is what is left of `timeoutMs` for
/// waiting.
pub fn after_failure(config: &Config, detection: &mut Detection, failure: &mut Failure, sent: u32, jitter: f64, budget_ms: u64) -> Next {
    let as_sent = *detection;
    let resend = detection.after_failure(failure);
    let next = if sent >= MAX_TOKEN_REQUESTS {
        Next::GiveUp
    } else if resend {
        Next::Resend
    } else {
        token_retry(failure, sent - 1, jitter, budget_ms).map_or(Next::GiveUp, Next::RetryAfter)
    };
    if next == Next::GiveUp {
        add_likely_fix(config, &as_sent, failure);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::opts;
    use crate::core::dialect::{BodyEncoding, ClientAuth};
    use crate::core::error::{ErrorCode, OAuthError};

    fn config() -> Config {
        Config::from_options(&opts(&[("provider", "oauth2"), ("tokenUrl", "https://h/token"), ("clientId", "i"), ("clientSecret", "s")])).unwrap()
    }

    fn failure(status: u16, error: Option<&str>) -> Failure {
        let oauth_error = error.and_then(OAuthError::parse);
        let mut f = Failure::new(ErrorCode::for_response(status, oauth_error), "m");
        f.status = Some(status);
        f.oauth_error = oauth_error;
        f
    }

    /// Runs one call against answers given in order; returns the requests sent and the outcome.
    fn call(config: &Config, d: &mut Detection, answers: &[Failure]) -> (u32, Option<Failure>) {
        let mut sent = 1;
        for a in answers {
            let mut f = a.clone();
            match after_failure(config, d, &mut f, sent, 0.5, 10_000) {
                Next::GiveUp => return (sent, Some(f)),
                Next::Resend | Next::RetryAfter(_) => sent += 1,
            }
        }
        (sent, None)
    }

    #[test]
    fn detection_and_server_errors_share_three_requests() {
        let c = config();
        let mut d = c.detection();
        // 500 twice, then the format refused on the third: no fourth request…
        let (sent, f) = call(&c, &mut d, &[failure(500, None), failure(500, None), failure(400, Some("invalid_request"))]);
        assert_eq!(sent, 3);
        assert_eq!(f.unwrap().code, ErrorCode::InvalidRequest);
        // …but the refusal was learnt: the next call sends a form.
        assert_eq!(d.encoding, BodyEncoding::Form);
    }

    #[test]
    fn wrong_secret_at_a_form_only_server() {
        let c = config();
        let mut d = c.detection();
        let (sent, f) = call(&c, &mut d, &[failure(400, Some("invalid_request")), failure(400, Some("invalid_client")), failure(401, Some("invalid_client"))]);
        assert_eq!(sent, 3, "JSON, form, form with Basic");
        let f = f.unwrap();
        assert_eq!(f.code, ErrorCode::InvalidCredentials);
        assert!(f.message.ends_with("m. Check clientId and clientSecret: the server refused them in the body and with HTTP Basic."), "{}", f.message);
        // Every later call: one request.
        let (sent, f) = call(&c, &mut d, &[failure(401, Some("invalid_client"))]);
        assert_eq!((sent, f.unwrap().code), (1, ErrorCode::InvalidCredentials));
        assert_eq!((d.encoding, d.auth), (BodyEncoding::Form, ClientAuth::Basic));
    }

    #[test]
    fn a_resend_is_immediate_and_a_5xx_waits() {
        let c = config();
        let mut d = c.detection();
        assert_eq!(after_failure(&c, &mut d, &mut failure(415, None), 1, 0.5, 10_000), Next::Resend);
        assert!(matches!(after_failure(&c, &mut d, &mut failure(502, None), 2, 0.5, 10_000), Next::RetryAfter(_)));
        assert_eq!(after_failure(&c, &mut d, &mut failure(502, None), 3, 0.5, 10_000), Next::GiveUp);
    }

    #[test]
    fn the_fix_is_named_only_on_giving_up() {
        let c = config();
        let mut d = c.detection();
        let mut f = failure(415, None);
        assert_eq!(after_failure(&c, &mut d, &mut f, 1, 0.5, 10_000), Next::Resend);
        assert_eq!(f.message, "m");
        let mut f = failure(404, None);
        assert_eq!(after_failure(&c, &mut d, &mut f, 2, 0.5, 10_000), Next::GiveUp);
        assert_eq!(f.message, "m. Check tokenUrl: no token endpoint answers there.");
    }
}
