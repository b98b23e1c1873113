// Containment scenarios: a token goes only where it is meant to, each call
// has its own headers, no secret survives any echo, options are the
// object's own, a 401 does not churn tokens, the shared store is checked,
// one getToken() has a total time bound, and an idle timer stops.
// Runtime-agnostic like the rest (docs/TESTING.md); where docs/API.md ties
// behaviour to timers (never in Workers), the scenario says so.

import { memoryKv, scenario, waitFor } from "./cases.mjs";
import { echoEncodings, echoNeedles } from "../lib/echoes.mjs";

/** The echoed request headers of an emulator API answer. */
async function echoed(ctx, res, label) {
  return (await ctx.echo(res, label)).headers;
}

// ---------------------------------------------------------------------------
// Each call its own headers

scenario("fetch: a fetch wrapper that edits init.headers changes only its own call", ["fetch", "headers"], async (ctx, assert) => {
  // What wrappers do: add a trace header, set an idempotency key if none is
  // set, drop Authorization for one call. Plain object or Headers alike.
  let n = 0;
  let dropAuthOnCall = -1;
  const seen = []; // the headers each API request arrived with, before the wrapper's edits
  const edit = (headers, call) => {
    const get = (k) => (typeof headers.get === "function" ? headers.get(k) : headers[k]);
    const set = (k, v) => (typeof headers.set === "function" ? headers.set(k, v) : (headers[k] = v));
    const del = (k) => (typeof headers.delete === "function" ? headers.delete(k) : delete headers[k]);
    set("x-trace", `trace-${call}`);
    if (get("idempotency-key") == null) set("idempotency-key", `key-${call}`);
    if (call === dropAuthOnCall) {
      del("Authorization");
      del("authorization");
    }
  };
  const wrapper = (input, init) => {
    n += 1;
    const isApi = !String(input?.url ?? input).includes("/oauth2/token");
    if (isApi && init?.headers) {
      seen.push({ call: n, headers: Object.fromEntries(new Headers(init.headers)) });
      edit(init.headers, n);
    }
    return fetch(input, init);
  };
  const c = ctx.dialectClient("oauth2", { fetch: wrapper });
  ctx.track(await c.getToken());
  const keys = [];
  for (const [i, args] of [
    ["/items"],
    ["/items", { method: "POST", body: '{"a":1}' }],
    ["/items", { method: "POST", body: '{"a":2}' }],
    ["/items"], // its wrapper drops Authorization: a 401, and the client's retry
    ["/items", { method: "POST", body: '{"a":3}' }],
    ["/items"],
  ].entries()) {
    if (i === 3) dropAuthOnCall = n + 1;
    const h = await echoed(ctx, await c.fetch(...args), `call ${i}`);
    keys.push(h["idempotency-key"]);
    assert.ok(/^Bearer \S+$/.test(h.authorization ?? ""), `call ${i} arrived with Authorization`);
  }
  assert.equal(new Set(keys).size, keys.length, `every call set its own idempotency key: ${assert.show(keys)}`);
  for (const { call, headers } of seen) {
    assert.equal(headers["x-trace"], undefined, `request ${call} came with an earlier call's trace header`);
    assert.equal(headers["idempotency-key"], undefined, `request ${call} came with an earlier call's idempotency key`);
    assert.ok(headers.authorization, `request ${call} came with Authorization`);
  }
  assert.ok(seen.length >= 7, `${seen.length} API requests seen (six calls, one retried)`);
});

scenario("authHeaders(): a new object on every call; editing it changes nothing else", ["fetch", "headers"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { legalEntity: "LE-1" });
  const token = ctx.track(await c.getToken());
  const a = await c.authHeaders();
  const b = await c.authHeaders();
  assert.ok(a !== b, "two calls return two objects");
  a.authorization = "Bearer stolen";
  delete a.Authorization;
  a["x-user"] = "alice";
  const again = await c.authHeaders();
  assert.equal(again.Authorization ?? again.authorization, `Bearer ${token}`, "authHeaders() after editing an earlier result");
  assert.equal(again["x-user"], undefined, "no header added by the caller");
  const h = await echoed(ctx, await c.fetch("/after-edit"), "fetch after editing authHeaders()");
  assert.equal(h.authorization, `Bearer ${token}`);
  assert.equal(h["x-user"], undefined);
  assert.equal(h["legal-entity"], "LE-1");
});

// ---------------------------------------------------------------------------
// Tokens only to the API's origins

scenario("fetch: the token goes only to baseUrl's origin and allowedOrigins; anything else is refused before anything is sent", ["fetch", "url", "origins"], async (ctx, assert) => {
  const emu = new URL(ctx.emulatorUrl);
  const other = `http://localhost:${emu.port}`; // the same emulator, another origin
  const path = new URL(ctx.base).pathname;
  const c = ctx.dialectClient("oauth2");
  for (const [label, input] of [
    ["a //host path", `//localhost:${emu.port}${path}/x`],
    ["an absolute URL", `${other}${path}/x`],
    ["a URL object", new URL(`${other}${path}/x`)],
    ["a Request", new Request(`${other}${path}/x`, { method: "POST", body: "{}" })],
    ["an https URL elsewhere", "https://elsewhere.example.invalid/x"],
  ]) {
    const err = await ctx.expectAuthError(() => c.fetch(input), { code: "invalid_config", status: null, label });
    assert.includes(err.message, new URL(typeof input === "string" && input.startsWith("//") ? `http:${input}` : String(input.url ?? input)).origin, `${label}: the message names the origin`);
    assert.includes(err.message, "allowedOrigins", `${label}: the message names the option`);
  }
  const st = await ctx.control.stats();
  assert.equal(st.apiRequests, 0, "nothing reached any API");
  assert.equal(st.totalTokenRequests, 0, "not even a token request: refused before anything is sent");
  // The API's own origin, relative or absolute, works.
  const token = ctx.track(await c.getToken());
  assert.equal((await echoed(ctx, await c.fetch("/ok"), "relative")).authorization, `Bearer ${token}`);
  assert.equal((await echoed(ctx, await c.fetch(`${ctx.base}/ok`), "absolute, same origin")).authorization, `Bearer ${token}`);
  // getToken() and authHeaders() stay unrestricted: the caller takes responsibility.
  assert.equal((await c.authHeaders()).Authorization ?? (await c.authHeaders()).authorization, `Bearer ${token}`);
});

scenario("fetch: allowedOrigins lets the token go to the origins listed", ["fetch", "url", "origins"], async (ctx, assert) => {
  const fake = ctx.fakeFetch((req) => (req.url.includes("/token") ? { json: { access_token: "origin-token-1", expires_in: 3600 } } : { json: { ok: true } }));
  const c = ctx.client({
    provider: "oauth2",
    baseUrl: "https://api.example.test/v2",
    tokenUrl: "https://auth.example.test/token",
    allowedOrigins: ["https://files.example.test", "https://CDN.Example.test:443/"],
    ...ctx.creds.oauth2,
    fetch: fake,
  });
  for (const url of ["https://files.example.test/upload?x=1", "https://cdn.example.test/a", "//files.example.test/b", "https://api.example.test/c"]) {
    const res = await c.fetch(url);
    await res.text();
    const sent = fake.log[fake.log.length - 1];
    assert.equal(sent.headers.authorization, "Bearer origin-token-1", `${url}: the token was sent`);
  }
  await ctx.expectAuthError(() => c.fetch("https://files.example.test:8443/x"), { code: "invalid_config", label: "another port is another origin" });
  await ctx.expectAuthError(() => c.fetch("http://files.example.test/x"), { code: "invalid_config", label: "http: is another origin" });
  await ctx.expectAuthError(() => c.fetch("https://auth.example.test/x"), { code: "invalid_config", label: "the token endpoint's origin is not an API origin" });
  // Without baseUrl or allowedOrigins, client.fetch says which option to set.
  const bare = ctx.client({ provider: "oauth2", tokenUrl: "https://auth.example.test/token", ...ctx.creds.oauth2, fetch: fake });
  const err = await ctx.expectAuthError(() => bare.fetch("https://api.example.test/x"), { code: "invalid_config", label: "no API origin configured" });
  assert.includes(err.message, "baseUrl");
  assert.includes(err.message, "allowedOrigins");
  // Bad values are refused when the client is made.
  for (const [label, allowedOrigins] of [
    ["a string", "https://files.example.test"],
    ["http: not on loopback", ["http://files.example.test"]],
    ["a path", ["https://files.example.test/v2"]],
    ["not a string", [42]],
  ]) {
    ctx.expectConfigError(() => ctx.client({ ...ctx.options("oauth2"), allowedOrigins }), "allowedOrigins", `allowedOrigins: ${label}`);
  }
});

// ---------------------------------------------------------------------------
// Redaction

/** A small seeded generator, so a failure names a reproducible secret. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECRET_CHARS = [..."abcXYZ019/&+%\"' <>\\=ëü€🔑"];

function randomSecret(next) {
  const length = 8 + Math.floor(next() * 14);
  let s = "";
  for (let i = 0; i < length; i++) s += SECRET_CHARS[Math.floor(next() * SECRET_CHARS.length)];
  return `${s}Q`; // never only characters the marker "[redacted]" has
}

/** The needles no error may contain for `secret`: its raw and encoded forms. */
const needles = (secret, clientId) => echoNeedles(secret, clientId).map(([, n]) => n);

scenario("redaction: random secrets echoed in every encoding appear in no error", ["secrets", "errors", "redaction"], async (ctx, assert) => {
  const seed = 20261202;
  const next = prng(seed);
  const clientId = "client/id +1";
  const bodyShapes = [
    (echo) => ({ status: 401, json: { error: "invalid_client", error_description: `client authentication failed for ${echo}` } }),
    (echo) => ({ status: 400, text: `bad credentials: ${echo}` }),
    (echo) => ({ status: 403, text: `<html><head><title>403 for ${echo}</title></head><body>x</body></html>`, headers: { "content-type": "text/html" } }),
  ];
  let cases = 0;
  for (let round = 0; round < 6; round++) {
    const secret = randomSecret(next);
    for (const [name, echo] of echoEncodings(secret, clientId)) {
      const shape = bodyShapes[cases % bodyShapes.length];
      cases++;
      const fake = ctx.fakeFetch(() => shape(echo));
      const c = ctx.client({ provider: "oauth2", baseUrl: "https://api.example.test", clientId, clientSecret: secret, clientAuth: "basic", fetch: fake });
      const label = `seed ${seed}, secret ${JSON.stringify(secret)}, echo ${name}`;
      const err = await assert.rejects(() => c.getToken(), `${label}: a rejection`);
      assert.ok(err instanceof ctx.AuthError, `${label}: an AuthError`);
      assert.noSecrets(err, needles(secret, clientId), `${label}: the AuthError leaks`);
      c.free();
    }
  }
  assert.ok(cases >= 80, `${cases} echoes checked`);
});

scenario("redaction: a custom fetch that rejects quoting the request leaks nothing", ["secrets", "errors", "redaction", "network"], async (ctx, assert) => {
  const secret = 'n3t-"secret"/ü+&%';
  const quoting = async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers ?? {}));
    throw new TypeError(`failed to send ${String(input?.url ?? input)} with ${JSON.stringify(headers)} and body ${String(init?.body)}`);
  };
  for (const [label, extra] of [
    ["JSON body", {}],
    ["form body", { bodyEncoding: "form" }],
    ["HTTP Basic", { clientAuth: "basic" }],
  ]) {
    const c = ctx.client({ provider: "oauth2", baseUrl: "https://api.example.test", clientId: "net-client", clientSecret: secret, fetch: quoting, ...extra });
    const err = await ctx.expectAuthError(() => c.getToken(), { code: "network", label: `token request, ${label}` });
    assert.noSecrets(err, needles(secret, "net-client"), `token request, ${label}: the network AuthError leaks`);
  }
  // An API call whose fetch quotes the Authorization header.
  let token;
  const apiQuoting = ctx.fakeFetch((req) => {
    if (req.url.includes("/oauth2/token")) return { json: { access_token: (token = "api-quoted-token-7f1c0a"), expires_in: 3600 } };
    throw new TypeError(`refused ${req.method} ${req.url} with headers ${JSON.stringify(req.headers)}`);
  });
  const c = ctx.client({ provider: "oauth2", baseUrl: "https://api.example.test", clientId: "net-client", clientSecret: secret, fetch: apiQuoting });
  await c.getToken();
  const err = await ctx.expectAuthError(() => c.fetch("/x"), { code: "network", label: "API call" });
  assert.noSecrets(err, [token, ...needles(secret, "net-client")], "API call: the network AuthError leaks");
  assert.includes(err.message, "[redacted]", "the quoted token is shown redacted");
});

scenario("errors: vendor messages lose control, bidi and zero-width characters", ["errors", "redaction"], async (ctx, assert) => {
  const fake = ctx.fakeFetch(() => ({ status: 401, json: { errors: ["bad \u202Egnp.exe\u202C client\u200B id\u2066!\u2069 \u001b[31mRED\u001b[0m end"] } }));
  const c = ctx.client({ provider: "younium", ...ctx.creds.younium, fetch: fake });
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "invalid_credentials", status: 401 });
  assert.deepEqual(err.messages, ["bad gnp.exe client id! RED end"], "messages");
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(err.message), `message ${assert.show(err.message)}`);
});

// ---------------------------------------------------------------------------
// Own options only

scenario("options: inherited properties (a polluted Object.prototype) are not options", ["config", "pollution"], async (ctx, assert) => {
  const trap = ctx.sub("trap");
  await trap.control.reset();
  const stolen = [];
  const proto = Object.prototype;
  const polluted = {
    tokenUrl: `${trap.base}/api/v2/oauth2/token`,
    onToken: (info) => stolen.push(info.accessToken),
    allowedOrigins: ["https://attacker.example.test"],
  };
  let c;
  // Synchronous from pollution to clean-up: nothing else runs meanwhile.
  try {
    Object.assign(proto, polluted);
    c = ctx.client({ provider: "oauth2", baseUrl: ctx.base, ...ctx.creds.oauth2 });
  } finally {
    for (const k of Object.keys(polluted)) delete proto[k];
  }
  const token = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(token), 200, "a token from the configured endpoint");
  await ctx.expectTokenRequests({ oauth2: 1 }, "the token request went to baseUrl's endpoint");
  assert.equal((await trap.control.stats()).totalTokenRequests, 0, "nothing went to the inherited tokenUrl");
  await ctx.sleep(20);
  assert.deepEqual(stolen, [], "the inherited onToken was never called");
  await ctx.expectAuthError(() => c.fetch("https://attacker.example.test/x"), { code: "invalid_config", label: "an inherited allowedOrigins allows nothing" });
  // The per-call options too: an inherited signal is not the caller's.
  try {
    proto.signal = AbortSignal.abort();
    const p = c.getToken({});
    delete proto.signal;
    assert.equal(await p, token, "an inherited signal does not abort the call");
  } finally {
    delete proto.signal;
  }
});

// ---------------------------------------------------------------------------
// No churn

scenario("fetch: an endpoint that always answers 401 does not get a new token per call", ["fetch", "retry", "churn"], async (ctx, assert) => {
  const c = ctx.dialectClient("papaya");
  ctx.track(await c.getToken());
  await ctx.control.fault({ target: "api", kind: "status", status: 401, count: 100 });
  for (let i = 0; i < 20; i++) {
    const res = await c.fetch(`/refuses/${i}`);
    await res.text();
    assert.equal(res.status, 401, `call ${i}: the 401 is returned`);
  }
  const st = await ctx.control.stats();
  assert.equal(st.totalTokenRequests, 2, "the first token and one replacement, not one per call");
  assert.equal(st.apiRequests, 21, "the first call and its one retry, then one request per call");
});

scenario("fetch: call.signal ends a client.fetch like init.signal", ["fetch", "abort"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium");
  ctx.track(await c.getToken());
  await ctx.expectAuthError(() => c.fetch("/x", undefined, { signal: AbortSignal.abort() }), { code: "network", label: "an aborted call.signal" });
  await ctx.control.config({ apiDelayMs: 2000 });
  const t0 = Date.now();
  await ctx.expectAuthError(() => c.fetch("/slow", undefined, { signal: AbortSignal.timeout(200) }), { code: "timeout", label: "call.signal timing out during the API request" });
  assert.between(Date.now() - t0, 0, 1500, "the call ended when its signal did");
});

// ---------------------------------------------------------------------------
// The shared store proves whose an entry is

scenario("store: another identity's entry, an absurd expiry and a junk token are not trusted", ["store", "fault"], async (ctx, assert) => {
  // Two identities writing to one store.
  const kv = memoryKv();
  const alice = ctx.dialectClient("oauth2", { store: kv });
  const aliceToken = ctx.track(await alice.getToken());
  await waitFor(ctx, () => kv.puts.length >= 1, 1000, "alice's entry");
  const aliceEntry = kv.puts[0];
  const bob = ctx.dialectClient("oauth2", { clientId: "bob-client", store: kv, fetch: ctx.fakeFetch((r) => (r.url.includes("/oauth2/token") ? { json: { access_token: "bob-token-0001", expires_in: 3600 } } : { json: { ok: true } })) });
  await bob.getToken();
  await waitFor(ctx, () => kv.puts.length >= 2, 1000, "bob's entry");
  const bobKey = kv.puts[1].key;
  assert.notEqual(bobKey, aliceEntry.key, "two identities, two keys");
  // Alice's entry copied under bob's key: bob must not take alice's token.
  kv.map.set(bobKey, aliceEntry.value);
  bob.invalidate();
  const bobAgain = await bob.getToken();
  assert.notEqual(bobAgain, aliceToken, "an entry copied from another identity's key is not used");

  // A well-formed entry of our own with an absurd expiry: capped like a response's (10 years).
  const mine = JSON.parse(aliceEntry.value);
  mine.expiresAt = 8.64e15;
  kv.map.set(aliceEntry.key, JSON.stringify(mine));
  const carol = ctx.dialectClient("oauth2", { store: kv });
  const carolToken = await carol.getToken();
  assert.equal(carolToken, aliceToken, "the entry itself is alice's own, and used");
  const info = await carol.tokenInfo();
  assert.ok(info.expiresAt <= Date.now() + 10 * 366 * 86_400_000, `expiresAt ${info.expiresAt} is capped at 10 years`);
});

scenario("store: after an API 401 on a token from the store, the next token request bypasses it", ["store", "fetch", "retry"], async (ctx, assert) => {
  // A store that hands out a different well-formed junk token on every read.
  let template = null;
  let junk = 0;
  const kv = memoryKv((key) => {
    if (!template) return undefined;
    const v = JSON.parse(template);
    v.accessToken = `junk-token-${++junk}`;
    v.obtainedAt = Date.now();
    v.expiresAt = Date.now() + 3_600_000;
    return JSON.stringify(v);
  });
  const writer = ctx.dialectClient("oauth2", { store: kv });
  ctx.track(await writer.getToken());
  await waitFor(ctx, () => kv.puts.length >= 1, 1000, "the first entry");
  template = kv.puts[0].value;
  const c = ctx.dialectClient("oauth2", { store: kv });
  const e = await ctx.echo(await c.fetch("/needs-a-real-token"), "the call after a junk token's 401");
  const real = ctx.track(String(e.headers.authorization).replace(/^Bearer /, ""));
  assert.ok(!real.startsWith("junk-token-"), "the retry went to the vendor, not to the store again");
  await ctx.expectTokenRequests({ oauth2: 2 }, "the writer's token and the bypass's");
  await waitFor(ctx, () => kv.puts.length >= 2, 1000, "the vendor's token to overwrite the entry");
  assert.equal(JSON.parse(kv.puts[1].value).accessToken, real, "the entry was overwritten with the vendor's token");
  assert.equal(kv.puts[1].key, kv.puts[0].key);
});

// ---------------------------------------------------------------------------
// Total time bound

scenario("getToken(): settles within deadlineMs, whatever timeoutMs allows", ["timeout", "fault"], async (ctx, assert) => {
  const c = ctx.dialectClient("younium", { timeoutMs: 5000, deadlineMs: 1000 });
  await ctx.control.fault({ target: "token", kind: "delay", delayMs: 3000 });
  const t0 = Date.now();
  const err = await ctx.expectAuthError(() => c.getToken(), { code: "timeout", status: null, label: "a 3 s token request, deadlineMs 1000" });
  assert.between(Date.now() - t0, 800, 1900, "settled at about deadlineMs");
  assert.includes(err.message, "deadlineMs", "the message names the option");
  // Retries and their waits are bounded too: 503s with Retry-After: 1.
  const d = ctx.dialectClient("papaya", { timeoutMs: 5000, deadlineMs: 1500 });
  await ctx.control.fault({ target: "token", kind: "status", status: 503, headers: { "Retry-After": "1" }, count: 2 });
  const t1 = Date.now();
  await ctx.expectAuthError(() => d.getToken(), { code: "server_error", status: 503, label: "503s with Retry-After, deadlineMs 1500" });
  assert.between(Date.now() - t1, 0, 1700, "no wait past the deadline");
});

// ---------------------------------------------------------------------------
// Timers: never more than once a second, never forever when idle

scenario("autoRefresh: an idle client with 1-second tokens stops renewing", ["timers", "expiry"], async (ctx, assert) => {
  if (ctx.runtime === "workerd") return; // no timers in Workers (docs/API.md §6)
  await ctx.control.config({ ttlSeconds: 1 });
  const c = ctx.dialectClient("younium", { autoRefresh: true });
  ctx.track(await c.getToken());
  await ctx.sleep(5500);
  const idle = (await ctx.control.stats()).totalTokenRequests;
  assert.between(idle, 2, 4, "the first token and at most three timer renewals while nobody calls");
  await ctx.sleep(1500);
  assert.equal((await ctx.control.stats()).totalTokenRequests, idle, "then none");
  // A call starts it again.
  ctx.track(await c.getToken());
  await ctx.sleep(1600);
  assert.ok((await ctx.control.stats()).totalTokenRequests >= idle + 2, "the call's token, then a timer renewal");
});

scenario("autoRefresh: a zero lifetime does not fire the timer more than once a second", ["timers", "expiry"], async (ctx, assert) => {
  if (ctx.runtime === "workerd") return; // no timers in Workers (docs/API.md §6)
  // expires_in 0 and a JWT exp of now: whichever the client reads, the lifetime is 0.
  await ctx.control.config({ ttlSeconds: 0 });
  const c = ctx.dialectClient("oauth2", { autoRefresh: true });
  ctx.track(await c.getToken());
  await ctx.sleep(5500);
  const st = await ctx.control.stats();
  assert.between(st.totalTokenRequests, 1, 4, "at most one timer request a second, and three in a row without a caller");
  const at = st.tokenLog.map((e) => e.at);
  for (let i = 2; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 900, `timer requests ${at[i] - at[i - 1]} ms apart`);
});

scenario("autoRefresh: a client used only through client.fetch keeps its timer", ["timers", "fetch"], async (ctx, assert) => {
  if (ctx.runtime === "workerd") return; // no timers in Workers (docs/API.md §6)
  // 4 s tokens, leeway 2 s: the timer renews at 1.75 s and the new token
  // (150 ms later) arrives before the callers' due point at 2 s, so the
  // callers only ever use the published token in JS. Past three renewals
  // the timer must still count them as callers, or a call would wait.
  await ctx.control.config({ ttlSeconds: 4, tokenDelayMs: 150 });
  const c = ctx.dialectClient("younium", { autoRefresh: true, refreshLeewaySeconds: 2 });
  ctx.track(await c.getToken());
  const durations = [];
  const until = Date.now() + 9000;
  while (Date.now() < until) {
    const t0 = Date.now();
    await ctx.echo(await c.fetch("/steady"), "steady call");
    durations.push(Date.now() - t0);
    await ctx.sleep(40);
  }
  const waited = durations.filter((d) => d >= 130).length;
  assert.equal(waited, 0, `calls that waited on a token request (slowest ${Math.max(...durations)} ms of ${durations.length})`);
  assert.ok((await ctx.control.stats()).totalTokenRequests >= 5, "the timer kept renewing past three renewals");
});

// ---------------------------------------------------------------------------
// Values from another realm

scenario("fetch: a Request, URL and AbortSignal from another realm (an iframe) work", ["fetch", "browser", "realm"], async (ctx, assert) => {
  if (ctx.runtime !== "browser") return; // an iframe is a page's other realm
  const frame = document.createElement("iframe");
  document.body.append(frame);
  try {
    const w = frame.contentWindow;
    const c = ctx.dialectClient("younium");
    const token = ctx.track(await c.getToken());
    const fromRequest = await echoed(ctx, await c.fetch(new w.Request(`${ctx.base}/realm-request`, { headers: { accept: "text/csv" } })), "another realm's Request");
    assert.equal(fromRequest.authorization, `Bearer ${token}`);
    assert.equal(fromRequest.accept, "text/csv", "its headers are kept");
    const fromUrl = await echoed(ctx, await c.fetch(new w.URL(`${ctx.base}/realm-url`)), "another realm's URL");
    assert.equal(fromUrl.authorization, `Bearer ${token}`);
    const controller = new w.AbortController();
    controller.abort();
    await ctx.expectAuthError(() => c.fetch("/realm-signal", { signal: controller.signal }), { code: "network", label: "another realm's aborted signal" });
  } finally {
    frame.remove();
  }
});
