// denoKvStore's lease (docs/API.md §7): Deno processes
// (tests/store/deno-child.mjs) on one Deno KV file, started together, share
// one token per lifetime, the cold start included (one atomic lease per
// renewal, versionstamp-checked); a holder that dies holds nobody past the
// bound.
//
//   node --test tests/store/deno-lease.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.mjs";
import { controlFor, runDenoFleet, assertOnePerLifetime, youniumKeyFor, describeRun } from "./lib.mjs";

const N = 4;
const TTL = 3;
const LEEWAY = 1;
const DURATION = 3 * (TTL - LEEWAY) * 1000 - 300;

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.close();
});

for (const mode of ["stream", "timer"]) {
  test(`${N} Deno processes (${mode}), one Deno KV file with its lease, 3 lifetimes of ${TTL} s: one token request per lifetime, the cold start included`, { timeout: 60_000 }, async () => {
    const r = await runDenoFleet({ emulatorUrl: emulator.url, ns: `deno-lease-${mode}`, n: N, ttlSeconds: TTL, lifetimes: 3, withStore: true, lease: true, mode, leeway: LEEWAY, durationMs: DURATION, tokenDelayMs: 100 });
    console.log(`# ${describeRun(r)}; worst wait ${r.worstWaitMs} ms`);
    assertOnePerLifetime(r, { maxWaitMs: 100 + 1_000 + 500 });
    for (const [i, x] of r.results.entries()) assert.ok(x.leases >= 1 && x.leases <= 3 + 1, `process ${i}: ${x.leases} lease calls`);
  });
}

test("a lease holder that dies (a lease in the file, no token ever put): every process waits the bound, then requests, and says so", { timeout: 60_000 }, async () => {
  const ns = "deno-lease-dead-holder";
  const control = controlFor(emulator.url, ns);
  const key = await youniumKeyFor(control);
  const r = await runDenoFleet({
    emulatorUrl: emulator.url,
    ns,
    n: 2,
    ttlSeconds: 30,
    lifetimes: 1,
    durationMs: 2_500,
    withStore: true,
    lease: true,
    mode: "stream",
    timeoutMs: 1_000,
    beforeStart: (kvPath) => `const kv = await Deno.openKv(${JSON.stringify(kvPath)}); await kv.set(["edge-auth", ${JSON.stringify(key)}, "lease"], { until: Date.now() + 60000 }); kv.close();`,
  });
  const line = describeRun(r);
  assert.ok(r.total >= 1 && r.total <= 2, line);
  for (const [i, x] of r.results.entries()) {
    assert.deepEqual(x.failures, [], `process ${i}: ${line}`);
    assert.ok(x.storeErrors.some((e) => /the lease holder wrote no token in time; requesting one/.test(e)), `process ${i}: ${JSON.stringify(x.storeErrors)}`);
    assert.ok(x.waits[0] >= 1_900 && x.waits[0] < 4_000, `process ${i}: first wait ${x.waits[0]} ms, the bound`);
  }
});
