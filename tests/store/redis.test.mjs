// redisStore(client) (docs/API.md §7) on a real redis-server (Debian's
// package, started here on a free loopback port and stopped after), with
// node-redis and with ioredis: Node processes, and Bun, Deno and Node ones
// together (tests/store/node-child.mjs)
// started together share one token per lifetime through the SET NX PX lease;
// what Redis holds has no credential; a lease holder that dies, and a Redis
// that stops answering, hold nobody past the bound.
//
//   node --test tests/store/redis.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createClient } from "redis";
import { AuthClient, redisStore, AuthError } from "edge-auth";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { KEY_PATTERN, controlFor, runNodeFleet, startRedis, assertOnePerLifetime, youniumKeyFor, describeRun } from "./lib.mjs";

const N = 4;
const TTL = 3;
const LEEWAY = 1;
// Three tokens, each used for its life less the leeway.
const DURATION = 3 * (TTL - LEEWAY) * 1000 - 300;

let emulator;
let redis;
let admin;

before(async () => {
  emulator = await startEmulator();
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  admin.on("error", () => {});
  await admin.connect();
});
after(async () => {
  await admin?.quit().catch(() => {});
  await redis?.stop();
  await emulator?.close();
});

for (const client of ["node-redis", "ioredis"]) {
  test(`${N} Node processes (${client}), one redis-server, 3 lifetimes of ${TTL} s: one token request per lifetime, the cold start included`, { timeout: 60_000 }, async () => {
    const r = await runNodeFleet({ emulatorUrl: emulator.url, ns: `redis-${client}`, n: N, ttlSeconds: TTL, lifetimes: 3, redisUrl: redis.url, client, mode: "stream", leeway: LEEWAY, durationMs: DURATION, tokenDelayMs: 100 });
    console.log(`# ${describeRun(r)}; worst wait ${r.worstWaitMs} ms`);
    assertOnePerLifetime(r, { maxWaitMs: 100 + 1_000 + 500 });
  });
}

test(`6 processes, two each of Bun, Deno and Node (node-redis), one redis-server, 3 lifetimes of ${TTL} s: one token request per lifetime, the cold start included`, { timeout: 60_000 }, async () => {
  const r = await runNodeFleet({ emulatorUrl: emulator.url, ns: "redis-mixed", n: 6, ttlSeconds: TTL, lifetimes: 3, redisUrl: redis.url, mode: "stream", leeway: LEEWAY, durationMs: DURATION, tokenDelayMs: 100, runtimes: ["bun", "deno", "node"] });
  console.log(`# ${describeRun(r)}; worst wait ${r.worstWaitMs} ms`);
  const ran = r.results.map((x) => `${x.runtime} ${path.basename(new URL(x.entry).pathname)}`).sort();
  assert.deepEqual(ran, ["bun bun.js", "bun bun.js", "deno deno.js", "deno deno.js", "node node.js", "node node.js"]);
  assertOnePerLifetime(r, { maxWaitMs: 100 + 1_000 + 500 });
});

test("what Redis holds: keys are the documented hash (and its :lease), values hold no credential, every key expires", { timeout: 30_000 }, async () => {
  const credentials = Object.values(SAMPLE_CREDENTIALS).flatMap((c) => [c.secret, c.password, c.clientSecret, c.apiKey]).filter(Boolean);
  const control = controlFor(emulator.url, "redis-contents");
  await control.reset();
  const clientA = new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store: redisStore(admin), autoRefresh: false });
  const token = await clientA.getToken();
  clientA.free();
  const key = await youniumKeyFor(control);
  const value = await admin.get(key);
  assert.equal(JSON.parse(value).accessToken, token);
  assert.ok((await admin.pTTL(key)) > 0, "the token's entry expires");
  assert.equal(await admin.exists(`${key}:lease`), 0, "the write ended the lease");
  for (const k of await admin.keys("*")) {
    assert.ok(KEY_PATTERN.test(k) || KEY_PATTERN.test(k.replace(/:lease$/, "")), `key ${k}`);
    const v = (await admin.type(k)) === "string" ? await admin.get(k) : "";
    for (const c of credentials) assert.ok(!k.includes(c) && !v.includes(c), `${k} holds a credential`);
  }
  assert.throws(() => redisStore({}), (e) => e instanceof AuthError && e.code === "invalid_config" && /redisStore/.test(e.message));
});

test("a lease holder that dies (the lease taken, no token ever put): the others wait the bound (timeoutMs + 1 s), then request, and say so", { timeout: 60_000 }, async () => {
  const ns = "redis-dead-holder";
  const control = controlFor(emulator.url, ns);
  await control.reset();
  await control.config({ ttlSeconds: 30 });
  const key = await youniumKeyFor(control);
  assert.equal(await admin.sendCommand(["SET", `${key}:lease`, "1", "NX", "PX", "60000"]), "OK");
  const errors = [];
  const clients = [1, 2].map(() => new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store: redisStore(admin), onStoreError: (e) => errors.push(e.message), timeoutMs: 1000, autoRefresh: false }));
  const started = Date.now();
  const tokens = await Promise.all(clients.map((c) => c.getToken()));
  const took = Date.now() - started;
  for (const c of clients) c.free();
  assert.ok(took >= 1_900 && took < 4_000, `waited the bound, not longer: ${took} ms`);
  assert.equal(errors.filter((e) => /the lease holder wrote no token in time; requesting one/.test(e)).length, 2, JSON.stringify(errors));
  assert.ok(tokens.every((t) => t.length > 20));
  assert.ok((await control.stats()).totalTokenRequests <= 2);
  // Its token is shared now: the next client takes it.
  const next = new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store: redisStore(admin), autoRefresh: false });
  assert.ok(tokens.includes(await next.getToken()));
  next.free();
});

test("a Redis that stops answering (SIGSTOP) or is gone: a token all the same, within the store's bounds, reported to onStoreError", { timeout: 60_000 }, async () => {
  const own = await startRedis();
  try {
    for (const fault of ["paused", "stopped"]) {
      const c = createClient({ url: own.url, socket: { reconnectStrategy: false } });
      c.on("error", () => {});
      await c.connect();
      if (fault === "paused") own.pause();
      else await own.stop();
      const ns = `redis-${fault}`;
      const control = controlFor(emulator.url, ns);
      await control.reset();
      const errors = [];
      const client = new AuthClient({ provider: "younium", baseUrl: control.base, ...SAMPLE_CREDENTIALS.younium, store: redisStore(c), onStoreError: (e) => errors.push(e.message), autoRefresh: false });
      const started = Date.now();
      const token = await client.getToken();
      const took = Date.now() - started;
      client.free();
      assert.ok(token.length > 20);
      assert.equal((await control.stats()).totalTokenRequests, 1, fault);
      assert.ok(errors.length >= 1, `${fault}: reported`);
      assert.ok(took < 2 * 1_000 + 500, `${fault}: ${took} ms (the read's and the lease's bounds; the write goes on behind)`);
      assert.ok(!errors.some((e) => e.includes(token) || e.includes(SAMPLE_CREDENTIALS.younium.secret)), `${fault}: ${errors}`);
      if (fault === "paused") own.resume();
      c.disconnect?.().catch?.(() => {});
    }
  } finally {
    await own.stop();
  }
});
