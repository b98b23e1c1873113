// Per-call overhead in Node, one process, the variants interleaved round by round:
//   raw    fetch(url, { headers: { Authorization: "Bearer …" } })   (token set by hand)
//   ours   edge-auth client.fetch(url)
//   anchor @badgateway/oauth2-client OAuth2Fetch.fetch(url)
// Every call reads its body. --mode net calls a loopback API endpoint of the
// emulator; --mode stub swaps globalThis.fetch (which all three call at call
// time) for an in-process stub answering at once, so what is left is the
// wrappers' own CPU cost per call.
//   node bench/lib/overhead.mjs --emu URL --mode net|stub --seq 10000 --seq-rounds 5 --block 500 --conc 1000 --conc-rounds 10 --warm 1000
import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";
import { OAUTH2, TOKEN_PATH, control, newNamespace, parseArgs, report, importEdgeAuth } from "./common.mjs";

const { AuthClient } = await importEdgeAuth();

const args = parseArgs(process.argv.slice(2));
const mode = args.mode ?? "net";
const SEQ = Number(args.seq ?? 10_000);
const SEQ_ROUNDS = Number(args["seq-rounds"] ?? 5);
const CONC = Number(args.conc ?? 1000);
const CONC_ROUNDS = Number(args["conc-rounds"] ?? 10);
const WARM = Number(args.warm ?? 1000);
const BLOCK = Number(args.block ?? 500);
const only = args.only ? String(args.only).split(",") : null; // for profiling one variant

const base = `${args.emu}/t/${newNamespace(`overhead-${mode}`)}`;
const apiUrl = `${base}/bench/items?page=1`;

// --- the three callers -------------------------------------------------------
const ours = new AuthClient({ provider: "oauth2", baseUrl: base, ...OAUTH2, bodyEncoding: "form", autoRefresh: false });
const anchorClient = new OAuth2Client({ tokenEndpoint: `${base}${TOKEN_PATH}`, ...OAUTH2, authenticationMethod: "client_secret_post" });
const anchor = new OAuth2Fetch({ client: anchorClient, getNewToken: () => anchorClient.clientCredentials() });
const rawToken = await ours.getToken();
const anchorToken = await anchor.getAccessToken();
const rawHeader = `Bearer ${rawToken}`;

const VARIANTS = {
  raw: () => fetch(apiUrl, { headers: { Authorization: rawHeader } }),
  ours: () => ours.fetch(apiUrl),
  anchor: () => anchor.fetch(apiUrl),
};
const names = Object.keys(VARIANTS).filter((n) => !only || only.includes(n));

// --- stub fetch ------------------------------------------------------------------
const realFetch = globalThis.fetch;
const STUB_BODY = '{"ok":true}';
const STUB_INIT = { status: 200, headers: { "content-type": "application/json" } };
const stubFetch = () => Promise.resolve(new Response(STUB_BODY, STUB_INIT));
const seenAuth = [];
const checkingStub = (input, init) => {
  seenAuth.push(new Request(input, init).headers.get("authorization"));
  return stubFetch();
};

// --- measurement -------------------------------------------------------------------
let bad = 0;
async function one(fn) {
  const res = await fn();
  if (res.status !== 200) bad++;
  await res.arrayBuffer();
}

// Both return wall-clock µs per call and record this process's CPU time
// (user + system, every thread: GC included) in `cpuSpent`.
let cpuSpent = 0;
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function sequential(fn, n) {
  const c = cpuNow();
  const t = performance.now();
  for (let i = 0; i < n; i++) await one(fn);
  const us = ((performance.now() - t) * 1000) / n; // µs per call
  cpuSpent = cpuNow() - c;
  return us;
}

async function concurrent(fn, n) {
  const c = cpuNow();
  const t = performance.now();
  await Promise.all(Array.from({ length: n }, () => one(fn)));
  const us = ((performance.now() - t) * 1000) / n;
  cpuSpent = cpuNow() - c;
  return us;
}

if (mode === "stub") {
  globalThis.fetch = checkingStub;
  for (const n of names) await one(VARIANTS[n]);
  const expected = names.map((n) => (n === "anchor" ? `Bearer ${anchorToken}` : rawHeader));
  if (seenAuth.join() !== expected.join()) throw new Error(`stub saw Authorization ${JSON.stringify(seenAuth)}, expected ${JSON.stringify(expected)}`);
  globalThis.fetch = stubFetch;
}

for (const n of names) await sequential(VARIANTS[n], WARM);
for (const n of names) await concurrent(VARIANTS[n], Math.min(CONC, WARM));

// A round: SEQ sequential calls per variant, made in blocks of BLOCK calls
// that alternate between the variants (so that a burst of load from other
// processes hits every variant alike); then CONC concurrent calls per variant.
const windowStartUs = Number(process.hrtime.bigint() / 1000n); // same clock as --cpu-prof timestamps
const seq = Object.fromEntries(names.map((n) => [n, []]));
const conc = Object.fromEntries(names.map((n) => [n, []]));
const seqCpu = Object.fromEntries(names.map((n) => [n, []]));
const concCpu = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < SEQ_ROUNDS; r++) {
  const totals = Object.fromEntries(names.map((n) => [n, 0]));
  const cpu = Object.fromEntries(names.map((n) => [n, 0]));
  for (let done = 0; done < SEQ; done += BLOCK) {
    const size = Math.min(BLOCK, SEQ - done);
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + r + done / BLOCK) % names.length];
      totals[n] += (await sequential(VARIANTS[n], size)) * size;
      cpu[n] += cpuSpent;
    }
  }
  for (const n of names) {
    seq[n].push(totals[n] / SEQ);
    seqCpu[n].push(cpu[n] / SEQ);
  }
}
for (let r = 0; r < CONC_ROUNDS; r++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(k + r) % names.length];
    conc[n].push(await concurrent(VARIANTS[n], CONC));
    concCpu[n].push(cpuSpent / CONC);
  }
}
const windowEndUs = Number(process.hrtime.bigint() / 1000n);
globalThis.fetch = realFetch;

const stats = mode === "net" ? await control(base, "stats") : null;
ours.free();
if (mode === "net") await control(base, "reset", {});
if (bad > 0) throw new Error(`${bad} calls did not answer 200`);
report({
  mode,
  seqCalls: SEQ,
  concCalls: CONC,
  warmCalls: WARM,
  block: BLOCK,
  seq,
  conc,
  seqCpu, // CPU µs of this process per call, per round
  concCpu,
  measured: { startUs: windowStartUs, endUs: windowEndUs, calls: names.length * (SEQ * SEQ_ROUNDS + CONC * CONC_ROUNDS) },
  tokenRequests: stats?.totalTokenRequests,
  apiRequests: stats?.apiRequests,
});
