//! The token dialects: how each vendor wants its token request, and where in
//! its response the token and its expiry are. One file per vendor, owning
//! its request, its [`Vendor`] facts (derived token URL, token field names,
//! API headers, credential hint) and its docs; this file holds what they
//! share and the one registration ([`Provider::vendor`]). Adding a vendor:
//! its file, a `Provider` variant with its `vendor()` arm and name, its
//! `Credentials` variant and `build_request` arm, its options in
//! `core::config`, and docs/API.md.

mod google;
pub use google::TOKEN_URL as GOOGLE_TOKEN_URL;
mod oauth2;
mod papaya;

pub use oauth2::{Detection, Refusal};
mod union;
mod younium;

use super::encoding::{form_urlencode, query_encode};
use super::jwt::SigningKey;
use super::secret::Secret;
use super::text::{concat, trim_end_ascii};
use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Younium,
    YouniumV1,
    Union,
    Papaya,
    OAuth2,
    Google,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyEncoding {
    Json,
    Form,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    Body,
    Basic,
    /// A signed JWT (RFC 7523 §2.2): `private_key_jwt` or `client_secret_jwt`.
    Assertion,
}

/// The identity and secrets of one provider.
#[derive(Clone, Debug)]
pub enum Credentials {
    Younium { client_id: String, secret: Secret },
    Union { username: String, password: Secret },
    Papaya { api_key: Secret, client_secret: Secret, token_name: Option<String> },
    OAuth2 {
        client_id: String,
        client_secret: Secret,
        scope: Option<String>,
        audience: Option<String>,
        /// RFC 8707 resource indicators, each sent as its own `resource`.
        resource: Vec<String>,
        /// `bodyEncoding`, if pinned; unset, the dialect detects it.
        body: Option<BodyEncoding>,
        /// `clientAuth`, if pinned; unset, the dialect detects it.
        auth: Option<ClientAuth>,
        /// `clientAuth: "private_key_jwt"` (the private key) or
        /// `"client_secret_jwt"` (HS256 with the client secret).
        key: Option<SigningKey>,
    },
    /// A Google service account: the JWT-bearer grant (RFC 7523 §2.1).
    Google { client_email: String, key: SigningKey, scope: String, subject: Option<String> },
}

impl Credentials {
    /// Every value that must never be shown: used to redact vendor messages.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Credentials::Younium { secret, .. } => vec![secret.expose()],
            Credentials::Union { password, .. } => vec![password.expose()],
            Credentials::Papaya { api_key, client_secret, .. } => vec![api_key.expose(), client_secret.expose()],
            Credentials::OAuth2 { client_secret, key, .. } => {
                let mut out: Vec<&str> = key.as_ref().map_or_else(Vec::new, SigningKey::secrets);
                out.push(client_secret.expose());
                out.retain(|s| !s.is_empty());
                out
            }
            Credentials::Google { key, .. } => key.secrets(),
        }
    }

    /// The key that signs this client's assertions, if it uses one.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        match self {
            Credentials::OAuth2 { key, .. } => key.as_ref(),
            Credentials::Google { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The `id:secret` strings an HTTP Basic header of these credentials
    /// would carry, raw and form-encoded (RFC 6749 §2.3.1): a vendor that
    /// quotes the header echoes their base64. Redacted with `secrets()`.
    pub fn basic_pairs(&self) -> Vec<Secret> {
        let (id, secret) = match self {
            Credentials::Younium { client_id, secret } => (client_id.as_str(), secret),
            Credentials::Union { username, password } => (username.as_str(), password),
            Credentials::Papaya { api_key, client_secret, .. } => (api_key.expose(), client_secret),
            Credentials::OAuth2 { client_id, client_secret, .. } => (client_id.as_str(), client_secret),
            // No shared secret is ever sent.
            Credentials::Google { .. } => return Vec::new(),
        };
        let form = Secret::new(form_urlencode(secret.expose()));
        vec![Secret::new(concat(&[id, ":", secret.expose()])), Secret::new(concat(&[&form_urlencode(id), ":", form.expose()]))]
    }
}

/// What edge-auth knows of one vendor besides its request: kept in that
/// vendor's module (one place per vendor); [`Provider::vendor`] is the one
/// registration.
pub struct Vendor {
    /// The `provider` option's value.
    pub name: &'static str,
    /// The token endpoint's path under the base URL.
    pub token_path: &'static str,
    /// Whether the derived auth endpoints carry `?api-version=` (`apiVersion`).
    pub api_version_query: bool,
    /// Where the access token is in a success response; the first is the
    /// vendor's, the others common names tried after it, so that a vendor
    /// that renames the field still works.
    pub token_fields: &'static [&'static str],
    /// Whether it has a refresh-token grant we use.
    pub refreshes: bool,
    /// Whether API calls carry the `api-version` and `legal-entity` headers.
    pub api_headers: bool,
    /// What to check after `invalid_credentials` (oauth2's hints are its own: `core::hint`).
    pub credential_hint: Option<&'static str>,
}

/// The common names of the access token field, for vendors that use `access_token`.
pub(crate) const ACCESS_TOKEN_FIELDS: &[&str] = &["access_token", "accessToken", "token"];

impl Provider {
    /// Every provider's `provider` option value, as [`Provider::as_str`]
    /// gives them and in the order the option's error message lists them.
    pub const NAMES: [&'static str; 6] = ["younium", "younium-v1", "union", "papaya", "oauth2", "google"];

    /// The providers in the order of [`Provider::NAMES`] (and of the enum).
    const ALL: [Provider; 6] = [Provider::Younium, Provider::YouniumV1, Provider::Union, Provider::Papaya, Provider::OAuth2, Provider::Google];

    /// The vendor's facts, from its module.
    pub fn vendor(self) -> &'static Vendor {
        match self {
            Provider::Younium => &younium::V2,
            Provider::YouniumV1 => &younium::V1,
            Provider::Union => &union::VENDOR,
            Provider::Papaya => &papaya::VENDOR,
            Provider::OAuth2 => &oauth2::VENDOR,
            Provider::Google => &google::VENDOR,
        }
    }

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.get(super::text::index_of(&Provider::NAMES, name)?).copied()
    }

    pub fn as_str(self) -> &'static str {
        self.vendor().name
    }

    /// Younium's hosts, by `environment` index (production, sandbox,
    /// us-production, us-sandbox).
    pub fn environment_host(self, environment: usize) -> &'static str {
        younium::environment_host(self == Provider::YouniumV1, environment)
    }

    /// The token endpoint derived from `{base}`.
    pub fn token_url(self, base: &str, union_api_version: &str) -> String {
        let vendor = self.vendor();
        let url = concat(&[trim_end_ascii(base, b'/'), vendor.token_path]);
        if vendor.api_version_query {
            return concat(&[&url, "?api-version=", &query_encode(union_api_version)]);
        }
        url
    }

    pub fn union_refresh_url(base: &str, api_version: &str) -> String {
        concat(&[trim_end_ascii(base, b'/'), union::REFRESH_PATH, "?api-version=", &query_encode(api_version)])
    }

    /// Where the access token is in a success response.
    pub fn token_fields(self) -> &'static [&'static str] {
        self.vendor().token_fields
    }

    /// Whether this dialect has a refresh-token grant we use.
    pub fn refreshes(self) -> bool {
        self.vendor().refreshes
    }
}

/// Which grant a token request makes.
#[derive(Clone, Copy, Debug)]
pub enum Grant<'a> {
    /// The dialect's credentials grant.
    Credentials,
    /// Union's refresh-token grant.
    Refresh(&'a Secret),
}

/// A token request for the shell to send. Header values and the body carry
/// secrets, so they are [`Secret`]s and `Debug` shows neither.
#[derive(Clone)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, Secret)>,
    pub body: Secret,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest").field("method", &self.method).field("url", &self.url).field("headers", &names).field("body", &self.body).finish()
    }
}

pub(crate) const JSON: &str = "application/json";

pub(crate) fn json_post(url: &str, accept: &str, body: String) -> HttpRequest {
    post(url, JSON, accept, body)
}

pub(crate) fn post(url: &str, content_type: &str, accept: &str, body: String) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: url.to_owned(),
        headers: vec![("content-type", Secret::new(content_type)), ("accept", Secret::new(accept))],
        body: Secret::new(body),
    }
}

impl Detection {
    /// Where a client's detection starts: the oauth2 options' pins. Other
    /// dialects have one format, pinned.
    pub fn for_credentials(credentials: &Credentials) -> Detection {
        match credentials {
            Credentials::OAuth2 { body, auth, .. } => Detection::new(*body, *auth),
            _ => Detection::new(Some(BodyEncoding::Json), Some(ClientAuth::Body)),
        }
    }
}

/// Builds the token request the configuration and grant call for, sent
/// (oauth2) the way `detection` says.
/// `assertion`: the signed JWT for a client that uses one (made afresh for
/// every request, `core::manager`).
pub fn build_request(credentials: &Credentials, token_url: &str, refresh_url: Option<&str>, grant: Grant<'_>, detection: &Detection, assertion: Option<&Secret>) -> HttpRequest {
    match (credentials, grant) {
        (Credentials::Union { .. }, Grant::Refresh(refresh_token)) => union::refresh_request(refresh_url.unwrap_or(token_url), refresh_token),
        (Credentials::Younium { client_id, secret }, _) => younium::token_request(token_url, client_id, secret),
        (Credentials::Union { username, password }, _) => union::token_request(token_url, username, password),
        (Credentials::Papaya { api_key, client_secret, token_name }, _) => {
            papaya::token_request(token_url, api_key, client_secret, token_name.as_deref())
        }
        (Credentials::OAuth2 { client_id, client_secret, scope, audience, resource, .. }, _) => oauth2::token_request(
            token_url,
            oauth2::Client { id: client_id, secret: client_secret, scope: scope.as_deref(), audience: audience.as_deref(), resource, assertion },
            detection.encoding,
            detection.auth,
        ),
        (Credentials::Google { .. }, _) => google::token_request(token_url, assertion),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::opts;
    use crate::core::config::Config;

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.expose())
    }

    fn request(pairs: &[(&'static str, &str)]) -> HttpRequest {
        let config = Config::from_options(&opts(pairs)).unwrap();
        config.token_request(Grant::Credentials, &config.detection())
    }

    #[test]
    fn provider_names() {
        let names: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["younium", "younium-v1", "union", "papaya", "oauth2", "google"]);
        for (i, p) in Provider::ALL.into_iter().enumerate() {
            assert_eq!(p.vendor().name, Provider::NAMES[i], "NAMES lists the providers in the enum's order");
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::parse("Younium"), None);
        assert_eq!(Provider::parse(""), None);
        let f = Config::from_options(&opts(&[("provider", "github")])).unwrap_err();
        assert_eq!(f.message, "invalid option `provider`: must be one of \"younium\", \"younium-v1\", \"union\", \"papaya\", \"oauth2\", \"google\"");
    }

    #[test]
    fn younium_v2_and_v1() {
        for provider in ["younium", "younium-v1"] {
            let r = request(&[("provider", provider), ("clientId", "id-1"), ("secret", "s\"x")]);
            assert_eq!(r.method, "POST");
            assert_eq!(header(&r, "content-type"), Some("application/json"));
            assert_eq!(r.body.expose(), r#"{"clientId":"id-1","secret":"s\"x"}"#);
        }
    }

    #[test]
    fn union_password_and_refresh() {
        let config = Config::from_options(&opts(&[("provider", "union"), ("baseUrl", "https://h"), ("username", "member-user"), ("password", "pw")])).unwrap();
        let d = config.detection();
        let r = config.token_request(Grant::Credentials, &d);
        assert_eq!(r.url, "https://h/union-service/auth/token?api-version=1.0");
        assert_eq!(r.body.expose(), r#"{"username":"member-user","password":"pw"}"#);
        assert_eq!(header(&r, "accept"), Some("application/vnd.restful+json, application/json"));
        let rt = Secret::new("rt-1");
        let r = config.token_request(Grant::Refresh(&rt), &d);
        assert_eq!(r.url, "https://h/union-service/auth/refresh-token?api-version=1.0");
        assert_eq!(r.body.expose(), r#"{"refreshToken":"rt-1"}"#);
    }

    #[test]
    fn papaya_with_and_without_token_name() {
        let r = request(&[("provider", "papaya"), ("baseUrl", "https://p"), ("apiKey", "k"), ("clientSecret", "MySecret!!!")]);
        assert_eq!(r.url, "https://p/token");
        assert_eq!(r.body.expose(), r#"{"api_key":"k","client_secret":"MySecret!!!"}"#);
        let r = request(&[("provider", "papaya"), ("baseUrl", "https://p"), ("apiKey", "k"), ("clientSecret", "s"), ("tokenName", "n")]);
        assert_eq!(r.body.expose(), r#"{"api_key":"k","client_secret":"s","token_name":"n"}"#);
    }

    #[test]
    fn oauth2_four_variants() {
        let base: [(&'static str, &str); 6] = [("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "my id"), ("clientSecret", "p&ss"), ("scope", "a b"), ("audience", "aud")];
        let r = request(&base);
        assert_eq!(r.url, "https://o/api/v2/oauth2/token");
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert_eq!(r.body.expose(), r#"{"grant_type":"client_credentials","client_id":"my id","client_secret":"p&ss","scope":"a b","audience":"aud"}"#);

        let mut form = base.to_vec();
        form.push(("bodyEncoding", "form"));
        let r = request(&form);
        assert_eq!(header(&r, "content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(r.body.expose(), "grant_type=client_credentials&client_id=my+id&client_secret=p%26ss&scope=a+b&audience=aud");

        let mut basic = form.clone();
        basic.push(("clientAuth", "basic"));
        let r = request(&basic);
        // base64("my+id:p%26ss")
        assert_eq!(header(&r, "authorization"), Some("Basic bXkraWQ6cCUyNnNz"));
        assert_eq!(r.body.expose(), "grant_type=client_credentials&scope=a+b&audience=aud");

        let mut json_basic = base.to_vec();
        json_basic.push(("clientAuth", "basic"));
        let r = request(&json_basic);
        assert!(header(&r, "authorization").is_some());
        assert_eq!(r.body.expose(), r#"{"grant_type":"client_credentials","scope":"a b","audience":"aud"}"#);
    }

    #[test]
    fn oauth2_unpinned_starts_as_the_seed_vendor_and_follows_detection() {
        let config = Config::from_options(&opts(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "id"), ("clientSecret", "s")])).unwrap();
        let mut d = config.detection();
        let r = config.token_request(Grant::Credentials, &d);
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert_eq!(r.body.expose(), r#"{"grant_type":"client_credentials","client_id":"id","client_secret":"s"}"#);
        d.encoding = BodyEncoding::Form;
        d.auth = ClientAuth::Basic;
        let r = config.token_request(Grant::Credentials, &d);
        assert_eq!(header(&r, "content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(header(&r, "authorization"), Some("Basic aWQ6cw=="));
        assert_eq!(r.body.expose(), "grant_type=client_credentials");
        // Other dialects have one format.
        let younium = Config::from_options(&opts(&[("provider", "younium"), ("clientId", "i"), ("secret", "s")])).unwrap();
        let mut d = younium.detection();
        d.settle();
        assert_eq!((d.encoding, d.auth, d.encoding_pinned, d.auth_pinned), (BodyEncoding::Json, ClientAuth::Body, true, true));
    }

    #[test]
    fn oauth2_resource_indicators() {
        use crate::core::config::OptionValue;
        let mut o = opts(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "id"), ("clientSecret", "s"), ("audience", "aud")]);
        o.0.insert("resource", OptionValue::List(vec![OptionValue::Str("https://a.test/x?y=1&z".into()), OptionValue::Str("urn:b".into())]));
        let config = Config::from_options(&o).unwrap();
        let mut d = config.detection();
        let r = config.token_request(Grant::Credentials, &d);
        assert_eq!(
            r.body.expose(),
            r#"{"grant_type":"client_credentials","client_id":"id","client_secret":"s","audience":"aud","resource":["https://a.test/x?y=1&z","urn:b"]}"#
        );
        d.encoding = BodyEncoding::Form;
        let r = config.token_request(Grant::Credentials, &d);
        assert_eq!(
            r.body.expose(),
            "grant_type=client_credentials&client_id=id&client_secret=s&audience=aud&resource=https%3A%2F%2Fa.test%2Fx%3Fy%3D1%26z&resource=urn%3Ab"
        );
        o.0.insert("resource", OptionValue::Str("https://one.test/".into()));
        let config = Config::from_options(&o).unwrap();
        let r = config.token_request(Grant::Credentials, &config.detection());
        assert!(r.body.expose().ends_with(r#""audience":"aud","resource":"https://one.test/"}"#), "{}", r.body.expose());
    }

    #[test]
    fn debug_hides_body_and_header_values() {
        let r = request(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "i"), ("clientSecret", "TOPSECRET"), ("clientAuth", "basic")]);
        let shown = format!("{r:?}");
        assert!(!shown.contains("TOPSECRET") && !shown.contains("Basic "), "{shown}");
    }
}
