// One Deno process of the shared-store runs (tests/store/deno.test.mjs,
// tests/store/measure.mjs). Started as
//
//   deno run --no-prompt --allow-net=127.0.0.1 --unstable-kv \
//     --allow-read=<kv dir> --allow-write=<kv dir> tests/store/deno-child.mjs '<json>'
//
// with <json> = { base, provider, kvPath (null: no store), lease (denoKvStore's
// lease passed on; without it the store is get/put only), mode ("timer" |
// "stream"), durationMs, intervalMs, leeway? }. The process prints READY once
// loaded (package imported, KV open) and waits for a line on stdin, so that
// the parent can start every process's client at the same instant.
//
// - mode "timer": autoRefresh: true; one getToken at the start, then a light
//   getToken every `intervalMs` (the timer is what keeps the token fresh).
// - mode "stream": autoRefresh: false; a getToken every `intervalMs`.
//
// Prints one line `RESULT=<json>` with what this process saw: calls, distinct
// tokens, tokens handed out already expired, store reads and
// writes (through a counting wrapper around denoKvStore), onToken and
// onStoreError calls, and the status of a final client.fetch.
import { AuthClient, denoKvStore } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const cfg = JSON.parse(Deno.args[0]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function jwtExpMs(token) {
  try {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return claims.exp * 1000;
  } catch {
    return NaN;
  }
}

const kv = cfg.kvPath ? await Deno.openKv(cfg.kvPath) : null;
const counts = { gets: 0, puts: 0, leases: 0, onToken: 0, storeErrors: [], unhandled: [], waits: [] };
let store;
if (kv) {
  const inner = denoKvStore(kv);
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
    store.lease = (key, ttlMs) => {
      counts.leases++;
      return inner.lease(key, ttlMs);
    };
  }
}

globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  counts.unhandled.push(String(e.reason?.message ?? e.reason));
});

console.log("READY");
{
  const reader = Deno.stdin.readable.getReader();
  await reader.read(); // "GO\n", or end of input
  reader.releaseLock();
}

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
let expired = 0;
let failures = [];
while (Date.now() < end) {
  try {
    const asked = Date.now();
    const token = await client.getToken();
    const at = Date.now();
    counts.waits.push(at - asked);
    calls++;
    tokens.add(token);
    // Expired when handed out? The emulator's real expiry is within 1 s after
    // the JWT's exp (whole seconds); the client's own is tokenInfo's.
    const info = await client.tokenInfo();
    const until = Math.min(jwtExpMs(token) + 1000, info.accessToken === token ? info.expiresAt : Infinity);
    if (!(at < until)) expired++;
  } catch (e) {
    failures.push(`${e?.code}: ${e?.message}`);
  }
  await sleep(cfg.intervalMs);
}
let fetchStatus = null;
try {
  const res = await client.fetch("/store-check");
  fetchStatus = res.status;
  await res.body?.cancel();
} catch (e) {
  failures.push(`fetch ${e?.code}: ${e?.message}`);
}
client.free();
kv?.close();
console.log(
  "RESULT=" +
    JSON.stringify({
      pid: Deno.pid,
      startedAt: started,
      calls,
      distinctTokens: tokens.size,
      expired,
      failures,
      fetchStatus,
      ...counts,
    }),
);
