// Tests of the vendor emulator itself, with plain fetch: node --test tests/emulator/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startEmulator, SAMPLE_CREDENTIALS as C } from "./server.mjs";
import { SAMPLE_CREDENTIALS as C2 } from "./credentials.mjs";

let emu;
let nsCounter = 0;
before(async () => {
  emu = await startEmulator();
});
after(() => emu.close());

/** A fresh namespace base URL per test. */
const fresh = (label = "t") => `${emu.url}/t/${label}-${++nsCounter}`;

const GOOD = {
  younium: { path: "/auth/v2/token", body: { clientId: C.younium.clientId, secret: C.younium.secret }, status: 200, token: "access_token" },
  "younium-v1": { path: "/auth/token", body: { clientId: C["younium-v1"].clientId, secret: C["younium-v1"].secret }, status: 200, token: "accessToken" },
  union: { path: "/union-service/auth/token?api-version=1.0", body: { ...C.union }, status: 200, token: "access_token" },
  papaya: { path: "/token", body: { api_key: C.papaya.apiKey, client_secret: C.papaya.clientSecret }, status: 201, token: "token" },
  oauth2: {
    path: "/api/v2/oauth2/token",
    body: { grant_type: "client_credentials", client_id: C.oauth2.clientId, client_secret: C.oauth2.clientSecret },
    status: 200,
    token: "access_token",
  },
};

// Wrong credentials for each dialect, and the error each vendor answers.
const BAD = {
  younium: { body: { ...GOOD.younium.body, secret: "nope" }, status: 401, error: { errors: ["Invalid client credentials"] } },
  "younium-v1": { body: { ...GOOD["younium-v1"].body, secret: "nope" }, status: 401, error: { errors: ["Invalid client credentials"] } },
  union: { body: { ...GOOD.union.body, password: "nope" }, status: 401, error: { error: "invalid_grant", error_description: "Invalid user credentials" } },
  papaya: { body: { ...GOOD.papaya.body, client_secret: "nope" }, status: 401, error: { error: "Invalid request" } },
  oauth2: { body: { ...GOOD.oauth2.body, client_secret: "nope" }, status: 401, error: { error: "invalid_client", error_description: "Invalid client credentials" } },
};

/** Checks a body has exactly the error shape of a vendor. */
function assertErrorShape(dialect, json) {
  if (dialect.startsWith("younium")) {
    assert.deepEqual(Object.keys(json), ["errors"]);
    assert.ok(Array.isArray(json.errors) && json.errors.length > 0 && json.errors.every((m) => typeof m === "string"));
  } else if (dialect === "papaya") {
    assert.deepEqual(Object.keys(json), ["error"]);
    assert.equal(typeof json.error, "string");
  } else {
    assert.deepEqual(Object.keys(json).sort(), ["error", "error_description"]);
    assert.equal(typeof json.error, "string");
    assert.equal(typeof json.error_description, "string");
  }
}

async function call(url, { method = "POST", headers = {}, body, json = true } = {}) {
  const init = { method, headers: { ...headers }, redirect: "manual" };
  if (body !== undefined) {
    init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (json && typeof body !== "string" && !(body instanceof Uint8Array)) init.headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: parsed };
}

const token = (base, dialect) => call(base + GOOD[dialect].path, { body: GOOD[dialect].body });
const control = async (base, name, payload) => {
  const r = await call(`${base}/__emulator/${name}`, payload === undefined ? { method: "GET" } : { body: payload });
  assert.equal(r.status, 200, `control ${name}: ${r.text}`);
  return r.json;
};
const api = (base, tok, { path = "/whoami", headers = {}, ...rest } = {}) =>
  call(base + path, { method: "GET", headers: tok ? { authorization: `Bearer ${tok}`, ...headers } : headers, ...rest });

function decodeJwt(t) {
  const parts = t.split(".");
  assert.equal(parts.length, 3, "JWT-shaped");
  return { header: JSON.parse(Buffer.from(parts[0], "base64url")), claims: JSON.parse(Buffer.from(parts[1], "base64url")), sig: parts[2] };
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

// ---------------------------------------------------------------------------
// Success shapes

test("credentials: server.mjs re-exports credentials.mjs", () => {
  assert.equal(C, C2);
  assert.deepEqual(Object.keys(C), ["younium", "younium-v1", "union", "papaya", "oauth2"]);
});

test("younium v2: 200 {access_token, refresh_token, expires_in, expires} and a JWT-shaped token", async () => {
  const base = fresh();
  const r = await token(base, "younium");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.deepEqual(Object.keys(r.json), ["access_token", "refresh_token", "expires_in", "expires"]);
  assert.equal(r.json.expires_in, 86400);
  assert.match(r.json.expires, IMF_FIXDATE);
  const expires = Date.parse(r.json.expires);
  assert.ok(Math.abs(expires - (Date.now() + 86400_000)) < 5000);
  assert.match(r.json.refresh_token, /^[0-9a-f-]{36}$/);
  const { header, claims, sig } = decodeJwt(r.json.access_token);
  assert.equal(header.typ, "JWT");
  assert.ok(r.json.access_token.startsWith("eyJ"));
  assert.equal(Buffer.from(sig, "base64url").length, 16);
  for (const k of ["sub", "iat", "exp", "jti", "dialect"]) assert.ok(k in claims, `claim ${k}`);
  assert.equal(claims.dialect, "younium");
  assert.equal(claims.exp - claims.iat, 86400);
  assert.match(r.headers.get("date"), IMF_FIXDATE);
  // Unique per issue.
  const again = await token(base, "younium");
  assert.notEqual(again.json.access_token, r.json.access_token);
});

test("younium v1: 200 {expires, expiresIn, accessToken, refreshToken}", async () => {
  const r = await token(fresh(), "younium-v1");
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json), ["expires", "expiresIn", "accessToken", "refreshToken"]);
  assert.equal(r.json.expiresIn, 86400);
  assert.match(r.json.expires, IMF_FIXDATE);
  assert.equal(decodeJwt(r.json.accessToken).claims.dialect, "younium-v1");
});

test("union: Keycloak shape, json-patch+json accepted, api-version optional but must be 1.0", async () => {
  const base = fresh();
  const r = await token(base, "union");
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json), [
    "access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type", "not-before-policy", "session_state", "scope",
  ]);
  assert.equal(r.json.expires_in, 36000);
  assert.equal(r.json.refresh_expires_in, 1800);
  assert.equal(r.json.token_type, "Bearer");
  assert.equal(r.json["not-before-policy"], 0);
  assert.equal(r.json.scope, "email scope profile");
  assert.equal(typeof r.json.session_state, "string");

  const patch = await call(`${base}/union-service/auth/token?api-version=1.0`, {
    headers: { "content-type": "application/json-patch+json", accept: "application/vnd.restful+json" },
    body: JSON.stringify(C.union),
  });
  assert.equal(patch.status, 200);
  const noVersion = await call(`${base}/union-service/auth/token`, { body: C.union });
  assert.equal(noVersion.status, 200);
  const wrongVersion = await call(`${base}/union-service/auth/token?api-version=2.0`, { body: C.union });
  assert.equal(wrongVersion.status, 400);
  assertErrorShape("union", wrongVersion.json);
});

test("papaya: 201 {valid_until (minute precision, rounded down), token, token_name}", async () => {
  const base = fresh();
  const before = Date.now();
  const r = await call(`${base}/token`, { body: { ...GOOD.papaya.body, token_name: "my-token" } });
  assert.equal(r.status, 201);
  assert.deepEqual(Object.keys(r.json), ["valid_until", "token", "token_name"]);
  assert.equal(r.json.token_name, "my-token");
  assert.match(r.json.valid_until, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
  const validUntil = Date.parse(r.json.valid_until);
  assert.ok(validUntil <= before + 86400_000 + 2000 && validUntil > before + 86400_000 - 61_000);
  assert.equal(decodeJwt(r.json.token).claims.exp * 1000, validUntil, "the token expires when valid_until says");

  const unnamed = await token(base, "papaya");
  assert.match(unnamed.json.token_name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  await control(base, "config", { papayaSeconds: true });
  const withSeconds = await token(base, "papaya");
  assert.match(withSeconds.json.valid_until, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

test("papaya: with minute precision the token really expires at valid_until", async () => {
  const base = fresh();
  await control(base, "config", { ttlSeconds: 0 }); // rounded down: valid_until is already past
  const past = await token(base, "papaya");
  assert.ok(Date.parse(past.json.valid_until) <= Date.now());
  assert.equal((await api(base, past.json.token)).status, 401);
  await control(base, "config", { ttlSeconds: 120 }); // rounded down: still at least a minute away
  const future = await token(base, "papaya");
  assert.ok(Date.parse(future.json.valid_until) >= Date.now() + 55_000);
  assert.equal((await api(base, future.json.token)).status, 200);
});

test("oauth2: JSON body → 200 {token_type, access_token, expires_in: \"3600\"}", async () => {
  const r = await token(fresh(), "oauth2");
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { token_type: "Bearer", access_token: r.json.access_token, expires_in: "3600" });
});

test("oauth2: form body, HTTP Basic (URL-encoded), both at once, wrong grant_type", async () => {
  const base = fresh();
  const url = `${base}/api/v2/oauth2/token`;
  const form = "application/x-www-form-urlencoded";
  const formBody = new URLSearchParams({ ...GOOD.oauth2.body, scope: "read write", audience: "https://api.example" }).toString();
  const r1 = await call(url, { headers: { "content-type": form }, body: formBody });
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.json.expires_in, "3600");

  // RFC 6749 §2.3.1: each part form-URL-encoded before base64 ("-" as %2D must decode).
  const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${secret.replace(/-/g, "%2D")}`).toString("base64")}`;
  const r2 = await call(url, {
    headers: { "content-type": form, authorization: basic(C.oauth2.clientId, C.oauth2.clientSecret) },
    body: "grant_type=client_credentials",
  });
  assert.equal(r2.status, 200, r2.text);
  const r3 = await call(url, { headers: { authorization: basic(C.oauth2.clientId, C.oauth2.clientSecret) }, body: { grant_type: "client_credentials" } });
  assert.equal(r3.status, 200, "Basic with a JSON body");

  const both = await call(url, { headers: { authorization: basic(C.oauth2.clientId, C.oauth2.clientSecret) }, body: GOOD.oauth2.body });
  assert.equal(both.status, 400);
  assert.equal(both.json.error, "invalid_request");

  const wrongBasic = await call(url, { headers: { authorization: basic(C.oauth2.clientId, "nope") }, body: { grant_type: "client_credentials" } });
  assert.equal(wrongBasic.status, 401);
  assert.equal(wrongBasic.json.error, "invalid_client");
  assert.match(wrongBasic.headers.get("www-authenticate"), /^Basic/);

  const grant = await call(url, { body: { ...GOOD.oauth2.body, grant_type: "password" } });
  assert.equal(grant.status, 400);
  assert.equal(grant.json.error, "unsupported_grant_type");

  const dup = await call(url, { headers: { "content-type": form }, body: `${formBody}&grant_type=client_credentials` });
  assert.equal(dup.status, 400, "a repeated form parameter");

  const log = (await control(base, "stats")).tokenLog;
  assert.equal(log[0].contentType, form);
  assert.deepEqual(log[0].bodyKeys, ["grant_type", "client_id", "client_secret", "scope", "audience"]);
  assert.equal(log[0].scope, "read write");
  assert.equal(log[0].audience, "https://api.example");
  assert.equal(log[1].authScheme, "Basic");
  assert.deepEqual(log[1].bodyKeys, ["grant_type"]);
});

test("oauth2: a repeated resource parameter (RFC 8707), a JSON resource array, both logged", async () => {
  const base = fresh();
  const url = `${base}/api/v2/oauth2/token`;
  const form = "application/x-www-form-urlencoded";
  const params = new URLSearchParams(GOOD.oauth2.body);
  params.append("resource", "https://a.test/");
  params.append("resource", "https://b.test/");
  assert.equal((await call(url, { headers: { "content-type": form }, body: params.toString() })).status, 200);
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, resource: ["https://c.test/"] } })).status, 200);
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, resource: "https://d.test/" } })).status, 200);
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, resource: [1] } })).json.error, "invalid_request");
  const log = (await control(base, "stats")).tokenLog;
  assert.deepEqual(log.slice(0, 3).map((e) => e.resource), [["https://a.test/", "https://b.test/"], ["https://c.test/"], "https://d.test/"]);
});

test("oauth2: config makes it a strict RFC 6749 server (form only, Basic only, errors in the challenge, scopes, resources)", async () => {
  const form = "application/x-www-form-urlencoded";
  const basic = `Basic ${Buffer.from(`${C.oauth2.clientId}:${C.oauth2.clientSecret}`).toString("base64")}`;
  const formBody = new URLSearchParams(GOOD.oauth2.body).toString();
  for (const [refusal, status, error] of [["invalid_request", 400, "invalid_request"], ["unsupported_grant_type", 400, "unsupported_grant_type"], ["415", 415, "invalid_request"]]) {
    const base = fresh();
    const url = `${base}/api/v2/oauth2/token`;
    await control(base, "config", { oauth2RequireForm: refusal });
    const json = await call(url, { body: GOOD.oauth2.body });
    assert.deepEqual([json.status, json.json.error], [status, error], `JSON refused (${refusal})`);
    assert.equal((await call(url, { headers: { "content-type": form }, body: formBody })).status, 200, "a form is taken");
  }
  const base = fresh();
  const url = `${base}/api/v2/oauth2/token`;
  assert.equal((await call(`${base}/__emulator/config`, { body: { oauth2RequireForm: "xml" } })).status, 400, "unknown refusal");
  await control(base, "config", { oauth2RequireBasic: true });
  const inBody = await call(url, { body: GOOD.oauth2.body });
  assert.deepEqual([inBody.status, inBody.json.error], [401, "invalid_client"]);
  assert.equal((await call(url, { headers: { authorization: basic }, body: { grant_type: "client_credentials" } })).status, 200);
  await control(base, "config", { oauth2ErrorsInChallenge: true });
  const empty = await call(url, { body: GOOD.oauth2.body });
  assert.equal(empty.status, 401);
  assert.equal(empty.text, "", "an empty body");
  assert.match(empty.headers.get("www-authenticate"), /^Basic realm="oauth2", error="invalid_client", error_description="client authentication failed: /);
  await control(base, "config", { oauth2RequireBasic: false, oauth2Scopes: "read write", oauth2Resources: "https://api.test/" });
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, scope: "read" } })).status, 200);
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, scope: "read admin" } })).json.error, "invalid_scope");
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, resource: "https://api.test/" } })).status, 200);
  assert.equal((await call(url, { body: { ...GOOD.oauth2.body, resource: ["https://api.test/", "https://x.test/"] } })).json.error, "invalid_target");
});

// ---------------------------------------------------------------------------
// Errors and strictness

for (const dialect of Object.keys(GOOD)) {
  test(`${dialect}: wrong credentials → ${BAD[dialect].status} in the vendor's error shape`, async () => {
    const r = await call(fresh() + GOOD[dialect].path, { body: BAD[dialect].body });
    assert.equal(r.status, BAD[dialect].status);
    assert.deepEqual(r.json, BAD[dialect].error);
  });

  test(`${dialect}: strict method, content type, JSON and fields`, async () => {
    const url = fresh() + GOOD[dialect].path;
    const required = Object.keys(GOOD[dialect].body);
    const cases = [
      ["GET", { method: "GET" }, 405],
      ["PUT", { method: "PUT", body: GOOD[dialect].body }, 405],
      ["text/plain", { body: JSON.stringify(GOOD[dialect].body) }, 415],
      ["no content type", { body: new TextEncoder().encode(JSON.stringify(GOOD[dialect].body)) }, 415],
      ["application/xml", { headers: { "content-type": "application/xml" }, body: GOOD[dialect].body }, 415],
      ["malformed JSON", { headers: { "content-type": "application/json" }, body: '{"clientId": ' }, 400],
      ["empty body", { headers: { "content-type": "application/json" }, body: "" }, 400],
      ["JSON array", { body: [GOOD[dialect].body] }, 400],
      ["JSON string", { headers: { "content-type": "application/json" }, body: '"x"' }, 400],
      ...required.map((k) => {
        const body = { ...GOOD[dialect].body };
        delete body[k];
        return [`missing ${k}`, { body }, 400];
      }),
      ...required.map((k) => [`${k} not a string`, { body: { ...GOOD[dialect].body, [k]: 42 } }, 400]),
    ];
    for (const [label, init, status] of cases) {
      const r = await call(url, init);
      assert.equal(r.status, status, `${label}: ${r.text}`);
      if (init.method !== undefined && init.method !== "POST") assert.match(r.headers.get("allow"), /POST/);
      assertErrorShape(dialect, r.json);
    }
    // Charset parameters are fine.
    const ok = await call(url, { headers: { "content-type": "application/json; charset=utf-8" }, body: GOOD[dialect].body });
    assert.equal(ok.status, GOOD[dialect].status, ok.text);
  });
}

test("optional fields must be strings when present", async () => {
  const base = fresh();
  assert.equal((await call(`${base}/token`, { body: { ...GOOD.papaya.body, token_name: null } })).status, 400);
  assert.equal((await call(`${base}/api/v2/oauth2/token`, { body: { ...GOOD.oauth2.body, scope: ["a"] } })).status, 400);
});

test("token endpoints are found under a base path prefix too", async () => {
  const base = fresh();
  const r = await call(`${base}/v2/auth/v2/token`, { body: GOOD.younium.body });
  assert.equal(r.status, 200);
  assert.equal((await control(base, "stats")).tokenLog[0].path, "/v2/auth/v2/token");
});

// ---------------------------------------------------------------------------
// union refresh

test("union refresh: rotates the refresh token; the old one is not active", async () => {
  const base = fresh();
  const first = await token(base, "union");
  const refreshUrl = `${base}/union-service/auth/refresh-token?api-version=1.0`;
  const second = await call(refreshUrl, { body: { refreshToken: first.json.refresh_token } });
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(Object.keys(second.json), Object.keys(first.json));
  assert.notEqual(second.json.refresh_token, first.json.refresh_token);
  assert.notEqual(second.json.access_token, first.json.access_token);
  assert.equal(second.json.session_state, first.json.session_state);
  assert.equal((await api(base, second.json.access_token)).status, 200);

  const reused = await call(refreshUrl, { body: { refreshToken: first.json.refresh_token } });
  assert.equal(reused.status, 400);
  assert.deepEqual(reused.json, { error: "invalid_grant", error_description: "Token is not active" });
  const unknown = await call(refreshUrl, { body: { refreshToken: "not-a-token" } });
  assert.equal(unknown.status, 400);
  const missing = await call(refreshUrl, { body: {} });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error, "invalid_request");
  const third = await call(refreshUrl, { headers: { "content-type": "application/json-patch+json" }, body: JSON.stringify({ refreshToken: second.json.refresh_token }) });
  assert.equal(third.status, 200);

  const st = await control(base, "stats");
  assert.equal(st.tokenRequests.union, 1);
  assert.equal(st.tokenRequests["union-refresh"], 5);
  assert.equal(st.totalTokenRequests, 6);
});

test("union refresh: a refresh token past refresh_expires_in is not active", async () => {
  const base = fresh();
  await control(base, "config", { refreshTtlSeconds: 0.2 });
  const first = await token(base, "union");
  assert.equal(first.json.refresh_expires_in, 0.2);
  await new Promise((r) => setTimeout(r, 250));
  const r = await call(`${base}/union-service/auth/refresh-token`, { body: { refreshToken: first.json.refresh_token } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, "invalid_grant");
});

// ---------------------------------------------------------------------------
// API endpoints, namespaces, revoke

test("API: echo with a valid token; 401 missing/unknown/expired; 403 legal-entity", async () => {
  const base = fresh();
  const tok = (await token(base, "younium")).json.access_token;
  const ok = await call(`${base}/Accounts/1?x=1&y=2&y=3`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${tok}`, "Api-Version": "2.1", "content-type": "application/json" },
    body: { a: 1 },
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.ok, true);
  assert.equal(ok.json.method, "PATCH");
  assert.equal(ok.json.path, "/Accounts/1");
  assert.deepEqual(ok.json.query, { x: "1", y: ["2", "3"] });
  assert.equal(ok.json.headers["api-version"], "2.1");
  assert.equal(ok.json.body, '{"a":1}');
  assert.deepEqual(ok.json.json, { a: 1 });

  for (const [label, t] of [["missing", null], ["unknown", `${tok}x`]]) {
    const r = await api(base, t);
    assert.equal(r.status, 401, label);
    assert.deepEqual(r.json, { errors: ["Unauthorized"] });
    assert.equal(r.headers.get("www-authenticate"), "Bearer");
  }
  assert.equal((await api(base, null, { headers: { authorization: `Basic ${tok}` } })).status, 401, "not a Bearer token");

  await control(base, "config", { ttlSeconds: 0 });
  const expired = (await token(base, "oauth2")).json;
  assert.equal(expired.expires_in, "0");
  assert.equal((await api(base, expired.access_token)).status, 401, "expired");

  await control(base, "config", { requireLegalEntity: "LE-1", ttlSeconds: null });
  assert.equal((await api(base, tok)).status, 403);
  assert.equal((await api(base, tok, { headers: { "legal-entity": "LE-2" } })).status, 403);
  assert.equal((await api(base, tok, { headers: { "legal-entity": "LE-1" } })).status, 200);
  assert.equal((await api(base, null, { headers: { "legal-entity": "LE-1" } })).status, 401, "401 before 403");

  const st = await control(base, "stats");
  assert.equal(st.apiRequests, 9);
  assert.deepEqual(st.apiLog.map((e) => e.status), [200, 401, 401, 401, 401, 403, 403, 200, 401]);
});

test("namespaces are isolated (tokens, config, faults, stats); reset clears one", async () => {
  const a = fresh("ns-a");
  const b = fresh("ns-b");
  const tokA = (await token(a, "younium")).json.access_token;
  assert.equal((await api(a, tokA)).status, 200);
  assert.equal((await api(b, tokA)).status, 401, "a token of another namespace");
  await control(b, "config", { requireLegalEntity: "X" });
  await control(b, "fault", { target: "token", kind: "status", status: 503 });
  assert.equal((await token(a, "younium")).status, 200, "b's fault does not hit a");
  assert.equal((await api(a, tokA)).status, 200, "b's config does not apply to a");
  assert.equal((await control(a, "stats")).totalTokenRequests, 2);
  assert.equal((await control(b, "stats")).totalTokenRequests, 0);
  assert.equal((await token(b, "younium")).status, 503);

  await control(a, "reset", {});
  const st = await control(a, "stats");
  assert.equal(st.totalTokenRequests, 0);
  assert.deepEqual(st.tokenLog, []);
  assert.equal((await api(a, tokA)).status, 401, "reset forgets tokens");

  // No prefix: the default namespace, control endpoints included.
  const d = await call(`${emu.url}/__emulator/stats`, { method: "GET" });
  assert.equal(d.status, 200);
  assert.equal(typeof d.json.totalTokenRequests, "number");
});

test("revoke: every token issued so far is refused; new ones work", async () => {
  const base = fresh();
  const t1 = (await token(base, "younium")).json.access_token;
  const union = (await token(base, "union")).json;
  const r = await control(base, "revoke", {});
  assert.equal(r.revoked, 3, "two access tokens and one refresh token");
  assert.equal((await api(base, t1)).status, 401);
  assert.equal((await api(base, union.access_token)).status, 401);
  const refresh = await call(`${base}/union-service/auth/refresh-token`, { body: { refreshToken: union.refresh_token } });
  assert.equal(refresh.status, 400);
  const t2 = (await token(base, "younium")).json.access_token;
  assert.equal((await api(base, t2)).status, 200);
});

// ---------------------------------------------------------------------------
// Config: clock skew, Date header, delays

test("config: clockSkewSeconds shifts Date, expires and valid_until; omitDateHeader", async () => {
  const base = fresh();
  await control(base, "config", { clockSkewSeconds: -3600, papayaSeconds: true });
  const y = await token(base, "younium");
  const shift = Date.parse(y.headers.get("date")) - Date.now();
  assert.ok(Math.abs(shift + 3600_000) < 3000, `Date shifted by ${shift} ms`);
  assert.ok(Math.abs(Date.parse(y.json.expires) - (Date.now() - 3600_000 + 86400_000)) < 3000);
  assert.equal(y.json.expires_in, 86400, "relative lifetimes are not shifted");
  assert.equal((await api(base, y.json.access_token)).status, 200, "the token works in real time");
  const p = await token(base, "papaya");
  assert.ok(Math.abs(Date.parse(p.json.valid_until) - (Date.now() - 3600_000 + 86400_000)) < 3000);

  await control(base, "config", { omitDateHeader: true });
  const r = await token(base, "oauth2");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("date"), null);
});

test("config: ttlSeconds, tokenDelayMs, apiDelayMs; bad config is refused", async () => {
  const base = fresh();
  const cfg = await control(base, "config", { ttlSeconds: 120, tokenDelayMs: 150, apiDelayMs: 100 });
  assert.equal(cfg.config.ttlSeconds, 120);
  let t0 = Date.now();
  const y = await token(base, "younium-v1");
  assert.ok(Date.now() - t0 >= 140, "token delay");
  assert.equal(y.json.expiresIn, 120);
  t0 = Date.now();
  assert.equal((await api(base, y.json.accessToken)).status, 200);
  assert.ok(Date.now() - t0 >= 90, "api delay");

  for (const bad of [{ ttlSeconds: -1 }, { nope: 1 }, { papayaSeconds: "yes" }, [1]]) {
    const r = await call(`${base}/__emulator/config`, { body: bad });
    assert.equal(r.status, 400, JSON.stringify(bad));
  }
  assert.equal((await call(`${base}/__emulator/fault`, { body: { target: "token", kind: "explode" } })).status, 400);
  assert.equal((await call(`${base}/__emulator/fault`, { body: { target: "nowhere", kind: "drop" } })).status, 400);
  assert.equal((await call(`${base}/__emulator/fault`, { body: { target: "api", kind: "drop", count: 0 } })).status, 400);
  assert.equal((await call(`${base}/__emulator/nothing`, { method: "GET" })).status, 404);
  assert.equal((await call(`${base}/__emulator/revoke`, { method: "GET" })).status, 405);
});

// ---------------------------------------------------------------------------
// Faults

test("fault status: custom status, headers and body; FIFO, count, default vendor shape", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "status", status: 429, headers: { "Retry-After": "2" }, count: 2 });
  await control(base, "fault", { target: "token", kind: "status", body: "plain failure" });
  await control(base, "fault", { target: "token", kind: "status", status: 503, body: { custom: true } });
  assert.equal((await control(base, "stats")).pendingFaults, 4);

  for (let i = 0; i < 2; i++) {
    const r = await token(base, "papaya");
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "2");
    assertErrorShape("papaya", r.json);
  }
  const plain = await token(base, "younium");
  assert.equal(plain.status, 500);
  assert.equal(plain.text, "plain failure");
  const custom = await token(base, "oauth2");
  assert.equal(custom.status, 503);
  assert.deepEqual(custom.json, { custom: true });
  assert.equal((await token(base, "oauth2")).status, 200, "faults used up");

  for (const dialect of ["younium", "union", "oauth2"]) {
    await control(base, "fault", { target: "token", kind: "status" });
    const r = await token(base, dialect);
    assert.equal(r.status, 500);
    assertErrorShape(dialect, r.json);
  }
});

test("fault html: 502 nginx page", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "html" });
  const r = await token(base, "younium");
  assert.equal(r.status, 502);
  assert.match(r.headers.get("content-type"), /^text\/html/);
  assert.match(r.text, /<h1>502 Bad Gateway<\/h1>/);
  assert.match(r.text, /nginx/);
});

test("fault badjson: success status, JSON content type, invalid body", async () => {
  const base = fresh();
  for (const [dialect, status] of [["papaya", 201], ["younium", 200]]) {
    await control(base, "fault", { target: "token", kind: "badjson" });
    const r = await token(base, dialect);
    assert.equal(r.status, status);
    assert.match(r.headers.get("content-type"), /^application\/json/);
    assert.throws(() => JSON.parse(r.text));
  }
});

test("fault notoken: success shape without the token field", async () => {
  const base = fresh();
  for (const dialect of Object.keys(GOOD)) {
    await control(base, "fault", { target: "token", kind: "notoken" });
    const r = await token(base, dialect);
    assert.equal(r.status, GOOD[dialect].status);
    assert.ok(r.json && typeof r.json === "object");
    assert.ok(!(GOOD[dialect].token in r.json), `${dialect}: no ${GOOD[dialect].token}`);
    assert.ok(Object.keys(r.json).length > 0);
  }
});

test("fault delay: answers normally after delayMs", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "delay", delayMs: 200 });
  const t0 = Date.now();
  const r = await token(base, "union");
  assert.ok(Date.now() - t0 >= 190);
  assert.equal(r.status, 200);
});

test("fault drop: the connection closes without a response", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "drop" });
  await assert.rejects(token(base, "younium"));
  assert.equal((await token(base, "younium")).status, 200);
  const st = await control(base, "stats");
  assert.deepEqual(st.tokenLog.map((e) => e.status), [null, 200]);
});

test("fault huge: 2 MiB of valid JSON, no usable token", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "huge" });
  const r = await token(base, "oauth2");
  assert.equal(r.status, 200);
  assert.ok(r.text.length >= 2 * 1024 * 1024);
  assert.equal(r.json.token_type, "Bearer");
  // Unregistered; and as a header it exceeds the server's limit (Node: 431).
  const used = await api(base, r.json.access_token).catch(() => ({ status: "connection closed" }));
  assert.notEqual(used.status, 200);
});

test("fault echo-secret: the vendor's error echoes the submitted secret", async () => {
  const base = fresh();
  const expectSecret = { younium: C.younium.secret, union: C.union.password, papaya: C.papaya.clientSecret, oauth2: C.oauth2.clientSecret };
  for (const [dialect, secret] of Object.entries(expectSecret)) {
    await control(base, "fault", { target: "token", kind: "echo-secret" });
    const r = await token(base, dialect);
    assert.equal(r.status, 401);
    assertErrorShape(dialect, r.json);
    assert.ok(r.text.includes(secret), `${dialect} echoes its secret: ${r.text}`);
  }
  await control(base, "fault", { target: "token", kind: "echo-secret", status: 400 });
  assert.equal((await token(base, "younium")).status, 400);
  const stats = JSON.stringify(await control(base, "stats"));
  for (const secret of Object.values(expectSecret)) assert.ok(!stats.includes(secret), "stats never hold a credential");
});

test("fault redirect: 307 with Location", async () => {
  const base = fresh();
  await control(base, "fault", { target: "token", kind: "redirect" });
  await control(base, "fault", { target: "token", kind: "redirect", body: "http://127.0.0.1:9/elsewhere" });
  const r1 = await token(base, "younium");
  assert.equal(r1.status, 307);
  assert.equal(r1.headers.get("location"), "http://example.invalid/token");
  const r2 = await token(base, "younium");
  assert.equal(r2.headers.get("location"), "http://127.0.0.1:9/elsewhere");
});

test("fault targets: refresh hits only the union refresh endpoint; token hits it too; api hits the API", async () => {
  const base = fresh();
  const first = (await token(base, "union")).json;
  await control(base, "fault", { target: "refresh", kind: "status", status: 500 });
  assert.equal((await token(base, "union")).status, 200, "a refresh fault skips the password request");
  const refreshUrl = `${base}/union-service/auth/refresh-token`;
  assert.equal((await call(refreshUrl, { body: { refreshToken: first.refresh_token } })).status, 500);
  await control(base, "fault", { target: "token", kind: "status", status: 502 });
  assert.equal((await call(refreshUrl, { body: { refreshToken: first.refresh_token } })).status, 502);

  await control(base, "fault", { target: "api", kind: "status", status: 503, headers: { "Retry-After": "1" } });
  assert.equal((await token(base, "younium")).status, 200, "an api fault skips token endpoints");
  const tok = (await token(base, "younium")).json.access_token;
  const r = await api(base, tok);
  assert.equal(r.status, 503);
  assert.deepEqual(Object.keys(r.json), ["errors"]);
  assert.equal((await api(base, tok)).status, 200);

  await control(base, "fault", { target: "api", kind: "echo-secret" });
  const echoed = await api(base, tok);
  assert.equal(echoed.status, 401);
  assert.ok(echoed.text.includes(tok));
  await control(base, "fault", { target: "api", kind: "drop" });
  await assert.rejects(api(base, tok));
});

// ---------------------------------------------------------------------------
// CORS, logging, CLI

test("CORS: preflight 204 and headers on every response", async () => {
  const base = fresh();
  const res = await fetch(`${base}/auth/v2/token`, {
    method: "OPTIONS",
    headers: { origin: "http://page.test", "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-custom" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const allowed = res.headers.get("access-control-allow-headers").toLowerCase();
  for (const h of ["authorization", "content-type", "api-version", "legal-entity", "accept", "x-custom"]) assert.ok(allowed.includes(h), h);
  assert.match(res.headers.get("access-control-allow-methods"), /POST/);
  assert.equal((await control(base, "stats")).totalTokenRequests, 0, "a preflight is not a token request");

  for (const r of [await token(base, "younium"), await api(base, null), await call(`${base}/__emulator/stats`, { method: "GET" })]) {
    assert.equal(r.headers.get("access-control-allow-origin"), "*");
    const exposed = r.headers.get("access-control-expose-headers").toLowerCase();
    assert.ok(exposed.includes("date") && exposed.includes("www-authenticate"));
  }
});

test("tokenLog: keys, content type, scheme and query only, never credential values", async () => {
  const base = fresh();
  for (const dialect of Object.keys(GOOD)) await token(base, dialect);
  await call(`${base}/union-service/auth/token?api-version=1.0&password=${C.union.password}`, { body: C.union });
  const st = await control(base, "stats");
  assert.deepEqual(st.tokenRequests, { younium: 1, "younium-v1": 1, union: 2, "union-refresh": 0, papaya: 1, oauth2: 1 });
  assert.equal(st.totalTokenRequests, 6);
  const e = st.tokenLog[2];
  assert.equal(e.endpoint, "union");
  assert.equal(e.method, "POST");
  assert.equal(e.contentType, "application/json");
  assert.equal(e.authScheme, null);
  assert.deepEqual(e.bodyKeys, ["username", "password"]);
  assert.equal(e.query, "api-version=1.0");
  assert.equal(typeof e.at, "number");
  assert.equal(st.tokenLog[5].query, "api-version=1.0&password=%5Bredacted%5D");
  const text = JSON.stringify(st);
  for (const dialect of Object.values(C)) {
    for (const [k, v] of Object.entries(dialect)) if (k !== "clientId" && k !== "username") assert.ok(!text.includes(v), `stats contain ${k}`);
  }
});

test("CLI: prints EMULATOR_URL first and serves until SIGTERM", async () => {
  const script = fileURLToPath(new URL("./server.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, "--port", "0", "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const firstLine = await new Promise((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) resolve(buf.split("\n")[0]);
      });
      child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
    const m = /^EMULATOR_URL=(http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine);
    assert.ok(m, firstLine);
    const r = await call(`${m[1]}/t/cli/auth/v2/token`, { body: GOOD.younium.body });
    assert.equal(r.status, 200);
  } finally {
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    const { code } = await exited;
    assert.equal(code, 0, "exits cleanly on SIGTERM");
  }
});
