// The scenario list (see index.mjs for the context `ctx` every scenario gets).
// No imports: everything comes through ctx, so this file stays runtime-agnostic.

export const scenarios = [];

/**
 * Registers a scenario. The wrapper resets the scenario's namespace first (so
 * a runner may reuse a namespace name) and frees every client afterwards.
 */
export function scenario(name, tags, body) {
  if (scenarios.some((s) => s.name === name)) throw new Error(`duplicate scenario name ${name}`);
  scenarios.push({
    name,
    tags,
    async run(ctx) {
      await ctx.control.reset();
      try {
        await body(ctx, ctx.assert);
      } finally {
        ctx.cleanup();
      }
    },
  });
}

const DIALECTS = ["younium", "younium-v1", "union", "papaya", "oauth2"];
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const UNION_ACCEPT = "application/vnd.restful+json, application/json";

/** Lower-cased copy of a header record. */
function lowerKeys(record) {
  const out = {};
  for (const [k, v] of Object.entries(record)) out[k.toLowerCase()] = v;
  return out;
}

/** The echoed request body as text. */
function echoBody(echo) {
  if (echo.body === undefined || echo.body === null) return "";
  return typeof echo.body === "string" ? echo.body : JSON.stringify(echo.body);
}

/** The echoed query as a URLSearchParams (the emulator may echo a string or an object). */
function echoQuery(echo) {
  const q = echo.query;
  if (q === undefined || q === null) return new URLSearchParams();
  if (typeof q === "string") return new URLSearchParams(q.startsWith("?") ? q.slice(1) : q);
  return new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
}

function bodyKeysOf(entry) {
  const k = entry.bodyKeys;
  if (Array.isArray(k)) return [...k].sort();
  if (typeof k === "string") return k.split(/[ ,]+/).filter(Boolean).sort();
  return k;
}

/** Checks a TokenInfo: the access token, "Bearer", numbers, and no credential or refresh token. */
function checkTokenInfo(ctx, info, token, { tokenType = "Bearer", extraSecrets = [], label = "tokenInfo()" } = {}) {
  const assert = ctx.assert;
  assert.ok(info && typeof info === "object", `${label} returns an object`);
  assert.equal(info.accessToken, token, `${label}.accessToken`);
  assert.equal(info.tokenType, tokenType, `${label}.tokenType`);
  assert.type(info.expiresAt, "number", `${label}.expiresAt`);
  assert.ok(Number.isFinite(info.expiresAt), `${label}.expiresAt is finite`);
  if (info.refreshExpiresAt !== undefined && info.refreshExpiresAt !== null) {
    assert.type(info.refreshExpiresAt, "number", `${label}.refreshExpiresAt`);
  }
  if (info.scope !== undefined && info.scope !== null) assert.type(info.scope, "string", `${label}.scope`);
  const plain = JSON.parse(JSON.stringify(info));
  assert.equal(plain.accessToken, token, `${label} survives JSON.stringify (a plain object)`);
  assert.equal(plain.expiresAt, info.expiresAt, `${label}.expiresAt survives JSON.stringify`);
  for (const key of Object.keys(plain)) {
    assert.ok(!/refresh_?token|secret|password|api_?key/i.test(key), `${label} must not carry ${key}`);
  }
  assert.valueHasNoSecrets(info, [...ctx.credentialSecrets, ...extraSecrets], `${label}`);
  return info;
}

/** Waits until predicate() is truthy, polling; fails after `ms`. */
export async function waitFor(ctx, predicate, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > end) ctx.assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await ctx.sleep(20);
  }
}

function b64url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fakeJwt(claims) {
  return `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}.c2lnbmF0dXJl`;
}

/**
 * A Workers-KV-shaped in-memory store that records what it is given.
 * `serve(key, map)`, if given, may answer a get instead (undefined: no).
 */
export function memoryKv(serve) {
  const map = new Map();
  const puts = [];
  const gets = [];
  return {
    map,
    puts,
    gets,
    async get(key) {
      gets.push(key);
      const served = serve?.(key, map);
      if (served !== undefined) return served;
      return map.has(key) ? map.get(key) : null;
    },
    async put(key, value, options) {
      puts.push({ key, value, options });
      map.set(key, value);
    },
  };
}

function streamBody(text) {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

// ---------------------------------------------------------------------------
// 1. A token from each dialect

const TTL = 1000; // seconds, via the emulator's config
const REFRESH_TTL = 500;

const DIALECT_VARIANTS = [
  { name: "younium", provider: "younium", bodyKeys: ["clientId", "secret"] },
  { name: "younium-v1", provider: "younium-v1", bodyKeys: ["clientId", "secret"] },
  { name: "union", provider: "union", bodyKeys: ["password", "username"] },
  { name: "papaya", provider: "papaya", bodyKeys: ["api_key", "client_secret"], successStatus: 201 },
  { name: "oauth2", provider: "oauth2", bodyKeys: ["client_id", "client_secret", "grant_type"] },
  {
    name: "oauth2 (form body)",
    provider: "oauth2",
    extra: { bodyEncoding: "form" },
    contentType: /^application\/x-www-form-urlencoded/i,
    bodyKeys: ["client_id", "client_secret", "grant_type"],
  },
  {
    name: "oauth2 (basic auth)",
    provider: "oauth2",
    extra: { clientAuth: "basic" },
    authScheme: "basic",
    bodyKeysCheck: (keys) => keys.includes("grant_type") && !keys.includes("client_secret"),
  },
  {
    name: "oauth2 (form body, basic auth, scope, audience)",
    provider: "oauth2",
    extra: { bodyEncoding: "form", clientAuth: "basic", scope: "read write", audience: "https://api.example.test" },
    contentType: /^application\/x-www-form-urlencoded/i,
    authScheme: "basic",
    bodyKeysCheck: (keys) =>
      keys.includes("grant_type") && keys.includes("scope") && keys.includes("audience") && !keys.includes("client_secret"),
  },
];

for (const v of DIALECT_VARIANTS) {
  scenario(`${v.name}: getToken, tokenInfo, one cached token`, ["dialect", v.provider], async (ctx, assert) => {
    await ctx.control.config({ ttlSeconds: TTL, refreshTtlSeconds: REFRESH_TTL });
    const c = ctx.dialectClient(v.provider, v.extra ?? {});
    await ctx.expectTokenRequests(0, "constructing a client makes no request");

    const t0 = Date.now();
    const token = ctx.track(await c.getToken());
    const t1 = Date.now();
    assert.type(token, "string", "getToken()");
    assert.match(token, JWT, "getToken() returns the emulator's JWT-shaped token");
    assert.equal(await ctx.apiStatus(token), 200, "the emulator accepts the token getToken() returned");

    const st = await ctx.expectTokenRequests({ [v.provider]: 1 }, "after the first getToken()");
    assert.equal(st.tokenLog.length, 1, "tokenLog entries");
    const entry = st.tokenLog[0];
    assert.equal(entry.method, "POST", "token request method");
    assert.match(String(entry.contentType), v.contentType ?? /^application\/json/i, "token request Content-Type");
    if (v.authScheme) assert.equal(String(entry.authScheme).toLowerCase(), v.authScheme, "token request auth scheme");
    else assert.ok(!entry.authScheme, `token request sends no Authorization (got ${assert.show(entry.authScheme)})`);
    const keys = bodyKeysOf(entry);
    if (v.bodyKeys) assert.deepEqual(keys, v.bodyKeys, "token request body keys");
    if (v.bodyKeysCheck) assert.ok(v.bodyKeysCheck(keys ?? []), `token request body keys ${assert.show(keys)}`);

    const info = checkTokenInfo(ctx, await c.tokenInfo(), token);
    if (v.provider === "papaya") {
      // valid_until has minute precision (2024-07-11T07:48Z) unless the emulator adds seconds.
      assert.between(info.expiresAt, t0 + TTL * 1000 - 61_000, t1 + TTL * 1000 + 2000, "papaya expiresAt (valid_until)");
    } else {
      assert.between(info.expiresAt, t0 + TTL * 1000 - 2000, t1 + TTL * 1000 + 2000, "expiresAt = arrival + lifetime");
    }
    if (v.provider === "union") {
      assert.between(
        info.refreshExpiresAt,
        t0 + REFRESH_TTL * 1000 - 2000,
        t1 + REFRESH_TTL * 1000 + 2000,
        "union refreshExpiresAt = arrival + refresh_expires_in",
      );
    }

    assert.equal(await c.getToken(), token, "a second getToken() returns the cached token");
    assert.equal((await c.tokenInfo()).accessToken, token, "tokenInfo() after it");
    await ctx.expectTokenRequests({ [v.provider]: 1 }, "after a second getToken() and tokenInfo()");
  });
}

scenario("papaya: expiresAt is valid_until", ["dialect", "papaya", "expiry"], async (ctx, assert) => {
  // papayaSeconds: the emulator's switch for valid_until with seconds.
  // With a Date header (1 s resolution) a library may correct the server's
  // absolute time by it, so 1.5 s either way; without one, exactly.
  for (const [label, config, tolerance] of [
    ["without seconds", { papayaSeconds: false }, 1500],
    ["with seconds", { papayaSeconds: true }, 1500],
    ["without seconds or Date header", { papayaSeconds: false, omitDateHeader: true }, 0],
  ]) {
    const sub = ctx.sub(label.replace(/ /g, "-"));
    await sub.control.reset();
    await sub.control.config({ ttlSeconds: 7200, ...config });
    const rec = ctx.recorder();
    const c = ctx.client({ provider: "papaya", baseUrl: sub.base, ...ctx.creds.papaya, fetch: rec });
    const token = ctx.track(await c.getToken());
    const body = JSON.parse(rec.log[0].response);
    assert.equal(rec.log[0].status, 201, "papaya answers 201 Created");
    assert.type(body.valid_until, "string", "valid_until");
    if (!config.papayaSeconds) assert.match(body.valid_until, /T\d\d:\d\dZ$/, "the emulator's valid_until has no seconds");
    const info = await c.tokenInfo();
    assert.equal(info.accessToken, token);
    assert.near(info.expiresAt, Date.parse(body.valid_until), tolerance, `expiresAt = valid_until ${body.valid_until} (${label})`);
  }
});

scenario("oauth2: expires_in \"3600\" as a string", ["dialect", "oauth2", "expiry"], async (ctx, assert) => {
  const rec = ctx.recorder();
  const c = ctx.dialectClient("oauth2", { fetch: rec });
  const t0 = Date.now();
  const token = ctx.track(await c.getToken());
  const t1 = Date.now();
  const body = JSON.parse(rec.log[0].response);
  assert.equal(body.expires_in, "3600", "the emulator sends expires_in as the string \"3600\"");
  const info = checkTokenInfo(ctx, await c.tokenInfo(), token);
  assert.between(info.expiresAt, t0 + 3_600_000 - 2000, t1 + 3_600_000 + 2000, "expiresAt = arrival + 3600 s");
});

// ---------------------------------------------------------------------------
// Token request shapes (URL, headers, body), seen through the `fetch` option

scenario("token requests: URLs, headers and bodies of every dialect", ["dialect", "request"], async (ctx, assert) => {
  const cr = ctx.creds;
  const cases = [
    { provider: "younium", url: "/auth/v2/token", body: { clientId: cr.younium.clientId, secret: cr.younium.secret } },
    { provider: "younium-v1", url: "/auth/token", body: { clientId: cr["younium-v1"].clientId, secret: cr["younium-v1"].secret } },
    { provider: "union", url: ctx.TOKEN_PATHS.union, body: { username: cr.union.username, password: cr.union.password } },
    { provider: "papaya", url: "/token", body: { api_key: cr.papaya.apiKey, client_secret: cr.papaya.clientSecret } },
    {
      provider: "papaya",
      extra: { tokenName: "edge-auth-test" },
      url: "/token",
      body: { api_key: cr.papaya.apiKey, client_secret: cr.papaya.clientSecret, token_name: "edge-auth-test" },
    },
    {
      provider: "oauth2",
      url: "/api/v2/oauth2/token",
      body: { grant_type: "client_credentials", client_id: cr.oauth2.clientId, client_secret: cr.oauth2.clientSecret },
    },
    {
      provider: "oauth2",
      extra: { scope: "read:all", audience: "https://api.example.test" },
      url: "/api/v2/oauth2/token",
      body: {
        grant_type: "client_credentials",
        client_id: cr.oauth2.clientId,
        client_secret: cr.oauth2.clientSecret,
        scope: "read:all",
        audience: "https://api.example.test",
      },
    },
    {
      provider: "oauth2",
      extra: { bodyEncoding: "form" },
      url: "/api/v2/oauth2/token",
      form: { grant_type: "client_credentials", client_id: cr.oauth2.clientId, client_secret: cr.oauth2.clientSecret },
    },
    {
      provider: "oauth2",
      extra: { clientAuth: "basic" },
      url: "/api/v2/oauth2/token",
      basic: true,
    },
  ];
  let expectedRequests = 0;
  for (const k of cases) {
    const label = `${k.provider} ${JSON.stringify(k.extra ?? {})}`;
    const rec = ctx.recorder();
    const c = ctx.dialectClient(k.provider, { ...(k.extra ?? {}), fetch: rec });
    const token = ctx.track(await c.getToken());
    expectedRequests += 1;
    assert.equal(rec.log.length, 1, `${label}: requests through the fetch option`);
    const r = rec.log[0];
    assert.equal(r.url, `${ctx.base}${k.url}`, `${label}: token URL`);
    assert.equal(r.method, "POST", `${label}: method`);
    assert.equal(r.status, k.provider === "papaya" ? 201 : 200, `${label}: emulator status`);
    if (k.form) {
      assert.match(r.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/i, `${label}: Content-Type`);
      const params = Object.fromEntries(new URLSearchParams(r.body));
      assert.deepEqual(params, k.form, `${label}: form body`);
    } else {
      assert.match(r.headers["content-type"] ?? "", /^application\/json/i, `${label}: Content-Type`);
      const body = JSON.parse(r.body);
      if (k.basic) {
        const expected = `Basic ${btoa(`${cr.oauth2.clientId}:${cr.oauth2.clientSecret}`)}`;
        assert.equal(r.headers.authorization, expected, `${label}: HTTP Basic client authentication`);
        assert.equal(body.grant_type, "client_credentials", `${label}: grant_type`);
        assert.equal(body.client_secret, undefined, `${label}: no client_secret in the body with clientAuth basic`);
      } else {
        assert.deepEqual(body, k.body, `${label}: JSON body`);
        assert.equal(r.headers.authorization, undefined, `${label}: no Authorization header`);
      }
    }
    if (k.provider === "union") assert.equal(r.headers.accept, UNION_ACCEPT, `${label}: Accept`);
    // The response's refresh token, if any, never shows up in tokenInfo().
    const resp = JSON.parse(r.response);
    const refresh = [resp.refresh_token, resp.refreshToken].filter((x) => typeof x === "string");
    checkTokenInfo(ctx, await c.tokenInfo(), token, { extraSecrets: refresh, label: `${label}: tokenInfo()` });
  }
  await ctx.expectTokenRequests(expectedRequests, "token requests in total");
});

scenario("union: apiVersion goes into the auth endpoints' query", ["dialect", "union", "request"], async (ctx, assert) => {
  const fake = ctx.fakeFetch(() => ({
    status: 200,
    json: {
      access_token: "fake-union-access-1",
      expires_in: 36000,
      refresh_expires_in: 1800,
      refresh_token: "fake-union-refresh-1",
      token_type: "Bearer",
      "not-before-policy": 0,
      session_state: "s",
      scope: "email scope profile",
    },
  }));
  const c = ctx.client({ provider: "union", baseUrl: "https://union.example.test/base/", ...ctx.creds.union, apiVersion: "2.5", fetch: fake });
  assert.equal(await c.getToken(), "fake-union-access-1");
  assert.equal(fake.log[0].url, "https://union.example.test/base/union-service/auth/token?api-version=2.5", "union token URL");
  const info = await c.tokenInfo();
  assert.equal(info.scope, "email scope profile", "tokenInfo().scope is the response's scope");
});

// ---------------------------------------------------------------------------
// 2. client.fetch headers

scenario("younium: fetch joins paths and sets Authorization, api-version, Content-Type", ["fetch", "younium"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium");
  let e = await ctx.echo(await c.fetch("/api/Accounts?top=5"), "fetch('/api/Accounts?top=5')");
  const token = ctx.track(await c.getToken());
  assert.equal(ctx.echoPath(e), "/api/Accounts", "relative path joined to baseUrl's path prefix");
  assert.equal(echoQuery(e).get("top"), "5", "query kept");
  assert.equal(e.method, "GET", "method");
  assert.equal(e.headers.authorization, `Bearer ${token}`, "Authorization");
  assert.equal(e.headers["api-version"], "2.1", "default api-version");
  assert.equal(e.headers["legal-entity"], undefined, "no legal-entity without the option");

  e = await ctx.echo(await c.fetch("Accounts/7"), "fetch('Accounts/7')");
  assert.equal(ctx.echoPath(e), "/Accounts/7", "a relative path without a leading slash is joined with one");

  // A string body without a content type gets application/json.
  e = await ctx.echo(await c.fetch("/items", { method: "POST", body: JSON.stringify({ a: 1 }) }), "POST string body");
  assert.equal(e.method, "POST");
  assert.equal(e.headers["content-type"], "application/json", "Content-Type added for a string body");
  assert.equal(echoBody(e), '{"a":1}', "body sent as given");
  assert.equal(e.headers.authorization, `Bearer ${token}`);

  // The caller's content type is kept.
  e = await ctx.echo(await c.fetch("/items", { method: "PUT", body: "hello", headers: { "Content-Type": "text/plain" } }), "PUT text/plain");
  assert.equal(e.headers["content-type"], "text/plain", "caller's Content-Type kept");
  assert.equal(echoBody(e), "hello");

  // The library always sets its own Authorization.
  e = await ctx.echo(await c.fetch("/items", { headers: { Authorization: "Bearer caller-value" } }), "caller Authorization");
  assert.equal(e.headers.authorization, `Bearer ${token}`, "the library's Authorization replaces the caller's");

  // URL input.
  e = await ctx.echo(await c.fetch(new URL(`${ctx.base}/by-url?q=1`)), "URL input");
  assert.equal(ctx.echoPath(e), "/by-url");
  assert.equal(echoQuery(e).get("q"), "1");
  assert.equal(e.headers.authorization, `Bearer ${token}`, "URL input: Authorization");
  assert.equal(e.headers["api-version"], "2.1", "URL input: api-version");

  // Absolute string input is used as it is.
  e = await ctx.echo(await c.fetch(`${ctx.base}/absolute/x`), "absolute string input");
  assert.equal(ctx.echoPath(e), "/absolute/x");

  // Request input: method, body and headers of the Request are kept.
  e = await ctx.echo(
    await c.fetch(new Request(`${ctx.base}/by-request`, { method: "PUT", body: "req-body", headers: { "content-type": "text/plain", accept: "text/csv" } })),
    "Request input",
  );
  assert.equal(e.method, "PUT", "Request input: method");
  assert.equal(ctx.echoPath(e), "/by-request");
  assert.equal(echoBody(e), "req-body", "Request input: body");
  assert.equal(e.headers["content-type"], "text/plain", "Request input: content-type");
  assert.equal(e.headers.accept, "text/csv", "Request input: other headers kept");
  assert.equal(e.headers.authorization, `Bearer ${token}`, "Request input: Authorization");
  assert.equal(e.headers["api-version"], "2.1", "Request input: api-version");

  e = await ctx.echo(await c.fetch(new Request(`${ctx.base}/by-request`, { headers: { "api-version": "9.9" } })), "Request with api-version");
  assert.equal(e.headers["api-version"], "9.9", "a Request's own api-version wins");

  // authHeaders() returns what fetch adds.
  const h = await c.authHeaders();
  assert.ok(h && typeof h === "object" && !(h instanceof Headers), "authHeaders() returns a plain record");
  assert.deepEqual(lowerKeys(h), { authorization: `Bearer ${token}`, "api-version": "2.1" }, "authHeaders()");
  await ctx.expectTokenRequests({ younium: 1 }, "one token for every call");
});

scenario("younium: apiVersion and legalEntity options; caller headers win", ["fetch", "younium"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { apiVersion: "2.2", legalEntity: "LE-option" });
  let e = await ctx.echo(await c.fetch("/Invoices"), "fetch with options");
  const token = ctx.track(await c.getToken());
  assert.equal(e.headers["api-version"], "2.2", "api-version from apiVersion");
  assert.equal(e.headers["legal-entity"], "LE-option", "legal-entity from legalEntity");
  assert.equal(e.headers.authorization, `Bearer ${token}`);

  e = await ctx.echo(await c.fetch("/Invoices", { headers: { "api-version": "3.0", "legal-entity": "LE-caller" } }), "caller record");
  assert.equal(e.headers["api-version"], "3.0", "caller's api-version wins");
  assert.equal(e.headers["legal-entity"], "LE-caller", "caller's legal-entity wins");

  e = await ctx.echo(
    await c.fetch("/Invoices", { headers: new Headers({ "Api-Version": "3.1", "Legal-Entity": "LE-headers" }) }),
    "caller Headers object",
  );
  assert.equal(e.headers["api-version"], "3.1", "caller's api-version wins (Headers, any case)");
  assert.equal(e.headers["legal-entity"], "LE-headers", "caller's legal-entity wins (Headers, any case)");

  e = await ctx.echo(await c.fetch("/Invoices", { headers: [["API-VERSION", "3.2"]] }), "caller header tuples");
  assert.equal(e.headers["api-version"], "3.2", "caller's api-version wins (tuples)");
  assert.equal(e.headers["legal-entity"], "LE-option", "legal-entity still from the option");

  const h = await c.authHeaders();
  assert.deepEqual(
    lowerKeys(h),
    { authorization: `Bearer ${token}`, "api-version": "2.2", "legal-entity": "LE-option" },
    "authHeaders() with apiVersion and legalEntity",
  );
});

scenario("younium: baseUrl with a path prefix and tokenUrl", ["fetch", "younium", "url"], async (ctx, assert) => {
  // docs/API.md §2's example: https://h/v2 + /Accounts → https://h/v2/Accounts.
  const c = ctx.dialectClient("younium", { baseUrl: `${ctx.base}/api/v2`, tokenUrl: `${ctx.base}/auth/v2/token` });
  let e = await ctx.echo(await c.fetch("/Accounts"), "fetch('/Accounts')");
  assert.equal(ctx.echoPath(e), "/api/v2/Accounts", "joined to the path prefix");
  e = await ctx.echo(await c.fetch("Accounts"), "fetch('Accounts')");
  assert.equal(ctx.echoPath(e), "/api/v2/Accounts", "joined without a leading slash");

  // A trailing slash on baseUrl is not doubled, for API calls and the token endpoint alike.
  const d = ctx.dialectClient("younium", { baseUrl: `${ctx.base}/` });
  e = await ctx.echo(await d.fetch("/Orders"), "trailing-slash baseUrl + '/Orders'");
  assert.equal(ctx.echoPath(e), "/Orders");
  e = await ctx.echo(await d.fetch("Orders"), "trailing-slash baseUrl + 'Orders'");
  assert.equal(ctx.echoPath(e), "/Orders");
  await ctx.expectTokenRequests({ younium: 2 }, "one token per client");
});

scenario("younium-v1: api-version and legal-entity headers", ["fetch", "younium-v1"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium-v1", { legalEntity: "LE-v1" });
  const e = await ctx.echo(await c.fetch("/Products", { method: "POST", body: "{}" }), "younium-v1 fetch");
  const token = ctx.track(await c.getToken());
  assert.equal(e.headers.authorization, `Bearer ${token}`);
  assert.equal(e.headers["api-version"], "2.1", "Younium default api-version");
  assert.equal(e.headers["legal-entity"], "LE-v1");
  assert.equal(e.headers["content-type"], "application/json");
  assert.deepEqual(lowerKeys(await c.authHeaders()), { authorization: `Bearer ${token}`, "api-version": "2.1", "legal-entity": "LE-v1" });
});

for (const provider of ["union", "papaya", "oauth2"]) {
  scenario(`${provider}: fetch sends Authorization only (no api-version)`, ["fetch", provider], async (ctx, assert) => {
    const c = ctx.dialectClient(provider);
    let e = await ctx.echo(await c.fetch("/api/thing?x=y"), `${provider} fetch`);
    const token = ctx.track(await c.getToken());
    assert.equal(ctx.echoPath(e), "/api/thing");
    assert.equal(e.headers.authorization, `Bearer ${token}`, "Authorization");
    assert.equal(e.headers["api-version"], undefined, "no api-version header");
    assert.equal(e.headers["legal-entity"], undefined, "no legal-entity header");
    e = await ctx.echo(await c.fetch("/api/thing", { method: "POST", body: "[1,2]" }), `${provider} POST`);
    assert.equal(e.headers["content-type"], "application/json", "Content-Type for a string body");
    assert.equal(echoBody(e), "[1,2]");
    assert.deepEqual(lowerKeys(await c.authHeaders()), { authorization: `Bearer ${token}` }, "authHeaders()");
    await ctx.expectTokenRequests({ [provider]: 1 });
  });
}

// ---------------------------------------------------------------------------
// 3. Single flight

for (const provider of ["younium", "papaya"]) {
  scenario(`${provider}: 25 concurrent calls on a cold client share one token request`, ["single-flight", provider], async (ctx, assert) => {
    await ctx.control.config({ tokenDelayMs: 200 });
    const c = ctx.dialectClient(provider);
    const calls = [];
    for (let i = 0; i < 13; i++) calls.push(c.getToken());
    for (let i = 0; i < 12; i++) {
      calls.push(
        c.fetch(`/sf/${i}`).then(async (res) => {
          const e = await ctx.echo(res, `concurrent fetch ${i}`);
          return String(e.headers.authorization).replace(/^Bearer /, "");
        }),
      );
    }
    const tokens = await Promise.all(calls);
    assert.equal(new Set(tokens).size, 1, `distinct tokens among 25 concurrent callers`);
    ctx.track(tokens[0]);
    assert.match(tokens[0], JWT);
    await ctx.expectTokenRequests({ [provider]: 1 }, "25 concurrent callers");
  });
}

// ---------------------------------------------------------------------------
// 4. 401 retry, 403 and other API statuses

scenario("fetch: a 401 drops the token and retries once with a new one", ["fetch", "retry"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium");
  const t1 = ctx.track(await c.getToken());
  await ctx.control.revoke();
  let e = await ctx.echo(await c.fetch("/orders", { method: "POST", body: '{"n":1}' }), "POST after revoke");
  const t2 = ctx.track(await c.getToken());
  assert.notEqual(t2, t1, "a new token after the 401");
  assert.equal(e.headers.authorization, `Bearer ${t2}`, "the retry carries the new token");
  assert.equal(echoBody(e), '{"n":1}', "the string body is sent again");
  assert.equal(e.headers["content-type"], "application/json");
  let st = await ctx.expectTokenRequests({ younium: 2 }, "after the retried POST");
  assert.equal(st.apiRequests, 2, "API requests: the 401 and the retry");

  // A body-less GET is retried too.
  await ctx.control.revoke();
  e = await ctx.echo(await c.fetch("/orders"), "GET after revoke");
  const t3 = ctx.track(await c.getToken());
  assert.notEqual(t3, t2);
  assert.equal(e.headers.authorization, `Bearer ${t3}`);
  st = await ctx.expectTokenRequests({ younium: 3 }, "after the retried GET");
  assert.equal(st.apiRequests, 4, "API requests after the retried GET");

  // As is a body-less Request.
  await ctx.control.revoke();
  e = await ctx.echo(await c.fetch(new Request(`${ctx.base}/orders/1`)), "Request after revoke");
  const t4 = ctx.track(await c.getToken());
  assert.equal(e.headers.authorization, `Bearer ${t4}`);
  await ctx.expectTokenRequests({ younium: 4 }, "after the retried Request");
});

scenario("fetch: a second 401 is returned after one retry", ["fetch", "retry"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2");
  ctx.track(await c.getToken());
  await ctx.control.fault({ target: "api", kind: "status", status: 401, count: 2 });
  const res = await c.fetch("/things");
  const text = await res.text();
  assert.equal(res.status, 401, `the second 401 is returned (body ${assert.show(text, 120)})`);
  const st = await ctx.expectTokenRequests({ oauth2: 2 }, "one new token for the one retry");
  assert.equal(st.apiRequests, 2, "API requests: the first try and one retry");
  // The client still works afterwards.
  await ctx.echo(await c.fetch("/things"), "fetch after the faults");
});

scenario("fetch: a 401 with a ReadableStream body is returned as is", ["fetch", "retry", "stream"], async (ctx, assert) => {
  // Can this runtime send a streaming request body at all? (Chromium needs
  // HTTP/2 for that; the emulator speaks HTTP/1.1.)
  const probe = ctx.sub("probe");
  let streams = true;
  try {
    const r = await fetch(`${probe.base}/probe`, { method: "POST", body: streamBody("{}"), duplex: "half" });
    await r.text();
  } catch {
    streams = false;
  }
  const c = ctx.dialectClient("younium");
  ctx.track(await c.getToken());
  await ctx.control.revoke();
  const before = (await ctx.control.stats()).apiRequests;
  const init = { method: "POST", body: streamBody('{"stream":true}'), duplex: "half", headers: { "content-type": "application/json" } };
  if (streams) {
    const res = await c.fetch("/upload", init);
    const text = await res.text();
    assert.equal(res.status, 401, `the API's 401 is returned (body ${assert.show(text, 120)})`);
    assert.equal(res.headers.get("www-authenticate"), "Bearer", "the API's own 401 response");
    const st = await ctx.control.stats();
    assert.equal(st.apiRequests - before, 1, "a non-replayable body is sent once, not retried");
  } else {
    await ctx.expectAuthError(() => c.fetch("/upload", init), { code: "network", label: "streaming body in a runtime that cannot send one" });
  }
  // The client recovers on the next call.
  await ctx.echo(await c.fetch("/after"), "fetch after the stream call");
});

scenario("fetch: a 403 (wrong legal-entity) is returned as is, without a new token", ["fetch", "retry"], async (ctx, assert) => {
  await ctx.control.config({ requireLegalEntity: "LE-1" });
  const wrong = ctx.dialectClient("younium", { legalEntity: "LE-2" });
  ctx.track(await wrong.getToken());
  const res = await wrong.fetch("/accounts", { method: "POST", body: "{}" });
  await res.text();
  assert.equal(res.status, 403, "403 returned");
  let st = await ctx.expectTokenRequests({ younium: 1 }, "no new token after a 403");
  assert.equal(st.apiRequests, 1, "the 403 is not retried");

  const right = ctx.dialectClient("younium", { legalEntity: "LE-1" });
  const e = await ctx.echo(await right.fetch("/accounts"), "fetch with the right legal-entity");
  assert.equal(e.headers["legal-entity"], "LE-1");
  st = await ctx.expectTokenRequests({ younium: 2 });
});

scenario("fetch: other API statuses (500) are returned as they are", ["fetch"], async (ctx, assert) => {
  const c = ctx.dialectClient("union");
  ctx.track(await c.getToken());
  await ctx.control.fault({ target: "api", kind: "status", status: 500, count: 1 });
  const res = await c.fetch("/x", { method: "POST", body: "{}" });
  await res.text();
  assert.equal(res.status, 500, "500 returned");
  const st = await ctx.expectTokenRequests({ union: 1 });
  assert.equal(st.apiRequests, 1, "not retried");
});

// ---------------------------------------------------------------------------
// 5. Errors

for (const provider of DIALECTS) {
  scenario(`${provider}: wrong credentials → invalid_credentials with the vendor's messages`, ["errors", provider], async (ctx, assert) => {
    const W = ctx.WRONG;
    const wrongCreds = {
      younium: { secret: W.secret },
      "younium-v1": { secret: W.secret },
      union: { password: W.password },
      papaya: { clientSecret: W.clientSecret },
      oauth2: { clientSecret: W.clientSecret },
    }[provider];
    const rawBody = {
      younium: { clientId: ctx.creds.younium.clientId, secret: W.secret },
      "younium-v1": { clientId: ctx.creds.younium.clientId, secret: W.secret },
      union: { username: ctx.creds.union.username, password: W.password },
      papaya: { api_key: ctx.creds.papaya.apiKey, client_secret: W.clientSecret },
      oauth2: { grant_type: "client_credentials", client_id: ctx.creds.oauth2.clientId, client_secret: W.clientSecret },
    }[provider];
    // What the emulator answers to wrong credentials (in a side namespace).
    const probe = ctx.sub("probe");
    await probe.control.reset();
    const raw = await ctx.rawToken(provider, rawBody, probe.base);
    assert.ok(raw.status === 400 || raw.status === 401, `the emulator answers wrong credentials with 400/401, got ${raw.status}`);
    assert.ok(raw.json, `the emulator's error is JSON: ${assert.show(raw.text, 200)}`);

    const c = ctx.dialectClient(provider, wrongCreds);
    const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: raw.status, label: "wrong credentials" });
    if (provider === "younium" || provider === "younium-v1") {
      assert.deepEqual(err.messages, raw.json.errors, "messages = Younium's errors[]");
    } else if (provider === "papaya") {
      assert.deepEqual(err.messages, [raw.json.error], "messages = [Papaya's error]");
    } else {
      assert.type(raw.json.error_description, "string", "the emulator's error_description");
      assert.ok(
        err.messages.some((m) => m.includes(raw.json.error_description)),
        `messages ${assert.show(err.messages)} include error_description ${assert.show(raw.json.error_description)}`,
      );
    }
    // oauth2 unpinned tries HTTP Basic once after a 401 invalid_client (docs/API.md §2).
    const first = provider === "oauth2" ? 2 : 1;
    await ctx.expectTokenRequests({ [provider]: first }, "the failed token request(s)");
    // Failures are not cached as tokens: the next call asks again (once) and fails again.
    await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: raw.status, label: "second call" });
    await ctx.expectTokenRequests({ [provider]: first + 1 }, "one request for the second call");
    // A client with the right credentials works.
    const good = ctx.dialectClient(provider);
    assert.equal(await ctx.apiStatus(ctx.track(await good.getToken())), 200, "recovery with the right credentials");
  });
}

const FAULT_CASES = [
  { name: "token 400 → invalid_credentials", provider: "younium", fault: { kind: "status", status: 400 }, code: "invalid_credentials", status: 400 },
  { name: "token 401 → invalid_credentials", provider: "union", fault: { kind: "status", status: 401 }, code: "invalid_credentials", status: 401 },
  { name: "token 400 OAuth2 invalid_request (union's Keycloak) → invalid_request", provider: "union", fault: { kind: "status", status: 400 }, code: "invalid_request", status: 400 },
  { name: "token 415 → invalid_request", provider: "younium", fault: { kind: "status", status: 415 }, code: "invalid_request", status: 415 },
  { name: "token 403 → forbidden", provider: "younium", fault: { kind: "status", status: 403 }, code: "forbidden", status: 403 },
  { name: "token 429 → rate_limited", provider: "oauth2", fault: { kind: "status", status: 429 }, code: "rate_limited", status: 429 },
  { name: "token 500 → server_error", provider: "union", fault: { kind: "status", status: 500 }, attempts: 3, code: "server_error", status: 500 },
  { name: "token 503 → server_error", provider: "papaya", fault: { kind: "status", status: 503 }, attempts: 3, code: "server_error", status: 503 },
  { name: "HTML 502 page → server_error", provider: "younium", fault: { kind: "html" }, attempts: 3, code: "server_error", status: 502 },
  { name: "HTML 502 page (papaya) → server_error", provider: "papaya", fault: { kind: "html" }, attempts: 3, code: "server_error", status: 502 },
  { name: "bad JSON 200 → invalid_response", provider: "younium", fault: { kind: "badjson" }, code: "invalid_response", status: 200 },
  { name: "bad JSON 201 (papaya) → invalid_response", provider: "papaya", fault: { kind: "badjson" }, code: "invalid_response", status: 201 },
  { name: "bad JSON (oauth2) → invalid_response", provider: "oauth2", fault: { kind: "badjson" }, code: "invalid_response", status: 200 },
  { name: "no token in the response → invalid_response", provider: "younium-v1", fault: { kind: "notoken" }, code: "invalid_response", status: 200 },
  { name: "no token in the response (union) → invalid_response", provider: "union", fault: { kind: "notoken" }, code: "invalid_response", status: 200 },
  { name: "no token in the response (papaya) → invalid_response", provider: "papaya", fault: { kind: "notoken" }, code: "invalid_response", status: 201 },
  { name: "huge response → invalid_response", provider: "younium", fault: { kind: "huge" }, code: "invalid_response", status: 200 },
  { name: "dropped connection → network", provider: "younium", fault: { kind: "drop" }, code: "network", status: null },
  { name: "dropped connection (oauth2) → network", provider: "oauth2", fault: { kind: "drop" }, code: "network", status: null },
];

for (const f of FAULT_CASES) {
  scenario(`errors: ${f.name}, then recovery`, ["errors", "fault", f.provider], async (ctx, assert) => {
    const c = ctx.dialectClient(f.provider);
    // 5xx are retried twice before the call fails, so they take three faults.
    const attempts = f.attempts ?? 1;
    await ctx.control.fault({ target: "token", count: attempts, ...f.fault });
    await ctx.expectAuthError(() => c.getToken(), { code: f.code, status: f.status, label: f.name });
    const token = ctx.track(await c.getToken());
    assert.equal(await ctx.apiStatus(token), 200, "the next getToken() recovers with a valid token");
    await ctx.expectTokenRequests({ [f.provider]: attempts + 1 }, "the faulty attempts and the recovery");
  });
}

scenario("token retry: one 500 is retried and the call succeeds", ["errors", "retry", "fault"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2");
  await ctx.control.fault({ target: "token", kind: "status", status: 500, count: 1 });
  assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "a valid token after one retry");
  await ctx.expectTokenRequests({ oauth2: 2 }, "the 500 and its retry");
});

scenario("token retry: 429 with Retry-After waits that long, within timeoutMs", ["errors", "retry", "fault"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { timeoutMs: 5000 });
  await ctx.control.fault({ target: "token", kind: "status", status: 429, headers: { "Retry-After": "1" }, count: 1 });
  const t0 = Date.now();
  assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "a valid token after waiting");
  assert.between(Date.now() - t0, 900, 4000, "waited about Retry-After (1 s)");
  await ctx.expectTokenRequests({ younium: 2 });
});

scenario("token retry: Retry-After longer than timeoutMs fails at once with rate_limited", ["errors", "retry", "fault"], async (ctx, assert) => {
  const c = ctx.dialectClient("papaya", { timeoutMs: 500 });
  await ctx.control.fault({ target: "token", kind: "status", status: 503, headers: { "Retry-After": "30" }, count: 1 });
  const t0 = Date.now();
  await ctx.expectAuthError(() => c.getToken(), { code: "server_error", status: 503, label: "503, Retry-After 30 s, timeoutMs 500" });
  assert.between(Date.now() - t0, 0, 450, "no wait for a Retry-After that does not fit timeoutMs");
  await ctx.control.fault({ target: "token", kind: "status", status: 429, headers: { "Retry-After": "30" }, count: 1 });
  await ctx.expectAuthError(() => c.getToken(), { code: "rate_limited", status: 429, label: "429, Retry-After 30 s" });
  await ctx.expectTokenRequests({ papaya: 2 }, "one request each, no retry");
});

scenario("abort: a caller's signal ends its own wait, not the shared token request", ["abort", "single-flight"], async (ctx, assert) => {
  await ctx.control.config({ tokenDelayMs: 600 });
  const c = ctx.dialectClient("younium");
  const controller = new AbortController();
  const patient = c.getToken();
  const impatient = c.getToken({ signal: controller.signal });
  const fetchAborted = c.fetch("/api/x", { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const t0 = Date.now();
  await ctx.expectAuthError(() => impatient, { code: "network", label: "aborted getToken" });
  await ctx.expectAuthError(() => fetchAborted, { code: "network", label: "aborted fetch" });
  assert.between(Date.now() - t0, 0, 450, "the aborted callers stopped waiting at once");
  const token = ctx.track(await patient);
  assert.equal(await ctx.apiStatus(token), 200, "the shared token request went on for the others");
  await ctx.expectTokenRequests({ younium: 1 }, "one token request, not cancelled");
  await ctx.expectAuthError(() => c.getToken({ signal: AbortSignal.abort() }), { code: "network", label: "already aborted" });
});

scenario("errors: token request slower than timeoutMs → timeout", ["errors", "fault", "timeout"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { timeoutMs: 300 });
  await ctx.control.fault({ target: "token", kind: "delay", delayMs: 1500, count: 1 });
  const t0 = Date.now();
  await ctx.expectAuthError(() => c.getToken(), { code: "timeout", status: null, label: "delay 1500 ms, timeoutMs 300" });
  const elapsed = Date.now() - t0;
  assert.between(elapsed, 250, 1300, "the timeout fires after about timeoutMs");
  const token = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(token), 200, "recovery after the timeout");
  await ctx.expectTokenRequests({ younium: 2 });
});

scenario("errors: a closed port → network", ["errors", "network"], async (ctx, assert) => {
  // Port 2 on loopback: nothing listens there (and it is not a fetch "bad port").
  const c = ctx.client({ provider: "younium", baseUrl: "http://127.0.0.1:2", ...ctx.creds.younium, timeoutMs: 3000 });
  await ctx.expectAuthError(() => c.getToken(), { code: "network", status: null, label: "closed port" });
  await ctx.expectAuthError(() => c.fetch("/x"), { code: "network", status: null, label: "closed port, client.fetch" });
  const good = ctx.dialectClient("younium");
  assert.equal(await ctx.apiStatus(ctx.track(await good.getToken())), 200, "a client of a reachable endpoint works");
});

scenario("errors: client.fetch to an unreachable API → network, then recovery", ["errors", "network", "fetch"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { allowedOrigins: ["http://127.0.0.1:2"] });
  ctx.track(await c.getToken());
  await ctx.expectAuthError(() => c.fetch("http://127.0.0.1:2/api/x"), { code: "network", status: null, label: "unreachable API" });
  await ctx.control.fault({ target: "api", kind: "drop", count: 1 });
  await ctx.expectAuthError(() => c.fetch("/api/x"), { code: "network", status: null, label: "API drops the connection" });
  await ctx.echo(await c.fetch("/api/x"), "fetch after the failures");
  await ctx.expectTokenRequests({ younium: 1 }, "network failures of the API do not cost a token");
});

scenario("errors: every error of a fault run is an AuthError without secrets", ["errors", "secrets"], async (ctx, assert) => {
  // A mixed run over all dialects; every rejection goes through checkAuthError.
  const kinds = [
    { kind: "status", status: 401 },
    { kind: "status", status: 500, count: 3 },
    { kind: "html", count: 3 },
    { kind: "badjson" },
    { kind: "notoken" },
    { kind: "echo-secret" },
  ];
  for (const provider of DIALECTS) {
    const sub = ctx.sub(provider);
    await sub.control.reset();
    // oauth2 pinned: unpinned, a 401 is answered by one more request with HTTP Basic (docs/API.md §2).
    const pins = provider === "oauth2" ? { bodyEncoding: "json", clientAuth: "body" } : {};
    const c = ctx.client({ provider, baseUrl: sub.base, ...ctx.creds[provider], ...pins });
    for (const k of kinds) {
      await sub.control.fault({ target: "token", count: 1, ...k });
      await ctx.expectAuthError(() => c.getToken(), { label: `${provider} ${JSON.stringify(k)}` });
    }
    ctx.track(await c.getToken());
  }
});

// ---------------------------------------------------------------------------
// 6. invalid_config, synchronously from the constructor

scenario("invalid_config: provider and credentials", ["config"], async (ctx, assert) => {
  const mk = (options) => () => ctx.client(options);
  const o = (p, extra) => ctx.options(p, extra);
  ctx.expectConfigError(mk({ ...o("younium"), provider: "nope" }), "provider", "unknown provider");
  ctx.expectConfigError(mk({ baseUrl: ctx.base, ...ctx.creds.younium }), "provider", "missing provider");
  const { secret: _s, ...youniumNoSecret } = o("younium");
  ctx.expectConfigError(mk(youniumNoSecret), "secret", "younium: missing secret");
  ctx.expectConfigError(mk(o("younium", { clientId: "" })), "clientId", "younium: empty clientId");
  ctx.expectConfigError(mk(o("younium-v1", { secret: "" })), "secret", "younium-v1: empty secret");
  const { password: _p, ...unionNoPassword } = o("union");
  ctx.expectConfigError(mk(unionNoPassword), "password", "union: missing password");
  ctx.expectConfigError(mk(o("union", { username: "" })), "username", "union: empty username");
  const { apiKey: _k, ...papayaNoKey } = o("papaya");
  ctx.expectConfigError(mk(papayaNoKey), "apiKey", "papaya: missing apiKey");
  ctx.expectConfigError(mk(o("papaya", { clientSecret: "" })), "clientSecret", "papaya: empty clientSecret");
  const { clientId: _i, ...oauthNoId } = o("oauth2");
  ctx.expectConfigError(mk(oauthNoId), "clientId", "oauth2: missing clientId");
  ctx.expectConfigError(mk(o("oauth2", { clientSecret: "" })), "clientSecret", "oauth2: empty clientSecret");
  ctx.expectConfigError(mk(o("younium", { clientId: 12345 })), "clientId", "younium: clientId not a string");
  // No options at all.
  ctx.expectConfigError(() => ctx.client(), undefined, "no options");
  ctx.expectConfigError(() => ctx.client(null), undefined, "null options");
  await ctx.expectTokenRequests(0, "no request was made");
});

scenario("invalid_config: option types and values", ["config"], async (ctx, assert) => {
  const mk = (p, extra) => () => ctx.client(ctx.options(p, extra));
  ctx.expectConfigError(mk("younium", { timeoutMs: "x" }), "timeoutMs", "timeoutMs: \"x\"");
  ctx.expectConfigError(mk("younium", { timeoutMs: -1 }), "timeoutMs", "timeoutMs: -1");
  ctx.expectConfigError(mk("younium", { autoRefresh: "yes" }), "autoRefresh", "autoRefresh: \"yes\"");
  ctx.expectConfigError(mk("younium", { refreshLeewaySeconds: "60" }), "refreshLeewaySeconds", "refreshLeewaySeconds: \"60\"");
  ctx.expectConfigError(mk("younium", { refreshLeewaySeconds: -1 }), "refreshLeewaySeconds", "refreshLeewaySeconds: -1");
  ctx.expectConfigError(mk("younium", { environment: "mars" }), "environment", "environment: \"mars\"");
  ctx.expectConfigError(mk("younium", { apiVersion: 2 }), "apiVersion", "apiVersion: 2");
  ctx.expectConfigError(mk("younium", { legalEntity: 5 }), "legalEntity", "legalEntity: 5");
  ctx.expectConfigError(mk("oauth2", { bodyEncoding: "xml" }), "bodyEncoding", "bodyEncoding: \"xml\"");
  ctx.expectConfigError(mk("oauth2", { clientAuth: "digest" }), "clientAuth", "clientAuth: \"digest\"");
  ctx.expectConfigError(mk("younium", { fetch: "not a function" }), "fetch", "fetch: a string");
  ctx.expectConfigError(mk("younium", { onToken: 42 }), "onToken", "onToken: 42");
  ctx.expectConfigError(mk("younium", { store: "kv" }), "store", "store: a string");
  // The valid values are accepted.
  for (const environment of ["production", "sandbox", "us-production", "us-sandbox"]) {
    ctx.client({ provider: "younium", environment, ...ctx.creds.younium });
  }
  ctx.client(ctx.options("oauth2", { bodyEncoding: "json", clientAuth: "body" }));
  ctx.client(ctx.options("oauth2", { bodyEncoding: "form", clientAuth: "basic", scope: "s", audience: "a" }));
  ctx.client(ctx.options("younium", { timeoutMs: 5000, autoRefresh: false, refreshLeewaySeconds: 0, apiVersion: "2.1", legalEntity: "x" }));
  ctx.client(ctx.options("papaya", { tokenName: "n" }));
  ctx.client(ctx.options("younium", { fetch: (i, n) => fetch(i, n), onToken: () => {}, store: { get: async () => null, put: async () => {} } }));
  await ctx.expectTokenRequests(0, "constructing clients makes no request");
});

scenario("invalid_config: URLs (malformed, non-loopback http) and loopback accepted", ["config", "url"], async (ctx, assert) => {
  const mk = (p, extra) => () => ctx.client(ctx.options(p, extra));
  ctx.expectConfigError(mk("younium", { baseUrl: "not a url" }), "baseUrl", "baseUrl: not a url");
  ctx.expectConfigError(mk("union", { baseUrl: "" }), "baseUrl", "baseUrl: empty");
  ctx.expectConfigError(mk("papaya", { baseUrl: "https//missing-colon.example" }), "baseUrl", "baseUrl: https//…");
  ctx.expectConfigError(mk("younium", { tokenUrl: "::::" }), "tokenUrl", "tokenUrl: ::::");
  ctx.expectConfigError(mk("union", { refreshUrl: "nope" }), "refreshUrl", "refreshUrl: nope");
  ctx.expectConfigError(mk("younium", { baseUrl: "http://example.com" }), "baseUrl", "baseUrl: http://example.com");
  ctx.expectConfigError(mk("oauth2", { baseUrl: "http://127.0.0.1.example.com" }), "baseUrl", "baseUrl: http://127.0.0.1.example.com");
  ctx.expectConfigError(mk("oauth2", { baseUrl: "http://localhost.example.com" }), "baseUrl", "baseUrl: http://localhost.example.com");
  ctx.expectConfigError(mk("oauth2", { baseUrl: "http://10.0.0.1:8080" }), "baseUrl", "baseUrl: http://10.0.0.1:8080");
  ctx.expectConfigError(mk("younium", { baseUrl: "ftp://127.0.0.1/" }), "baseUrl", "baseUrl: ftp://127.0.0.1/");
  ctx.expectConfigError(
    () => ctx.client({ provider: "union", tokenUrl: "http://example.com/union-service/auth/token", ...ctx.creds.union }),
    "tokenUrl",
    "tokenUrl: http://example.com/…",
  );
  ctx.expectConfigError(mk("union", { refreshUrl: "http://192.168.1.1/refresh-token" }), "refreshUrl", "refreshUrl: http://192.168.1.1/…");
  // Loopback http and any https are accepted.
  for (const baseUrl of [
    "http://127.0.0.1:8080",
    "http://localhost:8080",
    "http://LOCALHOST:1/x",
    "http://127.5.6.7/prefix/",
    "http://[::1]:9000",
    "https://example.com",
    "https://api.example.com/v2/",
  ]) {
    try {
      ctx.client(ctx.options("oauth2", { baseUrl }));
    } catch (e) {
      assert.fail(`baseUrl ${baseUrl} should be accepted, got ${e && e.name}: ${e && e.message}`);
    }
  }
  ctx.client({ provider: "union", tokenUrl: "http://localhost:9/t", refreshUrl: "https://u.example.com/r", ...ctx.creds.union });
});

scenario("invalid_config: baseUrl required for union, papaya, oauth2 unless tokenUrl is given", ["config", "url"], async (ctx, assert) => {
  for (const provider of ["union", "papaya", "oauth2"]) {
    ctx.expectConfigError(() => ctx.client({ provider, ...ctx.creds[provider] }), "baseUrl", `${provider} without baseUrl`);
    try {
      ctx.client({ provider, tokenUrl: `${ctx.base}${ctx.TOKEN_PATHS[provider]}`, ...ctx.creds[provider] });
    } catch (e) {
      assert.fail(`${provider} with tokenUrl and no baseUrl should be accepted, got ${e && e.name}: ${e && e.message}`);
    }
  }
  // Younium needs neither: environment picks the host.
  ctx.client({ provider: "younium", ...ctx.creds.younium });
  ctx.client({ provider: "younium-v1", ...ctx.creds["younium-v1"] });
  // tokenUrl is used as given: a token from it.
  const c = ctx.client({ provider: "papaya", tokenUrl: `${ctx.base}/token`, ...ctx.creds.papaya });
  assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "papaya with tokenUrl only");
  await ctx.expectTokenRequests({ papaya: 1 });
});

// ---------------------------------------------------------------------------
// 7. Union refresh grant

scenario("union: after expiry, getToken uses the refresh grant", ["union", "refresh"], async (ctx, assert) => {
  await ctx.control.config({ ttlSeconds: 1, refreshTtlSeconds: 30 });
  const rec = ctx.recorder();
  const c = ctx.dialectClient("union", { refreshLeewaySeconds: 0, autoRefresh: false, fetch: rec });
  const t1 = ctx.track(await c.getToken());
  await ctx.expectTokenRequests({ union: 1, "union-refresh": 0 }, "first token");
  await ctx.sleep(1250);
  const t2 = ctx.track(await c.getToken());
  assert.notEqual(t2, t1, "a new token after expiry");
  assert.equal(await ctx.apiStatus(t2), 200, "the refreshed token is valid");
  await ctx.expectTokenRequests({ union: 1, "union-refresh": 1 }, "after expiry");
  assert.equal(rec.log.length, 2, "requests through the fetch option");
  const first = rec.log[0];
  const refresh = rec.log[1];
  assert.equal(first.url, `${ctx.base}${ctx.TOKEN_PATHS.union}`, "token URL");
  assert.equal(refresh.url, `${ctx.base}${ctx.UNION_REFRESH_PATH}`, "refresh URL");
  assert.equal(refresh.method, "POST");
  assert.match(refresh.headers["content-type"] ?? "", /^application\/json/i, "refresh Content-Type");
  assert.equal(refresh.headers.accept, UNION_ACCEPT, "refresh Accept");
  const firstResp = JSON.parse(first.response);
  assert.deepEqual(JSON.parse(refresh.body), { refreshToken: firstResp.refresh_token }, "refresh body");
  const secondResp = JSON.parse(refresh.response);
  checkTokenInfo(ctx, await c.tokenInfo(), t2, {
    extraSecrets: [firstResp.refresh_token, secondResp.refresh_token],
    label: "tokenInfo() after the refresh",
  });
});

for (const status of [400, 401]) {
  scenario(`union: a refresh failing with ${status} falls back to the password grant`, ["union", "refresh", "fault"], async (ctx, assert) => {
    await ctx.control.config({ ttlSeconds: 1, refreshTtlSeconds: 30 });
    const c = ctx.dialectClient("union", { refreshLeewaySeconds: 0, autoRefresh: false });
    const t1 = ctx.track(await c.getToken());
    await ctx.control.fault({ target: "refresh", kind: "status", status, count: 1 });
    await ctx.sleep(1250);
    const t2 = ctx.track(await c.getToken());
    assert.notEqual(t2, t1);
    assert.equal(await ctx.apiStatus(t2), 200, "the fallback token is valid");
    await ctx.expectTokenRequests({ union: 2, "union-refresh": 1 }, "refresh failed, password grant used");
  });
}

scenario("union: an expired refresh token is not used (password grant)", ["union", "refresh"], async (ctx, assert) => {
  await ctx.control.config({ ttlSeconds: 2, refreshTtlSeconds: 1 });
  const c = ctx.dialectClient("union", { refreshLeewaySeconds: 0, autoRefresh: false });
  const t0 = Date.now();
  const t1 = ctx.track(await c.getToken());
  const info = await c.tokenInfo();
  assert.between(info.refreshExpiresAt, t0 + 1000 - 1500, Date.now() + 1000 + 1500, "refreshExpiresAt");
  await ctx.sleep(2150);
  const t2 = ctx.track(await c.getToken());
  assert.notEqual(t2, t1);
  await ctx.expectTokenRequests({ union: 2, "union-refresh": 0 }, "refresh token expired before the access token");
});

scenario("union: refresh URL derived from tokenUrl, or refreshUrl as given", ["union", "refresh", "url"], async (ctx, assert) => {
  await ctx.control.config({ ttlSeconds: 1, refreshTtlSeconds: 30 });
  const tokenUrl = `${ctx.base}/union-service/auth/token?api-version=1.0&tenant=t1`;
  const derivedRefresh = `${ctx.base}/union-service/auth/refresh-token?api-version=1.0&tenant=t1`;
  const explicitRefresh = `${ctx.base}/union-service/auth/refresh-token?api-version=1.0&explicit=yes`;
  const recA = ctx.recorder();
  const recB = ctx.recorder();
  const common = { provider: "union", ...ctx.creds.union, refreshLeewaySeconds: 0, autoRefresh: false };
  const a = ctx.client({ ...common, tokenUrl, fetch: recA });
  const b = ctx.client({ ...common, tokenUrl, refreshUrl: explicitRefresh, fetch: recB });
  await Promise.all([a.getToken(), b.getToken()]);
  await ctx.sleep(1250);
  const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
  ctx.track(ta);
  ctx.track(tb);
  assert.equal(recA.log[0].url, tokenUrl, "tokenUrl used as given");
  assert.equal(recA.log[1]?.url, derivedRefresh, "refresh URL: last path segment of tokenUrl replaced, query kept");
  assert.equal(recB.log[0].url, tokenUrl, "tokenUrl used as given (b)");
  assert.equal(recB.log[1]?.url, explicitRefresh, "refreshUrl used as given");
  await ctx.expectTokenRequests({ union: 2, "union-refresh": 2 });
});

// ---------------------------------------------------------------------------
// 8. Secrets: echo-secret

for (const provider of DIALECTS) {
  scenario(`${provider}: credentials echoed by the vendor are redacted`, ["secrets", "errors", provider], async (ctx, assert) => {
    // The emulator's echo-secret fault really echoes a credential (checked on a side namespace).
    const probe = ctx.sub("probe");
    await probe.control.reset();
    await probe.control.fault({ target: "token", kind: "echo-secret", count: 1 });
    const cr = ctx.creds[provider];
    const raw = await ctx.rawToken(
      provider,
      {
        younium: { clientId: cr.clientId, secret: cr.secret },
        "younium-v1": { clientId: cr.clientId, secret: cr.secret },
        union: { username: cr.username, password: cr.password },
        papaya: { api_key: cr.apiKey, client_secret: cr.clientSecret },
        oauth2: { grant_type: "client_credentials", client_id: cr.clientId, client_secret: cr.clientSecret },
      }[provider],
      probe.base,
    );
    const echoed = ctx.credentialSecrets.filter((s) => raw.text.includes(s));
    assert.ok(echoed.length > 0, `the emulator's echo-secret answer contains a credential (status ${raw.status})`);

    const c = ctx.dialectClient(provider);
    // oauth2 unpinned answers a 401 invalid_client by trying HTTP Basic once
    // (docs/API.md §2): that attempt is echoed too.
    await ctx.control.fault({ target: "token", kind: "echo-secret", count: provider === "oauth2" ? 2 : 1 });
    const err = await ctx.expectAuthError(() => c.getToken(), { label: "echo-secret" });
    assert.equal(err.status, raw.status, "status of the echo-secret answer");
    assert.equal(err.code, ctx.statusCode(err.status), `code for status ${err.status}`);
    assert.ok(err.messages.length > 0, "the vendor's messages are kept");
    assert.ok(err.messages.some((m) => m.includes("[redacted]")), `messages show [redacted]: ${assert.show(err.messages)}`);
    assert.includes(err.message, "[redacted]", "message shows [redacted]");
    for (const s of ctx.credentialSecrets) {
      assert.notIncludes(String(err), s, "String(err)");
      assert.notIncludes(JSON.stringify(err), s, "JSON.stringify(err)");
      assert.notIncludes(String(err.stack), s, "err.stack");
      assert.notIncludes(err.message, s, "err.message");
      assert.notIncludes(JSON.stringify(err.messages), s, "err.messages");
    }
    assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "recovery");
  });
}

// ---------------------------------------------------------------------------
// 9. invalidate(), free(), [Symbol.dispose]()

scenario("invalidate() forces a new token request", ["lifecycle"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium");
  const t1 = ctx.track(await c.getToken());
  assert.equal(c.invalidate(), undefined, "invalidate() returns undefined");
  const t2 = ctx.track(await c.getToken());
  assert.notEqual(t2, t1, "a new token after invalidate()");
  assert.equal(await ctx.apiStatus(t2), 200);
  await ctx.expectTokenRequests({ younium: 2 });
  const e = await ctx.echo(await c.fetch("/x"), "fetch after invalidate");
  assert.equal(e.headers.authorization, `Bearer ${t2}`);
  await ctx.expectTokenRequests({ younium: 2 }, "the new token is cached");
});

async function expectFreed(ctx, c, label) {
  await ctx.expectAuthError(() => c.getToken(), { code: "invalid_config", status: null, label: `${label}: getToken()` });
  await ctx.expectAuthError(() => c.fetch("/x"), { code: "invalid_config", status: null, label: `${label}: fetch()` });
  await ctx.expectAuthError(() => c.tokenInfo(), { code: "invalid_config", status: null, label: `${label}: tokenInfo()` });
  await ctx.expectAuthError(() => c.authHeaders(), { code: "invalid_config", status: null, label: `${label}: authHeaders()` });
}

scenario("free(): later calls reject with invalid_config", ["lifecycle"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium");
  ctx.track(await c.getToken());
  assert.equal(c.free(), undefined, "free() returns undefined");
  await expectFreed(ctx, c, "after free()");
  try {
    c.free();
  } catch (e) {
    assert.fail(`a second free() should be harmless, got ${e && e.name}: ${e && e.message}`);
  }
  await ctx.expectTokenRequests({ younium: 1 }, "no request after free()");
  // A client freed before its first call.
  const d = ctx.dialectClient("oauth2");
  d.free();
  await expectFreed(ctx, d, "freed before use");
  await ctx.expectTokenRequests({ younium: 1, oauth2: 0 }, "no request from a freed client");
});

scenario("[Symbol.dispose](): later calls reject with invalid_config", ["lifecycle"], async (ctx, assert) => {
  if (typeof Symbol.dispose !== "symbol") return; // the runtime has no explicit resource management
  const c = ctx.dialectClient("union");
  ctx.track(await c.getToken());
  assert.type(c[Symbol.dispose], "function", "AuthClient has [Symbol.dispose]");
  c[Symbol.dispose]();
  await expectFreed(ctx, c, "after [Symbol.dispose]()");
  await ctx.expectTokenRequests({ union: 1 });
});

// ---------------------------------------------------------------------------
// 10. Expiry rules

scenario("expiry: a token shorter-lived than refreshLeewaySeconds is still usable once", ["expiry"], async (ctx, assert) => {
  await ctx.control.config({ ttlSeconds: 5 });
  const c = ctx.dialectClient("younium", { autoRefresh: false }); // default leeway: 60 s
  const t0 = Date.now();
  const token = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(token), 200, "getToken() returns a usable token");
  await ctx.expectTokenRequests({ younium: 1 }, "one request for it");
  const info = await c.tokenInfo();
  assert.between(info.expiresAt, t0 + 5000 - 2000, Date.now() + 5000 + 2000, "expiresAt = arrival + 5 s");
  const res = await c.fetch("/x");
  await res.text();
  assert.equal(res.status, 200, "client.fetch works");
  const st = await ctx.control.stats();
  assert.between(st.totalTokenRequests, 1, 2, "token requests after one more call");
});

scenario("expiry: precedence of expires_in, expires, valid_until, JWT exp, default", ["expiry"], async (ctx, assert) => {
  const now = Date.now();
  const httpDate = (ms) => new Date(ms).toUTCString();
  const minuteIso = (ms) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString().replace(/:00\.000Z$/, "Z");
  const secondIso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
  const jwtExp = Math.floor(now / 1000) + 1800;
  const cases = [
    { label: "expires_in wins over expires", provider: "younium", json: { access_token: "tok-a", expires_in: 1000, expires: httpDate(now + 5_000_000) }, approx: 1000 },
    { label: "expires (HTTP date) alone", provider: "younium", json: { access_token: "tok-b", expires: httpDate(now + 2_000_000) }, exact: Date.parse(httpDate(now + 2_000_000)) },
    { label: "expires_in as a string", provider: "younium", json: { access_token: "tok-c", expires_in: "1500" }, approx: 1500 },
    { label: "younium-v1 expiresIn wins", provider: "younium-v1", json: { accessToken: "tok-d", expiresIn: 1200, expires: httpDate(now + 5_000_000) }, approx: 1200 },
    { label: "younium-v1 expires (HTTP date)", provider: "younium-v1", json: { accessToken: "tok-e", expires: httpDate(now + 2_500_000) }, exact: Date.parse(httpDate(now + 2_500_000)) },
    { label: "papaya valid_until without seconds", provider: "papaya", status: 201, json: { token: "tok-f", valid_until: minuteIso(now + 7_200_000), token_name: "n" }, exact: Date.parse(minuteIso(now + 7_200_000)) },
    { label: "papaya valid_until with seconds", provider: "papaya", status: 201, json: { token: "tok-g", valid_until: secondIso(now + 7_300_000), token_name: "n" }, exact: Date.parse(secondIso(now + 7_300_000)) },
    { label: "JWT exp claim", provider: "younium", token: fakeJwt({ exp: jwtExp, iat: jwtExp - 1800 }), exact: jwtExp * 1000 },
    { label: "expires_in wins over JWT exp", provider: "oauth2", token: fakeJwt({ exp: jwtExp + 5000 }), json: { token_type: "Bearer", expires_in: "700" }, approx: 700 },
    { label: "nothing → 300 s", provider: "oauth2", json: { token_type: "Bearer", access_token: "tok-h" }, approx: 300 },
    {
      label: "union expires_in and refresh_expires_in",
      provider: "union",
      json: { access_token: "tok-i", expires_in: 900, refresh_expires_in: 600, refresh_token: "tok-i-refresh", token_type: "Bearer" },
      approx: 900,
      refreshApprox: 600,
    },
    { label: "token_type bearer in any case is Bearer", provider: "oauth2", json: { token_type: "bearer", access_token: "tok-j", expires_in: "3600" }, approx: 3600, tokenType: "Bearer" },
  ];
  for (const k of cases) {
    const json = { ...(k.json ?? {}) };
    if (k.token) json.access_token = k.token;
    const token = json.access_token ?? json.accessToken ?? json.token;
    const fake = ctx.fakeFetch(() => ({ status: k.status ?? 200, json }));
    const c = ctx.client({ provider: k.provider, baseUrl: "https://vendor.example.test", ...ctx.creds[k.provider], autoRefresh: false, fetch: fake });
    const t0 = Date.now();
    assert.equal(await c.getToken(), token, `${k.label}: getToken()`);
    const t1 = Date.now();
    const info = await c.tokenInfo();
    assert.equal(info.accessToken, token, `${k.label}: accessToken`);
    assert.equal(info.tokenType, k.tokenType ?? "Bearer", `${k.label}: tokenType`);
    if (k.exact !== undefined) assert.equal(info.expiresAt, k.exact, `${k.label}: expiresAt`);
    if (k.approx !== undefined) assert.between(info.expiresAt, t0 + k.approx * 1000 - 1500, t1 + k.approx * 1000 + 1500, `${k.label}: expiresAt`);
    if (k.refreshApprox !== undefined) {
      assert.between(info.refreshExpiresAt, t0 + k.refreshApprox * 1000 - 1500, t1 + k.refreshApprox * 1000 + 1500, `${k.label}: refreshExpiresAt`);
    }
    assert.equal(fake.log.length, 1, `${k.label}: one token request`);
  }
});

scenario("younium environments pick the documented hosts", ["url", "younium"], async (ctx, assert) => {
  const hosts = {
    younium: {
      production: "https://api.younium.com",
      sandbox: "https://api.sandbox.younium.com",
      "us-production": "https://api.us.younium.com",
      "us-sandbox": "https://api.sandbox.us.younium.com",
    },
    "younium-v1": {
      production: "https://api.younium.com",
      sandbox: "https://api.sandbox.younium.com",
      "us-production": "https://api.us.younium.com",
      "us-sandbox": "https://api.us.sandbox.younium.com",
    },
  };
  let n = 0;
  const fake = ctx.fakeFetch((req) => {
    n += 1;
    if (/\/auth\/(v2\/)?token$/.test(new URL(req.url).pathname)) {
      return req.url.includes("/auth/v2/")
        ? { json: { access_token: `env-token-${n}`, refresh_token: "r", expires_in: 86400, expires: new Date(Date.now() + 86_400_000).toUTCString() } }
        : { json: { accessToken: `env-token-${n}`, refreshToken: "r", expiresIn: 86400, expires: new Date(Date.now() + 86_400_000).toUTCString() } };
    }
    return { json: { ok: true, url: req.url } };
  });
  for (const provider of ["younium", "younium-v1"]) {
    const path = provider === "younium" ? "/auth/v2/token" : "/auth/token";
    for (const [environment, host] of [[undefined, hosts[provider].production], ...Object.entries(hosts[provider])]) {
      const options = { provider, ...ctx.creds[provider], fetch: fake, autoRefresh: false };
      if (environment) options.environment = environment;
      const c = ctx.client(options);
      const from = fake.log.length;
      await c.getToken();
      assert.equal(fake.log[from].url, `${host}${path}`, `${provider} ${environment ?? "(default)"}: token URL`);
      const res = await c.fetch("/Accounts");
      await res.text();
      assert.equal(fake.log[from + 1].url, `${host}/Accounts`, `${provider} ${environment ?? "(default)"}: API URL`);
    }
  }
  // baseUrl overrides environment.
  const c = ctx.client({ provider: "younium", environment: "sandbox", baseUrl: "https://younium.example.test/prefix", ...ctx.creds.younium, fetch: fake });
  const from = fake.log.length;
  await c.getToken();
  assert.equal(fake.log[from].url, "https://younium.example.test/prefix/auth/v2/token", "baseUrl overrides environment");
});

// ---------------------------------------------------------------------------
// onToken, timers, shared store

scenario("onToken is called with the TokenInfo of every token acquired", ["lifecycle"], async (ctx, assert) => {
  const seen = [];
  const c = ctx.dialectClient("younium", { onToken: (info) => seen.push(info) });
  const t1 = ctx.track(await c.getToken());
  await waitFor(ctx, () => seen.length >= 1, 1000, "onToken after the first token");
  assert.equal(seen.length, 1, "onToken calls");
  checkTokenInfo(ctx, seen[0], t1, { label: "onToken's TokenInfo" });
  await c.getToken();
  c.invalidate();
  const t2 = ctx.track(await c.getToken());
  await waitFor(ctx, () => seen.length >= 2, 1000, "onToken after the second token");
  assert.equal(seen.length, 2, "onToken calls after invalidate()");
  assert.equal(seen[1].accessToken, t2);
});

scenario("autoRefresh (default): a timer refreshes before expiry, lazily in Workers; free() stops it", ["timers"], async (ctx, assert) => {
  // ttl 2 s, leeway 1 s: a timer refreshes about 1 s after each token.
  // autoRefresh is left at its default: on in Node, Deno and browsers, off in Workers.
  await ctx.control.config({ ttlSeconds: 2 });
  const seen = [];
  const c = ctx.dialectClient("younium", { refreshLeewaySeconds: 1, onToken: (i) => seen.push(i.accessToken) });
  const t1 = ctx.track(await c.getToken());
  await ctx.sleep(1500);
  if (ctx.runtime === "workerd") {
    await ctx.expectTokenRequests({ younium: 1 }, "Workers: no timer refresh (expiry is tracked lazily)");
    const t2 = ctx.track(await c.getToken());
    assert.notEqual(t2, t1, "Workers: the next call after the leeway gets a new token");
    await ctx.expectTokenRequests({ younium: 2 }, "Workers: one request on the next call");
    return;
  }
  await ctx.expectTokenRequests({ younium: 2 }, "the timer refreshed once without a call");
  const t2 = ctx.track(await c.getToken());
  assert.notEqual(t2, t1, "getToken() returns the refreshed token");
  assert.equal(t2, seen[seen.length - 1], "the token onToken saw last");
  await ctx.expectTokenRequests({ younium: 2 }, "getToken() after the timer refresh waits for nothing");
  c.free();
  await ctx.sleep(1300);
  await ctx.expectTokenRequests({ younium: 2 }, "no timer refresh after free()");
});

scenario("autoRefresh: a lifetime shorter than the leeway does not cause a refresh storm", ["timers", "expiry"], async (ctx, assert) => {
  await ctx.control.config({ ttlSeconds: 5 });
  const c = ctx.dialectClient("younium"); // default leeway 60 s > 5 s lifetime; default autoRefresh
  const token = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(token), 200);
  await ctx.sleep(1000);
  const st = await ctx.control.stats();
  assert.between(st.totalTokenRequests, 1, 3, "token requests in the first second");
});

scenario("autoRefresh: a failing timer refresh retries and the next call still gets a token", ["timers", "fault"], async (ctx, assert) => {
  if (ctx.runtime === "workerd") return; // no timers in Workers (docs/API.md §6)
  await ctx.control.config({ ttlSeconds: 2 });
  const c = ctx.dialectClient("younium", { refreshLeewaySeconds: 1, autoRefresh: true });
  const t1 = ctx.track(await c.getToken());
  await ctx.control.fault({ target: "token", kind: "status", status: 500, count: 1 });
  await ctx.sleep(1600);
  const st = await ctx.control.stats();
  assert.ok(st.totalTokenRequests >= 2, `the timer should have tried to refresh by now (token requests: ${st.totalTokenRequests})`);
  assert.equal(st.tokenLog[1].status, 500, "the timer's first refresh met the injected 500");
  const t2 = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(t2), 200, "a valid token after a failed timer refresh");
  assert.notEqual(t2, t1, "the token counted as expired 1 s after it was issued");
});

scenario("store: clients share one token through a KV-shaped store", ["store"], async (ctx, assert) => {
  const kv = memoryKv();
  const seen = [];
  const a = ctx.dialectClient("younium", { store: kv });
  const b = ctx.dialectClient("younium", { store: kv, onToken: (i) => seen.push(i.accessToken) });
  const ta = ctx.track(await a.getToken());
  await waitFor(ctx, () => kv.puts.length >= 1, 1000, "the token to be put into the store");
  const tb = await b.getToken();
  assert.equal(tb, ta, "the second client reads the stored token");
  await ctx.expectTokenRequests({ younium: 1 }, "two clients, one token request");
  await waitFor(ctx, () => seen.length >= 1, 1000, "onToken for the token loaded from the store");
  assert.equal(seen[0], ta, "onToken is called for a token loaded from the store");
  for (const p of kv.puts) {
    assert.type(p.key, "string", "store key");
    for (const s of [ctx.creds.younium.clientId, ctx.creds.younium.secret]) assert.notIncludes(p.key, s, "store key contains no credential");
    assert.type(p.value, "string", "store value");
    assert.notIncludes(p.value, ctx.creds.younium.secret, "store value contains no secret");
    assert.ok(p.options && Number.isInteger(p.options.expirationTtl) && p.options.expirationTtl >= 60, `expirationTtl ≥ 60, got ${assert.show(p.options)}`);
  }
  // Another identity (another provider) does not share the entry.
  const u = ctx.dialectClient("union", { store: kv });
  const tu = ctx.track(await u.getToken());
  assert.notEqual(tu, ta);
  await ctx.expectTokenRequests({ younium: 1, union: 1 }, "a different identity makes its own request");
});

scenario("store: an entry within the reader's leeway is ignored", ["store", "expiry"], async (ctx, assert) => {
  // A 2 s token, stored, read 1.2 s later by a client with a 1 s leeway
  // (no more than half the lifetime): it has 0.8 s left, within the leeway.
  await ctx.control.config({ ttlSeconds: 2 });
  const kv = memoryKv();
  const a = ctx.dialectClient("oauth2", { store: kv, refreshLeewaySeconds: 0, autoRefresh: false });
  const ta = ctx.track(await a.getToken());
  await waitFor(ctx, () => kv.puts.length >= 1, 1000, "the token to be put into the store");
  await ctx.sleep(1200);
  const b = ctx.dialectClient("oauth2", { store: kv, refreshLeewaySeconds: 1, autoRefresh: false });
  const tb = ctx.track(await b.getToken());
  assert.notEqual(tb, ta, "a stored token expiring within the reader's leeway is not used");
  await ctx.expectTokenRequests({ oauth2: 2 });
  await waitFor(ctx, () => kv.puts.length >= 2, 1000, "the new token to be put into the store");
  const c = ctx.dialectClient("oauth2", { store: kv, refreshLeewaySeconds: 0, autoRefresh: false });
  const tc = await c.getToken();
  assert.equal(tc, tb, "a reader uses the fresh stored token");
  await ctx.expectTokenRequests({ oauth2: 2 }, "no request for the third client");
});

scenario("store: a failing store is treated as a miss", ["store", "fault"], async (ctx, assert) => {
  const failing = {
    get: async () => {
      throw new Error("store get failed");
    },
    put: () => {
      throw new Error("store put failed");
    },
  };
  const c = ctx.dialectClient("papaya", { store: failing });
  const t = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(t), 200, "a token despite the failing store");
  const garbage = { get: async () => "not json {", put: async () => {} };
  const d = ctx.dialectClient("papaya", { store: garbage });
  assert.equal(await ctx.apiStatus(ctx.track(await d.getToken())), 200, "a token despite a garbage entry");
  await ctx.expectTokenRequests({ papaya: 2 });
});
