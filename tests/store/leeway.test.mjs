// What a reader does with a stored entry: the exact key it reads, an entry
// within the reader's own leeway is ignored (a token request is made), one
// outside it is used; and the refresh timer with a store (Node, emulator).
//
//   node --test tests/store/leeway.test.mjs      (from the repository root)
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AuthClient } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { controlFor, sleep, KEY_PATTERN, useEmulator } from "./lib.mjs";

const emulator = useEmulator({ perTest: false });
let nsCounter = 0;

async function fresh(config = {}) {
  const control = controlFor(emulator.url, `leeway-${++nsCounter}`);
  await control.reset();
  if (Object.keys(config).length) await control.config(config);
  return control;
}

/** The documented key: "edge-auth:v2:" + hex SHA-256 of provider, token URL and identity. */
function younium_key(base) {
  const material = `edge-auth/v1\nyounium\n${base}/auth/v2/token\n${SAMPLE_CREDENTIALS.younium.clientId}\n\n`;
  return `edge-auth:v2:${createHash("sha256").update(material).digest("hex")}`;
}

/** A store holding exactly one entry under `key`, recording every call. */
function plantedStore(key, value) {
  const data = new Map([[key, value]]);
  const log = [];
  return {
    data,
    log,
    async get(k) {
      log.push(["get", k]);
      return data.get(k) ?? null;
    },
    async put(k, v, o) {
      log.push(["put", k, v, o]);
      data.set(k, v);
    },
  };
}

// The documented value: bound to its key (docs/API.md §7).
const entry = ({ key, token, obtainedAgoS, expiresInS }) =>
  JSON.stringify({ v: 2, key, accessToken: token, tokenType: "Bearer", obtainedAt: Date.now() - obtainedAgoS * 1000, expiresAt: Date.now() + expiresInS * 1000 });

// [description, reader's refreshLeewaySeconds (undefined: default 60), entry, used?]
const CASES = [
  ["expires in 120 s, reader leeway 60 s (default): used", undefined, { obtainedAgoS: 3480, expiresInS: 120 }, true],
  ["expires in 30 s, reader leeway 60 s (default): ignored", undefined, { obtainedAgoS: 3570, expiresInS: 30 }, false],
  ["expires in 55 s, reader leeway 60 s: ignored", 60, { obtainedAgoS: 3545, expiresInS: 55 }, false],
  ["expires in 120 s, reader leeway 300 s: ignored", 300, { obtainedAgoS: 3480, expiresInS: 120 }, false],
  ["expires in 400 s, reader leeway 300 s: used", 300, { obtainedAgoS: 3200, expiresInS: 400 }, true],
  ["expires in 30 s, reader leeway 10 s: used", 10, { obtainedAgoS: 3570, expiresInS: 30 }, true],
  ["expired 1 s ago: ignored", 0, { obtainedAgoS: 3601, expiresInS: -1 }, false],
  // The leeway is never more than half the token's life (README): an 18 s token
  // with 8 s left is within it, with 16 s left is not.
  ["18 s token with 8 s left (leeway capped at 9 s): ignored", undefined, { obtainedAgoS: 10, expiresInS: 8 }, false],
  ["18 s token with 16 s left (leeway capped at 9 s): used", undefined, { obtainedAgoS: 2, expiresInS: 16 }, true],
];

for (const [name, leeway, shape, used] of CASES) {
  test(`stored entry ${name}`, async () => {
    const control = await fresh();
    const key = younium_key(control.base);
    const planted = `planted.${nsCounter}.token`;
    const store = plantedStore(key, entry({ key, token: planted, ...shape }));
    const errors = [];
    const options = { provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store, onStoreError: (e) => errors.push(e.message), autoRefresh: false };
    if (leeway !== undefined) options.refreshLeewaySeconds = leeway;
    const client = new AuthClient(options);
    try {
      const token = await client.getToken();
      const stats = await control.stats();
      assert.deepEqual(store.log[0], ["get", key], "the first store call reads the documented key");
      assert.deepEqual(errors, [], "a stale entry is not a store error");
      if (used) {
        assert.equal(token, planted, "the stored token is used");
        assert.equal(stats.totalTokenRequests, 0, "no token request");
        assert.equal(store.log.length, 1, "nothing is written back");
        assert.equal((await client.tokenInfo()).expiresAt, JSON.parse(store.data.get(key)).expiresAt, "its stored expiry is kept");
      } else {
        assert.notEqual(token, planted, "the stored token is not used");
        assert.equal(stats.totalTokenRequests, 1, "one token request");
        const puts = store.log.filter(([op]) => op === "put");
        assert.equal(puts.length, 1, "the new token is written");
        assert.equal(puts[0][1], key);
        assert.equal(JSON.parse(puts[0][2]).accessToken, token);
      }
    } finally {
      client.free();
    }
  });
}

test("the key never depends on the secret: a client with another secret reads the same key", async () => {
  const control = await fresh();
  const keys = [];
  for (const secret of ["secret-one", "secret-two"]) {
    const store = { get: async (k) => (keys.push(k), null), put: async () => {} };
    const client = new AuthClient({ provider: "younium", baseUrl: control.base, clientId: SAMPLE_CREDENTIALS.younium.clientId, secret, store, autoRefresh: false });
    await client.getToken().catch(() => {}); // wrong secret: invalid_credentials, after the store read
    client.free();
  }
  assert.equal(keys.length, 2);
  assert.match(keys[0], KEY_PATTERN);
  assert.equal(keys[0], keys[1]);
  assert.equal(keys[0], younium_key(control.base));
});

// The refresh timer of a client with a store. With its jitter drawn as 0 the
// timer fires at 3/8 of a short token's life (5/8 of the leeway before the
// due point), while the store's copy of the same token counts as usable until
// half its life. What the timer does in between is what this test measures:
// it should make one store read and one token request per renewal, not
// re-read the store in a loop.
for (const jitter of [0, 0.999]) {
  test(`autoRefresh with a store (jitter ${jitter}): a bounded number of store reads and onToken calls per renewal`, { timeout: 20_000 }, async () => {
    const TTL = 4;
    const control = await fresh({ ttlSeconds: TTL });
    const data = new Map();
    const calls = { get: 0, put: 0, onToken: 0 };
    const store = {
      async get(k) {
        calls.get++;
        return data.get(k) ?? null;
      },
      async put(k, v) {
        calls.put++;
        data.set(k, v);
      },
    };
    const realRandom = Math.random;
    let client;
    Math.random = () => jitter; // the client draws its jitter when constructed
    try {
      client = new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store, autoRefresh: true, onToken: () => calls.onToken++ });
    } finally {
      Math.random = realRandom;
    }
    try {
      await client.getToken();
      // Until just before the first token expires: one renewal is due in there.
      await sleep(TTL * 1000 - 600);
      const stats = await control.stats();
      assert.equal(stats.totalTokenRequests, 2, "the first token, and one renewal by timer");
      assert.ok(calls.get <= 3, `store reads: ${calls.get} (expected about 2: one per token request)`);
      assert.ok(calls.onToken <= 3, `onToken calls: ${calls.onToken} for ${stats.totalTokenRequests} tokens`);
    } finally {
      client.free();
    }
  });
}

// A token the API refuses (revoked early) must not come back from the store:
// docs/API.md §4, "on a 401 from the API it drops the token, gets a new
// one and retries once". Without a store this holds; the store must not undo it.
for (const withStore of [false, true]) {
  test(`after an API 401 (token revoked), client.fetch gets a new token ${withStore ? "even with a store holding the revoked one" : "(no store, for comparison)"}`, async () => {
    const control = await fresh();
    const data = new Map();
    const store = { get: async (k) => data.get(k) ?? null, put: async (k, v) => void data.set(k, v) };
    const options = { provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, autoRefresh: false };
    if (withStore) options.store = store;
    const client = new AuthClient(options);
    const other = withStore ? new AuthClient(options) : null;
    try {
      const revoked = await client.getToken();
      const res0 = await fetch(`${control.base}/__emulator/revoke`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(res0.status, 200);
      const res = await client.fetch("/ping");
      await res.arrayBuffer();
      const stats = await control.stats();
      assert.deepEqual(stats.apiLog.map((e) => e.status), [401, 200], "the retry carries a new token");
      assert.equal(res.status, 200);
      assert.equal(stats.totalTokenRequests, 2, "a token request after the 401");
      const now = await client.getToken();
      assert.notEqual(now, revoked, "the client no longer holds the revoked token");
      if (withStore) {
        assert.equal(JSON.parse([...data.values()][0]).accessToken, now, "the store holds the new token");
        assert.equal(await other.getToken(), now, "another client sharing the store gets the new token");
      }
    } finally {
      client.free();
      other?.free();
    }
  });
}
