// oauth2 scenarios: zero-configuration detection of the body encoding and
// client authentication (docs/API.md §2), errors by RFC 6749 §5.2 with what
// to fix (§5), resource indicators, token types, odd lifetimes and scope
// arrays (§3). Runtime-agnostic like the rest: the emulator's oauth2 config
// (`oauth2RequireForm`, `oauth2RequireBasic`, …) plays the stricter servers,
// and a fake fetch plays the odd responses.

import { scenario } from "./cases.mjs";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const mediaType = (header) => String(header ?? "").split(";")[0].trim().toLowerCase();

/** How each token request of the namespace was sent: [media type, auth scheme or "body", status]. */
async function sentAs(ctx) {
  const st = await ctx.control.stats();
  return st.tokenLog.map((e) => [mediaType(e.contentType), e.authScheme ? e.authScheme.toLowerCase() : "body", e.status]);
}

const tokenUrl = (ctx) => `${ctx.base}${ctx.TOKEN_PATHS.oauth2}`;

// ---------------------------------------------------------------------------
// Detection

for (const [refusal, status] of [["invalid_request", 400], ["unsupported_grant_type", 400], ["415", 415]]) {
  scenario(`oauth2 zero configuration: JSON refused (${refusal}) → resent once as a form, and kept`, ["oauth2", "detection"], async (ctx, assert) => {
    await ctx.control.config({ oauth2RequireForm: refusal });
    const c = ctx.dialectClient("oauth2"); // no bodyEncoding, no clientAuth
    const token = ctx.track(await c.getToken());
    assert.equal(await ctx.apiStatus(token), 200, "the token works");
    assert.deepEqual(await sentAs(ctx), [[JSON_TYPE, "body", status], [FORM, "body", 200]], "JSON first, then a form");
    // What worked is kept for the client's life: one request per token, never JSON again.
    for (let i = 0; i < 3; i++) {
      c.invalidate();
      ctx.track(await c.getToken());
    }
    const log = await sentAs(ctx);
    assert.equal(log.length, 5, "one request for each later token");
    assert.deepEqual(log.slice(2), [[FORM, "body", 200], [FORM, "body", 200], [FORM, "body", 200]], "the form, kept");
  });
}

for (const inChallenge of [false, true]) {
  const how = inChallenge ? "an empty 401 with WWW-Authenticate" : "401 invalid_client";
  scenario(`oauth2 zero configuration: a form-and-Basic server (${how}) → three requests once, then one per token`, ["oauth2", "detection"], async (ctx, assert) => {
    await ctx.control.config({ oauth2RequireForm: "invalid_request", oauth2RequireBasic: true, oauth2ErrorsInChallenge: inChallenge });
    const c = ctx.dialectClient("oauth2");
    // Concurrent callers share the detection as they share the token request.
    const tokens = await Promise.all(Array.from({ length: 20 }, () => c.getToken()));
    assert.equal(new Set(tokens).size, 1, "one token for all");
    assert.equal(await ctx.apiStatus(ctx.track(tokens[0])), 200);
    assert.deepEqual(await sentAs(ctx), [[JSON_TYPE, "body", 400], [FORM, "body", 401], [FORM, "basic", 200]], "JSON, form, form with Basic");
    for (let i = 0; i < 20; i++) await c.getToken();
    c.invalidate();
    ctx.track(await c.getToken());
    const log = await sentAs(ctx);
    assert.deepEqual(log.slice(3), [[FORM, "basic", 200]], "a steady client: one request per token");
  });
}

scenario("oauth2 zero configuration: wrong secret at a form-and-Basic server → at most three requests, then one per call", ["oauth2", "detection", "errors"], async (ctx, assert) => {
  await ctx.control.config({ oauth2RequireForm: "415", oauth2RequireBasic: true });
  const c = ctx.dialectClient("oauth2", { clientSecret: ctx.WRONG.clientSecret });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: 401, label: "wrong secret" });
  assert.deepEqual(await sentAs(ctx), [[JSON_TYPE, "body", 415], [FORM, "body", 401], [FORM, "basic", 401]], "three requests, no more");
  assert.includes(err.message, tokenUrl(ctx), "the message names the endpoint");
  assert.includes(err.message, "Check clientId and clientSecret", "and what to fix");
  assert.ok(err.messages.includes("invalid_client"), `messages ${assert.show(err.messages)}`);
  // A later call does not retry what the server already refused.
  await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: 401, label: "second call" });
  await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: 401, label: "third call" });
  assert.deepEqual((await sentAs(ctx)).slice(3), [[FORM, "basic", 401], [FORM, "basic", 401]], "one request per later call");
});

scenario("oauth2 zero configuration: the seed vendor's JSON endpoint gets one JSON request with the credentials in the body", ["oauth2", "detection"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2");
  ctx.track(await c.getToken());
  c.invalidate();
  ctx.track(await c.getToken());
  assert.deepEqual(await sentAs(ctx), [[JSON_TYPE, "body", 200], [JSON_TYPE, "body", 200]]);
});

scenario("oauth2 pins: bodyEncoding and clientAuth are never detected, and the error names the option to change", ["oauth2", "detection", "errors"], async (ctx, assert) => {
  await ctx.control.config({ oauth2RequireForm: "invalid_request", oauth2RequireBasic: true });
  const json = ctx.dialectClient("oauth2", { bodyEncoding: "json" });
  const e1 = await ctx.expectAuthError(() => json.getToken(), { code: "invalid_request", status: 400, label: "bodyEncoding json at a form server" });
  assert.includes(e1.message, 'set bodyEncoding: "form"');
  assert.includes(e1.message, tokenUrl(ctx));
  assert.equal(e1.messages[0], "invalid_request");
  assert.deepEqual(await sentAs(ctx), [[JSON_TYPE, "body", 400]], "one request: the pin holds");

  const body = ctx.dialectClient("oauth2", { clientAuth: "body" });
  const e2 = await ctx.expectAuthError(() => body.getToken(), { code: "invalid_credentials", status: 401, label: "clientAuth body at a Basic server" });
  assert.includes(e2.message, 'set clientAuth: "basic"');
  assert.deepEqual((await sentAs(ctx)).slice(1), [[JSON_TYPE, "body", 400], [FORM, "body", 401]], "the encoding is still detected; the auth is pinned");

  const pinned = ctx.dialectClient("oauth2", { bodyEncoding: "form", clientAuth: "basic" });
  assert.equal(await ctx.apiStatus(ctx.track(await pinned.getToken())), 200);
  assert.deepEqual((await sentAs(ctx)).slice(3), [[FORM, "basic", 200]]);
});

// ---------------------------------------------------------------------------
// Errors by RFC 6749 §5.2

scenario("oauth2 errors: a refused scope is invalid_request naming the scope option", ["oauth2", "errors"], async (ctx, assert) => {
  await ctx.control.config({ oauth2Scopes: "read write" });
  const c = ctx.dialectClient("oauth2", { scope: "read admin" });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_request", status: 400, label: "invalid_scope" });
  assert.deepEqual(err.messages, ["invalid_scope", "requested scope is not allowed"]);
  assert.includes(err.message, "check the scope option");
  assert.includes(err.message, tokenUrl(ctx));
  await ctx.expectTokenRequests({ oauth2: 1 }, "a refused scope is no format problem: not resent");
  const ok = ctx.dialectClient("oauth2", { scope: "read" });
  assert.equal(await ctx.apiStatus(ctx.track(await ok.getToken())), 200, "an allowed scope works");
});

scenario("oauth2 errors: an empty 401 takes its messages from WWW-Authenticate", ["oauth2", "errors"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2", { bodyEncoding: "form", clientAuth: "basic" });
  const challenge = 'Basic realm="idp", error="invalid_client", error_description="client authentication failed"';
  await ctx.control.fault({ target: "token", kind: "status", status: 401, body: "", headers: { "WWW-Authenticate": challenge } });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: 401, label: "empty 401" });
  assert.deepEqual(err.messages, ["invalid_client", "client authentication failed"]);
  assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "recovery");
});

scenario("oauth2 errors: a 200 carrying an OAuth2 error is reported with its messages", ["oauth2", "errors"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2");
  await ctx.control.fault({ target: "token", kind: "status", status: 200, body: { error: "invalid_client", error_description: "a 200 that is an error" } });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_response", status: 200, label: "200 with error" });
  assert.deepEqual(err.messages, ["invalid_client", "a 200 that is an error"]);
  assert.includes(err.message, "is an error, not a token");
  assert.equal(await ctx.apiStatus(ctx.track(await c.getToken())), 200, "recovery");
});

scenario("oauth2 errors: a token path that gives 404 names the URL (without its query) and tokenUrl", ["oauth2", "errors", "url"], async (ctx, assert) => {
  const derived = ctx.dialectClient("oauth2");
  await ctx.control.fault({ target: "token", kind: "status", status: 404 });
  const e1 = await ctx.expectAuthError(() => derived.getToken(), { code: "invalid_response", status: 404, label: "404 at the derived URL" });
  assert.includes(e1.message, tokenUrl(ctx), "the URL that was tried");
  assert.includes(e1.message, "Set tokenUrl", "the option to set");
  const given = ctx.client({ provider: "oauth2", tokenUrl: `${tokenUrl(ctx)}?tenant=private-tenant-id`, ...ctx.creds.oauth2 });
  await ctx.control.fault({ target: "token", kind: "status", status: 404 });
  const e2 = await ctx.expectAuthError(() => given.getToken(), { code: "invalid_response", status: 404, label: "404 at tokenUrl" });
  assert.includes(e2.message, `${tokenUrl(ctx)} failed`);
  assert.notIncludes(e2.message, "private-tenant-id", "never the query");
  assert.includes(e2.message, "Check tokenUrl");
  await ctx.expectTokenRequests({ oauth2: 2 }, "a 404 is not resent");
});

scenario("oauth2 errors: invalid_target (RFC 8707) is invalid_request naming the resource option", ["oauth2", "errors", "resource"], async (ctx, assert) => {
  await ctx.control.config({ oauth2Resources: "https://api.example.test/" });
  const c = ctx.dialectClient("oauth2", { resource: ["https://api.example.test/", "https://other.example.test/"] });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_request", status: 400, label: "invalid_target" });
  assert.equal(err.messages[0], "invalid_target");
  assert.includes(err.message, "check the resource option");
});

// ---------------------------------------------------------------------------
// resource, token types, lifetimes, scope arrays

scenario("oauth2 resource: a string or an array, each sent as its own parameter, beside audience", ["oauth2", "resource", "request"], async (ctx, assert) => {
  const one = "https://api.example.test/";
  const two = ["https://api.example.test/", "urn:example:reports"];
  const log = async () => (await ctx.control.stats()).tokenLog;
  ctx.track(await ctx.dialectClient("oauth2", { resource: one, audience: "aud-1" }).getToken());
  ctx.track(await ctx.dialectClient("oauth2", { resource: two }).getToken());
  const rec = ctx.recorder();
  ctx.track(await ctx.dialectClient("oauth2", { resource: two, bodyEncoding: "form", fetch: rec }).getToken());
  const entries = await log();
  assert.deepEqual(entries.map((e) => e.resource), [one, two, two], "the emulator saw every resource");
  assert.equal(entries[0].audience, "aud-1", "audience stays");
  assert.deepEqual(new URLSearchParams(rec.log[0].body).getAll("resource"), two, "a form repeats the parameter");
  const err = ctx.expectConfigError(() => ctx.client(ctx.options("oauth2", { resource: "api.example.test" })), "resource", "a relative resource");
  assert.includes(err.message, "absolute URI");
  ctx.expectConfigError(() => ctx.client(ctx.options("oauth2", { resource: ["https://a.test/#x"] })), "resource", "a fragment");
  ctx.expectConfigError(() => ctx.client(ctx.options("oauth2", { resource: [1] })), "resource", "not a string");
});

scenario("oauth2 token types: bearer in any case is Bearer everywhere; DPoP, mac, N_A are refused, never sent as Bearer", ["oauth2", "token-type"], async (ctx, assert) => {
  for (const type of ["bearer", "BEARER", "Bearer"]) {
    const fake = ctx.fakeFetch((e) => (e.url.includes("/oauth/token") ? { json: { access_token: `tok-${type}`, token_type: type, expires_in: 3600 } } : { json: { ok: true } }));
    const c = ctx.client({ provider: "oauth2", baseUrl: "https://api.example.test", tokenUrl: "https://idp.example.test/oauth/token", ...ctx.creds.oauth2, fetch: fake });
    const info = await c.tokenInfo();
    assert.equal(info.tokenType, "Bearer", `tokenInfo().tokenType for ${type}`);
    assert.equal((await c.authHeaders()).Authorization, `Bearer tok-${type}`, `the header for ${type}`);
  }
  for (const type of ["DPoP", "mac", "N_A"]) {
    const fake = ctx.fakeFetch((e) => (e.url.includes("/oauth/token") ? { json: { access_token: `tok-${type}`, token_type: type, expires_in: 3600 } } : { json: { ok: true } }));
    const c = ctx.client({ provider: "oauth2", baseUrl: "https://api.example.test", tokenUrl: "https://idp.example.test/oauth/token", ...ctx.creds.oauth2, fetch: fake });
    const err = await ctx.expectAuthError(() => c.fetch("/things"), { code: "invalid_response", status: 200, label: type });
    assert.includes(err.message, `token_type "${type}"`, "the message names the type");
    assert.ok(fake.log.every((e) => e.url.includes("/oauth/token")), `no API call was made with a ${type} token`);
  }
});

scenario("oauth2 lifetimes: 0, negative and absurd lifetimes count as absent (JWT exp, else 300 s): no request per call", ["oauth2", "expiry"], async (ctx, assert) => {
  const now = Date.now();
  const b64url = (o) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const jwt = `${b64url({ alg: "none" })}.${b64url({ exp: Math.floor(now / 1000) + 1800 })}.c2ln`;
  for (const [label, expiresIn, token, expected] of [
    ["0", 0, "tok-zero", 300],
    ['"0"', "0", "tok-zero-string", 300],
    ["-5", -5, "tok-negative", 300],
    ["0.2", 0.2, "tok-fraction", 300],
    ["a century", 3_153_600_000, "tok-century", 300],
    ["1e300", 1e300, "tok-huge", 300],
    ["0 with a JWT exp", 0, jwt, 1800],
  ]) {
    const fake = ctx.fakeFetch(() => ({ json: { access_token: token, token_type: "Bearer", expires_in: expiresIn } }));
    const c = ctx.client({ provider: "oauth2", tokenUrl: "https://idp.example.test/token", ...ctx.creds.oauth2, autoRefresh: false, fetch: fake });
    for (let i = 0; i < 20; i++) assert.equal(await c.getToken(), token);
    assert.equal(fake.log.length, 1, `expires_in ${label}: 20 calls, one token request`);
    assert.between((await c.tokenInfo()).expiresAt, now + expected * 1000 - 2000, Date.now() + expected * 1000 + 2000, `expires_in ${label}: expiresAt`);
  }
});

scenario("oauth2 scope: a scope array in the response is joined with spaces", ["oauth2", "token-info"], async (ctx, assert) => {
  const fake = ctx.fakeFetch(() => ({ json: { access_token: "tok-scopes", token_type: "Bearer", expires_in: 3600, scope: ["read", "write"] } }));
  const c = ctx.client({ provider: "oauth2", tokenUrl: "https://idp.example.test/token", ...ctx.creds.oauth2, fetch: fake });
  assert.equal((await c.tokenInfo()).scope, "read write");
});
