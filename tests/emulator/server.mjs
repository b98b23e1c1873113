// The vendor emulator: a loopback HTTP server that answers like the five
// token vendors edge-auth speaks to, strictly as their guides document, with
// faults injected on demand. Specified in docs/TESTING.md ("The vendor
// emulator"); usage in tests/emulator/README.md.
//
// Zero dependencies, and only node:http / node:crypto / node:url, so that it
// runs in Node and in Deno 2 (node: compatibility) alike.
//
//   import { startEmulator, SAMPLE_CREDENTIALS } from "./server.mjs";
//   const emu = await startEmulator();   // { url, port, close() }
//
//   node tests/emulator/server.mjs [--port N] [--host H]   → first stdout line EMULATOR_URL=…
//
// Nothing is printed per request: bodies, credentials and tokens never reach a log.
import http from "node:http";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Buffer } from "node:buffer";
import { SAMPLE_CREDENTIALS } from "./credentials.mjs";

export { SAMPLE_CREDENTIALS };

const MAX_BODY_BYTES = 1024 * 1024;
const HUGE_BODY_BYTES = 2 * 1024 * 1024;
const DEFAULT_NAMESPACE = "default";
const CONTROL_PREFIX = "/__emulator/";
const DEFAULT_REDIRECT = "http://example.invalid/token";

// ---------------------------------------------------------------------------
// Small helpers

// Web APIs rather than Buffer, which not every Deno 2 exposes as a global.
const utf8 = new TextEncoder();
function b64url(data) {
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
const httpDate = (ms) => new Date(ms).toUTCString(); // IMF-fixdate: "Thu, 27 Sep 2025 11:12:01 GMT"
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const hash = (s) => createHash("sha256").update(String(s)).digest("hex").slice(0, 16);

/** "application/JSON; charset=utf-8" → "application/json" ("" when absent). */
function mediaType(header) {
  return String(header ?? "").split(";")[0].trim().toLowerCase();
}

/** The first word of an Authorization header ("Basic", "Bearer"), never its credentials. */
function authScheme(header) {
  const word = String(header ?? "").trim().split(/\s+/)[0];
  return word || null;
}

/** A thrown vendor error: rendered by the dialect's error shape. */
class VendorError extends Error {
  constructor(status, code, message, headers = {}, { emptyBody = false } = {}) {
    super(message);
    this.status = status;
    this.code = code; // an RFC 6749 error code; vendors without codes ignore it
    this.headers = headers;
    this.emptyBody = emptyBody; // the error is only in the headers (WWW-Authenticate)
  }
}

// ---------------------------------------------------------------------------
// Error shapes, as each vendor documents them

const youniumError = (_code, message) => ({ errors: [message] });
const papayaError = (_code, message) => ({ error: message });
const oauthError = (code, message) => ({ error: code, error_description: message });

// ---------------------------------------------------------------------------
// Request bodies

/**
 * Parses a token request body: JSON, or (where the dialect allows it)
 * application/x-www-form-urlencoded. Returns { value } or { error }.
 */
function parseBody(raw, type) {
  if (type === "application/x-www-form-urlencoded") {
    const value = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      if (v === "") continue; // RFC 6749 §3.1: a parameter without a value is omitted
      // RFC 8707 §2: `resource` may be repeated; it is then an array.
      if (k === "resource" && Object.hasOwn(value, k)) {
        value[k] = [].concat(value[k], v);
        continue;
      }
      if (Object.hasOwn(value, k)) return { error: `Parameter ${k} is included more than once` };
      value[k] = v;
    }
    return { value };
  }
  let value;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: "The request body is not valid JSON" };
  }
  if (!isObject(value)) return { error: "The request body must be a JSON object" };
  return { value };
}

/** Required fields must be strings; optional ones, if present, too. */
function checkFields(body, { required, optional = [] }) {
  for (const f of required) {
    if (!Object.hasOwn(body, f)) throw new VendorError(400, "invalid_request", `Missing required field: ${f}`);
    if (typeof body[f] !== "string") throw new VendorError(400, "invalid_request", `Field ${f} must be a string`);
  }
  for (const f of optional) {
    if (Object.hasOwn(body, f) && typeof body[f] !== "string") {
      throw new VendorError(400, "invalid_request", `Field ${f} must be a string`);
    }
  }
}

/**
 * The default authentication: body fields against the dialect's sample
 * credentials (`credentials`: body field → SAMPLE_CREDENTIALS key).
 */
function matchCredentials(dialect, body) {
  const expected = SAMPLE_CREDENTIALS[dialect.name];
  const ok = Object.entries(dialect.credentials).every(([field, key]) => body[field] === expected[key]);
  if (!ok) throw new VendorError(...dialect.badCredentials);
  return { sub: hash(`${dialect.name}:${body[Object.keys(dialect.credentials)[0]]}`) };
}

/**
 * `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
 * Returns null without a Basic header; throws on a malformed one.
 */
function parseBasic(header) {
  const m = /^basic\s+(\S+)\s*$/i.exec(String(header ?? ""));
  if (!m) return null;
  const bad = () => new VendorError(401, "invalid_client", "Malformed HTTP Basic client credentials", { "WWW-Authenticate": 'Basic realm="oauth2"' });
  const formDecode = (s) => decodeURIComponent(s.replace(/\+/g, " "));
  try {
    const binary = atob(m[1]);
    const decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const colon = decoded.indexOf(":");
    if (colon < 0) throw bad();
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw bad();
  }
}

/**
 * The oauth2 endpoint. By default it takes every format the seed vendor's
 * dialect allows (JSON or form, the client in the body or as Basic); the
 * namespace's config makes it behave like a stricter RFC 6749 server:
 * `oauth2RequireForm` refuses a JSON body (400 invalid_request as
 * oidc-provider does, 400 unsupported_grant_type as a server that read the
 * JSON as an empty form does, or 415), `oauth2RequireBasic` refuses the
 * client in the body (401 invalid_client), `oauth2ErrorsInChallenge` sends
 * 401s with an empty body and the error in `WWW-Authenticate`,
 * `oauth2Scopes` and `oauth2Resources` (space-separated) allow only those
 * scopes (else 400 invalid_scope) and resource indicators (else 400 invalid_target).
 */
/**
 * Whether an assertion's `aud` names the endpoint it reached: its URL, or a
 * URL that ends in its path (the endpoint behind a proxy, as the demo page
 * reaches the sandbox through /sandbox/…).
 */
function audienceMatches(aud, req) {
  const path = new URL(req.url, "http://x").pathname;
  if (aud === `http://${req.headers.host}${path}`) return true;
  try {
    return typeof aud === "string" && new URL(aud).pathname.endsWith(path);
  } catch {
    return false;
  }
}

/** WebCrypto's parameters for a JWS `alg` (import, verify). */
const JWS_ALGS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  HS256: [{ name: "HMAC", hash: "SHA-256" }, { name: "HMAC" }],
};
const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * RFC 7523 §2.2 client authentication: `private_key_jwt` against the public
 * JWKs registered with POST /__emulator/client-key, `client_secret_jwt`
 * (HS256) with the sample client secret. The claims are checked as §3 says
 * (iss = sub = the client, aud = this endpoint, exp within 5 minutes, a jti
 * never seen before: a replayed assertion is refused).
 */
async function authenticateAssertion(body, req, ns, refuseClient) {
  const expected = SAMPLE_CREDENTIALS.oauth2;
  if (body.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw new VendorError(400, "invalid_request", "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  const parts = String(body.client_assertion).split(".");
  const [header, claims] = parts.length === 3 ? [b64urlJson(parts[0]), b64urlJson(parts[1])] : [null, null];
  if (!header || !claims) throw refuseClient("client_assertion is not a JWT");
  const alg = JWS_ALGS[header.alg];
  if (!alg) throw refuseClient(`unsupported client_assertion alg ${String(header.alg)}`);
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], "base64url");
  const keys =
    header.alg === "HS256"
      ? [await crypto.subtle.importKey("raw", new TextEncoder().encode(expected.clientSecret), alg[0], false, ["verify"])]
      : await Promise.all(ns.clientKeys.filter((k) => k.alg === header.alg && (header.kid === undefined || k.kid === header.kid)).map((k) => crypto.subtle.importKey("jwk", k.jwk, alg[0], false, ["verify"])));
  let valid = false;
  for (const key of keys) valid ||= await crypto.subtle.verify(alg[1], key, signature, signed);
  if (!valid) throw refuseClient("client_assertion signature is invalid");
  const now = Math.floor((Date.now() + ns.skewMs) / 1000);
  if (claims.iss !== expected.clientId || claims.sub !== expected.clientId) throw refuseClient("client_assertion iss and sub must be the client id");
  if (body.client_id !== undefined && body.client_id !== expected.clientId) throw refuseClient("client_id does not match the client_assertion");
  if (!audienceMatches(claims.aud, req)) throw refuseClient("client_assertion aud must be the token endpoint");
  if (!Number.isInteger(claims.exp) || claims.exp <= now || claims.exp - now > 300) throw refuseClient("client_assertion has expired or lives longer than 5 minutes");
  if (typeof claims.jti !== "string" || !claims.jti || ns.jtis.has(claims.jti)) throw refuseClient("client_assertion jti is missing or was used before");
  ns.jtis.add(claims.jti);
  ns.assertions.push({ alg: header.alg, kid: header.kid ?? null, jti: claims.jti, iat: claims.iat, exp: claims.exp });
  return { sub: hash(`oauth2:${expected.clientId}`) };
}

async function authenticateOAuth2(body, req, ns) {
  const config = ns.config;
  const refuseClient = (message, headers = {}) => {
    if (!config.oauth2ErrorsInChallenge) return new VendorError(401, "invalid_client", message, headers);
    const challenge = `Basic realm="oauth2", error="invalid_client", error_description="${message.replace(/["\\]/g, "\\$&")}"`;
    return new VendorError(401, "invalid_client", message, { "WWW-Authenticate": challenge }, { emptyBody: true });
  };
  if (config.oauth2RequireForm && mediaType(req.headers["content-type"]) !== "application/x-www-form-urlencoded") {
    const message = "only application/x-www-form-urlencoded bodies are accepted";
    if (config.oauth2RequireForm === "415") throw new VendorError(415, "invalid_request", message);
    if (config.oauth2RequireForm === "unsupported_grant_type") throw new VendorError(400, "unsupported_grant_type", "Missing or unsupported grant_type");
    throw new VendorError(400, "invalid_request", message);
  }
  if (body.grant_type !== "client_credentials") {
    throw new VendorError(400, "unsupported_grant_type", `Unsupported grant_type: only client_credentials is supported`);
  }
  const resources = body.resource === undefined ? [] : [].concat(body.resource);
  if (!resources.every((r) => typeof r === "string")) throw new VendorError(400, "invalid_request", "Field resource must be a string or an array of strings");
  if (body.client_assertion !== undefined) return await authenticateAssertion(body, req, ns, refuseClient);
  const basic = parseBasic(req.headers.authorization);
  const inBody = Object.hasOwn(body, "client_id") || Object.hasOwn(body, "client_secret");
  if (basic && inBody) {
    throw new VendorError(400, "invalid_request", "Client credentials must be sent in the body or with HTTP Basic, not both");
  }
  if (config.oauth2RequireBasic && !basic) throw refuseClient("client authentication failed: this client authenticates with HTTP Basic");
  const id = basic ? basic.id : body.client_id;
  const secret = basic ? basic.secret : body.client_secret;
  if (id === undefined) throw new VendorError(400, "invalid_request", "Missing required field: client_id");
  if (secret === undefined) throw new VendorError(400, "invalid_request", "Missing required field: client_secret");
  const expected = SAMPLE_CREDENTIALS.oauth2;
  if (id !== expected.clientId || secret !== expected.clientSecret) {
    throw refuseClient("Invalid client credentials", basic ? { "WWW-Authenticate": 'Basic realm="oauth2"' } : {});
  }
  const allowed = (list) => new Set(String(list).split(" ").filter(Boolean));
  if (config.oauth2Scopes !== null && typeof body.scope === "string") {
    const ok = allowed(config.oauth2Scopes);
    if (!body.scope.split(" ").filter(Boolean).every((s) => ok.has(s))) throw new VendorError(400, "invalid_scope", "requested scope is not allowed");
  }
  if (config.oauth2Resources !== null && !resources.every((r) => allowed(config.oauth2Resources).has(r))) {
    throw new VendorError(400, "invalid_target", "resource indicator is not allowed");
  }
  return { sub: hash(`oauth2:${id}`) };
}

/** Values a client submitted as secrets, for the echo-secret fault. */
function submittedSecrets(dialect, body, req) {
  const out = [];
  for (const f of dialect.secretFields) if (typeof body?.[f] === "string") out.push([f, body[f]]);
  if (dialect.name === "oauth2") {
    try {
      const basic = parseBasic(req.headers.authorization);
      if (basic) out.push(["client_secret", basic.secret]);
    } catch {
      /* malformed Basic header: nothing to echo */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The dialects. One row per token endpoint drives routing, validation,
// authentication, the success shape and the error shape.

const keycloakBody = (t) => ({
  access_token: t.accessToken,
  expires_in: t.ttl,
  refresh_expires_in: t.refreshTtl,
  refresh_token: t.refreshToken,
  token_type: "Bearer",
  "not-before-policy": 0,
  session_state: t.sessionState,
  scope: "email scope profile",
});

const YOUNIUM_BAD = [401, "invalid_client", "Invalid client credentials"];

// Row fields:
//   name           stats key; also the key in SAMPLE_CREDENTIALS
//   path           token endpoint, relative to the namespace (matched at the end of the path)
//   apiVersion     the only accepted `api-version` query value, when one is sent
//   contentTypes   accepted media types (anything else: 415)
//   fields         { required, optional } string fields of the body (else 400)
//   credentials    body field → SAMPLE_CREDENTIALS key, checked by matchCredentials
//   badCredentials [status, code, message] for wrong credentials
//   authenticate   (body, req, ns) → { sub, sessionState? }, replacing matchCredentials
//   secretFields   body fields the echo-secret fault echoes
//   logFields      body fields worth recording in tokenLog (never credentials)
//   ttlSeconds     default lifetime (config ttlSeconds overrides)
//   refreshToken   "uuid" (Younium) or "union" (rotating, JWT-shaped, stored)
//   status, tokenField, errorBody(code, message), success(t)   the response shapes

const DIALECTS = [
  {
    name: "younium",
    path: "/auth/v2/token",
    contentTypes: ["application/json"],
    fields: { required: ["clientId", "secret"] },
    credentials: { clientId: "clientId", secret: "secret" },
    badCredentials: YOUNIUM_BAD,
    secretFields: ["secret"],
    ttlSeconds: 86400,
    refreshToken: "uuid",
    status: 200,
    tokenField: "access_token",
    errorBody: youniumError,
    success: (t) => ({ access_token: t.accessToken, refresh_token: t.refreshToken, expires_in: t.ttl, expires: httpDate(t.expiresShown) }),
  },
  {
    name: "younium-v1",
    path: "/auth/token",
    contentTypes: ["application/json"],
    fields: { required: ["clientId", "secret"] },
    credentials: { clientId: "clientId", secret: "secret" },
    badCredentials: YOUNIUM_BAD,
    secretFields: ["secret"],
    ttlSeconds: 86400,
    refreshToken: "uuid",
    status: 200,
    tokenField: "accessToken",
    errorBody: youniumError,
    success: (t) => ({ expires: httpDate(t.expiresShown), expiresIn: t.ttl, accessToken: t.accessToken, refreshToken: t.refreshToken }),
  },
  {
    name: "union",
    path: "/union-service/auth/token",
    apiVersion: "1.0",
    contentTypes: ["application/json", "application/json-patch+json"],
    fields: { required: ["username", "password"] },
    credentials: { username: "username", password: "password" },
    badCredentials: [401, "invalid_grant", "Invalid user credentials"],
    secretFields: ["password"],
    ttlSeconds: 36000,
    refreshToken: "union",
    status: 200,
    tokenField: "access_token",
    errorBody: oauthError,
    success: keycloakBody,
  },
  {
    name: "union-refresh",
    path: "/union-service/auth/refresh-token",
    apiVersion: "1.0",
    contentTypes: ["application/json", "application/json-patch+json"],
    fields: { required: ["refreshToken"] },
    authenticate: (body, _req, ns) => ns.consumeRefreshToken(body.refreshToken),
    secretFields: ["refreshToken"],
    ttlSeconds: 36000,
    refreshToken: "union",
    status: 200,
    tokenField: "access_token",
    errorBody: oauthError,
    success: keycloakBody,
  },
  {
    name: "papaya",
    path: "/token",
    contentTypes: ["application/json"],
    fields: { required: ["api_key", "client_secret"], optional: ["token_name"] },
    credentials: { api_key: "apiKey", client_secret: "clientSecret" },
    badCredentials: [401, "invalid_client", "Invalid request"],
    secretFields: ["api_key", "client_secret"],
    ttlSeconds: 86400,
    // valid_until has minute precision (seconds with papayaSeconds), rounded
    // down; the token really expires at the instant it shows.
    expiryPrecisionMs: (config) => (config.papayaSeconds ? 1000 : 60_000),
    status: 201,
    tokenField: "token",
    errorBody: papayaError,
    success: (t) => ({
      valid_until: new Date(t.expiresShown).toISOString().slice(0, t.config.papayaSeconds ? 19 : 16) + "Z",
      token: t.accessToken,
      token_name: t.body?.token_name ?? randomUUID(),
    }),
  },
  {
    name: "oauth2",
    path: "/api/v2/oauth2/token",
    contentTypes: ["application/json", "application/x-www-form-urlencoded"],
    // `resource` (a string, or an array of them) is checked by authenticateOAuth2.
    fields: { required: ["grant_type"], optional: ["client_id", "client_secret", "scope", "audience", "client_assertion", "client_assertion_type"] },
    authenticate: authenticateOAuth2,
    secretFields: ["client_secret"],
    logFields: ["scope", "audience", "resource"],
    ttlSeconds: 3600,
    status: 200,
    tokenField: "access_token",
    errorBody: oauthError,
    success: (t) => ({ token_type: "Bearer", access_token: t.accessToken, expires_in: String(t.ttl) }),
  },
];

// Longest path first, so that /union-service/auth/token wins over /auth/token
// and /token. Token endpoints are matched at the end of the path, so a base
// URL with a path prefix (…/t/ns/v2 + /auth/v2/token) reaches them too.
const DIALECTS_BY_PATH = [...DIALECTS].sort((a, b) => b.path.length - a.path.length);
const findDialect = (path) => DIALECTS_BY_PATH.find((d) => path === d.path || path.endsWith(d.path));

// The API behaves like Younium's for errors.
const API_SHAPE = { name: "api", status: 200, tokenField: null, errorBody: youniumError, secretFields: [] };

// ---------------------------------------------------------------------------
// Per-namespace state

const DEFAULT_CONFIG = Object.freeze({
  ttlSeconds: null,
  refreshTtlSeconds: null,
  tokenDelayMs: 0,
  apiDelayMs: 0,
  requireLegalEntity: null,
  papayaSeconds: false,
  omitDateHeader: false,
  clockSkewSeconds: 0,
  oauth2RequireForm: null,
  oauth2RequireBasic: false,
  oauth2ErrorsInChallenge: false,
  oauth2Scopes: null,
  oauth2Resources: null,
});

const CONFIG_TYPES = {
  ttlSeconds: "duration",
  refreshTtlSeconds: "duration",
  tokenDelayMs: "duration",
  apiDelayMs: "duration",
  requireLegalEntity: "string",
  papayaSeconds: "boolean",
  omitDateHeader: "boolean",
  clockSkewSeconds: "number",
  oauth2RequireForm: ["invalid_request", "unsupported_grant_type", "415"],
  oauth2RequireBasic: "boolean",
  oauth2ErrorsInChallenge: "boolean",
  oauth2Scopes: "string",
  oauth2Resources: "string",
};

const FAULT_TARGETS = ["token", "refresh", "api"];
const FAULT_KINDS = ["status", "html", "badjson", "notoken", "delay", "drop", "huge", "echo-secret", "redirect"];
const UNION_REFRESH_TTL = 1800;

class Namespace {
  constructor(name) {
    this.name = name;
    this.config = { ...DEFAULT_CONFIG };
    this.faults = []; // FIFO of { target, kind, remaining, … }
    this.tokens = new Map(); // access token → { dialect, expiresAt, revoked }
    this.refreshTokens = new Map(); // union refresh token → { sub, sessionState, expiresAt, revoked }
    this.tokenRequests = Object.fromEntries(DIALECTS.map((d) => [d.name, 0]));
    this.googleTokenRequests = 0;
    this.clientKeys = []; // { alg, kid, jwk }: public keys for private_key_jwt
    this.jtis = new Set();
    this.assertions = []; // the client assertions accepted (header and times, never the JWT)
    this.apiRequests = 0;
    this.tokenLog = [];
    this.apiLog = [];
  }

  get skewMs() {
    return this.config.clockSkewSeconds * 1000;
  }

  /** Removes and returns the first queued fault for one of `targets`. */
  takeFault(targets) {
    const i = this.faults.findIndex((f) => targets.includes(f.target));
    if (i < 0) return null;
    const fault = this.faults[i];
    if (--fault.remaining <= 0) this.faults.splice(i, 1);
    return fault;
  }

  /** A JWT-shaped token: base64url(header).base64url(claims).base64url(16 random bytes). */
  mint(dialect, sub, expiresAt, extraClaims = {}) {
    const header = { alg: "HS256", typ: "JWT", kid: "edge-auth-emulator" };
    const claims = {
      sub,
      iat: Math.floor((Date.now() + this.skewMs) / 1000),
      exp: Math.floor((expiresAt + this.skewMs) / 1000),
      jti: randomUUID(),
      dialect,
      ...extraClaims,
    };
    return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}.${b64url(randomBytes(16))}`;
  }

  /**
   * Everything a success response needs. With register=false (notoken and
   * huge faults) nothing is remembered, so the tokens are unusable.
   */
  issue(dialect, { sub, sessionState, body }, register = true) {
    const now = Date.now();
    const ttl = this.config.ttlSeconds ?? dialect.ttlSeconds;
    // Absolute expiry as the (possibly skewed) server clock shows it, rounded
    // down to the dialect's precision; the real expiry is that instant.
    const precision = dialect.expiryPrecisionMs?.(this.config) ?? 1;
    const expiresShown = Math.floor((now + ttl * 1000 + this.skewMs) / precision) * precision;
    const expiresAt = expiresShown - this.skewMs;
    const accessToken = this.mint(dialect.name === "union-refresh" ? "union" : dialect.name, sub, expiresAt);
    if (register) this.tokens.set(accessToken, { dialect: dialect.name, expiresAt, revoked: false });

    const t = { accessToken, ttl, expiresShown, config: this.config, body };
    if (dialect.refreshToken === "uuid") t.refreshToken = randomUUID();
    if (dialect.refreshToken === "union") {
      t.refreshTtl = this.config.refreshTtlSeconds ?? UNION_REFRESH_TTL;
      t.sessionState = sessionState ?? randomUUID();
      const refreshExpiresAt = now + t.refreshTtl * 1000;
      t.refreshToken = this.mint("union", sub, refreshExpiresAt, { typ: "Refresh" });
      if (register) {
        this.refreshTokens.set(t.refreshToken, { sub, sessionState: t.sessionState, expiresAt: refreshExpiresAt, revoked: false });
      }
    }
    return dialect.success(t);
  }

  /** Union refresh: a refresh token is good once, before it expires, unless revoked. */
  consumeRefreshToken(token) {
    const entry = this.refreshTokens.get(token);
    if (!entry || entry.revoked || Date.now() >= entry.expiresAt) {
      throw new VendorError(400, "invalid_grant", "Token is not active");
    }
    this.refreshTokens.delete(token);
    return { sub: entry.sub, sessionState: entry.sessionState };
  }

  isValidAccessToken(token) {
    const entry = this.tokens.get(token);
    return Boolean(entry && !entry.revoked && Date.now() < entry.expiresAt);
  }

  revokeAll() {
    let n = 0;
    for (const map of [this.tokens, this.refreshTokens]) {
      for (const entry of map.values()) {
        if (!entry.revoked) n++;
        entry.revoked = true;
      }
    }
    return n;
  }

  stats() {
    return {
      tokenRequests: { ...this.tokenRequests },
      totalTokenRequests: Object.values(this.tokenRequests).reduce((a, b) => a + b, 0),
      googleTokenRequests: this.googleTokenRequests,
      assertions: this.assertions,
      apiRequests: this.apiRequests,
      pendingFaults: this.faults.reduce((n, f) => n + f.remaining, 0),
      tokenLog: this.tokenLog,
      apiLog: this.apiLog,
    };
  }
}

function validateConfig(input) {
  if (!isObject(input)) throw new Error("config must be a JSON object");
  for (const [k, v] of Object.entries(input)) {
    const type = CONFIG_TYPES[k];
    if (!type) throw new Error(`unknown config key ${k}; known: ${Object.keys(CONFIG_TYPES).join(", ")}`);
    if (v === null) continue; // back to the default
    const ok =
      Array.isArray(type) ? type.includes(v)
      : type === "duration" ? typeof v === "number" && Number.isFinite(v) && v >= 0
      : type === "number" ? typeof v === "number" && Number.isFinite(v)
      : typeof v === type;
    const expected = Array.isArray(type) ? `one of ${type.map((t) => JSON.stringify(t)).join(", ")}` : type === "duration" ? "a number >= 0" : `a ${type}`;
    if (!ok) throw new Error(`config ${k} must be ${expected}`);
  }
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v ?? DEFAULT_CONFIG[k]]));
}

function validateFault(input) {
  if (!isObject(input)) throw new Error("fault must be a JSON object");
  const { target, kind, count = 1, status, body, headers, delayMs } = input;
  if (!FAULT_TARGETS.includes(target)) throw new Error(`fault target must be one of ${FAULT_TARGETS.join(", ")}`);
  if (!FAULT_KINDS.includes(kind)) throw new Error(`fault kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (!Number.isInteger(count) || count < 1) throw new Error("fault count must be an integer >= 1");
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new Error("fault status must be an integer from 200 to 599");
  }
  if (headers !== undefined && !(isObject(headers) && Object.values(headers).every((v) => typeof v === "string"))) {
    throw new Error("fault headers must be an object of strings");
  }
  if (delayMs !== undefined && !(typeof delayMs === "number" && delayMs >= 0)) throw new Error("fault delayMs must be a number >= 0");
  if (kind === "redirect" && body !== undefined && typeof body !== "string") throw new Error("redirect fault body must be the Location URL");
  return { target, kind, remaining: count, status, body, headers: headers ?? {}, delayMs };
}

// ---------------------------------------------------------------------------
// Responses

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
  "Access-Control-Allow-Headers": "authorization, content-type, api-version, legal-entity, accept",
  "Access-Control-Expose-Headers": "date, www-authenticate, retry-after, location",
  "Access-Control-Max-Age": "600",
};

const NGINX_502 =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
  "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/** One request being answered: response helpers bound to its namespace. */
class Exchange {
  constructor(req, res, sleep) {
    this.req = req;
    this.res = res;
    this.sleep = sleep;
    this.ns = null;
    this.onStatus = null; // set by the token handler to log the status
  }

  /** Sends a response. `body`: a string as is, anything else as JSON. */
  send(status, body = "", headers = {}) {
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    const bytes = utf8.encode(typeof body === "string" ? body : JSON.stringify(body));
    // Connection: close, so that a client never reuses a connection: Deno's
    // fetch silently retries a request whose reused connection is dropped,
    // which would hide the drop fault.
    const all = { ...CORS_HEADERS, "Cache-Control": "no-store", Connection: "close" };
    if (typeof body !== "string") all["Content-Type"] = "application/json";
    else if (bytes.length) all["Content-Type"] = "text/plain; charset=utf-8";
    Object.assign(all, headers, { "Content-Length": String(bytes.length) });
    const config = this.ns?.config ?? DEFAULT_CONFIG;
    if (config.omitDateHeader) res.sendDate = false;
    else all.Date = httpDate(Date.now() + config.clockSkewSeconds * 1000);
    for (const [k, v] of Object.entries(all)) res.setHeader(k, v);
    res.statusCode = status;
    res.end(this.req.method === "HEAD" ? undefined : bytes);
    this.onStatus?.(status);
  }

  /** Closes the connection without any response. */
  drop() {
    this.onStatus?.(null);
    this.req.socket?.destroy();
    this.res.destroy?.();
  }
}

/**
 * Answers with a queued fault. Returns false when the request should then be
 * answered normally (delay). `shape`: the dialect (or API_SHAPE); `ok()`
 * builds an unregistered success body.
 */
async function answerWithFault(ex, fault, shape, { ok, secrets }) {
  const extra = fault.headers;
  switch (fault.kind) {
    case "delay":
      await ex.sleep(fault.delayMs ?? 1000);
      return false;
    case "drop":
      ex.drop();
      return true;
    case "status": {
      const status = fault.status ?? 500;
      const code = status >= 500 ? "server_error" : status === 401 ? "invalid_client" : "invalid_request";
      const body = fault.body ?? shape.errorBody(code, status >= 500 ? "Internal server error" : `Injected HTTP ${status}`);
      ex.send(status, body, extra);
      return true;
    }
    case "html":
      ex.send(fault.status ?? 502, NGINX_502, { "Content-Type": "text/html", Server: "nginx", ...extra });
      return true;
    case "badjson": {
      // Truncated mid-token: not JSON, and not a complete JWT either.
      const field = shape.tokenField ?? "ok";
      ex.send(fault.status ?? shape.status, `{"${field}": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ`, { "Content-Type": "application/json", ...extra });
      return true;
    }
    case "notoken": {
      const body = ok();
      if (shape.tokenField) delete body[shape.tokenField];
      ex.send(fault.status ?? shape.status, body, extra);
      return true;
    }
    case "huge": {
      // Valid JSON of the success shape whose token field is 2 MiB of
      // base64url characters: no usable token for a client that accepts it.
      const body = ok();
      body[shape.tokenField ?? "padding"] = "A".repeat(HUGE_BODY_BYTES);
      ex.send(fault.status ?? shape.status, body, extra);
      return true;
    }
    case "echo-secret": {
      const status = fault.status ?? 401;
      const shown = secrets.length ? secrets.map(([k, v]) => `${k}=${v}`).join(", ") : "(none)";
      const code = status === 401 ? "invalid_client" : "invalid_request";
      ex.send(status, shape.errorBody(code, `Invalid credentials: ${shown}`), extra);
      return true;
    }
    case "redirect":
      ex.send(fault.status ?? 307, "", { Location: fault.body ?? DEFAULT_REDIRECT, ...extra });
      return true;
    default:
      throw new Error(`unhandled fault kind ${fault.kind}`);
  }
}

// ---------------------------------------------------------------------------
// Google service accounts: the JWT-bearer grant at oauth2.googleapis.com/token
// as Google documents it (server-to-server OAuth 2.0). Each emulator makes
// its own service account key pair at start (WebCrypto), so no private key
// is ever in the repository; `emu.googleServiceAccount` (or GET
// /__emulator/google-service-account) is its JSON key file, with token_uri
// pointing here. The assertion's RS256 signature is verified against the
// account's public key, its claims as Google checks them, and errors are
// Google's own bodies.

const GOOGLE_PATH = "/google/token";
const GOOGLE_PROJECT = "edge-auth-emulator";
const GOOGLE_EMAIL = `emulator@${GOOGLE_PROJECT}.iam.gserviceaccount.com`;
/** Domain-wide delegation is granted for users of this domain only. */
const GOOGLE_DELEGATED_DOMAIN = "@example.com";
const googleError = (code, message) => ({ error: code, error_description: message });
const GOOGLE_SHAPE = { name: "google", status: 200, tokenField: "access_token", errorBody: googleError, secretFields: [] };

function pemOf(label, der) {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

async function googleAccount() {
  const pair = await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"]);
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  const keyId = randomBytes(20).toString("hex");
  return {
    publicKey: pair.publicKey,
    keyId,
    file: (base) => ({
      type: "service_account",
      project_id: GOOGLE_PROJECT,
      private_key_id: keyId,
      private_key: pemOf("PRIVATE KEY", pkcs8),
      client_email: GOOGLE_EMAIL,
      client_id: "100000000000000000001",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: `${base}${GOOGLE_PATH}`,
    }),
  };
}

function b64urlJson(part) {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

async function handleGoogle(ex, url, path, raw, account) {
  const { req, ns } = ex;
  ns.googleTokenRequests++;
  const entry = { endpoint: "google", path, method: req.method, contentType: req.headers["content-type"] ?? null, at: Date.now(), status: undefined };
  ns.tokenLog.push(entry);
  ex.onStatus = (status) => (entry.status = status);
  await ex.sleep(ns.config.tokenDelayMs);
  const fault = ns.takeFault(["token"]);
  if (fault) {
    const ok = () => ({ access_token: `ya29.${ns.mint("google", "fault", Date.now())}`, expires_in: 3599, token_type: "Bearer" });
    if (await answerWithFault(ex, fault, GOOGLE_SHAPE, { ok, secrets: [] })) return;
  }
  const fail = (status, code, message) => ex.send(status, googleError(code, message));
  if (req.method !== "POST") return fail(405, "invalid_request", `Method ${req.method} not allowed`);
  if (mediaType(req.headers["content-type"]) !== "application/x-www-form-urlencoded") return fail(400, "invalid_request", "Invalid Content-Type");
  const form = new URLSearchParams(raw);
  if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return fail(400, "unsupported_grant_type", `Invalid grant_type: ${form.get("grant_type") ?? ""}`);
  }
  const parts = (form.get("assertion") ?? "").split(".");
  const [header, claims] = parts.length === 3 ? [b64urlJson(parts[0]), b64urlJson(parts[1])] : [null, null];
  if (!header || !claims) return fail(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
  if (claims.iss !== GOOGLE_EMAIL) return fail(400, "invalid_grant", "Invalid grant: account not found");
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const valid =
    header.alg === "RS256" &&
    (header.kid === undefined || header.kid === account.keyId) &&
    (await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, account.publicKey, Buffer.from(parts[2], "base64url"), signed));
  if (!valid) return fail(400, "invalid_grant", "Invalid JWT Signature.");
  const now = Math.floor((Date.now() + ns.skewMs) / 1000);
  const { iat, exp } = claims;
  if (!Number.isInteger(iat) || !Number.isInteger(exp) || exp - iat > 3600 || exp <= now || iat > now + 60) {
    return fail(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
  }
  const expectedAud = `http://${req.headers.host}${url.pathname}`;
  if (!audienceMatches(claims.aud, req)) return fail(400, "invalid_grant", `Invalid JWT: Failed audience check. The right audience is ${expectedAud}`);
  if (typeof claims.scope !== "string" || !claims.scope.trim()) return fail(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  if (claims.sub !== undefined && !(typeof claims.sub === "string" && claims.sub.endsWith(GOOGLE_DELEGATED_DOMAIN))) {
    return fail(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.");
  }
  entry.scope = claims.scope;
  entry.sub = claims.sub ?? null;
  const ttl = ns.config.ttlSeconds ?? 3599;
  const expiresAt = Date.now() + ttl * 1000;
  const accessToken = `ya29.${ns.mint("google", claims.sub ?? GOOGLE_EMAIL, expiresAt, { scope: claims.scope })}`;
  ns.tokens.set(accessToken, { dialect: "google", expiresAt, revoked: false });
  ex.send(200, { access_token: accessToken, expires_in: ttl, token_type: "Bearer" });
}

// ---------------------------------------------------------------------------
// Handlers

/** Query string for the token log, values other than api-version redacted. */
function loggedQuery(url) {
  const out = new URLSearchParams();
  for (const [k, v] of url.searchParams) out.append(k, k === "api-version" ? v : "[redacted]");
  return out.toString();
}

async function handleToken(ex, dialect, url, path, raw) {
  const { req, ns } = ex;
  const type = mediaType(req.headers["content-type"]);
  const lenient = parseBody(raw, type === "application/x-www-form-urlencoded" ? type : "application/json");

  ns.tokenRequests[dialect.name]++;
  const entry = {
    endpoint: dialect.name,
    path,
    method: req.method,
    contentType: req.headers["content-type"] ?? null,
    accept: req.headers.accept ?? null,
    authScheme: authScheme(req.headers.authorization),
    bodyKeys: lenient.value ? Object.keys(lenient.value) : null,
    query: loggedQuery(url),
    at: Date.now(),
    status: undefined,
  };
  for (const f of dialect.logFields ?? []) {
    const v = lenient.value?.[f];
    if (typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"))) entry[f] = v;
  }
  ns.tokenLog.push(entry);
  ex.onStatus = (status) => (entry.status = status);

  await ex.sleep(ns.config.tokenDelayMs);
  const fault = ns.takeFault(dialect.name === "union-refresh" ? ["token", "refresh"] : ["token"]);
  if (fault) {
    const ok = () => ns.issue(dialect, { sub: "fault", body: lenient.value }, false);
    const secrets = submittedSecrets(dialect, lenient.value, req);
    if (await answerWithFault(ex, fault, dialect, { ok, secrets })) return;
  }

  try {
    if (req.method !== "POST") throw new VendorError(405, "invalid_request", `Method ${req.method} not allowed`, { Allow: "POST, OPTIONS" });
    if (!dialect.contentTypes.includes(type)) {
      throw new VendorError(415, "invalid_request", `Unsupported Content-Type; expected ${dialect.contentTypes.join(" or ")}`);
    }
    const version = url.searchParams.get("api-version");
    if (dialect.apiVersion && version !== null && version !== dialect.apiVersion) {
      throw new VendorError(400, "invalid_request", `Unsupported api-version ${version}; supported: ${dialect.apiVersion}`);
    }
    const parsed = parseBody(raw, type);
    if (parsed.error) throw new VendorError(400, "invalid_request", parsed.error);
    checkFields(parsed.value, dialect.fields);
    const who = dialect.authenticate ? await dialect.authenticate(parsed.value, req, ns) : matchCredentials(dialect, parsed.value);
    ex.send(dialect.status, ns.issue(dialect, { ...who, body: parsed.value }));
  } catch (e) {
    if (!(e instanceof VendorError)) throw e;
    ex.send(e.status, e.emptyBody ? "" : dialect.errorBody(e.code, e.message), e.headers);
  }
}

async function handleApi(ex, url, path, raw) {
  const { req, ns } = ex;
  ns.apiRequests++;
  const entry = { method: req.method, path, at: Date.now(), status: undefined };
  ns.apiLog.push(entry);
  ex.onStatus = (status) => (entry.status = status);

  await ex.sleep(ns.config.apiDelayMs);
  const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  const fault = ns.takeFault(["api"]);
  if (fault) {
    const ok = () => ({ ok: true, method: req.method, path });
    const secrets = m ? [["token", m[1]]] : [];
    if (await answerWithFault(ex, fault, API_SHAPE, { ok, secrets })) return;
  }

  if (!m || !ns.isValidAccessToken(m[1])) {
    return ex.send(401, { errors: ["Unauthorized"] }, { "WWW-Authenticate": "Bearer" });
  }
  const entity = ns.config.requireLegalEntity;
  if (entity !== null && req.headers["legal-entity"] !== entity) {
    return ex.send(403, { errors: ["Forbidden: invalid or missing legal-entity header"] });
  }
  let json = null;
  try {
    json = raw ? JSON.parse(raw) : null;
  } catch {
    /* not JSON: echoed as text only */
  }
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = Object.hasOwn(query, k) ? [].concat(query[k], v) : v;
  ex.send(200, { ok: true, method: req.method, path, rawPath: url.pathname, query, headers: { ...req.headers }, body: raw, json });
}

function handleControl(ex, name, raw, dropNamespace, googleFile) {
  const { req, ns } = ex;
  const routes = {
    "google-service-account": { GET: () => googleFile() },
    "client-key": {
      POST: (input) => {
        const { alg, kid = undefined, jwk } = input ?? {};
        if (!JWS_ALGS[alg] || alg === "HS256" || !isObject(jwk) || jwk.d !== undefined) throw new Error("client-key wants { alg: RS256|PS256|ES256, kid?, jwk: a public JWK }");
        ns.clientKeys.push({ alg, kid, jwk });
        return { ok: true, keys: ns.clientKeys.length };
      },
    },
    config: { POST: (input) => ({ ok: true, config: Object.assign(ns.config, validateConfig(input ?? {})) }), GET: () => ({ ok: true, config: ns.config }) },
    fault: {
      POST: (input) => {
        ns.faults.push(validateFault(input));
        return { ok: true, pendingFaults: ns.stats().pendingFaults };
      },
    },
    revoke: { POST: () => ({ ok: true, revoked: ns.revokeAll() }) },
    stats: { GET: () => ns.stats(), POST: () => ns.stats() },
    reset: { POST: () => (dropNamespace(), { ok: true }) },
  };
  const route = routes[name];
  if (!route) return ex.send(404, { error: `unknown control endpoint ${name}; known: ${Object.keys(routes).join(", ")}` });
  const handler = route[req.method];
  if (!handler) return ex.send(405, { error: `use ${Object.keys(route).join(" or ")}` }, { Allow: Object.keys(route).join(", ") });
  let input;
  try {
    input = raw.trim() ? JSON.parse(raw) : undefined;
  } catch {
    return ex.send(400, { error: "control request body is not valid JSON" });
  }
  try {
    ex.send(200, handler(input));
  } catch (e) {
    ex.send(400, { error: e.message });
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) text += decoder.decode(chunk, { stream: true });
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? null : text + decoder.decode()));
    req.on("error", reject);
  });
}

/** "/t/<ns>/rest" → ["<ns>", "/rest"]; anything else is in the default namespace. */
function splitNamespace(pathname) {
  const m = /^\/t\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m) return [DEFAULT_NAMESPACE, pathname];
  return [decodeURIComponent(m[1]), m[2] ?? "/"];
}

// ---------------------------------------------------------------------------
// The server

/**
 * Starts an emulator. Resolves to { url, port, close }; close() resolves once
 * the server is closed, open connections and pending delays included.
 */
export async function startEmulator({ port = 0, host = "127.0.0.1" } = {}) {
  const account = await googleAccount();
  const namespaces = new Map();
  const sockets = new Set();
  const timers = new Set();
  const namespace = (name) => {
    if (!namespaces.has(name)) namespaces.set(name, new Namespace(name));
    return namespaces.get(name);
  };
  const sleep = (ms) =>
    ms > 0
      ? new Promise((resolve) => {
          const t = setTimeout(() => (timers.delete(t), resolve()), ms);
          timers.add(t);
        })
      : Promise.resolve();

  const server = http.createServer(async (req, res) => {
    const ex = new Exchange(req, res, sleep);
    try {
      const url = new URL(req.url, "http://emulator.invalid");
      let nsName, path;
      try {
        [nsName, path] = splitNamespace(url.pathname);
      } catch {
        req.resume();
        return ex.send(400, { error: "malformed namespace in path" });
      }
      ex.ns = namespace(nsName);

      if (req.method === "OPTIONS") {
        req.resume();
        const headers = {};
        const asked = req.headers["access-control-request-headers"];
        if (asked) headers["Access-Control-Allow-Headers"] = `${CORS_HEADERS["Access-Control-Allow-Headers"]}, ${asked}`;
        if (req.headers["access-control-request-private-network"]) headers["Access-Control-Allow-Private-Network"] = "true";
        return ex.send(204, "", headers);
      }

      const raw = await readBody(req);
      if (raw === null) return ex.send(413, { error: "request body too large" });

      if (path.startsWith(CONTROL_PREFIX)) {
        const base = `http://${req.headers.host}${nsName === DEFAULT_NAMESPACE ? "" : `/t/${encodeURIComponent(nsName)}`}`;
        return handleControl(ex, path.slice(CONTROL_PREFIX.length), raw, () => namespaces.delete(nsName), () => account.file(base));
      }
      if (path === GOOGLE_PATH || path.endsWith(GOOGLE_PATH)) return await handleGoogle(ex, url, path, raw, account);
      const dialect = findDialect(path);
      if (dialect) return await handleToken(ex, dialect, url, path, raw);
      return await handleApi(ex, url, path, raw);
    } catch (e) {
      // A bug in the emulator: answer 500 without echoing anything of the request.
      ex.send(500, { error: `emulator error: ${e?.name ?? "Error"}` });
    }
  });

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const actual = server.address().port;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      let closing = null;
      const close = () =>
        (closing ??= new Promise((done) => {
          for (const t of timers) clearTimeout(t);
          timers.clear();
          server.close(() => done());
          server.closeAllConnections?.();
          for (const s of sockets) s.destroy();
        }));
      const base = `http://${shownHost}:${actual}`;
      resolve({ url: base, port: actual, close, googleServiceAccount: (ns) => account.file(ns ? `${base}/t/${encodeURIComponent(ns)}` : base) });
    });
  });
}

// ---------------------------------------------------------------------------
// CLI: node tests/emulator/server.mjs [--port N] [--host H]

function cliOptions(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--port") opts.port = Number(value());
    else if (flag === "--host") opts.host = value();
    else throw new Error(`unknown argument ${argv[i]}; usage: server.mjs [--port N] [--host H]`);
  }
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
    throw new Error("--port must be an integer from 0 to 65535");
  }
  return opts;
}

const isMain =
  import.meta.main === true ||
  (typeof process !== "undefined" && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);

if (isMain) {
  const emu = await startEmulator(cliOptions(process.argv.slice(2)));
  process.stdout.write(`EMULATOR_URL=${emu.url}\n`);
  const stop = () => emu.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
