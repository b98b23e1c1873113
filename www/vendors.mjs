// What the page knows about each vendor: the credential fields it needs, where
// to find them, its environments, and an example API path. The hints are
// condensed from the vendors' own guides (/work/shared/vendor-docs/).

export const SANDBOX = "sandbox-emulator";
export const CUSTOM = "custom";

const sandboxEnv = {
  id: SANDBOX,
  label: "Built-in sandbox (emulator, offline)",
  hint: "The vendor emulator that ships with edge-auth, served by this demo server: it answers exactly like the vendor's guide. No account, no network. Use the sample credentials.",
};

const customEnv = (placeholder, hint) => ({ id: CUSTOM, label: "Another base URL…", placeholder, hint });

const youniumCredentialHint =
  "In Younium: click your user name (top right) → Privacy & Security → Personal Tokens → Generate Token, give it a name, Create. " +
  "The Client ID and Secret Key are shown once: copy them right away.";

const legalEntityField = {
  name: "legalEntity",
  label: "Legal entity",
  optional: true,
  hint:
    "The Entity ID or name, sent as the legal-entity header on API calls (not on the token request). " +
    "Required if your tenant has several legal entities; a wrong or missing one makes API calls answer 403 Forbidden.",
};

const apiVersionField = {
  name: "apiVersion",
  label: "api-version",
  optional: true,
  advanced: true,
  placeholder: "2.1",
  hint: "Younium's api-version header on API calls; default 2.1. Setting it explicitly is recommended.",
};

function youniumEnvironments(usSandboxHost, tokenPath) {
  return [
    sandboxEnv,
    { id: "production", label: "Production — api.younium.com", origin: "https://api.younium.com", hint: `Your live tenant: https://api.younium.com${tokenPath}.` },
    { id: "sandbox", label: "Sandbox — api.sandbox.younium.com", origin: "https://api.sandbox.younium.com", hint: `Younium's sandbox tenant: https://api.sandbox.younium.com${tokenPath}. A token made in one tenant does not work in another.` },
    { id: "us-production", label: "US Production — api.us.younium.com", origin: "https://api.us.younium.com", hint: `Tenants hosted in the US: https://api.us.younium.com${tokenPath}.` },
    { id: "us-sandbox", label: `US Sandbox — ${usSandboxHost}`, origin: `https://${usSandboxHost}`, hint: `US-hosted sandbox: https://${usSandboxHost}${tokenPath}.` },
    customEnv("https://api.sandbox.younium.com", "The API origin, optionally with a path prefix; the token endpoint is derived from it."),
  ];
}

export const VENDORS = {
  younium: {
    label: "Younium",
    tagline: "auth v2",
    tokenPath: "/auth/v2/token",
    environments: youniumEnvironments("api.sandbox.us.younium.com", "/auth/v2/token"),
    fields: [
      { name: "clientId", label: "Client ID", hint: youniumCredentialHint, sample: "clientId" },
      { name: "secret", label: "Secret Key", secret: true, hint: "Shown once, next to the Client ID, when the personal token is created.", sample: "secret" },
      legalEntityField,
      apiVersionField,
    ],
    apiPath: "/Accounts?pageSize=10",
    note: "Tokens last 24 hours.",
  },
  "younium-v1": {
    label: "Younium",
    tagline: "auth v1",
    tokenPath: "/auth/token",
    environments: youniumEnvironments("api.us.sandbox.younium.com", "/auth/token"),
    fields: [
      { name: "clientId", label: "Client ID", hint: youniumCredentialHint, sample: "clientId" },
      { name: "secret", label: "Secret Key", secret: true, hint: "Shown with the Client ID when the personal token is created.", sample: "secret" },
      legalEntityField,
      apiVersionField,
    ],
    apiPath: "/Accounts?pageSize=10",
    note: "The older auth endpoint (/auth/token, camelCase response). Tokens last 24 hours. Its US sandbox host is api.us.sandbox.younium.com, as the v1 guide lists.",
  },
  union: {
    label: "IST-Pay union",
    tagline: "Keycloak",
    tokenPath: "/union-service/auth/token",
    environments: [
      sandboxEnv,
      customEnv("https://your-environment.example.com", "Your environment's host as IST-Pay gave it to you (https://{environment}.com); the token endpoint is /union-service/auth/token?api-version=1.0 under it."),
    ],
    fields: [
      { name: "username", label: "Username", hint: "The API user's name, from the API credentials you received on registration.", sample: "username" },
      { name: "password", label: "Password", secret: true, hint: "That user's password. edge-auth then renews with the refresh token while it is valid (30 minutes) and signs in again after.", sample: "password" },
      { name: "apiVersion", label: "api-version", optional: true, advanced: true, placeholder: "1.0", hint: "The api-version query parameter of the auth endpoints; default 1.0." },
      { name: "refreshUrl", label: "Refresh URL", optional: true, advanced: true, url: true, placeholder: "https://…/union-service/auth/refresh-token?api-version=1.0", hint: "Only if the refresh endpoint is not beside the token endpoint." },
    ],
    apiPath: "/union-service/api/ping",
    note: "Access tokens last 10 hours (expires_in 36000); refresh tokens 30 minutes.",
  },
  papaya: {
    label: "Papaya Global",
    tagline: "API key",
    tokenPath: "/token",
    environments: [
      sandboxEnv,
      customEnv("https://authentication-service.staging.pay.papayaglobal.work", "The authentication service's base URL for your environment. Sandbox and production have separate keys and client IDs."),
    ],
    fields: [
      { name: "apiKey", label: "API key", hint: "Provided by Papaya Global's integration support. Sandbox and production have separate keys.", sample: "apiKey" },
      { name: "clientSecret", label: "Client secret", secret: true, hint: "The secret that goes with the API key, also from integration support. Keep it out of client-side code you ship.", sample: "clientSecret" },
      { name: "tokenName", label: "Token name", optional: true, hint: "A name for the token; without one Papaya assigns a random UUID." },
    ],
    apiPath: "/api/v1/workers?limit=5",
    note: "Tokens last 24 hours; valid_until gives the exact expiry (to the minute).",
  },
  oauth2: {
    label: "OAuth2",
    tagline: "client credentials",
    tokenPath: "/api/v2/oauth2/token",
    environments: [
      sandboxEnv,
      customEnv("https://api.example.com", "Your environment URL: in the vendor's API reference, the Base URL menu lists Production EU and Production US. The token endpoint is /api/v2/oauth2/token under it."),
    ],
    fields: [
      { name: "clientId", label: "Client ID", hint: "From the vendor's developer portal, with the client secret.", sample: "clientId" },
      { name: "clientSecret", label: "Client secret", secret: true, hint: "Exchanged with the client ID for an access token.", sample: "clientSecret" },
      { name: "scope", label: "Scope", optional: true, hint: "Space-separated scopes, if the vendor asks for them." },
      { name: "audience", label: "Audience", optional: true, hint: "The API identifier, if the vendor asks for one." },
      {
        name: "bodyEncoding",
        label: "Body encoding",
        choices: [
          ["auto", "Detect"],
          ["json", "JSON (as the vendor documents)"],
          ["form", "Form, RFC 6749"],
        ],
        hint: "Detect sends JSON (the vendor's documented body) and, if the server refuses it, a form (application/x-www-form-urlencoded), which most OAuth2 servers expect; the other two pin one.",
      },
      {
        name: "clientAuth",
        label: "Client authentication",
        choices: [
          ["auto", "Detect"],
          ["body", "In the body"],
          ["basic", "HTTP Basic"],
          ["private_key_jwt", "Private key"],
        ],
        hint: "client_id and client_secret in the body, or as an Authorization: Basic header (RFC 6749 §2.3.1); Detect tries the body, then Basic if the server refuses the client. Private key: a JWT signed with your key (private_key_jwt, RFC 7523), no secret sent.",
      },
      {
        name: "privateKey",
        label: "Private key",
        secret: true,
        file: true,
        optional: true,
        hint: "For Private key: a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), pasted or picked from a file; kept in this page's memory only. In the sandbox, Use sample makes an ES256 key here and registers its public half.",
      },
      { name: "keyId", label: "Key ID (kid)", optional: true, hint: "For Private key: the key's id as registered at the server." },
    ],
    apiPath: "/api/v2/me",
    note: "Tokens last one hour (expires_in \"3600\").",
  },
  google: {
    label: "Google service account",
    tagline: "JWT bearer",
    tokenPath: "/google/token",
    environments: [sandboxEnv],
    fields: [
      {
        name: "serviceAccount",
        label: "Service account key (JSON)",
        secret: true,
        file: true,
        hint: "The JSON key file of the service account (IAM → Service accounts → Keys → Add key → JSON), pasted or picked from a file; kept in this page's memory only. edge-auth signs an RS256 assertion with its private_key (WebCrypto) for each token.",
      },
      { name: "scope", label: "Scopes", placeholder: "https://www.googleapis.com/auth/cloud-platform", hint: "Space-separated OAuth scopes, e.g. https://www.googleapis.com/auth/cloud-platform." },
      { name: "subject", label: "Subject", optional: true, hint: "Domain-wide delegation: the user to act as (the sandbox delegates users of @example.com)." },
    ],
    apiPath: "/storage/v1/b?project=demo",
    note: "Tokens last an hour. Google's token endpoint is not meant to be called from a page: here the sandbox plays it; use edge-auth from a server or a Worker for the real one.",
  },
};

/** Options every vendor has, under "Advanced". */
export const COMMON_ADVANCED = [
  { name: "tokenUrl", label: "Token URL", optional: true, advanced: true, url: true, placeholder: "https://…", hint: "The full token endpoint, used as given; overrides the one derived from the base URL." },
  { name: "refreshLeewaySeconds", label: "Refresh leeway (s)", optional: true, advanced: true, number: true, placeholder: "60", hint: "A token counts as expired this many seconds early (at most half its lifetime); auto-refresh fires then." },
  { name: "timeoutMs", label: "Timeout (ms)", optional: true, advanced: true, number: true, placeholder: "10000", hint: "Limit for one token request." },
];

/** The hint shown with an AuthError, by code. */
export const ERROR_HINTS = {
  invalid_config:
    "An option is wrong or missing: the message names it. URLs must be https:// (http:// only for loopback).",
  invalid_credentials:
    "The vendor refused the credentials (HTTP 400/401). Check for a typo or a stray space, and that they belong to this environment: sandbox and production (and EU and US) have separate credentials.",
  invalid_request:
    "The token endpoint refused the request itself, not the credentials: a scope, resource or grant it does not allow, or a body format it does not take. The message names the option to change.",
  forbidden:
    "403 Forbidden: the credentials were accepted but access is blocked — for Younium usually a wrong or missing legal entity, or a user without API permissions.",
  rate_limited: "429: the vendor asks you to slow down. Wait a moment and try again.",
  server_error:
    "The vendor (or the local proxy on its way) answered with a 5xx error. Try again later; if it persists, check the environment.",
  invalid_response:
    "The endpoint answered, but not with a token: most often the wrong environment or base URL (a web page, a redirect, or another 4xx instead of the token endpoint).",
  network:
    "The endpoint could not be reached: check the base URL and your network connection.",
  timeout: "The token request took longer than the timeout. The vendor may be slow or unreachable; raise the timeout under Advanced to check.",
};

export const PROXY_HINTS = {
  proxy_refused:
    "The local proxy forwards only to the vendor hosts and to origins typed into the environment field, over https:// (or http:// on loopback).",
  proxy_upstream_unreachable:
    "The local proxy could not reach the vendor: you may be offline, or the host name is wrong. The built-in sandbox works offline.",
  proxy_timeout: "The vendor did not answer the local proxy in time.",
};

/** Hints for API responses, by status. */
export function apiHint(status, { vendor, proxyRefused }) {
  if (proxyRefused) return PROXY_HINTS.proxy_refused;
  if (status === 401) return "401 even after edge-auth fetched a fresh token and retried once: the token is not valid for this API (another environment or tenant?), or the path needs other credentials.";
  if (status === 403) {
    return vendor.startsWith("younium")
      ? "403 Forbidden: the token is accepted but access is blocked. Younium: set the legal entity (the Entity ID or name) if your tenant has several; check the user's permissions."
      : "403 Forbidden: the token is accepted but this user may not call this path.";
  }
  if (status === 404) return "404: no such path here. The path is joined to the base URL as a string (https://h/v2 + /Accounts → https://h/v2/Accounts).";
  if (status === 429) return "429: rate limited; slow down.";
  if (status >= 500) return "The API (or the proxy on its way) failed; try again later.";
  return "";
}
