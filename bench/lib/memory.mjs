// Memory after many calls and after many clients (run with --expose-gc):
//   node --expose-gc bench/lib/memory.mjs --lib ours|anchor --calls 100000 --clients 10000
// globalThis.fetch is an in-process stub (a token response for the token
// endpoint, 200 {"ok":true} for anything else), so what grows is the
// library's own memory, not undici's sockets or the emulator's logs.
// Each snapshot is taken after global.gc() (three times, with event-loop
// turns between, so FinalizationRegistry callbacks run): V8 heapUsed,
// external + arrayBuffers, RSS, and for ours the wasm instance's linear
// memory (`memory.buffer.byteLength` of the exports initSync() returns once
// the package has initialised it; it only grows, so it is a high-water mark).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";
import { OAUTH2, TOKEN_PATH, edgeAuthDir, importEdgeAuth, parseArgs, report } from "./common.mjs";

const { AuthClient } = await importEdgeAuth();
// The same module instance the package's node entry initialised (same file URL).
const { initSync } = await import(pathToFileURL(path.join(edgeAuthDir(), "edge_auth.js")).href);

if (typeof global.gc !== "function") throw new Error("run with node --expose-gc");
const args = parseArgs(process.argv.slice(2));
const lib = args.lib;
const CALLS = Number(args.calls ?? 100_000);
const CLIENTS = Number(args.clients ?? 10_000);
const base = "http://127.0.0.1:9/t/memory"; // never reached: fetch is stubbed
const apiUrl = `${base}/bench/items`;

const wasmExports = lib === "ours" ? initSync() : null;
if (lib === "ours" && !(wasmExports?.memory instanceof WebAssembly.Memory)) throw new Error("could not reach the wasm memory");

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
let issued = 0;
const tokenBody = () =>
  JSON.stringify({
    token_type: "Bearer",
    access_token: `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "demo", iat: 1, exp: 4102444800, jti: `j${issued++}` })}.${"s".repeat(22)}`,
    expires_in: "3600",
  });
const JSON_HEADERS = { "content-type": "application/json" };
globalThis.fetch = (input) => {
  const url = typeof input === "string" ? input : input.url ?? String(input);
  if (url.endsWith(TOKEN_PATH)) return Promise.resolve(new Response(tokenBody(), { status: 200, headers: JSON_HEADERS }));
  return Promise.resolve(new Response('{"ok":true}', { status: 200, headers: JSON_HEADERS }));
};

function makeClient() {
  if (lib === "ours") {
    const c = new AuthClient({ provider: "oauth2", baseUrl: base, ...OAUTH2, bodyEncoding: "form" });
    return { fetch: (u) => c.fetch(u), token: () => c.getToken(), free: () => c.free() };
  }
  const client = new OAuth2Client({ tokenEndpoint: `${base}${TOKEN_PATH}`, ...OAUTH2, authenticationMethod: "client_secret_post" });
  const w = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() });
  return { fetch: (u) => w.fetch(u), token: () => w.getAccessToken(), free: () => {} };
}

async function snapshot() {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  const snap = { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, wasm: null };
  if (wasmExports) {
    snap.wasm = wasmExports.memory.buffer.byteLength;
    // wasm-bindgen's table of JS values held by Rust: its length is the
    // high-water mark of live handles, `live` the slots in use now.
    const table = Object.values(wasmExports).find((v) => v instanceof WebAssembly.Table);
    if (table) {
      let live = 0;
      for (let i = 0; i < table.length; i++) if (table.get(i) !== undefined) live++;
      snap.externrefTable = table.length;
      snap.externrefLive = live;
    }
  }
  return snap;
}

let bad = 0;
async function calls(client, n) {
  for (let i = 0; i < n; i++) {
    const res = await client.fetch(apiUrl);
    if (res.status !== 200) bad++;
    await res.arrayBuffer();
  }
}

const client = makeClient();
await client.token();
await calls(client, 1000);
const atStart = await snapshot();
await calls(client, CALLS / 2);
const atHalf = await snapshot();
await calls(client, CALLS - CALLS / 2);
const atEnd = await snapshot();
client.free();

// Clients in two halves, as the calls above: what the first half adds is
// mostly a constant (code compiled and optimised for the paths it takes);
// growth is what the second half adds.
async function clients(n) {
  for (let i = 0; i < n; i++) {
    const c = makeClient();
    await c.token();
    c.free();
  }
}
const clientsBefore = await snapshot();
await clients(CLIENTS / 2);
const clientsHalf = await snapshot();
await clients(CLIENTS - CLIENTS / 2);
const clientsAfter = await snapshot();
if (bad) throw new Error(`${bad} calls did not answer 200`);
report({ lib, calls: CALLS, clients: CLIENTS, atStart, atHalf, atEnd, clientsBefore, clientsHalf, clientsAfter, tokensIssued: issued });
