// The `store` option in Node: stores that fail (throw, reject, hang, hold
// garbage) are misses reported to onStoreError, never errors of the call;
// bad `store` options are invalid_config. Against the in-process emulator.
//
//   node --test tests/store/faults.test.mjs      (from the repository root)
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthClient, AuthError } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { controlFor, sleep, useEmulator } from "./lib.mjs";

const emulator = useEmulator({ perTest: true });
let nsCounter = 0;

async function fresh(config = {}) {
  const control = controlFor(emulator.url, `faults-${++nsCounter}`);
  await control.reset();
  if (Object.keys(config).length) await control.config(config);
  return control;
}

function younium(control, extra = {}) {
  return new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, ...extra });
}

/** A Map-backed store that counts its calls; `overrides` replace get/put. */
function mapStore(overrides = {}) {
  const data = new Map();
  const calls = { get: 0, put: 0, puts: [] };
  const store = {
    data,
    calls,
    async get(key) {
      calls.get++;
      return data.has(key) ? data.get(key) : null;
    },
    async put(key, value, options) {
      calls.put++;
      calls.puts.push({ key, value, options });
      data.set(key, value);
    },
  };
  for (const [k, f] of Object.entries(overrides)) {
    const base = store[k];
    store[k] = function (...args) {
      calls[k]++;
      return f.call(this, base, ...args);
    };
  }
  return store;
}

const never = () => new Promise(() => {});

// Each fault: how the store misbehaves, and what onStoreError's message says.
const FAULTS = [
  { name: "get throws synchronously", get: () => { throw new Error("get exploded"); }, expect: /get threw/ },
  { name: "get rejects", get: async () => { throw new Error("get rejected"); }, expect: /get failed/ },
  { name: "get rejects with a non-Error", get: () => Promise.reject("just a string"), expect: /get failed/ },
  { name: "get never resolves", get: never, expect: /get timed out/, slow: true },
  { name: "put throws synchronously", put: () => { throw new Error("put exploded"); }, expect: /put threw/ },
  { name: "put rejects", put: async () => { throw new Error("KV PUT failed: 429 Too Many Requests"); }, expect: /put failed/ },
  // Where timers run the token is handed out before the write (docs/API.md §7):
  // a hanging put costs the caller nothing; its bound ends it later.
  { name: "put never resolves", put: never, expect: /put timed out/, reportedLater: true },
  { name: "put rejects quoting the value it was given", put: async (key, value) => { throw new Error(`cannot store ${value} under ${key}`); }, expect: /put failed: Error: cannot store .*\[redacted\]/ },
  { name: "get throws quoting the key", get: (key) => { throw new TypeError(`no such key ${key}`); }, expect: /get threw: TypeError: no such key edge-auth:v2:/ },
  { name: "get returns non-JSON", get: async () => "<html>not json</html>", expect: /not JSON/ },
  { name: "get returns JSON null", get: async () => "null", expect: /version/ },
  { name: "get returns an unknown version", get: async (key) => JSON.stringify({ v: 3, key, accessToken: "abc", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /version/ },
  { name: "get returns the previous format (v1, unbound)", get: async () => JSON.stringify({ v: 1, accessToken: "abc", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /version/ },
  { name: "get returns an entry bound to another key", get: async () => JSON.stringify({ v: 2, key: `edge-auth:v2:${"0".repeat(64)}`, accessToken: "abc", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /another key/ },
  { name: "get returns an entry without its key", get: async () => JSON.stringify({ v: 2, accessToken: "abc", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /another key/ },
  { name: "get returns an entry obtained in the future", get: async (key) => JSON.stringify({ v: 2, key, accessToken: "abc", tokenType: "Bearer", obtainedAt: 8.64e15, expiresAt: 8.64e15 }), expect: /future/ },
  { name: "get returns a token with spaces", get: async (key) => JSON.stringify({ v: 2, key, accessToken: "a token with spaces", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /access token/ },
  { name: "get returns a token with a newline", get: async (key) => JSON.stringify({ v: 2, key, accessToken: "abc\r\nX-Injected: 1", tokenType: "Bearer", obtainedAt: Date.now(), expiresAt: Date.now() + 3_600_000 }), expect: /access token/ },
  { name: "get returns no expiry", get: async (key) => JSON.stringify({ v: 2, key, accessToken: "abc", obtainedAt: Date.now() }), expect: /expiry/ },
  { name: "get returns an expiry as a string", get: async (key) => JSON.stringify({ v: 2, key, accessToken: "abc", obtainedAt: Date.now(), expiresAt: String(Date.now() + 3_600_000) }), expect: /expiry/ },
  { name: "get returns a number, not a string", get: async () => 42, expect: /not a string/ },
  { name: "get returns an object, not a string", get: async (key) => ({ v: 2, key, accessToken: "abc" }), expect: /not a string/ },
  { name: "get returns 100 KB", get: async () => "x".repeat(100 * 1024), expect: /too large/ },
];

for (const fault of FAULTS) {
  test(`store fault: ${fault.name} → getToken and fetch succeed, onStoreError gets an Error`, { timeout: 15_000 }, async () => {
    const control = await fresh();
    const overrides = {};
    if (fault.get) overrides.get = (_base, ...args) => fault.get(...args);
    if (fault.put) overrides.put = (_base, ...args) => fault.put(...args);
    const store = mapStore(overrides);
    const errors = [];
    const client = younium(control, { store, onStoreError: (e) => errors.push(e) });
    try {
      const started = Date.now();
      const token = await client.getToken();
      const took = Date.now() - started;
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a token from the emulator");
      if (fault.slow) {
        assert.ok(took >= 900 && took < 3_000, `a hanging store costs about its 1 s bound: took ${took} ms`);
      } else {
        assert.ok(took < 900, `took ${took} ms`);
      }
      if (fault.reportedLater) {
        for (const end = Date.now() + 3_000; errors.length === 0 && Date.now() < end; ) await sleep(50);
      }
      const res = await client.fetch("/ping");
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const stats = await control.stats();
      assert.equal(stats.totalTokenRequests, 1, "one token request: the store was a miss");
      assert.equal(stats.apiRequests, 1, "one API call: no 401 retry");
      assert.equal(store.calls.get, 1, "store reads");
      assert.equal(store.calls.put, 1, "store writes");
      assert.ok(errors.length >= 1, "onStoreError was called");
      for (const e of errors) {
        assert.ok(e instanceof Error, `onStoreError got ${Object.prototype.toString.call(e)}`);
        assert.ok(!(e instanceof AuthError), "a store error is not an AuthError of the call");
      }
      assert.equal(errors.length, 1, `onStoreError calls: ${errors.map((e) => e.message).join(" | ")}`);
      assert.match(errors[0].message, fault.expect);
      for (const [what, text] of [["message", errors[0].message], ["cause", String(errors[0].cause?.message ?? errors[0].cause ?? "")], ["stack", String(errors[0].stack)]]) {
        assert.ok(!text.includes(token), `the error's ${what} does not contain the token`);
        assert.ok(!text.includes(SAMPLE_CREDENTIALS.younium.secret), `nor the secret`);
      }
    } finally {
      client.free();
    }
  });
}

test("where timers run, callers get the vendor's token before the store's put finishes, and the put still happens", async () => {
  const control = await fresh({ tokenDelayMs: 0 });
  let putDone = false;
  const store = mapStore({
    put: async (base, ...args) => {
      await sleep(700);
      await base(...args);
      putDone = true;
    },
  });
  const errors = [];
  const client = younium(control, { store, onStoreError: (e) => errors.push(e) });
  try {
    const started = Date.now();
    const token = await client.getToken();
    const took = Date.now() - started;
    assert.ok(took < 500, `getToken took ${took} ms: it waited for the 700 ms put`);
    assert.equal(putDone, false, "the put was still going when the caller had its token");
    for (const end = Date.now() + 3_000; !putDone && Date.now() < end; ) await sleep(20);
    assert.equal(putDone, true, "the put finished");
    assert.equal(store.calls.puts.length, 1, "store writes");
    assert.equal(JSON.parse([...store.data.values()][0]).accessToken, token, "the stored token is the one handed out");
    assert.deepEqual(errors.map(String), [], "onStoreError calls");
  } finally {
    client.free();
  }
});

test("store fault without onStoreError: the call still succeeds", async () => {
  const control = await fresh();
  const client = younium(control, { store: { get: () => { throw new Error("x"); }, put: () => Promise.reject(new Error("y")) } });
  try {
    assert.equal(typeof (await client.getToken()), "string");
    assert.equal((await control.stats()).totalTokenRequests, 1);
  } finally {
    client.free();
  }
});

test("an onStoreError that throws, or returns a rejected promise, is contained", async () => {
  for (const onStoreError of [() => { throw new Error("callback threw"); }, async () => { throw new Error("callback rejected"); }]) {
    const control = await fresh();
    const client = younium(control, { store: { get: async () => "garbage", put: async () => {} }, onStoreError });
    try {
      assert.equal(typeof (await client.getToken()), "string");
      const res = await client.fetch("/ping");
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      client.free();
    }
  }
});

test("concurrent callers of a cold client with a store: one read, one token request, one write", async () => {
  const control = await fresh();
  const store = mapStore();
  const client = younium(control, { store });
  try {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
    assert.equal(new Set(tokens).size, 1);
    for (let i = 0; i < 10; i++) await client.getToken();
    assert.equal((await control.stats()).totalTokenRequests, 1);
    assert.deepEqual([store.calls.get, store.calls.put], [1, 1], "store calls (a fresh token is not re-read)");
  } finally {
    client.free();
  }
});

test("a second client with the same identity takes the token from the store: no token request", async () => {
  const control = await fresh();
  const store = mapStore();
  const a = younium(control, { store });
  const b = younium(control, { store });
  const seen = [];
  const c = younium(control, { store, onToken: (info) => seen.push(info) });
  try {
    const ta = await a.getToken();
    const tb = await b.getToken();
    const tc = await c.getToken();
    assert.equal(tb, ta);
    assert.equal(tc, ta);
    assert.equal((await control.stats()).totalTokenRequests, 1);
    assert.equal(seen.length, 1, "onToken is called for a token loaded from the store");
    assert.equal(seen[0].accessToken, ta);
    assert.equal(seen[0].expiresAt, (await a.tokenInfo()).expiresAt, "the same expiry");
    assert.equal(store.data.size, 1);
  } finally {
    for (const x of [a, b, c]) x.free();
  }
});

test("clients with a different identity, scope or token URL do not share an entry", async () => {
  const control = await fresh();
  const store = mapStore();
  const creds = SAMPLE_CREDENTIALS.oauth2;
  const make = (extra) => new AuthClient({ provider: "oauth2", baseUrl: control.base, ...creds, store, ...extra });
  const clients = [make({}), make({ scope: "read" }), make({ audience: "api" }), make({ tokenUrl: `${control.base}/api/v2/oauth2/token?x=1` })];
  try {
    const tokens = [];
    for (const c of clients) tokens.push(await c.getToken());
    assert.equal(new Set(tokens).size, 4);
    assert.equal((await control.stats()).totalTokenRequests, 4);
    assert.equal(store.data.size, 4, "four keys");
  } finally {
    for (const c of clients) c.free();
  }
});

test("`store` of the wrong shape → invalid_config naming store", () => {
  const control = { base: `${emulator.url}/t/unused` };
  const bad = [
    "redis://localhost",
    42,
    true,
    {},
    { get: async () => null },
    { put: async () => {} },
    { get: "x", put: "y" },
    [],
    () => {},
  ];
  for (const store of bad) {
    assert.throws(
      () => younium(control, { store }),
      (e) => e instanceof AuthError && e.code === "invalid_config" && /\bstore\b/.test(e.message),
      `store: ${typeof store === "function" ? "a function" : JSON.stringify(store)}`,
    );
  }
  for (const onStoreError of ["log", 1, {}]) {
    assert.throws(
      () => younium(control, { store: mapStore(), onStoreError }),
      (e) => e instanceof AuthError && e.code === "invalid_config" && /onStoreError/.test(e.message),
      `onStoreError: ${JSON.stringify(onStoreError)}`,
    );
  }
  // Absent is fine; a class instance with methods on its prototype is fine.
  younium(control, { store: undefined }).free();
  younium(control, { store: null }).free();
  class Kv {
    async get() { return null; }
    async put() {}
  }
  younium(control, { store: new Kv() }).free();
});
