// Token requests, counted by the emulator (GET /__emulator/stats).
//   node bench/lib/tokens.mjs --emu URL --lib ours|anchor burst --calls 1000
//     A cold client (no token yet) gets CALLS concurrent fetch calls at once
//     (Promise.all): how many token requests reach the token endpoint.
//   node bench/lib/tokens.mjs --emu URL --lib ours|anchor steady --duration 30 --ttl 2 --delay 500 --interval 10
//     Tokens live TTL seconds and the token endpoint takes DELAY ms. After a
//     first token, a call is started every INTERVAL ms (open loop: a slow call
//     does not hold back the next) for DURATION seconds. Counted: token
//     requests made during the stream, and calls that waited on a token
//     request (took ≥ 0.8 × DELAY; an API call on loopback takes ~1 ms).
// Both libraries use the form-encoded client_credentials body with the
// credentials in it (the anchor speaks only form bodies); ours has autoRefresh on.
import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";
import { OAUTH2, TOKEN_PATH, control, newNamespace, nsStats, parseArgs, report, sleep, quantile, withTimeout, importEdgeAuth } from "./common.mjs";

const { AuthClient } = await importEdgeAuth();

const args = parseArgs(process.argv.slice(2));
const lib = args.lib;
const what = args._[0];
const base = `${args.emu}/t/${newNamespace(`tokens-${what}-${lib}`)}`;
const apiUrl = `${base}/bench/steady`;

function makeClient() {
  if (lib === "ours") {
    const c = new AuthClient({ provider: "oauth2", baseUrl: base, ...OAUTH2, bodyEncoding: "form", autoRefresh: true });
    return { fetch: (u) => c.fetch(u), token: () => c.getToken(), free: () => c.free() };
  }
  if (lib === "anchor") {
    const client = new OAuth2Client({ tokenEndpoint: `${base}${TOKEN_PATH}`, ...OAUTH2, authenticationMethod: "client_secret_post" });
    const w = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() });
    return { fetch: (u) => w.fetch(u), token: () => w.getAccessToken(), free: () => {} };
  }
  throw new Error(`--lib ours|anchor, not ${lib}`);
}

async function timedCall(client, origin = 0) {
  const t = performance.now();
  const at = t - origin;
  try {
    const res = await client.fetch(apiUrl);
    await res.arrayBuffer();
    return { at, ms: performance.now() - t, status: res.status };
  } catch (e) {
    return { at, ms: performance.now() - t, status: `error:${e?.code ?? e?.name}` };
  }
}

const countBy = (xs) => xs.reduce((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

if (what === "burst") {
  const CALLS = Number(args.calls ?? 1000);
  const client = makeClient();
  const t = performance.now();
  const results = await Promise.all(Array.from({ length: CALLS }, () => timedCall(client)));
  const totalMs = performance.now() - t;
  client.free();
  const stats = await nsStats(base);
  await control(base, "reset", {});
  report({ calls: CALLS, totalMs, tokenRequests: stats.tokenRequests, statuses: countBy(results.map((r) => r.status)) });
} else if (what === "steady") {
  const DURATION_S = Number(args.duration ?? 30);
  const TTL = Number(args.ttl ?? 2);
  const DELAY = Number(args.delay ?? 500);
  const INTERVAL = Number(args.interval ?? 10);
  const WAIT_MS = 0.8 * DELAY;
  await control(base, "config", { ttlSeconds: TTL, tokenDelayMs: DELAY });
  const client = makeClient();
  const t0 = performance.now();
  await client.token();
  const firstTokenMs = performance.now() - t0;
  const before = await nsStats(base);

  const calls = [];
  const start = performance.now();
  const end = start + DURATION_S * 1000;
  const maxCalls = Math.ceil((DURATION_S * 1000) / INTERVAL) + 1;
  let next = start;
  while (performance.now() < end && calls.length < maxCalls) {
    calls.push(timedCall(client, start));
    next += INTERVAL;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const results = await withTimeout(Promise.all(calls), 30_000, "calls still pending 30 s after the stream ended");
  const after = await nsStats(base);
  client.free();
  await control(base, "reset", {});
  const ms = results.map((r) => r.ms);
  report({
    durationS: DURATION_S,
    ttlSeconds: TTL,
    tokenDelayMs: DELAY,
    intervalMs: INTERVAL,
    waitThresholdMs: WAIT_MS,
    firstTokenMs,
    calls: results.length,
    tokenRequests: after.tokenRequests - before.tokenRequests,
    waited: ms.filter((x) => x >= WAIT_MS).length,
    waitedAtMs: results.filter((r) => r.ms >= WAIT_MS).slice(0, 50).map((r) => Math.round(r.at)), // when they started, from the stream's start
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    maxMs: Math.max(...ms),
    statuses: countBy(results.map((r) => r.status)),
    api401: after.apiStatuses[401] ?? 0, // seen by the emulator, retries included
  });
} else {
  throw new Error("usage: tokens.mjs --emu URL --lib ours|anchor burst|steady …");
}
