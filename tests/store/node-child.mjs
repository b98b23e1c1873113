// One Node process of the Redis runs (tests/store/redis.test.mjs,
// tests/store/measure.mjs), like deno-child.mjs: started as
//
//   node tests/store/node-child.mjs '<json>'
//
// with <json> = { base, provider, redisUrl (null: no store), client
// ("node-redis" | "ioredis"), lease (redisStore's lease passed on), mode
// ("timer" | "stream"), durationMs, intervalMs, leeway?, timeoutMs? }.
// Prints READY, waits for a line on stdin, then `RESULT=<json>` as
// deno-child.mjs does (plus `waits`: each getToken's wait in ms).
import { AuthClient, redisStore } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const cfg = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const counts = { gets: 0, puts: 0, leases: 0, granted: 0, onToken: 0, storeErrors: [], unhandled: [], waits: [] };
process.on("unhandledRejection", (reason) => counts.unhandled.push(String(reason?.message ?? reason)));

let connection;
let store;
if (cfg.redisUrl) {
  if (cfg.client === "ioredis") {
    const { default: Redis } = await import("ioredis");
    connection = new Redis(cfg.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await connection.connect();
  } else {
    const { createClient } = await import("redis");
    connection = createClient({ url: cfg.redisUrl });
    connection.on("error", () => {});
    await connection.connect();
  }
  const inner = redisStore(connection);
  store = {
    get: (key) => {
      counts.gets++;
      return inner.get(key);
    },
    put: (key, value, options) => {
      counts.puts++;
      return inner.put(key, value, options);
    },
  };
  if (cfg.lease) {
    store.lease = async (key, ttlMs) => {
      counts.leases++;
      const granted = await inner.lease(key, ttlMs);
      if (granted) counts.granted++;
      return granted;
    };
  }
}

console.log("READY");
await new Promise((resolve) => {
  process.stdin.once("data", resolve);
  process.stdin.once("end", resolve);
});

const options = {
  provider: cfg.provider,
  baseUrl: cfg.base,
  ...SAMPLE_CREDENTIALS[cfg.provider],
  autoRefresh: cfg.mode === "timer",
  onToken: () => counts.onToken++,
};
if (store) {
  options.store = store;
  options.onStoreError = (e) => counts.storeErrors.push(e?.message ?? String(e));
}
if (cfg.leeway !== undefined) options.refreshLeewaySeconds = cfg.leeway;
if (cfg.timeoutMs !== undefined) options.timeoutMs = cfg.timeoutMs;
const client = new AuthClient(options);

const started = Date.now();
const end = started + cfg.durationMs;
const tokens = new Set();
let calls = 0;
const failures = [];
while (Date.now() < end) {
  try {
    const asked = Date.now();
    const token = await client.getToken();
    counts.waits.push(Date.now() - asked);
    calls++;
    tokens.add(token);
  } catch (e) {
    failures.push(`${e?.code}: ${e?.message}`);
  }
  await sleep(cfg.intervalMs);
}
client.free();
await connection?.quit?.().catch(() => {});
// Which runtime ran this and which of the package's entries it loaded
// (tests/store/redis.test.mjs's mixed fleet checks both).
const runtime = typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
const entry = import.meta.resolve("edge-auth");
console.log("RESULT=" + JSON.stringify({ runtime, entry, pid: process.pid, startedAt: started, calls, distinctTokens: tokens.size, expired: 0, failures, ...counts }));
process.exit(0);
