// The store's optional lease (docs/API.md §7.1) in Node, in process, with
// stores written here around a Map: what the client asks of the lease, a
// lease that throws, rejects or never answers (reported; the client asks the
// vendor), twenty concurrent callers and one lease call, and the `broker`
// option outside Workers. The real backends are in broker.test.mjs,
// deno-lease.test.mjs and redis.test.mjs.
//
//   node --test tests/store/lease.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthClient, AuthError } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { KEY_PATTERN, controlFor, useEmulator } from "./lib.mjs";

const emulator = useEmulator({ perTest: true });
let ns = 0;

async function fresh() {
  const control = controlFor(emulator.url, `lease-${++ns}`);
  await control.reset();
  return control;
}

function leaseStore(lease) {
  const data = new Map();
  const calls = { get: 0, put: 0, lease: [] };
  return {
    calls,
    data,
    async get(key) {
      calls.get++;
      return data.get(key) ?? null;
    },
    async put(key, value) {
      calls.put++;
      data.set(key, value);
    },
    lease(key, ttlMs, boundMs) {
      calls.lease.push({ key, ttlMs, boundMs });
      return lease(key, ttlMs);
    },
  };
}

const younium = (control, extra) => new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, autoRefresh: false, ...extra });

test("twenty concurrent callers, a granted lease: one read, one lease call (the hashed key, timeoutMs + 1 s), one token request, one write", async () => {
  const control = await fresh();
  const store = leaseStore(async () => true);
  const client = younium(control, { store, timeoutMs: 2_000 });
  const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getToken()));
  client.free();
  assert.equal(new Set(tokens).size, 1);
  assert.equal((await control.stats()).totalTokenRequests, 1);
  assert.equal(store.calls.get, 1);
  assert.equal(store.calls.put, 1);
  assert.equal(store.calls.lease.length, 1);
  assert.match(store.calls.lease[0].key, KEY_PATTERN);
  assert.equal(store.calls.lease[0].ttlMs, 3_000);
  assert.equal(store.calls.lease[0].boundMs, 1_000);
});

test("a lease held by another that writes its token within the wait: taken, no token request", async () => {
  const control = await fresh();
  const writer = younium(control);
  const store = leaseStore(async (key) => {
    // The "other client": its token lands in the store 200 ms later.
    setTimeout(async () => {
      const other = younium(control, { store: { get: async () => null, put: async (k, v) => store.data.set(k, v) } });
      await other.getToken();
      other.free();
    }, 200);
    return false;
  });
  const client = younium(control, { store });
  const started = Date.now();
  const token = await client.getToken();
  const took = Date.now() - started;
  client.free();
  writer.free();
  assert.equal((await control.stats()).totalTokenRequests, 1, "only the other client's");
  assert.equal(JSON.parse([...store.data.values()][0]).accessToken, token);
  assert.ok(took >= 150 && took < 1_000, `${took} ms`);
  assert.equal(store.calls.put, 0, "nothing to write");
});

for (const [name, lease, expect] of [
  ["throws", () => { throw new Error("lease exploded"); }, /lease threw: Error: lease exploded/],
  ["rejects", async () => { throw new Error("lease refused"); }, /lease failed: Error: lease refused/],
  ["never answers", () => new Promise(() => {}), /lease timed out; requesting a token/],
]) {
  test(`a lease that ${name}: reported to onStoreError, one token request, the caller gets a token`, async () => {
    const control = await fresh();
    const errors = [];
    const store = leaseStore(lease);
    const client = younium(control, { store, onStoreError: (e) => errors.push(e.message) });
    const token = await client.getToken();
    client.free();
    assert.ok(token.length > 20);
    assert.equal((await control.stats()).totalTokenRequests, 1);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0], expect);
  });
}

test("broker outside Workers, or with store: invalid_config naming broker", () => {
  const options = { provider: "younium", baseUrl: "https://api.example", ...SAMPLE_CREDENTIALS.younium };
  const broker = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response("granted") }) };
  assert.throws(() => new AuthClient({ ...options, broker }), (e) => e instanceof AuthError && e.code === "invalid_config" && /^broker /.test(e.message));
});
