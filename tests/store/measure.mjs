// Measures the shared store's effect (the figures README's shared-store
// section quotes). By default, the setups side by side: 8 isolates or
// processes, started together, over 3 token lifetimes (as used: each token
// lasts its life less the leeway, so one request per lifetime is the ideal),
// against the vendor emulator with short lifetimes and a 100 ms token
// endpoint, each caller asking every 50 ms (autoRefresh: false):
//
// - broker:     8 workers (isolates) in miniflare, `broker: env.TOKEN_BROKER`
// - deno-lease: 8 Deno processes, `denoKvStore(kv)` with its lease, one file
// - redis:      8 Node processes, `redisStore(client)` (node-redis) on one redis-server
// - kv:         8 workers, `store: env.TOKENS` (Workers KV alone)
// - none:       8 workers, no store
//
// It ends with the line
// `measure-store: broker N, deno-lease N, redis N, kv N, none N` (token
// requests per setup) and the worst caller wait. Node 22 (miniflare).
//
//   node tests/store/measure.mjs [--n 8] [--lifetimes 3] [--ttl 4] [--json]
//   node tests/store/measure.mjs --deno-modes [--mode timer|stream|both]   (8 Deno processes on Deno KV without a lease, with and without the store; --mode implies it)
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../emulator/server.mjs";
import { runDenoFleet, runNodeFleet, startRedis, describeRun, controlFor, HERE } from "./lib.mjs";

const LEEWAY = 1;
const TOKEN_DELAY_MS = 100;
function args(argv) {
  const o = { n: 8, lifetimes: 3, ttl: 4, mode: "both", json: false, denoModes: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (a === "--deno-modes") o.denoModes = true;
    else if (["--n", "--lifetimes", "--ttl"].includes(a)) o[a.slice(2)] = Number(argv[++i]);
    else if (a === "--mode") {
      // A mode is the Deno KV runs' (without a lease, with and without the store).
      o.mode = argv[++i];
      o.denoModes = true;
    } else throw new Error(`unknown argument ${a}; usage: measure.mjs [--n 8] [--lifetimes 3] [--ttl 4] [--mode timer|stream|both] [--json]`);
  }
  if (![o.n, o.lifetimes, o.ttl].every((x) => Number.isInteger(x) && x > 0)) throw new Error("--n, --lifetimes, --ttl: positive integers");
  if (!["timer", "stream", "both"].includes(o.mode)) throw new Error("--mode: timer, stream or both");
  return o;
}

const o = args(process.argv.slice(2));
if (!o.denoModes) {
  await setups(o);
  process.exit(0);
}
const modes = o.mode === "both" ? ["timer", "stream"] : [o.mode];
const emulator = await startEmulator();
const rows = [];
try {
  for (const mode of modes) {
    for (const withStore of [true, false]) {
      const r = await runDenoFleet({
        emulatorUrl: emulator.url,
        ns: `measure-${mode}-${withStore ? "store" : "nostore"}`,
        n: o.n,
        ttlSeconds: o.ttl,
        lifetimes: o.lifetimes,
        withStore,
        mode,
      });
      const sum = (k) => r.results.reduce((a, x) => a + (Array.isArray(x[k]) ? x[k].length : x[k]), 0);
      rows.push({
        mode,
        store: withStore,
        total: r.total,
        coldStart: r.cold,
        afterColdStart: r.afterCold,
        renewals: r.events,
        goalAfterColdStart: 2 * o.lifetimes,
        storeGets: sum("gets"),
        storePuts: sum("puts"),
        onToken: sum("onToken"),
        storeErrors: sum("storeErrors"),
        expiredHandedOut: sum("expired"),
        failures: sum("failures"),
        requestTimesMs: r.requestTimesMs,
      });
      if (!o.json) console.error(describeRun(r));
    }
  }
} finally {
  await emulator.close();
}

if (o.json) {
  console.log(JSON.stringify({ n: o.n, lifetimes: o.lifetimes, ttlSeconds: o.ttl, rows }, null, 2));
} else {
  console.log(`\n${o.n} Deno processes × ${o.lifetimes} token lifetimes of ${o.ttl} s (goal with the store: cold start ≤ ${o.n}, then ≤ ${2 * o.lifetimes})\n`);
  console.log("mode    store  total  cold start  after cold start  store gets  store puts  onToken  requests per renewal");
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(7)} ${(r.store ? "yes" : "no").padEnd(6)} ${String(r.total).padStart(5)}  ${String(r.coldStart).padStart(10)}  ${String(r.afterColdStart).padStart(16)}  ${String(r.storeGets).padStart(10)}  ${String(r.storePuts).padStart(10)}  ${String(r.onToken).padStart(7)}  ${r.renewals.join(" ")}`,
    );
  }
}

/** 8 workers in one miniflare over `ns`, with the broker, KV, or nothing. */
async function workersFleet({ emulator, ns, n, ttl, durationMs, store }) {
  const { Miniflare } = await import("miniflare");
  const { bundleWorker, compatDate, workerOptions, withTimeout, LOOPBACK_ONLY } = await import("../lib/workerd.mjs");
  const toml = path.join(HERE, "wrangler.toml");
  const tmp = await mkdtemp(path.join(os.tmpdir(), "edge-auth-measure-"));
  const names = Array.from({ length: n }, (_, i) => `w${i}`);
  let mf;
  try {
    const { scriptPath } = await bundleWorker(toml, path.join(tmp, "bundle"));
    const bindings = { kvNamespaces: { TOKENS: "measure-tokens" }, durableObjects: { TOKEN_BROKER: { className: "TokenBroker", scriptName: names[0] } } };
    mf = new Miniflare({ ...LOOPBACK_ONLY, kvPersist: path.join(tmp, "kv"), workers: names.map((name) => ({ name, ...workerOptions(scriptPath, compatDate(toml), bindings) })) });
    await withTimeout(mf.ready, 60_000, "miniflare start");
    const workers = await Promise.all(names.map((name) => mf.getWorker(name)));
    const control = controlFor(emulator.url, ns);
    await control.reset();
    await control.config({ ttlSeconds: ttl, tokenDelayMs: TOKEN_DELAY_MS });
    const params = new URLSearchParams({ emu: emulator.url, ns, leeway: String(LEEWAY), ...(store === "broker" ? { broker: "1" } : { store: store === "kv" ? "1" : "0" }) });
    const t0 = Date.now();
    const end = t0 + durationMs;
    let worst = 0;
    const errors = [];
    await Promise.all(
      workers.map(async (w) => {
        while (Date.now() < end) {
          const res = await w.fetch(`http://measure.local/token?${params}`);
          const body = await res.json();
          if (res.status !== 200) throw new Error(`worker answered ${res.status}: ${JSON.stringify(body)}`);
          worst = Math.max(worst, body.waited);
          errors.push(...body.storeErrors);
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    const stats = await control.stats();
    return { total: stats.totalTokenRequests, times: stats.tokenLog.map((e) => e.at - t0), worstWaitMs: worst, storeErrors: [...new Set(errors)] };
  } finally {
    await mf?.dispose().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
  }
}

async function setups(o) {
  const emulator = await startEmulator();
  const redis = await startRedis();
  const durationMs = o.lifetimes * (o.ttl - LEEWAY) * 1000 - 300;
  const rows = {};
  const fleet = (r) => ({ total: r.total, times: r.requestTimesMs, worstWaitMs: r.worstWaitMs, storeErrors: [...new Set(r.results.flatMap((x) => x.storeErrors))] });
  const common = { emulatorUrl: emulator.url, n: o.n, ttlSeconds: o.ttl, lifetimes: o.lifetimes, mode: "stream", leeway: LEEWAY, durationMs, tokenDelayMs: TOKEN_DELAY_MS };
  try {
    rows.broker = await workersFleet({ emulator, ns: "measure-broker", n: o.n, ttl: o.ttl, durationMs, store: "broker" });
    rows["deno-lease"] = fleet(await runDenoFleet({ ...common, ns: "measure-deno-lease", withStore: true, lease: true }));
    rows.redis = fleet(await runNodeFleet({ ...common, ns: "measure-redis", redisUrl: redis.url, client: "node-redis" }));
    rows.kv = await workersFleet({ emulator, ns: "measure-kv", n: o.n, ttl: o.ttl, durationMs, store: "kv" });
    rows.none = await workersFleet({ emulator, ns: "measure-none", n: o.n, ttl: o.ttl, durationMs, store: "none" });
  } finally {
    await redis.stop();
    await emulator.close();
  }
  if (o.json) {
    console.log(JSON.stringify({ setups: true, n: o.n, lifetimes: o.lifetimes, ttlSeconds: o.ttl, leewaySeconds: LEEWAY, tokenDelayMs: TOKEN_DELAY_MS, durationMs, rows }, null, 2));
    return;
  }
  console.log(`\n${o.n} isolates or processes × ${o.lifetimes} token lifetimes of ${o.ttl} s (leeway ${LEEWAY} s: ${durationMs} ms), a ${TOKEN_DELAY_MS} ms token endpoint, a getToken every 50 ms per caller (ideal: ${o.lifetimes} token requests)\n`);
  console.log("setup       token requests  worst caller wait  store errors  request times (ms from start)");
  for (const [name, r] of Object.entries(rows)) {
    console.log(`${name.padEnd(11)} ${String(r.total).padStart(14)}  ${String(r.worstWaitMs).padStart(14)} ms  ${String(r.storeErrors.length).padStart(12)}  ${r.times.join(", ")}`);
    for (const e of r.storeErrors) console.log(`            store error: ${e}`);
  }
  const worst = Math.max(rows.broker.worstWaitMs, rows["deno-lease"].worstWaitMs, rows.redis.worstWaitMs);
  console.log(`worst caller wait (broker, deno-lease, redis): ${worst} ms (the token request itself takes ${TOKEN_DELAY_MS} ms; the rest is the store's read, lease and write)`);
  console.log(`measure-store: broker ${rows.broker.total}, deno-lease ${rows["deno-lease"].total}, redis ${rows.redis.total}, kv ${rows.kv.total}, none ${rows.none.total}`);
}
