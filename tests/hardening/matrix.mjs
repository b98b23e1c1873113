// The hardening fault matrix: every token dialect × every fault
// class the vendor emulator can inject, each faulty call followed by a call
// that must succeed with a token the emulator's API accepts, plus the
// emulator's count of token requests per case (no retry on 4xx, network
// failures or timeouts; at most 3 attempts on 5xx; Retry-After waited out
// only within timeoutMs). Groups of cases:
//
//   token       per variant: every fault class at the token endpoint (status
//               400/401/403/404/429/5xx with and without Retry-After, html,
//               badjson, notoken, huge, drop, delay, redirect, echo-secret)
//   wrong       per variant: distinctive wrong credentials, plain and echoed
//   api         per variant: API-side faults through client.fetch
//   concurrent  per variant: concurrent callers under a fault share one token
//               request and its outcome; a caller's signal ends its own wait only
//   store       per variant: store keys under a failed and a good request
//   refresh     union's refresh endpoint under every fault, with fallback
//   echo        per variant: a 401 quoting the (special) secret in every encoding
//               a server may use (tests/lib/echoes.mjs), and a custom fetch that
//               rejects quoting the token request or the API call
//   config      hostile options (CR/LF in header values…): invalid_config, no secret
//
// Runtime-agnostic: only fetch, standard web APIs, the library (passed in)
// and the emulator's control endpoints. No `node:` imports, nothing timed,
// fetched or random at module top level, so that the module can be bundled
// into a Cloudflare worker (tests/hardening/worker.mjs).
//
//   listCases()                → [{ id, group, variant, name }]
//   runCase(env, id)           → { id, group, variant, ok, error, ms, tokens? }
//   runMatrix(env, options?)   → { cases, passed, failures: [{ id, error }], results }
//
// env: { AuthClient, AuthError, emulatorUrl, prefix,
//        observe?  // wrap the client's fetch (the `fetch` option, a test double)
//                  // to record every token the emulator hands out: result.tokens
//        emit?     // (record: { case, what, text }) ← every rendering of every
//                  // error the library produced, every store key (for the secret grep)
//        inspect?  // (value) → string, e.g. node:util inspect
//      }
// Every case uses its own emulator namespace `${prefix}-${id}` and frees
// every client it created.
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";
import { echoEncodings, echoNeedles } from "../lib/echoes.mjs";

const DEFAULT_TIMEOUT_MS = 4000;
const CALL_LIMIT_MS = 20_000;
/** A call that must not have waited (no retry, no Retry-After wait). */
const QUICK_MS = 2500;

// ---------------------------------------------------------------------------
// Credentials

/** Distinctive wrong credentials: never to appear in any output either. */
export const WRONG = Object.freeze({
  plain: "WRONG-SECRET-7f3a9c2e5b1d",
  // JSON escaping, URL and form encoding, HTML, Unicode beyond the BMP, a tab.
  special: 'WRONG-SECRET-b4e1 "quoted" \\back\\slash/ ünïcødé 🔑\t<tag>&amp; a+b=c%20;',
  long: `WRONG-SECRET-LONG-${"5e8f".repeat(1500)}`,
  apiKey: "WRONG-APIKEY-3d9b61f0a7c4",
});

const SECRET_FIELDS = ["secret", "password", "clientSecret", "apiKey"];

/** Every credential value the library holds in some case: [label, value]. */
export function credentialValues() {
  const out = [];
  for (const [dialect, creds] of Object.entries(SAMPLE_CREDENTIALS)) {
    for (const f of SECRET_FIELDS) if (typeof creds[f] === "string") out.push([`${dialect}.${f}`, creds[f]]);
  }
  for (const [k, v] of Object.entries(WRONG)) out.push([`WRONG.${k}`, v]);
  const seen = new Set();
  return out.filter(([, v]) => !seen.has(v) && seen.add(v));
}

// ---------------------------------------------------------------------------
// The dialect variants

export const VARIANTS = [
  {
    id: "younium",
    provider: "younium",
    endpoint: "younium",
    tokenPath: "/auth/v2/token",
    okStatus: 200,
    creds: SAMPLE_CREDENTIALS.younium,
    wrong: (w) => ({ secret: w }),
  },
  {
    id: "younium-v1",
    provider: "younium-v1",
    endpoint: "younium-v1",
    tokenPath: "/auth/token",
    okStatus: 200,
    creds: SAMPLE_CREDENTIALS["younium-v1"],
    wrong: (w) => ({ secret: w }),
  },
  {
    id: "union",
    provider: "union",
    endpoint: "union",
    tokenPath: "/union-service/auth/token?api-version=1.0",
    okStatus: 200,
    creds: SAMPLE_CREDENTIALS.union,
    wrong: (w) => ({ password: w }),
    oauth2Errors: true, // Keycloak's {"error","error_description"}
  },
  {
    id: "papaya",
    provider: "papaya",
    endpoint: "papaya",
    tokenPath: "/token",
    okStatus: 201,
    creds: SAMPLE_CREDENTIALS.papaya,
    wrong: (w) => ({ apiKey: WRONG.apiKey, clientSecret: w }),
  },
  {
    id: "oauth2-json-body",
    provider: "oauth2",
    endpoint: "oauth2",
    tokenPath: "/api/v2/oauth2/token",
    okStatus: 200,
    creds: SAMPLE_CREDENTIALS.oauth2,
    extra: { bodyEncoding: "json", clientAuth: "body" },
    wrong: (w) => ({ clientSecret: w }),
    oauth2Errors: true,
    checkLog: (e) =>
      /^application\/json/i.test(e.contentType ?? "") && e.authScheme === null && e.bodyKeys?.includes("client_secret")
        ? null
        : `expected a JSON body with the client in it, saw contentType=${e.contentType} authScheme=${e.authScheme} bodyKeys=${JSON.stringify(e.bodyKeys)}`,
  },
  {
    id: "oauth2-form-basic",
    provider: "oauth2",
    endpoint: "oauth2",
    tokenPath: "/api/v2/oauth2/token",
    okStatus: 200,
    creds: SAMPLE_CREDENTIALS.oauth2,
    extra: { bodyEncoding: "form", clientAuth: "basic" },
    wrong: (w) => ({ clientSecret: w }),
    oauth2Errors: true,
    checkLog: (e) =>
      /^application\/x-www-form-urlencoded/i.test(e.contentType ?? "") && e.authScheme === "Basic" && !e.bodyKeys?.includes("client_secret")
        ? null
        : `expected a form body with HTTP Basic, saw contentType=${e.contentType} authScheme=${e.authScheme} bodyKeys=${JSON.stringify(e.bodyKeys)}`,
  },
];

// ---------------------------------------------------------------------------
// Fault classes at the token endpoint (target "token")

const METHODS = ["getToken", "fetch", "authHeaders", "tokenInfo"];
const httpDate = (ms) => new Date(ms).toUTCString();

function statusFaults(status, code) {
  return [
    { name: `status-${status}-persistent`, faults: [{ kind: "status", status, count: 3 }], error: { code, status }, attempts: 3 },
    { name: `status-${status}-transient`, faults: [{ kind: "status", status, count: 1 }], ok: true, attempts: 2 },
  ];
}

/**
 * ok: the faulty call must succeed (a retry recovers); else `error` is the
 * exact { code, status } expected. attempts: token requests of the faulty
 * call. minMs/maxMs: bounds on how long it took.
 */
export const TOKEN_FAULTS = [
  // The emulator's 400 says `invalid_request` in the OAuth2-shaped dialects (union, oauth2): `oauth2Code`.
  { name: "status-400", faults: [{ kind: "status", status: 400 }], error: { code: "invalid_credentials", oauth2Code: "invalid_request", status: 400 }, attempts: 1, maxMs: QUICK_MS },
  { name: "status-401", faults: [{ kind: "status", status: 401 }], error: { code: "invalid_credentials", status: 401 }, attempts: 1, maxMs: QUICK_MS },
  { name: "status-403", faults: [{ kind: "status", status: 403 }], error: { code: "forbidden", status: 403 }, attempts: 1, maxMs: QUICK_MS },
  { name: "status-404", faults: [{ kind: "status", status: 404 }], error: { code: "invalid_response", status: 404 }, attempts: 1, maxMs: QUICK_MS },
  { name: "status-429", faults: [{ kind: "status", status: 429 }], error: { code: "rate_limited", status: 429 }, attempts: 1, maxMs: QUICK_MS },
  {
    name: "status-429-retry-after-1s",
    faults: [{ kind: "status", status: 429, headers: { "Retry-After": "1" } }],
    ok: true,
    attempts: 2,
    minMs: 900,
  },
  {
    name: "status-429-retry-after-http-date",
    faults: () => [{ kind: "status", status: 429, headers: { "Retry-After": httpDate(Date.now() + 2000) } }],
    ok: true,
    attempts: 2,
    minMs: 400,
  },
  {
    name: "status-429-retry-after-beyond-timeout",
    faults: [{ kind: "status", status: 429, headers: { "Retry-After": "120" } }],
    error: { code: "rate_limited", status: 429 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    // Retry-After bounds the waits, not the attempts: still 3 at most.
    name: "status-429-retry-after-1s-persistent",
    faults: [{ kind: "status", status: 429, count: 3, headers: { "Retry-After": "1" } }],
    error: { code: "rate_limited", status: 429 },
    attempts: 3,
    minMs: 1800,
  },
  {
    name: "status-429-retry-after-past-date",
    faults: () => [{ kind: "status", status: 429, headers: { "Retry-After": httpDate(Date.now() - 60_000) } }],
    ok: true,
    attempts: 2,
    maxMs: QUICK_MS,
  },
  {
    name: "status-429-retry-after-garbage",
    faults: [{ kind: "status", status: 429, headers: { "Retry-After": "soon, maybe -5" } }],
    error: { code: "rate_limited", status: 429 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    // 4xx never retry, whatever the server says.
    name: "status-401-with-retry-after",
    faults: [{ kind: "status", status: 401, headers: { "Retry-After": "1" } }],
    error: { code: "invalid_credentials", status: 401 },
    attempts: 1,
    maxMs: 900,
  },
  {
    name: "status-400-500kb-error-body",
    faults: [{ kind: "status", status: 400, body: { errors: ["E".repeat(500_000), "second message"], error: "e".repeat(100_000) } }],
    error: { code: "invalid_credentials", status: 400 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    name: "status-200-error-body",
    faults: [{ kind: "status", status: 200, body: { error: "invalid_client", error_description: "a 200 that is an error" } }],
    error: { code: "invalid_response", status: 200 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    name: "status-503-retry-after-1s",
    faults: [{ kind: "status", status: 503, headers: { "Retry-After": "1" } }],
    ok: true,
    attempts: 2,
    minMs: 900,
  },
  {
    name: "status-503-retry-after-beyond-timeout",
    faults: [{ kind: "status", status: 503, headers: { "Retry-After": "120" } }],
    error: { code: "server_error", status: 503 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    // The waits add up to at most timeoutMs: 1 s, then 1 s more would not fit in 1.5 s.
    name: "status-503-retry-after-1s-beyond-budget",
    timeoutMs: 1500,
    faults: [{ kind: "status", status: 503, count: 2, headers: { "Retry-After": "1" } }],
    error: { code: "server_error", status: 503 },
    attempts: 2,
    minMs: 900,
    maxMs: 1500 + QUICK_MS,
  },
  ...statusFaults(500, "server_error"),
  ...statusFaults(504, "server_error"),
  ...statusFaults(502, "server_error"),
  ...statusFaults(503, "server_error"),
  {
    name: "html-502-persistent",
    faults: [{ kind: "html", count: 3 }],
    error: { code: "server_error", status: 502, messageIncludes: "502 Bad Gateway" },
    attempts: 3,
  },
  { name: "html-502-transient", faults: [{ kind: "html", count: 1 }], ok: true, attempts: 2 },
  { name: "badjson", faults: [{ kind: "badjson" }], error: { code: "invalid_response", status: "ok" }, attempts: 1, maxMs: QUICK_MS },
  { name: "notoken", faults: [{ kind: "notoken" }], error: { code: "invalid_response", status: "ok" }, attempts: 1, maxMs: QUICK_MS },
  { name: "huge", faults: [{ kind: "huge" }], error: { code: "invalid_response", status: "ok" }, attempts: 1, maxMs: QUICK_MS },
  { name: "huge-500-transient", faults: [{ kind: "huge", status: 500 }], ok: true, attempts: 2 },
  { name: "huge-401", faults: [{ kind: "huge", status: 401 }], error: { code: "invalid_credentials", status: 401 }, attempts: 1, maxMs: QUICK_MS },
  { name: "drop", faults: [{ kind: "drop" }], error: { code: "network", status: undefined }, attempts: 1, maxMs: QUICK_MS },
  { name: "delay-within-timeout", faults: [{ kind: "delay", delayMs: 300 }], ok: true, attempts: 1, minMs: 250 },
  {
    name: "delay-beyond-timeout",
    timeoutMs: 600,
    faults: [{ kind: "delay", delayMs: 2500 }],
    error: { code: "timeout", status: undefined },
    attempts: 1,
    minMs: 500,
    maxMs: 2400,
  },
  {
    name: "redirect-307-to-example-invalid",
    faults: [{ kind: "redirect" }], // Location: http://example.invalid/token
    error: { code: "invalid_response", status: 307 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    name: "redirect-301-to-https-same-path",
    faults: (h) => [{ kind: "redirect", status: 301, body: `https://127.0.0.1/t/${h.ns}${h.variantTokenPath}` }],
    error: { code: "invalid_response", status: 301 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    name: "redirect-302-to-https-other-host",
    faults: [{ kind: "redirect", status: 302, body: "https://example.invalid/oauth/token" }],
    error: { code: "invalid_response", status: 302 },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    // Another loopback host (localhost vs 127.0.0.1) on the same emulator,
    // in a namespace of its own: it must see no request at all.
    name: "redirect-308-to-other-loopback-host",
    faults: (h) => [{ kind: "redirect", status: 308, body: h.elsewhere.tokenUrl }],
    error: { code: "invalid_response", status: 308 },
    attempts: 1,
    maxMs: QUICK_MS,
    elsewhere: true,
  },
  {
    name: "echo-secret",
    faults: [{ kind: "echo-secret" }],
    error: { code: "invalid_credentials", status: 401, redacted: true },
    attempts: 1,
    maxMs: QUICK_MS,
  },
  {
    name: "echo-secret-403",
    faults: [{ kind: "echo-secret", status: 403 }],
    error: { code: "forbidden", status: 403, redacted: true },
    attempts: 1,
    maxMs: QUICK_MS,
  },
];

/** Wrong credentials (no fault: the emulator refuses them), and echoed back. */
const WRONG_CASES = [
  { name: "wrong-credentials", secret: WRONG.plain, faults: [], error: { code: "invalid_credentials", status: 401 } },
  { name: "wrong-credentials-special-echoed", secret: WRONG.special, faults: [{ kind: "echo-secret" }], error: { code: "invalid_credentials", status: 401, redacted: true } },
  { name: "wrong-credentials-long-echoed", secret: WRONG.long, faults: [{ kind: "echo-secret" }], error: { code: "invalid_credentials", status: 401, redacted: true } },
  { name: "wrong-credentials-special-echoed-400", secret: WRONG.special, faults: [{ kind: "echo-secret", status: 400 }], error: { code: "invalid_credentials", oauth2Code: "invalid_request", status: 400, redacted: true } },
];

// ---------------------------------------------------------------------------
// API-side faults through client.fetch (target "api")

/** response: the status client.fetch must return as is; tokens/api: counts after the faulty call. */
const API_FAULTS = [
  { name: "api-401-once", faults: [{ kind: "status", status: 401 }], response: 200, tokens: 2, api: 2 },
  { name: "api-401-twice", faults: [{ kind: "status", status: 401, count: 2 }], response: 401, tokens: 2, api: 2, recoveryTokens: [2, 3] },
  { name: "api-echo-secret-401", faults: [{ kind: "echo-secret" }], response: 200, tokens: 2, api: 2 },
  { name: "api-403", faults: [{ kind: "status", status: 403 }], response: 403, tokens: 1, api: 1 },
  { name: "api-500", faults: [{ kind: "status", status: 500 }], response: 500, tokens: 1, api: 1, bodyIncludes: "Internal server error" },
  { name: "api-html-502", faults: [{ kind: "html" }], response: 502, tokens: 1, api: 1, bodyIncludes: "502 Bad Gateway" },
  { name: "api-drop", faults: [{ kind: "drop" }], error: { code: "network", status: undefined }, tokens: 1, api: 1 },
];

// ---------------------------------------------------------------------------
// union's refresh endpoint (target "refresh")

/**
 * The client holds a valid refresh token and an expired access token, so the
 * faulty call uses the refresh grant. refresh/union: token requests of each
 * grant after the faulty call (the first password grant included), then
 * after the recovery call.
 */
const REFRESH_FAULTS = [
  { name: "refresh-status-400-falls-back", faults: [{ kind: "status", status: 400 }], ok: true, counts: [1, 2], after: [1, 2] },
  { name: "refresh-status-401-falls-back", faults: [{ kind: "status", status: 401 }], ok: true, counts: [1, 2], after: [1, 2] },
  { name: "refresh-revoked-falls-back", revoke: true, faults: [], ok: true, counts: [1, 2], after: [1, 2] },
  { name: "refresh-echo-secret-401-falls-back", faults: [{ kind: "echo-secret" }], ok: true, counts: [1, 2], after: [1, 2] },
  { name: "refresh-echo-secret-403", faults: [{ kind: "echo-secret", status: 403 }], error: { code: "forbidden", status: 403, redacted: true }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-status-403", faults: [{ kind: "status", status: 403 }], error: { code: "forbidden", status: 403 }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-status-429", faults: [{ kind: "status", status: 429 }], error: { code: "rate_limited", status: 429 }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-status-500-transient", faults: [{ kind: "status", status: 500 }], ok: true, counts: [2, 1], after: [2, 1] },
  { name: "refresh-status-500-persistent", faults: [{ kind: "status", status: 500, count: 3 }], error: { code: "server_error", status: 500 }, counts: [3, 1], after: [4, 1] },
  { name: "refresh-status-503-retry-after-1s", faults: [{ kind: "status", status: 503, headers: { "Retry-After": "1" } }], ok: true, counts: [2, 1], after: [2, 1], minMs: 900 },
  { name: "refresh-html-502-transient", faults: [{ kind: "html" }], ok: true, counts: [2, 1], after: [2, 1] },
  { name: "refresh-badjson", faults: [{ kind: "badjson" }], error: { code: "invalid_response", status: 200 }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-notoken", faults: [{ kind: "notoken" }], error: { code: "invalid_response", status: 200 }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-huge", faults: [{ kind: "huge" }], error: { code: "invalid_response", status: 200 }, counts: [1, 1], after: [2, 1] },
  { name: "refresh-drop", faults: [{ kind: "drop" }], error: { code: "network", status: undefined }, counts: [1, 1], after: [2, 1] },
  {
    // The delayed request is answered (and its refresh token consumed) after
    // the recovery call has rotated it; the recovery itself must not fall back.
    name: "refresh-delay-beyond-timeout",
    timeoutMs: 800,
    faults: [{ kind: "delay", delayMs: 2500 }],
    error: { code: "timeout", status: undefined },
    counts: [1, 1],
    after: [2, 1],
  },
  { name: "refresh-redirect-307", faults: [{ kind: "redirect" }], error: { code: "invalid_response", status: 307 }, counts: [1, 1], after: [2, 1] },
];

// ---------------------------------------------------------------------------
// Concurrent callers during a fault: one token request (and its retries) for
// all of them, the same outcome for each; a caller's own signal ends only
// its own wait.

const CONCURRENT_CASES = [
  { name: "concurrent-500-persistent", faults: [{ kind: "status", status: 500, count: 3 }], error: { code: "server_error", status: 500 }, attempts: 3 },
  { name: "concurrent-502-transient", faults: [{ kind: "status", status: 502 }], ok: true, attempts: 2 },
  { name: "concurrent-429-retry-after-1s", faults: [{ kind: "status", status: 429, headers: { "Retry-After": "1" } }], ok: true, attempts: 2 },
  { name: "concurrent-drop", faults: [{ kind: "drop" }], error: { code: "network", status: undefined }, attempts: 1 },
  { name: "concurrent-abort-own-wait", abort: "controller" },
  { name: "concurrent-abort-timeout-signal", abort: "timeout" },
];

// ---------------------------------------------------------------------------
// Hostile options: invalid_config, never with a credential in it

const CONFIG_CASES = [
  {
    name: "config-legal-entity-crlf",
    options: { provider: "younium", baseUrl: "{base}", clientId: "demo-client-id", secret: WRONG.plain, legalEntity: "Acme AB\r\nX-Injected: 1" },
    mentions: "legalEntity",
  },
  {
    name: "config-api-version-crlf",
    options: { provider: "younium", baseUrl: "{base}", clientId: "demo-client-id", secret: WRONG.plain, apiVersion: "2.1\r\nX-Injected: 1" },
    mentions: "apiVersion",
  },
  {
    name: "config-union-api-version-crlf",
    options: { provider: "union", baseUrl: "{base}", username: "member-user", password: WRONG.special, apiVersion: "1.0\nX-Injected: 1" },
    mentions: "apiVersion",
  },
  {
    name: "config-http-not-loopback",
    options: { provider: "oauth2", baseUrl: "http://api.example.com", clientId: "demo-oauth2-client", clientSecret: WRONG.plain },
    mentions: "baseUrl",
  },
  {
    name: "config-unknown-provider",
    options: { provider: "younium-v9", baseUrl: "{base}", clientId: "demo-client-id", secret: WRONG.special },
    mentions: "provider",
  },
  {
    name: "config-secret-wrong-type",
    options: { provider: "papaya", baseUrl: "{base}", apiKey: WRONG.apiKey, clientSecret: 1234567 },
    mentions: "clientSecret",
  },
];

// ---------------------------------------------------------------------------
// Echoes: a 401 quoting the secret the client sent, in each encoding; a
// custom fetch rejecting with an error that quotes what it was given.

const ECHO_ENCODINGS = echoEncodings("x").map(([name]) => name);
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

// ---------------------------------------------------------------------------
// The case list

function buildCases() {
  const cases = [];
  VARIANTS.forEach((v, vi) => {
    TOKEN_FAULTS.forEach((f, fi) => {
      const method = METHODS[(vi + fi) % METHODS.length];
      cases.push({ id: `${v.id}.${f.name}`, group: "token", variant: v.id, name: f.name, run: (h) => runTokenFault(h, v, f, method) });
    });
    WRONG_CASES.forEach((f, fi) => {
      const method = METHODS[(vi + fi) % METHODS.length];
      cases.push({ id: `${v.id}.${f.name}`, group: "wrong", variant: v.id, name: f.name, run: (h) => runWrong(h, v, f, method) });
    });
    API_FAULTS.forEach((f) => {
      cases.push({ id: `${v.id}.${f.name}`, group: "api", variant: v.id, name: f.name, run: (h) => runApiFault(h, v, f) });
    });
    CONCURRENT_CASES.forEach((f) => {
      cases.push({ id: `${v.id}.${f.name}`, group: "concurrent", variant: v.id, name: f.name, run: (h) => runConcurrent(h, v, f) });
    });
    cases.push({ id: `${v.id}.store-keys`, group: "store", variant: v.id, name: "store-keys", run: (h) => runStoreKeys(h, v) });
    ECHO_ENCODINGS.forEach((encoding) => {
      const name = `echo-${slug(encoding)}`;
      cases.push({ id: `${v.id}.${name}`, group: "echo", variant: v.id, name, run: (h) => runEcho(h, v, encoding) });
    });
    for (const target of ["token", "api"]) {
      const name = `echo-custom-fetch-rejects-quoting-the-${target === "token" ? "token-request" : "api-call"}`;
      cases.push({ id: `${v.id}.${name}`, group: "echo", variant: v.id, name, run: (h) => runFetchQuoting(h, v, target) });
    }
  });
  const union = VARIANTS.find((v) => v.id === "union");
  REFRESH_FAULTS.forEach((f, fi) => {
    const method = METHODS[fi % METHODS.length];
    cases.push({ id: `union.${f.name}`, group: "refresh", variant: "union", name: f.name, run: (h) => runRefreshFault(h, union, f, method) });
  });
  CONFIG_CASES.forEach((f) => {
    cases.push({ id: `config.${f.name}`, group: "config", variant: "config", name: f.name, run: (h) => runConfig(h, f) });
  });
  return cases;
}

let CASES = null;
const allCases = () => (CASES ??= buildCases());

export function listCases() {
  return allCases().map(({ id, group, variant, name }) => ({ id, group, variant, name }));
}

// ---------------------------------------------------------------------------
// Harness

class CaseFailure extends Error {
  constructor(message) {
    super(message);
    this.name = "CaseFailure";
  }
}

function check(cond, message) {
  if (!cond) throw new CaseFailure(typeof message === "function" ? message() : message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CaseFailure(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), limit]).finally(() => clearTimeout(timer));
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const TOKEN_FIELDS = ["access_token", "refresh_token", "accessToken", "refreshToken", "token", "id_token"];

/** Every way a user (or a logger) might turn an error into text. */
export function renderings(err, inspect) {
  const out = [];
  const add = (what, f) => {
    try {
      const v = f();
      if (v !== undefined) out.push([what, typeof v === "string" ? v : String(v)]);
    } catch (e) {
      out.push([what, `(rendering threw ${e && e.name})`]);
    }
  };
  add("message", () => err.message);
  add("String", () => String(err));
  add("toString", () => err.toString());
  add("JSON.stringify", () => JSON.stringify(err));
  add("stack", () => err.stack);
  add("messages", () => JSON.stringify(err.messages));
  add("ownProperties", () =>
    JSON.stringify(Object.getOwnPropertyNames(err).map((k) => [k, typeof err[k] === "object" ? safeJson(err[k]) : String(err[k])])),
  );
  add("cause", () => (err.cause === undefined ? undefined : `${String(err.cause)} ${safeJson(err.cause)}`));
  add("template", () => `${err}`);
  if (inspect) {
    add("inspect", () => inspect(err));
    add("inspect-hidden", () => inspect(err, { showHidden: true, depth: 6 }));
  }
  return out;
}

function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function makeControl(base) {
  const call = async (method, path, body) => {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${base}/__emulator/${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new CaseFailure(`emulator control ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    config: (obj) => call("POST", "config", obj),
    fault: (obj) => call("POST", "fault", obj),
    revoke: () => call("POST", "revoke", {}),
    stats: () => call("GET", "stats"),
    reset: () => call("POST", "reset", {}),
  };
}

function makeHarness(env, c) {
  const emu = String(env.emulatorUrl).replace(/\/+$/, "");
  const ns = `${env.prefix}-${c.id}`;
  const base = `${emu}/t/${ns}`;
  const clients = [];
  const tokens = new Map(); // value → field ("access_token", "refresh_token", "jwt", …)
  const secrets = new Set(); // credential values this case handed to the library
  const errorTexts = []; // [what, text] of every error of this case
  const otherTexts = []; // store keys etc.: no credential, no token at all
  const ids = new Set(); // the client ids, usernames and API keys used (for HTTP Basic needles)
  const infoTexts = []; // tokenInfo outputs: no credential, no refresh token

  const record = (text) => {
    if (typeof text !== "string" || text.length === 0) return;
    for (const m of text.match(JWT) ?? []) if (!tokens.has(m)) tokens.set(m, "jwt");
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return;
    }
    const walk = (o, depth) => {
      if (!o || typeof o !== "object" || depth > 4) return;
      for (const [k, v] of Object.entries(o)) {
        if (typeof v === "string" && TOKEN_FIELDS.includes(k) && v.length >= 8 && v.length <= 4096 && !/^(.)\1*$/.test(v)) tokens.set(v, k);
        else if (typeof v === "object") walk(v, depth + 1);
      }
    };
    walk(body, 0);
  };

  // The `fetch` option as a test double: the real fetch, with a copy of every
  // response body read for the tokens in it.
  const spy = (inner) => async (input, init) => {
    const res = await inner(input, init);
    try {
      record(await res.clone().text());
    } catch {
      /* a body that fails to read is the library's to see */
    }
    return res;
  };
  const spyFetch = spy((input, init) => fetch(input, init));

  const emulatorHost = new URL(emu);
  const elsewhereNs = `${ns}-elsewhere`;
  const elsewhereBase = `${emulatorHost.protocol}//localhost:${emulatorHost.port}/t/${elsewhereNs}`;

  const h = {
    env,
    ns,
    base,
    control: makeControl(base),
    elsewhere: null,
    tokens,
    secrets,
    errorTexts,
    otherTexts,
    infoTexts,

    setVariantElsewhere(v) {
      h.variantTokenPath = v.tokenPath;
      h.elsewhere = { tokenUrl: `${elsewhereBase}${v.tokenPath}`, control: makeControl(`${emu}/t/${elsewhereNs}`) };
    },

    options(v, extra = {}) {
      return { provider: v.provider, baseUrl: base, ...v.creds, ...(v.extra ?? {}), timeoutMs: DEFAULT_TIMEOUT_MS, ...extra };
    },

    client(options) {
      for (const f of SECRET_FIELDS) if (typeof options[f] === "string") secrets.add(options[f]);
      for (const f of ["clientId", "username", "apiKey"]) if (typeof options[f] === "string") ids.add(options[f]);
      const o = env.observe ? { ...options, fetch: options.fetch ? spy(options.fetch) : spyFetch } : options;
      const c = new env.AuthClient(o);
      clients.push(c);
      return c;
    },

    call(client, method, what = method) {
      const p = (() => {
        switch (method) {
          case "getToken":
            return client.getToken();
          case "tokenInfo":
            return client.tokenInfo();
          case "authHeaders":
            return client.authHeaders();
          case "fetch":
            return client.fetch(`/hardening/probe?case=${encodeURIComponent(c.id)}`);
          default:
            throw new CaseFailure(`unknown method ${method}`);
        }
      })();
      return within(p, CALL_LIMIT_MS, `client.${what}()`);
    },

    /** The result of a successful `call`, checked for its shape. */
    async checkSuccess(method, value) {
      if (method === "getToken") check(typeof value === "string" && value.length > 0, "getToken() gave no token");
      else if (method === "tokenInfo") {
        check(value && typeof value.accessToken === "string" && value.accessToken.length > 0, "tokenInfo() gave no accessToken");
        infoTexts.push(safeJson(value));
      } else if (method === "authHeaders") {
        const auth = value && (value.Authorization ?? value.authorization);
        check(typeof auth === "string" && /^Bearer \S+$/.test(auth), "authHeaders() gave no Bearer Authorization");
      } else if (method === "fetch") {
        check(value && value.status === 200, () => `client.fetch() answered ${value && value.status}`);
        await value.text();
      }
    },

    /** Awaits `promise`, which must reject with an AuthError of `expected`. */
    async rejects(promise, expected, what) {
      let err;
      let resolved = false;
      try {
        await promise;
        resolved = true;
      } catch (e) {
        err = e;
      }
      check(!resolved, `${what} resolved; expected AuthError ${expected.code}`);
      h.takeError(err);
      const { AuthError } = env;
      check(err instanceof AuthError, () => `${what} rejected with something that is not an AuthError: ${describe(err)}`);
      check(err instanceof Error, `${what}: the AuthError is not an Error`);
      check(err.name === "AuthError", () => `${what}: name is ${JSON.stringify(err.name)}`);
      check(err.code === expected.code, () => `${what}: code ${JSON.stringify(err.code)} (status ${err.status}), expected ${expected.code}: ${err.message}`);
      check(err.status === expected.status, () => `${what}: status ${JSON.stringify(err.status)}, expected ${JSON.stringify(expected.status)} (code ${err.code}): ${err.message}`);
      check(Array.isArray(err.messages) && err.messages.every((m) => typeof m === "string"), () => `${what}: messages is not an array of strings: ${safeJson(err.messages)}`);
      check(typeof err.message === "string" && err.message.length > 0, `${what}: empty message`);
      // Bounded: a vendor's megabyte of error text does not become a megabyte of message.
      const json = safeJson(err);
      check(err.message.length <= 8192 && json.length <= 16384, () => `${what}: unbounded error: message ${err.message.length} chars, JSON ${json.length} chars`);
      if (expected.messageIncludes) {
        check(err.message.includes(expected.messageIncludes), () => `${what}: message ${JSON.stringify(err.message)} does not include ${JSON.stringify(expected.messageIncludes)}`);
      }
      if (expected.redacted) {
        check(err.messages.some((m) => m.includes("[redacted]")), () => `${what}: the vendor's echoed credential is not shown as [redacted]; messages: ${safeJson(err.messages)}`);
      }
      return err;
    },

    /** Records an error's renderings (for the leak checks and the secret grep). */
    takeError(err) {
      if (err instanceof CaseFailure) throw err;
      for (const [what, text] of renderings(err, env.inspect)) {
        errorTexts.push([what, text]);
        env.emit?.({ case: c.id, what: `error.${what}`, text });
      }
    },

    /**
     * The recovery call: client.fetch to the emulator's API must answer 200
     * with our token, and tokenInfo must hold no credential or refresh token.
     */
    async recover(client, v, { tokenRequests, refreshRequests, unionRequests } = {}) {
      const path = "/hardening/recovery";
      const res = await within(client.fetch(`${path}?case=${encodeURIComponent(c.id)}`), CALL_LIMIT_MS, "recovery client.fetch()");
      const text = await res.text();
      check(res.status === 200, () => `recovery: client.fetch answered ${res.status}: ${text.slice(0, 200)}`);
      let echo;
      try {
        echo = JSON.parse(text);
      } catch {
        throw new CaseFailure("recovery: the API's answer is not JSON");
      }
      check(echo.ok === true && echo.path === path, () => `recovery: unexpected echo (path ${echo.path})`);
      const info = await within(client.tokenInfo(), CALL_LIMIT_MS, "recovery tokenInfo()");
      infoTexts.push(safeJson(info));
      check(typeof info.accessToken === "string" && echo.headers.authorization === `Bearer ${info.accessToken}`, "recovery: the API call did not carry tokenInfo's token");
      tokens.set(info.accessToken, tokens.get(info.accessToken) ?? "tokenInfo");
      const allowed = ["accessToken", "tokenType", "expiresAt", "refreshExpiresAt", "scope"];
      const extra = Object.keys(info).filter((k) => !allowed.includes(k));
      check(extra.length === 0, () => `recovery: tokenInfo has unexpected keys ${extra.join(", ")}`);
      check(info.expiresAt > Date.now(), "recovery: tokenInfo.expiresAt is not in the future");
      const stats = await h.control.stats();
      if (tokenRequests !== undefined) {
        const n = stats.tokenRequests[v.endpoint];
        const okCount = Array.isArray(tokenRequests) ? tokenRequests.includes(n) : n === tokenRequests;
        check(okCount, () => `recovery: ${n} ${v.endpoint} token requests in all, expected ${tokenRequests}`);
        check(stats.totalTokenRequests === n, () => `recovery: ${stats.totalTokenRequests} token requests in all, ${n} of them to ${v.endpoint}`);
      }
      if (refreshRequests !== undefined) {
        check(stats.tokenRequests["union-refresh"] === refreshRequests, () => `recovery: ${stats.tokenRequests["union-refresh"]} refresh requests in all, expected ${refreshRequests}`);
      }
      if (unionRequests !== undefined) {
        check(stats.tokenRequests.union === unionRequests, () => `recovery: ${stats.tokenRequests.union} password-grant requests in all, expected ${unionRequests}`);
      }
      check(stats.pendingFaults === 0, () => `recovery: ${stats.pendingFaults} faults still queued`);
      const last = [...stats.tokenLog].reverse().find((e) => e.status !== null && e.status < 300);
      if (last && v.checkLog) {
        const problem = v.checkLog(last);
        check(!problem, () => `recovery: ${problem}`);
      }
      return info;
    },

    /** No credential (in any encoding) or token in this case's error texts; no credential or refresh token in tokenInfo. */
    leakCheck() {
      const creds = [...secrets].filter((s) => s.length >= 6);
      for (const s of [...creds]) {
        for (const id of ids.size ? ids : ["client-id"]) for (const [, n] of echoNeedles(s, id)) if (!creds.includes(n)) creds.push(n);
      }
      const toks = [...tokens.keys()];
      const refresh = [...tokens.entries()].filter(([, f]) => /refresh/i.test(f)).map(([t]) => t);
      const find = (texts, needles) => {
        for (const [what, text] of texts) for (const n of needles) if (text.includes(n)) return `${what} (${needles === creds ? "a credential" : "a token"} of ${n.length} chars)`;
        return null;
      };
      let hit = find(errorTexts, creds) ?? find(errorTexts, toks);
      check(!hit, () => `leak: an error rendering contains ${hit}`);
      for (const [what, text] of errorTexts) {
        const m = text.match(JWT);
        check(!m, () => `leak: error ${what} contains a JWT-shaped string of ${m[0].length} chars`);
      }
      hit = find(otherTexts, creds) ?? find(otherTexts, toks);
      check(!hit, () => `leak: ${hit}`);
      hit = find(infoTexts.map((t) => ["tokenInfo", t]), creds) ?? find(infoTexts.map((t) => ["tokenInfo", t]), refresh);
      check(!hit, () => `leak: ${hit}`);
    },

    freeAll() {
      for (const c of clients) {
        try {
          c.free();
        } catch (e) {
          h.takeError(e);
        }
      }
    },
  };
  return h;
}

function describe(e) {
  if (!(e instanceof Error)) return `non-Error ${typeof e}: ${String(e).slice(0, 200)}`;
  return `${e.name}: ${e.message}`;
}

async function expectCounts(h, v, attempts, label) {
  const stats = await h.control.stats();
  const n = stats.tokenRequests[v.endpoint];
  check(n === attempts, () => `${label}: ${n} token requests to ${v.endpoint}, expected ${attempts} (statuses ${JSON.stringify(stats.tokenLog.map((e) => e.status))})`);
  check(stats.totalTokenRequests === n, () => `${label}: ${stats.totalTokenRequests} token requests in all`);
  check(stats.pendingFaults === 0, () => `${label}: ${stats.pendingFaults} faults not consumed`);
  return stats;
}

// ---------------------------------------------------------------------------
// Case runners

/**
 * The error a case expects of variant `v`: where the vendor's body is an
 * OAuth2 error, its `error` decides the code (RFC 6749 §5.2, docs/API.md §5).
 */
function expectedError(v, error) {
  const { oauth2Code, ...rest } = error;
  return v.oauth2Errors && oauth2Code ? { ...rest, code: oauth2Code } : rest;
}

async function runTokenFault(h, v, f, method) {
  h.setVariantElsewhere(v);
  const faults = typeof f.faults === "function" ? f.faults(h) : f.faults;
  for (const fault of faults) await h.control.fault({ target: "token", ...fault });
  const client = h.client(h.options(v, f.timeoutMs ? { timeoutMs: f.timeoutMs } : {}));
  const what = `${method}() under ${f.name}`;
  const t0 = Date.now();
  if (f.ok) {
    const value = await h.call(client, method).catch((e) => {
      h.takeError(e);
      throw new CaseFailure(`${what} should have recovered by a retry but rejected: ${describe(e)} (code ${e && e.code}, status ${e && e.status})`);
    });
    await h.checkSuccess(method, value);
  } else {
    const status = f.error.status === "ok" ? v.okStatus : f.error.status;
    await h.rejects(h.call(client, method), { ...expectedError(v, f.error), status }, what);
  }
  const ms = Date.now() - t0;
  if (f.minMs !== undefined) check(ms >= f.minMs, `${what} took ${ms} ms, expected at least ${f.minMs} (no wait?)`);
  if (f.maxMs !== undefined) check(ms <= f.maxMs, `${what} took ${ms} ms, expected at most ${f.maxMs} (a wait or retry that should not be?)`);
  await expectCounts(h, v, f.attempts, what);
  if (f.elsewhere) {
    const other = await h.elsewhere.control.stats();
    check(other.totalTokenRequests === 0 && other.apiRequests === 0, `the redirect was followed: ${other.totalTokenRequests} token requests reached the other host`);
  }
  await h.recover(client, v, { tokenRequests: f.ok ? f.attempts : f.attempts + 1 });
}

async function runWrong(h, v, f, method) {
  for (const fault of f.faults) await h.control.fault({ target: "token", ...fault });
  const wrongClient = h.client(h.options(v, v.wrong(f.secret)));
  await h.rejects(h.call(wrongClient, method), expectedError(v, f.error), `${method}() with wrong credentials (${f.name})`);
  await expectCounts(h, v, 1, f.name);
  // The same client again: the failure is not cached, and still no retry.
  await h.rejects(h.call(wrongClient, "getToken"), { code: "invalid_credentials", status: 401 }, "getToken() again with wrong credentials");
  await expectCounts(h, v, 2, `${f.name}, second call`);
  const good = h.client(h.options(v));
  await h.recover(good, v, { tokenRequests: 3 });
}

async function runApiFault(h, v, f) {
  const client = h.client(h.options(v));
  for (const fault of f.faults) await h.control.fault({ target: "api", ...fault });
  const path = "/hardening/api-fault";
  const what = `client.fetch() under ${f.name}`;
  if (f.error) {
    await h.rejects(within(client.fetch(path), CALL_LIMIT_MS, what), f.error, what);
  } else {
    const res = await within(client.fetch(path), CALL_LIMIT_MS, what);
    const text = await res.text();
    check(res.status === f.response, () => `${what}: status ${res.status}, expected ${f.response} returned as is`);
    if (f.bodyIncludes) check(text.includes(f.bodyIncludes), () => `${what}: body not returned as is (${text.slice(0, 120)})`);
    if (f.response === 200) check(JSON.parse(text).ok === true, `${what}: not the API's answer`);
  }
  const stats = await h.control.stats();
  check(stats.tokenRequests[v.endpoint] === f.tokens, () => `${what}: ${stats.tokenRequests[v.endpoint]} token requests, expected ${f.tokens}`);
  check(stats.apiRequests === f.api, () => `${what}: ${stats.apiRequests} API requests, expected ${f.api}`);
  check(stats.pendingFaults === 0, () => `${what}: ${stats.pendingFaults} faults not consumed`);
  await h.recover(client, v, { tokenRequests: f.recoveryTokens ?? f.tokens });
  const after = await h.control.stats();
  check(after.apiRequests === f.api + 1, () => `recovery: ${after.apiRequests} API requests, expected ${f.api + 1}`);
}

async function runRefreshFault(h, v, f, method) {
  // A 1 s access token with a 10 min refresh token; leeway 0, no timer.
  await h.control.config({ ttlSeconds: 1, refreshTtlSeconds: 600 });
  const client = h.client(h.options(v, { autoRefresh: false, refreshLeewaySeconds: 0, timeoutMs: f.timeoutMs ?? DEFAULT_TIMEOUT_MS }));
  await h.call(client, "getToken", "getToken() (first, password grant)");
  await h.control.config({ ttlSeconds: null }); // what the refresh issues lives long
  await sleep(1300);
  if (f.revoke) await h.control.revoke();
  for (const fault of f.faults) await h.control.fault({ target: "refresh", ...fault });
  const what = `${method}() with an expired access token under ${f.name}`;
  const t0 = Date.now();
  if (f.ok) {
    const value = await h.call(client, method).catch((e) => {
      h.takeError(e);
      throw new CaseFailure(`${what} should have succeeded but rejected: ${describe(e)} (code ${e && e.code}, status ${e && e.status})`);
    });
    await h.checkSuccess(method, value);
  } else {
    await h.rejects(h.call(client, method), f.error, what);
  }
  const ms = Date.now() - t0;
  if (f.minMs !== undefined) check(ms >= f.minMs, `${what} took ${ms} ms, expected at least ${f.minMs}`);
  const stats = await h.control.stats();
  const [refresh, union] = f.counts;
  check(
    stats.tokenRequests["union-refresh"] === refresh && stats.tokenRequests.union === union,
    () => `${what}: ${stats.tokenRequests["union-refresh"]} refresh and ${stats.tokenRequests.union} password requests, expected ${refresh} and ${union} (statuses ${JSON.stringify(stats.tokenLog.map((e) => `${e.endpoint}:${e.status}`))})`,
  );
  check(stats.pendingFaults === 0, () => `${what}: ${stats.pendingFaults} faults not consumed`);
  const [refreshAfter, unionAfter] = f.after;
  await h.recover(client, { ...v, endpoint: "union-refresh" }, { refreshRequests: refreshAfter, unionRequests: unionAfter });
}

async function runConcurrent(h, v, f) {
  const N = 6;
  if (f.abort) {
    // A slow token request; one caller gives up, the others get the token it brings.
    await h.control.config({ tokenDelayMs: 800 });
    const client = h.client(h.options(v));
    const controller = new AbortController();
    const signal = f.abort === "timeout" ? AbortSignal.timeout(150) : controller.signal;
    const t0 = Date.now();
    const others = Array.from({ length: N - 1 }, (_, i) => h.call(client, METHODS[i % METHODS.length]));
    const mine = f.abort === "timeout" ? client.fetch("/hardening/aborted", { signal }) : client.getToken({ signal });
    if (f.abort !== "timeout") setTimeout(() => controller.abort(), 150);
    const expected = f.abort === "timeout" ? "timeout" : "network";
    await h.rejects(within(mine, CALL_LIMIT_MS, "the aborted call"), { code: expected, status: undefined }, `the call whose signal ${f.abort === "timeout" ? "timed out" : "was aborted"}`);
    const ms = Date.now() - t0;
    check(ms < 700, `the aborted call waited ${ms} ms: its signal did not end its wait at once`);
    const values = await Promise.all(others);
    for (const [i, value] of values.entries()) await h.checkSuccess(METHODS[i % METHODS.length], value);
    await expectCounts(h, v, 1, `${N - 1} callers and an aborted one`);
    await h.control.config({ tokenDelayMs: 0 });
    await h.recover(client, v, { tokenRequests: 1 });
    return;
  }
  for (const fault of f.faults) await h.control.fault({ target: "token", ...fault });
  const client = h.client(h.options(v));
  const calls = Array.from({ length: N }, (_, i) => h.call(client, METHODS[i % METHODS.length]).then((value) => ({ value }), (error) => ({ error })));
  const outcomes = await Promise.all(calls);
  for (const [i, o] of outcomes.entries()) {
    const method = METHODS[i % METHODS.length];
    if (f.ok) {
      if (o.error) {
        h.takeError(o.error);
        throw new CaseFailure(`concurrent ${method}() #${i} rejected: ${describe(o.error)} (code ${o.error.code}, status ${o.error.status})`);
      }
      await h.checkSuccess(method, o.value);
    } else {
      await h.rejects(o.error ? Promise.reject(o.error) : Promise.resolve(o.value), f.error, `concurrent ${method}() #${i}`);
    }
  }
  await expectCounts(h, v, f.attempts, `${N} concurrent callers under ${f.name}`);
  await h.recover(client, v, { tokenRequests: f.ok ? f.attempts : f.attempts + 1 });
}

async function runStoreKeys(h, v) {
  const entries = new Map();
  const store = {
    async get(key) {
      h.otherTexts.push(["store key", key]);
      return entries.get(key) ?? null;
    },
    async put(key, value, opts) {
      h.otherTexts.push(["store key", key]);
      entries.set(key, value);
      check(opts && opts.expirationTtl >= 60, "store.put without an expirationTtl of at least 60");
    },
  };
  // A failed token request (echoing the secret), then a good one.
  await h.control.fault({ target: "token", kind: "echo-secret" });
  const client = h.client(h.options(v, { store }));
  await h.rejects(h.call(client, "getToken"), { code: "invalid_credentials", status: 401, redacted: true }, "getToken() with a store under echo-secret");
  await h.recover(client, v, { tokenRequests: 2 });
  check(entries.size >= 1, "nothing was written to the store");
  for (const key of entries.keys()) {
    check(/^edge-auth:v2:[0-9a-f]{64}$/.test(key), () => `store key not of the documented shape: ${key.length} chars`);
    h.env.emit?.({ case: `${v.id}.store-keys`, what: "store.key", text: key });
  }
}

/** The secret a variant's wrong credentials carry, and the id an HTTP Basic header would pair it with. */
function wrongIdentity(v) {
  const options = { ...v.creds, ...v.wrong(WRONG.special) };
  return { options: v.wrong(WRONG.special), id: options.clientId ?? options.username ?? options.apiKey };
}

async function runEcho(h, v, encoding) {
  const { options, id } = wrongIdentity(v);
  const [, echo] = echoEncodings(WRONG.special, id).find(([name]) => name === encoding);
  const body =
    encoding === "HTML entities"
      ? `<html><head><title>401 for ${echo}</title></head><body>refused</body></html>`
      : JSON.stringify({ error: "invalid_client", error_description: `the secret ${echo} is wrong`, errors: [`bad secret ${echo}`] });
  await h.control.fault({ target: "token", kind: "status", status: 401, body });
  const client = h.client(h.options(v, options));
  await h.rejects(h.call(client, "getToken"), { code: "invalid_credentials", status: 401, redacted: true }, `getToken() under a 401 quoting the secret (${encoding})`);
  await expectCounts(h, v, 1, encoding);
  await h.recover(h.client(h.options(v)), v, { tokenRequests: 2 });
}

async function runFetchQuoting(h, v, target) {
  let thrown = false;
  const quoting = async (input, init) => {
    const url = String(input?.url ?? input);
    const isToken = url.includes(v.tokenPath.split("?")[0]);
    if (!thrown && isToken === (target === "token")) {
      thrown = true;
      const headers = JSON.stringify(Object.fromEntries(new Headers(init?.headers ?? {})));
      throw new TypeError(`could not send ${init?.method ?? "GET"} ${url} with headers ${headers} and body ${init?.body}`);
    }
    return fetch(input, init);
  };
  const client = h.client(h.options(v, { fetch: quoting }));
  const what = `a custom fetch rejecting the ${target === "token" ? "token request" : "API call"} with an error quoting it`;
  if (target === "token") {
    await h.rejects(h.call(client, "getToken"), { code: "network", status: undefined }, what);
  } else {
    await h.call(client, "getToken");
    await h.rejects(within(client.fetch("/hardening/quoted"), CALL_LIMIT_MS, what), { code: "network", status: undefined }, what);
  }
  await h.recover(client, v, { tokenRequests: 1 });
}

async function runConfig(h, f) {
  const options = Object.fromEntries(Object.entries(f.options).map(([k, val]) => [k, val === "{base}" ? h.base : val]));
  for (const k of SECRET_FIELDS) if (typeof options[k] === "string") h.secrets.add(options[k]);
  let err;
  let client;
  try {
    client = new h.env.AuthClient(options);
  } catch (e) {
    err = e;
  }
  if (client) {
    client.free();
    throw new CaseFailure(`new AuthClient(${f.name}) did not throw synchronously`);
  }
  h.takeError(err);
  check(err instanceof h.env.AuthError, () => `threw something that is not an AuthError: ${describe(err)}`);
  check(err.code === "invalid_config", () => `code ${err.code}, expected invalid_config: ${err.message}`);
  check(err.message.includes(f.mentions), () => `the message does not name ${f.mentions}: ${err.message}`);
  const stats = await h.control.stats();
  check(stats.totalTokenRequests === 0 && stats.apiRequests === 0, "a request was made");
}

// ---------------------------------------------------------------------------
// Running

/** Runs one case in its own namespace; never throws. */
export async function runCase(env, id) {
  const c = allCases().find((x) => x.id === id);
  if (!c) return { id, ok: false, error: `unknown case ${id}` };
  const h = makeHarness(env, c);
  const t0 = Date.now();
  let error = null;
  try {
    await h.control.reset();
    await c.run(h);
  } catch (e) {
    if (e instanceof CaseFailure) error = e.message;
    else {
      // An unexpected rejection (of the library, most likely): its renderings
      // go through the leak checks and the secret grep like any other error.
      try {
        h.takeError(e);
      } catch {
        /* takeError rethrows CaseFailures only */
      }
      const details = e && typeof e === "object" ? ` (code ${e.code}, status ${e.status})` : "";
      error = `unexpected rejection: ${describe(e)}${details}${e && e.stack ? `\n${e.stack}` : ""}`;
    }
  } finally {
    h.freeAll();
  }
  try {
    h.leakCheck();
  } catch (leak) {
    error = error ? `${error}\n${leak.message}` : leak.message;
  }
  if (error) env.emit?.({ case: c.id, what: "failure", text: error });
  const result = { id, group: c.group, variant: c.variant, ok: error === null, error, ms: Date.now() - t0 };
  if (env.observe) result.tokens = [...h.tokens.entries()].map(([value, field]) => ({ value, field }));
  return result;
}

/**
 * Runs every case (or those `filter(case)` keeps), `concurrency` at a time.
 * `onResult(result)` sees each result as it comes.
 */
export async function runMatrix(env, { concurrency = 8, filter, onResult } = {}) {
  const ids = listCases().filter((c) => !filter || filter(c)).map((c) => c.id);
  const results = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      results[i] = await runCase(env, ids[i]);
      onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return summarize(results);
}

export function summarize(results) {
  const failures = results.filter((r) => !r.ok).map((r) => ({ id: r.id, error: r.error }));
  return { cases: results.length, passed: results.length - failures.length, failures, results };
}
