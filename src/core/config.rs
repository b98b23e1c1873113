//! Options, validated. The shell reads a JavaScript options object through
//! [`Options`]; everything about what is valid lives here, so that it is
//! tested natively and every error names the option at fault.

use super::dialect::{build_request, BodyEncoding, ClientAuth, Detection, Grant, HttpRequest, Provider};
use super::jwt::{self, Algorithm, Claims, KeyData, SigningKey};
pub use super::dialect::Credentials;
use super::error::{invalid, Failure, Fallible};
use super::secret::Secret;
use super::text::{all_bytes, concat, find_any, index_of, push_u64, trim_end_ascii};
use super::url::{check_base, check_endpoint, replace_last_segment};

/// One option's value as the shell found it. `null` and `undefined` are `Absent`.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Absent,
    Str(String),
    Num(f64),
    Bool(bool),
    /// An array, its items read like options (nested arrays are `Other`).
    List(Vec<OptionValue>),
    /// A plain object's own members, read like options; only for the
    /// options that take one (`serviceAccount`, a JWK `privateKey`).
    Object(Vec<(String, OptionValue)>),
    /// Any other JavaScript type, by its `typeof` name.
    Other(&'static str),
}

/// Where options come from: a JS object in the shell, a map in tests.
pub trait Options {
    fn get(&self, name: &'static str) -> OptionValue;
}

/// Every option [`Config::from_options`] reads. The wasm shell has a typed
/// getter for each (`src/js/options.rs`); a test there checks it has one
/// for every name here, and a test below that nothing else is read.
pub const OPTION_NAMES: [&str; 29] = [
    "provider",
    "environment",
    "baseUrl",
    "tokenUrl",
    "refreshUrl",
    "clientId",
    "secret",
    "username",
    "password",
    "apiKey",
    "clientSecret",
    "tokenName",
    "scope",
    "audience",
    "resource",
    "bodyEncoding",
    "clientAuth",
    "legalEntity",
    "apiVersion",
    "refreshLeewaySeconds",
    "autoRefresh",
    "timeoutMs",
    "deadlineMs",
    "allowedOrigins",
    "privateKey",
    "keyId",
    "algorithm",
    "serviceAccount",
    "subject",
];

/// The option names that take an object (the shell reads their members).
pub const OBJECT_OPTIONS: [&str; 2] = ["privateKey", "serviceAccount"];

#[derive(Clone, Debug)]
pub struct Config {
    pub provider: Provider,
    pub credentials: Credentials,
    /// Where the token request goes.
    pub token_url: String,
    /// Whether `tokenUrl` was given (else the URL was derived from the base).
    pub token_url_given: bool,
    /// `union` only: where the refresh-token grant goes.
    pub refresh_url: Option<String>,
    /// What relative URLs given to `client.fetch` are joined to.
    pub api_base: Option<String>,
    /// Younium: `legal-entity` header on API calls.
    pub legal_entity: Option<String>,
    /// Younium: `api-version` header on API calls.
    pub api_version: String,
    pub leeway_ms: u64,
    /// `None`: the runtime's default (timers where they outlive a request).
    pub auto_refresh: Option<bool>,
    pub timeout_ms: u32,
    /// The most one `getToken()` may take in all: attempts, retries, waits, store.
    pub deadline_ms: u32,
    /// Origins besides the API base's that `client.fetch` may send the token to.
    pub allowed_origins: Vec<String>,
}

pub const DEFAULT_LEEWAY_SECONDS: f64 = 60.0;
pub const DEFAULT_TIMEOUT_MS: f64 = 10_000.0;
/// `deadlineMs` when not given: 30 s, or `timeoutMs` if that is longer (one attempt must fit).
pub const DEFAULT_DEADLINE_MS: f64 = 30_000.0;
/// A token request may take at most ten minutes; a timer cannot wait longer than 2^31-1 ms anyway.
const MAX_TIMEOUT_MS: f64 = 600_000.0;
/// A day of leeway is already more than any vendor's token lifetime needs.
const MAX_LEEWAY_SECONDS: f64 = 86_400.0;

fn type_name(v: &OptionValue) -> &'static str {
    match v {
        OptionValue::Absent => "undefined",
        OptionValue::Str(_) => "string",
        OptionValue::Num(_) => "number",
        OptionValue::Bool(_) => "boolean",
        OptionValue::List(_) => "array",
        OptionValue::Object(_) => "object",
        OptionValue::Other(t) => t,
    }
}

/// "must be a string, got number": one builder for every type mismatch.
fn wrong_type(name: &'static str, expected: &str, got: &OptionValue) -> Box<Failure> {
    invalid(name, &concat(&["must be a ", expected, ", got ", type_name(got)]))
}

fn string(opts: &impl Options, name: &'static str) -> Fallible<Option<String>> {
    match opts.get(name) {
        OptionValue::Absent => Ok(None),
        OptionValue::Str(s) => Ok(Some(s)),
        other => Err(wrong_type(name, "string", &other)),
    }
}

/// An optional text option where `""` means "not given".
fn text(opts: &impl Options, name: &'static str) -> Fallible<Option<String>> {
    Ok(string(opts, name)?.filter(|s| !s.is_empty()))
}

fn required(opts: &impl Options, name: &'static str, provider: Provider) -> Fallible<String> {
    match string(opts, name)? {
        None => Err(invalid(name, &concat(&["is required for provider \"", provider.as_str(), "\""]))),
        Some(s) if s.is_empty() => Err(invalid(name, "must not be empty")),
        Some(s) => Ok(s),
    }
}

fn number(opts: &impl Options, name: &'static str, min: f64, max: f64, default: f64) -> Fallible<f64> {
    match opts.get(name) {
        OptionValue::Absent => Ok(default),
        OptionValue::Num(n) if n.is_finite() && n >= min && n <= max => Ok(n),
        // Integers in the message: formatting an f64 would pull float printing into the wasm.
        OptionValue::Num(_) => {
            let mut reason = String::from("must be a number from ");
            push_u64(&mut reason, min as u64);
            reason.push_str(" to ");
            push_u64(&mut reason, max as u64);
            Err(invalid(name, &reason))
        }
        other => Err(wrong_type(name, "number", &other)),
    }
}

fn boolean(opts: &impl Options, name: &'static str) -> Fallible<Option<bool>> {
    match opts.get(name) {
        OptionValue::Absent => Ok(None),
        OptionValue::Bool(b) => Ok(Some(b)),
        other => Err(wrong_type(name, "boolean", &other)),
    }
}

/// The index of the option's value in `choices`; absent means the first.
/// An index rather than a generic value: one copy of this function in the wasm.
fn choice(opts: &impl Options, name: &'static str, choices: &[&str]) -> Fallible<usize> {
    Ok(pinned(opts, name, choices)?.unwrap_or(0))
}

/// The index of the option's value in `choices`, `None` when it is absent.
fn pinned(opts: &impl Options, name: &'static str, choices: &[&str]) -> Fallible<Option<usize>> {
    let Some(value) = string(opts, name)? else { return Ok(None) };
    index_of(choices, &value).map(Some).ok_or_else(|| not_one_of(name, choices))
}

/// `resource` (RFC 8707 §2): one absolute URI without a fragment, or an
/// array of them; an empty array is none. One message for every way of
/// getting it wrong.
fn resource_indicators(opts: &impl Options) -> Fallible<Vec<String>> {
    let mut out = Vec::new();
    let mut take = |value: OptionValue| match value {
        OptionValue::Str(uri) if is_resource_indicator(&uri) => {
            out.push(uri);
            true
        }
        _ => false,
    };
    let ok = match opts.get("resource") {
        OptionValue::Absent => true,
        OptionValue::List(items) => items.into_iter().all(&mut take),
        one => take(one),
    };
    if ok {
        Ok(out)
    } else {
        Err(invalid("resource", "must be an absolute URI without a fragment (RFC 8707), or an array of them"))
    }
}

/// `scheme:rest` (RFC 3986 §3.1), with nothing that needs escaping and no fragment.
fn is_resource_indicator(uri: &str) -> bool {
    let bytes = uri.as_bytes();
    let colon = find_any(uri, b":").unwrap_or(0);
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && colon > 0
        && colon + 1 < bytes.len()
        && uri.get(..colon).is_some_and(|scheme| all_bytes(scheme, |b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        && all_bytes(uri, |b| !(b == b'#' || b <= b' ' || b == 0x7f))
}

/// `must be one of "a", "b"`.
fn not_one_of(name: &'static str, choices: &[&str]) -> Box<Failure> {
    let mut reason = String::from("must be one of ");
    for (i, k) in choices.iter().enumerate() {
        if i > 0 {
            reason.push_str(", ");
        }
        reason.push('"');
        reason.push_str(k);
        reason.push('"');
    }
    invalid(name, &reason)
}

/// A value that becomes an HTTP header: no control characters (no CR/LF
/// injection), and only Latin-1, which is all `fetch` can send.
fn header_safe(name: &'static str, value: Option<String>) -> Fallible<Option<String>> {
    if let Some(v) = &value {
        if v.chars().any(|c| (c.is_control() && c != '\t') || u32::from(c) > 0xFF) {
            return Err(invalid(name, "must not contain control characters or characters outside Latin-1"));
        }
    }
    Ok(value)
}

fn endpoint(opts: &impl Options, name: &'static str, base: bool) -> Fallible<Option<String>> {
    let Some(url) = string(opts, name)? else { return Ok(None) };
    let checked = if base { check_base(&url) } else { check_endpoint(&url) };
    match checked {
        Ok(parsed) if !base && find_any(parsed.rest, b"#").is_some() => Err(invalid(name, "must not have a fragment")),
        Ok(_) => Ok(Some(url)),
        Err(e) => Err(invalid(name, e.reason())),
    }
}

/// `allowedOrigins`: an array of origins, each `https:` (or `http:` on
/// loopback) with no path, query or fragment.
fn origins(opts: &impl Options) -> Fallible<Vec<String>> {
    const NAME: &str = "allowedOrigins";
    let items = match opts.get(NAME) {
        OptionValue::Absent => return Ok(Vec::new()),
        OptionValue::List(items) => items,
        other => return Err(wrong_type(NAME, "list of origins", &other)),
    };
    let mut out = Vec::new();
    for item in items {
        let reason = match &item {
            OptionValue::Str(origin) => match check_endpoint(origin) {
                Ok(parsed) if matches!(parsed.rest, "" | "/") => {
                    out.push(origin.clone());
                    continue;
                }
                Ok(_) => "entries must be origins such as \"https://api.example.com\": no path, query or fragment",
                Err(e) => e.reason(),
            },
            _ => "entries must be strings",
        };
        return Err(invalid(NAME, reason));
    }
    Ok(out)
}

/// Where a Google client's relative API URLs go unless `baseUrl` is given.
pub const GOOGLE_API_BASE: &str = "https://www.googleapis.com";

/// `scope` as a string, or an array of strings joined with spaces.
fn scopes(opts: &impl Options) -> Fallible<Option<String>> {
    match opts.get("scope") {
        OptionValue::List(items) => {
            let mut out = String::new();
            for item in items {
                let OptionValue::Str(s) = item else { return Err(invalid("scope", "must be a string or an array of strings")) };
                if !s.is_empty() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&s);
                }
            }
            Ok(Some(out).filter(|s| !s.is_empty()))
        }
        _ => text(opts, "scope"),
    }
}

fn algorithm(opts: &impl Options) -> Fallible<Option<Algorithm>> {
    // A match rather than indexing an array: no bounds-check panic path.
    Ok(pinned(opts, "algorithm", &Algorithm::NAMES)?.map(|i| match i {
        0 => Algorithm::Rs256,
        1 => Algorithm::Ps256,
        2 => Algorithm::Es256,
        _ => Algorithm::Hs256,
    }))
}

fn oauth2_credentials(opts: &impl Options) -> Fallible<Credentials> {
    // Filled in place, as `Config::fill` is: a failure drops one value.
    let mut credentials = Credentials::OAuth2 {
        client_id: String::new(),
        client_secret: Secret::new(String::new()),
        scope: None,
        audience: None,
        resource: Vec::new(),
        body: None,
        auth: None,
        key: None,
    };
    oauth2_fill(opts, &mut credentials)?;
    Ok(credentials)
}

fn oauth2_fill(opts: &impl Options, credentials: &mut Credentials) -> Fallible<()> {
    let Credentials::OAuth2 { client_id, client_secret, scope, audience, resource, body, auth, key } = credentials else { return Ok(()) };
    let provider = Provider::OAuth2;
    let private_key = opts.get("privateKey");
    let has_key = !matches!(private_key, OptionValue::Absent);
    // A privateKey alone means private_key_jwt.
    let mode = match pinned(opts, "clientAuth", &["body", "basic", "private_key_jwt", "client_secret_jwt"])? {
        None if has_key => Some(2),
        other => other,
    };
    let key_id = text(opts, "keyId")?;
    let alg = algorithm(opts)?;
    match mode {
        Some(2) => {
            let (mut signing, jwk_kid) = jwt::private_key(private_key, "privateKey", alg.filter(|a| *a != Algorithm::Hs256), "algorithm")?;
            if alg == Some(Algorithm::Hs256) {
                return Err(invalid("algorithm", "HS256 is for clientAuth \"client_secret_jwt\"; private_key_jwt signs with RS256, PS256 or ES256"));
            }
            signing.kid = key_id.or(jwk_kid);
            *key = Some(signing);
            *client_secret = Secret::new(text(opts, "clientSecret")?.unwrap_or_default());
        }
        Some(3) => {
            if alg.is_some_and(|a| a != Algorithm::Hs256) {
                return Err(invalid("algorithm", "must be \"HS256\" for clientAuth \"client_secret_jwt\""));
            }
            let secret = required(opts, "clientSecret", provider)?;
            *key = Some(SigningKey { algorithm: Algorithm::Hs256, data: KeyData::Hmac(Secret::new(secret.clone())), kid: key_id });
            *client_secret = Secret::new(secret);
        }
        _ if has_key => return Err(invalid("privateKey", "is used only with clientAuth \"private_key_jwt\"")),
        _ => *client_secret = Secret::new(required(opts, "clientSecret", provider)?),
    }
    let pinned_body = pinned(opts, "bodyEncoding", &["json", "form"])?.map(|i| if i == 1 { BodyEncoding::Form } else { BodyEncoding::Json });
    *client_id = required(opts, "clientId", provider)?;
    *scope = scopes(opts)?;
    *audience = text(opts, "audience")?;
    *resource = resource_indicators(opts)?;
    // Assertions are an RFC 7523 server's: a form unless pinned otherwise.
    *body = if key.is_some() { Some(pinned_body.unwrap_or(BodyEncoding::Form)) } else { pinned_body };
    *auth = match mode {
        Some(0) => Some(ClientAuth::Body),
        Some(1) => Some(ClientAuth::Basic),
        Some(_) => Some(ClientAuth::Assertion),
        None => None,
    };
    Ok(())
}

/// `provider: "google"`: the `serviceAccount` key file (its object, or its
/// JSON text as a secret binding holds it), `scope`, `subject`. Returns the
/// key file's `token_uri` too.
fn google_credentials(opts: &impl Options) -> Fallible<(Credentials, Option<String>)> {
    const SA: &str = "serviceAccount";
    let members: Vec<(String, OptionValue)> = match opts.get(SA) {
        OptionValue::Object(members) => members,
        OptionValue::Str(text) => match super::json::parse(text.as_bytes()) {
            Some(super::json::Value::Object(members)) => members
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        super::json::Value::String(s) => OptionValue::Str(s),
                        _ => OptionValue::Other("value"),
                    };
                    (k, v)
                })
                .collect(),
            _ => return Err(invalid(SA, "must be the service account's JSON key: an object, or its JSON text (this text is not a JSON object)")),
        },
        OptionValue::Absent => return Err(invalid(SA, "is required for provider \"google\" (the service account's JSON key file, as an object or its text)")),
        other => return Err(wrong_type(SA, "object", &other)),
    };
    // Each member is read once, so it is moved out rather than cloned (a
    // clone of OptionValue is a recursive function in the wasm).
    let mut members = members;
    let mut take = |name: &str| members.iter_mut().find(|(k, _)| k == name).map_or(OptionValue::Absent, |(_, v)| core::mem::replace(v, OptionValue::Absent));
    let field = |value: OptionValue, option: &'static str| match value {
        OptionValue::Str(s) if !s.is_empty() => Ok(Some(s)),
        OptionValue::Absent => Ok(None),
        _ => Err(invalid(option, "must be a non-empty string")),
    };
    if let Some(kind) = field(take("type"), "serviceAccount.type")? {
        if kind != "service_account" {
            return Err(invalid("serviceAccount.type", "must be \"service_account\": this is another kind of Google credential (create a service account key)"));
        }
    }
    let client_email = field(take("client_email"), "serviceAccount.client_email")?.ok_or_else(|| invalid("serviceAccount.client_email", "is required"))?;
    let (mut key, _) = jwt::private_key(take("private_key"), "serviceAccount.private_key", None, "serviceAccount.private_key")?;
    if key.algorithm != Algorithm::Rs256 {
        return Err(invalid("serviceAccount.private_key", "must be an RSA key: Google signs service account assertions with RS256"));
    }
    key.kid = field(take("private_key_id"), "serviceAccount.private_key_id")?;
    let token_uri = match field(take("token_uri"), "serviceAccount.token_uri")? {
        Some(uri) => match check_endpoint(&uri) {
            Ok(_) => uri,
            Err(e) => return Err(invalid("serviceAccount.token_uri", e.reason())),
        },
        None => super::dialect::GOOGLE_TOKEN_URL.to_owned(),
    };
    let scope = scopes(opts)?.ok_or_else(|| invalid("scope", "is required for provider \"google\" (e.g. \"https://www.googleapis.com/auth/cloud-platform\")"))?;
    let credentials = Credentials::Google { client_email, key, scope, subject: text(opts, "subject")? };
    Ok((credentials, Some(token_uri)))
}

impl Config {
    /// The token request for `grant`, sent (oauth2) the way `detection` says.
    pub fn token_request(&self, grant: Grant<'_>, detection: &Detection) -> HttpRequest {
        self.signed_token_request(grant, detection, None)
    }

    /// The token request with a signed assertion (`signing_input`, signed).
    pub fn signed_token_request(&self, grant: Grant<'_>, detection: &Detection, assertion: Option<&Secret>) -> HttpRequest {
        build_request(&self.credentials, &self.token_url, self.refresh_url.as_deref(), grant, detection, assertion)
    }

    /// Whether token requests carry an assertion the shell must sign first.
    pub fn signs(&self) -> bool {
        self.credentials.signing_key().is_some()
    }

    /// The JWS signing input of a fresh assertion at `now_ms`, for a client
    /// that signs: a client assertion (RFC 7523 §3: `iss` = `sub` = the
    /// client id, `aud` = the token endpoint, `jti`, five minutes), or
    /// Google's grant assertion (`iss` = `client_email`, `scope`, an hour,
    /// `sub` only when delegating).
    pub fn signing_input(&self, now_ms: super::Millis, jti: [u64; 2]) -> Option<String> {
        let iat = now_ms / 1000;
        let (key, claims) = match &self.credentials {
            Credentials::OAuth2 { client_id, key: Some(key), .. } => {
                (key, Claims { iss: client_id, sub: Some(client_id), aud: &self.token_url, scope: None, jti: Some(jti), iat, exp: iat + jwt::ASSERTION_LIFETIME_S })
            }
            Credentials::Google { client_email, key, scope, subject } => {
                (key, Claims { iss: client_email, sub: subject.as_deref(), aud: &self.token_url, scope: Some(scope), jti: None, iat, exp: iat + jwt::GOOGLE_LIFETIME_S })
            }
            _ => return None,
        };
        Some(jwt::signing_input(key, &claims))
    }

    /// The option a key problem found while signing is named by.
    pub fn key_option(&self) -> &'static str {
        match &self.credentials {
            Credentials::Google { .. } => "serviceAccount.private_key",
            Credentials::OAuth2 { key: Some(SigningKey { data: KeyData::Hmac(_), .. }), .. } => "clientSecret",
            _ => "privateKey",
        }
    }

    /// Where this client's format detection starts (the oauth2 pins).
    pub fn detection(&self) -> Detection {
        Detection::for_credentials(&self.credentials)
    }

    pub fn from_options(opts: &impl Options) -> Result<Config, Failure> {
        let provider = {
            let Some(name) = string(opts, "provider").map_err(|f| *f)? else { return Err(Failure::config("provider", "is required")) };
            Provider::parse(&name).ok_or_else(|| *not_one_of("provider", &Provider::NAMES))?
        };
        // Filled in place, the owned values in the one struct: then every
        // failure below drops one `Config` rather than each local it had
        // made so far, which was most of this function's code in the wasm.
        let mut config = Config {
            provider,
            credentials: Credentials::Younium { client_id: String::new(), secret: Secret::new(String::new()) },
            token_url: String::new(),
            token_url_given: false,
            refresh_url: None,
            api_base: None,
            legal_entity: None,
            api_version: String::new(),
            leeway_ms: 0,
            auto_refresh: None,
            timeout_ms: 0,
            deadline_ms: 0,
            allowed_origins: Vec::new(),
        };
        config.fill(opts).map_err(|f| *f)?;
        Ok(config)
    }

    fn fill(&mut self, opts: &impl Options) -> Fallible<()> {
        let provider = self.provider;
        self.api_base = endpoint(opts, "baseUrl", true)?;
        let token_url = endpoint(opts, "tokenUrl", false)?;
        let token_url_given = token_url.is_some();
        self.token_url = token_url.unwrap_or_default();
        self.refresh_url = endpoint(opts, "refreshUrl", false)?;

        let younium = matches!(provider, Provider::Younium | Provider::YouniumV1);
        let environment = choice(opts, "environment", &["production", "sandbox", "us-production", "us-sandbox"])?;
        match &mut self.api_base {
            Some(b) => b.truncate(trim_end_ascii(b, b'/').len()),
            None if younium => self.api_base = Some(provider.environment_host(environment).to_owned()),
            // Google's APIs: www.googleapis.com unless baseUrl says another;
            // other Google API origins go in allowedOrigins (docs/API.md §2).
            None if provider == Provider::Google => self.api_base = Some(GOOGLE_API_BASE.to_owned()),
            None => {}
        }
        if self.api_base.is_none() && !token_url_given {
            return Err(invalid("baseUrl", &concat(&["is required for provider \"", provider.as_str(), "\" unless tokenUrl is given"])));
        }

        let api_version = header_safe("apiVersion", text(opts, "apiVersion")?)?;
        let api_version_given = api_version.is_some();
        // Union's api-version goes into the auth endpoints' query; Younium's is an API header.
        self.api_version = api_version.unwrap_or_else(|| "2.1".to_owned());

        self.credentials = match provider {
            Provider::Younium | Provider::YouniumV1 => Credentials::Younium {
                client_id: required(opts, "clientId", provider)?,
                secret: Secret::new(required(opts, "secret", provider)?),
            },
            Provider::Union => Credentials::Union {
                username: required(opts, "username", provider)?,
                password: Secret::new(required(opts, "password", provider)?),
            },
            Provider::Papaya => Credentials::Papaya {
                api_key: Secret::new(required(opts, "apiKey", provider)?),
                client_secret: Secret::new(required(opts, "clientSecret", provider)?),
                token_name: text(opts, "tokenName")?,
            },
            Provider::OAuth2 => oauth2_credentials(opts)?,
            Provider::Google => {
                let (credentials, token_uri) = google_credentials(opts)?;
                // Google's comes from the key file (or is Google's own): never derived from baseUrl.
                if let (false, Some(uri)) = (token_url_given, token_uri) {
                    self.token_url = uri;
                }
                credentials
            }
        };

        let union_api_version = if api_version_given { self.api_version.as_str() } else { "1.0" };
        let base = self.api_base.as_deref().unwrap_or_default();
        self.token_url_given = token_url_given || provider == Provider::Google;
        if !self.token_url_given {
            self.token_url = provider.token_url(base, union_api_version);
        }
        if provider == Provider::Union {
            if self.refresh_url.is_none() {
                self.refresh_url = Some(if token_url_given {
                    replace_last_segment(&self.token_url, "refresh-token")
                } else {
                    Provider::union_refresh_url(base, union_api_version)
                });
            }
        } else {
            self.refresh_url = None;
        }

        let leeway = number(opts, "refreshLeewaySeconds", 0.0, MAX_LEEWAY_SECONDS, DEFAULT_LEEWAY_SECONDS)?;
        let timeout = number(opts, "timeoutMs", 1.0, MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS)?;
        let deadline = number(opts, "deadlineMs", 1.0, MAX_TIMEOUT_MS, DEFAULT_DEADLINE_MS.max(timeout))?;
        self.leeway_ms = (leeway * 1000.0) as u64;
        self.timeout_ms = timeout.ceil() as u32;
        self.deadline_ms = deadline.ceil() as u32;
        self.legal_entity = header_safe("legalEntity", text(opts, "legalEntity")?)?;
        self.auto_refresh = boolean(opts, "autoRefresh")?;
        self.allowed_origins = origins(opts)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testing::{opts, Map};

    /// Options that fail the test when the core reads a name missing from
    /// `OPTION_NAMES` (the shell could not read it).
    struct Listed<'a>(&'a Map);

    impl Options for Listed<'_> {
        fn get(&self, name: &'static str) -> OptionValue {
            assert!(OPTION_NAMES.contains(&name), "Config::from_options reads `{name}`, which OPTION_NAMES does not list");
            self.0.get(name)
        }
    }

    #[test]
    fn every_option_read_is_listed() {
        let all: Vec<(&'static str, &str)> = vec![
            ("environment", "sandbox"),
            ("baseUrl", "https://h"),
            ("tokenUrl", "https://h/t"),
            ("refreshUrl", "https://h/r"),
            ("clientId", "i"),
            ("secret", "s"),
            ("username", "u"),
            ("password", "p"),
            ("apiKey", "k"),
            ("clientSecret", "c"),
            ("tokenName", "n"),
            ("scope", "a"),
            ("audience", "b"),
            ("legalEntity", "e"),
            ("apiVersion", "1.0"),
            ("keyId", "k"),
            ("subject", "u@example.com"),
        ];
        let pem = crate::core::testing::rsa_pem();
        let account = crate::core::testing::service_account_json("https://oauth2.googleapis.com/token");
        for provider in crate::core::dialect::Provider::NAMES {
            let mut pairs = all.clone();
            pairs.push(("provider", provider));
            pairs.push(("privateKey", &pem));
            pairs.push(("algorithm", "PS256"));
            pairs.push(("serviceAccount", &account));
            Config::from_options(&Listed(&opts(&pairs))).unwrap();
        }
    }

    fn err(o: &Map) -> String {
        let f = Config::from_options(o).unwrap_err();
        assert_eq!(f.code, super::super::error::ErrorCode::InvalidConfig);
        f.message
    }

    #[test]
    fn younium_defaults_to_production_host() {
        let c = Config::from_options(&opts(&[("provider", "younium"), ("clientId", "id"), ("secret", "s")])).unwrap();
        assert_eq!(c.token_url, "https://api.younium.com/auth/v2/token");
        assert_eq!(c.api_base.as_deref(), Some("https://api.younium.com"));
        assert_eq!(c.api_version, "2.1");
    }

    #[test]
    fn younium_environments() {
        for (env, v2, v1) in [
            ("sandbox", "https://api.sandbox.younium.com/auth/v2/token", "https://api.sandbox.younium.com/auth/token"),
            ("us-production", "https://api.us.younium.com/auth/v2/token", "https://api.us.younium.com/auth/token"),
            ("us-sandbox", "https://api.sandbox.us.younium.com/auth/v2/token", "https://api.us.sandbox.younium.com/auth/token"),
        ] {
            let c = Config::from_options(&opts(&[("provider", "younium"), ("environment", env), ("clientId", "i"), ("secret", "s")])).unwrap();
            assert_eq!(c.token_url, v2);
            let c = Config::from_options(&opts(&[("provider", "younium-v1"), ("environment", env), ("clientId", "i"), ("secret", "s")])).unwrap();
            assert_eq!(c.token_url, v1);
        }
    }

    #[test]
    fn base_url_overrides_environment_and_keeps_prefix() {
        let c = Config::from_options(&opts(&[("provider", "younium"), ("environment", "sandbox"), ("baseUrl", "http://127.0.0.1:9/t/x/"), ("clientId", "i"), ("secret", "s")])).unwrap();
        assert_eq!(c.token_url, "http://127.0.0.1:9/t/x/auth/v2/token");
    }

    #[test]
    fn union_urls() {
        let c = Config::from_options(&opts(&[("provider", "union"), ("baseUrl", "https://h"), ("username", "u"), ("password", "p")])).unwrap();
        assert_eq!(c.token_url, "https://h/union-service/auth/token?api-version=1.0");
        assert_eq!(c.refresh_url.as_deref(), Some("https://h/union-service/auth/refresh-token?api-version=1.0"));
        let c = Config::from_options(&opts(&[("provider", "union"), ("tokenUrl", "https://h/x/login?api-version=2.0"), ("username", "u"), ("password", "p")])).unwrap();
        assert_eq!(c.token_url, "https://h/x/login?api-version=2.0");
        assert_eq!(c.refresh_url.as_deref(), Some("https://h/x/refresh-token?api-version=2.0"));
        let c = Config::from_options(&opts(&[("provider", "union"), ("baseUrl", "https://h"), ("apiVersion", "2 b"), ("refreshUrl", "https://r/x"), ("username", "u"), ("password", "p")])).unwrap();
        assert_eq!(c.token_url, "https://h/union-service/auth/token?api-version=2%20b");
        assert_eq!(c.refresh_url.as_deref(), Some("https://r/x"));
    }

    #[test]
    fn errors_name_the_option() {
        assert!(err(&opts(&[])).contains("`provider`"));
        assert!(err(&opts(&[("provider", "github")])).contains("`provider`"));
        assert!(err(&opts(&[("provider", "younium"), ("secret", "s")])).contains("`clientId`"));
        assert!(err(&opts(&[("provider", "younium"), ("clientId", ""), ("secret", "s")])).contains("`clientId`"));
        assert!(err(&opts(&[("provider", "papaya"), ("apiKey", "k"), ("clientSecret", "s")])).contains("`baseUrl`"));
        assert!(err(&opts(&[("provider", "oauth2"), ("baseUrl", "http://example.com"), ("clientId", "i"), ("clientSecret", "s")])).contains("`baseUrl`"));
        assert!(err(&opts(&[("provider", "oauth2"), ("baseUrl", "not a url"), ("clientId", "i"), ("clientSecret", "s")])).contains("`baseUrl`"));
        assert!(err(&opts(&[("provider", "oauth2"), ("tokenUrl", "http://evil.com/t"), ("clientId", "i"), ("clientSecret", "s")])).contains("`tokenUrl`"));
        assert!(err(&opts(&[("provider", "oauth2"), ("baseUrl", "https://h"), ("bodyEncoding", "xml"), ("clientId", "i"), ("clientSecret", "s")])).contains("`bodyEncoding`"));
        assert!(err(&opts(&[("provider", "younium"), ("legalEntity", "a\r\nX-Evil: 1"), ("clientId", "i"), ("secret", "s")])).contains("`legalEntity`"));
        assert!(err(&opts(&[("provider", "younium"), ("environment", "staging"), ("clientId", "i"), ("secret", "s")])).contains("`environment`"));

        let mut o = opts(&[("provider", "younium"), ("clientId", "i"), ("secret", "s")]);
        o.0.insert("timeoutMs", OptionValue::Str("x".into()));
        assert!(err(&o).contains("`timeoutMs`"));
        o.0.insert("timeoutMs", OptionValue::Num(f64::NAN));
        assert!(err(&o).contains("`timeoutMs`"));
        o.0.insert("timeoutMs", OptionValue::Num(500.0));
        o.0.insert("autoRefresh", OptionValue::Str("yes".into()));
        assert!(err(&o).contains("`autoRefresh`"));
        o.0.insert("autoRefresh", OptionValue::Bool(false));
        o.0.insert("refreshLeewaySeconds", OptionValue::Num(-1.0));
        assert!(err(&o).contains("`refreshLeewaySeconds`"));
        o.0.insert("refreshLeewaySeconds", OptionValue::Num(5.0));
        o.0.insert("clientId", OptionValue::Other("object"));
        assert!(err(&o).contains("`clientId`"));
    }

    #[test]
    fn error_messages_are_exact() {
        // Other runtimes' tests assert on these texts.
        assert_eq!(err(&opts(&[])), "invalid option `provider`: is required");
        assert_eq!(err(&opts(&[("provider", "younium"), ("secret", "s")])), "invalid option `clientId`: is required for provider \"younium\"");
        assert_eq!(err(&opts(&[("provider", "papaya"), ("apiKey", "k"), ("clientSecret", "s")])), "invalid option `baseUrl`: is required for provider \"papaya\" unless tokenUrl is given");
        assert_eq!(
            err(&opts(&[("provider", "younium"), ("environment", "staging"), ("clientId", "i"), ("secret", "s")])),
            "invalid option `environment`: must be one of \"production\", \"sandbox\", \"us-production\", \"us-sandbox\""
        );
        let mut o = opts(&[("provider", "younium"), ("clientId", "i"), ("secret", "s")]);
        o.0.insert("timeoutMs", OptionValue::Num(0.0));
        assert_eq!(err(&o), "invalid option `timeoutMs`: must be a number from 1 to 600000");
        o.0.insert("timeoutMs", OptionValue::Bool(true));
        assert_eq!(err(&o), "invalid option `timeoutMs`: must be a number, got boolean");
        o.0.remove("timeoutMs");
        o.0.insert("autoRefresh", OptionValue::Other("object"));
        assert_eq!(err(&o), "invalid option `autoRefresh`: must be a boolean, got object");
        o.0.remove("autoRefresh");
        o.0.insert("clientId", OptionValue::Num(1.0));
        assert_eq!(err(&o), "invalid option `clientId`: must be a string, got number");
    }

    #[test]
    fn allowed_origins_and_deadline() {
        let mut o = opts(&[("provider", "oauth2"), ("baseUrl", "https://api.example.com"), ("clientId", "i"), ("clientSecret", "s")]);
        let c = Config::from_options(&o).unwrap();
        assert!(c.allowed_origins.is_empty());
        assert_eq!((c.timeout_ms, c.deadline_ms), (10_000, 30_000));
        let list = |items: &[&str]| OptionValue::List(items.iter().map(|s| OptionValue::Str((*s).to_owned())).collect());
        o.0.insert("allowedOrigins", list(&["https://files.example.com", "http://127.0.0.1:8080/", "https://[::1]:9"]));
        let c = Config::from_options(&o).unwrap();
        assert_eq!(c.allowed_origins, ["https://files.example.com", "http://127.0.0.1:8080/", "https://[::1]:9"]);
        for (bad, why) in [
            (list(&["https://h/path"]), "invalid option `allowedOrigins`: entries must be origins such as \"https://api.example.com\": no path, query or fragment"),
            (list(&["https://ok", "http://example.com"]), "invalid option `allowedOrigins`: must use https: (http: is allowed only for localhost, 127.0.0.0/8 and [::1])"),
            (list(&["https://h?x=1"]), "invalid option `allowedOrigins`: entries must be origins such as \"https://api.example.com\": no path, query or fragment"),
            (list(&["https://user:pw@h"]), "invalid option `allowedOrigins`: must not contain a user name or password"),
            (OptionValue::List(vec![OptionValue::Num(1.0)]), "invalid option `allowedOrigins`: entries must be strings"),
            (OptionValue::Str("https://h".into()), "invalid option `allowedOrigins`: must be a list of origins, got string"),
        ] {
            o.0.insert("allowedOrigins", bad);
            assert_eq!(err(&o), why);
        }
        o.0.remove("allowedOrigins");
        o.0.insert("timeoutMs", OptionValue::Num(45_000.0));
        assert_eq!(Config::from_options(&o).unwrap().deadline_ms, 45_000, "the default deadline fits one attempt");
        o.0.insert("deadlineMs", OptionValue::Num(2_000.0));
        assert_eq!(Config::from_options(&o).unwrap().deadline_ms, 2_000);
        o.0.insert("deadlineMs", OptionValue::Num(0.0));
        assert_eq!(err(&o), "invalid option `deadlineMs`: must be a number from 1 to 600000");
    }

    #[test]
    fn basic_pairs_hold_id_and_secret() {
        let c = Config::from_options(&opts(&[("provider", "oauth2"), ("baseUrl", "https://o"), ("clientId", "my id"), ("clientSecret", "p&ss")])).unwrap();
        let pairs: Vec<String> = c.credentials.basic_pairs().iter().map(|p| p.expose().to_owned()).collect();
        assert_eq!(pairs, ["my id:p&ss", "my+id:p%26ss"]);
    }

    #[test]
    fn oauth2_pins_and_resource() {
        let base = [("provider", "oauth2"), ("baseUrl", "https://h"), ("clientId", "i"), ("clientSecret", "s")];
        let oauth2 = |o: &Map| match Config::from_options(o).unwrap().credentials {
            Credentials::OAuth2 { body, auth, resource, .. } => (body, auth, resource),
            _ => unreachable!(),
        };
        assert_eq!(oauth2(&opts(&base)), (None, None, vec![]), "unpinned: detected");
        let mut o = opts(&base);
        o.0.insert("bodyEncoding", OptionValue::Str("json".into()));
        o.0.insert("clientAuth", OptionValue::Str("basic".into()));
        o.0.insert("resource", OptionValue::Str("https://api.test/".into()));
        assert_eq!(oauth2(&o), (Some(BodyEncoding::Json), Some(ClientAuth::Basic), vec!["https://api.test/".to_owned()]));
        o.0.insert("resource", OptionValue::List(vec![OptionValue::Str("https://a.test/".into()), OptionValue::Str("urn:example:b".into())]));
        assert_eq!(oauth2(&o).2, ["https://a.test/", "urn:example:b"]);
        o.0.insert("resource", OptionValue::List(vec![]));
        assert_eq!(oauth2(&o).2, Vec::<String>::new());
        for bad in ["api.test", "https://a.test/#frag", "", ":x", "https://a test/", "1http://a"] {
            o.0.insert("resource", OptionValue::Str(bad.into()));
            assert_eq!(err(&o), "invalid option `resource`: must be an absolute URI without a fragment (RFC 8707), or an array of them", "{bad}");
        }
        o.0.insert("resource", OptionValue::List(vec![OptionValue::Str("https://a.test/".into()), OptionValue::Num(1.0)]));
        assert!(err(&o).contains("`resource`"));
        o.0.insert("resource", OptionValue::Num(1.0));
        assert_eq!(err(&o), "invalid option `resource`: must be an absolute URI without a fragment (RFC 8707), or an array of them");
        o.0.insert("resource", OptionValue::Absent);
        o.0.insert("clientAuth", OptionValue::List(vec![]));
        assert_eq!(err(&o), "invalid option `clientAuth`: must be a string, got array");
        // tokenUrl given or derived: the 404 hint says which.
        assert!(!Config::from_options(&opts(&base)).unwrap().token_url_given);
        let mut o = opts(&base);
        o.0.insert("tokenUrl", OptionValue::Str("https://h/token".into()));
        assert!(Config::from_options(&o).unwrap().token_url_given);
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let o = opts(&[("provider", "oauth2"), ("baseUrl", "http://evil.example"), ("clientId", "i"), ("clientSecret", "TOPSECRET")]);
        assert!(!err(&o).contains("TOPSECRET"));
        let c = Config::from_options(&opts(&[("provider", "younium"), ("clientId", "i"), ("secret", "TOPSECRET")])).unwrap();
        assert!(!format!("{c:?}").contains("TOPSECRET"));
    }

    #[test]
    fn private_key_jwt_and_client_secret_jwt() {
        let pem = crate::core::testing::rsa_pem();
        let mut o = opts(&[("provider", "oauth2"), ("tokenUrl", "https://idp.test/token"), ("clientId", "c1"), ("privateKey", &pem), ("keyId", "k1")]);
        let c = Config::from_options(&o).unwrap();
        let d = c.detection();
        assert_eq!((d.encoding, d.auth, d.auth_pinned), (BodyEncoding::Form, ClientAuth::Assertion, true), "a privateKey alone: private_key_jwt, a form");
        let input = c.signing_input(1_700_000_000_123, [7, 9]).unwrap();
        let (h, claims) = input.split_once('.').unwrap();
        assert_eq!(crate::core::encoding::base64url_decode(h).unwrap(), br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
        let claims = String::from_utf8(crate::core::encoding::base64url_decode(claims).unwrap()).unwrap();
        assert_eq!(claims, r#"{"iss":"c1","sub":"c1","aud":"https://idp.test/token","jti":"00000000000000070000000000000009","iat":1700000000,"exp":1700000300}"#);
        let a = Secret::new("h.c.s");
        let r = c.signed_token_request(Grant::Credentials, &d, Some(&a));
        assert_eq!(r.body.expose(), "grant_type=client_credentials&client_id=c1&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=h.c.s");
        assert!(!r.headers.iter().any(|(n, _)| *n == "authorization"));
        assert!(!format!("{c:?}").contains(&pem[40..80]), "Debug shows no key");
        assert!(c.credentials.secrets().iter().any(|s| pem.replace('\n', "").contains(s)), "the key's body is redacted");

        o.0.insert("algorithm", OptionValue::Str("ES256".into()));
        assert_eq!(err(&o), "invalid option `algorithm`: must be \"RS256\" or \"PS256\" for an RSA key");
        o.0.insert("algorithm", OptionValue::Str("HS512".into()));
        assert!(err(&o).starts_with("invalid option `algorithm`: must be one of \"RS256\""));
        o.0.insert("algorithm", OptionValue::Str("HS256".into()));
        assert!(err(&o).contains("client_secret_jwt"));
        o.0.remove("algorithm");
        o.0.insert("clientAuth", OptionValue::Str("basic".into()));
        assert_eq!(err(&o), "invalid option `privateKey`: is used only with clientAuth \"private_key_jwt\"");
        o.0.insert("clientAuth", OptionValue::Str("private_key_jwt".into()));
        o.0.insert("privateKey", OptionValue::Str("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----".into()));
        assert!(err(&o).starts_with("invalid option `privateKey`: is a PKCS#1/SEC1 PEM"));
        o.0.remove("privateKey");
        assert!(err(&o).starts_with("invalid option `privateKey`: is required"));

        let mut o = opts(&[("provider", "oauth2"), ("baseUrl", "https://h"), ("clientId", "c1"), ("clientSecret", "shh"), ("clientAuth", "client_secret_jwt")]);
        let c = Config::from_options(&o).unwrap();
        let (h, _) = c.signing_input(0, [0, 0]).unwrap().split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap();
        assert_eq!(crate::core::encoding::base64url_decode(&h).unwrap(), br#"{"alg":"HS256","typ":"JWT"}"#);
        assert_eq!(c.key_option(), "clientSecret");
        o.0.insert("algorithm", OptionValue::Str("RS256".into()));
        assert_eq!(err(&o), "invalid option `algorithm`: must be \"HS256\" for clientAuth \"client_secret_jwt\"");
        o.0.remove("clientSecret");
        o.0.remove("algorithm");
        assert!(err(&o).contains("`clientSecret`"));
    }

    #[test]
    fn google_service_account() {
        let account = crate::core::testing::service_account_json("http://127.0.0.1:9/token");
        let mut o = opts(&[("provider", "google"), ("serviceAccount", &account), ("subject", "admin@example.com")]);
        o.0.insert("scope", OptionValue::List(vec![OptionValue::Str("https://www.googleapis.com/auth/a".into()), OptionValue::Str("https://www.googleapis.com/auth/b".into())]));
        let c = Config::from_options(&o).unwrap();
        assert_eq!(c.token_url, "http://127.0.0.1:9/token");
        assert_eq!(c.api_base.as_deref(), Some(GOOGLE_API_BASE));
        assert_eq!(c.key_option(), "serviceAccount.private_key");
        let input = c.signing_input(1_700_000_000_000, [1, 2]).unwrap();
        let (h, claims) = input.split_once('.').unwrap();
        assert_eq!(crate::core::encoding::base64url_decode(h).unwrap(), br#"{"alg":"RS256","typ":"JWT","kid":"kid-123"}"#);
        let claims = String::from_utf8(crate::core::encoding::base64url_decode(claims).unwrap()).unwrap();
        assert_eq!(
            claims,
            r#"{"iss":"sa@p.iam.gserviceaccount.com","sub":"admin@example.com","aud":"http://127.0.0.1:9/token","scope":"https://www.googleapis.com/auth/a https://www.googleapis.com/auth/b","iat":1700000000,"exp":1700003600}"#
        );
        let r = c.signed_token_request(Grant::Credentials, &c.detection(), Some(&Secret::new("a.b.c")));
        assert_eq!(r.body.expose(), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
        assert!(crate::core::store::key_material(&c).expose().ends_with("\nkid=kid-123"));
        assert!(!crate::core::store::key_material(&c).expose().contains("BEGIN"));

        // An object works as the text does; the default token_uri.
        let members = |pairs: &[(&str, &str)]| OptionValue::Object(pairs.iter().map(|(k, v)| ((*k).to_owned(), OptionValue::Str((*v).to_owned()))).collect());
        let pem = crate::core::testing::rsa_pem();
        o.0.insert("serviceAccount", members(&[("client_email", "sa@x"), ("private_key", &pem)]));
        assert_eq!(Config::from_options(&o).unwrap().token_url, "https://oauth2.googleapis.com/token");
        for (account, why) in [
            (OptionValue::Str("{not json".into()), "invalid option `serviceAccount`: must be the service account's JSON key"),
            (OptionValue::Absent, "invalid option `serviceAccount`: is required"),
            (OptionValue::Num(1.0), "invalid option `serviceAccount`: must be a object, got number"),
            (members(&[("private_key", &pem)]), "invalid option `serviceAccount.client_email`: is required"),
            (members(&[("client_email", "a"), ("private_key", "x")]), "invalid option `serviceAccount.private_key`: must be a PKCS#8 PEM"),
            (members(&[("client_email", "a")]), "invalid option `serviceAccount.private_key`: is required"),
            (members(&[("type", "authorized_user"), ("client_email", "a"), ("private_key", &pem)]), "invalid option `serviceAccount.type`"),
            (members(&[("client_email", "a"), ("private_key", &pem), ("token_uri", "http://evil.example/t")]), "invalid option `serviceAccount.token_uri`: must use https:"),
            (members(&[("client_email", "a"), ("private_key", &crate::core::testing::pem("PRIVATE KEY", &crate::core::testing::ec_pkcs8(crate::core::jwt::OID_P256)))]), "invalid option `serviceAccount.private_key`: must be an RSA key"),
        ] {
            o.0.insert("serviceAccount", account);
            let m = err(&o);
            assert!(m.starts_with(why), "{m}");
            assert!(!m.contains("MII") && !m.contains(&pem[40..70]), "{m}");
        }
        o.0.insert("serviceAccount", OptionValue::Str(account.clone()));
        o.0.remove("scope");
        assert!(err(&o).starts_with("invalid option `scope`: is required for provider \"google\""));
    }
}
